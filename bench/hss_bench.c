/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AIR-equivalent throughput of the HSS core: hss_auth_info() calls per
 * second against the SQLite store, 1 then 5 vectors per call, one thread.
 *
 * Named peer, in the same run through the same sqlite3 library: osmo-hlr's
 * approach (OHLR:src/db_auc.c, src/db.c): read the subscriber, make the
 * vectors, and write `UPDATE auc_3g SET sqn = ? WHERE subscriber_id = ?` for
 * each vector in its own autocommit transaction with synchronous=FULL (what
 * osmo-hlr runs, its "synchonous" PRAGMA being a typo). The same vector code
 * is used on both sides, so the ratio is the storage strategy alone.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/sqn.h>
#include <openmcim/vector.h>

#include "admin.h"
#include "hss.h"

#define SECONDS 1.5
#define IMSI "001010000000001"
#define K "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC "cd63cb71954a9f4e48a5994e37a02baf"

static const uint8_t plmn[3] = { 0x00, 0xf1, 0x10 };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ignore(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static double ours(const char *dir, unsigned n)
{
	char db[300], err[256], why[256], line[256];
	struct om_eutran_vector v[5];
	snprintf(db, sizeof(db), "%s/ours%u.db", dir, n);
	struct hss_config cfg = { .db_path = db, .max_vectors = 5 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	if (!h) {
		fprintf(stderr, "hss_open: %s\n", err);
		exit(1);
	}
	snprintf(line, sizeof(line), "add " IMSI " k=" K " opc=" OPC " amf=8000 apn=internet roaming=any");
	if (hss_admin_exec(h, line, ignore, NULL, why, sizeof(why)) < 0) {
		fprintf(stderr, "add: %s\n", why);
		exit(1);
	}
	long calls = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 100; i++)
			if (hss_auth_info(h, IMSI, plmn, "mme.bench", n, NULL, v) != (int)n) {
				fprintf(stderr, "hss_auth_info failed\n");
				exit(1);
			}
		calls += 100;
	} while ((t = now() - t0) < SECONDS);
	hss_close(h);
	return (double)calls / t;
}

static int exec_ok(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	return 0;
}

static double peer(const char *dir, unsigned n)
{
	char path[300];
	sqlite3 *db = NULL;
	sqlite3_stmt *get = NULL, *upd = NULL;
	struct om_vector_gen g;
	struct om_eutran_vector v[5];
	uint8_t amf[2] = { 0x80, 0x00 }, snid[3];
	memcpy(snid, plmn, 3);
	snprintf(path, sizeof(path), "%s/osmo%u.db", dir, n);
	if (sqlite3_open(path, &db) != SQLITE_OK || om_vector_gen_init(&g) < 0)
		exit(1);
	exec_ok(db, "PRAGMA journal_mode=WAL");
	exec_ok(db, "PRAGMA synchronous=FULL");
	exec_ok(db, "CREATE TABLE auc_3g (subscriber_id INTEGER PRIMARY KEY, k TEXT, opc TEXT,"
		    " sqn INTEGER, ind_bitlen INTEGER DEFAULT 5)");
	exec_ok(db, "INSERT INTO auc_3g (subscriber_id, k, opc, sqn) VALUES (1, '" K "', '" OPC "', 0)");
	if (sqlite3_prepare_v2(db, "SELECT k, opc, sqn, ind_bitlen FROM auc_3g WHERE subscriber_id = 1", -1, &get,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE auc_3g SET sqn = ?1 WHERE subscriber_id = ?2", -1, &upd, NULL) != SQLITE_OK)
		exit(1);
	long calls = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 20; i++) {
			uint8_t k[16], opc[16];
			struct om_milenage m;
			if (sqlite3_step(get) != SQLITE_ROW ||
			    om_hex_decode(k, 16, (const char *)sqlite3_column_text(get, 0)) < 0 ||
			    om_hex_decode(opc, 16, (const char *)sqlite3_column_text(get, 1)) < 0)
				exit(1);
			uint64_t sqn = (uint64_t)sqlite3_column_int64(get, 2);
			unsigned bits = (unsigned)sqlite3_column_int(get, 3);
			sqlite3_reset(get);
			if (om_milenage_init(&m, k, opc) < 0)
				exit(1);
			for (unsigned j = 0; j < n; j++) {
				if (om_sqn_he_next(&sqn, sqn, 1, bits) < 0 ||
				    om_vector_eutran(&g, &m, sqn, amf, snid, &v[j]) < 0)
					exit(1);
				sqlite3_bind_int64(upd, 1, (sqlite3_int64)sqn);
				sqlite3_bind_int64(upd, 2, 1);
				if (sqlite3_step(upd) != SQLITE_DONE)
					exit(1);
				sqlite3_reset(upd);
			}
			om_milenage_clear(&m);
		}
		calls += 20;
	} while ((t = now() - t0) < SECONDS);
	sqlite3_finalize(get);
	sqlite3_finalize(upd);
	sqlite3_close(db);
	om_vector_gen_clear(&g);
	return (double)calls / t;
}

int main(void)
{
	char dir[] = "/tmp/om_hss_bench_XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* quiet the per-call log lines: the benchmark measures the core, not stderr */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	printf("hss_bench: hss_auth_info() calls/s, one thread, SQLite in %s (WAL)\n", dir);
	printf("%-8s %16s %16s %16s %8s\n", "vectors", "openmcim calls/s", "osmo-hlr calls/s", "openmcim vec/s",
	       "ratio");
	for (unsigned n = 1; n <= 5; n += 4) {
		double a = ours(dir, n), b = peer(dir, n);
		printf("%-8u %16.0f %16.0f %16.0f %7.1fx\n", n, a, b, a * n, a / b);
	}
	printf("openmcim: lazy commit per call, durable (synchronous=FULL) mark every 1024 SEQ;\n"
	       "osmo-hlr approach: one synchronous=FULL UPDATE per vector.\n");
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}
