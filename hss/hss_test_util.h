/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the HSS test programs (header-only: each test is its own program). */
#pragma once

#include <signal.h>
#include <sqlite3.h> /* not used here: the DPF, DRF and SHO tests that include this read their files directly */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/milenage.h>
#include <openmcim/sqn.h>

#include "admin.h"
#include "check.h"
#include "hss.h"
#include "pg_cluster.h"
#include "store.h"

/* TS 35.208 test set 1 (AMF with the E-UTRAN separation bit already set). */
#define T_K "465b5ce8b199b49faa5f0a2ee238a6bc"
#define T_OPC "cd63cb71954a9f4e48a5994e37a02baf"
#define T_IMSI "001010000000001"

static const uint8_t t_plmn_home[3] = { 0x00, 0xf1, 0x10 }; /* 001-01 */
static const uint8_t t_plmn_other[3] = { 0x00, 0xf2, 0x10 }; /* 002-01 */

static inline void t_ignore(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* An admin answer's data lines, one per line, into ctx: a char[T_COLLECT_MAX] that starts empty. */
#define T_COLLECT_MAX 2048
static inline void t_collect(void *ctx, const char *line)
{
	char *b = ctx;
	size_t n = strlen(b);
	snprintf(b + n, T_COLLECT_MAX - n, "%s\n", line);
}

/* Run one provisioning command; returns its code. */
static inline int t_admin(struct hss *h, const char *cmd)
{
	char line[1024], why[512] = "";
	snprintf(line, sizeof(line), "%s", cmd);
	int rc = hss_admin_exec(h, line, t_ignore, NULL, why, sizeof(why));
	if (rc < 0)
		fprintf(stderr, "  (admin '%.40s...': %s)\n", cmd, why);
	return rc;
}

/* The whole database as text, every table and column (blobs in hex), to compare before/after. */
static inline char *t_dump(const char *db_path)
{
#define T_SUB_COLS(HEX_K, HEX_OPC, HEX_AMF, HEX_PLMN)                                                      \
	"SELECT imsi, " HEX_K ", " HEX_OPC ", " HEX_AMF ", algorithm, ind_bits, sqn, seq_reserved, status,"  \
	" roaming_any, ambr_ul, ambr_dl, resync_count, resync_window_start, serving_host, " HEX_PLMN ","     \
	" serving_since, previous_host, previous_until, sqn_ahead_events,"                                    \
	" two_mme_events, last_event, last_event_at FROM subscriber ORDER BY imsi"
	static const struct {
		struct om_store_sql q;
		int cols;
	} q[] = {
		{ { T_SUB_COLS("hex(k)", "hex(opc)", "hex(amf)", "hex(serving_plmn)"),
		    T_SUB_COLS("upper(encode(k, 'hex'))", "upper(encode(opc, 'hex'))", "upper(encode(amf, 'hex'))",
			       "upper(encode(serving_plmn, 'hex'))") },
		  23 },
		{ { "SELECT imsi, context_id, name FROM apn ORDER BY imsi, context_id", NULL }, 3 },
		{ { "SELECT imsi, hex(plmn) FROM roaming ORDER BY imsi, plmn",
		    "SELECT imsi, upper(encode(plmn, 'hex')) FROM roaming ORDER BY imsi, plmn" },
		  2 },
		{ { "SELECT ind, origin_host FROM ind ORDER BY ind", NULL }, 2 },
	};
#undef T_SUB_COLS
	struct om_store *db = NULL;
	char err[256];
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);
	if (!out || om_store_open(db_path, &db, err, sizeof(err)) < 0) {
		CHECK_MSG(0, "t_dump: %s", err);
		goto out;
	}
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct om_stmt *st = NULL;
		if (om_stmt_prepare_sql(db, &q[i].q, &st) < 0) {
			/* a dump that silently lost a table would make every before/after check vacuous */
			CHECK_MSG(0, "t_dump: %s", om_store_errmsg(db));
			continue;
		}
		while (om_stmt_step(st) == OM_STORE_ROW) {
			for (int c = 0; c < q[i].cols; c++) {
				const char *t = om_stmt_col_is_null(st, c) ? "NULL" : om_stmt_col_text(st, c);
				int n = snprintf(out + len, cap - len, "%s|", t);
				if (n > 0 && (size_t)n < cap - len)
					len += (size_t)n;
			}
			if (len + 1 < cap)
				out[len++] = '\n';
		}
		om_stmt_finalize(st);
		if (len + 2 < cap) {
			out[len++] = '#';
			out[len++] = '\n';
		}
	}
out:
	om_store_close(db);
	return out;
}

/* One integer from the database (e.g. a row count or a column of one subscriber); -1 on error. */
static inline long long t_sql_int(const char *db_path, const char *sql)
{
	struct om_store *db = NULL;
	struct om_stmt *st = NULL;
	char err[256];
	long long v = -1;
	if (om_store_open(db_path, &db, err, sizeof(err)) == 0 && om_stmt_prepare(db, sql, &st) == 0 &&
	    om_stmt_step(st) == OM_STORE_ROW)
		v = om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	om_store_close(db);
	return v;
}

/* One integer expression over one subscriber's row, e.g. t_sub_int(db, imsi, "sqn >> 5"). */
static inline long long t_sub_int(const char *db_path, const char *imsi, const char *expr)
{
	char q[400];
	snprintf(q, sizeof(q), "SELECT %s FROM subscriber WHERE imsi = '%s'", expr, imsi);
	return t_sql_int(db_path, q);
}

/* Run SQL on the database behind the daemon's back (waiting up to 5 s for its write lock); 0 or -1. */
static inline int t_sql_exec(const char *db_path, const char *sql)
{
	struct om_store *db = NULL;
	char err[256];
	int rc = om_store_open(db_path, &db, err, sizeof(err)) == 0 && om_store_exec(db, sql) == 0;
	om_store_close(db);
	return rc ? 0 : -1;
}

/*
 * A power cut may lose lazy commits (SQLite synchronous=NORMAL, PostgreSQL
 * synchronous_commit=off on a server crash), which a SIGKILL does not: model it by losing every stored SQN. Only the durable
 * mark is left to keep the next SQNs above the ones handed out.
 */
static inline int t_lose_lazy_commits(const char *db_path)
{
	return t_sql_exec(db_path, "UPDATE subscriber SET sqn = 0");
}

/*
 * Fork a child running body(wfd), which writes records of rec_len (<= 64)
 * bytes to wfd until it is killed; hand each record read to on_rec, and
 * SIGKILL the child after kill_after records. Returns the number of records,
 * or -1 if the child did not die of that SIGKILL. Close the HSS first: the
 * child opens its own.
 */
static inline long t_crash_child(void (*body)(int wfd), size_t rec_len, long kill_after,
				 void (*on_rec)(void *ctx, const uint8_t *rec), void *ctx)
{
	int p[2];
	uint8_t rec[64];
	if (rec_len > sizeof(rec) || pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		body(p[1]);
		_exit(6);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	long n = 0;
	while (read(p[0], rec, rec_len) == (ssize_t)rec_len) {
		on_rec(ctx, rec);
		if (++n == kill_after)
			kill(pid, SIGKILL);
	}
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "  (child status %d)\n", st);
		return -1;
	}
	return n;
}

/* qsort order of uint64_t, e.g. SQNs to look for one issued twice. */
static inline int t_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* rm -rf a test's temporary directory. */
static inline void t_remove_dir(const char *dir)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* MILENAGE state for the test subscriber. */
static inline int t_milenage(struct om_milenage *m)
{
	uint8_t k[16], opc[16];
	if (om_hex_decode(k, 16, T_K) < 0 || om_hex_decode(opc, 16, T_OPC) < 0)
		return -1;
	return om_milenage_init(m, k, opc);
}

/* The SQN inside a vector's AUTN: (SQN xor AK) xor f5(RAND). */
static inline uint64_t t_sqn_of(const struct om_milenage *m, const uint8_t rand[16], const uint8_t autn[16])
{
	struct om_milenage_out o;
	uint8_t sqn[6] = { 0 }, amf[2] = { 0 };
	if (om_milenage_f1_f5(m, rand, sqn, amf, &o) < 0)
		return UINT64_MAX;
	for (int i = 0; i < 6; i++)
		sqn[i] = autn[i] ^ o.ak[i];
	return om_sqn_from_bytes(sqn);
}

/* Re-Synchronization-Info = RAND || AUTS as a USIM at sqn_ms makes it (TS 33.102 6.3.3). */
static inline int t_resync_info(const struct om_milenage *m, const uint8_t rand[16], uint64_t sqn_ms, uint8_t out[30])
{
	static const uint8_t amf0[2];
	uint8_t sqn[6], ak_s[6];
	om_sqn_to_bytes(sqn, sqn_ms);
	memcpy(out, rand, 16);
	if (om_milenage_f1s_f5s(m, rand, sqn, amf0, out + 22, ak_s) < 0)
		return -1;
	for (int i = 0; i < 6; i++)
		out[16 + i] = sqn[i] ^ ak_s[i];
	return 0;
}
