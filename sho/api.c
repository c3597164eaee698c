/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON owner API: callers, sessions, answers, routes (api.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api.h"
#include "log.h"
#include "metrics.h"
#include "sho_int.h"

#define COOKIE "__Host-session"

/* ---- answers ------------------------------------------------------------------ */

void api_headers(struct om_http_req *r)
{
	/* answers carry fleet data and, once, transfer codes: never cached */
	om_http_reply_header(r, "Cache-Control", "no-store");
	om_http_reply_header(r, "X-Content-Type-Options", "nosniff");
	om_http_reply_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

/* Every string of j zeroed: some answers carry transfer codes, which leave no copy in freed memory. */
static void cleanse_tree(cJSON *j)
{
	for (; j; j = j->next) {
		if (cJSON_IsString(j) && j->valuestring)
			OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
		cleanse_tree(j->child);
	}
}

void api_json(struct om_http_req *r, int status, cJSON *j)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cleanse_tree(j);
	cJSON_Delete(j);
	api_headers(r);
	if (!text) {
		static const char oom[] = "{\"error\":{\"code\":\"OM_ENOMEM\",\"reason\":\"out of memory\"}}";
		om_http_reply(r, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	om_http_reply(r, status, "application/json", text, strlen(text)); /* copied into the connection's buffer */
	OPENSSL_cleanse(text, strlen(text));
	cJSON_free(text);
}

cJSON *api_error_object(int rc, const char *detail)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "code", om_errname(rc));
	cJSON_AddStringToObject(e, "reason", detail && *detail ? detail : om_strerror(rc));
	return e;
}

void api_error(struct om_http_req *r, int rc, const char *detail)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, "error", api_error_object(rc, detail));
	api_json(r, sho_http_status(rc), j);
}

void api_time(int64_t t, char out[static 21])
{
	struct tm tm;
	time_t tt = (time_t)t;
	out[0] = '\0';
	if (t > 0 && gmtime_r(&tt, &tm))
		strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void api_add_time(cJSON *o, const char *key, int64_t t)
{
	char s[21];
	api_time(t, s);
	if (s[0])
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

void api_add_text(cJSON *o, const char *key, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *api_device(const struct sho_device_status *d)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "tre_id", d->tre_id);
	cJSON_AddStringToObject(o, "state", d->state);
	cJSON_AddStringToObject(o, "imsi", d->imsi);
	cJSON_AddStringToObject(o, "current_sho", d->current_sho);
	api_add_text(o, "model", d->model);
	api_add_text(o, "request_id", d->request_id);
	api_add_text(o, "reason", d->reason);
	api_add_time(o, "created", d->created);
	api_add_time(o, "updated", d->updated);
	return o;
}

const char *api_path_id(struct om_http_req *r, const char *prefix, size_t max)
{
	const char *id = om_http_req_path(r) + strlen(prefix);
	return sho_id_ok(id, max) && strcspn(id, "/%?#") == strlen(id) ? id : NULL;
}

cJSON *api_body(struct om_http_req *r)
{
	size_t len;
	const char *ct = om_http_req_header(r, "Content-Type");
	const uint8_t *b = om_http_req_body(r, &len);
	if (!ct || strncmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')) {
		api_error(r, OM_ESHO_REQUEST, "the body must be application/json");
		return NULL;
	}
	cJSON *j = len ? cJSON_ParseWithLength((const char *)b, len) : NULL;
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		api_error(r, OM_ESHO_REQUEST, "the body is not a JSON object");
	}
	return j;
}

/* ---- who is calling ---------------------------------------------------------------- */

/* The session cookie's value into out, or "". */
static void cookie_value(struct om_http_req *r, char out[static SHO_SESSION_ID_LEN + 1])
{
	const char *c = om_http_req_header(r, "Cookie");
	out[0] = '\0';
	for (const char *p = c; p && *p;) {
		p += strspn(p, " ;");
		size_t n = strcspn(p, ";");
		if (n == strlen(COOKIE) + 1 + SHO_SESSION_ID_LEN && !strncmp(p, COOKIE "=", strlen(COOKIE) + 1)) {
			memcpy(out, p + strlen(COOKIE) + 1, SHO_SESSION_ID_LEN);
			out[SHO_SESSION_ID_LEN] = '\0';
			return;
		}
		p += n;
	}
}

/* A refused secret check: 429 and 503 say when to come back (auth_guard.h). */
static void auth_refused(struct om_http_req *r, struct sho_api *a, int rc)
{
	char s[24];
	if (rc == OM_ESHO_AUTH_LIMIT || rc == OM_ESHO_BUSY) {
		snprintf(s, sizeof(s), "%u", rc == OM_ESHO_BUSY ? 1u : a->http->guard.window_s);
		om_http_reply_header(r, "Retry-After", s);
	}
	api_error(r, rc, NULL);
}

/*
 * The live session of cookie value sid, signed in under the owner's secret as it is now (threats
 * O.1): a secret changed or an owner deleted (sho-admin, on the daemon's other handle) ends that
 * owner's sessions at their next request, another owner's live on. NULL if none.
 */
static const struct sho_session *live_session(struct sho_api *a, const char *sid, int64_t now)
{
	uint8_t stamp[SHO_OWNER_STAMP_LEN];
	const struct sho_session *s = sho_session_find(a->sessions, sid, now);
	if (!s)
		return NULL;
	int rc = sho_owner_stamp(a->sho, s->owner_id, stamp);
	if (rc == 0 && !CRYPTO_memcmp(stamp, s->stamp, sizeof(stamp)))
		return s;
	if (rc == 0 || rc == OM_ESHO_NOT_FOUND) {
		om_notice("sho-session-ended", "owner=%s reason=%s", s->owner_id,
			  rc ? "owner-deleted" : "secret-changed");
		sho_session_end(a->sessions, sid);
	}
	return NULL; /* a store that does not answer ends nothing, and serves nothing */
}

int api_caller(struct om_http_req *r, struct sho_api *a, int change, struct api_caller *c)
{
	char sid[SHO_SESSION_ID_LEN + 1], id[SHO_OWNER_ID_MAX + 1] = "", secret[SHO_SECRET_MAX + 1] = "";
	int64_t now = sho_now();
	memset(c, 0, sizeof(*c));
	cookie_value(r, sid);
	if (sid[0]) {
		const struct sho_session *s = live_session(a, sid, now);
		OPENSSL_cleanse(sid, sizeof(sid));
		if (!s) {
			api_error(r, OM_ESHO_SESSION, "signed out: sign in again");
			return OM_ESHO_SESSION;
		}
		if (change && !sho_session_csrf_ok(s, om_http_req_header(r, "X-CSRF-Token"))) {
			om_notice("sho-csrf-refused", "peer=%s path=%s owner=%s", om_http_req_peer(r), om_http_req_path(r),
				  s->owner_id);
			api_error(r, OM_ESHO_CSRF, NULL);
			return OM_ESHO_CSRF;
		}
		snprintf(c->owner_id, sizeof(c->owner_id), "%s", s->owner_id);
		return 0;
	}
	if (!sho_http_basic(r, id, secret)) {
		/* no WWW-Authenticate: a browser must never be led to keep Basic credentials (they would ride on
		 * cross-site requests); the console signs in with POST /api/v1/session */
		api_error(r, OM_ESHO_SESSION, "sign in (POST /api/v1/session) or send HTTP Basic credentials");
		return OM_ESHO_SESSION;
	}
	int rc = sho_http_check_secret(r, a->http, id, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc < 0)
		auth_refused(r, a, rc);
	if (rc < 0) {
		om_debug("sho-auth-refused", "peer=%s path=%s owner=%s code=%s", om_http_req_peer(r), om_http_req_path(r),
			 id, om_errname(rc));
		return rc;
	}
	snprintf(c->owner_id, sizeof(c->owner_id), "%s", id);
	return 0;
}

/* ---- /api/v1/session ------------------------------------------------------------------ */

static cJSON *session_json(const struct sho_session *s, const char *sho_id)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "owner", s->owner_id);
	cJSON_AddStringToObject(j, "operator", sho_id);
	cJSON_AddStringToObject(j, "csrf_token", s->csrf);
	int64_t idle = s->last + SHO_SESSION_IDLE_S, life = s->created + SHO_SESSION_LIFE_S;
	api_add_time(j, "expires", idle < life ? idle : life);
	return j;
}

static struct om_metric m_sign_in =
	OM_COUNTER("openmcim_sho_sign_ins_total", "Owners' sign-ins, by result (ok, or the error code)", "result");

static void sign_in(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	char sid[SHO_SESSION_ID_LEN + 1], cookie[SHO_SESSION_ID_LEN + 128];
	const struct sho_session *s = NULL;
	cJSON *b = api_body(r);
	if (!b)
		return;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "owner"));
	char *secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "secret"));
	uint8_t stamp[SHO_OWNER_STAMP_LEN] = { 0 };
	int rc = id && secret && sho_id_ok(id, SHO_OWNER_ID_MAX) && strlen(secret) <= SHO_SECRET_MAX ? 0 : OM_ESHO_REQUEST;
	/* the stamp before the check: a secret changed in between leaves the session the old stamp, and it ends at
	 * its first request; an unknown owner goes on to the check and its refusal (no shortcut to time) */
	if (rc == 0 && (rc = sho_owner_stamp(a->sho, id, stamp)) == OM_ESHO_NOT_FOUND)
		rc = 0;
	if (rc == 0 && (rc = sho_http_check_secret(r, a->http, id, secret)) == 0)
		rc = sho_session_new(a->sessions, id, stamp, sho_now(), sid, &s);
	if (secret)
		OPENSSL_cleanse(secret, strlen(secret));
	if (rc == 0) {
		om_info("sho-sign-in", "peer=%s owner=%s", om_http_req_peer(r), s->owner_id);
		om_metric_inc(&m_sign_in, "ok");
		snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%d", sid,
			 SHO_SESSION_LIFE_S);
		OPENSSL_cleanse(sid, sizeof(sid));
		om_http_reply_header(r, "Set-Cookie", cookie);
		OPENSSL_cleanse(cookie, sizeof(cookie));
		api_json(r, 200, session_json(s, a->sho_id));
	} else {
		om_notice("sho-sign-in-refused", "peer=%s owner=%s code=%s", om_http_req_peer(r),
			  id && sho_id_ok(id, SHO_OWNER_ID_MAX) ? id : "-", om_errname(rc));
		om_metric_inc_err(&m_sign_in, rc);
		if (rc == OM_ESHO_REQUEST)
			api_error(r, rc, "owner and secret (strings) are required");
		else
			auth_refused(r, a, rc);
	}
	cJSON_Delete(b);
}

static void session_get(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	char sid[SHO_SESSION_ID_LEN + 1];
	cookie_value(r, sid);
	const struct sho_session *s = sid[0] ? live_session(a, sid, sho_now()) : NULL;
	OPENSSL_cleanse(sid, sizeof(sid));
	if (!s)
		return api_error(r, OM_ESHO_SESSION, NULL);
	api_json(r, 200, session_json(s, a->sho_id));
}

static void sign_out(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	char sid[SHO_SESSION_ID_LEN + 1];
	cookie_value(r, sid);
	if (!sid[0])
		return api_error(r, OM_ESHO_SESSION, NULL);
	if (api_caller(r, a, 1, &c) < 0)
		return;
	sho_session_end(a->sessions, sid);
	OPENSSL_cleanse(sid, sizeof(sid));
	om_info("sho-sign-out", "peer=%s owner=%s", om_http_req_peer(r), c.owner_id);
	om_http_reply_header(r, "Set-Cookie", COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "signed_out", 1);
	api_json(r, 200, j);
}

/* ---- routes ------------------------------------------------------------------------------ */

static const struct sho_route routes[] = {
	{ "POST", "/api/v1/session", sign_in },
	{ "GET", "/api/v1/session", session_get },
	{ "DELETE", "/api/v1/session", sign_out },
	{ "GET", "/api/v1/devices", api_devices },
	{ "POST", "/api/v1/devices", api_register },
	{ "GET", "/api/v1/devices/*", api_device_one },
	{ "GET", "/api/v1/timeline", api_timeline },
	{ "GET", "/api/v1/report", api_report },
	{ "POST", "/api/v1/transfer-codes", api_codes },
	{ "POST", "/api/v1/moves", api_move_start },
	{ "GET", "/api/v1/moves", api_moves },
	{ "GET", "/api/v1/moves/*", api_move_one },
	{ "POST", "/api/v1/synthetic", api_synth_accept },
	{ "POST", "/api/v1/synthetic/activate", api_synth_activate },
	{ "GET", "/", api_console },
	{ "GET", "/console/*", api_console },
	{ NULL, NULL, NULL },
};

const struct sho_route *sho_api_route_table(void)
{
	return routes;
}

int sho_api_routes(struct om_http_server *s, struct sho_api *a)
{
	if (!a->sessions && !(a->sessions = calloc(1, sizeof(*a->sessions))))
		return OM_ENOMEM;
	for (const struct sho_route *rt = routes; rt->method; rt++) {
		int rc = om_http_route(s, rt->method, rt->path, rt->h, a);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void sho_api_free(struct sho_api *a)
{
	if (!a)
		return;
	if (a->sessions)
		OPENSSL_cleanse(a->sessions, sizeof(*a->sessions));
	free(a->sessions);
	a->sessions = NULL;
	sho_synth_free(a->synth);
	a->synth = NULL;
}
