/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include <openmcim/hex.h>

#include "check.h"

static unsigned passed, failed;

/* Case-insensitive equality of two hex strings of the same length. */
static int hex_same(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a | 0x20) != (*b | 0x20))
			return 0;
	return *a == *b;
}

void check_record(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputs(": ", stderr);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
}

int check_hex_eq(const uint8_t *got, size_t len, const char *want_hex, const char *file, int line,
		 const char *what)
{
	char *g = malloc(2 * len + 1);
	if (!g)
		abort();
	om_hex_encode(g, got, len);
	int ok = strlen(want_hex) == 2 * len && hex_same(g, want_hex);
	check_record(ok, file, line, what, "got %s, want %s", g, want_hex);
	free(g);
	return ok;
}

int check_failures(void)
{
	return (int)failed;
}

int check_done(void)
{
	printf("%u passed, %u failed\n", passed, failed);
	if (passed == 0 && failed == 0) {
		fprintf(stderr, "no check ran: a test that asserts nothing is a failure\n");
		return 1;
	}
	return failed ? 1 : 0;
}

void check_random(uint8_t *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1) {
		fprintf(stderr, "RAND_bytes failed\n");
		abort();
	}
}

unsigned char *check_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	unsigned char *buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
		unsigned char *nb = realloc(buf, cap + 1);
		if (!nb) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		if (len)
			*len = n;
	}
	return buf;
}

int check_has_bytes(const void *hay, size_t hl, const void *needle, size_t nl)
{
	const unsigned char *h = hay;
	if (!nl || nl > hl)
		return 0;
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == *(const unsigned char *)needle && !memcmp(h + i, needle, nl))
			return 1;
	return 0;
}

int check_file_has(const char *path, const void *needle, size_t nl)
{
	size_t len = 0;
	unsigned char *b = check_slurp(path, &len);
	int has = b && check_has_bytes(b, len, needle, nl);
	free(b);
	return has;
}

unsigned check_lines_with(const char *text, const char *a, const char *b)
{
	unsigned n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), l);
		if (strstr(line, a) && strstr(line, b))
			n++;
	}
	return n;
}

char *check_insert_after(const char *s, const char *at, const char *ins)
{
	const char *p = strstr(s, at);
	CHECK_MSG(p != NULL, "missing '%s'", at);
	if (!p)
		return strdup(s);
	size_t k = (size_t)(p - s) + strlen(at), n = strlen(s), il = strlen(ins);
	char *r = malloc(n + il + 1);
	if (!r)
		abort();
	memcpy(r, s, k);
	memcpy(r + k, ins, il);
	memcpy(r + k + il, s + k, n - k + 1);
	return r;
}
