/* SPDX-License-Identifier: Apache-2.0 */
/*
 * M2MMobj and M2MMCIMMobj (B.2.3.4 II, V): both round-trip with EC P-256
 * and RSA-2048 signers; every flipped bit, a wrong key, truncation,
 * extension, the other object type and too many measurements are refused,
 * each with its code, and a refusal outputs nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <openmcim/mobj.h>

#include "objects_testkit.h"

static const enum om_key_type types[] = { OM_KEY_EC_P256, OM_KEY_RSA_2048 };

static void sample_info(struct om_tre_info *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->tre_id, "TRE-0000000000000001");
	strcpy(t->tre_type, "openmcim soft TRE");
	strcpy(t->firmware_version, "0.1.0");
	t->n_measurements = 2;
	strcpy(t->m[0].name, "bootloader");
	memset(t->m[0].sha256, 0xb1, 32);
	strcpy(t->m[1].name, "mcim-agent");
	memset(t->m[1].sha256, 0xa9, 32);
}

static const uint8_t na[OM_NONCE_LEN] = "nonceA-nonceA-01";
static const uint8_t nb[OM_NONCE_LEN] = "nonceB-nonceB-02";
static const uint8_t mcim[] = "OMPD...a protect.h MCIM object...";

/* Refusal of an M2MMobj: the code, and the outputs untouched. */
static void m2mmobj_refused(const uint8_t *obj, size_t len, EVP_PKEY *pub, int want)
{
	struct om_tre_info t, t0;
	uint8_t a[OM_NONCE_LEN], b[OM_NONCE_LEN], z[OM_NONCE_LEN];
	memset(&t, 0x5a, sizeof(t));
	memset(&t0, 0x5a, sizeof(t0));
	memset(a, 0x5a, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	memset(z, 0x5a, sizeof(z));
	int r = om_m2mmobj_verify(obj, len, pub, &t, a, b);
	if (want)
		CHECK_INT(r, want);
	else
		CHECK(r < 0);
	CHECK(memcmp(&t, &t0, sizeof(t)) == 0 && memcmp(a, z, 16) == 0 && memcmp(b, z, 16) == 0);
}

static void m2mmcimmobj_refused(const uint8_t *obj, size_t len, EVP_PKEY *pub, int want)
{
	const uint8_t *m = (const uint8_t *)"untouched";
	size_t ml = 12345;
	uint8_t b[OM_NONCE_LEN], z[OM_NONCE_LEN];
	memset(b, 0x5a, sizeof(b));
	memset(z, 0x5a, sizeof(z));
	int r = om_m2mmcimmobj_verify(obj, len, pub, &m, &ml, b);
	if (want)
		CHECK_INT(r, want);
	else
		CHECK(r < 0);
	CHECK(ml == 12345 && memcmp(m, "untouched", 9) == 0 && memcmp(b, z, 16) == 0);
}

static void m2mmobj_round_trips(void)
{
	for (size_t k = 0; k < 2; k++) {
		EVP_PKEY *key = tk_key(types[k]), *pub = tk_public(key);
		struct om_tre_info in, out;
		uint8_t obj[OM_MOBJ_MAX], a[OM_NONCE_LEN], b[OM_NONCE_LEN];
		char id[OM_TRE_ID_MAX + 1];
		sample_info(&in);
		int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
		CHECK(n > 0);
		CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, pub, &out, a, b), 0);
		CHECK(strcmp(out.tre_id, in.tre_id) == 0 && strcmp(out.tre_type, in.tre_type) == 0 &&
		      strcmp(out.firmware_version, in.firmware_version) == 0);
		CHECK_INT(out.n_measurements, 2);
		CHECK(strcmp(out.m[1].name, "mcim-agent") == 0 && memcmp(out.m[1].sha256, in.m[1].sha256, 32) == 0);
		CHECK_MEM(a, na, 16);
		CHECK_MEM(b, nb, 16);
		CHECK_INT(om_m2mmobj_peek_tre_id(obj, (size_t)n, id), (int)strlen(in.tre_id));
		CHECK(strcmp(id, in.tre_id) == 0);
		/* no measurements at all is a valid TRE info too */
		in.n_measurements = 0;
		n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
		CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, pub, &out, a, b), 0);
		CHECK_INT(out.n_measurements, 0);
		EVP_PKEY_free(key);
		EVP_PKEY_free(pub);
	}
}

static void m2mmcimmobj_round_trips(void)
{
	for (size_t k = 0; k < 2; k++) {
		EVP_PKEY *key = tk_key(types[k]), *pub = tk_public(key);
		uint8_t obj[OM_MOBJ_MAX], b[OM_NONCE_LEN];
		const uint8_t *m = NULL;
		size_t ml = 0;
		int n = om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, key, obj, sizeof(obj));
		CHECK(n > 0);
		CHECK_INT(om_m2mmcimmobj_verify(obj, (size_t)n, pub, &m, &ml, b), 0);
		CHECK(ml == sizeof(mcim) && m == obj + n - (types[k] == OM_KEY_EC_P256 ? 64 : 256) - sizeof(mcim));
		CHECK(ml == sizeof(mcim) && memcmp(m, mcim, ml) == 0);
		CHECK_MEM(b, nb, 16);
		EVP_PKEY_free(key);
		EVP_PKEY_free(pub);
	}
}

static void every_flipped_bit_is_refused(void)
{
	for (size_t k = 0; k < 2; k++) {
		EVP_PKEY *key = tk_key(types[k]), *pub = tk_public(key);
		struct om_tre_info in;
		uint8_t obj[OM_MOBJ_MAX], obj2[OM_MOBJ_MAX];
		sample_info(&in);
		int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
		int n2 = om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, key, obj2, sizeof(obj2));
		CHECK(n > 0 && n2 > 0);
		size_t accepted = 0;
		for (size_t bit = 0; bit < 8 * (size_t)n; bit++) {
			obj[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			struct om_tre_info t;
			uint8_t a[16], b[16];
			if (om_m2mmobj_verify(obj, (size_t)n, pub, &t, a, b) == 0)
				accepted++;
			obj[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		for (size_t bit = 0; bit < 8 * (size_t)n2; bit++) {
			obj2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			const uint8_t *m;
			size_t ml;
			uint8_t b[16];
			if (om_m2mmcimmobj_verify(obj2, (size_t)n2, pub, &m, &ml, b) == 0)
				accepted++;
			obj2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		CHECK_INT(accepted, 0);
		/* a bit in the body is a signature failure, with nothing output */
		obj[20] ^= 1;
		m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_SIGNATURE);
		obj2[20] ^= 1;
		m2mmcimmobj_refused(obj2, (size_t)n2, pub, OM_EOBJ_SIGNATURE);
		EVP_PKEY_free(key);
		EVP_PKEY_free(pub);
	}
}

static void wrong_key_is_refused(void)
{
	for (size_t k = 0; k < 2; k++) {
		EVP_PKEY *key = tk_key(types[k]), *other = tk_key(types[k]), *mismatched = tk_key(types[1 - k]);
		struct om_tre_info in;
		uint8_t obj[OM_MOBJ_MAX], obj2[OM_MOBJ_MAX];
		sample_info(&in);
		int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
		int n2 = om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, key, obj2, sizeof(obj2));
		m2mmobj_refused(obj, (size_t)n, other, OM_EOBJ_SIGNATURE);
		m2mmcimmobj_refused(obj2, (size_t)n2, other, OM_EOBJ_SIGNATURE);
		/* a key of the other type: the object's scheme byte does not fit it */
		m2mmobj_refused(obj, (size_t)n, mismatched, OM_EOBJ_SIG_ALGORITHM);
		m2mmcimmobj_refused(obj2, (size_t)n2, mismatched, OM_EOBJ_SIG_ALGORITHM);
		EVP_PKEY_free(key);
		EVP_PKEY_free(other);
		EVP_PKEY_free(mismatched);
	}
	/* an X25519 key cannot verify anything */
	EVP_PKEY *x = tk_key(OM_KEY_X25519), *key = tk_key(OM_KEY_EC_P256);
	uint8_t obj[OM_MOBJ_MAX];
	int n = om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, key, obj, sizeof(obj));
	m2mmcimmobj_refused(obj, (size_t)n, x, OM_EPKI_KEY_TYPE);
	CHECK_INT(om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, x, obj, sizeof(obj)), OM_EPKI_KEY_TYPE);
	EVP_PKEY_free(x);
	EVP_PKEY_free(key);
}

static void truncation_and_extension_are_refused(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_tre_info in;
	uint8_t obj[OM_MOBJ_MAX + 2], obj2[OM_MOBJ_MAX + 2];
	sample_info(&in);
	int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	int n2 = om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, key, obj2, sizeof(obj2));
	for (size_t cut = 0; cut < (size_t)n; cut++)
		m2mmobj_refused(obj, cut, pub, cut >= 9 ? OM_EOBJ_TRUNCATED : 0);
	for (size_t cut = 0; cut < (size_t)n2; cut++)
		m2mmcimmobj_refused(obj2, cut, pub, cut >= 9 ? OM_EOBJ_TRUNCATED : 0);
	obj[n] = 0;
	obj2[n2] = 0;
	m2mmobj_refused(obj, (size_t)n + 1, pub, OM_EOBJ_TRAILING);
	m2mmcimmobj_refused(obj2, (size_t)n2 + 1, pub, OM_EOBJ_TRAILING);
	m2mmobj_refused(obj, OM_MOBJ_MAX + 1, pub, OM_EOBJ_TOO_LONG);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void the_other_object_type_is_refused(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_tre_info in;
	uint8_t obj[OM_MOBJ_MAX], obj2[OM_MOBJ_MAX];
	char id[OM_TRE_ID_MAX + 1];
	sample_info(&in);
	int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	int n2 = om_m2mmcimmobj_build(mcim, sizeof(mcim), nb, key, obj2, sizeof(obj2));
	/* the same key signed both: only the type byte keeps them apart */
	m2mmcimmobj_refused(obj, (size_t)n, pub, OM_EOBJ_TYPE);
	m2mmobj_refused(obj2, (size_t)n2, pub, OM_EOBJ_TYPE);
	CHECK_INT(om_m2mmobj_peek_tre_id(obj2, (size_t)n2, id), OM_EOBJ_TYPE);
	obj[0] = 'X';
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_MAGIC);
	obj[0] = 'O';
	obj[4] = 5; /* M2MMobj has versions 1 to 4 */
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_VERSION);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

/* Re-sign an EC-signed object after its signed part was edited in place (signed_len bytes). */
static void resign_ec(EVP_PKEY *key, uint8_t *obj, size_t signed_len)
{
	uint8_t sig[OM_SIG_MAX_LEN];
	int sl = om_sign(key, obj, signed_len, sig);
	CHECK(sl > 0);
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, sl);
	CHECK(es != NULL);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), obj + signed_len, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), obj + signed_len + 32, 32);
	ECDSA_SIG_free(es);
}

/*
 * What an older signer writes: the EC-signed M2MMobj obj (n bytes) with drop
 * body bytes at at removed, as version, re-signed. Returns its new length.
 */
static size_t as_older_version(EVP_PKEY *key, uint8_t *obj, size_t n, size_t at, size_t drop, uint8_t version)
{
	size_t blen = ((size_t)obj[7] << 8 | obj[8]);
	/* before version 4 no quote: the empty one (length 0000) ends the body */
	if (version < 4) {
		CHECK(obj[9 + blen - 2] == 0 && obj[9 + blen - 1] == 0);
		blen -= 2;
	}
	(void)n;
	blen -= drop;
	memmove(obj + at, obj + at + drop, 9 + blen + drop - at - drop);
	obj[4] = version;
	obj[7] = (uint8_t)(blen >> 8);
	obj[8] = (uint8_t)blen;
	resign_ec(key, obj, 9 + blen);
	return 9 + blen + 64;
}

static void measurement_count_is_bounded(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_tre_info in;
	uint8_t obj[OM_MOBJ_MAX], body[OM_MOBJ_MAX];
	sample_info(&in);
	in.n_measurements = OM_MEASUREMENTS_MAX + 1;
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj)), OM_EINVAL);
	/* the builder zeroes out on a refusal */
	memset(body, 0, sizeof(body));
	CHECK(memcmp(obj, body, sizeof(obj)) == 0);
	/* a signer that claims 9 measurements (signed, so only the count check stops it) */
	in.n_measurements = OM_MEASUREMENTS_MAX;
	for (size_t i = 0; i < OM_MEASUREMENTS_MAX; i++)
		snprintf(in.m[i].name, sizeof(in.m[i].name), "component-%zu", i);
	int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0);
	/* rebuild the signed part with the count byte raised to 9, then re-sign with the same framing */
	size_t count_at = 9 + 1 + strlen(in.tre_id) + 1 + strlen(in.tre_type) + 1 + strlen(in.firmware_version) + 32 + 8 + 1;
	CHECK_INT(obj[count_at], OM_MEASUREMENTS_MAX);
	obj[count_at] = OM_MEASUREMENTS_MAX + 1;
	resign_ec(key, obj, (size_t)n - 64);
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_COUNT);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

/* Version 2 carries the TRE's state counter after nonceB; a version 1 object still reads, counter 0. */
static void counter_is_signed_and_version_1_still_reads(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_tre_info in, out;
	uint8_t obj[OM_MOBJ_MAX], a[OM_NONCE_LEN], b[OM_NONCE_LEN];
	static const uint8_t want[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	sample_info(&in);
	in.counter = 0x0102030405060708ull;
	int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0);
	CHECK_INT(obj[4], 4);
	size_t at = 9 + 1 + strlen(in.tre_id) + 1 + strlen(in.tre_type) + 1 + strlen(in.firmware_version) + 32;
	CHECK_MEM(obj + at, want, 8);
	CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, pub, &out, a, b), 0);
	CHECK(out.counter == in.counter);
	/* a version 1 signer: the same body without the counter (nor the blocked MIDs of version 3) */
	size_t len = as_older_version(key, obj, (size_t)n, at, 9, 1);
	memset(&out, 0x5a, sizeof(out));
	CHECK_INT(om_m2mmobj_verify(obj, len, pub, &out, a, b), 0);
	CHECK(out.counter == 0 && out.n_measurements == 2 && !strcmp(out.m[1].name, "mcim-agent"));
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

/*
 * Version 3 carries the number of MIDs the TRE holds blocked, after the
 * counter (issue 18: tampering reported to the network): signed, bounded by
 * the MIDs a TRE can hold; a version 2 object reads with none.
 */
static void blocked_mids_are_signed_and_version_2_reads_none(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_tre_info in, out;
	uint8_t obj[OM_MOBJ_MAX], a[OM_NONCE_LEN], b[OM_NONCE_LEN];
	sample_info(&in);
	in.counter = 7;
	in.n_blocked = 2;
	int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0);
	size_t at = 9 + 1 + strlen(in.tre_id) + 1 + strlen(in.tre_type) + 1 + strlen(in.firmware_version) + 32 + 8;
	CHECK_INT(obj[at], 2);
	CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, pub, &out, a, b), 0);
	CHECK_INT(out.n_blocked, 2);
	CHECK(out.counter == 7);
	/* the byte is signed: cleared without re-signing, the object is refused */
	obj[at] = 0;
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_SIGNATURE);
	/* more than a TRE can hold: the builder refuses, and a signer that claims it anyway is refused */
	in.n_blocked = OM_MOBJ_BLOCKED_MAX + 1;
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj)), OM_EINVAL);
	in.n_blocked = 1;
	n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0);
	obj[at] = OM_MOBJ_BLOCKED_MAX + 1;
	resign_ec(key, obj, (size_t)n - 64);
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_FIELD);
	/* a version 2 signer: the same body without the byte */
	n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0);
	size_t len = as_older_version(key, obj, n > 0 ? (size_t)n : 0, at, 1, 2);
	memset(&out, 0x5a, sizeof(out));
	CHECK_INT(om_m2mmobj_verify(obj, len, pub, &out, a, b), 0);
	CHECK(out.n_blocked == 0 && out.counter == 7 && out.n_measurements == 2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

/* A quote made of recognisable bytes (the codec does not look inside it; pva/quote.c does). */
static void sample_quote(struct om_quote *q)
{
	memset(q, 0, sizeof(*q));
	q->attest_len = 145;
	for (size_t i = 0; i < q->attest_len; i++)
		q->attest[i] = (uint8_t)(i * 7 + 1);
	q->sig_len = 72;
	memset(q->sig, 0x5e, q->sig_len);
	q->n_pcr = 1;
	memset(q->pcr[0], 0x15, 32);
}

/*
 * Version 4 carries the TPM quote after the measurements: signed, its
 * lengths and PCR count bounded; a TRE without a TPM writes an empty one,
 * and a version 3 object reads with none.
 */
static void quote_is_signed_and_version_3_reads_none(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_tre_info in, out;
	uint8_t obj[OM_MOBJ_MAX], a[OM_NONCE_LEN], b[OM_NONCE_LEN];
	sample_info(&in);
	sample_quote(&in.quote);
	int n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0);
	CHECK_INT(obj[4], 4);
	/* the body ends with 0091 | attest | 0048 | sig | 01 | PCR value */
	size_t end = (size_t)n - 64, at = end - (2 + 145 + 2 + 72 + 1 + 32);
	CHECK(obj[at] == 0x00 && obj[at + 1] == 0x91 && obj[at + 2] == 1);
	CHECK(obj[at + 147] == 0x00 && obj[at + 148] == 0x48 && obj[end - 33] == 1 && obj[end - 1] == 0x15);
	memset(&out, 0x5a, sizeof(out));
	CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, pub, &out, a, b), 0);
	CHECK(out.quote.attest_len == 145 && out.quote.sig_len == 72 && out.quote.n_pcr == 1);
	CHECK_MEM(out.quote.attest, in.quote.attest, 145);
	CHECK_MEM(out.quote.sig, in.quote.sig, 72);
	CHECK_MEM(out.quote.pcr[0], in.quote.pcr[0], 32);
	/* signed: a PCR value changed without re-signing is refused */
	obj[end - 1] ^= 1;
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_SIGNATURE);
	obj[end - 1] ^= 1;
	/* a signer claiming 9 PCR values, or none */
	obj[end - 33] = OM_QUOTE_PCRS_MAX + 1;
	resign_ec(key, obj, end);
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_COUNT);
	obj[end - 33] = 0;
	resign_ec(key, obj, end);
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_COUNT);
	obj[end - 33] = 1;
	/* a TPMS_ATTEST longer than any quote */
	obj[at] = 0x04;
	obj[at + 1] = 0x01;
	resign_ec(key, obj, end);
	m2mmobj_refused(obj, (size_t)n, pub, OM_EOBJ_FIELD);
	/* the builder refuses a quote without PCR values or signature */
	in.quote.n_pcr = 0;
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj)), OM_EINVAL);
	sample_quote(&in.quote);
	in.quote.sig_len = 0;
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj)), OM_EINVAL);
	/* no quote: two zero bytes; a version 3 signer wrote neither, and reads with none */
	memset(&in.quote, 0, sizeof(in.quote));
	n = om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj));
	CHECK(n > 0 && obj[n - 66] == 0 && obj[n - 65] == 0);
	size_t len = as_older_version(key, obj, n > 0 ? (size_t)n : 0, 9, 0, 3);
	memset(&out, 0x5a, sizeof(out));
	CHECK_INT(om_m2mmobj_verify(obj, len, pub, &out, a, b), 0);
	CHECK(out.quote.attest_len == 0 && out.quote.n_pcr == 0 && out.n_measurements == 2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void builder_refuses_bad_fields(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256);
	struct om_tre_info in;
	uint8_t obj[OM_MOBJ_MAX], big[OM_MOBJ_MAX + 1];
	sample_info(&in);
	strcpy(in.tre_id, "TRE 1"); /* a space: not an identity */
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj)), OM_EINVAL);
	sample_info(&in);
	in.tre_type[0] = '\0';
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, sizeof(obj)), OM_EINVAL);
	sample_info(&in);
	CHECK_INT(om_m2mmobj_build(&in, na, nb, key, obj, 40), OM_ENOSPC);
	memset(big, 1, sizeof(big));
	CHECK_INT(om_m2mmcimmobj_build(big, sizeof(big), nb, key, obj, sizeof(obj)), OM_EOBJ_TOO_LONG);
	CHECK_INT(om_m2mmcimmobj_build(big, OM_MOBJ_MAX - 20, nb, key, obj, sizeof(obj)), OM_EOBJ_TOO_LONG);
	EVP_PKEY_free(key);
}

int main(void)
{
	m2mmobj_round_trips();
	m2mmcimmobj_round_trips();
	every_flipped_bit_is_refused();
	wrong_key_is_refused();
	truncation_and_extension_are_refused();
	the_other_object_type_is_refused();
	measurement_count_is_bounded();
	builder_refuses_bad_fields();
	counter_is_signed_and_version_1_still_reads();
	blocked_mids_are_signed_and_version_2_reads_none();
	quote_is_signed_and_version_3_reads_none();
	return check_done();
}
