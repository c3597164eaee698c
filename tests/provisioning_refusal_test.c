/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 6, "a refusal test for each check on this path": the eight attacks
 * on B.2.3.4 (spec/002) against the real parts in one process, each one
 * refused with its own code while nothing changes anywhere: every row of
 * the SHO's, the DPF's, the HSS's and the PVA's databases and every byte of
 * every TRE's files is the same after the attack as before, and no MID of
 * the new SHO is in the TRE.
 *
 * The parts are those of dpf/dpf_core_test.c: a factory run (and a second
 * run at firmware 1.0.1 whose PVA references are those of 1.0.0: its
 * measurements mismatch), the PVA's own code behind its HTTP routes on
 * loopback (OCSP for the SHO at registration, POST /validate for the DPF),
 * SHO-B's registration core with its HSS behind the provisioning socket,
 * the DPF core, and each device's TRE bootstrapped by the RO with the
 * handover's sealed DM credentials. The DPF is driven through dpf_m2mmobj,
 * not the SyncML session around it (dpf/dpf_dm_test.c covers that layer).
 */
#include <sqlite3.h>

#include <openmcim/handover.h>
#include <openmcim/mcim.h>
#include <openmcim/protect.h>
#include <openmcim/tre.h>

#include "daemon_util.h"
#include "dpf.h"
#include "factory.h"
#include "hss.h"
#include "http_server.h"
#include "log.h"
#include "pki_fixture.h"
#include "provision.h"
#include "pva.h"
#include "pva_admin.h"
#include "pva_http.h"
#include "refusal_kit.h"
#include "sho.h"
#include "sho_testkit.h"
#include "tre_fixture.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define N_RUN 7 /* one device per case below, but for measurement mismatch (run2) */

static char dir[] = "/tmp/om-refusal-test-XXXXXX";
static char path[600], sho_db[600], hss_db[600], dpf_db[600], pva_db[600], trees[2][600];
static struct hss *hss;
static struct sho *sho;
static struct dpf *dpf;
static struct pva *pva;
static struct om_ca *pva_ca;
static X509 *ro_cert, *sho_cert;
static EVP_PKEY *ro_key, *sho_key;
static struct pf_sho rogue; /* SHO-C: a real operator's SHO_SIGNING identity, not the device's trust root */
static struct sho_device_in *note, *note2;

/* The M2MMCIMMobj the DPF released to the first case's device: a genuine object for another device later. */
static uint8_t released_d1[OM_MOBJ_MAX];
static int released_d1_len;

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* ---- nothing changes -------------------------------------------------------- */

static char *snap(void)
{
	const char *dbs[] = { sho_db, dpf_db, hss_db, pva_db };
	const char *dirs[] = { trees[0], trees[1] };
	return rk_snapshot(dbs, 4, dirs, 2);
}

/* Compare with before (freed) and say which attack moved something. */
static void unchanged(char *before, const char *attack)
{
	char *now = snap();
	CHECK_MSG(rk_same(before, now, attack), "%s changed the state", attack);
	free(before);
	free(now);
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

/* One handover request for the device, verified as the current SHO would; the request's sealed credentials in *r. */
static void handover(const struct device *dv, const char *code, struct om_handover_req *r)
{
	uint8_t *req = NULL;
	size_t rl = 0;
	memset(r, 0, sizeof(*r));
	CHECK_INT(sho_handover_request(sho, OWNER, SECRET, dv->row->tre_id, code, &req, &rl), 0);
	CHECK_INT(om_handover_verify(req, rl, X509_get0_pubkey(sho_cert), r), 0);
	free(req);
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
	struct om_bootstrap b;
	struct om_dm_creds creds;
	uint8_t *xml = NULL, *cert_der = NULL;
	size_t xl = 0, cert_len = 0;
	char tre_dir[700];
	memset(dv, 0, sizeof(*dv));
	memset(&b, 0, sizeof(b));
	memset(&old, 0, sizeof(old));
	dv->row = row;
	if (stale) {
		handover(dv, "CODE-OLD", &old);
		CHECK_INT(sho_handover_answer(sho, row->tre_id, old.request_id, 0, "OM_EDRF_LOCKED"), 0);
	}
	handover(dv, "CODE-1234", &r);
	CHECK_INT(sho_handover_answer(sho, row->tre_id, r.request_id, 1, NULL), 0);
	CHECK_INT(sho_dm_credentials(sho, row->tre_id, &creds), 0);
	memcpy(dv->nonce_a, creds.nonce_a, OM_NONCE_LEN);
	om_dm_creds_clear(&creds);

	CHECK_INT(om_cert_encode(sho_cert, OM_ENC_DER, &cert_der, &cert_len), 0);
	b.sequence = 1;
	snprintf(b.provurl, sizeof(b.provurl), "https://dpf.sho-b.lab/dm");
	snprintf(b.server_id, sizeof(b.server_id), "sho-b-dpf");
	snprintf(b.apn, sizeof(b.apn), "prov.sho-b");
	b.sho_cert = cert_der;
	b.sho_cert_len = cert_len;
	b.creds = stale ? old.creds : r.creds;
	b.creds_len = stale ? old.creds_len : r.creds_len;
	CHECK_INT(om_bootstrap_build_signed(&b, ro_key, ro_cert, &xml, &xl), 0);
	snprintf(tre_dir, sizeof(tre_dir), "%s/%s/devices/%s", dir, run, row->tre_id);
	CHECK_INT(om_tre_open(&dv->tre, tre_dir, 0), 0);
	CHECK_INT(om_tre_bootstrap(dv->tre, xml, xl, time(NULL)), 0);
	free(xml);
	om_pki_free(cert_der, cert_len);
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

/* The DPF refuses the TRE's own M2MMobj with code (reason containing needle); nothing changes. */
static void dpf_refuses_tre_m2mmobj(struct device *dv, int code, const char *needle, const char *attack)
{
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN];
	char why[256] = "";
	int n = m2mmobj(dv, obj, sizeof(obj), nb);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(dpf, obj, (size_t)n, time(NULL), out, sizeof(out), why, sizeof(why)), code);
	CHECK_MSG(strstr(why, needle) != NULL, "%s: reason '%s' lacks '%s'", attack, why, needle);
	CHECK(zeroed(out, sizeof(out)));
	unchanged(before, attack);
	CHECK_INT(sho_b_mids(dv), 0);
}

/* ---- the eight attacks ------------------------------------------------------ */

/* B.2.3.4 II: nonceB makes each M2MMobj good for one answer; the same bytes again get none. */
static void test_replayed_m2mmobj(void)
{
	struct device dv;
	uint8_t obj[OM_MOBJ_MAX], out[OM_MOBJ_MAX], nb[OM_NONCE_LEN], mid[OM_MCIM_MID_LEN];
	char why[256] = "";
	time_t now = time(NULL);
	device_up(&dv, "run", &note[0], 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);
	released_d1_len = dpf_m2mmobj(dpf, obj, (size_t)n, now, released_d1, sizeof(released_d1), why, sizeof(why));
	CHECK_MSG(released_d1_len > 0, "the genuine M2MMobj: %d %s", released_d1_len, why);

	char *before = snap();
	CHECK_INT(dpf_m2mmobj(dpf, obj, (size_t)n, now, out, sizeof(out), why, sizeof(why)), OM_EDPF_REPLAY_NONCE_B);
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
	device_up(&dv, "run", &note[1], 0);
	/* a genuine TRE of the same manufacturer (its certificates from the PVA's CA), not this one */
	kit_tre_issue(pva_ca, "TRE-00000900", &other);
	CHECK_INT(om_tre_get_info(dv.tre, &info), 0);
	check_random(nb, sizeof(nb));
	int n = om_m2mmobj_build(&info, dv.nonce_a, nb, other.sign_key, obj, sizeof(obj));
	CHECK(n > 0);
	char *before = snap();
	CHECK_INT(dpf_m2mmobj(dpf, obj, n > 0 ? (size_t)n : 0, time(NULL), out, sizeof(out), why, sizeof(why)),
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
	device_up(&dv, "run", &note[2], 1);
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_NONCE_A, "nonceA", "nonceA of another handover");
	device_down(&dv);
}

/* B.2.3.4 IV: the PVA knows the TRE's certificate is revoked (after the owner registered it). */
static void test_revoked_tre_certificate(void)
{
	struct device dv;
	char cmd[128], err[256] = "";
	device_up(&dv, "run", &note[3], 0);
	snprintf(cmd, sizeof(cmd), "revoke %s keyCompromise", dv.row->tre_id);
	CHECK_MSG(pva_admin_exec(pva, cmd, ignore_line, NULL, err, sizeof(err)) == 0, "revoke: %s", err);
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_PVA_REFUSED, "revoked", "revoked TRE certificate");
	device_down(&dv);
}

/* B.2.3.4 IV, spec/001 4.1.4.1 (verify the platform before provisioning): measurements not the references. */
static void test_measurement_mismatch(void)
{
	struct device dv;
	device_up(&dv, "run2", &note2[0], 0);
	dpf_refuses_tre_m2mmobj(&dv, OM_EDPF_PVA_REFUSED, "measurement-mismatch", "measurement mismatch");
	device_down(&dv);
}

/* B.2.3.4 VI: one M2MMCIMMobj per nonceB; the installed object again installs nothing. */
static void test_replayed_m2mmcimmobj(void)
{
	struct device dv;
	uint8_t obj[OM_MOBJ_MAX], mcim[OM_MOBJ_MAX], nb[OM_NONCE_LEN], mid[OM_MCIM_MID_LEN];
	char why[256] = "";
	time_t now = time(NULL);
	device_up(&dv, "run", &note[4], 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);
	int m = dpf_m2mmobj(dpf, obj, (size_t)n, now, mcim, sizeof(mcim), why, sizeof(why));
	CHECK_MSG(m > 0, "the genuine M2MMobj: %d %s", m, why);
	CHECK_INT(om_tre_install_mcim(dv.tre, mcim, m > 0 ? (size_t)m : 0, now, mid), 0);
	CHECK_INT(dpf_install_status(dpf, dv.row->tre_id, DPF_INSTALL_SUCCESS, now), 0);
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
	device_up(&dv, "run", &note[5], 0);
	int n = m2mmobj(&dv, obj, sizeof(obj), nb);

	char *before = snap();
	int f = forged_mcimobj(&dv, rogue.key, nb, forged, sizeof(forged));
	CHECK_INT(om_tre_install_mcim(dv.tre, forged, (size_t)f, now, mid), OM_EOBJ_SIGNATURE);
	f = forged_mcimobj(&dv, ro_key, nb, forged, sizeof(forged));
	CHECK_INT(om_tre_install_mcim(dv.tre, forged, (size_t)f, now, mid), OM_EOBJ_SIGNATURE);
	unchanged(before, "M2MMCIMMobj signed by an operator that is not the trust root");
	CHECK_INT(sho_b_mids(&dv), 0);

	/* the genuine SHO's answer to the same nonceB still installs */
	int m = dpf_m2mmobj(dpf, obj, (size_t)n, now, mcim, sizeof(mcim), why, sizeof(why));
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
	device_up(&dv, "run", &note[6], 0);
	(void)m2mmobj(&dv, obj, sizeof(obj), nb);

	char *before = snap();
	CHECK(released_d1_len > 0);
	CHECK_INT(om_tre_install_mcim(dv.tre, released_d1, released_d1_len > 0 ? (size_t)released_d1_len : 0, now, mid),
		  OM_ETRE_NONCE);
	CHECK_INT(sho_sealed_mcim(sho, note[0].tre_id, &sealed, &sl), 0);
	int w = om_m2mmcimmobj_build(sealed, sl, nb, sho_key, wrong, sizeof(wrong));
	CHECK(w > 0);
	CHECK_INT(om_tre_install_mcim(dv.tre, wrong, w > 0 ? (size_t)w : 0, now, mid), OM_EPROTECT_UNWRAP);
	unchanged(before, "MCIM object for another device");
	CHECK_INT(sho_b_mids(&dv), 0);
	free(sealed);
	device_down(&dv);
}

/* ---- the parts ---------------------------------------------------------------- */

/*
 * run2's devices for the PVA, with the references of firmware 1.0.0 given as
 * those of 1.0.1, the firmware run2 reports: its measurements mismatch, as
 * a device running altered firmware would. (As dpf/dpf_core_test.c.)
 */
static void tampered_import_dir(void)
{
	struct om_measurement m[OM_FACTORY_N_COMPONENTS];
	struct rk_buf refs = { 0 };
	size_t n = 0;
	CHECK_INT(mkdir(at("pva2"), 0700), 0);
	char *text = (char *)check_slurp(at("run2/pva/devices.csv"), &n);
	CHECK(text != NULL);
	CHECK_INT(du_write_file(at("pva2/devices.csv"), text ? text : ""), 0);
	free(text);
	CHECK_INT(om_factory_measurements(OM_FACTORY_DEFAULT_MODEL, "1.0.0", m), OM_FACTORY_N_COMPONENTS);
	rk_put(&refs, "model,firmware,component,sha256\n");
	for (int i = 0; i < OM_FACTORY_N_COMPONENTS; i++) {
		rk_put(&refs, "%s,1.0.1,%s,", OM_FACTORY_DEFAULT_MODEL, m[i].name);
		for (int j = 0; j < 32; j++)
			rk_put(&refs, "%02x", m[i].sha256[j]);
		rk_put(&refs, "\n");
	}
	CHECK_INT(du_write_file(at("pva2/reference-measurements.csv"), refs.p), 0);
	free(refs.p);
}

int main(void)
{
	char why[256] = "", err[256] = "", sock[600], ocsp_url[64], pva_url[64];
	char ca_path[600], rc_path[600], rk_path[600];
	struct sho_row_report rep[N_RUN];
	X509 *pva_cert = NULL;
	EVP_PKEY *pva_key = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	om_log_init("refusal-test", OM_LOG_ERROR);
	if (!mkdtemp(dir))
		return 1;

	/* the factory: CAs, N_RUN devices at firmware 1.0.0, one at 1.0.1 */
	CHECK_INT(om_factory_init_cas(at("cas"), "Test PVA", "RO"), 0);
	CHECK_INT(om_cert_load(&pva_cert, at("cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&pva_key, at("cas/pva-ca.key")), 0);
	CHECK_INT(om_ca_open(&pva_ca, pva_cert, pva_key), 0);
	CHECK_INT(om_cert_load(&ro_cert, at("cas/ro-signing.pem")), 0);
	CHECK_INT(om_key_load(&ro_key, at("cas/ro-signing.key")), 0);
	struct om_factory_config fc = { .pva_ca = pva_ca, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = N_RUN, .jobs = 1 };
	CHECK_INT(om_factory_run(at("run"), &fc, NULL), 0);
	fc.n_devices = 1;
	fc.msin_first = "0000000100";
	fc.tre_prefix = "TRX";
	fc.firmware = "1.0.1";
	CHECK_INT(om_factory_run(at("run2"), &fc, NULL), 0);
	int n_note = sho_note_read(at("run/owner/delivery-note.csv"), &note, why, sizeof(why));
	int n_note2 = sho_note_read(at("run2/owner/delivery-note.csv"), &note2, why, sizeof(why));
	CHECK_MSG(n_note == N_RUN && n_note2 == 1, "%d %d: %s", n_note, n_note2, why);
	if (n_note != N_RUN || n_note2 != 1)
		return check_done();
	snprintf(trees[0], sizeof(trees[0]), "%s/run/devices", dir);
	snprintf(trees[1], sizeof(trees[1]), "%s/run2/devices", dir);

	/* the PVA: a delegated OCSP responder, both runs imported (run2 against 1.0.0's references), on loopback */
	CHECK_INT(pf_issue(pva_ca, OM_CERT_OCSP_RESPONDER, dir, "responder", "PVA OCSP", NULL), 0);
	tampered_import_dir();
	snprintf(pva_db, sizeof(pva_db), "%s/pva.db", dir);
	snprintf(ca_path, sizeof(ca_path), "%s/cas/pva-ca.pem", dir);
	snprintf(rc_path, sizeof(rc_path), "%s/responder.pem", dir);
	snprintf(rk_path, sizeof(rk_path), "%s/responder.key", dir);
	struct pva_config pc = { .db_path = pva_db, .ca_cert = ca_path, .responder_cert = rc_path,
				 .responder_key = rk_path };
	pva = pva_open(&pc, err, sizeof(err));
	CHECK_MSG(pva != NULL, "pva_open: %s", err);
	long nd = 0, nr = 0;
	CHECK_MSG(pva_import_dir(pva, at("run/pva"), &nd, &nr, why, sizeof(why)) == 0, "%s", why);
	CHECK_MSG(pva_import_dir(pva, at("pva2"), &nd, &nr, why, sizeof(why)) == 0, "%s", why);
	struct om_http_server *http = NULL;
	struct om_http_opts ho = { .port = 0 };
	CHECK_INT(om_http_server_new(&http, &ho, err, sizeof(err)), 0);
	CHECK_INT(pva_http_routes(http, pva), 0);
	CHECK_INT(om_http_server_start(http), 0);
	snprintf(ocsp_url, sizeof(ocsp_url), "http://127.0.0.1:%u/", (unsigned)om_http_server_port(http));
	snprintf(pva_url, sizeof(pva_url), "http://127.0.0.1:%u", (unsigned)om_http_server_port(http));

	/* SHO-B: its HSS behind the provisioning socket, its registration core, every device registered */
	snprintf(hss_db, sizeof(hss_db), "%s/hss.db", dir);
	snprintf(sock, sizeof(sock), "%s/hss-sock/prov.sock", dir);
	struct hss_config hc = { .db_path = hss_db };
	hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);
	struct pf_sho b;
	pf_sho_make(&b, "SHO-B");
	sho_key = b.key; /* ours from here on; pf_sho_free releases the rest */
	sho_cert = b.cert;
	b.key = NULL;
	b.cert = NULL;
	pf_sho_free(&b);
	pf_sho_make(&rogue, "SHO-C");
	static const uint8_t op[16] = { 0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
					0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18 };
	snprintf(sho_db, sizeof(sho_db), "%s/sho.db", dir);
	struct sho_config cfg = {
		.db_path = sho_db, .sho_id = "SHO-B", .mcc = "001", .mnc = "02", .msin_first = "0000000001",
		.msin_last = "0000000099", .op = op, .apn = "internet.sho-b", .roaming = "any", .amf = { 0x80, 0x00 },
		.ind_bits = 5, .pva_ca = pva_cert, .ocsp_url = ocsp_url, .hss_socket = sock,
		.sign_key = sho_key, .sign_cert = sho_cert, .provurl = "https://dpf.sho-b.lab/dm",
		.server_id = "sho-b-dpf", .dpf_apn = "prov.sho-b",
	};
	CHECK_MSG(sho_open(&sho, &cfg, why, sizeof(why)) == 0, "sho_open: %s", why);
	CHECK_INT(sho_owner_add(sho, OWNER, SECRET), 0);
	CHECK_INT(sho_register(sho, OWNER, SECRET, note, N_RUN, 0, rep), 0);
	CHECK_INT(sho_register(sho, OWNER, SECRET, note2, 1, 0, rep), 0);

	/* the DPF */
	snprintf(dpf_db, sizeof(dpf_db), "%s/dpf.db", dir);
	struct dpf_config dc = { .db_path = dpf_db, .sho = sho, .sign_key = sho_key, .pva = dpf_pva_http,
				 .pva_ctx = pva_url };
	CHECK_MSG(dpf_open(&dpf, &dc, why, sizeof(why)) == 0, "dpf_open: %s", why);

	if (!check_failures()) {
		test_replayed_m2mmobj();
		test_m2mmobj_signed_by_another_tre();
		test_nonce_a_of_another_handover();
		test_revoked_tre_certificate();
		test_measurement_mismatch();
		test_replayed_m2mmcimmobj();
		test_m2mmcimmobj_signed_by_operator_not_trust_root();
		test_mcim_object_for_another_device();
	}

	dpf_close(dpf);
	sho_close(sho);
	hss_provision_stop();
	hss_close(hss);
	om_http_server_free(http);
	pva_close(pva);
	sho_devices_free(note, (size_t)n_note);
	sho_devices_free(note2, (size_t)n_note2);
	pf_sho_free(&rogue);
	om_ca_free(pva_ca);
	X509_free(pva_cert);
	X509_free(ro_cert);
	X509_free(sho_cert);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(ro_key);
	EVP_PKEY_free(sho_key);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "provisioning_refusal_test: %.1f s\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (!check_failures())
		kit_rm_rf(dir);
	else
		fprintf(stderr, "kept %s for inspection\n", dir);
	return check_done();
}
