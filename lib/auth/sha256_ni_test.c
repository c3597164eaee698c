/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interleaved SHA-NI compression against OpenSSL's SHA-256, and the KASME
 * batch against OpenSSL's HMAC() and the published TS 33.401 A.2 vectors, on
 * the SHA-NI engine and on the OpenSSL fallback; a batch of every size 1..17
 * against one-by-one, for KASMEs and for E-UTRAN vectors.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <openmcim/vector.h>

#include "auth/sha256_ni.h"
#include "check.h"
#include "vectors.h"

static struct om_vector_gen gen;

static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

static unsigned rnd(unsigned below)
{
	uint8_t b[4];
	check_random(b, sizeof(b));
	return (unsigned)(((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]) % below);
}

static void kasme_s(uint8_t s[14], const uint8_t snid[3], const uint8_t sqn_ak[6])
{
	struct om_kdf_param p[2] = { { snid, 3 }, { sqn_ak, 6 } };
	CHECK_INT(om_kdf_input(s, 14, OM_KDF_FC_KASME, p, 2), 14);
}

#define MAX_LANES 9
#define MAX_BLOCKS 3

/* Random messages in up to 9 lanes, padded by hand, hashed block by block
 * with every lane in one call, against EVP_Digest. */
static void compression_matches_openssl_sha256(void)
{
	if (!om_sha256_ni_enabled()) {
		printf("no SHA-NI on this CPU (or OM_NO_SHANI=1): compression not tested\n");
		return;
	}
	int bad = 0;
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 1 + rnd(MAX_LANES), nb = 1 + rnd(MAX_BLOCKS);
		uint8_t msg[MAX_LANES][64 * MAX_BLOCKS];
		uint32_t st[MAX_LANES][8], blk[MAX_BLOCKS][MAX_LANES][16];
		size_t len[MAX_LANES];
		for (size_t l = 0; l < n; l++) {
			/* from 64 (nb - 1) to 64 nb - 9 bytes: padding ends in block nb */
			len[l] = 64 * nb - 9 - rnd(56);
			memset(msg[l], 0, sizeof(msg[l]));
			check_random(msg[l], len[l]);
			msg[l][len[l]] = 0x80;
			uint64_t bits = (uint64_t)len[l] * 8;
			for (int i = 0; i < 8; i++)
				msg[l][64 * nb - 1 - i] = (uint8_t)(bits >> (8 * i));
			for (size_t b = 0; b < nb; b++)
				for (int i = 0; i < 16; i++) {
					const uint8_t *p = msg[l] + 64 * b + 4 * i;
					blk[b][l][i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
						       (uint32_t)p[2] << 8 | p[3];
				}
			memcpy(st[l], iv, sizeof(iv));
		}
		for (size_t b = 0; b < nb; b++)
			om_sha256_ni_compress(st, (const uint32_t(*)[16])blk[b], n);
		for (size_t l = 0; l < n; l++) {
			uint8_t want[32], got[32];
			CHECK(EVP_Digest(msg[l], len[l], want, NULL, EVP_sha256(), NULL) == 1);
			for (int i = 0; i < 8; i++)
				for (int j = 0; j < 4; j++)
					got[4 * i + j] = (uint8_t)(st[l][i] >> (24 - 8 * j));
			bad += memcmp(got, want, 32) != 0;
		}
	}
	CHECK_INT(bad, 0);
}

#define MAX_BATCH 17

struct kasme_case {
	uint8_t ck[16], ik[16], snid[3], sqn_ak[6], kasme[32];
};

static void random_cases(struct kasme_case *c, struct om_kasme_req *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		check_random(c[i].ck, 16);
		check_random(c[i].ik, 16);
		check_random(c[i].snid, 3);
		check_random(c[i].sqn_ak, 6);
		memset(c[i].kasme, 0xa5, 32);
		r[i] = (struct om_kasme_req){ c[i].ck, c[i].ik, c[i].snid, c[i].sqn_ak, c[i].kasme };
	}
}

static void kasme_batch_agrees_with_openssl_hmac(void)
{
	int bad = 0;
	for (int iter = 0; iter < 1000; iter++) {
		struct kasme_case c[MAX_BATCH];
		struct om_kasme_req r[MAX_BATCH];
		size_t n = 1 + rnd(MAX_BATCH);
		random_cases(c, r, n);
		CHECK_INT(om_kdf_kasme_batch(&gen.kdf, r, n), 0);
		for (size_t i = 0; i < n; i++) {
			uint8_t key[32], s[14], want[32];
			unsigned wl = 0;
			memcpy(key, c[i].ck, 16);
			memcpy(key + 16, c[i].ik, 16);
			kasme_s(s, c[i].snid, c[i].sqn_ak);
			CHECK(HMAC(EVP_sha256(), key, 32, s, 14, want, &wl) != NULL && wl == 32);
			bad += memcmp(want, c[i].kasme, 32) != 0;
		}
	}
	CHECK_INT(bad, 0);
}

/* The three published cases at every position of batches of 1..17. */
static void kasme_batch_matches_published(void)
{
	const cJSON *list = vectors_list("kasme_TS33401_A2", "vectors");
	int nv = cJSON_GetArraySize(list);
	CHECK(nv >= 3);
	if (nv < 1)
		return;
	for (size_t n = 1; n <= MAX_BATCH; n++) {
		struct kasme_case c[MAX_BATCH];
		struct om_kasme_req r[MAX_BATCH];
		for (size_t i = 0; i < n; i++) {
			const cJSON *v = cJSON_GetArrayItem(list, (int)((i + n) % (size_t)nv));
			uint8_t sqn[6], ak[6];
			vectors_hex(v, "CK", c[i].ck, 16);
			vectors_hex(v, "IK", c[i].ik, 16);
			vectors_hex(v, "SN_id", c[i].snid, 3);
			vectors_hex(v, "SQN", sqn, 6);
			vectors_hex(v, "AK", ak, 6);
			for (int k = 0; k < 6; k++)
				c[i].sqn_ak[k] = sqn[k] ^ ak[k];
			r[i] = (struct om_kasme_req){ c[i].ck, c[i].ik, c[i].snid, c[i].sqn_ak, c[i].kasme };
		}
		CHECK_INT(om_kdf_kasme_batch(&gen.kdf, r, n), 0);
		for (size_t i = 0; i < n; i++) {
			const cJSON *v = cJSON_GetArrayItem(list, (int)((i + n) % (size_t)nv));
			CHECK_HEX(c[i].kasme, 32, vectors_str(v, "KASME"));
			uint8_t one[32];
			CHECK_INT(om_kdf_kasme(&gen.kdf, one, c[i].ck, c[i].ik, c[i].snid, c[i].sqn_ak), 0);
			CHECK_HEX(one, 32, vectors_str(v, "KASME"));
		}
	}
}

static void kasme_batch_equals_one_by_one_every_size(void)
{
	for (size_t n = 1; n <= MAX_BATCH; n++) {
		struct kasme_case c[MAX_BATCH];
		struct om_kasme_req r[MAX_BATCH];
		random_cases(c, r, n);
		CHECK_INT(om_kdf_kasme_batch(&gen.kdf, r, n), 0);
		int same = 0;
		for (size_t i = 0; i < n; i++) {
			uint8_t one[32];
			CHECK_INT(om_kdf_kasme(&gen.kdf, one, c[i].ck, c[i].ik, c[i].snid, c[i].sqn_ak), 0);
			same += memcmp(one, c[i].kasme, 32) == 0;
		}
		CHECK_MSG(same == (int)n, "batch of %zu", n);
	}
}

static void vector_batch_equals_one_by_one_every_size(void)
{
	static struct om_milenage subs[5];
	for (size_t i = 0; i < 5; i++) {
		uint8_t k[16], opc[16];
		check_random(k, 16);
		check_random(opc, 16);
		CHECK_INT(om_milenage_init(&subs[i], k, opc), 0);
	}
	for (size_t n = 1; n <= MAX_BATCH; n++) {
		struct om_vector_req req[MAX_BATCH];
		struct om_eutran_vector out[MAX_BATCH];
		for (size_t i = 0; i < n; i++) {
			req[i].m = &subs[i % 5];
			req[i].sqn = 32 * i + n;
			req[i].amf[0] = OM_AMF_SEPARATION;
			req[i].amf[1] = (uint8_t)i;
			CHECK_INT(om_plmn_encode(req[i].snid, "208", i % 2 ? "93" : "001"), 0);
		}
		CHECK_INT(om_vector_eutran_batch(&gen, req, n, out), (int)n);
		int same = 0;
		for (size_t i = 0; i < n; i++) {
			struct om_eutran_vector one;
			CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, req[i].m, out[i].rand, req[i].sqn,
							     req[i].amf, req[i].snid, &one),
				  0);
			same += memcmp(&one, &out[i], sizeof(one)) == 0;
		}
		CHECK_MSG(same == (int)n, "batch of %zu", n);
	}
	for (size_t i = 0; i < 5; i++)
		om_milenage_clear(&subs[i]);
}

static void kasme_batch_refuses_null_and_writes_nothing(void)
{
	struct kasme_case c[5], before[5];
	struct om_kasme_req r[5];
	struct om_kdf unset = { 0 };
	random_cases(c, r, 5);
	memcpy(before, c, sizeof(c));
	CHECK_INT(om_kdf_kasme_batch(NULL, r, 5), OM_EINVAL);
	CHECK_INT(om_kdf_kasme_batch(&unset, r, 5), OM_EINVAL);
	CHECK_INT(om_kdf_kasme_batch(&gen.kdf, NULL, 5), OM_EINVAL);
	r[4].sqn_xor_ak = NULL;
	CHECK_INT(om_kdf_kasme_batch(&gen.kdf, r, 5), OM_EINVAL);
	r[4].sqn_xor_ak = c[4].sqn_ak;
	r[2].kasme = NULL;
	CHECK_INT(om_kdf_kasme_batch(&gen.kdf, r, 5), OM_EINVAL);
	CHECK_MEM(c, before, sizeof(c));
	CHECK_INT(om_kdf_kasme_batch(&gen.kdf, r, 0), 0);
}

static void no_shani_in_environment_forces_fallback(void)
{
	const char *was = getenv("OM_NO_SHANI");
	char saved[8] = "";
	if (was)
		snprintf(saved, sizeof(saved), "%s", was);
	CHECK(setenv("OM_NO_SHANI", "1", 1) == 0);
	om_sha256_ni_force_fallback(0); /* decide again */
	CHECK_INT(om_sha256_ni_enabled(), 0);
	if (was)
		CHECK(setenv("OM_NO_SHANI", saved, 1) == 0);
	else
		CHECK(unsetenv("OM_NO_SHANI") == 0);
	om_sha256_ni_force_fallback(0);
}

int main(void)
{
	if (om_vector_gen_init(&gen) != 0) {
		fprintf(stderr, "om_vector_gen_init failed\n");
		return 1;
	}
	int have = om_sha256_ni_enabled();
	printf("SHA-NI engine: %s\n", have ? "yes" : "no (only the fallback is tested)");
	compression_matches_openssl_sha256();
	for (int fallback = 0; fallback < 2; fallback++) {
		om_sha256_ni_force_fallback(fallback);
		kasme_batch_agrees_with_openssl_hmac();
		kasme_batch_matches_published();
		kasme_batch_equals_one_by_one_every_size();
		vector_batch_equals_one_by_one_every_size();
		kasme_batch_refuses_null_and_writes_nothing();
	}
	no_shani_in_environment_forces_fallback();
	CHECK_INT(om_sha256_ni_enabled(), have);
	om_vector_gen_clear(&gen);
	return check_done();
}
