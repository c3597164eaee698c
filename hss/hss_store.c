/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS schema and its records on the storage interface, on SQLite or
 * PostgreSQL (svc/store.h, docs/store.md). Every statement is prepared once
 * at open from the table below with numbered binds; where the dialects
 * differ the row carries PostgreSQL's own text. Nothing here builds SQL.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hss_store.h"

/*
 * Schema steps; the schema version is the number applied. Never edit a
 * step that has shipped: add the next one, to both tables.
 */
static const struct om_store_migration migrations[] = {
	{ "CREATE TABLE subscriber ("
	  " imsi TEXT PRIMARY KEY NOT NULL,"
	  " k BLOB NOT NULL CHECK (length(k) = 16),"
	  " opc BLOB NOT NULL CHECK (length(opc) = 16),"
	  " amf BLOB NOT NULL CHECK (length(amf) = 2),"
	  " algorithm TEXT NOT NULL DEFAULT 'milenage' CHECK (algorithm = 'milenage'),"
	  " ind_bits INTEGER NOT NULL DEFAULT 5 CHECK (ind_bits BETWEEN 0 AND 28),"
	  " sqn INTEGER NOT NULL DEFAULT 0,"
	  " seq_reserved INTEGER NOT NULL DEFAULT 0,"
	  " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),"
	  " roaming_any INTEGER NOT NULL DEFAULT 0 CHECK (roaming_any IN (0, 1)),"
	  " ambr_ul INTEGER NOT NULL,"
	  " ambr_dl INTEGER NOT NULL,"
	  " resync_count INTEGER NOT NULL DEFAULT 0,"
	  " resync_window_start INTEGER NOT NULL DEFAULT 0,"
	  " serving_host TEXT,"
	  " serving_plmn BLOB,"
	  " serving_since INTEGER);"
	  "CREATE TABLE apn ("
	  " imsi TEXT NOT NULL REFERENCES subscriber (imsi) ON DELETE CASCADE,"
	  " context_id INTEGER NOT NULL,"
	  " name TEXT NOT NULL,"
	  " PRIMARY KEY (imsi, context_id));"
	  "CREATE TABLE roaming ("
	  " imsi TEXT NOT NULL REFERENCES subscriber (imsi) ON DELETE CASCADE,"
	  " plmn BLOB NOT NULL CHECK (length(plmn) = 3),"
	  " PRIMARY KEY (imsi, plmn));"
	  "CREATE TABLE ind ("
	  " ind INTEGER PRIMARY KEY NOT NULL,"
	  " origin_host TEXT NOT NULL UNIQUE);" },
	/* 2: clone and rollback detection (docs/hss.md) */
	{ "ALTER TABLE subscriber ADD COLUMN previous_host TEXT;"
	  "ALTER TABLE subscriber ADD COLUMN previous_until INTEGER;"
	  "ALTER TABLE subscriber ADD COLUMN sqn_ahead_events INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE subscriber ADD COLUMN two_mme_events INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE subscriber ADD COLUMN last_event TEXT;"
	  "ALTER TABLE subscriber ADD COLUMN last_event_at INTEGER;" },
};

/*
 * The same steps in PostgreSQL's types: BYTEA for BLOB, BIGINT where a
 * value may pass 2^31 (SQN, the mark, AMBR, times).
 */
static const struct om_store_migration migrations_pg[] = {
	{ "CREATE TABLE subscriber ("
	  " imsi TEXT PRIMARY KEY NOT NULL,"
	  " k BYTEA NOT NULL CHECK (length(k) = 16),"
	  " opc BYTEA NOT NULL CHECK (length(opc) = 16),"
	  " amf BYTEA NOT NULL CHECK (length(amf) = 2),"
	  " algorithm TEXT NOT NULL DEFAULT 'milenage' CHECK (algorithm = 'milenage'),"
	  " ind_bits INTEGER NOT NULL DEFAULT 5 CHECK (ind_bits BETWEEN 0 AND 28),"
	  " sqn BIGINT NOT NULL DEFAULT 0,"
	  " seq_reserved BIGINT NOT NULL DEFAULT 0,"
	  " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),"
	  " roaming_any INTEGER NOT NULL DEFAULT 0 CHECK (roaming_any IN (0, 1)),"
	  " ambr_ul BIGINT NOT NULL,"
	  " ambr_dl BIGINT NOT NULL,"
	  " resync_count INTEGER NOT NULL DEFAULT 0,"
	  " resync_window_start BIGINT NOT NULL DEFAULT 0,"
	  " serving_host TEXT,"
	  " serving_plmn BYTEA,"
	  " serving_since BIGINT);"
	  "CREATE TABLE apn ("
	  " imsi TEXT NOT NULL REFERENCES subscriber (imsi) ON DELETE CASCADE,"
	  " context_id BIGINT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " PRIMARY KEY (imsi, context_id));"
	  "CREATE TABLE roaming ("
	  " imsi TEXT NOT NULL REFERENCES subscriber (imsi) ON DELETE CASCADE,"
	  " plmn BYTEA NOT NULL CHECK (length(plmn) = 3),"
	  " PRIMARY KEY (imsi, plmn));"
	  "CREATE TABLE ind ("
	  " ind INTEGER PRIMARY KEY NOT NULL,"
	  " origin_host TEXT NOT NULL UNIQUE);" },
	{ "ALTER TABLE subscriber ADD COLUMN previous_host TEXT;"
	  "ALTER TABLE subscriber ADD COLUMN previous_until BIGINT;"
	  "ALTER TABLE subscriber ADD COLUMN sqn_ahead_events INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE subscriber ADD COLUMN two_mme_events INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE subscriber ADD COLUMN last_event TEXT;"
	  "ALTER TABLE subscriber ADD COLUMN last_event_at BIGINT;" },
};

#define SUB_GET                                                                                          \
	"SELECT imsi, k, opc, amf, ind_bits, sqn, seq_reserved, status, roaming_any,"                     \
	" ambr_ul, ambr_dl, resync_count, resync_window_start, serving_host,"                             \
	" serving_plmn, serving_since, previous_host, previous_until, sqn_ahead_events,"                  \
	" two_mme_events, last_event, last_event_at FROM subscriber WHERE imsi = ?1"

static const struct om_store_sql sql[SQL_N] = {
	/*
	 * Every read-modify-write of a subscriber starts here. SQLite's BEGIN
	 * IMMEDIATE already holds the one write lock; PostgreSQL locks the
	 * row, so two front ends on one database take turns per subscriber
	 * (docs/sqn.md) and neither can write an SQN the other has not seen.
	 */
	[SQL_SUB_GET] = { SUB_GET, SUB_GET " FOR UPDATE" },
	[SQL_SUB_SET_SQN] = { "UPDATE subscriber SET sqn = ?2, seq_reserved = ?3, resync_count = ?4,"
		" resync_window_start = ?5 WHERE imsi = ?1" },
	[SQL_ROAM_ALLOWED] = { "SELECT 1 FROM roaming WHERE imsi = ?1 AND plmn = ?2" },
	[SQL_IND_GET] = { "SELECT ind FROM ind WHERE origin_host = ?1" },
	/* PostgreSQL: a front end that took the same number first wins; the loser retries (hss_store_ind) */
	[SQL_IND_ADD] = { "INSERT INTO ind (ind, origin_host) SELECT COALESCE(MAX(ind) + 1, 0), ?1 FROM ind",
			  "INSERT INTO ind (ind, origin_host) SELECT COALESCE(MAX(ind) + 1, 0), ?1 FROM ind"
			  " ON CONFLICT DO NOTHING" },
	[SQL_LOC_SET] = { "UPDATE subscriber SET serving_host = ?2, serving_plmn = ?3, serving_since = ?4,"
		" previous_host = ?5, previous_until = ?6 WHERE imsi = ?1" },
	[SQL_LOC_CLEAR] = { "UPDATE subscriber SET serving_host = NULL, serving_plmn = NULL, serving_since = NULL,"
		" previous_host = NULL, previous_until = NULL WHERE imsi = ?1 AND serving_host = ?2" },
	[SQL_APN_LIST] = { "SELECT context_id, name FROM apn WHERE imsi = ?1 ORDER BY context_id" },
	[SQL_SUB_ADD] = { "INSERT INTO subscriber (imsi, k, opc, amf, ind_bits, status, roaming_any,"
		" ambr_ul, ambr_dl, seq_reserved) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" },
	[SQL_APN_ADD] = { "INSERT INTO apn (imsi, context_id, name) VALUES (?1, ?2, ?3)" },
	[SQL_APN_CLEAR] = { "DELETE FROM apn WHERE imsi = ?1" },
	[SQL_ROAM_ADD] = { "INSERT INTO roaming (imsi, plmn) VALUES (?1, ?2)" },
	[SQL_ROAM_CLEAR] = { "DELETE FROM roaming WHERE imsi = ?1" },
	[SQL_ROAM_LIST] = { "SELECT plmn FROM roaming WHERE imsi = ?1 ORDER BY plmn" },
	[SQL_SUB_SET_STATUS] = { "UPDATE subscriber SET status = ?2 WHERE imsi = ?1" },
	[SQL_SUB_SET_AMBR] = { "UPDATE subscriber SET ambr_ul = ?2, ambr_dl = ?3 WHERE imsi = ?1" },
	[SQL_SUB_SET_ROAMING_ANY] = { "UPDATE subscriber SET roaming_any = ?2 WHERE imsi = ?1" },
	[SQL_SUB_DELETE] = { "DELETE FROM subscriber WHERE imsi = ?1" },
	[SQL_SUB_COUNT] = { "SELECT COUNT(*) FROM subscriber" },
	[SQL_PREV_CLEAR] = { "UPDATE subscriber SET previous_host = NULL, previous_until = NULL"
		" WHERE imsi = ?1 AND previous_host = ?2" },
	[SQL_SUB_SET_EVENTS] = { "UPDATE subscriber SET sqn_ahead_events = ?2, two_mme_events = ?3, last_event = ?4,"
		" last_event_at = ?5, previous_host = ?6, previous_until = ?7, status = ?8"
		" WHERE imsi = ?1" },
	[SQL_EVENTS_SUMMARY] = { "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'suspended' THEN 1 ELSE 0 END), 0),"
		" COALESCE(SUM(CASE WHEN sqn_ahead_events + two_mme_events > 0 THEN 1 ELSE 0 END), 0),"
		" COALESCE(SUM(sqn_ahead_events), 0), COALESCE(SUM(two_mme_events), 0) FROM subscriber" },
	[SQL_EVENTS_FLAGGED] = { "SELECT imsi, status, sqn_ahead_events, two_mme_events, last_event, last_event_at"
		" FROM subscriber WHERE sqn_ahead_events + two_mme_events > 0"
		" ORDER BY last_event_at DESC, imsi LIMIT ?1" },
	/* hss-admin list: by the primary key, a page at a time */
	[SQL_SUB_LIST] = { "SELECT imsi, status, sqn_ahead_events, two_mme_events, last_event, last_event_at"
		" FROM subscriber WHERE imsi > ?1 ORDER BY imsi LIMIT ?2" },
};

/*
 * Crash recovery (docs/hss.md): SQNs above the stored one may have left
 * before a crash, but none above the durable mark, so continue above it.
 */
static const char recover_sql[] =
	"UPDATE subscriber SET sqn = seq_reserved << ind_bits WHERE (sqn >> ind_bits) < seq_reserved";
/* Clean shutdown: the stored SQN is exact, so the mark comes down to it. */
static const char settle_sql[] =
	"UPDATE subscriber SET seq_reserved = sqn >> ind_bits WHERE seq_reserved > (sqn >> ind_bits)";

static const char *const status_name[] = { "active", "suspended" };

void hss_row_clear(struct hss_row *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
}

int hss_imsi_valid(const char *imsi)
{
	size_t n = imsi ? strlen(imsi) : 0;
	if (n < 6 || n > HSS_IMSI_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (imsi[i] < '0' || imsi[i] > '9')
			return 0;
	return 1;
}

int hss_plmn_parse(const char *d, uint8_t plmn[static 3])
{
	size_t n = d ? strlen(d) : 0;
	if (n != 5 && n != 6)
		return OM_EHSS_PROFILE;
	for (size_t i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return OM_EHSS_PROFILE;
	uint8_t v[6];
	for (size_t i = 0; i < n; i++)
		v[i] = (uint8_t)(d[i] - '0');
	/* TS 24.008 10.5.1.13; F as MNC digit 3 for a 2-digit MNC */
	plmn[0] = (uint8_t)(v[1] << 4 | v[0]);
	plmn[1] = (uint8_t)((n == 6 ? v[5] : 0xf) << 4 | v[2]);
	plmn[2] = (uint8_t)(v[4] << 4 | v[3]);
	return 0;
}

void hss_plmn_format(const uint8_t p[static 3], char out[static 8])
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	out[i++] = hex[p[0] & 0xf];
	out[i++] = hex[p[0] >> 4];
	out[i++] = hex[p[1] & 0xf];
	out[i++] = hex[p[2] & 0xf];
	out[i++] = hex[p[2] >> 4];
	if ((p[1] >> 4) != 0xf)
		out[i++] = hex[p[1] >> 4];
	out[i] = '\0';
}

int hss_result_from_err(int err)
{
	switch (err) {
	case OM_EHSS_NOT_FOUND:
		return HSS_USER_UNKNOWN;
	case OM_EHSS_IMSI:
	case OM_EINVAL:
		return HSS_INVALID;
	default:
		return HSS_ERROR;
	}
}

/* Reset st and pass rc through, so every path leaves the statement reusable. */
static int finish(struct om_stmt *st, int rc)
{
	om_stmt_reset(st);
	return rc;
}

/* Run a write statement whose binds are set; DONE is 0. */
static int run(struct om_stmt *st)
{
	int rc = om_stmt_step(st);
	return finish(st, rc == OM_STORE_DONE ? 0 : rc < 0 ? rc : OM_ESTORE);
}

_Static_assert(sizeof(migrations) == sizeof(migrations_pg), "one schema step list per backend");

int hss_store_open(struct hss *h, char *err, size_t err_len)
{
	char where[128];
	om_store_conf_redact(h->cfg.db_path, where, sizeof(where));
	int rc = om_store_open(h->cfg.db_path, &h->store, err, err_len);
	if (rc < 0)
		return rc;
	rc = om_store_migrate_for(h->store, migrations, migrations_pg, sizeof(migrations) / sizeof(migrations[0]));
	if (rc < 0) {
		snprintf(err, err_len, "%s: schema: %s (%s)", where, om_strerror(rc), om_store_errmsg(h->store));
		return rc;
	}
	char why[200];
	rc = om_stmt_prepare_table(h->store, sql, SQL_N, h->stmt, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, err_len, "%s: %s", where, why);
		return rc;
	}
	rc = om_store_begin(h->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = om_store_exec(h->store, recover_sql);
	if (rc == 0)
		rc = om_store_commit(h->store);
	if (rc < 0) {
		om_store_rollback(h->store);
		snprintf(err, err_len, "%s: SQN recovery: %s", where, om_store_errmsg(h->store));
	}
	return rc;
}

void hss_store_close(struct hss *h)
{
	if (!h->store)
		return;
	if (om_store_begin(h->store, OM_STORE_DURABLE) == 0) {
		if (om_store_exec(h->store, settle_sql) < 0 || om_store_commit(h->store) < 0)
			om_store_rollback(h->store);
	}
	om_stmt_finalize_table(h->stmt, SQL_N);
	om_store_close(h->store);
	h->store = NULL;
}

int hss_store_reopen(struct hss *h, char *err, size_t err_len)
{
	om_stmt_finalize_table(h->stmt, SQL_N);
	om_store_close(h->store); /* no settle: the mark must stay where the lost server left it */
	h->store = NULL;
	int rc = hss_store_open(h, err, err_len);
	if (rc < 0) {
		/* nothing half open: every call now fails at begin until a later AIR reopens */
		om_stmt_finalize_table(h->stmt, SQL_N);
		om_store_close(h->store);
		h->store = NULL;
	}
	return rc;
}

static void copy_blob(struct om_stmt *st, int col, uint8_t *out, size_t want)
{
	size_t len = 0;
	const void *b = om_stmt_col_blob(st, col, &len);
	memset(out, 0, want);
	if (b && len == want)
		memcpy(out, b, want);
}

int hss_store_get(struct hss *h, const char *imsi, struct hss_row *r)
{
	struct om_stmt *st = h->stmt[SQL_SUB_GET];
	int rc = om_stmt_bind_text(st, 1, imsi);
	if (rc < 0)
		return finish(st, rc);
	rc = om_stmt_step(st);
	if (rc == OM_STORE_DONE)
		return finish(st, OM_EHSS_NOT_FOUND);
	if (rc < 0)
		return finish(st, rc);
	memset(r, 0, sizeof(*r));
	snprintf(r->imsi, sizeof(r->imsi), "%s", om_stmt_col_text(st, 0));
	copy_blob(st, 1, r->k, sizeof(r->k));
	copy_blob(st, 2, r->opc, sizeof(r->opc));
	copy_blob(st, 3, r->amf, sizeof(r->amf));
	r->ind_bits = (unsigned)om_stmt_col_int64(st, 4);
	r->sqn = (uint64_t)om_stmt_col_int64(st, 5);
	r->seq_reserved = (uint64_t)om_stmt_col_int64(st, 6);
	r->status = strcmp(om_stmt_col_text(st, 7), "active") ? HSS_STATUS_SUSPENDED : HSS_STATUS_ACTIVE;
	r->roaming_any = om_stmt_col_int64(st, 8) != 0;
	r->ambr_ul = (uint64_t)om_stmt_col_int64(st, 9);
	r->ambr_dl = (uint64_t)om_stmt_col_int64(st, 10);
	r->resync_count = (unsigned)om_stmt_col_int64(st, 11);
	r->resync_window_start = om_stmt_col_int64(st, 12);
	snprintf(r->serving_host, sizeof(r->serving_host), "%s", om_stmt_col_text(st, 13));
	copy_blob(st, 14, r->serving_plmn, 3);
	r->serving_since = om_stmt_col_is_null(st, 15) ? 0 : om_stmt_col_int64(st, 15);
	snprintf(r->previous_host, sizeof(r->previous_host), "%s", om_stmt_col_text(st, 16));
	r->previous_until = om_stmt_col_is_null(st, 17) ? 0 : om_stmt_col_int64(st, 17);
	r->sqn_ahead_events = (unsigned)om_stmt_col_int64(st, 18);
	r->two_mme_events = (unsigned)om_stmt_col_int64(st, 19);
	snprintf(r->last_event, sizeof(r->last_event), "%s", om_stmt_col_text(st, 20));
	r->last_event_at = om_stmt_col_is_null(st, 21) ? 0 : om_stmt_col_int64(st, 21);
	return finish(st, 0);
}

int hss_store_roaming_allowed(struct hss *h, const struct hss_row *r, const uint8_t plmn[static 3])
{
	if (r->roaming_any)
		return 1;
	struct om_stmt *st = h->stmt[SQL_ROAM_ALLOWED];
	int rc = om_stmt_bind_text(st, 1, r->imsi);
	if (rc == 0)
		rc = om_stmt_bind_blob(st, 2, plmn, 3);
	if (rc == 0)
		rc = om_stmt_step(st);
	return finish(st, rc == OM_STORE_ROW ? 1 : rc);
}

static int ind_get(struct hss *h, const char *host, unsigned *ind)
{
	struct om_stmt *st = h->stmt[SQL_IND_GET];
	int rc = om_stmt_bind_text(st, 1, host);
	if (rc == 0)
		rc = om_stmt_step(st);
	if (rc == OM_STORE_ROW) {
		*ind = (unsigned)om_stmt_col_int64(st, 0);
		rc = 1;
	}
	return finish(st, rc);
}

int hss_store_ind(struct hss *h, const char *origin_host, unsigned *ind)
{
	int rc = ind_get(h, origin_host, ind);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	struct om_stmt *st = h->stmt[SQL_IND_ADD];
	rc = om_stmt_bind_text(st, 1, origin_host);
	if (rc == 0)
		rc = run(st);
	else
		finish(st, rc);
	if (rc < 0)
		return rc;
	rc = ind_get(h, origin_host, ind);
	/* not there: another front end took that number at the same moment; the transaction runs again */
	return rc == 1 ? 0 : rc < 0 ? rc : OM_ESTORE_BUSY;
}

int hss_store_set_sqn(struct hss *h, const struct hss_row *r)
{
	struct om_stmt *st = h->stmt[SQL_SUB_SET_SQN];
	int rc = om_stmt_bind_text(st, 1, r->imsi);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 2, (int64_t)r->sqn);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 3, (int64_t)r->seq_reserved);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 4, r->resync_count);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 5, r->resync_window_start);
	return rc == 0 ? run(st) : finish(st, rc);
}

/* Bind r's previous MME at n and n + 1 (NULLs when there is none). */
static int bind_previous(struct om_stmt *st, int n, const struct hss_row *r)
{
	if (!r->previous_host[0]) {
		int rc = om_stmt_bind_null(st, n);
		return rc == 0 ? om_stmt_bind_null(st, n + 1) : rc;
	}
	int rc = om_stmt_bind_text(st, n, r->previous_host);
	return rc == 0 ? om_stmt_bind_int64(st, n + 1, r->previous_until) : rc;
}

int hss_store_set_location(struct hss *h, const struct hss_row *r, const char *host, const uint8_t plmn[static 3],
			   int64_t now)
{
	struct om_stmt *st = h->stmt[SQL_LOC_SET];
	int rc = om_stmt_bind_text(st, 1, r->imsi);
	if (rc == 0)
		rc = om_stmt_bind_text(st, 2, host);
	if (rc == 0)
		rc = om_stmt_bind_blob(st, 3, plmn, 3);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 4, now);
	if (rc == 0)
		rc = bind_previous(st, 5, r);
	return rc == 0 ? run(st) : finish(st, rc);
}

int hss_store_clear_location(struct hss *h, const char *imsi, const char *host)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < 2; i++) {
		struct om_stmt *st = h->stmt[i ? SQL_PREV_CLEAR : SQL_LOC_CLEAR];
		rc = om_stmt_bind_text(st, 1, imsi);
		if (rc == 0)
			rc = om_stmt_bind_text(st, 2, host);
		rc = rc == 0 ? run(st) : finish(st, rc);
	}
	return rc;
}

int hss_store_set_events(struct hss *h, const struct hss_row *r)
{
	struct om_stmt *st = h->stmt[SQL_SUB_SET_EVENTS];
	int rc = om_stmt_bind_text(st, 1, r->imsi);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 2, r->sqn_ahead_events);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 3, r->two_mme_events);
	if (rc == 0)
		rc = r->last_event[0] ? om_stmt_bind_text(st, 4, r->last_event) : om_stmt_bind_null(st, 4);
	if (rc == 0)
		rc = r->last_event[0] ? om_stmt_bind_int64(st, 5, r->last_event_at) : om_stmt_bind_null(st, 5);
	if (rc == 0)
		rc = bind_previous(st, 6, r);
	if (rc == 0)
		rc = om_stmt_bind_text(st, 8, status_name[r->status ? 1 : 0]);
	return rc == 0 ? run(st) : finish(st, rc);
}

int hss_store_subscription(struct hss *h, const struct hss_row *r, struct hss_subscription *out)
{
	struct om_stmt *st = h->stmt[SQL_APN_LIST];
	memset(out, 0, sizeof(*out));
	snprintf(out->imsi, sizeof(out->imsi), "%s", r->imsi);
	out->ambr_ul = r->ambr_ul;
	out->ambr_dl = r->ambr_dl;
	int rc = om_stmt_bind_text(st, 1, r->imsi);
	while (rc >= 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW) {
		if (out->n_apns == HSS_MAX_APNS)
			break;
		struct hss_apn *a = &out->apns[out->n_apns++];
		a->context_id = (uint32_t)om_stmt_col_int64(st, 0);
		snprintf(a->name, sizeof(a->name), "%s", om_stmt_col_text(st, 1));
	}
	if (rc >= 0 && out->n_apns > 0)
		out->default_context_id = out->apns[0].context_id;
	return finish(st, rc < 0 ? rc : 0);
}

int hss_store_plmns(struct hss *h, const char *imsi, uint8_t plmns[][3], size_t max, size_t *n)
{
	struct om_stmt *st = h->stmt[SQL_ROAM_LIST];
	*n = 0;
	int rc = om_stmt_bind_text(st, 1, imsi);
	while (rc >= 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW && *n < max)
		copy_blob(st, 0, plmns[(*n)++], 3);
	return finish(st, rc < 0 ? rc : 0);
}

static int set_apns(struct hss *h, const char *imsi, const struct hss_profile *p)
{
	struct om_stmt *st = h->stmt[SQL_APN_CLEAR];
	int rc = om_stmt_bind_text(st, 1, imsi);
	rc = rc == 0 ? run(st) : finish(st, rc);
	st = h->stmt[SQL_APN_ADD];
	for (size_t i = 0; rc == 0 && i < p->n_apns; i++) {
		rc = om_stmt_bind_text(st, 1, imsi);
		if (rc == 0)
			rc = om_stmt_bind_int64(st, 2, p->apns[i].context_id);
		if (rc == 0)
			rc = om_stmt_bind_text(st, 3, p->apns[i].name);
		rc = rc == 0 ? run(st) : finish(st, rc);
	}
	return rc;
}

static int set_roaming(struct hss *h, const char *imsi, const struct hss_profile *p)
{
	struct om_stmt *st = h->stmt[SQL_SUB_SET_ROAMING_ANY];
	int rc = om_stmt_bind_text(st, 1, imsi);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 2, p->roaming_any);
	rc = rc == 0 ? run(st) : finish(st, rc);
	st = h->stmt[SQL_ROAM_CLEAR];
	if (rc == 0)
		rc = om_stmt_bind_text(st, 1, imsi);
	if (rc == 0)
		rc = run(st);
	st = h->stmt[SQL_ROAM_ADD];
	for (size_t i = 0; rc == 0 && i < p->n_plmns; i++) {
		rc = om_stmt_bind_text(st, 1, imsi);
		if (rc == 0)
			rc = om_stmt_bind_blob(st, 2, p->plmns[i], 3);
		rc = rc == 0 ? run(st) : finish(st, rc);
	}
	return rc;
}

int hss_store_add(struct hss *h, const char *imsi, const uint8_t k[static OM_K_LEN],
		  const uint8_t opc[static OM_OPC_LEN], const uint8_t amf[static OM_AMF_LEN], unsigned ind_bits,
		  const struct hss_profile *p)
{
	struct om_stmt *st = h->stmt[SQL_SUB_ADD];
	int rc = om_stmt_bind_text(st, 1, imsi);
	if (rc == 0)
		rc = om_stmt_bind_blob(st, 2, k, OM_K_LEN);
	if (rc == 0)
		rc = om_stmt_bind_blob(st, 3, opc, OM_OPC_LEN);
	if (rc == 0)
		rc = om_stmt_bind_blob(st, 4, amf, OM_AMF_LEN);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 5, ind_bits);
	if (rc == 0)
		rc = om_stmt_bind_text(st, 6, status_name[p->status ? 1 : 0]);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 7, p->roaming_any);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 8, (int64_t)p->ambr_ul);
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 9, (int64_t)p->ambr_dl);
	/* the mark is born reserved (sqn is 0): the first AIRs commit lazily (docs/hss.md "SQN") */
	if (rc == 0)
		rc = om_stmt_bind_int64(st, 10, (int64_t)h->cfg.sqn_reserve);
	rc = rc == 0 ? run(st) : finish(st, rc);
	if (rc == OM_ESTORE_CONSTRAINT)
		return OM_EHSS_EXISTS;
	if (rc == 0)
		rc = set_apns(h, imsi, p);
	if (rc == 0)
		rc = set_roaming(h, imsi, p);
	return rc;
}

int hss_store_reserve(struct hss *h, struct hss_row *r)
{
	uint64_t want = (r->sqn >> r->ind_bits) + h->cfg.sqn_reserve;
	if (want <= r->seq_reserved)
		return 0; /* the mark is only ever raised */
	r->seq_reserved = want;
	return hss_store_set_sqn(h, r);
}

int hss_store_change(struct hss *h, const char *imsi, const struct hss_profile *p)
{
	struct hss_row r;
	int rc = hss_store_get(h, imsi, &r);
	hss_row_clear(&r);
	if (rc < 0)
		return rc;
	if (p->has_status) {
		struct om_stmt *st = h->stmt[SQL_SUB_SET_STATUS];
		rc = om_stmt_bind_text(st, 1, imsi);
		if (rc == 0)
			rc = om_stmt_bind_text(st, 2, status_name[p->status ? 1 : 0]);
		rc = rc == 0 ? run(st) : finish(st, rc);
	}
	if (rc == 0 && p->has_ambr) {
		struct om_stmt *st = h->stmt[SQL_SUB_SET_AMBR];
		rc = om_stmt_bind_text(st, 1, imsi);
		if (rc == 0)
			rc = om_stmt_bind_int64(st, 2, (int64_t)p->ambr_ul);
		if (rc == 0)
			rc = om_stmt_bind_int64(st, 3, (int64_t)p->ambr_dl);
		rc = rc == 0 ? run(st) : finish(st, rc);
	}
	if (rc == 0 && p->has_apns)
		rc = set_apns(h, imsi, p);
	if (rc == 0 && p->has_roaming)
		rc = set_roaming(h, imsi, p);
	return rc;
}

int hss_store_delete(struct hss *h, const char *imsi)
{
	struct om_stmt *st = h->stmt[SQL_SUB_DELETE];
	int rc = om_stmt_bind_text(st, 1, imsi);
	rc = rc == 0 ? run(st) : finish(st, rc);
	if (rc == 0 && om_store_changes(h->store) == 0)
		rc = OM_EHSS_NOT_FOUND;
	return rc;
}

int hss_store_count(struct hss *h, int64_t *n)
{
	struct om_stmt *st = h->stmt[SQL_SUB_COUNT];
	int rc = om_stmt_step(st);
	if (rc == OM_STORE_ROW) {
		*n = om_stmt_col_int64(st, 0);
		rc = 0;
	}
	return finish(st, rc < 0 ? rc : 0);
}

int hss_store_events_summary(struct hss *h, struct hss_events_summary *out)
{
	struct om_stmt *st = h->stmt[SQL_EVENTS_SUMMARY];
	int rc = om_stmt_step(st);
	if (rc == OM_STORE_ROW) {
		out->subscribers = om_stmt_col_int64(st, 0);
		out->suspended = om_stmt_col_int64(st, 1);
		out->flagged = om_stmt_col_int64(st, 2);
		out->sqn_ahead = om_stmt_col_int64(st, 3);
		out->two_mme = om_stmt_col_int64(st, 4);
		rc = 0;
	}
	return finish(st, rc < 0 ? rc : 0);
}

/* One row of SQL_EVENTS_FLAGGED or SQL_SUB_LIST (the same columns) to fn. */
static int each_row(struct om_stmt *st, int rc, void (*fn)(void *ctx, const struct hss_row *r), void *ctx)
{
	struct hss_row r;
	while (rc >= 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW) {
		memset(&r, 0, sizeof(r));
		snprintf(r.imsi, sizeof(r.imsi), "%s", om_stmt_col_text(st, 0));
		r.status = strcmp(om_stmt_col_text(st, 1), "active") ? HSS_STATUS_SUSPENDED : HSS_STATUS_ACTIVE;
		r.sqn_ahead_events = (unsigned)om_stmt_col_int64(st, 2);
		r.two_mme_events = (unsigned)om_stmt_col_int64(st, 3);
		snprintf(r.last_event, sizeof(r.last_event), "%s", om_stmt_col_text(st, 4));
		r.last_event_at = om_stmt_col_int64(st, 5);
		fn(ctx, &r);
	}
	return finish(st, rc < 0 ? rc : 0);
}

int hss_store_flagged(struct hss *h, size_t max, void (*fn)(void *ctx, const struct hss_row *r), void *ctx)
{
	struct om_stmt *st = h->stmt[SQL_EVENTS_FLAGGED];
	return each_row(st, om_stmt_bind_int64(st, 1, (int64_t)max), fn, ctx);
}

int hss_store_list(struct hss *h, const char *after, size_t max, void (*fn)(void *ctx, const struct hss_row *r),
		   void *ctx)
{
	struct om_stmt *st = h->stmt[SQL_SUB_LIST];
	int rc = om_stmt_bind_text(st, 1, after);
	if (rc >= 0)
		rc = om_stmt_bind_int64(st, 2, (int64_t)max);
	return each_row(st, rc, fn, ctx);
}
