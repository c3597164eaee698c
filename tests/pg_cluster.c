/* SPDX-License-Identifier: Apache-2.0 */
#define _DEFAULT_SOURCE /* setgroups */
/* A private PostgreSQL cluster for a test program (pg_cluster.h). */
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg_cluster.h"

#define PG_PORT 5432 /* names the socket file only: the server listens on no TCP port */

static int start_server(const struct t_pg *pg);

static uid_t run_uid;
static gid_t run_gid;

/* Run bin/prog with args as the cluster's user, output into log; the exit status or -1. */
static int run_as(const struct t_pg *pg, const char *prog, const char *const *args, const char *log)
{
	char path[300];
	const char *argv[16];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", pg->bin, prog);
	argv[n++] = path;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (fd < 0 || in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		if (geteuid() == 0 && (setgroups(0, NULL) || setgid(run_gid) || setuid(run_uid)))
			_exit(126);
		setenv("LC_ALL", "C", 1);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The newest /usr/lib/postgresql/N/bin that has initdb. */
static int find_bin(struct t_pg *pg)
{
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		fprintf(stderr, "t_pg: no /usr/lib/postgresql/*/bin/initdb (scripts/deps.sh test installs postgresql)\n");
		globfree(&g);
		return -1;
	}
	const char *best = g.gl_pathv[0];
	for (size_t i = 1; i < g.gl_pathc; i++)
		if (atoi(g.gl_pathv[i] + 20) > atoi(best + 20))
			best = g.gl_pathv[i];
	snprintf(pg->bin, sizeof(pg->bin), "%.*s", (int)(strlen(best) - strlen("/initdb")), best);
	globfree(&g);
	return 0;
}

static void stop_server(const struct t_pg *pg)
{
	char data[300], log[300];
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(log, sizeof(log), "%s/pg_ctl.log", pg->dir);
	const char *const args[] = { "-D", data, "-m", "immediate", "-w", "-t", "30", "stop", NULL };
	run_as(pg, "pg_ctl", args, log);
}

static void remove_dir(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "t_pg: could not remove %s\n", dir);
}

/*
 * The guardian: a child that waits for the test process to end (the pipe's
 * write end closes with it, whatever kills it), then stops the server and
 * removes the directory.
 */
static int start_guardian(const struct t_pg *pg)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[1]);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		char c;
		while (read(p[0], &c, 1) > 0)
			;
		stop_server(pg);
		remove_dir(pg->dir);
		_exit(0);
	}
	close(p[0]);
	/* no exec'd program (the server above all) may hold the write end open */
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static int append_conf(const struct t_pg *pg, int durable)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/data/postgresql.conf", pg->dir);
	FILE *f = fopen(path, "a");
	if (!f)
		return -1;
	fprintf(f,
		"listen_addresses = ''\n"
		"unix_socket_directories = '%s'\n"
		"port = %d\n"
		"max_connections = 60\n"
		"shared_buffers = 32MB\n"
		"fsync = %s\n"
		"full_page_writes = %s\n",
		pg->dir, PG_PORT, durable ? "on" : "off", durable ? "on" : "off");
	return fclose(f) == 0 ? 0 : -1;
}

int t_pg_start(struct t_pg *pg, int durable)
{
	memset(pg, 0, sizeof(*pg));
	if (find_bin(pg) < 0)
		return -1;
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/om_pg_XXXXXX");
	if (!mkdtemp(pg->dir)) {
		perror("t_pg: mkdtemp");
		return -1;
	}
	run_uid = geteuid();
	run_gid = getegid();
	if (geteuid() == 0) {
		/* the server refuses to run as root */
		struct passwd *pw = getpwnam("nobody");
		if (!pw || chown(pg->dir, pw->pw_uid, pw->pw_gid) < 0) {
			fprintf(stderr, "t_pg: no user nobody to run the server as\n");
			remove_dir(pg->dir);
			return -1;
		}
		run_uid = pw->pw_uid;
		run_gid = pw->pw_gid;
	}
	if (start_guardian(pg) < 0) {
		remove_dir(pg->dir);
		return -1;
	}
	char data[300], log[300];
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(log, sizeof(log), "%s/initdb.log", pg->dir);
	const char *const init[] = { "-D", data, "-U", "om", "-A", "trust", "-E", "UTF8", "--locale=C", "-N", NULL };
	if (run_as(pg, "initdb", init, log) != 0 || append_conf(pg, durable) < 0) {
		fprintf(stderr, "t_pg: initdb failed, see %s\n", log);
		return -1;
	}
	if (start_server(pg) < 0)
		return -1;
	pg->started = 1;
	return 0;
}

void t_pg_stop(struct t_pg *pg)
{
	if (!pg->started)
		return;
	stop_server(pg);
	remove_dir(pg->dir);
	pg->started = 0;
}

int t_pg_uri(const struct t_pg *pg, const char *db, char *out, size_t out_len)
{
	int n = snprintf(out, out_len, "postgresql:///%s?host=%s&port=%d&user=om", db ? db : "postgres", pg->dir,
			 PG_PORT);
	return n > 0 && (size_t)n < out_len ? 0 : -1;
}

int t_pg_createdb(const struct t_pg *pg, const char *db, char *uri, size_t uri_len)
{
	size_t n = strlen(db);
	if (n == 0 || n > 40 || strspn(db, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return -1;
	char admin[400], sql[80];
	if (t_pg_uri(pg, NULL, admin, sizeof(admin)) < 0 || t_pg_uri(pg, db, uri, uri_len) < 0)
		return -1;
	PGconn *c = PQconnectdb(admin);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db); /* db checked to [a-z0-9_] above */
		PGresult *r = PQexec(c, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
		if (rc < 0)
			fprintf(stderr, "t_pg: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	} else {
		fprintf(stderr, "t_pg: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return rc;
}

int t_store_is_pg(void)
{
	const char *e = getenv("OM_TEST_STORE");
	return e && !strcmp(e, "pg");
}

static struct t_pg store_pg;

static int start_server(const struct t_pg *pg)
{
	char data[300], log[300], slog[300];
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(log, sizeof(log), "%s/pg_ctl.log", pg->dir);
	snprintf(slog, sizeof(slog), "%s/server.log", pg->dir);
	const char *const start[] = { "-D", data, "-l", slog, "-w", "-t", "60", "start", NULL };
	if (run_as(pg, "pg_ctl", start, log) != 0) {
		fprintf(stderr, "t_pg: pg_ctl start failed, see %s and %s\n", log, slog);
		return -1;
	}
	return 0;
}

int t_store_restart_server(void)
{
	if (!store_pg.started)
		return -1;
	stop_server(&store_pg);
	return start_server(&store_pg);
}

int t_store_conf(const char *dir, const char *name, char *out, size_t out_len)
{
	struct t_pg *const pg = &store_pg;
	static unsigned seq;
	if (!t_store_is_pg()) {
		int n = snprintf(out, out_len, "%s/%s", dir, name);
		return n > 0 && (size_t)n < out_len ? 0 : -1;
	}
	if (!pg->started && t_pg_start(pg, 0) < 0)
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
