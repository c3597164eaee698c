/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S6a dictionary (TS 29.272 7.2, 7.3) on top of Debian's freeDiameter
 * 1.2.1. dict_dcca_3gpp defines the S6a AVPs but not the application, the
 * commands, the grouped-AVP rules, AIR-Flags (Rel-13), nor Service-Selection
 * (RFC 5778, which only dict_mip6i carries). Every object is looked up
 * first and added only when missing, so a later freeDiameter that ships
 * some of them keeps its own.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "s6a_avp.h"

#define D (&om_s6a_d)

/* AVPs we look up by name (any vendor) into om_s6a_d. */
static const struct {
	struct dict_object **obj;
	const char *name;
} avps[] = {
	{ &D->session_id, "Session-Id" },
	{ &D->auth_session_state, "Auth-Session-State" },
	{ &D->origin_host, "Origin-Host" },
	{ &D->origin_realm, "Origin-Realm" },
	{ &D->dest_host, "Destination-Host" },
	{ &D->dest_realm, "Destination-Realm" },
	{ &D->user_name, "User-Name" },
	{ &D->result_code, "Result-Code" },
	{ &D->exp_result, "Experimental-Result" },
	{ &D->exp_result_code, "Experimental-Result-Code" },
	{ &D->vendor_id, "Vendor-Id" },
	{ &D->auth_app_id, "Auth-Application-Id" },
	{ &D->vsai, "Vendor-Specific-Application-Id" },
	{ &D->failed_avp, "Failed-AVP" },
	{ &D->visited_plmn, "Visited-PLMN-Id" },
	{ &D->req_eutran, "Requested-EUTRAN-Authentication-Info" },
	{ &D->req_utran, "Requested-UTRAN-GERAN-Authentication-Info" },
	{ &D->n_vectors, "Number-Of-Requested-Vectors" },
	{ &D->immediate, "Immediate-Response-Preferred" },
	{ &D->resync, "Re-Synchronization-Info" },
	{ &D->auth_info, "Authentication-Info" },
	{ &D->eutran_vector, "E-UTRAN-Vector" },
	{ &D->utran_vector, "UTRAN-Vector" },
	{ &D->item_number, "Item-Number" },
	{ &D->rand, "RAND" },
	{ &D->xres, "XRES" },
	{ &D->autn, "AUTN" },
	{ &D->kasme, "KASME" },
	{ &D->ck, "Confidentiality-Key" },
	{ &D->ik, "Integrity-Key" },
	{ &D->ulr_flags, "ULR-Flags" },
	{ &D->ula_flags, "ULA-Flags" },
	{ &D->rat_type, "RAT-Type" },
	{ &D->sub_data, "Subscription-Data" },
	{ &D->apn_profile, "APN-Configuration-Profile" },
	{ &D->context_id, "Context-Identifier" },
	{ &D->all_apn, "All-APN-Configurations-Included-Indicator" },
	{ &D->apn_conf, "APN-Configuration" },
	{ &D->pdn_type, "PDN-Type" },
	{ &D->eps_qos, "EPS-Subscribed-QoS-Profile" },
	{ &D->qci, "QoS-Class-Identifier" },
	{ &D->arp, "Allocation-Retention-Priority" },
	{ &D->priority_level, "Priority-Level" },
	{ &D->preempt_cap, "Pre-emption-Capability" },
	{ &D->preempt_vuln, "Pre-emption-Vulnerability" },
	{ &D->ambr, "AMBR" },
	{ &D->bw_ul, "Max-Requested-Bandwidth-UL" },
	{ &D->bw_dl, "Max-Requested-Bandwidth-DL" },
	{ &D->subscriber_status, "Subscriber-Status" },
	{ &D->nam, "Network-Access-Mode" },
	{ &D->pur_flags, "PUR-Flags" },
	{ &D->pua_flags, "PUA-Flags" },
	{ &D->cancellation_type, "Cancellation-Type" },
	{ &D->clr_flags, "CLR-Flags" },
	{ &D->idr_flags, "IDR-Flags" },
	{ &D->ida_flags, "IDA-Flags" },
};

/* Rule tables: the AVP, where, and how many (-1: the default / no maximum). */
struct rule {
	struct dict_object **avp;
	enum rule_position pos;
	int min, max;
};
#define HEAD(a) { &D->a, RULE_FIXED_HEAD, -1, 1 }
#define REQ(a) { &D->a, RULE_REQUIRED, -1, 1 }
#define OPT(a) { &D->a, RULE_OPTIONAL, -1, 1 }
#define OPTN(a, n) { &D->a, RULE_OPTIONAL, -1, n }

/*
 * TS 29.272 7.2.5 / 7.2.6 (AIR/AIA), 7.2.3 / 7.2.4 (ULR/ULA), 7.2.13 / 7.2.14 (PUR/PUA),
 * 7.2.7 / 7.2.8 (CLR/CLA), 7.2.9 / 7.2.10 (IDR/IDA); every answer *[Failed-AVP].
 */
static const struct rule air_rules[] = {
	HEAD(session_id), OPT(vsai), REQ(auth_session_state), REQ(origin_host), REQ(origin_realm),
	OPT(dest_host), REQ(dest_realm), REQ(user_name), OPT(req_eutran), OPT(req_utran),
	REQ(visited_plmn), OPT(air_flags),
};
static const struct rule aia_rules[] = {
	HEAD(session_id), OPT(vsai), OPT(result_code), OPT(exp_result), REQ(auth_session_state),
	REQ(origin_host), REQ(origin_realm), OPT(auth_info), OPTN(failed_avp, -1),
};
static const struct rule ulr_rules[] = {
	HEAD(session_id), OPT(vsai), REQ(auth_session_state), REQ(origin_host), REQ(origin_realm),
	OPT(dest_host), REQ(dest_realm), REQ(user_name), REQ(rat_type), REQ(ulr_flags), REQ(visited_plmn),
};
static const struct rule ula_rules[] = {
	HEAD(session_id), OPT(vsai), OPT(result_code), OPT(exp_result), REQ(auth_session_state),
	REQ(origin_host), REQ(origin_realm), OPT(ula_flags), OPT(sub_data), OPTN(failed_avp, -1),
};
static const struct rule pur_rules[] = {
	HEAD(session_id), OPT(vsai), REQ(auth_session_state), REQ(origin_host), REQ(origin_realm),
	OPT(dest_host), REQ(dest_realm), REQ(user_name), OPT(pur_flags),
};
static const struct rule pua_rules[] = {
	HEAD(session_id), OPT(vsai), OPT(result_code), OPT(exp_result), REQ(auth_session_state),
	REQ(origin_host), REQ(origin_realm), OPT(pua_flags), OPTN(failed_avp, -1),
};
static const struct rule clr_rules[] = {
	HEAD(session_id), OPT(vsai), REQ(auth_session_state), REQ(origin_host), REQ(origin_realm),
	REQ(dest_host), REQ(dest_realm), REQ(user_name), REQ(cancellation_type), OPT(clr_flags),
};
static const struct rule cla_rules[] = {
	HEAD(session_id), OPT(vsai), OPT(result_code), OPT(exp_result), REQ(auth_session_state),
	REQ(origin_host), REQ(origin_realm), OPTN(failed_avp, -1),
};
static const struct rule idr_rules[] = {
	HEAD(session_id), OPT(vsai), REQ(auth_session_state), REQ(origin_host), REQ(origin_realm),
	REQ(dest_host), REQ(dest_realm), REQ(user_name), REQ(sub_data), OPT(idr_flags),
};
static const struct rule ida_rules[] = {
	HEAD(session_id), OPT(vsai), OPT(result_code), OPT(exp_result), REQ(auth_session_state),
	REQ(origin_host), REQ(origin_realm), OPT(ida_flags), OPTN(failed_avp, -1),
};

/* Grouped AVPs (TS 29.272 7.3.11, 7.3.12, 7.3.17, 7.3.18, 7.3.19, 7.3.2, 7.3.34, 7.3.35, 7.3.41). */
static const struct rule req_auth_rules[] = { OPT(n_vectors), OPT(immediate), OPT(resync) };
static const struct rule auth_info_rules[] = {
	/* *[E-UTRAN-Vector]: up to our cap, not Open5GS's single vector */
	OPTN(eutran_vector, OM_S6A_VECTORS_MAX),
	OPTN(utran_vector, OM_S6A_VECTORS_MAX),
};
static const struct rule eutran_rules[] = { OPT(item_number), REQ(rand), REQ(xres), REQ(autn), REQ(kasme) };
static const struct rule utran_rules[] = { OPT(item_number), REQ(rand), REQ(xres), REQ(autn), REQ(ck), REQ(ik) };
static const struct rule sub_data_rules[] = { OPT(subscriber_status), OPT(nam), OPT(ambr), OPT(apn_profile) };
static const struct rule apn_profile_rules[] = {
	REQ(context_id), REQ(all_apn), { &D->apn_conf, RULE_REQUIRED, 1, -1 },
};
static const struct rule apn_conf_rules[] = {
	REQ(context_id), REQ(pdn_type), REQ(service_selection), OPT(eps_qos), OPT(ambr),
};
static const struct rule eps_qos_rules[] = { REQ(qci), REQ(arp) };
static const struct rule arp_rules[] = { REQ(priority_level), OPT(preempt_cap), OPT(preempt_vuln) };
static const struct rule ambr_rules[] = { REQ(bw_ul), REQ(bw_dl) };

#define RULES(parent, table) { parent, table, sizeof(table) / sizeof(table[0]) }

static int find_avp(struct dictionary *dict, const char *name, struct dict_object **out)
{
	*out = NULL;
	return fd_dict_search(dict, DICT_AVP, AVP_BY_NAME_ALL_VENDORS, name, out, ENOENT) || !*out ? -1 : 0;
}

/* The AVPs Debian 1.2.1 lacks, added only when absent. */
static int add_missing_avps(struct dictionary *dict)
{
	if (find_avp(dict, "AIR-Flags", &D->air_flags)) {
		/* TS 29.272 7.3.201: Unsigned32, V and M set. */
		struct dict_avp_data d = { 1679, OM_S6A_VENDOR_3GPP, "AIR-Flags", AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY,
					   AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY, AVP_TYPE_UNSIGNED32 };
		if (fd_dict_new(dict, DICT_AVP, &d, NULL, &D->air_flags))
			return -1;
	}
	if (find_avp(dict, "Service-Selection", &D->service_selection)) {
		/* RFC 5778 6.2: UTF8String, code 493, no vendor, M set (TS 29.272 7.3.36). */
		struct dict_object *utf8 = NULL;
		struct dict_avp_data d = { 493, 0, "Service-Selection", AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY,
					   AVP_FLAG_MANDATORY, AVP_TYPE_OCTETSTRING };
		if (fd_dict_search(dict, DICT_TYPE, TYPE_BY_NAME, "UTF8String", &utf8, ENOENT) ||
		    fd_dict_new(dict, DICT_AVP, &d, utf8, &D->service_selection))
			return -1;
	}
	return 0;
}

static int add_rules(struct dictionary *dict, struct dict_object *parent, const struct rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dict_object *found = NULL;
		struct dict_rule_request q = { parent, *r[i].avp };
		struct dict_rule_data d = { *r[i].avp, r[i].pos, r[i].pos == RULE_FIXED_HEAD ? 1 : 0, r[i].min,
					    r[i].max };
		if (!*r[i].avp)
			return -1;
		if (!fd_dict_search(dict, DICT_RULE, RULE_BY_AVP_AND_PARENT, &q, &found, ENOENT) && found)
			continue;
		if (fd_dict_new(dict, DICT_RULE, &d, parent, NULL))
			return -1;
	}
	return 0;
}

/* A command of the S6a application, request or answer, unless it exists. */
static int add_command(struct dictionary *dict, command_code_t code, const char *name, int request,
		       struct dict_object **out)
{
	struct dict_cmd_data d = { code, (char *)name, CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE,
				   (uint8_t)(CMD_FLAG_PROXIABLE | (request ? CMD_FLAG_REQUEST : 0)) };
	*out = NULL;
	if (!fd_dict_search(dict, DICT_COMMAND, request ? CMD_BY_CODE_R : CMD_BY_CODE_A, &code, out, ENOENT) && *out)
		return 0;
	return fd_dict_new(dict, DICT_COMMAND, &d, D->app, out) ? -1 : 0;
}

static int dict_init_once(void)
{
	struct dictionary *dict = fd_g_config->cnf_dict;
	vendor_id_t vid = OM_S6A_VENDOR_3GPP;
	application_id_t aid = OM_S6A_APP_ID;

	/* dict_dcca_3gpp defines vendor 10415; without it (dicts_own) our own S6a AVPs (s6a_dict_own.c). */
	if ((fd_dict_search(dict, DICT_VENDOR, VENDOR_BY_ID, &vid, &D->vendor, ENOENT) || !D->vendor) &&
	    (om_s6a_dict_own(dict) || fd_dict_search(dict, DICT_VENDOR, VENDOR_BY_ID, &vid, &D->vendor, ENOENT) ||
	     !D->vendor))
		return -1;
	if (fd_dict_search(dict, DICT_APPLICATION, APPLICATION_BY_ID, &aid, &D->app, ENOENT) || !D->app) {
		struct dict_application_data a = { OM_S6A_APP_ID, "3GPP S6a/S6d" };
		if (fd_dict_new(dict, DICT_APPLICATION, &a, D->vendor, &D->app))
			return -1;
	}
	for (size_t i = 0; i < sizeof(avps) / sizeof(avps[0]); i++)
		if (find_avp(dict, avps[i].name, avps[i].obj))
			return -1;
	if (add_missing_avps(dict))
		return -1;
	if (add_command(dict, 318, "Authentication-Information-Request", 1, &D->air) ||
	    add_command(dict, 318, "Authentication-Information-Answer", 0, &D->aia) ||
	    add_command(dict, 316, "Update-Location-Request", 1, &D->ulr) ||
	    add_command(dict, 316, "Update-Location-Answer", 0, &D->ula) ||
	    add_command(dict, 321, "Purge-UE-Request", 1, &D->pur) ||
	    add_command(dict, 321, "Purge-UE-Answer", 0, &D->pua) ||
	    add_command(dict, 317, "Cancel-Location-Request", 1, &D->clr) ||
	    add_command(dict, 317, "Cancel-Location-Answer", 0, &D->cla) ||
	    add_command(dict, 319, "Insert-Subscriber-Data-Request", 1, &D->idr) ||
	    add_command(dict, 319, "Insert-Subscriber-Data-Answer", 0, &D->ida))
		return -1;

	const struct {
		struct dict_object *parent;
		const struct rule *r;
		size_t n;
	} sets[] = {
		RULES(D->air, air_rules),
		RULES(D->aia, aia_rules),
		RULES(D->ulr, ulr_rules),
		RULES(D->ula, ula_rules),
		RULES(D->pur, pur_rules),
		RULES(D->pua, pua_rules),
		RULES(D->clr, clr_rules),
		RULES(D->cla, cla_rules),
		RULES(D->idr, idr_rules),
		RULES(D->ida, ida_rules),
		RULES(D->req_eutran, req_auth_rules),
		RULES(D->req_utran, req_auth_rules),
		RULES(D->auth_info, auth_info_rules),
		RULES(D->eutran_vector, eutran_rules),
		RULES(D->utran_vector, utran_rules),
		RULES(D->sub_data, sub_data_rules),
		RULES(D->apn_profile, apn_profile_rules),
		RULES(D->apn_conf, apn_conf_rules),
		RULES(D->eps_qos, eps_qos_rules),
		RULES(D->arp, arp_rules),
		RULES(D->ambr, ambr_rules),
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (add_rules(dict, sets[i].parent, sets[i].r, sets[i].n))
			return -1;
	return 0;
}

static pthread_mutex_t dict_lock = PTHREAD_MUTEX_INITIALIZER;
static int dict_done;

int om_s6a_dict_init(void)
{
	int rc = 0;
	if (!fd_g_config || !fd_g_config->cnf_dict)
		return -1;
	pthread_mutex_lock(&dict_lock);
	if (!dict_done) {
		rc = dict_init_once();
		dict_done = rc == 0;
	}
	pthread_mutex_unlock(&dict_lock);
	return rc;
}
