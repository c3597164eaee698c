/* SPDX-License-Identifier: Apache-2.0 */
/*
 * All or nothing for the output tree: a run writes into a temporary
 * sibling of the output directory, syncs the file system once (the TREs
 * are written with OM_TRE_NO_FSYNC: one syncfs() costs less than 100,000
 * fsyncs) and renames the whole tree into place. A refused or failed run
 * leaves no output directory behind.
 */
#define _GNU_SOURCE /* syncfs(): one sync of the file system that holds the run */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "factory_impl.h"

/* 1 if path is an empty directory, 0 if it has entries, -1 on error. */
static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

int factory_outdir_begin(const char *path, char *tmp, size_t cap)
{
	struct stat st;
	if (!path || !*path || !tmp)
		return OM_EINVAL;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || dir_is_empty(path) != 1)
			return OM_EFACTORY_OUT_NOT_EMPTY;
	} else if (errno != ENOENT) {
		return OM_EIO;
	}
	/* strip trailing slashes so the sibling is beside path, not inside */
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	int n = snprintf(tmp, cap, "%.*s.partial-XXXXXX", (int)len, path);
	if (n < 0 || (size_t)n >= cap)
		return OM_EINVAL;
	if (!mkdtemp(tmp))
		return OM_EIO;
	if (chmod(tmp, 0755) != 0) {
		rmdir(tmp);
		return OM_EIO;
	}
	return 0;
}

static int sync_parent(const char *path)
{
	char parent[4096];
	size_t len = strlen(path);
	if (len >= sizeof(parent))
		return OM_EIO;
	memcpy(parent, path, len + 1);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = 0;
	char *slash = strrchr(parent, '/');
	if (!slash)
		memcpy(parent, ".", 2);
	else if (slash == parent)
		parent[1] = 0;
	else
		*slash = 0;
	int fd = open(parent, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return OM_EIO;
	int rc = fsync(fd) == 0 ? 0 : OM_EIO;
	close(fd);
	return rc;
}

int factory_outdir_commit(const char *tmp, const char *path)
{
	int fd = open(tmp, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return OM_EIO;
	int rc = syncfs(fd) == 0 ? 0 : OM_EIO;
	close(fd);
	if (rc < 0)
		return rc;
	/* replaces path only if it is (still) an empty directory */
	if (rename(tmp, path) != 0)
		return errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR ? OM_EFACTORY_OUT_NOT_EMPTY
										   : OM_EIO;
	return sync_parent(path);
}

/* Remove everything below the directory open as fd (POSIX.1-2008 *at calls). */
static void remove_below(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (sub >= 0)
				remove_below(sub);
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
}

void factory_outdir_abort(const char *tmp)
{
	if (!tmp || !*tmp)
		return;
	int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd >= 0)
		remove_below(fd);
	rmdir(tmp);
}

int factory_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? OM_EINVAL : 0;
}

int factory_mkdir(const char *path, const char *sub, unsigned mode, char *out, size_t cap)
{
	if (factory_path(out, cap, path, sub) < 0)
		return OM_EINVAL;
	return mkdir(out, (mode_t)mode) == 0 ? 0 : OM_EIO;
}
