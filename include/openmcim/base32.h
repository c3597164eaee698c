/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crockford's base32 (alphabet 0-9 A-Z without I, L, O, U; no check
 * symbol) for secrets a person types: the DRF's transfer codes and the
 * factory's owner claims. Reading folds case, drops '-', and takes O as 0
 * and I, L as 1, so nothing misread when copied from paper fails.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

/*
 * Write n_chars characters for the bits of in from bit skip (0 = the top
 * bit of in[0]) on, 5 bits a character, with a '-' after every group
 * characters (0: none); out is NUL-terminated. The caller sizes out:
 * n_chars + (n_chars - 1) / group + 1.
 */
void om_base32_encode(const uint8_t *in, size_t skip, size_t n_chars, size_t group, char *out);

/*
 * The canonical form of typed text: exactly n_chars alphabet characters
 * after folding (out holds n_chars + 1). Returns 0, or OM_EINVAL for a
 * character outside the alphabet or another length (out is then cleansed).
 */
OM_NODISCARD int om_base32_normalise(const char *typed, char *out, size_t n_chars);

/*
 * The bits of canonical text (from om_base32_normalise) into out from bit
 * skip on; out's other bits are zero. out holds (skip + 5 * n_chars + 7) / 8
 * bytes. Returns 0, or OM_EINVAL if a character is not canonical.
 */
OM_NODISCARD int om_base32_decode(const char *canon, size_t n_chars, size_t skip, uint8_t *out, size_t out_len);
