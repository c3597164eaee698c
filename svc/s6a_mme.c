/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MME's side of the requests the HSS starts (TS 29.272 5.2.1.2 Cancel
 * Location, 5.2.2.1.2 Insert Subscriber Data): each is read strictly here,
 * the VNO decides through struct om_s6a_mme_handlers, and the answer goes
 * back over the connection the request came on.
 *
 * Who may send them: the request's Origin-Host must be the peer it arrived
 * from. The MME listens nowhere and connects only to the HSSes it is
 * configured with, over TLS with each certificate checked against its
 * identity (svc/s6a_conf.c), and neither side relays (NoRelay), so that
 * peer is an authenticated HSS; whether it is the HSS of the IMSI's home
 * network is the VNO's check (vno/s6a_link.c).
 */
#include <string.h>

#include "log.h"
#include "s6a_avp.h"

#define DIAMETER_AUTHORIZATION_REJECTED OM_S6A_AUTHORIZATION_REJECTED

static struct om_s6a_mme_handlers handlers;
static struct disp_hdl *hdl_clr, *hdl_idr;

static int imsi_of(struct msg *m, char *imsi, size_t cap)
{
	if (om_avp_get_str(m, om_s6a_d.user_name, imsi, cap) != 1)
		return 0;
	size_t n = strlen(imsi);
	if (n < 5 || n > 15 || strspn(imsi, "0123456789") != n) {
		snprintf(imsi, cap, "-");
		return 0;
	}
	return 1;
}

/* Answer *msg with code, and the Failed-AVP of model when code is 5004. */
static int answer(struct msg **msg, uint32_t code, struct dict_object *failed)
{
	struct msg *q = *msg;
	if (om_s6a_new_answer(msg) || om_s6a_set_result(*msg, code, 0) ||
	    (code == OM_S6A_INVALID_AVP_VALUE && failed && om_s6a_add_failed_avp(*msg, failed, q)))
		return ENOMEM;
	return fd_msg_send(msg, NULL, NULL) ? ENOMEM : 0;
}

/* The checks both requests share: 0 with origin and imsi, or the code to answer. */
static uint32_t check_common(struct msg *m, const char *cmd, char *origin, size_t ocap, char *imsi, size_t icap,
			     struct dict_object **failed)
{
	*failed = NULL;
	if (!om_s6a_origin_is_source(m, origin, ocap)) {
		om_notice(cmd, "origin=%s result=refused code=%d reason=\"Origin-Host is not the peer it came over\"",
			  origin, DIAMETER_AUTHORIZATION_REJECTED);
		return DIAMETER_AUTHORIZATION_REJECTED;
	}
	if (!imsi_of(m, imsi, icap)) {
		*failed = om_s6a_d.user_name;
		om_notice(cmd, "origin=%s result=invalid code=%d reason=\"User-Name is not 5..15 digits\"", origin,
			  OM_S6A_INVALID_AVP_VALUE);
		return OM_S6A_INVALID_AVP_VALUE;
	}
	return 0;
}

static int on_clr(struct msg **msg, struct avp *avp, struct session *sess, void *opaque, enum disp_action *act)
{
	char origin[256], imsi[16] = "-";
	struct dict_object *failed = NULL;
	int32_t type = -1;
	(void)avp;
	(void)sess;
	(void)opaque;
	*act = DISP_ACT_CONT;
	uint32_t code = check_common(*msg, "clr", origin, sizeof(origin), imsi, sizeof(imsi), &failed);
	if (!code && om_avp_get_i32(*msg, om_s6a_d.cancellation_type, &type) != 1) {
		failed = om_s6a_d.cancellation_type;
		code = OM_S6A_INVALID_AVP_VALUE;
	}
	if (!code)
		code = handlers.cancel(handlers.arg, origin, imsi, type);
	return answer(msg, code, failed);
}

static int on_idr(struct msg **msg, struct avp *avp, struct session *sess, void *opaque, enum disp_action *act)
{
	char origin[256], imsi[16] = "-";
	struct dict_object *failed = NULL;
	struct om_s6a_subscription sub;
	(void)avp;
	(void)sess;
	(void)opaque;
	*act = DISP_ACT_CONT;
	uint32_t code = check_common(*msg, "idr", origin, sizeof(origin), imsi, sizeof(imsi), &failed);
	if (!code && om_s6a_parse_subscription(*msg, &sub)) {
		failed = om_s6a_d.sub_data;
		code = OM_S6A_INVALID_AVP_VALUE;
		om_notice("idr", "imsi=%s origin=%s result=invalid code=%u reason=\"Subscription-Data\"", imsi, origin,
			  code);
	}
	if (!code)
		code = handlers.insert(handlers.arg, origin, imsi, &sub);
	return answer(msg, code, failed);
}

int om_s6a_mme_serve(const struct om_s6a_mme_handlers *h)
{
	struct disp_when when = { .app = om_s6a_d.app };
	if (!h || !h->cancel || !h->insert || !om_s6a_d.app)
		return -1;
	handlers = *h;
	when.command = om_s6a_d.clr;
	if (fd_disp_register(on_clr, DISP_HOW_CC, &when, NULL, &hdl_clr))
		return -1;
	when.command = om_s6a_d.idr;
	return fd_disp_register(on_idr, DISP_HOW_CC, &when, NULL, &hdl_idr) ? -1 : 0;
}
