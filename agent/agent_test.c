/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent without a network (the whole flow runs in
 * tests/provisioning_e2e_test.c and tests/agent_crash_test.c against the
 * lab): configuration refusals, a TRE that does not open, a VNO that never
 * answers (retries with backoff, then OM_EAGENT_NETWORK, the TRE's files
 * byte-identical), the DM client's tunnel through the bearer's proxy, and
 * openmcim-agent's exit statuses.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "agent.h"
#include "daemon_util.h"
#include "dm_client.h"
#include "tre_fixture.h"

static char events[4096];

static void on_event(void *arg, const char *tre_id, const char *step, const char *detail)
{
	(void)arg;
	size_t n = strlen(events);
	snprintf(events + n, sizeof(events) - n, "%s %s %s\n", tre_id, step, detail);
}

static void test_configuration_is_checked_first(void)
{
	struct om_agent_result res;
	struct om_agent_config cfg = { .tre_dir = "/nonexistent", .vno_host = "127.0.0.1", .vno_port = 9,
				       .dm_ca_file = "/nonexistent.pem" };
	CHECK_INT(om_agent_run(NULL, &res), OM_EINVAL);
	struct om_agent_config c = cfg;
	c.tre_dir = NULL;
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "tre_dir") != NULL && res.outcome == 0);
	c = cfg;
	c.vno_port = 0;
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "vno") != NULL);
	c = cfg;
	c.dm_ca_file = "";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "dm_ca_file") != NULL);
	/* the activation server's address: https only, checked before the TRE opens */
	c = cfg;
	c.aas_url = "http://aas.example/aas";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "aas_url") != NULL);
	/* its key pinned by the factory: required with aas_url, sha256: and 64 hex digits */
	c.aas_url = "https://aas.example/aas";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "aas_pin") != NULL);
	c.aas_pin = "sha256:0123";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "aas_pin") != NULL);
	c.aas_pin = "sha1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	c.aas_pin = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	c.aas_pin = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	CHECK_INT(om_agent_run(&c, &res), OM_ETRE_NOT_FOUND); /* a well-formed pin passes the check */
	/* No TRE there: the device cannot boot. */
	CHECK_INT(om_agent_run(&cfg, &res), OM_ETRE_NOT_FOUND);
	CHECK(res.outcome == 0 && res.code == OM_ETRE_NOT_FOUND && strstr(res.reason, "/nonexistent"));
	CHECK(!strcmp(om_agent_outcome_name(OM_AGENT_PROVISIONED), "PROVISIONED") &&
	      !strcmp(om_agent_outcome_name(OM_AGENT_FELL_BACK), "FELL_BACK") && !strcmp(om_agent_outcome_name(0), "?"));
}

static void test_unreachable_vno_is_retried_then_reported(const struct fx_tre *t)
{
	struct om_agent_result res;
	uint8_t before[32], after[32];
	unsigned port = du_free_port(); /* nobody listens there */
	struct om_agent_config cfg = { .tre_dir = t->dir, .vno_host = "127.0.0.1", .vno_port = (uint16_t)port,
				       .dm_ca_file = "/nonexistent.pem", .retries = 3, .retry_min_ms = 5,
				       .retry_max_ms = 20, .net_timeout_ms = 500, .on_event = on_event };
	fx_dir_hash(t->dir, before);
	events[0] = 0;
	CHECK_INT(om_agent_run(&cfg, &res), OM_EAGENT_NETWORK);
	CHECK_INT(res.outcome, 0);
	CHECK_INT(res.code, OM_EAGENT_NETWORK);
	CHECK_INT(res.attaches, 0); /* no attach procedure ran: the link never came up */
	CHECK_INT(res.retries, 2); /* three tries: two repeats after a loss */
	CHECK(!strcmp(res.tre_id, t->tre_id) && !strcmp(res.imsi, "001010000000001"));
	CHECK_MSG(strstr(events, "power-on") && strstr(events, "attach-failed") && strstr(events, "rest outcome=error"),
		  "%s", events);
	fx_dir_hash(t->dir, after);
	CHECK_MEM(before, after, 32);
}

/* openmcim-agent: --help, a bad configuration (2), an error (1). */
static void test_program_exit_statuses(const struct fx_tre *t)
{
	const char *cli = getenv("OM_CLI");
	char exe[600], conf[600], out[4096], text[1024];
	if (!cli) {
		CHECK_MSG(0, "OM_CLI unset");
		return;
	}
	snprintf(exe, sizeof(exe), "%.*s/openmcim-agent", (int)(strrchr(cli, '/') - cli), cli);
	snprintf(conf, sizeof(conf), "%s/agent.conf", t->dir);
	const char *help[] = { exe, "--help", NULL };
	CHECK_INT(du_run(help, 1, out, sizeof(out)), 0);
	CHECK(strstr(out, "-c FILE") != NULL);
	const char *none[] = { exe, NULL };
	CHECK_INT(du_run(none, 1, out, sizeof(out)), 2);
	const char *run[] = { exe, "-c", conf, NULL };
	/* each of these is a configuration error (after the tre_dir line): exit 2 with the file named;
	 * dm_ca is any readable file (loading checks it can be opened; the agent reads it at the DPF) */
	static const char *const bad[] = {
		"dm_ca = /etc/passwd\n",                                       /* vno missing */
		"vno = localhost:7000\ndm_ca = /etc/passwd\n",                 /* not IPv4 */
		"vno = 127.0.0.1:7000\ndm_ca = /etc/passwd\nretries = 0\n",
		"vno = 127.0.0.1:7000\ndm_ca = /etc/passwd\nwait_push = soon\n",
		"vno = 127.0.0.1:7000\ndm_ca = /etc/passwd\nverbose = 1\n",
		"vno = 127.0.0.1:7000\ndm_ca = /etc/passwd\ntre_backend = tpm2\n",
		"vno = 127.0.0.1:7000\ndm_ca = /etc/passwd\ntpm_tcti = device:/dev/tpmrm0\n",  /* soft */
		"vno = 127.0.0.1:7000\ndm_ca = /etc/passwd\ntre_backend = pkcs11\np11_module = /x.so\n", /* no token, PIN */
		"vno = 127.0.0.1:7000, localhost:7001\ndm_ca = /etc/passwd\n", /* a list with a name */
		"vno = 127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,127.0.0.1:5,127.0.0.1:6,127.0.0.1:7,"
		"127.0.0.1:8,127.0.0.1:9\ndm_ca = /etc/passwd\n", /* nine networks */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[agent]\ntre_dir = %s\n%s", t->dir, bad[i]);
		CHECK_INT(du_write_file(conf, text), 0);
		int st = du_run(run, 1, out, sizeof(out));
		CHECK_MSG(st == 2 && strstr(out, "agent.conf"), "case %zu: exit %d: %s", i, st, out);
	}
	snprintf(text, sizeof(text),
		 "[agent]\ntre_dir = %s\nvno = 127.0.0.1:%u\ndm_ca = /etc/passwd\nretries = 2\nretry_min = 5\n"
		 "net_timeout = 300\nwait_push = forever\n",
		 t->dir, du_free_port());
	CHECK_INT(du_write_file(conf, text), 0);
	int st = du_run(run, 1, out, sizeof(out));
	CHECK_MSG(st == 1 && strstr(out, "power-on tre_id=TRE-00000601") && strstr(out, "OM_EAGENT_NETWORK"),
		  "exit %d: %s", st, out);
	/* the configuration, not the directory, says which backend: this software TRE configured as a TPM one
	 * does not boot (issue 18, review finding 1) */
	snprintf(text, sizeof(text),
		 "[agent]\ntre_dir = %s\nvno = 127.0.0.1:%u\ndm_ca = /etc/passwd\ntre_backend = tpm\n"
		 "tpm_tcti = swtpm:path=/nonexistent/om-no-tpm\n",
		 t->dir, du_free_port());
	CHECK_INT(du_write_file(conf, text), 0);
	st = du_run(run, 1, out, sizeof(out));
	CHECK_MSG(st == 1 && strstr(out, "OM_ETRE_BACKEND") && !strstr(out, "power-on"), "exit %d: %s", st, out);
	/* a list: both tried, in order */
	snprintf(text, sizeof(text),
		 "[agent]\ntre_dir = %s\nvno = 127.0.0.1:%u, 127.0.0.1:%u\ndm_ca = /etc/passwd\nretries = 1\n"
		 "net_timeout = 300\n",
		 t->dir, du_free_port(), du_free_port());
	CHECK_INT(du_write_file(conf, text), 0);
	st = du_run(run, 1, out, sizeof(out));
	const char *first = strstr(out, "network=vno-1");
	CHECK_MSG(st == 1 && first && strstr(first, "network=vno-2"), "exit %d: %s", st, out);
	unlink(conf);
}

/*
 * An ordered network list (spec/000 5.2.4.6.3 step 6): each attach goes down
 * the list in order, one try each, and the passes repeat with backoff; no
 * network accepting leaves res.network empty. (A network accepting after
 * others refused: tests/lab_alt3_test.c.) Bad lists are refused first.
 */
static void test_networks_are_tried_in_order(const struct fx_tre *t)
{
	struct om_agent_result res;
	struct om_agent_network nets[] = {
		{ .name = "VNO-1", .host = "127.0.0.1", .port = (uint16_t)du_free_port() },
		{ .name = "VNO-2", .host = "127.0.0.1", .port = (uint16_t)du_free_port() },
	};
	struct om_agent_config cfg = { .tre_dir = t->dir, .networks = nets, .n_networks = 2,
				       .dm_ca_file = "/nonexistent.pem", .retries = 2, .retry_min_ms = 5,
				       .retry_max_ms = 20, .net_timeout_ms = 500, .on_event = on_event };
	events[0] = 0;
	CHECK_INT(om_agent_run(&cfg, &res), OM_EAGENT_NETWORK);
	CHECK_INT(res.network[0], 0);
	const char *a1 = strstr(events, "attach-failed imsi=001010000000001 network=VNO-1");
	const char *b1 = a1 ? strstr(a1, "network=VNO-2") : NULL;
	const char *a2 = b1 ? strstr(b1, "network=VNO-1") : NULL;
	const char *b2 = a2 ? strstr(a2, "network=VNO-2") : NULL;
	CHECK_MSG(a1 && b1 && a2 && b2, "two passes of VNO-1 then VNO-2: %s", events);
	CHECK_INT(res.retries, 1); /* one repeat of the whole list */

	struct om_agent_network bad[OM_AGENT_NETWORKS_MAX + 1];
	for (size_t i = 0; i <= OM_AGENT_NETWORKS_MAX; i++)
		bad[i] = nets[0];
	struct om_agent_config c = cfg;
	c.networks = bad;
	c.n_networks = OM_AGENT_NETWORKS_MAX + 1;
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	CHECK(strstr(res.reason, "networks") != NULL);
	c.n_networks = 2;
	bad[1].name = "";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	bad[1] = nets[1];
	bad[1].port = 0;
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
	bad[1] = nets[1];
	bad[1].name = "a-network-name-longer-than-31-chars";
	CHECK_INT(om_agent_run(&c, &res), OM_EAGENT_CONFIG);
}

/* ---- the DM client's tunnel through the bearer's CONNECT proxy ---------------------- */

struct fake_proxy {
	int lfd;
	const char *answer; /* sent whole once the CONNECT's headers are in */
	char request[1024]; /* the CONNECT as it came */
};

static void *fake_proxy_run(void *arg)
{
	struct fake_proxy *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	size_t got = 0;
	while (fd >= 0 && got < sizeof(p->request) - 1 && !strstr(p->request, "\r\n\r\n")) {
		ssize_t r = recv(fd, p->request + got, sizeof(p->request) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		p->request[got] = 0;
	}
	if (fd >= 0) {
		if (send(fd, p->answer, strlen(p->answer), MSG_NOSIGNAL) < 0)
			p->request[0] = 0;
		nanosleep(&(struct timespec){ 0, 200000000 }, NULL); /* the client reads the answer before the close */
		close(fd);
	}
	return NULL;
}

/*
 * One DM exchange through a proxy answering answer: its return, dm->why, and
 * the CONNECT the proxy got. The PROVURL names a host the device never looks
 * up itself (.invalid): only the proxy may.
 */
static int tunnel_exchange(const char *dev_id, const char *answer, char *why, size_t why_len, char *request,
			   size_t req_len)
{
	struct fake_proxy p = { .answer = answer };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p.lfd < 0 || bind(p.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(p.lfd, 4) ||
	    getsockname(p.lfd, (struct sockaddr *)&sa, &sl))
		FX_DIE("fake proxy");
	struct om_radio_bearer b = { .ebi = 5, .proxy_ipv4 = { 127, 0, 0, 1 }, .proxy_port = ntohs(sa.sin_port) };
	memset(b.key, 0xa5, sizeof(b.key));
	pthread_t th;
	if (pthread_create(&th, NULL, fake_proxy_run, &p))
		FX_DIE("thread");
	struct agent_dm *dm = NULL;
	int rc = agent_dm_new(&dm, "https://dpf.sho-a.invalid:8443/dm", &b, NULL, 0, "/nonexistent.pem", 2000, dev_id,
			      "user");
	if (rc == 0) {
		agent_dm_begin(dm);
		agent_dm_package1(&dm->out, dm->dev_id, NULL, 0, NULL);
		rc = agent_dm_exchange(dm);
		snprintf(why, why_len, "%s", dm->why);
		agent_dm_free(dm);
	}
	pthread_join(th, NULL);
	close(p.lfd);
	snprintf(request, req_len, "%s", p.request);
	return rc;
}

/*
 * The DM client opens the bearer's tunnel itself (issue 14: libcurl 7.88
 * reads a proxy's answer one byte per system call) and libcurl speaks TLS
 * over it. The CONNECT names the PROVURL's host and port and carries the
 * bearer's key; a refusal is a lost message whose reason is the proxy's
 * answer; an answer with bytes after it is no proxy's (the DPF speaks only
 * after our ClientHello) and opens nothing.
 */
static void test_dm_tunnel_through_the_bearer(const struct fx_tre *t)
{
	char why[256], req[1024], key[2 * OM_RADIO_BEARER_KEY_LEN + 1];
	memset(key, 'a', sizeof(key) - 1);
	for (size_t i = 1; i < sizeof(key) - 1; i += 2)
		key[i] = '5';
	key[sizeof(key) - 1] = 0;
	int rc = tunnel_exchange(t->tre_id, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n"
				 "Connection: close\r\n\r\n", why, sizeof(why), req, sizeof(req));
	CHECK_INT(rc, OM_EAGENT_NETWORK);
	CHECK_MSG(strstr(why, "407") != NULL, "the proxy's answer in the reason: %s", why);
	static const char line[] = "CONNECT dpf.sho-a.invalid:8443 HTTP/1.1\r\n", hdr[] = "\r\nProxy-Authorization: Bearer ";
	CHECK_MSG(!strncmp(req, line, strlen(line)), "CONNECT line: %s", req);
	const char *auth = strstr(req, hdr);
	CHECK_MSG(auth && !strncmp(auth + strlen(hdr), key, strlen(key)) &&
			  !strncmp(auth + strlen(hdr) + strlen(key), "\r\n", 2),
		  "the bearer's key on the CONNECT: %s", req);
	rc = tunnel_exchange(t->tre_id, "HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x03", why, sizeof(why),
			     req, sizeof(req));
	CHECK_INT(rc, OM_EAGENT_NETWORK);
	CHECK_MSG(strstr(why, "bearer's proxy answered HTTP/1.1 200") != NULL, "bytes after the answer: %s", why);
	/* the proxy's words reach the dm-lost event's why="..." as printable text only: no quote, no
	 * backslash, no control byte of its own to forge a field or move a terminal */
	rc = tunnel_exchange(t->tre_id, "HTTP/1.1 403 \"x\" why=\\n\x1b[31m\x7f\xc3\xa9\r\n\r\n", why, sizeof(why),
			     req, sizeof(req));
	CHECK_INT(rc, OM_EAGENT_NETWORK);
	CHECK_MSG(strstr(why, "answered HTTP/1.1 403 ?x? why=?n?[31m???") != NULL, "the proxy's text as it is kept: %s",
		  why);
	CHECK_MSG(strpbrk(why, "\"\\\x1b\x7f") == NULL, "a quote, backslash or control byte in: %s", why);
	/* a host libcurl might look up under another spelling than the CONNECT's (its DNS entry missed,
	 * the device's resolver asked): refused before any connection */
	static const char *const odd[] = { "https://dpf.sho-a.invalid.:8443/dm", "https://dpf.sho-a.invalid..:8443/dm" };
	struct om_radio_bearer b = { .ebi = 5, .proxy_ipv4 = { 127, 0, 0, 1 }, .proxy_port = 9 };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct agent_dm *dm = NULL;
		CHECK_MSG(agent_dm_new(&dm, odd[i], &b, NULL, 0, "/nonexistent.pem", 2000, t->tre_id, "user") == OM_EINVAL &&
				  dm == NULL,
			  "%s taken", odd[i]);
		agent_dm_free(dm);
	}
	struct agent_dm *dm = NULL;
	CHECK_INT(agent_dm_new(&dm, "https://dpf.sho-a.invalid:8443/dm", &b, NULL, 0, "/nonexistent.pem", 2000, t->tre_id,
			       "user"),
		  0);
	agent_dm_free(dm);
}

int main(void)
{
	struct om_ca *pva = NULL;
	EVP_PKEY *pva_key = NULL;
	struct fx_sho ro;
	struct fx_tre t;
	if (om_key_generate(&pva_key, OM_KEY_EC_P256) || om_ca_create(&pva, pva_key, "PVA Root", 0, 0))
		FX_DIE("pva");
	fx_sho_init(&ro, "RO-Example");
	fx_tre_init(&t, pva, "TRE-00000601", &ro, OM_KEY_X25519);
	if (om_tre_personalise(t.dir, &t.p, 0))
		FX_DIE("personalise");
	test_configuration_is_checked_first();
	test_unreachable_vno_is_retried_then_reported(&t);
	test_networks_are_tried_in_order(&t);
	test_dm_tunnel_through_the_bearer(&t);
	test_program_exit_statuses(&t);
	fx_tre_free(&t);
	fx_sho_free(&ro);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	return check_done();
}
