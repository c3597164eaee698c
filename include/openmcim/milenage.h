/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MILENAGE (3GPP TS 35.206): OPc, f1, f1*, f2, f3, f4, f5, f5*.
 *
 * Pure computation: no I/O, no allocation in the per-vector path. A
 * struct om_milenage holds one subscriber's expanded AES key schedule and
 * OPc; set it up once with om_milenage_init() and reuse it for every vector
 * of that subscriber. AES-NI is used when the CPU has it (checked once at
 * run time), otherwise OpenSSL's constant-time AES.
 *
 * Byte arrays are big-endian as in the specifications.
 */
#pragma once

#include <stdint.h>

#include <openmcim/err.h>

#define OM_K_LEN 16
#define OM_OP_LEN 16
#define OM_OPC_LEN 16
#define OM_RAND_LEN 16
#define OM_SQN_LEN 6
#define OM_AMF_LEN 2
#define OM_MAC_LEN 8
#define OM_RES_LEN 8
#define OM_CK_LEN 16
#define OM_IK_LEN 16
#define OM_AK_LEN 6
#define OM_AUTN_LEN 16
#define OM_AUTS_LEN 14

/*
 * One subscriber's MILENAGE state: expanded key schedule and OPc. Secret.
 * The OpenSSL fallback's cipher context has internal state even though the
 * f-functions take the struct const: do not use one struct om_milenage from
 * two threads at once.
 */
struct om_milenage {
	/* AES-128 round keys, 11 x 16 bytes, 16-byte aligned for AES-NI */
	_Alignas(16) uint8_t rk[11 * 16];
	uint8_t opc[OM_OPC_LEN];
	/* software fallback: OpenSSL cipher context keyed with K, or NULL */
	void *evp;
};

/* All outputs of one MILENAGE run (TS 35.206 clause 4.1). */
struct om_milenage_out {
	uint8_t mac_a[OM_MAC_LEN]; /* f1 */
	uint8_t mac_s[OM_MAC_LEN]; /* f1* */
	uint8_t res[OM_RES_LEN];   /* f2 */
	uint8_t ck[OM_CK_LEN];     /* f3 */
	uint8_t ik[OM_IK_LEN];     /* f4 */
	uint8_t ak[OM_AK_LEN];     /* f5 */
	uint8_t ak_s[OM_AK_LEN];   /* f5* */
};

/*
 * OPc = OP xor E_K(OP). Returns 0 or OM_ECRYPTO.
 */
OM_NODISCARD int om_milenage_opc(uint8_t opc[static OM_OPC_LEN], const uint8_t k[static OM_K_LEN],
				 const uint8_t op[static OM_OP_LEN]);

/*
 * Expand K and keep OPc in m. Must be paired with om_milenage_clear(), which
 * cleanses the key schedule. Returns 0 or OM_ECRYPTO / OM_ENOMEM (fallback
 * path only).
 */
OM_NODISCARD int om_milenage_init(struct om_milenage *m, const uint8_t k[static OM_K_LEN],
				  const uint8_t opc[static OM_OPC_LEN]);

/* Cleanse the key schedule and OPc and release the fallback context. */
void om_milenage_clear(struct om_milenage *m);

/*
 * Network side, one vector: TEMP once, then OUT1..OUT4 together.
 * Fills mac_a, mac_s, res, ck, ik, ak of out (not ak_s). Returns 0 or
 * OM_ECRYPTO.
 */
OM_NODISCARD int om_milenage_f1_f5(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
				   const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
				   struct om_milenage_out *out);

/* Everything, f5* (AK*) included: TEMP once, OUT1..OUT5 together. */
OM_NODISCARD int om_milenage_all(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
				 const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
				 struct om_milenage_out *out);

/*
 * Resynchronisation helpers (TS 33.102 6.3.3): AK* = f5*(RAND) and
 * MAC-S = f1*(SQN_MS, RAND, AMF). Either output pointer may be NULL.
 */
OM_NODISCARD int om_milenage_f1s_f5s(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
				     const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
				     uint8_t mac_s[OM_MAC_LEN], uint8_t ak_s[OM_AK_LEN]);

/* True when the AES-NI path is in use on this CPU. */
int om_milenage_uses_aesni(void);
