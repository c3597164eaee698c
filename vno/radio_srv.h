/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's end of the radio link (include/openmcim/radio.h): a TCP listener
 * on loopback, every link on one epoll loop and each device's MME state
 * machine (vno/mme.h) run by a pool of workers, one link at a time, at most
 * conf->max_devices links at once. NAS frames in both directions go to the
 * NAS capture (vno/vno_pcap.h) when one is open.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mme.h"

struct radio_srv;

/*
 * Listen on addr:port (port 0: an ephemeral port) and serve devices with m.
 * *bound gets the port. Returns the server or NULL (logged).
 */
struct radio_srv *radio_srv_start(struct mme *m, const char *addr, uint16_t port, uint16_t *bound);

/* Stop accepting, end every connection (releasing bearers, PUR), free s. */
void radio_srv_stop(struct radio_srv *s);

/* How many deadlines the loop holds: at most one per open link (tests). */
size_t radio_srv_deadlines(struct radio_srv *s);
