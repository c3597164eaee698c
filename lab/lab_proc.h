/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What lab_topology.c, lab_pki.c and lab_proc.c share inside the lab (not
 * part of the lab's contract, lab_topology.h): the ports and paths chosen at
 * setup, and the process helpers.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include <openmcim/claim.h>

#include "lab_topology.h"
#include "pg_local_cluster.h"

/* Every port of the topology, chosen once at setup (all distinct, all 127.0.0.1). */
struct lab_ports {
	uint16_t hss_dia[LAB_N_OPS]; /* each HSS's Diameter */
	uint16_t vno_dia, radio, push, pva;
	uint16_t drf[LAB_N_OPS];
	uint16_t sho[LAB_N_OPS]; /* owner API; [LAB_RO] unused (the RO runs no registration service) */
	uint16_t dpf[LAB_N_OPS];
	uint16_t metrics[LAB_N_DAEMONS]; /* each daemon's [metrics] listen (docs/operate.md "Metrics") */
};
#define LAB_N_PORTS (sizeof(struct lab_ports) / sizeof(uint16_t))

/* One row of the factory's delivery note: its sho_id column aside, its owner claim kept apart. */
struct lab_note_row {
	char *head; /* "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64" */
	char claim[OM_CLAIM_TEXT_LEN + 1]; /* the owner claim secret: the owner's alone, cleansed in lab_free() */
	char model[64]; /* the note's model column ("" when it has none) */
};

struct lab_priv {
	struct lab_ports ports;
	char owner_secret[48];       /* LAB_OWNER's secret at both SHOs (also in <dir>/owner.secret, 0600) */
	char fd_dict[LAB_PATH_MAX];  /* freeDiameter's dictionary extensions */
	off_t log_off[LAB_N_DAEMONS]; /* where the current run of each daemon's log starts */
	struct lab_note_row *note;   /* per device, in the order of struct lab.tre_ids */
	char (*pcid)[16];            /* each device's PCID (IMSI), same order */
	int ids_sorted;              /* tre_ids ascending: lookups by bsearch */
	struct om_pg_cluster pg;     /* with --store postgres: the one cluster of every daemon */
	pid_t *tpm_pid;              /* --tre tpm: each device's swtpm, same order as tre_ids */
	char p11_pin[24];            /* --tre pkcs11: the lab token's user PIN (also <dir>/p11/pin, 0600) */
	int port_lock[LAB_N_PORTS];  /* the ports' reservations (lab_free_ports), closed in lab_free() */
	int port_locks_held;
	struct lab_owner_links *owner_links; /* the owner's kept HTTPS connections (lab_owner.c) */
	int seeded;                  /* the stores were seeded at the first lab_start (lab_seed.c) */
};

/* ---- lab_owner.c --------------------------------------------------------- */

/* Close the owner's kept connections (lab_free). */
void lab_owner_links_free(struct lab *l);

/* ---- lab_tpm.c ----------------------------------------------------------- */

/*
 * Start swtpm (TPM 2.0, started) with its state and sockets in dir: the
 * TCTI "swtpm:path=<dir>/sock". It dies with this process. The pid, or -1
 * with the reason in why.
 */
pid_t lab_swtpm_spawn(const char *dir, char *why, size_t why_len);

/* Device tre_id's TPM in <workdir>/tpm/<tre_id>/: 0, or -1 with why. */
OM_NODISCARD int lab_tpm_start(struct lab *l, const char *tre_id, pid_t *pid, char *why, size_t why_len);

/* Stop the n TPMs of pids (SIGTERM, reaped). */
void lab_tpm_stop(pid_t *pids, unsigned n);

/* ---- lab_p11.c ----------------------------------------------------------- */

#define LAB_P11_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define LAB_P11_TOKEN "openmcim-lab"

/*
 * --tre pkcs11: the lab's SoftHSM2 token store in <workdir>/p11/ (once: a
 * second call finds it), SOFTHSM2_CONF pointed at it for this process and
 * the agents it runs, and the token LAB_P11_TOKEN with a fresh user PIN in
 * the lab's private part. 0, or -1 with why.
 */
OM_NODISCARD int lab_p11_init(struct lab *l, struct lab_priv *pv, char *why, size_t why_len);

/*
 * A SoftHSM2 token labelled label (at most 32 bytes), SO PIN so_pin and
 * user PIN pin, in a free slot of the token store conf configures, made
 * through PKCS#11 (C_InitToken, C_InitPIN) in a forked child with
 * SOFTHSM2_CONF=conf: the PINs on no command line, and this process's own
 * SOFTHSM2_CONF and module state untouched (the tests make several token
 * stores in one process). 0, or -1 with why.
 */
OM_NODISCARD int lab_p11_make_token(const char *conf, const char *label, const char *so_pin, const char *pin,
				    char *why, size_t why_len);

/* ---- lab_proc.c --------------------------------------------------------- */

/*
 * n distinct free TCP ports on 127.0.0.1 below the ephemeral range (held open
 * together while chosen, so none repeats), each reserved against other labs
 * on the host by a lock whose descriptor is locks[i] (-1 when none could be
 * taken): close them when the lab's daemons are gone.
 */
OM_NODISCARD int lab_free_ports(uint16_t *ports, int *locks, size_t n);

/* Start exe -c conf with stderr appended to log and extra_env (may be NULL) added; the pid or -1. */
pid_t lab_spawn(const char *exe, const char *conf, const char *log, const char *extra_env);

/*
 * Wait until log holds needle after offset off, the process pid exits, or
 * timeout_ms pass. Returns 0 when found; OM_ELAB_DAEMON with the log's last
 * line in why otherwise (pid reaped when it died).
 */
OM_NODISCARD int lab_wait_log(const char *log, off_t off, const char *needle, pid_t pid, int timeout_ms, char *why,
			      size_t why_len);

/* Signal pid and reap it; the wait status, or -1. After timeout_ms it is killed with SIGKILL. */
int lab_reap(pid_t pid, int sig, int timeout_ms);

/* The size of a file, 0 when missing. */
off_t lab_file_size(const char *path);

/* Write text into path with mode; 0 or OM_EIO. */
OM_NODISCARD int lab_write_file(const char *path, const char *text, int mode);

/* The whole file, NUL-terminated (free()); NULL when unreadable. */
char *lab_slurp(const char *path, size_t *len);

/* mkdir -p with mode for the last component; 0 or OM_EIO. */
OM_NODISCARD int lab_mkdir(const char *path, int mode);

/* rm -rf path (best effort). */
void lab_rm_rf(const char *path);

/* Where freeDiameter's dictionary extensions are (dict_nasreq.fdx), for the generated configurations. */
const char *lab_fd_dict_dir(void);

/* Milliseconds on the monotonic clock (the scenarios' phase times). */
double lab_now_ms(void);

/*
 * Record a problem of a scenario's run: one line into problems[*n] while
 * there is room (cap lines of 200 bytes), counted in *n either way.
 */
void lab_problem_add(char (*problems)[200], unsigned cap, unsigned *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * How the scenarios' reports end: "every device is where it should be", or "N problem(s):" and
 * a line each (n may exceed cap); then where the run's files are.
 */
void lab_report_end(FILE *f, const char (*problems)[200], unsigned cap, unsigned n, const char *dir);

/* fn(arg, i) for every i < n on at most jobs (1..16; 0: 4) threads, each taking the next i; returns when all are done. */
void lab_for_each(unsigned n, unsigned jobs, void (*fn)(void *arg, unsigned i), void *arg);

/* A one-line progress counter on a terminal (stderr a tty); nothing otherwise. done == total ends the line. */
void lab_progress(const char *what, size_t done, size_t total);

/* ---- lab_seed.c --------------------------------------------------------- */

/*
 * One admin command at the socket sock (an HSS's `import FILE ...`, the
 * PVA's `import DIR`) answered within timeout_ms: 0, or OM_ELAB_SETUP with
 * the daemon's answer or the transport's failure in why.
 */
OM_NODISCARD int lab_seed_call(const char *sock, const char *line, int timeout_ms, char *why, size_t why_len);

/* An import is one transaction of every row of a run: a large run's takes a while. */
#define LAB_SEED_IMPORT_MS 600000

/*
 * An ICF's PCIDs from a factory run's file (`hss-admin import FILE
 * apn=<the factory's PCID APN> roaming=any`), on its provisioning socket
 * sock: the HSS reads the file. 0, or OM_ELAB_SETUP with why.
 */
OM_NODISCARD int lab_seed_icf(const char *sock, const char *pcid_file, char *why, size_t why_len);

/* A factory run's Cert_TREs and references into the PVA (`pva-admin import DIR`) on its admin socket. */
OM_NODISCARD int lab_seed_pva(const char *sock, const char *run_dir, char *why, size_t why_len);

/* One daemon's Prometheus page (GET /metrics on 127.0.0.1:port, lab_metrics.c) into path: 0, or OM_EIO with why. */
OM_NODISCARD int lab_metrics_save(uint16_t port, const char *path, char *why, size_t why_len);

/* The certificate in the PEM file pem as DER (om_pki_free): an operator's SHO_SIGNING one for a DRF. */
OM_NODISCARD int lab_seed_cert_der(const char *pem, uint8_t **der, size_t *len);

/* An operator a DRF answers: its SHO id and SHO_SIGNING certificate (DER). */
struct lab_seed_operator {
	const char *id;
	const uint8_t *cert;
	size_t cert_len;
};

/* A device for a DRF's register: its PCID as the subscription, both Cert_TREs (DER). */
struct lab_seed_device {
	const char *tre_id, *imsi;
	const uint8_t *enc, *sign;
	size_t enc_len, sign_len;
};

/*
 * A DRF's register over its admin socket, on one connection: `operator-add`
 * for each of op[n_op], then `device-add` for each of dev[n_dev] (owner,
 * since, sequence 0). progress, when not NULL, names a progress line. 0, or
 * OM_ELAB_SETUP with the first refusal in why (the rows before it stay).
 */
OM_NODISCARD int lab_seed_drf(const char *sock, const struct lab_seed_operator *op, size_t n_op,
			      const struct lab_seed_device *dev, size_t n_dev, const char *owner, int64_t since,
			      const char *progress, char *why, size_t why_len);

/* ---- lab_pki.c ---------------------------------------------------------- */

/*
 * Every key and certificate of the lab under <dir>/pki (docs/lab.md
 * "Topology"): the factory's CAs, the PVA's OCSP responder, SHO-A's and
 * SHO-B's SHO_SIGNING identities, the lab TLS CA and its leaves. 0 or
 * OM_ELAB_SETUP with why.
 */
OM_NODISCARD int lab_pki_make(struct lab *l, char *why, size_t why_len);

/*
 * A Diameter CA under <dir>/pki/diameter/ca and one certificate per peer
 * identity (CN and DNS SAN): <dir>/pki/diameter/<identity>.pem and .key.
 * 0 or a pki.h code, with the step that failed in *step.
 */
OM_NODISCARD int lab_pki_diameter(const char *dir, const char *const *peers, size_t n, const char **step);
/* An OPERATOR_TLS leaf (CN cn, DNS SAN dns) under the CA whose files are <ca_stem>.pem and .key: <stem>.pem/.key. */
OM_NODISCARD int lab_pki_tls_leaf(const char *ca_stem, const char *stem, const char *cn, const char *dns);

/*
 * Another registration operator beside the topology's (lab_distributed.c),
 * after lab_pki_make: its own trust root and SHO_SIGNING identity CN=id
 * (<dir>/pki/<stem>-root, <stem>-signing: the Cert_SHO[0] of its devices),
 * its DRF's TLS certificate under the lab TLS CA (pki/tls/drf.<stem>.lab)
 * and its ICF's under the Diameter CA (pki/diameter/hss.<stem>.lab). 0 or a
 * pki.h code, with the step that failed in *step.
 */
OM_NODISCARD int lab_pki_operator(const char *dir, const char *stem, const char *id, const char **step);

/* ---- lab_owner.c, for lab_distributed.c -------------------------------- */

/*
 * The owner registers the rows of a delivery note (the factory's CSV with its
 * header, sho_id and claim_secret columns) at op: the number registered or
 * unchanged, or OM_ELAB_OWNER with why (lab_register() builds its note and
 * calls this).
 */
OM_NODISCARD int lab_register_csv(struct lab *l, enum lab_op op, const char *csv, size_t len, char *why,
				  size_t why_len);

/* A transfer code for tre_id from the DRF whose admin socket is sock (lab_transfer_code() names its operator's). */
OM_NODISCARD int lab_transfer_code_at(const char *sock, const char *tre_id, char code[32]);

/* ---- lab_topology.c, for lab_owner.c ----------------------------------- */

const char *lab_op_id(enum lab_op op);                       /* "RO", "SHO-A", "SHO-B" */
enum lab_daemon lab_op_drf(enum lab_op op);
enum lab_daemon lab_op_hss(enum lab_op op);
