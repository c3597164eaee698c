/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec/000 5.2.2.3.5 case 2: a common PCID space replicated master-slave
 * (docs/decisions.md "Case 2"). The first RO's ICF (a real openmcim-hss,
 * front end 0 of 2) serves the PCIDs from its PostgreSQL cluster; a second
 * RO keeps a hot standby of that cluster by streaming replication,
 * synchronous, made by pg_basebackup -R as the server's unprivileged user.
 *
 *   1. Front end 0 answers AIRs for every PCID (this process is the MME).
 *   2. The standby holds every subscriber and the SQN marks already (read
 *      there), but it is read-only: an ICF cannot open on it (recovery
 *      writes) and an attempted import changes nothing.
 *   3. The first RO is killed: its ICF with SIGKILL, its cluster with an
 *      immediate stop (a crash).
 *   4. The standby is promoted; the second RO's ICF (front end 1 of 2: its
 *      own IND slot, docs/sqn.md) starts on it and answers AIRs for every
 *      PCID.
 *
 * Then: front end 1 failed no AIR; every vector's IND carries its front
 * end's slot; no SQN was issued twice; each of front end 1's SEQs is above
 * every SEQ of front end 0 (the durable mark reached the standby before
 * front end 0 used a SEQ under it: synchronous replication); and a USIM
 * accepts, for each PCID, front end 0's vectors in order and then front
 * end 1's.
 *
 * Before step 1, with the standby still asynchronous, the first ICF does
 * not start (`file:line: db_peer: ...`, exit status 1) and changes nothing.
 *
 * Fencing (docs/decisions.md "Fencing the old primary"; each ICF's db_peer
 * names the other cluster, the second's was not reached when it started):
 *   5. The first RO's cluster comes back as a primary and its ICF is
 *      started again: it refuses (`fenced`, exit status 3) before it opens
 *      its store; an AIR for a PCID of the space through it gets no vector;
 *      not a byte of its subscriber rows changes; the second ICF serves on.
 *   6. The operator brings the old primary back as a standby of the new one
 *      (pg_rewind, om_pg_cluster_rejoin), synchronous: the second ICF
 *      serves, and the rejoined copy holds its marks.
 *   7. That copy is promoted while the second ICF runs (a second failover,
 *      or an operator's mistake): the second ICF's watcher sees a primary
 *      on a later timeline and ends the process (exit status 3, `fenced`).
 */
#include <libgen.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>
#include <openmcim/sqn.h>
#include <openmcim/usim.h>

#include "admin.h"
#include "check.h"
#include "daemon_util.h"
#include "hss.h"
#include "hss_test_util.h"
#include "pg_cluster.h"
#include "s6a.h"
#include "store_fence.h"

#define MME_ID "mme.case2.lab"
#define N_SUB 3
#define PER_SUB 6 /* AIRs per PCID and front end, 2 vectors each */
#define MAX_VEC (2 * N_SUB * PER_SUB * 2)
#define IND_BITS 5 /* the subscribers'; front-end slot = IND >> 4 */
#define K_HEX "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC_HEX "cd63cb71954a9f4e48a5994e37a02baf"

static const char *const imsi[N_SUB] = { "001010000000001", "001010000000002", "001010000000003" };
static const char *const realm[2] = { "ro-1.epc.mnc001.mcc001.3gppnetwork.org", "ro-2.epc.mnc001.mcc001.3gppnetwork.org" };
static const char *const ident[2] = { "icf.ro-1.lab", "icf.ro-2.lab" };
static const uint8_t plmn_home[3] = { 0x00, 0xf1, 0x10 };

static char dir[] = "/tmp/om_case2_XXXXXX";
static char hss_bin[4096], conf[2][512], log_path[2][512], uri[2][512];
static pid_t pid[2] = { -1, -1 };
static struct om_milenage usim_m;

static struct {
	struct om_eutran_vector v[MAX_VEC];
	int fe[MAX_VEC], sub[MAX_VEC];
	int n, failures[2];
} run;

static int provision(void)
{
	char err[256] = "", line[256];
	struct hss_config cfg = { .db_path = uri[0], .max_vectors = 5, .sqn_reserve = 16, .frontends = 2 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "%s", err);
	if (!h)
		return -1;
	int rc = 0;
	for (int i = 0; i < N_SUB && rc == 0; i++) {
		snprintf(line, sizeof(line), "add %s k=" K_HEX " opc=" OPC_HEX " amf=8000 apn=m2m.prov roaming=any", imsi[i]);
		rc = hss_admin_exec(h, line, t_ignore, NULL, err, sizeof(err));
		CHECK_MSG(rc == 0, "add: %s", err);
	}
	hss_close(h);
	return rc;
}

static long long sql_int(const char *u, const char *sql);

/* Front end i on its cluster, db_peer the other cluster (checked every second). */
static void write_conf(int i, unsigned port)
{
	char text[4096], head[1200];
	snprintf(conf[i], sizeof(conf[i]), "%s/icf%d.conf", dir, i);
	snprintf(log_path[i], sizeof(log_path[i]), "%s/icf%d.log", dir, i);
	t_hss_fe_conf(conf[i], uri[i], i, dir, ident[i], realm[i], port, MME_ID);
	FILE *f = fopen(conf[i], "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	CHECK(strncmp(text, "[hss]\n", 6) == 0);
	snprintf(head, sizeof(head), "[hss]\ndb_peer = %s\ndb_peer_interval = 1\n", uri[1 - i]);
	FILE *w = fopen(conf[i], "w");
	CHECK(w && fprintf(w, "%s%s", head, text + 6) > 0 && fclose(w) == 0);
}

/* The exit status of pid within ms (it is then reaped), or -2 while it still runs (then it is killed). */
static int exit_within(pid_t p, int ms)
{
	int st = 0;
	for (int waited = 0; waited < ms; waited += 50) {
		if (waitpid(p, &st, WNOHANG) == p)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		du_nap_ms(50);
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	return -2;
}

/* The whole subscriber table of the database u, as one digest (a change anywhere shows). */
static long long sub_digest(const char *u)
{
	return sql_int(u, "SELECT ('x' || substr(md5(string_agg(s::text, '|' ORDER BY imsi)), 1, 15))::bit(60)::bigint"
			  " FROM subscriber s");
}

/* One AIR per PCID through front end fe: how many got vectors. */
static int air_each(int fe)
{
	int got = 0;
	for (int s = 0; s < N_SUB; s++) {
		struct om_eutran_vector v[1];
		struct om_s6a_answer a;
		got += om_s6a_air(realm[fe], imsi[s], plmn_home, 1, NULL, 3000, v, &a) > 0;
	}
	return got;
}

/* PER_SUB AIRs of 2 vectors for every PCID through front end fe. */
static void airs(int fe)
{
	for (int r = 0; r < PER_SUB; r++)
		for (int s = 0; s < N_SUB; s++) {
			struct om_eutran_vector v[2];
			struct om_s6a_answer a;
			int n = om_s6a_air(realm[fe], imsi[s], plmn_home, 2, NULL, 5000, v, &a);
			if (n <= 0)
				run.failures[fe]++;
			for (int i = 0; i < n && run.n < MAX_VEC; i++) {
				run.fe[run.n] = fe;
				run.sub[run.n] = s;
				run.v[run.n++] = v[i];
			}
		}
}

/* One value of a query on the database uri names (the standby's, read as a reader would). */
static long long sql_int(const char *u, const char *sql)
{
	PGconn *c = PQconnectdb(u);
	long long v = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			v = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return v;
}

static void check_every_vector(void)
{
	static uint64_t sqn[MAX_VEC];
	int n = run.n, wrong_slot = 0;
	uint64_t top0[N_SUB] = { 0 }, low1[N_SUB];
	for (int s = 0; s < N_SUB; s++)
		low1[s] = UINT64_MAX;
	for (int i = 0; i < n; i++) {
		uint64_t q = t_sqn_of(&usim_m, run.v[i].rand, run.v[i].autn);
		unsigned ind = (unsigned)(q & ((1u << IND_BITS) - 1));
		uint64_t seq = q >> IND_BITS;
		wrong_slot += (int)(ind >> (IND_BITS - 1)) != run.fe[i];
		if (run.fe[i] == 0 && seq > top0[run.sub[i]])
			top0[run.sub[i]] = seq;
		if (run.fe[i] == 1 && seq < low1[run.sub[i]])
			low1[run.sub[i]] = seq;
		/* distinct subscribers may share an SQN; the pair may not repeat */
		sqn[i] = q << 2 | (uint64_t)run.sub[i];
	}
	CHECK_INT(wrong_slot, 0);
	for (int s = 0; s < N_SUB; s++)
		CHECK_MSG(low1[s] != UINT64_MAX && low1[s] > top0[s],
			  "%s: the second ICF's first SEQ %llu is not above the first's last %llu", imsi[s],
			  (unsigned long long)low1[s], (unsigned long long)top0[s]);
	int dup = t_repeats(sqn, (size_t)n);
	CHECK_MSG(dup == 0, "%d SQNs issued twice", dup);
	int refused = 0;
	for (int s = 0; s < N_SUB; s++) {
		struct om_usim_sqn u;
		CHECK_INT(om_usim_sqn_init(&u, IND_BITS, OM_USIM_DELTA_DEFAULT, 0), 0);
		for (int fe = 0; fe < 2; fe++)
			for (int i = 0; i < n; i++)
				if (run.fe[i] == fe && run.sub[i] == s)
					refused += t_usim_takes(&usim_m, &u, &run.v[i]) != 0;
	}
	CHECK_MSG(refused == 0, "the USIMs refused %d of %d vectors", refused, n);
}

/* Step 2: the standby has every subscriber and is read-only to an ICF. */
static void check_standby_read_only(void)
{
	char err[256] = "", line[256];
	long long subs = sql_int(uri[1], "SELECT count(*) FROM subscriber");
	long long marks = sql_int(uri[1], "SELECT count(*) FROM subscriber WHERE seq_reserved > 0");
	long long in_recovery = sql_int(uri[1], "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END");
	CHECK_MSG(subs == N_SUB, "the standby has %lld subscribers", subs);
	CHECK_MSG(marks == N_SUB, "the standby has %lld of the SQN marks", marks);
	CHECK_INT(in_recovery, 1);
	struct hss_config cfg = { .db_path = uri[1], .max_vectors = 5, .sqn_reserve = 16, .frontends = 2,
				  .frontend_index = 1 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h == NULL, "an ICF opened on the read-only standby");
	if (h) {
		snprintf(line, sizeof(line), "add 001010000000009 k=" K_HEX " opc=" OPC_HEX " amf=8000 apn=m2m.prov");
		CHECK(hss_admin_exec(h, line, t_ignore, NULL, err, sizeof(err)) < 0);
		hss_close(h);
	}
	CHECK_INT(sql_int(uri[1], "SELECT count(*) FROM subscriber"), N_SUB);
}

int main(void)
{
	char exe[4096], err[512] = "", mme_conf[512];
	struct t_pg pg;
	struct om_pg_cluster standby = { 0 };
	unsigned port[2] = { du_free_port(), du_free_port() }, mme_port = du_free_port();

	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(len > 0 && mkdtemp(dir) != NULL && port[0] && port[1] && mme_port && port[0] != port[1]);
	if (len <= 0)
		return check_done();
	exe[len] = 0;
	snprintf(hss_bin, sizeof(hss_bin), "%s/openmcim-hss", dirname(exe));
	uint8_t k[16], opc[16];
	CHECK(om_hex_decode(k, 16, K_HEX) == 0 && om_hex_decode(opc, 16, OPC_HEX) == 0);
	CHECK(om_milenage_init(&usim_m, k, opc) == 0);
	if (t_pg_start(&pg, OM_PGC_REWIND) < 0 || t_pg_createdb(&pg, "icf", uri[0], sizeof(uri[0])) < 0) {
		CHECK_MSG(0, "no PostgreSQL cluster: this test needs one (scripts/deps.sh test)");
		goto out;
	}
	if (provision())
		goto out;
	/* the second RO's copy: streaming, asynchronous first */
	int sb = om_pg_cluster_standby(&standby, &pg.c, NULL, 0, err, sizeof(err));
	CHECK_MSG(sb == 0, "standby: %s", err);
	if (sb < 0 || om_pg_cluster_uri(&standby, "icf", uri[1], sizeof(uri[1])) < 0)
		goto out;
	for (int i = 0; i < 2; i++)
		write_conf(i, port[i]);
	/* 0: an ICF whose standby streams asynchronously does not start (a failover could lose marks) */
	for (int i = 0; i < 100 && sql_int(uri[0], "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'async'") != 1; i++)
		du_nap_ms(100);
	long long provisioned = sub_digest(uri[0]);
	pid[0] = du_spawn_daemon(hss_bin, conf[0], log_path[0], 0);
	int st = exit_within(pid[0], 15000);
	CHECK_MSG(st == 1, "the ICF beside an asynchronous standby: exit status %d, want 1", st);
	char want[600];
	snprintf(want, sizeof(want), "%s:2: db_peer: a standby streams from db asynchronously", conf[0]);
	char *l = du_wait_log(log_path[0], want, 1000);
	CHECK_MSG(l != NULL, "no '%s' in %s", want, log_path[0]);
	free(l);
	CHECK_MSG(sub_digest(uri[0]) == provisioned, "the refused ICF changed a subscriber row");
	/* synchronous from here, before the first ICF issues a single SQN */
	sb = om_pg_cluster_sync(&pg.c, err, sizeof(err));
	CHECK_MSG(sb == 0, "synchronous standby: %s", err);
	pid[0] = du_spawn_daemon(hss_bin, conf[0], log_path[0], 1);
	CHECK(pid[0] > 0);
	snprintf(mme_conf, sizeof(mme_conf), "%s/mme-fd.conf", dir);
	t_mme_fd_conf(mme_conf, MME_ID, "case2.lab", mme_port, ident, port);
	int started = om_s6a_start(mme_conf, err, sizeof(err));
	CHECK_MSG(started == 0, "%s", err);
	if (started)
		goto out;
	CHECK_MSG(om_s6a_wait_peer(ident[0], 15000) == 0, "the first ICF never came up (see %s)", log_path[0]);

	/* 1: the first RO serves */
	airs(0);
	CHECK_MSG(run.failures[0] == 0, "the first ICF failed %d AIRs", run.failures[0]);
	/* 2: the second RO reads the common space, and cannot write it */
	check_standby_read_only();
	/* 3: the first RO dies: its ICF and its database server */
	CHECK(kill(pid[0], SIGKILL) == 0);
	waitpid(pid[0], NULL, 0);
	pid[0] = -1;
	om_pg_cluster_halt(&pg.c);
	/* 4: the second RO promotes its copy and serves the common space on its own IND slot */
	int pr = om_pg_cluster_promote(&standby, err, sizeof(err));
	CHECK_MSG(pr == 0, "promote: %s", err);
	CHECK_INT(sql_int(uri[1], "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END"), 0);
	pid[1] = du_spawn_daemon(hss_bin, conf[1], log_path[1], 0);
	CHECK(pid[1] > 0);
	CHECK_MSG(om_s6a_wait_peer(ident[1], 20000) == 0, "the second ICF never came up (see %s)", log_path[1]);
	airs(1);
	CHECK_MSG(run.failures[1] == 0, "the second ICF failed %d AIRs", run.failures[1]);
	CHECK_INT(run.n, MAX_VEC);
	check_every_vector();
	char *unreached = du_wait_log(log_path[1], "db-peer-unreached", 1000);
	CHECK_MSG(unreached != NULL, "the second ICF did not say its peer is gone");
	free(unreached);

	/* 5: the first RO's cluster and ICF come back: refused, nothing changes there */
	int rs = om_pg_cluster_resume(&pg.c, err, sizeof(err));
	CHECK_MSG(rs == 0, "resume: %s", err);
	long long before = sub_digest(uri[0]);
	CHECK(before != -1);
	pid[0] = du_spawn_daemon(hss_bin, conf[0], log_path[0], 1);
	CHECK(pid[0] > 0);
	st = exit_within(pid[0], 15000);
	pid[0] = -1;
	CHECK_MSG(st == OM_STORE_FENCED_EXIT, "the old primary's ICF: exit status %d, want 3 (fenced)", st);
	char *l0 = du_wait_log(log_path[0], "timeline 2, db only on 1", 1000);
	CHECK_MSG(l0 && strstr(l0, "error fenced"), "the old ICF did not log why it refused (see %s)", log_path[0]);
	free(l0);
	CHECK_INT(air_each(0), 0);
	CHECK_MSG(sub_digest(uri[0]) == before, "the old primary's subscriber rows changed");
	CHECK_INT(air_each(1), N_SUB);
	/* the second ICF's watcher saw a stale primary and served on */
	CHECK(kill(pid[1], 0) == 0);

	/* 6: the old primary re-joins as a synchronous standby of the new one */
	int rj = om_pg_cluster_rejoin(&pg.c, &standby, 1, err, sizeof(err));
	CHECK_MSG(rj == 0, "rejoin: %s", err);
	CHECK_INT(sql_int(uri[0], "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END"), 1);
	CHECK_INT(air_each(1), N_SUB);
	long long now = sub_digest(uri[1]);
	int same = 0;
	for (int i = 0; i < 50 && !(same = sub_digest(uri[0]) == now); i++)
		du_nap_ms(100);
	CHECK_MSG(same, "the re-joined standby does not hold the second ICF's marks");

	/* 7: the re-joined copy promoted while the second ICF runs: its watcher ends it */
	pr = om_pg_cluster_promote(&pg.c, err, sizeof(err));
	CHECK_MSG(pr == 0, "promote the re-joined copy: %s", err);
	st = exit_within(pid[1], 15000);
	pid[1] = -1;
	CHECK_MSG(st == OM_STORE_FENCED_EXIT, "the second ICF after its peer's promotion: exit status %d, want 3 (fenced)", st);
	char *l1 = du_wait_log(log_path[1], "timeline 3, db only on 2", 1000);
	CHECK_MSG(l1 && strstr(l1, "error fenced"), "the second ICF did not log why it stopped (see %s)", log_path[1]);
	free(l1);
	om_s6a_stop();
out:
	for (int i = 0; i < 2; i++)
		if (pid[i] > 0)
			du_stop_daemon(pid[i], SIGTERM);
	om_milenage_clear(&usim_m);
	if (check_failures())
		for (int i = 0; i < 2; i++)
			t_tail_log(log_path[i], 20);
	om_pg_cluster_stop(&standby, 0);
	du_rm_rf(dir);
	t_pg_stop(&pg);
	return check_done();
}
