/* SPDX-License-Identifier: Apache-2.0 */
/*
 * No SQN is handed out twice across a crash: a child generates vectors and
 * writes each SQN it returned to a pipe; the parent kills it with SIGKILL
 * in the middle, reopens the database, and every new SQN lies above every
 * SQN the child handed out, by at most sqn_reserve + max_vectors SEQ steps,
 * also when the lazy commits are lost as in a power cut (odd rounds); and
 * a subscriber's first AIRs, lazy under the mark its add reserved, are
 * not handed out again either.
 */
#include "hss_test_util.h"

#define RESERVE 8
#define ROUNDS 3

static char dir[] = "/tmp/om_sqn_crash_XXXXXX";
static char db[300];

static struct hss *open_hss(void)
{
	char err[256] = "";
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = RESERVE };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	if (!h)
		fprintf(stderr, "hss_open: %s\n", err);
	return h;
}

/* The child: vectors forever (1..5 per call), each SQN to the pipe. */
static void child(int wfd)
{
	struct hss *h = open_hss();
	struct om_milenage m;
	struct om_eutran_vector v[5];
	if (!h || t_milenage(&m) < 0)
		_exit(3);
	for (unsigned i = 0;; i++) {
		unsigned n = 1 + i % 5;
		int got = hss_auth_info(h, T_IMSI, t_plmn_home, (i & 1) ? "mme-a.lab" : "mme-b.lab", n, NULL, v);
		if (got != (int)n)
			_exit(4);
		for (int j = 0; j < got; j++) {
			uint64_t s = t_sqn_of(&m, v[j].rand, v[j].autn);
			if (write(wfd, &s, sizeof(s)) != (ssize_t)sizeof(s))
				_exit(5);
		}
	}
}

static void track_max(void *ctx, const uint8_t *rec)
{
	uint64_t s, *max = ctx;
	memcpy(&s, rec, sizeof(s));
	if (s > *max)
		*max = s;
}

static void one_crash(int round)
{
	uint64_t max = 0;
	long want = 200 + round * 37;
	/* nothing is open in this process at this point */
	long n = t_crash_child(child, sizeof(uint64_t), want, track_max, &max);
	CHECK_MSG(n >= want, "child handed out %ld SQNs (or did not die of SIGKILL)", n);
	if (round & 1)
		CHECK_INT(t_lose_lazy_commits(db), 0);
	struct hss *h = open_hss();
	struct om_milenage m;
	struct om_eutran_vector v[5];
	if (!h || t_milenage(&m) < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme-a.lab", 5, NULL, v), 5);
	for (int j = 0; j < 5; j++) {
		uint64_t ns = t_sqn_of(&m, v[j].rand, v[j].autn);
		CHECK_MSG((ns >> 5) > (max >> 5), "round %d: new SEQ %llu not above the child's %llu", round,
			  (unsigned long long)(ns >> 5), (unsigned long long)(max >> 5));
		CHECK_MSG((ns >> 5) <= (max >> 5) + RESERVE + 5 + 5, "round %d: jump too large: %llu after %llu",
			  round, (unsigned long long)(ns >> 5), (unsigned long long)(max >> 5));
	}
	printf("round %d: child handed out %ld SQNs up to SEQ %llu; after restart SEQ %llu\n", round, n,
	       (unsigned long long)(max >> 5), (unsigned long long)(t_sqn_of(&m, v[0].rand, v[0].autn) >> 5));
	om_milenage_clear(&m);
	hss_close(h);
}

#define BORN_IMSI "001010000000009"

/* The child of born_mark_round: adds a subscriber, two AIRs under its born mark (lazy), then waits. */
static void born_child(int wfd)
{
	struct hss *h = open_hss();
	struct om_milenage m;
	struct om_eutran_vector v[2];
	if (!h || t_milenage(&m) < 0)
		_exit(3);
	if (t_admin(h, "add " BORN_IMSI " k=" T_K " opc=" T_OPC " amf=b9b9 apn=internet roaming=any"))
		_exit(4);
	if (hss_auth_info(h, BORN_IMSI, t_plmn_home, "mme-a.lab", 2, NULL, v) != 2)
		_exit(4);
	for (int j = 0; j < 2; j++) {
		uint64_t s = t_sqn_of(&m, v[j].rand, v[j].autn);
		if (write(wfd, &s, sizeof(s)) != (ssize_t)sizeof(s))
			_exit(5);
	}
	for (;;)
		pause();
}

/*
 * A subscriber's SQN mark is born reserved at its add (docs/hss.md "SQN"):
 * its first AIRs commit lazily. The child is killed after them and the lazy
 * commits are lost: the next SEQ is still above the child's, from the mark
 * the add made durable.
 */
static void born_mark_round(void)
{
	uint64_t max = 0;
	long n = t_crash_child(born_child, sizeof(uint64_t), 2, track_max, &max);
	CHECK_MSG(n == 2, "child handed out %ld SQNs (or did not die of SIGKILL)", n);
	CHECK_INT(t_lose_lazy_commits(db), 0);
	struct hss *h = open_hss();
	struct om_milenage m;
	struct om_eutran_vector v[1];
	if (!h || t_milenage(&m) < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(hss_auth_info(h, BORN_IMSI, t_plmn_home, "mme-a.lab", 1, NULL, v), 1);
	uint64_t ns = t_sqn_of(&m, v[0].rand, v[0].autn);
	CHECK_MSG((ns >> 5) > (max >> 5) && (ns >> 5) <= (max >> 5) + RESERVE + 5,
		  "born mark: new SEQ %llu after the child's %llu", (unsigned long long)(ns >> 5),
		  (unsigned long long)(max >> 5));
	printf("born mark: child handed out SEQ up to %llu; after restart SEQ %llu\n", (unsigned long long)(max >> 5),
	       (unsigned long long)(ns >> 5));
	om_milenage_clear(&m);
	hss_close(h);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (t_store_conf(dir, "hss.db", db, sizeof(db)) < 0) {
		fprintf(stderr, "no database\n");
		return 1;
	}
	struct hss *h = open_hss();
	if (!h)
		return 1;
	CHECK_INT(t_admin(h, "add " T_IMSI " k=" T_K " opc=" T_OPC " amf=b9b9 apn=internet roaming=any"), 0);
	hss_close(h);
	for (int r = 0; r < ROUNDS; r++)
		one_crash(r);
	born_mark_round();
	t_remove_dir(dir);
	return check_done();
}
