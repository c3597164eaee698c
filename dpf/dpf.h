/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The new SHO's DPF (spec/002 B.2.3.4; spec/004 5.2.2.6.1 steps 1-14), its
 * provisioning decisions without the OMA DM transport (a later step wraps
 * this in SyncML DM over HTTPS):
 *   M2MMobj in  -> the device registered at this SHO with an accepted
 *                  handover, signed with its registered Cert_TRE, nonceA
 *                  of that handover (B.2.3.4 III), platform validated by
 *                  the PVA;
 *   M2MMCIMMobj out -> the MCIM sealed at registration, the M2MMobj's
 *                  nonceB, signed with this SHO's SHO_SIGNING key;
 *   the device's install report -> provisioned, or back to a retry.
 * Each release is recorded (TRE, nonceA, nonceB) in the DPF's own
 * database so that a replayed M2MMobj is refused. docs/dpf.md.
 *
 * Threads: a struct dpf (and the struct sho it borrows) is used by one
 * thread at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/err.h>
#include <openmcim/mobj.h>

#include "sho.h"

#define DPF_REASON_MAX 159

struct dpf;

/* The PVA's decision on one M2MMobj (docs/pva.md "Platform validation"). */
struct dpf_pva_verdict {
	int accepted;                     /* 1 accepted, 0 refused */
	char reason[32];                  /* "accepted", or the PVA's one-word refusal reason */
	char detail[DPF_REASON_MAX + 1];  /* the PVA's detail line on a refusal */
	char tre_id[OM_TRE_ID_MAX + 1];
	uint8_t nonce_b[OM_NONCE_LEN];    /* echoed when accepted: binds the answer to this M2MMobj */
};

/*
 * Ask the PVA about obj. Returns 0 with *v filled (accepted or refused), or
 * OM_EDPF_PVA when no decision could be had, with a reason in why.
 */
typedef int (*dpf_pva_fn)(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why,
			  size_t why_len);

/*
 * The PVA over HTTP (docs/pva.md): POST <ctx as a base URL>/validate with
 * the M2MMobj as the body, the plain name=value answer read back; 10 s for
 * the whole exchange. ctx is a const char * such as "http://127.0.0.1:8080".
 */
OM_NODISCARD int dpf_pva_http(void *ctx, const uint8_t *obj, size_t len, struct dpf_pva_verdict *v, char *why,
			      size_t why_len);

/* Everything the DPF needs; pointers are borrowed and must outlive the struct dpf. */
struct dpf_config {
	const char *db_path; /* the DPF's record of released MCIMs (SQLite) */
	struct sho *sho;     /* this SHO's registration core: devices, sealed MCIMs, nonceA, states */
	EVP_PKEY *sign_key;  /* SHO_SIGNING key, that of Cert_SHO[i+1] the bootstrap gave the TRE */
	dpf_pva_fn pva;      /* platform validation: dpf_pva_http, or another implementation */
	void *pva_ctx;
};

/* Open (creating or migrating the database). Returns 0, OM_EDPF_CONFIG or a store code, reason in why. */
OM_NODISCARD int dpf_open(struct dpf **out, const struct dpf_config *cfg, char *why, size_t why_len);
void dpf_close(struct dpf *d);

/*
 * B.2.3.4 steps 5-7 (spec/004 5.2.2.6.1 steps 6-12): decide on one M2MMobj
 * and, when every check passes, write the M2MMCIMMobj into out[0..cap).
 * In this order, every refusal before any write:
 *   TRE_id readable (OM_EDPF_MALFORMED), registered here
 *   (OM_EDPF_UNKNOWN_TRE), handover accepted and not yet provisioned
 *   (OM_EDPF_STATE); signature with the registered Cert_TRE
 *   (OM_EDPF_SIGNATURE); nonceA of the pending handover (OM_EDPF_NONCE_A);
 *   nonceB never seen (OM_EDPF_REPLAY_NONCE_B); no MCIM already released
 *   and unreported for this nonceA (OM_EDPF_REPLAY_NONCE_A); the PVA
 *   accepts (OM_EDPF_PVA_REFUSED, the PVA's reason in why) and answers for
 *   this TRE and nonceB (OM_EDPF_PVA).
 * Then the release (TRE, nonceA, nonceB, now) is recorded durably and the
 * length of the M2MMCIMMobj returned. A refusal is logged with its reason,
 * writes nothing and leaves out zeroed. why may be NULL.
 */
OM_NODISCARD int dpf_m2mmobj(struct dpf *d, const uint8_t *obj, size_t len, time_t now, uint8_t *out, size_t cap,
			     char *why, size_t why_len);

enum dpf_install {
	DPF_INSTALL_SUCCESS = 1, /* the TRE installed the MCIM (B.2.3.4 step V) */
	DPF_INSTALL_FAILURE = 2, /* it did not: the device may ask again with a fresh nonceB */
};

/*
 * The device's install report for the MCIM released last to tre_id:
 * success marks the device provisioned at the SHO (sho_mark_provisioned);
 * failure closes the release so the same handover (same nonceA, new
 * nonceB) may be provisioned again; the device stays handover_accepted.
 * Repeating the last report is a no-op. Returns 0, OM_EDPF_NOT_RELEASED,
 * OM_EINVAL, an sho.h code or a store code.
 */
OM_NODISCARD int dpf_install_status(struct dpf *d, const char *tre_id, enum dpf_install status, time_t now);
