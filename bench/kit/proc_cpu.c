/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc_cpu.h"

int bench_proc_cpu_ms(pid_t pid, int with_children, double *ms)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* field 2 (comm) is in parentheses and may hold spaces: count from the last ')' */
	const char *p = strrchr(line, ')');
	unsigned long long ut, st;
	long long cut, cst;
	/* fields 3..17: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &ut, &st, &cut,
			 &cst) != 4)
		return -1;
	double hz = (double)sysconf(_SC_CLK_TCK);
	*ms = (double)(ut + st + (with_children ? (unsigned long long)(cut + cst) : 0)) * 1000.0 / hz;
	return 0;
}
