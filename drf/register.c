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
	if (cfg->sign_cert && om_cert_subject_cn(cfg->sign_cert, d->self_id) < 0)
		d->self_id[0] = '\0';
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
	if (cfg->signer_status_file) {
		r = OM_EDRF_CONFIG;
		if (!cfg->signer_issuer || !d->sign_cert ||
		    X509_verify(d->sign_cert, X509_get0_pubkey(cfg->signer_issuer)) != 1) {
			snprintf(err, err_len, "signer_issuer is not the CA that issued the signing certificate");
			goto out;
		}
		r = OM_ENOMEM;
		if (!(d->status_file = strdup(cfg->signer_status_file)) ||
		    om_cert_encode(cfg->signer_issuer, OM_ENC_DER, &d->issuer_der, &d->issuer_der_len) < 0)
			goto out;
		d->status_max_age_s = cfg->signer_status_max_age_s > 0 ? cfg->signer_status_max_age_s
								       : DRF_STATUS_MAX_AGE_DEFAULT;
	}
	if ((r = drf_store_open(d, cfg->db_path, err, err_len)) < 0)
		goto out;
	*out = d;
	d = NULL;
	r = 0;
out:
	drf_close(d);
	return r;
}

unsigned drf_idle(struct drf *d, const char *where)
{
	return d ? om_store_idle(d->db, where) : 0;
}

void drf_close(struct drf *d)
{
	if (!d)
		return;
	drf_store_close(d);
	free(d->hss_socket);
	free(d->status_file);
	om_pki_free(d->issuer_der, d->issuer_der_len);
	free(d);
}

int drf_cert_for(const uint8_t *der, size_t len, enum om_cert_profile profile, const char *cn)
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
 * Insert one row in its own durable transaction; a row with that key there
 * already is compared by same, bound with the first same_n values (a row
 * back = identical: no-op, 1), else
 * OM_EDRF_EXISTS. The insert does nothing on a conflict, so no failed
 * statement aborts a PostgreSQL transaction.
 */
static int insert_once(struct drf *d, enum drf_sql ins, enum drf_sql same, size_t same_n, const struct om_val *v,
		       size_t n)
{
	int r;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = om_stmt_exec(d->stmt[ins], v, n)) < 0)
		goto out;
	if (om_store_changes(d->db) == 1)
		return om_store_commit(d->db);
	r = om_stmt_query(d->stmt[same], v, same_n);
	om_stmt_reset(d->stmt[same]);
	r = r == OM_STORE_ROW ? 1 : r < 0 ? r : OM_EDRF_EXISTS;
out:
	om_store_rollback(d->db);
	return r;
}

/* Compare a stored certificate column with der (NULL/0: none given). */
static int same_cert(struct om_stmt *st, int col, const uint8_t *der, size_t len)
{
	size_t l = 0;
	const void *p = om_stmt_col_blob(st, col, &l);
	return l == len && (!len || !memcmp(p, der, len));
}

/*
 * The device left us (a completed handover) and comes back (issue 20:
 * A->B->A, A->B->C->A): a new stay with its new IMSI, owner and sequence,
 * inside the caller's transaction. Its certificates must be the ones on
 * record (a TRE_SIGNING certificate is taken only where none was), its
 * counter stays (a statement of an older copy of the TRE is still refused),
 * the codes of the stays before expire, and an IMSI whose removal is still
 * pending is not taken back (the removal would delete it). 0 or a code.
 */
/*
 * A device still ours arrives on the handover our own registration service
 * sent (we are its RO and its SHO: the conf/ deployment, docs/drf.md "Our
 * own devices"): that stay ends here, as a completed handover to another
 * operator would end it, so that the arrival is a return. Inside the
 * caller's transaction; 0 also when it is not such a device.
 */
static int self_leave(struct drf *d, const struct om_val *v)
{
	struct om_stmt *st = d->stmt[DRF_SQL_SELF_HANDOVER];
	char request[OM_HANDOVER_ID_MAX + 1];
	if (!d->self_id[0])
		return 0;
	int r = om_stmt_query(st, OM_BIND(v[0], OM_TEXT(d->self_id)));
	if (r != OM_STORE_ROW) {
		om_stmt_reset(st);
		return r < 0 ? r : 0;
	}
	snprintf(request, sizeof(request), "%s", om_stmt_col_text(st, 0));
	om_stmt_reset(st);
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_STAY_LEAVE], OM_BIND(v[0], v[2], OM_TEXT(d->self_id), OM_TEXT(request)))) <
	    0)
		return r;
	return om_stmt_exec(d->stmt[DRF_SQL_DEV_RELEASE], OM_BIND(v[0], v[7]));
}

static int device_return(struct drf *d, const struct om_val *v)
{
	struct om_stmt *st = d->stmt[DRF_SQL_DEV_RETURN_GET];
	size_t enc_len = v[3].len, sign_len = v[6].type == OM_VAL_NULL ? 0 : v[6].len;
	int r = self_leave(d, v);
	if (r < 0)
		return r;
	r = om_stmt_query(st, &v[0], 1);
	if (r != OM_STORE_ROW)
		return r < 0 ? r : OM_ESTORE; /* the insert saw the row */
	size_t have_sign = 0;
	om_stmt_col_blob(st, 2, &have_sign);
	if (om_stmt_col_int64(st, 0) != 0)
		r = OM_EDRF_EXISTS; /* ours now, with other content */
	else if (!same_cert(st, 1, v[3].p, enc_len) || (have_sign && !same_cert(st, 2, v[6].p, sign_len)))
		r = OM_EDRF_CERT;
	else
		r = 0;
	om_stmt_reset(st);
	if (r < 0)
		return r;
	st = d->stmt[DRF_SQL_REMOVAL_OF];
	if ((r = om_stmt_query(st, &v[1], 1)) < 0)
		return r;
	om_stmt_reset(st);
	if (r == OM_STORE_ROW)
		return OM_EDRF_EXISTS;
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_DEV_RETURN],
			      OM_BIND(v[0], v[1], v[2], v[4], v[5], v[6], v[7]))) < 0)
		return r;
	if (om_store_changes(d->db) != 1)
		return OM_EDRF_EXISTS;
	return om_stmt_exec(d->stmt[DRF_SQL_CODES_VOID], OM_BIND(v[0], v[2]));
}

int drf_device_add(struct drf *d, const char *tre_id, const char *imsi, int64_t since, const uint8_t *enc_cert_der,
		   size_t enc_cert_len, const uint8_t *sign_cert_der, size_t sign_cert_len, const char *owner,
		   uint32_t sequence)
{
	return drf_device_arrive(d, tre_id, imsi, since, enc_cert_der, enc_cert_len, sign_cert_der, sign_cert_len,
				 owner, sequence, 0);
}

int drf_device_arrive(struct drf *d, const char *tre_id, const char *imsi, int64_t since, const uint8_t *enc_cert_der,
		      size_t enc_cert_len, const uint8_t *sign_cert_der, size_t sign_cert_len, const char *owner,
		      uint32_t sequence, uint64_t counter)
{
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || !drf_imsi_ok(imsi) || !drf_text_ok(owner, DRF_OWNER_MAX, ' ') ||
	    since < 0 || counter > INT64_MAX) {
		om_notice("drf-device-refused", "reason=value");
		return OM_EDRF_VALUE;
	}
	if (drf_cert_for(enc_cert_der, enc_cert_len, OM_CERT_TRE_ENCRYPTION, tre_id) < 0) {
		om_notice("drf-device-refused", "tre_id=%s reason=enc-cert", tre_id);
		return OM_EDRF_CERT;
	}
	if (sign_cert_der && drf_cert_for(sign_cert_der, sign_cert_len, OM_CERT_TRE_SIGNING, tre_id) < 0) {
		om_notice("drf-device-refused", "tre_id=%s reason=sign-cert", tre_id);
		return OM_EDRF_CERT;
	}
	const struct om_val v[] = { OM_TEXT(tre_id),	OM_TEXT(imsi),	OM_INT(since),
				    OM_BLOB(enc_cert_der, enc_cert_len), OM_TEXT(owner), OM_INT(sequence),
				    sign_cert_der ? OM_BLOB(sign_cert_der, sign_cert_len) : OM_NULL,
				    OM_INT(counter) };
	const char *what = "drf-device-add";
	int r;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_DEV_ADD], v, 8)) < 0)
		goto out;
	if (om_store_changes(d->db) != 1) {
		/* the same row again is a no-op; a device that left us may come back */
		r = om_stmt_query(d->stmt[DRF_SQL_DEV_SAME], v, 7);
		om_stmt_reset(d->stmt[DRF_SQL_DEV_SAME]);
		if (r == OM_STORE_ROW || r < 0) {
			r = r < 0 ? r : 1;
			goto out;
		}
		if ((r = device_return(d, v)) < 0)
			goto out;
		what = "drf-device-return";
	}
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_STAY_ADD], OM_BIND(v[0], v[1], v[2], v[4], v[5]))) < 0 ||
	    (r = om_store_commit(d->db)) < 0)
		goto out;
	om_info(what, "tre_id=%s imsi=%s sequence=%u counter=%llu", tre_id, imsi, sequence, (unsigned long long)counter);
	return 0;
out:
	om_store_rollback(d->db);
	if (r < 0)
		om_notice("drf-device-refused", "tre_id=%s reason=%s", tre_id, om_errname(r));
	return r < 0 ? r : 0;
}

int drf_operator_add(struct drf *d, const char *sho_id, const uint8_t *cert_der, size_t cert_len, int64_t now)
{
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(sho_id, OM_HANDOVER_SHO_ID_MAX, '!')) {
		om_notice("drf-operator-refused", "reason=value");
		return OM_EDRF_VALUE;
	}
	if (drf_cert_for(cert_der, cert_len, OM_CERT_SHO_SIGNING, sho_id) < 0 &&
	    drf_cert_for(cert_der, cert_len, OM_CERT_ROOT_CA, sho_id) < 0) {
		om_notice("drf-operator-refused", "sho_id=%s reason=cert", sho_id);
		return OM_EDRF_CERT;
	}
	int r = insert_once(d, DRF_SQL_OP_ADD, DRF_SQL_OP_SAME, 2,
			    OM_BIND(OM_TEXT(sho_id), OM_BLOB(cert_der, cert_len), OM_INT(now)));
	if (r == 0)
		om_info("drf-operator-add", "sho_id=%s", sho_id);
	else if (r < 0)
		om_notice("drf-operator-refused", "sho_id=%s reason=%s", sho_id, om_errname(r));
	return r < 0 ? r : 0;
}

int drf_device_lock(struct drf *d, const char *tre_id, int64_t until)
{
	int r;
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || until < 0)
		return OM_EDRF_VALUE;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_DEV_LOCK], OM_BIND(OM_TEXT(tre_id), OM_INT(until)))) == 0 &&
	    om_store_changes(d->db) != 1)
		r = OM_EDRF_DEVICE;
	if (r < 0) {
		om_store_rollback(d->db);
		return r;
	}
	if ((r = om_store_commit(d->db)) == 0)
		om_info("drf-lock", "tre_id=%s until=%lld", tre_id, (long long)until);
	return r;
}

int drf_transfer_code_issue(struct drf *d, const char *tre_id, int64_t now, int64_t valid_s,
			    char code[static DRF_CODE_TEXT_LEN + 1])
{
	return drf_transfer_code_issue_for(d, tre_id, NULL, now, valid_s, code);
}

int drf_transfer_code_issue_for(struct drf *d, const char *tre_id, const char *owner, int64_t now, int64_t valid_s,
				char code[static DRF_CODE_TEXT_LEN + 1])
{
	struct om_stmt *st;
	uint8_t salt[DRF_SALT_LEN], hash[DRF_HASH_LEN], proof[OM_HANDOVER_PROOF_LEN];
	char text[DRF_CODE_TEXT_LEN + 1];
	int r;
	if (!d || !code)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || valid_s < 0 || (owner && !drf_text_ok(owner, DRF_OWNER_MAX, '!')))
		return OM_EDRF_VALUE;
	if (!valid_s)
		valid_s = DRF_CODE_VALID_DEFAULT;
	if (RAND_bytes(salt, sizeof(salt)) != 1 || drf_code_generate(text) < 0)
		return OM_ERANDOM;
	if ((r = om_handover_code_proof(tre_id, text, proof)) < 0 || (r = drf_code_hash(salt, proof, hash)) < 0)
		goto clean;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		goto clean;
	st = d->stmt[DRF_SQL_DEV_OURS];
	r = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (r != OM_STORE_ROW) {
		r = r < 0 ? r : OM_EDRF_DEVICE;
		goto out;
	}
	int ours = om_stmt_col_int64(st, 0) == 1;
	/* the owner the SHO asks for must be the register's: a seller after the resale gets nothing */
	int owner_ok = !owner || !strcmp(om_stmt_col_text(st, 1), owner);
	om_stmt_reset(st);
	if (!ours || !owner_ok) {
		r = !ours ? OM_EDRF_NOT_OURS : OM_EDRF_OWNER;
		goto out;
	}
	/* one unused code per device: the new one revokes the others, and the expired ones go with them */
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_CODES_REVOKE], OM_BIND(OM_TEXT(tre_id)))) < 0)
		goto out;
	unsigned revoked = (unsigned)om_store_changes(d->db);
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_CODE_ADD], OM_BIND(OM_TEXT(tre_id), OM_BLOB(salt, sizeof(salt)),
								 OM_BLOB(hash, sizeof(hash)), OM_INT(now),
								 OM_INT(now + valid_s)))) < 0)
		goto out;
	if ((r = om_store_commit(d->db)) < 0)
		goto clean;
	memcpy(code, text, sizeof(text));
	om_debug("drf-code-issue", "tre_id=%s expires=%lld revoked=%u", tre_id, (long long)(now + valid_s),
		revoked); /* never the code */
	goto clean;
out:
	om_store_rollback(d->db);
	if (r == OM_EDRF_DEVICE || r == OM_EDRF_NOT_OURS || r == OM_EDRF_OWNER)
		om_notice("drf-code-refused", "tre_id=%s reason=%s", tre_id, om_errname(r));
clean:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(proof, sizeof(proof));
	OPENSSL_cleanse(hash, sizeof(hash));
	return r;
}

/*
 * A durable transaction in which tre_id's row exists (locked FOR UPDATE on PostgreSQL). 0, or
 * OM_EDRF_DEVICE or a store code with nothing left open.
 */
static int begin_on_device(struct drf *d, const char *tre_id)
{
	int r = om_store_begin(d->db, OM_STORE_DURABLE);
	if (r < 0)
		return r;
	struct om_stmt *st = d->stmt[DRF_SQL_DEV_OURS];
	r = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	om_stmt_reset(st);
	if (r == OM_STORE_ROW)
		return 0;
	om_store_rollback(d->db);
	return r < 0 ? r : OM_EDRF_DEVICE;
}

int drf_device_owner(struct drf *d, const char *tre_id, const char *owner, unsigned *revoked)
{
	unsigned n = 0;
	int r;
	if (revoked)
		*revoked = 0;
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(tre_id, OM_TRE_ID_MAX, '!') || !drf_text_ok(owner, DRF_OWNER_MAX, '!'))
		return OM_EDRF_VALUE;
	if ((r = begin_on_device(d, tre_id)) < 0)
		return r;
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_DEV_OWNER], OM_BIND(OM_TEXT(tre_id), OM_TEXT(owner)))) < 0)
		goto out;
	if (om_store_changes(d->db) == 0) { /* the same owner: nothing to revoke */
		om_store_rollback(d->db);
		return 0;
	}
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_CODES_REVOKE], OM_BIND(OM_TEXT(tre_id)))) < 0)
		goto out;
	n = (unsigned)om_store_changes(d->db);
	if ((r = om_store_commit(d->db)) < 0)
		return r;
	if (revoked)
		*revoked = n;
	om_info("drf-owner", "tre_id=%s owner=%s codes_revoked=%u", tre_id, owner, n);
	return 0;
out:
	om_store_rollback(d->db);
	return r;
}

/* The one integer a count query returns for binds v. */
static int count(struct drf *d, enum drf_sql q, const struct om_val *v, size_t n, int64_t *out)
{
	int r = om_stmt_query(d->stmt[q], v, n);
	if (r != OM_STORE_ROW)
		return r < 0 ? r : OM_ESTORE;
	*out = om_stmt_col_int64(d->stmt[q], 0);
	om_stmt_reset(d->stmt[q]);
	return 0;
}

int drf_device_status(struct drf *d, const char *tre_id, int64_t now, struct drf_device_status *s)
{
	int64_t codes = 0, hos = 0;
	int r;
	if (!d || !tre_id || !s)
		return OM_EINVAL;
	memset(s, 0, sizeof(*s));
	struct om_stmt *st = d->stmt[DRF_SQL_DEV_STATUS];
	r = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (r != OM_STORE_ROW)
		return r < 0 ? r : OM_EDRF_DEVICE;
	snprintf(s->tre_id, sizeof(s->tre_id), "%s", tre_id);
	snprintf(s->imsi, sizeof(s->imsi), "%s", om_stmt_col_text(st, 0));
	snprintf(s->owner, sizeof(s->owner), "%s", om_stmt_col_text(st, 1));
	s->since = om_stmt_col_int64(st, 2);
	s->lock_until = om_stmt_col_int64(st, 3);
	s->sequence = (uint32_t)om_stmt_col_int64(st, 4);
	s->ours = (int)om_stmt_col_int64(st, 5);
	s->stay = (unsigned)om_stmt_col_int64(st, 6);
	om_stmt_reset(st);
	if ((r = count(d, DRF_SQL_CODES_UNUSED, OM_BIND(OM_TEXT(tre_id), OM_INT(now)), &codes)) < 0 ||
	    (r = count(d, DRF_SQL_HANDOVERS_OF, OM_BIND(OM_TEXT(tre_id)), &hos)) < 0)
		return r;
	s->codes_unused = (unsigned)codes;
	s->handovers = (unsigned)hos;
	return 0;
}

int drf_device_page(struct drf *d, const char *after, unsigned max, drf_device_fn fn, void *ctx)
{
	int r, n = 0;
	if (!d || !after || !fn)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_DEV_PAGE];
	struct drf_device_status s;
	while ((r = n ? om_stmt_step(st) : om_stmt_query(st, OM_BIND(OM_TEXT(after), OM_INT(max)))) == OM_STORE_ROW) {
		memset(&s, 0, sizeof(s));
		snprintf(s.tre_id, sizeof(s.tre_id), "%s", om_stmt_col_text(st, 0));
		snprintf(s.imsi, sizeof(s.imsi), "%s", om_stmt_col_text(st, 1));
		s.since = om_stmt_col_int64(st, 2);
		snprintf(s.owner, sizeof(s.owner), "%s", om_stmt_col_text(st, 3));
		s.ours = (int)om_stmt_col_int64(st, 4);
		s.lock_until = om_stmt_col_int64(st, 5);
		s.sequence = (uint32_t)om_stmt_col_int64(st, 6);
		s.stay = (unsigned)om_stmt_col_int64(st, 7);
		fn(ctx, &s);
		n++;
	}
	om_stmt_reset(st);
	return r < 0 ? r : n;
}

int drf_device_delete(struct drf *d, const char *tre_id)
{
	int64_t busy = 0;
	int r;
	if (!d || !tre_id)
		return OM_EINVAL;
	if ((r = begin_on_device(d, tre_id)) < 0)
		return r;
	if ((r = count(d, DRF_SQL_DEV_BUSY, OM_BIND(OM_TEXT(tre_id)), &busy)) < 0)
		goto out;
	if (busy) {
		r = OM_EDRF_STATE;
		goto out;
	}
	static const enum drf_sql del[] = { DRF_SQL_DEL_CODES, DRF_SQL_DEL_STAYS, DRF_SQL_DEL_HANDOVERS,
					    DRF_SQL_DEL_REMOVALS, DRF_SQL_DEL_DEVICE };
	for (size_t i = 0; i < sizeof(del) / sizeof(del[0]); i++)
		if ((r = om_stmt_exec(d->stmt[del[i]], OM_BIND(OM_TEXT(tre_id)))) < 0)
			goto out;
	if ((r = om_store_commit(d->db)) < 0)
		goto out;
	om_info("drf-device-delete", "tre_id=%s", tre_id);
	return 0;
out:
	om_store_rollback(d->db);
	om_notice("drf-device-delete-refused", "tre_id=%.63s code=%s", tre_id, om_errname(r));
	return r;
}

int drf_device_history(struct drf *d, const char *tre_id, drf_stay_fn fn, void *ctx)
{
	int r, n = 0;
	if (!d || !tre_id || !fn)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_STAYS_OF];
	for (r = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id))); r == OM_STORE_ROW; r = om_stmt_step(st)) {
		struct drf_stay s;
		memset(&s, 0, sizeof(s));
		s.n = (unsigned)om_stmt_col_int64(st, 0);
		snprintf(s.imsi, sizeof(s.imsi), "%s", om_stmt_col_text(st, 1));
		s.since = om_stmt_col_int64(st, 2);
		snprintf(s.owner, sizeof(s.owner), "%s", om_stmt_col_text(st, 3));
		s.sequence = (uint32_t)om_stmt_col_int64(st, 4);
		s.left = om_stmt_col_int64(st, 5);
		snprintf(s.left_to, sizeof(s.left_to), "%s", om_stmt_col_text(st, 6));
		snprintf(s.left_request, sizeof(s.left_request), "%s", om_stmt_col_text(st, 7));
		fn(ctx, &s);
		n++;
	}
	om_stmt_reset(st);
	return r < 0 ? r : n;
}

int drf_departures(struct drf *d, int64_t after_left, const char *after_tre_id, unsigned after_n, unsigned limit,
		   drf_departure_fn fn, void *ctx)
{
	int r, n = 0;
	if (!d || !after_tre_id || !fn || limit == 0 || limit > DRF_DEPARTURES_PAGE)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_DEPARTURES];
	for (r = om_stmt_query(st, OM_BIND(OM_INT(after_left), OM_TEXT(after_tre_id), OM_INT(after_n), OM_INT(limit)));
	     r == OM_STORE_ROW; r = om_stmt_step(st)) {
		struct drf_stay s;
		char tre_id[OM_TRE_ID_MAX + 1];
		memset(&s, 0, sizeof(s));
		snprintf(tre_id, sizeof(tre_id), "%s", om_stmt_col_text(st, 0));
		s.n = (unsigned)om_stmt_col_int64(st, 1);
		s.left = om_stmt_col_int64(st, 2);
		snprintf(s.left_to, sizeof(s.left_to), "%s", om_stmt_col_text(st, 3));
		snprintf(s.left_request, sizeof(s.left_request), "%s", om_stmt_col_text(st, 4));
		snprintf(s.imsi, sizeof(s.imsi), "%s", om_stmt_col_text(st, 5));
		fn(ctx, tre_id, &s);
		n++;
	}
	om_stmt_reset(st);
	return r < 0 ? r : n;
}

int drf_pending_list(struct drf *d, drf_pending_fn fn, void *ctx)
{
	int r, n = 0;
	if (!d || !fn)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_PENDING];
	for (r = om_stmt_query(st, OM_NOBIND); r == OM_STORE_ROW; r = om_stmt_step(st)) {
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
	om_stmt_reset(st);
	return r < 0 ? r : n;
}
