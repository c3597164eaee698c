/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svc/metrics: counting by label, the bound on label values, histograms,
 * the page in the text format (checked by promtool, Debian's prometheus
 * package), and the listener: GET /metrics only, [metrics] listen checked.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "daemon_util.h"
#include "metrics.h"

static struct om_metric req = OM_COUNTER("openmcim_test_requests_total", "Requests, by result", "result");
static struct om_metric plain = OM_COUNTER("openmcim_test_plain_total", "A counter without label", NULL);
static struct om_metric conns = OM_GAUGE("openmcim_test_connections", "Connections open", NULL);
static struct om_metric lat = OM_HISTOGRAM("openmcim_test_latency_seconds", "Request latency", "op");

static char dir[] = "/tmp/om-metrics-test-XXXXXX";

static int has_line(const char *page, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = page; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

static char *page(void)
{
	char *p = NULL;
	size_t n = 0;
	CHECK_INT(om_metrics_render(&p, &n), 0);
	CHECK(p && strlen(p) == n);
	return p;
}

static void counts_by_label(void)
{
	struct om_metric *const pre[] = { &plain, &conns };
	om_metrics_register(pre, 2);
	char *p = page();
	/* registered ones show 0 before their first event; an untouched labelled one is absent */
	CHECK(has_line(p, "openmcim_test_plain_total 0"));
	CHECK(has_line(p, "# TYPE openmcim_test_connections gauge"));
	CHECK(!strstr(p, "openmcim_test_requests_total"));
	free(p);

	om_metric_inc(&req, "2001");
	om_metric_add(&req, "2001", 2);
	om_metric_inc(&req, "5001");
	om_metric_inc(&req, "a \"quoted\"\nvalue");
	om_metric_inc_err(&req, OM_EINVAL);
	om_metric_inc_err(&req, 0);
	om_metric_inc(&plain, NULL);
	om_metric_set(&conns, NULL, 7);
	om_metric_gauge_add(&conns, NULL, -2);
	CHECK_INT(om_metric_value(&req, "2001"), 3);
	CHECK_INT(om_metric_value(&req, "4001"), 0);
	p = page();
	CHECK(has_line(p, "# HELP openmcim_test_requests_total Requests, by result"));
	CHECK(has_line(p, "# TYPE openmcim_test_requests_total counter"));
	CHECK(has_line(p, "openmcim_test_requests_total{result=\"2001\"} 3"));
	CHECK(has_line(p, "openmcim_test_requests_total{result=\"5001\"} 1"));
	CHECK(has_line(p, "openmcim_test_requests_total{result=\"a__quoted__value\"} 1"));
	CHECK(has_line(p, "openmcim_test_requests_total{result=\"OM_EINVAL\"} 1"));
	CHECK(has_line(p, "openmcim_test_requests_total{result=\"ok\"} 1"));
	CHECK(has_line(p, "openmcim_test_plain_total 1"));
	CHECK(has_line(p, "openmcim_test_connections 5"));
	free(p);
}

/* A peer sending endless distinct codes: the label's values stop at OM_METRIC_CHILDREN, the rest is "other". */
static void label_values_are_bounded(void)
{
	static struct om_metric m = OM_COUNTER("openmcim_test_bounded_total", "Bounded", "code");
	char v[16];
	for (int i = 0; i < 1000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		om_metric_inc(&m, v);
	}
	CHECK_INT(atomic_load(&m.n_children), OM_METRIC_CHILDREN);
	CHECK_INT(om_metric_value(&m, "0"), 1);
	CHECK_INT(om_metric_value(&m, "other"), 1000 - (OM_METRIC_CHILDREN - 1));
}

static void histogram_buckets(void)
{
	om_metric_observe(&lat, "air", 0.0005);
	om_metric_observe(&lat, "air", 0.02);
	om_metric_observe(&lat, "air", 30);
	char *p = page();
	CHECK(has_line(p, "# TYPE openmcim_test_latency_seconds histogram"));
	CHECK(has_line(p, "openmcim_test_latency_seconds_bucket{op=\"air\",le=\"0.001\"} 1"));
	CHECK(has_line(p, "openmcim_test_latency_seconds_bucket{op=\"air\",le=\"0.025\"} 2"));
	CHECK(has_line(p, "openmcim_test_latency_seconds_bucket{op=\"air\",le=\"10\"} 2"));
	CHECK(has_line(p, "openmcim_test_latency_seconds_bucket{op=\"air\",le=\"+Inf\"} 3"));
	CHECK(has_line(p, "openmcim_test_latency_seconds_count{op=\"air\"} 3"));
	CHECK(has_line(p, "openmcim_test_latency_seconds_sum{op=\"air\"} 30.020500"));
	free(p);
}

static struct om_conf *conf_with(const char *text)
{
	char path[128], err[256];
	struct om_conf_key k[] = { OM_METRICS_CONF_KEYS };
	snprintf(path, sizeof(path), "%s/m.conf", dir);
	CHECK_INT(du_write_file(path, text), 0);
	struct om_conf *c = om_conf_load(path, k, 1, err, sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	return c;
}

static void listen_is_checked(void)
{
	static const char *bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", ":9100", "::1:9100",
				     "[::1]9100", "127.0.0.1:-1", "127.0.0.1:9x" };
	char text[128], err[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[metrics]\nlisten = %s\n", bad[i]);
		struct om_conf *c = conf_with(text);
		err[0] = '\0';
		CHECK_MSG(c && om_metrics_conf_check(c, err, sizeof(err)) == -1, "%s accepted", bad[i]);
		CHECK_MSG(strstr(err, "[metrics] listen") != NULL, "%s", err);
		om_conf_free(c);
	}
	struct om_conf *c = conf_with("[metrics]\nlisten = [::1]:9100\n");
	CHECK_INT(om_metrics_conf_check(c, err, sizeof(err)), 0);
	om_conf_free(c);
	/* absent: off, and nothing listens */
	struct om_metrics_server *s = (void *)1;
	CHECK_INT(om_metrics_start(NULL, &s, err, sizeof(err)), 0);
	CHECK(s == NULL);
}

static void scrape_hook(void *arg)
{
	om_metric_set(&conns, NULL, *(int *)arg);
}

/* The page over HTTP, as Prometheus scrapes it; promtool accepts it. */
static void served_and_promtool_clean(void)
{
	static int hooked = 42;
	char err[256], url[128], out[65536], path[128];
	struct om_metrics_server *s = NULL;
	CHECK_INT(om_metrics_on_scrape(scrape_hook, &hooked), 0);
	CHECK_INT(om_metrics_start("127.0.0.1:0", &s, err, sizeof(err)), 0);
	CHECK(s != NULL && om_metrics_port(s) != 0);
	if (!s)
		return;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", om_metrics_port(s));
	const char *get[] = { "curl", "-sS", "--max-time", "5", url, NULL };
	CHECK_INT(du_run(get, 0, out, sizeof(out)), 0);
	CHECK(has_line(out, "openmcim_test_connections 42"));
	CHECK(has_line(out, "openmcim_test_requests_total{result=\"2001\"} 3"));
	snprintf(path, sizeof(path), "%s/page.prom", dir);
	CHECK_INT(du_write_file(path, out), 0);
	/* promtool reads the page on stdin and names every problem (lint included) */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	const char *lint[] = { "sh", "-c", cmd, NULL };
	int st = du_run(lint, 1, out, sizeof(out));
	CHECK_MSG(st == 0 && !out[0], "promtool: status %d: %s", st, out);
	/* a broken page must fail the same check (the check can fail) */
	CHECK_INT(du_write_file(path, "# TYPE x_total counter\nx_total{a=\"1\" 1\n"), 0);
	CHECK(du_run(lint, 1, out, sizeof(out)) != 0);
	/* nothing else is served */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", om_metrics_port(s));
	const char *other[] = { "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url, NULL };
	CHECK_INT(du_run(other, 0, out, sizeof(out)), 0);
	CHECK_MSG(!strcmp(out, "404"), "GET / answered %s", out);
	om_metrics_stop(s);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	counts_by_label();
	label_values_are_bounded();
	histogram_buckets();
	listen_is_checked();
	served_and_promtool_clean();
	du_rm_rf(dir);
	return check_done();
}
