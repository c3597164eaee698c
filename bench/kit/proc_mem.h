/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory of a process as the kernel accounts it (proc(5), /proc/PID/status):
 * the resident set now (VmRSS) and its peak so far (VmHWM). A benchmark
 * samples each daemon halfway through and at the end of what it measures:
 * memory that grows per device handled, once that device's work is done,
 * shows as growth between the two samples (issue 14: memory flat).
 */
#pragma once

#include <sys/types.h>

/* pid's VmRSS and VmHWM in KiB into *rss_kb and *hwm_kb: 0, or -1 when gone or unreadable. */
int bench_proc_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb);
