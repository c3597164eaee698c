/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openmcim/radio.h>

#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "radio_admit.h"
#include "radio_srv.h"
#include "vno_pcap.h"

#define TICK_MS 200 /* how often a connection looks at the stop flag */
#define SEND_TIMEOUT_S 2 /* a device that reads nothing for this long loses its link */
#define LOG_BURST 10 /* lines a second for each kind of bound enforced (svc/log.h) */

struct radio_srv {
	struct mme *mme;
	const struct vno_conf *conf;
	int lfd;
	int stop_pipe[2];
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t idle;
	struct radio_admit admit; /* every connection thread running is in it */
	bool stopping;
	struct om_log_limit lim_connect, lim_refused, lim_closed;
};

struct session {
	struct radio_srv *srv;
	struct radio_conn conn;    /* in srv->admit, under srv->lock */
	atomic_bool evicted;       /* set by the listener under srv->lock */
	bool spoke;                /* srv->admit has been told that bytes came */
	bool authed;               /* srv->admit has been told of AKA passed */
	pthread_mutex_t send_lock; /* the MME (this thread) and a push (the push server's) both send */
	struct om_radio_link link;
	struct mme_ue ue;
	char peer[32];
};

static bool stopping(struct radio_srv *s)
{
	pthread_mutex_lock(&s->lock);
	bool v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Whether one more line of this kind may go to the log now; *dropped: how many did not. */
static bool may_log(struct radio_srv *s, struct om_log_limit *l, unsigned long *dropped)
{
	pthread_mutex_lock(&s->lock);
	bool ok = om_log_limit_pass(l, LOG_BURST, dropped);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static int send_frame(void *arg, uint8_t type, const uint8_t *payload, size_t len)
{
	struct session *se = arg;
	if (type == OM_RADIO_NAS)
		vno_pcap_nas(payload, len);
	pthread_mutex_lock(&se->send_lock);
	int rc = om_radio_send(&se->link, type, payload, len);
	if (rc == OM_EIO)
		(void)shutdown(se->link.fd, SHUT_RDWR); /* a frame may be cut short: the link goes, its thread sees it */
	pthread_mutex_unlock(&se->send_lock);
	if (rc < 0)
		om_notice("radio-send-failed", "peer=%s imsi=%s err=%s", se->peer, se->ue.imsi[0] ? se->ue.imsi : "-",
			  om_errname(rc));
	return rc;
}

/* Feed every whole frame in the buffer to the state machine: how many, or -1 to close. */
static int drain(struct session *se)
{
	struct om_radio_frame f;
	int rc, n = 0;
	while ((rc = om_radio_take(&se->link, &f)) == 1) {
		n++;
		if (f.type != OM_RADIO_NAS) {
			om_notice("radio-frame-ignored", "peer=%s type=0x%02x reason=network-to-device-only", se->peer,
				  f.type);
			continue;
		}
		vno_pcap_nas(f.payload, f.len);
		if (mme_ue_input(&se->ue, f.payload, f.len) < 0 || se->ue.state == MME_DEAD)
			return -1;
	}
	if (rc < 0) {
		/* Broken framing cannot be resynchronised: the link goes. */
		om_notice("radio-frame-error", "peer=%s err=%s", se->peer, om_errname(rc));
		return -1;
	}
	return n;
}

/*
 * When the link goes for want of frames: the first whole frame is due
 * first_message_ms after the connect (a trickle of bytes does not count);
 * later, a link with no procedure and no attached device (MME_IDLE) may be
 * silent for idle_timeout_s. 0: none (T3460/T3450 run, or attached).
 */
static long long silence_deadline(const struct session *se, long long connected, long long last_frame)
{
	const struct vno_conf *c = se->srv->conf;
	if (!last_frame)
		return connected + c->first_message_ms;
	if (se->ue.state == MME_IDLE)
		return last_frame + (long long)c->idle_timeout_s * 1000;
	return 0;
}

/* Release the device (bearer, PUR), leave the admission count, close, free se. */
static void session_free(struct session *se)
{
	struct radio_srv *s = se->srv;
	mme_ue_release(&se->ue);
	pthread_mutex_lock(&s->lock);
	radio_admit_leave(&s->admit, &se->conn);
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	/* s may be gone from here on (radio_srv_stop). */
	om_radio_link_close(&se->link);
	pthread_mutex_destroy(&se->send_lock);
	free(se);
}

static struct om_metric m_links =
	OM_GAUGE("openmcim_vno_radio_links", "Radio links (device connections) open", NULL);

static void session_end(struct session *se, int why)
{
	struct radio_srv *s = se->srv;
	unsigned long dropped = 0;
	/* A link that never authenticated is anyone's: its lines are rate-limited like refusals. */
	if (se->authed && !why) /* a device's normal close: its detach line said it (issue 14) */
		om_debug("radio-disconnect", "peer=%s imsi=%s state=%d reason=closed", se->peer,
			 se->ue.imsi[0] ? se->ue.imsi : "-", se->ue.state);
	else if (se->authed || may_log(s, &s->lim_closed, &dropped))
		om_info("radio-disconnect", "peer=%s imsi=%s state=%d reason=%s suppressed=%lu", se->peer,
			se->ue.imsi[0] ? se->ue.imsi : "-", se->ue.state, why ? om_errname(why) : "closed", dropped);
	session_free(se);
	om_metric_gauge_add(&m_links, NULL, -1);
}

static void *session_main(void *arg)
{
	struct session *se = arg;
	struct radio_srv *s = se->srv;
	long long connected = mme_now_ms(), last_frame = 0;
	int why = 0;
	/* The cell's system information first: the device needs our PLMN for KASME (TS 33.401 A.2). */
	if (send_frame(se, OM_RADIO_LAB_CELL, s->mme->visited_plmn, sizeof(s->mme->visited_plmn)) < 0)
		why = OM_EIO;
	while (!why && !stopping(s)) {
		long long now = mme_now_ms(), quiet = silence_deadline(se, connected, last_frame);
		if (quiet && now >= quiet) {
			why = last_frame ? OM_ERADIO_IDLE : OM_ERADIO_FIRST_MESSAGE;
			break;
		}
		long long dl = mme_ue_deadline(&se->ue);
		if (!dl || (quiet && quiet < dl))
			dl = quiet;
		int wait = TICK_MS;
		if (dl && dl - now < TICK_MS)
			wait = dl - now < 0 ? 0 : (int)(dl - now);
		struct pollfd p = {.fd = se->link.fd, .events = POLLIN};
		int pr = poll(&p, 1, wait);
		if (atomic_load(&se->evicted))
			break;
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0) {
			int n;
			if (om_radio_fill(&se->link) < 0)
				break;
			if (se->link.have && !se->spoke) {
				/* Before the state machine runs (an AIR may take a while): no silent link now. */
				pthread_mutex_lock(&s->lock);
				radio_admit_spoke(&s->admit, &se->conn);
				pthread_mutex_unlock(&s->lock);
				se->spoke = true;
			}
			if ((n = drain(se)) < 0)
				break;
			if (n > 0)
				last_frame = mme_now_ms();
			if (se->ue.authenticated && !se->authed) {
				pthread_mutex_lock(&s->lock);
				radio_admit_authenticated(&s->admit, &se->conn);
				pthread_mutex_unlock(&s->lock);
				se->authed = true;
			}
		}
		if (mme_ue_timer(&se->ue) < 0 || se->ue.state == MME_DEAD)
			break;
	}
	if (atomic_load(&se->evicted))
		why = OM_ERADIO_EVICTED;
	session_end(se, why);
	return NULL;
}

/* Refuse fd at once, with a reset rather than a polite close: nothing was read from it. */
static void refuse(struct radio_srv *s, int fd, const char *ip, int why)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	unsigned long dropped;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	pthread_mutex_lock(&s->lock);
	bool log = om_log_limit_pass(&s->lim_refused, LOG_BURST, &dropped);
	unsigned unauth = s->admit.unauth, total = s->admit.total, from = 0;
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) == 1)
		from = radio_admit_unauth_from(&s->admit, a.s_addr);
	pthread_mutex_unlock(&s->lock);
	if (log)
		om_notice("radio-refused", "peer=%s reason=%s from_peer=%u unauth=%u total=%u suppressed=%lu", ip,
			  om_errname(why), from, unauth, total, dropped);
}

static struct session *session_new(struct radio_srv *s, int fd, const struct sockaddr_in *sa, const char *ip)
{
	struct session *se = calloc(1, sizeof(*se));
	if (!se)
		return NULL;
	if (pthread_mutex_init(&se->send_lock, NULL) != 0) {
		free(se);
		return NULL;
	}
	int one = 1;
	struct timeval snd = {.tv_sec = SEND_TIMEOUT_S};
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Bounds every send, a push's included (it holds the MME's registry lock meanwhile). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
	se->srv = s;
	se->conn.owner = se;
	se->conn.fd = fd;
	atomic_init(&se->evicted, false);
	om_radio_link_init(&se->link, fd);
	mme_ue_init(&se->ue, s->mme, send_frame, se);
	snprintf(se->peer, sizeof(se->peer), "%s:%u", ip, ntohs(sa->sin_port));
	return se;
}

static void accept_one(struct radio_srv *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char ip[16];
	int fd = accept4(s->lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
	if (fd < 0) {
		unsigned long dropped;
		if ((errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) &&
		    may_log(s, &s->lim_refused, &dropped))
			om_error("radio-accept-failed", "reason=\"%s\" suppressed=%lu", strerror(errno), dropped);
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
			(void)poll(NULL, 0, 50); /* the connection stays queued: do not spin on it */
		return;
	}
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	struct session *se = session_new(s, fd, &sa, ip);
	if (!se) {
		refuse(s, fd, ip, OM_ENOMEM);
		return;
	}
	struct radio_conn *evict = NULL;
	pthread_mutex_lock(&s->lock);
	int rc = radio_admit_enter(&s->admit, &se->conn, sa.sin_addr.s_addr, &evict);
	if (evict) {
		struct session *v = evict->owner;
		atomic_store(&v->evicted, true);
		(void)shutdown(v->link.fd, SHUT_RDWR); /* wakes its poll; its thread closes it */
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		pthread_mutex_destroy(&se->send_lock);
		free(se);
		refuse(s, fd, ip, rc);
		return;
	}
	unsigned long dropped = 0;
	om_metric_gauge_add(&m_links, NULL, 1);
	if (may_log(s, &s->lim_connect, &dropped))
		om_debug("radio-connect", "peer=%s suppressed=%lu", se->peer, dropped);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, session_main, se);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return;
	om_error("radio-refused", "peer=%s reason=out-of-resources", se->peer);
	session_free(se);
}

static void *listen_main(void *arg)
{
	struct radio_srv *s = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = s->stop_pipe[0], .events = POLLIN}, {.fd = s->lfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			accept_one(s);
	}
	return NULL;
}

struct radio_srv *radio_srv_start(struct mme *m, const char *addr, uint16_t port, uint16_t *bound)
{
	struct radio_srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (!s)
		return NULL;
	s->mme = m;
	s->conf = m->conf;
	s->lfd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
	radio_admit_init(&s->admit, s->conf->max_devices, s->conf->max_unauth, s->conf->max_unauth_per_source);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	/* A deep queue: a flood is accepted and refused quickly rather than left in SYN retries. */
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		om_error("radio-listen-failed", "addr=%s port=%u reason=\"not an IPv4 address\"", addr, port);
		goto fail;
	}
	/* issue 15: the system's reason in words, never a stale errno number */
	if (vno_listener_open(&s->lfd, s->stop_pipe, &sa, 1024, 1) < 0) {
		om_error("radio-listen-failed", "addr=%s port=%u reason=\"%s\"", addr, port, strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, listen_main, s)) {
		om_error("radio-listen-failed", "reason=thread");
		goto fail;
	}
	*bound = ntohs(sa.sin_port);
	om_info("radio-listen", "addr=%s port=%u max_devices=%u max_unauth=%u max_unauth_per_source=%u "
		"first_message_ms=%u idle_timeout_s=%u",
		addr, *bound, s->conf->max_devices, s->conf->max_unauth, s->conf->max_unauth_per_source,
		s->conf->first_message_ms, s->conf->idle_timeout_s);
	return s;
fail:
	vno_listener_close(s->lfd, s->stop_pipe);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
	return NULL;
}

void radio_srv_stop(struct radio_srv *s)
{
	if (!s)
		return;
	vno_listener_stop(s->stop_pipe, s->thread);
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	while (s->admit.total)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	vno_listener_close(s->lfd, s->stop_pipe);
	radio_admit_free(&s->admit);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
}
