/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA DM Security 1.2 credentials (research/oma-dm-cp-and-peers.md 1.4):
 *   auth-basic  B64(user ":" pass)
 *   auth-md5    B64(MD5(B64(MD5(user ":" pass)) ":" nonce))
 *   HMAC        B64(MD5(B64(MD5(user ":" pass)) ":" nonce ":" B64(MD5(body))))
 * nonce is the raw bytes of the last NextNonce. Both digests are the outer
 * step B64(MD5(inner ":" x)) of one inner digest, which is what lets the
 * device's TRE (om_tre_dm_digest) hold the password: the HMAC is the outer
 * step over x = nonce ":" B64(MD5(body)) (om_dm_hmac_input). MD5 is the
 * protocol's, not a choice: these schemes are compatibility, the security
 * rests on TLS and the signed M2MMobj / M2MMCIMMobj.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <openmcim/base64.h>

#include "dm_int.h"

/*
 * MD5 fetched once, from the process-wide context (issue 14): a fetch per
 * digest is a name look-up under the method store's lock, and the DPF and
 * the TRE make several of these digests per DM message.
 */
static EVP_MD *md5_md;
static pthread_once_t md5_once = PTHREAD_ONCE_INIT;

static void md5_fetch(void)
{
	md5_md = EVP_MD_fetch(OSSL_LIB_CTX_get0_global_default(), "MD5", NULL);
	ERR_clear_error();
}

/*
 * The kept MD5 on the process-wide context; on a context of the thread's own
 * (a factory worker's, the TPM's) EVP_md5(), fetched there at each use, so
 * that context's providers decide, as before the fetch was kept.
 */
static const EVP_MD *md5_for_thread(void)
{
	OSSL_LIB_CTX *cur = OSSL_LIB_CTX_set0_default(NULL); /* NULL: only reads the thread's default */
	if (cur && cur != OSSL_LIB_CTX_get0_global_default())
		return EVP_md5();
	return pthread_once(&md5_once, md5_fetch) == 0 ? md5_md : NULL;
}

/* B64(MD5(a ":" b)), or B64(MD5(a)) when b is NULL. */
static int b64_md5(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		   char out[static OM_DM_B64_MD5_LEN + 1])
{
	uint8_t md[16];
	unsigned int md_len = 0;
	int r = OM_ECRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md5 = md5_for_thread();
	if (!ctx || !md5 || !EVP_DigestInit_ex(ctx, md5, NULL) || !EVP_DigestUpdate(ctx, a, a_len))
		goto out;
	if (b && (!EVP_DigestUpdate(ctx, ":", 1) || !EVP_DigestUpdate(ctx, b, b_len)))
		goto out;
	if (!EVP_DigestFinal_ex(ctx, md, &md_len) || md_len != sizeof(md))
		goto out;
	om_base64_encode(md, sizeof(md), out);
	r = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	EVP_MD_CTX_free(ctx);
	return r;
}

int om_dm_auth_basic(const char *user, const char *pass, char *out, size_t cap)
{
	if (!user || !pass || !out)
		return OM_EINVAL;
	size_t ul = strlen(user), pl = strlen(pass);
	if (ul > OM_DM_STR_MAX || pl > OM_DM_STR_MAX)
		return OM_EINVAL;
	uint8_t buf[2 * OM_DM_STR_MAX + 1];
	memcpy(buf, user, ul);
	buf[ul] = ':';
	memcpy(buf + ul + 1, pass, pl);
	size_t n = ul + 1 + pl;
	int r = OM_ENOSPC;
	if (om_base64_len(n) + 1 <= cap) {
		om_base64_encode(buf, n, out);
		r = (int)om_base64_len(n);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int om_dm_md5_inner(const char *user, const char *pass, char out[static OM_DM_B64_MD5_LEN + 1])
{
	if (!user || !pass || !out)
		return OM_EINVAL;
	return b64_md5((const uint8_t *)user, strlen(user), (const uint8_t *)pass, strlen(pass), out);
}

int om_dm_md5_digest(const char inner[static OM_DM_B64_MD5_LEN + 1], const uint8_t *nonce, size_t nonce_len,
		     char out[static OM_DM_B64_MD5_LEN + 1])
{
	if (!inner || !out || (!nonce && nonce_len) || strlen(inner) != OM_DM_B64_MD5_LEN)
		return OM_EINVAL;
	return b64_md5((const uint8_t *)inner, OM_DM_B64_MD5_LEN, nonce ? nonce : (const uint8_t *)"", nonce_len,
		       out);
}

int om_dm_md5_cred(const char *user, const char *pass, const uint8_t *nonce, size_t nonce_len,
		   char out[static OM_DM_B64_MD5_LEN + 1])
{
	char inner[OM_DM_B64_MD5_LEN + 1];
	int r = om_dm_md5_inner(user, pass, inner);
	if (r == 0)
		r = om_dm_md5_digest(inner, nonce, nonce_len, out);
	OPENSSL_cleanse(inner, sizeof(inner));
	return r;
}

int om_dm_hmac_input(const uint8_t *nonce, size_t nonce_len, const uint8_t *body, size_t body_len, uint8_t *out,
		     size_t cap)
{
	char bd[OM_DM_B64_MD5_LEN + 1];
	if ((!nonce && nonce_len) || (!body && body_len) || !out || nonce_len > OM_DM_STR_MAX)
		return OM_EINVAL;
	if (nonce_len + 1 + OM_DM_B64_MD5_LEN > cap)
		return OM_ENOSPC;
	int r = b64_md5(body ? body : (const uint8_t *)"", body_len, NULL, 0, bd);
	if (r < 0)
		return r;
	if (nonce_len)
		memcpy(out, nonce, nonce_len);
	out[nonce_len] = ':';
	memcpy(out + nonce_len + 1, bd, OM_DM_B64_MD5_LEN);
	return (int)(nonce_len + 1 + OM_DM_B64_MD5_LEN);
}

int om_dm_hmac_mac(const char *user, const char *pass, const uint8_t *nonce, size_t nonce_len, const uint8_t *body,
		   size_t body_len, char out[static OM_DM_B64_MD5_LEN + 1])
{
	uint8_t x[OM_DM_STR_MAX + 1 + OM_DM_B64_MD5_LEN];
	int n = om_dm_hmac_input(nonce, nonce_len, body, body_len, x, sizeof(x));
	if (n < 0)
		return n;
	return om_dm_md5_cred(user, pass, x, (size_t)n, out);
}

static int user_ok(const char *u)
{
	if (!*u || strlen(u) > OM_DM_STR_MAX)
		return 0;
	for (; *u; u++)
		if ((unsigned char)*u < 0x20 || *u == '"' || *u == '\\' || *u == 0x7f)
			return 0;
	return 1;
}

int om_dm_hmac_header(const char *user, const char mac[static OM_DM_B64_MD5_LEN + 1], char *out, size_t cap)
{
	if (!user || !mac || !out || !user_ok(user) || strlen(mac) != OM_DM_B64_MD5_LEN)
		return OM_EINVAL;
	int n = snprintf(out, cap, "algorithm=MD5, username=\"%s\", mac=%s", user, mac);
	if (n < 0)
		return OM_EINVAL;
	if ((size_t)n >= cap)
		return OM_ENOSPC;
	return n;
}

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int om_dm_hmac_header_parse(const char *value, char *user, size_t user_cap, char mac[static OM_DM_B64_MD5_LEN + 1])
{
	int have_user = 0, have_mac = 0, have_alg = 0;
	if (!value || !user || !user_cap || !mac)
		return OM_EINVAL;
	const char *s = skip_sp(value);
	while (*s) {
		const char *eq = strchr(s, '=');
		if (!eq)
			return OM_EDM_HMAC_HEADER;
		size_t kl = (size_t)(eq - s);
		const char *v = eq + 1, *end;
		size_t vl;
		if (*v == '"') {
			v++;
			end = strchr(v, '"');
			if (!end)
				return OM_EDM_HMAC_HEADER;
			vl = (size_t)(end - v);
			end++;
		} else {
			end = v + strcspn(v, ", \t");
			vl = (size_t)(end - v);
		}
		if (kl == 9 && strncmp(s, "algorithm", 9) == 0) {
			if (have_alg++ || vl != 3 || strncmp(v, "MD5", 3) != 0)
				return OM_EDM_HMAC_HEADER;
		} else if (kl == 8 && strncmp(s, "username", 8) == 0) {
			if (have_user++ || vl == 0 || vl >= user_cap)
				return OM_EDM_HMAC_HEADER;
			memcpy(user, v, vl);
			user[vl] = 0;
		} else if (kl == 3 && strncmp(s, "mac", 3) == 0) {
			if (have_mac++ || vl != OM_DM_B64_MD5_LEN)
				return OM_EDM_HMAC_HEADER;
			memcpy(mac, v, vl);
			mac[vl] = 0;
		} else {
			return OM_EDM_HMAC_HEADER;
		}
		s = skip_sp(end);
		if (*s == ',')
			s = skip_sp(s + 1);
		else if (*s)
			return OM_EDM_HMAC_HEADER;
	}
	return have_user && have_mac ? 0 : OM_EDM_HMAC_HEADER;
}

int om_dm_cred_check(const char *expected, const char *received)
{
	if (!expected || !received)
		return OM_EDM_CRED;
	size_t n = strlen(expected);
	/* the length of a credential is public (24 for the digests) */
	if (strlen(received) != n || CRYPTO_memcmp(expected, received, n) != 0)
		return OM_EDM_CRED;
	return 0;
}
