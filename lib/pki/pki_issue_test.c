/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manufacture (B.2.2.1): the PVA's CA and an SHO's root, a TRE's two key
 * pairs and its CSR, issuance for each profile, and every CSR or request
 * the CA must refuse, with nothing issued.
 */
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_testkit.h"

#define DAY ((time_t)24 * 3600)

static struct om_ca *ca_new(EVP_PKEY *k, const char *cn)
{
	struct om_ca *ca = NULL;
	CHECK_INT(om_ca_create(&ca, k, cn, 0, 0), 0);
	return ca;
}

/* Whether t is the instant want, to the second. */
static int same_time(const ASN1_TIME *t, time_t want)
{
	ASN1_TIME *w = ASN1_TIME_set(NULL, want);
	int days = -1, secs = -1;
	int ok = w && ASN1_TIME_diff(&days, &secs, t, w) && days == 0 && secs == 0;
	ASN1_TIME_free(w);
	return ok;
}

static int ext_critical(X509 *cert, int nid)
{
	int at = X509_get_ext_by_NID(cert, nid, -1);
	return at < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(cert, at));
}

static int has_eku(X509 *cert, const char *oid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	ASN1_OBJECT *want = OBJ_txt2obj(oid, 1);
	int found = 0;
	for (int i = 0; eku && want && i < sk_ASN1_OBJECT_num(eku); i++)
		found |= OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0;
	EXTENDED_KEY_USAGE_free(eku);
	ASN1_OBJECT_free(want);
	return found;
}

static void pva_and_sho_roots_are_self_signed_cas(void)
{
	EVP_PKEY *pk = pt_key(OM_KEY_EC_P256), *sk = pt_key(OM_KEY_RSA_2048);
	struct om_ca *pva = ca_new(pk, "PVA Example TRE Manufacturer");
	struct om_ca *sho = ca_new(sk, "SHO-00101");
	char cn[OM_NAME_MAX_LEN + 1];

	for (int i = 0; i < 2; i++) {
		X509 *c = om_ca_cert(i ? sho : pva);
		CHECK(c != NULL);
		CHECK_INT(om_cert_check_profile(c, OM_CERT_ROOT_CA), 0);
		CHECK_INT(X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)), 0);
		CHECK_INT(X509_verify(c, X509_get0_pubkey(c)), 1);
		CHECK_INT(X509_check_ca(c), 1);
		CHECK_INT(ext_critical(c, NID_basic_constraints), 1);
		CHECK_INT(ext_critical(c, NID_key_usage), 1);
		CHECK_INT(ext_critical(c, NID_ext_key_usage), -1);
		CHECK_INT(X509_get_key_usage(c), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		/* self-signed: AKI = SKI */
		CHECK(X509_get0_subject_key_id(c) && X509_get0_authority_key_id(c) &&
		      ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(c),
					    X509_get0_authority_key_id(c)) == 0);
	}
	/* 25 years from now ends after 2049: GeneralizedTime (RFC 5280 4.1.2.5) */
	CHECK_INT(ASN1_STRING_type(X509_get0_notAfter(om_ca_cert(pva))), V_ASN1_GENERALIZEDTIME);
	CHECK_INT(ASN1_STRING_type(X509_get0_notBefore(om_ca_cert(pva))), V_ASN1_UTCTIME);
	CHECK_INT(om_cert_subject_cn(om_ca_cert(sho), cn), 9);
	CHECK(strcmp(cn, "SHO-00101") == 0);
	/* the default lifetime is the profile's */
	time_t now = time(NULL);
	CHECK(X509_cmp_time(X509_get0_notAfter(om_ca_cert(pva)), &now) > 0);
	time_t late = now + om_cert_default_validity(OM_CERT_ROOT_CA) + DAY;
	CHECK(X509_cmp_time(X509_get0_notAfter(om_ca_cert(pva)), &late) < 0);
	om_ca_free(pva);
	om_ca_free(sho);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(sk);
}

static void tre_gets_signing_and_encryption_certificates(void)
{
	EVP_PKEY *cak = pt_key(OM_KEY_EC_P256), *sig = pt_key(OM_KEY_EC_P256), *enc = pt_key(OM_KEY_X25519);
	struct om_ca *pva = ca_new(cak, "PVA");
	X509_REQ *csr = NULL;
	X509 *sc = NULL, *ec = NULL;
	char cn[OM_NAME_MAX_LEN + 1];
	time_t nb = time(NULL), na = nb + 10 * 365 * DAY;

	CHECK_INT(om_csr_create(&csr, sig, "TRE-0000000000000001", enc), 0);
	CHECK_INT(pt_issue_tre(pva, csr, "TRE-0000000000000001", nb, na, &sc, &ec), 0);
	CHECK(sc && ec);
	CHECK_INT(om_cert_check_profile(sc, OM_CERT_TRE_SIGNING), 0);
	CHECK_INT(om_cert_check_profile(ec, OM_CERT_TRE_ENCRYPTION), 0);
	CHECK_INT(EVP_PKEY_eq(X509_get0_pubkey(sc), sig), 1);
	CHECK_INT(EVP_PKEY_eq(X509_get0_pubkey(ec), enc), 1);
	CHECK_INT(om_cert_subject_cn(sc, cn), 20);
	CHECK(strcmp(cn, "TRE-0000000000000001") == 0);
	CHECK_INT(om_cert_subject_cn(ec, cn), 20);
	CHECK(strcmp(cn, "TRE-0000000000000001") == 0);
	CHECK_INT(X509_get_key_usage(sc), KU_DIGITAL_SIGNATURE);
	CHECK_INT(X509_get_key_usage(ec), KU_KEY_AGREEMENT);
	CHECK(has_eku(sc, OM_OID_TRE_SIGNING) && !has_eku(sc, OM_OID_TRE_ENCRYPTION));
	CHECK(has_eku(ec, OM_OID_TRE_ENCRYPTION) && !has_eku(ec, OM_OID_TRE_SIGNING));
	/* issued by the PVA: AKI = the CA's SKI, signature by the CA's key */
	CHECK_INT(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(sc),
					X509_get0_subject_key_id(om_ca_cert(pva))), 0);
	CHECK_INT(X509_verify(sc, cak), 1);
	CHECK_INT(X509_verify(ec, cak), 1);
	/* validity exactly as asked, the same for both */
	CHECK(same_time(X509_get0_notBefore(sc), nb) && same_time(X509_get0_notAfter(sc), na));
	CHECK(same_time(X509_get0_notBefore(ec), nb) && same_time(X509_get0_notAfter(ec), na));
	X509_free(sc);
	X509_free(ec);
	X509_REQ_free(csr);
	om_ca_free(pva);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sig);
	EVP_PKEY_free(enc);
}

/* 159-bit serials: positive, at most 20 octets, different every time. */
static void serial_numbers_are_random_and_positive(void)
{
	EVP_PKEY *cak = pt_key(OM_KEY_EC_P256), *k = pt_key(OM_KEY_EC_P256);
	struct om_ca *ca = ca_new(cak, "PVA");
	X509_REQ *csr = NULL;
	X509 *a = NULL, *b = NULL;
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-1", 0, 0, NULL, NULL };

	CHECK_INT(om_csr_create(&csr, k, "TRE-1", NULL), 0);
	CHECK_INT(om_ca_issue(ca, csr, &req, &a), 0);
	CHECK_INT(om_ca_issue(ca, csr, &req, &b), 0);
	for (int i = 0; a && b && i < 2; i++) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(i ? b : a), NULL);
		CHECK(bn && !BN_is_negative(bn) && !BN_is_zero(bn) && BN_num_bits(bn) <= 159);
		/* 159 random bits: fewer than 128 would be a 2^-31 event */
		CHECK(bn && BN_num_bits(bn) > 128);
		BN_free(bn);
	}
	CHECK(a && b && ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)) != 0);
	X509_free(a);
	X509_free(b);
	X509_REQ_free(csr);
	om_ca_free(ca);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(k);
}

static void operator_and_ocsp_profiles_have_their_extensions(void)
{
	EVP_PKEY *cak = pt_key(OM_KEY_EC_P256), *k = pt_key(OM_KEY_EC_P256), *rk = pt_key(OM_KEY_RSA_2048);
	struct om_ca *sho = ca_new(cak, "SHO-1");
	X509_REQ *csr = NULL, *rcsr = NULL;
	X509 *tls = NULL, *ocsp = NULL, *ss = NULL;

	CHECK_INT(om_ca_set_ocsp_url(sho, "http://ocsp.pva.example:8080/"), 0);
	CHECK_INT(om_csr_create(&csr, k, "SHO-1", NULL), 0);
	CHECK_INT(om_csr_create(&rcsr, rk, "SHO-1", NULL), 0);
	struct om_issue t = { OM_CERT_OPERATOR_TLS, "SHO-1", 0, 0, "dpf.sho1.example", NULL };
	CHECK_INT(om_ca_issue(sho, csr, &t, &tls), 0);
	struct om_issue o = { OM_CERT_OCSP_RESPONDER, "SHO-1", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(sho, csr, &o, &ocsp), 0);
	struct om_issue s = { OM_CERT_SHO_SIGNING, "SHO-1", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(sho, rcsr, &s, &ss), 0);

	CHECK_INT(om_cert_check_profile(tls, OM_CERT_OPERATOR_TLS), 0);
	CHECK(X509_get_extended_key_usage(tls) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
	CHECK_INT(X509_check_host(tls, "dpf.sho1.example", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(tls, "drf.sho1.example", 0, 0, NULL), 0);
	CHECK_INT(om_cert_check_profile(ocsp, OM_CERT_OCSP_RESPONDER), 0);
	CHECK(X509_get_extended_key_usage(ocsp) == XKU_OCSP_SIGN);
	CHECK(X509_get_ext_by_NID(ocsp, NID_id_pkix_OCSP_noCheck, -1) >= 0);
	CHECK_INT(om_cert_check_profile(ss, OM_CERT_SHO_SIGNING), 0);
	CHECK(has_eku(ss, OM_OID_SHO_SIGNING));
	/* the CA signs with RSA-PSS only if its key is RSA; this one is EC */
	CHECK_INT(X509_get_signature_nid(ss), NID_ecdsa_with_SHA256);

	/* the OCSP URL reaches every certificate the CA issues */
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(tls);
	CHECK(urls && sk_OPENSSL_STRING_num(urls) == 1 &&
	      strcmp(sk_OPENSSL_STRING_value(urls, 0), "http://ocsp.pva.example:8080/") == 0);
	X509_email_free(urls);
	X509_free(tls);
	X509_free(ocsp);
	X509_free(ss);
	X509_REQ_free(csr);
	X509_REQ_free(rcsr);
	om_ca_free(sho);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rk);
}

static void rsa_ca_signs_with_pss(void)
{
	EVP_PKEY *cak = pt_key(OM_KEY_RSA_2048), *k = pt_key(OM_KEY_RSA_2048), *e = pt_key(OM_KEY_RSA_2048);
	struct om_ca *ca = ca_new(cak, "PVA-RSA");
	X509_REQ *csr = NULL;
	X509 *sc = NULL, *ec = NULL;

	CHECK_INT(om_csr_create(&csr, k, "TRE-R", e), 0);
	CHECK_INT(pt_issue_tre(ca, csr, "TRE-R", 0, 0, &sc, &ec), 0);
	CHECK_INT(X509_get_signature_nid(sc), NID_rsassaPss);
	CHECK_INT(X509_get_signature_nid(om_ca_cert(ca)), NID_rsassaPss);
	CHECK_INT(X509_REQ_get_signature_nid(csr), NID_rsassaPss);
	CHECK_INT(X509_verify(sc, cak), 1);
	/* an RSA encryption key is for key transport (OAEP) */
	CHECK_INT(X509_get_key_usage(ec), KU_KEY_ENCIPHERMENT);
	CHECK_INT(om_cert_check_profile(ec, OM_CERT_TRE_ENCRYPTION), 0);
	X509_free(sc);
	X509_free(ec);
	X509_REQ_free(csr);
	om_ca_free(ca);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(k);
	EVP_PKEY_free(e);
}

/*
 * The refusals below share a PVA CA and a TRE's keys. Each refused call
 * must leave *out as it was: the sentinels are checked at the end of each.
 */
struct fixture {
	EVP_PKEY *cak, *sig, *enc, *rsa;
	struct om_ca *ca;
	X509_REQ *good, *noenc;
	X509 *out, *out2;
};

static void setup(struct fixture *f)
{
	f->cak = pt_key(OM_KEY_EC_P256);
	f->sig = pt_key(OM_KEY_EC_P256);
	f->enc = pt_key(OM_KEY_X25519);
	f->rsa = pt_key(OM_KEY_RSA_2048);
	f->ca = ca_new(f->cak, "PVA");
	f->good = f->noenc = NULL;
	CHECK_INT(om_csr_create(&f->good, f->sig, "TRE-7", f->enc), 0);
	CHECK_INT(om_csr_create(&f->noenc, f->sig, "TRE-7", NULL), 0);
	f->out = (X509 *)&f->out;
	f->out2 = (X509 *)&f->out2;
}

static void teardown(struct fixture *f)
{
	CHECK_MSG(f->out == (X509 *)&f->out && f->out2 == (X509 *)&f->out2,
		  "a refused issuance touched *out");
	X509_REQ_free(f->good);
	X509_REQ_free(f->noenc);
	om_ca_free(f->ca);
	EVP_PKEY_free(f->cak);
	EVP_PKEY_free(f->sig);
	EVP_PKEY_free(f->enc);
	EVP_PKEY_free(f->rsa);
}

/* A CSR signed by k (md NULL for Ed25519) carrying attr_key as the encryption key. */
static X509_REQ *raw_csr_with(EVP_PKEY *k, const char *cn, const char *md, EVP_PKEY *attr_key)
{
	X509_REQ *req = X509_REQ_new();
	unsigned char *spki = NULL;
	CHECK(req && X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
						(const unsigned char *)cn, -1, -1, 0));
	CHECK(X509_REQ_set_version(req, X509_REQ_VERSION_1) && X509_REQ_set_pubkey(req, k));
	if (attr_key) {
		int n = i2d_PUBKEY(attr_key, &spki);
		ASN1_OBJECT *oid = OBJ_txt2obj(OM_OID_ENCRYPTION_KEY, 1);
		CHECK(n > 0 && X509_REQ_add1_attr_by_OBJ(req, oid, V_ASN1_SEQUENCE, spki, n));
		ASN1_OBJECT_free(oid);
		OPENSSL_free(spki);
	}
	CHECK(X509_REQ_sign(req, k, md ? EVP_get_digestbyname(md) : NULL) > 0);
	return req;
}

static void refuses_csr_for_another_identity(void)
{
	struct fixture f;
	setup(&f);
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-8", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(f.ca, f.good, &req, &f.out), OM_EPKI_CSR_SUBJECT);
	CHECK_INT(pt_issue_tre(f.ca, f.good, "TRE-70", 0, 0, &f.out, &f.out2),
		  OM_EPKI_CSR_SUBJECT);
	/* a subject with more than the CN is not ours either */
	X509_REQ *two = X509_REQ_dup(f.good);
	CHECK(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(two), "O", MBSTRING_ASC,
					 (const unsigned char *)"Evil", -1, -1, 0));
	CHECK(X509_REQ_sign(two, f.sig, EVP_sha256()) > 0);
	req.cn = "TRE-7";
	CHECK_INT(om_ca_issue(f.ca, two, &req, &f.out), OM_EPKI_CSR_SUBJECT);
	X509_REQ_free(two);
	teardown(&f);
}

static void refuses_encryption_certificate_without_the_carried_key(void)
{
	struct fixture f;
	setup(&f);
	struct om_issue req = { OM_CERT_TRE_ENCRYPTION, "TRE-7", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(f.ca, f.noenc, &req, &f.out), OM_EPKI_CSR_ENC_KEY);
	CHECK_INT(pt_issue_tre(f.ca, f.noenc, "TRE-7", 0, 0, &f.out, &f.out2),
		  OM_EPKI_CSR_ENC_KEY);
	teardown(&f);
}

static void refuses_csr_altered_after_signing(void)
{
	struct fixture f;
	setup(&f);
	X509_REQ *altered = X509_REQ_dup(f.good);
	X509_NAME *other = X509_NAME_new();
	CHECK(X509_NAME_add_entry_by_txt(other, "CN", MBSTRING_UTF8, (const unsigned char *)"TRE-9",
					 -1, -1, 0));
	CHECK(X509_REQ_set_subject_name(altered, other));
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-9", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(f.ca, altered, &req, &f.out), OM_EPKI_CSR_SIGNATURE);
	/* someone on the way swaps the encryption key: keeps the TRE's signature */
	EVP_PKEY *mine = pt_key(OM_KEY_X25519);
	X509_REQ *swapped = raw_csr_with(f.sig, "TRE-7", "SHA256", mine);
	const ASN1_BIT_STRING *tre_sig;
	const X509_ALGOR *alg;
	X509_REQ_get0_signature(f.good, &tre_sig, &alg);
	X509_REQ_set0_signature(swapped, ASN1_STRING_dup(tre_sig));
	req.cn = "TRE-7";
	req.profile = OM_CERT_TRE_ENCRYPTION;
	CHECK_INT(om_ca_issue(f.ca, swapped, &req, &f.out), OM_EPKI_CSR_SIGNATURE);
	CHECK_INT(pt_issue_tre(f.ca, swapped, "TRE-7", 0, 0, &f.out, &f.out2),
		  OM_EPKI_CSR_SIGNATURE);
	X509_NAME_free(other);
	X509_REQ_free(altered);
	X509_REQ_free(swapped);
	EVP_PKEY_free(mine);
	teardown(&f);
}

static void refuses_key_types_that_do_not_fit(void)
{
	struct fixture f;
	setup(&f);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-7", 0, 0, NULL, NULL };

	X509_REQ *r384 = raw_csr_with(p384, "TRE-7", "SHA256", NULL);
	X509_REQ *r1024 = raw_csr_with(rsa1024, "TRE-7", "SHA256", NULL);
	X509_REQ *red = raw_csr_with(ed, "TRE-7", NULL, NULL);
	CHECK_INT(om_ca_issue(f.ca, r384, &req, &f.out), OM_EPKI_KEY_TYPE);
	CHECK_INT(om_ca_issue(f.ca, r1024, &req, &f.out), OM_EPKI_KEY_TYPE);
	CHECK_INT(om_ca_issue(f.ca, red, &req, &f.out), OM_EPKI_KEY_TYPE);
	/* an encryption key the TRE could not use with the protect suites */
	X509_REQ *enc384 = raw_csr_with(f.sig, "TRE-7", "SHA256", p384);
	req.profile = OM_CERT_TRE_ENCRYPTION;
	CHECK_INT(om_ca_issue(f.ca, enc384, &req, &f.out), OM_EPKI_KEY_TYPE);
	/* and our own CSR maker refuses them up front */
	X509_REQ *none = NULL;
	CHECK_INT(om_csr_create(&none, f.sig, "TRE-7", p384), OM_EPKI_KEY_TYPE);
	CHECK_INT(om_csr_create(&none, p384, "TRE-7", NULL), OM_EPKI_KEY_TYPE);
	CHECK(none == NULL);
	X509_REQ_free(r384);
	X509_REQ_free(r1024);
	X509_REQ_free(red);
	X509_REQ_free(enc384);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ed);
	teardown(&f);
}

static void refuses_csr_signed_with_another_scheme(void)
{
	struct fixture f;
	setup(&f);
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-7", 0, 0, NULL, NULL };
	/* RSA PKCS#1 v1.5 with SHA-1, then with SHA-256; ECDSA with SHA-1 */
	X509_REQ *sha1 = raw_csr_with(f.rsa, "TRE-7", "SHA1", NULL);
	X509_REQ *v15 = raw_csr_with(f.rsa, "TRE-7", "SHA256", NULL);
	X509_REQ *ec1 = raw_csr_with(f.sig, "TRE-7", "SHA1", NULL);
	CHECK_INT(om_ca_issue(f.ca, sha1, &req, &f.out), OM_EPKI_CSR_SIGNATURE);
	CHECK_INT(om_ca_issue(f.ca, v15, &req, &f.out), OM_EPKI_CSR_SIGNATURE);
	CHECK_INT(om_ca_issue(f.ca, ec1, &req, &f.out), OM_EPKI_CSR_SIGNATURE);
	/* the same keys with our scheme are fine */
	X509_REQ *ok = NULL;
	X509 *cert = NULL;
	CHECK_INT(om_csr_create(&ok, f.rsa, "TRE-7", NULL), 0);
	CHECK_INT(om_ca_issue(f.ca, ok, &req, &cert), 0);
	X509_free(cert);
	X509_REQ_free(ok);
	X509_REQ_free(sha1);
	X509_REQ_free(v15);
	X509_REQ_free(ec1);
	teardown(&f);
}

static void refuses_signing_key_as_encryption_key(void)
{
	struct fixture f;
	setup(&f);
	X509_REQ *none = NULL;
	CHECK_INT(om_csr_create(&none, f.sig, "TRE-7", f.sig), OM_EPKI_KEY_REUSE);
	CHECK(none == NULL);
	/* a CSR made elsewhere that carries its own key again */
	X509_REQ *same = raw_csr_with(f.sig, "TRE-7", "SHA256", f.sig);
	CHECK_INT(pt_issue_tre(f.ca, same, "TRE-7", 0, 0, &f.out, &f.out2), OM_EPKI_KEY_REUSE);
	X509_REQ_free(same);
	teardown(&f);
}

static void refuses_validity_outside_the_ca(void)
{
	struct fixture f;
	setup(&f);
	time_t now = time(NULL);
	time_t ca_end = now + om_cert_default_validity(OM_CERT_ROOT_CA);
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-7", now, ca_end + DAY, NULL, NULL };
	CHECK_INT(om_ca_issue(f.ca, f.good, &req, &f.out), OM_EPKI_VALIDITY);
	req.not_after = now; /* empty */
	CHECK_INT(om_ca_issue(f.ca, f.good, &req, &f.out), OM_EPKI_VALIDITY);
	req.not_before = now - 2 * DAY; /* before the CA existed */
	req.not_after = now + DAY;
	CHECK_INT(om_ca_issue(f.ca, f.good, &req, &f.out), OM_EPKI_VALIDITY);
	/* the default lifetime is cut at the CA's end instead */
	X509 *cert = NULL;
	req.not_before = ca_end - DAY;
	req.not_after = 0;
	CHECK_INT(om_ca_issue(f.ca, f.good, &req, &cert), 0);
	CHECK(cert && ASN1_TIME_compare(X509_get0_notAfter(cert),
					X509_get0_notAfter(om_ca_cert(f.ca))) == 0);
	X509_free(cert);
	teardown(&f);
}

static void refuses_bad_names(void)
{
	struct fixture f;
	setup(&f);
	X509_REQ *none = NULL;
	struct om_ca *ca = NULL;
	const char *bad[] = { "", "TRE\n7", "TR\xc3\x89-7",
			      "0123456789012345678901234567890123456789012345678901234567890123x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(om_csr_create(&none, f.sig, bad[i], NULL), OM_EPKI_NAME);
		CHECK_INT(om_ca_create(&ca, f.sig, bad[i], 0, 0), OM_EPKI_NAME);
		struct om_issue req = { OM_CERT_TRE_SIGNING, bad[i], 0, 0, NULL, NULL };
		CHECK_INT(om_ca_issue(f.ca, f.good, &req, &f.out), OM_EPKI_NAME);
	}
	CHECK(none == NULL && ca == NULL);
	const char *bad_dns[] = { "*.sho.example", "-dpf.sho.example", "dpf..sho", "dpf.sho.",
				  "dpf_1.sho.example" };
	for (size_t i = 0; i < sizeof(bad_dns) / sizeof(bad_dns[0]); i++) {
		struct om_issue req = { OM_CERT_OPERATOR_TLS, "TRE-7", 0, 0, bad_dns[i], NULL };
		CHECK_INT(om_ca_issue(f.ca, f.noenc, &req, &f.out), OM_EPKI_NAME);
	}
	/* a DNS name belongs in operator TLS certificates only */
	struct om_issue tre = { OM_CERT_TRE_SIGNING, "TRE-7", 0, 0, "tre.example", NULL };
	CHECK_INT(om_ca_issue(f.ca, f.noenc, &tre, &f.out), OM_EINVAL);
	/* roots are made by om_ca_create(), never from a CSR */
	struct om_issue root = { OM_CERT_ROOT_CA, "TRE-7", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(f.ca, f.noenc, &root, &f.out), OM_EINVAL);
	CHECK_INT(om_ca_set_ocsp_url(f.ca, "ftp://ocsp.example/"), OM_EPKI_NAME);
	CHECK_INT(om_ca_set_ocsp_url(f.ca, "http://ocsp example/"), OM_EPKI_NAME);
	CHECK_INT(om_ca_set_ocsp_url(f.ca, "http://"), OM_EPKI_NAME);
	/* a refused URL leaves the CA as it was: still no AIA */
	X509 *cert = NULL;
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-7", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(f.ca, f.noenc, &req, &cert), 0);
	CHECK(cert && X509_get_ext_by_NID(cert, NID_info_access, -1) < 0);
	X509_free(cert);
	teardown(&f);
}

static void opens_an_existing_ca_and_refuses_a_mismatch(void)
{
	struct fixture f;
	setup(&f);
	struct om_ca *again = NULL, *none = NULL;
	X509 *cert = NULL;
	CHECK_INT(om_ca_open(&again, om_ca_cert(f.ca), f.cak), 0);
	struct om_issue req = { OM_CERT_TRE_SIGNING, "TRE-7", 0, 0, NULL, NULL };
	CHECK_INT(om_ca_issue(again, f.noenc, &req, &cert), 0);
	CHECK(cert && X509_verify(cert, f.cak) == 1);
	/* the CA's certificate with another key, and a leaf as a CA */
	CHECK_INT(om_ca_open(&none, om_ca_cert(f.ca), f.sig), OM_EPKI_KEY_MISMATCH);
	CHECK_INT(om_ca_open(&none, cert, f.sig), OM_EPKI_NOT_CA);
	CHECK(none == NULL);
	X509_free(cert);
	om_ca_free(again);
	teardown(&f);
}

int main(void)
{
	pva_and_sho_roots_are_self_signed_cas();
	tre_gets_signing_and_encryption_certificates();
	serial_numbers_are_random_and_positive();
	operator_and_ocsp_profiles_have_their_extensions();
	rsa_ca_signs_with_pss();
	refuses_csr_for_another_identity();
	refuses_encryption_certificate_without_the_carried_key();
	refuses_csr_altered_after_signing();
	refuses_key_types_that_do_not_fit();
	refuses_csr_signed_with_another_scheme();
	refuses_signing_key_as_encryption_key();
	refuses_validity_outside_the_ca();
	refuses_bad_names();
	opens_an_existing_ca_and_refuses_a_mismatch();
	return check_done();
}
