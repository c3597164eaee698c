/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's default bearer, as the lab gives it: an HTTP CONNECT proxy
 * (RFC 9110 9.3.6) on 127.0.0.1 that only opens tunnels to the host:port
 * pairs the bearer's APN allows ([apn.<name>] allow in vno.conf), answers
 * 403 otherwise, and relays bytes both ways with bounded buffers. One poll
 * loop per bearer, on its own thread; closing the bearer closes every tunnel.
 */
#pragma once

#include <stdint.h>

#include <openmcim/radio.h>

#include "vno_conf.h"

struct vno_bearer;

#define BEARER_MAX_TUNNELS 16
#define BEARER_BUF 16384       /* per direction and tunnel */
#define BEARER_REQUEST_MAX 4096 /* request line and headers */

/*
 * Open a bearer for imsi restricted to apn (which must outlive it), bound to
 * the device's link by key (the LAB frame's bearer key: a CONNECT without
 * OM_RADIO_BEARER_AUTH and this key is answered 407, no tunnel, nothing
 * relayed or logged as the device's traffic): listen
 * on 127.0.0.1, an ephemeral port written to *port, and start its thread.
 * Returns the bearer, or NULL (logged) when a socket or thread fails.
 */
struct vno_bearer *bearer_open(const struct vno_apn *apn, const char *imsi,
			       const uint8_t key[static OM_RADIO_BEARER_KEY_LEN], uint16_t *port);

/* Stop the thread, close the listener and every tunnel, free b. NULL is fine. */
void bearer_close(struct vno_bearer *b);
