/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's push endpoint: the stand-in for WAP push over SMS that carries
 * the bootstrap to a device (TR 33.812 B.2.3.3, issue 5). A DRF posts the
 * document to `POST /push/<IMSI>`; the VNO hands it to the device attached
 * with that IMSI as one OM_RADIO_PUSH frame on its radio link (docs/vno.md
 * "Push"). HTTP on svc/http_server.h, TLS with required client certificates
 * when [push] client_ca is set.
 */
#pragma once

#include <stdint.h>

#include <openmcim/bootstrap.h>

#include "mme.h"
#include "vno_conf.h"

/* The largest body the endpoint takes: one PUSH frame. */
#define VNO_PUSH_BODY_MAX OM_RADIO_PUSH_MAX
#define VNO_PUSH_CONTENT_TYPE OM_BOOTSTRAP_CONTENT_TYPE

struct vno_push;

/*
 * Listen as conf's [push] says (conf->push must be set; conf and m outlive
 * the endpoint) and serve from a thread of its own. Returns the endpoint,
 * or NULL with the reason logged.
 */
struct vno_push *vno_push_start(struct mme *m, const struct vno_conf *conf);

/* The port it listens on (the one picked when [push] port is 0). */
uint16_t vno_push_port(const struct vno_push *p);

/* Stop serving and free. NULL is a no-op. */
void vno_push_stop(struct vno_push *p);
