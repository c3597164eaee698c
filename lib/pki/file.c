/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keys and certificates in files. A write goes to a temporary file in the
 * same folder, is flushed to disk and renamed over the target, then the
 * folder is flushed: after a crash the file holds the old or the new
 * content, never a torn mix, and a private key is never readable by others,
 * not even for the moment before a chmod.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pki_impl.h"

#define FILE_MAX_LEN (1 << 20) /* a key or certificate is a few KiB */

static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return OM_EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sync_folder(const char *path)
{
	char *copy = strdup(path);
	int r = OM_EIO, fd;

	if (!copy)
		return OM_ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) == 0)
			r = 0;
		close(fd);
	}
	free(copy);
	return r;
}

static int write_atomic(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	size_t n = strlen(path) + sizeof(".XXXXXX");
	char *tmp = malloc(n);
	int fd = -1, r = OM_EIO, created = 0;

	if (!tmp)
		return OM_ENOMEM;
	snprintf(tmp, n, "%s.XXXXXX", path);
	/* mkstemp creates the file with mode 0600 (POSIX 2008) */
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	created = 1;
	if (fchmod(fd, mode) != 0 || (r = write_all(fd, data, len)) < 0)
		goto out;
	r = OM_EIO;
	if (fsync(fd) != 0)
		goto out;
	int c = close(fd);
	fd = -1;
	if (c != 0 || rename(tmp, path) != 0)
		goto out;
	created = 0;
	r = sync_folder(path);
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	return r;
}

/* The whole file in a buffer to free with om_pki_free(). */
static int read_all(const char *path, uint8_t **out, size_t *out_len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = OM_EIO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return OM_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > FILE_MAX_LEN)
		goto out;
	len = (size_t)st.st_size;
	if (!(buf = OPENSSL_malloc(len))) {
		r = OM_ENOMEM;
		goto out;
	}
	for (size_t got = 0; got < len;) {
		ssize_t k = read(fd, buf + got, len - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto out;
		got += (size_t)k;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	r = 0;
out:
	om_pki_free(buf, len);
	close(fd);
	return r;
}

/* Save one of key (private, owner only) or cert (world-readable) as PEM. */
static int save_pem(const char *path, const EVP_PKEY *key, const X509 *cert)
{
	uint8_t *pem = NULL;
	size_t len = 0;

	int r = key ? om_key_encode_private(key, OM_ENC_PEM, &pem, &len) : om_cert_encode(cert, OM_ENC_PEM, &pem, &len);
	if (r == 0)
		r = write_atomic(path, pem, len, key ? S_IRUSR | S_IWUSR : S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
	om_pki_free(pem, len);
	return r;
}

/* Load a PEM file into one of key (a private key) or cert. */
static int load_pem(const char *path, EVP_PKEY **key, X509 **cert)
{
	uint8_t *pem = NULL;
	size_t len = 0;

	int r = read_all(path, &pem, &len);
	if (r == 0)
		r = key ? om_key_decode_private(key, OM_ENC_PEM, pem, len) : om_cert_decode(cert, OM_ENC_PEM, pem, len);
	om_pki_free(pem, len);
	return r;
}

int om_key_save(const char *path, const EVP_PKEY *key)
{
	if (!path || !key)
		return OM_EINVAL;
	return save_pem(path, key, NULL);
}

int om_key_load(EVP_PKEY **out, const char *path)
{
	if (!out || !path)
		return OM_EINVAL;
	return load_pem(path, out, NULL);
}

int om_cert_save(const char *path, const X509 *cert)
{
	if (!path || !cert)
		return OM_EINVAL;
	return save_pem(path, NULL, cert);
}

int om_cert_load(X509 **out, const char *path)
{
	if (!out || !path)
		return OM_EINVAL;
	return load_pem(path, NULL, out);
}
