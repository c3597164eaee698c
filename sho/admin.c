/* SPDX-License-Identifier: Apache-2.0 */
/* The SHO's admin socket, server side (sho_admin.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "reason.h"
#include "sho_admin.h"

#define USAGE "usage: owner-add OWNER_ID SECRET | status TRE_ID | list OWNER_ID|* AFTER|-"

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

static int run(struct sho *s, char *line, om_admin_emit emit, void *ctx, char *why, size_t wl)
{
	char *save = NULL, *verb = strtok_r(line, " ", &save), *a1 = verb ? strtok_r(NULL, " ", &save) : NULL;
	struct out o = { emit, ctx };
	if (verb && a1 && !strcmp(verb, "owner-add")) {
		/* the secret is the rest of the line, spaces and all */
		const char *secret = save && *save ? save : "";
		int rc = sho_owner_add(s, a1, secret);
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
