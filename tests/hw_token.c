/* SPDX-License-Identifier: Apache-2.0 */
#define _DEFAULT_SOURCE /* mkdtemp, nanosleep */
/* Private swtpm and SoftHSM2 tokens for a test program (hw_token.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_util.h"
#include "hw_token.h"
#include "lab_proc.h"

#define SWTPM_BIN "/usr/bin/swtpm"

static void rm_tree(char *dir)
{
	if (dir[0])
		du_rm_rf(dir);
	dir[0] = 0;
}

static int spawn_swtpm(struct t_swtpm *t)
{
	char why[300];
	t->pid = lab_swtpm_spawn(t->dir, why, sizeof(why));
	if (t->pid > 0)
		return 0;
	t->pid = 0;
	fprintf(stderr, "t_swtpm: %s\n", why);
	return -1;
}

int t_swtpm_start(struct t_swtpm *t)
{
	memset(t, 0, sizeof(*t));
	if (access(SWTPM_BIN, X_OK) != 0) {
		fprintf(stderr, "t_swtpm: no %s: scripts/deps.sh test installs swtpm (apt-get install swtpm)\n",
			SWTPM_BIN);
		return -1;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/om-swtpm-XXXXXX");
	if (!mkdtemp(t->dir)) {
		perror("t_swtpm: mkdtemp");
		t->dir[0] = 0;
		return -1;
	}
	snprintf(t->tcti, sizeof(t->tcti), "swtpm:path=%s/sock", t->dir);
	if (spawn_swtpm(t) < 0) {
		t_swtpm_stop(t);
		return -1;
	}
	return 0;
}

static void kill_swtpm(struct t_swtpm *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
}

int t_swtpm_restart(struct t_swtpm *t)
{
	kill_swtpm(t);
	return spawn_swtpm(t);
}

void t_swtpm_stop(struct t_swtpm *t)
{
	kill_swtpm(t);
	rm_tree(t->dir);
}

static int watch_pause(void);

/* This process's threads (/proc/self/task), or -1. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}
static void watch_resume(int paused);

int t_softhsm_init(struct t_softhsm *h, const char *label, const char *pin)
{
	char path[200], why[400], so_pin[24];
	uint8_t r[12];
	FILE *f;

	memset(h, 0, sizeof(*h));
	if (access(T_SOFTHSM_MODULE, R_OK) != 0) {
		fprintf(stderr, "t_softhsm: no %s: scripts/deps.sh test installs softhsm2\n", T_SOFTHSM_MODULE);
		return -1;
	}
	snprintf(h->dir, sizeof(h->dir), "/tmp/om-softhsm-XXXXXX");
	if (!mkdtemp(h->dir)) {
		perror("t_softhsm: mkdtemp");
		h->dir[0] = 0;
		return -1;
	}
	snprintf(h->module, sizeof(h->module), "%s", T_SOFTHSM_MODULE);
	snprintf(h->label, sizeof(h->label), "%s", label);
	f = fopen("/dev/urandom", "rb");
	if (!f || fread(r, 1, sizeof(r), f) != sizeof(r)) {
		if (f)
			fclose(f);
		goto fail;
	}
	fclose(f);
	if (pin)
		snprintf(h->pin, sizeof(h->pin), "%s", pin);
	else
		snprintf(h->pin, sizeof(h->pin), "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	for (int i = 0; i < 8; i++)
		snprintf(so_pin + 2 * i, 3, "%02x", r[4 + i]);
	snprintf(path, sizeof(path), "%s/tokens", h->dir);
	if (mkdir(path, 0700) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", h->dir);
	f = fopen(path, "w");
	if (!f)
		goto fail;
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n", h->dir);
	if (fclose(f) != 0)
		goto fail;
	/*
	 * Made as the lab makes its token, through PKCS#11 (softhsm2-util took the PINs as
	 * arguments, which any local user reads in /proc/<pid>/cmdline), in a child process of
	 * its own: this process's module and SOFTHSM2_CONF are not disturbed by a second store.
	 * The command-line watcher is stopped across the fork: a thread running then may hold
	 * an allocator lock (opendir, strdup) that the child, which calls malloc and dlopen,
	 * would wait on for ever (seen as a risk under AddressSanitizer). The child is not
	 * exec'd, so no command line appears meanwhile; the watcher is started again after.
	 */
	int paused = watch_pause();
	int threads = count_threads();
	int rc = threads == 1 ? lab_p11_make_token(path, h->label, so_pin, h->pin, why, sizeof(why)) : -1;
	if (threads != 1)
		snprintf(why, sizeof(why), "%d threads would run across the token's fork (1 wanted)", threads);
	watch_resume(paused);
	memset(so_pin, 0, sizeof(so_pin));
	if (rc != 0) {
		fprintf(stderr, "t_softhsm: %s\n", why);
		t_softhsm_free(h);
		return -1;
	}
	setenv("SOFTHSM2_CONF", path, 1);
	return 0;
fail:
	fprintf(stderr, "t_softhsm: cannot set up %s: %s\n", h->dir, strerror(errno));
	t_softhsm_free(h);
	return -1;
}

void t_softhsm_free(struct t_softhsm *h)
{
	rm_tree(h->dir);
}

/* ---- every command line seen while a test makes and uses its tokens ------------------- */

#define SEEN_MAX 4096
static char *seen[SEEN_MAX]; /* distinct command lines, arguments joined by spaces */
static size_t n_seen;
static unsigned long scans;
static atomic_int watching;
static pthread_t watcher;

static void remember(const char *cmdline)
{
	for (size_t i = 0; i < n_seen; i++)
		if (!strcmp(seen[i], cmdline))
			return;
	if (n_seen < SEEN_MAX)
		seen[n_seen++] = strdup(cmdline);
}

/* Whether pid is this test or one of its descendants. */
static int ours(pid_t pid)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		if (pid == getpid())
			return 1;
		pid = du_parent(pid);
	}
	return 0;
}

static void *watch_cmdlines(void *arg)
{
	(void)arg;
	char path[64], buf[4096];
	while (atomic_load(&watching)) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			if (!ours(atoi(e->d_name)))
				continue; /* another test's process (ctest -j) is not ours */
			snprintf(path, sizeof(path), "/proc/%.20s/cmdline", e->d_name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
			if (fd >= 0)
				close(fd);
			if (r <= 0)
				continue;
			for (ssize_t i = 0; i < r; i++)
				buf[i] = buf[i] ? buf[i] : ' ';
			buf[r] = '\0';
			remember(buf);
		}
		if (d)
			closedir(d);
		scans++;
		nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL); /* the test needs the CPU too */
	}
	return NULL;
}

int t_cmdlines_watch(void)
{
	atomic_store(&watching, 1);
	if (pthread_create(&watcher, NULL, watch_cmdlines, NULL) != 0) {
		atomic_store(&watching, 0);
		return -1;
	}
	return 0;
}

/* Stops the watcher, if it runs, so that no other thread runs across a fork; 1 if it ran. */
static int watch_pause(void)
{
	if (!atomic_exchange(&watching, 0))
		return 0;
	pthread_join(watcher, NULL);
	return 1;
}

/* Starts it again; if it cannot be, the scan count is zeroed so the test's scan check fails. */
static void watch_resume(int paused)
{
	if (paused && t_cmdlines_watch() != 0) {
		fprintf(stderr, "t_softhsm: the command-line watcher could not be started again\n");
		scans = 0;
	}
}

unsigned long t_cmdlines_stop(void)
{
	if (atomic_exchange(&watching, 0))
		pthread_join(watcher, NULL);
	return scans;
}

size_t t_cmdlines_seen(void)
{
	return n_seen;
}

size_t t_cmdlines_with(const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; needle[0] && i < n_seen; i++)
		if (strstr(seen[i], needle)) {
			fprintf(stderr, "a command line holding '%s': %s\n", needle, seen[i]);
			n++;
		}
	return n;
}

void t_cmdlines_free(void)
{
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	n_seen = 0;
	scans = 0;
}
