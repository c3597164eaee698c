/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the lab's report.txt in the lab tests (docs/lab.md "Report"). Test code only. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "check.h"

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
