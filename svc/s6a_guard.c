/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What stands between freeDiameter and a hostile peer or a log reader
 * (docs/s6a.md "Peers, TLS and logs"):
 *
 *   - which incoming peers are accepted: only the configured identities,
 *     and with TLS only when the certificate names the identity the CER
 *     claims. freeDiameter 1.2.1 checks the certificate's name only on
 *     connections it initiates (cnxctx.c, cc_tls_para.cn); on the
 *     accepting side anyone with a certificate from TLS_CA could claim any
 *     Origin-Host. A peer absent from the configuration always goes through
 *     fd_peer_validate (p_ce.c), so the HSS lists its MMEs only here.
 *   - what reaches the log: freeDiameter's own messages go through our
 *     logger with long hex runs cut out, and every hook that would dump a
 *     whole message (HOOK_MESSAGE_DROPPED when an answer cannot be
 *     delivered, routing and parsing errors, ...) is ours, so the default
 *     dump (AVP values: RAND, XRES, AUTN, KASME) never runs. One line per
 *     event, naming the peer, command and reason only.
 *   - whether a request can still be answered: its peer is OPEN.
 *   - the vectors of an answer we sent: wiped in the message once
 *     freeDiameter has copied it into its send buffer.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "fd_log.h"
#include "log.h"
#include "metrics.h"
#include "s6a_avp.h"

#define ALLOW_MAX 16
#define HEX_RUN_MAX 15 /* a longer run of hex digits may be key material (XRES is 16) */

static struct {
	char ids[ALLOW_MAX][256];
	size_t n;
	int tls_off;
} allow;

static struct fd_hook_hdl *log_hook;

/* ---- freeDiameter's log --------------------------------------------------- */

/*
 * Cut every run of more than HEX_RUN_MAX hex digits (spaces, colons and
 * "0x" inside the run included) out of s, in place.
 */
static void redact_hex(char *s)
{
	static const char cut[] = "[redacted]";
	char *w = s;
	for (const char *r = s; *r;) {
		const char *e = r;
		size_t digits = 0;
		while (*e && (isxdigit((unsigned char)*e) || ((*e == ' ' || *e == ':') && digits))) {
			if (isxdigit((unsigned char)*e))
				digits++;
			e++;
		}
		if (digits > HEX_RUN_MAX && (size_t)(e - r) >= sizeof(cut) - 1) {
			memcpy(w, cut, sizeof(cut) - 1);
			w += sizeof(cut) - 1;
			r = e;
		} else if (e > r) {
			memmove(w, r, (size_t)(e - r));
			w += e - r;
			r = e;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
}

/* freeDiameter's own messages as our events at their level (svc/fd_log.h), hex runs cut out. */
static void fd_logger(int level, const char *format, va_list args) __attribute__((format(printf, 2, 0)));
static void fd_logger(int level, const char *format, va_list args)
{
	char msg[512];
	struct timespec now;
	if (level < FD_LOG_ERROR)
		return;
	vsnprintf(msg, sizeof(msg), format, args);
	redact_hex(msg);
	struct om_fd_event e = om_fd_log_classify(level, msg);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (om_fd_log_repeat(e.event, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000))
		return; /* a follow-up line of the same event (docs/s6a.md "Peers, TLS and logs") */
	om_log(e.level, e.event, "fd=\"%s\"", msg);
}

static const char *peer_name(struct peer_hdr *peer, struct msg *m, char *buf, size_t cap)
{
	DiamId_t id = NULL;
	size_t len = 0;
	if (peer && peer->info.pi_diamid)
		return peer->info.pi_diamid;
	if (m && !fd_msg_source_get(m, &id, &len) && id) {
		snprintf(buf, cap, "%.*s", (int)len, (const char *)id);
		return buf;
	}
	return "-";
}

/* One line per event: the peer, the command, the reason; never an AVP value. */
static void on_hook(enum fd_hook_type type, struct msg *m, struct peer_hdr *peer, void *other,
		    struct fd_hook_permsgdata *pmd, void *regdata)
{
	struct msg_hdr *h = NULL;
	char buf[256];
	unsigned cmd = 0, app = 0;
	int req = 0;
	(void)pmd;
	(void)regdata;
	if (m && !fd_msg_hdr(m, &h) && h) {
		cmd = h->msg_code;
		app = h->msg_appl;
		req = !!(h->msg_flags & CMD_FLAG_REQUEST);
	}
	const char *who = peer_name(peer, m, buf, sizeof(buf));
	/* other is a reason string for these types only (libfdcore.h, enum fd_hook_type) */
	const char *why = (type == HOOK_MESSAGE_DROPPED || type == HOOK_MESSAGE_ROUTING_ERROR ||
			   type == HOOK_PEER_CONNECT_FAILED || (type == HOOK_MESSAGE_PARSING_ERROR && m)) &&
				  other
			? other
			: "-";
	switch (type) {
	case HOOK_MESSAGE_DROPPED:
		om_error("diameter-dropped", "peer=%s cmd=%u app=%u request=%d reason=\"%s\"", who, cmd, app, req, why);
		break;
	case HOOK_MESSAGE_ROUTING_ERROR:
		om_notice("diameter-unroutable", "cmd=%u app=%u request=%d reason=\"%s\"", cmd, app, req, why);
		break;
	case HOOK_MESSAGE_PARSING_ERROR:
		om_notice("diameter-malformed", "peer=%s cmd=%u reason=\"%s\"", who, cmd, why);
		break;
	case HOOK_MESSAGE_FAILOVER:
		om_info("diameter-failover", "peer=%s cmd=%u app=%u", who, cmd, app);
		break;
	case HOOK_PEER_CONNECT_FAILED:
		om_notice("diameter-peer-failed", "peer=%s reason=\"%s\"", who, why);
		break;
	case HOOK_PEER_CONNECT_SUCCESS: {
		char proto[64] = "-";
		if (peer)
			(void)fd_peer_cnx_proto_info(peer, proto, sizeof(proto));
		om_info("diameter-peer-open", "peer=%s transport=\"%s\"", who, proto);
		break;
	}
	default: /* the normal path (sent, received, local, routed): the capture's business */
		break;
	}
}

/* ---- incoming peers ------------------------------------------------------- */

/* 1 when the leaf certificate (DER) names id: DNS subjectAltName, or CN when there is none. */
static int cert_names(const gnutls_datum_t *der, const char *id)
{
	const unsigned char *p = der->data;
	X509 *c = d2i_X509(NULL, &p, (long)der->size);
	int ok = c && X509_check_host(c, id, 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1;
	X509_free(c);
	return ok;
}

static int validate(struct peer_info *info, int *auth, int (**cb2)(struct peer_info *))
{
	const char *id = info->pi_diamid, *why = NULL;
	size_t i;
	*cb2 = NULL;
	for (i = 0; i < allow.n && strcasecmp(allow.ids[i], id); i++)
		;
	if (i == allow.n)
		why = "not in [diameter] peers";
	else if (!allow.tls_off && (!info->runtime.pir_cert_list || !info->runtime.pir_cert_list_size))
		why = "no TLS certificate";
	else if (!allow.tls_off && !cert_names(&info->runtime.pir_cert_list[0], id))
		why = "the TLS certificate is not this identity's";
	if (why) {
		om_notice("diameter-peer-refused", "peer=%s reason=\"%s\"", id, why);
		*auth = -1;
		return 0;
	}
	/* p_ce.c lets a clear CER through only when the validator allows PI_SEC_NONE */
	if (allow.tls_off)
		info->config.pic_flags.sec = PI_SEC_NONE;
	/*
	 * No inactivity expiry (p_ce.c gives an unknown peer 3 hours): with it every
	 * message received moves the peer in the expiry list and, the only peer
	 * being first there, wakes freeDiameter's expiry thread (p_expiry.c): two
	 * thread switches per request for a timer that never fires while the
	 * peer talks. A listed MME's link ends as any link does: its watchdog
	 * (DWR/DWA), a DPR, or the connection's loss (docs/s6a.md).
	 */
	info->config.pic_flags.exp = PI_EXP_NONE;
	*auth = 1;
	return 0;
}

int om_s6a_accept_peers(const char *const *ids, size_t n, int tls_off)
{
	if (n > ALLOW_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (snprintf(allow.ids[i], sizeof(allow.ids[i]), "%s", ids[i]) >= (int)sizeof(allow.ids[i]))
			return -1;
	allow.n = n;
	allow.tls_off = tls_off;
	return fd_peer_validate_register(validate) ? -1 : 0;
}

/* ---- peers' state ---------------------------------------------------------- */

int om_s6a_peer_state(const char *diamid, size_t len)
{
	int state = -1;
	pthread_rwlock_rdlock(&fd_g_peers_rw);
	for (struct fd_list *li = fd_g_peers.next; li != &fd_g_peers; li = li->next) {
		struct peer_hdr *p = (struct peer_hdr *)li; /* chain is the first member */
		if (diamid && (strlen(p->info.pi_diamid) != len || strncasecmp(p->info.pi_diamid, diamid, len)))
			continue;
		int s = fd_peer_get_state(p);
		if (state != STATE_OPEN)
			state = s;
	}
	pthread_rwlock_unlock(&fd_g_peers_rw);
	return state;
}

static struct om_metric m_peers =
	OM_GAUGE("openmcim_diameter_peers_open", "Diameter peers whose connection is OPEN (RFC 6733 5.6)", NULL);

/* At each scrape: the peers in freeDiameter's list that are OPEN now. */
static void read_peers_open(void *arg)
{
	int64_t n = 0;
	(void)arg;
	pthread_rwlock_rdlock(&fd_g_peers_rw);
	for (struct fd_list *li = fd_g_peers.next; li != &fd_g_peers; li = li->next)
		n += fd_peer_get_state((struct peer_hdr *)li) == STATE_OPEN;
	pthread_rwlock_unlock(&fd_g_peers_rw);
	om_metric_set(&m_peers, NULL, n);
}

int om_s6a_metrics_watch(void)
{
	return om_metrics_on_scrape(read_peers_open, NULL);
}

int om_s6a_can_answer(struct msg *req)
{
	DiamId_t id = NULL;
	size_t len = 0;
	if (fd_msg_source_get(req, &id, &len) || !id)
		return 0;
	return om_s6a_peer_state((const char *)id, len) == STATE_OPEN;
}

int om_s6a_origin_is_source(struct msg *m, char *origin, size_t cap)
{
	DiamId_t src = NULL;
	size_t len = 0;
	snprintf(origin, cap, "-");
	if (om_avp_get_str(m, om_s6a_d.origin_host, origin, cap) != 1) {
		snprintf(origin, cap, "-");
		return 0;
	}
	if (fd_msg_source_get(m, &src, &len) || !src)
		return 0;
	return strlen(origin) == len && !strncasecmp(origin, (const char *)src, len);
}

int om_s6a_log_init(void)
{
	fd_g_debug_lvl = FD_LOG_ERROR;
	return fd_log_handler_register(fd_logger) ? -1 : 0;
}

/*
 * HOOK_MESSAGE_SENT runs after freeDiameter has bufferized the message and
 * before it frees it (p_out.c do_send): the AIA's vectors are wiped in the
 * AVPs there, so fd_msg_free releases no key material. Registered after the
 * capture's hook (om_s6a_core_start), which still writes them as sent.
 */
static void on_sent(enum fd_hook_type type, struct msg *m, struct peer_hdr *peer, void *other,
		    struct fd_hook_permsgdata *pmd, void *regdata)
{
	struct msg_hdr *h = NULL;
	(void)type;
	(void)peer;
	(void)other;
	(void)pmd;
	(void)regdata;
	if (m && !fd_msg_hdr(m, &h) && h && !(h->msg_flags & CMD_FLAG_REQUEST) && h->msg_appl == OM_S6A_APP_ID)
		om_s6a_wipe_vectors(m);
}

static struct fd_hook_hdl *wipe_hook;

int om_s6a_wipe_hook_init(void)
{
	return fd_hook_register(HOOK_MASK(HOOK_MESSAGE_SENT), on_sent, NULL, NULL, &wipe_hook) ? -1 : 0;
}

int om_s6a_hooks_init(void)
{
	uint32_t mask = 0;
	/* every type but HOOK_DATA_RECEIVED: a type with a hook of ours gets no default dump */
	for (int t = HOOK_MESSAGE_RECEIVED; t <= HOOK_LAST; t++)
		mask |= 1u << t;
	return fd_hook_register(mask, on_hook, NULL, NULL, &log_hook) ? -1 : 0;
}
