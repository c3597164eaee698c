/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every role folder (svc/, tre/, sho/, drf/, ...) and tests/ is on every
 * program's include path, so `#include "x.h"` names one header only while no
 * two of those folders hold an x.h (issue 13: `drf.h` once stood in two;
 * the one found first depended on the order of -I). This test fails when a
 * header name repeats across them; the core's own headers are reached as
 * <openmcim/x.h> and lib/'s beside their sources, so neither counts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *const folders[] = { "agent", "dpf", "drf", "factory", "hss", "lab",  "pva",
				       "sho",   "svc", "tre", "vno",     "tests", "bench/kit" };

static char names[1024][256], where[1024][32];
static size_t n;
static unsigned repeats;

int main(void)
{
	const char *src = getenv("OM_SOURCE_DIR");
	CHECK_MSG(src != NULL, "OM_SOURCE_DIR not set (run through ctest)");
	if (!src)
		return check_done();
	for (size_t f = 0; f < sizeof(folders) / sizeof(folders[0]); f++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", src, folders[f]);
		DIR *d = opendir(path);
		CHECK_MSG(d != NULL, "%s", path);
		for (struct dirent *e; d && (e = readdir(d));) {
			size_t l = strlen(e->d_name);
			if (l < 3 || strcmp(e->d_name + l - 2, ".h") || l >= sizeof(names[0]))
				continue;
			for (size_t i = 0; i < n; i++)
				if (!strcmp(names[i], e->d_name)) {
					fprintf(stderr, "%s in both %s/ and %s/: qualify by folder or rename\n", e->d_name,
						where[i], folders[f]);
					repeats++;
				}
			if (n < sizeof(names) / sizeof(names[0])) {
				snprintf(names[n], sizeof(names[0]), "%s", e->d_name);
				snprintf(where[n++], sizeof(where[0]), "%s", folders[f]);
			}
		}
		if (d)
			closedir(d);
	}
	CHECK_MSG(n > 50, "only %zu headers found", n);
	CHECK_MSG(repeats == 0, "%u header names repeat across the include path's folders", repeats);
	return check_done();
}
