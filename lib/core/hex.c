/* SPDX-License-Identifier: Apache-2.0 */
/* Constant-time hexadecimal encoding and decoding. */
#include <string.h>

#include <openmcim/hex.h>

/*
 * Value of one hex digit, or -1. Branch-free over the character so that the
 * digits of a secret key do not steer the branch predictor or the cache.
 */
static int hex_digit(unsigned char c)
{
	int v = -1;
	/* each term is (mask & value): mask is all-ones only in its range */
	int d = c - '0', l = (c | 0x20) - 'a';
	int is_d = ((('0' - 1 - (int)c) & ((int)c - ('9' + 1))) >> 8) & 1;
	int is_l = (((('a' - 1) - (int)(c | 0x20)) & ((int)(c | 0x20) - ('f' + 1))) >> 8) & 1;
	v ^= (-is_d) & (d ^ v);
	v ^= (-is_l) & ((l + 10) ^ v);
	return v;
}

/* '0'..'9' or 'a'..'f' for n in 0..15, without a table lookup. */
static char hex_char(unsigned n)
{
	/* (9 - n) >> 8 is all-ones exactly when n > 9 */
	return (char)('0' + n + ((((int)9 - (int)n) >> 8) & ('a' - '0' - 10)));
}

static int decode(uint8_t *out, size_t n, const char *hex)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)hex[2 * i]);
		int lo = hex_digit((unsigned char)hex[2 * i + 1]);
		bad |= hi | lo; /* negative iff either is -1 */
		out[i] = (uint8_t)(((unsigned)hi & 0xf) << 4 | ((unsigned)lo & 0xf));
	}
	if (bad < 0) {
		memset(out, 0, n);
		return OM_EHEX;
	}
	return 0;
}

int om_hex_decode(uint8_t *out, size_t out_len, const char *hex)
{
	if (!out || !hex)
		return OM_EINVAL;
	if (strlen(hex) != 2 * out_len) {
		memset(out, 0, out_len);
		return OM_ELENGTH;
	}
	return decode(out, out_len, hex);
}

int om_hex_decode_any(uint8_t *out, size_t out_cap, const char *hex)
{
	if (!out || !hex)
		return OM_EINVAL;
	size_t len = strlen(hex);
	if (len % 2)
		return OM_ELENGTH;
	if (len / 2 > out_cap)
		return OM_ENOSPC;
	if (len / 2 > (size_t)0x7fffffff)
		return OM_ELENGTH;
	int r = decode(out, len / 2, hex);
	return r < 0 ? r : (int)(len / 2);
}

void om_hex_encode(char *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_char(in[i] >> 4);
		out[2 * i + 1] = hex_char(in[i] & 0xf);
	}
	out[2 * len] = '\0';
}
