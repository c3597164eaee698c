/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's record on the storage interface, on SQLite or PostgreSQL
 * (svc/store.h, docs/store.md): the schema steps for both and every
 * statement, prepared once at dpf_open (hss/hss_store.c is the model) and
 * run with om_stmt_exec/om_stmt_query. Nothing in the DPF builds SQL.
 */
#include <stdio.h>

#include "dpf_int.h"

/* docs/dpf.md "Record". Never edit a step: add one. */
static const struct om_store_migration migrations[] = {
	{ "CREATE TABLE dpf_release ("
	  " nonce_b BLOB PRIMARY KEY,"
	  " tre_id TEXT NOT NULL,"
	  " nonce_a BLOB NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('released','installed','failed')),"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL);"
	  "CREATE INDEX dpf_release_tre ON dpf_release(tre_id, created);" },
	/* a release can be superseded (a fresh nonceB for an unreported release), carries the device's outcome,
	 * and the completion reports to the previous SHOs' DRFs wait in their own queue */
	{ "CREATE TABLE dpf_release_v2 ("
	  " nonce_b BLOB PRIMARY KEY,"
	  " tre_id TEXT NOT NULL,"
	  " nonce_a BLOB NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('released','installed','failed','superseded')),"
	  " outcome TEXT CHECK (outcome IN ('active','fallback')),"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL);"
	  "INSERT INTO dpf_release_v2 (nonce_b, tre_id, nonce_a, state, created, updated)"
	  " SELECT nonce_b, tre_id, nonce_a, state, created, updated FROM dpf_release ORDER BY rowid;"
	  "DROP TABLE dpf_release;"
	  "ALTER TABLE dpf_release_v2 RENAME TO dpf_release;"
	  "CREATE INDEX dpf_release_tre ON dpf_release(tre_id, created);"
	  "CREATE TABLE dpf_completion ("
	  " request_id TEXT PRIMARY KEY,"
	  " peer TEXT NOT NULL,"
	  " tre_id TEXT NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('pending','done','refused')),"
	  " attempts INTEGER NOT NULL,"
	  " due INTEGER NOT NULL,"
	  " answer TEXT NOT NULL,"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL);" },
	/* issue 12: the completion carries the TRE's signed outcome statement to the previous SHO's DRF, and the
	 * highest state counter each TRE has shown us is kept, so an older copy of a TRE is noticed */
	{ "ALTER TABLE dpf_completion ADD COLUMN statement BLOB;"
	  "CREATE TABLE dpf_tre_counter ("
	  " tre_id TEXT PRIMARY KEY,"
	  " counter INTEGER NOT NULL CHECK (counter >= 0),"
	  " updated INTEGER NOT NULL);" },
	/* 4 (issue 14): the sender's next pending completion, the resume at start and the counts go by state,
	 * in due order, so their cost does not grow with every completion ever reported */
	{ "CREATE INDEX dpf_completion_state ON dpf_completion(state, due, created);" },
};

/*
 * The same steps on PostgreSQL: BYTEA and BIGINT; step 2 changes the table
 * in place (SQLite cannot alter a CHECK, so it rebuilds); `seq` stands in
 * for SQLite's rowid, which orders two releases made in the same second.
 */
static const struct om_store_migration migrations_pg[] = {
	{ "CREATE TABLE dpf_release ("
	  " nonce_b BYTEA PRIMARY KEY,"
	  " tre_id TEXT NOT NULL,"
	  " nonce_a BYTEA NOT NULL,"
	  " state TEXT NOT NULL CONSTRAINT dpf_release_state_check CHECK (state IN ('released','installed','failed')),"
	  " created BIGINT NOT NULL,"
	  " updated BIGINT NOT NULL,"
	  " seq BIGINT GENERATED ALWAYS AS IDENTITY);"
	  "CREATE INDEX dpf_release_tre ON dpf_release(tre_id, created);" },
	{ "ALTER TABLE dpf_release DROP CONSTRAINT dpf_release_state_check;"
	  "ALTER TABLE dpf_release ADD CONSTRAINT dpf_release_state_check"
	  " CHECK (state IN ('released','installed','failed','superseded'));"
	  "ALTER TABLE dpf_release ADD COLUMN outcome TEXT CHECK (outcome IN ('active','fallback'));"
	  "CREATE TABLE dpf_completion ("
	  " request_id TEXT PRIMARY KEY,"
	  " peer TEXT NOT NULL,"
	  " tre_id TEXT NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('pending','done','refused')),"
	  " attempts INTEGER NOT NULL,"
	  " due BIGINT NOT NULL,"
	  " answer TEXT NOT NULL,"
	  " created BIGINT NOT NULL,"
	  " updated BIGINT NOT NULL);" },
	{ "ALTER TABLE dpf_completion ADD COLUMN statement BYTEA;"
	  "CREATE TABLE dpf_tre_counter ("
	  " tre_id TEXT PRIMARY KEY,"
	  " counter BIGINT NOT NULL CHECK (counter >= 0),"
	  " updated BIGINT NOT NULL);" },
	{ "CREATE INDEX dpf_completion_state ON dpf_completion(state, due, created);" },
};

_Static_assert(sizeof(migrations) == sizeof(migrations_pg), "one schema step list per backend");

#define RELEASE_LAST                                                                                     \
	"SELECT nonce_b, state, coalesce(outcome, ''), created FROM dpf_release WHERE tre_id = ?1"

static const struct om_store_sql sql[DPF_SQL_N] = {
	[DPF_SQL_COUNTER_GET] = { "SELECT counter FROM dpf_tre_counter WHERE tre_id = ?1" },
	/* never lowers it; the column is named with its table, as PostgreSQL needs beside excluded */
	[DPF_SQL_COUNTER_RAISE] = { "INSERT INTO dpf_tre_counter (tre_id, counter, updated) VALUES (?1, ?2, ?3)"
				    " ON CONFLICT (tre_id) DO UPDATE SET counter = excluded.counter, updated = excluded.updated"
				    " WHERE excluded.counter > dpf_tre_counter.counter" },
	[DPF_SQL_NONCE_B_COUNT] = { "SELECT count(*) FROM dpf_release WHERE nonce_b = ?1" },
	[DPF_SQL_RELEASE_COUNT] = { "SELECT count(*) FROM dpf_release WHERE tre_id = ?1 AND nonce_a = ?2 AND state = ?3" },
	/* the moves of dpf_state.h: ?to, written only while the row is in ?from */
	[DPF_SQL_RELEASE_SUPERSEDE] = { "UPDATE dpf_release SET state = ?4, updated = ?3"
					" WHERE tre_id = ?1 AND nonce_a = ?2 AND state = ?5" },
	[DPF_SQL_RELEASE_ADD] = { "INSERT INTO dpf_release (nonce_b, tre_id, nonce_a, state, created, updated)"
				  " VALUES (?1, ?2, ?3, 'released', ?4, ?4)" },
	[DPF_SQL_RELEASE_LAST] = { RELEASE_LAST " ORDER BY created DESC, rowid DESC LIMIT 1",
				   RELEASE_LAST " ORDER BY created DESC, seq DESC LIMIT 1" },
	[DPF_SQL_RELEASE_STATE] = { "UPDATE dpf_release SET state = ?1, updated = ?2 WHERE nonce_b = ?3 AND state = ?4" },
	[DPF_SQL_RELEASE_OUTCOME] = { "UPDATE dpf_release SET outcome = ?1, updated = ?2 WHERE nonce_b = ?3"
				      " AND outcome IS NOT ?1",
				      "UPDATE dpf_release SET outcome = ?1, updated = ?2 WHERE nonce_b = ?3"
				      " AND outcome IS DISTINCT FROM ?1" },
	[DPF_SQL_COMPLETION_ADD] = { "INSERT INTO dpf_completion"
				     " (request_id, peer, tre_id, state, attempts, due, answer, created, updated, statement)"
				     " VALUES (?1, ?2, ?3, 'pending', 0, ?4, '', ?4, ?4, ?5) ON CONFLICT DO NOTHING" },
	[DPF_SQL_COMPLETION_NEXT] = { "SELECT request_id, peer, tre_id, attempts, due, statement FROM dpf_completion"
				      " WHERE state = 'pending' ORDER BY due, created LIMIT 1" },
	/* a report the DRF took keeps its facts and answer; the statement it carried is finished work (issue 14) */
	[DPF_SQL_COMPLETION_ANSWERED] = { "UPDATE dpf_completion SET state = ?4, answer = ?1, updated = ?3,"
					  " statement = CASE WHEN ?4 = 'done' THEN NULL ELSE statement END"
					  " WHERE request_id = ?2 AND state = ?5" },
	[DPF_SQL_COMPLETION_STATE] = { "SELECT state FROM dpf_completion WHERE request_id = ?1" },
	[DPF_SQL_COMPLETION_ATTEMPTS] = { "SELECT attempts FROM dpf_completion WHERE request_id = ?1" },
	[DPF_SQL_COMPLETION_RETRY] = { "UPDATE dpf_completion SET attempts = attempts + 1, answer = ?1, due = ?3,"
				       " updated = ?4, state = ?5 WHERE request_id = ?2 AND state = ?6" },
	[DPF_SQL_COMPLETION_RESUME] = { "UPDATE dpf_completion SET state = ?2, due = ?1 WHERE state = ?3" },
	[DPF_SQL_COMPLETION_COUNT] = { "SELECT count(*) FROM dpf_completion WHERE state = ?1" },
	/* the status socket (dpf/status.c): one device's releases by state, and the installed ones in TRE_id order */
	[DPF_SQL_RELEASES_IN] = { "SELECT count(*) FROM dpf_release WHERE tre_id = ?1 AND state = ?2" },
	[DPF_SQL_INSTALLED_PAGE] = { "SELECT tre_id, count(*) FROM dpf_release WHERE state = 'installed' AND tre_id > ?1"
				     " GROUP BY tre_id ORDER BY tre_id LIMIT ?2" },
};

static const struct om_store_schema schema = {
	.steps = migrations,
	.steps_pg = migrations_pg,
	.n_steps = sizeof(migrations) / sizeof(migrations[0]),
	.sql = sql,
	.n_sql = DPF_SQL_N,
};

const struct om_store_schema *dpf_store_schema(void)
{
	return &schema;
}

int dpf_store_open(struct dpf *d, const char *conf, char *err, size_t err_len)
{
	return om_store_open_schema(conf, &schema, &d->store, d->stmt, err, err_len);
}

void dpf_store_close(struct dpf *d)
{
	om_store_close_schema(&d->store, d->stmt, DPF_SQL_N);
}
