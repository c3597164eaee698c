/* SPDX-License-Identifier: Apache-2.0 */
/* The owner API's handlers (sho_http.h, docs/sho.md "Daemon"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/base64.h>

#include "log.h"
#include "hss_link.h"
#include "move.h"
#include "sho_http.h"
#include "sho_int.h"

#define LINE_MAX_ 512

struct owner {
	char id[SHO_OWNER_ID_MAX + 1];
	char secret[SHO_SECRET_MAX + 1];
};

static void reply_text(struct om_http_req *r, int status, const char *text)
{
	om_http_reply(r, status, "text/plain", text, strlen(text));
}

int sho_http_basic(struct om_http_req *r, char id[static SHO_OWNER_ID_MAX + 1], char secret[static SHO_SECRET_MAX + 1])
{
	const char *a = om_http_req_header(r, "Authorization");
	uint8_t *dec = NULL;
	size_t n = 0;
	int ok = 0;
	id[0] = secret[0] = '\0';
	/* strict base64 (lib/core): one spelling of the credentials, no NUL inside */
	if (a && !strncmp(a, "Basic ", 6) &&
	    om_base64_decode(a + 6, strlen(a + 6), SHO_OWNER_ID_MAX + SHO_SECRET_MAX + 1, &dec, &n) == 0 &&
	    !memchr(dec, '\0', n)) {
		uint8_t *colon = memchr(dec, ':', n);
		size_t il = colon ? (size_t)(colon - dec) : 0;
		size_t sl = colon ? n - il - 1 : 0;
		if (colon && il <= SHO_OWNER_ID_MAX && sl <= SHO_SECRET_MAX) {
			memcpy(id, dec, il);
			id[il] = '\0';
			memcpy(secret, colon + 1, sl);
			secret[sl] = '\0';
			ok = sho_id_ok(id, SHO_OWNER_ID_MAX);
		}
	}
	if (dec)
		OPENSSL_cleanse(dec, n);
	free(dec);
	return ok;
}

int sho_http_check_secret(struct om_http_req *r, struct sho_http *h, const char *owner_id, const char *secret)
{
	struct sho_owner_claim c;
	const char *peer = om_http_req_peer(r);
	int rc = sho_owner_recall(h->sho, owner_id, secret, &c);
	if (rc == 1 && (rc = sho_guard_begin(&h->guard, peer, owner_id, sho_now())) == 0) {
		om_http_release(r);
		rc = sho_owner_verify(&c, secret);
		om_http_reacquire(r);
		sho_guard_end(&h->guard, peer, owner_id, rc < 0, sho_now());
		if (rc == 0)
			sho_owner_remember(h->sho, &c, secret);
	}
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

/*
 * HTTP Basic (RFC 7617) owner id and secret, checked by sho_http_check_secret.
 * Returns 0, or answers itself and returns the code: 401
 * (OM_ESHO_OWNER_AUTH), 429 (OM_ESHO_AUTH_LIMIT), 503 (OM_ESHO_BUSY).
 */
static int authenticate(struct om_http_req *r, struct sho_http *h, struct owner *o)
{
	int rc = OM_ESHO_OWNER_AUTH;
	memset(o, 0, sizeof(*o));
	if (sho_http_basic(r, o->id, o->secret))
		rc = sho_http_check_secret(r, h, o->id, o->secret);
	if (rc == 0)
		return 0;
	om_debug("sho-auth-refused", "peer=%s path=%s owner=%s", om_http_req_peer(r), om_http_req_path(r),
		  sho_id_ok(o->id, SHO_OWNER_ID_MAX) ? o->id : "-");
	OPENSSL_cleanse(o, sizeof(*o));
	if (rc == OM_ESHO_AUTH_LIMIT || rc == OM_ESHO_BUSY) {
		char wait[16];
		snprintf(wait, sizeof(wait), "%u", rc == OM_ESHO_BUSY ? 1u : h->guard.window_s);
		om_http_reply_header(r, "Retry-After", wait);
		reply_text(r, rc == OM_ESHO_BUSY ? 503 : 429,
			   rc == OM_ESHO_BUSY ? "result=error reason=OM_ESHO_BUSY\n" : "result=refused reason=OM_ESHO_AUTH_LIMIT\n");
		return rc;
	}
	/* no WWW-Authenticate (review finding 6): these routes share the console's origin, and a browser led
	 * to keep Basic credentials would send them with any cross-site request to it */
	reply_text(r, 401, "result=refused reason=OM_ESHO_OWNER_AUTH\n");
	return OM_ESHO_OWNER_AUTH;
}

/* The TRE_id after prefix in the path, if it is one; else NULL. */
static const char *tre_id_in_path(struct om_http_req *r, const char *prefix)
{
	const char *id = om_http_req_path(r) + strlen(prefix);
	return sho_id_ok(id, OM_TRE_ID_MAX) && strcspn(id, "/%?#") == strlen(id) ? id : NULL;
}

/* The status an owner gets for a core code (sho_http.h). */
int sho_http_status(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case OM_ESHO_OWNER_AUTH:
	case OM_ESHO_SESSION:
		return 401;
	case OM_ESHO_CSRF:
		return 403;
	case OM_ESHO_AUTH_LIMIT:
	case OM_ESHO_MOVE_LIMIT:
		return 429;
	case OM_ESHO_NOTE:
	case OM_ESHO_REQUEST:
	case OM_EAUTH_SYNTH_KU:
	case OM_EINVAL:
		return 400;
	case OM_ESHO_NOT_FOUND:
	case OM_ESHO_SYNTH_UNKNOWN:
		return 404;
	case OM_ESHO_STATE:
	case OM_ESHO_DUPLICATE:
	case OM_ESHO_IMSI_RANGE:
		return 409;
	case OM_ESHO_REFUSED:
		return 422;
	case OM_ESHO_PEER_ANSWER:
	case OM_ESHO_HSS:
		return 502;
	case OM_ESHO_DRF:
	case OM_ESHO_BUSY:
		return 503;
	case OM_ESHO_PEER_TRANSPORT:
		return 504;
	default:
		return rc <= -970 && rc >= -975 ? 502 : 500; /* OM_EOCSP_*: the PVA could not be asked */
	}
}

static void wait_release(void *r)
{
	om_http_release(r);
}

static void wait_reacquire(void *r)
{
	om_http_reacquire(r);
}

void sho_http_wait(struct sho_wait *w, struct om_http_req *r)
{
	*w = (struct sho_wait){ .release = wait_release, .reacquire = wait_reacquire, .arg = r };
}

static void refuse(struct om_http_req *r, int rc, const char *detail)
{
	char out[LINE_MAX_];
	snprintf(out, sizeof(out), "result=%s reason=%s%s%s\n", sho_http_status(rc) >= 500 ? "error" : "refused",
		 om_errname(rc), detail && *detail ? " detail=" : "", detail ? detail : "");
	reply_text(r, sho_http_status(rc), out);
}

/*
 * A change on the text API carries a Content-Type no HTML form can send
 * (review finding 6): not application/x-www-form-urlencoded,
 * multipart/form-data or text/plain, and not none. A cross-site page can
 * send another only after a CORS preflight, which this server never grants,
 * so a browser holding the owner's credentials cannot be made to register
 * or move devices. Answers OM_ESHO_CSRF (403) itself and returns it, or 0.
 */
static int not_a_form(struct om_http_req *r)
{
	static const char *const simple[] = { "application/x-www-form-urlencoded", "multipart/form-data", "text/plain" };
	const char *t = om_http_req_header(r, "Content-Type");
	size_t n = t ? strcspn(t, "; \t") : 0;
	int ok = n > 0;
	for (size_t i = 0; ok && i < sizeof(simple) / sizeof(simple[0]); i++)
		ok = !(n == strlen(simple[i]) && !strncasecmp(t, simple[i], n));
	if (ok)
		return 0;
	om_notice("sho-csrf", "peer=%s path=%s content_type=%s", om_http_req_peer(r), om_http_req_path(r),
		  n ? "form" : "none");
	refuse(r, OM_ESHO_CSRF, "a change needs Content-Type text/csv (a delivery note) or application/octet-stream (a code)");
	return OM_ESHO_CSRF;
}

/* ---- POST /register ---------------------------------------------------- */

/*
 * The body through sho_note_parse, read where it is: the note carries owner
 * claim secrets, which never go to a file here. Returns rows or a code.
 */
static int read_note(const uint8_t *body, size_t len, struct sho_device_in **devs, char *why, size_t wl)
{
	char raw[LINE_MAX_] = "";
	FILE *f = len ? fmemopen((void *)body, len, "r") : NULL;
	if (!f)
		return om_reason(why, wl, OM_ESHO_NOTE, "empty body");
	int rc = sho_note_parse(f, "note", devs, raw, sizeof(raw));
	fclose(f);
	const char *r = !strncmp(raw, "note", 4) ? raw + 4 : raw;
	snprintf(why, wl, "%s", r + strspn(r, ": "));
	return rc;
}

/* One report row; commas in reasons become semicolons (no quoting in our CSVs). */
static size_t report_row(char *out, size_t cap, const struct sho_row_report *p, int call_rc)
{
	char last[SHO_REASON_MAX + 64];
	const char *result;
	if (p->rc < 0) {
		result = "refused";
		snprintf(last, sizeof(last), "%s %s", om_errname(p->rc), p->reason);
	} else if (!p->committed && call_rc < 0) {
		result = "not_registered";
		snprintf(last, sizeof(last), "%s", om_errname(call_rc));
	} else {
		result = p->unchanged ? "unchanged" : p->transferred ? "transferred" : "registered";
		snprintf(last, sizeof(last), "%s", p->imsi);
	}
	for (char *c = last; *c; c++)
		if (*c == ',' || *c == '\n' || *c == '\r')
			*c = ';';
	int n = snprintf(out, cap, "%s,%s,%s\n", p->tre_id, result, last);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static void do_register(struct om_http_req *r, struct sho_http *h, unsigned flags)
{
	struct owner o;
	struct sho_device_in *devs = NULL;
	struct sho_row_report *rep = NULL;
	char why[LINE_MAX_] = "", *csv = NULL;
	size_t len, n_rows = 0, used = 0;
	unsigned fresh = 0, same = 0, bad = 0;
	if (authenticate(r, h, &o) < 0)
		return;
	if (not_a_form(r) < 0) {
		OPENSSL_cleanse(&o, sizeof(o));
		return;
	}
	const uint8_t *body = om_http_req_body(r, &len);
	int rc = read_note(body, len, &devs, why, sizeof(why));
	if (rc < 0)
		goto out;
	n_rows = (size_t)rc;
	/*
	 * A registration needs the HSS, inside its transaction: asked first, with the lock
	 * released, so a stopped HSS fails this call in hss_probe_ms and no other (issue 14).
	 */
	om_http_release(r);
	int hss = h->hss_socket ? sho_hss_probe(h->hss_socket, h->hss_probe_ms, why, sizeof(why)) : 0;
	om_http_reacquire(r);
	if (hss < 0) {
		rc = hss;
		goto out;
	}
	size_t cap = 64 + n_rows * (OM_TRE_ID_MAX + SHO_REASON_MAX + 96);
	if (!(rep = calloc(n_rows, sizeof(*rep))) || !(csv = malloc(cap))) {
		rc = OM_ENOMEM;
		goto out;
	}
	/* verified by authenticate above: not again, the cache entry may be gone (scrypt under the lock) */
	struct sho_wait wait;
	sho_http_wait(&wait, r);
	rc = sho_register_wait(h->sho, o.id, o.secret, devs, n_rows, flags | SHO_REG_OWNER_VERIFIED, rep, &wait);
	if (rc == 0 || rc == OM_ESHO_REFUSED) {
		used = (size_t)snprintf(csv, cap, "tre_id,result,imsi_or_reason\n");
		for (size_t i = 0; i < n_rows; i++) {
			used += report_row(csv + used, cap - used, &rep[i], rc);
			fresh += rep[i].rc == 0 && rep[i].committed && !rep[i].unchanged;
			same += rep[i].rc == 0 && rep[i].unchanged;
			bad += rep[i].rc < 0;
		}
	}
out:
	if (rc == 0 || (rc == OM_ESHO_REFUSED && csv))
		om_debug("sho-register", "peer=%s owner=%s rows=%zu registered=%u unchanged=%u refused=%u partial=%u result=%s",
			om_http_req_peer(r), o.id, n_rows, fresh, same, bad, flags & SHO_REG_PARTIAL ? 1u : 0u,
			rc == 0 ? "ok" : om_errname(rc));
	else
		om_notice("sho-register", "peer=%s owner=%s rows=%zu result=%s", om_http_req_peer(r), o.id, n_rows,
			  om_errname(rc));
	if (csv && used)
		om_http_reply(r, sho_http_status(rc), "text/csv", csv, used);
	else
		refuse(r, rc, why);
	OPENSSL_cleanse(&o, sizeof(o));
	sho_devices_free(devs, n_rows);
	free(rep);
	free(csv);
}

static void register_all(struct om_http_req *r, void *arg)
{
	do_register(r, arg, 0);
}

static void register_partial(struct om_http_req *r, void *arg)
{
	do_register(r, arg, SHO_REG_PARTIAL);
}

/* ---- GET /status/<tre_id> ------------------------------------------------ */

static void status(struct om_http_req *r, void *arg)
{
	struct sho_http *h = arg;
	struct sho_device_status st;
	struct owner o;
	char out[1024];
	if (authenticate(r, h, &o) < 0)
		return;
	const char *id = tre_id_in_path(r, "/status/");
	int rc = id ? sho_status(h->sho, id, &st) : OM_EINVAL;
	if (rc == 0 && strcmp(st.owner_id, o.id))
		rc = OM_ESHO_NOT_FOUND; /* another owner's device is no business of this one */
	OPENSSL_cleanse(&o, sizeof(o));
	if (rc < 0) {
		om_debug("sho-status", "peer=%s result=%s", om_http_req_peer(r), om_errname(rc));
		return refuse(r, rc, NULL);
	}
	snprintf(out, sizeof(out),
		 "tre_id=%s\nstate=%s\nimsi=%s\ncurrent_sho=%s\nrequest_id=%s\nreason=%s\ncreated=%lld\nupdated=%lld\n",
		 st.tre_id, st.state, st.imsi, st.current_sho, st.request_id, st.reason, (long long)st.created,
		 (long long)st.updated);
	reply_text(r, 200, out);
}

/* ---- POST /handover/<tre_id> ---------------------------------------------- */

/* The transfer code from the body: printable, no spaces, trailing line end allowed. */
static int code_from_body(struct om_http_req *r, char code[static OM_HANDOVER_CODE_MAX + 1])
{
	size_t len;
	const uint8_t *b = om_http_req_body(r, &len);
	while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
		len--;
	if (len == 0 || len > OM_HANDOVER_CODE_MAX)
		return OM_EINVAL;
	for (size_t i = 0; i < len; i++)
		if (b[i] <= ' ' || b[i] > '~')
			return OM_EINVAL;
	memcpy(code, b, len);
	code[len] = '\0';
	return 0;
}

static void handover(struct om_http_req *r, void *arg)
{
	struct sho_http *h = arg;
	struct sho_move_outcome mo;
	struct owner o;
	char code[OM_HANDOVER_CODE_MAX + 1] = "", out[LINE_MAX_];
	if (authenticate(r, h, &o) < 0)
		return;
	if (not_a_form(r) < 0) {
		OPENSSL_cleanse(&o, sizeof(o));
		return;
	}
	struct sho_device_status st;
	const char *id = tre_id_in_path(r, "/handover/");
	int rc = id ? sho_status(h->sho, id, &st) : OM_EINVAL;
	if (rc == 0 && strcmp(st.owner_id, o.id))
		rc = OM_ESHO_NOT_FOUND; /* another owner's device is no business of this one, whatever the body */
	if (rc == 0)
		rc = code_from_body(r, code);
	if (rc == 0) /* the secret was checked just now: the request is made as this owner */
		sho_move_one(h->sho, h->peers, o.id, id, code, r, &mo);
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(&o, sizeof(o));
	if (rc < 0)
		return refuse(r, rc, NULL);
	if (mo.result == SHO_MOVE_PENDING) {
		/* still handover_requested: the owner's retry resends the same request */
		snprintf(out, sizeof(out), "result=pending tre_id=%s request_id=%s reason=%s\n", id, mo.request_id,
			 om_errname(mo.rc));
		return reply_text(r, sho_http_status(mo.rc), out);
	}
	if (mo.rc < 0)
		return refuse(r, mo.rc, NULL);
	int refused = mo.result == SHO_MOVE_REFUSED;
	snprintf(out, sizeof(out), "result=%s tre_id=%s request_id=%s%s%s\n", refused ? "refused" : "accepted", id,
		 mo.request_id, refused ? " reason=" : "", refused ? mo.reason : "");
	reply_text(r, refused ? 409 : 200, out);
}

static const struct sho_route routes[] = {
	{ "POST", "/register", register_all },
	{ "POST", "/register/partial", register_partial },
	{ "GET", "/status/*", status },
	{ "POST", "/handover/*", handover },
	{ NULL, NULL, NULL },
};

const struct sho_route *sho_http_route_table(void)
{
	return routes;
}

int sho_http_routes(struct om_http_server *s, struct sho_http *h)
{
	for (const struct sho_route *rt = routes; rt->method; rt++) {
		int rc = om_http_route(s, rt->method, rt->path, rt->h, h);
		if (rc < 0)
			return rc;
	}
	return 0;
}
