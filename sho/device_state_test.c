/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's device states (device_state.h, issue 13): the table has exactly
 * the moves of the state diagram, and every move it does not have is
 * refused, by the table and by the calls that move a stored device
 * (sho_handover_answer, sho_mark_provisioned, sho_mark_active,
 * sho_mark_fell_back, sho_release_one), with OM_ESHO_STATE and the row and its history
 * unchanged. Runs on both backends (t_store_conf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "device_state.h"
#include "pg_cluster.h"
#include "sho_int.h"

static char dir[] = "/tmp/om_sho_state_XXXXXX";

/* The diagram of device_state.h, written out: from, event, to. */
static const struct {
	const char *from;
	enum sho_dev_event ev;
	const char *to;
} legal[] = {
	{ "registered", SHO_EV_REQUEST, "handover_requested" },
	{ "refused", SHO_EV_REQUEST, "handover_requested" },
	{ "handover_requested", SHO_EV_REQUEST, "handover_requested" },
	{ "handover_requested", SHO_EV_ACCEPT, "handover_accepted" },
	{ "handover_accepted", SHO_EV_ACCEPT, "handover_accepted" },
	{ "provisioned", SHO_EV_ACCEPT, "provisioned" },
	{ "active", SHO_EV_ACCEPT, "active" },
	{ "handover_requested", SHO_EV_REFUSE, "refused" },
	{ "refused", SHO_EV_REFUSE, "refused" },
	{ "handover_accepted", SHO_EV_PROVISIONED, "provisioned" },
	{ "provisioned", SHO_EV_PROVISIONED, "provisioned" },
	{ "provisioned", SHO_EV_ACTIVE, "active" },
	{ "active", SHO_EV_ACTIVE, "active" },
	{ "handover_accepted", SHO_EV_FELL_BACK, "refused" },
	{ "provisioned", SHO_EV_FELL_BACK, "refused" },
	{ "registered", SHO_EV_RETURN, "registered" },
	{ "refused", SHO_EV_RETURN, "registered" },
	{ "provisioned", SHO_EV_RETURN, "registered" },
	{ "active", SHO_EV_RETURN, "registered" },
	{ "provisioned", SHO_EV_RELEASE, "released" },
	{ "active", SHO_EV_RELEASE, "released" },
	{ "released", SHO_EV_RETURN, "registered" },
};

static const char *legal_to(const char *from, enum sho_dev_event ev)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		if (legal[i].ev == ev && !strcmp(legal[i].from, from))
			return legal[i].to;
	return NULL;
}

static void the_table_has_exactly_the_diagrams_moves(void)
{
	size_t allowed = 0;
	for (unsigned i = 0; i < SHO_DEV_N_STATES; i++) {
		const char *from = sho_dev_state_name(i);
		for (int ev = 0; ev < SHO_EV_N; ev++) {
			const char *to = NULL, *want = legal_to(from, (enum sho_dev_event)ev);
			int rc = sho_dev_next(from, (enum sho_dev_event)ev, &to);
			if (want) {
				CHECK_MSG(rc == 0 && to && !strcmp(to, want), "%s --%s--> %s: got %d %s", from,
					  sho_dev_event_name((enum sho_dev_event)ev), want, rc, to ? to : "-");
				allowed++;
			} else {
				CHECK_MSG(rc == OM_ESHO_STATE, "%s --%s--> allowed (%s)", from,
					  sho_dev_event_name((enum sho_dev_event)ev), to ? to : "-");
			}
		}
	}
	CHECK_INT(allowed, sizeof(legal) / sizeof(legal[0]));
	const char *to = NULL;
	CHECK_INT(sho_dev_next("transferred", SHO_EV_REQUEST, &to), OM_ESHO_STATE);
	CHECK_INT(sho_dev_next(NULL, SHO_EV_REQUEST, &to), OM_ESHO_STATE);
	CHECK_INT(sho_dev_next("registered", SHO_EV_N, &to), OM_ESHO_STATE);
}

/* The device row and its history as one string, to compare before and after. */
static void snapshot(struct sho *s, char *out, size_t cap)
{
	struct om_stmt *st = NULL;
	size_t n = 0;
	out[0] = '\0';
	CHECK_INT(om_stmt_prepare(s->store,
				  "SELECT d.state, d.reason, d.updated, (SELECT COUNT(*) FROM sho_event e WHERE e.tre_id = d.tre_id)"
				  " FROM sho_device d WHERE d.tre_id = 'TRE-1'",
				  &st),
		  0);
	if (st && om_stmt_query(st, OM_NOBIND) == OM_STORE_ROW)
		n = (size_t)snprintf(out, cap, "%s|%s|%lld|%lld", om_stmt_col_text(st, 0), om_stmt_col_text(st, 1),
				     (long long)om_stmt_col_int64(st, 2), (long long)om_stmt_col_int64(st, 3));
	CHECK(n > 0);
	om_stmt_reset(st);
	om_stmt_finalize(st);
}

/* Each call that moves a stored device, for ev. */
static int move_by(struct sho *s, enum sho_dev_event ev)
{
	switch (ev) {
	case SHO_EV_ACCEPT:
		return sho_handover_answer(s, "TRE-1", "req-1", 1, NULL);
	case SHO_EV_REFUSE:
		return sho_handover_answer(s, "TRE-1", "req-1", 0, "not now");
	case SHO_EV_PROVISIONED:
		return sho_mark_provisioned(s, "TRE-1");
	case SHO_EV_ACTIVE:
		return sho_mark_active(s, "TRE-1");
	case SHO_EV_FELL_BACK:
		return sho_mark_fell_back(s, "TRE-1");
	case SHO_EV_RELEASE: { /* release.c's step for a departure our DRF reports, in its transaction */
		int rc = om_store_begin(s->store, OM_STORE_DURABLE);
		if (rc == 0)
			rc = sho_release_one(s, "TRE-1", 5, "001010000000001", "SHO-B", "req-9");
		if (rc == 0)
			rc = om_store_commit(s->store);
		om_store_rollback(s->store);
		return rc;
	}
	default:
		return OM_EINVAL;
	}
}

static void set_state(struct sho *s, const char *state)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "UPDATE sho_device SET state = '%s', reason = 'before', updated = 7", state);
	CHECK_INT(om_store_exec(s->store, sql), 0);
}

static void a_stored_device_refuses_every_move_the_table_lacks(void)
{
	char db[400], why[256] = "", before[200], after[200];
	struct sho *s = NULL;
	if (t_store_conf(dir, "sho.db", db, sizeof(db)) < 0) {
		CHECK_MSG(0, "no store");
		return;
	}
	struct sho_config cfg = { .db_path = db };
	CHECK_INT(sho_open(&s, &cfg, why, sizeof(why)), 0);
	if (!s)
		return;
	CHECK_INT(sho_owner_add(s, "owner-1", "a secret of the owner"), 0);
	/* the SHO's own statements, so that the rows are as registration and a handover request write them */
	static const uint8_t b[1] = { 1 };
	CHECK_INT(om_stmt_exec(s->stmt[SHO_SQL_DEV_ADD],
			       OM_BIND(OM_TEXT("TRE-1"), OM_TEXT("owner-1"), OM_TEXT("SHO-A"), OM_BLOB(b, 1), OM_BLOB(b, 1),
				       OM_BLOB(b, 1), OM_TEXT("001010000000001"), OM_BLOB(b, 1), OM_BLOB(b, 1), OM_INT(1),
				       OM_INT(0), OM_TEXT(""))),
		  0);
	CHECK_INT(om_stmt_exec(s->stmt[SHO_SQL_HO_ADD],
			       OM_BIND(OM_TEXT("TRE-1"), OM_TEXT("req-1"), OM_BLOB(b, 1), OM_BLOB(b, 1), OM_TEXT("u"),
				       OM_BLOB(b, 1), OM_BLOB(b, 1), OM_INT(1))),
		  0);
	size_t refused = 0;
	for (unsigned i = 0; i < SHO_DEV_N_STATES; i++) {
		const char *from = sho_dev_state_name(i);
		for (int e = 0; e < SHO_EV_N; e++) {
			enum sho_dev_event ev = (enum sho_dev_event)e;
			if (ev == SHO_EV_REQUEST || ev == SHO_EV_RETURN || legal_to(from, ev))
				continue; /* REQUEST and RETURN: the table test above (they need the DRF and PKI) */
			set_state(s, from);
			snapshot(s, before, sizeof(before));
			CHECK_MSG(move_by(s, ev) == OM_ESHO_STATE, "%s --%s--> not refused", from, sho_dev_event_name(ev));
			snapshot(s, after, sizeof(after));
			CHECK_MSG(!strcmp(before, after), "%s --%s-->: %s became %s", from, sho_dev_event_name(ev), before,
				  after);
			refused++;
		}
	}
	CHECK_INT(refused, 28); /* 7 states x 6 events, less the 14 legal ones among them */
	/* and a legal one moves: the test can tell */
	set_state(s, "handover_accepted");
	CHECK_INT(sho_mark_provisioned(s, "TRE-1"), 0);
	snapshot(s, after, sizeof(after));
	CHECK_MSG(!strncmp(after, "provisioned|", 12), "%s", after);
	/* and the release through the table: from provisioned, with its history entry */
	CHECK_INT(move_by(s, SHO_EV_RELEASE), 0);
	snapshot(s, after, sizeof(after));
	CHECK_MSG(!strncmp(after, "released|", 9), "%s", after);
	sho_close(s);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	the_table_has_exactly_the_diagrams_moves();
	a_stored_device_refuses_every_move_the_table_lacks();
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
