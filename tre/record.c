/* SPDX-License-Identifier: Apache-2.0 */
/* The TRE's sealed records: encoding and strict parsing (record.h, docs/tre.md). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <openmcim/be.h>
#include <openmcim/buf.h>
#include <openmcim/pki.h>

#include "record.h"

static const uint8_t state_magic[4] = { 'O', 'M', 'T', 'R' };
static const uint8_t mid_magic[4] = { 'O', 'M', 'T', 'M' };

enum {
	ST_TRE_ID = 0x01,
	ST_TRE_TYPE = 0x02,
	ST_FIRMWARE = 0x03,
	ST_RO_ID = 0x04,
	ST_MEASUREMENT = 0x05, /* repeated: sha256(32) | name */
	ST_SIGN_KEY = 0x06,
	ST_ENC_KEY = 0x07,
	ST_SIGN_CERT = 0x08,
	ST_ENC_CERT = 0x09,
	ST_ROOT = 0x0a,
	ST_ROOT_PREV = 0x0b,
	ST_SEQUENCE = 0x0c,
	ST_SEEN = 0x0d,        /* repeated: nonceA(16) */
	ST_MID = 0x0e,         /* repeated: mid(16) | state(1) | is_pcid(1) | owner */
	ST_ACTIVE = 0x0f,
	ST_PENDING = 0x10,     /* prev mid(16) | deadline(8) */
	ST_SESSION = 0x11,     /* nonceA(16) | len|username | len|password | len|server_id
				  version 3 adds: | len|provurl | len|apn | flags(1)
				  version 4 adds: | nonceB(16) | len|imsi */
	ST_COUNTER = 0x12,     /* version 4: the state counter (8, BE) */
	ST_LAST = ST_COUNTER,
};
#define ST_MANDATORY ((1u << ST_TRE_ID) | (1u << ST_TRE_TYPE) | (1u << ST_FIRMWARE) | (1u << ST_RO_ID) | \
		      (1u << ST_SIGN_KEY) | (1u << ST_ENC_KEY) | (1u << ST_SIGN_CERT) |                 \
		      (1u << ST_ENC_CERT) | (1u << ST_ROOT) | (1u << ST_SEQUENCE))
#define ST_REPEATED ((1u << ST_MEASUREMENT) | (1u << ST_SEEN) | (1u << ST_MID))

enum {
	MR_MID = 0x01,
	MR_IS_PCID = 0x02,
	MR_OWNER = 0x03,
	MR_MCIM = 0x04,
	MR_SQN = 0x05,
	MR_COUNTER = 0x06, /* version 2: the state counter (8, BE) */
	MR_LAST = MR_COUNTER,
};
#define MR_MANDATORY 0x3eu

/* ---- writer ------------------------------------------------------------------- */

static void w_tlv_hdr(struct om_buf *w, uint8_t tag, size_t len)
{
	if (len > 0xffff) {
		om_buf_fail(w, OM_EINVAL);
		return;
	}
	uint8_t h[3] = { tag };
	om_be_put(h + 1, len, 2);
	om_buf_put(w, h, 3);
}

static void w_tlv(struct om_buf *w, uint8_t tag, const void *v, size_t len)
{
	w_tlv_hdr(w, tag, len);
	om_buf_put(w, v, len);
}

static void w_str(struct om_buf *w, uint8_t tag, const char *s)
{
	w_tlv(w, tag, s, strlen(s));
}


static void w_small_str(struct om_buf *w, const char *s)
{
	size_t n = strlen(s);
	uint8_t l = (uint8_t)n;
	if (n > 255) {
		om_buf_fail(w, OM_EINVAL);
		return;
	}
	om_buf_put(w, &l, 1);
	om_buf_put(w, s, n);
}

int tre_state_encode(const struct tre_state *s, uint8_t **out, size_t *len)
{
	struct om_buf w = OM_BUF_INIT(0);
	uint8_t v[OM_MCIM_MID_LEN + 8 + 2];

	if (!s || !out || !len || s->n_meas > OM_MEASUREMENTS_MAX || s->n_seen > TRE_REPLAY_MAX ||
	    s->n_mids > OM_TRE_MIDS_MAX)
		return OM_EINVAL;
	om_buf_put(&w, state_magic, 4);
	v[0] = TRE_STATE_VERSION;
	om_buf_put(&w, v, 1);
	w_str(&w, ST_TRE_ID, s->tre_id);
	w_str(&w, ST_TRE_TYPE, s->tre_type);
	w_str(&w, ST_FIRMWARE, s->firmware_version);
	w_str(&w, ST_RO_ID, s->ro_id);
	for (size_t i = 0; i < s->n_meas; i++) {
		size_t n = strnlen(s->meas[i].name, sizeof(s->meas[i].name) - 1);
		w_tlv_hdr(&w, ST_MEASUREMENT, 32 + n);
		om_buf_put(&w, s->meas[i].sha256, 32);
		om_buf_put(&w, s->meas[i].name, n);
	}
	w_tlv(&w, ST_SIGN_KEY, s->sign_key.p, s->sign_key.len);
	w_tlv(&w, ST_ENC_KEY, s->enc_key.p, s->enc_key.len);
	w_tlv(&w, ST_SIGN_CERT, s->sign_cert.p, s->sign_cert.len);
	w_tlv(&w, ST_ENC_CERT, s->enc_cert.p, s->enc_cert.len);
	w_tlv(&w, ST_ROOT, s->root.p, s->root.len);
	if (s->root_prev.len)
		w_tlv(&w, ST_ROOT_PREV, s->root_prev.p, s->root_prev.len);
	om_be_put(v, s->sequence, 4);
	w_tlv(&w, ST_SEQUENCE, v, 4);
	for (size_t i = 0; i < s->n_seen; i++)
		w_tlv(&w, ST_SEEN, s->seen[i], OM_NONCE_LEN);
	for (size_t i = 0; i < s->n_mids; i++) {
		const struct tre_mid_entry *e = &s->mids[i];
		size_t n = strnlen(e->owner, sizeof(e->owner) - 1);
		w_tlv_hdr(&w, ST_MID, OM_MCIM_MID_LEN + 2 + n);
		om_buf_put(&w, e->mid, OM_MCIM_MID_LEN);
		v[0] = e->state;
		v[1] = e->is_pcid;
		om_buf_put(&w, v, 2);
		om_buf_put(&w, e->owner, n);
	}
	if (s->has_active)
		w_tlv(&w, ST_ACTIVE, s->active, OM_MCIM_MID_LEN);
	if (s->pending) {
		memcpy(v, s->pend_prev, OM_MCIM_MID_LEN);
		om_be_put(v + OM_MCIM_MID_LEN, (uint64_t)s->deadline, 8);
		w_tlv(&w, ST_PENDING, v, OM_MCIM_MID_LEN + 8);
	}
	if (s->session.present) {
		const struct tre_session *se = &s->session;
		w_tlv_hdr(&w, ST_SESSION, 2 * OM_NONCE_LEN + 7 + strlen(se->username) + strlen(se->password) +
						  strlen(se->server_id) + strlen(se->provurl) + strlen(se->apn) +
						  strlen(se->imsi));
		om_buf_put(&w, se->nonce_a, OM_NONCE_LEN);
		w_small_str(&w, se->username);
		w_small_str(&w, se->password);
		w_small_str(&w, se->server_id);
		w_small_str(&w, se->provurl);
		w_small_str(&w, se->apn);
		om_buf_put(&w, &se->flags, 1);
		om_buf_put(&w, se->nonce_b, OM_NONCE_LEN);
		w_small_str(&w, se->imsi);
	}
	om_be_put(v, s->counter, 8);
	w_tlv(&w, ST_COUNTER, v, 8);
	OPENSSL_cleanse(v, sizeof(v));
	return om_buf_take(&w, out, len);
}

/* ---- reader ------------------------------------------------------------------- */

/* Copy a string value: no NUL inside, min..max bytes. */
static int r_str(char *dst, size_t dst_size, const uint8_t *v, size_t n, size_t min)
{
	if (n < min || n >= dst_size || memchr(v, 0, n))
		return OM_ETRE_STATE;
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static int r_blob(struct tre_blob *b, const uint8_t *v, size_t n)
{
	if (n == 0 || n > TRE_BLOB_MAX)
		return OM_ETRE_STATE;
	return tre_blob_set(b, v, n);
}

/* One length-prefixed string inside the session value. */
static int r_small_str(char *dst, size_t dst_size, const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return OM_ETRE_STATE;
	size_t n = **p;
	(*p)++;
	if ((size_t)(end - *p) < n)
		return OM_ETRE_STATE;
	int rc = r_str(dst, dst_size, *p, n, 0);
	*p += n;
	return rc;
}

/* A private key: a key blob (version 2), or PKCS#8 DER taken as one (version 1). */
static int r_key(struct tre_blob *b, const uint8_t *v, size_t n, unsigned version)
{
	int rc;
	if (n == 0 || n >= TRE_BLOB_MAX)
		return OM_ETRE_STATE;
	if (version == 1) {
		if ((rc = tre_blob_set(b, NULL, n + 1)) != 0)
			return rc;
		b->p[0] = TRE_KEY_PKCS8;
		memcpy(b->p + 1, v, n);
	} else if ((rc = tre_blob_set(b, v, n)) != 0) {
		return rc;
	}
	return tre_key_blob_ok(b) ? 0 : OM_ETRE_STATE;
}

static int state_field(struct tre_state *s, unsigned version, uint8_t tag, const uint8_t *v, size_t n)
{
	switch (tag) {
	case ST_TRE_ID:
		return r_str(s->tre_id, sizeof(s->tre_id), v, n, 1);
	case ST_TRE_TYPE:
		return r_str(s->tre_type, sizeof(s->tre_type), v, n, 0);
	case ST_FIRMWARE:
		return r_str(s->firmware_version, sizeof(s->firmware_version), v, n, 0);
	case ST_RO_ID:
		return r_str(s->ro_id, sizeof(s->ro_id), v, n, 1);
	case ST_MEASUREMENT:
		if (n < 32 || s->n_meas >= OM_MEASUREMENTS_MAX)
			return OM_ETRE_STATE;
		memcpy(s->meas[s->n_meas].sha256, v, 32);
		if (r_str(s->meas[s->n_meas].name, sizeof(s->meas[0].name), v + 32, n - 32, 0))
			return OM_ETRE_STATE;
		s->n_meas++;
		return 0;
	case ST_SIGN_KEY:
		return r_key(&s->sign_key, v, n, version);
	case ST_ENC_KEY:
		return r_key(&s->enc_key, v, n, version);
	case ST_SIGN_CERT:
		return r_blob(&s->sign_cert, v, n);
	case ST_ENC_CERT:
		return r_blob(&s->enc_cert, v, n);
	case ST_ROOT:
		return r_blob(&s->root, v, n);
	case ST_ROOT_PREV:
		return r_blob(&s->root_prev, v, n);
	case ST_SEQUENCE:
		if (n != 4)
			return OM_ETRE_STATE;
		s->sequence = (uint32_t)om_be_get(v, 4);
		return 0;
	case ST_SEEN:
		if (n != OM_NONCE_LEN || s->n_seen >= TRE_REPLAY_MAX)
			return OM_ETRE_STATE;
		memcpy(s->seen[s->n_seen++], v, OM_NONCE_LEN);
		return 0;
	case ST_MID: {
		if (n < OM_MCIM_MID_LEN + 3 || s->n_mids >= OM_TRE_MIDS_MAX)
			return OM_ETRE_STATE;
		struct tre_mid_entry *e = &s->mids[s->n_mids];
		memcpy(e->mid, v, OM_MCIM_MID_LEN);
		e->state = v[OM_MCIM_MID_LEN];
		e->is_pcid = v[OM_MCIM_MID_LEN + 1];
		if (e->state < OM_TRE_MID_INSTALLED || e->state > OM_TRE_MID_BLOCKED || e->is_pcid > 1)
			return OM_ETRE_STATE;
		for (size_t i = 0; i < s->n_mids; i++)
			if (memcmp(s->mids[i].mid, e->mid, OM_MCIM_MID_LEN) == 0)
				return OM_ETRE_STATE;
		if (r_str(e->owner, sizeof(e->owner), v + OM_MCIM_MID_LEN + 2, n - OM_MCIM_MID_LEN - 2, 1))
			return OM_ETRE_STATE;
		s->n_mids++;
		return 0;
	}
	case ST_ACTIVE:
		if (n != OM_MCIM_MID_LEN)
			return OM_ETRE_STATE;
		memcpy(s->active, v, n);
		s->has_active = 1;
		return 0;
	case ST_PENDING: {
		if (n != OM_MCIM_MID_LEN + 8)
			return OM_ETRE_STATE;
		memcpy(s->pend_prev, v, OM_MCIM_MID_LEN);
		uint64_t d = om_be_get(v + OM_MCIM_MID_LEN, 8);
		if (d > INT64_MAX)
			return OM_ETRE_STATE;
		s->deadline = (int64_t)d;
		s->pending = 1;
		return 0;
	}
	case ST_SESSION: {
		const uint8_t *p = v + OM_NONCE_LEN, *end = v + n;
		struct tre_session *se = &s->session;
		if (n < OM_NONCE_LEN + 3)
			return OM_ETRE_STATE;
		memcpy(se->nonce_a, v, OM_NONCE_LEN);
		if (r_small_str(se->username, sizeof(se->username), &p, end) ||
		    r_small_str(se->password, sizeof(se->password), &p, end) ||
		    r_small_str(se->server_id, sizeof(se->server_id), &p, end))
			return OM_ETRE_STATE;
		if (version >= 3) {
			if (r_small_str(se->provurl, sizeof(se->provurl), &p, end) ||
			    r_small_str(se->apn, sizeof(se->apn), &p, end) || end - p < 1 ||
			    (*p & ~TRE_SESSION_FLAGS))
				return OM_ETRE_STATE;
			se->flags = *p++;
		}
		if (version >= 4) {
			if (end - p < OM_NONCE_LEN)
				return OM_ETRE_STATE;
			memcpy(se->nonce_b, p, OM_NONCE_LEN);
			p += OM_NONCE_LEN;
			if (r_small_str(se->imsi, sizeof(se->imsi), &p, end))
				return OM_ETRE_STATE;
		}
		if (p != end)
			return OM_ETRE_STATE;
		se->present = 1;
		return 0;
	}
	case ST_COUNTER:
		if (n != 8)
			return OM_ETRE_STATE;
		s->counter = om_be_get(v, 8);
		return 0;
	default:
		return OM_ETRE_STATE;
	}
}

struct state_ctx {
	struct tre_state *s;
	unsigned version;
};

/*
 * Walk "magic | version | TLV*", calling field() for each; seen-once rules.
 * The version must be in oldest..newest; the caller's ctx gets it first
 * through *version (NULL: not wanted).
 */
static int walk(const uint8_t *in, size_t len, const uint8_t magic[static 4], unsigned oldest, unsigned newest,
		unsigned *version, unsigned last, unsigned repeated, unsigned mandatory,
		int (*field)(void *ctx, uint8_t tag, const uint8_t *v, size_t n), void *ctx)
{
	uint32_t seen = 0;
	size_t off = 5;

	if (!in || len < 5 || memcmp(in, magic, 4) != 0)
		return OM_ETRE_STATE;
	if (in[4] < oldest || in[4] > newest)
		return OM_ETRE_STATE_VERSION;
	if (version)
		*version = in[4];
	while (off < len) {
		if (len - off < 3)
			return OM_ETRE_STATE;
		uint8_t tag = in[off];
		size_t n = (size_t)om_be_get(in + off + 1, 2);
		off += 3;
		if (n > len - off || tag == 0 || tag > last)
			return OM_ETRE_STATE;
		if ((seen & (1u << tag)) && !(repeated & (1u << tag)))
			return OM_ETRE_STATE;
		seen |= 1u << tag;
		int rc = field(ctx, tag, in + off, n);
		if (rc)
			return rc;
		off += n;
	}
	return (seen & mandatory) == mandatory ? 0 : OM_ETRE_STATE;
}

static int state_field_cb(void *ctx, uint8_t tag, const uint8_t *v, size_t n)
{
	struct state_ctx *c = ctx;
	return state_field(c->s, c->version, tag, v, n);
}

int tre_state_parse(struct tre_state *s, const uint8_t *in, size_t len)
{
	if (!s)
		return OM_EINVAL;
	memset(s, 0, sizeof(*s));
	struct state_ctx c = { s, 0 };
	int rc = walk(in, len, state_magic, 1, TRE_STATE_VERSION, &c.version, ST_LAST, ST_REPEATED, ST_MANDATORY,
		      state_field_cb, &c);
	/* Cross-field rules: the active MID and the pending one's predecessor are registered. */
	if (!rc && s->has_active) {
		int found = 0, prev_found = !s->pending;
		for (size_t i = 0; i < s->n_mids; i++) {
			found |= memcmp(s->mids[i].mid, s->active, OM_MCIM_MID_LEN) == 0;
			prev_found |= memcmp(s->mids[i].mid, s->pend_prev, OM_MCIM_MID_LEN) == 0;
		}
		if (!found || !prev_found)
			rc = OM_ETRE_STATE;
	} else if (!rc && s->pending) {
		rc = OM_ETRE_STATE;
	}
	if (rc)
		tre_state_clear(s);
	return rc;
}

void tre_blob_free(struct tre_blob *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->len);
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
}

int tre_blob_set(struct tre_blob *dst, const uint8_t *p, size_t len)
{
	uint8_t *q = NULL;
	if (len) {
		q = malloc(len);
		if (!q)
			return OM_ENOMEM;
		if (p)
			memcpy(q, p, len);
		else
			memset(q, 0, len);
	}
	tre_blob_free(dst);
	dst->p = q;
	dst->len = len;
	return 0;
}

void tre_state_clear(struct tre_state *s)
{
	if (!s)
		return;
	tre_blob_free(&s->sign_key);
	tre_blob_free(&s->enc_key);
	tre_blob_free(&s->sign_cert);
	tre_blob_free(&s->enc_cert);
	tre_blob_free(&s->root);
	tre_blob_free(&s->root_prev);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* ---- MID record ----------------------------------------------------------------- */

int tre_mid_encode(const struct tre_mid_record *m, uint8_t **out, size_t *len)
{
	struct om_buf w = OM_BUF_INIT(0);
	uint8_t tlv[OM_MCIM_ENCODED_MAX];
	uint8_t sqn[OM_USIM_SQN_STATE_LEN];
	uint8_t ver = TRE_MID_VERSION;
	int n, rc = 0;

	if (!m || !out || !len)
		return OM_EINVAL;
	n = om_mcim_encode(&m->mcim, tlv, sizeof(tlv));
	if (n < 0)
		return n;
	if (om_usim_sqn_serialise(sqn, &m->sqn) != OM_USIM_SQN_STATE_LEN) {
		rc = OM_EINVAL;
		goto out;
	}
	om_buf_put(&w, mid_magic, 4);
	om_buf_put(&w, &ver, 1);
	w_tlv(&w, MR_MID, m->mid, OM_MCIM_MID_LEN);
	w_tlv(&w, MR_IS_PCID, &m->is_pcid, 1);
	w_str(&w, MR_OWNER, m->owner);
	w_tlv(&w, MR_MCIM, tlv, (size_t)n);
	w_tlv(&w, MR_SQN, sqn, sizeof(sqn));
	uint8_t c8[8];
	om_be_put(c8, m->counter, 8);
	w_tlv(&w, MR_COUNTER, c8, 8);
	rc = om_buf_take(&w, out, len);
out:
	OPENSSL_cleanse(tlv, sizeof(tlv));
	return rc;
}

static int mid_field_cb(void *ctx, uint8_t tag, const uint8_t *v, size_t n)
{
	struct tre_mid_record *m = ctx;
	switch (tag) {
	case MR_MID:
		if (n != OM_MCIM_MID_LEN)
			return OM_ETRE_STATE;
		memcpy(m->mid, v, n);
		return 0;
	case MR_IS_PCID:
		if (n != 1 || v[0] > 1)
			return OM_ETRE_STATE;
		m->is_pcid = v[0];
		return 0;
	case MR_OWNER:
		return r_str(m->owner, sizeof(m->owner), v, n, 1);
	case MR_MCIM:
		return om_mcim_decode(&m->mcim, v, n) == 0 ? 0 : OM_ETRE_STATE;
	case MR_SQN:
		return om_usim_sqn_parse(&m->sqn, v, n) == 0 ? 0 : OM_ETRE_STATE;
	case MR_COUNTER:
		if (n != 8)
			return OM_ETRE_STATE;
		m->counter = om_be_get(v, 8);
		return 0;
	default:
		return OM_ETRE_STATE;
	}
}

int tre_mid_parse(struct tre_mid_record *m, const uint8_t *in, size_t len)
{
	if (!m)
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	int rc = walk(in, len, mid_magic, 1, TRE_MID_VERSION, NULL, MR_LAST, 0, MR_MANDATORY,
		      mid_field_cb, m);
	if (rc)
		tre_mid_clear(m);
	return rc;
}

void tre_mid_clear(struct tre_mid_record *m)
{
	if (m)
		OPENSSL_cleanse(m, sizeof(*m));
}

/* ---- key blobs ------------------------------------------------------------------ */

int tre_key_blob_ok(const struct tre_blob *b)
{
	if (!b->p || b->len < 2)
		return 0;
	switch (b->p[0]) {
	case TRE_KEY_P256:
		return b->len == TRE_KEY_P256_LEN && b->p[1 + 32] == 0x04;
	case TRE_KEY_X25519:
		return b->len == TRE_KEY_X25519_LEN;
	case TRE_KEY_P11:
		return b->len == TRE_KEY_P11_LEN && b->p[1 + 16] == 0x04;
	case TRE_KEY_PKCS8:
	case TRE_KEY_TPM:
		return b->p[1] == 0x30; /* a DER SEQUENCE; its decoder says the rest */
	default:
		return 0;
	}
}

/* d | Q of a named P-256 key whose point is kept uncompressed; 0 or -1. */
static int p256_raw(const EVP_PKEY *key, uint8_t out[static 32 + 65])
{
	BIGNUM *d = NULL;
	size_t n = 0;
	int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
		 BN_bn2binpad(d, out, 32) == 32 &&
		 EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out + 32, 65, &n) == 1 &&
		 n == 65 && out[32] == 0x04;
	BN_clear_free(d);
	return ok ? 0 : -1;
}

int tre_key_encode(const EVP_PKEY *key, struct tre_blob *out)
{
	uint8_t raw[TRE_KEY_P256_LEN];
	uint8_t *der = NULL;
	size_t n = 0, der_len = 0;
	int type = key ? om_key_type_of(key) : OM_EINVAL, rc;

	const uint8_t *released;
	size_t released_len;
	if (key && om_key_hw_blob(key, &released, &released_len))
		return released_len > 1 && (released[0] == TRE_KEY_TPM || released[0] == TRE_KEY_P11)
			       ? tre_blob_set(out, released, released_len)
			       : OM_EINVAL;
	if (key && om_key_hw(key, NULL, NULL))
		return tre_hw_key_encode(key, out);
	if (type == OM_KEY_EC_P256 && p256_raw(key, raw + 1) == 0) {
		raw[0] = TRE_KEY_P256;
		n = TRE_KEY_P256_LEN;
	} else if (type == OM_KEY_X25519) {
		n = 32;
		if (EVP_PKEY_get_raw_private_key(key, raw + 1, &n) != 1 || n != 32) {
			rc = OM_EINVAL;
			goto out;
		}
		raw[0] = TRE_KEY_X25519;
		n = TRE_KEY_X25519_LEN;
	}
	if (n) {
		rc = tre_blob_set(out, raw, n);
		goto out;
	}
	/* RSA (or a P-256 key with a compressed point): PKCS#8 through the encoder. */
	if ((rc = om_key_encode_private(key, OM_ENC_DER, &der, &der_len)) != 0)
		goto out;
	if (der_len + 1 > TRE_BLOB_MAX) {
		rc = OM_EINVAL;
	} else if ((rc = tre_blob_set(out, NULL, der_len + 1)) == 0) {
		out->p[0] = TRE_KEY_PKCS8;
		memcpy(out->p + 1, der, der_len);
	}
	om_pki_free(der, der_len);
out:
	ERR_clear_error();
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* The P-256 key of d | Q: no pairwise check, the blob is sealed (AES-GCM). */
static EVP_PKEY *p256_from_raw(const uint8_t *raw)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *d = BN_secure_new();

	if (!bld || !d || !BN_bin2bn(raw, 32, d) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw + 32, 65) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) || !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* the secure BN's block is cleansed (OPENSSL_secure_clear_free) */
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return key;
}

int tre_key_decode(EVP_PKEY **out, const struct tre_blob *in)
{
	EVP_PKEY *key = NULL;
	int rc = OM_ETRE_STATE;

	if (!out || !in || !tre_key_blob_ok(in))
		return OM_ETRE_STATE;
	switch (in->p[0]) {
	case TRE_KEY_P256:
		key = p256_from_raw(in->p + 1);
		rc = key && om_key_type_of(key) == OM_KEY_EC_P256 ? 0 : OM_ETRE_STATE;
		break;
	case TRE_KEY_X25519:
		key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, in->p + 1, 32);
		rc = key ? 0 : OM_ETRE_STATE;
		break;
	case TRE_KEY_PKCS8:
		rc = om_key_decode_private(&key, OM_ENC_DER, in->p + 1, in->len - 1) == 0 ? 0 : OM_ETRE_STATE;
		break;
	}
	ERR_clear_error();
	if (rc) {
		EVP_PKEY_free(key);
		return rc;
	}
	*out = key;
	return 0;
}
