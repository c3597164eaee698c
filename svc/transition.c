/* SPDX-License-Identifier: Apache-2.0 */
/* Transition tables (transition.h). */
#include <string.h>

#include "transition.h"

int om_move_next(const struct om_moves *t, const char *from, int ev, const char **to)
{
	for (size_t i = 0; from && i < t->n_moves; i++)
		if (t->moves[i].ev == ev && !strcmp(t->moves[i].from, from)) {
			*to = t->moves[i].to;
			return 0;
		}
	return -1;
}

const char *om_move_event_name(const struct om_moves *t, int ev)
{
	return ev >= 0 && (size_t)ev < t->n_events ? t->events[ev] : "?";
}
