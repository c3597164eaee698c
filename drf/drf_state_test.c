/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's handovers and removals as transition tables (drf_state.h,
 * issue 13): each table has exactly the moves of its diagram, and every
 * move it lacks, tried on a stored row (a removal in each of its states)
 * or on one not stored, through the calls that move them
 * (drf_removal_apply, drf_removal_queue, drf_handover_completed), is
 * OM_EDRF_STATE with every row of the register unchanged. Legal moves move:
 * the test can tell. Runs on both backends (t_store_conf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drf.h"
#include "drf_int.h"
#include "drf_state.h"
#include "pg_cluster.h"
#include "refusal_kit.h"

#define IMSI "001019000000077"
#define NEW_IMSI "001019000000088" /* never queued */

static char dir[] = "/tmp/om_drf_state_XXXXXX";
static char db[600];

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The diagrams of drf_state.h, written out. */
static const struct om_move handover_legal[] = {
	{ DRF_STATE_NEW, DRF_HO_ACCEPT, "accepted" }, { "accepted", DRF_HO_ACCEPT, "accepted" },
	{ "completed", DRF_HO_ACCEPT, "completed" },  { "accepted", DRF_HO_COMPLETE, "completed" },
	{ "completed", DRF_HO_COMPLETE, "completed" },
};
static const struct om_move removal_legal[] = {
	{ DRF_STATE_NEW, DRF_RM_QUEUE_MOVED, "queued" },    { DRF_STATE_NEW, DRF_RM_QUEUE_FELL_BACK, "suspending" },
	{ "done", DRF_RM_QUEUE_MOVED, "queued" },	     { "done", DRF_RM_QUEUE_FELL_BACK, "suspending" },
	{ "queued", DRF_RM_QUEUE_MOVED, "queued" },	     { "queued", DRF_RM_QUEUE_FELL_BACK, "queued" },
	{ "suspending", DRF_RM_QUEUE_MOVED, "suspending" }, { "suspending", DRF_RM_QUEUE_FELL_BACK, "suspending" },
	{ "suspending", DRF_RM_SUSPENDED, "queued" },	     { "queued", DRF_RM_REMOVED, "done" },
	{ "suspending", DRF_RM_REMOVED, "done" },	     { "queued", DRF_RM_RETRY, "queued" },
	{ "suspending", DRF_RM_RETRY, "suspending" },
};

static int ho_next(const char *from, int ev, const char **to)
{
	return drf_handover_next(from, (enum drf_handover_event)ev, to);
}

static int rm_next(const char *from, int ev, const char **to)
{
	return drf_removal_next(from, (enum drf_removal_event)ev, to);
}

static void set(struct drf *d, const char *sql)
{
	CHECK_MSG(om_store_exec(d->db, sql) == 0, "%s: %s", sql, om_store_errmsg(d->db));
}

static char *snap(void)
{
	const char *dbs[] = { db };
	return rk_snapshot(dbs, 1, NULL, 0);
}

/* The removal of IMSI put in state (its columns as drf_state.h reads them). */
static void put(struct drf *d, const char *state)
{
	set(d, !strcmp(state, "queued")	      ? "UPDATE removal SET done = NULL, suspend_due = NULL, due = 50" :
	       !strcmp(state, "suspending") ? "UPDATE removal SET done = NULL, suspend_due = 40, due = 50" :
					      "UPDATE removal SET done = 45, suspend_due = NULL, due = 50");
}

/* The stored removal's state as the table reads it. */
static void state_of(struct drf *d, const char *imsi, char *out, size_t cap)
{
	struct om_stmt *st = d->stmt[DRF_SQL_REMOVAL_STATE];
	snprintf(out, cap, "%s", om_stmt_query(st, OM_BIND(OM_TEXT(imsi))) == OM_STORE_ROW ? om_stmt_col_text(st, 0) : "-");
	om_stmt_reset(st);
}

/* ev on imsi in its own transaction, as drf_removals_run (and the queueing calls) do. */
static int move(struct drf *d, const char *imsi, int ev)
{
	int rc = om_store_begin(d->db, OM_STORE_DURABLE);
	if (rc == 0)
		rc = ev == DRF_RM_QUEUE_MOVED || ev == DRF_RM_QUEUE_FELL_BACK ?
			     drf_removal_queue(d, imsi, "TRE-00000077", 100, ev, 60) :
			     drf_removal_apply(d, imsi, ev, ev == DRF_RM_SUSPENDED, 60, 120, "OM_EIO");
	if (rc >= 0)
		rc = om_store_commit(d->db) < 0 ? -1 : rc;
	om_store_rollback(d->db);
	return rc;
}

static void stored_rows_refuse_every_move_the_tables_lack(void)
{
	char why[256] = "", st[16];
	struct drf *d = NULL;
	CHECK_INT(t_store_conf(dir, "drf.db", db, sizeof(db)), 0);
	struct drf_config cfg = { .db_path = db };
	CHECK_MSG(drf_open(&d, &cfg, why, sizeof(why)) == 0, "drf_open: %s", why);
	if (!d)
		return;
	CHECK_INT(drf_fallback_removal(d, "TRE-00000077", IMSI, 10), 0);
	state_of(d, IMSI, st, sizeof(st));
	CHECK_MSG(!strcmp(st, "suspending"), "queued after a fallback: %s", st);

	size_t refused = 0;
	for (size_t i = 0; i < drf_removal_moves.n_states; i++)
		for (int ev = 0; ev < DRF_RM_N; ev++) {
			const char *from = drf_removal_moves.states[i];
			if (rk_legal_to(removal_legal, N(removal_legal), from, ev))
				continue;
			int is_new = !strcmp(from, DRF_STATE_NEW);
			if (!is_new)
				put(d, from);
			char *before = snap();
			int rc = move(d, is_new ? NEW_IMSI : IMSI, ev);
			CHECK_MSG(rc == OM_EDRF_STATE, "%s --%s--> not refused: %d", from, drf_removal_moves.events[ev], rc);
			rk_check_unchanged(before, snap(), drf_removal_moves.events[ev]);
			refused++;
		}
	CHECK_INT(refused, 7); /* 4 states x 5 events, less the 13 legal moves */

	/* the handover table lacks one move: completing a handover the register does not have */
	char *before = snap();
	CHECK_INT(drf_handover_completed(d, "SHO-B", "no-such-request", NULL, 0, 60), OM_EDRF_STATE);
	rk_check_unchanged(before, snap(), "complete an unknown handover");

	/* legal moves move, and the row's state is where the table says */
	static const struct {
		const char *from;
		int ev;
	} steps[] = { { "suspending", DRF_RM_SUSPENDED }, { "queued", DRF_RM_RETRY }, { "queued", DRF_RM_REMOVED },
		      { "done", DRF_RM_QUEUE_FELL_BACK }, { "suspending", DRF_RM_REMOVED }, { "done", DRF_RM_QUEUE_MOVED } };
	for (size_t i = 0; i < N(steps); i++) {
		put(d, steps[i].from);
		CHECK_MSG(move(d, IMSI, steps[i].ev) >= 0, "%s --%s-->", steps[i].from, drf_removal_moves.events[steps[i].ev]);
		state_of(d, IMSI, st, sizeof(st));
		const char *want = rk_legal_to(removal_legal, N(removal_legal), steps[i].from, steps[i].ev);
		CHECK_MSG(want && !strcmp(st, want), "%s --%s--> %s, want %s", steps[i].from,
			  drf_removal_moves.events[steps[i].ev], st, want ? want : "-");
	}
	drf_close(d);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	rk_table_is_the_diagram(&drf_handover_moves, handover_legal, N(handover_legal), ho_next, OM_EDRF_STATE);
	rk_table_is_the_diagram(&drf_removal_moves, removal_legal, N(removal_legal), rm_next, OM_EDRF_STATE);
	stored_rows_refuse_every_move_the_tables_lack();
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
