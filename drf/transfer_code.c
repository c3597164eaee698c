/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transfer codes: the owner's consent to a change of operator, issued out of
 * band by the current SHO (docs/drf.md "Transfer codes"). 80 random bits in
 * Crockford base32 (no I, L, O, U: nothing to misread when typed), four
 * groups of four. Only SHA-256 over a per-code random salt and the canonical
 * form is stored; 80 bits of entropy make a slow hash unnecessary.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "drf_int.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int drf_code_generate(char code[static DRF_CODE_TEXT_LEN + 1])
{
	uint8_t raw[10];
	size_t o = 0;
	if (RAND_priv_bytes(raw, sizeof(raw)) != 1)
		return OM_ERANDOM;
	for (size_t i = 0; i < DRF_CODE_CHARS; i++) {
		size_t bit = i * 5, v = 0;
		for (size_t b = 0; b < 5; b++)
			v = v << 1 | ((raw[(bit + b) / 8] >> (7 - (bit + b) % 8)) & 1u);
		if (i && i % 4 == 0)
			code[o++] = '-';
		code[o++] = alphabet[v];
	}
	code[o] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int drf_code_normalise(const char *typed, char out[static DRF_CODE_CHARS + 1])
{
	size_t n = 0;
	for (const char *p = typed; *p; p++) {
		char c = *p;
		if (c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (!strchr(alphabet, c) || c == '\0' || n == DRF_CODE_CHARS) {
			OPENSSL_cleanse(out, DRF_CODE_CHARS + 1);
			return OM_EDRF_CODE;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (n != DRF_CODE_CHARS) {
		OPENSSL_cleanse(out, DRF_CODE_CHARS + 1);
		return OM_EDRF_CODE;
	}
	return 0;
}

int drf_code_hash(const uint8_t salt[static DRF_SALT_LEN], const char canon[static DRF_CODE_CHARS + 1],
		  uint8_t out[static DRF_HASH_LEN])
{
	static const char label[] = "openmcim drf transfer code"; /* with its NUL as separator */
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;
	int r = OM_ECRYPTO;
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(c, salt, DRF_SALT_LEN) == 1 && EVP_DigestUpdate(c, canon, DRF_CODE_CHARS) == 1 &&
	    EVP_DigestFinal_ex(c, out, &n) == 1 && n == DRF_HASH_LEN)
		r = 0;
	EVP_MD_CTX_free(c);
	return r;
}
