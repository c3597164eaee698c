/* SPDX-License-Identifier: Apache-2.0 */
/*
 * om_buf (include/openmcim/buf.h): bytes kept across growth, the limit and
 * the caller's memory refused with OM_ENOSPC and the first failure kept,
 * printf, and the wipe: no block the buffer frees, when it grows or at the
 * end, still holds a secret written into it (free() is watched below; not
 * in sanitizer builds, whose allocator owns free).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/buf.h>

#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define IN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IN_ASAN 1
#endif
#endif
#ifndef IN_ASAN
#define WATCH_FREE 1
#endif

#ifdef WATCH_FREE
static uint8_t secret[16];
static int watching;
static unsigned freed_with_secret, freed_watched;

extern void __libc_free(void *);
void free(void *p)
{
	if (p && watching) {
		freed_watched++;
		freed_with_secret += check_has_bytes(p, malloc_usable_size(p), secret, sizeof(secret)) != 0;
	}
	__libc_free(p);
}
#endif

static void grows_and_keeps(void)
{
	struct om_buf b = OM_BUF_INIT(0);
	uint8_t want[10000], *out;
	size_t len;
	check_random(want, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i += 100)
		om_buf_put(&b, want + i, 100);
	CHECK_INT(b.err, 0);
	CHECK_INT(om_buf_take(&b, &out, &len), 0);
	CHECK_INT(len, sizeof(want));
	CHECK_MEM(out, want, sizeof(want));
	CHECK_INT(out[len], 0);
	CHECK(b.p == NULL && b.len == 0);
	free(out);
}

static void limits(void)
{
	struct om_buf b = OM_BUF_INIT(8);
	uint8_t *out;
	size_t len;
	om_buf_puts(&b, "12345678");
	CHECK_INT(b.err, 0);
	om_buf_puts(&b, "9");
	CHECK_INT(b.err, OM_ENOSPC);
	om_buf_fail(&b, OM_EINVAL); /* the first failure stays */
	CHECK_INT(om_buf_take(&b, &out, &len), OM_ENOSPC);
	CHECK(out == NULL && b.p == NULL);

	char mem[8];
	om_buf_fixed(&b, mem, sizeof(mem));
	om_buf_printf(&b, "%s-%d", "ab", 42);
	CHECK_INT(b.err, 0);
	CHECK(!strcmp(mem, "ab-42"));
	om_buf_puts(&b, "xyz");
	CHECK_INT(b.err, 0); /* the caller's memory filled to its last byte, no NUL */
	CHECK_MEM(mem, "ab-42xyz", 8);
	om_buf_puts(&b, "!");
	CHECK_INT(b.err, OM_ENOSPC);
	CHECK_INT(b.len, 8);
	om_buf_free(&b);
	CHECK(mem[0] == 0 && mem[4] == 0); /* the caller's memory wiped, not freed */

	struct om_buf e = OM_BUF_INIT(0);
	CHECK_INT(om_buf_take(&e, &out, &len), 0);
	CHECK(out && len == 0 && out[0] == 0);
	free(out);
}

static void wipes(void)
{
#ifdef WATCH_FREE
	struct om_buf b = OM_BUF_INIT(0);
	uint8_t pad[512] = { 0 };
	check_random(secret, sizeof(secret));
	watching = 1;
	om_buf_put(&b, secret, sizeof(secret));
	for (int i = 0; i < 40; i++) /* past several doublings */
		om_buf_put(&b, pad, sizeof(pad));
	om_buf_printf(&b, "%s", "and text");
	om_buf_free(&b);
	struct om_buf c = OM_BUF_INIT(100);
	om_buf_put(&c, secret, sizeof(secret));
	om_buf_put(&c, pad, sizeof(pad)); /* over the limit: take wipes and frees */
	uint8_t *out;
	size_t len;
	CHECK_INT(om_buf_take(&c, &out, &len), OM_ENOSPC);
	watching = 0;
	CHECK_MSG(freed_watched >= 5, "%u blocks freed", freed_watched);
	CHECK_MSG(freed_with_secret == 0, "%u freed blocks still held the secret", freed_with_secret);
#endif
}

int main(void)
{
	grows_and_keeps();
	limits();
	wipes();
	return check_done();
}
