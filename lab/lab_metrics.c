/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab scrapes each daemon's Prometheus page as a Prometheus server would
 * (GET /metrics on its [metrics] listen) into <workdir>/metrics/<name>.prom,
 * so that tests/metrics_lab_test.c can check them with promtool and hold the
 * counters against what the scenario did (docs/lab.md "Metrics").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab_proc.h"
#include "lab_topology.h"

#define PAGE_MAX (1u << 20)
#define SCRAPE_MS 5000

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* GET /metrics over HTTP/1.0 on 127.0.0.1:port: the body into *out (malloc'd). 0 or -1 with why. */
static int get_page(uint16_t port, char **out, size_t *len, char *why, size_t why_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	char *buf = malloc(PAGE_MAX + 1);
	size_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;
	long long deadline = now_ms() + SCRAPE_MS;
	if (!buf || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
		snprintf(why, why_len, "port %u: %s", port, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			snprintf(why, why_len, "port %u: no whole answer in %d ms", port, SCRAPE_MS);
			goto out;
		}
		ssize_t r = recv(fd, buf + n, PAGE_MAX - n, 0);
		if (r < 0) {
			snprintf(why, why_len, "port %u: %s", port, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if ((n += (size_t)r) == PAGE_MAX) {
			snprintf(why, why_len, "port %u: page above %u bytes", port, PAGE_MAX);
			goto out;
		}
	}
	buf[n] = '\0';
	char *body = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200 ", 5) || !body) {
		snprintf(why, why_len, "port %u: answered '%.40s'", port, buf);
		goto out;
	}
	body += 4;
	*len = n - (size_t)(body - buf);
	memmove(buf, body, *len + 1);
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int lab_metrics_save(uint16_t port, const char *path, char *why, size_t why_len)
{
	char *page = NULL;
	size_t len = 0;
	if (get_page(port, &page, &len, why, why_len) < 0)
		return OM_EIO;
	int rc = lab_write_file(path, page, 0600);
	if (rc < 0)
		snprintf(why, why_len, "%s: cannot write", path);
	free(page);
	return rc < 0 ? OM_EIO : 0;
}

int lab_metrics_scrape(struct lab *l, char *why, size_t why_len)
{
	char dir[LAB_PATH_MAX + 16], path[LAB_PATH_MAX + 64];
	int rc = 0;
	if (lab_mkdir(lab_path(l, "metrics", dir, sizeof(dir)), 0700) < 0) {
		snprintf(why, why_len, "%s: %s", dir, strerror(errno));
		return OM_EIO;
	}
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		char *page = NULL, err[300];
		size_t len = 0;
		if (!l->pid[d])
			continue;
		snprintf(path, sizeof(path), "%s/%s.prom", dir, lab_daemon_name((enum lab_daemon)d));
		if (get_page(lab_metrics_port(l, (enum lab_daemon)d), &page, &len, err, sizeof(err)) < 0) {
			if (rc == 0)
				snprintf(why, why_len, "%s: %s", lab_daemon_name((enum lab_daemon)d), err);
			rc = OM_EIO;
			continue;
		}
		if (lab_write_file(path, page, 0600) < 0 && rc == 0) {
			snprintf(why, why_len, "%s: cannot write", path);
			rc = OM_EIO;
		}
		free(page);
	}
	return rc;
}
