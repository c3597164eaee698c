/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket side of the radio link (both ends use it) and the device's
 * attach, security mode control and detach procedures (TS 24.301 5.5.1,
 * 5.4.2, 5.4.3, 5.5.2.2) on top of the NAS codec and nas_sec.h. The
 * device's AKA is the caller's callback: this file never sees K, CK or IK,
 * only KASME, from which the NAS keys come (TS 33.401 A.7).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/radio.h>

void om_radio_link_init(struct om_radio_link *l, int fd)
{
	l->fd = fd;
	l->have = 0;
	l->push = NULL;
	l->push_arg = NULL;
	l->has_cell = false;
	memset(l->snid, 0, sizeof(l->snid));
	memset(&l->nas, 0, sizeof(l->nas));
}

int om_radio_link_connect(struct om_radio_link *l, const char *host, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (!l || !host || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return OM_EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return OM_EIO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return OM_EIO;
	}
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	om_radio_link_init(l, fd);
	return 0;
}

void om_radio_link_close(struct om_radio_link *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	om_nas_ctx_clear(&l->nas);
}

int om_radio_send(struct om_radio_link *l, uint8_t type, const uint8_t *payload, size_t len)
{
	return om_radio_send_fd(l->fd, type, payload, len);
}

int om_radio_send_fd(int fd, uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t out[OM_RADIO_FRAME_MAX];
	int n = om_radio_encode(out, sizeof(out), type, payload, len);
	if (n < 0)
		return n;
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = send(fd, out + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OM_EIO;
		off += (size_t)w;
	}
	return 0;
}

/* Encode m; protect it as type sht when the link's context is active (sht 0: type 2). */
static int send_nas_as(struct om_radio_link *l, const struct om_nas_msg *m, uint8_t sht)
{
	uint8_t pdu[OM_NAS_MAX_LEN], sec[OM_NAS_MAX_LEN + OM_NAS_SEC_HDR_LEN];
	int n = om_nas_encode(pdu, sizeof(pdu), m);
	if (n >= 0 && l->nas.active) {
		n = om_nas_protect(&l->nas, sec, sizeof(sec), sht ? sht : OM_NAS_SHT_INT_ENC, pdu, (size_t)n);
		OPENSSL_cleanse(pdu, sizeof(pdu));
		if (n >= 0)
			n = om_radio_send(l, OM_RADIO_NAS, sec, (size_t)n);
	} else if (n >= 0) {
		n = om_radio_send(l, OM_RADIO_NAS, pdu, (size_t)n);
	}
	OPENSSL_cleanse(sec, sizeof(sec));
	return n < 0 ? n : 0;
}

int om_radio_send_nas(struct om_radio_link *l, const struct om_nas_msg *m)
{
	return send_nas_as(l, m, 0);
}

int om_radio_take(struct om_radio_link *l, struct om_radio_frame *f)
{
	return om_radio_take_buf(l->buf, &l->have, f);
}

int om_radio_take_buf(uint8_t *buf, size_t *have, struct om_radio_frame *f)
{
	int n = om_radio_decode(f, buf, *have);
	if (n <= 0)
		return n;
	memmove(buf, buf + n, *have - (size_t)n);
	*have -= (size_t)n;
	return 1;
}

int om_radio_fill(struct om_radio_link *l)
{
	if (l->have == sizeof(l->buf))
		return OM_EIO; /* cannot happen: a full buffer always holds a whole frame */
	for (;;) {
		ssize_t r = recv(l->fd, l->buf + l->have, sizeof(l->buf) - l->have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return OM_EIO;
		if (r == 0)
			return OM_ERADIO_CLOSED;
		l->have += (size_t)r;
		return 0;
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int om_radio_recv(struct om_radio_link *l, struct om_radio_frame *f, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		int rc = om_radio_take(l, f);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		int wait = -1;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return OM_ERADIO_TIMEOUT;
			wait = (int)left;
		}
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		int pr = poll(&p, 1, wait);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return OM_EIO;
		if (pr == 0)
			return OM_ERADIO_TIMEOUT;
		if ((rc = om_radio_fill(l)) < 0)
			return rc;
	}
}

void om_radio_ue_on_push(struct om_radio_link *l, om_radio_push_fn fn, void *arg)
{
	if (!l)
		return;
	l->push = fn;
	l->push_arg = arg;
}

/*
 * The next frame from the network other than a PUSH or a cell's PLMN: a
 * push arrives when the network has one, whatever procedure runs (as an SMS
 * would), so each one met on the way goes to the handler; the cell's PLMN
 * is recorded. Bounded by timeout_ms per frame.
 */
static int recv_device(struct om_radio_link *l, struct om_radio_frame *f, int timeout_ms)
{
	for (;;) {
		int rc = om_radio_recv(l, f, timeout_ms);
		if (rc < 0)
			return rc;
		if (f->type == OM_RADIO_LAB_CELL) {
			memcpy(l->snid, f->payload, OM_SNID_LEN);
			l->has_cell = true;
			continue;
		}
		if (f->type != OM_RADIO_PUSH)
			return rc;
		if (l->push)
			(void)l->push(l->push_arg, f->payload, f->len);
	}
}

int om_radio_ue_wait_push(struct om_radio_link *l, int timeout_ms)
{
	struct om_radio_frame f;
	if (!l || !l->push)
		return OM_EINVAL;
	int rc = om_radio_recv(l, &f, timeout_ms);
	if (rc < 0)
		return rc;
	if (f.type != OM_RADIO_PUSH)
		return OM_ERADIO_PROTOCOL;
	return l->push(l->push_arg, f.payload, f.len);
}


#define MAX_DROPPED 8 /* downlink messages dropped in one procedure before it gives up */

/*
 * The next NAS message from the network that the device may process,
 * skipping pushes; a LAB frame here is a protocol error. Before Security
 * Mode Control only plain messages count, and a Security Mode Command
 * (type 3), whose MAC the caller checks once it has the keys: its raw PDU
 * is left in raw. Once the link's context is active only messages that
 * pass om_nas_unprotect() count (TS 24.301 4.4.4.2); every other is dropped
 * and counted in out->nas_dropped. A detach skips the bearer's LAB
 * "released" frames (skip_released), up to MAX_DROPPED of them.
 */
static int recv_nas(struct om_radio_link *l, struct om_nas_msg *m, struct om_radio_frame *raw, int timeout_ms,
		    struct om_radio_attach_result *out, bool skip_released)
{
	uint8_t plain[OM_RADIO_PAYLOAD_MAX];
	for (unsigned released = 0;;) {
		int rc = recv_device(l, raw, timeout_ms);
		if (rc < 0)
			return rc;
		if (skip_released && raw->type == OM_RADIO_LAB_RELEASED && ++released < MAX_DROPPED)
			continue;
		if (raw->type != OM_RADIO_NAS)
			return OM_ERADIO_PROTOCOL;
		int sht = om_nas_sht(raw->payload, raw->len);
		if (sht < 0)
			return sht;
		uint8_t got = 0;
		if (sht == OM_NAS_SHT_INT_NEW && raw->len > OM_NAS_SEC_HDR_LEN) {
			/* The MAC can be checked only with the algorithms the command names. */
			rc = om_nas_decode(m, OM_NAS_DOWNLINK, raw->payload + OM_NAS_SEC_HDR_LEN,
					   raw->len - OM_NAS_SEC_HDR_LEN);
			if (rc == 0 && m->kind == OM_NAS_SEC_MODE_COMMAND)
				return 0;
			rc = OM_ENAS_MSG_TYPE;
		} else if (!l->nas.active) {
			if (sht == OM_NAS_SHT_PLAIN)
				return om_nas_decode(m, OM_NAS_DOWNLINK, raw->payload, raw->len);
			rc = OM_ENAS_SECURITY; /* protected, and no context to check it with */
		} else if ((rc = om_nas_unprotect(&l->nas, plain, sizeof(plain), &got, raw->payload, raw->len)) >= 0) {
			rc = om_nas_decode(m, OM_NAS_DOWNLINK, plain, (size_t)rc);
			OPENSSL_cleanse(plain, sizeof(plain));
			return rc;
		}
		/* Dropped: a plain, forged, altered or replayed message (4.4.4.2). */
		if (++out->nas_dropped >= MAX_DROPPED)
			return OM_ERADIO_PROTOCOL;
	}
}

/* Answer one Authentication Request through the caller's AKA; KASME kept for the SMC. */
static int answer_auth(struct om_radio_link *l, const struct om_nas_auth_request *req, om_radio_aka_fn aka,
		       void *arg, uint8_t kasme[static OM_KASME_LEN], struct om_radio_attach_result *out)
{
	struct om_nas_msg m = {0};
	uint8_t auts[OM_AUTS_LEN] = {0};
	size_t res_len = 0;
	int rc = aka(arg, req->rand, req->autn, l->snid, m.u.auth_response.res, &res_len, auts, kasme);
	out->auth_rounds++;
	if (rc == 0) {
		if (res_len < OM_NAS_RES_MIN || res_len > OM_NAS_RES_MAX) {
			rc = OM_ERADIO_AKA;
			goto out;
		}
		m.kind = OM_NAS_AUTH_RESPONSE;
		m.u.auth_response.res_len = (uint8_t)res_len;
	} else if (rc == OM_EAUTH_MAC) {
		m.kind = OM_NAS_AUTH_FAILURE;
		m.u.auth_failure.cause = OM_NAS_CAUSE_MAC_FAILURE;
		out->sent_mac_failure = true;
	} else if (rc == OM_EAUTH_SYNC) {
		m.kind = OM_NAS_AUTH_FAILURE;
		m.u.auth_failure.cause = OM_NAS_CAUSE_SYNCH_FAILURE;
		m.u.auth_failure.has_auts = true;
		memcpy(m.u.auth_failure.auts, auts, OM_AUTS_LEN);
		out->sent_sync_failure = true;
	} else {
		rc = OM_ERADIO_AKA;
		goto out;
	}
	/* Authentication messages travel in the context in force (4.4.4.2): plain on a first attach. */
	rc = om_radio_send_nas(l, &m);
out:
	OPENSSL_cleanse(&m, sizeof(m));
	return rc;
}

/*
 * Security Mode Command (TS 24.301 5.4.3.3): the keys for the algorithms
 * it names, from the KASME of the authentication it follows (KSI), its MAC
 * checked with them, the replayed capabilities equal to what the Attach
 * Request advertised. Accepted: the new context is the link's and Security
 * Mode Complete goes back ciphered (type 4). Refused (5.4.3.5): Security
 * Mode Reject, #23 for capabilities, #24 otherwise, and the attach stops.
 * A repeated command for the same KSI continues the COUNTs, so a replayed
 * one fails (TS 33.401 8.1).
 */
static int answer_smc(struct om_radio_link *l, const struct om_radio_frame *raw,
		      const struct om_nas_sec_mode_command *c, const uint8_t kasme[static OM_KASME_LEN],
		      bool have_kasme, uint8_t ksi, struct om_radio_attach_result *out)
{
	struct om_nas_ctx n;
	struct om_nas_msg m = {0};
	uint8_t plain[OM_RADIO_PAYLOAD_MAX], got;
	uint8_t cause = OM_NAS_CAUSE_SECURITY_MODE_REJECTED;
	int rc = OM_ENAS_SMC;
	memset(&n, 0, sizeof(n));
	if (c->ue_sec_cap_len < sizeof(om_nas_ue_net_cap_default) ||
	    memcmp(c->ue_sec_cap, om_nas_ue_net_cap_default, sizeof(om_nas_ue_net_cap_default))) {
		cause = OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH; /* a bidding-down attempt (TS 33.401 7.2.4.5) */
		goto reject;
	}
	if (!have_kasme || c->ksi != ksi)
		goto reject;
	if ((rc = om_nas_ctx_init(&n, kasme, c->eea, c->eia, c->ksi, OM_NAS_SEC_UPLINK)) < 0)
		goto reject; /* EIA0 or an algorithm we do not have */
	if (l->nas.active && l->nas.ksi == c->ksi) {
		n.tx_count = l->nas.tx_count;
		n.rx = l->nas.rx;
	}
	if ((rc = om_nas_unprotect(&n, plain, sizeof(plain), &got, raw->payload, raw->len)) < 0)
		goto reject;
	OPENSSL_cleanse(plain, sizeof(plain));
	om_nas_ctx_clear(&l->nas);
	l->nas = n; /* moves the OpenSSL contexts: n is not cleared */
	out->smc_rounds++;
	out->eea = c->eea;
	out->eia = c->eia;
	m.kind = OM_NAS_SEC_MODE_COMPLETE;
	return send_nas_as(l, &m, OM_NAS_SHT_INT_ENC_NEW);
reject:
	om_nas_ctx_clear(&n);
	OPENSSL_cleanse(plain, sizeof(plain));
	m.kind = OM_NAS_SEC_MODE_REJECT;
	m.u.sec_mode_reject.cause = cause;
	struct om_nas_ctx keep = l->nas; /* the reject is sent plain (4.4.4.2 lists it) */
	l->nas.active = 0;
	int sent = om_radio_send_nas(l, &m);
	l->nas = keep;
	OPENSSL_cleanse(&keep, sizeof(keep));
	return sent < 0 ? sent : rc;
}

int om_radio_ue_attach(struct om_radio_link *l, const char *imsi, const char *apn, om_radio_aka_fn aka,
		       void *aka_arg, int timeout_ms, struct om_radio_attach_result *out)
{
	struct om_nas_msg m;
	struct om_radio_frame raw;
	uint8_t kasme[OM_KASME_LEN];
	uint8_t ksi = OM_NAS_KSI_NONE;
	bool have_kasme = false;
	if (!l || !imsi || !aka || !out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	om_nas_ctx_clear(&l->nas); /* a new attach: a new KASME (the device keeps no context across links) */
	int rc;
	/* At once: a link that has spoken is never closed for a silent one (docs/vno.md "Bounds"). */
	rc = om_nas_attach_request_init(&m, imsi, apn);
	if (rc < 0 || (rc = om_radio_send_nas(l, &m)) < 0)
		return rc;
	uint8_t ebi = 0;
	for (;;) {
		if ((rc = recv_nas(l, &m, &raw, timeout_ms, out, false)) < 0)
			goto out;
		switch (m.kind) {
		case OM_NAS_AUTH_REQUEST:
			/* Bounded: a network that keeps challenging is refused by the caller's timeout. */
			rc = OM_ERADIO_PROTOCOL;
			if (out->auth_rounds >= 8)
				goto out;
			/* KASME needs the serving PLMN: the cell's frame opens the link, before any challenge. */
			if (!l->has_cell)
				goto out;
			OPENSSL_cleanse(kasme, sizeof(kasme));
			ksi = m.u.auth_request.ksi;
			rc = answer_auth(l, &m.u.auth_request, aka, aka_arg, kasme, out);
			have_kasme = rc == 0 && m.u.auth_request.ksi == ksi;
			if (rc < 0)
				goto out;
			continue;
		case OM_NAS_SEC_MODE_COMMAND:
			rc = OM_ERADIO_PROTOCOL;
			if (out->smc_rounds >= 8)
				goto out;
			if ((rc = answer_smc(l, &raw, &m.u.sec_mode_command, kasme, have_kasme, ksi, out)) < 0)
				goto out;
			continue;
		case OM_NAS_AUTH_REJECT:
			rc = OM_ERADIO_AUTH_REJECT;
			goto out;
		case OM_NAS_ATTACH_REJECT:
			out->emm_cause = m.u.attach_reject.cause;
			rc = OM_ERADIO_ATTACH_REJECT;
			goto out;
		case OM_NAS_ATTACH_ACCEPT:
			rc = OM_ERADIO_PROTOCOL;
			if (!l->nas.active)
				goto out; /* a bearer only after Security Mode Control */
			break;
		default:
			rc = OM_ERADIO_PROTOCOL;
			goto out;
		}
		break;
	}
	memcpy(out->apn, m.u.attach_accept.bearer.apn, sizeof(out->apn));
	ebi = m.u.attach_accept.bearer.ebi;
	memset(&m, 0, sizeof(m));
	m.kind = OM_NAS_ATTACH_COMPLETE;
	m.u.attach_complete.ebi = ebi;
	if ((rc = om_radio_send_nas(l, &m)) < 0)
		goto out;
	struct om_radio_frame f;
	if ((rc = recv_device(l, &f, timeout_ms)) < 0)
		goto out;
	rc = OM_ERADIO_PROTOCOL;
	if (f.type != OM_RADIO_LAB_BEARER)
		goto out;
	if ((rc = om_radio_bearer_decode(&out->bearer, f.payload, f.len)) < 0)
		goto out;
	rc = out->bearer.ebi != ebi ? OM_ERADIO_PROTOCOL : 0;
out:
	OPENSSL_cleanse(kasme, sizeof(kasme));
	OPENSSL_cleanse(&raw, sizeof(raw));
	OPENSSL_cleanse(&m, sizeof(m));
	return rc;
}

int om_radio_ue_detach(struct om_radio_link *l, const char *imsi, int timeout_ms)
{
	struct om_nas_msg m = {.kind = OM_NAS_DETACH_REQUEST_UE};
	struct om_radio_frame raw;
	struct om_radio_attach_result drops;
	if (!l || !imsi || strlen(imsi) > OM_NAS_IMSI_MAX)
		return OM_EINVAL;
	m.u.detach_request_ue.detach_type = 1;
	m.u.detach_request_ue.ksi = l->nas.active ? l->nas.ksi : OM_NAS_KSI_NONE;
	m.u.detach_request_ue.id.type = OM_NAS_ID_IMSI;
	memcpy(m.u.detach_request_ue.id.imsi, imsi, strlen(imsi) + 1);
	int rc = om_radio_send_nas(l, &m);
	if (rc < 0)
		return rc;
	memset(&drops, 0, sizeof(drops));
	/* A LAB "released" frame before the accept is consumed (recv_nas skips it here). */
	if ((rc = recv_nas(l, &m, &raw, timeout_ms, &drops, true)) < 0)
		return rc;
	return m.kind == OM_NAS_DETACH_ACCEPT ? 0 : OM_ERADIO_PROTOCOL;
}
