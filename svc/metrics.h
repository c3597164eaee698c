/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus metrics for every daemon (issue 15, docs/operate.md "Metrics"):
 * counters, gauges and latency histograms with at most one label each, kept
 * in atomics so that any thread counts without a lock, and served as the
 * text exposition format (version 0.0.4) on GET /metrics of a small HTTP
 * listener ([metrics] listen = 127.0.0.1:PORT; off when absent).
 *
 * A metric is a static object in the file that counts it:
 *
 *   static struct om_metric air = OM_COUNTER("openmcim_hss_air_total",
 *                                            "AIRs answered, by Result-Code", "result");
 *   om_metric_inc(&air, "2001");
 *
 * It joins the process's registry on first use (or at om_metrics_register,
 * for one that should show 0 before anything happened). A label takes at
 * most OM_METRIC_CHILDREN values; later values are counted under "other", so
 * a peer that sends many distinct codes cannot grow the memory or the page.
 * Label values are our own words and numbers; any byte outside
 * [A-Za-z0-9_.:-] is written as '_'.
 */
#pragma once

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openmcim/err.h>

enum om_metric_type { OM_METRIC_COUNTER, OM_METRIC_GAUGE, OM_METRIC_HISTOGRAM };

#define OM_METRIC_CHILDREN 24
#define OM_METRIC_LABEL_MAX 40
#define OM_METRIC_BUCKETS 12 /* om_metric_bounds[]: 1 ms .. 10 s, then +Inf */

struct om_metric_child {
	char value[OM_METRIC_LABEL_MAX];
	_Atomic int64_t n;                            /* counter, gauge, or a histogram's count */
	_Atomic uint64_t sum_us;                      /* histogram: sum of observations, microseconds */
	_Atomic uint64_t bucket[OM_METRIC_BUCKETS];   /* histogram: observations <= each bound */
};

struct om_metric {
	const char *name;  /* openmcim_<nf>_<what>[_total|_seconds] */
	const char *help;
	const char *label; /* the one label's name, or NULL */
	enum om_metric_type type;
	/* the registry's; zero in the initialiser */
	_Atomic int joined;
	_Atomic unsigned n_children;
	struct om_metric *next;
	struct om_metric_child child[OM_METRIC_CHILDREN];
};

#define OM_COUNTER(n, h, l) { .name = (n), .help = (h), .label = (l), .type = OM_METRIC_COUNTER }
#define OM_GAUGE(n, h, l) { .name = (n), .help = (h), .label = (l), .type = OM_METRIC_GAUGE }
#define OM_HISTOGRAM(n, h, l) { .name = (n), .help = (h), .label = (l), .type = OM_METRIC_HISTOGRAM }

/* The histogram bucket bounds, seconds. */
extern const double om_metric_bounds[OM_METRIC_BUCKETS];

/* Counters: add n (inc: 1) under the label value (NULL for a metric without label). */
void om_metric_add(struct om_metric *m, const char *value, uint64_t n);
static inline void om_metric_inc(struct om_metric *m, const char *value)
{
	om_metric_add(m, value, 1);
}
/* Counter by an om_err code: the label value is its name ("OM_EPVA_REVOKED"), "ok" for 0. */
void om_metric_inc_err(struct om_metric *m, int code);

/* Gauges: set, or add a signed delta. */
void om_metric_set(struct om_metric *m, const char *value, int64_t v);
void om_metric_gauge_add(struct om_metric *m, const char *value, int64_t delta);

/* Histograms: one observation in seconds, or the time since t0 (CLOCK_MONOTONIC). */
void om_metric_observe(struct om_metric *m, const char *value, double seconds);
void om_metric_observe_since(struct om_metric *m, const char *value, const struct timespec *t0);
/* CLOCK_MONOTONIC now, for om_metric_observe_since. */
struct timespec om_metric_start(void);

/* The value under a label (a histogram's count), 0 when never counted: tests and status lines. */
int64_t om_metric_value(struct om_metric *m, const char *value);

/* Join the registry now, so a metric without label shows 0 before its first event. */
void om_metrics_register(struct om_metric *const *list, size_t n);

/*
 * Called before each page is written (from the metrics thread): where a
 * daemon sets the gauges it reads from elsewhere (connections open, queue
 * lengths). At most 8 hooks; returns 0 or OM_ENOSPC.
 */
OM_NODISCARD int om_metrics_on_scrape(void (*fn)(void *arg), void *arg);

/*
 * The page: every metric in the registry in the text format, into a new
 * buffer (free()). Returns 0 or OM_ENOMEM.
 */
OM_NODISCARD int om_metrics_render(char **out, size_t *len);

/* ---- the listener ------------------------------------------------------------- */

struct om_conf;
struct om_metrics_server;

/* The key every daemon accepts: [metrics] listen = ADDRESS:PORT. */
#define OM_METRICS_CONF_KEYS { "metrics", "listen", 0 }

/*
 * Check [metrics] listen ("127.0.0.1:9460", "[::1]:9460"; port 1..65535).
 * Returns 0 (set or absent) or -1 with "file: [metrics] listen: ..." in err:
 * a daemon calls it with its other checks, so --check-config refuses a bad
 * address.
 */
int om_metrics_conf_check(const struct om_conf *c, char *err, size_t err_len);

/*
 * Serve GET /metrics on listen (the value of [metrics] listen, checked by
 * om_metrics_conf_check) from a thread of its own (svc/http_server,
 * bounded: 8 connections, 4 from one address, 2 s deadlines; nothing else
 * is routed). listen NULL: off, *out NULL. Returns 0, or an om_err code
 * with the reason in err.
 */
OM_NODISCARD int om_metrics_start(const char *listen, struct om_metrics_server **out, char *err, size_t err_len);
/*
 * The gauge openmcim_http_connections: connections open on http (the
 * daemon's own listener), read at each scrape. Returns 0 or OM_ENOSPC.
 */
struct om_http_server;
OM_NODISCARD int om_metrics_watch_http(struct om_http_server *http);

/* The bound port (tests; a listen port of 0 picks a free one). */
uint16_t om_metrics_port(const struct om_metrics_server *s);
/* Stop and free; NULL is a no-op. */
void om_metrics_stop(struct om_metrics_server *s);
