/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metrics registry and the /metrics page (svc/metrics.h). Counting is
 * lock-free: a child (one label value) is found by a scan of at most
 * OM_METRIC_CHILDREN names, and only a new one takes the registry lock.
 * The page follows the Prometheus text exposition format 0.0.4: HELP and
 * TYPE before each family, histograms as cumulative _bucket{le=...} with
 * _sum and _count (checked by `promtool check metrics` in
 * tests/metrics_lab_test.c).
 */
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "http_server.h"

const double om_metric_bounds[OM_METRIC_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
						     0.1,   0.25,   0.5,   1,    2.5,   10 };

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct om_metric *reg_head, **reg_tail = &reg_head;

#define HOOKS_MAX 8
static struct {
	void (*fn)(void *);
	void *arg;
} hooks[HOOKS_MAX];
static unsigned n_hooks;

/* Under reg_lock. */
static void join_locked(struct om_metric *m)
{
	if (atomic_load_explicit(&m->joined, memory_order_acquire))
		return;
	m->next = NULL;
	*reg_tail = m;
	reg_tail = &m->next;
	atomic_store_explicit(&m->joined, 1, memory_order_release);
}

void om_metrics_register(struct om_metric *const *list, size_t n)
{
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < n; i++)
		join_locked(list[i]);
	pthread_mutex_unlock(&reg_lock);
}

static void clean_value(char out[OM_METRIC_LABEL_MAX], const char *v)
{
	size_t i = 0;
	for (; v && v[i] && i < OM_METRIC_LABEL_MAX - 1; i++) {
		char c = v[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			 c == '.' || c == ':' || c == '-';
		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}

static struct om_metric_child *scan(struct om_metric *m, const char *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(m->child[i].value, v))
			return &m->child[i];
	return NULL;
}

/* The child for label value v (cleaned), made on first use; the last slot is "other". */
static struct om_metric_child *child(struct om_metric *m, const char *value)
{
	char v[OM_METRIC_LABEL_MAX];
	struct om_metric_child *c;
	clean_value(v, m->label ? value : NULL);
	if (m->label && !v[0])
		strcpy(v, "none");
	unsigned n = atomic_load_explicit(&m->n_children, memory_order_acquire);
	if ((c = scan(m, v, n)))
		return c;
	pthread_mutex_lock(&reg_lock);
	join_locked(m);
	n = atomic_load_explicit(&m->n_children, memory_order_relaxed);
	if (!(c = scan(m, v, n))) {
		if (n >= OM_METRIC_CHILDREN - 1 && m->label)
			strcpy(v, "other");
		if (!(c = scan(m, v, n)) && n < OM_METRIC_CHILDREN) {
			c = &m->child[n];
			memcpy(c->value, v, sizeof(v));
			atomic_store_explicit(&m->n_children, n + 1, memory_order_release);
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return c;
}

void om_metric_add(struct om_metric *m, const char *value, uint64_t n)
{
	struct om_metric_child *c = child(m, value);
	if (c)
		atomic_fetch_add_explicit(&c->n, (int64_t)n, memory_order_relaxed);
}

void om_metric_inc_err(struct om_metric *m, int code)
{
	om_metric_add(m, code ? om_errname(code) : "ok", 1);
}

void om_metric_set(struct om_metric *m, const char *value, int64_t v)
{
	struct om_metric_child *c = child(m, value);
	if (c)
		atomic_store_explicit(&c->n, v, memory_order_relaxed);
}

void om_metric_gauge_add(struct om_metric *m, const char *value, int64_t delta)
{
	struct om_metric_child *c = child(m, value);
	if (c)
		atomic_fetch_add_explicit(&c->n, delta, memory_order_relaxed);
}

void om_metric_observe(struct om_metric *m, const char *value, double seconds)
{
	struct om_metric_child *c = child(m, value);
	if (!c)
		return;
	if (seconds < 0)
		seconds = 0;
	for (unsigned i = 0; i < OM_METRIC_BUCKETS; i++)
		if (seconds <= om_metric_bounds[i])
			atomic_fetch_add_explicit(&c->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->sum_us, (uint64_t)(seconds * 1e6 + 0.5), memory_order_relaxed);
	atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed);
}

struct timespec om_metric_start(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

void om_metric_observe_since(struct om_metric *m, const char *value, const struct timespec *t0)
{
	struct timespec t = om_metric_start();
	om_metric_observe(m, value, (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9);
}

int64_t om_metric_value(struct om_metric *m, const char *value)
{
	char v[OM_METRIC_LABEL_MAX];
	clean_value(v, m->label ? value : NULL);
	if (m->label && !v[0])
		strcpy(v, "none");
	struct om_metric_child *c = scan(m, v, atomic_load_explicit(&m->n_children, memory_order_acquire));
	return c ? atomic_load_explicit(&c->n, memory_order_relaxed) : 0;
}

int om_metrics_on_scrape(void (*fn)(void *arg), void *arg)
{
	int rc = OM_ENOSPC;
	pthread_mutex_lock(&reg_lock);
	if (n_hooks < HOOKS_MAX) {
		hooks[n_hooks].fn = fn;
		hooks[n_hooks++].arg = arg;
		rc = 0;
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

/* ---- the page ---------------------------------------------------------------- */

static const char *type_name(enum om_metric_type t)
{
	return t == OM_METRIC_COUNTER ? "counter" : t == OM_METRIC_GAUGE ? "gauge" : "histogram";
}

/* {label="v"} or {label="v",le="x"}, or "" / {le="x"} without a label. */
static void labels(FILE *b, const struct om_metric *m, const struct om_metric_child *c, const char *le)
{
	if (m->label && le)
		fprintf(b, "{%s=\"%s\",le=\"%s\"}", m->label, c->value, le);
	else if (m->label)
		fprintf(b, "{%s=\"%s\"}", m->label, c->value);
	else if (le)
		fprintf(b, "{le=\"%s\"}", le);
}

static void histogram(FILE *b, const struct om_metric *m, const struct om_metric_child *c)
{
	char le[32];
	for (unsigned i = 0; i < OM_METRIC_BUCKETS; i++) {
		snprintf(le, sizeof(le), "%g", om_metric_bounds[i]);
		fprintf(b, "%s_bucket", m->name);
		labels(b, m, c, le);
		fprintf(b, " %llu\n", (unsigned long long)atomic_load_explicit(&c->bucket[i], memory_order_relaxed));
	}
	uint64_t count = (uint64_t)atomic_load_explicit(&c->n, memory_order_relaxed);
	fprintf(b, "%s_bucket", m->name);
	labels(b, m, c, "+Inf");
	fprintf(b, " %llu\n%s_sum", (unsigned long long)count, m->name);
	labels(b, m, c, NULL);
	fprintf(b, " %.6f\n%s_count", (double)atomic_load_explicit(&c->sum_us, memory_order_relaxed) / 1e6, m->name);
	labels(b, m, c, NULL);
	fprintf(b, " %llu\n", (unsigned long long)count);
}

int om_metrics_render(char **out, size_t *len)
{
	void (*fns[HOOKS_MAX])(void *);
	void *args[HOOKS_MAX];
	unsigned nh;
	char *text = NULL;
	size_t n_text = 0;

	pthread_mutex_lock(&reg_lock);
	nh = n_hooks;
	for (unsigned i = 0; i < nh; i++) {
		fns[i] = hooks[i].fn;
		args[i] = hooks[i].arg;
	}
	pthread_mutex_unlock(&reg_lock);
	for (unsigned i = 0; i < nh; i++)
		fns[i](args[i]);

	/* the page grows as it is written (POSIX open_memstream) */
	FILE *b = open_memstream(&text, &n_text);
	if (!b)
		return OM_ENOMEM;
	pthread_mutex_lock(&reg_lock);
	for (const struct om_metric *m = reg_head; m; m = m->next) {
		unsigned n = atomic_load_explicit(&m->n_children, memory_order_acquire);
		fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, type_name(m->type));
		/* a metric without label shows 0 before its first event */
		if (!n && !m->label) {
			static const struct om_metric_child zero;
			if (m->type == OM_METRIC_HISTOGRAM)
				histogram(b, m, &zero);
			else
				fprintf(b, "%s 0\n", m->name);
		}
		for (unsigned i = 0; i < n; i++) {
			const struct om_metric_child *c = &m->child[i];
			if (m->type == OM_METRIC_HISTOGRAM) {
				histogram(b, m, c);
				continue;
			}
			fprintf(b, "%s", m->name);
			labels(b, m, c, NULL);
			fprintf(b, " %lld\n", (long long)atomic_load_explicit(&c->n, memory_order_relaxed));
		}
	}
	pthread_mutex_unlock(&reg_lock);
	if (ferror(b) | fclose(b)) {
		free(text);
		return OM_ENOMEM;
	}
	*out = text;
	*len = n_text;
	return 0;
}

/* ---- the listener -------------------------------------------------------------- */

struct om_metrics_server {
	struct om_http_server *http;
};

/* "host:port" or "[v6]:port" into host and port; -1 when it is neither. */
static int split_listen(const char *s, char *host, size_t cap, unsigned long *port)
{
	const char *colon;
	char *end;
	size_t hl;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		if (!(colon = strrchr(s, ':')) || memchr(s, ':', (size_t)(colon - s)))
			return -1;
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= cap || !colon[1])
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	*port = strtoul(colon + 1, &end, 10);
	return *end || errno || *port > 65535 || colon[1] == '-' || colon[1] == '+' ? -1 : 0;
}

int om_metrics_conf_check(const struct om_conf *c, char *err, size_t err_len)
{
	const char *v = om_conf_get(c, "metrics", "listen");
	char host[64];
	unsigned long port;
	if (v && split_listen(v, host, sizeof(host), &port))
		return snprintf(err, err_len, "%s: [metrics] listen: '%s' is not ADDRESS:PORT", om_conf_path(c), v), -1;
	return 0;
}

static void on_metrics(struct om_http_req *r, void *arg)
{
	char *page = NULL;
	size_t len = 0;
	(void)arg;
	if (om_metrics_render(&page, &len)) {
		om_http_reply(r, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	om_http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", page, len);
	free(page);
}

int om_metrics_start(const char *v, struct om_metrics_server **out, char *err, size_t err_len)
{
	struct om_metrics_server *s;
	char host[64];
	unsigned long port;
	int rc;

	*out = NULL;
	if (!v)
		return 0;
	if (split_listen(v, host, sizeof(host), &port)) {
		snprintf(err, err_len, "[metrics] listen: '%s' is not ADDRESS:PORT", v);
		return OM_EINVAL;
	}
	/* scrapers are few and local: a handful of connections, short deadlines, no body */
	const struct om_http_opts o = {
		.addr = host, .port = (uint16_t)port, .max_body = 1024, .timeout_s = 5,
		.limits = { .max_headers = 4096, .max_conns = 8, .max_conns_per_source = 4, .first_byte_ms = 2000,
			    .request_ms = 2000, .idle_ms = 10000 },
	};
	if (!(s = calloc(1, sizeof(*s))))
		return OM_ENOMEM;
	char why[256] = "";
	if ((rc = om_http_server_new(&s->http, &o, why, sizeof(why))) ||
	    (rc = om_http_route(s->http, "GET", "/metrics", on_metrics, NULL)) ||
	    (rc = om_http_server_start(s->http))) {
		snprintf(err, err_len, "[metrics] listen %s: %s", v, why[0] ? why : om_strerror(rc));
		om_metrics_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

static struct om_metric http_conns =
	OM_GAUGE("openmcim_http_connections", "Connections open on the daemon's HTTPS or HTTP listener", NULL);

static void read_http_conns(void *arg)
{
	om_metric_set(&http_conns, NULL, om_http_server_conns(arg));
}

int om_metrics_watch_http(struct om_http_server *http)
{
	return om_metrics_on_scrape(read_http_conns, http);
}

uint16_t om_metrics_port(const struct om_metrics_server *s)
{
	return s ? om_http_server_port(s->http) : 0;
}

void om_metrics_stop(struct om_metrics_server *s)
{
	if (!s)
		return;
	om_http_server_free(s->http);
	free(s);
}
