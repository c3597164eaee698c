/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers the VNO's tests share (header only: nothing here is part of
 * om_vno). A device's AKA on usim.h, free loopback ports, a TCP echo server
 * standing in for an operator's host, and an HTTP CONNECT client.
 */
#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdlib.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>
#include <openmcim/radio.h>
#include <openmcim/sqn.h>
#include <openmcim/usim.h>

#include "check.h"

#include "daemon_util.h"

/* A test device: MILENAGE with its K and OPc, and its USIM SQN state. */
struct test_usim {
	struct om_milenage m;
	struct om_usim_sqn sqn;
	int bad_res;    /* answer with a RES that is not f2(RAND) */
	int bad_kasme;  /* derive a KASME the network does not have: the SMC's MAC fails */
	int always_ahead; /* before each challenge move SEQ_MS ahead: every SQN is refused */
};

static inline int test_usim_aka(void *arg, const uint8_t rand[static OM_RAND_LEN],
				const uint8_t autn[static OM_AUTN_LEN], const uint8_t snid[static OM_SNID_LEN],
				uint8_t res[static OM_NAS_RES_MAX], size_t *res_len, uint8_t auts[static OM_AUTS_LEN],
				uint8_t kasme[static OM_KASME_LEN])
{
	struct test_usim *u = arg;
	struct om_usim_out o;
	if (u->always_ahead)
		for (unsigned i = 0; i < OM_USIM_SLOTS_MAX; i++)
			if (u->sqn.seq_ms[i] || i == 0)
				u->sqn.seq_ms[i] += UINT64_C(1) << 20;
	int rc = om_usim_authenticate(&u->m, &u->sqn, rand, autn, &o);
	if (rc == 0) {
		rc = om_nas_ue_kasme(kasme, o.ck, o.ik, snid, autn);
		memcpy(res, o.res, OM_RES_LEN);
		if (u->bad_kasme)
			kasme[0] ^= 0x01;
		if (u->bad_res)
			res[0] ^= 0x01;
		*res_len = OM_RES_LEN;
	} else if (rc == OM_EAUTH_SYNC) {
		memcpy(auts, o.auts, OM_AUTS_LEN);
	}
	om_usim_out_clear(&o);
	return rc;
}

/* A loopback TCP port that was free a moment ago. */
static inline uint16_t test_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

/* An echo server on 127.0.0.1: one thread, up to 16 clients at once, until stopped. */
struct test_echo {
	int lfd, stop[2];
	uint16_t port;
	pthread_t thread;
};

static inline void *test_echo_main(void *arg)
{
	struct test_echo *e = arg;
	int c[16];
	for (int i = 0; i < 16; i++)
		c[i] = -1;
	for (;;) {
		struct pollfd p[18] = {{.fd = e->stop[0], .events = POLLIN}, {.fd = e->lfd, .events = POLLIN}};
		for (int i = 0; i < 16; i++)
			p[2 + i] = (struct pollfd){.fd = c[i], .events = POLLIN};
		if (poll(p, 18, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int fd = accept(e->lfd, NULL, NULL);
			for (int i = 0; i < 16 && fd >= 0; i++)
				if (c[i] < 0) {
					c[i] = fd;
					fd = -1;
				}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < 16; i++) {
			if (c[i] < 0 || !p[2 + i].revents)
				continue;
			char buf[4096];
			ssize_t n = recv(c[i], buf, sizeof(buf), 0);
			if (n <= 0 || send(c[i], buf, (size_t)n, MSG_NOSIGNAL) != n) {
				close(c[i]);
				c[i] = -1;
			}
		}
	}
	for (int i = 0; i < 16; i++)
		if (c[i] >= 0)
			close(c[i]);
	return NULL;
}

static inline int test_echo_start(struct test_echo *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	e->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (e->lfd < 0 || bind(e->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(e->lfd, 8) < 0 ||
	    getsockname(e->lfd, (struct sockaddr *)&sa, &sl) < 0 || pipe(e->stop) < 0)
		return -1;
	e->port = ntohs(sa.sin_port);
	return pthread_create(&e->thread, NULL, test_echo_main, e) ? -1 : 0;
}

static inline void test_echo_stop(struct test_echo *e)
{
	(void)!write(e->stop[1], "x", 1);
	pthread_join(e->thread, NULL);
	close(e->lfd);
	close(e->stop[0]);
	close(e->stop[1]);
}

/* Read until "\r\n\r\n" or 2 s; the status code of the answer, or -1. */
static inline int test_http_status(int fd)
{
	char buf[1024];
	size_t have = 0;
	while (have < sizeof(buf) - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) <= 0)
			return -1;
		ssize_t n = recv(fd, buf + have, 1, 0); /* byte by byte: nothing after the headers is eaten */
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	int code;
	return sscanf(buf, "HTTP/1.%*d %d", &code) == 1 ? code : -1;
}

/*
 * Through the proxy at 127.0.0.1:proxy_port, CONNECT to target ("host:port").
 * Returns the connected socket with *status the proxy's answer (200: the
 * tunnel is open), or -1.
 */
/*
 * CONNECT target through the bearer proxy at proxy_port, with the bearer key
 * (OM_RADIO_BEARER_AUTH) when key is not NULL. The socket (the tunnel when
 * *status is 200), or -1.
 */
static inline int test_http_connect(uint16_t proxy_port, const uint8_t *key, const char *target, int *status)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(proxy_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char req[512], auth[128] = "";
	if (key) {
		char hex[2 * OM_RADIO_BEARER_KEY_LEN + 1];
		om_hex_encode(hex, key, OM_RADIO_BEARER_KEY_LEN);
		snprintf(auth, sizeof(auth), OM_RADIO_BEARER_AUTH "%s\r\n", hex);
	}
	int n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", target, target, auth);
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return -1;
	}
	*status = test_http_status(fd);
	return fd;
}

/* Send msg through fd and read the same bytes back (an echo at the far end). 1 if they came back. */
static inline int test_echo_through(int fd, const char *msg)
{
	size_t len = strlen(msg), have = 0;
	char buf[512];
	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	while (have < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) <= 0)
			return 0;
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			return 0;
		have += (size_t)n;
	}
	return have == len && !memcmp(buf, msg, len);
}

/*
 * Connect to the VNO's radio port on 127.0.0.1 and read the frame that
 * opens every link, the cell's PLMN (OM_RADIO_LAB_CELL), as a device's
 * radio would before it speaks. 0, or -1 (l closed).
 */
static inline int test_radio_connect(struct om_radio_link *l, uint16_t port)
{
	struct om_radio_frame f;
	if (om_radio_link_connect(l, "127.0.0.1", port) != 0)
		return -1;
	if (om_radio_recv(l, &f, 5000) != 0 || f.type != OM_RADIO_LAB_CELL) {
		om_radio_link_close(l);
		return -1;
	}
	memcpy(l->snid, f.payload, OM_SNID_LEN);
	l->has_cell = true;
	return 0;
}

/*
 * An attacker who knows only the IMSI: connect to the radio port on
 * 127.0.0.1, send an Attach Request for imsi, read the answer and then say
 * nothing more (no K, no RES). Returns 0 when it was challenged
 * (Authentication Request), as anyone is; -1 otherwise. l stays open.
 */
static inline int test_keyless_attach(struct om_radio_link *l, uint16_t port, const char *imsi)
{
	struct om_nas_msg m;
	struct om_radio_frame f;
	if (test_radio_connect(l, port) != 0)
		return -1;
	if (om_nas_attach_request_init(&m, imsi, "provisioning") != 0 || om_radio_send_nas(l, &m) != 0 ||
	    om_radio_recv(l, &f, 5000) != 0 || om_nas_decode(&m, OM_NAS_DOWNLINK, f.payload, f.len) != 0)
		return -1;
	return m.kind == OM_NAS_AUTH_REQUEST ? 0 : -1;
}

/* A device's USIM with K and OPc (hex) and the default IND bits. 0, or -1 (CHECKed). */
static inline int test_usim_init(struct test_usim *u, const char *k_hex, const char *opc_hex)
{
	uint8_t k[16], o[16];
	memset(u, 0, sizeof(*u));
	int rc = om_hex_decode(k, 16, k_hex) || om_hex_decode(o, 16, opc_hex) || om_milenage_init(&u->m, k, o) ||
		 om_usim_sqn_init(&u->sqn, OM_IND_BITS_DEFAULT, OM_USIM_DELTA_DEFAULT, 0);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(o, sizeof(o));
	CHECK_INT(rc, 0);
	return rc ? -1 : 0;
}

/* Connect to the radio port and attach imsi with APN "provisioning" (CHECKed connect). 0 or an om_err. */
static inline int test_attach(struct om_radio_link *l, uint16_t port, const char *imsi, struct test_usim *u,
			      int timeout_ms, struct om_radio_attach_result *r)
{
	int rc = om_radio_link_connect(l, "127.0.0.1", port);
	CHECK_INT(rc, 0);
	return rc ? rc : om_radio_ue_attach(l, imsi, "provisioning", test_usim_aka, u, timeout_ms, r);
}

/* How many lines of log hold needle, once at least `least` do (or ms passed). */
static inline int test_log_count(const char *log, const char *needle, int least, int ms)
{
	int n = 0;
	for (int waited = 0;; waited += 50) {
		size_t len;
		char *text = (char *)check_slurp(log, &len);
		n = 0;
		for (const char *p = text; p && (p = strstr(p, needle)); p++)
			n++;
		free(text);
		if (n >= least || waited >= ms)
			break;
		du_nap_ms(50);
	}
	return n;
}

/* Whether path exists within tries naps of 100 ms (a daemon's socket appearing). */
static inline int test_wait_path(const char *path, int tries)
{
	int ok = 0;
	for (int i = 0; i < tries && !ok; i++, du_nap_ms(100))
		ok = access(path, F_OK) == 0;
	return ok;
}

/* Whether the VNO's radio port on 127.0.0.1 takes a link within tries naps of 100 ms. */
static inline int test_wait_radio(uint16_t port, int tries)
{
	int ok = 0;
	for (int i = 0; i < tries && !ok; i++, du_nap_ms(100)) {
		struct om_radio_link l;
		if (om_radio_link_connect(&l, "127.0.0.1", port) == 0) {
			om_radio_link_close(&l);
			ok = 1;
		}
	}
	return ok;
}
