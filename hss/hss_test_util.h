/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the HSS test programs (tests/hss_test_util.c, in libomtest). */
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
#include <openmcim/usim.h>
#include <openmcim/vector.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "daemon_util.h"
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

void t_ignore(void *ctx, const char *line);

/* An admin answer's data lines, one per line, into ctx: a char[T_COLLECT_MAX] that starts empty. */
#define T_COLLECT_MAX 2048
void t_collect(void *ctx, const char *line);

/* Run one provisioning command; returns its code. */
int t_admin(struct hss *h, const char *cmd);

/* The whole database as text, every table and column (blobs in hex), to compare before/after. */
char *t_dump(const char *db_path);

/* One integer from the database (e.g. a row count or a column of one subscriber); -1 on error. */
long long t_sql_int(const char *db_path, const char *sql);

/* One integer expression over one subscriber's row, e.g. t_sub_int(db, imsi, "sqn >> 5"). */
long long t_sub_int(const char *db_path, const char *imsi, const char *expr);

/* Run SQL on the database behind the daemon's back (waiting up to 5 s for its write lock); 0 or -1. */
int t_sql_exec(const char *db_path, const char *sql);

/*
 * A power cut may lose lazy commits (SQLite synchronous=NORMAL, PostgreSQL
 * synchronous_commit=off on a server crash), which a SIGKILL does not: model it by losing every stored SQN. Only the durable
 * mark is left to keep the next SQNs above the ones handed out.
 */
int t_lose_lazy_commits(const char *db_path);

/*
 * Fork a child running body(wfd), which writes records of rec_len (<= 64)
 * bytes to wfd until it is killed; hand each record read to on_rec, and
 * SIGKILL the child after kill_after records. Returns the number of records,
 * or -1 if the child did not die of that SIGKILL. Close the HSS first: the
 * child opens its own.
 */
long t_crash_child(void (*body)(int wfd), size_t rec_len, long kill_after,
		   void (*on_rec)(void *ctx, const uint8_t *rec), void *ctx);

/* qsort order of uint64_t, e.g. SQNs to look for one issued twice. */
int t_cmp_u64(const void *a, const void *b);

/* Sorts v[0..n) and counts the values that stand there more than once: SQNs issued twice. */
int t_repeats(uint64_t *v, size_t n);

/* The last lines of a daemon's log on stderr, when a test failed (before its directory goes). */
void t_tail_log(const char *path, int lines);

/* rm -rf a test's temporary directory. */
void t_remove_dir(const char *dir);

/* MILENAGE state for the test subscriber. */
int t_milenage(struct om_milenage *m);

/* The SQN inside a vector's AUTN: (SQN xor AK) xor f5(RAND). */
uint64_t t_sqn_of(const struct om_milenage *m, const uint8_t rand[16], const uint8_t autn[16]);

/* Re-Synchronization-Info = RAND || AUTS as a USIM at sqn_ms makes it (TS 33.102 6.3.3). */
int t_resync_info(const struct om_milenage *m, const uint8_t rand[16], uint64_t sqn_ms, uint8_t out[30]);

/* 0 if a USIM at state u accepts vector v (AUTN checks, RES equals XRES), else its refusal. */
int t_usim_takes(const struct om_milenage *m, struct om_usim_sqn *u, const struct om_eutran_vector *v);

/*
 * The freeDiameter file of a test's MME (identity mme_id, realm, listening on
 * port) that connects to two HSS front ends over TCP without TLS: ident[i] at
 * 127.0.0.1:fe_port[i].
 */
void t_mme_fd_conf(const char *path, const char *mme_id, const char *realm, unsigned port, const char *const ident[2],
		   const unsigned fe_port[2]);

/*
 * The configuration of HSS front end i of 2 on database db (S6a over TCP without TLS, one peer
 * mme_id), its run directory <dir>/run<i>, written to path.
 */
void t_hss_fe_conf(const char *path, const char *db, int i, const char *dir, const char *ident, const char *realm,
		   unsigned port, const char *mme_id);
