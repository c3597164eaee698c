/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads, atomic replacement and secure erase for the TRE's directory. */
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fileio.h"

int tre_path(char out[static TRE_PATH_MAX], const char *dir, const char *name)
{
	if (!dir || !name || !*name || strchr(name, '/'))
		return OM_EINVAL;
	int n = snprintf(out, TRE_PATH_MAX, "%s/%s", dir, name);
	return (n < 0 || n >= TRE_PATH_MAX) ? OM_EINVAL : 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OM_EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * A rename or unlink is durable only once the directory entry is (POSIX
 * fsync on the dir). dir_fd: the directory kept open by the TRE's sealer
 * (seal.h), synced as it is; -1: opened for this sync.
 */
static int sync_dir(int dir_fd, const char *dir)
{
	if (dir_fd >= 0)
		return fsync(dir_fd) == 0 ? 0 : OM_EIO;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return OM_EIO;
	int rc = fsync(fd) == 0 ? 0 : OM_EIO;
	close(fd);
	return rc;
}

int tre_dir_sync(int dir_fd, const char *dir, int parent_too)
{
	char parent[TRE_PATH_MAX];
	int rc = sync_dir(dir_fd, dir);
	if (rc || !parent_too)
		return rc;
	if ((size_t)snprintf(parent, sizeof(parent), "%s", dir) >= sizeof(parent))
		return OM_EINVAL;
	char *slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	return sync_dir(-1, parent);
}

int tre_dir_check(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return OM_ETRE_NOT_FOUND;
	if (st.st_uid != geteuid())
		return OM_ETRE_DIR_OWNER;
	/* Whoever may write the directory may swap, roll back or delete any file in it. */
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return OM_ETRE_DIR_WRITABLE;
	return 0;
}

/* The spare of dir/name: ".<name>.spare", the inode each replacement of name writes into. */
static int spare_path(char out[static TRE_PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(out, TRE_PATH_MAX, "%s/.%s.spare", dir, name);
	return (n < 0 || n >= TRE_PATH_MAX) ? OM_EINVAL : 0;
}

/*
 * The spare, opened empty for writing: the one left by the last replacement
 * of this name, or a new one. Anything else found under its name (a link, a
 * FIFO, another user's file, one with more names) is removed, never opened
 * through.
 */
static int spare_open(const char *spare)
{
	struct stat st;
	int fd = open(spare, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_nlink == 1 &&
	    !(st.st_mode & 077) && ftruncate(fd, 0) == 0)
		return fd;
	if (fd >= 0 || errno != ENOENT) {
		if (fd >= 0)
			close(fd);
		if (unlink(spare) != 0 && errno != ENOENT)
			return -1;
	}
	return open(spare, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/*
 * A synced replacement (TRE_SYNC) reuses one inode per name instead of
 * creating a temp file each time (issue 14: creating an inode was most of a
 * write's CPU on ext4, docs/tre.md "Atomicity"): the new bytes go into the
 * spare, which is synced, then renameat2(RENAME_EXCHANGE) swaps it with name
 * in one step (a power cut leaves the old or the new file, as a rename
 * does), the directory is synced, and only then is the spare, now the old
 * file, emptied: the previous version never stays as a file, and its inode
 * is emptied only once no crash can bring it back under name. A first write
 * (no name yet) renames the spare. TRE_SYNC_DEFER_DIR and TRE_SYNC_NONE
 * keep temp files: a deferred write's old inode must not be emptied before
 * the transaction's directory sync, which is another call's.
 */
static int write_exchange(int dir_fd, const char *dir, const char *path, const char *name, const uint8_t *data,
			  size_t len)
{
	char spare[TRE_PATH_MAX];
	int rc = spare_path(spare, dir, name);
	if (rc)
		return rc;
	int fd = spare_open(spare);
	if (fd < 0)
		return OM_EIO;
	rc = write_all(fd, data, len);
	if (!rc && fsync(fd) != 0)
		rc = OM_EIO;
	if (close(fd) != 0 && !rc)
		rc = OM_EIO;
	if (rc) {
		unlink(spare);
		return rc;
	}
	int exchanged = renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_EXCHANGE) == 0;
	/* no name yet, or a file system without the exchange: a plain rename, the spare is spent */
	if (!exchanged && ((errno != ENOENT && errno != EINVAL && errno != ENOSYS) || rename(spare, path) != 0)) {
		unlink(spare);
		return OM_EIO;
	}
	rc = sync_dir(dir_fd, dir);
	if (exchanged) {
		/* Not synced: the old bytes' inode, empty from now on or, after a crash, a spare still holding them. */
		if (rc) {
			unlink(spare); /* the exchange may not be durable: never reuse (empty) that inode */
		} else {
			int old = open(spare, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
			if (old >= 0)
				close(old);
		}
	}
	return rc;
}

int tre_file_write(const char *dir, const char *name, const uint8_t *data, size_t len, int excl, int sync)
{
	return tre_file_write_at(-1, dir, name, data, len, excl, sync);
}

int tre_file_write_at(int dir_fd, const char *dir, const char *name, const uint8_t *data, size_t len, int excl,
		      int sync)
{
	int nosync = sync == TRE_SYNC_NONE;
	char path[TRE_PATH_MAX], tmp[TRE_PATH_MAX];
	int fd = -1, rc = tre_path(path, dir, name);
	int tmp_made = 0;

	if (rc)
		return rc;
	if (excl) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno == EEXIST ? OM_ETRE_EXISTS : OM_EIO;
		rc = write_all(fd, data, len);
		if (!rc && !nosync && fsync(fd) != 0)
			rc = OM_EIO;
		if (close(fd) != 0 && !rc)
			rc = OM_EIO;
		if (rc)
			unlink(path);
		return rc;
	}
	if (sync == TRE_SYNC)
		return write_exchange(dir_fd, dir, path, name, data, len);
	int n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return OM_EINVAL;
	fd = mkstemp(tmp); /* 0600, in the same directory so rename() is atomic */
	if (fd < 0)
		return OM_EIO;
	tmp_made = 1;
	rc = write_all(fd, data, len);
	if (!rc && !nosync && fsync(fd) != 0)
		rc = OM_EIO;
	if (close(fd) != 0 && !rc)
		rc = OM_EIO;
	if (rc)
		goto out;
	if (rename(tmp, path) != 0) {
		rc = OM_EIO;
		goto out;
	}
	tmp_made = 0;
out:
	if (tmp_made)
		unlink(tmp);
	return rc;
}

int tre_file_read(const char *dir, const char *name, uint8_t **out, size_t *len)
{
	char path[TRE_PATH_MAX];
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	int rc = tre_path(path, dir, name);

	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? OM_ETRE_NOT_FOUND : OM_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
		rc = OM_EIO;
		goto out;
	}
	/* A file another user put here (or can replace) is not the device's state (issue 12). */
	if (st.st_uid != geteuid()) {
		rc = OM_ETRE_FILE_OWNER;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = OM_ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = OM_EIO;
			goto out;
		}
		got += (size_t)r;
	}
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Overwrite path with zeros, fsync, unlink. OM_ETRE_NOT_FOUND when there is no such file. */
static int erase_path(const char *path)
{
	static const uint8_t zeros[512];
	struct stat st;
	int rc = 0;
	/* O_NONBLOCK: a FIFO under the name fails the open instead of waiting for a reader */
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? OM_ETRE_NOT_FOUND : OM_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = OM_EIO;
		goto out;
	}
	for (off_t done = 0; done < st.st_size && !rc;) {
		size_t n = (size_t)(st.st_size - done) < sizeof(zeros) ? (size_t)(st.st_size - done) : sizeof(zeros);
		rc = write_all(fd, zeros, n);
		done += (off_t)n;
	}
	/* The overwrite must reach the medium before the name goes. */
	if (!rc && st.st_size && fsync(fd) != 0)
		rc = OM_EIO;
out:
	close(fd);
	if (!rc && unlink(path) != 0)
		rc = OM_EIO;
	return rc;
}

int tre_file_erase(const char *dir, const char *name, int sync)
{
	return tre_file_erase_at(-1, dir, name, sync);
}

int tre_file_erase_at(int dir_fd, const char *dir, const char *name, int sync)
{
	char path[TRE_PATH_MAX], spare[TRE_PATH_MAX];
	int rc = tre_path(path, dir, name);

	if (!rc)
		rc = spare_path(spare, dir, name);
	if (rc)
		return rc;
	rc = erase_path(path);
	/* the name's spare goes with it (empty, or after a crash an older version of the file) */
	if (!rc) {
		int s = erase_path(spare);
		if (s && s != OM_ETRE_NOT_FOUND && unlink(spare) != 0 && errno != ENOENT)
			rc = OM_EIO; /* not a file we can overwrite (a planted link): its name goes all the same */
	}
	if (!rc && sync == TRE_SYNC)
		rc = sync_dir(dir_fd, dir);
	return rc;
}
