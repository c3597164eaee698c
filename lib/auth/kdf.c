/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TS 33.220 Annex B.2 KDF and TS 33.401 A.2 KASME.
 *
 * HMAC is done by hand over a prefetched EVP_MD and a reused EVP_MD_CTX:
 * HMAC(K, m) = H((K0 xor opad) || H((K0 xor ipad) || m)) (RFC 2104). For
 * KASME that is four SHA-256 compressions and no OpenSSL object made per call.
 * On CPUs with SHA-NI, KASME skips EVP and runs those four compressions
 * itself, several KASMEs interleaved (sha256_ni.c).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/be.h>
#include <openmcim/kdf.h>

#include "sha256_ni.h"

#define BLOCK 64 /* SHA-256 block size */

int om_kdf_init(struct om_kdf *kdf)
{
	if (!kdf)
		return OM_EINVAL;
	kdf->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	kdf->ctx = EVP_MD_CTX_new();
	if (!kdf->md || !kdf->ctx) {
		om_kdf_clear(kdf);
		return OM_ECRYPTO;
	}
	return 0;
}

void om_kdf_clear(struct om_kdf *kdf)
{
	if (!kdf)
		return;
	EVP_MD_CTX_free(kdf->ctx); /* frees the hash state, which held key material */
	EVP_MD_free(kdf->md);
	kdf->ctx = NULL;
	kdf->md = NULL;
}

/* Start the inner hash H((K0 xor ipad) || ...) and leave K0 xor opad in opad. */
static int hmac_begin(struct om_kdf *kdf, uint8_t opad[BLOCK], const uint8_t *key, size_t key_len)
{
	uint8_t k0[BLOCK] = { 0 };
	int err = OM_ECRYPTO;
	if (key_len > BLOCK) {
		if (EVP_DigestInit_ex2(kdf->ctx, kdf->md, NULL) != 1 ||
		    EVP_DigestUpdate(kdf->ctx, key, key_len) != 1 ||
		    EVP_DigestFinal_ex(kdf->ctx, k0, NULL) != 1)
			goto out;
	} else if (key_len) {
		memcpy(k0, key, key_len);
	}
	for (int i = 0; i < BLOCK; i++) {
		opad[i] = k0[i] ^ 0x5c;
		k0[i] ^= 0x36;
	}
	if (EVP_DigestInit_ex2(kdf->ctx, kdf->md, NULL) != 1 ||
	    EVP_DigestUpdate(kdf->ctx, k0, BLOCK) != 1)
		goto out;
	err = 0;
out:
	OPENSSL_cleanse(k0, sizeof(k0));
	return err;
}

static int hmac_end(struct om_kdf *kdf, uint8_t out[OM_KDF_LEN], const uint8_t opad[BLOCK])
{
	uint8_t inner[OM_KDF_LEN];
	int err = OM_ECRYPTO;
	if (EVP_DigestFinal_ex(kdf->ctx, inner, NULL) != 1 ||
	    EVP_DigestInit_ex2(kdf->ctx, kdf->md, NULL) != 1 ||
	    EVP_DigestUpdate(kdf->ctx, opad, BLOCK) != 1 ||
	    EVP_DigestUpdate(kdf->ctx, inner, sizeof(inner)) != 1 ||
	    EVP_DigestFinal_ex(kdf->ctx, out, NULL) != 1)
		goto out;
	err = 0;
out:
	OPENSSL_cleanse(inner, sizeof(inner));
	return err;
}

int om_hmac_sha256(struct om_kdf *kdf, uint8_t out[static OM_KDF_LEN], const uint8_t *key,
		   size_t key_len, const uint8_t *msg, size_t msg_len)
{
	uint8_t opad[BLOCK];
	int err = OM_EINVAL;
	if (!kdf || !kdf->ctx || (!key && key_len) || (!msg && msg_len))
		goto out;
	if ((err = hmac_begin(kdf, opad, key, key_len)) < 0)
		goto out;
	if (msg_len && EVP_DigestUpdate(kdf->ctx, msg, msg_len) != 1) {
		err = OM_ECRYPTO;
		goto out;
	}
	err = hmac_end(kdf, out, opad);
out:
	if (err < 0)
		memset(out, 0, OM_KDF_LEN);
	OPENSSL_cleanse(opad, sizeof(opad));
	return err;
}

static int params_ok(const struct om_kdf_param *params, size_t n)
{
	if (n && !params)
		return OM_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (params[i].len > 0xffff)
			return OM_ELENGTH;
		if (!params[i].data && params[i].len)
			return OM_EINVAL;
	}
	return 0;
}

int om_kdf_input(uint8_t *s, size_t cap, uint8_t fc, const struct om_kdf_param *params, size_t n)
{
	int err = params_ok(params, n);
	if (err < 0)
		return err;
	if (!s)
		return OM_EINVAL;
	size_t need = 1;
	for (size_t i = 0; i < n; i++)
		need += params[i].len + 2;
	if (need > cap)
		return OM_ENOSPC;
	if (need > 0x7fffffff)
		return OM_ELENGTH;
	size_t at = 0;
	s[at++] = fc;
	for (size_t i = 0; i < n; i++) {
		if (params[i].len)
			memcpy(s + at, params[i].data, params[i].len);
		at += params[i].len;
		s[at++] = (uint8_t)(params[i].len >> 8);
		s[at++] = (uint8_t)params[i].len;
	}
	return (int)at;
}

int om_kdf_derive(struct om_kdf *kdf, uint8_t out[static OM_KDF_LEN], const uint8_t *key,
		  size_t key_len, uint8_t fc, const struct om_kdf_param *params, size_t n)
{
	uint8_t opad[BLOCK];
	int err = OM_EINVAL;
	if (!kdf || !kdf->ctx || (!key && key_len))
		goto out;
	if ((err = params_ok(params, n)) < 0)
		goto out;
	if ((err = hmac_begin(kdf, opad, key, key_len)) < 0)
		goto out;
	err = OM_ECRYPTO;
	if (EVP_DigestUpdate(kdf->ctx, &fc, 1) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint8_t l[2] = { (uint8_t)(params[i].len >> 8), (uint8_t)params[i].len };
		if ((params[i].len && EVP_DigestUpdate(kdf->ctx, params[i].data, params[i].len) != 1) ||
		    EVP_DigestUpdate(kdf->ctx, l, 2) != 1)
			goto out;
	}
	err = hmac_end(kdf, out, opad);
out:
	if (err < 0)
		memset(out, 0, OM_KDF_LEN);
	OPENSSL_cleanse(opad, sizeof(opad));
	return err;
}

/* TS 33.401 A.2: S = 0x10 || SN id || 0x0003 || SQN xor AK || 0x0006 */
#define KASME_S_LEN 14

static void kasme_input(uint8_t s[KASME_S_LEN], const uint8_t snid[3], const uint8_t sqn_xor_ak[6])
{
	s[0] = OM_KDF_FC_KASME;
	memcpy(s + 1, snid, 3);
	s[4] = 0x00;
	s[5] = 0x03;
	memcpy(s + 6, sqn_xor_ak, 6);
	s[12] = 0x00;
	s[13] = 0x06;
}

/* One KASME through the digest context (the engine without SHA-NI). */
static int kasme_evp(struct om_kdf *kdf, const struct om_kasme_req *r)
{
	uint8_t key[32], s[KASME_S_LEN];
	int err;
	memcpy(key, r->ck, 16);
	memcpy(key + 16, r->ik, 16);
	kasme_input(s, r->snid, r->sqn_xor_ak);
	err = om_hmac_sha256(kdf, r->kasme, key, sizeof(key), s, sizeof(s));
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

/* Requests whose HMACs run side by side on SHA-NI. */
#define KASME_LANES 4

/* FIPS 180-4 5.3.3 */
static const uint32_t sha256_iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

/* The K0 xor pad block of a 32-byte key (RFC 2104: K0 = key || 32 zero bytes). */
static void pad_block(uint32_t w[16], const uint8_t ck[16], const uint8_t ik[16], uint32_t pad)
{
	for (int i = 0; i < 4; i++) {
		w[i] = (uint32_t)om_be_get(ck + 4 * i, 4) ^ pad;
		w[4 + i] = (uint32_t)om_be_get(ik + 4 * i, 4) ^ pad;
		w[8 + i] = pad;
		w[12 + i] = pad;
	}
}

/*
 * HMAC-SHA-256(CK || IK, S) for n <= KASME_LANES requests on SHA-NI, written
 * out block by block: the 32-byte key fills one block with its pad, S fits
 * in the next with the SHA-256 padding (FIPS 180-4 5.1.1), so each HMAC is
 * four compressions: K0^ipad, S, K0^opad, inner hash. The two pad blocks of
 * all n requests go in one interleaved pass (2n lanes), then the n S blocks,
 * then the n outer blocks. Blocks are built as words (sha256_ni.h), so the
 * inner hash goes into the outer block without a byte conversion.
 */
static void kasme_ni(const struct om_kasme_req *req, size_t n)
{
	uint32_t st[2 * KASME_LANES][8]; /* inner states 0..n-1, outer n..2n-1 */
	uint32_t w[2 * KASME_LANES][16];
	uint8_t s[16];
	for (size_t j = 0; j < n; j++) {
		pad_block(w[j], req[j].ck, req[j].ik, 0x36363636);
		pad_block(w[n + j], req[j].ck, req[j].ik, 0x5c5c5c5c);
		memcpy(st[j], sha256_iv, sizeof(sha256_iv));
		memcpy(st[n + j], sha256_iv, sizeof(sha256_iv));
	}
	om_sha256_ni_compress(st, (const uint32_t(*)[16])w, 2 * n);
	for (size_t j = 0; j < n; j++) {
		kasme_input(s, req[j].snid, req[j].sqn_xor_ak);
		s[KASME_S_LEN] = 0x80;
		s[KASME_S_LEN + 1] = 0;
		for (int i = 0; i < 4; i++)
			w[j][i] = (uint32_t)om_be_get(s + 4 * i, 4);
		memset(&w[j][4], 0, 11 * sizeof(uint32_t));
		w[j][15] = (BLOCK + KASME_S_LEN) * 8; /* bit length: pad block || S */
	}
	om_sha256_ni_compress(st, (const uint32_t(*)[16])w, n);
	for (size_t j = 0; j < n; j++) {
		memcpy(w[j], st[j], 8 * sizeof(uint32_t));
		w[j][8] = 0x80000000;
		memset(&w[j][9], 0, 6 * sizeof(uint32_t));
		w[j][15] = (BLOCK + OM_KDF_LEN) * 8; /* pad block || inner hash */
	}
	om_sha256_ni_compress(st + n, (const uint32_t(*)[16])w, n);
	for (size_t j = 0; j < n; j++) {
		uint8_t *k = req[j].kasme;
		for (int i = 0; i < 8; i++)
			om_be_put(k + 4 * i, st[n + j][i], 4);
	}
	/* the pad blocks are the key; the states and the inner hash derive from it */
	OPENSSL_cleanse(st, sizeof(st));
	OPENSSL_cleanse(w, sizeof(w));
}

int om_kdf_kasme_batch(struct om_kdf *kdf, const struct om_kasme_req *req, size_t n)
{
	int err = 0;
	if (!kdf || !kdf->ctx || (n && !req))
		return OM_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!req[i].ck || !req[i].ik || !req[i].snid || !req[i].sqn_xor_ak || !req[i].kasme)
			return OM_EINVAL;
	if (om_sha256_ni_enabled()) {
		for (size_t i = 0; i < n; i += KASME_LANES)
			kasme_ni(req + i, n - i < KASME_LANES ? n - i : KASME_LANES);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if ((err = kasme_evp(kdf, &req[i])) < 0) {
			for (size_t j = 0; j < n; j++)
				OPENSSL_cleanse(req[j].kasme, OM_KASME_LEN);
			return err;
		}
	}
	return 0;
}

int om_kdf_kasme(struct om_kdf *kdf, uint8_t kasme[static OM_KASME_LEN], const uint8_t ck[static 16],
		 const uint8_t ik[static 16], const uint8_t snid[static OM_SNID_LEN],
		 const uint8_t sqn_xor_ak[static 6])
{
	const struct om_kasme_req r = { ck, ik, snid, sqn_xor_ak, kasme };
	int err = om_kdf_kasme_batch(kdf, &r, 1);
	if (err == OM_EINVAL)
		memset(kasme, 0, OM_KASME_LEN);
	return err;
}

/* Digits of a decimal string of length 2 or 3 (or exactly 3 when mcc). */
static int digits(uint8_t d[3], const char *s, int is_mcc)
{
	size_t n = 0;
	if (!s)
		return OM_EAUTH_PLMN;
	for (; n < 4 && s[n]; n++)
		if (s[n] < '0' || s[n] > '9')
			return OM_EAUTH_PLMN;
	if (is_mcc ? n != 3 : (n != 2 && n != 3))
		return OM_EAUTH_PLMN;
	d[2] = 0xf; /* filler for a 2-digit MNC, TS 24.008 10.5.1.13 */
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(s[i] - '0');
	return 0;
}

int om_plmn_encode(uint8_t snid[static OM_SNID_LEN], const char *mcc, const char *mnc)
{
	uint8_t c[3], n[3];
	int err;
	if ((err = digits(c, mcc, 1)) < 0 || (err = digits(n, mnc, 0)) < 0)
		return err;
	snid[0] = (uint8_t)(c[1] << 4 | c[0]);
	snid[1] = (uint8_t)(n[2] << 4 | c[2]);
	snid[2] = (uint8_t)(n[1] << 4 | n[0]);
	return 0;
}
