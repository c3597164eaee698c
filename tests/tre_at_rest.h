/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the lab's end-to-end tests (agent_crash_test, provisioning_e2e_test)
 * check on a device whose agent has finished (header-only: each test is its
 * own program): its TRE rests with exactly one ACTIVE MID.
 */
#pragma once

#include <openmcim/tre.h>

#include "check.h"
#include "lab_topology.h"
#include "tre_int.h"

/*
 * Open device dev's TRE and check that it rests: no session, no activation
 * pending, exactly one ACTIVE MID in the whole registry (whoever owns each
 * MID: the ACL would hide the others). That MID into *a. Returns the TRE
 * (the caller closes it), or NULL when it did not open.
 */
static inline struct om_tre *tre_at_rest(struct lab *lab, unsigned dev, struct om_tre_mid_info *a)
{
	char dir[LAB_PATH_MAX];
	struct om_tre *tre = NULL;
	struct om_tre_status st;
	int active = 0;
	CHECK_INT(om_tre_open(&tre, lab_device_dir(lab, dev, dir, sizeof(dir)), 0), 0);
	if (!tre)
		return NULL;
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_MSG(!st.session && !st.activation_pending, "device %u (%s): session %d pending %d", dev, st.tre_id,
		  st.session, st.activation_pending);
	for (size_t i = 0; i < tre->st.n_mids; i++)
		active += tre->st.mids[i].state == OM_TRE_MID_ACTIVE;
	CHECK_MSG(active == 1, "device %u (%s): %d ACTIVE MIDs", dev, st.tre_id, active);
	CHECK_INT(om_tre_active(tre, a), 0);
	return tre;
}
