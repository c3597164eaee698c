/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 compression on the x86 SHA extensions (SHA-NI), several independent
 * states side by side. Private to lib/auth: the KASME batch in kdf.c is its
 * user, the tests in sha256_ni_test.c check it against OpenSSL.
 *
 * sha256rnds2 is latency-bound (each pair of rounds waits for the previous
 * pair), so one compression leaves most of the SHA unit idle; compressing up
 * to four unrelated blocks with their rounds interleaved costs little more
 * than one (docs/auth.md, Performance).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * True when the SHA-NI engine is in use: the CPU has SHA, SSSE3 and SSE4.1
 * and OM_NO_SHANI is not "1" in the environment. Decided once, lazily.
 */
int om_sha256_ni_enabled(void);

/*
 * Force the fallback (force != 0: om_sha256_ni_enabled() returns 0) or go
 * back to the run-time choice. For the tests, which check both paths.
 */
void om_sha256_ni_force_fallback(int force);

/*
 * state[i] (H0..H7 of FIPS 180-4) absorbs the block blk[i] (M0..M15 of
 * FIPS 180-4 5.2.1: the 64 bytes read as 16 big-endian words), for i < n;
 * any n, taken four at a time. Words are host-order uint32_t: the KDF builds
 * its blocks word by word and passes hash words straight into the next
 * block, so no byte order is converted in between. Must only be called
 * when om_sha256_ni_enabled() is true (on other CPUs it does nothing).
 * The caller cleanses state and blocks when they hold secrets.
 */
void om_sha256_ni_compress(uint32_t (*state)[8], const uint32_t (*blk)[16], size_t n);
