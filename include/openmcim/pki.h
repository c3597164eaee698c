/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keys, certificates and signatures for the roles of TR 33.812 annex B.2:
 * the PVA (TRE manufacturer) CA that certifies TRE keys from a CSR made in
 * the TRE (B.2.2.1), the operators' roots Cert_SHO[i] that devices hold as
 * trust roots (B.2.3.3), and the certificates that sign bootstraps,
 * M2MMobj and M2MMCIMMobj (B.2.3.4). The profiles, the OID arc and the
 * issuance of the TRE encryption certificate are described in docs/pki.md.
 *
 * Objects are OpenSSL's own (EVP_PKEY, X509, X509_REQ, X509_STORE) so that
 * the TLS, OCSP and XML-DSig layers can use them directly. Every function
 * that returns an object through an out parameter leaves *out untouched on
 * failure; on success the caller owns it and frees it with OpenSSL's
 * EVP_PKEY_free(), X509_free(), X509_REQ_free() or X509_STORE_free().
 * Buffers returned through uint8_t **out are freed with om_pki_free().
 *
 * Thread safety: every function may be called from several threads at once;
 * a struct om_ca may be shared by issuing threads once it is set up
 * (om_ca_set_ocsp_url() is part of setting it up).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include <openmcim/err.h>

/*
 * The openmcim arc: 2.25.<UUID as an integer> (ITU-T X.667 clause 6.3),
 * from UUID c3e5fe26-8063-4544-a838-0f29b2d374a8, so it needs no
 * registration. Never renumber: the OIDs are inside issued certificates.
 */
#define OM_OID_ARC "2.25.260393649941106665832569758742228464808"
#define OM_OID_TRE_SIGNING OM_OID_ARC ".1"    /* EKU: TRE signs M2MMobj */
#define OM_OID_TRE_ENCRYPTION OM_OID_ARC ".2" /* EKU: PuK_TRE wraps MCIM */
#define OM_OID_SHO_SIGNING OM_OID_ARC ".3"    /* EKU: SHO signs bootstrap, M2MMCIMMobj */
#define OM_OID_ENCRYPTION_KEY OM_OID_ARC ".4" /* CSR attribute: the TRE's encryption key */
#define OM_OID_OWNER_CLAIM OM_OID_ARC ".5"    /* extension of TRE_SIGNING: the owner claim verifier (claim.h) */
#define OM_OID_TCG_AIK "2.23.133.8.3"         /* EKU tcg-kp-AIKCertificate (TCG EK Credential Profile): TRE_ATTESTATION */

enum om_key_type {
	OM_KEY_EC_P256 = 1, /* signatures (ECDSA) or encryption (ECIES) */
	OM_KEY_RSA_2048 = 2, /* signatures (PSS) or encryption (OAEP) */
	OM_KEY_X25519 = 3,   /* encryption only */
};

enum om_encoding {
	OM_ENC_DER = 1,
	OM_ENC_PEM = 2,
};

/* What a certificate is for, in the texts' words. docs/pki.md has the table. */
enum om_cert_profile {
	OM_CERT_ROOT_CA = 1,      /* Cert_PVA, Cert_SHO[i]: self-signed trust roots */
	OM_CERT_TRE_SIGNING,      /* Cert_TRE for PrK_TRE signatures (B.2.3.4 II) */
	OM_CERT_TRE_ENCRYPTION,   /* Cert_TRE for PuK_TRE encryption (B.2.3.2, B.2.3.6) */
	OM_CERT_SHO_SIGNING,      /* signatureSHO[i] on bootstrap and M2MMCIMMobj */
	OM_CERT_OPERATOR_TLS,     /* operator servers and clients (mutual TLS) */
	OM_CERT_OCSP_RESPONDER,   /* PVA's delegated OCSP signer (RFC 6960 4.2.2.2) */
	OM_CERT_TRE_ATTESTATION,  /* the TRE's TPM attestation key (AK), for the PVA's quote check (issue 18) */
};

#define OM_SIG_MAX_LEN 256  /* RSA-2048; a DER ECDSA P-256 signature is <= 72 */
#define OM_NAME_MAX_LEN 64  /* ub-common-name (RFC 5280 appendix A.1) */
#define OM_PKI_NOW ((time_t)0)

/* ---- keys ------------------------------------------------------------------ */

/* Generate a fresh key pair. Returns 0, OM_EINVAL or OM_ECRYPTO. */
OM_NODISCARD int om_key_generate(EVP_PKEY **out, enum om_key_type type);

/*
 * The om_key_type of key (public or private), or OM_EPKI_KEY_TYPE for any
 * other kind or size (RSA-3072, P-384, an EC key with explicit parameters,
 * Ed25519, an RSA-PSS-only key ...).
 */
OM_NODISCARD int om_key_type_of(const EVP_PKEY *key);

/*
 * Keys whose private half lives in secure hardware (a TPM, through the
 * tpm2-openssl provider, or a PKCS#11 token, through the TRE's own provider,
 * loaded into a library context of its own: tre/key_tpm.c, tre/key_p11.c). om_key_bind_hw gives key that library context (the key then
 * owns it: freed with the key, after the key's provider data) and the
 * property query that picks the hardware's implementations; every signing,
 * decryption and key agreement of this library then runs there, never in
 * the default provider (which would need the private half).
 * om_key_hw: 1 and *lib, *propq for such a key; 0 for any other.
 */
OM_NODISCARD int om_key_bind_hw(EVP_PKEY *key, OSSL_LIB_CTX *lib, const char *propq);
int om_key_hw(const EVP_PKEY *key, OSSL_LIB_CTX **lib, const char **propq);
/* Unload every provider loaded into lib (OSSL_PROVIDER_load), then free it. */
void om_libctx_free(OSSL_LIB_CTX *lib);

/*
 * A public key standing for a private one that the hardware keeps (a TPM
 * key released after its CSR: tre/key_tpm.c), with the hardware's opaque
 * handle of it (blob, copied; not secret). It signs nothing here:
 * om_key_hw is 0 for it. om_key_hw_blob: 1 and the blob, or 0.
 */
OM_NODISCARD int om_key_bind_hw_blob(EVP_PKEY *pub, const uint8_t *blob, size_t len);
int om_key_hw_blob(const EVP_PKEY *key, const uint8_t **blob, size_t *len);
/*
 * One more reference to key, for a second holder (a cache beside the TRE):
 * EVP_PKEY_up_ref, and for a hardware key one more on what om_key_bind_hw
 * or om_key_bind_hw_blob bound to it. Each holder then calls om_key_free.
 * 0, OM_EINVAL or OM_ENOMEM.
 */
OM_NODISCARD int om_key_up_ref(EVP_PKEY *key);
/* Drop one reference: EVP_PKEY_free, and with the last reference free what
 * om_key_bind_hw or om_key_bind_hw_blob bound to key (with OpenSSL 3.0 the
 * ex_data free callback was seen not to run for keys freed in the factory's
 * worker threads: LeakSanitizer, factory_cli_test). Free hardware keys with
 * it, and share them with om_key_up_ref: a hardware key shared by
 * EVP_PKEY_up_ref alone loses its library context at the first holder's
 * om_key_free. */
void om_key_free(EVP_PKEY *key);

/*
 * Encode the private key as unencrypted PKCS#8 (PEM label "PRIVATE KEY").
 * *out is secret: free it with om_pki_free(), which cleanses it.
 * Returns 0, OM_EINVAL (no private part) or OM_ECRYPTO.
 */
OM_NODISCARD int om_key_encode_private(const EVP_PKEY *key, enum om_encoding enc, uint8_t **out,
				       size_t *out_len);

/* Encode the public key as SubjectPublicKeyInfo (PEM label "PUBLIC KEY"). */
OM_NODISCARD int om_key_encode_public(const EVP_PKEY *key, enum om_encoding enc, uint8_t **out,
				      size_t *out_len);

/*
 * Decode exactly one PKCS#8 private key (PEM: one "PRIVATE KEY" block, only
 * whitespace after it; encrypted keys are refused). Returns 0,
 * OM_EPKI_MALFORMED, or OM_EPKI_KEY_TYPE for a key that is not one of
 * enum om_key_type.
 */
OM_NODISCARD int om_key_decode_private(EVP_PKEY **out, enum om_encoding enc, const uint8_t *in,
				       size_t len);

/* Decode one SubjectPublicKeyInfo; same rules and codes. */
OM_NODISCARD int om_key_decode_public(EVP_PKEY **out, enum om_encoding enc, const uint8_t *in,
				      size_t len);

/* Cleanse and free a buffer returned by this API; NULL is allowed. */
void om_pki_free(uint8_t *buf, size_t len);

/* ---- files (atomic: temp file in the same folder, fsync, rename) ----------- */

/* Write key as PKCS#8 PEM, mode 0600. Returns 0, OM_EINVAL, OM_ECRYPTO or OM_EIO. */
OM_NODISCARD int om_key_save(const char *path, const EVP_PKEY *key);

/* Read a PKCS#8 PEM private key. Returns 0, OM_EIO, OM_EPKI_MALFORMED or OM_EPKI_KEY_TYPE. */
OM_NODISCARD int om_key_load(EVP_PKEY **out, const char *path);

/* Write cert as PEM, mode 0644. Returns 0, OM_EINVAL, OM_ECRYPTO or OM_EIO. */
OM_NODISCARD int om_cert_save(const char *path, const X509 *cert);

/* Read one PEM certificate. Returns 0, OM_EIO or OM_EPKI_MALFORMED. */
OM_NODISCARD int om_cert_load(X509 **out, const char *path);

/* ---- certificates and CSRs ----------------------------------------------- */

OM_NODISCARD int om_cert_encode(const X509 *cert, enum om_encoding enc, uint8_t **out,
				size_t *out_len);

/*
 * Decode exactly one certificate (DER with no trailing bytes, or one PEM
 * "CERTIFICATE" block). Returns 0 or OM_EPKI_MALFORMED.
 */
OM_NODISCARD int om_cert_decode(X509 **out, enum om_encoding enc, const uint8_t *in, size_t len);

/*
 * The subject's public key of a DER certificate that was checked before (on
 * its way into a store), without decoding the rest (issue 14): OpenSSL 3.0
 * builds a decoder context for the key of every certificate it parses, about
 * 0.4 ms each here, so a P-256 or X25519 SubjectPublicKeyInfo in its one DER
 * form is imported directly (a P-256 point off the curve is refused); any
 * other key goes through d2i_PUBKEY. The DER framing up to the key is walked
 * with bounds, nothing else of the certificate is looked at: use
 * om_cert_decode for a certificate from outside. Returns 0 or
 * OM_EPKI_MALFORMED.
 */
OM_NODISCARD int om_cert_pubkey_decode(EVP_PKEY **out, const uint8_t *der, size_t len);

/*
 * Copy the subject's CN (TRE_id or SHO_id) into out. Returns its length, or
 * OM_EPKI_NAME if the subject has no single printable-ASCII CN.
 */
OM_NODISCARD int om_cert_subject_cn(const X509 *cert, char out[static OM_NAME_MAX_LEN + 1]);

/*
 * The key pin of a certificate: SHA-256 of its DER SubjectPublicKeyInfo
 * (the pin-sha256 of RFC 7469 2.4), so a certificate renewed on the same
 * key keeps its pin. Returns 0, OM_EINVAL or OM_ECRYPTO.
 */
#define OM_SPKI_PIN_LEN 32
OM_NODISCARD int om_cert_spki_pin(const X509 *cert, uint8_t out[static OM_SPKI_PIN_LEN]);

/* "ROOT_CA", "TRE_SIGNING", ...; "?" for an unknown value. */
const char *om_cert_profile_name(enum om_cert_profile profile);

/* Default lifetime of a certificate of this profile in seconds; 0 if unknown. */
time_t om_cert_default_validity(enum om_cert_profile profile);

/*
 * Make a CSR with subject CN=cn, signed by sign_key (EC P-256 or RSA-2048,
 * with the scheme of om_sign()). If enc_key is not NULL, its public key is
 * carried in the signed request as the attribute OM_OID_ENCRYPTION_KEY: this
 * is how a TRE asks for its encryption certificate, since an X25519 key
 * cannot sign a request of its own (docs/pki.md, "Issuing the encryption
 * certificate"). cn: 1..64 printable ASCII characters.
 * Returns 0, OM_EINVAL, OM_EPKI_NAME, OM_EPKI_KEY_TYPE, OM_EPKI_KEY_REUSE
 * (enc_key is sign_key) or OM_ECRYPTO.
 */
OM_NODISCARD int om_csr_create(X509_REQ **out, EVP_PKEY *sign_key, const char *cn,
			       const EVP_PKEY *enc_key);

OM_NODISCARD int om_csr_encode(const X509_REQ *csr, enum om_encoding enc, uint8_t **out,
			       size_t *out_len);

/* Decode exactly one CSR (PEM label "CERTIFICATE REQUEST"). 0 or OM_EPKI_MALFORMED. */
OM_NODISCARD int om_csr_decode(X509_REQ **out, enum om_encoding enc, const uint8_t *in, size_t len);

/* ---- certification authority ------------------------------------------------ */

/* A CA ready to issue: its certificate, private key and the parts every
 * certificate it issues repeats, prepared once. */
struct om_ca;

/*
 * Create a self-signed ROOT_CA certificate with subject CN=cn for key (EC
 * P-256 or RSA-2048) and a CA handle around it: the PVA's CA, or an
 * operator's Cert_SHO[i]. not_before 0 means now; not_after 0 means
 * not_before + om_cert_default_validity(OM_CERT_ROOT_CA).
 * Returns 0, OM_EINVAL, OM_EPKI_NAME, OM_EPKI_KEY_TYPE, OM_EPKI_VALIDITY,
 * OM_ERANDOM or OM_ECRYPTO.
 */
OM_NODISCARD int om_ca_create(struct om_ca **out, EVP_PKEY *key, const char *cn, time_t not_before,
			      time_t not_after);

/*
 * A CA handle from an existing CA certificate and its private key (both are
 * referenced, not copied). Returns 0, OM_EINVAL, OM_EPKI_NOT_CA (not a
 * ROOT_CA-profile certificate), OM_EPKI_KEY_MISMATCH, OM_EPKI_KEY_TYPE or
 * OM_ECRYPTO.
 */
OM_NODISCARD int om_ca_open(struct om_ca **out, X509 *cert, EVP_PKEY *key);

/*
 * Put an authorityInfoAccess extension with this OCSP responder URL
 * ("http://" or "https://", printable ASCII, at most 255 bytes) into every
 * certificate issued from now on (RFC 5280 4.2.2.1). NULL removes it.
 * Returns 0, OM_EINVAL, OM_EPKI_NAME or OM_ECRYPTO.
 */
OM_NODISCARD int om_ca_set_ocsp_url(struct om_ca *ca, const char *url);

/* The CA's certificate, owned by the handle. */
X509 *om_ca_cert(const struct om_ca *ca);

void om_ca_free(struct om_ca *ca);

/* What to issue. */
struct om_issue {
	enum om_cert_profile profile; /* any but OM_CERT_ROOT_CA */
	const char *cn;      /* TRE_id or SHO_id; the CSR must carry the same CN */
	time_t not_before;   /* 0: now */
	time_t not_after;    /* 0: not_before + default, cut at the CA's not_after */
	const char *dns_name; /* OPERATOR_TLS: a subjectAltName dNSName, or NULL */
	const uint8_t *claim_verifier; /* TRE_SIGNING: 16 bytes for omOwnerClaim (claim.h), or NULL */
};

/*
 * Issue a certificate from csr. The CSR is checked before anything is
 * issued: its signature (ECDSA P-256/SHA-256 or RSA-2048 PSS as in
 * om_sign(); no other scheme), its subject (exactly CN=req->cn) and the key
 * type against the profile. The certified key is the CSR's own, except for
 * OM_CERT_TRE_ENCRYPTION, where it is the key the CSR carries in its
 * OM_OID_ENCRYPTION_KEY attribute. Nothing else in the CSR (requested
 * extensions, other attributes) reaches the certificate.
 * Returns 0, OM_EINVAL, OM_EPKI_MALFORMED, OM_EPKI_CSR_SIGNATURE,
 * OM_EPKI_CSR_SUBJECT, OM_EPKI_CSR_ENC_KEY, OM_EPKI_KEY_TYPE,
 * OM_EPKI_KEY_REUSE, OM_EPKI_NAME, OM_EPKI_VALIDITY, OM_ERANDOM or OM_ECRYPTO.
 */
OM_NODISCARD int om_ca_issue(const struct om_ca *ca, X509_REQ *csr, const struct om_issue *req,
			     X509 **out);

/*
 * Manufacture (B.2.2.1 with its note on two key pairs): from one TRE CSR
 * that carries the encryption key, issue the TRE_SIGNING and the
 * TRE_ENCRYPTION certificate, both with CN=tre_id and the same validity,
 * checking the CSR once. The certificates come back as DER, what the
 * factory writes into the TRE: parsing them back into X509 objects would
 * cost more than issuing them (docs/pki.md, "Issuance speed"). Free them
 * with om_pki_free(). On failure neither is returned. Codes as om_ca_issue().
 */
OM_NODISCARD int om_ca_issue_tre(const struct om_ca *ca, X509_REQ *csr, const char *tre_id,
				 time_t not_before, time_t not_after, uint8_t **sign_der,
				 size_t *sign_len, uint8_t **enc_der, size_t *enc_len);

/*
 * om_ca_issue_tre() with the owner claim verifier (claim.h, OM_CLAIM_LEN
 * bytes, for OM_CLAIM_GENERATIONS owners) in the TRE_SIGNING certificate:
 * what the factory issues, so that only the buyer can register the device.
 */
OM_NODISCARD int om_ca_issue_tre_claimed(const struct om_ca *ca, X509_REQ *csr, const char *tre_id,
					 time_t not_before, time_t not_after, const uint8_t *claim_verifier,
					 uint8_t **sign_der, size_t *sign_len, uint8_t **enc_der,
					 size_t *enc_len);

/*
 * A TRE_ATTESTATION certificate (CN=tre_id) for ak, the public half of an
 * attestation key the issuer has made in the device's TPM itself (om_tre_ak_create):
 * a restricted TPM key signs no CSR (TPM 2.0 Part 1, 25.2.3), so the
 * factory vouches for it from its own line (docs/decisions.md). DER into
 * *der (om_pki_free). Codes as om_ca_issue(), OM_EPKI_KEY_TYPE for
 * anything but EC P-256.
 */
OM_NODISCARD int om_ca_issue_ak(const struct om_ca *ca, EVP_PKEY *ak, const char *tre_id, uint8_t **der,
				size_t *der_len);

/* ---- verification ----------------------------------------------------------- */

/*
 * A trust store holding roots (each must fit the ROOT_CA profile: a CA
 * certificate allowed to sign certificates). Give a device's store only
 * Cert_SHO[i], a DPF's store for TRE certificates only the PVA roots: the
 * store decides whose word a profile takes.
 * Returns 0, OM_EINVAL, OM_EPKI_NOT_CA or OM_ECRYPTO.
 */
OM_NODISCARD int om_trust_new(X509_STORE **out, X509 *const *roots, size_t n_roots);

/*
 * Check that cert has the extensions and key type of profile (no chain, no
 * time): e.g. that Cert_SHO[i+1] from a bootstrap is a ROOT_CA before it is
 * installed. Returns 0, OM_EINVAL, OM_EPKI_MALFORMED or OM_EPKI_PURPOSE.
 */
OM_NODISCARD int om_cert_check_profile(X509 *cert, enum om_cert_profile profile);

/*
 * Verify leaf for profile at time at (OM_PKI_NOW for the current time):
 * a chain to a root in trust through the optional untrusted intermediates,
 * RFC 5280 path validation in OpenSSL's strict mode with at least 112-bit
 * security, then om_cert_check_profile() on the leaf.
 * Returns 0, OM_EINVAL, or the first failure found:
 * OM_EPKI_UNTRUSTED (no trusted issuer), OM_EPKI_BAD_SIGNATURE,
 * OM_EPKI_EXPIRED, OM_EPKI_NOT_YET_VALID, OM_EPKI_CA_MISUSE (a non-CA
 * certificate as issuer), OM_EPKI_PURPOSE, OM_EPKI_MALFORMED, OM_EPKI_CHAIN.
 */
OM_NODISCARD int om_cert_verify(X509 *leaf, X509_STORE *trust, X509 *const *intermediates,
				size_t n_intermediates, enum om_cert_profile profile, time_t at);

/* ---- signatures ------------------------------------------------------------- */

/*
 * Sign msg with key. The scheme follows the key: ECDSA P-256 with SHA-256
 * (DER-encoded Ecdsa-Sig-Value, RFC 5480), or RSASSA-PSS with SHA-256,
 * MGF1-SHA-256 and a 32-byte salt (RFC 8017 8.1). Returns the signature
 * length, OM_EINVAL, OM_EPKI_KEY_TYPE (X25519 or another key) or OM_ECRYPTO.
 */
OM_NODISCARD int om_sign(EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
			 uint8_t sig[static OM_SIG_MAX_LEN]);

/*
 * Verify sig over msg with the scheme that key's type fixes; the signature
 * bytes never choose it, so a PKCS#1 v1.5 signature never passes for PSS.
 * Returns 0, OM_EINVAL, OM_EPKI_KEY_TYPE or OM_EPKI_SIGNATURE.
 */
OM_NODISCARD int om_verify(EVP_PKEY *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
			   size_t sig_len);

/*
 * A stapled certificate status (spec/000 5.2.2.3.2 step 7: the equipment
 * "uses the OCSP service to verify the operators certificate used for the
 * signature"): resp is a DER OCSPResponse (RFC 6960) about cert, which
 * issuer must have issued (its signature on cert is checked). Accepted
 * when it is a successful basic response signed by issuer itself or by a
 * responder certificate issuer issued with id-kp-OCSPSigning (RFC 6960
 * 4.2.2.2), has a SingleResponse for cert's CertID (SHA-1 or SHA-256)
 * saying good, and is fresh at now: thisUpdate not after now + 300 s
 * and not before now - max_age, nextUpdate (if any) not before now.
 * Returns 0, OM_EINVAL, OM_EPKI_STATUS_MALFORMED, OM_EPKI_STATUS_SIGNER,
 * OM_EPKI_STATUS_UNKNOWN, OM_EPKI_STATUS_REVOKED or OM_EPKI_STATUS_STALE.
 */
OM_NODISCARD int om_cert_status_check(const uint8_t *resp, size_t resp_len, X509 *cert, X509 *issuer, time_t now,
				      long max_age);
