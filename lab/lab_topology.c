/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's topology (lab_topology.h, docs/lab.md "Topology"): the work
 * directory, the factory run, one configuration per daemon, and the
 * daemons' lives; at the first start, the ICF's, PVA's and DRFs' stores
 * seeded through the daemons' admin interfaces (lab_seed.c) as the
 * operators would, never by opening them. The owner's calls are in
 * lab_owner.c, the PKI in lab_pki.c.
 */
#define _DEFAULT_SOURCE /* realpath() */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/buf.h>
#include <openmcim/hex.h>
#include <openmcim/pki.h>
#include <openmcim/tre.h>

#include "factory.h"
#include "admin_call.h"
#include "lab_proc.h"
#include "log.h"
#include "reason.h"
#include "sho.h"

#define READY_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 10000
#define PCID_APN OM_FACTORY_DEFAULT_APN

static const char *const names[LAB_N_DAEMONS] = {
	[LAB_D_PVA] = "pva",	     [LAB_D_VNO] = "vno",	    [LAB_D_RO_HSS] = "ro-hss",
	[LAB_D_RO_DRF] = "ro-drf",   [LAB_D_RO_DPF] = "ro-dpf",	    [LAB_D_A_HSS] = "sho-a-hss",
	[LAB_D_A_SHO] = "sho-a-sho", [LAB_D_A_DRF] = "sho-a-drf",   [LAB_D_A_DPF] = "sho-a-dpf",
	[LAB_D_B_HSS] = "sho-b-hss", [LAB_D_B_SHO] = "sho-b-sho",   [LAB_D_B_DRF] = "sho-b-drf",
	[LAB_D_B_DPF] = "sho-b-dpf", [LAB_D_C_HSS] = "sho-c-hss", [LAB_D_C_SHO] = "sho-c-sho",   [LAB_D_C_DRF] = "sho-c-drf",
	[LAB_D_C_DPF] = "sho-c-dpf",
};

/* Which program each daemon is. */
static const char *const programs[LAB_N_DAEMONS] = {
	[LAB_D_PVA] = "pva",	[LAB_D_VNO] = "vno",	[LAB_D_RO_HSS] = "hss", [LAB_D_RO_DRF] = "drf",
	[LAB_D_RO_DPF] = "dpf", [LAB_D_A_HSS] = "hss",	[LAB_D_A_SHO] = "sho",	[LAB_D_A_DRF] = "drf",
	[LAB_D_A_DPF] = "dpf",	[LAB_D_B_HSS] = "hss",	[LAB_D_B_SHO] = "sho",	[LAB_D_B_DRF] = "drf",
	[LAB_D_B_DPF] = "dpf",	[LAB_D_C_HSS] = "hss",	[LAB_D_C_SHO] = "sho",	[LAB_D_C_DRF] = "drf",
	[LAB_D_C_DPF] = "dpf",
};

/* The operators: SHO_id (the CN of its SHO_SIGNING certificate), file stem, MNC of its PLMN 001-xx. */
static const struct op_info {
	const char *id, *stem, *mnc;
	enum lab_daemon hss, drf, dpf, sho; /* sho: LAB_N_DAEMONS for the RO */
} ops[LAB_N_OPS] = {
	[LAB_RO] = { "RO", "ro", "01", LAB_D_RO_HSS, LAB_D_RO_DRF, LAB_D_RO_DPF, LAB_N_DAEMONS },
	[LAB_SHO_A] = { "SHO-A", "sho-a", "02", LAB_D_A_HSS, LAB_D_A_DRF, LAB_D_A_DPF, LAB_D_A_SHO },
	[LAB_SHO_B] = { "SHO-B", "sho-b", "03", LAB_D_B_HSS, LAB_D_B_DRF, LAB_D_B_DPF, LAB_D_B_SHO },
	[LAB_SHO_C] = { "SHO-C", "sho-c", "04", LAB_D_C_HSS, LAB_D_C_DRF, LAB_D_C_DPF, LAB_D_C_SHO },
};

/*
 * Start order: what a daemon reaches at start must be up before it. The
 * HSSs before the VNO (it waits for its Diameter peers at start), the VNO
 * before the DRFs (push), the DRFs and the PVA before the registration
 * services and the DPFs. One tier is spawned at once, then waited for.
 */
static const enum lab_daemon tiers[][8] = {
	{ LAB_D_PVA, LAB_D_RO_HSS, LAB_D_A_HSS, LAB_D_B_HSS, LAB_D_C_HSS, LAB_N_DAEMONS },
	{ LAB_D_VNO, LAB_N_DAEMONS },
	{ LAB_D_RO_DRF, LAB_D_A_DRF, LAB_D_B_DRF, LAB_D_C_DRF, LAB_N_DAEMONS },
	{ LAB_D_A_SHO, LAB_D_B_SHO, LAB_D_C_SHO, LAB_D_RO_DPF, LAB_D_A_DPF, LAB_D_B_DPF, LAB_D_C_DPF, LAB_N_DAEMONS },
};
#define N_TIERS (sizeof(tiers) / sizeof(tiers[0]))

const char *lab_daemon_name(enum lab_daemon d)
{
	return (unsigned)d < LAB_N_DAEMONS ? names[d] : "?";
}

const char *lab_path(const struct lab *l, const char *rel, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", l->dir, rel);
	return buf;
}

const char *lab_device_dir(const struct lab *l, unsigned i, char *buf, size_t cap)
{
	if (i >= l->n_devices + l->n_tampered) {
		snprintf(buf, cap, "%s/devices/?", l->dir);
		return buf;
	}
	snprintf(buf, cap, "%s/devices/%s", l->dir, l->tre_ids[i]);
	return buf;
}

static struct lab_priv *priv(const struct lab *l)
{
	return l->priv;
}

/* A PostgreSQL database name for a file stem: "sho-a-hss" is sho_a_hss. */
static void db_name(const char *stem, char out[static 32])
{
	snprintf(out, 32, "%s", stem);
	for (char *c = out; *c; c++)
		if (*c == '-')
			*c = '_';
}

/* The database of the daemon whose files are named stem (<stem>.conf, <stem>.log). */
static const char *stem_db(const struct lab *l, const char *stem, char *buf, size_t cap)
{
	const struct lab_priv *pv = l->priv;
	char db[32];
	if (!l->opt.store_pg || !pv || !pv->pg.started) {
		snprintf(buf, cap, "%s/%s.db", l->dir, stem);
		return buf;
	}
	db_name(stem, db);
	/* its own role (the database's name), its password in <workdir>/<stem>.pgpass (start_store) */
	char passfile[LAB_PATH_MAX + 40];
	snprintf(passfile, sizeof(passfile), "%s/%s.pgpass", l->dir, stem);
	if (om_pg_cluster_role_uri(&pv->pg, db, passfile, buf, cap) < 0)
		snprintf(buf, cap, "(URI too long)");
	return buf;
}

const char *lab_db(const struct lab *l, enum lab_daemon d, char *buf, size_t cap)
{
	return stem_db(l, names[d], buf, cap);
}

const char *lab_socket(const struct lab *l, enum lab_daemon d, const char *file, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s/%s", l->dir, names[d], file);
	return buf;
}

/* "<dir>/<name><suffix>" of a daemon's file. */
static const char *dfile(const struct lab *l, enum lab_daemon d, const char *suffix, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s%s", l->dir, names[d], suffix);
	return buf;
}

/* ---- a configuration file's text ------------------------------------------ */

/* configuration texts hold OP and secrets: an om_buf wipes every block it leaves */
/* Write the text as <name>.conf (mode 0600: the SHOs' files hold OP); 0 or OM_ELAB_SETUP. */
static int conf_write(const struct lab *l, enum lab_daemon d, struct om_buf *b, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 40];
	/* every daemon serves its metrics, scraped at the end of the scenario (lab_metrics_scrape) */
	om_buf_printf(b, "[metrics]\nlisten = 127.0.0.1:%u\n", priv(l)->ports.metrics[d]);
	int rc = b->err ? b->err : lab_write_file(dfile(l, d, ".conf", p, sizeof(p)), (const char *)b->p, 0600);
	om_buf_free(b);
	return rc < 0 ? om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", p, om_strerror(rc)) : 0;
}

/*
 * --store postgres: one cluster for the whole lab, each daemon with a
 * database of its own (as separate servers would have), owned by a role of
 * its own whose password only <workdir>/<stem>.pgpass (0600) holds; no
 * other daemon's role may connect to it (issue 13). The server may not
 * run as root: then (CI) its directory is a fresh /tmp one that `nobody` can
 * reach, linked from <workdir>/pg, and removed when the lab process ends;
 * otherwise it is <workdir>/pg itself, kept (stopped) with the work
 * directory.
 */
static int start_store(struct lab *l, char *why, size_t why_len)
{
	struct lab_priv *pv = l->priv;
	char p[LAB_PATH_MAX + 40], uri[LAB_PATH_MAX + 80], err[400];
	int root = geteuid() == 0;
	lab_path(l, "pg", p, sizeof(p));
	int rc = om_pg_cluster_start(&pv->pg, root ? NULL : p, root ? 0 : OM_PGC_KEEP, err, sizeof(err));
	if (rc < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "PostgreSQL cluster: %s", err);
	if (root && symlink(pv->pg.dir, p) < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", p, strerror(errno));
	/* every daemon's but the VNO's (it has none); the RO runs no registration service */
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		char db[32];
		if (d == LAB_D_VNO)
			continue;
		db_name(names[d], db);
		snprintf(p, sizeof(p), "%s/%s.pgpass", l->dir, names[d]);
		if (om_pg_cluster_createdb_owned(&pv->pg, db, p, uri, sizeof(uri), err, sizeof(err)) < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "PostgreSQL database %s: %s", db, err);
	}
	return 0;
}

/* ---- the configurations ---------------------------------------------------- */

static void hss_conf(const struct lab *l, enum lab_op op, struct om_buf *b)
{
	const struct lab_priv *p = priv(l);
	const char *n = names[ops[op].hss];
	char db[LAB_PATH_MAX + 80];
	om_buf_printf(b,
	       "# %s's HSS (PLMN 001-%s), written by lab_setup (docs/lab.md \"Topology\")\n"
	       "[hss]\ndb = %s\nmax_vectors = 5\nsqn_reserve = 1024\nmax_resyncs = 3\nresync_window = 60\n"
	       "provision_socket = %s/%s/prov.sock\nlog_level = info\nrun_dir = %s/%s\n"
	       "[diameter]\nidentity = hss.%s.lab\nrealm = epc.mnc0%s.mcc001.3gppnetwork.org\nlisten = 127.0.0.1\n"
	       "port = %u\npeers = mme.vno.lab\ndict_dir = %s\n",
	       ops[op].id, ops[op].mnc, lab_db(l, ops[op].hss, db, sizeof(db)), l->dir, n, l->dir, n, ops[op].stem,
	       ops[op].mnc, p->ports.hss_dia[op], p->fd_dict);
	/* S6a over TLS, the certificate naming our Diameter identity (lab_pki.c) */
	om_buf_printf(b, "tls_cert = %s/pki/diameter/hss.%s.lab.pem\ntls_key = %s/pki/diameter/hss.%s.lab.key\n"
		  "tls_ca = %s/pki/diameter/ca.pem\n",
	       l->dir, ops[op].stem, l->dir, ops[op].stem, l->dir);
}

/* host:port, ... of every DPF: where a device's bearer may go, whatever APN it attached with. */
static void dpf_allow(const struct lab *l, struct om_buf *b)
{
	om_buf_printf(b, "allow = ");
	for (int op = 0; op < LAB_N_OPS; op++)
		om_buf_printf(b, "%slocalhost:%u", op ? ", " : "", priv(l)->ports.dpf[op]);
	om_buf_printf(b, "\n");
}

static void vno_conf(const struct lab *l, struct om_buf *b)
{
	const struct lab_ports *pt = &priv(l)->ports;
	unsigned max_devices = l->n_devices + l->n_tampered + 64;
	if (max_devices < 1024)
		max_devices = 1024;
	if (max_devices > 65536)
		max_devices = 65536;
	om_buf_printf(b,
	       "# the visited network, written by lab_setup (docs/lab.md \"Topology\")\n"
	       "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/16\nlog_level = info\n"
	       "run_dir = %s/vno\nmax_devices = %u\nt3460_ms = 6000\nt3450_ms = 6000\n"
	       /* every lab device connects from 127.0.0.1, all of them at once */
	       "max_unauth = %u\nmax_unauth_per_source = %u\n",
	       pt->radio, l->dir, max_devices, max_devices, max_devices);
	if (l->opt.pcaps)
		om_buf_printf(b, "pcap = %s/vno-nas.pcap\ns6a_pcap = %s/vno-s6a.pcap\n", l->dir, l->dir);
	om_buf_printf(b, "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:%u\ntimeout_ms = 5000\n",
	       pt->vno_dia);
	om_buf_printf(b, "tls_cert = %s/pki/diameter/mme.vno.lab.pem\ntls_key = %s/pki/diameter/mme.vno.lab.key\n"
		  "tls_ca = %s/pki/diameter/ca.pem\n",
	       l->dir, l->dir, l->dir);
	/* each operator's DRF pushes only to the IMSIs of its own home network (docs/vno.md "Push") */
	for (int op = 0; op < LAB_N_OPS; op++)
		om_buf_printf(b, "[home.001%s]\npeer = hss.%s.lab\naddress = 127.0.0.1:%u\npush_cert = %s/pki/tls/drf.%s.lab.pem\n",
		       ops[op].mnc, ops[op].stem, pt->hss_dia[op], l->dir, ops[op].stem);
	/* the PCID's APN, each SHO's subscription APN and its DPF APN reach the DPFs, and only them */
	om_buf_printf(b, "[apn." PCID_APN "]\n");
	dpf_allow(l, b);
	for (int op = 0; op < LAB_N_OPS; op++) {
		om_buf_printf(b, "[apn.internet.%s]\n", ops[op].stem);
		dpf_allow(l, b);
		om_buf_printf(b, "[apn.prov.%s]\n", ops[op].stem);
		dpf_allow(l, b);
	}
	om_buf_printf(b,
	       "[push]\nlisten = 127.0.0.1\nport = %u\ntls_cert = %s/pki/tls/push.vno.lab.pem\n"
	       "tls_key = %s/pki/tls/push.vno.lab.key\nclient_ca = %s\n",
	       pt->push, l->dir, l->dir, l->tls_ca);
}

static void pva_conf(const struct lab *l, struct om_buf *b)
{
	char db[LAB_PATH_MAX + 80];
	om_buf_printf(b,
	       "# the PVA, written by lab_setup (docs/lab.md \"Topology\")\n"
	       "[pva]\ndb = %s\nlisten = 127.0.0.1\nport = %u\nca_cert = %s/pki/cas/pva-ca.pem\n"
	       "responder_cert = %s/pki/pva-responder.pem\nresponder_key = %s/pki/pva-responder.key\n"
	       "admin_socket = %s/pva/admin.sock\nlog_level = info\n",
	       lab_db(l, LAB_D_PVA, db, sizeof(db)), priv(l)->ports.pva, l->dir, l->dir, l->dir, l->dir);
}

/* The files of op's SHO_SIGNING identity: the RO's is the factory's. */
static void signing_files(const struct lab *l, enum lab_op op, char *key, char *cert, size_t cap)
{
	if (op == LAB_RO) {
		snprintf(key, cap, "%s/pki/cas/ro-signing.key", l->dir);
		snprintf(cert, cap, "%s/pki/cas/ro-signing.pem", l->dir);
	} else {
		snprintf(key, cap, "%s/pki/%s-signing.key", l->dir, ops[op].stem);
		snprintf(cert, cap, "%s/pki/%s-signing.pem", l->dir, ops[op].stem);
	}
}

static void drf_conf(const struct lab *l, enum lab_op op, struct om_buf *b)
{
	const struct lab_ports *pt = &priv(l)->ports;
	char key[LAB_PATH_MAX + 40], cert[LAB_PATH_MAX + 40], db[LAB_PATH_MAX + 80];
	signing_files(l, op, key, cert, sizeof(key));
	om_buf_printf(b,
	       "# %s's DRF, written by lab_setup (docs/lab.md \"Topology\")\n"
	       "[drf]\ndb = %s\nsho_id = %s\nsigning_key = %s\nsigning_cert = %s\n"
	       "tls_cert = %s/pki/tls/drf.%s.lab.pem\ntls_key = %s/pki/tls/drf.%s.lab.key\nclient_ca = %s\n",
	       ops[op].id, lab_db(l, ops[op].drf, db, sizeof(db)), ops[op].id, key, cert, l->dir, ops[op].stem, l->dir,
	       ops[op].stem, l->tls_ca);
	/* every other operator may ask us, with the operator certificate its SHO daemon and DPF present */
	om_buf_printf(b, "peers = ");
	for (int o = LAB_SHO_A, first = 1; o < LAB_N_OPS; o++)
		if (o != (int)op) {
			om_buf_printf(b, "%s%s:%s.lab", first ? "" : ", ", ops[o].id, ops[o].stem);
			first = 0;
		}
	/* and only on the key of that certificate (docs/drf.md "Peers") */
	om_buf_printf(b, "\npeer_certs = ");
	for (int o = LAB_SHO_A, first = 1; o < LAB_N_OPS; o++)
		if (o != (int)op) {
			om_buf_printf(b, "%s%s:%s/pki/tls/%s.lab.pem", first ? "" : ", ", ops[o].id, l->dir, ops[o].stem);
			first = 0;
		}
	om_buf_printf(b, "\nlisten = 127.0.0.1\nport = %u\ngrace_period = %u\nremoval_interval = 1\n", pt->drf[op],
	       l->opt.grace_s);
	/* the RO keeps the PCIDs: a device can always fall back to its provisional identity (docs/lab.md) */
	if (op != LAB_RO)
		om_buf_printf(b, "hss_socket = %s/%s/prov.sock\n", l->dir, names[ops[op].hss]);
	om_buf_printf(b,
	       "push_url = https://localhost:%u\npush_ca = %s\npush_cert = %s/pki/tls/drf.%s.lab.pem\n"
	       "push_key = %s/pki/tls/drf.%s.lab.key\npush_retry_min = 1\npush_retry_max = 4\nlog_level = info\n",
	       pt->push, l->tls_ca, l->dir, ops[op].stem, l->dir, ops[op].stem);
	/* the operator's tools and its DPF reach the register here (docs/decisions.md "Internal interfaces") */
	om_buf_printf(b, "admin_socket = %s/%s/admin.sock\n", l->dir, names[ops[op].drf]);
}

/*
 * The registration service's own sections (sho_conf_load's file): the
 * openmcim-sho daemon's configuration starts with them. op holds the
 * operator's OP.
 */
static void service_conf(const struct lab *l, enum lab_op op, const char *op_hex, struct om_buf *b)
{
	const struct lab_ports *pt = &priv(l)->ports;
	char key[LAB_PATH_MAX + 40], cert[LAB_PATH_MAX + 40], db[LAB_PATH_MAX + 80], sho_stem[16];
	signing_files(l, op, key, cert, sizeof(key));
	snprintf(sho_stem, sizeof(sho_stem), "%s-sho", ops[op].stem);
	/* the RO's range starts far above the factory's PCIDs, which are also 001-01 */
	om_buf_printf(b,
	       "[sho]\ndb = %s\nid = %s\n"
	       "[imsi]\nmcc = 001\nmnc = %s\nmsin_first = %s\nmsin_last = %s\n"
	       "[subscription]\nop = %s\napn = internet.%s\nroaming = any\n"
	       "[pva]\nca = %s/pki/cas/pva-ca.pem\nocsp_url = http://127.0.0.1:%u/\n"
	       "[hss]\nsocket = %s/%s/prov.sock\n"
	       "[handover]\nsign_key = %s\nsign_cert = %s\nprovurl = https://localhost:%u/dm\nserver_id = %s-dpf\n"
	       "dpf_apn = prov.%s\n",
	       stem_db(l, sho_stem, db, sizeof(db)), ops[op].id, ops[op].mnc, op == LAB_RO ? "5000000000" : "0000000001",
	       op == LAB_RO ? "5999999999" : "0000999999", op_hex, ops[op].stem, l->dir, pt->pva, l->dir,
	       names[ops[op].hss], key, cert, pt->dpf[op], ops[op].stem, ops[op].stem);
}

/* [peer.<id>] of every other operator's DRF (the RO's included: devices start there). */
static void peer_sections(const struct lab *l, enum lab_op op, struct om_buf *b)
{
	for (int o = 0; o < LAB_N_OPS; o++)
		if (o != (int)op)
			om_buf_printf(b, "[peer.%s]\nurl = https://localhost:%u\nca = %s\n", ops[o].id,
			       priv(l)->ports.drf[o], l->tls_ca);
}

static void sho_conf(const struct lab *l, enum lab_op op, const char *op_hex, struct om_buf *b)
{
	om_buf_printf(b, "# %s's registration service, written by lab_setup (docs/lab.md \"Topology\")\n", ops[op].id);
	service_conf(l, op, op_hex, b);
	om_buf_printf(b,
	       "[daemon]\nlisten = 127.0.0.1\nport = %u\ntls_cert = %s/pki/tls/owners.%s.lab.pem\n"
	       "tls_key = %s/pki/tls/owners.%s.lab.key\noperator_cert = %s/pki/tls/%s.lab.pem\n"
	       "operator_key = %s/pki/tls/%s.lab.key\npeer_timeout = 10000\nspool = %s/%s\nlog_level = info\n"
	       "internal_socket = %s/%s/internal.sock\nadmin_socket = %s/%s/admin.sock\n",
	       priv(l)->ports.sho[op], l->dir, ops[op].stem, l->dir, ops[op].stem, l->dir, ops[op].stem, l->dir,
	       ops[op].stem, l->dir, names[ops[op].sho], l->dir, names[ops[op].sho], l->dir, names[ops[op].sho]);
	/* the owner's transfer codes come from this operator's DRF, over its admin socket (docs/owner.md) */
	om_buf_printf(b, "[drf]\nadmin_socket = %s/%s/admin.sock\n", l->dir, names[ops[op].drf]);
	peer_sections(l, op, b);
}

static void dpf_conf(const struct lab *l, enum lab_op op, struct om_buf *b)
{
	char key[LAB_PATH_MAX + 40], cert[LAB_PATH_MAX + 40], db[LAB_PATH_MAX + 80];
	signing_files(l, op, key, cert, sizeof(key));
	/* the operator's SHO and DRF are asked on their sockets (docs/decisions.md "Internal interfaces");
	 * the RO runs no registration service, so its DPF's calls find no socket and answer 503 */
	om_buf_printf(b,
	       "# %s's DPF, written by lab_setup (docs/lab.md \"Topology\")\n"
	       "[dpf]\ndb = %s\nsho_socket = %s/%s/internal.sock\nsign_key = %s\n"
	       "server_uri = https://localhost:%u/dm\npva_url = http://127.0.0.1:%u\n"
	       "pva_cert = %s/pki/pva-responder.pem\n"
	       "tls_cert = %s/pki/tls/dpf.%s.lab.pem\ntls_key = %s/pki/tls/dpf.%s.lab.key\nlisten = 127.0.0.1\n"
	       "port = %u\npath = /dm\nmax_sessions = 256\nsession_timeout = 300\nlog_level = info\n"
	       "status_socket = %s/%s/status.sock\n",
	       ops[op].id, lab_db(l, ops[op].dpf, db, sizeof(db)), l->dir,
	       ops[op].sho != LAB_N_DAEMONS ? names[ops[op].sho] : "ro-sho", key, priv(l)->ports.dpf[op],
	       priv(l)->ports.pva, l->dir, l->dir,
	       ops[op].stem, l->dir, ops[op].stem, priv(l)->ports.dpf[op], l->dir, names[ops[op].dpf]);
	/* the DPF adds each provisioned device to its operator's DRF and reports completion to the old one */
	om_buf_printf(b, "drf_socket = %s/%s/admin.sock\noperator_cert = %s/pki/tls/%s.lab.pem\noperator_key = %s/pki/tls/%s.lab.key\n",
	       l->dir, names[ops[op].drf], l->dir, ops[op].stem, l->dir, ops[op].stem);
	peer_sections(l, op, b);
}

/* ---- the factory ------------------------------------------------------------- */

/*
 * With --tre tpm, the n TPMs of a run's devices (TRE_id prefix-<serial>,
 * serials from 1 as the factory numbers them), pids from tpm_pid[first],
 * and the factory's TCTI template into tcti.
 */
static int start_tpms(struct lab *l, unsigned first, unsigned n, const char *prefix, char *tcti, size_t cap,
		      char *why, size_t why_len)
{
	char id[OM_TRE_ID_MAX + 1], p[LAB_PATH_MAX + 40], err[256];
	struct lab_priv *pv = priv(l);
	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s-%08u", prefix ? prefix : OM_FACTORY_DEFAULT_PREFIX, i + 1);
		if (lab_tpm_start(l, id, &pv->tpm_pid[first + i], err, sizeof(err)) < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "TPM of %s: %s", id, err);
		lab_progress("TPMs", first + i + 1, l->n_devices + l->n_tampered);
	}
	if ((size_t)snprintf(tcti, cap, "swtpm:path=%s/{tre_id}/sock", lab_path(l, "tpm", p, sizeof(p))) >= cap)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: path too long for a TCTI", p);
	return 0;
}

/* A factory run into <dir>/<out>; devices move to <dir>/devices/. first: the run's first device index. */
static int factory_run(struct lab *l, const char *out, unsigned first, unsigned n, const char *msin_first,
		       const char *prefix, const char *firmware, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 40], tcti[LAB_PATH_MAX + 64];
	X509 *pva_cert = NULL, *ro_cert = NULL;
	EVP_PKEY *pva_key = NULL;
	struct om_ca *pva = NULL;
	int rc = om_cert_load(&pva_cert, lab_path(l, "pki/cas/pva-ca.pem", p, sizeof(p)));
	if (rc == 0)
		rc = om_key_load(&pva_key, lab_path(l, "pki/cas/pva-ca.key", p, sizeof(p)));
	if (rc == 0)
		rc = om_cert_load(&ro_cert, lab_path(l, "pki/cas/ro-signing.pem", p, sizeof(p)));
	if (rc == 0)
		rc = om_ca_open(&pva, pva_cert, pva_key);
	struct om_factory_config fc = { .pva_ca = pva, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = msin_first, .tre_prefix = prefix, .firmware = firmware,
					.n_devices = n, .jobs = 0, .flags = OM_FACTORY_PROGRESS };
	/* PKCS#11: one token for the lab's devices, as a bench's HSM; the factory makes PrK_TRE there (docs/lab.md) */
	if (rc == 0 && l->opt.tre_backend == OM_TRE_BACKEND_PKCS11)
		fc.tre = (struct om_tre_backend){ .kind = OM_TRE_BACKEND_PKCS11, .p11_module = LAB_P11_MODULE,
						  .p11_token = LAB_P11_TOKEN, .p11_pin = priv(l)->p11_pin };
	if (rc == 0 && l->opt.tre_backend == OM_TRE_BACKEND_TPM)
		fc.tre = (struct om_tre_backend){ .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tcti };
	if (rc == 0 && fc.tre.kind != OM_TRE_BACKEND_SOFT) {
		if (fc.tre.kind == OM_TRE_BACKEND_PKCS11 ? lab_p11_init(l, priv(l), why, why_len) < 0
							  : start_tpms(l, first, n, prefix, tcti, sizeof(tcti), why, why_len) < 0) {
			om_ca_free(pva);
			X509_free(pva_cert);
			X509_free(ro_cert);
			EVP_PKEY_free(pva_key);
			return OM_ELAB_SETUP;
		}
	}
	if (rc == 0)
		rc = om_factory_run(lab_path(l, out, p, sizeof(p)), &fc, NULL);
	om_ca_free(pva);
	X509_free(pva_cert);
	X509_free(ro_cert);
	EVP_PKEY_free(pva_key);
	if (rc < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "factory run %s: %s", out, om_strerror(rc));
	return 0;
}

/* Move <dir>/<run>/devices/<id> to <dir>/devices/<id> for each device of that run. */
static int move_devices(struct lab *l, const char *run, unsigned first, unsigned n, char *why, size_t why_len)
{
	char from[LAB_PATH_MAX + 80], to[LAB_PATH_MAX + 80];
	for (unsigned i = first; i < first + n; i++) {
		snprintf(from, sizeof(from), "%s/%s/devices/%s", l->dir, run, l->tre_ids[i]);
		snprintf(to, sizeof(to), "%s/devices/%s", l->dir, l->tre_ids[i]);
		if (rename(from, to) < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "move %s: %s", from, strerror(errno));
	}
	snprintf(from, sizeof(from), "%s/%s/devices", l->dir, run);
	rmdir(from);
	return 0;
}

/*
 * Read a run's delivery note: each row without its sho_id (lab_register
 * writes the current SHO it is told), its owner claim, and the TRE_ids,
 * from index first on.
 */
static int read_note(struct lab *l, const char *run, unsigned first, unsigned n, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 80];
	snprintf(p, sizeof(p), "%s/%s/owner/delivery-note.csv", l->dir, run);
	size_t text_len = 0;
	char *text = lab_slurp(p, &text_len);
	if (!text)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", p, strerror(errno));
	char *save = NULL, *line = strtok_r(text, "\n", &save); /* the header */
	unsigned i = 0;
	/* the columns as docs/factory.md gives them: tre_id,cert,cert,sho_id,claim_secret[,model] */
	for (line = strtok_r(NULL, "\n", &save); line && i < n; line = strtok_r(NULL, "\n", &save), i++) {
		char *f[7];
		size_t k = 0;
		for (char *q = line; q && k < 7; k++) {
			f[k] = q;
			if ((q = strchr(q, ',')))
				*q++ = '\0';
		}
		if ((k != 5 && k != 6) || strlen(f[4]) > OM_CLAIM_TEXT_LEN || strlen(f[0]) > OM_TRE_ID_MAX ||
		    (k == 6 && strlen(f[5]) >= sizeof(priv(l)->note[0].model)))
			break;
		snprintf(priv(l)->note[first + i].claim, sizeof(priv(l)->note[0].claim), "%s", f[4]);
		OPENSSL_cleanse(f[4], strlen(f[4]));
		snprintf(priv(l)->note[first + i].model, sizeof(priv(l)->note[0].model), "%s", k == 6 ? f[5] : "");
		snprintf(l->tre_ids[first + i], OM_TRE_ID_MAX + 1, "%s", f[0]);
		f[1][-1] = ',';
		f[2][-1] = ','; /* the head: tre_id,cert,cert */
		if (!(priv(l)->note[first + i].head = strdup(line))) {
			OPENSSL_cleanse(text, text_len);
			free(text);
			return om_reason(why, why_len, OM_ELAB_SETUP, "out of memory");
		}
	}
	OPENSSL_cleanse(text, text_len); /* the owner claims */
	free(text);
	if (i != n)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %u rows, expected %u", p, i, n);
	return 0;
}

/* Each device's PCID from the RO's import file (rows in device order); the file's secrets are cleansed. */
static int read_pcids(struct lab *l, const char *run, unsigned first, unsigned n, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 80];
	size_t len = 0;
	snprintf(p, sizeof(p), "%s/%s/ro/pcid-credentials.csv", l->dir, run);
	char *text = lab_slurp(p, &len);
	if (!text)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", p, strerror(errno));
	char *s = strchr(text, '\n');
	unsigned i = 0;
	for (; s && i < n; i++) {
		s++;
		size_t w = strcspn(s, ",");
		if (w < 6 || w > 15)
			break;
		snprintf(priv(l)->pcid[first + i], sizeof(priv(l)->pcid[0]), "%.*s", (int)w, s);
		s = strchr(s, '\n');
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (i != n)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %u rows, expected %u", p, i, n);
	return 0;
}

/* The tampered run's PVA files: its devices, with references for 1.0.1 that are 1.0.0's (dpf_core_test). */
static int tampered_pva_dir(struct lab *l, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 80];
	struct om_measurement m[OM_FACTORY_N_COMPONENTS];
	struct om_buf b = OM_BUF_INIT(0);
	int rc = lab_mkdir(lab_path(l, "factory-tampered/pva-lab", p, sizeof(p)), 0700);
	char *devs = lab_slurp(lab_path(l, "factory-tampered/pva/devices.csv", p, sizeof(p)), NULL);
	if (rc == 0 && devs)
		rc = lab_write_file(lab_path(l, "factory-tampered/pva-lab/devices.csv", p, sizeof(p)), devs, 0600);
	free(devs);
	if (rc == 0 && !devs)
		rc = OM_EIO;
	if (rc == 0 && om_factory_measurements(OM_FACTORY_DEFAULT_MODEL, OM_FACTORY_DEFAULT_FIRMWARE, m) !=
			       OM_FACTORY_N_COMPONENTS)
		rc = OM_ECRYPTO;
	om_buf_printf(&b, "model,firmware,component,sha256\n");
	for (int i = 0; rc == 0 && i < OM_FACTORY_N_COMPONENTS; i++) {
		char hex[65];
		om_hex_encode(hex, m[i].sha256, 32);
		om_buf_printf(&b, "%s,1.0.1,%s,%s\n", OM_FACTORY_DEFAULT_MODEL, m[i].name, hex);
	}
	if (rc == 0)
		rc = b.err ? b.err :
			     lab_write_file(lab_path(l, "factory-tampered/pva-lab/reference-measurements.csv", p, sizeof(p)),
					    (const char *)b.p, 0600);
	om_buf_free(&b);
	return rc < 0 ? om_reason(why, why_len, OM_ELAB_SETUP, "tampered PVA files: %s", om_strerror(rc)) : 0;
}

/* ---- the stores, seeded through their daemons' admin interfaces (lab_seed.c) ---- */

/* The ICF: the factory's PCIDs, by the HSS's own import on its provisioning socket (hss-admin import). */
static int seed_icf(struct lab *l, char *why, size_t why_len)
{
	char sock[LAB_PATH_MAX + 40], file[LAB_PATH_MAX + 80];
	const char *runs[] = { "factory", "factory-tampered" };
	int rc = 0;
	lab_socket(l, LAB_D_RO_HSS, "prov.sock", sock, sizeof(sock));
	for (int i = 0; i < (l->n_tampered ? 2 : 1) && rc == 0; i++) {
		snprintf(file, sizeof(file), "%s/%s/ro/pcid-credentials.csv", l->dir, runs[i]);
		rc = lab_seed_icf(sock, file, why, why_len);
	}
	return rc;
}

/* The PVA: the factory's Cert_TREs and reference measurements (pva-admin import). */
static int seed_pva(struct lab *l, char *why, size_t why_len)
{
	char sock[LAB_PATH_MAX + 40], line[LAB_PATH_MAX + 80];
	lab_socket(l, LAB_D_PVA, "admin.sock", sock, sizeof(sock));
	int rc = lab_seed_pva(sock, lab_path(l, "factory/pva", line, sizeof(line)), why, why_len);
	if (rc == 0 && l->n_tampered)
		rc = lab_seed_pva(sock, lab_path(l, "factory-tampered/pva-lab", line, sizeof(line)), why, why_len);
	/* TPM devices quote PCR 15: its reference is this program's measurement, the agents run in it */
	if (rc == 0 && l->opt.tre_backend == OM_TRE_BACKEND_TPM) {
		uint8_t pcr[32];
		char hex[65];
		if ((rc = om_tre_reference_pcr(pcr)) < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "this program's measurement: %s", om_strerror(rc));
		om_hex_encode(hex, pcr, 32);
		snprintf(line, sizeof(line), "add-pcr %s %s 15 %s\n", OM_FACTORY_DEFAULT_MODEL, OM_FACTORY_DEFAULT_FIRMWARE,
			 hex);
		rc = lab_seed_call(sock, line, LAB_SEED_IMPORT_MS, why, why_len);
	}
	return rc;
}

/* An operator's SHO_SIGNING certificate as DER (om_pki_free). */
static int signing_der(const struct lab *l, enum lab_op op, uint8_t **der, size_t *len)
{
	char key[LAB_PATH_MAX + 40], cert[LAB_PATH_MAX + 40];
	signing_files(l, op, key, cert, sizeof(key));
	return lab_seed_cert_der(cert, der, len);
}

/* One DRF's register (drf-admin): the operators it answers, and (the RO's) every device with its PCID. */
static int seed_drf(struct lab *l, enum lab_op op, const struct sho_device_in *note, size_t n_note, char *why,
		    size_t why_len)
{
	char sock[LAB_PATH_MAX + 40];
	struct lab_seed_operator o[LAB_N_OPS];
	uint8_t *der[LAB_N_OPS] = { 0 };
	size_t len[LAB_N_OPS] = { 0 }, n_op = 0, n_dev = op == LAB_RO ? n_note : 0;
	struct lab_seed_device *dev = n_dev ? calloc(n_dev, sizeof(*dev)) : NULL;
	int rc = n_dev && !dev ? om_reason(why, why_len, OM_ELAB_SETUP, "out of memory") : 0;
	for (int k = LAB_SHO_A; k < LAB_N_OPS && rc == 0; k++) {
		if (k == (int)op)
			continue;
		if (signing_der(l, (enum lab_op)k, &der[n_op], &len[n_op]) < 0)
			rc = om_reason(why, why_len, OM_ELAB_SETUP, "%s's signing certificate", ops[k].id);
		o[n_op] = (struct lab_seed_operator){ ops[k].id, der[n_op], len[n_op] };
		n_op++;
	}
	for (size_t i = 0; rc == 0 && i < n_dev; i++)
		dev[i] = (struct lab_seed_device){ note[i].tre_id,     priv(l)->pcid[i],	  note[i].cert_enc,
						   note[i].cert_sign,  note[i].cert_enc_len, note[i].cert_sign_len };
	if (rc == 0)
		rc = lab_seed_drf(lab_socket(l, ops[op].drf, "admin.sock", sock, sizeof(sock)), o, n_op, dev, n_dev,
				  LAB_OWNER, (int64_t)time(NULL), n_dev ? "RO's DRF register" : NULL, why, why_len);
	for (size_t i = 0; i < n_op; i++)
		om_pki_free(der[i], len[i]);
	free(dev);
	return rc;
}

/* Both runs' notes, parsed by the registration service's own reader, in tre_ids order. */
static int read_notes_parsed(struct lab *l, struct sho_device_in **out, size_t *n_out, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 80];
	struct sho_device_in *a = NULL, *b = NULL;
	int na = sho_note_read(lab_path(l, "factory/owner/delivery-note.csv", p, sizeof(p)), &a, why, why_len);
	if (na < 0)
		return OM_ELAB_SETUP;
	int nb = 0;
	if (l->n_tampered) {
		nb = sho_note_read(lab_path(l, "factory-tampered/owner/delivery-note.csv", p, sizeof(p)), &b, why,
				   why_len);
		if (nb < 0) {
			sho_devices_free(a, (size_t)na);
			return OM_ELAB_SETUP;
		}
	}
	struct sho_device_in *all = realloc(a, ((size_t)na + (size_t)nb) * sizeof(*all));
	if (!all) {
		sho_devices_free(a, (size_t)na);
		sho_devices_free(b, (size_t)nb);
		return om_reason(why, why_len, OM_ELAB_SETUP, "out of memory");
	}
	if (nb)
		memcpy(all + na, b, (size_t)nb * sizeof(*all));
	free(b); /* its rows' buffers now belong to all */
	*out = all;
	*n_out = (size_t)na + (size_t)nb;
	for (size_t i = 0; i < *n_out; i++)
		if (i >= l->n_devices + l->n_tampered || strcmp(all[i].tre_id, l->tre_ids[i]))
			return om_reason(why, why_len, OM_ELAB_SETUP, "delivery notes: row %zu is not %s", i,
				    i < l->n_devices + l->n_tampered ? l->tre_ids[i] : "expected");
	return 0;
}

/* The ICF and the PVA, seeded on a thread of their own while the VNO and the DRFs start. */
struct side_seed {
	struct lab *l;
	int rc;
	char why[400];
};

static void *seed_side(void *arg)
{
	struct side_seed *s = arg;
	s->rc = seed_icf(s->l, s->why, sizeof(s->why));
	if (s->rc == 0)
		s->rc = seed_pva(s->l, s->why, sizeof(s->why));
	return NULL;
}

/* Every DRF's register, from both runs' notes (read again: lab_setup kept only the rows' heads). */
static int seed_drfs(struct lab *l, char *why, size_t why_len)
{
	struct sho_device_in *note = NULL;
	size_t n_note = 0;
	int rc = read_notes_parsed(l, &note, &n_note, why, why_len);
	for (int op = 0; op < LAB_N_OPS && rc == 0; op++)
		rc = seed_drf(l, (enum lab_op)op, note, n_note, why, why_len);
	sho_devices_free(note, n_note);
	return rc;
}

/*
 * The owner and its secret at every registration service, over each SHO's admin socket once it
 * runs (never through its database); an owner already there (a restart) is fine.
 */
static int add_owners(struct lab *l, char *why, size_t why_len)
{
	char sock[LAB_PATH_MAX + 40], line[256];
	for (int op = LAB_SHO_A; op < LAB_N_OPS; op++) {
		struct om_admin_result res;
		snprintf(line, sizeof(line), "owner-add %s %s\n", LAB_OWNER, priv(l)->owner_secret);
		int rc = om_admin_call(lab_socket(l, ops[op].sho, "admin.sock", sock, sizeof(sock)), line, 30000, NULL,
				       NULL, &res);
		OPENSSL_cleanse(line, sizeof(line));
		if (rc == 0 && res.code < 0 && res.code != OM_ESHO_OWNER_EXISTS)
			rc = res.code;
		if (rc < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "%s: owner: %s", sock, rc == res.code ? res.reason : om_strerror(rc));
	}
	return 0;
}

/* Seconds since the last call (for the setup phases' figures in docs/lab.md; OM_LAB_TIMING=1 prints them). */
static void phase_done(const char *phase)
{
	static struct timespec last;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (phase && getenv("OM_LAB_TIMING"))
		fprintf(stderr, "lab-setup phase=%s seconds=%.2f\n", phase,
			(double)(t.tv_sec - last.tv_sec) + (double)(t.tv_nsec - last.tv_nsec) / 1e9);
	last = t;
}

/* ---- lab_setup ---------------------------------------------------------------- */

/* A fresh random secret as hex (2 * n characters). */
static int random_hex(char *out, size_t n)
{
	uint8_t r[32];
	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		return OM_ECRYPTO;
	om_hex_encode(out, r, n);
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

static int check_dirs(struct lab *l, const struct lab_options *opt, char *why, size_t why_len)
{
	char real[PATH_MAX];
	if (!opt->workdir || !*opt->workdir || !opt->bin_dir || !*opt->bin_dir)
		return om_reason(why, why_len, OM_ELAB_SETUP, "workdir and bin_dir are required");
	if (opt->n_devices < 1 || opt->n_devices > 9999999 || opt->n_tampered > 999999)
		return om_reason(why, why_len, OM_ELAB_SETUP, "n_devices must be 1..9999999 (n_tampered 0..999999)");
	if (lab_mkdir(opt->workdir, 0700) < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", opt->workdir, strerror(errno));
	if (!realpath(opt->workdir, real) || strlen(real) >= sizeof(l->dir) - 64)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: path missing or too long", opt->workdir);
	memcpy(l->dir, real, strlen(real) + 1); /* length checked above */
	if (!realpath(opt->bin_dir, real) || strlen(real) >= sizeof(l->bin_dir) - 32)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: path missing or too long", opt->bin_dir);
	memcpy(l->bin_dir, real, strlen(real) + 1);
	/* a Unix socket path holds 107 bytes: the HSSs' and the PVA's sockets live in the work directory */
	if (strlen(l->dir) + sizeof("/sho-a-sho/internal.sock") > 107)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: too long for the daemons' Unix sockets (%zu > %zu)",
			    l->dir, strlen(l->dir), 107 - sizeof("/sho-a-sho/internal.sock"));
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		char exe[LAB_PATH_MAX + 40];
		snprintf(exe, sizeof(exe), "%s/openmcim-%s", l->bin_dir, programs[d]);
		if (access(exe, X_OK) < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", exe, strerror(errno));
	}
	return 0;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int write_configs(struct lab *l, char *why, size_t why_len)
{
	struct om_buf b = OM_BUF_INIT(0);
	char opc[LAB_N_OPS][33], p[LAB_PATH_MAX + 40];
	int rc = 0;
	for (int op = 0; op < LAB_N_OPS; op++)
		if (random_hex(opc[op], 16) < 0)
			return om_reason(why, why_len, OM_ELAB_SETUP, "no randomness for the operators' OP");
	pva_conf(l, &b);
	rc = conf_write(l, LAB_D_PVA, &b, why, why_len);
	vno_conf(l, &b);
	if (rc == 0)
		rc = conf_write(l, LAB_D_VNO, &b, why, why_len);
	for (int op = 0; op < LAB_N_OPS && rc == 0; op++) {
		hss_conf(l, (enum lab_op)op, &b);
		rc = conf_write(l, ops[op].hss, &b, why, why_len);
		drf_conf(l, (enum lab_op)op, &b);
		if (rc == 0)
			rc = conf_write(l, ops[op].drf, &b, why, why_len);
		dpf_conf(l, (enum lab_op)op, &b);
		if (rc == 0)
			rc = conf_write(l, ops[op].dpf, &b, why, why_len);
		if (rc == 0 && ops[op].sho != LAB_N_DAEMONS) {
			sho_conf(l, (enum lab_op)op, opc[op], &b);
			rc = conf_write(l, ops[op].sho, &b, why, why_len);
		}
	}
	OPENSSL_cleanse(opc, sizeof(opc));
	/* each daemon's own directory: sockets, freeDiameter configuration, spool */
	for (int d = 0; d < LAB_N_DAEMONS && rc == 0; d++)
		if (lab_mkdir(dfile(l, (enum lab_daemon)d, "", p, sizeof(p)), 0700) < 0)
			rc = om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", p, strerror(errno));
	return rc < 0 ? OM_ELAB_SETUP : 0;
}

int lab_setup(struct lab *l, const struct lab_options *opt, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 40], msin[16];
	int rc;

	memset(l, 0, sizeof(*l));
	pthread_once(&curl_once, curl_init);
	if ((rc = check_dirs(l, opt, why, why_len)) < 0)
		return rc;
	if (!dir_is_empty(l->dir))
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: not empty (the lab starts from nothing)", l->dir);
	l->opt = *opt;
	l->opt.workdir = l->dir;
	l->opt.bin_dir = l->bin_dir;
	if (!l->opt.grace_s)
		l->opt.grace_s = 5;
	l->n_devices = opt->n_devices;
	l->n_tampered = opt->n_tampered;
	unsigned total = l->n_devices + l->n_tampered;
	struct lab_priv *pv = calloc(1, sizeof(*pv));
	l->priv = pv;
	l->tre_ids = calloc(total, sizeof(*l->tre_ids));
	if (pv) {
		pv->note = calloc(total, sizeof(*pv->note));
		pv->pcid = calloc(total, sizeof(*pv->pcid));
		pv->tpm_pid = calloc(total, sizeof(*pv->tpm_pid));
	}
	if (!pv || !l->tre_ids || !pv->note || !pv->pcid || !pv->tpm_pid)
		return om_reason(why, why_len, OM_ELAB_SETUP, "out of memory");
	snprintf(pv->fd_dict, sizeof(pv->fd_dict), "%s", lab_fd_dict_dir());
	/* per-device bookkeeping lines of the libraries would drown the progress line: only notices */
	om_log_init("lab", OM_LOG_NOTICE);

	uint16_t ports[LAB_N_PORTS];
	if (lab_free_ports(ports, pv->port_lock, LAB_N_PORTS) < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "no free ports on 127.0.0.1");
	pv->port_locks_held = 1;
	memcpy(&pv->ports, ports, sizeof(ports));
	l->radio_port = pv->ports.radio;
	if (random_hex(pv->owner_secret, 20) < 0 ||
	    lab_write_file(lab_path(l, "owner.secret", p, sizeof(p)), pv->owner_secret, 0600) < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "owner secret: %s", p);

	if (l->opt.store_pg && (rc = start_store(l, why, why_len)) < 0)
		return rc;
	phase_done(NULL);
	lab_progress("PKI", 0, 1);
	if ((rc = lab_pki_make(l, why, why_len)) < 0)
		return rc;
	lab_progress("PKI", 1, 1);
	phase_done("pki");
	if ((rc = factory_run(l, "factory", 0, l->n_devices, "0000000001", NULL, NULL, why, why_len)) < 0)
		return rc;
	phase_done("factory");
	snprintf(msin, sizeof(msin), "%010u", l->n_devices + 1);
	if (l->n_tampered &&
	    (rc = factory_run(l, "factory-tampered", l->n_devices, l->n_tampered, msin, "TRX", "1.0.1", why,
			      why_len)) < 0)
		return rc;
	if ((rc = read_note(l, "factory", 0, l->n_devices, why, why_len)) < 0 ||
	    (rc = read_pcids(l, "factory", 0, l->n_devices, why, why_len)) < 0)
		return rc;
	if (l->n_tampered && ((rc = read_note(l, "factory-tampered", l->n_devices, l->n_tampered, why, why_len)) < 0 ||
			      (rc = read_pcids(l, "factory-tampered", l->n_devices, l->n_tampered, why, why_len)) < 0 ||
			      (rc = tampered_pva_dir(l, why, why_len)) < 0))
		return rc;
	pv->ids_sorted = 1;
	for (unsigned i = 1; i < total; i++)
		if (strcmp(l->tre_ids[i - 1], l->tre_ids[i]) >= 0)
			pv->ids_sorted = 0;
	if (lab_mkdir(lab_path(l, "devices", p, sizeof(p)), 0700) < 0 ||
	    (rc = move_devices(l, "factory", 0, l->n_devices, why, why_len)) < 0 ||
	    (l->n_tampered && (rc = move_devices(l, "factory-tampered", l->n_devices, l->n_tampered, why, why_len)) < 0))
		return rc < 0 ? rc : om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", p, strerror(errno));

	phase_done("notes-and-moves");
	rc = write_configs(l, why, why_len);
	phase_done("configs");
	return rc;
}

void lab_free(struct lab *l)
{
	struct lab_priv *pv = priv(l);
	lab_owner_links_free(l);
	if (pv) {
		for (unsigned i = 0; pv->note && i < l->n_devices + l->n_tampered; i++) {
			free(pv->note[i].head);
			OPENSSL_cleanse(pv->note[i].claim, sizeof(pv->note[i].claim));
		}
		free(pv->note);
		free(pv->pcid);
		/* the daemons are stopped (lab_stop); the cluster's data stays in <workdir>/pg unless it was /tmp's */
		om_pg_cluster_stop(&pv->pg, geteuid() != 0);
		lab_tpm_stop(pv->tpm_pid, l->n_devices + l->n_tampered);
		free(pv->tpm_pid);
		OPENSSL_cleanse(pv->owner_secret, sizeof(pv->owner_secret));
		for (size_t i = 0; pv->port_locks_held && i < LAB_N_PORTS; i++)
			if (pv->port_lock[i] >= 0)
				close(pv->port_lock[i]);
		free(pv);
	}
	free(l->tre_ids);
	l->tre_ids = NULL;
	l->priv = NULL;
}

/* ---- the daemons ------------------------------------------------------------------ */

static const char *ready_needle(enum lab_daemon d)
{
	return d == LAB_D_VNO ? " ready " : " started ";
}

static int spawn(struct lab *l, enum lab_daemon d, const char *env, char *why, size_t why_len)
{
	char exe[LAB_PATH_MAX + 40], conf[LAB_PATH_MAX + 40], log[LAB_PATH_MAX + 40];
	if (l->pid[d] > 0)
		return om_reason(why, why_len, OM_ELAB_DAEMON, "%s: already running (pid %ld)", names[d], (long)l->pid[d]);
	snprintf(exe, sizeof(exe), "%s/openmcim-%s", l->bin_dir, programs[d]);
	dfile(l, d, ".conf", conf, sizeof(conf));
	dfile(l, d, ".log", log, sizeof(log));
	/* a restart appends to the same log; readiness is looked for in what this run writes */
	priv(l)->log_off[d] = lab_file_size(log);
	pid_t pid = lab_spawn(exe, conf, log, env);
	if (pid < 0)
		return om_reason(why, why_len, OM_ELAB_DAEMON, "%s: cannot start %s: %s", names[d], exe, strerror(errno));
	l->pid[d] = pid;
	return 0;
}

static int wait_ready(struct lab *l, enum lab_daemon d, char *why, size_t why_len)
{
	char log[LAB_PATH_MAX + 40], reason[400];
	int rc = lab_wait_log(dfile(l, d, ".log", log, sizeof(log)), priv(l)->log_off[d], ready_needle(d), l->pid[d],
			      READY_TIMEOUT_MS, reason, sizeof(reason));
	if (rc < 0) {
		if (strstr(reason, "exited"))
			l->pid[d] = 0;
		return om_reason(why, why_len, OM_ELAB_DAEMON, "%s: %s (see %s)", names[d], reason, log);
	}
	return 0;
}

/*
 * The first start seeds the stores through the daemons' admin interfaces
 * (docs/lab.md "Seeding"): the ICF's and the PVA's imports run on a thread
 * once their tier is up, beside the VNO's and the DRFs' start; the DRFs'
 * registers are written once they run; both are done before the SHOs and
 * the DPFs, which ask them, start.
 */
#define TIER_DRFS 2

int lab_start(struct lab *l, char *why, size_t why_len)
{
	struct lab_priv *pv = priv(l);
	struct side_seed side = { .l = l };
	pthread_t th;
	int rc = 0, seed = !pv->seeded, threaded = 0, side_started = 0;
	phase_done(NULL);
	for (size_t t = 0; t < N_TIERS && rc == 0; t++) {
		for (size_t i = 0; tiers[t][i] != LAB_N_DAEMONS && rc == 0; i++)
			rc = spawn(l, tiers[t][i], NULL, why, why_len);
		for (size_t i = 0; tiers[t][i] != LAB_N_DAEMONS && rc == 0; i++)
			rc = wait_ready(l, tiers[t][i], why, why_len);
		lab_progress("daemons started", t + 1, N_TIERS);
		if (rc == 0 && seed && t == 0) {
			side_started = 1;
			threaded = pthread_create(&th, NULL, seed_side, &side) == 0;
			if (!threaded)
				seed_side(&side);
		}
		if (rc == 0 && seed && t == TIER_DRFS) {
			rc = seed_drfs(l, why, why_len);
			phase_done("seed-drf");
		}
		if (threaded && (t == TIER_DRFS || rc < 0)) {
			pthread_join(th, NULL);
			threaded = 0;
			phase_done("seed-icf-pva-wait");
		}
		if (rc == 0 && side_started && t == TIER_DRFS && side.rc < 0)
			rc = om_reason(why, why_len, side.rc, "%s", side.why);
	}
	if (threaded)
		pthread_join(th, NULL);
	if (rc < 0)
		return rc;
	pv->seeded |= seed;
	rc = add_owners(l, why, why_len);
	phase_done("start");
	return rc;
}

pid_t lab_daemon_pid(struct lab *l, enum lab_daemon d)
{
	int st;
	if ((unsigned)d >= LAB_N_DAEMONS || l->pid[d] <= 0)
		return 0;
	if (waitpid(l->pid[d], &st, WNOHANG) == l->pid[d])
		l->pid[d] = 0;
	return l->pid[d];
}

int lab_stop(struct lab *l)
{
	int bad = 0;
	/* the reverse of the start order: nobody loses what it talks to while it still works */
	for (size_t t = N_TIERS; t-- > 0;) {
		for (size_t i = 0; tiers[t][i] != LAB_N_DAEMONS; i++)
			if (l->pid[tiers[t][i]] > 0)
				kill(l->pid[tiers[t][i]], SIGTERM);
		for (size_t i = 0; tiers[t][i] != LAB_N_DAEMONS; i++) {
			enum lab_daemon d = tiers[t][i];
			if (l->pid[d] <= 0)
				continue;
			int st = lab_reap(l->pid[d], SIGTERM, STOP_TIMEOUT_MS);
			if (!(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
				bad++;
				om_notice("lab-daemon-exit", "daemon=%s status=%d", names[d], st);
			}
			l->pid[d] = 0;
		}
	}
	return bad;
}

void lab_kill(struct lab *l, enum lab_daemon d, int sig)
{
	if ((unsigned)d >= LAB_N_DAEMONS || l->pid[d] <= 0)
		return;
	(void)lab_reap(l->pid[d], sig, STOP_TIMEOUT_MS);
	l->pid[d] = 0;
}

int lab_restart_env(struct lab *l, enum lab_daemon d, const char *env, char *why, size_t why_len)
{
	if ((unsigned)d >= LAB_N_DAEMONS)
		return om_reason(why, why_len, OM_ELAB_DAEMON, "no daemon %d", (int)d);
	(void)lab_daemon_pid(l, d); /* reaps it if it died on its own */
	int rc = spawn(l, d, env, why, why_len);
	return rc < 0 ? rc : wait_ready(l, d, why, why_len);
}

int lab_restart(struct lab *l, enum lab_daemon d, char *why, size_t why_len)
{
	return lab_restart_env(l, d, NULL, why, why_len);
}

/* ---- for lab_owner.c --------------------------------------------------------------- */

uint16_t lab_metrics_port(const struct lab *l, enum lab_daemon d)
{
	return priv(l)->ports.metrics[d];
}

uint16_t lab_sho_port(const struct lab *l, enum lab_op op)
{
	return priv(l)->ports.sho[op];
}

const char *lab_op_id(enum lab_op op)
{
	return (unsigned)op < LAB_N_OPS ? ops[op].id : "?";
}

enum lab_daemon lab_op_drf(enum lab_op op)
{
	return ops[op].drf;
}

enum lab_daemon lab_op_hss(enum lab_op op)
{
	return ops[op].hss;
}
