/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Owner claims: proof that whoever registers a device at an SHO bought it.
 * TRE_id and Cert_TRE are public (every DRF register, every M2MMobj, the
 * PVA), so the delivery note's {TRE_id, Cert_TRE, SHO_id} of B.2.3.2 proves
 * nothing; the manufacturer therefore also gives the buyer, and nobody else,
 * a claim secret, and commits to it in the device's Cert_TRE (TRE_SIGNING),
 * which the PVA's CA signs and every SHO already checks (docs/decisions.md
 * "Proof of ownership").
 *
 * The secrets of one device form a hash chain from a seed the manufacturer
 * derives from its claim key:
 *   x_0 = HMAC-SHA-256(key, "openmcim owner claim seed" 0 | TRE_id)
 *   x_{i+1} = SHA-256("openmcim owner claim" 0 | TRE_id 0 | x_i)
 * each cut to 125 bits (16 bytes, top 3 bits zero: 25 typed characters).
 * The certificate holds x_N and N; the first owner gets x_{N-1}, the g-th
 * owner (after g-1 resales through the manufacturer) x_{N-g}. Anyone can
 * hash a claim forward to the verifier and so learn its generation g; no
 * one but the manufacturer can go back, so an owner who sold the device
 * cannot make a claim of a later generation than the buyer's.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <openmcim/err.h>

#define OM_CLAIM_LEN 16          /* bytes of a chain value; 125 bits used */
#define OM_CLAIM_CHARS 25        /* Crockford base32 characters */
#define OM_CLAIM_TEXT_LEN 29     /* XXXXX-XXXXX-XXXXX-XXXXX-XXXXX */
#define OM_CLAIM_KEY_LEN 32      /* the manufacturer's claim key */
#define OM_CLAIM_GENERATIONS 32  /* owners one certificate allows: the first buyer and 31 resales */

/*
 * The chain value for tre_id and owner generation g: g = 0 is the verifier
 * that goes into Cert_TRE, 1..OM_CLAIM_GENERATIONS the g-th owner's claim.
 * Returns 0, OM_EINVAL or OM_ECRYPTO.
 */
OM_NODISCARD int om_claim_derive(const uint8_t key[static OM_CLAIM_KEY_LEN], const char *tre_id, unsigned g,
				 uint8_t out[static OM_CLAIM_LEN]);

/*
 * The generation of claim for tre_id against verifier (from the device's
 * Cert_TRE, generations as the certificate says): 1..generations, or
 * OM_EPKI_CLAIM when no number of steps reaches the verifier. Every step's
 * comparison is constant-time; the generation itself is not a secret.
 */
OM_NODISCARD int om_claim_check(const char *tre_id, const uint8_t claim[static OM_CLAIM_LEN],
				const uint8_t verifier[static OM_CLAIM_LEN], unsigned generations);

/* The claim as the owner types it (out: OM_CLAIM_TEXT_LEN + 1). */
void om_claim_text(const uint8_t claim[static OM_CLAIM_LEN], char out[static OM_CLAIM_TEXT_LEN + 1]);

/* A typed claim (case, '-' and look-alikes folded) into out. 0 or OM_EINVAL; out cleansed on error. */
OM_NODISCARD int om_claim_parse(const char *typed, uint8_t out[static OM_CLAIM_LEN]);

/*
 * The verifier and generation count a Cert_TRE carries (extension
 * omOwnerClaim, docs/pki.md). Returns 0, OM_EINVAL or OM_EPKI_NO_CLAIM.
 */
OM_NODISCARD int om_claim_from_cert(X509 *cert, uint8_t verifier[static OM_CLAIM_LEN], unsigned *generations);
