/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's HTTPS interface between operators (B.2.3.2 step 2), served with
 * required client certificates (mutual TLS):
 *   POST /handover                         signed request (handover.h) -> drf_handover
 *   POST /handover/<request_id>/completed  the new SHO reports success -> drf_handover_completed
 * The TLS client certificate must be an OPERATOR_TLS certificate whose
 * subject CN the peer table maps to the request's sender: one operator
 * cannot speak in another's name. Answers are text/plain, one line:
 *   result=accepted request_id=.. sequence=..   (200)
 *   result=completed request_id=..              (200)
 *   result=refused reason=OM_E...               (400, 403, 409)
 * docs/drf.md "Daemon" has the status of each reason.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>

#include <openmcim/pki.h>

#include "drf.h"
#include "http_server.h"
#include "push.h"

#define DRF_PEERS_MAX 32

/*
 * One peer operator: its SHO id, the subject CN of its OPERATOR_TLS
 * certificate, and that certificate's key pin (om_cert_spki_pin): the CN
 * says which operator a client claims to be, the pin whether it is.
 */
struct drf_peer {
	char sho_id[OM_HANDOVER_SHO_ID_MAX + 1];
	char tls_cn[OM_NAME_MAX_LEN + 1];
	int pinned;
	uint8_t pin[OM_SPKI_PIN_LEN];
};

#define DRF_PEER_SEEN 8 /* peer certificates remembered (issue 14): a few connections per peer */

struct drf_http {
	struct drf *drf;
	pthread_mutex_t *lock;       /* held around every use of drf (and its commits): never by tls_peer */
	struct drf_push *push;
	struct drf_peer peers[DRF_PEERS_MAX];
	size_t n_peers;
	/*
	 * Certificates that named a peer, each with a reference held, and which: under
	 * seen_lock, their own, so that a peer check (a refusal too) never waits on a
	 * commit of the core's under lock.
	 */
	pthread_mutex_t seen_lock;
	struct {
		X509 *cert;
		size_t peer;
	} seen[DRF_PEER_SEEN];
	unsigned seen_next;
};

/* An empty h (no peers, nothing remembered), before drf_http_peers_parse. */
void drf_http_init(struct drf_http *h);

/*
 * Release what h keeps (the remembered certificates), once no handler runs
 * (after om_http_server_free). h is empty again; NULL is a no-op.
 */
void drf_http_free(struct drf_http *h);

/*
 * Parse the peers setting, "SHO-B:drf.sho-b.lab, SHO-C:drf.sho-c.lab"
 * (comma-separated SHO_ID:TLS_CN; spaces around items ignored; each id and
 * each CN at most once) into h->peers. Returns 0 or OM_EDRF_VALUE with the
 * reason in err.
 */
OM_NODISCARD int drf_http_peers_parse(struct drf_http *h, const char *text, char *err, size_t err_len);

/*
 * Parse the peer_certs setting, "SHO-B:/etc/openmcim/drf/sho-b.pem, ..."
 * (comma-separated SHO_ID:PEM file of that peer's OPERATOR_TLS
 * certificate), after drf_http_peers_parse: every peer gets exactly one,
 * and the certificate's CN must be the peer's. Its key is pinned. Returns 0,
 * OM_EDRF_VALUE or the certificate's load code, with the reason in err.
 */
OM_NODISCARD int drf_http_pins_parse(struct drf_http *h, const char *text, char *err, size_t err_len);

/* Register the DRF's routes on s. Returns 0 or an om_http_route code. */
OM_NODISCARD int drf_http_routes(struct om_http_server *s, struct drf_http *h);
