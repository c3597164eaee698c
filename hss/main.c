/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-hss: the HSS daemon (the RO's ICF and each SHO's HLR/AuC).
 *
 *   openmcim-hss -c hss.conf
 *
 * Reads our INI configuration (conf/hss.conf.example documents every key),
 * opens the HSS core, starts the provisioning socket, writes the
 * freeDiameter configuration it implies into run_dir (unless [diameter]
 * fd_conf names one), starts S6a, and runs until SIGTERM or SIGINT.
 *
 * S6a runs over TLS (svc/s6a_conf.c): tls_cert/tls_key are ours, tls_ca
 * verifies the MMEs, and an MME is served only when it is listed in
 * [diameter] peers and its certificate names the identity it claims
 * (svc/s6a_guard.c). Clear TCP only with an explicit `tls = off`, for a
 * loopback lab, and a warning at start. The HSS relays nothing (NoRelay)
 * and connects to no one: MMEs connect to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "admin_socket.h"
#include "daemon.h"
#include "hss.h"
#include "log.h"
#include "metrics.h"
#include "provision.h"
#include "s6a.h"
#include "s6a_avp.h"
#include "s6a_server.h"
#include "store.h"
#include "store_fence.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

#define DICT_DIR_DEFAULT "/usr/lib/freeDiameter"
#define PEERS_MAX 16

static const struct om_conf_key keys[] = {
	{ "hss", "db", 1 },
	OM_STORE_FENCE_CONF_KEYS("hss"),
	{ "hss", "max_vectors", 0 },
	{ "hss", "sqn_reserve", 0 },
	{ "hss", "max_resyncs", 0 },
	{ "hss", "resync_window", 0 },
	{ "hss", "clone_policy", 0 },
	{ "hss", "clone_window", 0 },
	{ "hss", "frontends", 0 },
	{ "hss", "frontend_index", 0 },
	{ "hss", "provision_socket", 0 }, { "hss", "provision_socket_allow", 0 },
	{ "hss", "log_level", 0 },
	{ "hss", "pcap", 0 },
	{ "hss", "run_dir", 0 },
	{ "diameter", "identity", 1 },
	{ "diameter", "realm", 1 },
	{ "diameter", "listen", 0 },
	{ "diameter", "port", 0 },
	{ "diameter", "peers", 0 },
	{ "diameter", "dict_dir", 0 },
	{ "diameter", "fd_conf", 0 },
	{ "diameter", "app_threads", 0 },
	{ "diameter", "tls", 0 },
	{ "diameter", "tls_cert", 0 },
	{ "diameter", "tls_key", 0 },
	{ "diameter", "tls_ca", 0 },
	{ "diameter", "tls_crl", 0 },
	OM_METRICS_CONF_KEYS,
};

struct settings {
	struct hss_config hss;
	struct om_store_fence_conf fence;
	const char *provision_socket, *pcap, *run_dir;
	int log_level;
	const char *identity, *realm, *listen, *peers, *dict_dir, *fd_conf;
	const char *tls_cert, *tls_key, *tls_ca, *tls_crl;
	int tls_off;
	uint64_t port, app_threads;
	char fd_conf_path[4096];
	char peer_buf[PEERS_MAX * 256];
	const char *peer_ids[PEERS_MAX];
	size_t n_peers;
};

static const char usage[] = "usage: openmcim-hss -c FILE | --config FILE\n"
			    "       openmcim-hss --help | --version\n"
			    "The HSS (HLR/AuC, ICF) on Diameter S6a; see conf/hss.conf.example.\n";

/* A Diameter identity, realm or host we put between quotes in freeDiameter's file. */
static int name_ok(const char *s)
{
	return s && *s && strlen(s) < 256 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") == strlen(s);
}

/*
 * [diameter] peers: the Diameter identities of the MMEs we serve, comma- or
 * space-separated. They connect to us; we connect to no one.
 */
static int read_peers(struct settings *s, const char *conf_name, char *err, size_t len)
{
	char *save = NULL;
	if (!s->peers)
		return 0;
	if (snprintf(s->peer_buf, sizeof(s->peer_buf), "%s", s->peers) >= (int)sizeof(s->peer_buf))
		return snprintf(err, len, "%s: [diameter] peers: list too long", conf_name), -1;
	for (char *p = strtok_r(s->peer_buf, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
		if (!name_ok(p) || strchr(p, '@') || strchr(p, ':'))
			return snprintf(err, len, "%s: [diameter] peers: '%s' is not a Diameter identity", conf_name, p),
			       -1;
		if (s->n_peers == PEERS_MAX)
			return snprintf(err, len, "%s: [diameter] peers: more than %d", conf_name, PEERS_MAX), -1;
		s->peer_ids[s->n_peers++] = p;
	}
	return 0;
}

static int read_settings(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	uint64_t v;
	memset(s, 0, sizeof(*s));
	s->hss.db_path = om_conf_get(c, "hss", "db");
	if (om_store_fence_conf(c, "hss", &s->fence, err, len))
		return -1;
	if (om_conf_uint(c, "hss", "max_vectors", 5, 1, OM_S6A_VECTORS_MAX, &v, err, len))
		return -1;
	s->hss.max_vectors = (unsigned)v;
	if (om_conf_uint(c, "hss", "sqn_reserve", 1024, 1, 1u << 24, &v, err, len))
		return -1;
	s->hss.sqn_reserve = (unsigned)v;
	if (om_conf_uint(c, "hss", "max_resyncs", 3, 1, 1000, &v, err, len))
		return -1;
	s->hss.max_resyncs = (unsigned)v;
	if (om_conf_uint(c, "hss", "resync_window", 60, 1, 86400, &v, err, len))
		return -1;
	s->hss.resync_window_s = (unsigned)v;
	const char *policy = om_conf_str(c, "hss", "clone_policy", "report");
	if (strcmp(policy, "report") && strcmp(policy, "bar"))
		return snprintf(err, len, "%s: clone_policy must be report or bar", om_conf_path(c)), -1;
	s->hss.clone_policy = policy[0] == 'b' ? HSS_CLONE_BAR : HSS_CLONE_REPORT;
	if (om_conf_uint(c, "hss", "clone_window", 600, 1, 86400, &v, err, len))
		return -1;
	s->hss.clone_window_s = (unsigned)v;
	if (om_conf_uint(c, "hss", "frontends", 1, 1, 32, &v, err, len))
		return -1;
	s->hss.frontends = (unsigned)v;
	if (v & (v - 1))
		return snprintf(err, len, "%s: frontends must be 1, 2, 4, 8, 16 or 32", om_conf_path(c)), -1;
	if (om_conf_uint(c, "hss", "frontend_index", 0, 0, s->hss.frontends - 1, &v, err, len))
		return -1;
	s->hss.frontend_index = (unsigned)v;
	s->provision_socket = om_conf_get(c, "hss", "provision_socket");
	if (om_admin_socket_allow_conf(c, "hss", "provision_socket", err, len) < 0)
		return -1;
	s->pcap = om_conf_get(c, "hss", "pcap");
	s->run_dir = om_conf_get(c, "hss", "run_dir");
	s->log_level = om_log_level_parse(om_conf_str(c, "hss", "log_level", "info"));
	if (s->log_level < 0)
		return snprintf(err, len, "%s: log_level must be debug, info, notice or error", om_conf_path(c)), -1;
	s->identity = om_conf_get(c, "diameter", "identity");
	s->realm = om_conf_get(c, "diameter", "realm");
	s->listen = om_conf_str(c, "diameter", "listen", "127.0.0.1");
	s->peers = om_conf_get(c, "diameter", "peers");
	s->dict_dir = om_conf_str(c, "diameter", "dict_dir", DICT_DIR_DEFAULT);
	s->fd_conf = om_conf_get(c, "diameter", "fd_conf");
	if (om_conf_uint(c, "diameter", "port", 3868, 1, 65535, &s->port, err, len) ||
	    om_conf_uint(c, "diameter", "app_threads", 4, 1, 64, &s->app_threads, err, len))
		return -1;
	if (!name_ok(s->identity) || !name_ok(s->realm) || !name_ok(s->listen))
		return snprintf(err, len, "%s: [diameter] identity, realm and listen must be host names or addresses",
				om_conf_path(c)),
		       -1;
	if (!s->fd_conf && !s->run_dir)
		return snprintf(err, len, "%s: [hss] run_dir is needed to write the freeDiameter configuration",
				om_conf_path(c)),
		       -1;
	s->tls_off = om_s6a_conf_tls(om_conf_get(c, "diameter", "tls"));
	if (s->tls_off < 0)
		return snprintf(err, len, "%s: [diameter] tls must be on or off", om_conf_path(c)), -1;
	s->tls_cert = om_conf_get(c, "diameter", "tls_cert");
	s->tls_key = om_conf_get(c, "diameter", "tls_key");
	s->tls_ca = om_conf_get(c, "diameter", "tls_ca");
	s->tls_crl = om_conf_get(c, "diameter", "tls_crl");
	if (!s->fd_conf && !s->tls_off && (!s->tls_cert || !s->tls_key || !s->tls_ca))
		return snprintf(err, len, "%s: [diameter] tls_cert, tls_key and tls_ca are required (or tls = off)",
				om_conf_path(c)),
		       -1;
	return read_peers(s, om_conf_path(c), err, len);
}

/* freeDiameter's configuration from ours, into run_dir/freeDiameter.conf. */
static int write_fd_conf(struct settings *s, const char *conf_name, char *err, size_t len)
{
	const struct om_s6a_fdconf fc = {
		.identity = s->identity, .realm = s->realm, .listen = s->listen, .dict_dir = s->dict_dir,
		.port = (unsigned)s->port, .app_threads = (unsigned)s->app_threads, .tls_off = s->tls_off,
		.tls_cert = s->tls_cert, .tls_key = s->tls_key, .tls_ca = s->tls_ca, .tls_crl = s->tls_crl,
	};
	FILE *f = NULL;
	int rc;

	if (s->fd_conf) {
		snprintf(s->fd_conf_path, sizeof(s->fd_conf_path), "%s", s->fd_conf);
		return 0;
	}
	if (mkdir(s->run_dir, 0700) && errno != EEXIST) {
		snprintf(err, len, "%s: run_dir %s: %s", conf_name, s->run_dir, strerror(errno));
		return -1;
	}
	snprintf(s->fd_conf_path, sizeof(s->fd_conf_path), "%s/freeDiameter.conf", s->run_dir);
	if (!(f = fopen(s->fd_conf_path, "w"))) {
		snprintf(err, len, "%.400s: %s", s->fd_conf_path, strerror(errno));
		return -1;
	}
	fprintf(f, "# Written by openmcim-hss from %s; edits are lost at the next start.\n", conf_name);
	rc = om_s6a_conf_write(f, &fc);
	if (fclose(f) || rc) {
		snprintf(err, len, "%.400s: %s", s->fd_conf_path, rc ? "cannot write" : strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "hss", .version = OPENMCIM_VERSION, .usage = usage };
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct hss *h = NULL;
	struct om_metrics_server *metrics = NULL;
	struct settings s;
	char err[512] = "";
	int status = 1, provisioning = 0, s6a = 0;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("hss", OM_LOG_INFO);
	conf = om_conf_load(conf_path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	if (!conf || read_settings(conf, &s, err, sizeof(err)) || om_metrics_conf_check(conf, err, sizeof(err))) {
		fprintf(stderr, "openmcim-hss: %s\n", err);
		goto out;
	}
	const struct om_daemon_file_use files[] = {
		{ s.hss.db_path, OM_DAEMON_DB }, { s.pcap, OM_DAEMON_CAPTURE }, { s.fd_conf ? NULL : s.run_dir, OM_DAEMON_DIR },
		{ s.fence.peer, OM_DAEMON_DB }, /* a postgresql:// URI (om_store_fence_conf): its credential's files */
	};
	if (om_daemon_private("hss", files, sizeof(files) / sizeof(files[0])) < 0)
		goto out;
	if (om_daemon_checked(conf_path)) {
		status = 0;
		goto out;
	}
	if (write_fd_conf(&s, conf_path, err, sizeof(err))) {
		fprintf(stderr, "openmcim-hss: %s\n", err);
		goto out;
	}
	om_log_init("hss", (enum om_log_level)s.log_level);

	/* Every thread freeDiameter starts inherits this mask; only sigwait() sees the signals. */
	om_daemon_block_signals();

	/* a promoted copy of our database serves: not a single SQN from here (docs/decisions.md) */
	if ((rc = om_store_fence_start(&s.fence, err, sizeof(err))) < 0) {
		om_error(rc == OM_ESTORE_FENCED ? "fenced" : "start", "reason=\"%s\"", err);
		if (rc == OM_ESTORE_FENCED)
			status = OM_STORE_FENCED_EXIT;
		goto out;
	}
	if (!(h = hss_open(&s.hss, err, sizeof(err)))) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	if (s.provision_socket) {
		if (hss_provision_start(h, s.provision_socket, err, sizeof(err))) {
			om_error("start", "reason=\"%s\"", err);
			goto out;
		}
		provisioning = 1;
	}
	if (om_s6a_core_init(s.fd_conf_path, err, sizeof(err)) || hss_s6a_register(h) ||
	    om_s6a_accept_peers(s.peer_ids, s.n_peers, s.tls_off)) {
		om_error("start", "reason=\"%s\"", *err ? err : "S6a handlers or peer check");
		goto out;
	}
	if (s.tls_off && !s.fd_conf)
		om_notice("s6a-insecure", "reason=\"[diameter] tls = off: S6a in clear TCP, for a loopback lab only\"");
	s6a = 1;
	if (s.pcap && om_s6a_pcap_open(s.pcap)) {
		om_error("start", "reason=\"cannot write pcap %s\"", s.pcap);
		goto out;
	}
	if (om_s6a_core_start(err, sizeof(err))) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	if (om_metrics_start(om_conf_get(conf, "metrics", "listen"), &metrics, err, sizeof(err)) < 0) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	char where[128];
	om_store_conf_redact(s.hss.db_path, where, sizeof(where));
	om_notice("started", "identity=%s realm=%s listen=%s port=%u tls=%s peers=%zu db=%s provision=%s", s.identity,
		  s.realm, s.listen, (unsigned)s.port, s.tls_off ? "off" : "on", s.n_peers, where,
		  s.provision_socket ? s.provision_socket : "-");

	om_daemon_reloadable(conf_path, "hss");
	om_daemon_wait();
	status = 0;
out:
	om_store_fence_stop();
	om_metrics_stop(metrics);
	/* Our state first (handlers finished, exact SQN marks written), freeDiameter last: see om_s6a_stop(). */
	if (s6a)
		hss_s6a_unregister();
	if (provisioning)
		hss_provision_stop();
	if (h)
		hss_close(h);
	if (status == 0)
		om_notice("stopped", "identity=%s", s.identity);
	om_conf_free(conf);
	if (s6a)
		om_s6a_exit(status);
	return status;
}
