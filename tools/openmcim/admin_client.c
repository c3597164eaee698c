/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket client (admin_client.h). */
#include <stdio.h>
#include <string.h>

#include <openmcim/err.h>

#include "admin_call.h"
#include "admin_client.h"
#include "commands.h"

int admin_client_socket_arg(int argc, char **argv, const char **sock)
{
	*sock = NULL;
	if (argc >= 3 && !strcmp(argv[1], "--socket")) {
		*sock = argv[2];
		return 3;
	}
	if (argc >= 2 && !strncmp(argv[1], "--socket=", 9)) {
		*sock = argv[1] + 9;
		return 2;
	}
	return 0;
}

int admin_client_append(const char *prog, char *line, size_t *len, const char *w)
{
	size_t n = strlen(w);
	if (strpbrk(w, " \t\r\n") || n == 0) {
		fprintf(stderr, "openmcim %s: arguments may not be empty or contain white space\n", prog);
		return CLI_EUSAGE;
	}
	if (*len + n + 2 > ADMIN_LINE_CAP) {
		fprintf(stderr, "openmcim %s: command longer than %d bytes\n", prog, ADMIN_LINE_CAP);
		return CLI_EUSAGE;
	}
	if (*len)
		line[(*len)++] = ' ';
	memcpy(line + *len, w, n + 1);
	*len += n;
	return 0;
}

static void print_data(void *ctx, const char *text)
{
	(void)ctx;
	puts(text);
}

int admin_client_talk(const char *prog, const char *peer, const char *sock, const char *line, size_t len)
{
	struct om_admin_result res;
	(void)len;
	int rc = om_admin_call(sock, line, ADMIN_CALL_TIMEOUT_MS, print_data, NULL, &res);
	if (rc == OM_EINVAL) {
		fprintf(stderr, "openmcim %s: socket path too long\n", prog);
		return CLI_EUSAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "openmcim %s: the %s at %s: %s (%s)\n", prog, peer, sock, om_strerror(rc), om_errname(rc));
		return 1;
	}
	if (res.code == 0)
		return 0;
	fprintf(stderr, "openmcim %s: %s (%s)\n", prog, res.reason, res.name);
	return 1;
}
