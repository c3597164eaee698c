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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "commands.h"

#define LINE_CAP 4096

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim pva-admin --socket PATH <command> ...\n"
		   "  revoke TRE_ID [reason]      reason: an RFC 5280 CRLReason name (default unspecified)\n"
		   "  add-reference MODEL FIRMWARE COMPONENT SHA256\n"
		   "  import DIR                  the factory's pva/ folder (devices.csv, reference-measurements.csv)\n"
		   "  status TRE_ID\n");
}

static int append(char *line, size_t *len, const char *w)
{
	size_t n = strlen(w);
	if (strpbrk(w, " \t\r\n") || n == 0) {
		fprintf(stderr, "openmcim pva-admin: arguments may not be empty or contain white space\n");
		return CLI_EUSAGE;
	}
	if (*len + n + 2 > LINE_CAP) {
		fprintf(stderr, "openmcim pva-admin: command longer than %d bytes\n", LINE_CAP);
		return CLI_EUSAGE;
	}
	if (*len)
		line[(*len)++] = ' ';
	memcpy(line + *len, w, n + 1);
	*len += n;
	return 0;
}

/* Send line, print data lines, and map the final line to the exit status. */
static int talk(const char *sock, const char *line, size_t len)
{
	struct sockaddr_un sa;
	int rc = 1, fd = -1;
	char buf[LINE_CAP + 1];
	size_t have = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "openmcim pva-admin: socket path too long\n");
		return CLI_EUSAGE;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("openmcim pva-admin: connect");
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (w <= 0) {
			perror("openmcim pva-admin: send");
			goto out;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			ssize_t r = have < LINE_CAP ? recv(fd, buf + have, LINE_CAP - have, 0) : -1;
			if (r <= 0) {
				fprintf(stderr, "openmcim pva-admin: the PVA closed the connection without an answer\n");
				goto out;
			}
			have += (size_t)r;
			continue;
		}
		*nl = '\0';
		if (!strncmp(buf, "data ", 5)) {
			puts(buf + 5);
		} else if (!strcmp(buf, "ok")) {
			rc = 0;
			goto out;
		} else {
			fprintf(stderr, "openmcim pva-admin: %s\n", strncmp(buf, "error ", 6) ? buf : buf + 6);
			goto out;
		}
		size_t used = (size_t)(nl - buf) + 1;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int cmd_pva_admin(int argc, char **argv)
{
	static const struct {
		const char *verb;
		int min, max; /* words after the verb */
	} verbs[] = { { "revoke", 1, 2 }, { "add-reference", 4, 4 }, { "import", 1, 1 }, { "status", 1, 1 } };
	const char *sock = NULL;
	char line[LINE_CAP], path[PATH_MAX];
	size_t len = 0;
	int i = 1, rc, known = 0;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "--socket")) {
		sock = argv[2];
		i = 3;
	} else if (argc >= 2 && !strncmp(argv[1], "--socket=", 9)) {
		sock = argv[1] + 9;
		i = 2;
	}
	if (!sock || !*sock || argc - i < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
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
	rc = append(line, &len, argv[i]);
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
		rc = append(line, &len, w);
	}
	if (rc == 0 && len + 1 < LINE_CAP) {
		line[len++] = '\n';
		rc = talk(sock, line, len);
	}
	return rc;
}
