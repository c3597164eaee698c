/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed storage for the TRE: named blobs that only this device can read
 * and that cannot be altered or swapped without detection (spec/004
 * 5.1.1.1.3: the TRE protects the MIDs' integrity and confidentiality).
 *
 * A backend seals and unseals; the TRE never sees how. The software backend
 * (seal_soft.c) uses AES-256-GCM under a device sealing key kept in a 0600
 * file, with the blob's name as AAD. A TPM 2.0 backend would keep the key as
 * a TPM object (TPM2_Create under the storage hierarchy, sealed to PCRs) and
 * a PKCS#11 backend as a non-extractable CKK_AES key (C_EncryptInit with
 * CKM_AES_GCM): both fit these four operations, since the interface passes
 * only names and bytes, never the key.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

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
};

struct tre_sealer {
	const struct tre_seal_ops *ops;
	unsigned flags; /* OM_TRE_NO_FSYNC */
};

#define TRE_SEAL_KEY_FILE "seal.key"

/*
 * Software backend for the TRE in dir. create: make a fresh device sealing
 * key (O_EXCL, 0600; OM_ETRE_EXISTS if one is there). open: read it,
 * refusing a key file others may read (OM_ETRE_PERM) or of the wrong size
 * (OM_ETRE_SEAL). Other codes: OM_ETRE_NOT_FOUND, OM_ENOMEM, OM_ERANDOM,
 * OM_EIO.
 */
OM_NODISCARD int tre_seal_soft_create(struct tre_sealer **out, const char *dir, unsigned flags);
OM_NODISCARD int tre_seal_soft_open(struct tre_sealer **out, const char *dir, unsigned flags);

/* Remove the key file of a TRE whose personalisation failed. */
void tre_seal_soft_discard(const char *dir);

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
	if (s)
		s->ops->close(s);
}
