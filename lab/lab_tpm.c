/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One software TPM 2.0 per device for `openmcim lab --tre tpm` (issue 18,
 * docs/lab.md): swtpm (Debian's swtpm) with its state and sockets in
 * <workdir>/tpm/<TRE_id>/, reached by the device's TRE through the tpm2-tss
 * TCTI "swtpm:path=<workdir>/tpm/<TRE_id>/sock", which the factory writes
 * into each TRE (--tpm-tcti with {tre_id}). The TPMs live as long as the
 * lab process: each dies with it (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab_proc.h"
#include "reason.h"

#define SWTPM_BIN "/usr/bin/swtpm"
#define SWTPM_WAIT_MS 5000

static int can_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
	if (fd < 0)
		return 0;
	memcpy(a.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

pid_t lab_swtpm_spawn(const char *dir, char *why, size_t why_len)
{
	char state[LAB_PATH_MAX + 8], sock[LAB_PATH_MAX + 8], server[LAB_PATH_MAX + 40], ctrl[LAB_PATH_MAX + 48],
		log[LAB_PATH_MAX + 24];
	if (access(SWTPM_BIN, X_OK) != 0)
		return om_reason(why, why_len, -1, "no %s: scripts/deps.sh installs swtpm", SWTPM_BIN);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	if (strlen(sock) + sizeof(".ctrl") > sizeof(((struct sockaddr_un *)0)->sun_path))
		return om_reason(why, why_len, -1, "%s: too long for a Unix socket", sock);
	snprintf(state, sizeof(state), "dir=%s", dir);
	snprintf(server, sizeof(server), "type=unixio,path=%s", sock);
	/* tpm2-tss's swtpm TCTI finds the control channel at <path>.ctrl */
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s.ctrl", sock);
	snprintf(log, sizeof(log), "file=%s/swtpm.log", dir);
	unlink(sock);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return om_reason(why, why_len, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* the TPM dies with its lab (or test), however that ends */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(126);
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
			_exit(126);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl(SWTPM_BIN, "swtpm", "socket", "--tpm2", "--tpmstate", state, "--server", server, "--ctrl", ctrl,
		      "--flags", "not-need-init,startup-clear", "--log", log, (char *)NULL);
		_exit(127);
	}
	for (int ms = 0; ms < SWTPM_WAIT_MS; ms += 10) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return om_reason(why, why_len, -1, "swtpm in %s exited (status %d), see swtpm.log there", dir, st);
		if (can_connect(sock))
			return pid;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	(void)lab_reap(pid, SIGKILL, 1000);
	return om_reason(why, why_len, -1, "swtpm in %s did not listen within %d ms", dir, SWTPM_WAIT_MS);
}

int lab_tpm_start(struct lab *l, const char *tre_id, pid_t *pid, char *why, size_t why_len)
{
	char rel[64], dir[LAB_PATH_MAX + 64];
	snprintf(rel, sizeof(rel), "tpm/%s", tre_id);
	if (lab_mkdir(lab_path(l, rel, dir, sizeof(dir)), 0700) < 0)
		return om_reason(why, why_len, -1, "%s: cannot create", dir);
	*pid = lab_swtpm_spawn(dir, why, why_len);
	return *pid > 0 ? 0 : -1;
}

void lab_tpm_stop(pid_t *pids, unsigned n)
{
	for (unsigned i = 0; pids && i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (unsigned i = 0; pids && i < n; i++) {
		if (pids[i] > 0)
			(void)lab_reap(pids[i], SIGTERM, 2000);
		pids[i] = 0;
	}
}
