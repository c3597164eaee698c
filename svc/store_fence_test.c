/* SPDX-License-Identifier: Apache-2.0 */
/*
 * om_store_fence_check and om_store_fence_conf (store_fence.h), each outcome
 * on real clusters: a primary A with a standby S, and B, another system.
 *   - A beside S streaming asynchronously: refused at start-up (OM_EINVAL),
 *     served once S is synchronous; S itself: a standby, fenced.
 *   - A's role without pg_read_all_stats (every sync_state NULL): refused
 *     at start-up (`file:line: db_peer: ... grant pg_read_all_stats`);
 *     granted: asynchronous refused, synchronous served.
 *   - A with an unreachable peer: served alone (1); with B: not a copy
 *     (OM_EINVAL).
 *   - S promoted: A fenced (a primary on a later timeline), S served with A
 *     named a stale primary.
 *   - db_peer beside a SQLite db, and a bad interval: `file:line: reason`.
 * The check only reads: every cluster's om_fence_probe row stays as it was.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "pg_local_cluster.h"
#include "store_fence.h"

static char dir[] = "/tmp/store_fence_test.XXXXXX";

static int sql(const char *uri, const char *q)
{
	PGconn *c = PQconnectdb(uri);
	int ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PGresult *r = PQexec(c, q);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
	}
	PQfinish(c);
	return ok ? 0 : -1;
}

static void check_conf(const char *text, const char *want)
{
	static const struct om_conf_key keys[] = { { "hss", "db", 1 }, OM_STORE_FENCE_CONF_KEYS("hss") };
	char path[300], err[400] = "";
	struct om_store_fence_conf fc;
	snprintf(path, sizeof(path), "%s/hss.conf", dir);
	FILE *f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
	struct om_conf *c = om_conf_load(path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	if (!c)
		return;
	int rc = om_store_fence_conf(c, "hss", &fc, err, sizeof(err));
	if (want) {
		CHECK_MSG(rc < 0 && strstr(err, want), "want '%s', got %d '%s'", want, rc, err);
	} else {
		CHECK_MSG(rc == 0 && fc.peer && fc.interval_s == 2, "%d %s", rc, err);
	}
	om_conf_free(c);
}

int main(void)
{
	struct om_pg_cluster a = { 0 }, s = { 0 }, b = { 0 };
	char err[512] = "", why[512], ua[400], us[400], ub[400], gone[400], text[1200];
	CHECK(mkdtemp(dir) != NULL);
	if (om_pg_cluster_start(&a, NULL, 0, err, sizeof(err)) < 0 ||
	    om_pg_cluster_start(&b, NULL, 0, err, sizeof(err)) < 0) {
		CHECK_MSG(0, "no PostgreSQL cluster: this test needs one (scripts/deps.sh test): %s", err);
		goto out;
	}
	CHECK(om_pg_cluster_uri(&a, NULL, ua, sizeof(ua)) == 0 && om_pg_cluster_uri(&b, NULL, ub, sizeof(ub)) == 0);
	CHECK(sql(ua, "CREATE TABLE om_fence_probe (v int); INSERT INTO om_fence_probe VALUES (7)") == 0);
	int rc = om_pg_cluster_standby(&s, &a, NULL, 0, err, sizeof(err));
	CHECK_MSG(rc == 0, "standby: %s", err);
	if (rc < 0)
		goto out;
	CHECK(om_pg_cluster_uri(&s, NULL, us, sizeof(us)) == 0);
	snprintf(gone, sizeof(gone), "postgresql:///postgres?host=%s/none&port=5432", dir);

	/* asynchronous: refused at start-up, not by the watcher's checks */
	for (int i = 0; i < 100 && om_store_fence_check(ua, us, 1, why, sizeof(why)) != OM_EINVAL; i++)
		usleep(100 * 1000);
	CHECK_INT(om_store_fence_check(ua, us, 1, why, sizeof(why)), OM_EINVAL);
	CHECK_MSG(strstr(why, "asynchronously") != NULL, "%s", why);
	CHECK_INT(om_store_fence_check(ua, us, 0, why, sizeof(why)), 0);
	/* a plain login role (no superuser, no pg_read_all_stats) sees every pg_stat_replication column but
	 * pid as NULL: refused at start-up as blind, not passed for seeing no asynchronous row (review) */
	char uplain[600], passfile[300];
	snprintf(passfile, sizeof(passfile), "%s/fence_plain.pgpass", dir);
	rc = om_pg_cluster_createdb_owned(&a, "fence_plain", passfile, uplain, sizeof(uplain), err, sizeof(err));
	CHECK_MSG(rc == 0, "plain role: %s", err);
	CHECK_INT(om_store_fence_check(uplain, us, 1, why, sizeof(why)), OM_EINVAL);
	CHECK_MSG(strstr(why, "role fence_plain cannot see the standbys' sync_state") &&
			  strstr(why, "grant pg_read_all_stats to fence_plain") && !strchr(why, '"'),
		  "%s", why);
	struct om_store_fence_conf fc = { .db = uplain, .peer = us, .interval_s = 2, .where = "hss.conf:3" };
	CHECK_INT(om_store_fence_start(&fc, err, sizeof(err)), OM_EINVAL);
	om_store_fence_stop(); /* nothing runs after a refusal; this only matters where it was not refused */
	CHECK_MSG(!strncmp(err, "hss.conf:3: db_peer: db's role fence_plain cannot see", 53), "%s", err);
	CHECK_INT(om_store_fence_check(uplain, us, 0, why, sizeof(why)), 0); /* the watcher's checks: identity only */
	/* granted: the asynchronous standby refused for being asynchronous */
	CHECK(sql(ua, "GRANT pg_read_all_stats TO fence_plain") == 0);
	CHECK_INT(om_store_fence_check(uplain, us, 1, why, sizeof(why)), OM_EINVAL);
	CHECK_MSG(strstr(why, "asynchronously") != NULL, "%s", why);
	CHECK(om_pg_cluster_sync(&a, err, sizeof(err)) == 0);
	CHECK_INT(om_store_fence_check(ua, us, 1, why, sizeof(why)), 0);
	CHECK_INT(om_store_fence_check(uplain, us, 1, why, sizeof(why)), 0); /* granted, synchronous: served */
	CHECK(sql(ua, "REVOKE pg_read_all_stats FROM fence_plain") == 0);
	CHECK_INT(om_store_fence_check(uplain, us, 1, why, sizeof(why)), OM_EINVAL); /* blind even beside a sync one */
	CHECK_INT(om_store_fence_check(ua, us, 1, why, sizeof(why)), 0);
	CHECK_MSG(why[0] == 0, "a standby peer is nothing to say: %s", why);
	/* the standby itself never serves */
	CHECK_INT(om_store_fence_check(us, ua, 1, why, sizeof(why)), OM_ESTORE_FENCED);
	CHECK_MSG(strstr(why, "db is a standby") != NULL, "%s", why);
	/* the peer gone: served alone; another system: a configuration error */
	CHECK_INT(om_store_fence_check(ua, gone, 1, why, sizeof(why)), 1);
	CHECK_MSG(strstr(why, "serving alone on timeline 1") && !strchr(why, '"'), "%s", why);
	CHECK_INT(om_store_fence_check(ua, ub, 1, why, sizeof(why)), OM_EINVAL);
	CHECK_MSG(strstr(why, "is not a copy of db (system identifier") != NULL, "%s", why);
	CHECK_INT(om_store_fence_check(gone, ua, 1, why, sizeof(why)), OM_ESTORE_CONN);
	/* a cluster that takes the connection and never answers the query (its role's search_path puts a
	 * pg_is_in_recovery that sleeps before pg_catalog's): the check ends within its deadline, as db not
	 * reached (start-up) or as a peer not reached (the watcher), not after the sleep */
	char uslow[600], slowpass[300];
	snprintf(slowpass, sizeof(slowpass), "%s/fence_slow.pgpass", dir);
	rc = om_pg_cluster_createdb_owned(&b, "fence_slow", slowpass, uslow, sizeof(uslow), err, sizeof(err));
	CHECK_MSG(rc == 0, "slow role: %s", err);
	CHECK(sql(uslow, "CREATE SCHEMA slow; CREATE FUNCTION slow.pg_is_in_recovery() RETURNS boolean LANGUAGE sql"
			 " AS 'SELECT false FROM pg_sleep(20)'; ALTER ROLE CURRENT_USER SET search_path = slow, pg_catalog") == 0);
	time_t t0 = time(NULL);
	CHECK_INT(om_store_fence_check(uslow, ua, 1, why, sizeof(why)), OM_ESTORE_CONN);
	CHECK_MSG(strstr(why, "statement timeout") != NULL && !strchr(why, '"'), "%s", why);
	CHECK_INT(om_store_fence_check(ua, uslow, 0, why, sizeof(why)), 1);
	CHECK_MSG(strstr(why, "not reached") && strstr(why, "statement timeout"), "%s", why);
	CHECK_MSG(time(NULL) - t0 < 15, "two checks took %lld s", (long long)(time(NULL) - t0));

	/* the standby promoted (A still runs: the partition case): A fenced, S serves */
	CHECK(om_pg_cluster_promote(&s, err, sizeof(err)) == 0);
	CHECK_INT(om_store_fence_check(ua, us, 0, why, sizeof(why)), OM_ESTORE_FENCED);
	CHECK_MSG(strstr(why, "is the primary on timeline 2, db only on 1") != NULL, "%s", why);
	CHECK_INT(om_store_fence_check(us, ua, 1, why, sizeof(why)), 0);
	CHECK_MSG(strstr(why, "older timeline 1 (db's 2)") != NULL, "%s", why);
	/* only reads: what the clusters hold is as it was */
	CHECK(sql(ua, "SELECT 1 FROM om_fence_probe WHERE v = 7 HAVING count(*) = 1") == 0);
	CHECK(sql(us, "SELECT 1 FROM om_fence_probe WHERE v = 7 HAVING count(*) = 1") == 0);

	/* the configuration */
	snprintf(text, sizeof(text), "[hss]\ndb = %s\ndb_peer = %s\ndb_peer_interval = 2\n", ua, us);
	check_conf(text, NULL);
	snprintf(text, sizeof(text), "[hss]\ndb = /var/lib/openmcim/hss.db\n\ndb_peer = %s\n", us);
	check_conf(text, "hss.conf:4: db_peer: db and db_peer must both be postgresql:// URIs");
	snprintf(text, sizeof(text), "[hss]\ndb = %s\ndb_peer = %s\ndb_peer_interval = 0\n", ua, us);
	check_conf(text, "hss.conf:4: 'db_peer_interval' must be a whole number from 1 to 3600");
out:
	om_pg_cluster_stop(&s, 0);
	om_pg_cluster_stop(&a, 0);
	om_pg_cluster_stop(&b, 0);
	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	if (system(text) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
