/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of a daemon's admin socket (admin_socket.h; the protocol
 * is in docs/hss.md "Provisioning"): one command line out, then "data ..."
 * lines and one final line, "ok" or "error <OM_E name> <reason>". Clients
 * act on the code name, never on the reason's wording: the reason is for
 * people and may change.
 *
 * Every step has a deadline (the connect, each send, the whole answer), so
 * a daemon that is stopped, hung or slow costs its caller at most that long.
 * Users: `openmcim hss-admin`/`pva-admin`, the DRF's removals, the SHO's
 * link to its HSS.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "admin_socket.h"

#define OM_ADMIN_REASON_MAX 511
#define OM_ADMIN_NAME_MAX 47

/* One connection. */
struct om_admin_conn {
	int fd;
	char buf[OM_ADMIN_LINE_MAX + 1];
	size_t have, used;
};

/* The final line of one answer. */
struct om_admin_result {
	int code;                              /* 0 for "ok"; else the error's om_err code */
	char name[OM_ADMIN_NAME_MAX + 1];      /* "ok", or the code's name as the daemon sent it */
	char reason[OM_ADMIN_REASON_MAX + 1];  /* the human reason ("" for "ok") */
};

/* What one answer line is (om_admin_parse_line). */
enum om_admin_line { OM_ADMIN_LINE_DATA = 1, OM_ADMIN_LINE_OK, OM_ADMIN_LINE_ERROR };

/*
 * Read one answer line (NUL-terminated, no newline; modified). DATA: *data
 * is the text after "data ". OK / ERROR: *res filled; an error whose name
 * this build does not know gets code OM_EPROTO with the name kept in
 * res->name. Returns the kind, or OM_EPROTO for anything else (no name, a
 * name that is not OM_E..., an unknown keyword).
 */
int om_admin_parse_line(char *line, const char **data, struct om_admin_result *res);

/*
 * Connect to the socket at path within timeout_ms. 0, or OM_EINVAL (path
 * too long), OM_EIO (no such socket, refused), OM_ETIMEOUT.
 */
int om_admin_connect(struct om_admin_conn *c, const char *path, int timeout_ms) __attribute__((warn_unused_result));

/* Send line (ending in '\n') within timeout_ms. 0, OM_EIO or OM_ETIMEOUT. */
int om_admin_send(struct om_admin_conn *c, const char *line, int timeout_ms) __attribute__((warn_unused_result));

/*
 * Read one answer within timeout_ms: each data line to on_data(ctx, text)
 * (on_data may be NULL), the final line into *res. Returns 0 (the daemon
 * answered: res->code says how), OM_ETIMEOUT, OM_EIO (the connection ended
 * first), OM_EPROTO (a line that is not the protocol, or longer than
 * OM_ADMIN_LINE_MAX).
 */
int om_admin_answer(struct om_admin_conn *c, int timeout_ms, om_admin_emit on_data, void *ctx,
		    struct om_admin_result *res) __attribute__((warn_unused_result));

/* Close the connection (a closed one is a no-op). */
void om_admin_close(struct om_admin_conn *c);

/*
 * One command on its own connection: connect, send line (ending in '\n'),
 * read the answer, close, all within timeout_ms. Returns as om_admin_answer
 * (0 means answered, res->code is the daemon's verdict) or a connect/send
 * failure.
 */
int om_admin_call(const char *path, const char *line, int timeout_ms, om_admin_emit on_data, void *ctx,
		  struct om_admin_result *res) __attribute__((warn_unused_result));

/*
 * A daemon's internal interface as its callers see it: the socket and the
 * deadline of each whole call. The DPF asks its operator's SHO and DRF over
 * theirs (docs/decisions.md "Internal interfaces").
 */
struct om_admin_link;
struct om_admin_peer {
	const char *path;
	int timeout_ms;
	struct om_admin_link *link; /* NULL: a connection per call; else the kept-open connections to reuse */
};

/*
 * A kept-open link to one daemon's socket (issue 14): up to OM_ADMIN_LINK_CONNS
 * connections, each reused for call after call, so that the DPF pays the connect
 * and the server's peer check once per connection instead of once per call (13
 * calls per device). A caller finding every connection busy waits for one within
 * its call's deadline. A connection idle for OM_ADMIN_LINK_IDLE_MS is not reused
 * (the server closes one idle for OM_ADMIN_TIMEOUT_S: a line is never sent on a
 * connection that may be closing), nor one the daemon closed or one whose call
 * failed: a failed call is OM_EUNAVAILABLE, never repeated (the caller decides).
 * Thread-safe. om_admin_link_new returns NULL when out of memory.
 */
#define OM_ADMIN_LINK_CONNS 8
#define OM_ADMIN_LINK_IDLE_MS (OM_ADMIN_TIMEOUT_S * 1000 / 2)
struct om_admin_link *om_admin_link_new(void);
void om_admin_link_free(struct om_admin_link *l);

/*
 * One call to p: the daemon's verdict (0 for "ok", else its om_err code
 * with the reason in why), or when it could not be had in time (not
 * running, hung, a broken answer) OM_EUNAVAILABLE with the transport's
 * reason in why. Data lines go to on_data (may be NULL). Over p->link when
 * set, else on a connection of its own.
 */
int om_admin_peer_call(const struct om_admin_peer *p, const char *line, om_admin_emit on_data, void *ctx, char *why,
		       size_t why_len) __attribute__((warn_unused_result));

/*
 * Binary values on a command or data line: strict base64 without newlines
 * (include/openmcim/base64.h).
 * om_admin_b64_put writes the text of in[0..len) into out (cap bytes with
 * its NUL): its length, or OM_ELENGTH. om_admin_b64_get decodes text into
 * *out (malloc'd, the caller frees) and *len: 0, OM_EPROTO or OM_ENOMEM.
 */
int om_admin_b64_put(char *out, size_t cap, const uint8_t *in, size_t len);
int om_admin_b64_get(const char *text, uint8_t **out, size_t *len) __attribute__((warn_unused_result));
