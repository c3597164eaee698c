/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The software sealing backend, for labs and development: NOT PROTECTED.
 * AES-256-GCM under a 32-byte device sealing key in dir/seal.key (mode
 * 0600): whoever reads the directory (root on the device, a flash dump)
 * has the key, can clone the device, and can put back an older copy of
 * the directory unnoticed (docs/tre.md "Backends"). A sealed file is the
 * envelope of seal_aead.h with the header "OMSL" | version(1) = 1.
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
#include "seal_aead.h"

#define SEAL_HDR_LEN 5
#define SEAL_VERSION 1

struct soft {
	struct tre_sealer base; /* first: the ops get a struct tre_sealer * */
	uint8_t key[TRE_AEAD_KEY_LEN];
	char dir[TRE_PATH_MAX];
};

static const uint8_t header[SEAL_HDR_LEN] = { 'O', 'M', 'S', 'L', SEAL_VERSION };

static int soft_put(struct tre_sealer *base, const char *name, const uint8_t *pt, size_t len, int excl)
{
	struct soft *s = (struct soft *)base;
	uint8_t *buf = NULL;
	size_t total = 0;
	int rc = tre_aead_seal(s->key, header, sizeof(header), name, pt, len, &buf, &total);
	if (rc)
		return rc;
	rc = tre_file_write_at(s->base.dir_fd, s->dir, name, buf, total, excl, tre_seal_sync(&s->base));
	free(buf); /* ciphertext only: nothing to cleanse */
	return rc;
}

static int soft_get(struct tre_sealer *base, const char *name, uint8_t **pt_out, size_t *len_out)
{
	struct soft *s = (struct soft *)base;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = tre_file_read(s->dir, name, &buf, &len);
	if (rc)
		return rc;
	if (len < SEAL_HDR_LEN || memcmp(buf, header, SEAL_HDR_LEN) != 0)
		rc = OM_ETRE_SEAL;
	else
		rc = tre_aead_open(s->key, buf, len, SEAL_HDR_LEN, name, pt_out, len_out);
	free(buf);
	return rc;
}

static int soft_erase(struct tre_sealer *base, const char *name)
{
	struct soft *s = (struct soft *)base;
	return tre_file_erase_at(s->base.dir_fd, s->dir, name, tre_seal_sync(&s->base));
}

static void soft_close(struct tre_sealer *base)
{
	struct soft *s = (struct soft *)base;
	OPENSSL_cleanse(s->key, sizeof(s->key));
	free(s);
}

static void soft_discard(struct tre_sealer *base)
{
	struct soft *s = (struct soft *)base;
	char path[TRE_PATH_MAX];
	if (tre_path(path, s->dir, TRE_SEAL_KEY_FILE) == 0)
		unlink(path);
	soft_close(base);
}

static const struct tre_seal_ops soft_ops = {
	.name = "software-aes256gcm",
	.put = soft_put,
	.get = soft_get,
	.erase = soft_erase,
	.close = soft_close,
	.discard = soft_discard,
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
	s->base.dir_fd = -1;
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
	rc = tre_file_write(dir, TRE_SEAL_KEY_FILE, s->key, sizeof(s->key), 1,
			    (flags & OM_TRE_NO_FSYNC) ? TRE_SYNC_NONE : TRE_SYNC);
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
	if (len != TRE_AEAD_KEY_LEN) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	memcpy(s->key, buf, TRE_AEAD_KEY_LEN);
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
