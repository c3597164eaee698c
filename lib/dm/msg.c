/* SPDX-License-Identifier: Apache-2.0 */
/* Building a message, and the names the encoder and parser share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

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

struct om_dm_cmd *om_dm_add_status(struct om_dm_msg *m, uint32_t msg_ref, uint32_t cmd_ref, const char *ref_cmd,
				   unsigned code)
{
	struct om_dm_cmd *c = om_dm_add_cmd(m, OM_DM_CMD_STATUS);
	if (c) {
		c->msg_ref = msg_ref;
		c->cmd_ref = cmd_ref;
		c->ref_cmd = ref_cmd;
		c->code = code;
	}
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

int om_dm_dev_id(const char *tre_id, char out[static OM_DM_DEV_ID_LEN + 1])
{
	/* OM_DM_DEV_ID_NS as bytes */
	static const uint8_t ns[16] = { 0xc3, 0xe5, 0xfe, 0x26, 0x80, 0x63, 0x45, 0x44,
					0xa8, 0x38, 0x0f, 0x29, 0xb2, 0xd3, 0x74, 0xa8 };
	uint8_t md[EVP_MAX_MD_SIZE], u[16];
	unsigned md_len = 0;
	if (!tre_id || !*tre_id)
		return OM_EINVAL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) && EVP_DigestUpdate(c, ns, sizeof(ns)) &&
		 EVP_DigestUpdate(c, tre_id, strlen(tre_id)) && EVP_DigestFinal_ex(c, md, &md_len) && md_len >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return OM_ECRYPTO;
	memcpy(u, md, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x50); /* version 5 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant RFC 4122 */
	snprintf(out, OM_DM_DEV_ID_LEN + 1,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
		 u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

void om_dm_session_id(uint16_t v, char out[static OM_DM_SESSION_ID_LEN + 1])
{
	snprintf(out, OM_DM_SESSION_ID_LEN + 1, "%X", v ? (unsigned)v : 1u);
}
