/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the lab's report.txt in the lab tests (docs/lab.md "Report"). Test code only. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"

/* The line of report.txt that starts with head, or NULL. */
static inline const char *report_line(const char *report, const char *head)
{
	size_t n = strlen(head);
	for (const char *p = report; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, head, n))
			return p;
	return NULL;
}

/* "phase=NAME done=D failed=F total=T" as report.txt has it. */
static inline void check_phase(const char *report, const char *name, unsigned done, unsigned total)
{
	char head[64], want[96];
	const char *l;
	snprintf(head, sizeof(head), "phase=%s ", name);
	snprintf(want, sizeof(want), "phase=%s done=%u failed=%u total=%u ", name, done, total - done, total);
	l = report_line(report, head);
	CHECK_MSG(l && !strncmp(l, want, strlen(want)), "want '%s', got '%.80s'", want, l ? l : "(none)");
}

/*
 * `openmcim lab --tre kind --devices n --jobs jobs --workdir work` through
 * the CLI at cli: it must end ok with nothing unexpected (its output on
 * stderr otherwise). out and err hold what it wrote.
 */
static inline void lab_run_tre(const char *cli, const char *kind, const char *n, const char *jobs, const char *work,
			       char *out, size_t out_cap, char *err, size_t err_cap)
{
	const char *argv[] = { cli, "lab", "--tre", kind, "--devices", n, "--jobs", jobs, "--workdir", work, NULL };
	int st = du_run_split(argv, out, out_cap, err, err_cap);
	CHECK_INT(st, 0);
	if (st != 0)
		fprintf(stderr, "--- stdout\n%s\n--- stderr\n%s\n", out, err);
	CHECK(strstr(out, "result: ok") != NULL);
	CHECK(strstr(out, "unexpected (0)") != NULL);
}

/* How many of the lab's devices (genuine TRE-<i>, then the one tampered TRX-00000001) hold file in their TRE. */
static inline unsigned lab_devices_with(const char *work, unsigned genuine, const char *file)
{
	char path[600];
	unsigned n = 0;
	for (unsigned i = 1; i <= genuine + 1; i++) {
		snprintf(path, sizeof(path), "%s/devices/%s-%08u/%s", work, i <= genuine ? "TRE" : "TRX",
			 i <= genuine ? i : 1, file);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/*
 * Run `openmcim lab ARGS --workdir DIR/lab` (the program OM_CLI names, or
 * ./openmcim) with stdout and stderr into DIR/out.txt: system()'s status;
 * *out (free it) what it printed.
 */
static inline int lab_kit_run(const char *dir, const char *args, char **out)
{
	char cmd[1600], p[700];
	const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	snprintf(cmd, sizeof(cmd), "'%s' lab %s --workdir '%s/lab' > '%s/out.txt' 2>&1", cli, args, dir, dir);
	int st = system(cmd);
	snprintf(p, sizeof(p), "%s/out.txt", dir);
	*out = (char *)check_slurp(p, NULL);
	return st;
}

/* DIR/lab/REL read whole (free it), or NULL. */
static inline char *lab_kit_file(const char *dir, const char *rel)
{
	char p[1400];
	snprintf(p, sizeof(p), "%s/lab/%s", dir, rel);
	return (char *)check_slurp(p, NULL);
}
