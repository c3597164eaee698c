/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A secret's file is its owner's alone (private_file.h): each way it can
 * be open to someone else is refused with its code and a message naming
 * the file, the reason and the fix, and a refused capture keeps its bytes.
 * The ownership cases chown to uid 65534, so this test runs as root (as CI
 * does); elsewhere those checks fail rather than pass unseen.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/private_file.h>

#include "check.h"

static char dir[] = "/tmp/om_private_file_test_XXXXXX";

static const char *at(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	CHECK(chmod(path, mode) == 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void check_says(const char *path, unsigned flags, int want, const char *want_why)
{
	char why[512] = "", expect[512];
	CHECK_INT(om_private_check(path, flags, why, sizeof(why)), want);
	snprintf(expect, sizeof(expect), "%s: %s", path, want_why);
	CHECK_MSG(!strcmp(why, expect), "got '%s', want '%s'", why, expect);
}

static void only_the_owner_passes(void)
{
	char why[512];
	put(at("db"), "K and OPc", 0600);
	CHECK_INT(om_private_check(at("db"), 0, why, sizeof(why)), 0);
	CHECK(chmod(at("db"), 0400) == 0);
	CHECK_INT(om_private_check(at("db"), 0, why, sizeof(why)), 0);
	CHECK_INT(om_private_check(at("absent"), OM_PRIVATE_MAY_BE_ABSENT, why, sizeof(why)), 0);
	CHECK_INT(om_private_check(at("absent"), 0, why, sizeof(why)), OM_EIO);
	CHECK(strstr(why, "absent: No such file") != NULL);
}

static void open_to_others_is_refused(void)
{
	CHECK(chmod(at("db"), 0644) == 0);
	check_says(at("db"), 0, OM_EFILE_MODE, "readable by group/others (mode 0644); chmod 600");
	CHECK(chmod(at("db"), 0640) == 0);
	check_says(at("db"), 0, OM_EFILE_MODE, "readable by group/others (mode 0640); chmod 600");
	CHECK(chmod(at("db"), 0602) == 0);
	check_says(at("db"), 0, OM_EFILE_MODE, "writable by group/others (mode 0602); chmod 600");
	CHECK(chmod(at("db"), 0666) == 0);
	check_says(at("db"), 0, OM_EFILE_MODE, "readable and writable by group/others (mode 0666); chmod 600");
	CHECK(chmod(at("db"), 0610) == 0);
	check_says(at("db"), 0, OM_EFILE_MODE, "usable by group/others (mode 0610); chmod 600");
	CHECK(chmod(at("db"), 0600) == 0);
	/* a directory where a file should be, and the other way round */
	CHECK(mkdir(at("d"), 0700) == 0);
	check_says(at("d"), 0, OM_EFILE_MODE, "not a regular file");
	check_says(at("db"), OM_PRIVATE_DIR, OM_EFILE_MODE, "not a directory");
}

static void another_owner_is_refused(void)
{
	CHECK_MSG(chown(at("db"), 65534, 65534) == 0, "chown needs root");
	char want[128];
	snprintf(want, sizeof(want), "owned by uid 65534, not by this user (uid %u); chown it or run as its owner",
		 (unsigned)geteuid());
	check_says(at("db"), 0, OM_EFILE_OWNER, want);
	CHECK(chown(at("db"), geteuid(), getegid()) == 0);
	CHECK_MSG(chown(at("d"), 65534, 65534) == 0, "chown needs root");
	check_says(at("d"), OM_PRIVATE_DIR, OM_EFILE_OWNER, want);
	CHECK(chown(at("d"), geteuid(), getegid()) == 0);
}

/* A run directory: others may enter it (0711, 0755), never write it. */
static void a_directory_others_may_write_is_refused(void)
{
	char why[512];
	CHECK(chmod(at("d"), 0755) == 0);
	CHECK_INT(om_private_check(at("d"), OM_PRIVATE_DIR, why, sizeof(why)), 0);
	CHECK(chmod(at("d"), 0777) == 0);
	check_says(at("d"), OM_PRIVATE_DIR, OM_EFILE_MODE, "writable by group/others (mode 0777); chmod go-w");
	CHECK(chmod(at("d"), 01733) == 0);
	check_says(at("d"), OM_PRIVATE_DIR, OM_EFILE_MODE, "writable by group/others (mode 1733); chmod go-w");
}

static void create_is_0600_whatever_the_umask(void)
{
	char why[512];
	mode_t old = umask(0);
	int fd = om_private_create(at("new.pcap"), why, sizeof(why));
	CHECK_MSG(fd >= 0, "%s", why);
	if (fd >= 0)
		close(fd);
	CHECK_INT(mode_of(at("new.pcap")), 0600);
	/* an existing private file is truncated and reused */
	put(at("old.pcap"), "last run's frames", 0600);
	fd = om_private_create(at("old.pcap"), why, sizeof(why));
	CHECK_MSG(fd >= 0, "%s", why);
	struct stat st;
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
	if (fd >= 0)
		close(fd);
	umask(old);
}

/* Refused before the truncation: the file keeps every byte and its mode. */
static void create_refuses_a_file_open_to_others_and_keeps_it(void)
{
	char why[512];
	size_t len = 0;
	put(at("shared.pcap"), "someone's frames", 0644);
	CHECK_INT(om_private_create(at("shared.pcap"), why, sizeof(why)), OM_EFILE_MODE);
	CHECK(strstr(why, "shared.pcap: readable by group/others (mode 0644); chmod 600") != NULL);
	unsigned char *b = check_slurp(at("shared.pcap"), &len);
	CHECK(b && len == 16 && !memcmp(b, "someone's frames", 16));
	free(b);
	CHECK_INT(mode_of(at("shared.pcap")), 0644);
	CHECK(chmod(at("shared.pcap"), 0600) == 0);
	CHECK_MSG(chown(at("shared.pcap"), 65534, 65534) == 0, "chown needs root");
	CHECK_INT(om_private_create(at("shared.pcap"), why, sizeof(why)), OM_EFILE_OWNER);
	b = check_slurp(at("shared.pcap"), &len);
	CHECK(b && len == 16);
	free(b);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		CHECK(0);
		return check_done();
	}
	only_the_owner_passes();
	open_to_others_is_refused();
	another_owner_is_refused();
	a_directory_others_may_write_is_refused();
	create_is_0600_whatever_the_umask();
	create_refuses_a_file_open_to_others_and_keeps_it();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
