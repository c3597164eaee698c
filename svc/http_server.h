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
 * (om_http_server_start .. om_http_server_stop); handlers run in that
 * thread, one at a time, and answer before they return.
 *
 * Answers the layer gives by itself: 404 (no route for the path), 405 (a
 * route for the path but not the method, with an Allow header), 413 (body
 * above max_body, from evhttp), 400 (unparsable request).
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

struct om_http_opts {
	const char *addr;              /* NULL: "127.0.0.1" */
	uint16_t port;                 /* 0: any free port, see om_http_server_port() */
	size_t max_body;               /* 0: 64 KiB */
	unsigned timeout_s;            /* per connection; 0: 10 s */
	const struct om_http_tls *tls; /* NULL: plain HTTP */
};

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
/* A request header, or NULL. */
const char *om_http_req_header(const struct om_http_req *r, const char *name);
/* The body (at most max_body bytes); *len 0 and a non-NULL pointer when empty. */
const uint8_t *om_http_req_body(const struct om_http_req *r, size_t *len);
/* The peer's address as text ("127.0.0.1"). */
const char *om_http_req_peer(const struct om_http_req *r);
/* The verified client certificate (owned by the connection), or NULL without TLS or client certificate. */
X509 *om_http_req_peer_cert(const struct om_http_req *r);

/* Answer once: status, a Content-Type (NULL: none) and the body. */
void om_http_reply(struct om_http_req *r, int status, const char *content_type, const void *body, size_t len);
/* Add a response header before om_http_reply. */
void om_http_reply_header(struct om_http_req *r, const char *name, const char *value);
