/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S6a handlers of the HSS. Each one reads and checks the request into a
 * small struct (a bad AVP is answered DIAMETER_INVALID_AVP_VALUE with the
 * reason logged, never an abort), calls the core, and builds the answer
 * with the AVP layer. freeDiameter has already checked the command's rules
 * (s6a_dict.c), so a missing mandatory AVP never reaches us: the core
 * answers DIAMETER_MISSING_AVP itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hss_store.h"
#include "log.h"
#include "metrics.h"
#include "s6a_avp.h"
#include "s6a_server.h"

#define DIAMETER_MISSING_AVP 5005
#define QCI_DEFAULT 9           /* TS 23.203 6.1.7: non-GBR, best effort */
#define ARP_PRIORITY_DEFAULT 8  /* TS 29.212 5.3.45 */
#define PREEMPTION_CAP_DISABLED 1
#define PREEMPTION_VULN_ENABLED 0

static struct hss *the_hss;

/* Prometheus metrics (svc/metrics.h, docs/operate.md "Metrics"): each request by the code it was answered. */
static struct om_metric m_air = OM_COUNTER("openmcim_hss_air_total",
	"Authentication-Information-Requests, by the Result-Code or Experimental-Result-Code answered (dropped: no answer could leave)",
	"result");
static struct om_metric m_ulr = OM_COUNTER("openmcim_hss_ulr_total",
	"Update-Location-Requests, by the Result-Code or Experimental-Result-Code answered", "result");
static struct om_metric m_pur = OM_COUNTER("openmcim_hss_pur_total",
	"Purge-UE-Requests, by the Result-Code or Experimental-Result-Code answered", "result");
static struct om_metric m_notice = OM_COUNTER("openmcim_hss_notices_total",
	"Cancel-Location and Insert-Subscriber-Data sent to MMEs, by outcome", "result");
static struct om_metric m_s6a_seconds = OM_HISTOGRAM("openmcim_hss_s6a_seconds",
	"Time from an S6a request's dispatch to its answer, by command", "command");

static struct om_metric *metric_of(const char *cmd)
{
	return cmd[0] == 'a' ? &m_air : cmd[0] == 'u' ? &m_ulr : &m_pur;
}

static void count_code(const char *cmd, uint32_t code, const struct timespec *t0)
{
	char v[16];
	snprintf(v, sizeof(v), "%u", (unsigned)code);
	om_metric_inc(metric_of(cmd), v);
	om_metric_observe_since(&m_s6a_seconds, cmd[0] == 'a' ? "air" : cmd[0] == 'u' ? "ulr" : "pur", t0);
}
static struct disp_hdl *hdl_air, *hdl_ulr, *hdl_pur;

struct hss_s6a_code hss_s6a_code_for(int r)
{
	/* Base codes go in Result-Code, the 3GPP ones of TS 29.272 7.4.3/7.4.4 in Experimental-Result. */
	switch (r) {
	case HSS_OK:
		return (struct hss_s6a_code){ OM_S6A_SUCCESS, 0 };
	case HSS_USER_UNKNOWN:
		return (struct hss_s6a_code){ OM_S6A_ERROR_USER_UNKNOWN, 1 };
	case HSS_UNKNOWN_EPS_SUBSCRIPTION:
	case HSS_SUSPENDED:
		return (struct hss_s6a_code){ OM_S6A_ERROR_UNKNOWN_EPS_SUBSCRIPTION, 1 };
	case HSS_ROAMING_NOT_ALLOWED:
		return (struct hss_s6a_code){ OM_S6A_ERROR_ROAMING_NOT_ALLOWED, 1 };
	case HSS_AUTHENTICATION_DATA_UNAVAILABLE:
	case HSS_RESYNC_REFUSED:
		return (struct hss_s6a_code){ OM_S6A_AUTHENTICATION_DATA_UNAVAILABLE, 1 };
	case HSS_INVALID:
		return (struct hss_s6a_code){ OM_S6A_INVALID_AVP_VALUE, 0 };
	default:
		return (struct hss_s6a_code){ OM_S6A_UNABLE_TO_COMPLY, 0 };
	}
}

/* What every S6a request we serve carries, and which AVP made it fail. */
struct common {
	char imsi[HSS_IMSI_MAX + 1];
	char origin[HSS_HOST_MAX + 1];
	uint8_t plmn[3];
	char plmn_txt[8];
	struct dict_object *bad;  /* the AVP refused or missing, for Failed-AVP (RFC 6733 7.5) */
	msg_or_avp *bad_in;       /* where it was; NULL when missing */
};

/* Note the AVP behind a refusal; returns why. */
static const char *refuse(struct common *c, struct dict_object *model, msg_or_avp *in, const char *why)
{
	c->bad = model;
	c->bad_in = in;
	return why;
}

/* User-Name is an IMSI: 5..15 decimal digits (TS 23.003 2.2). */
static int imsi_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 5 && n <= 15 && strspn(s, "0123456789") == n;
}

/* User-Name, Origin-Host and (when want_plmn) Visited-PLMN-Id; NULL or why not. */
static const char *read_common(struct msg *m, struct common *c, int want_plmn)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->imsi, sizeof(c->imsi), "-");
	snprintf(c->plmn_txt, sizeof(c->plmn_txt), "-");
	if (om_avp_get_str(m, om_s6a_d.user_name, c->imsi, sizeof(c->imsi)) != 1 || !imsi_ok(c->imsi)) {
		snprintf(c->imsi, sizeof(c->imsi), "-"); /* never log what is not an IMSI */
		return refuse(c, om_s6a_d.user_name, m, "User-Name is not 5..15 digits");
	}
	if (om_avp_get_str(m, om_s6a_d.origin_host, c->origin, sizeof(c->origin)) != 1)
		return refuse(c, om_s6a_d.origin_host, m, "Origin-Host missing or too long");
	if (!want_plmn)
		return NULL;
	if (om_avp_get_fixed(m, om_s6a_d.visited_plmn, c->plmn, 3) != 1)
		return refuse(c, om_s6a_d.visited_plmn, m, "Visited-PLMN-Id is not 3 octets");
	hss_plmn_format(c->plmn, c->plmn_txt);
	return NULL;
}

/*
 * 1 when the request cannot be answered now and was dropped: its peer is
 * not OPEN (gone, or reconnected and still in the watchdog exchange, when
 * freeDiameter would discard our answer). Checked before the core runs, so
 * that no SQN is spent and no vector made for an answer that cannot leave.
 * The MME's own timeout covers the request.
 */
static int dropped_unanswerable(struct msg **msg, const char *cmd)
{
	if (om_s6a_can_answer(*msg))
		return 0;
	char peer[HSS_HOST_MAX + 1] = "-";
	(void)om_avp_get_str(*msg, om_s6a_d.origin_host, peer, sizeof(peer));
	om_notice(cmd, "origin=%s result=dropped reason=\"peer not open: the answer could not be delivered\"", peer);
	om_metric_inc(metric_of(cmd), "dropped");
	fd_msg_free(*msg);
	*msg = NULL;
	return 1;
}

/*
 * 1 when the request's Origin-Host is not the peer it came over, answered
 * DIAMETER_AUTHORIZATION_REJECTED (5003, RFC 6733 7.1.5; docs/decisions.md)
 * with one log line; *rc says whether the answer left. The peer's identity
 * is the one its certificate was checked against (svc/s6a_guard.c), and the
 * HSS relays nothing (NoRelay), so a listed MME may speak only for itself:
 * checked before anything is read into state or a vector made, so it cannot
 * purge, register or spend an IND under another MME's name or a new one.
 */
static int refused_foreign_origin(struct msg **msg, const char *cmd, int *rc)
{
	char origin[HSS_HOST_MAX + 1], peer[HSS_HOST_MAX + 1] = "-";
	DiamId_t src = NULL;
	size_t len = 0;
	if (om_s6a_origin_is_source(*msg, origin, sizeof(origin)))
		return 0;
	if (!fd_msg_source_get(*msg, &src, &len) && src)
		snprintf(peer, sizeof(peer), "%.*s", (int)(len < HSS_HOST_MAX ? len : HSS_HOST_MAX), (const char *)src);
	om_notice(cmd, "origin=%s peer=%s result=refused code=%u reason=\"Origin-Host is not the peer it came over\"",
		  origin, peer, OM_S6A_AUTHORIZATION_REJECTED);
	{
		char v[16];
		snprintf(v, sizeof(v), "%u", (unsigned)OM_S6A_AUTHORIZATION_REJECTED);
		om_metric_inc(metric_of(cmd), v);
	}
	*rc = om_s6a_new_answer(msg) || om_s6a_set_result(*msg, OM_S6A_AUTHORIZATION_REJECTED, 0) ||
	      fd_msg_send(msg, NULL, NULL) ? ENOMEM : 0;
	return 1;
}

/* Answer *msg with result r (and no payload), then send it. */
static int answer_result(struct msg **msg, int r)
{
	struct hss_s6a_code c = hss_s6a_code_for(r);
	if (om_s6a_new_answer(msg) || om_s6a_set_result(*msg, c.code, c.experimental))
		return -1;
	return fd_msg_send(msg, NULL, NULL) ? -1 : 0;
}

/*
 * Answer a request we refused: DIAMETER_MISSING_AVP (5005) when missing,
 * else DIAMETER_INVALID_AVP_VALUE (5004), with the Failed-AVP of RFC 6733
 * 7.5 naming c->bad (the request stays readable behind its answer).
 */
static int answer_refused(struct msg **msg, const struct common *c, int missing)
{
	if (om_s6a_new_answer(msg) ||
	    om_s6a_set_result(*msg, missing ? DIAMETER_MISSING_AVP : OM_S6A_INVALID_AVP_VALUE, 0) ||
	    (c->bad && om_s6a_add_failed_avp(*msg, c->bad, missing ? NULL : c->bad_in)))
		return -1;
	return fd_msg_send(msg, NULL, NULL) ? -1 : 0;
}

/* ---- AIR / AIA --------------------------------------------------------- */

struct air {
	struct common c;
	unsigned n;
	int utran; /* Requested-UTRAN-GERAN-Authentication-Info only */
	int has_resync;
	uint8_t resync[OM_S6A_RESYNC_LEN];
};

/* TS 29.272 7.3.11 / 7.3.12: the requested-vectors group. */
static const char *read_req_auth(struct avp *g, struct air *r)
{
	uint32_t n = 1;
	int rc = om_avp_get_u32(g, om_s6a_d.n_vectors, &n);
	if (rc < 0 || n == 0 || n > OM_S6A_VECTORS_MAX)
		return refuse(&r->c, om_s6a_d.n_vectors, g, "Number-Of-Requested-Vectors out of 1..32");
	r->n = n;
	rc = om_avp_get_fixed(g, om_s6a_d.resync, r->resync, sizeof(r->resync));
	if (rc < 0)
		return refuse(&r->c, om_s6a_d.resync, g, "Re-Synchronization-Info is not 30 octets");
	r->has_resync = rc == 1;
	return NULL;
}

static const char *read_air(struct msg *m, struct air *r, int *missing)
{
	struct avp *g = NULL;
	const char *why = read_common(m, &r->c, 1);
	*missing = 0;
	if (why)
		return why;
	int e = om_avp_get_group(m, om_s6a_d.req_eutran, &g);
	if (e == 0) {
		if (om_avp_get_group(m, om_s6a_d.req_utran, &g) != 1) {
			*missing = 1;
			return refuse(&r->c, om_s6a_d.req_eutran, NULL,
				      "no Requested-EUTRAN- nor -UTRAN-GERAN-Authentication-Info");
		}
		r->utran = 1;
	} else if (e < 0) {
		return refuse(&r->c, om_s6a_d.req_eutran, m, "Requested-EUTRAN-Authentication-Info twice");
	}
	return read_req_auth(g, r);
}

/* One octet-string AVP of a vector group. */
struct vec_avp {
	struct dict_object *model;
	const uint8_t *p;
	size_t len;
};

/* An E-UTRAN- or UTRAN-Vector group (TS 29.272 7.3.18 / 7.3.19): Item-Number, then the n AVPs in order. */
static int add_vector(struct avp *info, struct dict_object *model, unsigned item, const struct vec_avp *a, size_t n)
{
	struct avp *g = NULL;
	int rc = om_avp_add_group(info, model, &g);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.item_number, item);
	for (size_t i = 0; !rc && i < n; i++)
		rc = om_avp_add_os(g, a[i].model, a[i].p, a[i].len);
	return rc;
}

static int add_eutran(struct avp *info, const struct om_eutran_vector *v, unsigned item)
{
	const struct vec_avp a[] = {
		{ om_s6a_d.rand, v->rand, sizeof(v->rand) },
		{ om_s6a_d.xres, v->xres, sizeof(v->xres) },
		{ om_s6a_d.autn, v->autn, sizeof(v->autn) },
		{ om_s6a_d.kasme, v->kasme, sizeof(v->kasme) },
	};
	return add_vector(info, om_s6a_d.eutran_vector, item, a, sizeof(a) / sizeof(a[0]));
}

static int add_utran(struct avp *info, const struct om_utran_vector *v, unsigned item)
{
	const struct vec_avp a[] = {
		{ om_s6a_d.rand, v->rand, sizeof(v->rand) },
		{ om_s6a_d.xres, v->xres, sizeof(v->xres) },
		{ om_s6a_d.autn, v->autn, sizeof(v->autn) },
		{ om_s6a_d.ck, v->ck, sizeof(v->ck) },
		{ om_s6a_d.ik, v->ik, sizeof(v->ik) },
	};
	return add_vector(info, om_s6a_d.utran_vector, item, a, sizeof(a) / sizeof(a[0]));
}

/* The core's vectors into Authentication-Info, Item-Number 1..n (TS 29.272 7.3.17). */
static int vectors_answer(struct msg *ans, const struct air *r, int n, const struct om_eutran_vector *ev,
			  const struct om_utran_vector *uv)
{
	struct avp *info = NULL;
	int rc = om_s6a_set_result(ans, OM_S6A_SUCCESS, 0);
	if (!rc)
		rc = om_avp_add_group(ans, om_s6a_d.auth_info, &info);
	for (int i = 0; !rc && i < n; i++)
		rc = r->utran ? add_utran(info, &uv[i], (unsigned)i + 1) : add_eutran(info, &ev[i], (unsigned)i + 1);
	return rc;
}

static int on_air(struct msg **msg, struct avp *avp, struct session *sess, void *opaque, enum disp_action *act)
{
	struct air r;
	struct om_eutran_vector ev[OM_S6A_VECTORS_MAX];
	struct om_utran_vector uv[OM_S6A_VECTORS_MAX];
	int missing = 0, n, rc = -1;
	const struct timespec t0 = om_metric_start();
	(void)avp;
	(void)sess;
	(void)opaque;
	*act = DISP_ACT_CONT;
	if (dropped_unanswerable(msg, "aia"))
		return 0;
	if (refused_foreign_origin(msg, "aia", &rc))
		return rc;

	memset(&r, 0, sizeof(r));
	const char *why = read_air(*msg, &r, &missing);
	if (why) {
		om_notice("aia", "imsi=%s origin=%s result=invalid code=%d reason=\"%s\"", r.c.imsi, r.c.origin,
			  missing ? DIAMETER_MISSING_AVP : OM_S6A_INVALID_AVP_VALUE, why);
		count_code("aia", missing ? DIAMETER_MISSING_AVP : OM_S6A_INVALID_AVP_VALUE, &t0);
		rc = answer_refused(msg, &r.c, missing);
		goto out;
	}
	const uint8_t *resync = r.has_resync ? r.resync : NULL;
	if (r.utran)
		n = hss_auth_info_utran(the_hss, r.c.imsi, r.c.plmn, r.c.origin, r.n, resync, uv);
	else
		n = hss_auth_info(the_hss, r.c.imsi, r.c.plmn, r.c.origin, r.n, resync, ev);
	(void)hss_idle(the_hss, "air");
	struct hss_s6a_code c = hss_s6a_code_for(n > 0 ? HSS_OK : n == 0 ? HSS_ERROR : n);
	om_info("aia", "imsi=%s plmn=%s origin=%s n=%u resync=%d rat=%s result=%s code=%u%s vectors=%d", r.c.imsi,
		r.c.plmn_txt, r.c.origin, r.n, r.has_resync, r.utran ? "utran" : "eutran",
		n > 0 ? "ok" : hss_result_name(n ? n : HSS_ERROR), c.code, c.experimental ? "e" : "", n > 0 ? n : 0);
	count_code("aia", c.code, &t0);
	if (n <= 0) {
		rc = answer_result(msg, n ? n : HSS_ERROR);
		goto out;
	}
	if (om_s6a_new_answer(msg) || vectors_answer(*msg, &r, n, ev, uv))
		goto out;
	rc = fd_msg_send(msg, NULL, NULL) ? -1 : 0;
out:
	OPENSSL_cleanse(ev, sizeof(ev));
	OPENSSL_cleanse(uv, sizeof(uv));
	OPENSSL_cleanse(&r, sizeof(r));
	/* On -1 freeDiameter answers DIAMETER_UNABLE_TO_COMPLY itself. */
	return rc ? ENOMEM : 0;
}

/* ---- ULR / ULA --------------------------------------------------------- */

static int add_ambr(struct avp *parent, uint64_t ul, uint64_t dl)
{
	struct avp *g = NULL;
	/* Max-Requested-Bandwidth is Unsigned32 bit/s; more needs Extended-* (Rel-12), not sent. */
	uint32_t u = ul > UINT32_MAX ? UINT32_MAX : (uint32_t)ul, d = dl > UINT32_MAX ? UINT32_MAX : (uint32_t)dl;
	int rc = om_avp_add_group(parent, om_s6a_d.ambr, &g);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.bw_ul, u);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.bw_dl, d);
	return rc;
}

/* TS 29.272 7.3.35 APN-Configuration, with a default best-effort bearer QoS. */
static int add_apn(struct avp *prof, const struct hss_apn *a, const struct hss_subscription *s)
{
	struct avp *g = NULL, *qos = NULL, *arp = NULL;
	int rc = om_avp_add_group(prof, om_s6a_d.apn_conf, &g);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.context_id, a->context_id);
	if (!rc)
		rc = om_avp_add_i32(g, om_s6a_d.pdn_type, OM_S6A_PDN_IPV4);
	if (!rc)
		rc = om_avp_add_str(g, om_s6a_d.service_selection, a->name);
	if (!rc)
		rc = om_avp_add_group(g, om_s6a_d.eps_qos, &qos);
	if (!rc)
		rc = om_avp_add_i32(qos, om_s6a_d.qci, QCI_DEFAULT);
	if (!rc)
		rc = om_avp_add_group(qos, om_s6a_d.arp, &arp);
	if (!rc)
		rc = om_avp_add_u32(arp, om_s6a_d.priority_level, ARP_PRIORITY_DEFAULT);
	if (!rc)
		rc = om_avp_add_i32(arp, om_s6a_d.preempt_cap, PREEMPTION_CAP_DISABLED);
	if (!rc)
		rc = om_avp_add_i32(arp, om_s6a_d.preempt_vuln, PREEMPTION_VULN_ENABLED);
	if (!rc)
		rc = add_ambr(g, s->ambr_ul, s->ambr_dl);
	return rc;
}

/* TS 29.272 7.3.2 Subscription-Data as far as an EPS-only M2M subscription needs. */
static int add_subscription(msg_or_avp *parent, const struct hss_subscription *s)
{
	struct avp *sd = NULL, *prof = NULL;
	int rc = om_avp_add_group(parent, om_s6a_d.sub_data, &sd);
	if (!rc)
		rc = om_avp_add_i32(sd, om_s6a_d.subscriber_status, OM_S6A_SERVICE_GRANTED);
	if (!rc)
		rc = om_avp_add_i32(sd, om_s6a_d.nam, OM_S6A_ONLY_PACKET);
	if (!rc)
		rc = add_ambr(sd, s->ambr_ul, s->ambr_dl);
	if (!rc)
		rc = om_avp_add_group(sd, om_s6a_d.apn_profile, &prof);
	if (!rc)
		rc = om_avp_add_u32(prof, om_s6a_d.context_id, s->default_context_id);
	if (!rc)
		rc = om_avp_add_i32(prof, om_s6a_d.all_apn, OM_S6A_ALL_APN_INCLUDED);
	for (size_t i = 0; !rc && i < s->n_apns; i++)
		rc = add_apn(prof, &s->apns[i], s);
	return rc;
}

static int on_ulr(struct msg **msg, struct avp *avp, struct session *sess, void *opaque, enum disp_action *act)
{
	struct common c;
	struct hss_subscription sub;
	uint32_t flags = 0;
	const struct timespec t0 = om_metric_start();
	int32_t rat = 0;
	int r, rc = -1;
	(void)avp;
	(void)sess;
	(void)opaque;
	*act = DISP_ACT_CONT;
	if (dropped_unanswerable(msg, "ula"))
		return 0;
	if (refused_foreign_origin(msg, "ula", &rc))
		return rc;

	memset(&sub, 0, sizeof(sub));
	const char *why = read_common(*msg, &c, 1);
	if (!why && om_avp_get_u32(*msg, om_s6a_d.ulr_flags, &flags) != 1)
		why = refuse(&c, om_s6a_d.ulr_flags, *msg, "ULR-Flags missing or repeated");
	if (!why && om_avp_get_i32(*msg, om_s6a_d.rat_type, &rat) != 1)
		why = refuse(&c, om_s6a_d.rat_type, *msg, "RAT-Type missing or repeated");
	if (why) {
		om_notice("ula", "imsi=%s origin=%s result=invalid code=%d reason=\"%s\"", c.imsi, c.origin,
			  OM_S6A_INVALID_AVP_VALUE, why);
		count_code("ula", OM_S6A_INVALID_AVP_VALUE, &t0);
		rc = answer_refused(msg, &c, 0);
		goto out;
	}
	r = hss_update_location(the_hss, c.imsi, c.plmn, c.origin, &sub);
	(void)hss_idle(the_hss, "ulr");
	struct hss_s6a_code code = hss_s6a_code_for(r);
	om_info("ula", "imsi=%s plmn=%s origin=%s rat=%d flags=0x%x result=%s code=%u%s apns=%zu", c.imsi,
		c.plmn_txt, c.origin, (int)rat, (unsigned)flags, r ? hss_result_name(r) : "ok", code.code,
		code.experimental ? "e" : "", r ? (size_t)0 : sub.n_apns);
	count_code("ula", code.code, &t0);
	if (r) {
		rc = answer_result(msg, r);
		goto out;
	}
	if (om_s6a_new_answer(msg) || om_s6a_set_result(*msg, OM_S6A_SUCCESS, 0) ||
	    om_avp_add_u32(*msg, om_s6a_d.ula_flags, OM_S6A_ULA_SEPARATION))
		goto out;
	/* TS 29.272 7.3.7: Skip-Subscriber-Data (bit 2) asks us to leave it out. */
	if (!(flags & 0x4) && add_subscription(*msg, &sub))
		goto out;
	rc = fd_msg_send(msg, NULL, NULL) ? -1 : 0;
out:
	return rc ? ENOMEM : 0;
}

/* ---- PUR / PUA --------------------------------------------------------- */

static int on_pur(struct msg **msg, struct avp *avp, struct session *sess, void *opaque, enum disp_action *act)
{
	struct common c;
	int r, rc;
	const struct timespec t0 = om_metric_start();
	(void)avp;
	(void)sess;
	(void)opaque;
	*act = DISP_ACT_CONT;
	if (dropped_unanswerable(msg, "pua"))
		return 0;
	if (refused_foreign_origin(msg, "pua", &rc))
		return rc;

	const char *why = read_common(*msg, &c, 0);
	if (why) {
		om_notice("pua", "imsi=%s origin=%s result=invalid code=%d reason=\"%s\"", c.imsi, c.origin,
			  OM_S6A_INVALID_AVP_VALUE, why);
		count_code("pua", OM_S6A_INVALID_AVP_VALUE, &t0);
		rc = answer_refused(msg, &c, 0);
		return rc ? ENOMEM : 0;
	}
	r = hss_purge(the_hss, c.imsi, c.origin);
	(void)hss_idle(the_hss, "pur");
	struct hss_s6a_code code = hss_s6a_code_for(r);
	om_log(r ? OM_LOG_INFO : OM_LOG_DEBUG, "pua", "imsi=%s origin=%s result=%s code=%u%s", c.imsi, c.origin,
	       r ? hss_result_name(r) : "ok",
		code.code, code.experimental ? "e" : "");
	count_code("pua", code.code, &t0);
	rc = answer_result(msg, r);
	return rc ? ENOMEM : 0;
}

/* ---- HSS-initiated: CLR and IDR to the serving MME ----------------------- */

#define NOTICE_TIMEOUT_MS 5000
#define CANCEL_MME_UPDATE 0            /* TS 29.272 7.3.24 MME_UPDATE_PROCEDURE */
#define CANCEL_SUBSCRIPTION_WITHDRAWAL 2 /* SUBSCRIPTION_WITHDRAWAL */

struct notice {
	char imsi[HSS_IMSI_MAX + 1];
	char mme[HSS_HOST_MAX + 1];
	int profile;
};

/*
 * The realm of mme when it is connected and OPEN (its CER's Origin-Realm),
 * for Destination-Realm. The request then goes over that peer's own
 * connection, the one our peer check authenticated (svc/s6a_guard.c).
 */
static int open_peer_realm(const char *mme, char *out, size_t cap)
{
	struct peer_hdr *p = NULL;
	if (om_s6a_peer_state(mme, strlen(mme)) != STATE_OPEN || fd_peer_getbyid((DiamId_t)mme, strlen(mme), 0, &p) ||
	    !p || !p->info.runtime.pir_realm)
		return -1;
	snprintf(out, cap, "%s", p->info.runtime.pir_realm);
	return 0;
}

static void on_notice_answer(void *arg, struct msg *ans)
{
	struct notice *n = arg;
	struct om_s6a_answer r = { 0 };
	const char *cmd = n->profile ? "ida" : "cla";
	char origin[HSS_HOST_MAX + 1];
	const char *res = "no-answer";
	if (!ans)
		om_notice(cmd, "imsi=%s mme=%s result=no-answer", n->imsi, n->mme);
	/* freeDiameter matches an answer only on the connection its request left by; its Origin-Host must say so */
	else if (!om_s6a_origin_is_source(ans, origin, sizeof(origin)) && (res = "refused"))
		om_notice(cmd, "imsi=%s mme=%s origin=%s result=refused reason=\"Origin-Host is not the peer it came over\"",
			  n->imsi, n->mme, origin);
	else if (om_s6a_get_result(ans, &r) && (res = "malformed"))
		om_notice(cmd, "imsi=%s mme=%s result=malformed", n->imsi, n->mme);
	else if ((res = !r.experimental && r.result_code == OM_S6A_SUCCESS ? "ok" : "refused"))
		om_info(cmd, "imsi=%s mme=%s result=%s code=%u%s", n->imsi, n->mme,
			!r.experimental && r.result_code == OM_S6A_SUCCESS ? "ok" : "refused", r.result_code,
			r.experimental ? "e" : "");
	char v[32];
	snprintf(v, sizeof(v), "%s-%s", n->profile ? "idr" : "clr", res);
	om_metric_inc(&m_notice, v);
	free(n);
}

/*
 * hss_notify_fn: Cancel-Location (TS 29.272 7.2.7) or Insert-Subscriber-
 * Data (7.2.9) to the MME recorded at ULR, addressed by Destination-Host.
 * Not waited for: the answer is logged when it comes. An MME that is not
 * connected now does not hear of it (logged result=undeliverable); it
 * learns at its next request, which the HSS refuses or answers anew.
 */
static void notify_mme(void *arg, enum hss_notify_kind kind, const char *imsi, const char *mme,
		       const struct hss_subscription *sub)
{
	char realm[HSS_HOST_MAX + 1];
	struct msg *m = NULL;
	int profile = kind == HSS_NOTIFY_PROFILE;
	const char *cmd = profile ? "idr" : "clr";
	const char *type = kind == HSS_NOTIFY_CANCEL_UPDATE ? "mme-update" : profile ? "profile" : "withdrawal";
	(void)arg;
	if (open_peer_realm(mme, realm, sizeof(realm))) {
		om_notice(cmd, "imsi=%s mme=%s type=%s result=undeliverable reason=\"the MME is not connected\"", imsi,
			  mme, type);
		om_metric_inc(&m_notice, profile ? "idr-undeliverable" : "clr-undeliverable");
		return;
	}
	struct notice *n = calloc(1, sizeof(*n));
	int rc = n ? om_s6a_new_request(profile ? om_s6a_d.idr : om_s6a_d.clr, realm, imsi, &m) : OM_ENOMEM;
	if (!rc)
		rc = om_avp_add_str(m, om_s6a_d.dest_host, mme);
	if (!rc && !profile)
		rc = om_avp_add_i32(m, om_s6a_d.cancellation_type,
				    kind == HSS_NOTIFY_CANCEL_UPDATE ? CANCEL_MME_UPDATE : CANCEL_SUBSCRIPTION_WITHDRAWAL);
	if (!rc && profile)
		rc = add_subscription(m, sub);
	if (rc) {
		om_error(cmd, "imsi=%s mme=%s type=%s result=error reason=build", imsi, mme, type);
		if (m)
			fd_msg_free(m);
		free(n);
		return;
	}
	snprintf(n->imsi, sizeof(n->imsi), "%s", imsi);
	snprintf(n->mme, sizeof(n->mme), "%s", mme);
	n->profile = profile;
	om_info(cmd, "imsi=%s mme=%s type=%s", imsi, mme, type);
	if (om_s6a_send_async(m, NOTICE_TIMEOUT_MS, on_notice_answer, n)) {
		om_notice(cmd, "imsi=%s mme=%s type=%s result=undeliverable reason=\"send failed\"", imsi, mme, type);
		om_metric_inc(&m_notice, profile ? "idr-undeliverable" : "clr-undeliverable");
		free(n);
	}
}

/* ---- registration ------------------------------------------------------ */

int hss_s6a_register(struct hss *h)
{
	struct disp_when when = { .app = om_s6a_d.app };
	if (!h || !om_s6a_d.app)
		return -1;
	the_hss = h;
	hss_set_notify(h, notify_mme, NULL);
	when.command = om_s6a_d.air;
	if (fd_disp_register(on_air, DISP_HOW_CC, &when, NULL, &hdl_air))
		return -1;
	when.command = om_s6a_d.ulr;
	if (fd_disp_register(on_ulr, DISP_HOW_CC, &when, NULL, &hdl_ulr))
		return -1;
	when.command = om_s6a_d.pur;
	if (fd_disp_register(on_pur, DISP_HOW_CC, &when, NULL, &hdl_pur))
		return -1;
	return 0;
}

void hss_s6a_unregister(void)
{
	hss_set_notify(the_hss, NULL, NULL);
	if (hdl_air)
		fd_disp_unregister(&hdl_air, NULL);
	if (hdl_ulr)
		fd_disp_unregister(&hdl_ulr, NULL);
	if (hdl_pur)
		fd_disp_unregister(&hdl_pur, NULL);
}
