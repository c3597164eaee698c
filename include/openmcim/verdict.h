/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's signed verdict (B.2.3.4 IV; issue 12): the platform validation
 * of one M2MMobj, {TRE_id, nonceB, accepted or refused, reason, detail,
 * time}, signed by the PVA, so the DPF can tell the PVA's answer from
 * anyone's and bind it to the M2MMobj it asked about. The OMMO framing of
 * the M2MMobj, object type 05 (docs/formats.md "PVA verdict").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/err.h>
#include <openmcim/mobj.h>

#define OM_VERDICT_REASON_MAX 31
#define OM_VERDICT_DETAIL_MAX 159

struct om_pva_verdict {
	char tre_id[OM_TRE_ID_MAX + 1];       /* the M2MMobj's; "-" when the PVA could not read one */
	uint8_t nonce_b[OM_NONCE_LEN];        /* the M2MMobj's; zeros when the PVA could not read one */
	int accepted;                         /* 1 accepted, 0 refused */
	char reason[OM_VERDICT_REASON_MAX + 1]; /* "accepted", or the refusal in one word */
	char detail[OM_VERDICT_DETAIL_MAX + 1]; /* one line, printable ASCII; "-" when none */
	int64_t time;                         /* when the PVA decided, seconds since the epoch */
};

/*
 * Sign v with the PVA's key into out (at most cap bytes). Returns the
 * length, OM_EINVAL (a field outside its rule), OM_ENOSPC,
 * OM_EPKI_KEY_TYPE or OM_ECRYPTO.
 */
OM_NODISCARD int om_pva_verdict_build(const struct om_pva_verdict *v, EVP_PKEY *pva_key, uint8_t *out, size_t cap);

/*
 * The framing, then the signature with pva_pub, then the body into *v (only
 * after the signature verified). Returns 0 or the OM_EOBJ_* code of the
 * first failure (docs/formats.md "M2MMobj and M2MMCIMMobj", Verifying);
 * *v is zeroed on failure.
 */
OM_NODISCARD int om_pva_verdict_verify(const uint8_t *obj, size_t len, EVP_PKEY *pva_pub, struct om_pva_verdict *v);
