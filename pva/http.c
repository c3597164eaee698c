/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's HTTP handlers: OCSP over HTTP (RFC 6960 appendix A.1: POST with
 * application/ocsp-request, or GET with the base64 request URL-encoded in
 * the path) and POST /validate with an M2MMobj.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/crypto.h>

#include <openmcim/base64.h>
#include <openmcim/hex.h>

#include "pva_http.h"
#include "log.h"
#include "metrics.h"

/* docs/operate.md "Metrics" */
static struct om_metric m_ocsp = OM_COUNTER("openmcim_pva_ocsp_certificates_total",
	"Certificate statuses answered over OCSP (good, revoked, unknown), and malformed requests", "status");
static struct om_metric m_seconds = OM_HISTOGRAM("openmcim_pva_request_seconds",
	"Time to answer an OCSP or validation request", "request");

static void ocsp_reply(struct om_http_req *r, struct pva *p, const uint8_t *der, size_t len, const char *how)
{
	const struct timespec t0 = om_metric_start();
	uint8_t *out = NULL;
	size_t out_len = 0;
	struct pva_ocsp_counts c;
	if (pva_ocsp_answer(p, der, len, &out, &out_len, &c) < 0) {
		om_error("ocsp", "peer=%s method=%s reason=internal", om_http_req_peer(r), how);
		om_http_reply(r, 500, NULL, NULL, 0);
		return;
	}
	if (c.malformed)
		om_metric_inc(&m_ocsp, "malformed");
	om_metric_add(&m_ocsp, "good", c.good);
	om_metric_add(&m_ocsp, "revoked", c.revoked);
	om_metric_add(&m_ocsp, "unknown", c.unknown);
	if (c.malformed)
		om_notice("ocsp", "peer=%s method=%s result=malformedRequest", om_http_req_peer(r), how);
	else
		om_info("ocsp", "peer=%s method=%s good=%u revoked=%u unknown=%u", om_http_req_peer(r), how, c.good,
			c.revoked, c.unknown);
	om_http_reply(r, 200, "application/ocsp-response", out, out_len);
	OPENSSL_free(out);
	om_metric_observe_since(&m_seconds, "ocsp", &t0);
}

static void ocsp_post(struct om_http_req *r, void *arg)
{
	const char *type = om_http_req_header(r, "Content-Type");
	size_t len;
	const uint8_t *body = om_http_req_body(r, &len);
	if (!type || strncmp(type, "application/ocsp-request", 24)) {
		om_notice("ocsp", "peer=%s method=POST result=refused reason=content-type", om_http_req_peer(r));
		static const char why[] = "expected application/ocsp-request\n";
		om_http_reply(r, 415, "text/plain", why, sizeof(why) - 1);
		return;
	}
	ocsp_reply(r, arg, body, len, "POST");
}

static void ocsp_get(struct om_http_req *r, void *arg)
{
	size_t n = 0, der_len = 0;
	uint8_t *der = NULL;
	char *b64 = evhttp_uridecode(om_http_req_path(r) + 1, 0, &n);
	if (!b64 || om_base64_decode(b64, n, PVA_B64_MAX, &der, &der_len) < 0)
		der_len = 0; /* answered as malformedRequest */
	ocsp_reply(r, arg, der ? der : (const uint8_t *)"", der_len, "GET");
	free(der);
	free(b64);
}

/*
 * The answer: name=value lines for people, and verdict=<hex>, the signed
 * verdict (docs/pva.md "Platform validation"), the only line a DPF believes.
 */
static void validate(struct om_http_req *r, void *arg)
{
	struct pva_verdict v;
	char out[512 + 2 * PVA_VERDICT_MAX], nb[2 * OM_NONCE_LEN + 1];
	uint8_t sig[PVA_VERDICT_MAX];
	size_t len;
	const uint8_t *body = om_http_req_body(r, &len);
	const struct timespec t0 = om_metric_start();
	int rc = pva_validate(arg, body, len, &v);
	om_metric_observe_since(&m_seconds, "validate", &t0);
	if (rc == 0) {
		om_hex_encode(nb, v.nonce_b, sizeof(v.nonce_b));
		snprintf(out, sizeof(out), "result=accepted\ntre_id=%s\nmodel=%s\nfirmware=%s\nnonce_b=%s\n", v.tre_id,
			 v.model, v.firmware, nb);
	} else {
		snprintf(out, sizeof(out), "result=refused\ntre_id=%s\nreason=%s\ndetail=%s\n", v.tre_id, v.reason,
			 v.detail);
	}
	int n = pva_verdict_sign(arg, &v, time(NULL), sig, sizeof(sig));
	if (n < 0) {
		om_error("validate", "tre_id=%s reason=\"verdict not signed: %s\"", v.tre_id[0] ? v.tre_id : "-",
			 om_errname(n));
		om_http_reply(r, 500, NULL, NULL, 0);
		return;
	}
	size_t o = strlen(out);
	memcpy(out + o, "verdict=", 8);
	om_hex_encode(out + o + 8, sig, (size_t)n);
	memcpy(out + o + 8 + 2 * (size_t)n, "\n", 2);
	int status = rc == 0 ? 200 : !strcmp(v.reason, "malformed") ? 400 : !strcmp(v.reason, "internal") ? 500 : 200;
	om_http_reply(r, status, "text/plain", out, strlen(out));
}

int pva_http_routes(struct om_http_server *s, struct pva *p)
{
	int rc;
	if ((rc = om_http_route(s, "POST", "/", ocsp_post, p)) < 0 ||
	    (rc = om_http_route(s, "POST", "/validate", validate, p)) < 0 ||
	    (rc = om_http_route(s, "GET", "/*", ocsp_get, p)) < 0)
		return rc;
	return 0;
}
