/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certificate profiles (docs/pki.md, "Profiles"): for each, the key
 * types it may certify and the basicConstraints, keyUsage and
 * extendedKeyUsage it fixes. The same table writes the extensions at
 * issuance and checks them at verification, so the two cannot drift apart.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki_impl.h"

#define SIGNING_KEYS ((1u << OM_KEY_EC_P256) | (1u << OM_KEY_RSA_2048))
#define ANY_KEY (SIGNING_KEYS | (1u << OM_KEY_X25519))
#define EKU_MAX 2
#define DAY ((time_t)24 * 3600)
#define YEAR (365 * DAY + DAY / 4) /* a Julian year */

/*
 * Roots and TRE certificates outlive the devices that carry them: an M2M
 * device serves 10 to 20 years and cannot be re-personalised in the field
 * (B.2.2.1); a TRE that must stop being trusted is revoked through the
 * PVA's OCSP responder instead. Operator certificates live behind servers
 * that can roll them, so they are short.
 *
 * keyUsage in OpenSSL's X509_get_key_usage() form (KU_*). An encryption
 * certificate's bit depends on the key (RFC 5280 4.2.1.3): keyAgreement for
 * ECDH keys (P-256, X25519, RFC 8410 5), keyEncipherment for RSA-OAEP.
 * "allowed" bounds what a certificate of the profile may carry at all, so a
 * key certified for encryption never verifies a signature and vice versa.
 */
struct profile {
	const char *name;
	time_t validity; /* default lifetime */
	unsigned key_types;
	int ca;
	uint32_t ku, ku_allowed;
	int eku[EKU_MAX]; /* NIDs, or OM(an enum pki_oid); 0 ends the list */
	int ocsp_nocheck;
};

/* An openmcim OID in an eku list, told apart from OpenSSL's NIDs (> 0). */
#define OM(oid) (~(int)(oid))

static const struct profile profiles[] = {
	[OM_CERT_ROOT_CA] = {
		.name = "ROOT_CA", .validity = 25 * YEAR, .key_types = SIGNING_KEYS, .ca = 1,
		.ku = KU_KEY_CERT_SIGN | KU_CRL_SIGN,
		.ku_allowed = KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE,
	},
	[OM_CERT_TRE_SIGNING] = {
		.name = "TRE_SIGNING", .validity = 20 * YEAR, .key_types = SIGNING_KEYS,
		.ku = KU_DIGITAL_SIGNATURE,
		.ku_allowed = KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
		.eku = { OM(PKI_OID_TRE_SIGNING) },
	},
	[OM_CERT_TRE_ENCRYPTION] = {
		.name = "TRE_ENCRYPTION", .validity = 20 * YEAR, .key_types = ANY_KEY,
		.ku = 0, /* by key type: required_ku() */
		.ku_allowed = KU_KEY_AGREEMENT | KU_KEY_ENCIPHERMENT,
		.eku = { OM(PKI_OID_TRE_ENCRYPTION) },
	},
	[OM_CERT_SHO_SIGNING] = {
		.name = "SHO_SIGNING", .validity = 2 * YEAR, .key_types = SIGNING_KEYS,
		.ku = KU_DIGITAL_SIGNATURE,
		.ku_allowed = KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
		.eku = { OM(PKI_OID_SHO_SIGNING) },
	},
	/* TLS 1.3 and ECDHE suites only sign; the extra allowed bits admit
	 * certificates from peers' own CAs */
	[OM_CERT_OPERATOR_TLS] = {
		.name = "OPERATOR_TLS", .validity = 397 * DAY, .key_types = SIGNING_KEYS,
		.ku = KU_DIGITAL_SIGNATURE,
		.ku_allowed = KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT,
		.eku = { NID_server_auth, NID_client_auth },
	},
	/* RFC 6960 4.2.2.2 (id-kp-OCSPSigning) and 4.2.2.2.1 (id-pkix-ocsp-nocheck) */
	[OM_CERT_OCSP_RESPONDER] = {
		.name = "OCSP_RESPONDER", .validity = 180 * DAY, .key_types = SIGNING_KEYS,
		.ku = KU_DIGITAL_SIGNATURE,
		.ku_allowed = KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
		.eku = { NID_OCSP_sign }, .ocsp_nocheck = 1,
	},
	/* a TPM attestation key: it signs quotes only (restricted); the TCG's AIK purpose */
	[OM_CERT_TRE_ATTESTATION] = {
		.name = "TRE_ATTESTATION", .validity = 20 * YEAR, .key_types = 1u << OM_KEY_EC_P256,
		.ku = KU_DIGITAL_SIGNATURE,
		.ku_allowed = KU_DIGITAL_SIGNATURE,
		.eku = { OM(PKI_OID_TCG_AIK) },
	},
};

static const struct profile *find(enum om_cert_profile p)
{
	return p >= OM_CERT_ROOT_CA && p <= OM_CERT_TRE_ATTESTATION ? &profiles[p] : NULL;
}

static int eku_nid(int e)
{
	return e < 0 ? pki_nid((enum pki_oid)~e) : e;
}

const char *om_cert_profile_name(enum om_cert_profile profile)
{
	const struct profile *p = find(profile);
	return p ? p->name : "?";
}

time_t om_cert_default_validity(enum om_cert_profile profile)
{
	const struct profile *p = find(profile);
	return p ? p->validity : 0;
}

static uint32_t required_ku(const struct profile *p, enum om_key_type key_type)
{
	if (p->ku)
		return p->ku;
	return key_type == OM_KEY_RSA_2048 ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT;
}

int pki_profile_allows(enum om_cert_profile profile, enum om_key_type key_type)
{
	const struct profile *p = find(profile);

	return p && key_type >= OM_KEY_EC_P256 && key_type <= OM_KEY_X25519 &&
	       (p->key_types & (1u << key_type));
}

/* KU_* (first octet is bit 0..7 from the top, then decipherOnly) to BIT STRING */
static ASN1_BIT_STRING *ku_bits(uint32_t ku)
{
	ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();

	for (int n = 0; bits && n < 8; n++)
		if ((ku & (0x80u >> n)) && !ASN1_BIT_STRING_set_bit(bits, n, 1)) {
			ASN1_BIT_STRING_free(bits);
			bits = NULL;
		}
	return bits;
}

int pki_profile_add_extensions(X509 *cert, enum om_cert_profile profile,
			       enum om_key_type key_type)
{
	const struct profile *p = find(profile);
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ku_bits(required_ku(p, key_type));
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_NULL *null = NULL;
	int r = OM_ECRYPTO;

	if (!bc || !ku)
		goto out;
	bc->ca = p->ca ? 0xff : 0;
	/* RFC 5280 4.2.1.9 and 4.2.1.3: both critical */
	if (X509_add1_ext_i2d(cert, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) != 1 ||
	    X509_add1_ext_i2d(cert, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) != 1)
		goto out;
	if (p->eku[0]) {
		if (!(eku = sk_ASN1_OBJECT_new_null()))
			goto out;
		for (int i = 0; i < EKU_MAX && p->eku[i]; i++)
			if (!sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(eku_nid(p->eku[i]))))
				goto out;
		if (X509_add1_ext_i2d(cert, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) != 1)
			goto out;
	}
	if (p->ocsp_nocheck &&
	    (!(null = ASN1_NULL_new()) ||
	     X509_add1_ext_i2d(cert, NID_id_pkix_OCSP_noCheck, null, 0, X509V3_ADD_DEFAULT) != 1))
		goto out;
	r = 0;
out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_free(eku); /* the objects are OpenSSL's table entries */
	ASN1_NULL_free(null);
	return r;
}

int pki_add_ski(X509 *cert, uint8_t ski[20])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	int r = OM_ECRYPTO;

	/* RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING */
	if (!os || !X509_pubkey_digest(cert, EVP_sha1(), md, &len) || len != 20 ||
	    !ASN1_OCTET_STRING_set(os, md, (int)len) ||
	    X509_add1_ext_i2d(cert, NID_subject_key_identifier, os, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	if (ski)
		memcpy(ski, md, 20);
	r = 0;
out:
	ASN1_OCTET_STRING_free(os);
	return r;
}

int pki_set_serial(X509 *cert)
{
	uint8_t b[20];
	BIGNUM *bn = NULL;
	int r = OM_ERANDOM;

	/* RFC 5280 4.1.2.2: positive, at most 20 octets; 159 random bits */
	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			goto out;
		b[0] &= 0x7f;
		BN_free(bn);
		bn = BN_bin2bn(b, sizeof(b), NULL);
		r = OM_ECRYPTO;
		if (!bn)
			goto out;
	} while (BN_is_zero(bn));
	if (!BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
		goto out;
	r = 0;
out:
	BN_free(bn);
	return r;
}

static int has_eku(const EXTENDED_KEY_USAGE *eku, int nid)
{
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			return 1;
	return 0;
}

int om_cert_check_profile(X509 *cert, enum om_cert_profile profile)
{
	const struct profile *p = find(profile);
	EXTENDED_KEY_USAGE *eku = NULL;
	int r, crit;

	if (!cert || !p)
		return OM_EINVAL;
	r = pki_init();
	if (r < 0)
		return r;
	uint32_t flags = X509_get_extension_flags(cert);
	EVP_PKEY *key = X509_get0_pubkey(cert);
	r = OM_EPKI_MALFORMED;
	if ((flags & EXFLAG_INVALID) || !key)
		goto out;
	r = OM_EPKI_PURPOSE;
	int key_type = om_key_type_of(key);
	if (key_type < 0 || !pki_profile_allows(profile, (enum om_key_type)key_type))
		goto out;
	if (!(flags & EXFLAG_KUSAGE) || !!(flags & EXFLAG_CA) != p->ca)
		goto out;
	uint32_t ku = X509_get_key_usage(cert);
	uint32_t need = required_ku(p, (enum om_key_type)key_type);
	if ((ku & need) != need || (ku & ~p->ku_allowed))
		goto out;
	if (p->eku[0]) {
		eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
		for (int i = 0; i < EKU_MAX && p->eku[i]; i++)
			if (!eku || !has_eku(eku, eku_nid(p->eku[i])))
				goto out;
	}
	r = 0;
out:
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return r;
}
