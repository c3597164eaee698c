/* SPDX-License-Identifier: Apache-2.0 */
/*
 * M2MMobj and M2MMCIMMobj of B.2.3.4 II and V: length-prefixed fields with
 * the signature last, covering every byte before it (docs/formats.md,
 * "M2MMobj and M2MMCIMMobj (B.2.3.4)"):
 *
 *   "OMMO" | version | type | scheme | body length (2) | body | signature
 *
 * The scheme byte fixes the signature's length (64 bytes of ECDSA r|s, or
 * 256 of RSA-PSS), so the object needs no unsigned length field, and the
 * verifier's key must agree with it: the bytes never choose the algorithm.
 * The verifier reads only this framing before the signature check, and
 * parses the body only once it verified.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include <openmcim/mobj.h>
#include <openmcim/pki.h>

#include "mobj_int.h"

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t get16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* The scheme byte for a key, or OM_EPKI_KEY_TYPE: the key decides, never the object. */
static int scheme_of(const EVP_PKEY *key)
{
	int t = om_key_type_of(key);
	if (t == OM_KEY_EC_P256)
		return MOBJ_SCHEME_ECDSA_P256;
	if (t == OM_KEY_RSA_2048)
		return MOBJ_SCHEME_RSA_PSS;
	return OM_EPKI_KEY_TYPE;
}

static size_t sig_len_of(int scheme)
{
	return scheme == MOBJ_SCHEME_ECDSA_P256 ? 64 : 256;
}

/* om_sign()'s DER Ecdsa-Sig-Value (RFC 5480) as fixed-size r | s, big-endian. */
static int ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[static 64])
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int r = OM_ECRYPTO;
	if (s && BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + 32, 32) == 32)
		r = 0;
	ECDSA_SIG_free(s);
	return r;
}

/* r | s back to DER for om_verify(). Returns the DER length or OM_ECRYPTO. */
static int ecdsa_raw_to_der(const uint8_t raw[static 64], uint8_t der[static OM_SIG_MAX_LEN])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *sv = BN_bin2bn(raw + 32, 32, NULL);
	int n = OM_ECRYPTO;
	if (!s || !r || !sv || ECDSA_SIG_set0(s, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		goto out;
	}
	/* ECDSA_SIG owns r and s now */
	unsigned char *p = der;
	if (i2d_ECDSA_SIG(s, NULL) <= OM_SIG_MAX_LEN)
		n = i2d_ECDSA_SIG(s, &p);
	if (n <= 0)
		n = OM_ECRYPTO;
out:
	ECDSA_SIG_free(s);
	ERR_clear_error();
	return n;
}

uint8_t omo_mobj_version(uint8_t type)
{
	return type == MOBJ_TYPE_M2MMOBJ ? MOBJ_VERSION_M2MMOBJ : type == MOBJ_TYPE_OUTCOME ? MOBJ_VERSION_OUTCOME
												 : MOBJ_VERSION;
}

static int version_ok(uint8_t type, uint8_t v)
{
	return v >= MOBJ_VERSION && v <= omo_mobj_version(type);
}

int omo_mobj_sign(uint8_t type, EVP_PKEY *key, uint8_t *out, size_t cap, size_t body_len)
{
	uint8_t sig[OM_SIG_MAX_LEN];
	int scheme = scheme_of(key);
	if (scheme < 0)
		return scheme;
	size_t slen = sig_len_of(scheme);
	size_t signed_len = MOBJ_HDR + body_len;
	if (body_len > 0xffff || signed_len + slen > OM_MOBJ_MAX)
		return OM_EOBJ_TOO_LONG;
	if (cap < signed_len + slen)
		return OM_ENOSPC;
	memcpy(out, MOBJ_MAGIC, 4);
	out[4] = omo_mobj_version(type);
	out[5] = type;
	out[6] = (uint8_t)scheme;
	put16(out + 7, body_len);
	int n = om_sign(key, out, signed_len, sig);
	if (n < 0)
		return n;
	if (scheme == MOBJ_SCHEME_ECDSA_P256) {
		int r = ecdsa_der_to_raw(sig, (size_t)n, out + signed_len);
		if (r < 0)
			return r;
	} else if ((size_t)n == slen) {
		memcpy(out + signed_len, sig, slen);
	} else {
		return OM_ECRYPTO;
	}
	return (int)(signed_len + slen);
}

int omo_mobj_open(const uint8_t *obj, size_t len, uint8_t type, EVP_PKEY *pub, const uint8_t **body,
		  size_t *body_len)
{
	uint8_t der[OM_SIG_MAX_LEN];
	const uint8_t *sig;
	int scheme = scheme_of(pub);
	if (scheme < 0)
		return scheme;
	if (len > OM_MOBJ_MAX)
		return OM_EOBJ_TOO_LONG;
	if (len < MOBJ_HDR)
		return len >= 4 && memcmp(obj, MOBJ_MAGIC, 4) != 0 ? OM_EOBJ_MAGIC : OM_EOBJ_TRUNCATED;
	if (memcmp(obj, MOBJ_MAGIC, 4) != 0)
		return OM_EOBJ_MAGIC;
	/* the type first: which versions exist depends on it */
	if (obj[5] != type)
		return OM_EOBJ_TYPE;
	if (!version_ok(type, obj[4]))
		return OM_EOBJ_VERSION;
	if (obj[6] != scheme)
		return OM_EOBJ_SIG_ALGORITHM;
	size_t blen = get16(obj + 7), slen = sig_len_of(scheme);
	if (len - MOBJ_HDR < blen + slen)
		return OM_EOBJ_TRUNCATED;
	if (len - MOBJ_HDR > blen + slen)
		return OM_EOBJ_TRAILING;
	sig = obj + MOBJ_HDR + blen;
	int n = (int)slen;
	if (scheme == MOBJ_SCHEME_ECDSA_P256) {
		n = ecdsa_raw_to_der(sig, der);
		if (n < 0)
			return n;
		sig = der;
	}
	int r = om_verify(pub, obj, MOBJ_HDR + blen, sig, (size_t)n);
	if (r == OM_EPKI_SIGNATURE)
		return OM_EOBJ_SIGNATURE;
	if (r < 0)
		return r;
	*body = obj + MOBJ_HDR;
	*body_len = blen;
	return 0;
}

int omo_mobj_peek(const uint8_t *obj, size_t len, uint8_t type, const uint8_t **body, size_t *body_len)
{
	if (len > OM_MOBJ_MAX)
		return OM_EOBJ_TOO_LONG;
	if (len < MOBJ_HDR)
		return OM_EOBJ_TRUNCATED;
	if (memcmp(obj, MOBJ_MAGIC, 4) != 0)
		return OM_EOBJ_MAGIC;
	/* the type first: which versions exist depends on it */
	if (obj[5] != type)
		return OM_EOBJ_TYPE;
	if (!version_ok(type, obj[4]))
		return OM_EOBJ_VERSION;
	size_t blen = get16(obj + 7);
	if (len - MOBJ_HDR < blen)
		return OM_EOBJ_TRUNCATED;
	*body = obj + MOBJ_HDR;
	*body_len = blen;
	return 0;
}

int omo_text_ok(const char *s, size_t len, size_t max, char lo)
{
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < lo || s[i] > '~')
			return 0;
	return 1;
}

int omo_take_text(struct omo_rd *d, char *dst, size_t max, char lo)
{
	if (d->len - d->pos < 1)
		return OM_EOBJ_TRUNCATED;
	size_t n = d->p[d->pos];
	if (d->len - d->pos - 1 < n)
		return OM_EOBJ_TRUNCATED;
	if (!omo_text_ok((const char *)d->p + d->pos + 1, n, max, lo))
		return OM_EOBJ_FIELD;
	memcpy(dst, d->p + d->pos + 1, n);
	dst[n] = '\0';
	d->pos += 1 + n;
	return 0;
}

int omo_take_raw(struct omo_rd *d, void *dst, size_t n)
{
	if (d->len - d->pos < n)
		return OM_EOBJ_TRUNCATED;
	memcpy(dst, d->p + d->pos, n);
	d->pos += n;
	return 0;
}

int omo_take_i64(struct omo_rd *d, int64_t *v)
{
	uint64_t u = 0;
	if (d->len - d->pos < 8)
		return OM_EOBJ_TRUNCATED;
	for (int i = 0; i < 8; i++)
		u = u << 8 | d->p[d->pos + (size_t)i];
	d->pos += 8;
	*v = (int64_t)u;
	return 0;
}

int omo_put_text(struct omo_wr *w, const char *s, size_t size, size_t max, char lo)
{
	size_t n = strnlen(s, size);
	if (n == size || !omo_text_ok(s, n, max, lo))
		return OM_EINVAL;
	if (w->cap - w->pos < 1 + n)
		return OM_EOBJ_TOO_LONG;
	w->p[w->pos++] = (uint8_t)n;
	memcpy(w->p + w->pos, s, n);
	w->pos += n;
	return 0;
}

int omo_put_raw(struct omo_wr *w, const void *b, size_t n)
{
	if (w->cap - w->pos < n)
		return OM_EOBJ_TOO_LONG;
	memcpy(w->p + w->pos, b, n);
	w->pos += n;
	return 0;
}

int omo_put_i64(struct omo_wr *w, int64_t v)
{
	uint64_t u = (uint64_t)v;
	if (w->cap - w->pos < 8)
		return OM_EOBJ_TOO_LONG;
	for (int i = 7; i >= 0; i--)
		w->p[w->pos++] = (uint8_t)(u >> (8 * i));
	return 0;
}
