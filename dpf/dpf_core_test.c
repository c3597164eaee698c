/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's decisions with real parts: a factory run's TREs registered at
 * the SHO core (its HSS in this process behind the provisioning socket),
 * the PVA's own code (pva_open, the factory's files imported, its HTTP
 * routes served on loopback) answering the SHO's OCSP and the DPF's
 * POST /validate through libcurl. Each device's handover is requested and
 * accepted, its TRE bootstrapped with a bootstrap signed by the RO (the
 * factory's Cert_SHO[0]) carrying the SHO's sealed DM credentials; then
 * om_tre_m2mmobj -> dpf_m2mmobj -> om_tre_install_mcim, and the installed
 * MCIM answers AKA for a vector of the SHO's HSS. Every refusal leaves the
 * SHO's, the DPF's and the HSS's databases byte-identical, and nothing
 * installed in the TRE. A fresh M2MMobj for an unreported release
 * supersedes it; the outcome `active` marks the device active, enters it
 * in SHO-B's DRF register and queues the completion report once. A
 * registration is suspended at the HSS until its MCIM is released, and no
 * MCIM is released while the HSS cannot make it live (requirement A).
 */
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openmcim/handover.h>
#include <openmcim/protect.h>
#include <openmcim/tre.h>

#include "dpf_testkit.h"
#include "log.h"
#include "pva_admin.h"
#include "dpf_int.h" /* dpf_counter_seen */
#include "tre_fixture.h" /* fx_dir_hash */
#include "tre_int.h" /* the test signs forged statements with a TRE's own key: what the DPF checks beyond the signature */

#define OWNER TK_OWNER

static struct tk_parts P;

/* ---- snapshots: a refusal changes nothing anywhere ------------------------ */

static char *db_dump(const char *db_path, const char *const *q, size_t nq)
{
	sqlite3 *db = NULL;
	size_t cap = 1 << 20, len = 0;
	char *out = calloc(1, cap);
	if (!out || sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < nq; i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, q[i], -1, &st, NULL) != SQLITE_OK)
			continue;
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(st) && len + 1024 < cap; c++)
				len += (size_t)snprintf(out + len, cap - len, "%.900s|",
							(const char *)sqlite3_column_text(st, c));
		sqlite3_finalize(st);
	}
out:
	sqlite3_close(db);
	return out;
}

static char *snap(void)
{
	static const char *const qs[] = {
		"SELECT tre_id, imsi, state, reason, updated FROM sho_device ORDER BY tre_id",
		"SELECT tre_id, request_id, hex(nonce_a), answer FROM sho_handover ORDER BY tre_id",
	};
	static const char *const qd[] = { "SELECT hex(nonce_b), tre_id, hex(nonce_a), state, outcome, created, updated "
					   "FROM dpf_release ORDER BY nonce_b",
					   "SELECT request_id, peer, tre_id, state, attempts, due, answer, created, updated,"
					   " hex(statement) FROM dpf_completion ORDER BY request_id",
					   "SELECT * FROM dpf_tre_counter ORDER BY tre_id" };
	char *a = db_dump(P.sho_db, qs, 2), *b = db_dump(P.dpf_db, qd, 3), *c = t_dump(P.hss_db);
	size_t n = strlen(a) + strlen(b) + strlen(c) + 8;
	char *all = malloc(n);
	snprintf(all, n, "%s#%s#%s", a, b, c);
	free(a);
	free(b);
	free(c);
	return all;
}

/* Release rows in state. */
static int releases_in(const char *state)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM dpf_release WHERE state = '%s'", state);
	return (int)t_sql_int(P.dpf_db, sql);
}

static int same_as(char *before)
{
	char *now = snap();
	int same = !strcmp(before, now);
	free(before);
	free(now);
	return same;
}

/* ---- the parts (dpf_testkit.h) ------------------------------------------------ */

static void pva_line(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* ---- a device up to its M2MMobj --------------------------------------------- */

struct device {
	char tre_id[OM_TRE_ID_MAX + 1];
	struct om_tre *tre;
	struct sho_dm_auth creds; /* what the SHO holds for its handover */
};

/* Encrypt DM credentials with nonce_a for the TRE whose encryption certificate is enc_der. */
static void seal_creds(const uint8_t *enc_der, size_t enc_len, const char *user, const uint8_t nonce_a[16],
		       uint8_t **out, size_t *out_len)
{
	X509 *enc = NULL;
	struct om_dm_creds c;
	uint8_t plain[256];
	memset(&c, 0, sizeof(c));
	snprintf(c.username, sizeof(c.username), "%s", user);
	snprintf(c.password, sizeof(c.password), "not-the-sho-password");
	memcpy(c.nonce_a, nonce_a, OM_NONCE_LEN);
	CHECK_INT(om_cert_decode(&enc, OM_ENC_DER, enc_der, enc_len), 0);
	int pl = om_dm_creds_encode(&c, plain, sizeof(plain));
	CHECK(pl > 0);
	*out = malloc(1024);
	int n = om_protect_seal(X509_get0_pubkey(enc), OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_DM_CREDENTIALS,
				plain, pl > 0 ? (size_t)pl : 0, *out, 1024);
	CHECK(n > 0);
	*out_len = n > 0 ? (size_t)n : 0;
	X509_free(enc);
}

/*
 * Open the TRE of run/devices/<tre_id>; when registered, the handover is
 * requested and accepted at the SHO. The TRE is bootstrapped by the RO with
 * the SHO's sealed credentials, or with credentials carrying other_nonce_a
 * (sealed for this TRE) when that is given.
 */
static void device_up(struct device *dv, const char *run, const struct sho_device_in *row,
		      const uint8_t *other_nonce_a, int registered)
{
	struct om_handover_req r;
	uint8_t *creds = NULL;
	size_t cl = 0;
	memset(&r, 0, sizeof(r));
	snprintf(dv->tre_id, sizeof(dv->tre_id), "%s", row->tre_id);
	if (registered) {
		tk_handover_accepted(&P, dv->tre_id, &r);
		CHECK_INT(sho_dm_auth(P.sho, dv->tre_id, &dv->creds), 0);
	}
	if (other_nonce_a)
		seal_creds(row->cert_enc, row->cert_enc_len, dv->tre_id, other_nonce_a, &creds, &cl);
	dv->tre = tk_tre_bootstrapped(&P, run, dv->tre_id, other_nonce_a ? creds : r.creds,
				      other_nonce_a ? cl : r.creds_len);
	free(creds);
	om_handover_free(&r);
}

static void device_down(struct device *dv)
{
	om_tre_close(dv->tre);
	sho_dm_auth_clear(&dv->creds);
}

static int mids_of_sho(struct device *dv)
{
	struct om_tre_mid_info m[4];
	return om_tre_mid_list(dv->tre, "SHO-B", m, 4);
}

/* The device's M2MMobj refused with code, reason containing needle, nothing changed or installed. */
static void refused(struct device *dv, int code, const char *needle)
{
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX];
	char why[256] = "";
	int n = om_tre_m2mmobj(dv->tre, obj, sizeof(obj));
	CHECK(n > 0);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, n > 0 ? (size_t)n : 0, time(NULL), out, sizeof(out), why, sizeof(why)), code);
	CHECK_MSG(strstr(why, needle) != NULL, "%s: reason '%s' lacks '%s'", dv->tre_id, why, needle);
	CHECK(same_as(before));
	CHECK_INT(mids_of_sho(dv), 0);
}

/* As refused(), for a refusal the PVA signed: the owner's view (issue 16) checked and undone first. */
static void refused_owner_told(struct device *dv, int code, const char *needle)
{
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX];
	char why[256] = "";
	struct sho_device_status st0;
	int n = om_tre_m2mmobj(dv->tre, obj, sizeof(obj));
	CHECK(n > 0);
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st0), 0);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, n > 0 ? (size_t)n : 0, time(NULL), out, sizeof(out), why, sizeof(why)), code);
	CHECK_MSG(strstr(why, needle) != NULL, "%s: reason '%s' lacks '%s'", dv->tre_id, why, needle);
	tk_pva_refusal_shown_then_undone(&P, dv->tre_id, &st0, needle);
	CHECK(same_as(before));
	CHECK_INT(mids_of_sho(dv), 0);
}

/* ---- forged outcome statements (issue 12) ------------------------------------- */

/* The fields of the statement dv's TRE would sign at now for its session (read back from a real one). */
static void genuine_fields(struct device *dv, time_t now, struct om_outcome *o)
{
	uint8_t st[OM_OUTCOME_MAX];
	X509 *cert = NULL;
	memset(o, 0, sizeof(*o));
	int n = om_tre_outcome(dv->tre, OM_OUTCOME_ACTIVE, now, st, sizeof(st));
	CHECK_MSG(n > 0, "om_tre_outcome: %s", om_errname(n));
	CHECK_INT(sho_tre_sign_cert(P.sho, dv->tre_id, &cert), 0);
	CHECK_INT(om_outcome_verify(st, n > 0 ? (size_t)n : 0, cert ? X509_get0_pubkey(cert) : NULL, o), 0);
	X509_free(cert);
}

/* dpf_outcome refuses stmt with code, its reason written, and nothing changed in any database or the TRE. */
static void outcome_refused(struct device *dv, const uint8_t *stmt, size_t len, time_t now, int code, const char *what)
{
	char why[256] = "", *before = snap();
	uint8_t tre_before[32], tre_after[32];
	int kind = -1;
	fx_dir_hash(dv->tre->dir, tre_before);
	CHECK_MSG(dpf_outcome(P.dpf, dv->tre_id, stmt, len, now, &kind, why, sizeof(why)) == code, "%s: want %s (%s)",
		  what, om_errname(code), why);
	CHECK_MSG(why[0] != 0 && kind == 0, "%s: no reason", what);
	CHECK_MSG(same_as(before), "%s: a row changed", what);
	fx_dir_hash(dv->tre->dir, tre_after);
	CHECK_MSG(!memcmp(tre_before, tre_after, 32), "%s: the TRE changed", what);
}

/* Sign o with key and have it refused. */
static void forged_refused(struct device *dv, const struct om_outcome *o, EVP_PKEY *key, time_t now, int code,
			   const char *what)
{
	uint8_t st[OM_OUTCOME_MAX];
	int n = om_outcome_build(o, key, st, sizeof(st));
	CHECK_MSG(n > 0, "%s: build", what);
	outcome_refused(dv, st, n > 0 ? (size_t)n : 0, now, code, what);
}

/*
 * The outcome report of issue 12: without the TRE's statement, or with one
 * that is not this TRE's, this release's, this IMSI's or this state's, the
 * DPF records nothing. The statements the TRE would never sign are signed
 * here with its key (tre_int.h) to reach the checks after the signature.
 */
/*
 * Our DRF stopped, then hung (a socket nobody answers): the active outcome
 * is OM_EDPF_UNAVAILABLE within the call's deadline, and nothing moved at
 * the SHO, in the DPF's record, at the HSS or in the DRF register. Then the
 * DRF serves again (as after its restart).
 */
static void drf_unavailable(struct device *dv, const uint8_t *stmt, size_t len, time_t now)
{
	char why[256] = "";
	struct drf_device_status ds;
	drf_admin_stop(&P.drf_admin);
	char *before = snap();
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, stmt, len, now, NULL, why, sizeof(why)), OM_EDPF_UNAVAILABLE);
	CHECK(strstr(why, "DRF") != NULL);
	CHECK(same_as(before));
	CHECK_INT(drf_device_status(P.drf, dv->tre_id, now, &ds), OM_EDRF_DEVICE);

	/* hung: the socket accepts (its backlog) but never answers */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", P.drf_sock);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0);
	P.drf_peer.timeout_ms = 300;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	before = snap();
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, stmt, len, now, NULL, why, sizeof(why)), OM_EDPF_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(same_as(before));
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK_MSG(s >= 0.25 && s < 2.0, "a hung DRF cost %.2f s (deadline 0.3 s)", s);
	close(fd);
	unlink(P.drf_sock);
	P.drf_peer.timeout_ms = 5000;
	CHECK_MSG(drf_admin_start(&P.drf_admin, P.drf_sock, why, sizeof(why)) == 0, "drf admin: %s", why);
}

static void forged_outcomes_are_refused(struct device *dv, struct device *other_dv, time_t now)
{
	struct om_outcome o, g;
	uint8_t st[OM_OUTCOME_MAX];
	EVP_PKEY *stranger = NULL;
	uint64_t seen = 0;
	genuine_fields(dv, now, &g);

	outcome_refused(dv, NULL, 0, now, OM_EDPF_OUTCOME_SIGNATURE, "no statement");
	outcome_refused(dv, (const uint8_t *)"active", 6, now, OM_EDPF_OUTCOME_SIGNATURE, "the unsigned word active");
	CHECK_INT(om_key_generate(&stranger, OM_KEY_EC_P256), 0);
	forged_refused(dv, &g, stranger, now, OM_EDPF_OUTCOME_SIGNATURE, "a key that is no TRE's");
	EVP_PKEY_free(stranger);
	forged_refused(dv, &g, other_dv->tre->sign_key, now, OM_EDPF_OUTCOME_SIGNATURE, "another TRE's key");
	/* a genuine fallback statement relabelled active: the outcome byte is signed */
	o = g;
	o.outcome = OM_OUTCOME_FALLBACK;
	int n = om_outcome_build(&o, dv->tre->sign_key, st, sizeof(st));
	size_t at = 9 + 1 + strlen(o.tre_id) + 1 + strlen(o.imsi);
	CHECK(n > 0 && st[at] == OM_OUTCOME_FALLBACK);
	st[at] = OM_OUTCOME_ACTIVE;
	outcome_refused(dv, st, n > 0 ? (size_t)n : 0, now, OM_EDPF_OUTCOME_SIGNATURE, "fallback relabelled active");
	/* signed by this TRE's key, bound to something else */
	o = g;
	snprintf(o.tre_id, sizeof(o.tre_id), "%s", other_dv->tre_id);
	forged_refused(dv, &o, dv->tre->sign_key, now, OM_EDPF_OUTCOME_TRE, "another TRE_id");
	o = g;
	o.nonce_b[0] ^= 1;
	forged_refused(dv, &o, dv->tre->sign_key, now, OM_EDPF_OUTCOME_NONCE_B, "another nonceB");
	/* issue 18 (threats 1.10): what the TRE signs after blocking a MID at open (tre_provision_test) */
	o = g;
	CHECK_INT(o.n_blocked, 0);
	o.n_blocked = 1;
	forged_refused(dv, &o, dv->tre->sign_key, now, OM_EDPF_TRE_BLOCKED, "a MID blocked");
	o = g;
	o.imsi[strlen(o.imsi) - 1] = o.imsi[strlen(o.imsi) - 1] == '9' ? '8' : '9';
	forged_refused(dv, &o, dv->tre->sign_key, now, OM_EDPF_OUTCOME_IMSI, "another IMSI");
	/* the counter: the M2MMobj of this release showed one; an older state of the TRE shows less */
	CHECK_INT(dpf_counter_seen(P.dpf, dv->tre_id, &seen), 0);
	CHECK(seen > 1 && seen <= g.counter);
	o = g;
	o.counter = seen - 1;
	forged_refused(dv, &o, dv->tre->sign_key, now, OM_EDPF_COUNTER, "a lower counter");
	o.counter = 0;
	forged_refused(dv, &o, dv->tre->sign_key, now, OM_EDPF_COUNTER, "no counter");
}

/* ---- the provisioning of one device, replays and retry ------------------- */

/* cp -a from to (both directories; to must not exist). */
static void copy_dir(const char *from, const char *to)
{
	char cmd[2 * TRE_PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", from, to);
	CHECK_INT(system(cmd), 0);
}

/*
 * An older copy of the TRE directory (taken after the bootstrap, before the
 * M2MMobj) restored once the device has moved on: it opens and works, and
 * it signs an M2MMobj for the same handover; the DPF, which has seen a
 * higher state counter from this TRE, names it and changes nothing.
 */
static void restored_copy_is_noticed(struct device *dv, const char *copy)
{
	uint8_t obj[OM_MOBJ_MAX], junk[OM_MOBJ_MAX];
	char dir[sizeof(dv->tre->dir)], cmd[2 * TRE_PATH_MAX + 64], why[256] = "";
	snprintf(dir, sizeof(dir), "%s", dv->tre->dir);
	om_tre_close(dv->tre);
	dv->tre = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
	copy_dir(copy, dir);
	CHECK_INT(om_tre_open(&dv->tre, dir, 0), 0);
	if (!dv->tre)
		return;
	int n = om_tre_m2mmobj(dv->tre, obj, sizeof(obj));
	CHECK(n > 0);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, n > 0 ? (size_t)n : 0, time(NULL), junk, sizeof(junk), why, sizeof(why)),
		  OM_EDPF_COUNTER);
	CHECK_MSG(strstr(why, "older copy") != NULL, "reason: %s", why);
	CHECK(same_as(before));
}

/*
 * Issue 18 (threats 1.10): a copy of the bootstrapped TRE whose MID file was
 * tampered with blocks that MID at open and says so in the M2MMobj it signs;
 * the DPF refuses to provision it, with its reason, and changes nothing.
 */
static void blocked_tre_is_refused(struct device *dv, time_t now)
{
	uint8_t obj[OM_MOBJ_MAX], junk[OM_MOBJ_MAX];
	char copy[300], cmd[2 * TRE_PATH_MAX + 64], why[256] = "";
	struct om_tre *tre = NULL;
	struct om_tre_status st;
	if ((size_t)snprintf(copy, sizeof(copy), "%s.blocked", dv->tre->dir) >= sizeof(copy)) {
		CHECK_MSG(0, "%s: path too long for the test", dv->tre->dir);
		return;
	}
	copy_dir(dv->tre->dir, copy);
	fx_flip_mid(copy, 40);
	CHECK_INT(om_tre_open(&tre, copy, 0), 0);
	if (!tre)
		return;
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.n_blocked, 1);
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, n > 0 ? (size_t)n : 0, now, junk, sizeof(junk), why, sizeof(why)),
		  OM_EDPF_TRE_BLOCKED);
	CHECK_MSG(strstr(why, "blocked by its integrity check") != NULL, "reason: %s", why);
	CHECK(same_as(before));
	om_tre_close(tre);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
	CHECK_INT(system(cmd), 0);
}

/* Everything of the four stores but what belongs to tre_id and imsi: the same before and after a cleanup. */
static char *others(const char *tre_id, const char *imsi)
{
	char q[8][200];
	const char *qs[2] = { q[0], q[1] }, *qd[3] = { q[2], q[3], q[4] }, *qh[1] = { q[5] }, *qr[2] = { q[6], q[7] };
	snprintf(q[0], sizeof(q[0]), "SELECT tre_id, imsi, state, reason, updated FROM sho_device WHERE tre_id <> '%s'"
		 " ORDER BY tre_id", tre_id);
	snprintf(q[1], sizeof(q[1]), "SELECT seq, tre_id, event, detail FROM sho_event WHERE tre_id <> '%s' ORDER BY seq",
		 tre_id);
	snprintf(q[2], sizeof(q[2]), "SELECT hex(nonce_b), tre_id, state, outcome, updated FROM dpf_release"
		 " WHERE tre_id <> '%s' ORDER BY nonce_b", tre_id);
	snprintf(q[3], sizeof(q[3]), "SELECT request_id, state, attempts, due FROM dpf_completion ORDER BY request_id");
	snprintf(q[4], sizeof(q[4]), "SELECT * FROM dpf_tre_counter WHERE tre_id <> '%s' ORDER BY tre_id", tre_id);
	snprintf(q[5], sizeof(q[5]), "SELECT imsi, status, sqn, seq_reserved FROM subscriber WHERE imsi <> '%s'"
		 " ORDER BY imsi", imsi);
	snprintf(q[6], sizeof(q[6]), "SELECT tre_id, imsi, ours, stay, counter FROM device ORDER BY tre_id");
	snprintf(q[7], sizeof(q[7]), "SELECT imsi, due, done FROM removal WHERE imsi <> '%s' ORDER BY imsi", imsi);
	char *a = db_dump(P.sho_db, qs, 2), *b = db_dump(P.dpf_db, qd, 3), *c = db_dump(P.hss_db, qh, 1),
	     *d = db_dump(P.drf_b_db, qr, 2);
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 8;
	char *all = malloc(n);
	snprintf(all, n, "%s#%s#%s#%s", a, b, c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	return all;
}

static void last_event(void *ctx, const struct sho_event *e)
{
	snprintf(ctx, SHO_EVENT_MAX + 1, "%s", e->event);
}

/* 1 if the HSS holds imsi with status ("active", "suspended"), 0 if it holds it otherwise or not at all. */
static int hss_status_is(const char *imsi, const char *status)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriber WHERE imsi = '%s' AND status = '%s'", imsi, status);
	return (int)t_sql_int(P.hss_db, sql);
}

/* dv's M2MMobj answered, its MCIM installed and reported: provisioned at the SHO, active at the HSS. */
static void provisioned(struct device *dv, time_t now, uint8_t mid[OM_MCIM_MID_LEN], char imsi[OM_MCIM_IMSI_MAX + 1])
{
	uint8_t obj[OM_MOBJ_MAX], mcim[OM_MOBJ_MAX];
	char why[256] = "";
	struct sho_device_status st;
	int n = om_tre_m2mmobj(dv->tre, obj, sizeof(obj));
	CHECK(n > 0);
	/* requirement A: registered suspended, live from the release on */
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st), 0);
	CHECK_INT(hss_status_is(st.imsi, "suspended"), 1);
	int m = dpf_m2mmobj(P.dpf, obj, n > 0 ? (size_t)n : 0, now, mcim, sizeof(mcim), why, sizeof(why));
	CHECK_MSG(m > 0, "dpf_m2mmobj: %d %s", m, why);
	CHECK_INT(hss_status_is(st.imsi, "active"), 1);
	CHECK_INT(om_tre_install_mcim(dv->tre, mcim, m > 0 ? (size_t)m : 0, now, mid), 0);
	CHECK_INT(dpf_install_status(P.dpf, dv->tre_id, DPF_INSTALL_SUCCESS, now), 0);
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "provisioned"));
	snprintf(imsi, OM_MCIM_IMSI_MAX + 1, "%s", st.imsi);
	CHECK_INT(hss_status_is(imsi, "active"), 1);
}

/*
 * Requirement A (spec/000 5.2.2.1): no MCIM leaves before its subscription
 * is live. With the SHO's HSS not answering, the release is a retry for the
 * device (OM_EDPF_UNAVAILABLE), the subscription stays suspended and no row
 * of the SHO, the DPF or the HSS changes, nothing installed; with the HSS
 * back the same device is released (provisioned() then checks it live).
 */
static void release_waits_for_a_live_subscription(struct device *dv)
{
	char err[256] = "";
	struct sho_device_status st;
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st), 0);
	hss_provision_stop();
	refused(dv, OM_EDPF_UNAVAILABLE, "sealed MCIM");
	CHECK_INT(hss_status_is(st.imsi, "suspended"), 1);
	CHECK_MSG(hss_provision_start(P.hss, P.sock, err, sizeof(err)) == 0, "%s", err);
}

/*
 * Issue 20: the device falls back (Note Y) instead of attaching with our
 * MCIM. Our subscription for it is suspended at once, the owner sees the
 * device fell back here, our DRF queues its removal after the grace period;
 * nothing else in the SHO's, the DPF's, the HSS's or the DRF's records
 * changes. A repeat changes nothing; an `active` after it is refused; the
 * device's row is not handed over again with the dead subscription.
 */
/* The DRF queues with its own clock (its admin socket's time(NULL)), which may be a second or so past the test's now. */
#define SKEW 30

static void fallback_cleans_up(struct device *dv, const struct device *served)
{
	time_t now = time(NULL);
	uint8_t mid[OM_MCIM_MID_LEN], fbs[OM_OUTCOME_MAX], act[OM_OUTCOME_MAX];
	char why[256] = "", imsi[OM_MCIM_IMSI_MAX + 1], sql[200], ev[SHO_EVENT_MAX + 1] = "";
	struct sho_device_status st;
	struct om_outcome fb;
	provisioned(dv, now, mid, imsi);
	int due0 = 0, later0 = 0;
	due0 = drf_removals_due(P.drf, now, &later0);

	/* the device's own: activated, the new network out of reach, Note Y's deadline passes, the TRE
	 * falls back and signs `fallback` (and keeps the fields of an `active` for the test below) */
	CHECK_INT(om_tre_activate(dv->tre, mid, now, 5), 0);
	genuine_fields(dv, now, &fb);
	CHECK_INT(om_tre_tick(dv->tre, now + 6), 1);
	int fl = om_tre_outcome(dv->tre, OM_OUTCOME_FALLBACK, now + 6, fbs, sizeof(fbs));
	CHECK_MSG(fl > 0, "fallback statement: %s", om_errname(fl));
	char *before = others(dv->tre_id, imsi);
	CHECK_MSG(dpf_outcome(P.dpf, dv->tre_id, fbs, (size_t)fl, now, NULL, why, sizeof(why)) == 0, "fallback: %s", why);
	char *after = others(dv->tre_id, imsi);
	CHECK_MSG(!strcmp(before, after), "the fallback's cleanup changed another device's records");
	free(before);
	free(after);
	/* the owner sees it fell back here */
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "refused") && !strcmp(st.reason, SHO_FELL_BACK_REASON));
	CHECK_INT(sho_history(P.sho, TK_OWNER, dv->tre_id, last_event, ev), 0);
	CHECK_MSG(!strcmp(ev, "fell_back"), "last event %s", ev);
	/* suspended at once: no vector for it */
	snprintf(sql, sizeof(sql), "SELECT status = 'suspended' FROM subscriber WHERE imsi = '%s'", imsi);
	CHECK_INT(t_sql_int(P.hss_db, sql), 1);
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 };
	struct om_eutran_vector v;
	CHECK(hss_auth_info(P.hss, imsi, plmn, "mme.test", 1, NULL, &v) < 0);
	/* removed after its grace period: queued at our DRF, not due yet */
	int later = 0;
	CHECK_INT(drf_removals_due(P.drf, now, &later), due0);
	CHECK_INT(later, later0 + 1);
	CHECK_INT(drf_removals_due(P.drf, now + DRF_GRACE_DEFAULT + SKEW, &later), due0 + later0 + 1);

	/* the same report again, and an `active` after it: nothing changes */
	before = snap();
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, fbs, (size_t)fl, now, NULL, why, sizeof(why)), 0);
	fb.outcome = OM_OUTCOME_ACTIVE; /* with a counter above the fallback's: past the counter rule, to this one */
	fb.counter += 100;
	int al = om_outcome_build(&fb, dv->tre->sign_key, act, sizeof(act));
	CHECK(al > 0);
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, act, (size_t)al, now, NULL, why, sizeof(why)), OM_EDPF_OUTCOME);
	CHECK(same_as(before));
	/* the DRF never queues the removal of a subscription a device it serves uses (served is active here) */
	CHECK_INT(sho_status(P.sho, served->tre_id, &st), 0);
	before = snap();
	CHECK_INT(drf_fallback_removal(P.drf, served->tre_id, st.imsi, now), OM_EDRF_EXISTS);
	CHECK_INT(drf_removals_due(P.drf, now + DRF_GRACE_DEFAULT + SKEW, &later), due0 + later0 + 1);
	CHECK(same_as(before));
}

#define EVENT_LINE (SHO_EVENT_MAX + SHO_REASON_MAX + 2)

/* The last event as "EVENT DETAIL". */
static void last_detail(void *ctx, const struct sho_event *e)
{
	snprintf(ctx, EVENT_LINE, "%s %s", e->event, e->detail);
}

/*
 * Issue 20: the new operator's HSS is down when the device falls back (its
 * network may be what the device could not reach). The fallback is still
 * recorded and shown to the owner; the suspension waits in our DRF's queue,
 * tried again at its backoff while the HSS does not answer, and once the
 * HSS is back the subscription is suspended (no vector for it), then
 * removed after its grace period.
 */
static void fallback_with_hss_down_is_suspended_later(struct device *dv)
{
	time_t now = time(NULL);
	uint8_t mid[OM_MCIM_MID_LEN], fbs[OM_OUTCOME_MAX];
	char why[256] = "", imsi[OM_MCIM_IMSI_MAX + 1], sql[200], ev[EVENT_LINE] = "", err[256] = "";
	struct sho_device_status st;
	provisioned(dv, now, mid, imsi);
	/* what an earlier case queued is done first, so that only this device's suspension is left to watch */
	CHECK(drf_removals_run(P.drf, NULL, now + SKEW) >= 0);
	int pending0 = drf_suspensions_pending(P.drf);
	CHECK_INT(pending0, 0);
	CHECK_INT(om_tre_activate(dv->tre, mid, now, 5), 0);
	CHECK_INT(om_tre_tick(dv->tre, now + 6), 1);
	int fl = om_tre_outcome(dv->tre, OM_OUTCOME_FALLBACK, now + 6, fbs, sizeof(fbs));
	CHECK_MSG(fl > 0, "fallback statement: %s", om_errname(fl));

	/* the HSS stops: its provisioning socket answers nobody */
	hss_provision_stop();
	CHECK_MSG(dpf_outcome(P.dpf, dv->tre_id, fbs, (size_t)fl, now, NULL, why, sizeof(why)) == 0, "fallback: %s", why);
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st), 0);
	CHECK(!strcmp(st.state, "refused") && !strcmp(st.reason, SHO_FELL_BACK_REASON));
	CHECK_INT(sho_history(P.sho, TK_OWNER, dv->tre_id, last_detail, ev), 0);
	CHECK_MSG(strstr(ev, "fell_back ") == ev && strstr(ev, "suspension queued"), "last event %s", ev);
	CHECK_INT(hss_status_is(imsi, "active"), 1); /* not yet: nobody could tell the HSS */
	CHECK_INT(drf_suspensions_pending(P.drf), 1);
	/* queued at the DRF's now (t0), with the removal at t0 + grace */
	snprintf(sql, sizeof(sql), "SELECT suspend_due FROM removal WHERE imsi = '%s' AND due = suspend_due + %d", imsi,
		 DRF_GRACE_DEFAULT);
	int64_t t0 = t_sql_int(P.drf_b_db, sql);
	CHECK_MSG(t0 >= now && t0 <= now + SKEW, "suspend_due %lld, now %lld", (long long)t0, (long long)now);
	/* the DRF's sweep while the HSS is down: tried, failed, kept with its next attempt at retry_min */
	CHECK_INT(drf_removals_run(P.drf, NULL, t0), 0);
	snprintf(sql, sizeof(sql), "SELECT attempts * 1000000 + (suspend_due - %lld) FROM removal WHERE imsi = '%s'",
		 (long long)t0, imsi);
	CHECK_INT(t_sql_int(P.drf_b_db, sql), 1000000 + DRF_REMOVAL_RETRY_MIN_DEFAULT);
	CHECK_INT(drf_suspensions_pending(P.drf), 1);

	/* the HSS is back: not before the retry is due, then at once */
	CHECK_MSG(hss_provision_start(P.hss, P.sock, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(drf_removals_run(P.drf, NULL, t0 + DRF_REMOVAL_RETRY_MIN_DEFAULT - 1), 0);
	CHECK_INT(hss_status_is(imsi, "active"), 1);
	CHECK_INT(drf_removals_run(P.drf, NULL, t0 + DRF_REMOVAL_RETRY_MIN_DEFAULT), 0);
	CHECK_INT(hss_status_is(imsi, "suspended"), 1);
	CHECK_INT(drf_suspensions_pending(P.drf), 0);
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 };
	struct om_eutran_vector v;
	CHECK(hss_auth_info(P.hss, imsi, plmn, "mme.test", 1, NULL, &v) < 0);
	/* removed after its grace period, not before (device 6's, queued a little earlier, may go first) */
	CHECK(drf_removals_run(P.drf, NULL, t0 + DRF_GRACE_DEFAULT - 1) >= 0);
	CHECK_INT(hss_status_is(imsi, "suspended"), 1);
	CHECK(drf_removals_run(P.drf, NULL, t0 + DRF_GRACE_DEFAULT) >= 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriber WHERE imsi = '%s'", imsi);
	CHECK_INT(t_sql_int(P.hss_db, sql), 0);
}

/* ---- the calls the DPF makes to the SHO (issue 14) ------------------------------------- */

/* A socket in front of the SHO's internal one that counts the lines it passes on. */
static _Atomic int sho_calls;
static int counting_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	sho_calls++;
	return sho_internal_exec(arg, line, emit, ctx, why, why_len);
}

static struct om_admin_socket *counting;
static const char *counted_path;

/* From now on the DPF asks the SHO through the counting socket; returns the count so far. */
static int count_sho_calls(void)
{
	static struct om_admin_socket_opts o = { .what = "counting", .log_prefix = "counting", .exec = counting_exec };
	static char path[800];
	char err[256];
	if (!counting) {
		o.arg = &P.sho_internal;
		snprintf(path, sizeof(path), "%s/counting/sho.sock", P.dir);
		CHECK_MSG(om_admin_socket_start(&counting, &o, path, err, sizeof(err)) == 0, "%s", err);
		counted_path = P.sho_peer.path;
		P.sho_peer.path = path;
	}
	return sho_calls;
}

static void count_sho_calls_stop(void)
{
	if (counting) {
		P.sho_peer.path = counted_path;
		om_admin_socket_stop(counting);
		counting = NULL;
	}
}

static void provision_good(struct device *dv, struct device *other_dv)
{
	uint8_t obj1[OM_MOBJ_MAX], obj2[OM_MOBJ_MAX], obj3[OM_MOBJ_MAX], forged[OM_MOBJ_MAX];
	uint8_t mcim1[OM_MOBJ_MAX], mcim3[OM_MOBJ_MAX], junk[OM_MOBJ_MAX], mid[OM_MCIM_MID_LEN];
	char why[256] = "";
	char *before, copy[TRE_PATH_MAX + 8];
	time_t now = time(NULL);

	/* the TRE as it is now, bootstrapped: kept aside for restored_copy_is_noticed */
	snprintf(copy, sizeof(copy), "%s.copy", dv->tre->dir);
	copy_dir(dv->tre->dir, copy);

	/* an M2MMobj for this TRE_id and handover, signed by another TRE's key */
	struct om_tre_info info;
	uint8_t nb[OM_NONCE_LEN];
	EVP_PKEY *other = NULL;
	CHECK_INT(om_key_generate(&other, OM_KEY_EC_P256), 0);
	CHECK_INT(om_tre_get_info(dv->tre, &info), 0);
	memset(nb, 0x42, sizeof(nb));
	int fl = om_m2mmobj_build(&info, dv->creds.nonce_a, nb, other, forged, sizeof(forged));
	CHECK(fl > 0);
	before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, forged, fl > 0 ? (size_t)fl : 0, now, junk, sizeof(junk), why, sizeof(why)),
		  OM_EDPF_SIGNATURE);
	CHECK(same_as(before));
	EVP_PKEY_free(other);
	CHECK_INT(dpf_m2mmobj(P.dpf, forged, 3, now, junk, sizeof(junk), why, sizeof(why)), OM_EDPF_MALFORMED);
	blocked_tre_is_refused(dv, now);

	/* the genuine one: released */
	int n1 = om_tre_m2mmobj(dv->tre, obj1, sizeof(obj1));
	CHECK(n1 > 0);
	/* first with the SHO stopped: retryable (DM 500), nothing released, nothing changed anywhere */
	char why_sho[256] = "";
	sho_internal_stop(&P.sho_internal);
	before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj1, (size_t)n1, now, junk, sizeof(junk), why_sho, sizeof(why_sho)),
		  OM_EDPF_UNAVAILABLE);
	CHECK(same_as(before));
	CHECK_MSG(sho_internal_start(&P.sho_internal, P.sho_srv, P.sho_sock, why_sho, sizeof(why_sho)) == 0, "%s",
		  why_sho);
	int m1 = dpf_m2mmobj(P.dpf, obj1, (size_t)n1, now, mcim1, sizeof(mcim1), why, sizeof(why));
	CHECK_MSG(m1 > 0, "dpf_m2mmobj: %d %s", m1, why);

	/* the same M2MMobj again: same nonceB */
	before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj1, (size_t)n1, now, junk, sizeof(junk), why, sizeof(why)),
		  OM_EDPF_REPLAY_NONCE_B);
	CHECK(same_as(before));

	/* a fresh nonceB for the same nonceA while the release is unreported (the device was killed, or its
	 * answer lost): released anew, the first release superseded */
	int n2 = om_tre_m2mmobj(dv->tre, obj2, sizeof(obj2));
	CHECK(n2 > 0);
	int m2 = dpf_m2mmobj(P.dpf, obj2, (size_t)n2, now, junk, sizeof(junk), why, sizeof(why));
	CHECK_MSG(m2 > 0, "supersede: %d %s", m2, why);
	CHECK_INT(releases_in("superseded"), 1);
	CHECK_INT(releases_in("released"), 1);
	before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj2, (size_t)n2, now, junk, sizeof(junk), why, sizeof(why)),
		  OM_EDPF_REPLAY_NONCE_B);
	CHECK(same_as(before));

	/* the TRE now expects obj2's nonceB: the first MCIM fails to install, the device reports it */
	CHECK(m1 > 0 && om_tre_install_mcim(dv->tre, mcim1, m1 > 0 ? (size_t)m1 : 0, now, mid) < 0);
	CHECK_INT(mids_of_sho(dv), 0);
	CHECK_INT(dpf_install_status(P.dpf, dv->tre_id, DPF_INSTALL_FAILURE, now), 0);
	CHECK_INT(releases_in("failed"), 1);
	CHECK_INT(dpf_install_status(P.dpf, dv->tre_id, DPF_INSTALL_FAILURE, now), 0);
	CHECK(!strcmp(tk_state_of(&P, dv->tre_id), "handover_accepted"));

	/* the retry: released, installed, reported */
	int n3 = om_tre_m2mmobj(dv->tre, obj3, sizeof(obj3));
	CHECK(n3 > 0);
	/* issue 14: package 3 asks the SHO twice: the device (record, Cert_TREs and nonceA), sealed-mcim (four
	 * before: status, tre-sign-cert and dm-auth were three calls) */
	int calls = count_sho_calls();
	int m3 = dpf_m2mmobj(P.dpf, obj3, n3 > 0 ? (size_t)n3 : 0, now + 1, mcim3, sizeof(mcim3), why, sizeof(why));
	CHECK_MSG(m3 > 0, "retry: %d %s", m3, why);
	CHECK_MSG(sho_calls - calls == 2, "package 3: %d calls to the SHO", sho_calls - calls);
	count_sho_calls_stop();
	CHECK_INT(om_tre_install_mcim(dv->tre, mcim3, m3 > 0 ? (size_t)m3 : 0, now, mid), 0);
	CHECK_INT(mids_of_sho(dv), 1);
	CHECK_INT(dpf_install_status(P.dpf, dv->tre_id, DPF_INSTALL_SUCCESS, now + 2), 0);
	CHECK(!strcmp(tk_state_of(&P, dv->tre_id), "provisioned"));
	CHECK_INT(dpf_install_status(P.dpf, dv->tre_id, DPF_INSTALL_SUCCESS, now + 2), 0);
	CHECK_INT(dpf_install_status(P.dpf, dv->tre_id, DPF_INSTALL_FAILURE, now + 2), OM_EDPF_NOT_RELEASED);

	/* after the release: every M2MMobj of this handover is refused */
	before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj3, (size_t)n3, now, junk, sizeof(junk), why, sizeof(why)), OM_EDPF_STATE);
	CHECK_INT(dpf_m2mmobj(P.dpf, obj2, (size_t)n2, now, junk, sizeof(junk), why, sizeof(why)), OM_EDPF_STATE);
	CHECK(same_as(before));

	/* the MCIM answers AKA for a vector of the SHO's HSS */
	static const uint8_t plmn[3] = { 0x00, 0xf2, 0x20 }; /* 002-02 */
	struct sho_device_status st;
	struct om_eutran_vector v;
	struct om_usim_out o;
	struct om_tre_mid_info act;
	CHECK_INT(sho_status(P.sho, dv->tre_id, &st), 0);
	CHECK_INT(om_tre_activate(dv->tre, mid, now, 0), 0);
	CHECK_INT(om_tre_active(dv->tre, &act), 0);
	CHECK(!strcmp(act.imsi, st.imsi));
	CHECK_INT(hss_auth_info(P.hss, st.imsi, plmn, "mme.test", 1, NULL, &v), 1);
	CHECK_INT(om_tre_aka(dv->tre, v.rand, v.autn, &o), 0);
	CHECK_MEM(o.res, v.xres, OM_RES_LEN);
	om_usim_out_clear(&o);

	forged_outcomes_are_refused(dv, other_dv, now + 3);

	/* a fallback statement for this release (a TRE signs `fallback` only after its own fallback, when it
	 * can no longer say `active`: the test signs this one with the TRE's key); a fallback that comes first
	 * is fallback_cleans_up's (issue 20), this one comes after active */
	struct om_outcome fb;
	uint8_t fbs[OM_OUTCOME_MAX], good[OM_OUTCOME_MAX];
	genuine_fields(dv, now + 3, &fb);
	fb.outcome = OM_OUTCOME_FALLBACK;
	int fbl = om_outcome_build(&fb, dv->tre->sign_key, fbs, sizeof(fbs));
	CHECK(fbl > 0);
	CHECK_INT(dpf_completion_count(P.dpf, "pending"), 0);

	/* the outcome the TRE signs: active at the SHO, in our DRF register, the completion queued once with it */
	int gl = om_tre_outcome(dv->tre, OM_OUTCOME_ACTIVE, now + 3, good, sizeof(good));
	CHECK(gl > 0);
	drf_unavailable(dv, good, (size_t)gl, now + 3);
	int kind = 0;
	/* issue 14: the outcome asks the SHO twice: the device, mark-active (four before: tre-sign-cert, status,
	 * tre-enc-cert were three calls) */
	calls = count_sho_calls();
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, good, (size_t)gl, now + 3, &kind, why, sizeof(why)), 0);
	CHECK_MSG(sho_calls - calls == 2, "outcome: %d calls to the SHO", sho_calls - calls);
	count_sho_calls_stop();
	CHECK_INT(kind, OM_OUTCOME_ACTIVE);
	CHECK(!strcmp(tk_state_of(&P, dv->tre_id), "active"));
	struct drf_device_status ds;
	CHECK_INT(drf_device_status(P.drf, dv->tre_id, now, &ds), 0);
	CHECK(!strcmp(ds.imsi, st.imsi) && !strcmp(ds.owner, OWNER) && ds.ours == 1 && ds.sequence == 0);
	CHECK_INT(dpf_completion_count(P.dpf, "pending"), 1);
	struct dpf_completion c;
	CHECK_INT(dpf_completion_next(P.dpf, &c), 1);
	CHECK(!strcmp(c.request_id, st.request_id) && !strcmp(c.peer, st.current_sho) && c.peer[0]);
	CHECK(c.statement_len == (size_t)gl && !memcmp(c.statement, good, (size_t)gl));
	before = snap();
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, good, (size_t)gl, now + 4, NULL, why, sizeof(why)), 0);
	CHECK(same_as(before));
	/* a fallback now (a copy of the TRE that fell back, say): the completion may be on its way, refused */
	before = snap();
	CHECK_INT(dpf_outcome(P.dpf, dv->tre_id, fbs, (size_t)fbl, now + 4, NULL, why, sizeof(why)), OM_EDPF_OUTCOME);
	CHECK(same_as(before));
	CHECK_INT(dpf_completion_count(P.dpf, "pending"), 1);

	/* the queue: a retry backs off, an answer closes it */
	CHECK_INT(dpf_completion_retry(P.dpf, c.request_id, "test", now), 0);
	CHECK_INT(dpf_completion_next(P.dpf, &c), 1);
	CHECK(c.attempts == 1 && c.due == now + 1);
	CHECK_INT(dpf_completion_retry(P.dpf, c.request_id, "test", now), 0);
	CHECK_INT(dpf_completion_next(P.dpf, &c), 1);
	CHECK(c.attempts == 2 && c.due == now + 2);
	CHECK_INT(dpf_completion_answered(P.dpf, c.request_id, 0, "OM_EDRF_STATE", now), 0);
	CHECK_INT(dpf_completion_next(P.dpf, &c), 0);
	CHECK_INT(dpf_completion_resume(P.dpf, now), 1);
	CHECK_INT(dpf_completion_answered(P.dpf, st.request_id, 1, "completed", now), 0);
	CHECK_INT(dpf_completion_count(P.dpf, "done"), 1);
	CHECK_INT(dpf_completion_resume(P.dpf, now), 0);

	restored_copy_is_noticed(dv, copy);
}


/*
 * dpf_tre_key: the key of one Cert_TRE is decoded once and handed out again for
 * the very same DER (package 3 and the outcome of one device); another
 * certificate gets its own key; a DER that differs in one byte does not find
 * the kept key; once DPF_TRE_KEYS other certificates came, the least recently
 * used key has made room (decoded anew: the same key, another object).
 */
static void tre_keys_kept_by_certificate(const struct sho_device_in *a, const struct sho_device_in *b)
{
	EVP_PKEY *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
	CHECK_INT(dpf_tre_key(P.dpf, a->cert_sign, a->cert_sign_len, &k1), 0);
	CHECK_INT(dpf_tre_key(P.dpf, a->cert_sign, a->cert_sign_len, &k2), 0);
	CHECK(k1 && k1 == k2); /* the same key, a reference each */
	CHECK_INT(dpf_tre_key(P.dpf, b->cert_sign, b->cert_sign_len, &k3), 0);
	CHECK(k3 && k3 != k1 && EVP_PKEY_eq(k3, k1) != 1);
	size_t n = a->cert_sign_len;
	uint8_t *bent = malloc(n);
	CHECK(bent != NULL);
	if (bent) {
		/* a's certificate with its signature's last two octets changed: the same key field, another DER */
		memcpy(bent, a->cert_sign, n);
		for (unsigned i = 0; i <= DPF_TRE_KEYS; i++) {
			EVP_PKEY *k = NULL;
			bent[n - 1] = (uint8_t)(a->cert_sign[n - 1] ^ (uint8_t)(i + 1));
			bent[n - 2] = (uint8_t)(a->cert_sign[n - 2] ^ (uint8_t)((i + 1) >> 8));
			CHECK_INT(dpf_tre_key(P.dpf, bent, n, &k), 0);
			CHECK(k && k != k1 && EVP_PKEY_eq(k, k1) == 1);
			EVP_PKEY_free(k);
			if (i == 0) { /* one other certificate: a's key is still the kept one */
				CHECK_INT(dpf_tre_key(P.dpf, a->cert_sign, n, &k4), 0);
				CHECK(k4 == k1);
				EVP_PKEY_free(k4);
				k4 = NULL;
			}
		}
		free(bent);
	}
	CHECK_INT(dpf_tre_key(P.dpf, a->cert_sign, n, &k4), 0);
	CHECK(k4 && k4 != k1 && EVP_PKEY_eq(k4, k1) == 1);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	EVP_PKEY_free(k4);
}

int main(void)
{
	char why[256], err[256];
	om_log_init("dpf-test", OM_LOG_ERROR);
	if (tk_parts_init(&P, "dpf-test"))
		return 1;

	/* the factory: CAs, a run of 4 devices (firmware 1.0.0) and a run of 1 (firmware 1.0.1) */
	if (tk_factory(&P, "RO", 6, 1))
		return check_done();
	const struct sho_device_in *note = P.note, *note2 = P.note2;
	/* the PVA: its CA, a responder, both runs imported (run2 against 1.0.0's references), served on loopback */
	tk_pva_start(&P, 1);
	/* the SHO: its HSS, its registration core, the devices registered (all but TRE-00000004) */
	tk_sho_start(&P, 3);
	/* the DPF, SHO-B's DRF register beside it */
	tk_dpf_open(&P, 1);
	tre_keys_kept_by_certificate(&note[0], &note[1]);

	struct device d1, d2, d3, d4, d5, d6, d7;
	memset(&d6, 0, sizeof(d6));
	memset(&d7, 0, sizeof(d7));
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	memset(&d3, 0, sizeof(d3));
	memset(&d4, 0, sizeof(d4));
	memset(&d5, 0, sizeof(d5));
	device_up(&d1, "run", &note[0], NULL, 1);
	/* nonceA of another handover (device 1's), sealed for device 2's TRE */
	device_up(&d2, "run", &note[1], d1.creds.nonce_a, 1);
	provision_good(&d1, &d2);
	/* a fifth device of the run, registered now, falls back (issue 20) */
	{
		struct sho_row_report rr[1];
		CHECK_INT(sho_register(P.sho, TK_OWNER, TK_SECRET, &note[4], 1, 0, rr), 0);
		device_up(&d6, "run", &note[4], NULL, 1);
		fallback_cleans_up(&d6, &d1);
		/* a sixth falls back while SHO-B's HSS is down (issue 20) */
		CHECK_INT(sho_register(P.sho, TK_OWNER, TK_SECRET, &note[5], 1, 0, rr), 0);
		device_up(&d7, "run", &note[5], NULL, 1);
		release_waits_for_a_live_subscription(&d7);
		fallback_with_hss_down_is_suspended_later(&d7);
	}

	refused(&d2, OM_EDPF_NONCE_A, "nonceA");

	/* revoked at the PVA after registration */
	device_up(&d3, "run", &note[2], NULL, 1);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "revoke %s keyCompromise", d3.tre_id);
	CHECK_MSG(pva_admin_exec(P.pva, cmd, pva_line, NULL, err, sizeof(err)) == 0, "revoke: %s", err);
	refused_owner_told(&d3, OM_EDPF_PVA_REFUSED, "revoked");
	CHECK(!strcmp(tk_state_of(&P, d3.tre_id), "handover_accepted"));

	/* measurements that are not the references of the reported firmware */
	device_up(&d5, "run2", &note2[0], NULL, 1);
	refused_owner_told(&d5, OM_EDPF_PVA_REFUSED, "measurement-mismatch");

	/* never registered at this SHO */
	uint8_t na[OM_NONCE_LEN];
	memset(na, 0x77, sizeof(na));
	device_up(&d4, "run", &note[3], na, 0);
	refused(&d4, OM_EDPF_UNKNOWN_TRE, "not registered");
	CHECK_INT(dpf_install_status(P.dpf, d4.tre_id, DPF_INSTALL_SUCCESS, time(NULL)), OM_EDPF_NOT_RELEASED);
	CHECK_INT(dpf_outcome(P.dpf, d4.tre_id, NULL, 0, time(NULL), NULL, why, sizeof(why)), OM_EDPF_UNKNOWN_TRE);
	/* device 3's TRE installed nothing: it has no statement to sign */
	uint8_t st3[OM_OUTCOME_MAX];
	CHECK_INT(om_tre_outcome(d3.tre, OM_OUTCOME_FALLBACK, time(NULL), st3, sizeof(st3)), OM_ETRE_NO_SESSION);

	/* the PVA unreachable: no decision, nothing changed (device 5 is otherwise fine until the PVA) */
	tk_pva_unplug(&P);
	refused(&d5, OM_EDPF_PVA, "PVA");

	device_down(&d1);
	device_down(&d2);
	device_down(&d3);
	device_down(&d4);
	device_down(&d5);
	device_down(&d6);
	device_down(&d7);
	tk_parts_free(&P, 0);
	return check_done();
}
