/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A state machine written once as a table (issue 13; sho/device_state.c is
 * the first): each move is (from, event, to), and the code that moves a
 * stored row looks its move up here, then updates the row only while it is
 * still in `from` (UPDATE ... WHERE state = from), so two writers never
 * make a move the table lacks. A move whose `to` is its `from` is a step
 * already taken: write nothing. The DPF's releases and completion reports
 * (dpf/dpf_state.c) and the DRF's handovers and removals (drf/drf_state.c)
 * use it.
 */
#pragma once

#include <stddef.h>

struct om_move {
	const char *from;
	int ev;
	const char *to;
};

/* A table: its moves, its states and its events' names (for tests and logs). */
struct om_moves {
	const struct om_move *moves;
	size_t n_moves;
	const char *const *states; /* every state, n_states of them */
	size_t n_states;
	const char *const *events; /* the name of event i, n_events of them */
	size_t n_events;
};

/* The move of ev from state from: 0 with *to set, or -1 when the table has none (from NULL or unknown included). */
int om_move_next(const struct om_moves *t, const char *from, int ev, const char **to);

/* The name of ev in t ("?" when out of range). */
const char *om_move_event_name(const struct om_moves *t, int ev);
