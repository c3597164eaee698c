/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chain verification as the DPF checks Cert_TRE (B.2.3.4 III, NOTE X) and
 * the TRE checks the bootstrap signer against Cert_SHO[i] (B.2.3.3): each
 * profile accepted from its root, and each way a chain can be wrong refused
 * with its own code. After every refusal the good chain still verifies.
 */
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_testkit.h"

#define DAY ((time_t)24 * 3600)

/* One PVA, one SHO, and what they issued. */
struct world {
	time_t now;
	EVP_PKEY *pva_key, *sho_key, *tre_sig, *tre_enc, *op_key;
	struct om_ca *pva, *sho;
	X509 *tre_sc, *tre_ec, *sho_sc, *tls, *ocsp;
	X509_STORE *pva_store, *sho_store, *both_store;
};

static X509_STORE *store_of(X509 *a, X509 *b)
{
	X509 *roots[2] = { a, b };
	X509_STORE *s = NULL;
	CHECK_INT(om_trust_new(&s, roots, b ? 2 : 1), 0);
	return s;
}

static void world_new(struct world *w)
{
	X509_REQ *csr = NULL;

	w->now = time(NULL);
	w->pva_key = pt_key(OM_KEY_EC_P256);
	w->sho_key = pt_key(OM_KEY_EC_P256);
	w->tre_sig = pt_key(OM_KEY_EC_P256);
	w->tre_enc = pt_key(OM_KEY_X25519);
	w->op_key = pt_key(OM_KEY_EC_P256);
	/* roots that began a month ago, so that "not yet valid" has room */
	CHECK_INT(om_ca_create(&w->pva, w->pva_key, "PVA", w->now - 30 * DAY, 0), 0);
	CHECK_INT(om_ca_create(&w->sho, w->sho_key, "SHO-1", w->now - 30 * DAY, 0), 0);
	CHECK_INT(om_csr_create(&csr, w->tre_sig, "TRE-1", w->tre_enc), 0);
	CHECK_INT(pt_issue_tre(w->pva, csr, "TRE-1", w->now - DAY, w->now + 365 * DAY,
				  &w->tre_sc, &w->tre_ec),
		  0);
	X509_REQ_free(csr);
	w->sho_sc = pt_issue(w->sho, w->op_key, OM_CERT_SHO_SIGNING, "SHO-1", 0, 0, NULL);
	w->tls = pt_issue(w->sho, w->op_key, OM_CERT_OPERATOR_TLS, "SHO-1", 0, 0, NULL);
	w->ocsp = pt_issue(w->pva, w->op_key, OM_CERT_OCSP_RESPONDER, "PVA OCSP", 0, 0, NULL);
	w->pva_store = store_of(om_ca_cert(w->pva), NULL);
	w->sho_store = store_of(om_ca_cert(w->sho), NULL);
	w->both_store = store_of(om_ca_cert(w->pva), om_ca_cert(w->sho));
}

static void world_free(struct world *w)
{
	X509_STORE_free(w->pva_store);
	X509_STORE_free(w->sho_store);
	X509_STORE_free(w->both_store);
	X509_free(w->tre_sc);
	X509_free(w->tre_ec);
	X509_free(w->sho_sc);
	X509_free(w->tls);
	X509_free(w->ocsp);
	om_ca_free(w->pva);
	om_ca_free(w->sho);
	EVP_PKEY_free(w->pva_key);
	EVP_PKEY_free(w->sho_key);
	EVP_PKEY_free(w->tre_sig);
	EVP_PKEY_free(w->tre_enc);
	EVP_PKEY_free(w->op_key);
}

/* The refusal changed nothing: the genuine chain is still accepted. */
static void still_good(struct world *w)
{
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  0);
}

static void accepts_each_profile_from_its_root(struct world *w)
{
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  0);
	CHECK_INT(om_cert_verify(w->tre_ec, w->pva_store, NULL, 0, OM_CERT_TRE_ENCRYPTION,
				 OM_PKI_NOW),
		  0);
	CHECK_INT(om_cert_verify(w->sho_sc, w->sho_store, NULL, 0, OM_CERT_SHO_SIGNING, OM_PKI_NOW),
		  0);
	CHECK_INT(om_cert_verify(w->tls, w->sho_store, NULL, 0, OM_CERT_OPERATOR_TLS, OM_PKI_NOW),
		  0);
	CHECK_INT(om_cert_verify(w->ocsp, w->pva_store, NULL, 0, OM_CERT_OCSP_RESPONDER,
				 OM_PKI_NOW),
		  0);
	/* a root verifies as itself: how a TRE checks a stored Cert_SHO[i] */
	CHECK_INT(om_cert_verify(om_ca_cert(w->sho), w->sho_store, NULL, 0, OM_CERT_ROOT_CA,
				 OM_PKI_NOW),
		  0);
	/* at a chosen time inside every validity period */
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 w->now + 100 * DAY),
		  0);
}

static void refuses_expired_tre_certificate(struct world *w)
{
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 w->now + 366 * DAY),
		  OM_EPKI_EXPIRED);
	/* past the root's own end */
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 w->now + om_cert_default_validity(OM_CERT_ROOT_CA)),
		  OM_EPKI_EXPIRED);
	still_good(w);
}

static void refuses_certificate_not_yet_valid(struct world *w)
{
	X509 *later = pt_issue(w->pva, w->tre_sig, OM_CERT_TRE_SIGNING, "TRE-1", w->now + DAY, 0, NULL);
	CHECK_INT(om_cert_verify(later, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_NOT_YET_VALID);
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 w->now - 2 * DAY),
		  OM_EPKI_NOT_YET_VALID);
	CHECK_INT(om_cert_verify(later, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 w->now + 2 * DAY),
		  0);
	X509_free(later);
	still_good(w);
}

static void refuses_wrong_purpose(struct world *w)
{
	/* the TRE's encryption certificate offered for a signature, and back */
	CHECK_INT(om_cert_verify(w->tre_ec, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_TRE_ENCRYPTION,
				 OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	/* an SHO's certificate where a TRE's is expected, even from a trusted root */
	CHECK_INT(om_cert_verify(w->sho_sc, w->both_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	/* a TRE's certificate where the SHO's bootstrap signer is expected */
	CHECK_INT(om_cert_verify(w->tre_sc, w->both_store, NULL, 0, OM_CERT_SHO_SIGNING,
				 OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	CHECK_INT(om_cert_verify(w->tls, w->sho_store, NULL, 0, OM_CERT_SHO_SIGNING, OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	CHECK_INT(om_cert_verify(w->ocsp, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	CHECK_INT(om_cert_verify(om_ca_cert(w->pva), w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	CHECK_INT(om_cert_verify(w->tre_sc, w->pva_store, NULL, 0, OM_CERT_ROOT_CA, OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	still_good(w);
}

static void refuses_certificate_from_another_ca(struct world *w)
{
	EVP_PKEY *k = pt_key(OM_KEY_EC_P256);
	struct om_ca *rogue = NULL, *twin = NULL;

	/* the SHO's signer is unknown to a store of PVA roots */
	CHECK_INT(om_cert_verify(w->sho_sc, w->pva_store, NULL, 0, OM_CERT_SHO_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	CHECK_INT(om_ca_create(&rogue, k, "Rogue PVA", 0, 0), 0);
	X509 *a = pt_issue(rogue, w->tre_sig, OM_CERT_TRE_SIGNING, "TRE-1", 0, 0, NULL);
	CHECK_INT(om_cert_verify(a, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	/* a CA that copies the PVA's name is still another CA */
	CHECK_INT(om_ca_create(&twin, k, "PVA", w->now - 30 * DAY, 0), 0);
	X509 *b = pt_issue(twin, w->tre_sig, OM_CERT_TRE_SIGNING, "TRE-1", 0, 0, NULL);
	CHECK_INT(om_cert_verify(b, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	/* offering the rogue root as an intermediate does not make it trusted */
	X509 *inter[1] = { om_ca_cert(rogue) };
	CHECK_INT(om_cert_verify(a, w->pva_store, inter, 1, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	X509_free(a);
	X509_free(b);
	om_ca_free(rogue);
	om_ca_free(twin);
	EVP_PKEY_free(k);
	still_good(w);
}

static X509 *reparse(const uint8_t *der, size_t len)
{
	X509 *cert = NULL;
	CHECK_INT(om_cert_decode(&cert, OM_ENC_DER, der, len), 0);
	return cert;
}

static void refuses_tampered_certificate(struct world *w)
{
	uint8_t *der = NULL;
	size_t len = 0;

	CHECK_INT(om_cert_encode(w->tre_sc, OM_ENC_DER, &der, &len), 0);
	/* one bit of the signature value (the last byte of s) */
	der[len - 1] ^= 0x01;
	X509 *sig_flipped = reparse(der, len);
	der[len - 1] ^= 0x01;
	CHECK_INT(om_cert_verify(sig_flipped, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING,
				 OM_PKI_NOW),
		  OM_EPKI_BAD_SIGNATURE);
	/* one letter of the subject: another TRE_id under the PVA's signature */
	int changed = 0;
	for (size_t i = 0; i + 5 < len && !changed; i++)
		if (memcmp(der + i, "TRE-1", 5) == 0) {
			der[i + 4] = '2';
			changed = 1;
		}
	CHECK(changed);
	X509 *renamed = reparse(der, len);
	char cn[OM_NAME_MAX_LEN + 1];
	CHECK(renamed && om_cert_subject_cn(renamed, cn) == 5 && strcmp(cn, "TRE-2") == 0);
	CHECK_INT(om_cert_verify(renamed, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_BAD_SIGNATURE);
	X509_free(sig_flipped);
	X509_free(renamed);
	om_pki_free(der, len);
	still_good(w);
}

/* A certificate for key, issued by issuer_cert's subject and signed with issuer_key. */
static X509 *forge(X509 *issuer_cert, EVP_PKEY *issuer_key, EVP_PKEY *k, const char *cn)
{
	X509 *c = X509_new();
	X509V3_CTX ctx;
	CHECK(c && X509_set_version(c, X509_VERSION_3));
	CHECK(ASN1_INTEGER_set(X509_get_serialNumber(c), 12345));
	CHECK(X509_set_issuer_name(c, X509_get_subject_name(issuer_cert)));
	CHECK(X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
					 (const unsigned char *)cn, -1, -1, 0));
	CHECK(X509_gmtime_adj(X509_getm_notBefore(c), -3600) &&
	      X509_gmtime_adj(X509_getm_notAfter(c), 3600 * 24));
	CHECK(X509_set_pubkey(c, k));
	X509V3_set_ctx(&ctx, issuer_cert, c, NULL, NULL, 0);
	const char *exts[][2] = { { "basicConstraints", "critical,CA:FALSE" },
				  { "keyUsage", "critical,digitalSignature" },
				  { "extendedKeyUsage", OM_OID_TRE_SIGNING },
				  { "subjectKeyIdentifier", "hash" },
				  { "authorityKeyIdentifier", "keyid:always" } };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		CHECK(e && X509_add_ext(c, e, -1));
		X509_EXTENSION_free(e);
	}
	CHECK(X509_sign(c, issuer_key, EVP_sha256()) > 0);
	return c;
}

static void refuses_leaf_used_as_ca(struct world *w)
{
	/* a TRE with a genuine certificate vouches for a fake TRE */
	EVP_PKEY *k = pt_key(OM_KEY_EC_P256);
	X509 *fake = forge(w->tre_sc, w->tre_sig, k, "TRE-666");
	X509 *chain[1] = { w->tre_sc };
	CHECK_INT(om_cert_verify(fake, w->pva_store, chain, 1, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_CA_MISUSE);
	/* without the intermediate it has no issuer at all */
	CHECK_INT(om_cert_verify(fake, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	X509_free(fake);
	EVP_PKEY_free(k);
	still_good(w);
}

static void accepts_chain_through_an_intermediate(struct world *w)
{
	/* an issuing CA under the PVA root, as a PVA with an offline root runs */
	EVP_PKEY *ik = pt_key(OM_KEY_EC_P256);
	X509 *inter = X509_new();
	X509V3_CTX ctx;
	struct om_ca *issuing = NULL;
	CHECK(X509_set_version(inter, X509_VERSION_3) &&
	      ASN1_INTEGER_set(X509_get_serialNumber(inter), 77) &&
	      X509_set_issuer_name(inter, X509_get_subject_name(om_ca_cert(w->pva))) &&
	      X509_NAME_add_entry_by_txt(X509_get_subject_name(inter), "CN", MBSTRING_ASC,
					 (const unsigned char *)"PVA Issuing", -1, -1, 0) &&
	      X509_gmtime_adj(X509_getm_notBefore(inter), -3600) &&
	      X509_gmtime_adj(X509_getm_notAfter(inter), 3600 * 24 * 400) &&
	      X509_set_pubkey(inter, ik));
	X509V3_set_ctx(&ctx, om_ca_cert(w->pva), inter, NULL, NULL, 0);
	const char *exts[][2] = { { "basicConstraints", "critical,CA:TRUE,pathlen:0" },
				  { "keyUsage", "critical,keyCertSign,cRLSign" },
				  { "subjectKeyIdentifier", "hash" },
				  { "authorityKeyIdentifier", "keyid:always" } };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		CHECK(e && X509_add_ext(inter, e, -1));
		X509_EXTENSION_free(e);
	}
	CHECK(X509_sign(inter, w->pva_key, EVP_sha256()) > 0);
	CHECK_INT(om_ca_open(&issuing, inter, ik), 0);
	X509 *leaf = pt_issue(issuing, w->tre_sig, OM_CERT_TRE_SIGNING, "TRE-1", 0, 0, NULL);
	X509 *chain[1] = { inter };
	CHECK_INT(om_cert_verify(leaf, w->pva_store, chain, 1, OM_CERT_TRE_SIGNING, OM_PKI_NOW), 0);
	CHECK_INT(om_cert_verify(leaf, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	/* pathlen:0 forbids the issuing CA to make another CA */
	X509 *sub = forge(inter, ik, w->tre_sig, "TRE-1");
	X509 *fake = forge(sub, w->tre_sig, w->op_key, "TRE-2");
	X509 *chain2[2] = { sub, inter };
	CHECK_INT(om_cert_verify(fake, w->pva_store, chain2, 2, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_CA_MISUSE);
	X509_free(sub);
	X509_free(fake);
	X509_free(leaf);
	X509_free(inter);
	om_ca_free(issuing);
	EVP_PKEY_free(ik);
	still_good(w);
}

static void refuses_malformed_certificate(struct world *w)
{
	uint8_t *der = NULL, *pem = NULL;
	size_t len = 0, pem_len = 0;
	X509 *out = (X509 *)&out;

	/* a second keyUsage, signed by the genuine CA key: RFC 5280 4.2 forbids it */
	X509 *dup = X509_dup(w->tre_sc);
	X509_EXTENSION *ku = X509_get_ext(w->tre_sc, X509_get_ext_by_NID(w->tre_sc, NID_key_usage, -1));
	CHECK(X509_add_ext(dup, ku, -1));
	CHECK(X509_sign(dup, w->pva_key, EVP_sha256()) > 0);
	CHECK_INT(om_cert_verify(dup, w->pva_store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_MALFORMED);
	CHECK_INT(om_cert_check_profile(dup, OM_CERT_TRE_SIGNING), OM_EPKI_MALFORMED);
	X509_free(dup);

	/* bytes that are not one certificate */
	CHECK_INT(om_cert_encode(w->tre_sc, OM_ENC_DER, &der, &len), 0);
	CHECK_INT(om_cert_decode(&out, OM_ENC_DER, der, len - 1), OM_EPKI_MALFORMED);
	uint8_t *longer = calloc(1, len + 1);
	memcpy(longer, der, len);
	CHECK_INT(om_cert_decode(&out, OM_ENC_DER, longer, len + 1), OM_EPKI_MALFORMED);
	CHECK_INT(om_cert_encode(w->tre_sc, OM_ENC_PEM, &pem, &pem_len), 0);
	uint8_t *two = malloc(2 * pem_len);
	memcpy(two, pem, pem_len);
	memcpy(two + pem_len, pem, pem_len);
	CHECK_INT(om_cert_decode(&out, OM_ENC_PEM, two, 2 * pem_len), OM_EPKI_MALFORMED);
	CHECK_INT(om_cert_decode(&out, OM_ENC_PEM, der, len), OM_EPKI_MALFORMED);
	CHECK(out == (X509 *)&out);
	X509 *back = NULL;
	CHECK_INT(om_cert_decode(&back, OM_ENC_PEM, pem, pem_len), 0);
	CHECK(back && X509_cmp(back, w->tre_sc) == 0);
	X509_free(back);
	free(longer);
	free(two);
	om_pki_free(der, len);
	om_pki_free(pem, pem_len);
	still_good(w);
}

static void trust_store_takes_only_ca_certificates(struct world *w)
{
	X509_STORE *s = (X509_STORE *)&s;
	X509 *roots[2] = { om_ca_cert(w->pva), w->tre_sc };
	CHECK_INT(om_trust_new(&s, roots, 2), OM_EPKI_NOT_CA);
	CHECK(s == (X509_STORE *)&s);
	/* an empty store trusts nothing */
	X509_STORE *empty = NULL;
	CHECK_INT(om_trust_new(&empty, NULL, 0), 0);
	CHECK_INT(om_cert_verify(w->tre_sc, empty, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW),
		  OM_EPKI_UNTRUSTED);
	X509_STORE_free(empty);
	still_good(w);
}

int main(void)
{
	struct world w;
	world_new(&w);
	accepts_each_profile_from_its_root(&w);
	refuses_expired_tre_certificate(&w);
	refuses_certificate_not_yet_valid(&w);
	refuses_wrong_purpose(&w);
	refuses_certificate_from_another_ca(&w);
	refuses_tampered_certificate(&w);
	refuses_leaf_used_as_ca(&w);
	accepts_chain_through_an_intermediate(&w);
	refuses_malformed_certificate(&w);
	trust_store_takes_only_ca_certificates(&w);
	world_free(&w);
	return check_done();
}
