/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application activation server (spec/000 5.2.4.3.5, 5.2.4.6.3 steps
 * 7-8; docs/aas.md): the OMA DM 1.2 server side of the activation session,
 * transport-free, one SyncML message in, one out, on the lib/dm codec the
 * DPF and the device use.
 *
 *   package 1 (Alert 1201, DevInfo; Source/LocName the TRE_id, DevId its
 *     om_dm_dev_id) -> SyncHdr Status 407 with a Chal whose NextNonce is
 *     the activation nonce (a cookie: nothing kept);
 *   package 1 again with the activation request (aas_request.h: the TRE's
 *     signature over its TRE_id and that nonce, with Cert_TRE from the CA
 *     of tre_ca) in a Generic Alert 1226 of ./M2MActivation, and Cert_TRE
 *     good at the PVA's OCSP responder -> Statuses and a Replace of
 *     ./M2MAppParams carrying that device's application parameters
 *     (app_params.h), or Status 404 for the Alert when there are none; a
 *     request that does not verify -> SyncHdr Status 401 and a new Chal;
 *     Cert_TRE revoked or unknown to the PVA -> Status 403 for the Alert,
 *     nothing sent; the responder unreachable or its answer not trusted
 *     (within the client's deadline) -> Status 503 for the Alert, nothing
 *     sent (fail closed); Final every time;
 *   the device's Status for the Replace -> the closing Statuses, Final:
 *     the session ends. That Status is the device's word, unsigned and
 *     possibly from anyone: it is logged and counted as a report
 *     ("device-reported"), never as a delivery (docs/decisions.md
 *     "Alternative 3: the application activation server").
 *
 * No state between messages (the nonce is HMAC(cookie_key, window |
 * SessionID | TRE_id), accepted for its window and the one before): each
 * device's parameters are read from
 * params_dir/<TRE_id> (the object as app_params.h encodes it, written by
 * the activation service provider) and checked with the one codec before
 * they are sent, so a tampered or oversized file is never sent. Whom the
 * device talks to is settled by TLS before any byte reaches this file:
 * the server's key is the key of the TRE's trust root (docs/decisions.md
 * "Alternative 3: the application activation server").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <time.h>

#include <openssl/x509.h>

#include <openmcim/err.h>

#define AAS_WINDOW_S 30 /* seconds of one nonce window */

struct om_ocsp_client;

struct aas_config {
	const char *params_dir; /* one file per device, named by its TRE_id */
	const char *server_uri; /* our Source/LocURI */
	X509_STORE *trust;      /* the CA(s) of Cert_TRE (the manufacturer's PVA CA) */
	struct om_ocsp_client *ocsp; /* the PVA's responder for Cert_TRE; NULL: every proof gets 503 (fail closed) */
	uint8_t cookie_key[32]; /* drawn at start */
};

/* What one message came to, for the log line (no secret: the parameters are not secret either). */
struct aas_outcome {
	char tre_id[64];
	const char *result;     /* "challenged", "refused-request", "refused-cert", "status-unavailable", "sent",
				   "no-parameters", "refused-file", "device-reported", "device-refused", "closed";
				   "refused" when there is no answer */
	int code;               /* the om_err code of a refusal, 0 otherwise */
	unsigned device_status; /* the device's Status for the Replace (device-reported / device-refused) */
	char why[160];          /* status-unavailable: the OCSP client's one-line reason */
};

/*
 * Counted by aas_handle (svc/metrics.h, docs/operate.md "Metrics"):
 * openmcim_aas_messages_total{result} every message by its outcome's
 * result, openmcim_aas_refusals_total{code} every refusal by its om_err
 * code, openmcim_aas_params_sent_total the parameters sent after a good
 * proof and a good Cert_TRE, openmcim_aas_device_reports_total{status} the
 * device's unconfirmed Status for them.
 */
extern struct om_metric aas_messages, aas_refusals, aas_sent, aas_device_reports;
/* Join the registry, so the counters without label show 0 from the start. */
void aas_metrics_register(void);

/*
 * One SyncML DM message from a device. On 0, *out (malloc'd, the caller
 * frees) holds the answer. Returns 0, or with no answer: the codec's
 * OM_EDM_* code (not a DM message), OM_EDM_MISSING (no Source/LocName that
 * is a TRE_id, or a DevId that is not that TRE_id's), OM_ENOMEM.
 */
OM_NODISCARD int aas_handle(const struct aas_config *cfg, const uint8_t *in, size_t len, time_t now, uint8_t **out,
			    size_t *out_len, struct aas_outcome *oc);
