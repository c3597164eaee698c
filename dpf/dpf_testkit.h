/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device side of the DPF's tests (header-only: each test is its own
 * program): the SyncML messages a DM client sends in B.2.3.4, written with
 * the lib/dm codec and the TRE (om_tre_dm_digest for the Cred), so the
 * in-process session test (dpf_dm_test) and the daemon test
 * (dpf_daemon_test) speak the same bytes.
 */
#pragma once

#include <stdint.h>
#include <string.h>

#include <openmcim/dm.h>
#include <openmcim/tre.h>

#include "check.h"

#define TK_SERVER "https://dpf.sho-b.lab/dm"
#define TK_DEVICE "IMEI:490154203237518"

/* The Cred's storage: the message points into it until encoded. */
static char tk_cred[OM_DM_B64_MD5_LEN + 1];

/*
 * Package 1 into msg: Alert 1201, DevInfo, and the Cred over nonce when
 * cred_kind is 1 (the TRE's) or 2 (a guessed password).
 */
static inline void tk_package1(struct om_dm_msg *msg, const char *sid, uint32_t msg_id, const char *user,
			       struct om_tre *tre, int cred_kind, const uint8_t *nonce, size_t nonce_len)
{
	static const char *const devinfo[][2] = { { "./DevInfo/DevId", TK_DEVICE }, { "./DevInfo/Man", "ACME" },
						  { "./DevInfo/Mod", "M2ME-1" },    { "./DevInfo/DmV", "1.2" },
						  { "./DevInfo/Lang", "en-US" } };
	om_dm_msg_init(msg, sid, msg_id, TK_SERVER, TK_DEVICE);
	msg->hdr.source_name = user;
	if (cred_kind == 1)
		CHECK_INT(om_tre_dm_digest(tre, nonce, nonce_len, tk_cred), 0);
	if (cred_kind == 2)
		CHECK_INT(om_dm_md5_cred(user, "guessed-password", nonce, nonce_len, tk_cred), 0);
	if (cred_kind) {
		msg->hdr.cred = OM_DM_AUTH_MD5;
		msg->hdr.cred_data = tk_cred;
	}
	om_dm_add_cmd(msg, OM_DM_CMD_ALERT)->code = OM_DM_ALERT_CLIENT_INITIATED;
	struct om_dm_cmd *rep = om_dm_add_cmd(msg, OM_DM_CMD_REPLACE);
	for (size_t i = 0; i < 5; i++) {
		struct om_dm_item *it = om_dm_add_item(rep);
		it->source = devinfo[i][0];
		it->data = (const uint8_t *)devinfo[i][1];
		it->data_len = strlen(devinfo[i][1]);
	}
	msg->final = 1;
}

/* The outcome alert (docs/dm.md "Outcome alert") added to a package 1. Returns its CmdID. */
static inline uint32_t tk_add_outcome(struct om_dm_msg *msg, const char *value)
{
	struct om_dm_cmd *a = om_dm_add_cmd(msg, OM_DM_CMD_ALERT);
	a->code = OM_DM_ALERT_GENERIC;
	struct om_dm_item *it = om_dm_add_item(a);
	it->source = OM_DM_URI_M2MMCIMMOBJ;
	it->type = OM_DM_TYPE_MCIM_OUTCOME;
	it->format = OM_DM_FMT_CHR;
	it->data = (const uint8_t *)value;
	it->data_len = strlen(value);
	return a->cmd_id;
}

/* Package 3 into msg: Statuses for the SyncHdr and the Get, the Results with the M2MMobj. */
static inline void tk_package3(struct om_dm_msg *msg, const char *sid, uint32_t msg_id, const char *user,
			       uint32_t srv_msg, uint32_t get_cmd, const uint8_t *obj, size_t len)
{
	om_dm_msg_init(msg, sid, msg_id, TK_SERVER, TK_DEVICE);
	msg->hdr.source_name = user;
	struct om_dm_cmd *s = om_dm_add_cmd(msg, OM_DM_CMD_STATUS);
	s->msg_ref = srv_msg;
	s->ref_cmd = "SyncHdr";
	s->code = OM_DM_STATUS_OK;
	s = om_dm_add_cmd(msg, OM_DM_CMD_STATUS);
	s->msg_ref = srv_msg;
	s->cmd_ref = get_cmd;
	s->ref_cmd = "Get";
	s->code = OM_DM_STATUS_OK;
	struct om_dm_cmd *r = om_dm_add_cmd(msg, OM_DM_CMD_RESULTS);
	r->msg_ref = srv_msg;
	r->cmd_ref = get_cmd;
	struct om_dm_item *it = om_dm_add_item(r);
	it->source = OM_DM_URI_M2MMOBJ;
	it->type = OM_DM_TYPE_M2MMOBJ;
	it->format = OM_DM_FMT_B64;
	it->data = obj;
	it->data_len = len;
	msg->final = 1;
}

/* Package 3': the Status for the server's Replace (code 200: installed). */
static inline void tk_install_status(struct om_dm_msg *msg, const char *sid, uint32_t msg_id, const char *user,
				     uint32_t rep_msg, uint32_t rep_cmd, unsigned code)
{
	om_dm_msg_init(msg, sid, msg_id, TK_SERVER, TK_DEVICE);
	msg->hdr.source_name = user;
	struct om_dm_cmd *s = om_dm_add_cmd(msg, OM_DM_CMD_STATUS);
	s->msg_ref = rep_msg;
	s->ref_cmd = "SyncHdr";
	s->code = OM_DM_STATUS_OK;
	s = om_dm_add_cmd(msg, OM_DM_CMD_STATUS);
	s->msg_ref = rep_msg;
	s->cmd_ref = rep_cmd;
	s->ref_cmd = "Replace";
	s->code = code;
	msg->final = 1;
}

/* The server's Status for the SyncHdr, or 0. */
static inline unsigned tk_hdr_status(const struct om_dm_msg *got)
{
	const struct om_dm_cmd *c = &got->cmds[0];
	if (got->n_cmds < 1 || c->type != OM_DM_CMD_STATUS || !c->ref_cmd || strcmp(c->ref_cmd, "SyncHdr"))
		return 0;
	return c->code;
}

/* The first command of type t in got, or NULL. */
static inline const struct om_dm_cmd *tk_find(const struct om_dm_msg *got, enum om_dm_cmd_type t)
{
	for (size_t i = 0; i < got->n_cmds; i++)
		if (got->cmds[i].type == t)
			return &got->cmds[i];
	return NULL;
}

/* The code of the server's Status for our command cmd_id, or 0. */
static inline unsigned tk_status_for(const struct om_dm_msg *got, uint32_t cmd_id)
{
	for (size_t i = 0; i < got->n_cmds; i++)
		if (got->cmds[i].type == OM_DM_CMD_STATUS && got->cmds[i].cmd_ref == cmd_id && got->cmds[i].ref_cmd &&
		    strcmp(got->cmds[i].ref_cmd, "SyncHdr"))
			return got->cmds[i].code;
	return 0;
}
