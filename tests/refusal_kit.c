/* SPDX-License-Identifier: Apache-2.0 */
/* "Nothing changes" for refusal tests: the snapshots of refusal_kit.h. */
#include <dirent.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "check.h"
#include "refusal_kit.h"

struct rk_buf {
	char *p;
	size_t len, cap;
};

static void rk_put(struct rk_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 1 << 16;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			fprintf(stderr, "refusal_kit: out of memory\n");
			exit(1);
		}
		b->p = p;
		b->cap = cap;
	}
}

/* PostgreSQL: every table of the public schema by name, each row as its text (bytea in hex), rows sorted. */
static void rk_pg_dump(struct rk_buf *b, const char *uri)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *tables = NULL;
	if (PQstatus(c) != CONNECTION_OK ||
	    PQresultStatus(tables = PQexec(c, "SELECT table_name FROM information_schema.tables"
					      " WHERE table_schema = 'public' ORDER BY table_name")) != PGRES_TUPLES_OK) {
		rk_put(b, "(cannot read: %s)\n", PQerrorMessage(c));
		PQclear(tables);
		PQfinish(c);
		return;
	}
	for (int i = 0; i < PQntuples(tables); i++) {
		const char *t = PQgetvalue(tables, i, 0);
		char q[512];
		rk_put(b, "-- %s\n", t);
		/* a table name from the catalogue, quoted as an identifier: no value of a test goes here */
		snprintf(q, sizeof(q), "SELECT CAST(r AS TEXT) FROM \"%s\" AS r ORDER BY 1", t);
		PGresult *rows = PQexec(c, q);
		if (PQresultStatus(rows) != PGRES_TUPLES_OK)
			rk_put(b, "(unreadable)\n");
		for (int j = 0; PQresultStatus(rows) == PGRES_TUPLES_OK && j < PQntuples(rows); j++)
			rk_put(b, "%s\n", PQgetvalue(rows, j, 0));
		PQclear(rows);
	}
	PQclear(tables);
	PQfinish(c);
}

/* Every table of db_path, sorted by name, every row in rowid order (a missing file dumps as such). */
static void rk_db_dump(struct rk_buf *b, const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *tables = NULL;
	rk_put(b, "== %s\n", db_path);
	if (!strncmp(db_path, "postgresql://", 13) || !strncmp(db_path, "postgres://", 11)) {
		rk_pg_dump(b, db_path);
		return;
	}
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rk_put(b, "(cannot open)\n");
		sqlite3_close(db);
		return;
	}
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &tables,
			       NULL) != SQLITE_OK) {
		rk_put(b, "(no schema: %s)\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return;
	}
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(tables, 0);
		char q[512];
		sqlite3_stmt *st = NULL;
		rk_put(b, "-- %s\n", t);
		snprintf(q, sizeof(q), "SELECT * FROM \"%s\" ORDER BY rowid", t);
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			/* a WITHOUT ROWID table: its primary key orders it */
			snprintf(q, sizeof(q), "SELECT * FROM \"%s\"", t);
			if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
				rk_put(b, "(unreadable)\n");
				continue;
			}
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				int type = sqlite3_column_type(st, c);
				if (type == SQLITE_NULL) {
					rk_put(b, "NULL|");
				} else if (type == SQLITE_BLOB) {
					const unsigned char *v = sqlite3_column_blob(st, c);
					int n = sqlite3_column_bytes(st, c);
					rk_put(b, "x");
					for (int i = 0; i < n; i++)
						rk_put(b, "%02x", v[i]);
					rk_put(b, "|");
				} else {
					rk_put(b, "%s|", (const char *)sqlite3_column_text(st, c));
				}
			}
			rk_put(b, "\n");
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
}

static int rk_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feed every regular file under dir (recursively, sorted) into ctx: relative name, size, bytes. */
static void rk_tree_feed(EVP_MD_CTX *ctx, const char *root, const char *rel)
{
	char path[1024], **names = NULL;
	size_t n = 0, cap = 0;
	snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				exit(1);
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), rk_name_cmp);
	for (size_t i = 0; i < n; i++) {
		char sub[1024], full[1100];
		struct stat sb;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			rk_tree_feed(ctx, root, sub);
		} else {
			size_t len = 0;
			unsigned char *bytes = check_slurp(full, &len);
			EVP_DigestUpdate(ctx, sub, strlen(sub) + 1);
			EVP_DigestUpdate(ctx, &len, sizeof(len));
			if (bytes)
				EVP_DigestUpdate(ctx, bytes, len);
			free(bytes);
		}
		free(names[i]);
	}
	free(names);
}

static void rk_tree_hash(struct rk_buf *b, const char *dir)
{
	unsigned char md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		exit(1);
	rk_tree_feed(ctx, dir, "");
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	rk_put(b, "== %s ", dir);
	for (int i = 0; i < 32; i++)
		rk_put(b, "%02x", md[i]);
	rk_put(b, "\n");
}

char *rk_snapshot(const char *const *dbs, size_t n_dbs, const char *const *dirs, size_t n_dirs)
{
	struct rk_buf b = { 0 };
	for (size_t i = 0; i < n_dbs; i++)
		rk_db_dump(&b, dbs[i]);
	for (size_t i = 0; i < n_dirs; i++)
		rk_tree_hash(&b, dirs[i]);
	return b.p;
}

int rk_same(const char *a, const char *b, const char *what)
{
	if (a && b && !strcmp(a, b))
		return 1;
	size_t i = 0;
	while (a && b && a[i] && a[i] == b[i])
		i++;
	size_t from = i > 120 ? i - 120 : 0;
	fprintf(stderr, "  %s: state changed at byte %zu:\n  before: ...%.240s\n  after:  ...%.240s\n", what, i,
		a ? a + from : "(none)", b ? b + from : "(none)");
	return 0;
}

void rk_check_unchanged(char *before, char *now, const char *attack)
{
	CHECK_MSG(rk_same(before, now, attack), "%s changed the state", attack);
	free(before);
	free(now);
}

const char *rk_legal_to(const struct om_move *m, size_t n, const char *from, int ev)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].ev == ev && !strcmp(m[i].from, from))
			return m[i].to;
	return NULL;
}

void rk_table_is_the_diagram(const struct om_moves *t, const struct om_move *legal, size_t n_legal,
			     int (*next)(const char *from, int ev, const char **to), int refused)
{
	size_t allowed = 0;
	for (size_t i = 0; i < t->n_states; i++)
		for (size_t e = 0; e < t->n_events; e++) {
			const char *to = NULL, *want = rk_legal_to(legal, n_legal, t->states[i], (int)e);
			int rc = next(t->states[i], (int)e, &to);
			if (want) {
				CHECK_MSG(rc == 0 && to && !strcmp(to, want), "%s --%s--> %s: got %d", t->states[i],
					  t->events[e], want, rc);
				allowed++;
			} else {
				CHECK_MSG(rc == refused, "%s --%s--> allowed", t->states[i], t->events[e]);
			}
		}
	CHECK_INT(allowed, n_legal);
	const char *to = NULL;
	CHECK_INT(next("nonsense", 0, &to), refused);
	CHECK_INT(next(NULL, 0, &to), refused);
}
