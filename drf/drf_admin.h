/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's admin interface (docs/drf.md "Admin socket"): the register's
 * commands on the daemon's own local socket (svc/admin_socket.h: mode 0600,
 * peers checked by SO_PEERCRED), for the operator's tool `openmcim
 * drf-admin` and for the operator's own DPF, which enters a provisioned
 * device in the register here instead of opening it (docs/decisions.md
 * "Internal interfaces"). One line each, binary values in base64:
 *   device-add TRE_ID IMSI SINCE OWNER SEQUENCE ENC_CERT_B64 [SIGN_CERT_B64]
 *   lock TRE_ID UNTIL
 *   transfer-code TRE_ID [VALID_SECONDS [OWNER]]  data: the code, once (revokes the device's unused codes;
 *                                            with OWNER only if the register names that owner)
 *   owner TRE_ID OWNER                       data: codes_revoked=N (a resale: the new owner, old codes revoked)
 *   operator-add SHO_ID CERT_B64
 *   status TRE_ID                            data: tre_id=.. imsi=.. ...
 *   pending                                  data: one line per bootstrap
 *   removals                                 data: due=N not_yet_due=M
 *   device-list AFTER|-                      data: tre_id=.. imsi=.. ... per device, DRF_ADMIN_PAGE after AFTER
 *   device-delete TRE_ID                     a decommissioned device and its history (drf_device_delete)
 *   operator-list AFTER|-                    data: sho_id=.. added=.. sent_handovers=0|1 cert_sha256=.. per operator
 *   operator-change SHO_ID CERT_B64          its new SHO_SIGNING certificate (drf_operator_change)
 *   operator-delete SHO_ID                   one that sent no handover the register keeps (drf_operator_delete)
 * Each answers "ok" or "error <OM_E name> <reason>"; each change is the
 * DRF core's own call (drf.h), under the daemon's lock.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "admin_call.h"
#include "admin_socket.h"
#include "drf.h"

/* Devices in one answer of device-list: the client asks for the next page after the last. */
#define DRF_ADMIN_PAGE 500

struct drf_admin {
	struct drf *drf;
	pthread_mutex_t *lock; /* held around every use of drf (NULL: none) */
	struct om_admin_socket *sock;
};

/* Run one command line (modified). 0, or a negative om_err code with the reason in why. */
int drf_admin_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len);

/* Serve a's commands at path from a thread. 0, or -1 with a reason in err. */
int drf_admin_start(struct drf_admin *a, const char *path, char *err, size_t err_len);
void drf_admin_stop(struct drf_admin *a);

/*
 * The DPF's call after a fallback (issue 20): queue the removal of the
 * device's unused subscription with us (drf_fallback_removal over p).
 * Idempotent. Returns 0, the DRF's code, or OM_EUNAVAILABLE.
 */
int drf_remote_fallback_removal(const struct om_admin_peer *p, const char *tre_id, const char *imsi, char *why,
				size_t why_len) __attribute__((warn_unused_result));

/*
 * The DPF's call (client side): enter a provisioned device in the register
 * (drf_device_arrive over p, with the state counter of the TRE's statement
 * the DPF checked; 0 sends none). Idempotent: the same row again is 0, so a retry
 * after a lost answer changes nothing. Returns 0, the DRF's code, or
 * OM_EUNAVAILABLE (no answer within p's deadline), reason in why.
 */
int drf_remote_device_add(const struct om_admin_peer *p, const char *tre_id, const char *imsi, int64_t since,
			  const uint8_t *enc, size_t enc_len, const uint8_t *sign, size_t sign_len, const char *owner,
			  uint32_t sequence, uint64_t counter, char *why, size_t why_len) __attribute__((warn_unused_result));
