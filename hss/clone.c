/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clone and rollback detection: the two rules, their counters and the
 * policy (clone.h). Pure decisions on a row; the callers (sqn_alloc.c for
 * AIR, hss.c for ULR) write the row and log after their commit.
 */
#include <stdio.h>
#include <string.h>

#include "clone.h"
#include "log.h"

int hss_clone_two_mme(const struct hss *h, const struct hss_row *r, const char *host, int64_t now,
		      struct hss_events *e)
{
	/*
	 * The caller is the MME that the serving MME replaced, and that was
	 * recent. After a real move the UE is gone from the old MME's area
	 * (whose registration Cancel-Location would end, TS 29.272 5.2.1.2;
	 * we send none, docs/s6a.md), so it has nothing to ask; only the UE
	 * coming back this soon, or a second device, makes it ask. A new MME
	 * asking is a move and is never flagged.
	 */
	if (!r->previous_host[0] || strcmp(host, r->previous_host) || !strcmp(host, r->serving_host))
		return 0;
	if (now < r->previous_until || now - r->previous_until >= (int64_t)h->cfg.clone_window_s)
		return 0;
	e->two_mme = 1;
	snprintf(e->serving, sizeof(e->serving), "%s", r->serving_host);
	e->replaced_ago = now - r->previous_until;
	return 1;
}

int hss_clone_apply(const struct hss *h, struct hss_row *r, struct hss_events *e, int64_t now)
{
	if (!e->sqn_ahead && !e->two_mme)
		return 0;
	if (e->sqn_ahead) {
		r->sqn_ahead_events++;
		snprintf(r->last_event, sizeof(r->last_event), "sqn-ahead");
	}
	if (e->two_mme) {
		r->two_mme_events++;
		snprintf(r->last_event, sizeof(r->last_event), "two-mme");
		r->previous_host[0] = '\0';
		r->previous_until = 0;
	}
	r->last_event_at = now;
	e->sqn_ahead_count = r->sqn_ahead_events;
	e->two_mme_count = r->two_mme_events;
	if (h->cfg.clone_policy == HSS_CLONE_BAR) {
		r->status = HSS_STATUS_SUSPENDED;
		e->barred = 1;
	}
	return e->barred;
}

void hss_events_log(const struct hss *h, const struct hss_events *e, const char *imsi, const char *host)
{
	const char *policy = h->cfg.clone_policy == HSS_CLONE_BAR ? "bar" : "report";
	const char *status = e->barred ? "suspended" : "active";
	if (e->sqn_ahead)
		om_notice("clone-suspect",
			  "imsi=%s event=sqn-ahead host=%s seq_ms=%llu seq_issued=%llu count=%u policy=%s status=%s",
			  imsi, host, (unsigned long long)e->seq_ms, (unsigned long long)e->seq_issued,
			  e->sqn_ahead_count, policy, status);
	if (e->two_mme)
		om_notice("clone-suspect",
			  "imsi=%s event=two-mme host=%s serving=%s replaced_s=%lld count=%u policy=%s status=%s",
			  imsi, host, e->serving, (long long)e->replaced_ago, e->two_mme_count, policy, status);
}
