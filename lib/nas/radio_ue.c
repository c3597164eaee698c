/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket side of the radio link (both ends use it) and the device's
 * attach and detach procedures (TS 24.301 5.5.1, 5.4.2, 5.5.2.2) on top of
 * the NAS codec. The device's AKA is the caller's callback: this file never
 * sees K, CK or IK.
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
	if (l && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
}

int om_radio_send(struct om_radio_link *l, uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t out[OM_RADIO_FRAME_MAX];
	int n = om_radio_encode(out, sizeof(out), type, payload, len);
	if (n < 0)
		return n;
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = send(l->fd, out + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OM_EIO;
		off += (size_t)w;
	}
	return 0;
}

int om_radio_send_nas(struct om_radio_link *l, const struct om_nas_msg *m)
{
	uint8_t pdu[OM_NAS_MAX_LEN];
	int n = om_nas_encode(pdu, sizeof(pdu), m);
	if (n < 0)
		return n;
	return om_radio_send(l, OM_RADIO_NAS, pdu, (size_t)n);
}

int om_radio_take(struct om_radio_link *l, struct om_radio_frame *f)
{
	int n = om_radio_decode(f, l->buf, l->have);
	if (n <= 0)
		return n;
	memmove(l->buf, l->buf + n, l->have - (size_t)n);
	l->have -= (size_t)n;
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
 * The next frame from the network other than a PUSH: a push arrives when the
 * network has one, whatever procedure runs (as an SMS would), so each one met
 * on the way goes to the handler. Bounded by timeout_ms per frame.
 */
static int recv_device(struct om_radio_link *l, struct om_radio_frame *f, int timeout_ms)
{
	for (;;) {
		int rc = om_radio_recv(l, f, timeout_ms);
		if (rc < 0 || f->type != OM_RADIO_PUSH)
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

/* The next NAS message from the network, skipping pushes: a LAB frame here is a protocol error. */
static int recv_nas(struct om_radio_link *l, struct om_nas_msg *m, int timeout_ms)
{
	struct om_radio_frame f;
	int rc = recv_device(l, &f, timeout_ms);
	if (rc < 0)
		return rc;
	if (f.type != OM_RADIO_NAS)
		return OM_ERADIO_PROTOCOL;
	return om_nas_decode(m, OM_NAS_DOWNLINK, f.payload, f.len);
}

/* Answer one Authentication Request through the caller's AKA. */
static int answer_auth(struct om_radio_link *l, const struct om_nas_auth_request *req, om_radio_aka_fn aka,
		       void *arg, struct om_radio_attach_result *out)
{
	struct om_nas_msg m = {0};
	uint8_t auts[OM_AUTS_LEN] = {0};
	size_t res_len = 0;
	int rc = aka(arg, req->rand, req->autn, m.u.auth_response.res, &res_len, auts);
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
	rc = om_radio_send_nas(l, &m);
out:
	OPENSSL_cleanse(&m, sizeof(m));
	return rc;
}

int om_radio_ue_attach(struct om_radio_link *l, const char *imsi, const char *apn, om_radio_aka_fn aka,
		       void *aka_arg, int timeout_ms, struct om_radio_attach_result *out)
{
	struct om_nas_msg m;
	if (!l || !imsi || !aka || !out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = om_nas_attach_request_init(&m, imsi, apn);
	if (rc < 0 || (rc = om_radio_send_nas(l, &m)) < 0)
		return rc;
	uint8_t ebi = 0;
	for (;;) {
		if ((rc = recv_nas(l, &m, timeout_ms)) < 0)
			return rc;
		switch (m.kind) {
		case OM_NAS_AUTH_REQUEST:
			/* Bounded: a network that keeps challenging is refused by the caller's timeout. */
			if (out->auth_rounds >= 8)
				return OM_ERADIO_PROTOCOL;
			if ((rc = answer_auth(l, &m.u.auth_request, aka, aka_arg, out)) < 0)
				return rc;
			continue;
		case OM_NAS_AUTH_REJECT:
			return OM_ERADIO_AUTH_REJECT;
		case OM_NAS_ATTACH_REJECT:
			out->emm_cause = m.u.attach_reject.cause;
			return OM_ERADIO_ATTACH_REJECT;
		case OM_NAS_ATTACH_ACCEPT:
			break;
		default:
			return OM_ERADIO_PROTOCOL;
		}
		break;
	}
	memcpy(out->apn, m.u.attach_accept.bearer.apn, sizeof(out->apn));
	ebi = m.u.attach_accept.bearer.ebi;
	memset(&m, 0, sizeof(m));
	m.kind = OM_NAS_ATTACH_COMPLETE;
	m.u.attach_complete.ebi = ebi;
	if ((rc = om_radio_send_nas(l, &m)) < 0)
		return rc;
	struct om_radio_frame f;
	if ((rc = recv_device(l, &f, timeout_ms)) < 0)
		return rc;
	if (f.type != OM_RADIO_LAB_BEARER)
		return OM_ERADIO_PROTOCOL;
	if ((rc = om_radio_bearer_decode(&out->bearer, f.payload, f.len)) < 0)
		return rc;
	if (out->bearer.ebi != ebi)
		return OM_ERADIO_PROTOCOL;
	return 0;
}

int om_radio_ue_detach(struct om_radio_link *l, const char *imsi, int timeout_ms)
{
	struct om_nas_msg m = {.kind = OM_NAS_DETACH_REQUEST_UE};
	if (!l || !imsi || strlen(imsi) > OM_NAS_IMSI_MAX)
		return OM_EINVAL;
	m.u.detach_request_ue.detach_type = 1;
	m.u.detach_request_ue.ksi = OM_NAS_KSI_NONE;
	m.u.detach_request_ue.id.type = OM_NAS_ID_IMSI;
	memcpy(m.u.detach_request_ue.id.imsi, imsi, strlen(imsi) + 1);
	int rc = om_radio_send_nas(l, &m);
	if (rc < 0)
		return rc;
	for (int frames = 0; frames < 4; frames++) {
		struct om_radio_frame f;
		if ((rc = recv_device(l, &f, timeout_ms)) < 0)
			return rc;
		if (f.type == OM_RADIO_LAB_RELEASED)
			continue;
		if (f.type != OM_RADIO_NAS)
			return OM_ERADIO_PROTOCOL;
		if ((rc = om_nas_decode(&m, OM_NAS_DOWNLINK, f.payload, f.len)) < 0)
			return rc;
		return m.kind == OM_NAS_DETACH_ACCEPT ? 0 : OM_ERADIO_PROTOCOL;
	}
	return OM_ERADIO_PROTOCOL;
}
