/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's admin socket (docs/sho.md "Admin socket"): the operator's
 * commands on the running registration service, on its local socket
 * (svc/admin_socket.h: mode 0600, peers checked by SO_PEERCRED: root or the
 * SHO's own uid), never through its database. `openmcim sho-admin --socket`
 * is the client. One line each:
 *   owner-add OWNER_ID SECRET   the rest of the line is the owner's secret (the
 *                               socket cleanses each line once answered)
 *   status TRE_ID               data: "TRE_ID owner= imsi= state= current_sho= [request_id=] [reason=]"
 *   list OWNER_ID|* AFTER|-     the same lines for the owner's devices (* all), in TRE_id order after
 *                               AFTER (- from the start), at most SHO_ADMIN_PAGE; fewer: the last page
 * and (issue 15):
 *   owner-secret OWNER_ID SECRET  a new secret (the rest of the line), the old one void at once
 *   owner-list AFTER|-          data: "owner_id= created= devices=" per owner, SHO_ADMIN_PAGE after AFTER
 *   owner-delete OWNER_ID       an owner without devices (sho_owner_delete)
 *   device-show TRE_ID          the status line, then subscription= (our HSS's word) model= created= updated=
 *   device-suspend TRE_ID, device-resume TRE_ID   its subscription at our HSS (sho_device_suspend)
 *   device-delete TRE_ID        its subscription and its rows (sho_device_delete), not while it moves
 * Answers "ok" or "error <OM_E name> <reason>" (OM_ESHO_OWNER_EXISTS, OM_ESHO_NOT_FOUND, ...).
 */
#pragma once

#include <pthread.h>
#include <stddef.h>

#include "admin_socket.h"
#include "sho.h"

#define SHO_ADMIN_PAGE 500

struct sho_admin {
	struct sho *sho; /* a handle of its own, used only under lock */
	pthread_mutex_t lock;
	struct om_admin_socket *sock;
};

/* Run one command line (modified). 0, or a negative om_err code with the reason in why. */
int sho_admin_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len);

/* Serve sho at path from a thread. 0, or -1 with a reason in err. */
int sho_admin_start(struct sho_admin *a, struct sho *sho, const char *path, char *err, size_t err_len);
void sho_admin_stop(struct sho_admin *a);

/* One status line (the admin socket's and sho-admin's format) into out. */
void sho_admin_status_line(const struct sho_device_status *d, char *out, size_t cap);
