/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small AVP layer under S6a: handles on the dictionary objects, one-line
 * builders and strict readers, and the parsers of the answers the MME side
 * receives. Handlers on both sides stay short because every "find this AVP,
 * check it is there once with the right length" lives here.
 *
 * Readers return the number of occurrences used (1), 0 when the AVP is
 * absent, or a negative om_err: OM_EINVAL when it is present more than once
 * or carries no value, OM_ELENGTH when its length is not the one required.
 * Builders return 0, OM_ENOMEM or OM_EINVAL.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#include "fd_wrap.h"
#include "s6a.h"

/* Handles on every dictionary object S6a uses; valid after om_s6a_dict_init(). */
struct om_s6a_dict {
	struct dict_object *vendor, *app;
	struct dict_object *air, *aia, *ulr, *ula, *pur, *pua, *clr, *cla, *idr, *ida;
	/* RFC 6733 base */
	struct dict_object *session_id, *auth_session_state, *origin_host, *origin_realm, *dest_host,
		*dest_realm, *user_name, *result_code, *exp_result, *exp_result_code, *vendor_id,
		*auth_app_id, *vsai, *failed_avp;
	/* TS 29.272 7.3 */
	struct dict_object *visited_plmn, *req_eutran, *req_utran, *n_vectors, *immediate, *resync,
		*auth_info, *eutran_vector, *utran_vector, *item_number, *rand, *xres, *autn, *kasme, *ck,
		*ik, *ulr_flags, *ula_flags, *rat_type, *sub_data, *apn_profile, *context_id, *all_apn,
		*apn_conf, *service_selection, *pdn_type, *eps_qos, *qci, *arp, *priority_level,
		*preempt_cap, *preempt_vuln, *ambr, *bw_ul, *bw_dl, *subscriber_status, *nam, *air_flags,
		*pur_flags, *pua_flags, *cancellation_type, *clr_flags, *idr_flags, *ida_flags;
};

extern struct om_s6a_dict om_s6a_d;

/*
 * The S6a AVPs as dict_dcca_3gpp 1.2.1 (and dict_mip6i) define them
 * (s6a_dict_own.c), for a core that loads no extension (om_s6a_fdconf
 * dicts_own): om_s6a_dict_own adds vendor 3GPP and each one it lacks.
 * An entry whose flags lack AVP_FLAG_VENDOR is of vendor 0.
 */
struct om_s6a_own_avp {
	const char *name;
	uint32_t code;
	uint8_t flags;             /* of AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY: the value sent */
	enum dict_avp_basetype type;
};
int om_s6a_dict_own(struct dictionary *dict);
const struct om_s6a_own_avp *om_s6a_dict_own_table(size_t *n);

/* Values we send (TS 29.272 7.3, RFC 6733 8.11, TS 29.212 5.3). */
#define OM_S6A_NO_STATE_MAINTAINED 1
#define OM_S6A_RAT_EUTRAN 1004
#define OM_S6A_ULR_SINGLE_REGISTRATION 0x1
#define OM_S6A_ULR_S6A_INDICATOR 0x2
#define OM_S6A_ULA_SEPARATION 0x1
#define OM_S6A_SERVICE_GRANTED 0
#define OM_S6A_ONLY_PACKET 2
#define OM_S6A_ALL_APN_INCLUDED 0
#define OM_S6A_PDN_IPV4 0
#define OM_S6A_RESYNC_LEN 30 /* RAND(16) || AUTS(14), TS 29.272 7.3.15 */
#define OM_S6A_VECTORS_MAX 32 /* the most E-UTRAN-Vectors a message may carry */

/*
 * freeDiameter's core in two steps, so that the HSS registers its handlers
 * before the first peer can send: init = fd_core_initialize +
 * fd_core_parseconf(fd_conf) + om_s6a_conf_listen + om_s6a_dict_init + fd_disp_app_support;
 * start = fd_core_start + fd_core_waitstartcomplete. om_s6a_start() is both.
 * Return 0 or -1 with a message in err.
 */
int om_s6a_core_init(const char *fd_conf, char *err, size_t err_len);
int om_s6a_core_start(char *err, size_t err_len);

/* Every ListenOn of fd_conf as a local endpoint, loopback included (s6a_conf.c); after the parse. 0 or -1. */
int om_s6a_conf_listen(const char *fd_conf);

/*
 * Send req (consumed) and return at once: done(arg, answer) runs once, in a
 * freeDiameter thread, with the answer (freed after done returns) or NULL
 * when none came within timeout_ms. 0, or -1 when req could not be sent
 * (done is not called).
 */
int om_s6a_send_async(struct msg *req, unsigned timeout_ms, void (*done)(void *arg, struct msg *ans), void *arg);

/*
 * Overwrite in place every value inside the E-UTRAN-/UTRAN-Vectors of m
 * (RAND, XRES, AUTN, KASME, CK, IK): the AVPs' own copies, which
 * freeDiameter 1.2.1 makes both when we set a value and when it parses a
 * received message. Call before the message is freed. (The message's send
 * or receive buffer is freeDiameter's alone and is not reached: docs/s6a.md.)
 */
void om_s6a_wipe_vectors(struct msg *m);

/* ---- guard (s6a_guard.c) ----------------------------------------------- */

/* Route freeDiameter's log through ours, long hex runs cut (before fd_core_initialize). 0 or -1. */
int om_s6a_log_init(void);
/* Our one-line hook on every message and peer event, so freeDiameter dumps no message (after it). 0 or -1. */
/* Wipe the vectors of every S6a answer once sent (om_s6a_core_start, after the capture's hook). 0 or -1. */
int om_s6a_wipe_hook_init(void);
int om_s6a_hooks_init(void);
/* The state of peer diamid (len octets; any peer when NULL, OPEN if one is), or -1 when unknown. */
int om_s6a_peer_state(const char *diamid, size_t len);

/* The gauge openmcim_diameter_peers_open, read at each scrape (svc/metrics.h); 0 or OM_ENOSPC. */
int om_s6a_metrics_watch(void);
/*
 * 1 when the peer req came from is OPEN, so that an answer can leave now;
 * 0 otherwise (gone, closing, or REOPEN: reconnected and still in the
 * watchdog exchange, when freeDiameter drops what we would send).
 */
int om_s6a_can_answer(struct msg *req);
/*
 * The Origin-Host of m into origin ("-" when absent or too long), and 1 when
 * it names the peer m came over (fd_msg_source_get: the identity its CER
 * gave and its TLS certificate was checked against), else 0. With NoRelay
 * the two must be equal (RFC 6733 6.3: a non-relay has no other sender).
 */
int om_s6a_origin_is_source(struct msg *m, char *origin, size_t cap);

/* ---- builders ---------------------------------------------------------- */

OM_NODISCARD int om_avp_add_u32(msg_or_avp *parent, struct dict_object *model, uint32_t v);
OM_NODISCARD int om_avp_add_i32(msg_or_avp *parent, struct dict_object *model, int32_t v);
OM_NODISCARD int om_avp_add_os(msg_or_avp *parent, struct dict_object *model, const uint8_t *p, size_t len);
OM_NODISCARD int om_avp_add_str(msg_or_avp *parent, struct dict_object *model, const char *s);
/* An empty grouped AVP appended to parent; *group receives it for its members. */
OM_NODISCARD int om_avp_add_group(msg_or_avp *parent, struct dict_object *model, struct avp **group);

/*
 * A new S6a request for cmd: Session-Id (";s6a" suffix), Vendor-Specific-
 * Application-Id {10415, 16777251}, Auth-Session-State NO_STATE_MAINTAINED,
 * Origin-Host/Realm from the configuration, Destination-Realm, User-Name.
 */
OM_NODISCARD int om_s6a_new_request(struct dict_object *cmd, const char *dest_realm, const char *imsi,
				    struct msg **out);

/*
 * Turn *req into its answer (fd_msg_new_answer_from_req) and add
 * Vendor-Specific-Application-Id, Auth-Session-State and Origin-Host/Realm.
 * *req then points to the answer.
 */
OM_NODISCARD int om_s6a_new_answer(struct msg **req);

/*
 * Put the result in an answer: Result-Code for the base protocol codes of
 * RFC 6733 7.1 (experimental == 0), or Experimental-Result {Vendor-Id
 * 10415, Experimental-Result-Code} for the S6a codes of TS 29.272 7.4.3.
 */
OM_NODISCARD int om_s6a_set_result(struct msg *ans, uint32_t code, int experimental);

/*
 * RFC 6733 7.5 Failed-AVP in an answer of DIAMETER_INVALID_AVP_VALUE (5004)
 * or DIAMETER_MISSING_AVP (5005): a copy of the first model AVP directly in
 * where (the value refused), or, when where is NULL or holds none (the AVP
 * is missing), one with a zero value or, grouped, no members (7.5: "an
 * example of the missing AVP"). 0 or a builder error.
 */
OM_NODISCARD int om_s6a_add_failed_avp(struct msg *ans, struct dict_object *model, msg_or_avp *where);

/* ---- readers ----------------------------------------------------------- */

/* The number of model AVPs directly in parent, *first set to the first (or NULL). */
int om_avp_count(msg_or_avp *parent, struct dict_object *model, struct avp **first);

int om_avp_get_u32(msg_or_avp *parent, struct dict_object *model, uint32_t *out);
int om_avp_get_i32(msg_or_avp *parent, struct dict_object *model, int32_t *out);
/* An octet string of exactly len octets into out. */
int om_avp_get_fixed(msg_or_avp *parent, struct dict_object *model, uint8_t *out, size_t len);
/* A string of at most cap - 1 octets with no NUL into out, NUL-terminated. */
int om_avp_get_str(msg_or_avp *parent, struct dict_object *model, char *out, size_t cap);
/* The single grouped AVP model in parent. */
int om_avp_get_group(msg_or_avp *parent, struct dict_object *model, struct avp **out);

/*
 * The result of an answer: exactly one of Result-Code and Experimental-
 * Result (with Vendor-Id and Experimental-Result-Code). Returns 0, or
 * OM_EINVAL when neither or both are there or one is malformed.
 */
OM_NODISCARD int om_s6a_get_result(struct msg *ans, struct om_s6a_answer *res);

/*
 * An AIA, strictly: the result; on DIAMETER_SUCCESS an Authentication-Info
 * with 1..max E-UTRAN-Vectors, each with exactly one RAND (16 octets), XRES
 * (OM_RES_LEN), AUTN (16) and KASME (32), and Item-Numbers, when present,
 * a permutation of 1..n that orders out[]. Returns the number of vectors
 * (0 for an error result), or OM_EINVAL / OM_ELENGTH for a malformed
 * answer; out is wiped on error.
 */
OM_NODISCARD int om_s6a_parse_aia(struct msg *ans, unsigned max, struct om_eutran_vector *out,
				  struct om_s6a_answer *res);

/*
 * A ULA: the result; on success Subscription-Data / APN-Configuration-
 * Profile with its Context-Identifier and 1..4 APN-Configurations (each
 * with Context-Identifier and Service-Selection). Returns 0, OM_EINVAL or
 * OM_ELENGTH.
 */
OM_NODISCARD int om_s6a_parse_ula(struct msg *ans, struct om_s6a_subscription *sub, struct om_s6a_answer *res);

/* The Subscription-Data in parent (a ULA or an IDR), as om_s6a_parse_ula checks it. 0 or OM_EINVAL. */
OM_NODISCARD int om_s6a_parse_subscription(msg_or_avp *parent, struct om_s6a_subscription *sub);
