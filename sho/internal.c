/* SPDX-License-Identifier: Apache-2.0 */
/* The SHO's internal interface (sho_internal.h): the commands, their socket, and the DPF's client side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>
#include <openmcim/pki.h>

#include "log.h"
#include "reason.h"
#include "sho_internal.h"

#define PART_B64 3000 /* base64 characters per data line of a sealed MCIM: well under OM_ADMIN_LINE_MAX */

/* ---- the server ------------------------------------------------------------ */

static void emit_kv(om_admin_emit emit, void *ctx, const char *key, const char *value)
{
	char line[OM_ADMIN_LINE_MAX];
	snprintf(line, sizeof(line), "%s=%s", key, value);
	emit(ctx, line);
	OPENSSL_cleanse(line, sizeof(line));
}

/* "key=<base64 of der>" lines of at most PART_B64 characters each. */
static int emit_b64(om_admin_emit emit, void *ctx, const char *key, const uint8_t *b, size_t len)
{
	char text[PART_B64 + 1];
	for (size_t off = 0; off < len || off == 0; off += PART_B64 / 4 * 3) {
		size_t n = len - off < PART_B64 / 4 * 3 ? len - off : PART_B64 / 4 * 3;
		if (om_admin_b64_put(text, sizeof(text), b + off, n) < 0)
			return OM_ELENGTH;
		emit_kv(emit, ctx, key, text);
		if (n == 0)
			break;
	}
	return 0;
}

static int cmd_status(struct sho *s, const char *tre_id, om_admin_emit emit, void *ctx)
{
	struct sho_device_status st;
	char n[24];
	int rc = sho_status(s, tre_id, &st);
	if (rc < 0)
		return rc;
	emit_kv(emit, ctx, "tre_id", st.tre_id);
	emit_kv(emit, ctx, "owner_id", st.owner_id);
	emit_kv(emit, ctx, "current_sho", st.current_sho);
	emit_kv(emit, ctx, "imsi", st.imsi);
	emit_kv(emit, ctx, "state", st.state);
	emit_kv(emit, ctx, "request_id", st.request_id);
	snprintf(n, sizeof(n), "%u", (unsigned)st.sequence);
	emit_kv(emit, ctx, "sequence", n);
	snprintf(n, sizeof(n), "%lld", (long long)st.created);
	emit_kv(emit, ctx, "created", n);
	snprintf(n, sizeof(n), "%lld", (long long)st.updated);
	emit_kv(emit, ctx, "updated", n);
	emit_kv(emit, ctx, "reason", st.reason);
	return 0;
}

static int run(struct sho *s, const char *verb, const char *tre_id, om_admin_emit emit, void *ctx, char *why,
	       size_t wl)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int rc;
	if (!strcmp(verb, "status"))
		return cmd_status(s, tre_id, emit, ctx);
	if (!strcmp(verb, "tre-sign-cert")) {
		X509 *c = NULL;
		if ((rc = sho_tre_sign_cert(s, tre_id, &c)) == 0 && (rc = om_cert_encode(c, OM_ENC_DER, &b, &len)) == 0)
			rc = emit_b64(emit, ctx, "cert", b, len);
		X509_free(c);
		om_pki_free(b, len);
		return rc;
	}
	if (!strcmp(verb, "tre-enc-cert")) {
		if ((rc = sho_tre_enc_cert(s, tre_id, &b, &len)) == 0)
			rc = emit_b64(emit, ctx, "cert", b, len);
		free(b);
		return rc;
	}
	if (!strcmp(verb, "sealed-mcim")) {
		if ((rc = sho_sealed_mcim(s, tre_id, &b, &len)) == 0)
			rc = emit_b64(emit, ctx, "part", b, len);
		free(b);
		return rc;
	}
	if (!strcmp(verb, "dm-auth")) {
		struct sho_dm_auth a;
		char hex[2 * OM_NONCE_LEN + 1];
		if ((rc = sho_dm_auth(s, tre_id, &a)) == 0) {
			om_hex_encode(hex, a.nonce_a, OM_NONCE_LEN);
			emit_kv(emit, ctx, "username", a.username);
			emit_kv(emit, ctx, "digest", a.digest);
			emit_kv(emit, ctx, "nonce_a", hex);
		}
		sho_dm_auth_clear(&a);
		return rc;
	}
	if (!strcmp(verb, "mark-provisioned") || !strcmp(verb, "mark-active")) {
		rc = verb[5] == 'p' ? sho_mark_provisioned(s, tre_id) : sho_mark_active(s, tre_id);
		if (rc == 0)
			om_info("internal", "command=%s tre_id=%s result=ok", verb, tre_id);
		return rc;
	}
	return om_reason(why, wl, OM_ESHO_COMMAND, "unknown command %.32s", verb);
}

int sho_internal_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	struct sho_internal *si = arg;
	char *save = NULL, *verb = strtok_r(line, " ", &save), *tre_id = verb ? strtok_r(NULL, " ", &save) : NULL;
	if (!verb || !tre_id || strtok_r(NULL, " ", &save) || strlen(tre_id) > OM_TRE_ID_MAX)
		return om_reason(why, why_len, OM_ESHO_COMMAND, "usage: COMMAND TRE_ID");
	pthread_mutex_lock(&si->lock);
	int rc = run(si->sho, verb, tre_id, emit, ctx, why, why_len);
	pthread_mutex_unlock(&si->lock);
	return rc;
}

int sho_internal_start(struct sho_internal *si, struct sho *sho, const char *path, char *err, size_t err_len)
{
	const struct om_admin_socket_opts o = { .what = "internal", .log_prefix = "internal",
						.exec = sho_internal_exec, .arg = si };
	si->sho = sho;
	si->sock = NULL;
	pthread_mutex_init(&si->lock, NULL);
	return om_admin_socket_start(&si->sock, &o, path, err, err_len);
}

void sho_internal_stop(struct sho_internal *si)
{
	if (!si->sock)
		return;
	om_admin_socket_stop(si->sock);
	si->sock = NULL;
	pthread_mutex_destroy(&si->lock);
}

/* ---- the client ------------------------------------------------------------- */

/* What a call's data lines are gathered into. */
struct answer {
	char kv[12][512];                     /* "key=value" lines of status and dm-auth */
	size_t n;
	char *b64;                           /* base64 parts, joined */
	size_t b64_len, b64_cap;
	int bad;
};

static void gather(void *ctx, const char *line)
{
	struct answer *a = ctx;
	const char *eq = strchr(line, '=');
	if (!eq) {
		a->bad = 1;
		return;
	}
	if (!strncmp(line, "cert=", 5) || !strncmp(line, "part=", 5)) {
		size_t n = strlen(eq + 1);
		if (a->b64_len + n + 1 > a->b64_cap) {
			size_t cap = (a->b64_cap ? a->b64_cap * 2 : 4096) + n;
			char *p = realloc(a->b64, cap);
			if (!p) {
				a->bad = 1;
				return;
			}
			a->b64 = p;
			a->b64_cap = cap;
		}
		memcpy(a->b64 + a->b64_len, eq + 1, n + 1);
		a->b64_len += n;
		return;
	}
	if (a->n == sizeof(a->kv) / sizeof(a->kv[0]) || strlen(line) >= sizeof(a->kv[0])) {
		a->bad = 1;
		return;
	}
	snprintf(a->kv[a->n++], sizeof(a->kv[0]), "%s", line);
}

static void answer_clear(struct answer *a)
{
	OPENSSL_cleanse(a->kv, sizeof(a->kv));
	free(a->b64);
}

static const char *value(const struct answer *a, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 0; i < a->n; i++)
		if (!strncmp(a->kv[i], key, k) && a->kv[i][k] == '=')
			return a->kv[i] + k + 1;
	return NULL;
}

/* One call; the answer's verdict, OM_EUNAVAILABLE, or OM_EPROTO for data we cannot read. */
static int call(const struct om_admin_peer *p, const char *verb, const char *tre_id, struct answer *a)
{
	char line[OM_TRE_ID_MAX + 40], why[OM_ADMIN_REASON_MAX + 1];
	memset(a, 0, sizeof(*a));
	if (strlen(tre_id) > OM_TRE_ID_MAX || strpbrk(tre_id, " \n"))
		return OM_EINVAL;
	snprintf(line, sizeof(line), "%s %s\n", verb, tre_id);
	int rc = om_admin_peer_call(p, line, gather, a, why, sizeof(why));
	if (rc == OM_EUNAVAILABLE)
		om_error("sho-call", "command=%s tre_id=%s result=unavailable reason=\"%s\"", verb, tre_id, why);
	if (rc == 0 && a->bad)
		rc = OM_EPROTO;
	return rc;
}

/* The base64 data of an answer as bytes (*out malloc'd). */
static int bytes_of(struct answer *a, uint8_t **out, size_t *len)
{
	return a->b64 ? om_admin_b64_get(a->b64, out, len) : OM_EPROTO;
}

static int copy(char *dst, size_t cap, const char *v)
{
	if (!v || strlen(v) >= cap)
		return OM_EPROTO;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int sho_remote_status(const struct om_admin_peer *p, const char *tre_id, struct sho_device_status *out)
{
	struct answer a;
	memset(out, 0, sizeof(*out));
	int rc = call(p, "status", tre_id, &a);
	if (rc == 0 && (copy(out->tre_id, sizeof(out->tre_id), value(&a, "tre_id")) ||
			copy(out->owner_id, sizeof(out->owner_id), value(&a, "owner_id")) ||
			copy(out->current_sho, sizeof(out->current_sho), value(&a, "current_sho")) ||
			copy(out->imsi, sizeof(out->imsi), value(&a, "imsi")) ||
			copy(out->state, sizeof(out->state), value(&a, "state")) ||
			copy(out->request_id, sizeof(out->request_id), value(&a, "request_id")) ||
			copy(out->reason, sizeof(out->reason), value(&a, "reason")) || !value(&a, "sequence") ||
			!value(&a, "created") || !value(&a, "updated")))
		rc = OM_EPROTO;
	if (rc == 0) {
		out->sequence = (uint32_t)strtoul(value(&a, "sequence"), NULL, 10);
		out->created = strtoll(value(&a, "created"), NULL, 10);
		out->updated = strtoll(value(&a, "updated"), NULL, 10);
	}
	answer_clear(&a);
	return rc;
}

/* A call whose answer is one value in base64 (cert= or part= lines): its bytes in *out (malloc'd). */
static int fetch_bytes(const struct om_admin_peer *p, const char *verb, const char *tre_id, uint8_t **out,
		       size_t *len)
{
	struct answer a;
	*out = NULL;
	*len = 0;
	int rc = call(p, verb, tre_id, &a);
	if (rc == 0)
		rc = bytes_of(&a, out, len);
	answer_clear(&a);
	return rc;
}

int sho_remote_tre_enc_cert(const struct om_admin_peer *p, const char *tre_id, uint8_t **der, size_t *der_len)
{
	return fetch_bytes(p, "tre-enc-cert", tre_id, der, der_len);
}

int sho_remote_tre_sign_cert(const struct om_admin_peer *p, const char *tre_id, X509 **cert)
{
	uint8_t *der = NULL;
	size_t len = 0;
	*cert = NULL;
	int rc = fetch_bytes(p, "tre-sign-cert", tre_id, &der, &len);
	if (rc == 0)
		rc = om_cert_decode(cert, OM_ENC_DER, der, len);
	free(der);
	return rc;
}

int sho_remote_sealed_mcim(const struct om_admin_peer *p, const char *tre_id, uint8_t **out, size_t *out_len)
{
	return fetch_bytes(p, "sealed-mcim", tre_id, out, out_len);
}

int sho_remote_dm_auth(const struct om_admin_peer *p, const char *tre_id, struct sho_dm_auth *out)
{
	struct answer a;
	memset(out, 0, sizeof(*out));
	int rc = call(p, "dm-auth", tre_id, &a);
	const char *nonce = value(&a, "nonce_a");
	if (rc == 0 && (copy(out->username, sizeof(out->username), value(&a, "username")) ||
			copy(out->digest, sizeof(out->digest), value(&a, "digest")) || !nonce ||
			strlen(nonce) != 2 * OM_NONCE_LEN || om_hex_decode(out->nonce_a, OM_NONCE_LEN, nonce) < 0))
		rc = OM_EPROTO;
	if (rc < 0)
		sho_dm_auth_clear(out);
	answer_clear(&a);
	return rc;
}

static int move(const struct om_admin_peer *p, const char *verb, const char *tre_id)
{
	struct answer a;
	int rc = call(p, verb, tre_id, &a);
	answer_clear(&a);
	return rc;
}

int sho_remote_mark_provisioned(const struct om_admin_peer *p, const char *tre_id)
{
	return move(p, "mark-provisioned", tre_id);
}

int sho_remote_mark_active(const struct om_admin_peer *p, const char *tre_id)
{
	return move(p, "mark-active", tre_id);
}
