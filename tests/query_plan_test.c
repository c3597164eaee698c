/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 14: no per-device step may read the history. Every statement of the
 * DRF's, the DPF's and the SHO's tables is planned by SQLite (EXPLAIN QUERY
 * PLAN on the schema the daemon migrates to) and must reach its rows by a
 * key or an index: a plan line "SCAN <table>" (every row read) fails the
 * test, and so does a search by a column many devices share (coarse[]),
 * unless the statement is listed below with the reason its scan does not
 * grow with the devices served. A scan of a partial index over
 * unfinished work (SCAN ... USING INDEX removal_pending) reads only what is
 * still to do, so it is allowed by name.
 *
 * This is SQLite's plan. On PostgreSQL the same indexes exist (the schema
 * steps are kept in step, drf_store.c's _Static_assert), and its planner
 * picks by statistics, so on a near-empty database it plans scans anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

#include "../dpf/dpf_int.h"
#include "../drf/drf_int.h"
#include "../sho/sho_int.h"

/* Statements allowed to read every row of a table, and why. */
struct allowed {
	const char *who;
	int index;
	const char *why;
};

static const struct allowed allowed[] = {
	{ "sho", SHO_SQL_LIST, "sho-admin list: every device (or an owner's) is what was asked for" },
	{ "sho", SHO_SQL_HO_OLD_PASSWORDS, "once at open, the version 2 clean-up (sho.c: forget_passwords)" },
	/* sho_move holds at most SHO_MOVES_KEPT (32) moves, whatever the fleet's size (move.h) */
	{ "sho", SHO_SQL_MOVE_LIST, "once at open, the kept bulk moves (at most SHO_MOVES_KEPT rows)" },
	{ "sho", SHO_SQL_MOVE_OLD, "once at open, finished moves beyond the kept ones (at most SHO_MOVES_KEPT rows)" },
	{ "sho", SHO_SQL_OWNER_HOLDS, "sho-admin owner delete/secret: the owner's unfinished moves (at most SHO_MOVES_KEPT rows)" },
	{ "sho", SHO_SQL_OWNER_DEL_MOVES, "sho-admin owner delete: the owner's moves (at most SHO_MOVES_KEPT rows)" },
	/* issue 15: drf-admin operator list and delete ask whether a sender's handover is kept: EXISTS stops at
	 * the first row; the delete's foreign-key check on handover(sender) runs only when there is none */
	{ "drf", DRF_SQL_OP_PAGE, "drf-admin operator list: EXISTS over one sender's handovers, per operator" },
	{ "drf", DRF_SQL_OP_SENT, "drf-admin operator change/delete: EXISTS over one sender's handovers" },
	{ "drf", DRF_SQL_OP_DELETE, "drf-admin operator delete: the foreign-key check of a sender with no handover" },
};

/* Indexes whose rows are only work still to do: a scan of one does not grow with work finished. */
static const char *const partial[] = { "removal_pending", "handover_accepted", NULL };

/*
 * A search by a column many devices share reads them all: the old delivery
 * lookup searched handover by its sender alone and compared every row's
 * bootstrap. These constraints alone fail as a scan would.
 */
static const char *const coarse[] = { "(sender=?)", "(peer=?)", NULL };

static int allowed_scan(const char *who, int i, const char *detail)
{
	for (const char *const *p = partial; *p; p++) {
		const char *u = strstr(detail, " USING ");
		if (u && strstr(u, *p))
			return 1;
	}
	if (!strcmp(detail, "SCAN CONSTANT ROW"))
		return 1;
	for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
		if (!strcmp(allowed[k].who, who) && allowed[k].index == i)
			return 1;
	return 0;
}

/* Plan every statement of sc on a fresh SQLite database; the number of statements that scan a table. */
static int check_schema(const char *who, const struct om_store_schema *sc, const char *dir, int must_pass)
{
	char path[512], err[256];
	struct om_store *s = NULL;
	int bad = 0;
	snprintf(path, sizeof(path), "%s/%s.db", dir, who);
	CHECK_INT(om_store_open(path, &s, err, sizeof(err)), 0);
	if (!s)
		return 1;
	CHECK_INT(om_store_migrate_for(s, sc->steps, sc->steps_pg, sc->n_steps), 0);
	for (size_t i = 0; i < sc->n_sql; i++) {
		char q[4096], plan[2048] = "";
		struct om_stmt *st = NULL;
		int scan = 0, rc;
		snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sc->sql[i].sql);
		CHECK_INT(om_stmt_prepare(s, q, &st), 0);
		if (!st) {
			bad++;
			continue;
		}
		while ((rc = om_stmt_step(st)) == OM_STORE_ROW) {
			const char *detail = om_stmt_col_text(st, 3);
			size_t n = strlen(plan);
			snprintf(plan + n, sizeof(plan) - n, "%s%s", n ? " | " : "", detail);
			if (!strncmp(detail, "SCAN ", 5) && !allowed_scan(who, (int)i, detail))
				scan = 1;
			for (const char *const *c = coarse; *c; c++)
				if (strstr(detail, *c) && !allowed_scan(who, (int)i, detail))
					scan = 1;
		}
		CHECK_INT(rc, OM_STORE_DONE);
		om_stmt_finalize(st);
		printf("%s %2zu %s: %s\n", who, i, scan ? "SCAN" : "ok  ", plan);
		if (must_pass)
			CHECK_MSG(!scan, "%s statement %zu reads every row: %s\n  %s", who, i, plan, sc->sql[i].sql);
		bad += scan;
	}
	om_store_close(s);
	return bad;
}

static void every_statement_uses_a_key_or_an_index(void)
{
	char dir[] = "/tmp/query_plan_test.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(check_schema("drf", drf_store_schema(), dir, 1), 0);
	CHECK_INT(check_schema("dpf", dpf_store_schema(), dir, 1), 0);
	CHECK_INT(check_schema("sho", sho_store_schema(), dir, 1), 0);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

/*
 * The check can fail: the DRF's old delivery lookup (the sender's handovers
 * compared by their bootstrap bytes) is found to read the history.
 */
static void the_old_delivery_lookup_is_caught(void)
{
	static const struct om_store_sql old[] = {
		{ "SELECT h.sender, h.request_id, d.imsi, h.sequence, h.bootstrap FROM handover h"
		  " JOIN device d ON d.tre_id = h.tre_id WHERE h.state = 'accepted' AND h.sender = ?1 AND h.bootstrap = ?2",
		  NULL },
	};
	const struct om_store_schema *drf = drf_store_schema();
	struct om_store_schema sc = *drf;
	sc.sql = old;
	sc.n_sql = 1;
	char dir[] = "/tmp/query_plan_test.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(check_schema("old-drf", &sc, dir, 0), 1);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	every_statement_uses_a_key_or_an_index();
	the_old_delivery_lookup_is_caught();
	return check_done();
}
