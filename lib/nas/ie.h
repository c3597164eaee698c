/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to lib/nas: octet reader and writer, the information element
 * formats of TS 24.007 11.2 and the IEs shared by several messages.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/nas.h>

/* A cursor over received octets. */
struct nas_rd {
	const uint8_t *p;
	size_t len, off;
};

/* An output buffer with a sticky error: the first failure is kept. */
struct nas_wr {
	uint8_t *p;
	size_t cap, len;
	int err;
};

/* ---- mandatory (imperative) part: V, LV, LV-E (TS 24.007 11.2.1.1) ----
 * Each returns 0, OM_ENAS_MISSING_IE when the input ends exactly where the IE
 * should start, OM_ENAS_TRUNCATED when it ends inside the IE, and for LV and
 * LV-E OM_ENAS_IE_LENGTH when the length is outside [min, max]. */
int nas_rd_v(struct nas_rd *r, uint8_t *out);
int nas_rd_fixed(struct nas_rd *r, uint8_t *out, size_t n);
int nas_rd_lv(struct nas_rd *r, const uint8_t **v, size_t *n, size_t min, size_t max);
int nas_rd_lve(struct nas_rd *r, const uint8_t **v, size_t *n, size_t min, size_t max);

void nas_wr_u8(struct nas_wr *w, uint8_t v);
void nas_wr_mem(struct nas_wr *w, const uint8_t *v, size_t n);
/* Start an LV (or LV-E when two_octets) and return where the length goes. */
size_t nas_wr_len_begin(struct nas_wr *w, int two_octets);
/* Write the length of what followed begin. */
void nas_wr_len_end(struct nas_wr *w, size_t at, int two_octets);

/* ---- non-imperative part (TS 24.301 9.9.1, TS 24.007 11.2.4) ---- */

/* A type 3 (TV) IE the message defines: its IEI and whole length. */
struct nas_tv {
	uint8_t iei;
	uint8_t len;
};

/* One optional IE. For a type 1 or 2 IE (IEI bit 8 set) iei is the whole
 * octet and v points at it (len 1); otherwise v/len is the value part. */
struct nas_ie {
	uint8_t iei;
	const uint8_t *v;
	size_t len;
};

/*
 * The next optional IE. The format comes from the IEI alone, except for the
 * type 3 IEs the message lists in tv (TS 24.007 keeps new IEs of type 1, 2, 4
 * or 6 so that an older receiver can always skip them):
 *   bit 8 set          type 1 or 2, one octet
 *   listed in tv       type 3, fixed length
 *   0111 xxxx          type 6 TLV-E, two-octet length
 *   otherwise          type 4 TLV, one-octet length
 * Returns 1 with *ie set, 0 at the end, or OM_ENAS_TRAILING when the
 * remaining octets do not hold the whole IE.
 */
int nas_ie_next(struct nas_rd *r, const struct nas_tv *tv, size_t ntv, struct nas_ie *ie);

/*
 * What to do with an IE the message does not know: 0 (skip it, TS 24.301
 * 7.6.1) or OM_ENAS_COMPREHENSION when its IEI is 0000 xxxx, the
 * "comprehension required" range of TS 24.007 11.2.4.
 */
int nas_ie_unknown(const struct nas_ie *ie);

/* ---- shared IEs ---- */

/* EPS mobile identity value (9.9.3.12), IMSI or GUTI. */
int nas_eps_id_decode(struct om_nas_eps_id *id, const uint8_t *v, size_t n);
void nas_eps_id_encode(struct nas_wr *w, const struct om_nas_eps_id *id);
/* 0 or OM_ENAS_IDENTITY: what nas_eps_id_encode() would refuse. */
int nas_eps_id_check(const struct om_nas_eps_id *id);

/* PLMN identity, 3 octets (TS 24.008 10.5.1.3). Decode returns 0 or -1. */
int nas_plmn_decode(struct om_nas_plmn *plmn, const uint8_t v[static 3]);
int nas_plmn_valid(const struct om_nas_plmn *plmn);
void nas_plmn_encode(struct nas_wr *w, const struct om_nas_plmn *plmn);

/* Access point name value (9.9.4.1 -> TS 23.003 9.1): labels to dots. */
int nas_apn_decode(char out[static OM_NAS_APN_MAX], const uint8_t *v, size_t n);
/* Octets apn encodes to (1..100), or OM_ENAS_APN. */
int nas_apn_check(const char *apn);
void nas_apn_encode(struct nas_wr *w, const char *apn);

/* ---- ESM messages in the ESM message container (9.9.3.15) ---- */
int nas_esm_pdn_req_decode(struct om_nas_pdn_connectivity_request *q, const uint8_t *v, size_t n);
int nas_esm_pdn_req_encode(struct nas_wr *w, const struct om_nas_pdn_connectivity_request *q);
int nas_esm_bearer_req_decode(struct om_nas_default_bearer_request *q, const uint8_t *v, size_t n);
int nas_esm_bearer_req_encode(struct nas_wr *w, const struct om_nas_default_bearer_request *q);
int nas_esm_bearer_acc_decode(uint8_t *ebi, const uint8_t *v, size_t n);
int nas_esm_bearer_acc_encode(struct nas_wr *w, uint8_t ebi);
