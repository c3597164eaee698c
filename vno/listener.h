/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listening side the bearer and the radio server share: a TCP socket
 * and a pipe whose one byte tells the thread polling both to end.
 */
#pragma once

#include <netinet/in.h>
#include <pthread.h>

/*
 * Listen on *sa (port 0: any; *sa becomes the bound address), SO_REUSEADDR
 * when reuse_addr, and open the stop pipe. *lfd and stop[] must be -1 on
 * entry. Returns 0, or -1 with errno set and what was opened left in *lfd and
 * stop[] for vno_listener_close().
 */
int vno_listener_open(int *lfd, int stop[2], struct sockaddr_in *sa, int backlog, int reuse_addr);

/* Tell the thread polling stop[0] to end, and join it. */
void vno_listener_stop(const int stop[2], pthread_t thread);

/* Close lfd and the stop pipe, skipping what is -1. */
void vno_listener_close(int lfd, const int stop[2]);
