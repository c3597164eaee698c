/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Model -> SyncML DM 1.2 XML. Elements in the order of the SyncML 1.2 DTD
 * (SyncHdr: VerDTD, VerProto, SessionID, MsgID, Target, Source, RespURI,
 * Cred, Meta; Status: CmdID, MsgRef, CmdRef, Cmd, TargetRef, SourceRef, Chal,
 * Item, Data; MetInf: Format, Type, NextNonce, MaxMsgSize, MaxObjSize), so
 * that a DTD-validating peer and xml2wbxml take it. Whatever we write, our
 * parser reads back: the same bounds hold on both sides.
 */
#include <stdio.h>
#include <string.h>

#include <openmcim/base64.h>
#include <openmcim/buf.h>

#include "dm_int.h"

/* One UTF-8 character at s (n bytes left): its length, or 0 if invalid. */
static size_t utf8_char(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c = s[0], min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Escaped character data; refuses what XML 1.0 cannot carry (section 2.2). */
static void text(struct om_buf *w, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n && !w->err;) {
		uint32_t cp;
		size_t l = utf8_char(s + i, n - i, &cp);
		if (l == 0 || (cp < 0x20 && cp != 0x9 && cp != 0xa && cp != 0xd) || cp == 0xfffe || cp == 0xffff) {
			om_buf_fail(w, OM_EDM_VALUE);
			return;
		}
		switch (cp) {
		case '&': om_buf_puts(w, "&amp;"); break;
		case '<': om_buf_puts(w, "&lt;"); break;
		case '>': om_buf_puts(w, "&gt;"); break;
		case '\r': om_buf_puts(w, "&#13;"); break; /* a raw CR would be normalised away */
		default: om_buf_put(w, (const char *)s + i, l);
		}
		i += l;
	}
}

static void str(struct om_buf *w, const char *s)
{
	size_t n = strlen(s);
	if (n > OM_DM_STR_MAX)
		om_buf_fail(w, OM_EINVAL);
	text(w, (const uint8_t *)s, n);
}

static void elem(struct om_buf *w, const char *name, const char *val)
{
	if (!val) {
		om_buf_fail(w, OM_EINVAL);
		return;
	}
	om_buf_puts(w, "<");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
	str(w, val);
	om_buf_puts(w, "</");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
}

static void elem_u(struct om_buf *w, const char *name, unsigned long v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lu", v);
	elem(w, name, buf);
}

static void metinf(struct om_buf *w, const char *name, const char *val)
{
	om_buf_puts(w, "<");
	om_buf_puts(w, name);
	om_buf_puts(w, " xmlns=\"" OM_DM_METINF_NS "\">");
	str(w, val);
	om_buf_puts(w, "</");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
}

static void b64(struct om_buf *w, const uint8_t *d, size_t n)
{
	size_t l = om_base64_len(n);
	uint8_t *at = om_buf_room(w, l + 1); /* om_base64_encode ends with a NUL */
	if (!at)
		return;
	om_base64_encode(d, n, (char *)at);
	w->len += l;
}

static void loc(struct om_buf *w, const char *name, const char *uri, const char *locname)
{
	om_buf_puts(w, "<");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
	elem(w, "LocURI", uri);
	if (locname)
		elem(w, "LocName", locname);
	om_buf_puts(w, "</");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
}

static void item(struct om_buf *w, const struct om_dm_item *it)
{
	const char *fmt = omd_format_name(it->format);
	if (it->data_len > OM_DM_DATA_MAX || (it->data_len && !it->data) || (it->format == OM_DM_FMT_NODE && it->data_len)) {
		om_buf_fail(w, OM_EINVAL);
		return;
	}
	om_buf_puts(w, "<Item>");
	if (it->target)
		loc(w, "Target", it->target, NULL);
	if (it->source)
		loc(w, "Source", it->source, NULL);
	if (fmt || it->type) {
		om_buf_puts(w, "<Meta>");
		if (fmt)
			metinf(w, "Format", fmt);
		if (it->type)
			metinf(w, "Type", it->type);
		om_buf_puts(w, "</Meta>");
	}
	if (it->data) {
		om_buf_puts(w, "<Data>");
		if (it->format == OM_DM_FMT_B64)
			b64(w, it->data, it->data_len);
		else
			text(w, it->data, it->data_len);
		om_buf_puts(w, "</Data>");
	}
	om_buf_puts(w, "</Item>");
}

static void items(struct om_buf *w, const struct om_dm_cmd *c, int at_least_one)
{
	if (c->n_items > OM_DM_ITEMS_MAX || (at_least_one && c->n_items == 0)) {
		om_buf_fail(w, OM_EINVAL);
		return;
	}
	for (size_t i = 0; i < c->n_items; i++)
		item(w, &c->items[i]);
}

static void chal(struct om_buf *w, const struct om_dm_cmd *c)
{
	const char *type = omd_auth_name(c->chal);
	if (!type)
		return;
	om_buf_puts(w, "<Chal><Meta>");
	metinf(w, "Format", "b64");
	metinf(w, "Type", type);
	if (c->next_nonce) {
		if (c->next_nonce_len > OM_DM_STR_MAX / 2) {
			om_buf_fail(w, OM_EINVAL);
			return;
		}
		om_buf_puts(w, "<NextNonce xmlns=\"" OM_DM_METINF_NS "\">");
		b64(w, c->next_nonce, c->next_nonce_len);
		om_buf_puts(w, "</NextNonce>");
	}
	om_buf_puts(w, "</Meta></Chal>");
}

static void cmd(struct om_buf *w, const struct om_dm_cmd *c)
{
	const char *name = om_dm_cmd_name(c->type);
	if (!name || c->cmd_id == 0) {
		om_buf_fail(w, OM_EINVAL);
		return;
	}
	om_buf_puts(w, "<");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
	elem_u(w, "CmdID", c->cmd_id);
	switch (c->type) {
	case OM_DM_CMD_ALERT:
		elem_u(w, "Data", c->code);
		items(w, c, 0);
		break;
	case OM_DM_CMD_STATUS:
		elem_u(w, "MsgRef", c->msg_ref);
		elem_u(w, "CmdRef", c->cmd_ref);
		elem(w, "Cmd", c->ref_cmd);
		if (c->target_ref)
			elem(w, "TargetRef", c->target_ref);
		if (c->source_ref)
			elem(w, "SourceRef", c->source_ref);
		chal(w, c);
		items(w, c, 0);
		elem_u(w, "Data", c->code);
		break;
	case OM_DM_CMD_RESULTS:
		if (c->msg_ref)
			elem_u(w, "MsgRef", c->msg_ref);
		elem_u(w, "CmdRef", c->cmd_ref);
		if (c->target_ref)
			elem(w, "TargetRef", c->target_ref);
		if (c->source_ref)
			elem(w, "SourceRef", c->source_ref);
		items(w, c, 1);
		break;
	default: /* Add, Replace, Delete, Get, Exec */
		items(w, c, 1);
		break;
	}
	om_buf_puts(w, "</");
	om_buf_puts(w, name);
	om_buf_puts(w, ">");
}

static void hdr(struct om_buf *w, const struct om_dm_hdr *h)
{
	if (h->msg_id == 0)
		om_buf_fail(w, OM_EINVAL);
	om_buf_puts(w, "<SyncHdr>");
	elem(w, "VerDTD", OMD_VERDTD);
	elem(w, "VerProto", OMD_VERPROTO);
	elem(w, "SessionID", h->session_id);
	elem_u(w, "MsgID", h->msg_id);
	loc(w, "Target", h->target, NULL);
	loc(w, "Source", h->source, h->source_name);
	if (h->resp_uri)
		elem(w, "RespURI", h->resp_uri);
	if (h->cred != OM_DM_AUTH_NONE) {
		const char *type = omd_auth_name(h->cred);
		if (!type) {
			om_buf_fail(w, OM_EINVAL);
			return;
		}
		om_buf_puts(w, "<Cred><Meta>");
		metinf(w, "Format", "b64");
		metinf(w, "Type", type);
		om_buf_puts(w, "</Meta>");
		elem(w, "Data", h->cred_data);
		om_buf_puts(w, "</Cred>");
	}
	if (h->max_msg_size || h->max_obj_size) {
		char buf[24];
		om_buf_puts(w, "<Meta>");
		if (h->max_msg_size) {
			snprintf(buf, sizeof(buf), "%lu", (unsigned long)h->max_msg_size);
			metinf(w, "MaxMsgSize", buf);
		}
		if (h->max_obj_size) {
			snprintf(buf, sizeof(buf), "%lu", (unsigned long)h->max_obj_size);
			metinf(w, "MaxObjSize", buf);
		}
		om_buf_puts(w, "</Meta>");
	}
	om_buf_puts(w, "</SyncHdr>");
}

int om_dm_encode(const struct om_dm_msg *m, uint8_t *out, size_t cap)
{
	if (!m || !out || m->n_cmds > OM_DM_CMDS_MAX)
		return OM_EINVAL;
	struct om_buf w;
	om_buf_fixed(&w, out, cap < OM_DM_MSG_MAX ? cap : OM_DM_MSG_MAX);
	om_buf_puts(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SyncML xmlns=\"" OM_DM_NS "\">");
	hdr(&w, &m->hdr);
	om_buf_puts(&w, "<SyncBody>");
	for (size_t i = 0; i < m->n_cmds; i++)
		cmd(&w, &m->cmds[i]);
	if (m->final)
		om_buf_puts(&w, "<Final/>");
	om_buf_puts(&w, "</SyncBody></SyncML>");
	if (w.err)
		return w.err == OM_ENOSPC && cap >= OM_DM_MSG_MAX ? OM_EINVAL : w.err;
	return (int)w.len;
}
