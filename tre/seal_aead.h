/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealed-file envelope the backends share: AES-256-GCM under a device
 * sealing key that the backend holds (a key file, or a TPM-sealed object):
 *   header | nonce(12) | ciphertext | tag(16),   AAD = header | file name
 * The header is the backend's (magic, version, and for the TPM backend the
 * anti-rollback counter), so everything in it is authenticated; the name
 * in the AAD makes a file renamed over another fail to open. Random 96-bit
 * nonces: a key seals at most a few million files in a device's life, far
 * below the 2^32 limit of NIST SP 800-38D 8.3.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define TRE_AEAD_KEY_LEN 32
#define TRE_AEAD_OVERHEAD (12 + 16)
#define TRE_AEAD_NAME_MAX 128
#define TRE_AEAD_HDR_MAX 32

/* Seal pt into a malloc'd *out (header first). 0, OM_EINVAL, OM_ENOMEM, OM_ERANDOM, OM_ECRYPTO. */
OM_NODISCARD int tre_aead_seal(const uint8_t key[static TRE_AEAD_KEY_LEN], const uint8_t *hdr, size_t hdr_len,
			       const char *name, const uint8_t *pt, size_t len, uint8_t **out, size_t *out_len);

/*
 * Open in (whose first hdr_len bytes are the header, already checked by the
 * caller) into a malloc'd *pt that the caller cleanses and frees.
 * 0, OM_EINVAL, OM_ETRE_SEAL (too short, or the tag fails), OM_ENOMEM, OM_ECRYPTO.
 */
OM_NODISCARD int tre_aead_open(const uint8_t key[static TRE_AEAD_KEY_LEN], const uint8_t *in, size_t len,
			       size_t hdr_len, const char *name, uint8_t **pt, size_t *pt_len);
