/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner API in JSON (/api/v1, described by docs/openapi.yaml) and the
 * web console's files, beside the text API of sho_http.h (docs/owner.md).
 * A caller is an owner signed in to the console (session cookie, and the
 * CSRF token on every change, session.h) or an API client sending HTTP
 * Basic with each request; every query names that owner. Errors are
 * {"error": {"code": "OM_E...", "reason": "..."}} with the status of
 * sho_http_status; times are ISO 8601 in UTC. Handlers run on the HTTP
 * server's thread; bulk moves on the mover's (move.h).
 */
#pragma once

#include <cjson/cJSON.h>

#include "http_server.h"
#include "move.h"
#include "session.h"
#include "sho.h"
#include "sho_http.h"
#include "sho_peer.h"
#include "synthetic.h"

struct sho_api {
	struct sho *sho;               /* the handlers' handle (under the server's handler lock) */
	struct sho_http *http;         /* the text API's: its secret checks and their guard */
	const struct sho_peers *peers;
	struct sho_mover *mover;       /* started by the caller */
	struct sho_sessions *sessions; /* allocated by sho_api_routes */
	const char *sho_id;            /* this SHO */
	const char *console_dir;       /* the console's files; NULL: no console */
	const char *drf_socket;        /* this operator's DRF's admin socket, for transfer codes; NULL: none */
	struct sho_synth *synth;       /* Alternative 3: the manufacturers' verifiers ([synthetic] dir); NULL: none */
	struct sho_synth_target synth_target;
};

/* The JSON API's and the console's routes (sho_http.h has the text API's), ending with a NULL method. */
const struct sho_route *sho_api_route_table(void);

/* Register the JSON API's and the console's routes on s. Returns 0 or a code. */
OM_NODISCARD int sho_api_routes(struct om_http_server *s, struct sho_api *a);
void sho_api_free(struct sho_api *a);

/* ---- for the handlers (api_*.c) ---- */

struct api_caller {
	char owner_id[SHO_OWNER_ID_MAX + 1];
};

/*
 * Who is calling: a live session (a change must carry its CSRF token) or
 * HTTP Basic (sho_http_check_secret, with its guard). Answers the refusal
 * itself and returns its code, or 0.
 */
OM_NODISCARD int api_caller(struct om_http_req *r, struct sho_api *a, int change, struct api_caller *c);

/* Answer with j (deleted here), adding the API's headers. */
void api_json(struct om_http_req *r, int status, cJSON *j);
/* Answer {"error": {...}} for rc with its status; detail may be NULL. */
void api_error(struct om_http_req *r, int rc, const char *detail);
/* {"code": "OM_E...", "reason": "..."} for rc (reason: detail, else the code's message). */
cJSON *api_error_object(int rc, const char *detail);
/* The headers every API answer carries (no caching, no sniffing). */
void api_headers(struct om_http_req *r);

/* ISO 8601 UTC ("2026-12-07T06:48:52Z"); 0 gives "". */
void api_time(int64_t t, char out[static 21]);
/* Add key: ISO time, or null for 0. */
void api_add_time(cJSON *o, const char *key, int64_t t);
/* Add key: s, or null for "". */
void api_add_text(cJSON *o, const char *key, const char *s);
/* A device as JSON. */
cJSON *api_device(const struct sho_device_status *d);
/* The TRE_id after prefix in the path, or NULL. */
const char *api_path_id(struct om_http_req *r, const char *prefix, size_t max);
/* The JSON body (Content-Type application/json), or NULL after answering 400/415. */
cJSON *api_body(struct om_http_req *r);

/* handlers */
void api_devices(struct om_http_req *r, void *arg);
void api_device_one(struct om_http_req *r, void *arg);
void api_register(struct om_http_req *r, void *arg);
void api_timeline(struct om_http_req *r, void *arg);
void api_synth_accept(struct om_http_req *r, void *arg);
void api_synth_activate(struct om_http_req *r, void *arg);
void api_report(struct om_http_req *r, void *arg);
void api_codes(struct om_http_req *r, void *arg);
void api_move_start(struct om_http_req *r, void *arg);
void api_moves(struct om_http_req *r, void *arg);
void api_move_one(struct om_http_req *r, void *arg);
void api_console(struct om_http_req *r, void *arg);
