/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provisioning socket: the shared admin socket (svc/admin_socket.h)
 * carrying the commands of admin.c, each in one durable transaction.
 */
#include <stdio.h>

#include "admin.h"
#include "admin_socket.h"
#include "hss.h"
#include "provision.h"

static struct om_admin_socket *P;

int hss_provision_peer_allowed(uid_t peer, uid_t self)
{
	return om_admin_socket_peer_allowed(peer, self);
}

/* Each command, then no statement left busy (svc/store.h om_store_idle), as the other daemons' sockets. */
static int exec(void *arg, char *line, om_admin_emit emit, void *emit_ctx, char *why, size_t why_len)
{
	int rc = hss_admin_exec(arg, line, emit, emit_ctx, why, why_len);
	(void)hss_idle(arg, "provisioning");
	return rc;
}

int hss_provision_start(struct hss *h, const char *socket_path, char *err, size_t err_len)
{
	const struct om_admin_socket_opts o = { .what = "provisioning", .log_prefix = "prov", .exec = exec, .arg = h };
	if (P) {
		snprintf(err, err_len, "provisioning interface already started");
		return -1;
	}
	return om_admin_socket_start(&P, &o, h ? socket_path : NULL, err, err_len);
}

void hss_provision_stop(void)
{
	om_admin_socket_stop(P);
	P = NULL;
}
