/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 token of `openmcim lab --tre pkcs11` (issue 18, docs/lab.md):
 * one SoftHSM2 token store in <workdir>/p11/ (Debian's softhsm2), one token
 * for the lab's devices as a bench's HSM would be, its user PIN fresh for
 * the lab and kept 0600 beside it. The factory generates every device's
 * sealing key and PrK_TRE in it, and the agents the lab runs (threads of
 * this process) reach it through the same SOFTHSM2_CONF.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <openmcim/hex.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "lab_proc.h"
#include "reason.h"

#define SOFTHSM_UTIL "/usr/bin/softhsm2-util"

/* softhsm2-util --init-token, its output to /dev/null; its exit status or -1. */
static int init_token(const char *so_pin, const char *pin)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		execl(SOFTHSM_UTIL, "softhsm2-util", "--init-token", "--free", "--label", LAB_P11_TOKEN, "--so-pin", so_pin,
		      "--pin", pin, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int lab_p11_init(struct lab *l, struct lab_priv *pv, char *why, size_t why_len)
{
	char dir[LAB_PATH_MAX + 8], path[LAB_PATH_MAX + 40], so_pin[17];
	uint8_t r[16];
	if (pv->p11_pin[0])
		return 0; /* the lab's second factory run: the token is there */
	if (access(SOFTHSM_UTIL, X_OK) != 0 || access(LAB_P11_MODULE, R_OK) != 0)
		return om_reason(why, why_len, -1, "no %s: scripts/deps.sh installs softhsm2", SOFTHSM_UTIL);
	snprintf(dir, sizeof(dir), "%s/p11", l->dir);
	snprintf(path, sizeof(path), "%s/tokens", dir);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (mkdir(path, 0700) != 0 && errno != EEXIST))
		return om_reason(why, why_len, -1, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return om_reason(why, why_len, -1, "%s: %s", path, strerror(errno));
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
	if (fclose(f) != 0)
		return om_reason(why, why_len, -1, "%s: %s", path, strerror(errno));
	setenv("SOFTHSM2_CONF", path, 1);
	if (RAND_bytes(r, sizeof(r)) != 1)
		return om_reason(why, why_len, -1, "no random bytes for the token's PINs");
	om_hex_encode(pv->p11_pin, r, 8);
	om_hex_encode(so_pin, r + 8, 8);
	int st = init_token(so_pin, pv->p11_pin);
	if (st != 0) {
		pv->p11_pin[0] = '\0';
		return om_reason(why, why_len, -1, "softhsm2-util --init-token in %s: status %d", dir, st);
	}
	/* the PIN beside the token, for an operator looking at the lab afterwards (tests, docs/lab.md) */
	snprintf(path, sizeof(path), "%s/pin", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pv->p11_pin, strlen(pv->p11_pin)) != (ssize_t)strlen(pv->p11_pin)) {
		if (fd >= 0)
			close(fd);
		return om_reason(why, why_len, -1, "%s: %s", path, strerror(errno));
	}
	close(fd);
	/*
	 * The module stays initialized for the lab process: SoftHSM2 looks for its
	 * rdrand engine at each first C_Initialize (ENGINE_by_id) and leaks
	 * OpenSSL's dynamic-engine data when it is not there; the TREs the lab's
	 * agents open and close would initialize it afresh each time.
	 */
	static struct ck_function_list *keep;
	if (!keep && (keep = p11_kit_module_load(LAB_P11_MODULE, 0)) && p11_kit_module_initialize(keep) != CKR_OK) {
		p11_kit_module_release(keep);
		keep = NULL;
	}
	return 0;
}
