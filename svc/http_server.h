/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP/1.1 server on libevent's evhttp, shared by the operator
 * daemons (PVA, SHO, DRF, DPF): bind an address and port (0 picks one),
 * route by method and path, bound the body size, and optionally speak TLS
 * with a server certificate and, when asked, required client certificates
 * verified against a trust store (mutual TLS between operators). Handlers
 * see the verified peer certificate.
 *
 * Threads: the server runs its own event loop in one thread
 * (om_http_server_start .. om_http_server_stop). With workers 0 the
 * handlers run in that thread, one at a time; with workers N they run on N
 * worker threads while the loop goes on reading and answering other
 * connections. Handlers on workers still run one at a time, under the
 * server's handler lock, so a daemon's state needs no lock of its own; a
 * handler that must wait (a password hash, a peer across the network)
 * releases it with om_http_release and takes it back with om_http_reacquire,
 * and in between touches nothing shared. Either way a handler answers
 * before it returns.
 *
 * Bounds (issue 14, docs/threats.md "Bounded servers"): the request line
 * and headers together at most max_headers bytes; at most max_conns
 * connections, max_conns_per_source of them from one address (a connection
 * above either is closed at once); a new connection must send its first
 * byte (TLS handshake included) within first_byte_ms, a request must be
 * read whole within request_ms of its first byte, and a kept-alive link
 * waiting for its next request is closed after idle_ms. With workers, at
 * most queue_max requests wait for one; the next gets 503.
 *
 * Answers the layer gives by itself: 404 (no route for the path), 405 (a
 * route for the path but not the method, with an Allow header), 413 (body
 * above max_body, from evhttp), 400 (unparsable request, or headers above
 * max_headers), 503 (the worker queue is full).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <openmcim/err.h>

struct om_http_server;
struct om_http_req;

typedef void (*om_http_handler)(struct om_http_req *req, void *arg);

struct om_http_tls {
	const char *cert_file;       /* server certificate (PEM, leaf first, then any chain) */
	const char *key_file;        /* its private key (PEM) */
	const char *client_ca_file;  /* roots for client certificates (PEM), or NULL */
	int require_client_cert;     /* 1: a client without a certificate verified by client_ca_file is refused */
};

struct om_http_limits {
	size_t max_headers;            /* 0: 8 KiB, request line and headers */
	unsigned max_conns;            /* 0: 512 connections at once */
	unsigned max_conns_per_source; /* 0: 32 from one address */
	unsigned first_byte_ms;        /* 0: 5000, accept to a request's first byte */
	unsigned request_ms;           /* 0: 10000, first byte to the whole request */
	unsigned idle_ms;              /* 0: 30000, a kept-alive link between requests */
	unsigned workers;              /* 0: handlers in the loop thread */
	unsigned queue_max;            /* 0: 64 requests waiting for a worker */
};

#define OM_HTTP_MAX_HEADERS_DEFAULT 8192u
#define OM_HTTP_MAX_CONNS_DEFAULT 512u
#define OM_HTTP_PER_SOURCE_DEFAULT 32u
#define OM_HTTP_FIRST_BYTE_MS_DEFAULT 5000u
#define OM_HTTP_REQUEST_MS_DEFAULT 10000u
#define OM_HTTP_IDLE_MS_DEFAULT 30000u
#define OM_HTTP_QUEUE_DEFAULT 64u

struct om_http_opts {
	const char *addr;              /* NULL: "127.0.0.1" */
	uint16_t port;                 /* 0: any free port, see om_http_server_port() */
	size_t max_body;               /* 0: 64 KiB */
	unsigned timeout_s;            /* read or write inactivity on a connection; 0: 10 s */
	const struct om_http_tls *tls; /* NULL: plain HTTP */
	struct om_http_limits limits;  /* zeros: the defaults above */
};

/*
 * The limit keys every daemon's HTTP section accepts (docs of each daemon,
 * conf/ examples): max_headers, max_conns, max_conns_per_source,
 * first_byte_timeout, request_timeout, idle_timeout (milliseconds), and
 * workers and queue_max where the daemon runs handlers on workers.
 */
#define OM_HTTP_CONF_KEYS(section)                                                                              \
	{ section, "max_headers", 0 }, { section, "max_conns", 0 }, { section, "max_conns_per_source", 0 },     \
		{ section, "first_byte_timeout", 0 }, { section, "request_timeout", 0 }, { section, "idle_timeout", 0 }

struct om_conf;
/*
 * Read those keys from section into l (unset keys stay 0: the defaults).
 * Returns 0, or -1 with "file:line: ..." in err.
 */
int om_http_limits_read(const struct om_conf *c, const char *section, struct om_http_limits *l, char *err,
			size_t err_len);

/* Connections open now (for tests and status lines; from any thread). */
unsigned om_http_server_conns(const struct om_http_server *s);

/*
 * Create the server and bind its socket (nothing is served before
 * om_http_server_start). Returns 0, or OM_EINVAL / OM_EIO / OM_ECRYPTO /
 * OM_ENOMEM with a one-line reason in err.
 */
OM_NODISCARD int om_http_server_new(struct om_http_server **out, const struct om_http_opts *o, char *err,
				    size_t err_len);

/*
 * Route method ("GET", "POST", ...) and path to handler. A path ending in
 * '*' matches every path with that prefix; exact paths are tried first,
 * then prefixes in the order added. Call before om_http_server_start.
 * Returns 0, OM_EINVAL or OM_ENOMEM.
 */
OM_NODISCARD int om_http_route(struct om_http_server *s, const char *method, const char *path, om_http_handler h,
			       void *arg);

/*
 * Run fn(arg, path) after every handler returns, in its thread and still
 * under the handler lock (each daemon checks there that its store has no
 * statement left busy: store.h om_store_idle). Call before
 * om_http_server_start.
 */
void om_http_server_after(struct om_http_server *s, void (*fn)(void *arg, const char *path), void *arg);

/* The port the server is bound to. */
uint16_t om_http_server_port(const struct om_http_server *s);

/* Serve from a new thread. Returns 0 or OM_EIO. */
OM_NODISCARD int om_http_server_start(struct om_http_server *s);

/* Stop serving and join the thread (from any other thread, or a signal waiter). */
void om_http_server_stop(struct om_http_server *s);

/* Stop if running, close every connection and free. NULL is a no-op. */
void om_http_server_free(struct om_http_server *s);

/* ---- inside a handler --------------------------------------------------- */

const char *om_http_req_method(const struct om_http_req *r);
/* The path as sent (still percent-encoded), without the query. */
const char *om_http_req_path(const struct om_http_req *r);
/*
 * The query parameter name, percent-decoded, into out (cap bytes with the
 * NUL). Returns 1 (found), 0 (absent: out untouched), OM_ENOSPC (longer than
 * cap) or OM_EINVAL (a query that does not parse).
 */
OM_NODISCARD int om_http_req_param(const struct om_http_req *r, const char *name, char *out, size_t cap);
/* A request header, or NULL. */
const char *om_http_req_header(const struct om_http_req *r, const char *name);
/* The body (at most max_body bytes); *len 0 and a non-NULL pointer when empty. */
const uint8_t *om_http_req_body(const struct om_http_req *r, size_t *len);
/* The peer's address as text ("127.0.0.1"). */
const char *om_http_req_peer(const struct om_http_req *r);
/* The verified client certificate (owned by the connection), or NULL without TLS or client certificate. */
X509 *om_http_req_peer_cert(const struct om_http_req *r);

/*
 * On a worker: let other handlers run while this one waits (no shared state
 * touched until om_http_reacquire). In the loop thread (workers 0): nothing.
 */
void om_http_release(struct om_http_req *r);
void om_http_reacquire(struct om_http_req *r);

/* Answer once: status, a Content-Type (NULL: none) and the body. */
void om_http_reply(struct om_http_req *r, int status, const char *content_type, const void *body, size_t len);
/* Add a response header before om_http_reply. */
void om_http_reply_header(struct om_http_req *r, const char *name, const char *value);
