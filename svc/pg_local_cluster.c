/* SPDX-License-Identifier: Apache-2.0 */
#define _DEFAULT_SOURCE /* setgroups */
/* A private PostgreSQL cluster (pg_local_cluster.h). */
#include <errno.h>
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

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "pg_local_cluster.h"
#include "svc_err.h"

#define PG_PORT 5432 /* names the socket file only: the server listens on no TCP port */

/* Run bin/prog with args as the cluster's user, output into log; the exit status or -1. */
static int run_as(const struct om_pg_cluster *c, const char *prog, const char *const *args, const char *log)
{
	char path[300];
	const char *argv[16];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", c->bin, prog);
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
		if (geteuid() == 0 && (setgroups(0, NULL) || setgid(c->gid) || setuid(c->uid)))
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
static int find_bin(struct om_pg_cluster *c, char *err, size_t err_len)
{
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		snprintf(err, err_len, "no /usr/lib/postgresql/*/bin/initdb (scripts/deps.sh test installs postgresql)");
		globfree(&g);
		return OM_EINVAL;
	}
	const char *best = g.gl_pathv[0];
	for (size_t i = 1; i < g.gl_pathc; i++)
		if (atoi(g.gl_pathv[i] + 20) > atoi(best + 20))
			best = g.gl_pathv[i];
	snprintf(c->bin, sizeof(c->bin), "%.*s", (int)(strlen(best) - strlen("/initdb")), best);
	globfree(&g);
	return 0;
}

void om_pg_cluster_halt(const struct om_pg_cluster *c)
{
	char data[300], log[300];
	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(log, sizeof(log), "%s/pg_ctl.log", c->dir);
	const char *const args[] = { "-D", data, "-m", "immediate", "-w", "-t", "30", "stop", NULL };
	run_as(c, "pg_ctl", args, log);
}

static void remove_dir(const char *dir)
{
	char cmd[300];
	/* dir is ours: a mkdtemp name or the caller's path, single-quoted (a quote in it is refused at start) */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pg_cluster: could not remove %s\n", dir);
}

/*
 * The guardian: a child that waits for the starting process to end (the
 * pipe's write end closes with it, whatever kills it), then stops the
 * server and removes the directory unless it is kept.
 */
static int start_guardian(const struct om_pg_cluster *c, int keep)
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
		char ch;
		while (read(p[0], &ch, 1) > 0)
			;
		om_pg_cluster_halt(c);
		if (!keep)
			remove_dir(c->dir);
		_exit(0);
	}
	close(p[0]);
	/* no exec'd program (the server above all) may hold the write end open */
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static int append_conf(const struct om_pg_cluster *c)
{
	int durable = (c->flags & OM_PGC_DURABLE) != 0, rewind = (c->flags & OM_PGC_REWIND) != 0;
	char path[300];
	snprintf(path, sizeof(path), "%s/data/postgresql.conf", c->dir);
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
		"full_page_writes = %s\n"
		"wal_log_hints = %s\n"
		"wal_keep_size = %s\n",
		c->dir, PG_PORT, durable ? "on" : "off", durable || rewind ? "on" : "off", rewind ? "on" : "off",
		rewind ? "256MB" : "0");
	return fclose(f) == 0 ? 0 : -1;
}

int om_pg_cluster_resume(struct om_pg_cluster *c, char *err, size_t err_len)
{
	char data[300], log[300], slog[300];
	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(log, sizeof(log), "%s/pg_ctl.log", c->dir);
	snprintf(slog, sizeof(slog), "%s/server.log", c->dir);
	const char *const start[] = { "-D", data, "-l", slog, "-w", "-t", "60", "start", NULL };
	if (run_as(c, "pg_ctl", start, log) != 0) {
		snprintf(err, err_len, "pg_ctl start failed, see %s and %s", log, slog);
		return OM_ESTORE_CONN;
	}
	return 0;
}

int om_pg_cluster_start(struct om_pg_cluster *c, const char *dir, unsigned flags, char *err, size_t err_len)
{
	memset(c, 0, sizeof(*c));
	c->flags = flags;
	int rc = find_bin(c, err, err_len);
	if (rc < 0)
		return rc;
	/* the socket is dir/.s.PGSQL.5432, and a Unix socket path has 108 bytes */
	if (dir && (strlen(dir) > 90 || strchr(dir, '\'') || strchr(dir, '\\'))) {
		snprintf(err, err_len, "%.100s: too long for the server's Unix socket, or has a quote", dir);
		return OM_EINVAL;
	}
	if (dir) {
		snprintf(c->dir, sizeof(c->dir), "%s", dir);
		if (mkdir(c->dir, 0700) < 0) {
			snprintf(err, err_len, "%.200s: cannot create", dir);
			return OM_EINVAL;
		}
	} else {
		snprintf(c->dir, sizeof(c->dir), "/tmp/om_pg_XXXXXX");
		if (!mkdtemp(c->dir)) {
			snprintf(err, err_len, "mkdtemp /tmp/om_pg_XXXXXX failed");
			return OM_EINVAL;
		}
	}
	int keep = (flags & OM_PGC_KEEP) != 0;
	struct passwd *me = getpwuid(geteuid());
	if (!me || strlen(me->pw_name) >= sizeof(c->user) ||
	    strspn(me->pw_name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(me->pw_name)) {
		snprintf(err, err_len, "uid %u has no plain user name for peer authentication", (unsigned)geteuid());
		if (!keep)
			remove_dir(c->dir);
		return OM_EINVAL;
	}
	snprintf(c->user, sizeof(c->user), "%s", me->pw_name);
	c->uid = geteuid();
	c->gid = getegid();
	if (geteuid() == 0) {
		/* the server refuses to run as root */
		struct passwd *pw = getpwnam("nobody");
		if (!pw || chown(c->dir, pw->pw_uid, pw->pw_gid) < 0) {
			snprintf(err, err_len, "no user nobody to run the server as");
			if (!keep)
				remove_dir(c->dir);
			return OM_EINVAL;
		}
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	if (start_guardian(c, keep) < 0) {
		snprintf(err, err_len, "cannot start the cluster's guardian");
		if (!keep)
			remove_dir(c->dir);
		return OM_EINVAL;
	}
	char data[300], log[300];
	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(log, sizeof(log), "%s/initdb.log", c->dir);
	/*
	 * peer on the Unix socket: only this process's OS user gets in, as the
	 * superuser of its own name. With trust, when root hands the server to
	 * nobody, every process running as nobody (which can enter the
	 * directory) was superuser (security review). No TCP at all.
	 */
	const char *const init[] = { "-D",	   data, "-U", c->user, "--auth-local=peer", "--auth-host=reject",
				     "-E",	   "UTF8", "--locale=C", "-N", NULL };
	if (run_as(c, "initdb", init, log) != 0 || append_conf(c) < 0) {
		snprintf(err, err_len, "initdb failed, see %s (the server's user must reach %s)", log, c->dir);
		return OM_ESTORE_CONN;
	}
	if ((rc = om_pg_cluster_resume(c, err, err_len)) < 0)
		return rc;
	c->started = 1;
	return 0;
}

void om_pg_cluster_stop(struct om_pg_cluster *c, int keep)
{
	if (!c->started)
		return;
	om_pg_cluster_halt(c);
	if (!keep)
		remove_dir(c->dir);
	c->started = 0;
}

int om_pg_cluster_uri(const struct om_pg_cluster *c, const char *db, char *out, size_t out_len)
{
	int n = snprintf(out, out_len, "postgresql:///%s?host=%s&port=%d&user=%s", db ? db : "postgres", c->dir,
			 PG_PORT, c->user);
	return n > 0 && (size_t)n < out_len ? 0 : OM_EINVAL;
}

int om_pg_cluster_role_uri(const struct om_pg_cluster *c, const char *db, const char *passfile, char *out,
			   size_t out_len)
{
	int n = snprintf(out, out_len, "postgresql:///%s?host=%s&port=%d&user=%s&passfile=%s", db, c->dir, PG_PORT, db,
			 passfile);
	return n > 0 && (size_t)n < out_len ? 0 : OM_EINVAL;
}

/*
 * Run sql on c's "postgres" database as the superuser; the first value of
 * the first row (if any) into val. 0, or OM_ESTORE with the reason in err.
 */
static int admin_exec(const struct om_pg_cluster *c, const char *sql, char *val, size_t val_len, char *err,
		      size_t err_len)
{
	char admin[400];
	if (om_pg_cluster_uri(c, NULL, admin, sizeof(admin)) < 0) {
		snprintf(err, err_len, "URI too long");
		return OM_EINVAL;
	}
	PGconn *pc = PQconnectdb(admin);
	int rc = OM_ESTORE;
	if (val && val_len)
		*val = '\0';
	if (PQstatus(pc) == CONNECTION_OK) {
		PGresult *r = PQexec(pc, sql);
		ExecStatusType st = PQresultStatus(r);
		rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : OM_ESTORE;
		if (rc < 0)
			snprintf(err, err_len, "%.60s: %s", sql, PQresultErrorMessage(r));
		else if (val && val_len && st == PGRES_TUPLES_OK && PQntuples(r) > 0)
			snprintf(val, val_len, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	} else {
		snprintf(err, err_len, "%s", PQerrorMessage(pc));
	}
	PQfinish(pc);
	return rc;
}

int om_pg_cluster_createdb(const struct om_pg_cluster *c, const char *db, char *uri, size_t uri_len, char *err,
			   size_t err_len)
{
	size_t n = strlen(db);
	if (n == 0 || n > 40 || strspn(db, "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
		snprintf(err, err_len, "database name '%.60s' is not [a-z0-9_]{1,40}", db);
		return OM_EINVAL;
	}
	char sql[80];
	if (om_pg_cluster_uri(c, db, uri, uri_len) < 0) {
		snprintf(err, err_len, "URI too long");
		return OM_EINVAL;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db); /* db checked to [a-z0-9_] above */
	return admin_exec(c, sql, NULL, 0, err, err_len);
}

/* The standby's directory, as om_pg_cluster_start makes one: dir or a fresh /tmp one, the server's user's. */
static int standby_dir(struct om_pg_cluster *s, const char *dir, char *err, size_t err_len)
{
	if (dir && (strlen(dir) > 90 || strchr(dir, '\'') || strchr(dir, '\\'))) {
		snprintf(err, err_len, "%.100s: too long for the server's Unix socket, or has a quote", dir);
		return OM_EINVAL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir ? dir : "/tmp/om_pg_XXXXXX");
	if (dir ? mkdir(s->dir, 0700) < 0 : !mkdtemp(s->dir)) {
		snprintf(err, err_len, "%.200s: cannot create", s->dir);
		return OM_EINVAL;
	}
	if (s->uid != geteuid() && chown(s->dir, s->uid, s->gid) < 0) {
		snprintf(err, err_len, "%.200s: cannot hand it to the server's user", s->dir);
		remove_dir(s->dir);
		return OM_EINVAL;
	}
	return 0;
}

int om_pg_cluster_standby(struct om_pg_cluster *s, const struct om_pg_cluster *p, const char *dir, int sync,
			  char *err, size_t err_len)
{
	char data[300], log[300], sql[256], port[8];
	memset(s, 0, sizeof(*s));
	memcpy(s->bin, p->bin, sizeof(s->bin));
	memcpy(s->user, p->user, sizeof(s->user));
	s->uid = p->uid;
	s->gid = p->gid;
	s->flags = p->flags & ~(unsigned)OM_PGC_DURABLE;
	struct passwd *srv = getpwuid(p->uid);
	if (!p->started || !srv || strspn(srv->pw_name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(srv->pw_name)) {
		snprintf(err, err_len, "no running primary, or its server's user has no plain name");
		return OM_EINVAL;
	}
	char repl_user[64];
	snprintf(repl_user, sizeof(repl_user), "%s", srv->pw_name);
	/* the WAL receiver runs as the server's user: peer authentication needs a role of that name */
	if (strcmp(repl_user, p->user)) {
		snprintf(sql, sizeof(sql), "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
			 "CREATE ROLE \"%s\" WITH REPLICATION LOGIN; END IF; END $$", repl_user, repl_user);
		if (admin_exec(p, sql, NULL, 0, err, err_len) < 0)
			return OM_ESTORE_CONN;
	}
	int rc = standby_dir(s, dir, err, err_len);
	if (rc < 0)
		return rc;
	if (start_guardian(s, 0) < 0) {
		snprintf(err, err_len, "cannot start the standby's guardian");
		remove_dir(s->dir);
		return OM_EINVAL;
	}
	snprintf(data, sizeof(data), "%s/data", s->dir);
	snprintf(log, sizeof(log), "%s/basebackup.log", s->dir);
	snprintf(port, sizeof(port), "%d", PG_PORT);
	/* -R: standby.signal and primary_conninfo (the primary's socket, the replication role) */
	const char *const bb[] = { "-D", data, "-R", "-X", "stream", "-c", "fast", "-h", p->dir, "-p", port, "-U",
				   repl_user, NULL };
	if (run_as(s, "pg_basebackup", bb, log) != 0) {
		snprintf(err, err_len, "pg_basebackup failed, see %s", log);
		return OM_ESTORE_CONN;
	}
	/* the copied postgresql.conf names the primary's socket: ours goes after it, and wins */
	if (append_conf(s) < 0 || (rc = om_pg_cluster_resume(s, err, err_len)) < 0)
		return rc < 0 ? rc : OM_ESTORE_CONN;
	s->started = 1;
	return sync ? om_pg_cluster_sync(p, err, err_len) : 0;
}

int om_pg_cluster_sync(const struct om_pg_cluster *p, char *err, size_t err_len)
{
	char state[32] = "";
	if (admin_exec(p, "ALTER SYSTEM SET synchronous_standby_names = '*'", NULL, 0, err, err_len) < 0 ||
	    admin_exec(p, "SELECT pg_reload_conf()", NULL, 0, err, err_len) < 0)
		return OM_ESTORE_CONN;
	for (int i = 0; i < 300 && strcmp(state, "sync"); i++) {
		if (admin_exec(p, "SELECT sync_state FROM pg_stat_replication", state, sizeof(state), err, err_len) < 0)
			return OM_ESTORE_CONN;
		if (strcmp(state, "sync"))
			usleep(100 * 1000);
	}
	if (strcmp(state, "sync")) {
		snprintf(err, err_len, "the standby did not become synchronous in 30 s (state '%s')", state);
		return OM_ESTORE_CONN;
	}
	return 0;
}

int om_pg_cluster_promote(const struct om_pg_cluster *c, char *err, size_t err_len)
{
	char data[300], log[300];
	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(log, sizeof(log), "%s/pg_ctl.log", c->dir);
	const char *const args[] = { "-D", data, "-w", "-t", "60", "promote", NULL };
	if (run_as(c, "pg_ctl", args, log) != 0) {
		snprintf(err, err_len, "pg_ctl promote failed, see %s", log);
		return OM_ESTORE_CONN;
	}
	return 0;
}

int om_pg_cluster_rejoin(struct om_pg_cluster *old, const struct om_pg_cluster *p, int sync, char *err,
			 size_t err_len)
{
	char data[300], log[300], src[400], sql[512];
	struct passwd *srv = getpwuid(p->uid);
	if (!old->started || !p->started || !(old->flags & OM_PGC_REWIND) || !(p->flags & OM_PGC_REWIND) || !srv) {
		snprintf(err, err_len, "rejoin needs both clusters started with OM_PGC_REWIND");
		return OM_EINVAL;
	}
	snprintf(data, sizeof(data), "%s/data", old->dir);
	snprintf(log, sizeof(log), "%s/pg_ctl.log", old->dir);
	const char *const stop[] = { "-D", data, "-m", "fast", "-w", "-t", "60", "stop", NULL };
	(void)run_as(old, "pg_ctl", stop, log); /* not running is fine: pg_rewind finishes a crashed one's recovery */
	/* pg_rewind reads primary's files over SQL: the replication role (the server's user) needs these four */
	if (strcmp(srv->pw_name, p->user)) {
		snprintf(sql, sizeof(sql),
			 "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean),"
			 " pg_catalog.pg_stat_file(text, boolean), pg_catalog.pg_read_binary_file(text),"
			 " pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO \"%s\"",
			 srv->pw_name);
		if (admin_exec(p, sql, NULL, 0, err, err_len) < 0)
			return OM_ESTORE_CONN;
	}
	snprintf(src, sizeof(src), "host=%s port=%d user=%s dbname=postgres", p->dir, PG_PORT, srv->pw_name);
	snprintf(log, sizeof(log), "%s/rewind.log", old->dir);
	const char *const rw[] = { "-D", data, "--source-server", src, "-R", NULL };
	if (run_as(old, "pg_rewind", rw, log) != 0) {
		char last[200] = "", line[200];
		FILE *f = fopen(log, "r");
		while (f && fgets(line, sizeof(line), f))
			snprintf(last, sizeof(last), "%.*s", (int)strcspn(line, "\n"), line);
		if (f)
			fclose(f);
		snprintf(err, err_len, "pg_rewind failed (%s), see %s", last, log);
		return OM_ESTORE_CONN;
	}
	/* pg_rewind copied primary's postgresql.conf, which names primary's socket: ours goes after it */
	int rc = append_conf(old) < 0 ? OM_ESTORE_CONN : om_pg_cluster_resume(old, err, err_len);
	if (rc < 0)
		return rc;
	return sync ? om_pg_cluster_sync(p, err, err_len) : 0;
}

/*
 * path's new text, whole or not at all: written to a fresh file beside it
 * (same directory, so the rename is atomic), given path's owner and mode,
 * fsync'd, renamed over path, the directory fsync'd. A crash at any point
 * leaves the old file or the new one, never half of one. 0 or -1 (errno).
 */
static int replace_file(const char *path, const char *head, const char *rest)
{
	char tmp[320], dir[300];
	struct stat st;
	if (stat(path, &st) < 0 || snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -1;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	size_t hn = strlen(head), rn = strlen(rest);
	int ok = write(fd, head, hn) == (ssize_t)hn && write(fd, rest, rn) == (ssize_t)rn &&
		 fchmod(fd, st.st_mode & 07777) == 0 &&
		 (st.st_uid == geteuid() && st.st_gid == getegid() ? 1 : fchown(fd, st.st_uid, st.st_gid) == 0) &&
		 fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok || rename(tmp, path) < 0) {
		e = ok ? errno : e;
		unlink(tmp);
		errno = e;
		return -1;
	}
	/* the rename itself durable: the directory's entry */
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	ok = fsync(dfd) == 0;
	close(dfd);
	return ok ? 0 : -1;
}

/*
 * The daemons' roles log in by password (scram-sha-256) on the socket: a
 * line for the members of om_daemon first in pg_hba.conf (the first line
 * that matches decides), the rest as initdb wrote it (peer for the
 * starter's superuser). Written once, by replace_file (a crash mid-write
 * leaves the old file, not a broken cluster); the server re-reads it on
 * reload.
 */
static int hba_for_daemons(const struct om_pg_cluster *c, char *err, size_t err_len)
{
	static const char line[] = "local all +om_daemon scram-sha-256\n";
	char path[300], old[8192];
	snprintf(path, sizeof(path), "%s/data/pg_hba.conf", c->dir);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(old, 1, sizeof(old) - 1, f) : 0;
	int whole = f && feof(f);
	if (f)
		fclose(f);
	old[n] = '\0';
	if (!whole) {
		snprintf(err, err_len, "%s: cannot read it whole", path);
		return OM_ESTORE;
	}
	if (strstr(old, line))
		return 0;
	/* the new file keeps the old one's owner (the server's user) and mode */
	if (replace_file(path, line, old) < 0) {
		snprintf(err, err_len, "%s: cannot write it: %s", path, strerror(errno));
		return OM_ESTORE;
	}
	/* nor the maintenance databases: a daemon's role reaches its own database and no other */
	int rc = admin_exec(c, "REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC", NULL, 0, err, err_len);
	if (rc == 0)
		rc = admin_exec(c, "REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC", NULL, 0, err, err_len);
	return rc < 0 ? rc : admin_exec(c, "SELECT pg_reload_conf()", NULL, 0, err, err_len);
}

/*
 * 64 hex digits from the RNG, and the passfile line of role db: any
 * database, so that what keeps the role out of another daemon's is the
 * server (CONNECT), not a password libpq does not send.
 */
static int new_passfile(const char *passfile, const char *db, char pw[65], char *err, size_t err_len)
{
	unsigned char r[32];
	char line[160];
	if (RAND_bytes(r, sizeof(r)) != 1) {
		snprintf(err, err_len, "no random bytes for the password");
		return OM_EINVAL;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(pw + 2 * i, 3, "%02x", r[i]);
	OPENSSL_cleanse(r, sizeof(r));
	/* host and port '*': the socket directory is the host, and this file serves one cluster */
	int n = snprintf(line, sizeof(line), "*:*:*:%s:%s\n", db, pw);
	int fd = open(passfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, line, (size_t)n) == n;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	OPENSSL_cleanse(line, sizeof(line));
	if (!ok) {
		int e = errno;
		if (fd >= 0) /* ours, made just now: not left half written */
			unlink(passfile);
		errno = e;
		OPENSSL_cleanse(pw, 65);
		snprintf(err, err_len, "%.200s: cannot create it (it must not exist): %s", passfile, strerror(errno));
		return OM_EINVAL;
	}
	return 0;
}

int om_pg_cluster_createdb_owned(const struct om_pg_cluster *c, const char *db, const char *passfile, char *uri,
				 size_t uri_len, char *err, size_t err_len)
{
	size_t n = strlen(db);
	char admin[400], pw[65] = "", sql[400];
	if (n == 0 || n > 40 || strspn(db, "abcdefghijklmnopqrstuvwxyz0123456789_") != n || !strcmp(db, c->user) ||
	    strchr(passfile, '&') || strchr(passfile, '\'')) {
		snprintf(err, err_len, "database '%.60s' is not [a-z0-9_]{1,40} or is the superuser's, or the passfile has & or '",
			 db);
		return OM_EINVAL;
	}
	if (om_pg_cluster_role_uri(c, db, passfile, uri, uri_len) < 0 || om_pg_cluster_uri(c, NULL, admin, sizeof(admin)) < 0) {
		snprintf(err, err_len, "URI too long");
		return OM_EINVAL;
	}
	int rc = admin_exec(c, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'om_daemon') THEN "
			       "CREATE ROLE om_daemon NOLOGIN; END IF; END $$", NULL, 0, err, err_len);
	if (rc < 0 || (rc = hba_for_daemons(c, err, err_len)) < 0 || (rc = new_passfile(passfile, db, pw, err, err_len)) < 0)
		return rc; /* an existing passfile is not ours to remove */
	/* from here the passfile is ours: every failure removes it, and the role and database made so far */
	int made_role = 0, made_db = 0;
	/* the server gets the SCRAM verifier, never the password (a failed statement is logged whole) */
	PGconn *pc = PQconnectdb(admin);
	char *verifier = PQstatus(pc) == CONNECTION_OK ? PQencryptPasswordConn(pc, pw, db, "scram-sha-256") : NULL;
	OPENSSL_cleanse(pw, sizeof(pw));
	if (!verifier) {
		snprintf(err, err_len, "SCRAM verifier for %s: %s", db, PQerrorMessage(pc));
		PQfinish(pc);
		rc = OM_ESTORE;
		goto fail;
	}
	PQfinish(pc);
	/* db is [a-z0-9_] (checked above); the verifier is base64, '$', ':' and digits */
	snprintf(sql, sizeof(sql), "CREATE ROLE %s LOGIN IN ROLE om_daemon PASSWORD '%s'", db, verifier);
	PQfreemem(verifier);
	if ((rc = admin_exec(c, sql, NULL, 0, err, err_len)) < 0)
		goto fail;
	made_role = 1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER %s", db, db);
	if ((rc = admin_exec(c, sql, NULL, 0, err, err_len)) < 0)
		goto fail;
	made_db = 1;
	snprintf(sql, sizeof(sql), "REVOKE CONNECT, TEMPORARY ON DATABASE %s FROM PUBLIC", db);
	if ((rc = admin_exec(c, sql, NULL, 0, err, err_len)) < 0)
		goto fail;
	/* the role gets in with its passfile once the server has re-read pg_hba.conf (reload is a signal) */
	rc = OM_ESTORE_CONN;
	for (int i = 0; i < 100; i++) {
		PGconn *t = PQconnectdb(uri);
		int ok = PQstatus(t) == CONNECTION_OK;
		if (!ok)
			snprintf(err, err_len, "%s: %s", db, PQerrorMessage(t));
		PQfinish(t);
		if (ok)
			return 0;
		usleep(50 * 1000);
	}
fail:
	/* no partial state: what this call made goes (the first error stays in err) */
	if (unlink(passfile) < 0 && errno != ENOENT)
		fprintf(stderr, "pg_cluster: could not remove %s: %s\n", passfile, strerror(errno));
	char ignored[256];
	if (made_db) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
		(void)admin_exec(c, sql, NULL, 0, ignored, sizeof(ignored));
	}
	if (made_role) {
		snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", db);
		(void)admin_exec(c, sql, NULL, 0, ignored, sizeof(ignored));
	}
	return rc;
}

int om_pg_cluster_exec(const struct om_pg_cluster *c, const char *sql, char *err, size_t err_len)
{
	return admin_exec(c, sql, NULL, 0, err, err_len);
}

int om_pg_cluster_role_kept(const char *uri, const char *other_db, char *err, size_t err_len)
{
	PGconn *pc = PQconnectdb(uri);
	PGresult *r = PQstatus(pc) == CONNECTION_OK
			      ? PQexec(pc, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user")
			      : NULL;
	int plain = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "false");
	if (!plain)
		snprintf(err, err_len, "at its own database: %s", r ? "a superuser" : PQerrorMessage(pc));
	PQclear(r);
	PQfinish(pc);
	if (!plain)
		return OM_ESTORE;
	const char *keys[] = { "dbname", "dbname", NULL }, *vals[] = { uri, other_db, NULL };
	pc = PQconnectdbParams(keys, vals, 1);
	int refused = PQstatus(pc) != CONNECTION_OK && strstr(PQerrorMessage(pc), "permission denied for database");
	if (!refused)
		snprintf(err, err_len, "at %s: %s", other_db, PQstatus(pc) == CONNECTION_OK ? "got in" : PQerrorMessage(pc));
	PQfinish(pc);
	return refused ? 0 : OM_ESTORE;
}
