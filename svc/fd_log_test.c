/* SPDX-License-Identifier: Apache-2.0 */
/*
 * freeDiameter's messages as events (svc/fd_log.h): the lines a peer's
 * stop produced in the lab (taken from its logs) become one notice, a
 * shutdown a debug line, a fatal one an error; nothing else is an error.
 */
#include <string.h>

#include "check.h"
#include "fd_log.h"
#include "fd_wrap.h"

static void lost_link_is_one_notice(void)
{
	/* the three lines of one VNO stop, as each HSS logged them before issue 15 */
	static const char *const lines[] = {
		"TLS ERROR: in 'ret = gnutls_record_recv(session, data, sz)' :\tThe TLS connection was non-properly terminated.",
		"Fatal GNUTLS error: The TLS connection was non-properly terminated.",
		"ERROR: in '(fd_tls_rcvthr_core(conn, conn->cc_tls_para.session))' :\tTransport endpoint is not connected",
	};
	long long t = 1000000;
	for (size_t i = 0; i < 3; i++) {
		struct om_fd_event e = om_fd_log_classify(FD_LOG_ERROR, lines[i]);
		CHECK_INT(e.level, OM_LOG_NOTICE);
		CHECK_MSG(!strcmp(e.event, "diameter-link-lost"), "%s", e.event);
		/* the first is logged, its follow-ups on the same thread are not */
		CHECK_INT(om_fd_log_repeat(e.event, t + (long long)i), i > 0);
	}
	/* the next loss, later, is a new event */
	CHECK_INT(om_fd_log_repeat("diameter-link-lost", t + 5000), 0);
	(void)t;
}

static void levels(void)
{
	struct om_fd_event e = om_fd_log_classify(FD_LOG_ERROR, "freeDiameter shutdown sequence complete");
	CHECK_INT(e.level, OM_LOG_DEBUG);
	e = om_fd_log_classify(FD_LOG_ERROR, "TLS ERROR: in 'gnutls_handshake(...)' : Certificate is bad");
	CHECK_INT(e.level, OM_LOG_NOTICE);
	CHECK(!strcmp(e.event, "diameter-tls-failed"));
	e = om_fd_log_classify(FD_LOG_ERROR, "ERROR: in 'connect' : Connection refused");
	CHECK(!strcmp(e.event, "diameter-connect-failed"));
	/* an unknown message at freeDiameter's error level: a notice under a generic event */
	e = om_fd_log_classify(FD_LOG_ERROR, "something new");
	CHECK_INT(e.level, OM_LOG_NOTICE);
	CHECK(!strcmp(e.event, "diameter"));
	/* fatal: the only error, whatever it says */
	e = om_fd_log_classify(FD_LOG_FATAL, "Connection refused");
	CHECK_INT(e.level, OM_LOG_ERROR);
	CHECK(!strcmp(e.event, "diameter-fatal"));
	e = om_fd_log_classify(FD_LOG_NOTICE, "Connection refused");
	CHECK_INT(e.level, OM_LOG_DEBUG);
}

int main(void)
{
	lost_link_is_one_notice();
	levels();
	return check_done();
}
