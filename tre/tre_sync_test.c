/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What reaches the disk, and in which order, when the TRE writes (docs/tre.md
 * "Atomicity", issue 14): fsync and rename are interposed in this executable
 * (the real ones called through RTLD_NEXT) and every call on the TRE's
 * directory is logged with its path. The first AKA of a pending MCIM writes
 * two files in one transaction: both files' bytes synced, both renamed, then
 * one fsync of the directory, last, before RES is returned. Any other AKA
 * keeps its own directory sync.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "tre_fixture.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro, sho1;

/* ---- the interposed calls ---------------------------------------------- */

#define LOG_MAX 64
static struct {
	char op;         /* 'f' fsync, 'r' rename */
	char path[PATH_MAX]; /* fsync: what the descriptor is; rename: the new name */
} oplog[LOG_MAX];
static int n_ops;
static const char *watch; /* only calls under this directory are logged */

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

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	note('r', to);
	return real(from, to);
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
	CHECK_INT(aka_ok(tre, &m1, 64), 0);
	watch = NULL;
	dump("later AKA");
	CHECK_INT(count('r', NULL), 1);
	CHECK_INT(count('f', NULL), 2);
	CHECK(n_ops == 3 && oplog[2].op == 'f' && !strcmp(oplog[2].path, dir));
	om_tre_close(tre);
	fx_tre_free(&t);
}

int main(void)
{
	fx_pva_init(&pva, &pva_key);
	fx_sho_init(&ro, "RO-Example");
	fx_sho_init(&sho1, "SHO-One");
	test_pending_first_aka_is_one_transaction();
	fx_sho_free(&ro);
	fx_sho_free(&sho1);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	return check_done();
}
