/* SPDX-License-Identifier: Apache-2.0 */
/* Hexadecimal encoding for keys and protocol fields. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

/*
 * Decode exactly out_len bytes from hex (upper or lower case, no separators,
 * no 0x prefix). The work done does not depend on the digits' values, so a key
 * read from a command line or a file leaks nothing through timing.
 * Returns 0, OM_ELENGTH if hex does not hold exactly 2*out_len digits, or
 * OM_EHEX if a character is not a hex digit. On error out is zeroed.
 */
OM_NODISCARD int om_hex_decode(uint8_t *out, size_t out_len, const char *hex);

/*
 * Decode a hex string of any even length up to out_cap bytes.
 * Returns the number of bytes written, OM_ENOSPC, OM_ELENGTH (odd length) or
 * OM_EHEX.
 */
OM_NODISCARD int om_hex_decode_any(uint8_t *out, size_t out_cap, const char *hex);

/* Encode len bytes as lower-case hex into out, which must hold 2*len+1 bytes. */
void om_hex_encode(char *out, const uint8_t *in, size_t len);
