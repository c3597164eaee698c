/* SPDX-License-Identifier: Apache-2.0 */
/*
 * USIM side of AKA: AUTN check, SQN freshness (TS 33.102 Annex C.2) and AUTS.
 *
 * The freshness rules, all on SEQ (the SQN without its IND bits), with
 * SEQ_MS the highest SEQ accepted in any slot:
 *  - C.2.1 delta: SEQ - SEQ_MS <= delta. This is also the spec's whole
 *    answer to wrap-around: jumps are bounded so SEQ never reaches the top
 *    of its space in a USIM's lifetime. We add no wrap rule: a slot whose
 *    SEQ_MS is 2^(48 - ind_bits) - 1 can accept nothing more, and
 *    om_sqn_he_next() refuses to go past that point (docs/sqn.md).
 *  - C.2.2 array: SEQ > SEQ_MS(IND), then SEQ_MS(IND) := SEQ.
 *  - C.2.2 age limit, when L is set: SEQ_MS - SEQ < L.
 * Any refusal is a synchronisation failure carrying SQN_MS (6.3.5).
 */
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/sqn.h>
#include <openmcim/usim.h>

static uint64_t seq_max(unsigned ind_bits)
{
	return OM_SQN_MAX >> ind_bits;
}

static int state_valid(const struct om_usim_sqn *s)
{
	if (s->ind_bits > OM_USIM_IND_BITS_MAX)
		return 0;
	uint64_t max = seq_max(s->ind_bits);
	if (s->delta < 1 || s->delta > max || s->age_limit > max)
		return 0;
	for (unsigned i = 0; i < OM_USIM_SLOTS_MAX; i++) {
		int used = i < (1u << s->ind_bits);
		if (s->seq_ms[i] > max || (!used && s->seq_ms[i] != 0))
			return 0;
	}
	return 1;
}

int om_usim_sqn_init(struct om_usim_sqn *s, unsigned ind_bits, uint64_t delta, uint64_t age_limit)
{
	if (!s)
		return OM_EINVAL;
	if (ind_bits > OM_USIM_IND_BITS_MAX)
		return OM_EAUTH_INDBITS;
	struct om_usim_sqn t;
	memset(&t, 0, sizeof(t));
	t.ind_bits = (uint8_t)ind_bits;
	t.delta = delta;
	t.age_limit = age_limit;
	if (!state_valid(&t))
		return OM_EINVAL;
	memcpy(s, &t, sizeof(t));
	return 0;
}

/* The slot holding the highest SEQ; ties go to the higher IND (the higher SQN). */
static unsigned highest_slot(const struct om_usim_sqn *s)
{
	unsigned best = 0;
	for (unsigned i = 1; i < (1u << s->ind_bits); i++)
		if (s->seq_ms[i] >= s->seq_ms[best])
			best = i;
	return best;
}

uint64_t om_usim_sqn_ms(const struct om_usim_sqn *s)
{
	if (!s || s->ind_bits > OM_USIM_IND_BITS_MAX)
		return 0;
	unsigned i = highest_slot(s);
	if (s->seq_ms[i] == 0)
		return 0;
	return (s->seq_ms[i] << s->ind_bits) | i;
}

int om_usim_sqn_check(const struct om_usim_sqn *s, uint64_t sqn)
{
	if (!s || !state_valid(s))
		return OM_EINVAL;
	if (sqn > OM_SQN_MAX)
		return OM_EAUTH_SQN_RANGE;
	uint64_t seq = sqn >> s->ind_bits;
	unsigned ind = (unsigned)(sqn & ((UINT64_C(1) << s->ind_bits) - 1));
	uint64_t hi = s->seq_ms[highest_slot(s)];

	if (seq > hi && seq - hi > s->delta)
		return OM_EAUTH_SYNC; /* C.2.1: too far ahead */
	if (s->age_limit && hi >= seq && hi - seq >= s->age_limit)
		return OM_EAUTH_SYNC; /* C.2.2: too old, even for an unused slot */
	if (seq <= s->seq_ms[ind])
		return OM_EAUTH_SYNC; /* C.2.2: not fresh in its slot: replay */
	return 0;
}

int om_usim_sqn_serialise(uint8_t out[static OM_USIM_SQN_STATE_LEN], const struct om_usim_sqn *s)
{
	if (!s || !state_valid(s)) {
		memset(out, 0, OM_USIM_SQN_STATE_LEN);
		return OM_EINVAL;
	}
	out[0] = OM_USIM_SQN_VERSION;
	out[1] = s->ind_bits;
	om_sqn_to_bytes(out + 2, s->delta);
	om_sqn_to_bytes(out + 8, s->age_limit);
	for (unsigned i = 0; i < OM_USIM_SLOTS_MAX; i++)
		om_sqn_to_bytes(out + 14 + 6 * i, s->seq_ms[i]);
	return OM_USIM_SQN_STATE_LEN;
}

int om_usim_sqn_parse(struct om_usim_sqn *s, const uint8_t *in, size_t len)
{
	if (!s || !in)
		return OM_EINVAL;
	if (len != OM_USIM_SQN_STATE_LEN)
		return OM_ELENGTH;
	if (in[0] != OM_USIM_SQN_VERSION)
		return OM_EAUTH_STATE_VERSION;
	if (in[1] > OM_USIM_IND_BITS_MAX)
		return OM_EAUTH_INDBITS;
	struct om_usim_sqn t;
	memset(&t, 0, sizeof(t));
	t.ind_bits = in[1];
	t.delta = om_sqn_from_bytes(in + 2);
	t.age_limit = om_sqn_from_bytes(in + 8);
	for (unsigned i = 0; i < OM_USIM_SLOTS_MAX; i++)
		t.seq_ms[i] = om_sqn_from_bytes(in + 14 + 6 * i);
	if (!state_valid(&t))
		return OM_EAUTH_STATE;
	memcpy(s, &t, sizeof(t));
	return 0;
}

/* AUTS = (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF = 0000) (TS 33.102 6.3.3). */
static int make_auts(const struct om_milenage *m, const struct om_usim_sqn *s,
		     const uint8_t rand[static OM_RAND_LEN], uint8_t auts[static OM_AUTS_LEN])
{
	static const uint8_t amf0[OM_AMF_LEN];
	uint8_t sqn_ms[OM_SQN_LEN], ak_s[OM_AK_LEN];
	om_sqn_to_bytes(sqn_ms, om_usim_sqn_ms(s));
	int err = om_milenage_f1s_f5s(m, rand, sqn_ms, amf0, auts + OM_SQN_LEN, ak_s);
	if (err < 0)
		goto out;
	for (int i = 0; i < OM_SQN_LEN; i++)
		auts[i] = sqn_ms[i] ^ ak_s[i];
out:
	OPENSSL_cleanse(ak_s, sizeof(ak_s));
	OPENSSL_cleanse(sqn_ms, sizeof(sqn_ms));
	return err;
}

int om_usim_authenticate(const struct om_milenage *m, struct om_usim_sqn *s,
			 const uint8_t rand[static OM_RAND_LEN], const uint8_t autn[static OM_AUTN_LEN],
			 struct om_usim_out *out)
{
	static const uint8_t sqn0[OM_SQN_LEN];
	const uint8_t *amf = autn + OM_SQN_LEN, *mac_a = autn + OM_SQN_LEN + OM_AMF_LEN;
	struct om_milenage_out mo;
	uint8_t sqn[OM_SQN_LEN];
	int err;

	if (!m || !s || !out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!state_valid(s))
		return OM_EINVAL;

	/* AK = f5(RAND) does not depend on SQN, so a first run with any SQN
	 * yields it (and RES, CK, IK); the second run gives MAC-A over the real SQN. */
	if ((err = om_milenage_f1_f5(m, rand, sqn0, amf, &mo)) < 0)
		goto out;
	for (int i = 0; i < OM_SQN_LEN; i++)
		sqn[i] = autn[i] ^ mo.ak[i];
	if ((err = om_milenage_f1_f5(m, rand, sqn, amf, &mo)) < 0)
		goto out;
	if (CRYPTO_memcmp(mo.mac_a, mac_a, OM_MAC_LEN) != 0) {
		err = OM_EAUTH_MAC;
		goto out;
	}

	uint64_t v = om_sqn_from_bytes(sqn);
	if ((err = om_usim_sqn_check(s, v)) == OM_EAUTH_SYNC) {
		int e = make_auts(m, s, rand, out->auts);
		if (e < 0) {
			OPENSSL_cleanse(out->auts, sizeof(out->auts));
			err = e;
		}
		goto out;
	}
	if (err < 0)
		goto out;

	s->seq_ms[v & ((UINT64_C(1) << s->ind_bits) - 1)] = v >> s->ind_bits;
	memcpy(out->res, mo.res, sizeof(out->res));
	memcpy(out->ck, mo.ck, sizeof(out->ck));
	memcpy(out->ik, mo.ik, sizeof(out->ik));
out:
	OPENSSL_cleanse(&mo, sizeof(mo));
	OPENSSL_cleanse(sqn, sizeof(sqn));
	return err;
}

void om_usim_out_clear(struct om_usim_out *out)
{
	if (out)
		OPENSSL_cleanse(out, sizeof(*out));
}
