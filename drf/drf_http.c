/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's HTTP handlers (drf_http.h): the TLS peer's operator first, then
 * the core, whose answer is mapped to a status and one text line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "drf_http.h"
#include "log.h"

#define ANSWER_MAX 256

int drf_http_peers_parse(struct drf_http *h, const char *text, char *err, size_t err_len)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	int rc = 0;
	h->n_peers = 0;
	if (!copy)
		return snprintf(err, err_len, "peers: out of memory"), OM_ENOMEM;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		size_t n = strlen(item);
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			item[--n] = '\0';
		char *colon = strchr(item, ':');
		if (!colon || colon == item || !colon[1] || (size_t)(colon - item) > OM_HANDOVER_SHO_ID_MAX ||
		    strlen(colon + 1) > OM_NAME_MAX_LEN || h->n_peers == DRF_PEERS_MAX) {
			snprintf(err, err_len, "peers: '%s' is not SHO_ID:TLS_CN (at most %d peers)", item,
				 DRF_PEERS_MAX);
			rc = OM_EDRF_VALUE;
			break;
		}
		*colon = '\0';
		for (size_t i = 0; i < h->n_peers && rc == 0; i++)
			if (!strcmp(h->peers[i].sho_id, item) || !strcmp(h->peers[i].tls_cn, colon + 1)) {
				snprintf(err, err_len, "peers: '%s' or '%s' given twice", item, colon + 1);
				rc = OM_EDRF_VALUE;
			}
		if (rc)
			break;
		struct drf_peer *p = &h->peers[h->n_peers++];
		snprintf(p->sho_id, sizeof(p->sho_id), "%s", item);
		snprintf(p->tls_cn, sizeof(p->tls_cn), "%s", colon + 1);
	}
	free(copy);
	return rc;
}

int drf_http_pins_parse(struct drf_http *h, const char *text, char *err, size_t err_len)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	int rc = 0;
	if (!copy)
		return snprintf(err, err_len, "peer_certs: out of memory"), OM_ENOMEM;
	for (size_t i = 0; i < h->n_peers; i++)
		h->peers[i].pinned = 0;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		size_t n = strlen(item);
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			item[--n] = '\0';
		char *colon = strchr(item, ':'), cn[OM_NAME_MAX_LEN + 1] = "";
		struct drf_peer *p = NULL;
		if (colon) {
			*colon = '\0';
			for (size_t i = 0; i < h->n_peers; i++)
				if (!strcmp(h->peers[i].sho_id, item))
					p = &h->peers[i];
		}
		if (!colon || !colon[1] || !p || p->pinned) {
			snprintf(err, err_len, "peer_certs: '%s' is not SHO_ID:FILE of a peer in peers (once each)", item);
			rc = OM_EDRF_VALUE;
			break;
		}
		X509 *cert = NULL;
		rc = om_cert_load(&cert, colon + 1);
		if (rc == 0 && (om_cert_subject_cn(cert, cn) < 0 || strcmp(cn, p->tls_cn)))
			rc = OM_EDRF_VALUE;
		if (rc == 0)
			rc = om_cert_spki_pin(cert, p->pin);
		X509_free(cert);
		if (rc < 0) {
			snprintf(err, err_len, "peer_certs: %s: %s: %s", item, colon + 1,
				 rc == OM_EDRF_VALUE ? "its CN is not the one peers names" : om_strerror(rc));
			break;
		}
		p->pinned = 1;
	}
	for (size_t i = 0; rc == 0 && i < h->n_peers; i++)
		if (!h->peers[i].pinned) {
			snprintf(err, err_len, "peer_certs: no certificate for %s", h->peers[i].sho_id);
			rc = OM_EDRF_VALUE;
		}
	free(copy);
	return rc;
}

/*
 * The peer a certificate named before, if it did (issue 14): the same certificate on a
 * kept-open connection (and the same bytes on another, X509_cmp: its hash and its
 * to-be-signed encoding) passes the same checks, which depend on those bytes alone, so
 * the profile, the CN and the SPKI pin are not computed again per request. Only a
 * certificate that named a peer is kept (a reference held), DRF_PEER_SEEN of them, the
 * oldest replaced: a refused one is checked afresh each time. The table has its own
 * lock (seen_lock), never the core's: a peer check, a refusal too, never waits on a commit.
 */
static const struct drf_peer *seen_peer(struct drf_http *h, X509 *cert)
{
	const struct drf_peer *p = NULL;
	pthread_mutex_lock(&h->seen_lock);
	for (size_t i = 0; i < DRF_PEER_SEEN && !p; i++)
		if (h->seen[i].cert && (h->seen[i].cert == cert || !X509_cmp(h->seen[i].cert, cert)))
			p = &h->peers[h->seen[i].peer];
	pthread_mutex_unlock(&h->seen_lock);
	return p;
}

static void seen_add(struct drf_http *h, X509 *cert, const struct drf_peer *p)
{
	if (X509_up_ref(cert) != 1)
		return;
	pthread_mutex_lock(&h->seen_lock);
	unsigned k = h->seen_next++ % DRF_PEER_SEEN;
	X509 *old = h->seen[k].cert;
	h->seen[k].cert = cert;
	h->seen[k].peer = (size_t)(p - h->peers);
	pthread_mutex_unlock(&h->seen_lock);
	X509_free(old);
}

void drf_http_init(struct drf_http *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->seen_lock, NULL);
}

void drf_http_free(struct drf_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < DRF_PEER_SEEN; i++)
		X509_free(h->seen[i].cert);
	pthread_mutex_destroy(&h->seen_lock);
	drf_http_init(h);
}

/*
 * The SHO id the TLS client certificate speaks for: an OPERATOR_TLS
 * certificate (the chain was verified by the TLS layer) whose CN the peer
 * table knows, on the key pinned for that peer: a CA we trust for one
 * operator could issue another's name (issue 12). Returns the peer, or NULL
 * with *why OM_EDRF_PEER (no known operator) or OM_EDRF_PEER_KEY (a known
 * name on another key); cn gets the CN for the log.
 */
static const struct drf_peer *tls_peer(struct drf_http *h, struct om_http_req *r, char cn[static OM_NAME_MAX_LEN + 1],
				       int *why)
{
	X509 *cert = om_http_req_peer_cert(r);
	uint8_t pin[OM_SPKI_PIN_LEN];
	const struct drf_peer *p = cert ? seen_peer(h, cert) : NULL;
	snprintf(cn, OM_NAME_MAX_LEN + 1, "%s", p ? p->tls_cn : "-");
	if (p)
		return p;
	*why = OM_EDRF_PEER;
	if (!cert || om_cert_subject_cn(cert, cn) < 0 || om_cert_check_profile(cert, OM_CERT_OPERATOR_TLS) < 0)
		return NULL;
	for (size_t i = 0; i < h->n_peers; i++) {
		if (strcmp(h->peers[i].tls_cn, cn))
			continue;
		if (!h->peers[i].pinned || om_cert_spki_pin(cert, pin) < 0 ||
		    CRYPTO_memcmp(pin, h->peers[i].pin, sizeof(pin))) {
			*why = OM_EDRF_PEER_KEY;
			return NULL;
		}
		seen_add(h, cert, &h->peers[i]);
		return &h->peers[i];
	}
	return NULL;
}

/* The status for a refusal (docs/drf.md "Daemon"). */
static int status_of(int rc)
{
	switch (rc) {
	case OM_EDRF_OPERATOR:
	case OM_EDRF_PEER:
	case OM_EDRF_PEER_KEY:
	case OM_EDRF_CERT:
	case OM_EDRF_CODE:
	case OM_EDRF_CODE_USED:
	case OM_EDRF_CODE_EXPIRED:
	case OM_EDRF_STALE:
	case OM_EOBJ_SIGNATURE:
	case OM_EDRF_OUTCOME:
	case OM_EDRF_OUTCOME_BINDING:
	case OM_EDRF_OUTCOME_FALLBACK:
	case OM_EDRF_COUNTER:
	case OM_EDRF_TRE_BLOCKED:
		return 403;
	case OM_EDRF_DEVICE:
	case OM_EDRF_NOT_OURS:
	case OM_EDRF_LOCKED:
	case OM_EDRF_REQUEST_ID:
	case OM_EDRF_SEQUENCE:
	case OM_EDRF_STATE:
		return 409;
	case OM_EDRF_VALUE:
	case OM_ELENGTH:
		return 400;
	default:
		/* the request's framing and fields: objects, protected data, certificates */
		return (rc <= -600 && rc >= -699) || (rc <= -200 && rc >= -399) ? 400 : 500;
	}
}

static void refuse(struct om_http_req *r, int rc)
{
	char out[ANSWER_MAX];
	int status = status_of(rc);
	snprintf(out, sizeof(out), "result=%s reason=%s\n", status == 500 ? "error" : "refused", om_errname(rc));
	om_http_reply(r, status, "text/plain", out, strlen(out));
}

static void handover(struct om_http_req *r, void *arg)
{
	struct drf_http *h = arg;
	char sender[OM_HANDOVER_SHO_ID_MAX + 1] = "-", cn[OM_NAME_MAX_LEN + 1], rid[OM_HANDOVER_ID_MAX + 1] = "";
	char out[ANSWER_MAX];
	uint8_t *bs = NULL;
	size_t len, bl = 0;
	uint32_t seq = 0;
	const uint8_t *body = om_http_req_body(r, &len);
	int why = 0;
	const struct drf_peer *peer = tls_peer(h, r, cn, &why);
	int rc = om_handover_peek_sender(body, len, sender);
	if (rc == 0 && (!peer || strcmp(peer->sho_id, sender))) {
		/* before the core: a request in another operator's name consumes nothing */
		rc = peer ? OM_EDRF_PEER : why;
		om_notice("drf-handover-refused", "peer=%s tls_cn=%s sender=%s reason=%s", om_http_req_peer(r), cn,
			  sender, om_errname(rc));
	}
	if (rc == 0) {
		pthread_mutex_lock(h->lock);
		rc = drf_handover_id(h->drf, body, len, (int64_t)time(NULL), &bs, &bl, &seq, rid);
		if (rc == 0 && h->push)
			rc = drf_push_accepted(h->push, sender, rid);
		pthread_mutex_unlock(h->lock);
		if (rc < 0 && bs) /* accepted but not queued: the core keeps it; a retry queues it */
			om_error("drf-handover", "sender=%s sequence=%u push=%s", sender, seq, om_errname(rc));
	} else if (rc != OM_EDRF_PEER && rc != OM_EDRF_PEER_KEY) {
		om_notice("drf-handover-refused", "peer=%s tls_cn=%s reason=%s", om_http_req_peer(r), cn,
			  om_errname(rc));
	}
	free(bs);
	if (rc < 0)
		return refuse(r, rc);
	/* the core logged the acceptance (or the retry) */
	om_debug("drf-handover", "peer=%s sender=%s request=%s sequence=%u result=accepted", om_http_req_peer(r),
		 sender, rid, seq);
	snprintf(out, sizeof(out), "result=accepted request_id=%s sequence=%u\n", rid, seq);
	om_http_reply(r, 200, "text/plain", out, strlen(out));
}

/* POST /handover/<request_id>/completed, from the new SHO. */
static void completed(struct om_http_req *r, void *arg)
{
	struct drf_http *h = arg;
	char cn[OM_NAME_MAX_LEN + 1], rid[OM_HANDOVER_ID_MAX + 1], out[ANSWER_MAX];
	const char *path = om_http_req_path(r) + strlen("/handover/"), *slash = strchr(path, '/');
	int why = 0;
	const struct drf_peer *peer = tls_peer(h, r, cn, &why);
	size_t n = slash ? (size_t)(slash - path) : 0;
	int rc = 0;
	if (!slash || strcmp(slash, "/completed") || n == 0 || n > OM_HANDOVER_ID_MAX ||
	    strcspn(path, "%?#") < n) {
		om_notice("drf-completed-refused", "peer=%s reason=path", om_http_req_peer(r));
		return refuse(r, OM_EDRF_VALUE);
	}
	memcpy(rid, path, n);
	rid[n] = '\0';
	size_t blen = 0;
	const uint8_t *body = om_http_req_body(r, &blen);
	if (!peer) {
		rc = why;
	} else {
		pthread_mutex_lock(h->lock);
		/* the body is the TRE's outcome statement (issue 12): the core verifies it before anything moves */
		rc = drf_handover_completed(h->drf, peer->sho_id, rid, body, blen, (int64_t)time(NULL));
		pthread_mutex_unlock(h->lock);
	}
	if (rc == OM_EDRF_PEER || rc == OM_EDRF_PEER_KEY) /* the core logs its own refusals and the completion */
		om_notice("drf-completed-refused", "peer=%s tls_cn=%s request=%s reason=%s", om_http_req_peer(r), cn,
			  rid, om_errname(rc));
	if (rc < 0)
		return refuse(r, rc);
	om_debug("drf-completed", "peer=%s sender=%s request=%s", om_http_req_peer(r), peer->sho_id, rid);
	snprintf(out, sizeof(out), "result=completed request_id=%s\n", rid);
	om_http_reply(r, 200, "text/plain", out, strlen(out));
}

int drf_http_routes(struct om_http_server *s, struct drf_http *h)
{
	int rc;
	if ((rc = om_http_route(s, "POST", "/handover", handover, h)) < 0 ||
	    (rc = om_http_route(s, "POST", "/handover/*", completed, h)) < 0)
		return rc;
	return 0;
}
