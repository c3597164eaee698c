/* SPDX-License-Identifier: Apache-2.0 */
/* RAND pool: OpenSSL's CSPRNG drawn in 4 KiB batches (see rand.h for why). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/rand.h>

void om_rand_pool_init(struct om_rand_pool *pool)
{
	OPENSSL_cleanse(pool->buf, sizeof(pool->buf));
	pool->pos = sizeof(pool->buf);
}

void om_rand_pool_clear(struct om_rand_pool *pool)
{
	om_rand_pool_init(pool);
}

int om_rand_pool_get(struct om_rand_pool *pool, uint8_t *out, size_t len)
{
	if (!pool || (!out && len))
		return OM_EINVAL;
	for (size_t done = 0; done < len;) {
		if (pool->pos >= sizeof(pool->buf)) {
			if (RAND_bytes(pool->buf, (int)sizeof(pool->buf)) != 1) {
				om_rand_pool_clear(pool);
				OPENSSL_cleanse(out, len);
				return OM_ERANDOM;
			}
			pool->pos = 0;
		}
		size_t n = sizeof(pool->buf) - pool->pos;
		if (n > len - done)
			n = len - done;
		memcpy(out + done, pool->buf + pool->pos, n);
		OPENSSL_cleanse(pool->buf + pool->pos, n);
		pool->pos += n;
		done += n;
	}
	return 0;
}
