/* SPDX-License-Identifier: Apache-2.0 */
/* The MCIM TLV of docs/formats.md: one codec for the SHO and the TRE. */
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/be.h>
#include <openmcim/mcim.h>
#include <openmcim/sqn.h>

#define MANDATORY                                                                              \
	(bit(OM_MCIM_T_IMSI) | bit(OM_MCIM_T_MNC_LEN) | bit(OM_MCIM_T_ALGORITHM) | bit(OM_MCIM_T_K) | \
	 bit(OM_MCIM_T_OPC) | bit(OM_MCIM_T_APN))
#define EXTENSION_FIRST 0x80 /* tags from here on may be skipped when unknown */

static uint32_t bit(unsigned tag)
{
	return UINT32_C(1) << tag;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* TS 23.003 2.2: MCC (3) | MNC (2 or 3) | MSIN, at most 15 digits in all. */
static int imsi_check(const char *s, size_t n, unsigned mnc_len)
{
	if (n < OM_MCIM_IMSI_MIN || n > OM_MCIM_IMSI_MAX || n < 3 + mnc_len + 1)
		return OM_EMCIM_IMSI;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return OM_EMCIM_IMSI;
	return 0;
}

/*
 * TS 23.003 9.1: labels of letters, digits and hyphens separated by dots,
 * 100 octets at most. We carry the dotted text form; the TRE builds the
 * length-prefixed form of TS 24.008 10.5.6.1 from it.
 */
static int apn_check(const char *s, size_t n)
{
	if (n == 0 || n > OM_MCIM_APN_MAX)
		return OM_EMCIM_FIELD_LEN;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return OM_EMCIM_VALUE;
			label = 0;
		} else if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-') {
			if (++label > 63)
				return OM_EMCIM_VALUE;
		} else {
			return OM_EMCIM_VALUE;
		}
	}
	return label == 0 ? OM_EMCIM_VALUE : 0;
}

/* The value rules shared by encode and decode. */
static int validate(const struct om_mcim *m)
{
	if (m->mnc_len != 2 && m->mnc_len != 3)
		return OM_EMCIM_VALUE;
	int r = imsi_check(m->imsi, strnlen(m->imsi, sizeof(m->imsi)), m->mnc_len);
	if (r < 0)
		return r;
	/* TUAK (0x02) is reserved: its K and constants have other sizes */
	if (m->algorithm != OM_MCIM_ALG_MILENAGE)
		return OM_EMCIM_ALGORITHM;
	r = apn_check(m->apn, strnlen(m->apn, sizeof(m->apn)));
	if (r < 0)
		return r;
	if ((m->present & OM_MCIM_HAS_IND_BITS) && m->ind_bits > OM_IND_BITS_MAX)
		return OM_EMCIM_VALUE;
	return 0;
}

/* Store one known field; the value's length is checked here, its meaning in validate(). */
static int field(struct om_mcim *m, unsigned tag, const uint8_t *v, size_t n)
{
	static const uint8_t width[] = {
		[OM_MCIM_T_MNC_LEN] = 1, [OM_MCIM_T_ALGORITHM] = 1, [OM_MCIM_T_K] = OM_MCIM_KEY_LEN,
		[OM_MCIM_T_OPC] = OM_MCIM_KEY_LEN, [OM_MCIM_T_AMF] = 2, [OM_MCIM_T_IND_BITS] = 1,
		[OM_MCIM_T_MID] = OM_MCIM_MID_LEN, [OM_MCIM_T_NOT_AFTER] = 8, [OM_MCIM_T_REVERT_AFTER] = 4,
	};
	if (tag == OM_MCIM_T_IMSI) {
		if (n < OM_MCIM_IMSI_MIN || n > OM_MCIM_IMSI_MAX || memchr(v, 0, n))
			return OM_EMCIM_IMSI;
		memcpy(m->imsi, v, n);
		return 0;
	}
	if (tag == OM_MCIM_T_APN) {
		if (n == 0 || n > OM_MCIM_APN_MAX)
			return OM_EMCIM_FIELD_LEN;
		if (memchr(v, 0, n))
			return OM_EMCIM_VALUE;
		memcpy(m->apn, v, n);
		return 0;
	}
	if (n != width[tag])
		return OM_EMCIM_FIELD_LEN;
	switch (tag) {
	case OM_MCIM_T_MNC_LEN:
		m->mnc_len = v[0];
		break;
	case OM_MCIM_T_ALGORITHM:
		m->algorithm = v[0];
		break;
	case OM_MCIM_T_K:
		memcpy(m->k, v, n);
		break;
	case OM_MCIM_T_OPC:
		memcpy(m->opc, v, n);
		break;
	case OM_MCIM_T_AMF:
		memcpy(m->amf, v, n);
		m->present |= OM_MCIM_HAS_AMF;
		break;
	case OM_MCIM_T_IND_BITS:
		m->ind_bits = v[0];
		m->present |= OM_MCIM_HAS_IND_BITS;
		break;
	case OM_MCIM_T_MID:
		memcpy(m->mid, v, n);
		m->present |= OM_MCIM_HAS_MID;
		break;
	case OM_MCIM_T_NOT_AFTER:
		m->not_after = om_be_get(v, n);
		m->present |= OM_MCIM_HAS_NOT_AFTER;
		break;
	case OM_MCIM_T_REVERT_AFTER:
		m->revert_after = (uint32_t)om_be_get(v, n);
		m->present |= OM_MCIM_HAS_REVERT_AFTER;
		break;
	}
	return 0;
}

int om_mcim_decode(struct om_mcim *m, const uint8_t *in, size_t len)
{
	uint8_t seen[256] = { 0 };
	uint32_t known = 0;
	int r = 0;
	if (!m || (len && !in))
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < len && r == 0;) {
		if (len - i < 2) {
			r = OM_EMCIM_TRUNCATED;
			break;
		}
		unsigned tag = in[i], n = in[i + 1];
		const uint8_t *v = in + i + 2;
		if (len - i - 2 < n) {
			r = OM_EMCIM_TRUNCATED;
			break;
		}
		i += 2 + (size_t)n;
		if (seen[tag]++) {
			r = OM_EMCIM_DUPLICATE;
		} else if (tag >= OM_MCIM_T_IMSI && tag <= OM_MCIM_T_REVERT_AFTER) {
			known |= bit(tag);
			r = field(m, tag, v, n);
		} else if (tag < EXTENSION_FIRST) {
			r = OM_EMCIM_UNKNOWN_TAG;
		}
	}
	if (r == 0 && (known & MANDATORY) != MANDATORY)
		r = OM_EMCIM_MISSING;
	if (r == 0)
		r = validate(m);
	if (r < 0)
		om_mcim_clear(m);
	return r;
}

static uint8_t *put_field(uint8_t *p, unsigned tag, const void *v, size_t n)
{
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)n;
	memcpy(p + 2, v, n);
	return p + 2 + n;
}

int om_mcim_encode(const struct om_mcim *m, uint8_t *out, size_t cap)
{
	uint8_t be[8];
	int r;
	if (!m || !out)
		return OM_EINVAL;
	r = validate(m);
	if (r < 0)
		goto out;
	size_t imsi_len = strlen(m->imsi), apn_len = strlen(m->apn);
	size_t need = 2 * 6 + imsi_len + 1 + 1 + 2 * OM_MCIM_KEY_LEN + apn_len;
	need += (m->present & OM_MCIM_HAS_AMF) ? 2 + 2 : 0;
	need += (m->present & OM_MCIM_HAS_IND_BITS) ? 2 + 1 : 0;
	need += (m->present & OM_MCIM_HAS_MID) ? 2 + OM_MCIM_MID_LEN : 0;
	need += (m->present & OM_MCIM_HAS_NOT_AFTER) ? 2 + 8 : 0;
	need += (m->present & OM_MCIM_HAS_REVERT_AFTER) ? 2 + 4 : 0;
	if (cap < need) {
		r = OM_ENOSPC;
		goto out;
	}
	uint8_t *p = out;
	p = put_field(p, OM_MCIM_T_IMSI, m->imsi, imsi_len);
	p = put_field(p, OM_MCIM_T_MNC_LEN, &m->mnc_len, 1);
	p = put_field(p, OM_MCIM_T_ALGORITHM, &m->algorithm, 1);
	p = put_field(p, OM_MCIM_T_K, m->k, OM_MCIM_KEY_LEN);
	p = put_field(p, OM_MCIM_T_OPC, m->opc, OM_MCIM_KEY_LEN);
	p = put_field(p, OM_MCIM_T_APN, m->apn, apn_len);
	if (m->present & OM_MCIM_HAS_AMF)
		p = put_field(p, OM_MCIM_T_AMF, m->amf, 2);
	if (m->present & OM_MCIM_HAS_IND_BITS)
		p = put_field(p, OM_MCIM_T_IND_BITS, &m->ind_bits, 1);
	if (m->present & OM_MCIM_HAS_MID)
		p = put_field(p, OM_MCIM_T_MID, m->mid, OM_MCIM_MID_LEN);
	if (m->present & OM_MCIM_HAS_NOT_AFTER) {
		om_be_put(be, m->not_after, 8);
		p = put_field(p, OM_MCIM_T_NOT_AFTER, be, 8);
	}
	if (m->present & OM_MCIM_HAS_REVERT_AFTER) {
		om_be_put(be, m->revert_after, 4);
		p = put_field(p, OM_MCIM_T_REVERT_AFTER, be, 4);
	}
	r = (int)(p - out);
out:
	if (r < 0)
		memset(out, 0, cap);
	return r;
}

void om_mcim_clear(struct om_mcim *m)
{
	if (m)
		OPENSSL_cleanse(m, sizeof(m[0]));
}
