/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bulk move survives the registration service's death (issue 16,
 * docs/owner.md "Bulk moves"): openmcim-sho as a real process on loopback,
 * an owner registers six devices whose current SHO is SHO-D and moves them
 * here with one POST /api/v1/moves. SHO-D's DRF (standing in with
 * svc/http_server.h over mutual TLS, verifying our signature and the code's
 * proof) holds its first answer, so the move is under way when the daemon is
 * killed with SIGKILL. The database then holds the move and its six items
 * with the codes' proofs and no code. Restarted on the same files, the daemon
 * resumes the move by itself (no one follows it): all six accepted, each with
 * the request id SHO-D saw, the interrupted device's request sent again with
 * the same bytes, the proofs gone once answered, the move listed finished.
 */
#include "sho_testkit.h"

#include <pthread.h>
#include <sys/wait.h>

#include <openmcim/base32.h>
#include <openmcim/handover.h>

#include "daemon_util.h"
#include "hss.h"
#include "hss_test_util.h"
#include "http_server.h"
#include "log.h"
#include "move.h"
#include "pki_fixture.h"
#include "provision.h"
#include "sho.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define N 6

static char dir[] = "/tmp/om-sho-restart-XXXXXX";
static char path[600], bin_dir[512];
static unsigned sho_port;
static struct pf_sho me;
static struct kit_tre tre[N];
static char codes[N][24];

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* ---- SHO-D's DRF, standing in: holds its first answer until the gate opens ---- */

static struct {
	pthread_mutex_t lock;
	int gate_open, calls, verified, same_again;
	char request_id[N][OM_HANDOVER_ID_MAX + 1];
	uint8_t first[8192];
	size_t first_len;
	char first_tre[OM_TRE_ID_MAX + 1];
} drf_d = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int index_of(const char *tre_id)
{
	for (int i = 0; i < N; i++)
		if (!strcmp(tre[i].tre_id, tre_id))
			return i;
	return -1;
}

static void drf_d_handover(struct om_http_req *r, void *arg)
{
	(void)arg;
	size_t len;
	const uint8_t *b = om_http_req_body(r, &len);
	struct om_handover_req hr;
	uint8_t proof[OM_HANDOVER_PROOF_LEN];
	char out[256];
	memset(&hr, 0, sizeof(hr));
	int ok = om_handover_verify(b, len, X509_get0_pubkey(me.cert), &hr) == 0 && !strcmp(hr.new_sho_id, "SHO-B");
	int i = ok ? index_of(hr.tre_id) : -1;
	ok = i >= 0 && om_handover_code_proof(hr.tre_id, codes[i], proof) == 0 &&
	     !memcmp(hr.code_proof, proof, sizeof(proof));
	pthread_mutex_lock(&drf_d.lock);
	int first = drf_d.calls++ == 0;
	drf_d.verified += ok;
	if (ok)
		snprintf(drf_d.request_id[i], sizeof(drf_d.request_id[i]), "%s", hr.request_id);
	if (first && len <= sizeof(drf_d.first)) {
		memcpy(drf_d.first, b, len);
		drf_d.first_len = len;
		snprintf(drf_d.first_tre, sizeof(drf_d.first_tre), "%s", hr.tre_id);
	} else if (!strcmp(hr.tre_id, drf_d.first_tre)) {
		drf_d.same_again += len == drf_d.first_len && !memcmp(b, drf_d.first, len);
	}
	pthread_mutex_unlock(&drf_d.lock);
	for (int w = 0; first && w < 300; w++) { /* the first answer waits for the gate (30 s at most) */
		pthread_mutex_lock(&drf_d.lock);
		int open = drf_d.gate_open;
		pthread_mutex_unlock(&drf_d.lock);
		if (open)
			break;
		du_nap_ms(100);
	}
	if (ok)
		snprintf(out, sizeof(out), "result=accepted request_id=%s sequence=7\n", hr.request_id);
	else
		snprintf(out, sizeof(out), "result=refused request_id=%s reason=OM_EDRF_CODE\n",
			 hr.request_id[0] ? hr.request_id : "-");
	om_handover_free(&hr);
	om_http_reply(r, 200, "text/plain", out, strlen(out));
}

/* ---- the daemon and the owner ------------------------------------------------ */

static pid_t start(const char *log)
{
	char b[600], c[600], l[600];
	snprintf(b, sizeof(b), "%s/openmcim-sho", bin_dir);
	snprintf(c, sizeof(c), "%s", at("sho.conf"));
	snprintf(l, sizeof(l), "%s", at(log));
	pid_t pid = du_spawn_daemon(b, c, l, 0);
	sho_port = du_log_port(l, " started ", 10000);
	CHECK_MSG(sho_port != 0, "openmcim-sho did not start; see %s", l);
	return pid;
}

/* method path with body (NULL: none) of type, as the owner over HTTPS; the answer into out; the status or -1. */
static int call(const char *method, const char *url_path, const char *type, const char *body, char *out, size_t cap)
{
	char url[256], resolve[64], ca[600], hdr[128], *raw = malloc(1 << 16);
	snprintf(url, sizeof(url), "https://localhost:%u%s", sho_port, url_path);
	snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1", sho_port);
	snprintf(ca, sizeof(ca), "%s", at("tls/ca.pem"));
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", type ? type : "application/json");
	du_write_file(at("body"), body ? body : "");
	char data[700];
	snprintf(data, sizeof(data), "@%s", at("body"));
	const char *argv[] = { "curl", "-s", "--max-time", "20", "--cacert", ca, "--resolve", resolve, "-w",
			       "\n%{http_code}", "-X", method, "-u", OWNER ":" SECRET, "-H", hdr, url,
			       body ? "--data-binary" : NULL, data, NULL };
	int st = -1;
	if (raw && du_run_quiet(argv, 0, raw, 1 << 16) == 0) {
		char *nl = strrchr(raw, '\n');
		if (nl) {
			*nl = '\0';
			snprintf(out, cap, "%s", raw);
			st = atoi(nl + 1);
		}
	}
	unlink(at("body"));
	free(raw);
	return st;
}

static int has(const uint8_t *b, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(b + i, s, k))
			return 1;
	return 0;
}

/* The file at rel (and its -wal, if any) holds none of the codes, as typed or folded. */
static void no_code_in(const char *rel)
{
	char wal[128];
	snprintf(wal, sizeof(wal), "%s-wal", rel);
	for (int w = 0; w < 2; w++) {
		size_t n = 0;
		uint8_t *b = check_slurp(at(w ? wal : rel), &n);
		CHECK_MSG(b != NULL || w, "%s unreadable", rel);
		for (int i = 0; b && i < N; i++) {
			char canon[OM_HANDOVER_CODE_CHARS + 1];
			CHECK_INT(om_base32_normalise(codes[i], canon, OM_HANDOVER_CODE_CHARS), 0);
			CHECK_MSG(!has(b, n, codes[i]) && !has(b, n, canon), "%s holds a transfer code", w ? wal : rel);
		}
		free(b);
	}
}

static int finished(const char *body)
{
	return strstr(body, "\"finished\":\"") != NULL;
}

int main(void)
{
	EVP_PKEY *pva_key = NULL, *lab_key = NULL;
	char url[64], err[256], why[256], sock[600], out[1 << 15], id[SHO_MOVE_ID_LEN + 1] = "";

	signal(SIGPIPE, SIG_IGN);
	om_log_init("sho-move-restart-test", OM_LOG_ERROR);
	CHECK(mkdtemp(dir) != NULL);
	const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	snprintf(bin_dir, sizeof(bin_dir), "%.*s", strrchr(cli, '/') ? (int)(strrchr(cli, '/') - cli) : 1,
		 strrchr(cli, '/') ? cli : ".");

	/* the PVA and six devices at SHO-D, their status served by `openssl ocsp` */
	struct om_ca *pva = kit_ca("PVA-1", &pva_key);
	FILE *f = fopen(at("index.txt"), "w");
	size_t cap = 128;
	for (int i = 0; i < N; i++) {
		char tid[32];
		snprintf(tid, sizeof(tid), "TRE-D000000%d", i);
		kit_tre_issue(pva, tid, &tre[i]);
		kit_index_line(f, tre[i].sign, 'V');
		kit_index_line(f, tre[i].enc, 'V');
		cap += 2 * (tre[i].sign_len + tre[i].enc_len) + 128;
		snprintf(codes[i], sizeof(codes[i]), "DDDD-0000-0000-000%d", i);
	}
	fclose(f);
	pid_t ocsp = kit_ocsp_pva(dir, pva, pva_key, url, sizeof(url));
	char *note = malloc(cap), *p = note;
	p += sprintf(p, "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret\n");
	for (int i = 0; i < N; i++) {
		char claim[OM_CLAIM_TEXT_LEN + 1];
		p += sprintf(p, "%s,", tre[i].tre_id);
		p += EVP_EncodeBlock((unsigned char *)p, tre[i].sign_der, (int)tre[i].sign_len);
		*p++ = ',';
		p += EVP_EncodeBlock((unsigned char *)p, tre[i].enc_der, (int)tre[i].enc_len);
		om_claim_text(tre[i].claim, claim);
		p += sprintf(p, ",SHO-D,%s\n", claim);
	}

	/* the HSS in process, behind its provisioning socket */
	char hss_db[600];
	snprintf(hss_db, sizeof(hss_db), "%s", at("hss.db"));
	snprintf(sock, sizeof(sock), "%s", at("hss-sock/prov.sock"));
	struct hss_config hc = { .db_path = hss_db };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss && hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);

	/* SHO-B's signing identity, the operators' TLS certificates, SHO-D's DRF */
	pf_sho_make(&me, "SHO-B");
	CHECK_INT(om_cert_save(at("sho-b-signing.pem"), me.cert), 0);
	CHECK_INT(om_key_save(at("sho-b-signing.key"), me.key), 0);
	CHECK_INT(mkdir(at("tls"), 0700), 0);
	struct om_ca *lab = kit_ca("Lab operators root", &lab_key);
	CHECK_INT(om_cert_save(at("tls/ca.pem"), om_ca_cert(lab)), 0);
	char tls_dir[200], d_cert[300], d_key[300], d_ca[300];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", dir);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "drf.sho-d.lab", "localhost"), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "sho-b.lab", "localhost"), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "owners.sho-b.lab", "localhost"), 0);
	snprintf(d_cert, sizeof(d_cert), "%s/drf.sho-d.lab.pem", tls_dir);
	snprintf(d_key, sizeof(d_key), "%s/drf.sho-d.lab.key", tls_dir);
	snprintf(d_ca, sizeof(d_ca), "%s/ca.pem", tls_dir);
	struct om_http_tls dt = { .cert_file = d_cert, .key_file = d_key, .client_ca_file = d_ca,
				  .require_client_cert = 1 };
	struct om_http_opts dopt = { .tls = &dt };
	struct om_http_server *d_srv = NULL;
	CHECK_MSG(om_http_server_new(&d_srv, &dopt, err, sizeof(err)) == 0, "%s", err);
	if (!d_srv || !hss)
		return check_done();
	CHECK_INT(om_http_route(d_srv, "POST", "/handover", drf_d_handover, NULL), 0);
	CHECK_INT(om_http_server_start(d_srv), 0);

	/* SHO-B's registration daemon with one owner */
	struct sho *s = NULL;
	struct sho_config oc = { .db_path = at("sho.db") };
	CHECK_INT(sho_open(&s, &oc, why, sizeof(why)), 0);
	CHECK_INT(sho_owner_add(s, OWNER, SECRET), 0);
	sho_close(s);
	f = kit_sho_b_conf(dir, NULL, at("sho.conf"), url, sock, 25000);
	fprintf(f, "[peer.SHO-D]\nurl = https://localhost:%u/\nca = %s/tls/ca.pem\n",
		(unsigned)om_http_server_port(d_srv), dir);
	fclose(f);
	chmod(at("sho.conf"), 0600);
	pid_t pid = start("sho.log");
	if (!sho_port)
		goto done;

	/* the six registered, then moved here in one request */
	CHECK_INT(call("POST", "/api/v1/devices", "text/csv", note, out, sizeof(out)), 200);
	char *body = malloc(64 + N * 96), *q = body;
	q += sprintf(q, "{\"devices\": [");
	for (int i = 0; i < N; i++)
		q += sprintf(q, "%s{\"tre_id\": \"%s\", \"code\": \"%s\"}", i ? ", " : "", tre[i].tre_id, codes[i]);
	sprintf(q, "]}");
	CHECK_INT(call("POST", "/api/v1/moves", NULL, body, out, sizeof(out)), 202);
	OPENSSL_cleanse(body, strlen(body));
	free(body);
	const char *k = strstr(out, "\"id\":\"");
	if (k)
		snprintf(id, sizeof(id), "%.*s", SHO_MOVE_ID_LEN, k + 6);
	CHECK_MSG(strlen(id) == SHO_MOVE_ID_LEN, "move: %s", out);

	/* under way: SHO-D holds the first device's answer */
	int calls = 0;
	for (int w = 0; w < 100 && !calls; w++) {
		du_nap_ms(100);
		pthread_mutex_lock(&drf_d.lock);
		calls = drf_d.calls;
		pthread_mutex_unlock(&drf_d.lock);
	}
	CHECK_MSG(calls == 1, "SHO-D saw %d requests before the kill", calls);
	CHECK_INT(t_sql_int(at("sho.db"), "SELECT count(*) FROM sho_move WHERE finished = 0"), 1);
	CHECK_INT(t_sql_int(at("sho.db"), "SELECT count(*) FROM sho_move_item WHERE result = 'queued'"
					  " AND length(proof) = 32"), N);

	/* kill -9, then SHO-D answers again; the daemon restarted on the same files */
	CHECK_INT(kill(pid, SIGKILL), 0);
	CHECK_INT(waitpid(pid, NULL, 0), pid);
	no_code_in("sho.db");
	pthread_mutex_lock(&drf_d.lock);
	drf_d.gate_open = 1;
	pthread_mutex_unlock(&drf_d.lock);
	pid = start("sho-2.log");
	if (!sho_port)
		goto done;

	/* nobody follows the move: the worker finishes it (GET /api/v1/moves does not advance moves) */
	for (int w = 0; w < 300; w++) {
		CHECK_INT(call("GET", "/api/v1/moves", NULL, NULL, out, sizeof(out)), 200);
		if (finished(out))
			break;
		du_nap_ms(100);
	}
	CHECK_MSG(finished(out) && strstr(out, id) && strstr(out, "\"accepted\":6"), "after the restart: %s", out);
	char url_path[128];
	snprintf(url_path, sizeof(url_path), "/api/v1/moves/%s", id);
	CHECK_INT(call("GET", url_path, NULL, NULL, out, sizeof(out)), 200);
	pthread_mutex_lock(&drf_d.lock);
	for (int i = 0; i < N; i++) {
		char want[160];
		snprintf(want, sizeof(want), "\"tre_id\":\"%s\",\"result\":\"accepted\",\"request_id\":\"%s\"",
			 tre[i].tre_id, drf_d.request_id[i]);
		CHECK_MSG(drf_d.request_id[i][0] && strstr(out, want), "device %d: %s", i, out);
	}
	CHECK_INT(drf_d.verified, drf_d.calls);
	CHECK_INT(drf_d.same_again, 1); /* the interrupted device's request again, byte for byte */
	CHECK_INT(drf_d.calls, N + 1);
	pthread_mutex_unlock(&drf_d.lock);
	CHECK_INT(t_sql_int(at("sho.db"), "SELECT count(*) FROM sho_move_item WHERE proof IS NOT NULL"), 0);
	CHECK_INT(t_sql_int(at("sho.db"), "SELECT count(*) FROM sho_device WHERE state = 'handover_accepted'"), N);
	size_t n = 0;
	char *log = (char *)check_slurp(at("sho-2.log"), &n);
	CHECK_MSG(log && strstr(log, "resumed=1") && strstr(log, "finished=1"), "log: %s", log ? log : "");
	free(log);

done:
	if (sho_port)
		CHECK_INT(du_term_wait(pid, 10000), 0);
	no_code_in("sho.log");
	no_code_in("sho-2.log");
	no_code_in("sho.db");
	if (check_failures()) {
		log = (char *)check_slurp(at("sho-2.log"), &n);
		printf("---- sho-2.log\n%s----\n", log ? log : "");
		free(log);
	}
	om_http_server_free(d_srv);
	hss_provision_stop();
	hss_close(hss);
	kit_ocsp_stop(ocsp);
	OPENSSL_cleanse(note, cap);
	free(note);
	for (int i = 0; i < N; i++)
		kit_tre_free(&tre[i]);
	pf_sho_free(&me);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(lab_key);
	om_ca_free(pva);
	om_ca_free(lab);
	kit_rm_rf(dir);
	return check_done();
}
