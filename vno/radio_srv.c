/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The radio links (issue 14): a bounded pool of workers waits on every
 * link's socket (one epoll set, one-shot: the kernel wakes one worker per
 * readable link, no hand-off between threads for a frame), and one loop
 * thread accepts and keeps every deadline (a heap), handing a link whose
 * deadline has come or that the MME wakes (a Cancel-Location, a newer
 * attach taking its context) to the workers through a queue. A worker runs
 * one link at a time: it reads what is there, feeds whole frames to the
 * MME (whose S6a calls block the worker, never the loop), runs its timers,
 * then re-arms the socket and puts the link's next deadline on the heap.
 * No link is ever run by two workers at once (session.state), and the
 * MME's state of a link is only touched by the worker running it (or, for
 * sends, under its send_lock: a push).
 *
 * A link is known to the loop by slot and generation, never by pointer: an
 * event or a deadline that outlived its link finds the generation changed.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openmcim/radio.h>

#include "log.h"
#include "metrics.h"
#include "radio_admit.h"
#include "radio_srv.h"
#include "vno_pcap.h"

#define WORKERS 32       /* links run at once: each may wait on an S6a answer */
#define SEND_TIMEOUT_S 2 /* a device that reads nothing for this long loses its link */
#define LOG_BURST 10     /* lines a second for each kind of bound enforced (svc/log.h) */
#define ACCEPT_BATCH 64
#define EVENTS 256
#define KEY_LISTEN UINT64_MAX
#define KEY_WAKE (UINT64_MAX - 1)
#define KEY_QUEUE (UINT64_MAX - 2) /* the workers' set: the queue has links */
#define KEY_STOP (UINT64_MAX - 3)  /* the workers' set: leave */

/* Who runs a link: the loop waits on it (IDLE), a worker will (QUEUED) or does (RUNNING, AGAIN: once more). */
enum { S_IDLE, S_QUEUED, S_RUNNING, S_AGAIN };

struct deadline {
	long long ms;
	uint32_t slot, gen;
};

struct radio_srv {
	struct mme *mme;
	const struct vno_conf *conf;
	int lfd, ep, wake_fd;     /* the loop's set: the listener and its wake-up */
	int lep, queue_fd, stop_fd; /* the workers' set: every link's socket, the queue's and the stop's eventfds */
	pthread_t loop;
	pthread_t workers[WORKERS];
	unsigned n_workers;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t idle;
	struct radio_admit admit; /* every link in the table is in it */
	bool stopping, loop_stop, stop_swept;
	struct om_log_limit lim_connect, lim_refused, lim_closed, lim_frame, lim_flood;
	struct session **slot;    /* conf->max_devices links by slot */
	uint32_t *gen;            /* per slot: bumped when its link goes */
	int *free_slot;
	unsigned n_free;
	/* The links' next deadlines, earliest first: at most one entry per link (heap_pos), so at most
	 * max_devices, allocated at start; a link's entry moves when its deadline does. */
	struct deadline *heap;
	uint32_t *heap_pos;       /* per slot: its entry's index + 1, 0 when it has none */
	size_t heap_len;
	long long loop_until;     /* when the loop wakes by itself (0: it waits without a deadline) */
	long long relisten_at;    /* accept paused for want of descriptors until then (0: not paused) */
	/* the work queue: links whose deadline came or that the MME woke (a readable link goes to a worker
	 * straight from the workers' epoll set) */
	pthread_mutex_t qlock;
	struct session *qhead, *qtail;
};

struct session {
	struct radio_srv *srv;
	struct radio_conn conn;    /* in srv->admit, under srv->lock; conn.fd is the link's socket */
	atomic_int state;
	atomic_bool evicted;       /* set by the loop under srv->lock */
	bool spoke;                /* srv->admit has been told that bytes came */
	bool authed;               /* srv->admit has been told of AKA passed */
	uint32_t slot, gen;
	long long connected, last_frame;
	long long rate_window;     /* start of the second whose frames rate_n counts */
	unsigned rate_n;
	struct session *qnext;
	pthread_mutex_t send_lock; /* the MME (a worker) and a push (the push server's thread) both send */
	size_t have;
	/* Uplink frames only (NAS, at most 1027 octets): not a link's 16 KiB, sized for a PUSH the device
	 * receives (issue 14: that was 16 of the 20 KiB each held device cost). */
	uint8_t buf[OM_RADIO_HDR_LEN + OM_RADIO_PAYLOAD_MAX];
	struct mme_ue ue;
	char peer[32];
};

static struct om_metric m_links =
	OM_GAUGE("openmcim_vno_radio_links", "Radio links (device connections) open", NULL);

static uint64_t key_of(const struct session *se)
{
	return (uint64_t)se->slot << 32 | se->gen;
}

/* Whether one more line of this kind may go to the log now; *dropped: how many did not. */
static bool may_log(struct radio_srv *s, struct om_log_limit *l, unsigned long *dropped)
{
	pthread_mutex_lock(&s->lock);
	bool ok = om_log_limit_pass(l, LOG_BURST, dropped);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void wake_loop(struct radio_srv *s)
{
	uint64_t one = 1;
	(void)!write(s->wake_fd, &one, sizeof(one));
}

/* One worker waiting in the links' set wakes and looks at the queue (edge-triggered: one per write). */
static void wake_worker(struct radio_srv *s)
{
	uint64_t one = 1;
	(void)!write(s->queue_fd, &one, sizeof(one));
}

/* ---- who runs a link ------------------------------------------------------ */

/* Have a worker run se soon: queued when the loop waits on it, once more when a worker runs it. */
static void schedule(struct session *se)
{
	struct radio_srv *s = se->srv;
	for (;;) {
		int st = atomic_load(&se->state);
		if (st == S_QUEUED || st == S_AGAIN)
			return;
		int to = st == S_IDLE ? S_QUEUED : S_AGAIN;
		if (!atomic_compare_exchange_weak(&se->state, &st, to))
			continue;
		if (to == S_QUEUED) {
			pthread_mutex_lock(&s->qlock);
			se->qnext = NULL;
			if (s->qtail)
				s->qtail->qnext = se;
			else
				s->qhead = se;
			s->qtail = se;
			pthread_mutex_unlock(&s->qlock);
			wake_worker(s);
		}
		return;
	}
}

/*
 * A worker took se's readable event from the links' set (one-shot: its
 * socket is not watched until arm()). Whether this worker runs it now: yes
 * when nobody does; when a worker runs it, that one runs it once more;
 * when it is queued, the worker that takes it off the queue reads what
 * came. Under s->lock, so se lives.
 */
static bool claim(struct session *se)
{
	for (;;) {
		int st = atomic_load(&se->state);
		if (st == S_QUEUED || st == S_AGAIN)
			return false;
		int to = st == S_IDLE ? S_RUNNING : S_AGAIN;
		if (atomic_compare_exchange_weak(&se->state, &st, to))
			return to == S_RUNNING;
	}
}

/* The MME wakes a link (vno/mme.h: a Cancel-Location, a newer attach): under its lock, so se lives. */
static void wake_session(void *arg)
{
	schedule(arg);
}

/* The link in slot:gen, when it is still there, run soon. Under s->lock. */
static void schedule_key(struct radio_srv *s, uint64_t key)
{
	uint32_t slot = (uint32_t)(key >> 32), gen = (uint32_t)key;
	if (slot < s->conf->max_devices && s->slot[slot] && s->gen[slot] == gen)
		schedule(s->slot[slot]);
}

/* ---- deadlines ------------------------------------------------------------ */

static void heap_put(struct radio_srv *s, size_t i, struct deadline d)
{
	s->heap[i] = d;
	s->heap_pos[d.slot] = (uint32_t)i + 1;
}

/* The entry at i to its place, up or down. Under s->lock. */
static void heap_fix(struct radio_srv *s, size_t i)
{
	struct deadline *h = s->heap, v = h[i];
	for (; i > 0 && h[(i - 1) / 2].ms > v.ms; i = (i - 1) / 2)
		heap_put(s, i, h[(i - 1) / 2]);
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->heap_len)
			break;
		if (c + 1 < s->heap_len && h[c + 1].ms < h[c].ms)
			c++;
		if (h[c].ms >= v.ms)
			break;
		heap_put(s, i, h[c]);
		i = c;
	}
	heap_put(s, i, v);
}

/* Take the entry at i off the heap. Under s->lock. */
static void heap_del(struct radio_srv *s, size_t i)
{
	s->heap_pos[s->heap[i].slot] = 0;
	if (i < --s->heap_len) {
		s->heap[i] = s->heap[s->heap_len];
		heap_fix(s, i);
	}
}

/*
 * se's deadline is ms from now on (0: none): its one entry on the heap is
 * put, moved or taken off, so a link whose deadline moves on every frame
 * holds one entry all the same; the loop is woken when ms is nearer than
 * what it waits for. Under s->lock.
 */
static void deadline_set(struct radio_srv *s, struct session *se, long long ms)
{
	uint32_t pos = s->heap_pos[se->slot];
	if (!ms) {
		if (pos)
			heap_del(s, pos - 1);
		return;
	}
	if (pos && s->heap[pos - 1].ms == ms)
		return;
	if (pos) {
		s->heap[pos - 1].ms = ms;
		heap_fix(s, pos - 1);
	} else {
		s->heap[s->heap_len++] = (struct deadline){.ms = ms, .slot = se->slot, .gen = se->gen};
		heap_fix(s, s->heap_len - 1);
	}
	if (!s->loop_until || ms < s->loop_until)
		wake_loop(s);
}

/*
 * When the link goes for want of frames: the first whole frame is due
 * first_message_ms after the connect (a trickle of bytes does not count);
 * later, a link with no procedure and no attached device (MME_IDLE) may be
 * silent for idle_timeout_s. 0: none (T3460/T3450 run, or attached).
 */
static long long silence_deadline(const struct session *se)
{
	const struct vno_conf *c = se->srv->conf;
	if (!se->last_frame)
		return se->connected + c->first_message_ms;
	if (se->ue.state == MME_IDLE)
		return se->last_frame + (long long)c->idle_timeout_s * 1000;
	return 0;
}

/* ---- a link's work ---------------------------------------------------------- */

static int send_frame(void *arg, uint8_t type, const uint8_t *payload, size_t len)
{
	struct session *se = arg;
	if (type == OM_RADIO_NAS)
		vno_pcap_nas(payload, len);
	pthread_mutex_lock(&se->send_lock);
	int rc = om_radio_send_fd(se->conn.fd, type, payload, len);
	if (rc == OM_EIO) /* a frame may be cut short: the link goes, its worker sees it */
		(void)shutdown(se->conn.fd, SHUT_RDWR);
	pthread_mutex_unlock(&se->send_lock);
	if (rc < 0)
		om_notice("radio-send-failed", "peer=%s imsi=%s err=%s", se->peer, se->ue.imsi[0] ? se->ue.imsi : "-",
			  om_errname(rc));
	return rc;
}

/* Read what waits, without waiting: 1 bytes came, 0 none, -1 closed or broken. */
static int fill(struct session *se)
{
	if (se->have == sizeof(se->buf)) {
		/* Full and no whole frame: a frame longer than any the device may send (a PUSH is ours). */
		om_notice("radio-frame-error", "peer=%s err=%s reason=longer-than-an-uplink-frame", se->peer,
			  om_errname(OM_ERADIO_LENGTH));
		return -1;
	}
	for (;;) {
		ssize_t r = recv(se->conn.fd, se->buf + se->have, sizeof(se->buf) - se->have, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0)
			return -1;
		se->have += (size_t)r;
		return 1;
	}
}

/*
 * Whether a frame keeps the link from its idle timeout: the first whole
 * frame, any frame of a link whose device has passed AKA or that has a
 * procedure running, and, before AKA in MME_IDLE, only one that starts a
 * procedure (session 6 review: an ignored or rejected frame every
 * idle_timeout_s held an unauthenticated place for ever).
 */
static bool frame_counts(const struct session *se, int before)
{
	return !se->last_frame || se->ue.authenticated || before != MME_IDLE || se->ue.state != MME_IDLE;
}

/*
 * Whether the link is within max_frames_per_s (review: a link could send
 * frames as fast as it liked, each one a worker's time). One frame more in
 * a second closes it: a device's attach is about five frames. The line is
 * rate-limited as a refusal (anyone can cause it); the link's place goes
 * to others at once.
 */
static bool frame_rate_ok(struct session *se, long long now)
{
	if (now - se->rate_window >= 1000) {
		se->rate_window = now;
		se->rate_n = 0;
	}
	if (++se->rate_n <= se->srv->conf->max_frames_per_s)
		return true;
	unsigned long dropped = 0;
	if (may_log(se->srv, &se->srv->lim_flood, &dropped))
		om_notice("radio-frame-flood", "peer=%s imsi=%s max_frames_per_s=%u suppressed=%lu", se->peer,
			  se->ue.imsi[0] ? se->ue.imsi : "-", se->srv->conf->max_frames_per_s, dropped);
	return false;
}

/* Feed every whole frame in the buffer to the state machine: 0, or -1 to close. */
static int drain(struct session *se)
{
	struct om_radio_frame f;
	int rc;
	long long now = mme_now_ms(); /* one read a run: what one read brought came at once */
	while ((rc = om_radio_take_buf(se->buf, &se->have, &f)) == 1) {
		if (!frame_rate_ok(se, now))
			return -1;
		int before = se->ue.state;
		if (f.type != OM_RADIO_NAS) {
			unsigned long dropped = 0; /* before AKA a link is anyone's: rate-limited as refusals */
			if (se->ue.authenticated || may_log(se->srv, &se->srv->lim_frame, &dropped))
				om_notice("radio-frame-ignored",
					  "peer=%s type=0x%02x reason=network-to-device-only suppressed=%lu", se->peer,
					  f.type, dropped);
		} else {
			vno_pcap_nas(f.payload, f.len);
			if (mme_ue_input(&se->ue, f.payload, f.len) < 0 || se->ue.state == MME_DEAD)
				return -1;
		}
		if (frame_counts(se, before))
			se->last_frame = mme_now_ms();
	}
	if (rc < 0) {
		/* Broken framing cannot be resynchronised: the link goes. */
		om_notice("radio-frame-error", "peer=%s err=%s", se->peer, om_errname(rc));
		return -1;
	}
	return 0;
}

/*
 * One run of a link: its frames, its timers, its deadlines. Returns 0 to go
 * on, 1 to close it quietly (closed, stopping, the MME is done), or the
 * reason it is closed for (negative).
 */
static int step(struct session *se)
{
	struct radio_srv *s = se->srv;
	pthread_mutex_lock(&s->lock);
	bool stop = s->stopping;
	pthread_mutex_unlock(&s->lock);
	if (stop)
		return 1;
	if (atomic_load(&se->evicted))
		return OM_ERADIO_EVICTED;
	int got = fill(se);
	if (got < 0)
		return 1;
	if (se->have && !se->spoke) {
		/* Before the state machine runs (an AIR may take a while): no silent link now. */
		pthread_mutex_lock(&s->lock);
		radio_admit_spoke(&s->admit, &se->conn);
		pthread_mutex_unlock(&s->lock);
		se->spoke = true;
	}
	if (got) {
		if (drain(se) < 0)
			return 1;
		if (se->ue.authenticated && !se->authed) {
			pthread_mutex_lock(&s->lock);
			radio_admit_authenticated(&s->admit, &se->conn);
			pthread_mutex_unlock(&s->lock);
			se->authed = true;
		}
	}
	if (mme_ue_timer(&se->ue) < 0 || se->ue.state == MME_DEAD)
		return 1;
	long long quiet = silence_deadline(se);
	if (quiet && mme_now_ms() >= quiet)
		return se->last_frame ? OM_ERADIO_IDLE : OM_ERADIO_FIRST_MESSAGE;
	return 0;
}

/* Back to the loop: the next deadline on the heap (when it changed), the socket watched again. */
static void arm(struct session *se)
{
	struct radio_srv *s = se->srv;
	long long quiet = silence_deadline(se), dl = mme_ue_deadline(&se->ue);
	if (!dl || (quiet && quiet < dl))
		dl = quiet;
	pthread_mutex_lock(&s->lock);
	deadline_set(s, se, dl);
	pthread_mutex_unlock(&s->lock);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.u64 = key_of(se)};
	if (epoll_ctl(s->lep, EPOLL_CTL_MOD, se->conn.fd, &ev) < 0)
		om_error("radio-error", "peer=%s reason=\"epoll: %s\"", se->peer, strerror(errno));
}

/* Release the device (bearer, PUR), leave the table and the admission count, close, free se. */
static void session_free(struct session *se)
{
	struct radio_srv *s = se->srv;
	mme_ue_release(&se->ue); /* from here on the MME wakes it no more */
	pthread_mutex_lock(&s->lock);
	(void)epoll_ctl(s->lep, EPOLL_CTL_DEL, se->conn.fd, NULL);
	deadline_set(s, se, 0);
	s->slot[se->slot] = NULL;
	s->gen[se->slot]++;
	s->free_slot[s->n_free++] = (int)se->slot;
	radio_admit_leave(&s->admit, &se->conn);
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	/* s may be gone from here on (radio_srv_stop). */
	close(se->conn.fd);
	pthread_mutex_destroy(&se->send_lock);
	free(se);
}

static void session_end(struct session *se, int why)
{
	struct radio_srv *s = se->srv;
	unsigned long dropped = 0;
	if (why == 1)
		why = 0;
	/* A link that never authenticated is anyone's: its lines are rate-limited like refusals. */
	if (se->authed && !why) /* a device's normal close: its detach line said it (issue 14) */
		om_debug("radio-disconnect", "peer=%s imsi=%s state=%d reason=closed", se->peer,
			 se->ue.imsi[0] ? se->ue.imsi : "-", se->ue.state);
	else if (se->authed || may_log(s, &s->lim_closed, &dropped))
		om_info("radio-disconnect", "peer=%s imsi=%s state=%d reason=%s suppressed=%lu", se->peer,
			se->ue.imsi[0] ? se->ue.imsi : "-", se->ue.state, why ? om_errname(why) : "closed", dropped);
	om_metric_gauge_add(&m_links, NULL, -1);
	session_free(se);
}

/* A worker's turn with se (taken off the queue): until nothing new came meanwhile. */
static void run(struct session *se)
{
	atomic_store(&se->state, S_RUNNING);
	for (;;) {
		int why = step(se);
		if (why) {
			session_end(se, why);
			return;
		}
		arm(se);
		int st = S_RUNNING;
		if (atomic_compare_exchange_strong(&se->state, &st, S_IDLE))
			return; /* se may be another worker's from here on */
		atomic_store(&se->state, S_RUNNING); /* woken meanwhile: once more */
	}
}

/* The queue's first link, or NULL. When more wait, another worker is woken for them. */
static struct session *queue_take(struct radio_srv *s)
{
	pthread_mutex_lock(&s->qlock);
	struct session *se = s->qhead;
	if (se) {
		s->qhead = se->qnext;
		if (!s->qhead)
			s->qtail = NULL;
	}
	bool more = s->qhead != NULL;
	pthread_mutex_unlock(&s->qlock);
	if (more)
		wake_worker(s);
	return se;
}

/*
 * A worker: the queue first, else one event of the links' set: a readable
 * link (run here, when no worker runs it), the queue's wake-up, or the stop.
 */
static void *worker_main(void *arg)
{
	struct radio_srv *s = arg;
	for (;;) {
		struct session *se = queue_take(s);
		if (se) {
			run(se);
			continue;
		}
		struct epoll_event ev;
		int n = epoll_wait(s->lep, &ev, 1, -1);
		if (n < 0 && errno != EINTR) {
			om_error("radio-error", "reason=\"epoll_wait: %s\"", strerror(errno));
			return NULL;
		}
		if (n <= 0 || ev.data.u64 == KEY_QUEUE)
			continue;
		if (ev.data.u64 == KEY_STOP)
			return NULL;
		uint32_t slot = (uint32_t)(ev.data.u64 >> 32), gen = (uint32_t)ev.data.u64;
		bool mine = false;
		pthread_mutex_lock(&s->lock);
		if (slot < s->conf->max_devices && s->slot[slot] && s->gen[slot] == gen) {
			se = s->slot[slot];
			mine = claim(se);
		}
		pthread_mutex_unlock(&s->lock);
		if (mine)
			run(se);
	}
}

/* ---- the loop ----------------------------------------------------------------- */

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
	/* Bounds every send, a push's included (sent outside the MME's registry lock; the link's release waits for it). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
	se->srv = s;
	se->conn.owner = se;
	se->conn.fd = fd; /* the link's socket: never changes while se lives */
	atomic_init(&se->state, S_IDLE);
	atomic_init(&se->evicted, false);
	mme_ue_init(&se->ue, s->mme, send_frame, se);
	se->ue.wake = wake_session;
	se->ue.source = sa->sin_addr.s_addr;
	snprintf(se->peer, sizeof(se->peer), "%s:%u", ip, ntohs(sa->sin_port));
	se->connected = mme_now_ms();
	return se;
}

/* 0 accepted or refused, -1 when accept() must pause (no descriptors), 1 when nothing waits. */
static int accept_one(struct radio_srv *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char ip[16];
	int fd = accept4(s->lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
	if (fd < 0) {
		unsigned long dropped;
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
			if (may_log(s, &s->lim_refused, &dropped))
				om_error("radio-accept-failed", "reason=\"%s\" suppressed=%lu", strerror(errno), dropped);
			return -1;
		}
		return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : 0;
	}
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	struct session *se = session_new(s, fd, &sa, ip);
	if (!se) {
		refuse(s, fd, ip, OM_ENOMEM);
		return 0;
	}
	struct radio_conn *evict = NULL;
	pthread_mutex_lock(&s->lock);
	int rc = radio_admit_enter(&s->admit, &se->conn, sa.sin_addr.s_addr, &evict);
	if (evict) {
		struct session *v = evict->owner;
		atomic_store(&v->evicted, true);
		(void)shutdown(v->conn.fd, SHUT_RDWR); /* its socket turns readable; its worker closes it */
	}
	if (rc == 0) {
		se->slot = (uint32_t)s->free_slot[--s->n_free]; /* admitted: at most max_devices, one slot each */
		se->gen = s->gen[se->slot];
		s->slot[se->slot] = se;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		pthread_mutex_destroy(&se->send_lock);
		free(se);
		refuse(s, fd, ip, rc);
		return 0;
	}
	unsigned long dropped = 0;
	om_metric_gauge_add(&m_links, NULL, 1);
	if (may_log(s, &s->lim_connect, &dropped))
		om_debug("radio-connect", "peer=%s suppressed=%lu", se->peer, dropped);
	/*
	 * The cell's system information first: the device needs our PLMN for KASME
	 * (TS 33.401 A.2). A fresh socket's buffer takes 6 octets without waiting.
	 */
	int sent = send_frame(se, OM_RADIO_LAB_CELL, s->mme->visited_plmn, sizeof(s->mme->visited_plmn));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.u64 = key_of(se)};
	pthread_mutex_lock(&s->lock);
	deadline_set(s, se, se->connected + s->conf->first_message_ms);
	if (sent < 0 || epoll_ctl(s->lep, EPOLL_CTL_ADD, fd, &ev) < 0)
		schedule(se); /* a worker sees the broken link and ends it */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void *loop_main(void *arg)
{
	struct radio_srv *s = arg;
	struct epoll_event evs[EVENTS];
	for (;;) {
		long long now = mme_now_ms(), until = 0;
		pthread_mutex_lock(&s->lock);
		if (s->loop_stop) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		if (s->stopping && !s->stop_swept) {
			/* Every link ends at its worker's next step. */
			s->stop_swept = true;
			(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
			for (unsigned i = 0; i < s->conf->max_devices; i++)
				if (s->slot[i])
					schedule(s->slot[i]);
		}
		while (s->heap_len && s->heap[0].ms <= now) {
			struct deadline d = s->heap[0];
			heap_del(s, 0);
			schedule_key(s, (uint64_t)d.slot << 32 | d.gen);
		}
		if (s->relisten_at && now >= s->relisten_at && !s->stopping) {
			struct epoll_event ev = {.events = EPOLLIN, .data.u64 = KEY_LISTEN};
			s->relisten_at = 0;
			(void)epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev);
		}
		if (s->heap_len)
			until = s->heap[0].ms;
		if (s->relisten_at && (!until || s->relisten_at < until))
			until = s->relisten_at;
		s->loop_until = until;
		pthread_mutex_unlock(&s->lock);
		int wait = until ? (int)(until - now < 0 ? 0 : until - now) : -1;
		int n = epoll_wait(s->ep, evs, EVENTS, wait);
		if (n < 0 && errno != EINTR) {
			om_error("radio-error", "reason=\"epoll_wait: %s\"", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint64_t key = evs[i].data.u64;
			if (key == KEY_WAKE) {
				uint64_t v;
				(void)!read(s->wake_fd, &v, sizeof(v));
			} else if (key == KEY_LISTEN) {
				int rc = 0;
				for (int k = 0; k < ACCEPT_BATCH && rc == 0; k++)
					rc = accept_one(s);
				if (rc < 0) {
					/* The connection stays queued: listen again in 50 ms rather than spin on it. */
					pthread_mutex_lock(&s->lock);
					(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
					s->relisten_at = mme_now_ms() + 50;
					pthread_mutex_unlock(&s->lock);
				}
			}
		}
	}
}

/* ---- start and stop ------------------------------------------------------------ */

static void srv_free(struct radio_srv *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->ep >= 0)
		close(s->ep);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->lep >= 0)
		close(s->lep);
	if (s->queue_fd >= 0)
		close(s->queue_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	radio_admit_free(&s->admit);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->qlock);
	free(s->slot);
	free(s->gen);
	free(s->free_slot);
	free(s->heap);
	free(s->heap_pos);
	free(s);
}

static void workers_stop(struct radio_srv *s)
{
	uint64_t one = 1;
	/* Level-triggered in the workers' set: every worker's epoll_wait returns it, now and after. */
	(void)!write(s->stop_fd, &one, sizeof(one));
	for (unsigned i = 0; i < s->n_workers; i++)
		pthread_join(s->workers[i], NULL);
	s->n_workers = 0;
}

struct radio_srv *radio_srv_start(struct mme *m, const char *addr, uint16_t port, uint16_t *bound)
{
	struct radio_srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t sl = sizeof(sa);
	int one = 1;
	if (!s)
		return NULL;
	s->mme = m;
	s->conf = m->conf;
	s->lfd = s->ep = s->wake_fd = s->lep = s->queue_fd = s->stop_fd = -1;
	radio_admit_init(&s->admit, s->conf->max_devices, s->conf->max_unauth, s->conf->max_unauth_per_source);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	unsigned n = s->conf->max_devices;
	s->slot = calloc(n, sizeof(*s->slot));
	s->gen = calloc(n, sizeof(*s->gen));
	s->free_slot = calloc(n, sizeof(*s->free_slot));
	s->heap = calloc(n, sizeof(*s->heap));
	s->heap_pos = calloc(n, sizeof(*s->heap_pos));
	if (!s->slot || !s->gen || !s->free_slot || !s->heap || !s->heap_pos) {
		om_error("radio-listen-failed", "reason=out-of-memory");
		goto fail;
	}
	for (unsigned i = 0; i < n; i++)
		s->free_slot[i] = (int)(n - 1 - i);
	s->n_free = n;
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		om_error("radio-listen-failed", "addr=%s port=%u reason=\"not an IPv4 address\"", addr, port);
		goto fail;
	}
	/* A deep queue: a flood is accepted and refused quickly rather than left in SYN retries.
	 * issue 15: the system's reason in words, never a stale errno number */
	if ((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->lfd, 1024) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl) < 0) {
		om_error("radio-listen-failed", "addr=%s port=%u reason=\"%s\"", addr, port, strerror(errno));
		goto fail;
	}
	struct epoll_event el = {.events = EPOLLIN, .data.u64 = KEY_LISTEN}, ew = {.events = EPOLLIN, .data.u64 = KEY_WAKE};
	/* The queue's eventfd is edge-triggered and never read: each write wakes one waiting worker. */
	struct epoll_event eq = {.events = EPOLLIN | EPOLLET, .data.u64 = KEY_QUEUE},
			   es = {.events = EPOLLIN, .data.u64 = KEY_STOP};
	if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || (s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &el) < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->wake_fd, &ew) < 0 ||
	    (s->lep = epoll_create1(EPOLL_CLOEXEC)) < 0 || (s->queue_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    epoll_ctl(s->lep, EPOLL_CTL_ADD, s->queue_fd, &eq) < 0 || epoll_ctl(s->lep, EPOLL_CTL_ADD, s->stop_fd, &es) < 0) {
		om_error("radio-listen-failed", "reason=\"epoll: %s\"", strerror(errno));
		goto fail;
	}
	for (; s->n_workers < WORKERS; s->n_workers++)
		if (pthread_create(&s->workers[s->n_workers], NULL, worker_main, s))
			break;
	if (!s->n_workers || pthread_create(&s->loop, NULL, loop_main, s)) {
		om_error("radio-listen-failed", "reason=thread");
		workers_stop(s);
		goto fail;
	}
	*bound = ntohs(sa.sin_port);
	om_info("radio-listen", "addr=%s port=%u max_devices=%u max_unauth=%u max_unauth_per_source=%u "
		"first_message_ms=%u idle_timeout_s=%u workers=%u",
		addr, *bound, s->conf->max_devices, s->conf->max_unauth, s->conf->max_unauth_per_source,
		s->conf->first_message_ms, s->conf->idle_timeout_s, s->n_workers);
	return s;
fail:
	srv_free(s);
	return NULL;
}

size_t radio_srv_deadlines(struct radio_srv *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n = s->heap_len;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void radio_srv_stop(struct radio_srv *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	wake_loop(s);
	while (s->admit.total)
		pthread_cond_wait(&s->idle, &s->lock);
	s->loop_stop = true;
	wake_loop(s);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->loop, NULL);
	workers_stop(s);
	srv_free(s);
}
