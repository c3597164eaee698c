/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCSP responder (RFC 6960) on OpenSSL's OCSP API: one SingleResponse
 * per CertID, the nonce echoed (RFC 6960 4.4.1), signed by the PVA's
 * delegated responder (4.2.2.2) whose certificate travels in the response.
 */
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>

#include "pva.h"
#include "pva_store.h"

/*
 * CertIDs per request: at least what our own OCSP client sends in one
 * (OM_OCSP_BATCH, svc/ocsp_client.h), or a registration of more than 16
 * devices (two certificates each) fails with malformedRequest (found by
 * the lab, docs/lab.md).
 */
#define OCSP_REQUESTS_MAX 128

static int encode(OCSP_RESPONSE *resp, uint8_t **out, size_t *out_len)
{
	unsigned char *der = NULL;
	int n = resp ? i2d_OCSP_RESPONSE(resp, &der) : -1;
	if (n <= 0)
		return OM_ECRYPTO;
	*out = der;
	*out_len = (size_t)n;
	return 0;
}

static int error_response(int status, uint8_t **out, size_t *out_len)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	int rc = encode(resp, out, out_len);
	OCSP_RESPONSE_free(resp);
	return rc;
}

/* Status of one CertID: unknown unless it names our CA and a serial we imported. */
static int one_status(struct pva *p, OCSP_CERTID *cid, int *reason, time_t *rev_at)
{
	ASN1_OBJECT *md_obj = NULL;
	ASN1_INTEGER *serial = NULL;
	char hex[64];
	int status = V_OCSP_CERTSTATUS_UNKNOWN;
	if (!OCSP_id_get0_info(NULL, &md_obj, NULL, &serial, cid))
		return status;
	const EVP_MD *md = EVP_get_digestbyobj(md_obj);
	OCSP_CERTID *ours = md ? OCSP_cert_id_new(md, X509_get_subject_name(p->ca), X509_get0_pubkey_bitstr(p->ca),
						  serial)
			       : NULL;
	if (ours && OCSP_id_issuer_cmp(ours, cid) == 0 && pva_serial_hex(serial, hex) == 0) {
		int revoked = 0, why = 0;
		int64_t at = 0;
		pthread_mutex_lock(&p->lock);
		int rc = pva_store_serial_status(p, hex, &revoked, &at, &why);
		pthread_mutex_unlock(&p->lock);
		if (rc == 0 && !revoked) {
			status = V_OCSP_CERTSTATUS_GOOD;
		} else if (rc == 0) {
			status = V_OCSP_CERTSTATUS_REVOKED;
			*reason = why;
			*rev_at = (time_t)at;
		}
	}
	OCSP_CERTID_free(ours);
	return status;
}

static int sign(struct pva *p, OCSP_BASICRESP *bs)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, p->rkey) == 1 &&
		 OCSP_basic_sign_ctx(bs, p->rcert, ctx, NULL, 0) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : OM_ECRYPTO;
}

int pva_ocsp_answer(struct pva *p, const uint8_t *der, size_t len, uint8_t **out, size_t *out_len,
		    struct pva_ocsp_counts *c)
{
	const unsigned char *q = der;
	OCSP_REQUEST *req = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *now = NULL, *next = NULL, *rev = NULL;
	int rc = OM_ECRYPTO;
	memset(c, 0, sizeof(*c));
	req = len <= 65536 ? d2i_OCSP_REQUEST(NULL, &q, (long)len) : NULL;
	int n = req ? OCSP_request_onereq_count(req) : 0;
	if (!req || q != der + len || n < 1 || n > OCSP_REQUESTS_MAX) {
		c->malformed = 1;
		rc = error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, out, out_len);
		goto out;
	}
	time_t t = time(NULL);
	if (!(bs = OCSP_BASICRESP_new()) || !(now = ASN1_TIME_set(NULL, t)) ||
	    !(next = ASN1_TIME_set(NULL, t + (time_t)p->next_update_s)))
		goto out;
	for (int i = 0; i < n; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		int reason = OCSP_REVOKED_STATUS_NOSTATUS;
		time_t at = 0;
		int st = one_status(p, cid, &reason, &at);
		ASN1_TIME_free(rev);
		rev = NULL;
		if (st == V_OCSP_CERTSTATUS_REVOKED && !(rev = ASN1_TIME_set(NULL, at)))
			goto out;
		if (!OCSP_basic_add1_status(bs, cid, st, reason, rev, now, next))
			goto out;
		if (st == V_OCSP_CERTSTATUS_GOOD)
			c->good++;
		else if (st == V_OCSP_CERTSTATUS_REVOKED)
			c->revoked++;
		else
			c->unknown++;
	}
	if (OCSP_copy_nonce(bs, req) <= 0 || sign(p, bs) < 0)
		goto out;
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	rc = encode(resp, out, out_len);
out:
	if (rc < 0)
		rc = error_response(OCSP_RESPONSE_STATUS_INTERNALERROR, out, out_len) == 0 ? 0 : OM_ECRYPTO;
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	ASN1_TIME_free(rev);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	return rc;
}
