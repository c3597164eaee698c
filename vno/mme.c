/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The EMM procedures the VNO runs as MME (TS 24.301): attach (5.5.1),
 * authentication (5.4.2), security mode control (5.4.3) and UE-originating
 * detach (5.5.2.2), with the HSS answers mapped to EMM causes per TS 29.272
 * Annex A. docs/vno.md has the table of every cause we send and why.
 *
 * The attach runs: Attach Request -> AIR -> Authentication Request/Response
 * -> Security Mode Command/Complete (the NAS keys from KASME, TS 33.401
 * A.7) -> ULR -> bearer -> Attach Accept/Complete, so the HSS records us
 * and the bearer opens only once NAS security is on. From the SMC on every
 * message is protected (nas_sec.h); what is not is dropped (4.4.4.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/radio.h>
#include <openmcim/sqn.h>

#include "bearer.h"
#include "log.h"
#include "metrics.h"
#include "mme.h"

#define MME_RETRANSMITS 4 /* T3460/T3450: the fifth expiry aborts (TS 24.301 5.4.2.7 b, 5.5.1.2.7 c) */
#define MME_REJECT_LOG_MS 10000 /* a reject line per link address and IMSI (struct mme lim_reject) */
#define MME_EBI 5         /* the default bearer's identity (om_nas_attach_accept_init) */
/* UE network capability (TS 24.301 9.9.3.34): octet 3 EEA0..7, octet 4 EIA0..7, from bit 8 down. */
#define UE_CAP_EEA0 0x80
#define UE_CAP_EEA2 0x20
#define UE_CAP_EIA2 0x20

/* ESM causes (TS 24.301 9.9.4.4) we log beside EMM cause #19. */
#define ESM_INSUFFICIENT_RESOURCES 26
#define ESM_UNKNOWN_APN 27
#define ESM_IPV4_ONLY 50

long long mme_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mme_free_tables(struct mme *m)
{
	free(m->busy_imsi);
	free(m->owner);
	free(m->attached);
	free(m->imsi_next);
	free(m->free_slot);
	free(m->imsi_head);
	free(m->pool_heap);
}

int mme_init(struct mme *m, const struct vno_conf *conf, const struct mme_s6a_ops *s6a)
{
	memset(m, 0, sizeof(*m));
	m->conf = conf;
	m->s6a = *s6a;
	if (om_plmn_encode(m->visited_plmn, conf->plmn.mcc, conf->plmn.mnc) < 0)
		return OM_EINVAL;
	unsigned n = conf->max_devices;
	m->imsi_buckets = 64;
	while (m->imsi_buckets < 2 * n)
		m->imsi_buckets *= 2;
	m->busy_imsi = calloc(n, sizeof(*m->busy_imsi));
	m->owner = calloc(n, sizeof(*m->owner));
	m->attached = calloc(n, sizeof(*m->attached));
	m->imsi_next = calloc(n, sizeof(*m->imsi_next));
	m->free_slot = calloc(n, sizeof(*m->free_slot));
	m->imsi_head = calloc(m->imsi_buckets, sizeof(*m->imsi_head));
	if (!m->busy_imsi || !m->owner || !m->attached || !m->imsi_next || !m->free_slot || !m->imsi_head) {
		mme_free_tables(m);
		return OM_ENOMEM;
	}
	for (uint32_t b = 0; b < m->imsi_buckets; b++)
		m->imsi_head[b] = -1;
	/* Popped from the end: slot 0 first. */
	for (unsigned i = 0; i < n; i++)
		m->free_slot[i] = (int)(n - 1 - i);
	m->n_free = n;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->log_lock, NULL);
	pthread_cond_init(&m->released, NULL);
	m->reject_log_ms = MME_REJECT_LOG_MS;
	return 0;
}

void mme_free(struct mme *m)
{
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->log_lock);
	pthread_cond_destroy(&m->released);
	mme_free_tables(m);
}

void mme_ue_init(struct mme_ue *ue, struct mme *m, mme_send_fn send, void *send_arg)
{
	memset(ue, 0, sizeof(*ue));
	ue->mme = m;
	ue->send = send;
	ue->send_arg = send_arg;
	ue->state = MME_IDLE;
	ue->slot = -1;
	ue->pool_index = -1;
	ue->ksi = OM_NAS_KSI_NONE;
	atomic_init(&ue->displaced, false);
	atomic_init(&ue->cancelled, 0);
}

long long mme_ue_deadline(const struct mme_ue *ue)
{
	return ue->deadline_ms;
}

/* ---- shared registry and pool ------------------------------------------- */

/* FNV-1a over the IMSI's digits: who knows an IMSI can choose its bucket, but a
 * chain holds only IMSIs that passed AKA here (one slot each), so no stranger
 * can lengthen it. */
static uint32_t imsi_bucket(const struct mme *m, const char *imsi)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)imsi; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h & (m->imsi_buckets - 1);
}

/* The busy slot of imsi, -1 when none. Under m->lock. */
static int slot_of(const struct mme *m, const char *imsi)
{
	for (int i = m->imsi_head[imsi_bucket(m, imsi)]; i >= 0; i = m->imsi_next[i])
		if (!strcmp(m->busy_imsi[i], imsi))
			return i;
	return -1;
}

struct mme_ue *mme_context_of(const struct mme *m, const char *imsi)
{
	int i = slot_of(m, imsi);
	return i < 0 ? NULL : m->owner[i];
}

/* Take a free slot for imsi and index it: the slot, or -1 when none is free. Under m->lock. */
static int slot_take(struct mme *m, const char *imsi)
{
	if (!m->n_free)
		return -1;
	int i = m->free_slot[--m->n_free];
	uint32_t b = imsi_bucket(m, imsi);
	snprintf(m->busy_imsi[i], sizeof(m->busy_imsi[0]), "%s", imsi);
	m->imsi_next[i] = m->imsi_head[b];
	m->imsi_head[b] = i;
	return i;
}

/* Unindex busy slot i and free it. Under m->lock. */
static void slot_give(struct mme *m, int i)
{
	int *p = &m->imsi_head[imsi_bucket(m, m->busy_imsi[i])];
	while (*p != i)
		p = &m->imsi_next[*p];
	*p = m->imsi_next[i];
	m->busy_imsi[i][0] = '\0';
	m->owner[i] = NULL;
	m->attached[i] = NULL;
	m->free_slot[m->n_free++] = i;
}

/* Pool indexes handed back wait on a min-heap: the lowest free address goes first, as before. */
static void heap_push(struct mme *m, uint32_t v)
{
	uint32_t *h = m->pool_heap, i = m->pool_heap_len++;
	for (; i > 0 && h[(i - 1) / 2] > v; i = (i - 1) / 2)
		h[i] = h[(i - 1) / 2];
	h[i] = v;
}

static uint32_t heap_pop(struct mme *m)
{
	uint32_t *h = m->pool_heap, top = h[0], last = h[--m->pool_heap_len], i = 0, n = m->pool_heap_len;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[c] >= last)
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	return top;
}

/* Hand pool index i back. Under m->lock. The heap holds at most pool_next entries. */
static void pool_give(struct mme *m, uint32_t i)
{
	if (m->pool_heap_len == m->pool_heap_cap) {
		uint32_t cap = m->pool_heap_cap ? 2 * m->pool_heap_cap : 64;
		uint32_t *h = realloc(m->pool_heap, cap * sizeof(*h));
		if (!h) {
			om_error("pool-error", "reason=out-of-memory lost_index=%u", i);
			return; /* that address is not handed out again: a leak, never a double use */
		}
		m->pool_heap = h;
		m->pool_heap_cap = cap;
	}
	heap_push(m, i);
}

/*
 * ue has just passed AKA for ue->imsi: it takes the IMSI's slot. An older
 * context of the same IMSI on another connection is deleted (TS 24.301
 * 5.5.1.2.7 f: an ATTACH REQUEST in EMM-REGISTERED; the network may
 * authenticate first, and once the new one has proven itself the old EMM
 * and bearer contexts go): that connection is told through its displaced
 * flag and lets go on its own thread, without a PUR (the HSS now has the
 * new one). A PUR of the older context still in flight is waited for
 * (bounded by the S6a timeout), so that it cannot reach the HSS after our
 * ULR and clear the location it records. 0, or -1 when every slot is taken.
 */
static int registry_take(struct mme_ue *ue)
{
	struct mme *m = ue->mme;
	int rc = -1, free_slot = -1;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += m->conf->s6a_timeout_ms / 1000 + 1;
	pthread_mutex_lock(&m->lock);
again:
	free_slot = slot_of(m, ue->imsi);
	if (free_slot >= 0) {
		struct mme_ue *old = m->owner[free_slot];
		if (old && old->releasing && pthread_cond_timedwait(&m->released, &m->lock, &until) == 0)
			goto again;
		if (old) {
			atomic_store(&old->displaced, true);
			if (old->wake)
				old->wake(old->send_arg); /* it lets go on its own worker, at once */
			om_notice("context-replaced", "imsi=%s reason=newer-attach-authenticated", ue->imsi);
		}
	} else {
		free_slot = slot_take(m, ue->imsi);
	}
	if (free_slot >= 0) {
		m->owner[free_slot] = ue;
		m->attached[free_slot] = NULL; /* no push reaches the old one meanwhile */
		ue->slot = free_slot;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* Whether ue holds its slot (a newer attach may have taken it). Under m->lock. */
static bool owns_slot(const struct mme_ue *ue)
{
	return ue->slot >= 0 && ue->mme->owner[ue->slot] == ue;
}

static int pool_alloc(struct mme_ue *ue)
{
	struct mme *m = ue->mme;
	pthread_mutex_lock(&m->lock);
	if (m->pool_heap_len)
		ue->pool_index = (int)heap_pop(m);
	else if (m->pool_next < m->conf->pool_size)
		ue->pool_index = (int)m->pool_next++;
	pthread_mutex_unlock(&m->lock);
	if (ue->pool_index < 0)
		return -1;
	const uint8_t *b = m->conf->pool_base;
	uint32_t a = ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]) +
		     (uint32_t)ue->pool_index;
	for (int i = 0; i < 4; i++)
		ue->ipv4[i] = (uint8_t)(a >> (24 - 8 * i));
	return 0;
}

/* Give back everything the connection holds; PUR when the HSS has us as serving MME for it. */
static void release(struct mme_ue *ue)
{
	struct mme *m = ue->mme;
	if (ue->bearer) {
		bearer_close(ue->bearer);
		ue->bearer = NULL;
		om_debug("bearer-closed", "imsi=%s apn=%s", ue->imsi, ue->apn);
	}
	pthread_mutex_lock(&m->lock);
	bool owner = owns_slot(ue);
	if (owner && m->attached[ue->slot] == ue)
		m->attached[ue->slot] = NULL;
	while (ue->pushing) /* no push finds ue from here on; one sending now holds it (bounded by SO_SNDTIMEO) */
		pthread_cond_wait(&m->released, &m->lock);
	owner = owns_slot(ue); /* a newer attach may have taken the slot (and sent its ULR) meanwhile: then no PUR */
	ue->releasing = owner && ue->registered;
	pthread_mutex_unlock(&m->lock);
	if (ue->releasing) {
		struct om_s6a_answer ans = {0};
		int rc = m->s6a.pur(m->s6a.arg, ue->home->realm, ue->imsi, &ans);
		/* issue 14: one line per event; a PUR that went through is part of the detach line's event */
		om_log(rc < 0 || ans.result_code != OM_S6A_SUCCESS ? OM_LOG_INFO : OM_LOG_DEBUG, "pur",
		       "imsi=%s realm=%s result=%s code=%u", ue->imsi, ue->home->realm, rc < 0 ? "no-answer" : "answered",
		       ans.result_code);
	}
	ue->registered = false;
	pthread_mutex_lock(&m->lock);
	if (ue->pool_index >= 0)
		pool_give(m, (uint32_t)ue->pool_index);
	if (owns_slot(ue))
		slot_give(m, ue->slot);
	ue->releasing = false;
	pthread_cond_broadcast(&m->released);
	pthread_mutex_unlock(&m->lock);
	ue->pool_index = -1;
	ue->slot = -1;
	ue->imsi[0] = '\0';
	ue->apn[0] = '\0';
	ue->home = NULL;
	ue->resynced = false;
	ue->deadline_ms = 0;
	ue->retransmits = 0;
	OPENSSL_cleanse(&ue->vec, sizeof(ue->vec));
	OPENSSL_cleanse(ue->last_pdu, sizeof(ue->last_pdu));
	ue->last_len = 0;
	if (ue->state != MME_DEAD)
		ue->state = MME_IDLE;
}

/*
 * A newer authenticated attach of our IMSI took the context: delete ours
 * (bearer, address) without a PUR and end the link. true when that happened.
 */
static bool displaced(struct mme_ue *ue)
{
	if (!atomic_load(&ue->displaced))
		return false;
	om_notice("context-deleted", "imsi=%s reason=replaced-by-newer-attach", ue->imsi);
	release(ue); /* no longer the slot's owner: no PUR, the slot stays the newer one's */
	om_nas_ctx_clear(&ue->nas);
	atomic_store(&ue->displaced, false);
	ue->state = MME_DEAD;
	return true;
}

int mme_cancel(struct mme *m, const char *imsi, bool detach)
{
	int found = 0;
	if (!m || !imsi)
		return 0;
	pthread_mutex_lock(&m->lock);
	struct mme_ue *ue = mme_context_of(m, imsi);
	if (ue) {
		atomic_store(&ue->cancelled, detach ? MME_CANCEL_DETACH : MME_CANCEL_DELETE);
		if (ue->wake)
			ue->wake(ue->send_arg); /* at once, not at the link's next frame or timer */
		found = 1;
	}
	pthread_mutex_unlock(&m->lock);
	return found;
}

static int send_nas(struct mme_ue *ue, const struct om_nas_msg *m, unsigned timer_ms, uint8_t sht);

/*
 * mme_cancel() reached this connection: send the Detach Request when asked
 * (TS 24.301 5.5.2.3.1; protected, as every message after the SMC), release
 * without a PUR, end the link. true when so.
 */
static bool cancelled(struct mme_ue *ue)
{
	int how = atomic_exchange(&ue->cancelled, 0);
	if (!how)
		return false;
	bool had_bearer = ue->bearer != NULL;
	om_notice("context-deleted", "imsi=%s reason=cancel-location detach=%d", ue->imsi, how == MME_CANCEL_DETACH);
	ue->registered = false; /* the HSS has let go of us: no PUR */
	release(ue);
	ue->state = MME_DEAD;
	if (how == MME_CANCEL_DETACH) {
		struct om_nas_msg m = {.kind = OM_NAS_DETACH_REQUEST_NET};
		m.u.detach_request_net.detach_type = 2; /* 9.9.3.7: re-attach not required */
		(void)send_nas(ue, &m, 0, 0);
	}
	om_nas_ctx_clear(&ue->nas);
	if (had_bearer) {
		uint8_t ebi = MME_EBI;
		(void)ue->send(ue->send_arg, OM_RADIO_LAB_RELEASED, &ebi, 1);
	}
	return true;
}

void mme_ue_release(struct mme_ue *ue)
{
	release(ue);
	om_nas_ctx_clear(&ue->nas);
	ue->state = MME_DEAD;
}

/* ---- sending ------------------------------------------------------------- */

/*
 * Send the plain message pdu: as it is before the SMC, protected as type
 * sht (0: integrity protected and ciphered) with the next NAS COUNT once
 * the context is active. A retransmission comes here again, so it gets a
 * COUNT of its own and is no replay.
 */
static int transmit(struct mme_ue *ue, const uint8_t *pdu, size_t n, uint8_t sht)
{
	uint8_t sec[OM_NAS_MAX_LEN + OM_NAS_SEC_HDR_LEN];
	if (!ue->nas.active)
		return ue->send(ue->send_arg, OM_RADIO_NAS, pdu, n);
	int rc = om_nas_protect(&ue->nas, sec, sizeof(sec), sht ? sht : OM_NAS_SHT_INT_ENC, pdu, n);
	if (rc >= 0)
		rc = ue->send(ue->send_arg, OM_RADIO_NAS, sec, (size_t)rc);
	else
		om_error("nas-protect", "imsi=%s err=%s", ue->imsi, om_errname(rc));
	OPENSSL_cleanse(sec, sizeof(sec));
	return rc < 0 ? rc : 0;
}

/* Encode and send m (transmit()); keep it for retransmission when a timer guards it. */
static int send_nas(struct mme_ue *ue, const struct om_nas_msg *m, unsigned timer_ms, uint8_t sht)
{
	uint8_t pdu[OM_NAS_MAX_LEN];
	int n = om_nas_encode(pdu, sizeof(pdu), m);
	if (n < 0) {
		om_error("nas-encode", "imsi=%s kind=%s err=%s", ue->imsi, om_nas_kind_name(m->kind), om_errname(n));
		return n;
	}
	if (timer_ms) {
		memcpy(ue->last_pdu, pdu, (size_t)n);
		ue->last_len = (size_t)n;
		ue->last_sht = sht;
		ue->retransmits = 0;
		ue->deadline_ms = mme_now_ms() + timer_ms;
	}
	n = transmit(ue, pdu, (size_t)n, sht);
	OPENSSL_cleanse(pdu, sizeof(pdu));
	return n;
}

/* Attaches by outcome: "accepted" at Attach Complete, else the EMM cause of the reject (TS 24.301 9.9.3.9). */
static struct om_metric m_attach = OM_COUNTER("openmcim_vno_attaches_total",
	"Attaches completed (accepted) or rejected, by EMM cause (TS 24.301 9.9.3.9)", "cause");
static struct om_metric m_attach_s = OM_HISTOGRAM("openmcim_vno_attach_seconds",
	"Attach Request to Attach Complete (AKA, S6a, SMC and bearer included)", NULL);

/*
 * Whether a line about ue's frame may go to the log: always once its device
 * has passed AKA; before, a link is anyone's, and a flood of ignored or
 * malformed frames (24,395 lines in 3 s from one link, session 6 review) is
 * at most NAS_LOG_BURST lines a second for each kind; *dropped: how many
 * were left out since the last one.
 */
#define NAS_LOG_BURST 10
static bool may_log(struct mme_ue *ue, struct om_log_limit *l, unsigned long *dropped)
{
	*dropped = 0;
	if (ue->authenticated)
		return true;
	pthread_mutex_lock(&ue->mme->log_lock);
	bool ok = om_log_limit_pass(l, NAS_LOG_BURST, dropped);
	pthread_mutex_unlock(&ue->mme->log_lock);
	return ok;
}

#define NAS_NOTICE(ue, lim, event, fmt, ...)                                                               \
	do {                                                                                               \
		unsigned long dropped_;                                                                    \
		if (may_log((ue), &(ue)->mme->lim, &dropped_))                                             \
			om_notice(event, fmt " suppressed=%lu", __VA_ARGS__, dropped_);                    \
	} while (0)

/*
 * Whether a reject of imsi on ue's link may be logged (review: one client
 * could flood the log with rejects). Keyed by the link's address and the
 * IMSI, not the address alone: devices behind one address (every lab device
 * is 127.0.0.1) each keep their line, while a flood of made-up IMSIs from
 * one address fills the 16 entries and then shares one line a second.
 */
static bool may_log_reject(struct mme_ue *ue, const char *imsi, unsigned long *dropped)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)imsi; *p; p++)
		h = (h ^ *p) * 16777619u;
	*dropped = 0;
	pthread_mutex_lock(&ue->mme->log_lock);
	bool ok = om_log_keyed_pass(&ue->mme->lim_reject, (uint64_t)ue->source << 32 | h, ue->mme->reject_log_ms,
				    dropped);
	pthread_mutex_unlock(&ue->mme->log_lock);
	return ok;
}

/* Attach Reject with cause, the reason logged; everything the attempt held is released. */
static int reject(struct mme_ue *ue, const char *imsi, uint8_t cause, const char *reason)
{
	struct om_nas_msg m = {.kind = OM_NAS_ATTACH_REJECT};
	unsigned long dropped;
	m.u.attach_reject.cause = cause;
	if (may_log_reject(ue, imsi, &dropped))
		om_notice("attach-reject", "imsi=%s cause=%u (%s) reason=%s suppressed=%lu", imsi[0] ? imsi : "-",
			  cause, om_nas_emm_cause_name(cause), reason, dropped);
	char v[8];
	snprintf(v, sizeof(v), "%u", cause);
	om_metric_inc(&m_attach, v);
	release(ue);
	int rc = send_nas(ue, &m, 0, 0); /* protected when the SMC ran: the device drops it otherwise */
	om_nas_ctx_clear(&ue->nas);
	return rc;
}

static int auth_reject(struct mme_ue *ue, const char *reason)
{
	struct om_nas_msg m = {.kind = OM_NAS_AUTH_REJECT};
	unsigned long dropped;
	if (may_log_reject(ue, ue->imsi, &dropped))
		om_notice("auth-reject", "imsi=%s reason=%s suppressed=%lu", ue->imsi, reason, dropped);
	release(ue);
	int rc = send_nas(ue, &m, 0, 0);
	om_nas_ctx_clear(&ue->nas);
	return rc;
}

static int send_auth_request(struct mme_ue *ue)
{
	struct om_nas_msg m = {.kind = OM_NAS_AUTH_REQUEST};
	ue->ksi = ue->ksi >= 6 ? 0 : (uint8_t)(ue->ksi + 1); /* 0..6; 7 is "no key" */
	m.u.auth_request.ksi = ue->ksi;
	memcpy(m.u.auth_request.rand, ue->vec.rand, OM_RAND_LEN);
	memcpy(m.u.auth_request.autn, ue->vec.autn, OM_AUTN_LEN);
	ue->state = MME_AUTH;
	om_debug("auth-request", "imsi=%s ksi=%u resync=%d", ue->imsi, ue->ksi, ue->resynced);
	return send_nas(ue, &m, ue->mme->conf->t3460_ms, 0);
}

/* ---- the HSS ------------------------------------------------------------- */

/*
 * The EMM cause for an S6a failure, TS 29.272 Annex A (table A.1):
 * user unknown 5001 -> #8, roaming not allowed 5004 -> #11, unknown EPS
 * subscription 5420 -> #15, authentication data unavailable 4181 -> #15 (after
 * one retry), no answer or anything else -> #17 network failure.
 */
static uint8_t cause_of(int rc, const struct om_s6a_answer *a)
{
	if (rc < 0)
		return OM_NAS_CAUSE_NETWORK_FAILURE;
	if (a->experimental && a->result_code == OM_S6A_ERROR_USER_UNKNOWN)
		return OM_NAS_CAUSE_EPS_AND_NON_EPS_NOT_ALLOWED;
	if (a->experimental && a->result_code == OM_S6A_ERROR_ROAMING_NOT_ALLOWED)
		return OM_NAS_CAUSE_PLMN_NOT_ALLOWED;
	if (a->experimental && a->result_code == OM_S6A_ERROR_UNKNOWN_EPS_SUBSCRIPTION)
		return OM_NAS_CAUSE_NO_SUITABLE_CELLS_IN_TA;
	if (!a->experimental && a->result_code == OM_S6A_AUTHENTICATION_DATA_UNAVAILABLE)
		return OM_NAS_CAUSE_NO_SUITABLE_CELLS_IN_TA;
	return OM_NAS_CAUSE_NETWORK_FAILURE;
}

/* One vector from the home HSS into ue->vec: 0, or the EMM cause to reject with. */
static int fetch_vector(struct mme_ue *ue, const uint8_t *resync, struct om_s6a_answer *ans)
{
	struct mme *m = ue->mme;
	for (int attempt = 0;; attempt++) {
		memset(ans, 0, sizeof(*ans));
		int n = m->s6a.air(m->s6a.arg, ue->home->realm, ue->imsi, m->visited_plmn, resync, &ue->vec, ans);
		om_log(n >= 1 && ans->result_code == OM_S6A_SUCCESS ? OM_LOG_DEBUG : OM_LOG_INFO, "air",
		       "imsi=%s realm=%s resync=%d result=%s code=%u%s vectors=%d", ue->imsi,
			ue->home->realm, resync != NULL, n < 0 ? "no-answer" : "answered", ans->result_code,
			ans->experimental ? "(exp)" : "", n < 0 ? 0 : n);
		if (n >= 1 && ans->result_code == OM_S6A_SUCCESS)
			return 0;
		if (n >= 0 && ans->result_code == OM_S6A_SUCCESS) {
			ans->result_code = OM_S6A_AUTHENTICATION_DATA_UNAVAILABLE; /* success without a vector */
			ans->experimental = 0;
		}
		/* 4181 may be transient (the HSS's store): ask once more, but never replay a resync. */
		if (attempt == 0 && !resync && n >= 0 && !ans->experimental &&
		    ans->result_code == OM_S6A_AUTHENTICATION_DATA_UNAVAILABLE)
			continue;
		return cause_of(n, ans);
	}
}

/* ---- the procedures ----------------------------------------------------- */

/* The EMM cause for a PDU our codec refused (TS 24.301 7.5, 7.6). */
static uint8_t cause_of_decode(int err)
{
	switch (err) {
	case OM_ENAS_MSG_TYPE:
	case OM_ENAS_DIRECTION:
		return OM_NAS_CAUSE_MSG_TYPE_NON_EXISTENT;
	case OM_ENAS_CONDITIONAL:
		return OM_NAS_CAUSE_CONDITIONAL_IE_ERROR;
	case OM_ENAS_APN:
	case OM_ENAS_ESM:
		return OM_NAS_CAUSE_ESM_FAILURE;
	case OM_ENAS_SECURITY:
		return OM_NAS_CAUSE_PROTOCOL_ERROR;
	default:
		return OM_NAS_CAUSE_INVALID_MANDATORY_INFO;
	}
}

static int on_attach_request(struct mme_ue *ue, const struct om_nas_attach_request *req)
{
	struct om_s6a_answer ans;
	if (ue->state != MME_IDLE) {
		/* TS 24.301 5.5.1.2.7 d, e: a new Attach Request replaces the procedure or context. */
		om_notice("attach-restart", "imsi=%s state=%d", ue->imsi, ue->state);
		release(ue);
	}
	om_nas_ctx_clear(&ue->nas); /* a new attach authenticates anew: a new KASME, COUNTs from 0 */
	if (req->id.type != OM_NAS_ID_IMSI)
		return reject(ue, "", OM_NAS_CAUSE_UE_ID_NOT_DERIVED, "guti-without-context");
	const char *imsi = req->id.imsi;
	om_debug("attach-request", "imsi=%s apn=%s", imsi, req->pdn.apn[0] ? req->pdn.apn : "-");
	ue->attach_t0 = om_metric_start();
	const struct vno_home *home = vno_conf_home(ue->mme->conf, imsi);
	if (!home)
		return reject(ue, imsi, OM_NAS_CAUSE_PLMN_NOT_ALLOWED, "no-roaming-agreement");
	/* No slot yet: an attach that has not authenticated holds nothing another could need. */
	snprintf(ue->imsi, sizeof(ue->imsi), "%s", imsi);
	ue->home = home;
	ue->pdn = req->pdn;
	memcpy(ue->ue_sec_cap, req->ue_net_cap, sizeof(ue->ue_sec_cap)); /* 9.9.3.34: 2 octets at least */
	int cause = fetch_vector(ue, NULL, &ans);
	if (cause)
		return reject(ue, imsi, (uint8_t)cause, "air-failed");
	return send_auth_request(ue);
}

/* The APN the bearer gets from the ULA's subscription, or an EMM #19 reject. */
static const struct vno_apn *choose_apn(struct mme_ue *ue, const struct om_s6a_subscription *sub,
					int *esm_cause, const char **reason)
{
	const char *name = NULL;
	*esm_cause = ESM_UNKNOWN_APN;
	for (size_t i = 0; i < sub->n_apns && i < 4; i++) {
		if (ue->pdn.apn[0] ? !strcasecmp(sub->apns[i].name, ue->pdn.apn)
				   : sub->apns[i].context_id == sub->default_context_id)
			name = sub->apns[i].name;
	}
	if (!name) {
		*reason = ue->pdn.apn[0] ? "apn-not-subscribed" : "no-default-apn";
		return NULL;
	}
	const struct vno_apn *policy = vno_conf_apn(ue->mme->conf, name);
	if (!policy) {
		*reason = "apn-not-served";
		return NULL;
	}
	if (ue->pdn.pdn_type == 2) {
		*esm_cause = ESM_IPV4_ONLY;
		*reason = "ipv6-only-requested";
		return NULL;
	}
	return policy;
}

static int esm_reject(struct mme_ue *ue, int esm_cause, const char *reason)
{
	char why[96];
	snprintf(why, sizeof(why), "%s esm_cause=%d", reason, esm_cause);
	char imsi[OM_NAS_IMSI_MAX + 1];
	memcpy(imsi, ue->imsi, sizeof(imsi));
	return reject(ue, imsi, OM_NAS_CAUSE_ESM_FAILURE, why);
}

static int on_auth_ok(struct mme_ue *ue)
{
	struct mme *m = ue->mme;
	struct om_s6a_subscription sub;
	struct om_s6a_answer ans = {0};
	char imsi[OM_NAS_IMSI_MAX + 1];
	memcpy(imsi, ue->imsi, sizeof(imsi));
	memset(&sub, 0, sizeof(sub));
	int rc = m->s6a.ulr(m->s6a.arg, ue->home->realm, ue->imsi, m->visited_plmn, &sub, &ans);
	om_log(rc < 0 || ans.result_code != OM_S6A_SUCCESS ? OM_LOG_INFO : OM_LOG_DEBUG, "ulr",
	       "imsi=%s realm=%s result=%s code=%u%s apns=%zu", ue->imsi, ue->home->realm,
		rc < 0 ? "no-answer" : "answered", ans.result_code, ans.experimental ? "(exp)" : "", sub.n_apns);
	if (rc < 0 || ans.result_code != OM_S6A_SUCCESS)
		return reject(ue, imsi, cause_of(rc, &ans), "ulr-failed");
	ue->registered = true;
	int esm_cause;
	const char *reason = NULL;
	const struct vno_apn *policy = choose_apn(ue, &sub, &esm_cause, &reason);
	if (!policy)
		return esm_reject(ue, esm_cause, reason);
	if (pool_alloc(ue) < 0)
		return esm_reject(ue, ESM_INSUFFICIENT_RESOURCES, "ip-pool-exhausted");
	uint16_t port = 0;
	snprintf(ue->apn, sizeof(ue->apn), "%s", policy->name);
	/* The bearer's key: fresh per attach, told only over this device's own link
	 * (the LAB frame), so the proxy tunnels only for this link's device. */
	if (RAND_bytes(ue->bearer_key, sizeof(ue->bearer_key)) != 1)
		return reject(ue, imsi, OM_NAS_CAUSE_NETWORK_FAILURE, "bearer-key");
	if (!(ue->bearer = bearer_open(policy, ue->imsi, ue->bearer_key, &port)))
		return reject(ue, imsi, OM_NAS_CAUSE_NETWORK_FAILURE, "bearer-failed");
	struct om_nas_msg acc;
	if (om_nas_attach_accept_init(&acc, &m->conf->plmn, ue->pdn.pti ? ue->pdn.pti : 1, ue->apn, ue->ipv4) < 0)
		return reject(ue, imsi, OM_NAS_CAUSE_NETWORK_FAILURE, "accept-encode");
	ue->state = MME_WAIT_COMPLETE;
	om_debug("attach-accept", "imsi=%s apn=%s ip=%u.%u.%u.%u proxy=127.0.0.1:%u", ue->imsi, ue->apn,
		ue->ipv4[0], ue->ipv4[1], ue->ipv4[2], ue->ipv4[3], port);
	/* The port travels in the LAB frame after Attach Complete; keep it beside the bearer. */
	ue->last_port = port;
	return send_nas(ue, &acc, m->conf->t3450_ms, 0);
}

/*
 * Security Mode Command (TS 24.301 5.4.3.2, TS 33.401 7.2.4.4): K_NASint
 * and K_NASenc from this authentication's KASME for 128-EIA2 and the
 * configured ciphering, the device's capabilities replayed so it can see
 * they were not bid down, integrity protected with the new context (type
 * 3, not ciphered: the device needs the algorithms to derive its keys).
 * KASME goes with the vector once the keys are derived.
 */
static int send_smc(struct mme_ue *ue)
{
	uint8_t eea = ue->mme->conf->nas_eea;
	uint8_t need_eea = eea == OM_NAS_EEA2 ? UE_CAP_EEA2 : UE_CAP_EEA0;
	char imsi[OM_NAS_IMSI_MAX + 1];
	memcpy(imsi, ue->imsi, sizeof(imsi));
	if (!(ue->ue_sec_cap[1] & UE_CAP_EIA2) || !(ue->ue_sec_cap[0] & need_eea)) {
		OPENSSL_cleanse(&ue->vec, sizeof(ue->vec));
		return reject(ue, imsi, OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH, "no-common-nas-algorithm");
	}
	int rc = om_nas_ctx_init(&ue->nas, ue->vec.kasme, eea, OM_NAS_EIA2, ue->ksi, OM_NAS_SEC_DOWNLINK);
	OPENSSL_cleanse(&ue->vec, sizeof(ue->vec));
	if (rc < 0)
		return reject(ue, imsi, OM_NAS_CAUSE_NETWORK_FAILURE, "nas-keys");
	struct om_nas_msg m = {.kind = OM_NAS_SEC_MODE_COMMAND};
	m.u.sec_mode_command.eea = eea;
	m.u.sec_mode_command.eia = OM_NAS_EIA2;
	m.u.sec_mode_command.ksi = ue->ksi;
	memcpy(m.u.sec_mode_command.ue_sec_cap, ue->ue_sec_cap, sizeof(ue->ue_sec_cap));
	m.u.sec_mode_command.ue_sec_cap_len = sizeof(ue->ue_sec_cap);
	ue->state = MME_SMC;
	om_debug("smc", "imsi=%s ksi=%u eea=%u eia=%u", ue->imsi, ue->ksi, eea, OM_NAS_EIA2);
	return send_nas(ue, &m, ue->mme->conf->t3460_ms, OM_NAS_SHT_INT_NEW);
}

/* Security Mode Complete, its MAC verified: the attach goes on to the HSS (ULR) and the bearer. */
static int on_smc_complete(struct mme_ue *ue)
{
	if (ue->state != MME_SMC) {
		NAS_NOTICE(ue, lim_ignored, "nas-ignored", "imsi=%s msg=smc-complete reason=no-smc-running",
			   ue->imsi);
		return 0;
	}
	ue->deadline_ms = 0;
	om_debug("smc-complete", "imsi=%s eea=%u eia=%u", ue->imsi, ue->nas.eea, ue->nas.eia);
	return on_auth_ok(ue);
}

/* Security Mode Reject (TS 24.301 5.4.3.5): the attach that asked for it is aborted. */
static int on_smc_reject(struct mme_ue *ue, const struct om_nas_sec_mode_reject *r)
{
	if (ue->state != MME_SMC) {
		NAS_NOTICE(ue, lim_ignored, "nas-ignored", "imsi=%s msg=smc-reject reason=no-smc-running",
			   ue->imsi);
		return 0;
	}
	om_notice("smc-rejected", "imsi=%s cause=%u (%s)", ue->imsi, r->cause, om_nas_emm_cause_name(r->cause));
	release(ue);
	om_nas_ctx_clear(&ue->nas);
	return 0;
}

static int on_auth_response(struct mme_ue *ue, const struct om_nas_auth_response *r)
{
	if (ue->state != MME_AUTH) {
		NAS_NOTICE(ue, lim_ignored, "nas-ignored",
			   "imsi=%s msg=auth-response reason=no-authentication-running", ue->imsi);
		return 0;
	}
	ue->deadline_ms = 0;
	/* TS 33.401 6.1.1: RES against XRES, in constant time. */
	if (r->res_len != OM_RES_LEN || CRYPTO_memcmp(r->res, ue->vec.xres, OM_RES_LEN) != 0)
		return auth_reject(ue, "res-mismatch");
	ue->authenticated = true;
	om_debug("auth-ok", "imsi=%s", ue->imsi);
	if (registry_take(ue) < 0) {
		char imsi[OM_NAS_IMSI_MAX + 1];
		memcpy(imsi, ue->imsi, sizeof(imsi));
		return reject(ue, imsi, OM_NAS_CAUSE_CONGESTION, "no-free-slot");
	}
	return send_smc(ue);
}

static int on_auth_failure(struct mme_ue *ue, const struct om_nas_auth_failure *f)
{
	struct om_s6a_answer ans;
	if (ue->state != MME_AUTH) {
		NAS_NOTICE(ue, lim_ignored, "nas-ignored",
			   "imsi=%s msg=auth-failure reason=no-authentication-running", ue->imsi);
		return 0;
	}
	ue->deadline_ms = 0;
	om_notice("auth-failure", "imsi=%s cause=%u (%s)", ue->imsi, f->cause, om_nas_emm_cause_name(f->cause));
	if (f->cause == OM_NAS_CAUSE_MAC_FAILURE)
		return auth_reject(ue, "mac-failure-network-not-authentic");
	if (f->cause != OM_NAS_CAUSE_SYNCH_FAILURE)
		return auth_reject(ue, "auth-failure-other");
	if (ue->resynced)
		return auth_reject(ue, "second-synch-failure");
	/* TS 33.102 6.3.5: Re-Synchronization-Info = RAND || AUTS of the refused challenge. */
	uint8_t resync[OM_RAND_LEN + OM_AUTS_LEN];
	memcpy(resync, ue->vec.rand, OM_RAND_LEN);
	memcpy(resync + OM_RAND_LEN, f->auts, OM_AUTS_LEN);
	ue->resynced = true;
	int cause = fetch_vector(ue, resync, &ans);
	if (cause == 0)
		return send_auth_request(ue);
	if (!ans.experimental && ans.result_code == OM_S6A_AUTHENTICATION_DATA_UNAVAILABLE)
		return auth_reject(ue, "resync-refused-by-hss");
	char imsi[OM_NAS_IMSI_MAX + 1];
	memcpy(imsi, ue->imsi, sizeof(imsi));
	return reject(ue, imsi, (uint8_t)cause, "resync-air-failed");
}

static int on_attach_complete(struct mme_ue *ue, const struct om_nas_attach_complete *c)
{
	if (ue->state != MME_WAIT_COMPLETE || c->ebi != MME_EBI) {
		NAS_NOTICE(ue, lim_ignored, "nas-ignored",
			   "imsi=%s msg=attach-complete ebi=%u reason=no-attach-accepted", ue->imsi, c->ebi);
		return 0;
	}
	ue->deadline_ms = 0;
	ue->state = MME_ATTACHED;
	struct om_radio_bearer b = {.ebi = MME_EBI, .proxy_ipv4 = {127, 0, 0, 1}, .proxy_port = ue->last_port};
	memcpy(b.ue_ipv4, ue->ipv4, 4);
	memcpy(b.key, ue->bearer_key, sizeof(b.key));
	OPENSSL_cleanse(ue->bearer_key, sizeof(ue->bearer_key));
	uint8_t p[OM_RADIO_BEARER_LEN];
	om_radio_bearer_encode(p, &b);
	OPENSSL_cleanse(&b, sizeof(b));
	om_info("attach-complete", "imsi=%s apn=%s", ue->imsi, ue->apn);
	om_metric_inc(&m_attach, "accepted");
	om_metric_observe_since(&m_attach_s, NULL, &ue->attach_t0);
	int rc = ue->send(ue->send_arg, OM_RADIO_LAB_BEARER, p, sizeof(p));
	OPENSSL_cleanse(p, sizeof(p));
	if (rc < 0)
		return rc;
	/* Reachable for pushes only now: the device has its bearer frame first. */
	pthread_mutex_lock(&ue->mme->lock);
	if (owns_slot(ue))
		ue->mme->attached[ue->slot] = ue;
	pthread_mutex_unlock(&ue->mme->lock);
	return 0;
}

int mme_push(struct mme *m, const char *imsi, const uint8_t *doc, size_t len)
{
	int rc = OM_ERADIO_NOT_ATTACHED;
	if (!m || !imsi || !doc || !len)
		return OM_EINVAL;
	pthread_mutex_lock(&m->lock);
	int i = slot_of(m, imsi);
	struct mme_ue *ue = i < 0 ? NULL : m->attached[i];
	if (ue)
		ue->pushing++; /* ue lives until it is back to 0 (release() waits) */
	pthread_mutex_unlock(&m->lock);
	if (!ue)
		return rc;
	/* Outside the lock: a link that reads nothing holds this send up to its send timeout, and no attach,
	 * push or cancel of anyone else waits for it (session 6 review). */
	rc = ue->send(ue->send_arg, OM_RADIO_PUSH, doc, len);
	pthread_mutex_lock(&m->lock);
	if (--ue->pushing == 0)
		pthread_cond_broadcast(&m->released);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int on_detach(struct mme_ue *ue, const struct om_nas_detach_request_ue *d)
{
	bool had_bearer = ue->bearer != NULL;
	om_info("detach", "imsi=%s switch_off=%d", ue->imsi[0] ? ue->imsi : d->id.imsi, d->switch_off);
	release(ue);
	if (had_bearer) {
		uint8_t ebi = MME_EBI;
		int rc = ue->send(ue->send_arg, OM_RADIO_LAB_RELEASED, &ebi, 1);
		if (rc < 0)
			return rc;
	}
	struct om_nas_msg m = {.kind = OM_NAS_DETACH_ACCEPT};
	int rc = d->switch_off ? 0 : send_nas(ue, &m, 0, 0); /* 5.5.2.2.2: none after switch off */
	om_nas_ctx_clear(&ue->nas);
	return rc;
}

/* A PDU the context refuses (TS 24.301 4.4.4.3): discarded, nothing answered, the state unchanged. */
static int drop(struct mme_ue *ue, int why)
{
	ue->nas_dropped++;
	om_notice("nas-dropped", "imsi=%s state=%d err=%s", ue->imsi[0] ? ue->imsi : "-", ue->state, om_errname(why));
	return 0;
}

/*
 * Decode one uplink PDU. With the context active, a protected PDU must pass
 * om_nas_unprotect(); a plain one is taken only if 4.4.4.3 lets the network
 * process it unprotected: an Attach Request (a new attach, which
 * authenticates anew), or a Security Mode Reject while the SMC runs.
 * Returns 0, 1 (dropped) or the decoder's error.
 */
static int open_uplink(struct mme_ue *ue, struct om_nas_msg *m, const uint8_t *pdu, size_t len)
{
	uint8_t plain[OM_RADIO_PAYLOAD_MAX], sht;
	int sh = om_nas_sht(pdu, len);
	if (!ue->nas.active || sh < 0)
		return om_nas_decode(m, OM_NAS_UPLINK, pdu, len);
	if (sh == OM_NAS_SHT_PLAIN) {
		int rc = om_nas_decode(m, OM_NAS_UPLINK, pdu, len);
		if (rc == 0 && (m->kind == OM_NAS_ATTACH_REQUEST ||
				(m->kind == OM_NAS_SEC_MODE_REJECT && ue->state == MME_SMC)))
			return 0;
		OPENSSL_cleanse(m, sizeof(*m));
		drop(ue, OM_ENAS_UNPROTECTED);
		return 1;
	}
	int n = om_nas_unprotect(&ue->nas, plain, sizeof(plain), &sht, pdu, len);
	if (n < 0) {
		drop(ue, n);
		return 1;
	}
	int rc = om_nas_decode(m, OM_NAS_UPLINK, plain, (size_t)n);
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

int mme_ue_input(struct mme_ue *ue, const uint8_t *pdu, size_t len)
{
	struct om_nas_msg m;
	if (displaced(ue) || cancelled(ue))
		return 0;
	int rc = open_uplink(ue, &m, pdu, len);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		NAS_NOTICE(ue, lim_malformed, "nas-malformed", "imsi=%s state=%d err=%s", ue->imsi[0] ? ue->imsi : "-",
			   ue->state, om_errname(rc));
		if (ue->state == MME_ATTACHED)
			return 0; /* no EMM STATUS in our codec: the context stays, the PDU is dropped */
		char imsi[OM_NAS_IMSI_MAX + 1];
		memcpy(imsi, ue->imsi, sizeof(imsi));
		return reject(ue, imsi, cause_of_decode(rc), om_errname(rc));
	}
	switch (m.kind) {
	case OM_NAS_ATTACH_REQUEST:
		rc = on_attach_request(ue, &m.u.attach_request);
		break;
	case OM_NAS_AUTH_RESPONSE:
		rc = on_auth_response(ue, &m.u.auth_response);
		break;
	case OM_NAS_AUTH_FAILURE:
		rc = on_auth_failure(ue, &m.u.auth_failure);
		break;
	case OM_NAS_ATTACH_COMPLETE:
		rc = on_attach_complete(ue, &m.u.attach_complete);
		break;
	case OM_NAS_DETACH_REQUEST_UE:
		rc = on_detach(ue, &m.u.detach_request_ue);
		break;
	case OM_NAS_SEC_MODE_COMPLETE:
		rc = on_smc_complete(ue);
		break;
	case OM_NAS_SEC_MODE_REJECT:
		rc = on_smc_reject(ue, &m.u.sec_mode_reject);
		break;
	default:
		NAS_NOTICE(ue, lim_ignored, "nas-ignored", "imsi=%s msg=%s", ue->imsi[0] ? ue->imsi : "-",
			   om_nas_kind_name(m.kind));
		rc = 0;
	}
	OPENSSL_cleanse(&m, sizeof(m));
	return rc;
}

int mme_ue_timer(struct mme_ue *ue)
{
	if (displaced(ue) || cancelled(ue))
		return 0;
	if (!ue->deadline_ms || mme_now_ms() < ue->deadline_ms)
		return 0;
	bool t3460 = ue->state == MME_AUTH || ue->state == MME_SMC; /* 5.4.2.7 b, 5.4.3.7 b */
	const char *timer = t3460 ? "T3460" : "T3450";
	unsigned ms = t3460 ? ue->mme->conf->t3460_ms : ue->mme->conf->t3450_ms;
	if (ue->retransmits < MME_RETRANSMITS && ue->last_len) {
		ue->retransmits++;
		ue->deadline_ms = mme_now_ms() + ms;
		om_info("retransmit", "imsi=%s timer=%s n=%u", ue->imsi, timer, ue->retransmits);
		return transmit(ue, ue->last_pdu, ue->last_len, ue->last_sht);
	}
	om_notice("procedure-aborted", "imsi=%s timer=%s expiries=%u", ue->imsi, timer, ue->retransmits + 1);
	mme_ue_release(ue);
	return 0;
}
