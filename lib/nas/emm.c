/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EPS mobility management messages, TS 24.301 8.2: om_nas_decode() and
 * om_nas_encode(). Each message is its imperative part (V, LV, LV-E in the
 * order of its clause's table) followed by optional IEs handled by
 * nas_ie_next() (policy in docs/nas.md).
 */
#include <string.h>

#include "ie.h"

#define HDR_PLAIN_EMM OM_NAS_PD_EMM /* security header type 0 (9.3.1), PD 7 */
#define ESM_CONTAINER_MIN 3         /* 9.9.3.15: LV-E 5..n, an ESM header */
#define ESM_CONTAINER_MAX 0xffff

#define IEI_GUTI 0x50      /* 8.2.1 GUTI, TLV */
#define IEI_EMM_CAUSE 0x53 /* 8.2.11.2 EMM cause, TV 2 */
#define IEI_AUTS 0x30      /* 8.2.5 Authentication failure parameter, TLV */

/* Which kind a message type is in each direction (table 9.8.1, 8.2.x.1). */
static const struct {
	uint8_t type;
	uint8_t uplink, downlink; /* enum om_nas_kind, 0: not in that direction */
} emm_types[] = {
	{ OM_NAS_MT_ATTACH_REQUEST, OM_NAS_ATTACH_REQUEST, 0 },
	{ OM_NAS_MT_ATTACH_ACCEPT, 0, OM_NAS_ATTACH_ACCEPT },
	{ OM_NAS_MT_ATTACH_COMPLETE, OM_NAS_ATTACH_COMPLETE, 0 },
	{ OM_NAS_MT_ATTACH_REJECT, 0, OM_NAS_ATTACH_REJECT },
	{ OM_NAS_MT_DETACH_REQUEST, OM_NAS_DETACH_REQUEST_UE, OM_NAS_DETACH_REQUEST_NET },
	{ OM_NAS_MT_DETACH_ACCEPT, OM_NAS_DETACH_ACCEPT, OM_NAS_DETACH_ACCEPT },
	{ OM_NAS_MT_AUTH_REQUEST, 0, OM_NAS_AUTH_REQUEST },
	{ OM_NAS_MT_AUTH_RESPONSE, OM_NAS_AUTH_RESPONSE, 0 },
	{ OM_NAS_MT_AUTH_REJECT, 0, OM_NAS_AUTH_REJECT },
	{ OM_NAS_MT_AUTH_FAILURE, OM_NAS_AUTH_FAILURE, 0 },
	{ OM_NAS_MT_SEC_MODE_COMMAND, 0, OM_NAS_SEC_MODE_COMMAND },
	{ OM_NAS_MT_SEC_MODE_COMPLETE, OM_NAS_SEC_MODE_COMPLETE, 0 },
	{ OM_NAS_MT_SEC_MODE_REJECT, OM_NAS_SEC_MODE_REJECT, 0 },
};
#define N_TYPES (sizeof(emm_types) / sizeof(emm_types[0]))

#define NTV(t) (sizeof(t) / sizeof((t)[0]))

/* Type 3 (TV) IEs of each message that has some: IEI and whole length. */
static const struct nas_tv attach_request_tv[] = {
	{ 0x19, 4 }, /* Old P-TMSI signature */
	{ 0x52, 6 }, /* Last visited registered TAI */
	{ 0x5c, 3 }, /* DRX parameter */
	{ 0x13, 6 }, /* Old location area identification */
	{ 0x17, 2 }, /* Additional information requested */
};
static const struct nas_tv attach_accept_tv[] = {
	{ 0x13, 6 }, /* Location area identification */
	{ 0x53, 2 }, /* EMM cause */
	{ 0x17, 2 }, /* T3402 value */
	{ 0x59, 2 }, /* T3423 value */
};
static const struct nas_tv detach_net_tv[] = {
	{ IEI_EMM_CAUSE, 2 },
};
static const struct nas_tv sec_mode_command_tv[] = {
	{ 0x55, 5 }, /* Replayed nonce_UE */
	{ 0x56, 5 }, /* Nonce_MME */
};

/* Skip every optional IE: the message has none we interpret. */
static int skip_optional(struct nas_rd *r, const struct nas_tv *tv, size_t ntv)
{
	struct nas_ie ie;
	int ret;
	while ((ret = nas_ie_next(r, tv, ntv, &ie)) == 1)
		if ((ret = nas_ie_unknown(&ie)))
			return ret;
	return ret;
}

/* ---- decoders: r is past the two header octets ---- */

static int attach_request_dec(struct nas_rd *r, struct om_nas_attach_request *a)
{
	const uint8_t *v;
	size_t n;
	uint8_t o;
	int ret;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	/* 9.9.3.11: values other than combined (2) and emergency (6) are read
	 * as "EPS attach" by the network. */
	a->attach_type = o & 0x7;
	if (a->attach_type != 2 && a->attach_type != 6)
		a->attach_type = 1;
	a->ksi = o >> 4;
	if ((ret = nas_rd_lv(r, &v, &n, 4, 11)) || (ret = nas_eps_id_decode(&a->id, v, n)))
		return ret;
	if ((ret = nas_rd_lv(r, &v, &n, 2, OM_NAS_UE_NET_CAP_MAX)))
		return ret;
	memcpy(a->ue_net_cap, v, n);
	a->ue_net_cap_len = (uint8_t)n;
	if ((ret = nas_rd_lve(r, &v, &n, ESM_CONTAINER_MIN, ESM_CONTAINER_MAX)) ||
	    (ret = nas_esm_pdn_req_decode(&a->pdn, v, n)))
		return ret;
	return skip_optional(r, attach_request_tv, NTV(attach_request_tv));
}

/* Tracking area identity list, 9.9.3.33: one or more partial lists. The
 * first TAI is kept; every partial list is checked. */
static int tai_list_dec(struct om_nas_tai *tai, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned type = (v[i] >> 5) & 0x3, count = (v[i] & 0x1f) + 1u;
		size_t need = type == 0 ? 4 + 2 * count : type == 1 ? 6 : 1 + 5 * count;
		if (type == 3)
			return OM_ENAS_VALUE; /* reserved type of list */
		if (need > n - i)
			return OM_ENAS_IE_LENGTH;
		if (i == 0) {
			if (nas_plmn_decode(&tai->plmn, v + 1))
				return OM_ENAS_VALUE;
			tai->tac = (uint16_t)(v[4] << 8 | v[5]);
		}
		i += need;
	}
	return 0;
}

static int attach_accept_dec(struct nas_rd *r, struct om_nas_attach_accept *a)
{
	const uint8_t *v;
	size_t n;
	uint8_t o;
	int ret;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	a->attach_result = o & 0x7; /* 9.9.3.10, bits 8..4 spare */
	if (a->attach_result != 1 && a->attach_result != 2)
		return OM_ENAS_VALUE;
	if ((ret = nas_rd_v(r, &a->t3412)))
		return ret;
	if ((ret = nas_rd_lv(r, &v, &n, 6, 96)) || (ret = tai_list_dec(&a->tai, v, n)))
		return ret;
	if ((ret = nas_rd_lve(r, &v, &n, ESM_CONTAINER_MIN, ESM_CONTAINER_MAX)) ||
	    (ret = nas_esm_bearer_req_decode(&a->bearer, v, n)))
		return ret;

	struct nas_ie ie;
	while ((ret = nas_ie_next(r, attach_accept_tv, NTV(attach_accept_tv), &ie)) == 1) {
		if (ie.iei == IEI_GUTI) {
			if (a->has_guti)
				continue; /* only the first copy counts (7.6.3) */
			struct om_nas_eps_id id;
			memset(&id, 0, sizeof(id)); /* padding too: callers may compare structs */
			if ((ret = nas_eps_id_decode(&id, ie.v, ie.len)))
				return ret;
			if (id.type != OM_NAS_ID_GUTI)
				return OM_ENAS_IDENTITY;
			a->guti = id.guti;
			a->has_guti = true;
		} else if ((ret = nas_ie_unknown(&ie))) {
			return ret;
		}
	}
	return ret;
}

static int attach_complete_dec(struct nas_rd *r, struct om_nas_attach_complete *a)
{
	const uint8_t *v;
	size_t n;
	int ret;
	if ((ret = nas_rd_lve(r, &v, &n, ESM_CONTAINER_MIN, ESM_CONTAINER_MAX)) ||
	    (ret = nas_esm_bearer_acc_decode(&a->ebi, v, n)))
		return ret;
	return skip_optional(r, NULL, 0);
}

static int attach_reject_dec(struct nas_rd *r, struct om_nas_attach_reject *a)
{
	int ret = nas_rd_v(r, &a->cause);
	if (ret)
		return ret;
	/* The optional ESM container 0x78 is TLV-E by its IEI: skipped. */
	return skip_optional(r, NULL, 0);
}

static int auth_request_dec(struct nas_rd *r, struct om_nas_auth_request *a)
{
	const uint8_t *v;
	size_t n;
	uint8_t o;
	int ret;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	a->ksi = o & 0xf; /* NAS KSI in bits 4..1, spare half octet above */
	if ((ret = nas_rd_fixed(r, a->rand, OM_NAS_RAND_LEN)))
		return ret;
	/* AUTN, TS 24.008 10.5.3.1.1: length 16 exactly */
	if ((ret = nas_rd_lv(r, &v, &n, OM_NAS_AUTN_LEN, OM_NAS_AUTN_LEN)))
		return ret;
	memcpy(a->autn, v, n);
	return skip_optional(r, NULL, 0);
}

static int auth_response_dec(struct nas_rd *r, struct om_nas_auth_response *a)
{
	const uint8_t *v;
	size_t n;
	int ret = nas_rd_lv(r, &v, &n, OM_NAS_RES_MIN, OM_NAS_RES_MAX); /* 9.9.3.4 */
	if (ret)
		return ret;
	memcpy(a->res, v, n);
	a->res_len = (uint8_t)n;
	return skip_optional(r, NULL, 0);
}

static int auth_failure_dec(struct nas_rd *r, struct om_nas_auth_failure *a)
{
	int ret = nas_rd_v(r, &a->cause);
	if (ret)
		return ret;
	struct nas_ie ie;
	while ((ret = nas_ie_next(r, NULL, 0, &ie)) == 1) {
		if (ie.iei == IEI_AUTS) {
			/* AUTS, TS 24.008 10.5.3.2.2: 14 octets exactly */
			if (ie.len != OM_NAS_AUTS_LEN)
				return OM_ENAS_IE_LENGTH;
			if (!a->has_auts)
				memcpy(a->auts, ie.v, OM_NAS_AUTS_LEN);
			a->has_auts = true;
		} else if ((ret = nas_ie_unknown(&ie))) {
			return ret;
		}
	}
	if (ret)
		return ret;
	/* 8.2.5.2: the parameter is sent if and only if the cause is #21. */
	if (a->cause == OM_NAS_CAUSE_SYNCH_FAILURE && !a->has_auts)
		return OM_ENAS_MISSING_IE;
	if (a->cause != OM_NAS_CAUSE_SYNCH_FAILURE && a->has_auts)
		return OM_ENAS_CONDITIONAL;
	return 0;
}

static int detach_ue_dec(struct nas_rd *r, struct om_nas_detach_request_ue *d)
{
	const uint8_t *v;
	size_t n;
	uint8_t o;
	int ret;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	/* 9.9.3.7, UE to network: other values mean combined EPS/IMSI detach */
	d->detach_type = o & 0x7;
	if (d->detach_type < 1 || d->detach_type > 3)
		d->detach_type = 3;
	d->switch_off = (o & 0x8) != 0;
	d->ksi = o >> 4;
	if ((ret = nas_rd_lv(r, &v, &n, 4, 11)) || (ret = nas_eps_id_decode(&d->id, v, n)))
		return ret;
	return skip_optional(r, NULL, 0);
}

static int detach_net_dec(struct nas_rd *r, struct om_nas_detach_request_net *d)
{
	uint8_t o;
	int ret;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	/* 9.9.3.7, network to UE: other values mean "re-attach not required" */
	d->detach_type = o & 0x7;
	if (d->detach_type < 1 || d->detach_type > 3)
		d->detach_type = 2;
	struct nas_ie ie;
	while ((ret = nas_ie_next(r, detach_net_tv, NTV(detach_net_tv), &ie)) == 1) {
		if (ie.iei == IEI_EMM_CAUSE) {
			if (!d->has_cause)
				d->cause = ie.v[0];
			d->has_cause = true;
		} else if ((ret = nas_ie_unknown(&ie))) {
			return ret;
		}
	}
	return ret;
}

/* SECURITY MODE COMMAND, 8.2.20: algorithms, KSI with a spare half octet, replayed capabilities. */
static int sec_mode_command_dec(struct nas_rd *r, struct om_nas_sec_mode_command *c)
{
	const uint8_t *v;
	size_t n;
	uint8_t o;
	int ret;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	c->eea = (o >> 4) & 0x7; /* 9.9.3.23: bits 7..5 ciphering, bits 3..1 integrity */
	c->eia = o & 0x7;
	if ((ret = nas_rd_v(r, &o)))
		return ret;
	c->ksi = o & 0xf; /* NAS KSI in bits 4..1, the spare half octet above */
	if ((ret = nas_rd_lv(r, &v, &n, OM_NAS_UE_SEC_CAP_MIN, OM_NAS_UE_SEC_CAP_MAX)))
		return ret;
	memcpy(c->ue_sec_cap, v, n);
	c->ue_sec_cap_len = (uint8_t)n;
	return skip_optional(r, sec_mode_command_tv, NTV(sec_mode_command_tv));
}

static int decode_body(struct om_nas_msg *m, struct nas_rd *r)
{
	switch (m->kind) {
	case OM_NAS_ATTACH_REQUEST: return attach_request_dec(r, &m->u.attach_request);
	case OM_NAS_ATTACH_ACCEPT: return attach_accept_dec(r, &m->u.attach_accept);
	case OM_NAS_ATTACH_COMPLETE: return attach_complete_dec(r, &m->u.attach_complete);
	case OM_NAS_ATTACH_REJECT: return attach_reject_dec(r, &m->u.attach_reject);
	case OM_NAS_AUTH_REQUEST: return auth_request_dec(r, &m->u.auth_request);
	case OM_NAS_AUTH_RESPONSE: return auth_response_dec(r, &m->u.auth_response);
	case OM_NAS_AUTH_FAILURE: return auth_failure_dec(r, &m->u.auth_failure);
	case OM_NAS_DETACH_REQUEST_UE: return detach_ue_dec(r, &m->u.detach_request_ue);
	case OM_NAS_DETACH_REQUEST_NET: return detach_net_dec(r, &m->u.detach_request_net);
	case OM_NAS_SEC_MODE_COMMAND: return sec_mode_command_dec(r, &m->u.sec_mode_command);
	case OM_NAS_SEC_MODE_REJECT: {
		int ret = nas_rd_v(r, &m->u.sec_mode_reject.cause);
		return ret ? ret : skip_optional(r, NULL, 0);
	}
	case OM_NAS_AUTH_REJECT:
	case OM_NAS_DETACH_ACCEPT:
	case OM_NAS_SEC_MODE_COMPLETE: return skip_optional(r, NULL, 0); /* IMEISV, replayed message: skipped */
	}
	return OM_ENAS_MSG_TYPE;
}

int om_nas_decode(struct om_nas_msg *m, enum om_nas_dir dir, const uint8_t *in, size_t len)
{
	if (!m || (!in && len) || (dir != OM_NAS_UPLINK && dir != OM_NAS_DOWNLINK))
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	if (len == 0)
		return OM_ENAS_TRUNCATED;
	/* Octet 1 (9.1): security header type in bits 8..5, PD in bits 4..1.
	 * The PD is judged first: for ESM those bits are a bearer identity. */
	if ((in[0] & 0xf) != OM_NAS_PD_EMM)
		return OM_ENAS_PD;
	if (in[0] >> 4)
		return OM_ENAS_SECURITY;
	if (len < 2)
		return OM_ENAS_TRUNCATED;

	size_t i = 0;
	while (i < N_TYPES && emm_types[i].type != in[1])
		i++;
	if (i == N_TYPES)
		return OM_ENAS_MSG_TYPE;
	m->kind = dir == OM_NAS_UPLINK ? emm_types[i].uplink : emm_types[i].downlink;
	if (!m->kind)
		return OM_ENAS_DIRECTION;

	struct nas_rd r = { in, len, 2 };
	int ret = decode_body(m, &r);
	if (ret) {
		memset(m, 0, sizeof(*m));
		return ret;
	}
	return 0;
}

/* ---- encoders: return 0 or a negative code before writing anything bad ---- */

/* An EPS mobile identity as LV (9.9.3.12), the identity already checked. */
static void eps_id_lv_enc(struct nas_wr *w, const struct om_nas_eps_id *id)
{
	size_t at = nas_wr_len_begin(w, 0);
	nas_eps_id_encode(w, id);
	nas_wr_len_end(w, at, 0);
}

/* An LV of n octets, n at most 255. */
static void lv_mem_enc(struct nas_wr *w, const uint8_t *v, uint8_t n)
{
	nas_wr_u8(w, n);
	nas_wr_mem(w, v, n);
}

static int attach_request_enc(struct nas_wr *w, const struct om_nas_attach_request *a)
{
	int ret;
	if (a->attach_type != 1 && a->attach_type != 2 && a->attach_type != 6)
		return OM_ENAS_VALUE;
	if (a->ksi > 0xf)
		return OM_EINVAL;
	if ((ret = nas_eps_id_check(&a->id)))
		return ret;
	if (a->ue_net_cap_len < 2 || a->ue_net_cap_len > OM_NAS_UE_NET_CAP_MAX)
		return OM_ENAS_IE_LENGTH;
	nas_wr_u8(w, (uint8_t)(a->ksi << 4 | a->attach_type));
	eps_id_lv_enc(w, &a->id);
	lv_mem_enc(w, a->ue_net_cap, a->ue_net_cap_len);
	size_t at = nas_wr_len_begin(w, 1);
	if ((ret = nas_esm_pdn_req_encode(w, &a->pdn)))
		return ret;
	nas_wr_len_end(w, at, 1);
	return 0;
}

static int attach_accept_enc(struct nas_wr *w, const struct om_nas_attach_accept *a)
{
	int ret;
	if (a->attach_result != 1 && a->attach_result != 2)
		return OM_ENAS_VALUE;
	if (!nas_plmn_valid(&a->tai.plmn))
		return OM_ENAS_VALUE;
	if (a->has_guti && !nas_plmn_valid(&a->guti.plmn))
		return OM_ENAS_IDENTITY;
	nas_wr_u8(w, a->attach_result);
	nas_wr_u8(w, a->t3412);
	/* TAI list: one partial list of type 00 with one element (9.9.3.33) */
	nas_wr_u8(w, 6);
	nas_wr_u8(w, 0x00);
	nas_plmn_encode(w, &a->tai.plmn);
	nas_wr_u8(w, (uint8_t)(a->tai.tac >> 8));
	nas_wr_u8(w, (uint8_t)a->tai.tac);
	size_t at = nas_wr_len_begin(w, 1);
	if ((ret = nas_esm_bearer_req_encode(w, &a->bearer)))
		return ret;
	nas_wr_len_end(w, at, 1);
	if (a->has_guti) {
		struct om_nas_eps_id id = { .type = OM_NAS_ID_GUTI, .guti = a->guti };
		nas_wr_u8(w, IEI_GUTI);
		eps_id_lv_enc(w, &id);
	}
	return 0;
}

static int auth_failure_enc(struct nas_wr *w, const struct om_nas_auth_failure *a)
{
	if (a->cause == OM_NAS_CAUSE_SYNCH_FAILURE && !a->has_auts)
		return OM_ENAS_MISSING_IE;
	if (a->cause != OM_NAS_CAUSE_SYNCH_FAILURE && a->has_auts)
		return OM_ENAS_CONDITIONAL;
	nas_wr_u8(w, a->cause);
	if (a->has_auts) {
		nas_wr_u8(w, IEI_AUTS);
		lv_mem_enc(w, a->auts, OM_NAS_AUTS_LEN);
	}
	return 0;
}

static int detach_ue_enc(struct nas_wr *w, const struct om_nas_detach_request_ue *d)
{
	int ret;
	if (d->detach_type < 1 || d->detach_type > 3)
		return OM_ENAS_VALUE;
	if (d->ksi > 0xf)
		return OM_EINVAL;
	if ((ret = nas_eps_id_check(&d->id)))
		return ret;
	nas_wr_u8(w, (uint8_t)(d->ksi << 4 | (d->switch_off ? 0x8 : 0) | d->detach_type));
	eps_id_lv_enc(w, &d->id);
	return 0;
}

static int encode_body(struct nas_wr *w, const struct om_nas_msg *m)
{
	const struct om_nas_auth_request *aq = &m->u.auth_request;
	const struct om_nas_auth_response *ar = &m->u.auth_response;
	const struct om_nas_detach_request_net *dn = &m->u.detach_request_net;

	switch (m->kind) {
	case OM_NAS_ATTACH_REQUEST: return attach_request_enc(w, &m->u.attach_request);
	case OM_NAS_ATTACH_ACCEPT: return attach_accept_enc(w, &m->u.attach_accept);
	case OM_NAS_ATTACH_COMPLETE: {
		size_t at = nas_wr_len_begin(w, 1);
		int ret = nas_esm_bearer_acc_encode(w, m->u.attach_complete.ebi);
		nas_wr_len_end(w, at, 1);
		return ret;
	}
	case OM_NAS_ATTACH_REJECT:
		nas_wr_u8(w, m->u.attach_reject.cause);
		return 0;
	case OM_NAS_AUTH_REQUEST:
		if (aq->ksi > 0xf)
			return OM_EINVAL;
		nas_wr_u8(w, aq->ksi);
		nas_wr_mem(w, aq->rand, OM_NAS_RAND_LEN);
		lv_mem_enc(w, aq->autn, OM_NAS_AUTN_LEN);
		return 0;
	case OM_NAS_AUTH_RESPONSE:
		if (ar->res_len < OM_NAS_RES_MIN || ar->res_len > OM_NAS_RES_MAX)
			return OM_ENAS_IE_LENGTH;
		lv_mem_enc(w, ar->res, ar->res_len);
		return 0;
	case OM_NAS_AUTH_FAILURE: return auth_failure_enc(w, &m->u.auth_failure);
	case OM_NAS_DETACH_REQUEST_UE: return detach_ue_enc(w, &m->u.detach_request_ue);
	case OM_NAS_DETACH_REQUEST_NET:
		if (dn->detach_type < 1 || dn->detach_type > 3)
			return OM_ENAS_VALUE;
		nas_wr_u8(w, dn->detach_type);
		if (dn->has_cause) {
			nas_wr_u8(w, IEI_EMM_CAUSE);
			nas_wr_u8(w, dn->cause);
		}
		return 0;
	case OM_NAS_SEC_MODE_COMMAND: {
		const struct om_nas_sec_mode_command *c = &m->u.sec_mode_command;
		if (c->eea > 7 || c->eia > 7 || c->ksi > 0xf)
			return OM_EINVAL;
		if (c->ue_sec_cap_len < OM_NAS_UE_SEC_CAP_MIN || c->ue_sec_cap_len > OM_NAS_UE_SEC_CAP_MAX)
			return OM_ENAS_IE_LENGTH;
		nas_wr_u8(w, (uint8_t)(c->eea << 4 | c->eia));
		nas_wr_u8(w, c->ksi);
		lv_mem_enc(w, c->ue_sec_cap, c->ue_sec_cap_len);
		return 0;
	}
	case OM_NAS_SEC_MODE_REJECT:
		nas_wr_u8(w, m->u.sec_mode_reject.cause);
		return 0;
	case OM_NAS_AUTH_REJECT:
	case OM_NAS_DETACH_ACCEPT:
	case OM_NAS_SEC_MODE_COMPLETE: return 0;
	}
	return OM_EINVAL;
}

static uint8_t message_type(enum om_nas_kind kind)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (emm_types[i].uplink == kind || emm_types[i].downlink == kind)
			return emm_types[i].type;
	return 0;
}

int om_nas_encode(uint8_t *out, size_t cap, const struct om_nas_msg *m)
{
	if (!out || !m)
		return OM_EINVAL;
	uint8_t type = message_type(m->kind);
	if (!type)
		return OM_EINVAL;
	struct nas_wr w = { out, cap, 0, 0 };
	nas_wr_u8(&w, HDR_PLAIN_EMM);
	nas_wr_u8(&w, type);
	int ret = encode_body(&w, m);
	if (ret)
		return ret;
	if (w.err)
		return w.err;
	return (int)w.len;
}
