/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the DRF: the handle, the transfer-code primitives, small helpers. Not a public API. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/pki.h>

#include "drf.h"
#include "store.h"

#define DRF_SALT_LEN 16
#define DRF_HASH_LEN 32
#define DRF_CODE_CHARS OM_HANDOVER_CODE_CHARS /* Crockford base32 characters: 80 bits */

/* The DRF's statements, prepared once at open (drf_store.c). */
enum drf_sql {
	DRF_SQL_DEV_ADD,
	DRF_SQL_DEV_SAME,
	DRF_SQL_OP_ADD,
	DRF_SQL_OP_SAME,
	DRF_SQL_OP_CERT,
	DRF_SQL_DEV_LOCK,
	DRF_SQL_DEV_OURS,
	DRF_SQL_CODE_ADD,
	DRF_SQL_DEV_STATUS,
	DRF_SQL_CODES_UNUSED,
	DRF_SQL_HANDOVERS_OF,
	DRF_SQL_PENDING,
	DRF_SQL_HO_FIND,
	DRF_SQL_DEV_CHECK,
	DRF_SQL_CODES_OF,
	DRF_SQL_CODE_USE,
	DRF_SQL_DEV_SET_SEQ,
	DRF_SQL_HO_ADD,
	DRF_SQL_COMPLETION,
	DRF_SQL_HO_COMPLETE,
	DRF_SQL_DEV_RELEASE,
	DRF_SQL_REMOVAL_ADD,
	DRF_SQL_REMOVAL_DUE,
	DRF_SQL_REMOVAL_DONE,
	DRF_SQL_REMOVAL_RETRY,
	DRF_SQL_REMOVAL_PENDING,
	DRF_SQL_SUSPEND_DUE,
	DRF_SQL_SUSPEND_DONE,
	DRF_SQL_SUSPEND_RETRY,
	DRF_SQL_SUSPEND_PENDING,
	DRF_SQL_PUSH_ONE,
	DRF_SQL_PUSH_ALL,
	DRF_SQL_DEV_RETURN_GET,
	DRF_SQL_DEV_RETURN,
	DRF_SQL_STAY_ADD,
	DRF_SQL_STAY_LEAVE,
	DRF_SQL_CODES_VOID,
	DRF_SQL_REMOVAL_OF,
	DRF_SQL_STAYS_OF,
	DRF_SQL_DEV_OWNER,
	DRF_SQL_CODES_REVOKE,
	DRF_SQL_DEPARTURES,
	DRF_SQL_IMSI_OTHER,
	DRF_SQL_REMOVAL_STATE,
	DRF_SQL_SELF_HANDOVER,
	DRF_SQL_STAY_IMSI,
	DRF_SQL_DEV_PAGE,
	DRF_SQL_DEV_BUSY,
	DRF_SQL_DEL_CODES,
	DRF_SQL_DEL_STAYS,
	DRF_SQL_DEL_HANDOVERS,
	DRF_SQL_DEL_REMOVALS,
	DRF_SQL_DEL_DEVICE,
	DRF_SQL_OP_PAGE,   /* issue 15: drf-admin operator list, change, delete (drf/operators.c) */
	DRF_SQL_OP_SENT,
	DRF_SQL_OP_CHANGE,
	DRF_SQL_OP_DELETE,
	DRF_SQL_N
};

struct drf {
	struct om_store *db;
	struct om_stmt *stmt[DRF_SQL_N];
	EVP_PKEY *sign_key;
	X509 *sign_cert;
	/* our SHO_id, the CN of sign_cert ("" without one): a handover we sent ourselves (we are our
	 * devices' RO and their SHO, docs/drf.md "Our own devices") */
	char self_id[OM_NAME_MAX_LEN + 1];
	int64_t freshness_s, grace_s;
	char *hss_socket;
	int hss_timeout_ms;
	int64_t removal_retry_min_s, removal_retry_max_s;
	char *status_file;      /* the stapled status of sign_cert (drf_signer_status) */
	uint8_t *issuer_der;    /* the DER of its issuer */
	size_t issuer_der_len;
	int64_t status_max_age_s;
};

/*
 * The current stapled status of our signing certificate, read from its
 * file and checked as a TRE checks it (om_cert_status_check at now): a
 * stale or revoked one is never sent. *out is malloc'd. Returns 0, OM_EIO,
 * OM_ENOMEM or an OM_EPKI_STATUS_* code.
 */
OM_NODISCARD int drf_signer_status(const struct drf *d, int64_t now, uint8_t **out, size_t *out_len);

/* A certificate of profile whose CN is cn (DER). 0 or OM_EDRF_CERT. */
int drf_cert_for(const uint8_t *der, size_t len, enum om_cert_profile profile, const char *cn);

/* 1..max characters from lo to '~'. */
int drf_text_ok(const char *s, size_t max, char lo);

/* 6..15 decimal digits. */
int drf_imsi_ok(const char *imsi);

/*
 * Inside the caller's transaction: queue imsi's removal (ev DRF_RM_QUEUE_MOVED,
 * due at due; or DRF_RM_QUEUE_FELL_BACK, its suspension due at now too) by
 * drf_state.h's removal table. 1 queued, 0 queued before (a repeat, nothing
 * written), OM_EDRF_STATE, or a store code.
 */
int drf_removal_queue(struct drf *d, const char *imsi, const char *tre_id, int64_t due, int ev, int64_t now);

/*
 * Inside the caller's transaction: the HSS's outcome for imsi as a move of
 * the removal table: DRF_RM_SUSPENDED (suspension set), DRF_RM_REMOVED, or
 * DRF_RM_RETRY of the suspension (suspension set: suspend_due = next_due) or
 * of the removal (due = next_due), with error. 0, OM_EDRF_STATE (no such
 * move from the row's state, nothing written), or a store code.
 */
int drf_removal_apply(struct drf *d, const char *imsi, int ev, int suspension, int64_t now, int64_t next_due,
		      const char *error);

/* Fresh code text (XXXX-XXXX-XXXX-XXXX) from 80 CSPRNG bits. Returns 0 or OM_ERANDOM. */
OM_NODISCARD int drf_code_generate(char code[static DRF_CODE_TEXT_LEN + 1]);

/*
 * What the DRF stores of a code: SHA-256("openmcim drf transfer code v2" 0 |
 * salt | proof), proof = om_handover_code_proof(TRE_id, code), the value a
 * handover request carries. 0 or OM_ECRYPTO.
 */
OM_NODISCARD int drf_code_hash(const uint8_t salt[static DRF_SALT_LEN],
			       const uint8_t proof[static OM_HANDOVER_PROOF_LEN], uint8_t out[static DRF_HASH_LEN]);

/*
 * Open the register conf names (a SQLite path or a postgresql:// URI),
 * bring its schema up to date and prepare d->stmt[]. 0 or a code with err.
 */
/* The schema steps and the statement table (tests/query_plan_test.c reads each statement's plan). */
const struct om_store_schema *drf_store_schema(void);

OM_NODISCARD int drf_store_open(struct drf *d, const char *conf, char *err, size_t err_len);
/* Finalize d->stmt[] and close the store. */
void drf_store_close(struct drf *d);
