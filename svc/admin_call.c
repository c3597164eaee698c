/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket's client side (admin_call.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/base64.h>
#include <openmcim/err.h>

#include "admin_call.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();
	return l < 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int)l;
}

/* Wait for events on fd until deadline: 1 ready, OM_ETIMEOUT, OM_EIO. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = events };
		int r = poll(&pf, 1, left_ms(deadline));
		if (r > 0)
			return 1;
		if (r == 0)
			return OM_ETIMEOUT;
		if (errno != EINTR)
			return OM_EIO;
	}
}

int om_admin_parse_line(char *line, const char **data, struct om_admin_result *res)
{
	if (!strncmp(line, "data ", 5)) {
		*data = line + 5;
		return OM_ADMIN_LINE_DATA;
	}
	memset(res, 0, sizeof(*res));
	if (!strcmp(line, "ok")) {
		snprintf(res->name, sizeof(res->name), "ok");
		return OM_ADMIN_LINE_OK;
	}
	if (strncmp(line, "error OM_E", 10))
		return OM_EPROTO;
	char *name = line + 6, *sp = strchr(name, ' ');
	size_t n = sp ? (size_t)(sp - name) : strlen(name);
	if (n > OM_ADMIN_NAME_MAX)
		return OM_EPROTO;
	memcpy(res->name, name, n);
	res->name[n] = '\0';
	snprintf(res->reason, sizeof(res->reason), "%s", sp ? sp + 1 : "");
	res->code = om_errcode(res->name);
	if (res->code >= 0)
		res->code = OM_EPROTO; /* a code newer than this build: still an error */
	return OM_ADMIN_LINE_ERROR;
}

static int connect_by(struct om_admin_conn *c, const char *path, int64_t deadline)
{
	struct sockaddr_un sa;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return OM_EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return OM_EIO;
	/* a Unix connect waits while the listener's backlog is full: SO_SNDTIMEO bounds that wait */
	int ms = left_ms(deadline);
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 + (ms ? 0 : 1000) };
	int rc = 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		rc = OM_EIO;
	else if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = errno == EAGAIN || errno == EINPROGRESS || errno == ETIMEDOUT ? OM_ETIMEOUT : OM_EIO;
	else if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		rc = OM_EIO;
	if (rc < 0)
		om_admin_close(c);
	return rc;
}

/* A line is sent at once when the socket has room (nearly always): poll only when it has none (issue 14). */
static int send_by(struct om_admin_conn *c, const char *line, int64_t deadline)
{
	size_t len = strlen(line);
	for (size_t off = 0; off < len;) {
		ssize_t w = send(c->fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EAGAIN) {
			int r = wait_fd(c->fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OM_EIO;
		off += (size_t)w;
	}
	return 0;
}

static int answer_by(struct om_admin_conn *c, int64_t deadline, om_admin_emit on_data, void *ctx,
		     struct om_admin_result *res)
{
	for (;;) {
		memmove(c->buf, c->buf + c->used, c->have - c->used);
		c->have -= c->used;
		c->used = 0;
		char *nl = memchr(c->buf, '\n', c->have);
		if (!nl) {
			if (c->have == OM_ADMIN_LINE_MAX)
				return OM_EPROTO;
			int r = wait_fd(c->fd, POLLIN, deadline);
			if (r < 0)
				return r;
			ssize_t got = recv(c->fd, c->buf + c->have, OM_ADMIN_LINE_MAX - c->have, MSG_DONTWAIT);
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (got <= 0)
				return OM_EIO;
			c->have += (size_t)got;
			continue;
		}
		*nl = '\0';
		c->used = (size_t)(nl - c->buf) + 1;
		const char *data = NULL;
		int kind = om_admin_parse_line(c->buf, &data, res);
		if (kind < 0)
			return kind;
		if (kind != OM_ADMIN_LINE_DATA)
			return 0;
		if (on_data)
			on_data(ctx, data);
	}
}

/*
 * Send line and read its answer. A server that refuses a connection (too many, uid not
 * allowed) answers at once and closes: our send may then fail with EPIPE although the
 * refusal is already waiting to be read, so a failed send still reads what came.
 */
static int exchange(struct om_admin_conn *c, const char *line, int half_close, int64_t deadline,
		    om_admin_emit on_data, void *ctx, struct om_admin_result *res, int *sent)
{
	int rc = send_by(c, line, deadline);
	*sent = rc == 0;
	if (rc == 0 && half_close)
		shutdown(c->fd, SHUT_WR);
	if (rc != 0 && rc != OM_EIO)
		return rc;
	int a = answer_by(c, deadline, on_data, ctx, res);
	return rc == 0 || a == 0 ? a : rc;
}

int om_admin_connect(struct om_admin_conn *c, const char *path, int timeout_ms)
{
	return connect_by(c, path, now_ms() + timeout_ms);
}

int om_admin_send(struct om_admin_conn *c, const char *line, int timeout_ms)
{
	return send_by(c, line, now_ms() + timeout_ms);
}

int om_admin_answer(struct om_admin_conn *c, int timeout_ms, om_admin_emit on_data, void *ctx,
		    struct om_admin_result *res)
{
	return answer_by(c, now_ms() + timeout_ms, on_data, ctx, res);
}

void om_admin_close(struct om_admin_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	/* the answers read here carry secrets (the DRF's transfer codes, the SHO's DM
	 * credentials for its DPF): cleansed as the server side cleanses its buffer */
	OPENSSL_cleanse(c->buf, sizeof(c->buf));
	c->have = c->used = 0;
}

int om_admin_call(const char *path, const char *line, int timeout_ms, om_admin_emit on_data, void *ctx,
		  struct om_admin_result *res)
{
	struct om_admin_conn c;
	int64_t deadline = now_ms() + timeout_ms;
	int rc = connect_by(&c, path, deadline);
	if (rc < 0)
		return rc;
	int sent;
	rc = exchange(&c, line, 1, deadline, on_data, ctx, res, &sent);
	om_admin_close(&c);
	return rc;
}

struct om_admin_link {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct om_admin_conn *idle[OM_ADMIN_LINK_CONNS];
	int64_t since[OM_ADMIN_LINK_CONNS]; /* when each idle one's last answer came */
	size_t n_idle, open;                /* idle ones, and all (idle and in use) */
};

struct om_admin_link *om_admin_link_new(void)
{
	struct om_admin_link *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;
	if (!l)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	return l;
}

static void conn_free(struct om_admin_conn *c)
{
	om_admin_close(c);
	free(c);
}

void om_admin_link_free(struct om_admin_link *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_idle; i++)
		conn_free(l->idle[i]);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

/* An idle connection of l or room for a new one (*c NULL) within deadline: 0 or OM_ETIMEOUT. */
static int link_take(struct om_admin_link *l, int64_t deadline, struct om_admin_conn **c)
{
	struct timespec until = { .tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000 };
	int rc = 0;
	*c = NULL;
	pthread_mutex_lock(&l->mu);
	while (!l->n_idle && l->open >= OM_ADMIN_LINK_CONNS && rc == 0)
		if (pthread_cond_timedwait(&l->cv, &l->mu, &until) != 0 && now_ms() >= deadline)
			rc = OM_ETIMEOUT;
	if (rc == 0 && l->n_idle) {
		int64_t since = l->since[--l->n_idle];
		*c = l->idle[l->n_idle];
		if (now_ms() - since > OM_ADMIN_LINK_IDLE_MS) { /* the server may be closing it */
			conn_free(*c);
			*c = NULL;
		}
	} else if (rc == 0) {
		l->open++;
	}
	pthread_mutex_unlock(&l->mu);
	/* readable while idle: the daemon closed it (a restart) or spoke out of turn */
	struct pollfd pf = { .fd = *c ? (*c)->fd : -1, .events = POLLIN };
	if (*c && poll(&pf, 1, 0) != 0) {
		conn_free(*c);
		*c = NULL;
	}
	return rc;
}

/* Give c back after a call: kept when its call was answered (ok), else closed. */
static void link_give(struct om_admin_link *l, struct om_admin_conn *c, int ok)
{
	if (c && ok) {
		/* nothing of the answer (DM credentials, transfer codes) stays in the idle buffer */
		OPENSSL_cleanse(c->buf, sizeof(c->buf));
		c->have = c->used = 0;
	}
	pthread_mutex_lock(&l->mu);
	if (c && ok) {
		l->since[l->n_idle] = now_ms();
		l->idle[l->n_idle++] = c;
	} else {
		l->open--;
	}
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (c && !ok)
		conn_free(c);
}

static int link_call(struct om_admin_link *l, const char *path, const char *line, int timeout_ms,
		     om_admin_emit on_data, void *ctx, struct om_admin_result *res)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct om_admin_conn *c = NULL;
	int rc = link_take(l, deadline, &c);
	if (rc < 0)
		return rc;
	if (!c) {
		if (!(c = malloc(sizeof(*c)))) {
			link_give(l, NULL, 0);
			return OM_ENOMEM;
		}
		if ((rc = connect_by(c, path, deadline)) < 0) {
			free(c);
			link_give(l, NULL, 0);
			return rc;
		}
	}
	int sent;
	rc = exchange(c, line, 0, deadline, on_data, ctx, res, &sent);
	/* an answer with bytes after it is out of protocol, a refusal closed it: not reused */
	link_give(l, c, rc == 0 && sent && c->have == c->used);
	return rc;
}

int om_admin_peer_call(const struct om_admin_peer *p, const char *line, om_admin_emit on_data, void *ctx, char *why,
		       size_t why_len)
{
	struct om_admin_result res;
	int rc = p->link ? link_call(p->link, p->path, line, p->timeout_ms, on_data, ctx, &res)
			 : om_admin_call(p->path, line, p->timeout_ms, on_data, ctx, &res);
	if (rc < 0) {
		/* not running, hung, or not speaking the protocol: the caller answers "retry later" */
		snprintf(why, why_len, "%s: %s", p->path, om_strerror(rc));
		return OM_EUNAVAILABLE;
	}
	snprintf(why, why_len, "%s", res.reason);
	return res.code;
}

int om_admin_b64_put(char *out, size_t cap, const uint8_t *in, size_t len)
{
	if (len > INT32_MAX / 2 || om_base64_len(len) + 1 > cap)
		return OM_ELENGTH;
	om_base64_encode(in, len, out);
	return (int)om_base64_len(len);
}

int om_admin_b64_get(const char *text, uint8_t **out, size_t *len)
{
	int rc = om_base64_decode(text, strlen(text), INT32_MAX / 2, out, len);
	return rc == OM_EBASE64 || rc == OM_ELENGTH ? OM_EPROTO : rc;
}
