/* SPDX-License-Identifier: Apache-2.0 */
/* The SHO's internal interface, server side (sho_internal.h): the commands and their socket. */
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

static void emit_status(const struct sho_device_status *st, om_admin_emit emit, void *ctx)
{
	char n[24];
	emit_kv(emit, ctx, "tre_id", st->tre_id);
	emit_kv(emit, ctx, "owner_id", st->owner_id);
	emit_kv(emit, ctx, "current_sho", st->current_sho);
	emit_kv(emit, ctx, "imsi", st->imsi);
	emit_kv(emit, ctx, "state", st->state);
	emit_kv(emit, ctx, "request_id", st->request_id);
	snprintf(n, sizeof(n), "%u", (unsigned)st->sequence);
	emit_kv(emit, ctx, "sequence", n);
	snprintf(n, sizeof(n), "%lld", (long long)st->created);
	emit_kv(emit, ctx, "created", n);
	snprintf(n, sizeof(n), "%lld", (long long)st->updated);
	emit_kv(emit, ctx, "updated", n);
	emit_kv(emit, ctx, "reason", st->reason);
}

static int cmd_status(struct sho *s, const char *tre_id, om_admin_emit emit, void *ctx)
{
	struct sho_device_status st;
	int rc = sho_status(s, tre_id, &st);
	if (rc == 0)
		emit_status(&st, emit, ctx);
	return rc;
}

/* status, tre-sign-cert, tre-enc-cert and dm-auth's nonceA in one answer (issue 14): nonce_a= (none without a
 * handover request), sign= and enc= lines after the status */
static int cmd_device(struct sho *s, const char *tre_id, om_admin_emit emit, void *ctx)
{
	struct sho_device_view v;
	int rc = sho_device_view(s, tre_id, &v);
	if (rc == 0) {
		emit_status(&v.st, emit, ctx);
		if (v.has_nonce_a) {
			char hex[2 * OM_NONCE_LEN + 1];
			om_hex_encode(hex, v.nonce_a, OM_NONCE_LEN);
			emit_kv(emit, ctx, "nonce_a", hex);
		}
		if ((rc = emit_b64(emit, ctx, "sign", v.sign, v.sign_len)) == 0)
			rc = emit_b64(emit, ctx, "enc", v.enc, v.enc_len);
	}
	sho_device_view_free(&v);
	return rc;
}

static int run(struct sho *s, const char *verb, const char *tre_id, const char *arg, om_admin_emit emit, void *ctx,
	       char *why, size_t wl)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int rc;
	if (!strcmp(verb, "mark-pva-refused") && arg) {
		/* issue 16: the PVA's signed refusal, as the DPF checked it: the owner sees the reason */
		if ((rc = sho_mark_pva_refused(s, tre_id, arg)) == 0)
			om_info("internal", "command=%s tre_id=%s result=ok", verb, tre_id);
		return rc;
	}
	if (arg)
		return om_reason(why, wl, OM_ESHO_COMMAND, "usage: COMMAND TRE_ID");
	if (!strcmp(verb, "status"))
		return cmd_status(s, tre_id, emit, ctx);
	if (!strcmp(verb, "device"))
		return cmd_device(s, tre_id, emit, ctx);
	if (!strcmp(verb, "tre-sign-cert") || !strcmp(verb, "tre-enc-cert")) {
		rc = verb[4] == 's' ? sho_tre_sign_cert_der(s, tre_id, &b, &len) : sho_tre_enc_cert(s, tre_id, &b, &len);
		if (rc == 0)
			rc = emit_b64(emit, ctx, "cert", b, len);
		free(b);
		return rc;
	}
	if (!strcmp(verb, "sealed-mcim")) {
		/* the release: the subscription goes live before its MCIM leaves (requirement A, sho_activate) */
		if ((rc = sho_activate(s, tre_id, why, wl)) == 0 && (rc = sho_sealed_mcim(s, tre_id, &b, &len)) == 0)
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
	if (!strcmp(verb, "mark-fell-back")) {
		if ((rc = sho_mark_fell_back(s, tre_id)) == 0)
			om_info("internal", "command=%s tre_id=%s result=ok", verb, tre_id);
		return rc;
	}
	if (!strcmp(verb, "mark-provisioned") || !strcmp(verb, "mark-active")) {
		rc = verb[5] == 'p' ? sho_mark_provisioned(s, tre_id) : sho_mark_active(s, tre_id);
		if (rc == 0)
			om_debug("internal", "command=%s tre_id=%s result=ok", verb, tre_id);
		return rc;
	}
	return om_reason(why, wl, OM_ESHO_COMMAND, "unknown command %.32s", verb);
}

int sho_internal_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	struct sho_internal *si = arg;
	char *save = NULL, *verb = strtok_r(line, " ", &save), *tre_id = verb ? strtok_r(NULL, " ", &save) : NULL;
	char *word = tre_id ? strtok_r(NULL, " ", &save) : NULL; /* mark-pva-refused's reason word only */
	if (!verb || !tre_id || strtok_r(NULL, " ", &save) || strlen(tre_id) > OM_TRE_ID_MAX)
		return om_reason(why, why_len, OM_ESHO_COMMAND, "usage: COMMAND TRE_ID [WORD]");
	pthread_mutex_lock(&si->lock);
	int rc = run(si->sho, verb, tre_id, word, emit, ctx, why, why_len);
	(void)sho_idle(si->sho, "internal");
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
