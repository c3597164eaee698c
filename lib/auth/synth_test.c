/* SPDX-License-Identifier: Apache-2.0 */
/*
 * f(Ku) (synth.h) against vectors/synth.json, which scripts/synth_vectors.py
 * computed from docs/formats.md with Python's hmac (a second HKDF, not the
 * code under test), and against the `openssl kdf` command line for random
 * Ku; the MSIN's rejection rule, its range, the label and every refusal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <openmcim/hex.h>
#include <openmcim/synth.h>

#include "check.h"
#include "vectors.h"

static uint64_t num(const cJSON *v, const char *name)
{
	return strtoull(vectors_str(v, name), NULL, 10);
}

static void matches_the_vectors(void)
{
	const cJSON *v;
	int cases = 0;
	cJSON_ArrayForEach(v, vectors_file_list("synth.json", "synthetic_f", "vectors"))
	{
		uint8_t ku[16], verifier[16];
		struct om_synth_range r;
		struct om_mcim m;
		char label[OM_SYNTH_KU_TEXT_MAX];
		vectors_hex(v, "ku", ku, 16);
		CHECK_INT(om_synth_range_set(&r, vectors_str(v, "mcc"), vectors_str(v, "mnc"), vectors_str(v, "msin_first"),
					     num(v, "count")),
			  0);
		CHECK_INT(om_synth_derive(ku, &r, &m, verifier), 0);
		CHECK_MSG(!strcmp(m.imsi, vectors_str(v, "imsi")), "imsi %s, want %s", m.imsi, vectors_str(v, "imsi"));
		CHECK_INT(m.mnc_len, strlen(vectors_str(v, "mnc")));
		CHECK_HEX(m.k, 16, vectors_str(v, "k"));
		CHECK_HEX(m.opc, 16, vectors_str(v, "opc"));
		CHECK_HEX(verifier, 16, vectors_str(v, "verifier"));
		CHECK_INT(m.algorithm, OM_MCIM_ALG_MILENAGE);
		CHECK(m.present == OM_MCIM_HAS_AMF && m.amf[0] == 0x80 && m.amf[1] == 0);
		om_synth_ku_format(ku, label);
		CHECK_MSG(!strcmp(label, vectors_str(v, "ku_label")), "label %s", label);
		om_mcim_clear(&m);
		cases++;
	}
	CHECK_INT(cases, 4);
}

/* A count just above 2^63 rejects about one word in two: the vector's first word is rejected. */
static void rejects_words_above_the_last_whole_range(void)
{
	const cJSON *v;
	int cases = 0;
	cJSON_ArrayForEach(v, vectors_file_list("synth.json", "synthetic_f", "rejection"))
	{
		uint8_t ku[16];
		uint64_t off = 0;
		vectors_hex(v, "ku", ku, 16);
		CHECK_INT(vectors_str(v, "count")[0] != 0, 1);
		CHECK_INT(om_synth_msin_offset(ku, num(v, "count"), &off), 0);
		CHECK_MSG(off == num(v, "msin_offset"), "offset %" PRIu64, off);
		cases++;
	}
	CHECK_INT(cases, 1);
}

/* `openssl kdf ... HKDF` for one output; returns its length in out. */
static size_t openssl_hkdf(const uint8_t ku[16], const char *name, uint8_t *out, size_t len)
{
	char cmd[512], line[512], kuhex[33], *p = line;
	size_t n = 0;
	om_hex_encode(kuhex, ku, 16);
	snprintf(cmd, sizeof(cmd),
		 "openssl kdf -keylen %zu -kdfopt digest:SHA256 -kdfopt hexkey:%s "
		 "-kdfopt 'salt:openmcim f(Ku) v1' -kdfopt 'info:openmcim f(Ku) %s' HKDF",
		 len, kuhex, name);
	FILE *f = popen(cmd, "r");
	if (!f || !fgets(line, sizeof(line), f))
		line[0] = 0;
	if (f)
		pclose(f);
	while (*p && n < len) { /* "2E:19:36:..." */
		unsigned b;
		if (sscanf(p, "%2x", &b) != 1)
			break;
		out[n++] = (uint8_t)b;
		p += 2;
		if (*p == ':')
			p++;
	}
	return n;
}

static void matches_openssl_kdf_command(void)
{
	struct om_synth_range r;
	CHECK_INT(om_synth_range_set(&r, "001", "01", "0000000000", 10000000000ull), 0);
	for (int i = 0; i < 4; i++) {
		uint8_t ku[16], k[16], opc[16], ver[16], words[128], verifier[16];
		struct om_mcim m;
		check_random(ku, sizeof(ku));
		CHECK_INT(om_synth_derive(ku, &r, &m, verifier), 0);
		CHECK_INT(openssl_hkdf(ku, "K", k, 16), 16);
		CHECK_INT(openssl_hkdf(ku, "OPc", opc, 16), 16);
		CHECK_INT(openssl_hkdf(ku, "verifier", ver, 16), 16);
		CHECK_INT(openssl_hkdf(ku, "MSIN", words, 128), 128);
		CHECK_MEM(m.k, k, 16);
		CHECK_MEM(m.opc, opc, 16);
		CHECK_MEM(verifier, ver, 16);
		/* 10^10 divides nothing near 2^64 evenly, but the first word is accepted unless it is in the last 2^64 mod 10^10 */
		uint64_t w = 0;
		for (int b = 0; b < 8; b++)
			w = w << 8 | words[b];
		char want[16];
		snprintf(want, sizeof(want), "00101%010" PRIu64, (uint64_t)(w % 10000000000ull));
		CHECK_MSG(!strcmp(m.imsi, want), "imsi %s, want %s", m.imsi, want);
		om_mcim_clear(&m);
	}
}

static void draws_inside_the_range(void)
{
	struct om_synth_range r;
	int seen[3] = { 0 };
	CHECK_INT(om_synth_range_set(&r, "999", "99", "0000000007", 3), 0);
	for (int i = 0; i < 3000; i++) {
		uint8_t ku[16];
		struct om_mcim m;
		check_random(ku, sizeof(ku));
		CHECK_INT(om_synth_derive(ku, &r, &m, NULL), 0);
		CHECK_INT(strlen(m.imsi), 15);
		long msin = strtol(m.imsi + 5, NULL, 10);
		CHECK_MSG(msin >= 7 && msin <= 9, "MSIN %ld outside 7..9", msin);
		if (msin >= 7 && msin <= 9)
			seen[msin - 7]++;
		om_mcim_clear(&m);
	}
	/* 1000 expected each; 150 is about six standard deviations */
	for (int i = 0; i < 3; i++)
		CHECK_MSG(seen[i] > 850 && seen[i] < 1150, "MSIN %d drawn %d times in 3000", 7 + i, seen[i]);
}

static void refuses_malformed_ranges(void)
{
	struct om_synth_range r;
	CHECK_INT(om_synth_range_set(&r, "01", "01", "0000000000", 1), OM_EAUTH_SYNTH_RANGE);
	CHECK_INT(om_synth_range_set(&r, "001", "1", "0000000000", 1), OM_EAUTH_SYNTH_RANGE);
	CHECK_INT(om_synth_range_set(&r, "001", "01x", "0000000000", 1), OM_EAUTH_SYNTH_RANGE);
	CHECK_INT(om_synth_range_set(&r, "001", "01", "00000000000", 1), OM_EAUTH_SYNTH_RANGE); /* 16 digits */
	CHECK_INT(om_synth_range_set(&r, "001", "010", "0000000000", 1), OM_EAUTH_SYNTH_RANGE); /* 16 digits */
	CHECK_INT(om_synth_range_set(&r, "001", "01", "", 1), OM_EAUTH_SYNTH_RANGE);
	CHECK_INT(om_synth_range_set(&r, "001", "01", "0000000000", 0), OM_EAUTH_SYNTH_RANGE);
	CHECK_INT(om_synth_range_set(&r, "001", "01", "9999999999", 2), OM_EAUTH_SYNTH_RANGE); /* past the width */
	CHECK_INT(om_synth_range_set(&r, "001", "01", "9999999999", 1), 0);
	/* a range built by hand is checked again */
	uint8_t ku[16] = { 0 }, verifier[16] = { 1 };
	struct om_mcim m;
	r.count = 2;
	CHECK_INT(om_synth_derive(ku, &r, &m, verifier), OM_EAUTH_SYNTH_RANGE);
	CHECK_INT(om_synth_msin_offset(ku, 0, &(uint64_t){ 0 }), OM_EINVAL);
}

static void reads_the_label_as_typed(void)
{
	const uint8_t want[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t ku[16];
	/* the vector's label "000G-40R4-0M30-E209-185G-R38E-1W", lower case, O for 0, no dashes */
	CHECK_INT(om_synth_ku_parse("ooog40r40m30e209185gr38e1w", ku), 0);
	CHECK_MEM(ku, want, 16);
	CHECK_INT(om_synth_ku_parse("000G-40R4-0M30-E209-185G-R38E-1W", ku), 0);
	CHECK_MEM(ku, want, 16);
	CHECK_INT(om_synth_ku_parse("000G-40R4-0M30-E209-185G-R38E-1", ku), OM_EAUTH_SYNTH_KU);   /* 25 */
	CHECK_INT(om_synth_ku_parse("000G-40R4-0M30-E209-185G-R38E-1WW", ku), OM_EAUTH_SYNTH_KU); /* 27 */
	CHECK_INT(om_synth_ku_parse("000G-40R4-0M30-E209-185G-R38E-1X", ku), OM_EAUTH_SYNTH_KU);  /* padding bit set */
	CHECK_INT(om_synth_ku_parse("000G-40R4-0M30-E209-185G-R38E-1U", ku), OM_EAUTH_SYNTH_KU);  /* U: not base32 */
}

int main(void)
{
	matches_the_vectors();
	rejects_words_above_the_last_whole_range();
	matches_openssl_kdf_command();
	draws_inside_the_range();
	refuses_malformed_ranges();
	reads_the_label_as_typed();
	return check_done();
}
