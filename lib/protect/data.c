/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protected_data of B.2.3.6: data = tag | payload_length | payload | version |
 * padding_data, ENC_PCK = AES-CBC, MAC_PIK = HMAC over IV | C.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "protect_int.h"

int om_protect_keys_generate(struct om_protect_keys *keys, int suite)
{
	if (!keys)
		return OM_EINVAL;
	memset(keys, 0, sizeof(*keys));
	const struct omp_suite *s = omp_suite(suite);
	if (!s)
		return OM_EPROTECT_SUITE;
	keys->suite = s->id;
	if (RAND_priv_bytes(keys->pik, s->pik_len) != 1 || RAND_priv_bytes(keys->pck, s->pck_len) != 1) {
		om_protect_keys_clear(keys);
		return OM_ERANDOM;
	}
	return 0;
}

int om_protect_keys_set(struct om_protect_keys *keys, int suite, const uint8_t *pik, size_t pik_len,
			const uint8_t *pck, size_t pck_len)
{
	if (!keys || !pik || !pck)
		return OM_EINVAL;
	memset(keys, 0, sizeof(*keys));
	const struct omp_suite *s = omp_suite(suite);
	if (!s)
		return OM_EPROTECT_SUITE;
	if (pik_len != s->pik_len || pck_len != s->pck_len)
		return OM_ELENGTH;
	keys->suite = s->id;
	memcpy(keys->pik, pik, pik_len);
	memcpy(keys->pck, pck, pck_len);
	return 0;
}

void om_protect_keys_clear(struct om_protect_keys *keys)
{
	if (keys)
		OPENSSL_cleanse(keys, sizeof(*keys));
}

/* tag(1) + payload_length(2) + payload + version(1), then 1..16 bytes of padding. */
size_t omp_data_len(size_t payload_len)
{
	return (1 + 2 + payload_len + 1) / OMP_BLOCK * OMP_BLOCK + OMP_BLOCK;
}

size_t om_protect_data_len(int suite, size_t payload_len)
{
	const struct omp_suite *s = omp_suite(suite);
	if (!s || payload_len > OM_PROTECT_PAYLOAD_MAX)
		return 0;
	return OM_PROTECT_IV_LEN + omp_data_len(payload_len) + s->mac_len;
}

int omp_data_format(uint8_t tag, uint8_t version, const uint8_t *payload, size_t payload_len,
		    uint8_t *out, size_t cap)
{
	if (payload_len > OM_PROTECT_PAYLOAD_MAX)
		return OM_ELENGTH;
	size_t n = omp_data_len(payload_len);
	if (cap < n)
		return OM_ENOSPC;
	/* padding_data: p bytes of value p (PKCS#7 style, RFC 5652 6.3), p in 1..16 */
	size_t p = n - (1 + 2 + payload_len + 1);
	out[0] = tag;
	omp_put16(out + 1, payload_len);
	if (payload_len)
		memmove(out + 3, payload, payload_len);
	out[3 + payload_len] = version;
	memset(out + 4 + payload_len, (int)p, p);
	return (int)n;
}

static int hmac(const struct omp_suite *s, const uint8_t *pik, const uint8_t *in, size_t len,
		uint8_t *mac)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)s->digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(omp_algs()->hmac);
	size_t got = 0;
	int r = OM_ECRYPTO;
	if (ctx && EVP_MAC_init(ctx, pik, s->pik_len, params) && EVP_MAC_update(ctx, in, len) &&
	    EVP_MAC_final(ctx, mac, &got, s->mac_len) && got == s->mac_len)
		r = 0;
	EVP_MAC_CTX_free(ctx);
	return r;
}

/* AES-CBC over whole blocks; OpenSSL's padding is off because padding_data is ours. */
static int cbc(const struct omp_suite *s, const uint8_t *pck, const uint8_t *iv, int enc,
	       const uint8_t *in, uint8_t *out, size_t len)
{
	if (len > INT_MAX)
		return OM_EINVAL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, r = OM_ECRYPTO;
	if (ctx && EVP_CipherInit_ex2(ctx, s->cbc, pck, iv, enc, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_CipherUpdate(ctx, out, &n, in, (int)len) &&
	    EVP_CipherFinal_ex(ctx, out + n, &fin) && (size_t)n + (size_t)fin == len)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int omp_data_seal_in_place(const struct omp_suite *s, const struct om_protect_keys *keys,
			   const uint8_t *iv, uint8_t *out, size_t data_len)
{
	if (iv)
		memcpy(out, iv, OM_PROTECT_IV_LEN);
	else if (RAND_bytes(out, OM_PROTECT_IV_LEN) != 1)
		return OM_ERANDOM;
	uint8_t *c = out + OM_PROTECT_IV_LEN;
	int r = cbc(s, keys->pck, out, 1, c, c, data_len);
	if (r < 0)
		return r;
	/* encrypt-then-MAC: ENC_PCK(data) is IV | C, so the MAC covers the IV too */
	r = hmac(s, keys->pik, out, OM_PROTECT_IV_LEN + data_len, c + data_len);
	if (r < 0)
		return r;
	return (int)(OM_PROTECT_IV_LEN + data_len + s->mac_len);
}

int om_protect_data_seal(const struct om_protect_keys *keys, uint8_t tag, const uint8_t *payload,
			 size_t payload_len, uint8_t *out, size_t cap)
{
	const struct omp_suite *s = keys ? omp_suite(keys->suite) : NULL;
	int r;
	if (!keys || !out || (payload_len && !payload) || tag == 0) {
		r = OM_EINVAL;
		goto out;
	}
	if (!s) {
		r = OM_EPROTECT_SUITE;
		goto out;
	}
	if (payload_len > OM_PROTECT_PAYLOAD_MAX) {
		r = OM_ELENGTH;
		goto out;
	}
	if (cap < om_protect_data_len(s->id, payload_len)) {
		r = OM_ENOSPC;
		goto out;
	}
	r = omp_data_format(tag, OM_PROTECT_DATA_VERSION, payload, payload_len,
			    out + OM_PROTECT_IV_LEN, cap - OM_PROTECT_IV_LEN);
	if (r < 0)
		goto out;
	r = omp_data_seal_in_place(s, keys, NULL, out, (size_t)r);
out:
	if (r < 0 && out)
		memset(out, 0, cap);
	return r;
}

/*
 * The checks after the MAC passed: padding_data first (it says where the
 * data ends), then tag, payload_length and version. The MAC is already
 * verified, so these branches leak nothing an attacker could steer.
 */
static int data_parse(const uint8_t *d, size_t n, uint8_t tag, size_t *payload_len)
{
	size_t p = d[n - 1];
	if (p < 1 || p > OMP_BLOCK || p > n - 4)
		return OM_EPROTECT_PADDING;
	for (size_t i = 1; i <= p; i++)
		if (d[n - i] != p)
			return OM_EPROTECT_PADDING;
	if (d[0] != tag)
		return OM_EPROTECT_TAG;
	size_t len = omp_get16(d + 1);
	if (4 + len + p != n)
		return OM_EPROTECT_PAYLOAD_LEN;
	if (d[3 + len] != OM_PROTECT_DATA_VERSION)
		return OM_EPROTECT_VERSION;
	*payload_len = len;
	return 0;
}

int om_protect_data_open(const struct om_protect_keys *keys, uint8_t tag, const uint8_t *pd,
			 size_t pd_len, uint8_t *out, size_t cap)
{
	const struct omp_suite *s = keys ? omp_suite(keys->suite) : NULL;
	uint8_t mac[OM_PROTECT_MAC_MAX];
	uint8_t *plain = NULL;
	size_t ct_len = 0, len = 0;
	int r;
	if (!keys || !pd || (cap && !out)) {
		r = OM_EINVAL;
		goto out;
	}
	if (!s) {
		r = OM_EPROTECT_SUITE;
		goto out;
	}
	if (pd_len < OM_PROTECT_IV_LEN + OMP_BLOCK + s->mac_len ||
	    (pd_len - OM_PROTECT_IV_LEN - s->mac_len) % OMP_BLOCK != 0) {
		r = OM_EPROTECT_TRUNCATED;
		goto out;
	}
	ct_len = pd_len - OM_PROTECT_IV_LEN - s->mac_len;
	r = hmac(s, keys->pik, pd, OM_PROTECT_IV_LEN + ct_len, mac);
	if (r < 0)
		goto out;
	/* B.2.3.6 protects with MAC_PIK: verify in constant time before decrypting anything */
	if (CRYPTO_memcmp(mac, pd + OM_PROTECT_IV_LEN + ct_len, s->mac_len) != 0) {
		r = OM_EPROTECT_MAC;
		goto out;
	}
	plain = OPENSSL_malloc(ct_len);
	if (!plain) {
		r = OM_ENOMEM;
		goto out;
	}
	r = cbc(s, keys->pck, pd, 0, pd + OM_PROTECT_IV_LEN, plain, ct_len);
	if (r < 0)
		goto out;
	r = data_parse(plain, ct_len, tag, &len);
	if (r < 0)
		goto out;
	if (len > cap) {
		r = OM_ENOSPC;
		goto out;
	}
	if (len)
		memcpy(out, plain + 3, len);
	r = (int)len;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_clear_free(plain, ct_len);
	if (r < 0 && out)
		memset(out, 0, cap);
	return r;
}
