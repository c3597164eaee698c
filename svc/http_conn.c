/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-connection bounds of the HTTP server (http_server.h "Bounds"): how
 * many connections, how many from one address, and the deadlines for the
 * first byte, the whole request and an idle kept-alive link.
 *
 * evhttp 2.1 accepts by itself and has no per-connection hook before a
 * request is complete, so the server makes every connection's bufferevent
 * (evhttp_set_bevcb) and adopts the connection one loop turn later, when
 * evhttp has given it its socket and callbacks: the evhttp_connection is
 * the argument evhttp registered on the bufferevent (checked against
 * evhttp_connection_get_bufferevent before it is trusted), and its close
 * callback tells when evhttp frees it. A connection past a bound is
 * shut down (shutdown(2)): evhttp then reads end of file and frees it
 * through its own path, whatever state it was in.
 */
#define _GNU_SOURCE /* malloc_trim */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include "http_int.h"
#include "log.h"
#include "source_group.h"

enum conn_state {
	HC_NEW,      /* made, not adopted yet */
	HC_WAITING,  /* no byte of the next request yet: first_byte_ms, then idle_ms */
	HC_READING,  /* a request is arriving: request_ms from its first byte */
	HC_HANDLING, /* a handler has the request: no deadline here */
	HC_CLOSING,  /* shut down, evhttp frees it */
};

struct http_conn {
	struct http_conn *next, *prev;
	struct om_http_server *s;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;
	struct evbuffer_cb_entry *input_cb;
	struct event *deadline;
	enum conn_state state;
	int served; /* answered a request: waiting is idling now */
	char src[INET6_ADDRSTRLEN];
	char group[OM_SOURCE_GROUP_MAX]; /* src's group (an IPv6 /64): what the per-source cap counts */
};

static void set_deadline(struct http_conn *c, enum conn_state st, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	c->state = st;
	evtimer_add(c->deadline, &tv);
}

static void unlink_conn(struct http_conn *c)
{
	struct om_http_server *s = c->s;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->input_cb)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input_cb);
	event_free(c->deadline);
	free(c);
	/* the last connection gone: give freed buffers back to the system (RSS back near its baseline) */
	if (atomic_fetch_sub(&s->n_conns, 1) == 1 && s->trim_ev) {
		struct timeval soon = { 0, 100000 };
		evtimer_add(s->trim_ev, &soon);
	}
}

static void shut(struct http_conn *c, const char *why)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	unsigned long dropped = 0;
	if (om_log_limit_pass(&c->s->log_limit, 10, &dropped))
		om_notice("http-closed", "peer=%s reason=%s port=%u suppressed=%lu", c->src, why, (unsigned)c->s->port,
			  dropped);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	event_del(c->deadline);
	c->state = HC_CLOSING;
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	unlink_conn(arg);
}

/* The first byte of a request is in (any byte added while waiting). */
static void on_input(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;
	(void)b;
	if (info->n_added > 0 && c->state == HC_WAITING)
		set_deadline(c, HC_READING, c->s->lim.request_ms);
}

/* Connections served now (adopted, not closing): in all, and from group (source_group.h). */
static void count(const struct om_http_server *s, const char *group, unsigned *total, unsigned *mine)
{
	*total = *mine = 0;
	for (const struct http_conn *c = s->conns; c; c = c->next)
		if (c->state != HC_NEW && c->state != HC_CLOSING) {
			(*total)++;
			*mine += !strcmp(c->group, group);
		}
}

/*
 * A cap is reached: shut down the oldest connection (from group, or from any
 * address when group is NULL) that is waiting for its first request and has
 * never been answered; 1 if one was, 0 if none is. Refusing the newest
 * instead let one address hold every place with silent connections,
 * reopened each first_byte_ms, so that every genuine client was refused
 * (the DPF's devices all come from their VNO's proxy address). A genuine
 * client sends its request at once, so it is not the oldest silent one;
 * one being read, handled or kept alive after an answer is never taken.
 */
static int evict_oldest_silent(struct om_http_server *s, const char *group)
{
	struct http_conn *oldest = NULL;
	for (struct http_conn *c = s->conns; c; c = c->next) /* newest first: the last match is the oldest */
		if (c->state == HC_WAITING && !c->served && (!group || !strcmp(c->group, group)))
			oldest = c;
	if (oldest)
		shut(oldest, "evicted-silent");
	return oldest != NULL;
}

void http_peer_text(struct evhttp_connection *evcon, char *out, size_t len)
{
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
	snprintf(out, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

/*
 * No Nagle on the answers: an answer that leaves in more than one segment
 * (a handshake's flight, an answer above one TLS record) must not wait for
 * the peer's delayed ACK, 40 ms per exchange (found by the lab: a handover
 * waited 45 ms for its answer). Set once per connection, when it is adopted
 * (it was a setsockopt per request).
 */
static void no_delay(struct http_conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* evhttp has given the bufferevent its socket: take the connection's close callback, count it. */
static void adopt(struct http_conn *c)
{
	struct om_http_server *s = c->s;
	bufferevent_data_cb readcb = NULL;
	void *arg = NULL;
	bufferevent_getcb(c->bev, &readcb, NULL, NULL, &arg);
	struct evhttp_connection *evcon = arg;
	if (!readcb || !evcon || evhttp_connection_get_bufferevent(evcon) != c->bev) {
		/* evhttp gave the connection up before it started: nothing of it is ours but the reference */
		struct bufferevent *bev = c->bev;
		c->state = HC_CLOSING;
		unlink_conn(c);
		bufferevent_decref(bev);
		return;
	}
	c->evcon = evcon;
	evhttp_connection_set_closecb(evcon, on_close, c);
	no_delay(c);
	bufferevent_decref(c->bev); /* evhttp's close callback tells us from now on */
	http_peer_text(evcon, c->src, sizeof(c->src));
	om_source_group(c->src, c->group, sizeof(c->group));
	c->input_cb = evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c);
	unsigned total, mine;
	count(s, c->group, &total, &mine);
	/* at a cap the oldest silent connection makes room, else the new one is refused (issue 14, finding 5) */
	if (mine >= s->lim.max_conns_per_source && !evict_oldest_silent(s, c->group))
		return shut(c, "max_conns_per_source");
	if (total >= s->lim.max_conns && mine < s->lim.max_conns_per_source && !evict_oldest_silent(s, NULL))
		return shut(c, "max_conns");
	set_deadline(c, HC_WAITING, s->lim.first_byte_ms);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)))
		set_deadline(c, HC_READING, s->lim.request_ms);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	(void)fd;
	(void)what;
	switch (c->state) {
	case HC_NEW:
		return adopt(c);
	case HC_WAITING:
		return shut(c, c->served ? "idle" : "no-request-in-time");
	case HC_READING:
		return shut(c, "request-too-slow");
	default:
		return;
	}
}

static void on_trim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (atomic_load(&((struct om_http_server *)arg)->n_conns) == 0)
		malloc_trim(0);
}

struct bufferevent *http_conn_new(struct event_base *base, void *arg)
{
	struct om_http_server *s = arg;
	struct bufferevent *bev = NULL;
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (!s->trim_ev)
		s->trim_ev = evtimer_new(base, on_trim, s);
	if (s->ssl) {
		SSL *ssl = SSL_new(s->ssl);
		if (ssl && !(bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
								     BEV_OPT_CLOSE_ON_FREE)))
			SSL_free(ssl);
		if (bev)
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!bev || !(c->deadline = evtimer_new(base, on_deadline, c))) {
		if (bev)
			bufferevent_free(bev);
		free(c);
		return NULL;
	}
	c->s = s;
	c->bev = bev;
	c->state = HC_NEW;
	snprintf(c->src, sizeof(c->src), "?");
	snprintf(c->group, sizeof(c->group), "?");
	bufferevent_incref(bev); /* kept alive until adopted, whatever evhttp does meanwhile */
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	atomic_fetch_add(&s->n_conns, 1);
	/* adopted once evhttp_get_request has set the socket and its callbacks, before any read */
	event_active(c->deadline, EV_TIMEOUT, 1);
	return bev;
}

static struct http_conn *conn_of(struct om_http_server *s, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	for (struct http_conn *c = s->conns; bev && c; c = c->next)
		if (c->bev == bev)
			return c;
	return NULL;
}

void http_conn_handling(struct om_http_server *s, struct evhttp_request *req)
{
	struct http_conn *c = conn_of(s, req);
	if (c && c->state == HC_NEW)
		adopt(c);
	if (c && c->state != HC_CLOSING) {
		event_del(c->deadline);
		c->state = HC_HANDLING;
	}
}

void http_conn_answered(struct om_http_server *s, struct evhttp_request *req)
{
	struct http_conn *c = conn_of(s, req);
	if (c && c->state == HC_HANDLING) {
		c->served = 1;
		int pipelined = evbuffer_get_length(bufferevent_get_input(c->bev)) > 0;
		set_deadline(c, pipelined ? HC_READING : HC_WAITING, pipelined ? s->lim.request_ms : s->lim.idle_ms);
	}
}

void http_conns_free(struct om_http_server *s)
{
	while (s->conns) {
		struct http_conn *c = s->conns;
		struct bufferevent *bev = c->bev;
		int held = c->state == HC_NEW;
		c->input_cb = NULL; /* evhttp_free has run: adopted connections are gone, these were never adopted */
		unlink_conn(c);
		if (held)
			bufferevent_decref(bev);
	}
	if (s->trim_ev)
		event_free(s->trim_ev);
	s->trim_ev = NULL;
}
