/* SPDX-License-Identifier: Apache-2.0 */
/* The local administration socket (admin_socket.h). */
#define _GNU_SOURCE /* struct ucred for SO_PEERCRED */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
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

/*
 * One connected client (issue 14): kept open across lines, so that the DPF's links to its SHO
 * and DRF (admin_call.h, om_admin_link) pay the connect, the peer check and the name lookup
 * once. Answers are buffered and sent without blocking, so a client that does not read holds
 * its own connection only, never the socket's other clients.
 */
#define OUT_FLUSH (64 * 1024)     /* an answer past this is sent as far as the peer takes it now */
#define OUT_MAX (4 * 1024 * 1024) /* an answer past this is dropped whole (a 500-line page is far below) */
struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	const char *verbs;  /* "" every command, else the allow entry's */
	int64_t t0;         /* ms: the last answer (or the connection); the next line and this answer's sending are due
			       OM_ADMIN_TIMEOUT_S after it */
	int eof, done;      /* the peer shut its side; close once the answer is out */
	char *out;          /* answer bytes not yet sent: out[off..len) */
	size_t off, len, cap;
	size_t have;
	char buf[OM_ADMIN_LINE_MAX + 1];
};

/*
 * Refusal lines, limited per uid (threats S.16): any local user can connect in a loop, and a line
 * per refusal let one fill the log. A uid gets one line per REFUSED_INTERVAL_MS; its next line
 * names how many were suppressed since (om_log_keyed_pass, svc/log.h).
 */
#define REFUSED_INTERVAL_MS 10000

/* Connections accepted per round of the loop: a flood is taken off the listen queue without
 * keeping the clients already admitted waiting for more than one round's worth. */
#define ACCEPT_PER_ROUND 64
#define LISTEN_BACKLOG 128

/* The clients of one socket (or of om_admin_socket_serve_client's one connection), served by one thread. */
struct loop {
	const struct om_admin_socket_opts *o;
	const struct allow *allow;
	char refused[64];
	struct client *c[OM_ADMIN_CLIENTS_MAX];
	size_t n;
	struct om_log_keyed refusals; /* per uid */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A refused connection or command: one notice line, limited per uid. */
static void log_refusal(struct loop *L, uid_t uid, pid_t pid, const char *reason, const char *command, size_t command_len)
{
	unsigned long suppressed = 0;
	if (!om_log_keyed_pass(&L->refusals, uid, REFUSED_INTERVAL_MS, &suppressed))
		return;
	if (command)
		om_notice(L->refused, "uid=%u pid=%d reason=%s command=%.*s suppressed=%lu", (unsigned)uid, (int)pid,
			  reason, (int)(command_len > 32 ? 32 : command_len), command, suppressed);
	else
		om_notice(L->refused, "uid=%u pid=%d reason=%s suppressed=%lu", (unsigned)uid, (int)pid, reason,
			  suppressed);
}

/*
 * Drop the answer being built: the client gets no final line, and reads a closed connection
 * as a failed call. A cut answer never ends in "ok" (a caller paging by cursor would skip the
 * rows it missed).
 */
static void out_drop(struct client *c)
{
	if (c->out) {
		OPENSSL_cleanse(c->out, c->cap); /* answers carry secrets (DM credentials, transfer codes) */
		free(c->out);
	}
	c->out = NULL;
	c->cap = c->off = c->len = 0;
	c->done = 1;
}

static void out_add(struct client *c, const char *s, size_t n)
{
	if (c->done) /* dropped, or closing: nothing more goes out, the final line least of all */
		return;
	if (c->len + n > c->cap && c->off) { /* what went out already makes room first */
		memmove(c->out, c->out + c->off, c->len - c->off);
		c->len -= c->off;
		OPENSSL_cleanse(c->out + c->len, c->off);
		c->off = 0;
	}
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 1024;
		while (cap < c->len + n)
			cap *= 2;
		char *grown = malloc(cap);
		if (!grown) { /* no memory for the answer: the client gets none and is closed */
			out_drop(c);
			return;
		}
		if (c->out) {
			memcpy(grown, c->out, c->len);
			OPENSSL_cleanse(c->out, c->cap); /* answers carry secrets (DM credentials, transfer codes) */
			free(c->out);
		}
		c->out = grown;
		c->cap = cap;
	}
	memcpy(c->out + c->len, s, n);
	c->len += n;
}

/* Send what the peer takes now: 0 when all is out, 1 when some is left, -1 when the connection broke. */
static int out_flush(struct client *c)
{
	while (c->off < c->len) {
		ssize_t w = send(c->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (w <= 0)
			return -1;
		c->off += (size_t)w;
	}
	OPENSSL_cleanse(c->out, c->len);
	c->off = c->len = 0;
	return 0;
}

/*
 * Within exec: an answer grown past OUT_FLUSH goes out as far as the peer takes it now, never
 * waiting for it: exec runs under the daemon's own locks (the DRF's, the PVA's), so a peer that
 * stops reading must not hold them (review). The rest goes out from the serve loop, within the
 * client's deadline; an answer past OUT_MAX, or a broken connection, is dropped whole.
 */
static void emit(void *ctx, const char *line)
{
	struct client *c = ctx;
	out_add(c, "data ", 5);
	out_add(c, line, strlen(line));
	out_add(c, "\n", 1);
	if (c->done || c->len - c->off <= OUT_FLUSH)
		return;
	if (out_flush(c) < 0 || c->len - c->off > OUT_MAX)
		out_drop(c);
}

/* The final line: "ok", or "error <OM_E name> <reason>" (the name is what clients act on). */
static void answer(struct client *c, int rc, const char *why)
{
	char out[600];
	if (rc == 0)
		snprintf(out, sizeof(out), "ok\n");
	else
		snprintf(out, sizeof(out), "error %s %s\n", om_errname(rc), why[0] ? why : om_strerror(rc));
	out_add(c, out, strlen(out));
}

/* A refused connection's one answer, on a socket that has sent us nothing yet: its buffer takes it. */
static void refuse(int fd, int rc, const char *why)
{
	char out[300];
	snprintf(out, sizeof(out), "error %s %s\n", om_errname(rc), why);
	ssize_t w = send(fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
}

static void client_free(struct client *c)
{
	close(c->fd);
	if (c->out) {
		OPENSSL_cleanse(c->out, c->cap);
		free(c->out);
	}
	OPENSSL_cleanse(c->buf, sizeof(c->buf)); /* lines may carry a key (the HSS's K or OPc) */
	free(c);
}

/*
 * Admit a connected peer, its credentials checked once for the connection: root and our own
 * uid may send every command, a listed user only those its entry names. Bounds (issue 14,
 * threats S.15): OM_ADMIN_PEER_CONNS_MAX connections per peer (a listed user by uid, root and
 * our uid by process) and OM_ADMIN_CLIENTS_MAX in all, of which the last OM_ADMIN_RESERVED are
 * for root and our uid, so listed users never take the operator's own way in. Takes fd.
 */
static void admit(struct loop *L, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		om_error(L->refused, "reason=no-peer-credentials");
		close(fd);
		return;
	}
	int entry = om_admin_socket_peer_allowed(cred.uid, geteuid()) ? -2 : allow_find(L->allow, cred.uid);
	if (entry == -1) {
		log_refusal(L, cred.uid, cred.pid, "uid-not-allowed", NULL, 0);
		refuse(fd, OM_EPERM, "permission denied: uid not allowed");
		close(fd);
		return;
	}
	size_t same = 0;
	for (size_t i = 0; i < L->n; i++)
		same += entry == -2 ? L->c[i]->pid == cred.pid : L->c[i]->uid == cred.uid;
	size_t room = entry == -2 ? OM_ADMIN_CLIENTS_MAX : OM_ADMIN_CLIENTS_MAX - OM_ADMIN_RESERVED;
	struct client *c = NULL;
	if (L->n >= room || same >= OM_ADMIN_PEER_CONNS_MAX || !(c = calloc(1, sizeof(*c)))) {
		log_refusal(L, cred.uid, cred.pid, "too-many-connections", NULL, 0);
		refuse(fd, OM_EUNAVAILABLE, "too many connections: retry later");
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->verbs = entry >= 0 ? L->allow->verbs[entry] : "";
	c->t0 = now_ms();
	L->c[L->n++] = c;
}

/* Run the complete lines c has sent, one answer at a time: none while an answer is still going out. */
static void run_lines(struct loop *L, struct client *c)
{
	while (!c->done && c->len == 0) {
		char *nl = memchr(c->buf, '\n', c->have);
		if (!nl) {
			if (c->have == OM_ADMIN_LINE_MAX) {
				answer(c, OM_ELENGTH, "line too long");
				c->done = 1;
				(void)out_flush(c);
			} else if (c->eof) {
				c->done = 1; /* a line without its newline is never run */
			}
			break;
		}
		*nl = '\0';
		size_t used = (size_t)(nl - c->buf) + 1;
		char why[512] = "";
		int rc;
		if (verb_allowed(c->verbs, c->buf)) {
			rc = L->o->exec(L->o->arg, c->buf, emit, c, why, sizeof(why));
		} else {
			log_refusal(L, c->uid, c->pid, "command-not-allowed", c->buf, strcspn(c->buf, " \t"));
			rc = OM_EPERM;
			snprintf(why, sizeof(why), "permission denied: command not allowed for this user");
		}
		answer(c, rc, why);
		/* the line may have carried a key (the HSS's K or OPc) */
		OPENSSL_cleanse(c->buf, used);
		memmove(c->buf, c->buf + used, c->have - used);
		c->have -= used;
		c->t0 = now_ms();
		if (out_flush(c) < 0)
			out_drop(c);
	}
}

static void on_readable(struct loop *L, struct client *c)
{
	while (!c->eof && c->have < OM_ADMIN_LINE_MAX) {
		ssize_t r = recv(c->fd, c->buf + c->have, OM_ADMIN_LINE_MAX - c->have, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0)
			c->eof = 1;
		else
			c->have += (size_t)r;
	}
	run_lines(L, c);
}

/*
 * A whole line within OM_ADMIN_TIMEOUT_S of the last answer (or of the connection), and each
 * answer out within as long: a per-recv timeout alone let a listed peer sending a byte every
 * few seconds hold the socket for ever. A partial line is answered OM_ETIMEOUT and not run; an
 * idle connection is closed (the link reconnects, admin_call.c).
 */
static void on_deadline(struct loop *L, struct client *c, int64_t now)
{
	if (now - c->t0 < OM_ADMIN_TIMEOUT_S * 1000LL)
		return;
	if (!c->len && !c->done) {
		/* a line that came while another client's command ran is on time: read it first */
		on_readable(L, c);
		if (now_ms() - c->t0 < OM_ADMIN_TIMEOUT_S * 1000LL)
			return;
	}
	if (c->len == 0 && c->have && !c->done) {
		answer(c, OM_ETIMEOUT, "line not complete within the deadline");
		(void)out_flush(c);
	}
	out_drop(c);
}

/* Serve until stop is readable (or, without a listener, until the last client is gone). */
static void serve_loop(struct loop *L, int lfd, int stop)
{
	struct pollfd pf[OM_ADMIN_CLIENTS_MAX + 2];
	for (;;) {
		/* drop the finished clients: answered and closed, or timed out */
		for (size_t i = 0; i < L->n;) {
			struct client *c = L->c[i];
			if (c->done && c->len == 0) {
				client_free(c);
				L->c[i] = L->c[--L->n];
			} else {
				i++;
			}
		}
		if (lfd < 0 && L->n == 0)
			return;
		nfds_t n = 0;
		int64_t now = now_ms(), wait = -1;
		if (lfd >= 0) {
			pf[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
			pf[n++] = (struct pollfd){ .fd = stop, .events = POLLIN };
		}
		for (size_t i = 0; i < L->n; i++) {
			struct client *c = L->c[i];
			pf[n++] = (struct pollfd){ .fd = c->fd, .events = c->len ? POLLOUT : POLLIN };
			int64_t left = c->t0 + OM_ADMIN_TIMEOUT_S * 1000LL - now;
			left = left < 0 ? 0 : left;
			wait = wait < 0 || left < wait ? left : wait;
		}
		int r = poll(pf, n, wait > INT32_MAX ? INT32_MAX : (int)wait);
		if (r < 0 && errno != EINTR)
			return;
		size_t first = 0;
		if (lfd >= 0) {
			if (pf[1].revents)
				return;
			first = 2;
		}
		now = now_ms();
		size_t had = L->n; /* clients admitted below are polled next round */
		for (size_t i = 0; r > 0 && i < had; i++) {
			struct client *c = L->c[i];
			short ev = pf[first + i].revents;
			if (c->len && ev) {
				int f = out_flush(c);
				if (f < 0)
					out_drop(c);
				else if (f == 0)
					run_lines(L, c); /* lines that came while the answer went out */
			} else if (ev) {
				on_readable(L, c);
			}
		}
		for (size_t i = 0; i < L->n; i++)
			on_deadline(L, L->c[i], now);
		/* the listen queue emptied (threats S.16): one accept a round let a local user's flood of refused
		 * connections fill it, and the callers' connects wait behind them */
		for (int k = 0; lfd >= 0 && r > 0 && (pf[0].revents & POLLIN) && k < ACCEPT_PER_ROUND; k++) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				break; /* EAGAIN: the queue is empty (the listener does not block) */
			admit(L, fd);
		}
	}
}

static void loop_init(struct loop *L, const struct om_admin_socket_opts *o, const struct allow *allow)
{
	memset(L, 0, sizeof(*L));
	L->o = o;
	L->allow = allow;
	snprintf(L->refused, sizeof(L->refused), "%s-refused", o->log_prefix);
}

static void loop_end(struct loop *L)
{
	for (size_t i = 0; i < L->n; i++)
		client_free(L->c[i]);
	L->n = 0;
}

void om_admin_socket_serve_client(const struct om_admin_socket_opts *o, int fd)
{
	struct loop L;
	loop_init(&L, o, NULL);
	/* the caller keeps fd: admit takes a copy */
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own >= 0)
		admit(&L, own);
	serve_loop(&L, -1, -1);
	loop_end(&L);
}

static void *serve(void *arg)
{
	struct om_admin_socket *s = arg;
	struct loop L;
	loop_init(&L, &s->o, s->allow.n ? &s->allow : NULL);
	serve_loop(&L, s->lfd, s->stop[0]);
	loop_end(&L);
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
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, allow.n ? 0666 : 0600) < 0 ||
	    listen(s->lfd, LISTEN_BACKLOG) < 0 || pipe(s->stop) < 0) {
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
