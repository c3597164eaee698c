/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The USIM side of AKA (TS 33.102 6.3.3) with the SQN freshness rules of
 * Annex C.2, for the device's trusted environment.
 *
 * The SQN state is a plain caller-owned struct; nothing here does I/O or
 * allocates. The TRE keeps it in a sealed file through the serialise/parse
 * pair below, and must write the new state durably before it releases RES,
 * CK and IK of an accepted challenge: otherwise a power cut could make the
 * same AUTN acceptable twice.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/milenage.h>

/* The USIM keeps at most 32 SEQ_MS slots: ind_bits 0..5 (Annex C.2.2, a = 2^ind_bits). */
#define OM_USIM_IND_BITS_MAX 5
#define OM_USIM_SLOTS_MAX (1u << OM_USIM_IND_BITS_MAX)
/* Delta rule (Annex C.2.1), in SEQ steps: the value libosmocore and osmo-hlr assume. */
#define OM_USIM_DELTA_DEFAULT (UINT64_C(1) << 28)

/*
 * SQN state of one subscription. seq_ms[i] is SEQ_MS(i), the highest SEQ
 * accepted with IND = i (0 = none yet); slots i >= 2^ind_bits stay 0.
 * delta bounds SEQ - SEQ_MS (1..SEQ max); age_limit is L, with 0 meaning no
 * age limit (the default).
 */
struct om_usim_sqn {
	uint64_t seq_ms[OM_USIM_SLOTS_MAX];
	uint64_t delta;
	uint64_t age_limit;
	uint8_t ind_bits;
};

/*
 * Serialised state, 206 bytes, every integer big-endian:
 *   [0]        version, OM_USIM_SQN_VERSION
 *   [1]        ind_bits, 0..5
 *   [2..7]     delta (48 bits)
 *   [8..13]    age_limit L (48 bits, 0 = off)
 *   [14..205]  SEQ_MS(0) .. SEQ_MS(31), 6 bytes each
 * The length is fixed whatever ind_bits is, so a sealed file's size never
 * depends on the configuration.
 */
#define OM_USIM_SQN_VERSION 1
#define OM_USIM_SQN_STATE_LEN (14 + 6 * OM_USIM_SLOTS_MAX)

/* What an authentication yields; fields not produced are zero. */
struct om_usim_out {
	uint8_t res[OM_RES_LEN];
	uint8_t ck[OM_CK_LEN];
	uint8_t ik[OM_IK_LEN];
	uint8_t auts[OM_AUTS_LEN]; /* only on OM_EAUTH_SYNC */
};

/*
 * A fresh state (every SEQ_MS(i) = 0) for a subscription whose HE uses
 * ind_bits IND bits. delta in 1..2^(48-ind_bits)-1; age_limit 0 (off) or in
 * 1..2^(48-ind_bits)-1. Returns 0, OM_EAUTH_INDBITS if ind_bits >
 * OM_USIM_IND_BITS_MAX, or OM_EINVAL for an out-of-range delta or L; s is
 * left untouched on error.
 */
OM_NODISCARD int om_usim_sqn_init(struct om_usim_sqn *s, unsigned ind_bits, uint64_t delta,
				  uint64_t age_limit);

/*
 * SQN_MS, the highest SQN accepted anywhere in the array (Annex C.2.2):
 * SEQ_MS || IND of the slot that holds it (the higher IND if two slots hold
 * the same SEQ), or 0 if nothing was ever accepted (or s is NULL or has
 * ind_bits out of range).
 */
uint64_t om_usim_sqn_ms(const struct om_usim_sqn *s);

/*
 * Annex C.2 freshness of sqn against s, without changing s: 0 if the USIM
 * would accept it, OM_EAUTH_SYNC if a rule refuses it (SEQ not above
 * SEQ_MS(IND), SEQ - SEQ_MS > delta, or SEQ_MS - SEQ >= L), OM_EAUTH_SQN_RANGE
 * if sqn has more than 48 bits, OM_EINVAL if s is not a valid state. Only
 * om_usim_authenticate() advances the state, and only after MAC-A verified.
 */
OM_NODISCARD int om_usim_sqn_check(const struct om_usim_sqn *s, uint64_t sqn);

/*
 * Write s in the layout above. Returns OM_USIM_SQN_STATE_LEN, or OM_EINVAL
 * (out is then zeroed) if s is not a valid state.
 */
OM_NODISCARD int om_usim_sqn_serialise(uint8_t out[static OM_USIM_SQN_STATE_LEN],
				       const struct om_usim_sqn *s);

/*
 * Read a state written by om_usim_sqn_serialise(). Returns 0, OM_ELENGTH,
 * OM_EAUTH_STATE_VERSION for an unknown version byte, OM_EAUTH_INDBITS, or
 * OM_EAUTH_STATE for any other inconsistency (delta or L out of range, a
 * SEQ_MS beyond the SEQ space, a non-zero unused slot). s is written only on
 * success.
 */
OM_NODISCARD int om_usim_sqn_parse(struct om_usim_sqn *s, const uint8_t *in, size_t len);

/*
 * Run AKA on the USIM side (TS 33.102 6.3.3) for (RAND, AUTN):
 *  1. SQN = (SQN xor AK) xor AK with AK = f5(RAND); MAC-A = f1(SQN, RAND, AMF)
 *     compared in constant time with AUTN's: on mismatch OM_EAUTH_MAC.
 *  2. Annex C.2 freshness: on refusal OM_EAUTH_SYNC, and out->auts =
 *     (SQN_MS xor AK*) || MAC-S with MAC-S = f1*(SQN_MS, RAND, AMF = 0000).
 *  3. Otherwise SEQ_MS(IND) := SEQ and out gets RES, CK, IK; returns 0.
 * s changes only when 0 is returned. out is zeroed first, so on any error it
 * holds nothing but, for OM_EAUTH_SYNC, the AUTS. Other errors: OM_EINVAL
 * (NULL, invalid state), OM_ECRYPTO.
 */
OM_NODISCARD int om_usim_authenticate(const struct om_milenage *m, struct om_usim_sqn *s,
				      const uint8_t rand[static OM_RAND_LEN],
				      const uint8_t autn[static OM_AUTN_LEN], struct om_usim_out *out);

/* Cleanse RES, CK, IK and AUTS. */
void om_usim_out_clear(struct om_usim_out *out);
