/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The check of a stapled OCSP response about an operator's signing
 * certificate (spec/000 5.2.2.3.2 step 7; docs/pki.md "Certificate status
 * of operators' signing certificates"). The staple travels inside what
 * the operator signed, but its own signature is the CA's: a holder of a
 * stolen signing key cannot make a fresh "good" for a revoked certificate,
 * only replay an old one, and the freshness window bounds that.
 */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <openmcim/pki.h>

#define STATUS_SKEW 300 /* seconds of clock difference allowed at thisUpdate */

/* A status for cert's CertID with SHA-1 or SHA-256, whichever the responder used. */
static int find_status(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, int *status, ASN1_GENERALIZEDTIME **this_upd,
		       ASN1_GENERALIZEDTIME **next_upd)
{
	const EVP_MD *mds[] = { EVP_sha1(), EVP_sha256() };
	for (size_t i = 0; i < 2; i++) {
		int reason = 0;
		ASN1_GENERALIZEDTIME *rev = NULL;
		OCSP_CERTID *id = OCSP_cert_to_id(mds[i], cert, issuer);
		if (!id)
			return OM_ENOMEM;
		int found = OCSP_resp_find_status(bs, id, status, &reason, &rev, this_upd, next_upd);
		OCSP_CERTID_free(id);
		if (found == 1)
			return 0;
	}
	return OM_EPKI_STATUS_UNKNOWN;
}

/* The signer is issuer, or a responder issuer delegated (chain and EKU checked by OpenSSL at now). */
static int check_signer(OCSP_BASICRESP *bs, X509 *issuer, time_t now)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	int r = OM_ENOMEM;
	if (!store || !certs || !X509_STORE_add_cert(store, issuer) || !sk_X509_push(certs, issuer))
		goto out;
	/* the issuer is the anchor even if it is not self-signed (an issuing CA) */
	X509_VERIFY_PARAM *vp = X509_STORE_get0_param(store);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(vp, now);
	r = OCSP_basic_verify(bs, certs, store, 0) == 1 ? 0 : OM_EPKI_STATUS_SIGNER;
out:
	sk_X509_free(certs);
	X509_STORE_free(store);
	return r;
}

int om_cert_status_check(const uint8_t *resp, size_t resp_len, X509 *cert, X509 *issuer, time_t now, long max_age)
{
	OCSP_RESPONSE *or = NULL;
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL;
	int status = -1, r;

	if (!resp || !cert || !issuer || max_age <= 0 || resp_len > 65536)
		return OM_EINVAL;
	/* the issuer named is the one whose key signed cert: no other CA's responder counts */
	EVP_PKEY *ik = X509_get0_pubkey(issuer);
	if (!ik || X509_verify(cert, ik) != 1 || X509_check_issued(issuer, cert) != X509_V_OK) {
		r = OM_EPKI_STATUS_SIGNER;
		goto out;
	}
	const unsigned char *p = resp;
	r = OM_EPKI_STATUS_MALFORMED;
	or = d2i_OCSP_RESPONSE(NULL, &p, (long)resp_len);
	if (!or || p != resp + resp_len || OCSP_response_status(or) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    !(bs = OCSP_response_get1_basic(or)))
		goto out;
	if ((r = check_signer(bs, issuer, now)) < 0)
		goto out;
	if ((r = find_status(bs, cert, issuer, &status, &this_upd, &next_upd)) < 0)
		goto out;
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		r = OM_EPKI_STATUS_REVOKED;
		goto out;
	}
	if (status != V_OCSP_CERTSTATUS_GOOD) {
		r = OM_EPKI_STATUS_UNKNOWN;
		goto out;
	}
	/* fresh at now: a replayed old "good" ages out of the window (X509_cmp_time: 0 is an error) */
	time_t late = now + STATUS_SKEW, early = now - max_age;
	r = OM_EPKI_STATUS_STALE;
	if (!this_upd || X509_cmp_time(this_upd, &late) != -1 || X509_cmp_time(this_upd, &early) != 1)
		goto out;
	if (next_upd && X509_cmp_time(next_upd, &now) != 1)
		goto out;
	r = 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(or);
	ERR_clear_error();
	return r;
}
