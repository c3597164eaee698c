/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's schema and records on the storage interface, on SQLite or
 * PostgreSQL (svc/store.h, docs/store.md). Every statement is prepared once
 * at open from the table below (hss/hss_store.c is the model); every value
 * is a bind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pva_store.h"

/* Schema steps; never edit one that has shipped: add the next, to both tables. */
static const struct om_store_migration migrations[] = {
	{ "CREATE TABLE tre ("
	  " tre_id TEXT PRIMARY KEY,"
	  " model TEXT NOT NULL,"
	  " firmware TEXT NOT NULL,"
	  " sign_cert BLOB NOT NULL,"
	  " enc_cert BLOB NOT NULL,"
	  " sign_serial TEXT NOT NULL,"
	  " enc_serial TEXT NOT NULL,"
	  " revoked_at INTEGER,"
	  " reason INTEGER);"
	  "CREATE TABLE cert ("
	  " serial TEXT PRIMARY KEY,"
	  " tre_id TEXT NOT NULL REFERENCES tre(tre_id) ON DELETE CASCADE);"
	  "CREATE TABLE reference ("
	  " model TEXT NOT NULL,"
	  " firmware TEXT NOT NULL,"
	  " component TEXT NOT NULL,"
	  " sha256 BLOB NOT NULL CHECK (length(sha256) = 32),"
	  " PRIMARY KEY (model, firmware, component));" },
	/* issue 18: a TPM device's attestation key certificate, reference PCR values per model and firmware */
	{ "ALTER TABLE tre ADD COLUMN ak_cert BLOB;"
	  "CREATE TABLE reference_pcr ("
	  " model TEXT NOT NULL,"
	  " firmware TEXT NOT NULL,"
	  " pcr INTEGER NOT NULL CHECK (pcr BETWEEN 0 AND 23),"
	  " sha256 BLOB NOT NULL CHECK (length(sha256) = 32),"
	  " PRIMARY KEY (model, firmware, pcr));" },
};

/* The same step in PostgreSQL's types: BYTEA for BLOB, BIGINT for a time. */
static const struct om_store_migration migrations_pg[] = {
	{ "CREATE TABLE tre ("
	  " tre_id TEXT PRIMARY KEY,"
	  " model TEXT NOT NULL,"
	  " firmware TEXT NOT NULL,"
	  " sign_cert BYTEA NOT NULL,"
	  " enc_cert BYTEA NOT NULL,"
	  " sign_serial TEXT NOT NULL,"
	  " enc_serial TEXT NOT NULL,"
	  " revoked_at BIGINT,"
	  " reason INTEGER);"
	  "CREATE TABLE cert ("
	  " serial TEXT PRIMARY KEY,"
	  " tre_id TEXT NOT NULL REFERENCES tre(tre_id) ON DELETE CASCADE);"
	  "CREATE TABLE reference ("
	  " model TEXT NOT NULL,"
	  " firmware TEXT NOT NULL,"
	  " component TEXT NOT NULL,"
	  " sha256 BYTEA NOT NULL CHECK (length(sha256) = 32),"
	  " PRIMARY KEY (model, firmware, component));" },
	{ "ALTER TABLE tre ADD COLUMN ak_cert BYTEA;"
	  "CREATE TABLE reference_pcr ("
	  " model TEXT NOT NULL,"
	  " firmware TEXT NOT NULL,"
	  " pcr INTEGER NOT NULL CHECK (pcr BETWEEN 0 AND 23),"
	  " sha256 BYTEA NOT NULL CHECK (length(sha256) = 32),"
	  " PRIMARY KEY (model, firmware, pcr));" },
};

_Static_assert(sizeof(migrations) == sizeof(migrations_pg), "one schema step list per backend");

static const struct om_store_sql sql[PVA_SQL_N] = {
	[PVA_SQL_TRE_ADD] = { "INSERT INTO tre (tre_id, model, firmware, sign_cert, enc_cert, sign_serial, enc_serial)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
	[PVA_SQL_CERT_ADD] = { "INSERT INTO cert (serial, tre_id) VALUES (?1, ?2)" },
	[PVA_SQL_TRE_GET] = { "SELECT model, firmware, sign_cert, sign_serial, enc_serial, revoked_at, reason, ak_cert"
			      " FROM tre WHERE tre_id = ?1" },
	/* once: a TRE's AK is the one its factory certified */
	[PVA_SQL_TRE_SET_AK] = { "UPDATE tre SET ak_cert = ?2 WHERE tre_id = ?1 AND ak_cert IS NULL" },
	[PVA_SQL_PCR_ADD] = { "INSERT INTO reference_pcr (model, firmware, pcr, sha256) VALUES (?1, ?2, ?3, ?4)"
			      " ON CONFLICT DO NOTHING" },
	[PVA_SQL_PCR_GET] = { "SELECT sha256 FROM reference_pcr WHERE model = ?1 AND firmware = ?2 AND pcr = ?3" },
	[PVA_SQL_PCR_LIST] = { "SELECT pcr, sha256 FROM reference_pcr WHERE model = ?1 AND firmware = ?2 ORDER BY pcr" },
	[PVA_SQL_SERIAL_STATUS] = { "SELECT t.revoked_at, t.reason FROM cert c JOIN tre t ON t.tre_id = c.tre_id"
				    " WHERE c.serial = ?1" },
	/* revoked once: the condition is in the UPDATE, so two revocations at once cannot both win */
	[PVA_SQL_TRE_REVOKE] = { "UPDATE tre SET revoked_at = ?2, reason = ?3 WHERE tre_id = ?1 AND revoked_at IS NULL" },
	[PVA_SQL_TRE_EXISTS] = { "SELECT 1 FROM tre WHERE tre_id = ?1" },
	/* an existing row is kept (and compared below), not an error that would abort a PostgreSQL transaction */
	[PVA_SQL_REF_ADD] = { "INSERT INTO reference (model, firmware, component, sha256) VALUES (?1, ?2, ?3, ?4)"
			      " ON CONFLICT DO NOTHING" },
	[PVA_SQL_REF_GET] = { "SELECT sha256 FROM reference WHERE model = ?1 AND firmware = ?2 AND component = ?3" },
	[PVA_SQL_REF_LIST] = { "SELECT component, sha256 FROM reference WHERE model = ?1 AND firmware = ?2"
			       " ORDER BY component" },
	/* the operator's listings, a page after a key at a time (issue 15) */
	[PVA_SQL_REVOKED_PAGE] = { "SELECT tre_id, revoked_at, reason, sign_serial, enc_serial FROM tre"
				   " WHERE revoked_at IS NOT NULL AND tre_id > ?1 ORDER BY tre_id LIMIT ?2" },
	[PVA_SQL_REF_PAGE] = { "SELECT model, firmware, component, sha256 FROM reference"
			       " WHERE (model, firmware, component) > (?1, ?2, ?3) ORDER BY model, firmware, component LIMIT ?4" },
};

int pva_store_migrate(struct om_store *s)
{
	return om_store_migrate_for(s, migrations, migrations_pg, sizeof(migrations) / sizeof(migrations[0]));
}

int pva_store_prepare(struct pva *p, char *err, size_t err_len)
{
	return om_stmt_prepare_table(p->store, sql, PVA_SQL_N, p->stmt, err, err_len);
}

void pva_store_finalize(struct pva *p)
{
	om_stmt_finalize_table(p->stmt, PVA_SQL_N);
}

int pva_store_add_tre(struct pva *p, const char *tre_id, const char *model, const char *firmware,
		      const uint8_t *sign_der, size_t sign_len, const uint8_t *enc_der, size_t enc_len,
		      const char *sign_serial, const char *enc_serial)
{
	int rc = om_stmt_exec(p->stmt[PVA_SQL_TRE_ADD],
			      OM_BIND(OM_TEXT(tre_id), OM_TEXT(model), OM_TEXT(firmware), OM_BLOB(sign_der, sign_len),
				      OM_BLOB(enc_der, enc_len), OM_TEXT(sign_serial), OM_TEXT(enc_serial)));
	if (rc == 0)
		rc = om_stmt_exec(p->stmt[PVA_SQL_CERT_ADD], OM_BIND(OM_TEXT(sign_serial), OM_TEXT(tre_id)));
	if (rc == 0)
		rc = om_stmt_exec(p->stmt[PVA_SQL_CERT_ADD], OM_BIND(OM_TEXT(enc_serial), OM_TEXT(tre_id)));
	return rc == OM_ESTORE_CONSTRAINT ? OM_EPVA_EXISTS : rc;
}

void pva_tre_clear(struct pva_tre *t)
{
	free(t->sign_der);
	free(t->ak_der);
	memset(t, 0, sizeof(*t));
}

int pva_store_get_tre(struct pva *p, const char *tre_id, struct pva_tre *out)
{
	struct om_stmt *st = p->stmt[PVA_SQL_TRE_GET];
	memset(out, 0, sizeof(*out));
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_DONE)
		return OM_EPVA_NOT_FOUND;
	if (rc < 0)
		return rc;
	size_t n;
	const void *der = om_stmt_col_blob(st, 2, &n);
	snprintf(out->tre_id, sizeof(out->tre_id), "%s", tre_id);
	snprintf(out->model, sizeof(out->model), "%s", om_stmt_col_text(st, 0));
	snprintf(out->firmware, sizeof(out->firmware), "%s", om_stmt_col_text(st, 1));
	snprintf(out->sign_serial, sizeof(out->sign_serial), "%s", om_stmt_col_text(st, 3));
	snprintf(out->enc_serial, sizeof(out->enc_serial), "%s", om_stmt_col_text(st, 4));
	out->revoked = !om_stmt_col_is_null(st, 5);
	out->revoked_at = om_stmt_col_int64(st, 5);
	out->reason = (int)om_stmt_col_int64(st, 6);
	rc = 0;
	if (!(out->sign_der = malloc(n ? n : 1)))
		rc = OM_ENOMEM;
	else
		memcpy(out->sign_der, der, n), out->sign_len = n;
	if (!rc && !om_stmt_col_is_null(st, 7)) {
		const void *ak = om_stmt_col_blob(st, 7, &n);
		if (!(out->ak_der = malloc(n ? n : 1)))
			rc = OM_ENOMEM;
		else
			memcpy(out->ak_der, ak, n), out->ak_len = n;
	}
	om_stmt_reset(st);
	if (rc)
		pva_tre_clear(out);
	return rc;
}

int pva_store_serial_status(struct pva *p, const char *serial_hex, int *revoked, int64_t *at, int *reason)
{
	struct om_stmt *st = p->stmt[PVA_SQL_SERIAL_STATUS];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(serial_hex)));
	if (rc == OM_STORE_DONE)
		return OM_EPVA_NOT_FOUND;
	if (rc < 0)
		return rc;
	*revoked = !om_stmt_col_is_null(st, 0);
	*at = om_stmt_col_int64(st, 0);
	*reason = (int)om_stmt_col_int64(st, 1);
	om_stmt_reset(st);
	return 0;
}

/* A conditional UPDATE of tre_id changed nothing: why. OM_EPVA_NOT_FOUND, or code when the TRE is there. */
static int unchanged(struct pva *p, const char *tre_id, int code)
{
	struct om_stmt *st = p->stmt[PVA_SQL_TRE_EXISTS];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW) {
		om_stmt_reset(st);
		return code;
	}
	return rc == OM_STORE_DONE ? OM_EPVA_NOT_FOUND : rc;
}

int pva_store_revoke(struct pva *p, const char *tre_id, int reason, int64_t at)
{
	int rc = om_stmt_exec(p->stmt[PVA_SQL_TRE_REVOKE], OM_BIND(OM_TEXT(tre_id), OM_INT(at), OM_INT(reason)));
	if (rc < 0 || om_store_changes(p->store) == 1)
		return rc;
	/* nothing changed: no such TRE, or revoked before */
	return unchanged(p, tre_id, OM_EPVA_REVOKED);
}

/* After an insert that kept an existing row: st queried for it (rc), is its value sha256? 0 or OM_EPVA_REFERENCE. */
static int stored_is(struct om_stmt *st, int rc, const uint8_t sha256[static 32])
{
	if (rc == OM_STORE_DONE)
		return OM_ESTORE;
	if (rc < 0)
		return rc;
	size_t n;
	const void *v = om_stmt_col_blob(st, 0, &n);
	rc = n == 32 && !memcmp(v, sha256, 32) ? 0 : OM_EPVA_REFERENCE;
	om_stmt_reset(st);
	return rc;
}

int pva_store_add_reference(struct pva *p, const char *model, const char *firmware, const char *component,
			    const uint8_t sha256[static 32])
{
	int rc = om_stmt_exec(p->stmt[PVA_SQL_REF_ADD],
			      OM_BIND(OM_TEXT(model), OM_TEXT(firmware), OM_TEXT(component), OM_BLOB(sha256, 32)));
	if (rc < 0 || om_store_changes(p->store) == 1)
		return rc;
	/* one was there: the same value is a repeat (0), another a conflict */
	struct om_stmt *st = p->stmt[PVA_SQL_REF_GET];
	return stored_is(st, om_stmt_query(st, OM_BIND(OM_TEXT(model), OM_TEXT(firmware), OM_TEXT(component))), sha256);
}

int pva_store_references(struct pva *p, const char *model, const char *firmware, struct om_measurement *out,
			 size_t cap, size_t *n)
{
	struct om_stmt *st = p->stmt[PVA_SQL_REF_LIST];
	*n = 0;
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(model), OM_TEXT(firmware)));
	for (; rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		size_t len;
		const void *v = om_stmt_col_blob(st, 1, &len);
		if (*n == cap || len != 32) {
			rc = OM_EPVA_REFERENCE;
			break;
		}
		snprintf(out[*n].name, sizeof(out[0].name), "%s", om_stmt_col_text(st, 0));
		memcpy(out[*n].sha256, v, 32);
		(*n)++;
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

int pva_store_revocations(struct pva *p, const char *after, unsigned limit,
			  void (*fn)(void *ctx, const struct pva_tre *t), void *ctx)
{
	struct om_stmt *st = p->stmt[PVA_SQL_REVOKED_PAGE];
	int rc, n = 0;
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(after), OM_INT(limit))); rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		struct pva_tre t;
		memset(&t, 0, sizeof(t));
		snprintf(t.tre_id, sizeof(t.tre_id), "%s", om_stmt_col_text(st, 0));
		t.revoked = 1;
		t.revoked_at = om_stmt_col_int64(st, 1);
		t.reason = (int)om_stmt_col_int64(st, 2);
		snprintf(t.sign_serial, sizeof(t.sign_serial), "%s", om_stmt_col_text(st, 3));
		snprintf(t.enc_serial, sizeof(t.enc_serial), "%s", om_stmt_col_text(st, 4));
		fn(ctx, &t);
		n++;
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : n;
}

int pva_store_reference_page(struct pva *p, const char *model, const char *firmware, const char *component,
			     unsigned limit, void (*fn)(void *ctx, const char *model, const char *firmware,
							const char *component, const uint8_t sha256[32]),
			     void *ctx)
{
	struct om_stmt *st = p->stmt[PVA_SQL_REF_PAGE];
	int rc, n = 0;
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(model), OM_TEXT(firmware), OM_TEXT(component), OM_INT(limit)));
	     rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		size_t len = 0;
		const uint8_t *sha = om_stmt_col_blob(st, 3, &len);
		if (len == 32)
			fn(ctx, om_stmt_col_text(st, 0), om_stmt_col_text(st, 1), om_stmt_col_text(st, 2), sha);
		n++;
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : n;
}

int pva_store_set_ak(struct pva *p, const char *tre_id, const uint8_t *der, size_t len)
{
	int rc = om_stmt_exec(p->stmt[PVA_SQL_TRE_SET_AK], OM_BIND(OM_TEXT(tre_id), OM_BLOB(der, len)));
	if (rc < 0 || om_store_changes(p->store) == 1)
		return rc;
	return unchanged(p, tre_id, OM_EPVA_EXISTS);
}

int pva_store_add_pcr(struct pva *p, const char *model, const char *firmware, unsigned pcr,
		      const uint8_t sha256[static 32])
{
	int rc = om_stmt_exec(p->stmt[PVA_SQL_PCR_ADD],
			      OM_BIND(OM_TEXT(model), OM_TEXT(firmware), OM_INT(pcr), OM_BLOB(sha256, 32)));
	if (rc < 0 || om_store_changes(p->store) == 1)
		return rc;
	struct om_stmt *st = p->stmt[PVA_SQL_PCR_GET];
	return stored_is(st, om_stmt_query(st, OM_BIND(OM_TEXT(model), OM_TEXT(firmware), OM_INT(pcr))), sha256);
}

int pva_store_pcrs(struct pva *p, const char *model, const char *firmware, uint32_t *mask,
		   uint8_t (*out)[32], size_t cap, size_t *n)
{
	struct om_stmt *st = p->stmt[PVA_SQL_PCR_LIST];
	*n = 0;
	*mask = 0;
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(model), OM_TEXT(firmware)));
	for (; rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		size_t len;
		int64_t pcr = om_stmt_col_int64(st, 0);
		const void *v = om_stmt_col_blob(st, 1, &len);
		if (*n == cap || len != 32 || pcr < 0 || pcr > 23) {
			rc = OM_EPVA_REFERENCE;
			break;
		}
		*mask |= 1u << pcr;
		memcpy(out[(*n)++], v, 32); /* ORDER BY pcr: index order, as a quote lists them */
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}
