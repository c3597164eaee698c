/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the dm module: the names shared by the encoder and the parser. */
#pragma once

#include <openmcim/dm.h>

#define OMD_VERDTD "1.2"
#define OMD_VERPROTO "DM/1.2"

/* Format and auth type spellings; NULL for NONE. */
const char *omd_format_name(enum om_dm_format f);
const char *omd_auth_name(enum om_dm_auth a);

/* 1: the Status/Cmd name is one of the SyncML commands (or SyncHdr). */
int omd_ref_cmd_known(const char *name);
