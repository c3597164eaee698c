/* SPDX-License-Identifier: Apache-2.0 */
/* The owner API's handlers (sho_http.h, docs/sho.md "Daemon"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "hss_link.h"
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

/*
 * The owner's secret: remembered, or scrypt with the handler lock released
 * so other owners are served meanwhile, within the guard's bounds
 * (auth_guard.h). 0 or a code.
 */
static int check_secret(struct om_http_req *r, struct sho_http *h, const struct owner *o)
{
	struct sho_owner_claim c;
	const char *peer = om_http_req_peer(r);
	int rc = sho_owner_recall(h->sho, o->id, o->secret, &c);
	if (rc == 1 && (rc = sho_guard_begin(&h->guard, peer, o->id, sho_now())) == 0) {
		om_http_release(r);
		rc = sho_owner_verify(&c, o->secret);
		om_http_reacquire(r);
		sho_guard_end(&h->guard, peer, o->id, rc < 0, sho_now());
		if (rc == 0)
			sho_owner_remember(h->sho, &c, o->secret);
	}
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

/*
 * HTTP Basic (RFC 7617) owner id and secret, checked by check_secret.
 * Returns 0, or answers itself and returns the code: 401
 * (OM_ESHO_OWNER_AUTH), 429 (OM_ESHO_AUTH_LIMIT), 503 (OM_ESHO_BUSY).
 */
static int authenticate(struct om_http_req *r, struct sho_http *h, struct owner *o)
{
	const char *a = om_http_req_header(r, "Authorization");
	unsigned char dec[(SHO_OWNER_ID_MAX + SHO_SECRET_MAX + 2) / 3 * 3 + 8];
	int rc = OM_ESHO_OWNER_AUTH, n = -1;
	memset(o, 0, sizeof(*o));
	if (a && !strncmp(a, "Basic ", 6)) {
		size_t len = strlen(a + 6);
		if (len % 4 == 0 && len / 4 * 3 < sizeof(dec))
			n = EVP_DecodeBlock(dec, (const unsigned char *)a + 6, (int)len);
		while (n > 0 && len > 0 && a[6 + --len] == '=')
			n--;
	}
	if (n > 0) {
		dec[n] = '\0';
		char *colon = memchr(dec, ':', (size_t)n);
		size_t il = colon ? (size_t)(colon - (char *)dec) : 0;
		size_t sl = colon ? (size_t)n - il - 1 : 0;
		if (colon && il <= SHO_OWNER_ID_MAX && sl <= SHO_SECRET_MAX && strlen((char *)dec) == (size_t)n) {
			memcpy(o->id, dec, il);
			memcpy(o->secret, colon + 1, sl);
			rc = sho_id_ok(o->id, SHO_OWNER_ID_MAX) ? check_secret(r, h, o) : OM_ESHO_OWNER_AUTH;
		}
	}
	OPENSSL_cleanse(dec, sizeof(dec));
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
	om_http_reply_header(r, "WWW-Authenticate", "Basic realm=\"openmcim-sho\", charset=\"UTF-8\"");
	reply_text(r, 401, "result=refused reason=OM_ESHO_OWNER_AUTH\n");
	return OM_ESHO_OWNER_AUTH;
}

/* The TRE_id after prefix in the path, if it is one; else NULL. */
static const char *tre_id_in_path(struct om_http_req *r, const char *prefix)
{
	const char *id = om_http_req_path(r) + strlen(prefix);
	return sho_id_ok(id, OM_TRE_ID_MAX) && strcspn(id, "/%?#") == strlen(id) ? id : NULL;
}

/* The status an owner gets for a core code. */
static int status_of(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case OM_ESHO_OWNER_AUTH:
		return 401;
	case OM_ESHO_NOTE:
	case OM_EINVAL:
		return 400;
	case OM_ESHO_NOT_FOUND:
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
	case OM_ESHO_PEER_TRANSPORT:
		return 504;
	default:
		return rc <= -970 && rc >= -975 ? 502 : 500; /* OM_EOCSP_*: the PVA could not be asked */
	}
}

static void refuse(struct om_http_req *r, int rc, const char *detail)
{
	char out[LINE_MAX_];
	snprintf(out, sizeof(out), "result=%s reason=%s%s%s\n", status_of(rc) >= 500 ? "error" : "refused",
		 om_errname(rc), detail && *detail ? " detail=" : "", detail ? detail : "");
	reply_text(r, status_of(rc), out);
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
		return sho_say(why, wl, OM_ESHO_NOTE, "empty body");
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
	rc = sho_register(h->sho, o.id, o.secret, devs, n_rows, flags | SHO_REG_OWNER_VERIFIED, rep);
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
		om_http_reply(r, status_of(rc), "text/csv", csv, used);
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

static int past_handover(const char *state)
{
	return !strcmp(state, "handover_accepted") || !strcmp(state, "provisioned") || !strcmp(state, "active");
}

static void handover(struct om_http_req *r, void *arg)
{
	struct sho_http *h = arg;
	struct sho_device_status st;
	struct sho_peer_answer ans = { 0 };
	const struct sho_peer *peer = NULL;
	struct owner o;
	char code[OM_HANDOVER_CODE_MAX + 1] = "", why[LINE_MAX_] = "", out[LINE_MAX_];
	uint8_t *req = NULL;
	size_t req_len = 0;
	const char *result = "refused";
	memset(&st, 0, sizeof(st));
	if (authenticate(r, h, &o) < 0)
		return;
	const char *id = tre_id_in_path(r, "/handover/");
	int rc = id ? sho_status(h->sho, id, &st) : OM_EINVAL;
	if (rc == 0 && strcmp(st.owner_id, o.id))
		rc = OM_ESHO_NOT_FOUND;
	if (rc == 0)
		rc = code_from_body(r, code);
	if (rc < 0)
		goto out;
	if (past_handover(st.state)) {
		/* the answer is recorded: a retry after it gets the same answer, nothing is resent */
		result = "accepted";
		goto out;
	}
	if (!(peer = sho_peer_find(h->peers, st.current_sho))) {
		rc = sho_say(why, sizeof(why), OM_ESHO_PEER, "no [peer.%s] in the configuration", st.current_sho);
		goto out;
	}
	/* made once, the same bytes on every retry while no answer is recorded */
	if ((rc = sho_handover_request(h->sho, o.id, o.secret, id, code, &req, &req_len)) < 0 ||
	    (rc = sho_status(h->sho, id, &st)) < 0)
		goto out;
	/* the DRF across the network: other owners are served while this one waits (issue 14) */
	om_http_release(r);
	rc = sho_peer_send(h->peers, peer, req, req_len, &ans, why, sizeof(why));
	om_http_reacquire(r);
	if (rc < 0) {
		result = "pending"; /* still handover_requested: the owner's retry resends the same request */
		goto out;
	}
	if (ans.accepted && strcmp(ans.request_id, st.request_id)) {
		rc = sho_say(why, sizeof(why), OM_ESHO_PEER_ANSWER, "the DRF accepted request %s, not ours",
			     ans.request_id);
		result = "pending";
		goto out;
	}
	/*
	 * The sequence first, then the acceptance: a crash between the two leaves the device
	 * handover_requested, and the owner's retry gets the same answer from the DRF again.
	 */
	if (ans.accepted && ans.sequence && (rc = sho_handover_sequence(h->sho, id, st.request_id, ans.sequence)) < 0)
		goto out;
	if ((rc = sho_handover_answer(h->sho, id, st.request_id, ans.accepted, ans.accepted ? NULL : ans.reason)) < 0)
		goto out;
	result = ans.accepted ? "accepted" : "refused";
out:
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(&o, sizeof(o));
	free(req);
	if (rc < 0) {
		om_notice("sho-handover", "peer=%s tre_id=%s current_sho=%s request=%s result=%s reason=%s%s%s",
			  om_http_req_peer(r), id ? id : "-", peer ? peer->sho_id : "-",
			  st.request_id[0] ? st.request_id : "-", !strcmp(result, "pending") ? result : "error",
			  om_errname(rc), *why ? " detail=" : "", why);
		if (!strcmp(result, "pending")) {
			snprintf(out, sizeof(out), "result=pending tre_id=%s request_id=%s reason=%s\n", id,
				 st.request_id, om_errname(rc));
			return reply_text(r, status_of(rc), out);
		}
		return refuse(r, rc, NULL);
	}
	int refused = !strcmp(result, "refused");
	om_log(refused ? OM_LOG_NOTICE : OM_LOG_INFO, "sho-handover",
	       "peer=%s tre_id=%s current_sho=%s request=%s result=%s%s%s", om_http_req_peer(r), id, st.current_sho,
	       st.request_id, result, refused ? " reason=" : "", refused ? ans.reason : "");
	snprintf(out, sizeof(out), "result=%s tre_id=%s request_id=%s%s%s\n", result, id, st.request_id,
		 refused ? " reason=" : "", refused ? ans.reason : "");
	reply_text(r, refused ? 409 : 200, out);
}

int sho_http_routes(struct om_http_server *s, struct sho_http *h)
{
	int rc;
	if ((rc = om_http_route(s, "POST", "/register", register_all, h)) < 0 ||
	    (rc = om_http_route(s, "POST", "/register/partial", register_partial, h)) < 0 ||
	    (rc = om_http_route(s, "GET", "/status/*", status, h)) < 0 ||
	    (rc = om_http_route(s, "POST", "/handover/*", handover, h)) < 0)
		return rc;
	return 0;
}
