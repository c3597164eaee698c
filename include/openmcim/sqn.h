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
 * handed out, or after a resynchronisation what om_sqn_he_resync() gives) for serving-network slot
 * `ind`: SEQ(last) + 1 with IND = ind mod 2^ind_bits.
 * Returns 0, OM_EAUTH_INDBITS if ind_bits > OM_IND_BITS_MAX, or
 * OM_EAUTH_SQN_RANGE if SEQ would leave the 48-bit space.
 */
OM_NODISCARD int om_sqn_he_next(uint64_t *next, uint64_t last, unsigned ind, unsigned ind_bits);

/*
 * Home environment after a verified AUTS (TS 33.102 6.3.5): where to
 * continue. sqn_he is the highest SQN the HE ever issued for the
 * subscriber (or a bound above it, e.g. after a crash), sqn_ms the SQN_MS
 * recovered from AUTS, delta the USIM's C.2.1 bound in SEQ steps.
 *
 * 6.3.5 steps 2-3: if the USIM would accept the HE's own next SQN, the HE
 * keeps SQN_HE. With SEQ_HE >= SEQ_MS it would: SEQ_HE + 1 is above every
 * slot of the C.2.2 array (SQN_MS is the highest of them), above SEQ_MS so
 * the age limit L does not apply, and within delta while SEQ_HE - SEQ_MS <
 * delta. Only SEQ_MS > SEQ_HE moves the HE, up to SQN_MS (step 5). Step 5's
 * other case, going back to SQN_MS when SEQ_HE is delta or more ahead,
 * would hand out SEQs the HE issued before (an AUTS travels in clear and
 * can be replayed), so it is refused instead.
 *
 * Returns 0 with *from = sqn_he (the HE keeps its SEQ), 1 with *from =
 * sqn_ms (the USIM was ahead of everything the HE issued),
 * OM_EAUTH_RESYNC_BEHIND (*from untouched), OM_EAUTH_INDBITS,
 * OM_EAUTH_SQN_RANGE for an input beyond 48 bits, or OM_EINVAL. *from is the
 * `last` to give om_sqn_he_next().
 */
OM_NODISCARD int om_sqn_he_resync(uint64_t *from, uint64_t sqn_he, uint64_t sqn_ms, unsigned ind_bits,
				  uint64_t delta);

/* 48-bit big-endian conversions. */
void om_sqn_to_bytes(uint8_t out[static 6], uint64_t sqn);
uint64_t om_sqn_from_bytes(const uint8_t in[static 6]);
