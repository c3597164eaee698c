/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handover request of spec/002 B.2.3.2 step 2, from SHO[i+1] to the
 * DRF of SHO[i]. Same framing as M2MMobj (mobj.c, docs/formats.md "Handover
 * request (B.2.3.2)"), object type 03, signed by the new SHO:
 *
 *   "OMMO" | 01 | 03 | scheme | body length (2) | body | signature
 *
 * Body: new_sho_id first (so the receiver can peek it to choose the key),
 * then request_id, tre_id, provurl, server_id, apn as 1-byte-length text,
 * the transfer code's proof (32 bytes), created (8, signed, big-endian),
 * Cert_SHO[i+1] and the credentials object as 2-byte-length blobs. The text rules are the
 * bootstrap's (omo_bootstrap_check), so a request we accept always makes a
 * bootstrap. Nothing of the body is read before the signature verified.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/base32.h>
#include <openmcim/be.h>
#include <openmcim/handover.h>

#include "bootstrap_int.h"
#include "mobj_int.h"
#include "objects_int.h"

#define MOBJ_TYPE_HANDOVER 0x03

static int put_blob(struct omo_wr *w, const uint8_t *b, size_t n, size_t max)
{
	if (!b || n == 0 || n > max)
		return OM_EINVAL;
	if (w->cap - w->pos < 2 + n)
		return OM_EOBJ_TOO_LONG;
	om_be_put(w->p + w->pos, n, 2);
	w->pos += 2;
	memcpy(w->p + w->pos, b, n);
	w->pos += n;
	return 0;
}

/* The fields the bootstrap will carry, checked by the bootstrap's own rules. */
static int bootstrap_fields_ok(const struct om_handover_req *r)
{
	struct om_bootstrap b;
	memset(&b, 0, sizeof(b));
	memcpy(b.provurl, r->provurl, sizeof(b.provurl));
	memcpy(b.server_id, r->server_id, sizeof(b.server_id));
	memcpy(b.apn, r->apn, sizeof(b.apn));
	b.sho_cert = r->sho_cert;
	b.sho_cert_len = r->sho_cert_len;
	b.creds = r->creds;
	b.creds_len = r->creds_len;
	return omo_bootstrap_check(&b);
}

int om_handover_build_signed(const struct om_handover_req *r, EVP_PKEY *new_sho_key, uint8_t **out,
			     size_t *out_len)
{
	int rc = OM_EINVAL;
	struct omo_wr w = { NULL, OM_MOBJ_MAX, MOBJ_HDR };

	if (!r || !new_sho_key || !out || !out_len)
		return OM_EINVAL;
	*out = NULL;
	*out_len = 0;
	if (bootstrap_fields_ok(r) < 0)
		return OM_EINVAL;
	if (!(w.p = malloc(OM_MOBJ_MAX)))
		return OM_ENOMEM;
	if ((rc = omo_put_text(&w, r->new_sho_id, sizeof(r->new_sho_id), OM_HANDOVER_SHO_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_text(&w, r->request_id, sizeof(r->request_id), OM_HANDOVER_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_text(&w, r->tre_id, sizeof(r->tre_id), OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_text(&w, r->provurl, sizeof(r->provurl), OM_BOOTSTRAP_URL_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_text(&w, r->server_id, sizeof(r->server_id), OM_BOOTSTRAP_NAME_MAX, MOBJ_TEXT_LO)) < 0 ||
	    (rc = omo_put_text(&w, r->apn, sizeof(r->apn), OM_BOOTSTRAP_APN_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_raw(&w, r->code_proof, sizeof(r->code_proof))) < 0 || (rc = omo_put_i64(&w, r->created)) < 0 ||
	    (rc = put_blob(&w, r->sho_cert, r->sho_cert_len, OMO_CERT_MAX)) < 0 ||
	    (rc = put_blob(&w, r->creds, r->creds_len, OMO_CREDS_MAX)) < 0)
		goto out;
	rc = omo_mobj_sign(MOBJ_TYPE_HANDOVER, new_sho_key, w.p, w.cap, w.pos - MOBJ_HDR);
	if (rc == OM_ENOSPC)
		rc = OM_EOBJ_TOO_LONG;
	if (rc < 0)
		goto out;
	*out = w.p;
	*out_len = (size_t)rc;
	w.p = NULL;
	rc = 0;
out:
	if (w.p) {
		OPENSSL_cleanse(w.p, w.cap); /* holds the code proof */
		free(w.p);
	}
	return rc;
}

static int take_blob(struct omo_rd *d, uint8_t **dst, size_t *dst_len, size_t max)
{
	if (d->len - d->pos < 2)
		return OM_EOBJ_TRUNCATED;
	size_t n = (size_t)om_be_get(d->p + d->pos, 2);
	if (d->len - d->pos - 2 < n)
		return OM_EOBJ_TRUNCATED;
	if (n == 0 || n > max)
		return OM_EOBJ_FIELD;
	if (!(*dst = malloc(n)))
		return OM_ENOMEM;
	memcpy(*dst, d->p + d->pos + 2, n);
	*dst_len = n;
	d->pos += 2 + n;
	return 0;
}

static int parse_body(struct omo_rd *d, struct om_handover_req *t)
{
	int r;
	if ((r = omo_take_text(d, t->new_sho_id, OM_HANDOVER_SHO_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_text(d, t->request_id, OM_HANDOVER_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_text(d, t->tre_id, OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_text(d, t->provurl, OM_BOOTSTRAP_URL_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_text(d, t->server_id, OM_BOOTSTRAP_NAME_MAX, MOBJ_TEXT_LO)) < 0 ||
	    (r = omo_take_text(d, t->apn, OM_BOOTSTRAP_APN_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_raw(d, t->code_proof, sizeof(t->code_proof))) < 0 || (r = omo_take_i64(d, &t->created)) < 0 ||
	    (r = take_blob(d, &t->sho_cert, &t->sho_cert_len, OMO_CERT_MAX)) < 0 ||
	    (r = take_blob(d, &t->creds, &t->creds_len, OMO_CREDS_MAX)) < 0)
		return r;
	if (d->pos != d->len)
		return OM_EOBJ_TRAILING;
	/* the URL scheme and the APN's labels: what the bootstrap builder demands */
	return bootstrap_fields_ok(t) < 0 ? OM_EOBJ_FIELD : 0;
}

int om_handover_peek_sender(const uint8_t *in, size_t len, char new_sho_id[static OM_HANDOVER_SHO_ID_MAX + 1])
{
	const uint8_t *body;
	size_t blen;
	char id[OM_HANDOVER_SHO_ID_MAX + 1];
	if (!in || !new_sho_id)
		return OM_EINVAL;
	int r = omo_mobj_peek(in, len, MOBJ_TYPE_HANDOVER, &body, &blen);
	if (r < 0)
		return r;
	struct omo_rd d = { body, blen, 0 };
	if ((r = omo_take_text(&d, id, OM_HANDOVER_SHO_ID_MAX, MOBJ_ID_LO)) < 0)
		return r;
	memcpy(new_sho_id, id, sizeof(id));
	return 0;
}

int om_handover_verify(const uint8_t *in, size_t len, EVP_PKEY *new_sho_pub, struct om_handover_req *out)
{
	const uint8_t *body;
	size_t blen;
	struct om_handover_req t;
	if (!out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!in || !new_sho_pub)
		return OM_EINVAL;
	int r = omo_mobj_open(in, len, MOBJ_TYPE_HANDOVER, new_sho_pub, &body, &blen);
	if (r < 0)
		return r;
	memset(&t, 0, sizeof(t));
	struct omo_rd d = { body, blen, 0 };
	if ((r = parse_body(&d, &t)) < 0) {
		om_handover_free(&t);
		return r;
	}
	*out = t;
	OPENSSL_cleanse(&t, sizeof(t));
	return 0;
}

void om_handover_free(struct om_handover_req *r)
{
	if (!r)
		return;
	free(r->sho_cert);
	if (r->creds)
		OPENSSL_cleanse(r->creds, r->creds_len);
	free(r->creds);
	OPENSSL_cleanse(r, sizeof(*r));
}

int om_handover_code_proof(const char *tre_id, const char *typed_code, uint8_t out[static OM_HANDOVER_PROOF_LEN])
{
	static const char label[] = "openmcim transfer code proof"; /* with its NUL as separator */
	char canon[OM_HANDOVER_CODE_CHARS + 1];
	unsigned n = 0;
	if (!tre_id || !out || !*tre_id || strlen(tre_id) > OM_TRE_ID_MAX)
		return OM_EINVAL;
	if (om_base32_normalise(typed_code, canon, OM_HANDOVER_CODE_CHARS) < 0)
		return OM_EINVAL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, label, sizeof(label)) &&
		 EVP_DigestUpdate(c, tre_id, strlen(tre_id) + 1) && EVP_DigestUpdate(c, canon, OM_HANDOVER_CODE_CHARS) &&
		 EVP_DigestFinal_ex(c, out, &n) && n == OM_HANDOVER_PROOF_LEN;
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(canon, sizeof(canon));
	return ok ? 0 : OM_ECRYPTO;
}
