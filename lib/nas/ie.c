/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Information element formats (TS 24.007 11.2) and the IEs shared by several
 * NAS-EPS messages: EPS mobile identity, PLMN identity, access point name.
 */
#include <string.h>

#include "ie.h"

/* ---- mandatory part ---- */

int nas_rd_v(struct nas_rd *r, uint8_t *out)
{
	return nas_rd_fixed(r, out, 1);
}

int nas_rd_fixed(struct nas_rd *r, uint8_t *out, size_t n)
{
	size_t left = r->len - r->off;
	if (left == 0)
		return OM_ENAS_MISSING_IE;
	if (left < n)
		return OM_ENAS_TRUNCATED;
	memcpy(out, r->p + r->off, n);
	r->off += n;
	return 0;
}

static int rd_len_value(struct nas_rd *r, const uint8_t **v, size_t *n, size_t min, size_t max, size_t hdr)
{
	size_t left = r->len - r->off;
	if (left == 0)
		return OM_ENAS_MISSING_IE;
	if (left < hdr)
		return OM_ENAS_TRUNCATED;
	const uint8_t *p = r->p + r->off;
	size_t l = hdr == 1 ? p[0] : (size_t)p[0] << 8 | p[1];
	/* The length is judged before the truncation: a length no clause allows
	 * is the better diagnosis than "the message is short". */
	if (l < min || l > max)
		return OM_ENAS_IE_LENGTH;
	if (left - hdr < l)
		return OM_ENAS_TRUNCATED;
	*v = p + hdr;
	*n = l;
	r->off += hdr + l;
	return 0;
}

int nas_rd_lv(struct nas_rd *r, const uint8_t **v, size_t *n, size_t min, size_t max)
{
	return rd_len_value(r, v, n, min, max, 1);
}

int nas_rd_lve(struct nas_rd *r, const uint8_t **v, size_t *n, size_t min, size_t max)
{
	return rd_len_value(r, v, n, min, max, 2);
}

void nas_wr_u8(struct nas_wr *w, uint8_t v)
{
	nas_wr_mem(w, &v, 1);
}

void nas_wr_mem(struct nas_wr *w, const uint8_t *v, size_t n)
{
	if (w->err)
		return;
	if (w->cap - w->len < n) {
		w->err = OM_ENOSPC;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

size_t nas_wr_len_begin(struct nas_wr *w, int two_octets)
{
	size_t at = w->len;
	nas_wr_u8(w, 0);
	if (two_octets)
		nas_wr_u8(w, 0);
	return at;
}

void nas_wr_len_end(struct nas_wr *w, size_t at, int two_octets)
{
	if (w->err)
		return;
	size_t n = w->len - at - (two_octets ? 2 : 1);
	if (n > (two_octets ? 0xffffu : 0xffu)) {
		w->err = OM_EINVAL;
		return;
	}
	if (two_octets) {
		w->p[at] = (uint8_t)(n >> 8);
		w->p[at + 1] = (uint8_t)n;
	} else {
		w->p[at] = (uint8_t)n;
	}
}

/* ---- non-imperative part ---- */

int nas_ie_next(struct nas_rd *r, const struct nas_tv *tv, size_t ntv, struct nas_ie *ie)
{
	size_t left = r->len - r->off;
	if (left == 0)
		return 0;
	const uint8_t *p = r->p + r->off;
	ie->iei = p[0];
	if (p[0] & 0x80) { /* type 1 (TV, half-octet IEI) or type 2 (T) */
		ie->v = p;
		ie->len = 1;
		r->off += 1;
		return 1;
	}
	for (size_t i = 0; i < ntv; i++) {
		if (tv[i].iei != p[0])
			continue;
		if (left < tv[i].len)
			return OM_ENAS_TRAILING;
		ie->v = p + 1;
		ie->len = tv[i].len - 1u;
		r->off += tv[i].len;
		return 1;
	}
	size_t hdr, l;
	if ((p[0] & 0xf0) == 0x70) { /* type 6, TLV-E */
		if (left < 3)
			return OM_ENAS_TRAILING;
		hdr = 3;
		l = (size_t)p[1] << 8 | p[2];
	} else { /* type 4, TLV */
		if (left < 2)
			return OM_ENAS_TRAILING;
		hdr = 2;
		l = p[1];
	}
	if (left - hdr < l)
		return OM_ENAS_TRAILING;
	ie->v = p + hdr;
	ie->len = l;
	r->off += hdr + l;
	return 1;
}

int nas_ie_unknown(const struct nas_ie *ie)
{
	return (ie->iei & 0xf0) == 0 ? OM_ENAS_COMPREHENSION : 0;
}

/* ---- PLMN identity, TS 24.008 10.5.1.3 ---- */

/* The number of decimal digits in s (NUL within cap), or -1. */
static int digits(const char *s, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		if (s[i] == 0)
			return (int)i;
		if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	return -1;
}

int nas_plmn_valid(const struct om_nas_plmn *plmn)
{
	int mnc = digits(plmn->mnc, sizeof(plmn->mnc));
	return digits(plmn->mcc, sizeof(plmn->mcc)) == 3 && (mnc == 2 || mnc == 3);
}

int nas_plmn_decode(struct om_nas_plmn *plmn, const uint8_t v[static 3])
{
	uint8_t d[6] = { v[0] & 0xf, v[0] >> 4, v[1] & 0xf, /* MCC 1..3 */
			 v[2] & 0xf, v[2] >> 4, v[1] >> 4 };    /* MNC 1..3 */
	for (int i = 0; i < 5; i++)
		if (d[i] > 9)
			return -1;
	if (d[5] != 0xf && d[5] > 9)
		return -1;
	for (int i = 0; i < 3; i++)
		plmn->mcc[i] = (char)('0' + d[i]);
	plmn->mcc[3] = 0;
	plmn->mnc[0] = (char)('0' + d[3]);
	plmn->mnc[1] = (char)('0' + d[4]);
	plmn->mnc[2] = d[5] == 0xf ? 0 : (char)('0' + d[5]); /* 1111: two-digit MNC */
	plmn->mnc[3] = 0;
	return 0;
}

void nas_plmn_encode(struct nas_wr *w, const struct om_nas_plmn *plmn)
{
	const char *c = plmn->mcc, *n = plmn->mnc;
	uint8_t mnc3 = n[2] ? (uint8_t)(n[2] - '0') : 0xf;
	nas_wr_u8(w, (uint8_t)((c[1] - '0') << 4 | (c[0] - '0')));
	nas_wr_u8(w, (uint8_t)(mnc3 << 4 | (c[2] - '0')));
	nas_wr_u8(w, (uint8_t)((n[1] - '0') << 4 | (n[0] - '0')));
}

/* ---- EPS mobile identity, 9.9.3.12 ---- */

#define ID_ODD 0x08 /* odd/even indication: odd number of identity digits */
#define GUTI_LEN 11

/* IMSI (TS 24.008 10.5.1.4 as used by 9.9.3.12): digit 1 beside the type,
 * then two BCD digits an octet, low nibble first; an even count ends with
 * the filler 1111 in the last high nibble. */
static int imsi_decode(char out[static OM_NAS_IMSI_MAX + 1], const uint8_t *v, size_t n)
{
	int odd = (v[0] & ID_ODD) != 0;
	size_t nd = odd ? 2 * n - 1 : 2 * n - 2;
	if (n < 4 || nd > OM_NAS_IMSI_MAX) /* 6..15 digits, TS 23.003 2.2 */
		return OM_ENAS_IDENTITY;
	for (size_t i = 0; i < nd; i++) {
		size_t pos = i + 1; /* nibble index: nibble 0 holds the odd/even bit and type */
		uint8_t d = pos & 1 ? v[pos / 2] >> 4 : v[pos / 2] & 0xf;
		if (d > 9)
			return OM_ENAS_IDENTITY;
		out[i] = (char)('0' + d);
	}
	out[nd] = 0;
	if (!odd && (v[n - 1] >> 4) != 0xf)
		return OM_ENAS_IDENTITY; /* even count without the end mark */
	return 0;
}

static int guti_decode(struct om_nas_guti *g, const uint8_t *v, size_t n)
{
	if (n != GUTI_LEN)
		return OM_ENAS_IE_LENGTH;
	/* Octet 3 bits 8..5 are 1111 and the odd/even bit 0; a receiver ignores
	 * them as it does spare bits (TS 24.007 11.2.1.1.4). */
	if (nas_plmn_decode(&g->plmn, v + 1))
		return OM_ENAS_IDENTITY;
	g->mme_group_id = (uint16_t)(v[4] << 8 | v[5]);
	g->mme_code = v[6];
	g->m_tmsi = (uint32_t)v[7] << 24 | (uint32_t)v[8] << 16 | (uint32_t)v[9] << 8 | v[10];
	return 0;
}

int nas_eps_id_decode(struct om_nas_eps_id *id, const uint8_t *v, size_t n)
{
	if (n < 4 || n > 11) /* LV 5..12 */
		return OM_ENAS_IE_LENGTH;
	switch (v[0] & 0x7) {
	case OM_NAS_ID_IMSI:
		id->type = OM_NAS_ID_IMSI;
		return imsi_decode(id->imsi, v, n);
	case OM_NAS_ID_GUTI:
		id->type = OM_NAS_ID_GUTI;
		return guti_decode(&id->guti, v, n);
	default: /* IMEI (011) only for emergency attach, which the lab has not */
		return OM_ENAS_IDENTITY;
	}
}

int nas_eps_id_check(const struct om_nas_eps_id *id)
{
	int nd;
	switch (id->type) {
	case OM_NAS_ID_IMSI:
		nd = digits(id->imsi, sizeof(id->imsi));
		return nd >= 6 && nd <= OM_NAS_IMSI_MAX ? 0 : OM_ENAS_IDENTITY;
	case OM_NAS_ID_GUTI:
		return nas_plmn_valid(&id->guti.plmn) ? 0 : OM_ENAS_IDENTITY;
	default:
		return OM_ENAS_IDENTITY;
	}
}

void nas_eps_id_encode(struct nas_wr *w, const struct om_nas_eps_id *id)
{
	if (id->type == OM_NAS_ID_GUTI) {
		const struct om_nas_guti *g = &id->guti;
		nas_wr_u8(w, 0xf0 | OM_NAS_ID_GUTI);
		nas_plmn_encode(w, &g->plmn);
		uint8_t b[7] = { (uint8_t)(g->mme_group_id >> 8), (uint8_t)g->mme_group_id, g->mme_code,
				 (uint8_t)(g->m_tmsi >> 24), (uint8_t)(g->m_tmsi >> 16),
				 (uint8_t)(g->m_tmsi >> 8), (uint8_t)g->m_tmsi };
		nas_wr_mem(w, b, sizeof(b));
		return;
	}
	const char *s = id->imsi;
	size_t nd = strlen(s);
	nas_wr_u8(w, (uint8_t)((s[0] - '0') << 4 | (nd & 1 ? ID_ODD : 0) | OM_NAS_ID_IMSI));
	for (size_t i = 1; i < nd; i += 2) {
		uint8_t hi = i + 1 < nd ? (uint8_t)(s[i + 1] - '0') : 0xf;
		nas_wr_u8(w, (uint8_t)(hi << 4 | (s[i] - '0')));
	}
}

/* ---- access point name, 9.9.4.1 -> TS 23.003 9.1 ---- */

#define APN_LABEL_MAX 63

/* TS 23.003 9.1: a label holds letters, digits and the hyphen. */
static int apn_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

int nas_apn_decode(char out[static OM_NAS_APN_MAX], const uint8_t *v, size_t n)
{
	if (n < 1 || n > OM_NAS_APN_MAX)
		return OM_ENAS_IE_LENGTH;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t l = v[i++];
		if (l == 0 || l > APN_LABEL_MAX || l > n - i)
			return OM_ENAS_APN;
		if (o)
			out[o++] = '.';
		for (size_t k = 0; k < l; k++) {
			if (!apn_char(v[i + k]))
				return OM_ENAS_APN;
			out[o++] = (char)v[i + k];
		}
		i += l;
	}
	out[o] = 0; /* o <= n - 1: each length octet but the first became a dot */
	return 0;
}

int nas_apn_check(const char *apn)
{
	size_t len = strnlen(apn, OM_NAS_APN_MAX);
	if (len == 0 || len >= OM_NAS_APN_MAX)
		return OM_ENAS_APN;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || apn[i] == '.') {
			if (label == 0 || label > APN_LABEL_MAX)
				return OM_ENAS_APN;
			label = 0;
		} else if (apn_char((unsigned char)apn[i])) {
			label++;
		} else {
			return OM_ENAS_APN;
		}
	}
	return (int)len + 1;
}

void nas_apn_encode(struct nas_wr *w, const char *apn)
{
	while (*apn) {
		size_t l = strcspn(apn, ".");
		nas_wr_u8(w, (uint8_t)l);
		nas_wr_mem(w, (const uint8_t *)apn, l);
		apn += l;
		if (*apn == '.')
			apn++;
	}
}
