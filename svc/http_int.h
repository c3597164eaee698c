/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the HTTP server (http_server.h): what http_server.c (routing,
 * TLS, the loop), http_conn.c (per-connection bounds) and http_work.c
 * (worker threads) share. Everything here but the worker queue belongs to
 * the loop thread.
 */
#pragma once

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "http_server.h"
#include "log.h"

#define HTTP_ROUTES_MAX 32

struct http_route {
	char method[8];
	char path[128];
	size_t plen;
	int prefix;
	om_http_handler h;
	void *arg;
};

struct http_conn;
struct http_job;

struct om_http_server {
	struct event_base *base;
	struct evhttp *http;
	struct event *stop_ev;
	SSL_CTX *ssl;
	int stop_pipe[2];
	uint16_t port;
	int running;
	pthread_t th;
	struct http_route routes[HTTP_ROUTES_MAX];
	size_t n_routes;
	struct om_http_limits lim; /* defaults filled in */
	/* connections (http_conn.c) */
	struct http_conn *conns;
	atomic_uint n_conns;
	struct event *trim_ev;
	struct om_log_limit log_limit; /* refusals and deadlines: at most 10 lines a second */
	void (*after)(void *arg, const char *path); /* om_http_server_after: under the handler lock */
	void *after_arg;
	/* workers (http_work.c) */
	pthread_t *workers;
	unsigned n_workers;
	pthread_mutex_t h_lock; /* held by the handler running on a worker, unless it released it */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct http_job *queue, *queue_tail, *done;
	unsigned queued;
	int q_quit;
	int done_pipe[2];
	struct event *done_ev;
};

struct om_http_req {
	struct evhttp_request *req;
	struct om_http_server *s;
	const char *method, *path;
	const uint8_t *body;
	size_t body_len;
	char peer[INET6_ADDRSTRLEN];
	X509 *cert; /* the verified client certificate, a reference taken in the loop thread */
	int answered;
	int deferred; /* on a worker: the loop sends the answer */
	int released; /* on a worker: the handler lock let go (om_http_release) */
	int status;
};

/* ---- http_conn.c ---- */
/* The connection's peer address as text ("127.0.0.1"), "?" when unknown. */
void http_peer_text(struct evhttp_connection *evcon, char *out, size_t len);
/* The bufferevent for a new connection (evhttp_set_bevcb): TLS or plain, tracked. */
struct bufferevent *http_conn_new(struct event_base *base, void *arg);
/* A request of this connection was read whole: its deadline stops while a handler has it. */
void http_conn_handling(struct om_http_server *s, struct evhttp_request *req);
/* The answer to req goes out now (loop thread): the link waits for its next request. */
void http_conn_answered(struct om_http_server *s, struct evhttp_request *req);
/* Forget every connection evhttp has not adopted yet (after evhttp_free). */
void http_conns_free(struct om_http_server *s);

/* ---- http_work.c ---- */
/* Start n workers and the answer channel. 0 or OM_EIO / OM_ENOMEM. */
int http_work_start(struct om_http_server *s, unsigned n);
/* Queue r for a worker (loop thread): 0, or OM_EBUSY-like -1 when the queue is full. */
int http_work_queue(struct om_http_server *s, const struct om_http_req *r, const struct http_route *rt);
/* Stop the workers after their current request and drop what is left (after the loop stopped). */
void http_work_stop(struct om_http_server *s);

/* Send r's answer (loop thread). */
void http_send(struct om_http_req *r);
