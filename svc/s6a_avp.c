/* SPDX-License-Identifier: Apache-2.0 */
/* AVP builders and strict readers for S6a (see s6a_avp.h). */
#include <string.h>

#include <openssl/crypto.h>

#include "s6a_avp.h"

struct om_s6a_dict om_s6a_d;

/* ---- builders ---------------------------------------------------------- */

static int add_value(msg_or_avp *parent, struct dict_object *model, union avp_value *v)
{
	struct avp *a = NULL;
	if (!parent || !model)
		return OM_EINVAL;
	if (fd_msg_avp_new(model, 0, &a))
		return OM_ENOMEM;
	/* freeDiameter copies octet strings into the AVP's own storage. */
	if (fd_msg_avp_setvalue(a, v) || fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a)) {
		fd_msg_free(a);
		return OM_ENOMEM;
	}
	return 0;
}

int om_avp_add_u32(msg_or_avp *parent, struct dict_object *model, uint32_t v)
{
	union avp_value val = { .u32 = v };
	return add_value(parent, model, &val);
}

int om_avp_add_i32(msg_or_avp *parent, struct dict_object *model, int32_t v)
{
	union avp_value val = { .i32 = v };
	return add_value(parent, model, &val);
}

int om_avp_add_os(msg_or_avp *parent, struct dict_object *model, const uint8_t *p, size_t len)
{
	union avp_value val;
	if (!p && len)
		return OM_EINVAL;
	val.os.data = (uint8_t *)p; /* read only: setvalue copies it */
	val.os.len = len;
	return add_value(parent, model, &val);
}

int om_avp_add_str(msg_or_avp *parent, struct dict_object *model, const char *s)
{
	if (!s)
		return OM_EINVAL;
	return om_avp_add_os(parent, model, (const uint8_t *)s, strlen(s));
}

int om_avp_add_group(msg_or_avp *parent, struct dict_object *model, struct avp **group)
{
	struct avp *a = NULL;
	if (!parent || !model || !group)
		return OM_EINVAL;
	if (fd_msg_avp_new(model, 0, &a))
		return OM_ENOMEM;
	if (fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a)) {
		fd_msg_free(a);
		return OM_ENOMEM;
	}
	*group = a;
	return 0;
}

static int add_vsai_and_state(struct msg *m)
{
	struct avp *g = NULL;
	int rc = om_avp_add_group(m, om_s6a_d.vsai, &g);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.vendor_id, OM_S6A_VENDOR_3GPP);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.auth_app_id, OM_S6A_APP_ID);
	if (!rc)
		rc = om_avp_add_i32(m, om_s6a_d.auth_session_state, OM_S6A_NO_STATE_MAINTAINED);
	return rc;
}

int om_s6a_new_request(struct dict_object *cmd, const char *dest_realm, const char *imsi, struct msg **out)
{
	struct msg *m = NULL;
	int rc = OM_ENOMEM;

	if (!cmd || !dest_realm || !imsi || !out)
		return OM_EINVAL;
	if (fd_msg_new(cmd, MSGFL_ALLOC_ETEID, &m))
		return OM_ENOMEM;
	/* Session-Id first (RFC 6733 8.8): <DiameterIdentity>;<high>;<low>;s6a */
	if (fd_msg_new_session(m, (os0_t) "s6a", 3))
		goto out;
	if ((rc = add_vsai_and_state(m)))
		goto out;
	if (fd_msg_add_origin(m, 0)) {
		rc = OM_ENOMEM;
		goto out;
	}
	if ((rc = om_avp_add_str(m, om_s6a_d.dest_realm, dest_realm)))
		goto out;
	rc = om_avp_add_str(m, om_s6a_d.user_name, imsi);
out:
	if (rc)
		fd_msg_free(m);
	else
		*out = m;
	return rc;
}

int om_s6a_new_answer(struct msg **req)
{
	if (!req || !*req)
		return OM_EINVAL;
	if (fd_msg_new_answer_from_req(fd_g_config->cnf_dict, req, 0))
		return OM_ENOMEM;
	if (fd_msg_add_origin(*req, 0))
		return OM_ENOMEM;
	return add_vsai_and_state(*req);
}

int om_s6a_set_result(struct msg *ans, uint32_t code, int experimental)
{
	struct avp *g = NULL;
	int rc;
	if (!experimental)
		return om_avp_add_u32(ans, om_s6a_d.result_code, code);
	rc = om_avp_add_group(ans, om_s6a_d.exp_result, &g);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.vendor_id, OM_S6A_VENDOR_3GPP);
	if (!rc)
		rc = om_avp_add_u32(g, om_s6a_d.exp_result_code, code);
	return rc;
}

int om_s6a_add_failed_avp(struct msg *ans, struct dict_object *model, msg_or_avp *where)
{
	struct avp *fa = NULL, *found = NULL, *g = NULL;
	struct avp_hdr *h = NULL;
	struct dict_avp_data d;
	union avp_value zero;
	if (!ans || !model || fd_dict_getval(model, &d))
		return OM_EINVAL;
	int rc = om_avp_add_group(ans, om_s6a_d.failed_avp, &fa);
	if (rc)
		return rc;
	if (d.avp_basetype == AVP_TYPE_GROUPED)
		return om_avp_add_group(fa, model, &g);
	memset(&zero, 0, sizeof(zero));
	if (where && om_avp_count(where, model, &found) > 0 && !fd_msg_avp_hdr(found, &h) && h->avp_value)
		return add_value(fa, model, h->avp_value);
	return add_value(fa, model, &zero);
}

/* ---- readers ----------------------------------------------------------- */

static struct avp *next_sibling(struct avp *a)
{
	struct avp *n = NULL;
	return fd_msg_browse(a, MSG_BRW_NEXT, &n, NULL) ? NULL : n;
}

int om_avp_count(msg_or_avp *parent, struct dict_object *model, struct avp **first)
{
	struct avp *a = NULL;
	int n = 0;
	if (first)
		*first = NULL;
	if (!parent || !model || fd_msg_browse(parent, MSG_BRW_FIRST_CHILD, &a, NULL))
		return 0;
	for (; a; a = next_sibling(a)) {
		struct dict_object *m = NULL;
		if (fd_msg_model(a, &m) || m != model)
			continue;
		if (n++ == 0 && first)
			*first = a;
	}
	return n;
}

/* The value of the single model AVP in parent: 1, 0 absent, OM_EINVAL. */
static int get_value(msg_or_avp *parent, struct dict_object *model, union avp_value **v)
{
	struct avp *a = NULL;
	struct avp_hdr *h = NULL;
	int n = om_avp_count(parent, model, &a);
	if (n == 0)
		return 0;
	if (n > 1 || fd_msg_avp_hdr(a, &h) || !h->avp_value)
		return OM_EINVAL;
	*v = h->avp_value;
	return 1;
}

int om_avp_get_u32(msg_or_avp *parent, struct dict_object *model, uint32_t *out)
{
	union avp_value *v = NULL;
	int rc = get_value(parent, model, &v);
	if (rc == 1)
		*out = v->u32;
	return rc;
}

int om_avp_get_i32(msg_or_avp *parent, struct dict_object *model, int32_t *out)
{
	union avp_value *v = NULL;
	int rc = get_value(parent, model, &v);
	if (rc == 1)
		*out = v->i32;
	return rc;
}

int om_avp_get_fixed(msg_or_avp *parent, struct dict_object *model, uint8_t *out, size_t len)
{
	union avp_value *v = NULL;
	int rc = get_value(parent, model, &v);
	if (rc != 1)
		return rc;
	if (v->os.len != len)
		return OM_ELENGTH;
	memcpy(out, v->os.data, len);
	return 1;
}

int om_avp_get_str(msg_or_avp *parent, struct dict_object *model, char *out, size_t cap)
{
	union avp_value *v = NULL;
	int rc = get_value(parent, model, &v);
	if (rc != 1)
		return rc;
	if (v->os.len >= cap || memchr(v->os.data, 0, v->os.len))
		return OM_ELENGTH;
	memcpy(out, v->os.data, v->os.len);
	out[v->os.len] = 0;
	return 1;
}

int om_avp_get_group(msg_or_avp *parent, struct dict_object *model, struct avp **out)
{
	struct avp *a = NULL;
	int n = om_avp_count(parent, model, &a);
	if (n > 1)
		return OM_EINVAL;
	if (n == 1)
		*out = a;
	return n;
}

int om_s6a_get_result(struct msg *ans, struct om_s6a_answer *res)
{
	struct avp *er = NULL;
	uint32_t code = 0, vendor = 0;
	int has_rc = om_avp_get_u32(ans, om_s6a_d.result_code, &code);
	int has_er = om_avp_get_group(ans, om_s6a_d.exp_result, &er);

	if (has_rc < 0 || has_er < 0 || has_rc + has_er != 1)
		return OM_EINVAL;
	if (has_rc) {
		res->result_code = code;
		res->experimental = 0;
		return 0;
	}
	if (om_avp_get_u32(er, om_s6a_d.vendor_id, &vendor) != 1 ||
	    om_avp_get_u32(er, om_s6a_d.exp_result_code, &code) != 1)
		return OM_EINVAL;
	res->result_code = code;
	res->experimental = 1;
	return 0;
}

/* One E-UTRAN-Vector (TS 29.272 7.3.18), every member exactly once. */
static int parse_vector(struct avp *g, struct om_eutran_vector *v, uint32_t *item)
{
	int rc;
	*item = 0;
	if ((rc = om_avp_get_u32(g, om_s6a_d.item_number, item)) < 0)
		return rc;
	if ((rc = om_avp_get_fixed(g, om_s6a_d.rand, v->rand, sizeof(v->rand))) != 1 ||
	    (rc = om_avp_get_fixed(g, om_s6a_d.xres, v->xres, sizeof(v->xres))) != 1 ||
	    (rc = om_avp_get_fixed(g, om_s6a_d.autn, v->autn, sizeof(v->autn))) != 1 ||
	    (rc = om_avp_get_fixed(g, om_s6a_d.kasme, v->kasme, sizeof(v->kasme))) != 1)
		return rc < 0 ? rc : OM_EINVAL;
	return 0;
}

int om_s6a_parse_aia(struct msg *ans, unsigned max, struct om_eutran_vector *out, struct om_s6a_answer *res)
{
	struct avp *info = NULL, *a = NULL;
	struct om_eutran_vector v;
	uint32_t seen = 0;
	int n = 0, rc, numbered = -1;

	if (!ans || !res || (max && !out) || max > OM_S6A_VECTORS_MAX)
		return OM_EINVAL;
	if ((rc = om_s6a_get_result(ans, res)))
		return rc;
	if (res->experimental || res->result_code != OM_S6A_SUCCESS)
		return 0;
	if (om_avp_get_group(ans, om_s6a_d.auth_info, &info) != 1)
		return OM_EINVAL;
	int count = om_avp_count(info, om_s6a_d.eutran_vector, &a);
	if (count < 1 || (unsigned)count > max)
		return OM_EINVAL;
	for (; a; a = next_sibling(a)) {
		struct dict_object *m = NULL;
		uint32_t item = 0;
		if (fd_msg_model(a, &m) || m != om_s6a_d.eutran_vector)
			continue;
		if ((rc = parse_vector(a, &v, &item)))
			goto fail;
		/* Item-Number on all vectors or on none; a permutation of 1..count. */
		if (numbered < 0)
			numbered = item != 0;
		rc = OM_EINVAL;
		if ((item != 0) != numbered)
			goto fail;
		if (numbered) {
			if (item > (uint32_t)count || (seen & (UINT32_C(1) << (item - 1))))
				goto fail;
			seen |= UINT32_C(1) << (item - 1);
			out[item - 1] = v;
		} else {
			out[n] = v;
		}
		n++;
	}
	OPENSSL_cleanse(&v, sizeof(v));
	return n;
fail:
	OPENSSL_cleanse(&v, sizeof(v));
	OPENSSL_cleanse(out, sizeof(*out) * max);
	return rc;
}

static int parse_apn(struct avp *g, struct om_s6a_subscription *sub)
{
	size_t i = sub->n_apns;
	if (i >= sizeof(sub->apns) / sizeof(sub->apns[0]))
		return OM_EINVAL;
	if (om_avp_get_u32(g, om_s6a_d.context_id, &sub->apns[i].context_id) != 1)
		return OM_EINVAL;
	int rc = om_avp_get_str(g, om_s6a_d.service_selection, sub->apns[i].name, sizeof(sub->apns[i].name));
	if (rc != 1)
		return rc < 0 ? rc : OM_EINVAL;
	sub->n_apns++;
	return 0;
}

int om_s6a_parse_subscription(msg_or_avp *parent, struct om_s6a_subscription *sub)
{
	struct avp *sd = NULL, *prof = NULL, *a = NULL;
	int rc;
	memset(sub, 0, sizeof(*sub));
	if (om_avp_get_group(parent, om_s6a_d.sub_data, &sd) != 1 ||
	    om_avp_get_group(sd, om_s6a_d.apn_profile, &prof) != 1 ||
	    om_avp_get_u32(prof, om_s6a_d.context_id, &sub->default_context_id) != 1 ||
	    om_avp_count(prof, om_s6a_d.apn_conf, &a) < 1)
		return OM_EINVAL;
	for (; a; a = next_sibling(a)) {
		struct dict_object *m = NULL;
		if (fd_msg_model(a, &m) || m != om_s6a_d.apn_conf)
			continue;
		if ((rc = parse_apn(a, sub)))
			goto fail;
	}
	/* The default context must be one of the APN-Configurations (29.272 7.3.35). */
	for (size_t i = 0; i < sub->n_apns; i++)
		if (sub->apns[i].context_id == sub->default_context_id)
			return 0;
	rc = OM_EINVAL;
fail:
	memset(sub, 0, sizeof(*sub));
	return rc;
}

int om_s6a_parse_ula(struct msg *ans, struct om_s6a_subscription *sub, struct om_s6a_answer *res)
{
	int rc;
	if (!ans || !sub || !res)
		return OM_EINVAL;
	memset(sub, 0, sizeof(*sub));
	if ((rc = om_s6a_get_result(ans, res)))
		return rc;
	if (res->experimental || res->result_code != OM_S6A_SUCCESS)
		return 0;
	return om_s6a_parse_subscription(ans, sub);
}

/* Cleanse every octet-string value below a (recursively). */
static void wipe_below(struct avp *a)
{
	struct avp *c = NULL;
	for (fd_msg_browse(a, MSG_BRW_FIRST_CHILD, &c, NULL); c; c = next_sibling(c)) {
		struct avp_hdr *h = NULL;
		struct dict_object *m = NULL;
		struct dict_avp_data d;
		if (fd_msg_model(c, &m) || !m || fd_dict_getval(m, &d))
			continue;
		if (d.avp_basetype == AVP_TYPE_GROUPED)
			wipe_below(c);
		else if (d.avp_basetype == AVP_TYPE_OCTETSTRING && !fd_msg_avp_hdr(c, &h) && h->avp_value &&
			 h->avp_value->os.data)
			OPENSSL_cleanse(h->avp_value->os.data, h->avp_value->os.len);
	}
}

void om_s6a_wipe_vectors(struct msg *m)
{
	struct avp *info = NULL;
	if (m && om_avp_get_group(m, om_s6a_d.auth_info, &info) == 1)
		wipe_below(info);
}
