/* SPDX-License-Identifier: Apache-2.0 */
/* Choosing the sealing backend (seal.h, docs/tre.md "Backends"). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "seal.h"

int om_tre_backend_parse(const char *name, int *kind)
{
	static const struct {
		const char *name;
		int kind;
	} names[] = { { "soft", OM_TRE_BACKEND_SOFT }, { "tpm", OM_TRE_BACKEND_TPM }, { "pkcs11", OM_TRE_BACKEND_PKCS11 } };
	if (!name || !kind)
		return OM_EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*kind = names[i].kind;
			return 0;
		}
	}
	return OM_EINVAL;
}

/*
 * The directory kept open for the sealer's syncs (seal.h dir_fd, issue 14):
 * an open and a close fewer per synced write. Without one (out of
 * descriptors) each sync opens the directory as before.
 */
static int keep_dir(int rc, struct tre_sealer **out, const char *dir)
{
	if (rc == 0 && !((*out)->flags & OM_TRE_NO_FSYNC))
		(*out)->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rc;
}

int tre_seal_create(struct tre_sealer **out, const char *dir, const struct om_tre_backend *be, unsigned flags)
{
	switch (be ? be->kind : OM_TRE_BACKEND_SOFT) {
	case OM_TRE_BACKEND_SOFT:
		return keep_dir(tre_seal_soft_create(out, dir, flags), out, dir);
	case OM_TRE_BACKEND_TPM:
		return keep_dir(tre_seal_tpm_create(out, dir, be->tpm_tcti, be->tpm_pcr_policy, flags), out, dir);
	case OM_TRE_BACKEND_PKCS11:
		return keep_dir(tre_seal_p11_create(out, dir, be->p11_module, be->p11_token, be->p11_pin, flags), out,
				dir);
	default:
		return OM_EINVAL;
	}
}

static int has_file(const char *dir, const char *name)
{
	char path[TRE_PATH_MAX];
	struct stat st;
	return tre_path(path, dir, name) == 0 && lstat(path, &st) == 0;
}

/*
 * The backend is the configuration's (be), never the directory's: the files
 * only show what the TRE was personalised for, and a directory that shows
 * another backend is refused, not opened on the configured one. Deleting
 * tpm.ctx therefore does not make a TPM device fall back to a key file: its
 * configuration still says tpm, and tpm.ctx is missing (OM_ETRE_NOT_FOUND),
 * or a seal.key put there is another backend's (OM_ETRE_BACKEND).
 */
int tre_seal_open(struct tre_sealer **out, const char *dir, const struct om_tre_backend *be, unsigned flags)
{
	int kind = be ? be->kind : OM_TRE_BACKEND_SOFT;
	int soft = has_file(dir, TRE_SEAL_KEY_FILE), tpm = has_file(dir, TRE_SEAL_TPM_FILE),
	    p11 = has_file(dir, TRE_SEAL_P11_FILE);
	switch (kind) {
	case OM_TRE_BACKEND_SOFT:
		return tpm || p11 ? OM_ETRE_BACKEND : keep_dir(tre_seal_soft_open(out, dir, flags), out, dir);
	case OM_TRE_BACKEND_TPM:
		return soft || p11 ? OM_ETRE_BACKEND : keep_dir(tre_seal_tpm_open(out, dir, be->tpm_tcti, flags), out, dir);
	case OM_TRE_BACKEND_PKCS11:
		return soft || tpm ? OM_ETRE_BACKEND
				   : keep_dir(tre_seal_p11_open(out, dir, be->p11_module, be->p11_token, be->p11_pin, flags),
					      out, dir);
	default:
		return OM_EINVAL;
	}
}
