/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's schema and statements on the storage interface, on SQLite or
 * PostgreSQL (svc/store.h, docs/store.md): every statement is prepared once
 * at open from the table below (hss/hss_store.c is the model) and run with
 * om_stmt_exec/om_stmt_query. Nothing in the SHO builds SQL.
 */
#include <stdio.h>

#include "sho_int.h"

/* Step 6's bulk moves (move.h) and the DRF departures' cursor, in a backend's blob and time types. */
#define MOVE_TABLES(BLOB, TIME)                                                                                \
	"CREATE TABLE sho_move ("                                                                              \
	" id TEXT PRIMARY KEY,"                                                                                \
	" owner_id TEXT NOT NULL,"                                                                             \
	" created " TIME " NOT NULL,"                                                                          \
	" finished " TIME " NOT NULL DEFAULT 0,"                                                               \
	" n INTEGER NOT NULL);"                                                                                \
	"CREATE TABLE sho_move_item ("                                                                         \
	" move_id TEXT NOT NULL REFERENCES sho_move(id) ON DELETE CASCADE,"                                    \
	" k INTEGER NOT NULL,"                                                                                 \
	" tre_id TEXT NOT NULL,"                                                                               \
	" proof " BLOB ","                                                                                     \
	" result TEXT NOT NULL DEFAULT 'queued',"                                                              \
	" rc INTEGER NOT NULL DEFAULT 0,"                                                                      \
	" request_id TEXT NOT NULL DEFAULT '',"                                                                \
	" reason TEXT NOT NULL DEFAULT '',"                                                                    \
	" PRIMARY KEY (move_id, k));"                                                                          \
	"CREATE TABLE sho_cursor ("                                                                            \
	" name TEXT PRIMARY KEY,"                                                                              \
	" value TEXT NOT NULL);"

/* docs/sho.md "Schema". Never edit a step: add one. */
static const struct om_store_migration migrations[] = {
	{ "CREATE TABLE sho_owner ("
	  " owner_id TEXT PRIMARY KEY,"
	  " kdf TEXT NOT NULL,"
	  " salt BLOB NOT NULL,"
	  " hash BLOB NOT NULL,"
	  " created INTEGER NOT NULL);"
	  "CREATE TABLE sho_imsi_next ("
	  " plmn TEXT PRIMARY KEY,"
	  " next_msin INTEGER NOT NULL);"
	  "CREATE TABLE sho_device ("
	  " tre_id TEXT PRIMARY KEY,"
	  " owner_id TEXT NOT NULL REFERENCES sho_owner(owner_id),"
	  " current_sho TEXT NOT NULL,"
	  " cert_sign BLOB NOT NULL,"
	  " cert_enc BLOB NOT NULL,"
	  " content_hash BLOB NOT NULL,"
	  " imsi TEXT NOT NULL UNIQUE,"
	  " mid BLOB NOT NULL,"
	  " sealed_mcim BLOB NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('registered','handover_requested','handover_accepted',"
	  "  'refused','provisioned','active')),"
	  " reason TEXT NOT NULL DEFAULT '',"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL);"
	  "CREATE INDEX sho_device_owner ON sho_device(owner_id, tre_id);"
	  "CREATE TABLE sho_handover ("
	  " tre_id TEXT PRIMARY KEY REFERENCES sho_device(tre_id) ON DELETE CASCADE,"
	  " request_id TEXT NOT NULL UNIQUE,"
	  " code_hash BLOB NOT NULL,"
	  " request BLOB NOT NULL,"
	  " dm_username TEXT NOT NULL,"
	  " dm_password TEXT NOT NULL,"
	  " nonce_a BLOB NOT NULL,"
	  " answer TEXT NOT NULL DEFAULT '',"
	  " created INTEGER NOT NULL);" },
	/* 2: the bootstrap sequence the current SHO's DRF gave the handover, so that our DRF
	 * numbers the device's next bootstrap above it (docs/drf.md "Bootstrapping again") */
	{ "ALTER TABLE sho_handover ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;" },
	/* 3: the generation of the owner claim that registered the device (claim.h); 0 for a row
	 * registered before claims: any genuine claim then takes it (docs/decisions.md) */
	{ "ALTER TABLE sho_device ADD COLUMN claim_gen INTEGER NOT NULL DEFAULT 0;" },
	/* 4 (issue 12): the DM password is no longer kept; the server's side of OMA DM authentication
	 * (auth-md5 and the HMAC) needs only B64(MD5(username ":" password)) (docs/dm.md "What the SHO
	 * keeps"). Rows that still hold one are rewritten at open (sho_dm_forget_passwords). */
	{ "ALTER TABLE sho_handover ADD COLUMN dm_digest TEXT;" },
	/* 5 (issue 16): each device's history for its owner (sho/fleet.c), in the order it happened
	 * (seq); the owner's column keeps one owner's history from another's after a resale */
	{ "CREATE TABLE sho_event ("
	  " seq INTEGER PRIMARY KEY,"
	  " tre_id TEXT NOT NULL,"
	  " owner_id TEXT NOT NULL,"
	  " at INTEGER NOT NULL,"
	  " event TEXT NOT NULL,"
	  " detail TEXT NOT NULL DEFAULT '');"
	  "CREATE INDEX sho_event_device ON sho_event(tre_id, seq);"
	  "CREATE INDEX sho_event_owner ON sho_event(owner_id, tre_id, seq);"
	  "CREATE INDEX sho_device_owner_state ON sho_device(owner_id, state, tre_id);" },
	/* 6 (issue 16): a device moved away is `released` here (docs/owner.md), with the model its delivery
	 * note gives (a filter); bulk moves are kept so a restart resumes them (sho/move.c: the item keeps
	 * the code's proof, never the code, and drops it once answered); the cursor of the DRF's departures.
	 * SQLite rebuilds sho_device for the new CHECK; sho_handover is rebuilt beside it, pointing at the
	 * new table, so dropping the old one cascades to nothing (the RENAME carries the reference over) */
	{ "CREATE TABLE sho_device_6 ("
	  " tre_id TEXT PRIMARY KEY,"
	  " owner_id TEXT NOT NULL REFERENCES sho_owner(owner_id),"
	  " current_sho TEXT NOT NULL,"
	  " cert_sign BLOB NOT NULL,"
	  " cert_enc BLOB NOT NULL,"
	  " content_hash BLOB NOT NULL,"
	  " imsi TEXT NOT NULL UNIQUE,"
	  " mid BLOB NOT NULL,"
	  " sealed_mcim BLOB NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('registered','handover_requested','handover_accepted',"
	  "  'refused','provisioned','active','released')),"
	  " reason TEXT NOT NULL DEFAULT '',"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL,"
	  " claim_gen INTEGER NOT NULL DEFAULT 0,"
	  " model TEXT NOT NULL DEFAULT '');"
	  "INSERT INTO sho_device_6 (tre_id, owner_id, current_sho, cert_sign, cert_enc, content_hash, imsi, mid,"
	  " sealed_mcim, state, reason, created, updated, claim_gen) SELECT tre_id, owner_id, current_sho, cert_sign,"
	  " cert_enc, content_hash, imsi, mid, sealed_mcim, state, reason, created, updated, claim_gen FROM sho_device;"
	  "CREATE TABLE sho_handover_6 ("
	  " tre_id TEXT PRIMARY KEY REFERENCES sho_device_6(tre_id) ON DELETE CASCADE,"
	  " request_id TEXT NOT NULL UNIQUE,"
	  " code_hash BLOB NOT NULL,"
	  " request BLOB NOT NULL,"
	  " dm_username TEXT NOT NULL,"
	  " dm_password TEXT NOT NULL,"
	  " nonce_a BLOB NOT NULL,"
	  " answer TEXT NOT NULL DEFAULT '',"
	  " created INTEGER NOT NULL,"
	  " sequence INTEGER NOT NULL DEFAULT 0,"
	  " dm_digest TEXT);"
	  "INSERT INTO sho_handover_6 (tre_id, request_id, code_hash, request, dm_username, dm_password, nonce_a,"
	  " answer, created, sequence, dm_digest) SELECT tre_id, request_id, code_hash, request, dm_username,"
	  " dm_password, nonce_a, answer, created, sequence, dm_digest FROM sho_handover;"
	  "DROP TABLE sho_handover;"
	  "DROP TABLE sho_device;"
	  "ALTER TABLE sho_device_6 RENAME TO sho_device;"
	  "ALTER TABLE sho_handover_6 RENAME TO sho_handover;"
	  "CREATE INDEX sho_device_owner ON sho_device(owner_id, tre_id);"
	  "CREATE INDEX sho_device_owner_state ON sho_device(owner_id, state, tre_id);"
	  "CREATE INDEX sho_device_owner_model ON sho_device(owner_id, model, tre_id);"
	  MOVE_TABLES("BLOB", "INTEGER") },
};

/* The same steps in PostgreSQL's types: BYTEA for BLOB, BIGINT for times, MSINs and sequences. */
static const struct om_store_migration migrations_pg[] = {
	{ "CREATE TABLE sho_owner ("
	  " owner_id TEXT PRIMARY KEY,"
	  " kdf TEXT NOT NULL,"
	  " salt BYTEA NOT NULL,"
	  " hash BYTEA NOT NULL,"
	  " created BIGINT NOT NULL);"
	  "CREATE TABLE sho_imsi_next ("
	  " plmn TEXT PRIMARY KEY,"
	  " next_msin BIGINT NOT NULL);"
	  "CREATE TABLE sho_device ("
	  " tre_id TEXT PRIMARY KEY,"
	  " owner_id TEXT NOT NULL REFERENCES sho_owner(owner_id),"
	  " current_sho TEXT NOT NULL,"
	  " cert_sign BYTEA NOT NULL,"
	  " cert_enc BYTEA NOT NULL,"
	  " content_hash BYTEA NOT NULL,"
	  " imsi TEXT NOT NULL UNIQUE,"
	  " mid BYTEA NOT NULL,"
	  " sealed_mcim BYTEA NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('registered','handover_requested','handover_accepted',"
	  "  'refused','provisioned','active')),"
	  " reason TEXT NOT NULL DEFAULT '',"
	  " created BIGINT NOT NULL,"
	  " updated BIGINT NOT NULL);"
	  "CREATE INDEX sho_device_owner ON sho_device(owner_id, tre_id);"
	  "CREATE TABLE sho_handover ("
	  " tre_id TEXT PRIMARY KEY REFERENCES sho_device(tre_id) ON DELETE CASCADE,"
	  " request_id TEXT NOT NULL UNIQUE,"
	  " code_hash BYTEA NOT NULL,"
	  " request BYTEA NOT NULL,"
	  " dm_username TEXT NOT NULL,"
	  " dm_password TEXT NOT NULL,"
	  " nonce_a BYTEA NOT NULL,"
	  " answer TEXT NOT NULL DEFAULT '',"
	  " created BIGINT NOT NULL);" },
	{ "ALTER TABLE sho_handover ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;" },
	{ "ALTER TABLE sho_device ADD COLUMN claim_gen INTEGER NOT NULL DEFAULT 0;" },
	{ "ALTER TABLE sho_handover ADD COLUMN dm_digest TEXT;" },
	{ "CREATE TABLE sho_event ("
	  " seq BIGSERIAL PRIMARY KEY,"
	  " tre_id TEXT NOT NULL,"
	  " owner_id TEXT NOT NULL,"
	  " at BIGINT NOT NULL,"
	  " event TEXT NOT NULL,"
	  " detail TEXT NOT NULL DEFAULT '');"
	  "CREATE INDEX sho_event_device ON sho_event(tre_id, seq);"
	  "CREATE INDEX sho_event_owner ON sho_event(owner_id, tre_id, seq);"
	  "CREATE INDEX sho_device_owner_state ON sho_device(owner_id, state, tre_id);" },
	{ "ALTER TABLE sho_device DROP CONSTRAINT sho_device_state_check;"
	  "ALTER TABLE sho_device ADD CONSTRAINT sho_device_state_check CHECK (state IN ('registered',"
	  " 'handover_requested','handover_accepted','refused','provisioned','active','released'));"
	  "ALTER TABLE sho_device ADD COLUMN model TEXT NOT NULL DEFAULT '';"
	  "CREATE INDEX sho_device_owner_model ON sho_device(owner_id, model, tre_id);"
	  MOVE_TABLES("BYTEA", "BIGINT") },
};

_Static_assert(sizeof(migrations) == sizeof(migrations_pg), "one schema step list per backend");

#define STATUS_SELECT                                                                                          \
	"SELECT d.tre_id, d.owner_id, d.current_sho, d.imsi, d.state, d.reason, COALESCE(h.request_id, ''),"   \
	" d.created, d.updated, COALESCE(h.sequence, 0), d.model"
#define STATUS_FROM " FROM sho_device d LEFT JOIN sho_handover h ON h.tre_id = d.tre_id"
#define STATUS_COLUMNS STATUS_SELECT STATUS_FROM

/* the CASTs give PostgreSQL the types of parameters that stand alone */
#define FLEET_WHERE                                                                                            \
	" WHERE d.owner_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR d.state = ?2)"                                 \
	" AND (CAST(?3 AS TEXT) IS NULL OR d.current_sho = ?3)"                                                 \
	" AND (CAST(?4 AS TEXT) IS NULL OR substr(d.tre_id, 1, length(CAST(?4 AS TEXT))) = ?4)"              \
	" AND (CAST(?5 AS INTEGER) = 0 OR d.state = 'refused' OR d.reason <> '')"                             \
	" AND (CAST(?6 AS TEXT) IS NULL OR d.tre_id > ?6)"                                                      \
	" AND (CAST(?7 AS TEXT) IS NULL OR d.model = ?7)"

static const struct om_store_sql sql[SHO_SQL_N] = {
	[SHO_SQL_OWNER_ADD] = { "INSERT INTO sho_owner (owner_id, kdf, salt, hash, created) VALUES (?1, ?2, ?3, ?4, ?5)" },
	[SHO_SQL_OWNER_GET] = { "SELECT kdf, salt, hash FROM sho_owner WHERE owner_id = ?1" },
	/* the next MSIN is read to be written in the same transaction: locked on PostgreSQL */
	[SHO_SQL_IMSI_NEXT_GET] = { "SELECT next_msin FROM sho_imsi_next WHERE plmn = ?1",
				    "SELECT next_msin FROM sho_imsi_next WHERE plmn = ?1 FOR UPDATE" },
	[SHO_SQL_IMSI_NEXT_SET] = { "INSERT INTO sho_imsi_next (plmn, next_msin) VALUES (?1, ?2)"
				    " ON CONFLICT (plmn) DO UPDATE SET next_msin = excluded.next_msin" },
	[SHO_SQL_STATUS] = { STATUS_COLUMNS " WHERE d.tre_id = ?1" },
	/* the CAST gives PostgreSQL the parameter's type where it stands alone */
	[SHO_SQL_LIST] = { STATUS_COLUMNS " WHERE (CAST(?1 AS TEXT) IS NULL OR d.owner_id = ?1) AND d.tre_id > ?2"
				       " ORDER BY d.tre_id LIMIT ?3" },
	[SHO_SQL_SEALED_MCIM] = { "SELECT sealed_mcim FROM sho_device WHERE tre_id = ?1" },
	[SHO_SQL_CERT_SIGN] = { "SELECT cert_sign FROM sho_device WHERE tre_id = ?1" },
	[SHO_SQL_CERT_ENC] = { "SELECT cert_enc FROM sho_device WHERE tre_id = ?1" },
	[SHO_SQL_DM_AUTH] = { "SELECT h.dm_username, h.dm_digest, h.nonce_a FROM sho_device d"
			      " LEFT JOIN sho_handover h ON h.tre_id = d.tre_id WHERE d.tre_id = ?1" },
	[SHO_SQL_DEV_CLASSIFY] = { "SELECT owner_id, content_hash, imsi, claim_gen, cert_sign, cert_enc, state, reason"
				   " FROM sho_device WHERE tre_id = ?1" },
	[SHO_SQL_DEV_ADD] = { "INSERT INTO sho_device (tre_id, owner_id, current_sho, cert_sign, cert_enc,"
			      " content_hash, imsi, mid, sealed_mcim, state, created, updated, claim_gen, model)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'registered', ?10, ?10, ?11, ?12)" },
	[SHO_SQL_DEV_MOVE] = { "UPDATE sho_device SET owner_id = ?2, claim_gen = ?3, updated = ?4"
			       " WHERE tre_id = ?1 AND owner_id = ?5 AND claim_gen = ?6 AND state <> 'handover_requested'" },
	[SHO_SQL_VIEW] = { "SELECT d.owner_id, d.state, d.cert_enc, h.request_id, h.code_hash, h.request"
			   " FROM sho_device d LEFT JOIN sho_handover h ON h.tre_id = d.tre_id WHERE d.tre_id = ?1" },
	[SHO_SQL_HO_DELETE] = { "DELETE FROM sho_handover WHERE tre_id = ?1" },
	[SHO_SQL_HO_ADD] = { "INSERT INTO sho_handover (tre_id, request_id, code_hash, request, dm_username,"
			     " dm_password, dm_digest, nonce_a, created) VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?7, ?8)" },
	[SHO_SQL_DEV_REQUESTED] = { "UPDATE sho_device SET state = 'handover_requested', reason = '', updated = ?2"
				    " WHERE tre_id = ?1" },
	[SHO_SQL_DEV_TRANSITION] = { "UPDATE sho_device SET state = ?2, reason = ?3, updated = ?4 WHERE tre_id = ?1"
				     " AND state = ?5" },
	[SHO_SQL_HO_SEQUENCE] = { "UPDATE sho_handover SET sequence = ?3 WHERE tre_id = ?1 AND request_id = ?2" },
	[SHO_SQL_HO_OLD_PASSWORDS] = { "SELECT tre_id, dm_username, dm_password FROM sho_handover WHERE dm_password != ''" },
	/* the owner's view (fleet.c): ?1 owner, ?2 state, ?3 current SHO, ?4 TRE_id prefix, ?5 refused only, ?6 after,
	 * ?7 model */
	[SHO_SQL_FLEET_PAGE] = { STATUS_COLUMNS FLEET_WHERE " ORDER BY d.tre_id LIMIT ?8" },
	[SHO_SQL_FLEET_COUNTS] = { "SELECT d.state, COUNT(*) FROM sho_device d" FLEET_WHERE " GROUP BY d.state" },
	[SHO_SQL_EVENT_ADD] = { "INSERT INTO sho_event (tre_id, owner_id, at, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)" },
	[SHO_SQL_HISTORY] = { "SELECT at, event, detail FROM sho_event WHERE tre_id = ?1 AND owner_id = ?2 ORDER BY seq" },
	/* the operator's last suspend or resume of the device (sho_activate): one row, not the history */
	[SHO_SQL_ADMIN_WORD] = { "SELECT event FROM sho_event WHERE tre_id = ?1 AND owner_id = ?2"
				 " AND event IN ('suspended', 'resumed') ORDER BY seq DESC LIMIT 1" },
	[SHO_SQL_OWNER_EVENTS] = { "SELECT tre_id, at, event FROM sho_event WHERE owner_id = ?1 ORDER BY tre_id, seq" },
	/* issue 20: a device that left us registered again, with a new subscription (register.c) */
	[SHO_SQL_DEV_RETURN] = { "UPDATE sho_device SET current_sho = ?2, content_hash = ?3, imsi = ?4, mid = ?5,"
				 " sealed_mcim = ?6, state = 'registered', reason = '', updated = ?7"
				 " WHERE tre_id = ?1 AND owner_id = ?8 AND state = ?9" }, /* ?9: one device_state.c lets return */
	[SHO_SQL_HO_FORGET_PASSWORD] = { "UPDATE sho_handover SET dm_digest = ?2, dm_password = '' WHERE tre_id = ?1" },
	/* the model of a row registered again (the note may give it now) */
	[SHO_SQL_DEV_MODEL] = { "UPDATE sho_device SET model = ?2 WHERE tre_id = ?1 AND ?2 <> ''" },
	/* issue 16: our DRF says the device left us (release.c): only a device we served with the subscription
	 * of the stay that ended (one registered again since has a new IMSI) */
	[SHO_SQL_DEV_RELEASE] = { "UPDATE sho_device SET state = ?5, current_sho = ?2, reason = '', updated = ?3"
				  " WHERE tre_id = ?1 AND state = ?6 AND imsi = ?4" }, /* ?5, ?6: device_state.c's release */
	[SHO_SQL_CURSOR_GET] = { "SELECT value FROM sho_cursor WHERE name = ?1" },
	[SHO_SQL_CURSOR_SET] = { "INSERT INTO sho_cursor (name, value) VALUES (?1, ?2)"
				 " ON CONFLICT (name) DO UPDATE SET value = excluded.value" },
	/* bulk moves (move_store.c) */
	[SHO_SQL_MOVE_ADD] = { "INSERT INTO sho_move (id, owner_id, created, n) VALUES (?1, ?2, ?3, ?4)" },
	[SHO_SQL_MOVE_ITEM_ADD] = { "INSERT INTO sho_move_item (move_id, k, tre_id, proof) VALUES (?1, ?2, ?3, ?4)" },
	[SHO_SQL_MOVE_ITEM_SET] = { "UPDATE sho_move_item SET result = ?3, rc = ?4, request_id = ?5, reason = ?6,"
				    " proof = NULL WHERE move_id = ?1 AND k = ?2 AND result = 'queued'" },
	[SHO_SQL_MOVE_FINISH] = { "UPDATE sho_move SET finished = ?2 WHERE id = ?1 AND finished = 0" },
	[SHO_SQL_MOVE_DELETE] = { "DELETE FROM sho_move WHERE id = ?1" },
	[SHO_SQL_MOVE_LIST] = { "SELECT id, owner_id, created, finished, n FROM sho_move ORDER BY created DESC, id LIMIT ?1" },
	[SHO_SQL_MOVE_ITEMS] = { "SELECT k, tre_id, proof, result, rc, request_id, reason FROM sho_move_item"
				 " WHERE move_id = ?1 ORDER BY k" },
	[SHO_SQL_MOVE_OLD] = { "DELETE FROM sho_move WHERE finished <> 0 AND id NOT IN"
			       " (SELECT id FROM sho_move ORDER BY created DESC, id LIMIT ?1)" },
	/* issue 15: the operator's listing of owners, and what an owner's deletion must wait for */
	[SHO_SQL_OWNER_PAGE] = { "SELECT o.owner_id, o.created, (SELECT count(*) FROM sho_device d WHERE d.owner_id = o.owner_id)"
				 " FROM sho_owner o WHERE o.owner_id > ?1 ORDER BY o.owner_id LIMIT ?2" },
	[SHO_SQL_OWNER_HOLDS] = { "SELECT (SELECT count(*) FROM sho_owner WHERE owner_id = ?1),"
				  " (SELECT count(*) FROM sho_device WHERE owner_id = ?1),"
				  " (SELECT count(*) FROM sho_move WHERE owner_id = ?1 AND finished = 0)" },
	[SHO_SQL_OWNER_SECRET] = { "UPDATE sho_owner SET kdf = ?2, salt = ?3, hash = ?4 WHERE owner_id = ?1" },
	[SHO_SQL_OWNER_DEL_MOVES] = { "DELETE FROM sho_move WHERE owner_id = ?1" },
	[SHO_SQL_OWNER_DEL_EVENTS] = { "DELETE FROM sho_event WHERE owner_id = ?1" },
	[SHO_SQL_OWNER_DELETE] = { "DELETE FROM sho_owner WHERE owner_id = ?1" },
	/* a device's row (its handover goes with it: ON DELETE CASCADE) and its history, for every owner */
	[SHO_SQL_DEV_DELETE] = { "DELETE FROM sho_device WHERE tre_id = ?1" },
	[SHO_SQL_DEV_DEL_EVENTS] = { "DELETE FROM sho_event WHERE tre_id = ?1" },
	/* sho_read_status's columns, then both certificates (sho_device_view) */
	[SHO_SQL_DEVICE] = { STATUS_SELECT ", d.cert_sign, d.cert_enc, h.nonce_a" STATUS_FROM " WHERE d.tre_id = ?1" },
};

static const struct om_store_schema schema = {
	.steps = migrations,
	.steps_pg = migrations_pg,
	.n_steps = sizeof(migrations) / sizeof(migrations[0]),
	.sql = sql,
	.n_sql = SHO_SQL_N,
};

const struct om_store_schema *sho_store_schema(void)
{
	return &schema;
}

int sho_store_open(struct sho *s, const char *conf, char *err, size_t err_len)
{
	return om_store_open_schema(conf, &schema, &s->store, s->stmt, err, err_len);
}

void sho_store_close(struct sho *s)
{
	om_store_close_schema(&s->store, s->stmt, SHO_SQL_N);
}
