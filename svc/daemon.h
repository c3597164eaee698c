/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every openmcim daemon's main() shares: the command line
 * (-c FILE | --config FILE, --check-config, --log-file FILE, --help,
 * --version), the signal mask, readiness and reload for systemd, and running
 * until SIGTERM or SIGINT. A daemon's main() reads:
 *
 *   int rc = om_daemon_args(&d, argc, argv, &conf_path);
 *   if (rc >= 0)
 *           return rc;
 *   ... load the configuration, om_log_init() ...
 *   om_daemon_private("hss", files, n)  umask 077, refuse files open to others
 *   if (om_daemon_checked(conf_path))   --check-config: "FILE: ok", exit 0
 *           ...
 *   om_daemon_block_signals();          before any thread starts
 *   ... start the services, om_notice("started", ...) ...
 *   om_daemon_reloadable(&reload);      what SIGHUP re-reads (optional)
 *   om_daemon_wait();                   READY=1; SIGHUP reloads; logs "stopping signal=N"
 *   ... stop the services, om_notice("stopped", ...) ...
 *
 * docs/operate.md describes the signals as an operator sees them.
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
 * error (no -c, an unknown option or a stray word), 1 when the --log-file
 * cannot be opened (the message names the file and the system's reason).
 * --log-file FILE sends stderr, and so every log line, to FILE (appended);
 * SIGHUP reopens it, for logrotate.
 */
int om_daemon_args(const struct om_daemon *d, int argc, char **argv, const char **conf_path);

/*
 * Call once the configuration, its values and its files have passed every
 * check the daemon makes before it opens anything. With --check-config it
 * prints "openmcim-<name>: <conf_path>: ok" on stdout and returns 1: the
 * caller exits 0 having created nothing. Otherwise returns 0.
 */
int om_daemon_checked(const char *conf_path);

/*
 * Block SIGTERM, SIGINT, SIGHUP and SIGPIPE in the calling thread. Call it
 * before starting any thread: every thread inherits the mask, so only
 * om_daemon_wait() sees the signals, a peer that goes away never kills the
 * process, and neither does a SIGHUP (whose default action would end it
 * before its clean shutdown, e.g. the HSS's SQN write, issue 15).
 */
void om_daemon_block_signals(void);

/*
 * Let SIGHUP re-read conf_path (the file the daemon started with; keep the
 * pointer valid). Each SIGHUP first runs this same program with
 * --check-config on the file, so a new configuration passes or fails on
 * exactly the checks a start makes; one that fails is refused
 * ("reload-refused reason=..."), and the daemon runs on as before. Of one
 * that passes, the log level ([log_section] log_level) takes effect at
 * once; every other key that differs from the file as it was at this call
 * is named in the "reloaded" line as restart_needed (listeners, databases,
 * keys and certificates are opened once, at start). Without this call
 * SIGHUP only reopens the --log-file.
 */
void om_daemon_reloadable(const char *conf_path, const char *log_section);

/*
 * Tell systemd the daemon is ready (sd_notify READY=1; nothing outside
 * systemd), then wait for SIGTERM or SIGINT, handling each SIGHUP on the
 * way (the log file reopened, the configuration re-read as
 * om_daemon_reloadable() says). Logs "stopping signal=N", tells systemd
 * STOPPING=1 and returns N.
 */
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
