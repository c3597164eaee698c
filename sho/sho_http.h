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

/* Register the routes on s. Returns 0 or an om_http_route code. */
OM_NODISCARD int sho_http_routes(struct om_http_server *s, struct sho_http *h);
