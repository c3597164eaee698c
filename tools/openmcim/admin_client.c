/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket client (admin_client.h). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_client.h"
#include "admin_socket.h"
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

int admin_client_talk(const char *prog, const char *peer, const char *sock, const char *line, size_t len)
{
	struct sockaddr_un sa;
	int rc = 1, fd = -1;
	char buf[ADMIN_LINE_CAP + 1], what[64], *ans;
	struct om_admin_reader rd = { .buf = buf, .cap = ADMIN_LINE_CAP };
	if (om_admin_client_addr(&sa, sock) < 0) {
		fprintf(stderr, "openmcim %s: socket path too long\n", prog);
		return CLI_EUSAGE;
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(what, sizeof(what), "openmcim %s: connect", prog);
		perror(what);
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (w <= 0) {
			snprintf(what, sizeof(what), "openmcim %s: send", prog);
			perror(what);
			goto out;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	rd.fd = fd;
	while (om_admin_read_line(&rd, &ans)) {
		if (!strncmp(ans, "data ", 5)) {
			puts(ans + 5);
			continue;
		}
		if (!strcmp(ans, "ok"))
			rc = 0;
		else
			fprintf(stderr, "openmcim %s: %s\n", prog, strncmp(ans, "error ", 6) ? ans : ans + 6);
		goto out;
	}
	fprintf(stderr, "openmcim %s: the %s closed the connection without an answer\n", prog, peer);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
