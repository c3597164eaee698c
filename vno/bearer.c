/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One CONNECT proxy for every bearer (bearer.h). Threads: the loop thread
 * owns the listener, every connection and every tunnel; bearer_open() and
 * bearer_close() come from the MME's threads and meet the loop under
 * proxy.lock, which guards the key table, each bearer's list of tunnels and
 * the list of bearers waiting for the loop to close their tunnels.
 *
 * A connection is "pending" from its accept until its request names an open
 * bearer by key: at most BEARER_PENDING_MAX of them (a newcomer closes the
 * oldest), each closed BEARER_REQUEST_MS after its accept if its request is
 * not whole by then. Then it is its bearer's (at most BEARER_MAX_TUNNELS).
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <openmcim/hex.h>
#include <openmcim/nas.h>

#include "bearer.h"
#include "log.h"
#include "metrics.h"

#define BUCKETS (1u << 16)  /* bearers by key: chains of about 1.5 at 100,000 */
#define SWEEP_MS 250        /* how often the pending requests' deadline is looked at */
#define PUMP_ROUNDS 64      /* a busy tunnel yields to the others after this many */
#define ACCEPT_BATCH 64
#define LOG_BURST 10        /* refusal lines a second (svc/log.h); anyone local can cause them */

enum tunnel_state { T_REQUEST, T_RESOLVING, T_DIALING, T_OPEN };

/*
 * A name lookup under way for a tunnel (allow = *). libevent calls its
 * callback exactly once, also after a cancel (EVUTIL_EAI_CANCEL), and maybe
 * before evdns_getaddrinfo returns: the ticket, not the tunnel, is what it
 * gets, and t is NULL once the tunnel is gone.
 */
struct resolving {
	struct tunnel *t;
	struct evdns_getaddrinfo_request *req;
};

struct tunnel {
	enum tunnel_state state;
	int dev, up;                 /* device side, upstream side (-1 when none) */
	bool dev_eof, up_eof;        /* that side sent FIN */
	bool dev_shut, up_shut;      /* we passed a FIN on to it */
	struct event *ev_dev, *ev_up; /* edge-triggered, read and write */
	struct event *ev_resolved;   /* T_RESOLVING: the lookup's end, run from the loop */
	struct resolving *rs;        /* T_RESOLVING: the lookup under way */
	struct in_addr resolved;     /* its answer (INADDR_ANY: none) */
	uint16_t port;               /* the CONNECT's port */
	long long accepted_ms;
	long long active_ms;         /* T_OPEN: when a byte last moved either way */
	struct vno_bearer *b;        /* once its key named it (under proxy.lock) */
	struct tunnel *prev, *next;  /* the pending list, or b's tunnels */
	size_t req_len, d2u_len, u2d_len;
	struct bearer_scan scan;     /* T_REQUEST: how far the request has been looked at */
	uint8_t *d2u, *u2d;          /* BEARER_BUF each, one allocation, from the dial on */
	char target[300];            /* host:port, for the log */
	char req[BEARER_REQUEST_MAX];     /* may hold the key: cleansed when done */
};

struct vno_bearer {
	const struct vno_apn *apn;
	char imsi[OM_NAS_IMSI_MAX + 1];
	uint8_t key[OM_RADIO_BEARER_KEY_LEN]; /* secret: what a CONNECT must carry */
	uint32_t bucket;
	struct vno_bearer *hnext;    /* in its bucket */
	struct tunnel *tunnels;      /* its tunnels */
	unsigned n_tunnels;
	bool closing;                /* bearer_close() waits for its tunnels to go */
	struct vno_bearer *cnext;    /* on proxy.closing */
};

struct proxy {
	pthread_mutex_t lock;
	pthread_cond_t drained;      /* a closing bearer's last tunnel went */
	struct vno_bearer **table;   /* BUCKETS chains */
	uint8_t hash_key[32];        /* secret: a key's bucket says nothing about the key */
	struct vno_bearer *closing;  /* bearers whose tunnels the loop must close */
	int lfd, wake[2];
	uint16_t port;
	struct event_base *base;
	struct evdns_base *dns;      /* names under allow = *, looked up without blocking the loop */
	struct event *ev_listen, *ev_wake, *ev_sweep, *ev_relisten;
	pthread_t thread;
	/* the loop thread's alone */
	struct tunnel *pend_head, *pend_tail; /* oldest first */
	unsigned n_pending;
	struct om_log_limit lim;
};

static struct proxy *proxy;
static pthread_mutex_t proxy_start_lock = PTHREAD_MUTEX_INITIALIZER;

/* Bearers open now (docs/operate.md "Metrics"): one per attached device. */
static struct om_metric m_bearers = OM_GAUGE("openmcim_vno_bearers", "Bearers open (one per attached device)", NULL);

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bucket of key: a keyed digest, so neither its choice nor the time a lookup takes tells a key's bits. */
static uint32_t bucket_of(const struct proxy *p, const uint8_t key[static OM_RADIO_BEARER_KEY_LEN])
{
	uint8_t in[sizeof(p->hash_key) + OM_RADIO_BEARER_KEY_LEN], md[32];
	unsigned int mdlen = 0;
	memcpy(in, p->hash_key, sizeof(p->hash_key));
	memcpy(in + sizeof(p->hash_key), key, OM_RADIO_BEARER_KEY_LEN);
	if (EVP_Digest(in, sizeof(in), md, &mdlen, EVP_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md)); /* one bucket for all: slower, never wrong */
	OPENSSL_cleanse(in, sizeof(in));
	uint32_t h = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
	OPENSSL_cleanse(md, sizeof(md));
	return h & (BUCKETS - 1);
}

/* The open bearer whose key this is, compared in constant time. Under p->lock. */
static struct vno_bearer *lookup(const struct proxy *p, const uint8_t key[static OM_RADIO_BEARER_KEY_LEN])
{
	struct vno_bearer *found = NULL;
	for (struct vno_bearer *b = p->table[bucket_of(p, key)]; b; b = b->hnext)
		if (CRYPTO_memcmp(b->key, key, OM_RADIO_BEARER_KEY_LEN) == 0)
			found = b;
	return found;
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
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * A refusal of a connection that named no bearer: anyone local can cause
 * them, so at most LOG_BURST lines a second (the loop thread's limit). A
 * bearer's own refusals (its device's requests) are each logged.
 */
#define REFUSED(p, fmt, ...)                                                                               \
	do {                                                                                               \
		unsigned long dropped_;                                                                    \
		if (om_log_limit_pass(&(p)->lim, LOG_BURST, &dropped_))                                    \
			om_notice("bearer-refused", fmt " suppressed=%lu", __VA_ARGS__, dropped_);         \
	} while (0)

/* Take t off the pending list (connections whose request named no bearer yet). */
static void pending_unlink(struct proxy *p, struct tunnel *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		p->pend_head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		p->pend_tail = t->prev;
	p->n_pending--;
}

/* Close t and free it; its bearer's count drops. Under p->lock when t has a bearer. */
static void tunnel_close_locked(struct proxy *p, struct tunnel *t)
{
	if (t->b) {
		if (t->prev)
			t->prev->next = t->next;
		else
			t->b->tunnels = t->next;
		if (t->next)
			t->next->prev = t->prev;
		if (--t->b->n_tunnels == 0 && t->b->closing)
			pthread_cond_broadcast(&p->drained);
	} else {
		pending_unlink(p, t);
	}
	if (t->rs) {
		/* The callback frees the ticket, now or later, and touches no tunnel. */
		struct resolving *rs = t->rs;
		t->rs = NULL;
		rs->t = NULL;
		if (rs->req)
			evdns_getaddrinfo_cancel(rs->req);
	}
	if (t->ev_resolved)
		event_free(t->ev_resolved);
	if (t->ev_dev)
		event_free(t->ev_dev);
	if (t->ev_up)
		event_free(t->ev_up);
	if (t->dev >= 0)
		close(t->dev);
	if (t->up >= 0)
		close(t->up);
	OPENSSL_cleanse(t->req, sizeof(t->req)); /* the key may be in an unfinished request */
	free(t->d2u);
	free(t);
}

static void tunnel_close(struct proxy *p, struct tunnel *t)
{
	bool locked = t->b != NULL;
	if (locked)
		pthread_mutex_lock(&p->lock);
	tunnel_close_locked(p, t);
	if (locked)
		pthread_mutex_unlock(&p->lock);
}

/*
 * Move bytes both ways until nothing moves (the events are edge-triggered:
 * what is not read now is not announced again). A FIN is passed on once
 * what came before it has gone. After PUMP_ROUNDS the tunnel yields and
 * is run again at once.
 */
static void pump(struct proxy *p, struct tunnel *t)
{
	bool any = false;
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		bool moved = false, bad = false;
		ssize_t r;
		if (!t->dev_eof && t->d2u_len < BEARER_BUF) {
			r = recv(t->dev, t->d2u + t->d2u_len, BEARER_BUF - t->d2u_len, 0);
			if (r > 0)
				t->d2u_len += (size_t)r;
			else if (r == 0)
				t->dev_eof = true;
			bad |= r < 0 && errno != EAGAIN && errno != EINTR;
			moved |= r >= 0;
		}
		if (!t->up_eof && t->u2d_len < BEARER_BUF) {
			r = recv(t->up, t->u2d + t->u2d_len, BEARER_BUF - t->u2d_len, 0);
			if (r > 0)
				t->u2d_len += (size_t)r;
			else if (r == 0)
				t->up_eof = true;
			bad |= r < 0 && errno != EAGAIN && errno != EINTR;
			moved |= r >= 0;
		}
		if (t->d2u_len) {
			r = send(t->up, t->d2u, t->d2u_len, MSG_NOSIGNAL);
			if (r > 0) {
				memmove(t->d2u, t->d2u + r, t->d2u_len - (size_t)r);
				t->d2u_len -= (size_t)r;
			}
			bad |= r < 0 && errno != EAGAIN && errno != EINTR;
			moved |= r > 0;
		}
		if (t->u2d_len) {
			r = send(t->dev, t->u2d, t->u2d_len, MSG_NOSIGNAL);
			if (r > 0) {
				memmove(t->u2d, t->u2d + r, t->u2d_len - (size_t)r);
				t->u2d_len -= (size_t)r;
			}
			bad |= r < 0 && errno != EAGAIN && errno != EINTR;
			moved |= r > 0;
		}
		if (t->dev_eof && !t->d2u_len && !t->up_shut) {
			shutdown(t->up, SHUT_WR);
			t->up_shut = true;
		}
		if (t->up_eof && !t->u2d_len && !t->dev_shut) {
			shutdown(t->dev, SHUT_WR);
			t->dev_shut = true;
		}
		if (bad || (t->dev_eof && t->up_eof && !t->d2u_len && !t->u2d_len)) {
			tunnel_close(p, t);
			return;
		}
		if (!moved) {
			if (any)
				t->active_ms = now_ms();
			return;
		}
		any = true;
	}
	t->active_ms = now_ms();
	event_active(t->ev_dev, EV_READ, 0);
}

/* How long t may be open with no byte either way (its APN's tunnel_idle_s). */
static unsigned idle_s(const struct tunnel *t)
{
	return t->b->apn->tunnel_idle_s ? t->b->apn->tunnel_idle_s : VNO_TUNNEL_IDLE_S_DEFAULT;
}

/*
 * An open tunnel's timer (ev_up's timeout, which libevent also moves on
 * upstream activity): closed when nothing moved either way for idle_s,
 * else the timer set for the rest of that time. One look per idle period,
 * no walk of every tunnel.
 */
static void idle_check(struct proxy *p, struct tunnel *t)
{
	long long quiet = now_ms() - t->active_ms, limit = (long long)idle_s(t) * 1000;
	if (quiet >= limit) {
		om_info("bearer-idle-closed", "imsi=%s apn=%s target=%s idle_s=%u", t->b->imsi, t->b->apn->name,
			t->target, idle_s(t));
		tunnel_close(p, t);
		return;
	}
	long long left = limit - quiet;
	struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
	if (event_del(t->ev_up) < 0 || event_add(t->ev_up, &tv) < 0)
		tunnel_close(p, t);
}

/* The upstream connection is up: the device gets its 200 and the bytes start moving. */
static void tunnel_open(struct proxy *p, struct tunnel *t)
{
	static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
	memcpy(t->u2d, ok, sizeof(ok) - 1);
	t->u2d_len = sizeof(ok) - 1;
	t->state = T_OPEN;
	t->active_ms = now_ms();
	/* the dial's deadline off, the idle one on (event_del first: re-adding a pending event may keep its old
	 * timeout) */
	struct timeval idle = {(time_t)idle_s(t), 0};
	if (event_del(t->ev_up) < 0 || event_add(t->ev_up, &idle) < 0) {
		reply(t->dev, "503 Service Unavailable");
		tunnel_close(p, t);
		return;
	}
	om_info("bearer-tunnel", "imsi=%s apn=%s target=%s", t->b->imsi, t->b->apn->name, t->target);
	pump(p, t);
}

static void on_up(evutil_socket_t fd, short what, void *arg);
static int dial_addr(struct proxy *p, struct tunnel *t, struct in_addr addr, uint16_t port);

static void on_lookup(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolving *rs = arg;
	struct tunnel *t = rs->t;
	if (t) {
		t->rs = NULL;
		t->resolved.s_addr = INADDR_ANY;
		if (result == 0 && res && res->ai_family == AF_INET)
			t->resolved = ((const struct sockaddr_in *)res->ai_addr)->sin_addr;
		event_active(t->ev_resolved, 0, 0); /* on with the tunnel from the loop, not inside libevent's call */
	}
	if (res)
		evutil_freeaddrinfo(res);
	free(rs);
}

static void on_resolved(evutil_socket_t fd, short what, void *arg)
{
	struct tunnel *t = arg;
	struct proxy *p = proxy;
	(void)fd;
	(void)what;
	if (t->resolved.s_addr == INADDR_ANY) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=unresolved", t->b->imsi, t->b->apn->name,
			  t->target);
		reply(t->dev, "502 Bad Gateway");
		tunnel_close(p, t);
		return;
	}
	if (dial_addr(p, t, t->resolved, t->port) < 0)
		tunnel_close(p, t);
}

/*
 * Look a name up for a bearer under allow = * (the APN carries its devices
 * anywhere): with libevent's resolver on the loop, never getaddrinfo (it
 * blocks: one slow DNS answer would stall every tunnel). 0 under way, -1
 * refused (answered).
 */
static int lookup_name(struct proxy *p, struct tunnel *t, const char *host, uint16_t port)
{
	struct evutil_addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct resolving *rs = NULL;
	if (!p->dns) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=no-resolver", t->b->imsi, t->b->apn->name,
			  t->target);
		reply(t->dev, "502 Bad Gateway");
		return -1;
	}
	if (!(t->ev_resolved = event_new(p->base, -1, 0, on_resolved, t)) || !(rs = calloc(1, sizeof(*rs)))) {
		/* not the resolver's fault (review: it said no-resolver): ours, as the proxy's other allocations */
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=out-of-memory", t->b->imsi, t->b->apn->name,
			  t->target);
		reply(t->dev, "503 Service Unavailable");
		return -1;
	}
	rs->t = t;
	t->rs = rs;
	t->port = port;
	t->state = T_RESOLVING;
	struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(p->dns, host, NULL, &hints, on_lookup, rs);
	if (t->rs) /* not answered yet: the ticket lives until its callback */
		rs->req = req;
	return 0;
}

/*
 * Start the upstream connection to host:port, not blocking the loop: host is
 * an IPv4 literal, or an allow entry's name resolved at start
 * (vno_conf_resolve), or under allow = * a name looked up on the loop
 * (lookup_name). 0 under way, -1 refused (answered).
 */
static int dial(struct proxy *p, struct tunnel *t, const char *host, uint16_t port)
{
	struct in_addr addr;
	if (inet_pton(AF_INET, host, &addr) == 1)
		return dial_addr(p, t, addr, port);
	const struct vno_allow *a = vno_apn_match(t->b->apn, host, port);
	if (a && a->resolved)
		return dial_addr(p, t, a->addr, port);
	if (t->b->apn->any)
		return lookup_name(p, t, host, port);
	om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=name-not-configured", t->b->imsi, t->b->apn->name,
		  t->target);
	reply(t->dev, "502 Bad Gateway");
	return -1;
}

static int dial_addr(struct proxy *p, struct tunnel *t, struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr};
	t->up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc = t->up < 0 ? -1 : connect(t->up, (struct sockaddr *)&sa, sizeof(sa));
	int err = errno;
	if (rc < 0 && (t->up < 0 || err != EINPROGRESS))
		goto unreachable;
	no_delay(t->up);
	const struct timeval dial_by = { BEARER_CONNECT_MS / 1000, (BEARER_CONNECT_MS % 1000) * 1000 };
	if (!(t->ev_up = event_new(p->base, t->up, EV_READ | EV_WRITE | EV_PERSIST | EV_ET, on_up, t)) ||
	    event_add(t->ev_up, &dial_by) < 0) {
		reply(t->dev, "503 Service Unavailable");
		return -1;
	}
	t->state = T_DIALING;
	if (rc == 0)
		tunnel_open(p, t);
	return 0;
unreachable:
	om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=unreachable", t->b->imsi, t->b->apn->name, t->target);
	reply(t->dev, "502 Bad Gateway");
	return -1;
}

static void on_up(evutil_socket_t fd, short what, void *arg)
{
	struct tunnel *t = arg;
	struct proxy *p = proxy;
	if (t->state == T_OPEN) {
		if (what & EV_TIMEOUT)
			idle_check(p, t);
		else
			pump(p, t);
		return;
	}
	if (what & EV_TIMEOUT) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=connect-timeout ms=%d", t->b->imsi,
			  t->b->apn->name, t->target, BEARER_CONNECT_MS);
		reply(t->dev, "504 Gateway Timeout");
		tunnel_close(p, t);
		return;
	}
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=unreachable", t->b->imsi, t->b->apn->name, t->target);
		reply(t->dev, "502 Bad Gateway");
		tunnel_close(p, t);
		return;
	}
	tunnel_open(p, t);
}

/*
 * The request is whole (bearer_request_parse): its key must name an open
 * bearer (the device learned it over its own radio link only, mme.c, as a
 * real UE's user plane is its radio bearer's), then it must be "CONNECT
 * host:port HTTP/1.x" for a target the bearer's APN allows. Anything else
 * is answered and closed. Bytes after the headers are kept for upstream.
 */
static void handle_request(struct proxy *p, struct tunnel *t, struct bearer_request *r)
{
	pthread_mutex_lock(&p->lock);
	struct vno_bearer *b = r->have_key ? lookup(p, r->key) : NULL;
	OPENSSL_cleanse(r->key, sizeof(r->key));
	if (!b) {
		pthread_mutex_unlock(&p->lock);
		/* No open bearer's key: no tunnel, nothing relayed or logged as a device's traffic. */
		REFUSED(p, "reason=not-the-device key=%s", r->have_key ? "unknown" : "none");
		reply(t->dev, "407 Proxy Authentication Required");
		goto close;
	}
	if (b->n_tunnels == BEARER_MAX_TUNNELS) {
		pthread_mutex_unlock(&p->lock);
		om_notice("bearer-refused", "imsi=%s reason=too-many-tunnels max=%d", b->imsi, BEARER_MAX_TUNNELS);
		reply(t->dev, "503 Service Unavailable");
		goto close;
	}
	/* From the pending list to the bearer's: b stays until the loop (this thread) closes t. */
	pending_unlink(p, t);
	t->prev = NULL;
	t->next = b->tunnels;
	if (b->tunnels)
		b->tunnels->prev = t;
	b->tunnels = t;
	b->n_tunnels++;
	t->b = b;
	pthread_mutex_unlock(&p->lock);

	switch (r->line) {
	case BEARER_REQ_OK:
		break;
	case BEARER_REQ_METHOD: /* printable, no space: bearer_request.c */
		om_notice("bearer-refused", "imsi=%s apn=%s reason=method method=%s", b->imsi, b->apn->name, r->method);
		reply(t->dev, bearer_req_status(r->line));
		goto close;
	case BEARER_REQ_BAD_TARGET:
		om_notice("bearer-refused", "imsi=%s apn=%s reason=bad-target", b->imsi, b->apn->name);
		reply(t->dev, bearer_req_status(r->line));
		goto close;
	default:
		om_notice("bearer-refused", "imsi=%s apn=%s reason=malformed-request", b->imsi, b->apn->name);
		reply(t->dev, bearer_req_status(r->line));
		goto close;
	}
	snprintf(t->target, sizeof(t->target), "%s", r->target);
	if (!vno_apn_allows(b->apn, r->host, r->port_num)) {
		om_notice("bearer-refused", "imsi=%s apn=%s target=%s reason=not-in-apn", b->imsi, b->apn->name, t->target);
		reply(t->dev, "403 Forbidden");
		goto close;
	}
	if (!(t->d2u = malloc(2 * BEARER_BUF))) {
		om_notice("bearer-refused", "imsi=%s reason=out-of-memory", b->imsi);
		reply(t->dev, "503 Service Unavailable");
		goto close;
	}
	t->u2d = t->d2u + BEARER_BUF;
	t->d2u_len = t->req_len - r->hdr_end;
	memcpy(t->d2u, t->req + r->hdr_end, t->d2u_len);
	OPENSSL_cleanse(t->req, sizeof(t->req)); /* the key came in the headers */
	if (dial(p, t, r->host, r->port_num) < 0)
		goto close;
	return;
close:
	tunnel_close(p, t);
}

/* Read the request until it is whole, refused, or the socket is dry. */
static void read_request(struct proxy *p, struct tunnel *t)
{
	for (;;) {
		ssize_t r = recv(t->dev, t->req + t->req_len, BEARER_REQUEST_MAX - t->req_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			tunnel_close(p, t);
			return;
		}
		t->req_len += (size_t)r;
		/* Only the new octets are looked at; the request is parsed once, whole (review: it was parsed
		 * anew on every read, quadratic in a request sent in small pieces). */
		enum bearer_req_verdict v = bearer_request_scan(&t->scan, t->req, t->req_len);
		struct bearer_request req;
		if (v == BEARER_REQ_OK)
			v = bearer_request_parse(t->req, t->req_len, &req);
		switch (v) {
		case BEARER_REQ_MORE:
			continue;
		case BEARER_REQ_OK:
			handle_request(p, t, &req);
			OPENSSL_cleanse(&req, sizeof(req));
			return;
		case BEARER_REQ_TOO_LONG:
			REFUSED(p, "reason=request-too-long max=%d headers-max=%d", BEARER_REQUEST_MAX, BEARER_HEADERS_MAX);
			break;
		default:
			REFUSED(p, "reason=%s", "bad-bytes");
			break;
		}
		reply(t->dev, bearer_req_status(v));
		tunnel_close(p, t);
		return;
	}
}

static void on_dev(evutil_socket_t fd, short what, void *arg)
{
	struct tunnel *t = arg;
	(void)fd;
	(void)what;
	if (t->state == T_REQUEST)
		read_request(proxy, t);
	else if (t->state == T_OPEN)
		pump(proxy, t);
	/* T_RESOLVING, T_DIALING: what the device sends waits in its socket; tunnel_open() pumps it. */
}

static void accept_one(struct proxy *p, int fd)
{
	if (p->n_pending == BEARER_PENDING_MAX) {
		/* A device sends its CONNECT at once: the oldest pending is the likeliest idler. */
		REFUSED(p, "reason=pending-evicted pending=%u", p->n_pending);
		tunnel_close(p, p->pend_head);
	}
	struct tunnel *t = malloc(sizeof(*t));
	if (!t) {
		REFUSED(p, "reason=out-of-memory pending=%u", p->n_pending);
		reply(fd, "503 Service Unavailable");
		close(fd);
		return;
	}
	memset(t, 0, offsetof(struct tunnel, req));
	t->req[0] = '\0';
	t->dev = fd;
	t->up = -1;
	t->state = T_REQUEST;
	t->accepted_ms = now_ms();
	no_delay(fd);
	if (!(t->ev_dev = event_new(p->base, fd, EV_READ | EV_WRITE | EV_PERSIST | EV_ET, on_dev, t)) ||
	    event_add(t->ev_dev, NULL) < 0) {
		if (t->ev_dev)
			event_free(t->ev_dev);
		close(fd);
		free(t);
		return;
	}
	t->prev = p->pend_tail;
	if (p->pend_tail)
		p->pend_tail->next = t;
	else
		p->pend_head = t;
	p->pend_tail = t;
	p->n_pending++;
}

static void on_listen(evutil_socket_t lfd, short what, void *arg)
{
	struct proxy *p = arg;
	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(p, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
			/* The connection stays queued: listen again in 50 ms rather than spin on it. */
			unsigned long dropped;
			if (om_log_limit_pass(&p->lim, LOG_BURST, &dropped))
				om_error("bearer-accept-failed", "reason=\"%s\" suppressed=%lu", strerror(errno), dropped);
			struct timeval tv = {0, 50 * 1000};
			event_del(p->ev_listen);
			event_add(p->ev_relisten, &tv);
		}
		return;
	}
}

static void on_relisten(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *p = arg;
	(void)fd;
	(void)what;
	event_add(p->ev_listen, NULL);
}

/* Requests not whole BEARER_REQUEST_MS after their accept: closed, oldest first. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *p = arg;
	long long now = now_ms();
	(void)fd;
	(void)what;
	while (p->pend_head && now - p->pend_head->accepted_ms >= BEARER_REQUEST_MS) {
		REFUSED(p, "reason=request-timeout ms=%d", BEARER_REQUEST_MS);
		tunnel_close(p, p->pend_head);
	}
}

/* bearer_close() asks: close the tunnels of every bearer on the closing list. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *p = arg;
	char buf[64];
	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&p->lock);
	while (p->closing) {
		struct vno_bearer *b = p->closing;
		p->closing = b->cnext;
		b->cnext = NULL;
		while (b->tunnels)
			tunnel_close_locked(p, b->tunnels);
	}
	pthread_cond_broadcast(&p->drained);
	pthread_mutex_unlock(&p->lock);
}

static void *loop(void *arg)
{
	struct proxy *p = arg;
	event_base_dispatch(p->base);
	return NULL;
}

/* The process's proxy, started on first use. NULL (logged) when it cannot start. */
static struct proxy *proxy_get(void)
{
	pthread_mutex_lock(&proxy_start_lock);
	struct proxy *p = proxy;
	if (p) {
		pthread_mutex_unlock(&proxy_start_lock);
		return p;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct timeval sweep = {0, SWEEP_MS * 1000};
	if (!(p = calloc(1, sizeof(*p))) || !(p->table = calloc(BUCKETS, sizeof(*p->table))))
		goto fail;
	p->lfd = p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->drained, NULL);
	if (RAND_bytes(p->hash_key, sizeof(p->hash_key)) != 1)
		goto fail;
	if ((p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(p->lfd, 1024) < 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&sa, &sl) < 0 || pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) < 0)
		goto fail;
	p->port = ntohs(sa.sin_port);
	if (!(p->base = event_base_new()))
		goto fail;
	/* resolv.conf and the hosts file; without them names under allow = * get 502 (reason=no-resolver) */
	if (!(p->dns = evdns_base_new(p->base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE)))
		om_notice("bearer-proxy", "resolver=none reason=\"no resolver configuration: names under allow = * refused\"");
	else if (evdns_base_set_option(p->dns, "timeout:", "3") < 0 || evdns_base_set_option(p->dns, "attempts:", "2") < 0)
		goto fail; /* a lookup's deadline: two tries of 3 s */
	if (
	    !(p->ev_listen = event_new(p->base, p->lfd, EV_READ | EV_PERSIST, on_listen, p)) ||
	    !(p->ev_relisten = event_new(p->base, -1, 0, on_relisten, p)) ||
	    !(p->ev_wake = event_new(p->base, p->wake[0], EV_READ | EV_PERSIST, on_wake, p)) ||
	    !(p->ev_sweep = event_new(p->base, -1, EV_PERSIST, on_sweep, p)) || event_add(p->ev_listen, NULL) < 0 ||
	    event_add(p->ev_wake, NULL) < 0 || event_add(p->ev_sweep, &sweep) < 0)
		goto fail;
	if (pthread_create(&p->thread, NULL, loop, p))
		goto fail;
	proxy = p;
	pthread_mutex_unlock(&proxy_start_lock);
	om_info("bearer-proxy", "listen=127.0.0.1:%u tunnels_per_bearer=%d pending_max=%d request_ms=%d", p->port,
		BEARER_MAX_TUNNELS, BEARER_PENDING_MAX, BEARER_REQUEST_MS);
	return p;
fail:
	om_error("bearer-error", "reason=\"proxy: %s\"", strerror(errno));
	if (p) {
		if (p->dns)
			evdns_base_free(p->dns, 0);
		if (p->base)
			event_base_free(p->base); /* frees nothing it did not make; the events leak once */
		if (p->lfd >= 0)
			close(p->lfd);
		if (p->wake[0] >= 0) {
			close(p->wake[0]);
			close(p->wake[1]);
		}
		free(p->table);
		free(p);
	}
	pthread_mutex_unlock(&proxy_start_lock);
	return NULL;
}

struct vno_bearer *bearer_open(const struct vno_apn *apn, const char *imsi,
			       const uint8_t key[static OM_RADIO_BEARER_KEY_LEN], uint16_t *port)
{
	struct proxy *p = proxy_get();
	struct vno_bearer *b = p ? calloc(1, sizeof(*b)) : NULL;
	if (!b) {
		if (p)
			om_error("bearer-error", "imsi=%s reason=out-of-memory", imsi);
		return NULL;
	}
	b->apn = apn;
	snprintf(b->imsi, sizeof(b->imsi), "%s", imsi);
	memcpy(b->key, key, sizeof(b->key));
	b->bucket = bucket_of(p, key);
	pthread_mutex_lock(&p->lock);
	b->hnext = p->table[b->bucket];
	p->table[b->bucket] = b;
	pthread_mutex_unlock(&p->lock);
	*port = p->port;
	om_metric_gauge_add(&m_bearers, NULL, 1);
	return b;
}

void bearer_close(struct vno_bearer *b)
{
	struct proxy *p = proxy;
	if (!b)
		return;
	pthread_mutex_lock(&p->lock);
	struct vno_bearer **pp = &p->table[b->bucket];
	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
	if (b->n_tunnels) {
		b->closing = true;
		b->cnext = p->closing;
		p->closing = b;
		(void)!write(p->wake[1], "x", 1);
		while (b->n_tunnels)
			pthread_cond_wait(&p->drained, &p->lock);
		/* Its tunnels may have gone on their own before the loop took it off the list. */
		for (pp = &p->closing; *pp; pp = &(*pp)->cnext)
			if (*pp == b) {
				*pp = b->cnext;
				break;
			}
	}
	pthread_mutex_unlock(&p->lock);
	OPENSSL_cleanse(b->key, sizeof(b->key));
	free(b);
	om_metric_gauge_add(&m_bearers, NULL, -1);
}
