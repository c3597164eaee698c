/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backend-neutral half of the storage interface (store.h): choosing the
 * backend, dispatch, migrations, the retry policy and the bind/step helper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "log.h"
#include "store.h"

int om_store_conf_is_pg(const char *conf)
{
	return conf && (!strncmp(conf, "postgresql://", 13) || !strncmp(conf, "postgres://", 11));
}

int om_store_open(const char *conf, struct om_store **out, char *err, size_t err_len)
{
	if (om_store_conf_is_pg(conf))
		return om_store_open_pg(conf, NULL, out, err, err_len);
	return om_store_open_sqlite(conf, NULL, out, err, err_len);
}

static void put(char *out, size_t *j, size_t out_len, const char *t)
{
	while (*t && *j + 1 < out_len)
		out[(*j)++] = *t++;
}

void om_store_conf_redact(const char *conf, char *out, size_t out_len)
{
	const char *c = conf ? conf : "";
	size_t j = 0;
	if (!out_len)
		return;
	if (!om_store_conf_is_pg(c)) {
		snprintf(out, out_len, "%s", c);
		return;
	}
	/* scheme://user:PASSWORD@host/db?password=PASSWORD&... */
	const char *auth = strstr(c, "://") + 3;
	const char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
	if (at && slash && slash < at)
		at = NULL;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	for (const char *p = c; *p && j + 1 < out_len;) {
		if (p == colon) {
			put(out, &j, out_len, ":***");
			p = at;
		} else if (!strncmp(p, "password=", 9)) {
			put(out, &j, out_len, "password=***");
			for (p += 9; *p && *p != '&';)
				p++;
		} else {
			out[j++] = *p++;
		}
	}
	out[j] = '\0';
}

enum om_store_backend om_store_backend_of(const struct om_store *s)
{
	return s->backend;
}

int om_store_retry(int rc, unsigned attempt)
{
	if (rc != OM_ESTORE_BUSY || attempt >= OM_STORE_TRIES)
		return 0;
	/* 1, 2, 4 ... ms plus jitter, so two processes that collided do not collide again in step */
	unsigned char j = 0;
	if (RAND_bytes(&j, 1) != 1)
		j = 0;
	long us = (1000L << (attempt - 1)) + (long)j * 8;
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
	return 1;
}

void om_store_close(struct om_store *s)
{
	if (s)
		s->ops->close(s);
}

int om_store_strict(void)
{
	const char *e = getenv("OM_STORE_STRICT");
	if (e && *e)
		return strcmp(e, "0") != 0;
#ifdef NDEBUG
	return 0;
#else
	return 1;
#endif
}

static void busy_found(void *ctx, const char *sql)
{
	/* the SQL text only (binds are never logged: they may be secrets), cut to one short line */
	om_error("store-busy", "where=%s sql=\"%.80s\"", (const char *)ctx, sql ? sql : "");
}

unsigned om_store_idle(struct om_store *s, const char *where)
{
	if (!s)
		return 0;
	const char *w = where ? where : "-";
	unsigned n = s->ops->reset_busy ? s->ops->reset_busy(s, busy_found, (void *)w) : 0;
	if (s->in_txn && strcmp(w, "begin")) {
		om_error("store-busy", "where=%s transaction=open", w);
		om_store_rollback(s);
		n++;
	}
	if (n && om_store_strict()) {
		om_error("store-busy", "where=%s busy=%u strict=1 action=abort", w, n);
		abort();
	}
	return n;
}

int om_store_begin(struct om_store *s, enum om_store_durability d)
{
	if (!s || s->in_txn)
		return OM_EINVAL;
	/* a statement left busy would pin this transaction's reads to an old snapshot */
	(void)om_store_idle(s, "begin");
	int rc = s->ops->begin(s, d);
	if (rc == 0)
		s->in_txn = 1;
	return rc;
}

int om_store_commit(struct om_store *s)
{
	if (!s || !s->in_txn)
		return OM_EINVAL;
	s->in_txn = 0;
	return s->ops->commit(s);
}

int om_store_rollback(struct om_store *s)
{
	if (!s || !s->in_txn)
		return 0;
	s->in_txn = 0;
	return s->ops->rollback(s);
}

int om_store_exec(struct om_store *s, const char *sql)
{
	return s && sql ? s->ops->exec(s, sql) : OM_EINVAL;
}

long om_store_changes(struct om_store *s)
{
	return s->ops->changes(s);
}

const char *om_store_errmsg(struct om_store *s)
{
	return s ? s->ops->errmsg(s) : "no store";
}

int om_store_schema_version(struct om_store *s, int *out)
{
	return s && out ? s->ops->user_version(s, out) : OM_EINVAL;
}

int om_store_setting(struct om_store *s, const char *name, char *out, size_t out_len)
{
	return s && name && out ? s->ops->setting(s, name, out, out_len) : OM_EINVAL;
}

/* One step, under the schema lock: re-read the version inside the transaction, so a step runs once. */
static int migrate_step(struct om_store *s, const struct om_store_migration *m, const struct om_store_migration *pg,
			size_t n, int *done)
{
	int v = 0;
	int rc = om_store_begin(s, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	if (s->ops->lock_schema)
		rc = s->ops->lock_schema(s);
	if (rc == 0)
		rc = s->ops->user_version(s, &v);
	if (rc == 0 && (v < 0 || (size_t)v > n))
		rc = OM_ESTORE_SCHEMA;
	if (rc == 0 && (size_t)v == n) {
		*done = 1;
		om_store_rollback(s);
		return 0;
	}
	if (rc == 0) {
		const char *sql = s->backend == OM_STORE_PG && pg && pg[v].sql ? pg[v].sql : m[v].sql;
		rc = s->ops->exec(s, sql);
	}
	if (rc == 0)
		rc = s->ops->set_user_version(s, v + 1);
	if (rc == 0)
		rc = om_store_commit(s);
	if (rc < 0)
		om_store_rollback(s);
	return rc;
}

int om_store_migrate(struct om_store *s, const struct om_store_migration *m, size_t n)
{
	return om_store_migrate_for(s, m, NULL, n);
}

int om_store_migrate_for(struct om_store *s, const struct om_store_migration *m, const struct om_store_migration *pg,
			 size_t n)
{
	int v = 0;
	int rc = om_store_schema_version(s, &v);
	if (rc < 0)
		return rc;
	if (v < 0 || (size_t)v > n)
		return OM_ESTORE_SCHEMA;
	for (int done = (size_t)v == n; !done;) {
		rc = migrate_step(s, m, pg, n, &done);
		if (rc < 0)
			return OM_ESTORE_SCHEMA;
	}
	return 0;
}

int om_stmt_prepare(struct om_store *s, const char *sql, struct om_stmt **out)
{
	if (!s || !sql || !out)
		return OM_EINVAL;
	return s->ops->prepare(s, sql, out);
}

int om_stmt_prepare_sql(struct om_store *s, const struct om_store_sql *q, struct om_stmt **out)
{
	if (!s || !q || !q->sql)
		return OM_EINVAL;
	return om_stmt_prepare(s, s->backend == OM_STORE_PG && q->pg ? q->pg : q->sql, out);
}

void om_stmt_finalize_table(struct om_stmt **st, size_t n)
{
	for (size_t i = 0; st && i < n; i++) {
		om_stmt_finalize(st[i]);
		st[i] = NULL;
	}
}

int om_stmt_prepare_table(struct om_store *s, const struct om_store_sql *q, size_t n, struct om_stmt **out,
			  char *err, size_t err_len)
{
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	for (size_t i = 0; i < n; i++) {
		int rc = om_stmt_prepare_sql(s, &q[i], &out[i]);
		if (rc < 0) {
			snprintf(err, err_len, "prepare statement %zu: %s", i, om_store_errmsg(s));
			om_stmt_finalize_table(out, n);
			return rc;
		}
	}
	return 0;
}

int om_store_open_schema(const char *conf, const struct om_store_schema *sc, struct om_store **out,
			 struct om_stmt **st, char *err, size_t err_len)
{
	int rc = om_store_open(conf, out, err, err_len);
	if (rc < 0)
		return rc;
	if ((rc = om_store_migrate_for(*out, sc->steps, sc->steps_pg, sc->n_steps)) < 0) {
		snprintf(err, err_len, "schema: %s", om_store_errmsg(*out));
		return rc;
	}
	return om_stmt_prepare_table(*out, sc->sql, sc->n_sql, st, err, err_len);
}

void om_store_close_schema(struct om_store **s, struct om_stmt **st, size_t n)
{
	om_stmt_finalize_table(st, n);
	om_store_close(*s);
	*s = NULL;
}

int om_stmt_bind_all(struct om_stmt *st, const struct om_val *v, size_t n)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int idx = (int)i + 1;
		switch (v[i].type) {
		case OM_VAL_INT:
			rc = om_stmt_bind_int64(st, idx, v[i].i);
			break;
		case OM_VAL_TEXT:
			rc = om_stmt_bind_text(st, idx, v[i].p);
			break;
		case OM_VAL_BLOB:
			rc = om_stmt_bind_blob(st, idx, v[i].p, v[i].len);
			break;
		default:
			rc = om_stmt_bind_null(st, idx);
		}
	}
	return rc;
}

int om_stmt_query(struct om_stmt *st, const struct om_val *v, size_t n)
{
	int rc = om_stmt_bind_all(st, v, n);
	if (rc == 0)
		rc = om_stmt_step(st);
	if (rc != OM_STORE_ROW)
		om_stmt_reset(st);
	return rc;
}

int om_stmt_exec(struct om_stmt *st, const struct om_val *v, size_t n)
{
	int rc = om_stmt_query(st, v, n);
	if (rc == OM_STORE_ROW) {
		om_stmt_reset(st);
		return OM_ESTORE;
	}
	return rc;
}

int om_stmt_bind_int64(struct om_stmt *st, int idx, int64_t v)
{
	return st->ops->bind_int64(st, idx, v);
}

int om_stmt_bind_text(struct om_stmt *st, int idx, const char *v)
{
	return v ? st->ops->bind_text(st, idx, v) : st->ops->bind_null(st, idx);
}

int om_stmt_bind_blob(struct om_stmt *st, int idx, const void *v, size_t len)
{
	return st->ops->bind_blob(st, idx, v, len);
}

int om_stmt_bind_null(struct om_stmt *st, int idx)
{
	return st->ops->bind_null(st, idx);
}

int om_stmt_step(struct om_stmt *st)
{
	return st->ops->step(st);
}

int om_stmt_reset(struct om_stmt *st)
{
	return st->ops->reset(st);
}

void om_stmt_finalize(struct om_stmt *st)
{
	if (st)
		st->ops->finalize(st);
}

int64_t om_stmt_col_int64(struct om_stmt *st, int col)
{
	return st->ops->col_int64(st, col);
}

const char *om_stmt_col_text(struct om_stmt *st, int col)
{
	return st->ops->col_text(st, col);
}

const void *om_stmt_col_blob(struct om_stmt *st, int col, size_t *len)
{
	return st->ops->col_blob(st, col, len);
}

int om_stmt_col_is_null(struct om_stmt *st, int col)
{
	return st->ops->col_is_null(st, col);
}
