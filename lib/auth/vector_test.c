/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network-side vectors and resynchronisation: AUTN layout and KASME against
 * published data, the AMF separation bit, the batch call, RAND freshness,
 * and AUTS refusals. The conformance cases run on both MILENAGE engines.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <openmcim/sqn.h>
#include <openmcim/vector.h>

#include "check.h"
#include "milenage_impl.h"
#include "vectors.h"

static struct om_vector_gen gen;

static void subscriber(struct om_milenage *m, const cJSON *v)
{
	uint8_t k[16], opc[16];
	vectors_hex(v, "K", k, 16);
	vectors_hex(v, "OPc", opc, 16);
	if (om_milenage_init(m, k, opc) != 0) {
		fprintf(stderr, "om_milenage_init failed\n");
		exit(1);
	}
}

static uint64_t sqn_of(const cJSON *v, const char *field)
{
	uint8_t b[6];
	vectors_hex(v, field, b, 6);
	return om_sqn_from_bytes(b);
}

/* AUTN = (SQN xor AK) || AMF || MAC-A and XRES = f2 for every TS 35.208 set;
 * E-UTRAN where the set's AMF has the separation bit, UTRAN where not. */
static void autn_and_xres_match_ts35208(void)
{
	const cJSON *v;
	int eutran = 0, utran = 0;
	cJSON_ArrayForEach(v, vectors_list("milenage_TS35207", "test_sets"))
	{
		struct om_milenage m;
		uint8_t rand[16], amf[2];
		subscriber(&m, v);
		vectors_hex(v, "RAND", rand, 16);
		vectors_hex(v, "AMF", amf, 2);
		uint64_t sqn = sqn_of(v, "SQN");
		if (amf[0] & OM_AMF_SEPARATION) {
			struct om_eutran_vector e;
			const uint8_t snid[3] = { 0x02, 0xf8, 0x43 };
			CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, &m, rand, sqn, amf, snid, &e), 0);
			CHECK_HEX(e.autn, 16, vectors_str(v, "AUTN_with_AK"));
			CHECK_HEX(e.xres, 8, vectors_str(v, "f2_RES"));
			CHECK_MEM(e.rand, rand, 16);
			eutran++;
		} else {
			struct om_utran_vector u;
			CHECK_INT(om_vector_utran_with_rand(&m, rand, sqn, amf, &u), 0);
			CHECK_HEX(u.autn, 16, vectors_str(v, "AUTN_with_AK"));
			CHECK_HEX(u.xres, 8, vectors_str(v, "f2_RES"));
			CHECK_HEX(u.ck, 16, vectors_str(v, "f3_CK"));
			CHECK_HEX(u.ik, 16, vectors_str(v, "f4_IK"));
			CHECK_MEM(u.rand, rand, 16);
			utran++;
		}
		om_milenage_clear(&m);
	}
	CHECK(eutran > 0 && utran > 0);
}

/*
 * The KASME vectors use CK, IK and AK of TS 35.208 set 1 (which depend on K,
 * OPc and RAND only) with the SQN of set 2, so a full vector on set 1's
 * subscriber and RAND with that SQN must carry the published KASME.
 */
static void kasme_in_vector_matches_published(void)
{
	const cJSON *set1 = cJSON_GetArrayItem(vectors_list("milenage_TS35207", "test_sets"), 0);
	const cJSON *v;
	struct om_milenage m;
	uint8_t rand[16], amf[2], ck[16], ik[16];
	subscriber(&m, set1);
	vectors_hex(set1, "RAND", rand, 16);
	vectors_hex(set1, "AMF", amf, 2);
	vectors_hex(set1, "f3_CK", ck, 16);
	vectors_hex(set1, "f4_IK", ik, 16);
	cJSON_ArrayForEach(v, vectors_list("kasme_TS33401_A2", "vectors"))
	{
		uint8_t vck[16], vik[16], snid[3];
		struct om_eutran_vector e;
		vectors_hex(v, "CK", vck, 16);
		vectors_hex(v, "IK", vik, 16);
		CHECK_MEM(vck, ck, 16); /* the premise above */
		CHECK_MEM(vik, ik, 16);
		vectors_hex(v, "SN_id", snid, 3);
		CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, &m, rand, sqn_of(v, "SQN"), amf, snid, &e), 0);
		CHECK_HEX(e.autn, 6, vectors_str(v, "SQN_xor_AK"));
		CHECK_HEX(e.kasme, 32, vectors_str(v, "KASME"));
	}
	om_milenage_clear(&m);
}

static void random_subscriber(struct om_milenage *m)
{
	uint8_t k[16], opc[16];
	check_random(k, 16);
	check_random(opc, 16);
	if (om_milenage_init(m, k, opc) != 0)
		exit(1);
}

static void refuses_wrong_separation_bit_and_changes_nothing(void)
{
	struct om_milenage m;
	struct om_eutran_vector e, e0;
	struct om_utran_vector u, u0;
	uint8_t rand[16] = { 1 }, snid[3] = { 0x02, 0xf8, 0x43 };
	const uint8_t amf_clear[2] = { 0x7f, 0xff }, amf_set[2] = { 0x80, 0x00 };
	random_subscriber(&m);
	memset(&e, 0x5a, sizeof(e));
	memcpy(&e0, &e, sizeof(e));
	memset(&u, 0x5a, sizeof(u));
	memcpy(&u0, &u, sizeof(u));

	CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, &m, rand, 1, amf_clear, snid, &e), OM_EAUTH_AMF);
	CHECK_INT(om_vector_eutran(&gen, &m, 1, amf_clear, snid, &e), OM_EAUTH_AMF);
	CHECK_MEM(&e, &e0, sizeof(e));
	CHECK_INT(om_vector_utran_with_rand(&m, rand, 1, amf_set, &u), OM_EAUTH_AMF_UTRAN);
	CHECK_INT(om_vector_utran(&gen, &m, 1, amf_set, &u), OM_EAUTH_AMF_UTRAN);
	CHECK_MEM(&u, &u0, sizeof(u));

	/* the helpers give an AMF each kind of vector accepts, other bits kept */
	uint8_t a[2];
	om_amf_for_eutran(a, amf_clear);
	CHECK(a[0] == 0xff && a[1] == 0xff);
	CHECK_INT(om_vector_eutran(&gen, &m, 1, a, snid, &e), 0);
	CHECK(e.autn[6] & 0x80);
	CHECK(e.autn[6] == a[0] && e.autn[7] == a[1]);
	om_amf_for_utran(a, amf_set);
	CHECK(a[0] == 0x00 && a[1] == 0x00);
	CHECK_INT(om_vector_utran(&gen, &m, 1, a, &u), 0);
	CHECK(!(u.autn[6] & 0x80));
	om_milenage_clear(&m);
}

static void refuses_sqn_beyond_48_bits(void)
{
	struct om_milenage m;
	struct om_eutran_vector e, e0;
	uint8_t rand[16] = { 2 }, snid[3] = { 0x02, 0xf8, 0x43 }, amf[2] = { 0x80, 0 };
	random_subscriber(&m);
	memset(&e, 0x5a, sizeof(e));
	memcpy(&e0, &e, sizeof(e));
	CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, &m, rand, OM_SQN_MAX + 1, amf, snid, &e),
		  OM_EAUTH_SQN_RANGE);
	CHECK_MEM(&e, &e0, sizeof(e));
	CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, &m, rand, OM_SQN_MAX, amf, snid, &e), 0);
	const uint8_t ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t sqn[6];
	for (int i = 0; i < 6; i++)
		sqn[i] = e.autn[i]; /* SQN xor AK; AK from the same subscriber and RAND: */
	struct om_milenage_out o;
	CHECK_INT(om_milenage_f1_f5(&m, rand, ones, amf, &o), 0);
	for (int i = 0; i < 6; i++)
		sqn[i] ^= o.ak[i];
	CHECK_MEM(sqn, ones, 6);
	om_milenage_clear(&m);
}

#define NSUB 64
#define NBATCH 1000

static void batch_equals_one_by_one_and_rands_differ(void)
{
	static struct om_milenage subs[NSUB];
	static struct om_vector_req req[NBATCH];
	static struct om_eutran_vector out[NBATCH];
	for (int i = 0; i < NSUB; i++)
		random_subscriber(&subs[i]);
	for (int i = 0; i < NBATCH; i++) {
		uint8_t r[8];
		check_random(r, sizeof(r));
		req[i].m = &subs[i % NSUB];
		req[i].sqn = ((uint64_t)r[0] << 40 | (uint64_t)r[1] << 32 | (uint64_t)r[2] << 24 |
			      (uint64_t)r[3] << 16 | (uint64_t)r[4] << 8 | r[5]);
		req[i].amf[0] = r[6] | OM_AMF_SEPARATION;
		req[i].amf[1] = r[7];
		CHECK_INT(om_plmn_encode(req[i].snid, i % 2 ? "208" : "001", i % 3 ? "93" : "001"), 0);
	}
	CHECK_INT(om_vector_eutran_batch(&gen, req, NBATCH, out), NBATCH);

	int same = 0;
	for (int i = 0; i < NBATCH; i++) {
		struct om_eutran_vector one;
		CHECK_INT(om_vector_eutran_with_rand(&gen.kdf, req[i].m, out[i].rand, req[i].sqn, req[i].amf,
						     req[i].snid, &one),
			  0);
		same += memcmp(&one, &out[i], sizeof(one)) == 0;
	}
	CHECK_INT(same, NBATCH);

	int dup = 0;
	for (int i = 0; i < NBATCH; i++)
		for (int j = i + 1; j < NBATCH; j++)
			dup += memcmp(out[i].rand, out[j].rand, 16) == 0;
	CHECK_INT(dup, 0);

	/* one bad request refuses the whole batch and writes nothing */
	static struct om_eutran_vector before[NBATCH];
	memcpy(before, out, sizeof(out));
	req[NBATCH / 2].amf[0] &= 0x7f;
	CHECK_INT(om_vector_eutran_batch(&gen, req, NBATCH, out), OM_EAUTH_AMF);
	req[NBATCH / 2].amf[0] |= 0x80;
	req[NBATCH - 1].sqn = OM_SQN_MAX + 1;
	CHECK_INT(om_vector_eutran_batch(&gen, req, NBATCH, out), OM_EAUTH_SQN_RANGE);
	req[NBATCH - 1].sqn = 0;
	req[0].m = NULL;
	CHECK_INT(om_vector_eutran_batch(&gen, req, NBATCH, out), OM_EINVAL);
	CHECK_MEM(before, out, sizeof(out));
	CHECK_INT(om_vector_eutran_batch(&gen, req, 0, out), 0);

	for (int i = 0; i < NSUB; i++)
		om_milenage_clear(&subs[i]);
}

static void resync_recovers_published_sqn_ms(void)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vectors_list("milenage_auts_resync_examples", "vectors"))
	{
		struct om_milenage m;
		uint8_t rand[16], auts[14];
		uint64_t ms = 0, next = 0;
		subscriber(&m, v);
		vectors_hex(v, "RAND", rand, 16);
		vectors_hex(v, "AUTS", auts, 14);
		uint64_t want = sqn_of(v, "expected_SQN_MS");
		CHECK_INT(om_vector_resync(&m, rand, auts, &ms), 0);
		CHECK_INT(ms, want);
		/* a fresh HE (SQN 0) is not ahead of SQN_MS: next SQN = (SEQ_MS + 1) || IND (6.3.5, C.3.2) */
		for (unsigned bits = 0; bits <= 5; bits += 5) {
			unsigned ind = bits ? 3 : 0;
			uint64_t from = 0;
			CHECK_INT(om_sqn_he_resync(&from, 0, ms, bits, UINT64_C(1) << 28), (want >> bits) > 0);
			CHECK_INT(om_sqn_he_next(&next, from, ind, bits), 0);
			CHECK_INT(next, (((want >> bits) + 1) << bits) | ind);
		}
		om_milenage_clear(&m);
	}
}

/* AUTS made the way the USIM makes it (TS 33.102 6.3.3) for a random SQN_MS. */
static void make_auts(const struct om_milenage *m, const uint8_t rand[16], uint64_t sqn_ms, uint8_t auts[14])
{
	const uint8_t amf0[2] = { 0, 0 };
	uint8_t sqn[6], ak_s[6];
	om_sqn_to_bytes(sqn, sqn_ms);
	CHECK_INT(om_milenage_f1s_f5s(m, rand, sqn, amf0, auts + 6, ak_s), 0);
	for (int i = 0; i < 6; i++)
		auts[i] = sqn[i] ^ ak_s[i];
}

static void resync_refuses_every_flipped_bit(void)
{
	struct om_milenage m;
	uint8_t rand[16], auts[14], r[6];
	random_subscriber(&m);
	check_random(rand, 16);
	check_random(r, 6);
	uint64_t sqn_ms = om_sqn_from_bytes(r), got = 0;
	make_auts(&m, rand, sqn_ms, auts);
	CHECK_INT(om_vector_resync(&m, rand, auts, &got), 0);
	CHECK_INT(got, sqn_ms);

	int refused = 0, untouched = 0;
	for (int bit = 0; bit < 14 * 8; bit++) {
		uint64_t ms = 0x1234;
		auts[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		refused += om_vector_resync(&m, rand, auts, &ms) == OM_EAUTH_MACS;
		untouched += ms == 0x1234;
		auts[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_INT(refused, 14 * 8);
	CHECK_INT(untouched, 14 * 8);

	/* and an AUTS answered to another RAND */
	uint64_t ms = 0x1234;
	rand[0] ^= 1;
	CHECK_INT(om_vector_resync(&m, rand, auts, &ms), OM_EAUTH_MACS);
	CHECK_INT(ms, 0x1234);
	om_milenage_clear(&m);
}

/* An AUTS at the top of the SQN space leaves the HE nowhere to go: refused, never wrapped. */
static void resync_to_the_top_refuses_exhausted_sqn(void)
{
	struct om_milenage m;
	uint8_t rand[16], auts[14];
	uint64_t ms = 0, from = 0, next = 0x5678;
	random_subscriber(&m);
	check_random(rand, 16);
	make_auts(&m, rand, OM_SQN_MAX, auts);
	CHECK_INT(om_vector_resync(&m, rand, auts, &ms), 0);
	CHECK_INT(om_sqn_he_resync(&from, 0, ms, 5, UINT64_C(1) << 28), 1);
	CHECK_INT(om_sqn_he_next(&next, from, 0, 5), OM_EAUTH_SQN_RANGE);
	CHECK_INT(next, 0x5678);
	CHECK_INT(om_sqn_he_resync(&from, 0, ms, OM_IND_BITS_MAX + 1, UINT64_C(1) << 28), OM_EAUTH_INDBITS);
	om_milenage_clear(&m);
}

static void gen_clear_wipes_the_pool(void)
{
	struct om_vector_gen g;
	uint8_t zero[OM_RAND_POOL_BYTES] = { 0 }, r[16];
	CHECK_INT(om_vector_gen_init(&g), 0);
	CHECK_INT(om_rand_pool_get(&g.pool, r, sizeof(r)), 0);
	CHECK_MEM(g.pool.buf, zero, 16); /* consumed bytes are wiped at once */
	CHECK(memcmp(g.pool.buf + 16, zero, sizeof(zero) - 16) != 0);
	om_vector_gen_clear(&g);
	CHECK_MEM(g.pool.buf, zero, sizeof(zero));
	CHECK(g.kdf.ctx == NULL);
}

static void pool_hands_out_each_byte_once_across_refills(void)
{
	static struct om_rand_pool pool;
	static uint8_t a[4000], b[200], big[3 * OM_RAND_POOL_BYTES];
	uint8_t zero[200] = { 0 };
	om_rand_pool_init(&pool);
	CHECK_INT(om_rand_pool_get(&pool, a, sizeof(a)), 0);
	CHECK_INT(pool.pos, sizeof(a));
	CHECK_INT(om_rand_pool_get(&pool, b, sizeof(b)), 0); /* crosses a refill */
	CHECK_INT(pool.pos, sizeof(a) + sizeof(b) - OM_RAND_POOL_BYTES);
	CHECK_MEM(pool.buf, zero, pool.pos);
	CHECK(memcmp(a + sizeof(a) - 96, b, 96) != 0);
	CHECK_INT(om_rand_pool_get(&pool, big, sizeof(big)), 0); /* larger than the pool */
	CHECK(memcmp(big, big + OM_RAND_POOL_BYTES, OM_RAND_POOL_BYTES) != 0);
	CHECK(memcmp(big + OM_RAND_POOL_BYTES, big + 2 * OM_RAND_POOL_BYTES, OM_RAND_POOL_BYTES) != 0);
	CHECK_INT(om_rand_pool_get(&pool, NULL, 0), 0);
	om_rand_pool_clear(&pool);
}

int main(void)
{
	if (om_vector_gen_init(&gen) != 0) {
		fprintf(stderr, "om_vector_gen_init failed\n");
		return 1;
	}
	for (int fallback = 0; fallback < 2; fallback++) {
		om_milenage_force_fallback(fallback);
		autn_and_xres_match_ts35208();
		kasme_in_vector_matches_published();
		resync_recovers_published_sqn_ms();
	}
	om_milenage_force_fallback(0);
	refuses_wrong_separation_bit_and_changes_nothing();
	refuses_sqn_beyond_48_bits();
	batch_equals_one_by_one_and_rands_differ();
	resync_refuses_every_flipped_bit();
	resync_to_the_top_refuses_exhausted_sqn();
	gen_clear_wipes_the_pool();
	pool_hands_out_each_byte_once_across_refills();
	om_vector_gen_clear(&gen);
	return check_done();
}
