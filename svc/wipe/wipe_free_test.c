/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svc/wipe/wipe_free.c: a block freed by a shared library (freeDiameter's
 * AVP copy, OpenSSL's buffer) reads as zeros after its free(), past the 16
 * bytes glibc writes into a freed chunk; a block realloc moves leaves no copy
 * behind; and openmcim-hss and openmcim-vno carry the interposer (threats D.9).
 * Built without wipe_free.c, the first three cases find the secret again.
 *
 * Reading a freed block is what the test is about: it runs single-threaded,
 * allocates nothing between the free and the read, and is not built with the
 * sanitizers (which own the allocator; CMakeLists.txt).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fd_wrap.h"
#include <openssl/crypto.h>

#include "check.h"

#define LEN 200
#define GLIBC_CHUNK_LINKS 16 /* tcache next and key, written by free itself */

/* How many bytes past the chunk links still hold the pattern. */
static size_t left_behind(const volatile uint8_t *p, size_t len, uint8_t pattern)
{
	size_t n = 0;
	for (size_t i = GLIBC_CHUNK_LINKS; i < len; i++)
		n += p[i] == pattern;
	return n;
}

static void freediameter_avp_copy_is_wiped(void)
{
	struct dictionary *dict = NULL;
	struct dict_object *obj = NULL;
	struct dict_avp_data data = {.avp_code = 0x7fff01, .avp_name = "Om-Wipe-Test",
				     .avp_basetype = AVP_TYPE_OCTETSTRING};
	struct avp *avp = NULL;
	struct avp_hdr *hdr = NULL;
	uint8_t secret[LEN];
	union avp_value v;
	memset(secret, 0xA5, sizeof(secret));
	v.os.data = secret;
	v.os.len = sizeof(secret);
	CHECK(fd_dict_init(&dict) == 0);
	CHECK(fd_dict_new(dict, DICT_AVP, &data, NULL, &obj) == 0);
	CHECK(fd_msg_avp_new(obj, 0, &avp) == 0);
	CHECK(fd_msg_avp_setvalue(avp, &v) == 0); /* freeDiameter keeps its own copy */
	CHECK(fd_msg_avp_hdr(avp, &hdr) == 0);
	volatile uint8_t *copy = hdr->avp_value->os.data;
	CHECK(copy != secret && left_behind(copy, LEN, 0xA5) == LEN - GLIBC_CHUNK_LINKS);
	CHECK(fd_msg_free(avp) == 0);
	size_t n = left_behind(copy, LEN, 0xA5);
	CHECK_MSG(n == 0, "%zu bytes of the AVP's value left in memory freeDiameter freed", n);
	fd_dict_fini(&dict);
}

static void openssl_buffer_is_wiped(void)
{
	volatile uint8_t *p = OPENSSL_malloc(LEN);
	CHECK(p != NULL);
	memset((void *)p, 0x5A, LEN);
	OPENSSL_free((void *)p);
	size_t n = left_behind(p, LEN, 0x5A);
	CHECK_MSG(n == 0, "%zu bytes left in memory libcrypto freed", n);
}

static void realloc_leaves_no_copy(void)
{
	volatile uint8_t *p = OPENSSL_malloc(LEN);
	CHECK(p != NULL);
	memset((void *)p, 0x3C, LEN);
	uint8_t *q = OPENSSL_realloc((void *)p, 1 << 20); /* too big to grow in place */
	CHECK(q != NULL && q != p && q[0] == 0x3C && q[LEN - 1] == 0x3C);
	size_t n = left_behind(p, LEN, 0x3C);
	CHECK_MSG(n == 0, "%zu bytes left in the block realloc moved from", n);
	OPENSSL_free(q);
}

/* The daemons that carry vectors define free and realloc for their libraries. */
static void daemons_carry_the_interposer(void)
{
	const char *vars[] = {"OM_HSS_BIN", "OM_VNO_BIN"};
	for (size_t i = 0; i < 2; i++) {
		const char *bin = getenv(vars[i]);
		char cmd[1024], line[256];
		int found = 0;
		CHECK_MSG(bin != NULL, "%s not set", vars[i]);
		if (!bin)
			continue;
		snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", bin);
		FILE *f = popen(cmd, "r");
		CHECK(f != NULL);
		while (f && fgets(line, sizeof(line), f))
			found += strcmp(line + strcspn(line, " ") + 1, "T free\n") == 0 ||
				 strcmp(line + strcspn(line, " ") + 1, "T realloc\n") == 0;
		CHECK(f && pclose(f) == 0);
		CHECK_MSG(found == 2, "%s exports %d of free and realloc", bin, found);
	}
}

int main(void)
{
	CHECK(fd_libproto_init() == 0);
	freediameter_avp_copy_is_wiped();
	openssl_buffer_is_wiped();
	realloc_leaves_no_copy();
	daemons_carry_the_interposer();
	return check_done();
}
