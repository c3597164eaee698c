/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-vno: the visited network. Plays the MME towards devices on the
 * lab's radio link, asks each device's home HSS over S6a (chosen by MCC and
 * MNC), gives each attached device a bearer restricted to its APN, and
 * delivers pushes (the bootstrap, TR 33.812 B.2.3.3) to attached devices.
 * docs/vno.md describes the configuration, the framing and the captures.
 */
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "mme.h"
#include "radio_srv.h"
#include "s6a.h"
#include "s6a_link.h"
#include "vno_conf.h"
#include "vno_pcap.h"
#include "vno_push.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const char usage[] = "usage: openmcim-vno -c FILE | --config FILE\n"
			    "       openmcim-vno --help | --version\n"
			    "The visited network (MME towards devices, S6a towards home HSSs, APN-restricted bearers).\n"
			    "See conf/vno.conf.example and docs/vno.md.\n";

static int run(const struct vno_conf *conf, const char *conf_path)
{
	struct mme mme;
	struct mme_s6a_ops ops;
	struct radio_srv *srv = NULL;
	struct vno_push *push = NULL;
	struct om_metrics_server *metrics = NULL;
	char err[512];
	int rc = 1, s6a_up = 0, mme_up = 0;

	/* Every thread started from here on inherits the mask; only sigwait() sees the signals. */
	om_daemon_block_signals();
	signal(SIGPIPE, SIG_IGN);
	/* Each device holds a link, a bearer listener and its tunnels: the soft limit of 1024 is too few.
	 * The figure is logged: an attach storm of N held devices needs more than N
	 * (docs/performance.md "Attach storm (issue 14)"). */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		if (nofile.rlim_cur < nofile.rlim_max) {
			nofile.rlim_cur = nofile.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &nofile);
			(void)getrlimit(RLIMIT_NOFILE, &nofile);
		}
		om_info("open-files", "limit=%llu max_devices=%u", (unsigned long long)nofile.rlim_cur,
			conf->max_devices);
	}

	if (conf->pcap[0] && vno_pcap_open(conf->pcap))
		goto out;
	if (vno_s6a_start(conf, err, sizeof(err))) {
		om_error("diameter-failed", "reason=\"%s\"", err);
		goto out;
	}
	s6a_up = 1;
	for (size_t i = 0; i < conf->n_homes; i++) {
		if (om_s6a_wait_peer(conf->homes[i].peer, 5000))
			om_notice("diameter-peer-down", "peer=%s address=%s:%u (freeDiameter keeps trying)",
				  conf->homes[i].peer, conf->homes[i].peer_addr, conf->homes[i].peer_port);
		else
			om_info("diameter-peer-up", "peer=%s", conf->homes[i].peer);
	}
	vno_s6a_ops(&ops, conf);
	if (mme_init(&mme, conf, &ops)) {
		om_error("mme-failed", "reason=init");
		goto out;
	}
	mme_up = 1;
	if (vno_s6a_serve(&mme, conf)) {
		om_error("diameter-failed", "reason=\"cannot serve Cancel-Location\"");
		goto out;
	}
	uint16_t port;
	if (!(srv = radio_srv_start(&mme, conf->radio_addr, conf->radio_port, &port)))
		goto out;
	if (conf->push && !(push = vno_push_start(&mme, conf)))
		goto out;
	if (!conf->push)
		om_info("push-off", "reason=no [push] section");
	if (om_metrics_start(conf->metrics_listen[0] ? conf->metrics_listen : NULL, &metrics, err, sizeof(err))) {
		om_error("metrics-failed", "reason=\"%s\"", err);
		goto out;
	}
	om_info("ready", "plmn=%s-%s radio=%s:%u push=%u homes=%zu apns=%zu", conf->plmn.mcc, conf->plmn.mnc,
		conf->radio_addr, port, push ? vno_push_port(push) : 0, conf->n_homes, conf->n_apns);
	om_daemon_reloadable(conf_path, "vno");
	om_daemon_wait();
	rc = 0;
out:
	om_metrics_stop(metrics);
	vno_push_stop(push); /* before the connections go: a push holds the registry while it sends */
	radio_srv_stop(srv);
	if (s6a_up)
		om_s6a_stop();
	if (mme_up)
		mme_free(&mme);
	vno_pcap_close();
	if (s6a_up)
		om_s6a_exit(rc); /* no freeDiameter teardown: see om_s6a_stop() */
	return rc;
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "vno", .version = OPENMCIM_VERSION, .usage = usage };
	const char *path = NULL;
	static struct vno_conf conf;
	char err[512];
	int rc = om_daemon_args(&self, argc, argv, &path);
	if (rc >= 0)
		return rc;
	if (vno_conf_load(&conf, path, err, sizeof(err)) || vno_conf_resolve(&conf, path, err, sizeof(err))) {
		fprintf(stderr, "openmcim-vno: %s\n", err);
		return 1;
	}
	om_log_init("vno", (enum om_log_level)conf.log_level);
	const struct om_daemon_file_use files[] = {
		{ conf.pcap[0] ? conf.pcap : NULL, OM_DAEMON_CAPTURE },
		{ conf.s6a_pcap[0] ? conf.s6a_pcap : NULL, OM_DAEMON_CAPTURE },
		{ conf.push_tls_key[0] ? conf.push_tls_key : NULL, OM_DAEMON_SECRET },
		{ conf.run_dir[0] ? conf.run_dir : NULL, OM_DAEMON_DIR },
	};
	if (om_daemon_private("vno", files, sizeof(files) / sizeof(files[0])) < 0)
		return 1;
	if (om_daemon_checked(path))
		return 0;
	return run(&conf, path);
}
