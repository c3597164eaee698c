/* SPDX-License-Identifier: Apache-2.0 */
/* The local administration socket (admin_socket.h). */
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

#include <openssl/crypto.h>

#include <openmcim/err.h>

#include "admin_socket.h"
#include "log.h"

struct om_admin_socket {
	struct om_admin_socket_opts o;
	int lfd;
	int stop[2];
	pthread_t th;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int om_admin_socket_peer_allowed(uid_t peer, uid_t self)
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

/* The final line: "ok", or "error <OM_E name> <reason>" (the name is what clients act on). */
static void answer(int fd, int rc, const char *why)
{
	char out[600];
	if (rc == 0)
		snprintf(out, sizeof(out), "ok\n");
	else
		snprintf(out, sizeof(out), "error %s %s\n", om_errname(rc), why[0] ? why : om_strerror(rc));
	send_all(fd, out, strlen(out));
}

void om_admin_socket_serve_client(const struct om_admin_socket_opts *o, int fd)
{
	char buf[OM_ADMIN_LINE_MAX + 1], refused[64];
	size_t have = 0;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	snprintf(refused, sizeof(refused), "%s-refused", o->log_prefix);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		om_error(refused, "reason=no-peer-credentials");
		return;
	}
	if (!om_admin_socket_peer_allowed(cred.uid, geteuid())) {
		om_notice(refused, "uid=%u pid=%d reason=uid-not-allowed", (unsigned)cred.uid, (int)cred.pid);
		answer(fd, OM_EPERM, "permission denied: uid not allowed");
		return;
	}
	struct timeval tv = { .tv_sec = OM_ADMIN_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (have == OM_ADMIN_LINE_MAX) {
				answer(fd, OM_ELENGTH, "line too long");
				break;
			}
			ssize_t r = recv(fd, buf + have, OM_ADMIN_LINE_MAX - have, 0);
			if (r <= 0)
				break;
			have += (size_t)r;
			continue;
		}
		*nl = '\0';
		size_t used = (size_t)(nl - buf) + 1;
		char why[512] = "";
		int rc = o->exec(o->arg, buf, emit, &fd, why, sizeof(why));
		answer(fd, rc, why);
		/* the line may have carried a key (the HSS's K or OPc) */
		OPENSSL_cleanse(buf, used);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void *serve(void *arg)
{
	struct om_admin_socket *s = arg;
	struct pollfd pf[2] = { { .fd = s->lfd, .events = POLLIN }, { .fd = s->stop[0], .events = POLLIN } };
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
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		om_admin_socket_serve_client(&s->o, fd);
		close(fd);
	}
	return NULL;
}

/* The socket's directory: made 0700, or refused unless ours and closed to others. */
static int check_dir(const char *what, const char *path, char *err, size_t err_len)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == dir) {
		snprintf(err, err_len, "%s socket %s: not in a directory of its own", what, path);
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

int om_admin_socket_start(struct om_admin_socket **out, const struct om_admin_socket_opts *o, const char *path,
			  char *err, size_t err_len)
{
	struct sockaddr_un sa;
	struct stat st;
	struct om_admin_socket *s = NULL;
	char listen_ev[64];
	*out = NULL;
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "%s socket path missing or longer than %zu", o->what, sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (check_dir(o->what, path, err, err_len) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, err_len, "%s socket %s: out of memory", o->what, path);
		return -1;
	}
	s->o = *o;
	s->lfd = s->stop[0] = s->stop[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(s->lfd, 16) < 0 || pipe(s->stop) < 0) {
		snprintf(err, err_len, "%s socket %s: %s", o->what, path, strerror(errno));
		goto fail;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (pthread_create(&s->th, NULL, serve, s)) {
		snprintf(err, err_len, "%s thread: cannot start", o->what);
		goto fail;
	}
	snprintf(listen_ev, sizeof(listen_ev), "%s-listen", o->log_prefix);
	om_info(listen_ev, "socket=%s uid=%u", path, (unsigned)geteuid());
	*out = s;
	return 0;
fail:
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(path);
	}
	for (int i = 0; i < 2; i++)
		if (s->stop[i] >= 0)
			close(s->stop[i]);
	free(s);
	return -1;
}

void om_admin_socket_stop(struct om_admin_socket *s)
{
	if (!s)
		return;
	ssize_t w = write(s->stop[1], "x", 1);
	(void)w;
	pthread_join(s->th, NULL);
	close(s->lfd);
	close(s->stop[0]);
	close(s->stop[1]);
	unlink(s->path);
	free(s);
}
