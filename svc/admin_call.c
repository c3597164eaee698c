/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket's client side (admin_call.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

static int send_by(struct om_admin_conn *c, const char *line, int64_t deadline)
{
	size_t len = strlen(line);
	for (size_t off = 0; off < len;) {
		int r = wait_fd(c->fd, POLLOUT, deadline);
		if (r < 0)
			return r;
		ssize_t w = send(c->fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
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
	if ((rc = send_by(&c, line, deadline)) == 0) {
		shutdown(c.fd, SHUT_WR);
		rc = answer_by(&c, deadline, on_data, ctx, res);
	}
	om_admin_close(&c);
	return rc;
}

int om_admin_peer_call(const struct om_admin_peer *p, const char *line, om_admin_emit on_data, void *ctx, char *why,
		       size_t why_len)
{
	struct om_admin_result res;
	int rc = om_admin_call(p->path, line, p->timeout_ms, on_data, ctx, &res);
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
