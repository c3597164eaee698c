/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registration of devices by their owner (spec/002 B.2.3.2 step 1), one or
 * thousands in one call. The order makes all-or-nothing cheap: every check
 * that can refuse a row (format, duplicates, chain, OCSP, IMSIs left) runs
 * before anything is written; then one transaction here and one HSS import
 * (itself one transaction) create the rows, and the commit comes last. If
 * the HSS refuses, the transaction is rolled back; if the commit fails
 * after the HSS took the subscribers, they are deleted again.
 *
 * Every row needs the owner claim secret its Cert_TRE commits to (claim.h):
 * TRE_id and Cert_TRE are public, the claim is the buyer's alone. A device
 * another owner registered moves to this one only with a claim of a later
 * generation than the one that registered it: a resale through the
 * manufacturer (docs/decisions.md "Proof of ownership").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/claim.h>
#include <openmcim/pki.h>

#include "admin_call.h"
#include "device_state.h"
#include "drf_link.h"
#include "hss_link.h"
#include "log.h"
#include "metrics.h"
#include "sho_int.h"

/* Per call: what each row is, and what it needs. */
struct reg {
	struct sho *s;
	const struct sho_device_in *devs;
	size_t n;
	struct sho_row_report *rep;
	int *todo;                  /* ROW_NEW or ROW_MOVE: to be checked, then created or moved */
	unsigned *gen;              /* the generation of each row's owner claim */
	struct prev {               /* ROW_MOVE, ROW_RETURN: what it was, for a conditional update */
		char owner_id[SHO_OWNER_ID_MAX + 1];
		unsigned gen;
		char state[SHO_STATE_MAX + 1]; /* ROW_RETURN: the state the table let return */
	} *prev;
	struct sho_checked *chk;
	struct sho_hss_row *hss;    /* secret: cleansed before free */
	char (*imsis)[OM_MCIM_IMSI_MAX + 1];
	size_t n_new;
};

enum { ROW_NEW = 1, ROW_MOVE = 2, ROW_RETURN = 3 };

static void row_refuse(struct sho_row_report *r, int rc, const char *reason)
{
	r->rc = rc;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

struct by_id {
	const char *tre_id;
	size_t row;
};

static int cmp_by_id(const void *a, const void *b)
{
	return strcmp(((const struct by_id *)a)->tre_id, ((const struct by_id *)b)->tre_id);
}

/* The same TRE_id twice in one call refuses every copy. */
static int mark_duplicates(struct reg *g)
{
	struct by_id *v = malloc(g->n * sizeof(*v));
	if (!v)
		return OM_ENOMEM;
	for (size_t i = 0; i < g->n; i++)
		v[i] = (struct by_id){ g->devs[i].tre_id, i };
	qsort(v, g->n, sizeof(*v), cmp_by_id);
	for (size_t i = 1; i < g->n; i++) {
		if (strcmp(v[i].tre_id, v[i - 1].tre_id))
			continue;
		row_refuse(&g->rep[v[i].row], OM_ESHO_DUPLICATE, "TRE_id given twice in this call");
		row_refuse(&g->rep[v[i - 1].row], OM_ESHO_DUPLICATE, "TRE_id given twice in this call");
	}
	free(v);
	return 0;
}

/*
 * The owner claim of row d against the verifier in its Cert_TRE: the
 * generation (1..), or a refusal into r. The certificate's chain is checked
 * later (new rows) or was when it was registered (known rows, whose
 * certificates must be the stored ones): a forged certificate's verifier
 * never lets a row through.
 */
static int claim_generation(const struct sho_device_in *d, struct sho_row_report *r)
{
	uint8_t v[OM_CLAIM_LEN];
	unsigned gens = 0;
	X509 *c = NULL;
	int g = OM_ESHO_CLAIM;
	if (!d->has_claim) {
		row_refuse(r, OM_ESHO_CLAIM, "no owner claim secret (the delivery note's claim_secret)");
		return -1;
	}
	if (om_cert_decode(&c, OM_ENC_DER, d->cert_sign, d->cert_sign_len) < 0 ||
	    om_claim_from_cert(c, v, &gens) < 0)
		row_refuse(r, OM_ESHO_CLAIM, "Cert_TRE carries no owner claim verifier");
	else if ((g = om_claim_check(d->tre_id, d->claim, v, gens)) < 0)
		row_refuse(r, OM_ESHO_CLAIM, "owner claim secret is not this device's");
	X509_free(c);
	return g < 0 ? -1 : g;
}

static int same_blob(struct om_stmt *st, int col, const uint8_t *b, size_t n)
{
	size_t l = 0;
	const void *p = om_stmt_col_blob(st, col, &l);
	return l == n && !memcmp(p, b, n);
}

static void keep_status(void *ctx, const char *line)
{
	snprintf(ctx, 512, "%s", line);
}

/*
 * A device of ours registered again with another current SHO (issue 20: it
 * left us and comes back, A->B->A): our DRF must say it is not ours any
 * more, a completed handover that the TRE signed for. 0 (a return), or a
 * refusal into r. The DRF is asked once per such row, within its deadline.
 */
#define DRF_STATUS_MS 5000
static int left_us(struct sho *s, const char *tre_id, struct sho_row_report *r)
{
	struct om_admin_peer peer = { .path = s->drf_socket, .timeout_ms = DRF_STATUS_MS };
	char cmd[OM_TRE_ID_MAX + 16], line[512] = "", why[256] = "";
	if (!s->drf_socket[0]) {
		row_refuse(r, OM_ESHO_DUPLICATE, "TRE_id already registered with other content (no [drf] admin_socket to "
						 "see whether it left)");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "status %s\n", tre_id);
	int rc = om_admin_peer_call(&peer, cmd, keep_status, line, why, sizeof(why));
	if (rc == 0 && strstr(line, " ours=0 "))
		return 0;
	if (rc == 0 || rc == OM_EDRF_DEVICE)
		row_refuse(r, OM_ESHO_STATE, "registered here with other content and not moved away (our DRF)");
	else
		row_refuse(r, OM_ESHO_DRF, "our DRF did not say whether the device left");
	return -1;
}

/*
 * Rows already in the database: the same content by the same owner is a
 * repeat; the same certificates by another owner with a claim of a later
 * generation are a resale (ROW_MOVE); the same certificates by the same
 * owner with another current SHO, for a device that left us, a return
 * (ROW_RETURN), as is a device that fell back here; anything else is refused.
 */
static int classify(struct reg *g, const char *owner_id)
{
	struct om_stmt *st = g->s->stmt[SHO_SQL_DEV_CLASSIFY];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		const struct sho_device_in *d = &g->devs[i];
		struct sho_row_report *r = &g->rep[i];
		if (r->rc < 0)
			continue;
		if (!sho_id_ok(d->tre_id, OM_TRE_ID_MAX) || !sho_id_ok(d->current_sho, OM_HANDOVER_SHO_ID_MAX) ||
		    !d->cert_sign || !d->cert_sign_len || !d->cert_enc || !d->cert_enc_len) {
			row_refuse(r, OM_ESHO_NOTE, "TRE_id, SHO_id or a certificate missing or malformed");
			continue;
		}
		int gen = claim_generation(d, r);
		if (gen < 0)
			continue;
		g->gen[i] = (unsigned)gen;
		om_stmt_reset(st);
		if ((rc = om_stmt_query(st, OM_BIND(OM_TEXT(d->tre_id)))) < 0)
			break;
		int found = rc == OM_STORE_ROW;
		rc = 0;
		if (!found) {
			g->todo[i] = ROW_NEW;
			continue;
		}
		uint8_t h[32];
		size_t hl = 0;
		const void *hp = om_stmt_col_blob(st, 1, &hl);
		sho_content_hash(d, h);
		int same_owner = !strcmp(om_stmt_col_text(st, 0), owner_id);
		int same_certs = same_blob(st, 4, d->cert_sign, d->cert_sign_len) &&
				 same_blob(st, 5, d->cert_enc, d->cert_enc_len);
		unsigned held = (unsigned)om_stmt_col_int64(st, 3);
		const char *to;
		snprintf(g->prev[i].state, sizeof(g->prev[i].state), "%s", om_stmt_col_text(st, 6));
		int may_return = sho_dev_next(g->prev[i].state, SHO_EV_RETURN, &to) == 0;
		if (same_owner && same_certs && !strcmp(g->prev[i].state, "refused") &&
		    !strcmp(om_stmt_col_text(st, 7), SHO_FELL_BACK_REASON)) {
			/* it fell back and never used our subscription (suspended, being removed): a new one */
			g->todo[i] = ROW_RETURN;
		} else if (same_owner && hl == 32 && !memcmp(hp, h, 32)) {
			r->unchanged = 1;
			snprintf(r->imsi, sizeof(r->imsi), "%s", om_stmt_col_text(st, 2));
		} else if (same_owner && same_certs && strcmp(d->current_sho, g->s->sho_id) && may_return) {
			om_stmt_reset(st); /* no read left open across the DRF's call */
			if (left_us(g->s, d->tre_id, r) == 0)
				g->todo[i] = ROW_RETURN;
		} else if (same_owner || !same_certs) {
			row_refuse(r, OM_ESHO_DUPLICATE, "TRE_id already registered with other content");
		} else if ((unsigned)gen <= held) {
			row_refuse(r, OM_ESHO_CLAIM_OLD, "registered by another owner; a claim of a later owner is needed");
		} else if (!strcmp(om_stmt_col_text(st, 6), "handover_requested")) {
			row_refuse(r, OM_ESHO_STATE, "registered by another owner with a handover request pending");
		} else {
			g->todo[i] = ROW_MOVE;
			snprintf(g->prev[i].owner_id, sizeof(g->prev[i].owner_id), "%s", om_stmt_col_text(st, 0));
			g->prev[i].gen = held;
			snprintf(r->imsi, sizeof(r->imsi), "%s", om_stmt_col_text(st, 2));
		}
	}
	om_stmt_reset(st);
	return rc;
}

static int insert_row(struct reg *g, struct om_stmt *st, size_t i, const char *owner_id, const uint8_t *sealed,
		      size_t sealed_len, const uint8_t mid[static OM_MCIM_MID_LEN])
{
	const struct sho_device_in *d = &g->devs[i];
	uint8_t h[32];
	int64_t now = sho_now();
	int rc;
	sho_content_hash(d, h);
	rc = om_stmt_exec(st, OM_BIND(OM_TEXT(d->tre_id), OM_TEXT(owner_id), OM_TEXT(d->current_sho),
				      OM_BLOB(d->cert_sign, d->cert_sign_len), OM_BLOB(d->cert_enc, d->cert_enc_len),
				      OM_BLOB(h, sizeof(h)), OM_TEXT(g->rep[i].imsi), OM_BLOB(mid, OM_MCIM_MID_LEN),
				      OM_BLOB(sealed, sealed_len), OM_INT(now), OM_INT(g->gen[i]), OM_TEXT(d->model)));
	return rc;
}

/*
 * A resale: the device, its IMSI and its subscription go to owner_id with
 * the later claim; the previous owner's account no longer shows it. Only if
 * the row is still the one classify() saw (same owner, same generation).
 */
static int move_row(struct reg *g, struct om_stmt *st, size_t i, const char *owner_id)
{
	int rc;
	if ((rc = om_stmt_exec(st, OM_BIND(OM_TEXT(g->devs[i].tre_id), OM_TEXT(owner_id), OM_INT(g->gen[i]),
					   OM_INT(sho_now()), OM_TEXT(g->prev[i].owner_id), OM_INT(g->prev[i].gen)))) < 0)
		return rc;
	if (om_store_changes(g->s->store) != 1)
		return OM_ESHO_STATE;
	om_info("device-owner", "tre_id=%s from=%s to=%s claim_generation=%u", g->devs[i].tre_id,
		g->prev[i].owner_id, owner_id, g->gen[i]);
	return 0;
}

/* A return: the row takes its new subscription and is registered again; the previous request is forgotten. */
static int return_row(struct reg *g, size_t i, const char *owner_id, const uint8_t *sealed, size_t sealed_len,
		      const uint8_t mid[static OM_MCIM_MID_LEN])
{
	const struct sho_device_in *d = &g->devs[i];
	uint8_t h[32];
	int rc;
	sho_content_hash(d, h);
	if ((rc = om_stmt_exec(g->s->stmt[SHO_SQL_DEV_RETURN],
			       OM_BIND(OM_TEXT(d->tre_id), OM_TEXT(d->current_sho), OM_BLOB(h, sizeof(h)),
				       OM_TEXT(g->rep[i].imsi), OM_BLOB(mid, OM_MCIM_MID_LEN), OM_BLOB(sealed, sealed_len),
				       OM_INT(sho_now()), OM_TEXT(owner_id), OM_TEXT(g->prev[i].state)))) < 0)
		return rc;
	if (om_store_changes(g->s->store) != 1)
		return OM_ESHO_STATE; /* no longer in the state classify() saw */
	if ((rc = om_stmt_exec(g->s->stmt[SHO_SQL_DEV_MODEL], OM_BIND(OM_TEXT(d->tre_id), OM_TEXT(d->model)))) < 0)
		return rc;
	if ((rc = om_stmt_exec(g->s->stmt[SHO_SQL_HO_DELETE], OM_BIND(OM_TEXT(d->tre_id)))) < 0)
		return rc;
	om_info("device-return", "tre_id=%s from=%s imsi=%s", d->tre_id, d->current_sho, g->rep[i].imsi);
	return 0;
}

/* Inside the open transaction: IMSIs, MCIMs and rows for every new acceptable row; the resold ones moved. */
static int create_rows(struct reg *g, const char *owner_id)
{
	struct om_stmt *st = g->s->stmt[SHO_SQL_DEV_ADD], *mv = g->s->stmt[SHO_SQL_DEV_MOVE];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		uint8_t *sealed = NULL, mid[OM_MCIM_MID_LEN];
		size_t sealed_len = 0;
		if (!g->todo[i] || g->rep[i].rc < 0)
			continue;
		if (g->todo[i] == ROW_MOVE) {
			if ((rc = move_row(g, mv, i, owner_id)) == 0)
				rc = sho_event_add(g->s, g->devs[i].tre_id, owner_id, sho_now(), "transferred", "");
			continue;
		}
		/* new, or back from another operator: a new IMSI and MCIM either way (the old IMSI leaves
		 * our HSS with our DRF's Note Z removal) */
		if ((rc = sho_imsi_take(g->s, g->rep[i].imsi)) < 0)
			break;
		rc = sho_mcim_prepare(g->s, g->rep[i].imsi, g->chk[i].enc, &sealed, &sealed_len, mid, &g->hss[g->n_new]);
		if (rc == 0 && g->todo[i] == ROW_RETURN)
			rc = return_row(g, i, owner_id, sealed, sealed_len, mid);
		else if (rc == 0)
			rc = insert_row(g, st, i, owner_id, sealed, sealed_len, mid);
		if (rc == 0)
			rc = sho_event_add(g->s, g->devs[i].tre_id, owner_id, sho_now(), "registered", g->rep[i].imsi);
		free(sealed);
		if (rc == 0)
			memcpy(g->imsis[g->n_new++], g->rep[i].imsi, OM_MCIM_IMSI_MAX + 1);
	}
	return rc;
}

/*
 * A resale revokes the seller's transfer codes (docs/decisions.md "Resale"):
 * this operator's DRF is told the new owner inside the open transaction, so
 * a DRF that cannot be told fails the registration and nothing moves. A
 * device the DRF does not serve has no code to revoke. The owner sees a
 * generic reason; the DRF's own is in the log.
 */
static int tell_drf(struct reg *g, const char *owner_id, char *why, size_t wl)
{
	if (!g->s->drf_socket[0])
		return 0; /* no DRF configured: its staff's codes are issued by hand (docs/owner.md) */
	for (size_t i = 0; i < g->n; i++) {
		char dwhy[256] = "";
		if (g->todo[i] != ROW_MOVE || g->rep[i].rc < 0)
			continue;
		int rc = sho_drf_owner(g->s->drf_socket, g->devs[i].tre_id, owner_id, dwhy, sizeof(dwhy));
		if (rc == 0 || rc == OM_EDRF_DEVICE)
			continue;
		om_notice("register-drf-owner", "tre_id=%s owner=%s code=%s reason=\"%s\"", g->devs[i].tre_id, owner_id,
			  om_errname(rc), dwhy);
		return om_reason(why, wl, OM_ESHO_DRF, "this operator's DRF could not be told of the new owner");
	}
	return 0;
}

/* Write the new rows and the HSS subscribers, or neither. */
static int commit_new(struct reg *g, const char *owner_id, char *why, size_t wl)
{
	int rc = om_store_begin(g->s->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = create_rows(g, owner_id);
	if (rc == 0)
		rc = tell_drf(g, owner_id, why, wl);
	if (rc == 0 && g->n_new)
		rc = sho_hss_import(g->s->hss_socket, g->hss, g->n_new, g->s->apn, g->s->roaming, g->s->ind_bits, why,
				    wl);
	if (rc < 0) {
		om_store_rollback(g->s->store);
		return rc;
	}
	if ((rc = om_store_commit(g->s->store)) < 0) {
		char dwhy[256];
		if (sho_hss_delete(g->s->hss_socket, (const char(*)[OM_MCIM_IMSI_MAX + 1])g->imsis, g->n_new, dwhy,
				   sizeof(dwhy)) < 0)
			om_error("register-undo-failed", "subscribers=%zu first=%s reason=\"%s\"", g->n_new, g->imsis[0],
				 dwhy);
		om_reason(why, wl, rc, "commit: %s", om_store_errmsg(g->s->store));
	}
	return rc;
}

static void free_reg(struct reg *g)
{
	if (g->hss) {
		OPENSSL_cleanse(g->hss, g->n * sizeof(*g->hss));
		free(g->hss);
	}
	sho_checked_free(g->chk, g->n);
	free(g->chk);
	free(g->todo);
	free(g->gen);
	free(g->prev);
	free(g->imsis);
}

/*
 * After a wait with the caller's lock released: the rows as the database
 * has them now. A row whose standing changed (registered or moved by
 * another call) is refused, unless it now stands unchanged as this call
 * would have left it. The certificates were checked for the rows to create
 * or move before; no row needs a check it did not get.
 */
static int reclassify(struct reg *g, const char *owner_id)
{
	int *before = malloc(g->n * sizeof(*before)), rc;
	if (!before)
		return OM_ENOMEM;
	memcpy(before, g->todo, g->n * sizeof(*before));
	for (size_t i = 0; i < g->n; i++) {
		g->todo[i] = 0;
		g->rep[i].unchanged = 0;
	}
	rc = classify(g, owner_id);
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		if (g->rep[i].rc < 0 || g->todo[i] == before[i] || (!g->todo[i] && g->rep[i].unchanged))
			continue;
		g->todo[i] = 0;
		row_refuse(&g->rep[i], OM_ESHO_STATE, "registered or moved by another call meanwhile");
	}
	free(before);
	return rc;
}

/* docs/operate.md "Metrics" */
static struct om_metric m_rows = OM_COUNTER("openmcim_sho_registered_devices_total",
	"Devices in owners' registrations, by result (new, transferred, unchanged, refused)", "result");
static struct om_metric m_refused = OM_COUNTER("openmcim_sho_registration_refusals_total",
	"Registrations refused as a whole, by error code", "code");

/* secret NULL: the caller authenticated owner_id (sho_register_as) */
static int register_rows(struct sho *s, const char *owner_id, const char *secret, const struct sho_device_in *devs,
			 size_t n, unsigned flags, struct sho_row_report *report, const struct sho_wait *w)
{
	struct reg g = { .s = s, .devs = devs, .n = n };
	char why[256] = "";
	size_t refused = 0, unchanged = 0, fresh = 0, moved = 0;
	uint64_t left = 0;
	int rc;
	if (!s || !devs || n == 0 || n > 1000000)
		return OM_EINVAL;
	g.rep = report ? report : calloc(n, sizeof(*g.rep));
	g.todo = calloc(n, sizeof(*g.todo));
	g.gen = calloc(n, sizeof(*g.gen));
	g.prev = calloc(n, sizeof(*g.prev));
	g.chk = calloc(n, sizeof(*g.chk));
	g.hss = calloc(n, sizeof(*g.hss));
	g.imsis = calloc(n, sizeof(*g.imsis));
	if (!g.rep || !g.todo || !g.gen || !g.prev || !g.chk || !g.hss || !g.imsis) {
		rc = OM_ENOMEM;
		goto out;
	}
	memset(g.rep, 0, n * sizeof(*g.rep));
	for (size_t i = 0; i < n; i++)
		snprintf(g.rep[i].tre_id, sizeof(g.rep[i].tre_id), "%.63s", devs[i].tre_id);
	if ((rc = sho_need_register_config(s, why, sizeof(why))) < 0)
		goto out;
	if (secret && !(flags & SHO_REG_OWNER_VERIFIED) && (rc = sho_owner_check(s, owner_id, secret)) < 0) {
		for (size_t i = 0; i < n; i++)
			row_refuse(&g.rep[i], rc, "owner unknown or wrong secret");
		goto out;
	}
	if ((rc = mark_duplicates(&g)) < 0 || (rc = classify(&g, owner_id)) < 0)
		goto out;
	/* the PVA's OCSP answer with the caller's lock released: a stopped PVA holds this call alone (issue 14) */
	if (w)
		w->release(w->arg);
	rc = sho_certs_check(s, devs, g.todo, n, g.chk, why, sizeof(why));
	if (w)
		w->reacquire(w->arg);
	if (rc < 0 || (w && (rc = reclassify(&g, owner_id)) < 0))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (g.todo[i] && g.chk[i].rc < 0)
			row_refuse(&g.rep[i], g.chk[i].rc, g.chk[i].reason);
		refused += g.rep[i].rc < 0;
		unchanged += g.rep[i].unchanged;
		fresh += (g.todo[i] == ROW_NEW || g.todo[i] == ROW_RETURN) && g.rep[i].rc == 0;
		moved += g.todo[i] == ROW_MOVE && g.rep[i].rc == 0;
	}
	if (refused && !(flags & SHO_REG_PARTIAL)) {
		rc = om_reason(why, sizeof(why), OM_ESHO_REFUSED, "%zu of %zu rows refused", refused, n);
		goto out;
	}
	if ((rc = sho_imsi_left(s, &left)) < 0)
		goto out;
	if (left < fresh) {
		for (size_t i = 0; i < n; i++)
			if ((g.todo[i] == ROW_NEW || g.todo[i] == ROW_RETURN) && g.rep[i].rc == 0)
				row_refuse(&g.rep[i], OM_ESHO_IMSI_RANGE, "IMSI range exhausted");
		rc = om_reason(why, sizeof(why), OM_ESHO_IMSI_RANGE, "%zu new devices, %llu IMSIs left", fresh,
			     (unsigned long long)left);
		goto out;
	}
	if ((fresh || moved) && (rc = commit_new(&g, owner_id, why, sizeof(why))) < 0) {
		for (size_t i = 0; i < n; i++) {
			if (g.todo[i] && g.rep[i].rc == 0) {
				row_refuse(&g.rep[i], rc, why);
				if (g.todo[i] != ROW_MOVE)
					g.rep[i].imsi[0] = '\0';
			}
		}
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		g.rep[i].committed = g.rep[i].rc == 0;
		g.rep[i].transferred = g.rep[i].rc == 0 && g.todo[i] == ROW_MOVE;
	}
out:
	if (rc == 0) {
		om_metric_add(&m_rows, "new", fresh);
		om_metric_add(&m_rows, "transferred", moved);
		om_metric_add(&m_rows, "unchanged", unchanged);
		om_metric_add(&m_rows, "refused", refused);
	} else {
		om_metric_inc_err(&m_refused, rc);
	}
	if (rc == 0)
		om_info("register", "owner=%s rows=%zu new=%zu transferred=%zu unchanged=%zu refused=%zu first_imsi=%s"
			" last_imsi=%s", owner_id, n, fresh, moved, unchanged, refused, g.n_new ? g.imsis[0] : "-",
			g.n_new ? g.imsis[g.n_new - 1] : "-");
	else
		om_notice("register-refused", "owner=%s rows=%zu refused=%zu code=%s reason=\"%s\"",
			  sho_id_ok(owner_id, SHO_OWNER_ID_MAX) ? owner_id : "?", n, refused, om_errname(rc), why);
	free_reg(&g);
	if (!report)
		free(g.rep);
	return rc;
}

int sho_register(struct sho *s, const char *owner_id, const char *secret, const struct sho_device_in *devs, size_t n,
		 unsigned flags, struct sho_row_report *report)
{
	return register_rows(s, owner_id, secret ? secret : "", devs, n, flags, report, NULL);
}

int sho_register_wait(struct sho *s, const char *owner_id, const char *secret, const struct sho_device_in *devs,
		      size_t n, unsigned flags, struct sho_row_report *report, const struct sho_wait *w)
{
	if (!owner_id || !sho_id_ok(owner_id, SHO_OWNER_ID_MAX) || (!secret && !(flags & SHO_REG_OWNER_VERIFIED)) ||
	    (w && (!w->release || !w->reacquire)))
		return OM_EINVAL;
	return register_rows(s, owner_id, secret, devs, n, flags, report, w);
}

int sho_register_as(struct sho *s, const char *owner_id, const struct sho_device_in *devs, size_t n, unsigned flags,
		    struct sho_row_report *report)
{
	if (!owner_id || !sho_id_ok(owner_id, SHO_OWNER_ID_MAX))
		return OM_EINVAL;
	return register_rows(s, owner_id, NULL, devs, n, flags, report, NULL);
}
