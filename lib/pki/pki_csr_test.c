/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSR creation sets P-256 and X25519 keys from their raw bytes instead of
 * OpenSSL's encoder (lib/pki/csr.c): the request must be byte for byte the
 * one X509_REQ_set_pubkey() and i2d_PUBKEY() would have made, and usable as
 * any OpenSSL request.
 */
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_testkit.h"

/* The request as OpenSSL's own calls make it, unsigned: only its body counts. */
static X509_REQ *slow_csr(EVP_PKEY *sign, const char *cn, const EVP_PKEY *enc)
{
	X509_REQ *req = X509_REQ_new();
	unsigned char *spki = NULL;
	CHECK(req && X509_REQ_set_version(req, X509_REQ_VERSION_1));
	CHECK(X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
					 V_ASN1_UTF8STRING, (const unsigned char *)cn, -1, -1, 0));
	CHECK(X509_REQ_set_pubkey(req, sign));
	if (enc) {
		int n = i2d_PUBKEY(enc, &spki);
		CHECK(n > 0 && X509_REQ_add1_attr_by_NID(req, OBJ_txt2nid(OM_OID_ENCRYPTION_KEY),
							 V_ASN1_SEQUENCE, spki, n));
		OPENSSL_free(spki);
	}
	return req;
}

static void check_same_body(enum om_key_type sign_type, enum om_key_type enc_type, int with_enc)
{
	EVP_PKEY *sign = pt_key(sign_type), *enc = with_enc ? pt_key(enc_type) : NULL;
	X509_REQ *fast = NULL, *slow;
	unsigned char *a = NULL, *b = NULL;
	int alen, blen;

	CHECK_INT(om_csr_create(&fast, sign, "TRE-00000001", enc), 0);
	slow = slow_csr(sign, "TRE-00000001", enc);
	alen = i2d_re_X509_REQ_tbs(fast, &a);
	blen = i2d_re_X509_REQ_tbs(slow, &b);
	CHECK_MSG(alen > 0 && alen == blen, "sign %d enc %d: %d vs %d bytes", sign_type,
		  with_enc ? (int)enc_type : 0, alen, blen);
	if (alen > 0 && alen == blen)
		CHECK_MEM(a, b, (size_t)alen);
	/* the request carries its key like one OpenSSL made */
	CHECK(X509_REQ_get0_pubkey(fast) && EVP_PKEY_eq(X509_REQ_get0_pubkey(fast), sign) == 1);
	CHECK_INT(X509_REQ_verify(fast, sign), 1);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_REQ_free(fast);
	X509_REQ_free(slow);
	EVP_PKEY_free(sign);
	EVP_PKEY_free(enc);
}

static void fast_keys_encode_as_openssl_does(void)
{
	/* fresh keys each round: a point or key with leading zero bytes is caught too */
	for (int i = 0; i < 20; i++) {
		check_same_body(OM_KEY_EC_P256, OM_KEY_X25519, 1);
		check_same_body(OM_KEY_EC_P256, OM_KEY_EC_P256, 1);
		check_same_body(OM_KEY_EC_P256, 0, 0);
	}
}

static void rsa_keys_take_the_encoder_with_the_same_result(void)
{
	check_same_body(OM_KEY_EC_P256, OM_KEY_RSA_2048, 1);
	check_same_body(OM_KEY_RSA_2048, OM_KEY_X25519, 1);
}

/* A P-256 key set to compressed points is encoded compressed by OpenSSL:
 * the raw-bytes path must not turn it into an uncompressed one. */
static void compressed_point_keys_keep_their_form(void)
{
	EVP_PKEY *enc = pt_key(OM_KEY_EC_P256);
	CHECK(EVP_PKEY_set_utf8_string_param(enc, "point-format", "compressed") == 1);
	unsigned char *spki = NULL;
	CHECK_INT(i2d_PUBKEY(enc, &spki), 59);
	OPENSSL_free(spki);
	EVP_PKEY *sign = pt_key(OM_KEY_EC_P256);
	X509_REQ *fast = NULL, *slow;
	unsigned char *a = NULL, *b = NULL;
	CHECK_INT(om_csr_create(&fast, sign, "TRE-2", enc), 0);
	slow = slow_csr(sign, "TRE-2", enc);
	int alen = i2d_re_X509_REQ_tbs(fast, &a), blen = i2d_re_X509_REQ_tbs(slow, &b);
	CHECK(alen > 0 && alen == blen);
	if (alen > 0 && alen == blen)
		CHECK_MEM(a, b, (size_t)alen);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_REQ_free(fast);
	X509_REQ_free(slow);
	EVP_PKEY_free(sign);
	EVP_PKEY_free(enc);
}

int main(void)
{
	fast_keys_encode_as_openssl_does();
	rsa_keys_take_the_encoder_with_the_same_result();
	compressed_point_keys_keep_their_form();
	return check_done();
}
