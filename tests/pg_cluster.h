/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A private PostgreSQL cluster for a test program (svc/pg_local_cluster.h): initdb and pg_ctl from
 * /usr/lib/postgresql/<newest>/bin in a temporary directory, run as an
 * unprivileged user (the server refuses root, and CI runs as root: the
 * directory is handed to `nobody`), listening only on a Unix socket in that
 * directory, so two tests running at once never share a port or a server.
 * A guardian process stops the server and removes the directory when the
 * test process ends, however it ends (even SIGKILL or abort).
 */
#pragma once

#include <stddef.h>

#include "pg_local_cluster.h" /* svc/: the cluster code the lab uses too */

struct t_pg {
	struct om_pg_cluster c;
};

/*
 * Start the cluster in a fresh /tmp/om_pg_XXXXXX (svc/pg_local_cluster.h: a
 * guardian removes it when the test ends); flags as om_pg_cluster_start's:
 * 0 runs it with fsync off (a function test needs no power-loss safety),
 * OM_PGC_DURABLE (1) as a server is run (benchmarks), OM_PGC_REWIND for a
 * pair whose old primary pg_rewind brings back. Returns 0, or -1 with the
 * reason on stderr.
 */
int t_pg_start(struct t_pg *pg, unsigned flags);

/* Stop the server now and remove the directory (the guardian does it too at exit). */
void t_pg_stop(struct t_pg *pg);

/* A postgresql:// URI for database db (default "postgres") of the cluster. */
int t_pg_uri(const struct t_pg *pg, const char *db, char *out, size_t out_len);

/* Create an empty database db ([a-z0-9_], at most 40) and write its URI; 0 or -1. */
int t_pg_createdb(const struct t_pg *pg, const char *db, char *uri, size_t uri_len);

/*
 * The store a test case runs on: OM_TEST_STORE=pg in the environment gives
 * a fresh database of a cluster started on first use (one per process);
 * otherwise the SQLite file dir/name. Writes the configuration string for
 * om_store_open() (or a daemon's db) to out; 0 or -1.
 */
int t_store_conf(const char *dir, const char *name, char *out, size_t out_len);

/*
 * Crash and restart the server of t_store_conf()'s cluster (pg_ctl stop -m
 * immediate, then start): open connections are lost. 0 or -1.
 */
int t_store_restart_server(void);

/* The directory of t_store_conf()'s cluster (its data files and WAL), or NULL when none runs. */
const char *t_store_pg_dir(void);

/* t_store_conf()'s cluster (a standby of it, a promotion), or NULL when none runs. */
const struct om_pg_cluster *t_store_pg_cluster(void);

/* 1 if this run is on PostgreSQL (OM_TEST_STORE=pg). */
int t_store_is_pg(void);
