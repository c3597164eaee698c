/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's commands on a registered device (sho-admin device
 * suspend, resume, delete; issue 15): each a change at our HSS and in this
 * service's database in one transaction around the HSS's call, so that
 * neither says what the other did not do.
 */
#include <stdio.h>
#include <string.h>

#include "admin_call.h"
#include "hss_link.h"
#include "log.h"
#include "reason.h"
#include "sho_int.h"

/*
 * Begin the transaction and read the device's row in it. 0, or a code with
 * the transaction ended: OM_ESHO_CONFIG without an HSS to act on,
 * OM_ESHO_NOT_FOUND, a store code.
 */
static int begin_on_device(struct sho *s, const char *tre_id, struct sho_device_status *d, char *why, size_t wl)
{
	int rc;
	if (!s->hss_socket[0])
		return om_reason(why, wl, OM_ESHO_CONFIG, "no [hss] socket: the subscription cannot be changed");
	if ((rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		return rc;
	if ((rc = sho_status(s, tre_id, d)) == OM_ESHO_NOT_FOUND)
		om_reason(why, wl, rc, "no device %.63s", tre_id);
	if (rc < 0)
		om_store_rollback(s->store);
	return rc;
}

/* Fallen back (sho_mark_fell_back) or moved away: our subscription of it is suspended or being removed. */
static int on_its_way_out(const struct sho_device_status *d)
{
	return !strcmp(d->state, "released") || (!strcmp(d->state, "refused") && !strcmp(d->reason, SHO_FELL_BACK_REASON));
}

int sho_device_suspend(struct sho *s, const char *tre_id, int suspend, char *why, size_t wl)
{
	struct sho_device_status d;
	char line[64];
	int code = 0, rc;
	if (!s || !tre_id)
		return OM_EINVAL;
	if ((rc = begin_on_device(s, tre_id, &d, why, wl)) < 0)
		goto out;
	if (!suspend && on_its_way_out(&d)) {
		rc = om_reason(why, wl, OM_ESHO_STATE, "device %.63s is %s: its subscription %.15s is not ours to resume",
			       tre_id, d.state, d.imsi);
		goto out;
	}
	if ((rc = sho_event_add(s, tre_id, d.owner_id, sho_now(), suspend ? "suspended" : "resumed", d.imsi)) < 0)
		goto out;
	snprintf(line, sizeof(line), "%s %s\n", suspend ? "suspend" : "resume", d.imsi);
	if ((rc = sho_hss_command(s->hss_socket, line, &code, why, wl)) < 0)
		goto out;
	rc = om_store_commit(s->store);
out:
	om_store_rollback(s->store);
	if (rc == 0)
		om_info(suspend ? "device-suspend" : "device-resume", "tre_id=%s owner=%s imsi=%s", tre_id, d.owner_id,
			d.imsi);
	else
		om_notice("device-admin-refused", "tre_id=%.63s command=%s code=%s", tre_id, suspend ? "suspend" : "resume",
			  om_errname(rc));
	return rc;
}

int sho_device_delete(struct sho *s, const char *tre_id, char *why, size_t wl)
{
	struct sho_device_status d;
	int rc;
	if (!s || !tre_id)
		return OM_EINVAL;
	if ((rc = begin_on_device(s, tre_id, &d, why, wl)) < 0)
		goto out;
	/* in the middle of a handover the DPF and the other operator's DRF still act on it */
	if (!strcmp(d.state, "handover_requested") || !strcmp(d.state, "handover_accepted") ||
	    !strcmp(d.state, "provisioned")) {
		rc = om_reason(why, wl, OM_ESHO_STATE, "device %.63s is %s: not while it moves", tre_id, d.state);
		goto out;
	}
	if ((rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_DEL_EVENTS], OM_BIND(OM_TEXT(tre_id)))) < 0 ||
	    (rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_DELETE], OM_BIND(OM_TEXT(tre_id)))) < 0)
		goto out;
	if ((rc = sho_hss_delete(s->hss_socket, (const char(*)[OM_MCIM_IMSI_MAX + 1])d.imsi, 1, why, wl)) < 0)
		goto out;
	if ((rc = om_store_commit(s->store)) < 0)
		/* the HSS has deleted it: the row stays, and deleting it again finishes (a subscriber gone counts) */
		om_error("device-delete-incomplete", "tre_id=%s imsi=%s code=%s", tre_id, d.imsi, om_errname(rc));
out:
	om_store_rollback(s->store);
	if (rc == 0)
		om_info("device-delete", "tre_id=%s owner=%s imsi=%s state=%s", tre_id, d.owner_id, d.imsi, d.state);
	else
		om_notice("device-admin-refused", "tre_id=%.63s command=delete code=%s", tre_id, om_errname(rc));
	return rc;
}

struct first_status {
	char status[16];
};

static void hss_status_word(void *ctx, const char *text)
{
	struct first_status *f = ctx;
	const char *v = strstr(text, " status=");
	if (!f->status[0] && !strncmp(text, "imsi=", 5) && v)
		snprintf(f->status, sizeof(f->status), "%.*s", (int)strcspn(v + 8, " "), v + 8);
}

int sho_device_subscription(struct sho *s, const char *imsi, char out[static 16])
{
	struct om_admin_result res;
	struct first_status f = { "" };
	char line[64];
	snprintf(out, 16, "unknown");
	if (!s || !imsi || !s->hss_socket[0])
		return OM_ESHO_CONFIG;
	snprintf(line, sizeof(line), "show %s\n", imsi);
	int rc = om_admin_call(s->hss_socket, line, SHO_HSS_SHOW_MS, hss_status_word, &f, &res);
	if (rc < 0)
		return OM_ESHO_HSS;
	if (res.code == OM_EHSS_NOT_FOUND)
		snprintf(out, 16, "absent");
	else if (res.code == 0 && f.status[0])
		snprintf(out, 16, "%s", f.status);
	else
		return OM_ESHO_HSS;
	return 0;
}
