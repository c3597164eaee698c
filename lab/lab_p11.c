/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 token of `openmcim lab --tre pkcs11` (issue 18, docs/lab.md):
 * one SoftHSM2 token store in <workdir>/p11/ (Debian's softhsm2), one token
 * for the lab's devices as a bench's HSM would be, its user PIN fresh for
 * the lab and kept 0600 beside it (the token initialised through PKCS#11
 * from this process: no PIN on a command line). The factory generates every device's
 * sealing key and PrK_TRE in it, and the agents the lab runs (threads of
 * this process) reach it through the same SOFTHSM2_CONF.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/hex.h>

#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "lab_proc.h"
#include "reason.h"

/* A PKCS#11 label: 32 bytes padded with spaces. */
static void label32(unsigned char out[32], const char *label)
{
	size_t n = strlen(label);
	memset(out, ' ', 32);
	memcpy(out, label, n > 32 ? 32 : n);
}

/*
 * Initialise the token of a free slot as label_text with so_pin, and give it the user PIN pin,
 * through PKCS#11 from this process (C_InitToken, then C_InitPIN as the SO): the PINs are on no
 * command line (softhsm2-util takes them as arguments, which any local user reads in
 * /proc/<pid>/cmdline). 0, or the module's CKR (or -1 with no free slot).
 */
static long init_token(struct ck_function_list *m, const char *label_text, const char *so_pin, const char *pin)
{
	ck_slot_id_t slots[64];
	unsigned long n = 64;
	struct ck_token_info info;
	unsigned char label[32];
	ck_rv_t rv = m->C_GetSlotList(1, slots, &n);
	ck_slot_id_t slot = 0;
	int found = 0;
	for (unsigned long i = 0; rv == CKR_OK && i < n && !found; i++)
		if (m->C_GetTokenInfo(slots[i], &info) == CKR_OK && !(info.flags & CKF_TOKEN_INITIALIZED))
			slot = slots[i], found = 1; /* softhsm2-util --free: the free slot SoftHSM2 keeps */
	if (rv != CKR_OK)
		return (long)rv;
	if (!found)
		return -1;
	label32(label, label_text);
	if ((rv = m->C_InitToken(slot, (unsigned char *)so_pin, strlen(so_pin), label)) != CKR_OK)
		return (long)rv;
	/* SoftHSM2 moves an initialised token to a slot of its own: find it by its label again */
	n = 64;
	found = 0;
	if ((rv = m->C_GetSlotList(1, slots, &n)) != CKR_OK)
		return (long)rv;
	for (unsigned long i = 0; i < n && !found; i++)
		if (m->C_GetTokenInfo(slots[i], &info) == CKR_OK && (info.flags & CKF_TOKEN_INITIALIZED) &&
		    !memcmp(info.label, label, 32) && !(info.flags & CKF_USER_PIN_INITIALIZED))
			slot = slots[i], found = 1;
	if (!found)
		return -1;
	ck_session_handle_t session;
	if ((rv = m->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session)) != CKR_OK)
		return (long)rv;
	rv = m->C_Login(session, CKU_SO, (unsigned char *)so_pin, strlen(so_pin));
	if (rv == CKR_OK) {
		rv = m->C_InitPIN(session, (unsigned char *)pin, strlen(pin));
		m->C_Logout(session);
	}
	m->C_CloseSession(session);
	return (long)rv;
}

int lab_p11_init(struct lab *l, struct lab_priv *pv, char *why, size_t why_len)
{
	char dir[LAB_PATH_MAX + 8], path[LAB_PATH_MAX + 40], so_pin[17];
	uint8_t r[16];
	if (pv->p11_pin[0])
		return 0; /* the lab's second factory run: the token is there */
	if (access(LAB_P11_MODULE, R_OK) != 0)
		return om_reason(why, why_len, -1, "no %s: scripts/deps.sh installs softhsm2", LAB_P11_MODULE);
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
	OPENSSL_cleanse(r, sizeof(r));
	/*
	 * The module stays initialized for the lab process: SoftHSM2 looks for its
	 * rdrand engine at each first C_Initialize (ENGINE_by_id) and leaks
	 * OpenSSL's dynamic-engine data when it is not there; the TREs the lab's
	 * agents open and close would initialize it afresh each time.
	 */
	static struct ck_function_list *keep;
	static char keep_conf[sizeof(path)]; /* the SOFTHSM2_CONF it was initialized with */
	if (keep && strcmp(keep_conf, path)) { /* another lab before in this process: its token store */
		p11_kit_module_finalize(keep);
		p11_kit_module_release(keep);
		keep = NULL;
	}
	snprintf(keep_conf, sizeof(keep_conf), "%s", path);
	if (!keep && (keep = p11_kit_module_load(LAB_P11_MODULE, 0)) && p11_kit_module_initialize(keep) != CKR_OK) {
		p11_kit_module_release(keep);
		keep = NULL;
	}
	long st = keep ? init_token(keep, LAB_P11_TOKEN, so_pin, pv->p11_pin) : -1;
	OPENSSL_cleanse(so_pin, sizeof(so_pin)); /* the SO PIN is kept nowhere: the lab never needs it again */
	if (st != 0) {
		pv->p11_pin[0] = '\0';
		return om_reason(why, why_len, -1, "PKCS#11 token in %s (%s): %s 0x%lx", dir, LAB_P11_MODULE,
				 keep ? "C_InitToken/C_InitPIN" : "cannot load", (unsigned long)st);
	}
	/* the PIN beside the token, for an operator looking at the lab afterwards (tests, docs/lab.md) */
	snprintf(path, sizeof(path), "%s/pin", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pv->p11_pin, strlen(pv->p11_pin)) != (ssize_t)strlen(pv->p11_pin)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		OPENSSL_cleanse(pv->p11_pin, sizeof(pv->p11_pin)); /* not ready: a second call must not take it as made */
		return om_reason(why, why_len, -1, "%s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

int lab_p11_make_token(const char *conf, const char *label, const char *so_pin, const char *pin, char *why,
		       size_t why_len)
{
	if (access(LAB_P11_MODULE, R_OK) != 0)
		return om_reason(why, why_len, -1, "no %s: scripts/deps.sh installs softhsm2", LAB_P11_MODULE);
	if (strlen(label) > 32)
		return om_reason(why, why_len, -1, "token label '%.40s' longer than 32 bytes", label);
	int p[2];
	if (pipe(p) < 0)
		return om_reason(why, why_len, -1, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return om_reason(why, why_len, -1, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/*
		 * The child: its own SOFTHSM2_CONF and its own module instance (SoftHSM2 starts
		 * afresh in a forked process), whatever token store the parent has open. Not
		 * exec'd: its command line is the parent's, no PIN on it.
		 */
		long st = -2;
		close(p[0]);
		setenv("SOFTHSM2_CONF", conf, 1);
		void *so = dlopen(LAB_P11_MODULE, RTLD_NOW | RTLD_LOCAL);
		ck_rv_t (*get)(struct ck_function_list **) = so ? (ck_rv_t(*)(struct ck_function_list **))dlsym(so, "C_GetFunctionList") : NULL;
		struct ck_function_list *m = NULL;
		if (get && get(&m) == CKR_OK && m) {
			ck_rv_t rv = m->C_Initialize(NULL);
			if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) { /* the parent's, inherited: ours from here */
				m->C_Finalize(NULL);
				rv = m->C_Initialize(NULL);
			}
			st = rv == CKR_OK ? init_token(m, label, so_pin, pin) : (long)rv;
			if (rv == CKR_OK)
				m->C_Finalize(NULL);
		}
		ssize_t w = write(p[1], &st, sizeof(st));
		_exit(w == (ssize_t)sizeof(st) && st == 0 ? 0 : 1);
	}
	close(p[1]);
	long st = -3;
	ssize_t r;
	while ((r = read(p[0], &st, sizeof(st))) < 0 && errno == EINTR)
		;
	close(p[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(st) || st != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return om_reason(why, why_len, -1, "PKCS#11 token %s for %s (%s): %s 0x%lx", label, conf, LAB_P11_MODULE,
				 st == -2 ? "cannot load" : "C_InitToken/C_InitPIN", (unsigned long)st);
	return 0;
}
