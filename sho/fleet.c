/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner's view of the fleet (sho.h "the owner's view"): pages of
 * devices by filter, counts per state, each device's history and the states
 * over time. Every query names the owner: one owner never reads another's
 * rows (docs/owner.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sho_int.h"

const char *const sho_states[SHO_N_STATES] = {
	"registered", "handover_requested", "handover_accepted", "refused", "provisioned", "active", "released",
};

int sho_state_index(const char *state)
{
	for (int i = 0; state && i < SHO_N_STATES; i++)
		if (!strcmp(state, sho_states[i]))
			return i;
	return -1;
}

static const char *opt(const char *v)
{
	return v && *v ? v : NULL;
}

/* ?1 owner, ?2 state, ?3 current SHO, ?4 TRE_id prefix, ?5 refused only, ?6 after, ?7 model (FLEET_WHERE) */
#define FLEET_BINDS(owner_id, f, state, after)                                                                 \
	OM_TEXT(owner_id), OM_TEXT(state), OM_TEXT(opt((f)->operator_id)), OM_TEXT(opt((f)->prefix)),          \
		OM_INT((f)->refused ? 1 : 0), OM_TEXT(after), OM_TEXT(opt((f)->model))

static int filter_ok(const char *owner_id, const struct sho_fleet_filter *f)
{
	return owner_id && f && f->limit >= 1 && f->limit <= SHO_PAGE_MAX &&
	       (!f->state || !*f->state || sho_state_index(f->state) >= 0);
}

int sho_fleet_page(struct sho *s, const char *owner_id, const struct sho_fleet_filter *f,
		   void (*fn)(void *ctx, const struct sho_device_status *d), void *ctx, int *more)
{
	struct sho_device_status d;
	unsigned n = 0;
	if (!s || !fn || !more || !filter_ok(owner_id, f))
		return OM_EINVAL;
	*more = 0;
	struct om_stmt *st = s->stmt[SHO_SQL_FLEET_PAGE];
	/* one more than asked tells whether another page follows */
	int rc = om_stmt_query(st, OM_BIND(FLEET_BINDS(owner_id, f, opt(f->state), opt(f->after)),
					   OM_INT((int64_t)f->limit + 1)));
	for (; rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		if (n++ == f->limit) {
			*more = 1;
			break;
		}
		sho_read_status(st, &d);
		fn(ctx, &d);
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

int sho_fleet_counts(struct sho *s, const char *owner_id, const struct sho_fleet_filter *f,
		     uint64_t counts[static SHO_N_STATES])
{
	if (!s || !owner_id || !f)
		return OM_EINVAL;
	memset(counts, 0, SHO_N_STATES * sizeof(counts[0]));
	struct om_stmt *st = s->stmt[SHO_SQL_FLEET_COUNTS];
	int rc;
	for (rc = om_stmt_query(st, OM_BIND(FLEET_BINDS(owner_id, f, NULL, NULL))); rc == OM_STORE_ROW;
	     rc = om_stmt_step(st)) {
		int k = sho_state_index(om_stmt_col_text(st, 0));
		if (k >= 0)
			counts[k] = (uint64_t)om_stmt_col_int64(st, 1);
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

/* ---- history ---------------------------------------------------------------------- */

static int event_name_ok(const char *e)
{
	static const char *const names[] = { "registered", "transferred", "handover_requested", "handover_accepted",
					     "refused", "provisioned", "active", "fell_back", "released",
					     "validation_refused", "suspended", "resumed" };
	for (size_t i = 0; e && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(e, names[i]))
			return 1;
	return 0;
}

static int detail_ok(const char *d)
{
	size_t n = d ? strlen(d) : 0;
	for (size_t i = 0; i < n; i++)
		if (d[i] < ' ' || d[i] > '~')
			return 0;
	return n <= SHO_REASON_MAX;
}

int sho_event_add(struct sho *s, const char *tre_id, const char *owner_id, int64_t at, const char *event,
		  const char *detail)
{
	if (!event_name_ok(event) || !detail_ok(detail))
		return OM_ESHO_NOTE;
	return om_stmt_exec(s->stmt[SHO_SQL_EVENT_ADD], OM_BIND(OM_TEXT(tre_id), OM_TEXT(owner_id), OM_INT(at),
							       OM_TEXT(event), OM_TEXT(detail ? detail : "")));
}

int sho_history(struct sho *s, const char *owner_id, const char *tre_id,
		void (*fn)(void *ctx, const struct sho_event *e), void *ctx)
{
	struct sho_event e;
	unsigned n = 0;
	if (!s || !owner_id || !tre_id || !fn)
		return OM_EINVAL;
	struct om_stmt *st = s->stmt[SHO_SQL_HISTORY];
	int rc;
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id), OM_TEXT(owner_id))); rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		memset(&e, 0, sizeof(e));
		e.at = om_stmt_col_int64(st, 0);
		snprintf(e.event, sizeof(e.event), "%s", om_stmt_col_text(st, 1));
		snprintf(e.detail, sizeof(e.detail), "%s", om_stmt_col_text(st, 2));
		fn(ctx, &e);
		n++;
	}
	om_stmt_reset(st);
	if (rc < 0)
		return rc;
	return n ? 0 : OM_ESHO_NOT_FOUND;
}

/* ---- states over time ------------------------------------------------------------------ */

/* The state an event leaves the device in, or -1 (fell_back, validation_refused: no change here). */
static int state_after(const char *event)
{
	return !strcmp(event, "transferred") ? 0 : sho_state_index(event);
}

/* The bucket whose end is the first at or after t: a state entered at t counts from there. */
static long bucket_of(int64_t t, int64_t from, int64_t to, unsigned n)
{
	if (t <= from)
		return 0;
	if (t > to)
		return (long)n;
	int64_t span = to - from;
	/* end of bucket b = from + span * (b + 1) / n */
	long b = (long)(((t - from) * (int64_t)n + span - 1) / span) - 1;
	return b < 0 ? 0 : b;
}

/*
 * One pass over the owner's events in device order: each state a device was
 * in covers the buckets from its start to the next state's; difference
 * arrays make that O(events + buckets).
 */
int sho_timeline(struct sho *s, const char *owner_id, int64_t from, int64_t to, unsigned n,
		 uint64_t (*counts)[SHO_N_STATES])
{
	if (!s || !owner_id || !counts || n == 0 || n > 1000 || to <= from)
		return OM_EINVAL;
	int64_t(*diff)[SHO_N_STATES] = calloc((size_t)n + 1, sizeof(*diff));
	if (!diff)
		return OM_ENOMEM;
	char cur_id[OM_TRE_ID_MAX + 1] = "";
	int cur_state = -1;
	long cur_from = 0;
	struct om_stmt *st = s->stmt[SHO_SQL_OWNER_EVENTS];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(owner_id)));
	for (;;) {
		int row = rc == OM_STORE_ROW;
		const char *id = row ? om_stmt_col_text(st, 0) : "";
		int next = row ? state_after(om_stmt_col_text(st, 2)) : -1;
		long b = row ? bucket_of(om_stmt_col_int64(st, 1), from, to, n) : (long)n;
		int same = row && !strcmp(id, cur_id);
		if (cur_state >= 0 && (!same || next >= 0)) { /* the current state ends here (or at the end) */
			long end = same ? b : (long)n;
			if (end > cur_from) {
				diff[cur_from][cur_state]++;
				diff[end][cur_state]--;
			}
			cur_state = -1;
		}
		if (!row)
			break;
		if (!same) {
			snprintf(cur_id, sizeof(cur_id), "%s", id);
			cur_state = -1;
		}
		if (next >= 0) {
			cur_state = next;
			cur_from = b;
		}
		rc = om_stmt_step(st);
	}
	om_stmt_reset(st);
	if (rc < 0) {
		free(diff);
		return rc;
	}
	int64_t run[SHO_N_STATES] = { 0 };
	for (unsigned b = 0; b < n; b++)
		for (int k = 0; k < SHO_N_STATES; k++) {
			run[k] += diff[b][k];
			counts[b][k] = run[k] > 0 ? (uint64_t)run[k] : 0;
		}
	free(diff);
	return 0;
}
