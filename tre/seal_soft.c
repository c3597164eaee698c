/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The software sealing backend: AES-256-GCM under a 32-byte device sealing
 * key in dir/seal.key (mode 0600). A sealed file is
 *   "OMSL" | version(1) = 1 | nonce(12) | ciphertext | tag(16)
 * with AAD = "OMSL" | version | the file's name, so that a file renamed
 * over another (an old MID over a new one, a MID over the state record)
 * does not open. Random 96-bit nonces: the key seals at most a few thousand
 * files in a device's life, far below the 2^32 limit of NIST SP 800-38D 8.3.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <openmcim/tre.h>

#include "fileio.h"
#include "seal.h"

#define SEAL_KEY_LEN 32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_HDR_LEN 5
#define SEAL_VERSION 1
#define SEAL_NAME_MAX 128

struct soft {
	struct tre_sealer base; /* first: the ops get a struct tre_sealer * */
	uint8_t key[SEAL_KEY_LEN];
	char dir[TRE_PATH_MAX];
};

static const uint8_t magic[4] = { 'O', 'M', 'S', 'L' };

static int make_aad(uint8_t aad[static SEAL_HDR_LEN + SEAL_NAME_MAX], const char *name, size_t *aad_len)
{
	size_t n = strlen(name);
	if (n == 0 || n > SEAL_NAME_MAX)
		return OM_EINVAL;
	memcpy(aad, magic, 4);
	aad[4] = SEAL_VERSION;
	memcpy(aad + SEAL_HDR_LEN, name, n);
	*aad_len = SEAL_HDR_LEN + n;
	return 0;
}

static int soft_put(struct tre_sealer *base, const char *name, const uint8_t *pt, size_t len, int excl)
{
	struct soft *s = (struct soft *)base;
	uint8_t aad[SEAL_HDR_LEN + SEAL_NAME_MAX];
	size_t aad_len, total = SEAL_HDR_LEN + SEAL_NONCE_LEN + len + SEAL_TAG_LEN;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	int rc = make_aad(aad, name, &aad_len), outl = 0;

	if (rc)
		return rc;
	if (len > (1u << 20))
		return OM_EINVAL;
	buf = malloc(total);
	if (!buf)
		return OM_ENOMEM;
	memcpy(buf, aad, SEAL_HDR_LEN);
	uint8_t *nonce = buf + SEAL_HDR_LEN, *ct = nonce + SEAL_NONCE_LEN, *tag = ct + len;
	if (RAND_bytes(nonce, SEAL_NONCE_LEN) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, s->key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1) {
		rc = OM_ECRYPTO;
		goto out;
	}
	rc = tre_file_write(s->dir, name, buf, total, excl, s->base.flags & OM_TRE_NO_FSYNC);
out:
	EVP_CIPHER_CTX_free(ctx);
	free(buf); /* ciphertext only: nothing to cleanse */
	return rc;
}

static int soft_get(struct tre_sealer *base, const char *name, uint8_t **pt_out, size_t *len_out)
{
	struct soft *s = (struct soft *)base;
	uint8_t aad[SEAL_HDR_LEN + SEAL_NAME_MAX];
	uint8_t *buf = NULL, *pt = NULL;
	size_t aad_len, len = 0, pt_len = 0;
	EVP_CIPHER_CTX *ctx = NULL;
	int rc = make_aad(aad, name, &aad_len), outl = 0;

	if (rc)
		return rc;
	rc = tre_file_read(s->dir, name, &buf, &len);
	if (rc)
		return rc;
	if (len < SEAL_HDR_LEN + SEAL_NONCE_LEN + SEAL_TAG_LEN || memcmp(buf, aad, SEAL_HDR_LEN) != 0) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	pt_len = len - SEAL_HDR_LEN - SEAL_NONCE_LEN - SEAL_TAG_LEN;
	pt = malloc(pt_len + 1);
	if (!pt) {
		rc = OM_ENOMEM;
		goto out;
	}
	const uint8_t *nonce = buf + SEAL_HDR_LEN, *ct = nonce + SEAL_NONCE_LEN, *tag = ct + pt_len;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, s->key, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    (pt_len > 0 && EVP_DecryptUpdate(ctx, pt, &outl, ct, (int)pt_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, (void *)tag) != 1) {
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
	free(buf);
	return rc;
}

static int soft_erase(struct tre_sealer *base, const char *name)
{
	struct soft *s = (struct soft *)base;
	return tre_file_erase(s->dir, name, s->base.flags & OM_TRE_NO_FSYNC);
}

static void soft_close(struct tre_sealer *base)
{
	struct soft *s = (struct soft *)base;
	OPENSSL_cleanse(s->key, sizeof(s->key));
	free(s);
}

static const struct tre_seal_ops soft_ops = {
	.name = "software-aes256gcm",
	.put = soft_put,
	.get = soft_get,
	.erase = soft_erase,
	.close = soft_close,
};

static struct soft *soft_new(const char *dir, unsigned flags)
{
	struct soft *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	size_t n = strlen(dir);
	if (n >= sizeof(s->dir)) {
		free(s);
		return NULL;
	}
	memcpy(s->dir, dir, n + 1);
	s->base.ops = &soft_ops;
	s->base.flags = flags;
	return s;
}

int tre_seal_soft_create(struct tre_sealer **out, const char *dir, unsigned flags)
{
	struct soft *s = soft_new(dir, flags);
	int rc;

	if (!s)
		return OM_ENOMEM;
	if (RAND_priv_bytes(s->key, sizeof(s->key)) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	rc = tre_file_write(dir, TRE_SEAL_KEY_FILE, s->key, sizeof(s->key), 1, flags & OM_TRE_NO_FSYNC);
out:
	if (rc) {
		soft_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

int tre_seal_soft_open(struct tre_sealer **out, const char *dir, unsigned flags)
{
	char path[TRE_PATH_MAX];
	struct stat st;
	struct soft *s = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = tre_path(path, dir, TRE_SEAL_KEY_FILE);

	if (rc)
		return rc;
	if (stat(path, &st) != 0)
		return OM_ETRE_NOT_FOUND;
	if (st.st_uid != geteuid())
		return OM_ETRE_FILE_OWNER;
	/* Only the device may read the key: no group or other bits at all. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0)
		return OM_ETRE_PERM;
	s = soft_new(dir, flags);
	if (!s)
		return OM_ENOMEM;
	rc = tre_file_read(dir, TRE_SEAL_KEY_FILE, &buf, &len);
	if (rc)
		goto out;
	if (len != SEAL_KEY_LEN) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	memcpy(s->key, buf, SEAL_KEY_LEN);
out:
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (rc) {
		soft_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

void tre_seal_soft_discard(const char *dir)
{
	char path[TRE_PATH_MAX];
	if (tre_path(path, dir, TRE_SEAL_KEY_FILE) == 0)
		unlink(path);
}
