/* SPDX-License-Identifier: Apache-2.0 */
/*
 * M2MMobj (B.2.3.4 II): {TRE info, nonceA, nonceB} signed with PrK_TRE.
 * Body (docs/formats.md): tre_id, tre_type, firmware_version as
 * length-prefixed text, nonceA, nonceB, the TRE's state counter (8 bytes,
 * big-endian; version 2 on), the number of MIDs the TRE holds blocked (1
 * byte; version 3 on), then a count and that many {name, SHA-256}
 * measurements, then the TPM quote over nonceA | nonceB (version 4 on;
 * an empty one from a TRE that is not a TPM). Version 1 objects (no
 * counter) are still read, with counter 0, version 2 ones with no MID
 * blocked, and version 3 ones without a quote. TRE_id comes first so that the DPF can read
 * it (unverified) to find Cert_TRE.
 */
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/be.h>
#include <openmcim/mobj.h>

#include "mobj_int.h"

#define NAME_MAX_LEN 63 /* tre_type and measurement names: char[64] */
#define FW_MAX_LEN 31

static int put_text(uint8_t *out, size_t cap, size_t *o, const char *s, size_t size, size_t max, char lo)
{
	size_t n = strnlen(s, size);
	if (!omo_text_ok(s, n, max, lo))
		return OM_EINVAL;
	if (cap - *o < 1 + n)
		return OM_ENOSPC;
	out[(*o)++] = (uint8_t)n;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

static int put_raw(uint8_t *out, size_t cap, size_t *o, const void *b, size_t n)
{
	if (cap - *o < n)
		return OM_ENOSPC;
	memcpy(out + *o, b, n);
	*o += n;
	return 0;
}

static int put_len16(uint8_t *out, size_t cap, size_t *o, size_t n)
{
	uint8_t b[2];
	om_be_put(b, n, 2);
	return put_raw(out, cap, o, b, 2);
}

/* A: 2 bytes, 0 for none; then TPMS_ATTEST, S: 2 bytes, TPMT_SIGNATURE, n: 1 byte, n PCR values. */
static int put_quote(uint8_t *out, size_t cap, size_t *o, const struct om_quote *q)
{
	int r;
	if (!q->attest_len)
		return put_len16(out, cap, o, 0);
	if (q->attest_len > OM_QUOTE_ATTEST_MAX || !q->sig_len || q->sig_len > OM_QUOTE_SIG_MAX || !q->n_pcr ||
	    q->n_pcr > OM_QUOTE_PCRS_MAX)
		return OM_EINVAL;
	uint8_t n8 = (uint8_t)q->n_pcr;
	if ((r = put_len16(out, cap, o, q->attest_len)) < 0 || (r = put_raw(out, cap, o, q->attest, q->attest_len)) < 0 ||
	    (r = put_len16(out, cap, o, q->sig_len)) < 0 || (r = put_raw(out, cap, o, q->sig, q->sig_len)) < 0 ||
	    (r = put_raw(out, cap, o, &n8, 1)) < 0)
		return r;
	return put_raw(out, cap, o, q->pcr, 32 * q->n_pcr);
}

int om_m2mmobj_build(const struct om_tre_info *info, const uint8_t nonce_a[static OM_NONCE_LEN],
		     const uint8_t nonce_b[static OM_NONCE_LEN], EVP_PKEY *tre_sign_key, uint8_t *out, size_t cap)
{
	int r = OM_EINVAL;
	size_t o = MOBJ_HDR;
	uint8_t n8, c8[8];

	if (!out)
		return OM_EINVAL;
	if (!info || !tre_sign_key || info->n_measurements > OM_MEASUREMENTS_MAX)
		goto out;
	if (cap < MOBJ_HDR) {
		r = OM_ENOSPC;
		goto out;
	}
	if ((r = put_text(out, cap, &o, info->tre_id, sizeof(info->tre_id), OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = put_text(out, cap, &o, info->tre_type, sizeof(info->tre_type), NAME_MAX_LEN, MOBJ_TEXT_LO)) < 0 ||
	    (r = put_text(out, cap, &o, info->firmware_version, sizeof(info->firmware_version), FW_MAX_LEN,
			  MOBJ_TEXT_LO)) < 0 ||
	    (r = put_raw(out, cap, &o, nonce_a, OM_NONCE_LEN)) < 0 ||
	    (r = put_raw(out, cap, &o, nonce_b, OM_NONCE_LEN)) < 0)
		goto out;
	om_be_put(c8, info->counter, 8);
	if (info->n_blocked > OM_MOBJ_BLOCKED_MAX) {
		r = OM_EINVAL;
		goto out;
	}
	if ((r = put_raw(out, cap, &o, c8, 8)) < 0 || (r = put_raw(out, cap, &o, &info->n_blocked, 1)) < 0)
		goto out;
	n8 = (uint8_t)info->n_measurements;
	if ((r = put_raw(out, cap, &o, &n8, 1)) < 0)
		goto out;
	for (size_t i = 0; i < info->n_measurements; i++) {
		const struct om_measurement *m = &info->m[i];
		if ((r = put_text(out, cap, &o, m->name, sizeof(m->name), NAME_MAX_LEN, MOBJ_TEXT_LO)) < 0 ||
		    (r = put_raw(out, cap, &o, m->sha256, sizeof(m->sha256))) < 0)
			goto out;
	}
	if ((r = put_quote(out, cap, &o, &info->quote)) < 0)
		goto out;
	r = omo_mobj_sign(MOBJ_TYPE_M2MMOBJ, tre_sign_key, out, cap, o - MOBJ_HDR);
out:
	if (r < 0)
		memset(out, 0, cap);
	return r;
}

/* A 2-byte length of 0 (none allowed: zero_ok) to max. */
static int take_len16(struct omo_rd *d, size_t *n, size_t max, int zero_ok)
{
	uint8_t b[2];
	int r = omo_take_raw(d, b, 2);
	if (r < 0)
		return r;
	*n = (size_t)om_be_get(b, 2);
	return (*n == 0 && !zero_ok) || *n > max ? OM_EOBJ_FIELD : 0;
}

static int take_quote(struct omo_rd *d, struct om_quote *q)
{
	uint8_t n8;
	int r;
	if ((r = take_len16(d, &q->attest_len, OM_QUOTE_ATTEST_MAX, 1)) < 0 || !q->attest_len)
		return r;
	if ((r = omo_take_raw(d, q->attest, q->attest_len)) < 0 ||
	    (r = take_len16(d, &q->sig_len, OM_QUOTE_SIG_MAX, 0)) < 0 || (r = omo_take_raw(d, q->sig, q->sig_len)) < 0 ||
	    (r = omo_take_raw(d, &n8, 1)) < 0)
		return r;
	if (n8 == 0 || n8 > OM_QUOTE_PCRS_MAX)
		return OM_EOBJ_COUNT;
	q->n_pcr = n8;
	return omo_take_raw(d, q->pcr, 32 * q->n_pcr);
}

/* Parse a body into t; the signature was checked first (or it is a peek). */
static int parse_body(struct omo_rd *d, uint8_t version, struct om_tre_info *t, uint8_t na[static OM_NONCE_LEN],
		      uint8_t nb[static OM_NONCE_LEN])
{
	int r;
	uint8_t n8, c8[8];
	if ((r = omo_take_text(d, t->tre_id, OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_text(d, t->tre_type, NAME_MAX_LEN, MOBJ_TEXT_LO)) < 0 ||
	    (r = omo_take_text(d, t->firmware_version, FW_MAX_LEN, MOBJ_TEXT_LO)) < 0 ||
	    (r = omo_take_raw(d, na, OM_NONCE_LEN)) < 0 || (r = omo_take_raw(d, nb, OM_NONCE_LEN)) < 0)
		return r;
	t->counter = 0;
	if (version >= 2) {
		if ((r = omo_take_raw(d, c8, 8)) < 0)
			return r;
		t->counter = om_be_get(c8, 8);
	}
	t->n_blocked = 0;
	if (version >= 3) {
		if ((r = omo_take_raw(d, &t->n_blocked, 1)) < 0)
			return r;
		if (t->n_blocked > OM_MOBJ_BLOCKED_MAX)
			return OM_EOBJ_FIELD;
	}
	if ((r = omo_take_raw(d, &n8, 1)) < 0)
		return r;
	if (n8 > OM_MEASUREMENTS_MAX)
		return OM_EOBJ_COUNT;
	t->n_measurements = n8;
	for (size_t i = 0; i < n8; i++)
		if ((r = omo_take_text(d, t->m[i].name, NAME_MAX_LEN, MOBJ_TEXT_LO)) < 0 ||
		    (r = omo_take_raw(d, t->m[i].sha256, sizeof(t->m[i].sha256))) < 0)
			return r;
	if (version >= 4 && (r = take_quote(d, &t->quote)) < 0)
		return r;
	/* inside a signed body a leftover is a signer's bug, still refused */
	return d->pos == d->len ? 0 : OM_EOBJ_TRAILING;
}

int om_m2mmobj_peek_tre_id(const uint8_t *obj, size_t len, char tre_id[static OM_TRE_ID_MAX + 1])
{
	const uint8_t *body;
	size_t blen;
	char id[OM_TRE_ID_MAX + 1];
	if (!obj)
		return OM_EINVAL;
	int r = omo_mobj_peek(obj, len, MOBJ_TYPE_M2MMOBJ, &body, &blen);
	if (r < 0)
		return r;
	struct omo_rd d = { body, blen, 0 };
	if ((r = omo_take_text(&d, id, OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0)
		return r;
	memcpy(tre_id, id, sizeof(id));
	return (int)strlen(tre_id);
}

int om_m2mmobj_verify(const uint8_t *obj, size_t len, EVP_PKEY *tre_sign_pub, struct om_tre_info *info,
		      uint8_t nonce_a[static OM_NONCE_LEN], uint8_t nonce_b[static OM_NONCE_LEN])
{
	const uint8_t *body;
	size_t blen;
	struct om_tre_info t;
	uint8_t na[OM_NONCE_LEN], nb[OM_NONCE_LEN];
	if (!obj || !tre_sign_pub || !info)
		return OM_EINVAL;
	int r = omo_mobj_open(obj, len, MOBJ_TYPE_M2MMOBJ, tre_sign_pub, &body, &blen);
	if (r < 0)
		return r;
	memset(&t, 0, sizeof(t));
	struct omo_rd d = { body, blen, 0 };
	if ((r = parse_body(&d, obj[4], &t, na, nb)) < 0)
		goto out;
	*info = t;
	memcpy(nonce_a, na, OM_NONCE_LEN);
	memcpy(nonce_b, nb, OM_NONCE_LEN);
out:
	OPENSSL_cleanse(na, sizeof(na));
	OPENSSL_cleanse(nb, sizeof(nb));
	return r;
}
