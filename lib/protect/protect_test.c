/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The B.2.3.6 protected object: round trips for every wrap and suite, and
 * every kind of damage refused with its own code and an all-zero output.
 */
#include <stdlib.h>

#include <openmcim/protect.h>

#include "check.h"
#include "protect/protect_int.h"

#define CAP 2048

enum { K_RSA, K_P256, K_X25519, NKEYS };
static EVP_PKEY *keys[NKEYS], *other[NKEYS];
static const char *key_name[NKEYS] = { "RSA-2048", "P-256", "X25519" };
static const int suites[] = { OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_AES128CBC_HMACSHA1 };
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static EVP_PKEY *keygen(int which)
{
	EVP_PKEY *k = which == K_RSA    ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
		      : which == K_P256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
				      : EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (!k) {
		fprintf(stderr, "keygen failed\n");
		exit(1);
	}
	return k;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* A sealed object of payload_len random bytes; returns its length. */
static size_t sealed(int key, int suite, size_t payload_len, uint8_t *payload, uint8_t obj[static CAP])
{
	check_random(payload, payload_len);
	int n = om_protect_seal(keys[key], suite, OM_PROTECT_TAG_MCIM, payload, payload_len, obj, CAP);
	CHECK_MSG(n > 0, "%s suite %d: %s", key_name[key], suite, om_errname(n));
	return n > 0 ? (size_t)n : 0;
}

static void round_trips_every_wrap_and_suite(void)
{
	static const size_t lens[] = { 0, 1, 11, 12, 13, 76, 300 };
	for (int k = 0; k < NKEYS; k++)
		for (size_t s = 0; s < NSUITES; s++)
			for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				uint8_t payload[300], obj[CAP], out[400], obj2[CAP];
				size_t n = sealed(k, suites[s], lens[l], payload, obj);
				CHECK_INT(n, om_protect_sealed_len(keys[k], suites[s], lens[l]));
				struct om_protect_header h;
				CHECK_INT(om_protect_inspect(obj, n, &h), 0);
				CHECK_INT(h.wrap, k + 1);
				CHECK_INT(h.suite, suites[s]);
				CHECK_INT(h.total_len, n);
				CHECK_INT(h.ct_len % 16, 0);
				int got = om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, n, out, sizeof(out));
				CHECK_MSG(got == (int)lens[l], "%s suite %d len %zu: %s", key_name[k],
					  suites[s], lens[l], om_errname(got));
				CHECK_MEM(out, payload, lens[l]);
				/* fresh PIK, PCK, IV (and ephemeral key or OAEP seed) each time */
				int n2 = om_protect_seal(keys[k], suites[s], OM_PROTECT_TAG_MCIM, payload,
							 lens[l], obj2, CAP);
				CHECK_INT(n2, n);
				CHECK(memcmp(obj, obj2, n) != 0);
			}
}

static int in(int r, const int *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r == set[i])
			return 1;
	return 0;
}

/* Which codes a flipped bit at byte i may give; the region decides. */
static int expected(size_t i, size_t wlen, int r)
{
	/* another known wrap has another wrapped_len, so the header no longer adds up */
	static const int wrap_byte[] = { OM_EPROTECT_SUITE, OM_EPROTECT_HEADER, OM_EPROTECT_KEYTYPE };
	static const int lengths[] = { OM_EPROTECT_HEADER, OM_EPROTECT_TRUNCATED, OM_EPROTECT_TRAILING };
	if (i < 5) /* magic and format version */
		return r == OM_EPROTECT_HEADER;
	if (i == 5)
		return in(r, wrap_byte, 3);
	if (i == 6)
		return r == OM_EPROTECT_SUITE;
	if (i < OM_PROTECT_HEADER_LEN)
		return in(r, lengths, 3);
	if (i < OM_PROTECT_HEADER_LEN + wlen)
		return r == OM_EPROTECT_UNWRAP;
	return r == OM_EPROTECT_MAC; /* IV, C and the MAC itself */
}

static void refuses_a_flipped_bit_anywhere(void)
{
	for (int k = 0; k < NKEYS; k++)
		for (size_t s = 0; s < NSUITES; s++) {
			uint8_t payload[40], obj[CAP], out[64];
			size_t n = sealed(k, suites[s], sizeof(payload), payload, obj);
			struct om_protect_header h;
			CHECK_INT(om_protect_inspect(obj, n, &h), 0);
			size_t bad = 0, nonzero = 0, tried = 0;
			for (size_t i = 0; i < n; i++)
				for (int b = 0; b < 8; b++) {
					obj[i] ^= (uint8_t)(1u << b);
					memset(out, 0xa5, sizeof(out));
					int r = om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, n, out, sizeof(out));
					obj[i] ^= (uint8_t)(1u << b);
					tried++;
					if (!expected(i, h.wrapped_len, r)) {
						if (bad++ < 5)
							fprintf(stderr, "%s suite %d byte %zu bit %d: %s\n",
								key_name[k], suites[s], i, b, om_errname(r));
					}
					nonzero += !all_zero(out, sizeof(out));
				}
			CHECK_MSG(bad == 0, "%s suite %d: %zu of %zu flips gave the wrong code", key_name[k],
				  suites[s], bad, tried);
			CHECK_INT(nonzero, 0);
			/* and the object is still good after all that */
			CHECK_INT(om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, n, out, sizeof(out)),
				  sizeof(payload));
		}
}

static void refuses_truncation_at_every_length(void)
{
	for (int k = 0; k < NKEYS; k++) {
		uint8_t payload[20], obj[CAP], out[64];
		size_t n = sealed(k, OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload), payload, obj);
		size_t bad = 0, nonzero = 0;
		for (size_t len = 0; len < n; len++) {
			memset(out, 0xa5, sizeof(out));
			int r = om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, len, out, sizeof(out));
			bad += r != OM_EPROTECT_TRUNCATED;
			nonzero += !all_zero(out, sizeof(out));
		}
		CHECK_MSG(bad == 0, "%s: %zu truncations not refused as truncated", key_name[k], bad);
		CHECK_INT(nonzero, 0);
	}
}

static void refuses_trailing_bytes(void)
{
	for (int k = 0; k < NKEYS; k++) {
		uint8_t payload[20], obj[CAP], out[64];
		size_t n = sealed(k, OM_PROTECT_AES128CBC_HMACSHA1, sizeof(payload), payload, obj);
		/* one byte, and a whole block that a sloppy parser could take for more C */
		for (size_t extra = 1; extra <= 16; extra += 15) {
			memset(obj + n, 0, extra);
			memset(out, 0xa5, sizeof(out));
			CHECK_INT(om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, n + extra, out, sizeof(out)),
				  OM_EPROTECT_TRAILING);
			CHECK(all_zero(out, sizeof(out)));
		}
	}
}

static void refuses_the_wrong_private_key(void)
{
	for (int k = 0; k < NKEYS; k++) {
		uint8_t payload[20], obj[CAP], out[64];
		size_t n = sealed(k, OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload), payload, obj);
		memset(out, 0xa5, sizeof(out));
		CHECK_INT(om_protect_open(other[k], OM_PROTECT_TAG_MCIM, obj, n, out, sizeof(out)),
			  OM_EPROTECT_UNWRAP);
		CHECK(all_zero(out, sizeof(out)));
		/* a key of another type is refused before any private-key operation */
		memset(out, 0xa5, sizeof(out));
		CHECK_INT(om_protect_open(keys[(k + 1) % NKEYS], OM_PROTECT_TAG_MCIM, obj, n, out, sizeof(out)),
			  OM_EPROTECT_KEYTYPE);
		CHECK(all_zero(out, sizeof(out)));
	}
}

/*
 * The text's MAC covers only ENC_PCK(data); the header is bound through the
 * wrap. A header that is changed yet self-consistent (here: C one block
 * longer, or the suite swapped with the MAC length to match) must fail at
 * the unwrap, before the MAC is even computed.
 */
static void refuses_a_consistent_header_change_at_unwrap(void)
{
	for (int k = 0; k < NKEYS; k++) {
		uint8_t payload[20], obj[CAP], out[64];
		size_t n = sealed(k, OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload), payload, obj);
		size_t ct = omp_get32(obj + 9);
		omp_put32(obj + 9, ct + 16);
		memset(obj + n, 0, 16);
		struct om_protect_header h;
		CHECK_INT(om_protect_inspect(obj, n + 16, &h), 0);
		CHECK_INT(om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, n + 16, out, sizeof(out)),
			  OM_EPROTECT_UNWRAP);
		CHECK(all_zero(out, sizeof(out)));
	}
	/* RSA's wrapped block does not depend on the suite, so a downgrade can be made consistent */
	uint8_t payload[20], obj[CAP], out[64];
	size_t n = sealed(K_RSA, OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload), payload, obj);
	obj[6] = OM_PROTECT_AES128CBC_HMACSHA1;
	struct om_protect_header h;
	CHECK_INT(om_protect_inspect(obj, n - 12, &h), 0);
	CHECK_INT(om_protect_open(keys[K_RSA], OM_PROTECT_TAG_MCIM, obj, n - 12, out, sizeof(out)),
		  OM_EPROTECT_UNWRAP);
	CHECK(all_zero(out, sizeof(out)));
}

/* Seal hand-made data (correctly MACed) through the test hook and open it. */
static int open_crafted(int k, const uint8_t *data, size_t data_len, uint8_t *out, size_t cap)
{
	struct om_protect_keys pk;
	uint8_t obj[CAP];
	CHECK_INT(om_protect_keys_generate(&pk, OM_PROTECT_AES256CBC_HMACSHA256), 0);
	struct omp_seal_hooks hooks = { .data = data, .data_len = data_len };
	int n = omp_seal(keys[k], &pk, 0, NULL, 0, &hooks, obj, sizeof(obj));
	om_protect_keys_clear(&pk);
	CHECK(n > 0);
	memset(out, 0xa5, cap);
	int r = om_protect_open(keys[k], OM_PROTECT_TAG_MCIM, obj, n > 0 ? (size_t)n : 0, out, cap);
	CHECK_MSG(all_zero(out, cap) || r >= 0, "output not zeroed after %s", om_errname(r));
	return r;
}

/* data = tag | payload_length | payload | version | padding, built by hand. */
static size_t craft(uint8_t *d, uint8_t tag, size_t len_field, size_t payload_len, uint8_t version,
		    size_t pad)
{
	d[0] = tag;
	d[1] = (uint8_t)(len_field >> 8);
	d[2] = (uint8_t)len_field;
	memset(d + 3, 0x33, payload_len);
	d[3 + payload_len] = version;
	memset(d + 4 + payload_len, (int)pad, pad);
	return 4 + payload_len + pad;
}

static void refuses_wrong_version_tag_padding_and_length(void)
{
	uint8_t d[64], out[64];
	for (int k = 0; k < NKEYS; k++) {
		/* the control: a hand-made block that is right opens */
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_MCIM, 10, 10, 1, 2), out, sizeof(out)), 10);
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_MCIM, 10, 10, 2, 2), out, sizeof(out)),
			  OM_EPROTECT_VERSION);
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_MCIM, 10, 10, 0, 2), out, sizeof(out)),
			  OM_EPROTECT_VERSION);
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_UPDATE, 10, 10, 1, 2), out, sizeof(out)),
			  OM_EPROTECT_TAG);
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_MCIM, 11, 10, 1, 2), out, sizeof(out)),
			  OM_EPROTECT_PAYLOAD_LEN);
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_MCIM, 9, 10, 1, 2), out, sizeof(out)),
			  OM_EPROTECT_PAYLOAD_LEN);
		CHECK_INT(open_crafted(k, d, craft(d, OM_PROTECT_TAG_MCIM, 0xffff, 10, 1, 2), out, sizeof(out)),
			  OM_EPROTECT_PAYLOAD_LEN);
		/* padding: a zero count, a count over a block, and one byte that disagrees */
		size_t n = craft(d, OM_PROTECT_TAG_MCIM, 10, 10, 1, 2);
		d[n - 1] = 0;
		CHECK_INT(open_crafted(k, d, n, out, sizeof(out)), OM_EPROTECT_PADDING);
		n = craft(d, OM_PROTECT_TAG_MCIM, 11, 11, 1, 17);
		CHECK_INT(n % 16, 0);
		CHECK_INT(open_crafted(k, d, n, out, sizeof(out)), OM_EPROTECT_PADDING);
		n = craft(d, OM_PROTECT_TAG_MCIM, 4, 4, 1, 8);
		d[n - 5] = 7;
		CHECK_INT(open_crafted(k, d, n, out, sizeof(out)), OM_EPROTECT_PADDING);
		/* a count that reaches into the tag and length bytes */
		memset(d, 16, 16);
		CHECK_INT(open_crafted(k, d, 16, out, sizeof(out)), OM_EPROTECT_PADDING);
	}
}

static void refuses_an_unexpected_tag(void)
{
	uint8_t payload[20], obj[CAP], out[64];
	size_t n = sealed(K_X25519, OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload), payload, obj);
	memset(out, 0xa5, sizeof(out));
	CHECK_INT(om_protect_open(keys[K_X25519], OM_PROTECT_TAG_DM_CREDENTIALS, obj, n, out, sizeof(out)),
		  OM_EPROTECT_TAG);
	CHECK(all_zero(out, sizeof(out)));
}

/* Bad padding behind a bad MAC is a MAC error: nothing was decrypted to look at. */
static void checks_the_mac_before_the_padding(void)
{
	uint8_t d[32], obj[CAP], out[64];
	struct om_protect_keys pk;
	size_t dn = craft(d, OM_PROTECT_TAG_MCIM, 10, 10, 1, 2);
	d[dn - 1] = 0;
	CHECK_INT(om_protect_keys_generate(&pk, OM_PROTECT_AES256CBC_HMACSHA256), 0);
	struct omp_seal_hooks hooks = { .data = d, .data_len = dn };
	int n = omp_seal(keys[K_P256], &pk, 0, NULL, 0, &hooks, obj, sizeof(obj));
	om_protect_keys_clear(&pk);
	CHECK(n > 0);
	obj[n - 1] ^= 1;
	CHECK_INT(om_protect_open(keys[K_P256], OM_PROTECT_TAG_MCIM, obj, (size_t)n, out, sizeof(out)),
		  OM_EPROTECT_MAC);
	obj[n - 1] ^= 1;
	CHECK_INT(om_protect_open(keys[K_P256], OM_PROTECT_TAG_MCIM, obj, (size_t)n, out, sizeof(out)),
		  OM_EPROTECT_PADDING);
}

static void split_api_opens_under_fixed_keys(void)
{
	for (size_t s = 0; s < NSUITES; s++) {
		uint8_t pik[32], pck[32], payload[50], pd[256], out[64];
		struct om_protect_keys k, wrong;
		size_t pik_len = om_protect_pik_len(suites[s]), pck_len = om_protect_pck_len(suites[s]);
		check_random(pik, sizeof(pik));
		check_random(pck, sizeof(pck));
		check_random(payload, sizeof(payload));
		CHECK_INT(om_protect_keys_set(&k, suites[s], pik, pik_len, pck, pck_len), 0);
		int n = om_protect_data_seal(&k, OM_PROTECT_TAG_DM_CREDENTIALS, payload, sizeof(payload), pd,
					     sizeof(pd));
		CHECK_INT(n, om_protect_data_len(suites[s], sizeof(payload)));
		CHECK_INT(om_protect_data_open(&k, OM_PROTECT_TAG_DM_CREDENTIALS, pd, (size_t)n, out,
					       sizeof(out)),
			  sizeof(payload));
		CHECK_MEM(out, payload, sizeof(payload));

		/* a PIK one bit off fails the MAC; a PCK one bit off gets past it but not the checks */
		pik[0] ^= 1;
		CHECK_INT(om_protect_keys_set(&wrong, suites[s], pik, pik_len, pck, pck_len), 0);
		memset(out, 0xa5, sizeof(out));
		CHECK_INT(om_protect_data_open(&wrong, OM_PROTECT_TAG_DM_CREDENTIALS, pd, (size_t)n, out,
					       sizeof(out)),
			  OM_EPROTECT_MAC);
		CHECK(all_zero(out, sizeof(out)));
		pik[0] ^= 1;
		pck[0] ^= 1;
		CHECK_INT(om_protect_keys_set(&wrong, suites[s], pik, pik_len, pck, pck_len), 0);
		memset(out, 0xa5, sizeof(out));
		CHECK(om_protect_data_open(&wrong, OM_PROTECT_TAG_DM_CREDENTIALS, pd, (size_t)n, out,
					   sizeof(out)) < 0);
		CHECK(all_zero(out, sizeof(out)));

		/* lengths that are not IV | whole blocks | MAC */
		CHECK_INT(om_protect_data_open(&k, OM_PROTECT_TAG_DM_CREDENTIALS, pd, (size_t)n - 1, out,
					       sizeof(out)),
			  OM_EPROTECT_TRUNCATED);
		CHECK_INT(om_protect_data_open(&k, OM_PROTECT_TAG_DM_CREDENTIALS, pd,
					       16 + om_protect_mac_len(suites[s]), out, sizeof(out)),
			  OM_EPROTECT_TRUNCATED);
		/* too small an output buffer: nothing partial */
		memset(out, 0xa5, sizeof(out));
		CHECK_INT(om_protect_data_open(&k, OM_PROTECT_TAG_DM_CREDENTIALS, pd, (size_t)n, out, 49),
			  OM_ENOSPC);
		CHECK(all_zero(out, 49));
		om_protect_keys_clear(&k);
		om_protect_keys_clear(&wrong);
	}
}

static void refuses_bad_arguments_and_keys(void)
{
	uint8_t payload[8] = { 0 }, obj[CAP];
	struct om_protect_keys k;
	int need = om_protect_sealed_len(keys[K_P256], OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload));
	CHECK(need > 0);
	memset(obj, 0xa5, sizeof(obj));
	CHECK_INT(om_protect_seal(keys[K_P256], OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_MCIM, payload,
				  sizeof(payload), obj, (size_t)need - 1),
		  OM_ENOSPC);
	CHECK(all_zero(obj, (size_t)need - 1));
	CHECK_INT(om_protect_seal(keys[K_P256], 0x7f, OM_PROTECT_TAG_MCIM, payload, sizeof(payload), obj, CAP),
		  OM_EPROTECT_SUITE);
	CHECK_INT(om_protect_seal(keys[K_P256], OM_PROTECT_AES256CBC_HMACSHA256, 0, payload, sizeof(payload),
				  obj, CAP),
		  OM_EINVAL);
	CHECK_INT(om_protect_keys_generate(&k, 0), OM_EPROTECT_SUITE);
	CHECK_INT(om_protect_keys_set(&k, OM_PROTECT_AES128CBC_HMACSHA1, payload, 16, payload, 16), OM_ELENGTH);
	CHECK_INT(om_protect_sealed_len(keys[K_P256], OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_PAYLOAD_MAX + 1),
		  OM_ELENGTH);

	/* keys we do not wrap to: RSA under 2048 bits, other curves */
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	CHECK(small && p384);
	CHECK_INT(om_protect_seal(small, OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_MCIM, payload,
				  sizeof(payload), obj, CAP),
		  OM_EUNSUPPORTED);
	CHECK_INT(om_protect_seal(p384, OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_MCIM, payload,
				  sizeof(payload), obj, CAP),
		  OM_EUNSUPPORTED);
	CHECK(all_zero(obj, CAP));
	EVP_PKEY_free(small);
	EVP_PKEY_free(p384);

	/* the largest payload round-trips; the output must be big enough for it */
	size_t big = OM_PROTECT_PAYLOAD_MAX;
	uint8_t *p = calloc(1, big), *o = malloc(big + 1024), *back = malloc(big);
	CHECK(p && o && back);
	int n = om_protect_seal(keys[K_X25519], OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_UPDATE, p, big,
				o, big + 1024);
	CHECK(n > 0);
	CHECK_INT(om_protect_open(keys[K_X25519], OM_PROTECT_TAG_UPDATE, o, (size_t)n, back, big), (int)big);
	memset(back, 0xa5, big);
	CHECK_INT(om_protect_open(keys[K_X25519], OM_PROTECT_TAG_UPDATE, o, (size_t)n, back, big - 1), OM_ENOSPC);
	CHECK(all_zero(back, big - 1));
	free(p);
	free(o);
	free(back);
}

static void refuses_short_or_foreign_headers(void)
{
	uint8_t payload[4], obj[CAP];
	struct om_protect_header h;
	size_t n = sealed(K_X25519, OM_PROTECT_AES256CBC_HMACSHA256, sizeof(payload), payload, obj);
	memset(&h, 0xa5, sizeof(h));
	obj[4] = 2; /* a format version we do not speak */
	CHECK_INT(om_protect_inspect(obj, n, &h), OM_EPROTECT_HEADER);
	CHECK(all_zero((const uint8_t *)&h, sizeof(h)));
	obj[4] = 1;
	omp_put32(obj + 9, 0); /* no ciphertext at all */
	CHECK_INT(om_protect_inspect(obj, n, &h), OM_EPROTECT_HEADER);
	omp_put32(obj + 9, 0x7ffffff0); /* more than any payload can need */
	CHECK_INT(om_protect_inspect(obj, n, &h), OM_EPROTECT_HEADER);
	CHECK_INT(om_protect_inspect(obj, 3, &h), OM_EPROTECT_TRUNCATED);
}

int main(void)
{
	for (int k = 0; k < NKEYS; k++) {
		keys[k] = keygen(k);
		other[k] = keygen(k);
	}
	round_trips_every_wrap_and_suite();
	refuses_a_flipped_bit_anywhere();
	refuses_truncation_at_every_length();
	refuses_trailing_bytes();
	refuses_the_wrong_private_key();
	refuses_a_consistent_header_change_at_unwrap();
	refuses_wrong_version_tag_padding_and_length();
	refuses_an_unexpected_tag();
	checks_the_mac_before_the_padding();
	split_api_opens_under_fixed_keys();
	refuses_bad_arguments_and_keys();
	refuses_short_or_foreign_headers();
	for (int k = 0; k < NKEYS; k++) {
		EVP_PKEY_free(keys[k]);
		EVP_PKEY_free(other[k]);
	}
	return check_done();
}
