/* SPDX-License-Identifier: Apache-2.0 */
/*
 * No daemon opens another daemon's store (issue 13; ARCHITECTURE.md
 * "Boundaries"), checked two ways:
 *
 * Code: a daemon reaches a store only through its owner's open call
 * (hss_open, sho_open, drf_open, dpf_open, pva_open: the only way to a
 * handle). Each daemon's program (nm) may define its own and no other's.
 * The DPF links the SHO's and the DRF's client sides (sho/remote.c,
 * drf/remote.c) and must not pull their store code in with them.
 *
 * Configuration: in each daemon's file, of the example deployment in conf/
 * and of the lab (lab_setup's generated files), a database path is only
 * ever the daemon's own `db` key in its own section; no file names another
 * daemon's database or configuration file (the SHO's holds OP); and no key
 * is named for another's store (`drf_db`, `sho_conf`).
 *
 * The lab and the operators' tools: their code reaches the daemons only
 * over their interfaces, the seeding of their stores included (nm -u of
 * every object of the lab, its scenarios' among them, and of the `openmcim`
 * command: no store opening referenced); and running, with every daemon up
 * and seeded, no store file is open in any process but its owner's, the
 * lab's own process included, and none existed before the daemons started:
 * the main topology in this process, and `openmcim lab --scenario
 * distributed-ro` (its extra Registration Operators' ICFs and DRFs, their
 * Cert_TREs in the PVA) watched from outside through /proc while it runs.
 *
 * The database: on PostgreSQL (`lab --store postgres`) each daemon's role
 * is refused by the server at every other daemon's database (permission
 * denied: CONNECT revoked from PUBLIC), at postgres, and without its
 * password file, gets into its own, and every daemon runs on: the server, not only the
 * configurations, keeps them apart.
 *
 * Each rule is also tried against a configuration that breaks it, so the
 * checker cannot pass by seeing nothing.
 */
#define _GNU_SOURCE /* strcasestr */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check.h"
#include "daemon_util.h"
#include "lab_topology.h"

static const char *const daemons[] = { "hss", "sho", "drf", "dpf", "pva", "vno" };
static const char *const owners[] = { "hss", "sho", "drf", "dpf", "pva" }; /* the ones with a store */
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);
	return a >= b && !strcmp(s + a - b, end);
}

/* ---- code ---------------------------------------------------------------------- */

/* Run `nm opt path` and give each line (no newline) and its symbol name to fn. Lines read, or -1. */
static int nm_each(const char *path, const char *opt, void (*fn)(void *ctx, const char *line, const char *name),
		   void *ctx)
{
	char cmd[1200], line[512];
	snprintf(cmd, sizeof(cmd), "nm %s '%s' 2>/dev/null", opt, path);
	FILE *p = popen(cmd, "r");
	int lines = 0;
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		lines++;
		line[strcspn(line, "\n")] = '\0';
		const char *name = strrchr(line, ' ');
		fn(ctx, line, name ? name + 1 : line);
	}
	pclose(p);
	return lines ? lines : -1;
}

struct defines_ctx {
	const char *sym;
	int found;
};

static void defines_line(void *ctx, const char *line, const char *name)
{
	struct defines_ctx *c = ctx;
	if (!strcmp(name, c->sym) && strstr(line, " T "))
		c->found = 1;
}

/* 1 if the program at path defines the function sym (nm: " T sym"). -1 if nm could not read it. */
static int defines(const char *path, const char *sym)
{
	struct defines_ctx c = { sym, 0 };
	return nm_each(path, "--defined-only", defines_line, &c) < 0 ? -1 : c.found;
}

static void no_program_carries_another_store(const char *bin_dir)
{
	char path[800], sym[32];
	for (size_t d = 0; d < N(daemons); d++) {
		snprintf(path, sizeof(path), "%s/openmcim-%s", bin_dir, daemons[d]);
		for (size_t o = 0; o < N(owners); o++) {
			snprintf(sym, sizeof(sym), "%s_open", owners[o]);
			int own = !strcmp(daemons[d], owners[o]);
			int got = defines(path, sym);
			CHECK_MSG(got >= 0, "nm cannot read %s", path);
			if (own)
				CHECK_MSG(got == 1, "%s does not define its own %s (the check would see nothing)", path, sym);
			else
				CHECK_MSG(got == 0, "%s carries %s: it can open the %s's store", path, sym, owners[o]);
		}
	}
}

/* ---- the lab ---------------------------------------------------------------------- */

/* Store openings an object may not reference: the owners' opens and the store layer's own. */
static const char *const store_opens[] = { "hss_open", "sho_open", "drf_open", "dpf_open", "pva_open",
					   "om_store_open", "om_store_open_sqlite", "om_store_open_pg",
					   "om_store_open_schema", "sqlite3_open_v2", "PQconnectdb" };

struct refs_ctx {
	const char *path;
	const char *const *allowed;
	int loud, bad;
};

static void refs_line(void *ctx, const char *line, const char *name)
{
	struct refs_ctx *c = ctx;
	int ok = 1;
	(void)line;
	for (size_t i = 0; i < N(store_opens); i++)
		ok &= strcmp(name, store_opens[i]) != 0;
	for (size_t i = 0; !ok && c->allowed && c->allowed[i]; i++)
		ok = !strcmp(name, c->allowed[i]);
	if (!ok) {
		c->bad++;
		if (c->loud)
			fprintf(stderr, "%s references %s\n", c->path, name);
	}
}

/* How many of store_opens the object at path references (nm -u) outside allowed (NULL-ended); -1 unreadable. */
static int store_refs(const char *path, const char *const *allowed, int loud)
{
	struct refs_ctx c = { path, allowed, loud, 0 };
	return nm_each(path, "--undefined-only", refs_line, &c) < 0 ? -1 : c.bad;
}

/* Every object file (*.o) in dir, each given to fn; how many, or -1 if dir cannot be read. */
static int objects_in(const char *dir, void (*fn)(void *ctx, const char *path, const char *name), void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	char p[1200];
	while (d && (de = readdir(d))) {
		if (!ends_with(de->d_name, ".o"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		fn(ctx, p, de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return d ? n : -1;
}

struct opens_ctx {
	int n_distributed; /* lab_distributed.c.o and lab_case2.c.o seen: the scenario is checked */
};

static void object_opens_no_store(void *ctx, const char *path, const char *name)
{
	struct opens_ctx *c = ctx;
	int got = store_refs(path, NULL, 1);
	CHECK_MSG(got == 0, "%s: %d store openings (-1: unreadable)", path, got);
	c->n_distributed += !strcmp(name, "lab_distributed.c.o") || !strcmp(name, "lab_case2.c.o");
}

/*
 * The lab is an operator with tools, not a daemon: it seeds the stores
 * through the daemons' admin interfaces once they run (lab_seed.c), its
 * scenarios' extra operators too (lab_distributed.c, lab_case2.c), checks
 * its results and adds its owners over the DPFs' status, the SHOs' admin
 * and the HSSs' provisioning sockets. None of its objects references a
 * store opening, nor does any of the `openmcim` command's (the operators'
 * tools: each daemon's admin socket, never its files). Issue 13: the
 * seeding opened the ICF's, PVA's and DRFs' stores before their first
 * start, in lab_topology.c and then in lab_distributed.c.
 */
static void lab_code_opens_no_store(const char *bin_dir)
{
	char path[900];
	struct opens_ctx c = { 0 };
	snprintf(path, sizeof(path), "%s/CMakeFiles/om_lab.dir/lab", bin_dir);
	int n = objects_in(path, object_opens_no_store, &c);
	CHECK_MSG(n >= 12, "%s: %d lab objects", path, n);
	CHECK_INT(c.n_distributed, 2);
	snprintf(path, sizeof(path), "%s/CMakeFiles/openmcim-cli.dir/tools/openmcim", bin_dir);
	n = objects_in(path, object_opens_no_store, &c);
	CHECK_MSG(n >= 10, "%s: %d tool objects", path, n);
	/* the checker sees an opening when there is one: the DRF daemon's own */
	snprintf(path, sizeof(path), "%s/CMakeFiles/openmcim-drf.dir/drf/main.c.o", bin_dir);
	CHECK_INT(store_refs(path, NULL, 0), 1);
	static const char *const drf_own[] = { "drf_open", NULL };
	CHECK_INT(store_refs(path, drf_own, 1), 0);
}

/* ---- configuration --------------------------------------------------------------- */

struct entry {
	char section[48], key[48], value[600];
};

struct file {
	char path[800];
	char daemon[8]; /* whose file: its first section ([sho] for the SHO's) */
	struct entry e[160];
	size_t n;
};

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Read an INI file as svc/conf.h does (comments '#' or ';'). 0, or -1 when it cannot be read. */
static int file_read(struct file *f, const char *path)
{
	char line[1024], section[48] = "";
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	FILE *in = fopen(path, "r");
	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		char *s = trim(line), *eq;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(s + 1, "]"), s + 1);
			if (!f->daemon[0])
				snprintf(f->daemon, sizeof(f->daemon), "%.7s", section);
			continue;
		}
		if (!(eq = strchr(s, '=')) || f->n == N(f->e))
			continue;
		*eq = '\0';
		struct entry *e = &f->e[f->n++];
		snprintf(e->section, sizeof(e->section), "%s", section);
		snprintf(e->key, sizeof(e->key), "%s", trim(s));
		snprintf(e->value, sizeof(e->value), "%s", trim(eq + 1));
	}
	fclose(in);
	return 0;
}

static int is_own_db(const struct file *f, const struct entry *e)
{
	return !strcmp(e->key, "db") && !strcmp(e->section, f->daemon);
}

/*
 * The rules over one deployment's files. Returns the number of breaches,
 * each described on stderr when loud.
 */
static int breaches(const struct file *fs, size_t n, int loud)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct file *f = &fs[i];
		for (size_t k = 0; k < f->n; k++) {
			const struct entry *e = &f->e[k];
			int why = 0;
			if (ends_with(e->key, "_db") || !strcmp(e->key, "sho_conf"))
				why = 1; /* a key for another daemon's store */
			else if ((strstr(e->value, ".db") || strstr(e->value, "postgresql:")) && !is_own_db(f, e))
				why = 2; /* a database that is not this daemon's own db */
			for (size_t j = 0; j < n && !why; j++) {
				if (j == i)
					continue;
				/* another daemon's database or configuration file, named here */
				if (!strcmp(e->value, fs[j].path) || !strcmp(strrchr(fs[j].path, '/') + 1, e->value))
					why = 3;
				for (size_t m = 0; m < fs[j].n && !why; m++)
					if (is_own_db(&fs[j], &fs[j].e[m]) && strstr(e->value, fs[j].e[m].value))
						why = 4;
			}
			if (why) {
				bad++;
				if (loud)
					fprintf(stderr, "%s: [%s] %s = %s: %s\n", f->path, e->section, e->key, e->value,
						why == 1   ? "a key for another daemon's store"
						: why == 2 ? "a database that is not this daemon's own db"
						: why == 3 ? "names another daemon's configuration file"
							   : "names another daemon's database");
			}
		}
	}
	return bad;
}

/* Every *suffix file in dir that is a daemon's configuration (its first section one of daemons[]). */
static size_t read_dir(const char *dir, const char *suffix, struct file *fs, size_t cap)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	CHECK_MSG(d != NULL, "cannot read %s", dir);
	while (d && (de = readdir(d)) && n < cap) {
		char p[800];
		if (!ends_with(de->d_name, suffix))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (file_read(&fs[n], p) < 0)
			continue;
		for (size_t k = 0; k < N(daemons); k++)
			if (!strcmp(fs[n].daemon, daemons[k])) {
				n++;
				break;
			}
	}
	if (d)
		closedir(d);
	return n;
}

static struct file fs[24];

static void example_deployment_keeps_to_its_own(const char *src)
{
	char dir[700];
	snprintf(dir, sizeof(dir), "%s/conf", src);
	size_t n = read_dir(dir, ".conf.example", fs, N(fs));
	CHECK_MSG(n >= 5, "conf/: %zu daemon configurations (hss, sho, drf, dpf, pva at least)", n);
	CHECK_INT(breaches(fs, n, 1), 0);

	/* the checker sees a breach when there is one: the DPF given the DRF's register, then the SHO's file */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fs[i].daemon, "dpf") && fs[i].n + 2 <= N(fs[i].e)) {
			struct entry *e = &fs[i].e[fs[i].n++];
			snprintf(e->section, sizeof(e->section), "dpf");
			snprintf(e->key, sizeof(e->key), "drf_db");
			snprintf(e->value, sizeof(e->value), "/var/lib/openmcim/drf.db");
			CHECK_INT(breaches(fs, n, 0), 1);
			snprintf(e->key, sizeof(e->key), "service");
			snprintf(e->value, sizeof(e->value), "sho.conf.example");
			CHECK_INT(breaches(fs, n, 0), 1);
			fs[i].n--;
		}
}

/* ---- the running lab: who holds which store file ---------------------------------- */

/* 1 if name (a file in the lab's directory) is a SQLite store or one of its side files. */
static int is_store_file(const char *name)
{
	return strstr(name, ".db") != NULL;
}

/* Store files directly in dir. */
static int store_files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d)))
		n += is_store_file(de->d_name);
	if (d)
		closedir(d);
	return d ? n : -1;
}

/*
 * The store files of dir that process pid holds open (/proc/pid/fd): *own
 * counts those of the daemon named own (<own>.db and its -wal, -shm; own
 * NULL: none is), the return value the others, each on stderr when loud;
 * -1 if pid's descriptors cannot be read (it is gone).
 */
static int foreign_stores_open(pid_t pid, const char *dir, const char *own, int *own_n, int loud)
{
	char fdir[64], p[PATH_MAX + 64], target[PATH_MAX], mine[PATH_MAX];
	size_t dl = strlen(dir);
	int bad = 0;
	snprintf(fdir, sizeof(fdir), "/proc/%ld/fd", (long)pid);
	snprintf(mine, sizeof(mine), "%s/%s.db", dir, own ? own : "");
	*own_n = 0;
	DIR *d = opendir(fdir);
	struct dirent *de;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", fdir, de->d_name);
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, dl) || target[dl] != '/' || strchr(target + dl + 1, '/') ||
		    !is_store_file(target + dl + 1))
			continue;
		if (own && !strncmp(target, mine, strlen(mine))) {
			(*own_n)++;
		} else {
			bad++;
			if (loud)
				fprintf(stderr, "pid %ld (%s) holds %s\n", (long)pid, own ? own : "the lab", target);
		}
	}
	closedir(d);
	return bad;
}

/*
 * The lab started and seeded: every daemon holds its own store and no
 * other's, the lab's process none, and no store existed before the daemons
 * made theirs (lab_setup opens none).
 */
static void running_lab_keeps_to_its_own(struct lab *l)
{
	char why[512];
	int own = 0;
	CHECK_INT(store_files_in(l->dir), 0);
	int rc = lab_start(l, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_start: %s", why);
	if (rc < 0)
		return;
	CHECK_MSG(store_files_in(l->dir) >= 12, "%d store files", store_files_in(l->dir));
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		const char *name = lab_daemon_name((enum lab_daemon)d);
		pid_t pid = lab_daemon_pid(l, (enum lab_daemon)d);
		CHECK_MSG(pid > 0, "%s not running", name);
		CHECK_INT(foreign_stores_open(pid, l->dir, name, &own, 1), 0);
		if (d != LAB_D_VNO) /* the VNO keeps nothing */
			CHECK_MSG(own >= 1, "%s holds no store of its own (the check would see nothing)", name);
	}
	CHECK_INT(foreign_stores_open(getpid(), l->dir, NULL, &own, 1), 0);
	/* the checker sees a store held by the wrong process: the ICF's, claimed for the RO's DRF */
	CHECK(foreign_stores_open(lab_daemon_pid(l, LAB_D_RO_HSS), l->dir, "ro-drf", &own, 0) >= 1);
	/* and the seeding went through: the ICF answers for the device's PCID */
	CHECK_INT(lab_hss_has(l, LAB_RO, "001010000000001"), 1);
}

static void lab_deployment_keeps_to_its_own(const char *bin_dir)
{
	char dir[] = "/tmp/om-boundary-XXXXXX", why[512], cmd[600];
	struct lab l;
	CHECK(mkdtemp(dir) != NULL);
	struct lab_options opt = { .workdir = dir, .bin_dir = bin_dir, .n_devices = 1, .seed = 3, .grace_s = 2,
				   .fallback_s = 10 };
	int rc = lab_setup(&l, &opt, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_setup: %s", why);
	if (rc == 0) {
		size_t n = read_dir(dir, ".conf", fs, N(fs));
		CHECK_MSG(n >= 12, "the lab wrote %zu daemon configurations", n);
		CHECK_INT(breaches(fs, n, 1), 0);
		running_lab_keeps_to_its_own(&l);
		CHECK_INT(lab_stop(&l), 0);
	}
	lab_free(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

/* ---- on PostgreSQL: the server keeps each daemon's role out of the others' databases ---------- */

/* Connect with uri: to database db instead of its own when db is set, with no password file when nopass; "" or libpq's error. */
static void try_connect(const char *uri, const char *db, int nopass, char *err, size_t err_len)
{
	const char *keys[] = { "dbname", db ? "dbname" : "passfile", NULL };
	const char *vals[] = { uri, db ? db : "/nonexistent/pgpass", NULL };
	if (!db && !nopass)
		keys[1] = NULL;
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c) == CONNECTION_OK)
		*err = '\0';
	else
		snprintf(err, err_len, "%s", PQerrorMessage(c));
	PQfinish(c);
}

static void pg_lab_roles_keep_to_their_own(const char *bin_dir)
{
	char dir[] = "/tmp/om-boundary-pg-XXXXXX", why[512], cmd[600], err[512];
	char uri[LAB_N_DAEMONS][LAB_PATH_MAX + 200], db[LAB_N_DAEMONS][32];
	struct lab l;
	CHECK(mkdtemp(dir) != NULL);
	struct lab_options opt = { .workdir = dir, .bin_dir = bin_dir, .n_devices = 1, .seed = 3, .grace_s = 2,
				   .fallback_s = 10, .store_pg = 1 };
	int rc = lab_setup(&l, &opt, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_setup: %s", why);
	if (rc == 0 && (rc = lab_start(&l, why, sizeof(why))) < 0)
		CHECK_MSG(0, "lab_start: %s", why);
	unsigned refused = 0, own = 0;
	for (int a = 0; rc == 0 && a < LAB_N_DAEMONS; a++) {
		if (a == LAB_D_VNO)
			continue;
		lab_db(&l, (enum lab_daemon)a, uri[a], sizeof(uri[a]));
		CHECK_MSG(strstr(uri[a], "user=") && strstr(uri[a], "passfile=") && !strstr(uri[a], "password"),
			  "%s: %s", lab_daemon_name((enum lab_daemon)a), uri[a]);
		const char *d = strstr(uri[a], ":///");
		snprintf(db[a], sizeof(db[a]), "%.*s", d ? (int)strcspn(d + 4, "?") : 0, d ? d + 4 : "");
	}
	for (int a = 0; rc == 0 && a < LAB_N_DAEMONS; a++) {
		if (a == LAB_D_VNO)
			continue;
		const char *name = lab_daemon_name((enum lab_daemon)a);
		try_connect(uri[a], NULL, 0, err, sizeof(err));
		CHECK_MSG(!*err, "%s's role at its own database: %s", name, err);
		own += !*err;
		try_connect(uri[a], NULL, 1, err, sizeof(err));
		CHECK_MSG(strstr(err, "password"), "%s's role without its password file: '%s'", name, err);
		try_connect(uri[a], "postgres", 0, err, sizeof(err));
		CHECK_MSG(strstr(err, "permission denied for database"), "%s's role at postgres: '%s'", name, err);
		for (int b = 0; b < LAB_N_DAEMONS; b++) {
			if (b == a || b == LAB_D_VNO)
				continue;
			try_connect(uri[a], db[b], 0, err, sizeof(err));
			CHECK_MSG(strstr(err, "permission denied for database"), "%s's role at %s: '%s'", name, db[b],
				  err);
			refused += strstr(err, "permission denied for database") != NULL;
		}
	}
	printf("postgresql: %u roles in their own database, %u connections to another's refused\n", own, refused);
	/* the running daemons' sessions, as the server sees them: each database's only as its own role */
	if (rc == 0) {
		char admin[LAB_PATH_MAX + 100];
		const char *h = strstr(uri[LAB_D_PVA], "?host=");
		snprintf(admin, sizeof(admin), "postgresql:///postgres%.*s", h ? (int)strcspn(h, "&") : 0, h ? h : "");
		PGconn *pc = PQconnectdb(admin);
		PGresult *r = PQexec(pc, "SELECT datname, usename, count(*) FROM pg_stat_activity WHERE backend_type = "
					 "'client backend' AND datname <> 'postgres' GROUP BY 1, 2 ORDER BY 1, 2");
		int rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : -1;
		CHECK_MSG(rows >= 16, "%d (database, role) sessions seen: %s", rows, PQerrorMessage(pc));
		for (int i = 0; i < rows; i++)
			CHECK_MSG(!strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)), "database %s has a session of role %s",
				  PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
		printf("postgresql: %d databases in use, each by its own role only\n", rows);
		PQclear(r);
		PQfinish(pc);
	}
	for (int d = 0; rc == 0 && d < LAB_N_DAEMONS; d++) {
		pid_t pid = lab_daemon_pid(&l, (enum lab_daemon)d);
		CHECK_MSG(pid > 0 && kill(pid, 0) == 0, "%s not running", lab_daemon_name((enum lab_daemon)d));
	}
	if (rc == 0)
		CHECK_INT(lab_hss_has(&l, LAB_RO, "001010000000001"), 1);
	CHECK_INT(lab_stop(&l), 0);
	lab_free(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

/* ---- the distributed registration service, running: watched from outside ---------- */

/* The stem of the configuration pid runs (`openmcim-X -c DIR/STEM.conf`, as lab_spawn starts a daemon), or "". */
static void conf_stem(pid_t pid, char *stem, size_t cap)
{
	char p[64], buf[4096];
	stem[0] = '\0';
	snprintf(p, sizeof(p), "/proc/%ld/cmdline", (long)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, "-c") && i + 3 < n) {
			const char *conf = buf + i + 3, *base = strrchr(conf, '/');
			base = base ? base + 1 : conf;
			if (ends_with(base, ".conf"))
				snprintf(stem, cap, "%.*s", (int)(strlen(base) - 5), base);
			return;
		}
}

/* What a watch of a running lab saw. */
struct watch {
	const char *dir;    /* the lab's work directory */
	int foreign;        /* store files held by a process that does not own them */
	int early;          /* looks at which store files existed and no daemon ran yet */
	int daemon_seen;    /* a daemon (a child running a configuration) was seen */
	unsigned looks;
	char own[32][64];   /* each daemon seen holding its own store */
	size_t n_own;
};

/*
 * One look at the lab process lab and its children: each child's store
 * files against its configuration's stem (a child with none may hold
 * none), the lab's own process none; and whether any store file exists
 * before the first daemon (the old seeding opened the extra ROs' stores then).
 */
static void watch_once(pid_t lab, struct watch *w)
{
	char stem[64];
	int own = 0, files = store_files_in(w->dir), running = 0;
	DIR *proc = opendir("/proc");
	struct dirent *de;
	while (proc && (de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || du_parent((pid_t)pid) != lab)
			continue;
		conf_stem((pid_t)pid, stem, sizeof(stem));
		running += stem[0] != '\0';
		int bad = foreign_stores_open((pid_t)pid, w->dir, stem[0] ? stem : NULL, &own, 1);
		if (bad > 0)
			w->foreign += bad;
		size_t k = 0;
		while (k < w->n_own && strcmp(w->own[k], stem))
			k++;
		if (bad >= 0 && own > 0 && k == w->n_own && k < sizeof(w->own) / sizeof(w->own[0]))
			snprintf(w->own[w->n_own++], sizeof(w->own[0]), "%s", stem);
	}
	if (proc)
		closedir(proc);
	int bad = foreign_stores_open(lab, w->dir, NULL, &own, 1);
	if (bad > 0)
		w->foreign += bad;
	w->daemon_seen |= running > 0;
	if (!w->daemon_seen && files > 0) {
		w->early++;
		fprintf(stderr, "%d store file(s) in %s and no daemon running\n", files, w->dir);
	}
	w->looks++;
}

static int watched_own(const struct watch *w, const char *stem)
{
	for (size_t k = 0; k < w->n_own; k++)
		if (!strcmp(w->own[k], stem))
			return 1;
	return 0;
}

/*
 * `openmcim lab --scenario distributed-ro`, one device per Registration
 * Operator, looked at every 50 ms from its setup to its end: no process
 * but a store's owner holds it, the lab's own process none, no store file
 * before the daemons run; each extra RO's ICF and DRF seen holding its own
 * store, so the look saw them. (Case 2, on PostgreSQL, is held by the
 * static check: its stores are the cluster's files, which the server holds.)
 */
static void distributed_lab_keeps_to_its_own(const char *cli)
{
	char dir[] = "/tmp/om-boundary-dro-XXXXXX", work[200], out[240], cmd[300];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(work, sizeof(work), "%s/lab", dir);
	snprintf(out, sizeof(out), "%s/out.txt", dir);
	struct watch w = { .dir = work };

	/* the watch sees what it looks for: a store file open in a process and no daemon yet */
	char stray[260];
	snprintf(stray, sizeof(stray), "%s/stray.db", dir);
	int fd = open(stray, O_CREAT | O_RDWR, 0600);
	struct watch control = { .dir = dir };
	watch_once(getpid(), &control);
	CHECK_INT(control.foreign, 1);
	CHECK_INT(control.early, 1);
	if (fd >= 0)
		close(fd);
	unlink(stray);

	pid_t lab = fork();
	if (lab == 0) {
		int o = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (o >= 0) {
			dup2(o, 1);
			dup2(o, 2);
		}
		execl(cli, cli, "lab", "--scenario", "distributed-ro", "--devices", "3", "--seed", "3", "--jobs", "3",
		      "--workdir", work, (char *)NULL);
		_exit(127);
	}
	CHECK(lab > 0);
	int st = -1;
	time_t until = time(NULL) + 400;
	while (lab > 0 && waitpid(lab, &st, WNOHANG) == 0) {
		watch_once(lab, &w);
		if (time(NULL) > until) {
			kill(lab, SIGTERM);
			CHECK_MSG(0, "the distributed lab ran over 400 s");
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
	char *text = (char *)check_slurp(out, NULL);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d:\n%s", st, text ? text : "");
	CHECK(text && strstr(text, "every device is where it should be"));
	free(text);
	printf("distributed-ro watched: %u looks, %zu daemons seen holding their own store\n", w.looks, w.n_own);
	CHECK_INT(w.foreign, 0);
	CHECK_INT(w.early, 0);
	CHECK(w.looks >= 20);
	static const char *const must[] = { "ro-hss", "ro-drf", "pva", "ro-2-hss", "ro-2-drf", "ro-3-hss", "ro-3-drf" };
	for (size_t i = 0; i < N(must); i++)
		CHECK_MSG(watched_own(&w, must[i]), "%s never seen holding its own store (the look would see nothing)",
			  must[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	const char *cli = getenv("OM_CLI"), *src = getenv("OM_SOURCE_DIR");
	char bin_dir[600];
	CHECK_MSG(cli && src, "OM_CLI and OM_SOURCE_DIR not set (run through ctest)");
	if (!cli || !src)
		return check_done();
	snprintf(bin_dir, sizeof(bin_dir), "%s", cli);
	*strrchr(bin_dir, '/') = '\0';
	no_program_carries_another_store(bin_dir);
	lab_code_opens_no_store(bin_dir);
	example_deployment_keeps_to_its_own(src);
	lab_deployment_keeps_to_its_own(bin_dir);
	pg_lab_roles_keep_to_their_own(bin_dir);
	distributed_lab_keeps_to_its_own(cli);
	return check_done();
}
