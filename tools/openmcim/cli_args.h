/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Argument parsing shared by the subcommands: every option is `--name HEX`
 * (or `--name=HEX`) of a fixed byte length, given at most once. Errors are
 * one line on stderr naming the argument; the caller exits CLI_EUSAGE.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <openmcim/milenage.h>

struct cli_opt {
	const char *name; /* with the dashes: "--k" */
	size_t len;       /* exact length in bytes of the decoded value */
	int secret;       /* cleanse the command-line copy once decoded */
	uint8_t *buf;     /* len bytes, filled when given */
	int seen;
};

/* cli_parse() result when --help or -h was given: print usage, exit 0. */
#define CLI_HELP 1

/*
 * Parse argv[1..argc-1] (argv[0] is the subcommand's name) into opts.
 * Returns 0, CLI_HELP, or CLI_EUSAGE after printing why on stderr (unknown,
 * duplicate, valueless or malformed argument). The text of every secret
 * option is overwritten in argv once read.
 */
int cli_parse(const char *cmd, int argc, char **argv, struct cli_opt *opts, size_t n);

/* CLI_EUSAGE with a message unless every one of opts[0..n-1] was given. */
int cli_require(const char *cmd, const struct cli_opt *opts, size_t n);

/*
 * The subscriber options shared by milenage and auts: --k with exactly one
 * of --op or --opc. Fills opc (derived from OP when --op was given) and
 * initialises m; on success the caller must om_milenage_clear(m).
 * Returns 0, CLI_EUSAGE (message printed) or 1 when MILENAGE setup fails.
 */
int cli_subscriber(const char *cmd, const struct cli_opt *k, const struct cli_opt *op,
		   const struct cli_opt *opc_opt, struct om_milenage *m, uint8_t opc[static OM_OPC_LEN]);

/* The usage lines of the options cli_subscriber() reads. */
#define CLI_SUBSCRIBER_USAGE                                              \
	"  --k     subscriber key K, 16 bytes\n"                             \
	"  --op    operator variant OP, 16 bytes (OPc is derived), or\n"     \
	"  --opc   OPc, 16 bytes\n"

/*
 * The whole command line of a subcommand on one subscriber: opts[0..2] are
 * --k, --op and --opc, every one of opts[3..n-1] is required. Returns 1 with
 * m and opc set up (the caller must om_milenage_clear(m)), else 0 with *rc
 * the exit status: 0 after usage(stdout) for --help, or what cli_parse(),
 * cli_require() or cli_subscriber() returned (message printed).
 */
int cli_subscriber_args(const char *cmd, int argc, char **argv, struct cli_opt *opts, size_t n, void (*usage)(FILE *),
			struct om_milenage *m, uint8_t opc[static OM_OPC_LEN], int *rc);

/* Cleanse the buffer of every secret option. */
void cli_cleanse(const struct cli_opt *opts, size_t n);

/* Flush stdout: 0, or 1 after a message naming cmd when it fails. */
int cli_flush(const char *cmd);

/* Print `name=hex` on stdout. */
void cli_print_hex(const char *name, const uint8_t *b, size_t len);
