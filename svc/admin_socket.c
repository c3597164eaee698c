/* SPDX-License-Identifier: Apache-2.0 */
/* The local administration socket (admin_socket.h). */
#define _GNU_SOURCE /* struct ucred for SO_PEERCRED */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/err.h>

#include "admin_socket.h"
#include "conf.h"
#include "log.h"

/*
 * The allow lists the configuration gave, by socket path (om_admin_socket_allow), set before the sockets
 * start. Names are kept as names and matched at each connection (getpwuid_r of the peer's uid): a
 * deployment's files name its service users, which a build or test machine need not have.
 */
#define ALLOW_NAME_MAX 32
#define ALLOW_VERBS_MAX 160 /* "verb+verb+...": the commands one user may send */
struct allow {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[OM_ADMIN_ALLOW_MAX][ALLOW_NAME_MAX + 1]; /* a user name, or a uid in decimal */
	char verbs[OM_ADMIN_ALLOW_MAX][ALLOW_VERBS_MAX + 1]; /* "" every command, else '+'-separated */
	size_t n;
};
#define ALLOW_SOCKETS 8
static struct allow allows[ALLOW_SOCKETS];
static pthread_mutex_t allows_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct allow *allow_of(const char *path)
{
	for (size_t i = 0; i < ALLOW_SOCKETS; i++)
		if (allows[i].n && !strcmp(allows[i].path, path))
			return &allows[i];
	return NULL;
}

/* The entry that names uid (by number, or by the name the system gives uid now); -1 if none. */
static int allow_find(const struct allow *a, uid_t uid)
{
	char num[24], buf[1024];
	struct passwd pw, *res = NULL;
	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	int named = getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res;
	for (size_t i = 0; a && i < a->n; i++)
		if (!strcmp(a->name[i], num) || (named && !strcmp(a->name[i], pw.pw_name)))
			return (int)i;
	return -1;
}

/* 1 if line's first word is one of verbs ("" allows every command). */
static int verb_allowed(const char *verbs, const char *line)
{
	size_t n = strcspn(line, " \t");
	if (!*verbs)
		return 1;
	for (const char *v = verbs; *v;) {
		size_t m = strcspn(v, "+");
		if (m == n && n && !strncmp(v, line, n))
			return 1;
		v += m + (v[m] == '+');
	}
	return 0;
}

int om_admin_socket_allow(const char *path, const char *list, char *err, size_t err_len)
{
	struct allow a = { .n = 0 };
	char buf[512], *save = NULL;
	if (!path || strlen(path) >= sizeof(a.path)) {
		snprintf(err, err_len, "socket path missing or too long");
		return -1;
	}
	snprintf(a.path, sizeof(a.path), "%s", path);
	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *w = strtok_r(buf, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		if (a.n == OM_ADMIN_ALLOW_MAX) {
			snprintf(err, err_len, "more than %d users", OM_ADMIN_ALLOW_MAX);
			return -1;
		}
		/* user[:verb+verb...]: the commands that user may send, every one when none is named */
		char *verbs = strchr(w, ':');
		if (verbs) {
			*verbs++ = '\0';
			if (!*verbs || strlen(verbs) > ALLOW_VERBS_MAX || *verbs == '+' || strstr(verbs, "++") ||
			    verbs[strlen(verbs) - 1] == '+' ||
			    strspn(verbs, "abcdefghijklmnopqrstuvwxyz-+") != strlen(verbs)) {
				snprintf(err, err_len, "'%.40s': commands are verb+verb in [a-z-]", verbs);
				return -1;
			}
		}
		/* POSIX portable user names ([A-Za-z0-9._-], not starting with '-') or a uid */
		if (strlen(w) > ALLOW_NAME_MAX || *w == '-' || !*w ||
		    strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(w)) {
			snprintf(err, err_len, "'%.40s' is not a user name or uid", w);
			return -1;
		}
		snprintf(a.verbs[a.n], ALLOW_VERBS_MAX + 1, "%s", verbs ? verbs : "");
		snprintf(a.name[a.n++], ALLOW_NAME_MAX + 1, "%s", w);
	}
	pthread_mutex_lock(&allows_lock);
	int rc = -1;
	struct allow *slot = (struct allow *)allow_of(path); /* this socket's list again, or a free slot */
	for (size_t i = 0; !slot && i < ALLOW_SOCKETS; i++)
		if (!allows[i].n)
			slot = &allows[i];
	if (slot) {
		*slot = a; /* an empty list frees the slot */
		rc = 0;
	}
	pthread_mutex_unlock(&allows_lock);
	if (rc < 0)
		snprintf(err, err_len, "more than %d sockets with allow lists", ALLOW_SOCKETS);
	return rc;
}

int om_admin_socket_allow_conf(const struct om_conf *c, const char *section, const char *key, char *err,
			       size_t err_len)
{
	char allow_key[64], why[256];
	snprintf(allow_key, sizeof(allow_key), "%s_allow", key);
	const char *path = om_conf_get(c, section, key), *list = om_conf_get(c, section, allow_key);
	if (!path || !list)
		return 0;
	if (om_admin_socket_allow(path, list, why, sizeof(why)) < 0) {
		snprintf(err, err_len, "%s: [%s] %s: %s", om_conf_path(c), section, allow_key, why);
		return -1;
	}
	return 0;
}

struct om_admin_socket {
	struct om_admin_socket_opts o;
	struct allow allow; /* n = 0: root and our uid only */
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

static void serve_client(const struct om_admin_socket_opts *o, const struct allow *allow, int fd)
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
	/* root and our own uid may send every command; a listed user only those its entry names */
	int entry = om_admin_socket_peer_allowed(cred.uid, geteuid()) ? -2 : allow_find(allow, cred.uid);
	if (entry == -1) {
		om_notice(refused, "uid=%u pid=%d reason=uid-not-allowed", (unsigned)cred.uid, (int)cred.pid);
		answer(fd, OM_EPERM, "permission denied: uid not allowed");
		return;
	}
	const char *verbs = entry >= 0 ? allow->verbs[entry] : "";
	struct timeval tv = { .tv_sec = OM_ADMIN_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* a peer that never reads its answers holds the socket no longer than one that never writes */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/*
	 * A whole line within OM_ADMIN_TIMEOUT_S of the last answer (or of the connection): SO_RCVTIMEO
	 * bounds each recv only, so a listed peer sending a byte every few seconds held this one-client
	 * socket for ever, and the daemon's own operator with it.
	 */
	struct timespec line_t0;
	clock_gettime(CLOCK_MONOTONIC, &line_t0);
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (have == OM_ADMIN_LINE_MAX) {
				answer(fd, OM_ELENGTH, "line too long");
				break;
			}
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long long left = OM_ADMIN_TIMEOUT_S * 1000LL - ((long long)(now.tv_sec - line_t0.tv_sec) * 1000 +
									 (now.tv_nsec - line_t0.tv_nsec) / 1000000);
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
				if (have)
					answer(fd, OM_ETIMEOUT, "line not complete within the deadline");
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
		int rc;
		if (verb_allowed(verbs, buf)) {
			rc = o->exec(o->arg, buf, emit, &fd, why, sizeof(why));
		} else {
			om_notice(refused, "uid=%u pid=%d reason=command-not-allowed command=%.*s", (unsigned)cred.uid,
				  (int)cred.pid, (int)(strcspn(buf, " \t") > 32 ? 32 : strcspn(buf, " \t")), buf);
			rc = OM_EPERM;
			snprintf(why, sizeof(why), "permission denied: command not allowed for this user");
		}
		answer(fd, rc, why);
		/* the line may have carried a key (the HSS's K or OPc) */
		OPENSSL_cleanse(buf, used);
		memmove(buf, buf + used, have - used);
		have -= used;
		clock_gettime(CLOCK_MONOTONIC, &line_t0);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

void om_admin_socket_serve_client(const struct om_admin_socket_opts *o, int fd)
{
	serve_client(o, NULL, fd);
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
		serve_client(&s->o, s->allow.n ? &s->allow : NULL, fd);
		close(fd);
	}
	return NULL;
}

/*
 * The socket's directory: made 0700, or refused unless ours and neither
 * readable nor writable by others; with an allow list (open) then 0711, so
 * that the listed users, whom SO_PEERCRED alone tells apart, can reach the
 * socket: nobody may list or change the directory but us.
 */
static int check_dir(const char *what, const char *path, int open, char *err, size_t err_len)
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
	/* 0711 too: another socket of ours beside this one may have opened it; a socket without a list is
	 * 0600 itself, so others still cannot connect */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 066)) {
		snprintf(err, err_len, "%s must be a directory of mode 0700 or 0711 owned by uid %u (is %04o, uid %u)",
			 dir, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		return -1;
	}
	if (open && chmod(dir, 0711) < 0) {
		snprintf(err, err_len, "chmod 0711 %s: %s", dir, strerror(errno));
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
	pthread_mutex_lock(&allows_lock);
	const struct allow *al = allow_of(path);
	struct allow allow = al ? *al : (struct allow){ .n = 0 };
	pthread_mutex_unlock(&allows_lock);
	if (check_dir(o->what, path, allow.n > 0, err, err_len) < 0)
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
	s->allow = allow;
	s->lfd = s->stop[0] = s->stop[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, allow.n ? 0666 : 0600) < 0 ||
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
	om_info(listen_ev, "socket=%s uid=%u allowed_uids=%zu", path, (unsigned)geteuid(), allow.n);
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
