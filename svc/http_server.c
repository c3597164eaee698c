/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server layer on evhttp (http_server.h): routing, body and header
 * bounds, TLS through libevent_openssl bufferevents (made in http_conn.c),
 * the verified peer certificate; the per-connection bounds are in
 * http_conn.c, the worker threads in http_work.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "http_int.h"
#include "log.h"
#include "tls_policy.h"

#define MAX_BODY_DEFAULT (64u * 1024u)
#define TIMEOUT_DEFAULT_S 10u

static const char *method_name(enum evhttp_cmd_type c)
{
	switch (c) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 409: return "Conflict";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static int path_matches(const struct http_route *rt, const char *path)
{
	return rt->prefix ? !strncmp(path, rt->path, rt->plen) : !strcmp(path, rt->path);
}

static const struct http_route *find_route(const struct om_http_server *s, const char *method, const char *path)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n_routes; i++) {
			const struct http_route *rt = &s->routes[i];
			if (rt->prefix == pass && !strcmp(rt->method, method) && path_matches(rt, path))
				return rt;
		}
	return NULL;
}

/* The Allow header for a path some route matches with another method; 0 when none does. */
static int allowed_methods(const struct om_http_server *s, const char *path, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->n_routes; i++) {
		const struct http_route *rt = &s->routes[i];
		if (!path_matches(rt, path) || strstr(out, rt->method))
			continue;
		int n = snprintf(out + o, len - o, "%s%s", o ? ", " : "", rt->method);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return o > 0;
}


/* The verified client certificate, a reference of its own (NULL without TLS or certificate). */
static X509 *peer_cert(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	X509 *x = ssl && SSL_get_verify_result(ssl) == X509_V_OK ? SSL_get0_peer_certificate(ssl) : NULL;
	return x && X509_up_ref(x) == 1 ? x : NULL;
}

static void dispatch(struct evhttp_request *req, void *arg)
{
	struct om_http_server *s = arg;
	static const uint8_t empty[1];
	struct om_http_req r = { .req = req, .s = s };
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	char allow[64];

	http_conn_handling(s, req);
	r.method = method_name(evhttp_request_get_command(req));
	r.path = path && *path ? path : "/";
	http_peer_text(evhttp_request_get_connection(req), r.peer, sizeof(r.peer));
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	r.body_len = evbuffer_get_length(in);
	r.body = r.body_len ? evbuffer_pullup(in, -1) : empty;
	if (!r.body) {
		om_http_reply(&r, 500, NULL, NULL, 0);
		return;
	}
	const struct http_route *rt = find_route(s, r.method, r.path);
	if (rt && s->n_workers) {
		r.cert = peer_cert(req);
		r.deferred = 1;
		if (http_work_queue(s, &r, rt) == 0)
			return;
		r.deferred = 0;
		X509_free(r.cert);
		r.cert = NULL;
		unsigned long dropped = 0;
		if (om_log_limit_pass(&s->log_limit, 10, &dropped))
			om_notice("http-busy", "peer=%s method=%s path=%.80s reason=queue-full suppressed=%lu", r.peer,
				  r.method, r.path, dropped);
		om_http_reply_header(&r, "Retry-After", "1");
		om_http_reply(&r, 503, "text/plain", "busy\n", 5);
	} else if (rt) {
		r.cert = peer_cert(req);
		rt->h(&r, rt->arg);
		if (s->after)
			s->after(s->after_arg, r.path);
		if (!r.answered) {
			om_error("http-handler", "method=%s path=%.80s reason=no-answer", r.method, r.path);
			om_http_reply(&r, 500, NULL, NULL, 0);
		}
		X509_free(r.cert);
	} else if (allowed_methods(s, r.path, allow, sizeof(allow))) {
		om_http_reply_header(&r, "Allow", allow);
		om_http_reply(&r, 405, "text/plain", "method not allowed\n", 19);
	} else {
		om_http_reply(&r, 404, "text/plain", "not found\n", 10);
	}
}

/*
 * No new ticket after a resumed TLS 1.3 handshake (issue 14): the client
 * resumed with a ticket it still holds (tickets are sealed under this
 * context's keys, and reusing one is accepted outside early data, which is
 * off), and the device's second DM session, the resumed one, is its last.
 * A ticket is a session encoded, sealed and MACed here and decoded into a
 * new session by the client, for nothing. Decided once the server knows it
 * resumes (its flight is being written), before the client's Finished,
 * after which tickets are sent; a full handshake still gets its one ticket.
 */
static void no_ticket_on_resumption(const SSL *ssl, int where, int ret)
{
	(void)ret;
	if ((where & SSL_CB_ACCEPT_LOOP) && SSL_session_reused((SSL *)ssl) == 1 && SSL_get_num_tickets(ssl) != 0)
		(void)SSL_set_num_tickets((SSL *)ssl, 0);
}

static int tls_setup(struct om_http_server *s, const struct om_http_tls *t, char *err, size_t len)
{
	if (!t->cert_file || !t->key_file || (t->require_client_cert && !t->client_ca_file)) {
		snprintf(err, len, "TLS needs a certificate, a key, and client roots when client certificates are required");
		return OM_EINVAL;
	}
	if (!(s->ssl = SSL_CTX_new(TLS_server_method()))) {
		snprintf(err, len, "TLS context: out of memory");
		return OM_ENOMEM;
	}
	if (om_tls_policy_ctx(s->ssl) < 0) {
		snprintf(err, len, "TLS policy refused by OpenSSL");
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	if (SSL_CTX_use_certificate_chain_file(s->ssl, t->cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->ssl, t->key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(s->ssl) != 1) {
		snprintf(err, len, "TLS certificate %.200s or key %.200s unreadable or not a pair", t->cert_file,
			 t->key_file);
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	/* Send the chain the file holds, as it is: OpenSSL would otherwise build it again from the
	 * store at every handshake (issue 14). One ticket per full handshake: a client keeps one
	 * session per server (the device's second DM session, a peer's next connection). */
	SSL_CTX_set_mode(s->ssl, SSL_MODE_NO_AUTO_CHAIN);
	SSL_CTX_set_num_tickets(s->ssl, 1);
	SSL_CTX_set_info_callback(s->ssl, no_ticket_on_resumption);
	/* OpenSSL refuses to resume a session whose client certificate was verified without one
	 * (tickets are sealed under this context's own keys: no other server takes them) */
	static const unsigned char sid_ctx[] = "openmcim-http";
	SSL_CTX_set_session_id_context(s->ssl, sid_ctx, sizeof(sid_ctx) - 1);
	int mode = SSL_VERIFY_NONE;
	if (t->client_ca_file) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_ca_file);
		if (!names || SSL_CTX_load_verify_locations(s->ssl, t->client_ca_file, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			snprintf(err, len, "TLS client roots %.200s unreadable", t->client_ca_file);
			ERR_clear_error();
			return OM_ECRYPTO;
		}
		SSL_CTX_set_client_CA_list(s->ssl, names);
		mode = SSL_VERIFY_PEER | (t->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
	}
	SSL_CTX_set_verify(s->ssl, mode, NULL);
	return 0;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void limits_fill(struct om_http_limits *l, const struct om_http_limits *in)
{
	*l = *in;
	l->max_headers = l->max_headers ? l->max_headers : OM_HTTP_MAX_HEADERS_DEFAULT;
	l->max_conns = l->max_conns ? l->max_conns : OM_HTTP_MAX_CONNS_DEFAULT;
	l->max_conns_per_source = l->max_conns_per_source ? l->max_conns_per_source : OM_HTTP_PER_SOURCE_DEFAULT;
	l->first_byte_ms = l->first_byte_ms ? l->first_byte_ms : OM_HTTP_FIRST_BYTE_MS_DEFAULT;
	l->request_ms = l->request_ms ? l->request_ms : OM_HTTP_REQUEST_MS_DEFAULT;
	l->idle_ms = l->idle_ms ? l->idle_ms : OM_HTTP_IDLE_MS_DEFAULT;
	l->queue_max = l->queue_max ? l->queue_max : OM_HTTP_QUEUE_DEFAULT;
}

/*
 * The loop's event base. With epoll, changes to the watched events are kept
 * until the loop next waits and sent as one epoll_ctl per socket (libevent's
 * changelist; issue 14): an answer adds the write event and, once written,
 * takes it off again while evhttp turns reading back on, each an epoll_ctl
 * before. Safe here: no socket of this loop is dup()ed.
 */
static struct event_base *loop_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *b = NULL;
	if (cfg && event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		b = event_base_new_with_config(cfg);
	if (cfg)
		event_config_free(cfg);
	return b ? b : event_base_new();
}

int om_http_server_new(struct om_http_server **out, const struct om_http_opts *o, char *err, size_t len)
{
	struct om_http_server *s = NULL;
	int rc = OM_ENOMEM;
	if (!out || !o) {
		snprintf(err, len, "no options");
		return OM_EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s))))
		goto fail;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	s->done_pipe[0] = s->done_pipe[1] = -1;
	limits_fill(&s->lim, &o->limits);
	if (!(s->base = loop_base()) || !(s->http = evhttp_new(s->base)))
		goto fail;
	evhttp_set_max_body_size(s->http, (ev_ssize_t)(o->max_body ? o->max_body : MAX_BODY_DEFAULT));
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)s->lim.max_headers);
	evhttp_set_timeout(s->http, (int)(o->timeout_s ? o->timeout_s : TIMEOUT_DEFAULT_S));
	evhttp_set_gencb(s->http, dispatch, s);
	evhttp_set_bevcb(s->http, http_conn_new, s);
	if (o->tls && (rc = tls_setup(s, o->tls, err, len)) < 0)
		goto fail;
	rc = OM_EIO;
	const char *addr = o->addr ? o->addr : "127.0.0.1";
	struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(s->http, addr, o->port);
	if (!b) {
		snprintf(err, len, "cannot listen on %.64s port %u: %s", addr, (unsigned)o->port, strerror(errno));
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(err, len, "getsockname: %s", strerror(errno));
		goto fail;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	if (pipe(s->stop_pipe) < 0 ||
	    !(s->stop_ev = event_new(s->base, s->stop_pipe[0], EV_READ | EV_PERSIST, on_stop, s->base)) ||
	    event_add(s->stop_ev, NULL) < 0) {
		snprintf(err, len, "stop event: %s", strerror(errno));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (rc == OM_ENOMEM)
		snprintf(err, len, "out of memory");
	om_http_server_free(s);
	return rc;
}

int om_http_route(struct om_http_server *s, const char *method, const char *path, om_http_handler h, void *arg)
{
	if (!s || !method || !path || !h || path[0] != '/' || strlen(method) >= sizeof(s->routes[0].method) ||
	    strlen(path) >= sizeof(s->routes[0].path) || s->running)
		return OM_EINVAL;
	if (s->n_routes == HTTP_ROUTES_MAX)
		return OM_ENOMEM;
	struct http_route *rt = &s->routes[s->n_routes];
	snprintf(rt->method, sizeof(rt->method), "%s", method);
	snprintf(rt->path, sizeof(rt->path), "%s", path);
	rt->plen = strlen(path);
	if (rt->path[rt->plen - 1] == '*') {
		rt->prefix = 1;
		rt->path[--rt->plen] = '\0';
	}
	rt->h = h;
	rt->arg = arg;
	s->n_routes++;
	return 0;
}

void om_http_server_after(struct om_http_server *s, void (*fn)(void *arg, const char *path), void *arg)
{
	s->after = fn;
	s->after_arg = arg;
}

uint16_t om_http_server_port(const struct om_http_server *s)
{
	return s ? s->port : 0;
}

static void *serve(void *arg)
{
	struct om_http_server *s = arg;
	sigset_t pipe_sig;
	/* a peer that closes early must not kill the process: EPIPE instead of SIGPIPE here */
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL);
	event_base_dispatch(s->base);
	return NULL;
}

int om_http_server_start(struct om_http_server *s)
{
	if (!s || s->running)
		return OM_EINVAL;
	if (s->lim.workers && !s->workers && http_work_start(s, s->lim.workers) < 0)
		return OM_EIO;
	if (pthread_create(&s->th, NULL, serve, s))
		return OM_EIO;
	s->running = 1;
	return 0;
}

void om_http_server_stop(struct om_http_server *s)
{
	if (!s || !s->running)
		return;
	ssize_t w;
	do
		w = write(s->stop_pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
	pthread_join(s->th, NULL);
	s->running = 0;
}

void om_http_server_free(struct om_http_server *s)
{
	if (!s)
		return;
	om_http_server_stop(s);
	http_work_stop(s);
	if (s->http)
		evhttp_free(s->http);
	http_conns_free(s);
	if (s->stop_ev)
		event_free(s->stop_ev);
	if (s->base)
		event_base_free(s->base);
	SSL_CTX_free(s->ssl);
	for (int i = 0; i < 2; i++)
		if (s->stop_pipe[i] >= 0)
			close(s->stop_pipe[i]);
	free(s);
}

const char *om_http_req_method(const struct om_http_req *r)
{
	return r->method;
}

const char *om_http_req_path(const struct om_http_req *r)
{
	return r->path;
}

int om_http_req_param(const struct om_http_req *r, const char *name, char *out, size_t cap)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv; /* initialised by evhttp_parse_query_str */
	int rc = 0;
	if (!q || !*q)
		return 0;
	if (evhttp_parse_query_str(q, &kv) < 0)
		return OM_EINVAL;
	const char *v = evhttp_find_header(&kv, name);
	if (v && strlen(v) >= cap)
		rc = OM_ENOSPC;
	else if (v)
		rc = snprintf(out, cap, "%s", v) >= 0 ? 1 : OM_EINVAL;
	evhttp_clear_headers(&kv);
	return rc;
}

const char *om_http_req_header(const struct om_http_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

const uint8_t *om_http_req_body(const struct om_http_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body;
}

const char *om_http_req_peer(const struct om_http_req *r)
{
	return r->peer;
}

X509 *om_http_req_peer_cert(const struct om_http_req *r)
{
	return r->cert;
}

void om_http_reply_header(struct om_http_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

/*
 * One TLS record per answer (issue 14): evhttp puts the status line and
 * headers in one buffer chain and moves the body in as another, and
 * bufferevent_openssl makes a record, and a write(2), of each chain when the
 * loop finds the socket writable. An answer that fits one record (16 KiB of
 * plaintext) is made one chain here, after evhttp queued it and before the
 * loop writes it: half the records, writes and loopback deliveries per
 * answer, and one read for the client (or its proxy) instead of two.
 */
#define ONE_RECORD_MAX 16384u

static void one_record(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t n = evbuffer_get_length(out);
	if (n > 0 && n <= ONE_RECORD_MAX && evbuffer_get_contiguous_space(out) < n)
		(void)evbuffer_pullup(out, -1); /* on failure the answer goes as before, in two records */
}

void http_send(struct om_http_req *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	struct bufferevent *bev = c && r->s->ssl ? evhttp_connection_get_bufferevent(c) : NULL;
	http_conn_answered(r->s, r->req);
	evhttp_send_reply(r->req, r->status, reason_phrase(r->status), NULL);
	if (bev)
		one_record(bev);
}

/* On a worker (r->deferred) the loop sends the answer: only it may touch the connection. */
void om_http_reply(struct om_http_req *r, int status, const char *content_type, const void *body, size_t len)
{
	if (r->answered)
		return;
	r->answered = 1;
	struct evbuffer *out = evhttp_request_get_output_buffer(r->req);
	if (content_type)
		om_http_reply_header(r, "Content-Type", content_type);
	if (len && evbuffer_add(out, body, len) < 0)
		status = 500;
	r->status = status;
	if (!r->deferred)
		http_send(r);
}

unsigned om_http_server_conns(const struct om_http_server *s)
{
	return s ? atomic_load(&((struct om_http_server *)s)->n_conns) : 0;
}

int om_http_limits_read(const struct om_conf *c, const char *section, struct om_http_limits *l, char *err,
			size_t err_len)
{
	uint64_t hdr, conns, per, first, req, idle;
	if (om_conf_uint(c, section, "max_headers", OM_HTTP_MAX_HEADERS_DEFAULT, 1024, 1u << 20, &hdr, err, err_len) ||
	    om_conf_uint(c, section, "max_conns", OM_HTTP_MAX_CONNS_DEFAULT, 1, 65536, &conns, err, err_len) ||
	    om_conf_uint(c, section, "max_conns_per_source", OM_HTTP_PER_SOURCE_DEFAULT, 1, 65536, &per, err,
			 err_len) ||
	    om_conf_uint(c, section, "first_byte_timeout", OM_HTTP_FIRST_BYTE_MS_DEFAULT, 100, 600000, &first, err,
			 err_len) ||
	    om_conf_uint(c, section, "request_timeout", OM_HTTP_REQUEST_MS_DEFAULT, 100, 600000, &req, err, err_len) ||
	    om_conf_uint(c, section, "idle_timeout", OM_HTTP_IDLE_MS_DEFAULT, 100, 3600000, &idle, err, err_len))
		return -1;
	l->max_headers = (size_t)hdr;
	l->max_conns = (unsigned)conns;
	l->max_conns_per_source = (unsigned)per;
	l->first_byte_ms = (unsigned)first;
	l->request_ms = (unsigned)req;
	l->idle_ms = (unsigned)idle;
	return 0;
}
