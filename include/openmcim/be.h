/* SPDX-License-Identifier: Apache-2.0 */
/* Big-endian integers of n bytes (1..8) in the binary formats (docs/formats.md, docs/tre.md). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The low n bytes of v, most significant first, into out. */
static inline void om_be_put(uint8_t *out, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* The n bytes at in, most significant first. */
static inline uint64_t om_be_get(const uint8_t *in, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | in[i];
	return v;
}
