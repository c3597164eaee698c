/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificates as bytes, and the one naming rule of our PKI: a subject is
 * exactly CN=<TRE_id or SHO_id> (docs/pki.md, "Naming").
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "pki_impl.h"

/*
 * SHA-256 fetched once (issue 14): EVP_sha256() and SHA256() fetch the
 * implementation anew at each digest in OpenSSL 3.0 (a name look-up under
 * the method store's lock), and a certificate's cache key and SPKI pin are
 * a short digest each. Fetched from the process-wide context, whichever
 * thread asks first: a context of a thread's own may be freed before the
 * process ends.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(OSSL_LIB_CTX_get0_global_default(), "SHA256", NULL);
	ERR_clear_error();
}

/*
 * Is this thread on the process-wide library context? A certificate decoded in a context of its
 * own (a factory worker's, tre/key_tpm.c's) has its key there, and that context may be freed
 * while the process-wide cache still holds it: the next user of the cached key (the lab's PVA in
 * the same process) would crash. Such threads neither keep nor take cached certificates.
 */
static int on_global_ctx(void)
{
	OSSL_LIB_CTX *cur = OSSL_LIB_CTX_set0_default(NULL); /* NULL: only reads the thread's default */
	return !cur || cur == OSSL_LIB_CTX_get0_global_default();
}

/*
 * SHA-256 for this thread: the one fetched once when it is on the process-wide
 * context, else EVP_sha256(), fetched by OpenSSL in the thread's own context
 * at each use, so that context's providers (and their policy) decide, as
 * before the fetch was kept.
 */
const EVP_MD *pki_sha256(void)
{
	if (!on_global_ctx())
		return EVP_sha256();
	if (pthread_once(&sha256_once, sha256_fetch) != 0)
		return NULL;
	return sha256_md;
}

int pki_check_cn(const char *cn)
{
	size_t n = strnlen(cn, OM_NAME_MAX_LEN + 1);

	if (n == 0 || n > OM_NAME_MAX_LEN)
		return OM_EPKI_NAME;
	for (size_t i = 0; i < n; i++)
		if (cn[i] < 0x20 || cn[i] > 0x7e)
			return OM_EPKI_NAME;
	return 0;
}

X509_NAME *pki_name_new(const char *cn)
{
	X509_NAME *name = X509_NAME_new();

	/* UTF8String, as RFC 5280 4.1.2.6 asks of new certificates */
	if (name && !X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
						(const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(name);
		name = NULL;
	}
	return name;
}

int pki_name_cn(const X509_NAME *name, char out[static OM_NAME_MAX_LEN + 1])
{
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int n, r = OM_EPKI_NAME;

	if (!name || X509_NAME_entry_count(name) != 1 || !(e = X509_NAME_get_entry(name, 0)) ||
	    OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != NID_commonName)
		goto out;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n <= 0 || n > OM_NAME_MAX_LEN)
		goto out;
	/* checked as bytes: an embedded NUL or a non-ASCII look-alike is refused */
	for (int i = 0; i < n; i++)
		if (utf8[i] < 0x20 || utf8[i] > 0x7e)
			goto out;
	memcpy(out, utf8, (size_t)n);
	out[n] = '\0';
	r = n;
out:
	OPENSSL_free(utf8);
	ERR_clear_error();
	return r;
}

int om_cert_subject_cn(const X509 *cert, char out[static OM_NAME_MAX_LEN + 1])
{
	if (!cert || !out)
		return OM_EINVAL;
	return pki_name_cn(X509_get_subject_name(cert), out);
}

int om_cert_spki_pin(const X509 *cert, uint8_t out[static OM_SPKI_PIN_LEN])
{
	unsigned char *der = NULL;
	unsigned int md_len = 0;
	if (!cert || !out)
		return OM_EINVAL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	const EVP_MD *sha256 = pki_sha256();
	int ok = n > 0 && sha256 && EVP_Digest(der, (size_t)n, out, &md_len, sha256, NULL) == 1 &&
		 md_len == OM_SPKI_PIN_LEN;
	OPENSSL_free(der);
	if (!ok) {
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	return 0;
}

int pki_item_encode(const void *obj, const ASN1_ITEM *it, const char *label, enum om_encoding enc,
		    uint8_t **out, size_t *out_len)
{
	unsigned char *der = NULL;

	if (!obj || !out || !out_len || (enc != OM_ENC_DER && enc != OM_ENC_PEM))
		return OM_EINVAL;
	int n = ASN1_item_i2d((const ASN1_VALUE *)obj, &der, it);
	if (n <= 0) {
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	return pki_output(enc, label, der, (size_t)n, out, out_len);
}

int pki_item_decode(void **out, const ASN1_ITEM *it, const char *label, enum om_encoding enc,
		    const uint8_t *in, size_t len)
{
	ASN1_VALUE *obj = NULL;
	const uint8_t *der = NULL;
	const unsigned char *p;
	uint8_t *owned = NULL;
	size_t der_len = 0;
	int r;

	if (!out || !in)
		return OM_EINVAL;
	r = pki_input(enc, label, in, len, &der, &der_len, &owned);
	if (r < 0)
		goto out;
	r = OM_EPKI_MALFORMED;
	p = der;
	if (der_len > LONG_MAX || !(obj = ASN1_item_d2i(NULL, &p, (long)der_len, it)) ||
	    p != der + der_len)
		goto out;
	*out = obj;
	obj = NULL;
	r = 0;
out:
	ERR_clear_error();
	ASN1_item_free(obj, it);
	om_pki_free(owned, der_len);
	return r;
}

int om_cert_encode(const X509 *cert, enum om_encoding enc, uint8_t **out, size_t *out_len)
{
	return pki_item_encode(cert, ASN1_ITEM_rptr(X509), "CERTIFICATE", enc, out, out_len);
}

int om_cert_decode(X509 **out, enum om_encoding enc, const uint8_t *in, size_t len)
{
	void *obj = NULL;
	uint8_t id[SHA256_DIGEST_LENGTH];
	/* DER, the hot path: a certificate decoded before in this process is taken as it was (cert_cache.c) */
	const EVP_MD *sha256 = pki_sha256();
	int keyed = out && in && enc == OM_ENC_DER && sha256 && on_global_ctx() &&
		    EVP_Digest(in, len, id, NULL, sha256, NULL) == 1;
	X509 *hit = keyed ? pki_cert_cache_get(id) : NULL;
	if (hit) {
		*out = hit;
		return 0;
	}
	int r = pki_item_decode(out ? &obj : NULL, ASN1_ITEM_rptr(X509), "CERTIFICATE", enc, in, len);
	if (r == 0) {
		*out = obj;
		if (keyed)
			pki_cert_cache_put(id, obj);
	}
	ERR_clear_error();
	return r;
}

/* One DER element at *p within *left bytes: its body, and *p, *left past it. The constructed bit or -1. */
static int der_step(const unsigned char **p, long *left, int want_tag, int want_class, const unsigned char **body,
		    long *blen)
{
	const unsigned char *q = *p;
	long l = 0;
	int tag = 0, cls = 0;
	int r = ASN1_get_object(&q, &l, &tag, &cls, *left);
	if ((r & 0x80) || (r & 1) || tag != want_tag || cls != want_class) /* error, too long, indefinite */
		return -1;
	if (body)
		*body = q;
	if (blen)
		*blen = l;
	*left -= (long)(q - *p) + l;
	*p = q + l;
	return r & V_ASN1_CONSTRUCTED;
}

/* SubjectPublicKeyInfo of X25519 and of P-256 (uncompressed point) up to the key bytes: the one DER each has */
static const uint8_t spki_x25519[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00 };
static const uint8_t spki_p256[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
				     0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
				     0x42, 0x00 };

static EVP_PKEY *p256_fromdata(OSSL_LIB_CTX *lib, const uint8_t point[static 65])
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(lib, "EC", NULL);
	OSSL_PARAM ps[] = { OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
			    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, 65), OSSL_PARAM_END };
	if (!c || EVP_PKEY_fromdata_init(c) <= 0 || EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, ps) <= 0)
		k = NULL; /* a point off the curve too */
	EVP_PKEY_CTX_free(c);
	return k;
}

/*
 * A P-256 public key copied from, made once: the curve's generator G as its point (SEC 2 2.4.2,
 * uncompressed). EVP_PKEY_fromdata builds the curve's EC_GROUP anew for every key (the field's
 * and the order's Montgomery contexts: 11 of the 15 us a key costs, issue 14); a copy of this
 * key shares the group's precomputation and copies the rest, then takes its own point through
 * the same check as fromdata's (EC_POINT_oct2point: on the curve). Never used for anything
 * else, never changed after it is made, so copies may be taken from any thread.
 */
static const uint8_t p256_g[65] = {
	0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static EVP_PKEY *p256_template;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void p256_template_make(void)
{
	p256_template = p256_fromdata(OSSL_LIB_CTX_get0_global_default(), p256_g);
	ERR_clear_error();
}

EVP_PKEY *pki_p256_public(const uint8_t point[static 65])
{
	/* the template lives in the process-wide context: a thread on a context of its own
	 * (on_global_ctx) gets its key in that context, as fromdata gives it */
	if (point[0] == 0x04 && on_global_ctx() && pthread_once(&p256_once, p256_template_make) == 0 &&
	    p256_template) {
		EVP_PKEY *k = EVP_PKEY_dup(p256_template);
		if (k && EVP_PKEY_set1_encoded_public_key(k, point, 65) == 1)
			return k;
		EVP_PKEY_free(k);
		ERR_clear_error();
	}
	/* anything the copy did not take, fromdata decides, as it always did */
	return p256_fromdata(NULL, point);
}

int om_cert_pubkey_decode(EVP_PKEY **out, const uint8_t *der, size_t len)
{
	const unsigned char *p = der, *cert, *tbs, *spki;
	long left = (long)len, cl, tl;
	if (!out || !der || len > LONG_MAX)
		return OM_EINVAL;
	*out = NULL;
	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
	 * signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, ... } (RFC 5280 4.1) */
	if (der_step(&p, &left, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &cert, &cl) != V_ASN1_CONSTRUCTED || left != 0)
		goto bad;
	p = cert;
	left = cl;
	if (der_step(&p, &left, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &tbs, &tl) != V_ASN1_CONSTRUCTED)
		goto bad;
	p = tbs;
	left = tl;
	const unsigned char *v = p;
	long vleft = left;
	if (der_step(&v, &vleft, 0, V_ASN1_CONTEXT_SPECIFIC, NULL, NULL) == V_ASN1_CONSTRUCTED) {
		p = v;
		left = vleft;
	}
	if (der_step(&p, &left, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, NULL, NULL) != 0)
		goto bad;
	for (int i = 0; i < 4; i++) /* signature, issuer, validity, subject */
		if (der_step(&p, &left, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL) != V_ASN1_CONSTRUCTED)
			goto bad;
	spki = p;
	if (der_step(&p, &left, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL) != V_ASN1_CONSTRUCTED)
		goto bad;
	size_t sl = (size_t)(p - spki);
	if (sl == sizeof(spki_x25519) + 32 && !memcmp(spki, spki_x25519, sizeof(spki_x25519)))
		*out = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, spki + sizeof(spki_x25519), 32);
	else if (sl == sizeof(spki_p256) + 65 && !memcmp(spki, spki_p256, sizeof(spki_p256)))
		*out = pki_p256_public(spki + sizeof(spki_p256));
	else
		*out = d2i_PUBKEY(NULL, &spki, (long)sl);
	if (*out)
		return 0;
bad:
	ERR_clear_error();
	return OM_EPKI_MALFORMED;
}
