/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AIR/s over S6a with HSS front ends on one PostgreSQL, measured in one
 * run: one `openmcim-hss` on a SQLite file (the embedded default, for
 * reference), one front end on PostgreSQL, then two front ends (frontends
 * = 2) on the same PostgreSQL. The server is a private cluster with fsync
 * on (tests/pg_cluster.h); this process is the MME, CLIENTS threads each
 * sending one AIR (1 vector) at a time for SECONDS, for subscribers picked
 * at random among SUBS, spread evenly over the front ends. Everything
 * shares this machine's cores: the figures are the HSS, PostgreSQL and
 * the MME together. The subscribers are provisioned as an operator does,
 * over the HSS's provisioning socket once it runs (`hss-admin add`): this
 * process opens no HSS store (issue 13).
 */
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin_call.h"
#include "daemon_util.h"
#include "pg_cluster.h"
#include "s6a.h"

#define SECONDS 5.0
#define CLIENTS 8
#define SUBS 200
#define K_HEX "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC_HEX "cd63cb71954a9f4e48a5994e37a02baf"
#define MME_ID "mme.bench.lab"

static const uint8_t plmn_home[3] = { 0x00, 0xf1, 0x10 };
static char dir[] = "/tmp/om_hss_fe_bench_XXXXXX";
static char hss_bin[4096];
static unsigned mme_port;
static char ident[3][64], realm[3][64];
static unsigned port[3];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SUBS subscribers through the provisioning socket of the front end in slot, on one connection. */
static int provision(int slot)
{
	char sock[600], log[512], line[256];
	struct om_admin_conn c;
	struct om_admin_result res;
	snprintf(log, sizeof(log), "%s/hss%d.log", dir, slot);
	free(du_wait_log(log, " started ", 20000));
	snprintf(sock, sizeof(sock), "%s/run%d/prov.sock", dir, slot);
	int rc = om_admin_connect(&c, sock, 10000), connected = rc == 0;
	for (int i = 0; rc == 0 && i < SUBS; i++) {
		snprintf(line, sizeof(line),
			 "add 00101%010d k=" K_HEX " opc=" OPC_HEX " amf=8000 apn=internet roaming=any\n", i);
		rc = om_admin_send(&c, line, 10000);
		if (rc == 0)
			rc = om_admin_answer(&c, 10000, NULL, NULL, &res);
		if (rc == 0 && res.code < 0)
			rc = res.code, fprintf(stderr, "add: %s %s\n", res.name, res.reason);
	}
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", sock, om_strerror(rc));
	if (connected)
		om_admin_close(&c);
	return rc < 0 ? -1 : 0;
}

static pid_t start_frontend(int slot, const char *db, unsigned frontends, unsigned index)
{
	char conf[512], log[512], text[2048];
	snprintf(conf, sizeof(conf), "%s/hss%d.conf", dir, slot);
	snprintf(log, sizeof(log), "%s/hss%d.log", dir, slot);
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s\nmax_vectors = 5\nfrontends = %u\nfrontend_index = %u\nrun_dir = %s/run%d\n"
		 "provision_socket = %s/run%d/prov.sock\nlog_level = notice\n[diameter]\nidentity = %s\nrealm = %s\nlisten = 127.0.0.1\nport = %u\n"
		 "peers = " MME_ID "\ntls = off\n",
		 db, frontends, index, dir, slot, dir, slot, ident[slot], realm[slot], port[slot]);
	du_write_file(conf, text);
	return du_spawn_daemon(hss_bin, conf, log, 0);
}

static struct {
	const int *slots;
	int n_slots;
	long done, failed;
	pthread_mutex_t lock;
} load = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *client(void *arg)
{
	unsigned seed = (unsigned)(long)arg * 7919u + 1;
	const char *r = realm[load.slots[(long)arg % load.n_slots]];
	double end = now() + SECONDS;
	long done = 0, failed = 0;
	while (now() < end) {
		char imsi[16];
		struct om_eutran_vector v[1];
		struct om_s6a_answer a;
		snprintf(imsi, sizeof(imsi), "00101%010d", (int)(rand_r(&seed) % SUBS));
		if (om_s6a_air(r, imsi, plmn_home, 1, NULL, 5000, v, &a) == 1)
			done++;
		else
			failed++;
	}
	pthread_mutex_lock(&load.lock);
	load.done += done;
	load.failed += failed;
	pthread_mutex_unlock(&load.lock);
	return NULL;
}

/* AIR/s through the front ends in slots[]; -1 on failure. */
static double measure(const char *what, const int *slots, int n)
{
	for (int i = 0; i < n; i++)
		if (om_s6a_wait_peer(ident[slots[i]], 20000)) {
			fprintf(stderr, "%s: front end %s never came up (logs in %s)\n", what, ident[slots[i]], dir);
			return -1;
		}
	load.slots = slots;
	load.n_slots = n;
	load.done = load.failed = 0;
	pthread_t t[CLIENTS];
	double t0 = now();
	for (long i = 0; i < CLIENTS; i++)
		pthread_create(&t[i], NULL, client, (void *)i);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(t[i], NULL);
	double rate = (double)load.done / (now() - t0);
	printf("%-34s %8.0f AIR/s  (%ld AIRs, %ld failed)\n", what, rate, load.done, load.failed);
	return load.failed ? -1 : rate;
}

int main(void)
{
	char exe[4096], err[256], text[4096], sqlite_db[512], pg_db[512];
	struct t_pg pg;
	pid_t pid[3] = { -1, -1, -1 };
	int rc = 1;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0 || !mkdtemp(dir))
		return 1;
	exe[len] = 0;
	snprintf(hss_bin, sizeof(hss_bin), "%s/openmcim-hss", dirname(exe));
	mme_port = du_free_port();
	for (int i = 0; i < 3; i++) {
		port[i] = du_free_port();
		snprintf(ident[i], sizeof(ident[i]), "hss-%d.bench.lab", i);
		snprintf(realm[i], sizeof(realm[i]), "r%d.epc.mnc001.mcc001.3gppnetwork.org", i);
	}
	if (t_pg_start(&pg, 1) < 0 || t_pg_createdb(&pg, "hss", pg_db, sizeof(pg_db)) < 0)
		goto out;
	snprintf(sqlite_db, sizeof(sqlite_db), "%s/hss.db", dir);
	/* slot 0: SQLite; slots 1 and 2: the two PostgreSQL front ends, the second once the first made the schema */
	pid[0] = start_frontend(0, sqlite_db, 1, 0);
	pid[1] = start_frontend(1, pg_db, 2, 0);
	if (provision(0) < 0 || provision(1) < 0)
		goto out;
	pid[2] = start_frontend(2, pg_db, 2, 1);
	snprintf(text, sizeof(text),
		 "Identity = \"" MME_ID "\";\nRealm = \"bench.lab\";\nPort = %u;\nSecPort = 0;\nNo_SCTP;\nNo_IPv6;\n"
		 "ListenOn = \"127.0.0.1\";\nTcTimer = 1;\n"
		 "LoadExtension = \"%s/dict_nasreq.fdx\";\nLoadExtension = \"%s/dict_dcca.fdx\";\n"
		 "LoadExtension = \"%s/dict_dcca_3gpp.fdx\";\n",
		 mme_port, du_fd_ext_dir(), du_fd_ext_dir(), du_fd_ext_dir());
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "ConnectPeer = \"%s\" { ConnectTo = \"127.0.0.1\"; Port = %u; No_TLS; };\n",
			 ident[i], port[i]);
	}
	char mme_conf[600];
	snprintf(mme_conf, sizeof(mme_conf), "%s/mme.conf", dir);
	du_write_file(mme_conf, text);
	if (om_s6a_start(mme_conf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	printf("S6a AIR/s, 1 vector per AIR, %d MME threads, %d subscribers, %.0f s each, PostgreSQL %s fsync on\n",
	       CLIENTS, SUBS, SECONDS, pg.c.bin);
	static const int sq[] = { 0 }, one[] = { 1 }, two[] = { 1, 2 };
	double a = measure("SQLite, 1 front end", sq, 1);
	double b = measure("PostgreSQL, 1 front end", one, 1);
	double c = measure("PostgreSQL, 2 front ends", two, 2);
	if (a > 0 && b > 0 && c > 0) {
		printf("two front ends / one on PostgreSQL: %.2fx\n", c / b);
		rc = 0;
	}
	om_s6a_stop();
out:
	for (int i = 0; i < 3; i++)
		if (pid[i] > 0)
			du_stop_daemon(pid[i], SIGTERM);
	if (rc)
		fprintf(stderr, "failed; logs were in %s\n", dir);
	du_rm_rf(dir);
	t_pg_stop(&pg);
	return rc;
}
