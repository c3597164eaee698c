/* SPDX-License-Identifier: Apache-2.0 */
/* The lab's processes, ports and files (lab_proc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab_proc.h"

extern char **environ;

/*
 * The lowest port the kernel hands out to connect() (net.ipv4.ip_local_port_range),
 * 32768 when it cannot be read.
 */
static unsigned ephemeral_low(void)
{
	unsigned lo = 32768, hi = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo < 2048)
			lo = 32768;
		fclose(f);
	}
	return lo;
}

/*
 * Ports below the ephemeral range. A port bound to 0 comes from that range,
 * and between this function and a daemon's bind any connect() on the host
 * may take it as its local port: under a loaded machine's test traffic a
 * lab daemon then failed to start with EADDRINUSE (lab_crash_test, sho and
 * pva). Below the range only an explicit bind can take it. Candidates from
 * a per-process start, each probed by bind; all stay bound until every port
 * is known, so none is given twice.
 *
 * Between this probe and the daemons' binds another lab on the host (tests
 * run in parallel, a crash test restarting a daemon on its port) could probe
 * the same port: each chosen port is also reserved by an flock on
 * <tmp>/openmcim-lab-ports-<uid>/<port>, held by the lab until lab_free(),
 * and a port whose lock another lab holds is skipped.
 */
static int reserve_port(unsigned port)
{
	char dir[96], path[128];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/openmcim-lab-ports-%u", tmp && *tmp ? tmp : "/tmp", (unsigned)geteuid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	struct stat st;
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -1; /* not ours: no reservation, the bind probe alone decides */
	snprintf(path, sizeof(path), "%s/%u", dir, port);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return -2; /* another lab holds it */
	}
	return fd;
}

int lab_free_ports(uint16_t *ports, int *locks, size_t n)
{
	enum { FIRST = 10000 };
	int fds[64];
	int rc = 0;
	size_t opened = 0;
	unsigned span = ephemeral_low() - FIRST;
	if (n > sizeof(fds) / sizeof(fds[0]) || ephemeral_low() <= FIRST + 1024)
		return OM_EINVAL;
	unsigned next = (unsigned)(getpid() * 7919u + (unsigned)time(NULL)) % span;
	for (unsigned tried = 0; opened < n && tried < span; tried++, next = (next + 1) % span) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					 .sin_port = htons((uint16_t)(FIRST + next)) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			continue;
		}
		int lock = reserve_port(FIRST + next);
		if (lock == -2) {
			close(fd);
			continue;
		}
		locks[opened] = lock;
		fds[opened] = fd;
		ports[opened++] = (uint16_t)(FIRST + next);
	}
	if (opened < n)
		rc = OM_EIO;
	for (size_t i = 0; i < opened; i++) {
		close(fds[i]);
		if (rc < 0 && locks[i] >= 0)
			close(locks[i]);
	}
	for (size_t i = rc < 0 ? 0 : opened; i < n; i++)
		locks[i] = -1;
	return rc;
}

pid_t lab_spawn(const char *exe, const char *conf, const char *log, const char *extra_env)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	pid_t parent = getpid();
	(void)parent;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd, 2);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
#ifdef __linux__
		/* a lab that dies (a crashed test, kill -9) takes its daemons with it: no orphan keeps a port */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
#endif
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (extra_env) {
			char name[128];
			size_t eq = strcspn(extra_env, "=");
			if (extra_env[eq] == '=' && eq < sizeof(name)) {
				memcpy(name, extra_env, eq);
				name[eq] = '\0';
				setenv(name, extra_env + eq + 1, 1);
			}
		}
		execl(exe, exe, "-c", conf, (char *)NULL);
		dprintf(2, "lab: exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(fd);
	return pid;
}

off_t lab_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The last non-empty line of text after off, into out. */
static void last_line(const char *text, size_t len, char *out, size_t cap)
{
	size_t end = len;
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	snprintf(out, cap, "%.*s", (int)(end - start), text + start);
}

/* What a file holds from off on, NUL-terminated (free()), its length in *len if len; NULL when unreadable. */
static char *slurp_from(const char *path, off_t off, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseeko(f, off, SEEK_SET) < 0) {
		fclose(f);
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *b = realloc(buf, cap * 2 + 1);
		if (!b) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = b;
		cap *= 2;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

int lab_wait_log(const char *log, off_t off, const char *needle, pid_t pid, int timeout_ms, char *why,
		 size_t why_len)
{
	char last[300] = "";
	/* a restart late in a long run appends to a log of megabytes: only this run's part is read */
	for (int waited = 0;; waited += 20) {
		size_t len = 0;
		char *text = slurp_from(log, off, &len);
		int found = 0;
		if (text) {
			found = strstr(text, needle) != NULL;
			last_line(text, len, last, sizeof(last));
		}
		free(text);
		if (found)
			return 0;
		int st;
		if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
			snprintf(why, why_len, "exited (status %d) before '%s'; last line: %s", WIFEXITED(st) ?
				 WEXITSTATUS(st) : 128 + WTERMSIG(st), needle, last);
			return OM_ELAB_DAEMON;
		}
		if (waited >= timeout_ms) {
			snprintf(why, why_len, "no '%s' within %d ms; last line: %s", needle, timeout_ms, last);
			return OM_ELAB_DAEMON;
		}
		nap_ms(20);
	}
}

int lab_reap(pid_t pid, int sig, int timeout_ms)
{
	int st = -1;
	if (pid <= 0)
		return -1;
	kill(pid, sig);
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			return waitpid(pid, &st, 0) == pid ? st : -1;
		}
		nap_ms(10);
	}
}

int lab_write_file(const char *path, const char *text, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return OM_EIO;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return OM_EIO;
		}
		done += (size_t)w;
	}
	return close(fd) == 0 ? 0 : OM_EIO;
}

char *lab_slurp(const char *path, size_t *len)
{
	return slurp_from(path, 0, len);
}

int lab_mkdir(const char *path, int mode)
{
	char p[LAB_PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return OM_EINVAL;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return OM_EIO;
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
		return OM_EIO;
	return 0;
}

void lab_rm_rf(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *e;
	char p[LAB_PATH_MAX + 300];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			lab_rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(path);
}

const char *lab_fd_dict_dir(void)
{
	static const char *dirs[] = { "/usr/lib/x86_64-linux-gnu/freeDiameter", "/usr/lib/aarch64-linux-gnu/freeDiameter",
				      "/usr/lib/freeDiameter" };
	char p[128];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/dict_nasreq.fdx", dirs[i]);
		if (access(p, R_OK) == 0)
			return dirs[i];
	}
	return "/usr/lib/freeDiameter";
}

void lab_progress(const char *what, size_t done, size_t total)
{
	static time_t last;
	if (!isatty(2))
		return;
	time_t now = time(NULL);
	/* at most a few redraws a second would need a finer clock; once a second and at the ends is enough */
	if (done != 0 && done != total && now == last)
		return;
	last = now;
	fprintf(stderr, "\r\033[Klab: %s %zu/%zu", what, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

double lab_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void lab_problem_add(char (*problems)[200], unsigned cap, unsigned *n, const char *fmt, ...)
{
	if (*n < cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(problems[*n], sizeof(problems[0]), fmt, ap);
		va_end(ap);
	}
	(*n)++;
}

void lab_report_end(FILE *f, const char (*problems)[200], unsigned cap, unsigned n, const char *dir)
{
	if (!n)
		fprintf(f, "\nevery device is where it should be\n");
	else
		fprintf(f, "\n%u problem(s):\n", n);
	for (unsigned i = 0; i < n && i < cap; i++)
		fprintf(f, "  - %s\n", problems[i]);
	if (n > cap)
		fprintf(f, "  ... and %u more\n", n - cap);
	fprintf(f, "logs, configurations and databases: %s\n", dir);
}

struct for_each {
	void (*fn)(void *arg, unsigned i);
	void *arg;
	unsigned n, next;
	pthread_mutex_t lock;
};

static void *for_each_worker(void *p)
{
	struct for_each *w = p;
	for (;;) {
		pthread_mutex_lock(&w->lock);
		unsigned i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->n)
			return NULL;
		w->fn(w->arg, i);
	}
}

void lab_for_each(unsigned n, unsigned jobs, void (*fn)(void *arg, unsigned i), void *arg)
{
	struct for_each w = { .fn = fn, .arg = arg, .n = n };
	pthread_t th[16];
	unsigned started = 0;
	jobs = jobs ? jobs : 4;
	if (jobs > 16)
		jobs = 16;
	pthread_mutex_init(&w.lock, NULL);
	for (; started < jobs; started++)
		if (pthread_create(&th[started], NULL, for_each_worker, &w) != 0)
			break;
	if (started == 0)
		for_each_worker(&w);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&w.lock);
}
