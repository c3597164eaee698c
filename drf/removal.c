/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Note Z of B.2.3.2: the old SHO keeps the device's old subscription for a
 * grace period after the change (to resolve error scenarios), then removes
 * it from its HSS through the provisioning socket (docs/hss.md
 * "Provisioning": "delete IMSI" answered by "ok" or "error <code> <reason>").
 *
 * A queue of independent items: one removal the HSS does not answer, or
 * refuses, is retried later with backoff and never holds up the others
 * (docs/drf.md "Completion and Note Z"). The answer is read by its code,
 * never by its wording; "already gone" (OM_EHSS_NOT_FOUND) is success for a
 * removal, which is what makes a retry after a lost answer safe.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "drf_int.h"
#include "drf_state.h"
#include "log.h"
#include "metrics.h"

#define BATCH 16

/* The removal's state (drf_state.h) into from: DRF_STATE_NEW when not queued yet. 0 or a store code. */
static int removal_state(struct drf *d, const char *imsi, char *from, size_t cap)
{
	struct om_stmt *st = d->stmt[DRF_SQL_REMOVAL_STATE];
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(imsi)));
	snprintf(from, cap, "%s", r == OM_STORE_ROW ? om_stmt_col_text(st, 0) : DRF_STATE_NEW);
	om_stmt_reset(st);
	return r < 0 ? r : 0;
}

int drf_removal_queue(struct drf *d, const char *imsi, const char *tre_id, int64_t due, int ev, int64_t now)
{
	char from[16];
	const char *to = NULL;
	int r = removal_state(d, imsi, from, sizeof(from));
	if (r < 0)
		return r;
	if ((ev != DRF_RM_QUEUE_MOVED && ev != DRF_RM_QUEUE_FELL_BACK) ||
	    (r = drf_removal_next(from, (enum drf_removal_event)ev, &to)) < 0)
		return OM_EDRF_STATE;
	if (!strcmp(to, from))
		return 0; /* queued before: a repeat */
	/* the insert, or the upsert of a removal done before: the table's two moves into the queue */
	r = om_stmt_exec(d->stmt[DRF_SQL_REMOVAL_ADD],
			 OM_BIND(OM_TEXT(imsi), OM_TEXT(tre_id), OM_INT(due),
				 OM_TEXT(ev == DRF_RM_QUEUE_MOVED ? "moved" : "fell-back"),
				 ev == DRF_RM_QUEUE_FELL_BACK ? OM_INT(now) : OM_NULL));
	return r < 0 ? r : om_store_changes(d->db) == 1 ? 1 : OM_EDRF_STATE;
}

int drf_removal_apply(struct drf *d, const char *imsi, int ev, int suspension, int64_t now, int64_t next_due,
		      const char *error)
{
	char from[16];
	const char *to = NULL;
	int r = removal_state(d, imsi, from, sizeof(from));
	if (r < 0)
		return r;
	/* a suspension's outcome is `suspended` or its retry, a removal's `removed` or its retry */
	int fits = ev == DRF_RM_RETRY || (ev == DRF_RM_SUSPENDED && suspension) || (ev == DRF_RM_REMOVED && !suspension);
	if (!fits || drf_removal_next(from, (enum drf_removal_event)ev, &to) < 0) {
		om_notice("drf-removal-move-refused", "imsi=%s state=%s event=%s", imsi, from,
			  om_move_event_name(&drf_removal_moves, ev));
		return OM_EDRF_STATE;
	}
	if (ev == DRF_RM_SUSPENDED)
		r = om_stmt_exec(d->stmt[DRF_SQL_SUSPEND_DONE], OM_BIND(OM_TEXT(imsi), OM_INT(now), OM_TEXT(from)));
	else if (ev == DRF_RM_REMOVED)
		r = om_stmt_exec(d->stmt[DRF_SQL_REMOVAL_DONE], OM_BIND(OM_TEXT(imsi), OM_INT(now), OM_TEXT(from)));
	else
		r = om_stmt_exec(d->stmt[suspension ? DRF_SQL_SUSPEND_RETRY : DRF_SQL_REMOVAL_RETRY],
				 OM_BIND(OM_TEXT(imsi), OM_INT(next_due), OM_TEXT(error ? error : ""), OM_TEXT(from)));
	return r;
}

int drf_fallback_removal(struct drf *d, const char *tre_id, const char *imsi, int64_t now)
{
	struct om_stmt *st;
	int r;
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || !drf_imsi_ok(imsi))
		return OM_EDRF_VALUE;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	/* a subscription a device of ours uses now is never taken away this way */
	st = d->stmt[DRF_SQL_DEV_STATUS];
	if ((r = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)))) == OM_STORE_ROW)
		r = om_stmt_col_int64(st, 5) == 1 && !strcmp(om_stmt_col_text(st, 0), imsi) ? OM_EDRF_EXISTS : 0;
	om_stmt_reset(st);
	/*
	 * nor one that is another device's (review): the caller names the device that fell back and the
	 * subscription it never used; an IMSI another device of ours uses, or whose removal is queued for
	 * another device, is not that device's to give up (a DPF taken over would remove any subscriber)
	 */
	st = d->stmt[DRF_SQL_IMSI_OTHER];
	if (r == 0 && (r = om_stmt_query(st, OM_BIND(OM_TEXT(imsi), OM_TEXT(tre_id)))) == OM_STORE_ROW) {
		om_notice("drf-fallback-removal-refused", "tre_id=%s imsi=%s reason=other-device other=%s", tre_id, imsi,
			  om_stmt_col_text(st, 0));
		r = OM_EDRF_IMSI_OTHER;
	}
	om_stmt_reset(st);
	int added = 0; /* 0: queued before (a repeat) */
	if (r < 0 || (r = added = drf_removal_queue(d, imsi, tre_id, now + d->grace_s, DRF_RM_QUEUE_FELL_BACK, now)) < 0) {
		om_store_rollback(d->db);
		if (r == OM_EDRF_EXISTS)
			om_notice("drf-fallback-removal-refused", "tre_id=%s imsi=%s reason=ours", tre_id, imsi);
		return r;
	}
	if ((r = om_store_commit(d->db)) == 0 && added)
		om_info("drf-fallback-removal", "tre_id=%s imsi=%s removal_due=%lld", tre_id, imsi,
			(long long)(now + d->grace_s));
	return r;
}

struct item {
	char imsi[DRF_IMSI_MAX + 1];
	unsigned attempts;
	int code;     /* the HSS's answer: 0 removed (or already gone), else the failure */
	int64_t wait; /* on failure: seconds to the next attempt */
	char why[OM_ADMIN_REASON_MAX + 1];
};

static void lock_if(pthread_mutex_t *lock)
{
	if (lock)
		pthread_mutex_lock(lock);
}

static void unlock_if(pthread_mutex_t *lock)
{
	if (lock)
		pthread_mutex_unlock(lock);
}

/* Only digits go into the command line, so a stored IMSI can never carry a second command. */
static int line_safe(const char *imsi)
{
	size_t n = strlen(imsi);
	if (n == 0 || n > DRF_IMSI_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (imsi[i] < '0' || imsi[i] > '9')
			return 0;
	return 1;
}

/*
 * "VERB IMSI" (delete, suspend) within the deadline. 0 when done (now, or
 * the subscriber is already gone: nothing left to delete or to suspend),
 * else the failure's code (transport or the HSS's own), with the HSS's
 * reason in why.
 */
static int hss_call(const struct drf *d, const char *verb, const char *imsi, char *why, size_t wl)
{
	struct om_admin_result res;
	char line[64];
	why[0] = '\0';
	if (!line_safe(imsi)) {
		snprintf(why, wl, "stored IMSI is not digits");
		return OM_EDRF_VALUE;
	}
	snprintf(line, sizeof(line), "%s %s\n", verb, imsi);
	int rc = om_admin_call(d->hss_socket, line, d->hss_timeout_ms, NULL, NULL, &res);
	if (rc < 0) {
		snprintf(why, wl, "%s", om_strerror(rc));
		return rc;
	}
	if (res.code == 0 || res.code == OM_EHSS_NOT_FOUND) {
		snprintf(why, wl, "%s", res.code ? "already-gone" : verb[0] == 'd' ? "removed" : "suspended");
		return 0;
	}
	snprintf(why, wl, "%s", res.reason);
	return res.code;
}

/*
 * The two kinds of work on the HSS queued in the removal table, each with
 * its own due time and retries: the suspension of a fell-back subscription
 * the SHO could not suspend (issue 20) and the removal itself (Note Z).
 */
struct step {
	const char *verb, *event, *done_label; /* done_label: the metric's result when done */
	enum drf_sql due;
	enum drf_removal_event done_ev; /* the move when the HSS did it (drf_state.h) */
	struct om_metric *metric;
};

static struct om_metric m_removals = OM_COUNTER("openmcim_drf_removals_total",
	"Removals of released subscriptions from the HSS after the grace period (Note Z), by result of each attempt",
	"result");
static struct om_metric m_suspensions = OM_COUNTER("openmcim_drf_suspensions_total",
	"Suspensions of fell-back subscriptions the SHO could not suspend (issue 20), by result of each attempt",
	"result");

static const struct step suspend_step = { "suspend", "drf-suspend", "suspended", DRF_SQL_SUSPEND_DUE, DRF_RM_SUSPENDED,
					  &m_suspensions };
static const struct step removal_step = { "delete", "drf-removal", "removed", DRF_SQL_REMOVAL_DUE, DRF_RM_REMOVED,
					  &m_removals };

/* Up to BATCH items of the step due at now, in due order. The count, or a store code. */
static int due_items(struct drf *d, const struct step *sp, int64_t now, struct item *it)
{
	struct om_stmt *st = d->stmt[sp->due];
	int r, n = 0;
	for (r = om_stmt_query(st, OM_BIND(OM_INT(now))); n < BATCH && r == OM_STORE_ROW; r = om_stmt_step(st)) {
		snprintf(it[n].imsi, sizeof(it[n].imsi), "%s", om_stmt_col_text(st, 0));
		it[n++].attempts = (unsigned)om_stmt_col_int64(st, 1);
	}
	om_stmt_reset(st);
	return r < 0 ? r : n;
}

/*
 * The outcomes of one batch in one transaction (issue 14: a durable commit
 * per removal), a lazy one (docs/decisions.md "Lazy commits"): lost in a
 * crash or a power cut, the calls are repeated, and the HSS answers
 * "already gone" (or suspends again): done, as for a lost answer.
 */
static int record(struct drf *d, const struct step *sp, const struct item *it, int n, int64_t now)
{
	int r = 0;
	if ((r = om_store_begin(d->db, OM_STORE_LAZY)) < 0)
		return r;
	/* each outcome a move of drf_state.h's removal table; one that moved meanwhile is left as it is */
	for (int i = 0; i < n && r >= 0; i++) {
		enum drf_removal_event ev = it[i].code ? DRF_RM_RETRY : sp->done_ev;
		r = drf_removal_apply(d, it[i].imsi, ev, sp->done_ev == DRF_RM_SUSPENDED, now, now + it[i].wait,
				      om_errname(it[i].code));
		if (r == OM_EDRF_STATE)
			r = 0;
	}
	if (r < 0) {
		om_store_rollback(d->db);
		return r;
	}
	return om_store_commit(d->db);
}

/* retry_min after the first failure, doubling up to retry_max. */
static int64_t backoff(const struct drf *d, unsigned attempts)
{
	int64_t w = d->removal_retry_min_s;
	for (unsigned i = 0; i < attempts && w < d->removal_retry_max_s; i++)
		w *= 2;
	return w < d->removal_retry_max_s ? w : d->removal_retry_max_s;
}

/* Every item of the step due at now, a batch at a time. The number done, or a store code. */
static int run_step(struct drf *d, const struct step *sp, pthread_mutex_t *lock, int64_t now)
{
	struct item it[BATCH];
	int r, n, done = 0;
	/* a failed item moves past now and a done one leaves: each batch is new, and the loop ends */
	do {
		lock_if(lock);
		n = due_items(d, sp, now, it);
		unlock_if(lock);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			it[i].code = hss_call(d, sp->verb, it[i].imsi, it[i].why, sizeof(it[i].why));
			it[i].wait = it[i].code ? backoff(d, it[i].attempts) : 0;
		}
		lock_if(lock);
		r = n > 0 ? record(d, sp, it, n, now) : 0;
		unlock_if(lock);
		if (r < 0)
			return r;
		for (int i = 0; i < n; i++) {
			if (it[i].code == 0) {
				om_info(sp->event, "imsi=%s result=%s attempts=%u", it[i].imsi, it[i].why, it[i].attempts + 1);
				om_metric_inc(sp->metric, sp->done_label);
				done++;
			} else {
				om_metric_inc(sp->metric, "retry");
				om_error(sp->event, "imsi=%s result=retry code=%s attempts=%u retry_in=%lld reason=\"%.200s\"",
					 it[i].imsi, om_errname(it[i].code), it[i].attempts + 1, (long long)it[i].wait,
					 it[i].why);
			}
		}
	} while (n == BATCH);
	return done;
}

int drf_removals_run(struct drf *d, pthread_mutex_t *lock, int64_t now)
{
	int r;
	if (!d)
		return OM_EINVAL;
	if (!d->hss_socket)
		return OM_EDRF_CONFIG;
	/* suspended first: a subscription removed in the same run needs no suspension, and gets none (gone) */
	if ((r = run_step(d, &suspend_step, lock, now)) < 0)
		return r;
	return run_step(d, &removal_step, lock, now);
}

int drf_suspensions_pending(struct drf *d)
{
	int r;
	if (!d)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_SUSPEND_PENDING];
	if ((r = om_stmt_query(st, NULL, 0)) == OM_STORE_ROW)
		r = (int)om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	return r;
}

int drf_removals_due(struct drf *d, int64_t now, int *not_yet_due)
{
	int r, due = 0, later = 0;
	if (!d)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_REMOVAL_PENDING];
	for (r = om_stmt_query(st, OM_BIND(OM_INT(now))); r == OM_STORE_ROW; r = om_stmt_step(st)) {
		if (om_stmt_col_int64(st, 0))
			due++;
		else
			later++;
	}
	om_stmt_reset(st);
	if (not_yet_due)
		*not_yet_due = later;
	return r < 0 ? r : due;
}
