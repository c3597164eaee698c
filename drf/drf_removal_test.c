/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Note Z's removal queue (issue 11) with openmcim-hss and openmcim-drf as
 * real processes: the DRF removes old subscriptions through the HSS's
 * provisioning socket, each removal on its own, by the answer's code.
 *
 * The removals are put in the DRF's register as drf_handover_completed
 * leaves them (the handover and its completion are drf_daemon_test's).
 *
 *   1. The first removal's subscriber was deleted behind the DRF's back: the
 *      HSS answers OM_EHSS_NOT_FOUND, which is "done" for a removal (the
 *      defect: a prose match failed, and every later removal waited for
 *      ever). An IMSI the HSS refuses (OM_EHSS_IMSI) is retried with
 *      backoff; the removals after both still happen.
 *   2. The HSS stopped (SIGSTOP): the removal's "delete" reaches it but the
 *      answer is lost; the call ends at its deadline, the removal is
 *      retried. Once the HSS runs again it executes the queued delete, a
 *      later removal happens, and the retry finds the subscriber already
 *      gone: done.
 * At the end the HSS's subscribers and the DRF's removal rows are exactly
 * what they should be.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/pki.h>

#include "check.h"
#include "daemon_util.h"
#include "drf.h"
#include "factory.h"
#include "hss_test_util.h" /* T_K, T_OPC, t_sql_int, t_sql_exec */
#include "pg_cluster.h"
#include "pki_fixture.h"

#define IMSI_A "001010000000011" /* deleted behind the DRF's back */
#define IMSI_B "001010000000012"
#define IMSI_C "001010000000013"
#define IMSI_D "001010000000014" /* never to be removed */
#define IMSI_E "001010000000015" /* its answer is lost */
#define IMSI_F "001010000000016"
#define IMSI_R "12345"           /* the HSS refuses it: not an IMSI */
#define WAIT_MS 15000

static char tmp[] = "/tmp/drf_removal_test.XXXXXX";
static char path[512], cli[600], sock[600];
static char drf_db[512], hss_db[512]; /* SQLite paths, or PostgreSQL URIs with OM_TEST_STORE=pg */

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	return path;
}

static int hss_admin(const char *verb, const char *imsi)
{
	char out[512];
	const char *add[] = { cli, "hss-admin", "--socket", sock, verb, imsi, "k=" T_K, "opc=" T_OPC, "amf=8000",
			      "apn=internet", "roaming=00101", NULL };
	if (strcmp(verb, "add"))
		add[6] = NULL;
	return du_run(add, 1, out, sizeof(out));
}

static long long db_int(const char *db, const char *sql)
{
	return t_sql_int(db, sql);
}

static void db_exec(const char *db, const char *sql)
{
	CHECK_INT(t_sql_exec(db, sql), 0);
}

/* A removal due at now + rel, as drf_handover_completed schedules it. */
static void schedule(const char *imsi, long rel)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO removal (imsi, tre_id, due) VALUES ('%s', 'TRE-1', %lld)", imsi,
		 (long long)time(NULL) + rel);
	db_exec(drf_db, sql);
}

static int removal_done(const char *imsi)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM removal WHERE imsi = '%s' AND done IS NOT NULL", imsi);
	return db_int(drf_db, sql) == 1;
}

static int wait_done(const char *imsi)
{
	for (int i = 0; i < WAIT_MS / 100; i++) {
		if (removal_done(imsi))
			return 1;
		du_nap_ms(100);
	}
	return 0;
}

static int subscriber(const char *imsi)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriber WHERE imsi = '%s'", imsi);
	return (int)db_int(hss_db, sql);
}

static char *removal_rows(void)
{
	static char out[1024];
	struct om_store *db = NULL;
	struct om_stmt *st = NULL;
	char err[256];
	out[0] = '\0';
	if (om_store_open(drf_db, &db, err, sizeof(err)) == 0 &&
	    om_stmt_prepare(db, "SELECT imsi, done IS NOT NULL, coalesce(error, '-') FROM removal ORDER BY imsi", &st) == 0)
		while (om_stmt_step(st) == OM_STORE_ROW)
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s:%d:%s;", om_stmt_col_text(st, 0),
				 (int)om_stmt_col_int64(st, 1), om_stmt_col_text(st, 2));
	om_stmt_finalize(st);
	om_store_close(db);
	return out;
}

static pid_t start_hss(unsigned port)
{
	FILE *f = fopen(at("hss.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return -1;
	fprintf(f, "[hss]\ndb = %s\nprovision_socket = %s\nrun_dir = %s/hss\n", hss_db, sock, tmp);
	fprintf(f, "[diameter]\nidentity = hss.sho-a.lab\nrealm = epc.mnc001.mcc001.3gppnetwork.org\n");
	/* S6a plays no part here: clear TCP, said explicitly (docs/s6a.md "Transport security") */
	fprintf(f, "listen = 127.0.0.1\nport = %u\npeers = mme.vno.lab\ntls = off\ndict_dir = %s\n", port,
		du_fd_ext_dir());
	fclose(f);
	char bin[700], conf[600];
	snprintf(bin, sizeof(bin), "%.*s/openmcim-hss", (int)(strrchr(cli, '/') - cli), cli);
	snprintf(conf, sizeof(conf), "%s", at("hss.conf"));
	pid_t pid = du_spawn_daemon(bin, conf, at("hss.log"), 0);
	char *log = du_wait_log(at("hss.log"), "prov-listen", 10000);
	CHECK_MSG(log != NULL, "openmcim-hss did not open its provisioning socket; see %s/hss.log", tmp);
	free(log);
	return pid;
}

static pid_t start_drf(void)
{
	FILE *f = fopen(at("drf.conf"), "w");
	CHECK(f != NULL);
	if (!f)
		return -1;
	fprintf(f, "[drf]\ndb = %s\nsho_id = SHO-A\n", drf_db);
	fprintf(f, "signing_key = %s/cas/ro-signing.key\nsigning_cert = %s/cas/ro-signing.pem\n", tmp, tmp);
	fprintf(f, "tls_cert = %s/tls/drf.sho-a.lab.pem\ntls_key = %s/tls/drf.sho-a.lab.key\n", tmp, tmp);
	fprintf(f, "client_ca = %s/tls/ca.pem\npeers = SHO-B:drf.sho-b.lab\n", tmp);
	fprintf(f, "peer_certs = SHO-B:%s/tls/drf.sho-b.lab.pem\n", tmp);
	fprintf(f, "listen = 127.0.0.1\nport = 0\nlog_level = debug\nhss_socket = %s\n", sock);
	fprintf(f, "removal_interval = 1\nhss_timeout = 300\nremoval_retry_min = 1\nremoval_retry_max = 2\n");
	fclose(f);
	char bin[700], conf[600];
	snprintf(bin, sizeof(bin), "%.*s/openmcim-drf", (int)(strrchr(cli, '/') - cli), cli);
	snprintf(conf, sizeof(conf), "%s", at("drf.conf"));
	pid_t pid = du_spawn_daemon(bin, conf, at("drf.log"), 0);
	CHECK_MSG(du_log_port(at("drf.log"), " started ", 10000) != 0, "openmcim-drf did not start; see %s/drf.log",
		  tmp);
	return pid;
}

/* Wait for needle in the DRF's log. */
static int drf_logged(const char *needle)
{
	char *log = du_wait_log(at("drf.log"), needle, WAIT_MS);
	free(log);
	return log != NULL;
}

int main(void)
{
	char err[256];
	signal(SIGPIPE, SIG_IGN);
	const char *env = getenv("OM_CLI");
	CHECK_MSG(env != NULL && strrchr(env, '/'), "OM_CLI not set (run through ctest)");
	if (!env || !strrchr(env, '/') || !mkdtemp(tmp))
		return check_done();
	snprintf(cli, sizeof(cli), "%s", env);
	snprintf(sock, sizeof(sock), "%s/prov/hss.sock", tmp);
	/* SQLite files, or fresh PostgreSQL databases with OM_TEST_STORE=pg (drf_removal_test_pg) */
	CHECK_INT(t_store_conf(tmp, "drf.db", drf_db, sizeof(drf_db)), 0);
	CHECK_INT(t_store_conf(tmp, "hss.db", hss_db, sizeof(hss_db)), 0);

	/* the DRF's identity (SHO-A's SHO_SIGNING) and TLS; neither is used by the removals */
	CHECK_INT(om_factory_init_cas(at("cas"), "PVA-1", "SHO-A"), 0);
	CHECK_INT(mkdir(at("tls"), 0700), 0);
	struct om_ca *ca = pf_make_ca(at("tls"), "Lab operators root", "ca.pem");
	CHECK(ca != NULL);
	char tls_dir[600];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", tmp);
	CHECK_INT(ca ? pf_issue_tls(ca, tls_dir, "drf.sho-a.lab", NULL) : -1, 0);
	CHECK_INT(ca ? pf_issue_tls(ca, tls_dir, "drf.sho-b.lab", NULL) : -1, 0); /* the peer, pinned */
	om_ca_free(ca);

	/* the HSS with the subscribers; A leaves it behind the DRF's back */
	unsigned port = du_free_port();
	pid_t hss = start_hss(port);
	const char *subs[] = { IMSI_A, IMSI_B, IMSI_C, IMSI_D, IMSI_E, IMSI_F };
	for (size_t i = 0; i < 6; i++)
		CHECK_INT(hss_admin("add", subs[i]), 0);
	CHECK_INT(hss_admin("delete", IMSI_A), 0);

	/* the register: the removals due, A first, then the one the HSS refuses, then B and C */
	struct drf *d = NULL;
	struct drf_config dc = { .db_path = drf_db };
	CHECK_MSG(drf_open(&d, &dc, err, sizeof(err)) == 0, "%s", err);
	drf_close(d);
	/* a one-byte certificate: x'00' is SQLite's blob literal, '\\x00' PostgreSQL's bytea */
	db_exec(drf_db, t_store_is_pg() ? "INSERT INTO device (tre_id, imsi, since, enc_cert, owner, sequence, ours)"
					  " VALUES ('TRE-1', '" IMSI_A "', 0, '\\x00', 'owner', 0, 0)"
					: "INSERT INTO device (tre_id, imsi, since, enc_cert, owner, sequence, ours)"
					  " VALUES ('TRE-1', '" IMSI_A "', 0, x'00', 'owner', 0, 0)");
	schedule(IMSI_A, -30);
	schedule(IMSI_R, -20);
	schedule(IMSI_B, -10);
	schedule(IMSI_C, -10);
	pid_t drf = start_drf();

	/* 1. already gone is done; a refusal is retried; the others happen */
	CHECK_MSG(wait_done(IMSI_B) && wait_done(IMSI_C), "B and C not removed: %s", removal_rows());
	CHECK(removal_done(IMSI_A));
	CHECK(drf_logged("imsi=" IMSI_A " result=already-gone"));
	CHECK(drf_logged("imsi=" IMSI_R " result=retry code=OM_EHSS_IMSI attempts=1"));
	CHECK(!removal_done(IMSI_R));
	CHECK_INT(subscriber(IMSI_B) + subscriber(IMSI_C), 0);
	CHECK_INT(subscriber(IMSI_D), 1);

	/* 2. the HSS stops: E's delete gets there, its answer does not; the call ends at the deadline */
	CHECK_INT(kill(hss, SIGSTOP), 0);
	schedule(IMSI_E, 0);
	CHECK(drf_logged("imsi=" IMSI_E " result=retry code=OM_ETIMEOUT attempts=1"));
	CHECK(!removal_done(IMSI_E));
	CHECK_INT(kill(hss, SIGCONT), 0);
	/* the HSS is back: a later removal happens, and E's retry finds it gone */
	schedule(IMSI_F, 0);
	CHECK_MSG(wait_done(IMSI_F), "F not removed: %s", removal_rows());
	CHECK_MSG(wait_done(IMSI_E), "E not done: %s", removal_rows());
	CHECK(drf_logged("imsi=" IMSI_E " result=already-gone"));

	/* the state: only D and nothing else at the HSS; every removal done but the refused one */
	CHECK_INT(db_int(hss_db, "SELECT count(*) FROM subscriber"), 1);
	CHECK_INT(subscriber(IMSI_D), 1);
	/* R: still refused and retried; its last failure was the HSS's refusal, or a timeout while it was stopped */
	CHECK_INT(db_int(drf_db, "SELECT attempts >= 2 AND done IS NULL AND error IN ('OM_EHSS_IMSI', 'OM_ETIMEOUT')"
				   " FROM removal WHERE imsi = '" IMSI_R "'"),
		  1);
	CHECK_INT(db_int(drf_db, "SELECT attempts >= 1 FROM removal WHERE imsi = '" IMSI_E "'"), 1);
	static const char want[] = IMSI_A ":1:-;" IMSI_B ":1:-;" IMSI_C ":1:-;" IMSI_E ":1:OM_ETIMEOUT;" IMSI_F
				   ":1:-;" IMSI_R ":0:OM_E"; /* imsi:done:last error, R's error checked above */
	const char *rows = removal_rows();
	CHECK_MSG(!strncmp(rows, want, strlen(want)), "rows: %s", rows);

	CHECK_INT(du_term_wait(drf, 10000), 0);
	CHECK_INT(du_term_wait(hss, 10000), 0);
	if (check_failures() || getenv("OM_VERBOSE")) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "cat %s/drf.log %s/hss.log", tmp, tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "(no logs)\n");
	}
	du_rm_rf(tmp);
	return check_done();
}
