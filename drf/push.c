/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery loop (push.h): a queue of bootstraps waiting for the device,
 * pushed through the VNO with libcurl, retried with backoff while the device
 * is not attached; and the periodic Note Z removals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openmcim/bootstrap.h>

#include "drf_int.h"
#include "https_client.h"
#include "log.h"
#include "metrics.h"
#include "push.h"

#define PUSH_TIMEOUT_MS 10000L
#define PUSH_URL_MAX 1024

/* docs/operate.md "Metrics" */
static struct om_metric m_push = OM_COUNTER("openmcim_drf_pushes_total",
	"Bootstrap pushes to the VNO, by result of each attempt (delivered, not-attached, failed, refused)", "result");
static struct om_metric m_queue =
	OM_GAUGE("openmcim_drf_push_queue", "Bootstraps waiting for delivery to the VNO", NULL);

struct push_entry {
	struct push_entry *next;
	struct push_entry *hnext; /* the next of its bucket in by_key */
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	char request_id[OM_HANDOVER_ID_MAX + 1];
	char imsi[DRF_IMSI_MAX + 1];
	uint32_t sequence;
	uint8_t *bootstrap;
	size_t len;
	unsigned attempts;
	time_t next_try;
};

/*
 * How many delivered (sender, request id) pairs the queue remembers. A
 * delivered entry is freed (issue 14), so without this a handover request
 * the SHO retries after the push went out would queue the same bootstrap
 * again. Bounded: a retry later than this many deliveries pushes again, which
 * the TRE refuses as a bootstrap it already holds.
 */
#define PUSH_DELIVERED_KEPT 1024

struct delivered_key {
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	char request_id[OM_HANDOVER_ID_MAX + 1];
	int hnext; /* the next ring slot of its bucket in delivered_by_key, or -1 */
};

/*
 * Queued entries and delivered keys found by (sender, request id) through a hash (issue 14):
 * each queueing walked the whole queue and the 1,024 delivered keys, so refilling a queue of N
 * from the register after a restart cost N^2 comparisons.
 */
#define PUSH_BUCKETS 4096
static unsigned key_hash(const char *sender, const char *request_id)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *c = sender; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *c = request_id; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return h % PUSH_BUCKETS;
}

struct drf_push {
	struct drf_push_config cfg;
	struct drf *drf;
	pthread_mutex_t *drf_lock;
	pthread_mutex_t lock; /* the queue and stop; taken after drf_lock, never before */
	pthread_cond_t wake;
	pthread_t thread;
	int started, stop;
	struct push_entry *head; /* entries still to deliver, oldest first */
	struct push_entry **tail; /* where the next one goes */
	struct push_entry *by_key[PUSH_BUCKETS];
	int delivered_by_key[PUSH_BUCKETS]; /* first ring slot of each bucket, or -1 */
	size_t queued;           /* their number */
	struct om_https_client *vno; /* the link to the VNO's push endpoint, kept (issue 14) */
	struct delivered_key delivered[PUSH_DELIVERED_KEPT]; /* a ring of the latest deliveries */
	size_t delivered_next;
};

/* Whether (sender, request id) was among the latest deliveries. Queue lock held. */
static int was_delivered(const struct drf_push *p, const char *sender, const char *request_id)
{
	for (int i = p->delivered_by_key[key_hash(sender, request_id)]; i >= 0; i = p->delivered[i].hnext)
		if (!strcmp(p->delivered[i].request_id, request_id) && !strcmp(p->delivered[i].sender, sender))
			return 1;
	return 0;
}

/* Remember e's key among the latest deliveries, in place of the oldest. Queue lock held. */
static void remember_delivered(struct drf_push *p, const struct push_entry *e)
{
	int slot = (int)(p->delivered_next++ % PUSH_DELIVERED_KEPT);
	struct delivered_key *k = &p->delivered[slot];
	if (k->request_id[0]) { /* the oldest key leaves its bucket */
		int *pp = &p->delivered_by_key[key_hash(k->sender, k->request_id)];
		while (*pp >= 0 && *pp != slot)
			pp = &p->delivered[*pp].hnext;
		if (*pp == slot)
			*pp = k->hnext;
	}
	snprintf(k->sender, sizeof(k->sender), "%s", e->sender);
	snprintf(k->request_id, sizeof(k->request_id), "%s", e->request_id);
	int *head = &p->delivered_by_key[key_hash(k->sender, k->request_id)];
	k->hnext = *head;
	*head = slot;
}

/* Add a copy of the row to the queue unless (sender, request id) waits there. Queue lock held. */
static int queue_add(struct drf_push *p, const char *sender, const char *request_id, const char *imsi,
		     uint32_t sequence, const void *bs, size_t len)
{
	unsigned b = key_hash(sender, request_id);
	for (struct push_entry *e = p->by_key[b]; e; e = e->hnext) /* only entries still to deliver: see forget() */
		if (!strcmp(e->sender, sender) && !strcmp(e->request_id, request_id))
			return 0;
	if (was_delivered(p, sender, request_id))
		return 0;
	struct push_entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->bootstrap = malloc(len ? len : 1))) {
		free(e);
		return OM_ENOMEM;
	}
	snprintf(e->sender, sizeof(e->sender), "%s", sender);
	snprintf(e->request_id, sizeof(e->request_id), "%s", request_id);
	snprintf(e->imsi, sizeof(e->imsi), "%s", imsi);
	memcpy(e->bootstrap, bs, len);
	e->len = len;
	e->sequence = sequence;
	e->next_try = 0; /* now */
	*p->tail = e;
	p->tail = &e->next;
	e->hnext = p->by_key[b];
	p->by_key[b] = e;
	p->queued++;
	om_debug("push-queued", "sender=%s request=%s imsi=%s sequence=%u", sender, request_id, imsi, sequence);
	om_metric_gauge_add(&m_queue, NULL, 1);
	return 0;
}

/*
 * Take a delivered (or finally refused) entry out of the queue and free it
 * (issue 14: kept, the queue grew by the 4 KB document per device for ever,
 * and every later queueing walked them all). Queue lock held.
 */
static void forget(struct drf_push *p, struct push_entry *gone)
{
	struct push_entry **hp = &p->by_key[key_hash(gone->sender, gone->request_id)];
	while (*hp && *hp != gone)
		hp = &(*hp)->hnext;
	if (*hp)
		*hp = gone->hnext;
	for (struct push_entry **pp = &p->head; *pp; pp = &(*pp)->next) {
		if (*pp == gone) {
			*pp = gone->next;
			if (p->tail == &gone->next)
				p->tail = pp;
			free(gone->bootstrap);
			free(gone);
			p->queued--;
			return;
		}
	}
}

/*
 * Queue the accepted handovers of the register: all of them (sender NULL),
 * or the one of (sender, request_id), read by its key. DRF lock held.
 * Returns the number queued, or OM_ENOMEM / OM_ESTORE*.
 */
static int queue_from_register(struct drf_push *p, const char *sender, const char *request_id)
{
	struct om_stmt *st = p->drf->stmt[sender ? DRF_SQL_PUSH_ONE : DRF_SQL_PUSH_ALL];
	int rc, n = 0;
	if (sender)
		rc = om_stmt_query(st, OM_BIND(OM_TEXT(sender), OM_TEXT(request_id)));
	else
		rc = om_stmt_query(st, OM_NOBIND);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&p->lock);
	for (; rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		size_t bl = 0;
		const void *b = om_stmt_col_blob(st, 4, &bl);
		if (p->cfg.url && (rc = queue_add(p, om_stmt_col_text(st, 0), om_stmt_col_text(st, 1),
						 om_stmt_col_text(st, 2), (uint32_t)om_stmt_col_int64(st, 3), b, bl)) < 0)
			break;
		n++;
	}
	if (p->cfg.url && n > 0)
		pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	om_stmt_reset(st);
	return rc < 0 ? rc : n;
}

int drf_push_accepted(struct drf_push *p, const char *sender, const char *request_id)
{
	if (!p || !sender || !request_id)
		return OM_EINVAL;
	int n = queue_from_register(p, sender, request_id);
	return n < 0 ? n : 0; /* none: a retry of a handover completed since, nothing to deliver */
}

size_t drf_push_queued(struct drf_push *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* One POST of e to the VNO on the kept link. Returns the HTTP status, or 0 when none came back. */
static long push_once(const struct drf_push *p, const struct push_entry *e, char *why, size_t why_len)
{
	char url[PUSH_URL_MAX];
	size_t n = strlen(p->cfg.url);
	while (n > 0 && p->cfg.url[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s/push/%s", (int)n, p->cfg.url, e->imsi);
	struct om_https_call k = { .url = url, .content_type = OM_BOOTSTRAP_CONTENT_TYPE, .body = e->bootstrap,
				   .len = e->len };
	char how[256] = "";
	if (om_https_post(p->vno, &k, how, sizeof(how)) < 0) {
		/* the URL is in the entry's log line already: curl's reason alone */
		const char *r = strstr(how, ": ");
		snprintf(why, why_len, "%s", r ? r + 2 : how);
		return 0;
	}
	return k.status;
}

/* Attempt e (queue lock not held) and record the outcome (queue lock held). */
static void attempt(struct drf_push *p, struct push_entry *e)
{
	char why[256] = "";
	long status = push_once(p, e, why, sizeof(why));
	time_t now = time(NULL);
	pthread_mutex_lock(&p->lock);
	e->attempts++;
	if (status == 202) {
		om_metric_gauge_add(&m_queue, NULL, -1);
		om_metric_inc(&m_push, "delivered");
		om_notice("push", "sender=%s request=%s imsi=%s sequence=%u attempt=%u result=delivered", e->sender,
			  e->request_id, e->imsi, e->sequence, e->attempts);
		remember_delivered(p, e);
		forget(p, e);
	} else if (status == 400 || status == 413) { /* the same bytes would be refused again */
		om_metric_gauge_add(&m_queue, NULL, -1);
		om_metric_inc(&m_push, "refused");
		om_error("push", "sender=%s request=%s imsi=%s attempt=%u result=refused status=%ld", e->sender,
			 e->request_id, e->imsi, e->attempts, status);
		forget(p, e);
	} else {
		unsigned shift = e->attempts - 1 < 20 ? e->attempts - 1 : 20;
		uint64_t wait = (uint64_t)p->cfg.retry_min_s << shift;
		if (wait > p->cfg.retry_max_s)
			wait = p->cfg.retry_max_s;
		e->next_try = now + (time_t)wait;
		om_metric_inc(&m_push, status == 404 ? "not-attached" : "failed");
		om_info("push", "sender=%s request=%s imsi=%s attempt=%u result=%s status=%ld retry_in=%u%s%s%s",
			e->sender, e->request_id, e->imsi, e->attempts, status == 404 ? "not-attached" : "failed",
			status, (unsigned)wait, *why ? " reason=\"" : "", why, *why ? "\"" : "");
	}
}

static void removals(struct drf_push *p)
{
	/* the DRF's lock is taken per use of the register, never across an HSS call */
	int n = drf_removals_run(p->drf, p->drf_lock, (int64_t)time(NULL));
	if (n < 0)
		om_error("removals", "result=error reason=%s", om_errname(n));
	else if (n > 0)
		om_notice("removals", "removed=%d", n);
}

static void *loop(void *arg)
{
	struct drf_push *p = arg;
	time_t next_removal = p->cfg.removal_every_s ? time(NULL) : 0;
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		time_t now = time(NULL), wake_at = next_removal ? next_removal : now + 3600;
		struct push_entry *due = NULL;
		for (struct push_entry *e = p->head; e; e = e->next) {
			if (e->next_try <= now) {
				due = e;
				break;
			}
			if (e->next_try < wake_at)
				wake_at = e->next_try;
		}
		if (due) {
			pthread_mutex_unlock(&p->lock);
			attempt(p, due); /* returns with the lock held */
		} else if (next_removal && next_removal <= now) {
			pthread_mutex_unlock(&p->lock);
			removals(p);
			next_removal = time(NULL) + (time_t)p->cfg.removal_every_s;
			pthread_mutex_lock(&p->lock);
		} else {
			struct timespec ts = { .tv_sec = wake_at, .tv_nsec = 0 };
			(void)pthread_cond_timedwait(&p->wake, &p->lock, &ts);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int drf_push_start(struct drf_push **out, const struct drf_push_config *cfg, struct drf *d, pthread_mutex_t *lock,
		   char *err, size_t err_len)
{
	int rc = OM_ENOMEM;
	struct drf_push *p = NULL;
	*out = NULL;
	if (err_len)
		err[0] = '\0';
	if (!cfg || !d || !lock || cfg->retry_min_s < 1 || cfg->retry_max_s < cfg->retry_min_s ||
	    (cfg->url && strlen(cfg->url) > PUSH_URL_MAX - 32)) {
		snprintf(err, err_len, "push: invalid retry bounds or URL");
		return OM_EINVAL;
	}
	if (!(p = calloc(1, sizeof(*p))))
		goto fail;
	p->cfg = *cfg;
	p->drf = d;
	p->drf_lock = lock;
	p->tail = &p->head;
	for (size_t i = 0; i < PUSH_BUCKETS; i++)
		p->delivered_by_key[i] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	/* the VNO's roots and our client identity read once; one link, kept between pushes */
	struct om_https_client_opts co = { .ca_file = cfg->ca_file, .cert_file = cfg->cert_file,
					   .key_file = cfg->key_file, .timeout_ms = PUSH_TIMEOUT_MS, .max_links = 1 };
	if (cfg->url && (rc = om_https_client_new(&p->vno, &co, err, err_len)) < 0)
		goto fail;
	pthread_mutex_lock(lock);
	rc = queue_from_register(p, NULL, NULL);
	pthread_mutex_unlock(lock);
	if (rc < 0) {
		snprintf(err, err_len, "push: reading the accepted handovers: %s", om_strerror(rc));
		goto fail;
	}
	if ((errno = pthread_create(&p->thread, NULL, loop, p)) != 0) {
		snprintf(err, err_len, "push: thread: %s", strerror(errno));
		rc = OM_EIO;
		goto fail;
	}
	p->started = 1;
	*out = p;
	return 0;
fail:
	if (!err[0])
		snprintf(err, err_len, "push: %s", om_strerror(rc));
	drf_push_stop(p);
	return rc;
}

void drf_push_stop(struct drf_push *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	while (p->head) {
		struct push_entry *e = p->head;
		p->head = e->next;
		free(e->bootstrap);
		free(e);
	}
	om_https_client_free(p->vno);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
