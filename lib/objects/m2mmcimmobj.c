/* SPDX-License-Identifier: Apache-2.0 */
/*
 * M2MMCIMMobj (B.2.3.4 V): {PuK_TRE(MCIM), nonceB} signed by SHO[i+1].
 * Body (docs/formats.md): nonceB, then the protect.h MCIM object with a
 * two-byte length. The TRE opens the MCIM object itself (B.2.3.6); here it
 * is an opaque, signed blob.
 */
#include <string.h>

#include <openmcim/be.h>
#include <openmcim/mobj.h>

#include "mobj_int.h"

int om_m2mmcimmobj_build(const uint8_t *mcim_obj, size_t mcim_len, const uint8_t nonce_b[static OM_NONCE_LEN],
			 EVP_PKEY *sho_key, uint8_t *out, size_t cap)
{
	int r = OM_EINVAL;
	if (!out)
		return OM_EINVAL;
	if (!mcim_obj || mcim_len == 0 || !sho_key)
		goto out;
	r = OM_EOBJ_TOO_LONG;
	if (mcim_len > OM_MOBJ_MAX - MOBJ_HDR - OM_NONCE_LEN - 2)
		goto out;
	r = OM_ENOSPC;
	if (cap < MOBJ_HDR + OM_NONCE_LEN + 2 + mcim_len)
		goto out;
	memcpy(out + MOBJ_HDR, nonce_b, OM_NONCE_LEN);
	om_be_put(out + MOBJ_HDR + OM_NONCE_LEN, mcim_len, 2);
	memcpy(out + MOBJ_HDR + OM_NONCE_LEN + 2, mcim_obj, mcim_len);
	r = omo_mobj_sign(MOBJ_TYPE_M2MMCIMMOBJ, sho_key, out, cap, OM_NONCE_LEN + 2 + mcim_len);
out:
	if (r < 0)
		memset(out, 0, cap);
	return r;
}

int om_m2mmcimmobj_verify(const uint8_t *obj, size_t len, EVP_PKEY *sho_pub, const uint8_t **mcim_obj,
			  size_t *mcim_len, uint8_t nonce_b[static OM_NONCE_LEN])
{
	const uint8_t *body;
	size_t blen;
	if (!obj || !sho_pub || !mcim_obj || !mcim_len)
		return OM_EINVAL;
	int r = omo_mobj_open(obj, len, MOBJ_TYPE_M2MMCIMMOBJ, sho_pub, &body, &blen);
	if (r < 0)
		return r;
	if (blen < OM_NONCE_LEN + 2)
		return OM_EOBJ_TRUNCATED;
	size_t n = (size_t)body[OM_NONCE_LEN] << 8 | body[OM_NONCE_LEN + 1];
	if (n == 0)
		return OM_EOBJ_FIELD;
	if (blen - OM_NONCE_LEN - 2 < n)
		return OM_EOBJ_TRUNCATED;
	if (blen - OM_NONCE_LEN - 2 > n)
		return OM_EOBJ_TRAILING;
	memcpy(nonce_b, body, OM_NONCE_LEN);
	*mcim_obj = body + OM_NONCE_LEN + 2;
	*mcim_len = n;
	return 0;
}
