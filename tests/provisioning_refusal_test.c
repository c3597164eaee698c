/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 6, "a refusal test for each check on this path": the eight attacks
 * on B.2.3.4 (spec/002) against the real parts in one process, each one
 * refused with its own code while nothing changes anywhere: every row of
 * the SHO's, the DPF's, the HSS's and the PVA's databases and every byte of
 * every TRE's files is the same after the attack as before, and no MID of
 * the new SHO is in the TRE.
 *
 * The parts are dpf/dpf_testkit.h's, as in dpf/dpf_core_test.c: a factory run (and a second
 * run at firmware 1.0.1 whose PVA references are those of 1.0.0: its
 * measurements mismatch), the PVA's own code behind its HTTP routes on
 * loopback (OCSP for the SHO at registration, POST /validate for the DPF),
 * SHO-B's registration core with its HSS behind the provisioning socket,
 * the DPF core, and each device's TRE bootstrapped by the RO with the
 * handover's sealed DM credentials. The DPF is driven through dpf_m2mmobj,
 * not the SyncML session around it (dpf/dpf_dm_test.c covers that layer).
 *
 * Issue 12, the PVA's verdict: the DPF reaches the PVA through a relay in
 * this process that stands where anyone on the path stands. It passes the
 * PVA's answer on, or drops the signed verdict (the old plain answer),
 * turns a refusal into an acceptance signed with its own key, or answers a
 * genuine verdict it kept from an earlier M2MMobj of the same device or of
 * another device; and a genuine verdict arrives an hour late. Each is
 * refused with its own code, nothing changes; the genuine verdict then
 * releases the MCIM.
 *
 * Issue 16: a refusal the PVA signed for the device (revoked, measurement
 * mismatch) is shown to the device's owner, its reason and one history
 * entry; that is checked, undone, and then every row compared as for the
 * others. A relay's verdict is shown to no one.
 */
#include <openmcim/handover.h>
#include <openmcim/mcim.h>
#include <openmcim/protect.h>
#include <openmcim/tre.h>

#include <openmcim/hex.h>
#include <openmcim/verdict.h>

#include "dpf_testkit.h"
#include "log.h"
#include "pva_admin.h"
#include "refusal_kit.h"
#include "tre_fixture.h"

#define N_RUN 12 /* one device per case below, but for measurement mismatch (run2) */

static struct tk_parts P;
static char trees[2][600];
static struct pf_sho rogue; /* SHO-C: a real operator's SHO_SIGNING identity, not the device's trust root */

/* The M2MMCIMMobj the DPF released to the first case's device: a genuine object for another device later. */
static uint8_t released_d1[OM_MOBJ_MAX];
static int released_d1_len;

/* ---- nothing changes -------------------------------------------------------- */

static char *snap(void)
{
	const char *dbs[] = { P.sho_db, P.dpf_db, P.hss_db, P.pva_db };
	const char *dirs[] = { trees[0], trees[1] };
	return rk_snapshot(dbs, 4, dirs, 2);
}

/* Compare with before (freed) and say which attack moved something. */
static void unchanged(char *before, const char *attack)
{
	rk_check_unchanged(before, snap(), attack);
}

static void ignore_line(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static int zeroed(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- a device up to its bootstrap ----------------------------------------- */

struct device {
	const struct sho_device_in *row;
	struct om_tre *tre;
	uint8_t nonce_a[OM_NONCE_LEN]; /* of the handover the SHO has pending */
};

static int sho_b_mids(const struct device *dv)
{
	struct om_tre_mid_info m[OM_TRE_MIDS_MAX];
	return om_tre_mid_list(dv->tre, "SHO-B", m, OM_TRE_MIDS_MAX);
}

/*
 * The handover requested and accepted at SHO-B, the TRE of run/devices/<id>
 * opened and bootstrapped by the RO (Cert_SHO[0]) for SHO-B. With stale, an
 * earlier handover of the same device was refused by the current SHO first,
 * and the bootstrap carries that one's credentials (its nonceA).
 */
static void device_up(struct device *dv, const char *run, const struct sho_device_in *row, int stale)
{
	struct om_handover_req r, old;
	struct sho_dm_auth creds;
	memset(dv, 0, sizeof(*dv));
	memset(&old, 0, sizeof(old));
	dv->row = row;
	if (stale) {
		tk_handover_request(&P, row->tre_id, "0LD0-C0DE-0000-0000", &old, NULL, NULL);
		CHECK_INT(sho_handover_answer(P.sho, row->tre_id, old.request_id, 0, "OM_EDRF_LOCKED"), 0);
	}
	tk_handover_accepted(&P, row->tre_id, &r);
	CHECK_INT(sho_dm_auth(P.sho, row->tre_id, &creds), 0);
	memcpy(dv->nonce_a, creds.nonce_a, OM_NONCE_LEN);
	sho_dm_auth_clear(&creds);
	dv->tre = tk_tre_bootstrapped(&P, run, row->tre_id, stale ? old.creds : r.creds,
				      stale ? old.creds_len : r.creds_len);
	om_handover_free(&r);
	om_handover_free(&old);
}

static void device_down(struct device *dv)
{
	om_tre_close(dv->tre);
	dv->tre = NULL;
}

/* The TRE's M2MMobj and the nonceB in it, read as anyone on the wire reads it. */
static int m2mmobj(struct device *dv, uint8_t *obj, size_t cap, uint8_t nonce_b[OM_NONCE_LEN])
{
	struct om_tre_info info;
	uint8_t na[OM_NONCE_LEN];
	X509 *cert = NULL;
	int n = om_tre_m2mmobj(dv->tre, obj, cap);
	CHECK_MSG(n > 0, "om_tre_m2mmobj: %s", om_errname(n));
	CHECK_INT(om_cert_decode(&cert, OM_ENC_DER, dv->row->cert_sign, dv->row->cert_sign_len), 0);
	CHECK_INT(om_m2mmobj_verify(obj, n > 0 ? (size_t)n : 0, X509_get0_pubkey(cert), &info, na, nonce_b), 0);
	X509_free(cert);
	return n > 0 ? n : 0;
}

/* The DPF, its clock at now, refuses the TRE's own M2MMobj with code (reason containing needle); nothing changes. */
static void dpf_refuses_at(struct device *dv, time_t now, int code, const char *needle, const char *attack)
{
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN];
	char why[256] = "";
	int n = m2mmobj(dv, obj, sizeof(obj), nb);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, (size_t)n, now, out, sizeof(out), why, sizeof(why)), code);
	CHECK_MSG(strstr(why, needle) != NULL, "%s: reason '%s' lacks '%s'", attack, why, needle);
	CHECK(zeroed(out, sizeof(out)));
	unchanged(before, attack);
	CHECK_INT(sho_b_mids(dv), 0);
}

static void dpf_refuses_tre_m2mmobj(struct device *dv, int code, const char *needle, const char *attack)
{
	dpf_refuses_at(dv, time(NULL), code, needle, attack);
}

/* ---- the eight attacks ------------------------------------------------------ */

/* B.2.3.4 II: nonceB makes each M2MMobj good for one answer; the same bytes again get none. */
static void test_replayed_m2mmobj(void)
{
	struct device dv;
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN], mid[OM_MCIM_MID_LEN];
	char why[256] = "";
	time_t now = time(NULL);
	device_up(&dv, "run", &P.note[0], 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);
	released_d1_len = dpf_m2mmobj(P.dpf, obj, (size_t)n, now, released_d1, sizeof(released_d1), why, sizeof(why));
	CHECK_MSG(released_d1_len > 0, "the genuine M2MMobj: %d %s", released_d1_len, why);

	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, (size_t)n, now, out, sizeof(out), why, sizeof(why)), OM_EDPF_REPLAY_NONCE_B);
	CHECK_MSG(strstr(why, "nonceB") != NULL, "reason '%s'", why);
	CHECK(zeroed(out, sizeof(out)));
	unchanged(before, "replayed M2MMobj");
	CHECK_INT(sho_b_mids(&dv), 0);

	/* the genuine answer still installs: the replay cost the device nothing */
	CHECK_INT(om_tre_install_mcim(dv.tre, released_d1, released_d1_len > 0 ? (size_t)released_d1_len : 0, now, mid),
		  0);
	CHECK_INT(sho_b_mids(&dv), 1);
	device_down(&dv);
}

/* B.2.3.4 III: the signature is checked with the Cert_TRE the owner registered, not any PVA-issued one. */
static void test_m2mmobj_signed_by_another_tre(void)
{
	struct device dv;
	struct kit_tre other;
	struct om_tre_info info;
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN];
	char why[256] = "";
	device_up(&dv, "run", &P.note[1], 0);
	/* a genuine TRE of the same manufacturer (its certificates from the PVA's CA), not this one */
	kit_tre_issue(P.pva_ca, "TRE-00000900", &other);
	CHECK_INT(om_tre_get_info(dv.tre, &info), 0);
	check_random(nb, sizeof(nb));
	int n = om_m2mmobj_build(&info, dv.nonce_a, nb, other.sign_key, obj, sizeof(obj));
	CHECK(n > 0);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(P.dpf, obj, n > 0 ? (size_t)n : 0, time(NULL), out, sizeof(out), why, sizeof(why)),
		  OM_EDPF_SIGNATURE);
	CHECK_MSG(strstr(why, "signature") != NULL, "reason '%s'", why);
	CHECK(zeroed(out, sizeof(out)));
	unchanged(before, "M2MMobj signed by another TRE");
	CHECK_INT(sho_b_mids(&dv), 0);
	kit_tre_free(&other);
	device_down(&dv);
}

/*
 * B.2.3.2 / B.2.3.4 III: nonceA binds the M2MMobj to the pending handover.
 * The device's TRE holds the nonceA of an earlier handover of the same
 * device (refused by the current SHO), e.g. from a bootstrap replayed to it.
 */
static void test_nonce_a_of_another_handover(void)
{
	struct device dv;
	device_up(&dv, "run", &P.note[2], 1);
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_NONCE_A, "nonceA", "nonceA of another handover");
	device_down(&dv);
}

static void dpf_refuses_owner_told(struct device *dv, int code, const char *needle, const char *word, const char *attack)
{
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN];
	char why[256] = "";
	struct sho_device_status st0;
	int n = m2mmobj(dv, obj, sizeof(obj), nb);
	CHECK_INT(sho_status(P.sho, dv->row->tre_id, &st0), 0);
	char *before = snap();
	for (int again = 0; again < 2; again++) {
		CHECK_INT(dpf_m2mmobj(P.dpf, obj, (size_t)n, time(NULL), out, sizeof(out), why, sizeof(why)), code);
		CHECK_MSG(strstr(why, needle) != NULL, "%s: reason '%s' lacks '%s'", attack, why, needle);
		CHECK(zeroed(out, sizeof(out)));
	}
	tk_pva_refusal_shown_then_undone(&P, dv->row->tre_id, &st0, word);
	unchanged(before, attack);
	CHECK_INT(sho_b_mids(dv), 0);
}

/* B.2.3.4 IV: the PVA knows the TRE's certificate is revoked (after the owner registered it). */
static void test_revoked_tre_certificate(void)
{
	struct device dv;
	char cmd[128], err[256] = "";
	device_up(&dv, "run", &P.note[3], 0);
	snprintf(cmd, sizeof(cmd), "revoke %s keyCompromise", dv.row->tre_id);
	CHECK_MSG(pva_admin_exec(P.pva, cmd, ignore_line, NULL, err, sizeof(err)) == 0, "revoke: %s", err);
	dpf_refuses_owner_told(&dv, OM_EDPF_PVA_REFUSED, "revoked", "revoked", "revoked TRE certificate");
	device_down(&dv);
}

/* B.2.3.4 IV, spec/001 4.1.4.1 (verify the platform before provisioning): measurements not the references. */
static void test_measurement_mismatch(void)
{
	struct device dv;
	device_up(&dv, "run2", &P.note2[0], 0);
	dpf_refuses_owner_told(&dv, OM_EDPF_PVA_REFUSED, "measurement-mismatch", "measurement-mismatch",
			       "measurement mismatch");
	device_down(&dv);
}

/* B.2.3.4 VI: one M2MMCIMMobj per nonceB; the installed object again installs nothing. */
static void test_replayed_m2mmcimmobj(void)
{
	struct device dv;
	uint8_t obj[OM_MOBJ_MAX], mcim[OM_MOBJ_MAX], nb[OM_NONCE_LEN], mid[OM_MCIM_MID_LEN];
	char why[256] = "";
	time_t now = time(NULL);
	device_up(&dv, "run", &P.note[4], 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);
	int m = dpf_m2mmobj(P.dpf, obj, (size_t)n, now, mcim, sizeof(mcim), why, sizeof(why));
	CHECK_MSG(m > 0, "the genuine M2MMobj: %d %s", m, why);
	CHECK_INT(om_tre_install_mcim(dv.tre, mcim, m > 0 ? (size_t)m : 0, now, mid), 0);
	CHECK_INT(dpf_install_status(P.dpf, dv.row->tre_id, DPF_INSTALL_SUCCESS, now), 0);
	CHECK_INT(sho_b_mids(&dv), 1);

	char *before = snap();
	CHECK_INT(om_tre_install_mcim(dv.tre, mcim, m > 0 ? (size_t)m : 0, now, mid), OM_ETRE_NONCE);
	unchanged(before, "replayed M2MMCIMMobj");
	CHECK_INT(sho_b_mids(&dv), 1);
	device_down(&dv);
}

/* An MCIM of the attacker's, sealed for this TRE's public key (anyone can), signed with key, answering nonce_b. */
static int forged_mcimobj(const struct device *dv, EVP_PKEY *key, const uint8_t nonce_b[OM_NONCE_LEN], uint8_t *out,
			  size_t cap)
{
	struct om_mcim m;
	uint8_t tlv[OM_MCIM_ENCODED_MAX], sealed[1024];
	X509 *enc = NULL;
	fx_pcid(&m, "001030000000001", "internet.sho-c");
	int t = om_mcim_encode(&m, tlv, sizeof(tlv));
	CHECK(t > 0);
	CHECK_INT(om_cert_decode(&enc, OM_ENC_DER, dv->row->cert_enc, dv->row->cert_enc_len), 0);
	int s = om_protect_seal(X509_get0_pubkey(enc), OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_MCIM, tlv,
				t > 0 ? (size_t)t : 0, sealed, sizeof(sealed));
	CHECK(s > 0);
	int n = om_m2mmcimmobj_build(sealed, s > 0 ? (size_t)s : 0, nonce_b, key, out, cap);
	CHECK(n > 0);
	X509_free(enc);
	om_mcim_clear(&m);
	return n > 0 ? n : 0;
}

/*
 * B.2.3.4 VI: the TRE verifies the M2MMCIMMobj with Cert_SHO[i+1], the root
 * the bootstrap installed. Signed by SHO-C (a real operator, its own root)
 * or by the RO (the previous root, kept for fallback), it installs nothing.
 */
static void test_m2mmcimmobj_signed_by_operator_not_trust_root(void)
{
	struct device dv;
	uint8_t obj[OM_MOBJ_MAX], forged[OM_MOBJ_MAX], mcim[OM_MOBJ_MAX], nb[OM_NONCE_LEN], mid[OM_MCIM_MID_LEN];
	char why[256] = "";
	time_t now = time(NULL);
	device_up(&dv, "run", &P.note[5], 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);

	char *before = snap();
	int f = forged_mcimobj(&dv, rogue.key, nb, forged, sizeof(forged));
	CHECK_INT(om_tre_install_mcim(dv.tre, forged, (size_t)f, now, mid), OM_EOBJ_SIGNATURE);
	f = forged_mcimobj(&dv, P.ro_key, nb, forged, sizeof(forged));
	CHECK_INT(om_tre_install_mcim(dv.tre, forged, (size_t)f, now, mid), OM_EOBJ_SIGNATURE);
	unchanged(before, "M2MMCIMMobj signed by an operator that is not the trust root");
	CHECK_INT(sho_b_mids(&dv), 0);

	/* the genuine SHO's answer to the same nonceB still installs */
	int m = dpf_m2mmobj(P.dpf, obj, (size_t)n, now, mcim, sizeof(mcim), why, sizeof(why));
	CHECK_MSG(m > 0, "the genuine M2MMobj: %d %s", m, why);
	CHECK_INT(om_tre_install_mcim(dv.tre, mcim, m > 0 ? (size_t)m : 0, now, mid), 0);
	CHECK_INT(sho_b_mids(&dv), 1);
	device_down(&dv);
}

/*
 * B.2.3.6: PuK_TRE(MCIM) opens only in the TRE it was sealed for. Another
 * device's genuine M2MMCIMMobj answers another nonceB; and an object signed
 * by the right SHO for this nonceB but around another device's sealed MCIM
 * (a DPF that mixed two devices up) does not open.
 */
static void test_mcim_object_for_another_device(void)
{
	struct device dv;
	uint8_t obj[OM_MOBJ_MAX], wrong[OM_MOBJ_MAX], nb[OM_NONCE_LEN], mid[OM_MCIM_MID_LEN], *sealed = NULL;
	size_t sl = 0;
	time_t now = time(NULL);
	device_up(&dv, "run", &P.note[6], 0);
	(void)m2mmobj(&dv, obj, sizeof(obj), nb);

	char *before = snap();
	CHECK(released_d1_len > 0);
	CHECK_INT(om_tre_install_mcim(dv.tre, released_d1, released_d1_len > 0 ? (size_t)released_d1_len : 0, now, mid),
		  OM_ETRE_NONCE);
	CHECK_INT(sho_sealed_mcim(P.sho, P.note[0].tre_id, &sealed, &sl), 0);
	int w = om_m2mmcimmobj_build(sealed, sl, nb, P.sho_b.key, wrong, sizeof(wrong));
	CHECK(w > 0);
	CHECK_INT(om_tre_install_mcim(dv.tre, wrong, w > 0 ? (size_t)w : 0, now, mid), OM_EPROTECT_UNWRAP);
	unchanged(before, "MCIM object for another device");
	CHECK_INT(sho_b_mids(&dv), 0);
	free(sealed);
	device_down(&dv);
}

/* ---- issue 12: the PVA's verdict on its way to the DPF ------------------------------- */

enum relay_mode { RELAY_PASS, RELAY_UNSIGNED, RELAY_OTHER_KEY, RELAY_CANNED };

static struct {
	enum relay_mode mode;
	EVP_PKEY *rogue;      /* the relay's own key */
	char last[2048];      /* the PVA's last genuine answer */
	char canned[2048];    /* what RELAY_CANNED answers */
	struct om_http_server *http;
	char url[64];
} relay;

/*
 * POST /validate: the PVA's own code decides and signs (pva_validate,
 * pva_verdict_sign); the relay keeps that answer and sends what its mode says.
 */
static void relay_validate(struct om_http_req *q, void *arg)
{
	struct pva_verdict v;
	struct om_pva_verdict s;
	uint8_t sig[PVA_VERDICT_MAX];
	char hex[2 * PVA_VERDICT_MAX + 1], nb[2 * OM_NONCE_LEN + 1], out[2048];
	size_t len;
	const uint8_t *body = om_http_req_body(q, &len);
	(void)arg;
	int rc = pva_validate(P.pva, body, len, &v);
	int n = pva_verdict_sign(P.pva, &v, time(NULL), sig, sizeof(sig));
	CHECK_MSG(n > 0, "pva_verdict_sign: %d", n);
	om_hex_encode(hex, sig, n > 0 ? (size_t)n : 0);
	om_hex_encode(nb, v.nonce_b, sizeof(v.nonce_b));
	snprintf(relay.last, sizeof(relay.last), "result=%s\ntre_id=%s\nverdict=%s\n", rc ? "refused" : "accepted",
		 v.tre_id, hex);
	switch (relay.mode) {
	case RELAY_PASS:
		snprintf(out, sizeof(out), "%s", relay.last);
		break;
	case RELAY_UNSIGNED: /* the plain answer of before issue 12, saying what the relay likes */
		snprintf(out, sizeof(out), "result=accepted\ntre_id=%s\nnonce_b=%s\n", v.tre_id, nb);
		break;
	case RELAY_OTHER_KEY: /* the PVA's verdict, turned into an acceptance and signed by the relay */
		CHECK_INT(om_pva_verdict_verify(sig, (size_t)n, X509_get0_pubkey(P.pva_responder), &s), 0);
		s.accepted = 1;
		snprintf(s.reason, sizeof(s.reason), "accepted");
		n = om_pva_verdict_build(&s, relay.rogue, sig, sizeof(sig));
		CHECK(n > 0);
		om_hex_encode(hex, sig, n > 0 ? (size_t)n : 0);
		snprintf(out, sizeof(out), "result=accepted\ntre_id=%s\nverdict=%s\n", v.tre_id, hex);
		break;
	case RELAY_CANNED:
		snprintf(out, sizeof(out), "%s", relay.canned);
		break;
	}
	om_http_reply(q, 200, "text/plain", out, strlen(out));
}

static void relay_start(void)
{
	char err[256] = "";
	struct om_http_opts o = { .port = 0 };
	CHECK_INT(om_key_generate(&relay.rogue, OM_KEY_EC_P256), 0);
	CHECK_MSG(om_http_server_new(&relay.http, &o, err, sizeof(err)) == 0, "relay: %s", err);
	if (!relay.http)
		return;
	CHECK_INT(om_http_route(relay.http, "POST", "/validate", relay_validate, NULL), 0);
	CHECK_INT(om_http_server_start(relay.http), 0);
	/* the DPF asks the relay from here on (tk_dpf_open reads pva_url) */
	snprintf(P.pva_url, sizeof(P.pva_url), "http://127.0.0.1:%u", (unsigned)om_http_server_port(relay.http));
}

/* The old plain answer, no signed verdict: OM_EDPF_PVA_SIGNATURE. */
static void test_pva_verdict_unsigned(void)
{
	struct device dv;
	device_up(&dv, "run", &P.note[7], 0);
	relay.mode = RELAY_UNSIGNED;
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_PVA_SIGNATURE, "without a signed verdict", "unsigned PVA answer");
	relay.mode = RELAY_PASS;
	device_down(&dv);
}

/* A revoked TRE's refusal turned into an acceptance signed with another key: OM_EDPF_PVA_SIGNATURE. */
static void test_pva_verdict_signed_by_another_key(void)
{
	struct device dv;
	char cmd[128], err[256] = "";
	device_up(&dv, "run", &P.note[8], 0);
	snprintf(cmd, sizeof(cmd), "revoke %s keyCompromise", dv.row->tre_id);
	CHECK_MSG(pva_admin_exec(P.pva, cmd, ignore_line, NULL, err, sizeof(err)) == 0, "revoke: %s", err);
	relay.mode = RELAY_OTHER_KEY;
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_PVA_SIGNATURE, "not the PVA's", "verdict signed by another key");
	relay.mode = RELAY_PASS;
	device_down(&dv);
}

/*
 * One device: a genuine verdict an hour old (the DPF's clock an hour on):
 * OM_EDPF_PVA_STALE. That verdict, kept, replayed for the device's next
 * M2MMobj (another nonceB): OM_EDPF_PVA_BINDING. Then the genuine verdict
 * releases. Another device's M2MMobj answered with this device's genuine
 * acceptance: OM_EDPF_PVA_BINDING (another TRE_id).
 */
static void test_pva_verdict_stale_replayed_or_of_another_tre(void)
{
	struct device dv, other;
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN];
	char why[256] = "";
	device_up(&dv, "run", &P.note[9], 0);
	relay.mode = RELAY_PASS;
	dpf_refuses_at(&dv, time(NULL) + 3600, OM_EDPF_PVA_STALE, "verdict of", "verdict an hour old");
	snprintf(relay.canned, sizeof(relay.canned), "%s", relay.last);
	relay.mode = RELAY_CANNED;
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_PVA_BINDING, "this TRE or nonceB", "verdict replayed for a new nonceB");
	relay.mode = RELAY_PASS;
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);
	int r = dpf_m2mmobj(P.dpf, obj, (size_t)n, time(NULL), out, sizeof(out), why, sizeof(why));
	CHECK_MSG(r > 0, "the genuine verdict: %d %s", r, why);
	/* that acceptance, for another device's M2MMobj */
	snprintf(relay.canned, sizeof(relay.canned), "%s", relay.last);
	CHECK(strstr(relay.canned, "result=accepted") != NULL);
	relay.mode = RELAY_CANNED;
	device_up(&other, "run", &P.note[10], 0);
	dpf_refuses_tre_m2mmobj(&other, OM_EDPF_PVA_BINDING, "another TRE", "verdict of another TRE");
	relay.mode = RELAY_PASS;
	device_down(&other);
	device_down(&dv);
}

/*
 * The device at the DPF before the current SHO's acceptance is recorded (the DRF pushes as soon as it
 * accepts): OM_EDPF_ACCEPT_PENDING, a retry for the device, nothing changes; once accepted, released.
 */
static void test_m2mmobj_before_the_acceptance_is_recorded(void)
{
	struct device dv;
	struct om_handover_req r;
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN];
	char why[256] = "";
	memset(&dv, 0, sizeof(dv));
	dv.row = &P.note[11];
	tk_handover_request(&P, dv.row->tre_id, "C0DE-1234-1234-1234", &r, NULL, NULL);
	dv.tre = tk_tre_bootstrapped(&P, "run", dv.row->tre_id, r.creds, r.creds_len);
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_ACCEPT_PENDING, "not recorded yet", "M2MMobj before the acceptance");
	CHECK_INT(sho_handover_answer(P.sho, dv.row->tre_id, r.request_id, 1, NULL), 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);
	int k = dpf_m2mmobj(P.dpf, obj, (size_t)n, time(NULL), out, sizeof(out), why, sizeof(why));
	CHECK_MSG(k > 0, "after the acceptance: %d %s", k, why);
	om_handover_free(&r);
	device_down(&dv);
}

int main(void)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	om_log_init("refusal-test", OM_LOG_ERROR);
	if (tk_parts_init(&P, "refusal-test"))
		return 1;

	/* the factory: CAs, N_RUN devices at firmware 1.0.0, one at 1.0.1 */
	if (tk_factory(&P, "RO", N_RUN, 1))
		return check_done();
	snprintf(trees[0], sizeof(trees[0]), "%s/run/devices", P.dir);
	snprintf(trees[1], sizeof(trees[1]), "%s/run2/devices", P.dir);

	/* the PVA: a delegated OCSP responder, both runs imported (run2 against 1.0.0's references), on loopback */
	tk_pva_start(&P, 1);

	/* SHO-B: its HSS behind the provisioning socket, its registration core, every device registered */
	tk_sho_start(&P, N_RUN);
	pf_sho_make(&rogue, "SHO-C");

	/* the DPF, asking the PVA through the relay */
	relay_start();
	tk_dpf_open(&P, 0);

	if (!check_failures()) {
		test_replayed_m2mmobj();
		test_m2mmobj_signed_by_another_tre();
		test_nonce_a_of_another_handover();
		test_revoked_tre_certificate();
		test_measurement_mismatch();
		test_replayed_m2mmcimmobj();
		test_m2mmcimmobj_signed_by_operator_not_trust_root();
		test_mcim_object_for_another_device();
		test_pva_verdict_unsigned();
		test_pva_verdict_signed_by_another_key();
		test_pva_verdict_stale_replayed_or_of_another_tre();
		test_m2mmobj_before_the_acceptance_is_recorded();
	}
	om_http_server_free(relay.http);
	EVP_PKEY_free(relay.rogue);

	pf_sho_free(&rogue);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "provisioning_refusal_test: %.1f s\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (check_failures())
		fprintf(stderr, "kept %s for inspection\n", P.dir);
	tk_parts_free(&P, check_failures() != 0);
	return check_done();
}
