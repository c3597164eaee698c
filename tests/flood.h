/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attack clients for the bounded-server tests (issue 14): raw TCP
 * connections from a chosen loopback source address (127.0.0.2 plays the
 * attacker, 127.0.0.1 the genuine client), a slow drip, a check that the
 * server closed a connection, and a process's resident memory.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A TCP connection from src (NULL: any) to 127.0.0.1:port, or -1. */
int fl_connect(const char *src, unsigned port);

/* Send all of buf; 0, or -1 once the server closed. */
int fl_send(int fd, const void *buf, size_t len);

/*
 * Wait up to ms for the server to close fd (read returns 0 or an error;
 * anything it sends before is read and dropped). 1 if it closed, 0 if not.
 */
int fl_closed_within(int fd, int ms);

/* Milliseconds on the monotonic clock. */
int64_t fl_now_ms(void);

/* VmRSS of pid in KiB (0: this process), or -1. */
long fl_rss_kib(pid_t pid);
