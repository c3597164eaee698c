/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon skeleton (daemon.h). */
#define _GNU_SOURCE /* pipe2, environ */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <openmcim/private_file.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "store.h"

static const char *self_name = "openmcim";
static const char *log_file;
static int check_only;
static const char *self_conf; /* the -c file: a password in its db needs it private */
static const char *reload_path, *reload_section;
static struct om_conf *reload_base; /* the file as it was at om_daemon_reloadable() */

/* stderr, and so every log line (and freeDiameter's), into path, appended. */
static int open_log_file(const char *path, char *why, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = dup2(fd, STDERR_FILENO) < 0 ? -1 : 0;
	if (rc)
		snprintf(why, len, "%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int om_daemon_args(const struct om_daemon *d, int argc, char **argv, const char **conf_path)
{
	enum { OPT_CHECK = 256, OPT_LOG };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "log-file", required_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char why[4400];
	int opt;
	*conf_path = NULL;
	self_name = d->name;
	om_conf_check_files_at_load(1);
	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*conf_path = optarg;
			break;
		case OPT_CHECK:
			check_only = 1;
			break;
		case OPT_LOG:
			log_file = optarg;
			break;
		case 'h':
			fputs(d->usage, stdout);
			fputs("Options: --check-config (validate the configuration and exit), --log-file FILE\n"
			      "(log there, reopened on SIGHUP). SIGHUP reloads the log level, SIGTERM stops.\n",
			      stdout);
			return 0;
		case 'V':
			printf("openmcim-%s %s\n", d->name, d->version);
			return 0;
		default:
			fputs(d->usage, stderr);
			return 2;
		}
	}
	if (!*conf_path || optind != argc) {
		fputs(d->usage, stderr);
		return 2;
	}
	self_conf = *conf_path;
	if (log_file && !check_only && open_log_file(log_file, why, sizeof(why))) {
		fprintf(stderr, "openmcim-%s: log file %s\n", d->name, why);
		return 1;
	}
	return -1;
}

int om_daemon_checked(const char *conf_path)
{
	if (!check_only)
		return 0;
	printf("openmcim-%s: %s: ok\n", self_name, conf_path);
	/* nothing started, so nothing stopped: the caller's shutdown path logs no "stopped" */
	om_log_set_level((enum om_log_level)(OM_LOG_ERROR + 1));
	return 1;
}

static void stop_signals(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGHUP);
}

void om_daemon_block_signals(void)
{
	sigset_t s;
	stop_signals(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

void om_daemon_reloadable(const char *conf_path, const char *log_section)
{
	char err[512];
	reload_path = conf_path;
	reload_section = log_section;
	om_conf_free(reload_base);
	if (!(reload_base = om_conf_load_any(conf_path, err, sizeof(err))))
		om_error("reload-off", "reason=\"%s\"", err);
}

/*
 * This program with --check-config on the file, in a child: 0 when it
 * passes, else -1 with the first line the child wrote on stderr in why.
 */
static int check_in_child(const char *conf_path, char *why, size_t len)
{
	char exe[4096], prog[64];
	int fds[2], st = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return snprintf(why, len, "/proc/self/exe: %s", strerror(errno)), -1;
	exe[n] = '\0';
	snprintf(prog, sizeof(prog), "openmcim-%s", self_name);
	char *const argv[] = { prog, "--check-config", "-c", (char *)conf_path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	pid_t pid;
	if (pipe2(fds, O_CLOEXEC))
		return snprintf(why, len, "pipe: %s", strerror(errno)), -1;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	int rc = posix_spawn(&pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return snprintf(why, len, "%.400s: %s", exe, strerror(rc)), -1;
	}
	size_t got = 0;
	ssize_t r;
	why[0] = '\0';
	while ((r = read(fds[0], why + got, len - 1 - got)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0 && (got += (size_t)r) == len - 1)
			break;
	why[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	why[strcspn(why, "\n")] = '\0';
	if (!why[0])
		snprintf(why, len, "--check-config exit status %d", st);
	return -1;
}

/* SIGHUP: the log file reopened, then the configuration re-read (daemon.h). */
static void on_hup(void)
{
	char why[1024], changed[512];
	struct om_conf *c = NULL;
	(void)sd_notify(0, "RELOADING=1");
	if (log_file && open_log_file(log_file, why, sizeof(why)))
		om_error("reload-refused", "reason=\"log file %s\"", why);
	if (!reload_path || !reload_base) {
		om_notice("reloaded", "log_file=%s", log_file ? log_file : "-");
		goto out;
	}
	if (check_in_child(reload_path, why, sizeof(why)) || !(c = om_conf_load_any(reload_path, why, sizeof(why)))) {
		om_error("reload-refused", "conf=%s reason=\"%s\" running=previous", reload_path, why);
		goto out;
	}
	const char *level = om_conf_str(c, reload_section, "log_level", "info");
	int lv = om_log_level_parse(level);
	if (lv >= 0)
		om_log_set_level((enum om_log_level)lv);
	int n = om_conf_diff(reload_base, c, reload_section, "log_level", changed, sizeof(changed));
	om_notice("reloaded", "conf=%s log_level=%s restart_needed=%s", reload_path, level, n > 0 ? changed : "-");
out:
	om_conf_free(c);
	(void)sd_notify(0, "READY=1");
}

int om_daemon_wait(void)
{
	sigset_t s;
	int sig = 0;
	stop_signals(&s);
	/* Type=notify units (debian/openmcim-network.openmcim-NF.service): the "started" line is logged, the sockets are open */
	(void)sd_notify(0, "READY=1");
	for (;;) {
		if (sigwait(&s, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		on_hup();
	}
	(void)sd_notify(0, "STOPPING=1");
	om_notice("stopping", "signal=%d", sig);
	return sig;
}

/*
 * A PostgreSQL database's credential (docs/store.md "Credentials on
 * PostgreSQL"): a password file it names must be ours alone (libpq would
 * only warn and send no password); a password in the URI itself makes the
 * configuration file a secret, so it must be ours alone too.
 */
static int check_pg_credential(const char *conf, char *why, size_t len)
{
	char passfile[4096];
	int password = 0, rc = om_store_pg_credential(conf, &password, passfile, sizeof(passfile));
	if (rc < 0) {
		snprintf(why, len, "%s: db: not a PostgreSQL URI libpq reads", self_conf ? self_conf : "the configuration");
		return rc;
	}
	if (*passfile && (rc = om_private_check(passfile, 0, why, len)) < 0)
		return rc;
	if (!password)
		return 0;
	if (!self_conf) {
		snprintf(why, len, "a database URI holds a password: name a passfile instead");
		return OM_EFILE_MODE;
	}
	rc = om_private_check(self_conf, 0, why, len);
	if (rc < 0) {
		size_t n = strlen(why);
		snprintf(why + n, len - n, " (a database URI in it holds a password; or name a passfile)");
	}
	return rc;
}

/* One file: a database brings its -wal, -shm and -journal (SQLite gives them the database's mode). */
static int check_use(const struct om_daemon_file_use *u, char *why, size_t len)
{
	static const char *const db_suffix[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];
	switch (u->kind) {
	case OM_DAEMON_SECRET:
		return om_private_check(u->path, 0, why, len);
	case OM_DAEMON_CAPTURE:
		return om_private_check(u->path, OM_PRIVATE_MAY_BE_ABSENT, why, len);
	case OM_DAEMON_DIR:
		return om_private_check(u->path, OM_PRIVATE_MAY_BE_ABSENT | OM_PRIVATE_DIR, why, len);
	case OM_DAEMON_DB:
		if (om_store_conf_is_pg(u->path))
			return check_pg_credential(u->path, why, len); /* the server keeps its files */
		for (size_t i = 0; i < sizeof(db_suffix) / sizeof(db_suffix[0]); i++) {
			if (snprintf(path, sizeof(path), "%s%s", u->path, db_suffix[i]) >= (int)sizeof(path)) {
				snprintf(why, len, "%.200s...: path too long", u->path);
				return OM_EINVAL;
			}
			int rc = om_private_check(path, OM_PRIVATE_MAY_BE_ABSENT, why, len);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	return OM_EINVAL;
}

int om_daemon_private(const char *name, const struct om_daemon_file_use *files, size_t n)
{
	char why[4400];
	/* Issue 11: a database created under the default umask was 0644, K and OPc readable by anyone. */
	umask(077);
	for (size_t i = 0; i < n; i++) {
		if (!files[i].path)
			continue;
		int rc = check_use(&files[i], why, sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "openmcim-%s: refusing to start: %s (%s)\n", name, why, om_errname(rc));
			return rc;
		}
	}
	return 0;
}
