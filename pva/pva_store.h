/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's tables: imported TREs with their two certificates and
 * revocation state, serial numbers for OCSP, and reference measurements per
 * model and firmware. The caller holds p->lock (and a transaction for
 * writes).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pva.h"

struct pva_tre {
	char tre_id[OM_TRE_ID_MAX + 1];
	char model[PVA_MODEL_MAX + 1];
	char firmware[PVA_FIRMWARE_MAX + 1];
	uint8_t *sign_der; /* malloc'd; pva_tre_clear() */
	size_t sign_len;
	uint8_t *ak_der;   /* the TPM attestation key's certificate, or NULL (not a TPM TRE); malloc'd */
	size_t ak_len;
	char sign_serial[64], enc_serial[64];
	int revoked;
	int64_t revoked_at;
	int reason;
};

OM_NODISCARD int pva_store_migrate(struct om_store *s);

/* Prepare p->stmt[] once on p->store (after the migration); err names a failing statement. */
OM_NODISCARD int pva_store_prepare(struct pva *p, char *err, size_t err_len);
/* Finalize p->stmt[] (before closing the store). */
void pva_store_finalize(struct pva *p);

/* OM_EPVA_EXISTS when the TRE or a serial is already there. */
OM_NODISCARD int pva_store_add_tre(struct pva *p, const char *tre_id, const char *model, const char *firmware,
				   const uint8_t *sign_der, size_t sign_len, const uint8_t *enc_der, size_t enc_len,
				   const char *sign_serial, const char *enc_serial);

/* 0 or OM_EPVA_NOT_FOUND. */
OM_NODISCARD int pva_store_get_tre(struct pva *p, const char *tre_id, struct pva_tre *out);
void pva_tre_clear(struct pva_tre *t);

/* Status of a serial: 0 with revoked, at and reason set, or OM_EPVA_NOT_FOUND. */
OM_NODISCARD int pva_store_serial_status(struct pva *p, const char *serial_hex, int *revoked, int64_t *at,
					 int *reason);

/* 0, OM_EPVA_NOT_FOUND or OM_EPVA_REVOKED (already revoked: unchanged). */
OM_NODISCARD int pva_store_revoke(struct pva *p, const char *tre_id, int reason, int64_t at);

/* 0 (added or already the same), OM_EPVA_REFERENCE (another value stored). */
OM_NODISCARD int pva_store_add_reference(struct pva *p, const char *model, const char *firmware,
					 const char *component, const uint8_t sha256[static 32]);

/* The references of model/firmware into out (cap entries); *n 0 when none. */
OM_NODISCARD int pva_store_references(struct pva *p, const char *model, const char *firmware,
				      struct om_measurement *out, size_t cap, size_t *n);

/*
 * The revoked TREs in tre_id order after `after` ("" from the start), at
 * most limit, each through fn (tre_id, revoked_at, reason, serials set).
 * How many, or a store code.
 */
OM_NODISCARD int pva_store_revocations(struct pva *p, const char *after, unsigned limit,
				       void (*fn)(void *ctx, const struct pva_tre *t), void *ctx);

/* The reference values after (model, firmware, component) in that order, at most limit. How many, or a store code. */
OM_NODISCARD int pva_store_reference_page(struct pva *p, const char *model, const char *firmware, const char *component,
					  unsigned limit,
					  void (*fn)(void *ctx, const char *model, const char *firmware,
						     const char *component, const uint8_t sha256[32]),
					  void *ctx);

/* The AK certificate of tre_id, once: 0, OM_EPVA_NOT_FOUND, OM_EPVA_EXISTS (it has one). */
OM_NODISCARD int pva_store_set_ak(struct pva *p, const char *tre_id, const uint8_t *der, size_t len);

/* 0 (added or already the same), OM_EPVA_REFERENCE (another value stored for that PCR). */
OM_NODISCARD int pva_store_add_pcr(struct pva *p, const char *model, const char *firmware, unsigned pcr,
				   const uint8_t sha256[static 32]);

/* The reference PCR values of model/firmware in index order, their PCRs as *mask; *n 0 when none. */
OM_NODISCARD int pva_store_pcrs(struct pva *p, const char *model, const char *firmware, uint32_t *mask,
				uint8_t (*out)[32], size_t cap, size_t *n);
