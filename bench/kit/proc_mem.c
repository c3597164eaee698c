/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "proc_mem.h"

int bench_proc_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb)
{
	char path[64], line[256];
	int found = 0;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld kB", rss_kb) == 1)
			found |= 1;
		else if (sscanf(line, "VmHWM: %ld kB", hwm_kb) == 1)
			found |= 2;
	}
	fclose(f);
	return found == 3 ? 0 : -1;
}
