/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "s6a.h"
#include "vno_conf.h"

#define SECTIONS_MAX (VNO_MAX_HOMES + VNO_MAX_APNS)
#define KEYS_MAX (32 + 4 * VNO_MAX_HOMES + 2 * VNO_MAX_APNS)

static const struct om_conf_key fixed_keys[] = {
	{"vno", "radio_listen", 1}, {"vno", "plmn", 1},         {"vno", "ip_pool", 1},
	{"vno", "log_level", 0},    {"vno", "pcap", 0},         {"vno", "s6a_pcap", 0},
	{"vno", "run_dir", 0},      {"vno", "max_devices", 0},  {"vno", "t3460_ms", 0},
	{"vno", "t3450_ms", 0},     {"vno", "nas_ciphering", 0}, {"vno", "max_unauth", 0},   {"vno", "max_unauth_per_source", 0},
	{"vno", "first_message_ms", 0}, {"vno", "idle_timeout_s", 0}, {"vno", "max_frames_per_s", 0}, {"diameter", "identity", 1}, {"diameter", "realm", 1},
	{"diameter", "listen", 1},  {"diameter", "timeout_ms", 0},
	{"diameter", "tls", 0},     {"diameter", "tls_cert", 0}, {"diameter", "tls_key", 0},
	{"diameter", "tls_ca", 0},  {"diameter", "tls_crl", 0},
	{"push", "listen", 0},      {"push", "port", 0},        {"push", "tls_cert", 0},
	{"push", "tls_key", 0},     {"push", "client_ca", 0},
	OM_METRICS_CONF_KEYS,
};

struct scan {
	char names[SECTIONS_MAX][128];
	size_t n;
};

/* Collect the [home.*] and [apn.*] section names; om_conf_load() checks the rest of the syntax. */
static int scan_sections(const char *path, struct scan *s, char *err, size_t err_len)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	int line = 0, rc = 0;
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		char *p = buf;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '[')
			continue;
		char *close = strchr(p, ']');
		if (!close)
			continue; /* om_conf_load() names the malformed header */
		*close = '\0';
		p++;
		while (isspace((unsigned char)*p))
			p++;
		size_t len = strlen(p);
		while (len && isspace((unsigned char)p[len - 1]))
			p[--len] = '\0';
		if (strncmp(p, "home.", 5) && strncmp(p, "apn.", 4))
			continue;
		if (s->n == SECTIONS_MAX || len >= sizeof(s->names[0])) {
			snprintf(err, err_len, "%s:%d: too many [home.*]/[apn.*] sections or name too long", path,
				 line);
			rc = -1;
			break;
		}
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", p);
	}
	fclose(f);
	return rc;
}

int vno_parse_hostport(const char *s, char host[static 16], uint16_t *port, bool allow_zero)
{
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	if (!colon || colon == s || (size_t)(colon - s) >= 16)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1)
		return -1;
	char *end;
	errno = 0;
	unsigned long v = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || v > 65535 || (!allow_zero && v == 0) || colon[1] == '-')
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "MCC-MNC", e.g. "999-70" or "310-410". */
static int parse_plmn(const char *s, struct om_nas_plmn *p)
{
	const char *dash = strchr(s, '-');
	if (!dash || dash - s != 3)
		return -1;
	memcpy(p->mcc, s, 3);
	p->mcc[3] = '\0';
	if (!all_digits(p->mcc, 3, 3) || !all_digits(dash + 1, 2, 3))
		return -1;
	snprintf(p->mnc, sizeof(p->mnc), "%s", dash + 1);
	return 0;
}

/* "a.b.c.d/len": the addresses after the network and the gateway (.1), before broadcast. */
static int parse_pool(const char *s, uint8_t base[4], uint32_t *size)
{
	char ip[16];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	if (!slash || slash - s >= (long)sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1 || !all_digits(slash + 1, 1, 2))
		return -1;
	unsigned plen = (unsigned)atoi(slash + 1);
	if (plen < VNO_POOL_PREFIX_MIN || plen > 29)
		return -1;
	uint32_t net = ntohl(a.s_addr) & ~((UINT32_C(1) << (32 - plen)) - 1);
	uint32_t first = net + 2;
	*size = (UINT32_C(1) << (32 - plen)) - 3;
	for (int i = 0; i < 4; i++)
		base[i] = (uint8_t)(first >> (24 - 8 * i));
	return 0;
}

static int parse_allow(struct vno_apn *apn, const char *v)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", v);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcmp(tok, "*")) {
			apn->any = true;
			continue;
		}
		char *colon = strrchr(tok, ':');
		if (!colon || colon == tok || apn->n_allow == VNO_MAX_ALLOW ||
		    (size_t)(colon - tok) >= VNO_HOST_MAX || !all_digits(colon + 1, 1, 5))
			return -1;
		unsigned long port = strtoul(colon + 1, NULL, 10);
		if (port == 0 || port > 65535)
			return -1;
		struct vno_allow *a = &apn->allow[apn->n_allow++];
		memcpy(a->host, tok, (size_t)(colon - tok));
		a->host[colon - tok] = '\0';
		a->port = (uint16_t)port;
	}
	return apn->any || apn->n_allow ? 0 : -1;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

#define BAD(sec, key)                                                                              \
	do {                                                                                       \
		snprintf(err, err_len, "%s: [%s] %s: invalid value", path, sec, key);              \
		goto out;                                                                          \
	} while (0)

static int load_home(struct vno_conf *c, const struct om_conf *cf, const char *sec, const char *path,
		     char *err, size_t err_len)
{
	struct vno_home *h = &c->homes[c->n_homes];
	const char *digits = sec + 5;
	int rc = -1;
	if (!all_digits(digits, 5, 6))
		BAD(sec, "section name (home.<MCC><MNC>, 5 or 6 digits)");
	memcpy(h->prefix, digits, strlen(digits) + 1);
	memcpy(h->plmn.mcc, digits, 3);
	snprintf(h->plmn.mnc, sizeof(h->plmn.mnc), "%s", digits + 3);
	const char *realm = om_conf_get(cf, sec, "realm");
	if (realm) {
		if (!*realm || copy_str(h->realm, sizeof(h->realm), realm))
			BAD(sec, "realm");
	} else {
		char r[OM_S6A_REALM_MAX];
		if (om_s6a_realm(r, h->plmn.mcc, h->plmn.mnc) || copy_str(h->realm, sizeof(h->realm), r))
			BAD(sec, "realm");
	}
	const char *peer = om_conf_get(cf, sec, "peer");
	if (!*peer || copy_str(h->peer, sizeof(h->peer), peer))
		BAD(sec, "peer");
	if (vno_parse_hostport(om_conf_get(cf, sec, "address"), h->peer_addr, &h->peer_port, false))
		BAD(sec, "address (a.b.c.d:port)");
	for (size_t i = 0; i < c->n_homes; i++)
		if (!strcmp(c->homes[i].prefix, h->prefix))
			BAD(sec, "section name (duplicate)");
	/* the DRF allowed to push to this home's IMSIs; vno_push_start() pins its key */
	if (copy_str(h->push_cert, sizeof(h->push_cert), om_conf_str(cf, sec, "push_cert", "")))
		BAD(sec, "push_cert (path too long)");
	c->n_homes++;
	rc = 0;
out:
	return rc;
}

static int load_apn(struct vno_conf *c, const struct om_conf *cf, const char *sec, const char *path,
		    char *err, size_t err_len)
{
	struct vno_apn *a = &c->apns[c->n_apns];
	int rc = -1;
	memset(a, 0, sizeof(*a));
	/* The name must be an APN the NAS codec would carry (TS 23.003 9.1). */
	struct om_nas_msg probe;
	if (!sec[4] || copy_str(a->name, sizeof(a->name), sec + 4) ||
	    om_nas_attach_request_init(&probe, "001010000000001", a->name))
		BAD(sec, "section name (apn.<APN>)");
	if (vno_conf_apn(c, a->name))
		BAD(sec, "section name (duplicate)");
	if (parse_allow(a, om_conf_get(cf, sec, "allow")))
		BAD(sec, "allow (* or host:port, ...)");
	uint64_t v;
	if (om_conf_uint(cf, sec, "tunnel_idle_s", VNO_TUNNEL_IDLE_S_DEFAULT, 1, 86400, &v, err, err_len))
		goto out;
	a->tunnel_idle_s = (unsigned)v;
	c->n_apns++;
	rc = 0;
out:
	return rc;
}

/* [push]: on when port is set; TLS needs cert and key together, client_ca needs TLS. */
static int load_push(struct vno_conf *c, const struct om_conf *cf, const char *path, char *err, size_t err_len)
{
	static const char *const others[] = {"listen", "tls_cert", "tls_key", "client_ca"};
	int rc = -1;
	uint64_t v;
	if (!om_conf_get(cf, "push", "port")) {
		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
			if (om_conf_get(cf, "push", others[i]))
				BAD("push", "port (required when [push] is there; 0 picks a free port)");
		return 0;
	}
	if (om_conf_uint(cf, "push", "port", 0, 0, 65535, &v, err, err_len))
		goto out;
	c->push = true;
	c->push_port = (uint16_t)v;
	const char *addr = om_conf_str(cf, "push", "listen", "127.0.0.1");
	struct in_addr a;
	if (copy_str(c->push_addr, sizeof(c->push_addr), addr) || inet_pton(AF_INET, addr, &a) != 1)
		BAD("push", "listen (a.b.c.d)");
	if (copy_str(c->push_tls_cert, sizeof(c->push_tls_cert), om_conf_str(cf, "push", "tls_cert", "")) ||
	    copy_str(c->push_tls_key, sizeof(c->push_tls_key), om_conf_str(cf, "push", "tls_key", "")) ||
	    copy_str(c->push_client_ca, sizeof(c->push_client_ca), om_conf_str(cf, "push", "client_ca", "")))
		BAD("push", "tls_cert, tls_key or client_ca (path too long)");
	if (!c->push_tls_cert[0] != !c->push_tls_key[0])
		BAD("push", "tls_cert and tls_key (both or neither)");
	if (c->push_client_ca[0] && !c->push_tls_cert[0])
		BAD("push", "client_ca (needs tls_cert and tls_key)");
	rc = 0;
out:
	return rc;
}

static int load_main(struct vno_conf *c, const struct om_conf *cf, const char *path, char *err, size_t err_len)
{
	int rc = -1;
	uint64_t v;
	if (vno_parse_hostport(om_conf_get(cf, "vno", "radio_listen"), c->radio_addr, &c->radio_port, true))
		BAD("vno", "radio_listen (a.b.c.d:port)");
	if (parse_plmn(om_conf_get(cf, "vno", "plmn"), &c->plmn))
		BAD("vno", "plmn (MCC-MNC, e.g. 999-70)");
	if (parse_pool(om_conf_get(cf, "vno", "ip_pool"), c->pool_base, &c->pool_size))
		BAD("vno", "ip_pool (a.b.c.d/12..29)");
	c->log_level = om_log_level_parse(om_conf_str(cf, "vno", "log_level", "info"));
	if (c->log_level < 0)
		BAD("vno", "log_level (debug, info, notice, error)");
	if (copy_str(c->pcap, sizeof(c->pcap), om_conf_str(cf, "vno", "pcap", "")) ||
	    copy_str(c->s6a_pcap, sizeof(c->s6a_pcap), om_conf_str(cf, "vno", "s6a_pcap", "")))
		BAD("vno", "pcap");
	if (copy_str(c->run_dir, sizeof(c->run_dir), om_conf_str(cf, "vno", "run_dir", "")))
		BAD("vno", "run_dir");
	if (om_conf_uint(cf, "vno", "max_devices", 256, 1, VNO_MAX_DEVICES_MAX, &v, err, err_len))
		goto out;
	c->max_devices = (unsigned)v;
	/* Half the links by default stay for devices that have authenticated (docs/vno.md "Bounds"). */
	if (om_conf_uint(cf, "vno", "max_unauth", c->max_devices > 1 ? c->max_devices / 2 : 1, 1, c->max_devices, &v,
			 err, err_len))
		goto out;
	c->max_unauth = (unsigned)v;
	if (om_conf_uint(cf, "vno", "max_unauth_per_source", c->max_unauth < 16 ? c->max_unauth : 16, 1,
			 c->max_unauth, &v, err, err_len))
		goto out;
	c->max_unauth_per_source = (unsigned)v;
	if (om_conf_uint(cf, "vno", "first_message_ms", 5000, 100, 600000, &v, err, err_len))
		goto out;
	c->first_message_ms = (unsigned)v;
	if (om_conf_uint(cf, "vno", "idle_timeout_s", 300, 1, 86400, &v, err, err_len))
		goto out;
	c->idle_timeout_s = (unsigned)v;
	/* An attach is about five uplink frames: 50 a second is ten attaches' worth on one link. */
	if (om_conf_uint(cf, "vno", "max_frames_per_s", 50, 5, 1000000, &v, err, err_len))
		goto out;
	c->max_frames_per_s = (unsigned)v;
	if (om_conf_uint(cf, "vno", "t3460_ms", 6000, 50, 60000, &v, err, err_len))
		goto out;
	c->t3460_ms = (unsigned)v;
	if (om_conf_uint(cf, "vno", "t3450_ms", 6000, 50, 60000, &v, err, err_len))
		goto out;
	c->t3450_ms = (unsigned)v;
	/* 128-EEA2, or EEA0 for a lab whose NAS capture tshark must read (docs/nas.md); EIA2 always. */
	const char *eea = om_conf_str(cf, "vno", "nas_ciphering", "eea2");
	if (!strcmp(eea, "eea2"))
		c->nas_eea = 2;
	else if (!strcmp(eea, "eea0"))
		c->nas_eea = 0;
	else
		BAD("vno", "nas_ciphering (eea2 or eea0)");
	if (copy_str(c->identity, sizeof(c->identity), om_conf_get(cf, "diameter", "identity")) ||
	    !c->identity[0])
		BAD("diameter", "identity");
	if (copy_str(c->realm, sizeof(c->realm), om_conf_get(cf, "diameter", "realm")) || !c->realm[0])
		BAD("diameter", "realm");
	if (vno_parse_hostport(om_conf_get(cf, "diameter", "listen"), c->dia_addr, &c->dia_port, false))
		BAD("diameter", "listen (a.b.c.d:port)");
	if (om_conf_uint(cf, "diameter", "timeout_ms", 5000, 100, 60000, &v, err, err_len))
		goto out;
	c->s6a_timeout_ms = (unsigned)v;
	/* S6a over TLS unless the file says tls = off (docs/s6a.md "Transport security") */
	int off = om_s6a_conf_tls(om_conf_get(cf, "diameter", "tls"));
	if (off < 0)
		BAD("diameter", "tls (on or off)");
	c->dia_tls_off = off == 1;
	if (copy_str(c->dia_tls_cert, sizeof(c->dia_tls_cert), om_conf_str(cf, "diameter", "tls_cert", "")) ||
	    copy_str(c->dia_tls_key, sizeof(c->dia_tls_key), om_conf_str(cf, "diameter", "tls_key", "")) ||
	    copy_str(c->dia_tls_ca, sizeof(c->dia_tls_ca), om_conf_str(cf, "diameter", "tls_ca", "")) ||
	    copy_str(c->dia_tls_crl, sizeof(c->dia_tls_crl), om_conf_str(cf, "diameter", "tls_crl", "")))
		BAD("diameter", "tls_cert, tls_key, tls_ca or tls_crl (path too long)");
	if (!c->dia_tls_off && (!c->dia_tls_cert[0] || !c->dia_tls_key[0] || !c->dia_tls_ca[0]))
		BAD("diameter", "tls_cert, tls_key and tls_ca (required unless tls = off)");
	rc = 0;
out:
	return rc;
}

int vno_conf_load(struct vno_conf *c, const char *path, char *err, size_t err_len)
{
	static struct scan s; /* large; the daemon loads its configuration once */
	struct om_conf_key keys[KEYS_MAX];
	struct om_conf *cf = NULL;
	size_t n = 0;
	int rc = -1;
	memset(c, 0, sizeof(*c));
	memset(&s, 0, sizeof(s));
	if (scan_sections(path, &s, err, err_len))
		goto out;
	for (size_t i = 0; i < sizeof(fixed_keys) / sizeof(fixed_keys[0]); i++)
		keys[n++] = fixed_keys[i];
	size_t homes = 0, apns = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (!strncmp(s.names[i], "home.", 5)) {
			if (++homes > VNO_MAX_HOMES) {
				snprintf(err, err_len, "%s: more than %d [home.*] sections", path, VNO_MAX_HOMES);
				goto out;
			}
			keys[n++] = (struct om_conf_key){s.names[i], "realm", 0};
			keys[n++] = (struct om_conf_key){s.names[i], "peer", 1};
			keys[n++] = (struct om_conf_key){s.names[i], "address", 1};
			keys[n++] = (struct om_conf_key){s.names[i], "push_cert", 0};
		} else {
			if (++apns > VNO_MAX_APNS) {
				snprintf(err, err_len, "%s: more than %d [apn.*] sections", path, VNO_MAX_APNS);
				goto out;
			}
			keys[n++] = (struct om_conf_key){s.names[i], "allow", 1};
			keys[n++] = (struct om_conf_key){s.names[i], "tunnel_idle_s", 0};
		}
	}
	if (!(cf = om_conf_load(path, keys, n, err, err_len)))
		goto out;
	if (load_main(c, cf, path, err, err_len) || load_push(c, cf, path, err, err_len) ||
	    om_metrics_conf_check(cf, err, err_len))
		goto out;
	if (copy_str(c->metrics_listen, sizeof(c->metrics_listen), om_conf_str(cf, "metrics", "listen", ""))) {
		snprintf(err, err_len, "%s: [metrics] listen: too long", path);
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		/* A section listed twice in the file is one section to om_conf; load it once. */
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || !strcmp(s.names[j], s.names[i]);
		if (seen)
			continue;
		if (!strncmp(s.names[i], "home.", 5) ? load_home(c, cf, s.names[i], path, err, err_len)
						       : load_apn(c, cf, s.names[i], path, err, err_len))
			goto out;
	}
	if (!c->n_homes) {
		snprintf(err, err_len, "%s: no [home.<MCC><MNC>] section: no device could attach", path);
		goto out;
	}
	rc = 0;
out:
	om_conf_free(cf);
	return rc;
}

const struct vno_home *vno_conf_home(const struct vno_conf *c, const char *imsi)
{
	const struct vno_home *best = NULL;
	for (size_t i = 0; i < c->n_homes; i++) {
		size_t n = strlen(c->homes[i].prefix);
		if (!strncmp(imsi, c->homes[i].prefix, n) && (!best || n > strlen(best->prefix)))
			best = &c->homes[i];
	}
	return best;
}

const struct vno_apn *vno_conf_apn(const struct vno_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_apns; i++)
		if (!strcasecmp(c->apns[i].name, name))
			return &c->apns[i];
	return NULL;
}

const struct vno_allow *vno_apn_match(const struct vno_apn *apn, const char *host, uint16_t port)
{
	for (size_t i = 0; i < apn->n_allow; i++)
		if (apn->allow[i].port == port && !strcasecmp(apn->allow[i].host, host))
			return &apn->allow[i];
	return NULL;
}

bool vno_apn_allows(const struct vno_apn *apn, const char *host, uint16_t port)
{
	return apn->any || vno_apn_match(apn, host, port) != NULL;
}

int vno_conf_resolve(struct vno_conf *c, const char *path, char *err, size_t err_len)
{
	for (size_t i = 0; i < c->n_apns; i++) {
		for (size_t k = 0; k < c->apns[i].n_allow; k++) {
			struct vno_allow *a = &c->apns[i].allow[k];
			struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
			int rc = getaddrinfo(a->host, NULL, &hints, &res);
			if (rc != 0 || !res) {
				snprintf(err, err_len, "%s: [apn.%s] allow %s:%u: %s", path, c->apns[i].name, a->host,
					 (unsigned)a->port, rc ? gai_strerror(rc) : "no IPv4 address");
				if (res)
					freeaddrinfo(res);
				return -1;
			}
			a->addr = ((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr;
			a->resolved = true;
			freeaddrinfo(res);
		}
	}
	return 0;
}
