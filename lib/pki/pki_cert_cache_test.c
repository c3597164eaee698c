/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certificate cache behind om_cert_decode (lib/pki/cert_cache.c, issue
 * 14): the same DER decodes to the same X509 (one more reference each time,
 * freed by each caller as before); other bytes, a changed byte included, to
 * another; bytes that do not decode leave *out untouched and are not kept;
 * once more certificates than the cache holds went through, the first one
 * still decodes, to an equal certificate. A thread on a library context of
 * its own neither keeps nor takes one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_fixture.h"

static void same_bytes_same_certificate(const struct pf_sho *s)
{
	X509 *a = NULL, *b = NULL;
	CHECK_INT(om_cert_decode(&a, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK_INT(om_cert_decode(&b, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK(a && a == b);
	CHECK(a && X509_cmp(a, s->cert) == 0);
	X509_free(a);
	/* b is still whole after a's reference went */
	CHECK(b && X509_cmp(b, s->cert) == 0);
	X509_free(b);
}

static void other_bytes_other_certificate(const struct pf_sho *s)
{
	X509 *a = NULL, *c = NULL, *out = (X509 *)&out;
	uint8_t *alt = malloc(s->der_len);
	CHECK(alt != NULL);
	if (!alt)
		return;
	memcpy(alt, s->der, s->der_len);
	alt[s->der_len - 1] ^= 0x01; /* a byte of the signature: still one certificate */
	CHECK_INT(om_cert_decode(&a, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK_INT(om_cert_decode(&c, OM_ENC_DER, alt, s->der_len), 0);
	CHECK(a && c && a != c && X509_cmp(a, c) != 0);
	/* not one certificate: an error, *out untouched, twice (nothing was kept) */
	CHECK_INT(om_cert_decode(&out, OM_ENC_DER, s->der, s->der_len - 1), OM_EPKI_MALFORMED);
	CHECK_INT(om_cert_decode(&out, OM_ENC_DER, s->der, s->der_len - 1), OM_EPKI_MALFORMED);
	CHECK(out == (X509 *)&out);
	X509_free(a);
	X509_free(c);
	free(alt);
}

static void more_than_it_holds(const struct pf_sho *s)
{
	/* 80 distinct certificates (one changed signature byte each) push the first one out */
	uint8_t *alt = malloc(s->der_len);
	CHECK(alt != NULL);
	for (unsigned i = 0; alt && i < 80; i++) {
		X509 *x = NULL;
		memcpy(alt, s->der, s->der_len);
		alt[s->der_len - 2] ^= (uint8_t)(i + 1);
		CHECK_INT(om_cert_decode(&x, OM_ENC_DER, alt, s->der_len), 0);
		X509_free(x);
	}
	free(alt);
	X509 *a = NULL;
	CHECK_INT(om_cert_decode(&a, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK(a && X509_cmp(a, s->cert) == 0);
	X509_free(a);
}

/*
 * A thread on a library context of its own neither keeps nor takes cached certificates: the key
 * of one decoded there belongs to that context, which is freed with its thread's work (a factory
 * worker), and a certificate it cached crashed the next user of the same bytes (the lab's PVA).
 */
static void own_context_keeps_nothing(const struct pf_sho *s)
{
	X509 *g = NULL, *a = NULL, *b = NULL, *after = NULL;
	CHECK_INT(om_cert_decode(&g, OM_ENC_DER, s->der, s->der_len), 0); /* cached on the global context */
	OSSL_LIB_CTX *own = OSSL_LIB_CTX_new();
	CHECK(own != NULL);
	OSSL_LIB_CTX *prev = OSSL_LIB_CTX_set0_default(own);
	CHECK_INT(om_cert_decode(&a, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK_INT(om_cert_decode(&b, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK_MSG(a && b && a != g && a != b, "a thread on its own context shared a cached certificate");
	CHECK(a && EVP_PKEY_get_bits(X509_get0_pubkey(a)) == 256); /* its key decoded there */
	X509_free(a);
	X509_free(b);
	OSSL_LIB_CTX_set0_default(prev);
	OSSL_LIB_CTX_free(own);
	/* back on the global context: the cached one, whole */
	CHECK_INT(om_cert_decode(&after, OM_ENC_DER, s->der, s->der_len), 0);
	CHECK(after == g && X509_cmp(after, s->cert) == 0 && EVP_PKEY_get_bits(X509_get0_pubkey(after)) == 256);
	X509_free(after);
	X509_free(g);
}

/*
 * The SPKI pin's SHA-256 on a thread's own library context comes from that
 * context's providers, not from the digest kept on the process-wide one
 * (cert.c pki_sha256): with only the null provider there, there is none.
 */
static void own_context_digests_there(const struct pf_sho *s)
{
	uint8_t pin[OM_SPKI_PIN_LEN];
	CHECK_INT(om_cert_spki_pin(s->cert, pin), 0); /* the kept SHA-256 fetched first */
	OSSL_LIB_CTX *own = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *null = own ? OSSL_PROVIDER_load(own, "null") : NULL;
	CHECK(own != NULL && null != NULL);
	OSSL_LIB_CTX *prev = OSSL_LIB_CTX_set0_default(own);
	CHECK_INT(om_cert_spki_pin(s->cert, pin), OM_ECRYPTO);
	OSSL_LIB_CTX_set0_default(prev);
	OSSL_PROVIDER_unload(null);
	OSSL_LIB_CTX_free(own);
	CHECK_INT(om_cert_spki_pin(s->cert, pin), 0);
}

int main(void)
{
	struct pf_sho s;
	pf_sho_make(&s, "SHO-CACHE");
	same_bytes_same_certificate(&s);
	other_bytes_other_certificate(&s);
	own_context_keeps_nothing(&s);
	own_context_digests_there(&s);
	more_than_it_holds(&s);
	pf_sho_free(&s);
	return check_done();
}
