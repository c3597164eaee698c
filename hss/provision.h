/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS's local provisioning interface: a Unix domain socket (mode 0600,
 * in a directory of mode 0700 owned by the daemon) that accepts only peers
 * whose uid (SO_PEERCRED) is root or the daemon's own, and speaks the line
 * protocol of docs/hss.md "Provisioning". `openmcim hss-admin` is its client.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "hss.h"

/*
 * Create the socket at socket_path (its directory is made with mode 0700
 * if missing, and refused if it exists with any group or other permission
 * or another owner; a stale socket is replaced) and serve it from a thread
 * until hss_provision_stop(). One interface per process. Returns 0, or -1
 * with a one-line reason in err.
 */
int hss_provision_start(struct hss *h, const char *socket_path, char *err, size_t err_len);

/* Stop serving, join the thread and remove the socket. No-op when not started. */
void hss_provision_stop(void);

/* The peer check: 1 if a peer with uid peer may provision a daemon running as self. */
int hss_provision_peer_allowed(uid_t peer, uid_t self);
