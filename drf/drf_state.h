/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's two state machines as transition tables (svc/transition.h,
 * docs/drf.md "State machines"): every move of a handover and of a removal
 * is looked up here and written only while the row is still in the state it
 * moves from.
 *
 * A handover (B.2.3.2 step 2, Note Z), handover.state:
 *   (new) --accept--> accepted; accepted, completed --accept--> same (a retry: the stored answer)
 *   accepted --complete--> completed; completed --complete--> completed (reported before)
 *
 * A removal of one of our subscriptions from our HSS (Note Z; issue 20), its
 * state read from its columns (DRF_REMOVAL_STATE): `queued` (done and
 * suspend_due NULL), `suspending` (suspend_due set), `done`:
 *   (new), done --queue_moved--> queued;  (new), done --queue_fell_back--> suspending
 *   queued, suspending --queue_*--> same  (queued before: a repeat changes nothing)
 *   suspending --suspended--> queued      (the HSS suspended it)
 *   queued, suspending --removed--> done  (the HSS deleted it, or it was gone)
 *   queued, suspending --retry--> same    (no answer: attempts + 1, tried later)
 * Anything else is OM_EDRF_STATE, nothing written.
 */
#pragma once

#include "transition.h"

enum drf_handover_event { DRF_HO_ACCEPT, DRF_HO_COMPLETE, DRF_HO_N };
enum drf_removal_event {
	DRF_RM_QUEUE_MOVED,
	DRF_RM_QUEUE_FELL_BACK,
	DRF_RM_SUSPENDED,
	DRF_RM_REMOVED,
	DRF_RM_RETRY,
	DRF_RM_N
};

/* "(new)": the from-state of a row not stored yet. */
#define DRF_STATE_NEW "new"

/* A removal row's state from its columns, as SQL (the same expression in every statement that moves one). */
#define DRF_REMOVAL_STATE                                                                                  \
	"(CASE WHEN done IS NOT NULL THEN 'done' WHEN suspend_due IS NOT NULL THEN 'suspending' ELSE 'queued' END)"

extern const struct om_moves drf_handover_moves, drf_removal_moves;

/* The next state: 0 with *to, or OM_EDRF_STATE. */
int drf_handover_next(const char *from, enum drf_handover_event ev, const char **to);
int drf_removal_next(const char *from, enum drf_removal_event ev, const char **to);
