/* SPDX-License-Identifier: Apache-2.0 */
/* The storage interface on SQLite: settings read back, transactions, schema versions. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

static char dir[] = "/tmp/om_store_test_XXXXXX";
static char path[256];
static int seq;

static struct om_store *fresh(const struct om_store_sqlite_opts *o)
{
	char err[256] = "";
	struct om_store *s = NULL;
	snprintf(path, sizeof(path), "%s/db%d.sqlite", dir, seq++);
	int rc = om_store_open_sqlite(path, o, &s, err, sizeof(err));
	CHECK_MSG(rc == 0 && s, "open: %d %s", rc, err);
	return s;
}

static void expect_setting(struct om_store *s, const char *name, const char *want)
{
	char got[64] = "";
	int rc = om_store_setting(s, name, got, sizeof(got));
	CHECK_MSG(rc == 0 && !strcmp(got, want), "%s: rc %d, got '%s', want '%s'", name, rc, got, want);
}

static void reads_back_every_pragma_it_sets(void)
{
	struct om_store *s = fresh(NULL);
	if (!s)
		return;
	expect_setting(s, "journal_mode", "wal");
	expect_setting(s, "synchronous", "1"); /* NORMAL between transactions */
	expect_setting(s, "foreign_keys", "1");
	expect_setting(s, "busy_timeout", "5000");
	expect_setting(s, "user_version", "0");
	CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), 0);
	expect_setting(s, "synchronous", "2"); /* FULL inside a durable transaction */
	CHECK_INT(om_store_commit(s), 0);
	CHECK_INT(om_store_begin(s, OM_STORE_LAZY), 0);
	expect_setting(s, "synchronous", "1");
	CHECK_INT(om_store_rollback(s), 0);
	char buf[8];
	CHECK_INT(om_store_setting(s, "synchonous", buf, sizeof(buf)), OM_EINVAL);
	om_store_close(s);

	struct om_store_sqlite_opts o = { .busy_timeout_ms = 1234 };
	s = fresh(&o);
	if (s)
		expect_setting(s, "busy_timeout", "1234");
	om_store_close(s);
}

static long count(struct om_store *s, const char *sql)
{
	struct om_stmt *st = NULL;
	long n = -1;
	if (om_stmt_prepare(s, sql, &st) == 0 && om_stmt_step(st) == OM_STORE_ROW)
		n = (long)om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	return n;
}

static void rolls_back_a_transaction_that_fails(void)
{
	struct om_store *s = fresh(NULL);
	struct om_stmt *ins = NULL;
	if (!s)
		return;
	CHECK_INT(om_store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"), 0);
	CHECK_INT(om_stmt_prepare(s, "INSERT INTO t (id, v) VALUES (?1, ?2)", &ins), 0);
	CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), 0);
	CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), OM_EINVAL); /* no nesting */
	CHECK_INT(om_stmt_bind_int64(ins, 1, 1), 0);
	CHECK_INT(om_stmt_bind_text(ins, 2, "a"), 0);
	CHECK_INT(om_stmt_step(ins), OM_STORE_DONE);
	om_stmt_reset(ins);
	CHECK_INT(om_stmt_bind_int64(ins, 1, 1), 0);
	CHECK_INT(om_stmt_bind_text(ins, 2, "dup"), 0);
	CHECK_INT(om_stmt_step(ins), OM_ESTORE_CONSTRAINT);
	om_stmt_reset(ins);
	CHECK_INT(om_store_rollback(s), 0);
	CHECK_INT(count(s, "SELECT COUNT(*) FROM t"), 0);

	CHECK_INT(om_store_begin(s, OM_STORE_LAZY), 0);
	CHECK_INT(om_stmt_bind_int64(ins, 1, 2), 0);
	CHECK_INT(om_stmt_bind_text(ins, 2, "b"), 0);
	CHECK_INT(om_stmt_step(ins), OM_STORE_DONE);
	om_stmt_reset(ins);
	CHECK_INT(om_store_commit(s), 0);
	CHECK_INT(count(s, "SELECT COUNT(*) FROM t"), 1);
	CHECK_INT(om_store_commit(s), OM_EINVAL); /* nothing open */
	om_stmt_finalize(ins);
	om_store_close(s);
}

static void binds_and_reads_every_type(void)
{
	struct om_store *s = fresh(NULL);
	struct om_stmt *st = NULL;
	if (!s)
		return;
	const uint8_t blob[3] = { 0, 0xff, 7 };
	CHECK_INT(om_stmt_prepare(s, "SELECT ?1, ?2, ?3, ?4", &st), 0);
	CHECK_INT(om_stmt_bind_int64(st, 1, INT64_C(0xffffffffffff)), 0);
	CHECK_INT(om_stmt_bind_text(st, 2, "x'y"), 0);
	CHECK_INT(om_stmt_bind_blob(st, 3, blob, sizeof(blob)), 0);
	CHECK_INT(om_stmt_bind_null(st, 4), 0);
	CHECK_INT(om_stmt_step(st), OM_STORE_ROW);
	CHECK_INT(om_stmt_col_int64(st, 0), INT64_C(0xffffffffffff));
	CHECK(!strcmp(om_stmt_col_text(st, 1), "x'y"));
	size_t len = 0;
	const void *b = om_stmt_col_blob(st, 2, &len);
	CHECK(len == 3 && b && !memcmp(b, blob, 3));
	CHECK(om_stmt_col_is_null(st, 3));
	CHECK(!strcmp(om_stmt_col_text(st, 3), ""));
	CHECK_INT(om_stmt_step(st), OM_STORE_DONE);
	om_stmt_finalize(st);
	CHECK(om_stmt_prepare(s, "SELEKT 1", &st) < 0);
	om_store_close(s);
}

static const struct om_store_migration steps[] = {
	{ "CREATE TABLE a (x INTEGER)" },
	{ "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (1)" },
	{ "CREATE TABLE c (z INTEGER); THIS IS NOT SQL" },
};

static void migrates_step_by_step_and_refuses_a_newer_schema(void)
{
	struct om_store *s = fresh(NULL);
	int v = -1;
	if (!s)
		return;
	CHECK_INT(om_store_migrate(s, steps, 1), 0);
	CHECK_INT(om_store_schema_version(s, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(om_store_migrate(s, steps, 2), 0);
	CHECK_INT(om_store_schema_version(s, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(count(s, "SELECT COUNT(*) FROM b"), 1);
	CHECK_INT(om_store_migrate(s, steps, 2), 0); /* idempotent: step 2 not run twice */
	CHECK_INT(count(s, "SELECT COUNT(*) FROM b"), 1);
	/* a failing step leaves the last complete version, and nothing of the step */
	CHECK_INT(om_store_migrate(s, steps, 3), OM_ESTORE_SCHEMA);
	CHECK_INT(om_store_schema_version(s, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(count(s, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'"), 0);
	/* a program that knows only 1 step refuses a version-2 database */
	CHECK_INT(om_store_migrate(s, steps, 1), OM_ESTORE_SCHEMA);
	om_store_close(s);
}

static void reports_an_unopenable_path(void)
{
	char err[256] = "";
	struct om_store *s = (struct om_store *)1;
	CHECK(om_store_open_sqlite("/nonexistent-dir/x/db", NULL, &s, err, sizeof(err)) < 0);
	CHECK(s == NULL);
	CHECK_MSG(strstr(err, "/nonexistent-dir") != NULL, "err '%s'", err);
}

static unsigned mode_of(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xffff;
}

/* Issue 11: a database holds K and OPc; under umask 0 SQLite alone would make it 0666. */
static void creates_the_database_and_its_wal_0600_whatever_the_umask(void)
{
	char wal[300], shm[300];
	mode_t old = umask(0);
	struct om_store *s = fresh(NULL);
	umask(old);
	if (!s)
		return;
	CHECK_INT(om_store_exec(s, "CREATE TABLE k (v BLOB)"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	CHECK_INT(mode_of(path), 0600);
	CHECK_INT(mode_of(wal), 0600);
	CHECK_INT(mode_of(shm), 0600);
	om_store_close(s);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	reads_back_every_pragma_it_sets();
	rolls_back_a_transaction_that_fails();
	binds_and_reads_every_type();
	migrates_step_by_step_and_refuses_a_newer_schema();
	reports_an_unopenable_path();
	creates_the_database_and_its_wal_0600_whatever_the_umask();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
