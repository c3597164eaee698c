/* SPDX-License-Identifier: Apache-2.0 */
/* The DPF's status socket (dpf_status.h): the record's status for the operator and the lab. */
#include <stdio.h>
#include <string.h>

#include "dpf_int.h"
#include "dpf_status.h"
#include "reason.h"

#define USAGE "usage: releases TRE_ID | completions | installed AFTER|-"

static int releases(struct dpf *d, const char *tre_id, om_admin_emit emit, void *ctx)
{
	static const char *const states[] = { "released", "installed", "failed", "superseded" };
	char line[256];
	size_t len = 0;
	int64_t n = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(states) / sizeof(states[0]); i++)
		if ((rc = dpf_releases_in(d, tre_id, states[i], &n)) == 0)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s=%lld ", states[i], (long long)n);
	if (rc < 0)
		return rc;
	struct dpf_release r;
	if ((rc = dpf_last_release(d, tre_id, &r)) < 0 && rc != OM_EDPF_NOT_RELEASED)
		return rc;
	snprintf(line + len, sizeof(line) - len, "outcome=%s", rc == 0 && r.outcome[0] ? r.outcome : "-");
	emit(ctx, line);
	return 0;
}

static int completions(struct dpf *d, om_admin_emit emit, void *ctx)
{
	int p = dpf_completion_count(d, "pending"), o = dpf_completion_count(d, "done"),
	    f = dpf_completion_count(d, "refused");
	char line[96];
	if (p < 0 || o < 0 || f < 0)
		return p < 0 ? p : o < 0 ? o : f;
	snprintf(line, sizeof(line), "pending=%d done=%d refused=%d", p, o, f);
	emit(ctx, line);
	return 0;
}

struct page_out {
	om_admin_emit emit;
	void *ctx;
};

static void installed_row(void *arg, const char *tre_id, int64_t n)
{
	struct page_out *o = arg;
	char line[OM_TRE_ID_MAX + 32];
	snprintf(line, sizeof(line), "%.*s %lld", OM_TRE_ID_MAX, tre_id, (long long)n);
	o->emit(o->ctx, line);
}

static int run(struct dpf *d, const char *verb, const char *arg, om_admin_emit emit, void *ctx, char *why,
	       size_t why_len)
{
	if (!strcmp(verb, "releases") && arg && strlen(arg) <= OM_TRE_ID_MAX)
		return releases(d, arg, emit, ctx);
	if (!strcmp(verb, "completions") && !arg)
		return completions(d, emit, ctx);
	if (!strcmp(verb, "installed") && arg && strlen(arg) <= OM_TRE_ID_MAX) {
		struct page_out o = { emit, ctx };
		int rc = dpf_installed_page(d, strcmp(arg, "-") ? arg : "", DPF_STATUS_PAGE, installed_row, &o);
		return rc < 0 ? rc : 0;
	}
	return om_reason(why, why_len, OM_EDPF_COMMAND, USAGE);
}

int dpf_status_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	struct dpf_status *a = arg;
	char *save = NULL, *verb = strtok_r(line, " ", &save), *word = verb ? strtok_r(NULL, " ", &save) : NULL;
	if (!verb || strtok_r(NULL, " ", &save))
		return om_reason(why, why_len, OM_EDPF_COMMAND, USAGE);
	if (a->lock)
		pthread_mutex_lock(a->lock);
	int rc = run(a->dpf, verb, word, emit, ctx, why, why_len);
	(void)dpf_idle(a->dpf, "status");
	if (a->lock)
		pthread_mutex_unlock(a->lock);
	return rc;
}

int dpf_status_start(struct dpf_status *a, const char *path, char *err, size_t err_len)
{
	const struct om_admin_socket_opts o = { .what = "status", .log_prefix = "status", .exec = dpf_status_exec,
						.arg = a };
	return om_admin_socket_start(&a->sock, &o, path, err, err_len);
}

void dpf_status_stop(struct dpf_status *a)
{
	om_admin_socket_stop(a->sock);
	a->sock = NULL;
}
