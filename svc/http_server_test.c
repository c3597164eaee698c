/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server layer with curl as the client: routing, 404/405, the
 * body bound (413), and TLS with required client certificates (accepted
 * with one from the trusted CA, refused without one or with a stranger's).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openmcim/pki.h>

#include "check.h"
#include "daemon_util.h"
#include "http_server.h"
#include "pki_fixture.h"

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

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	routes_bodies_and_errors();
	tls_with_required_client_certificate();
	du_rm_rf(dir);
	return check_done();
}
