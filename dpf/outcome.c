/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device's outcome after the MCIM install (dpf.h dpf_outcome, docs/dpf.md
 * "Outcome") and the queue of completion reports to the previous SHOs' DRFs
 * (Note Z), both in the DPF's own record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/failpoint.h>

#include "dpf_int.h"
#include "log.h"
#include "reason.h"

/* Run one statement with text/int binds given as a tiny program: "t" text, "i" int64. */
static int exec_binds(struct dpf *d, const char *sql, const char *kinds, const char *const *texts,
		      const int64_t *ints)
{
	struct om_stmt *st = NULL;
	int rc = om_stmt_prepare(d->store, sql, &st);
	for (int i = 0, t = 0, n = 0; rc == 0 && kinds[i]; i++)
		rc = kinds[i] == 't' ? om_stmt_bind_text(st, i + 1, texts[t++])
				     : om_stmt_bind_int64(st, i + 1, ints[n++]);
	if (rc == 0)
		rc = om_stmt_step(st);
	om_stmt_finalize(st);
	return rc < 0 ? rc : 0;
}

/* The release's outcome and, for ACTIVE, the completion report: one durable transaction. */
static int record(struct dpf *d, const struct dpf_release *r, const char *outcome,
		  const struct sho_device_status *st, time_t now)
{
	struct om_stmt *s = NULL;
	int rc = om_store_begin(d->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	rc = om_stmt_prepare(d->store, "UPDATE dpf_release SET outcome = ?1, updated = ?2"
				       " WHERE nonce_b = ?3 AND outcome IS NOT ?1", &s);
	if (rc == 0)
		rc = om_stmt_bind_text(s, 1, outcome);
	if (rc == 0)
		rc = om_stmt_bind_int64(s, 2, (int64_t)now);
	if (rc == 0)
		rc = om_stmt_bind_blob(s, 3, r->nonce_b, OM_NONCE_LEN);
	if (rc == 0)
		rc = om_stmt_step(s);
	om_stmt_finalize(s);
	if (rc >= 0 && st) {
		/* a repeat finds the report already queued (or sent): nothing changes */
		const char *t[] = { st->request_id, st->current_sho, st->tre_id };
		const int64_t n[] = { (int64_t)now };
		rc = exec_binds(d,
				"INSERT OR IGNORE INTO dpf_completion"
				" (request_id, peer, tre_id, state, attempts, due, answer, created, updated)"
				" VALUES (?1, ?2, ?3, 'pending', 0, ?4, '', ?4, ?4)",
				"ttti", t, n);
	}
	if (rc < 0) {
		om_store_rollback(d->store);
		return rc;
	}
	return om_store_commit(d->store);
}

/* B.2.3.4 after step V: the device is on its new MCIM; steps a-d of docs/dpf.md "Outcome". */
static int active(struct dpf *d, const char *tre_id, struct dpf_release *r, time_t now, char *why, size_t wl)
{
	struct sho_device_status st;
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	int rc;
	if (!d->drf)
		return om_reason(why, wl, OM_EDPF_CONFIG, "no DRF register configured (drf_db)");
	if (!strcmp(r->state, "failed"))
		return om_reason(why, wl, OM_EDPF_OUTCOME, "active reported after an install failure");
	/* a: killed before its Status 200 reached us, the device installed all the same */
	if (!strcmp(r->state, "released")) {
		if ((rc = dpf_install_status(d, tre_id, DPF_INSTALL_SUCCESS, now)) < 0)
			return om_reason(why, wl, rc, "install status: %s", om_errname(rc));
		snprintf(r->state, sizeof(r->state), "installed");
	}
	/* b */
	if ((rc = sho_mark_active(d->sho, tre_id)) < 0)
		return om_reason(why, wl, rc, "SHO state: %s", om_errname(rc));
	if ((rc = sho_status(d->sho, tre_id, &st)) < 0)
		return om_reason(why, wl, rc, "SHO record: %s", om_errname(rc));
	if (!st.request_id[0] || !st.current_sho[0])
		return om_reason(why, wl, OM_EDPF_STATE, "no handover request or previous SHO on record");
	/* c: a later change of operator away from us starts at our DRF, which must know the device */
	if ((rc = sho_tre_enc_cert(d->sho, tre_id, &enc, &enc_len)) < 0)
		return om_reason(why, wl, rc, "registered Cert_TRE (encryption): %s", om_errname(rc));
	rc = drf_device_add(d->drf, tre_id, st.imsi, r->created, enc, enc_len, st.owner_id, st.sequence);
	free(enc);
	if (rc < 0)
		return om_reason(why, wl, rc, "DRF register: %s", om_errname(rc));
	/* d */
	if ((rc = record(d, r, "active", &st, now)) < 0)
		return om_reason(why, wl, rc, "record: %s", om_errname(rc));
	om_notice("outcome", "tre_id=%s outcome=active imsi=%s previous_sho=%s request_id=%s completion=queued", tre_id,
		  st.imsi, st.current_sho, st.request_id);
	om_failpoint("dpf.outcome");
	return 0;
}

int dpf_outcome(struct dpf *d, const char *tre_id, enum dpf_outcome o, time_t now, char *why, size_t wl)
{
	struct dpf_release r;
	int rc;
	if (!d || !tre_id || (o != DPF_OUTCOME_ACTIVE && o != DPF_OUTCOME_FALLBACK))
		return om_reason(why, wl, OM_EINVAL, "bad arguments");
	const char *name = o == DPF_OUTCOME_ACTIVE ? "active" : "fallback";
	if ((rc = dpf_last_release(d, tre_id, &r)) < 0) {
		om_reason(why, wl, rc, "%s", rc == OM_EDPF_NOT_RELEASED ? "no MCIM released" : om_errname(rc));
		goto out;
	}
	if (o == DPF_OUTCOME_ACTIVE) {
		rc = active(d, tre_id, &r, now, why, wl);
	} else if (!strcmp(r.outcome, "active")) {
		/* the completion may be on its way to the previous SHO: we do not take the device back */
		rc = om_reason(why, wl, OM_EDPF_OUTCOME, "fallback reported after active");
	} else if (!strcmp(r.outcome, "fallback")) {
		rc = 0; /* the same report again */
	} else if ((rc = record(d, &r, "fallback", NULL, now)) < 0) {
		om_reason(why, wl, rc, "record: %s", om_errname(rc));
	} else {
		/* the SHO state stays (the owner may ask again); our subscription stays until the operator cleans up */
		om_notice("outcome", "tre_id=%s outcome=fallback release=%s", tre_id, r.state);
	}
out:
	if (rc < 0)
		om_notice("outcome", "tre_id=%s outcome=%s result=refused code=%s", tre_id, name, om_errname(rc));
	return rc;
}

/* ---- the completion queue ------------------------------------------------------- */

int dpf_completion_next(struct dpf *d, struct dpf_completion *c)
{
	struct om_stmt *st = NULL;
	memset(c, 0, sizeof(*c));
	int rc = om_stmt_prepare(d->store,
				 "SELECT request_id, peer, tre_id, attempts, due FROM dpf_completion"
				 " WHERE state = 'pending' ORDER BY due, created LIMIT 1",
				 &st);
	if (rc == 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW) {
		snprintf(c->request_id, sizeof(c->request_id), "%s", om_stmt_col_text(st, 0));
		snprintf(c->peer, sizeof(c->peer), "%s", om_stmt_col_text(st, 1));
		snprintf(c->tre_id, sizeof(c->tre_id), "%s", om_stmt_col_text(st, 2));
		c->attempts = (unsigned)om_stmt_col_int64(st, 3);
		c->due = om_stmt_col_int64(st, 4);
		rc = 1;
	}
	om_stmt_finalize(st);
	return rc;
}

/* One statement in its own durable transaction. */
static int durable(struct dpf *d, const char *sql, const char *kinds, const char *const *t, const int64_t *n)
{
	int rc = om_store_begin(d->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	if ((rc = exec_binds(d, sql, kinds, t, n)) < 0) {
		om_store_rollback(d->store);
		return rc;
	}
	return om_store_commit(d->store);
}

int dpf_completion_answered(struct dpf *d, const char *request_id, int completed, const char *answer, time_t now)
{
	const char *t[] = { completed ? "done" : "refused", answer ? answer : "", request_id };
	const int64_t n[] = { (int64_t)now };
	return durable(d, "UPDATE dpf_completion SET state = ?1, answer = ?2, updated = ?4 WHERE request_id = ?3",
		       "ttti", t, n);
}

int dpf_completion_retry(struct dpf *d, const char *request_id, const char *why, time_t now)
{
	int64_t wait = DPF_COMPLETION_RETRY_MAX;
	struct om_stmt *st = NULL;
	unsigned attempts = 0;
	int rc = om_stmt_prepare(d->store, "SELECT attempts FROM dpf_completion WHERE request_id = ?1", &st);
	if (rc == 0)
		rc = om_stmt_bind_text(st, 1, request_id);
	if (rc == 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW)
		attempts = (unsigned)om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	if (rc < 0)
		return rc;
	if (attempts < 6)
		wait = (int64_t)DPF_COMPLETION_RETRY_MIN << attempts;
	if (wait > DPF_COMPLETION_RETRY_MAX)
		wait = DPF_COMPLETION_RETRY_MAX;
	const char *t[] = { why ? why : "", request_id };
	const int64_t n[] = { (int64_t)now + wait, (int64_t)now };
	return durable(d,
		       "UPDATE dpf_completion SET attempts = attempts + 1, answer = ?1, due = ?3, updated = ?4"
		       " WHERE request_id = ?2 AND state = 'pending'",
		       "ttii", t, n);
}

int dpf_completion_resume(struct dpf *d, time_t now)
{
	const int64_t n[] = { (int64_t)now };
	int rc = durable(d,
			 "UPDATE dpf_completion SET state = 'pending', due = ?1 WHERE state IN ('pending','refused')",
			 "i", NULL, n);
	return rc < 0 ? rc : dpf_completion_count(d, "pending");
}

int dpf_completion_count(struct dpf *d, const char *state)
{
	struct om_stmt *st = NULL;
	int n = 0;
	int rc = om_stmt_prepare(d->store, "SELECT count(*) FROM dpf_completion WHERE state = ?1", &st);
	if (rc == 0)
		rc = om_stmt_bind_text(st, 1, state);
	if (rc == 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW)
		n = (int)om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	return rc < 0 ? rc : n;
}
