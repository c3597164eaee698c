/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 3GPP generic key derivation function (TS 33.220 Annex B.2) and KASME
 * (TS 33.401 Annex A.2), on HMAC-SHA-256.
 *
 * The key changes with every vector, so a keyed HMAC object cannot be reused;
 * what can be reused is the fetched SHA-256 and one digest context. A
 * struct om_kdf holds both: set it up once per thread with om_kdf_init() and
 * pass it to every call (a one-shot HMAC() re-fetches on every call and costs
 * 3-5 times more under OpenSSL 3; research/hss-s6a-style-performance.md 4.3).
 * A struct om_kdf is not to be used by two threads at once.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define OM_KDF_LEN 32   /* output of the KDF: HMAC-SHA-256 */
#define OM_KASME_LEN 32
#define OM_SNID_LEN 3   /* serving network id: the PLMN id, TS 24.301 / 24.008 */
#define OM_KDF_FC_KASME 0x10 /* TS 33.401 A.2 */

/* Caller-owned KDF context: prefetched SHA-256 and a reusable digest context. */
struct om_kdf {
	void *md;  /* EVP_MD * */
	void *ctx; /* EVP_MD_CTX * */
};

/* One parameter P_i of S; its length L_i must fit in two octets. */
struct om_kdf_param {
	const uint8_t *data;
	size_t len;
};

/* Fetch SHA-256 and make the digest context. Returns 0, OM_EINVAL or OM_ECRYPTO. */
OM_NODISCARD int om_kdf_init(struct om_kdf *kdf);

/* Release what om_kdf_init() made; safe on a zeroed or cleared context. */
void om_kdf_clear(struct om_kdf *kdf);

/*
 * HMAC-SHA-256 (RFC 2104) of msg under key (any length; keys longer than the
 * 64-byte block are hashed first). Returns 0, OM_EINVAL or OM_ECRYPTO;
 * out is zeroed on failure.
 */
OM_NODISCARD int om_hmac_sha256(struct om_kdf *kdf, uint8_t out[static OM_KDF_LEN], const uint8_t *key,
				size_t key_len, const uint8_t *msg, size_t msg_len);

/*
 * The KDF input S = FC || P0 || L0 || ... || Pn || Ln (TS 33.220 B.2.2), with
 * each L_i two octets big-endian. Writes S into s and returns its length;
 * OM_ENOSPC if cap is too small, OM_ELENGTH if a parameter exceeds 65535 bytes.
 */
OM_NODISCARD int om_kdf_input(uint8_t *s, size_t cap, uint8_t fc, const struct om_kdf_param *params,
			      size_t n);

/*
 * derived key = HMAC-SHA-256(key, S) with S as om_kdf_input() builds it
 * (TS 33.220 B.2.0), streamed into the hash without a copy of S.
 * Returns 0, OM_EINVAL, OM_ELENGTH or OM_ECRYPTO; out is zeroed on failure.
 */
OM_NODISCARD int om_kdf_derive(struct om_kdf *kdf, uint8_t out[static OM_KDF_LEN], const uint8_t *key,
			       size_t key_len, uint8_t fc, const struct om_kdf_param *params, size_t n);

/*
 * KASME (TS 33.401 A.2): key = CK || IK, FC = 0x10, P0 = serving network id
 * (3 octets, see om_plmn_encode()), P1 = SQN xor AK (6 octets). Returns 0,
 * OM_EINVAL or OM_ECRYPTO; kasme is zeroed on failure. Uses SHA-NI when the
 * CPU has it (OM_NO_SHANI=1 forces OpenSSL), as om_kdf_kasme_batch() does.
 */
OM_NODISCARD int om_kdf_kasme(struct om_kdf *kdf, uint8_t kasme[static OM_KASME_LEN],
			      const uint8_t ck[static 16], const uint8_t ik[static 16],
			      const uint8_t snid[static OM_SNID_LEN], const uint8_t sqn_xor_ak[static 6]);

/* One KASME of a batch: inputs as for om_kdf_kasme(), and where it goes. */
struct om_kasme_req {
	const uint8_t *ck;         /* 16 octets */
	const uint8_t *ik;         /* 16 octets */
	const uint8_t *snid;       /* OM_SNID_LEN octets */
	const uint8_t *sqn_xor_ak; /* 6 octets: the start of AUTN */
	uint8_t *kasme;            /* OM_KASME_LEN octets, written */
};

/*
 * n KASMEs at once, each as om_kdf_kasme() computes it. With SHA-NI the
 * HMACs of up to four requests run interleaved (docs/auth.md, KDF and KASME);
 * otherwise one by one through kdf's digest context. Returns 0; OM_EINVAL
 * (nothing written) if kdf is unset or a pointer of a request is NULL;
 * OM_ECRYPTO with every kasme of the batch zeroed.
 */
OM_NODISCARD int om_kdf_kasme_batch(struct om_kdf *kdf, const struct om_kasme_req *req, size_t n);

/*
 * Encode a PLMN id as the 3-octet serving network id (TS 24.008 10.5.1.13,
 * TS 23.003 2.2): MCC digit 2 | MCC digit 1, MNC digit 3 | MCC digit 3,
 * MNC digit 2 | MNC digit 1, high nibble first, with F as MNC digit 3 for a
 * 2-digit MNC. mcc is three decimal digits and mnc two or three ("01" and
 * "001" are different networks). Returns 0 or OM_EAUTH_PLMN, with snid
 * untouched on error.
 */
OM_NODISCARD int om_plmn_encode(uint8_t snid[static OM_SNID_LEN], const char *mcc, const char *mnc);
