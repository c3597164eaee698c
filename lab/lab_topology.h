/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's topology on loopback (docs/lab.md): every function its own
 * process with its own configuration, log and SQLite file under one work
 * directory.
 *
 *   RO      ICF (openmcim-hss with the factory's PCIDs, PLMN 001-01),
 *           DRF (current SHO of every new device), DPF
 *   SHO-A   HSS (001-02), registration service (openmcim-sho), DRF, DPF
 *   SHO-B   HSS (001-03), registration service, DRF, DPF
 *   SHO-C   HSS (001-04), registration service, DRF, DPF (the third operator
 *           of A->B->C->A, issue 20)
 *   PVA     openmcim-pva (OCSP responder and POST /validate)
 *   VNO     openmcim-vno (radio listener, MME towards the four HSSs, push)
 *
 * plus the PKI (factory CAs with the RO's SHO_SIGNING certificate as the
 * devices' trust root, each SHO's SHO_SIGNING identity, one lab TLS CA for
 * every operator and DPF certificate, host "localhost") and the factory run
 * of the devices. The owner ("fleet-1") is registered at SHO-A, SHO-B and SHO-C.
 *
 * The functions here are what a test or the lab's scenario needs to drive
 * the system as its users would: the owner's calls over HTTPS, a transfer
 * code from the current operator, an agent configuration per device,
 * stopping and restarting one daemon.
 *
 * Threads: setup, start, stop and restart from one thread; the owner calls
 * and lab_agent_config() may run from several.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openmcim/err.h>
#include <openmcim/tre.h>

#include "agent.h"
#include "lab_err.h"

#define LAB_PATH_MAX 512
#define LAB_OWNER "fleet-1"
#define LAB_REGISTER_CHUNK 1000

enum lab_op { LAB_RO = 0, LAB_SHO_A = 1, LAB_SHO_B = 2, LAB_SHO_C = 3, LAB_N_OPS = 4 };

/* Each daemon of the topology. */
enum lab_daemon {
	LAB_D_PVA = 0,
	LAB_D_VNO,
	LAB_D_RO_HSS, LAB_D_RO_DRF, LAB_D_RO_DPF,
	LAB_D_A_HSS, LAB_D_A_SHO, LAB_D_A_DRF, LAB_D_A_DPF,
	LAB_D_B_HSS, LAB_D_B_SHO, LAB_D_B_DRF, LAB_D_B_DPF,
	LAB_D_C_HSS, LAB_D_C_SHO, LAB_D_C_DRF, LAB_D_C_DPF,
	LAB_N_DAEMONS,
};

/* op's registration service: the owner API and console (https://localhost:PORT/, docs/owner.md). */
struct lab;
uint16_t lab_sho_port(const struct lab *l, enum lab_op op);

/* The port of d's Prometheus metrics on 127.0.0.1 (GET /metrics, docs/operate.md "Metrics"). */
uint16_t lab_metrics_port(const struct lab *l, enum lab_daemon d);

/*
 * Scrape every running daemon's /metrics into <workdir>/metrics/<name>.prom
 * (the lab command does so after the scenario, before stopping them).
 * Returns 0, or OM_EIO with the first daemon that did not answer in why.
 */
OM_NODISCARD int lab_metrics_scrape(struct lab *l, char *why, size_t why_len);

/* "pva", "vno", "ro-hss", "sho-a-drf", ...: also the file stem of its .conf, .log, .db. */
const char *lab_daemon_name(enum lab_daemon d);

struct lab_options {
	const char *workdir;     /* created if missing; must be empty or absent (required) */
	const char *bin_dir;     /* where the openmcim-* programs and `openmcim` are (required) */
	unsigned n_devices;      /* factory run size (>= 1) */
	uint64_t seed;           /* the factory's and the scenario's random choices */
	int pcaps;               /* 1: the VNO writes NAS and S6a pcaps into workdir */
	unsigned grace_s;        /* Note Z grace period of the DRFs (>= 1; the lab uses a few seconds) */
	unsigned fallback_s;     /* the agents' Note Y deadline */
	int store_pg;            /* 1: one PostgreSQL cluster (<workdir>/pg) holds every daemon's database
				    (docs/lab.md "On PostgreSQL"); 0: a SQLite file per daemon */
	unsigned n_tampered;     /* devices of a second factory run ("TRX-..." TRE_ids) at firmware 1.0.1
				    whose PVA references are 1.0.0's: every one of them fails platform
				    validation (measurement mismatch); 0: none */
	int tre_backend;         /* OM_TRE_BACKEND_SOFT (0), OM_TRE_BACKEND_TPM: one swtpm per
				    device under <workdir>/tpm/, or OM_TRE_BACKEND_PKCS11: one
				    SoftHSM2 token under <workdir>/p11/ (docs/lab.md) */
};

struct lab {
	char dir[LAB_PATH_MAX];
	char bin_dir[LAB_PATH_MAX];
	struct lab_options opt;
	pid_t pid[LAB_N_DAEMONS];          /* 0 when not running */
	uint16_t radio_port;               /* the VNO's radio listener on 127.0.0.1 */
	char tls_ca[LAB_PATH_MAX];         /* the lab TLS CA (PEM): for agents and owner calls */
	unsigned n_devices;                /* genuine devices: tre_ids[0 .. n_devices-1] */
	unsigned n_tampered;               /* tampered ones follow: tre_ids[n_devices .. n_devices+n_tampered-1] */
	char (*tre_ids)[OM_TRE_ID_MAX + 1]; /* the factory's devices, in order (genuine, then tampered) */
	void *priv;                        /* ports, paths, keys: lab_topology.c */
};

/*
 * Make the work directory: PKI, factory run of opt->n_devices (TRE
 * directories under <workdir>/devices/), every daemon's configuration. No
 * store is opened: the daemons create theirs empty at their first start. A
 * long run shows progress on a terminal (stderr is a tty). Returns 0 or
 * OM_ELAB_SETUP with the reason in why.
 */
OM_NODISCARD int lab_setup(struct lab *l, const struct lab_options *opt, char *why, size_t why_len);

/*
 * Start every daemon and wait until each is ready. The first start seeds
 * the stores as the operators would, through the daemons' admin interfaces
 * (docs/lab.md "Seeding"): the PCIDs into the ICF (`import`), the factory's
 * Cert_TREs and references into the PVA (`import`), the operators into each
 * DRF and the devices into the RO's (`operator-add`, `device-add`); the
 * SHOs and DPFs start after it. Returns 0, OM_ELAB_DAEMON (why says which)
 * or OM_ELAB_SETUP (a seeding refused, why says which).
 */
OM_NODISCARD int lab_start(struct lab *l, char *why, size_t why_len);

/* SIGTERM every daemon and wait; returns the number that did not exit 0. */
int lab_stop(struct lab *l);

/* Free what lab_setup allocated (after lab_stop). */
void lab_free(struct lab *l);

/* Kill one daemon with sig (SIGKILL for the crash test) and reap it. */
void lab_kill(struct lab *l, enum lab_daemon d, int sig);

/* Start one daemon again on its same ports and files; 0 or OM_ELAB_DAEMON. */
OM_NODISCARD int lab_restart(struct lab *l, enum lab_daemon d, char *why, size_t why_len);

/*
 * lab_restart() with one extra environment variable for that run only,
 * e.g. "OM_FAILPOINT=dpf.released" for the crash tests (failpoint.h). The
 * string must stay valid until the call returns.
 */
OM_NODISCARD int lab_restart_env(struct lab *l, enum lab_daemon d, const char *env, char *why, size_t why_len);

/* pid of the daemon, 0 when not running (reaps it when it died: the crash tests wait for a failpoint). */
pid_t lab_daemon_pid(struct lab *l, enum lab_daemon d);

/* ---- the owner, as a user would act ------------------------------------- */

/*
 * The owner registers devices at op's registration service (POST /register)
 * with a delivery note naming from_op as their current SHO: the factory's
 * note for those tre_ids (NULL: every device, tampered ones included).
 * Large sets go in several requests (at most LAB_REGISTER_CHUNK devices
 * each: the registration service's body limit). Returns the number
 * registered (or unchanged), or OM_ELAB_OWNER with why.
 */
OM_NODISCARD int lab_register(struct lab *l, enum lab_op op, enum lab_op from_op, const char *const *tre_ids,
			      size_t n, char *why, size_t why_len);

/* A transfer code from the current operator's DRF for tre_id (what the owner gets out of band). */
OM_NODISCARD int lab_transfer_code(struct lab *l, enum lab_op from_op, const char *tre_id, char code[32]);

/*
 * The owner asks op to take tre_id over with code (POST /handover/<TRE_ID>).
 * Returns the HTTP status (200 accepted, 409 refused, ...) with the answer
 * text in answer, or OM_ELAB_OWNER when no answer came.
 */
OM_NODISCARD int lab_handover(struct lab *l, enum lab_op op, const char *tre_id, const char *code, char *answer,
			      size_t cap);

/* The owner's view: state= of GET /status/<TRE_ID> at op into state; 0 or OM_ELAB_OWNER. */
OM_NODISCARD int lab_status(struct lab *l, enum lab_op op, const char *tre_id, char *state, size_t cap);
/* As lab_status, for the answer's line key= (state, imsi, current_sho, ...). */
OM_NODISCARD int lab_status_field(struct lab *l, enum lab_op op, const char *tre_id, const char *key, char *out,
				  size_t cap);

/* ---- devices ------------------------------------------------------------- */

/* The TRE directory of device i. */
const char *lab_device_dir(const struct lab *l, unsigned i, char *buf, size_t cap);

/*
 * Device i's TRE backend as its configuration names it (the lab's --tre;
 * with tpm, the TCTI of its own swtpm, written into tcti).
 */
void lab_tre_backend(const struct lab *l, unsigned i, struct om_tre_backend *be, char *tcti, size_t cap);

/* Open device i's TRE on its backend (om_tre_open_backend). */
OM_NODISCARD int lab_tre_open(const struct lab *l, unsigned i, struct om_tre **out);

/*
 * An agent configuration for device i (radio, CA, timeouts, fallback_s, its
 * TRE backend); strings point into l or buf (the directory, then the TCTI).
 */
void lab_agent_config(const struct lab *l, unsigned i, struct om_agent_config *cfg, char *buf, size_t cap);

/* ---- inspection ------------------------------------------------------------ */

/* 1 if op's HSS has a subscriber with imsi, 0 if not, negative on error (asks its provisioning socket). */
int lab_hss_has(struct lab *l, enum lab_op op, const char *imsi);
/* "change IMSI WORDS" on op's HSS provisioning socket, as its operator would (docs/hss.md): 0 or the HSS's code. */
int lab_hss_change(struct lab *l, enum lab_op op, const char *imsi, const char *words);

/* The socket `file` in daemon d's own directory: "<dir>/<name>/<file>" (prov.sock, admin.sock, status.sock). */
const char *lab_socket(const struct lab *l, enum lab_daemon d, const char *file, char *buf, size_t cap);

/* A file of the lab: "<dir>/<rel>". */
const char *lab_path(const struct lab *l, const char *rel, char *buf, size_t cap);

/*
 * The database of daemon d as its configuration names it (svc/store.h):
 * <workdir>/<name>.db, or with --store postgres the URI of its database
 * (the name with '_' for '-') in the lab's cluster.
 */
const char *lab_db(const struct lab *l, enum lab_daemon d, char *buf, size_t cap);
