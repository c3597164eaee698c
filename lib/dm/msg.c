/* SPDX-License-Identifier: Apache-2.0 */
/* Building a message, and the names the encoder and parser share. */
#include <stdlib.h>
#include <string.h>

#include "dm_int.h"

void om_dm_msg_init(struct om_dm_msg *m, const char *session_id, uint32_t msg_id, const char *target,
		    const char *source)
{
	memset(m, 0, sizeof(*m));
	m->hdr.session_id = session_id;
	m->hdr.msg_id = msg_id;
	m->hdr.target = target;
	m->hdr.source = source;
}

struct om_dm_cmd *om_dm_add_cmd(struct om_dm_msg *m, enum om_dm_cmd_type type)
{
	if (m->n_cmds >= OM_DM_CMDS_MAX)
		return NULL;
	struct om_dm_cmd *c = &m->cmds[m->n_cmds++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->cmd_id = (uint32_t)m->n_cmds;
	return c;
}

struct om_dm_item *om_dm_add_item(struct om_dm_cmd *c)
{
	if (c->n_items >= OM_DM_ITEMS_MAX)
		return NULL;
	struct om_dm_item *it = &c->items[c->n_items++];
	memset(it, 0, sizeof(*it));
	return it;
}

void om_dm_msg_free(struct om_dm_msg *m)
{
	if (!m)
		return;
	free(m->arena);
	memset(m, 0, sizeof(*m));
}

const char *om_dm_cmd_name(enum om_dm_cmd_type type)
{
	switch (type) {
	case OM_DM_CMD_ALERT: return "Alert";
	case OM_DM_CMD_ADD: return "Add";
	case OM_DM_CMD_REPLACE: return "Replace";
	case OM_DM_CMD_DELETE: return "Delete";
	case OM_DM_CMD_GET: return "Get";
	case OM_DM_CMD_EXEC: return "Exec";
	case OM_DM_CMD_RESULTS: return "Results";
	case OM_DM_CMD_STATUS: return "Status";
	}
	return NULL;
}

const char *omd_format_name(enum om_dm_format f)
{
	switch (f) {
	case OM_DM_FMT_CHR: return "chr";
	case OM_DM_FMT_B64: return "b64";
	case OM_DM_FMT_INT: return "int";
	case OM_DM_FMT_NODE: return "node";
	case OM_DM_FMT_NONE: break;
	}
	return NULL;
}

const char *omd_auth_name(enum om_dm_auth a)
{
	switch (a) {
	case OM_DM_AUTH_BASIC: return "syncml:auth-basic";
	case OM_DM_AUTH_MD5: return "syncml:auth-md5";
	case OM_DM_AUTH_NONE: break;
	}
	return NULL;
}

int omd_ref_cmd_known(const char *name)
{
	/* everything a Status may answer (SyncML RepPro 1.2 Status/Cmd) */
	static const char *const names[] = {"SyncHdr", "Alert",	  "Add",      "Replace", "Delete", "Get", "Exec",
					    "Results", "Copy",	  "Sequence", "Atomic",	 "Map",	   "Put", "Sync"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}
