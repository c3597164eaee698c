/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's operator interface (drf_http.h) in this process, with curl as the
 * peer over mutual TLS: its peer check, and the table of peer certificates it
 * remembers (issue 14).
 * - A refused certificate is never remembered: SHO-B's name on another key is
 *   refused OM_EDRF_PEER_KEY each time, an unknown name OM_EDRF_PEER each time.
 * - More accepted certificates than the table holds (DRF_PEER_SEEN, each one
 *   of SHO-B's, on its pinned key): the first is still accepted once replaced,
 *   and the impostor still refused OM_EDRF_PEER_KEY.
 * - While the core's lock is held (as across its commits), a peer check still
 *   answers: refusals come back without waiting for the core. With the table
 *   under the core's lock, curl's 10 s pass and the answers never come.
 * - drf_http_free releases what the table keeps (the leak check of the
 *   sanitizer builds sees the rest).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "check.h"
#include "daemon_util.h"
#include "drf.h"
#include "drf_http.h"
#include "http_server.h"
#include "pki_fixture.h"

static char tmp[] = "/tmp/drf_http_test.XXXXXX";
static char path[600];
static unsigned port;

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	return path;
}

/* An OPERATOR_TLS certificate CN cn on key k under ca, as <name>.pem and <name>.key. */
static void issue_on(struct om_ca *ca, EVP_PKEY *k, const char *name, const char *cn)
{
	X509_REQ *csr = NULL;
	X509 *c = NULL;
	char p[700];
	struct om_issue req = { .profile = OM_CERT_OPERATOR_TLS, .cn = cn };
	CHECK_INT(om_csr_create(&csr, k, cn, NULL), 0);
	if (csr)
		CHECK_INT(om_ca_issue(ca, csr, &req, &c), 0);
	snprintf(p, sizeof(p), "%s/%s.pem", tmp, name);
	if (c)
		CHECK_INT(om_cert_save(p, c), 0);
	snprintf(p, sizeof(p), "%s/%s.key", tmp, name);
	CHECK_INT(om_key_save(p, k), 0);
	X509_free(c);
	X509_REQ_free(csr);
}

/*
 * POST (empty body) to path as the holder of <client>.pem: the answer's line
 * into out, the HTTP status returned, -1 when curl failed or timed out.
 */
static int post(const char *client, const char *url_path, char *out, size_t cap)
{
	char url[256], resolve[64], ca[700], cert[700], key[700], raw[2048];
	snprintf(url, sizeof(url), "https://drf.sho-a.lab:%u%s", port, url_path);
	snprintf(resolve, sizeof(resolve), "drf.sho-a.lab:%u:127.0.0.1", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmp);
	snprintf(cert, sizeof(cert), "%s/%s.pem", tmp, client);
	snprintf(key, sizeof(key), "%s/%s.key", tmp, client);
	const char *argv[] = { "curl", "-s", "--max-time", "10", "--cacert", ca, "--resolve", resolve,
			       "-w", "\n%{http_code}", "--data-binary", "@/dev/null", url,
			       "--cert", cert, "--key", key, NULL };
	out[0] = '\0';
	if (du_run_quiet(argv, 0, raw, sizeof(raw)) != 0)
		return -1;
	return du_curl_split(raw, out, cap);
}

#define PEER_KEY "result=refused reason=OM_EDRF_PEER_KEY\n"
#define PEER "result=refused reason=OM_EDRF_PEER\n"

/* SHO-B's completion of a handover the core does not know: past the peer check, refused by the core. */
static void accepted_peer(const char *client)
{
	char out[256];
	int st = post(client, "/handover/r-none/completed", out, sizeof(out));
	CHECK_INT(st, 409);
	CHECK_MSG(!strcmp(out, "result=refused reason=OM_EDRF_STATE\n"), "%s: not past the peer check: %s", client, out);
}

static void refused(const char *client, const char *want)
{
	char out[256];
	CHECK_INT(post(client, "/handover/r-none/completed", out, sizeof(out)), 403);
	CHECK_MSG(!strcmp(out, want), "%s: %s", client, out);
}

int main(void)
{
	struct om_ca *lab = NULL;
	EVP_PKEY *lab_key = NULL, *b_key = NULL;
	struct drf *d = NULL;
	struct om_http_server *srv = NULL;
	struct drf_http *h = malloc(sizeof(*h)); /* on the heap: what it keeps is lost when it goes */
	pthread_mutex_t core = PTHREAD_MUTEX_INITIALIZER;
	char err[512] = "", name[32], pins[700];

	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(tmp) != NULL);
	CHECK_INT(om_key_generate(&lab_key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_ca_create(&lab, lab_key, "Lab operators root", 0, 0), 0);
	CHECK_INT(om_key_generate(&b_key, OM_KEY_EC_P256), 0);
	if (!lab || !b_key || !h)
		return check_done();
	CHECK_INT(om_cert_save(at("ca.pem"), om_ca_cert(lab)), 0);
	pf_issue_tls(lab, tmp, "drf.sho-a.lab", "drf.sho-a.lab");
	/* SHO-B's certificates, all on its one pinned key: one more than the table holds, and one more */
	for (int i = 0; i < DRF_PEER_SEEN + 2; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		issue_on(lab, b_key, name, "drf.sho-b.lab");
	}
	/* SHO-B's name from the same CA on another key; a name nobody listed */
	CHECK_INT(pf_issue(lab, OM_CERT_OPERATOR_TLS, tmp, "impostor-b", "drf.sho-b.lab", NULL), 0);
	pf_issue_tls(lab, tmp, "drf.sho-x.lab", NULL);

	struct drf_config cfg = { .db_path = at("drf.db") };
	CHECK_MSG(drf_open(&d, &cfg, err, sizeof(err)) == 0, "%s", err);
	drf_http_init(h);
	snprintf(pins, sizeof(pins), "SHO-B:%s/b0.pem", tmp);
	CHECK_MSG(drf_http_peers_parse(h, "SHO-B:drf.sho-b.lab", err, sizeof(err)) == 0, "%s", err);
	CHECK_MSG(drf_http_pins_parse(h, pins, err, sizeof(err)) == 0, "%s", err);
	h->drf = d;
	h->lock = &core;
	char cert_file[700], key_file[700], ca_file[700];
	snprintf(cert_file, sizeof(cert_file), "%s/drf.sho-a.lab.pem", tmp);
	snprintf(key_file, sizeof(key_file), "%s/drf.sho-a.lab.key", tmp);
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", tmp);
	struct om_http_tls tls = { .cert_file = cert_file, .key_file = key_file, .client_ca_file = ca_file,
				   .require_client_cert = 1 };
	struct om_http_opts o = { .tls = &tls };
	CHECK_MSG(om_http_server_new(&srv, &o, err, sizeof(err)) == 0, "%s", err);
	if (!srv || !d)
		return check_done();
	CHECK_INT(drf_http_routes(srv, h), 0);
	CHECK_INT(om_http_server_start(srv), 0);
	port = om_http_server_port(srv);

	/* a refused certificate is never remembered: the same refusal, with the same reason, each time */
	refused("impostor-b", PEER_KEY);
	refused("impostor-b", PEER_KEY);
	refused("drf.sho-x.lab", PEER);
	refused("drf.sho-x.lab", PEER);
	accepted_peer("b0");
	refused("impostor-b", PEER_KEY);

	/* more of SHO-B's certificates than the table holds: b0 and b1 are replaced, still SHO-B's */
	for (int i = 1; i < DRF_PEER_SEEN + 2; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		accepted_peer(name);
	}
	accepted_peer("b0");
	accepted_peer("b1");
	accepted_peer("b9");
	refused("impostor-b", PEER_KEY);
	refused("drf.sho-x.lab", PEER);

	/* the core's lock held, as across a commit: a peer check answers without it */
	pthread_mutex_lock(&core);
	refused("impostor-b", PEER_KEY);
	refused("drf.sho-x.lab", PEER);
	pthread_mutex_unlock(&core);
	accepted_peer("b2");

	om_http_server_free(srv); /* no handler runs after this */
	drf_http_free(h); /* without it, the sanitizers' leak check finds the kept certificates */
	free(h);
	drf_close(d);
	om_ca_free(lab);
	EVP_PKEY_free(lab_key);
	EVP_PKEY_free(b_key);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK_INT(system(cmd), 0);
	return check_done();
}
