/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim pva-admin --socket PATH <command> ...: the client of the PVA's
 * admin socket (docs/pva.md "Administration"). Prints the answer's data
 * lines; exit 0 on "ok", 1 with the server's reason on "error" or when the
 * socket cannot be reached, 2 on usage errors.
 */
#define _DEFAULT_SOURCE /* realpath() */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_client.h"
#include "commands.h"
#include "pva_admin.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim pva-admin --socket PATH [--json] <command> ...\n"
		   "  revoke TRE_ID [reason]      reason: an RFC 5280 CRLReason name (default unspecified)\n"
		   "  add-reference MODEL FIRMWARE COMPONENT SHA256\n"
		   "  add-pcr MODEL FIRMWARE PCR SHA256    reference PCR value of a TPM device (issue 18)\n"
		   "  import DIR                  the factory's pva/ folder (devices.csv, reference-measurements.csv)\n"
		   "  status TRE_ID\n"
		   "  revocation list            the revoked TREs: when, why, their certificates' serials\n"
		   "  reference list             every reference measurement (MODEL/FIRMWARE/COMPONENT and SHA-256)\n");
}

int cmd_pva_admin(int argc, char **argv)
{
	static const struct {
		const char *verb;
		int min, max; /* words after the verb */
	} verbs[] = { { "revoke", 1, 2 }, { "add-reference", 4, 4 }, { "add-pcr", 4, 4 }, { "import", 1, 1 }, { "status", 1, 1 } };
	const char *sock = NULL;
	char line[ADMIN_LINE_CAP], path[PATH_MAX];
	size_t len = 0;
	int i, rc, known = 0;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	i = admin_client_socket_arg(argc, argv, &sock);
	if (!sock || !*sock || argc - i < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	/* the listings: every page of `revocations` / `references` (pva_admin.h) */
	if (argc - i == 2 && !strcmp(argv[i + 1], "list") &&
	    (!strcmp(argv[i], "revocation") || !strcmp(argv[i], "reference")))
		return admin_client_list("pva-admin", sock, !strcmp(argv[i], "revocation") ? "revocations" : "references",
					 PVA_ADMIN_PAGE);
	for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (!strcmp(argv[i], verbs[v].verb))
			known = argc - i - 1 >= verbs[v].min && argc - i - 1 <= verbs[v].max ? 1 : -1;
	if (known <= 0) {
		fprintf(stderr, "openmcim pva-admin: %s '%s'\n", known ? "wrong number of words for" : "unknown command",
			argv[i]);
		usage(stderr);
		return CLI_EUSAGE;
	}
	line[0] = '\0';
	rc = admin_client_append("pva-admin", line, &len, argv[i]);
	for (int j = i + 1; rc == 0 && j < argc; j++) {
		const char *w = argv[j];
		/* the PVA reads the import folder itself, from its own working directory */
		if (!strcmp(argv[i], "import")) {
			if (!realpath(w, path)) {
				fprintf(stderr, "openmcim pva-admin: %s: cannot resolve\n", w);
				return 1;
			}
			w = path;
		}
		rc = admin_client_append("pva-admin", line, &len, w);
	}
	if (rc == 0 && len + 1 < ADMIN_LINE_CAP) {
		line[len++] = '\n';
		line[len] = '\0';
		rc = admin_client_talk("pva-admin", "PVA", sock, line, len);
	}
	return rc;
}
