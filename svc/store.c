/* SPDX-License-Identifier: Apache-2.0 */
/* The backend-neutral half of the storage interface (store.h): dispatch and migrations. */
#include <stdio.h>

#include "store.h"

void om_store_close(struct om_store *s)
{
	if (s)
		s->ops->close(s);
}

int om_store_begin(struct om_store *s, enum om_store_durability d)
{
	if (!s || s->in_txn)
		return OM_EINVAL;
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

int om_store_migrate(struct om_store *s, const struct om_store_migration *m, size_t n)
{
	int v = 0;
	int rc = om_store_schema_version(s, &v);
	if (rc < 0)
		return rc;
	if (v < 0 || (size_t)v > n)
		return OM_ESTORE_SCHEMA;
	for (size_t i = (size_t)v; i < n; i++) {
		rc = om_store_begin(s, OM_STORE_DURABLE);
		if (rc < 0)
			return rc;
		rc = s->ops->exec(s, m[i].sql);
		if (rc == 0)
			rc = s->ops->set_user_version(s, (int)i + 1);
		if (rc == 0)
			rc = om_store_commit(s);
		if (rc < 0) {
			om_store_rollback(s);
			return OM_ESTORE_SCHEMA;
		}
	}
	return 0;
}

int om_stmt_prepare(struct om_store *s, const char *sql, struct om_stmt **out)
{
	if (!s || !sql || !out)
		return OM_EINVAL;
	return s->ops->prepare(s, sql, out);
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
