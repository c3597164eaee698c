/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
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
#include "radio_srv.h"
#include "vno_pcap.h"

#define TICK_MS 200 /* how often a connection looks at the stop flag */
#define SEND_TIMEOUT_S 2 /* a device that reads nothing for this long loses its link */

struct radio_srv {
	struct mme *mme;
	int lfd;
	int stop_pipe[2];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned active; /* connection threads running */
	bool stopping;
};

struct session {
	struct radio_srv *srv;
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

/* Feed every whole frame in the buffer to the state machine. 0, or -1 to close. */
static int drain(struct session *se)
{
	struct om_radio_frame f;
	int rc;
	while ((rc = om_radio_take(&se->link, &f)) == 1) {
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
	return 0;
}

static void *session_main(void *arg)
{
	struct session *se = arg;
	struct radio_srv *s = se->srv;
	om_info("radio-connect", "peer=%s", se->peer);
	while (!stopping(s)) {
		int wait = TICK_MS;
		long long dl = mme_ue_deadline(&se->ue);
		if (dl) {
			long long left = dl - mme_now_ms();
			wait = left < 0 ? 0 : left < TICK_MS ? (int)left : TICK_MS;
		}
		struct pollfd p = {.fd = se->link.fd, .events = POLLIN};
		int pr = poll(&p, 1, wait);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0) {
			int rc = om_radio_fill(&se->link);
			if (rc < 0)
				break;
			if (drain(se) < 0)
				break;
		}
		if (mme_ue_timer(&se->ue) < 0 || se->ue.state == MME_DEAD)
			break;
	}
	om_info("radio-disconnect", "peer=%s imsi=%s state=%d", se->peer, se->ue.imsi[0] ? se->ue.imsi : "-",
		se->ue.state);
	mme_ue_release(&se->ue);
	om_radio_link_close(&se->link);
	pthread_mutex_destroy(&se->send_lock);
	free(se);
	pthread_mutex_lock(&s->lock);
	s->active--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void accept_one(struct radio_srv *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = accept(s->lfd, (struct sockaddr *)&sa, &sl);
	if (fd < 0)
		return;
	pthread_mutex_lock(&s->lock);
	bool full = s->active >= s->mme->conf->max_devices;
	if (!full)
		s->active++;
	pthread_mutex_unlock(&s->lock);
	if (full) {
		om_notice("radio-refused", "reason=max-devices max=%u", s->mme->conf->max_devices);
		close(fd);
		return;
	}
	struct session *se = calloc(1, sizeof(*se));
	pthread_t t;
	pthread_attr_t attr;
	int one = 1;
	struct timeval snd = {.tv_sec = SEND_TIMEOUT_S};
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Bounds every send, a push's included (it holds the MME's registry lock meanwhile). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
	if (se && pthread_mutex_init(&se->send_lock, NULL) != 0) {
		free(se);
		se = NULL;
	}
	if (se) {
		se->srv = s;
		om_radio_link_init(&se->link, fd);
		mme_ue_init(&se->ue, s->mme, send_frame, se);
		char ip[16];
		inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
		snprintf(se->peer, sizeof(se->peer), "%s:%u", ip, ntohs(sa.sin_port));
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&t, &attr, session_main, se);
		pthread_attr_destroy(&attr);
		if (rc == 0)
			return;
		pthread_mutex_destroy(&se->send_lock);
	}
	om_error("radio-refused", "reason=out-of-resources");
	free(se);
	close(fd);
	pthread_mutex_lock(&s->lock);
	s->active--;
	pthread_mutex_unlock(&s->lock);
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
	s->lfd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || vno_listener_open(&s->lfd, s->stop_pipe, &sa, 64, 1) < 0) {
		om_error("radio-listen-failed", "addr=%s port=%u errno=%d", addr, port, errno);
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, listen_main, s)) {
		om_error("radio-listen-failed", "reason=thread");
		goto fail;
	}
	*bound = ntohs(sa.sin_port);
	om_info("radio-listen", "addr=%s port=%u", addr, *bound);
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
	while (s->active)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	vno_listener_close(s->lfd, s->stop_pipe);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
}
