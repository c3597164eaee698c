/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPU time of a process as the kernel accounts it (proc(5), /proc/PID/stat):
 * utime + stime of every thread it ran, live or ended, and optionally of its
 * reaped children (cutime + cstime). A benchmark samples each process at the
 * start and at the end of what it measures and divides the difference by the
 * work done (issue 14: CPU per device for each process).
 */
#pragma once

#include <sys/types.h>

/*
 * pid's user + system CPU so far, in milliseconds (clock-tick resolution,
 * sysconf(_SC_CLK_TCK)); with_children adds its reaped children's. 0, or -1
 * when the process is gone or its stat line is unreadable.
 */
int bench_proc_cpu_ms(pid_t pid, int with_children, double *ms);
