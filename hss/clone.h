/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clone and rollback detection (docs/hss.md "Clone and rollback detection",
 * docs/decisions.md). Two events, both from what S6a already carries:
 *
 *  - sqn-ahead: a verified AUTS whose SEQ_MS is above every SEQ this HSS
 *    issued. Only a holder of K makes a SQN the USIM accepts, so another
 *    AuC (a clone of ours, or our database restored from an old copy) or a
 *    forged USIM state produced it.
 *  - two-mme: an AIR or ULR from the MME that another MME replaced as the
 *    serving MME less than clone_window_s ago. After a real move the old
 *    MME has no reason to ask again; two devices with one credential make
 *    the two MMEs take turns.
 *
 * Internal to hss/: the caller holds the HSS lock, inside a transaction.
 */
#pragma once

#include <stdint.h>

#include "hss_store.h"

/* What one request found; logged by hss_events_log() once the transaction committed. */
struct hss_events {
	int sqn_ahead, two_mme, barred;
	uint64_t seq_ms, seq_issued;      /* sqn-ahead: SEQ from AUTS, the highest SEQ the HSS issued */
	char serving[HSS_HOST_MAX + 1];   /* two-mme: the MME that replaced the caller */
	int64_t replaced_ago;             /* two-mme: seconds since it did */
	unsigned sqn_ahead_count, two_mme_count; /* the subscriber's counters after this request */
};

/* 1 if a request from host at now is the two-mme event for r (filling e), else 0. */
int hss_clone_two_mme(const struct hss *h, const struct hss_row *r, const char *host, int64_t now,
		      struct hss_events *e);

/*
 * Count e's events on r (counters, last event; a two-mme event also
 * forgets the previous MME, so that one return counts once) and apply the
 * policy: under HSS_CLONE_BAR r's status becomes suspended. Changes r
 * only; the caller writes it with hss_store_set_events(). Returns 1 if r
 * is now barred, else 0.
 */
int hss_clone_apply(const struct hss *h, struct hss_row *r, struct hss_events *e, int64_t now);

/* One log line per event in e, with no secret in it. */
void hss_events_log(const struct hss *h, const struct hss_events *e, const char *imsi, const char *host);
