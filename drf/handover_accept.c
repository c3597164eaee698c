/* SPDX-License-Identifier: Apache-2.0 */
/*
 * B.2.3.2 step 2 at the current SHO: a handover request from the new SHO
 * becomes a bootstrap signed by us (B.2.3.3), or a refusal with a reason
 * that changes nothing. The order of the checks is in docs/drf.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/outcome.h>
#include <openmcim/pki.h>

#include "drf_int.h"
#include "drf_state.h"
#include "log.h"
#include "metrics.h"

struct ctx {
	struct drf *d;
	struct om_handover_req req;
	EVP_PKEY *sender_key;
	uint8_t *sender_cert;
	size_t sender_cert_len;
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	int64_t code_id;
	uint32_t last_seq;
};

/* docs/operate.md "Metrics" */
static struct om_metric m_handovers = OM_COUNTER("openmcim_drf_handovers_total",
	"Handover requests from other operators, by result (accepted, retry, refused)", "result");
static struct om_metric m_refused = OM_COUNTER("openmcim_drf_refusals_total",
	"Handover requests and completions refused, by error code", "code");
static struct om_metric m_handover_s =
	OM_HISTOGRAM("openmcim_drf_handover_seconds", "Time to decide a handover request, by result", "result");
static struct om_metric m_completed = OM_COUNTER("openmcim_drf_completions_total",
	"Completion reports from the new SHO's DPF (Note Z), by result", "result");

static int refuse(const struct ctx *c, int code, const char *why)
{
	om_metric_inc_err(&m_refused, code);
	om_notice("drf-handover-refused", "sender=%s request=%s tre_id=%s reason=%s code=%s", c->sender,
		  c->req.request_id[0] ? c->req.request_id : "-", c->req.tre_id[0] ? c->req.tre_id : "-", why,
		  om_errname(code));
	return code;
}

/* The sender's registered SHO_SIGNING certificate and its key. */
static int load_sender(struct ctx *c)
{
	struct om_stmt *st = c->d->stmt[DRF_SQL_OP_CERT];
	X509 *cert = NULL;
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(c->sender)));
	if (r != OM_STORE_ROW)
		return r < 0 ? r : OM_EDRF_OPERATOR;
	size_t len = 0;
	const uint8_t *der = om_stmt_col_blob(st, 0, &len);
	r = OM_ENOMEM;
	if (!(c->sender_cert = malloc(len ? len : 1)))
		goto out;
	memcpy(c->sender_cert, der, len);
	c->sender_cert_len = len;
	r = OM_EDRF_CERT;
	if (om_cert_decode(&cert, OM_ENC_DER, c->sender_cert, len) < 0 || !(c->sender_key = X509_get_pubkey(cert)))
		goto out;
	r = 0;
out:
	X509_free(cert);
	om_stmt_reset(st);
	return r;
}

/* A retry: the stored bootstrap of (sender, request_id), 1 if found. */
static int find_retry(struct ctx *c, uint8_t **bs, size_t *bs_len, uint32_t *seq)
{
	struct om_stmt *st = c->d->stmt[DRF_SQL_HO_FIND];
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(c->sender), OM_TEXT(c->req.request_id)));
	if (r != OM_STORE_ROW)
		return r; /* 0 (not a retry) or an error */
	if (strcmp(om_stmt_col_text(st, 0), c->req.tre_id) != 0) {
		r = OM_EDRF_REQUEST_ID;
		goto out;
	}
	size_t len = 0;
	const void *b = om_stmt_col_blob(st, 1, &len);
	r = OM_ENOMEM;
	if (!(*bs = malloc(len ? len : 1)))
		goto out;
	if (len) /* a completed handover's document is pruned: nothing to copy */
		memcpy(*bs, b, len);
	*bs_len = len;
	*seq = (uint32_t)om_stmt_col_int64(st, 2);
	r = 1;
out:
	om_stmt_reset(st);
	return r;
}

/* Device known, ours and not locked; its last sequence into c. */
static int check_device(struct ctx *c, int64_t now)
{
	struct om_stmt *st = c->d->stmt[DRF_SQL_DEV_CHECK];
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(c->req.tre_id)));
	if (r != OM_STORE_ROW)
		return r < 0 ? r : OM_EDRF_DEVICE;
	if (om_stmt_col_int64(st, 0) != 1)
		r = OM_EDRF_NOT_OURS;
	else if (om_stmt_col_int64(st, 1) > now)
		r = OM_EDRF_LOCKED;
	else
		r = 0;
	c->last_seq = (uint32_t)om_stmt_col_int64(st, 2);
	om_stmt_reset(st);
	return r;
}

/*
 * The request's code proof against every code issued for the device: the
 * hashes are compared in constant time and every row is hashed, match or not.
 */
static int check_code(struct ctx *c, int64_t now)
{
	struct om_stmt *st = c->d->stmt[DRF_SQL_CODES_OF];
	uint8_t h[DRF_HASH_LEN];
	int r, found = 0, used = 0, expired = 0;
	for (r = om_stmt_query(st, OM_BIND(OM_TEXT(c->req.tre_id))); r == OM_STORE_ROW; r = om_stmt_step(st)) {
		size_t sl = 0, hl = 0;
		const uint8_t *salt = om_stmt_col_blob(st, 1, &sl), *stored = om_stmt_col_blob(st, 2, &hl);
		if (sl != DRF_SALT_LEN || hl != DRF_HASH_LEN)
			continue;
		if ((r = drf_code_hash(salt, c->req.code_proof, h)) < 0)
			goto out;
		if (CRYPTO_memcmp(h, stored, DRF_HASH_LEN) == 0 && !found) {
			found = 1;
			c->code_id = om_stmt_col_int64(st, 0);
			expired = om_stmt_col_int64(st, 3) <= now;
			used = om_stmt_col_int64(st, 4) != 0;
		}
	}
	if (r < 0)
		goto out;
	r = !found ? OM_EDRF_CODE : used ? OM_EDRF_CODE_USED : expired ? OM_EDRF_CODE_EXPIRED : 0;
out:
	om_stmt_reset(st);
	OPENSSL_cleanse(h, sizeof(h));
	return r;
}

/* Code used, sequence assigned, bootstrap built and recorded: inside the caller's transaction. */
static int accept(struct ctx *c, int64_t now, uint8_t **bs, size_t *bs_len, uint32_t *seq)
{
	struct om_bootstrap b;
	int r;
	/* above both our last and our clock, so it also tops the previous operator's (docs/drf.md) */
	uint64_t next = (uint64_t)c->last_seq + 1;
	if (now > 0 && (uint64_t)now > next)
		next = (uint64_t)now;
	if (next > UINT32_MAX)
		return OM_EDRF_SEQUENCE;
	memset(&b, 0, sizeof(b));
	memcpy(b.provurl, c->req.provurl, sizeof(b.provurl));
	memcpy(b.server_id, c->req.server_id, sizeof(b.server_id));
	memcpy(b.apn, c->req.apn, sizeof(b.apn));
	b.sequence = (uint32_t)next;
	b.sho_cert = c->req.sho_cert;
	b.sho_cert_len = c->req.sho_cert_len;
	b.creds = c->req.creds;
	b.creds_len = c->req.creds_len;
	uint8_t digest[32];
	/* spec/000 5.2.2.3.2 step 7: our certificate's status goes with what we sign */
	if (c->d->status_file) {
		if ((r = drf_signer_status(c->d, now, &b.signer_status, &b.signer_status_len)) < 0)
			return r;
		b.signer_issuer = c->d->issuer_der;
		b.signer_issuer_len = c->d->issuer_der_len;
	}
	r = om_bootstrap_build_signed(&b, c->d->sign_key, c->d->sign_cert, bs, bs_len);
	free(b.signer_status);
	if (r < 0)
		return r;
	/* what the register keeps of the document once the handover completed (docs/drf.md "Schema") */
	if (!EVP_Digest(*bs, *bs_len, digest, NULL, EVP_sha256(), NULL)) {
		r = OM_ECRYPTO;
		goto out;
	}
	if ((r = om_stmt_exec(c->d->stmt[DRF_SQL_CODE_USE],
			      OM_BIND(OM_INT(c->code_id), OM_TEXT(c->sender), OM_TEXT(c->req.request_id)))) < 0)
		goto out;
	if (om_store_changes(c->d->db) != 1) {
		r = OM_EDRF_CODE_USED;
		goto out;
	}
	const char *accepted = NULL; /* drf_state.h: a new handover's move */
	if ((r = drf_handover_next(DRF_STATE_NEW, DRF_HO_ACCEPT, &accepted)) < 0 ||
	    (r = om_stmt_exec(c->d->stmt[DRF_SQL_DEV_SET_SEQ], OM_BIND(OM_TEXT(c->req.tre_id), OM_INT(next)))) < 0 ||
	    (r = om_stmt_exec(c->d->stmt[DRF_SQL_HO_ADD],
			      OM_BIND(OM_TEXT(c->sender), OM_TEXT(c->req.request_id), OM_TEXT(c->req.tre_id), OM_INT(next),
				      OM_BLOB(*bs, *bs_len), OM_INT(now), OM_BLOB(digest, sizeof(digest)),
				      OM_TEXT(accepted)))) < 0)
		goto out;
	*seq = (uint32_t)next;
	r = 0;
out:
	if (r < 0) {
		free(*bs);
		*bs = NULL;
		*bs_len = 0;
	}
	return r;
}

int drf_handover(struct drf *d, const uint8_t *in, size_t in_len, int64_t now, uint8_t **bs, size_t *bs_len,
		 uint32_t *seq)
{
	char rid[OM_HANDOVER_ID_MAX + 1];
	return drf_handover_id(d, in, in_len, now, bs, bs_len, seq, rid);
}

int drf_handover_id(struct drf *d, const uint8_t *in, size_t in_len, int64_t now, uint8_t **bs, size_t *bs_len,
		    uint32_t *seq, char request_id[static OM_HANDOVER_ID_MAX + 1])
{
	struct ctx c;
	int r, in_txn = 0;
	const char *why = "";
	const struct timespec t0 = om_metric_start();

	if (!d || !in || !bs || !bs_len || !seq || !request_id)
		return OM_EINVAL;
	request_id[0] = '\0';
	*bs = NULL;
	*bs_len = 0;
	*seq = 0;
	memset(&c, 0, sizeof(c));
	c.d = d;
	strcpy(c.sender, "?");
	if (!d->sign_key || !d->sign_cert)
		return refuse(&c, OM_EDRF_CONFIG, "no-signing-key");
	if ((r = om_handover_peek_sender(in, in_len, c.sender)) < 0) {
		strcpy(c.sender, "?");
		return refuse(&c, r, "malformed");
	}
	/* the write lock from here on: the checks and the acceptance see one state */
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		goto out;
	in_txn = 1;
	if ((r = load_sender(&c)) < 0) {
		why = r == OM_EDRF_OPERATOR ? "unknown-operator" : "operator-cert";
		goto out;
	}
	if ((r = om_handover_verify(in, in_len, c.sender_key, &c.req)) < 0) {
		why = "signature-or-format";
		goto out;
	}
	if ((r = find_retry(&c, bs, bs_len, seq)) != 0) {
		why = "request-id-reused";
		if (r == 1) {
			om_info("drf-handover-retry", "sender=%s request=%s tre_id=%s sequence=%u", c.sender,
				c.req.request_id, c.req.tre_id, *seq);
			om_metric_inc(&m_handovers, "retry");
			r = 0;
		}
		goto out;
	}
	if (c.req.sho_cert_len != c.sender_cert_len ||
	    CRYPTO_memcmp(c.req.sho_cert, c.sender_cert, c.sender_cert_len) != 0) {
		r = OM_EDRF_CERT;
		why = "cert-sho-not-the-senders";
		goto out;
	}
	if ((r = check_device(&c, now)) < 0) {
		why = r == OM_EDRF_DEVICE ? "unknown-device" : r == OM_EDRF_NOT_OURS ? "not-ours" : "contract-lock";
		goto out;
	}
	if ((r = check_code(&c, now)) < 0) {
		why = r == OM_EDRF_CODE ? "code-wrong" : r == OM_EDRF_CODE_USED ? "code-used" : "code-expired";
		goto out;
	}
	if (c.req.created < now - d->freshness_s || c.req.created > now + d->freshness_s) {
		r = OM_EDRF_STALE;
		why = "stale";
		goto out;
	}
	if ((r = accept(&c, now, bs, bs_len, seq)) < 0) {
		why = "accept";
		goto out;
	}
	in_txn = 0;
	if ((r = om_store_commit(d->db)) < 0) {
		why = "commit";
		free(*bs);
		*bs = NULL;
		*bs_len = 0;
		*seq = 0;
		goto out;
	}
	om_info("drf-handover-accept", "sender=%s request=%s tre_id=%s sequence=%u bootstrap_len=%zu", c.sender,
		c.req.request_id, c.req.tre_id, *seq, *bs_len);
	om_metric_inc(&m_handovers, "accepted");
	om_metric_observe_since(&m_handover_s, "accepted", &t0);
out:
	if (in_txn) /* a retry or a refusal: nothing to keep */
		om_store_rollback(d->db);
	if (r < 0) {
		refuse(&c, r, why);
		om_metric_inc(&m_handovers, "refused");
		om_metric_observe_since(&m_handover_s, "refused", &t0);
	}
	if (r == 0)
		snprintf(request_id, OM_HANDOVER_ID_MAX + 1, "%s", c.req.request_id);
	om_handover_free(&c.req);
	EVP_PKEY_free(c.sender_key);
	free(c.sender_cert);
	return r;
}

/* What the register says about a handover and its device, for the completion. */
struct completion {
	char state[16]; /* the handover's (drf_state.h) */
	char tre_id[OM_TRE_ID_MAX + 1], imsi[DRF_IMSI_MAX + 1];
	uint32_t sequence;
	int64_t accepted;
	uint64_t counter;
	int64_t stay, current_stay; /* the stay the handover was accepted in, and the device's now */
	EVP_PKEY *tre_key; /* Cert_TRE (signing)'s key; NULL when none is on record */
};

static int completion_read(struct drf *d, const char *sender, const char *request_id, struct completion *c)
{
	struct om_stmt *st = d->stmt[DRF_SQL_COMPLETION];
	size_t l = 0;
	memset(c, 0, sizeof(*c));
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(sender), OM_TEXT(request_id)));
	if (r != OM_STORE_ROW)
		return r < 0 ? r : OM_EDRF_STATE;
	snprintf(c->state, sizeof(c->state), "%s", om_stmt_col_text(st, 0));
	snprintf(c->tre_id, sizeof(c->tre_id), "%s", om_stmt_col_text(st, 1));
	snprintf(c->imsi, sizeof(c->imsi), "%s", om_stmt_col_text(st, 2));
	c->sequence = (uint32_t)om_stmt_col_int64(st, 3);
	c->accepted = om_stmt_col_int64(st, 4);
	c->counter = (uint64_t)om_stmt_col_int64(st, 5);
	c->stay = om_stmt_col_int64(st, 7);
	c->current_stay = om_stmt_col_int64(st, 8);
	const void *der = om_stmt_col_blob(st, 6, &l);
	/* checked on the way in (drf_device_arrive): the key alone, not OpenSSL's whole decoding (issue 14);
	 * unreadable now is corruption, and refuses */
	if (der && l && om_cert_pubkey_decode(&c->tre_key, der, l) < 0)
		c->tre_key = NULL;
	om_stmt_reset(st);
	return 0;
}

/* The IMSI of the stay the handover was accepted in (our own handover: the device has a new one since). */
static int stay_imsi(struct drf *d, struct completion *c)
{
	struct om_stmt *st = d->stmt[DRF_SQL_STAY_IMSI];
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(c->tre_id), OM_INT(c->stay)));
	if (r == OM_STORE_ROW)
		snprintf(c->imsi, sizeof(c->imsi), "%s", om_stmt_col_text(st, 0));
	om_stmt_reset(st);
	return r == OM_STORE_ROW ? 0 : r < 0 ? r : OM_EDRF_STATE;
}

/* The TRE's statement against this handover (drf.h). 0 or a code with *why. */
static int statement_check(const struct completion *c, const uint8_t *stmt, size_t len, struct om_outcome *o,
			   const char **why)
{
	int r;
	if (!c->tre_key) {
		*why = "no-cert-tre-on-record";
		return OM_EDRF_OUTCOME;
	}
	if (!stmt || (r = om_outcome_verify(stmt, len, c->tre_key, o)) < 0) {
		*why = "statement-not-the-tre's";
		return OM_EDRF_OUTCOME;
	}
	if (strcmp(o->tre_id, c->tre_id) || o->sequence != c->sequence || o->time < c->accepted - DRF_OUTCOME_SKEW ||
	    !strcmp(o->imsi, c->imsi)) {
		*why = "statement-of-another-handover";
		return OM_EDRF_OUTCOME_BINDING;
	}
	if (o->outcome != OM_OUTCOME_ACTIVE) {
		*why = "statement-says-fallback";
		return OM_EDRF_OUTCOME_FALLBACK;
	}
	/* threats 1.10: a TRE whose integrity check failed is not released to, whatever its new
	 * SHO says (the DPF refuses it too; the DRF acts on the statement, not on the SHO's word) */
	if (o->n_blocked) {
		*why = "tre-reports-blocked-mids";
		return OM_EDRF_TRE_BLOCKED;
	}
	if (o->counter < c->counter || o->counter > INT64_MAX) {
		*why = "older-copy-of-the-tre";
		return OM_EDRF_COUNTER;
	}
	return 0;
}

int drf_handover_completed(struct drf *d, const char *sender, const char *request_id, const uint8_t *statement,
			   size_t statement_len, int64_t now)
{
	struct completion c;
	struct om_outcome o;
	const char *why = "unknown-handover";
	int r;
	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	if (!d || !sender || !request_id)
		return OM_EINVAL;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = completion_read(d, sender, request_id, &c)) < 0)
		goto out;
	/* our own handover (we are the device's RO and its SHO): its arrival ended that stay (register.c
	 * self_leave), so the completion of that stay releases that stay's IMSI and moves nothing else */
	int self = c.stay != c.current_stay && d->self_id[0] && !strcmp(sender, d->self_id);
	if (self && (r = stay_imsi(d, &c)) < 0)
		goto out;
	/* issue 12: the release rests on what the TRE signed, not on what the new SHO says */
	if ((r = statement_check(&c, statement, statement_len, &o, &why)) < 0)
		goto out;
	const char *to = NULL; /* the one table (drf_state.h) */
	if ((r = drf_handover_next(c.state, DRF_HO_COMPLETE, &to)) < 0) {
		why = "no-such-move";
		goto out;
	}
	if (!strcmp(to, c.state)) {
		r = 0; /* reported before: idempotent */
		goto out;
	}
	/* issue 20: the device left us and came back since; a handover of that earlier stay moves nothing now */
	if (c.stay != c.current_stay && !self) {
		r = OM_EDRF_STATE;
		why = "handover-of-an-earlier-stay";
		goto out;
	}
	if ((r = om_stmt_exec(d->stmt[DRF_SQL_HO_COMPLETE], OM_BIND(OM_TEXT(sender), OM_TEXT(request_id), OM_INT(now),
								     OM_TEXT(to), OM_TEXT(c.state)))) < 0)
		goto out;
	if (om_store_changes(d->db) != 1) {
		r = OM_EDRF_STATE;
		why = "moved-meanwhile";
		goto out;
	}
	if (!self &&
	    ((r = om_stmt_exec(d->stmt[DRF_SQL_STAY_LEAVE],
			       OM_BIND(OM_TEXT(c.tre_id), OM_INT(now), OM_TEXT(sender), OM_TEXT(request_id)))) < 0 ||
	     (r = om_stmt_exec(d->stmt[DRF_SQL_DEV_RELEASE], OM_BIND(OM_TEXT(c.tre_id), OM_INT(o.counter)))) < 0 ||
	     (r = om_stmt_exec(d->stmt[DRF_SQL_CODES_VOID], OM_BIND(OM_TEXT(c.tre_id), OM_INT(now)))) < 0))
		goto out;
	/* Note Z: the old subscription's removal after the grace period (the removal table's queue move) */
	if ((r = drf_removal_queue(d, c.imsi, c.tre_id, now + d->grace_s, DRF_RM_QUEUE_MOVED, now)) < 0)
		goto out;
	if ((r = om_store_commit(d->db)) == 0)
		om_metric_inc(&m_completed, "completed");
	if (r == 0)
		om_info("drf-handover-completed",
			"sender=%s request=%s tre_id=%s imsi=%s new_imsi=%s counter=%llu removal_due=%lld", sender,
			request_id, c.tre_id, c.imsi, o.imsi, (unsigned long long)o.counter,
			(long long)(now + d->grace_s));
	EVP_PKEY_free(c.tre_key);
	return r;
out:
	om_store_rollback(d->db);
	if (r < 0) {
		om_notice("drf-completed-refused", "sender=%s request=%s reason=%s code=%s", sender, request_id, why,
			  om_errname(r));
		om_metric_inc(&m_completed, "refused");
		om_metric_inc_err(&m_refused, r);
	}
	EVP_PKEY_free(c.tre_key);
	return r;
}
