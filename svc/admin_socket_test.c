/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared admin socket without a daemon: the line protocol ("data"
 * lines, "ok", "error <reason>", the code's message when no reason), lines
 * split across writes and several per write, the line limit, and the
 * socket's start-up refusals. The peer-uid refusal runs in the HSS and PVA
 * tests (setuid needs root).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/err.h>

#include "admin_socket.h"
#include "check.h"
#include "daemon_util.h"

static char dir[] = "/tmp/om_admin_socket_test_XXXXXX";
static int calls;

/* "echo W..." emits each word; "fail" fails with a reason; "bare" without one. */
static int exec(void *arg, char *line, om_admin_emit emit, void *emit_ctx, char *why, size_t why_len)
{
	calls++;
	CHECK(arg == &calls);
	if (!strncmp(line, "echo", 4)) {
		char *save = NULL;
		for (char *w = strtok_r(line + 4, " ", &save); w; w = strtok_r(NULL, " ", &save))
			emit(emit_ctx, w);
		return 0;
	}
	if (!strcmp(line, "fail")) {
		snprintf(why, why_len, "no such thing");
		return OM_EINVAL;
	}
	return OM_EINVAL;
}

static const struct om_admin_socket_opts opts = { .what = "test", .log_prefix = "test", .exec = exec, .arg = &calls };

/* Write the pieces to one end of a socketpair, serve the other, return all answered. */
static void converse(const char *const *pieces, char *out, size_t cap)
{
	int sv[2];
	size_t len = 0;
	out[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		CHECK(0);
		return;
	}
	for (int i = 0; pieces[i]; i++)
		CHECK(write(sv[0], pieces[i], strlen(pieces[i])) == (ssize_t)strlen(pieces[i]));
	shutdown(sv[0], SHUT_WR);
	om_admin_socket_serve_client(&opts, sv[1]);
	close(sv[1]);
	ssize_t r;
	while (len + 1 < cap && (r = read(sv[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(sv[0]);
}

static void answers_each_line_in_order(void)
{
	char out[1024], want[256];
	const char *const pieces[] = { "echo a b\nfa", "il\nbare\n", "echo c\n", "echo unterminated", NULL };
	calls = 0;
	converse(pieces, out, sizeof(out));
	snprintf(want, sizeof(want), "data a\ndata b\nok\nerror no such thing\nerror %s\ndata c\nok\n",
		 om_strerror(OM_EINVAL));
	CHECK_MSG(!strcmp(out, want), "got:\n%s", out);
	CHECK_INT(calls, 4); /* the line without a newline is never run */
}

static void refuses_a_line_over_the_limit(void)
{
	char out[2 * OM_ADMIN_LINE_MAX];
	char *line = malloc(OM_ADMIN_LINE_MAX + 2);
	if (!line) {
		CHECK(0);
		return;
	}
	/* exactly the limit with its newline is heard */
	memset(line, 'x', OM_ADMIN_LINE_MAX);
	memcpy(line, "echo ", 5);
	line[OM_ADMIN_LINE_MAX - 1] = '\n';
	line[OM_ADMIN_LINE_MAX] = '\0';
	const char *const fits[] = { line, NULL };
	calls = 0;
	converse(fits, out, sizeof(out));
	CHECK_INT(calls, 1);
	CHECK_MSG(strlen(out) > 3 && !strcmp(out + strlen(out) - 3, "ok\n"), "fits: %.60s", out);
	/* one more byte before the newline is not, and ends the connection */
	memset(line, 'x', OM_ADMIN_LINE_MAX + 1);
	line[OM_ADMIN_LINE_MAX] = '\n';
	line[OM_ADMIN_LINE_MAX + 1] = '\0';
	const char *const over[] = { line, "echo after\n", NULL };
	calls = 0;
	converse(over, out, sizeof(out));
	CHECK_INT(calls, 0);
	CHECK_MSG(!strcmp(out, "error line too long\n"), "over: %s", out);
	free(line);
}

static void start_refusals_and_socket_modes(void)
{
	struct om_admin_socket *s = NULL;
	char path[420], err[512] = "", open_dir[300];
	struct stat st;
	CHECK_INT(om_admin_socket_start(&s, &opts, NULL, err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "test socket path missing"), "err: %s", err);
	CHECK_INT(om_admin_socket_start(&s, &opts, "/x.sock", err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "not in a directory of its own"), "err: %s", err);
	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	CHECK_INT(mkdir(open_dir, 0700), 0);
	CHECK_INT(chmod(open_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/a.sock", open_dir);
	CHECK_INT(om_admin_socket_start(&s, &opts, path, err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "0700"), "err: %s", err);
	snprintf(path, sizeof(path), "%s/run/a.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	om_admin_socket_stop(s);
	CHECK(access(path, F_OK) != 0); /* removed on stop */
	CHECK(om_admin_socket_peer_allowed(0, 1000) && om_admin_socket_peer_allowed(1000, 1000));
	CHECK(!om_admin_socket_peer_allowed(65534, 1000) && !om_admin_socket_peer_allowed(65534, 0));
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	answers_each_line_in_order();
	refuses_a_line_over_the_limit();
	start_refusals_and_socket_modes();
	du_rm_rf(dir);
	return check_done();
}
