/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's signed verdict (verdict.h, docs/formats.md "PVA verdict"):
 *
 *   "OMMO" | 01 | 05 | scheme | body length (2) | body | signature
 *
 * Body: tre_id (text), nonceB (16), verdict (1: 01 accepted, 00 refused),
 * reason (text, no space), detail (text), time (8, signed, big-endian).
 */
#include <string.h>

#include <openmcim/verdict.h>

#include "mobj_int.h"

int om_pva_verdict_build(const struct om_pva_verdict *v, EVP_PKEY *pva_key, uint8_t *out, size_t cap)
{
	struct omo_wr w = { out, cap, MOBJ_HDR };
	int rc;
	if (!v || !pva_key || !out || cap < MOBJ_HDR)
		return OM_EINVAL;
	uint8_t verdict = v->accepted ? 0x01 : 0x00;
	if ((rc = omo_put_text(&w, v->tre_id, sizeof(v->tre_id), OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_raw(&w, v->nonce_b, OM_NONCE_LEN)) < 0 || (rc = omo_put_raw(&w, &verdict, 1)) < 0 ||
	    (rc = omo_put_text(&w, v->reason, sizeof(v->reason), OM_VERDICT_REASON_MAX, MOBJ_ID_LO)) < 0 ||
	    (rc = omo_put_text(&w, v->detail, sizeof(v->detail), OM_VERDICT_DETAIL_MAX, MOBJ_TEXT_LO)) < 0 ||
	    (rc = omo_put_i64(&w, v->time)) < 0)
		goto out;
	rc = omo_mobj_sign(MOBJ_TYPE_PVA_VERDICT, pva_key, out, cap, w.pos - MOBJ_HDR);
out:
	if (rc == OM_EOBJ_TOO_LONG)
		rc = OM_ENOSPC;
	if (rc < 0)
		memset(out, 0, cap);
	return rc;
}

int om_pva_verdict_verify(const uint8_t *obj, size_t len, EVP_PKEY *pva_pub, struct om_pva_verdict *v)
{
	const uint8_t *body;
	size_t blen;
	uint8_t verdict = 0xff;
	if (!obj || !pva_pub || !v)
		return OM_EINVAL;
	memset(v, 0, sizeof(*v));
	int r = omo_mobj_open(obj, len, MOBJ_TYPE_PVA_VERDICT, pva_pub, &body, &blen);
	struct omo_rd d = { body, blen, 0 };
	if (r == 0 && (r = omo_take_text(&d, v->tre_id, OM_TRE_ID_MAX, MOBJ_ID_LO)) == 0 &&
	    (r = omo_take_raw(&d, v->nonce_b, OM_NONCE_LEN)) == 0 && (r = omo_take_raw(&d, &verdict, 1)) == 0 &&
	    (r = omo_take_text(&d, v->reason, OM_VERDICT_REASON_MAX, MOBJ_ID_LO)) == 0 &&
	    (r = omo_take_text(&d, v->detail, OM_VERDICT_DETAIL_MAX, MOBJ_TEXT_LO)) == 0 &&
	    (r = omo_take_i64(&d, &v->time)) == 0) {
		if (verdict > 1)
			r = OM_EOBJ_FIELD;
		else if (d.pos != d.len)
			r = OM_EOBJ_TRAILING;
	}
	if (r < 0) {
		memset(v, 0, sizeof(*v));
		return r;
	}
	v->accepted = verdict == 1;
	return 0;
}
