/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provisioning commands: add, change, suspend, resume, delete, show,
 * status and import of the factory's PCID file. Words are `name=value`; K, OP and OPc
 * are decoded, used and cleansed here, and never reach a log or an answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/csv.h>
#include <openmcim/hex.h>
#include <openmcim/sqn.h>

#include "admin.h"
#include "hss_store.h"
#include "log.h"
#include "metrics.h"
#include "reason.h"

#define MAX_WORDS 16
#define IMPORT_LINE_MAX 256
#define AMBR_MAX UINT64_C(1000000000000) /* 1 Tbit/s */
#define AMBR_DEFAULT UINT64_C(1000000)

/* A parsed command: its words after the verb, and what they set. */
struct cmd {
	char *arg; /* IMSI or file */
	struct hss_profile p;
	unsigned ind_bits;
	int has_ind_bits;
	const char *k, *op, *opc, *amf;
};

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int apn_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HSS_APN_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

static int parse_apns(char *v, struct hss_profile *p, char *why, size_t wl)
{
	p->n_apns = 0;
	for (char *save = NULL, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (p->n_apns == HSS_MAX_APNS)
			return om_reason(why, wl, OM_EHSS_PROFILE, "more than %d APNs", HSS_MAX_APNS);
		if (!apn_name_ok(t))
			return om_reason(why, wl, OM_EHSS_PROFILE, "APN '%.40s' is not a TS 23.003 name", t);
		for (size_t i = 0; i < p->n_apns; i++)
			if (!strcmp(p->apns[i].name, t))
				return om_reason(why, wl, OM_EHSS_PROFILE, "APN '%s' given twice", t);
		p->apns[p->n_apns].context_id = (uint32_t)p->n_apns + 1;
		snprintf(p->apns[p->n_apns].name, sizeof(p->apns[0].name), "%s", t);
		p->n_apns++;
	}
	if (p->n_apns == 0)
		return om_reason(why, wl, OM_EHSS_PROFILE, "apn= needs at least one APN");
	p->has_apns = 1;
	return 0;
}

static int parse_roaming(char *v, struct hss_profile *p, char *why, size_t wl)
{
	p->n_plmns = 0;
	p->roaming_any = 0;
	p->has_roaming = 1;
	if (!strcmp(v, "any")) {
		p->roaming_any = 1;
		return 0;
	}
	for (char *save = NULL, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (p->n_plmns == HSS_MAX_PLMNS)
			return om_reason(why, wl, OM_EHSS_PROFILE, "more than %d roaming PLMNs", HSS_MAX_PLMNS);
		if (hss_plmn_parse(t, p->plmns[p->n_plmns]) < 0)
			return om_reason(why, wl, OM_EHSS_PROFILE, "roaming PLMN '%.16s' is not MCC+MNC (5 or 6 digits)", t);
		for (size_t i = 0; i < p->n_plmns; i++)
			if (!memcmp(p->plmns[i], p->plmns[p->n_plmns], 3))
				return om_reason(why, wl, OM_EHSS_PROFILE, "roaming PLMN %s given twice", t);
		p->n_plmns++;
	}
	if (p->n_plmns == 0)
		return om_reason(why, wl, OM_EHSS_PROFILE, "roaming= needs 'any' or a PLMN list");
	return 0;
}

/* Split "name=value" words into c; which names are allowed depends on the verb. */
static int parse_words(char **w, size_t n, int allow_keys, int allow_ind, struct cmd *c, char *why, size_t wl)
{
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq)
			return om_reason(why, wl, OM_EHSS_COMMAND, "expected name=value, got '%.32s'", w[i]);
		*eq = '\0';
		const char *name = w[i];
		char *v = eq + 1;
		int rc = 0;
		uint64_t u;
		if (!strcmp(name, "apn") && !c->p.has_apns) {
			rc = parse_apns(v, &c->p, why, wl);
		} else if (!strcmp(name, "roaming") && !c->p.has_roaming) {
			rc = parse_roaming(v, &c->p, why, wl);
		} else if (!strcmp(name, "ambr") && !c->p.has_ambr) {
			char *slash = strchr(v, '/');
			if (!slash)
				return om_reason(why, wl, OM_EHSS_PROFILE, "ambr= is UL/DL in bit/s");
			*slash = '\0';
			if (parse_u64(v, AMBR_MAX, &c->p.ambr_ul) || parse_u64(slash + 1, AMBR_MAX, &c->p.ambr_dl) ||
			    !c->p.ambr_ul || !c->p.ambr_dl)
				return om_reason(why, wl, OM_EHSS_PROFILE, "ambr= is UL/DL in bit/s, each 1..10^12");
			c->p.has_ambr = 1;
		} else if (!strcmp(name, "status") && !c->p.has_status) {
			if (strcmp(v, "active") && strcmp(v, "suspended"))
				return om_reason(why, wl, OM_EHSS_PROFILE, "status= is active or suspended");
			c->p.status = strcmp(v, "active") ? HSS_STATUS_SUSPENDED : HSS_STATUS_ACTIVE;
			c->p.has_status = 1;
		} else if (allow_ind && !strcmp(name, "ind_bits") && !c->has_ind_bits) {
			if (parse_u64(v, OM_IND_BITS_MAX, &u))
				return om_reason(why, wl, OM_EHSS_PROFILE, "ind_bits= is 0..%d", OM_IND_BITS_MAX);
			c->ind_bits = (unsigned)u;
			c->has_ind_bits = 1;
		} else if (allow_keys && !strcmp(name, "k") && !c->k) {
			c->k = v;
		} else if (allow_keys && !strcmp(name, "op") && !c->op) {
			c->op = v;
		} else if (allow_keys && !strcmp(name, "opc") && !c->opc) {
			c->opc = v;
		} else if (allow_keys && !strcmp(name, "amf") && !c->amf) {
			c->amf = v;
		} else {
			return om_reason(why, wl, OM_EHSS_COMMAND, "unknown or repeated word '%.16s='", name);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Run fn inside one durable transaction under the HSS lock. Durable for
 * every command: an add, an import and a change reserve SQNs ahead
 * (hss_store_add, hss_store_reserve), which the AIRs then spend lazily.
 */
static int in_txn(struct hss *h, int (*fn)(struct hss *, struct cmd *, void *), struct cmd *c, void *arg)
{
	pthread_mutex_lock(&h->lock);
	int rc = om_store_begin(h->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = fn(h, c, arg);
	if (rc == 0)
		rc = om_store_commit(h->store);
	om_store_rollback(h->store);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static void profile_words(const struct hss_profile *p, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	if (p->has_apns) {
		o += (size_t)snprintf(out + o, len - o, " apn=");
		for (size_t i = 0; i < p->n_apns && o < len; i++)
			o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", p->apns[i].name);
	}
	if (p->has_ambr && o < len)
		o += (size_t)snprintf(out + o, len - o, " ambr=%llu/%llu", (unsigned long long)p->ambr_ul,
				      (unsigned long long)p->ambr_dl);
	if (p->has_roaming && o < len) {
		if (p->roaming_any) {
			o += (size_t)snprintf(out + o, len - o, " roaming=any");
		} else {
			o += (size_t)snprintf(out + o, len - o, " roaming=");
			for (size_t i = 0; i < p->n_plmns && o < len; i++) {
				char d[8];
				hss_plmn_format(p->plmns[i], d);
				o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", d);
			}
		}
	}
	if (p->has_status && o < len)
		snprintf(out + o, len - o, " status=%s", p->status ? "suspended" : "active");
}

/* K, OPc (from OP if given) and AMF of an add or an import row. Secret in, cleansed by caller. */
struct keys {
	uint8_t k[OM_K_LEN], opc[OM_OPC_LEN], amf[OM_AMF_LEN];
};

static int decode_keys(const char *k, const char *op, const char *opc, const char *amf, struct keys *out,
		       char *why, size_t wl)
{
	uint8_t opb[OM_OP_LEN];
	int rc = 0;
	if (!k || !amf || (!op == !opc))
		return om_reason(why, wl, OM_EHSS_COMMAND, "needs k=, amf= and exactly one of op= or opc=");
	if (om_hex_decode(out->k, sizeof(out->k), k) < 0)
		return om_reason(why, wl, OM_EHSS_KEY, "K is not 32 hex digits");
	if (om_hex_decode(out->amf, sizeof(out->amf), amf) < 0)
		return om_reason(why, wl, OM_EHSS_KEY, "AMF is not 4 hex digits");
	if (opc) {
		if (om_hex_decode(out->opc, sizeof(out->opc), opc) < 0)
			return om_reason(why, wl, OM_EHSS_KEY, "OPc is not 32 hex digits");
		return 0;
	}
	if (om_hex_decode(opb, sizeof(opb), op) < 0)
		rc = om_reason(why, wl, OM_EHSS_KEY, "OP is not 32 hex digits");
	else if (om_milenage_opc(out->opc, out->k, opb) < 0) /* only OPc is stored */
		rc = om_reason(why, wl, OM_ECRYPTO, "OPc derivation failed");
	OPENSSL_cleanse(opb, sizeof(opb));
	return rc;
}

static void profile_defaults(struct hss_profile *p, struct cmd *c)
{
	if (!p->has_ambr) {
		p->ambr_ul = p->ambr_dl = AMBR_DEFAULT;
		p->has_ambr = 1;
	}
	if (!p->has_status)
		p->has_status = 1; /* active */
	if (!c->has_ind_bits)
		c->ind_bits = OM_IND_BITS_DEFAULT;
}

static int do_add(struct hss *h, struct cmd *c, void *arg)
{
	const struct keys *k = arg;
	return hss_store_add(h, c->arg, k->k, k->opc, k->amf, c->ind_bits, &c->p);
}

static int cmd_add(struct hss *h, struct cmd *c, char *why, size_t wl)
{
	struct keys k;
	int rc;
	if (!c->p.has_apns || !c->p.has_roaming)
		return om_reason(why, wl, OM_EHSS_COMMAND, "add needs apn= and roaming=");
	rc = decode_keys(c->k, c->op, c->opc, c->amf, &k, why, wl);
	if (rc == 0) {
		profile_defaults(&c->p, c);
		rc = in_txn(h, do_add, c, &k);
		if (rc == OM_EHSS_EXISTS)
			om_reason(why, wl, rc, "subscriber %s already exists", c->arg);
		else if (rc < 0)
			om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	}
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc == 0) {
		char words[512];
		profile_words(&c->p, words, sizeof(words));
		om_info("sub-add", "imsi=%s ind_bits=%u%s", c->arg, c->ind_bits, words);
	}
	return rc;
}

/* What a committed change tells the serving MME (hss_set_notify). */
struct notice {
	int kind; /* enum hss_notify_kind, or -1: nothing to tell */
	char mme[HSS_HOST_MAX + 1];
	struct hss_subscription sub;
};

/*
 * After the change, in its transaction: a serving MME of a subscriber now
 * suspended, or no longer allowed where it is served, gets a Cancel-Location
 * and is forgotten (TS 29.272 5.2.1.1); one of an active subscriber whose
 * APNs or AMBR changed gets the new profile (5.2.2.1).
 */
static int do_change(struct hss *h, struct cmd *c, void *arg)
{
	struct notice *n = arg;
	struct hss_row r;
	memset(&r, 0, sizeof(r));
	int rc = hss_store_change(h, c->arg, &c->p);
	if (rc == 0)
		rc = hss_store_get(h, c->arg, &r);
	/* this durable commit also moves the SQN mark ahead: the next AIRs commit lazily (docs/hss.md "SQN") */
	if (rc == 0)
		rc = hss_store_reserve(h, &r);
	if (rc == 0 && r.serving_host[0]) {
		int allowed = hss_store_roaming_allowed(h, &r, r.serving_plmn);
		if (allowed < 0) {
			rc = allowed;
		} else if (r.status != HSS_STATUS_ACTIVE || !allowed) {
			n->kind = HSS_NOTIFY_CANCEL_WITHDRAWN;
			rc = hss_store_clear_location(h, c->arg, r.serving_host);
		} else if (c->p.has_apns || c->p.has_ambr) {
			n->kind = HSS_NOTIFY_PROFILE;
			rc = hss_store_subscription(h, &r, &n->sub);
		}
		snprintf(n->mme, sizeof(n->mme), "%s", r.serving_host);
	}
	hss_row_clear(&r);
	return rc;
}

/* A deleted subscriber's serving MME gets a Cancel-Location (SUBSCRIPTION_WITHDRAWAL). */
static int do_delete(struct hss *h, struct cmd *c, void *arg)
{
	struct notice *n = arg;
	struct hss_row r;
	memset(&r, 0, sizeof(r));
	int rc = hss_store_get(h, c->arg, &r);
	if (rc == 0 && r.serving_host[0]) {
		n->kind = HSS_NOTIFY_CANCEL_WITHDRAWN;
		snprintf(n->mme, sizeof(n->mme), "%s", r.serving_host);
	}
	hss_row_clear(&r);
	return rc == 0 ? hss_store_delete(h, c->arg) : rc;
}

static int cmd_change(struct hss *h, const char *verb, struct cmd *c, char *why, size_t wl)
{
	int del = !strcmp(verb, "delete");
	struct notice n = { .kind = -1 };
	if (!del && !c->p.has_apns && !c->p.has_ambr && !c->p.has_roaming && !c->p.has_status)
		return om_reason(why, wl, OM_EHSS_COMMAND, "change needs apn=, ambr=, roaming= or status=");
	int rc = in_txn(h, del ? do_delete : do_change, c, &n);
	if (rc == OM_EHSS_NOT_FOUND)
		return om_reason(why, wl, rc, "no subscriber %s", c->arg);
	if (rc < 0)
		return om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	char words[512];
	profile_words(&c->p, words, sizeof(words));
	om_info(del ? "sub-delete" : "sub-change", "imsi=%s%s%s%s", c->arg, words, n.kind >= 0 ? " serving=" : "",
		n.kind >= 0 ? n.mme : "");
	if (n.kind >= 0 && h->notify)
		h->notify(h->notify_arg, (enum hss_notify_kind)n.kind, c->arg, n.mme, &n.sub);
	return 0;
}

struct show_out {
	struct hss_row r;
	struct hss_subscription s;
	uint8_t plmns[HSS_MAX_PLMNS][3];
	size_t n_plmns;
};

static int do_show(struct hss *h, struct cmd *c, void *arg)
{
	struct show_out *o = arg;
	int rc = hss_store_get(h, c->arg, &o->r);
	OPENSSL_cleanse(o->r.k, sizeof(o->r.k));
	OPENSSL_cleanse(o->r.opc, sizeof(o->r.opc));
	if (rc == 0)
		rc = hss_store_subscription(h, &o->r, &o->s);
	if (rc == 0)
		rc = hss_store_plmns(h, c->arg, o->plmns, HSS_MAX_PLMNS, &o->n_plmns);
	return rc;
}

static int cmd_show(struct hss *h, struct cmd *c, hss_admin_emit emit, void *ctx, char *why, size_t wl)
{
	struct show_out o;
	char line[1024];
	memset(&o, 0, sizeof(o));
	int rc = in_txn(h, do_show, c, &o);
	if (rc == OM_EHSS_NOT_FOUND) {
		rc = om_reason(why, wl, rc, "no subscriber %s", c->arg);
		goto out;
	}
	if (rc < 0) {
		rc = om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
		goto out;
	}
	/* K and OPc are never shown: the row's copies were cleansed on read. */
	char amf[5];
	om_hex_encode(amf, o.r.amf, sizeof(o.r.amf));
	snprintf(line, sizeof(line), "imsi=%s status=%s algorithm=milenage amf=%s ind_bits=%u sqn=%llu seq_reserved=%llu",
		 o.r.imsi, o.r.status ? "suspended" : "active", amf, o.r.ind_bits, (unsigned long long)o.r.sqn,
		 (unsigned long long)o.r.seq_reserved);
	emit(ctx, line);
	struct hss_profile p = { .has_apns = 1, .has_ambr = 1, .has_roaming = 1 };
	p.n_apns = o.s.n_apns;
	memcpy(p.apns, o.s.apns, sizeof(p.apns));
	p.ambr_ul = o.s.ambr_ul;
	p.ambr_dl = o.s.ambr_dl;
	p.roaming_any = o.r.roaming_any;
	p.n_plmns = o.n_plmns;
	memcpy(p.plmns, o.plmns, sizeof(p.plmns));
	profile_words(&p, line, sizeof(line));
	emit(ctx, line + 1);
	if (o.r.serving_since) {
		char d[8];
		hss_plmn_format(o.r.serving_plmn, d);
		int n = snprintf(line, sizeof(line), "serving=%s plmn=%s since=%lld", o.r.serving_host, d,
				 (long long)o.r.serving_since);
		if (o.r.previous_host[0] && n > 0 && (size_t)n < sizeof(line))
			snprintf(line + n, sizeof(line) - (size_t)n, " previous=%s until=%lld", o.r.previous_host,
				 (long long)o.r.previous_until);
	} else {
		snprintf(line, sizeof(line), "serving=none");
	}
	emit(ctx, line);
	/* clone and rollback events (docs/hss.md): counters since the subscriber was added */
	if (o.r.last_event[0])
		snprintf(line, sizeof(line), "events sqn_ahead=%u two_mme=%u last=%s at=%lld", o.r.sqn_ahead_events,
			 o.r.two_mme_events, o.r.last_event, (long long)o.r.last_event_at);
	else
		snprintf(line, sizeof(line), "events sqn_ahead=0 two_mme=0");
	emit(ctx, line);
	rc = 0;
out:
	hss_row_clear(&o.r);
	return rc;
}

/* status: the clone and rollback events of the whole register, then the flagged subscribers. */
#define STATUS_FLAGGED_MAX 100

struct status_out {
	struct hss_events_summary sum;
	hss_admin_emit emit;
	void *ctx;
};

static void emit_flagged(void *arg, const struct hss_row *r)
{
	struct status_out *o = arg;
	char line[160];
	snprintf(line, sizeof(line), "flagged imsi=%s status=%s sqn_ahead=%u two_mme=%u last=%s at=%lld", r->imsi,
		 r->status ? "suspended" : "active", r->sqn_ahead_events, r->two_mme_events, r->last_event,
		 (long long)r->last_event_at);
	o->emit(o->ctx, line);
}

static int do_status(struct hss *h, struct cmd *c, void *arg)
{
	struct status_out *o = arg;
	char line[200];
	(void)c;
	int rc = hss_store_events_summary(h, &o->sum);
	if (rc < 0)
		return rc;
	snprintf(line, sizeof(line),
		 "subscribers=%lld suspended=%lld flagged=%lld sqn_ahead_events=%lld two_mme_events=%lld clone_policy=%s",
		 (long long)o->sum.subscribers, (long long)o->sum.suspended, (long long)o->sum.flagged,
		 (long long)o->sum.sqn_ahead, (long long)o->sum.two_mme,
		 h->cfg.clone_policy == HSS_CLONE_BAR ? "bar" : "report");
	o->emit(o->ctx, line);
	return hss_store_flagged(h, STATUS_FLAGGED_MAX, emit_flagged, o);
}

static int cmd_status(struct hss *h, hss_admin_emit emit, void *ctx, char *why, size_t wl)
{
	struct status_out o = { .emit = emit, .ctx = ctx };
	struct cmd c;
	memset(&c, 0, sizeof(c));
	int rc = in_txn(h, do_status, &c, &o);
	return rc < 0 ? om_reason(why, wl, rc, "storage: %s", om_strerror(rc)) : 0;
}

/*
 * list [after=IMSI]: the subscribers in IMSI order, LIST_MAX at a time; a
 * full page ends with "next after=IMSI", the word to ask the next one with.
 */
#define LIST_MAX 1000

struct list_out {
	hss_admin_emit emit;
	void *ctx;
	size_t n;
	char last[HSS_IMSI_MAX + 1];
};

static void emit_listed(void *arg, const struct hss_row *r)
{
	struct list_out *o = arg;
	char line[160];
	snprintf(line, sizeof(line), "imsi=%s status=%s sqn_ahead=%u two_mme=%u", r->imsi,
		 r->status ? "suspended" : "active", r->sqn_ahead_events, r->two_mme_events);
	o->emit(o->ctx, line);
	snprintf(o->last, sizeof(o->last), "%s", r->imsi);
	o->n++;
}

static int do_list(struct hss *h, struct cmd *c, void *arg)
{
	return hss_store_list(h, c->arg, LIST_MAX, emit_listed, arg);
}

static int cmd_list(struct hss *h, char **w, size_t n, hss_admin_emit emit, void *ctx, char *why, size_t wl)
{
	struct list_out o = { .emit = emit, .ctx = ctx };
	struct cmd c;
	memset(&c, 0, sizeof(c));
	c.arg = "";
	if (n > 2 || (n == 2 && strncmp(w[1], "after=", 6)))
		return om_reason(why, wl, OM_EHSS_COMMAND, "usage: list [after=IMSI]");
	if (n == 2) {
		c.arg = w[1] + 6;
		if (!hss_imsi_valid(c.arg))
			return om_reason(why, wl, OM_EHSS_IMSI, "'%.16s' is not an IMSI (6..15 digits)", c.arg);
	}
	int rc = in_txn(h, do_list, &c, &o);
	if (rc < 0)
		return om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	if (o.n == LIST_MAX) {
		char line[64];
		snprintf(line, sizeof(line), "next after=%s", o.last);
		emit(ctx, line);
	}
	return 0;
}

/* The import: one row of the PCID file per subscriber, all or nothing. */
struct import_ctx {
	FILE *f;
	char *why;
	size_t wl;
	long rows;
};

static int import_row(struct hss *h, struct cmd *c, char *line, long lineno, struct import_ctx *ic)
{
	char *f[4];
	if (om_csv_split(line, f, 4) < 0)
		return om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "line %ld: expected 4 fields imsi,k,opc,amf", lineno);
	if (!hss_imsi_valid(f[0]))
		return om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "line %ld: malformed IMSI", lineno);
	struct keys k;
	char kwhy[128];
	int rc = decode_keys(f[1], NULL, f[2], f[3], &k, kwhy, sizeof(kwhy));
	if (rc < 0)
		rc = om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "line %ld: %s", lineno, kwhy);
	else
		rc = hss_store_add(h, f[0], k.k, k.opc, k.amf, c->ind_bits, &c->p);
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc == OM_EHSS_EXISTS)
		return om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "line %ld: subscriber %s already exists", lineno, f[0]);
	if (rc < 0 && rc != OM_EHSS_IMPORT)
		return om_reason(ic->why, ic->wl, rc, "line %ld: storage: %s", lineno, om_strerror(rc));
	return rc;
}

static int do_import(struct hss *h, struct cmd *c, void *arg)
{
	struct import_ctx *ic = arg;
	char line[IMPORT_LINE_MAX + 2];
	long lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), ic->f)) {
		lineno++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(ic->f))
			rc = om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "line %ld: longer than %d characters", lineno,
				  IMPORT_LINE_MAX);
		if (rc == 0 && len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (rc < 0)
			break;
		if (lineno == 1) {
			if (strcmp(line, "imsi,k,opc,amf"))
				rc = om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "line 1: header is not 'imsi,k,opc,amf'");
			continue;
		}
		rc = import_row(h, c, line, lineno, ic);
		if (rc == 0)
			ic->rows++;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == 0 && ferror(ic->f))
		rc = om_reason(ic->why, ic->wl, OM_EIO, "read error");
	if (rc == 0 && ic->rows == 0)
		rc = om_reason(ic->why, ic->wl, OM_EHSS_IMPORT, "no rows after the header");
	return rc;
}

static int cmd_import(struct hss *h, struct cmd *c, hss_admin_emit emit, void *ctx, char *why, size_t wl)
{
	if (!c->p.has_apns || !c->p.has_roaming)
		return om_reason(why, wl, OM_EHSS_COMMAND, "import needs apn= and roaming=");
	FILE *f = fopen(c->arg, "r");
	if (!f)
		return om_reason(why, wl, OM_EIO, "%.200s: %s", c->arg, strerror(errno));
	profile_defaults(&c->p, c);
	struct import_ctx ic = { .f = f, .why = why, .wl = wl };
	int rc = in_txn(h, do_import, c, &ic);
	fclose(f);
	if (rc < 0)
		return rc;
	char words[512], line[64];
	profile_words(&c->p, words, sizeof(words));
	om_info("sub-import", "file=%s rows=%ld ind_bits=%u%s", c->arg, ic.rows, c->ind_bits, words);
	snprintf(line, sizeof(line), "imported=%ld", ic.rows);
	emit(ctx, line);
	return 0;
}

/* docs/operate.md "Metrics": subscriber changes by command (a DRF's removal is a delete), refusals apart */
static struct om_metric m_prov = OM_COUNTER("openmcim_hss_provisioning_total",
	"Provisioning commands carried out (add, import, change, suspend, resume, delete, show), refused ones as refused",
	"command");

int hss_admin_exec(struct hss *h, char *line, hss_admin_emit emit, void *ctx, char *why, size_t wl)
{
	char *w[MAX_WORDS + 2];
	size_t n = 0;
	struct cmd c;
	int rc;
	memset(&c, 0, sizeof(c));
	for (char *save = NULL, *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_WORDS + 2)
			return om_reason(why, wl, OM_EHSS_COMMAND, "too many words");
		w[n++] = t;
	}
	if (n >= 1 && !strcmp(w[0], "list"))
		return cmd_list(h, w, n, emit, ctx, why, wl);
	if (n >= 1 && !strcmp(w[0], "status"))
		return n == 1 ? cmd_status(h, emit, ctx, why, wl) : om_reason(why, wl, OM_EHSS_COMMAND, "status takes no argument");
	if (n < 2)
		return om_reason(why, wl, OM_EHSS_COMMAND, "expected: <command> <imsi|file> [name=value ...]");
	const char *verb = w[0];
	c.arg = w[1];
	int is_import = !strcmp(verb, "import"), is_add = !strcmp(verb, "add");
	int is_change = !strcmp(verb, "change"), is_simple = !strcmp(verb, "suspend") || !strcmp(verb, "resume") ||
							     !strcmp(verb, "delete") || !strcmp(verb, "show");
	if (!is_import && !is_add && !is_change && !is_simple)
		return om_reason(why, wl, OM_EHSS_COMMAND, "unknown command '%.16s'", verb);
	if (is_simple && n != 2)
		return om_reason(why, wl, OM_EHSS_COMMAND, "%s takes only an IMSI", verb);
	if (!is_import && !hss_imsi_valid(c.arg))
		return om_reason(why, wl, OM_EHSS_IMSI, "'%.16s' is not an IMSI (6..15 digits)", c.arg);
	rc = parse_words(w + 2, n - 2, is_add, is_add || is_import, &c, why, wl);
	if (rc < 0)
		goto out;
	if (is_add) {
		rc = cmd_add(h, &c, why, wl);
	} else if (is_import) {
		rc = cmd_import(h, &c, emit, ctx, why, wl);
	} else if (!strcmp(verb, "show")) {
		rc = cmd_show(h, &c, emit, ctx, why, wl);
	} else {
		if (!strcmp(verb, "suspend") || !strcmp(verb, "resume")) {
			c.p.has_status = 1;
			c.p.status = verb[0] == 's' ? HSS_STATUS_SUSPENDED : HSS_STATUS_ACTIVE;
		}
		rc = cmd_change(h, verb, &c, why, wl);
	}
out:
	om_metric_inc(&m_prov, rc < 0 ? "refused" : verb);
	if (rc < 0)
		om_notice("sub-refused", "command=%s reason=\"%s\"", verb, why);
	/* c pointed into the line, which may hold K or OPc: the caller cleanses the line */
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}
