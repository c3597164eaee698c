/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The characteristics of the bootstrap document (docs/formats.md,
 * "Bootstrap document (B.2.3.3)") and their strict reading: every
 * characteristic and parm of the table present exactly once, nothing else,
 * every value within the limits of struct om_bootstrap. The same rules
 * check the builder's input, so the DRF cannot send what a TRE refuses.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/base64.h>
#include <openmcim/bootstrap.h>

#include "bootstrap_int.h"
#include "objects_int.h"

enum kind { TEXT, URL, APN, B64, SEQ, FIXED };

struct rule {
	const char *name;
	enum kind kind;
	size_t max;
	const char *fixed; /* FIXED: the only value allowed */
	int optional;      /* may be absent */
};

#define NPARM 6
struct charac {
	const char *type;
	struct rule parms[NPARM];
	const struct charac *sub; /* the one characteristic nested in it, or NULL */
};

/* OMA DM Bootstrap: the w7 account's client credentials, the scheme only (the rest is sealed) */
static const struct charac appauth = {
	"APPAUTH", { { "AAUTHLEVEL", FIXED, 0, "APPSRV", 0 }, { "AAUTHTYPE", FIXED, 0, OMO_AAUTHTYPE, 0 } }, NULL
};

/* B.2.3.3 and OMA-WAP-ProvCont: one APN, one w7 DM account, one openmcim VENDORCONFIG (NOTE 2) */
static const struct charac chars[] = {
	{ "BOOTSTRAP", { { "NAME", TEXT, OM_BOOTSTRAP_NAME_MAX, NULL, 0 }, { "PROVURL", URL, OM_BOOTSTRAP_URL_MAX, NULL, 0 } }, NULL },
	{ "NAPDEF",
	  { { "NAPID", FIXED, 0, OMO_NAPID, 0 },
	    { "BEARER", FIXED, 0, OMO_BEARER, 0 },
	    { "NAME", TEXT, OM_BOOTSTRAP_NAME_MAX, NULL, 0 },
	    { "NAP-ADDRESS", APN, OM_BOOTSTRAP_APN_MAX, NULL, 0 },
	    { "NAP-ADDRTYPE", FIXED, 0, "APN", 0 } },
	  NULL },
	{ "APPLICATION",
	  { { "APPID", FIXED, 0, "w7", 0 },
	    { "PROVIDER-ID", TEXT, OM_BOOTSTRAP_NAME_MAX, NULL, 0 },
	    { "NAME", TEXT, OM_BOOTSTRAP_NAME_MAX, NULL, 0 },
	    { "ADDR", URL, OM_BOOTSTRAP_URL_MAX, NULL, 0 },
	    { "TO-NAPID", FIXED, 0, OMO_NAPID, 0 } },
	  &appauth },
	{ "VENDORCONFIG",
	  { { "NAME", FIXED, 0, OMO_VENDOR_NAME, 0 },
	    { "SHO-CERT", B64, (OMO_CERT_MAX + 2) / 3 * 4, NULL, 0 },
	    { "DM-CREDENTIALS", B64, (OMO_CREDS_MAX + 2) / 3 * 4, NULL, 0 },
	    { "SEQUENCE", SEQ, 10, NULL, 0 },
	    /* the signer's certificate status, stapled: both or neither (docs/formats.md) */
	    { "SIGNER-STATUS", B64, (OMO_STATUS_MAX + 2) / 3 * 4, NULL, 1 },
	    { "SIGNER-ISSUER", B64, (OMO_CERT_MAX + 2) / 3 * 4, NULL, 1 } },
	  NULL },
};
#define NCHAR (sizeof(chars) / sizeof(chars[0]))

int omo_b64_decode(const char *in, size_t max, uint8_t **out, size_t *out_len)
{
	int r = om_base64_decode(in, strlen(in), max, out, out_len);
	if (r == OM_EBASE64)
		return OM_EOBJ_BASE64;
	return r == OM_ELENGTH ? OM_EOBJ_TOO_LONG : r;
}

int omo_blank(xmlNodePtr n)
{
	for (const xmlChar *p = n->content; p && *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

static int all_in(const char *s, const char *set_lo_hi_or_null, char lo, char hi)
{
	for (; *s; s++) {
		if (set_lo_hi_or_null ? !strchr(set_lo_hi_or_null, *s) : (*s < lo || *s > hi))
			return 0;
	}
	return 1;
}

/* 0, OM_EOBJ_TOO_LONG or OM_EOBJ_VALUE for one parm value. */
static int value_ok(const struct rule *r, const char *v)
{
	size_t n = strlen(v);
	if (r->kind == FIXED)
		return strcmp(v, r->fixed) == 0 ? 0 : OM_EOBJ_VALUE;
	if (n > r->max)
		return OM_EOBJ_TOO_LONG;
	if (n == 0)
		return OM_EOBJ_VALUE;
	switch (r->kind) {
	case TEXT:
		return all_in(v, NULL, ' ', '~') ? 0 : OM_EOBJ_VALUE;
	case URL:
		if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
			return OM_EOBJ_VALUE;
		return all_in(v, NULL, '!', '~') ? 0 : OM_EOBJ_VALUE;
	case APN: /* TS 23.003 9.1: labels of letters, digits and hyphens */
		if (v[0] == '.' || v[n - 1] == '.' || strstr(v, ".."))
			return OM_EOBJ_VALUE;
		return all_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.", 0, 0) ? 0
													: OM_EOBJ_VALUE;
	case SEQ: /* a uint32 in decimal, one spelling: no sign, no leading zero */
		if (!all_in(v, "0123456789", 0, 0) || (n > 1 && v[0] == '0') ||
		    (n == 10 && strcmp(v, "4294967295") > 0))
			return OM_EOBJ_VALUE;
		return 0;
	default: /* B64: decoded (and checked) by the caller */
		return 0;
	}
}

int omo_bootstrap_check(const struct om_bootstrap *b)
{
	static const struct rule url = { "", URL, OM_BOOTSTRAP_URL_MAX, NULL, 0 },
				 name = { "", TEXT, OM_BOOTSTRAP_NAME_MAX, NULL, 0 },
				 apn = { "", APN, OM_BOOTSTRAP_APN_MAX, NULL, 0 };
	if (!memchr(b->provurl, 0, sizeof(b->provurl)) || !memchr(b->server_id, 0, sizeof(b->server_id)) ||
	    !memchr(b->apn, 0, sizeof(b->apn)))
		return OM_EINVAL;
	if (value_ok(&url, b->provurl) < 0 || value_ok(&name, b->server_id) < 0 || value_ok(&apn, b->apn) < 0)
		return OM_EINVAL;
	if (!b->sho_cert || b->sho_cert_len == 0 || b->sho_cert_len > OMO_CERT_MAX || !b->creds ||
	    b->creds_len == 0 || b->creds_len > OMO_CREDS_MAX)
		return OM_EINVAL;
	if (!b->signer_status != !b->signer_issuer || (b->signer_status && (!b->signer_status_len ||
	    b->signer_status_len > OMO_STATUS_MAX || !b->signer_issuer_len || b->signer_issuer_len > OMO_CERT_MAX)))
		return OM_EINVAL;
	return 0;
}

/* The value attribute of a parm, after checking it has exactly name and value. */
static int parm_attrs(xmlNodePtr p, const char **name, const char **value)
{
	int n = 0;
	*name = *value = NULL;
	if (p->ns || p->nsDef)
		return OM_EOBJ_STRUCTURE;
	for (xmlAttrPtr a = p->properties; a; a = a->next, n++) {
		const char *v = a->children && !a->children->next && a->children->type == XML_TEXT_NODE
					? (const char *)a->children->content
					: (a->children ? NULL : "");
		if (a->ns || !v)
			return OM_EOBJ_STRUCTURE;
		if (xmlStrEqual(a->name, BAD_CAST "name"))
			*name = v;
		else if (xmlStrEqual(a->name, BAD_CAST "value"))
			*value = v;
		else
			return OM_EOBJ_STRUCTURE;
	}
	return n == 2 && *name && *value ? 0 : OM_EOBJ_STRUCTURE;
}

static const char *charac_type(xmlNodePtr c);

/* Read one characteristic into vals[] (pointers into the tree), and its one nested one. */
static int read_charac(xmlNodePtr c, const struct charac *ch, const char *vals[static NPARM])
{
	int seen_sub = 0;
	for (xmlNodePtr p = c->children; p; p = p->next) {
		const char *name, *value;
		int r;
		if (p->type == XML_TEXT_NODE && omo_blank(p))
			continue;
		if (ch->sub && p->type == XML_ELEMENT_NODE && xmlStrEqual(p->name, BAD_CAST "characteristic")) {
			const char *sub_vals[NPARM] = { 0 };
			const char *type = charac_type(p);
			if (!type || strcmp(type, ch->sub->type) != 0)
				return OM_EOBJ_STRUCTURE;
			if (seen_sub++)
				return OM_EOBJ_DUPLICATE;
			if ((r = read_charac(p, ch->sub, sub_vals)) < 0)
				return r;
			continue;
		}
		if (p->type != XML_ELEMENT_NODE || !xmlStrEqual(p->name, BAD_CAST "parm") || p->children)
			return OM_EOBJ_STRUCTURE;
		if ((r = parm_attrs(p, &name, &value)) < 0)
			return r;
		size_t i = 0;
		while (i < NPARM && ch->parms[i].name && strcmp(ch->parms[i].name, name) != 0)
			i++;
		if (i == NPARM || !ch->parms[i].name)
			return OM_EOBJ_STRUCTURE;
		if (vals[i])
			return OM_EOBJ_DUPLICATE;
		if ((r = value_ok(&ch->parms[i], value)) < 0)
			return r;
		vals[i] = value;
	}
	for (size_t i = 0; i < NPARM && ch->parms[i].name; i++)
		if (!vals[i] && !ch->parms[i].optional)
			return OM_EOBJ_MISSING;
	return ch->sub && !seen_sub ? OM_EOBJ_MISSING : 0;
}

/* The type of a characteristic element that carries only that attribute. */
static const char *charac_type(xmlNodePtr c)
{
	xmlAttrPtr a = c->properties;
	if (c->ns || c->nsDef || !a || a->next || a->ns || !xmlStrEqual(a->name, BAD_CAST "type") || !a->children ||
	    a->children->next || a->children->type != XML_TEXT_NODE)
		return NULL;
	return (const char *)a->children->content;
}

int omo_bootstrap_parse(xmlNodePtr root, struct om_bootstrap *out)
{
	const char *vals[NCHAR][NPARM];
	int seen[NCHAR] = { 0 };
	int r;

	memset(vals, 0, sizeof(vals));
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && omo_blank(c))
			continue;
		if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, BAD_CAST "characteristic"))
			return OM_EOBJ_STRUCTURE;
		const char *type = charac_type(c);
		if (!type)
			return OM_EOBJ_STRUCTURE;
		size_t k = 0;
		while (k < NCHAR && strcmp(chars[k].type, type) != 0)
			k++;
		if (k == NCHAR)
			return OM_EOBJ_STRUCTURE;
		if (seen[k]++)
			return OM_EOBJ_DUPLICATE;
		if ((r = read_charac(c, &chars[k], vals[k])) < 0)
			return r;
	}
	for (size_t k = 0; k < NCHAR; k++)
		if (!seen[k])
			return OM_EOBJ_MISSING;
	/* one address for the DPF: BOOTSTRAP/PROVURL is the w7 account's ADDR */
	if (strcmp(vals[0][1], vals[2][3]) != 0)
		return OM_EOBJ_VALUE;
	strcpy(out->provurl, vals[0][1]);
	strcpy(out->apn, vals[1][3]);
	strcpy(out->server_id, vals[2][1]);
	out->sequence = (uint32_t)strtoul(vals[3][3], NULL, 10);
	if ((r = omo_b64_decode(vals[3][1], OMO_CERT_MAX, &out->sho_cert, &out->sho_cert_len)) < 0)
		return r;
	if ((r = omo_b64_decode(vals[3][2], OMO_CREDS_MAX, &out->creds, &out->creds_len)) < 0)
		return r;
	if (!vals[3][4] != !vals[3][5])
		return OM_EOBJ_MISSING; /* a status without its issuer cannot be checked, and the reverse */
	if (!vals[3][4])
		return 0;
	if ((r = omo_b64_decode(vals[3][4], OMO_STATUS_MAX, &out->signer_status, &out->signer_status_len)) < 0)
		return r;
	return omo_b64_decode(vals[3][5], OMO_CERT_MAX, &out->signer_issuer, &out->signer_issuer_len);
}
