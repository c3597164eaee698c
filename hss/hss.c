/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS core: open and close, Update-Location and Purge. Authentication
 * information (the SQN path) is in sqn_alloc.c, subscriber changes in
 * admin.c. One mutex serialises the store; vectors are computed outside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clone.h"
#include "hss_store.h"
#include "log.h"

#define HSS_DEFAULT_MAX_VECTORS 5
#define HSS_DEFAULT_SQN_RESERVE 1024
#define HSS_MAX_SQN_RESERVE (1u << 24) /* far below TS 33.102 C.2.1's delta, 2^28 */
#define HSS_DEFAULT_MAX_RESYNCS 3
#define HSS_DEFAULT_RESYNC_WINDOW 60
#define HSS_DEFAULT_CLONE_WINDOW 600 /* docs/decisions.md */


void hss_vector_gen_release(void); /* sqn_alloc.c */

struct hss *hss_open(const struct hss_config *cfg, char *err, size_t err_len)
{
	struct hss *h = NULL;
	char dummy[1];
	if (!err) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	if (!cfg || !cfg->db_path || !*cfg->db_path) {
		snprintf(err, err_len, "hss: no database path");
		return NULL;
	}
	if (cfg->clone_policy != HSS_CLONE_REPORT && cfg->clone_policy != HSS_CLONE_BAR) {
		snprintf(err, err_len, "hss: clone_policy must be report or bar");
		return NULL;
	}
	unsigned fe = cfg->frontends ? cfg->frontends : 1;
	if (fe > 32 || (fe & (fe - 1)) || cfg->frontend_index >= fe) {
		snprintf(err, err_len, "hss: frontends must be 1, 2, 4, 8, 16 or 32 and frontend_index below it");
		return NULL;
	}
	if (cfg->sqn_reserve > HSS_MAX_SQN_RESERVE || cfg->max_vectors > HSS_MAX_VECTORS_CAP) {
		snprintf(err, err_len, "hss: sqn_reserve above %u or max_vectors above %u", HSS_MAX_SQN_RESERVE,
			 HSS_MAX_VECTORS_CAP);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, err_len, "hss: out of memory");
		return NULL;
	}
	h->cfg = *cfg;
	if (!h->cfg.max_vectors)
		h->cfg.max_vectors = HSS_DEFAULT_MAX_VECTORS;
	if (!h->cfg.sqn_reserve)
		h->cfg.sqn_reserve = HSS_DEFAULT_SQN_RESERVE;
	if (!h->cfg.max_resyncs)
		h->cfg.max_resyncs = HSS_DEFAULT_MAX_RESYNCS;
	if (!h->cfg.resync_window_s)
		h->cfg.resync_window_s = HSS_DEFAULT_RESYNC_WINDOW;
	h->cfg.frontends = fe;
	if (!h->cfg.clone_window_s)
		h->cfg.clone_window_s = HSS_DEFAULT_CLONE_WINDOW;
	h->cfg.db_path = strdup(cfg->db_path);
	if (!h->cfg.db_path || pthread_mutex_init(&h->lock, NULL)) {
		free((char *)h->cfg.db_path);
		free(h);
		snprintf(err, err_len, "hss: out of memory");
		return NULL;
	}
	if (hss_store_open(h, err, err_len) < 0) {
		hss_close(h);
		return NULL;
	}
	char where[128];
	om_store_conf_redact(h->cfg.db_path, where, sizeof(where));
	om_info("hss-open", "db=%s max_vectors=%u sqn_reserve=%u max_resyncs=%u resync_window=%u clone_policy=%s"
		" clone_window=%u frontend=%u/%u", where, h->cfg.max_vectors, h->cfg.sqn_reserve, h->cfg.max_resyncs,
		h->cfg.resync_window_s, h->cfg.clone_policy == HSS_CLONE_BAR ? "bar" : "report",
		h->cfg.clone_window_s, h->cfg.frontend_index, h->cfg.frontends);
	return h;
}

void hss_close(struct hss *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	hss_store_close(h);
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_destroy(&h->lock);
	free((char *)h->cfg.db_path);
	free(h);
	hss_vector_gen_release();
}

const char *hss_result_name(int r)
{
	switch (r) {
	case HSS_OK:
		return "ok";
	case HSS_USER_UNKNOWN:
		return "user-unknown";
	case HSS_UNKNOWN_EPS_SUBSCRIPTION:
		return "unknown-eps-subscription";
	case HSS_ROAMING_NOT_ALLOWED:
		return "roaming-not-allowed";
	case HSS_AUTHENTICATION_DATA_UNAVAILABLE:
		return "authentication-data-unavailable";
	case HSS_RESYNC_REFUSED:
		return "resync-refused";
	case HSS_SUSPENDED:
		return "suspended";
	case HSS_INVALID:
		return "invalid";
	case HSS_ERROR:
		return "error";
	default:
		return r > 0 ? "ok" : "unknown";
	}
}

static int host_valid(const char *host)
{
	size_t n = host ? strlen(host) : 0;
	return n > 0 && n <= HSS_HOST_MAX;
}

/*
 * One attempt of Update-Location in a transaction of durability d: the
 * two-mme rule (clone.h), then the new serving MME, remembering the one it
 * replaces. Returns an hss_result, or 1 when an event needs a durable
 * transaction and d is lazy (the caller retries).
 */
static int ulr_in_txn(struct hss *h, const char *imsi, const uint8_t plmn[static 3], const char *host,
		      enum om_store_durability d, struct hss_subscription *out, struct hss_events *ev,
		      char replaced[static HSS_HOST_MAX + 1])
{
	struct hss_row r;
	int rc;
	memset(&r, 0, sizeof(r));
	if (om_store_begin(h->store, d) < 0) {
		rc = HSS_ERROR;
		goto out;
	}
	rc = hss_store_get(h, imsi, &r);
	if (rc < 0) {
		rc = hss_result_from_err(rc);
		goto out;
	}
	if (r.status != HSS_STATUS_ACTIVE) {
		rc = HSS_SUSPENDED;
		goto out;
	}
	rc = hss_store_roaming_allowed(h, &r, plmn);
	if (rc <= 0) {
		rc = rc == 0 ? HSS_ROAMING_NOT_ALLOWED : HSS_ERROR;
		goto out;
	}
	/* store codes (om_err) and hss_result share small negatives: keep them apart */
	int src = hss_store_subscription(h, &r, out);
	if (src == 0 && out->n_apns == 0) {
		rc = HSS_UNKNOWN_EPS_SUBSCRIPTION;
		goto out;
	}
	int64_t now = (int64_t)time(NULL);
	if (src == 0 && hss_clone_two_mme(h, &r, host, now, ev)) {
		if (d != OM_STORE_DURABLE) {
			rc = 1;
			goto out;
		}
		int barred = hss_clone_apply(h, &r, ev, now);
		src = hss_store_set_events(h, &r);
		if (barred) {
			rc = src == 0 && om_store_commit(h->store) == 0 ? HSS_SUSPENDED : HSS_ERROR;
			goto out;
		}
	}
	if (src == 0 && r.serving_host[0] && strcmp(r.serving_host, host)) {
		snprintf(r.previous_host, sizeof(r.previous_host), "%s", r.serving_host);
		r.previous_until = now;
	}
	if (src == 0)
		src = hss_store_set_location(h, &r, host, plmn, now);
	if (src == 0)
		src = om_store_commit(h->store);
	rc = src < 0 ? HSS_ERROR : HSS_OK;
	/* TS 29.272 5.2.1.1.2: the MME this one replaces gets a Cancel-Location */
	if (rc == HSS_OK && r.serving_host[0] && strcmp(r.serving_host, host))
		snprintf(replaced, HSS_HOST_MAX + 1, "%s", r.serving_host);
out:
	if (rc != HSS_OK && !(rc == HSS_SUSPENDED && ev->barred))
		memset(ev, 0, sizeof(*ev)); /* not committed: nothing to log */
	om_store_rollback(h->store);
	hss_row_clear(&r);
	return rc;
}

int hss_update_location(struct hss *h, const char *imsi, const uint8_t visited_plmn[static 3],
			const char *origin_host, struct hss_subscription *out)
{
	struct hss_events ev;
	char replaced[HSS_HOST_MAX + 1] = "";
	int rc;
	memset(&ev, 0, sizeof(ev));
	if (!h || !hss_imsi_valid(imsi) || !visited_plmn || !host_valid(origin_host) || !out) {
		om_notice("ulr", "result=invalid reason=malformed-request");
		return HSS_INVALID;
	}
	pthread_mutex_lock(&h->lock);
	om_store_sync_unlocks(&h->lock); /* as for an AIR: ulr_in_txn keeps what it read in its own row and out */
	rc = ulr_in_txn(h, imsi, visited_plmn, origin_host, OM_STORE_LAZY, out, &ev, replaced);
	if (rc == 1)
		rc = ulr_in_txn(h, imsi, visited_plmn, origin_host, OM_STORE_DURABLE, out, &ev, replaced);
	om_store_sync_unlocks(NULL);
	pthread_mutex_unlock(&h->lock);
	if (rc == HSS_OK && replaced[0] && h->notify)
		h->notify(h->notify_arg, HSS_NOTIFY_CANCEL_UPDATE, imsi, replaced, NULL);
	hss_events_log(h, &ev, imsi, origin_host);
	if (rc == HSS_ERROR)
		om_error("ulr", "imsi=%s result=error reason=storage", imsi);
	else
		om_log(rc < 0 ? OM_LOG_INFO : OM_LOG_DEBUG, "ulr", "imsi=%s host=%s result=%s", imsi, origin_host,
		       hss_result_name(rc));
	return rc;
}

unsigned hss_idle(struct hss *h, const char *where)
{
	if (!h)
		return 0;
	pthread_mutex_lock(&h->lock);
	unsigned n = om_store_idle(h->store, where);
	pthread_mutex_unlock(&h->lock);
	return n;
}

void hss_set_notify(struct hss *h, hss_notify_fn fn, void *arg)
{
	if (!h)
		return;
	h->notify = fn;
	h->notify_arg = arg;
}

int hss_purge(struct hss *h, const char *imsi, const char *origin_host)
{
	struct hss_row r;
	int rc;
	memset(&r, 0, sizeof(r));
	if (!h || !hss_imsi_valid(imsi) || !host_valid(origin_host)) {
		om_notice("pur", "result=invalid reason=malformed-request");
		return HSS_INVALID;
	}
	pthread_mutex_lock(&h->lock);
	rc = om_store_begin(h->store, OM_STORE_LAZY);
	if (rc == 0)
		rc = hss_store_get(h, imsi, &r);
	if (rc == 0)
		rc = hss_store_clear_location(h, imsi, origin_host);
	if (rc == 0)
		rc = om_store_commit(h->store);
	om_store_rollback(h->store);
	pthread_mutex_unlock(&h->lock);
	hss_row_clear(&r);
	rc = rc < 0 ? hss_result_from_err(rc) : HSS_OK;
	om_log(rc < 0 ? OM_LOG_INFO : OM_LOG_DEBUG, "pur", "imsi=%s host=%s result=%s", imsi, origin_host,
	       hss_result_name(rc));
	return rc;
}
