/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-vno's configuration (conf/vno.conf.example, docs/vno.md):
 * [vno], [diameter], one [home.<MCC><MNC>] per home network we have a
 * roaming agreement with, one [apn.<name>] per APN we carry, and [push]
 * (optional: the push endpoint of vno/push.c).
 *
 * svc/conf.h checks every key against a fixed list; the home and APN
 * sections are named by the operator, so vno_conf_load() first reads the
 * file's section headers, then gives om_conf_load() the keys of each
 * [home.*] and [apn.*] section it found.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include <openmcim/nas.h>

#define VNO_MAX_HOMES 32
#define VNO_MAX_APNS 16
#define VNO_MAX_ALLOW 16
#define VNO_HOST_MAX 128
#define VNO_PATH_MAX 512

/* A home network: IMSIs starting with prefix (MCC + MNC) go to realm via peer. */
struct vno_home {
	char prefix[7];               /* 5 or 6 digits */
	struct om_nas_plmn plmn;      /* prefix split into MCC and MNC */
	char realm[VNO_HOST_MAX];     /* Destination-Realm of our AIR/ULR/PUR */
	char peer[VNO_HOST_MAX];      /* the HSS's Diameter identity */
	char peer_addr[16];           /* IPv4 of the HSS */
	uint16_t peer_port;
	char push_cert[VNO_PATH_MAX];  /* the DRF that may push to these IMSIs, "" = none (vno/push.c) */
};

/* One host:port a bearer of an APN may CONNECT to. */
struct vno_allow {
	char host[VNO_HOST_MAX];
	uint16_t port;
	bool resolved;                /* addr is host's, found once at start (vno_conf_resolve) */
	struct in_addr addr;          /* where the proxy dials host: never resolved on its loop */
};

/* An open bearer tunnel with no byte either way this long is closed ([apn.*] tunnel_idle_s, vno/bearer.c). */
#define VNO_TUNNEL_IDLE_S_DEFAULT 300

struct vno_apn {
	char name[OM_NAS_APN_MAX];
	bool any;                     /* allow = * : full access */
	unsigned tunnel_idle_s;       /* an open tunnel with no byte either way this long is closed (0: the default) */
	size_t n_allow;
	struct vno_allow allow[VNO_MAX_ALLOW];
};

/*
 * The largest a VNO may be told to hold: an IMSI slot is about 50 octets
 * (vno/mme.h), so a million is 50 MiB; a /12 pool is a million addresses,
 * and the pool costs memory only for the addresses handed back (issue 14:
 * 100,000 devices attached at once need more than 65,536 and a /16).
 */
#define VNO_MAX_DEVICES_MAX (1u << 20)
#define VNO_POOL_PREFIX_MIN 12

struct vno_conf {
	/* [vno] */
	char radio_addr[16];
	uint16_t radio_port;
	struct om_nas_plmn plmn;
	uint8_t pool_base[4];         /* first address handed out */
	uint32_t pool_size;
	int log_level;
	char pcap[VNO_PATH_MAX];      /* NAS capture, "" = none */
	char s6a_pcap[VNO_PATH_MAX];  /* S6a capture, "" = none */
	char run_dir[VNO_PATH_MAX];   /* where the freeDiameter configuration is written */
	unsigned max_devices;
	unsigned max_unauth;          /* unauthenticated links at once (vno/radio_admit.h) */
	unsigned max_unauth_per_source; /* the same, from one IPv4 address */
	unsigned first_message_ms;    /* connect to the first whole frame */
	unsigned idle_timeout_s;      /* a link without an attached device and no frame */
	unsigned max_frames_per_s;    /* uplink frames a link may send in a second; one more closes it */
	unsigned t3460_ms, t3450_ms;
	uint8_t nas_eea;              /* NAS ciphering the MME selects: 2 (128-EEA2) or 0 (EEA0, lab captures) */
	char metrics_listen[80];      /* [metrics] listen, "" = off (svc/metrics.h) */
	/* [diameter] */
	char identity[VNO_HOST_MAX];
	char realm[VNO_HOST_MAX];
	char dia_addr[16];
	uint16_t dia_port;
	unsigned s6a_timeout_ms;
	bool dia_tls_off;             /* only when the file says tls = off (lab) */
	char dia_tls_cert[VNO_PATH_MAX], dia_tls_key[VNO_PATH_MAX], dia_tls_ca[VNO_PATH_MAX];
	char dia_tls_crl[VNO_PATH_MAX]; /* "" = none */
	size_t n_homes;
	struct vno_home homes[VNO_MAX_HOMES];
	size_t n_apns;
	struct vno_apn apns[VNO_MAX_APNS];
	/* [push]: on when the section sets port */
	bool push;
	char push_addr[16];
	uint16_t push_port;           /* 0: any free port, logged */
	char push_tls_cert[VNO_PATH_MAX]; /* "" with push_tls_key "": plain HTTP (lab only) */
	char push_tls_key[VNO_PATH_MAX];
	char push_client_ca[VNO_PATH_MAX]; /* "": no client certificate required */
};

/*
 * Read and check path into *c. Returns 0, or -1 with a one-line message
 * naming the file (and the line where svc/conf.c knows it) in err.
 */
int vno_conf_load(struct vno_conf *c, const char *path, char *err, size_t err_len);

/* The home network of imsi: the longest matching prefix, or NULL. */
const struct vno_home *vno_conf_home(const struct vno_conf *c, const char *imsi);

/* The [apn.<name>] section of name (APNs compare case-insensitively, TS 23.003 9.1), or NULL. */
const struct vno_apn *vno_conf_apn(const struct vno_conf *c, const char *name);

/* Whether a bearer of apn may CONNECT to host:port. */
bool vno_apn_allows(const struct vno_apn *apn, const char *host, uint16_t port);

/* apn's allow entry host:port names (compared as written), or NULL (none, or allow = *). */
const struct vno_allow *vno_apn_match(const struct vno_apn *apn, const char *host, uint16_t port);

/*
 * Resolve every allow host of every APN (IPv4, the first address) once, at
 * start: the bearer proxy dials an allowed name at that address and never
 * calls the resolver on its event loop. -1 with "path: [apn.X] allow
 * host:port: reason" in err when a name does not resolve.
 */
int vno_conf_resolve(struct vno_conf *c, const char *path, char *err, size_t err_len);

/* Parse "a.b.c.d:port" (port 0 allowed only when allow_zero). 0 or -1. */
int vno_parse_hostport(const char *s, char host[static 16], uint16_t *port, bool allow_zero);
