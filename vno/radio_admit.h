/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may hold a radio link (vno/radio_srv.c): the bookkeeping behind the
 * radio server's bounds, with no sockets and no threads of its own (the
 * caller holds its lock around every call; the only system call is FIONREAD
 * on a link's socket, to tell a silent link from one whose first frame waits).
 *
 * A link is "unauthenticated" from its accept until its device passes AKA
 * (RES = XRES, TS 33.401 6.1.1). Such links cost us a thread, an AIR at the
 * home HSS per Attach Request, and a slot, and anyone can open them, so:
 *   - at most max_total links of any kind (max_devices);
 *   - at most max_per_source unauthenticated links per IPv4 source address;
 *   - at most max_unauth unauthenticated links in all. When that is reached, a
 *     newcomer takes the place of an older unauthenticated link (which the
 *     caller closes): one of the most crowded source, or of all when no
 *     source is crowded; a silent one before one that has sent anything
 *     (radio_admit.c: victim()). A silent flood cannot close a link whose
 *     device has sent its Attach Request.
 * Authenticated links count towards max_total only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define RADIO_ADMIT_BUCKETS 256

/* One link, embedded in the caller's connection; owner points back to it. */
struct radio_conn {
	void *owner;
	int fd;             /* its socket, asked whether bytes wait in it; -1: do not ask */
	uint32_t src;       /* IPv4 source address, network order */
	bool unauth;        /* counted as unauthenticated */
	bool spoke;         /* bytes have come: its device has begun */
	struct radio_conn *prev, *next; /* among the unauthenticated, oldest first */
};

struct radio_admit_src; /* per source address: its unauthenticated links */

struct radio_admit {
	unsigned max_total, max_unauth, max_per_source;
	unsigned total, unauth;
	struct radio_conn *head, *tail; /* the unauthenticated links, oldest first */
	struct radio_admit_src *bucket[RADIO_ADMIT_BUCKETS];
};

void radio_admit_init(struct radio_admit *a, unsigned max_total, unsigned max_unauth, unsigned max_per_source);

/* Free what is left (the links themselves are the caller's). */
void radio_admit_free(struct radio_admit *a);

/*
 * A new link c from src (network order). Returns 0 when admitted (c is
 * counted, unauthenticated); *evict is then NULL, or a link the caller must
 * close now, already no longer counted as unauthenticated (it stays in the
 * total until radio_admit_leave()). Refused: OM_ERADIO_BUSY (max_total),
 * OM_ERADIO_SOURCE_LIMIT, or OM_ENOMEM; c is not counted.
 */
int radio_admit_enter(struct radio_admit *a, struct radio_conn *c, uint32_t src, struct radio_conn **evict);

/* c's device has passed AKA: it no longer counts as unauthenticated. */
void radio_admit_authenticated(struct radio_admit *a, struct radio_conn *c);

/* Bytes have come on c (its thread has read them). */
void radio_admit_spoke(struct radio_admit *a, struct radio_conn *c);

/* c is gone. */
void radio_admit_leave(struct radio_admit *a, struct radio_conn *c);

/* How many unauthenticated links src holds now. */
unsigned radio_admit_unauth_from(const struct radio_admit *a, uint32_t src);
