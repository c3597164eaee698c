/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secure hardware for a test program, each private to it: a software TPM
 * 2.0 (swtpm, Debian's swtpm package) listening on a Unix socket in a
 * temporary directory, and a SoftHSM2 token (Debian's softhsm2) in another,
 * reached through SOFTHSM2_CONF. Nothing is shared with another test
 * running at once: no TCP port, no system token directory.
 *
 * A missing swtpm or SoftHSM2 module is a failure with the install line on
 * stderr, never a skip: CI installs both through scripts/deps.sh.
 */
#pragma once

#include <sys/types.h>

struct t_swtpm {
	char dir[128];  /* state, the sockets and the log */
	char tcti[200]; /* the tpm2-tss TCTI string: "swtpm:path=<dir>/sock" */
	pid_t pid;
};

/*
 * Start swtpm (TPM 2.0, started with TPM2_Startup(CLEAR), so a client needs
 * no power-on step). The server dies with the test process
 * (PR_SET_PDEATHSIG). Returns 0, or -1 with the reason on stderr.
 */
int t_swtpm_start(struct t_swtpm *t);

/* Stop the server and remove its directory. */
void t_swtpm_stop(struct t_swtpm *t);

/* Restart a stopped swtpm on the same state (a device's power cycle); 0 or -1. */
int t_swtpm_restart(struct t_swtpm *t);

#define T_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

struct t_softhsm {
	char dir[128];    /* softhsm2.conf and tokens/ */
	char module[128]; /* the PKCS#11 module */
	char label[32];   /* the token's label */
	char pin[24];     /* its user PIN (the lab's is 16 hex digits) */
};

/*
 * Make a fresh directory of tokens with one initialised token (label; user
 * PIN pin, or a random one when NULL; a random SO PIN kept nowhere) and
 * point SOFTHSM2_CONF at it (setenv). The token is made through PKCS#11 in
 * a child process (lab_p11_make_token), as the lab makes its own: no PIN
 * on any command line. Returns 0, or -1 with the reason on stderr.
 */
int t_softhsm_init(struct t_softhsm *h, const char *label, const char *pin);

/* Remove the token directory. */
void t_softhsm_free(struct t_softhsm *h);

/*
 * Security review: a PIN on a command line is readable by every local user
 * (/proc/<pid>/cmdline). t_cmdlines_watch starts a thread that reads the
 * command line of this process and every descendant over and over (every
 * 2 ms; softhsm2-util lived some 100 ms) until t_cmdlines_stop, which
 * returns the number of scans (t_softhsm_init stops it across its fork and
 * starts it again, and fails if any other thread would run across that fork).
 * t_cmdlines_with: how many distinct command
 * lines seen held needle (each printed on stderr). 0 or -1 (start).
 */
int t_cmdlines_watch(void);
unsigned long t_cmdlines_stop(void);
size_t t_cmdlines_seen(void);
size_t t_cmdlines_with(const char *needle);
void t_cmdlines_free(void);
