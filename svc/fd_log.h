/* SPDX-License-Identifier: Apache-2.0 */
/*
 * freeDiameter's own messages as our events (issue 15): each message its
 * logger hands us becomes one line with an event word and the level it
 * deserves, not a generic "error diameter". freeDiameter logs at FD_LOG_ERROR
 * what it calls "recoverable or expected error conditions" (libfdproto.h):
 * a peer that goes away without a TLS close, a refused connection, a failed
 * handshake. Those are notices here, and the two or three lines one lost
 * link produces (GnuTLS, then the receiver thread) are one event. Only
 * FD_LOG_FATAL, and nothing a healthy run produces, is an error.
 */
#pragma once

#include "log.h"

struct om_fd_event {
	enum om_log_level level;
	const char *event; /* "diameter-link-lost", "diameter-tls-failed", ... */
};

/* The event for one message at freeDiameter's level fd_level (FD_LOG_*). Pure. */
struct om_fd_event om_fd_log_classify(int fd_level, const char *msg);

/*
 * 1 when this event repeats the one this thread logged within the last
 * 2 s (the follow-up lines of one lost link): to be dropped. Records it.
 */
int om_fd_log_repeat(const char *event, long long now_ms);
