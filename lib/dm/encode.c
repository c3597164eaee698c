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

#include "dm_int.h"

struct wb {
	uint8_t *p;
	size_t cap, len;
	int err;
};

static void putn(struct wb *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		w->err = OM_ENOSPC;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void put(struct wb *w, const char *s)
{
	putn(w, s, strlen(s));
}

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
static void text(struct wb *w, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n && !w->err;) {
		uint32_t cp;
		size_t l = utf8_char(s + i, n - i, &cp);
		if (l == 0 || (cp < 0x20 && cp != 0x9 && cp != 0xa && cp != 0xd) || cp == 0xfffe || cp == 0xffff) {
			w->err = OM_EDM_VALUE;
			return;
		}
		switch (cp) {
		case '&': put(w, "&amp;"); break;
		case '<': put(w, "&lt;"); break;
		case '>': put(w, "&gt;"); break;
		case '\r': put(w, "&#13;"); break; /* a raw CR would be normalised away */
		default: putn(w, (const char *)s + i, l);
		}
		i += l;
	}
}

static void str(struct wb *w, const char *s)
{
	size_t n = strlen(s);
	if (n > OM_DM_STR_MAX && !w->err)
		w->err = OM_EINVAL;
	text(w, (const uint8_t *)s, n);
}

static void elem(struct wb *w, const char *name, const char *val)
{
	if (!val) {
		if (!w->err)
			w->err = OM_EINVAL;
		return;
	}
	put(w, "<");
	put(w, name);
	put(w, ">");
	str(w, val);
	put(w, "</");
	put(w, name);
	put(w, ">");
}

static void elem_u(struct wb *w, const char *name, unsigned long v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lu", v);
	elem(w, name, buf);
}

static void metinf(struct wb *w, const char *name, const char *val)
{
	put(w, "<");
	put(w, name);
	put(w, " xmlns=\"" OM_DM_METINF_NS "\">");
	str(w, val);
	put(w, "</");
	put(w, name);
	put(w, ">");
}

static void b64(struct wb *w, const uint8_t *d, size_t n)
{
	size_t l = om_base64_len(n);
	if (w->err)
		return;
	if (l + 1 > w->cap - w->len) {
		w->err = OM_ENOSPC;
		return;
	}
	om_base64_encode(d, n, (char *)w->p + w->len);
	w->len += l;
}

static void loc(struct wb *w, const char *name, const char *uri, const char *locname)
{
	put(w, "<");
	put(w, name);
	put(w, ">");
	elem(w, "LocURI", uri);
	if (locname)
		elem(w, "LocName", locname);
	put(w, "</");
	put(w, name);
	put(w, ">");
}

static void item(struct wb *w, const struct om_dm_item *it)
{
	const char *fmt = omd_format_name(it->format);
	if (it->data_len > OM_DM_DATA_MAX || (it->data_len && !it->data) || (it->format == OM_DM_FMT_NODE && it->data_len)) {
		if (!w->err)
			w->err = OM_EINVAL;
		return;
	}
	put(w, "<Item>");
	if (it->target)
		loc(w, "Target", it->target, NULL);
	if (it->source)
		loc(w, "Source", it->source, NULL);
	if (fmt || it->type) {
		put(w, "<Meta>");
		if (fmt)
			metinf(w, "Format", fmt);
		if (it->type)
			metinf(w, "Type", it->type);
		put(w, "</Meta>");
	}
	if (it->data) {
		put(w, "<Data>");
		if (it->format == OM_DM_FMT_B64)
			b64(w, it->data, it->data_len);
		else
			text(w, it->data, it->data_len);
		put(w, "</Data>");
	}
	put(w, "</Item>");
}

static void items(struct wb *w, const struct om_dm_cmd *c, int at_least_one)
{
	if (c->n_items > OM_DM_ITEMS_MAX || (at_least_one && c->n_items == 0)) {
		if (!w->err)
			w->err = OM_EINVAL;
		return;
	}
	for (size_t i = 0; i < c->n_items; i++)
		item(w, &c->items[i]);
}

static void chal(struct wb *w, const struct om_dm_cmd *c)
{
	const char *type = omd_auth_name(c->chal);
	if (!type)
		return;
	put(w, "<Chal><Meta>");
	metinf(w, "Format", "b64");
	metinf(w, "Type", type);
	if (c->next_nonce) {
		if (c->next_nonce_len > OM_DM_STR_MAX / 2) {
			w->err = w->err ? w->err : OM_EINVAL;
			return;
		}
		put(w, "<NextNonce xmlns=\"" OM_DM_METINF_NS "\">");
		b64(w, c->next_nonce, c->next_nonce_len);
		put(w, "</NextNonce>");
	}
	put(w, "</Meta></Chal>");
}

static void cmd(struct wb *w, const struct om_dm_cmd *c)
{
	const char *name = om_dm_cmd_name(c->type);
	if (!name || c->cmd_id == 0) {
		w->err = w->err ? w->err : OM_EINVAL;
		return;
	}
	put(w, "<");
	put(w, name);
	put(w, ">");
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
	put(w, "</");
	put(w, name);
	put(w, ">");
}

static void hdr(struct wb *w, const struct om_dm_hdr *h)
{
	if (h->msg_id == 0)
		w->err = w->err ? w->err : OM_EINVAL;
	put(w, "<SyncHdr>");
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
			w->err = w->err ? w->err : OM_EINVAL;
			return;
		}
		put(w, "<Cred><Meta>");
		metinf(w, "Format", "b64");
		metinf(w, "Type", type);
		put(w, "</Meta>");
		elem(w, "Data", h->cred_data);
		put(w, "</Cred>");
	}
	if (h->max_msg_size || h->max_obj_size) {
		char buf[24];
		put(w, "<Meta>");
		if (h->max_msg_size) {
			snprintf(buf, sizeof(buf), "%lu", (unsigned long)h->max_msg_size);
			metinf(w, "MaxMsgSize", buf);
		}
		if (h->max_obj_size) {
			snprintf(buf, sizeof(buf), "%lu", (unsigned long)h->max_obj_size);
			metinf(w, "MaxObjSize", buf);
		}
		put(w, "</Meta>");
	}
	put(w, "</SyncHdr>");
}

int om_dm_encode(const struct om_dm_msg *m, uint8_t *out, size_t cap)
{
	if (!m || !out || m->n_cmds > OM_DM_CMDS_MAX)
		return OM_EINVAL;
	struct wb w = {.p = out, .cap = cap < OM_DM_MSG_MAX ? cap : OM_DM_MSG_MAX};
	put(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SyncML xmlns=\"" OM_DM_NS "\">");
	hdr(&w, &m->hdr);
	put(&w, "<SyncBody>");
	for (size_t i = 0; i < m->n_cmds; i++)
		cmd(&w, &m->cmds[i]);
	if (m->final)
		put(&w, "<Final/>");
	put(&w, "</SyncBody></SyncML>");
	if (w.err)
		return w.err == OM_ENOSPC && cap >= OM_DM_MSG_MAX ? OM_EINVAL : w.err;
	return (int)w.len;
}
