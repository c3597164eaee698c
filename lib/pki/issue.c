/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issuing certificates from CSRs: the factory's TRE certificates at
 * manufacture (B.2.2.1) and the operators' signing, TLS and OCSP
 * certificates.
 *
 * The per-certificate path avoids OpenSSL 3.0's key encoder and decoder,
 * which cost more than the signature (bench/pki_bench.c): the certified key
 * goes from the CSR into the certificate as the SubjectPublicKeyInfo bytes
 * it arrived as, and the factory path returns DER without parsing the
 * result back.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "pki_impl.h"

int pki_sign_cert(X509 *cert, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = ctx ? pki_digest_init(ctx, key, 0) : OM_ENOMEM;

	if (r == 0 && X509_sign_ctx(cert, ctx) <= 0)
		r = OM_ECRYPTO;
	EVP_MD_CTX_free(ctx);
	return r;
}

int pki_set_validity(X509 *cert, time_t not_before, time_t not_after)
{
	/* UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5) */
	if (!ASN1_TIME_set(X509_getm_notBefore(cert), not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(cert), not_after))
		return OM_ECRYPTO;
	return 0;
}

/* A DNS name of LDH labels (RFC 1034 3.5, RFC 5280 4.2.1.6); no wildcard. */
static int check_dns_name(const char *s)
{
	size_t n = strnlen(s, 254), label = 0;

	if (n == 0 || n > 253)
		return OM_EPKI_NAME;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return OM_EPKI_NAME;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			label++;
		} else {
			return OM_EPKI_NAME;
		}
	}
	return 0;
}

static int add_dns_name(X509 *cert, const char *dns)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	int r = OM_ECRYPTO;

	if (!names || !ia5 || !(gn = GENERAL_NAME_new()) || !ASN1_STRING_set(ia5, dns, -1))
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(names, gn))
		goto out;
	gn = NULL;
	/* the subject is CN=SHO_id, not empty, so the SAN is not critical */
	if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	r = 0;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	return r;
}

/*
 * Copy a SubjectPublicKeyInfo into cert as it is. X509_set_pubkey() would
 * run the key through OpenSSL 3.0's encoder and decoder, about 250 us a
 * time, several times the cost of signing the certificate.
 */
static int set_spki(X509 *cert, const X509_PUBKEY *spki)
{
	ASN1_OBJECT *alg_oid, *oid = NULL;
	const unsigned char *bits;
	X509_ALGOR *alg;
	const void *pval;
	void *param = NULL;
	unsigned char *copy = NULL;
	int len, ptype;

	if (!X509_PUBKEY_get0_param(&alg_oid, &bits, &len, &alg, spki) || len <= 0)
		return OM_EPKI_MALFORMED;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	/* the parameters: a named curve, NULL (RSA) or absent (X25519) */
	if (ptype == V_ASN1_OBJECT)
		param = OBJ_dup(pval);
	else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
		return OM_EPKI_MALFORMED;
	oid = OBJ_dup(alg_oid);
	copy = OPENSSL_memdup(bits, (size_t)len);
	if ((ptype == V_ASN1_OBJECT && !param) || !oid || !copy ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), oid, ptype, param, copy, len)) {
		ASN1_OBJECT_free(oid);
		ASN1_OBJECT_free(param);
		OPENSSL_free(copy);
		return OM_ECRYPTO;
	}
	return 0;
}

/* The DER certificate for spki (already checked against the CSR) as req asks. */
static int issue(const struct om_ca *ca, const X509_PUBKEY *spki, enum om_key_type key_type,
		 const struct om_issue *req, uint8_t **der, size_t *der_len)
{
	X509 *cert = NULL;
	unsigned char *buf = NULL;
	time_t nb = req->not_before ? req->not_before : time(NULL);
	time_t na = req->not_after;
	int r, n;

	if (!pki_profile_allows(req->profile, key_type))
		return OM_EPKI_KEY_TYPE;
	if (!na) {
		na = nb + om_cert_default_validity(req->profile);
		if (na > ca->not_after)
			na = ca->not_after;
	}
	if (nb >= na || nb < ca->not_before || na > ca->not_after)
		return OM_EPKI_VALIDITY;
	r = OM_ECRYPTO;
	if (!(cert = X509_new()) || !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(ca->cert)) ||
	    !X509_NAME_add_entry_by_NID(X509_get_subject_name(cert), NID_commonName,
					V_ASN1_UTF8STRING, (const unsigned char *)req->cn, -1, -1, 0))
		goto out;
	if ((r = set_spki(cert, spki)) < 0 || (r = pki_set_serial(cert)) < 0 ||
	    (r = pki_set_validity(cert, nb, na)) < 0 ||
	    (r = pki_profile_add_extensions(cert, req->profile, key_type)) < 0 ||
	    (r = pki_add_ski(cert, NULL)) < 0)
		goto out;
	r = OM_ECRYPTO;
	if (!X509_add_ext(cert, ca->aki, -1) || (ca->aia && !X509_add_ext(cert, ca->aia, -1)))
		goto out;
	if (req->dns_name && (r = add_dns_name(cert, req->dns_name)) < 0)
		goto out;
	if (req->claim_verifier && (r = pki_add_claim(cert, req->claim_verifier)) < 0)
		goto out;
	if ((r = pki_sign_cert(cert, ca->key)) < 0)
		goto out;
	r = OM_ECRYPTO;
	if ((n = i2d_X509(cert, &buf)) <= 0)
		goto out;
	*der = buf;
	*der_len = (size_t)n;
	r = 0;
out:
	if (r < 0)
		ERR_clear_error();
	X509_free(cert);
	return r;
}

/* What can be checked of req before the CSR is looked at. */
static int check_request(const struct om_ca *ca, const struct om_issue *req)
{
	/* a CA certificate is made by om_ca_create(), never from a CSR */
	if (!ca || !req || !req->cn || req->profile == OM_CERT_ROOT_CA ||
	    om_cert_default_validity(req->profile) == 0)
		return OM_EINVAL;
	if (req->dns_name && req->profile != OM_CERT_OPERATOR_TLS)
		return OM_EINVAL;
	if (req->claim_verifier && req->profile != OM_CERT_TRE_SIGNING)
		return OM_EINVAL;
	int r = pki_init();
	if (r < 0)
		return r;
	if ((r = pki_check_cn(req->cn)) < 0)
		return r;
	return req->dns_name ? check_dns_name(req->dns_name) : 0;
}

int om_ca_issue(const struct om_ca *ca, X509_REQ *csr, const struct om_issue *req, X509 **out)
{
	struct pki_csr_info info;
	uint8_t *der = NULL;
	size_t len = 0;
	int enc, r;

	if (!csr || !out)
		return OM_EINVAL;
	if ((r = check_request(ca, req)) < 0)
		return r;
	enc = req->profile == OM_CERT_TRE_ENCRYPTION;
	if ((r = pki_csr_check(csr, req->cn, enc, &info)) < 0)
		return r;
	r = enc ? issue(ca, info.enc_key, info.enc_key_type, req, &der, &len)
		: issue(ca, info.key, info.key_type, req, &der, &len);
	/* parsed back, the X509 is exactly what goes on the wire */
	if (r == 0)
		r = om_cert_decode(out, OM_ENC_DER, der, len);
	om_pki_free(der, len);
	X509_PUBKEY_free(info.enc_key);
	return r;
}

int om_ca_issue_tre(const struct om_ca *ca, X509_REQ *csr, const char *tre_id, time_t not_before,
		    time_t not_after, uint8_t **sign_der, size_t *sign_len, uint8_t **enc_der,
		    size_t *enc_len)
{
	return om_ca_issue_tre_claimed(ca, csr, tre_id, not_before, not_after, NULL, sign_der, sign_len, enc_der,
				       enc_len);
}

int om_ca_issue_tre_claimed(const struct om_ca *ca, X509_REQ *csr, const char *tre_id, time_t not_before,
			    time_t not_after, const uint8_t *claim_verifier, uint8_t **sign_der, size_t *sign_len,
			    uint8_t **enc_der, size_t *enc_len)
{
	struct om_issue req = { OM_CERT_TRE_SIGNING, tre_id, not_before, not_after, NULL, claim_verifier };
	struct pki_csr_info info;
	uint8_t *s = NULL, *e = NULL;
	size_t slen = 0, elen = 0;
	int r;

	if (!csr || !sign_der || !sign_len || !enc_der || !enc_len)
		return OM_EINVAL;
	if ((r = check_request(ca, &req)) < 0)
		return r;
	if ((r = pki_csr_check(csr, tre_id, 1, &info)) < 0)
		return r;
	/* both certificates share one validity period, fixed once */
	if (!req.not_before)
		req.not_before = time(NULL);
	if ((r = issue(ca, info.key, info.key_type, &req, &s, &slen)) < 0)
		goto out;
	req.profile = OM_CERT_TRE_ENCRYPTION;
	req.claim_verifier = NULL;
	if ((r = issue(ca, info.enc_key, info.enc_key_type, &req, &e, &elen)) < 0)
		goto out;
	*sign_der = s;
	*sign_len = slen;
	*enc_der = e;
	*enc_len = elen;
	s = e = NULL;
out:
	om_pki_free(s, slen);
	om_pki_free(e, elen);
	X509_PUBKEY_free(info.enc_key);
	return r;
}

int om_ca_issue_ak(const struct om_ca *ca, EVP_PKEY *ak, const char *tre_id, uint8_t **der, size_t *der_len)
{
	struct om_issue req = { OM_CERT_TRE_ATTESTATION, tre_id, 0, 0, NULL, NULL };
	X509_PUBKEY *spki = NULL;
	int r;

	if (!ak || !der || !der_len)
		return OM_EINVAL;
	if ((r = check_request(ca, &req)) < 0)
		return r;
	if (om_key_type_of(ak) != OM_KEY_EC_P256)
		return OM_EPKI_KEY_TYPE;
	if (X509_PUBKEY_set(&spki, ak) != 1) {
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	r = issue(ca, spki, OM_KEY_EC_P256, &req, der, der_len);
	X509_PUBKEY_free(spki);
	return r;
}
