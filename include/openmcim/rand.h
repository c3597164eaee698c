/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A caller-owned pool of CSPRNG bytes for RAND challenges (TS 33.102 6.3.2).
 *
 * RAND_bytes(16) costs about 1 µs under OpenSSL 3, more than the rest of a
 * vector together; asking for 4 KiB at a time brings it to about 20 ns per
 * RAND (research/hss-s6a-style-performance.md 4.3). The bytes still come from
 * OpenSSL's CSPRNG; each byte is handed out once and wiped from the pool as
 * it is consumed, so a later memory disclosure cannot reveal past RANDs.
 *
 * One pool per thread, no locking. A pool must not be carried across fork():
 * parent and child would hand out the same bytes. Clear it in the child (or
 * make the pool after forking).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define OM_RAND_POOL_BYTES 4096

struct om_rand_pool {
	uint8_t buf[OM_RAND_POOL_BYTES];
	size_t pos; /* bytes before pos are consumed (and wiped) */
};

/* Start empty; the first draw fills the pool. */
void om_rand_pool_init(struct om_rand_pool *pool);

/*
 * Copy len fresh bytes into out, refilling the pool from RAND_bytes as
 * needed. Returns 0, or OM_ERANDOM if the CSPRNG fails, in which case out is
 * zeroed and the pool is left empty.
 */
OM_NODISCARD int om_rand_pool_get(struct om_rand_pool *pool, uint8_t *out, size_t len);

/* Wipe the unconsumed bytes and leave the pool empty. */
void om_rand_pool_clear(struct om_rand_pool *pool);
