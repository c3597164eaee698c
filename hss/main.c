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
 * The generated freeDiameter configuration has no TLS (SecPort = 0, No_TLS
 * on each peer): that is for the loopback lab only. Outside a lab, S6a runs
 * over TLS or IPsec (TS 33.210); give a complete freeDiameter configuration
 * with TLS_Cred and TLS_CA through fd_conf instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "daemon.h"
#include "hss.h"
#include "log.h"
#include "provision.h"
#include "s6a.h"
#include "s6a_avp.h"
#include "s6a_server.h"
#include "store.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

#define DICT_DIR_DEFAULT "/usr/lib/freeDiameter"
#define PEERS_MAX 16

static const struct om_conf_key keys[] = {
	{ "hss", "db", 1 },
	{ "hss", "max_vectors", 0 },
	{ "hss", "sqn_reserve", 0 },
	{ "hss", "max_resyncs", 0 },
	{ "hss", "resync_window", 0 },
	{ "hss", "clone_policy", 0 },
	{ "hss", "clone_window", 0 },
	{ "hss", "frontends", 0 },
	{ "hss", "frontend_index", 0 },
	{ "hss", "provision_socket", 0 },
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
};

struct settings {
	struct hss_config hss;
	const char *provision_socket, *pcap, *run_dir;
	int log_level;
	const char *identity, *realm, *listen, *peers, *dict_dir, *fd_conf;
	uint64_t port, app_threads;
	char fd_conf_path[4096];
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

static int read_settings(const struct om_conf *c, struct settings *s, char *err, size_t len)
{
	uint64_t v;
	memset(s, 0, sizeof(*s));
	s->hss.db_path = om_conf_get(c, "hss", "db");
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
	return 0;
}

/*
 * One peer of "identity@host:port" (port optional, 3868) as a ConnectPeer
 * block. Returns 0 or -1 when the entry is malformed.
 */
static int write_peer(FILE *f, const char *entry)
{
	char id[256], host[256];
	unsigned long port = 3868;
	const char *at = strchr(entry, '@');
	if (!at || (size_t)(at - entry) >= sizeof(id))
		return -1;
	memcpy(id, entry, (size_t)(at - entry));
	id[at - entry] = 0;
	snprintf(host, sizeof(host), "%s", at + 1);
	char *colon = strrchr(host, ':');
	if (colon) {
		char *end = NULL;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || !end || *end || port == 0 || port > 65535)
			return -1;
		*colon = 0;
	}
	if (!name_ok(id) || !name_ok(host))
		return -1;
	fprintf(f, "ConnectPeer = \"%s\" { ConnectTo = \"%s\"; Port = %lu; No_TLS; };\n", id, host, port);
	return 0;
}

/* freeDiameter's configuration from ours, into run_dir/freeDiameter.conf. */
static int write_fd_conf(struct settings *s, const char *conf_name, char *err, size_t len)
{
	static const char *const dicts[] = { "dict_nasreq", "dict_dcca", "dict_dcca_3gpp" };
	int rc = -1;
	FILE *f = NULL;
	char *list = NULL;

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
	fprintf(f,
		"# Written by openmcim-hss from %s; edits are lost at the next start.\n"
		"# Lab only: no TLS (SecPort = 0, No_TLS). Outside a lab S6a needs TLS or IPsec (TS 33.210).\n"
		"Identity = \"%s\";\nRealm = \"%s\";\nPort = %u;\nSecPort = 0;\nNo_SCTP;\nNo_IPv6;\n"
		"ListenOn = \"%s\";\nAppServThreads = %u;\nTcTimer = 2;\n",
		conf_name, s->identity, s->realm, (unsigned)s->port, s->listen, (unsigned)s->app_threads);
	/* dict_dcca_3gpp needs dict_dcca, which needs dict_nasreq: this order. */
	for (size_t i = 0; i < 3; i++)
		fprintf(f, "LoadExtension = \"%s/%s.fdx\";\n", s->dict_dir, dicts[i]);
	if (s->peers) {
		if (!(list = strdup(s->peers)))
			goto out;
		char *save = NULL;
		for (char *p = strtok_r(list, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
			if (write_peer(f, p)) {
				snprintf(err, len, "%s: [diameter] peers: '%s' is not identity@host[:port]", conf_name, p);
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(list);
	if (fclose(f) && !rc) {
		snprintf(err, len, "%.400s: %s", s->fd_conf_path, strerror(errno));
		rc = -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "hss", .version = OPENMCIM_VERSION, .usage = usage };
	const char *conf_path = NULL;
	struct om_conf *conf = NULL;
	struct hss *h = NULL;
	struct settings s;
	char err[512] = "";
	int status = 1, provisioning = 0, s6a = 0;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	om_log_init("hss", OM_LOG_INFO);
	conf = om_conf_load(conf_path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	if (!conf || read_settings(conf, &s, err, sizeof(err))) {
		fprintf(stderr, "openmcim-hss: %s\n", err);
		goto out;
	}
	const struct om_daemon_file_use files[] = {
		{ s.hss.db_path, OM_DAEMON_DB }, { s.pcap, OM_DAEMON_CAPTURE }, { s.fd_conf ? NULL : s.run_dir, OM_DAEMON_DIR },
	};
	if (om_daemon_private("hss", files, sizeof(files) / sizeof(files[0])) < 0)
		goto out;
	if (write_fd_conf(&s, conf_path, err, sizeof(err))) {
		fprintf(stderr, "openmcim-hss: %s\n", err);
		goto out;
	}
	om_log_init("hss", (enum om_log_level)s.log_level);

	/* Every thread freeDiameter starts inherits this mask; only sigwait() sees the signals. */
	om_daemon_block_signals();

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
	if (om_s6a_core_init(s.fd_conf_path, err, sizeof(err)) || hss_s6a_register(h)) {
		om_error("start", "reason=\"%s\"", *err ? err : "S6a handlers");
		goto out;
	}
	s6a = 1;
	if (s.pcap && om_s6a_pcap_open(s.pcap)) {
		om_error("start", "reason=\"cannot write pcap %s\"", s.pcap);
		goto out;
	}
	if (om_s6a_core_start(err, sizeof(err))) {
		om_error("start", "reason=\"%s\"", err);
		goto out;
	}
	char where[128];
	om_store_conf_redact(s.hss.db_path, where, sizeof(where));
	om_notice("started", "identity=%s realm=%s listen=%s port=%u db=%s provision=%s", s.identity, s.realm,
		  s.listen, (unsigned)s.port, where, s.provision_socket ? s.provision_socket : "-");

	om_daemon_wait();
	status = 0;
out:
	if (s6a) {
		hss_s6a_unregister();
		om_s6a_stop();
	}
	if (provisioning)
		hss_provision_stop();
	if (h)
		hss_close(h);
	if (status == 0)
		om_notice("stopped", "identity=%s", s.identity);
	om_conf_free(conf);
	return status;
}
