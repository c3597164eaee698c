/* SPDX-License-Identifier: Apache-2.0 */
/* Failure counting and the scrypt slots of the owner API (auth_guard.h). */
#include <stdio.h>
#include <string.h>

#include "auth_guard.h"
#include "log.h"

void sho_guard_init(struct sho_guard *g, unsigned fail_max, unsigned window_s, unsigned scrypt_max)
{
	memset(g, 0, sizeof(*g));
	g->fail_max = fail_max ? fail_max : SHO_GUARD_FAIL_MAX_DEFAULT;
	g->window_s = window_s ? window_s : SHO_GUARD_WINDOW_DEFAULT;
	g->scrypt_max = scrypt_max ? scrypt_max : SHO_GUARD_SCRYPT_DEFAULT;
}

/* The entry of key, its window restarted when over; with make, a new one in place of the oldest. */
static struct sho_guard_entry *entry(struct sho_guard *g, const char *key, int64_t now, int make)
{
	struct sho_guard_entry *old = &g->e[0];
	for (size_t i = 0; i < SHO_GUARD_ENTRIES; i++) {
		struct sho_guard_entry *e = &g->e[i];
		if (e->key[0] && !strcmp(e->key, key)) {
			if (now - e->since >= (int64_t)g->window_s) {
				e->since = now;
				e->fails = 0;
			}
			return e;
		}
		if (!e->key[0] || e->since < old->since)
			old = e;
	}
	if (!make)
		return NULL;
	snprintf(old->key, sizeof(old->key), "%s", key);
	old->since = now;
	old->fails = 0;
	return old;
}

static int over(struct sho_guard *g, const char *kind, const char *name, int64_t now)
{
	char key[80];
	snprintf(key, sizeof(key), "%s:%s", kind, name);
	struct sho_guard_entry *e = entry(g, key, now, 0);
	return e && e->fails >= g->fail_max;
}

int sho_guard_begin(struct sho_guard *g, const char *source, const char *owner_id, int64_t now)
{
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
	snprintf(key, sizeof(key), "%s:%s", kind, name);
	struct sho_guard_entry *e = entry(g, key, now, 1);
	if (++e->fails == g->fail_max)
		om_notice("sho-auth-limit", "%s=%s failures=%u window=%u result=limited", *kind == 's' ? "peer" : "owner",
			  name, e->fails, g->window_s);
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
