/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's register: schema, devices, operators, transfer codes, status
 * (docs/drf.md "Schema"). Every change runs in one durable transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/pki.h>

#include "drf_int.h"
#include "log.h"

static const struct om_store_migration schema[] = {
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
};

int drf_text_ok(const char *s, size_t max, char lo)
{
	size_t n = s ? strnlen(s, max + 1) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < lo || s[i] > '~')
			return 0;
	return 1;
}

int drf_imsi_ok(const char *imsi)
{
	size_t n = imsi ? strnlen(imsi, DRF_IMSI_MAX + 1) : 0;
	if (n < 6 || n > DRF_IMSI_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (imsi[i] < '0' || imsi[i] > '9')
			return 0;
	return 1;
}

int drf_step_done(struct om_stmt *st)
{
	int r = om_stmt_step(st);
	return r == OM_STORE_DONE ? 0 : r < 0 ? r : OM_ESTORE;
}

int drf_open(struct drf **out, const struct drf_config *cfg, char *err, size_t err_len)
{
	struct drf *d = NULL;
	int r = OM_EINVAL;
	if (!out || !cfg || !cfg->db_path || cfg->grace_s < 0 || cfg->freshness_s < 0 || cfg->hss_timeout_ms < 0 ||
	    cfg->removal_retry_min_s < 0 || cfg->removal_retry_max_s < 0) {
		snprintf(err, err_len, "missing database path or negative duration");
		return OM_EINVAL;
	}
	*out = NULL;
	if (cfg->sign_key || cfg->sign_cert) {
		EVP_PKEY *pub = cfg->sign_cert ? X509_get0_pubkey(cfg->sign_cert) : NULL;
		if (!cfg->sign_key || !pub || EVP_PKEY_eq(pub, cfg->sign_key) != 1 ||
		    (om_cert_check_profile(cfg->sign_cert, OM_CERT_SHO_SIGNING) < 0 &&
		     om_cert_check_profile(cfg->sign_cert, OM_CERT_ROOT_CA) < 0)) {
			snprintf(err, err_len, "signing key and certificate do not match, or not a SHO_SIGNING certificate");
			return OM_EDRF_CONFIG;
		}
	}
	if (!(d = calloc(1, sizeof(*d))))
		return OM_ENOMEM;
	d->sign_key = cfg->sign_key;
	d->sign_cert = cfg->sign_cert;
	d->freshness_s = cfg->freshness_s ? cfg->freshness_s : DRF_FRESHNESS_DEFAULT;
	d->grace_s = cfg->grace_s ? cfg->grace_s : DRF_GRACE_DEFAULT;
	d->hss_timeout_ms = cfg->hss_timeout_ms ? cfg->hss_timeout_ms : DRF_HSS_TIMEOUT_DEFAULT;
	d->removal_retry_min_s = cfg->removal_retry_min_s ? cfg->removal_retry_min_s : DRF_REMOVAL_RETRY_MIN_DEFAULT;
	d->removal_retry_max_s = cfg->removal_retry_max_s ? cfg->removal_retry_max_s : DRF_REMOVAL_RETRY_MAX_DEFAULT;
	if (d->removal_retry_max_s < d->removal_retry_min_s) {
		snprintf(err, err_len, "removal retry maximum below its minimum");
		free(d);
		return OM_EINVAL;
	}
	r = OM_ENOMEM;
	if (cfg->hss_socket && !(d->hss_socket = strdup(cfg->hss_socket)))
		goto out;
	if ((r = om_store_open_sqlite(cfg->db_path, NULL, &d->db, err, err_len)) < 0)
		goto out;
	if ((r = om_store_migrate(d->db, schema, sizeof(schema) / sizeof(schema[0]))) < 0) {
		snprintf(err, err_len, "schema: %s", om_store_errmsg(d->db));
		goto out;
	}
	*out = d;
	d = NULL;
	r = 0;
out:
	drf_close(d);
	return r;
}

void drf_close(struct drf *d)
{
	if (!d)
		return;
	om_store_close(d->db);
	free(d->hss_socket);
	free(d);
}

/* A certificate of profile whose CN is cn. 0 or OM_EDRF_CERT. */
static int cert_for(const uint8_t *der, size_t len, enum om_cert_profile profile, const char *cn)
{
	X509 *c = NULL;
	char got[OM_NAME_MAX_LEN + 1];
	int r = OM_EDRF_CERT;
	if (!der || om_cert_decode(&c, OM_ENC_DER, der, len) < 0)
		return OM_EDRF_CERT;
	if (om_cert_check_profile(c, profile) == 0 && om_cert_subject_cn(c, got) >= 0 && !strcmp(got, cn))
		r = 0;
	X509_free(c);
	return r;
}

/*
 * Insert with one statement in its own durable transaction; a row that
 * exists already is compared by same_sql (1 row = identical: no-op).
 */
static int insert_once(struct drf *d, const char *ins_sql, const char *same_sql, const char *exists_sql,
		       int (*bind)(struct om_stmt *st, const void *arg), const void *arg)
{
	struct om_stmt *st = NULL;
	int r;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = om_stmt_prepare(d->db, exists_sql, &st)) < 0 || (r = bind(st, arg)) < 0)
		goto out;
	int found = om_stmt_step(st);
	om_stmt_finalize(st);
	st = NULL;
	if (found < 0) {
		r = found;
		goto out;
	}
	if (found == OM_STORE_ROW) {
		if ((r = om_stmt_prepare(d->db, same_sql, &st)) < 0 || (r = bind(st, arg)) < 0)
			goto out;
		int same = om_stmt_step(st);
		r = same == OM_STORE_ROW ? 1 : same < 0 ? same : OM_EDRF_EXISTS;
		goto out;
	}
	if ((r = om_stmt_prepare(d->db, ins_sql, &st)) < 0 || (r = bind(st, arg)) < 0 || (r = drf_step_done(st)) < 0)
		goto out;
	om_stmt_finalize(st);
	st = NULL;
	return om_store_commit(d->db);
out:
	om_stmt_finalize(st);
	om_store_rollback(d->db);
	return r;
}

struct dev_arg {
	const char *tre_id, *imsi, *owner;
	int64_t since;
	const uint8_t *cert;
	size_t cert_len;
	uint32_t sequence;
	const uint8_t *sign_cert; /* NULL: none on record (such a device's completion is always refused) */
	size_t sign_cert_len;
};

static int bind_dev(struct om_stmt *st, const void *arg)
{
	const struct dev_arg *a = arg;
	int r;
	if ((r = om_stmt_bind_text(st, 1, a->tre_id)) < 0 || (r = om_stmt_bind_text(st, 2, a->imsi)) < 0 ||
	    (r = om_stmt_bind_int64(st, 3, a->since)) < 0 || (r = om_stmt_bind_blob(st, 4, a->cert, a->cert_len)) < 0 ||
	    (r = om_stmt_bind_text(st, 5, a->owner)) < 0 || (r = om_stmt_bind_int64(st, 6, a->sequence)) < 0)
		return r;
	if (a->sign_cert)
		return om_stmt_bind_blob(st, 7, a->sign_cert, a->sign_cert_len);
	return om_stmt_bind_null(st, 7);
}

int drf_device_add(struct drf *d, const char *tre_id, const char *imsi, int64_t since, const uint8_t *enc_cert_der,
		   size_t enc_cert_len, const uint8_t *sign_cert_der, size_t sign_cert_len, const char *owner,
		   uint32_t sequence)
{
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || !drf_imsi_ok(imsi) || !drf_text_ok(owner, DRF_OWNER_MAX, ' ') ||
	    since < 0) {
		om_notice("drf-device-refused", "reason=value");
		return OM_EDRF_VALUE;
	}
	if (cert_for(enc_cert_der, enc_cert_len, OM_CERT_TRE_ENCRYPTION, tre_id) < 0) {
		om_notice("drf-device-refused", "tre_id=%s reason=enc-cert", tre_id);
		return OM_EDRF_CERT;
	}
	if (sign_cert_der && cert_for(sign_cert_der, sign_cert_len, OM_CERT_TRE_SIGNING, tre_id) < 0) {
		om_notice("drf-device-refused", "tre_id=%s reason=sign-cert", tre_id);
		return OM_EDRF_CERT;
	}
	struct dev_arg a = { tre_id, imsi, owner, since, enc_cert_der, enc_cert_len, sequence, sign_cert_der,
			     sign_cert_len };
	int r = insert_once(d,
			    "INSERT INTO device (tre_id, imsi, since, enc_cert, owner, sequence, sign_cert)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			    "SELECT 1 FROM device WHERE tre_id = ?1 AND imsi = ?2 AND since = ?3 AND enc_cert = ?4"
			    " AND owner = ?5 AND sequence >= ?6 AND sign_cert IS ?7",
			    "SELECT 1 FROM device WHERE tre_id = ?1 AND ?2 IS NOT NULL AND ?3 IS NOT NULL AND"
			    " ?4 IS NOT NULL AND ?5 IS NOT NULL AND ?6 IS NOT NULL AND (?7 IS NULL OR ?7 IS NOT NULL)",
			    bind_dev, &a);
	if (r == 0)
		om_info("drf-device-add", "tre_id=%s imsi=%s sequence=%u", tre_id, imsi, sequence);
	else if (r < 0)
		om_notice("drf-device-refused", "tre_id=%s reason=%s", tre_id, om_errname(r));
	return r < 0 ? r : 0;
}

struct op_arg {
	const char *sho_id;
	const uint8_t *cert;
	size_t len;
	int64_t now;
};

static int bind_op(struct om_stmt *st, const void *arg)
{
	const struct op_arg *a = arg;
	int r;
	if ((r = om_stmt_bind_text(st, 1, a->sho_id)) < 0 || (r = om_stmt_bind_blob(st, 2, a->cert, a->len)) < 0 ||
	    (r = om_stmt_bind_int64(st, 3, a->now)) < 0)
		return r;
	return 0;
}

int drf_operator_add(struct drf *d, const char *sho_id, const uint8_t *cert_der, size_t cert_len, int64_t now)
{
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(sho_id, OM_HANDOVER_SHO_ID_MAX, '!')) {
		om_notice("drf-operator-refused", "reason=value");
		return OM_EDRF_VALUE;
	}
	if (cert_for(cert_der, cert_len, OM_CERT_SHO_SIGNING, sho_id) < 0 &&
	    cert_for(cert_der, cert_len, OM_CERT_ROOT_CA, sho_id) < 0) {
		om_notice("drf-operator-refused", "sho_id=%s reason=cert", sho_id);
		return OM_EDRF_CERT;
	}
	struct op_arg a = { sho_id, cert_der, cert_len, now };
	int r = insert_once(d, "INSERT INTO operator (sho_id, sign_cert, added) VALUES (?1, ?2, ?3)",
			    "SELECT 1 FROM operator WHERE sho_id = ?1 AND sign_cert = ?2 AND ?3 IS NOT NULL",
			    "SELECT 1 FROM operator WHERE sho_id = ?1 AND ?2 IS NOT NULL AND ?3 IS NOT NULL", bind_op, &a);
	if (r == 0)
		om_info("drf-operator-add", "sho_id=%s", sho_id);
	else if (r < 0)
		om_notice("drf-operator-refused", "sho_id=%s reason=%s", sho_id, om_errname(r));
	return r < 0 ? r : 0;
}

int drf_device_lock(struct drf *d, const char *tre_id, int64_t until)
{
	struct om_stmt *st = NULL;
	int r;
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || until < 0)
		return OM_EDRF_VALUE;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = om_stmt_prepare(d->db, "UPDATE device SET lock_until = ?2 WHERE tre_id = ?1", &st)) < 0 ||
	    (r = om_stmt_bind_text(st, 1, tre_id)) < 0 || (r = om_stmt_bind_int64(st, 2, until)) < 0 ||
	    (r = drf_step_done(st)) < 0)
		goto out;
	if (om_store_changes(d->db) != 1) {
		r = OM_EDRF_DEVICE;
		goto out;
	}
	om_stmt_finalize(st);
	st = NULL;
	if ((r = om_store_commit(d->db)) == 0)
		om_info("drf-lock", "tre_id=%s until=%lld", tre_id, (long long)until);
	return r;
out:
	om_stmt_finalize(st);
	om_store_rollback(d->db);
	return r;
}

int drf_transfer_code_issue(struct drf *d, const char *tre_id, int64_t now, int64_t valid_s,
			    char code[static DRF_CODE_TEXT_LEN + 1])
{
	struct om_stmt *st = NULL;
	uint8_t salt[DRF_SALT_LEN], hash[DRF_HASH_LEN], proof[OM_HANDOVER_PROOF_LEN];
	char text[DRF_CODE_TEXT_LEN + 1];
	int r;
	if (!d || !code)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || valid_s < 0)
		return OM_EDRF_VALUE;
	if (!valid_s)
		valid_s = DRF_CODE_VALID_DEFAULT;
	if (RAND_bytes(salt, sizeof(salt)) != 1 || drf_code_generate(text) < 0)
		return OM_ERANDOM;
	if ((r = om_handover_code_proof(tre_id, text, proof)) < 0 || (r = drf_code_hash(salt, proof, hash)) < 0)
		goto clean;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		goto clean;
	if ((r = om_stmt_prepare(d->db, "SELECT ours FROM device WHERE tre_id = ?1", &st)) < 0 ||
	    (r = om_stmt_bind_text(st, 1, tre_id)) < 0)
		goto out;
	r = om_stmt_step(st);
	if (r != OM_STORE_ROW) {
		r = r < 0 ? r : OM_EDRF_DEVICE;
		goto out;
	}
	if (om_stmt_col_int64(st, 0) != 1) {
		r = OM_EDRF_NOT_OURS;
		goto out;
	}
	om_stmt_finalize(st);
	st = NULL;
	if ((r = om_stmt_prepare(d->db,
				 "INSERT INTO transfer_code (tre_id, salt, hash, issued, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
				 &st)) < 0 ||
	    (r = om_stmt_bind_text(st, 1, tre_id)) < 0 || (r = om_stmt_bind_blob(st, 2, salt, sizeof(salt))) < 0 ||
	    (r = om_stmt_bind_blob(st, 3, hash, sizeof(hash))) < 0 || (r = om_stmt_bind_int64(st, 4, now)) < 0 ||
	    (r = om_stmt_bind_int64(st, 5, now + valid_s)) < 0 || (r = drf_step_done(st)) < 0)
		goto out;
	om_stmt_finalize(st);
	st = NULL;
	if ((r = om_store_commit(d->db)) < 0)
		goto clean;
	memcpy(code, text, sizeof(text));
	om_info("drf-code-issue", "tre_id=%s expires=%lld", tre_id, (long long)(now + valid_s)); /* never the code */
	goto clean;
out:
	om_stmt_finalize(st);
	om_store_rollback(d->db);
	if (r == OM_EDRF_DEVICE || r == OM_EDRF_NOT_OURS)
		om_notice("drf-code-refused", "tre_id=%s reason=%s", tre_id, om_errname(r));
clean:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(proof, sizeof(proof));
	OPENSSL_cleanse(hash, sizeof(hash));
	return r;
}

/* One integer from a query bound with tre_id and now. */
static int count(struct drf *d, const char *sql, const char *tre_id, int64_t now, int64_t *out)
{
	struct om_stmt *st = NULL;
	int r;
	if ((r = om_stmt_prepare(d->db, sql, &st)) < 0 || (r = om_stmt_bind_text(st, 1, tre_id)) < 0 ||
	    (r = om_stmt_bind_int64(st, 2, now)) < 0)
		goto out;
	r = om_stmt_step(st);
	if (r == OM_STORE_ROW) {
		*out = om_stmt_col_int64(st, 0);
		r = 0;
	} else if (r >= 0) {
		r = OM_ESTORE;
	}
out:
	om_stmt_finalize(st);
	return r;
}

int drf_device_status(struct drf *d, const char *tre_id, int64_t now, struct drf_device_status *s)
{
	struct om_stmt *st = NULL;
	int64_t codes = 0, hos = 0;
	int r;
	if (!d || !tre_id || !s)
		return OM_EINVAL;
	memset(s, 0, sizeof(*s));
	if ((r = om_stmt_prepare(d->db,
				 "SELECT imsi, owner, since, lock_until, sequence, ours FROM device WHERE tre_id = ?1",
				 &st)) < 0 ||
	    (r = om_stmt_bind_text(st, 1, tre_id)) < 0)
		goto out;
	r = om_stmt_step(st);
	if (r != OM_STORE_ROW) {
		r = r < 0 ? r : OM_EDRF_DEVICE;
		goto out;
	}
	snprintf(s->tre_id, sizeof(s->tre_id), "%s", tre_id);
	snprintf(s->imsi, sizeof(s->imsi), "%s", om_stmt_col_text(st, 0));
	snprintf(s->owner, sizeof(s->owner), "%s", om_stmt_col_text(st, 1));
	s->since = om_stmt_col_int64(st, 2);
	s->lock_until = om_stmt_col_int64(st, 3);
	s->sequence = (uint32_t)om_stmt_col_int64(st, 4);
	s->ours = (int)om_stmt_col_int64(st, 5);
	if ((r = count(d, "SELECT count(*) FROM transfer_code WHERE tre_id = ?1 AND used_by IS NULL AND expires > ?2",
		       tre_id, now, &codes)) < 0 ||
	    (r = count(d, "SELECT count(*) FROM handover WHERE tre_id = ?1 AND ?2 IS NOT NULL", tre_id, now, &hos)) < 0)
		goto out;
	s->codes_unused = (unsigned)codes;
	s->handovers = (unsigned)hos;
	r = 0;
out:
	om_stmt_finalize(st);
	return r;
}

int drf_pending_list(struct drf *d, drf_pending_fn fn, void *ctx)
{
	struct om_stmt *st = NULL;
	int r, n = 0;
	if (!d || !fn)
		return OM_EINVAL;
	if ((r = om_stmt_prepare(d->db,
				 "SELECT sender, request_id, tre_id, sequence, accepted, length(bootstrap) FROM handover"
				 " WHERE state = 'accepted' ORDER BY accepted, sender, request_id",
				 &st)) < 0)
		return r;
	while ((r = om_stmt_step(st)) == OM_STORE_ROW) {
		struct drf_pending p;
		memset(&p, 0, sizeof(p));
		snprintf(p.sender, sizeof(p.sender), "%s", om_stmt_col_text(st, 0));
		snprintf(p.request_id, sizeof(p.request_id), "%s", om_stmt_col_text(st, 1));
		snprintf(p.tre_id, sizeof(p.tre_id), "%s", om_stmt_col_text(st, 2));
		p.sequence = (uint32_t)om_stmt_col_int64(st, 3);
		p.accepted = om_stmt_col_int64(st, 4);
		p.bootstrap_len = (size_t)om_stmt_col_int64(st, 5);
		fn(ctx, &p);
		n++;
	}
	om_stmt_finalize(st);
	return r < 0 ? r : n;
}
