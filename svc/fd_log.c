/* SPDX-License-Identifier: Apache-2.0 */
/* freeDiameter's messages as our events (svc/fd_log.h). */
#include "fd_log.h"

#include <string.h>

#include "fd_wrap.h"

#define REPEAT_MS 2000

/* Substrings of freeDiameter 1.2.1 (Debian) and GnuTLS messages, first match wins. */
static const struct rule {
	const char *needle;
	enum om_log_level level;
	const char *event;
} rules[] = {
	/* fd_core_shutdown announces a normal stop at its error level */
	{ "shutdown sequence", OM_LOG_DEBUG, "diameter-shutdown" },
	/* a peer that stopped or died: GnuTLS sees no close_notify, then the receiver thread ends */
	{ "non-properly terminated", OM_LOG_NOTICE, "diameter-link-lost" },
	{ "Transport endpoint is not connected", OM_LOG_NOTICE, "diameter-link-lost" },
	{ "Connection reset by peer", OM_LOG_NOTICE, "diameter-link-lost" },
	{ "Broken pipe", OM_LOG_NOTICE, "diameter-link-lost" },
	{ "fd_tls_rcvthr_core", OM_LOG_NOTICE, "diameter-link-lost" },
	{ "fd_cnx_s_recv", OM_LOG_NOTICE, "diameter-link-lost" },
	{ "Error in the push function", OM_LOG_NOTICE, "diameter-link-lost" },
	/* a peer whose certificate or TLS we refuse, or that refuses ours */
	{ "handshake", OM_LOG_NOTICE, "diameter-tls-failed" },
	{ "certificate", OM_LOG_NOTICE, "diameter-tls-failed" },
	/* a peer that is not listening (yet): freeDiameter tries again (TcTimer) */
	{ "Connection refused", OM_LOG_NOTICE, "diameter-connect-failed" },
	{ "connect", OM_LOG_NOTICE, "diameter-connect-failed" },
};

struct om_fd_event om_fd_log_classify(int fd_level, const char *msg)
{
	struct om_fd_event e = { OM_LOG_NOTICE, "diameter" };
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strstr(msg, rules[i].needle)) {
			e.level = rules[i].level;
			e.event = rules[i].event;
			break;
		}
	/* FD_LOG_FATAL: the framework cannot go on (its own definition) */
	if (fd_level >= FD_LOG_FATAL) {
		e.level = OM_LOG_ERROR;
		e.event = "diameter-fatal";
	} else if (fd_level < FD_LOG_ERROR && e.level > OM_LOG_DEBUG) {
		e.level = OM_LOG_DEBUG;
	}
	return e;
}

int om_fd_log_repeat(const char *event, long long now_ms)
{
	static _Thread_local const char *last;
	static _Thread_local long long last_ms;
	int repeat = last == event && now_ms - last_ms < REPEAT_MS;
	last = event;
	last_ms = now_ms;
	return repeat;
}
