/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ESM messages the attach procedure carries in the ESM message container
 * (TS 24.301 9.9.3.15): PDN CONNECTIVITY REQUEST (8.3.20) in the Attach
 * Request, ACTIVATE DEFAULT EPS BEARER CONTEXT REQUEST (8.3.6) in the Attach
 * Accept and ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT (8.3.4) in the
 * Attach Complete.
 */
#include <string.h>

#include "ie.h"

#define IEI_APN 0x28         /* 8.3.20 Access point name, TLV */
#define IEI_ESM_INFO_T1 0xd0 /* 8.3.20 ESM information transfer flag, type 1 */
#define EIT_REQUIRED 0x01    /* 9.9.4.5 bit 1 */
#define EBI_MIN 5            /* 9.3.2: values 0..4 are reserved */
#define PTI_RESERVED 0xff    /* 9.4 */
#define PDN_IPV4 1
#define PDN_IPV6 2
#define PDN_IPV4V6 3

/*
 * The ESM header, 9.1 / 9.3.2 / 9.4: EPS bearer identity (bits 8..5) and
 * PD (bits 4..1), PTI, message type. The container's minimum length (3)
 * has been checked by the caller.
 */
static int esm_header(struct nas_rd *r, uint8_t type, uint8_t *ebi, uint8_t *pti)
{
	uint8_t h[3];
	int ret = nas_rd_fixed(r, h, 3);
	if (ret)
		return ret;
	if ((h[0] & 0xf) != OM_NAS_PD_ESM)
		return OM_ENAS_PD;
	if (h[2] != type)
		return OM_ENAS_ESM;
	*ebi = h[0] >> 4;
	*pti = h[1];
	return 0;
}

static void esm_header_put(struct nas_wr *w, uint8_t ebi, uint8_t pti, uint8_t type)
{
	nas_wr_u8(w, (uint8_t)(ebi << 4 | OM_NAS_PD_ESM));
	nas_wr_u8(w, pti);
	nas_wr_u8(w, type);
}

/* Skip the remaining optional IEs: none of them is one we interpret. */
static int skip_optional(struct nas_rd *r, const struct nas_tv *tv, size_t ntv)
{
	struct nas_ie ie;
	int ret;
	while ((ret = nas_ie_next(r, tv, ntv, &ie)) == 1)
		if ((ret = nas_ie_unknown(&ie)))
			return ret;
	return ret;
}

int nas_esm_pdn_req_decode(struct om_nas_pdn_connectivity_request *q, const uint8_t *v, size_t n)
{
	struct nas_rd r = { v, n, 0 };
	uint8_t ebi, o;
	int ret = esm_header(&r, OM_NAS_MT_PDN_CONNECTIVITY_REQUEST, &ebi, &q->pti);
	if (ret)
		return ret;
	/* 8.3.20: "no EPS bearer identity assigned" and a PTI the UE allocated */
	if (ebi != 0 || q->pti == 0 || q->pti == PTI_RESERVED)
		return OM_ENAS_ESM;
	if ((ret = nas_rd_v(&r, &o)))
		return ret;
	q->request_type = o & 0x7;  /* 9.9.4.14, bits 3..1 */
	q->pdn_type = (o >> 4) & 0x7; /* 9.9.4.10, bits 7..5 */
	if (q->pdn_type < PDN_IPV4 || q->pdn_type > PDN_IPV4V6)
		return OM_ENAS_VALUE; /* non-IP and Ethernet PDNs are not offered */

	bool seen_eit = false, seen_apn = false;
	struct nas_ie ie;
	while ((ret = nas_ie_next(&r, NULL, 0, &ie)) == 1) {
		if ((ie.iei & 0xf0) == IEI_ESM_INFO_T1) {
			if (!seen_eit)
				q->esm_info_transfer = (ie.v[0] & EIT_REQUIRED) != 0;
			seen_eit = true;
		} else if (ie.iei == IEI_APN) {
			/* A later copy of an IE is ignored (TS 24.301 7.6.3). */
			if (!seen_apn && (ret = nas_apn_decode(q->apn, ie.v, ie.len)))
				return ret;
			seen_apn = true;
		} else if ((ret = nas_ie_unknown(&ie))) {
			return ret;
		}
	}
	return ret;
}

int nas_esm_pdn_req_encode(struct nas_wr *w, const struct om_nas_pdn_connectivity_request *q)
{
	if (q->pti == 0 || q->pti == PTI_RESERVED)
		return OM_ENAS_ESM;
	if (q->pdn_type < PDN_IPV4 || q->pdn_type > PDN_IPV4V6)
		return OM_ENAS_VALUE;
	if (q->request_type > 7)
		return OM_EINVAL;
	int apn_len = 0;
	if (q->apn[0] && (apn_len = nas_apn_check(q->apn)) < 0)
		return apn_len;

	esm_header_put(w, 0, q->pti, OM_NAS_MT_PDN_CONNECTIVITY_REQUEST);
	nas_wr_u8(w, (uint8_t)(q->pdn_type << 4 | q->request_type));
	if (q->esm_info_transfer)
		nas_wr_u8(w, IEI_ESM_INFO_T1 | EIT_REQUIRED);
	if (apn_len) {
		nas_wr_u8(w, IEI_APN);
		nas_wr_u8(w, (uint8_t)apn_len);
		nas_apn_encode(w, q->apn);
	}
	return 0;
}

/* Type 3 IEs of 8.3.6: Negotiated LLC SAPI (0x32) and ESM cause (0x58). */
static const struct nas_tv bearer_req_tv[] = { { 0x32, 2 }, { 0x58, 2 } };

static int pdn_address_len(uint8_t type)
{
	switch (type) { /* 9.9.4.9: type octet + IPv6 interface id and/or IPv4 */
	case PDN_IPV4: return 5;
	case PDN_IPV6: return 9;
	case PDN_IPV4V6: return 13;
	default: return -1;
	}
}

int nas_esm_bearer_req_decode(struct om_nas_default_bearer_request *q, const uint8_t *v, size_t n)
{
	struct nas_rd r = { v, n, 0 };
	const uint8_t *f;
	size_t fn;
	int ret = esm_header(&r, OM_NAS_MT_ACT_DEFAULT_BEARER_REQUEST, &q->ebi, &q->pti);
	if (ret)
		return ret;
	if (q->ebi < EBI_MIN)
		return OM_ENAS_ESM;
	if ((ret = nas_rd_lv(&r, &f, &fn, 1, 13))) /* EPS QoS 9.9.4.3, LV 2..14 */
		return ret;
	q->qci = f[0];
	if ((ret = nas_rd_lv(&r, &f, &fn, 1, OM_NAS_APN_MAX))) /* APN, LV 2..101 */
		return ret;
	if ((ret = nas_apn_decode(q->apn, f, fn)))
		return ret;
	if ((ret = nas_rd_lv(&r, &f, &fn, 5, 13))) /* PDN address, LV 6..14 */
		return ret;
	q->pdn_type = f[0] & 0x7;
	int want = pdn_address_len(q->pdn_type);
	if (want < 0)
		return OM_ENAS_VALUE;
	if (fn != (size_t)want)
		return OM_ENAS_IE_LENGTH;
	if (q->pdn_type != PDN_IPV4)
		memcpy(q->ipv6_iid, f + 1, 8);
	if (q->pdn_type != PDN_IPV6)
		memcpy(q->ipv4, f + fn - 4, 4);
	return skip_optional(&r, bearer_req_tv, sizeof(bearer_req_tv) / sizeof(bearer_req_tv[0]));
}

int nas_esm_bearer_req_encode(struct nas_wr *w, const struct om_nas_default_bearer_request *q)
{
	if (q->ebi < EBI_MIN || q->ebi > 15)
		return OM_ENAS_ESM;
	int want = pdn_address_len(q->pdn_type);
	if (want < 0)
		return OM_ENAS_VALUE;
	int apn_len = nas_apn_check(q->apn);
	if (apn_len < 0)
		return apn_len;

	esm_header_put(w, q->ebi, q->pti, OM_NAS_MT_ACT_DEFAULT_BEARER_REQUEST);
	nas_wr_u8(w, 1); /* EPS QoS: the QCI alone, no bit rates (non-GBR bearer) */
	nas_wr_u8(w, q->qci);
	nas_wr_u8(w, (uint8_t)apn_len);
	nas_apn_encode(w, q->apn);
	nas_wr_u8(w, (uint8_t)want);
	nas_wr_u8(w, q->pdn_type);
	if (q->pdn_type != PDN_IPV4)
		nas_wr_mem(w, q->ipv6_iid, 8);
	if (q->pdn_type != PDN_IPV6)
		nas_wr_mem(w, q->ipv4, 4);
	return 0;
}

int nas_esm_bearer_acc_decode(uint8_t *ebi, const uint8_t *v, size_t n)
{
	struct nas_rd r = { v, n, 0 };
	uint8_t pti;
	int ret = esm_header(&r, OM_NAS_MT_ACT_DEFAULT_BEARER_ACCEPT, ebi, &pti);
	if (ret)
		return ret;
	if (*ebi < EBI_MIN)
		return OM_ENAS_ESM;
	return skip_optional(&r, NULL, 0); /* PCO 0x27, extended PCO 0x7B */
}

int nas_esm_bearer_acc_encode(struct nas_wr *w, uint8_t ebi)
{
	if (ebi < EBI_MIN || ebi > 15)
		return OM_ENAS_ESM;
	/* The network started this procedure: the UE answers with PTI 0, "no
	 * procedure transaction identity assigned" (9.4, 6.4.1.3). */
	esm_header_put(w, ebi, 0, OM_NAS_MT_ACT_DEFAULT_BEARER_ACCEPT);
	return 0;
}
