/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MME side of S6a as blocking calls, and the freeDiameter core start-up
 * both sides share. A request is sent with an answer callback and an expiry
 * (fd_msg_send_timeout); the caller sleeps on a condition variable. The
 * waiter and the callbacks share a small reference-counted record, so a
 * late answer after our own deadline never touches freed memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "log.h"
#include "s6a_avp.h"

#define ERR(...) snprintf(err, err_len, __VA_ARGS__)

int om_s6a_realm(char out[static OM_S6A_REALM_MAX], const char *mcc, const char *mnc)
{
	size_t lc, ln;
	if (!mcc || !mnc)
		return OM_EINVAL;
	lc = strlen(mcc);
	ln = strlen(mnc);
	if (lc != 3 || (ln != 2 && ln != 3) || strspn(mcc, "0123456789") != 3 || strspn(mnc, "0123456789") != ln)
		return OM_EINVAL;
	/* TS 23.003 19.2: the MNC is always three digits, a 2-digit MNC gets a leading 0. */
	snprintf(out, OM_S6A_REALM_MAX, "epc.mnc%s%s.mcc%s.3gppnetwork.org", ln == 2 ? "0" : "", mnc, mcc);
	return 0;
}

int om_s6a_core_init(const char *fd_conf, char *err, size_t err_len)
{
	int rc;
	if (!fd_conf)
		return ERR("no freeDiameter configuration"), -1;
	if (om_s6a_log_init())
		return ERR("fd_log_handler_register failed"), -1;
	if ((rc = fd_core_initialize()))
		return ERR("fd_core_initialize: %s", strerror(rc)), -1;
	if (om_s6a_hooks_init())
		return ERR("fd_hook_register failed"), -1;
	if ((rc = fd_core_parseconf(fd_conf)))
		return ERR("%s: freeDiameter configuration refused (%s)", fd_conf, strerror(rc)), -1;
	if (om_s6a_conf_listen(fd_conf))
		return ERR("%s: ListenOn: not an address of this host", fd_conf), -1;
	if (om_s6a_dict_init())
		return ERR("%s: S6a dictionary: load dict_nasreq, dict_dcca, dict_dcca_3gpp in that order", fd_conf),
		       -1;
	/* Advertise S6a in CER (auth, not acct) so that peers route it to us. */
	if ((rc = fd_disp_app_support(om_s6a_d.app, om_s6a_d.vendor, 1, 0)))
		return ERR("fd_disp_app_support: %s", strerror(rc)), -1;
	return 0;
}

int om_s6a_core_start(char *err, size_t err_len)
{
	int rc;
	if (om_s6a_wipe_hook_init())
		return ERR("fd_hook_register failed"), -1;
	if ((rc = fd_core_start()))
		return ERR("fd_core_start: %s", strerror(rc)), -1;
	if ((rc = fd_core_waitstartcomplete()))
		return ERR("fd_core_waitstartcomplete: %s", strerror(rc)), -1;
	/* openmcim_diameter_peers_open on /metrics (docs/operate.md "Metrics") */
	if (om_s6a_metrics_watch())
		return ERR("metrics hook"), -1;
	return 0;
}

int om_s6a_start(const char *fd_conf, char *err, size_t err_len)
{
	if (om_s6a_core_init(fd_conf, err, err_len))
		return -1;
	return om_s6a_core_start(err, err_len);
}

void om_s6a_stop(void)
{
	om_s6a_pcap_close();
}

#ifdef __SANITIZE_ADDRESS__
/*
 * freeDiameter 1.2.1 loads TLS_CA through gnutls_x509_crt_list_import2 and
 * keeps (never frees) the 8 KiB list for the life of the process: the one
 * leak LeakSanitizer finds in a process that used S6a over TLS.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:gnutls_x509_crt_list_import2\n";
}
#endif

void om_s6a_exit(int status)
{
	om_s6a_pcap_close();
	fflush(NULL);
#ifdef __SANITIZE_ADDRESS__
	/* _exit skips LeakSanitizer's check at exit: run it here (it exits non-zero on a leak) */
	__lsan_do_leak_check();
#endif
	_exit(status);
}

int om_s6a_wait_peer(const char *diamid, unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited += 20) {
		if (om_s6a_peer_state(diamid, diamid ? strlen(diamid) : 0) == STATE_OPEN)
			return 0;
		if (waited >= timeout_ms)
			return -1;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
}

/* ---- one request, one answer, one waiter ------------------------------- */

struct pending {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;     /* the waiter and freeDiameter's callback */
	int done;
	struct msg *ans; /* NULL when the request expired */
};

static void pending_put(struct pending *p)
{
	pthread_mutex_lock(&p->lock);
	int last = --p->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (last) {
		if (p->ans)
			fd_msg_free(p->ans);
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		free(p);
	}
}

/* CLOCK_REALTIME (freeDiameter's expiry clock) ms from now. */
static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void finish(struct pending *p, struct msg *ans)
{
	pthread_mutex_lock(&p->lock);
	p->ans = ans;
	p->done = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pending_put(p);
}

static void on_answer(void *data, struct msg **ans)
{
	finish(data, *ans);
	*ans = NULL;
}

static void on_expiry(void *data, DiamId_t sentto, size_t len, struct msg **req)
{
	(void)sentto;
	(void)len;
	fd_msg_free(*req);
	*req = NULL;
	finish(data, NULL);
}

/*
 * Send req (consumed) and wait up to timeout_ms for its answer. Returns the
 * answer (caller frees) or NULL on a send failure or timeout.
 */
static struct msg *send_and_wait(struct msg *req, unsigned timeout_ms)
{
	struct timespec deadline;
	struct msg *ans = NULL;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p) {
		fd_msg_free(req);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->refs = 2;

	/* freeDiameter's expiry uses CLOCK_REALTIME; ours is a little later. */
	deadline_in(&deadline, timeout_ms);
	if (fd_msg_send_timeout(&req, on_answer, p, on_expiry, &deadline)) {
		if (req)
			fd_msg_free(req);
		p->refs = 1;
		pending_put(p);
		return NULL;
	}
	deadline.tv_sec += 1;
	pthread_mutex_lock(&p->lock);
	while (!p->done)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &deadline) == ETIMEDOUT)
			break;
	if (p->done) {
		ans = p->ans;
		p->ans = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	pending_put(p);
	return ans;
}

/* ---- one request, no waiter (the HSS's CLR and IDR) ---------------------- */

struct async {
	void (*done)(void *arg, struct msg *ans);
	void *arg;
};

static void async_answer(void *data, struct msg **ans)
{
	struct async *a = data;
	a->done(a->arg, *ans);
	fd_msg_free(*ans);
	*ans = NULL;
	free(a);
}

static void async_expiry(void *data, DiamId_t sentto, size_t len, struct msg **req)
{
	struct async *a = data;
	(void)sentto;
	(void)len;
	fd_msg_free(*req);
	*req = NULL;
	a->done(a->arg, NULL);
	free(a);
}

int om_s6a_send_async(struct msg *req, unsigned timeout_ms, void (*done)(void *arg, struct msg *ans), void *arg)
{
	struct timespec deadline;
	struct async *a = calloc(1, sizeof(*a));
	if (!a || !req || !done) {
		free(a);
		if (req)
			fd_msg_free(req);
		return -1;
	}
	a->done = done;
	a->arg = arg;
	deadline_in(&deadline, timeout_ms);
	if (fd_msg_send_timeout(&req, async_answer, a, async_expiry, &deadline)) {
		if (req)
			fd_msg_free(req);
		free(a);
		return -1;
	}
	return 0;
}

/* Result of an answer; a local routing error (E bit) is a transport failure. */
static int answer_is_local_error(struct msg *ans, struct om_s6a_answer *res)
{
	struct msg_hdr *h = NULL;
	if (fd_msg_hdr(ans, &h) || !(h->msg_flags & CMD_FLAG_ERROR))
		return 0;
	if (om_s6a_get_result(ans, res))
		res->result_code = OM_S6A_UNABLE_TO_COMPLY;
	/* 3xxx protocol errors (3002 UNABLE_TO_DELIVER, ...) mean the HSS was not reached. */
	return res->result_code >= 3000 && res->result_code < 4000;
}

/*
 * Send the request m when rc (how building it went) is 0, else free it. The
 * answer, or NULL when building, sending or waiting failed or the answer is
 * a local error (in ans); the caller frees the answer.
 */
static struct msg *exchange(struct msg *m, int rc, unsigned timeout_ms, struct om_s6a_answer *ans)
{
	struct msg *a;

	if (rc) {
		fd_msg_free(m);
		return NULL;
	}
	if (!(a = send_and_wait(m, timeout_ms)))
		return NULL;
	if (answer_is_local_error(a, ans)) {
		fd_msg_free(a);
		return NULL;
	}
	return a;
}

int om_s6a_air(const char *dest_realm, const char *imsi, const uint8_t visited_plmn[static 3], unsigned n,
	       const uint8_t *resync, unsigned timeout_ms, struct om_eutran_vector *out, struct om_s6a_answer *ans)
{
	struct msg *m = NULL, *a = NULL;
	struct avp *g = NULL;
	int rc;

	if (!ans || !out || n == 0 || n > OM_S6A_VECTORS_MAX)
		return -1;
	memset(ans, 0, sizeof(*ans));
	if (om_s6a_new_request(om_s6a_d.air, dest_realm, imsi, &m))
		return -1;
	/* TS 29.272 7.2.5: Requested-EUTRAN-Authentication-Info then Visited-PLMN-Id. */
	rc = om_avp_add_group(m, om_s6a_d.req_eutran, &g);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.n_vectors, n);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.immediate, 0);
	if (!rc && resync)
		rc = om_avp_add_os(g, om_s6a_d.resync, resync, OM_S6A_RESYNC_LEN);
	if (!rc)
		rc = om_avp_add_os(m, om_s6a_d.visited_plmn, visited_plmn, 3);
	if (!(a = exchange(m, rc, timeout_ms, ans)))
		return -1;
	rc = om_s6a_parse_aia(a, n, out, ans);
	om_s6a_wipe_vectors(a); /* the values point into freeDiameter's receive buffer */
	fd_msg_free(a);
	if (rc < 0)
		om_error("aia", "imsi=%s malformed=%s", imsi, om_errname(rc));
	return rc < 0 ? -1 : rc;
}

int om_s6a_ulr(const char *dest_realm, const char *imsi, const uint8_t visited_plmn[static 3], unsigned timeout_ms,
	       struct om_s6a_subscription *sub, struct om_s6a_answer *ans)
{
	struct msg *m = NULL, *a = NULL;
	int rc;

	if (!ans || !sub)
		return -1;
	memset(ans, 0, sizeof(*ans));
	if (om_s6a_new_request(om_s6a_d.ulr, dest_realm, imsi, &m))
		return -1;
	rc = om_avp_add_i32(m, om_s6a_d.rat_type, OM_S6A_RAT_EUTRAN);
	if (!rc)
		rc = om_avp_add_u32(m, om_s6a_d.ulr_flags, OM_S6A_ULR_S6A_INDICATOR);
	if (!rc)
		rc = om_avp_add_os(m, om_s6a_d.visited_plmn, visited_plmn, 3);
	if (!(a = exchange(m, rc, timeout_ms, ans)))
		return -1;
	rc = om_s6a_parse_ula(a, sub, ans);
	fd_msg_free(a);
	if (rc < 0)
		om_error("ula", "imsi=%s malformed=%s", imsi, om_errname(rc));
	return rc < 0 ? -1 : 0;
}

int om_s6a_pur(const char *dest_realm, const char *imsi, unsigned timeout_ms, struct om_s6a_answer *ans)
{
	struct msg *m = NULL, *a = NULL;
	int rc;

	if (!ans)
		return -1;
	memset(ans, 0, sizeof(*ans));
	if (om_s6a_new_request(om_s6a_d.pur, dest_realm, imsi, &m))
		return -1;
	if (!(a = exchange(m, 0, timeout_ms, ans)))
		return -1;
	rc = om_s6a_get_result(a, ans);
	fd_msg_free(a);
	if (rc < 0)
		om_error("pua", "imsi=%s malformed=%s", imsi, om_errname(rc));
	return rc < 0 ? -1 : 0;
}
