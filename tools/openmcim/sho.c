/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim sho-admin --socket PATH <command> ...: the SHO registration
 * service, operated through the running daemon's admin socket
 * (sho/sho_admin.h, docs/sho.md "Admin socket"), never through its
 * database. An owner's secret is read from the first line of stdin, never
 * from argv. Prints the answer's data lines; exit 0 on "ok", 1 with the
 * SHO's reason on "error" or when the socket cannot be reached, 2 on usage.
 * Devices are registered by their owners over the owner API (docs/owner.md).
 * `--conf FILE synthetic ...` is Alternative 3 at the operator's desk: it
 * reads the SHO's configuration and speaks to its HSS, not to the SHO's
 * database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/err.h>
#include <openmcim/tre.h>

#include "admin_call.h"
#include "admin_client.h"
#include "commands.h"
#include "conf.h"
#include "log.h"
#include "sho_admin.h"
#include "sho_conf.h"
#include "sho_int.h"
#include "synthetic.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim sho-admin --socket PATH [--json] <command> ...\n"
		   "  owner add OWNER_ID | owner secret OWNER_ID   (the secret: first line of stdin)\n"
		   "  owner list | owner delete OWNER_ID   (delete: an owner without devices)\n"
		   "  device list [--owner ID] | device show TRE_ID   (list = list, show: with our HSS's subscription)\n"
		   "  device suspend TRE_ID | device resume TRE_ID   (its subscription at our HSS)\n"
		   "  device delete TRE_ID   (its subscription and registration; not while it moves)\n"
		   "  status TRE_ID | list [--owner ID]\n"
		   "usage: openmcim sho-admin --conf FILE synthetic accept|activate --tre-id ID\n"
		   "           (needs [synthetic] dir; the Ku off the device's label: first line of stdin;\n"
		   "           spec/000 5.2.4.6.3 steps 2-3)\n");
}

/* The first line of stdin, without its newline. Secret: the caller cleanses it. */
static int read_secret(char *out, size_t cap)
{
	if (!fgets(out, (int)cap, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

/* Alternative 3 for an owner at the operator's desk: the API's accept and activate (sho/synthetic.h). */
static int cmd_synthetic(const struct sho_conf_file *cf, int argc, char **argv)
{
	const char *dir = om_conf_get(cf->conf, "synthetic", "dir");
	const char *tre_id = opt(argc, argv, "--tre-id");
	struct sho_synth *syn = NULL;
	char ku[OM_SYNTH_KU_TEXT_MAX + 8], why[256] = "", imsi[OM_MCIM_IMSI_MAX + 1];
	int activate = argc >= 1 && !strcmp(argv[0], "activate");
	if (argc != 3 || (!activate && strcmp(argv[0], "accept")) || !tre_id) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!dir) {
		fprintf(stderr, "openmcim sho-admin: synthetic: %s has no [synthetic] dir\n", om_conf_path(cf->conf));
		return 1;
	}
	int rc = sho_synth_load(&syn, dir, why, sizeof(why));
	if (rc == 0 && read_secret(ku, sizeof(ku)) < 0)
		rc = om_reason(why, sizeof(why), OM_EAUTH_SYNTH_KU, "no Ku on stdin");
	struct sho_synth_target t = { .hss_socket = cf->cfg.hss_socket, .roaming = cf->cfg.roaming,
				      .ind_bits = cf->cfg.ind_bits };
	if (rc == 0)
		rc = activate ? sho_synth_activate(syn, &t, tre_id, ku, imsi, why, sizeof(why))
			      : sho_synth_accept(syn, &t, tre_id, ku, imsi, why, sizeof(why));
	OPENSSL_cleanse(ku, sizeof(ku));
	sho_synth_free(syn);
	if (rc < 0) {
		fprintf(stderr, "openmcim sho-admin: synthetic %s: %s (%s)\n", argv[0], why, om_errname(rc));
		return 1;
	}
	printf("%s imsi=%s status=%s\n", tre_id, imsi, activate ? "active" : "suspended");
	return 0;
}

/* --conf FILE synthetic ...: the configuration only, never the SHO's database. */
static int conf_command(int argc, char **argv)
{
	struct sho_conf_file cf;
	char why[256] = "";
	memset(&cf, 0, sizeof(cf));
	if (argc < 4 || strcmp(argv[3], "synthetic")) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	om_log_init("sho-admin", OM_LOG_NOTICE);
	if (sho_conf_load(argv[2], &cf, why, sizeof(why)) < 0) {
		fprintf(stderr, "openmcim sho-admin: %s\n", why);
		return 1;
	}
	int rc = cmd_synthetic(&cf, argc - 4, argv + 4);
	sho_conf_free(&cf);
	return rc;
}

/* "VERB ID SECRET\n" (owner-add, owner-secret) with the secret from stdin's first line. 0, 1 or CLI_EUSAGE. */
static int owner_line(const char *verb, const char *id, char *line, size_t cap, size_t *len)
{
	char secret[ADMIN_LINE_CAP];
	int rc = 1;
	if (strcspn(id, " \t\r\n") != strlen(id) || !*id)
		return CLI_EUSAGE;
	if (fgets(secret, (int)sizeof(secret), stdin)) {
		secret[strcspn(secret, "\r\n")] = '\0';
		int n = snprintf(line, cap, "%s %s %s\n", verb, id, secret);
		rc = n > 0 && (size_t)n < cap ? 0 : CLI_EUSAGE;
		*len = rc == 0 ? (size_t)n : 0;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc == 1)
		fprintf(stderr, "openmcim sho-admin: no secret on stdin\n");
	return rc;
}

/* Every page of `list OWNER|* AFTER|-` until one comes back short. */
static int list_all(const char *sock, const char *owner)
{
	char head[ADMIN_LINE_CAP];
	if (owner && (strcspn(owner, " \t\r\n*") != strlen(owner) || !*owner))
		return CLI_EUSAGE;
	snprintf(head, sizeof(head), "list %s", owner ? owner : "*");
	return admin_client_list("sho-admin", sock, head, SHO_ADMIN_PAGE);
}

int cmd_sho_admin(int argc, char **argv)
{
	const char *sock = NULL;
	char line[ADMIN_LINE_CAP];
	size_t len = 0;
	int r = CLI_EUSAGE;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "--conf"))
		return conf_command(argc, argv);
	int i = admin_client_socket_arg(argc, argv, &sock);
	if (!sock || !*sock || argc - i < 1) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	const char *verb = argv[i];
	int n = argc - i;
	line[0] = '\0';
	/* device list is list; the other device and owner commands are "device-VERB" / "owner-VERB" on the wire */
	if (n >= 2 && !strcmp(verb, "device") && !strcmp(argv[i + 1], "list")) {
		verb = "list";
		i++;
		n--;
	}
	if (n == 3 && !strcmp(verb, "owner") && (!strcmp(argv[i + 1], "add") || !strcmp(argv[i + 1], "secret"))) {
		if ((r = owner_line(!strcmp(argv[i + 1], "add") ? "owner-add" : "owner-secret", argv[i + 2], line,
				    sizeof(line), &len)) == 0)
			r = admin_client_talk("sho-admin", "SHO", sock, line, len);
	} else if (n == 2 && !strcmp(verb, "owner") && !strcmp(argv[i + 1], "list")) {
		r = admin_client_list("sho-admin", sock, "owner-list", SHO_ADMIN_PAGE);
	} else if ((n == 2 && !strcmp(verb, "status")) ||
		   (n == 3 && !strcmp(verb, "owner") && !strcmp(argv[i + 1], "delete")) ||
		   (n == 3 && !strcmp(verb, "device") &&
		    (!strcmp(argv[i + 1], "show") || !strcmp(argv[i + 1], "suspend") ||
		     !strcmp(argv[i + 1], "resume") || !strcmp(argv[i + 1], "delete")))) {
		char wire[32];
		snprintf(wire, sizeof(wire), "%s%s%s", verb, n == 3 ? "-" : "", n == 3 ? argv[i + 1] : "");
		r = admin_client_append("sho-admin", line, &len, wire);
		if (r == 0)
			r = admin_client_append("sho-admin", line, &len, argv[i + n - 1]);
		if (r == 0 && len + 1 < sizeof(line)) {
			line[len++] = '\n';
			line[len] = '\0';
			r = admin_client_talk("sho-admin", "SHO", sock, line, len);
		}
	} else if (!strcmp(verb, "list") && (n == 1 || (n == 3 && !strcmp(argv[i + 1], "--owner")))) {
		r = list_all(sock, n == 3 ? argv[i + 2] : NULL);
	}
	if (r == CLI_EUSAGE)
		usage(stderr);
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}
