/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict base64 (RFC 4648 4: standard alphabet, '=' padding to a multiple
 * of 4, no whitespace), one spelling per byte string (3.5 canonical
 * encoding: the bits the padding drops are zero), so that a signed value
 * cannot be carried two ways and no byte of it is ignored. Used for the
 * bootstrap's VENDORCONFIG values, SyncML DM's b64 data and credentials,
 * the admin sockets' binary values and the PVA's OCSP GET and import files.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

/* Length of the base64 text for n bytes (without a NUL). */
size_t om_base64_len(size_t n);

/* Encode in to out (NUL-terminated); out holds om_base64_len(len) + 1 bytes. */
void om_base64_encode(const uint8_t *in, size_t len, char *out);

/*
 * Decode the n characters at in. *out is malloc'd (NULL on failure), at
 * most max bytes. Returns 0, OM_EBASE64 (not canonical base64, empty, or a
 * NUL byte inside), OM_ELENGTH (more than max bytes) or OM_ENOMEM.
 */
OM_NODISCARD int om_base64_decode(const char *in, size_t n, size_t max, uint8_t **out, size_t *out_len);
