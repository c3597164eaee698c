/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's DM session in one process: the factory's TRE, the SHO core
 * (its HSS behind the provisioning socket), the PVA's own code on loopback
 * and the DPF. The device side is written with the same codec (lib/dm) and
 * the TRE: om_tre_dm_digest for the Cred, om_tre_m2mmobj for package 3,
 * om_tre_install_mcim for package 4. A whole session ends with the MCIM
 * installed; a missing or wrong Cred gets the challenge and nothing is
 * released; a replayed package 3 is refused.
 */
#include <sqlite3.h>

#include <openmcim/dm.h>
#include <openmcim/handover.h>
#include <openmcim/tre.h>

#include "dpf.h"
#include "dpf_dm.h"
#include "dpf_testkit.h"
#include "factory.h"
#include "hss_test_util.h"
#include "http_server.h"
#include "log.h"
#include "pki_fixture.h"
#include "provision.h"
#include "pva.h"
#include "pva_http.h"
#include "sho.h"
#include "sho_testkit.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define SERVER TK_SERVER

static char dir[] = "/tmp/om-dpf-dm-test-XXXXXX";
static char path[600];
static struct sho *sho;
static struct dpf *dpf;
static struct dpf_dm *dm;
static X509 *ro_cert, *sho_cert;
static EVP_PKEY *ro_key, *sho_key;
static struct om_dm_msg msg, got;
static uint8_t nonce[64];
static size_t nonce_len;

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static int released(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_open_v2(at("dpf.db"), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM dpf_release", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static const char *state_of(const char *tre_id)
{
	static struct sho_device_status st;
	return sho_status(sho, tre_id, &st) < 0 ? "?" : st.state;
}

/* Encode msg, hand it to the DPF, parse its answer into got (the NextNonce kept). */
static int exchange(uint8_t *wire, size_t *wire_len)
{
	static uint8_t buf[OM_DM_MSG_MAX];
	uint8_t *ans = NULL;
	size_t al = 0;
	int n = om_dm_encode(&msg, buf, sizeof(buf));
	CHECK(n > 0);
	if (n <= 0)
		return n;
	if (wire) {
		memcpy(wire, buf, (size_t)n);
		*wire_len = (size_t)n;
	}
	int rc = dpf_dm_handle(dm, buf, (size_t)n, time(NULL), &ans, &al);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return rc;
	rc = om_dm_parse(ans, al, &got);
	CHECK_INT(rc, 0);
	free(ans);
	if (rc == 0 && got.n_cmds > 0 && got.cmds[0].next_nonce_len > 0 &&
	    got.cmds[0].next_nonce_len <= sizeof(nonce)) {
		memcpy(nonce, got.cmds[0].next_nonce, got.cmds[0].next_nonce_len);
		nonce_len = got.cmds[0].next_nonce_len;
	}
	return rc;
}

static unsigned hdr_status(void)
{
	return tk_hdr_status(&got);
}

static const struct om_dm_cmd *find(enum om_dm_cmd_type t)
{
	return tk_find(&got, t);
}

static void package1(const char *sid, uint32_t msg_id, const char *user, struct om_tre *tre, int cred_kind)
{
	tk_package1(&msg, sid, msg_id, user, tre, cred_kind, nonce, nonce_len);
}

static void package3(const char *sid, uint32_t msg_id, const char *user, uint32_t srv_msg, uint32_t get_cmd,
		     const uint8_t *obj, size_t len)
{
	tk_package3(&msg, sid, msg_id, user, srv_msg, get_cmd, obj, len);
}

static uint32_t add_outcome(const char *value)
{
	return tk_add_outcome(&msg, value);
}

static void whole_session(struct om_tre *tre, const char *tre_id)
{
	static uint8_t obj[OM_MOBJ_MAX], p3[OM_DM_MSG_MAX];
	size_t p3_len = 0;
	uint8_t mid[OM_MCIM_MID_LEN];
	char user[OM_BOOTSTRAP_NAME_MAX + 1], server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	CHECK_INT(om_tre_dm_identity(tre, user, server_id), 0);
	CHECK(!strcmp(user, tre_id));

	/* no Cred: 407 with a challenge */
	package1("S1", 1, user, tre, 0);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	CHECK(got.cmds[0].chal == OM_DM_AUTH_MD5 && got.cmds[0].next_nonce_len == 16);
	CHECK(find(OM_DM_CMD_GET) == NULL);
	uint8_t first[16];
	memcpy(first, nonce, 16);
	om_dm_msg_free(&got);

	/* a wrong password: 401, a fresh nonce, nothing asked, nothing released */
	package1("S1", 2, user, tre, 2);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_UNAUTHORIZED);
	CHECK(got.cmds[0].chal == OM_DM_AUTH_MD5 && memcmp(first, nonce, 16) != 0);
	CHECK(find(OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&got);

	/* a Results pushed without authentication: challenged, not read */
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	package3("S1", 3, user, 2, 4, obj, n > 0 ? (size_t)n : 0);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&got);
	CHECK_INT(released(), 0);
	CHECK(!strcmp(state_of(tre_id), "handover_accepted"));

	/* the TRE's credential over the last nonce: 212 and the Get of ./M2MMobj */
	package1("S1", 4, user, tre, 1);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	const struct om_dm_cmd *g = find(OM_DM_CMD_GET);
	CHECK(g && g->n_items == 1 && !strcmp(g->items[0].target, OM_DM_URI_M2MMOBJ));
	uint32_t srv_msg = got.hdr.msg_id, get_cmd = g ? g->cmd_id : 0;
	om_dm_msg_free(&got);

	/* package 3 -> package 4: the Replace of ./M2MMCIMMobj */
	n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	package3("S1", 5, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	if (exchange(p3, &p3_len) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_OK);
	const struct om_dm_cmd *r = find(OM_DM_CMD_REPLACE);
	CHECK(r && r->n_items == 1 && !strcmp(r->items[0].target, OM_DM_URI_M2MMCIMMOBJ) &&
	      r->items[0].format == OM_DM_FMT_B64);
	CHECK_INT(released(), 1);
	uint8_t mcim[OM_MOBJ_MAX];
	size_t ml = r ? r->items[0].data_len : 0;
	uint32_t rep_msg = got.hdr.msg_id, rep_cmd = r ? r->cmd_id : 0;
	if (r)
		memcpy(mcim, r->items[0].data, ml);
	om_dm_msg_free(&got);

	/* the same package 3 again: refused, nothing more released */
	uint8_t *ans = NULL;
	size_t al = 0;
	CHECK_INT(dpf_dm_handle(dm, p3, p3_len, time(NULL), &ans, &al), 0);
	CHECK_INT(om_dm_parse(ans, al, &got), 0);
	free(ans);
	CHECK_INT(hdr_status(), 403);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&got);
	CHECK_INT(released(), 1);

	/* the TRE installs; its Status 200 reports it: provisioned, session over */
	CHECK_INT(om_tre_install_mcim(tre, mcim, ml, time(NULL), mid), 0);
	tk_install_status(&msg, "S1", 6, user, rep_msg, rep_cmd, OM_DM_STATUS_OK);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_OK);
	CHECK(got.final && find(OM_DM_CMD_REPLACE) == NULL && find(OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&got);
	CHECK(!strcmp(state_of(tre_id), "provisioned"));
	CHECK_INT(dpf_dm_sessions(dm), 0);
	struct om_tre_mid_info m[4];
	CHECK_INT(om_tre_mid_list(tre, "SHO-B", m, 4), 1);

	/* package 3 replayed once the session is closed: a new session, challenged, nothing released */
	CHECK_INT(dpf_dm_handle(dm, p3, p3_len, time(NULL), &ans, &al), 0);
	CHECK_INT(om_dm_parse(ans, al, &got), 0);
	free(ans);
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&got);
	CHECK_INT(released(), 1);

	/* the outcome alert without credentials: challenged, nothing changes */
	package1("S2", 1, user, tre, 0);
	add_outcome("active");
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&got);
	CHECK(!strcmp(state_of(tre_id), "provisioned"));

	/* with them: 212, 200 for both alerts, Final, no Get; the device is active and the session over */
	package1("S2", 2, user, tre, 1);
	uint32_t alert_cmd = add_outcome("active");
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK(got.final && find(OM_DM_CMD_GET) == NULL);
	CHECK_INT(tk_status_for(&got, alert_cmd), OM_DM_STATUS_OK);
	om_dm_msg_free(&got);
	CHECK(!strcmp(state_of(tre_id), "active"));
	CHECK_INT(dpf_completion_count(dpf, "pending"), 1);
	CHECK_INT(dpf_dm_sessions(dm), 1); /* only the replayed package 3's challenged S1 */

	/* not a DM message: no answer */
	CHECK(dpf_dm_handle(dm, (const uint8_t *)"<x/>", 4, time(NULL), &ans, &al) < 0 && ans == NULL);
}

/* ---- the parts (as in dpf_core_test.c) ------------------------------------------ */

/* The PVA's delegated OCSP responder and SHO-B's SHO_SIGNING identity (Cert_SHO[i+1]): tests/pki_fixture.h. */
static void pva_responder(struct om_ca *ca)
{
	CHECK_INT(pf_issue(ca, OM_CERT_OCSP_RESPONDER, dir, "responder", "PVA OCSP", NULL), 0);
}

static void sho_identity(void)
{
	struct pf_sho b;
	pf_sho_make(&b, "SHO-B");
	sho_key = b.key; /* ours from here on; pf_sho_free releases the rest */
	sho_cert = b.cert;
	b.key = NULL;
	b.cert = NULL;
	pf_sho_free(&b);
}

/* The handover requested and accepted, the TRE bootstrapped by the RO with the SHO's sealed credentials. */
static struct om_tre *device_up(const char *tre_id)
{
	struct om_handover_req r;
	struct om_bootstrap b;
	struct om_tre *tre = NULL;
	uint8_t *req = NULL, *xml = NULL, *cert_der = NULL;
	size_t rl = 0, xl = 0, cert_len = 0;
	char tre_dir[700];
	memset(&r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	CHECK_INT(sho_handover_request(sho, OWNER, SECRET, tre_id, "CODE-1234", &req, &rl), 0);
	CHECK_INT(om_handover_verify(req, rl, X509_get0_pubkey(sho_cert), &r), 0);
	CHECK_INT(sho_handover_answer(sho, tre_id, r.request_id, 1, NULL), 0);
	CHECK_INT(om_cert_encode(sho_cert, OM_ENC_DER, &cert_der, &cert_len), 0);
	b.sequence = 1;
	snprintf(b.provurl, sizeof(b.provurl), SERVER);
	snprintf(b.server_id, sizeof(b.server_id), "sho-b-dpf");
	snprintf(b.apn, sizeof(b.apn), "prov.sho-b");
	b.sho_cert = cert_der;
	b.sho_cert_len = cert_len;
	b.creds = r.creds;
	b.creds_len = r.creds_len;
	CHECK_INT(om_bootstrap_build_signed(&b, ro_key, ro_cert, &xml, &xl), 0);
	snprintf(tre_dir, sizeof(tre_dir), "%s/run/devices/%s", dir, tre_id);
	CHECK_INT(om_tre_open(&tre, tre_dir, 0), 0);
	CHECK_INT(om_tre_bootstrap(tre, xml, xl, time(NULL)), 0);
	free(req);
	free(xml);
	om_pki_free(cert_der, cert_len);
	om_handover_free(&r);
	return tre;
}

int main(void)
{
	char why[256], err[256], sock[600], ocsp_url[64], pva_url[64], ca_path[600], rc_path[600], rk_path[600];
	char hss_db[600], sho_db[600], dpf_db[600];
	struct sho_device_in *note = NULL;
	struct sho_row_report rep[2];
	om_log_init("dpf-dm-test", OM_LOG_ERROR);
	if (!mkdtemp(dir))
		return 1;

	/* the factory: CAs and one device */
	CHECK_INT(om_factory_init_cas(at("cas"), "Test PVA", "RO"), 0);
	X509 *pva_cert = NULL;
	EVP_PKEY *pva_key = NULL;
	struct om_ca *pva_ca = NULL;
	CHECK_INT(om_cert_load(&pva_cert, at("cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&pva_key, at("cas/pva-ca.key")), 0);
	CHECK_INT(om_ca_open(&pva_ca, pva_cert, pva_key), 0);
	CHECK_INT(om_cert_load(&ro_cert, at("cas/ro-signing.pem")), 0);
	CHECK_INT(om_key_load(&ro_key, at("cas/ro-signing.key")), 0);
	struct om_factory_config fc = { .pva_ca = pva_ca, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = 1, .jobs = 1 };
	CHECK_INT(om_factory_run(at("run"), &fc, NULL), 0);
	int n_note = sho_note_read(at("run/owner/delivery-note.csv"), &note, why, sizeof(why));
	CHECK_MSG(n_note == 1, "%d: %s", n_note, why);
	if (n_note != 1)
		return check_done();

	/* the PVA, served on loopback */
	pva_responder(pva_ca);
	snprintf(ca_path, sizeof(ca_path), "%s/cas/pva-ca.pem", dir);
	snprintf(rc_path, sizeof(rc_path), "%s/responder.pem", dir);
	snprintf(rk_path, sizeof(rk_path), "%s/responder.key", dir);
	struct pva_config pc = { .db_path = strdup(at("pva.db")), .ca_cert = ca_path, .responder_cert = rc_path,
				 .responder_key = rk_path };
	struct pva *pva = pva_open(&pc, err, sizeof(err));
	CHECK_MSG(pva != NULL, "pva_open: %s", err);
	long nd = 0, nr = 0;
	CHECK_INT(pva_import_dir(pva, at("run/pva"), &nd, &nr, why, sizeof(why)), 0);
	struct om_http_server *http = NULL;
	struct om_http_opts ho = { .port = 0 };
	CHECK_INT(om_http_server_new(&http, &ho, err, sizeof(err)), 0);
	CHECK_INT(pva_http_routes(http, pva), 0);
	CHECK_INT(om_http_server_start(http), 0);
	snprintf(ocsp_url, sizeof(ocsp_url), "http://127.0.0.1:%u/", (unsigned)om_http_server_port(http));
	snprintf(pva_url, sizeof(pva_url), "http://127.0.0.1:%u", (unsigned)om_http_server_port(http));

	/* the SHO with its HSS, the device registered */
	snprintf(hss_db, sizeof(hss_db), "%s/hss.db", dir);
	snprintf(sock, sizeof(sock), "%s/hss-sock/prov.sock", dir);
	struct hss_config hc = { .db_path = hss_db };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);
	sho_identity();
	static const uint8_t op[16] = { 0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
					0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18 };
	snprintf(sho_db, sizeof(sho_db), "%s/sho.db", dir);
	struct sho_config cfg = {
		.db_path = sho_db, .sho_id = "SHO-B", .mcc = "001", .mnc = "02", .msin_first = "0000000001",
		.msin_last = "0000000099", .op = op, .apn = "internet.sho-b", .roaming = "any", .amf = { 0x80, 0x00 },
		.ind_bits = 5, .pva_ca = pva_cert, .ocsp_url = ocsp_url, .hss_socket = sock,
		.sign_key = sho_key, .sign_cert = sho_cert, .provurl = SERVER,
		.server_id = "sho-b-dpf", .dpf_apn = "prov.sho-b",
	};
	CHECK_MSG(sho_open(&sho, &cfg, why, sizeof(why)) == 0, "sho_open: %s", why);
	CHECK_INT(sho_owner_add(sho, OWNER, SECRET), 0);
	CHECK_INT(sho_register(sho, OWNER, SECRET, note, 1, 0, rep), 0);

	/* the DPF and its DM side */
	snprintf(dpf_db, sizeof(dpf_db), "%s/dpf.db", dir);
	struct drf *drf = NULL;
	struct drf_config rc_ = { .db_path = at("drf-b.db") };
	CHECK_MSG(drf_open(&drf, &rc_, why, sizeof(why)) == 0, "drf_open: %s", why);
	struct dpf_config dc = { .db_path = dpf_db, .sho = sho, .sign_key = sho_key, .pva = dpf_pva_http,
				 .pva_ctx = pva_url, .drf = drf };
	CHECK_MSG(dpf_open(&dpf, &dc, why, sizeof(why)) == 0, "dpf_open: %s", why);
	struct dpf_dm_config mc = { .dpf = dpf, .sho = sho, .server_uri = SERVER, .max_sessions = 4 };
	CHECK_INT(dpf_dm_new(&dm, &mc), 0);

	if (dpf && dm) {
		struct om_tre *tre = device_up(note[0].tre_id);
		if (tre)
			whole_session(tre, note[0].tre_id);
		om_tre_close(tre);
	}

	dpf_dm_free(dm);
	dpf_close(dpf);
	drf_close(drf);
	sho_close(sho);
	hss_provision_stop();
	hss_close(hss);
	om_http_server_free(http);
	pva_close(pva);
	free((void *)pc.db_path);
	sho_devices_free(note, (size_t)n_note);
	om_ca_free(pva_ca);
	X509_free(pva_cert);
	X509_free(ro_cert);
	X509_free(sho_cert);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(ro_key);
	EVP_PKEY_free(sho_key);
	kit_rm_rf(dir);
	return check_done();
}
