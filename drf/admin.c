/* SPDX-License-Identifier: Apache-2.0 */
/* The DRF's admin interface, server side (drf_admin.h): the commands and their socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "drf_admin.h"
#include "log.h"
#include "reason.h"

#define WORDS_MAX 9

static size_t split(char *line, char **w)
{
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == WORDS_MAX)
			return WORDS_MAX + 1;
		w[n++] = t;
	}
	return n;
}

static int num(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int cmd_device_add(struct drf *d, char **w, size_t n, char *why, size_t wl)
{
	int64_t since, seq, counter = 0;
	uint8_t *enc = NULL, *sign = NULL;
	size_t enc_len = 0, sign_len = 0;
	if (n < 7 || n > 9 || num(w[3], &since) < 0 || num(w[5], &seq) < 0 || seq > UINT32_MAX ||
	    (n == 9 && num(w[8], &counter) < 0))
		return om_reason(why, wl, OM_EDRF_COMMAND,
				 "usage: device-add TRE_ID IMSI SINCE OWNER SEQUENCE ENC_CERT_B64 [SIGN_CERT_B64 [COUNTER]]");
	int rc = om_admin_b64_get(w[6], &enc, &enc_len);
	if (rc == 0 && n >= 8)
		rc = om_admin_b64_get(w[7], &sign, &sign_len);
	if (rc < 0)
		rc = om_reason(why, wl, OM_EDRF_COMMAND, "certificate: not base64");
	else if ((rc = drf_device_arrive(d, w[1], w[2], since, enc, enc_len, sign, sign_len, w[4], (uint32_t)seq,
					 (uint64_t)counter)) < 0)
		om_reason(why, wl, rc, "device %.63s: %s", w[1], om_strerror(rc));
	else /* drf_device_arrive logged the event (drf-device-add or -return): the caller's details at debug */
		om_debug("admin-device-add", "tre_id=%s imsi=%s owner=%s sequence=%u", w[1], w[2], w[4],
			 (unsigned)seq);
	free(enc);
	free(sign);
	return rc;
}

static void emit_pending(void *ctx, const struct drf_pending *p)
{
	void **c = ctx;
	char line[256];
	snprintf(line, sizeof(line), "%s %s %s sequence=%u accepted=%lld bytes=%zu", p->sender, p->request_id,
		 p->tre_id, p->sequence, (long long)p->accepted, p->bootstrap_len);
	((om_admin_emit)c[0])(c[1], line);
}

static void emit_device(void *ctx, const struct drf_device_status *s)
{
	void **c = ctx;
	char line[320];
	snprintf(line, sizeof(line), "tre_id=%s imsi=%s since=%lld owner=%s ours=%d lock_until=%lld sequence=%u stay=%u",
		 s->tre_id, s->imsi, (long long)s->since, s->owner, s->ours, (long long)s->lock_until, s->sequence,
		 s->stay);
	((om_admin_emit)c[0])(c[1], line);
}

static void emit_stay(void *ctx, const struct drf_stay *s)
{
	void **c = ctx;
	char line[320];
	if (s->left)
		snprintf(line, sizeof(line), "stay=%u imsi=%s since=%lld owner=%s sequence=%u left=%lld to=%s request=%s",
			 s->n, s->imsi, (long long)s->since, s->owner, s->sequence, (long long)s->left, s->left_to,
			 s->left_request);
	else
		snprintf(line, sizeof(line), "stay=%u imsi=%s since=%lld owner=%s sequence=%u current", s->n, s->imsi,
			 (long long)s->since, s->owner, s->sequence);
	((om_admin_emit)c[0])(c[1], line);
}

static void emit_departure(void *ctx, const char *tre_id, const struct drf_stay *s)
{
	void **c = ctx;
	char line[320];
	snprintf(line, sizeof(line), "left=%lld tre_id=%s stay=%u imsi=%s to=%s request=%s", (long long)s->left, tre_id,
		 s->n, s->imsi, s->left_to[0] ? s->left_to : "-", s->left_request[0] ? s->left_request : "-");
	((om_admin_emit)c[0])(c[1], line);
}

static void emit_operator(void *ctx, const struct drf_operator *o)
{
	void **c = ctx;
	char line[256];
	snprintf(line, sizeof(line), "sho_id=%s added=%lld sent_handovers=%d cert_sha256=%s", o->sho_id,
		 (long long)o->added, o->sent, o->cert_sha256);
	((om_admin_emit)c[0])(c[1], line);
}

/* operator-list, operator-change, operator-delete (issue 15); 1 when w is none of them. */
static int run_operator(struct drf *d, char **w, size_t n, int64_t now, om_admin_emit emit, void *ctx, char *why,
			size_t wl)
{
	int rc;
	if (!strcmp(w[0], "operator-list") && n == 2) {
		void *c[2] = { (void *)emit, ctx };
		rc = drf_operator_page(d, strcmp(w[1], "-") ? w[1] : "", DRF_ADMIN_PAGE, emit_operator, c);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(w[0], "operator-change") && n == 3) {
		uint8_t *der = NULL;
		size_t len = 0;
		if (om_admin_b64_get(w[2], &der, &len) < 0)
			return om_reason(why, wl, OM_EDRF_COMMAND, "certificate: not base64");
		if ((rc = drf_operator_change(d, w[1], der, len, now)) == 0)
			om_notice("admin-operator-change", "sho_id=%s", w[1]);
		free(der);
		return rc;
	}
	if (!strcmp(w[0], "operator-delete") && n == 2) {
		rc = drf_operator_delete(d, w[1]);
		if (rc == OM_EDRF_STATE)
			return om_reason(why, wl, rc, "operator %.63s sent handovers the register keeps: change its "
						      "certificate instead", w[1]);
		if (rc == 0)
			om_notice("admin-operator-delete", "sho_id=%s", w[1]);
		return rc;
	}
	return 1;
}

static int run(struct drf *d, char **w, size_t n, om_admin_emit emit, void *ctx, char *why, size_t wl)
{
	int64_t now = (int64_t)time(NULL), v = 0;
	char line[512];
	int rc;
	if (!strcmp(w[0], "device-add"))
		return cmd_device_add(d, w, n, why, wl);
	if (!strcmp(w[0], "lock") && n == 3 && num(w[2], &v) == 0) {
		if ((rc = drf_device_lock(d, w[1], v)) == 0)
			om_notice("admin-lock", "tre_id=%s until=%lld", w[1], (long long)v);
		return rc;
	}
	if (!strcmp(w[0], "transfer-code") && (n == 2 || ((n == 3 || n == 4) && num(w[2], &v) == 0))) {
		char code[DRF_CODE_TEXT_LEN + 1];
		/* the code goes to the operator once, on this connection; it is never logged. With OWNER (the
		 * registration service's call) only for the register's owner: the check and the issue are one
		 * transaction, so a resale in between gives the seller nothing */
		if ((rc = drf_transfer_code_issue_for(d, w[1], n == 4 ? w[3] : NULL, now, v, code)) == 0) {
			emit(ctx, code);
			om_notice("admin-transfer-code", "tre_id=%s", w[1]);
		}
		OPENSSL_cleanse(code, sizeof(code));
		return rc;
	}
	if (!strcmp(w[0], "owner") && n == 3) {
		/* the operator's registration service after a resale (docs/decisions.md "Resale") */
		unsigned revoked = 0;
		if ((rc = drf_device_owner(d, w[1], w[2], &revoked)) == 0) {
			snprintf(line, sizeof(line), "codes_revoked=%u", revoked);
			emit(ctx, line);
			om_notice("admin-owner", "tre_id=%s owner=%s codes_revoked=%u", w[1], w[2], revoked);
		}
		return rc;
	}
	if (!strcmp(w[0], "operator-add") && n == 3) {
		uint8_t *der = NULL;
		size_t len = 0;
		if (om_admin_b64_get(w[2], &der, &len) < 0)
			return om_reason(why, wl, OM_EDRF_COMMAND, "certificate: not base64");
		if ((rc = drf_operator_add(d, w[1], der, len, now)) == 0)
			om_notice("admin-operator-add", "sho_id=%s", w[1]);
		free(der);
		return rc;
	}
	if ((rc = run_operator(d, w, n, now, emit, ctx, why, wl)) != 1)
		return rc;
	if (!strcmp(w[0], "status") && n == 2) {
		struct drf_device_status s;
		if ((rc = drf_device_status(d, w[1], now, &s)) == 0) {
			snprintf(line, sizeof(line),
				 "tre_id=%s imsi=%s since=%lld owner=%s ours=%d lock_until=%lld sequence=%u "
				 "codes_unused=%u handovers=%u stay=%u",
				 s.tre_id, s.imsi, (long long)s.since, s.owner, s.ours, (long long)s.lock_until,
				 s.sequence, s.codes_unused, s.handovers, s.stay);
			emit(ctx, line);
		}
		return rc;
	}
	if (!strcmp(w[0], "device-list") && n == 2) {
		void *c[2] = { (void *)emit, ctx };
		rc = drf_device_page(d, strcmp(w[1], "-") ? w[1] : "", DRF_ADMIN_PAGE, emit_device, c);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(w[0], "device-delete") && n == 2) {
		if ((rc = drf_device_delete(d, w[1])) == 0)
			om_notice("admin-device-delete", "tre_id=%s", w[1]);
		return rc;
	}
	if (!strcmp(w[0], "fallback-removal") && n == 3) {
		if ((rc = drf_fallback_removal(d, w[1], w[2], now)) == 0)
			om_notice("admin-fallback-removal", "tre_id=%s imsi=%s", w[1], w[2]);
		return rc;
	}
	if (!strcmp(w[0], "history") && n == 2) {
		void *c[2] = { (void *)emit, ctx };
		if ((rc = drf_device_history(d, w[1], emit_stay, c)) == 0)
			return om_reason(why, wl, OM_EDRF_DEVICE, "device %.63s: %s", w[1], om_strerror(OM_EDRF_DEVICE));
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(w[0], "departures") && n == 4 && num(w[1], &v) == 0) {
		/* the registration service's cursor: the stays that ended after (LEFT, TRE_ID, STAY) */
		int64_t stay;
		if (num(w[3], &stay) < 0 || stay > UINT32_MAX)
			return om_reason(why, wl, OM_EDRF_COMMAND, "usage: departures LEFT TRE_ID STAY");
		void *c[2] = { (void *)emit, ctx };
		rc = drf_departures(d, v, w[2], (unsigned)stay, DRF_DEPARTURES_PAGE, emit_departure, c);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(w[0], "pending") && n == 1) {
		void *c[2] = { (void *)emit, ctx };
		rc = drf_pending_list(d, emit_pending, c);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(w[0], "removals") && n == 1) {
		int later = 0, to_suspend;
		if ((rc = drf_removals_due(d, now, &later)) < 0 || (to_suspend = drf_suspensions_pending(d)) < 0)
			return rc < 0 ? rc : to_suspend;
		snprintf(line, sizeof(line), "due=%d not_yet_due=%d to_suspend=%d", rc, later, to_suspend);
		emit(ctx, line);
		return 0;
	}
	return om_reason(why, wl, OM_EDRF_COMMAND, "unknown command or wrong number of words: %.32s", w[0]);
}

int drf_admin_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	struct drf_admin *a = arg;
	char *w[WORDS_MAX];
	size_t n = split(line, w);
	if (n == 0 || n > WORDS_MAX)
		return om_reason(why, why_len, OM_EDRF_COMMAND, "empty line or too many words");
	if (a->lock)
		pthread_mutex_lock(a->lock);
	int rc = run(a->drf, w, n, emit, ctx, why, why_len);
	(void)drf_idle(a->drf, "admin");
	if (a->lock)
		pthread_mutex_unlock(a->lock);
	return rc;
}

int drf_admin_start(struct drf_admin *a, const char *path, char *err, size_t err_len)
{
	const struct om_admin_socket_opts o = { .what = "admin", .log_prefix = "admin", .exec = drf_admin_exec,
						.arg = a };
	return om_admin_socket_start(&a->sock, &o, path, err, err_len);
}

void drf_admin_stop(struct drf_admin *a)
{
	om_admin_socket_stop(a->sock);
	a->sock = NULL;
}
