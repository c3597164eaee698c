/* SPDX-License-Identifier: Apache-2.0 */
/* The DPF's provisioning decisions (dpf.h, docs/dpf.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <openmcim/failpoint.h>
#include <openmcim/hex.h>
#include <openmcim/pki.h>

#include "dpf_int.h"
#include "dpf_state.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "reason.h"


int dpf_counter_seen(struct dpf *d, const char *tre_id, uint64_t *out)
{
	struct om_stmt *st = d->stmt[DPF_SQL_COUNTER_GET];
	*out = 0;
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW)
		*out = (uint64_t)om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

int dpf_counter_check(struct dpf *d, const char *tre_id, uint64_t counter, char *why, size_t wl)
{
	uint64_t seen = 0;
	int rc;
	/* version 1 M2MMobj (no counter) or a counter SQLite cannot hold: nothing to compare, refused */
	if (counter == 0 || counter > INT64_MAX)
		return om_reason(why, wl, OM_EDPF_COUNTER, "no usable state counter (%llu)", (unsigned long long)counter);
	if ((rc = dpf_counter_seen(d, tre_id, &seen)) < 0)
		return om_reason(why, wl, rc, "record: %s", om_errname(rc));
	/* equal is fine: signing writes nothing in the TRE, so two statements may share a counter */
	if (counter < seen)
		return om_reason(why, wl, OM_EDPF_COUNTER, "state counter %llu below %llu already seen: an older copy of the TRE",
				 (unsigned long long)counter, (unsigned long long)seen);
	return 0;
}

int dpf_counter_record(struct dpf *d, const char *tre_id, uint64_t counter, time_t now)
{
	return om_stmt_exec(d->stmt[DPF_SQL_COUNTER_RAISE], OM_BIND(OM_TEXT(tre_id), OM_INT(counter), OM_INT(now)));
}

int dpf_open(struct dpf **out, const struct dpf_config *cfg, char *why, size_t why_len)
{
	char err[256] = "";
	int rc;
	if (!out)
		return om_reason(why, why_len, OM_EINVAL, "no output");
	*out = NULL;
	if (!cfg || !cfg->db_path || !cfg->sho || !cfg->sign_key || !cfg->pva)
		return om_reason(why, why_len, OM_EDPF_CONFIG, "db_path, sho, sign_key and pva are required");
	struct dpf *d = calloc(1, sizeof(*d));
	if (!d)
		return om_reason(why, why_len, OM_ENOMEM, "out of memory");
	if ((rc = dpf_store_open(d, cfg->db_path, err, sizeof(err))) < 0) {
		char where[256];
		om_store_conf_redact(cfg->db_path, where, sizeof(where));
		om_reason(why, why_len, rc, "%s: %s", where, err);
		dpf_close(d);
		return rc;
	}
	if (EVP_PKEY_up_ref(cfg->sign_key) != 1) {
		dpf_close(d);
		return om_reason(why, why_len, OM_ECRYPTO, "sign_key");
	}
	d->sign_key = cfg->sign_key;
	d->sho = cfg->sho;
	d->pva = cfg->pva;
	d->pva_ctx = cfg->pva_ctx;
	d->drf = cfg->drf;
	*out = d;
	return 0;
}

unsigned dpf_idle(struct dpf *d, const char *where)
{
	return d ? om_store_idle(d->store, where) : 0;
}

int dpf_tre_key(struct dpf *d, const uint8_t *der, size_t len, EVP_PKEY **key)
{
	struct dpf_tre_key *slot = &d->keys[0];
	*key = NULL;
	for (size_t i = 0; i < DPF_TRE_KEYS; i++) {
		struct dpf_tre_key *k = &d->keys[i];
		if (k->key && k->len == len && !memcmp(k->der, der, len)) {
			if (EVP_PKEY_up_ref(k->key) != 1)
				return OM_ECRYPTO;
			k->used = ++d->key_clock;
			*key = k->key;
			return 0;
		}
		if (k->used < slot->used)
			slot = k;
	}
	EVP_PKEY *fresh = NULL;
	uint8_t *copy = NULL;
	int rc = om_cert_pubkey_decode(&fresh, der, len);
	if (rc < 0)
		return rc;
	/* kept only when there is room for its DER and a second reference: otherwise used once */
	if ((copy = malloc(len ? len : 1)) && EVP_PKEY_up_ref(fresh) == 1) {
		free(slot->der);
		EVP_PKEY_free(slot->key);
		memcpy(copy, der, len);
		*slot = (struct dpf_tre_key){ .der = copy, .len = len, .key = fresh, .used = ++d->key_clock };
	} else {
		free(copy);
	}
	*key = fresh;
	return 0;
}

void dpf_close(struct dpf *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < DPF_TRE_KEYS; i++) {
		free(d->keys[i].der);
		EVP_PKEY_free(d->keys[i].key);
	}
	dpf_store_close(d);
	EVP_PKEY_free(d->sign_key);
	free(d);
}

/* How many release rows match nonce_b, into *n. */
static int count_nonce_b(struct dpf *d, const uint8_t nonce_b[static OM_NONCE_LEN], int64_t *n)
{
	struct om_stmt *st = d->stmt[DPF_SQL_NONCE_B_COUNT];
	int rc = om_stmt_query(st, OM_BIND(OM_BLOB(nonce_b, OM_NONCE_LEN)));
	if (rc == OM_STORE_ROW)
		*n = om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

/* How many releases of tre_id's handover nonce_a are in state, into *n. */
static int count_releases(struct dpf *d, const char *tre_id, const uint8_t nonce_a[static OM_NONCE_LEN],
			  const char *state, int64_t *n)
{
	struct om_stmt *st = d->stmt[DPF_SQL_RELEASE_COUNT];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id), OM_BLOB(nonce_a, OM_NONCE_LEN), OM_TEXT(state)));
	if (rc == OM_STORE_ROW)
		*n = om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

/*
 * The new release, and any release of the same handover still unreported
 * marked superseded, in one durable transaction; *superseded tells how many.
 */
int dpf_release_record(struct dpf *d, const char *tre_id, const uint8_t nonce_a[static OM_NONCE_LEN],
		       const uint8_t nonce_b[static OM_NONCE_LEN], uint64_t counter, time_t now, int64_t *superseded)
{
	const char *to = NULL;
	*superseded = 0;
	int rc = om_store_begin(d->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	/* the move of dpf_state.h: only a release still `released` is superseded */
	rc = count_releases(d, tre_id, nonce_a, "released", superseded);
	if (rc == 0 && *superseded && (rc = dpf_release_move("released", DPF_REL_SUPERSEDED, &to)) == 0)
		rc = om_stmt_exec(d->stmt[DPF_SQL_RELEASE_SUPERSEDE],
				  OM_BIND(OM_TEXT(tre_id), OM_BLOB(nonce_a, OM_NONCE_LEN), OM_INT(now), OM_TEXT(to),
					  OM_TEXT("released")));
	if (rc == 0)
		rc = om_stmt_exec(d->stmt[DPF_SQL_RELEASE_ADD], OM_BIND(OM_BLOB(nonce_b, OM_NONCE_LEN), OM_TEXT(tre_id),
									 OM_BLOB(nonce_a, OM_NONCE_LEN), OM_INT(now)));
	if (rc == 0)
		rc = dpf_counter_record(d, tre_id, counter, now);
	if (rc < 0) {
		om_store_rollback(d->store);
		return rc;
	}
	return om_store_commit(d->store);
}

/* Log a refusal with its reason; the reason goes to why too. Returns rc. */
static struct om_metric m_refused = OM_COUNTER("openmcim_dpf_refusals_total",
	"M2MMobjs refused (signature, nonces, PVA verdict, state, counter...), by error code", "code");

static struct om_metric m_released =
	OM_COUNTER("openmcim_dpf_releases_total", "M2MMCIMMobjs released (an MCIM sent to a device)", NULL);

static int refuse(const char *tre_id, int rc, char *why, size_t wl, const char *reason)
{
	om_metric_inc_err(&m_refused, rc);
	om_notice("m2mmobj", "tre_id=%s result=refused code=%s reason=%s", tre_id[0] ? tre_id : "-", om_errname(rc),
		  reason);
	return om_reason(why, wl, rc, "%s", reason);
}

/* Everything the checks learn, released at the end. */
struct m2mmobj_ctx {
	char tre_id[OM_TRE_ID_MAX + 1];
	EVP_PKEY *tre_key; /* Cert_TRE (signing)'s key, from the SHO */
	struct om_tre_info info;
	uint8_t nonce_a[OM_NONCE_LEN], nonce_b[OM_NONCE_LEN];
	uint8_t *sealed;
	size_t sealed_len;
	char reason[DPF_REASON_MAX + 1];
	char pva_refused[32]; /* the PVA's reason when it signed a refusal of this M2MMobj, fresh; "" otherwise */
};

/* The decisions of B.2.3.4 steps 5-6 in order; the first refusal ends them. 0 or a code with c->reason. */
static int check(struct dpf *d, const uint8_t *obj, size_t len, const struct dpf_pva_result *pva, time_t now,
		 struct m2mmobj_ctx *c)
{
	struct sho_device_status st;
	struct dpf_pva_result asked;
	int64_t n = 0;
	int rc;
#define FAIL(code, ...) return om_reason(c->reason, sizeof(c->reason), (code), __VA_ARGS__)
	if (om_m2mmobj_peek_tre_id(obj, len, c->tre_id) < 0) {
		c->tre_id[0] = '\0';
		FAIL(OM_EDPF_MALFORMED, "TRE_id unreadable");
	}
	/* the record and the registered Cert_TRE in one call (issue 14) */
	struct sho_device_view dev;
	rc = sho_remote_device(d->sho, c->tre_id, &dev);
	if (rc == OM_ESHO_NOT_FOUND)
		FAIL(OM_EDPF_UNKNOWN_TRE, "not registered at this SHO");
	if (rc < 0)
		FAIL(rc, "registration lookup: %s", om_errname(rc));
	/* asked each time (the SHO's record is the truth); the same certificate's key is decoded once */
	st = dev.st;
	int has_nonce_a = dev.has_nonce_a;
	uint8_t nonce_a[OM_NONCE_LEN];
	memcpy(nonce_a, dev.nonce_a, sizeof(nonce_a));
	rc = dpf_tre_key(d, dev.sign, dev.sign_len, &c->tre_key);
	sho_device_view_free(&dev);
	if (rc < 0)
		FAIL(rc, "registered Cert_TRE: %s", om_errname(rc));
	/* B.2.3.4 step 6: only the TRE the owner registered signs for this TRE_id */
	if ((rc = om_m2mmobj_verify(obj, len, c->tre_key, &c->info, c->nonce_a, c->nonce_b)) < 0)
		FAIL(OM_EDPF_SIGNATURE, "signature: %s", om_errname(rc));
	/* issue 12: a TRE that signs a lower state counter than we have seen is an older copy of itself
	 * (checked before the state, so a copy restored after its handover is named for what it is) */
	if ((rc = dpf_counter_check(d, c->tre_id, c->info.counter, c->reason, sizeof(c->reason))) < 0)
		return rc;
	/* issue 18: a TRE whose integrity check blocked a MID says so in what it signs (spec/001 4.1.4.1:
	 * tampering reported, not only detected); no MCIM goes to a device tampered with */
	if (c->info.n_blocked)
		FAIL(OM_EDPF_TRE_BLOCKED, "the TRE reports %u MID(s) blocked by its integrity check",
		     (unsigned)c->info.n_blocked);
	/*
	 * The current SHO's DRF pushes the bootstrap as soon as it accepts, so the device can be here before
	 * its answer reaches our registration service: not a refusal, a retry (DM 500), nothing changes.
	 */
	if (!strcmp(st.state, "handover_requested"))
		FAIL(OM_EDPF_ACCEPT_PENDING, "the current SHO's acceptance is not recorded yet");
	if (strcmp(st.state, "handover_accepted"))
		FAIL(OM_EDPF_STATE, "device is %s, not handover_accepted", st.state);
	/* B.2.3.4 III: the nonceA of the bootstrap binds registration and provisioning (the SHO's device answer:
	 * the DM digest, a secret, is not asked for here, issue 14) */
	if (!has_nonce_a)
		FAIL(OM_EDPF_STATE, "pending handover: %s", om_errname(OM_ESHO_STATE));
	if (CRYPTO_memcmp(nonce_a, c->nonce_a, OM_NONCE_LEN))
		FAIL(OM_EDPF_NONCE_A, "nonceA is not the pending handover's");
	if ((rc = count_nonce_b(d, c->nonce_b, &n)) < 0)
		FAIL(rc, "record: %s", om_errname(rc));
	if (n)
		FAIL(OM_EDPF_REPLAY_NONCE_B, "nonceB already used");
	/*
	 * A release still unreported is superseded by this one (recorded below): the M2MMCIMMobj is sealed for
	 * this TRE and bound to a nonceB that only the TRE's pending state holds, so a second release gives
	 * nobody anything, and a device killed after package 3 (or whose answer was lost) is not stuck.
	 */
	if ((rc = count_releases(d, c->tre_id, c->nonce_a, "installed", &n)) < 0)
		FAIL(rc, "record: %s", om_errname(rc));
	if (n)
		FAIL(OM_EDPF_STATE, "the MCIM of this handover is already installed");
	/* spec/004 5.2.2.6.1: the PVA validates the platform before any MCIM leaves */
	if (!pva) {
		dpf_pva_ask(d, obj, len, &asked);
		pva = &asked;
	}
	const struct dpf_pva_verdict v = pva->v;
	if (pva->rc < 0)
		FAIL(pva->rc == OM_EDPF_PVA_SIGNATURE ? pva->rc : OM_EDPF_PVA, "PVA: %s", pva->why);
	if (!v.accepted) {
		/* issue 16: the owner sees a refusal the PVA signed for this device now (a refusal carries nonceB
		 * zero, docs/pva.md; one that carries a nonceB must carry this M2MMobj's), never a verdict a relay
		 * kept for another device or from long ago (refused as before, and shown nowhere) */
		static const uint8_t zero[OM_NONCE_LEN];
		if (!strcmp(v.tre_id, c->tre_id) &&
		    (!CRYPTO_memcmp(v.nonce_b, zero, OM_NONCE_LEN) || !CRYPTO_memcmp(v.nonce_b, c->nonce_b, OM_NONCE_LEN)) &&
		    v.time >= (int64_t)now - DPF_PVA_VERDICT_SKEW_S && v.time <= (int64_t)now + DPF_PVA_VERDICT_SKEW_S)
			snprintf(c->pva_refused, sizeof(c->pva_refused), "%s", v.reason);
		FAIL(OM_EDPF_PVA_REFUSED, "PVA refused: %s%s%s", v.reason, v.detail[0] ? ": " : "", v.detail);
	}
	/* the PVA's signature says who decided; TRE_id and nonceB say about which M2MMobj (issue 12) */
	if (strcmp(v.tre_id, c->tre_id) || CRYPTO_memcmp(v.nonce_b, c->nonce_b, OM_NONCE_LEN))
		FAIL(OM_EDPF_PVA_BINDING, "PVA verdict for %s TRE or nonceB", strcmp(v.tre_id, c->tre_id) ? "another" : "this");
	if (v.time < (int64_t)now - DPF_PVA_VERDICT_SKEW_S || v.time > (int64_t)now + DPF_PVA_VERDICT_SKEW_S)
		FAIL(OM_EDPF_PVA_STALE, "PVA verdict of %lld, now %lld", (long long)v.time, (long long)now);
	if ((rc = sho_remote_sealed_mcim(d->sho, c->tre_id, &c->sealed, &c->sealed_len)) < 0)
		FAIL(rc, "sealed MCIM: %s", om_errname(rc));
	return 0;
#undef FAIL
}

void dpf_pva_ask(const struct dpf *d, const uint8_t *obj, size_t len, struct dpf_pva_result *out)
{
	memset(out, 0, sizeof(*out));
	out->rc = d->pva(d->pva_ctx, obj, len, &out->v, out->why, sizeof(out->why));
}

int dpf_m2mmobj(struct dpf *d, const uint8_t *obj, size_t len, time_t now, uint8_t *out, size_t cap, char *why,
		size_t why_len)
{
	return dpf_m2mmobj_with(d, obj, len, NULL, now, out, cap, why, why_len);
}

int dpf_m2mmobj_with(struct dpf *d, const uint8_t *obj, size_t len, const struct dpf_pva_result *pva, time_t now,
		     uint8_t *out, size_t cap, char *why, size_t why_len)
{
	struct m2mmobj_ctx c;
	int64_t superseded = 0;
	int rc, n = 0;
	memset(&c, 0, sizeof(c));
	if (!d || !obj || !out || !cap)
		return om_reason(why, why_len, OM_EINVAL, "bad arguments");
	memset(out, 0, cap);
	rc = dpf_unavailable(check(d, obj, len, pva, now, &c));
	if (rc < 0) {
		refuse(c.tre_id, rc, why, why_len, c.reason);
		/* the device's owner sees the PVA's reason (issue 16); the refusal stands either way */
		int r2 = c.pva_refused[0] ? sho_remote_mark_pva_refused(d->sho, c.tre_id, c.pva_refused) : 0;
		if (r2 < 0)
			om_notice("m2mmobj-owner-not-told", "tre_id=%s code=%s", c.tre_id, om_errname(r2));
		goto out;
	}
	n = om_m2mmcimmobj_build(c.sealed, c.sealed_len, c.nonce_b, d->sign_key, out, cap);
	if (n < 0) {
		rc = refuse(c.tre_id, n, why, why_len, "cannot build M2MMCIMMobj");
		goto out;
	}
	/* recorded before the answer leaves: a lost answer is retried with a fresh nonceB after a failure report */
	if ((rc = dpf_release_record(d, c.tre_id, c.nonce_a, c.nonce_b, c.info.counter, now, &superseded)) < 0) {
		refuse(c.tre_id, rc, why, why_len, "cannot record the release");
		memset(out, 0, cap);
		goto out;
	}
	om_metric_inc(&m_released, NULL);
	om_notice("m2mmobj", "tre_id=%s result=released model=%s firmware=%s superseded=%lld", c.tre_id,
		  c.info.tre_type, c.info.firmware_version, (long long)superseded);
	om_failpoint("dpf.released");
	om_reason(why, why_len, 0, "released");
	rc = n;
out:
	EVP_PKEY_free(c.tre_key);
	free(c.sealed);
	return rc;
}

int dpf_last_release(struct dpf *d, const char *tre_id, struct dpf_release *r)
{
	struct om_stmt *st = d->stmt[DPF_SQL_RELEASE_LAST];
	size_t l = 0;
	memset(r, 0, sizeof(*r));
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW) {
		const void *b = om_stmt_col_blob(st, 0, &l);
		if (l == OM_NONCE_LEN)
			memcpy(r->nonce_b, b, OM_NONCE_LEN);
		snprintf(r->state, sizeof(r->state), "%s", om_stmt_col_text(st, 1));
		snprintf(r->outcome, sizeof(r->outcome), "%s", om_stmt_col_text(st, 2));
		r->created = om_stmt_col_int64(st, 3);
		rc = l == OM_NONCE_LEN ? 0 : OM_ESTORE;
	} else if (rc == OM_STORE_DONE) {
		rc = OM_EDPF_NOT_RELEASED;
	}
	om_stmt_reset(st);
	return rc;
}

int dpf_releases_in(struct dpf *d, const char *tre_id, const char *state, int64_t *n)
{
	struct om_stmt *st = d->stmt[DPF_SQL_RELEASES_IN];
	*n = 0;
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id), OM_TEXT(state)));
	if (rc == OM_STORE_ROW)
		*n = om_stmt_col_int64(st, 0);
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

int dpf_installed_page(struct dpf *d, const char *after, unsigned limit,
		       void (*fn)(void *ctx, const char *tre_id, int64_t n), void *ctx)
{
	struct om_stmt *st = d->stmt[DPF_SQL_INSTALLED_PAGE];
	int rc, rows = 0;
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(after ? after : ""), OM_INT(limit))); rc == OM_STORE_ROW;
	     rc = om_stmt_step(st), rows++)
		fn(ctx, om_stmt_col_text(st, 0), om_stmt_col_int64(st, 1));
	om_stmt_reset(st);
	return rc < 0 ? rc : rows;
}

/* The release's move from `from` to `to` (dpf_state.h), written only while it is still in `from`. */
static int set_state(struct dpf *d, const uint8_t nonce_b[static OM_NONCE_LEN], const char *from, const char *to,
		     time_t now)
{
	int rc = om_store_begin(d->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	if ((rc = om_stmt_exec(d->stmt[DPF_SQL_RELEASE_STATE], OM_BIND(OM_TEXT(to), OM_INT(now),
								       OM_BLOB(nonce_b, OM_NONCE_LEN), OM_TEXT(from)))) < 0) {
		om_store_rollback(d->store);
		return rc;
	}
	if (om_store_changes(d->store) != 1) {
		om_store_rollback(d->store);
		return OM_EDPF_MOVE; /* it moved meanwhile */
	}
	return om_store_commit(d->store);
}

int dpf_install_status(struct dpf *d, const char *tre_id, enum dpf_install status, time_t now)
{
	struct dpf_release r;
	const char *next = NULL;
	int rc;
	if (!d || !tre_id || (status != DPF_INSTALL_SUCCESS && status != DPF_INSTALL_FAILURE))
		return OM_EINVAL;
	if ((rc = dpf_last_release(d, tre_id, &r)) < 0)
		goto out;
	/* the one table (dpf_state.h): a release not `released` takes no other report */
	if (dpf_release_move(r.state, status == DPF_INSTALL_SUCCESS ? DPF_REL_INSTALLED : DPF_REL_FAILED, &next) < 0) {
		rc = OM_EDPF_NOT_RELEASED;
		goto out;
	}
	if (!strcmp(r.state, next))
		return 0; /* the same report again */
	/* B.2.3.4 step V: the SHO's state first, so a crash in between leaves a retryable report */
	if (status == DPF_INSTALL_SUCCESS && (rc = sho_remote_mark_provisioned(d->sho, tre_id)) < 0)
		goto out;
	rc = set_state(d, r.nonce_b, r.state, next, now);
out:
	rc = dpf_unavailable(rc);
	om_notice("install-status", "tre_id=%s status=%s result=%s", tre_id,
		  status == DPF_INSTALL_SUCCESS ? "installed" : "failed", rc < 0 ? om_errname(rc) : "recorded");
	if (rc == 0)
		om_failpoint("dpf.installed");
	return rc;
}
