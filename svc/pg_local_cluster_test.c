/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who gets into the private PostgreSQL cluster (pg_local_cluster.h), started
 * as the tests and the lab start it: this process's user does (a database is
 * created and a query answered); as root, where the server runs as nobody,
 * a process running as nobody is refused, under the starter's role name,
 * under its own and as the server's bootstrap role "om" of the trust setup
 * the security review found (any nobody process was superuser), and nothing
 * it tried was created.
 */
#define _DEFAULT_SOURCE /* setgroups */
#include <grp.h>
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
	om_pg_cluster_stop(&c, 0);
	return check_done();
}
