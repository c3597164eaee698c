/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim hss-admin --socket PATH <command> ...: the client of the HSS's
 * provisioning socket (docs/hss.md "Provisioning"). Prints the answer's
 * data lines; exit 0 on "ok", 1 with the server's reason on "error" or when
 * the socket cannot be reached, 2 on usage errors. K, OP and OPc words are
 * wiped from argv once copied and never printed.
 */
#define _DEFAULT_SOURCE /* realpath() */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin_client.h"
#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim hss-admin --socket PATH [--json] <command> ...\n"
		   "  import FILE apn=A[,B] roaming=any|PLMN[,PLMN] [ambr=UL/DL] [status=S] [ind_bits=N]\n"
		   "  add IMSI k=HEX (opc=HEX|op=HEX) amf=HEX apn=... roaming=... [ambr=] [status=] [ind_bits=]\n"
		   "  change IMSI [apn=...] [ambr=UL/DL] [roaming=...] [status=active|suspended]\n"
		   "  suspend IMSI | resume IMSI | delete IMSI | show IMSI\n"
		   "  list [after=IMSI]   (1000 at a time; a full page ends with 'next after=IMSI')\n"
		   "  status   (clone and rollback events, flagged subscribers)\n");
}

static int secret_word(const char *w)
{
	return !strncmp(w, "k=", 2) || !strncmp(w, "op=", 3) || !strncmp(w, "opc=", 4);
}

int cmd_hss_admin(int argc, char **argv)
{
	static const char *const verbs[] = { "import", "add", "change", "suspend", "resume", "delete", "show", "status", "list" };
	const char *sock = NULL;
	char line[ADMIN_LINE_CAP];
	char path[PATH_MAX];
	size_t len = 0;
	int i, rc;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	i = admin_client_socket_arg(argc, argv, &sock);
	if (!sock || !*sock || argc - i < 1 || (argc - i < 2 && strcmp(argv[i], "status") && strcmp(argv[i], "list"))) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	int known = 0;
	for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		known |= !strcmp(argv[i], verbs[v]);
	if (!known) {
		fprintf(stderr, "openmcim hss-admin: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return CLI_EUSAGE;
	}
	line[0] = '\0';
	rc = admin_client_append("hss-admin", line, &len, argv[i]);
	/* the HSS reads the import file itself, from its own working directory */
	if (rc == 0 && !strcmp(argv[i], "import")) {
		if (!realpath(argv[i + 1], path)) {
			fprintf(stderr, "openmcim hss-admin: %s: cannot resolve\n", argv[i + 1]);
			return 1;
		}
		rc = admin_client_append("hss-admin", line, &len, path);
	} else if (rc == 0 && i + 1 < argc) {
		rc = admin_client_append("hss-admin", line, &len, argv[i + 1]);
	}
	for (int j = i + 2; rc == 0 && j < argc; j++) {
		rc = admin_client_append("hss-admin", line, &len, argv[j]);
		if (secret_word(argv[j]))
			OPENSSL_cleanse(argv[j], strlen(argv[j]));
	}
	if (rc == 0 && len + 1 < ADMIN_LINE_CAP) {
		line[len++] = '\n';
		line[len] = '\0';
		rc = admin_client_talk("hss-admin", "HSS", sock, line, len);
	}
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}
