/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registration end to end: a factory's delivery note registered in one call
 * into a real HSS (in-process, through its provisioning socket) with the
 * certificates' status from the independent `openssl ocsp` responder; the
 * vectors the HSS then makes authenticate against the K/OPc the TRE opens
 * from its sealed MCIM; and every refusal changes nothing, here or in the HSS.
 */
#include <openmcim/bootstrap.h>
#include <openmcim/handover.h>
#include <openmcim/milenage.h>
#include <openmcim/protect.h>

#include "drf.h"
#include "drf_admin.h"
#include "drf_int.h" /* the test marks the device released in the DRF's register */
#include "factory.h"
#include "hss_link.h"
#include "hss_test_util.h"
#include "log.h"
#include "provision.h"
#include "refusal_kit.h"
#include "s6a.h"        /* OM_S6A_ERROR_UNKNOWN_EPS_SUBSCRIPTION */
#include "s6a_server.h" /* hss_s6a_code_for: the answer the VNO turns into its EMM cause */
#include "sho.h"
#include "sho_testkit.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define CODE "code-1234-1234-abcd" /* a transfer code as the owner types it */

static char dir[] = "/tmp/om-sho-test-XXXXXX";
static char sho_db[600], hss_db[600];
static struct hss *hss;
static struct om_ca *pva, *other_ca;
static X509 *sho_cert;
static EVP_PKEY *sho_key;

/* The SHO's whole database as text, to compare before and after a refusal (SQLite's hex() is encode() on PostgreSQL). */
static char *sho_dump(void)
{
	static const struct om_store_sql q[] = {
		{ "SELECT owner_id, hex(hash) FROM sho_owner ORDER BY owner_id",
		  "SELECT owner_id, upper(encode(hash, 'hex')) FROM sho_owner ORDER BY owner_id" },
		{ "SELECT plmn, next_msin FROM sho_imsi_next ORDER BY plmn", NULL },
		{ "SELECT tre_id, owner_id, imsi, state, reason, hex(sealed_mcim), updated FROM sho_device ORDER BY tre_id",
		  "SELECT tre_id, owner_id, imsi, state, reason, upper(encode(sealed_mcim, 'hex')), updated FROM sho_device"
		  " ORDER BY tre_id" },
		{ "SELECT tre_id, request_id, hex(request) FROM sho_handover ORDER BY tre_id",
		  "SELECT tre_id, request_id, upper(encode(request, 'hex')) FROM sho_handover ORDER BY tre_id" },
	};
	static const int cols[] = { 2, 2, 7, 3 };
	struct om_store *db = NULL;
	char err[256];
	size_t cap = 1 << 22, len = 0;
	char *out = calloc(1, cap);
	if (!out || om_store_open(sho_db, &db, err, sizeof(err)) < 0) {
		CHECK_MSG(0, "sho_dump: %s", err);
		goto out;
	}
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct om_stmt *st = NULL;
		if (om_stmt_prepare_sql(db, &q[i], &st) < 0) {
			CHECK_MSG(0, "sho_dump: %s", om_store_errmsg(db)); /* a lost table would make the comparison vacuous */
			continue;
		}
		while (om_stmt_step(st) == OM_STORE_ROW)
			for (int c = 0; c < cols[i] && len + 1024 < cap; c++)
				len += (size_t)snprintf(out + len, cap - len, "%.900s|", om_stmt_col_text(st, c));
		om_stmt_finalize(st);
	}
out:
	om_store_close(db);
	return out;
}

static long count_rows(const char *db_path, const char *sql)
{
	return (long)t_sql_int(db_path, sql);
}

/* SQL run behind the SHO's back (the SHO closed or between calls), with PostgreSQL's text where it differs. */
static void sho_sql(const char *sqlite, const char *pg)
{
	CHECK_INT(t_sql_exec(sho_db, t_store_is_pg() && pg ? pg : sqlite), 0);
}

/* Both databases as they are now. */
struct snap {
	char *sho, *hss;
};
/*
 * Whether the SHO's database holds needle anywhere: SQLite's file or its
 * write-ahead log, byte for byte; on PostgreSQL every row of every table
 * (the server's files are its own).
 */
static int db_holds(const char *needle)
{
	char path[700];
	int found = 0;
	if (t_store_is_pg()) {
		const char *dbs[] = { sho_db };
		char *all = rk_snapshot(dbs, 1, NULL, 0);
		found = all && strstr(all, needle) != NULL;
		free(all);
		return found;
	}
	for (int i = 0; i < 2; i++) {
		size_t n = 0, k = strlen(needle);
		snprintf(path, sizeof(path), "%s%s", sho_db, i ? "-wal" : "");
		unsigned char *b = check_slurp(path, &n);
		for (size_t j = 0; b && n >= k && j <= n - k && !found; j++)
			found = !memcmp(b + j, needle, k);
		free(b);
	}
	return found;
}

static struct snap snap_take(void)
{
	struct snap s = { sho_dump(), t_dump(hss_db) };
	return s;
}
static int snap_same(struct snap a)
{
	struct snap b = snap_take();
	int same = a.sho && b.sho && a.hss && b.hss && !strcmp(a.sho, b.sho) && !strcmp(a.hss, b.hss);
	free(a.sho);
	free(a.hss);
	free(b.sho);
	free(b.hss);
	return same;
}

static void dev_from_kit(const struct kit_tre *t, struct sho_device_in *d)
{
	kit_device_in(t, "RO", d);
}

/* note[0..n) followed by extra kit devices, in a fresh array. */
static struct sho_device_in *with(const struct sho_device_in *note, size_t n, const struct kit_tre *extra,
				  size_t n_extra)
{
	struct sho_device_in *v = calloc(n + n_extra, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = note[i];
		v[i].cert_sign = malloc(note[i].cert_sign_len);
		v[i].cert_enc = malloc(note[i].cert_enc_len);
		memcpy(v[i].cert_sign, note[i].cert_sign, note[i].cert_sign_len);
		memcpy(v[i].cert_enc, note[i].cert_enc, note[i].cert_enc_len);
	}
	for (size_t i = 0; i < n_extra; i++)
		dev_from_kit(&extra[i], &v[n + i]);
	return v;
}

static const char *drf_sock; /* our DRF's admin socket for open_sho (issue 20), or NULL */

static struct sho *open_sho(const char *ocsp_url, const char *sock, const char *msin_last)
{
	static const uint8_t op[16] = { 0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
					0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18 };
	struct sho_config cfg = {
		.db_path = sho_db, .sho_id = "SHO-B", .mcc = "001", .mnc = "02", .msin_first = "0000000001",
		.msin_last = msin_last, .op = op, .apn = "internet.sho-b", .roaming = "any", .amf = { 0x80, 0x00 },
		.ind_bits = 5, .pva_ca = om_ca_cert(pva), .ocsp_url = ocsp_url, .hss_socket = sock,
		.sign_key = sho_key, .sign_cert = sho_cert, .provurl = "https://dpf.sho-b.lab/dm",
		.server_id = "sho-b-dpf", .dpf_apn = "prov.sho-b", .drf_socket = drf_sock,
	};
	struct sho *s = NULL;
	char why[256] = "";
	int rc = sho_open(&s, &cfg, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "sho_open: %s\n", why);
		exit(1);
	}
	return s;
}

static int imsi_in_hss(const char *imsi);
static int imsi_live(const char *imsi);
static struct snap snap_take(void);
static int snap_same(struct snap a);

/*
 * Requirement A (spec/000 5.2.2.1): a registration is not a live
 * subscription. The HSS refuses its authentication as suspended (S6a 5420
 * unknown EPS subscription, which the VNO rejects with EMM cause #15,
 * TS 29.272 A.1) and nothing changes there; activation is refused before the
 * handover is accepted (no MCIM of ours can be released yet), again with
 * nothing changed.
 */
static void check_not_live(struct sho *s, const struct kit_tre *t, const char *imsi)
{
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 };
	struct om_eutran_vector v;
	char why[256] = "";
	struct snap before = snap_take();
	CHECK_INT(hss_auth_info(hss, imsi, plmn, "mme.test", 1, NULL, &v), HSS_SUSPENDED);
	struct hss_s6a_code c = hss_s6a_code_for(HSS_SUSPENDED);
	CHECK(c.code == OM_S6A_ERROR_UNKNOWN_EPS_SUBSCRIPTION && c.experimental);
	CHECK(snap_same(before));
	before = snap_take();
	CHECK_INT(sho_activate(s, t->tre_id, why, sizeof(why)), OM_ESHO_STATE);
	CHECK(snap_same(before));
	CHECK(imsi_in_hss(imsi) && !imsi_live(imsi));
}

/* The USIM side: K and OPc opened from the sealed MCIM with the TRE's key authenticate the HSS's vector. */
static void check_vector_authenticates(struct sho *s, const struct kit_tre *t, const char *imsi)
{
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 }; /* 002-02 */
	uint8_t *obj = NULL, tlv[OM_MCIM_ENCODED_MAX];
	size_t len = 0;
	struct om_mcim m;
	struct om_eutran_vector v;
	struct om_milenage mil;
	struct om_milenage_out o;
	CHECK_INT(sho_sealed_mcim(s, t->tre_id, &obj, &len), 0);
	int n = om_protect_open(t->enc_key, OM_PROTECT_TAG_MCIM, obj, len, tlv, sizeof(tlv));
	CHECK(n > 0);
	CHECK_INT(om_mcim_decode(&m, tlv, n > 0 ? (size_t)n : 0), 0);
	CHECK(!strcmp(m.imsi, imsi));
	CHECK(!strcmp(m.apn, "internet.sho-b"));
	CHECK_INT(m.mnc_len, 2);
	CHECK(m.present & OM_MCIM_HAS_MID);
	CHECK_INT(hss_auth_info(hss, imsi, plmn, "mme.test", 1, NULL, &v), 1);
	CHECK_INT(om_milenage_init(&mil, m.k, m.opc), 0);
	uint8_t sqn[6], ak_and_sqn[6];
	memcpy(ak_and_sqn, v.autn, 6);
	CHECK_INT(om_milenage_f1_f5(&mil, v.rand, ak_and_sqn, v.autn + 6, &o), 0); /* first for AK */
	for (int i = 0; i < 6; i++)
		sqn[i] = (uint8_t)(ak_and_sqn[i] ^ o.ak[i]);
	CHECK_INT(om_milenage_f1_f5(&mil, v.rand, sqn, v.autn + 6, &o), 0);
	CHECK_MEM(o.res, v.xres, OM_RES_LEN);
	CHECK_MEM(o.mac_a, v.autn + 8, OM_MAC_LEN);
	om_milenage_clear(&mil);
	om_mcim_clear(&m);
	free(obj);
}

static void count_event(void *ctx, const struct sho_event *e)
{
	*(unsigned *)ctx += !strcmp(e->event, "registered");
}

/*
 * A device that left us registered again (issue 20, A->B->A): only when our
 * DRF says it is no longer ours, then with a new IMSI and MCIM. Without a
 * DRF, or while the DRF still serves it, the row is refused and nothing
 * changes; the old IMSI is left to the DRF's Note Z removal.
 */
static void check_return(struct sho **s, const char *url, const char *sock, const struct sho_device_in *dev,
			 const char *old_imsi)
{
	struct sho_row_report rep[1];
	struct sho_device_status st;
	struct drf *d = NULL;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct drf_admin a = { .lock = &lock };
	char db[600], path[600], err[256];
	struct sho_device_in *v = with(dev, 1, NULL, 0);
	snprintf(v[0].current_sho, sizeof(v[0].current_sho), "SHO-C"); /* it comes back from SHO-C */

	struct snap before = snap_take();
	CHECK_INT(sho_register(*s, OWNER, SECRET, v, 1, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[0].rc, OM_ESHO_DUPLICATE); /* no DRF to ask */
	CHECK(snap_same(before));

	CHECK_INT(t_store_conf(dir, "drf.db", db, sizeof(db)), 0);
	struct drf_config dc = { .db_path = db };
	CHECK_INT(drf_open(&d, &dc, err, sizeof(err)), 0);
	if (!d)
		return;
	a.drf = d;
	snprintf(path, sizeof(path), "%s/drf-sock/admin.sock", dir);
	CHECK_MSG(drf_admin_start(&a, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(drf_device_add(d, dev->tre_id, old_imsi, 1, dev->cert_enc, dev->cert_enc_len, NULL, 0, OWNER, 0), 0);
	sho_close(*s);
	drf_sock = path;
	*s = open_sho(url, sock, "0000000020");

	before = snap_take();
	CHECK_INT(sho_register(*s, OWNER, SECRET, v, 1, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[0].rc, OM_ESHO_STATE); /* our DRF still serves it */
	CHECK(snap_same(before));

	/* the device's handover away from us completed at our DRF */
	static const struct om_store_sql rel = { "UPDATE device SET ours = 0 WHERE tre_id = ?1", NULL };
	struct om_stmt *q = NULL;
	CHECK_INT(om_stmt_prepare_sql(d->db, &rel, &q), 0);
	CHECK_INT(om_stmt_exec(q, OM_BIND(OM_TEXT(dev->tre_id))), 0);
	om_stmt_finalize(q);
	CHECK_INT(sho_register(*s, OWNER, SECRET, v, 1, 0, rep), 0);
	CHECK_INT(rep[0].rc, 0);
	CHECK_MSG(rep[0].imsi[0] && strcmp(rep[0].imsi, old_imsi), "return IMSI %s, old %s", rep[0].imsi, old_imsi);
	CHECK(imsi_in_hss(rep[0].imsi));
	CHECK(imsi_in_hss(old_imsi)); /* removed by the DRF after its grace period, not here */
	CHECK_INT(sho_status(*s, dev->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "registered") && !strcmp(st.current_sho, "SHO-C") && !strcmp(st.imsi, rep[0].imsi));
	unsigned regs = 0;
	CHECK_INT(sho_history(*s, OWNER, dev->tre_id, count_event, &regs), 0);
	CHECK_INT(regs, 2);
	/* the same note again: unchanged */
	char new_imsi[16];
	snprintf(new_imsi, sizeof(new_imsi), "%s", rep[0].imsi);
	before = snap_take();
	CHECK_INT(sho_register(*s, OWNER, SECRET, v, 1, 0, rep), 0);
	CHECK_INT(rep[0].unchanged, 1);
	CHECK(!strcmp(rep[0].imsi, new_imsi));
	CHECK(snap_same(before));

	drf_admin_stop(&a);
	drf_close(d);
	drf_sock = NULL; /* path is this function's */
	sho_devices_free(v, 1);
}

/* 1 if the HSS holds imsi, live or not yet (requirement A: registered suspended). */
static int imsi_in_hss(const char *imsi)
{
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 };
	struct om_eutran_vector v;
	int r = hss_auth_info(hss, imsi, plmn, "mme.test", 1, NULL, &v);
	return r == 1 || r == HSS_SUSPENDED;
}

/* 1 if the HSS authenticates imsi (gives a vector): the subscription is live. */
static int imsi_live(const char *imsi)
{
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 };
	struct om_eutran_vector v;
	return hss_auth_info(hss, imsi, plmn, "mme.test", 1, NULL, &v) == 1;
}

/* B.2.3.2 step 2: one request per attempt, same bytes on a retry, the answer recorded. */
static void check_handover(struct sho *s, const struct kit_tre *t)
{
	uint8_t *a = NULL, *b = NULL, *c = NULL;
	size_t al = 0, bl = 0, cl = 0;
	struct om_handover_req r;
	struct sho_device_status st;
	struct om_dm_creds opened;
	struct sho_dm_auth dm;
	uint8_t plain[256];
	CHECK_INT(sho_handover_request(s, OWNER, "wrong secret here", t->tre_id, CODE, &a, &al),
		  OM_ESHO_OWNER_AUTH);
	CHECK_INT(sho_handover_request(s, "fleet-2", "second owner secret", t->tre_id, CODE, &a, &al),
		  OM_ESHO_NOT_FOUND);
	CHECK_INT(sho_handover_request(s, OWNER, SECRET, t->tre_id, CODE, &a, &al), 0);
	CHECK_INT(sho_handover_request(s, OWNER, SECRET, t->tre_id, CODE, &b, &bl), 0);
	CHECK(al == bl && a && b && !memcmp(a, b, al));
	struct snap before = snap_take();
	CHECK_INT(sho_handover_request(s, OWNER, SECRET, t->tre_id, "0THE-RC0D-E000-0000", &c, &cl), OM_ESHO_STATE);
	CHECK(snap_same(before));
	/* a buyer's later claim waits until the pending request is answered: it cannot be retried by anyone else */
	struct sho_device_in *bought = with(NULL, 0, t, 1);
	struct sho_row_report rep;
	CHECK_INT(om_claim_derive(kit_claim_key, t->tre_id, 2, bought->claim), 0);
	before = snap_take();
	CHECK_INT(sho_register(s, "fleet-2", "second owner secret", bought, 1, 0, &rep), OM_ESHO_REFUSED);
	CHECK_INT(rep.rc, OM_ESHO_STATE);
	CHECK(snap_same(before));
	sho_devices_free(bought, 1);
	memset(&r, 0, sizeof(r));
	CHECK_INT(om_handover_verify(a, al, X509_get0_pubkey(sho_cert), &r), 0);
	uint8_t proof[OM_HANDOVER_PROOF_LEN];
	CHECK_INT(om_handover_code_proof(t->tre_id, CODE, proof), 0);
	CHECK(!strcmp(r.tre_id, t->tre_id) && !strcmp(r.new_sho_id, "SHO-B"));
	CHECK_MEM(r.code_proof, proof, sizeof(proof)); /* the proof, never the code */
	CHECK(!check_has_bytes(a, al, CODE, strlen(CODE)) && !check_has_bytes(a, al, "C0DE12341234ABCD", 16));
	CHECK(!strcmp(r.provurl, "https://dpf.sho-b.lab/dm"));
	int n = om_protect_open(t->enc_key, OM_PROTECT_TAG_DM_CREDENTIALS, r.creds, r.creds_len, plain, sizeof(plain));
	CHECK(n > 0);
	CHECK_INT(om_dm_creds_decode(&opened, plain, n > 0 ? (size_t)n : 0), 0);
	CHECK_INT(sho_dm_auth(s, t->tre_id, &dm), 0);
	/* issue 12: the SHO keeps B64(MD5(user:password)), never the password the TRE received */
	char inner[OM_DM_B64_MD5_LEN + 1];
	CHECK_INT(om_dm_md5_inner(opened.username, opened.password, inner), 0);
	CHECK(!strcmp(dm.username, opened.username) && !strcmp(dm.digest, inner));
	CHECK_MEM(dm.nonce_a, opened.nonce_a, OM_NONCE_LEN);
	CHECK_INT(count_rows(sho_db, "SELECT count(*) FROM sho_handover WHERE dm_password != ''"), 0);
	CHECK_MSG(!db_holds(opened.password), "the DM password is in the SHO's database files");
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "handover_requested") && !strcmp(st.request_id, r.request_id));

	/* refused, then a new attempt with a new request id, accepted, provisioned, active */
	CHECK_INT(sho_handover_answer(s, t->tre_id, "not-the-request", 1, NULL), OM_ESHO_STATE);
	CHECK_INT(sho_handover_answer(s, t->tre_id, r.request_id, 0, "transfer code unknown"), 0);
	CHECK_INT(sho_handover_answer(s, t->tre_id, r.request_id, 0, "transfer code unknown"), 0);
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "refused") && !strcmp(st.reason, "transfer code unknown"));
	CHECK_INT(sho_handover_request(s, OWNER, SECRET, t->tre_id, "code-5678-5678-abcd", &c, &cl), 0);
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK(strcmp(st.request_id, r.request_id) != 0);
	CHECK_INT(sho_mark_provisioned(s, t->tre_id), OM_ESHO_STATE);
	/* the device moved by another handle between our read and our write (the owners' API unlocks during
	 * the DRF call, move.c): a trigger on the sequence write moves it inside our transaction, as that
	 * handle would have; OM_ESHO_STATE, no event, no sequence, nothing changed (review) */
	sho_sql("CREATE TRIGGER fixrev_move AFTER UPDATE OF sequence ON sho_handover BEGIN "
		"UPDATE sho_device SET state = 'refused', reason = 'moved' WHERE tre_id = NEW.tre_id; END",
		"CREATE FUNCTION fixrev_move() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		"UPDATE sho_device SET state = 'refused', reason = 'moved' WHERE tre_id = NEW.tre_id; RETURN NEW; END $$; "
		"CREATE TRIGGER fixrev_move AFTER UPDATE OF sequence ON sho_handover "
		"FOR EACH ROW EXECUTE FUNCTION fixrev_move()");
	before = snap_take();
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK_INT(sho_handover_accepted(s, t->tre_id, st.request_id, 1790000000u), OM_ESHO_STATE);
	CHECK(snap_same(before));
	sho_sql("DROP TRIGGER fixrev_move", "DROP TRIGGER fixrev_move ON sho_handover; DROP FUNCTION fixrev_move()");
	/* accepted with the old DRF's bootstrap sequence, kept for our DRF: one commit, only for this request */
	CHECK_INT(sho_handover_accepted(s, t->tre_id, "not-the-request", 1790000000u), OM_ESHO_STATE);
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "handover_requested"));
	CHECK_INT(st.sequence, 0);
	CHECK_INT(sho_handover_accepted(s, t->tre_id, st.request_id, 1790000000u), 0);
	CHECK_INT(sho_handover_answer(s, t->tre_id, st.request_id, 0, "late"), OM_ESHO_STATE);
	CHECK_INT(sho_handover_accepted(s, t->tre_id, st.request_id, 1790000001u), 0); /* a repeat writes nothing */
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "handover_accepted"));
	CHECK_INT(st.sequence, 1790000000u);
	/* the DPF releases the MCIM: the subscription goes live first (requirement A), again a no-op */
	char why[256] = "";
	CHECK(!imsi_live(st.imsi));
	CHECK_MSG(sho_activate(s, t->tre_id, why, sizeof(why)) == 0, "%s", why);
	CHECK_MSG(sho_activate(s, t->tre_id, why, sizeof(why)) == 0, "%s", why);
	check_vector_authenticates(s, t, st.imsi);
	/* the operator suspends it before the install: a retried release does not undo that (review) */
	CHECK_MSG(sho_device_suspend(s, t->tre_id, 1, why, sizeof(why)) == 0, "%s", why);
	CHECK(!imsi_live(st.imsi));
	CHECK_INT(sho_activate(s, t->tre_id, why, sizeof(why)), OM_ESHO_STATE);
	CHECK(!imsi_live(st.imsi));
	CHECK_MSG(sho_device_suspend(s, t->tre_id, 0, why, sizeof(why)) == 0, "%s", why);
	CHECK(imsi_live(st.imsi));
	/* the operator's last word counts: resumed after the suspension, the retried release goes through */
	CHECK_MSG(sho_activate(s, t->tre_id, why, sizeof(why)) == 0, "%s", why);
	CHECK_INT(sho_mark_provisioned(s, t->tre_id), 0);
	CHECK_INT(sho_activate(s, t->tre_id, why, sizeof(why)), OM_ESHO_STATE); /* no release once provisioned */
	CHECK_INT(sho_mark_active(s, t->tre_id), 0);
	CHECK_INT(sho_mark_active(s, t->tre_id), 0);
	CHECK_INT(sho_handover_answer(s, t->tre_id, st.request_id, 1, NULL), 0);
	CHECK_INT(sho_status(s, t->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "active"));
	sho_dm_auth_clear(&dm);
	om_dm_creds_clear(&opened);
	om_handover_free(&r);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	char path[600], why[256], sock[600], url[64];
	EVP_PKEY *pva_key = NULL, *other_key = NULL, *sho_root_key = NULL;
	struct kit_tre good, revoked, unknown, foreign, twin;
	struct sho_device_in *note = NULL;
	struct sho_row_report rep[16];
	om_log_init("sho-test", OM_LOG_ERROR);
	if (!mkdtemp(dir))
		return 1;

	/* the factory: CAs and a production run of 4 devices with its delivery note */
	snprintf(path, sizeof(path), "%s/cas", dir);
	CHECK_INT(om_factory_init_cas(path, "Test PVA", "RO"), 0);
	X509 *pva_cert = NULL, *ro_cert = NULL;
	snprintf(path, sizeof(path), "%s/cas/pva-ca.pem", dir);
	CHECK_INT(om_cert_load(&pva_cert, path), 0);
	snprintf(path, sizeof(path), "%s/cas/pva-ca.key", dir);
	CHECK_INT(om_key_load(&pva_key, path), 0);
	CHECK_INT(om_ca_open(&pva, pva_cert, pva_key), 0);
	snprintf(path, sizeof(path), "%s/cas/ro-signing.pem", dir);
	CHECK_INT(om_cert_load(&ro_cert, path), 0);
	struct om_factory_config fc = { .pva_ca = pva, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = 4, .jobs = 1 };
	snprintf(path, sizeof(path), "%s/run", dir);
	CHECK_INT(om_factory_run(path, &fc, NULL), 0);
	snprintf(path, sizeof(path), "%s/run/owner/delivery-note.csv", dir);
	int n_note = sho_note_read(path, &note, why, sizeof(why));
	CHECK_MSG(n_note == 4, "%d: %s", n_note, why);
	if (n_note != 4)
		return check_done();

	/* devices of our own, whose TRE keys the test holds */
	kit_tre_issue(pva, "TRE-K0000001", &good);
	kit_tre_issue(pva, "TRE-K0000002", &revoked);
	kit_tre_issue(pva, "TRE-K0000003", &unknown);
	kit_tre_issue(pva, "TRE-K0000001", &twin); /* same TRE_id, other keys */
	other_ca = kit_ca("Other PVA", &other_key);
	kit_tre_issue(other_ca, "TRE-K0000004", &foreign);

	/* the SHO's own signing certificate (Cert_SHO[i+1]) */
	struct om_ca *sho_root = kit_ca("SHO-B root", &sho_root_key);
	X509_REQ *csr = NULL;
	struct om_issue iss = { .profile = OM_CERT_SHO_SIGNING, .cn = "SHO-B" };
	CHECK_INT(om_key_generate(&sho_key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_csr_create(&csr, sho_key, "SHO-B", NULL), 0);
	CHECK_INT(om_ca_issue(sho_root, csr, &iss, &sho_cert), 0);
	X509_REQ_free(csr);

	/* the PVA's status list for the independent responder */
	snprintf(path, sizeof(path), "%s/index.txt", dir);
	FILE *f = fopen(path, "w");
	kit_index_note(f, note, n_note, NULL);
	kit_index_line(f, good.sign, 'V');
	kit_index_line(f, good.enc, 'V');
	kit_index_line(f, twin.sign, 'V');
	kit_index_line(f, twin.enc, 'V');
	kit_index_line(f, revoked.sign, 'V');
	kit_index_line(f, revoked.enc, 'R');
	fclose(f);
	pid_t ocsp = kit_ocsp_pva(dir, pva, pva_key, url, sizeof(url));

	/* the SHO's HSS, with its provisioning socket */
	/* SQLite files, or fresh PostgreSQL databases with OM_TEST_STORE=pg (sho_register_test_pg) */
	CHECK_INT(t_store_conf(dir, "hss.db", hss_db, sizeof(hss_db)), 0);
	snprintf(sock, sizeof(sock), "%s/hss-sock/prov.sock", dir);
	struct hss_config hc = { .db_path = hss_db };
	char err[256];
	hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);

	CHECK_INT(t_store_conf(dir, "sho.db", sho_db, sizeof(sho_db)), 0);
	struct sho *s = open_sho(url, sock, "0000000007");
	CHECK_INT(sho_owner_add(s, OWNER, SECRET), 0);
	CHECK_INT(sho_owner_add(s, OWNER, "another secret!"), OM_ESHO_OWNER_EXISTS);
	CHECK_INT(sho_owner_add(s, "fleet-2", "short"), OM_ESHO_NOTE);
	CHECK_INT(sho_owner_add(s, "fleet-2", "second owner secret"), 0);

	CHECK_INT(sho_owner_add(s, "fleet-3", "third owner secret"), 0);
	/* a remembered check (sho/owner.c "Verified owners") answers the same secret of the same owner
	 * against the same stored hash, nothing else */
	CHECK_INT(sho_owner_check(s, "fleet-3", "third owner secret"), 0);
	CHECK_INT(sho_owner_check(s, "fleet-3", "third owner secret"), 0);
	CHECK_INT(sho_owner_check(s, "fleet-3", "third owner secreT"), OM_ESHO_OWNER_AUTH);
	CHECK_INT(sho_owner_check(s, OWNER, "third owner secret"), OM_ESHO_OWNER_AUTH);
	{
		sho_sql("UPDATE sho_owner SET hash = zeroblob(32) WHERE owner_id = 'fleet-3'",
			"UPDATE sho_owner SET hash = decode(repeat('00', 32), 'hex') WHERE owner_id = 'fleet-3'");
		CHECK_INT(sho_owner_check(s, "fleet-3", "third owner secret"), OM_ESHO_OWNER_AUTH);
	}

	struct sho_device_in *v;
	struct snap before;

	/* wrong owner secret: refused, nothing changed */
	v = with(note, 4, &good, 1);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, "wrong secret here", v, 5, 0, rep), OM_ESHO_OWNER_AUTH);
	CHECK_INT(sho_register(s, "nobody", SECRET, v, 5, 0, rep), OM_ESHO_OWNER_AUTH);
	CHECK(snap_same(before));
	sho_devices_free(v, 5);

	/* a revoked encryption certificate refuses its row and, all-or-nothing, the note */
	v = with(note, 4, &revoked, 1);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 5, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[4].rc, OM_ESHO_REVOKED);
	CHECK_INT(rep[0].rc, 0);
	CHECK_INT(rep[0].committed, 0);
	CHECK(snap_same(before));
	CHECK_INT(count_rows(hss_db, "SELECT count(*) FROM subscriber"), 0);
	sho_devices_free(v, 5);

	/* unknown to the PVA, and from another CA: each refused with nothing changed */
	v = with(note, 4, &unknown, 1);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 5, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[4].rc, OM_ESHO_CERT_UNKNOWN);
	CHECK(snap_same(before));
	sho_devices_free(v, 5);
	v = with(note, 4, &foreign, 1);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 5, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[4].rc, OM_EPKI_UNTRUSTED);
	CHECK(snap_same(before));
	sho_devices_free(v, 5);

	/* the same TRE_id twice in one call */
	struct kit_tre two[2] = { good, twin };
	v = with(note, 4, two, 2);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 6, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[4].rc, OM_ESHO_DUPLICATE);
	CHECK_INT(rep[5].rc, OM_ESHO_DUPLICATE);
	CHECK(snap_same(before));
	sho_devices_free(v, 6);

	/* the whole note and one device of ours, in one call */
	v = with(note, 4, &good, 1);
	char imsis[5][16];
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 5, 0, rep), 0);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(rep[i].rc, 0);
		CHECK_INT(rep[i].committed, 1);
		CHECK_INT(rep[i].unchanged, 0);
		snprintf(imsis[i], sizeof(imsis[i]), "%s", rep[i].imsi);
		CHECK(imsi_in_hss(rep[i].imsi));
	}
	CHECK(!strcmp(imsis[0], "001020000000001"));
	CHECK(!strcmp(imsis[4], "001020000000005"));
	check_not_live(s, &good, imsis[4]);
	CHECK_INT(count_rows(sho_db, "SELECT count(*) FROM sho_device"), 5);
	CHECK_INT(count_rows(hss_db, "SELECT count(*) FROM subscriber"), 5);
	struct sho_device_status st;
	CHECK_INT(sho_status(s, "TRE-K0000001", &st), 0);
	CHECK(!strcmp(st.state, "registered") && !strcmp(st.imsi, imsis[4]) && !strcmp(st.current_sho, "RO"));

	/* the same call again: idempotent, same IMSIs, nothing new */
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 5, 0, rep), 0);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(rep[i].unchanged, 1);
		CHECK(!strcmp(rep[i].imsi, imsis[i]));
	}
	CHECK(snap_same(before));
	sho_devices_free(v, 5);

	/* a registered TRE_id with other certificates, or by another owner: duplicate */
	v = with(NULL, 0, &twin, 1);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 1, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[0].rc, OM_ESHO_DUPLICATE);
	sho_devices_free(v, 1);
	v = with(NULL, 0, &good, 1);
	CHECK_INT(sho_register(s, "fleet-2", "second owner secret", v, 1, 0, rep), OM_ESHO_REFUSED);
	CHECK_INT(rep[0].rc, OM_ESHO_CLAIM_OLD); /* the same claim: not a later owner */
	CHECK(snap_same(before));
	sho_devices_free(v, 1);

	/* a Cert_TRE without the owner claim extension (issued before claims) cannot be registered */
	{
		EVP_PKEY *sk = NULL, *ek = NULL;
		X509_REQ *req = NULL;
		struct sho_device_in bare;
		memset(&bare, 0, sizeof(bare));
		snprintf(bare.tre_id, sizeof(bare.tre_id), "TRE-B0000001");
		snprintf(bare.current_sho, sizeof(bare.current_sho), "RO");
		CHECK_INT(om_key_generate(&sk, OM_KEY_EC_P256), 0);
		CHECK_INT(om_key_generate(&ek, OM_KEY_X25519), 0);
		CHECK_INT(om_csr_create(&req, sk, bare.tre_id, ek), 0);
		CHECK_INT(om_ca_issue_tre(pva, req, bare.tre_id, 0, 0, &bare.cert_sign, &bare.cert_sign_len, &bare.cert_enc,
					  &bare.cert_enc_len), 0);
		CHECK_INT(om_claim_derive(kit_claim_key, bare.tre_id, 1, bare.claim), 0);
		bare.has_claim = 1;
		before = snap_take();
		CHECK_INT(sho_register(s, OWNER, SECRET, &bare, 1, 0, rep), OM_ESHO_REFUSED);
		CHECK_INT(rep[0].rc, OM_ESHO_CLAIM);
		CHECK(strstr(rep[0].reason, "no owner claim verifier") != NULL);
		CHECK(snap_same(before));
		om_pki_free(bare.cert_sign, bare.cert_sign_len);
		om_pki_free(bare.cert_enc, bare.cert_enc_len);
		X509_REQ_free(req);
		EVP_PKEY_free(sk);
		EVP_PKEY_free(ek);
	}

	/* a row registered before claims (generation 0) goes to the first genuine claim, IMSI kept */
	{
		sho_sql("UPDATE sho_device SET claim_gen = 0 WHERE tre_id = 'TRE-00000004'", NULL);
		v = with(note + 3, 1, NULL, 0);
		CHECK_INT(sho_register(s, "fleet-2", "second owner secret", v, 1, 0, rep), 0);
		CHECK_INT(rep[0].transferred, 1);
		CHECK(!strcmp(rep[0].imsi, imsis[3]));
		CHECK_INT(sho_status(s, "TRE-00000004", &st), 0);
		CHECK(!strcmp(st.owner_id, "fleet-2") && !strcmp(st.imsi, imsis[3]));
		CHECK_INT(count_rows(hss_db, "SELECT count(*) FROM subscriber"), 5); /* no new subscriber */
		sho_devices_free(v, 1);
	}

	/* 2 IMSIs left in 1..7: three new devices exhaust the range, nothing changes */
	struct kit_tre more[3];
	FILE *idx = fopen(path, "a");
	for (int i = 0; i < 3; i++) {
		char id[32];
		snprintf(id, sizeof(id), "TRE-M000000%d", i);
		kit_tre_issue(pva, id, &more[i]);
		kit_index_line(idx, more[i].sign, 'V');
		kit_index_line(idx, more[i].enc, 'V');
	}
	fclose(idx);
	kit_ocsp_stop(ocsp); /* the responder reads its index at start */
	int port;
	ocsp = kit_ocsp_start(dir, "pva.pem", "pva.key", "pva.pem", &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	sho_close(s);
	s = open_sho(url, sock, "0000000007");
	v = with(NULL, 0, more, 3);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 3, 0, rep), OM_ESHO_IMSI_RANGE);
	CHECK_INT(rep[0].rc, OM_ESHO_IMSI_RANGE);
	CHECK(snap_same(before));

	/* partial mode: the acceptable rows go in, the others are reported */
	struct sho_device_in *pv = with(v, 2, &revoked, 1);
	CHECK_INT(sho_register(s, OWNER, SECRET, pv, 3, SHO_REG_PARTIAL, rep), 0);
	CHECK(rep[0].committed && rep[1].committed && !rep[2].committed);
	CHECK_INT(rep[2].rc, OM_ESHO_REVOKED);
	CHECK(imsi_in_hss("001020000000007"));
	CHECK_INT(sho_status(s, revoked.tre_id, &st), OM_ESHO_NOT_FOUND);
	sho_devices_free(pv, 3);
	sho_devices_free(v, 3);

	/* the HSS refusing (the IMSI is already there) rolls the registration back */
	v = with(NULL, 0, &more[2], 1);
	sho_close(s);
	s = open_sho(url, sock, "0000000009");
	CHECK_INT(t_admin(hss, "add 001020000000008 k=000102030405060708090a0b0c0d0e0f "
			       "opc=000102030405060708090a0b0c0d0e0f amf=8000 apn=x roaming=any"),
		  0);
	before = snap_take();
	CHECK_INT(sho_register(s, OWNER, SECRET, v, 1, 0, rep), OM_ESHO_HSS);
	CHECK(snap_same(before));
	sho_devices_free(v, 1);

	check_handover(s, &good);

	/* the undo's delete reads the HSS's code: already gone counts as deleted, a refusal does not */
	const char gone[2][OM_MCIM_IMSI_MAX + 1] = { "001020000000008", "001020000000998" }, bad[1][OM_MCIM_IMSI_MAX + 1] = {
		"00102x"
	};
	char dwhy[256] = "";
	CHECK_INT(sho_hss_delete(sock, gone, 2, dwhy, sizeof(dwhy)), 0);
	CHECK_INT(t_sql_int(hss_db, "SELECT count(*) FROM subscriber WHERE imsi = '001020000000008'"), 0);
	CHECK_INT(sho_hss_delete(sock, gone, 2, dwhy, sizeof(dwhy)), 0); /* both gone now */
	CHECK_INT(sho_hss_delete(sock, bad, 1, dwhy, sizeof(dwhy)), OM_ESHO_HSS);
	CHECK_MSG(strstr(dwhy, "(OM_EHSS_IMSI)") != NULL, "why: %s", dwhy);

	check_return(&s, url, sock, &note[0], imsis[0]);

	/* a database from before schema 4 kept the DM password: at open it keeps only the digest, and the files lose it */
	sho_close(s);
	char sql[400], inner[OM_DM_B64_MD5_LEN + 1];
	snprintf(sql, sizeof(sql),
		 "UPDATE sho_handover SET dm_password = 'legacy-dm-password-7', dm_digest = NULL WHERE tre_id = '%s'",
		 good.tre_id);
	sho_sql(sql, NULL);
	CHECK(db_holds("legacy-dm-password-7"));
	s = open_sho(url, sock, "0000000020");
	struct sho_dm_auth la;
	CHECK_INT(sho_dm_auth(s, good.tre_id, &la), 0);
	CHECK_INT(om_dm_md5_inner(la.username, "legacy-dm-password-7", inner), 0);
	CHECK(!strcmp(la.digest, inner));
	sho_dm_auth_clear(&la);
	CHECK_INT(count_rows(sho_db, "SELECT count(*) FROM sho_handover WHERE dm_password != ''"), 0);
	CHECK_MSG(!db_holds("legacy-dm-password-7"), "the legacy DM password is still in the SHO's files");

	sho_close(s);
	hss_provision_stop();
	hss_close(hss);
	kit_ocsp_stop(ocsp);
	sho_devices_free(note, (size_t)n_note);
	kit_tre_free(&good);
	kit_tre_free(&revoked);
	kit_tre_free(&unknown);
	kit_tre_free(&foreign);
	kit_tre_free(&twin);
	for (int i = 0; i < 3; i++)
		kit_tre_free(&more[i]);
	om_ca_free(pva);
	om_ca_free(other_ca);
	om_ca_free(sho_root);
	X509_free(pva_cert);
	X509_free(ro_cert);
	X509_free(sho_cert);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(sho_root_key);
	EVP_PKEY_free(sho_key);
	kit_rm_rf(dir);
	return check_done();
}
