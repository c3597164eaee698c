/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-drf as a real process on loopback, with curl as the new SHO
 * (SHO-B) over mutual TLS: a handover with the right code is accepted and
 * the same request again gets the same answer; no client certificate fails
 * the handshake; SHO-C's TLS certificate on SHO-B's request is 403 and
 * changes nothing; a wrong code is 403 with its reason. The bootstrap is
 * pushed to a stand-in for the VNO's push endpoint that first answers 404
 * (not attached) then 202, and the delivered bytes are accepted by the
 * device's TRE. Completion from the right operator schedules the removal,
 * only with the TRE's signed `active` statement: without one, or with a
 * `fallback` one, it is 403 with its reason and the register unchanged
 * (issue 12).
 * --help, a bad configuration and SIGTERM. On PostgreSQL: running on a
 * primary whose synchronous standby is promoted, it stops (fenced); started
 * again there, it refuses; either way the register stays as it was.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <openmcim/handover.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>
#include <openmcim/tre.h>

#include "check.h"
#include "tre_int.h" /* the device's statements, signed with its own key */
#include "daemon_util.h"
#include "admin_call.h"
#include "drf.h"
#include "drf_testkit.h"
#include "factory.h"
#include "http_server.h"
#include "pg_cluster.h"
#include "pki_fixture.h"
#include "refusal_kit.h"
#include "store_fence.h"


static char tmp[] = "/tmp/drf_daemon_test.XXXXXX";
static char path[512], drf_bin[512];
static char drf_db[512]; /* a SQLite path, or a PostgreSQL URI with OM_TEST_STORE=pg (drf_daemon_test_pg) */
static unsigned port;

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	return path;
}

/* ---- the operators -------------------------------------------------------- */

static X509 *enc_cert;

/* A signed request from s (as id) for TRE_ID, written to file; created now. */
static void request_file(const struct pf_sho *s, const char *id, const char *rid, const char *code, const char *file)
{
	size_t len = 0;
	uint8_t *out = drf_tk_request(enc_cert, s, id, rid, code, (int64_t)time(NULL), s->key, &len);
	FILE *f = fopen(at(file), "wb");
	CHECK(f && fwrite(out, 1, len, f) == len);
	if (f)
		fclose(f);
	free(out);
}

/*
 * POST file to the DRF's path over HTTPS as the holder of tls/<client>
 * (NULL: no client certificate). The body into out; returns the HTTP
 * status, or -1 when curl failed (e.g. the handshake).
 */
static int post(const char *client, const char *url_path, const char *file, char *out, size_t cap)
{
	char url[256], resolve[64], data[600], ca[600], cert[600], key[600], raw[2048];
	snprintf(url, sizeof(url), "https://drf.sho-a.lab:%u%s", port, url_path);
	snprintf(resolve, sizeof(resolve), "drf.sho-a.lab:%u:127.0.0.1", port);
	snprintf(data, sizeof(data), "@%s", file ? at(file) : "/dev/null");
	snprintf(ca, sizeof(ca), "%s/tls/ca.pem", tmp);
	snprintf(cert, sizeof(cert), "%s/tls/%s.pem", tmp, client ? client : "");
	snprintf(key, sizeof(key), "%s/tls/%s.key", tmp, client ? client : "");
	const char *argv[] = { "curl", "-s", "--max-time", "10", "--cacert", ca, "--resolve", resolve,
			       "-w", "\n%{http_code}", "--data-binary", data, url,
			       client ? "--cert" : NULL, cert, "--key", key, NULL };
	if (du_run_quiet(argv, 0, raw, sizeof(raw)) != 0)
		return -1;
	return du_curl_split(raw, out, cap);
}

/* ---- the VNO's push endpoint, standing in: 404 first, then 202 ---------- */

static struct {
	pthread_mutex_t lock;
	int calls, delivered;
	char path[128], type[128];
	uint8_t body[8192];
	size_t len;
} vno = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void vno_push(struct om_http_req *r, void *arg)
{
	(void)arg;
	size_t len;
	const uint8_t *b = om_http_req_body(r, &len);
	const char *t = om_http_req_header(r, "Content-Type");
	pthread_mutex_lock(&vno.lock);
	int first = vno.calls++ == 0;
	if (!first && len <= sizeof(vno.body)) {
		memcpy(vno.body, b, len);
		vno.len = len;
		vno.delivered++;
		snprintf(vno.path, sizeof(vno.path), "%s", om_http_req_path(r));
		snprintf(vno.type, sizeof(vno.type), "%s", t ? t : "");
	}
	pthread_mutex_unlock(&vno.lock);
	om_http_reply(r, first ? 404 : 202, "text/plain", "", 0);
}

/* ---- the daemon ---------------------------------------------------------- */

static void write_conf(const char *name, const char *extra, unsigned vno_port)
{
	FILE *f = fopen(at(name), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "[drf]\ndb = %s\nsho_id = SHO-A\n", drf_db);
	fprintf(f, "signing_key = %s/cas/ro-signing.key\nsigning_cert = %s/cas/ro-signing.pem\n", tmp, tmp);
	fprintf(f, "tls_cert = %s/tls/drf.sho-a.lab.pem\ntls_key = %s/tls/drf.sho-a.lab.key\n", tmp, tmp);
	fprintf(f, "client_ca = %s/tls/ca.pem\n", tmp);
	fprintf(f, "peers = SHO-B:drf.sho-b.lab, SHO-C:drf.sho-c.lab\n");
	fprintf(f, "peer_certs = SHO-B:%s/tls/drf.sho-b.lab.pem, SHO-C:%s/tls/drf.sho-c.lab.pem\n", tmp, tmp);
	fprintf(f, "listen = 127.0.0.1\nport = 0\ngrace_period = 3600\nlog_level = debug\n");
	fprintf(f, "admin_socket = %s/admin/drf.sock\n", tmp);
	fprintf(f, "push_url = http://127.0.0.1:%u/\npush_retry_min = 1\npush_retry_max = 2\n", vno_port);
	fputs(extra, f);
	fclose(f);
}

/* Start openmcim-drf -c drf.conf, stderr into drf.log; wait for the started line and port. */
static pid_t start_daemon(void)
{
	char log[600], conf[600];
	snprintf(log, sizeof(log), "%s/drf.log", tmp);
	snprintf(conf, sizeof(conf), "%s/drf.conf", tmp);
	pid_t pid = du_spawn_daemon(drf_bin, conf, log, 0);
	port = du_log_port(log, " started ", 10000);
	CHECK_MSG(port != 0, "the daemon did not start; see %s", log);
	return pid;
}

static struct drf *drf_admin(void)
{
	char err[256];
	struct drf *d = NULL;
	struct drf_config cfg = { .db_path = drf_db };
	CHECK_MSG(drf_open(&d, &cfg, err, sizeof(err)) == 0, "%s", err);
	return d;
}

/*
 * One command on the running daemon's admin socket (drf_admin.h), as
 * drf-admin and the DPF send it: its verdict, the data lines in out.
 */
static void add_line(void *ctx, const char *line)
{
	strncat(ctx, line, 1023 - strlen(ctx));
	strncat(ctx, "\n", 1023 - strlen(ctx));
}

static char code2[1024];

static int admin(const char *line, char out[1024])
{
	char sock[600], why[512];
	snprintf(sock, sizeof(sock), "%s/admin/drf.sock", tmp);
	struct om_admin_peer p = { .path = sock, .timeout_ms = 5000 };
	out[0] = '\0';
	return om_admin_peer_call(&p, line, add_line, out, why, sizeof(why));
}

/* The value of key ("ours=") in `status TRE_ID` over the admin socket, or -1. */
static long admin_status(const char *key)
{
	char out[1024];
	if (admin("status " TRE_ID "\n", out) != 0)
		return -1;
	const char *v = strstr(out, key);
	return v ? strtol(v + strlen(key), NULL, 10) : -1;
}

/* The admin socket: a malformed device-add and an unknown command change nothing; status and removals answer. */
static void admin_socket_refusals(void)
{
	char out[1024], db[600];
	snprintf(db, sizeof(db), "%s", at("drf.db"));
	const char *dbs[] = { db };
	char *before = rk_snapshot(dbs, 1, NULL, 0);
	CHECK_INT(admin("device-add TRE-X 001019999999999 0 owner-1 0 not*base64\n", out), OM_EDRF_COMMAND);
	CHECK_INT(admin("device-add TRE-X 001019999999999\n", out), OM_EDRF_COMMAND);
	CHECK_INT(admin("drop-table device\n", out), OM_EDRF_COMMAND);
	CHECK_INT(admin("status TRE-NOBODY\n", out), OM_EDRF_DEVICE);
	char *after = rk_snapshot(dbs, 1, NULL, 0);
	rk_check_unchanged(before, after, "malformed admin commands");
	CHECK_INT(admin("removals\n", out), 0);
	CHECK_MSG(!strcmp(out, "due=0 not_yet_due=0 to_suspend=0\n"), "removals: %s", out);
	/* the registration service asks in an owner's name: another owner's is refused, nothing changes */
	before = rk_snapshot(dbs, 1, NULL, 0);
	CHECK_INT(admin("transfer-code " TRE_ID " 600 owner-2\n", out), OM_EDRF_OWNER);
	after = rk_snapshot(dbs, 1, NULL, 0);
	rk_check_unchanged(before, after, "a transfer code in another owner's name");
	/* a second transfer code, as drf-admin asks for one: given once on the socket, never logged; it
	 * revokes the first (one unused code per device) */
	CHECK_INT(admin("transfer-code " TRE_ID " 600 owner-1\n", code2), 0);
	CHECK_INT(strlen(code2), DRF_CODE_TEXT_LEN + 1);
	code2[DRF_CODE_TEXT_LEN] = '\0';
	CHECK_INT(admin_status("codes_unused="), 1);
}

/*
 * drf-admin as an operator types it (issue 15): the contract lock's end in
 * ISO 8601, a time that is not one refused before anything is sent, and
 * --json for scripts; the lock lifted again with 0.
 */
static void admin_tool_takes_iso_times_and_prints_json(void)
{
	const char *cli = getenv("OM_CLI");
	char sock[600], out[2048], db[600];
	if (!cli) {
		CHECK_MSG(0, "OM_CLI is not set");
		return;
	}
	snprintf(sock, sizeof(sock), "%s/admin/drf.sock", tmp);
	snprintf(db, sizeof(db), "%s", at("drf.db"));
	const char *dbs[] = { db };
	const char *lock_day[] = { cli, "drf-admin", "--socket", sock, "lock", TRE_ID, "2099-01-01", NULL };
	CHECK_INT(du_run(lock_day, 0, out, sizeof(out)), 0);
	CHECK_INT(admin_status("lock_until="), 4070908800); /* date -u -d 2099-01-01 +%s */
	const char *lock_utc[] = { cli, "drf-admin", "--socket", sock, "lock", TRE_ID, "2099-01-01T12:00:00+02:00", NULL };
	CHECK_INT(du_run(lock_utc, 0, out, sizeof(out)), 0);
	CHECK_INT(admin_status("lock_until="), 4070908800 + 10 * 3600);
	char *before = rk_snapshot(dbs, 1, NULL, 0);
	const char *bad[] = { cli, "drf-admin", "--socket", sock, "lock", TRE_ID, "2099-02-30", NULL };
	CHECK_INT(du_run_quiet(bad, 1, out, sizeof(out)), 2);
	CHECK_MSG(strstr(out, "is not a time") != NULL, "%s", out);
	char *after = rk_snapshot(dbs, 1, NULL, 0);
	rk_check_unchanged(before, after, "a lock with a date that does not exist");
	const char *json[] = { cli, "drf-admin", "--json", "--socket", sock, "status", TRE_ID, NULL };
	CHECK_INT(du_run(json, 0, out, sizeof(out)), 0);
	static const char head[] = "{\"ok\":true,\"items\":[{\"tre_id\":\"" TRE_ID "\",";
	CHECK_MSG(!strncmp(out, head, sizeof(head) - 1) && strstr(out, "\"lock_until\":\"2099-01-01T10:00:00Z\""), "json: %s",
		  out);
	/* the owner through the tool (issue 15: change what the daemon holds; the resale itself is
	 * drf_handover_test's): the same owner changes nothing and revokes no code, an unknown device is refused */
	const char *same[] = { cli, "drf-admin", "--socket", sock, "device", "owner", TRE_ID, "owner-1", NULL };
	CHECK_INT(du_run(same, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strcmp(out, "codes_revoked=0\n"), "device owner: %s", out);
	const char *nobody[] = { cli, "drf-admin", "--socket", sock, "device", "owner", "TRE-NOBODY", "x", NULL };
	CHECK_INT(du_run_quiet(nobody, 0, out, sizeof(out)), 1);
	const char *show[] = { cli, "drf-admin", "--socket", sock, "device", "show", TRE_ID, NULL };
	CHECK_INT(du_run(show, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strncmp(out, "tre_id=" TRE_ID " ", 8 + strlen(TRE_ID)) && strstr(out, " owner=owner-1 "),
		  "device show: %s", out);
	/* the register's listing (issue 15): every device, its times ISO 8601 in JSON */
	const char *list[] = { cli, "drf-admin", "--socket", sock, "device", "list", NULL };
	CHECK_INT(du_run(list, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strncmp(out, "tre_id=" TRE_ID " imsi=", 20) && strstr(out, " lock_until=4070944800 "), "list: %s",
		  out);
	const char *list_json[] = { cli, "drf-admin", "--json", "--socket", sock, "device", "list", NULL };
	CHECK_INT(du_run(list_json, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strncmp(out, head, sizeof(head) - 1) && strstr(out, "\"since\":\"20") &&
			  strstr(out, "\"lock_until\":\"2099-01-01T10:00:00Z\""),
		  "json list: %s", out);
	const char *json_err[] = { cli, "drf-admin", "--socket", sock, "--json", "status", "TRE-NOBODY", NULL };
	CHECK_INT(du_run(json_err, 0, out, sizeof(out)), 1);
	CHECK_MSG(!strncmp(out, "{\"ok\":false,\"error\":\"OM_EDRF_DEVICE\",\"reason\":\"", 47), "json error: %s",
		  out);
	const char *lift[] = { cli, "drf-admin", "--socket", sock, "lock", TRE_ID, "0", NULL };
	CHECK_INT(du_run(lift, 0, out, sizeof(out)), 0);
	CHECK_INT(admin_status("lock_until="), 0);
}

/*
 * The peer operators through drf-admin (issue 15): listed (text and JSON,
 * parsed by jq), a certificate changed when SHO-C rotates its key, SHO-C
 * forgotten once; refused, with their codes and the register unchanged: an
 * operator whose handover the register keeps, an unknown one, a
 * certificate naming another operator.
 */
static void admin_tool_manages_operators(const struct pf_sho *b)
{
	const char *cli = getenv("OM_CLI");
	char sock[600], out[4096], db[600], b_pem[600], c2_pem[600];
	struct pf_sho c2;
	if (!cli) {
		CHECK_MSG(0, "OM_CLI is not set");
		return;
	}
	snprintf(sock, sizeof(sock), "%s/admin/drf.sock", tmp);
	snprintf(db, sizeof(db), "%s", drf_db);
	snprintf(b_pem, sizeof(b_pem), "%s", at("sho-b-signing.pem"));
	snprintf(c2_pem, sizeof(c2_pem), "%s", at("sho-c-signing-2.pem"));
	pf_sho_make(&c2, "SHO-C");
	CHECK_INT(om_cert_save(b_pem, b->cert), 0);
	CHECK_INT(om_cert_save(c2_pem, c2.cert), 0);
	const char *dbs[] = { db };

	const char *list[] = { cli, "drf-admin", "--socket", sock, "operator", "list", NULL };
	CHECK_INT(du_run(list, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strncmp(out, "sho_id=SHO-B added=", 19) && strstr(out, " sent_handovers=1 ") &&
			  strstr(out, "\nsho_id=SHO-C added=") && strstr(out, " sent_handovers=0 cert_sha256="),
		  "operator list: %s", out);
	const char *json[] = { cli, "drf-admin", "--json", "--socket", sock, "operator", "list", NULL };
	CHECK_INT(du_run(json, 0, out, sizeof(out)), 0);
	CHECK_INT(du_json_check(tmp, out,
				".ok and (.items | length) == 2 and .items[0].sho_id == \"SHO-B\" and"
				" .items[0].sent_handovers == \"1\" and (.items[1].added | test(\"^20[0-9-]+T[0-9:]+Z$\")) and"
				" (.items[1].cert_sha256 | length) == 64"),
		  0);
	char c_sha[65] = "";
	const char *cs = strstr(out, "\"sho_id\":\"SHO-C\"");
	cs = cs ? strstr(cs, "\"cert_sha256\":\"") : NULL;
	if (cs)
		snprintf(c_sha, sizeof(c_sha), "%.64s", cs + 15);

	char *before = rk_snapshot(dbs, 1, NULL, 0);
	const char *del_b[] = { cli, "drf-admin", "--socket", sock, "operator", "delete", "SHO-B", NULL };
	CHECK_INT(du_run_quiet(del_b, 1, out, sizeof(out)), 1);
	CHECK_MSG(strstr(out, "(OM_EDRF_STATE)") != NULL, "delete SHO-B: %s", out);
	const char *del_x[] = { cli, "drf-admin", "--json", "--socket", sock, "operator", "delete", "SHO-X", NULL };
	CHECK_INT(du_run_quiet(del_x, 0, out, sizeof(out)), 1);
	CHECK_INT(du_json_check(tmp, out, ".ok == false and .error == \"OM_EDRF_OPERATOR\""), 0);
	const char *wrong[] = { cli, "drf-admin", "--socket", sock, "operator", "change", "SHO-C", b_pem, NULL };
	CHECK_INT(du_run_quiet(wrong, 1, out, sizeof(out)), 1);
	CHECK_MSG(strstr(out, "(OM_EDRF_CERT)") != NULL, "SHO-B's certificate for SHO-C: %s", out);
	const char *chg_x[] = { cli, "drf-admin", "--socket", sock, "operator", "change", "SHO-X", c2_pem, NULL };
	CHECK_INT(du_run_quiet(chg_x, 1, out, sizeof(out)), 1);
	CHECK_MSG(strstr(out, "(OM_EDRF_CERT)") != NULL, "SHO-C's certificate for SHO-X: %s", out);
	char *after = rk_snapshot(dbs, 1, NULL, 0);
	rk_check_unchanged(before, after, "operator commands refused");

	const char *chg[] = { cli, "drf-admin", "--socket", sock, "operator", "change", "SHO-C", c2_pem, NULL };
	CHECK_INT(du_run(chg, 0, out, sizeof(out)), 0);
	CHECK_INT(du_run(list, 0, out, sizeof(out)), 0);
	CHECK_MSG(c_sha[0] && strstr(out, "sho_id=SHO-C ") && !strstr(out, c_sha), "SHO-C's certificate unchanged: %s",
		  out);
	const char *del_c[] = { cli, "drf-admin", "--socket", sock, "operator", "delete", "SHO-C", NULL };
	CHECK_INT(du_run(del_c, 0, out, sizeof(out)), 0);
	CHECK_INT(du_run(json, 0, out, sizeof(out)), 0);
	CHECK_INT(du_json_check(tmp, out, "(.items | map(.sho_id)) == [\"SHO-B\"]"), 0);
	CHECK_INT(du_run_quiet(del_c, 1, out, sizeof(out)), 1);
	CHECK_MSG(strstr(out, "(OM_EDRF_OPERATOR)") != NULL, "SHO-C twice: %s", out);
	pf_sho_free(&c2);
}

/*
 * The shipped allow list (conf/drf.conf.example admin_socket_allow) with
 * our SHO's user replaced by nobody (uid 65534), for the daemon of this
 * test: "" when it cannot be read.
 */
static void shipped_allow(char *out, size_t cap)
{
	char file[600], line[512];
	const char *src = getenv("OM_SOURCE_DIR");
	out[0] = '\0';
	snprintf(file, sizeof(file), "%s/conf/drf.conf.example", src ? src : ".");
	FILE *f = fopen(file, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *sho = strstr(line, "openmcim-sho:");
		if (strncmp(line, "admin_socket_allow = ", 21) || !sho)
			continue;
		snprintf(out, cap, "%.*snobody%s", (int)(sho - line), line, sho + strlen("openmcim-sho"));
	}
	if (f)
		fclose(f);
	CHECK_MSG(out[0] != '\0', "no admin_socket_allow naming openmcim-sho: in %s", file);
}

/*
 * The shipped list keeps our SHO to what it sends (issue 15: kept right for
 * the new verbs): as that user, status is served; operator-list,
 * operator-delete, device-delete and device-add are refused with OM_EPERM
 * and not run.
 */
static void shipped_allow_list_holds(void)
{
	char sock[600];
	snprintf(sock, sizeof(sock), "%s/admin/drf.sock", tmp);
	CHECK_MSG(du_as_nobody(sock, "status " TRE_ID "\n") == 31, "the SHO's status was not served");
	CHECK_MSG(du_as_nobody(sock, "operator-list -\n") == 30, "the SHO listed operators");
	CHECK_MSG(du_as_nobody(sock, "operator-delete SHO-C\n") == 30, "the SHO deleted an operator");
	CHECK_MSG(du_as_nobody(sock, "device-delete " TRE_ID "\n") == 30, "the SHO deleted a device");
	CHECK_MSG(du_as_nobody(sock, "lock " TRE_ID " 0\n") == 30, "the SHO locked a device");
	CHECK_INT(admin_status("ours="), 1);
}

static void command_line(void)
{
	char out[2048];
	const char *help[] = { drf_bin, "--help", NULL };
	CHECK_INT(du_run_quiet(help, 1, out, sizeof(out)), 0);
	CHECK(strstr(out, "usage: openmcim-drf") != NULL);
	FILE *f = fopen(at("bad.conf"), "w");
	if (f) {
		fputs("[drf]\ndb = x.db\nsho_idd = SHO-A\n", f);
		fclose(f);
	}
	char conf[600];
	snprintf(conf, sizeof(conf), "%s", at("bad.conf"));
	const char *bad[] = { drf_bin, "-c", conf, NULL };
	CHECK(du_run_quiet(bad, 1, out, sizeof(out)) != 0);
	CHECK_MSG(strstr(out, "bad.conf:3") != NULL, "bad config: %s", out);
}

/* The exit status of pid within ms (it is then reaped), or -2 while it still runs (then it is killed). */
static int exit_within(pid_t pid, int ms)
{
	int w;
	for (int waited = 0; pid > 0 && waited < ms; waited += 50) {
		if (waitpid(pid, &w, WNOHANG) == pid)
			return WIFEXITED(w) ? WEXITSTATUS(w) : -1;
		du_nap_ms(50);
	}
	if (pid > 0)
		du_stop_daemon(pid, SIGKILL);
	return -2;
}

/*
 * Case 2 (docs/decisions.md "Fencing the old primary"), on PostgreSQL only:
 * the register's cluster gets a synchronous standby; the DRF runs on the
 * primary, db_peer naming the standby, checked every second.
 *   1. The standby is promoted while the DRF runs: within db_peer_interval
 *      its watcher ends it (`fenced`, exit status 3, the timelines in the
 *      line); a handover and a completion sent after find no one to
 *      answer, and every row of the register is as it was while the DRF
 *      still served.
 *   2. The DRF started again on the old primary refuses before it opens
 *      the register (exit status 3): the same two requests unanswered, the
 *      register unchanged.
 */
static void fenced_after_promotion(const char *allow, unsigned vno_port)
{
	struct om_pg_cluster standby = { 0 };
	char err[400], name[64], peer[600], extra[1400], out[1024];
	const struct om_pg_cluster *primary = t_store_pg_cluster();
	const char *db = strstr(drf_db, ":///");
	CHECK(primary && db);
	if (!primary || !db)
		return;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(db + 4, "?"), db + 4);
	int rc = om_pg_cluster_standby(&standby, primary, NULL, 1, err, sizeof(err));
	CHECK_MSG(rc == 0, "standby: %s", err);
	if (rc < 0 || om_pg_cluster_uri(&standby, name, peer, sizeof(peer)) < 0)
		goto out;
	const char *dbs[] = { drf_db };
	char conf[600], logp[600];
	snprintf(conf, sizeof(conf), "%s/drf.conf", tmp);
	snprintf(logp, sizeof(logp), "%s/drf.log", tmp);
	snprintf(extra, sizeof(extra), "%sdb_peer = %s\ndb_peer_interval = 1\n", allow, peer);
	write_conf("drf.conf", extra, vno_port);

	/* 1: running on the primary beside its synchronous standby, which is promoted */
	CHECK_INT(unlink(logp), 0); /* no earlier run's started line for start_daemon to read */
	pid_t pid = start_daemon();
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/bogus", NULL, out, sizeof(out)), 400); /* it serves */
	char *serving = rk_snapshot(dbs, 1, NULL, 0);
	rc = om_pg_cluster_promote(&standby, err, sizeof(err));
	CHECK_MSG(rc == 0, "promote: %s", err);
	/* a check every second: gone within 5 s (0.9 s measured), the rest the comparison's connections under load */
	int st = rc == 0 ? exit_within(pid, 5000) : exit_within(pid, 0);
	CHECK_MSG(st == OM_STORE_FENCED_EXIT,
		  "the running DRF 5 s after its standby's promotion: exit status %d, want 3 (fenced)", st);
	char *log = du_wait_log(logp, "timeline 2, db only on 1", 1000);
	CHECK_MSG(log && strstr(log, " error fenced "), "the running DRF did not log why it stopped (see %s)", logp);
	free(log);
	CHECK_INT(post("drf.sho-b.lab", "/handover", "ok.req", out, sizeof(out)), -1);
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/completed", "active.stmt", out, sizeof(out)), -1);
	char *before = rk_snapshot(dbs, 1, NULL, 0);
	rk_check_unchanged(serving, rk_snapshot(dbs, 1, NULL, 0), "requests to the DRF fenced while it ran");
	if (rc < 0)
		goto out;

	/* 2: started again on the old primary: refused before it opens the register */
	pid = du_spawn_daemon(drf_bin, conf, logp, 0);
	st = exit_within(pid, 15000);
	CHECK_MSG(st == OM_STORE_FENCED_EXIT, "the DRF on the old primary: exit status %d, want 3 (fenced)", st);
	log = du_wait_log(logp, "timeline 2, db only on 1", 1000);
	CHECK_MSG(log && strstr(log, " error fenced "), "no fenced line in drf.log");
	free(log);
	CHECK_INT(post("drf.sho-b.lab", "/handover", "ok.req", out, sizeof(out)), -1);
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/completed", "active.stmt", out, sizeof(out)), -1);
	rk_check_unchanged(before, rk_snapshot(dbs, 1, NULL, 0), "the DRF on the old primary after a promotion");
out:
	om_pg_cluster_stop(&standby, 0);
}

int main(void)
{
	struct drf_tk_device dv;
	struct om_ca *lab = NULL;
	EVP_PKEY *lab_key = NULL;
	struct pf_sho b, c;
	struct drf *d = NULL;
	struct om_http_server *vno_srv = NULL;
	char err[256], code[DRF_CODE_TEXT_LEN + 1], out[1024], again[1024];
	int64_t now = (int64_t)time(NULL);

	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(tmp) != NULL);
	CHECK_INT(t_store_conf(tmp, "drf.db", drf_db, sizeof(drf_db)), 0);
	const char *bin_dir = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	snprintf(drf_bin, sizeof(drf_bin), "%.*s/openmcim-drf",
		 strrchr(bin_dir, '/') ? (int)(strrchr(bin_dir, '/') - bin_dir) : 1,
		 strrchr(bin_dir, '/') ? bin_dir : ".");
	command_line();

	/* the device: its Cert_SHO[0] is our (SHO-A's) SHO_SIGNING certificate */
	drf_tk_device_make(&dv, tmp, 0);
	enc_cert = dv.enc_cert;
	pf_sho_make(&b, "SHO-B");
	pf_sho_make(&c, "SHO-C");

	/* one lab CA for the operators' TLS certificates */
	CHECK_INT(mkdir(at("tls"), 0700), 0);
	CHECK_INT(om_key_generate(&lab_key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_ca_create(&lab, lab_key, "Lab operators root", 0, 0), 0);
	if (!lab || !enc_cert)
		return check_done();
	CHECK_INT(om_cert_save(at("tls/ca.pem"), om_ca_cert(lab)), 0);
	char tls_dir[600];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", tmp);
	pf_issue_tls(lab, tls_dir, "drf.sho-a.lab", "drf.sho-a.lab");
	pf_issue_tls(lab, tls_dir, "drf.sho-b.lab", NULL);
	pf_issue_tls(lab, tls_dir, "drf.sho-c.lab", NULL);
	/* issue 12: SHO-B's name from the same trusted CA, on another key */
	CHECK_INT(pf_issue(lab, OM_CERT_OPERATOR_TLS, tls_dir, "impostor-b", "drf.sho-b.lab", NULL), 0);

	/* the register: the device, the two peers, one code for the owner */
	uint8_t *enc_der = NULL;
	size_t enc_len = 0;
	CHECK_INT(om_cert_encode(enc_cert, OM_ENC_DER, &enc_der, &enc_len), 0);
	struct om_tre *tre = NULL;
	CHECK_INT(om_tre_open(&tre, at("run/devices/" TRE_ID), 0), 0);
	if (!tre)
		return check_done();
	if ((d = drf_admin())) {
		CHECK_INT(drf_device_add(d, TRE_ID, OLD_IMSI, now - 100, enc_der, enc_len, tre->st.sign_cert.p,
					 tre->st.sign_cert.len, "owner-1", 0),
			  0);
		CHECK_INT(drf_operator_add(d, "SHO-B", b.der, b.der_len, now), 0);
		CHECK_INT(drf_operator_add(d, "SHO-C", c.der, c.der_len, now), 0);
		CHECK_INT(drf_transfer_code_issue(d, TRE_ID, now, 0, code), 0);
		drf_close(d);
	}

	/* the VNO's push endpoint */
	struct om_http_opts vo = { 0 };
	CHECK_MSG(om_http_server_new(&vno_srv, &vo, err, sizeof(err)) == 0, "%s", err);
	if (!vno_srv)
		return check_done();
	CHECK_INT(om_http_route(vno_srv, "POST", "/push/*", vno_push, NULL), 0);
	CHECK_INT(om_http_server_start(vno_srv), 0);
	char allow[512];
	shipped_allow(allow, sizeof(allow));
	CHECK_INT(chmod(tmp, 0711), 0); /* nobody reaches the socket's own directory (0711 with a list) */
	write_conf("drf.conf", allow, om_http_server_port(vno_srv));
	pid_t pid = start_daemon();

	/* wrong code: 403 with the reason */
	request_file(&b, "SHO-B", "r-wrong", "0000-0000-0000-0000", "wrong.req");
	CHECK_INT(post("drf.sho-b.lab", "/handover", "wrong.req", out, sizeof(out)), 403);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_CODE\n"), "wrong code: %s", out);

	/* no client certificate: the handshake fails */
	request_file(&b, "SHO-B", "r-1", code, "ok.req");
	CHECK_INT(post(NULL, "/handover", "ok.req", out, sizeof(out)), -1);

	/* SHO-C's TLS certificate on SHO-B's request: 403, nothing consumed */
	CHECK_INT(post("drf.sho-c.lab", "/handover", "ok.req", out, sizeof(out)), 403);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_PEER\n"), "other operator: %s", out);
	/* the outcome read as an operator reads it: over the admin socket */
	CHECK_INT(admin_status("handovers="), 0);
	CHECK_INT(admin_status("codes_unused="), 1);
	CHECK_INT(admin_status("ours="), 1);
	admin_socket_refusals();
	shipped_allow_list_holds();
	admin_tool_takes_iso_times_and_prints_json();
	/* the first code was revoked by the second: refused now */
	CHECK_INT(post("drf.sho-b.lab", "/handover", "ok.req", out, sizeof(out)), 403);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_CODE\n"), "revoked code: %s", out);
	request_file(&b, "SHO-B", "r-1", code2, "ok.req");

	/*
	 * Issue 12: SHO-B's CN on another key, chaining to the CA we trust: refused as a handover and
	 * as a completion report (OM_EDRF_PEER_KEY), every row of the register as before.
	 */
	{
		char db[600];
		snprintf(db, sizeof(db), "%s", drf_db);
		const char *dbs[] = { db };
		char *before = rk_snapshot(dbs, 1, NULL, 0);
		CHECK_INT(post("impostor-b", "/handover", "ok.req", out, sizeof(out)), 403);
		CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_PEER_KEY\n"), "impostor: %s", out);
		CHECK_INT(post("impostor-b", "/handover/r-1/completed", NULL, out, sizeof(out)), 403);
		CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_PEER_KEY\n"), "impostor completion: %s", out);
		char *after = rk_snapshot(dbs, 1, NULL, 0);
		rk_check_unchanged(before, after, "a pinned operator's name on another key");
	}

	/* the right code from the right operator; the same request again, the same answer */
	CHECK_INT(post("drf.sho-b.lab", "/handover", "ok.req", out, sizeof(out)), 200);
	CHECK_MSG(!strncmp(out, "result=accepted request_id=r-1 sequence=", 40), "accepted: %s", out);
	CHECK_INT(post("drf.sho-b.lab", "/handover", "ok.req", again, sizeof(again)), 200);
	CHECK_MSG(!strcmp(out, again), "retry: %s vs %s", again, out);
	uint32_t seq = (uint32_t)strtoul(out + 40, NULL, 10);

	/* the push: 404 (not attached), then 202 after a retry; the TRE accepts the bytes */
	int delivered = 0;
	for (int i = 0; i < 200 && !delivered; i++) {
		pthread_mutex_lock(&vno.lock);
		delivered = vno.delivered;
		pthread_mutex_unlock(&vno.lock);
		if (!delivered)
			du_nap_ms(50);
	}
	CHECK_INT(delivered, 1);
	CHECK_INT(vno.calls, 2);
	CHECK_MSG(!strcmp(vno.path, "/push/" OLD_IMSI), "push path %s", vno.path);
	CHECK_MSG(!strcmp(vno.type, "application/vnd.openmcim.signed-cp+xml"), "type %s", vno.type);
	struct om_tre_status ts;
	CHECK_INT(om_tre_bootstrap(tre, vno.body, vno.len, time(NULL)), 0);
	CHECK_INT(om_tre_status(tre, &ts), 0);
	CHECK(!strcmp(ts.trust_root_cn, "SHO-B"));
	CHECK_INT(ts.bootstrap_sequence, seq);
	du_nap_ms(2500); /* a delivered push is not repeated */
	CHECK_INT(vno.calls, 2);
	/* nor queued again by the SHO's retry of the request after delivery (the queue frees delivered entries) */
	CHECK_INT(post("drf.sho-b.lab", "/handover", "ok.req", again, sizeof(again)), 200);
	CHECK_MSG(!strcmp(out, again), "retry after delivery: %s vs %s", again, out);
	du_nap_ms(1500);
	CHECK_INT(vno.calls, 2);

	/* completion: only the operator that sent the request can report it */
	CHECK_INT(post("drf.sho-c.lab", "/handover/r-1/completed", NULL, out, sizeof(out)), 409);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_STATE\n"), "completed by C: %s", out);
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/bogus", NULL, out, sizeof(out)), 400);
	/* issue 12: SHO-B's word alone releases nothing, nor does a statement of fallback */
	struct om_outcome o;
	memset(&o, 0, sizeof(o));
	snprintf(o.tre_id, sizeof(o.tre_id), "%s", TRE_ID);
	snprintf(o.imsi, sizeof(o.imsi), "001020000000007");
	o.outcome = OM_OUTCOME_FALLBACK;
	o.sequence = seq;
	o.counter = tre->counter;
	o.time = (int64_t)time(NULL);
	uint8_t stmt[OM_OUTCOME_MAX];
	int sl = om_outcome_build(&o, tre->sign_key, stmt, sizeof(stmt));
	CHECK(sl > 0);
	FILE *f = fopen(at("fallback.stmt"), "wb");
	CHECK(f && fwrite(stmt, 1, (size_t)sl, f) == (size_t)sl);
	if (f)
		fclose(f);
	o.outcome = OM_OUTCOME_ACTIVE;
	sl = om_outcome_build(&o, tre->sign_key, stmt, sizeof(stmt));
	f = fopen(at("active.stmt"), "wb");
	CHECK(sl > 0 && f && fwrite(stmt, 1, (size_t)sl, f) == (size_t)sl);
	if (f)
		fclose(f);
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/completed", NULL, out, sizeof(out)), 403);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_OUTCOME\n"), "no statement: %s", out);
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/completed", "fallback.stmt", out, sizeof(out)), 403);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_OUTCOME_FALLBACK\n"), "fallback: %s", out);
	CHECK_INT(admin_status("ours="), 1);
	CHECK_INT(admin("removals\n", out), 0);
	CHECK_MSG(!strcmp(out, "due=0 not_yet_due=0 to_suspend=0\n"), "removals: %s", out);
	CHECK_INT(post("drf.sho-b.lab", "/handover/r-1/completed", "active.stmt", out, sizeof(out)), 200);
	CHECK_MSG(!strcmp(out, "result=completed request_id=r-1\n"), "completed: %s", out);
	CHECK_INT(admin_status("ours="), 0);
	CHECK_INT(admin("removals\n", out), 0);
	CHECK_MSG(!strcmp(out, "due=0 not_yet_due=1 to_suspend=0\n"), "removals: %s", out);
	/* the device is no longer ours: no code for it */
	CHECK_INT(admin("transfer-code " TRE_ID " 600\n", out), OM_EDRF_NOT_OURS);
	admin_tool_manages_operators(&b);

	CHECK_INT(du_term_wait(pid, 10000), 0);
	size_t n = 0;
	char *log = (char *)check_slurp(at("drf.log"), &n);
	CHECK(log && strstr(log, " stopped ") && strstr(log, "result=not-attached") &&
	      strstr(log, "result=delivered"));
	CHECK_MSG(log && !strstr(log, code), "the transfer code reached the log");
	CHECK_MSG(log && code2[0] && !strstr(log, code2), "the admin socket's transfer code reached the log");
	if (log && (check_failures() || getenv("OM_VERBOSE")))
		printf("---- drf.log\n%s----\n", log);
	free(log);
	if (t_store_is_pg())
		fenced_after_promotion(allow, om_http_server_port(vno_srv));

	om_http_server_free(vno_srv);
	om_tre_close(tre);
	om_pki_free(enc_der, enc_len);
	pf_sho_free(&b);
	pf_sho_free(&c);
	om_ca_free(lab);
	EVP_PKEY_free(lab_key);
	drf_tk_device_free(&dv);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK_INT(system(cmd), 0);
	return check_done();
}
