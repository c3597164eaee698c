/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-pva as a real process on loopback, with independent clients:
 * a factory run (`openmcim factory`) imported through `openmcim pva-admin`;
 * `openssl ocsp` gets good, then revoked after `pva-admin revoke`, and
 * unknown for a certificate the CA issued but the PVA never imported, each
 * with "Response verify OK"; curl gets malformedRequest for garbage and
 * validation answers for genuine and forged M2MMobj; another uid is refused
 * on the admin socket.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openmcim/base64.h>
#include <openmcim/hex.h>
#include <openmcim/verdict.h>

#include "admin_call.h"
#include "daemon_util.h"
#include "pg_cluster.h"
#include "pva.h"
#include "pva_test_util.h"

static char dir[] = "/tmp/om_pva_daemon_XXXXXX";
static char cli_path[400], pva_path[400], sock[400], conf[400];
static unsigned port;

static int admin(char *out, size_t cap, const char *a, const char *b, const char *c)
{
	const char *argv[] = { cli_path, "pva-admin", "--socket", sock, a, b, c, NULL };
	return du_run(argv, 0, out, cap);
}

static int ocsp(const char *cert, char *out, size_t cap)
{
	char ca[400], url[64];
	snprintf(ca, sizeof(ca), "%s/cas/pva-ca.pem", dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	const char *argv[] = { "openssl", "ocsp", "-issuer", ca, "-cert", cert, "-url", url, "-CAfile", ca,
			       "-resp_text", NULL };
	return du_run(argv, 1, out, cap);
}

/* Start the daemon with stderr into dir/pva.log; wait for its "started" line and port. */
static pid_t start_daemon(void)
{
	char log[400];
	snprintf(log, sizeof(log), "%s/pva.log", dir);
	pid_t pid = du_spawn_daemon(pva_path, conf, log, 0);
	char *text = du_wait_log(log, " started ", 10000);
	char *p = text ? strstr(strstr(text, " started "), "port=") : NULL;
	if (p)
		port = (unsigned)atoi(p + 5);
	free(text);
	return pid;
}

/* Base64 DER of the first device's signing certificate (devices.csv line 2) to PEM at out. */
static int first_device_cert(const char *csv, const char *out)
{
	size_t n;
	char *text = (char *)check_slurp(csv, &n);
	int rc = -1;
	char *l2 = text ? strchr(text, '\n') : NULL;
	if (l2) {
		char *f = l2 + 1;
		for (int i = 0; i < 3 && f; i++)
			f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
		char *end = f ? strchr(f, ',') : NULL;
		uint8_t *der = NULL;
		size_t len = 0;
		X509 *x = NULL;
		if (end && om_base64_decode(f, (size_t)(end - f), PVA_B64_MAX, &der, &len) == 0 &&
		    om_cert_decode(&x, OM_ENC_DER, der, len) == 0 && om_cert_save(out, x) == 0)
			rc = 0;
		X509_free(x);
		free(der);
	}
	free(text);
	return rc;
}

static int as_nobody(void)
{
	return du_as_nobody(sock, "revoke TRE-00000002 keyCompromise\n");
}

static void other_uid_is_refused(void)
{
	char out[1024], rundir[400];
	if (geteuid() != 0) {
		printf("NOTE: not root: the setuid(65534) peer test needs root\n");
		return;
	}
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	CHECK_INT(as_nobody(), 20); /* the 0700 directory stops it first */
	CHECK_INT(chmod(dir, 0711), 0);
	CHECK_INT(chmod(rundir, 0711), 0);
	CHECK_INT(chmod(sock, 0666), 0);
	CHECK_INT(as_nobody(), 30); /* SO_PEERCRED still does */
	CHECK_INT(chmod(dir, 0700), 0);
	CHECK_INT(chmod(rundir, 0700), 0);
	CHECK_INT(chmod(sock, 0600), 0);
	CHECK_INT(admin(out, sizeof(out), "status", "TRE-00000002", NULL), 0);
	CHECK_MSG(strstr(out, "status=good"), "status: %s", out);
}

/* POST body file to /validate; the answer into out. */
static int post_validate(const char *file, char *out, size_t cap)
{
	char url[64], data[420];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/validate", port);
	snprintf(data, sizeof(data), "@%s", file);
	const char *argv[] = { "curl", "-s", "--max-time", "10", "-H", "Content-Type: application/octet-stream",
			       "--data-binary", data, url, NULL };
	return du_run(argv, 0, out, cap);
}

/* The answer's signed verdict (issue 12), verified with the responder certificate, into v: 0 or a code. */
static int verdict_of(const char *answer, struct om_pva_verdict *v)
{
	char path[500], hex[2 * PVA_VERDICT_MAX + 1];
	uint8_t der[PVA_VERDICT_MAX];
	X509 *cert = NULL;
	const char *p = strstr(answer, "\nverdict=");
	size_t n = p ? strcspn(p + 9, "\n") : 0;
	if (!p || n == 0 || n >= sizeof(hex) || n % 2)
		return OM_EOBJ_TRUNCATED;
	memcpy(hex, p + 9, n);
	hex[n] = '\0';
	snprintf(path, sizeof(path), "%s/responder.pem", dir);
	int rc = om_hex_decode(der, n / 2, hex) < 0 ? OM_EINVAL : om_cert_load(&cert, path);
	if (rc == 0)
		rc = om_pva_verdict_verify(der, n / 2, X509_get0_pubkey(cert), v);
	X509_free(cert);
	return rc;
}

static int write_bytes(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(b, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

static void validation_over_http(struct om_ca *ca)
{
	struct t_tre v, other;
	char vdir[400], path[500], out[2048], refs[2048];
	uint8_t obj[OM_MOBJ_MAX];
	CHECK_INT(t_make_tre(ca, "TRE-V", T_MODEL, T_FW, &v), 0);
	CHECK_INT(t_make_tre(ca, "TRE-W", T_MODEL, T_FW, &other), 0);
	snprintf(vdir, sizeof(vdir), "%s/lab", dir);
	CHECK_INT(mkdir(vdir, 0700), 0);
	snprintf(path, sizeof(path), "%s/devices.csv", vdir);
	char *dev = malloc(8192);
	if (dev) {
		snprintf(dev, 8192, "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64\n%s", v.row);
		t_write(path, dev);
	}
	free(dev);
	snprintf(path, sizeof(path), "%s/reference-measurements.csv", vdir);
	t_refs_csv(T_FW, refs, sizeof(refs));
	t_write(path, refs);
	CHECK_INT(admin(out, sizeof(out), "import", vdir, NULL), 0);

	snprintf(path, sizeof(path), "%s/m2mmobj.bin", dir);
	int n = t_m2mmobj(&v, "TRE-V", T_FW, T_FW, obj, sizeof(obj));
	CHECK(n > 0 && write_bytes(path, obj, (size_t)n) == 0);
	CHECK_INT(post_validate(path, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "result=accepted\ntre_id=TRE-V\n") && strstr(out, "nonce_b=5b5b"), "accepted: %s", out);
	/* the verdict the DPF believes: signed by the responder's key, bound to TRE_id and nonceB, dated now */
	struct om_pva_verdict sv;
	uint8_t nb[OM_NONCE_LEN];
	memset(nb, 0x5b, sizeof(nb));
	CHECK_INT(verdict_of(out, &sv), 0);
	CHECK(sv.accepted && !strcmp(sv.tre_id, "TRE-V") && !memcmp(sv.nonce_b, nb, sizeof(nb)) &&
	      !strcmp(sv.reason, "accepted") && llabs((long long)(sv.time - (int64_t)time(NULL))) < 60);
	n = t_m2mmobj(&v, "TRE-V", T_FW, "0.0.1", obj, sizeof(obj));
	CHECK(n > 0 && write_bytes(path, obj, (size_t)n) == 0);
	CHECK_INT(post_validate(path, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "result=refused") && strstr(out, "reason=measurement-mismatch"), "mismatch: %s", out);
	CHECK_INT(verdict_of(out, &sv), 0);
	CHECK(!sv.accepted && !strcmp(sv.tre_id, "TRE-V") && !strcmp(sv.reason, "measurement-mismatch"));
	n = t_m2mmobj(&v, "TRE-V", "9.9.9", "9.9.9", obj, sizeof(obj));
	CHECK(n > 0 && write_bytes(path, obj, (size_t)n) == 0);
	CHECK_INT(post_validate(path, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "reason=unknown-firmware"), "firmware: %s", out);
	n = t_m2mmobj(&other, "TRE-V", T_FW, T_FW, obj, sizeof(obj));
	CHECK(n > 0 && write_bytes(path, obj, (size_t)n) == 0);
	CHECK_INT(post_validate(path, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "reason=signature"), "forged: %s", out);
	CHECK_INT(admin(out, sizeof(out), "revoke", "TRE-V", "cessationOfOperation"), 0);
	n = t_m2mmobj(&v, "TRE-V", T_FW, T_FW, obj, sizeof(obj));
	CHECK(n > 0 && write_bytes(path, obj, (size_t)n) == 0);
	CHECK_INT(post_validate(path, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "reason=revoked"), "revoked: %s", out);
	t_tre_free(&v);
	t_tre_free(&other);
}

static void ocsp_with_openssl(struct om_ca *ca)
{
	char out[8192], cert[400], csv[400], garbage[400], url[64];
	snprintf(csv, sizeof(csv), "%s/run1/pva/devices.csv", dir);
	snprintf(cert, sizeof(cert), "%s/tre1.pem", dir);
	CHECK_INT(first_device_cert(csv, cert), 0);
	CHECK_INT(ocsp(cert, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "Response verify OK") && strstr(out, ": good"), "good: %s", out);
	CHECK_MSG(strstr(out, "Next Update:") && strstr(out, "OCSP Nonce"), "fields: %s", out);
	CHECK_INT(admin(out, sizeof(out), "revoke", "TRE-00000001", "keyCompromise"), 0);
	CHECK_INT(ocsp(cert, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "Response verify OK") && strstr(out, ": revoked") && strstr(out, "keyCompromise"),
		  "revoked: %s", out);
	/* issued by the PVA CA, never imported */
	struct t_tre never;
	snprintf(cert, sizeof(cert), "%s/never.pem", dir);
	CHECK_INT(t_make_tre(ca, "TRE-99999999", T_MODEL, T_FW, &never), 0);
	CHECK_INT(om_cert_save(cert, never.sign_cert), 0);
	t_tre_free(&never);
	CHECK_INT(ocsp(cert, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "Response verify OK") && strstr(out, ": unknown"), "unknown: %s", out);
	/* malformed */
	snprintf(garbage, sizeof(garbage), "%s/garbage.der", dir);
	t_write(garbage, "this is not DER");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	char data[420], body[420];
	snprintf(data, sizeof(data), "@%s", garbage);
	snprintf(body, sizeof(body), "%s/resp.der", dir);
	const char *argv[] = { "curl", "-s", "--max-time", "10", "-H", "Content-Type: application/ocsp-request",
			       "--data-binary", data, "-o", body, url, NULL };
	CHECK_INT(du_run(argv, 0, out, sizeof(out)), 0);
	size_t n = 0;
	uint8_t *resp = check_slurp(body, &n);
	CHECK(resp && n == 5);
	if (resp && n == 5)
		CHECK_HEX(resp, n, "30030a0101");
	free(resp);
	const char *text[] = { "openssl", "ocsp", "-respin", body, "-resp_text", "-noverify", NULL };
	du_run(text, 1, out, sizeof(out)); /* exits 1 on an error response */
	CHECK_MSG(strstr(out, "malformedrequest"), "malformed: %s", out);
	/* another content type: 415 and a text body without a trailing NUL */
	const char *wrong[] = { "curl", "-s", "--max-time", "10", "-H", "Content-Type: application/octet-stream",
				"--data-binary", data, "-o", body, "-w", "%{http_code}", url, NULL };
	CHECK_INT(du_run(wrong, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strcmp(out, "415"), "status: %s", out);
	resp = check_slurp(body, &n);
	CHECK_MSG(resp && n == 34 && !memcmp(resp, "expected application/ocsp-request\n", 34), "415 body of %zu bytes",
		  n);
	free(resp);
}

static void add_line(void *ctx, const char *line)
{
	strncat(ctx, line, 4095 - strlen(ctx));
	strncat(ctx, "\n", 4095 - strlen(ctx));
}

/* One raw line on the admin socket: the daemon's code, its data lines in out (4096). */
static int raw(const char *line, char *out)
{
	struct om_admin_result res;
	out[0] = '\0';
	int rc = om_admin_call(sock, line, 5000, add_line, out, &res);
	return rc < 0 ? rc : res.code;
}

/*
 * The listings (issue 15): the revoked TREs with when and why (text, and
 * JSON parsed by jq with times in ISO 8601), every reference value, the
 * page after a key; malformed listings refused with OM_EPVA_COMMAND.
 */
static void listings(void)
{
	char out[8192], page[4096], json_before[8192];
	const char *rl[] = { cli_path, "pva-admin", "--socket", sock, "revocation", "list", NULL };
	CHECK_INT(du_run(rl, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strncmp(out, "tre_id=TRE-00000001 revoked_at=", 31) && strstr(out, " reason=keyCompromise sign_serial=") &&
			  strstr(out, "\ntre_id=TRE-V revoked_at=") && strstr(out, " reason=cessationOfOperation ") &&
			  !strstr(out, "TRE-00000002") && !strstr(out, "TRE-W"),
		  "revocation list: %s", out);
	const char *rj[] = { cli_path, "pva-admin", "--json", "--socket", sock, "revocation", "list", NULL };
	CHECK_INT(du_run(rj, 0, json_before, sizeof(json_before)), 0);
	CHECK_INT(du_json_check(dir, json_before,
				".ok and (.items | map(.tre_id)) == [\"TRE-00000001\",\"TRE-V\"] and"
				" (.items | map(.reason)) == [\"keyCompromise\",\"cessationOfOperation\"] and"
				" (.items[1].revoked_at | test(\"^20[0-9-]+T[0-9:]+Z$\"))"),
		  0);
	const char *fj[] = { cli_path, "pva-admin", "--json", "--socket", sock, "reference", "list", NULL };
	CHECK_INT(du_run(fj, 0, out, sizeof(out)), 0);
	CHECK_INT(du_json_check(dir, out,
				".ok and (.items | length) >= 4 and all(.items[]; (.sha256 | test(\"^[0-9a-f]{64}$\")) and"
				" (.reference | split(\"/\") | length) == 3) and (.items | map(.reference)) == (.items | map(.reference) | sort)"),
		  0);
	/* the page after the first reference: every other one */
	const char *rt[] = { cli_path, "pva-admin", "--socket", sock, "reference", "list", NULL };
	CHECK_INT(du_run(rt, 0, out, sizeof(out)), 0);
	char first[256];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(out + 10, " "), out + 10);
	char line[300];
	snprintf(line, sizeof(line), "references %s\n", first);
	CHECK_INT(raw(line, page), 0);
	CHECK_MSG(!strcmp(page, strchr(out, '\n') + 1), "after %s: %s vs %s", first, page, out);
	/* refused: malformed listings, the same listing after */
	CHECK_INT(raw("references no-slashes\n", page), OM_EPVA_COMMAND);
	CHECK_INT(raw("references a/b/c/d\n", page), OM_EPVA_COMMAND);
	CHECK_INT(raw("revocations\n", page), OM_EPVA_COMMAND);
	CHECK_INT(raw("revocations - extra\n", page), OM_EPVA_COMMAND);
	CHECK_INT(du_run(rj, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strcmp(out, json_before), "the revocations moved: %s", out);
}

static void help_and_bad_config(void)
{
	char out[2048], bad[400];
	const char *help[] = { pva_path, "--help", NULL };
	CHECK_INT(du_run(help, 0, out, sizeof(out)), 0);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	t_write(bad, "[pva]\ndb = x.db\nportt = 1\n");
	const char *argv[] = { pva_path, "-c", bad, NULL };
	CHECK(du_run(argv, 1, out, sizeof(out)) != 0);
	CHECK_MSG(strstr(out, "bad.conf:3") && strstr(out, "portt"), "bad config: %s", out);
}

int main(void)
{
	char out[4096], cmd[3000], path[400];
	const char *cli = getenv("OM_CLI");
	signal(SIGPIPE, SIG_IGN);
	if (!cli) {
		CHECK_MSG(0, "OM_CLI is not set: the daemon test cannot run");
		return check_done();
	}
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(cli_path, sizeof(cli_path), "%s", cli);
	snprintf(pva_path, sizeof(pva_path), "%s", cli);
	char *slash = strrchr(pva_path, '/');
	snprintf(slash ? slash + 1 : pva_path, sizeof(pva_path) - (size_t)(slash ? slash + 1 - pva_path : 0),
		 "openmcim-pva");
	snprintf(sock, sizeof(sock), "%s/run/admin.sock", dir);
	help_and_bad_config();

	/* the factory's CAs and a run of two devices, through the CLI */
	snprintf(path, sizeof(path), "%s/cas", dir);
	const char *cas[] = { cli_path, "factory", "init-cas", "--out", path, NULL };
	CHECK_INT(du_run(cas, 1, out, sizeof(out)), 0);
	char pca[400], pkey[400], ro[400], run1[400];
	snprintf(pca, sizeof(pca), "%s/cas/pva-ca.pem", dir);
	snprintf(pkey, sizeof(pkey), "%s/cas/pva-ca.key", dir);
	snprintf(ro, sizeof(ro), "%s/cas/ro-signing.pem", dir);
	snprintf(run1, sizeof(run1), "%s/run1", dir);
	const char *fac[] = { cli_path, "factory", "--devices", "2", "--out", run1, "--pva-ca", pca, "--pva-key", pkey,
			      "--ro-cert", ro, "--pcid-mcc", "001", "--pcid-mnc", "01", "--pcid-first", "0000000001",
			      "--quiet", NULL };
	CHECK_MSG(du_run(fac, 1, out, sizeof(out)) == 0, "factory: %s", out);

	/* the PVA's responder under the factory's PVA CA */
	X509 *cacert = NULL;
	EVP_PKEY *cakey = NULL;
	struct om_ca *ca = NULL;
	CHECK_INT(om_cert_load(&cacert, pca), 0);
	CHECK_INT(om_key_load(&cakey, pkey), 0);
	CHECK_INT(om_ca_open(&ca, cacert, cakey), 0);
	EVP_PKEY *rk = NULL;
	X509_REQ *csr = NULL;
	X509 *rc_cert = NULL;
	struct om_issue req = { .profile = OM_CERT_OCSP_RESPONDER, .cn = "PVA OCSP" };
	char rcert[400], rkey[400];
	snprintf(rcert, sizeof(rcert), "%s/responder.pem", dir);
	snprintf(rkey, sizeof(rkey), "%s/responder.key", dir);
	CHECK(ca && om_key_generate(&rk, OM_KEY_EC_P256) == 0 && om_csr_create(&csr, rk, "PVA OCSP", NULL) == 0 &&
	      om_ca_issue(ca, csr, &req, &rc_cert) == 0 && om_cert_save(rcert, rc_cert) == 0 &&
	      om_key_save(rkey, rk) == 0);
	X509_free(rc_cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(rk);

	char db[400];
	/* SQLite, or a fresh PostgreSQL database with OM_TEST_STORE=pg (pva_daemon_test_pg) */
	CHECK_INT(t_store_conf(dir, "pva.db", db, sizeof(db)), 0);
	snprintf(conf, sizeof(conf), "%s/pva.conf", dir);
	snprintf(cmd, sizeof(cmd),
		 "# test\n[pva]\ndb = %s\nlisten = 127.0.0.1\nport = 0\nca_cert = %s\nresponder_cert = %s\n"
		 "responder_key = %s\nadmin_socket = %s\nlog_level = info\n",
		 db, pca, rcert, rkey, sock);
	t_write(conf, cmd);
	pid_t pid = start_daemon();
	CHECK_MSG(port != 0, "the daemon did not start (see %s/pva.log)", dir);
	if (port && ca) {
		char pdir[420];
		snprintf(pdir, sizeof(pdir), "%s/pva", run1);
		CHECK_INT(admin(out, sizeof(out), "import", pdir, NULL), 0);
		CHECK_MSG(strstr(out, "devices=2 references=4"), "import: %s", out);
		CHECK_INT(admin(out, sizeof(out), "import", pdir, NULL), 1); /* again: all refused */
		ocsp_with_openssl(ca);
		other_uid_is_refused();
		validation_over_http(ca);
		listings();
		CHECK_INT(admin(out, sizeof(out), "frobnicate", "x", NULL), 2);
	}
	if (pid > 0) {
		int st = du_stop_daemon(pid, SIGTERM);
		CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "daemon exit status %d", st);
	}
	om_ca_free(ca);
	X509_free(cacert);
	EVP_PKEY_free(cakey);
	if (check_failures() == 0) {
		du_rm_rf(dir);
	} else {
		fprintf(stderr, "kept %s for inspection\n", dir);
	}
	return check_done();
}
