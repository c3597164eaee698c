/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon skeleton (daemon.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "daemon.h"
#include "log.h"

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
