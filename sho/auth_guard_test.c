/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner API's failure guard (auth_guard.h; issue 14 finding 8b): failures
 * against random owner ids from many addresses do not free a limited owner
 * id; when every place is limited a new failure path is refused (429) rather
 * than one evicted; an IPv6 source counts by its /64. A genuine owner from
 * a fresh address is still let through to its check.
 */
#include <stdio.h>

#include "auth_guard.h"
#include "check.h"
#include "log.h"
#include "svc_err.h"

/* One check from source for owner that fails: sho_guard_begin's code. */
static int fail(struct sho_guard *g, const char *source, const char *owner, int64_t now)
{
	int rc = sho_guard_begin(g, source, owner, now);
	if (rc == 0)
		sho_guard_end(g, source, owner, 1, now);
	return rc;
}

/* A check that would pass: sho_guard_begin's code. */
static int genuine(struct sho_guard *g, const char *source, const char *owner, int64_t now)
{
	int rc = sho_guard_begin(g, source, owner, now);
	if (rc == 0)
		sho_guard_end(g, source, owner, 0, now);
	return rc;
}

static void limited_owner_kept(void)
{
	static struct sho_guard g;
	sho_guard_init(&g, 10, 60, 2);
	int64_t now = 1000000;
	for (int i = 0; i < 10; i++)
		CHECK_INT(fail(&g, "192.0.2.1", "victim", now), 0);
	CHECK_INT(fail(&g, "192.0.2.2", "victim", now), OM_ESHO_AUTH_LIMIT);
	/* 4000 failures against random owner ids from 4000 addresses, within the window */
	char src[32], owner[32];
	int limited = 0;
	for (int i = 0; i < 4000; i++) {
		snprintf(src, sizeof(src), "10.%d.%d.1", i / 250, i % 250);
		snprintf(owner, sizeof(owner), "rnd-%d", i);
		limited += fail(&g, src, owner, now + 1) == OM_ESHO_AUTH_LIMIT;
	}
	CHECK_INT(limited, 0); /* places under their limit were there for them */
	CHECK_INT(fail(&g, "198.51.100.7", "victim", now + 2), OM_ESHO_AUTH_LIMIT);
	CHECK_INT(genuine(&g, "198.51.100.8", "owner-good", now + 2), 0);
	/* the window over: the victim's own owner checks again */
	CHECK_INT(genuine(&g, "198.51.100.8", "victim", now + 61), 0);
}

static void full_of_limited(void)
{
	static struct sho_guard g;
	sho_guard_init(&g, 1, 60, 2);
	int64_t now = 1000000;
	char src[32], owner[32];
	for (int i = 0; i < SHO_GUARD_ENTRIES / 2; i++) {
		snprintf(src, sizeof(src), "10.0.%d.%d", i / 200, i % 200);
		snprintf(owner, sizeof(owner), "o-%d", i);
		CHECK_INT(fail(&g, src, owner, now), 0);
	}
	/* every place holds a limited source or owner id: a new path is refused, none evicted */
	CHECK_INT(fail(&g, "203.0.113.1", "o-new", now + 1), OM_ESHO_AUTH_LIMIT);
	CHECK_INT(fail(&g, "203.0.113.2", "o-0", now + 1), OM_ESHO_AUTH_LIMIT);
	CHECK_INT(fail(&g, "10.0.0.0", "o-new2", now + 1), OM_ESHO_AUTH_LIMIT);
	/* expired windows make room first */
	CHECK_INT(genuine(&g, "203.0.113.1", "o-new", now + 60), 0);
}

static void ipv6_by_64(void)
{
	static struct sho_guard g;
	sho_guard_init(&g, 10, 60, 2);
	int64_t now = 1000000;
	char src[64], owner[32];
	for (int i = 0; i < 10; i++) {
		snprintf(src, sizeof(src), "2001:db8:0:7::%x", i + 1);
		snprintf(owner, sizeof(owner), "v6-%d", i);
		CHECK_INT(fail(&g, src, owner, now), 0);
	}
	CHECK_INT(fail(&g, "2001:db8:0:7:ffff:1:2:3", "v6-x", now), OM_ESHO_AUTH_LIMIT);
	CHECK_INT(genuine(&g, "2001:db8:0:8::1", "v6-y", now), 0); /* another /64 */
	CHECK_INT(genuine(&g, "127.0.0.1", "v6-z", now), 0);
}

int main(void)
{
	om_log_init("auth-guard-test", OM_LOG_ERROR);
	limited_owner_kept();
	full_of_limited();
	ipv6_by_64();
	return check_done();
}
