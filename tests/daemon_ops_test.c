/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an operator does to a running daemon (issue 15, docs/operate.md),
 * tried on the real programs next to this test:
 *  - --check-config: a good file prints "FILE: ok", exits 0 and creates
 *    nothing; a bad one exits 1 with the file and line;
 *  - a missing or wrong file named in a configuration is reported with the
 *    configuration's line, the file and the system's reason (the PVA said
 *    "I/O error", the DPF "not an OPERATOR_TLS certificate");
 *  - SIGHUP never stops the HSS (its default action killed it before its
 *    clean shutdown): the log level changes at once, other changes are named
 *    as needing a restart, a broken file is refused and the daemon runs on,
 *    the subscribers stay, and SIGTERM still ends it with status 0;
 *  - --log-file is reopened on SIGHUP (logrotate's rename-then-HUP);
 *  - a PostgreSQL db's credential (docs/store.md "Credentials on
 *    PostgreSQL"): a password in the URI is refused in a configuration
 *    others may read, a passfile that others may read or that is missing is
 *    refused, each naming the file and never the password (db_peer's
 *    too); made private, the same files pass.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"

static char dir[] = "/tmp/om_daemon_ops_test_XXXXXX";
static char bin_dir[4096];
static char hss_conf[512], hss_log[512], hss_db[512], sock[512];
static unsigned hss_port;

static void prog(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/openmcim-%s", bin_dir, name);
}

/* The HSS's configuration with this log level and extra lines appended. */
static void write_hss_conf(const char *level, unsigned port, const char *extra)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s\nrun_dir = %s/run\nlog_level = %s\nprovision_socket = %s\n"
		 "[diameter]\nidentity = hss.ops.lab\nrealm = ops.lab\nlisten = 127.0.0.1\nport = %u\n"
		 "tls = off\ndict_dir = %s\n%s",
		 hss_db, dir, level, sock, port, du_fd_ext_dir(), extra);
	du_write_file(hss_conf, text);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void check_config_passes_and_creates_nothing(void)
{
	char exe[4600], out[1024], err[1024], want[1200], run_dir[600];
	prog(exe, sizeof(exe), "hss");
	write_hss_conf("info", hss_port, "");
	const char *argv[] = { exe, "--check-config", "-c", hss_conf, NULL };
	int st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	snprintf(want, sizeof(want), "openmcim-hss: %s: ok\n", hss_conf);
	CHECK_MSG(st == 0 && !strcmp(out, want), "status %d out '%s' err '%s'", st, out, err);
	snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
	CHECK_MSG(!exists(hss_db) && !exists(run_dir), "--check-config created the database or the run directory");

	/* a typo: the file and line, status 1 */
	write_hss_conf("info", hss_port, "realmm = x\n");
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	snprintf(want, sizeof(want), "%s:13: unknown key 'realmm' in [diameter]", hss_conf);
	CHECK_MSG(st == 1 && strstr(err, want) && !out[0], "status %d err '%s'", st, err);
	/* a value out of range */
	write_hss_conf("loud", hss_port, "");
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 1 && strstr(err, "log_level must be"), "status %d err '%s'", st, err);
	CHECK(!exists(hss_db));
}

/* A PostgreSQL db's credential: the file that holds it must be the daemon's alone. */
static void pg_credential_only_in_private_files(void)
{
	char exe[4600], out[1024], err[2048], want[1600], text[700], passfile[128], saved[512], run_dir[600];
	prog(exe, sizeof(exe), "hss");
	const char *argv[] = { exe, "--check-config", "-c", hss_conf, NULL };
	snprintf(saved, sizeof(saved), "%s", hss_db);
	snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
	snprintf(passfile, sizeof(passfile), "%s/hss.pgpass", dir);

	/* a password in the URI, the configuration readable by others */
	snprintf(hss_db, sizeof(hss_db), "postgresql:///hss?host=%s&user=hss&password=sw0rdf1sh", dir);
	write_hss_conf("info", hss_port, "");
	CHECK(chmod(hss_conf, 0644) == 0);
	int st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	snprintf(want, sizeof(want),
		 "openmcim-hss: refusing to start: %s: readable by group/others (mode 0644); chmod 600 (a database URI in "
		 "it holds a password; or name a passfile) (OM_EFILE_MODE)\n",
		 hss_conf);
	CHECK_MSG(st == 1 && !strcmp(err, want) && !out[0], "status %d err '%s'", st, err);
	CHECK_MSG(!strstr(err, "sw0rdf1sh"), "the password in the message: %s", err);
	/* the same as user:password@ */
	snprintf(hss_db, sizeof(hss_db), "postgresql://hss:sw0rdf1sh@/hss?host=%s", dir);
	write_hss_conf("info", hss_port, "");
	CHECK(chmod(hss_conf, 0640) == 0);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 1 && strstr(err, "(mode 0640); chmod 600 (a database URI in it holds a password") && !strstr(err, "sw0rdf1sh"),
		  "status %d err '%s'", st, err);
	/* made private: it passes */
	CHECK(chmod(hss_conf, 0600) == 0);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 0 && strstr(out, ": ok"), "status %d out '%s' err '%s'", st, out, err);

	/* a passfile: missing, then readable by others, then private */
	snprintf(hss_db, sizeof(hss_db), "postgresql:///hss?host=%s&user=hss&passfile=%s", dir, passfile);
	write_hss_conf("info", hss_port, "");
	CHECK(chmod(hss_conf, 0644) == 0); /* no secret in it: others may read it */
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 1 && strstr(err, passfile) && strstr(err, "(OM_EIO)"), "status %d err '%s'", st, err);
	snprintf(text, sizeof(text), "*:*:*:hss:sw0rdf1sh\n");
	CHECK_INT(du_write_file(passfile, text), 0);
	CHECK(chmod(passfile, 0644) == 0);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	snprintf(want, sizeof(want),
		 "openmcim-hss: refusing to start: %s: readable by group/others (mode 0644); chmod 600 (OM_EFILE_MODE)\n",
		 passfile);
	CHECK_MSG(st == 1 && !strcmp(err, want), "status %d err '%s'", st, err);
	CHECK(chmod(passfile, 0600) == 0);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 0 && strstr(out, ": ok"), "status %d out '%s' err '%s'", st, out, err);
	/* db_peer (case 2's other cluster) is held to the same rule */
	write_hss_conf("info", hss_port, "");
	FILE *f = fopen(hss_conf, "r+");
	size_t len = 0;
	char *conf_text = (char *)check_slurp(hss_conf, &len);
	if (f && conf_text) {
		char *after_db = strstr(conf_text, "\n[diameter]");
		CHECK(after_db != NULL);
		if (after_db) {
			fprintf(f, "%.*s\ndb_peer = postgresql:///hss?host=/nonexistent&user=hss&password=sw0rdf1sh%s",
				(int)(after_db - conf_text), conf_text, after_db);
		}
	}
	if (f)
		fclose(f);
	free(conf_text);
	CHECK(chmod(hss_conf, 0644) == 0);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 1 && strstr(err, "(mode 0644); chmod 600 (a database URI in it holds a password") && !strstr(err, "sw0rdf1sh"),
		  "db_peer: status %d err '%s'", st, err);
	CHECK(chmod(hss_conf, 0600) == 0);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 0 && strstr(out, ": ok"), "db_peer private: status %d out '%s' err '%s'", st, out, err);
	CHECK_MSG(!exists(run_dir), "--check-config created the run directory");
	unlink(passfile);
	CHECK(chmod(hss_conf, 0600) == 0);
	snprintf(hss_db, sizeof(hss_db), "%s", saved);
}

/* The PVA and the DPF name a missing or wrong file with the line and the system's reason. */
static void file_errors_name_the_file_and_the_reason(void)
{
	char exe[4600], out[1024], err[2048], conf[600], want[1400], text[2048], cert_dir[600];
	prog(exe, sizeof(exe), "pva");
	snprintf(conf, sizeof(conf), "%s/pva.conf", dir);
	snprintf(cert_dir, sizeof(cert_dir), "%s/certs", dir);
	CHECK(mkdir(cert_dir, 0700) == 0);
	snprintf(text, sizeof(text),
		 "[pva]\ndb = %s/pva.db\nca_cert = %s/missing-ca.pem\nresponder_cert = %s/r.pem\n"
		 "responder_key = %s/r.key\n",
		 dir, dir, dir, dir);
	du_write_file(conf, text);
	const char *argv[] = { exe, "--check-config", "-c", conf, NULL };
	int st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	snprintf(want, sizeof(want), "openmcim-pva: %s:3: [pva] ca_cert: %s/missing-ca.pem: No such file or directory\n",
		 conf, dir);
	CHECK_MSG(st == 1 && !strcmp(err, want), "status %d err '%s'", st, err);

	/* a directory where a certificate should be */
	snprintf(text, sizeof(text),
		 "[pva]\ndb = %s/pva.db\nca_cert = %s\nresponder_cert = %s/r.pem\nresponder_key = %s/r.key\n", dir,
		 cert_dir, dir, dir);
	du_write_file(conf, text);
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	snprintf(want, sizeof(want), "openmcim-pva: %s:3: [pva] ca_cert: %s: not a regular file\n", conf, cert_dir);
	CHECK_MSG(st == 1 && !strcmp(err, want), "status %d err '%s'", st, err);

	/* the same check holds without --check-config, before anything is opened */
	const char *run[] = { exe, "-c", conf, NULL };
	st = du_run_split(run, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 1 && !strcmp(err, want), "status %d err '%s'", st, err);
	snprintf(text, sizeof(text), "%s/pva.db", dir);
	CHECK(!exists(text));
}

static pid_t start_hss(const char *log_file)
{
	char exe[4600];
	prog(exe, sizeof(exe), "hss");
	if (!log_file)
		return du_spawn_daemon(exe, hss_conf, hss_log, 0);
	pid_t pid = fork();
	if (pid == 0) {
		execl(exe, exe, "-c", hss_conf, "--log-file", log_file, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* How many times needle occurs in the file. */
static int count_in(const char *path, const char *needle)
{
	size_t len = 0;
	char *s = (char *)check_slurp(path, &len);
	int n = 0;
	for (char *p = s; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(s);
	return n;
}

static int admin(char *out, size_t len, const char *cmd, const char *imsi, const char *more)
{
	const char *cli = getenv("OM_CLI");
	const char *argv[16];
	int n = 0;
	if (!cli)
		return -1;
	argv[n++] = cli;
	argv[n++] = "hss-admin";
	argv[n++] = "--socket";
	argv[n++] = sock;
	argv[n++] = cmd;
	argv[n++] = imsi;
	if (more) {
		static char buf[512];
		snprintf(buf, sizeof(buf), "%s", more);
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && n < 15; w = strtok_r(NULL, " ", &save))
			argv[n++] = w;
	}
	argv[n] = NULL;
	return du_run(argv, 1, out, len);
}

/* Wait until the n-th occurrence of needle is in the log. */
static int wait_count(const char *log, const char *needle, int n, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (count_in(log, needle) >= n)
			return 1;
		du_nap_ms(50);
	}
	return 0;
}

static void sighup_reloads_and_never_stops_the_hss(void)
{
	char out[4096];
	CHECK_MSG(getenv("OM_CLI") != NULL, "OM_CLI is not set");
	write_hss_conf("info", hss_port, "");
	pid_t pid = start_hss(NULL);
	CHECK(pid > 0);
	char *log = du_wait_log(hss_log, " started ", 20000);
	CHECK_MSG(log != NULL, "the HSS did not start (see %s)", hss_log);
	free(log);
	int st = admin(out, sizeof(out), "add", "001010000000777",
		       "k=465b5ce8b199b49faa5f0a2ee238a6bc opc=cd63cb71954a9f4e48a5994e37a02baf amf=8000 "
		       "apn=internet roaming=any");
	CHECK_MSG(st == 0, "hss-admin add: %d %s", st, out);

	/* the same file: reloaded, nothing to restart */
	CHECK(kill(pid, SIGHUP) == 0);
	CHECK_MSG(wait_count(hss_log, " reloaded ", 1, 10000), "no reloaded line");
	CHECK_MSG(count_in(hss_log, "log_level=info restart_needed=-") == 1, "the first reload named a change");

	/* debug at once; the port needs a restart and is named */
	write_hss_conf("debug", hss_port + 1, "");
	CHECK(kill(pid, SIGHUP) == 0);
	CHECK_MSG(wait_count(hss_log, " reloaded ", 2, 10000), "no second reloaded line");
	CHECK_MSG(count_in(hss_log, "log_level=debug restart_needed=diameter.port") == 1,
		  "the port change was not named");

	/* a broken file is refused with the check's own message, and the HSS runs on */
	write_hss_conf("info", hss_port, "[nonsense]\n");
	CHECK(kill(pid, SIGHUP) == 0);
	CHECK_MSG(wait_count(hss_log, " reload-refused ", 1, 10000), "no reload-refused line");
	CHECK_MSG(count_in(hss_log, "unknown section [nonsense]") == 1, "the refusal did not say why");
	CHECK_MSG(kill(pid, 0) == 0, "the HSS died on SIGHUP");

	/* state kept across the reloads: the subscriber is there, served by the same process */
	st = admin(out, sizeof(out), "show", "001010000000777", NULL);
	CHECK_MSG(st == 0 && strstr(out, "001010000000777"), "show after SIGHUP: %d %s", st, out);

	st = du_term_wait(pid, 15000);
	CHECK_MSG(st == 0, "exit status %d after SIGTERM", st);
	CHECK_MSG(count_in(hss_log, " stopped ") == 1, "no stopped line: the clean shutdown did not run");
}

static void log_file_is_reopened_on_sighup(void)
{
	char file[600], rotated[600];
	snprintf(file, sizeof(file), "%s/hss-file.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/hss-file.log.1", dir);
	write_hss_conf("info", hss_port, "");
	pid_t pid = start_hss(file);
	CHECK(pid > 0);
	CHECK_MSG(wait_count(file, " started ", 1, 20000), "no started line in %s", file);
	CHECK(rename(file, rotated) == 0);
	CHECK(kill(pid, SIGHUP) == 0);
	CHECK_MSG(wait_count(file, " reloaded ", 1, 10000), "the reopened log file has no reloaded line");
	CHECK_MSG(count_in(rotated, " reloaded ") == 0, "the reload went to the rotated file");
	int st = du_term_wait(pid, 15000);
	CHECK_MSG(st == 0, "exit status %d", st);
	CHECK_MSG(count_in(file, " stopped ") == 1, "no stopped line in the new log file");
}

/* The next datagram on fd within ms, NUL-terminated in out; its length, or -1. */
static ssize_t next_notice(int fd, char *out, size_t cap, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1)
		return -1;
	ssize_t n = recv(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	return n;
}

/*
 * Readiness and stop under systemd (Type=notify, issue 15): READY=1 once the daemon is up
 * (its "started" line written first), RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1
 * on SIGTERM, each on the socket NOTIFY_SOCKET names, as systemd gives it.
 */
static void notifies_systemd_ready_reload_stopping(void)
{
	char path[600], msg[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(path, sizeof(path), "%s/notify.sock", dir);
	CHECK(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) < sizeof(sa.sun_path) ? strlen(path) + 1 : 0);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	write_hss_conf("info", hss_port, "");
	setenv("NOTIFY_SOCKET", path, 1);
	pid_t pid = start_hss(NULL);
	unsetenv("NOTIFY_SOCKET");
	CHECK(pid > 0);
	CHECK_MSG(next_notice(fd, msg, sizeof(msg), 20000) > 0 && strstr(msg, "READY=1"), "first notice: '%s'", msg);
	CHECK_MSG(count_in(hss_log, " started ") == 1, "READY=1 came before the started line");
	CHECK(kill(pid, SIGHUP) == 0);
	CHECK_MSG(next_notice(fd, msg, sizeof(msg), 10000) > 0 && strstr(msg, "RELOADING=1"), "on SIGHUP: '%s'", msg);
	CHECK_MSG(next_notice(fd, msg, sizeof(msg), 10000) > 0 && strstr(msg, "READY=1"), "after the reload: '%s'",
		  msg);
	CHECK(kill(pid, SIGTERM) == 0);
	CHECK_MSG(next_notice(fd, msg, sizeof(msg), 10000) > 0 && strstr(msg, "STOPPING=1"), "on SIGTERM: '%s'", msg);
	int st = du_term_wait(pid, 15000);
	CHECK_MSG(st == 0, "exit status %d after SIGTERM", st);
	close(fd);
}

int main(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0 && mkdtemp(dir) != NULL);
	if (n <= 0)
		return check_done();
	exe[n] = 0;
	snprintf(bin_dir, sizeof(bin_dir), "%s", dirname(exe));
	snprintf(hss_conf, sizeof(hss_conf), "%s/hss.conf", dir);
	snprintf(hss_log, sizeof(hss_log), "%s/hss.log", dir);
	snprintf(hss_db, sizeof(hss_db), "%s/hss.db", dir);
	snprintf(sock, sizeof(sock), "%s/prov/hss.sock", dir);
	hss_port = du_free_port();
	CHECK(hss_port > 0);

	check_config_passes_and_creates_nothing();
	file_errors_name_the_file_and_the_reason();
	pg_credential_only_in_private_files();
	sighup_reloads_and_never_stops_the_hss();
	log_file_is_reopened_on_sighup();
	notifies_systemd_ready_reload_stopping();

	if (!check_failures())
		du_rm_rf(dir);
	return check_done();
}
