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
 *      SHO-B's DRF register, no longer SHO-A's. Two reports queued ahead
 *      of it fail (the peer's DRF unreachable; refused): it is sent all the
 *      same, the refused one kept, the unreachable one retried (issue 11).
 *      Before that, forged outcome statements over the wire (issue 12:
 *      unsigned, another key, another nonceB, another IMSI, a lower
 *      counter): 403 each, its code in the DPF's log, every row of the four
 *      databases and every byte of the TRE unchanged. Likewise a package 3
 *      after the 212 without its x-syncml-hmac, or with a wrong one: 401,
 *      nothing changed.
 *   3. A copy of the TRE directory taken after the bootstrap, used again
 *      once the device is active: its M2MMobj is refused for its state
 *      counter (OM_EDPF_COUNTER), nothing changed (issue 12).
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include "admin_call.h"
#include "dpf_testkit.h"
#include "log.h"
#include "pg_cluster.h"
#include "refusal_kit.h"
#include "store.h"
#include "tre_int.h" /* forged statements signed with the TRE's own key reach the checks after the signature */

#define OWNER TK_OWNER
#define OLD_IMSI "001010000000001"
#define TIMEOUT_MS 15000

static struct tk_parts P;
static char bin_dir[512];
static unsigned dpf_port, drf_port, dead_port;
static pid_t dpf_pid; /* the DPF running now, stopped at the end whatever happened */
static struct tk_dm dev;

/* SHO-A's DRF's store (t_store_conf: SQLite, or PostgreSQL with OM_TEST_STORE=pg) */
static char drf_a_db[700];

/* One number from the store db (-1 if it cannot be read). */
static long long db_int(const char *db, const char *sql)
{
	return t_sql_int(db, sql);
}

/* How often needle occurs in the file rel. */
static int occurrences(const char *rel, const char *needle)
{
	size_t n = 0;
	char *text = (char *)check_slurp(tk_at(&P, rel), &n);
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
	snprintf(conf, sizeof(conf), "%s/%s.conf", P.dir, role);
	snprintf(log, sizeof(log), "%s/%s.log", P.dir, role);
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
	snprintf(log, sizeof(log), "%s/%s.log", P.dir, role);
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

/* POST bytes to the DPF; the answer parsed into dev.got. The HTTP status, or -1 when no answer came. */
static int post_raw(const uint8_t *in, size_t len)
{
	static struct buf ans;
	char url[128], ca[700], hmac[sizeof(dev.hmac) + 16];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " OM_DM_CONTENT_TYPE);
	snprintf(hmac, sizeof(hmac), "x-syncml-hmac: %s", dev.hmac);
	if (dev.hmac[0])
		h = curl_slist_append(h, hmac);
	CURL *c = curl_easy_init();
	long status = -1;
	ans.len = 0;
	snprintf(url, sizeof(url), "https://localhost:%u/dm", dpf_port);
	snprintf(ca, sizeof(ca), "%s/tls/ca.pem", P.dir);
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
	if (status == 200)
		(void)tk_answer(&dev, ans.b, ans.len);
	return (int)status;
}

/* Encode the device's message and POST it; the wire bytes kept in wire when given. */
static int post(uint8_t *wire, size_t *wire_len)
{
	int n = tk_encode(&dev, wire, wire_len);
	if (n <= 0)
		return -1;
	return post_raw(dev.buf, (size_t)n);
}

/* ---- the device's sessions --------------------------------------------------- */

/* Package 1 challenged, then answered with the TRE's Cred: the Get. Returns 0 with its refs. */
static int authenticate(struct om_tre *tre, const char *user, const char *sid, uint32_t *msg_id, uint32_t *srv_msg,
			uint32_t *get_cmd)
{
	(void)tk_package1(&dev, sid, (*msg_id)++, user, tre, 0, 0);
	CHECK_INT(post(NULL, NULL), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&dev.got);
	(void)tk_package1(&dev, sid, (*msg_id)++, user, tre, 1, 0);
	CHECK_INT(post(NULL, NULL), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_AUTH_ACCEPTED);
	const struct om_dm_cmd *g = tk_find(&dev.got, OM_DM_CMD_GET);
	CHECK(g && g->n_items == 1 && !strcmp(g->items[0].target, OM_DM_URI_M2MMOBJ));
	*srv_msg = dev.got.hdr.msg_id;
	*get_cmd = g ? g->cmd_id : 0;
	om_dm_msg_free(&dev.got);
	return g ? 0 : -1;
}

/* The outcome alert in a package 1 with (cred 1) or without (0) the Cred. The HTTP status. */
static int outcome(struct om_tre *tre, const char *user, const char *sid, uint32_t msg_id, int cred,
		   uint32_t *alert_cmd)
{
	*alert_cmd = tk_package1(&dev, sid, msg_id, user, tre, cred, OM_OUTCOME_ACTIVE);
	return post(NULL, NULL);
}

/* Package 1 with the Cred and an outcome alert carrying stmt as it is (not the TRE's own). The HTTP status. */
static int outcome_bytes(struct om_tre *tre, const char *user, const char *sid, uint32_t msg_id, const uint8_t *stmt,
			 size_t len, uint32_t *alert_cmd)
{
	tk_begin(&dev, sid, msg_id, user);
	CHECK_INT(om_tre_dm_digest(tre, dev.nonce, dev.nonce_len, dev.cred), 0);
	dev.msg.hdr.cred = OM_DM_AUTH_MD5;
	dev.msg.hdr.cred_data = dev.cred;
	agent_dm_package1(&dev.msg, TK_DEVICE, stmt, len, alert_cmd);
	return post(NULL, NULL);
}

static void keep_answer(void *ctx, const char *line)
{
	snprintf(ctx, 256, "%s", line);
}

/* One command (verb, then arg) on the running DPF's admin socket; its one data line in ans[256]. */
static int dpf_status_call(const char *verb, const char *arg, char *ans)
{
	char line[160], sock[700], why[512];
	snprintf(line, sizeof(line), "%s%s\n", verb, arg);
	snprintf(sock, sizeof(sock), "%s/dpf-status/status.sock", P.dir);
	struct om_admin_peer p = { .path = sock, .timeout_ms = 5000 };
	ans[0] = '\0';
	return om_admin_peer_call(&p, line, keep_answer, ans, why, sizeof(why));
}

/*
 * Issue 13: the DRF's admin socket, the SHO's internal socket and the DPF's
 * status socket hear only root and their daemon's own uid (SO_PEERCRED).
 * A forked child that setuid()s to nobody is stopped by the 0700 directory
 * first (exit 20 of du_as_nobody), and with the directory and the socket
 * opened to everyone it is still refused with OM_EPERM (30). A state move
 * sent by nobody leaves the device's state as it was.
 */
static void other_uid_is_refused(const char *tre_id)
{
	char status_sock[760], state[32];
	if (geteuid() != 0) {
		printf("NOTE: not root: the setuid(65534) peer test needs root\n");
		return;
	}
	snprintf(status_sock, sizeof(status_sock), "%s/dpf-status/status.sock", P.dir);
	char mark[200];
	snprintf(mark, sizeof(mark), "mark-provisioned %s\n", tre_id);
	const char *socks[] = { P.sho_sock, P.drf_sock, status_sock }, *cmds[] = { mark, "pending\n", "completions\n" };
	snprintf(state, sizeof(state), "%s", tk_state_of(&P, tre_id));
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		char d[760];
		snprintf(d, sizeof(d), "%s", socks[i]);
		*strrchr(d, '/') = '\0';
		CHECK_MSG(du_as_nobody(socks[i], cmds[i]) == 20, "%s: the 0700 directory did not stop nobody", socks[i]);
		CHECK_INT(chmod(P.dir, 0711), 0);
		CHECK_INT(chmod(d, 0711), 0);
		CHECK_INT(chmod(socks[i], 0666), 0);
		CHECK_MSG(du_as_nobody(socks[i], cmds[i]) == 30, "%s: nobody was not refused with OM_EPERM", socks[i]);
		CHECK_INT(chmod(socks[i], 0600), 0);
		CHECK_INT(chmod(d, 0700), 0);
		CHECK_INT(chmod(P.dir, 0700), 0);
	}
	CHECK_MSG(!strcmp(tk_state_of(&P, tre_id), state), "state %s, was %s", tk_state_of(&P, tre_id), state);
}

static char *world(const char *tre_dir)
{
	const char *dbs[] = { P.dpf_db, P.sho_db, drf_a_db, P.drf_b_db }, *dirs[] = { tre_dir };
	return rk_snapshot(dbs, 4, dirs, 1);
}

/* One forged statement in a session of its own: challenged, then 403 for the alert, code logged, nothing changed. */
static void forged_refused(struct om_tre *tre, const char *user, const char *sid, const uint8_t *stmt, size_t len,
			   int code)
{
	uint32_t alert_cmd = 0;
	char needle[96];
	snprintf(needle, sizeof(needle), "code=%s", om_errname(code));
	int seen = occurrences("dpf.log", needle);
	char *before = world(tre->dir);
	CHECK_INT(outcome(tre, user, sid, 1, 0, &alert_cmd), 200); /* the challenge and its nonce */
	om_dm_msg_free(&dev.got);
	CHECK_INT(outcome_bytes(tre, user, sid, 2, stmt, len, &alert_cmd), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK_MSG(tk_status_for(&dev.got, alert_cmd) == 403, "%s: status %d", sid, tk_status_for(&dev.got, alert_cmd));
	om_dm_msg_free(&dev.got);
	char *after = world(tre->dir);
	CHECK_MSG(rk_same(before, after, sid), "%s: something changed", sid);
	free(before);
	free(after);
	for (int i = 0; i < 50 && occurrences("dpf.log", needle) == seen; i++)
		du_nap_ms(20);
	CHECK_MSG(occurrences("dpf.log", needle) > seen, "%s: %s not logged", sid, needle);
}

static void forged_outcomes_over_the_wire(struct om_tre *tre, const char *user)
{
	uint8_t st[OM_OUTCOME_MAX];
	struct om_outcome g, o;
	X509 *cert = NULL;
	EVP_PKEY *stranger = NULL;
	int n = om_tre_outcome(tre, OM_OUTCOME_ACTIVE, time(NULL), st, sizeof(st));
	CHECK(n > 0);
	CHECK_INT(sho_tre_sign_cert(P.sho, tre->st.tre_id, &cert), 0);
	CHECK_INT(om_outcome_verify(st, n > 0 ? (size_t)n : 0, cert ? X509_get0_pubkey(cert) : NULL, &g), 0);
	X509_free(cert);
	forged_refused(tre, user, "F1", (const uint8_t *)"active", 6, OM_EDPF_OUTCOME_SIGNATURE);
	CHECK_INT(om_key_generate(&stranger, OM_KEY_EC_P256), 0);
	n = om_outcome_build(&g, stranger, st, sizeof(st));
	forged_refused(tre, user, "F2", st, n > 0 ? (size_t)n : 0, OM_EDPF_OUTCOME_SIGNATURE);
	EVP_PKEY_free(stranger);
	o = g;
	o.nonce_b[5] ^= 0x20;
	n = om_outcome_build(&o, tre->sign_key, st, sizeof(st));
	forged_refused(tre, user, "F3", st, n > 0 ? (size_t)n : 0, OM_EDPF_OUTCOME_NONCE_B);
	o = g;
	o.imsi[strlen(o.imsi) - 1] = o.imsi[strlen(o.imsi) - 1] == '1' ? '2' : '1';
	n = om_outcome_build(&o, tre->sign_key, st, sizeof(st));
	forged_refused(tre, user, "F4", st, n > 0 ? (size_t)n : 0, OM_EDPF_OUTCOME_IMSI);
	o = g;
	o.counter = 1;
	n = om_outcome_build(&o, tre->sign_key, st, sizeof(st));
	forged_refused(tre, user, "F5", st, n > 0 ? (size_t)n : 0, OM_EDPF_COUNTER);
}

/* Issue 12: after the 212, package 3 without its x-syncml-hmac (wrong 0) or with a wrong one (1): 401, nothing changes. */
static void hmac_over_the_wire(struct om_tre *tre, const char *user, const char *sid, int wrong)
{
	static uint8_t obj[OM_MOBJ_MAX];
	uint32_t msg_id = 1, srv_msg = 0, get_cmd = 0;
	char *before = world(tre->dir);
	if (authenticate(tre, user, sid, &msg_id, &srv_msg, &get_cmd) < 0)
		return;
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	tk_package3(&dev, sid, msg_id++, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	int len = tk_encode(&dev, NULL, NULL);
	CHECK(len > 0 && dev.hmac[0]);
	if (wrong) {
		char *mac = strstr(dev.hmac, "mac=");
		if (mac)
			mac[5] = mac[5] == 'Q' ? 'R' : 'Q';
	} else {
		dev.hmac[0] = '\0';
	}
	CHECK_INT(post_raw(dev.buf, len > 0 ? (size_t)len : 0), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_UNAUTHORIZED);
	CHECK(tk_find(&dev.got, OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&dev.got);
	char *after = world(tre->dir);
	CHECK_MSG(rk_same(before, after, sid), "%s: something changed", sid);
	free(before);
	free(after);
	for (int i = 0; i < 50 && occurrences("dpf.log", "code=OM_EDPF_DM_HMAC") < 1 + wrong; i++)
		du_nap_ms(20);
	CHECK_INT(occurrences("dpf.log", "code=OM_EDPF_DM_HMAC"), 1 + wrong);
}

/*
 * Issue 12: the device's TRE directory as it was after the bootstrap, kept
 * aside while the device went on (provisioned, reported `active`), then
 * used again: it opens and works, authenticates, and signs an M2MMobj for
 * the same handover. The real DPF has seen a higher state counter from this
 * TRE: Status 403 for the Results, OM_EDPF_COUNTER in its log, nothing
 * changed in any database or in the copy.
 */
static void restored_copy_over_the_wire(const char *copy_dir, const char *user)
{
	static uint8_t obj[OM_MOBJ_MAX];
	uint32_t msg_id = 1, srv_msg = 0, get_cmd = 0;
	struct om_tre *copy = NULL;
	/* the queue's test reports of issue 11 closed first: a retrying sender would change rows meanwhile */
	CHECK_INT(t_sql_exec(P.dpf_db, "UPDATE dpf_completion SET state = 'done' WHERE state != 'done'"), 0);
	dpf_pid = spawn("dpf", NULL);
	dpf_port = started("dpf", 4);
	CHECK_INT(om_tre_open(&copy, copy_dir, 0), 0);
	if (!copy)
		return;
	char *before = world(copy_dir);
	if (authenticate(copy, user, "R1", &msg_id, &srv_msg, &get_cmd) == 0) {
		int n = om_tre_m2mmobj(copy, obj, sizeof(obj));
		CHECK(n > 0);
		tk_package3(&dev, "R1", msg_id++, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
		uint32_t results = dev.msg.n_cmds ? dev.msg.cmds[dev.msg.n_cmds - 1].cmd_id : 0;
		CHECK_INT(post(NULL, NULL), 200);
		CHECK_INT(tk_status_for(&dev.got, results), 403);
		CHECK(tk_find(&dev.got, OM_DM_CMD_REPLACE) == NULL);
		om_dm_msg_free(&dev.got);
	}
	char *after = world(copy_dir);
	CHECK_MSG(rk_same(before, after, "restored copy"), "the restored copy changed something");
	free(before);
	free(after);
	for (int i = 0; i < 50 && occurrences("dpf.log", "code=OM_EDPF_COUNTER") < 2; i++)
		du_nap_ms(20);
	CHECK_MSG(occurrences("dpf.log", "code=OM_EDPF_COUNTER") >= 2, "the copy's M2MMobj was not refused by its counter");
	om_tre_close(copy);
	stop(dpf_pid, "dpf");
	dpf_pid = 0;
}

/* ---- the parts ------------------------------------------------------------------- */

static void write_dpf_conf(const char *pva_url)
{
	FILE *f = fopen(tk_at(&P, "dpf.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	/* the SHO and the DRF are asked on their sockets, served by their own code in this process */
	fprintf(f, "[dpf]\ndb = %s\nsho_socket = %s\npva_url = %s\n", P.dpf_db, P.sho_sock, pva_url);
	fprintf(f, "sign_key = %s/sho-b-signing.key\nserver_uri = %s\n", P.dir, TK_SERVER);
	fprintf(f, "status_socket = %s/dpf-status/status.sock\n", P.dir);
	fprintf(f, "pva_cert = %s/responder.pem\n", P.dir);
	fprintf(f, "tls_cert = %s/tls/dpf.sho-b.lab.pem\ntls_key = %s/tls/dpf.sho-b.lab.key\n", P.dir, P.dir);
	fprintf(f, "listen = 127.0.0.1\nport = 0\nlog_level = debug\ndrf_socket = %s\n", P.drf_sock);
	fprintf(f, "operator_cert = %s/tls/drf.sho-b.lab.pem\noperator_key = %s/tls/drf.sho-b.lab.key\n", P.dir, P.dir);
	fprintf(f, "[peer.SHO-A]\nurl = https://localhost:%u\nca = %s/tls/ca.pem\n", drf_port, P.dir);
	/* an operator whose DRF cannot be reached: nothing listens there */
	fprintf(f, "[peer.SHO-Z]\nurl = https://localhost:%u\nca = %s/tls/ca.pem\n", dead_port, P.dir);
	fclose(f);
}

/*
 * [application] (spec/000 5.2.4.3.5; docs/dpf.md): what a device would refuse stops the
 * start, with the file and the section named; the right one passes --check-config.
 */
static void application_section_checked(const char *pva_url)
{
	static const struct {
		const char *server, *anchor; /* anchor: under the test directory; NULL: none */
		int status;
	} cases[] = {
		{ "https://app.lab:8443/m2m", "tls/ca.pem", 0 },
		{ "http://app.lab/m2m", "tls/ca.pem", 1 },              /* not https */
		{ "https://app.lab/m2m", "tls/dpf.sho-b.lab.pem", 1 }, /* a leaf: no trust anchor */
		{ "https://app.lab/m2m", NULL, 1 },                    /* half the section */
		{ "https://app lab/", "tls/ca.pem", 1 },                /* a space in the address */
	};
	char exe[700], out[2048];
	snprintf(exe, sizeof(exe), "%s/openmcim-dpf", bin_dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_dpf_conf(pva_url);
		FILE *f = fopen(tk_at(&P, "dpf.conf"), "a");
		CHECK(f != NULL);
		if (!f)
			return;
		fprintf(f, "[application]\nserver = %s\n", cases[i].server);
		if (cases[i].anchor)
			fprintf(f, "trust_anchor = %s/%s\n", P.dir, cases[i].anchor);
		fclose(f);
		const char *argv[] = { exe, "-c", tk_at(&P, "dpf.conf"), "--check-config", NULL };
		int st = du_run(argv, 1, out, sizeof(out));
		CHECK_MSG(st == cases[i].status, "case %zu: exit %d: %s", i, st, out);
		if (cases[i].status)
			CHECK_MSG(strstr(out, "dpf.conf: [application]") != NULL, "case %zu: %s", i, out);
	}
	write_dpf_conf(pva_url);
}

static void write_drf_conf(void)
{
	FILE *f = fopen(tk_at(&P, "drf.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "[drf]\ndb = %s\nsho_id = SHO-A\n", drf_a_db);
	fprintf(f, "signing_key = %s/cas/ro-signing.key\nsigning_cert = %s/cas/ro-signing.pem\n", P.dir, P.dir);
	fprintf(f, "tls_cert = %s/tls/drf.sho-a.lab.pem\ntls_key = %s/tls/drf.sho-a.lab.key\n", P.dir, P.dir);
	fprintf(f, "client_ca = %s/tls/ca.pem\npeers = SHO-B:drf.sho-b.lab\n", P.dir);
	fprintf(f, "peer_certs = SHO-B:%s/tls/drf.sho-b.lab.pem\n", P.dir);
	fprintf(f, "listen = 127.0.0.1\nport = 0\ngrace_period = 3600\nlog_level = debug\n");
	fclose(f);
}

/* SHO-B asks SHO-A's DRF (curl with SHO-B's TLS identity) to take tre_id over; SHO-B records the answer. */
static void handover(const char *tre_id, const char *code, char *request_id)
{
	struct om_handover_req r;
	uint8_t *req = NULL;
	size_t rl = 0;
	char url[128], data[700], ca[700], cert[700], key[700], out[1024];
	tk_handover_request(&P, tre_id, code, &r, &req, &rl);
	snprintf(request_id, OM_HANDOVER_ID_MAX + 1, "%s", r.request_id);
	FILE *f = fopen(tk_at(&P, "handover.req"), "wb");
	CHECK(f && fwrite(req, 1, rl, f) == rl);
	if (f)
		fclose(f);
	snprintf(url, sizeof(url), "https://localhost:%u/handover", drf_port);
	snprintf(data, sizeof(data), "@%s/handover.req", P.dir);
	snprintf(ca, sizeof(ca), "%s/tls/ca.pem", P.dir);
	snprintf(cert, sizeof(cert), "%s/tls/drf.sho-b.lab.pem", P.dir);
	snprintf(key, sizeof(key), "%s/tls/drf.sho-b.lab.key", P.dir);
	const char *argv[] = { "curl", "-s", "--max-time", "10", "--cacert", ca, "--cert", cert, "--key", key,
			       "--data-binary", data, url, NULL };
	CHECK_INT(du_run_quiet(argv, 0, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "result=accepted") != NULL, "DRF: %s", out);
	CHECK_INT(sho_handover_answer(P.sho, tre_id, r.request_id, 1, NULL), 0);
	free(req);
	om_handover_free(&r);
}

/* The bootstrap SHO-A's DRF built for the handover, read from its register, given to the TRE. */
static void bootstrap(struct om_tre *tre, const char *request_id)
{
	struct om_store *db = NULL;
	struct om_stmt *st = NULL;
	char err[256];
	int ok = 0;
	if (om_store_open(drf_a_db, &db, err, sizeof(err)) == 0 &&
	    om_stmt_prepare(db, "SELECT bootstrap FROM handover WHERE request_id = ?1", &st) == 0 &&
	    om_stmt_query(st, OM_BIND(OM_TEXT(request_id))) == OM_STORE_ROW) {
		size_t len = 0;
		const void *b = om_stmt_col_blob(st, 0, &len);
		ok = 1;
		CHECK_INT(om_tre_bootstrap(tre, b, len, time(NULL)), 0);
		om_stmt_reset(st);
	}
	CHECK_MSG(ok, "no bootstrap for %s in SHO-A's register", request_id);
	om_stmt_finalize(st);
	om_store_close(db);
}

/* ---- the scenario ---------------------------------------------------------------- */

static void scenario(struct om_tre *tre, const char *tre_id, const char *pva_url, const char *request_id)
{
	static uint8_t obj[OM_MOBJ_MAX], p3[OM_DM_MSG_MAX], mcim[OM_MOBJ_MAX];
	char ans[256];
	char user[OM_BOOTSTRAP_NAME_MAX + 1], server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	uint32_t msg_id = 1, srv_msg = 0, get_cmd = 0, alert_cmd = 0;
	uint8_t mid[OM_MCIM_MID_LEN];
	size_t p3_len = 0;
	CHECK_INT(om_tre_dm_identity(tre, user, server_id), 0);

	/* 1. killed at dpf.released: the release is committed, the answer never comes */
	application_section_checked(pva_url);
	pid_t dpf = dpf_pid = spawn("dpf", "dpf.released");
	dpf_port = started("dpf", 1);
	hmac_over_the_wire(tre, user, "W1", 0);
	hmac_over_the_wire(tre, user, "W2", 1);
	if (authenticate(tre, user, "S1", &msg_id, &srv_msg, &get_cmd) < 0)
		return;
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	tk_package3(&dev, "S1", msg_id++, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	CHECK_INT(post(NULL, NULL), -1);
	killed(dpf, "dpf.released");
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_release WHERE state = 'released'"), 1);

	/* restarted: the device's retry, a new session and a fresh M2MMobj, supersedes the release */
	dpf = dpf_pid = spawn("dpf", "dpf.outcome");
	dpf_port = started("dpf", 2);
	msg_id = 1;
	if (authenticate(tre, user, "S2", &msg_id, &srv_msg, &get_cmd) < 0)
		return;
	n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	tk_package3(&dev, "S2", msg_id++, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	CHECK_INT(post(p3, &p3_len), 200);
	const struct om_dm_cmd *r = tk_find(&dev.got, OM_DM_CMD_REPLACE);
	CHECK(r && r->n_items == 1 && !strcmp(r->items[0].target, OM_DM_URI_M2MMCIMMOBJ));
	size_t ml = r ? r->items[0].data_len : 0;
	uint32_t rep_msg = dev.got.hdr.msg_id, rep_cmd = r ? r->cmd_id : 0;
	if (r)
		memcpy(mcim, r->items[0].data, ml);
	om_dm_msg_free(&dev.got);
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_release WHERE state = 'superseded'"), 1);
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_release WHERE state = 'released'"), 1);

	/* the same package 3 again: 403, nothing released */
	CHECK_INT(post_raw(p3, p3_len), 200);
	CHECK_INT(tk_hdr_status(&dev.got), 403);
	CHECK(tk_find(&dev.got, OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&dev.got);
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_release"), 2);

	/* installed, Status 200: provisioned */
	CHECK_INT(om_tre_install_mcim(tre, mcim, ml, time(NULL), mid), 0);
	tk_install_status(&dev, "S2", msg_id++, user, rep_msg, rep_cmd, OM_DM_STATUS_OK);
	CHECK_INT(post(NULL, NULL), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_OK);
	CHECK(dev.got.final && tk_find(&dev.got, OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&dev.got);
	CHECK(!strcmp(tk_state_of(&P, tre_id), "provisioned"));
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_release WHERE state = 'installed'"), 1);
	/* the same as the operator reads it, on the running DPF's admin socket */
	CHECK_INT(dpf_status_call("releases ", tre_id, ans), 0);
	CHECK_MSG(!strcmp(ans, "released=0 installed=1 failed=0 superseded=1 outcome=-"), "releases: %s", ans);
	CHECK_INT(dpf_status_call("releases ", "TRE-NOBODY", ans), 0);
	CHECK_MSG(!strcmp(ans, "released=0 installed=0 failed=0 superseded=0 outcome=-"), "releases: %s", ans);
	CHECK_INT(dpf_status_call("drop ", "everything", ans), OM_EDPF_COMMAND);

	/* the device attaches with its new MCIM; forged reports first, each refused */
	CHECK_INT(om_tre_activate(tre, mid, time(NULL), 600), 0);
	forged_outcomes_over_the_wire(tre, user);

	/* 2. the outcome without credentials: challenged, nothing changes */
	CHECK_INT(outcome(tre, user, "S3", 1, 0, &alert_cmd), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&dev.got);
	CHECK(!strcmp(tk_state_of(&P, tre_id), "provisioned"));
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_completion"), 0);

	/* with them: killed at dpf.outcome, recorded but not sent */
	CHECK_INT(outcome(tre, user, "S3", 2, 1, &alert_cmd), -1);
	killed(dpf, "dpf.outcome");
	CHECK(!strcmp(tk_state_of(&P, tre_id), "active"));
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_completion WHERE state = 'pending'"), 1);
	CHECK_INT(occurrences("drf.log", "drf-completed peer="), 0);

	/*
	 * Two reports queued ahead of it that fail (issue 11: one failed item never stops a
	 * queue): one to an operator whose DRF cannot be reached, one SHO-A's DRF refuses.
	 */
	CHECK_INT(t_sql_exec(P.dpf_db,
			     "INSERT INTO dpf_completion (request_id, peer, tre_id, state, attempts, due, answer, created,"
			     " updated) VALUES ('r-unreachable', 'SHO-Z', 'TRE-Z', 'pending', 0, 0, '', 0, 0),"
			     " ('r-unknown', 'SHO-A', 'TRE-Y', 'pending', 0, 0, '', 1, 1)"),
		  0);

	/* restarted: the queue resumes, the completion is sent; the device's repeat changes nothing */
	dpf = dpf_pid = spawn("dpf", NULL);
	dpf_port = started("dpf", 3);
	char dpf_log[700];
	snprintf(dpf_log, sizeof(dpf_log), "%s/dpf.log", P.dir);
	free(du_wait_log(dpf_log, "result=completed", TIMEOUT_MS));
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_completion WHERE state = 'done'"), 1);
	/* the two ahead of it: the refused one kept with the DRF's code, the unreachable one retried */
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_completion WHERE request_id = 'r-unknown'"
				   " AND state = 'refused' AND answer = 'OM_EDRF_STATE'"),
		  1);
	CHECK_INT(db_int(P.dpf_db, "SELECT count(*) FROM dpf_completion WHERE request_id = 'r-unreachable'"
				   " AND state = 'pending' AND attempts >= 1 AND due > 0"),
		  1);
	CHECK(occurrences("dpf.log", "request_id=r-unreachable result=retry") >= 1);
	CHECK_INT(dpf_status_call("completions", "", ans), 0);
	CHECK_MSG(!strcmp(ans, "pending=1 done=1 refused=1"), "completions: %s", ans);
	CHECK_INT(dpf_status_call("installed ", "-", ans), 0);
	char want_line[OM_TRE_ID_MAX + 8];
	snprintf(want_line, sizeof(want_line), "%s 1", tre_id);
	CHECK_MSG(!strcmp(ans, want_line), "installed: %s", ans);
	other_uid_is_refused(tre_id);
	CHECK_INT(outcome(tre, user, "S4", 1, 0, &alert_cmd), 200);
	om_dm_msg_free(&dev.got);
	CHECK_INT(outcome(tre, user, "S4", 2, 1, &alert_cmd), 200);
	CHECK_INT(tk_hdr_status(&dev.got), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK_INT(tk_status_for(&dev.got, alert_cmd), OM_DM_STATUS_OK);
	CHECK(dev.got.final && tk_find(&dev.got, OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&dev.got);
	du_nap_ms(1500); /* a second report would have gone by now */
	CHECK_INT(occurrences("drf.log", "drf-completed peer="), 1);
	CHECK_INT(occurrences("drf.log", "drf-handover-completed"), 1);
	CHECK_INT(db_int(drf_a_db, "SELECT count(*) FROM handover WHERE state = 'completed'"), 1);
	(void)request_id;
	stop(dpf, "dpf");
	dpf_pid = 0;

	/* SHO-B's register (its DRF, which the DPF asked on its admin socket) has the device, with its new
	 * IMSI; SHO-A's no longer serves it */
	struct drf *d = NULL;
	struct drf_config dc = { .db_path = drf_a_db };
	struct drf_device_status ds;
	struct sho_device_status st;
	char err[256];
	CHECK_INT(sho_status(P.sho, tre_id, &st), 0);
	CHECK_INT(drf_device_status(P.drf, tre_id, time(NULL), &ds), 0);
	CHECK(!strcmp(ds.imsi, st.imsi) && ds.ours == 1 && !strcmp(ds.owner, OWNER));
	CHECK_MSG(drf_open(&d, &dc, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(drf_device_status(d, tre_id, time(NULL), &ds), 0);
	CHECK_INT(ds.ours, 0);
	drf_close(d);
}

int main(void)
{
	char err[256], code[DRF_CODE_TEXT_LEN + 1], request_id[OM_HANDOVER_ID_MAX + 1] = "";
	om_log_init("dpf-daemon-test", OM_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	if (tk_parts_init(&P, "dpf-daemon-test"))
		return 1;
	const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	snprintf(bin_dir, sizeof(bin_dir), "%.*s", strrchr(cli, '/') ? (int)(strrchr(cli, '/') - cli) : 1,
		 strrchr(cli, '/') ? cli : ".");

	/* the factory: the RO is SHO-A, one device; the PVA on loopback */
	if (tk_factory(&P, "SHO-A", 1, 0))
		return check_done();
	const struct sho_device_in *note = P.note;
	tk_pva_start(&P, 0);

	/* TLS: one lab CA for SHO-A's DRF, SHO-B's operator identity and SHO-B's DPF */
	CHECK_INT(mkdir(tk_at(&P, "tls"), 0700), 0);
	struct om_ca *lab = pf_make_ca(tk_at(&P, "tls"), "Lab operators root", "ca.pem");
	char tls_dir[700];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", P.dir);
	CHECK(lab != NULL);
	if (!lab)
		return check_done();
	CHECK_INT(pf_issue_tls(lab, tls_dir, "drf.sho-a.lab", "localhost"), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "drf.sho-b.lab", NULL), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "dpf.sho-b.lab", "localhost"), 0);

	/* SHO-B: its signing identity (saved for the DPF's configuration), its HSS, its core with the device */
	tk_sho_start(&P, 1);
	CHECK_INT(om_key_save(tk_at(&P, "sho-b-signing.key"), P.sho_b.key), 0);
	CHECK_INT(om_cert_save(tk_at(&P, "sho-b-signing.pem"), P.sho_b.cert), 0);
	/* SHO-B's DRF: the DPF enters the provisioned device on its admin socket */
	tk_drf_serve(&P);

	/* SHO-A's DRF: the device (its PCID subscription), SHO-B as a peer, the owner's transfer code */
	struct drf *da = NULL;
	CHECK_INT(t_store_conf(P.dir, "drf-a.db", drf_a_db, sizeof(drf_a_db)), 0);
	CHECK_INT(t_store_conf(P.dir, "dpf.db", P.dpf_db, sizeof(P.dpf_db)), 0); /* the daemon's (no tk_dpf_open here) */
	struct drf_config dac = { .db_path = drf_a_db };
	CHECK_MSG(drf_open(&da, &dac, err, sizeof(err)) == 0, "%s", err);
	if (da) {
		int64_t now = (int64_t)time(NULL);
		CHECK_INT(drf_device_add(da, note[0].tre_id, OLD_IMSI, now - 100, note[0].cert_enc,
					 note[0].cert_enc_len, note[0].cert_sign, note[0].cert_sign_len, OWNER, 0),
			  0);
		CHECK_INT(drf_operator_add(da, "SHO-B", P.sho_b.der, P.sho_b.der_len, now), 0);
		CHECK_INT(drf_transfer_code_issue(da, note[0].tre_id, now, 0, code), 0);
		drf_close(da);
	}
	write_drf_conf();
	pid_t drf = spawn("drf", NULL);
	drf_port = started("drf", 1);
	dead_port = du_free_port();

	/* the handover accepted by SHO-A, its bootstrap in the TRE */
	struct om_tre *tre = NULL;
	char tre_dir[800];
	handover(note[0].tre_id, code, request_id);
	snprintf(tre_dir, sizeof(tre_dir), "%s/run/devices/%s", P.dir, note[0].tre_id);
	CHECK_INT(om_tre_open(&tre, tre_dir, 0), 0);
	if (tre && !check_failures()) {
		bootstrap(tre, request_id);
		/* the TRE as it is now, kept aside for restored_copy_over_the_wire */
		char cmd[2 * sizeof(tre_dir) + 32], copy_dir[sizeof(tre_dir) + 8];
		snprintf(copy_dir, sizeof(copy_dir), "%s.copy", tre_dir);
		snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", tre_dir, copy_dir);
		CHECK_INT(system(cmd), 0);
		if (!check_failures())
			scenario(tre, note[0].tre_id, P.pva_url, request_id);
		if (!check_failures())
			restored_copy_over_the_wire(copy_dir, note[0].tre_id);
	}
	om_tre_close(tre);
	if (dpf_pid > 0)
		du_stop_daemon(dpf_pid, SIGKILL);
	stop(drf, "drf");
	if (check_failures()) {
		char log[800];
		snprintf(log, sizeof(log), "cat %s/dpf.log %s/drf.log 1>&2", P.dir, P.dir);
		if (system(log) != 0)
			fprintf(stderr, "(no logs)\n");
	}

	om_ca_free(lab);
	tk_parts_free(&P, check_failures() != 0);
	return check_done();
}
