/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's releases and completion reports as transition tables
 * (dpf_state.h, issue 13): each table has exactly the moves of its diagram,
 * and every move it lacks, tried on a stored row through the call that
 * makes that move (dpf_install_status, dpf_release_record,
 * dpf_completion_answered, dpf_completion_retry, dpf_completion_resume),
 * is refused with every row of the DPF's record unchanged. A legal move
 * shows the test can tell. Runs on both backends (t_store_conf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "check.h"
#include "dpf.h"
#include "dpf_int.h"
#include "dpf_state.h"
#include "hss_test_util.h" /* t_sql_int */
#include "pg_cluster.h"
#include "refusal_kit.h"

#define TRE "TRE-00000001"
#define REQ "r-1"

static char dir[] = "/tmp/om_dpf_state_XXXXXX";
static char db[600];

/* The diagrams of dpf_state.h, written out: from, event, to. */
static const struct om_move release_legal[] = {
	{ "released", DPF_REL_INSTALLED, "installed" }, { "released", DPF_REL_FAILED, "failed" },
	{ "released", DPF_REL_SUPERSEDED, "superseded" }, { "installed", DPF_REL_INSTALLED, "installed" },
	{ "failed", DPF_REL_FAILED, "failed" },
};
static const struct om_move completion_legal[] = {
	{ "pending", DPF_CMP_DONE, "done" },	  { "pending", DPF_CMP_REFUSED, "refused" },
	{ "pending", DPF_CMP_RETRY, "pending" },  { "pending", DPF_CMP_RESUME, "pending" },
	{ "refused", DPF_CMP_RESUME, "pending" }, { "done", DPF_CMP_DONE, "done" },
	{ "refused", DPF_CMP_REFUSED, "refused" },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int rel_next(const char *from, int ev, const char **to)
{
	return dpf_release_move(from, (enum dpf_release_event)ev, to);
}

static int cmp_next(const char *from, int ev, const char **to)
{
	return dpf_completion_move(from, (enum dpf_completion_event)ev, to);
}

static void set(struct dpf *d, const char *sql)
{
	CHECK_MSG(om_store_exec(d->store, sql) == 0, "%s: %s", sql, om_store_errmsg(d->store));
}

static char *snap(void)
{
	const char *dbs[] = { db };
	return rk_snapshot(dbs, 1, NULL, 0);
}

static int pva_unused(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why, size_t wl)
{
	(void)ctx, (void)obj, (void)len, (void)v, (void)why, (void)wl;
	return OM_EDPF_PVA; /* no M2MMobj reaches the PVA here */
}

/* The old release's row (state, updated) and the count of releases superseded, for the supersede move. */
static void old_release(struct dpf *d, char *out, size_t cap)
{
	struct om_stmt *st = NULL;
	out[0] = '\0';
	CHECK_INT(om_stmt_prepare(d->store, "SELECT state, updated FROM dpf_release WHERE created = 1", &st), 0);
	if (st && om_stmt_query(st, OM_NOBIND) == OM_STORE_ROW)
		snprintf(out, cap, "%s|%lld", om_stmt_col_text(st, 0), (long long)om_stmt_col_int64(st, 1));
	om_stmt_reset(st);
	om_stmt_finalize(st);
}

static void stored_rows_refuse_every_move_the_tables_lack(void)
{
	char why[256] = "", sql[200], a[64], b[64];
	struct om_admin_peer nowhere = { .path = "/nonexistent/sho.sock", .timeout_ms = 100 };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct dpf *d = NULL;
	CHECK(key != NULL);
	CHECK_INT(t_store_conf(dir, "dpf.db", db, sizeof(db)), 0);
	struct dpf_config cfg = { .db_path = db, .sho = &nowhere, .sign_key = key, .pva = pva_unused };
	CHECK_MSG(dpf_open(&d, &cfg, why, sizeof(why)) == 0, "dpf_open: %s", why);
	if (!d) {
		EVP_PKEY_free(key);
		return;
	}
	static const uint8_t na[OM_NONCE_LEN] = { 1 }, nb[OM_NONCE_LEN] = { 2 }, statement[4] = { 9 };
	CHECK_INT(om_stmt_exec(d->stmt[DPF_SQL_RELEASE_ADD],
			       OM_BIND(OM_BLOB(nb, OM_NONCE_LEN), OM_TEXT(TRE), OM_BLOB(na, OM_NONCE_LEN), OM_INT(1))),
		  0);
	CHECK_INT(om_stmt_exec(d->stmt[DPF_SQL_COMPLETION_ADD],
			       OM_BIND(OM_TEXT(REQ), OM_TEXT("SHO-A"), OM_TEXT(TRE), OM_INT(1), OM_BLOB(statement, 4))),
		  0);

	size_t refused = 0;
	for (size_t i = 0; i < dpf_release_moves.n_states; i++)
		for (int ev = 0; ev < DPF_REL_N; ev++) {
			const char *from = dpf_release_moves.states[i];
			if (rk_legal_to(release_legal, N(release_legal), from, ev))
				continue;
			snprintf(sql, sizeof(sql), "UPDATE dpf_release SET state = '%s', updated = 7", from);
			set(d, sql);
			char *before = snap();
			if (ev == DPF_REL_SUPERSEDED) {
				/* a fresh M2MMobj of the same handover: its own release is new, the old one not moved */
				static const uint8_t nb2[OM_NONCE_LEN] = { 3 };
				int64_t n = -1;
				old_release(d, a, sizeof(a));
				CHECK_INT(dpf_release_record(d, TRE, na, nb2, 0, 5, &n), 0);
				CHECK_INT(n, 0);
				old_release(d, b, sizeof(b));
				CHECK_MSG(!strcmp(a, b), "%s --superseded-->: %s became %s", from, a, b);
				set(d, "DELETE FROM dpf_release WHERE created = 5");
				free(before);
			} else {
				int rc = dpf_install_status(d, TRE, ev == DPF_REL_INSTALLED ? DPF_INSTALL_SUCCESS :
											       DPF_INSTALL_FAILURE, 5);
				CHECK_MSG(rc == OM_EDPF_NOT_RELEASED, "%s --%s--> not refused: %d", from,
					  dpf_release_moves.events[ev], rc);
				rk_check_unchanged(before, snap(), from);
			}
			refused++;
		}
	CHECK_INT(refused, 7); /* 4 states x 3 events, less the 5 legal moves */

	refused = 0;
	for (size_t i = 0; i < dpf_completion_moves.n_states; i++)
		for (int ev = 0; ev < DPF_CMP_N; ev++) {
			const char *from = dpf_completion_moves.states[i];
			if (rk_legal_to(completion_legal, N(completion_legal), from, ev))
				continue;
			snprintf(sql, sizeof(sql), "UPDATE dpf_completion SET state = '%s', updated = 7", from);
			set(d, sql);
			char *before = snap();
			int rc = ev == DPF_CMP_DONE	? dpf_completion_answered(d, REQ, 1, "completed", 5) :
				 ev == DPF_CMP_REFUSED	? dpf_completion_answered(d, REQ, 0, "no", 5) :
				 ev == DPF_CMP_RETRY	? dpf_completion_retry(d, REQ, "lost", 5) :
							  dpf_completion_resume(d, 5);
			/* the resume is a sweep at start: a report it may not move is left, not an error */
			CHECK_MSG(ev == DPF_CMP_RESUME ? rc == 0 : rc == OM_EDPF_MOVE, "%s --%s--> not refused: %d", from,
				  dpf_completion_moves.events[ev], rc);
			rk_check_unchanged(before, snap(), from);
			refused++;
		}
	CHECK_INT(refused, 5); /* 3 states x 4 events, less the 7 legal moves */

	/* and legal moves move: the test can tell */
	set(d, "UPDATE dpf_release SET state = 'released'");
	CHECK_INT(dpf_install_status(d, TRE, DPF_INSTALL_FAILURE, 5), 0);
	CHECK_INT(t_sql_int(db, "SELECT count(*) FROM dpf_release WHERE state = 'failed' AND updated = 5"), 1);
	set(d, "UPDATE dpf_completion SET state = 'refused'");
	CHECK_INT(dpf_completion_resume(d, 5), 1);
	CHECK_INT(dpf_completion_answered(d, REQ, 1, "completed", 6), 0);
	CHECK_INT(t_sql_int(db, "SELECT count(*) FROM dpf_completion WHERE state = 'done' AND statement IS NULL"), 1);
	dpf_close(d);
	EVP_PKEY_free(key);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	rk_table_is_the_diagram(&dpf_release_moves, release_legal, N(release_legal), rel_next, OM_EDPF_MOVE);
	rk_table_is_the_diagram(&dpf_completion_moves, completion_legal, N(completion_legal), cmp_next, OM_EDPF_MOVE);
	stored_rows_refuse_every_move_the_tables_lack();
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
