/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-pva: the PVA daemon (OCSP responder and platform validation).
 *
 *   openmcim-pva -c pva.conf
 *
 * Reads [pva] (conf/pva.conf.example documents every key), opens the
 * database, starts the admin socket and the HTTP server, and runs until
 * SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pva_admin.h"
#include "conf.h"
#include "admin_socket.h"
#include "daemon.h"
#include "pva_http.h"
#include "log.h"
#include "metrics.h"
#include "pva.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const struct om_conf_key keys[] = {
	{ "pva", "db", 1 },	       { "pva", "ca_cert", 1 },	     { "pva", "responder_cert", 1 },
	{ "pva", "responder_key", 1 }, { "pva", "listen", 0 },	     { "pva", "port", 0 },
	{ "pva", "admin_socket", 0 },  { "pva", "admin_socket_allow", 0 },  { "pva", "log_level", 0 },    { "pva", "next_update", 0 },
	{ "pva", "max_body", 0 },      OM_HTTP_CONF_KEYS("pva"),
	OM_METRICS_CONF_KEYS,
};

struct settings {
	struct pva_config pva;
	const char *listen, *admin_socket;
	uint64_t port, max_body;
	int log_level;
	struct om_http_limits limits;
};

static const char usage[] = "usage: openmcim-pva -c FILE | --config FILE\n"
			    "       openmcim-pva --help | --version\n"
			    "The PVA: OCSP responder (RFC 6960) and platform validation; see conf/pva.conf.example.\n";

static int read_settings(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	uint64_t v;
	memset(s, 0, sizeof(*s));
	s->pva.db_path = om_conf_get(c, "pva", "db");
	s->pva.ca_cert = om_conf_get(c, "pva", "ca_cert");
	s->pva.responder_cert = om_conf_get(c, "pva", "responder_cert");
	s->pva.responder_key = om_conf_get(c, "pva", "responder_key");
	s->listen = om_conf_str(c, "pva", "listen", "127.0.0.1");
	s->admin_socket = om_conf_get(c, "pva", "admin_socket");
	if (om_admin_socket_allow_conf(c, "pva", "admin_socket", err, len) < 0)
		return -1;
	if (om_conf_uint(c, "pva", "port", 8080, 0, 65535, &s->port, err, len) ||
	    om_conf_uint(c, "pva", "max_body", 16384, 256, 1u << 20, &s->max_body, err, len) ||
	    om_http_limits_read(c, "pva", &s->limits, err, len) ||
	    om_conf_uint(c, "pva", "next_update", PVA_NEXT_UPDATE_DEFAULT, 60, 7u * 86400u, &v, err, len))
		return -1;
	s->pva.next_update_s = (unsigned)v;
	s->log_level = om_log_level_parse(om_conf_str(c, "pva", "log_level", "info"));
	if (s->log_level < 0)
		return snprintf(err, len, "%s: log_level must be debug, info, notice or error", om_conf_path(c)), -1;
	return 0;
}

/* After every HTTP request: no statement left busy (svc/store.h). */
static void http_idle(void *arg, const char *path)
{
	(void)pva_idle(arg, path);
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "pva", .version = OPENMCIM_VERSION, .usage = usage };
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct pva *p = NULL;
	struct om_http_server *http = NULL;
	struct om_metrics_server *metrics = NULL;
	struct settings s;
	char err[512] = "";
	int status = 1, admin = 0;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("pva", OM_LOG_INFO);
	conf = om_conf_load(conf_path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	if (!conf || read_settings(conf, &s, err, sizeof(err)) || om_metrics_conf_check(conf, err, sizeof(err))) {
		fprintf(stderr, "openmcim-pva: %s\n", err);
		goto out;
	}
	om_log_init("pva", (enum om_log_level)s.log_level);
	const struct om_daemon_file_use files[] = { { s.pva.db_path, OM_DAEMON_DB },
						    { s.pva.responder_key, OM_DAEMON_SECRET } };
	if (om_daemon_private("pva", files, sizeof(files) / sizeof(files[0])) < 0)
		goto out;
	if (om_daemon_checked(conf_path)) {
		status = 0;
		goto out;
	}

	/* the admin and HTTP threads inherit this mask; only sigwait() sees the signals */
	om_daemon_block_signals();

	if (!(p = pva_open(&s.pva, err, sizeof(err)))) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	if (s.admin_socket) {
		if (pva_admin_start(p, s.admin_socket, err, sizeof(err))) {
			om_error("start", "reason=\"%s\"", err);
			goto out;
		}
		admin = 1;
	}
	struct om_http_opts ho = { .addr = s.listen, .port = (uint16_t)s.port, .max_body = (size_t)s.max_body,
				   .limits = s.limits };
	if (om_http_server_new(&http, &ho, err, sizeof(err)) == 0)
		om_http_server_after(http, http_idle, p);
	if (!http || pva_http_routes(http, p) < 0 ||
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
	om_store_conf_redact(s.pva.db_path, where, sizeof(where));
	om_notice("started", "listen=%s port=%u db=%s admin=%s", s.listen, (unsigned)om_http_server_port(http),
		  where, s.admin_socket ? s.admin_socket : "-");

	om_daemon_reloadable(conf_path, "pva");
	om_daemon_wait();
	status = 0;
out:
	om_metrics_stop(metrics);
	om_http_server_free(http);
	if (admin)
		pva_admin_stop();
	pva_close(p);
	if (status == 0)
		om_notice("stopped", "listen=%s", s.listen);
	om_conf_free(conf);
	return status;
}
