/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 6960 client: OpenSSL builds and checks the messages, libcurl carries
 * them (HTTP POST, RFC 6960 A.1). See ocsp_client.h for what is checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/ocsp.h>

#include "ocsp_client.h"
#include "reason.h"
#include "tls_policy.h"

#define RESPONSE_MAX (256 * 1024) /* a batch of 128 statuses is about 20 KiB */
#define LEEWAY_S 300
#define NONCE_LEN 16

struct om_ocsp_client {
	char *url;
	X509 *issuer;
	X509_STORE *trust;
	long timeout_ms, max_age_s;
	CURL *curl;
};

int om_ocsp_client_new(struct om_ocsp_client **out, const char *url, X509 *issuer, X509_STORE *trust,
		       const struct om_ocsp_options *opts)
{
	struct om_ocsp_client *c = NULL;
	if (!out || !url || !issuer || !trust ||
	    (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return OM_EINVAL;
	if (!om_curl_ready() || !(c = calloc(1, sizeof(*c))) || !(c->url = strdup(url)) || !(c->curl = curl_easy_init()))
		goto fail;
	if (!X509_up_ref(issuer))
		goto fail;
	c->issuer = issuer;
	if (!X509_STORE_up_ref(trust))
		goto fail;
	c->trust = trust;
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 10000;
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
	if (c->curl)
		curl_easy_cleanup(c->curl);
	X509_free(c->issuer);
	X509_STORE_free(c->trust);
	free(c->url);
	free(c);
}

struct body {
	unsigned char *p;
	size_t len;
	int too_long;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	if (b->len + add > RESPONSE_MAX) {
		b->too_long = 1;
		return 0;
	}
	unsigned char *p = realloc(b->p, b->len + add);
	if (!p)
		return 0;
	memcpy(p + b->len, data, add);
	b->p = p;
	b->len += add;
	return add;
}

/* POST der to the responder; the body comes back in *b. */
static int post(struct om_ocsp_client *c, const unsigned char *der, size_t len, struct body *b, char *why,
		size_t wl)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/ocsp-request");
	long http = 0;
	int rc = 0;
	if (!hdr)
		return OM_ENOMEM;
	curl_easy_reset(c->curl);
	if (om_tls_policy_curl(c->curl) < 0) {
		curl_slist_free_all(hdr);
		return om_reason(why, wl, OM_EOCSP_TRANSPORT, "TLS policy refused by libcurl");
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, der);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	CURLcode cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &http);
	if (b->too_long)
		rc = om_reason(why, wl, OM_EOCSP_RESPONSE, "OCSP response longer than %d bytes", RESPONSE_MAX);
	else if (cc != CURLE_OK)
		rc = om_reason(why, wl, OM_EOCSP_TRANSPORT, "OCSP %s: %s", c->url, curl_easy_strerror(cc));
	else if (http != 200)
		rc = om_reason(why, wl, OM_EOCSP_TRANSPORT, "OCSP %s: HTTP status %ld", c->url, http);
	curl_slist_free_all(hdr);
	return rc;
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
	struct body b = { 0 };
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
	free(b.p);
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
