/* SPDX-License-Identifier: Apache-2.0 */
/* The sealed-file envelope (seal_aead.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "seal_aead.h"

#define NONCE_LEN 12
#define TAG_LEN 16

static int make_aad(uint8_t aad[static TRE_AEAD_HDR_MAX + TRE_AEAD_NAME_MAX], const uint8_t *hdr, size_t hdr_len,
		    const char *name, size_t *aad_len)
{
	size_t n = strlen(name);
	if (n == 0 || n > TRE_AEAD_NAME_MAX || hdr_len > TRE_AEAD_HDR_MAX)
		return OM_EINVAL;
	memcpy(aad, hdr, hdr_len);
	memcpy(aad + hdr_len, name, n);
	*aad_len = hdr_len + n;
	return 0;
}

int tre_aead_seal(const uint8_t key[static TRE_AEAD_KEY_LEN], const uint8_t *hdr, size_t hdr_len, const char *name,
		  const uint8_t *pt, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t aad[TRE_AEAD_HDR_MAX + TRE_AEAD_NAME_MAX];
	size_t aad_len, total = hdr_len + NONCE_LEN + len + TAG_LEN;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	int rc = make_aad(aad, hdr, hdr_len, name, &aad_len), outl = 0;

	if (rc)
		return rc;
	if (len > (1u << 20))
		return OM_EINVAL;
	buf = malloc(total);
	if (!buf)
		return OM_ENOMEM;
	memcpy(buf, hdr, hdr_len);
	uint8_t *nonce = buf + hdr_len, *ct = nonce + NONCE_LEN, *tag = ct + len;
	if (RAND_bytes(nonce, NONCE_LEN) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) {
		rc = OM_ECRYPTO;
		goto out;
	}
	*out = buf;
	*out_len = total;
	buf = NULL;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(buf); /* ciphertext only: nothing to cleanse */
	return rc;
}

int tre_aead_open(const uint8_t key[static TRE_AEAD_KEY_LEN], const uint8_t *in, size_t len, size_t hdr_len,
		  const char *name, uint8_t **pt_out, size_t *len_out)
{
	uint8_t aad[TRE_AEAD_HDR_MAX + TRE_AEAD_NAME_MAX];
	uint8_t *pt = NULL;
	size_t aad_len, pt_len;
	EVP_CIPHER_CTX *ctx = NULL;
	int rc = make_aad(aad, in, hdr_len, name, &aad_len), outl = 0;

	if (rc)
		return rc;
	if (len < hdr_len + NONCE_LEN + TAG_LEN)
		return OM_ETRE_SEAL;
	pt_len = len - hdr_len - NONCE_LEN - TAG_LEN;
	pt = malloc(pt_len + 1);
	if (!pt)
		return OM_ENOMEM;
	const uint8_t *nonce = in + hdr_len, *ct = nonce + NONCE_LEN, *tag = ct + pt_len;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    (pt_len > 0 && EVP_DecryptUpdate(ctx, pt, &outl, ct, (int)pt_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)tag) != 1) {
		rc = OM_ECRYPTO;
		goto out;
	}
	/* The tag is checked here, in constant time, before any plaintext is used. */
	if (EVP_DecryptFinal_ex(ctx, pt + pt_len, &outl) != 1) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	*pt_out = pt;
	*len_out = pt_len;
	pt = NULL;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (pt) {
		OPENSSL_cleanse(pt, pt_len);
		free(pt);
	}
	return rc;
}
