/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAS security for EPS (TS 33.401, TS 24.301 4.4): the NAS keys from KASME
 * (TS 33.401 A.7), 128-EIA2 and 128-EEA2 (TS 33.401 B.2.3, B.1.3) on
 * OpenSSL 3, the MAC of a security-protected NAS message, and the NAS COUNT
 * replay check. Pure: no I/O, no allocation after om_nas_sec_init(); the
 * caller owns the contexts. A struct om_nas_sec is not for two threads at once.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/kdf.h>

#define OM_NAS_KEY_LEN 16 /* K_NASint, K_NASenc */
#define OM_NAS_MAC_LEN 4  /* NAS-MAC, TS 24.301 9.5 */
#define OM_NAS_FC_ALG_KEY 0x15 /* TS 33.401 A.7 */

/* Algorithm type distinguisher, TS 33.401 A.7 table A.7-1. */
enum om_nas_alg_type {
	OM_NAS_ALG_ENC = 0x01, /* NAS-enc-alg */
	OM_NAS_ALG_INT = 0x02, /* NAS-int-alg */
};

/* Algorithm identities, TS 33.401 5.1.3.2 / 5.1.4.2 (the same numbers for EEA and EIA). */
#define OM_NAS_EEA0 0
#define OM_NAS_EEA2 2
#define OM_NAS_EIA0 0
#define OM_NAS_EIA2 2

/* Directions, TS 33.401 B.1.1: 0 uplink, 1 downlink. */
#define OM_NAS_SEC_UPLINK 0
#define OM_NAS_SEC_DOWNLINK 1

/* The BEARER input for NAS is 0 (TS 33.401 8.2). */
#define OM_NAS_BEARER 0

/* Caller-owned crypto context: fetched CMAC, AES-128-CTR and AES-128-CBC, and their contexts. */
struct om_nas_sec {
	void *mac;     /* EVP_MAC * (CMAC) */
	void *mac_ctx; /* EVP_MAC_CTX *, cipher set to AES-128-CBC */
	void *ctr;     /* EVP_CIPHER * aes-128-ctr */
	void *cbc;     /* EVP_CIPHER * aes-128-cbc, for EIA2 over a bit length */
	void *cctx;    /* EVP_CIPHER_CTX * */
};

/* Fetch the algorithms and make the contexts. Returns 0, OM_EINVAL or OM_ECRYPTO. */
OM_NODISCARD int om_nas_sec_init(struct om_nas_sec *s);

/* Free what om_nas_sec_init() made (OpenSSL cleanses key schedules on free); safe twice. */
void om_nas_sec_clear(struct om_nas_sec *s);

/*
 * K_NASenc or K_NASint (TS 33.401 A.7): KDF(KASME, FC = 0x15, P0 = type,
 * P1 = algorithm identity), truncated to its 128 least significant bits
 * (the last 16 octets). Returns 0, OM_EINVAL or OM_ECRYPTO; key zeroed on failure.
 */
OM_NODISCARD int om_nas_alg_key(struct om_kdf *kdf, uint8_t key[static OM_NAS_KEY_LEN],
				const uint8_t kasme[static OM_KASME_LEN], enum om_nas_alg_type type,
				uint8_t alg_id);

/*
 * 128-EIA2 (TS 33.401 B.2.3): the first 32 bits of AES-CMAC(key, COUNT ||
 * BEARER || DIRECTION || 0^26 || MESSAGE) over 64 + bits bits. bits need not
 * be a multiple of 8 (CMAC is defined on bit strings, NIST SP 800-38B); the
 * bits of msg past bits are ignored. Returns 0, OM_EINVAL or OM_ECRYPTO.
 */
OM_NODISCARD int om_eia2(struct om_nas_sec *s, uint8_t mac[static OM_NAS_MAC_LEN],
			 const uint8_t key[static OM_NAS_KEY_LEN], uint32_t count, uint8_t bearer,
			 uint8_t direction, const uint8_t *msg, size_t bits);

/*
 * 128-EEA2 (TS 33.401 B.1.3): out = in xor AES-128-CTR keystream with the
 * first counter block COUNT || BEARER || DIRECTION || 0^26 || 0^64, over
 * bits bits; the unused low bits of the last octet of out are zeroed. in and
 * out may be the same buffer. Returns 0, OM_EINVAL or OM_ECRYPTO.
 */
OM_NODISCARD int om_eea2(struct om_nas_sec *s, uint8_t *out, const uint8_t key[static OM_NAS_KEY_LEN],
			 uint32_t count, uint8_t bearer, uint8_t direction, const uint8_t *in,
			 size_t bits);

/* NAS COUNT (TS 24.301 4.4.3.1): 0x00 || NAS overflow (16 bits) || NAS SQN (8 bits). */
static inline uint32_t om_nas_count(uint16_t overflow, uint8_t sqn)
{
	return (uint32_t)overflow << 8 | sqn;
}

/*
 * A security-protected NAS message (TS 24.301 9.1): octet 0 security header
 * type and PD, octets 1..4 the MAC, octet 5 the SQN, then the NAS message.
 * The MAC covers octet 5 onwards (9.5).
 */
#define OM_NAS_SEC_HDR_LEN 6

/*
 * Write the NAS-MAC (128-EIA2, bearer 0) of the protected message pdu into
 * pdu[1..4], over pdu[5..len) with COUNT = count. The SQN octet must already
 * be the low octet of count. Returns 0, OM_EINVAL, OM_ENAS_TRUNCATED or OM_ECRYPTO.
 */
OM_NODISCARD int om_nas_mac_seal(struct om_nas_sec *s, uint8_t *pdu, size_t len,
				 const uint8_t k_nas_int[static OM_NAS_KEY_LEN], uint32_t count,
				 uint8_t direction);

/*
 * Check the NAS-MAC of a received protected message with COUNT = count
 * (om_nas_count_estimate()). Returns 0; OM_ENAS_TRUNCATED; OM_ENAS_MAC if
 * the SQN octet is not the low octet of count or the MAC (compared with
 * CRYPTO_memcmp) does not verify; OM_EINVAL or OM_ECRYPTO.
 */
OM_NODISCARD int om_nas_mac_verify(struct om_nas_sec *s, const uint8_t *pdu, size_t len,
				   const uint8_t k_nas_int[static OM_NAS_KEY_LEN], uint32_t count,
				   uint8_t direction);

/* The receiver's NAS COUNT state for one direction. */
struct om_nas_count_state {
	uint32_t last;    /* last NAS COUNT accepted */
	int accepted_any; /* 0 until the first accepted message */
};

/*
 * The NAS COUNT a received SQN stands for (TS 24.301 4.4.3.1): the overflow
 * of the last accepted COUNT, plus one if that would not be above it.
 */
uint32_t om_nas_count_estimate(const struct om_nas_count_state *st, uint8_t sqn);

/*
 * Accept count after its MAC verified: OM_ENAS_REPLAY (state unchanged) if
 * it is not above the last accepted one (TS 33.401 8.1: a NAS COUNT is never
 * accepted twice) or past 24 bits; 0 and state updated otherwise.
 */
OM_NODISCARD int om_nas_count_accept(struct om_nas_count_state *st, uint32_t count);

/* ---- one side's EPS NAS security context (lib/nas/nas_protect.c) ------------ */

/* Security header types, TS 24.301 9.3.1. */
enum om_nas_sht {
	OM_NAS_SHT_PLAIN = 0,
	OM_NAS_SHT_INT = 1,         /* integrity protected */
	OM_NAS_SHT_INT_ENC = 2,     /* integrity protected and ciphered */
	OM_NAS_SHT_INT_NEW = 3,     /* integrity protected with new EPS security context (SMC) */
	OM_NAS_SHT_INT_ENC_NEW = 4, /* integrity protected and ciphered with new context (SM Complete) */
};

/*
 * The current EPS security context of one end (TS 33.401 7.2.4, TS 24.301
 * 4.4.2): the NAS keys of one KASME for the algorithms the MME selected,
 * the NAS COUNT of the next message sent, and the receiver's COUNT state.
 * Secret (the keys): om_nas_ctx_clear() cleanses it.
 */
struct om_nas_ctx {
	struct om_nas_sec alg;
	uint8_t k_int[OM_NAS_KEY_LEN];
	uint8_t k_enc[OM_NAS_KEY_LEN];
	uint8_t eea, eia, ksi;
	uint8_t tx_dir;   /* OM_NAS_SEC_UPLINK on the device, OM_NAS_SEC_DOWNLINK on the MME */
	uint32_t tx_count; /* NAS COUNT of the next message sent */
	struct om_nas_count_state rx;
	int active;       /* 1 once keys are set: every message is protected from then on */
};

/*
 * Set up c from KASME for the selected algorithms (EEA0 or 128-EEA2,
 * 128-EIA2: the only integrity algorithm outside emergency, TS 33.401
 * 5.1.4.2), KSI ksi, sending in direction tx_dir; both COUNTs start at 0
 * (TS 33.401 7.2.4.4: a new KASME). Returns 0, OM_ENAS_SMC (an algorithm
 * not implemented, EIA0 included), OM_EINVAL or OM_ECRYPTO; c is cleared on
 * failure. c must be zeroed or cleared before.
 */
OM_NODISCARD int om_nas_ctx_init(struct om_nas_ctx *c, const uint8_t kasme[static OM_KASME_LEN], uint8_t eea,
				 uint8_t eia, uint8_t ksi, uint8_t tx_dir);

/* Cleanse the keys and free the OpenSSL contexts; safe on a zeroed or cleared context. */
void om_nas_ctx_clear(struct om_nas_ctx *c);

/*
 * The security header type of a received NAS PDU (octet 1, bits 8..5), or
 * OM_ENAS_TRUNCATED (empty) / OM_ENAS_PD (not EMM: for ESM those bits are
 * a bearer identity).
 */
OM_NODISCARD int om_nas_sht(const uint8_t *pdu, size_t len);

/*
 * Protect the plain NAS message plain (n octets, om_nas_encode()) as
 * security header type sht (1..4) with the next NAS COUNT: header, NAS-MAC,
 * SQN, then the message, ciphered with the context's EEA for types 2 and 4
 * (TS 24.301 4.4.5: ciphering first, then the MAC over SQN and
 * ciphertext). The COUNT moves on only on success. Returns the length
 * written, OM_ENOSPC, OM_EINVAL (inactive context, bad type) or OM_ECRYPTO.
 */
OM_NODISCARD int om_nas_protect(struct om_nas_ctx *c, uint8_t *out, size_t cap, uint8_t sht,
				const uint8_t *plain, size_t n);

/*
 * Open a received protected message (TS 24.301 4.4.3, 4.4.4): the NAS
 * COUNT estimated from its SQN, the MAC checked, the COUNT accepted, then
 * deciphered (types 2 and 4) into out. Returns the plain length with *sht
 * the type it came as, or OM_ENAS_UNPROTECTED (a plain message), OM_ENAS_SECURITY
 * (header type above 4), OM_ENAS_TRUNCATED, OM_ENAS_MAC, OM_ENAS_REPLAY,
 * OM_ENOSPC, OM_EINVAL or OM_ECRYPTO. On failure the context is as before.
 */
OM_NODISCARD int om_nas_unprotect(struct om_nas_ctx *c, uint8_t *out, size_t cap, uint8_t *sht,
				  const uint8_t *pdu, size_t len);

/*
 * KASME on the device side (TS 33.401 A.2) from CK and IK of AKA, the
 * serving network's PLMN identity and SQN xor AK, the first 6 octets of
 * AUTN. Returns 0, OM_EINVAL or OM_ECRYPTO (kasme zeroed).
 */
OM_NODISCARD int om_nas_ue_kasme(uint8_t kasme[static OM_KASME_LEN], const uint8_t ck[static 16],
				 const uint8_t ik[static 16], const uint8_t snid[static OM_SNID_LEN],
				 const uint8_t autn[static 16]);
