/* SPDX-License-Identifier: Apache-2.0 */
/* Failure counting and the scrypt slots of the owner API (auth_guard.h). */
#include <stdio.h>
#include <string.h>

#include "auth_guard.h"
#include "log.h"
#include "source_group.h"
#include "svc_err.h"

void sho_guard_init(struct sho_guard *g, unsigned fail_max, unsigned window_s, unsigned scrypt_max)
{
	memset(g, 0, sizeof(*g));
	g->fail_max = fail_max ? fail_max : SHO_GUARD_FAIL_MAX_DEFAULT;
	g->window_s = window_s ? window_s : SHO_GUARD_WINDOW_DEFAULT;
	g->scrypt_max = scrypt_max ? scrypt_max : SHO_GUARD_SCRYPT_DEFAULT;
}

static int expired(const struct sho_guard *g, const struct sho_guard_entry *e, int64_t now)
{
	return now - e->since >= (int64_t)g->window_s;
}

/* 0 a free place, 1 an expired window, 2 under its limit, 3 at its limit (never taken). */
static int rank(const struct sho_guard *g, const struct sho_guard_entry *e, int64_t now)
{
	return !e->key[0] ? 0 : expired(g, e, now) ? 1 : e->fails < g->fail_max ? 2 : 3;
}

/* e is a better place for a new key than room (NULL: none yet). */
static int better(const struct sho_guard *g, const struct sho_guard_entry *e, const struct sho_guard_entry *room,
		  int64_t now)
{
	int re = rank(g, e, now), rr = room ? rank(g, room, now) : 4;
	if (re == 3)
		return 0;
	if (re != rr)
		return re < rr;
	return re == 2 && (e->fails < room->fails || (e->fails == room->fails && e->since < room->since));
}

/*
 * The entry of key, its window restarted when over; with make, a new one in
 * a free or expired place, else in place of the one with the fewest
 * failures (the oldest of those), never one at its limit: evicting the
 * oldest let failures against random owner ids from many addresses reset a
 * limited owner's count (issue 14 finding 8b). NULL when none (every place
 * limited: the caller refuses).
 */
static struct sho_guard_entry *entry(struct sho_guard *g, const char *key, int64_t now, int make)
{
	struct sho_guard_entry *room = NULL;
	for (size_t i = 0; i < SHO_GUARD_ENTRIES; i++) {
		struct sho_guard_entry *e = &g->e[i];
		if (e->key[0] && !strcmp(e->key, key)) {
			if (expired(g, e, now)) {
				e->since = now;
				e->fails = 0;
			}
			return e;
		}
		if (better(g, e, room, now))
			room = e;
	}
	if (!make || !room)
		return NULL;
	snprintf(room->key, sizeof(room->key), "%s", key);
	room->since = now;
	room->fails = 0;
	return room;
}

/* kind ":" name; a source by its group, an IPv6 one by its /64 (svc/source_group.h). */
static void key_of(char key[static 80], const char *kind, const char *name)
{
	char group[OM_SOURCE_GROUP_MAX];
	if (*kind == 's') {
		om_source_group(name, group, sizeof(group));
		name = group;
	}
	snprintf(key, 80, "%s:%s", kind, name);
}

/* Over its limit, or (make) no place to count it in. */
static int over(struct sho_guard *g, const char *kind, const char *name, int64_t now)
{
	char key[80];
	key_of(key, kind, name);
	struct sho_guard_entry *e = entry(g, key, now, 1);
	return !e || e->fails >= g->fail_max;
}

int sho_guard_begin(struct sho_guard *g, const char *source, const char *owner_id, int64_t now)
{
	/* the places are taken now, so a failure can be counted when it comes */
	if (over(g, "s", source, now) || over(g, "a", owner_id, now))
		return OM_ESHO_AUTH_LIMIT;
	if (g->checking >= g->scrypt_max)
		return OM_ESHO_BUSY;
	g->checking++;
	return 0;
}

static void count(struct sho_guard *g, const char *kind, const char *name, int64_t now)
{
	char key[80];
	key_of(key, kind, name);
	struct sho_guard_entry *e = entry(g, key, now, 1);
	if (e && ++e->fails == g->fail_max)
		om_notice("sho-auth-limit", "%s=%s failures=%u window=%u result=limited", *kind == 's' ? "peer" : "owner",
			  key + 2, e->fails, g->window_s);
}

void sho_guard_end(struct sho_guard *g, const char *source, const char *owner_id, int failed, int64_t now)
{
	if (g->checking)
		g->checking--;
	if (!failed)
		return;
	count(g, "s", source, now);
	count(g, "a", owner_id, now);
}
