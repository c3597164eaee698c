/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's signed verdict (verdict.h, issue 12): it round-trips with EC
 * P-256 and RSA-2048 signers; every flipped bit, a wrong key, truncation,
 * an extra byte and an M2MMobj offered as a verdict are refused, each with
 * its code, and a refusal outputs nothing; the builder refuses fields
 * outside their rules.
 */
#include <openmcim/mobj.h>
#include <openmcim/verdict.h>

#include "objects_testkit.h"

static const enum om_key_type types[] = { OM_KEY_EC_P256, OM_KEY_RSA_2048 };

static void sample(struct om_pva_verdict *v)
{
	memset(v, 0, sizeof(*v));
	strcpy(v->tre_id, "TRE-0000000000000001");
	memcpy(v->nonce_b, "nonceB-nonceB-02", OM_NONCE_LEN);
	v->accepted = 1;
	strcpy(v->reason, "accepted");
	strcpy(v->detail, "3 components match");
	v->time = 1796616360;
}

static int is_zero(const struct om_pva_verdict *v)
{
	const uint8_t *p = (const uint8_t *)v;
	for (size_t i = 0; i < sizeof(*v); i++)
		if (p[i])
			return 0;
	return 1;
}

static void refused(const uint8_t *obj, size_t len, EVP_PKEY *pub, int want)
{
	struct om_pva_verdict v;
	memset(&v, 0xee, sizeof(v));
	CHECK_INT(om_pva_verdict_verify(obj, len, pub, &v), want);
	CHECK(is_zero(&v));
}

static void round_trips_and_refusals(void)
{
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		EVP_PKEY *key = NULL, *other = NULL;
		struct om_pva_verdict in, out;
		uint8_t obj[1024];
		CHECK_INT(om_key_generate(&key, types[k]), 0);
		CHECK_INT(om_key_generate(&other, types[k]), 0);
		sample(&in);
		int n = om_pva_verdict_build(&in, key, obj, sizeof(obj));
		CHECK(n > 0);
		if (n <= 0)
			return;
		CHECK_INT(om_pva_verdict_verify(obj, (size_t)n, key, &out), 0);
		CHECK(out.accepted == 1 && !strcmp(out.tre_id, in.tre_id) && !memcmp(out.nonce_b, in.nonce_b, OM_NONCE_LEN) &&
		      !strcmp(out.reason, "accepted") && !strcmp(out.detail, in.detail) && out.time == in.time);
		CHECK(obj[5] == 0x05); /* object type 05 (docs/formats.md) */
		/* a refusal round-trips with accepted 0 */
		in.accepted = 0;
		strcpy(in.reason, "revoked");
		int m = om_pva_verdict_build(&in, key, obj, sizeof(obj));
		CHECK_INT(om_pva_verdict_verify(obj, m > 0 ? (size_t)m : 0, key, &out), 0);
		CHECK(out.accepted == 0 && !strcmp(out.reason, "revoked"));
		/* every flipped bit */
		for (size_t i = 0; i < (size_t)m * 8; i++) {
			obj[i / 8] ^= (uint8_t)(1u << (i % 8));
			struct om_pva_verdict v;
			int r = om_pva_verdict_verify(obj, (size_t)m, key, &v);
			CHECK_MSG(r < 0, "bit %zu accepted", i);
			obj[i / 8] ^= (uint8_t)(1u << (i % 8));
		}
		refused(obj, (size_t)m, other, OM_EOBJ_SIGNATURE);
		refused(obj, (size_t)m - 1, key, OM_EOBJ_TRUNCATED);
		obj[m] = 0;
		refused(obj, (size_t)m + 1, key, OM_EOBJ_TRAILING);
		/* an M2MMobj signed by the same key is not a verdict */
		struct om_tre_info t;
		memset(&t, 0, sizeof(t));
		strcpy(t.tre_id, "TRE-1");
		strcpy(t.tre_type, "model");
		strcpy(t.firmware_version, "1.0.0");
		int o = om_m2mmobj_build(&t, in.nonce_b, in.nonce_b, key, obj, sizeof(obj));
		CHECK(o > 0);
		refused(obj, o > 0 ? (size_t)o : 0, key, OM_EOBJ_TYPE);
		/* fields outside their rules */
		sample(&in);
		strcpy(in.reason, "two words");
		CHECK_INT(om_pva_verdict_build(&in, key, obj, sizeof(obj)), OM_EINVAL);
		sample(&in);
		in.detail[0] = '\0';
		CHECK_INT(om_pva_verdict_build(&in, key, obj, sizeof(obj)), OM_EINVAL);
		sample(&in);
		CHECK_INT(om_pva_verdict_build(&in, key, obj, 40), OM_ENOSPC);
		EVP_PKEY_free(key);
		EVP_PKEY_free(other);
	}
}

int main(void)
{
	round_trips_and_refusals();
	return check_done();
}
