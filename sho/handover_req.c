/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handover request towards the current SHO (spec/002 B.2.3.2 step 2):
 * {TRE_id, PROVURL, Cert_SHO[i+1], PuK_TRE(DM credentials, nonceA)} with
 * the proof of the owner's transfer code, signed by this SHO (handover.h).
 * It is made once per attempt and stored: a retry gets the same bytes, so
 * the current SHO sees one request id however often the network fails. The
 * code itself is never stored here, in the request or beside it: only its
 * proof, which the current SHO's DRF checks against its salted hash of it
 * and which opens nothing once the code is used (single use).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <openmcim/bootstrap.h>
#include <openmcim/dm.h>
#include <openmcim/handover.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>

#include "device_state.h"
#include "hss_link.h"
#include "log.h"
#include "sho_int.h"

#define PASSWORD_LEN 24 /* 144 bits */

/* What the two tables say about one device. */
struct dev_view {
	char owner_id[SHO_OWNER_ID_MAX + 1];
	char state[SHO_STATE_MAX + 1];
	uint8_t *cert_enc;
	size_t cert_enc_len;
	int has_handover;
	char request_id[OM_HANDOVER_ID_MAX + 1];
	uint8_t code_hash[32];
	uint8_t *request;
	size_t request_len;
};

static void view_free(struct dev_view *v)
{
	free(v->cert_enc);
	free(v->request);
	memset(v, 0, sizeof(*v));
}

static uint8_t *dup_blob(const void *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (b && n)
		memcpy(b, p, n);
	return b;
}

static int load_view(struct sho *s, const char *tre_id, struct dev_view *v)
{
	struct om_stmt *st = s->stmt[SHO_SQL_VIEW];
	memset(v, 0, sizeof(*v));
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_DONE)
		rc = OM_ESHO_NOT_FOUND;
	if (rc == OM_STORE_ROW) {
		size_t n = 0;
		const void *p;
		snprintf(v->owner_id, sizeof(v->owner_id), "%s", om_stmt_col_text(st, 0));
		snprintf(v->state, sizeof(v->state), "%s", om_stmt_col_text(st, 1));
		p = om_stmt_col_blob(st, 2, &n);
		v->cert_enc = dup_blob(p, n);
		v->cert_enc_len = n;
		v->has_handover = !om_stmt_col_is_null(st, 3);
		rc = v->cert_enc ? 0 : OM_ENOMEM;
		if (v->has_handover) {
			snprintf(v->request_id, sizeof(v->request_id), "%s", om_stmt_col_text(st, 3));
			p = om_stmt_col_blob(st, 4, &n);
			if (n == 32)
				memcpy(v->code_hash, p, 32);
			p = om_stmt_col_blob(st, 5, &n);
			v->request = dup_blob(p, n);
			v->request_len = n;
			rc = v->request ? rc : OM_ENOMEM;
		}
	}
	om_stmt_reset(st);
	if (rc < 0)
		view_free(v);
	return rc;
}

/* A random version-4 UUID in text form (RFC 9562 5.4). */
static int new_request_id(char out[static OM_HANDOVER_ID_MAX + 1])
{
	uint8_t u[16];
	if (RAND_bytes(u, sizeof(u)) != 1)
		return OM_ERANDOM;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(out, OM_HANDOVER_ID_MAX + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
		 u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

static int new_creds(const char *tre_id, struct om_dm_creds *c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t r[PASSWORD_LEN];
	memset(c, 0, sizeof(*c));
	snprintf(c->username, sizeof(c->username), "%s", tre_id);
	if (RAND_priv_bytes(r, sizeof(r)) != 1 || RAND_bytes(c->nonce_a, sizeof(c->nonce_a)) != 1)
		return OM_ERANDOM;
	for (size_t i = 0; i < PASSWORD_LEN; i++)
		c->password[i] = alphabet[r[i] & 63];
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

/* PuK_TRE(DM credentials, nonceA) into r->creds (B.2.3.2, protected with B.2.3.6). */
static int seal_creds(const struct dev_view *v, const struct om_dm_creds *c, struct om_handover_req *r)
{
	uint8_t plain[3 * (2 + OM_BOOTSTRAP_NAME_MAX) + 8];
	EVP_PKEY *puk = NULL;
	int rc, len, plen;
	/* checked at registration: the key alone, not OpenSSL's whole decoding (issue 14) */
	if ((rc = om_cert_pubkey_decode(&puk, v->cert_enc, v->cert_enc_len)) < 0)
		return rc;
	if ((rc = plen = om_dm_creds_encode(c, plain, sizeof(plain))) < 0)
		goto out;
	if ((rc = len = om_protect_sealed_len(puk, OM_PROTECT_AES256CBC_HMACSHA256, (size_t)plen)) < 0)
		goto out;
	if (!(r->creds = malloc((size_t)len))) {
		rc = OM_ENOMEM;
		goto out;
	}
	rc = om_protect_seal(puk, OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_DM_CREDENTIALS, plain, (size_t)plen,
			     r->creds, (size_t)len);
	r->creds_len = rc > 0 ? (size_t)rc : 0;
	rc = rc < 0 ? rc : 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_PKEY_free(puk);
	return rc;
}

static int store_request(struct sho *s, const char *tre_id, const char *owner_id, const struct om_handover_req *r,
			 const uint8_t hash[32], const struct om_dm_creds *c, const uint8_t *bytes, size_t len)
{
	int64_t now = sho_now();
	char digest[OM_DM_B64_MD5_LEN + 1];
	/* only what the DPF's side of OMA DM authentication needs: the password leaves with the request, sealed
	 * for the TRE, and is never stored (issue 12; docs/dm.md "What the SHO keeps") */
	int rc = om_dm_md5_inner(c->username, c->password, digest);
	if (rc < 0)
		return rc;
	rc = om_store_begin(s->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_HO_DELETE], OM_BIND(OM_TEXT(tre_id)));
	if (rc == 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_HO_ADD],
				  OM_BIND(OM_TEXT(tre_id), OM_TEXT(r->request_id), OM_BLOB(hash, 32), OM_BLOB(bytes, len),
					  OM_TEXT(c->username), OM_TEXT(digest), OM_BLOB(c->nonce_a, sizeof(c->nonce_a)),
					  OM_INT(now)));
	if (rc == 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_REQUESTED], OM_BIND(OM_TEXT(tre_id), OM_INT(now)));
	if (rc == 0)
		rc = sho_event_add(s, tre_id, owner_id, now, "handover_requested", r->request_id);
	OPENSSL_cleanse(digest, sizeof(digest));
	if (rc >= 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	return rc < 0 ? rc : 0;
}

static int make_request(struct sho *s, const char *tre_id, const struct dev_view *v, const uint8_t proof[32],
			uint8_t **out, size_t *out_len)
{
	struct om_handover_req r;
	struct om_dm_creds c;
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	int rc;
	memset(&r, 0, sizeof(r));
	if ((rc = new_request_id(r.request_id)) < 0 || (rc = new_creds(tre_id, &c)) < 0)
		goto out;
	snprintf(r.tre_id, sizeof(r.tre_id), "%s", tre_id);
	snprintf(r.new_sho_id, sizeof(r.new_sho_id), "%s", s->sho_id);
	snprintf(r.provurl, sizeof(r.provurl), "%s", s->provurl);
	snprintf(r.server_id, sizeof(r.server_id), "%s", s->server_id);
	snprintf(r.apn, sizeof(r.apn), "%s", s->dpf_apn);
	memcpy(r.code_proof, proof, sizeof(r.code_proof));
	r.created = sho_now();
	if ((rc = om_cert_encode(s->sign_cert, OM_ENC_DER, &cert, &cert_len)) < 0)
		goto out;
	if (!(r.sho_cert = dup_blob(cert, cert_len))) {
		rc = OM_ENOMEM;
		goto out;
	}
	r.sho_cert_len = cert_len;
	if ((rc = seal_creds(v, &c, &r)) < 0 || (rc = om_handover_build_signed(&r, s->sign_key, out, out_len)) < 0)
		goto out;
	if ((rc = store_request(s, tre_id, v->owner_id, &r, proof, &c, *out, *out_len)) < 0) {
		free(*out);
		*out = NULL;
		goto out;
	}
	om_debug("handover-request", "tre_id=%s request_id=%s current_sho_bytes=%zu", tre_id, r.request_id, *out_len);
out:
	om_pki_free(cert, cert_len);
	om_dm_creds_clear(&c);
	om_handover_free(&r);
	return rc;
}

int sho_handover_request(struct sho *s, const char *owner_id, const char *secret, const char *tre_id,
			 const char *transfer_code, uint8_t **out, size_t *out_len)
{
	uint8_t hash[32];
	if (!s || !tre_id || !out || !out_len)
		return OM_EINVAL;
	/* the code's form before the secret, as always: a malformed code costs no scrypt */
	int rc = transfer_code && om_handover_code_proof(tre_id, transfer_code, hash) == 0 ? 0 : OM_ESHO_NOTE;
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == 0 && (rc = sho_need_handover_config(s, NULL, 0)) == 0 && (rc = sho_owner_check(s, owner_id, secret)) < 0)
		return rc;
	return sho_handover_request_as(s, owner_id, tre_id, transfer_code, out, out_len);
}

int sho_handover_request_as(struct sho *s, const char *owner_id, const char *tre_id, const char *transfer_code,
			    uint8_t **out, size_t *out_len)
{
	uint8_t hash[32]; /* the code's proof: what the request carries and a retry must match */
	if (!s || !owner_id || !tre_id || !out || !out_len)
		return OM_EINVAL;
	int ok = transfer_code && om_handover_code_proof(tre_id, transfer_code, hash) == 0;
	int rc = sho_handover_request_proof(s, owner_id, tre_id, ok ? hash : NULL, out, out_len);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

int sho_handover_request_proof(struct sho *s, const char *owner_id, const char *tre_id,
			       const uint8_t proof[OM_HANDOVER_PROOF_LEN], uint8_t **out, size_t *out_len)
{
	struct dev_view v;
	uint8_t hash[32]; /* the code's proof: what the request carries and a retry must match */
	int rc;
	if (!s || !owner_id || !tre_id || !out || !out_len)
		return OM_EINVAL;
	if (!proof) {
		om_notice("handover-refused", "tre_id=%.63s reason=\"transfer code missing or malformed\"", tre_id);
		return OM_ESHO_NOTE;
	}
	memcpy(hash, proof, sizeof(hash));
	if ((rc = sho_need_handover_config(s, NULL, 0)) < 0) {
		OPENSSL_cleanse(hash, sizeof(hash));
		return rc;
	}
	if ((rc = load_view(s, tre_id, &v)) < 0) {
		OPENSSL_cleanse(hash, sizeof(hash));
		return rc;
	}
	if (strcmp(v.owner_id, owner_id)) {
		rc = OM_ESHO_NOT_FOUND; /* another owner's device is no business of this one */
		goto out;
	}
	if (!strcmp(v.state, "handover_requested") && v.has_handover) {
		if (CRYPTO_memcmp(hash, v.code_hash, 32)) {
			rc = OM_ESHO_STATE;
			goto out;
		}
		if (!(*out = dup_blob(v.request, v.request_len))) {
			rc = OM_ENOMEM;
			goto out;
		}
		*out_len = v.request_len;
		om_info("handover-request", "tre_id=%s request_id=%s repeat=1", tre_id, v.request_id);
		goto out;
	}
	const char *to;
	if ((rc = sho_dev_next(v.state, SHO_EV_REQUEST, &to)) < 0 || !strcmp(to, v.state)) {
		rc = OM_ESHO_STATE; /* a retry of a request needs its stored one and the same code: above */
		goto out;
	}
	/* issue 20: after a fallback its subscription is suspended and on its way out: register it again */
	struct sho_device_status now_st;
	if (!strcmp(v.state, "refused") && sho_status(s, tre_id, &now_st) == 0 &&
	    !strcmp(now_st.reason, SHO_FELL_BACK_REASON)) {
		rc = OM_ESHO_STATE;
		goto out;
	}
	rc = make_request(s, tre_id, &v, hash, out, out_len);
out:
	if (rc < 0)
		om_notice("handover-refused", "tre_id=%.63s state=%s code=%s", tre_id, v.state, om_errname(rc));
	view_free(&v);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

/*
 * Move tre_id by ev as the table says (device_state.h), with reason; a step
 * already taken is accepted as done and writes nothing. A sequence other
 * than 0 is request_id's bootstrap sequence, written in the same durable
 * transaction as the move (one commit: issue 14).
 */
static int transition(struct sho *s, const char *tre_id, const char *request_id, enum sho_dev_event ev,
		      const char *reason, uint32_t sequence)
{
	struct dev_view v;
	const char *to;
	int rc;
	if (!s || !tre_id)
		return OM_EINVAL;
	if ((rc = load_view(s, tre_id, &v)) < 0)
		return rc;
	if (request_id && (!v.has_handover || strcmp(v.request_id, request_id))) {
		rc = OM_ESHO_STATE;
		goto out;
	}
	if ((rc = sho_dev_next(v.state, ev, &to)) < 0 || !strcmp(to, v.state))
		goto out; /* refused, or the same answer or step again */
	if ((rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		goto out;
	if (sequence && request_id &&
	    (rc = om_stmt_exec(s->stmt[SHO_SQL_HO_SEQUENCE],
			       OM_BIND(OM_TEXT(tre_id), OM_TEXT(request_id), OM_INT(sequence)))) == 0 &&
	    om_store_changes(s->store) != 1)
		rc = OM_ESHO_STATE;
	if (rc >= 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_TRANSITION], OM_BIND(OM_TEXT(tre_id), OM_TEXT(to),
								 OM_TEXT(reason ? reason : ""), OM_INT(sho_now()),
								 OM_TEXT(v.state)));
	/* moved meanwhile by another handle (the owners' API unlocks during the DRF call, move.c): no step taken */
	if (rc >= 0 && om_store_changes(s->store) != 1)
		rc = OM_ESHO_STATE;
	if (rc >= 0)
		rc = sho_event_add(s, tre_id, v.owner_id, sho_now(), to, reason ? reason : "");
	if (rc >= 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	rc = rc < 0 ? rc : 0;
	/* the current SHO's answer is move.c's sho-handover line (one line per event) */
	if (rc == 0)
		om_log(ev == SHO_EV_ACCEPT || ev == SHO_EV_REFUSE ? OM_LOG_DEBUG : OM_LOG_INFO, "device-state",
		       "tre_id=%s from=%s to=%s", tre_id, v.state, to);
out:
	view_free(&v);
	return rc;
}

int sho_handover_answer(struct sho *s, const char *tre_id, const char *request_id, int accepted, const char *reason)
{
	if (!request_id)
		return OM_EINVAL;
	if (!accepted && reason) {
		size_t n = strlen(reason);
		for (size_t i = 0; i < n; i++)
			if (reason[i] < ' ' || reason[i] > '~')
				return OM_ESHO_NOTE;
		if (n > SHO_REASON_MAX)
			return OM_ESHO_NOTE;
	}
	if (accepted)
		return transition(s, tre_id, request_id, SHO_EV_ACCEPT, NULL, 0);
	return transition(s, tre_id, request_id, SHO_EV_REFUSE, reason ? reason : "refused", 0);
}

int sho_handover_accepted(struct sho *s, const char *tre_id, const char *request_id, uint32_t sequence)
{
	if (!request_id)
		return OM_EINVAL;
	return transition(s, tre_id, request_id, SHO_EV_ACCEPT, NULL, sequence);
}

int sho_mark_provisioned(struct sho *s, const char *tre_id)
{
	return transition(s, tre_id, NULL, SHO_EV_PROVISIONED, NULL, 0);
}

int sho_mark_active(struct sho *s, const char *tre_id)
{
	return transition(s, tre_id, NULL, SHO_EV_ACTIVE, NULL, 0);
}

/* The operator's last word on the subscription: 1 when its last suspend/resume was a suspend, 0, or a store code. */
static int suspended_by_operator(struct sho *s, const char *owner_id, const char *tre_id)
{
	struct om_stmt *st = s->stmt[SHO_SQL_ADMIN_WORD];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id), OM_TEXT(owner_id)));
	if (rc == OM_STORE_ROW)
		rc = !strcmp(om_stmt_col_text(st, 0), "suspended");
	else if (rc == OM_STORE_DONE)
		rc = 0;
	om_stmt_reset(st);
	return rc;
}

int sho_activate(struct sho *s, const char *tre_id, char *why, size_t wl)
{
	struct sho_device_status st;
	int rc, answered = 0, suspended = 0;
	if (!s || !tre_id)
		return OM_EINVAL;
	if ((rc = sho_status(s, tre_id, &st)) < 0)
		return rc;
	/* the DPF releases only while the handover is accepted; never after (review) */
	if (strcmp(st.state, "handover_accepted"))
		return om_reason(why, wl, OM_ESHO_STATE, "device is %s: no MCIM of ours is released now", st.state);
	/* a retried release never undoes the operator's suspension (sho-admin device suspend, review) */
	if ((rc = suspended = suspended_by_operator(s, st.owner_id, tre_id)) < 0)
		return rc;
	if (suspended)
		return om_reason(why, wl, OM_ESHO_STATE, "subscription %s suspended by its operator: not made live",
				 st.imsi);
	if (!s->hss_socket[0])
		return OM_ESHO_CONFIG;
	if ((rc = sho_hss_resume_link(s->hss_link, s->hss_socket, st.imsi, &answered, why, wl)) < 0) {
		om_notice("subscription-not-live", "tre_id=%s imsi=%s reason=\"%s\"", tre_id, st.imsi, why);
		return answered ? rc : OM_EUNAVAILABLE;
	}
	om_info("subscription-live", "tre_id=%s imsi=%s", tre_id, st.imsi);
	return 0;
}

int sho_mark_fell_back(struct sho *s, const char *tre_id)
{
	struct sho_device_status st;
	char why[256] = "", detail[64];
	int rc;
	if (!s || !tre_id)
		return OM_EINVAL;
	if ((rc = sho_status(s, tre_id, &st)) < 0)
		return rc;
	if (!strcmp(st.state, "refused") && !strcmp(st.reason, SHO_FELL_BACK_REASON))
		return 0; /* reported before */
	const char *to;
	if ((rc = sho_dev_next(st.state, SHO_EV_FELL_BACK, &to)) < 0)
		return rc;
	if (!s->hss_socket[0])
		return OM_ESHO_CONFIG;
	/* at once if our HSS answers; if it does not (its network may be what the device could not reach),
	 * the fallback is still shown and our DRF's queue suspends it once the HSS answers, then removes it */
	int hss = sho_hss_suspend(s->hss_socket, st.imsi, why, sizeof(why));
	if (hss < 0)
		om_notice("fell-back-not-suspended", "tre_id=%s imsi=%s reason=\"%s\"", tre_id, st.imsi, why);
	snprintf(detail, sizeof(detail), "imsi=%s %s", st.imsi, hss < 0 ? "suspension queued: HSS unreachable" : "suspended");
	if ((rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		return rc;
	rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_TRANSITION], OM_BIND(OM_TEXT(tre_id), OM_TEXT(to),
								 OM_TEXT(SHO_FELL_BACK_REASON), OM_INT(sho_now()),
								 OM_TEXT(st.state)));
	if (rc == 0 && om_store_changes(s->store) != 1)
		rc = OM_ESHO_STATE;
	if (rc == 0)
		rc = sho_event_add(s, tre_id, st.owner_id, sho_now(), "fell_back", detail);
	if (rc == 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	if (rc == 0)
		om_info("device-fell-back", "tre_id=%s imsi=%s from=%s suspended=%d", tre_id, st.imsi, st.state, hss == 0);
	return rc < 0 ? rc : 0;
}
