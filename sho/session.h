/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console sessions of the owner API (docs/owner.md "Sessions"): signing in
 * with the owner's id and secret makes a session whose id goes to the
 * browser in an HttpOnly, Secure, SameSite=Strict cookie and whose CSRF
 * token the page sends back in X-CSRF-Token on every change. Only
 * SHA-256(session id) is kept, in memory (a restart signs everyone out).
 * Wrong secrets lock sign-in for the owner id and for the source address
 * for a while. A session keeps the stamp of the owner's secret it was
 * signed in under (sho_owner_stamp): the API ends it once the owner's
 * secret is another or the owner is gone. Used from the HTTP server's
 * thread only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sho.h"

#define SHO_SESSIONS_MAX 1024
#define SHO_SESSIONS_PER_OWNER 16 /* live sessions of one owner: a new one beyond signs out that owner's oldest */
#define SHO_SESSION_IDLE_S 1800      /* signed out after 30 minutes without a request */
#define SHO_SESSION_LIFE_S 43200     /* and after 12 hours in any case */
#define SHO_SESSION_ID_LEN 43        /* 32 random bytes, base64url without padding */
#define SHO_CSRF_LEN 43

struct sho_session {
	uint8_t id_hash[32];
	char owner_id[SHO_OWNER_ID_MAX + 1];
	char csrf[SHO_CSRF_LEN + 1];
	uint8_t stamp[SHO_OWNER_STAMP_LEN]; /* of the owner's secret at sign-in (sho_owner_stamp) */
	int64_t created, last;
};

struct sho_sessions {
	struct sho_session s[SHO_SESSIONS_MAX];
};

/*
 * A new session for owner_id, whose secret the caller has checked (stamp:
 * that secret's, read before the check): its id (for the cookie) and CSRF
 * token. An owner with SHO_SESSIONS_PER_OWNER
 * live sessions loses its least recently used one; otherwise a free or
 * dead place is taken, and none is taken from another owner: a table full
 * of live sessions is OM_ESHO_BUSY. Returns 0, OM_ESHO_BUSY, OM_ERANDOM or
 * OM_ECRYPTO.
 */
OM_NODISCARD int sho_session_new(struct sho_sessions *t, const char *owner_id,
				 const uint8_t stamp[static SHO_OWNER_STAMP_LEN], int64_t now,
				 char id[static SHO_SESSION_ID_LEN + 1], const struct sho_session **out);

/* The session of a cookie value, refreshed; NULL if none (unknown, idle or too old: then removed). */
const struct sho_session *sho_session_find(struct sho_sessions *t, const char *id, int64_t now);

/* 1 if token is the session's CSRF token (constant time). */
int sho_session_csrf_ok(const struct sho_session *s, const char *token);

/* Sign out (the session of this id). */
void sho_session_end(struct sho_sessions *t, const char *id);

