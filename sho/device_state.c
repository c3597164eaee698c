/* SPDX-License-Identifier: Apache-2.0 */
/* The SHO's device states: the one transition table (device_state.h). */
#include <stddef.h>
#include <string.h>

#include <openmcim/err.h>

#include "device_state.h"
#include "svc_err.h"

static const char *const states[SHO_DEV_N_STATES] = {
	"registered", "handover_requested", "handover_accepted", "refused", "provisioned", "active", "released",
};

static const char *const events[SHO_EV_N] = {
	[SHO_EV_REQUEST] = "request",	  [SHO_EV_ACCEPT] = "accept",	  [SHO_EV_REFUSE] = "refuse",
	[SHO_EV_PROVISIONED] = "provisioned", [SHO_EV_ACTIVE] = "active", [SHO_EV_FELL_BACK] = "fell_back",
	[SHO_EV_RETURN] = "return", [SHO_EV_RELEASE] = "release",
};

static const struct move {
	const char *from;
	enum sho_dev_event ev;
	const char *to;
} moves[] = {
	{ "registered", SHO_EV_REQUEST, "handover_requested" },
	{ "refused", SHO_EV_REQUEST, "handover_requested" }, /* a fallen-back device is refused by the caller */
	{ "handover_requested", SHO_EV_REQUEST, "handover_requested" }, /* a retry: the stored request again */
	{ "handover_requested", SHO_EV_ACCEPT, "handover_accepted" },
	{ "handover_requested", SHO_EV_REFUSE, "refused" },
	{ "handover_accepted", SHO_EV_ACCEPT, "handover_accepted" },
	/* an acceptance repeated after the later steps is still the same answer */
	{ "provisioned", SHO_EV_ACCEPT, "provisioned" },
	{ "active", SHO_EV_ACCEPT, "active" },
	{ "refused", SHO_EV_REFUSE, "refused" },
	{ "handover_accepted", SHO_EV_PROVISIONED, "provisioned" },
	{ "provisioned", SHO_EV_PROVISIONED, "provisioned" },
	{ "provisioned", SHO_EV_ACTIVE, "active" },
	{ "active", SHO_EV_ACTIVE, "active" },
	{ "handover_accepted", SHO_EV_FELL_BACK, "refused" },
	{ "provisioned", SHO_EV_FELL_BACK, "refused" },
	{ "registered", SHO_EV_RETURN, "registered" },
	{ "refused", SHO_EV_RETURN, "registered" },
	{ "provisioned", SHO_EV_RETURN, "registered" },
	{ "active", SHO_EV_RETURN, "registered" },
	/* issue 16: moved on (our DRF's departure, sho/release.c), then back here */
	{ "provisioned", SHO_EV_RELEASE, "released" },
	{ "active", SHO_EV_RELEASE, "released" },
	{ "released", SHO_EV_RETURN, "registered" },
};

const char *sho_dev_state_name(unsigned i)
{
	return i < SHO_DEV_N_STATES ? states[i] : NULL;
}

const char *sho_dev_event_name(enum sho_dev_event ev)
{
	return (unsigned)ev < SHO_EV_N ? events[ev] : "?";
}

int sho_dev_next(const char *from, enum sho_dev_event ev, const char **to)
{
	for (size_t i = 0; from && i < sizeof(moves) / sizeof(moves[0]); i++)
		if (moves[i].ev == ev && !strcmp(moves[i].from, from)) {
			*to = moves[i].to;
			return 0;
		}
	return OM_ESHO_STATE;
}
