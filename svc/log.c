/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char proc_name[32] = "openmcim";
/* SIGHUP changes it while other threads log (svc/daemon.c) */
static atomic_int min_level = OM_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "notice", "error" };

void om_log_init(const char *name, enum om_log_level min)
{
	snprintf(proc_name, sizeof(proc_name), "%s", name);
	atomic_store(&min_level, (int)min);
}

void om_log_set_level(enum om_log_level min)
{
	atomic_store(&min_level, (int)min);
}

int om_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	return -1;
}

void om_log(enum om_log_level level, const char *event, const char *fmt, ...)
{
	if ((int)level < atomic_load(&min_level))
		return;
	struct timespec ts;
	struct tm tm;
	char line[1024];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s %s",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, proc_name, (long)getpid(), level_names[level], event);
	if (n < 0)
		return;
	if (fmt && *fmt && (size_t)n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/* one event, one line: a newline inside a value would forge a line */
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	/* a single write keeps lines whole when several threads log */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

int om_log_limit_pass(struct om_log_limit *l, unsigned burst, unsigned long *suppressed)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now - l->window_ms >= 1000) {
		l->window_ms = now;
		l->in_window = 0;
	}
	if (l->in_window >= burst) {
		l->dropped++;
		return 0;
	}
	l->in_window++;
	*suppressed = l->dropped;
	l->dropped = 0;
	return 1;
}

int om_log_keyed_pass(struct om_log_keyed *l, uint64_t key, long long interval_ms, unsigned long *suppressed)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int found = -1, spare = -1;
	for (int i = 0; i < OM_LOG_KEYS && found < 0; i++) {
		if (l->e[i].used && l->e[i].key == key)
			found = i;
		else if (!l->e[i].used || (now - l->e[i].since >= interval_ms && (spare < 0 || l->e[spare].used)))
			spare = i; /* a free entry first, else one whose interval is over */
	}
	if (found >= 0 && now - l->e[found].since < interval_ms) {
		l->e[found].suppressed++;
		return 0;
	}
	if (found < 0 && spare < 0)
		return om_log_limit_pass(&l->rest, 1, suppressed);
	if (found < 0) {
		found = spare; /* an expired entry's count goes to the next shared line, not lost */
		if (l->e[found].used)
			l->rest.dropped += l->e[found].suppressed;
		l->e[found].key = key;
		l->e[found].used = 1;
		l->e[found].suppressed = 0;
	}
	*suppressed = l->e[found].suppressed;
	l->e[found].suppressed = 0;
	l->e[found].since = now;
	return 1;
}
