/* SPDX-License-Identifier: Apache-2.0 */
/*
 * USIM side of AKA: each rule of TS 33.102 Annex C.2 accepting and refusing,
 * MAC failure, AUTS, and the sealed-state codec. Every refusal also checks
 * that the state is byte-identical and that no RES/CK/IK came out.
 */
#include <stdlib.h>

#include <openmcim/sqn.h>
#include <openmcim/usim.h>
#include <openmcim/vector.h>

#include "check.h"
#include "vectors.h"

#define SQN(seq, ind, bits) (((uint64_t)(seq) << (bits)) | (uint64_t)(ind))

static const uint8_t amf_test[2] = { 0x00, 0x00 }; /* UTRAN: separation bit clear */

/* One subscriber with random K and OPc, and the USIM state under test. */
struct fixture {
	struct om_milenage m;
	struct om_usim_sqn s;
	uint8_t rand[OM_RAND_LEN];
};

static void setup(struct fixture *f, unsigned ind_bits, uint64_t delta, uint64_t age_limit)
{
	uint8_t k[16], opc[16];
	check_random(k, sizeof(k));
	check_random(opc, sizeof(opc));
	check_random(f->rand, sizeof(f->rand));
	if (om_milenage_init(&f->m, k, opc) != 0 || om_usim_sqn_init(&f->s, ind_bits, delta, age_limit) != 0) {
		fprintf(stderr, "fixture setup failed\n");
		exit(1);
	}
}

/* The network's half, from the network-side API: a UTRAN vector's AUTN. */
static void he_autn(const struct om_milenage *m, const uint8_t rand[16], uint64_t sqn,
		    uint8_t autn[OM_AUTN_LEN])
{
	struct om_utran_vector v;
	if (om_vector_utran_with_rand(m, rand, sqn, amf_test, &v) != 0)
		abort();
	memcpy(autn, v.autn, OM_AUTN_LEN);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* Present SQN to the USIM; returns om_usim_authenticate()'s result. */
static int present(struct fixture *f, uint64_t sqn, struct om_usim_out *out)
{
	uint8_t autn[16];
	he_autn(&f->m, f->rand, sqn, autn);
	return om_usim_authenticate(&f->m, &f->s, f->rand, autn, out);
}

/* Present SQN and expect acceptance. */
static void accepts(struct fixture *f, uint64_t sqn, int line)
{
	struct om_usim_out out;
	int r = present(f, sqn, &out);
	check_record(r == 0, __FILE__, line, "accepts", "SQN %llu: got %d", (unsigned long long)sqn, r);
	check_record(!all_zero(out.res, 8) && all_zero(out.auts, sizeof(out.auts)), __FILE__, line,
		     "RES out, no AUTS", NULL);
}

/* Present SQN and expect a sync failure that leaves the state as it was. */
static void refuses_sync(struct fixture *f, uint64_t sqn, int line)
{
	struct om_usim_sqn before;
	struct om_usim_out out;
	memcpy(&before, &f->s, sizeof(before));
	int r = present(f, sqn, &out);
	check_record(r == OM_EAUTH_SYNC, __FILE__, line, "refuses (sync)", "SQN %llu: got %d",
		     (unsigned long long)sqn, r);
	check_record(memcmp(&before, &f->s, sizeof(before)) == 0, __FILE__, line, "state unchanged", NULL);
	check_record(all_zero(out.res, 8) && all_zero(out.ck, 16) && all_zero(out.ik, 16), __FILE__, line,
		     "no RES/CK/IK on refusal", NULL);
}

#define ACCEPTS(f, sqn) accepts((f), (sqn), __LINE__)
#define REFUSES_SYNC(f, sqn) refuses_sync((f), (sqn), __LINE__)

static void accepts_conformance_autn(void)
{
	/* TS 35.208 sets: AUTN as published, RES/CK/IK must match the tables. */
	const cJSON *sets = vectors_list("milenage_TS35207", "test_sets"), *set;
	cJSON_ArrayForEach(set, sets)
	{
		uint8_t k[16], opc[16], rand[16], autn[16], sqn[6];
		struct om_milenage m;
		struct om_usim_sqn s;
		struct om_usim_out out;
		vectors_hex(set, "K", k, 16);
		vectors_hex(set, "OPc", opc, 16);
		vectors_hex(set, "RAND", rand, 16);
		vectors_hex(set, "AUTN_with_AK", autn, 16);
		vectors_hex(set, "SQN", sqn, 6);
		CHECK_INT(om_milenage_init(&m, k, opc), 0);
		/* the tables' SQNs are far from zero: open delta to the whole space */
		CHECK_INT(om_usim_sqn_init(&s, 5, (OM_SQN_MAX >> 5), 0), 0);
		CHECK_INT(om_usim_authenticate(&m, &s, rand, autn, &out), 0);
		CHECK_HEX(out.res, 8, vectors_str(set, "f2_RES"));
		CHECK_HEX(out.ck, 16, vectors_str(set, "f3_CK"));
		CHECK_HEX(out.ik, 16, vectors_str(set, "f4_IK"));
		uint64_t v = om_sqn_from_bytes(sqn);
		CHECK_INT(s.seq_ms[v & 31], v >> 5);
		CHECK_INT(om_usim_sqn_ms(&s), v);
		om_milenage_clear(&m);
	}
}

static void accepts_fresh_sqn_and_records_it(void)
{
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(1, 3, 5));
	CHECK_INT(f.s.seq_ms[3], 1);
	CHECK_INT(om_usim_sqn_ms(&f.s), SQN(1, 3, 5));
	ACCEPTS(&f, SQN(2, 3, 5));
	CHECK_INT(f.s.seq_ms[3], 2);
	om_milenage_clear(&f.m);
}

static void refuses_replayed_autn(void)
{
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(7, 4, 5));
	REFUSES_SYNC(&f, SQN(7, 4, 5));
	om_milenage_clear(&f.m);
}

static void refuses_seq_zero_on_a_fresh_usim(void)
{
	/* Annex C.2.2: every SEQ_MS(i) starts at zero and SEQ must exceed it. */
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	REFUSES_SYNC(&f, SQN(0, 0, 5));
	REFUSES_SYNC(&f, SQN(0, 31, 5));
	om_milenage_clear(&f.m);
}

static void refuses_lower_seq_in_the_same_slot(void)
{
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(5, 2, 5));
	REFUSES_SYNC(&f, SQN(4, 2, 5));
	REFUSES_SYNC(&f, SQN(1, 2, 5));
	om_milenage_clear(&f.m);
}

static void accepts_lower_seq_in_another_slot(void)
{
	/* Two serving networks hold vectors and use them out of order (C.2.2 note 1). */
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(5, 2, 5));
	ACCEPTS(&f, SQN(4, 3, 5));
	ACCEPTS(&f, SQN(3, 4, 5));
	CHECK_INT(f.s.seq_ms[2], 5);
	CHECK_INT(f.s.seq_ms[3], 4);
	CHECK_INT(om_usim_sqn_ms(&f.s), SQN(5, 2, 5));
	REFUSES_SYNC(&f, SQN(4, 3, 5));
	om_milenage_clear(&f.m);
}

static void refuses_a_jump_beyond_delta(void)
{
	/* C.2.1: SEQ - SEQ_MS <= delta, SEQ_MS the highest SEQ in any slot. */
	struct fixture f;
	setup(&f, 5, 16, 0);
	ACCEPTS(&f, SQN(10, 0, 5));
	REFUSES_SYNC(&f, SQN(27, 1, 5));
	ACCEPTS(&f, SQN(26, 1, 5));
	REFUSES_SYNC(&f, SQN(43, 0, 5));
	ACCEPTS(&f, SQN(42, 0, 5));
	om_milenage_clear(&f.m);

	/* the default delta, from a fresh USIM */
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	REFUSES_SYNC(&f, SQN(OM_USIM_DELTA_DEFAULT + 1, 0, 5));
	ACCEPTS(&f, SQN(OM_USIM_DELTA_DEFAULT, 0, 5));
	om_milenage_clear(&f.m);
}

static void refuses_sqn_older_than_the_age_limit(void)
{
	/* C.2.2: with L set, SEQ_MS - SEQ < L, even in an unused slot. */
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 8);
	ACCEPTS(&f, SQN(20, 0, 5));
	REFUSES_SYNC(&f, SQN(12, 1, 5));
	ACCEPTS(&f, SQN(13, 1, 5));
	REFUSES_SYNC(&f, SQN(1, 9, 5));
	om_milenage_clear(&f.m);

	/* L off (the default): an old SEQ in an unused slot is still fresh */
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(20, 0, 5));
	ACCEPTS(&f, SQN(1, 9, 5));
	om_milenage_clear(&f.m);
}

static void never_wraps_at_the_top_of_the_seq_space(void)
{
	/* No wrap rule (docs/sqn.md): a slot at SEQ max accepts nothing more,
	 * the HE refuses to go past it, and a wrapped SEQ is refused. */
	static const unsigned bits[] = { 0, 5 };
	for (size_t i = 0; i < 2; i++) {
		unsigned b = bits[i];
		uint64_t top = OM_SQN_MAX >> b, next = 0;
		struct fixture f;
		setup(&f, b, OM_USIM_DELTA_DEFAULT, 0);
		f.s.seq_ms[0] = top - 2;

		CHECK_INT(om_sqn_he_next(&next, SQN(top - 2, 0, b), 0, b), 0);
		ACCEPTS(&f, next);
		CHECK_INT(om_sqn_he_next(&next, next, 0, b), 0);
		CHECK_INT(next >> b, top);
		ACCEPTS(&f, next);
		CHECK_INT(f.s.seq_ms[0], top);
		CHECK_INT(om_sqn_he_next(&next, next, 0, b), OM_EAUTH_SQN_RANGE);

		REFUSES_SYNC(&f, SQN(top, 0, b));
		REFUSES_SYNC(&f, SQN(1, 0, b)); /* what a wrapping HE would send */
		REFUSES_SYNC(&f, SQN(0, 0, b));
		CHECK_INT(om_usim_sqn_ms(&f.s), SQN(top, 0, b));
		om_milenage_clear(&f.m);
	}

	/* A fresh USIM refuses a jump straight to the top: delta guards the space. */
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	REFUSES_SYNC(&f, SQN(OM_SQN_MAX >> 5, 0, 5));
	om_milenage_clear(&f.m);
}

static void refuses_flipped_autn_bits_without_state_change(void)
{
	/* Any bit of SQN xor AK, AMF or MAC-A flipped: MAC failure, nothing changes. */
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(3, 1, 5));
	uint8_t autn[16];
	he_autn(&f.m, f.rand, SQN(4, 1, 5), autn);
	struct om_usim_sqn before;
	memcpy(&before, &f.s, sizeof(before));
	int refused = 0, untouched = 0;
	for (int bit = 0; bit < 128; bit++) {
		struct om_usim_out out;
		memset(&out, 0xa5, sizeof(out));
		autn[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		refused += om_usim_authenticate(&f.m, &f.s, f.rand, autn, &out) == OM_EAUTH_MAC;
		untouched += memcmp(&before, &f.s, sizeof(before)) == 0 && all_zero(&out, sizeof(out));
		autn[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	}
	CHECK_INT(refused, 128);
	CHECK_INT(untouched, 128);
	/* a wrong RAND is a MAC failure too */
	uint8_t other[16];
	memcpy(other, f.rand, 16);
	other[15] ^= 1;
	struct om_usim_out out;
	CHECK_INT(om_usim_authenticate(&f.m, &f.s, other, autn, &out), OM_EAUTH_MAC);
	CHECK(memcmp(&before, &f.s, sizeof(before)) == 0);
	/* the untouched AUTN still goes through */
	CHECK_INT(om_usim_authenticate(&f.m, &f.s, f.rand, autn, &out), 0);
	om_milenage_clear(&f.m);
}

static void auts_resynchronises_the_network(void)
{
	/* USIM at SQN_MS in slot 6; the network replays an old vector in slot 2. */
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(900, 6, 5));
	ACCEPTS(&f, SQN(901, 2, 5));
	ACCEPTS(&f, SQN(1000, 6, 5));
	struct om_usim_out out;
	CHECK_INT(present(&f, SQN(901, 2, 5), &out), OM_EAUTH_SYNC);
	CHECK(!all_zero(out.auts, sizeof(out.auts)));

	uint64_t sqn_ms = 0, next = 0;
	CHECK_INT(om_vector_resync(&f.m, f.rand, out.auts, &sqn_ms), 0);
	CHECK_INT(sqn_ms, SQN(1000, 6, 5));
	CHECK_INT(om_sqn_he_next(&next, sqn_ms, 2, 5), 0);
	CHECK_INT(next, SQN(1001, 2, 5));
	ACCEPTS(&f, next);

	/* a flipped AUTS bit does not verify at the network */
	out.auts[13] ^= 1;
	CHECK_INT(om_vector_resync(&f.m, f.rand, out.auts, &sqn_ms), OM_EAUTH_MACS);
	om_milenage_clear(&f.m);
}

/*
 * om_sqn_he_resync() (TS 33.102 6.3.5) against this USIM's own C.2 checks,
 * on random states: whenever the HE goes on after an AUTS, the USIM that sent
 * it accepts the next SQN, which is above everything the HE issued; when the
 * HE refuses (OM_EAUTH_RESYNC_BEHIND), no SEQ above the HE's is acceptable.
 */
static void he_resync_is_what_the_usim_accepts(void)
{
	struct fixture f;
	int refused = 0, kept = 0, moved = 0;
	for (int i = 0; i < 2000; i++) {
		uint8_t r[8];
		check_random(r, sizeof(r));
		uint64_t delta = 1 + r[0] % 64, seq_ms = r[1] % 64;
		unsigned ind_ms = r[2] % 32, ind = r[3] % 32;
		int64_t he = (int64_t)seq_ms + r[4] % 96 - 16; /* from below SEQ_MS to beyond delta above it */
		uint64_t seq_he = he < 0 ? 0 : (uint64_t)he;
		CHECK_INT(om_usim_sqn_init(&f.s, 5, delta, r[5] & 1 ? 0 : 1 + r[6] % 32), 0);
		f.s.seq_ms[ind_ms] = seq_ms;
		uint64_t sqn_ms = om_usim_sqn_ms(&f.s), sqn_he = SQN(seq_he, r[7] % 32, 5), from = 0, next = 0;
		int rc = om_sqn_he_resync(&from, sqn_he, sqn_ms, 5, delta);
		if (rc == OM_EAUTH_RESYNC_BEHIND) {
			refused++;
			CHECK_INT(om_usim_sqn_check(&f.s, SQN(seq_he + 1, ind, 5)), OM_EAUTH_SYNC);
			continue;
		}
		CHECK(rc == 0 || rc == 1);
		rc ? moved++ : kept++;
		CHECK_INT(om_sqn_he_next(&next, from, ind, 5), 0);
		CHECK((next >> 5) > seq_he);
		CHECK_INT(om_usim_sqn_check(&f.s, next), 0);
	}
	CHECK(refused > 0 && kept > 0 && moved > 0);
}

static void auts_matches_the_hostapd_example(void)
{
	/* SQN_MS = 1 with ind_bits 0: the USIM must produce the published AUTS. */
	const cJSON *v = cJSON_GetArrayItem(vectors_list("milenage_auts_resync_examples", "vectors"), 0);
	uint8_t k[16], opc[16], sqn_ms[6];
	struct fixture f;
	vectors_hex(v, "K", k, 16);
	vectors_hex(v, "OPc", opc, 16);
	vectors_hex(v, "RAND", f.rand, 16);
	vectors_hex(v, "expected_SQN_MS", sqn_ms, 6);
	CHECK_INT(om_milenage_init(&f.m, k, opc), 0);
	CHECK_INT(om_usim_sqn_init(&f.s, 0, OM_USIM_DELTA_DEFAULT, 0), 0);
	f.s.seq_ms[0] = om_sqn_from_bytes(sqn_ms);
	struct om_usim_out out;
	CHECK_INT(present(&f, om_sqn_from_bytes(sqn_ms), &out), OM_EAUTH_SYNC);
	CHECK_HEX(out.auts, 14, vectors_str(v, "AUTS"));
	om_milenage_clear(&f.m);
}

static void sqn_ms_is_the_highest_accepted_sqn(void)
{
	struct om_usim_sqn s;
	CHECK_INT(om_usim_sqn_init(&s, 5, OM_USIM_DELTA_DEFAULT, 0), 0);
	CHECK_INT(om_usim_sqn_ms(&s), 0);
	s.seq_ms[4] = 9;
	s.seq_ms[7] = 8;
	CHECK_INT(om_usim_sqn_ms(&s), SQN(9, 4, 5));
	s.seq_ms[2] = 9; /* same SEQ in a lower slot: the higher SQN stays */
	CHECK_INT(om_usim_sqn_ms(&s), SQN(9, 4, 5));
	s.seq_ms[30] = 9;
	CHECK_INT(om_usim_sqn_ms(&s), SQN(9, 30, 5));
}

static void check_refuses_sqn_beyond_48_bits(void)
{
	struct om_usim_sqn s;
	CHECK_INT(om_usim_sqn_init(&s, 5, OM_USIM_DELTA_DEFAULT, 0), 0);
	CHECK_INT(om_usim_sqn_check(&s, OM_SQN_MAX + 1), OM_EAUTH_SQN_RANGE);
	CHECK_INT(om_usim_sqn_check(&s, SQN(1, 0, 5)), 0);
}

static void init_refuses_bad_parameters(void)
{
	struct om_usim_sqn s, before;
	memset(&s, 0x5a, sizeof(s));
	memcpy(&before, &s, sizeof(s));
	CHECK_INT(om_usim_sqn_init(&s, OM_USIM_IND_BITS_MAX + 1, OM_USIM_DELTA_DEFAULT, 0), OM_EAUTH_INDBITS);
	CHECK_INT(om_usim_sqn_init(&s, 5, 0, 0), OM_EINVAL);
	CHECK_INT(om_usim_sqn_init(&s, 5, (OM_SQN_MAX >> 5) + 1, 0), OM_EINVAL);
	CHECK_INT(om_usim_sqn_init(&s, 5, OM_USIM_DELTA_DEFAULT, (OM_SQN_MAX >> 5) + 1), OM_EINVAL);
	CHECK_INT(om_usim_sqn_init(NULL, 5, OM_USIM_DELTA_DEFAULT, 0), OM_EINVAL);
	CHECK(memcmp(&s, &before, sizeof(s)) == 0);
	CHECK_INT(om_usim_sqn_init(&s, 0, OM_SQN_MAX, OM_SQN_MAX), 0);
}

static void authenticate_refuses_a_corrupt_state(void)
{
	struct fixture f;
	setup(&f, 2, OM_USIM_DELTA_DEFAULT, 0);
	f.s.seq_ms[4] = 1; /* slot 4 does not exist with ind_bits 2 */
	struct om_usim_sqn before;
	memcpy(&before, &f.s, sizeof(before));
	struct om_usim_out out;
	CHECK_INT(present(&f, SQN(1, 0, 2), &out), OM_EINVAL);
	CHECK(memcmp(&before, &f.s, sizeof(before)) == 0);
	CHECK(all_zero(&out, sizeof(out)));
	om_milenage_clear(&f.m);
}

static void state_round_trips_through_its_codec(void)
{
	struct om_usim_sqn s, back;
	uint8_t buf[OM_USIM_SQN_STATE_LEN], buf2[OM_USIM_SQN_STATE_LEN];
	CHECK_INT(om_usim_sqn_init(&s, 5, 0x0123456789abULL, 0x42), 0);
	for (unsigned i = 0; i < 32; i++)
		s.seq_ms[i] = (uint64_t)i * 0x1000001ULL;
	CHECK_INT(om_usim_sqn_serialise(buf, &s), OM_USIM_SQN_STATE_LEN);
	/* the documented layout, byte by byte */
	CHECK_INT(buf[0], OM_USIM_SQN_VERSION);
	CHECK_INT(buf[1], 5);
	CHECK_HEX(buf + 2, 6, "0123456789ab");
	CHECK_HEX(buf + 8, 6, "000000000042");
	CHECK_HEX(buf + 14, 6, "000000000000");
	CHECK_HEX(buf + 14 + 6 * 31, 6, "00001f00001f");
	memset(&back, 0, sizeof(back));
	CHECK_INT(om_usim_sqn_parse(&back, buf, sizeof(buf)), 0);
	CHECK_INT(om_usim_sqn_serialise(buf2, &back), OM_USIM_SQN_STATE_LEN);
	CHECK_MEM(buf, buf2, sizeof(buf));
	CHECK(back.ind_bits == 5 && back.delta == s.delta && back.age_limit == 0x42);
	CHECK(memcmp(back.seq_ms, s.seq_ms, sizeof(s.seq_ms)) == 0);
}

static void restored_state_still_refuses_a_replay(void)
{
	struct fixture f;
	setup(&f, 5, OM_USIM_DELTA_DEFAULT, 0);
	ACCEPTS(&f, SQN(3, 1, 5));
	uint8_t buf[OM_USIM_SQN_STATE_LEN];
	CHECK_INT(om_usim_sqn_serialise(buf, &f.s), OM_USIM_SQN_STATE_LEN);
	memset(&f.s, 0, sizeof(f.s));
	CHECK_INT(om_usim_sqn_parse(&f.s, buf, sizeof(buf)), 0);
	REFUSES_SYNC(&f, SQN(3, 1, 5));
	ACCEPTS(&f, SQN(4, 1, 5));
	om_milenage_clear(&f.m);
}

/* Parse a modified copy of a valid state and expect err with s untouched. */
static void parse_refuses(const uint8_t *in, size_t len, int err, int line)
{
	struct om_usim_sqn s, before;
	memset(&s, 0x5a, sizeof(s));
	memcpy(&before, &s, sizeof(s));
	int r = om_usim_sqn_parse(&s, in, len);
	check_record(r == err, __FILE__, line, "parse refuses", "got %d, want %d", r, err);
	check_record(memcmp(&s, &before, sizeof(s)) == 0, __FILE__, line, "state untouched", NULL);
}

static void parse_refuses_each_malformed_field(void)
{
	struct om_usim_sqn s;
	uint8_t good[OM_USIM_SQN_STATE_LEN], b[OM_USIM_SQN_STATE_LEN + 1];
	CHECK_INT(om_usim_sqn_init(&s, 2, OM_USIM_DELTA_DEFAULT, 0), 0);
	s.seq_ms[3] = 77;
	CHECK_INT(om_usim_sqn_serialise(good, &s), OM_USIM_SQN_STATE_LEN);

#define MUTATE(stmt, err)                                  \
	do {                                               \
		memcpy(b, good, sizeof(good));             \
		stmt;                                      \
		parse_refuses(b, sizeof(good), err, __LINE__); \
	} while (0)
	MUTATE(b[0] = 0, OM_EAUTH_STATE_VERSION);
	MUTATE(b[0] = OM_USIM_SQN_VERSION + 1, OM_EAUTH_STATE_VERSION);
	MUTATE(b[1] = OM_USIM_IND_BITS_MAX + 1, OM_EAUTH_INDBITS);
	MUTATE(b[1] = 0xff, OM_EAUTH_INDBITS);
	MUTATE(memset(b + 2, 0, 6), OM_EAUTH_STATE);     /* delta 0 */
	MUTATE(memset(b + 2, 0xff, 6), OM_EAUTH_STATE);  /* delta beyond SEQ space */
	MUTATE(memset(b + 8, 0xff, 6), OM_EAUTH_STATE);  /* L beyond SEQ space */
	MUTATE(memset(b + 14, 0xff, 6), OM_EAUTH_STATE); /* SEQ_MS(0) beyond SEQ space */
	MUTATE(b[14 + 6 * 4 + 5] = 1, OM_EAUTH_STATE);   /* slot 4 unused with ind_bits 2 */
	MUTATE(b[14 + 6 * 31 + 5] = 1, OM_EAUTH_STATE);
#undef MUTATE
	memcpy(b, good, sizeof(good));
	parse_refuses(b, sizeof(good) - 1, OM_ELENGTH, __LINE__);
	parse_refuses(b, sizeof(good) + 1, OM_ELENGTH, __LINE__);
	parse_refuses(b, 0, OM_ELENGTH, __LINE__);
	CHECK_INT(om_usim_sqn_parse(NULL, good, sizeof(good)), OM_EINVAL);
	CHECK_INT(om_usim_sqn_parse(&s, NULL, sizeof(good)), OM_EINVAL);
	/* and the untouched copy parses */
	CHECK_INT(om_usim_sqn_parse(&s, good, sizeof(good)), 0);
	CHECK_INT(s.seq_ms[3], 77);
}

static void serialise_refuses_an_invalid_state(void)
{
	struct om_usim_sqn s;
	uint8_t buf[OM_USIM_SQN_STATE_LEN];
	CHECK_INT(om_usim_sqn_init(&s, 1, OM_USIM_DELTA_DEFAULT, 0), 0);
	s.seq_ms[2] = 1;
	memset(buf, 0xee, sizeof(buf));
	CHECK_INT(om_usim_sqn_serialise(buf, &s), OM_EINVAL);
	CHECK(all_zero(buf, sizeof(buf)));
}

static void every_new_error_has_a_message(void)
{
	CHECK(strcmp(om_errname(OM_EAUTH_STATE), "OM_EAUTH_STATE") == 0);
	CHECK(strcmp(om_errname(OM_EAUTH_STATE_VERSION), "OM_EAUTH_STATE_VERSION") == 0);
	CHECK(strcmp(om_strerror(OM_EAUTH_STATE), "unknown error") != 0);
}

int main(void)
{
	accepts_conformance_autn();
	accepts_fresh_sqn_and_records_it();
	refuses_replayed_autn();
	refuses_seq_zero_on_a_fresh_usim();
	refuses_lower_seq_in_the_same_slot();
	accepts_lower_seq_in_another_slot();
	refuses_a_jump_beyond_delta();
	refuses_sqn_older_than_the_age_limit();
	never_wraps_at_the_top_of_the_seq_space();
	refuses_flipped_autn_bits_without_state_change();
	auts_resynchronises_the_network();
	he_resync_is_what_the_usim_accepts();
	auts_matches_the_hostapd_example();
	sqn_ms_is_the_highest_accepted_sqn();
	check_refuses_sqn_beyond_48_bits();
	init_refuses_bad_parameters();
	authenticate_refuses_a_corrupt_state();
	state_round_trips_through_its_codec();
	restored_state_still_refuses_a_replay();
	parse_refuses_each_malformed_field();
	serialise_refuses_an_invalid_state();
	every_new_error_has_a_message();
	return check_done();
}
