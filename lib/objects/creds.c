/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plaintext of PuK_TRE(username/password, nonceA) of B.2.3.2: what the
 * TRE finds once it opens the protect.h object of tag
 * OM_PROTECT_TAG_DM_CREDENTIALS carried in the bootstrap. Layout in
 * docs/formats.md ("DM credentials payload"):
 *   01 | 01 len username | 02 len password | 03 10 nonceA
 * Fixed order, each field once, nothing after the nonce.
 */
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/bootstrap.h>

#define CREDS_VERSION 0x01
#define TAG_USERNAME 0x01
#define TAG_PASSWORD 0x02
#define TAG_NONCE_A 0x03

/* 1..OM_BOOTSTRAP_NAME_MAX printable ASCII characters (no space: DM auth names). */
static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > OM_BOOTSTRAP_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Write c into out. Returns the length, OM_EINVAL (c not well-formed) or OM_ENOSPC. */
int om_dm_creds_encode(const struct om_dm_creds *c, uint8_t *out, size_t cap)
{
	if (!c || !out)
		return OM_EINVAL;
	size_t ul = strnlen(c->username, sizeof(c->username));
	size_t pl = strnlen(c->password, sizeof(c->password));
	if (!name_ok(c->username, ul) || !name_ok(c->password, pl))
		return OM_EINVAL;
	size_t need = 1 + 2 + ul + 2 + pl + 2 + OM_NONCE_LEN;
	if (cap < need)
		return OM_ENOSPC;
	size_t o = 0;
	out[o++] = CREDS_VERSION;
	out[o++] = TAG_USERNAME;
	out[o++] = (uint8_t)ul;
	memcpy(out + o, c->username, ul);
	o += ul;
	out[o++] = TAG_PASSWORD;
	out[o++] = (uint8_t)pl;
	memcpy(out + o, c->password, pl);
	o += pl;
	out[o++] = TAG_NONCE_A;
	out[o++] = OM_NONCE_LEN;
	memcpy(out + o, c->nonce_a, OM_NONCE_LEN);
	o += OM_NONCE_LEN;
	return (int)o;
}

/* One text field at in[*pos]; copies it NUL-terminated into dst. */
static int take_name(const uint8_t *in, size_t len, size_t *pos, uint8_t tag, char dst[static OM_BOOTSTRAP_NAME_MAX + 1])
{
	if (len - *pos < 2 || in[*pos] != tag)
		return OM_EOBJ_CREDS;
	size_t n = in[*pos + 1];
	if (len - *pos - 2 < n || !name_ok((const char *)in + *pos + 2, n))
		return OM_EOBJ_CREDS;
	memcpy(dst, in + *pos + 2, n);
	dst[n] = '\0';
	*pos += 2 + n;
	return 0;
}

/*
 * Decode the payload into c. Returns 0 or OM_EOBJ_CREDS (wrong version,
 * field order, length, characters, or trailing bytes); on failure c is
 * cleared.
 */
int om_dm_creds_decode(struct om_dm_creds *c, const uint8_t *in, size_t len)
{
	if (!c || (!in && len))
		return OM_EINVAL;
	struct om_dm_creds t;
	size_t pos = 1;
	int r = OM_EOBJ_CREDS;

	memset(&t, 0, sizeof(t));
	if (len < 1 || in[0] != CREDS_VERSION)
		goto out;
	if (take_name(in, len, &pos, TAG_USERNAME, t.username) < 0 ||
	    take_name(in, len, &pos, TAG_PASSWORD, t.password) < 0)
		goto out;
	if (len - pos != 2 + OM_NONCE_LEN || in[pos] != TAG_NONCE_A || in[pos + 1] != OM_NONCE_LEN)
		goto out;
	memcpy(t.nonce_a, in + pos + 2, OM_NONCE_LEN);
	*c = t;
	r = 0;
out:
	if (r < 0)
		om_dm_creds_clear(c);
	OPENSSL_cleanse(&t, sizeof(t));
	return r;
}

void om_dm_creds_clear(struct om_dm_creds *c)
{
	if (c)
		OPENSSL_cleanse(c, sizeof(*c));
}
