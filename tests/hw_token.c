/* SPDX-License-Identifier: Apache-2.0 */
#define _DEFAULT_SOURCE /* mkdtemp */
/* Private swtpm and SoftHSM2 tokens for a test program (hw_token.h). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_util.h"
#include "hw_token.h"
#include "lab_proc.h"

#define SWTPM_BIN "/usr/bin/swtpm"
#define SOFTHSM_UTIL "/usr/bin/softhsm2-util"

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
