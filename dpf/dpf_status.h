/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's status socket (docs/dpf.md "Status socket"): its record as the
 * operator reads it, on the daemon's own local socket (svc/admin_socket.h:
 * mode 0600, peers checked by SO_PEERCRED: root or the DPF's own uid),
 * never through its database. Read only; each command answers "ok" or
 * "error <OM_E name> <reason>":
 *   releases TRE_ID   data: released=N installed=N failed=N superseded=N outcome=active|fallback|-
 *   completions       data: pending=N done=N refused=N
 *   installed AFTER   data: "TRE_ID N" for each device with N installed releases, in TRE_id order
 *                     after AFTER ("-": from the start), at most DPF_STATUS_PAGE lines; fewer
 *                     means the last page
 */
#pragma once

#include <pthread.h>
#include <stddef.h>

#include "admin_socket.h"
#include "dpf.h"

#define DPF_STATUS_PAGE 500

struct dpf_status {
	struct dpf *dpf;
	pthread_mutex_t *lock; /* the daemon's: held around every use of dpf (NULL: none) */
	struct om_admin_socket *sock;
};

/* Run one command line (modified). 0, or a negative om_err code with the reason in why. */
int dpf_status_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len);

/* Serve a's commands at path from a thread. 0, or -1 with a reason in err. */
int dpf_status_start(struct dpf_status *a, const char *path, char *err, size_t err_len);
void dpf_status_stop(struct dpf_status *a);
