/* SPDX-License-Identifier: Apache-2.0 */
/*
 * om_cert_pubkey_decode (issue 14): the key of a TRE's two certificates
 * (P-256 signing, X25519 encryption) and of an RSA one (the d2i_PUBKEY way)
 * is the key om_cert_decode gives; a P-256 point moved off the curve, a
 * cut or lengthened certificate, and bytes that are no certificate are
 * OM_EPKI_MALFORMED with *out NULL. Faster than the whole decoding, timed.
 * P-256 keys are copies of one key made once, given their own point
 * (cert.c pki_p256_public): two certificates give two keys, each checks its
 * own signatures only, and a copy taken after many others is still right.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_testkit.h"

static void same_key(const uint8_t *der, size_t len, const char *what)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	CHECK_INT(om_cert_decode(&x, OM_ENC_DER, der, len), 0);
	CHECK_MSG(om_cert_pubkey_decode(&k, der, len) == 0 && k, "%s: no key", what);
	CHECK_MSG(x && k && EVP_PKEY_eq(X509_get0_pubkey(x), k) == 1, "%s: another key", what);
	EVP_PKEY_free(k);
	X509_free(x);
}

static void refused(const uint8_t *der, size_t len, const char *what)
{
	EVP_PKEY *k = (EVP_PKEY *)&k;
	CHECK_MSG(om_cert_pubkey_decode(&k, der, len) == OM_EPKI_MALFORMED && k == NULL, "%s: accepted", what);
}

/* Where the key bytes of a SubjectPublicKeyInfo ending with len key bytes start in der, or NULL. */
static uint8_t *key_at(uint8_t *der, size_t der_len, const uint8_t *key, size_t len)
{
	for (size_t i = 0; i + len <= der_len; i++)
		if (!memcmp(der + i, key, len))
			return der + i;
	return NULL;
}

#define PKI_P256_SPKI_LEN_T 91 /* SEQUENCE { id-ecPublicKey, prime256v1 }, the uncompressed point */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	EVP_PKEY *cak = pt_key(OM_KEY_EC_P256), *sig = pt_key(OM_KEY_EC_P256), *enc = pt_key(OM_KEY_X25519);
	EVP_PKEY *rsa = pt_key(OM_KEY_RSA_2048);
	struct om_ca *ca = NULL;
	X509_REQ *csr = NULL;
	uint8_t *sd = NULL, *ed = NULL, *rd = NULL;
	size_t sl = 0, el = 0, rl = 0;
	CHECK_INT(om_ca_create(&ca, cak, "PVA", 0, 0), 0);
	CHECK_INT(om_csr_create(&csr, sig, "TRE-1", enc), 0);
	CHECK_INT(om_ca_issue_tre(ca, csr, "TRE-1", 0, 0, &sd, &sl, &ed, &el), 0);
	X509 *rc = ca ? pt_issue(ca, rsa, OM_CERT_OPERATOR_TLS, "op.lab", 0, 0, "op.lab") : NULL;
	CHECK(rc && om_cert_encode(rc, OM_ENC_DER, &rd, &rl) == 0);
	if (!sd || !ed || !rd)
		return check_done();

	same_key(sd, sl, "P-256 signing certificate");
	same_key(ed, el, "X25519 encryption certificate");
	same_key(rd, rl, "RSA certificate");

	/* two P-256 certificates (the TRE's and its CA's), two keys: a copy never keeps another's point */
	uint8_t *cd = NULL, msg[] = "M2MMobj", s1[OM_SIG_MAX_LEN], s2[OM_SIG_MAX_LEN];
	size_t cl = 0;
	EVP_PKEY *k1 = NULL, *k2 = NULL, *k3 = NULL;
	int n1 = om_sign(sig, msg, sizeof(msg), s1), n2 = om_sign(cak, msg, sizeof(msg), s2);
	CHECK(n1 > 0 && n2 > 0);
	CHECK_INT(om_cert_encode(om_ca_cert(ca), OM_ENC_DER, &cd, &cl), 0);
	CHECK_INT(om_cert_pubkey_decode(&k1, sd, sl), 0);
	CHECK_INT(om_cert_pubkey_decode(&k2, cd, cl), 0);
	CHECK(k1 && k2 && EVP_PKEY_eq(k1, sig) == 1 && EVP_PKEY_eq(k2, cak) == 1 && EVP_PKEY_eq(k1, k2) != 1);
	CHECK(om_key_type_of(k1) == OM_KEY_EC_P256 && om_key_type_of(k2) == OM_KEY_EC_P256);
	CHECK_INT(om_verify(k1, msg, sizeof(msg), s1, (size_t)n1), 0);
	CHECK_INT(om_verify(k2, msg, sizeof(msg), s2, (size_t)n2), 0);
	CHECK_INT(om_verify(k1, msg, sizeof(msg), s2, (size_t)n2), OM_EPKI_SIGNATURE);
	CHECK_INT(om_verify(k2, msg, sizeof(msg), s1, (size_t)n1), OM_EPKI_SIGNATURE);
	/* the point the copies start from is never changed by one: the first key again, after the second */
	CHECK_INT(om_cert_pubkey_decode(&k3, sd, sl), 0);
	CHECK(k3 && EVP_PKEY_eq(k3, k1) == 1 && EVP_PKEY_eq(k3, k2) != 1);
	/* its SubjectPublicKeyInfo is the certificate's, byte for byte */
	uint8_t *pd = NULL;
	size_t pdl = 0;
	CHECK_INT(om_key_encode_public(k1, OM_ENC_DER, &pd, &pdl), 0);
	CHECK(pd && pdl == PKI_P256_SPKI_LEN_T && key_at(sd, sl, pd, pdl) != NULL);
	om_pki_free(pd, pdl);
	om_pki_free(cd, cl);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);

	/* the P-256 point with its y changed: off the curve, refused (as om_cert_decode's key is) */
	uint8_t pub[65];
	size_t pl = 0;
	CHECK(EVP_PKEY_get_octet_string_param(sig, "encoded-pub-key", pub, sizeof(pub), &pl) == 1 && pl == 65);
	uint8_t *bad = malloc(sl), *at = bad ? key_at(memcpy(bad, sd, sl), sl, pub, 65) : NULL;
	CHECK(at != NULL);
	if (at) {
		at[64] ^= 0x01;
		refused(bad, sl, "a point off the curve");
	}
	free(bad);
	refused(sd, sl - 1, "a cut certificate");
	uint8_t *longer = malloc(sl + 1);
	if (longer) {
		memcpy(longer, sd, sl);
		longer[sl] = 0;
		refused(longer, sl + 1, "a byte after the certificate");
	}
	free(longer);
	refused(sd + 4, sl - 4, "the TBSCertificate alone");
	refused((const uint8_t *)"\x30\x03\x02\x01\x01", 5, "a sequence with an integer");
	refused((const uint8_t *)"\x30\x80\x00\x00", 4, "an indefinite length");
	refused((const uint8_t *)"", 0, "nothing");
	EVP_PKEY *k = NULL;
	CHECK_INT(om_cert_pubkey_decode(&k, NULL, 0), OM_EINVAL);

	/* what it is for: the key without the certificate's decoding (no certificate cache: all distinct) */
	enum { N = 100 };
	double t0 = now();
	for (unsigned i = 0; i < N; i++) {
		sd[sl - 1] ^= (uint8_t)(i + 1); /* a byte of the signature: another certificate, the same key */
		X509 *x = NULL;
		CHECK_INT(om_cert_decode(&x, OM_ENC_DER, sd, sl), 0);
		X509_free(x);
		sd[sl - 1] ^= (uint8_t)(i + 1);
	}
	double t1 = now();
	for (unsigned i = 0; i < N; i++) {
		EVP_PKEY *p = NULL;
		CHECK_INT(om_cert_pubkey_decode(&p, sd, sl), 0);
		EVP_PKEY_free(p);
	}
	double t2 = now();
	fprintf(stderr, "P-256 certificate: om_cert_decode %.0f us, om_cert_pubkey_decode %.0f us\n",
		(t1 - t0) / N * 1e6, (t2 - t1) / N * 1e6);

	X509_free(rc);
	X509_REQ_free(csr);
	om_pki_free(sd, sl);
	om_pki_free(ed, el);
	om_pki_free(rd, rl);
	om_ca_free(ca);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sig);
	EVP_PKEY_free(enc);
	EVP_PKEY_free(rsa);
	return check_done();
}
