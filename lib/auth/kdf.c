/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TS 33.220 Annex B.2 KDF and TS 33.401 A.2 KASME.
 *
 * HMAC is done by hand over a prefetched EVP_MD and a reused EVP_MD_CTX:
 * HMAC(K, m) = H((K0 xor opad) || H((K0 xor ipad) || m)) (RFC 2104). For
 * KASME that is four SHA-256 compressions and no OpenSSL object made per call.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/kdf.h>

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

int om_kdf_kasme(struct om_kdf *kdf, uint8_t kasme[static OM_KASME_LEN], const uint8_t ck[static 16],
		 const uint8_t ik[static 16], const uint8_t snid[static OM_SNID_LEN],
		 const uint8_t sqn_xor_ak[static 6])
{
	/* TS 33.401 A.2: S = 0x10 || SN id || 0x0003 || SQN xor AK || 0x0006 */
	uint8_t key[32], s[14] = { OM_KDF_FC_KASME, 0, 0, 0, 0x00, 0x03 };
	int err;
	memcpy(key, ck, 16);
	memcpy(key + 16, ik, 16);
	memcpy(s + 1, snid, 3);
	memcpy(s + 6, sqn_xor_ak, 6);
	s[12] = 0x00;
	s[13] = 0x06;
	err = om_hmac_sha256(kdf, kasme, key, sizeof(key), s, sizeof(s));
	OPENSSL_cleanse(key, sizeof(key));
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
