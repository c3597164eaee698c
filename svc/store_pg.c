/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL backend of the storage interface (store.h), on libpq.
 *
 * Statements are prepared on the server once per connection (PQprepare),
 * with ?N rewritten to $N at prepare time; each step of a fresh execution
 * runs PQexecPrepared and later steps walk the rows of its result. Values
 * go as text, except blobs, which go in binary (bytea) so that no escaping
 * is ever done by hand; results come back as text and a bytea column is
 * decoded from its hex form (om_hex_decode, constant time: the column may
 * be a key). The result's copy of a bytea value is cleansed before it is
 * freed, as is every bound blob.
 *
 * Settings, each read back after it is set (as store_sqlite.c does):
 *   lock_timeout                        a row lock waited for longer is OM_ESTORE_BUSY
 *   statement_timeout                   no statement runs unbounded
 *   idle_in_transaction_session_timeout a stuck process does not hold row locks for ever
 *   TimeZone = UTC
 * Durability: OM_STORE_LAZY is SET LOCAL synchronous_commit = off (the
 * commit is atomic and visible at once; a server crash may lose the last
 * ones, never a later one without an earlier: the WAL is sequential), and
 * OM_STORE_DURABLE keeps the default on, which also flushes every lazy
 * commit written before it.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>

#include "store.h"

#define PG_BYTEA_OID 17
#define PG_BOOL_OID 16
#define PG_MAX_PARAMS 64
#define PG_LOCK_TIMEOUT_MS 5000
#define PG_STATEMENT_TIMEOUT_MS 30000
#define PG_IDLE_TXN_TIMEOUT_MS 10000
#define PG_SCHEMA_LOCK 0x6f6d5343 /* "omSC": the advisory lock migrations take */

struct pg_store {
	struct om_store base;
	PGconn *conn;
	unsigned next_name;
	long changes;
	char errmsg[256];
	struct pg_stmt *stmts; /* every statement prepared on this connection, for om_store_idle */
};

struct pg_stmt {
	struct om_stmt base;
	char name[16];
	int nparams;
	char *val[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	size_t cap[PG_MAX_PARAMS]; /* bytes allocated at val[i], cleansed on reset */
	PGresult *res;
	int row;     /* current row of res */
	int nfields; /* of res */
	uint8_t **blob;   /* decoded bytea of the current row, per column */
	size_t *blob_len;
	struct pg_stmt *next; /* in its store's list */
	char sql[81];         /* the start of its text, for the busy-statement log line */
};

static struct pg_store *pg_of(struct om_store *s)
{
	return (struct pg_store *)s;
}

static struct pg_stmt *ps_of(struct om_stmt *st)
{
	return (struct pg_stmt *)st;
}

static void set_err(struct pg_store *p, const char *msg)
{
	snprintf(p->errmsg, sizeof(p->errmsg), "%s", msg ? msg : "");
	size_t n = strlen(p->errmsg);
	while (n > 0 && (p->errmsg[n - 1] == '\n' || p->errmsg[n - 1] == ' '))
		p->errmsg[--n] = '\0';
}

/* Map a failed result (or a lost connection) to an om_err code; the message is kept for errmsg. */
static int map_res(struct pg_store *p, PGresult *r)
{
	if (PQstatus(p->conn) != CONNECTION_OK) {
		set_err(p, PQerrorMessage(p->conn));
		return OM_ESTORE_CONN;
	}
	set_err(p, r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn));
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	/* an error libpq made itself, with no server code: the socket is gone ("server closed the connection") */
	if (!state)
		return OM_ESTORE_CONN;
	if (!strncmp(state, "23", 2))
		return OM_ESTORE_CONSTRAINT;
	/* serialization failure, deadlock, lock timeout: roll back and try again (om_store_retry) */
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
		return OM_ESTORE_BUSY;
	/* connection exception; the server shutting down or crashed under us (57P01..57P03) */
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P0", 4))
		return OM_ESTORE_CONN;
	return OM_ESTORE;
}

/* Run SQL without binds; 0 or a code. */
static int simple(struct pg_store *p, const char *sql)
{
	PGresult *r = PQexec(p->conn, sql);
	ExecStatusType t = PQresultStatus(r);
	int rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? 0 : map_res(p, r);
	PQclear(r);
	return rc;
}

/* Run a one-row query without binds and copy its first column. */
static int simple_text(struct pg_store *p, const char *sql, char *out, size_t out_len)
{
	PGresult *r = PQexec(p->conn, sql);
	int rc;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = map_res(p, r);
	else if (PQntuples(r) < 1 || PQnfields(r) < 1)
		rc = OM_ESTORE;
	else if (strlen(PQgetvalue(r, 0, 0)) >= out_len)
		rc = OM_ENOSPC;
	else {
		memcpy(out, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)) + 1);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_exec(struct om_store *s, const char *sql)
{
	return simple(pg_of(s), sql);
}

static int pg_begin(struct om_store *s, enum om_store_durability d)
{
	/* one round trip; PostgreSQL takes row locks as statements run (SELECT ... FOR UPDATE) */
	return simple(pg_of(s), d == OM_STORE_DURABLE ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit = off");
}

static int pg_commit(struct om_store *s)
{
	struct pg_store *p = pg_of(s);
	PGresult *r = PQexec(p->conn, "COMMIT");
	int rc = 0;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = map_res(p, r);
	else if (strcmp(PQcmdStatus(r), "COMMIT")) {
		/* a transaction that had failed answers COMMIT with ROLLBACK */
		set_err(p, "commit of a failed transaction rolled back");
		rc = OM_ESTORE;
	}
	PQclear(r);
	if (rc < 0 && PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		simple(p, "ROLLBACK");
	return rc;
}

static int pg_rollback(struct om_store *s)
{
	struct pg_store *p = pg_of(s);
	if (PQtransactionStatus(p->conn) == PQTRANS_IDLE)
		return 0;
	return simple(p, "ROLLBACK");
}

static int pg_lock_schema(struct om_store *s)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "SELECT pg_advisory_xact_lock(%d); CREATE TABLE IF NOT EXISTS om_schema (version INTEGER NOT NULL)",
		 PG_SCHEMA_LOCK);
	return simple(pg_of(s), sql);
}

static int pg_user_version(struct om_store *s, int *out)
{
	char buf[32];
	int rc = simple_text(pg_of(s), "SELECT to_regclass('om_schema') IS NOT NULL", buf, sizeof(buf));
	if (rc == 0 && !strcmp(buf, "t"))
		rc = simple_text(pg_of(s), "SELECT COALESCE(MAX(version), 0) FROM om_schema", buf, sizeof(buf));
	else if (rc == 0)
		snprintf(buf, sizeof(buf), "0");
	if (rc == 0)
		*out = atoi(buf);
	return rc;
}

static int pg_set_user_version(struct om_store *s, int v)
{
	/* v is an int we format ourselves, never input text */
	char sql[96];
	snprintf(sql, sizeof(sql), "DELETE FROM om_schema; INSERT INTO om_schema (version) VALUES (%d)", v);
	return simple(pg_of(s), sql);
}

/* The settings a caller may read, each with its fixed query: no SQL from input. */
static const struct {
	const char *name;
	const char *sql;
} settings[] = {
	{ "synchronous_commit", "SHOW synchronous_commit" },
	{ "lock_timeout", "SELECT setting FROM pg_settings WHERE name = 'lock_timeout'" },
	{ "statement_timeout", "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'" },
	{ "TimeZone", "SHOW TimeZone" },
	{ "server_version", "SHOW server_version" },
	{ "transaction_isolation", "SHOW transaction_isolation" },
};

static int pg_setting(struct om_store *s, const char *name, char *out, size_t out_len)
{
	if (!strcmp(name, "user_version")) {
		int v = 0;
		int rc = pg_user_version(s, &v);
		if (rc == 0 && snprintf(out, out_len, "%d", v) >= (int)out_len)
			rc = OM_ENOSPC;
		return rc;
	}
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(settings[i].name, name))
			return simple_text(pg_of(s), settings[i].sql, out, out_len);
	return OM_EINVAL;
}

static const char *pg_errmsg(struct om_store *s)
{
	return pg_of(s)->errmsg[0] ? pg_of(s)->errmsg : "no error";
}

static long pg_changes(struct om_store *s)
{
	return pg_of(s)->changes;
}

/*
 * ?N to $N, outside string literals and quoted names. Every placeholder
 * must be numbered (a bare ? would mean different things in the two
 * dialects). *nparams is the highest N.
 */
static int translate(const char *in, char **out, int *nparams)
{
	size_t n = strlen(in);
	char *o = malloc(n + 1);
	if (!o)
		return OM_ENOMEM;
	size_t j = 0;
	char quote = 0;
	int max = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '?') {
			if (in[i + 1] < '0' || in[i + 1] > '9') {
				free(o);
				return OM_EINVAL;
			}
			int v = 0;
			o[j++] = '$';
			while (in[i + 1] >= '0' && in[i + 1] <= '9' && v < 1000) {
				v = v * 10 + (in[i + 1] - '0');
				o[j++] = in[++i];
			}
			if (v > max)
				max = v;
			continue;
		}
		o[j++] = c;
	}
	o[j] = '\0';
	if (max > PG_MAX_PARAMS) {
		free(o);
		return OM_EINVAL;
	}
	*out = o;
	*nparams = max;
	return 0;
}

static const struct om_store_ops pg_ops;

static int pg_prepare(struct om_store *s, const char *sql, struct om_stmt **out)
{
	struct pg_store *p = pg_of(s);
	char *text = NULL;
	int n = 0;
	int rc = translate(sql, &text, &n);
	if (rc < 0) {
		set_err(p, "placeholders must be ?1 .. ?64");
		return rc;
	}
	struct pg_stmt *st = calloc(1, sizeof(*st));
	if (!st) {
		free(text);
		return OM_ENOMEM;
	}
	snprintf(st->name, sizeof(st->name), "om%u", p->next_name++);
	PGresult *r = PQprepare(p->conn, st->name, text, n, NULL);
	free(text);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : map_res(p, r);
	PQclear(r);
	if (rc < 0) {
		free(st);
		return rc;
	}
	st->base.ops = &pg_ops;
	st->base.store = s;
	st->nparams = n;
	snprintf(st->sql, sizeof(st->sql), "%s", sql);
	st->next = p->stmts;
	p->stmts = st;
	*out = &st->base;
	return 0;
}

/* Copy len bytes as parameter idx, in format fmt (0 text, 1 binary). */
static int set_param(struct om_stmt *stmt, int idx, const void *v, size_t len, int fmt)
{
	struct pg_stmt *st = ps_of(stmt);
	if (idx < 1 || idx > st->nparams || len > 0x3fffffff)
		return OM_EINVAL;
	int i = idx - 1;
	if (st->cap[i] < len + 1) {
		char *nb = malloc(len + 1);
		if (!nb)
			return OM_ENOMEM;
		if (st->val[i])
			OPENSSL_cleanse(st->val[i], st->cap[i]);
		free(st->val[i]);
		st->val[i] = nb;
		st->cap[i] = len + 1;
	}
	memcpy(st->val[i], v, len);
	st->val[i][len] = '\0';
	st->len[i] = (int)len;
	st->fmt[i] = fmt;
	return 0;
}

static int pg_bind_int64(struct om_stmt *st, int idx, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return set_param(st, idx, buf, (size_t)n, 0);
}

static int pg_bind_text(struct om_stmt *st, int idx, const char *v)
{
	return set_param(st, idx, v, strlen(v), 0);
}

static int pg_bind_blob(struct om_stmt *st, int idx, const void *v, size_t len)
{
	return set_param(st, idx, len ? v : "", len, 1);
}

static int pg_bind_null(struct om_stmt *stmt, int idx)
{
	struct pg_stmt *st = ps_of(stmt);
	if (idx < 1 || idx > st->nparams)
		return OM_EINVAL;
	st->len[idx - 1] = -1; /* a NULL: no value is sent */
	return 0;
}

/* Free the decoded blobs of the current row. */
static void drop_row(struct pg_stmt *st)
{
	for (int c = 0; st->blob && c < st->nfields; c++) {
		if (st->blob[c]) {
			OPENSSL_cleanse(st->blob[c], st->blob_len[c]);
			free(st->blob[c]);
			st->blob[c] = NULL;
		}
	}
}

/* Cleanse every bytea value of the result (a column may hold a key), then free it. */
static void drop_result(struct pg_stmt *st)
{
	if (!st->res)
		return;
	drop_row(st);
	for (int c = 0; c < st->nfields; c++) {
		if (PQftype(st->res, c) != PG_BYTEA_OID)
			continue;
		for (int row = 0; row < PQntuples(st->res); row++)
			OPENSSL_cleanse(PQgetvalue(st->res, row, c), (size_t)PQgetlength(st->res, row, c));
	}
	free(st->blob);
	free(st->blob_len);
	st->blob = NULL;
	st->blob_len = NULL;
	PQclear(st->res);
	st->res = NULL;
}

static int pg_step(struct om_stmt *stmt)
{
	struct pg_stmt *st = ps_of(stmt);
	struct pg_store *p = pg_of(stmt->store);
	if (st->res) {
		drop_row(st);
		return ++st->row < PQntuples(st->res) ? OM_STORE_ROW : OM_STORE_DONE;
	}
	const char *vals[PG_MAX_PARAMS];
	for (int i = 0; i < st->nparams; i++)
		vals[i] = st->len[i] < 0 || !st->val[i] ? NULL : st->val[i];
	PGresult *r = PQexecPrepared(p->conn, st->name, st->nparams, vals, st->len, st->fmt, 0);
	ExecStatusType t = PQresultStatus(r);
	if (t == PGRES_COMMAND_OK) {
		p->changes = atol(PQcmdTuples(r));
		PQclear(r);
		return OM_STORE_DONE;
	}
	if (t != PGRES_TUPLES_OK) {
		int rc = map_res(p, r);
		PQclear(r);
		return rc;
	}
	p->changes = 0;
	st->res = r;
	st->row = 0;
	st->nfields = PQnfields(r);
	st->blob = calloc((size_t)st->nfields + 1, sizeof(*st->blob));
	st->blob_len = calloc((size_t)st->nfields + 1, sizeof(*st->blob_len));
	if (!st->blob || !st->blob_len) {
		drop_result(st);
		return OM_ENOMEM;
	}
	return PQntuples(r) > 0 ? OM_STORE_ROW : OM_STORE_DONE;
}

static int pg_reset(struct om_stmt *stmt)
{
	struct pg_stmt *st = ps_of(stmt);
	drop_result(st);
	for (int i = 0; i < st->nparams; i++) {
		if (st->val[i])
			OPENSSL_cleanse(st->val[i], st->cap[i]);
		st->len[i] = -1;
		st->fmt[i] = 0;
	}
	return 0;
}

static void pg_finalize(struct om_stmt *stmt)
{
	struct pg_stmt *st = ps_of(stmt);
	struct pg_store *p = pg_of(stmt->store);
	pg_reset(stmt);
	for (int i = 0; i < st->nparams; i++)
		free(st->val[i]);
	if (PQstatus(p->conn) == CONNECTION_OK) {
		char sql[40];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		/* inside a failed transaction DEALLOCATE fails too; the name then dies with the connection */
		PQclear(PQexec(p->conn, sql));
	}
	for (struct pg_stmt **l = &p->stmts; *l; l = &(*l)->next)
		if (*l == st) {
			*l = st->next;
			break;
		}
	free(st);
}

/* A statement that kept its result was stepped and never reset: its next run would continue it. */
static unsigned pg_reset_busy(struct om_store *s, void (*found)(void *ctx, const char *sql), void *ctx)
{
	unsigned n = 0;
	for (struct pg_stmt *st = pg_of(s)->stmts; st; st = st->next) {
		if (!st->res)
			continue;
		found(ctx, st->sql);
		pg_reset(&st->base);
		n++;
	}
	return n;
}

static int have_cell(struct pg_stmt *st, int col)
{
	return st->res && col >= 0 && col < st->nfields && st->row < PQntuples(st->res);
}

static int64_t pg_col_int64(struct om_stmt *stmt, int col)
{
	struct pg_stmt *st = ps_of(stmt);
	if (!have_cell(st, col) || PQgetisnull(st->res, st->row, col))
		return 0;
	const char *v = PQgetvalue(st->res, st->row, col);
	if (PQftype(st->res, col) == PG_BOOL_OID)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static const char *pg_col_text(struct om_stmt *stmt, int col)
{
	struct pg_stmt *st = ps_of(stmt);
	return have_cell(st, col) ? PQgetvalue(st->res, st->row, col) : "";
}

static const void *pg_col_blob(struct om_stmt *stmt, int col, size_t *len)
{
	struct pg_stmt *st = ps_of(stmt);
	*len = 0;
	if (!have_cell(st, col) || PQgetisnull(st->res, st->row, col))
		return NULL;
	const char *v = PQgetvalue(st->res, st->row, col);
	size_t n = (size_t)PQgetlength(st->res, st->row, col);
	if (PQftype(st->res, col) != PG_BYTEA_OID) {
		*len = n;
		return v;
	}
	if (!st->blob[col]) {
		/* bytea_output = hex (read back at open): "\x" then two digits per byte */
		if (n < 2 || v[0] != '\\' || v[1] != 'x' || (n - 2) % 2)
			return NULL;
		size_t bytes = (n - 2) / 2;
		uint8_t *b = malloc(bytes + 1);
		if (!b)
			return NULL;
		if (bytes && om_hex_decode(b, bytes, v + 2) < 0) {
			free(b);
			return NULL;
		}
		st->blob[col] = b;
		st->blob_len[col] = bytes;
	}
	*len = st->blob_len[col];
	return st->blob[col];
}

static int pg_col_is_null(struct om_stmt *stmt, int col)
{
	struct pg_stmt *st = ps_of(stmt);
	return !have_cell(st, col) || PQgetisnull(st->res, st->row, col);
}

static void pg_close(struct om_store *s)
{
	struct pg_store *p = pg_of(s);
	PQfinish(p->conn);
	free(p);
}

static const struct om_store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.user_version = pg_user_version,
	.lock_schema = pg_lock_schema,
	.set_user_version = pg_set_user_version,
	.setting = pg_setting,
	.errmsg = pg_errmsg,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.reset_busy = pg_reset_busy,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_is_null = pg_col_is_null,
	.changes = pg_changes,
};

/* NOTICEs (e.g. "relation already exists, skipping") are not events: drop them. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Set a session setting, read it back and compare. */
static int set_and_check(struct pg_store *p, const char *name, const char *set_sql, const char *want, char *err,
			 size_t err_len)
{
	char got[64] = "";
	int rc = simple(p, set_sql);
	if (rc == 0)
		rc = pg_setting(&p->base, name, got, sizeof(got));
	if (rc < 0) {
		snprintf(err, err_len, "postgresql: %s: %s", set_sql, p->errmsg);
		return rc;
	}
	if (strcmp(got, want)) {
		snprintf(err, err_len, "postgresql: %s did not take effect: reads '%s', want '%s'", set_sql, got, want);
		return OM_ESTORE_PRAGMA;
	}
	return 0;
}

int om_store_pg_credential(const char *conf, int *password, char *passfile, size_t passfile_len)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(conf, &msg);
	*password = 0;
	if (passfile_len)
		*passfile = '\0';
	PQfreemem(msg); /* it may quote the string, password and all: never shown */
	if (!o)
		return OM_EINVAL;
	for (PQconninfoOption *i = o; i->keyword; i++) {
		if (!i->val || !*i->val)
			continue;
		if (!strcmp(i->keyword, "password"))
			*password = 1;
		else if (!strcmp(i->keyword, "passfile") && passfile_len)
			snprintf(passfile, passfile_len, "%s", i->val);
	}
	PQconninfoFree(o);
	return 0;
}

int om_store_open_pg(const char *conninfo, const struct om_store_pg_opts *opts, struct om_store **out, char *err,
		     size_t err_len)
{
	if (!conninfo || !out || !err) {
		if (err && err_len)
			snprintf(err, err_len, "store: NULL argument");
		return OM_EINVAL;
	}
	*out = NULL;
	struct pg_store *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_len, "store: out of memory");
		return OM_ENOMEM;
	}
	char ct[16];
	snprintf(ct, sizeof(ct), "%u", opts && opts->connect_timeout_s ? opts->connect_timeout_s : 10);
	/* the URI comes last so that its own connect_timeout, if any, wins */
	const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *const vals[] = { ct, conninfo, NULL };
	p->conn = PQconnectdbParams(keys, vals, 1);
	int rc = 0;
	if (!p->conn) {
		snprintf(err, err_len, "postgresql: out of memory");
		rc = OM_ENOMEM;
		goto out;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password */
		set_err(p, PQerrorMessage(p->conn));
		snprintf(err, err_len, "postgresql: %s", p->errmsg);
		rc = OM_ESTORE_CONN;
		goto out;
	}
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	p->base.ops = &pg_ops;
	p->base.backend = OM_STORE_PG;
	unsigned lock_ms = opts && opts->lock_timeout_ms ? opts->lock_timeout_ms : PG_LOCK_TIMEOUT_MS;
	char sql[96], want[16];
	snprintf(sql, sizeof(sql), "SET lock_timeout = %u", lock_ms);
	snprintf(want, sizeof(want), "%u", lock_ms);
	rc = set_and_check(p, "lock_timeout", sql, want, err, err_len);
	snprintf(sql, sizeof(sql), "SET statement_timeout = %u", PG_STATEMENT_TIMEOUT_MS);
	snprintf(want, sizeof(want), "%u", PG_STATEMENT_TIMEOUT_MS);
	if (rc == 0)
		rc = set_and_check(p, "statement_timeout", sql, want, err, err_len);
	snprintf(sql, sizeof(sql), "SET idle_in_transaction_session_timeout = %u; SET bytea_output = 'hex'",
		 PG_IDLE_TXN_TIMEOUT_MS);
	if (rc == 0 && (rc = simple(p, sql)) < 0)
		snprintf(err, err_len, "postgresql: %s: %s", sql, p->errmsg);
	if (rc == 0)
		rc = set_and_check(p, "TimeZone", "SET TimeZone = 'UTC'", "UTC", err, err_len);
	if (rc < 0)
		goto out;
	*out = &p->base;
	p = NULL;
out:
	if (p) {
		PQfinish(p->conn);
		free(p);
	}
	return rc;
}
