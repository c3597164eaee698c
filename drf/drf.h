/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF of an operator (spec/002 B.2.3.2 step 2, B.2.3.3): its register of
 * devices (TRE_id -> current subscription, Cert_TRE for encryption, the
 * bootstrap sequence last sent, a contract lock, the owner), the transfer
 * codes that carry the owner's consent, the known peer operators, and the
 * handover: a signed request from the new SHO in, the OMA CP bootstrap
 * signed with our SHO_SIGNING key out. Note Z: the old subscription is
 * removed from our HSS a grace period after the new SHO reports success.
 * docs/drf.md has the schema, the checks in order and the decisions.
 *
 * Time is a parameter (now, seconds since the epoch) so tests need not
 * sleep. A struct drf belongs to one thread at a time.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/err.h>
#include <openmcim/handover.h>

#include "svc_err.h"

#define DRF_FRESHNESS_DEFAULT 300            /* seconds a request stays fresh, either way */
#define DRF_GRACE_DEFAULT (7 * 24 * 3600)    /* Note Z: old subscription kept this long */
#define DRF_CODE_VALID_DEFAULT (30 * 24 * 3600)
#define DRF_CODE_TEXT_LEN 19                 /* XXXX-XXXX-XXXX-XXXX: 16 Crockford base32 = 80 bits */
#define DRF_IMSI_MAX 15
#define DRF_HSS_TIMEOUT_DEFAULT 5000          /* ms: one removal's whole exchange with the HSS */
#define DRF_REMOVAL_RETRY_MIN_DEFAULT 60      /* seconds before a failed removal is tried again ... */
#define DRF_REMOVAL_RETRY_MAX_DEFAULT 3600    /* ... doubling up to this */
#define DRF_OWNER_MAX 63
#define DRF_STATUS_MAX_AGE_DEFAULT 86400     /* s: the oldest stapled status the DRF still sends */

struct drf;

struct drf_config {
	const char *db_path;    /* SQLite file, created if missing */
	EVP_PKEY *sign_key;     /* our SHO_SIGNING key (SHO[i]); NULL: admin only, no handovers */
	X509 *sign_cert;        /* its certificate: the trust root our devices pin */
	int64_t freshness_s;    /* 0: DRF_FRESHNESS_DEFAULT */
	int64_t grace_s;        /* 0: DRF_GRACE_DEFAULT; < 0 invalid */
	const char *hss_socket; /* our HSS's provisioning socket (docs/hss.md); NULL: no removals */
	int hss_timeout_ms;     /* 0: DRF_HSS_TIMEOUT_DEFAULT; < 0 invalid */
	int64_t removal_retry_min_s, removal_retry_max_s; /* 0: the defaults; < 0 or max < min invalid */
	/*
	 * Stapling (spec/000 5.2.2.3.2 step 7, docs/drf.md "Certificate status"):
	 * the file holding a DER OCSP response about sign_cert, which the
	 * operator refreshes from its CA's responder, and that CA's certificate
	 * (referenced). NULL: bootstraps carry no status.
	 */
	const char *signer_status_file;
	X509 *signer_issuer;
	int64_t signer_status_max_age_s; /* 0: DRF_STATUS_MAX_AGE_DEFAULT */
};

/*
 * Open the register (schema migrated in one durable transaction). The key
 * and certificate are referenced, not copied: they must outlive the DRF.
 * Returns 0, or OM_EDRF_CONFIG (key does not match the certificate, or the
 * certificate is not SHO_SIGNING/ROOT_CA), OM_ESTORE*, OM_ENOMEM, with a
 * one-line reason in err.
 */
OM_NODISCARD int drf_open(struct drf **out, const struct drf_config *cfg, char *err, size_t err_len);
void drf_close(struct drf *d);
/* End of a request on d (under the daemon's lock): no statement left busy (svc/store.h om_store_idle). */
unsigned drf_idle(struct drf *d, const char *where);

/* ---- the register (drf-admin) ------------------------------------------- */

/*
 * Register a device we serve (from the SHO's own registrations): its
 * current IMSI since `since`, its TRE_ENCRYPTION certificate (DER, CN =
 * TRE_id), its TRE_SIGNING certificate (DER, CN = TRE_id; NULL: none, and
 * then no completion for it is ever accepted, issue 12), its owner, and the
 * last bootstrap sequence it is known to have accepted (0 if none). Adding the same row again is a no-op (0).
 * A device that left us (a completed handover) comes back as a new stay
 * (issue 20, docs/drf.md "Round trips"): its certificates must be the ones on
 * record (OM_EDRF_CERT), and an IMSI whose removal is pending is refused
 * (OM_EDRF_EXISTS); a different row for a device that is ours is OM_EDRF_EXISTS.
 * Returns 0, OM_EDRF_VALUE, OM_EDRF_CERT, OM_EDRF_EXISTS, OM_ESTORE*.
 */
OM_NODISCARD int drf_device_add(struct drf *d, const char *tre_id, const char *imsi, int64_t since,
				const uint8_t *enc_cert_der, size_t enc_cert_len, const uint8_t *sign_cert_der,
				size_t sign_cert_len, const char *owner, uint32_t sequence);

/*
 * drf_device_add for a device that arrives by a change of operator, with
 * the state counter of the TRE's outcome statement that brought it (the DPF
 * checked it): a later completion's statement must not show a lower one
 * (OM_EDRF_COUNTER), even at a DRF that never saw the device before. On a
 * return the register keeps the higher of the two. Same returns.
 */
OM_NODISCARD int drf_device_arrive(struct drf *d, const char *tre_id, const char *imsi, int64_t since,
				   const uint8_t *enc_cert_der, size_t enc_cert_len, const uint8_t *sign_cert_der,
				   size_t sign_cert_len, const char *owner, uint32_t sequence, uint64_t counter);

/* Contract lock until `until` (0 lifts it). Returns 0, OM_EDRF_DEVICE, OM_EDRF_VALUE, OM_ESTORE*. */
OM_NODISCARD int drf_device_lock(struct drf *d, const char *tre_id, int64_t until);

/*
 * Know a peer operator: its SHO id and SHO_SIGNING certificate (DER, CN =
 * sho_id), the key its handover requests are verified with and the
 * Cert_SHO[i+1] its bootstraps must carry. The same row again is a no-op.
 * Returns 0, OM_EDRF_VALUE, OM_EDRF_CERT, OM_EDRF_EXISTS, OM_ESTORE*.
 */
OM_NODISCARD int drf_operator_add(struct drf *d, const char *sho_id, const uint8_t *cert_der, size_t cert_len,
				  int64_t now);

/* One peer operator as the register holds it (drf-admin operator list, issue 15). */
struct drf_operator {
	char sho_id[OM_HANDOVER_SHO_ID_MAX + 1];
	int64_t added;                /* when added, or when its certificate last changed */
	char cert_sha256[65];         /* SHA-256 of its SHO_SIGNING certificate (DER), hex */
	int sent;                     /* 1: the register keeps a handover request of it */
};
typedef void (*drf_operator_fn)(void *ctx, const struct drf_operator *o);

/* The operators in sho_id order after `after` ("" from the start), at most max. How many, or OM_ESTORE*. */
OM_NODISCARD int drf_operator_page(struct drf *d, const char *after, unsigned max, drf_operator_fn fn, void *ctx);

/*
 * A known operator's new SHO_SIGNING certificate (its key rotated), checked as
 * drf_operator_add checks one: the next handover request of it verifies with
 * this one only. Returns 0, OM_EDRF_VALUE, OM_EDRF_CERT, OM_EDRF_OPERATOR (not
 * known), OM_ESTORE*.
 */
OM_NODISCARD int drf_operator_change(struct drf *d, const char *sho_id, const uint8_t *cert_der, size_t cert_len,
				     int64_t now);

/*
 * Forget an operator. Refused with OM_EDRF_STATE, nothing changed, when the
 * register keeps a handover it sent (the history names it: change its
 * certificate instead); OM_EDRF_OPERATOR when not known. 0 or OM_ESTORE*.
 */
OM_NODISCARD int drf_operator_delete(struct drf *d, const char *sho_id);

/*
 * Issue a transfer code for one device we serve, valid valid_s seconds
 * (0: DRF_CODE_VALID_DEFAULT). The code (80 random bits as
 * XXXX-XXXX-XXXX-XXXX) is written to code and exists nowhere else: only a
 * salted hash is stored. A device has at most one unused code: the new one
 * revokes (deletes) the device's unused codes, expired or not, in the same
 * transaction (docs/drf.md "Transfer codes"). Returns 0, OM_EDRF_DEVICE,
 * OM_EDRF_NOT_OURS, OM_EDRF_VALUE, OM_ERANDOM, OM_ESTORE*.
 */
OM_NODISCARD int drf_transfer_code_issue(struct drf *d, const char *tre_id, int64_t now, int64_t valid_s,
					 char code[static DRF_CODE_TEXT_LEN + 1]);
/* The same, only while the register names owner as the device's owner (else OM_EDRF_OWNER, nothing issued). */
OM_NODISCARD int drf_transfer_code_issue_for(struct drf *d, const char *tre_id, const char *owner, int64_t now,
					     int64_t valid_s, char code[static DRF_CODE_TEXT_LEN + 1]);

/*
 * The device's owner is now owner (a resale at the registration service,
 * docs/decisions.md "Resale"): the register names the new owner and every
 * unused transfer code of the device is revoked (deleted), so a code the
 * seller got before the sale moves nothing after it. The same owner again
 * changes nothing. *revoked (may be NULL): the codes revoked. Returns 0,
 * OM_EDRF_DEVICE, OM_EDRF_VALUE, OM_ESTORE*.
 */
OM_NODISCARD int drf_device_owner(struct drf *d, const char *tre_id, const char *owner, unsigned *revoked);

struct drf_device_status {
	char tre_id[OM_TRE_ID_MAX + 1];
	char imsi[DRF_IMSI_MAX + 1];
	char owner[DRF_OWNER_MAX + 1];
	int64_t since, lock_until;
	uint32_t sequence;       /* last bootstrap sequence sent (or known accepted) */
	int ours;                /* 0 once a handover completed */
	unsigned codes_unused;   /* transfer codes neither used nor expired at now */
	unsigned handovers;      /* handovers accepted for it, in every stay */
	unsigned stay;           /* 1 for its first stay with us, + 1 each time it came back (issue 20) */
};

/* Returns 0, OM_EDRF_DEVICE, OM_ESTORE*. */
OM_NODISCARD int drf_device_status(struct drf *d, const char *tre_id, int64_t now, struct drf_device_status *st);

/*
 * The register in TRE_id order: fn for each of at most max devices after
 * the TRE_id after ("" from the start; codes_unused and handovers are not
 * counted here). Returns how many, or OM_ESTORE*.
 */
typedef void (*drf_device_fn)(void *ctx, const struct drf_device_status *s);
OM_NODISCARD int drf_device_page(struct drf *d, const char *after, unsigned max, drf_device_fn fn, void *ctx);

/*
 * Delete a device and everything the register holds of it (its codes,
 * stays, handovers, done removals), in one durable transaction: an
 * operator's decommissioning (drf-admin device delete). Refused with
 * OM_EDRF_STATE, nothing changed, while a handover of it is under way (the
 * device still ours, a handover accepted in its current stay: a push or a
 * completion to come) or a removal of one of its IMSIs is not done (the HSS
 * still holds that subscription). Returns 0, OM_EDRF_DEVICE, OM_EDRF_STATE,
 * OM_ESTORE*.
 */
OM_NODISCARD int drf_device_delete(struct drf *d, const char *tre_id);

/* One stay of a device with us, from its register entry to the handover that took it away. */
struct drf_stay {
	unsigned n;              /* 1, 2, ... */
	char imsi[DRF_IMSI_MAX + 1];
	char owner[DRF_OWNER_MAX + 1];
	int64_t since;
	uint32_t sequence;       /* the bootstrap sequence it came with (0: not known) */
	int64_t left;            /* 0: the current stay (or it never left) */
	char left_to[OM_HANDOVER_SHO_ID_MAX + 1];
	char left_request[OM_HANDOVER_ID_MAX + 1];
};
typedef void (*drf_stay_fn)(void *ctx, const struct drf_stay *s);

/* Call fn for each stay of tre_id, the first first. Returns their number (0: unknown device) or OM_ESTORE*. */
OM_NODISCARD int drf_device_history(struct drf *d, const char *tre_id, drf_stay_fn fn, void *ctx);

/*
 * The stays that ended (the device moved on) after the cursor (left, tre_id,
 * n), in that order, at most limit, each as a drf_stay (tre_id into
 * tre_id; n, imsi, left, left_to, left_request set): what the operator's
 * registration service shows its owners as released (issue 16,
 * docs/owner.md). Returns how many or OM_ESTORE*.
 */
#define DRF_DEPARTURES_PAGE 500
typedef void (*drf_departure_fn)(void *ctx, const char *tre_id, const struct drf_stay *s);
OM_NODISCARD int drf_departures(struct drf *d, int64_t after_left, const char *after_tre_id, unsigned after_n,
				unsigned limit, drf_departure_fn fn, void *ctx);

/* A bootstrap built and waiting for delivery (handover state accepted). */
struct drf_pending {
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	char request_id[OM_HANDOVER_ID_MAX + 1];
	char tre_id[OM_TRE_ID_MAX + 1];
	uint32_t sequence;
	int64_t accepted;
	size_t bootstrap_len;
};
typedef void (*drf_pending_fn)(void *ctx, const struct drf_pending *p);

/* Call fn for each pending bootstrap, oldest first. Returns their number or OM_ESTORE*. */
OM_NODISCARD int drf_pending_list(struct drf *d, drf_pending_fn fn, void *ctx);

/* ---- handover (B.2.3.2 step 2) ------------------------------------------ */

/*
 * Process a signed handover request received at now. Checks, in order:
 * sender known (OM_EDRF_OPERATOR), signature with its key (om_handover_verify
 * codes), a retry of a request already accepted (same sender and request id:
 * the stored bootstrap again, nothing consumed; another TRE_id is
 * OM_EDRF_REQUEST_ID), Cert_SHO[i+1] is the sender's registered certificate
 * (OM_EDRF_CERT), device known (OM_EDRF_DEVICE) and ours (OM_EDRF_NOT_OURS),
 * no contract lock at now (OM_EDRF_LOCKED), transfer code (OM_EDRF_CODE,
 * OM_EDRF_CODE_USED, OM_EDRF_CODE_EXPIRED), created within the freshness
 * window (OM_EDRF_STALE). Then in one durable transaction: the code is
 * marked used, the next sequence assigned, the bootstrap built and signed
 * with our key, and the handover recorded as accepted with it.
 * On success *bootstrap (malloc'd XML, the caller frees it) and *sequence.
 * Every refusal is logged with its reason and changes nothing.
 */
OM_NODISCARD int drf_handover(struct drf *d, const uint8_t *req, size_t req_len, int64_t now, uint8_t **bootstrap,
			      size_t *bootstrap_len, uint32_t *sequence);
/* drf_handover, also writing the request's id on success (the key the delivery queue reads the handover by). */
OM_NODISCARD int drf_handover_id(struct drf *d, const uint8_t *req, size_t req_len, int64_t now, uint8_t **bootstrap,
				 size_t *bootstrap_len, uint32_t *sequence, char request_id[static OM_HANDOVER_ID_MAX + 1]);

/*
 * The new SHO reports that the device attached with its MCIM (Note Z),
 * carrying the TRE's signed outcome statement (outcome.h, issue 12): only
 * the TRE knows, so nothing is released on the new SHO's word. The
 * statement must verify with the device's TRE_SIGNING certificate on
 * record (OM_EDRF_OUTCOME), name this device, the bootstrap sequence of
 * this handover and a time not before its acceptance (less
 * DRF_OUTCOME_SKEW), and an IMSI that is not ours (OM_EDRF_OUTCOME_BINDING),
 * say `active` (OM_EDRF_OUTCOME_FALLBACK), with a state counter not below
 * the highest this device has shown us (OM_EDRF_COUNTER). Then the device is
 * no longer ours, its counter is kept, and the removal of its old
 * subscription from our HSS is scheduled at now + grace. Reporting again
 * (with a valid statement) is a no-op (0). Every refusal is logged and
 * changes nothing. Returns 0, OM_EDRF_STATE (no such accepted handover from
 * that sender), the codes above, OM_ESTORE*.
 */
#define DRF_OUTCOME_SKEW 300 /* seconds a device's clock may run behind ours */
OM_NODISCARD int drf_handover_completed(struct drf *d, const char *sender, const char *request_id,
					const uint8_t *statement, size_t statement_len, int64_t now);

/*
 * Remove every old subscription due at now (its grace period ended, or its
 * retry is due) through the HSS provisioning socket ("delete IMSI", at most
 * hss_timeout_ms each). Each removal stands alone: "ok" or
 * OM_EHSS_NOT_FOUND (already gone) marks it done; anything else (the HSS
 * unreachable, no answer in time, a refusal) is logged with its code, counted
 * in attempts and tried again after retry_min doubling up to retry_max, and
 * the others go on. lock (may be NULL) is held around each use of d and
 * released during the HSS calls. Before the removals, the same for every
 * fell-back subscription still to suspend ("suspend IMSI", issue 20: the
 * SHO could not when the device fell back); OM_EHSS_NOT_FOUND is done there
 * too. Returns the number of removals marked done, or OM_EDRF_CONFIG (no
 * socket configured), OM_ESTORE* (the register failed: the run stops, the
 * rest stay due).
 */
OM_NODISCARD int drf_removals_run(struct drf *d, pthread_mutex_t *lock, int64_t now);

/*
 * Issue 20: a device fell back instead of attaching with our new
 * subscription (its TRE signed it, our DPF checked it): queue that IMSI's
 * removal from our HSS at now + grace, as Note Z does for a device that
 * left, and its suspension at once: the SHO suspends it when its HSS
 * answers, and when it does not (its network may be what the device could
 * not reach) the suspension waits here, durably, retried by
 * drf_removals_run until the HSS answers. The device need not be in the
 * register; the named device's own current IMSI is refused (OM_EDRF_EXISTS),
 * and so is an IMSI that is another device's: the current subscription of
 * another device of ours, or a removal queued for another device
 * (OM_EDRF_IMSI_OTHER). Again is a no-op. Returns 0, OM_EDRF_VALUE,
 * OM_EDRF_EXISTS, OM_EDRF_IMSI_OTHER, OM_ESTORE*.
 */
OM_NODISCARD int drf_fallback_removal(struct drf *d, const char *tre_id, const char *imsi, int64_t now);

/* Fell-back subscriptions whose suspension is still to do (issue 20). The count or OM_ESTORE*. */
OM_NODISCARD int drf_suspensions_pending(struct drf *d);

/* Removals scheduled and not yet done (for status and tests). Returns the count or OM_ESTORE*. */
OM_NODISCARD int drf_removals_due(struct drf *d, int64_t now, int *not_yet_due);
