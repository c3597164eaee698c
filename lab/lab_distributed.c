/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario distributed-ro`: spec/000 5.2.2.3.5 cases 1, 3
 * and 4 (lab_distributed.h has the phases). The lab's topology is set up and
 * started as for the story; this file adds two Registration Operators beside
 * its RO, each as its operators would run it: a factory run made with its
 * own certificate as the devices' root, the sections the VNO, the SHOs and
 * their DPFs need to reach it, and its stores seeded once its daemons run,
 * as the lab's own (lab_seed.c, docs/lab.md "Seeding"): its ICF by the
 * HSS's import on its provisioning socket, its Cert_TREs by the PVA's on
 * its admin socket, its DRF's register on the DRF's admin socket. The lab
 * opens no store of theirs (tests/boundary_test.c); it reaches the daemons
 * only over their sockets and HTTPS APIs.
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
#include <openmcim/pki.h>

#include "agent.h"
#include "factory.h"
#include "lab_dro_int.h"
#include "sho.h"

#define PATH_CAP DRO_PATH_CAP
#define PCID_APN OM_FACTORY_DEFAULT_APN
/* SHO-A's DPF sets these with every MCIM (spec/000 5.2.4.3.5); the anchor is the lab TLS CA */
#define APP_SERVER "https://app.fleet-1.lab:8443/m2m"

/*
 * The extra Registration Operators. RO-2's PCIDs are inside the lab RO's
 * PLMN 001-01: the VNO tells them apart by the longest [home.*] prefix
 * (docs/vno.md), so RO-2 needs a realm of its own.
 */
const struct dro_extra_ro dro_extra[DRO_N_EXTRA] = {
	{ "RO-2", "ro-2", "01", "9000000001", "001019", "ro-2.epc.mnc001.mcc001.3gppnetwork.org", "TRF" },
	{ "RO-3", "ro-3", "05", "0000000001", "00105", "epc.mnc005.mcc001.3gppnetwork.org", "TRG" },
	/* case 2: the common space's service identities, which RO-C2 takes over at the failover */
	{ "RO-C", "ro-c", "06", "0000000001", "00106", "epc.mnc006.mcc001.3gppnetwork.org", "TRH" },
};
#define extra_ro dro_extra
#define problem dro_problem
#define at dro_at

/* Which ICF log and DRF log is each RO's, by stem ("ro" is the lab's; RO-C2's is "ro-c2"). */
static const char *const ro_stem[LAB_DRO_N_ROS] = { "ro", "ro-2", "ro-3", "ro-c" };
static const char *const ro_name[LAB_DRO_N_ROS] = { "RO", "RO-2", "RO-3", "RO-C" };

/* The stem of the RO that served d: RO-C's devices of after the failover were RO-C2's. */
static const char *served_stem(const struct lab_dro_device *d)
{
	return d->ro == DRO_RO_C && d->phase ? "ro-c2" : ro_stem[d->ro];
}

const char *dro_at(const struct dro *a, char *buf, const char *fmt, ...)
{
	char rel[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(buf, PATH_CAP, "%s/%s", a->l.dir, rel);
	return buf;
}

/* ---- setup of one extra RO ------------------------------------------------------------- */

/* Its factory run: the devices' Cert_SHO[0] is this RO's own SHO_SIGNING certificate. */
static int factory(struct dro *a, const struct dro_extra_ro *x)
{
	char p[PATH_CAP];
	X509 *ca_cert = NULL, *root = NULL;
	EVP_PKEY *ca_key = NULL;
	struct om_ca *ca = NULL;
	int rc = om_cert_load(&ca_cert, at(a, p, "pki/cas/pva-ca.pem"));
	if (rc == 0)
		rc = om_key_load(&ca_key, at(a, p, "pki/cas/pva-ca.key"));
	if (rc == 0)
		rc = om_cert_load(&root, at(a, p, "pki/%s-signing.pem", x->stem));
	if (rc == 0)
		rc = om_ca_open(&ca, ca_cert, ca_key);
	struct om_factory_config fc = { .pva_ca = ca, .ro_cert = root, .mcc = "001", .mnc = x->mnc,
					.msin_first = x->msin_first, .tre_prefix = x->tre_prefix,
					.n_devices = a->o->n_per_ro };
	if (rc == 0)
		rc = om_factory_run(at(a, p, "%s-factory", x->stem), &fc, NULL);
	om_ca_free(ca);
	X509_free(ca_cert);
	X509_free(root);
	EVP_PKEY_free(ca_key);
	return rc;
}

/* The PCIDs of a run's ICF file, in device order (the delivery note's). */
static int read_pcids(struct dro *a, const struct dro_extra_ro *x, char (*pcid)[16], unsigned n)
{
	char p[PATH_CAP];
	size_t len = 0;
	char *text = lab_slurp(at(a, p, "%s-factory/ro/pcid-credentials.csv", x->stem), &len);
	unsigned i = 0;
	for (char *s = text ? strchr(text, '\n') : NULL; s && i < n; i++) {
		s++;
		size_t w = strcspn(s, ",");
		if (w < 6 || w > 15)
			break;
		snprintf(pcid[i], 16, "%.*s", (int)w, s);
		s = strchr(s, '\n');
	}
	if (text)
		OPENSSL_cleanse(text, len); /* K and OPc */
	free(text);
	return i == n ? 0 : -1;
}

/* Append text to <dir>/<name>.conf (the topology's file, written by lab_setup). */
static int conf_append(struct dro *a, const char *name, const char *text)
{
	char p[PATH_CAP];
	FILE *f = fopen(at(a, p, "%s.conf", name), "a");
	int ok = f && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		problem(a->r, "%s: %s", p, strerror(errno));
	return ok ? 0 : OM_ELAB_SETUP;
}

/* The ICF's and DRF's configurations, and what the VNO and the SHOs need to reach them. */
static int configs(struct dro *a, unsigned k)
{
	const struct dro_extra_ro *x = &extra_ro[k];
	const struct lab_priv *pv = a->l.priv;
	const char *d = a->l.dir;
	char t[16384], p[PATH_CAP];
	int rc = lab_mkdir(at(a, p, "%s-hss", x->stem), 0700);
	if (rc == 0)
		rc = lab_mkdir(at(a, p, "%s-drf", x->stem), 0700);
	if (rc < 0)
		return problem(a->r, "%s: %s", p, strerror(errno)), OM_ELAB_SETUP;
	snprintf(t, sizeof(t),
		 "# %s's ICF (spec/000 5.2.2.3.5), written by lab --scenario distributed-ro\n"
		 "[hss]\ndb = %s\nmax_vectors = 5\nsqn_reserve = 1024\n%s"
		 "provision_socket = %s/%s-hss/prov.sock\nlog_level = info\nrun_dir = %s/%s-hss\n"
		 "[diameter]\nidentity = hss.%s.lab\nrealm = %s\nlisten = 127.0.0.1\nport = %u\npeers = mme.vno.lab\n"
		 "dict_dir = %s\ntls_cert = %s/pki/diameter/hss.%s.lab.pem\ntls_key = %s/pki/diameter/hss.%s.lab.key\n"
		 "tls_ca = %s/pki/diameter/ca.pem\n",
		 x->id, a->icf_db[k], k == DRO_RO_C - 1 ? "frontends = 2\nfrontend_index = 0\n" : "", d, x->stem, d,
		 x->stem, x->stem, x->realm, a->hss_dia[k], lab_fd_dict_dir(), d,
		 x->stem, d, x->stem, d);
	snprintf(p, sizeof(p), "%s-hss.conf", x->stem);
	if ((rc = lab_write_file(at(a, p, "%s-hss.conf", x->stem), t, 0600)) < 0)
		return problem(a->r, "%s: %s", p, om_strerror(rc)), OM_ELAB_SETUP;
	/* as the lab RO's DRF: SHO-A and SHO-B may ask, each only with its operator certificate's key */
	snprintf(t, sizeof(t),
		 "# %s's DRF (spec/000 5.2.2.3.5), written by lab --scenario distributed-ro\n"
		 "[drf]\ndb = %s\nsho_id = %s\nsigning_key = %s/pki/%s-signing.key\n"
		 "signing_cert = %s/pki/%s-signing.pem\ntls_cert = %s/pki/tls/drf.%s.lab.pem\n"
		 "tls_key = %s/pki/tls/drf.%s.lab.key\nclient_ca = %s\npeers = SHO-A:sho-a.lab, SHO-B:sho-b.lab\n"
		 "peer_certs = SHO-A:%s/pki/tls/sho-a.lab.pem, SHO-B:%s/pki/tls/sho-b.lab.pem\n"
		 "listen = 127.0.0.1\nport = %u\ngrace_period = %u\nremoval_interval = 1\n"
		 "push_url = https://localhost:%u\npush_ca = %s\npush_cert = %s/pki/tls/drf.%s.lab.pem\n"
		 "push_key = %s/pki/tls/drf.%s.lab.key\npush_retry_min = 1\npush_retry_max = 4\nlog_level = info\n"
		 "admin_socket = %s/%s-drf/admin.sock\n",
		 x->id, a->drf_db[k], x->id, d, x->stem, d, x->stem, d, x->stem, d, x->stem, a->l.tls_ca, d, d,
		 a->drf_port[k], a->l.opt.grace_s, pv->ports.push, a->l.tls_ca, d, x->stem, d, x->stem, d, x->stem);
	if ((rc = lab_write_file(at(a, p, "%s-drf.conf", x->stem), t, 0600)) < 0)
		return problem(a->r, "%s: %s", p, om_strerror(rc)), OM_ELAB_SETUP;
	/* the VNO: this range to this ICF, and only this RO's DRF may push to it (docs/vno.md "Push") */
	snprintf(t, sizeof(t),
		 "# %s (lab --scenario distributed-ro)\n[home.%s]\nrealm = %s\npeer = hss.%s.lab\naddress = 127.0.0.1:%u\n"
		 "push_cert = %s/pki/tls/drf.%s.lab.pem\n",
		 x->id, x->prefix, x->realm, x->stem, a->hss_dia[k], d, x->stem);
	if ((rc = conf_append(a, "vno", t)) < 0)
		return rc;
	/* the SHOs ask this DRF for handovers, their DPFs report completions to it */
	snprintf(t, sizeof(t), "# %s (lab --scenario distributed-ro)\n[peer.%s]\nurl = https://localhost:%u\nca = %s\n",
		 x->id, x->id, a->drf_port[k], a->l.tls_ca);
	static const char *const clients[] = { "sho-a-sho", "sho-b-sho", "sho-a-dpf", "sho-b-dpf" };
	for (size_t i = 0; rc == 0 && i < sizeof(clients) / sizeof(clients[0]); i++)
		rc = conf_append(a, clients[i], t);
	return rc;
}

/* SHO-A's DPF sets the application parameters with each MCIM; the devices keep them under app-params/. */
static int application(struct dro *a)
{
	char t[LAB_PATH_MAX + 200], p[PATH_CAP];
	snprintf(t, sizeof(t),
		 "# the M2M application's server and its trust anchor (lab --scenario distributed-ro)\n"
		 "[application]\nserver = " APP_SERVER "\ntrust_anchor = %s\n",
		 a->l.tls_ca);
	if (lab_mkdir(at(a, p, "app-params"), 0700) < 0)
		return problem(a->r, "%s: %s", p, strerror(errno)), OM_ELAB_SETUP;
	return conf_append(a, "sho-a-dpf", t);
}

static int setup(struct dro *a)
{
	char why[512];
	struct lab_options lo = { .workdir = a->o->workdir, .bin_dir = a->o->bin_dir, .n_devices = a->o->n_per_ro,
				  .seed = a->o->seed, .grace_s = 2, .fallback_s = 20 };
	if (lab_setup(&a->l, &lo, why, sizeof(why)) < 0)
		return problem(a->r, "setup: %s", why), OM_ELAB_SETUP;
	a->lab_set_up = 1;
	snprintf(a->r->dir, sizeof(a->r->dir), "%s", a->l.dir);
	const struct lab_priv *pv = a->l.priv;
	for (unsigned i = 0; i < a->o->n_per_ro; i++) {
		struct lab_dro_device *dev = &a->r->dev[i];
		snprintf(dev->tre_id, sizeof(dev->tre_id), "%s", a->l.tre_ids[i]);
		snprintf(dev->pcid, sizeof(dev->pcid), "%s", pv->pcid[i]);
		dev->lab_index = i;
	}
	uint16_t ports[2 * DRO_N_EXTRA];
	if (lab_free_ports(ports, a->port_lock, 2 * (int)a->n_extra) < 0)
		return problem(a->r, "no free ports"), OM_ELAB_SETUP;
	a->locks_held = 1;
	for (unsigned k = 0; k < a->n_extra; k++) {
		const struct dro_extra_ro *x = &extra_ro[k];
		unsigned first = (k + 1) * a->o->n_per_ro;
		const char *step = "";
		char pcid[64][16], (*pcids)[16] = a->o->n_per_ro <= 64 ? pcid : calloc(a->o->n_per_ro, 16);
		a->hss_dia[k] = ports[2 * k];
		a->drf_port[k] = ports[2 * k + 1];
		at(a, a->icf_db[k], "%s-hss.db", x->stem);
		at(a, a->drf_db[k], "%s-drf.db", x->stem);
		int rc = k == DRO_RO_C - 1 ? dro_case2_primary(a) : 0;
		if (rc == 0)
			rc = lab_pki_operator(a->l.dir, x->stem, x->id, &step);
		if (rc < 0)
			problem(a->r, "%s PKI: %s: %s", x->id, step, om_strerror(rc));
		else if ((rc = factory(a, x)) < 0)
			problem(a->r, "%s factory run: %s", x->id, om_strerror(rc));
		else if (!pcids || read_pcids(a, x, pcids, a->o->n_per_ro) < 0)
			rc = OM_ELAB_SETUP, problem(a->r, "%s: the ICF file's PCIDs", x->id);
		for (unsigned i = 0; rc == 0 && i < a->o->n_per_ro; i++) {
			snprintf(a->r->dev[first + i].pcid, sizeof(a->r->dev[0].pcid), "%s", pcids[i]);
			a->r->dev[first + i].ro = k + 1;
			/* case 2: the first half before the failover, the rest after (at least one each) */
			a->r->dev[first + i].phase = k + 1 == DRO_RO_C && i >= (a->o->n_per_ro + 1) / 2;
			a->r->dev[first + i].sqn_slot = -1;
		}
		if (pcids != pcid)
			free(pcids);
		if (rc == 0)
			rc = configs(a, k);
		if (rc == 0 && k == DRO_RO_C - 1)
			rc = dro_case2_standby(a);
		if (rc < 0)
			return rc;
	}
	for (unsigned i = 0; i < a->r->n; i++) {
		a->r->n_ro[a->r->dev[i].ro]++;
		if (a->r->dev[i].ro == DRO_RO_C)
			a->r->n_phase[a->r->dev[i].phase]++;
	}
	return application(a);
}

/* ---- the daemons ------------------------------------------------------------------------- */

int dro_spawn(struct dro *a, const char *stem, const char *what, pid_t *pid)
{
	char exe[PATH_CAP], conf[PATH_CAP], log[PATH_CAP], why[300];
	snprintf(exe, sizeof(exe), "%s/openmcim-%s", a->l.bin_dir, what);
	at(a, conf, "%s-%s.conf", stem, what);
	at(a, log, "%s-%s.log", stem, what);
	*pid = lab_spawn(exe, conf, log, NULL);
	if (*pid < 0 || lab_wait_log(log, 0, " started ", *pid, 30000, why, sizeof(why)) < 0) {
		problem(a->r, "%s-%s did not start: %s", stem, what, *pid < 0 ? strerror(errno) : why);
		return OM_ELAB_DAEMON;
	}
	return 0;
}

/* ---- the stores, seeded once their daemons run (lab_seed.c) ------------------------------ */

/* RO k's ICF: its run's PCIDs, by the HSS's own import on its provisioning socket (hss-admin import). */
static int seed_icf(struct dro *a, unsigned k)
{
	const struct dro_extra_ro *x = &extra_ro[k];
	char sock[PATH_CAP], p[PATH_CAP], why[512];
	if (lab_seed_icf(at(a, sock, "%s-hss/prov.sock", x->stem), at(a, p, "%s-factory/ro/pcid-credentials.csv", x->stem),
			 why, sizeof(why)) < 0)
		return problem(a->r, "%s's ICF: %s", x->id, why), OM_ELAB_SETUP;
	return 0;
}

/* RO k's run's Cert_TREs and references, by the PVA's import on its admin socket (pva-admin import). */
static int seed_pva(struct dro *a, unsigned k)
{
	const struct dro_extra_ro *x = &extra_ro[k];
	char sock[PATH_CAP], p[PATH_CAP], why[512];
	if (lab_seed_pva(lab_socket(&a->l, LAB_D_PVA, "admin.sock", sock, sizeof(sock)),
			 at(a, p, "%s-factory/pva", x->stem), why, sizeof(why)) < 0)
		return problem(a->r, "PVA import of %s's run: %s", x->id, why), OM_ELAB_SETUP;
	return 0;
}

/*
 * RO k's DRF's register on its admin socket (drf-admin operator add, device
 * add): the operators that may ask it (SHO-A, SHO-B by their SHO_SIGNING
 * certificates) and each of its devices with its PCID, owned by the lab's
 * owner; the devices' TRE_ids from its run's delivery note.
 */
static int seed_drf(struct dro *a, unsigned k)
{
	static const char *const shos[][2] = { { "SHO-A", "sho-a" }, { "SHO-B", "sho-b" } };
	const struct dro_extra_ro *x = &extra_ro[k];
	const unsigned first = (k + 1) * a->o->n_per_ro;
	char p[PATH_CAP], sock[PATH_CAP], why[512];
	struct lab_seed_operator op[2];
	uint8_t *der[2] = { 0 };
	size_t len[2] = { 0 };
	struct sho_device_in *note = NULL;
	struct lab_seed_device *dev = NULL;
	int n = sho_note_read(at(a, p, "%s-factory/owner/delivery-note.csv", x->stem), &note, why, sizeof(why));
	int rc = n == (int)a->o->n_per_ro ? 0 : OM_ELAB_SETUP;
	if (rc < 0) {
		problem(a->r, "%s's delivery note: %s", x->id, n < 0 ? why : "row count");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		if ((rc = lab_seed_cert_der(at(a, p, "pki/%s-signing.pem", shos[i][1]), &der[i], &len[i])) < 0)
			problem(a->r, "%s: %s", p, om_strerror(rc));
		op[i] = (struct lab_seed_operator){ shos[i][0], der[i], len[i] };
	}
	if (rc == 0 && !(dev = calloc((size_t)n, sizeof(*dev))))
		rc = OM_ENOMEM, problem(a->r, "out of memory");
	for (int i = 0; rc == 0 && i < n; i++) {
		struct lab_dro_device *d = &a->r->dev[first + (unsigned)i];
		snprintf(d->tre_id, sizeof(d->tre_id), "%s", note[i].tre_id);
		dev[i] = (struct lab_seed_device){ note[i].tre_id,     d->pcid,		      note[i].cert_enc,
						   note[i].cert_sign,  note[i].cert_enc_len, note[i].cert_sign_len };
	}
	if (rc == 0 && (rc = lab_seed_drf(at(a, sock, "%s-drf/admin.sock", x->stem), op, 2, dev, (size_t)n, LAB_OWNER,
					  (int64_t)time(NULL), NULL, why, sizeof(why))) < 0)
		problem(a->r, "%s's DRF register: %s", x->id, why);
out:
	for (size_t i = 0; i < 2; i++)
		om_pki_free(der[i], len[i]);
	free(dev);
	sho_devices_free(note, n > 0 ? (size_t)n : 0);
	return rc < 0 ? OM_ELAB_SETUP : 0;
}

/*
 * The extra ICFs before the VNO (it waits for its Diameter peers), each
 * seeded once it runs; the lab's daemons, its PVA then given the extra runs;
 * the extra DRFs after the VNO (they push through it), each seeded once it
 * runs. The owner's calls come after all of it.
 */
static int start(struct dro *a)
{
	char why[512];
	for (unsigned k = 0; k < a->n_extra; k++)
		if (dro_spawn(a, extra_ro[k].stem, "hss", &a->hss[k]) < 0)
			return OM_ELAB_DAEMON;
	for (unsigned k = 0; k < a->n_extra; k++)
		if (seed_icf(a, k) < 0)
			return OM_ELAB_SETUP;
	if (lab_start(&a->l, why, sizeof(why)) < 0)
		return problem(a->r, "start: %s", why), OM_ELAB_DAEMON;
	for (unsigned k = 0; k < a->n_extra; k++)
		if (seed_pva(a, k) < 0)
			return OM_ELAB_SETUP;
	for (unsigned k = 0; k < a->n_extra; k++)
		if (dro_spawn(a, extra_ro[k].stem, "drf", &a->drf[k]) < 0 || seed_drf(a, k) < 0)
			return OM_ELAB_DAEMON;
	return 0;
}

static void stop(struct dro *a)
{
	for (unsigned k = 0; k < a->n_extra; k++)
		if (a->drf[k] > 0 && lab_reap(a->drf[k], SIGTERM, 10000) != 0)
			problem(a->r, "%s-drf did not exit cleanly on SIGTERM", extra_ro[k].stem);
	if (a->lab_set_up) {
		int bad = lab_stop(&a->l);
		if (bad)
			problem(a->r, "%d daemon(s) of the lab did not exit cleanly on SIGTERM", bad);
	}
	for (unsigned k = 0; k < a->n_extra; k++)
		if (a->hss[k] > 0 && lab_reap(a->hss[k], SIGTERM, 10000) != 0)
			problem(a->r, "%s-hss did not exit cleanly on SIGTERM", extra_ro[k].stem);
	memset(a->drf, 0, sizeof(a->drf));
	memset(a->hss, 0, sizeof(a->hss));
	dro_case2_stop(a);
	for (unsigned i = 0; a->locks_held && i < 2 * a->n_extra; i++)
		if (a->port_lock[i] >= 0)
			close(a->port_lock[i]);
	a->locks_held = 0;
}

/* ---- the owner ------------------------------------------------------------------------- */

static int transfer_code(struct dro *a, const struct lab_dro_device *d, char code[32])
{
	char sock[PATH_CAP];
	if (d->ro == 0)
		return lab_transfer_code(&a->l, LAB_RO, d->tre_id, code);
	return lab_transfer_code_at(at(a, sock, "%s-drf/admin.sock", served_stem(d)), d->tre_id, code);
}

/*
 * The Editor's note of 5.2.2.3.5 ("an RO that is not serving its PIMSI"): the
 * owner registers device 0 (RO's) at SHO-B naming RO-2 as its current
 * operator. SHO-B asks RO-2's DRF, which does not hold the device: refused,
 * and nothing is pushed.
 */
static void wrong_ro(struct dro *a)
{
	const struct lab_priv *pv = a->l.priv;
	char why[300], code[32], answer[400];
	char *row = NULL;
	size_t cap = strlen(pv->note[0].head) + sizeof(pv->note[0].claim) + 128;
	if (!(row = malloc(cap)))
		return problem(a->r, "out of memory");
	snprintf(row, cap, "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret\n%s,RO-2,%s\n",
		 pv->note[0].head, pv->note[0].claim);
	int n = lab_register_csv(&a->l, LAB_SHO_B, row, strlen(row), why, sizeof(why));
	OPENSSL_cleanse(row, cap);
	free(row);
	if (n != 1)
		return problem(a->r, "register at SHO-B naming RO-2: %s", n < 0 ? why : "not registered");
	if (transfer_code(a, &a->r->dev[0], code) < 0)
		return problem(a->r, "no transfer code from RO for %s", a->r->dev[0].tre_id);
	int st = lab_handover(&a->l, LAB_SHO_B, a->r->dev[0].tre_id, code, answer, sizeof(answer));
	OPENSSL_cleanse(code, sizeof(code));
	answer[strcspn(answer, "\n")] = 0;
	snprintf(a->r->wrong_ro_answer, sizeof(a->r->wrong_ro_answer), "HTTP %d %.150s", st, answer);
	a->r->wrong_ro_refused = st >= 400 && st < 500;
	if (!a->r->wrong_ro_refused)
		problem(a->r, "SHO-B's handover through RO-2, which does not serve %s, was not refused: %s",
			a->r->dev[0].tre_id, a->r->wrong_ro_answer);
}

/* The owner's handover at SHO-A for d, with a code from the RO that serves it now. */
static void handover(struct dro *a, struct lab_dro_device *d)
{
	char code[32], answer[400];
	if (transfer_code(a, d, code) < 0) {
		problem(a->r, "%s: no transfer code from %s", d->tre_id, ro_name[d->ro]);
		return;
	}
	d->handover_status = lab_handover(&a->l, LAB_SHO_A, d->tre_id, code, answer, sizeof(answer));
	OPENSSL_cleanse(code, sizeof(code));
	if (d->handover_status != 200)
		problem(a->r, "%s: handover at SHO-A from %s: HTTP %d %.100s", d->tre_id, ro_name[d->ro],
			d->handover_status, answer);
}

/* Every device registered at SHO-A, and handed over but for RO-C's of after the failover (case 2). */
static void owner(struct dro *a)
{
	char why[512], p[PATH_CAP];
	int n = lab_register(&a->l, LAB_SHO_A, LAB_RO, NULL, 0, why, sizeof(why));
	if (n != (int)a->o->n_per_ro)
		problem(a->r, "register RO's devices at SHO-A: %s", n < 0 ? why : "not all registered");
	for (unsigned k = 0; k < a->n_extra; k++) {
		size_t len = 0;
		/* the factory's note names the RO whose certificate it used: sho_id RO-2, RO-3 or RO-C */
		char *note = lab_slurp(at(a, p, "%s-factory/owner/delivery-note.csv", extra_ro[k].stem), &len);
		n = note ? lab_register_csv(&a->l, LAB_SHO_A, note, len, why, sizeof(why)) : OM_EIO;
		if (note)
			OPENSSL_cleanse(note, len); /* the owner claims */
		free(note);
		if (n != (int)a->o->n_per_ro)
			problem(a->r, "register %s's devices at SHO-A: %s", extra_ro[k].id, n < 0 ? why : "not all registered");
	}
	wrong_ro(a);
	for (unsigned i = 0; i < a->r->n; i++)
		if (!a->r->dev[i].phase)
			handover(a, &a->r->dev[i]);
}

/* ---- the devices --------------------------------------------------------------------- */

static void run_device(struct dro *a, struct lab_dro_device *d)
{
	char buf[PATH_CAP + 64], dir[PATH_CAP];
	struct om_agent_config cfg;
	struct om_agent_result res;
	lab_agent_config(&a->l, 0, &cfg, buf, sizeof(buf));
	if (d->ro == 0)
		cfg.tre_dir = lab_device_dir(&a->l, d->lab_index, dir, sizeof(dir));
	else
		cfg.tre_dir = at(a, dir, "%s-factory/devices/%s", extra_ro[d->ro - 1].stem, d->tre_id);
	char app[PATH_CAP];
	cfg.app_params_path = at(a, app, "app-params/%s", d->tre_id);
	memset(&res, 0, sizeof(res));
	d->code = om_agent_run(&cfg, &res);
	snprintf(d->app_server, sizeof(d->app_server), "%s", res.app_server);
	d->outcome = res.outcome;
	snprintf(d->imsi, sizeof(d->imsi), "%s", d->code == 0 ? res.imsi : "");
}

static void device_step(void *arg, unsigned i)
{
	struct dro *a = arg;
	struct lab_dro_device *d = &a->r->dev[i];
	if (d->handover_status == 200 && !d->ran) {
		d->ran = 1;
		run_device(a, d);
	}
}

/* ---- verify ------------------------------------------------------------------------------ */

/* 1 if a line of log has both a and b. */
static int line_with(const char *log, const char *a, const char *b)
{
	for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *e = strchr(l, '\n'), *x = strstr(l, a), *y = strstr(l, b);
		if (x && y && (!e || (x < e && y < e)))
			return 1;
	}
	return 0;
}

/* 1 if the log has an S6a "aia" line for imsi (the ICF answered its authentication), 0 if not. */
static int icf_answered(const char *log, const char *imsi)
{
	char needle[40];
	snprintf(needle, sizeof(needle), "imsi=%s ", imsi);
	return line_with(log, needle, " aia ");
}

/*
 * Whether d's RO pushed its bootstrap (the VNO took it) and heard the
 * completion from SHO-A's DPF (Note Z): the report leaves the DPF's queue
 * after the device is at rest, so it is waited for, up to 20 s.
 */
static void ro_saw(struct dro *a, const struct lab_dro_device *d, int *pushed, int *completed)
{
	char p[PATH_CAP], imsi[40], tre[OM_TRE_ID_MAX + 16];
	snprintf(imsi, sizeof(imsi), "imsi=%s ", d->pcid);
	snprintf(tre, sizeof(tre), "tre_id=%s ", d->tre_id);
	at(a, p, "%s-drf.log", served_stem(d));
	for (int tries = 0; tries < 200; tries++) {
		char *log = lab_slurp(p, NULL);
		*pushed = line_with(log, imsi, "result=delivered");
		*completed = line_with(log, tre, "drf-handover-completed sender=SHO-A ");
		free(log);
		if (*completed || d->outcome != OM_AGENT_PROVISIONED)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
}

/* 1 if the device's stored object is SHO-A's: APP_SERVER and the lab TLS CA as the anchor. */
static int app_params_kept(struct dro *a, const struct lab_dro_device *d, const uint8_t *anchor, size_t anchor_len)
{
	char p[PATH_CAP];
	size_t len = 0;
	struct om_app_params ap;
	uint8_t *obj = (uint8_t *)lab_slurp(at(a, p, "app-params/%s", d->tre_id), &len);
	int ok = obj && om_app_params_parse(obj, len, &ap) == 0 && !strcmp(ap.server, APP_SERVER) &&
		 !strcmp(d->app_server, APP_SERVER) && ap.anchor_len == anchor_len &&
		 !memcmp(ap.anchor, anchor, anchor_len);
	free(obj);
	return ok;
}

static void verify(struct dro *a)
{
	char p[PATH_CAP], *icf[LAB_DRO_N_ROS + 1]; /* + RO-C2's */
	static const char *const icf_stem[LAB_DRO_N_ROS + 1] = { "ro", "ro-2", "ro-3", "ro-c", "ro-c2" };
	X509 *ca = NULL;
	uint8_t *anchor = NULL;
	size_t anchor_len = 0;
	if (om_cert_load(&ca, a->l.tls_ca) < 0 || om_cert_encode(ca, OM_ENC_DER, &anchor, &anchor_len) < 0)
		problem(a->r, "%s: cannot read the lab TLS CA", a->l.tls_ca);
	X509_free(ca);
	for (unsigned k = 0; k < LAB_DRO_N_ROS + 1; k++)
		icf[k] = lab_slurp(at(a, p, "%s-hss.log", icf_stem[k]), NULL);
	for (unsigned i = 0; i < a->r->n; i++) {
		struct lab_dro_device *d = &a->r->dev[i];
		unsigned served_by = 0, other = 0;
		for (unsigned k = 0; k < LAB_DRO_N_ROS + 1; k++)
			if (icf_answered(icf[k], d->pcid))
				!strcmp(icf_stem[k], served_stem(d)) ? (void)served_by++ : (void)other++;
		int pushed = 0, completed = 0;
		ro_saw(a, d, &pushed, &completed);
		int app = anchor && app_params_kept(a, d, anchor, anchor_len);
		a->r->app_params_ok += app;
		int at_sho_a = d->imsi[0] && !strncmp(d->imsi, "00102", 5) && lab_hss_has(&a->l, LAB_SHO_A, d->imsi) == 1;
		d->ok = d->code == 0 && d->outcome == OM_AGENT_PROVISIONED && at_sho_a && served_by && !other && pushed &&
			completed && app;
		if (d->ok) {
			a->r->ok_ro[d->ro]++;
			a->r->ok_phase[d->phase] += d->ro == DRO_RO_C;
		} else
			problem(a->r,
				"%s (%s, PCID %s): %s, outcome %s, IMSI '%s'%s; PCID authenticated by its ICF: %s, by "
				"another: %s; push from its DRF: %s; completion at its DRF: %s; application parameters: %s",
				d->tre_id, d->ro == DRO_RO_C && d->phase ? "RO-C2" : ro_name[d->ro], d->pcid, d->code ? om_strerror(d->code) : "ran",
				om_agent_outcome_name(d->outcome), d->imsi, at_sho_a ? " at SHO-A" : "",
				served_by ? "yes" : "no", other ? "yes" : "no", pushed ? "yes" : "no", completed ? "yes" : "no",
				app ? "kept" : "missing");
	}
	for (unsigned k = 0; k < LAB_DRO_N_ROS + 1; k++)
		free(icf[k]);
	om_pki_free(anchor, anchor_len);
}

/* ---- the run --------------------------------------------------------------------------- */

int lab_dro_run(const struct lab_dro_options *o, struct lab_dro_result *r)
{
	struct dro a = { .o = o, .r = r };
	double t0 = lab_now_ms(), t;
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", o->workdir);
	unsigned n_ros = o->case2 ? LAB_DRO_N_ROS : LAB_DRO_N_ROS - 1;
	a.n_extra = n_ros - 1;
	if (o->n_per_ro < (o->case2 ? 2u : 1u) || o->n_per_ro > 10000 ||
	    !(r->dev = calloc((size_t)o->n_per_ro * n_ros, sizeof(*r->dev)))) {
		problem(r, "--devices must give %u to 10000 devices per RO", o->case2 ? 2 : 1);
		return (int)r->n_problems;
	}
	r->n = o->n_per_ro * n_ros;
	if (setup(&a) < 0)
		goto out;
	r->ms[0] = (t = lab_now_ms()) - t0;
	if (start(&a) < 0)
		goto out;
	r->ms[1] = lab_now_ms() - t;
	t = lab_now_ms();
	owner(&a);
	r->ms[2] = lab_now_ms() - t;
	t = lab_now_ms();
	lab_for_each(r->n, o->jobs, device_step, &a);
	for (unsigned i = 0; o->case2 && i < r->n; i++) {
		/* RO-C dies only once its DRF heard the completions of the devices it served (Note Z) */
		int pushed = 0, completed = 0;
		if (r->dev[i].ro == DRO_RO_C && !r->dev[i].phase)
			ro_saw(&a, &r->dev[i], &pushed, &completed);
	}
	if (o->case2 && dro_case2_failover(&a) == 0) {
		/* case 2: RO-C's other devices through RO-C2, which now holds the common space */
		for (unsigned i = 0; i < r->n; i++)
			if (r->dev[i].phase)
				handover(&a, &r->dev[i]);
		lab_for_each(r->n, o->jobs, device_step, &a);
	}
	r->ms[3] = lab_now_ms() - t;
	verify(&a);
	if (o->case2)
		dro_case2_verify(&a);
out:
	stop(&a);
	if (a.lab_set_up)
		lab_free(&a.l);
	r->ms[4] = lab_now_ms() - t0;
	return (int)r->n_problems;
}

void lab_dro_report(FILE *f, const struct lab_dro_result *r)
{
	static const char *const what[LAB_DRO_N_ROS] = {
		"case 1: RO, PCIDs 001-01 0xxxxxxxxx ([home.00101])",
		"case 3: RO-2, sub-range 001-01 9xxxxxxxxx on its own servers ([home.001019])",
		"case 4: RO-3, its own PCID space 001-05 ([home.00105])",
		"case 2: RO-C then RO-C2, a common space 001-06 replicated master-slave ([home.00106])",
	};
	fprintf(f, "openmcim lab --scenario distributed-ro: the distributed registration service (spec/000 5.2.2.3.5)\n\n");
	fprintf(f, "  %-7s %8.0f ms  a factory run per RO, each RO's certificate their root; configurations\n",
		"setup", r->ms[0]);
	fprintf(f, "  %-7s %8.0f ms  the lab's daemons and each RO's ICF and DRF, seeded over their admin sockets\n",
		"start", r->ms[1]);
	fprintf(f, "  %-7s %8.0f ms  registered at SHO-A naming each device's RO; a code from that RO; handover\n",
		"owner", r->ms[2]);
	fprintf(f, "  %-7s %8.0f ms  PCID attach at its RO's ICF, its RO's bootstrap, MCIM from SHO-A\n\n", "attach",
		r->ms[3]);
	for (int k = 0; k < LAB_DRO_N_ROS; k++)
		if (r->n_ro[k])
			fprintf(f, "  %3u/%-3u provisioned through %s\n", r->ok_ro[k], r->n_ro[k], what[k]);
	if (r->n_ro[DRO_RO_C]) {
		fprintf(f, "  %3u/%-3u   of which before the failover, through RO-C\n", r->ok_phase[0], r->n_phase[0]);
		fprintf(f, "  %3u/%-3u   of which after it, through RO-C2 (RO-C's ICF, DRF and database server killed,"
			   " standby promoted, RO-C2 serving in %.0f ms)\n",
			r->ok_phase[1], r->n_phase[1], r->failover_ms);
		fprintf(f, "  %3u/%-3u   PCIDs whose last SQN at RO-C2's ICF is in their ICF's IND slot (0 RO-C, 1 RO-C2)\n",
			r->sqn_ok, r->n_ro[DRO_RO_C]);
		fprintf(f, "  %3u/%-3u   gone to SHO-A in RO-C2's register (RO-C's completions replicated)\n",
			r->register_ok, r->n_ro[DRO_RO_C]);
		fprintf(f, "  %3u/2     case-2 daemons' roles (ro_c_icf, ro_c_drf) no superuser, refused at each other's database\n",
			r->roles_ok);
	}
	fprintf(f, "  %3u/%-3u hold SHO-A's application parameters (./M2MAppParams: %s, the lab TLS CA)\n",
		r->app_params_ok, r->n, APP_SERVER);
	fprintf(f, "  an RO that does not serve the device (SHO-B asks RO-2 for one of RO's): %s (%s)\n",
		r->wrong_ro_refused ? "refused" : "NOT refused", r->wrong_ro_answer);
	lab_report_end(f, r->problems, sizeof(r->problems) / sizeof(r->problems[0]), r->n_problems, r->dir);
}

void lab_dro_free(struct lab_dro_result *r)
{
	free(r->dev);
	r->dev = NULL;
}
