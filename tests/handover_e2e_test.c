/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Change of operator end to end (spec/002 B.2.3.1-B.2.3.3), real processes
 * on loopback. A factory run whose RO is the current operator SHO-A (its
 * SHO_SIGNING certificate is the devices' Cert_SHO[0]); SHO-A's HSS
 * (openmcim-hss, the factory's PCID file imported with `openmcim
 * hss-admin`), a VNO (openmcim-vno, push endpoint with mutual TLS) and
 * SHO-A's DRF (openmcim-drf, register filled with `openmcim drf-admin`);
 * SHO-B's registration daemon (openmcim-sho) with its HSS in this process
 * and `openssl ocsp` as the PVA's responder. Two devices, each its TRE
 * opened from the factory's output, attach with their PCID through the VNO,
 * the TRE answering AKA, and hand every push to the TRE.
 *
 * The owner registers the fleet at SHO-B with the delivery note, gets a
 * transfer code from SHO-A and asks SHO-B to take device 1 over: accepted;
 * SHO-A's DRF pushes the bootstrap through the VNO; the TRE accepts it and
 * now trusts SHO-B, with the sequence the DRF recorded. Then the owner asks
 * for device 2 with a wrong code: SHO-A refuses with its reason, the DRF's
 * register is unchanged row for row, nothing is pushed, neither TRE moves.
 */
#include "sho_testkit.h"

#include <openmcim/radio.h>
#include <openmcim/tre.h>

#include "agent.h"
#include "daemon_util.h"
#include "drf_int.h"
#include "factory.h"
#include "hss.h"
#include "pki_fixture.h"
#include "provision.h"
#include "sho.h"
#include "store.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define N_DEV 2
#define TIMEOUT_MS 10000

static char dir[] = "/tmp/om-handover-e2e-XXXXXX";
static char path[600], bin_dir[512], cli[600];

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* ---- daemons ------------------------------------------------------------- */

/* Start openmcim-<role> -c <role>.conf, stderr into <role>.log. */
static pid_t spawn(const char *role)
{
	char exe[600], conf[600], log[600];
	snprintf(exe, sizeof(exe), "%s/openmcim-%s", bin_dir, role);
	snprintf(conf, sizeof(conf), "%s/%s.conf", dir, role);
	snprintf(log, sizeof(log), "%s/%s.log", dir, role);
	return du_spawn_daemon(exe, conf, log, 0);
}

/* Wait for needle in <role>.log, then read the number after " port=" from it; 0 if it never came. */
static unsigned log_port(const char *role, const char *needle)
{
	char log[600];
	snprintf(log, sizeof(log), "%s/%s.log", dir, role);
	unsigned port = du_log_port(log, needle, TIMEOUT_MS);
	CHECK_MSG(port != 0, "openmcim-%s did not log '%s' with a port; see %s", role, needle, log);
	return port;
}

/* SIGTERM, and the daemon must exit 0. */
static void stop(pid_t pid, const char *role)
{
	if (pid <= 0)
		return;
	int st = du_stop_daemon(pid, SIGTERM);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "openmcim-%s: wait status %d", role, st);
}

static void dump(const char *rel)
{
	size_t n = 0;
	char *s = (char *)check_slurp(at(rel), &n);
	fprintf(stderr, "---- %s ----\n%s\n", rel, s ? s : "(none)");
	free(s);
}

/* `openmcim args...`: exit status, stdout (and stderr) into out. */
static int om_cli(const char *const *args, char *out, size_t cap)
{
	const char *argv[16] = { cli };
	size_t n = 1;
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	return du_run(argv, 1, out, cap);
}

/* ---- SHO-B's signing identity ------------------------------------------- */

/* SHO-B's SHO_SIGNING certificate (its Cert_SHO[i+1]) under its own root, as sho-b-signing.{pem,key}. */
static void sho_b_identity(void)
{
	EVP_PKEY *root_key = NULL, *key = NULL;
	struct om_ca *root = kit_ca("SHO-B root", &root_key);
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct om_issue iss = { .profile = OM_CERT_SHO_SIGNING, .cn = "SHO-B" };
	CHECK_INT(om_key_generate(&key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_csr_create(&csr, key, "SHO-B", NULL), 0);
	CHECK_INT(om_ca_issue(root, csr, &iss, &cert), 0);
	CHECK_INT(om_cert_save(at("sho-b-signing.pem"), cert), 0);
	CHECK_INT(om_key_save(at("sho-b-signing.key"), key), 0);
	X509_REQ_free(csr);
	X509_free(cert);
	EVP_PKEY_free(key);
	om_ca_free(root);
	EVP_PKEY_free(root_key);
}

/* ---- the device: TRE, radio link, push handler ----------------------------- */

struct device {
	char tre_id[OM_TRE_ID_MAX + 1];
	struct om_tre *tre;
	struct om_tre_mid_info pcid;
	struct om_radio_link link;
	int attached, pushes, bootstrap_rc;
};

/* B.2.3.3: the pushed document goes to the TRE as it came. */
static int on_push(void *arg, const uint8_t *doc, size_t len)
{
	struct device *d = arg;
	d->pushes++;
	d->bootstrap_rc = om_tre_bootstrap(d->tre, doc, len, time(NULL));
	return d->bootstrap_rc;
}

static void device_attach(struct device *d, unsigned radio_port)
{
	struct om_radio_attach_result r;
	char p[600];
	snprintf(p, sizeof(p), "%s/run/devices/%.*s", dir, OM_TRE_ID_MAX, d->tre_id);
	CHECK_INT(om_tre_open(&d->tre, p, 0), 0);
	if (!d->tre)
		return;
	CHECK_INT(om_tre_active(d->tre, &d->pcid), 0);
	CHECK(d->pcid.is_pcid);
	CHECK_INT(om_radio_link_connect(&d->link, "127.0.0.1", (uint16_t)radio_port), 0);
	om_radio_ue_on_push(&d->link, on_push, d);
	CHECK_INT(om_radio_ue_attach(&d->link, d->pcid.imsi, d->pcid.apn, om_agent_tre_aka, d->tre, TIMEOUT_MS, &r),
		  0);
	d->attached = r.auth_rounds >= 1 && !check_failures();
	CHECK_MSG(d->attached, "%s did not attach with its PCID %s", d->tre_id, d->pcid.imsi);
}

static void device_close(struct device *d)
{
	if (d->attached)
		CHECK_INT(om_radio_ue_detach(&d->link, d->pcid.imsi, TIMEOUT_MS), 0);
	if (d->link.fd >= 0)
		om_radio_link_close(&d->link);
	om_tre_close(d->tre);
}

/* ---- the owner, with curl ------------------------------------------------- */

static unsigned sho_port;

/* An owner's call over HTTPS with HTTP Basic; body file rel (NULL: none). The answer into out; the status or -1. */
static int owner_call(const char *method, const char *url_path, const char *rel, char *out, size_t cap)
{
	char url[256], resolve[64], data[700], ca[600], raw[8192];
	snprintf(url, sizeof(url), "https://localhost:%u%s", sho_port, url_path);
	snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1", sho_port);
	snprintf(data, sizeof(data), "@%s", rel ? at(rel) : "/dev/null");
	snprintf(ca, sizeof(ca), "%s", at("tls/ca.pem"));
	/* a change carries a type no form can send (docs/sho.md): the note as text/csv, a code as bytes */
	const char *type = !strncmp(url_path, "/handover/", 10) ? "Content-Type: application/octet-stream"
								 : "Content-Type: text/csv";
	const char *argv[] = { "curl", "-s", "--max-time", "20", "--cacert", ca, "--resolve", resolve, "-w",
			       "\n%{http_code}", "-X", method, "-u", OWNER ":" SECRET, "-H", type, url,
			       rel ? "--data-binary" : NULL, data, NULL };
	if (du_run(argv, 0, raw, sizeof(raw)) != 0)
		return -1;
	char *nl = strrchr(raw, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	snprintf(out, cap, "%s", raw);
	return atoi(nl + 1);
}

/* ---- SHO-A's register, row for row ----------------------------------------- */

static char *drf_snapshot(void)
{
	static const char *q[] = {
		"SELECT group_concat(tre_id || imsi || lock_until || sequence || ours, ';') FROM device",
		"SELECT group_concat(id || coalesce(used_by, '-') || coalesce(used_request, '-'), ';') FROM transfer_code",
		"SELECT count(*) || group_concat(request_id || state || sequence || length(bootstrap), ';') FROM handover",
		"SELECT count(*) || group_concat(imsi || due || coalesce(done, '-'), ';') FROM removal",
		"SELECT group_concat(sho_id, ';') FROM operator",
	};
	char err[256], db[600];
	struct drf *d = NULL;
	snprintf(db, sizeof(db), "%s", at("drf.db"));
	struct drf_config cfg = { .db_path = db };
	CHECK_MSG(drf_open(&d, &cfg, err, sizeof(err)) == 0, "%s", err);
	char *out = calloc(1, 8192);
	for (size_t i = 0; d && out && i < sizeof(q) / sizeof(q[0]); i++) {
		struct om_stmt *st = NULL;
		CHECK_INT(om_stmt_prepare(d->db, q[i], &st), 0);
		CHECK_INT(om_stmt_step(st), OM_STORE_ROW);
		const char *t = om_stmt_col_text(st, 0);
		strncat(out, t ? t : "-", 8192 - strlen(out) - 2);
		strcat(out, "|");
		om_stmt_finalize(st);
	}
	drf_close(d);
	return out;
}

/* `drf-admin status TRE_ID` line's value of key (e.g. "sequence="), or -1. */
static long drf_status_value(const char *tre_id, const char *key)
{
	char out[1024], sock[600];
	snprintf(sock, sizeof(sock), "%s", at("drf/admin.sock"));
	const char *args[] = { "drf-admin", "--socket", sock, "status", tre_id, NULL };
	if (om_cli(args, out, sizeof(out)) != 0)
		return -1;
	const char *p = strstr(out, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- setting the scene ----------------------------------------------------- */

/* The factory: SHO-A is the RO; N_DEV devices pin its SHO_SIGNING certificate. */
static void factory(void)
{
	X509 *pva_cert = NULL, *ro_cert = NULL;
	EVP_PKEY *pva_key = NULL;
	struct om_ca *pva = NULL;
	CHECK_INT(om_factory_init_cas(at("cas"), "PVA-1", "SHO-A"), 0);
	CHECK_INT(om_cert_load(&pva_cert, at("cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&pva_key, at("cas/pva-ca.key")), 0);
	CHECK_INT(om_cert_load(&ro_cert, at("cas/ro-signing.pem")), 0);
	CHECK_INT(om_ca_open(&pva, pva_cert, pva_key), 0);
	struct om_factory_config fc = { .pva_ca = pva, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = N_DEV, .jobs = 1 };
	CHECK_INT(om_factory_run(at("run"), &fc, NULL), 0);
	kit_save_ca(dir, pva, pva_key, "pva");
	om_ca_free(pva);
	X509_free(pva_cert);
	X509_free(ro_cert);
	EVP_PKEY_free(pva_key);
}

/*
 * From the delivery note: the PVA's status list for `openssl ocsp` (every
 * certificate good) and each device's TRE_ENCRYPTION certificate as
 * enc-<TRE_id>.pem for drf-admin. The TRE_ids into ids.
 */
static int note_files(char ids[N_DEV][OM_TRE_ID_MAX + 1])
{
	struct sho_device_in *note = NULL;
	char why[256], p[600];
	int n = sho_note_read(at("run/owner/delivery-note.csv"), &note, why, sizeof(why));
	CHECK_MSG(n == N_DEV, "%d: %s", n, why);
	FILE *f = fopen(at("index.txt"), "w");
	CHECK(f != NULL);
	for (int i = 0; f && i < n && i < N_DEV; i++) {
		X509 *s = NULL, *e = NULL;
		CHECK_INT(om_cert_decode(&s, OM_ENC_DER, note[i].cert_sign, note[i].cert_sign_len), 0);
		CHECK_INT(om_cert_decode(&e, OM_ENC_DER, note[i].cert_enc, note[i].cert_enc_len), 0);
		kit_index_line(f, s, 'V');
		kit_index_line(f, e, 'V');
		snprintf(p, sizeof(p), "%s/enc-%s.pem", dir, note[i].tre_id);
		CHECK_INT(om_cert_save(p, e), 0);
		snprintf(ids[i], OM_TRE_ID_MAX + 1, "%s", note[i].tre_id);
		CHECK(!strcmp(note[i].current_sho, "SHO-A"));
		X509_free(s);
		X509_free(e);
	}
	if (f)
		fclose(f);
	kit_write(dir, "index.txt.attr", "unique_subject = no\n");
	if (n > 0)
		sho_devices_free(note, (size_t)n);
	return n;
}

/* SHO-A's HSS as a process, the factory's PCIDs imported through its socket. */
static pid_t start_hss(unsigned hss_port)
{
	char text[2048], out[512];
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s/hss.db\nprovision_socket = %s/prov/hss.sock\nrun_dir = %s/hss\nlog_level = info\n"
		 "[diameter]\nidentity = hss.sho-a.lab\nrealm = epc.mnc001.mcc001.3gppnetwork.org\nlisten = 127.0.0.1\n"
		 "port = %u\npeers = mme.vno.lab\ntls = off\ndict_dir = %s\n",
		 dir, dir, dir, hss_port, du_fd_ext_dir());
	CHECK_INT(du_write_file(at("hss.conf"), text), 0);
	pid_t pid = spawn("hss");
	int ok = 0;
	for (int i = 0; i < 200 && !ok; i++, du_nap_ms(50))
		ok = access(at("prov/hss.sock"), F_OK) == 0;
	CHECK_MSG(ok, "openmcim-hss did not open its provisioning socket");
	char sock[600], file[600];
	snprintf(sock, sizeof(sock), "%s", at("prov/hss.sock"));
	snprintf(file, sizeof(file), "%s", at("run/ro/pcid-credentials.csv"));
	const char *args[] = { "hss-admin", "--socket", sock, "import", file, "apn=" OM_FACTORY_DEFAULT_APN,
			       "roaming=any", NULL };
	int rc = ok ? om_cli(args, out, sizeof(out)) : -1;
	CHECK_MSG(rc == 0, "hss-admin import: %d %s", rc, out);
	return pid;
}

/* The VNO: home network 001-01 is SHO-A's HSS; the push endpoint with mutual TLS. */
static pid_t start_vno(unsigned radio_port, unsigned vno_dia, unsigned hss_port, unsigned *push_port)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/24\nrun_dir = %s/vno\n"
		 "log_level = info\n"
		 "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:%u\ntls = off\n"
		 "[home.00101]\npeer = hss.sho-a.lab\naddress = 127.0.0.1:%u\npush_cert = %s/tls/drf.sho-a.lab.pem\n"
		 "[apn." OM_FACTORY_DEFAULT_APN "]\nallow = 127.0.0.1:8443\n"
		 "[push]\nlisten = 127.0.0.1\nport = 0\ntls_cert = %s/tls/push.vno.lab.pem\n"
		 "tls_key = %s/tls/push.vno.lab.key\nclient_ca = %s/tls/ca.pem\n",
		 radio_port, dir, vno_dia, hss_port, dir, dir, dir, dir);
	CHECK_INT(du_write_file(at("vno.conf"), text), 0);
	pid_t pid = spawn("vno");
	*push_port = log_port("vno", "push-listen");
	int ok = 0;
	for (int i = 0; i < 200 && !ok; i++) {
		struct om_radio_link l;
		if (om_radio_link_connect(&l, "127.0.0.1", (uint16_t)radio_port) == 0) {
			om_radio_link_close(&l);
			ok = 1;
		} else {
			du_nap_ms(50);
		}
	}
	CHECK_MSG(ok, "openmcim-vno did not open its radio port");
	return pid;
}

/* SHO-A's DRF: its devices (PCID as current IMSI), SHO-B as an operator, push through the VNO. */
static pid_t start_drf(char ids[N_DEV][OM_TRE_ID_MAX + 1], unsigned push_port, unsigned *drf_port)
{
	char out[512], db[600], enc[600], imsi[32], sign[600], text[4096], sock[600];
	snprintf(db, sizeof(db), "%s", at("drf.db"));
	snprintf(sock, sizeof(sock), "%s", at("drf/admin.sock"));
	snprintf(text, sizeof(text),
		 "[drf]\ndb = %s\nsho_id = SHO-A\n"
		 "signing_key = %s/cas/ro-signing.key\nsigning_cert = %s/cas/ro-signing.pem\n"
		 "tls_cert = %s/tls/drf.sho-a.lab.pem\ntls_key = %s/tls/drf.sho-a.lab.key\n"
		 "client_ca = %s/tls/ca.pem\npeers = SHO-B:sho-b.lab\npeer_certs = SHO-B:%s/tls/sho-b.lab.pem\n"
		 "listen = 127.0.0.1\nport = 0\n"
		 "push_url = https://localhost:%u\npush_ca = %s/tls/ca.pem\n"
		 "push_cert = %s/tls/drf.sho-a.lab.pem\npush_key = %s/tls/drf.sho-a.lab.key\n"
		 "push_retry_min = 1\npush_retry_max = 2\nlog_level = debug\nadmin_socket = %s\n",
		 db, dir, dir, dir, dir, dir, dir, push_port, dir, dir, dir, sock);
	CHECK_INT(du_write_file(at("drf.conf"), text), 0);
	pid_t pid = spawn("drf");
	*drf_port = log_port("drf", " started ");
	/* the operator fills the register through the running DRF's admin socket, never its file */
	for (int i = 0; i < N_DEV; i++) {
		snprintf(enc, sizeof(enc), "%s/enc-%s.pem", dir, ids[i]);
		snprintf(imsi, sizeof(imsi), "0010100000000%02d", i + 1); /* the factory's PCIDs, in order */
		const char *add[] = { "drf-admin", "--socket", sock, "device", "add", ids[i], imsi, enc, OWNER, NULL };
		CHECK_MSG(om_cli(add, out, sizeof(out)) == 0, "device add: %s", out);
	}
	snprintf(sign, sizeof(sign), "%s", at("sho-b-signing.pem"));
	const char *op[] = { "drf-admin", "--socket", sock, "operator", "add", "SHO-B", sign, NULL };
	CHECK_MSG(om_cli(op, out, sizeof(out)) == 0, "operator add: %s", out);
	return pid;
}

/* SHO-B's registration daemon: one owner; its HSS's socket; SHO-A's DRF as the peer. */
static pid_t start_sho(const char *hss_sock, int ocsp_port, unsigned drf_port)
{
	struct sho *s = NULL;
	char why[256], db[600], text[4096];
	snprintf(db, sizeof(db), "%s", at("sho.db"));
	struct sho_config oc = { .db_path = db };
	CHECK_MSG(sho_open(&s, &oc, why, sizeof(why)) == 0, "%s", why);
	if (s) {
		CHECK_INT(sho_owner_add(s, OWNER, SECRET), 0);
		sho_close(s);
	}
	snprintf(text, sizeof(text),
		 "[sho]\ndb = %s\nid = SHO-B\n"
		 "[imsi]\nmcc = 001\nmnc = 02\nmsin_first = 0000000001\nmsin_last = 0000000099\n"
		 "[subscription]\nop = cdc202d5123e20f62b6d676ac72cb318\napn = internet.sho-b\nroaming = any\n"
		 "[pva]\nca = %s/pva.pem\nocsp_url = http://127.0.0.1:%d/\n[hss]\nsocket = %s\n"
		 "[handover]\nsign_key = %s/sho-b-signing.key\nsign_cert = %s/sho-b-signing.pem\n"
		 "provurl = https://dpf.sho-b.lab/dm\nserver_id = sho-b-dpf\ndpf_apn = prov.sho-b\n"
		 "[daemon]\nport = 0\ntls_cert = %s/tls/owners.sho-b.lab.pem\ntls_key = %s/tls/owners.sho-b.lab.key\n"
		 "operator_cert = %s/tls/sho-b.lab.pem\noperator_key = %s/tls/sho-b.lab.key\n"
		 "peer_timeout = 5000\nspool = %s\nlog_level = debug\n"
		 "[peer.SHO-A]\nurl = https://localhost:%u\nca = %s/tls/ca.pem\n",
		 db, dir, ocsp_port, hss_sock, dir, dir, dir, dir, dir, dir, dir, drf_port, dir);
	CHECK_INT(du_write_file(at("sho.conf"), text), 0);
	chmod(at("sho.conf"), 0600); /* it holds OP */
	pid_t pid = spawn("sho");
	sho_port = log_port("sho", " started ");
	return pid;
}

/* ---- the change of operator ------------------------------------------------- */

static void owner_moves_device_1(struct device *dev)
{
	char out[8192], db[600], code[64], url[128], want[128];
	struct om_tre_status ts;

	/* B.2.3.1: the owner registers the fleet at SHO-B with the factory's delivery note */
	CHECK_INT(owner_call("POST", "/register", "run/owner/delivery-note.csv", out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, ",registered,00102") != NULL, "register: %s", out);

	/* the owner's consent: a transfer code from the current SHO, SHO-A */
	snprintf(db, sizeof(db), "%s", at("drf/admin.sock"));
	const char *tc[] = { "drf-admin", "--socket", db, "transfer-code", dev[0].tre_id, NULL };
	CHECK_INT(om_cli(tc, code, sizeof(code)), 0);
	code[strcspn(code, "\n")] = '\0';
	CHECK_INT(strlen(code), DRF_CODE_TEXT_LEN);
	CHECK_INT(du_write_file(at("right.code"), code), 0);
	CHECK_INT(drf_status_value(dev[0].tre_id, "codes_unused="), 1);

	/* B.2.3.2: SHO-B asks SHO-A; SHO-A accepts */
	snprintf(url, sizeof(url), "/handover/%s", dev[0].tre_id);
	CHECK_INT(owner_call("POST", url, "right.code", out, sizeof(out)), 200);
	snprintf(want, sizeof(want), "result=accepted tre_id=%s request_id=", dev[0].tre_id);
	CHECK_MSG(!strncmp(out, want, strlen(want)), "handover: %s", out);

	/* B.2.3.3: the bootstrap through the VNO; the TRE accepts it and trusts SHO-B */
	CHECK_INT(om_radio_ue_wait_push(&dev[0].link, TIMEOUT_MS), 0);
	CHECK_INT(dev[0].pushes, 1);
	CHECK_INT(dev[0].bootstrap_rc, 0);
	CHECK_INT(om_tre_status(dev[0].tre, &ts), 0);
	CHECK_MSG(!strcmp(ts.trust_root_cn, "SHO-B"), "trust root %s", ts.trust_root_cn);
	CHECK(ts.session == 1);
	long seq = drf_status_value(dev[0].tre_id, "sequence=");
	CHECK(seq > 0);
	CHECK_INT(ts.bootstrap_sequence, (uint32_t)seq);
	CHECK_INT(drf_status_value(dev[0].tre_id, "handovers="), 1);
	CHECK_INT(drf_status_value(dev[0].tre_id, "codes_unused="), 0);
	char status_path[128];
	snprintf(status_path, sizeof(status_path), "/status/%s", dev[0].tre_id);
	CHECK_INT(owner_call("GET", status_path, NULL, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "state=handover_accepted\n") != NULL, "status: %s", out);
	char *log = du_wait_log(at("drf.log"), "result=delivered", TIMEOUT_MS);
	CHECK_MSG(log != NULL, "the DRF never logged the delivery");
	CHECK_MSG(log && !strstr(log, code), "the transfer code reached the DRF's log");
	free(log);
	log = (char *)check_slurp(at("sho.log"), &(size_t){ 0 });
	CHECK_MSG(log && !strstr(log, code) && !strstr(log, SECRET), "a secret reached SHO-B's log");
	free(log);
	/* no second push: the VNO took it (202) */
	CHECK_INT(om_radio_ue_wait_push(&dev[0].link, 1500), OM_ERADIO_TIMEOUT);
}

static void wrong_code_changes_nothing(struct device *dev)
{
	char out[8192], url[128];
	struct om_tre_status before[N_DEV], after[N_DEV];
	for (int i = 0; i < N_DEV; i++)
		CHECK_INT(om_tre_status(dev[i].tre, &before[i]), 0);
	char *reg_before = drf_snapshot();

	CHECK_INT(du_write_file(at("wrong.code"), "0000-0000-0000-0000\n"), 0);
	snprintf(url, sizeof(url), "/handover/%s", dev[1].tre_id);
	CHECK_INT(owner_call("POST", url, "wrong.code", out, sizeof(out)), 409);
	CHECK_MSG(strstr(out, "result=refused") && strstr(out, "reason=OM_EDRF_CODE\n"), "wrong code: %s", out);
	snprintf(url, sizeof(url), "/status/%s", dev[1].tre_id);
	CHECK_INT(owner_call("GET", url, NULL, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "state=refused\n") && strstr(out, "reason=OM_EDRF_CODE\n"), "status: %s", out);

	/* nothing pushed, to either device; neither TRE moved; SHO-A's register as it was */
	CHECK_INT(om_radio_ue_wait_push(&dev[1].link, 1500), OM_ERADIO_TIMEOUT);
	CHECK_INT(om_radio_ue_wait_push(&dev[0].link, 100), OM_ERADIO_TIMEOUT);
	CHECK_INT(dev[1].pushes, 0);
	for (int i = 0; i < N_DEV; i++) {
		CHECK_INT(om_tre_status(dev[i].tre, &after[i]), 0);
		CHECK_MSG(!memcmp(&before[i], &after[i], sizeof(after[i])), "%s changed", dev[i].tre_id);
	}
	CHECK(!strcmp(after[1].trust_root_cn, "SHO-A") && after[1].bootstrap_sequence == 0);
	char *reg_after = drf_snapshot();
	CHECK_MSG(reg_before && reg_after && !strcmp(reg_before, reg_after), "register changed:\n%s\n%s",
		  reg_before, reg_after);
	free(reg_before);
	free(reg_after);
	char want[160];
	snprintf(want, sizeof(want), "drf-handover-refused sender=SHO-B request=");
	char *log = du_wait_log(at("drf.log"), want, 2000);
	snprintf(want, sizeof(want), "tre_id=%.*s reason=code-wrong code=OM_EDRF_CODE", OM_TRE_ID_MAX, dev[1].tre_id);
	CHECK_MSG(log && strstr(log, want), "the DRF did not log the refusal with its reason");
	free(log);
}

int main(void)
{
	struct device dev[N_DEV];
	char ids[N_DEV][OM_TRE_ID_MAX + 1], err[256], sock[600], hss_db[600];
	pid_t hss = -1, vno = -1, drf = -1, sho = -1, ocsp = -1;
	struct hss *hss_b = NULL;
	struct om_ca *lab = NULL;
	EVP_PKEY *lab_key = NULL;
	time_t t0 = time(NULL);

	signal(SIGPIPE, SIG_IGN);
	memset(dev, 0, sizeof(dev));
	for (int i = 0; i < N_DEV; i++)
		dev[i].link.fd = -1;
	const char *env = getenv("OM_CLI");
	CHECK_MSG(env != NULL, "OM_CLI not set (run through ctest)");
	CHECK_MSG(system("curl --version >/dev/null 2>&1") == 0, "curl is missing: apt-get install -y curl");
	CHECK(mkdtemp(dir) != NULL);
	if (check_failures())
		return check_done();
	snprintf(cli, sizeof(cli), "%s", env);
	snprintf(bin_dir, sizeof(bin_dir), "%s", env);
	*strrchr(bin_dir, '/') = '\0';

	factory();
	sho_b_identity();
	CHECK_INT(mkdir(at("tls"), 0700), 0);
	lab = kit_ca("Lab operators root", &lab_key);
	CHECK_INT(om_cert_save(at("tls/ca.pem"), om_ca_cert(lab)), 0);
	char tls_dir[600];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", dir);
	pf_issue_tls(lab, tls_dir, "drf.sho-a.lab", "localhost"); /* SHO-A's DRF: server to SHO-B, client to the VNO */
	pf_issue_tls(lab, tls_dir, "sho-b.lab", "localhost");     /* SHO-B towards SHO-A's DRF */
	pf_issue_tls(lab, tls_dir, "owners.sho-b.lab", "localhost"); /* SHO-B's owner API */
	pf_issue_tls(lab, tls_dir, "push.vno.lab", "localhost"); /* the VNO's push endpoint */
	if (note_files(ids) != N_DEV || check_failures())
		goto out;
	int ocsp_port = 0;
	ocsp = kit_ocsp_start(dir, "pva.pem", "pva.key", "pva.pem", &ocsp_port);

	/* SHO-B's HSS, in this process, with its provisioning socket */
	snprintf(sock, sizeof(sock), "%s", at("hss-b/prov.sock"));
	snprintf(hss_db, sizeof(hss_db), "%s", at("hss-b.db"));
	struct hss_config hc = { .db_path = hss_db };
	hss_b = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss_b != NULL, "%s", err);
	CHECK_MSG(hss_b && hss_provision_start(hss_b, sock, err, sizeof(err)) == 0, "%s", err);

	unsigned hss_port = du_free_port(), vno_dia = du_free_port(), radio_port = du_free_port(), push_port = 0,
		 drf_port = 0;
	CHECK(hss_port && vno_dia && radio_port && hss_port != vno_dia && vno_dia != radio_port &&
	      radio_port != hss_port);
	hss = start_hss(hss_port);
	if (check_failures())
		goto out;
	vno = start_vno(radio_port, vno_dia, hss_port, &push_port);
	if (check_failures())
		goto out;
	drf = start_drf(ids, push_port, &drf_port);
	if (check_failures())
		goto out;
	sho = start_sho(sock, ocsp_port, drf_port);
	if (check_failures())
		goto out;

	for (int i = 0; i < N_DEV; i++) {
		snprintf(dev[i].tre_id, sizeof(dev[i].tre_id), "%.*s", OM_TRE_ID_MAX, ids[i]);
		device_attach(&dev[i], radio_port);
	}
	if (!check_failures())
		owner_moves_device_1(dev);
	if (!check_failures())
		wrong_code_changes_nothing(dev);
	for (int i = 0; i < N_DEV; i++)
		device_close(&dev[i]);

out:
	stop(sho, "sho");
	stop(drf, "drf");
	stop(vno, "vno");
	stop(hss, "hss");
	kit_ocsp_stop(ocsp);
	if (hss_b) {
		hss_provision_stop();
		hss_close(hss_b);
	}
	om_ca_free(lab);
	EVP_PKEY_free(lab_key);
	if (check_failures()) {
		dump("hss.log");
		dump("vno.log");
		dump("drf.log");
		dump("sho.log");
		fprintf(stderr, "(kept %s)\n", dir);
	} else {
		du_rm_rf(dir);
	}
	printf("handover end to end: %lld s\n", (long long)(time(NULL) - t0));
	return check_done();
}
