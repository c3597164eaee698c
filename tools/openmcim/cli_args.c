/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-length hex options for the subcommands; see cli_args.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>

#include "cli_args.h"
#include "commands.h"

static struct cli_opt *find(struct cli_opt *opts, size_t n, const char *arg, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, arg, len))
			return &opts[i];
	return NULL;
}

static int decode(const char *cmd, struct cli_opt *o, char *val)
{
	size_t digits = strlen(val);
	int r = om_hex_decode(o->buf, o->len, val);
	/* a key on the command line also sits in /proc/<pid>/cmdline: wipe it */
	if (o->secret)
		OPENSSL_cleanse(val, digits);
	if (r == OM_ELENGTH) {
		fprintf(stderr, "openmcim %s: %s: expected %zu hex digits, got %zu\n", cmd, o->name,
			2 * o->len, digits);
		return CLI_EUSAGE;
	}
	if (r < 0) {
		fprintf(stderr, "openmcim %s: %s: not hexadecimal\n", cmd, o->name);
		return CLI_EUSAGE;
	}
	return 0;
}

int cli_parse(const char *cmd, int argc, char **argv, struct cli_opt *opts, size_t n)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return CLI_HELP;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *eq = strchr(arg, '='), *val;
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (arg[0] != '-') {
			/* never echo it: a stray value may well be a key */
			fprintf(stderr, "openmcim %s: unexpected value as argument %d (options are --name HEX)\n",
				cmd, i);
			return CLI_EUSAGE;
		}
		struct cli_opt *o = find(opts, n, arg, len);
		if (!o) {
			fprintf(stderr, "openmcim %s: unknown argument '%.*s'\n", cmd, (int)len, arg);
			return CLI_EUSAGE;
		}
		if (o->seen) {
			fprintf(stderr, "openmcim %s: %s given twice\n", cmd, o->name);
			return CLI_EUSAGE;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
			val = argv[++i];
		else {
			fprintf(stderr, "openmcim %s: %s needs a value\n", cmd, o->name);
			return CLI_EUSAGE;
		}
		int r = decode(cmd, o, val);
		if (r)
			return r;
		o->seen = 1;
	}
	return 0;
}

int cli_require(const char *cmd, const struct cli_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!opts[i].seen) {
			fprintf(stderr, "openmcim %s: missing %s\n", cmd, opts[i].name);
			return CLI_EUSAGE;
		}
	return 0;
}

int cli_subscriber(const char *cmd, const struct cli_opt *k, const struct cli_opt *op,
		   const struct cli_opt *opc_opt, struct om_milenage *m, uint8_t opc[static OM_OPC_LEN])
{
	if (cli_require(cmd, k, 1))
		return CLI_EUSAGE;
	if (op->seen && opc_opt->seen) {
		fprintf(stderr, "openmcim %s: %s and %s are mutually exclusive\n", cmd, op->name,
			opc_opt->name);
		return CLI_EUSAGE;
	}
	if (!op->seen && !opc_opt->seen) {
		fprintf(stderr, "openmcim %s: missing %s or %s\n", cmd, op->name, opc_opt->name);
		return CLI_EUSAGE;
	}
	int r = 0;
	if (op->seen)
		r = om_milenage_opc(opc, k->buf, op->buf);
	else
		memcpy(opc, opc_opt->buf, OM_OPC_LEN);
	if (r == 0)
		r = om_milenage_init(m, k->buf, opc);
	if (r < 0) {
		OPENSSL_cleanse(opc, OM_OPC_LEN);
		fprintf(stderr, "openmcim %s: MILENAGE setup failed: %s\n", cmd, om_strerror(r));
		return 1;
	}
	return 0;
}

int cli_subscriber_args(const char *cmd, int argc, char **argv, struct cli_opt *opts, size_t n, void (*usage)(FILE *),
			struct om_milenage *m, uint8_t opc[static OM_OPC_LEN], int *rc)
{
	*rc = cli_parse(cmd, argc, argv, opts, n);
	if (*rc == CLI_HELP) {
		usage(stdout);
		*rc = 0;
		return 0;
	}
	if (*rc || (*rc = cli_require(cmd, opts, 1)) != 0 || (*rc = cli_require(cmd, opts + 3, n - 3)) != 0)
		return 0;
	if ((*rc = cli_subscriber(cmd, &opts[0], &opts[1], &opts[2], m, opc)) != 0)
		return 0;
	return 1;
}

void cli_cleanse(const struct cli_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].secret)
			OPENSSL_cleanse(opts[i].buf, opts[i].len);
}

int cli_flush(const char *cmd)
{
	char what[64];
	if (fflush(stdout) == 0)
		return 0;
	snprintf(what, sizeof(what), "openmcim %s: stdout", cmd);
	perror(what);
	return 1;
}

void cli_print_hex(const char *name, const uint8_t *b, size_t len)
{
	char hex[2 * 32 + 1]; /* every field printed is at most 16 bytes */
	if (len > 32)
		len = 32;
	om_hex_encode(hex, b, len);
	printf("%s=%s\n", name, hex);
	OPENSSL_cleanse(hex, sizeof(hex));
}
