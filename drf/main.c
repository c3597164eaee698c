/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-drf: the DRF daemon (B.2.3.2 step 2, B.2.3.3, Note Z).
 *
 *   openmcim-drf -c drf.conf
 *
 * Reads [drf] (conf/drf.conf.example documents every key), opens the
 * register with our SHO_SIGNING key, serves HTTPS with required client
 * certificates to the peer operators (drf_http.h), and runs the delivery
 * loop (push.h) until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <openmcim/pki.h>

#include "conf.h"
#include "admin_socket.h"
#include "daemon.h"
#include "drf.h"
#include "drf_admin.h"
#include "drf_http.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "push.h"
#include "reason.h"
#include "store_fence.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const struct om_conf_key keys[] = {
	{ "drf", "db", 1 },		  { "drf", "sho_id", 1 },	   { "drf", "signing_key", 1 },
	{ "drf", "signing_cert", 1 },	  { "drf", "tls_cert", 1 },	   { "drf", "tls_key", 1 },
	{ "drf", "client_ca", 1 },	  { "drf", "peers", 1 },	   { "drf", "listen", 0 },
	{ "drf", "port", 0 },		  { "drf", "grace_period", 0 },	   { "drf", "push_url", 0 },
	{ "drf", "push_ca", 0 },	  { "drf", "push_cert", 0 },	   { "drf", "push_key", 0 },
	{ "drf", "push_retry_min", 0 },	  { "drf", "push_retry_max", 0 },  { "drf", "hss_socket", 0 },
	{ "drf", "removal_interval", 0 }, { "drf", "max_body", 0 },	   { "drf", "log_level", 0 },
	{ "drf", "hss_timeout", 0 },	  { "drf", "removal_retry_min", 0 }, { "drf", "removal_retry_max", 0 },
	{ "drf", "peer_certs", 1 },	  OM_HTTP_CONF_KEYS("drf"),
	{ "drf", "admin_socket", 0 }, { "drf", "admin_socket_allow", 0 },
	{ "drf", "signer_status", 0 },   { "drf", "signer_issuer", 0 },
	{ "drf", "signer_status_max_age", 0 },
	OM_STORE_FENCE_CONF_KEYS("drf"),
	OM_METRICS_CONF_KEYS,
};

struct settings {
	struct om_store_fence_conf fence;
	const char *db, *sho_id, *signing_key, *signing_cert, *listen;
	struct om_http_tls tls;
	struct drf_push_config push;
	const char *hss_socket, *admin_socket, *signer_status, *signer_issuer;
	uint64_t status_max_age;
	uint64_t port, grace, max_body, hss_timeout, removal_min, removal_max;
	int log_level;
	struct om_http_limits limits;
};

static const char usage[] = "usage: openmcim-drf -c FILE | --config FILE\n"
			    "       openmcim-drf --help | --version\n"
			    "The DRF: handovers between operators over mutual TLS, bootstrap push through the VNO,\n"
			    "removal of old subscriptions; see conf/drf.conf.example and docs/drf.md.\n";

static int read_settings(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	uint64_t rmin, rmax, every;
	memset(s, 0, sizeof(*s));
	s->db = om_conf_get(c, "drf", "db");
	if (om_store_fence_conf(c, "drf", &s->fence, err, len))
		return -1;
	s->sho_id = om_conf_get(c, "drf", "sho_id");
	s->signing_key = om_conf_get(c, "drf", "signing_key");
	s->signing_cert = om_conf_get(c, "drf", "signing_cert");
	s->tls.cert_file = om_conf_get(c, "drf", "tls_cert");
	s->tls.key_file = om_conf_get(c, "drf", "tls_key");
	s->tls.client_ca_file = om_conf_get(c, "drf", "client_ca");
	s->tls.require_client_cert = 1;
	s->listen = om_conf_str(c, "drf", "listen", "127.0.0.1");
	s->push.url = om_conf_get(c, "drf", "push_url");
	s->push.ca_file = om_conf_get(c, "drf", "push_ca");
	s->push.cert_file = om_conf_get(c, "drf", "push_cert");
	s->push.key_file = om_conf_get(c, "drf", "push_key");
	s->hss_socket = om_conf_get(c, "drf", "hss_socket");
	s->admin_socket = om_conf_get(c, "drf", "admin_socket");
	if (om_admin_socket_allow_conf(c, "drf", "admin_socket", err, len) < 0)
		return -1;
	s->signer_status = om_conf_get(c, "drf", "signer_status");
	s->signer_issuer = om_conf_get(c, "drf", "signer_issuer");
	if (om_conf_uint(c, "drf", "port", 8443, 0, 65535, &s->port, err, len) ||
	    om_conf_uint(c, "drf", "grace_period", DRF_GRACE_DEFAULT, 1, 366u * 86400u, &s->grace, err, len) ||
	    om_conf_uint(c, "drf", "max_body", 8192, 1024, 1u << 20, &s->max_body, err, len) ||
	    om_conf_uint(c, "drf", "signer_status_max_age", DRF_STATUS_MAX_AGE_DEFAULT, 60, 30u * 86400u,
			 &s->status_max_age, err, len) ||
	    om_http_limits_read(c, "drf", &s->limits, err, len) ||
	    om_conf_uint(c, "drf", "push_retry_min", 5, 1, 3600, &rmin, err, len) ||
	    om_conf_uint(c, "drf", "push_retry_max", 600, 1, 86400, &rmax, err, len) ||
	    om_conf_uint(c, "drf", "removal_interval", 60, 1, 86400, &every, err, len) ||
	    om_conf_uint(c, "drf", "hss_timeout", DRF_HSS_TIMEOUT_DEFAULT, 100, 600000, &s->hss_timeout, err, len) ||
	    om_conf_uint(c, "drf", "removal_retry_min", DRF_REMOVAL_RETRY_MIN_DEFAULT, 1, 86400, &s->removal_min, err,
			 len) ||
	    om_conf_uint(c, "drf", "removal_retry_max", DRF_REMOVAL_RETRY_MAX_DEFAULT, 1, 30u * 86400u, &s->removal_max,
			 err, len))
		return -1;
	if (rmax < rmin)
		return snprintf(err, len, "%s: push_retry_max below push_retry_min", om_conf_path(c)), -1;
	if (s->removal_max < s->removal_min)
		return snprintf(err, len, "%s: removal_retry_max below removal_retry_min", om_conf_path(c)), -1;
	if (!s->push.cert_file != !s->push.key_file)
		return snprintf(err, len, "%s: push_cert and push_key go together", om_conf_path(c)), -1;
	if (!s->signer_status != !s->signer_issuer)
		return snprintf(err, len, "%s: signer_status and signer_issuer go together", om_conf_path(c)), -1;
	s->push.retry_min_s = (unsigned)rmin;
	s->push.retry_max_s = (unsigned)rmax;
	s->push.removal_every_s = s->hss_socket ? (unsigned)every : 0;
	s->log_level = om_log_level_parse(om_conf_str(c, "drf", "log_level", "info"));
	if (s->log_level < 0)
		return snprintf(err, len, "%s: log_level must be debug, info, notice or error", om_conf_path(c)), -1;
	return 0;
}

/* Our SHO_SIGNING key and certificate; the certificate's CN must be sho_id. */
static int load_identity(const struct settings *s, EVP_PKEY **key, X509 **cert, char *err, size_t len)
{
	char cn[OM_NAME_MAX_LEN + 1];
	if (om_key_load(key, s->signing_key) < 0)
		return snprintf(err, len, "cannot load signing_key %s", s->signing_key), -1;
	if (om_cert_load(cert, s->signing_cert) < 0)
		return snprintf(err, len, "cannot load signing_cert %s", s->signing_cert), -1;
	if (om_cert_subject_cn(*cert, cn) < 0 || strcmp(cn, s->sho_id))
		return snprintf(err, len, "signing_cert %s is not for sho_id %s", s->signing_cert, s->sho_id), -1;
	return 0;
}

/* After every HTTP request, under the daemon's lock: no statement left busy (svc/store.h). */
static struct drf *idle_drf;
static pthread_mutex_t *idle_lock;
static void http_idle(void *arg, const char *path)
{
	(void)arg;
	pthread_mutex_lock(idle_lock);
	(void)drf_idle(idle_drf, path);
	pthread_mutex_unlock(idle_lock);
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "drf", .version = OPENMCIM_VERSION, .usage = usage };
	static struct drf_http web; /* large (the peer table); lives as long as the process */
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct om_http_server *http = NULL;
	struct drf *d = NULL;
	struct drf_push *push = NULL;
	struct drf_admin admin = { 0 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *issuer = NULL;
	struct settings s;
	struct om_metrics_server *metrics = NULL;
	char err[512] = "";
	int status = 1, curl_up = 0;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	memset(&s, 0, sizeof(s));
	drf_http_init(&web);
	om_log_init("drf", OM_LOG_INFO);
	conf = om_conf_load(conf_path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	if (!conf || read_settings(conf, &s, err, sizeof(err)) || om_metrics_conf_check(conf, err, sizeof(err))) {
		fprintf(stderr, "openmcim-drf: %s\n", err);
		goto out;
	}
	if (drf_http_peers_parse(&web, om_conf_get(conf, "drf", "peers"), err, sizeof(err)) ||
	    drf_http_pins_parse(&web, om_conf_get(conf, "drf", "peer_certs"), err, sizeof(err))) {
		fprintf(stderr, "openmcim-drf: %s: %s\n", om_conf_path(conf), err);
		goto out;
	}
	om_log_init("drf", (enum om_log_level)s.log_level);
	const struct om_daemon_file_use files[] = {
		{ s.db, OM_DAEMON_DB },		       { s.signing_key, OM_DAEMON_SECRET },
		{ s.tls.key_file, OM_DAEMON_SECRET }, { s.push.key_file, OM_DAEMON_SECRET },
		{ s.fence.peer, OM_DAEMON_DB }, /* a postgresql:// URI (om_store_fence_conf): its credential's files */
	};
	if (om_daemon_private("drf", files, sizeof(files) / sizeof(files[0])) < 0)
		goto out;
	if (om_daemon_checked(conf_path)) {
		status = 0;
		goto out;
	}

	/* the HTTP and delivery threads inherit this mask; only sigwait() sees the signals */
	om_daemon_block_signals();

	/* a promoted copy of our register serves: not a single handover or completion here (docs/decisions.md) */
	if ((rc = om_store_fence_start(&s.fence, err, sizeof(err))) < 0) {
		om_error(rc == OM_ESTORE_FENCED ? "fenced" : "start", "reason=\"%s\"", err);
		if (rc == OM_ESTORE_FENCED)
			status = OM_STORE_FENCED_EXIT;
		goto out;
	}
	if (!om_curl_ready()) {
		om_error("start", "reason=\"libcurl\"");
		goto out;
	}
	curl_up = 1;
	if (load_identity(&s, &key, &cert, err, sizeof(err))) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	if (s.signer_issuer && om_cert_load(&issuer, s.signer_issuer) < 0) {
		om_error("start", "reason=\"cannot load signer_issuer %s\"", s.signer_issuer);
		goto out;
	}
	struct drf_config dc = { .db_path = s.db,
				 .sign_key = key,
				 .sign_cert = cert,
				 .grace_s = (int64_t)s.grace,
				 .hss_socket = s.hss_socket,
				 .hss_timeout_ms = (int)s.hss_timeout,
				 .removal_retry_min_s = (int64_t)s.removal_min,
				 .removal_retry_max_s = (int64_t)s.removal_max,
				 .signer_status_file = s.signer_status,
				 .signer_issuer = issuer,
				 .signer_status_max_age_s = (int64_t)s.status_max_age };
	if (drf_open(&d, &dc, err, sizeof(err)) < 0 || drf_push_start(&push, &s.push, d, &lock, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	/* drf-admin and the operator's DPF reach the register here, never through its file */
	admin.drf = d;
	admin.lock = &lock;
	if (s.admin_socket && drf_admin_start(&admin, s.admin_socket, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	web.drf = d;
	web.lock = &lock;
	web.push = push;
	struct om_http_opts ho = { .addr = s.listen, .port = (uint16_t)s.port, .max_body = (size_t)s.max_body,
				   .tls = &s.tls, .limits = s.limits };
	idle_drf = d;
	idle_lock = &lock;
	if (om_http_server_new(&http, &ho, err, sizeof(err)) == 0)
		om_http_server_after(http, http_idle, NULL);
	if (!http || drf_http_routes(http, &web) < 0 ||
	    om_http_server_start(http) < 0) {
		om_error("start", "reason=\"%s\"", *err ? err : "HTTP server");
		goto out;
	}
	if (om_metrics_start(om_conf_get(conf, "metrics", "listen"), &metrics, err, sizeof(err)) < 0 ||
	    om_metrics_watch_http(http) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	char where[256];
	om_store_conf_redact(s.db, where, sizeof(where));
	om_notice("started", "sho_id=%s listen=%s port=%u db=%s peers=%zu push=%s hss=%s admin=%s", s.sho_id,
		  s.listen, (unsigned)om_http_server_port(http), where, web.n_peers, s.push.url ? s.push.url : "-",
		  s.hss_socket ? s.hss_socket : "-", s.admin_socket ? s.admin_socket : "-");

	om_daemon_reloadable(conf_path, "drf");
	om_daemon_wait();
	status = 0;
out:
	om_store_fence_stop();
	om_metrics_stop(metrics);
	om_http_server_free(http); /* no handler runs after this */
	drf_http_free(&web);       /* the remembered peer certificates */
	drf_admin_stop(&admin);
	drf_push_stop(push);
	drf_close(d);
	if (status == 0)
		om_notice("stopped", "listen=%s", s.listen);
	X509_free(cert);
	X509_free(issuer);
	EVP_PKEY_free(key);
	if (curl_up)
		curl_global_cleanup();
	om_conf_free(conf);
	return status;
}
