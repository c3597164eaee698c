/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's schema and statements on the storage interface, on SQLite or
 * PostgreSQL (svc/store.h, docs/store.md): every statement is prepared once
 * at open from the table below (hss/hss_store.c is the model) and run with
 * om_stmt_exec/om_stmt_query; where the dialects differ a row carries
 * PostgreSQL's own text. Nothing here or in the DRF builds SQL.
 */
#include <stdio.h>

#include "drf_int.h"
#include "drf_state.h"

/* Schema steps (docs/drf.md "Schema"); never edit one that has shipped: add the next, to both tables. */
static const struct om_store_migration migrations[] = {
	{ "CREATE TABLE operator ("
	  " sho_id TEXT PRIMARY KEY,"
	  " sign_cert BLOB NOT NULL,"        /* SHO_SIGNING, DER */
	  " added INTEGER NOT NULL);"
	  "CREATE TABLE device ("
	  " tre_id TEXT PRIMARY KEY,"
	  " imsi TEXT NOT NULL,"             /* the current subscription with us */
	  " since INTEGER NOT NULL,"
	  " enc_cert BLOB NOT NULL,"         /* TRE_ENCRYPTION, DER */
	  " owner TEXT NOT NULL,"
	  " lock_until INTEGER NOT NULL DEFAULT 0,"
	  " sequence INTEGER NOT NULL CHECK (sequence BETWEEN 0 AND 4294967295),"
	  " ours INTEGER NOT NULL DEFAULT 1 CHECK (ours IN (0, 1)));"
	  "CREATE TABLE transfer_code ("
	  " id INTEGER PRIMARY KEY,"
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " salt BLOB NOT NULL,"
	  " hash BLOB NOT NULL,"             /* drf_code_hash(): the code itself is never stored */
	  " issued INTEGER NOT NULL,"
	  " expires INTEGER NOT NULL,"
	  " used_by TEXT,"                   /* sender, when used */
	  " used_request TEXT);"
	  "CREATE INDEX transfer_code_tre ON transfer_code(tre_id);"
	  "CREATE TABLE handover ("
	  " sender TEXT NOT NULL REFERENCES operator(sho_id),"
	  " request_id TEXT NOT NULL,"
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " state TEXT NOT NULL CHECK (state IN ('accepted', 'completed')),"
	  " sequence INTEGER NOT NULL,"
	  " bootstrap BLOB NOT NULL,"        /* the signed CP document, ready for delivery */
	  " accepted INTEGER NOT NULL,"
	  " completed INTEGER,"
	  " PRIMARY KEY (sender, request_id));"
	  "CREATE TABLE removal ("
	  " imsi TEXT PRIMARY KEY,"
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " due INTEGER NOT NULL,"
	  " done INTEGER);" },
	/* issue 12: the completion must carry the TRE's signed outcome statement, verified with the device's
	 * Cert_TRE (TRE_SIGNING); the highest state counter a statement showed is kept */
	{ "ALTER TABLE device ADD COLUMN sign_cert BLOB;"
	  "ALTER TABLE device ADD COLUMN counter INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0);" },
	/* 3: a failed removal is tried again later without holding up the others (docs/drf.md) */
	{ "ALTER TABLE removal ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;" /* failures so far */
	  "ALTER TABLE removal ADD COLUMN error TEXT;" },                        /* the last one's code */
	/* 4: the sweep reads only pending removals, so its cost does not grow with every removal ever done */
	{ "CREATE INDEX removal_pending ON removal(due) WHERE done IS NULL;" },
	/* 5 (issue 20): a device may come back to an operator it left (A->B->A): one stay row per time it
	 * was ours, the current one is device.stay; each handover belongs to the stay it was accepted in */
	{ "CREATE TABLE stay ("
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " n INTEGER NOT NULL,"             /* 1, 2, ...: the device's stays with us in order */
	  " imsi TEXT NOT NULL,"             /* our subscription during it */
	  " since INTEGER NOT NULL,"
	  " owner TEXT NOT NULL,"
	  " sequence INTEGER NOT NULL,"      /* the last bootstrap sequence it came with (0: not known) */
	  " left_at INTEGER,"                /* NULL: not left */
	  " left_to TEXT,"                   /* the handover that took it away */
	  " left_request TEXT,"
	  " PRIMARY KEY (tre_id, n));"
	  "ALTER TABLE device ADD COLUMN stay INTEGER NOT NULL DEFAULT 1;"
	  "ALTER TABLE handover ADD COLUMN stay INTEGER NOT NULL DEFAULT 1;"
	  "INSERT INTO stay (tre_id, n, imsi, since, owner, sequence, left_at, left_to, left_request)"
	  " SELECT d.tre_id, 1, d.imsi, d.since, d.owner, 0, h.completed, h.sender, h.request_id FROM device d"
	  " LEFT JOIN handover h ON h.tre_id = d.tre_id AND h.state = 'completed';" },
	/* 6 (issue 14): no per-device step reads the history. A completed handover keeps its facts and the
	 * SHA-256 of its bootstrap, not the 4 KB document; the start-up and pending reads see only the
	 * accepted ones; a device's handovers are found by its TRE_id */
	{ "ALTER TABLE handover ADD COLUMN bootstrap_sha256 BLOB;"
	  "CREATE INDEX handover_accepted ON handover(accepted) WHERE state = 'accepted';"
	  "CREATE INDEX handover_tre ON handover(tre_id);" },
	/* 7 (issue 20): the removal of a subscription of ours a device never used (it fell back) names a
	 * device that need not be in the register: the reference goes (SQLite rebuilds the table for that) */
	{ "CREATE TABLE removal_7 ("
	  " imsi TEXT PRIMARY KEY,"
	  " tre_id TEXT NOT NULL,"
	  " due INTEGER NOT NULL,"
	  " done INTEGER,"
	  " attempts INTEGER NOT NULL DEFAULT 0,"
	  " error TEXT,"
	  " why TEXT NOT NULL DEFAULT 'moved' CHECK (why IN ('moved', 'fell-back')));"
	  "INSERT INTO removal_7 (imsi, tre_id, due, done, attempts, error)"
	  " SELECT imsi, tre_id, due, done, attempts, error FROM removal;"
	  "DROP TABLE removal;"
	  "ALTER TABLE removal_7 RENAME TO removal;"
	  "CREATE INDEX removal_pending ON removal(due) WHERE done IS NULL;" },
	/* 8 (issue 20): a fell-back subscription our SHO could not suspend at once (its HSS did not
	 * answer) is suspended from here, retried until the HSS answers; NULL: nothing to suspend */
	{ "ALTER TABLE removal ADD COLUMN suspend_due INTEGER;" },
	/* 9 (issue 16): the departures in the order they happened, for the registration service that shows
	 * the owner a device released here (drf_departures, the admin socket's `departures`) */
	{ "CREATE INDEX stay_left ON stay(left_at, tre_id, n) WHERE left_at IS NOT NULL;" },
	/* 10: an operator deletes a decommissioned device with its removals (drf_device_delete, issue 15) */
	{ "CREATE INDEX removal_tre ON removal(tre_id);" },
	/* 11: a fallback removal looks up whose an IMSI is (drf_fallback_removal) */
	{ "CREATE INDEX device_imsi ON device(imsi);" },
};

/*
 * The same steps in PostgreSQL's types: BYTEA for BLOB, BIGINT for times,
 * sequences and counters (a sequence may pass 2^31), an identity column for
 * the code's row id (SQLite's INTEGER PRIMARY KEY is its rowid).
 */
static const struct om_store_migration migrations_pg[] = {
	{ "CREATE TABLE operator ("
	  " sho_id TEXT PRIMARY KEY,"
	  " sign_cert BYTEA NOT NULL,"
	  " added BIGINT NOT NULL);"
	  "CREATE TABLE device ("
	  " tre_id TEXT PRIMARY KEY,"
	  " imsi TEXT NOT NULL,"
	  " since BIGINT NOT NULL,"
	  " enc_cert BYTEA NOT NULL,"
	  " owner TEXT NOT NULL,"
	  " lock_until BIGINT NOT NULL DEFAULT 0,"
	  " sequence BIGINT NOT NULL CHECK (sequence BETWEEN 0 AND 4294967295),"
	  " ours INTEGER NOT NULL DEFAULT 1 CHECK (ours IN (0, 1)));"
	  "CREATE TABLE transfer_code ("
	  " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " salt BYTEA NOT NULL,"
	  " hash BYTEA NOT NULL,"
	  " issued BIGINT NOT NULL,"
	  " expires BIGINT NOT NULL,"
	  " used_by TEXT,"
	  " used_request TEXT);"
	  "CREATE INDEX transfer_code_tre ON transfer_code(tre_id);"
	  "CREATE TABLE handover ("
	  " sender TEXT NOT NULL REFERENCES operator(sho_id),"
	  " request_id TEXT NOT NULL,"
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " state TEXT NOT NULL CHECK (state IN ('accepted', 'completed')),"
	  " sequence BIGINT NOT NULL,"
	  " bootstrap BYTEA NOT NULL,"
	  " accepted BIGINT NOT NULL,"
	  " completed BIGINT,"
	  " PRIMARY KEY (sender, request_id));"
	  "CREATE TABLE removal ("
	  " imsi TEXT PRIMARY KEY,"
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " due BIGINT NOT NULL,"
	  " done BIGINT);" },
	{ "ALTER TABLE device ADD COLUMN sign_cert BYTEA;"
	  "ALTER TABLE device ADD COLUMN counter BIGINT NOT NULL DEFAULT 0 CHECK (counter >= 0);" },
	{ "ALTER TABLE removal ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE removal ADD COLUMN error TEXT;" },
	{ "CREATE INDEX removal_pending ON removal(due) WHERE done IS NULL;" },
	{ "CREATE TABLE stay ("
	  " tre_id TEXT NOT NULL REFERENCES device(tre_id),"
	  " n INTEGER NOT NULL,"
	  " imsi TEXT NOT NULL,"
	  " since BIGINT NOT NULL,"
	  " owner TEXT NOT NULL,"
	  " sequence BIGINT NOT NULL,"
	  " left_at BIGINT,"
	  " left_to TEXT,"
	  " left_request TEXT,"
	  " PRIMARY KEY (tre_id, n));"
	  "ALTER TABLE device ADD COLUMN stay INTEGER NOT NULL DEFAULT 1;"
	  "ALTER TABLE handover ADD COLUMN stay INTEGER NOT NULL DEFAULT 1;"
	  "INSERT INTO stay (tre_id, n, imsi, since, owner, sequence, left_at, left_to, left_request)"
	  " SELECT d.tre_id, 1, d.imsi, d.since, d.owner, 0, h.completed, h.sender, h.request_id FROM device d"
	  " LEFT JOIN handover h ON h.tre_id = d.tre_id AND h.state = 'completed';" },
	{ "ALTER TABLE handover ADD COLUMN bootstrap_sha256 BYTEA;"
	  "CREATE INDEX handover_accepted ON handover(accepted) WHERE state = 'accepted';"
	  "CREATE INDEX handover_tre ON handover(tre_id);" },
	{ "ALTER TABLE removal DROP CONSTRAINT removal_tre_id_fkey;"
	  "ALTER TABLE removal ADD COLUMN why TEXT NOT NULL DEFAULT 'moved' CHECK (why IN ('moved', 'fell-back'));" },
	{ "ALTER TABLE removal ADD COLUMN suspend_due BIGINT;" },
	{ "CREATE INDEX stay_left ON stay(left_at, tre_id, n) WHERE left_at IS NOT NULL;" },
	{ "CREATE INDEX removal_tre ON removal(tre_id);" },
	{ "CREATE INDEX device_imsi ON device(imsi);" },
};

_Static_assert(sizeof(migrations) == sizeof(migrations_pg), "one schema step list per backend");

#define COMPLETION_GET                                                                                   \
	"SELECT h.state, h.tre_id, v.imsi, h.sequence, h.accepted, v.counter, v.sign_cert, h.stay, v.stay" \
	" FROM handover h JOIN device v ON v.tre_id = h.tre_id WHERE h.sender = ?1 AND h.request_id = ?2"
#define PUSH_ROWS                                                                                        \
	"SELECT h.sender, h.request_id, d.imsi, h.sequence, h.bootstrap FROM handover h"                  \
	" JOIN device d ON d.tre_id = h.tre_id WHERE h.state = 'accepted' AND h.stay = d.stay AND d.ours = 1"

/*
 * Every read that decides a write reads with FOR UPDATE on PostgreSQL:
 * SQLite's BEGIN IMMEDIATE already holds the one write lock, PostgreSQL
 * locks the rows, so two connections to one register take turns per device.
 */
static const struct om_store_sql sql[DRF_SQL_N] = {
	/* an existing row is compared (*_SAME), not an error that would abort a PostgreSQL transaction */
	[DRF_SQL_DEV_ADD] = { "INSERT INTO device (tre_id, imsi, since, enc_cert, owner, sequence, sign_cert, counter)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING" },
	[DRF_SQL_DEV_SAME] = { "SELECT 1 FROM device WHERE tre_id = ?1 AND imsi = ?2 AND since = ?3 AND enc_cert = ?4"
			       " AND owner = ?5 AND sequence >= ?6 AND sign_cert IS ?7",
			       "SELECT 1 FROM device WHERE tre_id = ?1 AND imsi = ?2 AND since = ?3 AND enc_cert = ?4"
			       " AND owner = ?5 AND sequence >= ?6 AND sign_cert IS NOT DISTINCT FROM ?7" },
	[DRF_SQL_OP_ADD] = { "INSERT INTO operator (sho_id, sign_cert, added) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING" },
	[DRF_SQL_OP_SAME] = { "SELECT 1 FROM operator WHERE sho_id = ?1 AND sign_cert = ?2" },
	[DRF_SQL_OP_CERT] = { "SELECT sign_cert FROM operator WHERE sho_id = ?1" },
	[DRF_SQL_DEV_LOCK] = { "UPDATE device SET lock_until = ?2 WHERE tre_id = ?1" },
	[DRF_SQL_DEV_OURS] = { "SELECT ours, owner FROM device WHERE tre_id = ?1",
			       "SELECT ours, owner FROM device WHERE tre_id = ?1 FOR UPDATE" },
	[DRF_SQL_CODE_ADD] = { "INSERT INTO transfer_code (tre_id, salt, hash, issued, expires) VALUES (?1, ?2, ?3, ?4, ?5)" },
	[DRF_SQL_DEV_STATUS] = { "SELECT imsi, owner, since, lock_until, sequence, ours, stay FROM device WHERE tre_id = ?1" },
	[DRF_SQL_CODES_UNUSED] = { "SELECT count(*) FROM transfer_code WHERE tre_id = ?1 AND used_by IS NULL"
				   " AND expires > ?2" },
	[DRF_SQL_HANDOVERS_OF] = { "SELECT count(*) FROM handover WHERE tre_id = ?1" },
	/* a bootstrap of an earlier stay, or of a device no longer ours, waits for nothing */
	[DRF_SQL_PENDING] = { "SELECT h.sender, h.request_id, h.tre_id, h.sequence, h.accepted, length(h.bootstrap)"
			      " FROM handover h JOIN device d ON d.tre_id = h.tre_id WHERE h.state = 'accepted'"
			      " AND h.stay = d.stay AND d.ours = 1 ORDER BY h.accepted, h.sender, h.request_id" },
	[DRF_SQL_HO_FIND] = { "SELECT tre_id, bootstrap, sequence FROM handover WHERE sender = ?1 AND request_id = ?2" },
	[DRF_SQL_DEV_CHECK] = { "SELECT ours, lock_until, sequence FROM device WHERE tre_id = ?1",
				"SELECT ours, lock_until, sequence FROM device WHERE tre_id = ?1 FOR UPDATE" },
	[DRF_SQL_CODES_OF] = { "SELECT id, salt, hash, expires, used_by IS NOT NULL FROM transfer_code WHERE tre_id = ?1" },
	[DRF_SQL_CODE_USE] = { "UPDATE transfer_code SET used_by = ?2, used_request = ?3 WHERE id = ?1 AND used_by IS NULL" },
	[DRF_SQL_DEV_SET_SEQ] = { "UPDATE device SET sequence = ?2 WHERE tre_id = ?1" },
	/* the moves of drf_state.h: the new state bound, written only while the row is in the state moved from */
	[DRF_SQL_HO_ADD] = { "INSERT INTO handover (sender, request_id, tre_id, state, sequence, bootstrap, accepted, stay,"
			     " bootstrap_sha256) VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, (SELECT stay FROM device WHERE tre_id = ?3), ?7)" },
	[DRF_SQL_COMPLETION] = { COMPLETION_GET, COMPLETION_GET " FOR UPDATE" },
	/* finished work keeps its facts and the bootstrap's digest; the document itself is pruned (issue 14) */
	[DRF_SQL_HO_COMPLETE] = { "UPDATE handover SET state = ?4, completed = ?3, bootstrap = X''"
				  " WHERE sender = ?1 AND request_id = ?2 AND state = ?5",
				  "UPDATE handover SET state = ?4, completed = ?3, bootstrap = ''::bytea"
				  " WHERE sender = ?1 AND request_id = ?2 AND state = ?5" },
	[DRF_SQL_DEV_RELEASE] = { "UPDATE device SET ours = 0, counter = ?2 WHERE tre_id = ?1" },
	/* an IMSI removed before and ours again since (drf_device_add refuses one still pending) is queued anew */
	[DRF_SQL_REMOVAL_ADD] = { "INSERT INTO removal (imsi, tre_id, due, why, suspend_due) VALUES (?1, ?2, ?3, ?4, ?5)"
				  " ON CONFLICT (imsi) DO UPDATE SET tre_id = excluded.tre_id, due = excluded.due, done = NULL,"
				  " attempts = 0, error = NULL, why = excluded.why, suspend_due = excluded.suspend_due"
				  " WHERE removal.done IS NOT NULL" },
	[DRF_SQL_REMOVAL_DUE] = { "SELECT imsi, attempts FROM removal WHERE done IS NULL AND due <= ?1"
				  " ORDER BY due, imsi LIMIT 16" },
	[DRF_SQL_REMOVAL_DONE] = { "UPDATE removal SET done = ?2 WHERE imsi = ?1 AND " DRF_REMOVAL_STATE " = ?3" },
	[DRF_SQL_REMOVAL_RETRY] = { "UPDATE removal SET attempts = attempts + 1, due = ?2, error = ?3"
				    " WHERE imsi = ?1 AND " DRF_REMOVAL_STATE " = ?4" },
	[DRF_SQL_REMOVAL_STATE] = { "SELECT " DRF_REMOVAL_STATE " FROM removal WHERE imsi = ?1" },
	[DRF_SQL_REMOVAL_PENDING] = { "SELECT due <= ?1 FROM removal WHERE done IS NULL" },
	/* issue 20: the suspensions of fell-back subscriptions still to do, with their own retries */
	[DRF_SQL_SUSPEND_DUE] = { "SELECT imsi, attempts FROM removal WHERE done IS NULL AND suspend_due <= ?1"
				  " ORDER BY suspend_due, imsi LIMIT 16" },
	[DRF_SQL_SUSPEND_DONE] = { "UPDATE removal SET suspend_due = NULL, attempts = 0, error = NULL"
				   " WHERE imsi = ?1 AND suspend_due <= ?2 AND " DRF_REMOVAL_STATE " = ?3" },
	[DRF_SQL_SUSPEND_RETRY] = { "UPDATE removal SET attempts = attempts + 1, suspend_due = ?2, error = ?3"
				    " WHERE imsi = ?1 AND " DRF_REMOVAL_STATE " = ?4" },
	[DRF_SQL_SUSPEND_PENDING] = { "SELECT count(*) FROM removal WHERE done IS NULL AND suspend_due IS NOT NULL" },
	/* by the primary key: a lookup by the bootstrap's bytes read every handover the sender ever made */
	[DRF_SQL_PUSH_ONE] = { PUSH_ROWS " AND h.sender = ?1 AND h.request_id = ?2" },
	[DRF_SQL_PUSH_ALL] = { PUSH_ROWS " ORDER BY h.accepted" },
	/* issue 20: a device that left us comes back (drf_device_add) */
	[DRF_SQL_DEV_RETURN_GET] = { "SELECT ours, enc_cert, sign_cert, stay FROM device WHERE tre_id = ?1",
				     "SELECT ours, enc_cert, sign_cert, stay FROM device WHERE tre_id = ?1 FOR UPDATE" },
	[DRF_SQL_DEV_RETURN] = { "UPDATE device SET imsi = ?2, since = ?3, owner = ?4, sequence = max(sequence, ?5),"
				 " sign_cert = coalesce(sign_cert, ?6), counter = max(counter, ?7), lock_until = 0, ours = 1, stay = stay + 1"
				 " WHERE tre_id = ?1 AND ours = 0",
				 "UPDATE device SET imsi = ?2, since = ?3, owner = ?4, sequence = greatest(sequence, ?5),"
				 " sign_cert = coalesce(sign_cert, ?6), counter = greatest(counter, ?7), lock_until = 0, ours = 1, stay = stay + 1"
				 " WHERE tre_id = ?1 AND ours = 0" },
	[DRF_SQL_STAY_ADD] = { "INSERT INTO stay (tre_id, n, imsi, since, owner, sequence)"
			       " VALUES (?1, (SELECT stay FROM device WHERE tre_id = ?1), ?2, ?3, ?4, ?5)" },
	[DRF_SQL_STAY_LEAVE] = { "UPDATE stay SET left_at = ?2, left_to = ?3, left_request = ?4"
				 " WHERE tre_id = ?1 AND n = (SELECT stay FROM device WHERE tre_id = ?1) AND left_at IS NULL" },
	/* a code issued in an earlier stay carries no consent for this one */
	[DRF_SQL_CODES_VOID] = { "UPDATE transfer_code SET expires = ?2 WHERE tre_id = ?1 AND used_by IS NULL AND expires > ?2" },
	[DRF_SQL_REMOVAL_OF] = { "SELECT 1 FROM removal WHERE imsi = ?1 AND done IS NULL" },
	[DRF_SQL_STAYS_OF] = { "SELECT n, imsi, since, owner, sequence, left_at, coalesce(left_to, ''),"
			       " coalesce(left_request, '') FROM stay WHERE tre_id = ?1 ORDER BY n" },
	/* a resale names the new owner; a new code or a new owner revokes the device's unused codes */
	[DRF_SQL_DEV_OWNER] = { "UPDATE device SET owner = ?2 WHERE tre_id = ?1 AND owner != ?2" },
	/* the handover our own registration service sent for a device still ours (we are its RO and its SHO) */
	[DRF_SQL_SELF_HANDOVER] = { "SELECT h.request_id FROM handover h JOIN device v ON v.tre_id = h.tre_id"
				    " WHERE h.tre_id = ?1 AND h.sender = ?2 AND h.state = 'accepted' AND h.stay = v.stay"
				    " AND v.ours = 1",
				    "SELECT h.request_id FROM handover h JOIN device v ON v.tre_id = h.tre_id"
				    " WHERE h.tre_id = ?1 AND h.sender = ?2 AND h.state = 'accepted' AND h.stay = v.stay"
				    " AND v.ours = 1 FOR UPDATE" },
	[DRF_SQL_STAY_IMSI] = { "SELECT imsi FROM stay WHERE tre_id = ?1 AND n = ?2" },
	/* the operator's listing, a page after a TRE_id at a time (drf-admin device list) */
	[DRF_SQL_DEV_PAGE] = { "SELECT tre_id, imsi, since, owner, ours, lock_until, sequence, stay FROM device"
			       " WHERE tre_id > ?1 ORDER BY tre_id LIMIT ?2" },
	/* what a deletion must wait for: a handover of a device still ours (its push or its completion)
	 * and a removal not yet done (the subscription the HSS still holds) */
	[DRF_SQL_DEV_BUSY] = { "SELECT (SELECT count(*) FROM handover h JOIN device v ON v.tre_id = h.tre_id"
			       " WHERE h.tre_id = ?1 AND h.state = 'accepted' AND h.stay = v.stay AND v.ours = 1)"
			       " + (SELECT count(*) FROM removal WHERE tre_id = ?1 AND done IS NULL)" },
	[DRF_SQL_DEL_CODES] = { "DELETE FROM transfer_code WHERE tre_id = ?1" },
	[DRF_SQL_DEL_STAYS] = { "DELETE FROM stay WHERE tre_id = ?1" },
	[DRF_SQL_DEL_HANDOVERS] = { "DELETE FROM handover WHERE tre_id = ?1" },
	[DRF_SQL_DEL_REMOVALS] = { "DELETE FROM removal WHERE tre_id = ?1" },
	[DRF_SQL_DEL_DEVICE] = { "DELETE FROM device WHERE tre_id = ?1" },
	[DRF_SQL_CODES_REVOKE] = { "DELETE FROM transfer_code WHERE tre_id = ?1 AND used_by IS NULL" },
	/* the stays that ended after the cursor (left_at, tre_id, n), in that order (issue 16) */
	[DRF_SQL_DEPARTURES] = { "SELECT tre_id, n, left_at, coalesce(left_to, ''), coalesce(left_request, ''), imsi FROM stay"
				 " WHERE left_at IS NOT NULL AND (left_at, tre_id, n) > (?1, ?2, ?3)"
				 " ORDER BY left_at, tre_id, n LIMIT ?4" },
	/* issue 15: the peer operators, a page at a time, with how many handovers each sent (whether the
	 * register keeps one: an operator that sent any is not deleted, its certificate is changed) */
	[DRF_SQL_OP_PAGE] = { "SELECT o.sho_id, o.added, o.sign_cert, EXISTS (SELECT 1 FROM handover h WHERE h.sender = o.sho_id)"
			      " FROM operator o WHERE o.sho_id > ?1 ORDER BY o.sho_id LIMIT ?2" },
	[DRF_SQL_OP_SENT] = { "SELECT (SELECT count(*) FROM operator WHERE sho_id = ?1),"
			      " EXISTS (SELECT 1 FROM handover WHERE sender = ?1)" },
	[DRF_SQL_OP_CHANGE] = { "UPDATE operator SET sign_cert = ?2, added = ?3 WHERE sho_id = ?1" },
	[DRF_SQL_OP_DELETE] = { "DELETE FROM operator WHERE sho_id = ?1" },
	/* whose the IMSI is besides ?2: a device of ours that uses it now, or a removal queued for another device
	 * (review: a fallback removal named another device's IMSI) */
	[DRF_SQL_IMSI_OTHER] = { "SELECT tre_id FROM device WHERE imsi = ?1 AND tre_id <> ?2 AND ours = 1"
				 " UNION ALL SELECT tre_id FROM removal WHERE imsi = ?1 AND tre_id <> ?2 AND done IS NULL" },
};

static const struct om_store_schema schema = {
	.steps = migrations,
	.steps_pg = migrations_pg,
	.n_steps = sizeof(migrations) / sizeof(migrations[0]),
	.sql = sql,
	.n_sql = DRF_SQL_N,
};

const struct om_store_schema *drf_store_schema(void)
{
	return &schema;
}

int drf_store_open(struct drf *d, const char *conf, char *err, size_t err_len)
{
	return om_store_open_schema(conf, &schema, &d->db, d->stmt, err, err_len);
}

void drf_store_close(struct drf *d)
{
	om_store_close_schema(&d->db, d->stmt, DRF_SQL_N);
}
