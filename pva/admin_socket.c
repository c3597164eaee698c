/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin socket: the shared admin socket (svc/admin_socket.h) carrying
 * the manufacturer's commands of admin.c, each in one durable transaction.
 */
#include <stdio.h>

#include "admin_socket.h"
#include "pva_admin.h"

static struct om_admin_socket *P;

int pva_admin_peer_allowed(uid_t peer, uid_t self)
{
	return om_admin_socket_peer_allowed(peer, self);
}

static int exec(void *arg, char *line, om_admin_emit emit, void *emit_ctx, char *why, size_t why_len)
{
	int rc = pva_admin_exec(arg, line, emit, emit_ctx, why, why_len);
	(void)pva_idle(arg, "admin");
	return rc;
}

int pva_admin_start(struct pva *p, const char *socket_path, char *err, size_t err_len)
{
	const struct om_admin_socket_opts o = { .what = "admin", .log_prefix = "admin", .exec = exec, .arg = p };
	if (P) {
		snprintf(err, err_len, "admin interface already started");
		return -1;
	}
	return om_admin_socket_start(&P, &o, p ? socket_path : NULL, err, err_len);
}

void pva_admin_stop(void)
{
	om_admin_socket_stop(P);
	P = NULL;
}
