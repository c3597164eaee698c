/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the tests that run daemons (daemon_util.h). */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"

int du_run(const char *const *argv, int merge, char *out, size_t cap)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (merge)
			dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0;
	ssize_t r;
	while (len + 1 < cap && (r = read(p[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

unsigned du_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (struct sockaddr *)&a, &len)) {
		if (s >= 0)
			close(s);
		return 0;
	}
	close(s);
	return ntohs(a.sin_port);
}

pid_t du_spawn_daemon(const char *exe, const char *conf, const char *log, int append)
{
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = fopen(log, append ? "a" : "w");
		if (f)
			dup2(fileno(f), 2);
		execl(exe, exe, "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

char *du_wait_log(const char *log, const char *needle, int timeout_ms)
{
	for (int waited = 0;; waited += 50) {
		size_t n;
		char *text = (char *)check_slurp(log, &n);
		if (text && strstr(text, needle))
			return text;
		free(text);
		if (waited >= timeout_ms)
			return NULL;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int du_stop_daemon(pid_t pid, int sig)
{
	int st = -1;
	if (pid <= 0)
		return -1;
	kill(pid, sig);
	waitpid(pid, &st, 0);
	return st;
}

int du_as_nobody(const char *sock, const char *cmd)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		memcpy(sa.sun_path, sock, strlen(sock) + 1);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(errno == EACCES ? 20 : 21);
		/* the daemon may answer and close before this arrives: no SIGPIPE, and no matter */
		(void)send(fd, cmd, strlen(cmd), MSG_NOSIGNAL);
		char buf[256] = "";
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		_exit(r > 0 && !strncmp(buf, "error permission denied", 23) ? 30 : 31);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int du_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

void du_rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}
