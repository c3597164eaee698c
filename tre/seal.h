/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed storage for the TRE: named blobs that only this device can read
 * and that cannot be altered or swapped without detection (spec/004
 * 5.1.1.1.3: the TRE protects the MIDs' integrity and confidentiality).
 *
 * A backend seals and unseals; the TRE never sees how (docs/tre.md
 * "Backends"). The software backend (seal_soft.c, not protected) keeps the
 * AES-256-GCM key in a 0600 file; the TPM 2.0 backend (seal_tpm.c) keeps it
 * as a TPM sealed object and binds every file to an NV monotonic counter;
 * the PKCS#11 backend (seal_p11.c) keeps it as a non-extractable token key.
 * The interface passes only names and bytes, never the key.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <openmcim/err.h>
#include <openmcim/tre.h>

#include "fileio.h"

struct tre_sealer;

struct tre_seal_ops {
	const char *name;
	/* Seal pt under name and store it atomically (or, with excl, create it
	 * only if absent). 0, OM_ETRE_EXISTS, OM_EIO, OM_ECRYPTO, OM_ERANDOM. */
	int (*put)(struct tre_sealer *s, const char *name, const uint8_t *pt, size_t len, int excl);
	/* Read and unseal name into a malloc'd *pt (the caller cleanses and
	 * frees it). 0, OM_ETRE_NOT_FOUND, OM_ETRE_SEAL, OM_ENOMEM, OM_EIO. */
	int (*get)(struct tre_sealer *s, const char *name, uint8_t **pt, size_t *len);
	/* Securely erase name. 0, OM_ETRE_NOT_FOUND, OM_EIO. */
	int (*erase)(struct tre_sealer *s, const char *name);
	/* Cleanse the key material and free s. */
	void (*close)(struct tre_sealer *s);
	/* A personalisation failed: remove what create made (files, TPM
	 * objects), then close. */
	void (*discard)(struct tre_sealer *s);
};

struct tre_sealer {
	const struct tre_seal_ops *ops;
	unsigned flags; /* OM_TRE_NO_FSYNC */
	/* The next put is not the transaction's last: its directory entry is
	 * synced by the one that is (tre_save_mid_deferred, docs/tre.md). */
	int defer_dir;
	/* A hardware anti-rollback counter (TPM NV counter): counter is its
	 * value, the number of the last put, and the TRE's state counter. */
	int has_counter;
	uint64_t counter;
	/* The TRE's directory, opened once by tre_seal_create/open for its
	 * syncs (tre_file_write_at), closed with the sealer; -1 when none
	 * (each backend's constructor sets it: never 0 from calloc). */
	int dir_fd;
};

#define TRE_SEAL_KEY_FILE "seal.key"
#define TRE_SEAL_TPM_FILE "tpm.ctx"
#define TRE_SEAL_MANIFEST_FILE "seal.manifest"
#define TRE_SEAL_P11_FILE "p11.ctx"

/*
 * Make the sealer for a new TRE in dir with backend be (NULL: software).
 * 0, OM_EINVAL, OM_ETRE_EXISTS, and the codes of the backend's create.
 */
OM_NODISCARD int tre_seal_create(struct tre_sealer **out, const char *dir, const struct om_tre_backend *be,
				 unsigned flags);

/*
 * Open the sealer of the TRE in dir on backend be (NULL: software), which
 * comes from the device's configuration. A directory whose files show
 * another backend (tpm.ctx, p11.ctx, seal.key) is OM_ETRE_BACKEND. The
 * codes of the backend's open.
 */
OM_NODISCARD int tre_seal_open(struct tre_sealer **out, const char *dir, const struct om_tre_backend *be,
			       unsigned flags);

/*
 * TPM 2.0 backend (seal_tpm.c) through the tpm2-tss TCTI tcti (NULL: the
 * TSS's default), which only the configuration gives. create: a
 * sealed-data object holding a fresh key under the storage root key, a new
 * NV counter, tpm.ctx (the NV index, the SRK's name, the object) and the
 * manifest (sealed: the counter, the NV index's and the SRK's names). open:
 * the NV index must have the attributes this backend gives it and the name
 * the manifest recorded (OM_ETRE_NV); the SRK the name tpm.ctx and the
 * manifest recorded (OM_ETRE_SEAL); unseal the key (OM_ETRE_SEAL on another
 * TPM), check the manifest against the NV counter (OM_ETRE_ROLLBACK for an
 * older copy). Other codes: OM_ETRE_HW (unreachable, or a command refused),
 * OM_ETRE_STATE_VERSION (a tpm.ctx of the version that kept a TCTI),
 * OM_ETRE_EXISTS, OM_ETRE_NOT_FOUND, OM_ENOMEM, OM_ERANDOM, OM_EIO.
 */
#ifdef OM_TRE_FAULTS
/*
 * Fault points of the TPM backend, compiled only into the test build of
 * tre/tests.cmake (never into libom_tre): the step named by tre_tpm_fault
 * fails once with OM_ETRE_HW, as a full disk or a TPM that stopped
 * answering would, after the sealed file of a put was written.
 */
enum { TRE_FAULT_NONE, TRE_FAULT_MANIFEST, TRE_FAULT_NV_INCREMENT };
extern int tre_tpm_fault;
#endif

/* A key this TPM made and keeps (TPM 2.0 Part 1, 27.2): it cannot be duplicated, its secret never left the TPM. */
#define TRE_TPM_OWN_KEY                                                                                      \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH)

/*
 * Connect to the TPM of TCTI tcti (NULL: the TSS's default); OM_ETRE_HW.
 * The caller finalizes both, as tpm_disconnect does.
 */
OM_NODISCARD int tre_tpm_connect(const char *tcti, TSS2_TCTI_CONTEXT **tc, ESYS_CONTEXT **es);
/* The storage root key (TCG ECC P-256 SRK template) and its name; OM_ETRE_HW. The caller flushes it. */
OM_NODISCARD int tre_tpm_srk(ESYS_CONTEXT *esys, ESYS_TR *srk, TPM2B_NAME *name);

/* pcr: NULL, or the PCR TRE_PCR_TRE value the sealed key is bound to (TPM2_PolicyPCR; open: OM_ETRE_PCR otherwise) */
OM_NODISCARD int tre_seal_tpm_create(struct tre_sealer **out, const char *dir, const char *tcti,
				     const uint8_t *pcr, unsigned flags);
OM_NODISCARD int tre_seal_tpm_open(struct tre_sealer **out, const char *dir, const char *tcti, unsigned flags);

/*
 * PKCS#11 backend (seal_p11.c): module loaded through p11-kit, the token
 * of label token, logged in with pin, all three from the configuration.
 * create: a non-extractable, sensitive AES-256 key generated in the token
 * (C_GenerateKey); p11.ctx keeps the token's label and the key's id only.
 * open: the label must be the configured one (OM_ETRE_BACKEND), then find
 * the key again. Sealing is C_Encrypt/C_Decrypt with CKM_AES_GCM inside the
 * token. Codes: OM_ETRE_HW, OM_ETRE_SEAL, OM_ETRE_EXISTS, OM_ETRE_NOT_FOUND,
 * OM_ETRE_STATE_VERSION (a p11.ctx of the version that kept the module),
 * OM_ENOMEM, OM_ERANDOM, OM_EIO, OM_EINVAL.
 */
OM_NODISCARD int tre_seal_p11_create(struct tre_sealer **out, const char *dir, const char *module,
				     const char *token, const char *pin, unsigned flags);
OM_NODISCARD int tre_seal_p11_open(struct tre_sealer **out, const char *dir, const char *module,
				   const char *token, const char *pin, unsigned flags);

/*
 * Software backend for the TRE in dir. create: make a fresh device sealing
 * key (O_EXCL, 0600; OM_ETRE_EXISTS if one is there). open: read it,
 * refusing a key file others may read (OM_ETRE_PERM) or of the wrong size
 * (OM_ETRE_SEAL). Other codes: OM_ETRE_NOT_FOUND, OM_ENOMEM, OM_ERANDOM,
 * OM_EIO.
 */
OM_NODISCARD int tre_seal_soft_create(struct tre_sealer **out, const char *dir, unsigned flags);
OM_NODISCARD int tre_seal_soft_open(struct tre_sealer **out, const char *dir, unsigned flags);


/* The fileio.h sync mode of the sealer's next write. */
static inline int tre_seal_sync(const struct tre_sealer *s)
{
	if (s->flags & OM_TRE_NO_FSYNC)
		return TRE_SYNC_NONE;
	return s->defer_dir ? TRE_SYNC_DEFER_DIR : TRE_SYNC;
}

static inline int tre_seal_put(struct tre_sealer *s, const char *name, const uint8_t *pt, size_t len, int excl)
{
	return s->ops->put(s, name, pt, len, excl);
}

static inline int tre_seal_get(struct tre_sealer *s, const char *name, uint8_t **pt, size_t *len)
{
	return s->ops->get(s, name, pt, len);
}

static inline int tre_seal_erase(struct tre_sealer *s, const char *name)
{
	return s->ops->erase(s, name);
}

static inline void tre_seal_close(struct tre_sealer *s)
{
	if (s) {
		int fd = s->dir_fd;
		s->ops->close(s);
		if (fd >= 0)
			close(fd);
	}
}

static inline void tre_seal_discard(struct tre_sealer *s)
{
	if (s) {
		int fd = s->dir_fd;
		s->ops->discard(s);
		if (fd >= 0)
			close(fd);
	}
}
