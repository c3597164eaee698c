/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64 (include/openmcim/base64.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/base64.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t om_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void om_base64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int om_base64_decode(const char *in, size_t n, size_t max, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (n == 0 || n % 4 != 0 || memchr(in, '\0', n))
		return OM_EBASE64;
	size_t pad = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
	size_t len = n / 4 * 3 - pad;
	if (len > max)
		return OM_ELENGTH;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return OM_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int s[4];
		int last = i + 4 == n;
		for (int k = 0; k < 4; k++) {
			s[k] = sextet(in[i + (size_t)k]);
			/* '=' only in the last pad positions of the last quantum */
			if (s[k] < 0 && !(last && in[i + (size_t)k] == '=' && (size_t)k >= 4 - pad))
				goto bad;
			if (s[k] < 0)
				s[k] = 0;
		}
		uint32_t v = (uint32_t)s[0] << 18 | (uint32_t)s[1] << 12 | (uint32_t)s[2] << 6 | (uint32_t)s[3];
		/* canonical: the bits the padding drops are zero (RFC 4648 3.5) */
		if (last && ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))))
			goto bad;
		buf[o++] = (uint8_t)(v >> 16);
		if (o < len)
			buf[o++] = (uint8_t)(v >> 8);
		if (o < len)
			buf[o++] = (uint8_t)v;
	}
	*out = buf;
	*out_len = len;
	return 0;
bad:
	OPENSSL_cleanse(buf, o); /* the part decoded may be a secret (HTTP Basic, DM credentials) */
	free(buf);
	return OM_EBASE64;
}
