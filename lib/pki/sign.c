/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two signature schemes (docs/pki.md, "Signature schemes"), used for
 * data (M2MMobj, M2MMCIMMobj, bootstraps) and for the CSRs and certificates
 * we make: ECDSA P-256 with SHA-256, and RSASSA-PSS with SHA-256,
 * MGF1-SHA-256 and a 32-byte salt (RFC 8017 8.1, RFC 4055 3.1). The key's
 * type alone picks the scheme; nothing in a signature can pick another.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "pki_impl.h"

#define PSS_SALT_LEN 32 /* = hLen for SHA-256, RFC 8017 9.1 note 4 */

int pki_digest_init(EVP_MD_CTX *ctx, EVP_PKEY *key, int verify)
{
	EVP_PKEY_CTX *pctx = NULL;
	OSSL_LIB_CTX *lib = NULL;
	const char *propq = NULL;
	int type = om_key_type_of(key);

	if (type != OM_KEY_EC_P256 && type != OM_KEY_RSA_2048)
		return OM_EPKI_KEY_TYPE;
	/* a key in a TPM signs there (om_key_bind_hw); OpenSSL 3.0 would
	 * otherwise fetch the default provider's ECDSA, which has no private half */
	(void)om_key_hw(key, &lib, &propq);
	int ok = verify ? EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", lib, propq, key, NULL)
			: EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", lib, propq, key, NULL);
	if (ok == 1 && type == OM_KEY_RSA_2048) {
		/* an explicit salt length: "auto" on verify would accept any */
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) == 1;
	}
	if (ok != 1) {
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	return 0;
}

/* The hash AlgorithmIdentifier inside PSS parameters names SHA-256; its
 * parameters may be absent or NULL (RFC 4055 2.1 asks us to accept both). */
static int is_sha256(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	int ptype;

	if (!alg)
		return 0;
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	return OBJ_obj2nid(obj) == NID_sha256 && (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL);
}

static int is_our_pss(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, ok = 0;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	const unsigned char *p;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_rsassaPss || ptype != V_ASN1_SEQUENCE)
		return 0;
	const ASN1_STRING *seq = pval;
	p = ASN1_STRING_get0_data(seq);
	pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq));
	if (!pss || p != ASN1_STRING_get0_data(seq) + ASN1_STRING_length(seq))
		goto out;
	/* absent fields mean SHA-1 and salt 20 (RFC 4055 3.1): not ours */
	if (!is_sha256(pss->hashAlgorithm) || !pss->maskGenAlgorithm ||
	    OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 || !pss->saltLength ||
	    ASN1_INTEGER_get(pss->saltLength) != PSS_SALT_LEN ||
	    (pss->trailerField && ASN1_INTEGER_get(pss->trailerField) != 1))
		goto out;
	/* MGF1's parameter is the hash's AlgorithmIdentifier */
	const ASN1_TYPE *mgf = pss->maskGenAlgorithm->parameter;
	if (!mgf || mgf->type != V_ASN1_SEQUENCE)
		goto out;
	p = mgf->value.sequence->data;
	mgf_md = d2i_X509_ALGOR(NULL, &p, mgf->value.sequence->length);
	ok = mgf_md && p == mgf->value.sequence->data + mgf->value.sequence->length &&
	     is_sha256(mgf_md);
out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	ERR_clear_error();
	return ok;
}

int pki_sigalg_is_ours(const X509_ALGOR *alg, enum om_key_type key_type)
{
	const ASN1_OBJECT *obj;
	int ptype;

	if (!alg)
		return 0;
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	switch (key_type) {
	case OM_KEY_EC_P256:
		/* RFC 5758 3.2: the parameters field MUST be absent */
		return OBJ_obj2nid(obj) == NID_ecdsa_with_SHA256 && ptype == V_ASN1_UNDEF;
	case OM_KEY_RSA_2048:
		return is_our_pss(alg);
	default:
		return 0;
	}
}

int om_sign(EVP_PKEY *key, const uint8_t *msg, size_t msg_len, uint8_t sig[static OM_SIG_MAX_LEN])
{
	EVP_MD_CTX *ctx = NULL;
	size_t n = OM_SIG_MAX_LEN;
	int r;

	if (!key || !sig || (!msg && msg_len))
		return OM_EINVAL;
	if (!pki_key_is_private(key))
		return OM_EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return OM_ENOMEM;
	r = pki_digest_init(ctx, key, 0);
	if (r < 0)
		goto out;
	r = OM_ECRYPTO;
	/* OM_SIG_MAX_LEN holds either scheme's signature; OpenSSL checks n */
	if (EVP_DigestSign(ctx, sig, &n, msg ? msg : (const uint8_t *)"", msg_len) != 1)
		goto out;
	r = (int)n;
out:
	if (r < 0)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}

int om_verify(EVP_PKEY *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
	      size_t sig_len)
{
	EVP_MD_CTX *ctx = NULL;
	int r;

	if (!key || (!msg && msg_len) || (!sig && sig_len))
		return OM_EINVAL;
	if (sig_len == 0 || sig_len > OM_SIG_MAX_LEN)
		return OM_EPKI_SIGNATURE;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return OM_ENOMEM;
	r = pki_digest_init(ctx, key, 1);
	if (r < 0)
		goto out;
	/* 0 is a bad signature, < 0 one that does not even parse: both refused */
	r = EVP_DigestVerify(ctx, sig, sig_len, msg ? msg : (const uint8_t *)"", msg_len) == 1
		    ? 0
		    : OM_EPKI_SIGNATURE;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}
