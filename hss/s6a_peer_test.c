/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-hss against hostile Diameter peers (issue 11, docs/s6a.md
 * "Peers, TLS and logs"). The daemon runs as a real process with S6a over
 * TLS; this test speaks Diameter to it byte by byte over OpenSSL, so that
 * it can send what freeDiameter would never send: a request for another
 * application, an AIR for another host, a CER under someone else's name,
 * a clear-text CER, a request whose sender is gone before the answer.
 * Each attack fails and serves nothing: no answer with a vector, no SQN
 * spent (the next legitimate AIR's SQN follows the previous one), no
 * vector in any file the daemon wrote. Last, this process is an MME on
 * freeDiameter and refuses an "HSS" whose certificate names someone else.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "s6a.h"
#include "refusal_kit.h"
#include "hss_test_util.h"
#include "s6a_testkit.h"

#define APP_S6A 16777251u
#define APP_RELAY 0xffffffffu
#define VENDOR_3GPP 10415u
#define CMD_CER 257u
#define CMD_AIR 318u
#define CMD_ULR 316u
#define CMD_PUR 321u
#define CMD_CCR 272u /* Credit-Control (RFC 4006), application 4: one the HSS does not serve */
#define FLAG_R 0x80u
#define FLAG_P 0x40u
#define FLAG_E 0x20u
#define MSG_MAX 16384

static char dir[] = "/tmp/om_s6a_peer_test_XXXXXX";
static char hss_bin[4096], hss_conf[512], hss_log[512], db[512];
static unsigned hss_port;
static pid_t hss_pid = -1;

/* ---- Diameter by hand (RFC 6733 3, 4.1) ------------------------------------ */

struct dmsg {
	uint8_t b[MSG_MAX];
	size_t n;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void msg_begin(struct dmsg *m, uint32_t flags, uint32_t cmd, uint32_t app, uint32_t hbh)
{
	memset(m, 0, sizeof(*m));
	put32(m->b, 20);
	m->b[0] = 1;
	put32(m->b + 4, flags << 24 | cmd);
	put32(m->b + 8, app);
	put32(m->b + 12, hbh);
	put32(m->b + 16, hbh ^ 0x5a5a0000u);
	m->n = 20;
}

/* An AVP header (M, and V with vendor); returns its offset for avp_end(). */
static size_t avp_begin(struct dmsg *m, uint32_t code, uint32_t vendor)
{
	size_t at = m->n;
	put32(m->b + at, code);
	put32(m->b + at + 4, (vendor ? 0xc0u : 0x40u) << 24);
	m->n += 8;
	if (vendor) {
		put32(m->b + m->n, vendor);
		m->n += 4;
	}
	return at;
}

static void avp_end(struct dmsg *m, size_t at)
{
	uint32_t len = (uint32_t)(m->n - at);
	m->b[at + 5] = (uint8_t)(len >> 16), m->b[at + 6] = (uint8_t)(len >> 8), m->b[at + 7] = (uint8_t)len;
	while (m->n % 4)
		m->b[m->n++] = 0;
}

static void avp_os(struct dmsg *m, uint32_t code, uint32_t vendor, const void *p, size_t len)
{
	size_t at = avp_begin(m, code, vendor);
	memcpy(m->b + m->n, p, len);
	m->n += len;
	avp_end(m, at);
}

static void avp_str(struct dmsg *m, uint32_t code, const char *s)
{
	avp_os(m, code, 0, s, strlen(s));
}

static void avp_u32(struct dmsg *m, uint32_t code, uint32_t vendor, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	avp_os(m, code, vendor, b, 4);
}

static void vsai_s6a(struct dmsg *m)
{
	size_t g = avp_begin(m, 260, 0); /* Vendor-Specific-Application-Id */
	avp_u32(m, 266, 0, VENDOR_3GPP);
	avp_u32(m, 258, 0, APP_S6A);
	avp_end(m, g);
}

static void msg_end(struct dmsg *m)
{
	m->b[1] = (uint8_t)(m->n >> 16), m->b[2] = (uint8_t)(m->n >> 8), m->b[3] = (uint8_t)m->n;
}

/* The first AVP code at the top level of b (header skipped when msg), or NULL. */
static const uint8_t *avp_find(const uint8_t *b, size_t len, int msg, uint32_t code, size_t *vlen)
{
	for (size_t off = msg ? 20 : 0; off + 8 <= len;) {
		uint32_t alen = get24(b + off + 5);
		size_t hdr = (b[off + 4] & 0x80) ? 12 : 8;
		if (alen < hdr || off + alen > len)
			return NULL;
		if (get32(b + off) == code) {
			*vlen = alen - hdr;
			return b + off + hdr;
		}
		off += (alen + 3u) & ~3u;
	}
	return NULL;
}

static uint32_t result_code(const struct dmsg *m)
{
	size_t l = 0;
	const uint8_t *v = avp_find(m->b, m->n, 1, 268, &l);
	return v && l == 4 ? get32(v) : 0;
}

static uint32_t msg_cmd(const struct dmsg *m)
{
	return get32(m->b + 4) & 0xffffffu;
}

/* ---- a raw peer: TCP, optionally TLS with a certificate --------------------- */

struct raw {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	const char *id; /* our Origin-Host once the CER is sent: for the DWAs */
};

static void raw_timeout(struct raw *r, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/*
 * Connect to port; with TLS when tls, presenting <dir>/<stem>.pem/.key
 * unless stem is NULL (cert_dir overrides dir). 0, or -1 when the TCP
 * connection or the TLS handshake fails.
 */
static int raw_connect(struct raw *r, unsigned port, int tls, const char *cert_dir, const char *stem)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 2, 0 };
	char p[900];
	memset(r, 0, sizeof(*r));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!tls)
		return 0;
	(void)tv;
	r->ctx = SSL_CTX_new(TLS_client_method());
	if (!r->ctx)
		return -1;
	if (stem) {
		snprintf(p, sizeof(p), "%s/%s.pem", cert_dir ? cert_dir : dir, stem);
		if (SSL_CTX_use_certificate_chain_file(r->ctx, p) != 1)
			return -1;
		snprintf(p, sizeof(p), "%s/%s.key", cert_dir ? cert_dir : dir, stem);
		if (SSL_CTX_use_PrivateKey_file(r->ctx, p, SSL_FILETYPE_PEM) != 1)
			return -1;
	}
	r->ssl = SSL_new(r->ctx);
	if (!r->ssl || SSL_set_fd(r->ssl, r->fd) != 1 || SSL_connect(r->ssl) != 1)
		return -1;
	return 0;
}

static int raw_write(struct raw *r, const void *p, size_t n)
{
	if (r->ssl)
		return SSL_write(r->ssl, p, (int)n) == (int)n ? 0 : -1;
	return write(r->fd, p, n) == (ssize_t)n ? 0 : -1;
}

static int raw_read(struct raw *r, uint8_t *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = r->ssl ? SSL_read(r->ssl, p + got, (int)(n - got)) : read(r->fd, p + got, n - got);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static int raw_send(struct raw *r, struct dmsg *m)
{
	msg_end(m);
	return raw_write(r, m->b, m->n);
}

/* RFC 6733 5.5: a DWA to the HSS's DWR, which it sends after a reconnection (REOPEN) before it serves us. */
static void dwa(struct raw *r, const struct dmsg *dwr)
{
	struct dmsg a;
	msg_begin(&a, 0, 280, 0, get32(dwr->b + 12));
	memcpy(a.b + 16, dwr->b + 16, 4); /* End-to-End Identifier */
	avp_u32(&a, 268, 0, 2001);
	avp_str(&a, 264, r->id ? r->id : "-");
	avp_str(&a, 296, "test.lab");
	(void)raw_send(r, &a);
}


static int raw_send(struct raw *r, struct dmsg *m);
static void dwa(struct raw *r, const struct dmsg *dwr);

/* The next Diameter message but a DWR (answered), or -1 (closed, timeout, not Diameter). */
static int raw_recv(struct raw *r, struct dmsg *m)
{
	for (;;) {
		memset(m, 0, sizeof(*m));
		if (raw_read(r, m->b, 20) || m->b[0] != 1)
			return -1;
		uint32_t len = get24(m->b + 1);
		if (len < 20 || len > MSG_MAX || raw_read(r, m->b + 20, len - 20))
			return -1;
		m->n = len;
		if ((get32(m->b + 4) & 0xffffffu) != 280 || !(m->b[4] & 0x80))
			return 0;
		dwa(r, m);
	}
}

/* Answer the HSS's watchdog until it has been quiet for 400 ms: then it sees us OPEN. */
static void raw_settle(struct raw *r)
{
	struct dmsg m;
	raw_timeout(r, 400);
	while (raw_recv(r, &m) == 0)
		;
	raw_timeout(r, 2000);
}

/* Drop the connection at once: no TLS close_notify, no DPR. */
static void raw_close(struct raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void cer(struct dmsg *m, const char *origin)
{
	static const uint8_t lo[6] = { 0, 1, 127, 0, 0, 1 };
	msg_begin(m, FLAG_R, CMD_CER, 0, 1);
	avp_str(m, 264, origin);
	avp_str(m, 296, "test.lab");
	avp_os(m, 257, 0, lo, sizeof(lo));
	avp_u32(m, 266, 0, 0);
	avp_str(m, 269, "raw");
	avp_u32(m, 265, 0, VENDOR_3GPP);
	vsai_s6a(m);
}

/* CER as origin, then the CEA's Result-Code (0 when none came). */
static uint32_t raw_cer(struct raw *r, const char *origin, struct dmsg *cea)
{
	struct dmsg m;
	cer(&m, origin);
	r->id = origin;
	if (raw_send(r, &m) || raw_recv(r, cea) || msg_cmd(cea) != CMD_CER)
		return 0;
	return result_code(cea);
}

/* A connected, capabilities-exchanged peer named id with its own certificate; 0 or -1. */
static int raw_peer(struct raw *r, const char *id)
{
	struct dmsg cea;
	if (raw_connect(r, hss_port, 1, NULL, id) || raw_cer(r, id, &cea) != 2001)
		return -1;
	raw_settle(r);
	return 0;
}

/* The head of an S6a request from origin: Session-Id, VSAI, Auth-Session-State, Origin-Host/-Realm. */
static void s6a_head(struct dmsg *m, uint32_t cmd, const char *origin, uint32_t hbh)
{
	char sid[64];
	snprintf(sid, sizeof(sid), "%s;%u;raw", origin, hbh);
	msg_begin(m, FLAG_R | FLAG_P, cmd, APP_S6A, hbh);
	avp_str(m, 263, sid);
	vsai_s6a(m);
	avp_u32(m, 277, 0, 1);
	avp_str(m, 264, origin);
	avp_str(m, 296, "test.lab");
}

/*
 * AIR (TS 29.272 7.2.5) from origin for user, to Destination-Host dest unless
 * NULL, n E-UTRAN vectors (0: no Requested-EUTRAN-Authentication-Info), a
 * Visited-PLMN-Id of plmn_len octets (3 is right).
 */
static void air_build(struct dmsg *m, const char *origin, const char *dest, const char *user, uint32_t n,
		      size_t plmn_len, uint32_t hbh)
{
	static const uint8_t plmn[3] = { 0x00, 0xf1, 0x10 };
	s6a_head(m, CMD_AIR, origin, hbh);
	if (dest)
		avp_str(m, 293, dest);
	avp_str(m, 283, SK_REALM);
	avp_str(m, 1, user);
	if (n) {
		size_t g = avp_begin(m, 1408, VENDOR_3GPP);
		avp_u32(m, 1410, VENDOR_3GPP, n);
		avp_u32(m, 1412, VENDOR_3GPP, 0);
		avp_end(m, g);
	}
	avp_os(m, 1407, VENDOR_3GPP, plmn, plmn_len);
}

/* AIR for SK_IMSI from origin, n E-UTRAN vectors, to Destination-Host dest unless NULL. */
static void air(struct dmsg *m, const char *origin, const char *dest, uint32_t n, uint32_t hbh)
{
	air_build(m, origin, dest, SK_IMSI, n, 3, hbh);
}

/* ---- the daemon's side ---------------------------------------------------- */

static char *hss_log_text(void)
{
	size_t n = 0;
	return (char *)check_slurp(hss_log, &n);
}

/* How often needle is in the daemon's log. */
static int log_count(const char *needle)
{
	char *t = hss_log_text();
	int n = 0;
	for (const char *p = t; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(t);
	return n;
}

/* The first and last SQN of the last "sqn=A..B" the daemon logged, as "A..B" of the last AIR. */
static int last_sqn_range(unsigned long long *first, unsigned long long *last)
{
	char *t = hss_log_text();
	const char *p = t, *at = NULL;
	while (p && (p = strstr(p, " sqn="))) {
		at = p;
		p += 5;
	}
	int ok = at && sscanf(at, " sqn=%llu..%llu", first, last) == 2;
	free(t);
	return ok ? 0 : -1;
}

/* One AIR for SK_IMSI from SK_MME_ID: its SQN range, or -1. The proof that nothing was spent meanwhile. */
static int legit_air(unsigned long long *first, unsigned long long *last)
{
	struct raw r;
	struct dmsg m, a;
	int rc = -1;
	if (!raw_peer(&r, SK_MME_ID)) {
		air(&m, SK_MME_ID, NULL, 1, 7000);
		if (!raw_send(&r, &m) && !raw_recv(&r, &a) && result_code(&a) == 2001) {
			du_nap_ms(100); /* the log line is written before the answer leaves; let it land */
			rc = last_sqn_range(first, last);
		}
	}
	raw_close(&r);
	return rc;
}

/* ---- the attacks ---------------------------------------------------------- */

/* Every application id a CEA advertises, top level and in Vendor-Specific-Application-Id. */
static size_t cea_apps(const struct dmsg *m, uint32_t *out, size_t cap)
{
	size_t n = 0;
	for (size_t off = 20; off + 8 <= m->n && n < cap;) {
		uint32_t code = get32(m->b + off), alen = get24(m->b + off + 5);
		size_t hdr = (m->b[off + 4] & 0x80) ? 12 : 8, l = 0;
		if (alen < hdr || off + alen > m->n)
			break;
		if ((code == 258 || code == 259) && alen - hdr == 4)
			out[n++] = get32(m->b + off + hdr);
		if (code == 260) {
			const uint8_t *v = avp_find(m->b + off + hdr, alen - hdr, 0, 258, &l);
			if (!v)
				v = avp_find(m->b + off + hdr, alen - hdr, 0, 259, &l);
			if (v && l == 4)
				out[n++] = get32(v);
		}
		off += (alen + 3u) & ~3u;
	}
	return n;
}

/* The CEA says S6a and nothing else: no relay (0xffffffff), no other application. */
static void cea_advertises_s6a_only(void)
{
	struct raw r;
	struct dmsg cea;
	uint32_t apps[16];
	CHECK(raw_connect(&r, hss_port, 1, NULL, SK_MME_ID) == 0);
	CHECK_INT(raw_cer(&r, SK_MME_ID, &cea), 2001);
	size_t n = cea_apps(&cea, apps, 16);
	CHECK_MSG(n >= 1, "the CEA advertises no application");
	for (size_t i = 0; i < n; i++)
		CHECK_MSG(apps[i] == APP_S6A, "the CEA advertises application %u", apps[i]);
	raw_close(&r);
}

/* A request for an application the HSS does not serve: 3007 DIAMETER_APPLICATION_UNSUPPORTED, nothing else. */
static void other_application_gets_3007(void)
{
	struct raw r;
	struct dmsg m, a;
	int airs = log_count(" air imsi=");
	CHECK(raw_peer(&r, SK_MME_ID) == 0);
	msg_begin(&m, FLAG_R | FLAG_P, CMD_CCR, 4, 7100);
	avp_str(&m, 263, SK_MME_ID ";7100;ccr");
	avp_str(&m, 264, SK_MME_ID);
	avp_str(&m, 296, "test.lab");
	avp_str(&m, 283, SK_REALM);
	avp_u32(&m, 258, 0, 4);
	avp_str(&m, 461, "32251@3gpp.org"); /* Service-Context-Id */
	avp_u32(&m, 416, 0, 1);               /* CC-Request-Type INITIAL */
	avp_u32(&m, 415, 0, 0);               /* CC-Request-Number */
	CHECK(raw_send(&r, &m) == 0);
	CHECK(raw_recv(&r, &a) == 0);
	CHECK_INT(msg_cmd(&a), CMD_CCR);
	CHECK_MSG(a.b[4] & FLAG_E, "the answer to another application has no E bit");
	CHECK_INT(result_code(&a), 3007);
	CHECK_INT(log_count(" air imsi="), airs);
	raw_close(&r);
}

/*
 * Issue 20, RFC 6733 7.5: a 5004 answer carries the refused AVP in Failed-AVP
 * (its value as sent), a 5005 answer an example of the missing one. The raw
 * bytes are read here, as any peer would read them.
 */
static void failed_avp_names_the_refused_avp(void)
{
	static const struct {
		const char *user;
		size_t plmn_len;
		int with_req;
		uint32_t code, failed;
		const char *value; /* NULL: not compared (a grouped example) */
		size_t value_len;
	} cases[] = {
		{ "12ab", 3, 1, 5004, 1, "12ab", 4 },                          /* User-Name not an IMSI */
		{ SK_IMSI, 2, 1, 5004, 1407, "\x00\xf1", 2 },                  /* Visited-PLMN-Id of 2 octets */
		{ SK_IMSI, 3, 0, 5005, 1408, NULL, 0 },                         /* no requested vectors at all */
	};
	struct raw r;
	struct dmsg m, a;
	int airs = log_count(" air imsi=");
	CHECK(raw_peer(&r, SK_MME_ID) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t fl = 0, vl = 0;
		air_build(&m, SK_MME_ID, NULL, cases[i].user, cases[i].with_req ? 1 : 0, cases[i].plmn_len,
			  7400 + (uint32_t)i);
		CHECK(raw_send(&r, &m) == 0);
		CHECK(raw_recv(&r, &a) == 0);
		CHECK_INT(msg_cmd(&a), CMD_AIR);
		CHECK_INT(result_code(&a), cases[i].code);
		const uint8_t *fa = avp_find(a.b, a.n, 1, 279, &fl);
		CHECK_MSG(fa != NULL, "case %zu: no Failed-AVP in the %u answer", i, cases[i].code);
		const uint8_t *v = fa ? avp_find(fa, fl, 0, cases[i].failed, &vl) : NULL;
		CHECK_MSG(v != NULL, "case %zu: Failed-AVP does not hold AVP %u", i, cases[i].failed);
		if (v && cases[i].value)
			CHECK(vl == cases[i].value_len && !memcmp(v, cases[i].value, vl));
		CHECK(avp_find(a.b, a.n, 1, 1413, &vl) == NULL); /* no Authentication-Info */
	}
	CHECK_INT(log_count(" air imsi="), airs); /* no vector made */
	raw_close(&r);
}

/* An AIR from one MME addressed to another MME the HSS serves is answered with an error, never forwarded. */
static void air_for_another_host_is_not_relayed(void)
{
	struct raw r1, r2;
	struct dmsg m, a;
	int airs = log_count(" air imsi=");
	CHECK(raw_peer(&r2, SK_MME2_ID) == 0);
	CHECK(raw_peer(&r1, SK_MME_ID) == 0);
	air(&m, SK_MME_ID, SK_MME2_ID, 1, 7200);
	CHECK(raw_send(&r1, &m) == 0);
	CHECK(raw_recv(&r1, &a) == 0);
	CHECK_INT(msg_cmd(&a), CMD_AIR);
	CHECK_MSG(a.b[4] & FLAG_E, "an AIR for another host got no error answer");
	/* NoRelay: freeDiameter answers DIAMETER_UNABLE_TO_DELIVER ("Message for another realm/host") */
	CHECK_INT(result_code(&a), 3002);
	size_t l = 0;
	CHECK(avp_find(a.b, a.n, 1, 1413, &l) == NULL); /* no Authentication-Info */
	/* the other MME receives nothing (2 s), and the HSS made no vector */
	CHECK_MSG(raw_recv(&r2, &m) != 0, "the HSS forwarded command %u to " SK_MME2_ID, msg_cmd(&m));
	CHECK_INT(log_count(" air imsi="), airs);
	raw_close(&r1);
	raw_close(&r2);
}

/* ULR (TS 29.272 7.2.3) or PUR (7.2.13) for SK_IMSI, Origin-Host origin: the AVPs both need, and the ULR's. */
static void ulr_pur(struct dmsg *m, uint32_t cmd, const char *origin, uint32_t hbh)
{
	static const uint8_t plmn[3] = { 0x00, 0xf1, 0x10 };
	s6a_head(m, cmd, origin, hbh);
	avp_str(m, 283, SK_REALM);
	avp_str(m, 1, SK_IMSI);
	if (cmd == CMD_ULR) {
		avp_u32(m, 1032, VENDOR_3GPP, 1004); /* RAT-Type EUTRAN */
		avp_u32(m, 1405, VENDOR_3GPP, 0x2);  /* ULR-Flags: S6a/S6d-Indicator */
		avp_os(m, 1407, VENDOR_3GPP, plmn, sizeof(plmn));
	}
}

/* Send m over r; the answer's Result-Code (0 when none, or not an answer to cmd). */
static uint32_t exchange(struct raw *r, struct dmsg *m, uint32_t cmd)
{
	struct dmsg a;
	size_t l = 0;
	if (raw_send(r, m) || raw_recv(r, &a) || msg_cmd(&a) != cmd)
		return 0;
	CHECK(avp_find(a.b, a.n, 1, 1413, &l) == NULL); /* never Authentication-Info */
	return result_code(&a);
}

/*
 * Issue 11 (peer identity): a listed MME that names another MME, or a host
 * nobody listed, as the Origin-Host of its PUR, AIR or ULR is refused 5003:
 * the other MME keeps its registration, no IND row is added, no SQN spent
 * (every row compared; main() checks the next genuine AIR's SQN).
 */
static void origin_host_of_another_mme_refused(void)
{
	struct raw r1, r2;
	struct dmsg m;
	const char *dbs[] = { db };
	int airs = log_count(" air imsi="), refused = log_count("result=refused code=5003");
	CHECK(raw_peer(&r2, SK_MME2_ID) == 0);
	ulr_pur(&m, CMD_ULR, SK_MME2_ID, 7600);
	CHECK_INT(exchange(&r2, &m, CMD_ULR), 2001); /* SK_MME2_ID now serves SK_IMSI */
	raw_close(&r2);
	du_nap_ms(100);
	char *before = rk_snapshot(dbs, 1, NULL, 0);
	CHECK_MSG(before && strstr(before, SK_MME2_ID), "no row names " SK_MME2_ID ": the setup is broken");
	CHECK(raw_peer(&r1, SK_MME_ID) == 0);
	ulr_pur(&m, CMD_PUR, SK_MME2_ID, 7601);
	CHECK_INT(exchange(&r1, &m, CMD_PUR), 5003);
	air(&m, SK_MME2_ID, NULL, 1, 7602);
	CHECK_INT(exchange(&r1, &m, CMD_AIR), 5003);
	ulr_pur(&m, CMD_ULR, SK_MME2_ID, 7603);
	CHECK_INT(exchange(&r1, &m, CMD_ULR), 5003);
	air(&m, "invented.test.lab", NULL, 1, 7604);
	CHECK_INT(exchange(&r1, &m, CMD_AIR), 5003);
	raw_close(&r1);
	du_nap_ms(100);
	rk_check_unchanged(before, rk_snapshot(dbs, 1, NULL, 0), "a request under another MME's Origin-Host");
	CHECK_INT(log_count(" air imsi="), airs);
	CHECK_INT(log_count("result=refused code=5003"), refused + 4);
}

/* After a refused CER, an AIR on the same connection gets no answer. */
static void nothing_served(struct raw *r, const char *origin)
{
	struct dmsg m, a;
	air(&m, origin, NULL, 1, 7300);
	if (raw_send(r, &m) == 0 && raw_recv(r, &a) == 0)
		CHECK_MSG(msg_cmd(&a) != CMD_AIR || result_code(&a) != 2001, "a refused peer got an AIA");
}

/* A peer whose certificate (from the right CA) names another identity than its CER claims. */
static void impostor_certificate_refused(void)
{
	struct raw r;
	struct dmsg cea;
	int refused = log_count("diameter-peer-refused peer=" SK_MME_ID);
	CHECK(raw_connect(&r, hss_port, 1, NULL, SK_OTHER_ID) == 0);
	uint32_t rc = raw_cer(&r, SK_MME_ID, &cea);
	CHECK_MSG(rc != 2001, "an impostor of " SK_MME_ID " was accepted");
	nothing_served(&r, SK_MME_ID);
	raw_close(&r);
	du_nap_ms(200);
	CHECK_MSG(log_count("diameter-peer-refused peer=" SK_MME_ID " reason=\"the TLS certificate is not this "
			    "identity's\"") == refused + 1,
		  "no refusal logged for the impostor");
}

/* A peer with a good certificate for an identity the HSS does not serve. */
static void unlisted_peer_refused(void)
{
	struct raw r;
	struct dmsg cea;
	CHECK(raw_connect(&r, hss_port, 1, NULL, SK_OTHER_ID) == 0);
	CHECK_MSG(raw_cer(&r, SK_OTHER_ID, &cea) != 2001, "an unlisted peer was accepted");
	nothing_served(&r, SK_OTHER_ID);
	raw_close(&r);
}

/* The right name from a CA the HSS does not trust: the handshake fails. */
static void foreign_ca_refused(void)
{
	char other[700];
	struct raw r;
	struct dmsg cea;
	snprintf(other, sizeof(other), "%s/foreign", dir);
	CHECK(mkdir(other, 0700) == 0);
	struct om_ca *ca = pf_make_ca(other, "foreign CA", "ca.pem");
	CHECK(ca != NULL && pf_issue_tls(ca, other, SK_MME_ID, SK_MME_ID) == 0);
	om_ca_free(ca);
	int up = raw_connect(&r, hss_port, 1, other, SK_MME_ID) == 0;
	CHECK_MSG(!up || raw_cer(&r, SK_MME_ID, &cea) != 2001, "a certificate of a foreign CA was accepted");
	if (up)
		nothing_served(&r, SK_MME_ID);
	raw_close(&r);
}

/* TLS without a client certificate, and a CER in clear TCP: neither gets a CEA. */
static void no_certificate_and_clear_tcp_refused(void)
{
	struct raw r;
	struct dmsg cea;
	int up = raw_connect(&r, hss_port, 1, NULL, NULL) == 0;
	CHECK_MSG(!up || raw_cer(&r, SK_MME_ID, &cea) != 2001, "a peer without a certificate was accepted");
	raw_close(&r);
	CHECK(raw_connect(&r, hss_port, 0, NULL, NULL) == 0);
	CHECK_MSG(raw_cer(&r, SK_MME_ID, &cea) == 0, "a clear-text CER got a CEA");
	raw_close(&r);
}

/* 1 when the file holds a run of more than 15 hex digits: the shape of a RAND, XRES, AUTN or KASME in text. */
static int has_hex_run(const char *path, char *where, size_t cap)
{
	size_t n = 0, run = 0;
	unsigned char *b = check_slurp(path, &n);
	int hit = 0;
	for (size_t i = 0; b && i < n && !hit; i++) {
		int x = (b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f') || (b[i] >= 'A' && b[i] <= 'F');
		int sep = (b[i] == ' ' || b[i] == ':') && run;
		run = x ? run + 1 : sep ? run : 0;
		if (run > 15) {
			hit = 1;
			snprintf(where, cap, "%s @%zu", path, i);
		}
	}
	free(b);
	return hit;
}

/* Every regular file under path (recursively) that the daemon wrote; count checked, hits reported. */
static void scan_tree(const char *path, int *files)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char where[1200];
	while (d && (e = readdir(d))) {
		char p[1000];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_tree(p, files);
		} else if (S_ISREG(st.st_mode)) {
			(*files)++;
			CHECK_MSG(!has_hex_run(p, where, sizeof(where)), "hex that may be a vector in %s", where);
		}
	}
	if (d)
		closedir(d);
}

/*
 * The MME goes away between its AIR and the AIA, five times: the daemon
 * either drops the request before making a vector (its peer is no longer
 * OPEN) or makes one and cannot send it; either way, no vector reaches a
 * file it wrote (freeDiameter's "message discarded" dump included).
 */
static void undeliverable_answer_leaves_no_vector(void)
{
	int files = 0;
	int before = log_count("result=dropped") + log_count("diameter-dropped");
	for (int i = 0; i < 5; i++) {
		struct raw r;
		struct dmsg m;
		if (raw_peer(&r, SK_MME_ID)) {
			CHECK_MSG(0, "try %d: no connection", i);
			raw_close(&r);
			continue;
		}
		air(&m, SK_MME_ID, NULL, 5, 7400 + (uint32_t)i);
		CHECK(raw_send(&r, &m) == 0);
		raw_close(&r);
	}
	du_nap_ms(1500);
	int after = log_count("result=dropped") + log_count("diameter-dropped");
	CHECK_MSG(after > before, "no request was dropped: the test did not make an answer undeliverable");
	/* what the daemon wrote: its log, its run_dir (freeDiameter.conf), its database */
	CHECK_MSG(!has_hex_run(hss_log, (char[1200]){ 0 }, 1200), "hex that may be a vector in the log");
	char run[700];
	snprintf(run, sizeof(run), "%s/run", dir);
	scan_tree(run, &files);
	CHECK(files >= 1);
}

/* ---- the MME side: an "HSS" whose certificate names someone else ---------- */

struct fake_hss {
	int lfd;
	unsigned port;
	int handshakes, cers; /* TLS handshakes completed, Diameter bytes received */
};

static void *fake_hss_run(void *arg)
{
	struct fake_hss *f = arg;
	char p[700], k[700];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	snprintf(p, sizeof(p), "%s/" SK_OTHER_ID ".pem", dir);
	snprintf(k, sizeof(k), "%s/" SK_OTHER_ID ".key", dir);
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, p) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	for (int i = 0; i < 3; i++) { /* freeDiameter retries every TcTimer */
		int c = accept(f->lfd, NULL, NULL);
		if (c < 0)
			break;
		struct timeval tv = { 2, 0 };
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		SSL *s = SSL_new(ctx);
		uint8_t b[64];
		if (s && SSL_set_fd(s, c) == 1 && SSL_accept(s) == 1) {
			f->handshakes++;
			if (SSL_read(s, b, sizeof(b)) > 0)
				f->cers++;
		}
		SSL_free(s);
		close(c);
	}
	SSL_CTX_free(ctx);
	return NULL;
}

static void mme_refuses_an_hss_with_another_identity(void)
{
	char conf[700], cert[700], key[700], ca[700];
	struct fake_hss f = { .lfd = -1 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	pthread_t th;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f.lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(f.lfd >= 0 && bind(f.lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(f.lfd, 4) == 0 &&
	      getsockname(f.lfd, (struct sockaddr *)&a, &al) == 0);
	struct timeval tv = { 5, 0 };
	setsockopt(f.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	f.port = ntohs(a.sin_port);
	CHECK(pthread_create(&th, NULL, fake_hss_run, &f) == 0);

	/* this process is SK_MME_ID; it connects to the real HSS and to "hss2.test.lab" at the fake */
	snprintf(conf, sizeof(conf), "%s/mme-fd.conf", dir);
	snprintf(cert, sizeof(cert), "%s/" SK_MME_ID ".pem", dir);
	snprintf(key, sizeof(key), "%s/" SK_MME_ID ".key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	const struct om_s6a_fdconf fc = { .identity = SK_MME_ID, .realm = "test.lab", .listen = "127.0.0.1",
					  .dict_dir = du_fd_ext_dir(), .tls_cert = cert, .tls_key = key, .tls_ca = ca };
	FILE *fp = fopen(conf, "w");
	CHECK(fp && om_s6a_conf_write(fp, &fc) == 0);
	if (fp) {
		om_s6a_conf_peer(fp, SK_HSS_ID, "127.0.0.1", hss_port, 0);
		om_s6a_conf_peer(fp, "hss2.test.lab", "127.0.0.1", f.port, 0);
		fclose(fp);
	}
	char err[256] = "";
	int started = om_s6a_start(conf, err, sizeof(err));
	CHECK_MSG(started == 0, "%s", err);
	if (!started) {
		/* the same MME reaches the real HSS: the configuration works */
		CHECK_MSG(om_s6a_wait_peer(SK_HSS_ID, 15000) == 0, "the MME never reached the real HSS");
		CHECK_MSG(om_s6a_wait_peer("hss2.test.lab", 3000) != 0, "the MME accepted an HSS named " SK_OTHER_ID);
	}
	shutdown(f.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(f.lfd);
	CHECK_MSG(f.cers == 0, "the MME sent %d CER to an HSS with another identity's certificate", f.cers);
	if (!started)
		om_s6a_stop();
}

/* ---- shutdown on a loaded machine ---------------------------------------- */

/* openmcim-hss at nice 19 (its threads inherit it), stderr into log. */
static pid_t spawn_niced(const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = fopen(log, "w");
		if (f)
			dup2(fileno(f), 2);
		if (setpriority(PRIO_PROCESS, 0, 19))
			_exit(126);
		execl(hss_bin, hss_bin, "-c", hss_conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * SIGTERM while busy processes (nice 10) hold the CPUs and the daemon runs
 * at nice 19: a woken thread then waits well over 20 ms for a CPU.
 * freeDiameter's teardown aborted in fd_fifo_del() ("++loops < 20") in that
 * case (the lab_crash_test abort; with the teardown put back, 4 rounds of
 * 24 over three runs aborted here). The daemon no longer runs it
 * (om_s6a_stop), so every round ends with exit 0 and "stopped".
 */
static void shutdown_under_load_exits_cleanly(void)
{
	enum { ROUNDS = 8, HOGS = 4 };
	char log[700];
	snprintf(log, sizeof(log), "%s/shutdown.log", dir);
	for (int round = 0; round < ROUNDS; round++) {
		unlink(log); /* the last round's " started " must not count */
		pid_t hogs[HOGS], pid = spawn_niced(log);
		char *t = du_wait_log(log, " started ", 20000);
		CHECK_MSG(pid > 0 && t, "round %d: openmcim-hss did not start", round);
		free(t);
		if (!t) {
			du_stop_daemon(pid, SIGKILL);
			continue;
		}
		for (int i = 0; i < HOGS; i++)
			if ((hogs[i] = fork()) == 0) {
				/* nice 10: starves the nice-19 daemon, hardly the other tests of a parallel run */
				if (setpriority(PRIO_PROCESS, 0, 10))
					_exit(1);
				for (;;)
					;
			}
		du_nap_ms(100);
		kill(pid, SIGTERM);
		/* the teardown ran within the first moments after SIGTERM; the rest of the stop needs no load */
		du_nap_ms(400);
		for (int i = 0; i < HOGS; i++)
			if (hogs[i] > 0)
				du_stop_daemon(hogs[i], SIGKILL);
		int st = -1;
		waitpid(pid, &st, 0);
		t = du_wait_log(log, " stopped ", 0);
		CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0 && t,
			  "round %d: status 0x%x%s (a freeDiameter teardown assertion?)", round, st,
			  t ? "" : ", no 'stopped' line");
		free(t);
	}
}

int main(void)
{
	unsigned long long a0 = 0, a1 = 0, b0 = 0, b1 = 0;
	signal(SIGPIPE, SIG_IGN);
	hss_port = du_free_port();
	CHECK(mkdtemp(dir) != NULL && hss_port);
	if (sk_files(dir, hss_bin, hss_conf, hss_log, db) || sk_provision(db) || sk_make_pki(dir))
		goto out;
	sk_hss_conf(dir, hss_conf, db, hss_port, NULL);
	hss_pid = du_spawn_daemon(hss_bin, hss_conf, hss_log, 1);
	CHECK(hss_pid > 0);
	char *up = du_wait_log(hss_log, " started ", 15000);
	CHECK_MSG(up != NULL, "openmcim-hss did not start");
	free(up);

	CHECK_MSG(legit_air(&a0, &a1) == 0, "a legitimate MME got no vector: the setup is broken");
	cea_advertises_s6a_only();
	other_application_gets_3007();
	failed_avp_names_the_refused_avp();
	air_for_another_host_is_not_relayed();
	origin_host_of_another_mme_refused();
	impostor_certificate_refused();
	unlisted_peer_refused();
	foreign_ca_refused();
	no_certificate_and_clear_tcp_refused();
	/* none of the above spent an SQN: the next AIR's SQN follows the first one's (TS 33.102 C.3.2, IND step 32) */
	CHECK_MSG(legit_air(&b0, &b1) == 0, "the legitimate MME lost its service");
	CHECK_MSG(b0 == a1 + 32, "SQN %llu..%llu after the attacks, %llu..%llu before", b0, b1, a0, a1);
	undeliverable_answer_leaves_no_vector();
	mme_refuses_an_hss_with_another_identity();

	int st = du_term_wait(hss_pid, 10000);
	hss_pid = -1;
	CHECK_MSG(st == 0, "openmcim-hss exit status %d", st);
	CHECK_MSG(!has_hex_run(hss_log, (char[1200]){ 0 }, 1200), "hex that may be a vector in the final log");
	shutdown_under_load_exits_cleanly();
out:
	if (hss_pid > 0)
		du_stop_daemon(hss_pid, SIGKILL);
	if (check_failures())
		t_tail_log(hss_log, 40);
	if (getenv("OM_KEEP_TMP"))
		fprintf(stderr, "kept %s\n", dir);
	else
		du_rm_rf(dir);
	om_s6a_exit(check_done());
}
