/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every openmcim daemon's main() shares: the command line
 * (-c FILE | --config FILE, --help, --version), the signal mask, and running
 * until SIGTERM or SIGINT. A daemon's main() reads:
 *
 *   int rc = om_daemon_args(&d, argc, argv, &conf_path);
 *   if (rc >= 0)
 *           return rc;
 *   ... load the configuration, om_log_init() ...
 *   om_daemon_private("hss", files, n)  umask 077, refuse files open to others
 *   om_daemon_block_signals();          before any thread starts
 *   ... start the services, om_notice("started", ...) ...
 *   om_daemon_wait();                   logs "stopping signal=N"
 *   ... stop the services, om_notice("stopped", ...) ...
 */
#pragma once

#include <stddef.h>

#include <openmcim/err.h>

struct om_daemon {
	const char *name;    /* the role: "hss" for openmcim-hss */
	const char *version; /* printed by --version */
	const char *usage;   /* printed by --help, and on stderr for a usage error */
};

/*
 * Parse argv. Returns -1 with *conf_path set when the daemon should run;
 * otherwise the exit status: 0 after --help or --version, 2 on a usage
 * error (no -c, an unknown option or a stray word).
 */
int om_daemon_args(const struct om_daemon *d, int argc, char **argv, const char **conf_path);

/*
 * Block SIGTERM, SIGINT and SIGPIPE in the calling thread. Call it before
 * starting any thread: every thread inherits the mask, so only
 * om_daemon_wait() sees the signals, and a peer that goes away never kills
 * the process.
 */
void om_daemon_block_signals(void);

/* Wait for SIGTERM or SIGINT, log "stopping signal=N" and return N. */
int om_daemon_wait(void);

/* What a secret-bearing file a daemon is configured with is (issue 11). */
enum om_daemon_file {
	OM_DAEMON_DB,      /* a database: the file and its -wal, -shm and -journal; may not exist yet */
	OM_DAEMON_SECRET,  /* a private key, or a configuration holding a secret (OP): must exist */
	OM_DAEMON_CAPTURE, /* a pcap the daemon will write (RAND, XRES, KASME); may not exist yet */
	OM_DAEMON_DIR,     /* a run directory: ours and closed to others' writes; may not exist yet */
};

struct om_daemon_file_use {
	const char *path; /* NULL: not configured, skipped */
	enum om_daemon_file kind;
};

/*
 * Call first, before anything is created: umask 077, so that every file,
 * socket and directory the daemon makes is its user's alone; then each of
 * files[0..n) must be ours alone (private_file.h). On a refusal writes
 * "openmcim-<name>: refusing to start: <file>: <reason>; <fix> (<CODE>)"
 * on stderr and returns the code (OM_EFILE_MODE, OM_EFILE_OWNER, OM_EIO):
 * the caller exits non-zero having written nothing.
 */
OM_NODISCARD int om_daemon_private(const char *name, const struct om_daemon_file_use *files, size_t n);
