/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE's outcome statement (issue 12; docs/formats.md "Outcome
 * statement"): after B.2.3.5 only the TRE knows whether the device runs on
 * the new MCIM, so the report that makes the previous SHO release is a
 * statement the TRE signs with PrK_TRE:
 *
 *   {TRE_id, new IMSI, outcome, nonceB, bootstrap sequence, state counter, time,
 *    blocked MIDs}
 *
 * nonceB binds it to the new SHO's DM session (the DPF's release), the
 * bootstrap sequence to the previous SHO's handover (its DRF assigned it),
 * the counter to the TRE's state (docs/tre.md "State counter"), the number
 * of MIDs the TRE holds blocked reports a failed integrity check (version 2;
 * threats 1.10). Framing as M2MMobj (mobj.h), object type 04: one codec for
 * the TRE, the DPF and the DRF.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/err.h>
#include <openmcim/mcim.h>
#include <openmcim/mobj.h>

enum om_outcome_kind {
	OM_OUTCOME_ACTIVE = 1,   /* the device attached with the new MCIM (B.2.3.5) */
	OM_OUTCOME_FALLBACK = 2, /* the Note Y deadline passed: the previous MID is active again */
};

/* 9 framing + 64 TRE_id + 16 IMSI + 1 + 16 + 4 + 8 + 8 + 1, and an RSA-2048 signature at most. */
#define OM_OUTCOME_MAX 512

struct om_outcome {
	char tre_id[OM_TRE_ID_MAX + 1];
	char imsi[OM_MCIM_IMSI_MAX + 1]; /* the new MCIM's IMSI: 6..15 digits */
	int outcome;                     /* enum om_outcome_kind */
	uint8_t nonce_b[OM_NONCE_LEN];   /* of the M2MMobj whose M2MMCIMMobj installed that MCIM */
	uint32_t sequence;               /* the bootstrap sequence the TRE accepted for this change */
	uint64_t counter;                /* the TRE's state counter when it signed */
	int64_t time;                    /* seconds since the epoch, when it signed */
	uint8_t n_blocked;               /* MIDs the TRE holds BLOCKED (its integrity check failed); 0 read
					    from a version 1 statement, which did not say */
};

/* "active", "fallback", or "?" */
const char *om_outcome_name(int outcome);

/*
 * Encode o and sign it with key (ECDSA P-256 or RSA-PSS, by key type).
 * Returns the length, OM_EINVAL (a field out of range), OM_ENOSPC,
 * OM_EPKI_KEY_TYPE or OM_ECRYPTO; out is zeroed on failure.
 */
OM_NODISCARD int om_outcome_build(const struct om_outcome *o, EVP_PKEY *key, uint8_t *out, size_t cap);

/*
 * Verify with the TRE's public signing key (Cert_TRE), then parse into *o.
 * Nothing is output on failure. Returns 0, the framing codes of
 * om_m2mmobj_verify (OM_EOBJ_MAGIC, _VERSION, _TYPE, _SIG_ALGORITHM,
 * _TRUNCATED, _TRAILING, _SIGNATURE, _TOO_LONG), OM_EOBJ_FIELD (a field
 * out of range), OM_EPKI_KEY_TYPE or OM_EINVAL.
 */
OM_NODISCARD int om_outcome_verify(const uint8_t *obj, size_t len, EVP_PKEY *tre_sign_pub, struct om_outcome *o);
