/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OMA DM credentials against golden values computed independently
 * (Python hashlib/base64, research/oma-dm-cp-and-peers.md 1.4), not with
 * our code.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/provider.h>

#include <openmcim/dm.h>

#include "check.h"

static const char user[] = "IMEI:490154203237518";
static const char pass[] = "clientsecret";
static const uint8_t nonce[] = {'N', 'o', 'n', 'c', 'e'}; /* NextNonce "Tm9uY2U=" */
static const char body[] = "<SyncML xmlns=\"SYNCML:SYNCML1.2\"></SyncML>";

static void test_basic_matches_golden(void)
{
	char out[128];
	int n = om_dm_auth_basic(user, pass, out, sizeof(out));
	CHECK_INT(n, 44);
	CHECK(strcmp(out, "SU1FSTo0OTAxNTQyMDMyMzc1MTg6Y2xpZW50c2VjcmV0") == 0);
	CHECK_INT(om_dm_auth_basic(user, pass, out, 44), OM_ENOSPC);
}

static void test_md5_matches_golden(void)
{
	char cred[OM_DM_B64_MD5_LEN + 1];
	CHECK_INT(om_dm_md5_cred(user, pass, nonce, sizeof(nonce), cred), 0);
	CHECK(strcmp(cred, "u5trnS7xODKycWAd1ZZPAg==") == 0);
	CHECK_INT(om_dm_cred_check("u5trnS7xODKycWAd1ZZPAg==", cred), 0);
	CHECK_INT(om_dm_cred_check("u5trnS7xODKycWAd1ZZPAh==", cred), OM_EDM_CRED);
	CHECK_INT(om_dm_cred_check("u5trnS7xODKycWAd1ZZPAg=", cred), OM_EDM_CRED);
	/* another nonce, another credential */
	CHECK_INT(om_dm_md5_cred(user, pass, (const uint8_t *)"Noncf", 5, cred), 0);
	CHECK(strcmp(cred, "u5trnS7xODKycWAd1ZZPAg==") != 0);
}

/* The split form: the inner digest from elsewhere (a TRE, a server's store). */
static void test_split_form_gives_the_same_values(void)
{
	char inner[OM_DM_B64_MD5_LEN + 1], cred[OM_DM_B64_MD5_LEN + 1], mac[OM_DM_B64_MD5_LEN + 1];
	uint8_t x[64];
	CHECK_INT(om_dm_md5_inner(user, pass, inner), 0);
	CHECK(strcmp(inner, "hIdIvpN8i2B3q6z85fwSXQ==") == 0); /* B64(MD5(user:pass)), Python */
	CHECK_INT(om_dm_md5_digest(inner, nonce, sizeof(nonce), cred), 0);
	CHECK(strcmp(cred, "u5trnS7xODKycWAd1ZZPAg==") == 0);
	int n = om_dm_hmac_input(nonce, sizeof(nonce), (const uint8_t *)body, strlen(body), x, sizeof(x));
	CHECK_INT(n, (int)sizeof(nonce) + 1 + OM_DM_B64_MD5_LEN);
	CHECK(memcmp(x, "Nonce:", 6) == 0);
	CHECK_INT(om_dm_md5_digest(inner, x, (size_t)n, mac), 0);
	CHECK(strcmp(mac, "e+ICJVru5oMYOvXviagOtQ==") == 0);
	CHECK_INT(om_dm_hmac_input(nonce, sizeof(nonce), (const uint8_t *)body, strlen(body), x, 29), OM_ENOSPC);
	char bad[OM_DM_B64_MD5_LEN + 1] = "short";
	CHECK_INT(om_dm_md5_digest(bad, nonce, sizeof(nonce), cred), OM_EINVAL);
}

static void test_hmac_header_matches_golden(void)
{
	char mac[OM_DM_B64_MD5_LEN + 1], hdr[160], u[64], m2[OM_DM_B64_MD5_LEN + 1];
	CHECK_INT(om_dm_hmac_mac(user, pass, nonce, sizeof(nonce), (const uint8_t *)body, strlen(body), mac), 0);
	CHECK(strcmp(mac, "e+ICJVru5oMYOvXviagOtQ==") == 0);
	int n = om_dm_hmac_header(user, mac, hdr, sizeof(hdr));
	CHECK(n > 0);
	CHECK(strcmp(hdr, "algorithm=MD5, username=\"IMEI:490154203237518\", mac=e+ICJVru5oMYOvXviagOtQ==") == 0);
	CHECK_INT(om_dm_hmac_header_parse(hdr, u, sizeof(u), m2), 0);
	CHECK(strcmp(u, user) == 0 && strcmp(m2, mac) == 0);
	/* another order, no spaces, algorithm left out (MD5 is the default) */
	CHECK_INT(om_dm_hmac_header_parse("mac=e+ICJVru5oMYOvXviagOtQ==,username=\"a b\"", u, sizeof(u), m2), 0);
	CHECK(strcmp(u, "a b") == 0);
	CHECK_INT(om_dm_hmac_header_parse("algorithm=SHA1, username=\"a\", mac=e+ICJVru5oMYOvXviagOtQ==", u,
					  sizeof(u), m2),
		  OM_EDM_HMAC_HEADER);
	CHECK_INT(om_dm_hmac_header_parse("username=\"a\"", u, sizeof(u), m2), OM_EDM_HMAC_HEADER);
	CHECK_INT(om_dm_hmac_header_parse("username=\"a, mac=e+ICJVru5oMYOvXviagOtQ==", u, sizeof(u), m2),
		  OM_EDM_HMAC_HEADER);
	CHECK_INT(om_dm_hmac_header_parse("username=\"a\", mac=e+ICJVru5oMYOvXviagOtQ==, x=1", u, sizeof(u), m2),
		  OM_EDM_HMAC_HEADER);
	CHECK_INT(om_dm_hmac_header_parse("username=\"a\", username=\"b\", mac=e+ICJVru5oMYOvXviagOtQ==", u,
					  sizeof(u), m2),
		  OM_EDM_HMAC_HEADER);
	CHECK_INT(om_dm_hmac_header("a\"b", mac, hdr, sizeof(hdr)), OM_EINVAL);
	CHECK_INT(om_dm_hmac_header(user, mac, hdr, 20), OM_ENOSPC);
}

/*
 * A thread on a library context of its own gets MD5 from that context's
 * providers, not from a digest kept on the process-wide one (issue 14's
 * kept fetch): with only the null provider there it has none.
 */
static void test_own_context_decides(void)
{
	char inner[OM_DM_B64_MD5_LEN + 1];
	CHECK_INT(om_dm_md5_inner(user, pass, inner), 0); /* the kept MD5 fetched first */
	OSSL_LIB_CTX *own = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *null = own ? OSSL_PROVIDER_load(own, "null") : NULL;
	CHECK(own != NULL && null != NULL);
	OSSL_LIB_CTX *prev = OSSL_LIB_CTX_set0_default(own);
	CHECK_INT(om_dm_md5_inner(user, pass, inner), OM_ECRYPTO);
	OSSL_LIB_CTX_set0_default(prev);
	OSSL_PROVIDER_unload(null);
	OSSL_LIB_CTX_free(own);
	CHECK_INT(om_dm_md5_inner(user, pass, inner), 0);
}

int main(void)
{
	test_basic_matches_golden();
	test_md5_matches_golden();
	test_split_form_gives_the_same_values();
	test_hmac_header_matches_golden();
	test_own_context_decides();
	return check_done();
}
