/* SPDX-License-Identifier: Apache-2.0 */
/* The current SHO's DRF, as seen from the new SHO: peers and one handover POST (sho_peer.h). */
#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/pki.h>

#include "https_client.h"
#include "reason.h"
#include "sho_peer.h"

#define ANSWER_MAX 1024 /* the DRF answers one short line */

int sho_peer_sections(const char *path, char ids[][OM_HANDOVER_SHO_ID_MAX + 1], size_t max, char *err,
		      size_t el)
{
	char buf[1024];
	size_t n = 0;
	int line = 0, rc = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return om_reason(err, el, OM_ESHO_CONFIG, "%s: %s", path, strerror(errno));
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		char *s = buf, *close;
		line++;
		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "[peer.", 6) || !(close = strchr(s, ']')))
			continue; /* everything else is om_conf_load's to judge */
		*close = '\0';
		s += 6;
		size_t len = strlen(s);
		if (len == 0 || len > OM_HANDOVER_SHO_ID_MAX || strcspn(s, " \t,\"'") != len) {
			rc = om_reason(err, el, OM_ESHO_CONFIG, "%s:%d: bad peer SHO id in [peer.%s]", path, line, s);
			break;
		}
		for (size_t i = 0; i < n && rc == 0; i++)
			if (!strcmp(ids[i], s))
				rc = om_reason(err, el, OM_ESHO_CONFIG, "%s:%d: [peer.%s] given twice", path, line, s);
		if (rc == 0 && n == max)
			rc = om_reason(err, el, OM_ESHO_CONFIG, "%s:%d: more than %zu peers", path, line, max);
		if (rc == 0)
			memcpy(ids[n++], s, len + 1);
	}
	fclose(f);
	return rc < 0 ? rc : (int)n;
}

struct om_conf *sho_peer_conf_load(const char *path, const struct om_conf_key *base, size_t n_base,
				   char ids[][OM_HANDOVER_SHO_ID_MAX + 1], size_t *n_ids, char *err, size_t err_len)
{
	char sections[SHO_PEERS_MAX][OM_HANDOVER_SHO_ID_MAX + 8];
	struct om_conf_key *keys;
	struct om_conf *c;
	int n = sho_peer_sections(path, ids, SHO_PEERS_MAX, err, err_len);
	if (n < 0)
		return NULL;
	keys = calloc(n_base + 2 * (size_t)n, sizeof(*keys));
	if (!keys) {
		om_reason(err, err_len, OM_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	memcpy(keys, base, n_base * sizeof(*keys));
	for (int i = 0; i < n; i++) {
		snprintf(sections[i], sizeof(sections[i]), "peer.%.*s", OM_HANDOVER_SHO_ID_MAX, ids[i]);
		keys[n_base + 2 * (size_t)i] = (struct om_conf_key){ sections[i], "url", 1 };
		keys[n_base + 2 * (size_t)i + 1] = (struct om_conf_key){ sections[i], "ca", 1 };
	}
	*n_ids = (size_t)n;
	c = om_conf_load(path, keys, n_base + 2 * (size_t)n, err, err_len);
	free(keys);
	return c;
}

const struct sho_peer *sho_peer_find(const struct sho_peers *t, const char *sho_id)
{
	for (size_t i = 0; t && sho_id && i < t->n; i++)
		if (!strcmp(t->p[i].sho_id, sho_id))
			return &t->p[i];
	return NULL;
}

struct body {
	char text[ANSWER_MAX + 1];
	size_t len;
	int too_long;
};

/* The value of " key=" in the one-line answer, into out (empty if absent). */
static void field(const char *text, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *p;
	snprintf(pat, sizeof(pat), "%s=", key);
	out[0] = '\0';
	for (p = strstr(text, pat); p && p != text && p[-1] != ' '; p = strstr(p + 1, pat))
		;
	if (!p)
		return;
	p += strlen(pat);
	size_t n = strcspn(p, " \r\n");
	if (n >= cap)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/*
 * The DRF's line (drf/drf_http.h) into ans: 200 with result=<success> (for
 * "completed" the request id must be want_id), or a 4xx refusal with its
 * reason. 0 or OM_ESHO_PEER_ANSWER.
 */
static int read_answer(const struct body *b, const char *success, const char *want_id, struct sho_peer_answer *ans)
{
	char result[16];
	if (strlen(b->text) != b->len)
		return OM_ESHO_PEER_ANSWER;
	for (size_t i = 0; i < b->len; i++)
		if (!isprint((unsigned char)b->text[i]) && b->text[i] != '\n' && b->text[i] != '\r')
			return OM_ESHO_PEER_ANSWER;
	field(b->text, "result", result, sizeof(result));
	field(b->text, "request_id", ans->request_id, sizeof(ans->request_id));
	field(b->text, "reason", ans->reason, sizeof(ans->reason));
	if (ans->http_status == 200 && !strcmp(result, success) && ans->request_id[0] &&
	    (!want_id || !strcmp(ans->request_id, want_id))) {
		char seq[16];
		field(b->text, "sequence", seq, sizeof(seq));
		char *end = NULL;
		unsigned long v = seq[0] ? strtoul(seq, &end, 10) : 0;
		ans->sequence = (seq[0] && end && !*end && v <= UINT32_MAX) ? (uint32_t)v : 0;
		ans->accepted = !strcmp(success, "accepted");
		ans->completed = !strcmp(success, "completed");
		return 0;
	}
	if (ans->http_status >= 400 && ans->http_status < 500 && !strcmp(result, "refused") && ans->reason[0])
		return 0;
	return OM_ESHO_PEER_ANSWER;
}

/* The client of peer p: our identity and p's roots, read once (sho_peers_connect). */
static int peer_client_new(const struct sho_peers *t, const struct sho_peer *p, struct om_https_client **out,
			   char *why, size_t wl)
{
	struct om_https_client_opts o = { .ca_file = p->ca_file, .cert_file = t->cert_file, .key_file = t->key_file,
					  .timeout_ms = t->timeout_ms };
	return om_https_client_new(out, &o, why, wl);
}

int sho_peers_connect(struct sho_peers *t, char *err, size_t len)
{
	for (size_t i = 0; i < t->n; i++) {
		char why[256] = "";
		int rc = t->p[i].client ? 0 : peer_client_new(t, &t->p[i], &t->p[i].client, why, sizeof(why));
		if (rc < 0)
			return om_reason(err, len, rc == OM_ENOMEM ? rc : OM_ESHO_CONFIG, "[peer.%s]: %s", t->p[i].sho_id,
					 why);
	}
	return 0;
}

void sho_peers_close(struct sho_peers *t)
{
	for (size_t i = 0; t && i < t->n; i++) {
		om_https_client_free(t->p[i].client);
		t->p[i].client = NULL;
	}
}

/*
 * POST body (len octets, type; NULL type: none) to url with our client
 * certificate over verified HTTPS on p's kept links, the answer into b.
 * 0 or OM_ESHO_PEER_TRANSPORT / OM_ESHO_PEER_ANSWER (too long) / OM_ENOMEM,
 * reason in why.
 */
static int peer_post(const struct sho_peers *t, const struct sho_peer *p, const char *url, const void *body,
		     size_t len, const char *type, struct body *b, struct sho_peer_answer *ans, char *why, size_t wl)
{
	struct om_https_client *once = NULL, *c = p->client;
	/* a table never connected (sho_peers_connect) still works: a client for this call */
	int rc = c ? 0 : peer_client_new(t, p, &once, why, wl);
	if (rc < 0)
		return rc == OM_ENOMEM ? rc : OM_ESHO_PEER_TRANSPORT;
	struct om_https_call k = { .url = url, .content_type = type, .body = body, .len = len, .answer = b->text,
				   .cap = sizeof(b->text) };
	rc = om_https_post(c ? c : once, &k, why, wl);
	om_https_client_free(once);
	ans->http_status = (int)k.status;
	b->len = k.answer_len;
	if (rc == OM_ENOSPC) {
		b->too_long = 1;
		return om_reason(why, wl, OM_ESHO_PEER_ANSWER, "%s: answer longer than %d bytes", url, ANSWER_MAX);
	}
	return rc == OM_ENOMEM || rc == 0 ? rc : OM_ESHO_PEER_TRANSPORT;
}

/* The trailing "/" of a peer's url, or "" when it has one. */
static const char *slash(const struct sho_peer *p)
{
	return p->url[strlen(p->url) - 1] == '/' ? "" : "/";
}

int sho_peer_send(const struct sho_peers *t, const struct sho_peer *p, const uint8_t *req, size_t len,
		  struct sho_peer_answer *ans, char *why, size_t wl)
{
	char url[SHO_PEER_URL_MAX + 16];
	struct body b = { .len = 0 };
	if (!t || !p || !req || !ans)
		return OM_EINVAL;
	memset(ans, 0, sizeof(*ans));
	snprintf(url, sizeof(url), "%s%shandover", p->url, slash(p));
	int rc = peer_post(t, p, url, req, len, "application/vnd.openmcim.handover", &b, ans, why, wl);
	if (rc == 0 && (rc = read_answer(&b, "accepted", NULL, ans)) < 0)
		om_reason(why, wl, rc, "%s: HTTP %d, unreadable answer", url, ans->http_status);
	return rc;
}

int sho_peers_read(const struct om_conf *c, char ids[][OM_HANDOVER_SHO_ID_MAX + 1], size_t n, struct sho_peers *t,
		   char *err, size_t len)
{
	const char *path = om_conf_path(c);
	if (n > SHO_PEERS_MAX)
		return om_reason(err, len, OM_ESHO_CONFIG, "%s: more than %d peers", path, SHO_PEERS_MAX);
	for (size_t i = 0; i < n; i++) {
		char sec[OM_HANDOVER_SHO_ID_MAX + 8];
		struct sho_peer *p = &t->p[i];
		X509 *x = NULL;
		snprintf(sec, sizeof(sec), "peer.%.*s", OM_HANDOVER_SHO_ID_MAX, ids[i]);
		const char *url = om_conf_get(c, sec, "url"), *ca = om_conf_get(c, sec, "ca");
		if (!url || strncmp(url, "https://", 8) || strlen(url) <= 8 || strlen(url) > SHO_PEER_URL_MAX)
			return om_reason(err, len, OM_ESHO_CONFIG, "%s: [%s] url must be https://HOST[:PORT][/PATH]",
					 path, sec);
		int ok = ca && strlen(ca) < sizeof(p->ca_file) && om_cert_load(&x, ca) == 0;
		X509_free(x);
		if (!ok)
			return om_reason(err, len, OM_ESHO_CONFIG, "%s: [%s] ca: cannot read a PEM certificate", path,
					 sec);
		snprintf(p->sho_id, sizeof(p->sho_id), "%.*s", OM_HANDOVER_SHO_ID_MAX, ids[i]);
		snprintf(p->url, sizeof(p->url), "%s", url);
		snprintf(p->ca_file, sizeof(p->ca_file), "%s", ca);
	}
	t->n = n;
	return 0;
}

int sho_peer_completed(const struct sho_peers *t, const struct sho_peer *p, const char *request_id,
		       const uint8_t *statement, size_t statement_len, struct sho_peer_answer *ans, char *why, size_t wl)
{
	char url[SHO_PEER_URL_MAX + OM_HANDOVER_ID_MAX + 32];
	struct body b = { .len = 0 };
	if (!t || !p || !request_id || !ans)
		return OM_EINVAL;
	memset(ans, 0, sizeof(*ans));
	size_t rl = strlen(request_id);
	/* the id goes into the path as it is: nothing that would need escaping */
	if (rl == 0 || rl > OM_HANDOVER_ID_MAX ||
	    strspn(request_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != rl)
		return om_reason(why, wl, OM_EINVAL, "request id not fit for a URL path");
	snprintf(url, sizeof(url), "%s%shandover/%s/completed", p->url, slash(p), request_id);
	int rc = peer_post(t, p, url, statement ? (const void *)statement : "", statement ? statement_len : 0,
			   "application/octet-stream", &b, ans, why, wl);
	if (rc == 0 && (rc = read_answer(&b, "completed", request_id, ans)) < 0)
		om_reason(why, wl, rc, "%s: HTTP %d, unreadable answer", url, ans->http_status);
	return rc;
}
