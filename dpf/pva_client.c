/* SPDX-License-Identifier: Apache-2.0 */
/* The PVA's platform validation as seen from the DPF: one POST /validate (docs/pva.md). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openmcim/hex.h>
#include <openmcim/verdict.h>

#include "dpf.h"
#include "https_client.h"
#include "reason.h"

#define ANSWER_MAX 4096 /* a handful of short name=value lines and the signed verdict in hex */
#define VERDICT_MAX 1024
#define PVA_TIMEOUT_MS 10000L

struct body {
	char text[ANSWER_MAX + 1];
	size_t len;
};

/* The value of the line "key=..." into out; 0, or -1 when absent or too long. */
static int line_value(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != '=')
			continue;
		p += kl + 1;
		size_t n = strcspn(p, "\r\n");
		if (n >= cap)
			return -1;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/*
 * The PVA's answer (status and body) into v: only its signed verdict line
 * counts (docs/pva.md); the other lines are for people. 0, OM_EDPF_PVA (no
 * usable answer) or OM_EDPF_PVA_SIGNATURE (no verdict the PVA signed).
 */
static int read_answer(long status, const struct body *b, EVP_PKEY *pva_key, struct dpf_pva_verdict *v, char *why,
		       size_t wl)
{
	char hex[2 * VERDICT_MAX + 1];
	uint8_t der[VERDICT_MAX];
	struct om_pva_verdict s;
	if (strlen(b->text) != b->len)
		return om_reason(why, wl, OM_EDPF_PVA, "PVA answer holds a NUL byte");
	for (size_t i = 0; i < b->len; i++)
		if (!isprint((unsigned char)b->text[i]) && b->text[i] != '\n' && b->text[i] != '\r')
			return om_reason(why, wl, OM_EDPF_PVA, "PVA answer is not text");
	if (status != 200)
		return om_reason(why, wl, OM_EDPF_PVA, "PVA answered HTTP %ld", status);
	if (line_value(b->text, "verdict", hex, sizeof(hex)) < 0 || !hex[0] || strlen(hex) % 2 ||
	    om_hex_decode(der, strlen(hex) / 2, hex) < 0)
		return om_reason(why, wl, OM_EDPF_PVA_SIGNATURE, "PVA answer without a signed verdict");
	int rc = om_pva_verdict_verify(der, strlen(hex) / 2, pva_key, &s);
	if (rc < 0)
		return om_reason(why, wl, OM_EDPF_PVA_SIGNATURE, "verdict not the PVA's: %s", om_errname(rc));
	v->accepted = s.accepted;
	snprintf(v->reason, sizeof(v->reason), "%s", s.reason);
	snprintf(v->detail, sizeof(v->detail), "%s", s.accepted || strcmp(s.detail, "-") ? s.detail : "");
	snprintf(v->tre_id, sizeof(v->tre_id), "%s", s.tre_id);
	memcpy(v->nonce_b, s.nonce_b, OM_NONCE_LEN);
	v->time = s.time;
	return 0;
}

static int client_new(struct om_https_client **out, char *why, size_t wl)
{
	/* the PVA's URL may be http (the lab's) or https with the system's roots, as before */
	struct om_https_client_opts o = { .timeout_ms = PVA_TIMEOUT_MS };
	return om_https_client_new(out, &o, why, wl);
}

int dpf_pva_http_connect(struct dpf_pva_http *pc, char *err, size_t err_len)
{
	return pc->client ? 0 : client_new(&pc->client, err, err_len);
}

void dpf_pva_http_close(struct dpf_pva_http *pc)
{
	om_https_client_free(pc->client);
	pc->client = NULL;
}

int dpf_pva_http(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why, size_t why_len)
{
	const struct dpf_pva_http *pc = ctx;
	const char *base = pc ? pc->url : NULL;
	char url[512];
	struct body b = { .len = 0 };
	struct om_https_client *once = NULL;
	int rc;
	memset(v, 0, sizeof(*v));
	if (!base || !pc->pva_key || !obj || !len)
		return om_reason(why, why_len, OM_EINVAL, "no PVA URL, no PVA key or no M2MMobj");
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	if (bl + sizeof("/validate") > sizeof(url))
		return om_reason(why, why_len, OM_EDPF_CONFIG, "PVA URL too long");
	snprintf(url, sizeof(url), "%.*s/validate", (int)bl, base);
	char how[256] = "";
	if (!pc->client && (rc = client_new(&once, how, sizeof(how))) < 0)
		return om_reason(why, why_len, rc == OM_ENOMEM ? rc : OM_EDPF_PVA, "PVA client: %s", how);
	struct om_https_call k = { .url = url, .content_type = "application/octet-stream", .body = obj, .len = len,
				   .answer = b.text, .cap = sizeof(b.text) };
	rc = om_https_post(pc->client ? pc->client : once, &k, how, sizeof(how));
	om_https_client_free(once);
	b.len = k.answer_len;
	if (rc < 0)
		rc = om_reason(why, why_len, OM_EDPF_PVA, "PVA at %s", how);
	else
		rc = read_answer(k.status, &b, pc->pva_key, v, why, why_len);
	if (rc < 0)
		memset(v, 0, sizeof(*v));
	return rc;
}
