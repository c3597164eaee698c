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
 *   om_daemon_block_signals();          before any thread starts
 *   ... start the services, om_notice("started", ...) ...
 *   om_daemon_wait();                   logs "stopping signal=N"
 *   ... stop the services, om_notice("stopped", ...) ...
 */
#pragma once

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
