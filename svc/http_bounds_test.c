/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server's bounds (http_server.h "Bounds", issue 14), each tried
 * by an attacker from 127.0.0.2 while a genuine client from 127.0.0.1 is
 * served within its normal time: a connection flood (per-source cap; the
 * oldest silent connection makes room, never an answered one), a
 * slow drip, a silent connection and an idle kept-alive link (deadlines),
 * huge headers (refused, memory back near its baseline once they close),
 * a slow handler on a worker that released the handler lock (others still
 * served, a full queue gets 503),
 * and a TLS 1.2 CBC-SHA1 suite (refused by the server, and by our clients
 * when a server offers nothing else; AEAD only). The per-source cap counts
 * an IPv6 source by its /64 (source_groups: loopback has one IPv6 address,
 * so the grouping the cap uses is tried on its own).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"
#include "flood.h"
#include "http_server.h"
#include "pki_fixture.h"
#include "reason.h"
#include "source_group.h"
#include "tls_policy.h"

#define NORMAL_MS 300 /* a genuine answer on loopback takes a few ms; this leaves room for a loaded machine */
#define ATTACKER "127.0.0.2"
#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed memory in its quarantine and malloc_trim does not reach it: there only growth is bounded */
#define RSS_SLACK_KIB 16384
#else
#define RSS_SLACK_KIB 4096
#endif

static char dir[] = "/tmp/om_http_bounds_XXXXXX";

static void hello(struct om_http_req *r, void *arg)
{
	(void)arg;
	om_http_reply(r, 200, "text/plain", "hello\n", 6);
}

static void slow(struct om_http_req *r, void *arg)
{
	(void)arg;
	om_http_release(r); /* waiting on something else: other handlers run meanwhile */
	du_nap_ms(1500);
	om_http_reacquire(r);
	om_http_reply(r, 200, "text/plain", "slow\n", 5);
}

/* One GET from 127.0.0.1; its status (0 when none) and how long it took in *ms. */
static int genuine(unsigned port, const char *path, int64_t *ms)
{
	char req[128], ans[512] = "";
	int64_t t0 = fl_now_ms();
	int fd = fl_connect("127.0.0.1", port), status = 0;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	if (fd >= 0 && fl_send(fd, req, strlen(req)) == 0) {
		size_t got = 0;
		ssize_t n;
		while (got < sizeof(ans) - 1 && (n = read(fd, ans + got, sizeof(ans) - 1 - got)) > 0)
			got += (size_t)n;
		ans[got] = '\0';
		if (sscanf(ans, "HTTP/1.1 %d", &status) != 1)
			status = 0;
	}
	if (fd >= 0)
		close(fd);
	*ms = fl_now_ms() - t0;
	return status;
}

static struct om_http_server *serve(const struct om_http_limits *l, const struct om_http_tls *tls)
{
	struct om_http_opts o = { .limits = *l, .tls = tls };
	struct om_http_server *s = NULL;
	char err[256] = "";
	CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
	if (!s)
		return NULL;
	CHECK_INT(om_http_route(s, "GET", "/hello", hello, NULL), 0);
	CHECK_INT(om_http_route(s, "GET", "/slow", slow, NULL), 0);
	CHECK_INT(om_http_server_start(s), 0);
	return s;
}

#define CHECK_GENUINE(port)                                                                                    \
	do {                                                                                                   \
		int64_t ms_;                                                                                   \
		CHECK_INT(genuine((port), "/hello", &ms_), 200);                                               \
		CHECK_MSG(ms_ < NORMAL_MS, "genuine client waited %lld ms", (long long)ms_);                 \
	} while (0)

/* 200 silent connections from one address: each past the 8th closes that address's oldest silent one; the genuine client is served. */
static void connection_flood(void)
{
	struct om_http_limits l = { .max_conns_per_source = 8, .max_conns = 64 };
	struct om_http_server *s = serve(&l, NULL);
	if (!s)
		return;
	unsigned port = om_http_server_port(s);
	int fds[200], closed = 0;
	for (int i = 0; i < 200; i++)
		fds[i] = fl_connect(ATTACKER, port);
	CHECK_GENUINE(port);
	for (int i = 0; i < 200; i++)
		closed += fds[i] < 0 || fl_closed_within(fds[i], i >= 192 ? 300 : 20);
	CHECK_MSG(closed == 192, "closed %d of the 192 oldest (the newest 8 kept)", closed);
	CHECK_MSG(om_http_server_conns(s) <= 8, "conns %u", om_http_server_conns(s));
	CHECK_GENUINE(port);
	/* the cap is per source: the genuine client's connections are not counted with the attacker's */
	for (int i = 0; i < 200; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	du_nap_ms(100);
	CHECK_INT(om_http_server_conns(s), 0);
	om_http_server_free(s);
}

/* One request on a kept-alive link fd: its status (0 when none). */
static int ask(int fd)
{
	static const char one[] = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
	char ans[512] = "";
	size_t got = 0;
	ssize_t n;
	int status = 0;
	if (fl_send(fd, one, strlen(one)) < 0)
		return 0;
	while (got < sizeof(ans) - 1 && !strstr(ans, "hello\n") && (n = read(fd, ans + got, sizeof(ans) - 1 - got)) > 0)
		ans[got += (size_t)n] = '\0';
	return sscanf(ans, "HTTP/1.1 %d", &status) == 1 ? status : 0;
}

/*
 * Issue 14 finding 5: the DPF's devices all come from the VNO's proxy, so
 * max_conns_per_source is max_conns there. Silent connections from that one
 * address (reopened as they are closed) take the oldest silent place, never
 * a kept-alive link that was answered; a new genuine client is served.
 * When every place is a served link, the new connection is the one refused.
 */
static void silent_flood_evicted(void)
{
	struct om_http_limits l = { .max_conns_per_source = 16, .max_conns = 16 };
	struct om_http_server *s = serve(&l, NULL);
	if (!s)
		return;
	unsigned port = om_http_server_port(s);
	int kept = fl_connect("127.0.0.1", port), fds[3][16];
	CHECK_INT(ask(kept), 200);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 16; i++)
			fds[round][i] = fl_connect("127.0.0.1", port); /* the proxy's address, like the devices */
		du_nap_ms(100);
		CHECK_MSG(om_http_server_conns(s) <= 16, "conns %u", om_http_server_conns(s));
		CHECK_GENUINE(port);
		CHECK_INT(ask(kept), 200); /* the answered link kept its place */
	}
	int open_ = 0;
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 16; i++)
			open_ += fds[round][i] >= 0 && !fl_closed_within(fds[round][i], 1);
	CHECK_MSG(open_ <= 15, "%d silent connections open beside the kept-alive link", open_);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 16; i++)
			if (fds[round][i] >= 0)
				close(fds[round][i]);
	close(kept);
	du_nap_ms(100);
	/* every place an answered link: the newcomer is refused, the links keep working */
	int links[16], over;
	for (int i = 0; i < 16; i++) {
		links[i] = fl_connect("127.0.0.1", port);
		CHECK_INT(ask(links[i]), 200);
	}
	over = fl_connect("127.0.0.1", port);
	CHECK_MSG(fl_closed_within(over, 300), "a 17th connection kept while every place was an answered link");
	for (int i = 0; i < 16; i++) {
		CHECK_INT(ask(links[i]), 200);
		close(links[i]);
	}
	close(over);
	om_http_server_free(s);
}

/* A slow drip, a silent connection and an idle kept-alive link are closed at their deadlines. */
static void slow_clients(void)
{
	struct om_http_limits l = { .first_byte_ms = 500, .request_ms = 800, .idle_ms = 600 };
	struct om_http_server *s = serve(&l, NULL);
	if (!s)
		return;
	unsigned port = om_http_server_port(s);
	static const char drip[] = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int d = fl_connect(ATTACKER, port), q = fl_connect(ATTACKER, port), k = fl_connect(ATTACKER, port);
	CHECK(d >= 0 && q >= 0 && k >= 0);
	static const char one[] = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
	CHECK_INT(fl_send(k, one, strlen(one)), 0);
	int64_t t0 = fl_now_ms(), drip_closed = -1;
	/* a byte every 100 ms: each resets an inactivity timer, never the request deadline */
	for (size_t i = 0; i < sizeof(drip) - 1 && drip_closed < 0; i++) {
		if (fl_send(d, drip + i, 1) < 0 || fl_closed_within(d, 100))
			drip_closed = fl_now_ms() - t0;
		if (i == 3)
			CHECK_GENUINE(port);
	}
	CHECK_MSG(drip_closed >= 700 && drip_closed < 1500, "drip closed after %lld ms (request_timeout 800)",
		  (long long)drip_closed);
	CHECK_MSG(fl_closed_within(q, 100), "silent connection still open after first_byte_timeout");
	/* the kept-alive link got its answer, then was closed after idle_timeout */
	CHECK_MSG(fl_closed_within(k, 1000), "idle kept-alive link still open");
	CHECK_GENUINE(port);
	close(d);
	close(q);
	close(k);
	om_http_server_free(s);
}

/* Headers above max_headers are refused; 100 connections sending them leave no memory behind. */
static void huge_headers(void)
{
	struct om_http_limits l = { .max_headers = 8192, .max_conns_per_source = 200, .max_conns = 400 };
	struct om_http_server *s = serve(&l, NULL);
	if (!s)
		return;
	unsigned port = om_http_server_port(s);
	size_t big = 256 * 1024;
	char *hdr = malloc(big);
	if (!hdr)
		return;
	memset(hdr, 'a', big);
	memcpy(hdr, "GET /hello HTTP/1.1\r\nX-Big: ", 28);
	CHECK_GENUINE(port);
	long base = fl_rss_kib(0), peak = 0;
	for (int round = 0; round < 3; round++) {
		int fds[100], refused = 0;
		for (int i = 0; i < 100; i++) {
			fds[i] = fl_connect(ATTACKER, port);
			(void)fl_send(fds[i], hdr, big); /* the server closes once the limit is passed */
		}
		CHECK_GENUINE(port);
		for (int i = 0; i < 100; i++) {
			refused += fl_closed_within(fds[i], 2000);
			close(fds[i]);
		}
		CHECK_MSG(refused == 100, "round %d: %d of 100 huge-header connections closed", round, refused);
		long now = fl_rss_kib(0);
		peak = now > peak ? now : peak;
	}
	du_nap_ms(300);
	long after = fl_rss_kib(0);
	/* 100 x 256 KiB sent per round: without the bound the server kept ~25 MiB a round */
	CHECK_MSG(after - base < RSS_SLACK_KIB, "RSS %ld KiB before, %ld KiB after (peak %ld)", base, after, peak);
	printf("huge headers: RSS %ld KiB before, peak %ld, %ld after the connections closed\n", base, peak, after);
	CHECK_INT(om_http_server_conns(s), 0);
	CHECK_GENUINE(port);
	free(hdr);
	om_http_server_free(s);
}

/* A slow handler on a worker leaves the others served; beyond queue_max the answer is 503. */
static void workers_and_queue(void)
{
	struct om_http_limits l = { .workers = 2, .queue_max = 1 };
	struct om_http_server *s = serve(&l, NULL);
	if (!s)
		return;
	unsigned port = om_http_server_port(s);
	static const char get_slow[] = "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	int a = fl_connect(ATTACKER, port);
	CHECK_INT(fl_send(a, get_slow, strlen(get_slow)), 0);
	du_nap_ms(100);
	CHECK_GENUINE(port); /* the second worker */
	int b = fl_connect(ATTACKER, port), c = fl_connect(ATTACKER, port), d = fl_connect(ATTACKER, port);
	CHECK_INT(fl_send(b, get_slow, strlen(get_slow)), 0); /* the second worker */
	du_nap_ms(100);
	CHECK_INT(fl_send(c, get_slow, strlen(get_slow)), 0); /* queued */
	du_nap_ms(100);
	CHECK_INT(fl_send(d, get_slow, strlen(get_slow)), 0); /* over queue_max */
	char ans[64] = "";
	ssize_t n = read(d, ans, sizeof(ans) - 1);
	ans[n > 0 ? n : 0] = '\0';
	CHECK_MSG(!strncmp(ans, "HTTP/1.1 503", 12), "over the queue: %s", ans);
	n = read(a, ans, sizeof(ans) - 1);
	ans[n > 0 ? n : 0] = '\0';
	CHECK_MSG(!strncmp(ans, "HTTP/1.1 200", 12), "slow handler: %s", ans);
	close(a);
	close(b);
	close(c);
	close(d);
	om_http_server_free(s); /* with a request still on a worker */
}

/* curl with --tls-max 1.2 and the given suites: its exit status (0: handshake done, 35: refused). */
static int curl_suite(unsigned port, const char *ca, const char *suites)
{
	char url[96], resolve[64], out[64];
	snprintf(url, sizeof(url), "https://srv.lab:%u/hello", port);
	snprintf(resolve, sizeof(resolve), "srv.lab:%u:127.0.0.1", port);
	const char *argv[] = { "curl", "-s", "-o", "/dev/null", "--max-time", "5", "--cacert", ca, "--resolve",
			       resolve, "--tls-max", "1.2", "--ciphers", suites, url, NULL };
	return du_run_quiet(argv, 0, out, sizeof(out));
}

/* `openssl s_server` on port with only these TLS 1.2 suites; its pid. */
static pid_t s_server(unsigned port, const char *cert, const char *key, const char *suites)
{
	char acc[16];
	snprintf(acc, sizeof(acc), "%u", port);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("openssl", "openssl", "s_server", "-accept", acc, "-cert", cert, "-key", key, "-tls1_2",
		       "-cipher", suites, "-www", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) { /* listening? */
		int fd = fl_connect(NULL, port);
		if (fd >= 0) {
			close(fd);
			break;
		}
		du_nap_ms(50);
	}
	return pid;
}

static size_t discard(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

/* Our clients' policy (om_tls_policy_curl, as every libcurl client sets it) against a server: curl's code. */
static int client_against(unsigned port, const char *ca)
{
	char url[96], resolve[64];
	snprintf(url, sizeof(url), "https://srv.lab:%u/", port);
	snprintf(resolve, sizeof(resolve), "srv.lab:%u:127.0.0.1", port);
	struct curl_slist *res = curl_slist_append(NULL, resolve);
	CURL *c = curl_easy_init();
	int rc = -1;
	if (c && res && om_tls_policy_curl(c) == 0) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_RESOLVE, res);
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		rc = (int)curl_easy_perform(c);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(res);
	return rc;
}

static void clients_aead_only(const char *cert, const char *key, const char *ca)
{
	unsigned port = du_free_port();
	pid_t p = s_server(port, cert, key, "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA");
	CHECK_INT(client_against(port, ca), CURLE_SSL_CONNECT_ERROR); /* a CBC-SHA1 server: no common suite */
	kill(p, SIGTERM);
	waitpid(p, NULL, 0);
	port = du_free_port();
	p = s_server(port, cert, key, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
	CHECK_INT(client_against(port, ca), CURLE_OK);
	kill(p, SIGTERM);
	waitpid(p, NULL, 0);
}

static void aead_only(void)
{
	struct om_ca *ca = pf_make_ca(dir, "Bounds root", "ca.pem");
	CHECK(ca != NULL);
	if (!ca)
		return;
	CHECK_INT(pf_issue_tls(ca, dir, "srv", "srv.lab"), 0);
	char cert[300], key[300], cafile[300];
	snprintf(cert, sizeof(cert), "%s/srv.pem", dir);
	snprintf(key, sizeof(key), "%s/srv.key", dir);
	snprintf(cafile, sizeof(cafile), "%s/ca.pem", dir);
	struct om_http_tls tls = { .cert_file = cert, .key_file = key };
	struct om_http_limits l = { 0 };
	struct om_http_server *s = serve(&l, &tls);
	if (s) {
		unsigned port = om_http_server_port(s);
		CHECK_INT(curl_suite(port, cafile, "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA"), 35);
		CHECK_INT(curl_suite(port, cafile, "AES256-GCM-SHA384"), 35); /* no forward secrecy */
		CHECK_INT(curl_suite(port, cafile, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"), 0);
	}
	clients_aead_only(cert, key, cafile);
	om_http_server_free(s);
	om_ca_free(ca);
}

/*
 * Security review: the cap compared address text, so one host with its /64
 * (RFC 6177) opened max_conns_per_source from each of 2^64 addresses. Every
 * address of one /64, however written (a zone index too), is one group; another /64, an IPv4
 * address, an IPv4-mapped one each their own.
 */
static void source_groups(void)
{
	static const char *const one[] = { "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff",
					   "2001:DB8:1:2:a:b:c:d", "2001:0db8:0001:0002:0000:0000:0000:0007",
					   "2001:db8:1:2::9%eth0" };
	char g0[OM_SOURCE_GROUP_MAX], g[OM_SOURCE_GROUP_MAX];
	om_source_group(one[0], g0, sizeof(g0));
	CHECK_MSG(!strcmp(g0, "2001:db8:1:2::/64"), "group %s", g0);
	for (size_t i = 1; i < sizeof(one) / sizeof(one[0]); i++) {
		om_source_group(one[i], g, sizeof(g));
		CHECK_MSG(!strcmp(g, g0), "%s: group %s, want %s", one[i], g, g0);
	}
	static const char *const others[] = { "2001:db8:1:3::1", "fe80::1%eth0", "::1",
					      "192.0.2.1", "::ffff:192.0.2.1", "?" };
	static const char *const want[] = { "2001:db8:1:3::/64", "fe80::/64", "::/64",
					    "192.0.2.1", "::ffff:192.0.2.1", "?" };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		om_source_group(others[i], g, sizeof(g));
		CHECK_MSG(!strcmp(g, want[i]), "%s: group %s, want %s", others[i], g, want[i]);
		CHECK_MSG(strcmp(g, g0) != 0, "%s counted with %s", others[i], g0);
	}
	/* two IPv4 addresses stay two sources */
	om_source_group("192.0.2.2", g, sizeof(g));
	CHECK_MSG(!strcmp(g, "192.0.2.2"), "group %s", g);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	CHECK(om_curl_ready());
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	source_groups();
	connection_flood();
	silent_flood_evicted();
	slow_clients();
	huge_headers();
	workers_and_queue();
	aead_only();
	du_rm_rf(dir);
	return check_done();
}
