/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keys and certificates for the objects tests, made with pki.h as the roles
 * make them: SHO[i] and SHO[i+1] roots from om_ca_create(), a SHO_SIGNING
 * certificate issued from a root, TRE signing keys. Test code only.
 */
#pragma once

#include <openmcim/pki.h>

#include "check.h"

static inline EVP_PKEY *tk_key(enum om_key_type type)
{
	EVP_PKEY *k = NULL;
	CHECK_INT(om_key_generate(&k, type), 0);
	return k;
}

/* A key with only its public half, as a verifier holds it. */
static inline EVP_PKEY *tk_public(EVP_PKEY *k)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pub = NULL;
	CHECK_INT(om_key_encode_public(k, OM_ENC_DER, &der, &len), 0);
	CHECK_INT(om_key_decode_public(&pub, OM_ENC_DER, der, len), 0);
	om_pki_free(der, len);
	return pub;
}

/* An operator root Cert_SHO[i] (CN=cn) and its key. */
struct tk_sho {
	EVP_PKEY *key;
	struct om_ca *ca;
	X509 *cert; /* owned by ca */
};

static inline void tk_sho_make(struct tk_sho *s, enum om_key_type type, const char *cn)
{
	s->key = tk_key(type);
	s->ca = NULL;
	CHECK_INT(om_ca_create(&s->ca, s->key, cn, 0, 0), 0);
	s->cert = s->ca ? om_ca_cert(s->ca) : NULL;
}

static inline void tk_sho_free(struct tk_sho *s)
{
	om_ca_free(s->ca);
	EVP_PKEY_free(s->key);
}

/* A SHO_SIGNING certificate and key issued from s (a key that is not the root's). */
static inline X509 *tk_sho_signer(struct tk_sho *s, enum om_key_type type, EVP_PKEY **key)
{
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct om_issue req = { .profile = OM_CERT_SHO_SIGNING, .cn = "SHO-SIGNER" };
	*key = tk_key(type);
	CHECK_INT(om_csr_create(&csr, *key, req.cn, NULL), 0);
	CHECK_INT(om_ca_issue(s->ca, csr, &req, &cert), 0);
	X509_REQ_free(csr);
	return cert;
}
