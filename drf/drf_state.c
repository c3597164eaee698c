/* SPDX-License-Identifier: Apache-2.0 */
/* The DRF's handovers and removals: the two transition tables (drf_state.h). */
#include "svc_err.h"

#include "drf_state.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const handover_states[] = { DRF_STATE_NEW, "accepted", "completed" };
static const char *const handover_events[DRF_HO_N] = { [DRF_HO_ACCEPT] = "accept", [DRF_HO_COMPLETE] = "complete" };
static const struct om_move handover[] = {
	{ DRF_STATE_NEW, DRF_HO_ACCEPT, "accepted" },
	{ "accepted", DRF_HO_ACCEPT, "accepted" },
	{ "completed", DRF_HO_ACCEPT, "completed" },
	{ "accepted", DRF_HO_COMPLETE, "completed" },
	{ "completed", DRF_HO_COMPLETE, "completed" },
};

static const char *const removal_states[] = { DRF_STATE_NEW, "queued", "suspending", "done" };
static const char *const removal_events[DRF_RM_N] = {
	[DRF_RM_QUEUE_MOVED] = "queue_moved", [DRF_RM_QUEUE_FELL_BACK] = "queue_fell_back",
	[DRF_RM_SUSPENDED] = "suspended",     [DRF_RM_REMOVED] = "removed",
	[DRF_RM_RETRY] = "retry",
};
static const struct om_move removal[] = {
	{ DRF_STATE_NEW, DRF_RM_QUEUE_MOVED, "queued" },
	{ DRF_STATE_NEW, DRF_RM_QUEUE_FELL_BACK, "suspending" },
	{ "done", DRF_RM_QUEUE_MOVED, "queued" },
	{ "done", DRF_RM_QUEUE_FELL_BACK, "suspending" },
	{ "queued", DRF_RM_QUEUE_MOVED, "queued" },
	{ "queued", DRF_RM_QUEUE_FELL_BACK, "queued" },
	{ "suspending", DRF_RM_QUEUE_MOVED, "suspending" },
	{ "suspending", DRF_RM_QUEUE_FELL_BACK, "suspending" },
	{ "suspending", DRF_RM_SUSPENDED, "queued" },
	{ "queued", DRF_RM_REMOVED, "done" },
	{ "suspending", DRF_RM_REMOVED, "done" },
	{ "queued", DRF_RM_RETRY, "queued" },
	{ "suspending", DRF_RM_RETRY, "suspending" },
};

const struct om_moves drf_handover_moves = { handover, N(handover), handover_states, N(handover_states),
					     handover_events, DRF_HO_N };
const struct om_moves drf_removal_moves = { removal, N(removal), removal_states, N(removal_states), removal_events,
					    DRF_RM_N };

int drf_handover_next(const char *from, enum drf_handover_event ev, const char **to)
{
	return om_move_next(&drf_handover_moves, from, (int)ev, to) < 0 ? OM_EDRF_STATE : 0;
}

int drf_removal_next(const char *from, enum drf_removal_event ev, const char **to)
{
	return om_move_next(&drf_removal_moves, from, (int)ev, to) < 0 ? OM_EDRF_STATE : 0;
}
