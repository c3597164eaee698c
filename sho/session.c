/* SPDX-License-Identifier: Apache-2.0 */
/* Console sessions (session.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "session.h"

static void b64url(const uint8_t in[static 32], char out[static 44])
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < 32; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = a[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = a[(acc << (6 - bits)) & 63];
	out[o] = '\0'; /* 43 characters */
}

static int hash_id(const char *id, uint8_t out[static 32])
{
	unsigned len = 32;
	return EVP_Digest(id, strlen(id), out, &len, EVP_sha256(), NULL) == 1 ? 0 : OM_ECRYPTO;
}

static int alive(const struct sho_session *s, int64_t now)
{
	return s->owner_id[0] && now - s->last < SHO_SESSION_IDLE_S && now - s->created < SHO_SESSION_LIFE_S;
}

/* ---- sessions ---------------------------------------------------------------------- */

int sho_session_new(struct sho_sessions *t, const char *owner_id, const uint8_t stamp[static SHO_OWNER_STAMP_LEN],
		    int64_t now, char id[static SHO_SESSION_ID_LEN + 1], const struct sho_session **out)
{
	uint8_t raw[32], csrf[32];
	int rc;
	if (RAND_priv_bytes(raw, sizeof(raw)) != 1 || RAND_bytes(csrf, sizeof(csrf)) != 1)
		return OM_ERANDOM;
	/*
	 * One owner signs out only itself: past its own cap its least recently used session goes;
	 * else a free or dead place; never another owner's live session (review finding 5: signing in
	 * 1,024 times used to sign every other owner out).
	 */
	struct sho_session *free_slot = NULL, *own_lru = NULL;
	size_t own = 0;
	for (size_t i = 0; i < SHO_SESSIONS_MAX; i++) {
		struct sho_session *s = &t->s[i];
		if (!alive(s, now)) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (strcmp(s->owner_id, owner_id))
			continue;
		own++;
		if (!own_lru || s->last < own_lru->last)
			own_lru = s;
	}
	struct sho_session *slot = own >= SHO_SESSIONS_PER_OWNER ? own_lru : free_slot;
	if (!slot) {
		OPENSSL_cleanse(raw, sizeof(raw));
		OPENSSL_cleanse(csrf, sizeof(csrf));
		return OM_ESHO_BUSY;
	}
	memset(slot, 0, sizeof(*slot));
	b64url(raw, id);
	OPENSSL_cleanse(raw, sizeof(raw));
	if ((rc = hash_id(id, slot->id_hash)) < 0) {
		OPENSSL_cleanse(id, SHO_SESSION_ID_LEN + 1);
		return rc;
	}
	b64url(csrf, slot->csrf);
	snprintf(slot->owner_id, sizeof(slot->owner_id), "%s", owner_id);
	memcpy(slot->stamp, stamp, SHO_OWNER_STAMP_LEN);
	slot->created = slot->last = now;
	*out = slot;
	return 0;
}

static struct sho_session *find(struct sho_sessions *t, const char *id)
{
	uint8_t h[32];
	if (!id || strlen(id) != SHO_SESSION_ID_LEN || hash_id(id, h) < 0)
		return NULL;
	for (size_t i = 0; i < SHO_SESSIONS_MAX; i++)
		if (t->s[i].owner_id[0] && !CRYPTO_memcmp(t->s[i].id_hash, h, 32))
			return &t->s[i];
	return NULL;
}

const struct sho_session *sho_session_find(struct sho_sessions *t, const char *id, int64_t now)
{
	struct sho_session *s = find(t, id);
	if (!s)
		return NULL;
	if (!alive(s, now)) {
		OPENSSL_cleanse(s, sizeof(*s));
		return NULL;
	}
	s->last = now;
	return s;
}

int sho_session_csrf_ok(const struct sho_session *s, const char *token)
{
	return s && token && strlen(token) == SHO_CSRF_LEN && !CRYPTO_memcmp(s->csrf, token, SHO_CSRF_LEN);
}

void sho_session_end(struct sho_sessions *t, const char *id)
{
	struct sho_session *s = find(t, id);
	if (s)
		OPENSSL_cleanse(s, sizeof(*s));
}
