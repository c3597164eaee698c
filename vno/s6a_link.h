/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's S6a side: writes the freeDiameter configuration of the MME from
 * vno.conf ([diameter] and one ConnectPeer per home network's HSS) into the
 * run directory, starts freeDiameter through svc/s6a.h, and gives the MME
 * its S6a calls (struct mme_s6a_ops) with the configured timeout.
 */
#pragma once

#include <stddef.h>

#include "mme.h"
#include "vno_conf.h"

/*
 * Write <run_dir>/freeDiameter.conf for c (run_dir "" means the current
 * directory). Returns 0, or -1 with a message in err.
 */
int vno_s6a_write_conf(const struct vno_conf *c, char *path_out, size_t path_len, char *err, size_t err_len);

/* Write the configuration, start freeDiameter, open the S6a capture if asked. 0 or -1 with err. */
int vno_s6a_start(const struct vno_conf *c, char *err, size_t err_len);

/* The MME's S6a calls on svc/s6a.h (c must outlive them). */
void vno_s6a_ops(struct mme_s6a_ops *ops, const struct vno_conf *c);

/*
 * Answer the HSS's Cancel-Location and Insert-Subscriber-Data for m: each
 * only from the HSS of the IMSI's home network (5003 otherwise); a
 * Cancel-Location ends the IMSI's context through mme_cancel(). 0 or -1.
 */
int vno_s6a_serve(struct mme *m, const struct vno_conf *c);
