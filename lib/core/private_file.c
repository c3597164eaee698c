/* SPDX-License-Identifier: Apache-2.0 */
/* Secret-bearing files are their owner's alone (private_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/private_file.h>

/* The verdict on one stat result; 0 or a code with the message in why. */
static int judge(const char *path, const struct stat *st, unsigned flags, char *why, size_t why_len)
{
	int dir = (flags & OM_PRIVATE_DIR) != 0;
	mode_t bad = dir ? (S_IWGRP | S_IWOTH) : (S_IRWXG | S_IRWXO);
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		snprintf(why, why_len, "%s: not a %s", path, dir ? "directory" : "regular file");
		return OM_EFILE_MODE;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, why_len, "%s: owned by uid %u, not by this user (uid %u); chown it or run as its owner",
			 path, (unsigned)st->st_uid, (unsigned)geteuid());
		return OM_EFILE_OWNER;
	}
	if (st->st_mode & bad) {
		int r = !dir && (st->st_mode & (S_IRGRP | S_IROTH)), w = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
		snprintf(why, why_len, "%s: %s by group/others (mode %04o); chmod %s", path,
			 r && w ? "readable and writable" : r ? "readable" : w ? "writable" : "usable", mode,
			 dir ? "go-w" : "600");
		return OM_EFILE_MODE;
	}
	return 0;
}

int om_private_check(const char *path, unsigned flags, char *why, size_t why_len)
{
	struct stat st;
	if (!path || !why)
		return OM_EINVAL;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT && (flags & OM_PRIVATE_MAY_BE_ABSENT))
			return 0;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return OM_EIO;
	}
	return judge(path, &st, flags, why, why_len);
}

int om_private_create(const char *path, char *why, size_t why_len)
{
	struct stat st;
	if (!path || !why)
		return OM_EINVAL;
	/* O_CREAT's mode meets the umask, which only takes bits away: 0600 at most. O_NONBLOCK:
	 * a FIFO put in the file's place fails at once instead of hanging the start. */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return OM_EIO;
	}
	int rc = fstat(fd, &st) == 0 ? judge(path, &st, 0, why, why_len) : OM_EIO;
	if (rc == OM_EIO)
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
	/* Truncated only once it is known to be ours alone: a refused file keeps its bytes. */
	if (rc == 0 && ftruncate(fd, 0) != 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		rc = OM_EIO;
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}
