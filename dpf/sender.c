/* SPDX-License-Identifier: Apache-2.0 */
/* The completion sender (dpf_sender.h): the DPF's queue towards the previous SHOs' DRFs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpf_sender.h"
#include "log.h"
#include "metrics.h"

struct dpf_sender {
	struct dpf_sender_config cfg;
	pthread_t thread;
	pthread_mutex_t mu; /* guards wake and stop; always taken after cfg.lock, never around it */
	pthread_cond_t cond;
	int wake, stop;
};

/* Sleep until due (seconds since the epoch), a wake or the stop. */
static void wait_until(struct dpf_sender *s, int64_t due)
{
	struct timespec ts = { .tv_sec = (time_t)due, .tv_nsec = 0 };
	pthread_mutex_lock(&s->mu);
	while (!s->wake && !s->stop && (int64_t)time(NULL) < due)
		if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT)
			break;
	s->wake = 0;
	pthread_mutex_unlock(&s->mu);
}

static int stopping(struct dpf_sender *s)
{
	pthread_mutex_lock(&s->mu);
	int v = s->stop;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static struct om_metric m_completions = OM_COUNTER("openmcim_dpf_completions_total",
	"Completion reports to the previous SHO's DRF (Note Z), by result of each attempt", "result");

/* One report: POST it, then record what came of it. 0, or the store's code when that could not be recorded. */
static int send_one(struct dpf_sender *s, const struct dpf_completion *c)
{
	struct sho_peer_answer ans;
	char why[512] = "";
	int rc, completed = 0, refused = 0;
	const struct sho_peer *p = sho_peer_find(s->cfg.peers, c->peer);
	if (!p) {
		rc = OM_EDPF_PEER;
		snprintf(why, sizeof(why), "no [peer.%s] in the configuration", c->peer);
	} else {
		rc = sho_peer_completed(s->cfg.peers, p, c->request_id, c->statement, c->statement_len, &ans, why,
					sizeof(why));
		if (rc == 0 && ans.completed)
			completed = 1;
		else if (rc == 0)
			refused = 1;
	}
	time_t now = time(NULL);
	pthread_mutex_lock(s->cfg.lock);
	if (completed)
		rc = dpf_completion_answered(s->cfg.dpf, c->request_id, 1, "completed", now);
	else if (refused)
		rc = dpf_completion_answered(s->cfg.dpf, c->request_id, 0, ans.reason, now);
	else
		rc = dpf_completion_retry(s->cfg.dpf, c->request_id, why, now);
	pthread_mutex_unlock(s->cfg.lock);
	om_metric_inc(&m_completions, completed ? "completed" : refused ? "refused" : "retry");
	if (completed)
		om_notice("completion", "tre_id=%s peer=%s request_id=%s result=completed attempts=%u", c->tre_id,
			  c->peer, c->request_id, c->attempts + 1);
	else if (refused)
		om_error("completion", "tre_id=%s peer=%s request_id=%s result=refused http=%d reason=%s", c->tre_id,
			 c->peer, c->request_id, ans.http_status, ans.reason);
	else
		om_notice("completion", "tre_id=%s peer=%s request_id=%s result=retry attempts=%u reason=\"%s\"",
			  c->tre_id, c->peer, c->request_id, c->attempts + 1, why);
	if (rc < 0)
		om_error("completion", "request_id=%s result=unrecorded code=%s", c->request_id, om_errname(rc));
	return rc < 0 ? rc : 0;
}

static void *run(void *arg)
{
	struct dpf_sender *s = arg;
	while (!stopping(s)) {
		struct dpf_completion c;
		pthread_mutex_lock(s->cfg.lock);
		int rc = dpf_completion_next(s->cfg.dpf, &c);
		pthread_mutex_unlock(s->cfg.lock);
		if (rc < 0) {
			om_error("completion", "result=unreadable code=%s", om_errname(rc));
			wait_until(s, (int64_t)time(NULL) + DPF_COMPLETION_RETRY_MAX);
		} else if (rc == 0) {
			wait_until(s, (int64_t)time(NULL) + 3600); /* until a wake */
		} else if (c.due > (int64_t)time(NULL)) {
			wait_until(s, c.due);
		} else if (send_one(s, &c) < 0) {
			/* still pending and due: a pause, not the same POST in a tight loop */
			wait_until(s, (int64_t)time(NULL) + DPF_COMPLETION_RETRY_MIN);
		}
	}
	return NULL;
}

int dpf_sender_start(struct dpf_sender **out, const struct dpf_sender_config *cfg)
{
	pthread_condattr_t ca;
	if (!out || !cfg || !cfg->dpf || !cfg->lock || !cfg->peers)
		return OM_EINVAL;
	*out = NULL;
	struct dpf_sender *s = calloc(1, sizeof(*s));
	if (!s)
		return OM_ENOMEM;
	s->cfg = *cfg;
	pthread_mutex_init(&s->mu, NULL);
	/* CLOCK_REALTIME: the due times are seconds since the epoch, as stored */
	pthread_condattr_init(&ca);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(cfg->lock);
	int n = dpf_completion_resume(cfg->dpf, time(NULL));
	pthread_mutex_unlock(cfg->lock);
	if (n < 0) {
		om_error("completion", "result=unresumable code=%s", om_errname(n));
	} else if (n > 0) {
		om_notice("completion", "resumed=%d", n);
	}
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return OM_EIO;
	}
	*out = s;
	return 0;
}

void dpf_sender_wake(struct dpf_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->wake = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

void dpf_sender_stop(struct dpf_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
