/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO registration service's owner API over HTTPS (docs/sho.md
 * "Daemon"). Owners authenticate on every request with HTTP Basic (owner
 * id and secret, checked by sho_owner_check); TLS protects the secret.
 *   POST /register            delivery note CSV -> per-row report CSV
 *   POST /register/partial    the same with SHO_REG_PARTIAL
 *   GET  /status/<tre_id>     one of the owner's own devices
 *   POST /handover/<tre_id>   body: the transfer code the current SHO issued
 *                             to the owner -> the signed request to the
 *                             current SHO's DRF (sho_peer.h), its answer
 *                             recorded and returned
 * Answers are text/plain (key=value lines) or text/csv.
 */
#pragma once

#include "auth_guard.h"
#include "http_server.h"
#include "sho.h"
#include "sho_peer.h"

struct sho_http {
	struct sho *sho;          /* used under the server's handler lock only */
	const struct sho_peers *peers;
	const char *hss_socket;   /* asked before a registration (NULL: not asked) */
	unsigned hss_probe_ms;    /* how long that question may take */
	struct sho_guard guard;   /* failures and scrypt slots (auth_guard.h) */
};

/* One route as served: the OpenAPI test (sho/api_openapi_test.c) checks each is described. */
struct sho_route {
	const char *method, *path; /* path as routed: a trailing '*' is a prefix */
	om_http_handler h;
};

/* The text API's routes, ending with a NULL method. */
const struct sho_route *sho_http_route_table(void);

/*
 * The owner id and secret of an HTTP Basic Authorization header (RFC 7617),
 * not checked. Returns 1 when present and well formed (id as sho_id_ok).
 */
int sho_http_basic(struct om_http_req *r, char id[static SHO_OWNER_ID_MAX + 1], char secret[static SHO_SECRET_MAX + 1]);

/*
 * The owner's secret: remembered, or scrypt with the handler lock released
 * so other owners are served meanwhile, within the guard's bounds
 * (auth_guard.h). 0, OM_ESHO_OWNER_AUTH, OM_ESHO_AUTH_LIMIT, OM_ESHO_BUSY
 * or a store code. For the text and the JSON API alike.
 */
OM_NODISCARD int sho_http_check_secret(struct om_http_req *r, struct sho_http *h, const char *owner_id,
				       const char *secret);

/* The HTTP status for a core code, shared by the text and the JSON API. */
int sho_http_status(int rc);

/* A struct sho_wait that releases and retakes r's handler lock (om_http_release / om_http_reacquire). */
void sho_http_wait(struct sho_wait *w, struct om_http_req *r);

/* Register the routes on s. Returns 0 or an om_http_route code. */
OM_NODISCARD int sho_http_routes(struct om_http_server *s, struct sho_http *h);
