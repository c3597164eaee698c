/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>
#include <openmcim/nas.h>

#include "bearer.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"

enum tunnel_state { T_FREE, T_REQUEST, T_OPEN };

/*
 * One CONNECT from the device: reading its request, then relaying. Its
 * buffers (37 KiB) are taken when the device connects and given back when
 * the tunnel closes, not held by every bearer for its 16 tunnels: a bearer
 * was 590 KiB zeroed at each attach, whether its device ever used it or
 * not (issue 14: a third of the VNO's CPU in an attach storm, page faults
 * and memset).
 */
#define TUNNEL_MEM (BEARER_REQUEST_MAX + 1 + 2 * BEARER_BUF)
struct tunnel {
	enum tunnel_state state;
	int dev, up;           /* device side, upstream side (-1 when none) */
	bool dev_eof, up_eof;  /* that side sent FIN */
	size_t req_len;
	char *req;             /* BEARER_REQUEST_MAX + 1, in mem */
	size_t d2u_len, u2d_len; /* bytes waiting: device->upstream, upstream->device */
	uint8_t *d2u, *u2d;    /* BEARER_BUF each, in mem */
	uint8_t *mem;          /* TUNNEL_MEM while the tunnel is not T_FREE */
};

struct vno_bearer {
	const struct vno_apn *apn;
	char imsi[OM_NAS_IMSI_MAX + 1];
	char key_hex[2 * OM_RADIO_BEARER_KEY_LEN + 1]; /* secret: the credential a CONNECT must carry */
	int lfd;
	int stop[2]; /* a byte on stop[1] ends the loop */
	pthread_t thread;
	struct tunnel t[BEARER_MAX_TUNNELS];
};

static void tunnel_free(struct tunnel *t)
{
	if (t->dev >= 0)
		close(t->dev);
	if (t->up >= 0)
		close(t->up);
	t->state = T_FREE;
	t->dev = t->up = -1;
	if (t->mem)
		OPENSSL_cleanse(t->req, BEARER_REQUEST_MAX + 1); /* the key may be in an unfinished request */
	free(t->mem);
	t->mem = NULL;
	t->req = NULL;
	t->d2u = t->u2d = NULL;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void reply(int fd, const char *status)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
	(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/* A relay forwards what it reads at once: Nagle would hold a TLS record back for the peer's delayed ACK. */
static void no_delay(int fd)
{
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Connect to host:port (name or address), blocking: the lab's hosts are on loopback. */
static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int fd = -1;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	no_delay(fd);
	return fd;
}

/*
 * The request is complete ("\r\n\r\n" seen): check it is "CONNECT host:port
 * HTTP/1.x" for an allowed target, then open the tunnel. Anything else is
 * answered and closed. Bytes after the headers are kept for upstream.
 */
/*
 * Whether the headers (after the request line, up to the blank line) carry
 * OM_RADIO_BEARER_AUTH with this bearer's key: the device learned it over its
 * own radio link only (mme.c, the LAB frame), as a real UE's user plane is
 * its radio bearer's. Compared in constant time.
 */
static bool carries_key(const struct vno_bearer *b, const char *headers)
{
	static const char name[] = OM_RADIO_BEARER_AUTH;
	const size_t klen = sizeof(b->key_hex) - 1;
	for (const char *h = headers; h && *h && strncmp(h, "\r\n", 2); h = strstr(h, "\r\n"), h = h ? h + 2 : NULL) {
		if (strncasecmp(h, name, sizeof(name) - 1))
			continue;
		const char *v = h + sizeof(name) - 1;
		const char *eol = strstr(v, "\r\n");
		return eol && (size_t)(eol - v) == klen && CRYPTO_memcmp(v, b->key_hex, klen) == 0;
	}
	return false;
}

static void handle_request(struct vno_bearer *b, struct tunnel *t, size_t hdr_end)
{
	char method[16], target[300], version[16];
	char *line_end = strstr(t->req, "\r\n");
	*line_end = '\0';
	if (!carries_key(b, line_end + 2)) {
		/* Not the device's link: no tunnel, nothing relayed or logged as its traffic. */
		om_notice("bearer-refused", "bearer=%s reason=not-the-device", b->imsi);
		reply(t->dev, "407 Proxy Authentication Required");
		goto close;
	}
	if (sscanf(t->req, "%15s %299s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7)) {
		om_notice("bearer-refused", "imsi=%s apn=%s reason=malformed-request", b->imsi, b->apn->name);
		reply(t->dev, "400 Bad Request");
		goto close;
	}
	if (strcmp(method, "CONNECT")) {
		om_notice("bearer-refused", "imsi=%s apn=%s reason=method method=%s", b->imsi, b->apn->name, method);
		reply(t->dev, "405 Method Not Allowed");
		goto close;
	}
	char *colon = strrchr(target, ':'), *end = NULL;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (!colon || colon == target || !end || *end || port == 0 || port > 65535 || colon[1] == '-') {
		om_notice("bearer-refused", "imsi=%s apn=%s reason=bad-target", b->imsi, b->apn->name);
		reply(t->dev, "400 Bad Request");
		goto close;
	}
	*colon = '\0';
	if (!vno_apn_allows(b->apn, target, (uint16_t)port)) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s:%lu reason=not-in-apn", b->imsi,
			  b->apn->name, target, port);
		reply(t->dev, "403 Forbidden");
		goto close;
	}
	if ((t->up = dial(target, colon + 1)) < 0) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s:%lu reason=unreachable", b->imsi,
			  b->apn->name, target, port);
		reply(t->dev, "502 Bad Gateway");
		goto close;
	}
	set_nonblock(t->up);
	static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
	memcpy(t->u2d, ok, sizeof(ok) - 1);
	t->u2d_len = sizeof(ok) - 1;
	t->d2u_len = t->req_len - hdr_end;
	memcpy(t->d2u, t->req + hdr_end, t->d2u_len);
	t->state = T_OPEN;
	om_info("bearer-tunnel", "imsi=%s apn=%s target=%s:%lu", b->imsi, b->apn->name, target, port);
	OPENSSL_cleanse(t->req, BEARER_REQUEST_MAX + 1); /* the key came in the headers */
	return;
close:
	OPENSSL_cleanse(t->req, BEARER_REQUEST_MAX + 1);
	tunnel_free(t);
}

static void read_request(struct vno_bearer *b, struct tunnel *t)
{
	ssize_t r = recv(t->dev, t->req + t->req_len, BEARER_REQUEST_MAX - t->req_len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		tunnel_free(t);
		return;
	}
	t->req_len += (size_t)r;
	t->req[t->req_len] = '\0';
	char *end = strstr(t->req, "\r\n\r\n");
	if (end) {
		handle_request(b, t, (size_t)(end + 4 - t->req));
	} else if (t->req_len == BEARER_REQUEST_MAX || memchr(t->req, '\0', t->req_len)) {
		om_notice("bearer-refused", "imsi=%s apn=%s reason=request-too-long", b->imsi, b->apn->name);
		reply(t->dev, "431 Request Header Fields Too Large");
		tunnel_free(t);
	}
}

/* Move bytes from fd into buf (bounded); 0 on EOF sets *eof. -1 on error. */
static int pull(int fd, uint8_t *buf, size_t *len, bool *eof)
{
	ssize_t r = recv(fd, buf + *len, BEARER_BUF - *len, 0);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0)
		*eof = true;
	*len += (size_t)r;
	return 0;
}

static int push(int fd, uint8_t *buf, size_t *len)
{
	ssize_t w = send(fd, buf, *len, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(buf, buf + w, *len - (size_t)w);
	*len -= (size_t)w;
	return 0;
}

static void relay(struct tunnel *t, short dev_rev, short up_rev)
{
	int bad = 0;
	if (dev_rev & (POLLIN | POLLHUP))
		bad |= pull(t->dev, t->d2u, &t->d2u_len, &t->dev_eof);
	if (up_rev & (POLLIN | POLLHUP))
		bad |= pull(t->up, t->u2d, &t->u2d_len, &t->up_eof);
	if (t->d2u_len && (up_rev & POLLOUT))
		bad |= push(t->up, t->d2u, &t->d2u_len);
	if (t->u2d_len && (dev_rev & POLLOUT))
		bad |= push(t->dev, t->u2d, &t->u2d_len);
	if ((dev_rev | up_rev) & POLLERR)
		bad = -1;
	/* Half-close: pass a FIN on once what came before it has gone. */
	if (t->dev_eof && !t->d2u_len)
		shutdown(t->up, SHUT_WR);
	if (t->up_eof && !t->u2d_len)
		shutdown(t->dev, SHUT_WR);
	if (bad || (t->dev_eof && t->up_eof && !t->d2u_len && !t->u2d_len))
		tunnel_free(t);
}

static void accept_one(struct vno_bearer *b)
{
	int fd = accept(b->lfd, NULL, NULL);
	if (fd < 0)
		return;
	for (size_t i = 0; i < BEARER_MAX_TUNNELS; i++) {
		struct tunnel *t = &b->t[i];
		if (t->state == T_FREE) {
			if (!(t->mem = malloc(TUNNEL_MEM))) {
				om_notice("bearer-refused", "imsi=%s reason=out-of-memory", b->imsi);
				reply(fd, "503 Service Unavailable");
				close(fd);
				return;
			}
			t->req = (char *)t->mem;
			t->d2u = t->mem + BEARER_REQUEST_MAX + 1;
			t->u2d = t->d2u + BEARER_BUF;
			set_nonblock(fd);
			no_delay(fd);
			t->state = T_REQUEST;
			t->dev = fd;
			t->up = -1;
			t->dev_eof = t->up_eof = false;
			t->req_len = t->d2u_len = t->u2d_len = 0;
			return;
		}
	}
	om_notice("bearer-refused", "imsi=%s reason=too-many-tunnels max=%d", b->imsi, BEARER_MAX_TUNNELS);
	reply(fd, "503 Service Unavailable");
	close(fd);
}

static void *loop(void *arg)
{
	struct vno_bearer *b = arg;
	struct pollfd p[2 + 2 * BEARER_MAX_TUNNELS];
	for (;;) {
		size_t n = 0;
		p[n++] = (struct pollfd){.fd = b->stop[0], .events = POLLIN};
		p[n++] = (struct pollfd){.fd = b->lfd, .events = POLLIN};
		for (size_t i = 0; i < BEARER_MAX_TUNNELS; i++) {
			struct tunnel *t = &b->t[i];
			short de = 0, ue = 0;
			if (t->state == T_REQUEST)
				de = POLLIN;
			if (t->state == T_OPEN) {
				de = (short)((t->dev_eof || t->d2u_len == BEARER_BUF ? 0 : POLLIN) |
					     (t->u2d_len ? POLLOUT : 0));
				ue = (short)((t->up_eof || t->u2d_len == BEARER_BUF ? 0 : POLLIN) |
					     (t->d2u_len ? POLLOUT : 0));
			}
			p[n++] = (struct pollfd){.fd = t->state == T_FREE ? -1 : t->dev, .events = de};
			p[n++] = (struct pollfd){.fd = t->state == T_OPEN ? t->up : -1, .events = ue};
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			accept_one(b);
		for (size_t i = 0; i < BEARER_MAX_TUNNELS; i++) {
			struct tunnel *t = &b->t[i];
			short dr = p[2 + 2 * i].revents, ur = p[3 + 2 * i].revents;
			if (p[2 + 2 * i].fd < 0 || p[2 + 2 * i].fd != t->dev)
				continue; /* freed or reused by accept_one() in this round */
			if (t->state == T_REQUEST && dr)
				read_request(b, t);
			else if (t->state == T_OPEN && (dr || ur))
				relay(t, dr, ur);
		}
	}
	return NULL;
}

/* Bearers open now (docs/operate.md "Metrics"): one per attached device. */
static struct om_metric m_bearers = OM_GAUGE("openmcim_vno_bearers", "Bearers open (one per attached device)", NULL);

struct vno_bearer *bearer_open(const struct vno_apn *apn, const char *imsi,
			       const uint8_t key[static OM_RADIO_BEARER_KEY_LEN], uint16_t *port)
{
	struct vno_bearer *b = calloc(1, sizeof(*b));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (!b) {
		om_error("bearer-error", "imsi=%s reason=out-of-memory", imsi);
		return NULL;
	}
	b->apn = apn;
	snprintf(b->imsi, sizeof(b->imsi), "%s", imsi);
	om_hex_encode(b->key_hex, key, OM_RADIO_BEARER_KEY_LEN);
	b->lfd = b->stop[0] = b->stop[1] = -1;
	for (size_t i = 0; i < BEARER_MAX_TUNNELS; i++)
		b->t[i].dev = b->t[i].up = -1;
	if (vno_listener_open(&b->lfd, b->stop, &sa, 16, 0) < 0) {
		om_error("bearer-error", "imsi=%s reason=\"socket: %s\"", imsi, strerror(errno));
		goto fail;
	}
	set_nonblock(b->lfd);
	if (pthread_create(&b->thread, NULL, loop, b)) {
		om_error("bearer-error", "imsi=%s reason=thread", imsi);
		goto fail;
	}
	*port = ntohs(sa.sin_port);
	om_metric_gauge_add(&m_bearers, NULL, 1);
	return b;
fail:
	vno_listener_close(b->lfd, b->stop);
	OPENSSL_cleanse(b->key_hex, sizeof(b->key_hex));
	free(b);
	return NULL;
}

void bearer_close(struct vno_bearer *b)
{
	if (!b)
		return;
	vno_listener_stop(b->stop, b->thread);
	for (size_t i = 0; i < BEARER_MAX_TUNNELS; i++)
		if (b->t[i].state != T_FREE)
			tunnel_free(&b->t[i]);
	vno_listener_close(b->lfd, b->stop);
	OPENSSL_cleanse(b->key_hex, sizeof(b->key_hex));
	free(b);
	om_metric_gauge_add(&m_bearers, NULL, -1);
}
