/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A daemon's local administration socket: a Unix domain socket of mode 0600
 * in a directory of mode 0700 owned by the daemon, served from one thread:
 * several clients connected at once (bounded: OM_ADMIN_CLIENTS_MAX and per
 * peer), their commands run one at a time, answers sent without blocking.
 * Only peers whose uid (SO_PEERCRED, checked once per connection) is root or
 * the daemon's own are heard (and the uids its configuration lists,
 * om_admin_socket_allow). Each connection sends command lines (at most
 * OM_ADMIN_LINE_MAX bytes each); each line gets zero or more "data ..."
 * lines, then "ok" or "error <OM_E name> <reason>" (docs/hss.md
 * "Provisioning"; the client side is admin_call.h). A client whose next line
 * is not complete OM_ADMIN_TIMEOUT_S seconds after the last answer (or the
 * connection), or that has not taken an answer in as long, is dropped, a
 * partial line answered OM_ETIMEOUT. A connection over a bound is answered
 * "error OM_EUNAVAILABLE" and closed. Pending connections are accepted
 * until the queue is empty (at most 64 a round); a refusal's log line
 * (<prefix>-refused) is written at most once per uid every 10 s, the next
 * naming how many were suppressed. Lines and answers may carry secrets:
 * they are cleansed once answered and sent. The HSS's provisioning socket and the PVA's admin
 * socket are this, with their own commands.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#define OM_ADMIN_LINE_MAX 4096
#define OM_ADMIN_TIMEOUT_S 10
/* Connections at once (issue 14): in all, per peer (a listed user by uid, root and our uid by process), and
 * how many of all only root and our uid may take */
#define OM_ADMIN_CLIENTS_MAX 64
#define OM_ADMIN_PEER_CONNS_MAX 16
#define OM_ADMIN_RESERVED 8

typedef void (*om_admin_emit)(void *ctx, const char *line);

/*
 * Run one command line (NUL-terminated, without its newline, modifiable).
 * Each emit(emit_ctx, text) becomes a "data text" line. Returns 0 ("ok"), or
 * a negative om_err code with a reason in why ("error <code name> why", or
 * the code's message when why is left empty).
 */
typedef int (*om_admin_exec)(void *arg, char *line, om_admin_emit emit, void *emit_ctx, char *why,
			     size_t why_len);

struct om_admin_socket_opts {
	const char *what;       /* names the interface in errors: "provisioning", "admin" */
	const char *log_prefix; /* log events <prefix>-listen and <prefix>-refused */
	om_admin_exec exec;
	void *arg;              /* exec's first argument */
};

struct om_admin_socket;

/*
 * Create the socket at path (its directory is made with mode 0700 if
 * missing, and refused if it exists with any group or other permission or
 * another owner; a stale socket is replaced) and serve it from a thread
 * until om_admin_socket_stop(). Returns 0 with *out set, or -1 with a
 * one-line reason in err.
 */
int om_admin_socket_start(struct om_admin_socket **out, const struct om_admin_socket_opts *o, const char *path,
			  char *err, size_t err_len) __attribute__((warn_unused_result));

/* Stop serving, join the thread, remove the socket and free s. NULL is a no-op. */
void om_admin_socket_stop(struct om_admin_socket *s);

/* The peer check: 1 if a peer with uid peer may administer a daemon running as self. */
int om_admin_socket_peer_allowed(uid_t peer, uid_t self);

/*
 * Who else may use the socket at path (threats S.15: each daemon its own
 * service user): list is the configuration's `..._allow` value, comma- or
 * space-separated user names or numeric uids, e.g. "openmcim-dpf" on the
 * SHO's internal socket. Called before om_admin_socket_start(path); with a
 * list, that socket's directory is mode 0711 and the socket 0666, so the
 * listed users can reach it, and SO_PEERCRED admits root, the daemon's own
 * uid and the uids the list names (a name is matched against the peer's
 * uid's name at each connection: a name no user has yet admits nobody);
 * any other peer is answered "error OM_EPERM" before a line is read.
 * Without a list (NULL or empty) the socket stays 0600 in a 0700
 * directory, root and our uid only. Returns 0, or -1 with a reason in err
 * (an entry that is no user name, more than OM_ADMIN_ALLOW_MAX).
 */
#define OM_ADMIN_ALLOW_MAX 8
int om_admin_socket_allow(const char *path, const char *list, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/*
 * The same from a configuration: [section] key names the socket, key_allow
 * its other users ("internal_socket" and "internal_socket_allow"). 0 when
 * either is unset; -1 with "file: [section] key_allow: reason" in err.
 */
struct om_conf;
int om_admin_socket_allow_conf(const struct om_conf *c, const char *section, const char *key, char *err,
			       size_t err_len) __attribute__((warn_unused_result));

/*
 * Serve one connected client on fd until it closes, times out or sends a
 * line longer than OM_ADMIN_LINE_MAX (answered "error OM_ELENGTH line too
 * long"); a peer of another uid gets "error OM_EPERM ...". The
 * peer check is made first. The socket thread calls this for each client;
 * tests call it on one end of a socketpair.
 */
void om_admin_socket_serve_client(const struct om_admin_socket_opts *o, int fd);
