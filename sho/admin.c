/* SPDX-License-Identifier: Apache-2.0 */
/* The SHO's admin socket, server side (sho_admin.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "reason.h"
#include "sho_admin.h"

#define USAGE                                                                                                  \
	"usage: owner-add|owner-secret OWNER_ID SECRET | owner-list AFTER|- | owner-delete OWNER_ID | "         \
	"status|device-show|device-suspend|device-resume|device-delete TRE_ID | list OWNER_ID|* AFTER|-"

void sho_admin_status_line(const struct sho_device_status *d, char *out, size_t cap)
{
	snprintf(out, cap, "%s owner=%s imsi=%s state=%s current_sho=%s%s%s%s%s", d->tre_id, d->owner_id, d->imsi,
		 d->state, d->current_sho, d->request_id[0] ? " request_id=" : "", d->request_id,
		 d->reason[0] ? " reason=" : "", d->reason);
}

struct out {
	om_admin_emit emit;
	void *ctx;
};

static void emit_status(void *arg, const struct sho_device_status *d)
{
	struct out *o = arg;
	char line[OM_ADMIN_LINE_MAX];
	sho_admin_status_line(d, line, sizeof(line));
	o->emit(o->ctx, line);
}

static void emit_owner(void *arg, const struct sho_owner_info *w)
{
	struct out *o = arg;
	char line[OM_ADMIN_LINE_MAX];
	snprintf(line, sizeof(line), "owner_id=%s created=%lld devices=%u", w->owner_id, (long long)w->created, w->devices);
	o->emit(o->ctx, line);
}

/* owner-list, owner-delete and the device-* commands (issue 15); 1 when verb is none of them. */
static int run_more(struct sho *s, const char *verb, const char *a1, struct out *o, char *why, size_t wl)
{
	int rc;
	if (!strcmp(verb, "owner-list")) {
		rc = sho_owner_page(s, strcmp(a1, "-") ? a1 : "", SHO_ADMIN_PAGE, emit_owner, o);
		return rc < 0 ? rc : 0;
	}
	if (!strcmp(verb, "owner-delete")) {
		if ((rc = sho_owner_delete(s, a1)) == OM_ESHO_STATE)
			return om_reason(why, wl, rc, "owner %.63s still has devices or a bulk move under way", a1);
		return rc == OM_ESHO_NOT_FOUND ? om_reason(why, wl, rc, "no owner %.63s", a1) : rc;
	}
	if (!strcmp(verb, "device-show")) {
		struct sho_device_status d;
		char line[OM_ADMIN_LINE_MAX], sub[16];
		if ((rc = sho_status(s, a1, &d)) < 0)
			return rc;
		/* the subscription as our HSS holds it: the registration service keeps no copy of it */
		if (sho_device_subscription(s, d.imsi, sub) < 0)
			om_notice("admin-device-show", "tre_id=%s subscription=unknown reason=hss", a1);
		sho_admin_status_line(&d, line, sizeof(line));
		size_t n = strlen(line);
		snprintf(line + n, sizeof(line) - n, " subscription=%s model=%s created=%lld updated=%lld", sub,
			 d.model[0] ? d.model : "-", (long long)d.created, (long long)d.updated);
		o->emit(o->ctx, line);
		return 0;
	}
	if (!strcmp(verb, "device-suspend") || !strcmp(verb, "device-resume"))
		return sho_device_suspend(s, a1, !strcmp(verb, "device-suspend"), why, wl);
	if (!strcmp(verb, "device-delete"))
		return sho_device_delete(s, a1, why, wl);
	return 1;
}

static int run(struct sho *s, char *line, om_admin_emit emit, void *ctx, char *why, size_t wl)
{
	char *save = NULL, *verb = strtok_r(line, " ", &save), *a1 = verb ? strtok_r(NULL, " ", &save) : NULL;
	struct out o = { emit, ctx };
	if (verb && a1 && (!strcmp(verb, "owner-add") || !strcmp(verb, "owner-secret"))) {
		/* the secret is the rest of the line, spaces and all */
		const char *secret = save && *save ? save : "";
		int rc = !strcmp(verb, "owner-add") ? sho_owner_add(s, a1, secret) : sho_owner_secret(s, a1, secret);
		return rc < 0 ? om_reason(why, wl, rc, "owner %.64s: %s", a1, om_strerror(rc)) : 0;
	}
	char *a2 = a1 ? strtok_r(NULL, " ", &save) : NULL;
	if (!verb || (a2 && strtok_r(NULL, " ", &save)))
		return om_reason(why, wl, OM_ESHO_COMMAND, USAGE);
	if (!strcmp(verb, "status") && a1 && !a2) {
		struct sho_device_status d;
		int rc = sho_status(s, a1, &d);
		if (rc == 0)
			emit_status(&o, &d);
		return rc;
	}
	if (a1 && !a2) {
		int rc = run_more(s, verb, a1, &o, why, wl);
		if (rc != 1)
			return rc;
	}
	if (!strcmp(verb, "list") && a1 && a2) {
		int rc = sho_list(s, strcmp(a1, "*") ? a1 : NULL, strcmp(a2, "-") ? a2 : "", SHO_ADMIN_PAGE, emit_status,
				  &o);
		return rc < 0 ? rc : 0;
	}
	return om_reason(why, wl, OM_ESHO_COMMAND, USAGE);
}

int sho_admin_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	struct sho_admin *a = arg;
	pthread_mutex_lock(&a->lock);
	int rc = run(a->sho, line, emit, ctx, why, why_len);
	(void)sho_idle(a->sho, "admin");
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int sho_admin_start(struct sho_admin *a, struct sho *sho, const char *path, char *err, size_t err_len)
{
	const struct om_admin_socket_opts o = { .what = "admin", .log_prefix = "admin", .exec = sho_admin_exec,
						.arg = a };
	a->sho = sho;
	a->sock = NULL;
	pthread_mutex_init(&a->lock, NULL);
	return om_admin_socket_start(&a->sock, &o, path, err, err_len);
}

void sho_admin_stop(struct sho_admin *a)
{
	if (!a->sock)
		return;
	om_admin_socket_stop(a->sock);
	a->sock = NULL;
	pthread_mutex_destroy(&a->lock);
}
