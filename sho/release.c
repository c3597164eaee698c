/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device that moved on to another operator, as the owner sees it here
 * (issue 16, docs/owner.md "Released"): our DRF ends the device's stay when
 * the new SHO's completion carries the TRE's outcome statement (docs/drf.md
 * "Completion and Note Z"), and keeps its departures in order. The
 * registration service asks for those after its cursor over the DRF's admin
 * socket (the DRF's own interface: ARCHITECTURE.md "Boundaries"), marks each
 * device it served `released` (current SHO: the one it moved to) with a
 * `released` history entry, and moves the cursor, in one transaction: a
 * restart asks again from where it stopped, and a departure is never
 * applied twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_call.h"
#include "drf_link.h"
#include "log.h"
#include "device_state.h"
#include "sho_int.h"

#define CURSOR_NAME "drf-departures"
#define PAGE 500 /* the DRF's DRF_DEPARTURES_PAGE */

struct departure {
	int64_t left;
	char tre_id[OM_TRE_ID_MAX + 1];
	unsigned stay;
	char imsi[OM_MCIM_IMSI_MAX + 1]; /* our subscription during the stay that ended */
	char to[OM_HANDOVER_SHO_ID_MAX + 1];
	char request[OM_HANDOVER_ID_MAX + 1];
};

struct page {
	struct departure d[PAGE];
	size_t n;
	int bad;
};

/* One answer line: left=T tre_id=ID stay=N imsi=I to=SHO request=R (drf/admin.c). */
static void keep(void *ctx, const char *line)
{
	struct page *p = ctx;
	struct departure d;
	long long left;
	char tre[80], to[80], req[80], imsi[80]; /* each checked against its own maximum below */
	if (p->n == PAGE ||
	    sscanf(line, "left=%lld tre_id=%79s stay=%u imsi=%79s to=%79s request=%79s", &left, tre, &d.stay, imsi, to,
		   req) != 6 ||
	    !sho_id_ok(tre, OM_TRE_ID_MAX) || !sho_id_ok(to, OM_HANDOVER_SHO_ID_MAX) ||
	    !sho_id_ok(req, OM_HANDOVER_ID_MAX) || !sho_id_ok(imsi, OM_MCIM_IMSI_MAX) || left <= 0) {
		p->bad = 1;
		return;
	}
	/* lengths checked above: each fits its field */
	memcpy(d.imsi, imsi, strlen(imsi) + 1);
	d.left = left;
	memcpy(d.tre_id, tre, strlen(tre) + 1);
	memcpy(d.to, to, strlen(to) + 1);
	memcpy(d.request, req, strlen(req) + 1);
	p->d[p->n++] = d;
}

static int cursor_get(struct sho *s, char *out, size_t cap)
{
	struct om_stmt *st = s->stmt[SHO_SQL_CURSOR_GET];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(CURSOR_NAME)));
	snprintf(out, cap, "%s", rc == OM_STORE_ROW ? om_stmt_col_text(st, 0) : "0 - 0");
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

int sho_release_one(struct sho *s, const char *tre_id, int64_t left, const char *imsi, const char *to,
		    const char *request)
{
	struct sho_device_status st;
	char detail[SHO_REASON_MAX + 1];
	const char *next = NULL;
	int rc = sho_status(s, tre_id, &st);
	if (rc < 0)
		return rc;
	/* the one transition table (device_state.c): only a device we served is released */
	if ((rc = sho_dev_next(st.state, SHO_EV_RELEASE, &next)) < 0)
		return rc;
	if ((rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_RELEASE], OM_BIND(OM_TEXT(tre_id), OM_TEXT(to), OM_INT(sho_now()),
								   OM_TEXT(imsi), OM_TEXT(next), OM_TEXT(st.state)))) < 0)
		return rc;
	if (om_store_changes(s->store) != 1)
		return OM_ESHO_NOT_FOUND; /* registered again since, with a new IMSI */
	/* Note Z: the old subscription stays in our HSS for the grace period, then our DRF removes it */
	snprintf(detail, sizeof(detail), "moved to %.31s (request %.36s); IMSI %.15s removed later", to, request,
		 st.imsi);
	if ((rc = sho_event_add(s, tre_id, st.owner_id, left, "released", detail)) < 0)
		return rc;
	om_notice("sho-released", "tre_id=%s owner=%s to=%s request=%s imsi=%s", tre_id, st.owner_id, to, request,
		  st.imsi);
	return 0;
}

/*
 * One departure inside the open transaction: 1 released, 0 not ours to show
 * (unknown, not in a state the table releases, or registered again since:
 * a device that came back has a new IMSI here, so a stay that ended before
 * never releases it).
 */
static int apply(struct sho *s, const struct departure *d)
{
	int rc = sho_release_one(s, d->tre_id, d->left, d->imsi, d->to, d->request);
	return rc == OM_ESHO_NOT_FOUND || rc == OM_ESHO_STATE ? 0 : rc < 0 ? rc : 1;
}

int sho_departures_sync(struct sho *s, int *more)
{
	struct page *p;
	char cur[160], cmd[200], why[256] = "";
	unsigned released = 0;
	*more = 0;
	if (!s->drf_socket[0])
		return 0;
	int rc = cursor_get(s, cur, sizeof(cur));
	if (rc < 0)
		return rc;
	if (!(p = calloc(1, sizeof(*p))))
		return OM_ENOMEM;
	snprintf(cmd, sizeof(cmd), "departures %s\n", cur);
	struct om_admin_peer peer = { .path = s->drf_socket, .timeout_ms = SHO_DRF_LINK_MS };
	rc = om_admin_peer_call(&peer, cmd, keep, p, why, sizeof(why));
	if (rc == 0 && p->bad)
		rc = om_reason(why, sizeof(why), OM_ESHO_DRF, "the DRF's departures answer is malformed");
	if (rc < 0 || p->n == 0)
		goto out;
	if ((rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		goto out;
	for (size_t i = 0; rc >= 0 && i < p->n; i++)
		if ((rc = apply(s, &p->d[i])) > 0)
			released++;
	const struct departure *last = &p->d[p->n - 1];
	snprintf(cur, sizeof(cur), "%lld %s %u", (long long)last->left, last->tre_id, last->stay);
	if (rc >= 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_CURSOR_SET], OM_BIND(OM_TEXT(CURSOR_NAME), OM_TEXT(cur)));
	if (rc >= 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	*more = rc == 0 && p->n == PAGE;
out:
	if (rc < 0)
		om_notice("sho-departures", "code=%s reason=\"%s\"", om_errname(rc), why[0] ? why : om_strerror(rc));
	else if (p->n)
		om_info("sho-departures", "seen=%zu released=%u cursor=\"%s\"", p->n, released, cur);
	free(p);
	return rc < 0 ? rc : (int)released;
}
