/* SPDX-License-Identifier: Apache-2.0 */
/* A private PostgreSQL cluster for a test program (pg_cluster.h), on svc/pg_local_cluster.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_cluster.h"

int t_pg_start(struct t_pg *pg, unsigned flags)
{
	char err[400];
	if (om_pg_cluster_start(&pg->c, NULL, flags, err, sizeof(err)) < 0) {
		fprintf(stderr, "t_pg: %s\n", err);
		return -1;
	}
	return 0;
}

void t_pg_stop(struct t_pg *pg)
{
	om_pg_cluster_stop(&pg->c, 0);
}

int t_pg_uri(const struct t_pg *pg, const char *db, char *out, size_t out_len)
{
	return om_pg_cluster_uri(&pg->c, db, out, out_len) < 0 ? -1 : 0;
}

int t_pg_createdb(const struct t_pg *pg, const char *db, char *uri, size_t uri_len)
{
	char err[400];
	if (om_pg_cluster_createdb(&pg->c, db, uri, uri_len, err, sizeof(err)) < 0) {
		fprintf(stderr, "t_pg: %s\n", err);
		return -1;
	}
	return 0;
}

int t_store_is_pg(void)
{
	const char *e = getenv("OM_TEST_STORE");
	return e && !strcmp(e, "pg");
}

static struct t_pg store_pg;

const char *t_store_pg_dir(void)
{
	return store_pg.c.started ? store_pg.c.dir : NULL;
}

const struct om_pg_cluster *t_store_pg_cluster(void)
{
	return store_pg.c.started ? &store_pg.c : NULL;
}

int t_store_restart_server(void)
{
	char err[400];
	if (!store_pg.c.started)
		return -1;
	om_pg_cluster_halt(&store_pg.c);
	if (om_pg_cluster_resume(&store_pg.c, err, sizeof(err)) < 0) {
		fprintf(stderr, "t_pg: %s\n", err);
		return -1;
	}
	return 0;
}

int t_store_conf(const char *dir, const char *name, char *out, size_t out_len)
{
	struct t_pg *const pg = &store_pg;
	static unsigned seq;
	if (!t_store_is_pg()) {
		int n = snprintf(out, out_len, "%s/%s", dir, name);
		return n > 0 && (size_t)n < out_len ? 0 : -1;
	}
	if (!pg->c.started && t_pg_start(pg, 0) < 0)
		return -1;
	char db[48];
	size_t j = (size_t)snprintf(db, sizeof(db), "t%u_", seq++);
	for (size_t i = 0; name[i] && j + 1 < 40; i++) {
		char c = name[i];
		db[j++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : '_';
	}
	db[j] = '\0';
	return t_pg_createdb(pg, db, out, out_len);
}
