/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin socket. Each connection sends command lines; each gets
 * zero or more "data ..." lines then "ok" or "error <reason>". Commands run
 * one at a time (admin.c), each in one durable transaction.
 */
#define _GNU_SOURCE /* struct ucred for SO_PEERCRED */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pva_admin.h"
#include "log.h"

#define LINE_MAX_BYTES 4096
#define CLIENT_TIMEOUT_S 10

static struct {
	int running;
	struct pva *h;
	int lfd;
	int stop[2];
	pthread_t th;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} P = { .lfd = -1, .stop = { -1, -1 } };

int pva_admin_peer_allowed(uid_t peer, uid_t self)
{
	return peer == 0 || peer == self;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void emit(void *ctx, const char *line)
{
	int fd = *(int *)ctx;
	send_all(fd, "data ", 5);
	send_all(fd, line, strlen(line));
	send_all(fd, "\n", 1);
}

static void answer(int fd, int rc, const char *why)
{
	char out[600];
	if (rc == 0)
		snprintf(out, sizeof(out), "ok\n");
	else
		snprintf(out, sizeof(out), "error %s\n", why[0] ? why : om_strerror(rc));
	send_all(fd, out, strlen(out));
}

static void serve_client(int fd)
{
	char buf[LINE_MAX_BYTES + 1];
	size_t have = 0;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		om_error("admin-refused", "reason=no-peer-credentials");
		return;
	}
	if (!pva_admin_peer_allowed(cred.uid, geteuid())) {
		om_notice("admin-refused", "uid=%u pid=%d reason=uid-not-allowed", (unsigned)cred.uid, (int)cred.pid);
		answer(fd, OM_EPVA_COMMAND, "permission denied: uid not allowed");
		return;
	}
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (have == LINE_MAX_BYTES) {
				answer(fd, OM_EPVA_COMMAND, "line too long");
				break;
			}
			ssize_t r = recv(fd, buf + have, LINE_MAX_BYTES - have, 0);
			if (r <= 0)
				break;
			have += (size_t)r;
			continue;
		}
		*nl = '\0';
		size_t used = (size_t)(nl - buf) + 1;
		char why[512] = "";
		int rc = pva_admin_exec(P.h, buf, emit, &fd, why, sizeof(why));
		answer(fd, rc, why);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
}

static void *serve(void *arg)
{
	(void)arg;
	struct pollfd pf[2] = { { .fd = P.lfd, .events = POLLIN }, { .fd = P.stop[0], .events = POLLIN } };
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		int fd = accept(P.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		serve_client(fd);
		close(fd);
	}
	return NULL;
}

/* The socket's directory: made 0700, or refused unless ours and closed to others. */
static int check_dir(const char *path, char *err, size_t err_len)
{
	char dir[sizeof(P.path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == dir) {
		snprintf(err, err_len, "admin socket %s: not in a directory of its own", path);
		return -1;
	} else {
		*slash = '\0';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_len, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (lstat(dir, &st) < 0) {
		snprintf(err, err_len, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, err_len, "%s must be a directory of mode 0700 owned by uid %u (is %04o, uid %u)", dir,
			 (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

int pva_admin_start(struct pva *h, const char *socket_path, char *err, size_t err_len)
{
	struct sockaddr_un sa;
	struct stat st;
	if (P.running) {
		snprintf(err, err_len, "admin interface already started");
		return -1;
	}
	if (!h || !socket_path || strlen(socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "admin socket path missing or longer than %zu", sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (check_dir(socket_path, err, err_len) < 0)
		return -1;
	if (lstat(socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len, "%s exists and is not a socket", socket_path);
			return -1;
		}
		unlink(socket_path);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	P.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (P.lfd < 0 || bind(P.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(socket_path, 0600) < 0 ||
	    listen(P.lfd, 16) < 0 || pipe(P.stop) < 0) {
		snprintf(err, err_len, "admin socket %s: %s", socket_path, strerror(errno));
		goto fail;
	}
	P.h = h;
	snprintf(P.path, sizeof(P.path), "%s", socket_path);
	if (pthread_create(&P.th, NULL, serve, NULL)) {
		snprintf(err, err_len, "admin thread: cannot start");
		goto fail;
	}
	P.running = 1;
	om_info("admin-listen", "socket=%s uid=%u", socket_path, (unsigned)geteuid());
	return 0;
fail:
	if (P.lfd >= 0) {
		close(P.lfd);
		unlink(socket_path);
	}
	for (int i = 0; i < 2; i++)
		if (P.stop[i] >= 0)
			close(P.stop[i]);
	P.lfd = P.stop[0] = P.stop[1] = -1;
	return -1;
}

void pva_admin_stop(void)
{
	if (!P.running)
		return;
	ssize_t w = write(P.stop[1], "x", 1);
	(void)w;
	pthread_join(P.th, NULL);
	close(P.lfd);
	close(P.stop[0]);
	close(P.stop[1]);
	unlink(P.path);
	P.lfd = P.stop[0] = P.stop[1] = -1;
	P.running = 0;
	P.h = NULL;
}
