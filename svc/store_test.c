/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage interface: every case runs on SQLite and on PostgreSQL (a
 * private cluster this program starts, tests/pg_cluster.h): settings read
 * back, transactions, binds, the helpers, schema versions, lock waits and
 * the retry policy.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pg_cluster.h"
#include "store.h"

static char dir[] = "/tmp/om_store_test_XXXXXX";
static char path[512];
static int seq;
static struct t_pg pg;
static enum om_store_backend backend;

/* A new empty database on the backend under test; its configuration string stays in path. */
static int fresh_conf(void)
{
	if (backend == OM_STORE_SQLITE) {
		snprintf(path, sizeof(path), "%s/db%d.sqlite", dir, seq++);
		return 0;
	}
	char db[32];
	snprintf(db, sizeof(db), "db%d", seq++);
	return t_pg_createdb(&pg, db, path, sizeof(path));
}

static struct om_store *fresh(const struct om_store_sqlite_opts *o)
{
	char err[256] = "";
	struct om_store *s = NULL;
	if (fresh_conf() < 0) {
		CHECK_MSG(0, "no fresh database");
		return NULL;
	}
	int rc = backend == OM_STORE_SQLITE ? om_store_open_sqlite(path, o, &s, err, sizeof(err))
					    : om_store_open(path, &s, err, sizeof(err));
	CHECK_MSG(rc == 0 && s, "open: %d %s", rc, err);
	return s;
}

/* A second connection to the database fresh() made last. */
static struct om_store *again(unsigned wait_ms)
{
	char err[256] = "";
	struct om_store *s = NULL;
	int rc;
	if (backend == OM_STORE_SQLITE) {
		struct om_store_sqlite_opts o = { .busy_timeout_ms = wait_ms };
		rc = om_store_open_sqlite(path, &o, &s, err, sizeof(err));
	} else {
		struct om_store_pg_opts o = { .lock_timeout_ms = wait_ms };
		rc = om_store_open_pg(path, &o, &s, err, sizeof(err));
	}
	CHECK_MSG(rc == 0 && s, "open again: %d %s", rc, err);
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
	if (backend != OM_STORE_SQLITE)
		return;
	struct om_store *s = fresh(NULL);
	if (!s)
		return;
	expect_setting(s, "journal_mode", "wal");
	expect_setting(s, "synchronous", "1"); /* NORMAL between transactions */
	expect_setting(s, "foreign_keys", "1");
	expect_setting(s, "busy_timeout", "5000");
	expect_setting(s, "user_version", "0");
	CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), 0);
	expect_setting(s, "synchronous", "1"); /* NORMAL in a durable one too: group commit syncs the -wal */
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

static void reads_back_every_postgresql_setting_it_sets(void)
{
	if (backend != OM_STORE_PG)
		return;
	struct om_store *s = fresh(NULL);
	if (!s)
		return;
	CHECK_INT(om_store_backend_of(s), OM_STORE_PG);
	expect_setting(s, "lock_timeout", "5000");
	expect_setting(s, "statement_timeout", "30000");
	expect_setting(s, "TimeZone", "UTC");
	expect_setting(s, "synchronous_commit", "on");
	expect_setting(s, "user_version", "0");
	CHECK_INT(om_store_begin(s, OM_STORE_LAZY), 0);
	expect_setting(s, "synchronous_commit", "off"); /* lazy: SET LOCAL, this transaction only */
	CHECK_INT(om_store_commit(s), 0);
	expect_setting(s, "synchronous_commit", "on");
	CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), 0);
	expect_setting(s, "synchronous_commit", "on");
	CHECK_INT(om_store_rollback(s), 0);
	char buf[8];
	CHECK_INT(om_store_setting(s, "synchonous_commit", buf, sizeof(buf)), OM_EINVAL);
	om_store_close(s);
	s = again(1234);
	if (s)
		expect_setting(s, "lock_timeout", "1234");
	om_store_close(s);
}

static long count_sql(struct om_store *s, const struct om_store_sql *q)
{
	struct om_stmt *st = NULL;
	long n = -1;
	if (om_stmt_prepare_sql(s, q, &st) == 0 && om_stmt_step(st) == OM_STORE_ROW)
		n = (long)om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	return n;
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
	/* PostgreSQL needs the types of bare parameters: the explicit per-backend text */
	static const struct om_store_sql q = { "SELECT ?1, ?2, ?3, ?4",
					       "SELECT CAST(?1 AS BIGINT), CAST(?2 AS TEXT), CAST(?3 AS BYTEA),"
					       " CAST(?4 AS TEXT)" };
	CHECK_INT(om_stmt_prepare_sql(s, &q, &st), 0);
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
	{ "CREATE TABLE a (x INTEGER, k BLOB)" },
	{ "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (1)" },
	{ "CREATE TABLE c (z INTEGER); THIS IS NOT SQL" },
};
/* PostgreSQL's own text of step 0; the others are shared */
static const struct om_store_migration steps_pg[] = {
	{ "CREATE TABLE a (x BIGINT, k BYTEA)" },
	{ NULL },
	{ NULL },
};
static const struct om_store_sql table_c = { "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'",
					     "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'c'" };

static void migrates_step_by_step_and_refuses_a_newer_schema(void)
{
	struct om_store *s = fresh(NULL);
	int v = -1;
	if (!s)
		return;
	CHECK_INT(om_store_migrate_for(s, steps, steps_pg, 1), 0);
	CHECK_INT(om_store_schema_version(s, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(om_store_migrate_for(s, steps, steps_pg, 2), 0);
	CHECK_INT(om_store_schema_version(s, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(count(s, "SELECT COUNT(*) FROM b"), 1);
	CHECK_INT(om_store_migrate_for(s, steps, steps_pg, 2), 0); /* idempotent: step 2 not run twice */
	CHECK_INT(count(s, "SELECT COUNT(*) FROM b"), 1);
	/* a failing step leaves the last complete version, and nothing of the step */
	CHECK_INT(om_store_migrate_for(s, steps, steps_pg, 3), OM_ESTORE_SCHEMA);
	CHECK_INT(om_store_schema_version(s, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(count_sql(s, &table_c), 0);
	/* the PostgreSQL text of step 1 ran there: a 48-bit value fits x */
	CHECK_INT(om_store_exec(s, "INSERT INTO a (x) VALUES (281474976710655)"), 0);
	CHECK_INT(count(s, "SELECT x FROM a"), 281474976710655L);
	/* a program that knows only 1 step refuses a version-2 database */
	CHECK_INT(om_store_migrate_for(s, steps, steps_pg, 1), OM_ESTORE_SCHEMA);
	om_store_close(s);
}

static void reports_an_unopenable_path(void)
{
	char err[256] = "";
	struct om_store *s = (struct om_store *)1;
	if (backend == OM_STORE_SQLITE) {
		CHECK(om_store_open("/nonexistent-dir/x/db", &s, err, sizeof(err)) < 0);
		CHECK(s == NULL);
		CHECK_MSG(strstr(err, "/nonexistent-dir") != NULL, "err '%s'", err);
		return;
	}
	/* no server there: OM_ESTORE_CONN, and the password is not in the reason */
	CHECK_INT(om_store_open("postgresql://om:sekret-pw@/x?host=/nonexistent-dir&port=1", &s, err, sizeof(err)),
		  OM_ESTORE_CONN);
	CHECK(s == NULL);
	CHECK_MSG(strstr(err, "sekret") == NULL && strstr(err, "nonexistent-dir") != NULL, "err '%s'", err);
}

static void redacts_a_password_for_the_log(void)
{
	if (backend != OM_STORE_SQLITE)
		return; /* no database involved: once is enough */
	char out[128];
	om_store_conf_redact("postgresql://hss:s3cret@db.example:5432/hss?sslmode=require&password=x2&a=b", out,
			     sizeof(out));
	CHECK_MSG(!strcmp(out, "postgresql://hss:***@db.example:5432/hss?sslmode=require&password=***&a=b"), "%s", out);
	om_store_conf_redact("postgres://u@h/d", out, sizeof(out));
	CHECK(!strcmp(out, "postgres://u@h/d"));
	om_store_conf_redact("/var/lib/hss:x@y.db", out, sizeof(out));
	CHECK(!strcmp(out, "/var/lib/hss:x@y.db"));
	CHECK(om_store_conf_is_pg("postgresql:///x") && !om_store_conf_is_pg("/tmp/postgresql://x"));
}

/* The statement table picks each backend's own text; the helpers bind every type and run. */
static void prepares_a_table_and_runs_it_with_the_helpers(void)
{
	enum { Q_NAME, Q_INS, Q_GET, Q_LIT, Q_N };
	static const struct om_store_sql q[Q_N] = {
		[Q_NAME] = { "SELECT 'sqlite'", "SELECT 'postgresql'" },
		[Q_INS] = { "INSERT INTO t (id, v, b, n) VALUES (?1, ?2, ?3, ?4)", NULL },
		[Q_GET] = { "SELECT v, b, n IS NULL FROM t WHERE id = ?1", NULL },
		/* a ? inside a string literal is text, not a parameter */
		[Q_LIT] = { "SELECT '?1 and ?2', ?1", "SELECT '?1 and ?2', CAST(?1 AS TEXT)" },
	};
	struct om_stmt *st[Q_N];
	char err[200] = "";
	struct om_store *s = fresh(NULL);
	if (!s)
		return;
	CHECK_INT(om_store_exec(s, backend == OM_STORE_PG
					   ? "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT, b BYTEA, n BIGINT)"
					   : "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB, n INTEGER)"),
		  0);
	CHECK_INT(om_stmt_prepare_table(s, q, Q_N, st, err, sizeof(err)), 0);
	CHECK_INT(om_stmt_query(st[Q_NAME], OM_NOBIND), OM_STORE_ROW);
	CHECK(!strcmp(om_stmt_col_text(st[Q_NAME], 0), backend == OM_STORE_PG ? "postgresql" : "sqlite"));
	om_stmt_reset(st[Q_NAME]);
	const uint8_t key[16] = { 0, 1, 2, 0, 0xfe, 0xff };
	CHECK_INT(om_stmt_exec(st[Q_INS], OM_BIND(OM_INT(7), OM_TEXT("it's"), OM_BLOB(key, 16), OM_NULL)), 0);
	CHECK_INT(om_store_changes(s), 1);
	CHECK_INT(om_stmt_exec(st[Q_INS], OM_BIND(OM_INT(7), OM_TEXT("dup"), OM_BLOB(key, 1), OM_INT(1))),
		  OM_ESTORE_CONSTRAINT);
	CHECK_INT(om_stmt_query(st[Q_GET], OM_BIND(OM_INT(7))), OM_STORE_ROW);
	size_t len = 0;
	const void *b = om_stmt_col_blob(st[Q_GET], 1, &len);
	CHECK(!strcmp(om_stmt_col_text(st[Q_GET], 0), "it's"));
	CHECK(len == 16 && b && !memcmp(b, key, 16));
	CHECK_INT(om_stmt_col_int64(st[Q_GET], 2), 1); /* a boolean reads as 1 on both */
	CHECK_INT(om_stmt_step(st[Q_GET]), OM_STORE_DONE);
	om_stmt_reset(st[Q_GET]);
	CHECK_INT(om_stmt_query(st[Q_GET], OM_BIND(OM_INT(8))), OM_STORE_DONE);
	CHECK_INT(om_stmt_exec(st[Q_GET], OM_BIND(OM_INT(7))), OM_ESTORE); /* a row where none was expected */
	CHECK_INT(om_stmt_query(st[Q_LIT], OM_BIND(OM_TEXT("x"))), OM_STORE_ROW);
	CHECK(!strcmp(om_stmt_col_text(st[Q_LIT], 0), "?1 and ?2") && !strcmp(om_stmt_col_text(st[Q_LIT], 1), "x"));
	om_stmt_reset(st[Q_LIT]);
	om_stmt_finalize_table(st, Q_N);
	CHECK(st[Q_NAME] == NULL && st[Q_LIT] == NULL);
	/* one bad statement: the table is all NULL and the reason names it */
	static const struct om_store_sql bad[2] = { { "SELECT 1", NULL }, { "SELEKT 2", NULL } };
	struct om_stmt *bst[2] = { (struct om_stmt *)1, (struct om_stmt *)1 };
	CHECK(om_stmt_prepare_table(s, bad, 2, bst, err, sizeof(err)) < 0);
	CHECK(bst[0] == NULL && bst[1] == NULL);
	CHECK_MSG(strstr(err, "statement 1") != NULL, "err '%s'", err);
	if (backend == OM_STORE_PG) {
		struct om_stmt *x = NULL;
		CHECK_INT(om_stmt_prepare(s, "SELECT ?", &x), OM_EINVAL); /* every placeholder numbered */
	}
	om_store_close(s);
}

/*
 * A second writer waits for the first, and past its timeout gets
 * OM_ESTORE_BUSY, the code om_store_retry() runs a transaction again for;
 * once the first commits, the retry goes through and sees its write.
 */
static void a_second_writer_waits_then_retries(void)
{
	static const struct om_store_sql lock = { "SELECT v FROM t WHERE id = 1",
						  "SELECT v FROM t WHERE id = 1 FOR UPDATE" };
	struct om_store *a = fresh(NULL), *b = NULL;
	struct om_stmt *la = NULL, *lb = NULL, *up = NULL;
	if (!a)
		return;
	CHECK_INT(om_store_exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"), 0);
	CHECK_INT(om_store_exec(a, "INSERT INTO t VALUES (1, 10)"), 0);
	b = again(200);
	if (!b)
		goto out;
	CHECK_INT(om_stmt_prepare_sql(a, &lock, &la), 0);
	CHECK_INT(om_stmt_prepare_sql(b, &lock, &lb), 0);
	CHECK_INT(om_stmt_prepare(a, "UPDATE t SET v = v + 1 WHERE id = 1", &up), 0);
	CHECK_INT(om_store_begin(a, OM_STORE_DURABLE), 0);
	CHECK_INT(om_stmt_query(la, OM_NOBIND), OM_STORE_ROW);
	om_stmt_reset(la);
	CHECK_INT(om_stmt_exec(up, OM_NOBIND), 0);
	int rc = om_store_begin(b, OM_STORE_DURABLE);
	if (rc == 0)
		rc = om_stmt_query(lb, OM_NOBIND);
	CHECK_INT(rc, OM_ESTORE_BUSY);
	om_store_rollback(b);
	CHECK_INT(om_store_retry(rc, 1), 1);
	CHECK_INT(om_store_retry(rc, OM_STORE_TRIES), 0);
	CHECK_INT(om_store_retry(OM_ESTORE_CONSTRAINT, 1), 0);
	CHECK_INT(om_store_commit(a), 0);
	CHECK_INT(om_store_begin(b, OM_STORE_DURABLE), 0);
	CHECK_INT(om_stmt_query(lb, OM_NOBIND), OM_STORE_ROW);
	CHECK_INT(om_stmt_col_int64(lb, 0), 11);
	om_stmt_reset(lb);
	CHECK_INT(om_store_commit(b), 0);
out:
	om_stmt_finalize(la);
	om_stmt_finalize(lb);
	om_stmt_finalize(up);
	om_store_close(b);
	om_store_close(a);
}

static unsigned mode_of(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xffff;
}

/* Issue 11: a database holds K and OPc; under umask 0 SQLite alone would make it 0666. */
static void creates_the_database_and_its_wal_0600_whatever_the_umask(void)
{
	char wal[600], shm[600];
	if (backend != OM_STORE_SQLITE)
		return; /* files of its own: SQLite only (the PostgreSQL server keeps its data 0700) */
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

static long count_rows(struct om_store *s)
{
	struct om_stmt *st = NULL;
	long n = -1;
	if (om_stmt_prepare(s, "SELECT COUNT(*) FROM t", &st) == 0 && om_stmt_step(st) == OM_STORE_ROW)
		n = (long)om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	return n;
}

/* In a child with OM_STORE_STRICT=1: a new database, a statement left at a row, then om_store_idle
 * (at_begin 0) or om_store_begin (1). The child's stderr goes to log. Returns its wait status. */
static int strict_child(int at_begin, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		setenv("OM_STORE_STRICT", "1", 1);
		struct om_store *s = fresh(NULL);
		struct om_stmt *st = NULL;
		if (!s || om_store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)") < 0 ||
		    om_store_exec(s, "INSERT INTO t VALUES (1, 10), (2, 20)") < 0 ||
		    om_stmt_prepare(s, "SELECT v FROM t ORDER BY id", &st) < 0 || om_stmt_query(st, OM_NOBIND) != OM_STORE_ROW)
			_exit(3);
		if (at_begin)
			_exit(om_store_begin(s, OM_STORE_LAZY) == 0 ? 0 : 4);
		else
			(void)om_store_idle(s, "strict-child");
		_exit(0); /* not aborted: the check did not hold */
	}
	int status = 0;
	seq++; /* the child's fresh() took this number */
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * A statement stepped to a row and never reset (the bug class behind the SHO
 * not seeing an owner another process added: docs/store.md "Busy
 * statements"). On SQLite it pins the connection to its read snapshot: a row
 * another connection commits is not seen. om_store_idle finds it, logs it
 * and resets it, and the connection sees the row; om_store_begin does the
 * same; in strict mode (every test, OM_STORE_STRICT=1) the process aborts
 * with the statement's SQL in the log.
 */
static void a_statement_left_busy_is_found_reset_and_fatal_when_strict(void)
{
	struct om_store *a = fresh(NULL), *b = NULL;
	struct om_stmt *sel = NULL;
	const char *was = getenv("OM_STORE_STRICT");
	char saved[8] = "", log[600];
	snprintf(saved, sizeof(saved), "%s", was ? was : "");
	if (!a)
		return;
	setenv("OM_STORE_STRICT", "0", 1);
	CHECK_INT(om_store_exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"), 0);
	CHECK_INT(om_store_exec(a, "INSERT INTO t VALUES (1, 10), (2, 20)"), 0);
	CHECK_INT(om_stmt_prepare(a, "SELECT v FROM t ORDER BY id", &sel), 0);
	CHECK_INT(om_store_idle(a, "test"), 0);
	CHECK_INT(om_stmt_query(sel, OM_NOBIND), OM_STORE_ROW); /* left at its first row */
	if (!(b = again(200)))
		goto out;
	CHECK_INT(om_store_exec(b, "INSERT INTO t VALUES (3, 30)"), 0);
	if (backend == OM_STORE_SQLITE)
		CHECK_INT(count_rows(a), 2); /* the leak itself: a's reads stay on the old snapshot */
	CHECK_INT(om_store_idle(a, "test"), 1);
	CHECK_INT(om_store_idle(a, "test"), 0);
	CHECK_INT(count_rows(a), 3);
	/* at begin: found and reset before the transaction reads anything */
	CHECK_INT(om_stmt_query(sel, OM_NOBIND), OM_STORE_ROW);
	CHECK_INT(om_store_exec(b, "INSERT INTO t VALUES (4, 40)"), 0);
	CHECK_INT(om_store_begin(a, OM_STORE_LAZY), 0);
	CHECK_INT(count_rows(a), 4);
	CHECK_INT(om_store_commit(a), 0);
	CHECK_INT(om_store_idle(a, "test"), 0);
	/* a transaction left open at the end of a request is one too, rolled back */
	CHECK_INT(om_store_begin(a, OM_STORE_LAZY), 0);
	CHECK_INT(om_store_exec(a, "INSERT INTO t VALUES (5, 50)"), 0);
	CHECK_INT(om_store_idle(a, "test"), 1);
	CHECK_INT(count_rows(b), 4);
	/* strict: the process stops at the check, and the log names the statement */
	snprintf(log, sizeof(log), "%s/strict.log", dir);
	for (int at_begin = 0; at_begin < 2; at_begin++) {
		int st = strict_child(at_begin, log);
		CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "strict child (at_begin %d): status %#x", at_begin,
			  (unsigned)st);
		size_t n = 0;
		char *text = (char *)check_slurp(log, &n);
		CHECK_MSG(text && strstr(text, "store-busy") && strstr(text, "SELECT v FROM t ORDER BY id") &&
				  strstr(text, at_begin ? "where=begin" : "where=strict-child"),
			  "strict log: %s", text ? text : "(none)");
		free(text);
	}
out:
	if (saved[0])
		setenv("OM_STORE_STRICT", saved, 1);
	else
		unsetenv("OM_STORE_STRICT");
	om_stmt_finalize(sel);
	om_store_close(b);
	om_store_close(a);
}

/*
 * Opening a second handle on a database this process has open must keep the
 * first handle's locks (SQLite, POSIX locks: closing any descriptor of the
 * file drops them all). The store used to open() and close() the file before
 * each open: another process's last close then took the database for unused,
 * checkpointed, and unlinked the -wal and -shm under the first handle, whose
 * later writes went to the unlinked log and were lost.
 */
static void a_second_handle_keeps_the_first_handles_locks(void)
{
	int go[2];
	char wal[600];
	if (backend != OM_STORE_SQLITE)
		return;
	if (fresh_conf() < 0 || pipe(go) < 0) {
		CHECK_MSG(0, "setup");
		return;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	fflush(NULL);
	/* the other process is forked before this one opens the file: SQLite's per-process lock table is not shared */
	pid_t pid = fork();
	if (pid == 0) {
		char c, err[256];
		struct om_store *w = NULL;
		close(go[1]);
		if (read(go[0], &c, 1) != 1 || om_store_open_sqlite(path, NULL, &w, err, sizeof(err)) < 0 ||
		    om_store_exec(w, "INSERT INTO t VALUES (2, 20)") < 0)
			_exit(1);
		om_store_close(w); /* the last connection, if it cannot see ours */
		_exit(0);
	}
	close(go[0]);
	char err[256] = "";
	struct om_store *a = NULL, *b = NULL;
	CHECK_INT(om_store_open_sqlite(path, NULL, &a, err, sizeof(err)), 0);
	if (a) {
		CHECK_INT(om_store_exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"), 0);
		CHECK_INT(om_store_exec(a, "INSERT INTO t VALUES (1, 10)"), 0);
		CHECK_INT(count_rows(a), 1);
	}
	CHECK_INT(om_store_open_sqlite(path, NULL, &b, err, sizeof(err)), 0);
	CHECK_INT(write(go[1], "x", 1), 1);
	close(go[1]);
	int status = 0;
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer: status %#x", (unsigned)status);
	struct stat sw;
	CHECK_MSG(stat(wal, &sw) == 0, "%s unlinked under an open handle", wal);
	if (a) {
		CHECK_INT(count_rows(a), 2);
		CHECK_INT(om_store_exec(a, "INSERT INTO t VALUES (3, 30)"), 0);
	}
	om_store_close(b);
	om_store_close(a);
	a = NULL;
	CHECK_INT(om_store_open_sqlite(path, NULL, &a, err, sizeof(err)), 0);
	if (a)
		CHECK_INT(count_rows(a), 3); /* the first handle's write after the other's close is kept */
	om_store_close(a);
}

static long setting_long(struct om_store *s, const char *name)
{
	char v[32] = "";
	return om_store_setting(s, name, v, sizeof(v)) == 0 ? strtol(v, NULL, 10) : -1;
}

/*
 * The real syscalls under group commit (review: the store's own counters
 * would still count an xSync that did nothing or synced another file).
 * fdatasync and fsync are interposed in this executable, as in
 * tre/tre_sync_test.c, the real ones called through RTLD_NEXT; each call on
 * the watched inode (the -wal's) is numbered when it starts, and the
 * highest start number among the calls that completed is kept. A commit
 * whose frames a sync covers sees, on its return, a completed sync that
 * started after the commit was called.
 */
static pthread_mutex_t sync_mu = PTHREAD_MUTEX_INITIALIZER;
static ino_t sync_ino; /* 0: nothing watched */
static dev_t sync_dev;
static unsigned long sync_started, sync_done_max, sync_done;

static int watched(int fd)
{
	struct stat st;
	pthread_mutex_lock(&sync_mu);
	int w = sync_ino && fstat(fd, &st) == 0 && st.st_ino == sync_ino && st.st_dev == sync_dev;
	pthread_mutex_unlock(&sync_mu);
	return w;
}

static void (*sync_gate)(void); /* called once, at the start of the next watched sync */

static int synced(int fd, int (*real)(int))
{
	unsigned long n = 0;
	int w = watched(fd);
	void (*gate)(void) = NULL;
	if (w) {
		pthread_mutex_lock(&sync_mu);
		n = ++sync_started;
		gate = sync_gate;
		sync_gate = NULL;
		pthread_mutex_unlock(&sync_mu);
	}
	if (gate)
		gate();
	int rc = real(fd);
	if (w && rc == 0) {
		pthread_mutex_lock(&sync_mu);
		sync_done++;
		if (n > sync_done_max)
			sync_done_max = n;
		pthread_mutex_unlock(&sync_mu);
	}
	return rc;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return synced(fd, real);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return synced(fd, real);
}

/* Watch path's -wal (0), or nothing (-1 when it does not exist). */
static int watch_wal(const char *db)
{
	char wal[600];
	struct stat st;
	snprintf(wal, sizeof(wal), "%s-wal", db);
	int rc = stat(wal, &st);
	pthread_mutex_lock(&sync_mu);
	sync_ino = rc == 0 ? st.st_ino : 0;
	sync_dev = rc == 0 ? st.st_dev : 0;
	sync_started = sync_done_max = sync_done = 0;
	pthread_mutex_unlock(&sync_mu);
	return rc == 0 ? 0 : -1;
}

static unsigned long syncs_started(void)
{
	pthread_mutex_lock(&sync_mu);
	unsigned long n = sync_started;
	pthread_mutex_unlock(&sync_mu);
	return n;
}

/* Whether a sync of the -wal that started after start number `before` completed. */
static int synced_since(unsigned long before)
{
	pthread_mutex_lock(&sync_mu);
	int y = sync_done_max > before;
	pthread_mutex_unlock(&sync_mu);
	return y;
}

static unsigned long syncs_done(void)
{
	pthread_mutex_lock(&sync_mu);
	unsigned long n = sync_done;
	pthread_mutex_unlock(&sync_mu);
	return n;
}

/* Group commit (docs/store.md): a durable commit returns after a sync of the -wal that covers it. */
static void a_durable_commit_returns_after_a_wal_sync_covering_it(void)
{
	if (backend != OM_STORE_SQLITE)
		return;
	struct om_store *s = fresh(NULL);
	if (!s)
		return;
	CHECK_INT(om_store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"), 0);
	CHECK_MSG(watch_wal(path) == 0, "no %s-wal", path);
	CHECK_INT(setting_long(s, "durable_commits"), 0);
	CHECK_INT(setting_long(s, "wal_syncs"), 0);
	CHECK_INT(om_store_begin(s, OM_STORE_LAZY), 0);
	CHECK_INT(om_store_exec(s, "INSERT INTO t VALUES (1, 10)"), 0);
	CHECK_INT(om_store_commit(s), 0);
	CHECK_INT(setting_long(s, "wal_syncs"), 0); /* lazy: no sync */
	CHECK_INT(syncs_done(), 0);                 /* none at the syscall either */
	for (int i = 2; i <= 3; i++) {
		CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), 0);
		CHECK_INT(om_store_exec(s, i == 2 ? "INSERT INTO t VALUES (2, 20)" : "INSERT INTO t VALUES (3, 30)"), 0);
		unsigned long before = syncs_started();
		CHECK_INT(om_store_commit(s), 0);
		CHECK_MSG(synced_since(before), "commit %d returned with no fdatasync of the -wal after it began", i);
		CHECK_INT(setting_long(s, "durable_commits"), i - 1);
		CHECK_INT(setting_long(s, "wal_syncs"), i - 1); /* alone, each commit makes its own sync */
		CHECK_INT(syncs_done(), i - 1);                 /* and the kernel saw each */
	}
	CHECK_INT(om_store_begin(s, OM_STORE_DURABLE), 0);
	CHECK_INT(om_store_exec(s, "INSERT INTO t VALUES (4, 40)"), 0);
	CHECK_INT(om_store_rollback(s), 0);
	CHECK_INT(setting_long(s, "wal_syncs"), 2); /* a rollback syncs nothing */
	CHECK_INT(syncs_done(), 2);
	CHECK_INT(count_rows(s), 3);
	om_store_close(s);
	watch_wal("");
}

struct committer {
	struct om_store *s;
	int first, rc, uncovered; /* uncovered: commits returned with no -wal sync started after they began */
};

static void *commit_loop(void *arg)
{
	struct committer *c = arg;
	struct om_stmt *st = NULL;
	c->rc = om_stmt_prepare(c->s, "INSERT INTO t VALUES (?1, ?2)", &st);
	for (int i = 0; i < 25 && c->rc == 0; i++) {
		unsigned attempt = 0;
		do {
			c->rc = om_store_begin(c->s, OM_STORE_DURABLE);
			if (c->rc == 0)
				c->rc = om_stmt_exec(st, OM_BIND(OM_INT(c->first + i), OM_INT(i)));
			unsigned long before = syncs_started();
			c->rc = c->rc == 0 ? om_store_commit(c->s) : (om_store_rollback(c->s), c->rc);
			if (c->rc == 0 && !synced_since(before))
				c->uncovered++;
		} while (c->rc < 0 && om_store_retry(c->rc, ++attempt));
	}
	om_stmt_finalize(st);
	return NULL;
}

/*
 * Four handles on one file, each in its own thread, 25 durable commits each:
 * every row is there and the one group of the file counted every commit, from
 * any handle; no more syncs than commits (fewer where they arrived together).
 * A handle on another file has a group of its own.
 */
static void handles_on_one_file_share_its_group_commit(void)
{
	if (backend != OM_STORE_SQLITE)
		return;
	struct om_store *first = fresh(NULL);
	if (!first)
		return;
	CHECK_INT(om_store_exec(first, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"), 0);
	CHECK_MSG(watch_wal(path) == 0, "no %s-wal", path);
	struct committer c[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct committer){ .s = again(5000), .first = 100 * i };
		if (!c[i].s || pthread_create(&th[i], NULL, commit_loop, &c[i]))
			CHECK_MSG(0, "committer %d", i);
	}
	for (int i = 0; i < 4; i++)
		if (c[i].s) {
			pthread_join(th[i], NULL);
			CHECK_INT(c[i].rc, 0);
			CHECK_INT(c[i].uncovered, 0); /* each commit, from any handle, after a real -wal sync */
		}
	CHECK_INT(count_rows(first), 100);
	long commits = setting_long(first, "durable_commits"), syncs = setting_long(first, "wal_syncs");
	CHECK_INT(commits, 100);
	CHECK_MSG(syncs >= 1 && syncs <= commits, "%ld syncs for %ld commits", syncs, commits);
	CHECK_MSG((long)syncs_done() >= syncs, "%lu -wal syncs at the syscall, %ld counted", syncs_done(), syncs);
	watch_wal("");
	fprintf(stderr, "   4 threads: %ld durable commits, %ld -wal syncs\n", commits, syncs);
	struct om_store *other = fresh(NULL);
	if (other)
		CHECK_INT(setting_long(other, "durable_commits"), 0);
	om_store_close(other);
	for (int i = 0; i < 4; i++)
		om_store_close(c[i].s);
	om_store_close(first);
}

/*
 * Group commit that pays (om_store_sync_unlocks): handlers that take turns
 * under one lock, as a daemon's do, on one handle. The first commit's sync
 * is held at the syscall until two more commits were written (10 s at most):
 * that can happen only if the first let go of the lock while it waited. Then
 * one sync covers both: 3 durable commits, 2 syncs (with the lock held
 * through the wait, as before, 3), and each commit still returns after a
 * -wal sync that started after it was called.
 */
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static struct om_store *shared;
static volatile int lazy_returned;

struct handler {
	int id, durable, rc, uncovered;
	unsigned long done_before; /* syncs completed when the handler's commit was called */
	unsigned long done_after;  /* and when it returned */
};

static void *handler_run(void *arg)
{
	struct handler *h = arg;
	pthread_mutex_lock(&handler_lock);
	om_store_sync_unlocks(&handler_lock);
	char sql[64];
	snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%d, %d)", h->id, h->id);
	h->rc = om_store_begin(shared, h->durable ? OM_STORE_DURABLE : OM_STORE_LAZY);
	if (h->rc == 0)
		h->rc = om_store_exec(shared, sql);
	unsigned long before = syncs_started();
	h->done_before = syncs_done();
	h->rc = h->rc == 0 ? om_store_commit(shared) : (om_store_rollback(shared), h->rc);
	h->done_after = syncs_done();
	if (!h->durable)
		lazy_returned = 1;
	if (h->rc == 0 && h->durable && !synced_since(before))
		h->uncovered++;
	om_store_sync_unlocks(NULL);
	pthread_mutex_unlock(&handler_lock);
	return NULL;
}

static void wait_for(int (*cond)(void), unsigned ms)
{
	for (unsigned i = 0; i < ms / 10 && !cond(); i++)
		usleep(10000);
}

static int three_written(void)
{
	return setting_long(shared, "durable_commits") >= 3;
}

static void gate_until_three_written(void)
{
	wait_for(three_written, 10000);
}

static struct om_store *probe; /* a second handle: sees a commit once its COMMIT wrote it */

static int lazy_row_written(void)
{
	struct om_stmt *st = NULL;
	int y = om_stmt_prepare(probe, "SELECT COUNT(*) FROM t WHERE id = 99", &st) == 0 &&
		om_stmt_step(st) == OM_STORE_ROW && om_stmt_col_int64(st, 0) == 1;
	om_stmt_finalize(st);
	return y;
}

static int lazy_back(void)
{
	return lazy_returned;
}

/* Hold the sync until the lazy commit was written, then give it 2 s to return early (it must not). */
static void gate_until_lazy_written(void)
{
	wait_for(lazy_row_written, 10000);
	wait_for(lazy_back, 2000);
}

static void run_handlers(struct handler *h, int n)
{
	pthread_t th[4];
	unsigned long base = syncs_started();
	for (int i = 0; i < n; i++) {
		if (pthread_create(&th[i], NULL, handler_run, &h[i]))
			CHECK_MSG(0, "handler %d", i);
		if (i == 0) /* the first is in its sync (held by the gate) before the others start */
			while (syncs_started() == base)
				usleep(1000);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

static void handlers_under_one_lock_share_a_sync(void)
{
	if (backend != OM_STORE_SQLITE)
		return;
	shared = fresh(NULL);
	if (!shared)
		return;
	CHECK_INT(om_store_exec(shared, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"), 0);
	CHECK_MSG(watch_wal(path) == 0, "no %s-wal", path);
	pthread_mutex_lock(&sync_mu);
	sync_gate = gate_until_three_written;
	pthread_mutex_unlock(&sync_mu);
	struct handler h[3] = { { .id = 1, .durable = 1 }, { .id = 2, .durable = 1 }, { .id = 3, .durable = 1 } };
	run_handlers(h, 3);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(h[i].rc, 0);
		CHECK_INT(h[i].uncovered, 0); /* each answer after a -wal sync that began after its commit */
	}
	CHECK_INT(setting_long(shared, "durable_commits"), 3);
	CHECK_INT(setting_long(shared, "wal_syncs"), 2); /* the second and third shared one */
	CHECK_INT(syncs_done(), 2);
	CHECK_INT(count_rows(shared), 3);

	/* a lazy commit that may have read a durable one still in its sync returns after that sync */
	probe = again(5000);
	CHECK_MSG(probe != NULL, "second handle");
	lazy_returned = 0;
	pthread_mutex_lock(&sync_mu);
	sync_gate = gate_until_lazy_written;
	pthread_mutex_unlock(&sync_mu);
	struct handler l[2] = { { .id = 50, .durable = 1 }, { .id = 99, .durable = 0 } };
	if (probe)
		run_handlers(l, 2);
	CHECK_INT(l[0].rc, 0);
	CHECK_INT(l[1].rc, 0);
	CHECK_MSG(l[1].done_before == 2 && l[1].done_after == 3,
		  "lazy commit began with %lu syncs done and returned with %lu (want 2, then 3: after the durable one's)",
		  l[1].done_before, l[1].done_after);
	CHECK_INT(setting_long(shared, "wal_syncs"), 3); /* the lazy commit made none of its own */
	om_store_close(probe);
	om_store_close(shared);
	watch_wal("");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (t_pg_start(&pg, 0) < 0)
		CHECK_MSG(0, "cannot start a PostgreSQL cluster: every case runs on both backends");
	for (int b = 0; b < 2; b++) {
		backend = b ? OM_STORE_PG : OM_STORE_SQLITE;
		if (backend == OM_STORE_PG && !pg.c.started)
			break;
		fprintf(stderr, "-- %s\n", b ? "postgresql" : "sqlite");
		reads_back_every_pragma_it_sets();
		reads_back_every_postgresql_setting_it_sets();
		rolls_back_a_transaction_that_fails();
		binds_and_reads_every_type();
		migrates_step_by_step_and_refuses_a_newer_schema();
		reports_an_unopenable_path();
		redacts_a_password_for_the_log();
		prepares_a_table_and_runs_it_with_the_helpers();
		a_second_writer_waits_then_retries();
		creates_the_database_and_its_wal_0600_whatever_the_umask();
		a_statement_left_busy_is_found_reset_and_fatal_when_strict();
		a_second_handle_keeps_the_first_handles_locks();
		a_durable_commit_returns_after_a_wal_sync_covering_it();
		handles_on_one_file_share_its_group_commit();
		handlers_under_one_lock_share_a_sync();
	}
	t_pg_stop(&pg);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
