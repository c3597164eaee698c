/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fencing the old primary (spec/000 5.2.2.3.5 case 2; docs/decisions.md
 * "Fencing the old primary", docs/sqn.md "A standby RO's ICF"). A daemon
 * whose PostgreSQL database is streamed to a standby names the other
 * cluster of the pair in `db_peer` ([hss] or [drf]). At start-up, and every
 * `db_peer_interval` seconds while it runs, it compares the two clusters:
 *
 *   - its own database is a standby (in recovery): refused;
 *   - the peer is not a copy of it (another system identifier): refused,
 *     a configuration error;
 *   - the peer is a primary on a timeline at least ours (a promotion
 *     advanced PostgreSQL's timeline there: this database is no longer the
 *     primary of record): refused, "fenced";
 *   - the peer is a standby, a primary on an older timeline (the old
 *     primary come back), or not reached (dead, as after a failover): served.
 *
 * The timeline is PostgreSQL's own fencing epoch: every promotion moves it
 * up, and nothing but a promotion does, so no row of ours has to be
 * advanced by the operator's tooling. At start-up a refusal is one line and
 * exit status OM_STORE_FENCED_EXIT (3) before the daemon opens its store;
 * while running, the
 * watcher thread logs `fenced` and ends the process at once (_exit: no
 * handler finishes, no closing write). Between a promotion and the next
 * check, synchronous replication holds the old primary's durable commits
 * (nothing streams from it any more), so no SQN mark it takes is
 * acknowledged. At start-up a standby that streams asynchronously is
 * refused too (`file:line: db_peer: ...`): a failover could lose marks.
 */
#pragma once

#include <stddef.h>

#include <openmcim/err.h>

#include "conf.h"
#include "svc_err.h"

#define OM_STORE_FENCE_INTERVAL_DEFAULT 5
#define OM_STORE_FENCED_EXIT 3 /* the exit status of a fenced daemon; its systemd unit does not restart it */

/* The keys of a daemon's section: its keys[] lists OM_STORE_FENCE_CONF_KEYS("hss"). */
#define OM_STORE_FENCE_CONF_KEYS(section) { section, "db_peer", 0 }, { section, "db_peer_interval", 0 }

struct om_store_fence_conf {
	const char *db;      /* the daemon's own store ([section] db) */
	const char *peer;    /* the other cluster of the pair (a libpq URI); NULL: no fencing */
	unsigned interval_s; /* between two checks while running */
	char where[300];     /* "file:line" of db_peer, for messages */
};

/*
 * Read [section] db_peer and db_peer_interval (1..3600, default 5). db_peer
 * needs a postgresql:// db. 0, or -1 with `file:line: reason` in err.
 */
OM_NODISCARD int om_store_fence_conf(const struct om_conf *c, const char *section, struct om_store_fence_conf *out,
				     char *err, size_t err_len);

/*
 * One comparison of db with peer (above). 0: db is the primary of record
 * and peer was reached; 1: db is a primary and peer was not reached (why
 * says so); OM_ESTORE_FENCED: db is not the primary of record; OM_EINVAL:
 * peer is not a copy of db, or (with check_async) a standby streams from db
 * asynchronously or db's role cannot see a standby's sync_state (it needs
 * pg_read_all_stats); OM_ESTORE_CONN: db not reached. why gets one line
 * without passwords.
 */
OM_NODISCARD int om_store_fence_check(const char *db, const char *peer, int check_async, char *why, size_t why_len);

/*
 * The start-up check, then (when it passes) the watcher thread. Start it
 * after om_daemon_block_signals() and before the store is opened. With no
 * peer configured: 0 and nothing runs. 0, or a code with one line in err.
 */
OM_NODISCARD int om_store_fence_start(const struct om_store_fence_conf *fc, char *err, size_t err_len);

/* Stop and join the watcher (a clean stop); no-op when none runs. */
void om_store_fence_stop(void);
