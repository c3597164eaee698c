/* SPDX-License-Identifier: Apache-2.0 */
#define _DEFAULT_SOURCE /* prctl constants via sys/prctl.h, mkdtemp */
/* Private swtpm and SoftHSM2 tokens for a test program (hw_token.h). */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_util.h"
#include "hw_token.h"

#define SWTPM_BIN "/usr/bin/swtpm"
#define SOFTHSM_UTIL "/usr/bin/softhsm2-util"

static void rm_tree(char *dir)
{
	if (dir[0])
		du_rm_rf(dir);
	dir[0] = 0;
}

/* Whether something accepts connections on the Unix socket at path. */
static int can_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
	if (fd < 0 || strlen(path) >= sizeof(a.sun_path)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int spawn_swtpm(struct t_swtpm *t)
{
	char state[160], server[180], ctrl[190], log[160], sock[160];
	snprintf(state, sizeof(state), "dir=%s", t->dir);
	snprintf(sock, sizeof(sock), "%s/sock", t->dir);
	snprintf(server, sizeof(server), "type=unixio,path=%s", sock);
	/* tpm2-tss's swtpm TCTI finds the control channel at <path>.ctrl */
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s.ctrl", sock);
	snprintf(log, sizeof(log), "file=%s/swtpm.log", t->dir);
	unlink(sock);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* the TPM dies with the test, however the test ends */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(126);
		int in = open("/dev/null", O_RDWR);
		if (in < 0 || dup2(in, 0) < 0 || dup2(in, 1) < 0)
			_exit(126);
		execl(SWTPM_BIN, "swtpm", "socket", "--tpm2", "--tpmstate", state, "--server", server, "--ctrl", ctrl,
		      "--flags", "not-need-init,startup-clear", "--log", log, (char *)NULL);
		_exit(127);
	}
	t->pid = pid;
	for (int i = 0; i < 500; i++) { /* up to 5 s */
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "t_swtpm: swtpm exited (status %d), see %s/swtpm.log\n", st, t->dir);
			t->pid = 0;
			return -1;
		}
		if (can_connect(sock))
			return 0;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	fprintf(stderr, "t_swtpm: swtpm did not listen on %s\n", sock);
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

int t_softhsm_init(struct t_softhsm *h, const char *label, const char *pin)
{
	char path[200], out[512], so_pin[16];
	uint8_t r[8];
	FILE *f;

	memset(h, 0, sizeof(*h));
	if (access(SOFTHSM_UTIL, X_OK) != 0 || access(T_SOFTHSM_MODULE, R_OK) != 0) {
		fprintf(stderr, "t_softhsm: no %s or %s: scripts/deps.sh test installs softhsm2\n", SOFTHSM_UTIL,
			T_SOFTHSM_MODULE);
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
	snprintf(so_pin, sizeof(so_pin), "%02x%02x%02x%02x", r[4], r[5], r[6], r[7]);
	snprintf(path, sizeof(path), "%s/tokens", h->dir);
	if (mkdir(path, 0700) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", h->dir);
	f = fopen(path, "w");
	if (!f)
		goto fail;
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n", h->dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	const char *const argv[] = { SOFTHSM_UTIL, "--init-token", "--free", "--label", h->label, "--so-pin",
				     so_pin, "--pin", h->pin, NULL };
	if (du_run(argv, 1, out, sizeof(out)) != 0) {
		fprintf(stderr, "t_softhsm: softhsm2-util --init-token failed: %s\n", out);
		return -1;
	}
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
