/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's device states (docs/sho.md "Device states") as one transition
 * table: every move of sho_device.state is looked up here, nowhere else.
 *
 *   registered --request--> handover_requested --accept--> handover_accepted
 *   handover_requested --refuse--> refused --request--> handover_requested
 *   handover_accepted --provisioned--> provisioned --active--> active
 *   handover_accepted, provisioned --fell_back--> refused (Note Y, issue 20)
 *   registered, refused, provisioned, active --return--> registered (issue 20)
 *   provisioned, active --release--> released (our DRF saw it leave, issue 16)
 *   released --return--> registered
 *
 * A step the device has already taken (the same answer or report again)
 * is a no-op; anything else not in the table is OM_ESHO_STATE.
 */
#pragma once

enum sho_dev_event {
	SHO_EV_REQUEST,     /* the owner asks the current SHO for the device (B.2.3.2 step 2) */
	SHO_EV_ACCEPT,      /* the current SHO's DRF accepted the handover */
	SHO_EV_REFUSE,      /* ... or refused it */
	SHO_EV_PROVISIONED, /* our DPF delivered the MCIM (B.2.3.4) */
	SHO_EV_ACTIVE,      /* the first attach with it */
	SHO_EV_FELL_BACK,   /* the device stayed with its previous operator (Note Y) */
	SHO_EV_RETURN,      /* the owner registers a device that left us again (register.c) */
	SHO_EV_RELEASE,     /* our DRF reports the device left us for another operator (release.c) */
	SHO_EV_N
};

/* The states, in the order of the table; sho_dev_state_name(i) for i < SHO_DEV_N_STATES. */
#define SHO_DEV_N_STATES 7
const char *sho_dev_state_name(unsigned i);
const char *sho_dev_event_name(enum sho_dev_event ev);

/*
 * Look up ev from state from. Returns 0 with *to the next state (the same
 * string as from for a step already taken: write nothing), or OM_ESHO_STATE
 * when the table has no such move (an unknown state or event included).
 */
int sho_dev_next(const char *from, enum sho_dev_event ev, const char **to);
