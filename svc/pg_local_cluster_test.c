/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who gets into the private PostgreSQL cluster (pg_local_cluster.h), started
 * as the tests and the lab start it: this process's user does (a database is
 * created and a query answered); as root, where the server runs as nobody,
 * a process running as nobody is refused, under the starter's role name,
 * under its own and as the server's bootstrap role "om" of the trust setup
 * the security review found (any nobody process was superuser), and nothing
 * it tried was created.
 *
 * A database owned by a daemon's role (om_pg_cluster_createdb_owned): the
 * role gets in with its password file (0600) and nowhere else, neither
 * another daemon's database nor postgres; the password is in no URI and in
 * none of the cluster's logs, although the server logged the statement of
 * a second, failed CREATE ROLE (the verifier, not the password); an
 * existing password file is not overwritten. A call that fails after
 * making its password file (the role refused, the database refused)
 * leaves no password file, and no role of its own making; pg_hba.conf is
 * replaced by a rename (a new inode, the old owner and mode), never
 * rewritten in place.
 */
#define _GNU_SOURCE /* setgroups, memmem */
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pg_local_cluster.h"

/* 1 if a connection to uri opens and runs sql. */
static int connects(const char *uri, const char *sql)
{
	PGconn *pc = PQconnectdb(uri);
	int ok = PQstatus(pc) == CONNECTION_OK;
	if (ok && sql) {
		PGresult *r = PQexec(pc, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
	}
	PQfinish(pc);
	return ok;
}

/* As nobody (uid 65534), try uri with each user; the child's exit: the number that got in. */
static int nobody_gets_in(const struct om_pg_cluster *c)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100);
		static const char *const users[] = { "root", "nobody", "om", "postgres" };
		int in = 0;
		for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
			char uri[600];
			snprintf(uri, sizeof(uri), "postgresql:///postgres?host=%s&port=5432&user=%s", c->dir, users[i]);
			in += connects(uri, "CREATE DATABASE intruder");
		}
		_exit(in);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The connection's error, "" when it opens; to database db instead of the URI's when db is set. */
static void connect_error(const char *uri, const char *db, char *err, size_t err_len)
{
	const char *keys[] = { "dbname", db ? "dbname" : NULL, NULL };
	const char *vals[] = { uri, db, NULL };
	PGconn *pc = PQconnectdbParams(keys, vals, 1);
	snprintf(err, err_len, "%s", PQstatus(pc) == CONNECTION_OK ? "" : PQerrorMessage(pc));
	PQfinish(pc);
}

/* The password of a passfile line "*:*:*:ROLE:PASSWORD" into pw, and the file's mode. */
static void passfile_password(const char *path, char *pw, size_t cap, mode_t *mode)
{
	struct stat st;
	size_t n = 0;
	char *text = (char *)check_slurp(path, &n);
	const char *p = text;
	for (int i = 0; p && i < 4; i++)
		p = (p = strchr(p, ':')) ? p + 1 : NULL;
	snprintf(pw, cap, "%.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
	*mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0;
	free(text);
}

static int file_has(const char *path, const char *needle)
{
	size_t n = 0;
	char *text = (char *)check_slurp(path, &n);
	int has = text && memmem(text, n, needle, strlen(needle)) != NULL;
	free(text);
	return has;
}

/* 1 if s holds a run of 64 hex digits (a password new_passfile makes). */
static int hex64(const char *s)
{
	for (size_t run = 0; *s; s++)
		if ((run = strchr("0123456789abcdef", *s) ? run + 1 : 0) >= 64)
			return 1;
	return 0;
}

/* The first line of path holding needle into out; 1 if there is one. */
static int line_with(const char *path, const char *needle, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	*out = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, needle)) {
			snprintf(out, cap, "%.*s", (int)(cap - 1), line);
			break;
		}
	if (f)
		fclose(f);
	return *out != '\0';
}

/* The number sql's first value says, or -1. */
static long count_of(const char *uri, const char *sql)
{
	PGconn *pc = PQconnectdb(uri);
	PGresult *r = PQstatus(pc) == CONNECTION_OK ? PQexec(pc, sql) : NULL;
	long n = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(pc);
	return n;
}

/* How many paths dir/pattern names. */
static size_t count_files(const char *dir, const char *pattern)
{
	char p[400];
	glob_t g;
	snprintf(p, sizeof(p), "%s/%s", dir, pattern);
	size_t n = glob(p, 0, NULL, &g) == 0 ? g.gl_pathc : 0;
	globfree(&g);
	return n;
}

static void owned_databases(const struct om_pg_cluster *c, const struct stat *hba_before)
{
	char dir[] = "/tmp/om_pgc_owned_XXXXXX", pa[64], pb[64], pa2[64], ua[600], ub[600], u2[600], err[512];
	char pw_a[80], pw_b[80], log[300];
	mode_t mode_a = 0, mode_b = 0;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(pa, sizeof(pa), "%s/a.pgpass", dir);
	snprintf(pb, sizeof(pb), "%s/b.pgpass", dir);
	snprintf(pa2, sizeof(pa2), "%s/a2.pgpass", dir);
	CHECK_INT(om_pg_cluster_createdb_owned(c, "daemon_a", pa, ua, sizeof(ua), err, sizeof(err)), 0);
	CHECK_INT(om_pg_cluster_createdb_owned(c, "daemon_b", pb, ub, sizeof(ub), err, sizeof(err)), 0);
	passfile_password(pa, pw_a, sizeof(pw_a), &mode_a);
	passfile_password(pb, pw_b, sizeof(pw_b), &mode_b);
	CHECK_MSG(strlen(pw_a) == 64 && strlen(pw_b) == 64 && strcmp(pw_a, pw_b), "passwords '%s' '%s'", pw_a, pw_b);
	CHECK_INT(mode_a, 0600);
	CHECK_INT(mode_b, 0600);
	CHECK_MSG(!strstr(ua, pw_a) && strstr(ua, "user=daemon_a") && strstr(ua, "passfile="), "%s", ua);
	CHECK_MSG(connects(ua, "CREATE TABLE t (x int)"), "daemon_a is refused at its own database");
	connect_error(ua, "daemon_b", err, sizeof(err));
	CHECK_MSG(strstr(err, "permission denied for database \"daemon_b\""), "daemon_a at daemon_b: '%s'", err);
	connect_error(ub, "daemon_a", err, sizeof(err));
	CHECK_MSG(strstr(err, "permission denied for database \"daemon_a\""), "daemon_b at daemon_a: '%s'", err);
	connect_error(ua, "postgres", err, sizeof(err));
	CHECK_MSG(strstr(err, "permission denied for database \"postgres\""), "daemon_a at postgres: '%s'", err);
	/* an existing passfile stays as it was; a second role of the same name fails, its statement logged */
	CHECK(om_pg_cluster_createdb_owned(c, "daemon_a", pb, u2, sizeof(u2), err, sizeof(err)) < 0);
	CHECK(file_has(pb, pw_b));
	/* the server refuses the role: the passfile written before it is gone again */
	CHECK(om_pg_cluster_createdb_owned(c, "daemon_a", pa2, u2, sizeof(u2), err, sizeof(err)) < 0);
	CHECK_MSG(access(pa2, F_OK) < 0 && errno == ENOENT, "%s left behind by a failed role", pa2);
	CHECK_MSG(!hex64(err), "the error holds a password: %s", err);
	snprintf(log, sizeof(log), "%s/server.log", c->dir);
	CHECK_MSG(file_has(log, "CREATE ROLE daemon_a"), "the failed statement is not in %s (the check would see nothing)",
		  log);
	/* what the server logged of it: the verifier, no 64-digit password (sent in plain text, it would be) */
	char stmt[1024];
	CHECK_MSG(line_with(log, "CREATE ROLE daemon_a", stmt, sizeof(stmt)) && strstr(stmt, "SCRAM-SHA-256$") &&
			  !hex64(stmt),
		  "the failed CREATE ROLE as logged: %s", stmt);
	static const char *const logs[] = { "server.log", "pg_ctl.log", "initdb.log" };
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(log, sizeof(log), "%s/%s", c->dir, logs[i]);
		CHECK_MSG(!file_has(log, pw_a) && !file_has(log, pw_b), "a password in %s", log);
	}
	/* the database refused (one of that name exists): no passfile, and the role made for it dropped */
	char pc3[64], admin[600], uc[600];
	snprintf(pc3, sizeof(pc3), "%s/c.pgpass", dir);
	CHECK_INT(om_pg_cluster_createdb(c, "daemon_c", uc, sizeof(uc), err, sizeof(err)), 0);
	CHECK(om_pg_cluster_createdb_owned(c, "daemon_c", pc3, u2, sizeof(u2), err, sizeof(err)) < 0);
	CHECK_MSG(strstr(err, "already exists") != NULL, "%s", err);
	CHECK_MSG(access(pc3, F_OK) < 0 && errno == ENOENT, "%s left behind by a failed database", pc3);
	CHECK_INT(om_pg_cluster_uri(c, NULL, admin, sizeof(admin)), 0);
	CHECK_MSG(connects(admin, "SELECT 1 FROM pg_roles WHERE rolname = 'daemon_a'") &&
			  count_of(admin, "SELECT count(*) FROM pg_roles WHERE rolname = 'daemon_c'") == 0,
		  "the role daemon_c is left behind");
	/* pg_hba.conf replaced whole (a new file renamed over it), the server's still, no temporary left */
	struct stat hb;
	char hba[300];
	snprintf(hba, sizeof(hba), "%s/data/pg_hba.conf", c->dir);
	CHECK(stat(hba, &hb) == 0);
	CHECK_MSG(hb.st_ino != hba_before->st_ino, "pg_hba.conf rewritten in place (inode %lu)", (unsigned long)hb.st_ino);
	CHECK_MSG(hb.st_uid == hba_before->st_uid && hb.st_gid == hba_before->st_gid &&
			  (hb.st_mode & 07777) == (hba_before->st_mode & 07777),
		  "pg_hba.conf now %u:%u %o, was %u:%u %o", (unsigned)hb.st_uid, (unsigned)hb.st_gid,
		  (unsigned)(hb.st_mode & 07777), (unsigned)hba_before->st_uid, (unsigned)hba_before->st_gid,
		  (unsigned)(hba_before->st_mode & 07777));
	CHECK_INT(count_files(c->dir, "data/pg_hba.conf.*"), 0);
	char cmd[100];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	struct om_pg_cluster c;
	char err[512], uri[600], admin[600];
	int rc = om_pg_cluster_start(&c, NULL, 0, err, sizeof(err));
	CHECK_MSG(rc == 0, "cluster: %s", err);
	if (rc)
		return check_done();
	CHECK_INT(om_pg_cluster_createdb(&c, "ours", uri, sizeof(uri), err, sizeof(err)), 0);
	CHECK_MSG(connects(uri, "CREATE TABLE t (x int)"), "the starter is refused on %s", uri);
	CHECK_INT(om_pg_cluster_uri(&c, NULL, admin, sizeof(admin)), 0);
	if (geteuid() == 0) {
		CHECK_MSG(c.uid == 65534, "server uid %u", (unsigned)c.uid);
		CHECK_INT(nobody_gets_in(&c), 0);
		/* nothing created: the one database besides the templates is ours */
		PGconn *pc = PQconnectdb(admin);
		PGresult *r = PQexec(pc, "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database");
		CHECK_MSG(PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "ours,postgres,template0,template1"),
			  "databases: %s", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : PQerrorMessage(pc));
		PQclear(r);
		PQfinish(pc);
	} else {
		printf("NOTE: not root: the server runs as this user; the nobody check needs root\n");
	}
	struct stat hba;
	char hba_path[300];
	snprintf(hba_path, sizeof(hba_path), "%s/data/pg_hba.conf", c.dir);
	CHECK(stat(hba_path, &hba) == 0);
	owned_databases(&c, &hba);
	om_pg_cluster_stop(&c, 0);
	return check_done();
}
