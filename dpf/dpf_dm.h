/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's OMA DM 1.2 server side of B.2.3.4 (docs/dpf.md "Daemon"),
 * transport-free: one SyncML message in, one out.
 *   package 1 (Alert 1201, DevInfo, Cred syncml:auth-md5 with the DM
 *     credentials of the device's pending handover) -> 212 and a Get of
 *     ./M2MMobj, or 401/407 with a Chal carrying a fresh NextNonce;
 *   package 3 (Results: the M2MMobj) -> dpf_m2mmobj -> package 4: Replace
 *     of ./M2MMCIMMobj, or a Status with the refusal's DM code;
 *   the device's Status for the Replace -> dpf_install_status;
 *   a later package 1 with the outcome alert (Generic Alert 1226, item
 *     ./M2MMCIMMobj of type OM_DM_TYPE_MCIM_OUTCOME, "active" or
 *     "fallback") beside Alert 1201 and the Cred -> dpf_outcome, the
 *     Statuses and Final, no Get: the session ends.
 * Sessions are keyed by SessionID and the device's user name (which is its
 * TRE_id at the SHO), bounded in number, each with its own nonce.
 *
 * Threads: a struct dpf_dm (with the struct dpf it borrows)
 * is used by one thread at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openmcim/err.h>

#include "dpf.h"
#include "sho_internal.h"

#define DPF_DM_SESSIONS_DEFAULT 64
#define DPF_DM_TIMEOUT_DEFAULT 300 /* seconds a session lives after its last message */
#define DPF_DM_AUTH_TIMEOUT_DEFAULT 30 /* seconds a challenge can be answered (at least, at most twice) */
/* cookies accepted in two windows, kept against replay (dpf_dm.c cookie_spend): 2^17 slots of 32 bytes,
 * room for 1,000 DM sessions a second (500 devices) over two windows of the default 30 s */
#define DPF_DM_SPENT_MAX 131072
#define DPF_DM_SPENT_PROBE 64 /* the slots a cookie may take, after its home slot */

struct dpf_dm;

struct dpf_dm_config {
	struct dpf *dpf;        /* borrowed: the decisions */
	const struct om_admin_peer *sho; /* borrowed: the SHO's internal socket, for the DM verifiers of pending handovers */
	const char *server_uri; /* our Source/LocURI, the bootstrap's PROVURL */
	size_t max_sessions;    /* 0: DPF_DM_SESSIONS_DEFAULT */
	unsigned timeout_s;     /* 0: DPF_DM_TIMEOUT_DEFAULT */
	unsigned auth_timeout_s; /* 0: DPF_DM_AUTH_TIMEOUT_DEFAULT */
	/* optional: the application parameters object (app_params.h) set as ./M2MAppParams after each
	 * M2MMCIMMobj (spec/000 5.2.4.3.5; docs/dm.md); borrowed, NULL: none */
	const uint8_t *app_params;
	size_t app_params_len;
	void (*queued)(void *arg); /* optional: called when an outcome queued a completion report */
	void *queued_arg;
};

/* Returns 0, OM_EINVAL or OM_ENOMEM. */
OM_NODISCARD int dpf_dm_new(struct dpf_dm **out, const struct dpf_dm_config *cfg);
void dpf_dm_free(struct dpf_dm *s);

/*
 * One SyncML DM message from a device. On 0, *out (malloc'd, the caller
 * frees) holds the answer to send back, whatever the DM outcome (a
 * challenge, a refusal Status, the M2MMCIMMobj). A message out of order in
 * its session (MsgID not the next one: a replay) gets a SyncHdr Status 403
 * and changes nothing. After the 212, a message whose hmac (the value of
 * its x-syncml-hmac header, NULL when none) is not right for its bytes and
 * our last NextNonce gets a SyncHdr Status 401, ends the session and
 * changes nothing (issue 12). Returns 0, or with no answer: OM_EDPF_UNAVAILABLE
 * (the SHO did not answer the DM verifier in time: the device retries, the
 * daemon answers HTTP 503), the codec's OM_EDM_*
 * code (not a DM message), OM_EDPF_DM_IDENTITY (no usable SessionID or
 * user name), OM_EDPF_DM_FULL (every session slot busy), OM_ENOMEM,
 * OM_ERANDOM.
 */
OM_NODISCARD int dpf_dm_handle(struct dpf_dm *s, const uint8_t *in, size_t len, const char *hmac, time_t now,
				uint8_t **out, size_t *out_len);

/*
 * dpf_dm_handle for a daemon that asks the PVA with its locks released
 * (issue 14: a slow or stopped PVA held every DM session up). With pva
 * NULL and ask not NULL, package 3 of an authenticated session (MsgID in
 * order, HMAC right) carrying its device's M2MMobj is not consumed: the
 * message as parsed is kept in *ask, ask->obj and ask->obj_len are its
 * M2MMobj, and DPF_DM_ASK_PVA is returned; the caller asks dpf_pva_ask()
 * about ask->obj without its locks and calls again with the same in and
 * len, the answer in pva and the same ask, which that call takes over (the
 * message is parsed once; ask->obj no longer valid after it). An ask not
 * handed back is released with dpf_dm_ask_free. Meanwhile the session may
 * have moved on (the device's retry): the second call then answers as for
 * any message out of order. Any other message is handled at once.
 */
#define DPF_DM_ASK_PVA 1
struct om_dm_msg;
struct dpf_dm_ask {
	const uint8_t *obj; /* the M2MMobj, inside msg */
	size_t obj_len;
	struct om_dm_msg *msg;  /* the message as parsed (dpf_dm.c) */
	const uint8_t *in;      /* the bytes it was parsed from: a second call with others parses them */
	size_t len;
};
OM_NODISCARD int dpf_dm_handle_pva(struct dpf_dm *s, const uint8_t *in, size_t len, const char *hmac, time_t now,
				   const struct dpf_pva_result *pva, struct dpf_dm_ask *ask, uint8_t **out,
				   size_t *out_len);
void dpf_dm_ask_free(struct dpf_dm_ask *ask);

/* Sessions open now (for tests and the daemon's status line). */
size_t dpf_dm_sessions(const struct dpf_dm *s);
