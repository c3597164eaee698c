/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measurements and quotes on the TRE's TPM (quote_tpm.c). The TCTI is the
 * device configuration's, as for the sealing backend (seal.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include <openmcim/err.h>
#include <openmcim/mobj.h>

/* The PCR the TRE and the agent extend with what they load (docs/decisions.md). */
#define TRE_PCR_TRE 15
#define TRE_QUOTE_PCRS_MAX OM_QUOTE_PCRS_MAX

/* Make an attestation key (restricted ECDSA-SHA256 P-256 under the SRK) on the TPM of tcti. 0, OM_ETRE_HW. */
OM_NODISCARD int tre_tpm_ak_create(const char *tcti, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv);

#include <openssl/evp.h>

/* The AK's public key from its TPM public area (an EC P-256 point): 0, OM_ETRE_HW, OM_ECRYPTO. */
OM_NODISCARD int tre_tpm_ak_public(const TPM2B_PUBLIC *pub, EVP_PKEY **out);

/* Extend PCR pcr of the SHA-256 bank with digest (a measurement). 0, OM_EINVAL, OM_ETRE_HW. */
OM_NODISCARD int tre_tpm_measure(const char *tcti, unsigned pcr, const uint8_t digest[static 32]);

/*
 * Measure digest into pcr once per TPM reset: when the PCR already holds
 * SHA-256(zeros | digest), this program was measured since the TPM started
 * and nothing is extended; otherwise it is (from zeros that gives that
 * value; after anything else the PCR stays off every reference until the
 * TPM is reset, as a PCR must). 0, OM_EINVAL, OM_ETRE_HW.
 */
OM_NODISCARD int tre_tpm_measure_once(const char *tcti, unsigned pcr, const uint8_t digest[static 32]);

/*
 * TPM2_Quote of the SHA-256 PCRs in mask (bit i: PCR i; at most
 * TRE_QUOTE_PCRS_MAX) over nonce with the AK (pub, priv), and those PCRs'
 * values. 0, OM_EINVAL, OM_ETRE_SEAL (the AK is not this TPM's), OM_ETRE_HW.
 */
OM_NODISCARD int tre_tpm_quote(const char *tcti, const TPM2B_PUBLIC *ak_pub, const TPM2B_PRIVATE *ak_priv,
			       const uint8_t *nonce, size_t nonce_len, uint32_t mask, struct om_quote *q);
