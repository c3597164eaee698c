/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA (spec/004 5.2.2.5.8; spec/002 B.2.2.1: the TRE supplier is the
 * PVA): it knows every TRE certificate its CA issued (imported from the
 * factory's files), answers their status over OCSP (RFC 6960), and
 * validates a TRE's signed platform report (M2MMobj, B.2.3.4) against the
 * reference measurements of its model and firmware. docs/pva.md.
 *
 * Threads: every function may be called from any thread; the store is
 * guarded by the handle's mutex.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include <openmcim/bootstrap.h>
#include <openmcim/mobj.h>
#include <openmcim/pki.h>
#include <openmcim/verdict.h>

#include "store.h"
#include "svc_err.h"

#define PVA_NEXT_UPDATE_DEFAULT 3600u /* seconds from thisUpdate to nextUpdate */
#define PVA_MODEL_MAX 63
#define PVA_FIRMWARE_MAX 31
#define PVA_COMPONENT_MAX 63

struct pva_config {
	const char *db_path;
	const char *ca_cert;        /* the PVA's ROOT_CA (PEM) */
	const char *responder_cert; /* OCSP_RESPONDER certificate issued by that CA (PEM) */
	const char *responder_key;  /* its private key (PKCS#8 PEM) */
	unsigned next_update_s;     /* 0: PVA_NEXT_UPDATE_DEFAULT */
};

/* The PVA's statements, prepared once at open (pva_store.c). */
enum pva_sql {
	PVA_SQL_TRE_ADD,
	PVA_SQL_CERT_ADD,
	PVA_SQL_TRE_GET,
	PVA_SQL_SERIAL_STATUS,
	PVA_SQL_TRE_REVOKE,
	PVA_SQL_TRE_EXISTS,
	PVA_SQL_REF_ADD,
	PVA_SQL_REF_GET,
	PVA_SQL_REF_LIST,
	PVA_SQL_REVOKED_PAGE, /* issue 15: pva-admin revocation list */
	PVA_SQL_REF_PAGE,     /* issue 15: pva-admin reference list */
	PVA_SQL_TRE_SET_AK,
	PVA_SQL_PCR_ADD,
	PVA_SQL_PCR_GET,
	PVA_SQL_PCR_LIST,
	PVA_SQL_N
};

struct pva {
	pthread_mutex_t lock;
	struct om_store *store;
	struct om_stmt *stmt[PVA_SQL_N];
	X509 *ca;
	X509_STORE *trust;
	X509 *rcert;
	EVP_PKEY *rkey;
	unsigned next_update_s;
};

/*
 * Open the database (schema created or migrated) and load the CA and the
 * responder's pair; the responder certificate must verify under the CA as
 * OCSP_RESPONDER and match its key. NULL with a one-line reason on error.
 */
struct pva *pva_open(const struct pva_config *c, char *err, size_t err_len);
void pva_close(struct pva *p);
/* End of a request (takes p->lock): no statement left busy (svc/store.h om_store_idle). */
unsigned pva_idle(struct pva *p, const char *where);

/* ---- import (import.c) --------------------------------------------------- */

/*
 * Import dir/devices.csv and dir/reference-measurements.csv (docs/factory.md)
 * in one durable transaction: every certificate must verify under the PVA
 * CA with its profile and CN=tre_id. Any bad row refuses both files, with
 * the file and line in why. Returns 0 (counts in *devices, *refs),
 * OM_EPVA_IMPORT, OM_EPVA_CERT, OM_EPVA_EXISTS, OM_EPVA_REFERENCE, OM_EIO or
 * a storage code.
 */
int pva_import_dir(struct pva *p, const char *dir, long *devices, long *refs, char *why, size_t why_len);

/* ---- OCSP (ocsp.c) ------------------------------------------------------- */

/*
 * The DER OCSPResponse for the DER OCSPRequest in req (RFC 6960): for each
 * CertID, good (imported, not revoked), revoked (time and reason), or
 * unknown (another issuer, or a serial the PVA never imported); the nonce
 * echoed; signed by the responder, its certificate included. A malformed
 * request gets a malformedRequest response. *out is freed with
 * OPENSSL_free(). Returns 0 or OM_ENOMEM / OM_ECRYPTO (internal failure:
 * then the caller answers HTTP 500). *statuses counts per status for logs.
 */
struct pva_ocsp_counts {
	int malformed;
	unsigned good, revoked, unknown;
};
int pva_ocsp_answer(struct pva *p, const uint8_t *req, size_t len, uint8_t **out, size_t *out_len,
		    struct pva_ocsp_counts *counts);

/* ---- platform validation (validate.c) ------------------------------------ */

struct pva_verdict {
	int rc;                           /* 0 accepted, else the om_err code of the refusal */
	const char *reason;               /* one word: accepted, malformed, unknown-tre, revoked, ... */
	char detail[160];                 /* one line for the log and the answer */
	char tre_id[OM_TRE_ID_MAX + 1];   /* "" if not even that could be read */
	char model[PVA_MODEL_MAX + 1];
	char firmware[PVA_FIRMWARE_MAX + 1];
	uint8_t nonce_b[OM_NONCE_LEN];    /* valid when rc == 0 */
	int quoted;                       /* 1: a TPM TRE, whose quote was checked (accepted or not) */
};

/* Validate an M2MMobj; fills v and returns v->rc. Logs one line. */
int pva_validate(struct pva *p, const uint8_t *obj, size_t len, struct pva_verdict *v);

#define PVA_VERDICT_MAX 512 /* a signed verdict: at most 9 + 1+63 + 16 + 1 + 1+31 + 1+159 + 8 + 256 bytes */

/*
 * v as the PVA's signed verdict (verdict.h) at now, signed with the
 * responder key, into out. Returns its length, or a negative code of
 * om_pva_verdict_build().
 */
int pva_verdict_sign(struct pva *p, const struct pva_verdict *v, time_t now, uint8_t *out, size_t cap);

/* ---- helpers (pva.c) ------------------------------------------------------ */

/* The largest DER certificate or OCSP request the PVA decodes from base64 (GET path, import rows). */
#define PVA_B64_MAX (3u << 18)

/* A certificate's serial number as uppercase hex without leading zeros. 0 or OM_ECRYPTO. */
int pva_serial_hex(const ASN1_INTEGER *serial, char out[static 64]);

/* 1 when s is 1..max characters of [A-Za-z0-9._-]. */
int pva_name_ok(const char *s, size_t max);

/* RFC 5280 CRLReason names: code, or -1. */
int pva_reason_parse(const char *name);
const char *pva_reason_name(int code);
