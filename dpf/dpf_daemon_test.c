/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-dpf as a real process (its configuration written here, HTTPS
 * with a test CA, port 0 and the port from its log line), with the
 * previous operator's DRF as a real openmcim-drf (mutual TLS) that
 * accepted the handover. In this process: the factory's TRE (the device,
 * speaking SyncML with the lib/dm codec over libcurl), the PVA's own code
 * on loopback, SHO-B's registration core and its HSS.
 *
 *   1. The DPF killed at "dpf.released" (package 3 committed, no answer);
 *      restarted, the device's retry (a new session, a fresh M2MMobj) is
 *      released anew (the first release superseded), installed, reported:
 *      provisioned. The same package 3 again: 403, nothing released.
 *   2. The outcome alert without credentials: challenged, nothing changes.
 *      With them, the DPF killed at "dpf.outcome" (recorded, not sent);
 *      restarted, it sends the completion to SHO-A's DRF exactly once, the
 *      device's repeat is 200 and changes nothing: active at SHO-B, in
 *      SHO-B's DRF register, no longer SHO-A's.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include <openmcim/handover.h>
#include <openmcim/tre.h>

#include "daemon_util.h"
#include "dpf.h"
#include "dpf_testkit.h"
#include "drf.h"
#include "factory.h"
#include "hss_test_util.h"
#include "http_server.h"
#include "log.h"
#include "pki_fixture.h"
#include "provision.h"
#include "pva.h"
#include "pva_http.h"
#include "sho.h"
#include "sho_testkit.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define OLD_IMSI "001010000000001"
#define TIMEOUT_MS 15000

static char dir[] = "/tmp/om-dpf-daemon-test-XXXXXX";
static char path[700], bin_dir[512];
static unsigned dpf_port, drf_port;
static pid_t dpf_pid; /* the DPF running now, stopped at the end whatever happened */
static struct sho *sho;
static struct om_dm_msg msg, got;
static uint8_t nonce[64];
static size_t nonce_len;

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static const char *state_of(const char *tre_id)
{
	static struct sho_device_status st;
	return sho_status(sho, tre_id, &st) < 0 ? "?" : st.state;
}

/* One number from an SQLite file (-1 if it cannot be read). */
static long long db_int(const char *rel, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	char p[700];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* How often needle occurs in the file rel. */
static int occurrences(const char *rel, const char *needle)
{
	size_t n = 0;
	char *text = (char *)check_slurp(at(rel), &n);
	int k = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
		k++;
	free(text);
	return k;
}

/* ---- the daemons ------------------------------------------------------------- */

static pid_t spawn(const char *role, const char *failpoint)
{
	char exe[700], conf[700], log[700];
	snprintf(exe, sizeof(exe), "%s/openmcim-%s", bin_dir, role);
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, role);
	snprintf(log, sizeof(log), "%s/%s.log", dir, role);
	if (failpoint)
		setenv("OM_FAILPOINT", failpoint, 1);
	pid_t pid = du_spawn_daemon(exe, conf, log, 1);
	unsetenv("OM_FAILPOINT");
	return pid;
}

/* Wait for the n-th "started" line of role's log; its port. */
static unsigned started(const char *role, int n)
{
	char log[700];
	snprintf(log, sizeof(log), "%s.log", role);
	for (int i = 0; i < TIMEOUT_MS / 50 && occurrences(log, " started ") < n; i++)
		du_nap_ms(50);
	snprintf(log, sizeof(log), "%s/%s.log", dir, role);
	unsigned port = du_log_port(log, " started ", 100);
	/* the last started line is the one of this run */
	size_t len = 0;
	char *text = (char *)check_slurp(log, &len);
	const char *last = NULL;
	for (const char *p = text; p && (p = strstr(p, " started ")); p++)
		last = p;
	const char *pp = last ? strstr(last, " port=") : NULL;
	if (pp)
		port = (unsigned)atoi(pp + 6);
	free(text);
	CHECK_MSG(port != 0, "openmcim-%s did not start; see %s", role, log);
	return port;
}

/* Wait for pid to die of SIGKILL (its failpoint); after TIMEOUT_MS it is killed here and the check fails. */
static void killed(pid_t pid, const char *what)
{
	int st = 0, i = 0;
	pid_t r = 0;
	for (; i < TIMEOUT_MS / 50 && (r = waitpid(pid, &st, WNOHANG)) == 0; i++)
		du_nap_ms(50);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		CHECK_MSG(0, "%s: the daemon did not stop at its crash point", what);
		return;
	}
	CHECK_MSG(r == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: wait status %d", what, st);
	dpf_pid = 0;
}

static void stop(pid_t pid, const char *role)
{
	int st = du_stop_daemon(pid, SIGTERM);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "openmcim-%s: wait status %d", role, st);
}

/* ---- the device's transport: SyncML over HTTPS with libcurl ------------------- */

struct buf {
	uint8_t b[OM_DM_MSG_MAX];
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	if (b->len + size * n > sizeof(b->b))
		return 0;
	memcpy(b->b + b->len, data, size * n);
	b->len += size * n;
	return size * n;
}

/* POST bytes to the DPF; the answer parsed into got. The HTTP status, or -1 when no answer came. */
static int post_raw(const uint8_t *in, size_t len)
{
	static struct buf ans;
	char url[128], ca[700];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " OM_DM_CONTENT_TYPE);
	CURL *c = curl_easy_init();
	long status = -1;
	ans.len = 0;
	snprintf(url, sizeof(url), "https://localhost:%u/dm", dpf_port);
	snprintf(ca, sizeof(ca), "%s/tls/ca.pem", dir);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)in);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (status == 200) {
		CHECK_INT(om_dm_parse(ans.b, ans.len, &got), 0);
		if (got.n_cmds > 0 && got.cmds[0].next_nonce_len > 0 && got.cmds[0].next_nonce_len <= sizeof(nonce)) {
			memcpy(nonce, got.cmds[0].next_nonce, got.cmds[0].next_nonce_len);
			nonce_len = got.cmds[0].next_nonce_len;
		}
	}
	return (int)status;
}

/* Encode msg and POST it; the wire bytes kept in wire when given. */
static int post(uint8_t *wire, size_t *wire_len)
{
	static uint8_t buf[OM_DM_MSG_MAX];
	int n = om_dm_encode(&msg, buf, sizeof(buf));
	CHECK(n > 0);
	if (n <= 0)
		return -1;
	if (wire) {
		memcpy(wire, buf, (size_t)n);
		*wire_len = (size_t)n;
	}
	return post_raw(buf, (size_t)n);
}

/* ---- the device's sessions --------------------------------------------------- */

/* Package 1 challenged, then answered with the TRE's Cred: the Get. Returns 0 with its refs. */
static int authenticate(struct om_tre *tre, const char *user, const char *sid, uint32_t *msg_id, uint32_t *srv_msg,
			uint32_t *get_cmd)
{
	tk_package1(&msg, sid, (*msg_id)++, user, tre, 0, nonce, nonce_len);
	CHECK_INT(post(NULL, NULL), 200);
	CHECK_INT(tk_hdr_status(&got), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&got);
	tk_package1(&msg, sid, (*msg_id)++, user, tre, 1, nonce, nonce_len);
	CHECK_INT(post(NULL, NULL), 200);
	CHECK_INT(tk_hdr_status(&got), OM_DM_STATUS_AUTH_ACCEPTED);
	const struct om_dm_cmd *g = tk_find(&got, OM_DM_CMD_GET);
	CHECK(g && g->n_items == 1 && !strcmp(g->items[0].target, OM_DM_URI_M2MMOBJ));
	*srv_msg = got.hdr.msg_id;
	*get_cmd = g ? g->cmd_id : 0;
	om_dm_msg_free(&got);
	return g ? 0 : -1;
}

/* The outcome alert in a package 1 with (cred 1) or without (0) the Cred. The HTTP status. */
static int outcome(struct om_tre *tre, const char *user, const char *sid, uint32_t msg_id, int cred,
		   uint32_t *alert_cmd)
{
	tk_package1(&msg, sid, msg_id, user, tre, cred, nonce, nonce_len);
	*alert_cmd = tk_add_outcome(&msg, "active");
	return post(NULL, NULL);
}

/* ---- the parts ------------------------------------------------------------------- */

static void write_sho_conf(const char *ocsp_url, const char *sock)
{
	FILE *f = fopen(at("sho-service.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "[sho]\ndb = %s/sho.db\nid = SHO-B\n", dir);
	fprintf(f, "[imsi]\nmcc = 001\nmnc = 02\nmsin_first = 0000000001\nmsin_last = 0000000099\n");
	fprintf(f, "[subscription]\nop = cdc202d5123e20f62b6d676ac72cb318\napn = internet.sho-b\nroaming = any\n");
	fprintf(f, "[pva]\nca = %s/cas/pva-ca.pem\nocsp_url = %s\n[hss]\nsocket = %s\n", dir, ocsp_url, sock);
	fprintf(f, "[handover]\nsign_key = %s/sho-b-signing.key\nsign_cert = %s/sho-b-signing.pem\n", dir, dir);
	fprintf(f, "provurl = %s\nserver_id = sho-b-dpf\ndpf_apn = prov.sho-b\n", TK_SERVER);
	fclose(f);
}

static void write_dpf_conf(const char *pva_url)
{
	FILE *f = fopen(at("dpf.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "[dpf]\ndb = %s/dpf.db\nsho_conf = %s/sho-service.conf\npva_url = %s\n", dir, dir, pva_url);
	fprintf(f, "tls_cert = %s/tls/dpf.sho-b.lab.pem\ntls_key = %s/tls/dpf.sho-b.lab.key\n", dir, dir);
	fprintf(f, "listen = 127.0.0.1\nport = 0\nlog_level = debug\ndrf_db = %s/drf-b.db\n", dir);
	fprintf(f, "operator_cert = %s/tls/drf.sho-b.lab.pem\noperator_key = %s/tls/drf.sho-b.lab.key\n", dir, dir);
	fprintf(f, "[peer.SHO-A]\nurl = https://localhost:%u\nca = %s/tls/ca.pem\n", drf_port, dir);
	fclose(f);
}

static void write_drf_conf(void)
{
	FILE *f = fopen(at("drf.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "[drf]\ndb = %s/drf-a.db\nsho_id = SHO-A\n", dir);
	fprintf(f, "signing_key = %s/cas/ro-signing.key\nsigning_cert = %s/cas/ro-signing.pem\n", dir, dir);
	fprintf(f, "tls_cert = %s/tls/drf.sho-a.lab.pem\ntls_key = %s/tls/drf.sho-a.lab.key\n", dir, dir);
	fprintf(f, "client_ca = %s/tls/ca.pem\npeers = SHO-B:drf.sho-b.lab\n", dir);
	fprintf(f, "listen = 127.0.0.1\nport = 0\ngrace_period = 3600\nlog_level = debug\n");
	fclose(f);
}

/* SHO-B asks SHO-A's DRF (curl with SHO-B's TLS identity) to take tre_id over; SHO-B records the answer. */
static void handover(const char *tre_id, const char *code, X509 *sho_b_cert, char *request_id)
{
	struct om_handover_req r;
	uint8_t *req = NULL;
	size_t rl = 0;
	char url[128], data[700], ca[700], cert[700], key[700], out[1024];
	memset(&r, 0, sizeof(r));
	CHECK_INT(sho_handover_request(sho, OWNER, SECRET, tre_id, code, &req, &rl), 0);
	CHECK_INT(om_handover_verify(req, rl, X509_get0_pubkey(sho_b_cert), &r), 0);
	snprintf(request_id, OM_HANDOVER_ID_MAX + 1, "%s", r.request_id);
	FILE *f = fopen(at("handover.req"), "wb");
	CHECK(f && fwrite(req, 1, rl, f) == rl);
	if (f)
		fclose(f);
	snprintf(url, sizeof(url), "https://localhost:%u/handover", drf_port);
	snprintf(data, sizeof(data), "@%s/handover.req", dir);
	snprintf(ca, sizeof(ca), "%s/tls/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/tls/drf.sho-b.lab.pem", dir);
	snprintf(key, sizeof(key), "%s/tls/drf.sho-b.lab.key", dir);
	const char *argv[] = { "curl", "-s", "--max-time", "10", "--cacert", ca, "--cert", cert, "--key", key,
			       "--data-binary", data, url, NULL };
	CHECK_INT(du_run_quiet(argv, 0, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "result=accepted") != NULL, "DRF: %s", out);
	CHECK_INT(sho_handover_answer(sho, tre_id, r.request_id, 1, NULL), 0);
	free(req);
	om_handover_free(&r);
}

/* The bootstrap SHO-A's DRF built for the handover, read from its register, given to the TRE. */
static void bootstrap(struct om_tre *tre, const char *request_id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_open_v2(at("drf-a.db"), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT bootstrap FROM handover WHERE request_id = ?1", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		ok = 1;
		CHECK_INT(om_tre_bootstrap(tre, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
					   time(NULL)),
			  0);
	}
	CHECK_MSG(ok, "no bootstrap for %s in SHO-A's register", request_id);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- the scenario ---------------------------------------------------------------- */

static void scenario(struct om_tre *tre, const char *tre_id, const char *pva_url, const char *request_id)
{
	static uint8_t obj[OM_MOBJ_MAX], p3[OM_DM_MSG_MAX], mcim[OM_MOBJ_MAX];
	char user[OM_BOOTSTRAP_NAME_MAX + 1], server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	uint32_t msg_id = 1, srv_msg = 0, get_cmd = 0, alert_cmd = 0;
	uint8_t mid[OM_MCIM_MID_LEN];
	size_t p3_len = 0;
	CHECK_INT(om_tre_dm_identity(tre, user, server_id), 0);

	/* 1. killed at dpf.released: the release is committed, the answer never comes */
	write_dpf_conf(pva_url);
	pid_t dpf = dpf_pid = spawn("dpf", "dpf.released");
	dpf_port = started("dpf", 1);
	if (authenticate(tre, user, "S1", &msg_id, &srv_msg, &get_cmd) < 0)
		return;
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	tk_package3(&msg, "S1", msg_id++, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	CHECK_INT(post(NULL, NULL), -1);
	killed(dpf, "dpf.released");
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_release WHERE state = 'released'"), 1);

	/* restarted: the device's retry, a new session and a fresh M2MMobj, supersedes the release */
	dpf = dpf_pid = spawn("dpf", "dpf.outcome");
	dpf_port = started("dpf", 2);
	msg_id = 1;
	if (authenticate(tre, user, "S2", &msg_id, &srv_msg, &get_cmd) < 0)
		return;
	n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	tk_package3(&msg, "S2", msg_id++, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	CHECK_INT(post(p3, &p3_len), 200);
	const struct om_dm_cmd *r = tk_find(&got, OM_DM_CMD_REPLACE);
	CHECK(r && r->n_items == 1 && !strcmp(r->items[0].target, OM_DM_URI_M2MMCIMMOBJ));
	size_t ml = r ? r->items[0].data_len : 0;
	uint32_t rep_msg = got.hdr.msg_id, rep_cmd = r ? r->cmd_id : 0;
	if (r)
		memcpy(mcim, r->items[0].data, ml);
	om_dm_msg_free(&got);
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_release WHERE state = 'superseded'"), 1);
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_release WHERE state = 'released'"), 1);

	/* the same package 3 again: 403, nothing released */
	CHECK_INT(post_raw(p3, p3_len), 200);
	CHECK_INT(tk_hdr_status(&got), 403);
	CHECK(tk_find(&got, OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&got);
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_release"), 2);

	/* installed, Status 200: provisioned */
	CHECK_INT(om_tre_install_mcim(tre, mcim, ml, time(NULL), mid), 0);
	tk_install_status(&msg, "S2", msg_id++, user, rep_msg, rep_cmd, OM_DM_STATUS_OK);
	CHECK_INT(post(NULL, NULL), 200);
	CHECK_INT(tk_hdr_status(&got), OM_DM_STATUS_OK);
	CHECK(got.final && tk_find(&got, OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&got);
	CHECK(!strcmp(state_of(tre_id), "provisioned"));
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_release WHERE state = 'installed'"), 1);

	/* 2. the outcome without credentials: challenged, nothing changes */
	CHECK_INT(outcome(tre, user, "S3", 1, 0, &alert_cmd), 200);
	CHECK_INT(tk_hdr_status(&got), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&got);
	CHECK(!strcmp(state_of(tre_id), "provisioned"));
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_completion"), 0);

	/* with them: killed at dpf.outcome, recorded but not sent */
	CHECK_INT(outcome(tre, user, "S3", 2, 1, &alert_cmd), -1);
	killed(dpf, "dpf.outcome");
	CHECK(!strcmp(state_of(tre_id), "active"));
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_completion WHERE state = 'pending'"), 1);
	CHECK_INT(occurrences("drf.log", "drf-completed peer="), 0);

	/* restarted: the queue resumes, the completion is sent; the device's repeat changes nothing */
	dpf = dpf_pid = spawn("dpf", NULL);
	dpf_port = started("dpf", 3);
	char dpf_log[700];
	snprintf(dpf_log, sizeof(dpf_log), "%s/dpf.log", dir);
	free(du_wait_log(dpf_log, "result=completed", TIMEOUT_MS));
	CHECK_INT(db_int("dpf.db", "SELECT count(*) FROM dpf_completion WHERE state = 'done'"), 1);
	CHECK_INT(outcome(tre, user, "S4", 1, 0, &alert_cmd), 200);
	om_dm_msg_free(&got);
	CHECK_INT(outcome(tre, user, "S4", 2, 1, &alert_cmd), 200);
	CHECK_INT(tk_hdr_status(&got), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK_INT(tk_status_for(&got, alert_cmd), OM_DM_STATUS_OK);
	CHECK(got.final && tk_find(&got, OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&got);
	du_nap_ms(1500); /* a second report would have gone by now */
	CHECK_INT(occurrences("drf.log", "drf-completed peer="), 1);
	CHECK_INT(occurrences("drf.log", "drf-handover-completed"), 1);
	CHECK_INT(db_int("drf-a.db", "SELECT count(*) FROM handover WHERE state = 'completed'"), 1);
	(void)request_id;
	stop(dpf, "dpf");
	dpf_pid = 0;

	/* SHO-B's register has the device, with its new IMSI; SHO-A's no longer serves it */
	struct drf *d = NULL;
	struct drf_config dc = { .db_path = at("drf-b.db") };
	struct drf_device_status ds;
	struct sho_device_status st;
	char err[256];
	CHECK_INT(sho_status(sho, tre_id, &st), 0);
	CHECK_MSG(drf_open(&d, &dc, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(drf_device_status(d, tre_id, time(NULL), &ds), 0);
	CHECK(!strcmp(ds.imsi, st.imsi) && ds.ours == 1 && !strcmp(ds.owner, OWNER));
	drf_close(d);
	dc.db_path = at("drf-a.db");
	CHECK_MSG(drf_open(&d, &dc, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(drf_device_status(d, tre_id, time(NULL), &ds), 0);
	CHECK_INT(ds.ours, 0);
	drf_close(d);
}

int main(void)
{
	char why[256], err[256], sock[700], ocsp_url[64], pva_url[64], ca_path[700], rc_path[700], rk_path[700];
	char code[DRF_CODE_TEXT_LEN + 1], request_id[OM_HANDOVER_ID_MAX + 1] = "";
	struct sho_device_in *note = NULL;
	struct sho_row_report rep[2];
	struct pf_sho b;
	om_log_init("dpf-daemon-test", OM_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	snprintf(bin_dir, sizeof(bin_dir), "%.*s", strrchr(cli, '/') ? (int)(strrchr(cli, '/') - cli) : 1,
		 strrchr(cli, '/') ? cli : ".");

	/* the factory: the RO is SHO-A, one device */
	CHECK_INT(om_factory_init_cas(at("cas"), "Test PVA", "SHO-A"), 0);
	X509 *pva_cert = NULL, *ro_cert = NULL;
	EVP_PKEY *pva_key = NULL;
	struct om_ca *pva_ca = NULL;
	CHECK_INT(om_cert_load(&pva_cert, at("cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&pva_key, at("cas/pva-ca.key")), 0);
	CHECK_INT(om_ca_open(&pva_ca, pva_cert, pva_key), 0);
	CHECK_INT(om_cert_load(&ro_cert, at("cas/ro-signing.pem")), 0);
	struct om_factory_config fc = { .pva_ca = pva_ca, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = 1, .jobs = 1 };
	CHECK_INT(om_factory_run(at("run"), &fc, NULL), 0);
	int n_note = sho_note_read(at("run/owner/delivery-note.csv"), &note, why, sizeof(why));
	CHECK_MSG(n_note == 1, "%d: %s", n_note, why);
	if (n_note != 1)
		return check_done();

	/* the PVA on loopback */
	CHECK_INT(pf_issue(pva_ca, OM_CERT_OCSP_RESPONDER, dir, "responder", "PVA OCSP", NULL), 0);
	snprintf(ca_path, sizeof(ca_path), "%s/cas/pva-ca.pem", dir);
	snprintf(rc_path, sizeof(rc_path), "%s/responder.pem", dir);
	snprintf(rk_path, sizeof(rk_path), "%s/responder.key", dir);
	struct pva_config pc = { .db_path = strdup(at("pva.db")), .ca_cert = ca_path, .responder_cert = rc_path,
				 .responder_key = rk_path };
	struct pva *pva = pva_open(&pc, err, sizeof(err));
	CHECK_MSG(pva != NULL, "pva_open: %s", err);
	long nd = 0, nr = 0;
	CHECK_INT(pva_import_dir(pva, at("run/pva"), &nd, &nr, why, sizeof(why)), 0);
	struct om_http_server *http = NULL;
	struct om_http_opts ho = { .port = 0 };
	CHECK_INT(om_http_server_new(&http, &ho, err, sizeof(err)), 0);
	CHECK_INT(pva_http_routes(http, pva), 0);
	CHECK_INT(om_http_server_start(http), 0);
	snprintf(ocsp_url, sizeof(ocsp_url), "http://127.0.0.1:%u/", (unsigned)om_http_server_port(http));
	snprintf(pva_url, sizeof(pva_url), "http://127.0.0.1:%u", (unsigned)om_http_server_port(http));

	/* TLS: one lab CA for SHO-A's DRF, SHO-B's operator identity and SHO-B's DPF */
	CHECK_INT(mkdir(at("tls"), 0700), 0);
	struct om_ca *lab = pf_make_ca(at("tls"), "Lab operators root", "ca.pem");
	char tls_dir[700];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", dir);
	CHECK(lab != NULL);
	if (!lab)
		return check_done();
	CHECK_INT(pf_issue_tls(lab, tls_dir, "drf.sho-a.lab", "localhost"), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "drf.sho-b.lab", NULL), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "dpf.sho-b.lab", "localhost"), 0);

	/* SHO-B: its signing identity, its HSS, its registration core with the device registered */
	snprintf(sock, sizeof(sock), "%s/hss-sock/prov.sock", dir);
	struct hss_config hc = { .db_path = strdup(at("hss.db")) };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);
	pf_sho_make(&b, "SHO-B");
	CHECK_INT(om_key_save(at("sho-b-signing.key"), b.key), 0);
	CHECK_INT(om_cert_save(at("sho-b-signing.pem"), b.cert), 0);
	static const uint8_t op[16] = { 0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
					0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18 };
	struct sho_config cfg = {
		.db_path = strdup(at("sho.db")), .sho_id = "SHO-B", .mcc = "001", .mnc = "02",
		.msin_first = "0000000001", .msin_last = "0000000099", .op = op, .apn = "internet.sho-b",
		.roaming = "any", .amf = { 0x80, 0x00 }, .ind_bits = 5, .pva_ca = pva_cert, .ocsp_url = ocsp_url,
		.hss_socket = sock, .sign_key = b.key, .sign_cert = b.cert, .provurl = TK_SERVER,
		.server_id = "sho-b-dpf", .dpf_apn = "prov.sho-b",
	};
	CHECK_MSG(sho_open(&sho, &cfg, why, sizeof(why)) == 0, "sho_open: %s", why);
	CHECK_INT(sho_owner_add(sho, OWNER, SECRET), 0);
	CHECK_INT(sho_register(sho, OWNER, SECRET, note, 1, 0, rep), 0);
	write_sho_conf(ocsp_url, sock);

	/* SHO-A's DRF: the device (its PCID subscription), SHO-B as a peer, the owner's transfer code */
	struct drf *da = NULL;
	struct drf_config dac = { .db_path = strdup(at("drf-a.db")) };
	CHECK_MSG(drf_open(&da, &dac, err, sizeof(err)) == 0, "%s", err);
	if (da) {
		int64_t now = (int64_t)time(NULL);
		CHECK_INT(drf_device_add(da, note[0].tre_id, OLD_IMSI, now - 100, note[0].cert_enc,
					 note[0].cert_enc_len, OWNER, 0),
			  0);
		CHECK_INT(drf_operator_add(da, "SHO-B", b.der, b.der_len, now), 0);
		CHECK_INT(drf_transfer_code_issue(da, note[0].tre_id, now, 0, code), 0);
		drf_close(da);
	}
	write_drf_conf();
	pid_t drf = spawn("drf", NULL);
	drf_port = started("drf", 1);

	/* the handover accepted by SHO-A, its bootstrap in the TRE */
	struct om_tre *tre = NULL;
	char tre_dir[800];
	handover(note[0].tre_id, code, b.cert, request_id);
	snprintf(tre_dir, sizeof(tre_dir), "%s/run/devices/%s", dir, note[0].tre_id);
	CHECK_INT(om_tre_open(&tre, tre_dir, 0), 0);
	if (tre && !check_failures()) {
		bootstrap(tre, request_id);
		if (!check_failures())
			scenario(tre, note[0].tre_id, pva_url, request_id);
	}
	om_tre_close(tre);
	if (dpf_pid > 0)
		du_stop_daemon(dpf_pid, SIGKILL);
	stop(drf, "drf");
	if (check_failures()) {
		char log[800];
		snprintf(log, sizeof(log), "cat %s/dpf.log %s/drf.log 1>&2", dir, dir);
		if (system(log) != 0)
			fprintf(stderr, "(no logs)\n");
	}

	sho_close(sho);
	hss_provision_stop();
	hss_close(hss);
	om_http_server_free(http);
	pva_close(pva);
	free((void *)pc.db_path);
	free((void *)hc.db_path);
	free((void *)cfg.db_path);
	free((void *)dac.db_path);
	sho_devices_free(note, (size_t)n_note);
	pf_sho_free(&b);
	om_ca_free(lab);
	om_ca_free(pva_ca);
	X509_free(pva_cert);
	X509_free(ro_cert);
	EVP_PKEY_free(pva_key);
	if (!check_failures())
		kit_rm_rf(dir);
	return check_done();
}
