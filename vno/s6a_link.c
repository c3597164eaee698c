/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "s6a.h"
#include "s6a_link.h"

/* Where Debian (multiarch) and a plain install put freeDiameter's extensions. */
static const char *ext_dir(void)
{
	static const char *dirs[] = {"/usr/lib/x86_64-linux-gnu/freeDiameter", "/usr/lib/aarch64-linux-gnu/freeDiameter",
				     "/usr/lib/freeDiameter", "/usr/local/lib/freeDiameter"};
	char probe[256];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/dict_nasreq.fdx", dirs[i]);
		if (access(probe, R_OK) == 0)
			return dirs[i];
	}
	return "/usr/lib/freeDiameter";
}

int vno_s6a_write_conf(const struct vno_conf *c, char *path, size_t path_len, char *err, size_t err_len)
{
	const char *dir = c->run_dir[0] ? c->run_dir : ".";
	const char *ext = ext_dir();
	int n = snprintf(path, path_len, "%s/freeDiameter.conf", dir);
	if (n < 0 || (size_t)n >= path_len) {
		snprintf(err, err_len, "run_dir too long");
		return -1;
	}
	if (c->run_dir[0] && mkdir(c->run_dir, 0700) && errno != EEXIST) {
		snprintf(err, err_len, "run_dir %s: %s", c->run_dir, strerror(errno));
		return -1;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, err_len, "%s: cannot write", path);
		return -1;
	}
	/*
	 * The MME connects out and listens nowhere (port 0): no peer can come in
	 * claiming an HSS's identity. Each HSS is reached over TLS and
	 * freeDiameter checks that its certificate names it (svc/s6a_conf.c).
	 */
	const struct om_s6a_fdconf fc = {
		.identity = c->identity, .realm = c->realm, .listen = c->dia_addr, .dict_dir = ext,
		.port = 0, .app_threads = 4, .tls_off = c->dia_tls_off, .tls_cert = c->dia_tls_cert,
		.tls_key = c->dia_tls_key, .tls_ca = c->dia_tls_ca, .tls_crl = c->dia_tls_crl,
		.dicts_own = 1, /* issue 14: the dictionary's lookups were 8.8 % of our CPU (svc/s6a_dict_own.c) */
	};
	fprintf(f, "# Written by openmcim-vno from its configuration; do not edit.\n");
	int wrc = om_s6a_conf_write(f, &fc);
	for (size_t i = 0; i < c->n_homes; i++) {
		const struct vno_home *h = &c->homes[i];
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup = dup || !strcmp(c->homes[j].peer, h->peer);
		if (dup)
			continue; /* one HSS may serve several PLMNs */
		om_s6a_conf_peer(f, h->peer, h->peer_addr, h->peer_port, c->dia_tls_off);
	}
	if (wrc) {
		fclose(f);
		snprintf(err, err_len, "%s: write error", path);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, err_len, "%s: write error", path);
		return -1;
	}
	return 0;
}

int vno_s6a_start(const struct vno_conf *c, char *err, size_t err_len)
{
	char path[VNO_PATH_MAX + 32];
	if (vno_s6a_write_conf(c, path, sizeof(path), err, err_len))
		return -1;
	if (c->dia_tls_off)
		om_notice("s6a-insecure", "reason=\"[diameter] tls = off: S6a in clear TCP, for a loopback lab only\"");
	if (om_s6a_start(path, err, err_len))
		return -1;
	if (c->s6a_pcap[0] && om_s6a_pcap_open(c->s6a_pcap)) {
		snprintf(err, err_len, "%s: cannot open the S6a capture", c->s6a_pcap);
		om_s6a_stop();
		return -1;
	}
	om_info("diameter-started", "identity=%s realm=%s tls=%s conf=%s", c->identity, c->realm,
		c->dia_tls_off ? "off" : "on", path);
	return 0;
}

static int air(void *arg, const char *realm, const char *imsi, const uint8_t plmn[static 3], const uint8_t *resync,
	       struct om_eutran_vector *out, struct om_s6a_answer *ans)
{
	const struct vno_conf *c = arg;
	return om_s6a_air(realm, imsi, plmn, 1, resync, c->s6a_timeout_ms, out, ans);
}

static int ulr(void *arg, const char *realm, const char *imsi, const uint8_t plmn[static 3],
	       struct om_s6a_subscription *sub, struct om_s6a_answer *ans)
{
	const struct vno_conf *c = arg;
	return om_s6a_ulr(realm, imsi, plmn, c->s6a_timeout_ms, sub, ans);
}

static int pur(void *arg, const char *realm, const char *imsi, struct om_s6a_answer *ans)
{
	const struct vno_conf *c = arg;
	return om_s6a_pur(realm, imsi, c->s6a_timeout_ms, ans);
}

void vno_s6a_ops(struct mme_s6a_ops *ops, const struct vno_conf *c)
{
	ops->arg = (void *)c;
	ops->air = air;
	ops->ulr = ulr;
	ops->pur = pur;
}

/* ---- what the HSS starts: Cancel-Location and Insert-Subscriber-Data ------ */

#define CANCEL_MME_UPDATE 0              /* TS 29.272 7.3.24 */
#define CANCEL_SUBSCRIPTION_WITHDRAWAL 2

static struct mme *serving;
static const struct vno_conf *serving_conf;

/* The HSS of imsi's home network is origin (the identity our ConnectPeer checked), or 0. */
static int home_hss(const char *cmd, const char *origin, const char *imsi)
{
	const struct vno_home *h = vno_conf_home(serving_conf, imsi);
	if (h && !strcasecmp(h->peer, origin))
		return 1;
	om_notice(cmd, "imsi=%s origin=%s result=refused code=%u reason=\"%s\"", imsi, origin,
		  OM_S6A_AUTHORIZATION_REJECTED, h ? "not the HSS of this IMSI's home network" : "no home network");
	return 0;
}

/*
 * TS 29.272 5.2.1.2: the context goes whether or not we hold one (success
 * either way). Subscription withdrawn: the device is detached, re-attach
 * not required (TS 23.401 5.3.8.3); another MME took it: the context is
 * deleted without a word to a device that is no longer ours.
 */
static uint32_t on_cancel(void *arg, const char *origin, const char *imsi, int32_t type)
{
	(void)arg;
	if (!home_hss("clr", origin, imsi))
		return OM_S6A_AUTHORIZATION_REJECTED;
	bool detach = type != CANCEL_MME_UPDATE;
	int had = mme_cancel(serving, imsi, detach);
	om_info("clr", "imsi=%s origin=%s type=%d context=%s action=%s", imsi, origin, (int)type, had ? "yes" : "no",
		had ? (detach ? "detach" : "delete") : "none");
	return OM_S6A_SUCCESS;
}

/*
 * TS 29.272 5.2.2.1.2: a profile for an IMSI we serve is taken; the MME
 * uses the subscription at attach (APN choice), so a changed profile
 * applies from the device's next attach.
 */
static uint32_t on_insert(void *arg, const char *origin, const char *imsi, const struct om_s6a_subscription *sub)
{
	(void)arg;
	if (!home_hss("idr", origin, imsi))
		return OM_S6A_AUTHORIZATION_REJECTED;
	om_info("idr", "imsi=%s origin=%s apns=%zu default=%u result=ok", imsi, origin, sub->n_apns,
		(unsigned)sub->default_context_id);
	return OM_S6A_SUCCESS;
}

int vno_s6a_serve(struct mme *m, const struct vno_conf *c)
{
	const struct om_s6a_mme_handlers h = { .arg = NULL, .cancel = on_cancel, .insert = on_insert };
	serving = m;
	serving_conf = c;
	return om_s6a_mme_serve(&h);
}
