/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of sho_testkit.h (a test kit compiled once, in libomtest). */
#include "daemon_util.h"
#include "sho_testkit.h"

void kit_tre_free(struct kit_tre *t)
{
	EVP_PKEY_free(t->sign_key);
	EVP_PKEY_free(t->enc_key);
	X509_free(t->sign);
	X509_free(t->enc);
	om_pki_free(t->sign_der, t->sign_len);
	om_pki_free(t->enc_der, t->enc_len);
	memset(t, 0, sizeof(*t));
}

struct om_ca *kit_ca(const char *cn, EVP_PKEY **key_out)
{
	EVP_PKEY *key = NULL;
	struct om_ca *ca = NULL;
	if (om_key_generate(&key, OM_KEY_EC_P256) < 0 || om_ca_create(&ca, key, cn, 0, 0) < 0) {
		fprintf(stderr, "kit_ca: cannot make a CA\n");
		exit(1);
	}
	if (key_out)
		*key_out = key;
	else
		EVP_PKEY_free(key);
	return ca;
}

void kit_tre_issue(const struct om_ca *ca, const char *tre_id, struct kit_tre *t)
{
	X509_REQ *csr = NULL;
	memset(t, 0, sizeof(*t));
	snprintf(t->tre_id, sizeof(t->tre_id), "%s", tre_id);
	const uint8_t *p;
	uint8_t v[OM_CLAIM_LEN];
	if (om_key_generate(&t->sign_key, OM_KEY_EC_P256) < 0 || om_key_generate(&t->enc_key, OM_KEY_X25519) < 0 ||
	    om_csr_create(&csr, t->sign_key, tre_id, t->enc_key) < 0 || om_claim_derive(kit_claim_key, tre_id, 0, v) < 0 ||
	    om_claim_derive(kit_claim_key, tre_id, 1, t->claim) < 0 ||
	    om_ca_issue_tre_claimed(ca, csr, tre_id, 0, 0, v, &t->sign_der, &t->sign_len, &t->enc_der, &t->enc_len) < 0) {
		fprintf(stderr, "kit_tre_issue: cannot issue %s\n", tre_id);
		exit(1);
	}
	p = t->sign_der;
	t->sign = d2i_X509(NULL, &p, (long)t->sign_len);
	p = t->enc_der;
	t->enc = d2i_X509(NULL, &p, (long)t->enc_len);
	X509_REQ_free(csr);
}

void kit_index_line(FILE *f, X509 *cert, char status)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = BN_bn2hex(bn);
	char subj[256];
	X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
	fprintf(f, "%c\t300101000000Z\t%s\t%s\tunknown\t%s\n", status, status == 'R' ? "240101000000Z,keyCompromise" : "",
		hex, subj);
	OPENSSL_free(hex);
	BN_free(bn);
}

void kit_write(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		fprintf(stderr, "kit_write %s failed\n", path);
		exit(1);
	}
}

/* `openssl ocsp -port` binds [::] dual-stack: probed the same way (du_free_port). */
int kit_free_port(void)
{
	unsigned port = du_free_port();
	return port ? (int)port : -1;
}

int kit_log_has(const char *path, const char *needle)
{
	size_t len = 0;
	unsigned char *text = check_slurp(path, &len);
	int has = text && strstr((const char *)text, needle) != NULL;
	free(text);
	return has;
}

pid_t kit_ocsp_start(const char *dir, const char *rsigner, const char *rkey, const char *ca, int *port)
{
	char idx[512], rs[512], rk[512], c[512], p[16], log[512];
	snprintf(idx, sizeof(idx), "%s/index.txt", dir);
	snprintf(rs, sizeof(rs), "%s/%s", dir, rsigner);
	snprintf(rk, sizeof(rk), "%s/%s", dir, rkey);
	snprintf(c, sizeof(c), "%s/%s", dir, ca);
	snprintf(log, sizeof(log), "%s/ocsp.log", dir);
	for (int attempt = 0; attempt < 5; attempt++) {
		*port = kit_free_port();
		snprintf(p, sizeof(p), "%d", *port);
		unlink(log);
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execlp("openssl", "openssl", "ocsp", "-index", idx, "-port", p, "-rsigner", rs, "-rkey", rk, "-CA",
			       c, "-nmin", "10", (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) {
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			/* not a probe connection: openssl 3.0's responder hangs on one closed unused */
			if (kit_log_has(log, "waiting for OCSP client connections"))
				return pid;
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	fprintf(stderr, "kit_ocsp_start: openssl ocsp did not start (see %s)\n", log);
	exit(1);
}

void kit_ocsp_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

void kit_rm_rf(const char *dir)
{
	char cmd[600];
	if (!dir || strncmp(dir, "/tmp/", 5))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

void kit_save_ca(const char *dir, const struct om_ca *ca, EVP_PKEY *key, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if (om_cert_save(path, om_ca_cert(ca)) < 0)
		exit(1);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if (om_key_save(path, key) < 0)
		exit(1);
}

void kit_device_in(const struct kit_tre *t, const char *current_sho, struct sho_device_in *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->tre_id, sizeof(d->tre_id), "%s", t->tre_id);
	snprintf(d->current_sho, sizeof(d->current_sho), "%s", current_sho);
	d->cert_sign = malloc(t->sign_len);
	d->cert_enc = malloc(t->enc_len);
	memcpy(d->cert_sign, t->sign_der, t->sign_len);
	memcpy(d->cert_enc, t->enc_der, t->enc_len);
	d->cert_sign_len = t->sign_len;
	d->cert_enc_len = t->enc_len;
	memcpy(d->claim, t->claim, sizeof(d->claim));
	d->has_claim = 1;
}

void kit_index_note(FILE *f, const struct sho_device_in *note, int n, X509 **enc0)
{
	for (int i = 0; i < n; i++) {
		X509 *c = NULL;
		CHECK_INT(om_cert_decode(&c, OM_ENC_DER, note[i].cert_sign, note[i].cert_sign_len), 0);
		kit_index_line(f, c, 'V');
		X509_free(c);
		CHECK_INT(om_cert_decode(&c, OM_ENC_DER, note[i].cert_enc, note[i].cert_enc_len), 0);
		kit_index_line(f, c, 'V');
		if (i == 0 && enc0)
			*enc0 = c;
		else
			X509_free(c);
	}
}

pid_t kit_ocsp_pva(const char *dir, const struct om_ca *pva, EVP_PKEY *pva_key, char *url, size_t cap)
{
	int port;
	kit_write(dir, "index.txt.attr", "unique_subject = no\n");
	kit_save_ca(dir, pva, pva_key, "pva");
	pid_t pid = kit_ocsp_start(dir, "pva.pem", "pva.key", "pva.pem", &port);
	snprintf(url, cap, "http://127.0.0.1:%d/", port);
	return pid;
}


FILE *kit_sho_b_conf(const char *dir, const char *db, const char *path, const char *ocsp_url,
		     const char *hss_sock, unsigned peer_timeout_ms)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	if (db)
		fprintf(f, "[sho]\ndb = %s\nid = SHO-B\n", db);
	else
		fprintf(f, "[sho]\ndb = %s/sho.db\nid = SHO-B\n", dir);
	fprintf(f, "[imsi]\nmcc = 001\nmnc = 02\nmsin_first = 0000000001\nmsin_last = 0000000099\n");
	fprintf(f, "[subscription]\nop = cdc202d5123e20f62b6d676ac72cb318\napn = internet.sho-b\nroaming = any\n");
	fprintf(f, "[pva]\nca = %s/pva.pem\nocsp_url = %s\n[hss]\nsocket = %s\n", dir, ocsp_url, hss_sock);
	fprintf(f, "[handover]\nsign_key = %s/sho-b-signing.key\nsign_cert = %s/sho-b-signing.pem\n", dir, dir);
	fprintf(f, "provurl = https://dpf.sho-b.lab/dm\nserver_id = sho-b-dpf\ndpf_apn = prov.sho-b\n");
	fprintf(f, "[daemon]\nport = 0\ntls_cert = %s/tls/owners.sho-b.lab.pem\ntls_key = %s/tls/owners.sho-b.lab.key\n",
		dir, dir);
	fprintf(f, "operator_cert = %s/tls/sho-b.lab.pem\noperator_key = %s/tls/sho-b.lab.key\n", dir, dir);
	fprintf(f, "peer_timeout = %u\nspool = %s\nlog_level = debug\n", peer_timeout_ms, dir);
	return f;
}
