/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two OMA DM management objects of spec/002 B.2.3.4:
 *   M2MMobj      {TRE info, nonceA, nonceB, state counter, blocked MIDs, TPM quote} signed with PrK_TRE (step 5)
 *   M2MMCIMMobj  {PuK_TRE(MCIM), nonceB} signed by SHO[i+1] (step 7)
 * Binary, length-prefixed fields with the signature last (docs/formats.md),
 * carried as b64 node values in the DM session. One codec for the TRE and
 * the DPF. Signatures use pki.h (ECDSA P-256 or RSA-PSS by key type).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/err.h>

#define OM_TRE_ID_MAX 63
#define OM_MEASUREMENTS_MAX 8
#define OM_MOBJ_MAX 4096

/* One platform measurement: a component name and its SHA-256. */
struct om_measurement {
	char name[64];
	uint8_t sha256[32];
};

/*
 * A TPM 2.0 quote (docs/tre.md "Attestation"): TPM2_Quote of the SHA-256
 * PCRs over nonceA | nonceB with the TRE's attestation key, as the TPM
 * marshalled it, and the values of the quoted PCRs (index order) that its
 * pcrDigest covers. attest_len 0: no quote (a TRE that is not a TPM).
 */
#define OM_QUOTE_ATTEST_MAX 1024
#define OM_QUOTE_SIG_MAX 256
#define OM_QUOTE_PCRS_MAX 8
struct om_quote {
	size_t attest_len;
	uint8_t attest[OM_QUOTE_ATTEST_MAX]; /* TPMS_ATTEST */
	size_t sig_len;
	uint8_t sig[OM_QUOTE_SIG_MAX];       /* TPMT_SIGNATURE */
	size_t n_pcr;
	uint8_t pcr[OM_QUOTE_PCRS_MAX][32];
};

/* TRE info (B.2.3.4 II): which TRE this is and what the platform measured. */
struct om_tre_info {
	char tre_id[OM_TRE_ID_MAX + 1];
	char tre_type[64];
	char firmware_version[32];
	size_t n_measurements;
	struct om_measurement m[OM_MEASUREMENTS_MAX];
	/* The TRE's state counter (docs/tre.md "State counter"): it rises with
	 * every durable change of the TRE, so a network that has seen a higher
	 * one is looking at an older copy. Signed in M2MMobj version 2; 0 when
	 * read from a version 1 object, which had none. */
	uint64_t counter;
	/* The MIDs the TRE holds BLOCKED: their sealed file failed its integrity
	 * check at open (docs/tre.md "Secure boot"), 0 .. OM_MOBJ_BLOCKED_MAX.
	 * Signed in M2MMobj version 3, so the network learns of the tampering,
	 * not only the device (spec/001 4.1.4.1, threats 1.10); 0 when read from
	 * an older version. */
	uint8_t n_blocked;
	/* The TPM's quote over nonceA | nonceB (M2MMobj version 4); none from a
	 * software TRE or an older version. */
	struct om_quote quote;
};

#define OM_MOBJ_BLOCKED_MAX 8 /* OM_TRE_MIDS_MAX: a TRE holds no more MIDs */

/* Build and sign M2MMobj. Returns its length, or an error (out zeroed). */
OM_NODISCARD int om_m2mmobj_build(const struct om_tre_info *info, const uint8_t nonce_a[static OM_NONCE_LEN],
				  const uint8_t nonce_b[static OM_NONCE_LEN], EVP_PKEY *tre_sign_key, uint8_t *out,
				  size_t cap);

/* The TRE_id of an M2MMobj, unverified, so the DPF can find Cert_TRE. */
OM_NODISCARD int om_m2mmobj_peek_tre_id(const uint8_t *obj, size_t len, char tre_id[static OM_TRE_ID_MAX + 1]);

/* Verify with the TRE's public signing key, then parse. Nothing is output on failure. */
OM_NODISCARD int om_m2mmobj_verify(const uint8_t *obj, size_t len, EVP_PKEY *tre_sign_pub, struct om_tre_info *info,
				   uint8_t nonce_a[static OM_NONCE_LEN], uint8_t nonce_b[static OM_NONCE_LEN]);

/* Build and sign M2MMCIMMobj around a protect.h MCIM object. Returns its length. */
OM_NODISCARD int om_m2mmcimmobj_build(const uint8_t *mcim_obj, size_t mcim_len,
				      const uint8_t nonce_b[static OM_NONCE_LEN], EVP_PKEY *sho_key, uint8_t *out,
				      size_t cap);

/*
 * Verify with SHO[i+1]'s public key (the TRE's trust root), then point
 * *mcim_obj into obj at the protected MCIM object. Nothing is output on failure.
 */
OM_NODISCARD int om_m2mmcimmobj_verify(const uint8_t *obj, size_t len, EVP_PKEY *sho_pub, const uint8_t **mcim_obj,
				       size_t *mcim_len, uint8_t nonce_b[static OM_NONCE_LEN]);
