/* SPDX-License-Identifier: Apache-2.0 */
/* PKI internals shared by the files of lib/pki; not part of the public API. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include <openmcim/pki.h>

/* The openmcim OIDs, registered with OpenSSL once (oid.c). */
enum pki_oid {
	PKI_OID_TRE_SIGNING,
	PKI_OID_TRE_ENCRYPTION,
	PKI_OID_SHO_SIGNING,
	PKI_OID_ENCRYPTION_KEY,
	PKI_OID_OWNER_CLAIM,
	PKI_OID_TCG_AIK,
	PKI_OID_COUNT
};

/* Register the OIDs (first call only). Returns 0 or OM_ECRYPTO. Every public
 * entry point that may meet the OIDs calls it first. */
OM_NODISCARD int pki_init(void);

/* The NID of an openmcim OID; valid after pki_init() succeeded. */
int pki_nid(enum pki_oid oid);

/* PEM armour (pem.c). pki_output() hands der over to *out for OM_ENC_DER and
 * wraps it for OM_ENC_PEM; in both cases der belongs to the callee. */
OM_NODISCARD int pki_output(enum om_encoding enc, const char *label, uint8_t *der, size_t der_len,
			    uint8_t **out, size_t *out_len);
/* The DER inside the single PEM block with this label; only whitespace may
 * follow it. Free *der with om_pki_free(). Returns 0 or OM_EPKI_MALFORMED. */
OM_NODISCARD int pki_pem_unwrap(const char *label, const uint8_t *in, size_t len, uint8_t **der,
				size_t *der_len);
/* The DER of one input: in itself (OM_ENC_DER) or the body of its PEM block,
 * then in *owned, to free with om_pki_free(*owned, *der_len). */
OM_NODISCARD int pki_input(enum om_encoding enc, const char *label, const uint8_t *in, size_t len,
			   const uint8_t **der, size_t *der_len, uint8_t **owned);

/* The signature scheme (sign.c): set up ctx for the scheme that key's type
 * fixes, to sign (verify = 0) or verify. Returns 0, OM_EPKI_KEY_TYPE or
 * OM_ECRYPTO. */
OM_NODISCARD int pki_digest_init(EVP_MD_CTX *ctx, EVP_PKEY *key, int verify);
/* Whether alg is exactly the AlgorithmIdentifier of our scheme for key_type
 * (ecdsa-with-SHA256; RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32). */
int pki_sigalg_is_ours(const X509_ALGOR *alg, enum om_key_type key_type);

/* DER and PEM of a certificate or a CSR (cert.c): it is ASN1_ITEM_rptr(X509)
 * or ASN1_ITEM_rptr(X509_REQ), label its PEM label. pki_item_encode() is
 * om_cert_encode() for obj of that type; pki_item_decode() is
 * om_cert_decode(): exactly one object, OM_EPKI_MALFORMED otherwise, *out
 * to free with ASN1_item_free(). */
OM_NODISCARD int pki_item_encode(const void *obj, const ASN1_ITEM *it, const char *label, enum om_encoding enc,
				 uint8_t **out, size_t *out_len);
OM_NODISCARD int pki_item_decode(void **out, const ASN1_ITEM *it, const char *label, enum om_encoding enc,
				 const uint8_t *in, size_t len);

/* Names (cert.c). */
/* 0 if cn is 1..OM_NAME_MAX_LEN printable ASCII characters, else OM_EPKI_NAME. */
OM_NODISCARD int pki_check_cn(const char *cn);
/* The CN of a name that holds exactly one entry, a printable-ASCII CN.
 * Returns its length or OM_EPKI_NAME. */
OM_NODISCARD int pki_name_cn(const X509_NAME *name, char out[static OM_NAME_MAX_LEN + 1]);
/* CN=cn as a new X509_NAME (UTF8String), or NULL. */
X509_NAME *pki_name_new(const char *cn);

/* Profiles (profile.c). */
/* Whether a key of this type may be certified for profile. */
int pki_profile_allows(enum om_cert_profile profile, enum om_key_type key_type);
/* Add basicConstraints, keyUsage, extendedKeyUsage and (OCSP_RESPONDER)
 * id-pkix-ocsp-nocheck for profile to cert. Returns 0 or OM_ECRYPTO. */
OM_NODISCARD int pki_profile_add_extensions(X509 *cert, enum om_cert_profile profile,
					    enum om_key_type key_type);
/* Add a subjectKeyIdentifier (RFC 5280 4.2.1.2 method 1) to cert, and copy
 * it into ski[20] if ski is not NULL. Returns 0 or OM_ECRYPTO. */
OM_NODISCARD int pki_add_ski(X509 *cert, uint8_t ski[20]);
/* Set a fresh positive 159-bit random serial number. 0, OM_ERANDOM or OM_ECRYPTO. */
OM_NODISCARD int pki_set_serial(X509 *cert);

/*
 * A CA ready to issue (ca.c): what every issuance repeats, prepared once:
 * the key, the issuer name (in cert), the authorityKeyIdentifier and the
 * optional authorityInfoAccess. A factory run issues 100,000 TRE
 * certificates from one handle; nothing about the CA is parsed or encoded
 * again per certificate.
 */
struct om_ca {
	X509 *cert;
	EVP_PKEY *key;
	time_t not_before, not_after;
	X509_EXTENSION *aki;
	X509_EXTENSION *aia; /* NULL: no OCSP URL */
};

/* Issuance helpers (issue.c). */
OM_NODISCARD int pki_sign_cert(X509 *cert, EVP_PKEY *key);
OM_NODISCARD int pki_set_validity(X509 *cert, time_t not_before, time_t not_after);

/* Key helpers (key.c). */
/* Whether key has a private part. */
int pki_key_is_private(const EVP_PKEY *key);

/*
 * The SubjectPublicKeyInfo DER of an EC P-256 key (uncompressed point) or
 * an X25519 key, assembled from the raw public key behind a fixed prefix:
 * i2d_PUBKEY() and X509_REQ_set_pubkey() go through OpenSSL 3.0's encoder
 * (and the latter its decoder too), far dearer than the signature that
 * follows. Byte for byte what the encoder writes (pki_csr_test.c).
 * Returns 0, or OM_EPKI_KEY_TYPE for any other key (RSA, a P-256 key set to
 * compressed points): those take the encoder.
 */
#define PKI_P256_SPKI_LEN 91
#define PKI_X25519_SPKI_LEN 44
#define PKI_SPKI_MAX PKI_P256_SPKI_LEN
OM_NODISCARD int pki_key_spki(const EVP_PKEY *key, uint8_t der[static PKI_SPKI_MAX], size_t *len);
/* The bytes of an X25519 SubjectPublicKeyInfo before the key (RFC 8410 4). */
extern const uint8_t pki_x25519_spki_prefix[PKI_X25519_SPKI_LEN - 32];

/*
 * CSR check (csr.c). On success info->key is the CSR's own public key (owned
 * by the CSR) and, when asked for, info->enc_key the encryption key it
 * carries (owned by info: free it with X509_PUBKEY_free). They are
 * SubjectPublicKeyInfos, ready to be copied into a certificate.
 */
struct pki_csr_info {
	X509_PUBKEY *key;
	enum om_key_type key_type;
	X509_PUBKEY *enc_key;
	enum om_key_type enc_key_type;
};
OM_NODISCARD int pki_csr_check(X509_REQ *csr, const char *cn, int want_enc_key,
			       struct pki_csr_info *info);

/* The omOwnerClaim extension (claim.c): verifier and generation count into cert. */
OM_NODISCARD int pki_add_claim(X509 *cert, const uint8_t *verifier);

/* SHA-256, fetched once per process (cert.c); NULL if it cannot be. */
const EVP_MD *pki_sha256(void);

/*
 * A P-256 public key from its uncompressed point (0x04 | X | Y), NULL if the
 * point is not on the curve: the same key EVP_PKEY_fromdata makes, copied
 * from one made once (cert.c, issue 14).
 */
EVP_PKEY *pki_p256_public(const uint8_t point[static 65]);

/*
 * Decoded certificates by the SHA-256 of their DER (cert_cache.c, issue 14):
 * get returns one with a new reference (the caller frees it) or NULL; put
 * keeps one more reference to x, the oldest entry making room.
 */
X509 *pki_cert_cache_get(const uint8_t id[static 32]);
void pki_cert_cache_put(const uint8_t id[static 32], X509 *x);
