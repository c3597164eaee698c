/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PEM armour (RFC 7468) around the DER that the other files produce and
 * parse, so that each kind of object has exactly one parser: its DER one.
 */
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "pki_impl.h"

void om_pki_free(uint8_t *buf, size_t len)
{
	OPENSSL_clear_free(buf, len);
}

static int pem_wrap(const char *label, const uint8_t *der, size_t der_len, uint8_t **out,
		    size_t *out_len)
{
	int r = OM_ECRYPTO;
	char *data = NULL;
	uint8_t *copy = NULL;
	BIO *bio = BIO_new(BIO_s_mem());

	if (!bio || der_len > INT_MAX || PEM_write_bio(bio, label, "", der, (long)der_len) <= 0)
		goto out;
	long n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	copy = OPENSSL_malloc((size_t)n);
	if (!copy) {
		r = OM_ENOMEM;
		goto out;
	}
	memcpy(copy, data, (size_t)n);
	*out = copy;
	*out_len = (size_t)n;
	r = 0;
out:
	/* a memory BIO's buffer is cleansed when freed (BUF_MEM_free) */
	BIO_free(bio);
	return r;
}

int pki_output(enum om_encoding enc, const char *label, uint8_t *der, size_t der_len,
	       uint8_t **out, size_t *out_len)
{
	if (enc == OM_ENC_DER) {
		*out = der;
		*out_len = der_len;
		return 0;
	}
	int r = enc == OM_ENC_PEM ? pem_wrap(label, der, der_len, out, out_len) : OM_EINVAL;
	om_pki_free(der, der_len);
	return r;
}

static int all_space(const char *p, long n)
{
	for (long i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

int pki_pem_unwrap(const char *label, const uint8_t *in, size_t len, uint8_t **der,
		   size_t *der_len)
{
	int r = OM_EPKI_MALFORMED;
	char *name = NULL, *header = NULL, *rest = NULL;
	unsigned char *data = NULL;
	long n = 0;
	BIO *bio = NULL;

	if (len > INT_MAX)
		goto out;
	bio = BIO_new_mem_buf(in, (int)len);
	if (!bio) {
		r = OM_ENOMEM;
		goto out;
	}
	/* PEM_FLAG_SECURE: the body may be a private key; it is cleansed on free */
	if (!PEM_read_bio_ex(bio, &name, &header, &data, &n, PEM_FLAG_SECURE | PEM_FLAG_ONLY_B64))
		goto out;
	/* a header means legacy encryption (RFC 1421 Proc-Type): not ours */
	if (strcmp(name, label) != 0 || header[0] != '\0' || n <= 0)
		goto out;
	/* one object per input: a second block or garbage is not silently dropped */
	long left = BIO_get_mem_data(bio, &rest);
	if (left > 0 && !all_space(rest, left))
		goto out;
	*der = OPENSSL_malloc((size_t)n);
	if (!*der) {
		r = OM_ENOMEM;
		goto out;
	}
	memcpy(*der, data, (size_t)n);
	*der_len = (size_t)n;
	r = 0;
out:
	if (r < 0)
		ERR_clear_error();
	OPENSSL_secure_free(name);
	OPENSSL_secure_free(header);
	OPENSSL_secure_clear_free(data, n > 0 ? (size_t)n : 0);
	BIO_free(bio);
	return r;
}

int pki_input(enum om_encoding enc, const char *label, const uint8_t *in, size_t len,
	      const uint8_t **der, size_t *der_len, uint8_t **owned)
{
	*owned = NULL;
	if (enc == OM_ENC_DER) {
		*der = in;
		*der_len = len;
		return 0;
	}
	if (enc != OM_ENC_PEM)
		return OM_EINVAL;
	int r = pki_pem_unwrap(label, in, len, owned, der_len);
	*der = *owned;
	return r;
}
