/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network side of AKA: authentication vectors (TS 33.102 6.3.2, TS 33.401
 * 6.1.1) and resynchronisation (TS 33.102 6.3.5), on MILENAGE.
 *
 * Everything here is pure computation into caller-owned structures: no I/O
 * and no allocation per vector. Storing the SQN durably before a vector
 * leaves is the caller's job (DESIGN.md, Storage).
 *
 * AMF separation bit (TS 33.401 6.1.1, TS 33.102 Annex H): the most
 * significant bit of AMF (amf[0] & 0x80) must be 1 in an E-UTRAN vector and
 * 0 in a UTRAN vector, so that a UMTS vector whose CK/IK a UTRAN serving
 * network holds can never pass the ME's E-UTRAN check. These calls refuse a
 * wrong bit (OM_EAUTH_AMF, OM_EAUTH_AMF_UTRAN) instead of silently fixing it:
 * a caller that stores AMF without the bit learns of it on the first vector,
 * not from a device that will not attach. om_amf_for_eutran() and
 * om_amf_for_utran() give the right AMF from a stored one.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/kdf.h>
#include <openmcim/milenage.h>
#include <openmcim/rand.h>

#define OM_AMF_SEPARATION 0x80 /* in amf[0] */

/* E-UTRAN vector as the HSS sends it to an MME (TS 33.401 6.1.2). Secret. */
struct om_eutran_vector {
	uint8_t rand[OM_RAND_LEN];
	uint8_t xres[OM_RES_LEN];
	uint8_t autn[OM_AUTN_LEN]; /* (SQN xor AK) || AMF || MAC-A */
	uint8_t kasme[OM_KASME_LEN];
};

/* UTRAN (UMTS) vector, TS 33.102 6.3.2. Secret. */
struct om_utran_vector {
	uint8_t rand[OM_RAND_LEN];
	uint8_t xres[OM_RES_LEN];
	uint8_t ck[OM_CK_LEN];
	uint8_t ik[OM_IK_LEN];
	uint8_t autn[OM_AUTN_LEN];
};

/* What one thread needs to make vectors: a KDF context and a RAND pool. */
struct om_vector_gen {
	struct om_kdf kdf;
	struct om_rand_pool pool;
};

/* One entry of a batch: a subscriber, the SQN for its vector, and for whom. */
struct om_vector_req {
	const struct om_milenage *m;
	uint64_t sqn;                 /* 48 bits, from om_sqn_he_next() */
	uint8_t amf[OM_AMF_LEN];      /* separation bit set */
	uint8_t snid[OM_SNID_LEN];    /* serving network id, om_plmn_encode() */
};

/* Returns 0, OM_EINVAL or OM_ECRYPTO. Pair with om_vector_gen_clear(). */
OM_NODISCARD int om_vector_gen_init(struct om_vector_gen *g);

/* Release the KDF context and wipe the RAND pool. */
void om_vector_gen_clear(struct om_vector_gen *g);

/* out = amf with the separation bit set (E-UTRAN) or cleared (UTRAN). */
void om_amf_for_eutran(uint8_t out[static OM_AMF_LEN], const uint8_t amf[static OM_AMF_LEN]);
void om_amf_for_utran(uint8_t out[static OM_AMF_LEN], const uint8_t amf[static OM_AMF_LEN]);

/*
 * One E-UTRAN vector for subscriber m with the given RAND (tests, and callers
 * with their own RAND source): XRES = f2, AUTN = (SQN xor AK) || AMF || f1,
 * KASME = KDF(CK || IK, 0x10, SN id, SQN xor AK) (TS 33.401 A.2).
 * Returns 0; OM_EAUTH_AMF if the separation bit is not set, OM_EAUTH_SQN_RANGE
 * if sqn exceeds 48 bits (out untouched on both); OM_ECRYPTO (out zeroed).
 */
OM_NODISCARD int om_vector_eutran_with_rand(struct om_kdf *kdf, const struct om_milenage *m,
					    const uint8_t rand[static OM_RAND_LEN], uint64_t sqn,
					    const uint8_t amf[static OM_AMF_LEN],
					    const uint8_t snid[static OM_SNID_LEN], struct om_eutran_vector *out);

/* As above with a fresh RAND from g's pool; OM_ERANDOM also zeroes out. */
OM_NODISCARD int om_vector_eutran(struct om_vector_gen *g, const struct om_milenage *m, uint64_t sqn,
				  const uint8_t amf[static OM_AMF_LEN], const uint8_t snid[static OM_SNID_LEN],
				  struct om_eutran_vector *out);

/*
 * One UTRAN vector. Returns 0; OM_EAUTH_AMF_UTRAN if the separation bit is
 * set, OM_EAUTH_SQN_RANGE (out untouched on both); OM_ECRYPTO (out zeroed).
 */
OM_NODISCARD int om_vector_utran_with_rand(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
					   uint64_t sqn, const uint8_t amf[static OM_AMF_LEN],
					   struct om_utran_vector *out);

/* As above with a fresh RAND from g's pool; OM_ERANDOM also zeroes out. */
OM_NODISCARD int om_vector_utran(struct om_vector_gen *g, const struct om_milenage *m, uint64_t sqn,
				 const uint8_t amf[static OM_AMF_LEN], struct om_utran_vector *out);

/*
 * The hot path: one E-UTRAN vector for each of n requests (any mix of
 * subscribers, SQNs and serving networks) into out[0..n-1], RANDs from g's
 * pool, no allocation. Every request is checked before any work, so a bad
 * one (NULL subscriber, SQN beyond 48 bits, separation bit unset) refuses the
 * whole batch with out untouched. OM_ECRYPTO / OM_ERANDOM midway zero all of
 * out. Returns n (at most INT_MAX) or the negative code.
 */
OM_NODISCARD int om_vector_eutran_batch(struct om_vector_gen *g, const struct om_vector_req *req, size_t n,
					struct om_eutran_vector *out);

/*
 * Resynchronisation (TS 33.102 6.3.3, 6.3.5). rand is the RAND of the
 * challenge the USIM refused, auts its AUTS (on S6a both arrive together in
 * Re-Synchronization-Info = RAND || AUTS, TS 29.272 7.3.15). Recovers
 * SQN_MS = AUTS[0..5] xor f5*(RAND) and checks AUTS[6..13] against
 * MAC-S = f1*(SQN_MS, RAND, AMF = 0000) in constant time.
 * Returns 0 with *sqn_ms set, OM_EAUTH_MACS (*sqn_ms untouched) or OM_ECRYPTO.
 * Where the HE continues is om_sqn_he_resync()'s rule (sqn.h), never simply
 * SQN_MS: an old or replayed AUTS must not move the HE's SQN back.
 */
OM_NODISCARD int om_vector_resync(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
				  const uint8_t auts[static OM_AUTS_LEN], uint64_t *sqn_ms);
