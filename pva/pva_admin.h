/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manufacturer's commands (docs/pva.md "Administration"): revoke,
 * add-reference, import, status, and the listings `revocations AFTER|-`
 * (data: tre_id= revoked_at= reason= sign_serial= enc_serial=) and
 * `references AFTER|-` (data: reference=MODEL/FIRMWARE/COMPONENT sha256=),
 * PVA_ADMIN_PAGE lines after AFTER; independent of the socket that carries
 * them (admin_socket.h).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "pva.h"

/* Lines in one answer of `revocations` and `references`: the client asks for the next page after the last. */
#define PVA_ADMIN_PAGE 500

typedef void (*pva_admin_emit)(void *ctx, const char *line);

/*
 * Run one command line (modified while parsed). Returns 0, or a negative
 * om_err code with a one-line reason in why. Each change is one durable
 * transaction and one log line.
 */
int pva_admin_exec(struct pva *p, char *line, pva_admin_emit emit, void *ctx, char *why, size_t why_len);

/*
 * Serve the commands on a Unix socket (mode 0600, in a directory of mode
 * 0700 owned by the daemon, created if missing, refused if open to others;
 * peers other than root and the daemon's uid refused by SO_PEERCRED) from
 * a thread. One per process. Returns 0, or -1 with a reason in err.
 */
int pva_admin_start(struct pva *p, const char *socket_path, char *err, size_t err_len);
void pva_admin_stop(void);

/* 1 if a peer with uid peer may administer a daemon running as self. */
int pva_admin_peer_allowed(uid_t peer, uid_t self);
