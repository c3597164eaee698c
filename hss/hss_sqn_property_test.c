/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQN property of the HSS (issue 11): no SQN ever leaves twice for one
 * subscriber, whatever AUTS arrives. Random runs interleave, for two
 * subscribers (5 and 2 IND bits):
 *  - AIRs of 1..5 vectors from six MMEs (Origin-Hosts),
 *  - valid AUTS for an old SQN_MS (one issued before, or 0), the last SQN
 *    issued, a replay of an earlier Re-Synchronization-Info, or an SQN_MS
 *    ahead of the HSS, each from any of the MMEs,
 *  - ULRs from any MME (so the clone rules run too, policy report),
 *  - clean restarts, and crashes: a child process takes vectors until
 *    SIGKILL, and half the time the lazy commits are then lost too, as in
 *    a power cut (the hss_sqn_crash_test style).
 * Every SQN issued must be above every SQN issued before for that
 * subscriber (and so its SEQ too); an AUTS ahead of the HSS's own SQN is
 * counted as an sqn-ahead event, and no other AUTS is.
 *
 * OM_SEED=N reruns one seed; otherwise RUNS seeds from the clock are
 * printed as they run.
 */
#include <time.h>

#include "hss_test_util.h"

#define RUNS 4
#define STEPS 220
#define HOSTS 6
#define SUBS 2
#define KEEP 64 /* earlier SQNs and resync infos kept per subscriber for "old" and "replay" */

static char dir[] = "/tmp/om_sqn_prop_XXXXXX";
static char db[300];
static uint64_t rng;

static const char *const imsi[SUBS] = { "001010000000001", "001010000000002" };
static const unsigned bits[SUBS] = { 5, 2 };
static const char *const host[HOSTS] = { "mme-a.lab", "mme-b.lab", "mme-c.lab",
					 "mme-d.lab", "mme-e.lab", "mme-f.lab" };

struct sub {
	uint64_t max;  /* the highest SQN issued */
	long issued;
	uint64_t old[KEEP];
	uint8_t replay[KEEP][30];
	size_t n_old, n_replay;
	long ahead; /* AUTS ahead of the HSS's SQN sent so far */
};
static struct sub subs[SUBS];
static struct om_milenage mil;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next_rand() % n);
}

static struct hss *open_hss(void)
{
	char err[256] = "";
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = 8, .max_resyncs = 1u << 30,
				  .resync_window_s = 1, .clone_policy = HSS_CLONE_REPORT };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "hss_open: %s", err);
	return h;
}

/* Every SQN issued is above every one before it; remember it. Returns 0, or -1 after a failure. */
static int issued(unsigned s, uint64_t sqn, const char *what, long step)
{
	struct sub *u = &subs[s];
	int ok = u->issued == 0 || (sqn > u->max && (sqn >> bits[s]) > (u->max >> bits[s]));
	CHECK_MSG(ok, "step %ld (%s): subscriber %u got SQN %llu (SEQ %llu) after SQN %llu (SEQ %llu)", step,
		  what, s, (unsigned long long)sqn, (unsigned long long)(sqn >> bits[s]),
		  (unsigned long long)u->max, (unsigned long long)(u->max >> bits[s]));
	if (sqn > u->max || u->issued == 0)
		u->max = sqn;
	u->issued++;
	u->old[u->n_old++ % KEEP] = sqn;
	return ok ? 0 : -1;
}

static int air(struct hss *h, unsigned s, const uint8_t *resync, const char *what, long step)
{
	struct om_eutran_vector v[5];
	unsigned n = 1 + pick(5);
	int got = hss_auth_info(h, imsi[s], t_plmn_home, host[pick(HOSTS)], n, resync, v);
	CHECK_MSG(got == (int)n, "step %ld (%s): hss_auth_info gave %d, want %u", step, what, got, n);
	int rc = got == (int)n ? 0 : -1;
	for (int i = 0; i < got && rc == 0; i++)
		rc = issued(s, t_sqn_of(&mil, v[i].rand, v[i].autn), what, step);
	return rc;
}

/* A valid AUTS of one of the four kinds, from any MME. */
static int resync(struct hss *h, unsigned s, long step)
{
	struct sub *u = &subs[s];
	uint8_t rand[16], info[30];
	const char *what;
	uint64_t sqn_ms;
	check_random(rand, sizeof(rand));
	unsigned kind = pick(4);
	if (kind == 1 && u->n_replay) {
		what = "replayed AUTS";
		memcpy(info, u->replay[pick(u->n_replay < KEEP ? (unsigned)u->n_replay : KEEP)], 30);
		goto send;
	}
	if (kind == 2) {
		/* ahead of the HSS's own SQN (after a crash that is the durable mark, above u->max) */
		long long stored = t_sub_int(db, imsi[s], "sqn");
		sqn_ms = ((((uint64_t)stored >> bits[s]) + 1 + pick(5000)) << bits[s]) | pick(1u << bits[s]);
		what = "AUTS ahead";
		u->ahead++;
	} else if (kind == 3) {
		sqn_ms = u->max;
		what = "AUTS at the last SQN";
	} else {
		sqn_ms = u->n_old && pick(4) ? u->old[pick(u->n_old < KEEP ? (unsigned)u->n_old : KEEP)] : 0;
		what = "stale AUTS";
	}
	if (t_resync_info(&mil, rand, sqn_ms, info) < 0) {
		CHECK(0);
		return -1;
	}
	memcpy(u->replay[u->n_replay++ % KEEP], info, 30);
send:
	return air(h, s, info, what, step);
}

static void ulr(struct hss *h, unsigned s, long step)
{
	struct hss_subscription sub;
	int rc = hss_update_location(h, imsi[s], t_plmn_home, host[pick(HOSTS)], &sub);
	CHECK_MSG(rc == HSS_OK, "step %ld: ULR gave %d", step, rc);
}

/* The child of a crash: vectors for random subscribers and MMEs until killed, each SQN to the pipe. */
static uint64_t child_salt;

static void child(int wfd)
{
	rng ^= child_salt; /* its own choices */
	struct hss *h = open_hss();
	struct om_eutran_vector v[5];
	if (!h)
		_exit(3);
	for (;;) {
		uint8_t s = (uint8_t)pick(SUBS);
		unsigned n = 1 + pick(5);
		if (hss_auth_info(h, imsi[s], t_plmn_home, host[pick(HOSTS)], n, NULL, v) != (int)n)
			_exit(4);
		for (unsigned j = 0; j < n; j++) {
			uint8_t rec[9];
			rec[0] = s;
			om_sqn_to_bytes(rec + 1, t_sqn_of(&mil, v[j].rand, v[j].autn));
			memset(rec + 7, 0, 2);
			if (write(wfd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
				_exit(5);
		}
	}
}

struct crash_ctx {
	long step;
	int rc;
};

static void child_issued(void *arg, const uint8_t *rec)
{
	struct crash_ctx *c = arg;
	if (rec[0] < SUBS && c->rc == 0)
		c->rc = issued(rec[0], om_sqn_from_bytes(rec + 1), "crashed child", c->step);
}

/* Kill a child mid-run, and half the time lose the lazy commits too; 0, or -1 after a failure. */
static int crash(long step)
{
	struct crash_ctx c = { step, 0 };
	child_salt = next_rand();
	long n = t_crash_child(child, 9, 1 + pick(60), child_issued, &c);
	CHECK_MSG(n > 0, "step %ld: the crashed child handed out %ld SQNs", step, n);
	if (pick(2))
		CHECK_INT(t_lose_lazy_commits(db), 0);
	return n > 0 ? c.rc : -1;
}

static int one_run(uint64_t seed, int run)
{
	long counts[6] = { 0 };
	rng = seed ? seed : 1;
	memset(subs, 0, sizeof(subs));
	char name[32];
	snprintf(name, sizeof(name), "hss%d.db", run);
	if (t_store_conf(dir, name, db, sizeof(db)) < 0)
		CHECK_MSG(0, "no database for %s", name);
	struct hss *h = open_hss();
	if (!h)
		return -1;
	for (unsigned s = 0; s < SUBS; s++) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "add %s k=" T_K " opc=" T_OPC " amf=b9b9 apn=internet roaming=any ind_bits=%u",
			 imsi[s], bits[s]);
		CHECK_INT(t_admin(h, cmd), 0);
	}
	int rc = 0;
	for (long step = 0; step < STEPS && rc == 0; step++) {
		unsigned s = pick(SUBS), what = pick(100);
		if (what < 45) {
			rc = air(h, s, NULL, "AIR", step);
			counts[0]++;
		} else if (what < 75) {
			rc = resync(h, s, step);
			counts[1]++;
		} else if (what < 87) {
			ulr(h, s, step);
			counts[2]++;
		} else if (what < 94) {
			hss_close(h);
			h = open_hss();
			counts[3]++;
		} else {
			hss_close(h);
			rc = crash(step);
			h = open_hss();
			counts[4]++;
		}
		if (!h)
			return -1;
	}
	for (unsigned s = 0; s < SUBS && rc == 0; s++)
		CHECK_MSG(t_sub_int(db, imsi[s], "sqn_ahead_events") == subs[s].ahead, "subscriber %u: %lld sqn-ahead events, %ld sent",
			  s, t_sub_int(db, imsi[s], "sqn_ahead_events"), subs[s].ahead);
	hss_close(h);
	printf("seed %llu: %ld AIR, %ld resync, %ld ULR, %ld restarts, %ld crashes; %ld + %ld SQNs, %s\n",
	       (unsigned long long)seed, counts[0], counts[1], counts[2], counts[3], counts[4], subs[0].issued,
	       subs[1].issued, rc ? "FAILED" : "none twice");
	return rc;
}

int main(void)
{
	if (!mkdtemp(dir) || t_milenage(&mil) < 0) {
		perror("setup");
		return 1;
	}
	const char *env = getenv("OM_SEED");
	if (env) {
		one_run(strtoull(env, NULL, 10), 0);
	} else {
		uint64_t base = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
		for (int r = 0; r < RUNS; r++)
			one_run(base + (uint64_t)r * 0x9e3779b97f4a7c15u, r);
	}
	om_milenage_clear(&mil);
	t_remove_dir(dir);
	return check_done();
}
