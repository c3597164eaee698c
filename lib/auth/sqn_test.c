/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Home-environment SQN: SEQ + 1 per vector with the serving network's IND
 * (TS 33.102 C.3.2), where a resync continues (6.3.5), and the edges of
 * the 48-bit space. Expected values are written as SEQ << ind_bits | IND,
 * worked out by hand from the clause, never taken from om_sqn_he_next().
 */
#include <openmcim/sqn.h>

#include "check.h"
#include "vectors.h"

#define SQN(seq, ind, bits) (((uint64_t)(seq) << (bits)) | (uint64_t)(ind))

static void advances_seq_and_stamps_the_serving_network_ind(void)
{
	/* Two serving networks, IND 1 and IND 7, asking in turn (ind_bits 5). */
	static const struct {
		unsigned ind;
		uint64_t want;
	} steps[] = {
		{ 1, SQN(1, 1, 5) }, { 7, SQN(2, 7, 5) }, { 7, SQN(3, 7, 5) },
		{ 1, SQN(4, 1, 5) }, { 1, SQN(5, 1, 5) }, { 7, SQN(6, 7, 5) },
	};
	uint64_t last = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t next = 0;
		CHECK_INT(om_sqn_he_next(&next, last, steps[i].ind, 5), 0);
		CHECK_INT(next, steps[i].want);
		last = next;
	}
}

static void ignores_the_ind_of_the_last_sqn(void)
{
	/* Only SEQ carries over: the IND bits of `last` belong to another network. */
	uint64_t next = 0;
	CHECK_INT(om_sqn_he_next(&next, SQN(41, 31, 5), 2, 5), 0);
	CHECK_INT(next, SQN(42, 2, 5));
	CHECK_INT(om_sqn_he_next(&next, SQN(41, 0, 5), 2, 5), 0);
	CHECK_INT(next, SQN(42, 2, 5));
}

static void reduces_ind_modulo_the_slot_count(void)
{
	uint64_t next = 0;
	CHECK_INT(om_sqn_he_next(&next, 0, 33, 5), 0);
	CHECK_INT(next, SQN(1, 1, 5));
	CHECK_INT(om_sqn_he_next(&next, 0, 0xffffffffu, 5), 0);
	CHECK_INT(next, SQN(1, 31, 5));
}

static void continues_from_sqn_ms_after_resync(void)
{
	/* The hostapd AUTS example carries SQN_MS = 1; the next vector for a
	 * network in slot 3 is SEQ(SQN_MS) + 1 with IND 3. */
	const cJSON *v = cJSON_GetArrayItem(vectors_list("milenage_auts_resync_examples", "vectors"), 0);
	uint8_t b[6];
	vectors_hex(v, "expected_SQN_MS", b, sizeof(b));
	uint64_t sqn_ms = om_sqn_from_bytes(b), next = 0;
	CHECK_INT(om_sqn_he_next(&next, sqn_ms, 3, 5), 0);
	CHECK_INT(next, SQN((sqn_ms >> 5) + 1, 3, 5));
	CHECK_INT(next, 35); /* osmo-auc-gen -A ... -i 3 -l 5 prints SQN 35 too */
}

/* TS 33.102 6.3.5: a stale AUTS leaves the HE where it is (the case: SEQ 100024, SQN_MS SEQ 3). */
static void keeps_its_own_seq_after_a_stale_auts(void)
{
	uint64_t from = 0, next = 0;
	CHECK_INT(om_sqn_he_resync(&from, SQN(100024, 7, 5), SQN(3, 1, 5), 5, UINT64_C(1) << 28), 0);
	CHECK_INT(from, SQN(100024, 7, 5));
	CHECK_INT(om_sqn_he_next(&next, from, 2, 5), 0);
	CHECK_INT(next, SQN(100025, 2, 5));
	/* same SEQ, higher IND in SQN_MS: the USIM accepted our last SEQ; still ours */
	CHECK_INT(om_sqn_he_resync(&from, SQN(40, 2, 5), SQN(40, 9, 5), 5, 100), 0);
	CHECK_INT(from, SQN(40, 2, 5));
}

static void continues_from_sqn_ms_only_when_the_usim_is_ahead(void)
{
	uint64_t from = 0, next = 0;
	CHECK_INT(om_sqn_he_resync(&from, SQN(10, 0, 5), SQN(50, 3, 5), 5, 100), 1);
	CHECK_INT(from, SQN(50, 3, 5));
	CHECK_INT(om_sqn_he_next(&next, from, 4, 5), 0);
	CHECK_INT(next, SQN(51, 4, 5));
	CHECK_INT(om_sqn_he_resync(&from, 10, 11, 0, 1), 1);
	CHECK_INT(from, 11);
}

static void refuses_to_go_back_when_the_usim_is_delta_behind(void)
{
	/* delta 100, SEQ_MS 3: the USIM accepts SEQ 103 at most, so SEQ_HE 102 may go on, 103 may not */
	uint64_t from = 7;
	CHECK_INT(om_sqn_he_resync(&from, SQN(102, 0, 5), SQN(3, 0, 5), 5, 100), 0);
	CHECK_INT(from, SQN(102, 0, 5));
	from = 7;
	CHECK_INT(om_sqn_he_resync(&from, SQN(103, 0, 5), SQN(3, 0, 5), 5, 100), OM_EAUTH_RESYNC_BEHIND);
	CHECK_INT(from, 7);
	CHECK_INT(om_sqn_he_resync(&from, OM_SQN_MAX + 1, 0, 5, 100), OM_EAUTH_SQN_RANGE);
	CHECK_INT(om_sqn_he_resync(&from, 0, OM_SQN_MAX + 1, 5, 100), OM_EAUTH_SQN_RANGE);
	CHECK_INT(om_sqn_he_resync(&from, 0, 0, OM_IND_BITS_MAX + 1, 100), OM_EAUTH_INDBITS);
	CHECK_INT(om_sqn_he_resync(&from, 0, 0, 5, 0), OM_EINVAL);
	CHECK_INT(om_sqn_he_resync(NULL, 0, 0, 5, 100), OM_EINVAL);
	CHECK_INT(from, 7);
}

static void ind_bits_zero_is_plain_increment(void)
{
	uint64_t next = 0;
	CHECK_INT(om_sqn_he_next(&next, 41, 9, 0), 0);
	CHECK_INT(next, 42);
	CHECK_INT(om_sqn_he_next(&next, 0, 0, 0), 0);
	CHECK_INT(next, 1);
}

static void ind_bits_max_keeps_28_bits_of_ind(void)
{
	uint64_t next = 0, mask = (UINT64_C(1) << OM_IND_BITS_MAX) - 1;
	CHECK_INT(om_sqn_he_next(&next, 0, 5, OM_IND_BITS_MAX), 0);
	CHECK_INT(next, SQN(1, 5, OM_IND_BITS_MAX));
	CHECK_INT(om_sqn_he_next(&next, SQN(7, 9, OM_IND_BITS_MAX), (unsigned)mask, OM_IND_BITS_MAX), 0);
	CHECK_INT(next, SQN(8, mask, OM_IND_BITS_MAX));
}

static void refuses_ind_bits_above_max(void)
{
	uint64_t next = 12345;
	CHECK_INT(om_sqn_he_next(&next, 0, 0, OM_IND_BITS_MAX + 1), OM_EAUTH_INDBITS);
	CHECK_INT(om_sqn_he_next(&next, 0, 0, 48), OM_EAUTH_INDBITS);
	CHECK_INT(om_sqn_he_next(&next, 0, 0, 1000), OM_EAUTH_INDBITS);
	CHECK_INT(next, 12345);
}

static void refuses_last_beyond_48_bits(void)
{
	uint64_t next = 12345;
	CHECK_INT(om_sqn_he_next(&next, OM_SQN_MAX + 1, 0, 5), OM_EAUTH_SQN_RANGE);
	CHECK_INT(om_sqn_he_next(&next, UINT64_MAX, 0, 0), OM_EAUTH_SQN_RANGE);
	CHECK_INT(next, 12345);
}

static void stops_at_the_top_of_the_seq_space(void)
{
	/* No wrap-around: the last SEQ is 2^(48 - ind_bits) - 1, then refusal. */
	static const unsigned bits[] = { 0, 1, 5, 16, OM_IND_BITS_MAX };
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		unsigned b = bits[i];
		uint64_t top = (UINT64_C(1) << (48 - b)) - 1, next = 0;
		unsigned ind = b ? 1 : 0;
		CHECK_INT(om_sqn_he_next(&next, SQN(top - 1, 0, b), ind, b), 0);
		CHECK_INT(next, SQN(top, ind, b));
		CHECK(next <= OM_SQN_MAX);
		uint64_t before = next;
		CHECK_INT(om_sqn_he_next(&next, SQN(top, 0, b), ind, b), OM_EAUTH_SQN_RANGE);
		CHECK_INT(next, before);
	}
	uint64_t next = 0;
	CHECK_INT(om_sqn_he_next(&next, OM_SQN_MAX, 0, 0), OM_EAUTH_SQN_RANGE);
	CHECK_INT(om_sqn_he_next(&next, OM_SQN_MAX - 1, 0, 0), 0);
	CHECK_INT(next, OM_SQN_MAX);
}

static void refuses_null_output(void)
{
	CHECK_INT(om_sqn_he_next(NULL, 0, 0, 5), OM_EINVAL);
}

static void bytes_are_48_bit_big_endian(void)
{
	const cJSON *set = cJSON_GetArrayItem(vectors_list("milenage_TS35207", "test_sets"), 0);
	uint8_t b[6], back[6];
	vectors_hex(set, "SQN", b, sizeof(b));
	uint64_t v = om_sqn_from_bytes(b);
	CHECK_INT(v, ((uint64_t)b[0] << 40) | ((uint64_t)b[1] << 32) | ((uint64_t)b[2] << 24) |
			     ((uint64_t)b[3] << 16) | ((uint64_t)b[4] << 8) | b[5]);
	om_sqn_to_bytes(back, v);
	CHECK_MEM(back, b, 6);

	uint8_t top[6] = { 0x80, 0, 0, 0, 0, 0 }, one[6] = { 0, 0, 0, 0, 0, 1 }, out[6];
	CHECK_INT(om_sqn_from_bytes(top), UINT64_C(1) << 47);
	CHECK_INT(om_sqn_from_bytes(one), 1);
	om_sqn_to_bytes(out, OM_SQN_MAX);
	CHECK_HEX(out, 6, "ffffffffffff");
}

int main(void)
{
	advances_seq_and_stamps_the_serving_network_ind();
	ignores_the_ind_of_the_last_sqn();
	reduces_ind_modulo_the_slot_count();
	continues_from_sqn_ms_after_resync();
	keeps_its_own_seq_after_a_stale_auts();
	continues_from_sqn_ms_only_when_the_usim_is_ahead();
	refuses_to_go_back_when_the_usim_is_delta_behind();
	ind_bits_zero_is_plain_increment();
	ind_bits_max_keeps_28_bits_of_ind();
	refuses_ind_bits_above_max();
	refuses_last_beyond_48_bits();
	stops_at_the_top_of_the_seq_space();
	refuses_null_output();
	bytes_are_48_bit_big_endian();
	return check_done();
}
