/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 15 "Must show": `cmake --install` of this build into a staging
 * directory (DESTDIR), then, from the staged tree only:
 *  - every program, configuration, systemd unit, the sysusers file, the
 *    libraries, headers and pkg-config file are where docs/operate.md says;
 *  - `systemd-analyze verify` passes on the staged units without a single
 *    message (their ExecStart moved into the stage, the binaries being
 *    there); the same check fails on a unit with a misspelt hardening key,
 *    so it can fail;
 *  - the staged HSS checks and runs on the staged hss.conf (its /etc, /var
 *    and /run moved into the stage, the port a free one, S6a in clear TCP
 *    as the file's own `tls = off` line offers), the staged
 *    `openmcim hss-admin` provisions a subscriber through its socket, and
 *    SIGTERM ends it cleanly;
 *  - every staged unit's RuntimeDirectory is openmcim/<nf> and its
 *    RuntimeDirectoryMode, given to a directory, is one the daemons' socket
 *    code accepts (svc/admin_socket.c: 0700, ours); every socket path a
 *    staged configuration names under /run/openmcim is one that the owning
 *    daemon's own configuration listens on (a client and its server name the
 *    same file);
 *  - the staged `openmcim lab` starts one operator's network functions and
 *    the others from the staged programs and provisions a device end to end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_socket.h"
#include "check.h"
#include "daemon_util.h"
#include "install_kit.h"

static const char *const daemons[] = { "hss", "pva", "sho", "drf", "dpf", "vno", "aas" };
#define N_DAEMONS (sizeof(daemons) / sizeof(daemons[0]))

static char stage[] = "/tmp/om_install_test_XXXXXX";
static char build_dir[4096];
/* where the installed files are, as `cmake --install` printed them (prefix-free paths) */
static char bin_dir[1024], conf_dir[1024], unit_dir[1024];

static int is_file(const char *path, mode_t want_any)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (!want_any || (st.st_mode & want_any));
}

static void staged(char *out, size_t cap, const char *dir, const char *name)
{
	ik_staged(out, cap, stage, dir, name);
}

static void install_into_stage(void)
{
	static char out[1 << 16];
	struct ik_tree t;
	int st = ik_install(build_dir, stage, &t, out, sizeof(out));
	CHECK_MSG(st == 0, "cmake --install: %d %.2000s", st, out);
	snprintf(bin_dir, sizeof(bin_dir), "%s", t.bin);
	snprintf(conf_dir, sizeof(conf_dir), "%s", t.conf);
	snprintf(unit_dir, sizeof(unit_dir), "%s", t.unit);
	CHECK_MSG(bin_dir[0] && conf_dir[0] && unit_dir[0], "bin %s conf %s units %s", bin_dir, conf_dir, unit_dir);
	CHECK_MSG(!strcmp(conf_dir + strlen(conf_dir) - 9, "/openmcim"), "configurations in %s", conf_dir);

	char p[4096], name[64];
	for (size_t i = 0; i < N_DAEMONS; i++) {
		snprintf(name, sizeof(name), "openmcim-%s", daemons[i]);
		staged(p, sizeof(p), bin_dir, name);
		CHECK_MSG(is_file(p, S_IXUSR), "%s", p);
		snprintf(name, sizeof(name), "%s.conf", daemons[i]);
		staged(p, sizeof(p), conf_dir, name);
		CHECK_MSG(is_file(p, 0), "%s", p);
		snprintf(name, sizeof(name), "openmcim-%s.service", daemons[i]);
		staged(p, sizeof(p), unit_dir, name);
		CHECK_MSG(is_file(p, 0), "%s", p);
		/* each daemon's manual page (issue 15: lintian's no-manual-page) */
		snprintf(name, sizeof(name), "/share/man/man8/openmcim-%s.8", daemons[i]);
		CHECK_MSG(strstr(out, name) != NULL, "no %s in the install", name);
	}
	static const char *const device[] = { "openmcim", "openmcim-agent" };
	for (size_t i = 0; i < 2; i++) {
		staged(p, sizeof(p), bin_dir, device[i]);
		CHECK_MSG(is_file(p, S_IXUSR), "%s", p);
	}
	CHECK_MSG(strstr(out, "/lib/sysusers.d/openmcim.conf") && strstr(out, "/include/openmcim/milenage.h") &&
			  strstr(out, "/libopenmcim.a") && strstr(out, "/pkgconfig/openmcim.pc") &&
			  strstr(out, "/openmcim/agent.conf") && strstr(out, "/share/man/man1/openmcim.1") &&
			  strstr(out, "/share/man/man8/openmcim-agent.8"),
		  "a part is missing from the install:\n%.3000s", out);
}

/* The staged units, ExecStart pointing into the stage, verified: no message at all. */
static void systemd_analyze_verifies_the_units(void)
{
	char dir[4200], src[4200], dst[4400], out[8192], from[1100], to[2200];
	snprintf(dir, sizeof(dir), "%s/verify", stage);
	CHECK(mkdir(dir, 0700) == 0);
	snprintf(from, sizeof(from), "%s/", bin_dir);
	snprintf(to, sizeof(to), "%s%s/", stage, bin_dir);
	const char *argv[N_DAEMONS + 3] = { "systemd-analyze", "verify" };
	static char units[N_DAEMONS + 1][4400];
	for (size_t i = 0; i <= N_DAEMONS; i++) {
		const char *nf = i < N_DAEMONS ? daemons[i] : "hss";
		char name[64];
		snprintf(name, sizeof(name), "openmcim-%s.service", nf);
		staged(src, sizeof(src), unit_dir, name);
		size_t len = 0;
		char *text = (char *)check_slurp(src, &len);
		CHECK_MSG(text != NULL, "%s", src);
		if (!text)
			return;
		/* the last one: the HSS's unit with a misspelt key, which must not pass */
		if (i == N_DAEMONS) {
			char *k = strstr(text, "NoNewPrivileges=");
			CHECK(k != NULL);
			if (k)
				memcpy(k, "NoNewPrivilege_=", 16);
			snprintf(dst, sizeof(dst), "%s/openmcim-typo.service", dir);
		} else {
			snprintf(dst, sizeof(dst), "%s/%s", dir, name);
		}
		FILE *f = fopen(dst, "w");
		CHECK(f != NULL);
		for (char *p = text; f && *p;) {
			char *hit = strstr(p, from);
			if (!hit) {
				fputs(p, f);
				break;
			}
			fwrite(p, 1, (size_t)(hit - p), f);
			fputs(to, f);
			p = hit + strlen(from);
		}
		if (f)
			fclose(f);
		free(text);
		snprintf(units[i], sizeof(units[i]), "%s", dst);
	}
	for (size_t i = 0; i < N_DAEMONS; i++)
		argv[2 + i] = units[i];
	argv[2 + N_DAEMONS] = NULL;
	int st = du_run(argv, 1, out, sizeof(out));
	CHECK_MSG(st == 0 && out[0] == '\0', "systemd-analyze verify: %d\n%s", st, out);
	const char *typo[] = { "systemd-analyze", "verify", units[N_DAEMONS], NULL };
	st = du_run(typo, 1, out, sizeof(out));
	CHECK_MSG(strstr(out, "Unknown key 'NoNewPrivilege_'") != NULL, "the misspelt key passed: %d %s", st, out);
}

/* The value of the unit's line that starts with key (key ends in "="), or NULL. */
static const char *unit_value(const char *text, const char *key, char *out, size_t cap)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, strlen(key)))
			continue;
		const char *v = l + strlen(key), *end = strchr(v, '\n');
		snprintf(out, cap, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
		return out;
	}
	return NULL;
}

static int no_admin(void *arg, char *line, om_admin_emit emit, void *emit_ctx, char *why, size_t why_len)
{
	(void)arg, (void)line, (void)emit, (void)emit_ctx;
	snprintf(why, why_len, "no commands");
	return -1;
}

/*
 * Each unit's run directory as systemd makes it (RuntimeDirectoryMode=, owned
 * by the unit's user: here the test's) must take the daemon's socket; a mode
 * of 0750 made every socket daemon refuse to start under systemd.
 */
static void units_run_directory_takes_the_sockets(void)
{
	char p[4400], val[64], want[64], dir[4400], sock[4500], err[512];
	for (size_t i = 0; i < N_DAEMONS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "openmcim-%s.service", daemons[i]);
		staged(p, sizeof(p), unit_dir, name);
		size_t len = 0;
		char *text = (char *)check_slurp(p, &len);
		CHECK_MSG(text != NULL, "%s", p);
		if (!text)
			continue;
		snprintf(want, sizeof(want), "openmcim/%s", daemons[i]);
		CHECK_MSG(unit_value(text, "RuntimeDirectory=", val, sizeof(val)) && !strcmp(val, want),
			  "%s: RuntimeDirectory is not %s", name, want);
		const char *mode = unit_value(text, "RuntimeDirectoryMode=", val, sizeof(val));
		free(text);
		CHECK_MSG(mode != NULL, "%s: no RuntimeDirectoryMode", name);
		if (!mode)
			continue;
		snprintf(dir, sizeof(dir), "%s/rundir-%s", stage, daemons[i]);
		CHECK(mkdir(dir, 0700) == 0 && chmod(dir, (mode_t)strtol(mode, NULL, 8)) == 0);
		snprintf(sock, sizeof(sock), "%s/x.sock", dir);
		struct om_admin_socket_opts o = { .what = "admin", .log_prefix = "install-test", .exec = no_admin };
		struct om_admin_socket *s = NULL;
		int rc = om_admin_socket_start(&s, &o, sock, err, sizeof(err));
		CHECK_MSG(rc == 0, "%s: RuntimeDirectoryMode=%s refused by the socket code: %s", name, mode, err);
		om_admin_socket_stop(s);
	}
}

/* The path after "= " on a line naming a socket under run (commented out or not), or NULL. */
static const char *socket_on_line(const char *line, size_t len, const char *run, char *out, size_t cap)
{
	const char *eq = memchr(line, '=', len), *at = eq ? strstr(eq, run) : NULL;
	if (!at || at > line + len)
		return NULL;
	snprintf(out, cap, "%.*s", (int)(line + len - at), at);
	return strstr(out, ".sock") ? out : NULL;
}

/* 1 if text has an uncommented line "KEY = path" for some key. */
static int listens_on(const char *text, const char *path)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n'), *eq = strstr(l, " = ");
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (*l == '#' || !eq || eq > l + len)
			continue;
		if (len - (size_t)(eq + 3 - l) == strlen(path) && !strncmp(eq + 3, path, strlen(path)))
			return 1;
	}
	return 0;
}

/*
 * Every socket a staged configuration names under /run/openmcim (its own or a
 * peer's, commented out or not) is /run/openmcim/<nf>/NAME.sock, in the run
 * directory of nf's unit, and nf's own configuration listens on that very
 * path: a client configured from the examples reaches its server.
 */
static void configurations_agree_on_socket_names(void)
{
	static char *texts[N_DAEMONS];
	char p[4400], path[512];
	for (size_t i = 0; i < N_DAEMONS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s.conf", daemons[i]);
		staged(p, sizeof(p), conf_dir, name);
		size_t len = 0;
		texts[i] = (char *)check_slurp(p, &len);
		CHECK_MSG(texts[i] != NULL, "%s", p);
	}
	int seen = 0;
	for (size_t i = 0; i < N_DAEMONS; i++) {
		for (const char *l = texts[i]; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			const char *end = strchr(l, '\n');
			size_t len = end ? (size_t)(end - l) : strlen(l);
			if (!socket_on_line(l, len, "/run/openmcim", path, sizeof(path)))
				continue;
			seen++;
			size_t owner = N_DAEMONS;
			for (size_t j = 0; j < N_DAEMONS; j++) {
				char prefix[64];
				snprintf(prefix, sizeof(prefix), "/run/openmcim/%s/", daemons[j]);
				if (!strncmp(path, prefix, strlen(prefix)) && !strchr(path + strlen(prefix), '/'))
					owner = j;
			}
			CHECK_MSG(owner < N_DAEMONS, "%s.conf names %s, outside every unit's run directory", daemons[i],
				  path);
			if (owner < N_DAEMONS && texts[owner])
				CHECK_MSG(listens_on(texts[owner], path), "%s.conf names %s, which %s.conf does not listen on",
					  daemons[i], path, daemons[owner]);
		}
	}
	/* hss, pva, drf, sho listen; sho, drf and dpf name their peers' */
	CHECK_MSG(seen >= 8, "only %d socket lines in the configurations", seen);
	for (size_t i = 0; i < N_DAEMONS; i++)
		free(texts[i]);
}

static void staged_hss_runs_on_the_staged_configuration(void)
{
	char conf[4400], etc[4200], run[4200], port_line[64], exe[4200], cli[4200], log[4200],
		sock[4400], out[4096];
	unsigned port = du_free_port();
	CHECK(port > 0);
	staged(conf, sizeof(conf), conf_dir, "hss.conf");
	/* /etc, /var/lib and /run of the configuration, inside the stage */
	snprintf(etc, sizeof(etc), "%s%s", stage, conf_dir);
	snprintf(run, sizeof(run), "%s/run/openmcim", stage);
	snprintf(port_line, sizeof(port_line), "port = %u\n", port);
	char state_dir[1100];
	/* the state directory the install wrote into the configuration: its db line's directory */
	size_t len = 0;
	char *text = (char *)check_slurp(conf, &len);
	char *db = text ? strstr(text, "\ndb = ") : NULL;
	CHECK_MSG(db != NULL, "no db line in %s", conf);
	if (!db) {
		free(text);
		return;
	}
	db += 6;
	char *slash = strstr(db, "/hss.db");
	snprintf(state_dir, sizeof(state_dir), "%.*s", (int)(slash ? slash - db : 0), db);
	free(text);
	char cmd_dirs[4400];
	snprintf(cmd_dirs, sizeof(cmd_dirs), "%s%s", stage, state_dir);
	const char *mk[] = { "mkdir", "-p", cmd_dirs, run, NULL };
	CHECK(du_run(mk, 1, out, sizeof(out)) == 0);
	const char *const pairs[][2] = {
		{ state_dir, cmd_dirs },
		{ "/run/openmcim", run },
		{ "port = 3868\n", port_line },
		/* S6a in clear on loopback: the test has no operator's Diameter certificates */
		{ "#tls = off\n", "tls = off\n" },
		{ "\ntls_cert = ", "\n#tls_cert = " },
		{ "\ntls_key = ", "\n#tls_key = " },
		{ "\ntls_ca = ", "\n#tls_ca = " },
	};
	snprintf(conf, sizeof(conf), "%s/hss.conf", etc);
	char moved[4400];
	snprintf(moved, sizeof(moved), "%s/hss-staged.conf", stage);
	CHECK(ik_relocate(conf, moved, pairs, sizeof(pairs) / sizeof(pairs[0])) == 0);

	staged(exe, sizeof(exe), bin_dir, "openmcim-hss");
	staged(cli, sizeof(cli), bin_dir, "openmcim");
	const char *check[] = { exe, "--check-config", "-c", moved, NULL };
	int st = du_run(check, 1, out, sizeof(out));
	CHECK_MSG(st == 0 && strstr(out, ": ok"), "installed HSS --check-config: %d %s", st, out);

	snprintf(log, sizeof(log), "%s/hss.log", stage);
	pid_t pid = du_spawn_daemon(exe, moved, log, 0);
	char *l = du_wait_log(log, " started ", 20000);
	CHECK_MSG(l != NULL, "the installed HSS did not start (see %s)", log);
	free(l);
	snprintf(sock, sizeof(sock), "%s/hss/provision.sock", run);
	const char *add[] = { cli, "hss-admin", "--socket", sock, "add", "001010000000888",
			      "k=465b5ce8b199b49faa5f0a2ee238a6bc", "opc=cd63cb71954a9f4e48a5994e37a02baf", "amf=8000",
			      "apn=internet", "roaming=any", NULL };
	st = du_run(add, 1, out, sizeof(out));
	CHECK_MSG(st == 0, "installed hss-admin add: %d %s", st, out);
	const char *show[] = { cli, "hss-admin", "--socket", sock, "show", "001010000000888", NULL };
	st = du_run(show, 1, out, sizeof(out));
	CHECK_MSG(st == 0 && strstr(out, "001010000000888"), "installed hss-admin show: %d %s", st, out);
	CHECK_MSG(du_term_wait(pid, 15000) == 0, "the installed HSS did not stop cleanly");
}

static void staged_lab_provisions_a_device(void)
{
	char cli[4200], work[4200], out[1 << 14];
	staged(cli, sizeof(cli), bin_dir, "openmcim");
	snprintf(work, sizeof(work), "%s/lab", stage);
	const char *argv[] = { cli, "lab", "--devices", "2", "--workdir", work, NULL };
	int st = du_run(argv, 1, out, sizeof(out));
	CHECK_MSG(st == 0 && strstr(out, "result: ok"), "the installed lab: %d\n%s", st, out);
	/* every daemon the lab started was the staged one: its logs name the staged programs' roles */
	char log[4400];
	snprintf(log, sizeof(log), "%s/sho-a-dpf.log", work);
	CHECK_MSG(check_file_has(log, " started ", 9), "%s", log);
}

int main(void)
{
	CHECK(ik_stage(stage, build_dir, sizeof(build_dir)) == 0);
	if (!build_dir[0])
		return check_done();

	install_into_stage();
	if (bin_dir[0] && unit_dir[0] && conf_dir[0]) {
		systemd_analyze_verifies_the_units();
		units_run_directory_takes_the_sockets();
		configurations_agree_on_socket_names();
		staged_hss_runs_on_the_staged_configuration();
		staged_lab_provisions_a_device();
	}
	if (!check_failures())
		du_rm_rf(stage);
	return check_done();
}
