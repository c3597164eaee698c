/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MCIM payload: what B.2.3.4 NOTE 2 puts in the encrypted blob ("the
 * IMSI, the key Ki, an algorithm identifier and possible algorithm
 * constants ... e.g. a value of OP_C if MILENAGE is the selected algorithm")
 * plus the network parameters of step VIII and what an operator needs to run
 * the subscription. Carried as the payload of a B.2.3.6 data block with tag
 * OM_PROTECT_TAG_MCIM.
 *
 * Encoding (docs/formats.md "MCIM TLV"): a sequence of tag(1) | length(1) |
 * value, in any order, each tag at most once. Tags 0x01-0x7f must be
 * understood: an unknown one is refused. Tags 0x80-0xff are optional
 * extensions: an unknown one is skipped, so a newer SHO can add fields an
 * older TRE may ignore. Encoding writes tags in ascending order.
 *
 * One codec for both sides: om_mcim_encode() checks a struct with the same
 * rules om_mcim_decode() applies to bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

enum om_mcim_tag {
	OM_MCIM_T_IMSI = 0x01,         /* M: 6-15 ASCII digits, MCC | MNC | MSIN (TS 23.003 2.2) */
	OM_MCIM_T_MNC_LEN = 0x02,      /* M: 1 byte, 2 or 3 */
	OM_MCIM_T_ALGORITHM = 0x03,    /* M: 1 byte, enum om_mcim_algorithm */
	OM_MCIM_T_K = 0x04,            /* M: 16 bytes */
	OM_MCIM_T_OPC = 0x05,          /* M: 16 bytes (MILENAGE OPc) */
	OM_MCIM_T_APN = 0x06,          /* M: 1-100 bytes, dotted labels (TS 23.003 9.1) */
	OM_MCIM_T_AMF = 0x07,          /* O: 2 bytes */
	OM_MCIM_T_IND_BITS = 0x08,     /* O: 1 byte, 0..OM_IND_BITS_MAX (TS 33.102 C.3.2) */
	OM_MCIM_T_MID = 0x09,          /* O: 16 bytes, id of this MCIM in the TRE's MID registry */
	OM_MCIM_T_NOT_AFTER = 0x0a,    /* O: 8 bytes BE, Unix seconds, expiry of the MCIM */
	OM_MCIM_T_REVERT_AFTER = 0x0b, /* O: 4 bytes BE, seconds without network before falling back */
};

enum om_mcim_algorithm {
	OM_MCIM_ALG_MILENAGE = 0x01, /* TS 35.206 */
	OM_MCIM_ALG_TUAK = 0x02,     /* TS 35.231: reserved, refused for now */
};

/* Optional fields present (struct om_mcim.present). */
#define OM_MCIM_HAS_AMF (1u << 0)
#define OM_MCIM_HAS_IND_BITS (1u << 1)
#define OM_MCIM_HAS_MID (1u << 2)
#define OM_MCIM_HAS_NOT_AFTER (1u << 3)
#define OM_MCIM_HAS_REVERT_AFTER (1u << 4)

#define OM_MCIM_IMSI_MIN 6
#define OM_MCIM_IMSI_MAX 15
#define OM_MCIM_APN_MAX 100
#define OM_MCIM_KEY_LEN 16
#define OM_MCIM_MID_LEN 16
/* The longest encoding: every field at its longest. */
#define OM_MCIM_ENCODED_MAX (2 * 11 + OM_MCIM_IMSI_MAX + 1 + 1 + 16 + 16 + OM_MCIM_APN_MAX + 2 + 1 + 16 + 8 + 4)

/* One MCIM. Secret (K, OPc): clear with om_mcim_clear(). */
struct om_mcim {
	char imsi[OM_MCIM_IMSI_MAX + 1]; /* NUL-terminated digits */
	uint8_t mnc_len;
	uint8_t algorithm;
	uint8_t k[OM_MCIM_KEY_LEN];
	uint8_t opc[OM_MCIM_KEY_LEN];
	char apn[OM_MCIM_APN_MAX + 1]; /* NUL-terminated */
	unsigned present;              /* OM_MCIM_HAS_* */
	uint8_t amf[2];
	uint8_t ind_bits;
	uint8_t mid[OM_MCIM_MID_LEN];
	uint64_t not_after;
	uint32_t revert_after;
};

/*
 * Encode m into out. Returns the bytes written, OM_ENOSPC, or the error that
 * decoding the same fields would give (OM_EMCIM_IMSI, OM_EMCIM_ALGORITHM,
 * OM_EMCIM_VALUE); on error out[0..cap) is zeroed.
 */
OM_NODISCARD int om_mcim_encode(const struct om_mcim *m, uint8_t *out, size_t cap);

/*
 * Decode an MCIM TLV. Returns 0, OM_EMCIM_TRUNCATED, OM_EMCIM_DUPLICATE,
 * OM_EMCIM_UNKNOWN_TAG, OM_EMCIM_FIELD_LEN, OM_EMCIM_IMSI,
 * OM_EMCIM_ALGORITHM, OM_EMCIM_VALUE or OM_EMCIM_MISSING; on error *m is
 * zeroed.
 */
OM_NODISCARD int om_mcim_decode(struct om_mcim *m, const uint8_t *in, size_t len);

/* Cleanse every field. */
void om_mcim_clear(struct om_mcim *m);
