/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device agent's error codes (agent/agent.h), made from their list
 * include/openmcim/err/agent.def (include/openmcim/err.h "How the codes are
 * made"); om_strerror and om_errname know them.
 */
#pragma once

#include <openmcim/err.h>

#define OM_ERR(name, number, message) name = (number),
#define OM_ERR_RANGE(id, first, last)
enum om_agent_err {
#include <openmcim/err/agent.def>
};
#undef OM_ERR
#undef OM_ERR_RANGE
