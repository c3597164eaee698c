/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-aas: the application activation server of spec/000 5.2.4.6.3
 * (steps 7-8) as an OMA DM 1.2 server over HTTPS (aas.h; docs/aas.md).
 *
 *   openmcim-aas -c aas.conf
 *
 * Reads [aas], then serves POST <path> with application/vnd.syncml.dm+xml
 * until SIGTERM or SIGINT: each device that names itself gets the
 * application parameters params_dir holds for it as ./M2MAppParams. Its
 * TLS key is the key of the certificate the devices hold as their trust
 * root (the manufacturer's Cert_SHO[0]): the devices pin that key and talk
 * to nobody else. Each TRE's certificate is checked at the PVA's OCSP
 * responder ([aas] ocsp_url) before anything is sent; [metrics] listen
 * serves its counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/dm.h>
#include <openmcim/pki.h>

#include "aas.h"
#include "conf.h"
#include "daemon.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "ocsp_client.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const struct om_conf_key keys[] = {
	{ "aas", "tls_cert", 1 },   { "aas", "tls_key", 1 }, { "aas", "params_dir", 1 }, { "aas", "server_uri", 1 },
	{ "aas", "tre_ca", 1 },	    { "aas", "ocsp_url", 1 }, { "aas", "ocsp_timeout", 0 }, { "aas", "workers", 0 },
	{ "aas", "listen", 0 },	    { "aas", "port", 0 },    { "aas", "path", 0 },	 { "aas", "max_body", 0 },
	{ "aas", "log_level", 0 },  OM_HTTP_CONF_KEYS("aas"), OM_METRICS_CONF_KEYS,
};

static const char usage[] = "usage: openmcim-aas -c FILE | --config FILE\n"
			    "       openmcim-aas --help | --version\n"
			    "The application activation server: OMA DM 1.2 over HTTPS, ./M2MAppParams per device;\n"
			    "see conf/aas.conf.example and docs/aas.md.\n";

static void dm_post(struct om_http_req *req, void *arg)
{
	const struct aas_config *cfg = arg;
	const char *ct = om_http_req_header(req, "Content-Type");
	size_t len = 0, out_len = 0;
	uint8_t *out = NULL;
	struct aas_outcome oc;
	if (!ct || strncmp(ct, OM_DM_CONTENT_TYPE, strlen(OM_DM_CONTENT_TYPE))) {
		om_metric_inc(&aas_messages, "refused");
		om_metric_inc(&aas_refusals, "content-type");
		om_http_reply(req, 415, "text/plain", "application/vnd.syncml.dm+xml only\n", 35);
		return;
	}
	const uint8_t *body = om_http_req_body(req, &len);
	/* nothing shared but the OCSP client (thread-safe) and atomics: other handlers run while the PVA answers */
	om_http_release(req);
	int rc = aas_handle(cfg, body, len, time(NULL), &out, &out_len, &oc);
	om_http_reacquire(req);
	if (rc == 0 && !strcmp(oc.result, "status-unavailable")) {
		om_error("activation", "tre=%s result=%s code=%s reason=\"%s\"", oc.tre_id, oc.result,
			 om_errname(oc.code), oc.why);
		om_http_reply(req, 200, OM_DM_CONTENT_TYPE, out, out_len);
	} else if (rc == 0) {
		om_info("activation", "tre=%s result=%s%s%s dm=%u", oc.tre_id, oc.result, oc.code ? " code=" : "",
			oc.code ? om_errname(oc.code) : "", oc.device_status);
		om_http_reply(req, 200, OM_DM_CONTENT_TYPE, out, out_len);
	} else {
		const char *msg = om_strerror(rc);
		om_notice("activation", "peer=%s result=refused code=%s", om_http_req_peer(req), om_errname(rc));
		om_http_reply(req, 400, "text/plain", msg, strlen(msg));
	}
	free(out);
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "aas", .version = OPENMCIM_VERSION, .usage = usage };
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct om_http_server *http = NULL;
	struct om_metrics_server *metrics = NULL;
	struct om_http_tls tls = { .cert_file = NULL };
	struct om_http_limits limits;
	static struct aas_config cfg;
	uint64_t port = 0, max_body = 0, ocsp_ms = 0, workers = 0;
	X509 *ca = NULL;
	char err[512] = "";
	int status = 1;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("aas", OM_LOG_INFO);
	memset(&limits, 0, sizeof(limits));
	if (!(conf = om_conf_load(conf_path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err))) ||
	    om_conf_uint(conf, "aas", "port", 8447, 0, 65535, &port, err, sizeof(err)) ||
	    om_conf_uint(conf, "aas", "max_body", 16384, 1024, OM_DM_MSG_MAX, &max_body, err, sizeof(err)) ||
	    om_conf_uint(conf, "aas", "ocsp_timeout", 5000, 100, 60000, &ocsp_ms, err, sizeof(err)) ||
	    om_conf_uint(conf, "aas", "workers", 4, 1, 64, &workers, err, sizeof(err)) ||
	    om_http_limits_read(conf, "aas", &limits, err, sizeof(err)) || om_metrics_conf_check(conf, err, sizeof(err))) {
		fprintf(stderr, "openmcim-aas: %s\n", err);
		goto out;
	}
	const char *path = om_conf_str(conf, "aas", "path", "/aas"), *listen = om_conf_str(conf, "aas", "listen", "127.0.0.1");
	int level = om_log_level_parse(om_conf_str(conf, "aas", "log_level", "info"));
	if (path[0] != '/' || level < 0) {
		fprintf(stderr, "openmcim-aas: %s: %s\n", om_conf_path(conf),
			level < 0 ? "log_level must be debug, info, notice or error" : "[aas] path must start with '/'");
		goto out;
	}
	om_log_init("aas", (enum om_log_level)level);
	tls.cert_file = om_conf_get(conf, "aas", "tls_cert");
	tls.key_file = om_conf_get(conf, "aas", "tls_key");
	cfg.params_dir = om_conf_get(conf, "aas", "params_dir");
	cfg.server_uri = om_conf_get(conf, "aas", "server_uri");
	/* the CA of the devices' Cert_TRE: a device proves it is the TRE it names (docs/aas.md) */
	rc = om_cert_load(&ca, om_conf_get(conf, "aas", "tre_ca"));
	if (rc == 0)
		rc = om_trust_new(&cfg.trust, &ca, 1);
	if (rc < 0) {
		fprintf(stderr, "openmcim-aas: %s: [aas] tre_ca: %s (a PEM CA certificate)\n", om_conf_path(conf),
			om_strerror(rc));
		goto out;
	}
	/* and its status at the PVA, which issued it: its responder signs as that CA or its delegate */
	const char *ocsp_url = om_conf_get(conf, "aas", "ocsp_url");
	struct om_ocsp_options oo = { .timeout_ms = (long)ocsp_ms };
	if (strncmp(ocsp_url, "http://", 7) && strncmp(ocsp_url, "https://", 8)) {
		fprintf(stderr, "openmcim-aas: %s: [aas] ocsp_url must be an http:// or https:// URL\n", om_conf_path(conf));
		goto out;
	}
	if ((rc = om_ocsp_client_new(&cfg.ocsp, ocsp_url, ca, cfg.trust, &oo)) < 0) {
		fprintf(stderr, "openmcim-aas: %s: [aas] ocsp_url: %s\n", om_conf_path(conf), om_strerror(rc));
		goto out;
	}
	if (RAND_priv_bytes(cfg.cookie_key, sizeof(cfg.cookie_key)) != 1) {
		fprintf(stderr, "openmcim-aas: no random bytes\n");
		goto out;
	}
	/* devices come through their VNO's bearer proxy, many from one address: no per-source cap unless set */
	if (!om_conf_get(conf, "aas", "max_conns_per_source"))
		limits.max_conns_per_source = limits.max_conns;
	const struct om_daemon_file_use files[] = { { tls.key_file, OM_DAEMON_SECRET } };
	if (om_daemon_private("aas", files, 1) < 0)
		goto out;
	if (om_daemon_checked(conf_path)) {
		status = 0;
		goto out;
	}
	om_daemon_block_signals();
	limits.workers = (unsigned)workers;
	struct om_http_opts ho = { .addr = listen, .port = (uint16_t)port, .max_body = (size_t)max_body, .tls = &tls,
				   .limits = limits };
	aas_metrics_register();
	if (om_http_server_new(&http, &ho, err, sizeof(err)) < 0 || om_http_route(http, "POST", path, dm_post, &cfg) < 0 ||
	    om_http_server_start(http) < 0) {
		om_error("start", "reason=\"%s\"", *err ? err : "HTTP server");
		goto out;
	}
	if (om_metrics_start(om_conf_get(conf, "metrics", "listen"), &metrics, err, sizeof(err)) < 0 ||
	    om_metrics_watch_http(http) < 0) {
		om_error("start", "reason=\"metrics: %s\"", *err ? err : "no room");
		goto out;
	}
	om_notice("started", "listen=%s port=%u path=%s params_dir=%s ocsp_url=%s", listen,
		  (unsigned)om_http_server_port(http), path, cfg.params_dir, ocsp_url);
	om_daemon_reloadable(conf_path, "aas");
	om_daemon_wait();
	status = 0;
out:
	om_metrics_stop(metrics);
	om_http_server_free(http);
	if (status == 0)
		om_notice("stopped", "listen=%s", om_conf_str(conf, "aas", "listen", "127.0.0.1"));
	om_conf_free(conf);
	om_ocsp_client_free(cfg.ocsp);
	X509_free(ca);
	X509_STORE_free(cfg.trust);
	OPENSSL_cleanse(cfg.cookie_key, sizeof(cfg.cookie_key));
	return status;
}
