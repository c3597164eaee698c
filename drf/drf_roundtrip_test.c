/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Round trips in the DRFs' registers (issue 20): one device moves
 * A -> B -> A -> B -> C -> A between three operators' DRFs, so A sees
 * A->B->A and then A->B->C->A, B sees B->A->B. Each move is what the
 * daemons do: a transfer code at the current DRF, the new SHO's signed
 * request, the bootstrap signed by the current SHO (its sequence above every
 * one before and its signature the current SHO's, as the TRE checks), the
 * TRE's signed `active` statement in the completion, and the new DRF's
 * register entry. A device that comes back is a new stay: the history keeps
 * one row per stay, each handover row stays with the stay it was accepted
 * in, and the current stay is the device's. What stays enforced, each tried
 * and refused with its code, every row unchanged: a return while the device
 * is ours, a return with another certificate, with an IMSI whose removal is
 * pending; a code of an earlier stay; the completion of a handover of an
 * earlier stay (with a statement the TRE signed for it); an older copy of
 * the TRE, also at a DRF that learnt the counter only from the device's
 * entry. Runs on SQLite and, as drf_roundtrip_test_pg, on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include <openmcim/bootstrap.h>
#include <openmcim/handover.h>
#include <openmcim/outcome.h>
#include <openmcim/tre.h>

#include "check.h"
#include "drf.h"
#include "drf_int.h"
#include "drf_testkit.h"
#include "pg_cluster.h"
#include "pki_fixture.h"
#include "tre_int.h" /* the device's own signing key signs the statements */

static char tmp[] = "/tmp/drf_roundtrip_test.XXXXXX";
static X509 *enc_cert;
static uint8_t *enc_der, sign_der[TRE_BLOB_MAX], other_sign_der[TRE_BLOB_MAX];
static size_t enc_len, sign_len, other_sign_len;
static EVP_PKEY *tre_key;
static int64_t now;
static uint64_t counter; /* the TRE's state counter: rises with every statement */

struct op {
	const char *id;
	struct pf_sho sho; /* its SHO_SIGNING identity, as the peers know it */
	struct drf *d;
	unsigned next_msin;
};

/* Everything a register keeps, as one string: equal before and after a refusal. */
static char *snapshot(struct drf *d)
{
	static const struct om_store_sql q[] = {
		{ "SELECT group_concat(tre_id || imsi || since || owner || lock_until || sequence || ours || counter"
		  " || stay || length(sign_cert), ';') FROM device",
		  "SELECT string_agg(tre_id || imsi || since || owner || lock_until || sequence || ours || counter"
		  " || stay || length(sign_cert), ';' ORDER BY tre_id) FROM device" },
		{ "SELECT group_concat(id || expires || coalesce(used_by, '-') || coalesce(used_request, '-'), ';')"
		  " FROM transfer_code",
		  "SELECT string_agg(id || '.' || expires || coalesce(used_by, '-') || coalesce(used_request, '-'), ';'"
		  " ORDER BY id) FROM transfer_code" },
		{ "SELECT count(*) || group_concat(request_id || state || sequence || stay || coalesce(completed, '-'), ';')"
		  " FROM handover",
		  "SELECT count(*) || string_agg(request_id || state || sequence || stay || coalesce(CAST(completed AS TEXT),"
		  " '-'), ';' ORDER BY sender, request_id) FROM handover" },
		{ "SELECT count(*) || group_concat(imsi || due || coalesce(done, '-'), ';') FROM removal",
		  "SELECT count(*) || string_agg(imsi || due || coalesce(CAST(done AS TEXT), '-'), ';' ORDER BY imsi)"
		  " FROM removal" },
		{ "SELECT count(*) || group_concat(n || imsi || since || owner || sequence || coalesce(left_at, '-')"
		  " || coalesce(left_to, '-'), ';') FROM stay",
		  "SELECT count(*) || string_agg(n || imsi || since || owner || sequence || coalesce(CAST(left_at AS TEXT),"
		  " '-') || coalesce(left_to, '-'), ';' ORDER BY tre_id, n) FROM stay" },
	};
	char *out = calloc(1, 16384);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct om_stmt *st = NULL;
		CHECK_INT(om_stmt_prepare_sql(d->db, &q[i], &st), 0);
		CHECK_INT(om_stmt_step(st), OM_STORE_ROW);
		const char *t = om_stmt_col_text(st, 0);
		strncat(out, t ? t : "(null)", 16384 - strlen(out) - 2);
		strcat(out, "|");
		om_stmt_finalize(st);
	}
	return out;
}

/* A register entry the DPF would make, refused with code and nothing changed. */
static void add_refused(struct op *o, const char *imsi, const uint8_t *sign, size_t sl, int code, const char *what)
{
	char *before = snapshot(o->d);
	int r = drf_device_add(o->d, TRE_ID, imsi, now, enc_der, enc_len, sign, sl, "owner-1", 1);
	char *after = snapshot(o->d);
	CHECK_MSG(r == code, "%s: got %s, want %s", what, om_errname(r), om_errname(code));
	CHECK_MSG(!strcmp(before, after), "%s: the register changed", what);
	free(before);
	free(after);
}

/* o's DRF refuses the completion (sender, rid, statement) with code and changes nothing. */
static void completion_refused(struct op *o, const char *sender, const char *rid, const uint8_t *st, size_t sl,
			       int code, const char *what)
{
	char *before = snapshot(o->d);
	int r = drf_handover_completed(o->d, sender, rid, st, sl, now);
	char *after = snapshot(o->d);
	CHECK_MSG(r == code, "%s: got %s, want %s", what, om_errname(r), om_errname(code));
	CHECK_MSG(!strcmp(before, after), "%s: the register changed", what);
	free(before);
	free(after);
}

static void count_pending(void *ctx, const struct drf_pending *p)
{
	(void)p;
	(*(unsigned *)ctx)++;
}

static size_t sign_statement(const char *imsi, uint32_t seq, enum om_outcome_kind k, uint64_t ctr,
			     uint8_t out[static OM_OUTCOME_MAX])
{
	struct om_outcome g;
	memset(&g, 0, sizeof(g));
	snprintf(g.tre_id, sizeof(g.tre_id), "%s", TRE_ID);
	snprintf(g.imsi, sizeof(g.imsi), "%s", imsi);
	g.outcome = k;
	memset(g.nonce_b, 0x5b, sizeof(g.nonce_b));
	g.sequence = seq;
	g.counter = ctr;
	g.time = now;
	int n = om_outcome_build(&g, tre_key, out, OM_OUTCOME_MAX);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

/* Accept a handover of the device from `from` to `to` (request rid): its bootstrap's sequence. */
static uint32_t accept(struct op *from, struct op *to, const char *rid, uint32_t last_seq)
{
	char code[DRF_CODE_TEXT_LEN + 1];
	uint8_t *req, *bs = NULL;
	size_t len, bl = 0;
	uint32_t seq = 0;
	struct om_bootstrap b;
	CHECK_INT(drf_transfer_code_issue(from->d, TRE_ID, now, 0, code), 0);
	req = drf_tk_request(enc_cert, &to->sho, to->id, rid, code, now, to->sho.key, &len);
	CHECK_INT(drf_handover(from->d, req, len, now, &bs, &bl, &seq), 0);
	/* what the TRE checks: signed by its current trust root (from), the sequence above its last */
	memset(&b, 0, sizeof(b));
	CHECK_INT(om_bootstrap_verify(bs, bl, from->sho.cert, &b), 0);
	CHECK_MSG(b.sequence == seq && seq > last_seq, "%s->%s: sequence %u after %u", from->id, to->id, seq, last_seq);
	om_bootstrap_free(&b);
	free(req);
	free(bs);
	return seq;
}

/*
 * One whole move: accepted at from, the device active at to with a new IMSI
 * (the TRE signs it), completed at from, entered at to. The new IMSI in imsi.
 */
static uint32_t move(struct op *from, struct op *to, const char *rid, uint32_t last_seq, char imsi[16])
{
	uint8_t st[OM_OUTCOME_MAX];
	uint32_t seq = accept(from, to, rid, last_seq);
	snprintf(imsi, 16, "%s%08u", to->id[4] == 'A' ? "0010200" : to->id[4] == 'B' ? "0010300" : "0010400",
		 to->next_msin++);
	size_t sl = sign_statement(imsi, seq, OM_OUTCOME_ACTIVE, ++counter, st);
	CHECK_INT(drf_handover_completed(from->d, to->id, rid, st, sl, now), 0);
	int r = drf_device_arrive(to->d, TRE_ID, imsi, now, enc_der, enc_len, sign_der, sign_len, "owner-1", seq, counter);
	CHECK_MSG(r == 0, "%s->%s: %s's register refused the device: %s", from->id, to->id, to->id, om_errname(r));
	struct drf_device_status s;
	CHECK_INT(drf_device_status(from->d, TRE_ID, now, &s), 0);
	CHECK_INT(s.ours, 0);
	CHECK_INT(s.codes_unused, 0);
	CHECK_INT(drf_device_status(to->d, TRE_ID, now, &s), 0);
	CHECK_INT(s.ours, 1);
	CHECK(!strcmp(s.imsi, imsi));
	CHECK_INT(s.sequence, seq);
	return seq;
}

struct hist {
	unsigned n;
	struct drf_stay s[8];
};

static void on_stay(void *ctx, const struct drf_stay *s)
{
	struct hist *h = ctx;
	if (h->n < 8)
		h->s[h->n] = *s;
	h->n++;
}

/* The device's stays at o: n of them, each left to left_to[i] but the last when current. */
static void history_is(struct op *o, unsigned n, int current, const char *const *left_to)
{
	struct hist h;
	memset(&h, 0, sizeof(h));
	CHECK_INT(drf_device_history(o->d, TRE_ID, on_stay, &h), (int)n);
	for (unsigned i = 0; i < n && i < 8; i++) {
		CHECK_INT(h.s[i].n, i + 1);
		if (i + 1 < n || !current)
			CHECK_MSG(h.s[i].left && !strcmp(h.s[i].left_to, left_to[i]), "%s: stay %u left to %s, want %s",
				  o->id, i + 1, h.s[i].left_to, left_to[i]);
		else
			CHECK_MSG(!h.s[i].left, "%s: the last stay is not the current one", o->id);
	}
	struct drf_device_status s;
	CHECK_INT(drf_device_status(o->d, TRE_ID, now, &s), 0);
	CHECK_INT(s.stay, n);
	CHECK_INT(s.ours, current);
}

static void op_open(struct op *o, const char *id, EVP_PKEY *key, X509 *cert)
{
	char db[600], name[32], err[256];
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->next_msin = 1;
	if (key) { /* A: the factory's Cert_SHO[0] */
		o->sho.key = key;
		o->sho.cert = cert;
		CHECK_INT(om_cert_encode(cert, OM_ENC_DER, &o->sho.der, &o->sho.der_len), 0);
	} else {
		pf_sho_make(&o->sho, id);
	}
	snprintf(name, sizeof(name), "drf-%c.db", id[4] + 32);
	CHECK_INT(t_store_conf(tmp, name, db, sizeof(db)), 0);
	struct drf_config cfg = { .db_path = db, .sign_key = o->sho.key, .sign_cert = o->sho.cert, .grace_s = 3600 };
	CHECK_INT(drf_open(&o->d, &cfg, err, sizeof(err)), 0);
}

int main(void)
{
	struct drf_tk_device dv;
	struct op a, b, c;
	struct om_tre *tre = NULL;
	char imsi[16], imsi_a1[16], code_old[DRF_CODE_TEXT_LEN + 1];
	uint8_t st[OM_OUTCOME_MAX];

	CHECK(mkdtemp(tmp) != NULL);
	drf_tk_device_make(&dv, tmp, 1); /* Cert_SHO[0] is SHO-A's: the device starts at A */
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/run/devices/" TRE_ID, tmp);
	CHECK_INT(om_tre_open(&tre, dir, 0), 0);
	if (!tre || tre->st.sign_cert.len > sizeof(sign_der))
		return check_done();
	memcpy(sign_der, tre->st.sign_cert.p, tre->st.sign_cert.len);
	sign_len = tre->st.sign_cert.len;
	tre_key = tre->sign_key;
	enc_cert = dv.enc_cert;
	CHECK_INT(om_cert_encode(enc_cert, OM_ENC_DER, &enc_der, &enc_len), 0);
	now = (int64_t)time(NULL);

	op_open(&a, "SHO-A", dv.ro_key, dv.ro_cert);
	op_open(&b, "SHO-B", NULL, NULL);
	op_open(&c, "SHO-C", NULL, NULL);
	if (!a.d || !b.d || !c.d)
		return check_done();
	struct op *ops[] = { &a, &b, &c };
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (i != j)
				CHECK_INT(drf_operator_add(ops[i]->d, ops[j]->id, ops[j]->sho.der, ops[j]->sho.der_len, now), 0);

	/* another TRE_SIGNING certificate with this TRE_id: a second factory run's device */
	{
		struct drf_tk_device dv2;
		struct om_tre *t2 = NULL;
		char d2[600];
		snprintf(d2, sizeof(d2), "%s/second", tmp);
		CHECK_INT(mkdir(d2, 0700), 0);
		drf_tk_device_make(&dv2, d2, 0);
		snprintf(d2, sizeof(d2), "%s/second/run/devices/" TRE_ID, tmp);
		CHECK_INT(om_tre_open(&t2, d2, 0), 0);
		if (t2 && t2->st.sign_cert.len <= sizeof(other_sign_der)) {
			memcpy(other_sign_der, t2->st.sign_cert.p, t2->st.sign_cert.len);
			other_sign_len = t2->st.sign_cert.len;
		}
		om_tre_close(t2);
		drf_tk_device_free(&dv2);
	}
	CHECK(other_sign_len > 0 && (other_sign_len != sign_len || memcmp(other_sign_der, sign_der, sign_len)));

	/* the device is A's: its first stay */
	snprintf(imsi_a1, sizeof(imsi_a1), "001020000000001");
	a.next_msin = 2;
	CHECK_INT(drf_device_add(a.d, TRE_ID, imsi_a1, now, enc_der, enc_len, sign_der, sign_len, "owner-1", 0), 0);
	uint32_t seq = 0;

	/* an unused code of A's first stay, and a handover A accepted for C that never completed
	 * (the device fell back): neither may act on a later stay */
	CHECK_INT(drf_transfer_code_issue(a.d, TRE_ID, now, 0, code_old), 0);
	uint32_t seq_c_stale = accept(&a, &c, "a-to-c-fell-back", seq);
	seq = seq_c_stale;

	/* A -> B */
	now += 10;
	seq = move(&a, &b, "a1-to-b", seq, imsi);
	char imsi_b1[16];
	uint32_t seq_ab1 = seq;
	uint64_t ctr_ab1 = counter;
	snprintf(imsi_b1, sizeof(imsi_b1), "%s", imsi);
	/* refusals at the way back: B's entry at A while the device is still B's would be fine, so
	 * try what is not: another TRE_SIGNING certificate for it, and A's own old IMSI while its
	 * removal is pending */
	add_refused(&a, "001020000000099", other_sign_der, other_sign_len, OM_EDRF_CERT, "return with another Cert_TRE");
	add_refused(&a, imsi_a1, sign_der, sign_len, OM_EDRF_EXISTS, "return on an IMSI being removed");

	/* B -> A: A->B->A */
	now += 10;
	seq = move(&b, &a, "b1-to-a", seq, imsi);
	char imsi_a2[16];
	snprintf(imsi_a2, sizeof(imsi_a2), "%s", imsi);
	const char *a_left[] = { "SHO-B", "SHO-B" };
	history_is(&a, 2, 1, a_left);
	const char *b_left[] = { "SHO-A" };
	history_is(&b, 1, 0, b_left);
	/* the same entry again is a no-op; another while the device is ours is refused */
	CHECK_INT(drf_device_add(a.d, TRE_ID, imsi_a2, now, enc_der, enc_len, sign_der, sign_len, "owner-1", seq), 0);
	add_refused(&a, "001020000000098", sign_der, sign_len, OM_EDRF_EXISTS, "a second entry while ours");

	/* the code of the first stay carries no consent now: it was revoked when the code for the move to B
	 * was issued (one unused code per device, docs/drf.md "Transfer codes"), so it matches nothing */
	{
		uint8_t *req, *bs = (uint8_t *)"x";
		size_t len, bl = 1;
		uint32_t s2 = 7;
		req = drf_tk_request(enc_cert, &b.sho, "SHO-B", "old-code", code_old, now, b.sho.key, &len);
		char *before = snapshot(a.d);
		CHECK_INT(drf_handover(a.d, req, len, now, &bs, &bl, &s2), OM_EDRF_CODE);
		char *after = snapshot(a.d);
		CHECK_MSG(!strcmp(before, after), "old code: the register changed");
		CHECK(bs == NULL && s2 == 0);
		free(before);
		free(after);
		free(req);
	}
	/* the handover for C of the first stay: the TRE's `active` for it, with a counter above every
	 * one seen, still moves nothing (it belongs to the stay that ended) */
	{
		size_t sl = sign_statement("001040000000077", seq_c_stale, OM_OUTCOME_ACTIVE, counter + 100, st);
		completion_refused(&a, "SHO-C", "a-to-c-fell-back", st, sl, OM_EDRF_STATE, "an earlier stay's handover");
	}
	/* B repeats its completion of the first move after the device came back: A has seen a newer
	 * counter since (in the entry), so the old statement is an older TRE's; refused, nothing changes */
	{
		size_t sl = sign_statement(imsi_b1, seq_ab1, OM_OUTCOME_ACTIVE, ctr_ab1, st);
		completion_refused(&a, "SHO-B", "a1-to-b", st, sl, OM_EDRF_COUNTER, "a repeated old completion");
	}
	/* nothing of the first stay is waiting for delivery */
	unsigned pending = 0;
	CHECK_INT(drf_pending_list(a.d, count_pending, &pending), 0);
	CHECK_INT(pending, 0);

	/* A -> B -> C -> A */
	now += 10;
	seq = move(&a, &b, "a2-to-b", seq, imsi);
	const char *b_left2[] = { "SHO-A" };
	history_is(&b, 2, 1, b_left2);
	now += 10;
	seq = move(&b, &c, "b2-to-c", seq, imsi);
	now += 10;
	/* an older copy of the TRE (a counter below the statement that brought the device to C, which C
	 * never saw a completion of) cannot take it back to A */
	{
		uint32_t s_ca = accept(&c, &a, "c1-to-a", seq);
		size_t sl = sign_statement("001020000000050", s_ca, OM_OUTCOME_ACTIVE, counter - 1, st);
		completion_refused(&c, "SHO-A", "c1-to-a", st, sl, OM_EDRF_COUNTER, "an older copy of the TRE");
		/* the genuine statement completes it */
		snprintf(imsi, sizeof(imsi), "001020000000%03u", a.next_msin++);
		sl = sign_statement(imsi, s_ca, OM_OUTCOME_ACTIVE, ++counter, st);
		CHECK_INT(drf_handover_completed(c.d, "SHO-A", "c1-to-a", st, sl, now), 0);
		CHECK_INT(drf_device_arrive(a.d, TRE_ID, imsi, now, enc_der, enc_len, sign_der, sign_len, "owner-1", s_ca,
					    counter),
			  0);
		seq = s_ca;
	}
	const char *a_left3[] = { "SHO-B", "SHO-B" };
	history_is(&a, 3, 1, a_left3);
	const char *c_left[] = { "SHO-A" };
	history_is(&c, 1, 0, c_left);

	/* at A, a handover row per move, each with its stay: the stale one to C and a1 in stay 1, a2 in stay 2 */
	{
		static const struct om_store_sql q = {
			"SELECT group_concat(request_id || ':' || stay || ':' || state, ' ') FROM"
			" (SELECT request_id, stay, state FROM handover ORDER BY accepted, request_id)",
			"SELECT string_agg(request_id || ':' || stay || ':' || state, ' ' ORDER BY accepted, request_id)"
			" FROM handover"
		};
		struct om_stmt *s = NULL;
		CHECK_INT(om_stmt_prepare_sql(a.d->db, &q, &s), 0);
		CHECK_INT(om_stmt_step(s), OM_STORE_ROW);
		const char *got = om_stmt_col_text(s, 0);
		CHECK_MSG(got && !strcmp(got, "a-to-c-fell-back:1:accepted a1-to-b:1:completed a2-to-b:2:completed"),
			  "A's handovers: %s", got ? got : "(none)");
		om_stmt_finalize(s);
	}
	/* the device is A's again, and can move on with a fresh code */
	now += 10;
	(void)accept(&a, &b, "a3-to-b", seq);

	for (int i = 0; i < 3; i++) {
		drf_close(ops[i]->d);
		if (i)
			pf_sho_free(&ops[i]->sho);
	}
	om_pki_free(a.sho.der, a.sho.der_len);
	om_pki_free(enc_der, enc_len);
	om_tre_close(tre);
	drf_tk_device_free(&dv);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK_INT(system(cmd), 0);
	return check_done();
}
