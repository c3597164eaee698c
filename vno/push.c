/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /push/<IMSI>: a DRF's bootstrap to the device attached with that
 * IMSI, one OM_RADIO_PUSH frame (vno_push.h, docs/vno.md "Push"). Answers:
 * 202 delivered on the device's link, 403 the pushing DRF does not serve
 * that IMSI (mutual TLS only), 404 no device attached with that IMSI
 * (or its link failed: the sender retries later), 400 malformed IMSI or
 * empty body, 413 above VNO_PUSH_BODY_MAX, 415 another Content-Type, 405
 * another method (the HTTP layer). The document is never logged.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include <openmcim/pki.h>
#include <openmcim/radio.h>

#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "vno_push.h"

#define PUSH_PREFIX "/push/"
/* Above this evhttp answers 413 by itself; between VNO_PUSH_BODY_MAX and it we answer (and log) it. */
#define HTTP_BODY_MAX (4 * VNO_PUSH_BODY_MAX)

struct vno_push {
	struct mme *mme;
	const struct vno_conf *conf;
	/* per [home.*] (same index as conf->homes): the key pin of its push_cert */
	bool pinned[VNO_MAX_HOMES];
	uint8_t pin[VNO_MAX_HOMES][OM_SPKI_PIN_LEN];
	struct om_http_server *http;
	struct om_http_tls tls;
};

/* TS 23.003 2.2: MCC (3) + MNC (2..3) + MSIN, at most 15 digits; 6 as for the NAS codec. */
static int imsi_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n > OM_NAS_IMSI_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The media type without parameters, compared case-insensitively (RFC 9110 8.3.1). */
static int type_ok(const char *t)
{
	size_t n = strlen(VNO_PUSH_CONTENT_TYPE);
	return t && !strncasecmp(t, VNO_PUSH_CONTENT_TYPE, n) && (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

/*
 * Whether the TLS client may push to imsi: its key is the one pinned by
 * push_cert in the [home.*] section that routes imsi (issue 12: a DRF only
 * pushes to the identities its operator serves, the PCIDs for the RO, its
 * own IMSIs for an SHO). Without client certificates there is nobody to
 * authorise (plain HTTP or server-only TLS, lab only, logged at start).
 */
static int push_allowed(const struct vno_push *p, struct om_http_req *r, const char *imsi)
{
	uint8_t pin[OM_SPKI_PIN_LEN];
	if (!p->tls.require_client_cert)
		return 1;
	const struct vno_home *h = vno_conf_home(p->conf, imsi);
	size_t i = h ? (size_t)(h - p->conf->homes) : 0;
	X509 *peer = om_http_req_peer_cert(r);
	return h && p->pinned[i] && peer && om_cert_spki_pin(peer, pin) == 0 &&
	       CRYPTO_memcmp(pin, p->pin[i], sizeof(pin)) == 0;
}

static struct om_metric m_push =
	OM_COUNTER("openmcim_vno_pushes_total", "Pushes from home DRFs, by result (delivered: sent to the device)", "result");

static void answer(struct om_http_req *r, int status, const char *imsi, size_t len, const char *result)
{
	om_metric_inc(&m_push, result);
	char cn[OM_NAME_MAX_LEN + 1] = "-";
	X509 *peer = om_http_req_peer_cert(r);
	if (peer && om_cert_subject_cn(peer, cn) < 0)
		memcpy(cn, "?", 2);
	if (status == 202)
		om_info("push", "peer=%s cn=%s imsi=%s size=%zu result=%s status=%d", om_http_req_peer(r), cn, imsi,
			len, result, status);
	else
		om_notice("push", "peer=%s cn=%s imsi=%s size=%zu result=%s status=%d", om_http_req_peer(r), cn,
			  imsi, len, result, status);
	char body[96];
	int n = snprintf(body, sizeof(body), "%s\n", result);
	om_http_reply(r, status, "text/plain", body, (size_t)n);
}

static void on_push(struct om_http_req *r, void *arg)
{
	struct vno_push *p = arg;
	size_t len = 0;
	const uint8_t *doc = om_http_req_body(r, &len);
	const char *imsi = om_http_req_path(r) + strlen(PUSH_PREFIX);
	int rc;
	if (!imsi_ok(imsi))
		answer(r, 400, "-", len, "malformed-imsi"); /* "-": the path may hold anything */
	else if (!push_allowed(p, r, imsi))
		answer(r, 403, imsi, len, "not-served");
	else if (len == 0)
		answer(r, 400, imsi, len, "empty-body");
	else if (len > VNO_PUSH_BODY_MAX)
		answer(r, 413, imsi, len, "too-large");
	else if (!type_ok(om_http_req_header(r, "Content-Type")))
		answer(r, 415, imsi, len, "content-type");
	else if ((rc = mme_push(p->mme, imsi, doc, len)) == 0)
		answer(r, 202, imsi, len, "delivered");
	else
		answer(r, 404, imsi, len, rc == OM_ERADIO_NOT_ATTACHED ? "not-attached" : "link-failed");
}

struct vno_push *vno_push_start(struct mme *m, const struct vno_conf *c)
{
	char err[256] = "";
	struct vno_push *p = calloc(1, sizeof(*p));
	const char *mode = "none";
	if (!p) {
		om_error("push-failed", "reason=out-of-memory");
		return NULL;
	}
	p->mme = m;
	p->conf = c;
	size_t n_pins = 0;
	for (size_t i = 0; i < c->n_homes; i++) {
		X509 *cert = NULL;
		if (!c->homes[i].push_cert[0])
			continue;
		int rc = om_cert_load(&cert, c->homes[i].push_cert);
		if (rc == 0)
			rc = om_cert_spki_pin(cert, p->pin[i]);
		X509_free(cert);
		if (rc < 0) {
			om_error("push-failed", "home=%s push_cert=%s reason=\"%s\"", c->homes[i].prefix,
				 c->homes[i].push_cert, om_strerror(rc));
			free(p);
			return NULL;
		}
		p->pinned[i] = true;
		n_pins++;
	}
	struct om_http_opts o = {.addr = c->push_addr, .port = c->push_port, .max_body = HTTP_BODY_MAX};
	if (c->push_tls_cert[0]) {
		p->tls.cert_file = c->push_tls_cert;
		p->tls.key_file = c->push_tls_key;
		if (c->push_client_ca[0]) {
			/* Only the DRFs of operators we know may push (their CA in client_ca). */
			p->tls.client_ca_file = c->push_client_ca;
			p->tls.require_client_cert = 1;
		}
		o.tls = &p->tls;
		mode = c->push_client_ca[0] ? "mutual" : "server-only";
	}
	if (om_http_server_new(&p->http, &o, err, sizeof(err)) < 0 ||
	    om_http_route(p->http, "POST", PUSH_PREFIX "*", on_push, p) < 0 || om_http_server_start(p->http) < 0) {
		om_error("push-failed", "addr=%s port=%u reason=\"%s\"", c->push_addr, c->push_port,
			 err[0] ? err : "HTTP server");
		vno_push_stop(p);
		return NULL;
	}
	if (!strcmp(mode, "mutual"))
		om_info("push-listen", "addr=%s port=%u tls=mutual client_ca=%s pinned_homes=%zu", c->push_addr,
			vno_push_port(p), c->push_client_ca, n_pins);
	else
		om_notice("push-listen", "addr=%s port=%u tls=%s (lab only: any client that reaches it may push)",
			  c->push_addr, vno_push_port(p), mode);
	return p;
}

uint16_t vno_push_port(const struct vno_push *p)
{
	return om_http_server_port(p->http);
}

void vno_push_stop(struct vno_push *p)
{
	if (!p)
		return;
	om_http_server_free(p->http);
	free(p);
}
