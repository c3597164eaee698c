/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chain verification: RFC 5280 6.1 path validation by OpenSSL, then the
 * profile of the leaf (profile.c). Each way a chain can fail gets its own
 * code, so that a DPF refusing a forged Cert_TRE, or a TRE refusing a
 * bootstrap signer, can say why (B.2.3.3, B.2.3.4 III).
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "pki_impl.h"

/* 112-bit security (SP 800-57): RSA >= 2048, EC >= 224, no SHA-1 signatures */
#define AUTH_LEVEL 2

int om_trust_new(X509_STORE **out, X509 *const *roots, size_t n_roots)
{
	X509_STORE *store = NULL;
	int r;

	if (!out || (!roots && n_roots))
		return OM_EINVAL;
	if ((r = pki_init()) < 0)
		return r;
	for (size_t i = 0; i < n_roots; i++) {
		if (!roots[i])
			return OM_EINVAL;
		if (om_cert_check_profile(roots[i], OM_CERT_ROOT_CA) < 0)
			return OM_EPKI_NOT_CA;
	}
	r = OM_ECRYPTO;
	if (!(store = X509_STORE_new()))
		goto out;
	for (size_t i = 0; i < n_roots; i++)
		if (!X509_STORE_add_cert(store, roots[i]))
			goto out;
	*out = store;
	store = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_STORE_free(store);
	return r;
}

static int map_error(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return OM_EPKI_UNTRUSTED;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
		return OM_EPKI_BAD_SIGNATURE;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return OM_EPKI_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return OM_EPKI_NOT_YET_VALID;
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
	case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
		return OM_EPKI_CA_MISUSE;
	case X509_V_ERR_INVALID_PURPOSE:
		return OM_EPKI_PURPOSE;
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
	case X509_V_ERR_INVALID_EXTENSION:
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
	case X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3:
	case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
	case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
	case X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL:
	case X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL:
	case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
	case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
	case X509_V_ERR_EMPTY_SUBJECT_ALT_NAME:
	case X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL:
	case X509_V_ERR_ISSUER_NAME_EMPTY:
	case X509_V_ERR_SUBJECT_NAME_EMPTY:
	case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
	case X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY:
	case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
		return OM_EPKI_MALFORMED;
	default:
		return OM_EPKI_CHAIN;
	}
}

static int malformed(X509 *cert)
{
	int bad = (X509_get_extension_flags(cert) & EXFLAG_INVALID) != 0;
	ERR_clear_error();
	return bad;
}

int om_cert_verify(X509 *leaf, X509_STORE *trust, X509 *const *intermediates,
		   size_t n_intermediates, enum om_cert_profile profile, time_t at)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	int r;

	if (!leaf || !trust || (!intermediates && n_intermediates) ||
	    om_cert_default_validity(profile) == 0)
		return OM_EINVAL;
	for (size_t i = 0; i < n_intermediates; i++)
		if (!intermediates[i])
			return OM_EINVAL;
	if ((r = pki_init()) < 0)
		return r;
	/* OpenSSL would not even look for the issuer of a certificate with
	 * unparsable or repeated extensions, and say "untrusted" */
	if (malformed(leaf))
		return OM_EPKI_MALFORMED;
	for (size_t i = 0; i < n_intermediates; i++)
		if (malformed(intermediates[i]))
			return OM_EPKI_MALFORMED;
	r = OM_ECRYPTO;
	if (!(ctx = X509_STORE_CTX_new()) || !(untrusted = sk_X509_new_null()))
		goto out;
	for (size_t i = 0; i < n_intermediates; i++)
		if (!sk_X509_push(untrusted, intermediates[i]))
			goto out;
	if (!X509_STORE_CTX_init(ctx, trust, leaf, untrusted))
		goto out;
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
	X509_VERIFY_PARAM_set_auth_level(param, AUTH_LEVEL);
	if (at != OM_PKI_NOW)
		X509_VERIFY_PARAM_set_time(param, at);
	if (X509_verify_cert(ctx) != 1) {
		r = map_error(X509_STORE_CTX_get_error(ctx));
		goto out;
	}
	r = om_cert_check_profile(leaf, profile);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* the certificates are the caller's */
	return r;
}
