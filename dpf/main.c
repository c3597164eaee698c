/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-dpf: the new SHO's DPF as an OMA DM 1.2 server (spec/002
 * B.2.3.4; docs/dpf.md "Daemon").
 *
 *   openmcim-dpf -c dpf.conf
 *
 * Reads [dpf] (conf/dpf.conf.example documents every key) and the SHO
 * registration service's file it names (sho_conf_load: the database with
 * the pending handovers and sealed MCIMs, the SHO_SIGNING key), then serves
 * POST <path> with application/vnd.syncml.dm+xml over HTTPS (dpf_dm.h)
 * until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openmcim/dm.h>

#include "conf.h"
#include "daemon.h"
#include "dpf.h"
#include "dpf_dm.h"
#include "http_server.h"
#include "log.h"
#include "sho.h"
#include "sho_conf.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const struct om_conf_key keys[] = {
	{ "dpf", "db", 1 },	       { "dpf", "sho_conf", 1 },     { "dpf", "pva_url", 1 },
	{ "dpf", "tls_cert", 1 },      { "dpf", "tls_key", 1 },	     { "dpf", "listen", 0 },
	{ "dpf", "port", 0 },	       { "dpf", "path", 0 },	     { "dpf", "server_uri", 0 },
	{ "dpf", "max_sessions", 0 },  { "dpf", "session_timeout", 0 }, { "dpf", "max_body", 0 },
	{ "dpf", "log_level", 0 },
};

struct settings {
	const char *db, *sho_conf, *pva_url, *listen, *path, *server_uri;
	struct om_http_tls tls;
	uint64_t port, max_sessions, timeout, max_body;
	int log_level;
};

static const char usage[] = "usage: openmcim-dpf -c FILE | --config FILE\n"
			    "       openmcim-dpf --help | --version\n"
			    "The DPF: OMA DM 1.2 server for B.2.3.4 (M2MMobj in, M2MMCIMMobj out) over HTTPS;\n"
			    "see conf/dpf.conf.example and docs/dpf.md.\n";

static int read_settings(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->db = om_conf_get(c, "dpf", "db");
	s->sho_conf = om_conf_get(c, "dpf", "sho_conf");
	s->pva_url = om_conf_get(c, "dpf", "pva_url");
	s->tls.cert_file = om_conf_get(c, "dpf", "tls_cert");
	s->tls.key_file = om_conf_get(c, "dpf", "tls_key");
	s->listen = om_conf_str(c, "dpf", "listen", "127.0.0.1");
	s->path = om_conf_str(c, "dpf", "path", "/dm");
	s->server_uri = om_conf_get(c, "dpf", "server_uri");
	if (om_conf_uint(c, "dpf", "port", 8445, 0, 65535, &s->port, err, len) ||
	    om_conf_uint(c, "dpf", "max_sessions", DPF_DM_SESSIONS_DEFAULT, 1, 65536, &s->max_sessions, err, len) ||
	    om_conf_uint(c, "dpf", "session_timeout", DPF_DM_TIMEOUT_DEFAULT, 10, 86400, &s->timeout, err, len) ||
	    om_conf_uint(c, "dpf", "max_body", OM_DM_MSG_MAX, 1024, OM_DM_MSG_MAX, &s->max_body, err, len))
		return -1;
	if (s->path[0] != '/')
		return snprintf(err, len, "%s: [dpf] path must start with '/'", om_conf_path(c)), -1;
	s->log_level = om_log_level_parse(om_conf_str(c, "dpf", "log_level", "info"));
	if (s->log_level < 0)
		return snprintf(err, len, "%s: log_level must be debug, info, notice or error", om_conf_path(c)), -1;
	return 0;
}

/* POST <path>: one SyncML DM message in, the answer out (handlers run one at a time). */
static void dm_post(struct om_http_req *req, void *arg)
{
	struct dpf_dm *dm = arg;
	const char *ct = om_http_req_header(req, "Content-Type");
	size_t len = 0, out_len = 0;
	uint8_t *out = NULL;
	if (!ct || strncmp(ct, OM_DM_CONTENT_TYPE, strlen(OM_DM_CONTENT_TYPE))) {
		om_http_reply(req, 415, "text/plain", "application/vnd.syncml.dm+xml only\n", 35);
		return;
	}
	const uint8_t *body = om_http_req_body(req, &len);
	int rc = dpf_dm_handle(dm, body, len, time(NULL), &out, &out_len);
	if (rc == 0) {
		om_http_reply(req, 200, OM_DM_CONTENT_TYPE, out, out_len);
	} else {
		const char *msg = om_strerror(rc);
		om_notice("dm_post", "peer=%s result=refused code=%s", om_http_req_peer(req), om_errname(rc));
		om_http_reply(req, rc == OM_EDPF_DM_FULL ? 503 : 400, "text/plain", msg, strlen(msg));
	}
	free(out);
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "dpf", .version = OPENMCIM_VERSION, .usage = usage };
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct sho_conf_file sf;
	struct sho *sho = NULL;
	struct dpf *dpf = NULL;
	struct dpf_dm *dm = NULL;
	struct om_http_server *http = NULL;
	struct settings s;
	char err[512] = "";
	int status = 1, have_sf = 0;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("dpf", OM_LOG_INFO);
	memset(&sf, 0, sizeof(sf));
	conf = om_conf_load(conf_path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	if (!conf || read_settings(conf, &s, err, sizeof(err))) {
		fprintf(stderr, "openmcim-dpf: %s\n", err);
		goto out;
	}
	if (sho_conf_load(s.sho_conf, &sf, err, sizeof(err)) < 0) {
		fprintf(stderr, "openmcim-dpf: %s\n", err);
		goto out;
	}
	have_sf = 1;
	om_log_init("dpf", (enum om_log_level)s.log_level);

	/* the HTTP thread inherits this mask; only sigwait() sees the signals */
	om_daemon_block_signals();

	if (sho_open(&sho, &sf.cfg, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"sho: %s\"", err);
		goto out;
	}
	struct dpf_config dc = { .db_path = s.db, .sho = sho, .sign_key = sf.sign_key, .pva = dpf_pva_http,
				 .pva_ctx = (void *)s.pva_url };
	if (dpf_open(&dpf, &dc, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	struct dpf_dm_config mc = { .dpf = dpf, .sho = sho,
				    .server_uri = s.server_uri ? s.server_uri : sf.cfg.provurl,
				    .max_sessions = (size_t)s.max_sessions, .timeout_s = (unsigned)s.timeout };
	if (dpf_dm_new(&dm, &mc) < 0) {
		om_error("start", "reason=\"out of memory\"");
		goto out;
	}
	struct om_http_opts ho = { .addr = s.listen, .port = (uint16_t)s.port, .max_body = (size_t)s.max_body,
				   .tls = &s.tls };
	if (om_http_server_new(&http, &ho, err, sizeof(err)) < 0 || om_http_route(http, "POST", s.path, dm_post, dm) < 0 ||
	    om_http_server_start(http) < 0) {
		om_error("start", "reason=\"%s\"", *err ? err : "HTTP server");
		goto out;
	}
	om_notice("started", "listen=%s port=%u path=%s db=%s", s.listen, (unsigned)om_http_server_port(http), s.path,
		  s.db);

	om_daemon_wait();
	status = 0;
out:
	om_http_server_free(http);
	dpf_dm_free(dm);
	dpf_close(dpf);
	sho_close(sho);
	if (have_sf)
		sho_conf_free(&sf);
	if (status == 0)
		om_notice("stopped", "listen=%s", s.listen);
	om_conf_free(conf);
	return status;
}
