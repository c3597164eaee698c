/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequence numbers for AKA (TS 33.102 clause 6.3 and Annex C).
 *
 * SQN is 48 bits: SEQ (the high 48 - ind_bits bits) || IND (the low ind_bits
 * bits). The home environment gives each serving network its own IND and
 * advances SEQ by one per vector (Annex C.1.2, C.3.2); the USIM keeps the
 * highest accepted SEQ for each IND (Annex C.2).
 */
#pragma once

#include <stdint.h>

#include <openmcim/err.h>

#define OM_SQN_MAX ((UINT64_C(1) << 48) - 1)
#define OM_IND_BITS_MAX 28 /* Annex C: keep SEQ space for the delta rule */
#define OM_IND_BITS_DEFAULT 5

/*
 * Home environment: the SQN for the next vector after `last` (the last SQN
 * handed out, or SQN_MS after a resynchronisation) for serving-network slot
 * `ind`: SEQ(last) + 1 with IND = ind mod 2^ind_bits.
 * Returns 0, OM_EAUTH_INDBITS if ind_bits > OM_IND_BITS_MAX, or
 * OM_EAUTH_SQN_RANGE if SEQ would leave the 48-bit space.
 */
OM_NODISCARD int om_sqn_he_next(uint64_t *next, uint64_t last, unsigned ind, unsigned ind_bits);

/* 48-bit big-endian conversions. */
void om_sqn_to_bytes(uint8_t out[static 6], uint64_t sqn);
uint64_t om_sqn_from_bytes(const uint8_t in[static 6]);
