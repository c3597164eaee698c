/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one way a daemon reaches its storage (docs/store.md): a connection,
 * transactions, and prepared statements with typed binds and columns,
 * behind a table of function pointers with two backends, SQLite (the
 * embedded default, svc/store_sqlite.c) and PostgreSQL (libpq,
 * svc/store_pg.c). om_store_open() picks the backend from the configured
 * string: a `postgresql://` (or `postgres://`) URI is PostgreSQL, anything
 * else is a SQLite file path.
 *
 * SQL dialect: the subset SQLite and PostgreSQL share (TEXT, CHECK,
 * REFERENCES ... ON DELETE CASCADE, shifts on integers, CASE), with
 * numbered placeholders ?1, ?2 ... that the PostgreSQL backend rewrites to
 * $1, $2 ... once, at prepare time. Where the two differ (column types
 * BLOB/bytea and INTEGER/BIGINT, SELECT ... FOR UPDATE) a statement or a
 * migration step carries an explicit PostgreSQL text (struct om_store_sql,
 * struct om_store_migration). No SQL is ever built with printf: every
 * value is a bind.
 *
 * Durability: a transaction is OM_STORE_DURABLE (on stable storage when
 * commit returns: SQLite's -wal synced past it, one sync shared by the
 * commits of a process that arrive together, docs/store.md "Group commit";
 * PostgreSQL's default synchronous_commit=on) or OM_STORE_LAZY (atomic
 * and survives a crash of the daemon, but a power loss or a database
 * server crash may lose it: SQLite WAL with synchronous=NORMAL, PostgreSQL
 * SET LOCAL synchronous_commit=off). A write whose loss could hand out a secret
 * twice (the SQN high-water mark) is always durable.
 *
 * Errors inside a transaction: after a failed statement the only call that
 * is sure to work on both backends is om_store_rollback() (PostgreSQL
 * aborts the whole transaction). OM_ESTORE_BUSY (SQLite's busy timeout,
 * PostgreSQL's lock timeout, deadlock or serialization failure) means
 * "roll back and run the transaction again": om_store_retry() is that
 * policy, written once.
 *
 * Threads: one struct om_store and its statements belong to one thread at a
 * time; callers serialise (the HSS holds a mutex around its store).
 *
 * Every fallible call returns 0 (or a count) or a negative om_err code:
 * OM_ESTORE, OM_ESTORE_BUSY, OM_ESTORE_CONSTRAINT, OM_ESTORE_SCHEMA,
 * OM_ESTORE_PRAGMA, OM_ESTORE_CONN, OM_EINVAL, OM_ENOMEM. The backend's own
 * message for the last failure is available from om_store_errmsg() for logs.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#include "svc_err.h"

struct om_store;
struct om_stmt;

enum om_store_durability {
	OM_STORE_LAZY = 0,    /* atomic; may be lost on power loss, never on a process crash */
	OM_STORE_DURABLE = 1, /* on stable storage when commit returns */
};

/* om_stmt_step(): a row is ready, or the statement has finished. */
#define OM_STORE_ROW 1
#define OM_STORE_DONE 0

enum om_store_backend {
	OM_STORE_SQLITE = 0,
	OM_STORE_PG = 1,
};

/* One statement's text, and PostgreSQL's own where the dialects differ (NULL: sql serves both). */
struct om_store_sql {
	const char *sql;
	const char *pg;
};

/* One schema step: the SQL that takes the database from version (index) to index + 1. */
struct om_store_migration {
	const char *sql; /* one or more statements, no binds */
};

/* What a backend provides. Callers use the om_store_* wrappers below. */
struct om_store_ops {
	const char *name;
	void (*close)(struct om_store *s);
	int (*begin)(struct om_store *s, enum om_store_durability d);
	int (*commit)(struct om_store *s);
	int (*rollback)(struct om_store *s);
	int (*exec)(struct om_store *s, const char *sql);
	int (*prepare)(struct om_store *s, const char *sql, struct om_stmt **out);
	int (*user_version)(struct om_store *s, int *out);
	int (*lock_schema)(struct om_store *s); /* inside a transaction: one migrator at a time */
	int (*set_user_version)(struct om_store *s, int v);
	int (*setting)(struct om_store *s, const char *name, char *out, size_t out_len);
	const char *(*errmsg)(struct om_store *s);

	int (*bind_int64)(struct om_stmt *st, int idx, int64_t v);
	int (*bind_text)(struct om_stmt *st, int idx, const char *v);
	int (*bind_blob)(struct om_stmt *st, int idx, const void *v, size_t len);
	int (*bind_null)(struct om_stmt *st, int idx);
	int (*step)(struct om_stmt *st);
	int (*reset)(struct om_stmt *st);
	void (*finalize)(struct om_stmt *st);
	int64_t (*col_int64)(struct om_stmt *st, int col);
	const char *(*col_text)(struct om_stmt *st, int col);
	const void *(*col_blob)(struct om_stmt *st, int col, size_t *len);
	int (*col_is_null)(struct om_stmt *st, int col);
	long (*changes)(struct om_store *s);
	/* reset every statement of s still stepping, calling found(ctx, its SQL) for each; how many */
	unsigned (*reset_busy)(struct om_store *s, void (*found)(void *ctx, const char *sql), void *ctx);
};

/* The head every backend's connection and statement start with. */
struct om_store {
	const struct om_store_ops *ops;
	enum om_store_backend backend;
	int in_txn;
};
struct om_stmt {
	const struct om_store_ops *ops;
	struct om_store *store;
};

/* Options of the SQLite backend. */
struct om_store_sqlite_opts {
	unsigned busy_timeout_ms; /* 0: 5000 */
};

/*
 * Open (creating if needed) the SQLite database at path: WAL journal,
 * synchronous=NORMAL (a durable commit syncs the -wal itself, group
 * commit), foreign keys on, the busy timeout set; each setting is read back and a
 * mismatch is OM_ESTORE_PRAGMA. opts may be NULL. On failure returns the
 * code with *out NULL and a one-line reason in err.
 */
OM_NODISCARD int om_store_open_sqlite(const char *path, const struct om_store_sqlite_opts *opts,
				      struct om_store **out, char *err, size_t err_len);

/* Options of the PostgreSQL backend. */
struct om_store_pg_opts {
	unsigned lock_timeout_ms;    /* 0: 5000; a row or table lock waited for longer is OM_ESTORE_BUSY */
	unsigned connect_timeout_s;  /* 0: 10, unless the URI sets connect_timeout */
};

/*
 * Connect to PostgreSQL at conninfo (a libpq URI or key=value string; the
 * password, if any, never reaches err or a log). The connection runs in
 * UTC with the lock timeout set, read back like SQLite's pragmas. opts may
 * be NULL. On failure returns the code (OM_ESTORE_CONN when the server is
 * not reached) with *out NULL and a one-line reason in err.
 */
OM_NODISCARD int om_store_open_pg(const char *conninfo, const struct om_store_pg_opts *opts,
				  struct om_store **out, char *err, size_t err_len);

/* 1 if conf names a PostgreSQL database (postgresql:// or postgres://), 0 for a SQLite path. */
int om_store_conf_is_pg(const char *conf);

/*
 * Open the store a daemon's configuration names: a postgresql:// URI or a
 * SQLite file path, each with its backend's default options.
 */
OM_NODISCARD int om_store_open(const char *conf, struct om_store **out, char *err, size_t err_len);

/*
 * conf for a log line: a PostgreSQL URI with any password replaced by ***,
 * a path as it is. Never log the configuration string itself.
 */
void om_store_conf_redact(const char *conf, char *out, size_t out_len);

/*
 * The credential a postgresql:// configuration names, as libpq reads it
 * (PQconninfoParse): *password 1 when it carries a password (user:PW@ or
 * password=), passfile the password file it names ("" for none). The
 * daemons refuse a password in a configuration file others may read, and
 * a passfile that is not theirs alone (svc/daemon.c, docs/store.md
 * "Credentials on PostgreSQL"). 0, or OM_EINVAL when libpq cannot parse it.
 */
OM_NODISCARD int om_store_pg_credential(const char *conf, int *password, char *passfile, size_t passfile_len);

/* The backend of s. */
enum om_store_backend om_store_backend_of(const struct om_store *s);

/* Close the connection (finalize every statement first). NULL is a no-op. */
void om_store_close(struct om_store *s);

/*
 * Bring the schema to version n (the number of steps in m[]): each missing
 * step runs, with the new version, in one durable transaction (SQLite keeps
 * the version in PRAGMA user_version, PostgreSQL in the one-row table
 * om_schema). Two processes migrating the same database at once take turns
 * (SQLite's write lock, a PostgreSQL advisory lock) and each step runs once.
 * Returns 0; OM_ESTORE_SCHEMA if the database is newer than n (written by a
 * later program) or a step fails (the database then stays at the last
 * complete version).
 */
OM_NODISCARD int om_store_migrate(struct om_store *s, const struct om_store_migration *m, size_t n);

/*
 * The same with PostgreSQL's own steps: pg[i] (when pg and pg[i].sql are
 * not NULL) is PostgreSQL's text of step i, m[i] SQLite's. Both tables
 * have n steps and step i means the same schema on both.
 */
OM_NODISCARD int om_store_migrate_for(struct om_store *s, const struct om_store_migration *m,
				      const struct om_store_migration *pg, size_t n);

/* The schema version (PRAGMA user_version for SQLite, om_schema for PostgreSQL). */
OM_NODISCARD int om_store_schema_version(struct om_store *s, int *out);

/*
 * A backend setting as text, for tests and diagnostics: for SQLite the
 * value of PRAGMA name (journal_mode, synchronous, foreign_keys,
 * busy_timeout, user_version), or the file's group commit counters in this
 * process (durable_commits, wal_syncs); for PostgreSQL the value of SHOW name
 * (synchronous_commit, lock_timeout, TimeZone, server_version,
 * transaction_isolation) or user_version. OM_EINVAL for a name not in the
 * backend's list.
 */
OM_NODISCARD int om_store_setting(struct om_store *s, const char *name, char *out, size_t out_len);

/*
 * Start a write transaction (the write lock is taken now, so two writers
 * never deadlock upgrading). OM_EINVAL if one is already open.
 */
OM_NODISCARD int om_store_begin(struct om_store *s, enum om_store_durability d);
/* Commit; on failure the transaction is rolled back and the code returned. */
OM_NODISCARD int om_store_commit(struct om_store *s);
/* Roll back the open transaction; no-op without one. */
int om_store_rollback(struct om_store *s);

/*
 * Group commit that pays (docs/store.md "Group commit"): until called again
 * with NULL, this thread's SQLite transactions let go of mu (which the
 * thread holds) while they wait for the -wal's sync after their COMMIT or
 * ROLLBACK, and take it back before om_store_commit or om_store_rollback
 * returns, so the next handler under mu runs and its commit shares the sync.
 * The handle is between transactions while mu is let go; the caller must hold
 * nothing read under mu across a commit that another holder of mu could
 * change. A commit still returns only once it is durable (a lazy commit or
 * a rollback, once every durable commit written before it is). PostgreSQL:
 * no effect (its COMMIT is a round trip on the connection mu guards).
 */
void om_store_sync_unlocks(pthread_mutex_t *mu);

/*
 * Busy statements (docs/store.md "Busy statements"). A statement stepped to
 * a row and never reset stays busy: on SQLite it holds its read snapshot, so
 * the connection sees nothing another handle or process commits after it
 * and WAL checkpoints stop; on PostgreSQL its next run continues the old
 * result. om_store_idle() finds every busy statement of s (SQLite:
 * sqlite3_stmt_busy over sqlite3_next_stmt; PostgreSQL: a result kept),
 * logs each with where and its SQL, and resets it; an open transaction is
 * logged and rolled back too. Returns how many it found (0: none). In
 * strict mode (om_store_strict()) it then aborts, so the test that leaked
 * fails where the leak is. om_store_begin() runs it first; every daemon
 * runs it at the end of each request handler (their *_idle calls).
 */
unsigned om_store_idle(struct om_store *s, const char *where);

/*
 * Strict mode: OM_STORE_STRICT=1 in the environment (ctest sets it for every
 * test and the daemons a test starts inherit it), =0 turns it off; unset,
 * a build without NDEBUG (Debug, the sanitizer build) is strict.
 */
int om_store_strict(void);

/*
 * The retry policy, written once: after a transaction failed with rc on its
 * attempt-th try (counting from 1) and was rolled back, 1 if it should run
 * again (rc is OM_ESTORE_BUSY and fewer than OM_STORE_TRIES tries were
 * made; it then sleeps a short, growing, jittered pause), else 0.
 */
#define OM_STORE_TRIES 8
int om_store_retry(int rc, unsigned attempt);

/* Run SQL without binds or rows (schema, migrations). */
OM_NODISCARD int om_store_exec(struct om_store *s, const char *sql);

/* Rows changed by the last INSERT, UPDATE or DELETE. */
long om_store_changes(struct om_store *s);

/* The backend's message for the last failure; never NULL. For logs. */
const char *om_store_errmsg(struct om_store *s);

/* Compile one statement. Pair with om_stmt_finalize(). */
OM_NODISCARD int om_stmt_prepare(struct om_store *s, const char *sql, struct om_stmt **out);

/* Compile the backend's text of q. */
OM_NODISCARD int om_stmt_prepare_sql(struct om_store *s, const struct om_store_sql *q, struct om_stmt **out);

/*
 * Prepare n statements once per connection, out[i] from q[i] (hss/hss_store.c
 * is the model: an enum names the rows). On failure every one prepared is
 * finalized, out[] is all NULL and err says which statement failed.
 */
OM_NODISCARD int om_stmt_prepare_table(struct om_store *s, const struct om_store_sql *q, size_t n,
				       struct om_stmt **out, char *err, size_t err_len);
/* Finalize a table of n statements (NULLs are skipped) and set each to NULL. */
void om_stmt_finalize_table(struct om_stmt **st, size_t n);

/* A daemon's store: its schema steps for both backends and its statement table. */
struct om_store_schema {
	const struct om_store_migration *steps, *steps_pg; /* n_steps each */
	size_t n_steps;
	const struct om_store_sql *sql; /* n_sql rows, prepared into a caller's table */
	size_t n_sql;
};

/*
 * What every daemon does at open, written once: om_store_open(conf),
 * om_store_migrate_for() with sc's steps, om_stmt_prepare_table() into
 * st[sc->n_sql]. On failure *out may be open (close it with
 * om_store_close_schema) and err says which step failed.
 */
OM_NODISCARD int om_store_open_schema(const char *conf, const struct om_store_schema *sc, struct om_store **out,
				      struct om_stmt **st, char *err, size_t err_len);
/* Finalize st[n] and close *s; *s becomes NULL. */
void om_store_close_schema(struct om_store **s, struct om_stmt **st, size_t n);

/* Binds: idx counts from 1 as the placeholders ?1, ?2 .... Values are copied. */
OM_NODISCARD int om_stmt_bind_int64(struct om_stmt *st, int idx, int64_t v);
OM_NODISCARD int om_stmt_bind_text(struct om_stmt *st, int idx, const char *v);
OM_NODISCARD int om_stmt_bind_blob(struct om_stmt *st, int idx, const void *v, size_t len);
OM_NODISCARD int om_stmt_bind_null(struct om_stmt *st, int idx);

/* OM_STORE_ROW, OM_STORE_DONE or a negative code. */
OM_NODISCARD int om_stmt_step(struct om_stmt *st);

/* Ready the statement to run again; binds are cleared too. */
int om_stmt_reset(struct om_stmt *st);

/* NULL is a no-op. */
void om_stmt_finalize(struct om_stmt *st);

/*
 * Columns of the current row, counted from 0. Pointers stay valid until the
 * next step, reset or finalize. A NULL text is "", a NULL blob has length 0.
 */
int64_t om_stmt_col_int64(struct om_stmt *st, int col);
const char *om_stmt_col_text(struct om_stmt *st, int col);
const void *om_stmt_col_blob(struct om_stmt *st, int col, size_t *len);
int om_stmt_col_is_null(struct om_stmt *st, int col);

/*
 * The bind/step helper: values of every type in one list, bound from ?1 on,
 * so a call reads as the statement does:
 *     rc = om_stmt_exec(st, OM_BIND(OM_TEXT(imsi), OM_INT(sqn)));
 * om_stmt_exec() binds, runs to completion and resets: 0, or a code
 * (OM_ESTORE if the statement returned a row). om_stmt_query() binds and
 * steps once: OM_STORE_ROW (read the columns, then step again or
 * om_stmt_reset()), OM_STORE_DONE or a code; it resets on DONE and on error.
 */
enum om_val_type { OM_VAL_NULL, OM_VAL_INT, OM_VAL_TEXT, OM_VAL_BLOB };
struct om_val {
	enum om_val_type type;
	int64_t i;
	const void *p; /* text (NUL-terminated; NULL binds NULL) or blob */
	size_t len;    /* blob length */
};
#define OM_INT(v) ((struct om_val){ .type = OM_VAL_INT, .i = (int64_t)(v) })
#define OM_TEXT(v) ((struct om_val){ .type = OM_VAL_TEXT, .p = (v) })
#define OM_BLOB(v, n) ((struct om_val){ .type = OM_VAL_BLOB, .p = (v), .len = (n) })
#define OM_NULL ((struct om_val){ .type = OM_VAL_NULL })
#define OM_BIND(...)                                                                                      \
	(const struct om_val[]){ __VA_ARGS__ }, sizeof((const struct om_val[]){ __VA_ARGS__ }) / sizeof(struct om_val)
#define OM_NOBIND NULL, 0
OM_NODISCARD int om_stmt_bind_all(struct om_stmt *st, const struct om_val *v, size_t n);
OM_NODISCARD int om_stmt_exec(struct om_stmt *st, const struct om_val *v, size_t n);
OM_NODISCARD int om_stmt_query(struct om_stmt *st, const struct om_val *v, size_t n);
