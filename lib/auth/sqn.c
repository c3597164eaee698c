/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Home-environment SQN arithmetic (TS 33.102 Annex C.3.2, C.1.2).
 *
 * SQN = SEQ || IND. The HE advances SEQ by one per vector, whichever serving
 * network asked, and stamps the vector with that serving network's IND, so
 * the USIM's per-IND array (C.2.2) accepts vectors that two networks hold
 * and use out of order. This is libosmocore's formula
 * (auth_milenage.c: ((sqn + 2^ind_bits) & ~(2^ind_bits - 1)) + ind), with
 * the 48-bit bound made explicit: libosmocore lets SEQ run past bit 47,
 * where SQN would silently be truncated in AUTN and wrap to a small value
 * that every USIM refuses. We refuse instead; the subscription must then be
 * re-provisioned with a new K (docs/sqn.md, "Wrap-around").
 *
 * After a resync the HE never goes below what it issued (om_sqn_he_resync,
 * TS 33.102 6.3.5): libosmocore and osmo-hlr continue from SQN_MS even when
 * it is older than their own SQN, which hands out old SQNs again.
 */
#include <openmcim/be.h>
#include <openmcim/sqn.h>

int om_sqn_he_next(uint64_t *next, uint64_t last, unsigned ind, unsigned ind_bits)
{
	if (!next)
		return OM_EINVAL;
	if (ind_bits > OM_IND_BITS_MAX)
		return OM_EAUTH_INDBITS;
	if (last > OM_SQN_MAX)
		return OM_EAUTH_SQN_RANGE;
	uint64_t seq = (last >> ind_bits) + 1;
	if (seq > (OM_SQN_MAX >> ind_bits))
		return OM_EAUTH_SQN_RANGE;
	uint64_t slot = (uint64_t)ind & ((UINT64_C(1) << ind_bits) - 1);
	*next = (seq << ind_bits) | slot;
	return 0;
}

int om_sqn_he_resync(uint64_t *from, uint64_t sqn_he, uint64_t sqn_ms, unsigned ind_bits, uint64_t delta)
{
	if (!from || delta == 0)
		return OM_EINVAL;
	if (ind_bits > OM_IND_BITS_MAX)
		return OM_EAUTH_INDBITS;
	if (sqn_he > OM_SQN_MAX || sqn_ms > OM_SQN_MAX)
		return OM_EAUTH_SQN_RANGE;
	uint64_t seq_he = sqn_he >> ind_bits, seq_ms = sqn_ms >> ind_bits;
	if (seq_ms > seq_he) {
		*from = sqn_ms;
		return 1;
	}
	/* C.2.1: the USIM refuses SEQ_HE + 1 when SEQ_HE + 1 - SEQ_MS > delta */
	if (seq_he - seq_ms >= delta)
		return OM_EAUTH_RESYNC_BEHIND;
	*from = sqn_he;
	return 0;
}

void om_sqn_to_bytes(uint8_t out[static 6], uint64_t sqn)
{
	om_be_put(out, sqn, 6);
}

uint64_t om_sqn_from_bytes(const uint8_t in[static 6])
{
	return om_be_get(in, 6);
}
