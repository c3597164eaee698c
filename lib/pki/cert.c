/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificates as bytes, and the one naming rule of our PKI: a subject is
 * exactly CN=<TRE_id or SHO_id> (docs/pki.md, "Naming").
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "pki_impl.h"

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
	int ok = n > 0 && EVP_Digest(der, (size_t)n, out, &md_len, EVP_sha256(), NULL) == 1 &&
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

int om_cert_decode(X509 **out, enum om_encoding enc, const uint8_t *in, size_t len)
{
	void *obj = NULL;
	uint8_t id[SHA256_DIGEST_LENGTH];
	/* DER, the hot path: a certificate decoded before in this process is taken as it was (cert_cache.c) */
	int keyed = out && in && enc == OM_ENC_DER && on_global_ctx() && SHA256(in, len, id) != NULL;
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
