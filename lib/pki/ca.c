/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certification authorities: the PVA's (TRE manufacturer's) CA that
 * certifies TRE keys (B.2.2.1) and each operator's root Cert_SHO[i].
 * Issuing from a CA is in issue.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "pki_impl.h"

#define URL_MAX_LEN 255

/* ASN1_TIME to time_t without timegm(), which POSIX 2008 lacks. */
static int to_time_t(const ASN1_TIME *t, time_t *out)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	int ok = epoch && ASN1_TIME_diff(&days, &secs, epoch, t);

	ASN1_TIME_free(epoch);
	if (!ok)
		return OM_EPKI_MALFORMED;
	*out = (time_t)days * 86400 + secs;
	return 0;
}

/* An AuthorityKeyIdentifier with only keyIdentifier (RFC 5280 4.2.1.1). */
static X509_EXTENSION *aki_ext(const uint8_t *keyid, int len)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	X509_EXTENSION *ext = NULL;

	if (akid && (akid->keyid = ASN1_OCTET_STRING_new()) &&
	    ASN1_OCTET_STRING_set(akid->keyid, keyid, len))
		ext = X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid);
	AUTHORITY_KEYID_free(akid);
	return ext;
}

int om_ca_open(struct om_ca **out, X509 *cert, EVP_PKEY *key)
{
	struct om_ca *ca = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int r;

	if (!out || !cert || !key || !pki_key_is_private(key))
		return OM_EINVAL;
	if ((r = pki_init()) < 0)
		return r;
	r = om_key_type_of(key);
	if (r < 0 || r == OM_KEY_X25519)
		return OM_EPKI_KEY_TYPE;
	if (om_cert_check_profile(cert, OM_CERT_ROOT_CA) < 0)
		return OM_EPKI_NOT_CA;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return OM_EPKI_KEY_MISMATCH;
	}
	if (!(ca = calloc(1, sizeof(*ca))))
		return OM_ENOMEM;
	if ((r = to_time_t(X509_get0_notBefore(cert), &ca->not_before)) < 0 ||
	    (r = to_time_t(X509_get0_notAfter(cert), &ca->not_after)) < 0)
		goto out;
	r = OM_ECRYPTO;
	/* AKI repeats the CA's SKI; a CA without one gets RFC 5280 method 1 */
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	if (ski)
		ca->aki = aki_ext(ASN1_STRING_get0_data(ski), ASN1_STRING_length(ski));
	else if (X509_pubkey_digest(cert, EVP_sha1(), md, &md_len))
		ca->aki = aki_ext(md, (int)md_len);
	if (!ca->aki || !X509_up_ref(cert))
		goto out;
	ca->cert = cert;
	if (!EVP_PKEY_up_ref(key))
		goto out;
	ca->key = key;
	*out = ca;
	ca = NULL;
	r = 0;
out:
	if (r < 0)
		ERR_clear_error();
	om_ca_free(ca);
	return r;
}

void om_ca_free(struct om_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	X509_EXTENSION_free(ca->aki);
	X509_EXTENSION_free(ca->aia);
	free(ca);
}

X509 *om_ca_cert(const struct om_ca *ca)
{
	return ca ? ca->cert : NULL;
}

static int check_url(const char *url)
{
	size_t n = strnlen(url, URL_MAX_LEN + 1);
	size_t scheme = strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;

	if (!scheme || n <= scheme || n > URL_MAX_LEN)
		return OM_EPKI_NAME;
	for (size_t i = 0; i < n; i++)
		if (url[i] <= 0x20 || url[i] > 0x7e)
			return OM_EPKI_NAME;
	return 0;
}

int om_ca_set_ocsp_url(struct om_ca *ca, const char *url)
{
	AUTHORITY_INFO_ACCESS *aia = NULL;
	ACCESS_DESCRIPTION *ad = NULL;
	X509_EXTENSION *ext = NULL;
	int r;

	if (!ca)
		return OM_EINVAL;
	if (url) {
		if ((r = check_url(url)) < 0)
			return r;
		r = OM_ECRYPTO;
		ASN1_IA5STRING *uri = NULL;
		if (!(aia = sk_ACCESS_DESCRIPTION_new_null()) || !(ad = ACCESS_DESCRIPTION_new()) ||
		    !(uri = ASN1_IA5STRING_new()) || !ASN1_STRING_set(uri, url, -1)) {
			ASN1_IA5STRING_free(uri);
			goto out;
		}
		/* RFC 5280 4.2.2.1: id-ad-ocsp with a uniformResourceIdentifier */
		ASN1_OBJECT_free(ad->method);
		ad->method = OBJ_nid2obj(NID_ad_OCSP);
		GENERAL_NAME_set0_value(ad->location, GEN_URI, uri);
		if (!sk_ACCESS_DESCRIPTION_push(aia, ad))
			goto out;
		ad = NULL;
		if (!(ext = X509V3_EXT_i2d(NID_info_access, 0, aia)))
			goto out;
	}
	X509_EXTENSION_free(ca->aia);
	ca->aia = ext;
	r = 0;
out:
	if (r < 0)
		ERR_clear_error();
	ACCESS_DESCRIPTION_free(ad);
	AUTHORITY_INFO_ACCESS_free(aia);
	return r;
}

int om_ca_create(struct om_ca **out, EVP_PKEY *key, const char *cn, time_t not_before,
		 time_t not_after)
{
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	X509_EXTENSION *aki = NULL;
	uint8_t ski[20];
	time_t nb = not_before ? not_before : time(NULL);
	time_t na = not_after ? not_after : nb + om_cert_default_validity(OM_CERT_ROOT_CA);
	int r;

	if (!out || !key || !cn || !pki_key_is_private(key))
		return OM_EINVAL;
	if ((r = pki_init()) < 0 || (r = pki_check_cn(cn)) < 0)
		return r;
	r = om_key_type_of(key);
	if (r < 0 || !pki_profile_allows(OM_CERT_ROOT_CA, (enum om_key_type)r))
		return OM_EPKI_KEY_TYPE;
	enum om_key_type key_type = (enum om_key_type)r;
	if (nb >= na)
		return OM_EPKI_VALIDITY;
	r = OM_ECRYPTO;
	if (!(cert = X509_new()) || !(name = pki_name_new(cn)) ||
	    !X509_set_version(cert, X509_VERSION_3) || !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key))
		goto out;
	if ((r = pki_set_serial(cert)) < 0 || (r = pki_set_validity(cert, nb, na)) < 0 ||
	    (r = pki_profile_add_extensions(cert, OM_CERT_ROOT_CA, key_type)) < 0 ||
	    (r = pki_add_ski(cert, ski)) < 0)
		goto out;
	r = OM_ECRYPTO;
	if (!(aki = aki_ext(ski, sizeof(ski))) || !X509_add_ext(cert, aki, -1))
		goto out;
	if ((r = pki_sign_cert(cert, key)) < 0)
		goto out;
	r = om_ca_open(out, cert, key);
out:
	if (r < 0)
		ERR_clear_error();
	X509_free(cert);
	X509_NAME_free(name);
	X509_EXTENSION_free(aki);
	return r;
}
