/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A private PostgreSQL cluster for one process (the tests, `openmcim lab
 * --store postgres`): initdb and pg_ctl from /usr/lib/postgresql/<newest>/bin,
 * run as an unprivileged user (the server refuses root, and CI runs as root:
 * the directory is then handed to `nobody`), listening only on a Unix socket
 * in its directory, so two clusters never share a port or a server. A
 * guardian process stops the server (and removes the directory, unless kept)
 * when the starting process ends, however it ends (even SIGKILL or abort).
 * Authentication is `peer` on that socket: only the starting process's OS
 * user, as the database superuser of the same name (another user, nobody
 * above all, is refused); no TCP. Not for production: the data files belong
 * to the server's user (nobody when started by root).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <openmcim/err.h>

struct om_pg_cluster {
	char dir[256]; /* data/, the socket, the logs */
	char bin[200]; /* the PostgreSQL bin directory used */
	char user[64]; /* the starter's OS user name: the only one peer authentication lets in */
	uid_t uid;     /* the server's user and group */
	gid_t gid;
	unsigned flags; /* enum om_pg_cluster_flags it was started with (a standby: its primary's) */
	int started;
};

enum om_pg_cluster_flags {
	OM_PGC_DURABLE = 1, /* fsync on, as a server is run (benchmarks); else off (a function test needs no power-loss safety) */
	OM_PGC_KEEP = 2,    /* keep the directory (stopped) when the process ends */
	OM_PGC_REWIND = 4,  /* wal_log_hints and full_page_writes on: pg_rewind can bring it back (om_pg_cluster_rejoin) */
};

/*
 * Start a cluster in dir (created, must not exist; the Unix socket path
 * must fit: about 90 characters), or in a fresh /tmp/om_pg_XXXXXX when dir
 * is NULL. 0, or OM_EINVAL / OM_ESTORE_CONN with the reason in err (the
 * logs of initdb and the server are in the directory).
 */
OM_NODISCARD int om_pg_cluster_start(struct om_pg_cluster *c, const char *dir, unsigned flags, char *err,
				     size_t err_len);

/* Stop the server now (pg_ctl stop -m immediate: a crash); the directory stays. */
void om_pg_cluster_halt(const struct om_pg_cluster *c);

/* Start the halted server again on the same directory. 0 or OM_ESTORE_CONN. */
OM_NODISCARD int om_pg_cluster_resume(struct om_pg_cluster *c, char *err, size_t err_len);

/* Stop the server and remove the directory unless it is kept. */
void om_pg_cluster_stop(struct om_pg_cluster *c, int keep);

/* A postgresql:// URI for database db (NULL: "postgres") of the cluster. 0 or OM_EINVAL. */
OM_NODISCARD int om_pg_cluster_uri(const struct om_pg_cluster *c, const char *db, char *out, size_t out_len);

/*
 * A hot standby of primary (spec/000 5.2.2.3.5 case 2; docs/decisions.md
 * "Case 2"): a base backup by pg_basebackup -R, run as the server's
 * unprivileged user, into dir (as om_pg_cluster_start: created, or a fresh
 * /tmp/om_pg_XXXXXX when NULL), started on its own socket, streaming from
 * primary. With sync, primary then waits for the standby at every commit
 * (synchronous_standby_names = '*'), and the call returns once the standby
 * streams as synchronous. When the server runs as another user than the
 * starter (root starts, nobody serves), that user gets a role of its own
 * name with REPLICATION and LOGIN only, so peer authentication lets the
 * standby's WAL receiver in and nothing else. 0, or OM_EINVAL /
 * OM_ESTORE_CONN with the reason in err.
 */
OM_NODISCARD int om_pg_cluster_standby(struct om_pg_cluster *standby, const struct om_pg_cluster *primary,
				       const char *dir, int sync, char *err, size_t err_len);

/*
 * Make primary wait for its standby at every commit (ALTER SYSTEM SET
 * synchronous_standby_names = '*', reloaded): 0 once the standby streams as
 * synchronous (30 s at most), or OM_ESTORE_CONN with the reason in err.
 */
OM_NODISCARD int om_pg_cluster_sync(const struct om_pg_cluster *primary, char *err, size_t err_len);

/* Promote a standby to a primary (pg_ctl promote, waiting until it takes writes). 0 or OM_ESTORE_CONN. */
OM_NODISCARD int om_pg_cluster_promote(const struct om_pg_cluster *c, char *err, size_t err_len);

/*
 * Bring old, a primary a failover left behind, back as a standby of
 * primary, its promoted copy (docs/operate.md "Case 2: the old primary"):
 * old is stopped cleanly if it runs, pg_rewind (as the server's user, from
 * primary over its socket, -R) takes it onto primary's timeline, undoing
 * whatever it wrote after the fork, and it starts streaming from primary.
 * With sync, primary then waits for it at every commit, and the call
 * returns once it streams as synchronous. Both clusters must come from a
 * start with OM_PGC_REWIND. 0, or OM_ESTORE_CONN with the reason in err.
 */
OM_NODISCARD int om_pg_cluster_rejoin(struct om_pg_cluster *old, const struct om_pg_cluster *primary, int sync,
				      char *err, size_t err_len);

/* Create an empty database db ([a-z0-9_], at most 40) and write its URI. 0, OM_EINVAL or OM_ESTORE. */
OM_NODISCARD int om_pg_cluster_createdb(const struct om_pg_cluster *c, const char *db, char *uri, size_t uri_len,
					char *err, size_t err_len);

/*
 * A database db for one daemon, owned by a login role of the same name
 * (issue 13: each daemon its own role, as a real operator runs them): the
 * role is a member of om_daemon, which authenticates by scram-sha-256 on
 * the socket (a line put first in pg_hba.conf on the first call; the
 * starter's superuser keeps peer); CONNECT and TEMPORARY on db (and, on
 * the first call, on postgres and template1) are revoked from PUBLIC, so no
 * other role but a superuser reaches it, and the role no other database. The role's
 * password is random, written only to passfile (created 0600, must not
 * exist; libpq's password file format) and sent to the server as a SCRAM
 * verifier (PQencryptPasswordConn): neither argv, the URI nor any log holds
 * it. A failure after the password file was made removes it, and the role
 * and database this call made (no partial state). pg_hba.conf is replaced
 * whole (a temporary file beside it, fsync, rename), never rewritten in
 * place. uri names db, the role and passfile. 0, or OM_EINVAL / OM_ESTORE
 * with the reason in err.
 */
OM_NODISCARD int om_pg_cluster_createdb_owned(const struct om_pg_cluster *c, const char *db, const char *passfile,
					      char *uri, size_t uri_len, char *err, size_t err_len);

/* The URI om_pg_cluster_createdb_owned writes: database db as its role db, the password from passfile. 0 or OM_EINVAL. */
OM_NODISCARD int om_pg_cluster_role_uri(const struct om_pg_cluster *c, const char *db, const char *passfile, char *out,
					size_t out_len);

/* Run sql on c's postgres database as its superuser (the starter). 0, or OM_ESTORE with the reason in err. */
OM_NODISCARD int om_pg_cluster_exec(const struct om_pg_cluster *c, const char *sql, char *err, size_t err_len);

/*
 * Whether the role of uri (a daemon's, as om_pg_cluster_createdb_owned
 * writes it) keeps to its own: it gets in, is no superuser, and is refused
 * at other_db ("permission denied for database"). 0, or OM_ESTORE with
 * what failed in err.
 */
OM_NODISCARD int om_pg_cluster_role_kept(const char *uri, const char *other_db, char *err, size_t err_len);
