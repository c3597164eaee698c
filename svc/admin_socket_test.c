/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared admin socket without a daemon: the line protocol ("data"
 * lines, "ok", "error <code name> <reason>", the code's message when no
 * reason), lines split across writes and several per write, the line limit,
 * and the socket's start-up refusals. The client (admin_call.h): answers
 * read by their code, prose without one refused, and a deadline on a
 * daemon that never answers. The peer-uid refusal runs in the HSS and PVA
 * tests (setuid needs root).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/err.h>

#include "admin_call.h"
#include "admin_socket.h"
#include "check.h"
#include "daemon_util.h"
#include "svc_err.h"

static char dir[] = "/tmp/om_admin_socket_test_XXXXXX";
static int calls;

/* "echo W..." emits each word; "many N" N long lines; "fail" fails with a reason; "bare" without one. */
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
	if (!strncmp(line, "many ", 5)) { /* N lines of 999 bytes */
		char l[1000];
		memset(l, 'm', sizeof(l) - 1);
		l[sizeof(l) - 1] = '\0';
		for (int i = atoi(line + 5); i > 0; i--)
			emit(emit_ctx, l);
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
	snprintf(want, sizeof(want), "data a\ndata b\nok\nerror OM_EINVAL no such thing\nerror OM_EINVAL %s\ndata c\nok\n",
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
	CHECK_MSG(!strcmp(out, "error OM_ELENGTH line too long\n"), "over: %s", out);
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

/* ---- the client side (admin_call.h) ---------------------------------------- */

static void parses_final_lines_by_their_code(void)
{
	struct om_admin_result res;
	const char *data = NULL;
	char l1[] = "data x=1 y", l2[] = "ok", l3[] = "error OM_EHSS_NOT_FOUND no subscriber 001010000000001",
	     l4[] = "error OM_EFROM_THE_FUTURE what", l5[] = "error no such subscriber", l6[] = "okay",
	     l7[] = "error OM_ETIMEOUT";
	CHECK_INT(om_admin_parse_line(l1, &data, &res), OM_ADMIN_LINE_DATA);
	CHECK(data && !strcmp(data, "x=1 y"));
	CHECK_INT(om_admin_parse_line(l2, &data, &res), OM_ADMIN_LINE_OK);
	CHECK_INT(res.code, 0);
	CHECK_INT(om_admin_parse_line(l3, &data, &res), OM_ADMIN_LINE_ERROR);
	CHECK_INT(res.code, OM_EHSS_NOT_FOUND);
	CHECK(!strcmp(res.name, "OM_EHSS_NOT_FOUND") && !strcmp(res.reason, "no subscriber 001010000000001"));
	/* a code this build does not know is still an error, its name kept */
	CHECK_INT(om_admin_parse_line(l4, &data, &res), OM_ADMIN_LINE_ERROR);
	CHECK_INT(res.code, OM_EPROTO);
	CHECK(!strcmp(res.name, "OM_EFROM_THE_FUTURE"));
	/* prose without a code (the old answer) and anything else is not the protocol */
	CHECK_INT(om_admin_parse_line(l5, &data, &res), OM_EPROTO);
	CHECK_INT(om_admin_parse_line(l6, &data, &res), OM_EPROTO);
	CHECK_INT(om_admin_parse_line(l7, &data, &res), OM_ADMIN_LINE_ERROR);
	CHECK_INT(res.code, OM_ETIMEOUT);
	CHECK_INT(om_errcode("OM_EHSS_NOT_FOUND"), OM_EHSS_NOT_FOUND);
	CHECK_INT(om_errcode(om_errname(OM_EDRF_HSS)), OM_EDRF_HSS);
	CHECK_INT(om_errcode("OM_NOPE"), 0);
}

static void collect(void *ctx, const char *text)
{
	strncat(ctx, text, 63);
	strcat(ctx, ";");
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A listener that accepts (or not) and never answers. */
static int mute_listener(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	CHECK(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) < sizeof(sa.sun_path) ? strlen(path) + 1 : 0);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0);
	return fd;
}

static void calls_have_a_deadline_and_a_code(void)
{
	struct om_admin_socket *s = NULL;
	struct om_admin_result res;
	struct timespec t0;
	char path[420], mute[420], err[256] = "", got[256] = "";
	snprintf(path, sizeof(path), "%s/call/a.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(om_admin_call(path, "echo p q\n", 2000, collect, got, &res), 0);
	CHECK_INT(res.code, 0);
	CHECK_MSG(!strcmp(got, "p;q;"), "data: %s", got);
	CHECK_INT(om_admin_call(path, "fail\n", 2000, NULL, NULL, &res), 0);
	CHECK_INT(res.code, OM_EINVAL);
	CHECK(!strcmp(res.reason, "no such thing"));
	om_admin_socket_stop(s);
	/* no socket: at once */
	CHECK_INT(om_admin_call(path, "echo\n", 2000, NULL, NULL, &res), OM_EIO);
	/* a daemon that never answers (stopped, hung): the deadline, not for ever */
	snprintf(mute, sizeof(mute), "%s/call/mute.sock", dir);
	int lfd = mute_listener(mute);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(om_admin_call(mute, "echo\n", 300, NULL, NULL, &res), OM_ETIMEOUT);
	long long ms = ms_since(&t0);
	CHECK_MSG(ms >= 250 && ms < 2000, "took %lld ms", ms);
	/* a connection closed without an answer, and a line that is not the protocol */
	struct om_admin_conn c;
	close(accept(lfd, NULL, NULL)); /* the timed-out call's, closed by now */
	CHECK_INT(om_admin_connect(&c, mute, 1000), 0);
	int afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0 && write(afd, "data a\nerror no such subscriber\n", 33) == 33);
	CHECK_INT(om_admin_answer(&c, 1000, NULL, NULL, &res), OM_EPROTO);
	om_admin_close(&c);
	close(afd);
	CHECK_INT(om_admin_connect(&c, mute, 1000), 0);
	afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0 && write(afd, "data a\n", 7) == 7);
	close(afd);
	CHECK_INT(om_admin_answer(&c, 1000, NULL, NULL, &res), OM_EIO);
	om_admin_close(&c);
	close(lfd);
}

/* An answer may hold a secret (a transfer code, DM credentials): nothing of it stays in the connection once closed. */
static void closing_cleanses_what_was_read(void)
{
	struct om_admin_socket *s = NULL;
	struct om_admin_result res;
	struct om_admin_conn c;
	char path[420], err[256] = "", got[256] = "";
	snprintf(path, sizeof(path), "%s/cleanse.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(om_admin_connect(&c, path, 2000), 0);
	CHECK_INT(om_admin_send(&c, "echo XK7Q-SECRET-CODE\n", 2000), 0);
	CHECK_INT(om_admin_answer(&c, 2000, collect, got, &res), 0);
	CHECK_MSG(!strcmp(got, "XK7Q-SECRET-CODE;"), "data: %s", got);
	om_admin_close(&c);
	size_t left = 0;
	for (size_t i = 0; i < sizeof(c.buf); i++)
		left += c.buf[i] != 0;
	CHECK_MSG(left == 0, "%zu bytes of the answer left in the buffer", left);
	om_admin_socket_stop(s);
}

/*
 * Threats S.15 (issue 15): each daemon its own service user. A socket with an allow list is
 * reachable by anyone (directory 0711, socket 0666) and admits root, our uid and the listed users
 * only: nobody, not listed, is answered OM_EPERM and nothing runs; listed by name, it is served.
 */
/* A peer trickling its line a byte at a time is dropped at the line's deadline, not served for ever. */
static void a_trickled_line_is_dropped_at_its_deadline(void)
{
	int sv[2];
	char out[256];
	size_t len = 0;
	struct timespec t0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		CHECK(0);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[1]);
		/* 21 bytes, one every 800 ms: each recv well inside SO_RCVTIMEO, the line past 10 s */
		const char *line = "echo slowly trickled\n";
		for (size_t i = 0; line[i]; i++) {
			if (send(sv[0], line + i, 1, MSG_NOSIGNAL) != 1)
				_exit(0);
			nanosleep(&(struct timespec){ .tv_nsec = 800 * 1000 * 1000 }, NULL);
		}
		_exit(0);
	}
	CHECK(pid > 0);
	calls = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	om_admin_socket_serve_client(&opts, sv[1]);
	long long ms = ms_since(&t0);
	close(sv[1]);
	ssize_t r;
	while (len + 1 < sizeof(out) && (r = recv(sv[0], out + len, sizeof(out) - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(sv[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK_INT(calls, 0); /* the line was never run */
	CHECK_MSG(ms >= OM_ADMIN_TIMEOUT_S * 1000LL - 100 && ms < OM_ADMIN_TIMEOUT_S * 1000LL + 3000,
		  "served for %lld ms", ms);
	CHECK_MSG(!strncmp(out, "error OM_ETIMEOUT ", 18), "got: %s", out);
}

static void allow_lists_admit_only_the_listed_uids(void)
{
	char path[300], path2[300], sub[300], err[256];
	struct om_admin_socket *s = NULL, *s2 = NULL;
	struct stat st;
	CHECK(chmod(dir, 0711) == 0); /* nobody may reach the sockets' own directories below */
	snprintf(path, sizeof(path), "%s/allow-a/a.sock", dir);
	snprintf(path2, sizeof(path2), "%s/allow-b/b.sock", dir);
	CHECK_INT(om_admin_socket_allow(path, "openmcim-nosuchuser, 4242", err, sizeof(err)), 0);
	CHECK_INT(om_admin_socket_start(&s, &opts, path, err, sizeof(err)), 0);
	snprintf(sub, sizeof(sub), "%s/allow-a", dir);
	CHECK(stat(sub, &st) == 0 && (st.st_mode & 07777) == 0711);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0666);
	int before = calls;
	CHECK_MSG(du_as_nobody(path, "echo hi\n") == 30, "nobody, not listed, was not refused with OM_EPERM");
	CHECK_INT(calls, before); /* refused before a line was read */
	/* a socket without a list beside it (the SHO's admin socket beside its internal one): 0600, out of reach */
	char path3[300];
	struct om_admin_socket *s3 = NULL;
	snprintf(path3, sizeof(path3), "%s/allow-a/c.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s3, &opts, path3, err, sizeof(err)) == 0, "%s", err);
	CHECK(stat(path3, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_MSG(du_as_nobody(path3, "echo hi\n") == 20, "nobody reached a socket without a list");
	CHECK_INT(calls, before);
	om_admin_socket_stop(s3);
	CHECK_INT(om_admin_socket_allow(path2, "nobody", err, sizeof(err)), 0);
	CHECK_INT(om_admin_socket_start(&s2, &opts, path2, err, sizeof(err)), 0);
	CHECK_MSG(du_as_nobody(path2, "echo hi\n") == 31, "nobody, listed, was not served");
	CHECK_INT(calls, before + 1);
	om_admin_socket_stop(s2);
	/* a listed user limited to some commands (review: the DRF may suspend and delete at the HSS, not rekey) */
	CHECK_INT(om_admin_socket_allow(path2, "4242, nobody:fail+stat", err, sizeof(err)), 0);
	CHECK_INT(om_admin_socket_start(&s2, &opts, path2, err, sizeof(err)), 0);
	before = calls;
	CHECK_MSG(du_as_nobody(path2, "echo hi\n") == 30, "nobody sent a command its entry does not name");
	CHECK_INT(calls, before); /* refused before the command ran */
	CHECK_MSG(du_as_nobody(path2, "echoes\n") == 30, "a command that only starts like a listed one ran");
	CHECK_INT(calls, before);
	om_admin_socket_stop(s2);
	CHECK_INT(om_admin_socket_allow(path2, "nobody:fail+echo", err, sizeof(err)), 0);
	CHECK_INT(om_admin_socket_start(&s2, &opts, path2, err, sizeof(err)), 0);
	CHECK_MSG(du_as_nobody(path2, "echo hi\n") == 31, "nobody, listed with echo, was not served");
	CHECK_INT(calls, before + 1);
	om_admin_socket_stop(s);
	om_admin_socket_stop(s2);
	/* command lists that are not verb+verb in [a-z-] */
	CHECK_INT(om_admin_socket_allow(path, "nobody:", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, "nobody:Echo", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, "nobody:echo++fail", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, "nobody:echo+", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, ":echo", err, sizeof(err)), -1);
	/* entries that are no user name, and too many, are refused */
	CHECK_INT(om_admin_socket_allow(path, "bad/name", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, "-x", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, "a b c d e f g h i", err, sizeof(err)), -1);
	CHECK_INT(om_admin_socket_allow(path, "", err, sizeof(err)), 0); /* none: root and our uid only again */
	CHECK_INT(om_admin_socket_allow(path2, "", err, sizeof(err)), 0);
}

/*
 * Issue 14: clients connected at once. A connection held open (the DPF's kept link) or one that
 * never reads its answers does not keep another client waiting: on the old one-client socket
 * the second call waited out its deadline (OM_ETIMEOUT).
 */
static void several_clients_are_served_at_once(void)
{
	struct om_admin_socket *s = NULL;
	struct om_admin_result res;
	struct om_admin_conn held, deaf;
	char path[420], err[256] = "", got[256] = "", big[OM_ADMIN_LINE_MAX];
	struct timespec t0;
	snprintf(path, sizeof(path), "%s/many.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(om_admin_connect(&held, path, 2000), 0);
	CHECK_INT(om_admin_send(&held, "echo first\n", 2000), 0);
	CHECK_INT(om_admin_answer(&held, 2000, collect, got, &res), 0);
	/* a peer that sends lines whose answers (about 4 KiB each) it never reads */
	CHECK_INT(om_admin_connect(&deaf, path, 2000), 0);
	memset(big, 'w', sizeof(big));
	memcpy(big, "echo ", 5);
	for (size_t i = 6; i + 2 < sizeof(big); i += 2)
		big[i] = ' ';
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 64; i++)
		if (send(deaf.fd, big, strlen(big), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got[0] = '\0';
	CHECK_INT(om_admin_call(path, "echo second\n", 1000, collect, got, &res), 0);
	CHECK_INT(res.code, 0);
	CHECK_MSG(!strcmp(got, "second;"), "data: %s", got);
	CHECK_MSG(ms_since(&t0) < 500, "the second client waited %lld ms", ms_since(&t0));
	/* the held connection is still served, line after line */
	got[0] = '\0';
	CHECK_INT(om_admin_send(&held, "echo again\n", 2000), 0);
	CHECK_INT(om_admin_answer(&held, 2000, collect, got, &res), 0);
	CHECK_MSG(!strcmp(got, "again;"), "data: %s", got);
	om_admin_close(&held);
	om_admin_close(&deaf);
	om_admin_socket_stop(s);
}

/* A raw connection that has sent line and reads nothing (yet). */
static int raw_send(const char *path, const char *line)
{
	struct om_admin_conn c;
	CHECK_INT(om_admin_connect(&c, path, 2000), 0);
	CHECK_INT(om_admin_send(&c, line, 2000), 0);
	fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK); /* the test reads it to its end */
	struct timeval tv = { .tv_sec = 15 };
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return c.fd; /* the conn's buffer is empty: nothing read yet */
}

/*
 * A peer that stops reading a long answer holds nothing (review): exec runs under the daemon's
 * locks, so it never waits for a reader. Another client is answered at once (the old code
 * waited up to OM_ADMIN_TIMEOUT_S in exec: 9.7 s); an answer that grows past the cap while its
 * peer does not read is dropped whole, with no "ok" after a cut (the old code sent 238 of 400
 * lines, then "ok").
 */
static void a_deaf_reader_holds_nothing(void)
{
	struct om_admin_socket *s = NULL;
	struct om_admin_result res;
	char path[420], err[256] = "", got[256] = "";
	struct timespec t0;
	snprintf(path, sizeof(path), "%s/deaf.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	int deaf = raw_send(path, "many 400\n");
	nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000 * 1000 }, NULL); /* its command runs first */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(om_admin_call(path, "echo second\n", 3000, collect, got, &res), 0);
	CHECK_INT(res.code, 0);
	CHECK_MSG(!strcmp(got, "second;"), "data: %s", got);
	CHECK_MSG(ms_since(&t0) < 1000, "the second client waited %lld ms", ms_since(&t0));

	/* 6 MB asked for, not read for a second, then read to the end: cut, and no final line */
	int cut = raw_send(path, "many 6000\n");
	nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
	size_t total = 0, lines = 0;
	char buf[65536], tail[4] = "";
	ssize_t r;
	while ((r = read(cut, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			lines += buf[i] == '\n';
			memmove(tail, tail + 1, 2);
			tail[2] = buf[i];
		}
		total += (size_t)r;
	}
	CHECK_MSG(r == 0, "the cut answer's connection was not closed: %zd", r);
	CHECK_MSG(lines < 6000, "all %zu lines came (%zu bytes)", lines, total);
	CHECK_MSG(strcmp(tail, "ok\n") != 0, "a cut answer ended in ok after %zu lines", lines);
	close(cut);

	/* a reader that is only slow gets the whole answer and its ok */
	int slow = raw_send(path, "many 1000\n");
	nanosleep(&(struct timespec){ .tv_nsec = 500 * 1000 * 1000 }, NULL);
	lines = 0;
	tail[0] = tail[1] = tail[2] = '\0';
	while ((r = read(slow, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			lines += buf[i] == '\n';
			memmove(tail, tail + 1, 2);
			tail[2] = buf[i];
		}
		if (!strcmp(tail, "ok\n"))
			break;
	}
	CHECK_INT(lines, 1001);
	CHECK_MSG(!strcmp(tail, "ok\n"), "the slow reader's answer has no ok (%zu lines, tail %02x%02x%02x)", lines, tail[0], tail[1], tail[2]);
	close(slow);
	close(deaf);
	om_admin_socket_stop(s);
}

/*
 * Bounds per peer: a process holding OM_ADMIN_PEER_CONNS_MAX connections is answered
 * OM_EUNAVAILABLE on the next and nothing runs; another process (the operator) is still
 * served at once, and so is this one once a connection is closed.
 */
static void connections_are_bounded_per_peer(void)
{
	struct om_admin_socket *s = NULL;
	struct om_admin_result res;
	struct om_admin_conn c[OM_ADMIN_PEER_CONNS_MAX];
	char path[420], err[256] = "";
	snprintf(path, sizeof(path), "%s/bound.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < OM_ADMIN_PEER_CONNS_MAX; i++) {
		CHECK_INT(om_admin_connect(&c[i], path, 2000), 0);
		CHECK_INT(om_admin_send(&c[i], "echo x\n", 2000), 0);
		CHECK_INT(om_admin_answer(&c[i], 2000, NULL, NULL, &res), 0); /* admitted and served */
	}
	int before = calls;
	/* the refusal is read whether it is written before or after our line is sent (a send
	 * after the server's close fails with EPIPE): repeated, so both orders come up */
	int refused = 0;
	for (int i = 0; i < 300; i++) {
		memset(&res, 0, sizeof(res));
		refused += om_admin_call(path, "echo over\n", 2000, NULL, NULL, &res) == 0 && res.code == OM_EUNAVAILABLE;
	}
	CHECK_INT(refused, 300);
	CHECK_INT(calls, before);
	pid_t pid = fork();
	if (pid == 0) {
		struct om_admin_result r;
		_exit(om_admin_call(path, "echo other\n", 2000, NULL, NULL, &r) == 0 && r.code == 0 ? 0 : 1);
	}
	int st = -1;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	om_admin_close(&c[0]);
	nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL); /* the server sees it closed */
	CHECK_INT(om_admin_call(path, "echo after\n", 2000, NULL, NULL, &res), 0);
	CHECK_INT(res.code, 0);
	for (int i = 1; i < OM_ADMIN_PEER_CONNS_MAX; i++)
		om_admin_close(&c[i]);
	om_admin_socket_stop(s);
}

/* Lines of the log file at path holding needle, and the sum of their suppressed= counts. */
static int log_lines(const char *path, const char *needle, unsigned long *suppressed)
{
	char line[1200];
	int n = 0;
	FILE *f = fopen(path, "r");
	*suppressed = 0;
	while (f && fgets(line, sizeof(line), f)) {
		const char *s = strstr(line, needle) ? strstr(line, " suppressed=") : NULL;
		n += strstr(line, needle) != NULL;
		*suppressed += s ? strtoul(s + 12, NULL, 10) : 0;
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * Threats S.16: a local user who may not use the socket (uid 65534, not listed) connects in a
 * loop from several processes. Each refusal was a log line (6000 connections, 6000 lines) and
 * one connection was taken off the listen queue a round. Now the log holds one line per uid and
 * interval, nothing runs for the refused, and the operator's calls during the flood are answered
 * in their usual time. A refusal after the interval names how many were suppressed: every
 * refusal is a line or counted in one.
 */
#define FLOODERS 4
#define FLOOD_CONNS 1500
static void a_refused_flood_leaves_the_log_bounded(void)
{
	struct om_admin_socket *s = NULL;
	struct om_admin_result res;
	char path[420], logpath[420], err[256] = "";
	struct timespec t0;
	if (geteuid() != 0) {
		printf("NOTE: not root: the setuid(65534) flood test needs root\n");
		return;
	}
	CHECK(chmod(dir, 0711) == 0);
	snprintf(path, sizeof(path), "%s/flood/f.sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/flood.log", dir);
	CHECK_INT(om_admin_socket_allow(path, "4242", err, sizeof(err)), 0); /* 0666: uid 65534 reaches it */
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), saved = dup(2);
	CHECK(logfd >= 0 && saved >= 0 && dup2(logfd, 2) == 2);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	long long usual = 0;
	for (int i = 0; i < 20; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_INT(om_admin_call(path, "echo before\n", 2000, NULL, NULL, &res), 0);
		usual = ms_since(&t0) > usual ? ms_since(&t0) : usual;
	}
	int before = calls;
	pid_t pid[FLOODERS];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < FLOODERS; k++) {
		if ((pid[k] = fork()) == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(10);
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", path);
			int refused = 0;
			for (int i = 0; i < FLOOD_CONNS; i++) {
				int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
				char buf[64] = "";
				/* no line sent: the refusal comes before one is read (a line unread at the close
				 * would make the answer ECONNRESET) */
				if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
				    read(fd, buf, sizeof(buf) - 1) > 0)
					refused += !strncmp(buf, "error OM_EPERM ", 15);
				if (fd >= 0)
					close(fd);
			}
			_exit(refused == FLOOD_CONNS ? 0 : 11);
		}
	}
	/* the operator's calls while the flood runs */
	long long worst = 0;
	int served = 0;
	for (int i = 0; i < 20; i++) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		served += om_admin_call(path, "echo during\n", 5000, NULL, NULL, &res) == 0 && res.code == 0;
		worst = ms_since(&t1) > worst ? ms_since(&t1) : worst;
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	int flooded = 0;
	for (int k = 0; k < FLOODERS; k++) {
		int st = -1;
		flooded += pid[k] > 0 && waitpid(pid[k], &st, 0) == pid[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	long long flood_ms = ms_since(&t0);
	unsigned long suppressed = 0;
	int lines = log_lines(logpath, "test-refused", &suppressed);
	/* one more refusal once the interval is over: its line counts those suppressed */
	if (flood_ms < 10200)
		nanosleep(&(struct timespec){ .tv_sec = (10200 - flood_ms) / 1000,
					      .tv_nsec = (10200 - flood_ms) % 1000 * 1000000L },
			  NULL);
	CHECK_INT(du_as_nobody(path, ""), 30);
	unsigned long all_suppressed = 0;
	int all_lines = log_lines(logpath, "test-refused", &all_suppressed);
	om_admin_socket_stop(s);
	CHECK(dup2(saved, 2) == 2);
	close(saved);
	close(logfd);
	CHECK_MSG(flooded == FLOODERS, "%d of %d flooders saw every connection refused", flooded, FLOODERS);
	CHECK_INT(calls, before + 20); /* the operator's calls ran, no refused line did */
	CHECK_INT(served, 20);
	/* usual: the slowest of 20 calls before the flood; a margin for a loaded machine */
	CHECK_MSG(worst < 500 + 10 * usual, "a call during the flood took %lld ms (usual %lld ms)", worst, usual);
	CHECK_MSG(lines >= 1 && lines <= 1 + flood_ms / 10000, "%d refusal lines for %d connections in %lld ms", lines,
		  FLOODERS * FLOOD_CONNS, flood_ms);
	CHECK_MSG(all_lines == lines + 1 && all_lines + all_suppressed == FLOODERS * FLOOD_CONNS + 1,
		  "%d lines naming %lu suppressed for %d refusals", all_lines, all_suppressed, FLOODERS * FLOOD_CONNS + 1);
	printf("flood: %d connections refused in %lld ms, %d log lines (then %d naming %lu suppressed); the "
	       "operator's calls: worst %lld ms, usual %lld ms\n",
	       FLOODERS * FLOOD_CONNS, flood_ms, lines, all_lines, all_suppressed, worst, usual);
	CHECK_INT(om_admin_socket_allow(path, "", err, sizeof(err)), 0);
}

/* Sockets open in this process (both ends of each connection: the server runs here too). */
static int sockets_open(void)
{
	char fd[64], to[64];
	int n = 0;
	for (int i = 0; i < 1024; i++) {
		snprintf(fd, sizeof(fd), "/proc/self/fd/%d", i);
		ssize_t r = readlink(fd, to, sizeof(to) - 1);
		n += r > 7 && !strncmp(to, "socket:", 7);
	}
	return n;
}

static void *link_caller(void *arg)
{
	struct om_admin_peer *p = arg;
	char why[128];
	for (int i = 0; i < 50; i++)
		if (om_admin_peer_call(p, "echo l\n", NULL, NULL, why, sizeof(why)) != 0)
			return (void *)1;
	return NULL;
}

/*
 * The kept-open link (om_admin_link): calls from several threads share at most
 * OM_ADMIN_LINK_CONNS connections; a daemon restarted between calls costs no call (the closed
 * connection is noticed before a line is sent on it); a stopped one is OM_EUNAVAILABLE.
 */
static void a_link_reuses_its_connections(void)
{
	struct om_admin_socket *s = NULL;
	char path[420], err[256] = "", why[256];
	pthread_t th[12];
	snprintf(path, sizeof(path), "%s/link.sock", dir);
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	struct om_admin_peer p = { .path = path, .timeout_ms = 3000, .link = om_admin_link_new() };
	CHECK(p.link != NULL);
	calls = 0;
	int before = sockets_open();
	for (int i = 0; i < 12; i++)
		CHECK(pthread_create(&th[i], NULL, link_caller, &p) == 0);
	for (int i = 0; i < 12; i++) {
		void *r = NULL;
		pthread_join(th[i], &r);
		CHECK(r == NULL);
	}
	CHECK_INT(calls, 600);
	/* kept open, both ends here: at most the link's connections, none per call */
	int kept = (sockets_open() - before) / 2;
	CHECK_MSG(kept >= 1 && kept <= OM_ADMIN_LINK_CONNS, "%d connections open", kept);
	om_admin_socket_stop(s); /* a restart: the link's idle connections are closed by the daemon */
	CHECK_MSG(om_admin_socket_start(&s, &opts, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(om_admin_peer_call(&p, "echo back\n", NULL, NULL, why, sizeof(why)), 0);
	om_admin_socket_stop(s);
	CHECK_INT(om_admin_peer_call(&p, "echo gone\n", NULL, NULL, why, sizeof(why)), OM_EUNAVAILABLE);
	om_admin_link_free(p.link);
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
	parses_final_lines_by_their_code();
	calls_have_a_deadline_and_a_code();
	closing_cleanses_what_was_read();
	allow_lists_admit_only_the_listed_uids();
	several_clients_are_served_at_once();
	a_deaf_reader_holds_nothing();
	connections_are_bounded_per_peer();
	a_link_reuses_its_connections();
	a_trickled_line_is_dropped_at_its_deadline();
	a_refused_flood_leaves_the_log_bounded();
	du_rm_rf(dir);
	return check_done();
}
