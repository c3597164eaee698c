/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console sessions (session.h), review finding 5: one owner signing in
 * again and again signs out only its own oldest sessions, never another
 * owner's; a table full of other owners' live sessions refuses a new one
 * (OM_ESHO_BUSY) and signs no one out; dead sessions make room.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "session.h"

static struct sho_sessions t; /* large: static */
static const uint8_t stamp[SHO_OWNER_STAMP_LEN]; /* the owners' secrets are not what these tests are about */

static void one_owner_signs_out_only_itself(void)
{
	char victim[SHO_SESSION_ID_LEN + 1], first[SHO_SESSION_ID_LEN + 1], id[SHO_SESSION_ID_LEN + 1];
	const struct sho_session *s = NULL;
	int64_t now = 1000000;
	memset(&t, 0, sizeof(t));
	CHECK_INT(sho_session_new(&t, "victim", stamp, now, victim, &s), 0);
	CHECK_INT(sho_session_new(&t, "attacker", stamp, now + 1, first, &s), 0);
	/* 2,000 sign-ins within 100 s, each more recent than the victim's last request */
	for (int i = 0; i < 2000; i++)
		CHECK_INT(sho_session_new(&t, "attacker", stamp, now + 2 + i / 20, id, &s), 0);
	size_t live = 0, attacker = 0;
	for (size_t i = 0; i < SHO_SESSIONS_MAX; i++) {
		live += t.s[i].owner_id[0] != 0;
		attacker += !strcmp(t.s[i].owner_id, "attacker");
	}
	CHECK_INT(attacker, SHO_SESSIONS_PER_OWNER);
	CHECK_INT(live, SHO_SESSIONS_PER_OWNER + 1);
	s = sho_session_find(&t, victim, now + 200);
	CHECK_MSG(s && !strcmp(s->owner_id, "victim"), "the victim was signed out");
	CHECK(sho_session_find(&t, first, now + 200) == NULL); /* the attacker's oldest went */
	CHECK(sho_session_find(&t, id, now + 200) != NULL);    /* its newest stays */
}

static void full_table_refuses_without_signing_anyone_out(void)
{
	char id[SHO_SESSION_ID_LEN + 1], keep[SHO_SESSION_ID_LEN + 1], owner[32];
	const struct sho_session *s = NULL;
	int64_t now = 2000000;
	memset(&t, 0, sizeof(t));
	for (int o = 0; o < SHO_SESSIONS_MAX / SHO_SESSIONS_PER_OWNER; o++)
		for (int k = 0; k < SHO_SESSIONS_PER_OWNER; k++) {
			snprintf(owner, sizeof(owner), "owner-%d", o);
			CHECK_INT(sho_session_new(&t, owner, stamp, now, o == 0 && k == 0 ? keep : id, &s), 0);
		}
	struct sho_sessions before = t;
	CHECK_INT(sho_session_new(&t, "late", stamp, now + 1, id, &s), OM_ESHO_BUSY);
	CHECK(!memcmp(&before, &t, sizeof(t)));
	CHECK(sho_session_find(&t, keep, now + 1) != NULL);
	/* an idle session ends and makes room */
	CHECK_INT(sho_session_new(&t, "late", stamp, now + SHO_SESSION_IDLE_S + 10, id, &s), 0);
}

int main(void)
{
	one_owner_signs_out_only_itself();
	full_table_refuses_without_signing_anyone_out();
	return check_done();
}
