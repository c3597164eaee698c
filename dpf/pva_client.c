/* SPDX-License-Identifier: Apache-2.0 */
/* The PVA's platform validation as seen from the DPF: one POST /validate (docs/pva.md). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include <openmcim/hex.h>
#include <openmcim/verdict.h>

#include "dpf.h"
#include "reason.h"
#include "tls_policy.h"

#define ANSWER_MAX 4096 /* a handful of short name=value lines and the signed verdict in hex */
#define VERDICT_MAX 1024
#define PVA_TIMEOUT_MS 10000L

struct body {
	char text[ANSWER_MAX + 1];
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	if (b->len + add > ANSWER_MAX)
		return 0; /* too long: curl fails the transfer */
	memcpy(b->text + b->len, data, add);
	b->len += add;
	b->text[b->len] = '\0';
	return add;
}

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

int dpf_pva_http(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why, size_t why_len)
{
	const struct dpf_pva_http *pc = ctx;
	const char *base = pc ? pc->url : NULL;
	char url[512];
	struct body b = { .len = 0 };
	struct curl_slist *hdr = NULL;
	long status = 0;
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
	if (!om_curl_ready())
		return om_reason(why, why_len, OM_EDPF_PVA, "libcurl did not initialise");
	CURL *c = curl_easy_init();
	if (!c)
		return om_reason(why, why_len, OM_ENOMEM, "curl_easy_init failed");
	hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
	CURLcode cc = hdr ? CURLE_OK : CURLE_OUT_OF_MEMORY;
	if (cc == CURLE_OK && om_tls_policy_curl(c) < 0)
		cc = CURLE_SSL_CIPHER;
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_URL, url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)obj);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, PVA_TIMEOUT_MS);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cc == CURLE_OK)
		cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = om_reason(why, why_len, OM_EDPF_PVA, "PVA at %s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = read_answer(status, &b, pc->pva_key, v, why, why_len);
out:
	if (rc < 0)
		memset(v, 0, sizeof(*v));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}
