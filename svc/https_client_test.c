/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemons' HTTPS client (https_client.h) against the HTTP server layer
 * with mutual TLS: one kept connection for many calls, our certificate seen
 * by the server, a new connection resuming the earlier session, and every
 * check still made: a server of another CA refused, an answer too long
 * refused, a stopped server failing at once, a silent one at the deadline.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/pki.h>

#include "check.h"
#include "daemon_util.h"
#include "http_server.h"
#include "https_client.h"
#include "pki_fixture.h"

static char dir[] = "/tmp/om_https_client_test_XXXXXX";
static char path[6][300]; /* ca, server cert, server key, client cert, client key, rogue ca */

static void who(struct om_http_req *r, void *arg)
{
	char cn[OM_NAME_MAX_LEN + 1];
	X509 *peer = om_http_req_peer_cert(r);
	int ok = peer && om_cert_subject_cn(peer, cn) >= 0;
	(void)arg;
	/* the CN of the client certificate the server verified: whom the kept link speaks for */
	om_http_reply(r, ok ? 200 : 403, "text/plain", ok ? cn : "no certificate", ok ? strlen(cn) : 14);
}

static void big(struct om_http_req *r, void *arg)
{
	(void)arg;
	static char b[2000];
	memset(b, 'b', sizeof(b));
	om_http_reply(r, 200, "text/plain", b, sizeof(b));
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct om_http_server *server(unsigned idle_ms)
{
	struct om_http_tls tls = { .cert_file = path[1], .key_file = path[2], .client_ca_file = path[0],
				   .require_client_cert = 1 };
	struct om_http_opts o = { .tls = &tls, .limits = { .idle_ms = idle_ms } };
	struct om_http_server *s = NULL;
	char err[256] = "";
	CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
	if (!s)
		return NULL;
	CHECK_INT(om_http_route(s, "POST", "/who", who, NULL), 0);
	CHECK_INT(om_http_route(s, "POST", "/big", big, NULL), 0);
	CHECK_INT(om_http_server_start(s), 0);
	return s;
}

static struct om_https_client *client(const char *ca, long timeout_ms)
{
	struct om_https_client_opts o = { .ca_file = ca, .cert_file = path[3], .key_file = path[4],
					  .timeout_ms = timeout_ms };
	struct om_https_client *c = NULL;
	char err[256] = "";
	CHECK_MSG(om_https_client_new(&c, &o, err, sizeof(err)) == 0, "%s", err);
	return c;
}

static int post(struct om_https_client *c, unsigned port, const char *what, char *ans, size_t cap, long *status)
{
	char url[128], why[256] = "";
	snprintf(url, sizeof(url), "https://localhost:%u/%s", port, what);
	struct om_https_call k = { .url = url, .content_type = "text/plain", .body = "x", .len = 1, .answer = ans,
				   .cap = cap };
	int rc = om_https_post(c, &k, why, sizeof(why));
	*status = k.status;
	if (rc)
		fprintf(stderr, "  post %s: %s\n", what, why);
	return rc;
}

static void kept_link_our_identity_and_resumption(void)
{
	struct om_http_server *s = server(300);
	struct om_https_client *c = client(path[0], 5000);
	if (!s || !c)
		return;
	unsigned port = om_http_server_port(s);
	char ans[64];
	long st = 0;
	for (int i = 0; i < 5; i++) {
		CHECK_INT(post(c, port, "who", ans, sizeof(ans), &st), 0);
		CHECK_INT(st, 200);
		CHECK_MSG(!strcmp(ans, "client-1"), "the server saw %s", ans);
	}
	struct om_https_client_stats n;
	om_https_client_stats(c, &n);
	CHECK_MSG(n.calls == 5 && n.connects == 1 && n.resumed == 0, "calls %lu connects %lu resumed %lu", n.calls,
		  n.connects, n.resumed);
	/* the server closes the idle link: the next call connects again and resumes the session */
	nanosleep(&(struct timespec){ .tv_nsec = 700 * 1000 * 1000 }, NULL);
	CHECK_INT(post(c, port, "who", ans, sizeof(ans), &st), 0);
	CHECK_MSG(st == 200 && !strcmp(ans, "client-1"), "after the idle close: %ld %s", st, ans);
	om_https_client_stats(c, &n);
	CHECK_MSG(n.connects == 2 && n.resumed == 1, "connects %lu resumed %lu", n.connects, n.resumed);
	/* an answer over the buffer is refused, not cut */
	CHECK_INT(post(c, port, "big", ans, sizeof(ans), &st), OM_ENOSPC);
	/* the server stops: a call fails at once, its kept link gone with it */
	om_http_server_free(s);
	double t0 = now_ms();
	CHECK_INT(post(c, port, "who", ans, sizeof(ans), &st), OM_EIO);
	CHECK_MSG(now_ms() - t0 < 1000, "a stopped server took %.0f ms", now_ms() - t0);
	CHECK_INT(st, 0);
	om_https_client_free(c);
}

static void stranger_server_refused(void)
{
	struct om_http_server *s = server(0);
	struct om_https_client *c = client(path[5], 5000); /* roots of another CA */
	if (!s || !c)
		return;
	char ans[64];
	long st = 0;
	CHECK_INT(post(c, om_http_server_port(s), "who", ans, sizeof(ans), &st), OM_EIO);
	CHECK_INT(st, 0);
	om_https_client_free(c);
	om_http_server_free(s);
}

static void silent_server_times_out(void)
{
	/* a listening socket nobody accepts on: the TCP connection opens, no TLS answer ever comes */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 8) == 0 &&
	      getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	struct om_https_client *c = client(path[0], 400);
	if (!c)
		return;
	char ans[64];
	long st = 0;
	double t0 = now_ms();
	CHECK_INT(post(c, ntohs(a.sin_port), "who", ans, sizeof(ans), &st), OM_ETIMEOUT);
	double took = now_ms() - t0;
	CHECK_MSG(took >= 350 && took < 1500, "deadline 400 ms, took %.0f ms", took);
	om_https_client_free(c);
	close(fd);
}

static void files_checked_once_at_creation(void)
{
	struct om_https_client *c = NULL;
	char err[256] = "";
	/* the server's key is not the client certificate's */
	struct om_https_client_opts o = { .ca_file = path[0], .cert_file = path[3], .key_file = path[2],
					  .timeout_ms = 1000 };
	CHECK_INT(om_https_client_new(&c, &o, err, sizeof(err)), OM_ECRYPTO);
	CHECK_MSG(strstr(err, path[2]) != NULL, "reason: %s", err);
	o.key_file = path[4];
	o.ca_file = "/nonexistent/ca.pem";
	CHECK_INT(om_https_client_new(&c, &o, err, sizeof(err)), OM_ECRYPTO);
	o.ca_file = path[0];
	o.timeout_ms = 0;
	CHECK_INT(om_https_client_new(&c, &o, err, sizeof(err)), OM_EINVAL);
	CHECK(c == NULL);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	struct om_ca *ca = pf_make_ca(dir, "Operator A root", "ca.pem");
	struct om_ca *rogue = pf_make_ca(dir, "Rogue root", "rogue.pem");
	CHECK(ca && rogue);
	if (ca && rogue) {
		CHECK_INT(pf_issue_tls(ca, dir, "server", "localhost"), 0);
		CHECK_INT(pf_issue_tls(ca, dir, "client-1", NULL), 0);
		const char *names[] = { "ca.pem", "server.pem", "server.key", "client-1.pem", "client-1.key", "rogue.pem" };
		for (int i = 0; i < 6; i++)
			snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]);
		kept_link_our_identity_and_resumption();
		stranger_server_refused();
		silent_server_times_out();
		files_checked_once_at_creation();
	}
	om_ca_free(ca);
	om_ca_free(rogue);
	du_rm_rf(dir);
	return check_done();
}
