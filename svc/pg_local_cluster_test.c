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
 * existing password file is not overwritten.
 */
#define _GNU_SOURCE /* setgroups, memmem */
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

static void owned_databases(const struct om_pg_cluster *c)
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
	CHECK(om_pg_cluster_createdb_owned(c, "daemon_a", pa2, u2, sizeof(u2), err, sizeof(err)) < 0);
	char pw_2[80];
	mode_t mode_2 = 0;
	passfile_password(pa2, pw_2, sizeof(pw_2), &mode_2); /* written before the server refused the role */
	CHECK_MSG(strlen(pw_2) == 64 && !strstr(err, pw_2), "the error holds the password, or there was none");
	snprintf(log, sizeof(log), "%s/server.log", c->dir);
	CHECK_MSG(file_has(log, "CREATE ROLE daemon_a"), "the failed statement is not in %s (the check would see nothing)",
		  log);
	static const char *const logs[] = { "server.log", "pg_ctl.log", "initdb.log" };
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(log, sizeof(log), "%s/%s", c->dir, logs[i]);
		CHECK_MSG(!file_has(log, pw_a) && !file_has(log, pw_b) && !file_has(log, pw_2), "a password in %s", log);
	}
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
	owned_databases(&c);
	om_pg_cluster_stop(&c, 0);
	return check_done();
}
