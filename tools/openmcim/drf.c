/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim drf-admin --socket PATH [--json] <command> ...: the DRF's register,
 * operated through the running DRF's admin socket (drf/drf_admin.h,
 * docs/drf.md "drf-admin"), never through its database. Certificates named
 * on the command line are read here and sent in base64. Prints the answer's
 * data lines; exit 0 on "ok", 1 with the DRF's reason on "error" or when
 * the socket cannot be reached, 2 on usage. The transfer code is printed
 * once, on stdout, and never stored or logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include <openmcim/isotime.h>
#include <openmcim/pki.h>

#include "admin_call.h"
#include "admin_client.h"
#include "commands.h"
#include "drf_admin.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim drf-admin --socket PATH [--json] <command> ...\n"
		   "  device add TRE_ID IMSI ENC_CERT.pem OWNER [SEQUENCE [SIGN_CERT.pem]]\n"		   "  device list | device show TRE_ID | device delete TRE_ID   (delete: not while it moves)\n"
		   "  device owner TRE_ID OWNER   (a resale: the new owner; the device's unused codes revoked)\n"
		   "  lock TRE_ID UNTIL   (ISO 8601: 2027-01-01, 2027-01-01T00:00:00Z; or epoch seconds; 0 lifts the lock)\n"
		   "  transfer-code TRE_ID [VALID_SECONDS]   (prints the code once)\n"
		   "  operator add SHO_ID SHO_SIGNING_CERT.pem | operator change SHO_ID SHO_SIGNING_CERT.pem   (its key rotated)\n"
		   "  operator list | operator delete SHO_ID   (delete: one that sent no handover the register keeps)\n"
		   "  status TRE_ID\n"
		   "  history TRE_ID                         (one line per stay with us)\n"
		   "  pending\n"
		   "  removals\n");
}

/* The certificate at pem_path as DER in base64 appended to line. 0, 1 (unreadable) or CLI_EUSAGE. */
static int append_cert(char *line, size_t *len, const char *pem_path)
{
	X509 *c = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char b64[ADMIN_LINE_CAP];
	int r = om_cert_load(&c, pem_path);
	if (r == 0)
		r = om_cert_encode(c, OM_ENC_DER, &der, &der_len);
	X509_free(c);
	if (r == 0)
		r = om_admin_b64_put(b64, sizeof(b64), der, der_len);
	om_pki_free(der, der_len);
	if (r < 0) {
		fprintf(stderr, "openmcim drf-admin: %s: %s\n", pem_path, om_strerror(r));
		return 1;
	}
	return admin_client_append("drf-admin", line, len, b64);
}

/* The wire command for argv (docs/drf.md "Admin socket") into line. 0, 1 or CLI_EUSAGE. */
static int wire(int argc, char **argv, char *line, size_t *len)
{
	char now[24];
	int r = 0;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	if (argc >= 6 && argc <= 8 && !strcmp(argv[0], "device") && !strcmp(argv[1], "add")) {
		/* device-add TRE_ID IMSI SINCE OWNER SEQUENCE ENC [SIGN]: since is now */
		const char *w[] = { "device-add", argv[2], argv[3], now, argv[5], argc >= 7 ? argv[6] : "0" };
		for (size_t i = 0; r == 0 && i < sizeof(w) / sizeof(w[0]); i++)
			r = admin_client_append("drf-admin", line, len, w[i]);
		if (r == 0)
			r = append_cert(line, len, argv[4]);
		if (r == 0 && argc == 8)
			r = append_cert(line, len, argv[7]);
		return r;
	}
	if (argc == 4 && !strcmp(argv[0], "operator") && (!strcmp(argv[1], "add") || !strcmp(argv[1], "change"))) {
		r = admin_client_append("drf-admin", line, len, !strcmp(argv[1], "add") ? "operator-add" : "operator-change");
		if (r == 0)
			r = admin_client_append("drf-admin", line, len, argv[2]);
		return r ? r : append_cert(line, len, argv[3]);
	}
	if (argc == 3 && !strcmp(argv[0], "lock")) {
		/* the contract lock's end as the operator writes it; the DRF takes epoch seconds */
		char until[24];
		int64_t t;
		if (om_isotime_parse(argv[2], &t) < 0) {
			fprintf(stderr, "openmcim drf-admin: '%s' is not a time (2027-01-01, 2027-01-01T00:00:00Z)\n",
				argv[2]);
			return CLI_EUSAGE;
		}
		snprintf(until, sizeof(until), "%lld", (long long)t);
		const char *w[] = { "lock", argv[1], until };
		for (size_t k = 0; r == 0 && k < 3; k++)
			r = admin_client_append("drf-admin", line, len, w[k]);
		return r;
	}
	if (argc == 4 && !strcmp(argv[0], "device") && !strcmp(argv[1], "owner")) {
		/* a resale: the register names the new owner, the device's unused codes are revoked */
		const char *w[] = { "owner", argv[2], argv[3] };
		for (size_t k = 0; r == 0 && k < 3; k++)
			r = admin_client_append("drf-admin", line, len, w[k]);
		return r;
	}
	if (argc == 3 && !strcmp(argv[0], "operator") && !strcmp(argv[1], "delete")) {
		r = admin_client_append("drf-admin", line, len, "operator-delete");
		return r ? r : admin_client_append("drf-admin", line, len, argv[2]);
	}
	if (argc == 3 && !strcmp(argv[0], "device") && (!strcmp(argv[1], "show") || !strcmp(argv[1], "delete"))) {
		/* show is status; delete a decommissioned device (the register refuses one still moving) */
		r = admin_client_append("drf-admin", line, len, !strcmp(argv[1], "show") ? "status" : "device-delete");
		return r ? r : admin_client_append("drf-admin", line, len, argv[2]);
	}
	if (((argc == 2 || argc == 3) && !strcmp(argv[0], "transfer-code")) ||
	    (argc == 2 && !strcmp(argv[0], "status")) || (argc == 2 && !strcmp(argv[0], "history")) ||
	    (argc == 1 && !strcmp(argv[0], "pending")) ||
	    (argc == 1 && !strcmp(argv[0], "removals"))) {
		for (int i = 0; r == 0 && i < argc; i++)
			r = admin_client_append("drf-admin", line, len, argv[i]);
		return r;
	}
	return CLI_EUSAGE;
}

int cmd_drf_admin(int argc, char **argv)
{
	const char *sock = NULL;
	char line[ADMIN_LINE_CAP];
	size_t len = 0;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	int i = admin_client_socket_arg(argc, argv, &sock);
	if (!sock || !*sock || argc - i < 1) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	line[0] = '\0';
	if (argc - i == 2 && !strcmp(argv[i], "device") && !strcmp(argv[i + 1], "list"))
		return admin_client_list("drf-admin", sock, "device-list", DRF_ADMIN_PAGE);
	if (argc - i == 2 && !strcmp(argv[i], "operator") && !strcmp(argv[i + 1], "list"))
		return admin_client_list("drf-admin", sock, "operator-list", DRF_ADMIN_PAGE);
	int r = wire(argc - i, argv + i, line, &len);
	if (r == CLI_EUSAGE)
		usage(stderr);
	if (r == 0 && len + 1 < ADMIN_LINE_CAP) {
		line[len++] = '\n';
		line[len] = '\0';
		r = admin_client_talk("drf-admin", "DRF", sock, line, len);
	}
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}
