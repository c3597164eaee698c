/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate signing requests (PKCS#10, RFC 2986): made inside the TRE at
 * manufacture (B.2.2.1), checked by the CA before it issues anything.
 *
 * A TRE has a signing and an encryption key pair (B.2.2.1, note on two key
 * pairs). An X25519 key cannot sign a request, so the TRE's one request is
 * signed with the signing key and carries the encryption public key as the
 * attribute OM_OID_ENCRYPTION_KEY (a SubjectPublicKeyInfo). The signature
 * covers the attribute, binding the encryption key to the same subject
 * (TRE_id) and to the holder of the signing key. docs/pki.md explains what
 * this proves and what it does not.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "pki_impl.h"

/* The encryption key's SubjectPublicKeyInfo as the omEncryptionKey attribute. */
static int add_enc_key(X509_REQ *req, const EVP_PKEY *enc_key)
{
	uint8_t fast[PKI_SPKI_MAX];
	unsigned char *slow = NULL;
	size_t len = 0;
	int n, ok;

	if (pki_key_spki(enc_key, fast, &len) == 0)
		ok = X509_REQ_add1_attr_by_NID(req, pki_nid(PKI_OID_ENCRYPTION_KEY),
					       V_ASN1_SEQUENCE, fast, (int)len);
	else
		ok = (n = i2d_PUBKEY(enc_key, &slow)) > 0 &&
		     X509_REQ_add1_attr_by_NID(req, pki_nid(PKI_OID_ENCRYPTION_KEY),
					       V_ASN1_SEQUENCE, slow, n);
	OPENSSL_free(slow);
	return ok ? 0 : OM_ECRYPTO;
}

/*
 * The signing key as subjectPKInfo. For P-256 the AlgorithmIdentifier and
 * point are set as they are (pki_key_spki()), with no cached EVP_PKEY yet:
 * OpenSSL 3.0 has no call that puts a key into an X509_PUBKEY without
 * encoding it, so om_csr_create() decodes the request once at the end.
 * X509_REQ_set_pubkey() would run the key through OpenSSL 3.0's encoder and
 * then its decoder (2.2 M instructions of the 3.05 M a CSR cost, callgrind);
 * an RSA key still goes that way. Returns 1 when the key is set from its
 * bytes, 0 when set by OpenSSL, or OM_ECRYPTO.
 */
static int set_sign_key(X509_REQ *req, EVP_PKEY *key)
{
	uint8_t der[PKI_SPKI_MAX];
	size_t len = 0;
	unsigned char *point;

	if (pki_key_spki(key, der, &len) < 0 || len != PKI_P256_SPKI_LEN)
		return X509_REQ_set_pubkey(req, key) ? 0 : OM_ECRYPTO;
	/* the point is the BIT STRING's content, after its unused-bits octet */
	point = OPENSSL_memdup(der + PKI_P256_SPKI_LEN - 65, 65);
	if (!point || !X509_PUBKEY_set0_param(X509_REQ_get_X509_PUBKEY(req),
					      OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
					      V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1),
					      point, 65)) {
		OPENSSL_free(point);
		return OM_ECRYPTO;
	}
	return 1;
}

/*
 * A request whose subjectPKInfo was set from bytes has no EVP_PKEY behind
 * X509_REQ_get0_pubkey(), which callers and pki_csr_check() use: decoding
 * the DER once gives the same request with it (one decoder run, not the
 * encoder's and decoder's).
 */
static int reload(X509_REQ **req)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_REQ *back = NULL;
	int n = i2d_X509_REQ(*req, &der);

	p = der;
	if (n > 0)
		back = d2i_X509_REQ(NULL, &p, n);
	OPENSSL_free(der);
	if (!back || !X509_REQ_get0_pubkey(back)) {
		X509_REQ_free(back);
		return OM_ECRYPTO;
	}
	X509_REQ_free(*req);
	*req = back;
	return 0;
}

static int set_ecdsa_alg(X509_REQ *req)
{
	X509_ALGOR *alg = X509_ALGOR_new();
	int ok = alg && X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL) &&
		 X509_REQ_set1_signature_algo(req, alg);
	X509_ALGOR_free(alg);
	return ok ? 0 : OM_ECRYPTO;
}

int om_csr_create(X509_REQ **out, EVP_PKEY *sign_key, const char *cn, const EVP_PKEY *enc_key)
{
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	EVP_MD_CTX *ctx = NULL;
	int r, from_bytes = 0;

	if (!out || !sign_key || !cn || !pki_key_is_private(sign_key))
		return OM_EINVAL;
	r = pki_init();
	if (r < 0)
		return r;
	if ((r = pki_check_cn(cn)) < 0)
		return r;
	if (enc_key) {
		if ((r = om_key_type_of(enc_key)) < 0)
			return r;
		if (EVP_PKEY_eq(enc_key, sign_key) == 1)
			return OM_EPKI_KEY_REUSE;
	}
	r = OM_ECRYPTO;
	if (!(req = X509_REQ_new()) || !(ctx = EVP_MD_CTX_new()) || !(name = pki_name_new(cn)) ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_subject_name(req, name))
		goto out;
	if ((r = set_sign_key(req, sign_key)) < 0)
		goto out;
	from_bytes = r;
	if (enc_key && (r = add_enc_key(req, enc_key)) < 0)
		goto out;
	if ((r = pki_digest_init(ctx, sign_key, 0)) < 0)
		goto out;
	r = OM_ECRYPTO;
	if (X509_REQ_sign_ctx(req, ctx) <= 0)
		goto out;
	/* the tpm2 provider names ecdsa-with-SHA256 with NULL parameters, which
	 * RFC 5758 3.2 forbids; the algorithm sits outside what is signed */
	if (om_key_hw(sign_key, NULL, NULL) && (r = set_ecdsa_alg(req)) < 0)
		goto out;
	/* a TPM's key must not stay behind X509_REQ_get0_pubkey(): verifying
	 * with it would fetch the default provider, which cannot export it */
	if ((from_bytes || om_key_hw(sign_key, NULL, NULL)) && (r = reload(&req)) < 0)
		goto out;
	*out = req;
	req = NULL;
	r = 0;
out:
	if (r < 0)
		ERR_clear_error();
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_MD_CTX_free(ctx);
	return r;
}

int om_csr_encode(const X509_REQ *csr, enum om_encoding enc, uint8_t **out, size_t *out_len)
{
	return pki_item_encode(csr, ASN1_ITEM_rptr(X509_REQ), "CERTIFICATE REQUEST", enc, out, out_len);
}

int om_csr_decode(X509_REQ **out, enum om_encoding enc, const uint8_t *in, size_t len)
{
	void *obj = NULL;
	int r = pki_item_decode(out ? &obj : NULL, ASN1_ITEM_rptr(X509_REQ), "CERTIFICATE REQUEST", enc, in, len);
	if (r == 0)
		*out = obj;
	return r;
}

/*
 * An X25519 SubjectPublicKeyInfo has one form, 44 bytes (RFC 8410 4 and
 * 10.1): pki_x25519_spki_prefix and the 32-byte key. Recognising it
 * spares the general decoder, which costs OpenSSL 3.0 about 100 us per key:
 * a quarter of a factory's time per TRE (bench/pki_bench.c). Anything else
 * goes through the decoder.
 */
static X509_PUBKEY *x25519_spki(const unsigned char *der)
{
	X509_PUBKEY *pub = X509_PUBKEY_new();
	unsigned char *raw = OPENSSL_memdup(der + sizeof(pki_x25519_spki_prefix), 32);

	if (!pub || !raw ||
	    !X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_X25519), V_ASN1_UNDEF, NULL, raw, 32)) {
		OPENSSL_free(raw);
		X509_PUBKEY_free(pub);
		return NULL;
	}
	return pub;
}

/* The encryption key the CSR carries: one attribute with one SubjectPublicKeyInfo. */
static int enc_key_of(X509_REQ *csr, X509_PUBKEY **out, enum om_key_type *type)
{
	int nid = pki_nid(PKI_OID_ENCRYPTION_KEY);
	int at = X509_REQ_get_attr_by_NID(csr, nid, -1);
	X509_PUBKEY *pub = NULL;
	int r;

	if (at < 0)
		return OM_EPKI_CSR_ENC_KEY;
	if (X509_REQ_get_attr_by_NID(csr, nid, at) >= 0)
		return OM_EPKI_MALFORMED;
	X509_ATTRIBUTE *attr = X509_REQ_get_attr(csr, at);
	ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(attr, 0);
	if (X509_ATTRIBUTE_count(attr) != 1 || !v || v->type != V_ASN1_SEQUENCE)
		return OM_EPKI_MALFORMED;
	/* an ANY holding a SEQUENCE keeps its whole encoding, tag included */
	const unsigned char *der = v->value.sequence->data, *p = der;
	long len = v->value.sequence->length;
	if (len == PKI_X25519_SPKI_LEN &&
	    memcmp(der, pki_x25519_spki_prefix, sizeof(pki_x25519_spki_prefix)) == 0) {
		if (!(pub = x25519_spki(der)))
			return OM_ECRYPTO;
		*type = OM_KEY_X25519;
		*out = pub;
		return 0;
	}
	pub = d2i_X509_PUBKEY(NULL, &p, len);
	r = OM_EPKI_MALFORMED;
	if (!pub || p != der + len || !X509_PUBKEY_get0(pub))
		goto out;
	if ((r = om_key_type_of(X509_PUBKEY_get0(pub))) < 0)
		goto out;
	*type = (enum om_key_type)r;
	*out = pub;
	pub = NULL;
	r = 0;
out:
	X509_PUBKEY_free(pub);
	return r;
}

int pki_csr_check(X509_REQ *csr, const char *cn, int want_enc_key, struct pki_csr_info *info)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	char got[OM_NAME_MAX_LEN + 1];
	X509_PUBKEY *enc = NULL;
	enum om_key_type enc_type;
	int r, type;

	memset(info, 0, sizeof(*info));
	r = OM_EPKI_MALFORMED;
	EVP_PKEY *key = X509_REQ_get0_pubkey(csr);
	if (X509_REQ_get_version(csr) != X509_REQ_VERSION_1 || !key)
		goto out;
	r = OM_EPKI_KEY_TYPE;
	/* X25519 cannot have signed anything */
	if ((type = om_key_type_of(key)) < 0 || type == OM_KEY_X25519)
		goto out;
	/* the scheme is fixed by the key, as for om_verify(): no SHA-1, no v1.5 */
	X509_REQ_get0_signature(csr, &sig, &alg);
	r = OM_EPKI_CSR_SIGNATURE;
	if (!pki_sigalg_is_ours(alg, (enum om_key_type)type) || X509_REQ_verify(csr, key) != 1)
		goto out;
	r = OM_EPKI_CSR_SUBJECT;
	if (pki_name_cn(X509_REQ_get_subject_name(csr), got) < 0 || strcmp(got, cn) != 0)
		goto out;
	if (want_enc_key) {
		if ((r = enc_key_of(csr, &enc, &enc_type)) < 0)
			goto out;
		/* the note on two key pairs in B.2.2.1: two, not one twice */
		r = OM_EPKI_KEY_REUSE;
		if (enc_type != OM_KEY_X25519 && EVP_PKEY_eq(X509_PUBKEY_get0(enc), key) == 1)
			goto out;
		info->enc_key = enc;
		info->enc_key_type = enc_type;
		enc = NULL;
	}
	info->key = X509_REQ_get_X509_PUBKEY(csr);
	info->key_type = (enum om_key_type)type;
	r = 0;
out:
	ERR_clear_error();
	X509_PUBKEY_free(enc);
	return r;
}
