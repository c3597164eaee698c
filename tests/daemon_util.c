/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the tests that run daemons (daemon_util.h). */
#define _DEFAULT_SOURCE /* setgroups() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"

/* du_run and du_run_quiet: stderr kept, merged into out, or to /dev/null. */
static int run_argv(const char *const *argv, int merge, int quiet, char *out, size_t cap)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (merge)
			dup2(p[1], 2);
		else if (quiet)
			dup2(open("/dev/null", O_WRONLY), 2);
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

int du_run(const char *const *argv, int merge, char *out, size_t cap)
{
	return run_argv(argv, merge, 0, out, cap);
}

int du_run_quiet(const char *const *argv, int merge, char *out, size_t cap)
{
	return run_argv(argv, merge, 1, out, cap);
}

int du_curl_split(char *raw, char *out, size_t cap)
{
	char *nl = strrchr(raw, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	size_t n = strlen(raw) < cap ? strlen(raw) : cap - 1;
	memcpy(out, raw, n);
	out[n] = '\0';
	return atoi(nl + 1);
}

int du_run_split(const char *const *argv, char *out, size_t out_cap, char *err, size_t err_cap)
{
	int po[2], pe[2];
	if (pipe(po) < 0)
		return -1;
	if (pipe(pe) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* both pipes at once: neither side blocks the child while the other drains */
	struct pollfd fds[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
	char *buf[2] = { out, err };
	size_t cap[2] = { out_cap, err_cap }, len[2] = { 0, 0 };
	int open_fds = 2;
	while (pid > 0 && open_fds > 0 && poll(fds, 2, -1) > 0) {
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			char drop[512];
			size_t room = cap[i] - 1 - len[i];
			ssize_t r = room ? read(fds[i].fd, buf[i] + len[i], room) : read(fds[i].fd, drop, sizeof(drop));
			if (r > 0 && room) {
				len[i] += (size_t)r;
			} else if (r <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		if (fds[i].fd >= 0)
			close(fds[i].fd);
		buf[i][len[i]] = '\0';
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void du_nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

const char *du_fd_ext_dir(void)
{
	static const char *dirs[] = { "/usr/lib/x86_64-linux-gnu/freeDiameter", "/usr/lib/aarch64-linux-gnu/freeDiameter",
				      "/usr/lib/freeDiameter" };
	char p[128];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/dict_nasreq.fdx", dirs[i]);
		if (access(p, R_OK) == 0)
			return dirs[i];
	}
	return dirs[2];
}

/*
 * Probed as the widest peer binds it: a dual-stack [::] socket (IPV6_V6ONLY
 * off) gets from the kernel only a port no IPv4 or IPv6 address holds, so a
 * peer that binds the wildcard ([::] as `openssl ocsp -port` and `openssl
 * s_server -accept` do) finds it free too; a port free on 127.0.0.1 alone
 * may be held on 127.x.y.z (the attach storm's devices), and then that
 * peer's bind fails with EADDRINUSE. Without IPv6, 0.0.0.0.
 */
unsigned du_free_port(void)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	int off = 0;
	unsigned port = 0;
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s >= 0) {
		socklen_t len = sizeof(a6);
		if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) == 0 &&
		    bind(s, (struct sockaddr *)&a6, sizeof(a6)) == 0 &&
		    getsockname(s, (struct sockaddr *)&a6, &len) == 0)
			port = ntohs(a6.sin6_port);
	} else if ((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0) {
		socklen_t len = sizeof(a4);
		if (bind(s, (struct sockaddr *)&a4, sizeof(a4)) == 0 &&
		    getsockname(s, (struct sockaddr *)&a4, &len) == 0)
			port = ntohs(a4.sin_port);
	}
	if (s >= 0)
		close(s);
	return port;
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

unsigned du_log_port(const char *log, const char *needle, int timeout_ms)
{
	unsigned port = 0;
	char *text = du_wait_log(log, needle, timeout_ms);
	char *p = text ? strstr(strstr(text, needle), " port=") : NULL;
	if (p)
		port = (unsigned)atoi(p + 6);
	free(text);
	return port;
}

int du_term_wait(pid_t pid, int timeout_ms)
{
	int st = 0;
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		du_nap_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
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
		_exit(r > 0 && !strncmp(buf, "error OM_EPERM ", 15) ? 30 : 31);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int du_nobody_errno(const char *path)
{
	struct stat st;
	int sock = stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(255);
		if (sock) {
			int fd = socket(AF_UNIX, SOCK_STREAM, 0);
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
			_exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno);
		}
		int fd = open(path, O_RDONLY | O_NONBLOCK);
		char b;
		_exit(fd >= 0 && read(fd, &b, 0) == 0 ? 0 : errno);
	}
	int st_ = 0;
	waitpid(pid, &st_, 0);
	return WIFEXITED(st_) && WEXITSTATUS(st_) != 255 ? WEXITSTATUS(st_) : -1;
}

int du_write_file(const char *path, const char *text)
{
	/* 0600 as an operator keeps a configuration (a daemon refuses one holding OP that others may read) */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fputs(text, f);
	return fclose(f);
}

int du_json_check(const char *dir, const char *json, const char *expr)
{
	char file[1024], out[4096];
	snprintf(file, sizeof(file), "%s/json-check.json", dir);
	if (du_write_file(file, json) < 0)
		return -1;
	const char *argv[] = { "jq", "-e", expr, file, NULL };
	int rc = du_run(argv, 1, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "jq -e '%s' on %.300s: exit %d: %.300s\n", expr, json, rc, out);
	return rc;
}

void du_rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

size_t du_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

pid_t du_parent(pid_t pid)
{
	char p[64], buf[600];
	long pp = -1;
	char state;
	snprintf(p, sizeof(p), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *e = strrchr(buf, ')'); /* after the command's name, which may hold anything */
	if (!e || sscanf(e + 1, " %c %ld", &state, &pp) != 2)
		return -1;
	return (pid_t)pp;
}

long long du_metric_sample(const char *page, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = page; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}
