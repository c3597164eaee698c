/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clone and rollback detection (issue 11, docs/hss.md): an AUTS ahead of
 * everything the HSS issued and an IMSI served by two MMEs at once are each
 * flagged with one log line without secrets, counted per subscriber (and
 * shown by `show`), and answered by the configured policy; a normal move
 * between MMEs is not flagged; and nothing else in the database changes.
 */
#include <fcntl.h>

#include <openmcim/kdf.h>
#include <openmcim/usim.h>
#include <openmcim/vector.h>

#include "hss_test_util.h"

#define OTHER_IMSI "001010000000002"

static char dir[] = "/tmp/om_hss_clone_XXXXXX";
static char db[300];
static int seq;
static struct om_milenage mil;

static struct hss *open_hss(enum hss_clone_policy policy)
{
	char err[256] = "";
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = 16, .max_resyncs = 100,
				  .resync_window_s = 3600, .clone_policy = policy, .clone_window_s = 600 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "hss_open: %s", err);
	return h;
}

/* A fresh database with the test subscriber and a bystander. */
static struct hss *fresh(enum hss_clone_policy policy)
{
	char name[32];
	snprintf(name, sizeof(name), "hss%d.db", seq++);
	if (t_store_conf(dir, name, db, sizeof(db)) < 0)
		CHECK_MSG(0, "no database for %s", name);
	struct hss *h = open_hss(policy);
	if (h) {
		CHECK_INT(t_admin(h, "add " T_IMSI " k=" T_K " opc=" T_OPC " amf=b9b9 apn=internet roaming=00101"), 0);
		CHECK_INT(t_admin(h, "add " OTHER_IMSI " k=" T_K " opc=" T_OPC " amf=b9b9 apn=internet roaming=00101"),
			  0);
	}
	return h;
}

static long long col(const char *imsi, const char *expr)
{
	return t_sub_int(db, imsi, expr);
}

/*
 * Everything an event must leave alone: the bystander's row, APNs and roaming
 * lists. (The IND table is left out: a new MME gets its IND on first sight.)
 */
static char *dump_rest(void)
{
	char *all = t_dump(db);
	if (!all)
		return NULL;
	char *ind = strstr(all, "#\n");
	for (int i = 0; ind && i < 2; i++)
		ind = strstr(ind + 2, "#\n");
	if (ind)
		ind[2] = '\0';
	/* drop the test subscriber's line: the other tables and the bystander stay */
	char *line = strstr(all, T_IMSI "|");
	if (line && (line == all || line[-1] == '\n')) {
		char *end = strchr(line, '\n');
		if (end)
			memmove(line, end + 1, strlen(end + 1) + 1);
	}
	return all;
}

static void rest_unchanged(char *before)
{
	char *after = dump_rest();
	CHECK_MSG(before && after && !strcmp(before, after), "other rows changed:\n%s---\n%s", before, after);
	free(before);
	free(after);
}

/* Capture stderr (the log) into a file while a test runs. */
static int log_fd = -1, saved_fd = -1;
static char log_path[320];

static void log_start(void)
{
	snprintf(log_path, sizeof(log_path), "%s/log%d", dir, seq);
	fflush(stderr);
	saved_fd = dup(2);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved_fd < 0 || log_fd < 0 || dup2(log_fd, 2) < 0)
		CHECK(0);
}

static char *log_stop(void)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	close(log_fd);
	size_t len = 0;
	char *log = (char *)check_slurp(log_path, &len);
	if (!log) {
		CHECK_MSG(0, "no log at %s", log_path);
		log = calloc(1, 1);
	}
	return log;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* No key, RAND or AUTS in the log, in either case of hex. */
static void log_has_no_secret(const char *log, const uint8_t *resync)
{
	char rand_hex[33], auts_hex[29];
	om_hex_encode(rand_hex, resync, 16);
	om_hex_encode(auts_hex, resync + 16, 14);
	const char *secrets[] = { T_K, T_OPC, rand_hex, auts_hex };
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		char upper[40];
		snprintf(upper, sizeof(upper), "%s", secrets[i]);
		for (char *c = upper; *c; c++)
			if (*c >= 'a' && *c <= 'f')
				*c = (char)(*c - 'a' + 'A');
		CHECK_MSG(!strstr(log, secrets[i]) && !strstr(log, upper), "secret %zu in the log", i);
	}
}

static int air(struct hss *h, const char *host, unsigned n, const uint8_t *resync, uint64_t *first_seq)
{
	struct om_eutran_vector v[5];
	int got = hss_auth_info(h, T_IMSI, t_plmn_home, host, n, resync, v);
	if (got > 0 && first_seq)
		*first_seq = t_sqn_of(&mil, v[0].rand, v[0].autn) >> 5;
	return got;
}

static int ulr(struct hss *h, const char *host)
{
	struct hss_subscription s;
	return hss_update_location(h, T_IMSI, t_plmn_home, host, &s);
}

/* (a) A USIM at SEQ 1000 while the HSS issued 3: another AuC made its SQNs, or our database went back. */
static void sqn_ahead_is_flagged_counted_and_reported(void)
{
	struct hss *h = fresh(HSS_CLONE_REPORT);
	if (!h)
		return;
	uint64_t s = 0;
	CHECK_INT(air(h, "mme-a.lab", 3, NULL, &s), 3);
	char *before = dump_rest();
	uint8_t rand[16] = { 7 }, rs[30];
	CHECK_INT(t_resync_info(&mil, rand, UINT64_C(1000) << 5, rs), 0);
	log_start();
	CHECK_INT(air(h, "mme-a.lab", 1, rs, &s), 1);
	char *log = log_stop();
	CHECK_INT(s, 1001); /* continues above SQN_MS: the genuine device after a rollback still attaches */
	CHECK_INT(col(T_IMSI, "sqn_ahead_events"), 1);
	CHECK_INT(col(T_IMSI, "two_mme_events"), 0);
	CHECK_INT(col(T_IMSI, "last_event = 'sqn-ahead' AND last_event_at > 0 AND status = 'active'"), 1);
	CHECK_MSG(count_of(log, "clone-suspect") == 1 &&
			  strstr(log, "event=sqn-ahead host=mme-a.lab seq_ms=1000 seq_issued=3 count=1 policy=report"),
		  "log: %s", log);
	log_has_no_secret(log, rs);
	free(log);
	/* the same AUTS again (replayed) is stale now: no event, SQN still rises */
	CHECK_INT(air(h, "mme-b.lab", 1, rs, &s), 1);
	CHECK_INT(s, 1002);
	CHECK_INT(col(T_IMSI, "sqn_ahead_events"), 1);
	rest_unchanged(before);
	hss_close(h);
}

/* Under clone_policy = bar the same AUTS suspends the subscriber and no vector leaves. */
static void sqn_ahead_under_bar_suspends_without_a_vector(void)
{
	struct hss *h = fresh(HSS_CLONE_BAR);
	if (!h)
		return;
	CHECK_INT(air(h, "mme-a.lab", 3, NULL, NULL), 3);
	char *before = dump_rest();
	long long k_before = col(T_IMSI, "length(k) + ind_bits + ambr_ul");
	uint8_t rand[16] = { 9 }, rs[30];
	CHECK_INT(t_resync_info(&mil, rand, UINT64_C(1000) << 5, rs), 0);
	log_start();
	CHECK_INT(air(h, "mme-a.lab", 1, rs, NULL), HSS_SUSPENDED);
	char *log = log_stop();
	CHECK_MSG(strstr(log, "event=sqn-ahead") && strstr(log, "policy=bar status=suspended"), "log: %s", log);
	free(log);
	CHECK_INT(col(T_IMSI, "status = 'suspended' AND sqn_ahead_events = 1"), 1);
	/* the floor moved to SQN_MS, the mark with it, nothing else of the row */
	CHECK_INT(col(T_IMSI, "sqn >> 5"), 1000);
	CHECK_INT(col(T_IMSI, "seq_reserved >= 1000"), 1);
	CHECK_INT(col(T_IMSI, "length(k) + ind_bits + ambr_ul"), k_before);
	CHECK_INT(col(T_IMSI, "serving_host IS NULL AND previous_host IS NULL"), 1);
	rest_unchanged(before);
	/* later requests get the suspended result; the bystander is served */
	CHECK_INT(air(h, "mme-a.lab", 1, NULL, NULL), HSS_SUSPENDED);
	CHECK_INT(ulr(h, "mme-a.lab"), HSS_SUSPENDED);
	struct om_eutran_vector v[1];
	CHECK_INT(hss_auth_info(h, OTHER_IMSI, t_plmn_home, "mme-a.lab", 1, NULL, v), 1);
	/* the operator resumes it: the next SQN is above SQN_MS, without another resync */
	CHECK_INT(t_admin(h, "resume " T_IMSI), 0);
	uint64_t s = 0;
	CHECK_INT(air(h, "mme-a.lab", 1, NULL, &s), 1);
	CHECK_INT(s, 1001);
	CHECK_INT(col(T_IMSI, "sqn_ahead_events"), 1);
	hss_close(h);
}

/* A normal move A -> B -> C, each MME asking only while it serves, and a return after the window. */
static void a_normal_move_is_not_flagged(void)
{
	struct hss *h = fresh(HSS_CLONE_BAR);
	if (!h)
		return;
	char *before = dump_rest();
	log_start();
	CHECK_INT(air(h, "mme-a.lab", 2, NULL, NULL), 2);
	CHECK_INT(ulr(h, "mme-a.lab"), HSS_OK);
	CHECK_INT(air(h, "mme-a.lab", 1, NULL, NULL), 1);
	CHECK_INT(air(h, "mme-b.lab", 2, NULL, NULL), 2); /* the new MME asks before it registers */
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK);
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK); /* again: no move */
	CHECK_INT(air(h, "mme-b.lab", 1, NULL, NULL), 1);
	CHECK_INT(air(h, "mme-c.lab", 1, NULL, NULL), 1);
	CHECK_INT(ulr(h, "mme-c.lab"), HSS_OK);
	CHECK_INT(col(T_IMSI, "previous_host = 'mme-b.lab' AND serving_host = 'mme-c.lab'"), 1);
	/* back to B, but after the window: a move again */
	CHECK_INT(t_sql_exec(db, "UPDATE subscriber SET previous_until = previous_until - 600 WHERE imsi = '" T_IMSI "'"),
		  0);
	CHECK_INT(air(h, "mme-b.lab", 1, NULL, NULL), 1);
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK);
	/* A purges what it still held, then comes back at once: a purge ends its part, so a fresh arrival */
	CHECK_INT(hss_purge(h, T_IMSI, "mme-c.lab"), HSS_OK);
	CHECK_INT(col(T_IMSI, "previous_host IS NULL AND serving_host = 'mme-b.lab'"), 1);
	CHECK_INT(air(h, "mme-c.lab", 1, NULL, NULL), 1);
	CHECK_INT(ulr(h, "mme-c.lab"), HSS_OK);
	char *log = log_stop();
	CHECK_INT(col(T_IMSI, "sqn_ahead_events + two_mme_events"), 0);
	CHECK_INT(col(T_IMSI, "status = 'active' AND last_event IS NULL AND last_event_at IS NULL"), 1);
	CHECK_MSG(count_of(log, "clone-suspect") == 0, "log: %s", log);
	free(log);
	rest_unchanged(before);
	hss_close(h);
}

/* (b) Two devices with one credential at A and B: A asks again after B registered. */
static void two_mmes_at_once_are_flagged_once_per_return(void)
{
	struct hss *h = fresh(HSS_CLONE_REPORT);
	if (!h)
		return;
	/* the restart below settles every SQN mark to its SQN (docs/hss.md): the bystander's, born
	 * reserved at its add, is settled here first, so that the rows compared differ only by the events */
	hss_close(h);
	h = open_hss(HSS_CLONE_REPORT);
	if (!h)
		return;
	char *before = dump_rest();
	CHECK_INT(ulr(h, "mme-a.lab"), HSS_OK);
	CHECK_INT(air(h, "mme-b.lab", 1, NULL, NULL), 1);
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK);
	CHECK_INT(col(T_IMSI, "two_mme_events"), 0);
	log_start();
	CHECK_INT(air(h, "mme-a.lab", 1, NULL, NULL), 1); /* reported, still served */
	char *log = log_stop();
	CHECK_INT(col(T_IMSI, "two_mme_events = 1 AND last_event = 'two-mme' AND status = 'active'"), 1);
	CHECK_MSG(count_of(log, "clone-suspect") == 1 &&
			  strstr(log, "event=two-mme host=mme-a.lab serving=mme-b.lab") && strstr(log, "count=1 policy=report"),
		  "log: %s", log);
	free(log);
	/* the same return counts once: more from A, then A registers again */
	CHECK_INT(air(h, "mme-a.lab", 1, NULL, NULL), 1);
	CHECK_INT(ulr(h, "mme-a.lab"), HSS_OK);
	CHECK_INT(col(T_IMSI, "two_mme_events"), 1);
	CHECK_INT(col(T_IMSI, "serving_host = 'mme-a.lab' AND previous_host = 'mme-b.lab'"), 1);
	/* and now B, the other device, asks again: the next return */
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK);
	CHECK_INT(col(T_IMSI, "two_mme_events"), 2);
	/* the counters survive a restart and show reads them */
	hss_close(h);
	h = open_hss(HSS_CLONE_REPORT);
	if (!h)
		return;
	char line[64] = "show " T_IMSI, why[128] = "", out[T_COLLECT_MAX] = "";
	CHECK_INT(hss_admin_exec(h, line, t_collect, out, why, sizeof(why)), 0);
	CHECK_MSG(strstr(out, "events sqn_ahead=0 two_mme=2 last=two-mme at="), "show: %s", out);
	char st[16] = "status";
	out[0] = '\0';
	CHECK_INT(hss_admin_exec(h, st, t_collect, out, why, sizeof(why)), 0);
	CHECK_MSG(strstr(out, "subscribers=2 suspended=0 flagged=1 sqn_ahead_events=0 two_mme_events=2") &&
			  strstr(out, "flagged imsi=" T_IMSI " status=active sqn_ahead=0 two_mme=2 last=two-mme"),
		  "status: %s", out);
	rest_unchanged(before);
	hss_close(h);
}

/* Under bar a ULR from the returning MME is refused and registers nothing; later AIRs get suspended. */
static void two_mmes_under_bar_suspend_and_register_nothing(void)
{
	struct hss *h = fresh(HSS_CLONE_BAR);
	if (!h)
		return;
	CHECK_INT(ulr(h, "mme-a.lab"), HSS_OK);
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK);
	long long sqn = col(T_IMSI, "sqn"), mark = col(T_IMSI, "seq_reserved");
	char *before = dump_rest();
	CHECK_INT(ulr(h, "mme-a.lab"), HSS_SUSPENDED);
	CHECK_INT(col(T_IMSI, "status = 'suspended' AND two_mme_events = 1 AND serving_host = 'mme-b.lab'"), 1);
	CHECK_INT(col(T_IMSI, "sqn"), sqn);
	CHECK_INT(col(T_IMSI, "seq_reserved"), mark);
	CHECK_INT(air(h, "mme-b.lab", 1, NULL, NULL), HSS_SUSPENDED);
	rest_unchanged(before);
	hss_close(h);
}

/* A database of schema version 1 (before issue 11) migrates in place: rows kept, no events, no previous MME. */
static void a_version_1_database_migrates(void)
{
	if (t_store_is_pg()) {
		/* schema 1 shipped on SQLite only: PostgreSQL databases start at 2 */
		fprintf(stderr, "  (a_version_1_database_migrates: SQLite files only, not run on PostgreSQL)\n");
		return;
	}
	snprintf(db, sizeof(db), "%s/v1.db", dir);
	CHECK_INT(t_sql_exec(db, "CREATE TABLE subscriber (imsi TEXT PRIMARY KEY NOT NULL,"
				 " k BLOB NOT NULL CHECK (length(k) = 16), opc BLOB NOT NULL CHECK (length(opc) = 16),"
				 " amf BLOB NOT NULL CHECK (length(amf) = 2),"
				 " algorithm TEXT NOT NULL DEFAULT 'milenage' CHECK (algorithm = 'milenage'),"
				 " ind_bits INTEGER NOT NULL DEFAULT 5 CHECK (ind_bits BETWEEN 0 AND 28),"
				 " sqn INTEGER NOT NULL DEFAULT 0, seq_reserved INTEGER NOT NULL DEFAULT 0,"
				 " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),"
				 " roaming_any INTEGER NOT NULL DEFAULT 0 CHECK (roaming_any IN (0, 1)),"
				 " ambr_ul INTEGER NOT NULL, ambr_dl INTEGER NOT NULL,"
				 " resync_count INTEGER NOT NULL DEFAULT 0, resync_window_start INTEGER NOT NULL DEFAULT 0,"
				 " serving_host TEXT, serving_plmn BLOB, serving_since INTEGER);"
				 "CREATE TABLE apn (imsi TEXT NOT NULL REFERENCES subscriber (imsi) ON DELETE CASCADE,"
				 " context_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (imsi, context_id));"
				 "CREATE TABLE roaming (imsi TEXT NOT NULL REFERENCES subscriber (imsi) ON DELETE CASCADE,"
				 " plmn BLOB NOT NULL CHECK (length(plmn) = 3), PRIMARY KEY (imsi, plmn));"
				 "CREATE TABLE ind (ind INTEGER PRIMARY KEY NOT NULL, origin_host TEXT NOT NULL UNIQUE);"
				 "INSERT INTO subscriber (imsi, k, opc, amf, sqn, seq_reserved, roaming_any, ambr_ul, ambr_dl,"
				 " serving_host, serving_plmn, serving_since) VALUES ('" T_IMSI "', x'" T_K "', x'" T_OPC
				 "', x'b9b9', 224, 7, 1, 1000, 1000, 'mme-a.lab', x'00f110', 99);"
				 "INSERT INTO apn VALUES ('" T_IMSI "', 1, 'internet');"
				 "PRAGMA user_version = 1;"),
		  0);
	struct hss *h = open_hss(HSS_CLONE_REPORT);
	if (!h)
		return;
	CHECK_INT(t_sql_int(db, "PRAGMA user_version"), 2);
	CHECK_INT(col(T_IMSI, "sqn_ahead_events + two_mme_events"), 0);
	CHECK_INT(col(T_IMSI, "previous_host IS NULL AND last_event IS NULL AND serving_host = 'mme-a.lab'"), 1);
	uint64_t s = 0;
	CHECK_INT(air(h, "mme-a.lab", 1, NULL, &s), 1);
	CHECK_INT(s, 8); /* the stored SQN (SEQ 7) carried over */
	CHECK_INT(ulr(h, "mme-b.lab"), HSS_OK);
	CHECK_INT(col(T_IMSI, "previous_host = 'mme-a.lab'"), 1);
	hss_close(h);
}

static void open_refuses_an_unknown_policy(void)
{
	char err[256] = "";
	struct hss_config cfg = { .db_path = db, .clone_policy = (enum hss_clone_policy)7 };
	CHECK(hss_open(&cfg, err, sizeof(err)) == NULL);
	CHECK_MSG(strstr(err, "clone_policy"), "err: %s", err);
}

int main(void)
{
	if (!mkdtemp(dir) || t_milenage(&mil) < 0) {
		perror("setup");
		return 1;
	}
	sqn_ahead_is_flagged_counted_and_reported();
	sqn_ahead_under_bar_suspends_without_a_vector();
	a_normal_move_is_not_flagged();
	two_mmes_at_once_are_flagged_once_per_return();
	two_mmes_under_bar_suspend_and_register_nothing();
	a_version_1_database_migrates();
	open_refuses_an_unknown_policy();
	om_milenage_clear(&mil);
	t_remove_dir(dir);
	return check_done();
}
