/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SyncML DM 1.2 XML -> model, for bytes that come from the network on both
 * sides (DPF and device agent). In order:
 *   1. bounded length, no NUL byte, no ENTITY and no internal subset (XXE,
 *      entity expansion) before libxml2 sees a byte; parse with
 *      XML_PARSE_NONET and without entity substitution or DTD loading. The
 *      one DOCTYPE accepted is SyncML's own public identifier with no
 *      internal subset (what libwbxml2's wbxml2xml prints), never resolved;
 *   2. walk the tree against the SyncML 1.2 DTD's content models (element
 *      order, required elements, at most once where the DTD says so), with
 *      our bounds on commands, items and value lengths;
 *   3. copy every value into one arena so the model outlives the tree.
 * Elements we do not speak (NoResp, Correlator, Sequence, Atomic, ...) are
 * refused rather than skipped, so that nothing a peer sends is silently lost.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <openmcim/base64.h>

#include "dm_int.h"

struct ps {
	uint8_t *arena;
	size_t cap, used;
};

enum { F_REQ = 1, F_MULTI = 2 };

struct slot {
	const char *name;
	unsigned flags;
};

#define NSLOTS(a) (sizeof(a) / sizeof((a)[0]))
#define SLOTS_MAX 12

static int in_ns(xmlNodePtr n, const char *ns)
{
	return n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

/*
 * Match the element children of parent against slots. ordered: the DTD's
 * sequence (each child at a slot not before the previous one's); otherwise
 * any order (MetInf). found[i] gets the first child at slot i. metinf: the
 * children may be in the MetInf namespace (as the DTD has them) or, as some
 * peers write them, in the SyncML namespace.
 */
static int collect(xmlNodePtr parent, const struct slot *slots, size_t n, int ordered, int metinf,
		   xmlNodePtr found[SLOTS_MAX])
{
	size_t at = 0;
	memset(found, 0, sizeof(xmlNodePtr) * SLOTS_MAX);
	if (parent->properties)
		return OM_EDM_STRUCTURE;
	for (xmlNodePtr c = parent->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE)
			continue;
		if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c))
			continue;
		if (c->type != XML_ELEMENT_NODE)
			return OM_EDM_STRUCTURE;
		if (!in_ns(c, OM_DM_NS) && !(metinf && in_ns(c, OM_DM_METINF_NS)))
			return OM_EDM_STRUCTURE;
		size_t i;
		for (i = 0; i < n; i++)
			if (xmlStrEqual(c->name, BAD_CAST slots[i].name))
				break;
		if (i == n)
			return OM_EDM_STRUCTURE;
		if (ordered && i < at)
			return OM_EDM_STRUCTURE;
		if (found[i] && !(slots[i].flags & F_MULTI))
			return OM_EDM_DUPLICATE;
		if (!found[i])
			found[i] = c;
		at = i;
	}
	for (size_t i = 0; i < n; i++)
		if ((slots[i].flags & F_REQ) && !found[i])
			return OM_EDM_MISSING;
	return 0;
}

/* The character data of a leaf element, copied into the arena (NUL-terminated). */
static int text_of(struct ps *ps, xmlNodePtr el, size_t max, const char **out, size_t *out_len)
{
	size_t start = ps->used, n = 0;
	if (el->properties)
		return OM_EDM_STRUCTURE;
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE)
			continue;
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			return OM_EDM_STRUCTURE;
		size_t l = strlen((const char *)c->content);
		if (l > max - n)
			return OM_EDM_TOO_LONG;
		if (l + 1 > ps->cap - ps->used)
			return OM_ENOMEM; /* cannot happen: the arena is sized from the input */
		memcpy(ps->arena + ps->used, c->content, l);
		ps->used += l;
		n += l;
	}
	if (ps->used >= ps->cap)
		return OM_ENOMEM;
	ps->arena[ps->used++] = 0;
	*out = (const char *)ps->arena + start;
	if (out_len)
		*out_len = n;
	return 0;
}

static int str_of(struct ps *ps, xmlNodePtr el, const char **out)
{
	return el ? text_of(ps, el, OM_DM_STR_MAX, out, NULL) : 0;
}

/* Decimal without sign or leading zeros, at most 2^32 - 1. */
static int u32_of(struct ps *ps, xmlNodePtr el, uint32_t *v)
{
	const char *s;
	int r = text_of(ps, el, 10, &s, NULL);
	if (r == OM_EDM_TOO_LONG)
		return OM_EDM_VALUE;
	if (r < 0)
		return r;
	if (!*s || (s[0] == '0' && s[1]))
		return OM_EDM_VALUE;
	unsigned long long x = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return OM_EDM_VALUE;
		x = x * 10 + (unsigned)(*s - '0');
	}
	if (x > 0xffffffffu)
		return OM_EDM_VALUE;
	*v = (uint32_t)x;
	return 0;
}

/* Canonical base64 text of el, decoded into the arena. */
static int b64_of(struct ps *ps, xmlNodePtr el, size_t max, const uint8_t **out, size_t *out_len)
{
	const char *s;
	size_t n;
	int r = text_of(ps, el, om_base64_len(max), &s, &n);
	if (r < 0)
		return r;
	*out = (const uint8_t *)s;
	*out_len = 0;
	if (n == 0)
		return 0;
	uint8_t *buf;
	size_t len;
	r = om_base64_decode(s, n, max, &buf, &len);
	if (r == OM_EBASE64)
		return OM_EDM_BASE64;
	if (r == OM_ELENGTH)
		return OM_EDM_TOO_LONG;
	if (r < 0)
		return r;
	/* the decoded bytes are shorter than the text: overwrite it in place */
	memcpy((uint8_t *)s, buf, len);
	free(buf);
	*out_len = len;
	return 0;
}

struct meta {
	const char *type, *format;
	xmlNodePtr next_nonce, max_msg, max_obj;
};

/* MetInf: which children a context allows is the caller's check. */
static int meta_of(struct ps *ps, xmlNodePtr el, struct meta *m)
{
	static const struct slot s[] = {{"Format", 0}, {"Type", 0}, {"NextNonce", 0}, {"MaxMsgSize", 0}, {"MaxObjSize", 0}};
	xmlNodePtr f[SLOTS_MAX];
	int r;
	memset(m, 0, sizeof(*m));
	if ((r = collect(el, s, NSLOTS(s), 0, 1, f)) < 0 || (r = str_of(ps, f[0], &m->format)) < 0 ||
	    (r = str_of(ps, f[1], &m->type)) < 0)
		return r;
	m->next_nonce = f[2];
	m->max_msg = f[3];
	m->max_obj = f[4];
	return 0;
}

static int auth_of(const char *type, enum om_dm_auth *a)
{
	if (strcmp(type, "syncml:auth-basic") == 0)
		*a = OM_DM_AUTH_BASIC;
	else if (strcmp(type, "syncml:auth-md5") == 0)
		*a = OM_DM_AUTH_MD5;
	else
		return OM_EDM_AUTH_TYPE;
	return 0;
}

/* Target or Source: LocURI, optional LocName. */
static int loc_of(struct ps *ps, xmlNodePtr el, const char **uri, const char **name)
{
	static const struct slot s[] = {{"LocURI", F_REQ}, {"LocName", 0}};
	xmlNodePtr f[SLOTS_MAX];
	int r;
	if ((r = collect(el, s, NSLOTS(s), 1, 0, f)) < 0 || (r = str_of(ps, f[0], uri)) < 0)
		return r;
	return name ? str_of(ps, f[1], name) : 0;
}

static int item_of(struct ps *ps, xmlNodePtr el, struct om_dm_item *it)
{
	static const struct slot s[] = {{"Target", 0}, {"Source", 0}, {"Meta", 0}, {"Data", 0}};
	xmlNodePtr f[SLOTS_MAX];
	int r;
	if ((r = collect(el, s, NSLOTS(s), 1, 0, f)) < 0)
		return r;
	if ((f[0] && (r = loc_of(ps, f[0], &it->target, NULL)) < 0) ||
	    (f[1] && (r = loc_of(ps, f[1], &it->source, NULL)) < 0))
		return r;
	it->format = OM_DM_FMT_NONE;
	if (f[2]) {
		struct meta m;
		if ((r = meta_of(ps, f[2], &m)) < 0)
			return r;
		if (m.next_nonce || m.max_msg || m.max_obj)
			return OM_EDM_STRUCTURE;
		it->type = m.type;
		if (m.format) {
			if (strcmp(m.format, "chr") == 0)
				it->format = OM_DM_FMT_CHR;
			else if (strcmp(m.format, "b64") == 0)
				it->format = OM_DM_FMT_B64;
			else if (strcmp(m.format, "int") == 0)
				it->format = OM_DM_FMT_INT;
			else if (strcmp(m.format, "node") == 0)
				it->format = OM_DM_FMT_NODE;
			else
				return OM_EDM_VALUE;
		}
	}
	if (!f[3])
		return 0;
	if (it->format == OM_DM_FMT_B64)
		return b64_of(ps, f[3], OM_DM_DATA_MAX, &it->data, &it->data_len);
	const char *t;
	if ((r = text_of(ps, f[3], OM_DM_DATA_MAX, &t, &it->data_len)) < 0)
		return r;
	it->data = (const uint8_t *)t;
	if (it->format == OM_DM_FMT_NODE && it->data_len)
		return OM_EDM_VALUE;
	if (it->format == OM_DM_FMT_INT) {
		size_t i = t[0] == '-' ? 1 : 0;
		if (it->data_len == i || it->data_len > 11)
			return OM_EDM_VALUE;
		for (; i < it->data_len; i++)
			if (t[i] < '0' || t[i] > '9')
				return OM_EDM_VALUE;
	}
	return 0;
}

static int items_of(struct ps *ps, xmlNodePtr first, struct om_dm_cmd *c)
{
	for (xmlNodePtr n = first; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST "Item"))
			continue;
		if (c->n_items >= OM_DM_ITEMS_MAX)
			return OM_EDM_TOO_MANY;
		int r = item_of(ps, n, &c->items[c->n_items++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int chal_of(struct ps *ps, xmlNodePtr el, struct om_dm_cmd *c)
{
	static const struct slot s[] = {{"Meta", F_REQ}};
	xmlNodePtr f[SLOTS_MAX];
	struct meta m;
	int r;
	if ((r = collect(el, s, NSLOTS(s), 1, 0, f)) < 0 || (r = meta_of(ps, f[0], &m)) < 0)
		return r;
	if (m.max_msg || m.max_obj)
		return OM_EDM_STRUCTURE;
	if (!m.type)
		return OM_EDM_MISSING;
	if ((r = auth_of(m.type, &c->chal)) < 0)
		return r;
	if (m.format && strcmp(m.format, "b64") != 0)
		return OM_EDM_VALUE;
	if (c->chal == OM_DM_AUTH_MD5 && !m.next_nonce)
		return OM_EDM_MISSING;
	if (!m.next_nonce)
		return 0;
	return b64_of(ps, m.next_nonce, OM_DM_STR_MAX / 2, &c->next_nonce, &c->next_nonce_len);
}

/* Alert Data: a four-digit code; Status Data: a three-digit code. */
static int code_of(struct ps *ps, xmlNodePtr el, unsigned lo, unsigned hi, unsigned *code)
{
	uint32_t v;
	int r = u32_of(ps, el, &v);
	if (r < 0)
		return r;
	if (v < lo || v > hi)
		return OM_EDM_VALUE;
	*code = v;
	return 0;
}

static int cmd_of(struct ps *ps, xmlNodePtr el, struct om_dm_cmd *c)
{
	/* the DTD's content models, less what we do not speak */
	static const struct slot alert[] = {{"CmdID", F_REQ}, {"Data", F_REQ}, {"Item", F_MULTI}};
	static const struct slot status[] = {{"CmdID", F_REQ},	 {"MsgRef", F_REQ},    {"CmdRef", F_REQ},
					     {"Cmd", F_REQ},	 {"TargetRef", 0},     {"SourceRef", 0},
					     {"Chal", 0},	 {"Item", F_MULTI},    {"Data", F_REQ}};
	static const struct slot results[] = {{"CmdID", F_REQ},	 {"MsgRef", 0}, {"CmdRef", F_REQ},
					      {"TargetRef", 0},	 {"SourceRef", 0}, {"Item", F_REQ | F_MULTI}};
	static const struct slot generic[] = {{"CmdID", F_REQ}, {"Item", F_REQ | F_MULTI}};
	xmlNodePtr f[SLOTS_MAX];
	int r;
	switch (c->type) {
	case OM_DM_CMD_ALERT:
		if ((r = collect(el, alert, NSLOTS(alert), 1, 0, f)) < 0 || (r = u32_of(ps, f[0], &c->cmd_id)) < 0 ||
		    (r = code_of(ps, f[1], 1000, 9999, &c->code)) < 0)
			return r;
		r = items_of(ps, f[2], c);
		break;
	case OM_DM_CMD_STATUS:
		if ((r = collect(el, status, NSLOTS(status), 1, 0, f)) < 0 ||
		    (r = u32_of(ps, f[0], &c->cmd_id)) < 0 || (r = u32_of(ps, f[1], &c->msg_ref)) < 0 ||
		    (r = u32_of(ps, f[2], &c->cmd_ref)) < 0 || (r = str_of(ps, f[3], &c->ref_cmd)) < 0 ||
		    (r = str_of(ps, f[4], &c->target_ref)) < 0 || (r = str_of(ps, f[5], &c->source_ref)) < 0 ||
		    (f[6] && (r = chal_of(ps, f[6], c)) < 0) || (r = items_of(ps, f[7], c)) < 0 ||
		    (r = code_of(ps, f[8], 100, 599, &c->code)) < 0)
			return r;
		if (!omd_ref_cmd_known(c->ref_cmd) || c->msg_ref == 0)
			return OM_EDM_VALUE;
		break;
	case OM_DM_CMD_RESULTS:
		if ((r = collect(el, results, NSLOTS(results), 1, 0, f)) < 0 ||
		    (r = u32_of(ps, f[0], &c->cmd_id)) < 0 || (f[1] && (r = u32_of(ps, f[1], &c->msg_ref)) < 0) ||
		    (r = u32_of(ps, f[2], &c->cmd_ref)) < 0 || (r = str_of(ps, f[3], &c->target_ref)) < 0 ||
		    (r = str_of(ps, f[4], &c->source_ref)) < 0 || (r = items_of(ps, f[5], c)) < 0)
			return r;
		if (f[1] && c->msg_ref == 0)
			return OM_EDM_VALUE;
		break;
	default:
		if ((r = collect(el, generic, NSLOTS(generic), 1, 0, f)) < 0 ||
		    (r = u32_of(ps, f[0], &c->cmd_id)) < 0 || (r = items_of(ps, f[1], c)) < 0)
			return r;
		break;
	}
	if (r < 0)
		return r;
	return c->cmd_id == 0 ? OM_EDM_VALUE : 0;
}

static int body_of(struct ps *ps, xmlNodePtr el, struct om_dm_msg *m)
{
	static const struct {
		const char *name;
		enum om_dm_cmd_type type;
	} cmds[] = {{"Alert", OM_DM_CMD_ALERT}, {"Add", OM_DM_CMD_ADD},	      {"Replace", OM_DM_CMD_REPLACE},
		    {"Delete", OM_DM_CMD_DELETE}, {"Get", OM_DM_CMD_GET},     {"Exec", OM_DM_CMD_EXEC},
		    {"Results", OM_DM_CMD_RESULTS}, {"Status", OM_DM_CMD_STATUS}};
	static const char *const unspoken[] = {"Copy", "Sequence", "Atomic", "Map", "Put", "Sync", "Search"};
	if (el->properties)
		return OM_EDM_STRUCTURE;
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE || (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)))
			continue;
		if (c->type != XML_ELEMENT_NODE || !in_ns(c, OM_DM_NS) || m->final)
			return OM_EDM_STRUCTURE; /* Final is the last child */
		if (xmlStrEqual(c->name, BAD_CAST "Final")) {
			const char *s;
			size_t n;
			int r = text_of(ps, c, 0, &s, &n);
			if (r < 0)
				return r == OM_EDM_TOO_LONG ? OM_EDM_STRUCTURE : r;
			m->final = 1;
			continue;
		}
		size_t i;
		for (i = 0; i < NSLOTS(cmds); i++)
			if (xmlStrEqual(c->name, BAD_CAST cmds[i].name))
				break;
		if (i == NSLOTS(cmds)) {
			for (size_t k = 0; k < NSLOTS(unspoken); k++)
				if (xmlStrEqual(c->name, BAD_CAST unspoken[k]))
					return OM_EDM_COMMAND;
			return OM_EDM_STRUCTURE;
		}
		if (m->n_cmds >= OM_DM_CMDS_MAX)
			return OM_EDM_TOO_MANY;
		struct om_dm_cmd *cmd = &m->cmds[m->n_cmds++];
		cmd->type = cmds[i].type;
		int r = cmd_of(ps, c, cmd);
		if (r < 0)
			return r;
	}
	return 0;
}

static int hdr_of(struct ps *ps, xmlNodePtr el, struct om_dm_hdr *h, int any_version)
{
	static const struct slot s[] = {{"VerDTD", F_REQ}, {"VerProto", F_REQ}, {"SessionID", F_REQ},
					{"MsgID", F_REQ},  {"Target", F_REQ},	{"Source", F_REQ},
					{"RespURI", 0},	   {"Cred", 0},		{"Meta", 0}};
	xmlNodePtr f[SLOTS_MAX];
	const char *v;
	int r;
	if ((r = collect(el, s, NSLOTS(s), 1, 0, f)) < 0)
		return r;
	if ((r = str_of(ps, f[0], &v)) < 0)
		return r;
	if (!any_version && strcmp(v, OMD_VERDTD) != 0)
		return OM_EDM_VERDTD;
	if ((r = str_of(ps, f[1], &v)) < 0)
		return r;
	if (!any_version && strcmp(v, OMD_VERPROTO) != 0)
		return OM_EDM_VERPROTO;
	if ((r = str_of(ps, f[2], &h->session_id)) < 0 || (r = u32_of(ps, f[3], &h->msg_id)) < 0 ||
	    (r = loc_of(ps, f[4], &h->target, NULL)) < 0 || (r = loc_of(ps, f[5], &h->source, &h->source_name)) < 0 ||
	    (r = str_of(ps, f[6], &h->resp_uri)) < 0)
		return r;
	if (h->msg_id == 0 || !h->session_id[0])
		return OM_EDM_VALUE;
	if (f[7]) {
		static const struct slot cs[] = {{"Meta", F_REQ}, {"Data", F_REQ}};
		xmlNodePtr cf[SLOTS_MAX];
		struct meta m;
		const uint8_t *raw;
		size_t raw_len;
		if ((r = collect(f[7], cs, NSLOTS(cs), 1, 0, cf)) < 0 || (r = meta_of(ps, cf[0], &m)) < 0)
			return r;
		if (m.next_nonce || m.max_msg || m.max_obj)
			return OM_EDM_STRUCTURE;
		if (!m.type)
			return OM_EDM_MISSING;
		if ((r = auth_of(m.type, &h->cred)) < 0)
			return r;
		if (m.format && strcmp(m.format, "b64") != 0)
			return OM_EDM_VALUE;
		/* kept as text (credentials are compared as b64), checked to be base64 */
		if ((r = str_of(ps, cf[1], &h->cred_data)) < 0)
			return r;
		if ((r = b64_of(ps, cf[1], OM_DM_STR_MAX, &raw, &raw_len)) < 0)
			return r;
		if (raw_len == 0)
			return OM_EDM_MISSING;
	}
	if (f[8]) {
		struct meta m;
		if ((r = meta_of(ps, f[8], &m)) < 0)
			return r;
		if (m.type || m.format || m.next_nonce)
			return OM_EDM_STRUCTURE;
		if ((m.max_msg && (r = u32_of(ps, m.max_msg, &h->max_msg_size)) < 0) ||
		    (m.max_obj && (r = u32_of(ps, m.max_obj, &h->max_obj_size)) < 0))
			return r;
	}
	return 0;
}

static int contains(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(p + i, s, n) == 0)
			return 1;
	return 0;
}

/* SyncML's public identifiers (RepPro 1.2 and 1.1 DTDs); another version's is read only to answer 505. */
static const char *const syncml_ids[] = { "-//SYNCML//DTD SyncML 1.2//EN", "-//SYNCML//DTD SyncML 1.1//EN" };
static const char *const syncml_ns[] = { OM_DM_NS, "SYNCML:SYNCML1.1" };

/*
 * The DOCTYPE a peer may send: <!DOCTYPE SyncML PUBLIC "<SyncML id>" "...">
 * and nothing else, no internal subset. Checked on the bytes (a '[' opens
 * an internal subset) and again on the tree. No DTD is loaded.
 */
static int doctype_bytes_ok(const uint8_t *xml, size_t len)
{
	const char *d = NULL;
	for (size_t i = 0; i + 9 <= len; i++)
		if (!memcmp(xml + i, "<!DOCTYPE", 9)) {
			if (d)
				return 0; /* a second one */
			d = (const char *)xml + i;
		}
	if (!d)
		return 1;
	for (const char *p = d; p < (const char *)xml + len; p++) {
		if (*p == '[')
			return 0;
		if (*p == '>')
			return 1;
	}
	return 0;
}

static int doctype_tree_ok(xmlDocPtr doc)
{
	xmlDtdPtr d = doc->intSubset;
	if (doc->extSubset)
		return 0;
	if (!d)
		return 1;
	if (d->children || !xmlStrEqual(d->name, BAD_CAST "SyncML") || !d->ExternalID)
		return 0;
	for (size_t i = 0; i < NSLOTS(syncml_ids); i++)
		if (xmlStrEqual(d->ExternalID, BAD_CAST syncml_ids[i]))
			return 1;
	return 0;
}

/* hdr_only: the SyncHdr of any SyncML version we know, body unread (om_dm_parse_hdr). */
static int parse_doc(const uint8_t *xml, size_t len, struct om_dm_msg *m, int hdr_only)
{
	xmlDocPtr doc = NULL;
	struct ps ps = {0};
	int r;
	if (!m)
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	if (!xml)
		return OM_EINVAL;
	if (len > OM_DM_MSG_MAX)
		return OM_EDM_TOO_LONG;
	if (len == 0 || memchr(xml, 0, len))
		return OM_EDM_XML; /* UTF-16/32 or binary */
	/* entities and internal subsets are refused outright: XXE and entity expansion need one */
	if (contains(xml, len, "<!ENTITY") || !doctype_bytes_ok(xml, len))
		return OM_EDM_DTD;
	ps.cap = 2 * len + 64;
	ps.arena = malloc(ps.cap);
	if (!ps.arena)
		return OM_ENOMEM;
	xmlInitParser();
	/* no XML_PARSE_NOENT / DTDLOAD / DTDATTR: nothing is fetched or expanded */
	doc = xmlReadMemory((const char *)xml, (int)len, NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	r = OM_EDM_XML;
	if (!doc)
		goto out;
	r = OM_EDM_DTD;
	if (!doctype_tree_ok(doc))
		goto out;
	r = OM_EDM_STRUCTURE;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || !xmlStrEqual(root->name, BAD_CAST "SyncML"))
		goto out;
	if (!in_ns(root, OM_DM_NS)) {
		if (!in_ns(root, syncml_ns[1]))
			goto out;
		if (!hdr_only) {
			r = OM_EDM_VERDTD; /* a SyncML 1.1 message: the server answers 505 */
			goto out;
		}
		/* read its header with the 1.2 walker: the root's declaration names the namespace of its children */
		xmlChar *href = xmlStrdup(BAD_CAST OM_DM_NS);
		if (!href) {
			r = OM_ENOMEM;
			goto out;
		}
		xmlFree((xmlChar *)root->ns->href);
		root->ns->href = href;
	}
	for (xmlNodePtr n = doc->children; n; n = n->next)
		if (n != root && n->type != XML_COMMENT_NODE && n->type != XML_DTD_NODE)
			goto out; /* processing instructions */
	static const struct slot s[] = {{"SyncHdr", F_REQ}, {"SyncBody", F_REQ}};
	xmlNodePtr f[SLOTS_MAX];
	if ((r = collect(root, s, NSLOTS(s), 1, 0, f)) < 0 || (r = hdr_of(&ps, f[0], &m->hdr, hdr_only)) < 0 ||
	    (!hdr_only && (r = body_of(&ps, f[1], m)) < 0))
		goto out;
	m->arena = ps.arena;
	ps.arena = NULL;
	r = 0;
out:
	xmlFreeDoc(doc);
	if (r < 0) {
		free(ps.arena);
		memset(m, 0, sizeof(*m));
	}
	return r;
}

int om_dm_parse(const uint8_t *xml, size_t len, struct om_dm_msg *m)
{
	return parse_doc(xml, len, m, 0);
}

int om_dm_parse_hdr(const uint8_t *xml, size_t len, struct om_dm_msg *m)
{
	return parse_doc(xml, len, m, 1);
}
