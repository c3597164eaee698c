/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two HSS front ends on one PostgreSQL (docs/sqn.md "Several front ends"):
 * two real `openmcim-hss` processes (frontends = 2, frontend_index 0 and 1,
 * each its own Diameter identity and realm) on one private cluster, and
 * this process as the MME sending AIRs for the same subscriber through
 * both at once. Front end 0 is killed with SIGKILL in the middle of the
 * run; front end 1 must keep answering without a single failure, and
 * front end 0, restarted, serves again. Afterwards every SQN issued is
 * unique, each vector's IND carries its front end's slot, and a USIM model
 * accepts every vector when it takes front end 0's in the order they came
 * and then front end 1's: the per-front-end IND keeps the two streams in
 * separate array entries, so neither front end's order can spoil the
 * other's.
 */
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

#define MME_ID "mme.fe.lab"
#define IMSI "001010000000001"
#define K_HEX "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC_HEX "cd63cb71954a9f4e48a5994e37a02baf"
/*
 * Room for every vector of a run. Front end 1 gives about 2000 vectors a
 * second while front end 0 is away, and front end 0 is away until the MME
 * reconnects: freeDiameter retries a lost peer after TcTimer plus a random
 * 0..5 s (p_psm.c, fd_psm_next_timeout), and the HSS no longer connects
 * out (docs/s6a.md). 2000 places filled up in that gap and front end 0's
 * answers after its restart were no longer counted. A vector beyond the
 * room is still counted, and fails the run (lost).
 */
#define MAX_VEC (1 << 18)
#define KILL_AFTER 60      /* vectors collected before front end 0 is killed */
#define AFTER_KILL 120     /* vectors front end 1 must give after the kill */
#define AFTER_RESTART 20   /* vectors front end 0 must give after its restart */
#define IND_BITS 5         /* the subscriber's; front-end slot = IND >> 4 */

static const char *const realm[2] = { "fe0.epc.mnc001.mcc001.3gppnetwork.org",
				      "fe1.epc.mnc001.mcc001.3gppnetwork.org" };
static const char *const ident[2] = { "hss-fe0.lab", "hss-fe1.lab" };
static const uint8_t plmn_home[3] = { 0x00, 0xf1, 0x10 };

static char dir[] = "/tmp/om_hss_fe_XXXXXX";
static char hss_bin[4096], conf[2][512], log_path[2][512], uri[512];
static pid_t pid[2] = { -1, -1 };
static struct om_milenage usim_m;

static struct {
	pthread_mutex_t lock;
	struct om_eutran_vector v[MAX_VEC];
	int fe[MAX_VEC];
	int n, lost, count[2], failures[2], stop;
} run = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int provision(void)
{
	char err[256] = "", line[256];
	struct hss_config cfg = { .db_path = uri, .max_vectors = 5, .sqn_reserve = 16 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "%s", err);
	if (!h)
		return -1;
	snprintf(line, sizeof(line), "add " IMSI " k=" K_HEX " opc=" OPC_HEX " amf=8000 apn=internet roaming=00101");
	int rc = hss_admin_exec(h, line, t_ignore, NULL, err, sizeof(err));
	CHECK_MSG(rc == 0, "add: %s", err);
	hss_close(h);
	return rc;
}

static void write_conf(int i, unsigned port)
{
	snprintf(conf[i], sizeof(conf[i]), "%s/hss%d.conf", dir, i);
	snprintf(log_path[i], sizeof(log_path[i]), "%s/hss%d.log", dir, i);
	t_hss_fe_conf(conf[i], uri, i, dir, ident[i], realm[i], port, MME_ID);
}

/* AIRs through front end (long)arg, 2 vectors each, until told to stop. */
static void *air_loop(void *arg)
{
	int fe = (int)(long)arg;
	time_t end = time(NULL) + 90;
	while (time(NULL) < end) {
		struct om_eutran_vector v[2];
		struct om_s6a_answer a;
		pthread_mutex_lock(&run.lock);
		int stop = run.stop;
		pthread_mutex_unlock(&run.lock);
		if (stop)
			break;
		int n = om_s6a_air(realm[fe], IMSI, plmn_home, 2, NULL, 2000, v, &a);
		pthread_mutex_lock(&run.lock);
		for (int i = 0; i < n; i++) {
			if (run.n < MAX_VEC) {
				run.fe[run.n] = fe;
				run.v[run.n++] = v[i];
			} else {
				run.lost++;
			}
			run.count[fe]++;
		}
		if (n <= 0)
			run.failures[fe]++;
		pthread_mutex_unlock(&run.lock);
		if (n <= 0)
			du_nap_ms(50);
	}
	return NULL;
}

static int count_of(int fe)
{
	pthread_mutex_lock(&run.lock);
	int n = fe < 0 ? run.count[0] + run.count[1] : run.count[fe];
	pthread_mutex_unlock(&run.lock);
	return n;
}

/* Wait up to ms for front end fe's count to reach want. */
static int wait_count(int fe, int want, int ms)
{
	for (int t = 0; t < ms && count_of(fe) < want; t += 5)
		du_nap_ms(5);
	return count_of(fe) >= want;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void check_every_vector(void)
{
	static uint64_t sqn[MAX_VEC];
	int n = run.n, wrong_slot = 0;
	for (int i = 0; i < n; i++) {
		sqn[i] = t_sqn_of(&usim_m, run.v[i].rand, run.v[i].autn);
		unsigned ind = (unsigned)(sqn[i] & ((1u << IND_BITS) - 1));
		wrong_slot += (int)(ind >> (IND_BITS - 1)) != run.fe[i];
	}
	CHECK_INT(wrong_slot, 0);
	int dup = t_repeats(sqn, (size_t)n);
	CHECK_MSG(dup == 0, "%d SQNs issued twice", dup);

	/* front end 0's vectors in the order they came, then front end 1's: every one accepted */
	struct om_usim_sqn u;
	CHECK_INT(om_usim_sqn_init(&u, IND_BITS, OM_USIM_DELTA_DEFAULT, 0), 0);
	int refused = 0;
	for (int fe = 0; fe < 2; fe++)
		for (int i = 0; i < n; i++)
			if (run.fe[i] == fe)
				refused += t_usim_takes(&usim_m, &u, &run.v[i]) != 0;
	CHECK_MSG(refused == 0, "the USIM refused %d of %d vectors", refused, n);
}

int main(void)
{
	char exe[4096], err[256] = "", mme_conf[512];
	struct t_pg pg;
	unsigned port[2] = { du_free_port(), du_free_port() }, mme_port = du_free_port();
	pthread_t t[2];
	int threads = 0;

	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(len > 0 && mkdtemp(dir) != NULL && port[0] && port[1] && mme_port && port[0] != port[1]);
	if (len <= 0)
		return check_done();
	exe[len] = 0;
	snprintf(hss_bin, sizeof(hss_bin), "%s/openmcim-hss", dirname(exe));
	uint8_t k[16], opc[16];
	CHECK(om_hex_decode(k, 16, K_HEX) == 0 && om_hex_decode(opc, 16, OPC_HEX) == 0);
	CHECK(om_milenage_init(&usim_m, k, opc) == 0);
	if (t_pg_start(&pg, 0) < 0 || t_pg_createdb(&pg, "hss", uri, sizeof(uri)) < 0) {
		CHECK_MSG(0, "no PostgreSQL cluster: this test needs one (scripts/deps.sh test)");
		goto out;
	}
	if (provision())
		goto out;
	for (int i = 0; i < 2; i++) {
		write_conf(i, port[i]);
		pid[i] = du_spawn_daemon(hss_bin, conf[i], log_path[i], 0);
		CHECK(pid[i] > 0);
	}
	snprintf(mme_conf, sizeof(mme_conf), "%s/mme-fd.conf", dir);
	t_mme_fd_conf(mme_conf, MME_ID, "fe.lab", mme_port, ident, port);
	int started = om_s6a_start(mme_conf, err, sizeof(err));
	CHECK_MSG(started == 0, "%s", err);
	if (started)
		goto out;
	for (int i = 0; i < 2; i++)
		CHECK_MSG(om_s6a_wait_peer(ident[i], 15000) == 0, "front end %d never came up (see %s)", i, log_path[i]);

	for (long i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, air_loop, (void *)i) == 0)
			threads++;
	CHECK_INT(threads, 2);
	/* both serve; then front end 0 dies with SIGKILL in the middle of the run (each waited
	 * for: the first front end up can give KILL_AFTER vectors before the other's first) */
	CHECK(wait_count(0, 1, 30000) && wait_count(1, 1, 30000) && wait_count(-1, KILL_AFTER, 30000));
	int fe1_at_kill = count_of(1);
	CHECK_MSG(kill(pid[0], SIGKILL) == 0, "kill -9 front end 0");
	int st = 0;
	waitpid(pid[0], &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	pid[0] = -1;
	int fe0_at_kill = count_of(0);
	/* the other keeps serving */
	CHECK_MSG(wait_count(1, fe1_at_kill + AFTER_KILL, 60000), "front end 1 gave %d vectors after the kill",
		  count_of(1) - fe1_at_kill);
	/* the killed one, restarted, serves again */
	long restart_at = now_ms();
	pid[0] = du_spawn_daemon(hss_bin, conf[0], log_path[0], 1);
	CHECK(pid[0] > 0);
	CHECK_MSG(wait_count(0, fe0_at_kill + 1, 60000), "front end 0 gave no vector after its restart");
	fprintf(stderr, "front end 0 served again %ld ms after its restart (the MME reconnects after TcTimer + 0..5 s)\n",
		now_ms() - restart_at);
	CHECK_MSG(wait_count(0, fe0_at_kill + AFTER_RESTART, 60000), "front end 0 gave %d vectors after its restart",
		  count_of(0) - fe0_at_kill);
	pthread_mutex_lock(&run.lock);
	run.stop = 1;
	pthread_mutex_unlock(&run.lock);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	CHECK_MSG(run.failures[1] == 0, "front end 1 failed %d AIRs", run.failures[1]);
	CHECK_MSG(run.lost == 0, "%d vectors found no room and go unchecked", run.lost);
	CHECK_MSG(run.failures[0] >= 1, "the kill of front end 0 was not felt");
	fprintf(stderr, "vectors: %d from front end 0 (%d failed AIRs around its kill), %d from front end 1\n",
		run.count[0], run.failures[0], run.count[1]);
	check_every_vector();
	om_s6a_stop();
out:
	for (int i = 0; i < 2; i++)
		if (pid[i] > 0)
			du_stop_daemon(pid[i], SIGTERM);
	om_milenage_clear(&usim_m);
	if (check_failures())
		for (int i = 0; i < 2; i++)
			t_tail_log(log_path[i], 20);
	du_rm_rf(dir);
	t_pg_stop(&pg);
	return check_done();
}
