/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S6a at the AVP level, in one process with no peer: the dictionary our
 * freeDiameter gets (what Debian lacks is added, once), the realm of a
 * PLMN, and the strict readers of AIA and ULA: every malformed answer an
 * HSS could send is refused, with the code saying why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "s6a.h"
#include "s6a_avp.h"

/* libfdcore's own, outside its public header: a peer as p_ce.c makes one for a CER, and its validators */
struct fd_peer;
int fd_peer_alloc(struct fd_peer **ptr);
int fd_peer_free(struct fd_peer **ptr);
int fd_peer_validate(struct fd_peer *peer);

static char dir[] = "/tmp/om_s6a_avp_test_XXXXXX";
static char conf_path[256];

static int start_core(void)
{
	char err[256] = "";
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/fd.conf", dir);
	FILE *f = fopen(conf_path, "w");
	if (!f)
		return -1;
	fprintf(f, "Identity = \"mme.test.lab\";\nRealm = \"test.lab\";\nSecPort = 0;\nNo_SCTP;\n"
		   "LoadExtension = \"/usr/lib/freeDiameter/dict_nasreq.fdx\";\n"
		   "LoadExtension = \"/usr/lib/freeDiameter/dict_dcca.fdx\";\n"
		   "LoadExtension = \"/usr/lib/freeDiameter/dict_dcca_3gpp.fdx\";\n");
	fclose(f);
	int rc = om_s6a_core_init(conf_path, err, sizeof(err));
	CHECK_MSG(rc == 0, "%s", err);
	return rc;
}

static void realm_follows_ts_23_003(void)
{
	char r[OM_S6A_REALM_MAX];
	CHECK_INT(om_s6a_realm(r, "001", "01"), 0);
	CHECK(!strcmp(r, "epc.mnc001.mcc001.3gppnetwork.org"));
	CHECK_INT(om_s6a_realm(r, "208", "093"), 0);
	CHECK(!strcmp(r, "epc.mnc093.mcc208.3gppnetwork.org"));
	CHECK_INT(om_s6a_realm(r, "20", "01"), OM_EINVAL);
	CHECK_INT(om_s6a_realm(r, "001", "1"), OM_EINVAL);
	CHECK_INT(om_s6a_realm(r, "001", "0a1"), OM_EINVAL);
	CHECK_INT(om_s6a_realm(r, "001", "0011"), OM_EINVAL);
}

static void dictionary_has_s6a_and_what_debian_lacks(void)
{
	struct dict_avp_data d;
	struct dict_application_data a;
	CHECK(om_s6a_d.app != NULL && !fd_dict_getval(om_s6a_d.app, &a) && a.application_id == OM_S6A_APP_ID);
	CHECK(om_s6a_d.air && om_s6a_d.aia && om_s6a_d.ulr && om_s6a_d.ula && om_s6a_d.pur && om_s6a_d.pua);
	CHECK(om_s6a_d.air_flags && !fd_dict_getval(om_s6a_d.air_flags, &d) && d.avp_code == 1679 &&
	      d.avp_vendor == OM_S6A_VENDOR_3GPP);
	CHECK(om_s6a_d.service_selection && !fd_dict_getval(om_s6a_d.service_selection, &d) && d.avp_code == 493);
	struct dict_cmd_data c;
	CHECK(!fd_dict_getval(om_s6a_d.air, &c) && c.cmd_code == 318 &&
	      c.cmd_flag_val == (CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE));
	/* idempotent: a second call adds nothing and fails nothing */
	CHECK_INT(om_s6a_dict_init(), 0);
	/* the rule that lets Authentication-Info carry more than one vector */
	struct dict_object *rule = NULL;
	struct dict_rule_request q = { om_s6a_d.auth_info, om_s6a_d.eutran_vector };
	struct dict_rule_data rd;
	CHECK(!fd_dict_search(fd_g_config->cnf_dict, DICT_RULE, RULE_BY_AVP_AND_PARENT, &q, &rule, ENOENT) &&
	      !fd_dict_getval(rule, &rd) && rd.rule_max == OM_S6A_VECTORS_MAX);
}

/* Serialise m and parse it back as a receiver would (dictionary, and rules when asked). */
static struct msg *roundtrip(struct msg *m, int rules)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct msg *out = NULL;
	if (fd_msg_bufferize(m, &buf, &len))
		return NULL;
	fd_msg_free(m);
	if (fd_msg_parse_buffer(&buf, len, &out)) {
		free(buf);
		return NULL;
	}
	if (fd_msg_parse_dict(out, fd_g_config->cnf_dict, NULL) ||
	    (rules && fd_msg_parse_rules(out, fd_g_config->cnf_dict, NULL))) {
		fd_msg_free(out);
		return NULL;
	}
	return out;
}

/* Vector i of a test answer: recognisable bytes. */
static void fill_vector(struct om_eutran_vector *v, unsigned i)
{
	memset(v->rand, (int)(0x10 + i), sizeof(v->rand));
	memset(v->xres, (int)(0x20 + i), sizeof(v->xres));
	memset(v->autn, (int)(0x30 + i), sizeof(v->autn));
	memset(v->kasme, (int)(0x40 + i), sizeof(v->kasme));
}

/* What can go wrong in an E-UTRAN-Vector we build. */
enum fault {
	OK,
	SHORT_RAND,
	LONG_XRES,
	NO_KASME,
	TWO_AUTN,
	DUP_ITEM,
	NO_ITEM_ON_ONE,
	ITEM_OUT_OF_RANGE,
};

static int add_vector(struct avp *info, const struct om_eutran_vector *v, int item, enum fault f)
{
	struct avp *g = NULL;
	int rc = om_avp_add_group(info, om_s6a_d.eutran_vector, &g);
	if (!rc && item > 0)
		rc = om_avp_add_u32(g, om_s6a_d.item_number, (uint32_t)item);
	if (!rc)
		rc = om_avp_add_os(g, om_s6a_d.rand, v->rand, f == SHORT_RAND ? 15 : 16);
	if (!rc)
		rc = om_avp_add_os(g, om_s6a_d.xres, v->xres, f == LONG_XRES ? 16 : 8);
	if (!rc)
		rc = om_avp_add_os(g, om_s6a_d.autn, v->autn, 16);
	if (!rc && f == TWO_AUTN)
		rc = om_avp_add_os(g, om_s6a_d.autn, v->autn, 16);
	if (!rc && f != NO_KASME)
		rc = om_avp_add_os(g, om_s6a_d.kasme, v->kasme, 32);
	return rc;
}

/* An AIA with n vectors, the fault applied to the last; reverse sends items n..1. */
static struct msg *make_aia(unsigned n, enum fault f, int reverse, int rules)
{
	struct msg *m = NULL;
	struct avp *info = NULL;
	struct om_eutran_vector v;
	if (om_s6a_new_request(om_s6a_d.air, "epc.mnc001.mcc001.3gppnetwork.org", "001010000000001", &m) ||
	    om_s6a_new_answer(&m) || om_s6a_set_result(m, OM_S6A_SUCCESS, 0))
		return NULL;
	if (n && om_avp_add_group(m, om_s6a_d.auth_info, &info))
		return NULL;
	for (unsigned i = 1; i <= n; i++) {
		unsigned idx = reverse ? n + 1 - i : i;
		int item = (int)idx;
		enum fault vf = i == n ? f : OK;
		if (vf == DUP_ITEM)
			item = 1;
		if (vf == NO_ITEM_ON_ONE)
			item = 0;
		if (vf == ITEM_OUT_OF_RANGE)
			item = (int)n + 1;
		fill_vector(&v, idx);
		if (add_vector(info, &v, item, vf))
			return NULL;
	}
	return roundtrip(m, rules);
}

static void aia_with_vectors_is_read_in_item_order(void)
{
	struct om_eutran_vector out[5], want;
	struct om_s6a_answer res;
	struct msg *m = make_aia(3, OK, 1, 1);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_INT(om_s6a_parse_aia(m, 5, out, &res), 3);
	CHECK_INT(res.result_code, 2001);
	CHECK_INT(res.experimental, 0);
	for (unsigned i = 0; i < 3; i++) {
		fill_vector(&want, i + 1);
		CHECK_MEM(&out[i], &want, sizeof(want));
	}
	fd_msg_free(m);
}

static void malformed_aia_is_refused(void)
{
	static const struct {
		enum fault f;
		int want;
	} cases[] = {
		{ SHORT_RAND, OM_ELENGTH }, { LONG_XRES, OM_ELENGTH },     { NO_KASME, OM_EINVAL },
		{ TWO_AUTN, OM_EINVAL },    { DUP_ITEM, OM_EINVAL },       { NO_ITEM_ON_ONE, OM_EINVAL },
		{ ITEM_OUT_OF_RANGE, OM_EINVAL },
	};
	struct om_eutran_vector out[3];
	struct om_s6a_answer res;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg *m = make_aia(2, cases[i].f, 0, 0);
		CHECK(m != NULL);
		if (!m)
			continue;
		int rc = om_s6a_parse_aia(m, 3, out, &res);
		CHECK_MSG(rc == cases[i].want, "fault %d: got %d want %d", (int)cases[i].f, rc, cases[i].want);
		fd_msg_free(m);
	}
	/* more vectors than asked for */
	struct msg *m = make_aia(3, OK, 0, 1);
	CHECK(m && om_s6a_parse_aia(m, 2, out, &res) == OM_EINVAL);
	fd_msg_free(m);
	/* success without Authentication-Info */
	m = make_aia(0, OK, 0, 1);
	CHECK(m && om_s6a_parse_aia(m, 2, out, &res) == OM_EINVAL);
	fd_msg_free(m);
}

static struct msg *answer_with(int result_code, int exp_code)
{
	struct msg *m = NULL;
	if (om_s6a_new_request(om_s6a_d.air, "x.lab", "001010000000001", &m) || om_s6a_new_answer(&m))
		return NULL;
	if (result_code && om_s6a_set_result(m, (uint32_t)result_code, 0))
		return NULL;
	if (exp_code && om_s6a_set_result(m, (uint32_t)exp_code, 1))
		return NULL;
	return roundtrip(m, 0);
}

static void result_is_one_of_result_code_or_experimental(void)
{
	struct om_eutran_vector out[1];
	struct om_s6a_answer res;
	struct msg *m = answer_with(0, 5001);
	CHECK(m && om_s6a_parse_aia(m, 1, out, &res) == 0 && res.result_code == 5001 && res.experimental == 1);
	fd_msg_free(m);
	m = answer_with(5012, 0);
	CHECK(m && om_s6a_parse_aia(m, 1, out, &res) == 0 && res.result_code == 5012 && res.experimental == 0);
	fd_msg_free(m);
	m = answer_with(2001, 5001);
	CHECK(m && om_s6a_parse_aia(m, 1, out, &res) == OM_EINVAL);
	fd_msg_free(m);
	m = answer_with(0, 0);
	CHECK(m && om_s6a_get_result(m, &res) == OM_EINVAL);
	fd_msg_free(m);
}

/* A ULA with the given APNs (name, context id) and default context. */
static struct msg *make_ula(size_t n, const char *const *names, uint32_t default_ctx)
{
	struct msg *m = NULL;
	struct avp *sd = NULL, *prof = NULL, *apn = NULL;
	if (om_s6a_new_request(om_s6a_d.ulr, "x.lab", "001010000000001", &m) || om_s6a_new_answer(&m) ||
	    om_s6a_set_result(m, OM_S6A_SUCCESS, 0) || om_avp_add_group(m, om_s6a_d.sub_data, &sd) ||
	    om_avp_add_group(sd, om_s6a_d.apn_profile, &prof) ||
	    om_avp_add_u32(prof, om_s6a_d.context_id, default_ctx) ||
	    om_avp_add_i32(prof, om_s6a_d.all_apn, OM_S6A_ALL_APN_INCLUDED))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (om_avp_add_group(prof, om_s6a_d.apn_conf, &apn) ||
		    om_avp_add_u32(apn, om_s6a_d.context_id, (uint32_t)i + 1) ||
		    om_avp_add_i32(apn, om_s6a_d.pdn_type, OM_S6A_PDN_IPV4) ||
		    om_avp_add_str(apn, om_s6a_d.service_selection, names[i]))
			return NULL;
	return roundtrip(m, 0);
}

static void ula_is_read_strictly(void)
{
	static const char *const names[] = { "provisioning", "internet", "a", "b", "c" };
	char longname[120];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	const char *const bad[] = { longname };
	struct om_s6a_subscription sub;
	struct om_s6a_answer res;

	struct msg *m = make_ula(2, names, 1);
	CHECK(m && om_s6a_parse_ula(m, &sub, &res) == 0);
	CHECK(sub.n_apns == 2 && sub.default_context_id == 1 && !strcmp(sub.apns[0].name, "provisioning") &&
	      sub.apns[1].context_id == 2);
	fd_msg_free(m);
	m = make_ula(5, names, 1); /* more APNs than a VNO keeps */
	CHECK(m && om_s6a_parse_ula(m, &sub, &res) == OM_EINVAL);
	fd_msg_free(m);
	m = make_ula(1, bad, 1); /* Service-Selection beyond 100 octets */
	CHECK(m && om_s6a_parse_ula(m, &sub, &res) == OM_ELENGTH);
	fd_msg_free(m);
	m = make_ula(2, names, 7); /* default context not among the APNs */
	CHECK(m && om_s6a_parse_ula(m, &sub, &res) == OM_EINVAL && sub.n_apns == 0);
	fd_msg_free(m);
	m = make_ula(0, names, 1); /* no APN-Configuration */
	CHECK(m && om_s6a_parse_ula(m, &sub, &res) == OM_EINVAL);
	fd_msg_free(m);
}

/* 1 when every vector of the two in m reads as zeros. */
static int vectors_zero(struct msg *m)
{
	struct om_eutran_vector out[2], zero;
	struct om_s6a_answer res;
	memset(&zero, 0, sizeof(zero));
	return om_s6a_parse_aia(m, 2, out, &res) == 2 && !memcmp(&out[0], &zero, sizeof(zero)) &&
	       !memcmp(&out[1], &zero, sizeof(zero));
}

/*
 * Issue 20: om_s6a_wipe_vectors overwrites the vector values freeDiameter
 * holds in a message's AVPs: in a message parsed from a received buffer
 * (the MME's side), and in one we built (the HSS's side, after it was
 * bufferized for sending); the Session-Id and the result stay.
 */
static void vectors_are_wiped_in_the_message(void)
{
	struct om_s6a_answer res;
	struct msg *m = make_aia(2, OK, 0, 1); /* parsed from a buffer, as received */
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(!vectors_zero(m));
	om_s6a_wipe_vectors(m);
	CHECK(vectors_zero(m));
	CHECK_INT(om_s6a_get_result(m, &res), 0);
	CHECK_INT(res.result_code, 2001);
	fd_msg_free(m);

	struct avp *info = NULL;
	struct om_eutran_vector v;
	CHECK_INT(om_s6a_new_request(om_s6a_d.air, "x.lab", "001010000000001", &m), 0);
	CHECK_INT(om_s6a_new_answer(&m), 0);
	CHECK_INT(om_s6a_set_result(m, OM_S6A_SUCCESS, 0), 0);
	CHECK_INT(om_avp_add_group(m, om_s6a_d.auth_info, &info), 0);
	for (unsigned i = 1; i <= 2; i++) {
		fill_vector(&v, i);
		CHECK_INT(add_vector(info, &v, (int)i, OK), 0);
	}
	CHECK(!vectors_zero(m));
	om_s6a_wipe_vectors(m);
	CHECK(vectors_zero(m));
	fd_msg_free(m);
}

static void requests_pass_the_rules_we_registered(void)
{
	struct msg *m = NULL;
	struct avp *g = NULL;
	uint8_t plmn[3] = { 0x00, 0xf1, 0x10 };
	CHECK_INT(om_s6a_new_request(om_s6a_d.air, "x.lab", "001010000000001", &m), 0);
	CHECK_INT(om_avp_add_group(m, om_s6a_d.req_eutran, &g), 0);
	CHECK_INT(om_avp_add_u32(g, om_s6a_d.n_vectors, 3), 0);
	CHECK_INT(om_avp_add_os(m, om_s6a_d.visited_plmn, plmn, 3), 0);
	m = roundtrip(m, 1);
	CHECK(m != NULL);
	fd_msg_free(m);
	/* without Visited-PLMN-Id the rules refuse it (freeDiameter answers MISSING_AVP) */
	CHECK_INT(om_s6a_new_request(om_s6a_d.air, "x.lab", "001010000000001", &m), 0);
	m = roundtrip(m, 1);
	CHECK(m == NULL);
}

/*
 * An MME the HSS accepts (svc/s6a_guard.c) has no inactivity expiry: p_ce.c
 * gives an unknown peer 3 hours, and with it every message received woke
 * freeDiameter's expiry thread (docs/s6a.md). A refused one is left as it
 * came. On the old validator the accepted peer kept PI_EXP_INACTIVE.
 */
static void accepted_peer_has_no_inactivity_expiry(void)
{
	const char *ids[] = { "mme.listed.lab" };
	const char *who[] = { "mme.listed.lab", "mme.other.lab" };
	CHECK_INT(om_s6a_accept_peers(ids, 1, 1), 0);
	for (int i = 0; i < 2; i++) {
		struct fd_peer *p = NULL;
		CHECK_INT(fd_peer_alloc(&p), 0);
		if (!p)
			return;
		struct peer_hdr *h = (struct peer_hdr *)p; /* the public header comes first (p_hdr) */
		h->info.pi_diamid = strdup(who[i]);
		h->info.pi_diamidlen = strlen(who[i]);
		h->info.config.pic_flags.exp = PI_EXP_INACTIVE; /* as p_ce.c sets it for a new CER */
		h->info.config.pic_lft = 3600 * 3;
		int rc = fd_peer_validate(p);
		if (i == 0) {
			CHECK_INT(rc, 0);
			CHECK_INT(h->info.config.pic_flags.exp, PI_EXP_NONE);
		} else {
			CHECK(rc != 0);
			CHECK_INT(h->info.config.pic_flags.exp, PI_EXP_INACTIVE);
		}
		CHECK_INT(fd_peer_free(&p), 0);
	}
}

int main(void)
{
	realm_follows_ts_23_003();
	if (start_core() == 0) {
		dictionary_has_s6a_and_what_debian_lacks();
		aia_with_vectors_is_read_in_item_order();
		malformed_aia_is_refused();
		result_is_one_of_result_code_or_experimental();
		ula_is_read_strictly();
		requests_pass_the_rules_we_registered();
		vectors_are_wiped_in_the_message();
		accepted_peer_has_no_inactivity_expiry();
	}
	unlink(conf_path);
	rmdir(dir);
	return check_done();
}
