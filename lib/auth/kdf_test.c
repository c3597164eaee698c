/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HMAC-SHA-256 against RFC 4231, the TS 33.220 B.2 KDF input and KASME
 * (TS 33.401 A.2) against published vectors, and the PLMN id encoding.
 */
#include <openmcim/kdf.h>

#include "check.h"
#include "vectors.h"

static struct om_kdf kdf;

static void hmac_matches_rfc4231(void)
{
	const cJSON *v;
	int cases = 0;
	cJSON_ArrayForEach(v, vectors_list("hmac_sha256_RFC4231", "vectors"))
	{
		uint8_t key[256], data[256], want[32], got[32];
		size_t kl = vectors_hex_any(v, "key", key, sizeof(key));
		size_t dl = vectors_hex_any(v, "data", data, sizeof(data));
		size_t wl = vectors_hex_any(v, "hmac_sha256", want, sizeof(want));
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "truncated_to_bits");
		size_t cmp = cJSON_IsNumber(t) ? (size_t)t->valueint / 8 : 32;
		CHECK_INT(wl, cmp); /* the published value is exactly the truncation */
		CHECK_INT(om_hmac_sha256(&kdf, got, key, kl, data, dl), 0);
		CHECK_MSG(memcmp(got, want, cmp) == 0, "RFC 4231 case %d", cJSON_GetObjectItem(v, "case")->valueint);
		cases++;
	}
	CHECK_INT(cases, 7);
}

static void builds_the_published_kdf_input(void)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vectors_list("kasme_TS33401_A2", "vectors"))
	{
		uint8_t snid[3], sqn_ak[6], s[64];
		vectors_hex(v, "SN_id", snid, 3);
		vectors_hex(v, "SQN_xor_AK", sqn_ak, 6);
		struct om_kdf_param p[2] = { { snid, 3 }, { sqn_ak, 6 } };
		int n = om_kdf_input(s, sizeof(s), OM_KDF_FC_KASME, p, 2);
		CHECK_INT(n, 14);
		if (n == 14)
			CHECK_HEX(s, 14, vectors_str(v, "kdf_input_S"));
	}
}

static void kasme_matches_published_vectors(void)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vectors_list("kasme_TS33401_A2", "vectors"))
	{
		uint8_t ck[16], ik[16], snid[3], sqn[6], ak[6], sqn_ak[6], kasme[32], key[32], s[14];
		vectors_hex(v, "CK", ck, 16);
		vectors_hex(v, "IK", ik, 16);
		vectors_hex(v, "SN_id", snid, 3);
		vectors_hex(v, "SQN", sqn, 6);
		vectors_hex(v, "AK", ak, 6);
		for (int i = 0; i < 6; i++)
			sqn_ak[i] = sqn[i] ^ ak[i];
		CHECK_HEX(sqn_ak, 6, vectors_str(v, "SQN_xor_AK"));

		CHECK_INT(om_kdf_kasme(&kdf, kasme, ck, ik, snid, sqn_ak), 0);
		CHECK_HEX(kasme, 32, vectors_str(v, "KASME"));

		/* the generic KDF and a plain HMAC over S agree with it */
		memcpy(key, ck, 16);
		memcpy(key + 16, ik, 16);
		struct om_kdf_param p[2] = { { snid, 3 }, { sqn_ak, 6 } };
		memset(kasme, 0, 32);
		CHECK_INT(om_kdf_derive(&kdf, kasme, key, 32, OM_KDF_FC_KASME, p, 2), 0);
		CHECK_HEX(kasme, 32, vectors_str(v, "KASME"));
		vectors_hex(v, "kdf_input_S", s, 14);
		memset(kasme, 0, 32);
		CHECK_INT(om_hmac_sha256(&kdf, kasme, key, 32, s, 14), 0);
		CHECK_HEX(kasme, 32, vectors_str(v, "KASME"));
	}
}

/*
 * The published serving network ids, read digit by digit with TS 24.008
 * 10.5.1.13: 02f843 is MCC 208 MNC 34, 21f354 is MCC 123 MNC 45, 024830 is
 * MCC 208 with the 3-digit MNC 034 (the JSON note's "MNC 93" does not match
 * its own bytes under that encoding).
 */
static void encodes_plmn_ids_as_published(void)
{
	static const struct {
		int kase;
		const char *mcc, *mnc;
	} plmn[] = { { 1, "208", "034" }, { 2, "208", "34" }, { 3, "123", "45" } };
	const cJSON *list = vectors_list("kasme_TS33401_A2", "vectors");
	for (size_t i = 0; i < sizeof(plmn) / sizeof(plmn[0]); i++) {
		const cJSON *v;
		cJSON_ArrayForEach(v, list)
		{
			if (cJSON_GetObjectItem(v, "case")->valueint != plmn[i].kase)
				continue;
			uint8_t snid[3];
			CHECK_INT(om_plmn_encode(snid, plmn[i].mcc, plmn[i].mnc), 0);
			CHECK_HEX(snid, 3, vectors_str(v, "SN_id"));
		}
	}
}

static void refuses_malformed_plmn(void)
{
	static const char *const bad[][2] = {
		{ "20", "34" },  { "2081", "34" }, { "2a8", "34" }, { "208", "3" },
		{ "208", "3456" }, { "208", "3x" }, { "208", "" }, { "", "34" },
		{ "20 ", "34" }, { "208", "-1" }, { NULL, "34" }, { "208", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t snid[3] = { 0xa5, 0xa5, 0xa5 };
		CHECK_INT(om_plmn_encode(snid, bad[i][0], bad[i][1]), OM_EAUTH_PLMN);
		CHECK(snid[0] == 0xa5 && snid[1] == 0xa5 && snid[2] == 0xa5);
	}
}

static void kdf_input_refuses_what_does_not_fit(void)
{
	static uint8_t big[0x10000];
	uint8_t s[16], before[16];
	memset(s, 0x5a, sizeof(s));
	memcpy(before, s, sizeof(s));
	struct om_kdf_param small[2] = { { big, 7 }, { big, 7 } }; /* needs 1 + 9 + 9 */
	CHECK_INT(om_kdf_input(s, sizeof(s), 0x10, small, 2), OM_ENOSPC);
	CHECK_MEM(s, before, sizeof(s));
	struct om_kdf_param huge[1] = { { big, 0x10000 } }; /* L0 would not fit 2 octets */
	CHECK_INT(om_kdf_input(s, sizeof(s), 0x10, huge, 1), OM_ELENGTH);
	CHECK_MEM(s, before, sizeof(s));

	uint8_t out[32], zero[32] = { 0 };
	memset(out, 0x5a, sizeof(out));
	CHECK_INT(om_kdf_derive(&kdf, out, big, 16, 0x10, huge, 1), OM_ELENGTH);
	CHECK_MEM(out, zero, sizeof(out));
}

static void unset_context_is_refused(void)
{
	struct om_kdf none = { 0 };
	uint8_t out[32], zero[32] = { 0 }, key[16] = { 1 };
	memset(out, 0x5a, sizeof(out));
	CHECK_INT(om_hmac_sha256(&none, out, key, 16, key, 16), OM_EINVAL);
	CHECK_MEM(out, zero, sizeof(out));
	om_kdf_clear(&none); /* clearing a zeroed context is harmless */
	CHECK(none.ctx == NULL && none.md == NULL);
}

int main(void)
{
	if (om_kdf_init(&kdf) != 0) {
		fprintf(stderr, "om_kdf_init failed\n");
		return 1;
	}
	hmac_matches_rfc4231();
	builds_the_published_kdf_input();
	kasme_matches_published_vectors();
	encodes_plmn_ids_as_published();
	refuses_malformed_plmn();
	kdf_input_refuses_what_does_not_fit();
	unset_context_is_refused();
	om_kdf_clear(&kdf);
	CHECK(kdf.ctx == NULL);
	return check_done();
}
