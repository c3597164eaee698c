/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Worker threads of the HTTP server (http_server.h "Threads"): the loop
 * reads a request whole, copies what a handler may ask for (the peer's
 * address and certificate are taken here, while the connection surely
 * exists), and queues it; a worker runs the handler, which fills the
 * request's answer; the loop sends it (evhttp is not thread-safe: only the
 * loop touches connections). A request whose client left meanwhile is
 * detached by evhttp, not freed, so the answer is always sent or dropped
 * by evhttp itself. The queue is bounded: the next request gets 503.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "http_int.h"
#include "log.h"

struct http_job {
	struct http_job *next;
	struct om_http_req r;
	om_http_handler h;
	void *arg;
};

static void notify_loop(struct om_http_server *s)
{
	ssize_t w;
	do
		w = write(s->done_pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full of wake-ups already, the loop will see this job too */
}

static void *work(void *arg)
{
	struct om_http_server *s = arg;
	pthread_mutex_lock(&s->q_lock);
	for (;;) {
		while (!s->queue && !s->q_quit)
			pthread_cond_wait(&s->q_cond, &s->q_lock);
		if (s->q_quit)
			break;
		struct http_job *j = s->queue;
		s->queue = j->next;
		if (!s->queue)
			s->queue_tail = NULL;
		s->queued--;
		pthread_mutex_unlock(&s->q_lock);
		pthread_mutex_lock(&s->h_lock);
		j->h(&j->r, j->arg);
		if (j->r.released)
			om_http_reacquire(&j->r);
		if (s->after)
			s->after(s->after_arg, j->r.path);
		pthread_mutex_unlock(&s->h_lock);
		if (!j->r.answered) {
			om_error("http-handler", "method=%s path=%.80s reason=no-answer", j->r.method, j->r.path);
			om_http_reply(&j->r, 500, NULL, NULL, 0);
		}
		pthread_mutex_lock(&s->q_lock);
		/* a list that was not empty has its wake-up on the way: the loop takes the whole list after it */
		int wake = !s->done;
		j->next = s->done;
		s->done = j;
		pthread_mutex_unlock(&s->q_lock);
		if (wake)
			notify_loop(s);
		pthread_mutex_lock(&s->q_lock);
	}
	pthread_mutex_unlock(&s->q_lock);
	return NULL;
}

static void job_free(struct http_job *j)
{
	X509_free(j->r.cert);
	free(j);
}

/* Answers the workers finished: sent from the loop thread. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct om_http_server *s = arg;
	char drain[64];
	(void)what;
	/* one read: a wake-up byte left over brings the loop back here (the event is level-triggered) */
	while (read(fd, drain, sizeof(drain)) == (ssize_t)sizeof(drain))
		;
	pthread_mutex_lock(&s->q_lock);
	struct http_job *j = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->q_lock);
	while (j) {
		struct http_job *next = j->next;
		http_send(&j->r);
		job_free(j);
		j = next;
	}
}

int http_work_start(struct om_http_server *s, unsigned n)
{
	if (pthread_mutex_init(&s->h_lock, NULL) || pthread_mutex_init(&s->q_lock, NULL) ||
	    pthread_cond_init(&s->q_cond, NULL))
		return OM_EIO;
	if (pipe2(s->done_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return OM_EIO;
	if (!(s->done_ev = event_new(s->base, s->done_pipe[0], EV_READ | EV_PERSIST, on_done, s)) ||
	    event_add(s->done_ev, NULL) < 0)
		return OM_EIO;
	if (!(s->workers = calloc(n, sizeof(*s->workers))))
		return OM_ENOMEM;
	for (; s->n_workers < n; s->n_workers++)
		if (pthread_create(&s->workers[s->n_workers], NULL, work, s))
			return OM_EIO;
	return 0;
}

int http_work_queue(struct om_http_server *s, const struct om_http_req *r, const struct http_route *rt)
{
	struct http_job *j = NULL;
	pthread_mutex_lock(&s->q_lock);
	if (s->queued < s->lim.queue_max && (j = calloc(1, sizeof(*j)))) {
		j->r = *r;
		j->h = rt->h;
		j->arg = rt->arg;
		if (s->queue_tail)
			s->queue_tail->next = j;
		else
			s->queue = j;
		s->queue_tail = j;
		s->queued++;
		pthread_cond_signal(&s->q_cond);
	}
	pthread_mutex_unlock(&s->q_lock);
	return j ? 0 : -1;
}

void om_http_release(struct om_http_req *r)
{
	if (r->deferred && !r->released) {
		r->released = 1;
		pthread_mutex_unlock(&r->s->h_lock);
	}
}

void om_http_reacquire(struct om_http_req *r)
{
	if (r->deferred && r->released) {
		pthread_mutex_lock(&r->s->h_lock);
		r->released = 0;
	}
}

/* A request left unanswered at shutdown: evhttp frees it with its connection, unless the client left first. */
static void drop(struct http_job *j)
{
	while (j) {
		struct http_job *next = j->next;
		if (!evhttp_request_get_connection(j->r.req))
			evhttp_request_free(j->r.req);
		job_free(j);
		j = next;
	}
}

void http_work_stop(struct om_http_server *s)
{
	if (s->workers) {
		pthread_mutex_lock(&s->q_lock);
		s->q_quit = 1;
		pthread_cond_broadcast(&s->q_cond);
		pthread_mutex_unlock(&s->q_lock);
		for (unsigned i = 0; i < s->n_workers; i++)
			pthread_join(s->workers[i], NULL);
		free(s->workers);
		s->workers = NULL;
		drop(s->queue);
		drop(s->done);
		s->queue = s->queue_tail = s->done = NULL;
		pthread_mutex_destroy(&s->q_lock);
		pthread_mutex_destroy(&s->h_lock);
		pthread_cond_destroy(&s->q_cond);
	}
	if (s->done_ev)
		event_free(s->done_ev);
	s->done_ev = NULL;
	for (int i = 0; i < 2; i++)
		if (s->done_pipe[i] >= 0)
			close(s->done_pipe[i]);
	s->done_pipe[0] = s->done_pipe[1] = -1;
}
