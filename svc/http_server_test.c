/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server layer with curl as the client: routing, 404/405, the
 * body bound (413), and TLS with required client certificates (accepted
 * with one from the trusted CA, refused without one or with a stranger's),
 * and each answer over TLS in as few records as its size allows (one up to
 * 16 KiB: issue 14, evhttp's header and body chains are joined), and a
 * session ticket after a full handshake only (none after a resumed one).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <openmcim/pki.h>

#include "check.h"
#include "daemon_util.h"
#include "http_server.h"
#include "pki_fixture.h"
#include "tls_policy.h"

static char dir[] = "/tmp/om_http_test_XXXXXX";

static void hello(struct om_http_req *r, void *arg)
{
	(void)arg;
	om_http_reply(r, 200, "text/plain", "hello\n", 6);
}

static void echo(struct om_http_req *r, void *arg)
{
	(void)arg;
	size_t n;
	const uint8_t *b = om_http_req_body(r, &n);
	om_http_reply(r, 200, "application/octet-stream", b, n);
}

static void prefix(struct om_http_req *r, void *arg)
{
	(void)arg;
	const char *p = om_http_req_path(r);
	om_http_reply(r, 200, "text/plain", p, strlen(p));
}

static void who(struct om_http_req *r, void *arg)
{
	(void)arg;
	char cn[OM_NAME_MAX_LEN + 1] = "none";
	X509 *peer = om_http_req_peer_cert(r);
	if (peer && om_cert_subject_cn(peer, cn) < 0)
		snprintf(cn, sizeof(cn), "?");
	om_http_reply(r, 200, "text/plain", cn, strlen(cn));
}

/* curl URL [extra args]; the body into out, returns "code" as written by -w, or -1. */
static int curl(char *out, size_t cap, const char *url, const char *const *extra)
{
	char body[300];
	const char *argv[32];
	int n = 0;
	snprintf(body, sizeof(body), "%s/body", dir);
	argv[n++] = "curl";
	argv[n++] = "-s";
	argv[n++] = "-o";
	argv[n++] = body;
	argv[n++] = "-w";
	argv[n++] = "%{http_code}";
	argv[n++] = "--max-time";
	argv[n++] = "10";
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n++] = url;
	argv[n] = NULL;
	char code[16];
	unlink(body);
	int st = du_run(argv, 0, code, sizeof(code));
	size_t len = 0;
	unsigned char *b = check_slurp(body, &len);
	snprintf(out, cap, "%.*s", (int)len, b ? (const char *)b : "");
	free(b);
	return st == 0 ? atoi(code) : -st;
}

static void routes_bodies_and_errors(void)
{
	struct om_http_server *s = NULL;
	char err[256] = "", out[4096], url[128];
	struct om_http_opts o = { .max_body = 1024 };
	CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
	if (!s)
		return;
	CHECK_INT(om_http_route(s, "GET", "/hello", hello, NULL), 0);
	CHECK_INT(om_http_route(s, "POST", "/echo", echo, NULL), 0);
	CHECK_INT(om_http_route(s, "GET", "/pre/*", prefix, NULL), 0);
	CHECK_INT(om_http_route(s, "GET", "relative", hello, NULL), OM_EINVAL);
	CHECK(om_http_server_port(s) != 0);
	CHECK_INT(om_http_server_start(s), 0);
	unsigned port = om_http_server_port(s);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hello", port);
	CHECK_INT(curl(out, sizeof(out), url, NULL), 200);
	CHECK(!strcmp(out, "hello\n"));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo", port);
	const char *post[] = { "--data-binary", "ping-pong", NULL };
	CHECK_INT(curl(out, sizeof(out), url, post), 200);
	CHECK_MSG(!strcmp(out, "ping-pong"), "echo: %s", out);
	CHECK_INT(curl(out, sizeof(out), url, NULL), 405); /* GET on a POST route */
	char big[2100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *too_big[] = { "--data-binary", big, NULL };
	CHECK_INT(curl(out, sizeof(out), url, too_big), 413);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/nowhere", port);
	CHECK_INT(curl(out, sizeof(out), url, NULL), 404);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/pre/a/b%%2Fc", port);
	CHECK_INT(curl(out, sizeof(out), url, NULL), 200);
	CHECK_MSG(!strcmp(out, "/pre/a/b%2Fc"), "prefix: %s", out);
	om_http_server_stop(s);
	om_http_server_free(s);
}

static void tls_with_required_client_certificate(void)
{
	struct om_ca *ca = pf_make_ca(dir, "Operator A root", "ca.pem");
	struct om_ca *rogue = pf_make_ca(dir, "Rogue root", "rogue.pem");
	CHECK(ca && rogue);
	if (!ca || !rogue)
		return;
	CHECK_INT(pf_issue_tls(ca, dir, "server", "pva.lab"), 0);
	CHECK_INT(pf_issue_tls(ca, dir, "client-1", NULL), 0);
	CHECK_INT(pf_issue_tls(rogue, dir, "intruder", NULL), 0);
	char cert[300], key[300], cafile[300], err[256] = "", out[512], url[128], resolve[64];
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(cafile, sizeof(cafile), "%s/ca.pem", dir);
	struct om_http_tls tls = { .cert_file = cert, .key_file = key, .client_ca_file = cafile,
				   .require_client_cert = 1 };
	struct om_http_opts o = { .tls = &tls };
	struct om_http_server *s = NULL;
	CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
	if (!s)
		return;
	CHECK_INT(om_http_route(s, "GET", "/who", who, NULL), 0);
	CHECK_INT(om_http_server_start(s), 0);
	unsigned port = om_http_server_port(s);
	snprintf(url, sizeof(url), "https://pva.lab:%u/who", port);
	snprintf(resolve, sizeof(resolve), "pva.lab:%u:127.0.0.1", port);

	char ccert[300], ckey[300], icert[300], ikey[300];
	snprintf(ccert, sizeof(ccert), "%s/client-1.pem", dir);
	snprintf(ckey, sizeof(ckey), "%s/client-1.key", dir);
	snprintf(icert, sizeof(icert), "%s/intruder.pem", dir);
	snprintf(ikey, sizeof(ikey), "%s/intruder.key", dir);
	const char *with[] = { "--cacert", cafile, "--resolve", resolve, "--cert", ccert, "--key", ckey, NULL };
	CHECK_INT(curl(out, sizeof(out), url, with), 200);
	CHECK_MSG(!strcmp(out, "client-1"), "peer: %s", out);
	const char *without[] = { "--cacert", cafile, "--resolve", resolve, NULL };
	CHECK(curl(out, sizeof(out), url, without) < 0); /* handshake refused: curl fails */
	const char *stranger[] = { "--cacert", cafile, "--resolve", resolve, "--cert", icert, "--key", ikey, NULL };
	CHECK(curl(out, sizeof(out), url, stranger) < 0);
	/* and the server still serves the good client afterwards */
	CHECK_INT(curl(out, sizeof(out), url, with), 200);
	om_http_server_free(s);

	/* client certificates without a trust store cannot be required */
	tls.client_ca_file = NULL;
	CHECK_INT(om_http_server_new(&s, &o, err, sizeof(err)), OM_EINVAL);
	om_ca_free(ca);
	om_ca_free(rogue);
}


/* Application-data records the client received (TLS 1.3: the inner content type of each record). */
static void count_records(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
			  void *arg)
{
	(void)version;
	(void)ssl;
	if (!write_p && content_type == SSL3_RT_INNER_CONTENT_TYPE && len == 1 &&
	    ((const unsigned char *)buf)[0] == SSL3_RT_APPLICATION_DATA)
		(*(int *)arg)++;
}

/*
 * POST body_len octets to /echo over TLS on a connection of our own; the
 * number of application-data records the answer came in, or -1 when the
 * answer was not the body echoed whole.
 */
static int records_of_answer(unsigned port, size_t body_len)
{
	int records = 0, ok = 0, fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	size_t cap = body_len + 1024, got = 0;
	char *req = malloc(body_len + 256), *ans = malloc(cap);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || !ctx || !req || !ans || om_tls_policy_ctx(ctx) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !(ssl = SSL_new(ctx)))
		goto out;
	SSL_set_msg_callback(ssl, count_records);
	SSL_set_msg_callback_arg(ssl, &records);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		goto out;
	int n = snprintf(req, 256, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", body_len);
	memset(req + n, 'b', body_len);
	if (SSL_write(ssl, req, (int)(n + body_len)) != (int)(n + body_len))
		goto out;
	records = 0; /* the session tickets before the answer are not counted (they are handshake records) */
	for (;;) {
		int r = SSL_read(ssl, ans + got, (int)(cap - got - 1));
		if (r <= 0)
			break;
		got += (size_t)r;
		ans[got] = '\0';
		char *end = strstr(ans, "\r\n\r\n");
		if (end && got - (size_t)(end + 4 - ans) >= body_len) {
			ok = !strncmp(ans, "HTTP/1.1 200", 12) && got - (size_t)(end + 4 - ans) == body_len &&
			     end[4] == 'b' && ans[got - 1] == 'b';
			break;
		}
	}
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	free(req);
	free(ans);
	return ok ? records : -1;
}

static void answer_in_one_record(void)
{
	struct om_ca *ca = pf_make_ca(dir, "Records root", "rec-ca.pem");
	CHECK(ca != NULL);
	if (!ca)
		return;
	CHECK_INT(pf_issue_tls(ca, dir, "rec-server", "rec.lab"), 0);
	char cert[300], key[300], err[256] = "";
	snprintf(cert, sizeof(cert), "%s/rec-server.pem", dir);
	snprintf(key, sizeof(key), "%s/rec-server.key", dir);
	struct om_http_tls tls = { .cert_file = cert, .key_file = key };
	for (unsigned workers = 0; workers <= 1; workers++) {
		struct om_http_opts o = { .tls = &tls, .max_body = 60000, .limits = { .workers = workers } };
		struct om_http_server *s = NULL;
		CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
		if (!s)
			break;
		CHECK_INT(om_http_route(s, "POST", "/echo", echo, NULL), 0);
		CHECK_INT(om_http_server_start(s), 0);
		unsigned port = om_http_server_port(s);
		/* status line, headers and body in one record (two before: headers, then body) */
		CHECK_INT(records_of_answer(port, 1), 1);
		CHECK_INT(records_of_answer(port, 3000), 1);
		/* above one record's 16 KiB the answer is still whole, in as many records as it needs */
		int big = records_of_answer(port, 40000);
		CHECK_MSG(big >= 3, "40000 octets in %d records", big);
		om_http_server_free(s);
	}
	om_ca_free(ca);
}

/* NewSessionTicket messages the client received. */
static void count_tickets(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	(void)version;
	(void)ssl;
	if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
	    ((const unsigned char *)buf)[0] == SSL3_MT_NEWSESSION_TICKET)
		(*(int *)arg)++;
}

/*
 * One POST /echo over TLS, resuming *sess when it is set; *sess is then the
 * session to resume next (the newest ticket's). The tickets received, or -1
 * when the exchange failed; *reused whether the handshake resumed.
 */
static int tickets_of_exchange(unsigned port, SSL_SESSION **sess, int *reused)
{
	int tickets = 0, ok = 0, fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	char ans[512];
	size_t got = 0;
	static const char req[] = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi";
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	*reused = 0;
	if (fd < 0 || !ctx || om_tls_policy_ctx(ctx) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !(ssl = SSL_new(ctx)))
		goto out;
	SSL_set_msg_callback(ssl, count_tickets);
	SSL_set_msg_callback_arg(ssl, &tickets);
	SSL_set_fd(ssl, fd);
	if ((*sess && SSL_set_session(ssl, *sess) != 1) || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, (int)sizeof(req) - 1) != (int)sizeof(req) - 1)
		goto out;
	while (got < sizeof(ans) - 1) {
		int r = SSL_read(ssl, ans + got, (int)(sizeof(ans) - 1 - got));
		if (r <= 0)
			break;
		got += (size_t)r;
		ans[got] = '\0';
		char *end = strstr(ans, "\r\n\r\n");
		if (end && !strcmp(end + 4, "hi")) {
			ok = !strncmp(ans, "HTTP/1.1 200", 12);
			break;
		}
	}
	*reused = SSL_session_reused(ssl) == 1;
	if (ok)
		(void)SSL_shutdown(ssl); /* a session of a link closed without close_notify is not resumed */
	if (ok && tickets) {
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(ssl);
	}
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return ok ? tickets : -1;
}

/* One ticket after a full handshake, none after a resumed one (the client resumes with the one it has). */
static void tickets_after_full_handshakes_only(void)
{
	char cert[300], key[300], err[256] = "";
	snprintf(cert, sizeof(cert), "%s/rec-server.pem", dir);
	snprintf(key, sizeof(key), "%s/rec-server.key", dir);
	struct om_http_tls tls = { .cert_file = cert, .key_file = key };
	struct om_http_opts o = { .tls = &tls };
	struct om_http_server *s = NULL;
	CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
	if (!s)
		return;
	CHECK_INT(om_http_route(s, "POST", "/echo", echo, NULL), 0);
	CHECK_INT(om_http_server_start(s), 0);
	unsigned port = om_http_server_port(s);
	SSL_SESSION *sess = NULL;
	int reused = -1;
	CHECK_INT(tickets_of_exchange(port, &sess, &reused), 1); /* full: one ticket */
	CHECK_INT(reused, 0);
	CHECK(sess != NULL);
	CHECK_INT(tickets_of_exchange(port, &sess, &reused), 0); /* resumed: none (one before) */
	CHECK_INT(reused, 1);
	CHECK_INT(tickets_of_exchange(port, &sess, &reused), 0); /* the same ticket again: still resumed */
	CHECK_INT(reused, 1);
	SSL_SESSION *none = NULL;
	CHECK_INT(tickets_of_exchange(port, &none, &reused), 1); /* a new client: full, one ticket */
	CHECK_INT(reused, 0);
	SSL_SESSION_free(sess);
	SSL_SESSION_free(none);
	om_http_server_free(s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	routes_bodies_and_errors();
	tls_with_required_client_certificate();
	answer_in_one_record();
	tickets_after_full_handshakes_only();
	du_rm_rf(dir);
	return check_done();
}
