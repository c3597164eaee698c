/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MILENAGE against the TS 35.207/35.208 conformance sets and the published
 * AUTS examples, on both engines (AES-NI and OpenSSL EVP).
 */
#include <stddef.h>
#include <stdlib.h>

#include <openmcim/milenage.h>

#include "check.h"
#include "milenage_impl.h"
#include "vectors.h"

static int cpu_has_aesni;

/* Engine 0: OpenSSL EVP; engine 1: AES-NI. Returns 0 if not available. */
static int select_engine(int aesni)
{
	om_milenage_force_fallback(!aesni);
	return !aesni || om_milenage_uses_aesni();
}

static void init_from(struct om_milenage *m, const cJSON *v, int aesni)
{
	uint8_t k[16], opc[16];
	vectors_hex(v, "K", k, 16);
	vectors_hex(v, "OPc", opc, 16);
	CHECK_INT(om_milenage_init(m, k, opc), 0);
	/* the context really is on the engine under test */
	CHECK(aesni ? m->evp == NULL : m->evp != NULL);
}

static void derives_opc_from_op(void)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vectors_list("milenage_TS35207", "test_sets"))
	{
		uint8_t k[16], op[16], opc[16];
		vectors_hex(v, "K", k, 16);
		vectors_hex(v, "OP", op, 16);
		CHECK_INT(om_milenage_opc(opc, k, op), 0);
		CHECK_HEX(opc, 16, vectors_str(v, "OPc"));
	}
}

static void matches_every_ts35207_set(int aesni)
{
	const cJSON *v;
	int sets = 0;
	cJSON_ArrayForEach(v, vectors_list("milenage_TS35207", "test_sets"))
	{
		struct om_milenage m;
		struct om_milenage_out o, o4;
		uint8_t rand[16], sqn[6], amf[2], autn[16];
		init_from(&m, v, aesni);
		vectors_hex(v, "RAND", rand, 16);
		vectors_hex(v, "SQN", sqn, 6);
		vectors_hex(v, "AMF", amf, 2);

		CHECK_INT(om_milenage_all(&m, rand, sqn, amf, &o), 0);
		CHECK_HEX(o.mac_a, 8, vectors_str(v, "f1_MAC_A"));
		CHECK_HEX(o.mac_s, 8, vectors_str(v, "f1star_MAC_S"));
		CHECK_HEX(o.res, 8, vectors_str(v, "f2_RES"));
		CHECK_HEX(o.ck, 16, vectors_str(v, "f3_CK"));
		CHECK_HEX(o.ik, 16, vectors_str(v, "f4_IK"));
		CHECK_HEX(o.ak, 6, vectors_str(v, "f5_AK"));
		CHECK_HEX(o.ak_s, 6, vectors_str(v, "f5star_AK"));

		/* AUTN = (SQN xor AK) || AMF || MAC-A (TS 33.102 6.3.2) */
		for (int i = 0; i < 6; i++)
			autn[i] = sqn[i] ^ o.ak[i];
		memcpy(autn + 6, amf, 2);
		memcpy(autn + 8, o.mac_a, 8);
		CHECK_HEX(autn, 16, vectors_str(v, "AUTN_with_AK"));

		/* the four-block call gives the same values and leaves ak_s alone */
		memset(&o4, 0xa5, sizeof(o4));
		CHECK_INT(om_milenage_f1_f5(&m, rand, sqn, amf, &o4), 0);
		CHECK_MEM(&o4, &o, offsetof(struct om_milenage_out, ak_s));
		uint8_t untouched[6];
		memset(untouched, 0xa5, 6);
		CHECK_MEM(o4.ak_s, untouched, 6);

		uint8_t mac_s[8], ak_s[6];
		CHECK_INT(om_milenage_f1s_f5s(&m, rand, sqn, amf, mac_s, ak_s), 0);
		CHECK_HEX(mac_s, 8, vectors_str(v, "f1star_MAC_S"));
		CHECK_HEX(ak_s, 6, vectors_str(v, "f5star_AK"));
		CHECK_INT(om_milenage_f1s_f5s(&m, rand, sqn, amf, NULL, ak_s), 0);
		CHECK_HEX(ak_s, 6, vectors_str(v, "f5star_AK"));
		CHECK_INT(om_milenage_f1s_f5s(&m, rand, sqn, amf, mac_s, NULL), 0);
		CHECK_HEX(mac_s, 8, vectors_str(v, "f1star_MAC_S"));

		om_milenage_clear(&m);
		sets++;
	}
	CHECK(sets >= 6);
}

/* AK* = f5*(RAND); SQN_MS = AUTS[0..5] xor AK*; MAC-S = f1*(SQN_MS, RAND,
 * AMF = 0000) equals AUTS[6..13] (TS 33.102 6.3.3). */
static void reproduces_published_auts(int aesni)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vectors_list("milenage_auts_resync_examples", "vectors"))
	{
		struct om_milenage m;
		uint8_t rand[16], auts[14], ak_s[6], sqn_ms[6], mac_s[8];
		const uint8_t amf0[2] = { 0, 0 };
		init_from(&m, v, aesni);
		vectors_hex(v, "RAND", rand, 16);
		vectors_hex(v, "AUTS", auts, 14);
		CHECK_INT(om_milenage_f1s_f5s(&m, rand, auts, amf0, NULL, ak_s), 0);
		CHECK_HEX(ak_s, 6, vectors_str(v, "AK_star"));
		for (int i = 0; i < 6; i++)
			sqn_ms[i] = auts[i] ^ ak_s[i];
		CHECK_HEX(sqn_ms, 6, vectors_str(v, "expected_SQN_MS"));
		CHECK_INT(om_milenage_f1s_f5s(&m, rand, sqn_ms, amf0, mac_s, NULL), 0);
		CHECK_HEX(mac_s, 8, vectors_str(v, "MAC_S_with_AMF_0000"));
		CHECK_MEM(mac_s, auts + 6, 8);
		om_milenage_clear(&m);
	}
}

static void clear_wipes_the_context(void)
{
	struct om_milenage m, zero;
	uint8_t k[16], opc[16];
	check_random(k, 16);
	check_random(opc, 16);
	for (int aesni = 0; aesni < 2; aesni++) {
		if (!select_engine(aesni))
			continue;
		CHECK_INT(om_milenage_init(&m, k, opc), 0);
		om_milenage_clear(&m);
		memset(&zero, 0, sizeof(zero));
		CHECK_MEM(&m, &zero, sizeof(m));
	}
}

static void engines_agree_on_random_inputs(void)
{
	if (!cpu_has_aesni)
		return;
	for (int n = 0; n < 200; n++) {
		struct om_milenage a, b;
		struct om_milenage_out oa, ob;
		uint8_t k[16], opc[16], rand[16], sqn[6], amf[2];
		check_random(k, 16);
		check_random(opc, 16);
		check_random(rand, 16);
		check_random(sqn, 6);
		check_random(amf, 2);
		select_engine(1);
		CHECK_INT(om_milenage_init(&a, k, opc), 0);
		select_engine(0);
		CHECK_INT(om_milenage_init(&b, k, opc), 0);
		CHECK_INT(om_milenage_all(&a, rand, sqn, amf, &oa), 0);
		CHECK_INT(om_milenage_all(&b, rand, sqn, amf, &ob), 0);
		CHECK_MEM(&oa, &ob, sizeof(oa));
		om_milenage_clear(&a);
		om_milenage_clear(&b);
	}
}

static void om_no_aesni_forces_openssl(void)
{
	CHECK_INT(setenv("OM_NO_AESNI", "1", 1), 0);
	om_milenage_force_fallback(0); /* decide again, reading the environment */
	CHECK(!om_milenage_uses_aesni());
	CHECK_INT(unsetenv("OM_NO_AESNI"), 0);
	om_milenage_force_fallback(0);
	CHECK_INT(om_milenage_uses_aesni(), cpu_has_aesni);
}

int main(void)
{
	const char *no = getenv("OM_NO_AESNI");
	if (no)
		unsetenv("OM_NO_AESNI"); /* this program decides which engine runs */
	om_milenage_force_fallback(0);
	cpu_has_aesni = om_milenage_uses_aesni();
	if (!cpu_has_aesni)
		printf("no AES-NI on this CPU: only the OpenSSL engine is checked\n");

	for (int aesni = 0; aesni < 2; aesni++) {
		if (!select_engine(aesni))
			continue;
		derives_opc_from_op();
		matches_every_ts35207_set(aesni);
		reproduces_published_auts(aesni);
	}
	clear_wipes_the_context();
	engines_agree_on_random_inputs();
	om_no_aesni_forces_openssl();
	return check_done();
}
