/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transfer codes: the owner's consent to a change of operator, issued out of
 * band by the current SHO (docs/drf.md "Transfer codes"). 80 random bits in
 * Crockford base32 (base32.h: nothing to misread when typed), four groups of
 * four. The new SHO's request carries the code's proof
 * (om_handover_code_proof(), bound to the TRE_id), never the code; the DRF
 * stores only SHA-256 over a per-code random salt and that proof. 80 bits
 * of entropy make a slow hash unnecessary.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <openmcim/base32.h>

#include "drf_int.h"

int drf_code_generate(char code[static DRF_CODE_TEXT_LEN + 1])
{
	uint8_t raw[10];
	if (RAND_priv_bytes(raw, sizeof(raw)) != 1)
		return OM_ERANDOM;
	om_base32_encode(raw, 0, DRF_CODE_CHARS, 4, code);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int drf_code_hash(const uint8_t salt[static DRF_SALT_LEN], const uint8_t proof[static OM_HANDOVER_PROOF_LEN],
		  uint8_t out[static DRF_HASH_LEN])
{
	/* "v2": over the proof; a hash stored over the code itself (before) never matches */
	static const char label[] = "openmcim drf transfer code v2"; /* with its NUL as separator */
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;
	int r = OM_ECRYPTO;
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(c, salt, DRF_SALT_LEN) == 1 && EVP_DigestUpdate(c, proof, OM_HANDOVER_PROOF_LEN) == 1 &&
	    EVP_DigestFinal_ex(c, out, &n) == 1 && n == DRF_HASH_LEN)
		r = 0;
	EVP_MD_CTX_free(c);
	return r;
}
