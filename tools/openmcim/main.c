/* SPDX-License-Identifier: Apache-2.0 */
/* openmcim: the command-line front end. One file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "milenage", cmd_milenage, "compute MILENAGE f1-f5* and AUTN (TS 35.206)" },
	{ "auts", cmd_auts, "recover SQN_MS from an AUTS and verify MAC-S (TS 33.102 6.3.3)" },
	{ "factory", cmd_factory, "personalise a production run of TREs (TR 33.812 B.2.2.1)" },
	{ "hss-admin", cmd_hss_admin, "provision subscribers through the HSS's local socket" },
	{ "pva-admin", cmd_pva_admin, "revoke TREs, add reference values, import through the PVA's socket" },
	{ "drf-admin", cmd_drf_admin, "the DRF's register: devices, locks, transfer codes, operators" },
	{ "sho-admin", cmd_sho_admin, "SHO registration: owners, devices and delivery notes (B.2.3.2)" },
	{ "pki", cmd_pki, "an operator's CAs and certificates in the daemons' profiles (docs/pki.md)" },
	{ "lab", cmd_lab, "the whole system on loopback: scenario, report, crash test (docs/lab.md)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim <command> [options]\n"
		   "       openmcim <command> --help\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("openmcim " OPENMCIM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "openmcim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EUSAGE;
}
