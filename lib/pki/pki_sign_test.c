/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signatures over M2MMobj / M2MMCIMMobj style data (B.2.3.4 II, V): each
 * scheme round-trips, and a wrong key, a changed message, a changed
 * signature and a downgrade to PKCS#1 v1.5 are each refused.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_testkit.h"

static const uint8_t msg[] = "{TRE info, nonceA, nonceB}";

/* A key with only its public half, as a verifier holds it. */
static EVP_PKEY *public_only(EVP_PKEY *k)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pub = NULL;
	CHECK_INT(om_key_encode_public(k, OM_ENC_DER, &der, &len), 0);
	CHECK_INT(om_key_decode_public(&pub, OM_ENC_DER, der, len), 0);
	om_pki_free(der, len);
	return pub;
}

static void round_trips_each_scheme(void)
{
	enum om_key_type types[] = { OM_KEY_EC_P256, OM_KEY_RSA_2048 };
	for (size_t t = 0; t < 2; t++) {
		EVP_PKEY *k = pt_key(types[t]), *pub = public_only(k);
		uint8_t sig[OM_SIG_MAX_LEN], sig2[OM_SIG_MAX_LEN];
		int n = om_sign(k, msg, sizeof(msg), sig);
		int n2 = om_sign(k, msg, sizeof(msg), sig2);
		if (types[t] == OM_KEY_EC_P256) {
			/* DER Ecdsa-Sig-Value: a SEQUENCE of two INTEGERs, at most 72 bytes */
			CHECK(n >= 8 && n <= 72 && sig[0] == 0x30 && sig[1] == n - 2);
		} else {
			CHECK_INT(n, 256);
		}
		CHECK_INT(om_verify(pub, msg, sizeof(msg), sig, (size_t)n), 0);
		CHECK_INT(om_verify(k, msg, sizeof(msg), sig, (size_t)n), 0);
		/* both schemes are randomised: two signatures differ, both verify */
		CHECK(n2 > 0 && (n != n2 || memcmp(sig, sig2, (size_t)n) != 0));
		CHECK_INT(om_verify(pub, msg, sizeof(msg), sig2, (size_t)n2), 0);
		/* the empty message is a message too */
		n = om_sign(k, NULL, 0, sig);
		CHECK(n > 0);
		CHECK_INT(om_verify(pub, NULL, 0, sig, (size_t)n), 0);
		CHECK_INT(om_verify(pub, msg, sizeof(msg), sig, (size_t)n), OM_EPKI_SIGNATURE);
		EVP_PKEY_free(k);
		EVP_PKEY_free(pub);
	}
}

static void refuses_wrong_key_message_or_signature(void)
{
	enum om_key_type types[] = { OM_KEY_EC_P256, OM_KEY_RSA_2048 };
	for (size_t t = 0; t < 2; t++) {
		EVP_PKEY *k = pt_key(types[t]), *other = pt_key(types[t]);
		uint8_t sig[OM_SIG_MAX_LEN + 1], m[sizeof(msg)];
		int n = om_sign(k, msg, sizeof(msg), sig);
		CHECK(n > 0);
		size_t len = (size_t)n;

		CHECK_INT(om_verify(other, msg, sizeof(msg), sig, len), OM_EPKI_SIGNATURE);

		int refused = 0;
		for (size_t bit = 0; bit < 8 * sizeof(msg); bit++) {
			memcpy(m, msg, sizeof(msg));
			m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			refused += om_verify(k, m, sizeof(m), sig, len) == OM_EPKI_SIGNATURE;
		}
		CHECK_INT(refused, 8 * sizeof(msg));
		CHECK_INT(om_verify(k, msg, sizeof(msg) - 1, sig, len), OM_EPKI_SIGNATURE);

		refused = 0;
		for (size_t i = 0; i < len; i++) {
			sig[i] ^= 0x40;
			refused += om_verify(k, msg, sizeof(msg), sig, len) == OM_EPKI_SIGNATURE;
			sig[i] ^= 0x40;
		}
		CHECK_INT(refused, len);
		CHECK_INT(om_verify(k, msg, sizeof(msg), sig, len - 1), OM_EPKI_SIGNATURE);
		sig[len] = 0; /* trailing byte: DER must be exact, RSA exactly 256 */
		CHECK_INT(om_verify(k, msg, sizeof(msg), sig, len + 1), OM_EPKI_SIGNATURE);
		CHECK_INT(om_verify(k, msg, sizeof(msg), sig, 0), OM_EPKI_SIGNATURE);
		/* nothing above changed the key or the signature */
		CHECK_INT(om_verify(k, msg, sizeof(msg), sig, len), 0);
		EVP_PKEY_free(k);
		EVP_PKEY_free(other);
	}
}

/* An RSA signature with OpenSSL directly: padding and PSS salt as given. */
static size_t raw_rsa_sign(EVP_PKEY *k, int padding, int saltlen, const char *mgf1,
			   uint8_t sig[static OM_SIG_MAX_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = OM_SIG_MAX_LEN;
	CHECK(EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, k, NULL) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, padding) == 1);
	if (padding == RSA_PKCS1_PSS_PADDING) {
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf1, NULL) == 1);
	}
	CHECK(EVP_DigestSign(ctx, sig, &n, msg, sizeof(msg)) == 1);
	EVP_MD_CTX_free(ctx);
	return n;
}

static void refuses_rsa_downgrade_to_pkcs1_v15(void)
{
	EVP_PKEY *k = pt_key(OM_KEY_RSA_2048);
	uint8_t sig[OM_SIG_MAX_LEN];

	/* a valid PKCS#1 v1.5 signature by the right key over the right message */
	size_t n = raw_rsa_sign(k, RSA_PKCS1_PADDING, 0, NULL, sig);
	CHECK_INT(n, 256);
	CHECK_INT(om_verify(k, msg, sizeof(msg), sig, n), OM_EPKI_SIGNATURE);
	/* PSS with another salt length or MGF1 hash is another scheme too */
	n = raw_rsa_sign(k, RSA_PKCS1_PSS_PADDING, 20, "SHA256", sig);
	CHECK_INT(om_verify(k, msg, sizeof(msg), sig, n), OM_EPKI_SIGNATURE);
	n = raw_rsa_sign(k, RSA_PKCS1_PSS_PADDING, 32, "SHA1", sig);
	CHECK_INT(om_verify(k, msg, sizeof(msg), sig, n), OM_EPKI_SIGNATURE);
	/* the control: exactly our parameters, made by OpenSSL directly */
	n = raw_rsa_sign(k, RSA_PKCS1_PSS_PADDING, 32, "SHA256", sig);
	CHECK_INT(om_verify(k, msg, sizeof(msg), sig, n), 0);
	EVP_PKEY_free(k);
}

static void refuses_signature_of_the_other_key_type(void)
{
	EVP_PKEY *ec = pt_key(OM_KEY_EC_P256), *rsa = pt_key(OM_KEY_RSA_2048);
	uint8_t es[OM_SIG_MAX_LEN], rs[OM_SIG_MAX_LEN];
	int en = om_sign(ec, msg, sizeof(msg), es), rn = om_sign(rsa, msg, sizeof(msg), rs);
	CHECK(en > 0 && rn > 0);
	CHECK_INT(om_verify(rsa, msg, sizeof(msg), es, (size_t)en), OM_EPKI_SIGNATURE);
	CHECK_INT(om_verify(ec, msg, sizeof(msg), rs, (size_t)rn), OM_EPKI_SIGNATURE);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void refuses_encryption_only_and_public_keys(void)
{
	EVP_PKEY *x = pt_key(OM_KEY_X25519), *ec = pt_key(OM_KEY_EC_P256), *pub = public_only(ec);
	uint8_t sig[OM_SIG_MAX_LEN];
	memset(sig, 0xa5, sizeof(sig));
	CHECK_INT(om_sign(x, msg, sizeof(msg), sig), OM_EPKI_KEY_TYPE);
	CHECK_INT(om_verify(x, msg, sizeof(msg), sig, 64), OM_EPKI_KEY_TYPE);
	CHECK_INT(om_sign(pub, msg, sizeof(msg), sig), OM_EINVAL);
	/* a refused signing leaves the output as it was */
	int untouched = 1;
	for (size_t i = 0; i < sizeof(sig); i++)
		untouched &= sig[i] == 0xa5;
	CHECK(untouched);
	EVP_PKEY_free(x);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(pub);
}

int main(void)
{
	round_trips_each_scheme();
	refuses_wrong_key_message_or_signature();
	refuses_rsa_downgrade_to_pkcs1_v15();
	refuses_signature_of_the_other_key_type();
	refuses_encryption_only_and_public_keys();
	return check_done();
}
