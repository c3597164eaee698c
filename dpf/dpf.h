/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The new SHO's DPF (spec/002 B.2.3.4; spec/004 5.2.2.6.1 steps 1-14), its
 * provisioning decisions without the OMA DM transport (a later step wraps
 * this in SyncML DM over HTTPS):
 *   M2MMobj in  -> the device registered at this SHO with an accepted
 *                  handover, signed with its registered Cert_TRE, nonceA
 *                  of that handover (B.2.3.4 III), platform validated by
 *                  the PVA;
 *   M2MMCIMMobj out -> the MCIM sealed at registration, the M2MMobj's
 *                  nonceB, signed with this SHO's SHO_SIGNING key;
 *   the device's install report -> provisioned, or back to a retry.
 * Each release is recorded (TRE, nonceA, nonceB) in the DPF's own
 * database so that a replayed M2MMobj is refused; a fresh M2MMobj of the
 * same handover supersedes a release still unreported.
 *   the device's outcome (Generic Alert after the attach) -> active at the
 *                  SHO, entered in this operator's DRF register, and the
 *                  completion report queued for the previous SHO's DRF
 *                  (Note Z), which a sender (dpf_sender.h) delivers.
 * docs/dpf.md.
 *
 * Threads: a struct dpf is
 * used by one thread at a time; the daemon serialises its two threads
 * with a mutex.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/err.h>
#include <openmcim/mobj.h>
#include <openmcim/outcome.h>

#include "admin_call.h"
#include "sho_internal.h"
#include "svc_err.h"

#define DPF_REASON_MAX 159
/* A PVA verdict more than this many seconds from the DPF's clock is refused (OM_EDPF_PVA_STALE). */
#define DPF_PVA_VERDICT_SKEW_S 300

struct dpf;

/* The PVA's decision on one M2MMobj (docs/pva.md "Platform validation"). */
struct dpf_pva_verdict {
	int accepted;                     /* 1 accepted, 0 refused */
	char reason[32];                  /* "accepted", or the PVA's one-word refusal reason */
	char detail[DPF_REASON_MAX + 1];  /* the PVA's detail line on a refusal */
	char tre_id[OM_TRE_ID_MAX + 1];
	uint8_t nonce_b[OM_NONCE_LEN];    /* echoed when accepted: binds the answer to this M2MMobj */
	int64_t time;                     /* when the PVA decided (its clock) */
};

/*
 * Ask the PVA about obj. Returns 0 with *v filled (accepted or refused), or
 * OM_EDPF_PVA when no decision could be had, with a reason in why.
 */
typedef int (*dpf_pva_fn)(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why,
			  size_t why_len);

/*
 * The PVA over HTTP (docs/pva.md): POST <url>/validate with the M2MMobj as
 * the body; 10 s for the whole exchange. Only the answer's signed verdict
 * counts (verdict.h), verified with pva_key, the public key of the PVA
 * certificate the DPF is configured with; v holds what it signed. An answer
 * without one, or not signed by that key: OM_EDPF_PVA_SIGNATURE. ctx is a
 * struct dpf_pva_http.
 */
struct dpf_pva_http {
	const char *url;   /* e.g. "http://127.0.0.1:8080" */
	EVP_PKEY *pva_key; /* the PVA's verdict signing key (its OCSP responder certificate's) */
	struct om_https_client *client; /* kept links to the PVA (dpf_pva_http_connect), or NULL: one per call */
};
OM_NODISCARD int dpf_pva_http(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why,
			      size_t why_len);
/* The client of pc, built once, its links kept between calls (issue 14). 0 or OM_ENOMEM with err. */
OM_NODISCARD int dpf_pva_http_connect(struct dpf_pva_http *pc, char *err, size_t err_len);
void dpf_pva_http_close(struct dpf_pva_http *pc);

/* Everything the DPF needs; pointers are borrowed and must outlive the struct dpf. */
struct dpf_config {
	const char *db_path; /* the DPF's record of released MCIMs (SQLite) */
	/* this operator's SHO, reached on its internal socket (sho/sho_internal.h), never through its
	 * database: devices, sealed MCIMs, nonceA, DM verifiers, the state moves */
	const struct om_admin_peer *sho;
	EVP_PKEY *sign_key;  /* SHO_SIGNING key, that of Cert_SHO[i+1] the bootstrap gave the TRE */
	dpf_pva_fn pva;      /* platform validation: dpf_pva_http, or another implementation */
	void *pva_ctx;
	/* this operator's DRF, reached on its admin socket (drf/drf_admin.h), never through its
	 * register's file; NULL: an `active` dpf_outcome is OM_EDPF_CONFIG */
	const struct om_admin_peer *drf;
};

/* Open (creating or migrating the database). Returns 0, OM_EDPF_CONFIG or a store code, reason in why. */
OM_NODISCARD int dpf_open(struct dpf **out, const struct dpf_config *cfg, char *why, size_t why_len);
void dpf_close(struct dpf *d);
/* End of a request on d (under the daemon's lock): no statement left busy (svc/store.h om_store_idle). */
unsigned dpf_idle(struct dpf *d, const char *where);

/*
 * B.2.3.4 steps 5-7 (spec/004 5.2.2.6.1 steps 6-12): decide on one M2MMobj
 * and, when every check passes, write the M2MMCIMMobj into out[0..cap).
 * In this order, every refusal before any write:
 *   TRE_id readable (OM_EDPF_MALFORMED), registered here
 *   (OM_EDPF_UNKNOWN_TRE), handover accepted and not yet provisioned
 *   (OM_EDPF_STATE); signature with the registered Cert_TRE
 *   (OM_EDPF_SIGNATURE); nonceA of the pending handover (OM_EDPF_NONCE_A);
 *   nonceB never seen (OM_EDPF_REPLAY_NONCE_B); the MCIM of this nonceA
 *   not installed yet (OM_EDPF_STATE); the PVA accepts
 *   (OM_EDPF_PVA_REFUSED, the PVA's reason in why) and answers for this
 *   TRE and nonceB (OM_EDPF_PVA).
 * Then, in one durable transaction, a release of this nonceA still
 * `released` (unreported) becomes `superseded` and the new release (TRE,
 * nonceA, nonceB, now) is recorded; the length of the M2MMCIMMobj is
 * returned. Crash point "dpf.released" follows the commit. A refusal is logged with its reason,
 * writes nothing and leaves out zeroed. why may be NULL.
 */
OM_NODISCARD int dpf_m2mmobj(struct dpf *d, const uint8_t *obj, size_t len, time_t now, uint8_t *out, size_t cap,
			     char *why, size_t why_len);

/*
 * The PVA's answer on one M2MMobj, asked before the decision: the daemon
 * asks with none of its locks held, so a slow or stopped PVA holds up only
 * the device it is asked about (issue 14, docs/dpf.md "Threads"). rc is 0
 * with v filled, or the failure with a reason in why.
 */
struct dpf_pva_result {
	int rc;
	struct dpf_pva_verdict v;
	char why[DPF_REASON_MAX + 1];
};

/* Ask the configured PVA about obj (d's PVA function and context are read, nothing else). */
void dpf_pva_ask(const struct dpf *d, const uint8_t *obj, size_t len, struct dpf_pva_result *out);

/*
 * dpf_m2mmobj with the PVA's answer already had (pva not NULL): the same
 * checks in the same order, the answer taken where the PVA would be asked.
 * The verdict's binding (TRE_id, nonceB, time) is checked as always, so an
 * answer about another M2MMobj is refused (OM_EDPF_PVA_BINDING).
 */
OM_NODISCARD int dpf_m2mmobj_with(struct dpf *d, const uint8_t *obj, size_t len, const struct dpf_pva_result *pva,
				  time_t now, uint8_t *out, size_t cap, char *why, size_t why_len);

enum dpf_install {
	DPF_INSTALL_SUCCESS = 1, /* the TRE installed the MCIM (B.2.3.4 step V) */
	DPF_INSTALL_FAILURE = 2, /* it did not: the device may ask again with a fresh nonceB */
};

/*
 * The device's install report for the MCIM released last to tre_id:
 * success marks the device provisioned at the SHO (sho_mark_provisioned);
 * failure closes the release so the same handover (same nonceA, new
 * nonceB) may be provisioned again; the device stays handover_accepted.
 * Repeating the last report is a no-op. Returns 0, OM_EDPF_NOT_RELEASED,
 * OM_EINVAL, an sho.h code or a store code. Crash point "dpf.installed"
 * follows a recorded report.
 */
OM_NODISCARD int dpf_install_status(struct dpf *d, const char *tre_id, enum dpf_install status, time_t now);

/*
 * The device's outcome report (docs/dpf.md "Outcome"): the TRE's signed
 * outcome statement (outcome.h) stmt. Checked first, each with its code:
 * it verifies with the registered Cert_TRE (OM_EDPF_UNKNOWN_TRE,
 * OM_EDPF_OUTCOME_SIGNATURE), names tre_id (OM_EDPF_OUTCOME_TRE), the
 * nonceB of its latest release (OM_EDPF_NOT_RELEASED,
 * OM_EDPF_OUTCOME_NONCE_B) and the IMSI the SHO allocated
 * (OM_EDPF_OUTCOME_IMSI), and a state counter not below the highest seen
 * (OM_EDPF_COUNTER). A refusal changes nothing.
 * ACTIVE, each step idempotent so a repeat changes nothing and completes
 * what a crash left undone: a release still `released` is taken as
 * installed (dpf_install_status SUCCESS); the SHO marks the device active;
 * the device enters this operator's DRF register (its new IMSI, its
 * TRE_ENCRYPTION certificate, its owner, sequence 0, since the release);
 * then, in one durable transaction, the release's outcome, the counter and
 * the completion report for the previous SHO (request id and SHO id from
 * the SHO's record, the statement itself) are recorded. Crash point
 * "dpf.outcome" follows.
 * FALLBACK: recorded on the release with the counter, nothing else changes.
 * Returns 0, OM_EINVAL, the codes above, OM_EDPF_OUTCOME (fallback after
 * active, or active after an install failure), OM_EDPF_CONFIG (no DRF
 * register), OM_EDPF_UNAVAILABLE (the DRF did not answer in time: nothing
 * of ours recorded, the device's repeat completes it), an sho.h, drf.h or
 * store code, with the reason in why (may be
 * NULL). *outcome (may be NULL) gets the statement's om_outcome_kind on
 * success, 0 otherwise. Each refusal is logged.
 */
OM_NODISCARD int dpf_outcome(struct dpf *d, const char *tre_id, const uint8_t *stmt, size_t stmt_len, time_t now,
			     int *outcome, char *why, size_t why_len);

/* How many of tre_id's releases are in state (released, installed, failed, superseded), for status. 0 or a store code. */
OM_NODISCARD int dpf_releases_in(struct dpf *d, const char *tre_id, const char *state, int64_t *n);
/*
 * The devices with installed releases, in TRE_id order after `after` ("" from the start), at most
 * limit: fn(ctx, tre_id, how many installed) for each. Returns the rows given, or a store code.
 */
OM_NODISCARD int dpf_installed_page(struct dpf *d, const char *after, unsigned limit,
				    void (*fn)(void *ctx, const char *tre_id, int64_t n), void *ctx);

/* ---- the completion reports (Note Z), queued in the DPF's record ------------- */

#define DPF_COMPLETION_RETRY_MIN 1  /* seconds before the first retry */
#define DPF_COMPLETION_RETRY_MAX 60 /* the doubling stops here */

struct dpf_completion {
	char request_id[OM_HANDOVER_ID_MAX + 1];
	char peer[OM_HANDOVER_SHO_ID_MAX + 1]; /* the previous SHO: its [peer.<SHO_ID>] */
	char tre_id[OM_TRE_ID_MAX + 1];
	unsigned attempts;
	int64_t due;
	uint8_t statement[OM_OUTCOME_MAX]; /* the TRE's outcome statement, for the DRF */
	size_t statement_len;
};

/* The pending report due first (maybe in the future): 1 with *c, 0 when none is pending, or a store code. */
OM_NODISCARD int dpf_completion_next(struct dpf *d, struct dpf_completion *c);

/*
 * The DRF answered: completed (done for good) or refused (a 4xx with its
 * reason in answer: not retried until the next start). 0 or a store code.
 */
OM_NODISCARD int dpf_completion_answered(struct dpf *d, const char *request_id, int completed, const char *answer,
					 time_t now);

/* No answer: one more attempt, due after 1 s doubling up to 60 s. 0 or a store code. */
OM_NODISCARD int dpf_completion_retry(struct dpf *d, const char *request_id, const char *why, time_t now);

/* At start: every report not done (pending or refused) is pending and due now. The count, or a store code. */
OM_NODISCARD int dpf_completion_resume(struct dpf *d, time_t now);

/* Reports in state ("pending", "done", "refused"). The count, or a store code. */
OM_NODISCARD int dpf_completion_count(struct dpf *d, const char *state);
