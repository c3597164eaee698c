/* SPDX-License-Identifier: Apache-2.0 */
/* The DPF's releases and completion reports: the two transition tables (dpf_state.h). */
#include "svc_err.h"

#include "dpf_state.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const release_states[] = { "released", "installed", "failed", "superseded" };
static const char *const release_events[DPF_REL_N] = { [DPF_REL_INSTALLED] = "installed",
						       [DPF_REL_FAILED] = "failed",
						       [DPF_REL_SUPERSEDED] = "superseded" };
static const struct om_move release[] = {
	{ "released", DPF_REL_INSTALLED, "installed" },
	{ "released", DPF_REL_FAILED, "failed" },
	{ "released", DPF_REL_SUPERSEDED, "superseded" },
	{ "installed", DPF_REL_INSTALLED, "installed" },
	{ "failed", DPF_REL_FAILED, "failed" },
};

static const char *const completion_states[] = { "pending", "done", "refused" };
static const char *const completion_events[DPF_CMP_N] = { [DPF_CMP_DONE] = "done", [DPF_CMP_REFUSED] = "refused",
							  [DPF_CMP_RETRY] = "retry", [DPF_CMP_RESUME] = "resume" };
static const struct om_move completion[] = {
	{ "pending", DPF_CMP_DONE, "done" },
	{ "pending", DPF_CMP_REFUSED, "refused" },
	{ "pending", DPF_CMP_RETRY, "pending" },
	{ "pending", DPF_CMP_RESUME, "pending" },
	{ "refused", DPF_CMP_RESUME, "pending" },
	{ "done", DPF_CMP_DONE, "done" },
	{ "refused", DPF_CMP_REFUSED, "refused" },
};

const struct om_moves dpf_release_moves = { release, N(release), release_states, N(release_states), release_events,
					    DPF_REL_N };
const struct om_moves dpf_completion_moves = { completion, N(completion), completion_states, N(completion_states),
					       completion_events, DPF_CMP_N };

int dpf_release_move(const char *from, enum dpf_release_event ev, const char **to)
{
	return om_move_next(&dpf_release_moves, from, (int)ev, to) < 0 ? OM_EDPF_MOVE : 0;
}

int dpf_completion_move(const char *from, enum dpf_completion_event ev, const char **to)
{
	return om_move_next(&dpf_completion_moves, from, (int)ev, to) < 0 ? OM_EDPF_MOVE : 0;
}
