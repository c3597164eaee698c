/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The devices' default bearers, as the lab gives them: one HTTP CONNECT
 * proxy (RFC 9110 9.3.6) on 127.0.0.1 for every bearer of the process. A
 * CONNECT names its bearer by the key it carries (OM_RADIO_BEARER_AUTH, the
 * LAB frame's key, told to the device over its own radio link only); the
 * proxy then opens tunnels only to the host:port pairs that bearer's APN
 * allows ([apn.<name>] allow in vno.conf), answers 403 otherwise, and relays
 * bytes both ways with bounded buffers. Every tunnel runs on one event loop
 * (libevent, one thread), started with the first bearer; closing a bearer
 * closes its tunnels before bearer_close() returns.
 *
 * Issue 14: a listening socket and a poll thread per bearer were more than
 * 100,000 attached devices can have (65,535 ports of one address, the thread
 * cap); now a bearer is a table entry.
 */
#pragma once

#include <stdint.h>

#include <openmcim/radio.h>

#include "bearer_request.h" /* BEARER_REQUEST_MAX */
#include "vno_conf.h"

struct vno_bearer;

#define BEARER_MAX_TUNNELS 16     /* per bearer: a 17th CONNECT with its key gets 503 */
#define BEARER_BUF 16384          /* per direction and tunnel */
#define BEARER_PENDING_MAX 1024   /* connections whose CONNECT has not named a bearer yet; a newcomer
				   * beyond this closes the oldest of them */
#define BEARER_REQUEST_MS 5000    /* a connection's whole request is due this long after its accept */
#define BEARER_CONNECT_MS 5000    /* an upstream connection not up this long after its dial: 504 */

/*
 * Open a bearer for imsi restricted to apn (which must outlive it), bound to
 * the device's link by key (the LAB frame's bearer key: a CONNECT without
 * OM_RADIO_BEARER_AUTH and the key of an open bearer is answered 407, no
 * tunnel, nothing relayed or logged as a device's traffic). *port is the
 * proxy's port on 127.0.0.1 (the same for every bearer). Returns the bearer,
 * or NULL (logged) when the proxy cannot start or memory runs out.
 */
struct vno_bearer *bearer_open(const struct vno_apn *apn, const char *imsi,
			       const uint8_t key[static OM_RADIO_BEARER_KEY_LEN], uint16_t *port);

/* Forget b's key, close its tunnels (done when this returns), free b. NULL is fine. */
void bearer_close(struct vno_bearer *b);
