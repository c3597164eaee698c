/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What reaches the disk, and in which order, when the TRE writes (docs/tre.md
 * "Atomicity", issue 14): fsync and rename are interposed in this executable
 * (the real ones called through RTLD_NEXT) and every call on the TRE's
 * directory is logged with its path. The first AKA of a pending MCIM writes
 * two files in one transaction: both files' bytes synced, both renamed, then
 * one fsync of the directory, last, before RES is returned. Any other AKA
 * keeps its own directory sync. A synced replacement writes into the name's
 * spare inode and exchanges it with the name (renameat2, issue 14): no new
 * inode per write, the old bytes emptied after the directory sync, and
 * nothing planted under the spare's name is written through. The TRE syncs
 * its directory on the descriptor its sealer keeps: no open per write.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "fileio.h"
#include "tre_fixture.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro, sho1;

/* ---- the interposed calls ---------------------------------------------- */

#define LOG_MAX 64
static struct {
	char op;         /* 'f' fsync, 'r' rename, 'o' open of the watched directory itself */
	char path[PATH_MAX]; /* fsync: what the descriptor is; rename: the new name */
} oplog[LOG_MAX];
static int n_ops;
static const char *watch; /* only calls under this directory are logged */
static int watch_opens;   /* and the directory's own opens, when set */

static void note(char op, const char *path)
{
	if (watch && n_ops < LOG_MAX && strncmp(path, watch, strlen(watch)) == 0) {
		oplog[n_ops].op = op;
		snprintf(oplog[n_ops].path, sizeof(oplog[n_ops].path), "%s", path);
		n_ops++;
	}
}

int fsync(int fd)
{
	static int (*real)(int);
	char link[64], path[PATH_MAX];
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n > 0) {
		path[n] = '\0';
		note('f', path);
	}
	return real(fd);
}

/* The directory's own opens: a synced write through the TRE syncs the directory on the descriptor its sealer keeps. */
int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (watch_opens && watch && !strcmp(path, watch))
		note('o', path);
	return real(path, flags, mode);
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	note('r', to);
	return real(from, to);
}

/* An exchange is logged as a rename of its second name: the name the new bytes now have. */
int renameat2(int olddirfd, const char *from, int newdirfd, const char *to, unsigned int flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned int);
	if (!real)
		real = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
	note('r', to);
	return real(olddirfd, from, newdirfd, to, flags);
}

static int count(char op, const char *path)
{
	int n = 0;
	for (int i = 0; i < n_ops; i++)
		n += oplog[i].op == op && (!path || !strcmp(oplog[i].path, path));
	return n;
}

static void dump(const char *what)
{
	fprintf(stderr, "%s: %d calls\n", what, n_ops);
	for (int i = 0; i < n_ops; i++)
		fprintf(stderr, "  %c %s\n", oplog[i].op, oplog[i].path);
}

/* ---- the cases ---------------------------------------------------------- */

/*
 * The first AKA of the pending MCIM: MID record and state record, one
 * directory sync after both renames. The old code synced the directory
 * after each rename (4 fsyncs, one between the renames).
 */
static void test_pending_first_aka_is_one_transaction(void)
{
	struct fx_tre t;
	struct om_tre *tre = NULL;
	struct om_mcim m1;
	struct om_tre_status st;
	uint8_t mid1[16];
	time_t now = time(NULL);
	char dir[PATH_MAX], state[PATH_MAX + 16];

	fx_tre_init(&t, pva, "TRE-00000141", &ro, OM_KEY_X25519);
	if (om_tre_personalise(t.dir, &t.p, 0) || om_tre_open(&tre, t.dir, 0))
		FX_DIE("setup");
	if (!realpath(t.dir, dir))
		FX_DIE("realpath");
	snprintf(state, sizeof(state), "%s/tre.state", dir);
	fx_pcid(&m1, "001020000000141", "m2m.sho1.example");
	provision(tre, &t, &ro, &sho1, 1, &m1, mid1);
	CHECK_INT(om_tre_activate(tre, mid1, now, 600), 0);

	n_ops = 0;
	watch = dir;
	CHECK_INT(aka_ok(tre, &m1, 32), 0);
	watch = NULL;
	dump("pending first AKA");
	CHECK_INT(count('r', NULL), 2);             /* the MID record, then the state */
	CHECK_INT(count('f', dir), 1);              /* one directory sync ... */
	CHECK_INT(count('f', NULL), 3);             /* ... beside each file's own */
	CHECK(n_ops == 5 && oplog[4].op == 'f' && !strcmp(oplog[4].path, dir)); /* ... last, after both renames */
	CHECK(n_ops >= 4 && oplog[3].op == 'r' && !strcmp(oplog[3].path, state));

	/* What was written is what a restart reads: the attach counts for confirm. */
	om_tre_close(tre);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), 0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK(st.activation_pending);
	CHECK_INT(om_tre_confirm(tre, now + 1), 0);

	/* A later AKA writes the MID record alone: its own directory sync. */
	n_ops = 0;
	watch = dir;
	watch_opens = 1;
	CHECK_INT(aka_ok(tre, &m1, 64), 0);
	watch_opens = 0;
	watch = NULL;
	dump("later AKA");
	CHECK_INT(count('r', NULL), 1);
	CHECK_INT(count('f', NULL), 2);
	CHECK(n_ops == 3 && oplog[2].op == 'f' && !strcmp(oplog[2].path, dir));
	CHECK_INT(count('o', dir), 0); /* synced on the sealer's kept descriptor (issue 14): no open per write */
	om_tre_close(tre);
	fx_tre_free(&t);
}

static ino_t ino_of(const char *path, off_t *size)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return 0;
	if (size)
		*size = st.st_size;
	return st.st_ino;
}

static int holds(const char *path, const char *want)
{
	size_t len = 0;
	unsigned char *buf = check_slurp(path, &len);
	int ok = buf && len == strlen(want) && !memcmp(buf, want, len);
	free(buf);
	return ok;
}

/*
 * Replacements of one name reuse two inodes: the spare is written and
 * synced, exchanged with the name, the directory synced, then the spare
 * (the old bytes) emptied. No temp file is created after the first.
 */
static void test_replacement_reuses_the_spare(void)
{
	char dir[] = "/tmp/om-tre-sync-XXXXXX", path[PATH_MAX], spare[PATH_MAX];
	if (!mkdtemp(dir))
		FX_DIE("mkdtemp");
	snprintf(path, sizeof(path), "%s/rec", dir);
	snprintf(spare, sizeof(spare), "%s/.rec.spare", dir);
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"one", 3, 0, TRE_SYNC), 0);
	CHECK(holds(path, "one"));
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"two", 3, 0, TRE_SYNC), 0);
	CHECK(holds(path, "two"));
	off_t left = -1;
	ino_t live = ino_of(path, NULL), old = ino_of(spare, &left);
	CHECK(live && old && live != old);
	CHECK_INT((int)left, 0); /* the previous version does not stay as a file */

	n_ops = 0;
	watch = dir;
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"three", 5, 0, TRE_SYNC), 0);
	watch = NULL;
	dump("third replacement");
	CHECK(n_ops == 3 && oplog[0].op == 'f' && !strcmp(oplog[0].path, spare));
	CHECK(n_ops == 3 && oplog[1].op == 'r' && !strcmp(oplog[1].path, path));
	CHECK(n_ops == 3 && oplog[2].op == 'f' && !strcmp(oplog[2].path, dir));
	CHECK(holds(path, "three"));
	CHECK(ino_of(path, NULL) == old && ino_of(spare, &left) == live); /* the same two inodes, swapped */
	CHECK_INT((int)left, 0);

	/* The erase takes the spare with the name. */
	CHECK_INT(tre_file_erase(dir, "rec", TRE_SYNC), 0);
	CHECK(ino_of(path, NULL) == 0 && ino_of(spare, NULL) == 0);
	CHECK_INT(rmdir(dir), 0);
}

/*
 * Whatever is planted under a spare's name is removed, not written through:
 * a link to another file leaves that file as it was, and the write goes
 * where it belongs.
 */
static void test_planted_spare_is_not_followed(void)
{
	char dir[] = "/tmp/om-tre-sync-XXXXXX", path[PATH_MAX], spare[PATH_MAX], victim[PATH_MAX];
	if (!mkdtemp(dir))
		FX_DIE("mkdtemp");
	snprintf(path, sizeof(path), "%s/rec", dir);
	snprintf(spare, sizeof(spare), "%s/.rec.spare", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	if (!f || fputs("victim", f) < 0 || fclose(f) != 0)
		FX_DIE("victim");
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"one", 3, 0, TRE_SYNC), 0);
	CHECK_INT(symlink(victim, spare), 0);
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"two", 3, 0, TRE_SYNC), 0);
	CHECK(holds(victim, "victim"));
	CHECK(holds(path, "two"));
	struct stat st;
	CHECK(lstat(spare, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	/* a second name on the spare (a hard link kept elsewhere) is dropped the same way */
	char keep[PATH_MAX];
	snprintf(keep, sizeof(keep), "%s/keep", dir);
	CHECK_INT(link(spare, keep), 0);
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"three", 5, 0, TRE_SYNC), 0);
	CHECK(holds(path, "three"));
	CHECK(lstat(keep, &st) == 0 && st.st_size == 0 && st.st_nlink == 1); /* never written into */
	/* a FIFO there is neither waited on nor written into: the write goes on, the FIFO is gone */
	CHECK_INT(unlink(spare), 0);
	CHECK_INT(mkfifo(spare, 0600), 0);
	CHECK_INT(tre_file_write(dir, "rec", (const uint8_t *)"four", 4, 0, TRE_SYNC), 0);
	CHECK(holds(path, "four"));
	CHECK(lstat(spare, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	/* the erase neither: it returns at once and the FIFO goes with the name */
	char rec2[PATH_MAX], spare2[PATH_MAX];
	snprintf(rec2, sizeof(rec2), "%s/rec2", dir);
	snprintf(spare2, sizeof(spare2), "%s/.rec2.spare", dir);
	CHECK_INT(tre_file_write(dir, "rec2", (const uint8_t *)"x", 1, 0, TRE_SYNC), 0);
	CHECK_INT(mkfifo(spare2, 0600), 0);
	CHECK_INT(tre_file_erase(dir, "rec2", TRE_SYNC), 0);
	CHECK(ino_of(rec2, NULL) == 0 && ino_of(spare2, NULL) == 0);
	/* the erase overwrites the spare with zeros: a link there is removed, its target left alone */
	CHECK_INT(unlink(spare), 0);
	CHECK_INT(symlink(victim, spare), 0);
	CHECK_INT(tre_file_erase(dir, "rec", TRE_SYNC), 0);
	CHECK(holds(victim, "victim"));
	CHECK(ino_of(spare, NULL) == 0);
	unlink(keep);
	unlink(victim);
	CHECK_INT(rmdir(dir), 0);
}

/*
 * A synced personalisation creates its files O_EXCL, each synced: the
 * entries are durable once the directory is, and a directory it made once
 * its parent is. The last calls are those syncs (review, session 8: the old
 * code synced neither).
 */
static void test_personalisation_syncs_its_directory(void)
{
	struct fx_tre t;
	char sub[PATH_MAX];
	fx_tre_init(&t, pva, "TRE-SYNC-PERS", &ro, OM_KEY_X25519);
	snprintf(sub, sizeof(sub), "%s/tre", t.dir);
	n_ops = 0;
	watch = t.dir;
	CHECK_INT(om_tre_personalise(sub, &t.p, 0), 0);
	watch = NULL;
	dump("personalisation in a new directory");
	CHECK_MSG(n_ops >= 2 && oplog[n_ops - 2].op == 'f' && !strcmp(oplog[n_ops - 2].path, sub) &&
			  oplog[n_ops - 1].op == 'f' && !strcmp(oplog[n_ops - 1].path, t.dir),
		  "the TRE's directory, then its parent, synced last");
	CHECK(count('f', sub) == 1 && count('f', t.dir) == 1);
	/* batch mode (the factory's): nothing synced */
	char batch[PATH_MAX];
	snprintf(batch, sizeof(batch), "%s/batch", t.dir);
	n_ops = 0;
	watch = t.dir;
	CHECK_INT(om_tre_personalise(batch, &t.p, OM_TRE_NO_FSYNC), 0);
	watch = NULL;
	CHECK_INT(count('f', NULL), 0);
	fx_rmdir(sub);
	fx_rmdir(batch);
	fx_tre_free(&t);
}

int main(void)
{
	fx_pva_init(&pva, &pva_key);
	fx_sho_init(&ro, "RO-Example");
	fx_sho_init(&sho1, "SHO-One");
	test_pending_first_aka_is_one_transaction();
	test_replacement_reuses_the_spare();
	test_planted_spare_is_not_followed();
	test_personalisation_syncs_its_directory();
	fx_sho_free(&ro);
	fx_sho_free(&sho1);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	return check_done();
}
