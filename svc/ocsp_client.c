/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 6960 client: OpenSSL builds and checks the messages, libcurl carries
 * them (HTTP POST, RFC 6960 A.1) on kept links (svc/https_client.h). See
 * ocsp_client.h for what is checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>

#include "https_client.h"
#include "ocsp_client.h"
#include "reason.h"

#define RESPONSE_MAX (256 * 1024) /* a batch of 128 statuses is about 20 KiB */
#define LEEWAY_S 300
#define NONCE_LEN 16

struct om_ocsp_client {
	char *url;
	X509 *issuer;
	X509_STORE *trust;
	long max_age_s;
	struct om_https_client *http; /* kept links to the responder, any thread (svc/https_client.h) */
};

int om_ocsp_client_new(struct om_ocsp_client **out, const char *url, X509 *issuer, X509_STORE *trust,
		       const struct om_ocsp_options *opts)
{
	struct om_ocsp_client *c = NULL;
	if (!out || !url || !issuer || !trust ||
	    (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return OM_EINVAL;
	struct om_https_client_opts o = { .timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 10000 };
	char err[256];
	if (!(c = calloc(1, sizeof(*c))) || !(c->url = strdup(url)) || om_https_client_new(&c->http, &o, err, sizeof(err)) < 0)
		goto fail;
	if (!X509_up_ref(issuer))
		goto fail;
	c->issuer = issuer;
	if (!X509_STORE_up_ref(trust))
		goto fail;
	c->trust = trust;
	c->max_age_s = opts && opts->max_age_s > 0 ? opts->max_age_s : 86400;
	*out = c;
	return 0;
fail:
	om_ocsp_client_free(c);
	return OM_ENOMEM;
}

void om_ocsp_client_free(struct om_ocsp_client *c)
{
	if (!c)
		return;
	om_https_client_free(c->http);
	X509_free(c->issuer);
	X509_STORE_free(c->trust);
	free(c->url);
	free(c);
}

/* POST der to the responder; the body comes back in *b (at most RESPONSE_MAX bytes). */
static int post(struct om_ocsp_client *c, const unsigned char *der, size_t len, struct om_buf *b, char *why,
		size_t wl)
{
	char how[256];
	struct om_https_call k = { .url = c->url, .content_type = "application/ocsp-request", .body = der, .len = len,
				   .answer_buf = b };
	int rc = om_https_post(c->http, &k, how, sizeof(how));
	if (rc == OM_ENOSPC)
		return om_reason(why, wl, OM_EOCSP_RESPONSE, "OCSP response longer than %d bytes", RESPONSE_MAX);
	if (rc < 0)
		return om_reason(why, wl, OM_EOCSP_TRANSPORT, "OCSP %s", how);
	if (k.status != 200)
		return om_reason(why, wl, OM_EOCSP_TRANSPORT, "OCSP %s: HTTP status %ld", c->url, k.status);
	return 0;
}

/* Check one trusted response against the ids asked about and fill status[]. */
static int read_statuses(struct om_ocsp_client *c, OCSP_BASICRESP *bs, OCSP_CERTID **ids, size_t n, int *status,
			 char *why, size_t wl)
{
	for (size_t i = 0; i < n; i++) {
		int st = -1, reason = -1;
		ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
		if (OCSP_resp_find_status(bs, ids[i], &st, &reason, &rev, &thisupd, &nextupd) != 1)
			return om_reason(why, wl, OM_EOCSP_MISSING, "OCSP response has no status for certificate %zu", i);
		if (OCSP_check_validity(thisupd, nextupd, LEEWAY_S, c->max_age_s) != 1)
			return om_reason(why, wl, OM_EOCSP_TIME, "OCSP status of certificate %zu is stale or in the future",
				   i);
		switch (st) {
		case V_OCSP_CERTSTATUS_GOOD:
			status[i] = OM_OCSP_GOOD;
			break;
		case V_OCSP_CERTSTATUS_REVOKED:
			status[i] = OM_OCSP_REVOKED;
			break;
		default:
			status[i] = OM_OCSP_UNKNOWN;
			break;
		}
	}
	return 0;
}

static int check_batch(struct om_ocsp_client *c, X509 *const *certs, size_t n, int *status, char *why, size_t wl)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *ids[OM_OCSP_BATCH] = { 0 };
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	unsigned char *der = NULL;
	struct om_buf b = OM_BUF_INIT(RESPONSE_MAX);
	int rc = OM_ENOMEM, len;
	if (!req)
		goto out;
	for (size_t i = 0; i < n; i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), certs[i], c->issuer);
		if (!id || !(ids[i] = OCSP_CERTID_dup(id)) || !OCSP_request_add0_id(req, id)) {
			OCSP_CERTID_free(id);
			rc = om_reason(why, wl, OM_ECRYPTO, "cannot make the CertID of certificate %zu", i);
			goto out;
		}
	}
	if (!OCSP_request_add1_nonce(req, NULL, NONCE_LEN)) {
		rc = om_reason(why, wl, OM_ERANDOM, "cannot make the OCSP nonce");
		goto out;
	}
	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0) {
		rc = om_reason(why, wl, OM_ECRYPTO, "cannot encode the OCSP request");
		goto out;
	}
	if ((rc = post(c, der, (size_t)len, &b, why, wl)) < 0)
		goto out;
	const unsigned char *p = b.p;
	if (!b.p || !(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)b.len)) || p != b.p + b.len) {
		rc = om_reason(why, wl, OM_EOCSP_RESPONSE, "OCSP response is not one DER OCSPResponse");
		goto out;
	}
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		rc = om_reason(why, wl, OM_EOCSP_RESPONSE, "OCSP responder answered %s",
			 OCSP_response_status_str(OCSP_response_status(resp)));
		goto out;
	}
	if (!(bs = OCSP_response_get1_basic(resp))) {
		rc = om_reason(why, wl, OM_EOCSP_RESPONSE, "OCSP response is not a BasicOCSPResponse");
		goto out;
	}
	if (OCSP_basic_verify(bs, NULL, c->trust, 0) != 1) {
		rc = om_reason(why, wl, OM_EOCSP_SIGNATURE,
			 "OCSP response not signed by the CA or a responder it delegated");
		goto out;
	}
	if (OCSP_check_nonce(req, bs) != 1) {
		rc = om_reason(why, wl, OM_EOCSP_NONCE, "OCSP response does not echo our nonce");
		goto out;
	}
	rc = read_statuses(c, bs, ids, n, status, why, wl);
out:
	for (size_t i = 0; i < n; i++)
		OCSP_CERTID_free(ids[i]);
	OPENSSL_free(der);
	om_buf_free(&b);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	return rc;
}

int om_ocsp_check(struct om_ocsp_client *c, X509 *const *certs, size_t n, int *status, char *why, size_t why_len)
{
	if (!c || (n && (!certs || !status)))
		return OM_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!certs[i])
			return OM_EINVAL;
	for (size_t off = 0; off < n; off += OM_OCSP_BATCH) {
		size_t k = n - off < OM_OCSP_BATCH ? n - off : OM_OCSP_BATCH;
		int rc = check_batch(c, certs + off, k, status + off, why, why_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}
