/* SPDX-License-Identifier: Apache-2.0 */
/* Fencing the old primary of a replicated pair (store_fence.h). */
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_fence.h"

#define PEER_CONNECT_TIMEOUT "3" /* seconds; the URI's own connect_timeout wins */
/*
 * The facts query's deadline: on the server (statement_timeout, set in the same round trip) and on
 * the wire (tcp_user_timeout, unacknowledged bytes; the URI's own wins). Without them a cluster
 * that takes the connection and then never answers held the start-up, or the watcher, for good.
 */
#define PEER_STATEMENT_TIMEOUT "SET statement_timeout = 3000; "
#define PEER_TCP_USER_TIMEOUT "3000" /* ms */

/* What one cluster says of itself. */
struct facts {
	int standby;        /* in recovery */
	char sysid[32];     /* pg_control_system().system_identifier */
	unsigned long tli;  /* the timeline it writes (a primary) or replays (a standby) */
	long async_streams; /* standbys streaming from it asynchronously */
	long hidden_streams; /* standbys whose sync_state our role cannot see (no pg_read_all_stats): NULL */
	char role[64];       /* current_user, for the grant to name */
};

/*
 * The timeline: a primary's from the WAL file it writes (its name starts
 * with the timeline in hex; a promotion moves it at once, the control
 * file's checkpoint only later), a standby's from its last checkpoint.
 */
static const char facts_sql[] = PEER_STATEMENT_TIMEOUT
	"SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system())::text,"
	" CASE WHEN pg_is_in_recovery() THEN lpad(to_hex((SELECT timeline_id FROM pg_control_checkpoint())), 8, '0')"
	" ELSE pg_walfile_name(pg_current_wal_lsn()) END,"
	" (SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'async'),"
	" (SELECT count(*) FROM pg_stat_replication WHERE sync_state IS NULL), current_user";

/* the server's words go inside a log line's reason="...": no double quote in them */
static void unquote(char *s)
{
	for (; *s; s++)
		if (*s == '"')
			*s = '\'';
}

/* 0 with f filled; OM_ESTORE_CONN (not reached) or OM_ESTORE (the query) with the reason in why. */
static int read_facts(const char *uri, struct facts *f, char *why, size_t why_len)
{
	const char *const keys[] = { "connect_timeout", "tcp_user_timeout", "dbname", NULL };
	const char *const vals[] = { PEER_CONNECT_TIMEOUT, PEER_TCP_USER_TIMEOUT, uri, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	int rc = OM_ESTORE_CONN;
	memset(f, 0, sizeof(*f));
	if (!c || PQstatus(c) != CONNECTION_OK) {
		const char *m = c ? PQerrorMessage(c) : "out of memory";
		snprintf(why, why_len, "%.*s", (int)strcspn(m, "\n"), m);
		unquote(why);
		goto out;
	}
	PGresult *r = PQexec(c, facts_sql);
	rc = OM_ESTORE;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 6) {
		f->standby = PQgetvalue(r, 0, 0)[0] == 't';
		snprintf(f->sysid, sizeof(f->sysid), "%s", PQgetvalue(r, 0, 1));
		char tli[9];
		snprintf(tli, sizeof(tli), "%s", PQgetvalue(r, 0, 2));
		f->tli = strtoul(tli, NULL, 16);
		f->async_streams = atol(PQgetvalue(r, 0, 3));
		f->hidden_streams = atol(PQgetvalue(r, 0, 4));
		snprintf(f->role, sizeof(f->role), "%s", PQgetvalue(r, 0, 5));
		unquote(f->role);
		rc = f->tli && f->sysid[0] ? 0 : OM_ESTORE;
	}
	if (rc < 0) {
		const char *m = PQresultErrorMessage(r);
		snprintf(why, why_len, "cannot read the cluster's role: %.*s", (int)strcspn(m, "\n"), m);
		unquote(why);
	}
	PQclear(r);
out:
	PQfinish(c);
	return rc;
}

int om_store_fence_check(const char *db, const char *peer, int check_async, char *why, size_t why_len)
{
	struct facts own, other;
	char reason[256], redacted[256];
	*why = '\0';
	int rc = read_facts(db, &own, reason, sizeof(reason));
	if (rc < 0) {
		snprintf(why, why_len, "db: %s", reason);
		return OM_ESTORE_CONN;
	}
	if (own.standby) {
		snprintf(why, why_len, "db is a standby (in recovery, timeline %lu): only the primary of record serves",
			 own.tli);
		return OM_ESTORE_FENCED;
	}
	/* without pg_read_all_stats every column but pid is NULL: an asynchronous standby would count 0 (review) */
	if (check_async && own.hidden_streams > 0) {
		snprintf(why, why_len,
			 "db's role %s cannot see the standbys' sync_state, so an asynchronous standby would pass: grant "
			 "pg_read_all_stats to %s (docs/operate.md, Service users)",
			 own.role, own.role);
		return OM_EINVAL;
	}
	if (check_async && own.async_streams > 0) {
		snprintf(why, why_len,
			 "a standby streams from db asynchronously (synchronous_standby_names does not name it): a failover "
			 "could lose SQN marks and register changes");
		return OM_EINVAL;
	}
	om_store_conf_redact(peer, redacted, sizeof(redacted));
	if (read_facts(peer, &other, reason, sizeof(reason)) < 0) {
		snprintf(why, why_len, "peer %s not reached (%s): serving alone on timeline %lu", redacted, reason,
			 own.tli);
		return 1;
	}
	if (strcmp(own.sysid, other.sysid)) {
		snprintf(why, why_len, "peer %s is not a copy of db (system identifier %s, db's %s)", redacted,
			 other.sysid, own.sysid);
		return OM_EINVAL;
	}
	if (!other.standby && other.tli >= own.tli) {
		snprintf(why, why_len,
			 "peer %s is the primary on timeline %lu, db only on %lu: db is no longer the primary of record "
			 "(bring it back as a standby: docs/operate.md, case 2)",
			 redacted, other.tli, own.tli);
		return OM_ESTORE_FENCED;
	}
	if (!other.standby)
		snprintf(why, why_len, "peer %s is a primary on the older timeline %lu (db's %lu): it must not serve",
			 redacted, other.tli, own.tli);
	return 0;
}

int om_store_fence_conf(const struct om_conf *c, const char *section, struct om_store_fence_conf *out, char *err,
			size_t err_len)
{
	uint64_t v;
	memset(out, 0, sizeof(*out));
	out->db = om_conf_get(c, section, "db");
	out->peer = om_conf_get(c, section, "db_peer");
	if (om_conf_uint(c, section, "db_peer_interval", OM_STORE_FENCE_INTERVAL_DEFAULT, 1, 3600, &v, err, err_len))
		return -1;
	out->interval_s = (unsigned)v;
	if (!out->peer)
		return 0;
	snprintf(out->where, sizeof(out->where), "%s:%d", om_conf_path(c), om_conf_line(c, section, "db_peer"));
	if (!out->db || !om_store_conf_is_pg(out->db) || !om_store_conf_is_pg(out->peer)) {
		snprintf(err, err_len, "%s: db_peer: db and db_peer must both be postgresql:// URIs", out->where);
		return -1;
	}
	return 0;
}

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int running, stop, first; /* first: the start-up check's outcome */
	const struct om_store_fence_conf *fc;
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static void *watcher(void *arg)
{
	(void)arg;
	char why[512];
	int last = watch.first;
	pthread_mutex_lock(&watch.lock);
	while (!watch.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += watch.fc->interval_s;
		while (!watch.stop && pthread_cond_timedwait(&watch.wake, &watch.lock, &until) != ETIMEDOUT)
			;
		if (watch.stop)
			break;
		pthread_mutex_unlock(&watch.lock);
		int rc = om_store_fence_check(watch.fc->db, watch.fc->peer, 0, why, sizeof(why));
		if (rc == OM_ESTORE_FENCED || rc == OM_EINVAL) {
			/* stop serving now: no handler finishes, no closing write reaches db */
			om_error("fenced", "reason=\"%s\"", why);
			_exit(OM_STORE_FENCED_EXIT);
		}
		/* one line per change of what the check finds, not one per check */
		if (rc != last && rc == 1)
			om_notice("db-peer-unreached", "reason=\"%s\"", why);
		else if (rc != last && rc == 0)
			om_notice("db-peer-reached", "reason=\"%s\"", *why ? why : "the peer is a standby");
		else if (rc != last)
			om_notice("db-peer-check", "reason=\"%s\"", why);
		last = rc;
		pthread_mutex_lock(&watch.lock);
	}
	pthread_mutex_unlock(&watch.lock);
	return NULL;
}

int om_store_fence_start(const struct om_store_fence_conf *fc, char *err, size_t err_len)
{
	char why[512];
	if (!fc->peer)
		return 0;
	int rc = om_store_fence_check(fc->db, fc->peer, 1, why, sizeof(why));
	if (rc == OM_EINVAL) {
		snprintf(err, err_len, "%s: db_peer: %s", fc->where, why);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, err_len, "%s", why);
		return rc;
	}
	if (*why)
		om_notice(rc == 1 ? "db-peer-unreached" : "db-peer", "reason=\"%s\"", why);
	watch.fc = fc;
	watch.stop = 0;
	watch.first = rc;
	if (pthread_create(&watch.thread, NULL, watcher, NULL)) {
		snprintf(err, err_len, "cannot start the db_peer watcher");
		return OM_ENOMEM;
	}
	watch.running = 1;
	return 0;
}

void om_store_fence_stop(void)
{
	if (!watch.running)
		return;
	pthread_mutex_lock(&watch.lock);
	watch.stop = 1;
	pthread_cond_signal(&watch.wake);
	pthread_mutex_unlock(&watch.lock);
	pthread_join(watch.thread, NULL);
	watch.running = 0;
}
