/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-sho: the SHO registration daemon (spec/002 B.2.3.2, issue 5).
 *
 *   openmcim-sho -c sho.conf
 *
 * The registration service's configuration (docs/sho.md "Configuration")
 * plus [daemon] (the owner API over HTTPS, our OPERATOR_TLS identity
 * towards other operators) and one [peer.<SHO_ID>] per current SHO whose
 * devices we take over (its DRF's URL and the CA of its TLS certificate);
 * conf/sho.conf.example documents every key. Serves the owner API
 * (sho_http.h) until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>
#include <openmcim/pki.h>

#include "conf.h"
#include "admin_socket.h"
#include "daemon.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "api.h"
#include "move.h"
#include "sho.h"
#include "sho_admin.h"
#include "sho_conf.h"
#include "sho_http.h"
#include "sho_internal.h"
#include "sho_peer.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif
#ifndef OPENMCIM_CONSOLE_DIR
#define OPENMCIM_CONSOLE_DIR "/usr/share/openmcim/console"
#endif

static const char usage[] = "usage: openmcim-sho -c FILE | --config FILE\n"
			    "       openmcim-sho --help | --version | --routes\n"
			    "The SHO registration service: the owners' HTTPS API (register, status, handover),\n"
			    "handover requests to the current SHO's DRF over mutual TLS; see conf/sho.conf.example\n"
			    "and docs/sho.md.\n";

/* The registration service's keys (as sho/sho_conf.c), then the daemon's. */
static const struct om_conf_key base_keys[] = {
	{ "sho", "db", 1 },		    { "sho", "id", 1 },
	{ "imsi", "mcc", 1 },		    { "imsi", "mnc", 1 },
	{ "imsi", "msin_first", 1 },	    { "imsi", "msin_last", 1 },
	{ "subscription", "op", 1 },	    { "subscription", "apn", 1 },
	{ "subscription", "roaming", 1 },   { "subscription", "amf", 0 },
	{ "subscription", "ind_bits", 0 },  { "pva", "ca", 1 },
	{ "pva", "ocsp_url", 1 },	    { "hss", "socket", 1 },
	{ "handover", "sign_key", 1 },	    { "handover", "sign_cert", 1 },
	{ "handover", "provurl", 1 },	    { "handover", "server_id", 1 },
	{ "handover", "dpf_apn", 1 },	    { "daemon", "listen", 0 },
	{ "daemon", "port", 0 },	    { "daemon", "tls_cert", 1 },
	{ "daemon", "tls_key", 1 },	    { "daemon", "operator_cert", 1 },
	{ "daemon", "operator_key", 1 },    { "daemon", "peer_timeout", 0 },
	{ "daemon", "max_body", 0 },	    { "daemon", "spool", 0 },
	{ "daemon", "log_level", 0 },	    { "daemon", "workers", 0 },
	{ "daemon", "queue_max", 0 },	    { "daemon", "auth_fail_max", 0 },
	{ "daemon", "auth_fail_window", 0 }, { "daemon", "scrypt_max", 0 },
	{ "daemon", "hss_probe_timeout", 0 }, OM_HTTP_CONF_KEYS("daemon"),
	{ "daemon", "internal_socket", 0 }, { "daemon", "admin_socket", 0 },
	{ "daemon", "internal_socket_allow", 0 }, { "daemon", "admin_socket_allow", 0 },
	{ "console", "dir", 0 },	    { "drf", "admin_socket", 0 },
	{ "synthetic", "dir", 0 },
	OM_METRICS_CONF_KEYS,
};
#define N_BASE (sizeof(base_keys) / sizeof(base_keys[0]))

struct settings {
	struct sho_conf_file svc; /* svc.conf unused: the file is read with the daemon's keys */
	const char *listen, *internal_socket, *admin_socket, *console_dir, *drf_socket;
	struct om_http_tls tls;
	uint64_t port, max_body;
	int log_level;
	struct sho_peers peers;
	struct om_http_limits limits;
	uint64_t fail_max, fail_window, scrypt_max, hss_probe_ms;
};

static void settings_free(struct settings *s)
{
	X509_free(s->svc.pva_ca);
	X509_free(s->svc.sign_cert);
	EVP_PKEY_free(s->svc.sign_key);
	OPENSSL_cleanse(s->svc.op, sizeof(s->svc.op));
}

/* The owner API's bounds (docs/sho.md "Bounds"): the HTTP limits, workers, the secret checks, the HSS probe. */
static int read_bounds(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	uint64_t workers, queue;
	if (om_http_limits_read(c, "daemon", &s->limits, err, len) < 0 ||
	    om_conf_uint(c, "daemon", "workers", 4, 1, 64, &workers, err, len) ||
	    om_conf_uint(c, "daemon", "queue_max", OM_HTTP_QUEUE_DEFAULT, 1, 4096, &queue, err, len) ||
	    om_conf_uint(c, "daemon", "auth_fail_max", SHO_GUARD_FAIL_MAX_DEFAULT, 1, 10000, &s->fail_max, err, len) ||
	    om_conf_uint(c, "daemon", "auth_fail_window", SHO_GUARD_WINDOW_DEFAULT, 1, 86400, &s->fail_window, err,
			 len) ||
	    om_conf_uint(c, "daemon", "scrypt_max", SHO_GUARD_SCRYPT_DEFAULT, 1, 64, &s->scrypt_max, err, len) ||
	    om_conf_uint(c, "daemon", "hss_probe_timeout", 2000, 100, 60000, &s->hss_probe_ms, err, len))
		return -1;
	s->limits.workers = (unsigned)workers;
	s->limits.queue_max = (unsigned)queue;
	return 0;
}

/* [daemon] and the peers. */
static int read_daemon(const struct om_conf *c, struct settings *s, char ids[][OM_HANDOVER_SHO_ID_MAX + 1],
		       size_t n_ids, char *err, size_t len)
{
	const char *path = om_conf_path(c);
	uint64_t timeout;
	X509 *x = NULL;
	int ok;
	s->listen = om_conf_str(c, "daemon", "listen", "127.0.0.1");
	s->internal_socket = om_conf_get(c, "daemon", "internal_socket");
	s->admin_socket = om_conf_get(c, "daemon", "admin_socket");
	if (om_admin_socket_allow_conf(c, "daemon", "internal_socket", err, len) < 0 ||
	    om_admin_socket_allow_conf(c, "daemon", "admin_socket", err, len) < 0)
		return -1;
	/* the console's files (docs/owner.md): installed with the SHO, or the checkout's for a build tree */
	s->console_dir = om_conf_str(c, "console", "dir", OPENMCIM_CONSOLE_DIR);
	s->drf_socket = om_conf_get(c, "drf", "admin_socket");
	/* [daemon] spool is still accepted and ignored: delivery notes are parsed in memory now */
	s->tls.cert_file = om_conf_get(c, "daemon", "tls_cert");
	s->tls.key_file = om_conf_get(c, "daemon", "tls_key");
	s->peers.cert_file = om_conf_get(c, "daemon", "operator_cert");
	s->peers.key_file = om_conf_get(c, "daemon", "operator_key");
	if (om_conf_uint(c, "daemon", "port", 8444, 0, 65535, &s->port, err, len) ||
	    om_conf_uint(c, "daemon", "max_body", 8u << 20, 1024, 64u << 20, &s->max_body, err, len) ||
	    om_conf_uint(c, "daemon", "peer_timeout", 10000, 100, 600000, &timeout, err, len) ||
	    read_bounds(c, s, err, len) < 0)
		return -1;
	s->peers.timeout_ms = (long)timeout;
	s->log_level = om_log_level_parse(om_conf_str(c, "daemon", "log_level", "info"));
	if (s->log_level < 0)
		return snprintf(err, len, "%s: [daemon] log_level must be debug, info, notice or error", path), -1;
	ok = om_cert_load(&x, s->peers.cert_file) == 0 && om_cert_check_profile(x, OM_CERT_OPERATOR_TLS) == 0;
	X509_free(x);
	if (!ok)
		return snprintf(err, len, "%s: [daemon] operator_cert: not an OPERATOR_TLS certificate", path), -1;
	for (size_t i = 0; i < n_ids; i++) {
		char sec[OM_HANDOVER_SHO_ID_MAX + 8];
		struct sho_peer *p = &s->peers.p[i];
		snprintf(sec, sizeof(sec), "peer.%.*s", OM_HANDOVER_SHO_ID_MAX, ids[i]);
		const char *url = om_conf_get(c, sec, "url"), *ca = om_conf_get(c, sec, "ca");
		if (strncmp(url, "https://", 8) || strlen(url) <= 8 || strlen(url) > SHO_PEER_URL_MAX)
			return snprintf(err, len, "%s: [%s] url must be https://HOST[:PORT][/PATH]", path, sec), -1;
		x = NULL;
		ok = strlen(ca) < sizeof(p->ca_file) && om_cert_load(&x, ca) == 0;
		X509_free(x);
		if (!ok)
			return snprintf(err, len, "%s: [%s] ca: cannot read a PEM certificate", path, sec), -1;
		snprintf(p->sho_id, sizeof(p->sho_id), "%.*s", OM_HANDOVER_SHO_ID_MAX, ids[i]);
		snprintf(p->url, sizeof(p->url), "%s", url);
		snprintf(p->ca_file, sizeof(p->ca_file), "%s", ca);
	}
	s->peers.n = n_ids;
	return 0;
}

/* After every owner API request, under the handler lock: no statement left busy (svc/store.h). */
static void http_idle(void *arg, const char *path)
{
	(void)sho_idle(arg, path);
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "sho", .version = OPENMCIM_VERSION, .usage = usage };
	static char ids[SHO_PEERS_MAX][OM_HANDOVER_SHO_ID_MAX + 1];
	static struct settings s; /* the peer table is large */
	static struct sho_http web;
	static struct sho_api api;
	static struct sho_mover mover;
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct om_http_server *http = NULL;
	struct om_metrics_server *metrics = NULL;
	struct sho *sho = NULL, *sho_dpf = NULL, *sho_op = NULL;
	static struct sho_internal internal;
	static struct sho_admin admin;
	char err[512] = "";
	size_t n_ids = 0;
	int status = 1;

	if (argc == 2 && !strcmp(argv[1], "--routes")) {
		/* what the daemon serves, for the OpenAPI test (docs/openapi.yaml must describe each) */
		for (const struct sho_route *rt = sho_http_route_table(); rt->method; rt++)
			printf("%s %s\n", rt->method, rt->path);
		for (const struct sho_route *rt = sho_api_route_table(); rt->method; rt++)
			printf("%s %s\n", rt->method, rt->path);
		return 0;
	}
	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("sho", OM_LOG_INFO);
	if (!(conf = sho_peer_conf_load(conf_path, base_keys, N_BASE, ids, &n_ids, err, sizeof(err))) ||
	    sho_conf_read(conf, &s.svc, err, sizeof(err)) || read_daemon(conf, &s, ids, n_ids, err, sizeof(err)) ||
	    om_metrics_conf_check(conf, err, sizeof(err))) {
		fprintf(stderr, "openmcim-sho: %s\n", err);
		goto out;
	}
	om_log_init("sho", (enum om_log_level)s.log_level);
	/* the configuration holds the operator's OP (sho_conf.h) */
	const struct om_daemon_file_use files[] = {
		{ conf_path, OM_DAEMON_SECRET },
		{ s.svc.cfg.db_path, OM_DAEMON_DB },
		{ om_conf_get(conf, "handover", "sign_key"), OM_DAEMON_SECRET },
		{ s.tls.key_file, OM_DAEMON_SECRET },
		{ s.peers.key_file, OM_DAEMON_SECRET },
	};
	if (om_daemon_private("sho", files, sizeof(files) / sizeof(files[0])) < 0)
		goto out;
	if (om_daemon_checked(conf_path)) {
		status = 0;
		goto out;
	}
	om_daemon_block_signals();

	if (sho_open(&sho, &s.svc.cfg, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	/* the operator's DPF asks here for what it needs of a registration, on a handle of its own
	 * (the HTTP thread keeps its own): docs/decisions.md "Internal interfaces" */
	if (s.internal_socket &&
	    (sho_open(&sho_dpf, &s.svc.cfg, err, sizeof(err)) < 0 ||
	     sho_internal_start(&internal, sho_dpf, s.internal_socket, err, sizeof(err)) < 0)) {
		om_error("start", "reason=\"internal socket: %s\"", err);
		goto out;
	}
	/* the operator's sho-admin: owners and status here, never through the database (sho_admin.h) */
	if (s.admin_socket && (sho_open(&sho_op, &s.svc.cfg, err, sizeof(err)) < 0 ||
			       sho_admin_start(&admin, sho_op, s.admin_socket, err, sizeof(err)) < 0)) {
		om_error("start", "reason=\"admin socket: %s\"", err);
		goto out;
	}
	web.sho = sho;
	web.peers = &s.peers;
	web.hss_socket = s.svc.cfg.hss_socket;
	web.hss_probe_ms = (unsigned)s.hss_probe_ms;
	sho_guard_init(&web.guard, (unsigned)s.fail_max, (unsigned)s.fail_window, (unsigned)s.scrypt_max);
	struct om_http_opts ho = { .addr = s.listen, .port = (uint16_t)s.port, .max_body = (size_t)s.max_body,
				   .timeout_s = 60, .tls = &s.tls, .limits = s.limits };
	api.sho = sho;
	api.http = &web;
	api.peers = &s.peers;
	api.mover = &mover;
	api.sho_id = s.svc.cfg.sho_id;
	api.drf_socket = s.drf_socket;
	struct stat cd;
	api.console_dir = stat(s.console_dir, &cd) == 0 && S_ISDIR(cd.st_mode) ? s.console_dir : NULL;
	if (!api.console_dir)
		om_notice("console", "dir=%s result=absent (the JSON API is served, the console is not)", s.console_dir);
	/* Alternative 3: a manufacturer's public range and verifiers (docs/sho.md "Synthetic credentials") */
	const char *synth_dir = om_conf_get(conf, "synthetic", "dir");
	if (synth_dir && sho_synth_load(&api.synth, synth_dir, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	api.synth_target = (struct sho_synth_target){ .hss_socket = s.svc.cfg.hss_socket,
						      .roaming = s.svc.cfg.roaming,
						      .ind_bits = s.svc.cfg.ind_bits };
	if (api.synth)
		om_notice("synthetic", "dir=%s devices=%zu", synth_dir, sho_synth_devices(api.synth));
	/* the peers' roots and our identity read once; links to the DRFs kept between calls (issue 14) */
	if (sho_peers_connect(&s.peers, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	if (sho_mover_start(&mover, &s.svc.cfg, &s.peers) < 0) {
		om_error("start", "reason=\"cannot start the mover's thread\"");
		goto out;
	}
	if (om_http_server_new(&http, &ho, err, sizeof(err)) == 0)
		om_http_server_after(http, http_idle, sho);
	if (!http || sho_http_routes(http, &web) < 0 ||
	    sho_api_routes(http, &api) < 0 || om_http_server_start(http) < 0) {
		om_error("start", "reason=\"%s\"", *err ? err : "HTTP server");
		goto out;
	}
	if (om_metrics_start(om_conf_get(conf, "metrics", "listen"), &metrics, err, sizeof(err)) < 0 ||
	    om_metrics_watch_http(http) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	char where[256];
	om_store_conf_redact(s.svc.cfg.db_path, where, sizeof(where));
	om_notice("started", "sho_id=%s listen=%s port=%u db=%s peers=%zu internal=%s admin=%s", s.svc.cfg.sho_id,
		  s.listen, (unsigned)om_http_server_port(http), where, s.peers.n,
		  s.internal_socket ? s.internal_socket : "-", s.admin_socket ? s.admin_socket : "-");
	om_daemon_reloadable(conf_path, "daemon");
	om_daemon_wait();
	status = 0;
out:
	om_metrics_stop(metrics);
	om_http_server_free(http);
	sho_internal_stop(&internal);
	sho_close(sho_dpf);
	sho_admin_stop(&admin);
	sho_close(sho_op);
	sho_mover_stop(&mover);
	sho_peers_close(&s.peers);
	sho_api_free(&api);
	sho_close(sho);
	if (status == 0)
		om_notice("stopped", "listen=%s", s.listen);
	settings_free(&s);
	om_conf_free(conf);
	return status;
}
