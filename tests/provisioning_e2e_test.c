/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 6 "Must show" 1: provisioning and a change of operator end to end,
 * every daemon of the lab running on loopback (lab/lab_topology.h), the
 * device agent (om_agent_run) driving each factory TRE.
 *
 * Case 1, device 0: the owner registers it at SHO-A (current SHO: the RO);
 * the device powers on and attaches with its PCID (AKA at the RO's ICF); the
 * owner gets a transfer code from the RO and asks SHO-A; the RO's DRF pushes
 * the bootstrap; the DM session with SHO-A's DPF; the MCIM installed and
 * activated; the attach with SHO-A's IMSI (AKA at SHO-A's HSS); `active`
 * reported; confirmed. Then the owner registers it at SHO-B (current SHO:
 * SHO-A), a code from SHO-A, the handover to SHO-B, the attach at SHO-B, and
 * SHO-A's DRF removes the SHO-A IMSI from SHO-A's HSS after its grace period.
 *
 * Case 2, device 1: provisioned at SHO-A as above; then, once the device
 * installed SHO-B's MCIM (its subscription live since SHO-B's DPF released
 * it: requirement A), SHO-B's HSS is killed, so SHO-B's network cannot be
 * reached: the device cannot attach with it before the Note Y deadline, falls back and
 * attaches at SHO-A again; SHO-A's subscription stays (after the grace
 * period too).
 *
 * Case 3, a tampered device (firmware 1.0.1, the PVA's references are
 * 1.0.0's): the DPF refuses its M2MMobj, the agent ends REFUSED with the
 * TRE as before the bootstrap (PCID active, no session, the RO's root).
 *
 * Case 4, device 2 (issue 12, pushes): while the device waits attached with
 * its PCID, SHO-A's and SHO-B's DRFs (certificates from the VNO's trusted
 * root) push to the PCID: 403 at the VNO (they do not serve it). The RO's
 * DRF pushes junk signed by SHO-B: 202, the TRE refuses it, the agent logs
 * it and waits on; every database row and TRE byte unchanged. The genuine
 * handover then provisions the device.
 *
 * Case 5, device 3 (issue 12, whom the device talks DM to): SHO-A's DPF is
 * replaced, on its port, by a server whose certificate the lab TLS CA (the
 * agents' old bundle) issued for the same name on another key. The device's
 * DM client refuses it before sending anything (OM_EAGENT_DPF_IDENTITY),
 * the rogue server never sees a request, every row and TRE byte unchanged;
 * the genuine DPF back on the port provisions the device.
 *
 * At each stage: the TRE's MIDs (exactly one ACTIVE MCIM, owned by the
 * right operator) and the SHOs' states (lab_status).
 */
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include <curl/curl.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

#include "agent.h"
#include "check.h"
#include "daemon_util.h"
#include "http_server.h"
#include "lab_proc.h"
#include "lab_topology.h"
#include "pki_fixture.h"
#include "refusal_kit.h"
#include "tre_at_rest.h"

#define GRACE_S 3
#define FALLBACK_S 15
#define WAIT_PUSH_MS 60000

static struct lab lab;

/* ---- the device agent in a thread --------------------------------------------- */

struct run {
	unsigned dev;
	struct om_agent_config cfg;
	char buf[2048];
	struct om_agent_result res;
	int rc;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int attached;      /* an "attached" event came */
	char events[8192]; /* "step detail\n" each */
};

/* Called once the device installed the new MCIM (its "installed" event), before it attaches with it. */
static void (*installed_hook)(void);

static void on_event(void *arg, const char *tre_id, const char *step, const char *detail)
{
	struct run *r = arg;
	(void)tre_id;
	if (!strcmp(step, "installed") && installed_hook)
		installed_hook();
	pthread_mutex_lock(&r->mu);
	size_t n = strlen(r->events);
	snprintf(r->events + n, sizeof(r->events) - n, "%s %s\n", step, detail);
	if (!strcmp(step, "attached"))
		r->attached = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void *agent_main(void *arg)
{
	struct run *r = arg;
	r->rc = om_agent_run(&r->cfg, &r->res);
	return NULL;
}

static void run_start(struct run *r, unsigned dev)
{
	memset(r, 0, sizeof(*r));
	r->dev = dev;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	lab_agent_config(&lab, dev, &r->cfg, r->buf, sizeof(r->buf));
	r->cfg.wait_push_ms = WAIT_PUSH_MS;
	r->cfg.on_event = on_event;
	r->cfg.event_arg = r;
	CHECK_INT(pthread_create(&r->th, NULL, agent_main, r), 0);
}

/* Wait until the device is attached and idle, ready for a push. */
static int run_wait_attached(struct run *r, int timeout_s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s;
	pthread_mutex_lock(&r->mu);
	while (!r->attached && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
		;
	int ok = r->attached;
	pthread_mutex_unlock(&r->mu);
	CHECK_MSG(ok, "device %u never attached; events:\n%s", r->dev, r->events);
	return ok;
}

static void run_join(struct run *r, int want_outcome)
{
	pthread_join(r->th, NULL);
	CHECK_MSG(r->rc == 0 && r->res.outcome == want_outcome, "device %u: rc %s outcome %s (want %s) code %s: %s\n%s",
		  r->dev, om_errname(r->rc), om_agent_outcome_name(r->res.outcome), om_agent_outcome_name(want_outcome),
		  om_errname(r->res.code), r->res.reason, r->events);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

/* ---- what the TRE and the operators say ----------------------------------------- */

/* Exactly one ACTIVE MID on device dev, an MCIM owned by owner: its IMSI into imsi. */
static void check_tre(unsigned dev, const char *owner, char imsi[OM_MCIM_IMSI_MAX + 1])
{
	struct om_tre_mid_info a;
	imsi[0] = 0;
	struct om_tre *tre = tre_at_rest(&lab, dev, &a);
	if (!tre)
		return;
	CHECK_MSG(!a.is_pcid && !strcmp(a.owner, owner), "device %u: active MID %s owned by %s (pcid %d), want %s", dev,
		  a.imsi, a.owner, a.is_pcid, owner);
	snprintf(imsi, OM_MCIM_IMSI_MAX + 1, "%s", a.imsi);
	om_tre_close(tre);
}

static void check_state(enum lab_op op, unsigned dev, const char *want)
{
	char state[64] = "";
	CHECK_INT(lab_status(&lab, op, lab.tre_ids[dev], state, sizeof(state)), 0);
	CHECK_MSG(!strcmp(state, want), "%s at op %d: state %s, want %s", lab.tre_ids[dev], (int)op, state, want);
}

/* The owner moves device dev from `from` to `to` while its agent waits attached; the agent's outcome. */
static void change_operator(unsigned dev, enum lab_op from, enum lab_op to, int want_outcome, struct run *r,
			    void (*after_install)(void))
{
	char why[256], code[32], answer[512];
	const char *ids[] = { lab.tre_ids[dev] };
	int n = lab_register(&lab, to, from, ids, 1, why, sizeof(why));
	CHECK_MSG(n == 1, "register %s at op %d: %d %s", ids[0], (int)to, n, why);
	check_state(to, dev, "registered");
	installed_hook = after_install;
	run_start(r, dev);
	if (!run_wait_attached(r, 60)) {
		run_join(r, want_outcome);
		installed_hook = NULL;
		return;
	}
	/*
	 * No pause before a second change: the new SHO recorded the sequence the
	 * old DRF gave the first bootstrap, and its DRF numbers the next one above
	 * it even within the same second (docs/drf.md "Bootstrapping again").
	 */
	CHECK_INT(lab_transfer_code(&lab, from, ids[0], code), 0);
	int st = lab_handover(&lab, to, ids[0], code, answer, sizeof(answer));
	CHECK_MSG(st == 200, "handover of %s to op %d: %d %s", ids[0], (int)to, st, answer);
	run_join(r, want_outcome);
	installed_hook = NULL;
}

/* Poll lab_hss_has until it says want, up to timeout_s. */
static int hss_wait(enum lab_op op, const char *imsi, int want, int timeout_s)
{
	int got = -1;
	for (int i = 0; i < timeout_s * 10; i++) {
		got = lab_hss_has(&lab, op, imsi);
		if (got == want)
			break;
		du_nap_ms(100);
	}
	return got;
}

/* ---- the cases --------------------------------------------------------------------- */

static void provision_at_sho_a(unsigned dev, char imsi_a[OM_MCIM_IMSI_MAX + 1])
{
	struct run r;
	change_operator(dev, LAB_RO, LAB_SHO_A, OM_AGENT_PROVISIONED, &r, NULL);
	CHECK_MSG(strstr(r.events, "attached-new ") != NULL, "no attach with the new MCIM:\n%s", r.events);
	CHECK(!strcmp(r.res.owner, "SHO-A") && !strncmp(r.res.imsi, "00102", 5));
	/* one full TLS handshake with the DPF per provisioning: the outcome report resumes it (issue 14) */
	CHECK_MSG(r.res.dm_tls_full == 1 && r.res.dm_tls_resumed == 1, "TLS to the DPF: %u full, %u resumed",
		  r.res.dm_tls_full, r.res.dm_tls_resumed);
	/* what the DPF saw: a SessionID of 1..4 upper-case hex digits, the device as its URN (docs/dm.md) */
	const char *ev = strstr(r.events, "dm-authenticated ");
	const char *sid = ev ? strstr(ev, "session=") : NULL;
	size_t sl = sid ? strspn(sid + 8, "0123456789ABCDEF") : 0;
	CHECK_MSG(sid && sl >= 1 && sl <= 4 && sid[8 + sl] == ' ' && sid[8] != '0' &&
			  !strncmp(sid + 8 + sl, " device=urn:uuid:", 17),
		  "events:\n%s", r.events);
	check_tre(dev, "SHO-A", imsi_a);
	CHECK_MSG(!strcmp(imsi_a, r.res.imsi), "agent says %s, TRE %s", r.res.imsi, imsi_a);
	/* The attach with AKA at SHO-A's HSS: the IMSI is SHO-A's subscriber. */
	CHECK_INT(lab_hss_has(&lab, LAB_SHO_A, imsi_a), 1);
	check_state(LAB_SHO_A, dev, "active");
}

static void test_provision_then_change_to_sho_b(void)
{
	char imsi_a[OM_MCIM_IMSI_MAX + 1], imsi_b[OM_MCIM_IMSI_MAX + 1];
	struct run r;
	provision_at_sho_a(0, imsi_a);
	if (check_failures())
		return;
	change_operator(0, LAB_SHO_A, LAB_SHO_B, OM_AGENT_PROVISIONED, &r, NULL);
	CHECK(!strcmp(r.res.owner, "SHO-B") && !strncmp(r.res.imsi, "00103", 5));
	check_tre(0, "SHO-B", imsi_b);
	CHECK_INT(lab_hss_has(&lab, LAB_SHO_B, imsi_b), 1);
	check_state(LAB_SHO_B, 0, "active");
	/* Note Z: SHO-A keeps the old subscription for its grace period, then its DRF removes it. */
	int got = hss_wait(LAB_SHO_A, imsi_a, 0, GRACE_S + 30);
	CHECK_MSG(got == 0, "SHO-A's HSS still has %s (%d) after the grace period", imsi_a, got);
}

static void kill_hss_b(void)
{
	lab_kill(&lab, LAB_D_B_HSS, SIGKILL);
}

static void test_unreachable_sho_b_falls_back_to_sho_a(void)
{
	char imsi_a[OM_MCIM_IMSI_MAX + 1], imsi[OM_MCIM_IMSI_MAX + 1], why[256];
	struct run r;
	provision_at_sho_a(1, imsi_a);
	if (check_failures())
		return;
	/*
	 * Registered at SHO-B (its HSS took the new subscription, suspended), live once SHO-B's DPF released the
	 * MCIM (requirement A); once the device installed it, SHO-B's network cannot authenticate anyone.
	 */
	change_operator(1, LAB_SHO_A, LAB_SHO_B, OM_AGENT_FELL_BACK, &r, kill_hss_b);
	CHECK_MSG(strstr(r.events, "fell-back ") && strstr(r.events, "outcome=fallback"), "events:\n%s", r.events);
	CHECK(!strcmp(r.res.owner, "SHO-A") && !strcmp(r.res.imsi, imsi_a));
	check_tre(1, "SHO-A", imsi);
	CHECK_MSG(!strcmp(imsi, imsi_a), "active %s, want SHO-A's %s", imsi, imsi_a);
	/* SHO-B's MCIM stays in the TRE, inactive (its owner may manage it). */
	char dir[LAB_PATH_MAX];
	struct om_tre *tre = NULL;
	struct om_tre_mid_info mi[OM_TRE_MIDS_MAX];
	CHECK_INT(om_tre_open(&tre, lab_device_dir(&lab, 1, dir, sizeof(dir)), 0), 0);
	if (tre) {
		int n = om_tre_mid_list(tre, "SHO-B", mi, OM_TRE_MIDS_MAX);
		CHECK_INT(n, 1);
		CHECK(n == 1 && mi[0].state == OM_TRE_MID_INACTIVE);
		om_tre_close(tre);
	}
	/* SHO-A never heard of a completion: the subscription stays past the grace period. */
	du_nap_ms((GRACE_S + 2) * 1000);
	CHECK_INT(lab_hss_has(&lab, LAB_SHO_A, imsi_a), 1);
	check_state(LAB_SHO_A, 1, "active");
	CHECK_MSG(lab_restart(&lab, LAB_D_B_HSS, why, sizeof(why)) == 0, "restart SHO-B's HSS: %s", why);
}

static void test_tampered_device_is_refused(void)
{
	unsigned dev = lab.n_devices; /* the first tampered one */
	char dir[LAB_PATH_MAX], state[64] = "";
	struct run r;
	change_operator(dev, LAB_RO, LAB_SHO_A, OM_AGENT_REFUSED, &r, NULL);
	CHECK_MSG(r.res.code == OM_EAGENT_REFUSED && strstr(r.res.reason, "403"), "code %s: %s",
		  om_errname(r.res.code), r.res.reason);
	CHECK_MSG(strstr(r.events, "session_aborted=yes") != NULL, "events:\n%s", r.events);
	struct om_tre *tre = NULL;
	struct om_tre_status st;
	struct om_tre_mid_info a;
	CHECK_INT(om_tre_open(&tre, lab_device_dir(&lab, dev, dir, sizeof(dir)), 0), 0);
	if (tre) {
		CHECK_INT(om_tre_status(tre, &st), 0);
		CHECK(!st.session && !st.activation_pending && st.n_mids == 1 && !strcmp(st.trust_root_cn, "RO"));
		CHECK_INT(om_tre_active(tre, &a), 0);
		CHECK(a.is_pcid);
		om_tre_close(tre);
	}
	CHECK_INT(lab_status(&lab, LAB_SHO_A, lab.tre_ids[dev], state, sizeof(state)), 0);
	CHECK_MSG(!strcmp(state, "handover_accepted"), "SHO-A says %s", state);
}

/* ---- issue 12: whoever can reach the device changes nothing ------------------------- */

/* Wait until the agent's events hold needle n times; 1 when they do. */
static int run_wait_event(struct run *r, const char *needle, int n, int timeout_s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s;
	int k = 0;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		k = 0;
		for (const char *p = r->events; (p = strstr(p, needle)); p += strlen(needle))
			k++;
		if (k >= n || pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&r->mu);
	CHECK_MSG(k >= n, "device %u: %d of %d '%s' events; events:\n%s", r->dev, k, n, needle, r->events);
	return k >= n;
}

/* Every row of the lab's databases that a refusal could touch, and every byte of device dev's TRE. */
static char *lab_snap(unsigned dev)
{
	static const char *const rel[] = { "pva.db", "ro-drf.db", "ro-hss.db", "sho-a-sho.db", "sho-a-dpf.db",
					   "sho-a-hss.db", "sho-a-drf.db" };
	char paths[7][LAB_PATH_MAX + 32], tre[LAB_PATH_MAX];
	const char *dbs[7], *dirs[] = { lab_device_dir(&lab, dev, tre, sizeof(tre)) };
	for (int i = 0; i < 7; i++)
		dbs[i] = lab_path(&lab, rel[i], paths[i], sizeof(paths[i]));
	return rk_snapshot(dbs, 7, dirs, 1);
}

static size_t ignore_body(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST doc to the VNO's /push/<imsi> as the DRF whose TLS files are pki/tls/<drf>.{pem,key}: the HTTP status. */
static long push_as(const char *drf, const char *imsi, const uint8_t *doc, size_t len)
{
	char url[128], cert[LAB_PATH_MAX + 64], key[LAB_PATH_MAX + 64], rel[96];
	long status = -1;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " OM_BOOTSTRAP_CONTENT_TYPE);
	CURL *c = curl_easy_init();
	snprintf(url, sizeof(url), "https://localhost:%u/push/%s", ((struct lab_priv *)lab.priv)->ports.push, imsi);
	snprintf(rel, sizeof(rel), "pki/tls/%s.pem", drf);
	lab_path(&lab, rel, cert, sizeof(cert));
	snprintf(rel, sizeof(rel), "pki/tls/%s.key", drf);
	lab_path(&lab, rel, key, sizeof(key));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, lab.tls_ca);
	curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)doc);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ignore_body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return status;
}

/* A well-formed bootstrap signed by SHO-B, which is not the device's trust root (the RO): junk to the TRE. */
static uint8_t *junk_bootstrap(size_t *len)
{
	char p[LAB_PATH_MAX + 40];
	uint8_t creds[96], *der = NULL, *out = NULL;
	size_t der_len = 0;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	memset(creds, 0x5a, sizeof(creds));
	struct om_bootstrap b = { .provurl = "https://localhost:1/dm", .server_id = "junk", .apn = "prov.sho-b",
				  .sequence = 0x7ffffff0u, .creds = creds, .creds_len = sizeof(creds) };
	CHECK_INT(om_cert_load(&cert, lab_path(&lab, "pki/sho-b-signing.pem", p, sizeof(p))), 0);
	CHECK_INT(om_key_load(&key, lab_path(&lab, "pki/sho-b-signing.key", p, sizeof(p))), 0);
	CHECK_INT(om_cert_encode(cert, OM_ENC_DER, &der, &der_len), 0);
	b.sho_cert = der;
	b.sho_cert_len = der_len;
	if (cert && key)
		CHECK_INT(om_bootstrap_build_signed(&b, key, cert, &out, len), 0);
	OPENSSL_free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
	return out;
}

static void test_junk_push_is_ignored(void)
{
	unsigned dev = 2;
	char why[256], code[32], answer[512], imsi[OM_MCIM_IMSI_MAX + 1];
	const char *ids[] = { lab.tre_ids[dev] }, *pcid = ((struct lab_priv *)lab.priv)->pcid[dev];
	struct run r;
	size_t len = 0;
	uint8_t *junk = junk_bootstrap(&len);
	CHECK_INT(lab_register(&lab, LAB_SHO_A, LAB_RO, ids, 1, why, sizeof(why)), 1);
	run_start(&r, dev);
	if (!junk || !run_wait_attached(&r, 60)) {
		run_join(&r, OM_AGENT_IDLE);
		free(junk);
		return;
	}
	char *before = lab_snap(dev);
	/* Trusted by the VNO's client_ca, but not the DRF of the PCIDs' home: refused before the device. */
	CHECK_INT(push_as("drf.sho-b.lab", pcid, junk, len), 403);
	CHECK_INT(push_as("drf.sho-a.lab", pcid, junk, len), 403);
	/* The PCIDs' DRF may push, and pushes junk: delivered, refused by the TRE, ignored by the agent. */
	CHECK_INT(push_as("drf.ro.lab", pcid, junk, len), 202);
	run_wait_event(&r, "bootstrap-refused clause=B.2.3.3 code=OM_EOBJ_SIGNATURE action=ignored", 1, 30);
	char *now = lab_snap(dev);
	rk_check_unchanged(before, now, "a junk push");
	free(junk);
	/* The genuine bootstrap that follows provisions the device in the same run. */
	CHECK_INT(lab_transfer_code(&lab, LAB_RO, ids[0], code), 0);
	int st = lab_handover(&lab, LAB_SHO_A, ids[0], code, answer, sizeof(answer));
	CHECK_MSG(st == 200, "handover of %s: %d %s", ids[0], st, answer);
	run_join(&r, OM_AGENT_PROVISIONED);
	CHECK_MSG(strstr(r.events, "dpf_trust=cert_sho_key") != NULL, "events:\n%s", r.events);
	check_tre(dev, "SHO-A", imsi);
}

static unsigned rogue_requests;

static void rogue_dm(struct om_http_req *q, void *arg)
{
	(void)arg;
	__atomic_add_fetch(&rogue_requests, 1, __ATOMIC_SEQ_CST);
	om_http_reply(q, 500, "text/plain", "rogue\n", 6);
}

static void test_dpf_not_named_by_the_bootstrap_is_refused(void)
{
	unsigned dev = 3;
	char why[256], code[32], answer[512], imsi[OM_MCIM_IMSI_MAX + 1], p[LAB_PATH_MAX + 40], k[LAB_PATH_MAX + 40];
	const char *ids[] = { lab.tre_ids[dev] };
	struct run r;
	X509 *ca_cert = NULL;
	EVP_PKEY *ca_key = NULL;
	struct om_ca *ca = NULL;
	struct om_http_server *rogue = NULL;
	/* The agents' old bundle is the lab TLS CA: it issues a "dpf.sho-a.lab" for localhost on a key of its own. */
	CHECK_INT(om_cert_load(&ca_cert, lab_path(&lab, "pki/tls/ca.pem", p, sizeof(p))), 0);
	CHECK_INT(om_key_load(&ca_key, lab_path(&lab, "pki/tls/ca.key", p, sizeof(p))), 0);
	CHECK_INT(om_ca_open(&ca, ca_cert, ca_key), 0);
	CHECK_INT(pf_issue_tls(ca, lab.dir, "rogue-dpf", "localhost"), 0);
	om_ca_free(ca);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	snprintf(p, sizeof(p), "%s/rogue-dpf.pem", lab.dir);
	snprintf(k, sizeof(k), "%s/rogue-dpf.key", lab.dir);
	struct om_http_tls tls = { .cert_file = p, .key_file = k };
	struct om_http_opts o = { .port = ((struct lab_priv *)lab.priv)->ports.dpf[LAB_SHO_A], .tls = &tls };

	CHECK_INT(lab_register(&lab, LAB_SHO_A, LAB_RO, ids, 1, why, sizeof(why)), 1);
	lab_kill(&lab, LAB_D_A_DPF, SIGKILL);
	CHECK_MSG(om_http_server_new(&rogue, &o, why, sizeof(why)) == 0, "rogue DPF: %s", why);
	if (rogue) {
		CHECK_INT(om_http_route(rogue, "POST", "/*", rogue_dm, NULL), 0);
		CHECK_INT(om_http_server_start(rogue), 0);
	}
	run_start(&r, dev);
	if (!run_wait_attached(&r, 60)) {
		run_join(&r, OM_AGENT_PROVISIONED);
		om_http_server_free(rogue);
		return;
	}
	CHECK_INT(lab_transfer_code(&lab, LAB_RO, ids[0], code), 0);
	int st = lab_handover(&lab, LAB_SHO_A, ids[0], code, answer, sizeof(answer));
	CHECK_MSG(st == 200, "handover of %s: %d %s", ids[0], st, answer);
	/* The bootstrap is in (the TRE moved on to Cert_SHO[i+1]); from here on the rogue must change nothing. */
	run_wait_event(&r, "dm-open ", 1, 60);
	char *before = lab_snap(dev);
	run_wait_event(&r, "code=OM_EAGENT_DPF_IDENTITY", 2, 60);
	char *now = lab_snap(dev);
	rk_check_unchanged(before, now, "a DPF the bootstrap did not name");
	CHECK_INT((int)__atomic_load_n(&rogue_requests, __ATOMIC_SEQ_CST), 0);
	om_http_server_free(rogue);
	/* The genuine DPF back on its port: the agent's next try provisions the device. */
	CHECK_MSG(lab_restart(&lab, LAB_D_A_DPF, why, sizeof(why)) == 0, "restart SHO-A's DPF: %s", why);
	run_join(&r, OM_AGENT_PROVISIONED);
	check_tre(dev, "SHO-A", imsi);
}

int main(void)
{
	char work[] = "/tmp/om-provisioning-e2e-XXXXXX", why[512], bin[LAB_PATH_MAX];
	const char *cli = getenv("OM_CLI");
	if (!cli || !mkdtemp(work)) {
		fprintf(stderr, "OM_CLI unset or no temp dir\n");
		return 1;
	}
	snprintf(bin, sizeof(bin), "%s", cli);
	struct lab_options opt = { .workdir = work, .bin_dir = dirname(bin), .n_devices = 4, .n_tampered = 1, .seed = 6,
				   .grace_s = GRACE_S, .fallback_s = FALLBACK_S };
	int rc = lab_setup(&lab, &opt, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_setup: %s", why);
	if (rc == 0) {
		rc = lab_start(&lab, why, sizeof(why));
		CHECK_MSG(rc == 0, "lab_start: %s", why);
		if (rc == 0) {
			test_provision_then_change_to_sho_b();
			test_unreachable_sho_b_falls_back_to_sho_a();
			test_junk_push_is_ignored();
			test_dpf_not_named_by_the_bootstrap_is_refused();
			test_tampered_device_is_refused();
		}
		CHECK_INT(lab_stop(&lab), 0);
		lab_free(&lab);
	}
	if (!check_failures())
		du_rm_rf(work);
	else
		fprintf(stderr, "lab kept in %s\n", work);
	return check_done();
}
