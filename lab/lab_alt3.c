/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario alt3`: Alternative 3 with synthetic credentials,
 * spec/000 5.2.4.6.3 steps 1-8 (lab_alt3.h has the phases). The real parts
 * run as they would in the field: the factory's synthetic run, two
 * operators' openmcim-hss and openmcim-vno daemons, the operators' own tool
 * (`openmcim sho-admin synthetic`, the same code as the owner API's
 * POST /api/v1/synthetic), the manufacturer's application activation
 * server (openmcim-aas, its TLS key MFR-1's: the devices' trust root) and
 * the device agent with its network list and the AAS address.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/app_params.h>
#include <openmcim/hex.h>
#include <openmcim/pki.h>
#include <openmcim/synth.h>

#include "agent.h"
#include "factory.h"
#include "lab_alt3.h"
#include "lab_proc.h"

#define N_OPS 2
#define PATH_CAP 640
#define SYNTH_MCC "001"
#define SYNTH_MNC "09"
#define SYNTH_FIRST "0000000000"
#define SYNTH_COUNT 10000000000ull
#define SYNTH_REALM "epc.mnc009.mcc001.3gppnetwork.org"
#define N_PORTS (3 * N_OPS + 4) /* each operator's HSS, VNO and radio; the AAS; the rogue AAS; the PVA; the AAS's metrics */
#define N_APPS 2

/* The application providers an owner may choose (5.2.4.3.5: the AAS takes the M2M user's input); the
 * anchors are two of the lab's CA certificates standing in for those servers' CAs. */
static const char *const app_server[N_APPS] = { "https://app-1.localhost:8443/m2m", "https://app-2.localhost:8443/m2m" };
static const char *const app_anchor[N_APPS] = { "pki/diameter/ca.pem", "pki/cas/pva-ca.pem" };

struct alt3 {
	const struct lab_alt3_options *o;
	struct lab_alt3_result *r;
	const char *dir;
	uint16_t hss_dia[N_OPS], vno_dia[N_OPS], radio[N_OPS];
	uint16_t aas_port, rogue_port, pva_port, aas_metrics;
	pid_t hss[N_OPS], vno[N_OPS], aas, rogue, pva;
	int port_lock[N_PORTS]; /* the ports' reservations (lab_free_ports), held until the daemons stop */
	int locks_held;
	struct om_agent_network nets[N_OPS];
	int late; /* the attach phase runs the late devices only (after their activation) */
	char aas_url[80], rogue_url[80];
	char aas_pin[7 + 64 + 1]; /* the factory's [agent] aas_pin: sha256: and the hex of pki/aas.pem's SPKI digest */
	uint8_t app_obj[N_APPS][OM_APP_PARAMS_MAX]; /* the parameters of each application provider, encoded */
	size_t app_len[N_APPS];
};

static const char *const op_stem[N_OPS] = { "op-1", "op-2" };
static const char *const vno_name[N_OPS] = { "VNO-1", "VNO-2" };

/* one line of the run's problems (lab_proc.h) */
#define problem(r, ...)                                                                                 \
	lab_problem_add((r)->problems, sizeof((r)->problems) / sizeof((r)->problems[0]), &(r)->n_problems, \
			__VA_ARGS__)

static const char *at(const struct alt3 *a, char *buf, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *at(const struct alt3 *a, char *buf, const char *fmt, ...)
{
	char rel[PATH_CAP / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(buf, PATH_CAP, "%s/%s", a->dir, rel);
	return buf;
}

/* ---- setup: PKI, the factory's synthetic run, the configurations ---------------- */

static int factory(struct alt3 *a)
{
	char p[PATH_CAP];
	X509 *ca_cert = NULL, *ro = NULL;
	EVP_PKEY *ca_key = NULL;
	struct om_ca *ca = NULL;
	int rc = om_factory_init_cas(at(a, p, "pki/cas"), "PVA-1", "MFR-1");
	if (rc == 0)
		rc = om_cert_load(&ca_cert, at(a, p, "pki/cas/pva-ca.pem"));
	if (rc == 0)
		rc = om_key_load(&ca_key, at(a, p, "pki/cas/pva-ca.key"));
	if (rc == 0)
		rc = om_cert_load(&ro, at(a, p, "pki/cas/ro-signing.pem"));
	if (rc == 0)
		rc = om_ca_open(&ca, ca_cert, ca_key);
	struct om_factory_config fc = { .pva_ca = ca, .ro_cert = ro, .mcc = SYNTH_MCC, .mnc = SYNTH_MNC,
					.msin_first = SYNTH_FIRST, .synth_count = SYNTH_COUNT,
					.n_devices = a->o->n_devices, .tre_prefix = "TRE" };
	if (rc == 0)
		rc = om_factory_run(at(a, p, "factory"), &fc, NULL);
	om_ca_free(ca);
	X509_free(ca_cert);
	X509_free(ro);
	EVP_PKEY_free(ca_key);
	if (rc < 0)
		problem(a->r, "factory: %s", om_strerror(rc));
	return rc;
}

static int write_conf(struct alt3 *a, const char *name, const char *text)
{
	char p[PATH_CAP];
	int rc = lab_write_file(at(a, p, "%s.conf", name), text, 0600);
	if (rc < 0)
		problem(a->r, "%s: %s", p, om_strerror(rc));
	return rc;
}

/* An activation server's file: name.conf, serving on port at url with the TLS pair cert_stem.pem and .key. */
static int aas_conf(struct alt3 *a, const char *name, const char *what, unsigned port, const char *url,
		    const char *cert_stem, unsigned metrics)
{
	char t[1024], m[64] = "";
	if (metrics)
		snprintf(m, sizeof(m), "[metrics]\nlisten = 127.0.0.1:%u\n", metrics);
	const char *d = a->dir;
	snprintf(t, sizeof(t),
		 "# %s\n"
		 "[aas]\nlisten = 127.0.0.1\nport = %u\npath = /aas\nserver_uri = %s\nparams_dir = %s/aas-params\n"
		 "tls_cert = %s/%s.pem\ntls_key = %s/%s.key\n"
		 "tre_ca = %s/pki/cas/pva-ca.pem\nocsp_url = http://127.0.0.1:%u/\nlog_level = info\n%s",
		 what, port, url, d, d, cert_stem, d, cert_stem, d, a->pva_port, m);
	return write_conf(a, name, t);
}

/* The manufacturer's PVA: its CA issued every Cert_TRE; the AAS asks it their status over OCSP. */
static int pva_conf(struct alt3 *a)
{
	char t[1024], p[PATH_CAP];
	const char *d = a->dir;
	int rc = lab_mkdir(at(a, p, "pva"), 0700);
	if (rc < 0)
		return problem(a->r, "%s: %s", p, om_strerror(rc)), rc;
	snprintf(t, sizeof(t),
		 "# MFR-1's PVA: the status of each Cert_TRE, for the AAS (docs/aas.md)\n"
		 "[pva]\ndb = %s/pva.db\nlisten = 127.0.0.1\nport = %u\nca_cert = %s/pki/cas/pva-ca.pem\n"
		 "responder_cert = %s/pki/pva-responder.pem\nresponder_key = %s/pki/pva-responder.key\n"
		 "admin_socket = %s/pva/admin.sock\nlog_level = info\n",
		 d, a->pva_port, d, d, d, d);
	return write_conf(a, "pva", t);
}

/* The PVA's delegated OCSP signer (RFC 6960 4.2.2.2), issued by the factory's PVA CA: pki/pva-responder. */
static int pva_responder(struct alt3 *a)
{
	char p[PATH_CAP];
	X509 *ca_cert = NULL, *cert = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	struct om_ca *ca = NULL;
	X509_REQ *csr = NULL;
	struct om_issue req = { .profile = OM_CERT_OCSP_RESPONDER, .cn = "PVA-1 OCSP" };
	int rc = om_cert_load(&ca_cert, at(a, p, "pki/cas/pva-ca.pem"));
	if (rc == 0)
		rc = om_key_load(&ca_key, at(a, p, "pki/cas/pva-ca.key"));
	if (rc == 0)
		rc = om_ca_open(&ca, ca_cert, ca_key);
	if (rc == 0)
		rc = om_key_generate(&key, OM_KEY_EC_P256);
	if (rc == 0)
		rc = om_csr_create(&csr, key, "PVA-1 OCSP", NULL);
	if (rc == 0)
		rc = om_ca_issue(ca, csr, &req, &cert);
	if (rc == 0)
		rc = om_cert_save(at(a, p, "pki/pva-responder.pem"), cert);
	if (rc == 0)
		rc = om_key_save(at(a, p, "pki/pva-responder.key"), key);
	X509_free(cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	om_ca_free(ca);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	if (rc < 0)
		problem(a->r, "PKI: PVA responder: %s", om_strerror(rc));
	return rc;
}

/* Each operator: its HSS serving the synthetic range, its VNO routing that range to it, its tool's file. */
static int configs(struct alt3 *a)
{
	char t[4096], p[PATH_CAP];
	int rc = 0;
	for (int k = 0; rc == 0 && k < N_OPS; k++) {
		const char *d = a->dir, *s = op_stem[k];
		if ((rc = lab_mkdir(at(a, p, "%s-hss", s), 0700)) < 0 || (rc = lab_mkdir(at(a, p, "vno-%d", k + 1), 0700)) < 0)
			break;
		snprintf(t, sizeof(t),
			 "# %s's HSS: its own subscribers of the synthetic range (lab --scenario alt3)\n"
			 "[hss]\ndb = %s/%s-hss.db\nmax_vectors = 5\nsqn_reserve = 1024\n"
			 "provision_socket = %s/%s-hss/prov.sock\nlog_level = info\nrun_dir = %s/%s-hss\n"
			 "[diameter]\nidentity = hss.%s.lab\nrealm = " SYNTH_REALM "\nlisten = 127.0.0.1\nport = %u\n"
			 "peers = mme.vno-%d.lab\ndict_dir = %s\n"
			 "tls_cert = %s/pki/diameter/hss.%s.lab.pem\ntls_key = %s/pki/diameter/hss.%s.lab.key\n"
			 "tls_ca = %s/pki/diameter/ca.pem\n",
			 s, d, s, d, s, d, s, s, a->hss_dia[k], k + 1, lab_fd_dict_dir(), d, s, d, s, d);
		snprintf(p, sizeof(p), "%s-hss", s);
		if ((rc = write_conf(a, p, t)) < 0)
			break;
		snprintf(t, sizeof(t),
			 "# %s's visited network VNO-%d: the synthetic range goes to %s's HSS only\n"
			 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-7%d\nip_pool = 10.4%d.0.0/16\nlog_level = info\n"
			 "run_dir = %s/vno-%d\nmax_devices = 1024\nt3460_ms = 6000\nt3450_ms = 6000\n"
			 "max_unauth = 1024\nmax_unauth_per_source = 1024\n"
			 "[diameter]\nidentity = mme.vno-%d.lab\nrealm = vno-%d.lab\nlisten = 127.0.0.1:%u\ntimeout_ms = 5000\n"
			 "tls_cert = %s/pki/diameter/mme.vno-%d.lab.pem\ntls_key = %s/pki/diameter/mme.vno-%d.lab.key\n"
			 "tls_ca = %s/pki/diameter/ca.pem\n"
			 "[home." SYNTH_MCC SYNTH_MNC "]\nrealm = " SYNTH_REALM "\npeer = hss.%s.lab\naddress = 127.0.0.1:%u\n"
			 "[apn." OM_FACTORY_DEFAULT_APN "]\nallow = localhost:%u, localhost:%u\n",
			 s, k + 1, s, a->radio[k], k + 1, k + 6, d, k + 1, k + 1, k + 1, a->vno_dia[k], d, k + 1, d, k + 1, d,
			 s, a->hss_dia[k], a->aas_port, a->rogue_port);
		snprintf(p, sizeof(p), "vno-%d", k + 1);
		if ((rc = write_conf(a, p, t)) < 0)
			break;
		/* the operator's own tool reads its registration service's file ([synthetic] dir: the manufacturer's) */
		snprintf(t, sizeof(t),
			 "[sho]\ndb = %s/%s-sho.db\nid = %s\n[imsi]\nmcc = 001\nmnc = 2%d\nmsin_first = 0000000001\n"
			 "msin_last = 0000099999\n[subscription]\nop = cdc202d5123e20f62b6d676ac72cb318\n"
			 "apn = internet.%s\nroaming = any\n[pva]\nca = %s/pki/cas/pva-ca.pem\nocsp_url = http://127.0.0.1:9/\n"
			 "[hss]\nsocket = %s/%s-hss/prov.sock\n[synthetic]\ndir = %s/factory/synthetic\n",
			 d, s, k ? "OP-2" : "OP-1", k + 1, s, d, d, s, d);
		snprintf(p, sizeof(p), "%s-sho", s);
		rc = write_conf(a, p, t);
	}
	OPENSSL_cleanse(t, sizeof(t)); /* the tool's file holds an OP */
	/* The manufacturer's AAS, its TLS key its own (pki/aas.key, pinned by the devices' aas_pin), never the
	 * signing key; and a rogue one on the same parameters serving with MFR-1's SHO_SIGNING key, the devices'
	 * trust root (Cert_SHO[0]), whose certificate the devices hold: a trust root is not the AAS. */
	if (rc == 0)
		rc = pva_conf(a);
	if (rc == 0 && (rc = lab_mkdir(at(a, p, "aas-params"), 0700)) == 0 && (rc = lab_mkdir(at(a, p, "app-params"), 0700)) == 0)
		rc = aas_conf(a, "aas", "MFR-1's application activation server (spec/000 5.2.4.6.3 steps 7-8)", a->aas_port,
			      a->aas_url, "pki/aas", a->aas_metrics);
	if (rc == 0)
		rc = aas_conf(a, "aas-rogue",
			      "an activation server with the devices' trust root key, not their aas_pin (the attacks phase)",
			      a->rogue_port, a->rogue_url, "pki/cas/ro-signing", 0);
	return rc;
}

/* Each application provider's parameters, encoded once with the one codec (app_params.h). */
static int app_objects(struct alt3 *a)
{
	char p[PATH_CAP];
	for (int k = 0; k < N_APPS; k++) {
		struct om_app_params ap = { .anchor_len = 0 };
		X509 *x = NULL;
		uint8_t *der = NULL;
		size_t der_len = 0;
		snprintf(ap.server, sizeof(ap.server), "%s", app_server[k]);
		int rc = om_cert_load(&x, at(a, p, "%s", app_anchor[k]));
		if (rc == 0)
			rc = om_cert_encode(x, OM_ENC_DER, &der, &der_len);
		if (rc == 0 && der_len > sizeof(ap.anchor))
			rc = OM_EOBJ_TOO_LONG;
		if (rc == 0) {
			memcpy(ap.anchor, der, der_len);
			ap.anchor_len = der_len;
			rc = om_app_params_encode(&ap, a->app_obj[k], sizeof(a->app_obj[k]));
		}
		om_pki_free(der, der_len);
		X509_free(x);
		if (rc < 0)
			return problem(a->r, "application parameters %d: %s", k + 1, om_strerror(rc)), rc;
		a->app_len[k] = (size_t)rc;
	}
	return 0;
}

static int write_bytes(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return OM_EIO;
	int ok = fwrite(b, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : OM_EIO;
}

static int setup(struct alt3 *a)
{
	static const char *const peers[] = { "hss.op-1.lab", "hss.op-2.lab", "mme.vno-1.lab", "mme.vno-2.lab" };
	uint16_t ports[N_PORTS];
	const char *step = "";
	char p[PATH_CAP];
	int rc = lab_mkdir(a->dir, 0700);
	if (rc == 0 && (rc = lab_mkdir(at(a, p, "pki"), 0700)) == 0)
		rc = lab_pki_diameter(a->dir, peers, 4, &step);
	if (rc < 0)
		return problem(a->r, "PKI: %s: %s", step, om_strerror(rc)), rc;
	if ((rc = factory(a)) < 0 || (rc = pva_responder(a)) < 0)
		return rc;
	/* the AAS's own key pair, a certificate for localhost from the PVA CA (any issuer: the devices pin the
	 * key), and the factory's aas_pin for it */
	char ca[PATH_CAP];
	at(a, ca, "pki/cas/pva-ca");
	if ((rc = lab_pki_tls_leaf(ca, at(a, p, "pki/aas"), "MFR-1 AAS", "localhost")) < 0)
		return problem(a->r, "PKI: AAS: %s", om_strerror(rc)), rc;
	X509 *aas_cert = NULL;
	uint8_t pin[OM_SPKI_PIN_LEN];
	if ((rc = om_cert_load(&aas_cert, at(a, p, "pki/aas.pem"))) == 0)
		rc = om_cert_spki_pin(aas_cert, pin);
	X509_free(aas_cert);
	if (rc < 0)
		return problem(a->r, "PKI: AAS pin: %s", om_strerror(rc)), rc;
	memcpy(a->aas_pin, "sha256:", 7);
	om_hex_encode(a->aas_pin + 7, pin, sizeof(pin));
	a->aas_pin[7 + 64] = 0;
	if ((rc = lab_free_ports(ports, a->port_lock, N_PORTS)) < 0)
		return problem(a->r, "no free ports"), rc;
	a->locks_held = 1;
	for (int k = 0; k < N_OPS; k++) {
		a->hss_dia[k] = ports[3 * k];
		a->vno_dia[k] = ports[3 * k + 1];
		a->radio[k] = ports[3 * k + 2];
		a->nets[k] = (struct om_agent_network){ .name = vno_name[k], .host = "127.0.0.1", .port = a->radio[k] };
	}
	a->aas_port = ports[3 * N_OPS];
	a->rogue_port = ports[3 * N_OPS + 1];
	a->pva_port = ports[3 * N_OPS + 2];
	a->aas_metrics = ports[3 * N_OPS + 3];
	/* the name the factory configures; the VNO's proxy resolves it, in the local access network (5.2.4.3.5.1) */
	snprintf(a->aas_url, sizeof(a->aas_url), "https://localhost:%u/aas", a->aas_port);
	snprintf(a->rogue_url, sizeof(a->rogue_url), "https://localhost:%u/aas", a->rogue_port);
	if ((rc = configs(a)) < 0)
		return rc;
	return app_objects(a);
}

static int start(struct alt3 *a)
{
	char exe[PATH_CAP], conf[PATH_CAP], log[PATH_CAP], why[300];
	for (int k = 0; k < N_OPS; k++) {
		snprintf(exe, sizeof(exe), "%s/openmcim-hss", a->o->bin_dir);
		at(a, conf, "%s-hss.conf", op_stem[k]);
		at(a, log, "%s-hss.log", op_stem[k]);
		a->hss[k] = lab_spawn(exe, conf, log, NULL);
		if (a->hss[k] < 0 || lab_wait_log(log, 0, " started ", a->hss[k], 30000, why, sizeof(why)) < 0)
			return problem(a->r, "%s-hss did not start: %s", op_stem[k], why), OM_ELAB_DAEMON;
	}
	for (int k = 0; k < N_OPS; k++) {
		snprintf(exe, sizeof(exe), "%s/openmcim-vno", a->o->bin_dir);
		at(a, conf, "vno-%d.conf", k + 1);
		at(a, log, "vno-%d.log", k + 1);
		a->vno[k] = lab_spawn(exe, conf, log, NULL);
		if (a->vno[k] < 0 || lab_wait_log(log, 0, " ready ", a->vno[k], 30000, why, sizeof(why)) < 0)
			return problem(a->r, "vno-%d did not start: %s", k + 1, why), OM_ELAB_DAEMON;
	}
	/* MFR-1's PVA, holding the factory's Cert_TREs (pva-admin import, as the factory hands them over) */
	snprintf(exe, sizeof(exe), "%s/openmcim-pva", a->o->bin_dir);
	a->pva = lab_spawn(exe, at(a, conf, "pva.conf"), at(a, log, "pva.log"), NULL);
	if (a->pva < 0 || lab_wait_log(log, 0, " started ", a->pva, 30000, why, sizeof(why)) < 0)
		return problem(a->r, "pva did not start: %s", why), OM_ELAB_DAEMON;
	char sock[PATH_CAP];
	int rc = lab_seed_pva(at(a, sock, "pva/admin.sock"), at(a, conf, "factory/pva"), why, sizeof(why));
	if (rc < 0)
		return problem(a->r, "pva import: %s", why), rc;
	snprintf(exe, sizeof(exe), "%s/openmcim-aas", a->o->bin_dir);
	for (int k = 0; k < 2; k++) {
		const char *stem = k ? "aas-rogue" : "aas";
		at(a, conf, "%s.conf", stem);
		at(a, log, "%s.log", stem);
		pid_t *pid = k ? &a->rogue : &a->aas;
		*pid = lab_spawn(exe, conf, log, NULL);
		if (*pid < 0 || lab_wait_log(log, 0, " started ", *pid, 30000, why, sizeof(why)) < 0)
			return problem(a->r, "%s did not start: %s", stem, why), OM_ELAB_DAEMON;
	}
	return 0;
}

static void stop(struct alt3 *a)
{
	pid_t *aas[] = { &a->aas, &a->rogue };
	/* the AAS's counters as a Prometheus server scrapes them, before it stops (tests/lab_alt3_test.c) */
	if (a->aas > 0) {
		char p[PATH_CAP], why[300] = "cannot make metrics/";
		if (lab_mkdir(at(a, p, "metrics"), 0700) < 0 ||
		    lab_metrics_save(a->aas_metrics, at(a, p, "metrics/aas.prom"), why, sizeof(why)) < 0)
			problem(a->r, "aas metrics: %s", why);
	}
	for (int k = 0; k < 2; k++) {
		if (*aas[k] > 0 && lab_reap(*aas[k], SIGTERM, 10000) != 0)
			problem(a->r, "%s did not exit cleanly on SIGTERM", k ? "aas-rogue" : "aas");
		*aas[k] = 0;
	}
	if (a->pva > 0 && lab_reap(a->pva, SIGTERM, 10000) != 0)
		problem(a->r, "pva did not exit cleanly on SIGTERM");
	a->pva = 0;
	for (int k = 0; k < N_OPS; k++) {
		if (a->vno[k] > 0 && lab_reap(a->vno[k], SIGTERM, 10000) != 0)
			problem(a->r, "vno-%d did not exit cleanly on SIGTERM", k + 1);
		a->vno[k] = 0;
	}
	for (int k = 0; k < N_OPS; k++) {
		if (a->hss[k] > 0 && lab_reap(a->hss[k], SIGTERM, 10000) != 0)
			problem(a->r, "%s-hss did not exit cleanly on SIGTERM", op_stem[k]);
		a->hss[k] = 0;
	}
	for (int i = 0; a->locks_held && i < N_PORTS; i++)
		if (a->port_lock[i] >= 0)
			close(a->port_lock[i]);
	a->locks_held = 0;
}

/* ---- the owner (steps 2-3, 5.2.4.3.4) ------------------------------------------- */

/* Ku off device i's label (the factory's label file), and the IMSI f(Ku) gives. */
static int label(struct alt3 *a, struct lab_alt3_device *d, char ku[static 64])
{
	char p[PATH_CAP];
	uint8_t k[OM_SYNTH_KU_LEN];
	struct om_synth_range range;
	struct om_mcim m;
	char *text = lab_slurp(at(a, p, "factory/labels/%s.txt", d->tre_id), NULL);
	int ok = text && sscanf(text, "TRE_id: %*s Ku: %63s", ku) == 1 && om_synth_ku_parse(ku, k) == 0 &&
		 om_synth_range_set(&range, SYNTH_MCC, SYNTH_MNC, SYNTH_FIRST, SYNTH_COUNT) == 0 &&
		 om_synth_derive(k, &range, &m, NULL) == 0;
	if (ok) {
		snprintf(d->imsi, sizeof(d->imsi), "%s", m.imsi);
		om_mcim_clear(&m);
	}
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	OPENSSL_cleanse(k, sizeof(k));
	return ok ? 0 : -1;
}

/* `openmcim sho-admin --conf <op>-sho.conf synthetic VERB --tre-id T`, Ku on stdin: its exit status; its words in out. */
static int tool(struct alt3 *a, int op, const char *verb, const char *tre_id, const char *ku, char *out, size_t cap)
{
	char cmd[3 * PATH_CAP], conf[PATH_CAP], last[PATH_CAP];
	at(a, conf, "%s-sho.conf", op_stem[op]);
	at(a, last, "owner-last.out");
	snprintf(cmd, sizeof(cmd), "'%s/openmcim' sho-admin --conf '%s' synthetic %s --tre-id '%s' >'%s' 2>&1",
		 a->o->bin_dir, conf, verb, tre_id, last);
	FILE *f = popen(cmd, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", ku);
	int st = pclose(f);
	char *text = lab_slurp(last, NULL);
	snprintf(out, cap, "%s", text ? text : "");
	out[strcspn(out, "\n")] = 0;
	free(text);
	/* the owner's log of what the operators answered (no Ku in it: the tool never prints it) */
	char log[PATH_CAP];
	FILE *l = fopen(at(a, log, "owner.log"), "a");
	if (l) {
		fprintf(l, "%s synthetic %s %s: %s\n", op_stem[op], verb, tre_id, out);
		fclose(l);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int owner(struct alt3 *a, int late_only)
{
	char ku[64], out[300];
	struct lab_alt3_result *r = a->r;
	for (unsigned i = 0; i < r->n; i++) {
		struct lab_alt3_device *d = &r->dev[i];
		int op = d->part == ALT3_OP1 ? 0 : 1;
		if (late_only && d->part != ALT3_OP2_LATE)
			continue;
		if (label(a, d, ku) < 0) {
			problem(r, "%s: its label does not give a Ku", d->tre_id);
			continue;
		}
		/* the owner's choice of application server, given to the activation service (steps 3, 5) */
		char p[PATH_CAP];
		if (!late_only && write_bytes(at(a, p, "aas-params/%s", d->tre_id), a->app_obj[d->app], a->app_len[d->app]) < 0)
			problem(r, "%s: %s not written", d->tre_id, p);
		if (!late_only && tool(a, op, "accept", d->tre_id, ku, out, sizeof(out)) != 0)
			problem(r, "%s: %s did not accept its Ku: %s", d->tre_id, op_stem[op], out);
		else if ((late_only || d->part != ALT3_OP2_LATE) && tool(a, op, "activate", d->tre_id, ku, out, sizeof(out)) != 0)
			problem(r, "%s: %s did not activate it: %s", d->tre_id, op_stem[op], out);
		OPENSSL_cleanse(ku, sizeof(ku));
	}
	if (late_only || r->n < 2)
		return 0;
	/* the owner mistypes: device 0's TRE_id with device 1's Ku gives nothing (A3.1) */
	char other[64];
	if (label(a, &r->dev[1], other) == 0) {
		int op = r->dev[0].part == ALT3_OP1 ? 0 : 1;
		int st = tool(a, op, "accept", r->dev[0].tre_id, other, out, sizeof(out));
		r->wrong_ku_refused = st == 1 && strstr(out, "OM_ESHO_SYNTH_UNKNOWN") != NULL;
		if (!r->wrong_ku_refused)
			problem(r, "a mistyped Ku was not refused as unknown: exit %d, %s", st, out);
		OPENSSL_cleanse(other, sizeof(other));
	}
	return 0;
}

/* ---- the devices (step 6-7) -------------------------------------------------------- */

static void on_event(void *arg, const char *tre_id, const char *step, const char *detail)
{
	struct lab_alt3_device *d = arg;
	(void)tre_id;
	if (strcmp(step, "attach-failed"))
		return;
	if (strstr(detail, "network=VNO-1 "))
		d->refused_vno1++;
	else if (strstr(detail, "network=VNO-2 "))
		d->refused_vno2++;
}

/* One run of device d's agent, its activation server at aas_url; its parameters kept under app-params/. */
static int agent_once(struct alt3 *a, struct lab_alt3_device *d, const char *aas_url, struct om_agent_result *res)
{
	char dir[PATH_CAP], ca[PATH_CAP], app[PATH_CAP];
	struct om_agent_config cfg = {
		.tre_dir = at(a, dir, "factory/devices/%s", d->tre_id), .networks = a->nets, .n_networks = N_OPS,
		.dm_ca_file = at(a, ca, "pki/cas/pva-ca.pem"), .net_timeout_ms = 8000, .retries = 1,
		.retry_min_ms = 50, .retry_max_ms = 200, .wait_push_ms = 0, .on_event = on_event, .event_arg = d,
		.aas_url = aas_url, .aas_pin = a->aas_pin, .app_params_path = at(a, app, "app-params/%s", d->tre_id),
	};
	d->refused_vno1 = d->refused_vno2 = 0;
	return om_agent_run(&cfg, res);
}

/* The device holds exactly what the activation service was given for it, and said so (step 8). */
static int app_held(struct alt3 *a, const struct lab_alt3_device *d, const struct om_agent_result *res)
{
	char p[PATH_CAP];
	size_t len = 0;
	uint8_t *obj = (uint8_t *)lab_slurp(at(a, p, "app-params/%s", d->tre_id), &len);
	int ok = obj && len == a->app_len[d->app] && !memcmp(obj, a->app_obj[d->app], len) && res->aas_code == 0 &&
		 !strcmp(res->app_server, app_server[d->app]);
	free(obj);
	return ok;
}

/* Nothing of the parameters on the device: no file (nor a temporary one), none in the result. */
static int app_nothing(struct alt3 *a, const struct lab_alt3_device *d, const struct om_agent_result *res)
{
	char p[PATH_CAP];
	return access(at(a, p, "app-params/%s", d->tre_id), F_OK) != 0 &&
	       access(at(a, p, "app-params/%s.tmp", d->tre_id), F_OK) != 0 && !res->app_server[0];
}

static void run_device(struct alt3 *a, struct lab_alt3_device *d)
{
	struct om_agent_result res;
	int rc = agent_once(a, d, a->aas_url, &res);
	snprintf(d->network, sizeof(d->network), "%s", rc == 0 ? res.network : "");
	int before_activation = d->part == ALT3_OP2_LATE && !a->late;
	if (before_activation) {
		/* suspended at OP-2, unknown at OP-1: refused by both (A3.2) */
		d->early_code = rc;
		d->ok = rc == OM_EAGENT_NETWORK && d->refused_vno1 >= 1 && d->refused_vno2 >= 1 && app_nothing(a, d, &res);
		return;
	}
	d->app_ok = rc == 0 && app_held(a, d, &res);
	const char *want = d->part == ALT3_OP1 ? "VNO-1" : "VNO-2";
	d->ok = rc == 0 && res.outcome == OM_AGENT_IDLE && !strcmp(res.network, want) && !strcmp(res.imsi, d->imsi) &&
		(d->part == ALT3_OP1 ? d->refused_vno1 == 0 : d->refused_vno1 >= 1);
	if (d->part == ALT3_OP2_LATE)
		d->ok = d->ok && d->early_code == OM_EAGENT_NETWORK;
	d->ok = d->ok && d->app_ok;
}

/*
 * The attacks on steps 7-8, on an OP-1 device before its own attach phase
 * (its owner's contract is live): each must leave it attached and idle with
 * nothing of the parameters. 1: an AAS whose TLS key is not its trust
 * root's (a certificate of a CA its DM CA file trusts): refused before a
 * byte is sent. 2, 3: the real AAS with the device's parameters file
 * tampered (the server turned into an http:// address of the same length)
 * or oversized: the AAS checks it with the device's codec and sends
 * nothing. The genuine file is then put back.
 */
static void attacks(struct alt3 *a)
{
	struct lab_alt3_result *r = a->r;
	struct lab_alt3_device *v = NULL;
	struct om_agent_result res;
	char p[PATH_CAP];
	static uint8_t bad[OM_APP_PARAMS_MAX + 2];
	for (unsigned i = 0; i < r->n && !v; i++)
		v = r->dev[i].part == ALT3_OP1 ? &r->dev[i] : NULL;
	if (!v)
		return;
	const uint8_t *good = a->app_obj[v->app];
	size_t n = a->app_len[v->app];
	at(a, p, "aas-params/%s", v->tre_id);

	int rc = agent_once(a, v, a->rogue_url, &res);
	r->rogue_refused = rc == 0 && res.outcome == OM_AGENT_IDLE && res.aas_code == OM_EAGENT_AAS_IDENTITY &&
			   app_nothing(a, v, &res);
	if (!r->rogue_refused)
		problem(r, "%s: the rogue AAS was not refused: run %s, activation %s", v->tre_id, om_errname(rc),
			om_errname(res.aas_code));

	memcpy(bad, good, n);
	memcpy(bad + 7, "http://x", 8); /* the server's first bytes, after magic, version and its length */
	rc = write_bytes(p, bad, n) == 0 ? agent_once(a, v, a->aas_url, &res) : OM_EIO;
	r->tampered_refused = rc == 0 && res.outcome == OM_AGENT_IDLE && res.aas_code == OM_EAGENT_REFUSED &&
			      app_nothing(a, v, &res);
	if (!r->tampered_refused)
		problem(r, "%s: a tampered parameters file was not refused: run %s, activation %s", v->tre_id,
			om_errname(rc), om_errname(res.aas_code));

	memcpy(bad, good, n);
	memset(bad + n, 0, sizeof(bad) - n);
	rc = write_bytes(p, bad, OM_APP_PARAMS_MAX + 1) == 0 ? agent_once(a, v, a->aas_url, &res) : OM_EIO;
	r->oversized_refused = rc == 0 && res.outcome == OM_AGENT_IDLE && res.aas_code == OM_EAGENT_REFUSED &&
			       app_nothing(a, v, &res);
	if (!r->oversized_refused)
		problem(r, "%s: an oversized parameters file was not refused: run %s, activation %s", v->tre_id,
			om_errname(rc), om_errname(res.aas_code));
	if (write_bytes(p, good, n) < 0)
		problem(r, "%s: not written back", p);
}

static void device_step(void *arg, unsigned i)
{
	struct alt3 *a = arg;
	struct lab_alt3_device *d = &a->r->dev[i];
	if (!a->late || d->part == ALT3_OP2_LATE)
		run_device(a, d);
}

static void attach_all(struct alt3 *a, int late)
{
	a->late = late;
	lab_for_each(a->r->n, a->o->jobs, device_step, a);
}

/* ---- the run ------------------------------------------------------------------------- */

static int parts(struct alt3 *a)
{
	struct lab_alt3_result *r = a->r;
	char p[PATH_CAP];
	char *text = lab_slurp(at(a, p, "factory/synthetic/verifiers.csv"), NULL);
	char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; /* the header */
	unsigned i = 0;
	uint64_t x = a->o->seed * 6364136223846793005ull + 1442695040888963407ull;
	while (line && (line = strtok_r(NULL, "\n", &save)) && i < r->n) {
		struct lab_alt3_device *d = &r->dev[i];
		snprintf(d->tre_id, sizeof(d->tre_id), "%.*s", (int)strcspn(line, ","), line);
		/* one of each part first, then drawn from the seed */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		d->part = i < ALT3_N_PARTS ? (enum lab_alt3_part)i : (enum lab_alt3_part)((x >> 33) % ALT3_N_PARTS);
		d->app = i % N_APPS; /* the application provider its owner chose, whatever the operator */
		r->n_part[d->part]++;
		i++;
	}
	free(text);
	if (i != r->n)
		return problem(r, "the factory's verifiers list has %u devices, not %u", i, r->n), -1;
	return 0;
}

int lab_alt3_run(const struct lab_alt3_options *o, struct lab_alt3_result *r)
{
	struct alt3 a = { .o = o, .r = r, .dir = o->workdir };
	double t0 = lab_now_ms(), t;
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", o->workdir);
	if (o->n_devices < ALT3_N_PARTS || !(r->dev = calloc(o->n_devices, sizeof(*r->dev)))) {
		problem(r, "--devices must be at least %d", ALT3_N_PARTS);
		return (int)r->n_problems;
	}
	r->n = o->n_devices;
	if (setup(&a) < 0 || parts(&a) < 0)
		goto out;
	r->ms[0] = (t = lab_now_ms()) - t0;
	if (start(&a) < 0)
		goto out;
	r->ms[1] = lab_now_ms() - t;
	t = lab_now_ms();
	owner(&a, 0);
	r->ms[2] = lab_now_ms() - t;
	t = lab_now_ms();
	attacks(&a);
	r->ms[3] = lab_now_ms() - t;
	t = lab_now_ms();
	attach_all(&a, 0);
	r->ms[4] = lab_now_ms() - t;
	t = lab_now_ms();
	owner(&a, 1);
	attach_all(&a, 1);
	r->ms[5] = lab_now_ms() - t;
	for (unsigned i = 0; i < r->n; i++) {
		struct lab_alt3_device *d = &r->dev[i];
		r->app_ok += d->app_ok;
		if (d->ok)
			r->ok_part[d->part]++;
		else
			problem(r, "%s (%s): attached at '%s' with %s; refused %u at VNO-1, %u at VNO-2; application parameters %s",
				d->tre_id, d->part == ALT3_OP1 ? "OP-1" : d->part == ALT3_OP2 ? "OP-2" : "OP-2 late",
				d->network[0] ? d->network : "nowhere", d->imsi, d->refused_vno1, d->refused_vno2,
				d->app_ok ? "held" : "NOT held as given");
	}
out:
	stop(&a);
	r->ms[6] = lab_now_ms() - t0;
	return (int)r->n_problems;
}

void lab_alt3_report(FILE *f, const struct lab_alt3_result *r)
{
	static const char *const what[ALT3_N_PARTS] = {
		"contract with OP-1: accepted at VNO-1",
		"contract with OP-2: refused at VNO-1, accepted at VNO-2",
		"OP-2, activated late: refused by both while suspended, then accepted at VNO-2",
	};
	fprintf(f, "openmcim lab --scenario alt3: Alternative 3, synthetic credentials (spec/000 5.2.4.6.3)\n\n");
	fprintf(f, "  %-9s %8.0f ms  %u devices personalised with f(Ku), Ku on their labels\n", "factory", r->ms[0], r->n);
	fprintf(f, "  %-9s %8.0f ms  OP-1 and OP-2: HSS and visited network each\n", "start", r->ms[1]);
	fprintf(f, "  %-9s %8.0f ms  Ku given to the chosen operator, created suspended, activated\n", "owner", r->ms[2]);
	fprintf(f, "  %-9s %8.0f ms  a rogue AAS, a tampered and an oversized parameters file\n", "attacks", r->ms[3]);
	fprintf(f, "  %-9s %8.0f ms  each device tries VNO-1 then VNO-2, then its AAS\n", "attach", r->ms[4]);
	fprintf(f, "  %-9s %8.0f ms  the late devices activated, attached, then their AAS\n\n", "activate", r->ms[5]);
	for (int p = 0; p < ALT3_N_PARTS; p++)
		fprintf(f, "  %3u/%-3u %s\n", r->ok_part[p], r->n_part[p], what[p]);
	fprintf(f, "  %3u/%-3u hold the application parameters their owner chose, from MFR-1's AAS (./M2MAppParams)\n",
		r->app_ok, r->n);
	fprintf(f, "  a mistyped Ku: %s\n", r->wrong_ku_refused ? "refused (OM_ESHO_SYNTH_UNKNOWN), nothing created"
							  : "NOT refused as expected");
	fprintf(f, "  an AAS with the trust root's key, not aas_pin's: %s\n",
		r->rogue_refused ? "refused (OM_EAGENT_AAS_IDENTITY), nothing kept" : "NOT refused as expected");
	fprintf(f, "  a tampered parameters file: %s\n",
		r->tampered_refused ? "not sent (OM_EOBJ_FIELD at the AAS), nothing kept" : "NOT refused as expected");
	fprintf(f, "  an oversized parameters file: %s\n",
		r->oversized_refused ? "not sent (OM_EOBJ_TOO_LONG at the AAS), nothing kept" : "NOT refused as expected");
	lab_report_end(f, r->problems, sizeof(r->problems) / sizeof(r->problems[0]), r->n_problems, r->dir);
}

void lab_alt3_free(struct lab_alt3_result *r)
{
	free(r->dev);
	r->dev = NULL;
}
