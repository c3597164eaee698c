/* SPDX-License-Identifier: Apache-2.0 */
/* The PVA's SQL: every value is a bind (store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pva_store.h"

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
};

int pva_store_migrate(struct om_store *s)
{
	return om_store_migrate(s, migrations, sizeof(migrations) / sizeof(migrations[0]));
}

/* Prepare, let bind() fill the placeholders, step once. Returns the step's result or a code. */
static int run(struct pva *p, const char *sql, struct om_stmt **st)
{
	int rc = om_stmt_prepare(p->store, sql, st);
	return rc < 0 ? rc : 0;
}

int pva_store_add_tre(struct pva *p, const char *tre_id, const char *model, const char *firmware,
		      const uint8_t *sign_der, size_t sign_len, const uint8_t *enc_der, size_t enc_len,
		      const char *sign_serial, const char *enc_serial)
{
	struct om_stmt *st = NULL;
	int rc = run(p, "INSERT INTO tre (tre_id, model, firmware, sign_cert, enc_cert, sign_serial, enc_serial)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st);
	if (rc == 0 && ((rc = om_stmt_bind_text(st, 1, tre_id)) < 0 || (rc = om_stmt_bind_text(st, 2, model)) < 0 ||
			(rc = om_stmt_bind_text(st, 3, firmware)) < 0 ||
			(rc = om_stmt_bind_blob(st, 4, sign_der, sign_len)) < 0 ||
			(rc = om_stmt_bind_blob(st, 5, enc_der, enc_len)) < 0 ||
			(rc = om_stmt_bind_text(st, 6, sign_serial)) < 0 ||
			(rc = om_stmt_bind_text(st, 7, enc_serial)) < 0))
		goto out;
	if (rc == 0)
		rc = om_stmt_step(st);
	for (int i = 0; i < 2 && rc >= 0; i++) {
		om_stmt_finalize(st);
		st = NULL;
		if ((rc = run(p, "INSERT INTO cert (serial, tre_id) VALUES (?1, ?2)", &st)) == 0 &&
		    (rc = om_stmt_bind_text(st, 1, i ? enc_serial : sign_serial)) == 0 &&
		    (rc = om_stmt_bind_text(st, 2, tre_id)) == 0)
			rc = om_stmt_step(st);
	}
out:
	om_stmt_finalize(st);
	if (rc == OM_ESTORE_CONSTRAINT)
		return OM_EPVA_EXISTS;
	return rc < 0 ? rc : 0;
}

void pva_tre_clear(struct pva_tre *t)
{
	free(t->sign_der);
	memset(t, 0, sizeof(*t));
}

int pva_store_get_tre(struct pva *p, const char *tre_id, struct pva_tre *out)
{
	struct om_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	int rc = run(p, "SELECT model, firmware, sign_cert, sign_serial, enc_serial, revoked_at, reason"
			" FROM tre WHERE tre_id = ?1", &st);
	if (rc == 0 && (rc = om_stmt_bind_text(st, 1, tre_id)) == 0)
		rc = om_stmt_step(st);
	if (rc == OM_STORE_DONE) {
		rc = OM_EPVA_NOT_FOUND;
	} else if (rc == OM_STORE_ROW) {
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
	}
	om_stmt_finalize(st);
	return rc;
}

int pva_store_serial_status(struct pva *p, const char *serial_hex, int *revoked, int64_t *at, int *reason)
{
	struct om_stmt *st = NULL;
	int rc = run(p, "SELECT t.revoked_at, t.reason FROM cert c JOIN tre t ON t.tre_id = c.tre_id"
			" WHERE c.serial = ?1", &st);
	if (rc == 0 && (rc = om_stmt_bind_text(st, 1, serial_hex)) == 0)
		rc = om_stmt_step(st);
	if (rc == OM_STORE_DONE) {
		rc = OM_EPVA_NOT_FOUND;
	} else if (rc == OM_STORE_ROW) {
		*revoked = !om_stmt_col_is_null(st, 0);
		*at = om_stmt_col_int64(st, 0);
		*reason = (int)om_stmt_col_int64(st, 1);
		rc = 0;
	}
	om_stmt_finalize(st);
	return rc;
}

int pva_store_revoke(struct pva *p, const char *tre_id, int reason, int64_t at)
{
	struct pva_tre t;
	int rc = pva_store_get_tre(p, tre_id, &t);
	int was = t.revoked;
	pva_tre_clear(&t);
	if (rc < 0)
		return rc;
	if (was)
		return OM_EPVA_REVOKED;
	struct om_stmt *st = NULL;
	rc = run(p, "UPDATE tre SET revoked_at = ?2, reason = ?3 WHERE tre_id = ?1", &st);
	if (rc == 0 && (rc = om_stmt_bind_text(st, 1, tre_id)) == 0 && (rc = om_stmt_bind_int64(st, 2, at)) == 0 &&
	    (rc = om_stmt_bind_int64(st, 3, reason)) == 0)
		rc = om_stmt_step(st);
	om_stmt_finalize(st);
	return rc < 0 ? rc : 0;
}

int pva_store_add_reference(struct pva *p, const char *model, const char *firmware, const char *component,
			    const uint8_t sha256[static 32])
{
	struct om_stmt *st = NULL;
	int rc = run(p, "SELECT sha256 FROM reference WHERE model = ?1 AND firmware = ?2 AND component = ?3", &st);
	if (rc == 0 && (rc = om_stmt_bind_text(st, 1, model)) == 0 && (rc = om_stmt_bind_text(st, 2, firmware)) == 0 &&
	    (rc = om_stmt_bind_text(st, 3, component)) == 0)
		rc = om_stmt_step(st);
	if (rc == OM_STORE_ROW) {
		size_t n;
		const void *v = om_stmt_col_blob(st, 0, &n);
		rc = n == 32 && !memcmp(v, sha256, 32) ? 0 : OM_EPVA_REFERENCE;
		om_stmt_finalize(st);
		return rc;
	}
	om_stmt_finalize(st);
	st = NULL;
	if (rc < 0)
		return rc;
	rc = run(p, "INSERT INTO reference (model, firmware, component, sha256) VALUES (?1, ?2, ?3, ?4)", &st);
	if (rc == 0 && (rc = om_stmt_bind_text(st, 1, model)) == 0 && (rc = om_stmt_bind_text(st, 2, firmware)) == 0 &&
	    (rc = om_stmt_bind_text(st, 3, component)) == 0 && (rc = om_stmt_bind_blob(st, 4, sha256, 32)) == 0)
		rc = om_stmt_step(st);
	om_stmt_finalize(st);
	return rc < 0 ? rc : 0;
}

int pva_store_references(struct pva *p, const char *model, const char *firmware, struct om_measurement *out,
			 size_t cap, size_t *n)
{
	struct om_stmt *st = NULL;
	*n = 0;
	int rc = run(p, "SELECT component, sha256 FROM reference WHERE model = ?1 AND firmware = ?2"
			" ORDER BY component", &st);
	if (rc == 0 && (rc = om_stmt_bind_text(st, 1, model)) == 0)
		rc = om_stmt_bind_text(st, 2, firmware);
	while (rc >= 0 && (rc = om_stmt_step(st)) == OM_STORE_ROW) {
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
	om_stmt_finalize(st);
	return rc < 0 ? rc : 0;
}
