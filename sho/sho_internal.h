/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's internal interface towards its operator's own DPF (docs/sho.md
 * "Internal socket", docs/decisions.md "Internal interfaces"): what the DPF
 * needs of a registration, asked on the SHO's local socket instead of its
 * database (svc/admin_socket.h: mode 0600, peers checked by SO_PEERCRED).
 * One line each; data lines "key=value", binary values in base64:
 *   status TRE_ID            data: tre_id= owner_id= current_sho= imsi= state=
 *                                  request_id= sequence= created= updated= reason=
 *   tre-sign-cert TRE_ID     data: cert=<DER, base64>
 *   tre-enc-cert TRE_ID      data: cert=<DER, base64>
 *   device TRE_ID            the three above in one answer (issue 14): status's lines,
 *                            nonce_a=<hex> of the handover request (if one), then
 *                            sign=<Cert_TRE signing> and enc=<Cert_TRE encryption> lines
 *   dm-auth TRE_ID           data: username= digest= nonce_a=<hex>   (a secret: never logged)
 *   sealed-mcim TRE_ID       data: part=<base64>, as many as it takes; the release: the
 *                            subscription is resumed in our HSS first (sho_activate)
 *   mark-provisioned TRE_ID  the state moves; each a no-op when already made
 *   mark-active TRE_ID
 *   mark-fell-back TRE_ID    (issue 20) refused with the fallback reason, subscription suspended
 * Answers "ok" or "error <OM_E name> <reason>" with the core's code
 * (OM_ESHO_NOT_FOUND, OM_ESHO_STATE, ...).
 *
 * The client side has the core's signatures with the socket in place of
 * the struct sho; a call not answered within the peer's deadline (the SHO
 * stopped, hung) is OM_EUNAVAILABLE.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "admin_call.h"
#include "admin_socket.h"
#include "sho.h"

struct sho_internal {
	struct sho *sho;       /* the daemon's own handle, used only under lock */
	pthread_mutex_t lock;
	struct om_admin_socket *sock;
};

/* Run one command line (modified). 0, or a negative om_err code with the reason in why. */
int sho_internal_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len);

/* Serve sho at path from a thread. 0, or -1 with a reason in err. */
int sho_internal_start(struct sho_internal *si, struct sho *sho, const char *path, char *err, size_t err_len);
void sho_internal_stop(struct sho_internal *si);

/* ---- the client side (the DPF) -------------------------------------------- */

OM_NODISCARD int sho_remote_status(const struct om_admin_peer *p, const char *tre_id, struct sho_device_status *out);
/* status, tre-sign-cert, tre-enc-cert and the nonceA in one call (sho_device_view); free with sho_device_view_free. */
OM_NODISCARD int sho_remote_device(const struct om_admin_peer *p, const char *tre_id, struct sho_device_view *out);
OM_NODISCARD int sho_remote_tre_sign_cert(const struct om_admin_peer *p, const char *tre_id, X509 **cert);
/* Cert_TRE (signing) as the SHO keeps it (DER), and its key alone (om_cert_pubkey_decode: the SHO checked it). */
OM_NODISCARD int sho_remote_tre_sign_der(const struct om_admin_peer *p, const char *tre_id, uint8_t **der,
					 size_t *der_len);
OM_NODISCARD int sho_remote_tre_sign_key(const struct om_admin_peer *p, const char *tre_id, EVP_PKEY **key);
OM_NODISCARD int sho_remote_tre_enc_cert(const struct om_admin_peer *p, const char *tre_id, uint8_t **der,
					 size_t *der_len);
/* Clear *out with sho_dm_auth_clear. */
OM_NODISCARD int sho_remote_dm_auth(const struct om_admin_peer *p, const char *tre_id, struct sho_dm_auth *out);
OM_NODISCARD int sho_remote_sealed_mcim(const struct om_admin_peer *p, const char *tre_id, uint8_t **out,
					size_t *out_len);
OM_NODISCARD int sho_remote_mark_provisioned(const struct om_admin_peer *p, const char *tre_id);
OM_NODISCARD int sho_remote_mark_active(const struct om_admin_peer *p, const char *tre_id);
OM_NODISCARD int sho_remote_mark_fell_back(const struct om_admin_peer *p, const char *tre_id);
/* The PVA's signed refusal of the device's platform, its one-word reason (sho_mark_pva_refused). */
OM_NODISCARD int sho_remote_mark_pva_refused(const struct om_admin_peer *p, const char *tre_id, const char *pva_reason);
