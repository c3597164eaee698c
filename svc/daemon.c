/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon skeleton (daemon.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include <openmcim/private_file.h>

#include "daemon.h"
#include "log.h"
#include "store.h"

int om_daemon_args(const struct om_daemon *d, int argc, char **argv, const char **conf_path)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	*conf_path = NULL;
	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*conf_path = optarg;
			break;
		case 'h':
			fputs(d->usage, stdout);
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
	return -1;
}

static void stop_signals(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
}

void om_daemon_block_signals(void)
{
	sigset_t s;
	stop_signals(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

int om_daemon_wait(void)
{
	sigset_t s;
	int sig = 0;
	stop_signals(&s);
	while (sigwait(&s, &sig) != 0)
		;
	om_notice("stopping", "signal=%d", sig);
	return sig;
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
			return 0; /* a PostgreSQL database: the server keeps its files */
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
