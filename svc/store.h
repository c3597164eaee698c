/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage interface the daemons share: a connection, transactions, and
 * prepared statements with typed binds and columns, behind a table of
 * function pointers so that a PostgreSQL backend can follow SQLite without
 * touching the callers.
 *
 * SQL dialect: the subset SQLite and PostgreSQL share (INTEGER, TEXT, BLOB,
 * CHECK, REFERENCES ... ON DELETE CASCADE, shifts on integers), with
 * numbered placeholders ?1, ?2 ... that a PostgreSQL backend rewrites to
 * $1, $2 .... No SQL is ever built with printf: every value is a bind.
 *
 * Durability: a transaction is OM_STORE_DURABLE (on disk when commit
 * returns: SQLite synchronous=FULL) or OM_STORE_LAZY (atomic and survives a
 * process crash, but a power loss may lose it: SQLite WAL with
 * synchronous=NORMAL). A write whose loss could hand out a secret twice
 * (the SQN high-water mark) is always durable.
 *
 * Threads: one struct om_store and its statements belong to one thread at a
 * time; callers serialise (the HSS holds a mutex around its store).
 *
 * Every fallible call returns 0 (or a count) or a negative om_err code:
 * OM_ESTORE, OM_ESTORE_BUSY, OM_ESTORE_CONSTRAINT, OM_ESTORE_SCHEMA,
 * OM_ESTORE_PRAGMA, OM_EINVAL, OM_ENOMEM. The backend's own message for the
 * last failure is available from om_store_errmsg() for logs.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

struct om_store;
struct om_stmt;

enum om_store_durability {
	OM_STORE_LAZY = 0,    /* atomic; may be lost on power loss, never on a process crash */
	OM_STORE_DURABLE = 1, /* on stable storage when commit returns */
};

/* om_stmt_step(): a row is ready, or the statement has finished. */
#define OM_STORE_ROW 1
#define OM_STORE_DONE 0

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
};

/* The head every backend's connection and statement start with. */
struct om_store {
	const struct om_store_ops *ops;
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
 * synchronous=NORMAL between transactions and FULL for durable ones,
 * foreign keys on, the busy timeout set; each setting is read back and a
 * mismatch is OM_ESTORE_PRAGMA. opts may be NULL. On failure returns the
 * code with *out NULL and a one-line reason in err.
 */
OM_NODISCARD int om_store_open_sqlite(const char *path, const struct om_store_sqlite_opts *opts,
				      struct om_store **out, char *err, size_t err_len);

/* Close the connection (finalize every statement first). NULL is a no-op. */
void om_store_close(struct om_store *s);

/*
 * Bring the schema to version n (the number of steps in m[]): each missing
 * step runs, with the new PRAGMA user_version, in one durable transaction.
 * Returns 0; OM_ESTORE_SCHEMA if the database is newer than n (written by a
 * later program) or a step fails (the database then stays at the last
 * complete version).
 */
OM_NODISCARD int om_store_migrate(struct om_store *s, const struct om_store_migration *m, size_t n);

/* The schema version (PRAGMA user_version for SQLite). */
OM_NODISCARD int om_store_schema_version(struct om_store *s, int *out);

/*
 * A backend setting as text, for tests and diagnostics: for SQLite the
 * value of PRAGMA name (journal_mode, synchronous, foreign_keys,
 * busy_timeout, user_version). OM_EINVAL for a name not in that list.
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

/* Run SQL without binds or rows (schema, migrations). */
OM_NODISCARD int om_store_exec(struct om_store *s, const char *sql);

/* Rows changed by the last INSERT, UPDATE or DELETE. */
long om_store_changes(struct om_store *s);

/* The backend's message for the last failure; never NULL. For logs. */
const char *om_store_errmsg(struct om_store *s);

/* Compile one statement. Pair with om_stmt_finalize(). */
OM_NODISCARD int om_stmt_prepare(struct om_store *s, const char *sql, struct om_stmt **out);

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
