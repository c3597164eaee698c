/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device's outcome after the MCIM install (dpf.h dpf_outcome, docs/dpf.md
 * "Outcome") and the queue of completion reports to the previous SHOs' DRFs
 * (Note Z), both in the DPF's own record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <openmcim/failpoint.h>
#include <openmcim/outcome.h>
#include <openmcim/pki.h>

#include "dpf_int.h"
#include "drf_admin.h"
#include "dpf_state.h"
#include "log.h"
#include "metrics.h"
#include "reason.h"

/* A verified outcome statement, as received, with what the SHO told while checking it. */
struct statement {
	const uint8_t *bytes;
	size_t len;
	struct om_outcome o;
	uint8_t *sign; /* the registered Cert_TRE (signing), DER (malloc'd) */
	size_t sign_len;
	uint8_t *enc; /* and the encryption one, for our DRF (malloc'd) */
	size_t enc_len;
	struct sho_device_status st; /* the SHO's record of the device */
};

/*
 * The release's outcome, the TRE's counter and, for ACTIVE, the completion
 * report carrying the statement: one durable transaction.
 */
static int record(struct dpf *d, const char *tre_id, const struct dpf_release *r, const char *outcome,
		  const struct sho_device_status *st, const struct statement *s_, time_t now)
{
	int rc = om_store_begin(d->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	rc = om_stmt_exec(d->stmt[DPF_SQL_RELEASE_OUTCOME],
			  OM_BIND(OM_TEXT(outcome), OM_INT(now), OM_BLOB(r->nonce_b, OM_NONCE_LEN)));
	if (rc == 0)
		rc = dpf_counter_record(d, tre_id, s_->o.counter, now);
	/* a repeat finds the report already queued (or sent): nothing changes */
	if (rc == 0 && st)
		rc = om_stmt_exec(d->stmt[DPF_SQL_COMPLETION_ADD],
				  OM_BIND(OM_TEXT(st->request_id), OM_TEXT(st->current_sho), OM_TEXT(st->tre_id), OM_INT(now),
					  OM_BLOB(s_->bytes, s_->len)));
	if (rc < 0) {
		om_store_rollback(d->store);
		return rc;
	}
	return om_store_commit(d->store);
}

/* B.2.3.4 after step V: the device is on its new MCIM; steps a-d of docs/dpf.md "Outcome". */
static int active(struct dpf *d, const char *tre_id, struct dpf_release *r, const struct statement *stm, time_t now,
		  char *why, size_t wl)
{
	const struct sho_device_status *st = &stm->st;
	int rc;
	if (!d->drf)
		return om_reason(why, wl, OM_EDPF_CONFIG, "no DRF configured (drf_socket)");
	if (!strcmp(r->state, "failed"))
		return om_reason(why, wl, OM_EDPF_OUTCOME, "active reported after an install failure");
	/* a: killed before its Status 200 reached us, the device installed all the same */
	if (!strcmp(r->state, "released")) {
		if ((rc = dpf_install_status(d, tre_id, DPF_INSTALL_SUCCESS, now)) < 0)
			return om_reason(why, wl, rc, "install status: %s", om_errname(rc));
		snprintf(r->state, sizeof(r->state), "installed");
	}
	/* the SHO's record as check_statement read it: marking it provisioned changed only its state */
	if (!st->request_id[0] || !st->current_sho[0])
		return om_reason(why, wl, OM_EDPF_STATE, "no handover request or previous SHO on record");
	/* c: a later change of operator away from us starts at our DRF, which must know the device (Cert_TRE
	 * for encryption, as check_statement had it from the SHO); and the signing one: our DRF verifies the
	 * outcome statement of that later change with it (issue 12) */
	char dr[OM_ADMIN_REASON_MAX + 1] = "";
	rc = drf_remote_device_add(d->drf, tre_id, st->imsi, r->created, stm->enc, stm->enc_len, stm->sign,
				   stm->sign_len, st->owner_id, st->sequence, stm->o.counter, dr, sizeof(dr));
	/* the DRF's answer lost or late: nothing of ours is recorded yet, and the device's repeat adds the same row (a no-op) */
	if (rc == OM_EUNAVAILABLE)
		return om_reason(why, wl, OM_EDPF_UNAVAILABLE, "DRF: %s", dr);
	if (rc < 0)
		return om_reason(why, wl, rc, "DRF register: %s (%s)", om_errname(rc), dr);
	/* b, after c: a DRF that does not answer leaves the SHO as it was */
	if ((rc = sho_remote_mark_active(d->sho, tre_id)) < 0)
		return om_reason(why, wl, rc, "SHO state: %s", om_errname(rc));
	/* d */
	if ((rc = record(d, tre_id, r, "active", st, stm, now)) < 0)
		return om_reason(why, wl, rc, "record: %s", om_errname(rc));
	om_notice("outcome", "tre_id=%s outcome=active imsi=%s previous_sho=%s request_id=%s completion=queued", tre_id,
		  st->imsi, st->current_sho, st->request_id);
	om_failpoint("dpf.outcome");
	return 0;
}

/* docs/operate.md "Metrics" */
static struct om_metric m_outcomes = OM_COUNTER("openmcim_dpf_outcomes_total",
	"Outcome reports recorded (TR 33.812 B.2.3.5), by outcome", "outcome");
static struct om_metric m_outcome_refused =
	OM_COUNTER("openmcim_dpf_outcome_refusals_total", "Outcome reports refused, by error code", "code");

/*
 * Issue 20: the device fell back, so the subscription we made for it will
 * not be used: the SHO suspends it at once and shows the device fell back
 * here, our DRF removes it after its grace period. Before the fallback is
 * recorded, so that a failure leaves it to the device's repeat.
 */
static int fell_back(struct dpf *d, const char *tre_id, char *why, size_t wl)
{
	struct sho_device_status st;
	char dr[OM_ADMIN_REASON_MAX + 1] = "";
	int rc;
	if (!d->drf)
		return om_reason(why, wl, OM_EDPF_CONFIG, "no DRF configured (drf_socket)");
	if ((rc = sho_remote_status(d->sho, tre_id, &st)) < 0)
		return om_reason(why, wl, rc, "SHO record: %s", om_errname(rc));
	if ((rc = sho_remote_mark_fell_back(d->sho, tre_id)) < 0)
		return om_reason(why, wl, rc == OM_EUNAVAILABLE ? OM_EDPF_UNAVAILABLE : rc, "SHO fell back: %s",
				 om_errname(rc));
	if ((rc = drf_remote_fallback_removal(d->drf, tre_id, st.imsi, dr, sizeof(dr))) < 0)
		return om_reason(why, wl, rc == OM_EUNAVAILABLE ? OM_EDPF_UNAVAILABLE : rc, "DRF removal: %s (%s)",
				 om_errname(rc), dr);
	return 0;
}

/*
 * The TRE's statement against what this SHO knows (docs/dpf.md "Outcome"):
 * signed with the registered Cert_TRE, for the authenticated TRE, no MID
 * blocked by the TRE's integrity check, bound to
 * the nonceB of its latest release and to the IMSI we allocated, with a
 * state counter not below one already seen. 0 or a code with why.
 */
static int check_statement(struct dpf *d, const char *tre_id, struct statement *s, struct dpf_release *r, char *why,
			   size_t wl)
{
	EVP_PKEY *key = NULL;
	struct sho_device_view v;
	/* the SHO's record and both Cert_TREs in one call (issue 14): active() hands them to our DRF */
	int rc = sho_remote_device(d->sho, tre_id, &v);
	if (rc == 0) {
		s->st = v.st;
		s->sign = v.sign;
		s->sign_len = v.sign_len;
		s->enc = v.enc;
		s->enc_len = v.enc_len;
		rc = dpf_tre_key(d, s->sign, s->sign_len, &key);
	}
	if (rc == OM_ESHO_NOT_FOUND)
		return om_reason(why, wl, OM_EDPF_UNKNOWN_TRE, "not registered at this SHO");
	if (rc < 0)
		return om_reason(why, wl, rc, "registered Cert_TRE: %s", om_errname(rc));
	rc = s->bytes ? om_outcome_verify(s->bytes, s->len, key, &s->o) : OM_EOBJ_TRUNCATED;
	EVP_PKEY_free(key);
	if (rc < 0)
		return om_reason(why, wl, OM_EDPF_OUTCOME_SIGNATURE, "outcome statement: %s", om_errname(rc));
	if (strcmp(s->o.tre_id, tre_id))
		return om_reason(why, wl, OM_EDPF_OUTCOME_TRE, "statement of %s", s->o.tre_id);
	/* a failed integrity check, as the TRE itself reports it (threats 1.10): not taken as a success */
	if (s->o.n_blocked)
		return om_reason(why, wl, OM_EDPF_TRE_BLOCKED, "the TRE reports %u MID(s) blocked by its integrity check",
				 (unsigned)s->o.n_blocked);
	if ((rc = dpf_last_release(d, tre_id, r)) < 0)
		return om_reason(why, wl, rc, "%s", rc == OM_EDPF_NOT_RELEASED ? "no MCIM released" : om_errname(rc));
	if (CRYPTO_memcmp(s->o.nonce_b, r->nonce_b, OM_NONCE_LEN))
		return om_reason(why, wl, OM_EDPF_OUTCOME_NONCE_B, "statement of another release (nonceB)");
	if (strcmp(s->o.imsi, s->st.imsi))
		return om_reason(why, wl, OM_EDPF_OUTCOME_IMSI, "statement names IMSI %s, we allocated %s", s->o.imsi,
				 s->st.imsi);
	return dpf_counter_check(d, tre_id, s->o.counter, why, wl);
}

int dpf_outcome(struct dpf *d, const char *tre_id, const uint8_t *stmt, size_t stmt_len, time_t now, int *outcome,
		char *why, size_t wl)
{
	struct dpf_release r;
	struct statement s = { .bytes = stmt, .len = stmt_len };
	int rc;
	if (outcome)
		*outcome = 0;
	if (!d || !tre_id)
		return om_reason(why, wl, OM_EINVAL, "bad arguments");
	if ((rc = check_statement(d, tre_id, &s, &r, why, wl)) < 0)
		goto out;
	if (s.o.outcome == OM_OUTCOME_ACTIVE && !strcmp(r.outcome, "fallback")) {
		/* its subscription is suspended and queued for removal (issue 20): an older word of the TRE */
		rc = om_reason(why, wl, OM_EDPF_OUTCOME, "active reported after fallback");
	} else if (s.o.outcome == OM_OUTCOME_ACTIVE) {
		rc = active(d, tre_id, &r, &s, now, why, wl);
	} else if (!strcmp(r.outcome, "active")) {
		/* the completion may be on its way to the previous SHO: we do not take the device back */
		rc = om_reason(why, wl, OM_EDPF_OUTCOME, "fallback reported after active");
	} else if (!strcmp(r.outcome, "fallback")) {
		rc = 0; /* the same report again */
	} else if ((rc = fell_back(d, tre_id, why, wl)) < 0) {
		/* nothing recorded: the device's repeat runs the cleanup again (each step is idempotent) */
	} else if ((rc = record(d, tre_id, &r, "fallback", NULL, &s, now)) < 0) {
		om_reason(why, wl, rc, "record: %s", om_errname(rc));
	} else {
		om_notice("outcome", "tre_id=%s outcome=fallback release=%s counter=%llu cleanup=suspended,removal-queued",
			  tre_id, r.state, (unsigned long long)s.o.counter);
	}
out:
	rc = dpf_unavailable(rc);
	if (rc == 0 && outcome)
		*outcome = s.o.outcome;
	if (rc < 0)
		om_notice("outcome", "tre_id=%s outcome=%s result=refused code=%s reason=\"%s\"", tre_id,
			  s.o.outcome ? om_outcome_name(s.o.outcome) : "-", om_errname(rc), why ? why : "");
	if (rc < 0)
		om_metric_inc_err(&m_outcome_refused, rc);
	else if (s.o.outcome)
		om_metric_inc(&m_outcomes, om_outcome_name(s.o.outcome));
	free(s.sign);
	free(s.enc);
	return rc;
}

/* ---- the completion queue ------------------------------------------------------- */

int dpf_completion_next(struct dpf *d, struct dpf_completion *c)
{
	struct om_stmt *st = d->stmt[DPF_SQL_COMPLETION_NEXT];
	memset(c, 0, sizeof(*c));
	int rc = om_stmt_query(st, OM_NOBIND);
	if (rc == OM_STORE_ROW) {
		snprintf(c->request_id, sizeof(c->request_id), "%s", om_stmt_col_text(st, 0));
		snprintf(c->peer, sizeof(c->peer), "%s", om_stmt_col_text(st, 1));
		snprintf(c->tre_id, sizeof(c->tre_id), "%s", om_stmt_col_text(st, 2));
		c->attempts = (unsigned)om_stmt_col_int64(st, 3);
		c->due = om_stmt_col_int64(st, 4);
		size_t l = 0;
		const void *b = om_stmt_col_blob(st, 5, &l);
		/* a report queued before issue 12 has none: the DRF refuses it, as it should (no release unsigned) */
		if (b && l <= sizeof(c->statement)) {
			memcpy(c->statement, b, l);
			c->statement_len = l;
		}
		rc = 1;
	}
	om_stmt_reset(st);
	return rc;
}

/*
 * Move the completion report request_id by ev (dpf_state.h) in one
 * transaction of durability dur: its state read, the table's move, then
 * statement q with binds v and ?N+1 = the new state, ?N+2 = the state it
 * moves from, so it writes only while the row is still there. An unknown
 * report is 0 (nothing to move); a step already taken writes nothing unless
 * always is set (a retry counts its attempt).
 */
static int move(struct dpf *d, enum om_store_durability dur, const char *request_id, enum dpf_completion_event ev,
		int always, enum dpf_sql q, const struct om_val *v, size_t n)
{
	struct om_val b[8];
	char from[16] = "";
	const char *to = NULL;
	struct om_stmt *st = d->stmt[DPF_SQL_COMPLETION_STATE];
	if (n + 2 > sizeof(b) / sizeof(b[0]))
		return OM_EINVAL;
	int rc = om_store_begin(d->store, dur);
	if (rc < 0)
		return rc;
	if ((rc = om_stmt_query(st, OM_BIND(OM_TEXT(request_id)))) == OM_STORE_ROW)
		snprintf(from, sizeof(from), "%s", om_stmt_col_text(st, 0));
	om_stmt_reset(st);
	if (rc == OM_STORE_DONE || rc < 0) {
		om_store_rollback(d->store);
		return rc < 0 ? rc : 0;
	}
	if ((rc = dpf_completion_move(from, ev, &to)) < 0 || (!always && !strcmp(from, to))) {
		om_store_rollback(d->store);
		if (rc < 0)
			om_notice("completion-move-refused", "request=%s state=%s event=%s", request_id, from,
				  om_move_event_name(&dpf_completion_moves, (int)ev));
		return rc;
	}
	memcpy(b, v, n * sizeof(*v));
	b[n] = OM_TEXT(to);
	b[n + 1] = OM_TEXT(from);
	if ((rc = om_stmt_exec(d->stmt[q], b, n + 2)) < 0) {
		om_store_rollback(d->store);
		return rc;
	}
	return om_store_commit(d->store);
}

int dpf_completion_answered(struct dpf *d, const char *request_id, int completed, const char *answer, time_t now)
{
	/*
	 * Lazy (docs/decisions.md "Lazy commits"): a power cut that loses it sends the report again, which
	 * the DRF answers as before (drf_handover_completed is idempotent); nothing is released twice.
	 */
	return move(d, OM_STORE_LAZY, request_id, completed ? DPF_CMP_DONE : DPF_CMP_REFUSED, 0,
		    DPF_SQL_COMPLETION_ANSWERED, OM_BIND(OM_TEXT(answer ? answer : ""), OM_TEXT(request_id), OM_INT(now)));
}

int dpf_completion_retry(struct dpf *d, const char *request_id, const char *why, time_t now)
{
	int64_t wait = DPF_COMPLETION_RETRY_MAX;
	struct om_stmt *st = d->stmt[DPF_SQL_COMPLETION_ATTEMPTS];
	unsigned attempts = 0;
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(request_id)));
	if (rc == OM_STORE_ROW)
		attempts = (unsigned)om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	if (rc < 0)
		return rc;
	if (attempts < 6)
		wait = (int64_t)DPF_COMPLETION_RETRY_MIN << attempts;
	if (wait > DPF_COMPLETION_RETRY_MAX)
		wait = DPF_COMPLETION_RETRY_MAX;
	return move(d, OM_STORE_LAZY, request_id, DPF_CMP_RETRY, 1, DPF_SQL_COMPLETION_RETRY, /* lost: tried again sooner */
		    OM_BIND(OM_TEXT(why ? why : ""), OM_TEXT(request_id), OM_INT(now + wait), OM_INT(now)));
}

int dpf_completion_resume(struct dpf *d, time_t now)
{
	/* every state the table resumes from, each to where the table says, in one transaction */
	int rc = om_store_begin(d->store, OM_STORE_DURABLE);
	for (size_t i = 0; rc == 0 && i < dpf_completion_moves.n_states; i++) {
		const char *from = dpf_completion_moves.states[i], *to = NULL;
		if (dpf_completion_move(from, DPF_CMP_RESUME, &to) == 0)
			rc = om_stmt_exec(d->stmt[DPF_SQL_COMPLETION_RESUME], OM_BIND(OM_INT(now), OM_TEXT(to), OM_TEXT(from)));
	}
	if (rc == 0)
		rc = om_store_commit(d->store);
	om_store_rollback(d->store);
	return rc < 0 ? rc : dpf_completion_count(d, "pending");
}

int dpf_completion_count(struct dpf *d, const char *state)
{
	struct om_stmt *st = d->stmt[DPF_SQL_COMPLETION_COUNT];
	int n = 0;
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(state)));
	if (rc == OM_STORE_ROW)
		n = (int)om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	return rc < 0 ? rc : n;
}
