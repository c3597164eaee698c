/* SPDX-License-Identifier: Apache-2.0 */
/* Crockford's base32 for typed secrets (include/openmcim/base32.h). */
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/base32.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void om_base32_encode(const uint8_t *in, size_t skip, size_t n_chars, size_t group, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n_chars; i++) {
		size_t bit = skip + i * 5, v = 0;
		for (size_t b = 0; b < 5; b++)
			v = v << 1 | ((in[(bit + b) / 8] >> (7 - (bit + b) % 8)) & 1u);
		if (group && i && i % group == 0)
			out[o++] = '-';
		out[o++] = alphabet[v];
	}
	out[o] = '\0';
}

/* The character's value, folding case and look-alikes; -1 outside the alphabet. */
static int value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	const char *p = c ? strchr(alphabet, c) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

int om_base32_normalise(const char *typed, char *out, size_t n_chars)
{
	size_t n = 0;
	if (!typed || !out)
		return OM_EINVAL;
	for (const char *p = typed; *p; p++) {
		if (*p == '-')
			continue;
		int v = value(*p);
		if (v < 0 || n == n_chars) {
			OPENSSL_cleanse(out, n_chars + 1);
			return OM_EINVAL;
		}
		out[n++] = alphabet[v];
	}
	out[n] = '\0';
	if (n != n_chars) {
		OPENSSL_cleanse(out, n_chars + 1);
		return OM_EINVAL;
	}
	return 0;
}

int om_base32_decode(const char *canon, size_t n_chars, size_t skip, uint8_t *out, size_t out_len)
{
	if (!canon || !out || (skip + 5 * n_chars + 7) / 8 > out_len)
		return OM_EINVAL;
	memset(out, 0, out_len);
	for (size_t i = 0; i < n_chars; i++) {
		const char *p = canon[i] ? strchr(alphabet, canon[i]) : NULL;
		if (!p) {
			OPENSSL_cleanse(out, out_len);
			return OM_EINVAL;
		}
		unsigned v = (unsigned)(p - alphabet);
		for (size_t b = 0; b < 5; b++) {
			size_t bit = skip + i * 5 + b;
			out[bit / 8] |= (uint8_t)(((v >> (4 - b)) & 1u) << (7 - bit % 8));
		}
	}
	return 0;
}
