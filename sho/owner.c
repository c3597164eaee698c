/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fleet owners: an id and a secret, stored as a salted scrypt hash
 * (RFC 7914 through OpenSSL's EVP_KDF) and compared in constant time.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "log.h"
#include "sho_int.h"

/* About 0.1 s and 32 MiB per check on one core: costly to guess offline. */
#define SCRYPT_N 32768u
#define SCRYPT_R 8u
#define SCRYPT_P 1u
#define SALT_LEN 16
#define HASH_LEN 32
#define KDF_NAME "scrypt:N=32768,r=8,p=1"

static int scrypt(const char *secret, const uint8_t *salt, size_t salt_len, uint64_t n, uint32_t r, uint32_t p,
		  uint8_t out[static HASH_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)secret, strlen(secret)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_end(),
	};
	int rc = ctx && EVP_KDF_derive(ctx, out, HASH_LEN, params) == 1 ? 0 : OM_ECRYPTO;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/*
 * Verified owners. scrypt makes a guess cost 0.1 s and 32 MiB, which is what
 * a stolen database needs; an owner moving a fleet makes one HTTPS call per
 * device, and paying scrypt on each would cap the registration service at a
 * few calls per second on one core. So a secret that passed scrypt is
 * remembered for SHO_AUTH_TTL seconds as HMAC-SHA-256 under a key drawn at
 * random per process (never stored, never logged), bound to the stored hash it
 * was checked against, so a changed secret is never answered from memory. A
 * wrong secret never enters and always pays the full scrypt: guessing online
 * costs what it did. (Like Apache's mod_authn_socache.)
 */
static int secret_mac(struct sho *s, const char *secret, uint8_t mac[static 32])
{
	if (!s->has_auth_key) {
		if (RAND_priv_bytes(s->auth_key, sizeof(s->auth_key)) != 1)
			return OM_ERANDOM;
		s->has_auth_key = 1;
	}
	unsigned len = 0;
	return HMAC(EVP_sha256(), s->auth_key, sizeof(s->auth_key), (const uint8_t *)secret, strlen(secret), mac,
		    &len) && len == 32 ? 0 : OM_ECRYPTO;
}

static struct sho_auth_entry *remembered(struct sho *s, const char *owner_id, const uint8_t stored[static 32],
					 const uint8_t mac[static 32], int64_t now)
{
	for (size_t i = 0; i < SHO_AUTH_CACHE; i++) {
		struct sho_auth_entry *e = &s->auth[i];
		if (e->until > now && !strcmp(e->owner_id, owner_id) && !CRYPTO_memcmp(e->stored, stored, 32) &&
		    !CRYPTO_memcmp(e->mac, mac, 32))
			return e;
	}
	return NULL;
}

static void remember(struct sho *s, const char *owner_id, const uint8_t stored[static 32],
		     const uint8_t mac[static 32], int64_t now)
{
	struct sho_auth_entry *e = &s->auth[0];
	for (size_t i = 0; i < SHO_AUTH_CACHE; i++) {
		if (!strcmp(s->auth[i].owner_id, owner_id)) {
			e = &s->auth[i];
			break;
		}
		if (s->auth[i].until < e->until)
			e = &s->auth[i];
	}
	snprintf(e->owner_id, sizeof(e->owner_id), "%s", owner_id);
	memcpy(e->stored, stored, 32);
	memcpy(e->mac, mac, 32);
	e->until = now + SHO_AUTH_TTL;
}

static int secret_ok(const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	return n >= SHO_SECRET_MIN && n <= SHO_SECRET_MAX;
}

/* A fresh salt and the secret's scrypt hash under it. 0, OM_ERANDOM or OM_ECRYPTO. */
static int new_hash(const char *secret, uint8_t salt[static SALT_LEN], uint8_t hash[static HASH_LEN])
{
	if (RAND_bytes(salt, SALT_LEN) != 1)
		return OM_ERANDOM;
	return scrypt(secret, salt, SALT_LEN, SCRYPT_N, SCRYPT_R, SCRYPT_P, hash);
}

int sho_owner_add(struct sho *s, const char *owner_id, const char *secret)
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	int rc;
	if (!s)
		return OM_EINVAL;
	if (!sho_id_ok(owner_id, SHO_OWNER_ID_MAX) || !secret_ok(secret)) {
		om_notice("owner-refused", "reason=\"id or secret length\"");
		return OM_ESHO_NOTE;
	}
	if ((rc = new_hash(secret, salt, hash)) < 0 || (rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		goto out;
	rc = om_stmt_exec(s->stmt[SHO_SQL_OWNER_ADD], OM_BIND(OM_TEXT(owner_id), OM_TEXT(KDF_NAME),
							      OM_BLOB(salt, sizeof(salt)), OM_BLOB(hash, sizeof(hash)),
							      OM_INT(sho_now())));
	if (rc == 0)
		rc = om_store_commit(s->store);
	if (rc == OM_ESTORE_CONSTRAINT)
		rc = OM_ESHO_OWNER_EXISTS;
out:
	om_store_rollback(s->store);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == 0)
		om_info("owner-add", "owner=%s kdf=%s", owner_id, KDF_NAME);
	else
		om_notice("owner-refused", "owner=%s reason=%s", owner_id, om_errname(rc));
	return rc;
}

int sho_owner_recall(struct sho *s, const char *owner_id, const char *secret, struct sho_owner_claim *c)
{
	uint8_t mac[32];
	int rc = 1;
	if (!s || !c)
		return OM_EINVAL;
	memset(c, 0, sizeof(*c));
	if (!sho_id_ok(owner_id, SHO_OWNER_ID_MAX) || !secret_ok(secret))
		return OM_ESHO_OWNER_AUTH;
	snprintf(c->owner_id, sizeof(c->owner_id), "%s", owner_id);
	struct om_stmt *st = s->stmt[SHO_SQL_OWNER_GET];
	int q = om_stmt_query(st, OM_BIND(OM_TEXT(owner_id)));
	if (q < 0)
		return OM_ESTORE;
	if (q == OM_STORE_ROW) {
		size_t sl, hl;
		const void *sp = om_stmt_col_blob(st, 1, &sl), *hp = om_stmt_col_blob(st, 2, &hl);
		if (!strcmp(om_stmt_col_text(st, 0), KDF_NAME) && sl == SALT_LEN && hl == HASH_LEN) {
			memcpy(c->salt, sp, SALT_LEN);
			memcpy(c->want, hp, HASH_LEN);
			c->found = 1;
		}
		om_stmt_reset(st);
	}
	if (!c->found) {
		/* the same work for an unknown owner, so timing does not tell which ids exist */
		memset(c->want, 0xff, sizeof(c->want));
	}
	if (c->found && secret_mac(s, secret, mac) == 0 && remembered(s, owner_id, c->want, mac, sho_now()))
		rc = 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int sho_owner_verify(const struct sho_owner_claim *c, const char *secret)
{
	uint8_t got[HASH_LEN];
	int rc = OM_ESHO_OWNER_AUTH;
	if (!c || !secret_ok(secret))
		return OM_ESHO_OWNER_AUTH;
	if (scrypt(secret, c->salt, sizeof(c->salt), SCRYPT_N, SCRYPT_R, SCRYPT_P, got) < 0)
		rc = OM_ECRYPTO;
	else if (c->found && CRYPTO_memcmp(got, c->want, HASH_LEN) == 0)
		rc = 0;
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

void sho_owner_remember(struct sho *s, const struct sho_owner_claim *c, const char *secret)
{
	uint8_t mac[32];
	if (s && c && c->found && secret_mac(s, secret, mac) == 0)
		remember(s, c->owner_id, c->want, mac, sho_now());
	OPENSSL_cleanse(mac, sizeof(mac));
}

int sho_owner_check(struct sho *s, const char *owner_id, const char *secret)
{
	struct sho_owner_claim c;
	int rc = sho_owner_recall(s, owner_id, secret, &c);
	if (rc == 1 && (rc = sho_owner_verify(&c, secret)) == 0)
		sho_owner_remember(s, &c, secret);
	OPENSSL_cleanse(&c, sizeof(c));
	if (rc < 0)
		om_notice("owner-auth-refused", "owner=%s reason=%s", sho_id_ok(owner_id, SHO_OWNER_ID_MAX) ? owner_id : "?",
			  om_errname(rc));
	return rc;
}

/* ---- the operator's commands on owners (sho-admin, issue 15) ---- */

int sho_owner_page(struct sho *s, const char *after, unsigned limit,
		   void (*fn)(void *ctx, const struct sho_owner_info *o), void *ctx)
{
	int rc, n = 0;
	if (!s || !fn)
		return OM_EINVAL;
	struct om_stmt *st = s->stmt[SHO_SQL_OWNER_PAGE];
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(after ? after : ""), OM_INT(limit))); rc == OM_STORE_ROW;
	     rc = om_stmt_step(st)) {
		struct sho_owner_info o;
		memset(&o, 0, sizeof(o));
		snprintf(o.owner_id, sizeof(o.owner_id), "%s", om_stmt_col_text(st, 0));
		o.created = om_stmt_col_int64(st, 1);
		o.devices = (unsigned)om_stmt_col_int64(st, 2);
		fn(ctx, &o);
		n++;
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : n;
}

/* In the caller's transaction: does owner_id exist, its devices and its unfinished bulk moves. */
static int owner_holds(struct sho *s, const char *owner_id, int64_t *known, int64_t *devices, int64_t *moves)
{
	struct om_stmt *st = s->stmt[SHO_SQL_OWNER_HOLDS];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(owner_id)));
	if (rc == OM_STORE_ROW) {
		*known = om_stmt_col_int64(st, 0);
		*devices = om_stmt_col_int64(st, 1);
		*moves = om_stmt_col_int64(st, 2);
		rc = 0;
	} else if (rc >= 0) {
		rc = OM_ESTORE;
	}
	om_stmt_reset(st);
	return rc;
}

int sho_owner_secret(struct sho *s, const char *owner_id, const char *secret)
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	int64_t known = 0, devices = 0, moves = 0;
	int rc;
	if (!s || !owner_id)
		return OM_EINVAL;
	if (!secret_ok(secret))
		return OM_ESHO_NOTE;
	if ((rc = new_hash(secret, salt, hash)) < 0 || (rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		goto out;
	if ((rc = owner_holds(s, owner_id, &known, &devices, &moves)) == 0 && !known)
		rc = OM_ESHO_NOT_FOUND;
	/* a new hash: what any handle remembered was bound to the old one (Verified owners, above) */
	if (rc == 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_OWNER_SECRET], OM_BIND(OM_TEXT(owner_id), OM_TEXT(KDF_NAME),
									 OM_BLOB(salt, sizeof(salt)),
									 OM_BLOB(hash, sizeof(hash))));
	if (rc == 0)
		rc = om_store_commit(s->store);
out:
	om_store_rollback(s->store);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == 0)
		om_info("owner-secret", "owner=%s kdf=%s", owner_id, KDF_NAME);
	else
		om_notice("owner-refused", "owner=%.63s command=secret reason=%s", owner_id, om_errname(rc));
	return rc;
}

int sho_owner_stamp(struct sho *s, const char *owner_id, uint8_t stamp[static SHO_OWNER_STAMP_LEN])
{
	if (!s || !owner_id)
		return OM_EINVAL;
	memset(stamp, 0, SHO_OWNER_STAMP_LEN);
	struct om_stmt *st = s->stmt[SHO_SQL_OWNER_GET];
	int q = om_stmt_query(st, OM_BIND(OM_TEXT(owner_id)));
	if (q < 0)
		return OM_ESTORE;
	if (q != OM_STORE_ROW)
		return OM_ESHO_NOT_FOUND;
	size_t sl = 0, hl = 0;
	const char *kdf = om_stmt_col_text(st, 0);
	const void *sp = om_stmt_col_blob(st, 1, &sl), *hp = om_stmt_col_blob(st, 2, &hl);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;
	int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
			 EVP_DigestUpdate(md, kdf ? kdf : "", kdf ? strlen(kdf) + 1 : 1) == 1 &&
			 EVP_DigestUpdate(md, sp, sl) == 1 && EVP_DigestUpdate(md, hp, hl) == 1 &&
			 EVP_DigestFinal_ex(md, stamp, &len) == 1 && len == SHO_OWNER_STAMP_LEN
		 ? 0
		 : OM_ECRYPTO;
	EVP_MD_CTX_free(md);
	om_stmt_reset(st);
	return rc;
}

int sho_owner_delete(struct sho *s, const char *owner_id)
{
	int64_t known = 0, devices = 0, moves = 0;
	int rc;
	if (!s || !owner_id)
		return OM_EINVAL;
	if ((rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		return rc;
	if ((rc = owner_holds(s, owner_id, &known, &devices, &moves)) == 0)
		rc = !known ? OM_ESHO_NOT_FOUND : devices || moves ? OM_ESHO_STATE : 0;
	/* its finished bulk moves and the history it kept of devices since sold go with it */
	static const enum sho_sql del[] = { SHO_SQL_OWNER_DEL_MOVES, SHO_SQL_OWNER_DEL_EVENTS, SHO_SQL_OWNER_DELETE };
	for (size_t i = 0; rc == 0 && i < sizeof(del) / sizeof(del[0]); i++)
		rc = om_stmt_exec(s->stmt[del[i]], OM_BIND(OM_TEXT(owner_id)));
	if (rc == 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	if (rc == 0)
		om_info("owner-delete", "owner=%s", owner_id);
	else
		om_notice("owner-refused", "owner=%.63s command=delete reason=%s devices=%lld moves=%lld", owner_id,
			  om_errname(rc), (long long)devices, (long long)moves);
	return rc;
}
