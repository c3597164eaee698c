/* SPDX-License-Identifier: Apache-2.0 */
/* The MCIM TLV: round trips, and each kind of malformed field refused. */
#include <openmcim/mcim.h>

#include "check.h"

/* TS 35.208 test set 1 K and OPc, a test-network IMSI (MCC 001, MNC 01). */
static const uint8_t K[16] = { 0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
			       0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc };
static const uint8_t OPC[16] = { 0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				 0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf };
static const uint8_t MID[16] = { 0x6d, 0x69, 0x64, 0x2d, 0x30, 0x30, 0x30, 0x31,
				 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
static const uint8_t ALG = 0x01, MNC2 = 2, AMF[2] = { 0x80, 0x00 }, IND = 5;
static const uint8_t NOT_AFTER[8] = { 0, 0, 0, 0, 0x77, 0x35, 0x94, 0x00 }; /* 2033-05-18 */
static const uint8_t REVERT[4] = { 0, 0, 0x0e, 0x10 };                     /* one hour */

/* One field written by hand, as docs/formats.md lays it out. */
static size_t tlv(uint8_t *p, unsigned tag, const void *v, size_t n)
{
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)n;
	memcpy(p + 2, v, n);
	return 2 + n;
}

#define BIT(t) (1u << (t))
#define ALL 0xffeu      /* tags 0x01..0x0b */
#define MANDATORY 0x7eu /* tags 0x01..0x06 */

/* The fields whose tags are in mask, in ascending tag order. */
static size_t fields(uint8_t *p, unsigned mask)
{
	size_t n = 0;
	if (mask & BIT(0x01)) n += tlv(p + n, 0x01, "001010123456789", 15);
	if (mask & BIT(0x02)) n += tlv(p + n, 0x02, &MNC2, 1);
	if (mask & BIT(0x03)) n += tlv(p + n, 0x03, &ALG, 1);
	if (mask & BIT(0x04)) n += tlv(p + n, 0x04, K, 16);
	if (mask & BIT(0x05)) n += tlv(p + n, 0x05, OPC, 16);
	if (mask & BIT(0x06)) n += tlv(p + n, 0x06, "m2m.sho1.example", 16);
	if (mask & BIT(0x07)) n += tlv(p + n, 0x07, AMF, 2);
	if (mask & BIT(0x08)) n += tlv(p + n, 0x08, &IND, 1);
	if (mask & BIT(0x09)) n += tlv(p + n, 0x09, MID, 16);
	if (mask & BIT(0x0a)) n += tlv(p + n, 0x0a, NOT_AFTER, 8);
	if (mask & BIT(0x0b)) n += tlv(p + n, 0x0b, REVERT, 4);
	return n;
}

/* Every field but `skip` (0: every field). */
static size_t full(uint8_t *p, unsigned skip)
{
	return fields(p, ALL & ~BIT(skip));
}

static int zeroed(const struct om_mcim *m)
{
	static const struct om_mcim zero;
	return memcmp(m, &zero, sizeof(zero)) == 0;
}

/* Decode must refuse with want and leave the struct all zero. */
static void refused(const uint8_t *in, size_t len, int want, int line)
{
	struct om_mcim m;
	memset(&m, 0xa5, sizeof(m));
	int r = om_mcim_decode(&m, in, len);
	check_record(r == want, __FILE__, line, "om_mcim_decode", "got %s, want %s", om_errname(r),
		     om_errname(want));
	check_record(zeroed(&m), __FILE__, line, "struct zeroed after refusal", NULL);
}
#define REFUSED(in, len, want) refused((in), (len), (want), __LINE__)

static void decodes_every_field(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX];
	struct om_mcim m;
	size_t n = full(b, 0);
	CHECK(n <= OM_MCIM_ENCODED_MAX);
	CHECK_INT(om_mcim_decode(&m, b, n), 0);
	CHECK(strcmp(m.imsi, "001010123456789") == 0);
	CHECK_INT(m.mnc_len, 2);
	CHECK_INT(m.algorithm, OM_MCIM_ALG_MILENAGE);
	CHECK_MEM(m.k, K, 16);
	CHECK_MEM(m.opc, OPC, 16);
	CHECK(strcmp(m.apn, "m2m.sho1.example") == 0);
	CHECK_INT(m.present, OM_MCIM_HAS_AMF | OM_MCIM_HAS_IND_BITS | OM_MCIM_HAS_MID |
				     OM_MCIM_HAS_NOT_AFTER | OM_MCIM_HAS_REVERT_AFTER);
	CHECK_MEM(m.amf, AMF, 2);
	CHECK_INT(m.ind_bits, 5);
	CHECK_MEM(m.mid, MID, 16);
	CHECK_INT(m.not_after, 2000000000);
	CHECK_INT(m.revert_after, 3600);
	om_mcim_clear(&m);
	CHECK(zeroed(&m));
}

static void encodes_what_it_decodes_byte_for_byte(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX], e[OM_MCIM_ENCODED_MAX];
	struct om_mcim m;
	/* every field, then the mandatory ones only */
	for (int pass = 0; pass < 2; pass++) {
		size_t n = fields(b, pass == 0 ? ALL : MANDATORY);
		CHECK_INT(om_mcim_decode(&m, b, n), 0);
		CHECK_INT(m.present, pass == 0 ? 0x1f : 0);
		CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), n);
		CHECK_MEM(e, b, n);
		om_mcim_clear(&m);
	}
}

static void accepts_any_order(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX], r[OM_MCIM_ENCODED_MAX];
	struct om_mcim a, z;
	size_t n = full(b, 0), at = 0;
	/* the same fields, last to first */
	for (unsigned t = 0x0b; t >= 0x01; t--) {
		size_t i = 0;
		while (b[i] != t)
			i += 2 + b[i + 1];
		memcpy(r + at, b + i, 2 + (size_t)b[i + 1]);
		at += 2 + (size_t)b[i + 1];
	}
	CHECK_INT(at, n);
	CHECK_INT(om_mcim_decode(&a, b, n), 0);
	CHECK_INT(om_mcim_decode(&z, r, n), 0);
	CHECK_MEM(&a, &z, sizeof(a));
}

static void skips_unknown_extensions_but_not_unknown_mandatory_tags(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX + 64];
	struct om_mcim plain, ext;
	size_t n = full(b, 0);
	CHECK_INT(om_mcim_decode(&plain, b, n), 0);
	size_t m = n + tlv(b + n, 0x80, "abc", 3);
	m += tlv(b + m, 0xff, "", 0);
	CHECK_INT(om_mcim_decode(&ext, b, m), 0);
	CHECK_MEM(&plain, &ext, sizeof(plain));
	/* 0x00 and 0x0c..0x7f are must-understand */
	static const unsigned unknown[] = { 0x00, 0x0c, 0x40, 0x7f };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		size_t k = n + tlv(b + n, unknown[i], "x", 1);
		REFUSED(b, k, OM_EMCIM_UNKNOWN_TAG);
	}
}

static void refuses_each_missing_mandatory_field(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX];
	for (unsigned t = 0x01; t <= 0x06; t++)
		REFUSED(b, full(b, t), OM_EMCIM_MISSING);
	REFUSED(b, 0, OM_EMCIM_MISSING);
}

static void refuses_duplicates(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX + 64];
	size_t n = full(b, 0);
	/* a second copy of each field, identical or not, and of an extension */
	for (unsigned t = 0x01; t <= 0x0b; t++) {
		size_t i = 0;
		while (b[i] != t)
			i += 2 + b[i + 1];
		memcpy(b + n, b + i, 2 + (size_t)b[i + 1]);
		REFUSED(b, n + 2 + b[i + 1], OM_EMCIM_DUPLICATE);
	}
	size_t k = n + tlv(b + n, 0x90, "a", 1);
	k += tlv(b + k, 0x90, "b", 1);
	REFUSED(b, k, OM_EMCIM_DUPLICATE);
}

/* The full encoding with tag t's value replaced by v[0..len). */
static size_t with(uint8_t *b, unsigned t, const void *v, size_t len)
{
	size_t n = full(b, t);
	return n + tlv(b + n, t, v, len);
}

static void refuses_wrong_field_lengths(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX + 128], big[128];
	memset(big, '7', sizeof(big));
	static const struct { unsigned tag; size_t len; } bad[] = {
		{ 0x02, 0 }, { 0x02, 2 }, { 0x03, 2 }, { 0x04, 15 }, { 0x04, 17 }, { 0x04, 32 },
		{ 0x05, 15 }, { 0x05, 17 }, { 0x06, 0 }, { 0x06, 101 }, { 0x07, 1 }, { 0x07, 3 },
		{ 0x08, 0 }, { 0x09, 15 }, { 0x0a, 4 }, { 0x0b, 8 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(b, with(b, bad[i].tag, big, bad[i].len), OM_EMCIM_FIELD_LEN);
	/* the longest APN is fine */
	memset(big, 'a', 100);
	for (size_t i = 63; i < 100; i += 64)
		big[i] = '.';
	struct om_mcim m;
	CHECK_INT(om_mcim_decode(&m, b, with(b, 0x06, big, 100)), 0);
	CHECK_INT(strlen(m.apn), 100);
}

static void refuses_bad_imsis(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX + 64];
	REFUSED(b, with(b, 0x01, "00101012345678a", 15), OM_EMCIM_IMSI);
	REFUSED(b, with(b, 0x01, "00101", 5), OM_EMCIM_IMSI);
	REFUSED(b, with(b, 0x01, "0010101234567890", 16), OM_EMCIM_IMSI);
	REFUSED(b, with(b, 0x01, "0010101234\0" "5678", 15), OM_EMCIM_IMSI);
	REFUSED(b, with(b, 0x01, "001 10123456789", 15), OM_EMCIM_IMSI);
	/* six digits hold MCC, a 2-digit MNC and one MSIN digit, but not a 3-digit MNC */
	struct om_mcim m;
	CHECK_INT(om_mcim_decode(&m, b, with(b, 0x01, "001011", 6)), 0);
	uint8_t mnc3 = 3;
	size_t n = fields(b, ALL & ~BIT(0x01) & ~BIT(0x02));
	n += tlv(b + n, 0x02, &mnc3, 1);
	REFUSED(b, n + tlv(b + n, 0x01, "001011", 6), OM_EMCIM_IMSI);
	CHECK_INT(om_mcim_decode(&m, b, n + tlv(b + n, 0x01, "0010111", 7)), 0);
}

static void refuses_unknown_algorithms(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX + 64];
	static const uint8_t algs[] = { 0x00, 0x02 /* TUAK, reserved */, 0x03, 0xff };
	for (size_t i = 0; i < sizeof(algs); i++)
		REFUSED(b, with(b, 0x03, &algs[i], 1), OM_EMCIM_ALGORITHM);
}

static void refuses_values_out_of_range(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX + 128], v;
	v = 1;
	REFUSED(b, with(b, 0x02, &v, 1), OM_EMCIM_VALUE);
	v = 4;
	REFUSED(b, with(b, 0x02, &v, 1), OM_EMCIM_VALUE);
	v = 29;
	REFUSED(b, with(b, 0x08, &v, 1), OM_EMCIM_VALUE);
	static const char *apns[] = { "a..b", ".a", "a.", "a_b", "m2m sho", "a\001b" };
	for (size_t i = 0; i < sizeof(apns) / sizeof(apns[0]); i++)
		REFUSED(b, with(b, 0x06, apns[i], strlen(apns[i])), OM_EMCIM_VALUE);
	REFUSED(b, with(b, 0x06, "ab\0c", 4), OM_EMCIM_VALUE);
	char label[65];
	memset(label, 'x', 64);
	REFUSED(b, with(b, 0x06, label, 64), OM_EMCIM_VALUE);
	/* 28 IND bits is the most TS 33.102 C.3.2 leaves room for */
	v = 28;
	struct om_mcim m;
	CHECK_INT(om_mcim_decode(&m, b, with(b, 0x08, &v, 1)), 0);
}

static void refuses_truncation_at_every_length(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX], mand[OM_MCIM_ENCODED_MAX];
	size_t n = full(b, 0), bad = 0, mand_len = fields(mand, MANDATORY);
	for (size_t len = 0; len < n; len++) {
		struct om_mcim m;
		memset(&m, 0xa5, sizeof(m));
		int r = om_mcim_decode(&m, b, len);
		/* a cut between fields is well formed but lacks a field (or loses an optional one) */
		if (r == 0) {
			CHECK(len >= mand_len);
			continue;
		}
		bad += (r != OM_EMCIM_TRUNCATED && r != OM_EMCIM_MISSING) || !zeroed(&m);
	}
	CHECK_INT(bad, 0);
	/* a cut inside a field's header or value */
	REFUSED(b, 1, OM_EMCIM_TRUNCATED);
	REFUSED(b, 10, OM_EMCIM_TRUNCATED);
}

static void encoder_refuses_what_decoder_refuses(void)
{
	uint8_t b[OM_MCIM_ENCODED_MAX], e[OM_MCIM_ENCODED_MAX];
	struct om_mcim good, m;
	CHECK_INT(om_mcim_decode(&good, b, full(b, 0)), 0);

	m = good;
	m.imsi[3] = 'x';
	memset(e, 0xa5, sizeof(e));
	CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), OM_EMCIM_IMSI);
	CHECK(e[0] == 0 && memcmp(e, e + 1, sizeof(e) - 1) == 0);
	m = good;
	m.algorithm = OM_MCIM_ALG_TUAK;
	CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), OM_EMCIM_ALGORITHM);
	m = good;
	m.mnc_len = 4;
	CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), OM_EMCIM_VALUE);
	m = good;
	strcpy(m.apn, "bad..apn");
	CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), OM_EMCIM_VALUE);
	m = good;
	m.apn[0] = 0;
	CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), OM_EMCIM_FIELD_LEN);
	m = good;
	m.ind_bits = 29;
	CHECK_INT(om_mcim_encode(&m, e, sizeof(e)), OM_EMCIM_VALUE);
	/* IND bits are only looked at when present */
	m.present &= ~OM_MCIM_HAS_IND_BITS;
	CHECK(om_mcim_encode(&m, e, sizeof(e)) > 0);
	memset(e, 0xa5, sizeof(e));
	CHECK_INT(om_mcim_encode(&good, e, 20), OM_ENOSPC);
	CHECK(e[0] == 0 && memcmp(e, e + 1, 19) == 0 && e[20] == 0xa5);
	om_mcim_clear(&good);
	om_mcim_clear(&m);
}

int main(void)
{
	decodes_every_field();
	encodes_what_it_decodes_byte_for_byte();
	accepts_any_order();
	skips_unknown_extensions_but_not_unknown_mandatory_tags();
	refuses_each_missing_mandatory_field();
	refuses_duplicates();
	refuses_wrong_field_lengths();
	refuses_bad_imsis();
	refuses_unknown_algorithms();
	refuses_values_out_of_range();
	refuses_truncation_at_every_length();
	encoder_refuses_what_decoder_refuses();
	return check_done();
}
