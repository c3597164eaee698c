/* SPDX-License-Identifier: Apache-2.0 */
/*
 * f(Ku) = {IMSI, K, OPc} (spec/000 5.2.4.3.1), byte by byte as
 * docs/formats.md "Synthetic credentials" fixes it:
 *
 *   each output = HKDF-SHA-256(IKM = Ku, salt = "openmcim f(Ku) v1",
 *                              info = "openmcim f(Ku) " <name>, L)
 *   K   = L 16, name "K"        OPc = L 16, name "OPc"
 *   MSIN: L 128, name "MSIN": 16 big-endian 64-bit words; the first word w
 *         below 2^64 - (2^64 mod count) gives MSIN = first + w mod count
 *   verifier = L 16, name "verifier" (the manufacturer's public list)
 *
 * OPc comes straight out of f, not from an operator's OP: at manufacture no
 * operator is chosen (requirement B, spec/000 5.2.2.1), and every AuC that
 * imports the result stores OPc anyway (docs/decisions.md).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <openmcim/base32.h>
#include <openmcim/synth.h>

#define SALT "openmcim f(Ku) v1"
#define INFO "openmcim f(Ku) "

/* One HKDF output (extract and expand) under info INFO name. */
static int hkdf(const uint8_t ku[static OM_SYNTH_KU_LEN], const char *name, uint8_t *out, size_t len)
{
	char info[64];
	size_t il = strlen(INFO) + strlen(name);
	if (il >= sizeof(info))
		return OM_EINVAL;
	memcpy(info, INFO, strlen(INFO));
	memcpy(info + strlen(INFO), name, strlen(name));
	EVP_KDF *k = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = k ? EVP_KDF_CTX_new(k) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ku, OM_SYNTH_KU_LEN),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)SALT, strlen(SALT)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, il),
		OSSL_PARAM_construct_end(),
	};
	int ok = c && EVP_KDF_derive(c, out, len, p) > 0;
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(k);
	return ok ? 0 : OM_ECRYPTO;
}

static int all_digits(const char *s, size_t lo, size_t hi)
{
	size_t n = s ? strlen(s) : 0;
	if (n < lo || n > hi)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int om_synth_range_set(struct om_synth_range *r, const char *mcc, const char *mnc, const char *msin_first,
		       uint64_t count)
{
	if (!r)
		return OM_EINVAL;
	memset(r, 0, sizeof(*r));
	if (!all_digits(mcc, 3, 3) || !all_digits(mnc, 2, 3))
		return OM_EAUTH_SYNTH_RANGE;
	unsigned width_max = OM_MCIM_IMSI_MAX - 3 - (unsigned)strlen(mnc);
	if (!all_digits(msin_first, 1, width_max) || count == 0)
		return OM_EAUTH_SYNTH_RANGE;
	uint64_t first = 0, limit = 1;
	for (const char *d = msin_first; *d; d++) {
		first = first * 10 + (uint64_t)(*d - '0');
		limit *= 10;
	}
	if (count > limit - first) /* the last MSIN, first + count - 1, must keep the width */
		return OM_EAUTH_SYNTH_RANGE;
	memcpy(r->mcc, mcc, 4);
	memcpy(r->mnc, mnc, strlen(mnc) + 1);
	r->width = (unsigned)strlen(msin_first);
	r->first = first;
	r->count = count;
	return 0;
}

/* Rejection sampling: each word below 2^64 - (2^64 mod count) is equally likely to give each MSIN. */
int om_synth_msin_offset(const uint8_t ku[static OM_SYNTH_KU_LEN], uint64_t count, uint64_t *msin_off)
{
	if (!ku || !msin_off || count == 0)
		return OM_EINVAL;
	uint8_t words[8 * OM_SYNTH_MSIN_TRIES];
	int rc = hkdf(ku, "MSIN", words, sizeof(words));
	uint64_t rem = (0 - count) % count; /* 2^64 mod count */
	if (rc == 0) {
		rc = OM_ECRYPTO; /* all 16 words rejected: probability below 2^-384 for count < 2^40 */
		for (size_t j = 0; j < OM_SYNTH_MSIN_TRIES; j++) {
			uint64_t w = 0;
			for (size_t b = 0; b < 8; b++)
				w = w << 8 | words[8 * j + b];
			if (w <= UINT64_MAX - rem) {
				*msin_off = w % count;
				rc = 0;
				break;
			}
		}
	}
	OPENSSL_cleanse(words, sizeof(words));
	return rc;
}

int om_synth_derive(const uint8_t ku[static OM_SYNTH_KU_LEN], const struct om_synth_range *r, struct om_mcim *m,
		    uint8_t *verifier)
{
	uint64_t off = 0;
	if (!ku || !r || !m)
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	if (r->count == 0 || r->width == 0 || strlen(r->mcc) != 3 || strlen(r->mnc) < 2 || strlen(r->mnc) > 3 ||
	    3 + strlen(r->mnc) + r->width > OM_MCIM_IMSI_MAX)
		return OM_EAUTH_SYNTH_RANGE;
	uint64_t limit = 1;
	for (unsigned i = 0; i < r->width; i++)
		limit *= 10;
	if (r->first >= limit || r->count > limit - r->first)
		return OM_EAUTH_SYNTH_RANGE;
	int rc = hkdf(ku, "K", m->k, sizeof(m->k));
	if (rc == 0)
		rc = hkdf(ku, "OPc", m->opc, sizeof(m->opc));
	if (rc == 0)
		rc = om_synth_msin_offset(ku, r->count, &off);
	if (rc == 0 && verifier)
		rc = hkdf(ku, "verifier", verifier, OM_SYNTH_VERIFIER_LEN);
	if (rc < 0) {
		om_mcim_clear(m);
		if (verifier)
			OPENSSL_cleanse(verifier, OM_SYNTH_VERIFIER_LEN);
		return rc;
	}
	snprintf(m->imsi, sizeof(m->imsi), "%s%s%0*llu", r->mcc, r->mnc, (int)r->width,
		 (unsigned long long)(r->first + off));
	m->mnc_len = (uint8_t)strlen(r->mnc);
	m->algorithm = OM_MCIM_ALG_MILENAGE;
	m->present = OM_MCIM_HAS_AMF;
	m->amf[0] = 0x80; /* E-UTRAN separation bit (TS 33.401 6.1.1) */
	m->amf[1] = 0x00;
	return 0;
}

void om_synth_ku_format(const uint8_t ku[static OM_SYNTH_KU_LEN], char out[static OM_SYNTH_KU_TEXT_MAX])
{
	uint8_t bits[OM_SYNTH_KU_LEN + 1] = { 0 }; /* 26 characters read 130 bits: the last 2 are zero */
	memcpy(bits, ku, OM_SYNTH_KU_LEN);
	om_base32_encode(bits, 0, OM_SYNTH_KU_CHARS, 4, out);
	OPENSSL_cleanse(bits, sizeof(bits));
}

int om_synth_ku_parse(const char *typed, uint8_t ku[static OM_SYNTH_KU_LEN])
{
	char canon[OM_SYNTH_KU_CHARS + 1];
	uint8_t bits[OM_SYNTH_KU_LEN + 1];
	int rc = OM_EAUTH_SYNTH_KU;
	if (!typed || !ku)
		return OM_EINVAL;
	if (om_base32_normalise(typed, canon, OM_SYNTH_KU_CHARS) == 0 &&
	    om_base32_decode(canon, OM_SYNTH_KU_CHARS, 0, bits, sizeof(bits)) == 0 && bits[OM_SYNTH_KU_LEN] == 0) {
		memcpy(ku, bits, OM_SYNTH_KU_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(canon, sizeof(canon));
	OPENSSL_cleanse(bits, sizeof(bits));
	return rc;
}
