/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-dpf: the new SHO's DPF as an OMA DM 1.2 server (spec/002
 * B.2.3.4; docs/dpf.md "Daemon").
 *
 *   openmcim-dpf -c dpf.conf
 *
 * Reads [dpf] (conf/dpf.conf.example documents every key), asks the
 * operator's SHO on its internal socket (sho_internal.h: the pending
 * handovers, DM verifiers, sealed MCIMs, state moves) and its DRF on its
 * admin socket (drf_admin.h), never through their databases, then serves
 * POST <path> with application/vnd.syncml.dm+xml over HTTPS (dpf_dm.h)
 * until SIGTERM or SIGINT. Beside it the completion sender (dpf_sender.h)
 * reports active devices to the previous SHOs' DRFs ([peer.<SHO_ID>]).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openmcim/app_params.h>
#include <openmcim/dm.h>
#include <openmcim/pki.h>

#include "conf.h"
#include "admin_socket.h"
#include "daemon.h"
#include "dpf.h"
#include "dpf_status.h"
#include "dpf_dm.h"
#include "dpf_sender.h"
#include "admin_call.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "sho_internal.h"
#include "sho_peer.h"
#include "store.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const struct om_conf_key base_keys[] = {
	{ "dpf", "db", 1 },	       { "dpf", "sho_socket", 1 },     { "dpf", "pva_url", 1 },
	{ "dpf", "tls_cert", 1 },      { "dpf", "tls_key", 1 },	     { "dpf", "listen", 0 },
	{ "dpf", "port", 0 },	       { "dpf", "path", 0 },	     { "dpf", "server_uri", 1 },
	{ "dpf", "max_sessions", 0 },  { "dpf", "session_timeout", 0 }, { "dpf", "max_body", 0 },
	{ "dpf", "log_level", 0 },     { "dpf", "drf_socket", 1 },	     { "dpf", "operator_cert", 1 },
	{ "dpf", "operator_key", 1 },  { "dpf", "peer_timeout", 0 },   { "dpf", "pva_cert", 1 },
	{ "dpf", "auth_timeout", 0 },  OM_HTTP_CONF_KEYS("dpf"),
	{ "dpf", "internal_timeout", 0 },
	{ "dpf", "sign_key", 1 },      { "dpf", "workers", 0 },
	{ "dpf", "status_socket", 0 }, { "dpf", "status_socket_allow", 0 },
	{ "application", "server", 0 }, { "application", "trust_anchor", 0 },
	OM_METRICS_CONF_KEYS,
};
#define N_BASE (sizeof(base_keys) / sizeof(base_keys[0]))

struct settings {
	const char *db, *sign_key, *status_socket, *pva_url, *listen, *path, *server_uri;
	struct om_http_tls tls;
	X509 *pva_cert; /* whose key signs the PVA's verdicts */
	uint64_t port, max_sessions, timeout, max_body, auth_timeout;
	struct om_admin_peer drf; /* this operator's DRF: its admin socket and the deadline of each call */
	struct om_admin_peer sho; /* this operator's SHO: its internal socket, the same deadline */
	int log_level;
	struct sho_peers peers;
	struct om_http_limits limits;
	uint8_t app_params[OM_APP_PARAMS_MAX]; /* [application]: the object set after each M2MMCIMMobj */
	size_t app_params_len;
};

/* The DM handler and the completion sender share the struct dpf (and the SHO core and DRF register). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char usage[] = "usage: openmcim-dpf -c FILE | --config FILE\n"
			    "       openmcim-dpf --help | --version\n"
			    "The DPF: OMA DM 1.2 server for B.2.3.4 (M2MMobj in, M2MMCIMMobj out) over HTTPS;\n"
			    "see conf/dpf.conf.example and docs/dpf.md.\n";

/*
 * [application] (optional; spec/000 5.2.4.3.5, docs/dpf.md): server, the M2M application
 * server's https URL, and trust_anchor, the PEM CA certificate the terminal checks it
 * against; both or neither. Encoded once here, so a value the device would refuse stops
 * the start instead.
 */
static int read_application(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	const char *server = om_conf_get(c, "application", "server");
	const char *anchor = om_conf_get(c, "application", "trust_anchor");
	if (!server && !anchor)
		return 0;
	if (!server || !anchor)
		return snprintf(err, len, "%s: [application] needs both server and trust_anchor", om_conf_path(c)), -1;
	struct om_app_params p = { .anchor_len = 0 };
	X509 *x = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc = strlen(server) < sizeof(p.server) ? 0 : OM_EOBJ_TOO_LONG;
	if (rc == 0)
		snprintf(p.server, sizeof(p.server), "%s", server);
	if (rc == 0 && (rc = om_cert_load(&x, anchor)) == 0)
		rc = om_cert_encode(x, OM_ENC_DER, &der, &der_len);
	if (rc == 0 && der_len > sizeof(p.anchor))
		rc = OM_EOBJ_TOO_LONG;
	if (rc == 0) {
		memcpy(p.anchor, der, der_len);
		p.anchor_len = der_len;
		rc = om_app_params_encode(&p, s->app_params, sizeof(s->app_params));
	}
	om_pki_free(der, der_len);
	X509_free(x);
	if (rc < 0)
		return snprintf(err, len, "%s: [application]: %s (server an https URL, trust_anchor a PEM CA certificate)",
				om_conf_path(c), om_strerror(rc)),
		       -1;
	s->app_params_len = (size_t)rc;
	return 0;
}

static int read_settings(const struct om_conf *c, struct settings *s, char ids[][OM_HANDOVER_SHO_ID_MAX + 1],
			 size_t n_ids, char *err, size_t len)
{
	uint64_t peer_timeout = 0, internal_timeout = 0, workers = 0;
	X509 *x = NULL;
	memset(s, 0, sizeof(*s));
	s->db = om_conf_get(c, "dpf", "db");
	s->sign_key = om_conf_get(c, "dpf", "sign_key");
	s->status_socket = om_conf_get(c, "dpf", "status_socket");
	if (om_admin_socket_allow_conf(c, "dpf", "status_socket", err, len) < 0)
		return -1;
	s->sho.path = om_conf_get(c, "dpf", "sho_socket");
	s->pva_url = om_conf_get(c, "dpf", "pva_url");
	s->tls.cert_file = om_conf_get(c, "dpf", "tls_cert");
	s->tls.key_file = om_conf_get(c, "dpf", "tls_key");
	s->listen = om_conf_str(c, "dpf", "listen", "127.0.0.1");
	s->path = om_conf_str(c, "dpf", "path", "/dm");
	s->server_uri = om_conf_get(c, "dpf", "server_uri");
	s->drf.path = om_conf_get(c, "dpf", "drf_socket");
	s->peers.cert_file = om_conf_get(c, "dpf", "operator_cert");
	s->peers.key_file = om_conf_get(c, "dpf", "operator_key");
	if (om_conf_uint(c, "dpf", "port", 8445, 0, 65535, &s->port, err, len) ||
	    om_conf_uint(c, "dpf", "peer_timeout", 10000, 100, 600000, &peer_timeout, err, len) ||
	    om_conf_uint(c, "dpf", "internal_timeout", 5000, 100, 60000, &internal_timeout, err, len) ||
	    om_conf_uint(c, "dpf", "max_sessions", DPF_DM_SESSIONS_DEFAULT, 1, 65536, &s->max_sessions, err, len) ||
	    om_conf_uint(c, "dpf", "session_timeout", DPF_DM_TIMEOUT_DEFAULT, 10, 86400, &s->timeout, err, len) ||
	    om_conf_uint(c, "dpf", "max_body", OM_DM_MSG_MAX, 1024, OM_DM_MSG_MAX, &s->max_body, err, len) ||
	    om_conf_uint(c, "dpf", "auth_timeout", DPF_DM_AUTH_TIMEOUT_DEFAULT, 5, 3600, &s->auth_timeout, err, len) ||
	    om_conf_uint(c, "dpf", "workers", 4, 1, 64, &workers, err, len) ||
	    om_http_limits_read(c, "dpf", &s->limits, err, len))
		return -1;
	/* devices come through their VNO's bearer proxy, many from one address: no per-source cap unless set */
	if (!om_conf_get(c, "dpf", "max_conns_per_source"))
		s->limits.max_conns_per_source = s->limits.max_conns;
	if (s->path[0] != '/')
		return snprintf(err, len, "%s: [dpf] path must start with '/'", om_conf_path(c)), -1;
	/* handlers on workers, so one waiting for the PVA (dm_post) leaves the others served (issue 14) */
	s->limits.workers = (unsigned)workers;
	s->log_level = om_log_level_parse(om_conf_str(c, "dpf", "log_level", "info"));
	if (s->log_level < 0)
		return snprintf(err, len, "%s: log_level must be debug, info, notice or error", om_conf_path(c)), -1;
	s->peers.timeout_ms = (long)peer_timeout;
	s->drf.timeout_ms = s->sho.timeout_ms = (int)internal_timeout;
	/* our client identity towards the peers' DRFs, checked now rather than at the first report */
	int ok = om_cert_load(&x, s->peers.cert_file) == 0 && om_cert_check_profile(x, OM_CERT_OPERATOR_TLS) == 0;
	X509_free(x);
	if (!ok)
		return snprintf(err, len, "%s: [dpf] operator_cert: not an OPERATOR_TLS certificate", om_conf_path(c)),
		       -1;
	/* the PVA's signing certificate: its verdicts are the only ones believed (docs/pva.md) */
	if (om_cert_load(&s->pva_cert, om_conf_get(c, "dpf", "pva_cert")) < 0 ||
	    om_cert_check_profile(s->pva_cert, OM_CERT_OCSP_RESPONDER) < 0)
		return snprintf(err, len, "%s: [dpf] pva_cert: not the PVA's OCSP_RESPONDER certificate", om_conf_path(c)),
		       -1;
	if (read_application(c, s, err, len) < 0)
		return -1;
	return sho_peers_read(c, ids, n_ids, &s->peers, err, len) < 0 ? -1 : 0;
}

/* What the DM route needs: the sessions, and the core whose PVA is asked. */
struct dm_route {
	struct dpf_dm *dm;
	struct dpf *dpf;
};

/*
 * POST <path>: one SyncML DM message in, the answer out. The DM state is
 * used under the lock, one message at a time; the PVA is asked with the
 * lock and the server's handler lock released (issue 14: it was asked on
 * the server's thread, so a stopped PVA froze every DM session for its
 * 10 s deadline), and the message is then handled with its answer.
 */
static void dm_post(struct om_http_req *req, void *arg)
{
	struct dm_route *route = arg;
	const char *ct = om_http_req_header(req, "Content-Type");
	const char *hmac = om_http_req_header(req, "x-syncml-hmac"); /* OMA DM Security 1.2, after the 212 */
	size_t len = 0, out_len = 0;
	uint8_t *out = NULL;
	struct dpf_dm_ask ask = { .obj = NULL };
	if (!ct || strncmp(ct, OM_DM_CONTENT_TYPE, strlen(OM_DM_CONTENT_TYPE))) {
		om_http_reply(req, 415, "text/plain", "application/vnd.syncml.dm+xml only\n", 35);
		return;
	}
	const uint8_t *body = om_http_req_body(req, &len);
	pthread_mutex_lock(&lock);
	int rc = dpf_dm_handle_pva(route->dm, body, len, hmac, time(NULL), NULL, &ask, &out, &out_len);
	pthread_mutex_unlock(&lock);
	if (rc == DPF_DM_ASK_PVA) {
		struct dpf_pva_result pva;
		om_http_release(req);
		dpf_pva_ask(route->dpf, ask.obj, ask.obj_len, &pva);
		om_http_reacquire(req);
		pthread_mutex_lock(&lock);
		/* the same body and ask: the message is not parsed again */
		rc = dpf_dm_handle_pva(route->dm, body, len, hmac, time(NULL), &pva, &ask, &out, &out_len);
		pthread_mutex_unlock(&lock);
		OPENSSL_cleanse(&pva, sizeof(pva));
	}
	dpf_dm_ask_free(&ask);
	if (rc == 0) {
		om_http_reply(req, 200, OM_DM_CONTENT_TYPE, out, out_len);
	} else {
		const char *msg = om_strerror(rc);
		om_notice("dm_post", "peer=%s result=refused code=%s", om_http_req_peer(req), om_errname(rc));
		/* every slot busy, or the SHO not answering in time: the device tries again later */
		om_http_reply(req, rc == OM_EDPF_DM_FULL || rc == OM_EDPF_UNAVAILABLE ? 503 : 400, "text/plain", msg,
			      strlen(msg));
	}
	free(out);
}

static struct dpf_sender *the_sender;

/* An outcome queued a completion report (called under the lock, from the DM handler). */
static void wake_sender(void *arg)
{
	(void)arg;
	dpf_sender_wake(the_sender);
}

/* After every DM request, under the daemon's lock: no statement left busy (svc/store.h). */
static struct dpf *idle_dpf;
static void http_idle(void *arg, const char *path)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	(void)dpf_idle(idle_dpf, path);
	pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "dpf", .version = OPENMCIM_VERSION, .usage = usage };
	static char ids[SHO_PEERS_MAX][OM_HANDOVER_SHO_ID_MAX + 1];
	static struct settings s; /* the peer table is large */
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	EVP_PKEY *sign_key = NULL;
	struct dpf_pva_http pva = { .url = NULL };
	static struct dpf_status status_sock;
	struct dpf *dpf = NULL;
	struct dpf_dm *dm = NULL;
	struct dpf_sender *sender = NULL;
	struct om_http_server *http = NULL;
	struct om_metrics_server *metrics = NULL;
	char err[512] = "";
	size_t n_ids = 0;
	int status = 1;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("dpf", OM_LOG_INFO);
	if (!(conf = sho_peer_conf_load(conf_path, base_keys, N_BASE, ids, &n_ids, err, sizeof(err))) ||
	    read_settings(conf, &s, ids, n_ids, err, sizeof(err)) || om_metrics_conf_check(conf, err, sizeof(err))) {
		fprintf(stderr, "openmcim-dpf: %s\n", err);
		goto out;
	}
	om_log_init("dpf", (enum om_log_level)s.log_level);
	/* our own database and keys only: the SHO's and the DRF's data are theirs, asked on their sockets */
	const struct om_daemon_file_use files[] = {
		{ s.db, OM_DAEMON_DB },
		{ s.sign_key, OM_DAEMON_SECRET },
		{ s.tls.key_file, OM_DAEMON_SECRET },
		{ s.peers.key_file, OM_DAEMON_SECRET },
	};
	if (om_daemon_private("dpf", files, sizeof(files) / sizeof(files[0])) < 0)
		goto out;
	if (om_daemon_checked(conf_path)) {
		status = 0;
		goto out;
	}

	/* the HTTP thread inherits this mask; only sigwait() sees the signals */
	om_daemon_block_signals();

	/* the SHO_SIGNING key of Cert_SHO[i+1], which the bootstrap gave the TRE ([handover] sign_key of the SHO) */
	if (om_key_load(&sign_key, s.sign_key) < 0) {
		om_error("start", "reason=\"cannot load sign_key %s\"", s.sign_key);
		goto out;
	}
	pva.url = s.pva_url;
	pva.pva_key = X509_get0_pubkey(s.pva_cert);
	/* links to the PVA and to the peers' DRFs built once and kept between calls (issue 14) */
	if (dpf_pva_http_connect(&pva, err, sizeof(err)) < 0 || sho_peers_connect(&s.peers, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	/* the SHO's and the DRF's sockets over kept-open connections: 13 calls per device (issue 14) */
	if (!(s.sho.link = om_admin_link_new()) || !(s.drf.link = om_admin_link_new())) {
		om_error("start", "reason=\"out of memory\"");
		goto out;
	}
	struct dpf_config dc = { .db_path = s.db, .sho = &s.sho, .sign_key = sign_key, .pva = dpf_pva_http,
				 .pva_ctx = &pva, .drf = &s.drf };
	if (dpf_open(&dpf, &dc, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	/* the operator (and the lab) read the record here, never through its file */
	status_sock.dpf = dpf;
	status_sock.lock = &lock;
	if (s.status_socket && dpf_status_start(&status_sock, s.status_socket, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	struct dpf_sender_config sc = { .dpf = dpf, .lock = &lock, .peers = &s.peers };
	if (dpf_sender_start(&sender, &sc) < 0) {
		om_error("start", "reason=\"completion sender\"");
		goto out;
	}
	the_sender = sender;
	struct dpf_dm_config mc = { .dpf = dpf, .sho = &s.sho, .server_uri = s.server_uri,
				    .max_sessions = (size_t)s.max_sessions, .timeout_s = (unsigned)s.timeout,
				    .auth_timeout_s = (unsigned)s.auth_timeout,
				    .app_params = s.app_params_len ? s.app_params : NULL, .app_params_len = s.app_params_len,
				    .queued = wake_sender, .queued_arg = NULL };
	if (dpf_dm_new(&dm, &mc) < 0) {
		om_error("start", "reason=\"out of memory\"");
		goto out;
	}
	static struct dm_route route;
	route.dm = dm;
	route.dpf = dpf;
	struct om_http_opts ho = { .addr = s.listen, .port = (uint16_t)s.port, .max_body = (size_t)s.max_body,
				   .tls = &s.tls, .limits = s.limits };
	idle_dpf = dpf;
	if (om_http_server_new(&http, &ho, err, sizeof(err)) == 0)
		om_http_server_after(http, http_idle, NULL);
	if (!http || om_http_route(http, "POST", s.path, dm_post, &route) < 0 ||
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
	om_notice("started", "listen=%s port=%u path=%s db=%s sho=%s drf=%s peers=%zu", s.listen,
		  (unsigned)om_http_server_port(http), s.path, where, s.sho.path, s.drf.path, s.peers.n);

	om_daemon_reloadable(conf_path, "dpf");
	om_daemon_wait();
	status = 0;
out:
	om_metrics_stop(metrics);
	om_http_server_free(http);
	dpf_status_stop(&status_sock);
	dpf_sender_stop(sender);
	dpf_dm_free(dm);
	dpf_close(dpf);
	dpf_pva_http_close(&pva);
	sho_peers_close(&s.peers);
	om_admin_link_free(s.sho.link);
	om_admin_link_free(s.drf.link);
	EVP_PKEY_free(sign_key);
	if (status == 0)
		om_notice("stopped", "listen=%s", s.listen);
	X509_free(s.pva_cert);
	om_conf_free(conf);
	return status;
}
