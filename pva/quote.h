/* SPDX-License-Identifier: Apache-2.0 */
/* The PVA's check of a TPM 2.0 quote (quote.c, docs/pva.md "TPM quotes"). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/err.h>
#include <openmcim/pki.h>

/* The PCR whose event log the M2MMobj's measurements are (tre/quote_tpm.h TRE_PCR_TRE; docs/decisions.md). */
#define PVA_LOG_PCR 15

struct pva_quote {
	const uint8_t *attest; /* TPMS_ATTEST as the TPM marshalled it */
	size_t attest_len;
	const uint8_t *sig;    /* TPMT_SIGNATURE, marshalled */
	size_t sig_len;
	const uint8_t (*pcr)[32]; /* the quoted PCRs' values, SHA-256 bank, index order */
	size_t n_pcr;
};

/*
 * Check q, a quote by the attestation key ak over nonce of the SHA-256
 * PCRs in mask (bit i: PCR i), against reference (one value per PCR of
 * mask, index order). 0, or: OM_EPVA_QUOTE (malformed, another scheme,
 * hash, bank or selection, not a TPM-generated quote),
 * OM_EPVA_QUOTE_SIGNATURE, OM_EPVA_QUOTE_NONCE, OM_EPVA_QUOTE_DIGEST,
 * OM_EPVA_QUOTE_PCR, OM_EINVAL.
 */
OM_NODISCARD int pva_quote_check(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len, uint32_t mask,
				 const uint8_t (*reference)[32], const struct pva_quote *q);

/*
 * Whether measurements, extended in order into a PCR from zeros (TPM 2.0
 * Part 1, 17.2: PCR := SHA-256(PCR | m)), give pcr: the event log replayed
 * against the quoted value, as Keylime replays a measured-boot or IMA log.
 * 0, OM_EPVA_QUOTE_LOG.
 */
OM_NODISCARD int pva_log_replay(const uint8_t (*m)[32], size_t n, const uint8_t pcr[static 32]);
