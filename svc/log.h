/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One line per event on stderr, the telecom way:
 *   2026-11-22T20:50:01.123Z hss[1234] info air imsi=001010000000001 n=3 result=ok
 * The event is a short word; details are key=value pairs. Callers never pass
 * secrets (K, OPc, CK, IK, KASME, private keys): there is no API that
 * formats a key, by design.
 */
#pragma once

#include <stdint.h>

enum om_log_level { OM_LOG_DEBUG, OM_LOG_INFO, OM_LOG_NOTICE, OM_LOG_ERROR };

/* Name the process in every line (e.g. "hss") and the lowest level shown. */
void om_log_init(const char *name, enum om_log_level min);

/* Change the lowest level shown while other threads log (SIGHUP, svc/daemon.c). */
void om_log_set_level(enum om_log_level min);

/* Parse "debug", "info", "notice" or "error"; -1 if none of those. */
int om_log_level_parse(const char *s);

void om_log(enum om_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define om_info(event, ...) om_log(OM_LOG_INFO, event, __VA_ARGS__)
#define om_notice(event, ...) om_log(OM_LOG_NOTICE, event, __VA_ARGS__)
#define om_error(event, ...) om_log(OM_LOG_ERROR, event, __VA_ARGS__)
#define om_debug(event, ...) om_log(OM_LOG_DEBUG, event, __VA_ARGS__)

/*
 * A flood of one event must not become a flood of log lines: at most burst
 * lines a second get through. The caller serialises the calls on one limit.
 * Returns 1 when this event may be logged, with *suppressed set to how many
 * were dropped since the last one that was (to be named in the line), or 0
 * when it is dropped (and counted).
 */
struct om_log_limit {
	long long window_ms;   /* CLOCK_MONOTONIC start of the current second */
	unsigned in_window;    /* lines let through in it */
	unsigned long dropped; /* since the last line let through */
};
int om_log_limit_pass(struct om_log_limit *l, unsigned burst, unsigned long *suppressed);

/*
 * Refusal lines limited per source (an address, a uid): one line per key per
 * interval_ms, the next naming how many were suppressed meanwhile.
 * OM_LOG_KEYS keys are followed at once; a key not among them while every
 * entry is within its interval shares one line a second (rest). The caller
 * serialises the calls on one limit; the count of a key whose entry is
 * taken by another goes to the next shared line. Returns 1 with *suppressed set when
 * this event may be logged, 0 when it is dropped (and counted).
 * (The rule of svc/admin_socket.c's refusal lines, threats S.16.)
 */
#define OM_LOG_KEYS 16
struct om_log_keyed {
	struct {
		uint64_t key;
		int used;
		long long since;          /* CLOCK_MONOTONIC ms of its last line */
		unsigned long suppressed; /* since then */
	} e[OM_LOG_KEYS];
	struct om_log_limit rest;
};
int om_log_keyed_pass(struct om_log_keyed *l, uint64_t key, long long interval_ms, unsigned long *suppressed);
