/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authentication-Information: the SQN path of the HSS.
 *
 * Under the HSS lock, in one transaction per request: read the subscriber,
 * check status and roaming before anything is generated, find the
 * requester's IND, verify a resync, take n consecutive SEQs (TS 33.102
 * C.3.2; one IND for the batch, C.3.4) and write the new SQN. When the top
 * SEQ of the batch passes the durable mark seq_reserved, the transaction is
 * durable and moves the mark to top + sqn_reserve; otherwise it is lazy (a
 * crash may lose it, but hss_open() then continues above the durable mark).
 * So no SQN leaves that a restart could hand out again (docs/hss.md).
 *
 * A resync never moves the SQN down (om_sqn_he_resync, TS 33.102 6.3.5):
 * the stored SQN is above every SQN issued (after a crash hss_open() set it
 * to the durable mark, above anything a lost commit had), and the HSS
 * continues from the higher of it and SQN_MS. An AUTS travels in clear and
 * any MME on the peer list can replay an old one; it can no longer make an
 * SQN leave twice. An SQN_MS above the stored SQN is a clone or rollback
 * event (clone.h), as is a request from an MME that was just replaced.
 *
 * The vectors are computed after the lock is released, with K and OPc
 * copied into a local struct that is cleansed before return.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include <openmcim/sqn.h>
#include <openmcim/usim.h>

#include "clone.h"
#include "hss_store.h"
#include "log.h"

#define RESYNC_LEN (OM_RAND_LEN + OM_AUTS_LEN)

/* One vector generator (KDF context and RAND pool) per thread, made on first use. */
static pthread_key_t gen_key;
static pthread_once_t gen_once = PTHREAD_ONCE_INIT;
static int gen_key_ok;

static void gen_free(void *p)
{
	struct om_vector_gen *g = p;
	if (!g)
		return;
	om_vector_gen_clear(g);
	OPENSSL_cleanse(g, sizeof(*g));
	free(g);
}

static void gen_key_make(void)
{
	gen_key_ok = pthread_key_create(&gen_key, gen_free) == 0;
}

static struct om_vector_gen *gen_get(void)
{
	pthread_once(&gen_once, gen_key_make);
	if (!gen_key_ok)
		return NULL;
	struct om_vector_gen *g = pthread_getspecific(gen_key);
	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	if (om_vector_gen_init(g) < 0) {
		free(g);
		return NULL;
	}
	if (pthread_setspecific(gen_key, g)) {
		gen_free(g);
		return NULL;
	}
	return g;
}

/* Free this thread's generator (hss_close() calls it for the closing thread). */
void hss_vector_gen_release(void);
void hss_vector_gen_release(void)
{
	pthread_once(&gen_once, gen_key_make);
	if (!gen_key_ok)
		return;
	gen_free(pthread_getspecific(gen_key));
	pthread_setspecific(gen_key, NULL);
}

/*
 * The IND of a batch (TS 33.102 C.3.2, C.3.4; docs/sqn.md "Several front
 * ends"): with f front ends sharing a database, the top log2(f) of the
 * subscriber's ind_bits are this front end's slot and the rest the
 * requesting MME's; with one front end every bit is the MME's, as before.
 * A subscriber with fewer IND bits than the front-end slot needs gets the
 * slot's low bits only (front ends then share entries; still no SQN twice:
 * the row lock orders every allocation).
 */
static unsigned compose_ind(const struct hss_config *cfg, unsigned mme_ind, unsigned ind_bits)
{
	unsigned fe_bits = 0;
	while ((1u << fe_bits) < cfg->frontends)
		fe_bits++;
	if (fe_bits == 0)
		return mme_ind;
	if (ind_bits <= fe_bits)
		return cfg->frontend_index;
	unsigned mme_bits = ind_bits - fe_bits;
	return cfg->frontend_index << mme_bits | (mme_ind & ((1u << mme_bits) - 1));
}

/* What the locked phase hands to the computing phase. Secret. */
struct grant {
	uint8_t k[OM_K_LEN];
	uint8_t opc[OM_OPC_LEN];
	uint8_t amf[OM_AMF_LEN];
	uint64_t sqn[HSS_MAX_VECTORS_CAP];
	unsigned n;
	int resynced;
	struct hss_events ev; /* not secret: logged after the commit */
	int store_rc;         /* the store's code when a store call failed (OM_ESTORE_BUSY: run again) */
};

static int verify_auts(const struct hss_row *r, const uint8_t *resync, uint64_t *sqn_ms)
{
	struct om_milenage m;
	int rc = om_milenage_init(&m, r->k, r->opc);
	if (rc == 0)
		rc = om_vector_resync(&m, resync, resync + OM_RAND_LEN, sqn_ms);
	om_milenage_clear(&m);
	return rc;
}

/*
 * One attempt of the locked phase in a transaction of durability d.
 * Returns HSS_OK with g filled, an hss_result, or 1 when the request turns
 * out to need a durable transaction and d is lazy (the caller retries).
 */
static int reserve_in_txn(struct hss *h, const char *imsi, const uint8_t plmn[static 3], const char *host,
			  unsigned n, const uint8_t *resync, enum om_store_durability d, struct grant *g,
			  const char **why)
{
	struct hss_row r;
	unsigned ind = 0;
	int rc = HSS_ERROR;
	memset(&r, 0, sizeof(r));
	*why = "storage";
	int src = om_store_begin(h->store, d);
	if (src < 0) {
		g->store_rc = src;
		goto out;
	}
	src = hss_store_get(h, imsi, &r);
	if (src < 0) {
		g->store_rc = src;
		rc = hss_result_from_err(src);
		*why = rc == HSS_USER_UNKNOWN ? "unknown" : "storage";
		goto out;
	}
	if (r.status != HSS_STATUS_ACTIVE) {
		rc = HSS_SUSPENDED;
		*why = "suspended";
		goto out;
	}
	src = hss_store_roaming_allowed(h, &r, plmn);
	if (src <= 0) {
		rc = src == 0 ? HSS_ROAMING_NOT_ALLOWED : HSS_ERROR;
		*why = src == 0 ? "visited-plmn-not-allowed" : "storage";
		goto out;
	}
	unsigned mme_ind = 0;
	src = hss_store_ind(h, host, &mme_ind);
	if (src < 0) {
		g->store_rc = src;
		goto out;
	}
	ind = compose_ind(&h->cfg, mme_ind, r.ind_bits);
	int64_t now = (int64_t)time(NULL);
	uint64_t last = r.sqn;
	if (resync) {
		if (now - r.resync_window_start >= (int64_t)h->cfg.resync_window_s || now < r.resync_window_start) {
			r.resync_window_start = now;
			r.resync_count = 0;
		}
		if (r.resync_count >= h->cfg.max_resyncs) {
			rc = HSS_RESYNC_REFUSED;
			*why = "too-many-resyncs";
			goto out;
		}
		uint64_t sqn_ms = 0;
		if (verify_auts(&r, resync, &sqn_ms) < 0) {
			rc = HSS_RESYNC_REFUSED;
			*why = "mac-s";
			goto out;
		}
		/* the HSS assumes its USIMs' delta is the default (docs/sqn.md) */
		int v = om_sqn_he_resync(&last, r.sqn, sqn_ms, r.ind_bits, OM_USIM_DELTA_DEFAULT);
		if (v < 0) {
			rc = HSS_RESYNC_REFUSED;
			*why = v == OM_EAUTH_RESYNC_BEHIND ? "usim-delta-behind" : "sqn-range";
			goto out;
		}
		if (v == 1) {
			g->ev.sqn_ahead = 1;
			g->ev.seq_ms = sqn_ms >> r.ind_bits;
			g->ev.seq_issued = r.sqn >> r.ind_bits;
		}
		r.resync_count++;
		g->resynced = 1;
	}
	hss_clone_two_mme(h, &r, host, now, &g->ev);
	int event = g->ev.sqn_ahead || g->ev.two_mme;
	if (event && d != OM_STORE_DURABLE) {
		rc = 1;
		goto out;
	}
	if (hss_clone_apply(h, &r, &g->ev, now)) {
		/* barred: no vector; keep the floor above SQN_MS so a resume needs no new resync */
		if (last > r.sqn)
			r.sqn = last;
		if ((r.sqn >> r.ind_bits) > r.seq_reserved)
			r.seq_reserved = r.sqn >> r.ind_bits;
		if (hss_store_set_events(h, &r) < 0 || hss_store_set_sqn(h, &r) < 0 || om_store_commit(h->store) < 0)
			goto out;
		rc = HSS_SUSPENDED;
		*why = "barred";
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if (om_sqn_he_next(&g->sqn[i], last, ind, r.ind_bits) < 0) {
			rc = HSS_AUTHENTICATION_DATA_UNAVAILABLE;
			*why = "sqn-exhausted";
			goto out;
		}
		last = g->sqn[i];
	}
	uint64_t top = last >> r.ind_bits;
	int need_durable = resync || event || top > r.seq_reserved;
	if (need_durable && d != OM_STORE_DURABLE) {
		rc = 1;
		goto out;
	}
	r.sqn = last;
	if (need_durable && top + h->cfg.sqn_reserve > r.seq_reserved)
		r.seq_reserved = top + h->cfg.sqn_reserve;
	src = event ? hss_store_set_events(h, &r) : 0;
	if (src == 0)
		src = hss_store_set_sqn(h, &r);
	if (src == 0)
		src = om_store_commit(h->store);
	if (src < 0) {
		g->store_rc = src;
		goto out;
	}
	memcpy(g->k, r.k, sizeof(g->k));
	memcpy(g->opc, r.opc, sizeof(g->opc));
	memcpy(g->amf, r.amf, sizeof(g->amf));
	g->n = n;
	rc = HSS_OK;
out:
	if (rc != HSS_OK && !(rc == HSS_SUSPENDED && g->ev.barred))
		memset(&g->ev, 0, sizeof(g->ev)); /* not committed: nothing to log */
	om_store_rollback(h->store);
	hss_row_clear(&r);
	return rc;
}

static int host_ok(const char *host)
{
	size_t n = host ? strlen(host) : 0;
	return n > 0 && n <= HSS_HOST_MAX;
}

/* The shared body of the E-UTRAN and UTRAN calls; exactly one of eu, ut is set. */
static int auth_info(struct hss *h, const char *imsi, const uint8_t plmn[static 3], const char *host,
		     unsigned n, const uint8_t *resync, struct om_eutran_vector *eu, struct om_utran_vector *ut)
{
	struct grant g;
	struct om_milenage m;
	int have_m = 0;
	const char *why = "";
	int rc;
	memset(&g, 0, sizeof(g));
	if (!h || !hss_imsi_valid(imsi) || !plmn || !host_ok(host) || n == 0 || (!eu && !ut)) {
		om_notice("air", "result=invalid reason=malformed-request");
		return HSS_INVALID;
	}
	if (n > h->cfg.max_vectors)
		n = h->cfg.max_vectors;
	struct om_vector_gen *gen = gen_get();
	if (!gen) {
		om_error("air", "imsi=%s result=error reason=vector-generator", imsi);
		return HSS_ERROR;
	}
	pthread_mutex_lock(&h->lock);
	/* the store lets go of h->lock while a commit waits for its sync (docs/store.md "Group commit"):
	 * reserve_in_txn keeps what it read in its own row and grant, and a commit is its last use of the store */
	om_store_sync_unlocks(&h->lock);
	enum om_store_durability d = resync ? OM_STORE_DURABLE : OM_STORE_LAZY;
	for (unsigned attempt = 1;; attempt++) {
		memset(&g, 0, sizeof(g));
		rc = reserve_in_txn(h, imsi, plmn, host, n, resync, d, &g, &why);
		if (rc == 1) {
			d = OM_STORE_DURABLE; /* the lazy attempt found it needs a durable write */
			continue;
		}
		/* (no store at all: an earlier reopen failed, the server was still down) */
		if (rc == HSS_ERROR && (g.store_rc == OM_ESTORE_CONN || !h->store) && attempt == 1) {
			char err[256];
			/* the server went away (and may have lost lazy commits): reconnect with the crash recovery */
			if (hss_store_reopen(h, err, sizeof(err)) < 0) {
				om_error("store-reopen", "result=error reason=\"%s\"", err);
				break;
			}
			om_notice("store-reopen", "result=ok");
			continue;
		}
		/* another front end held the row past the lock timeout, or took the same new IND */
		if (rc != HSS_ERROR || !om_store_retry(g.store_rc, attempt))
			break;
	}
	om_store_sync_unlocks(NULL);
	pthread_mutex_unlock(&h->lock);
	hss_events_log(h, &g.ev, imsi, host);
	if (rc != HSS_OK)
		goto out;

	rc = HSS_ERROR;
	why = "crypto";
	if (om_milenage_init(&m, g.k, g.opc) < 0)
		goto out;
	have_m = 1;
	uint8_t amf[OM_AMF_LEN];
	if (eu)
		om_amf_for_eutran(amf, g.amf);
	else
		om_amf_for_utran(amf, g.amf);
	for (unsigned i = 0; i < g.n; i++) {
		int vrc = eu ? om_vector_eutran(gen, &m, g.sqn[i], amf, plmn, &eu[i])
			     : om_vector_utran(gen, &m, g.sqn[i], amf, &ut[i]);
		if (vrc < 0) {
			OPENSSL_cleanse(eu ? (void *)eu : (void *)ut, i * (eu ? sizeof(*eu) : sizeof(*ut)));
			goto out;
		}
	}
	rc = (int)g.n;
out:
	if (have_m)
		om_milenage_clear(&m);
	if (rc > 0) /* the event is the S6a front end's aia line (one line per event); the SQN range at debug */
		om_debug("air", "imsi=%s host=%s n=%u sqn=%llu..%llu%s result=ok", imsi, host, g.n,
			(unsigned long long)g.sqn[0], (unsigned long long)g.sqn[g.n - 1],
			g.resynced ? " resync=1" : "");
	else if (rc == HSS_ERROR)
		om_error("air", "imsi=%s host=%s result=error reason=%s", imsi, host, why);
	else
		om_notice("air", "imsi=%s host=%s result=%s reason=%s", imsi, host, hss_result_name(rc), why);
	OPENSSL_cleanse(&g, sizeof(g));
	return rc;
}

int hss_auth_info(struct hss *h, const char *imsi, const uint8_t visited_plmn[static 3],
		  const char *origin_host, unsigned n, const uint8_t *resync, struct om_eutran_vector *out)
{
	return auth_info(h, imsi, visited_plmn, origin_host, n, resync, out, NULL);
}

int hss_auth_info_utran(struct hss *h, const char *imsi, const uint8_t visited_plmn[static 3],
			const char *origin_host, unsigned n, const uint8_t *resync,
			struct om_utran_vector *out)
{
	return auth_info(h, imsi, visited_plmn, origin_host, n, resync, NULL, out);
}
