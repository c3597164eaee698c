/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The values the lab fixes in the messages the device and the VNO send
 * (docs/nas.md explains each choice).
 */
#include <string.h>

#include "ie.h"

/*
 * UE network capability (9.9.3.34), octets 3 and 4: EEA0, 128-EEA1 and
 * 128-EEA2; EIA0, 128-EIA1 and 128-EIA2: the algorithms every UE implements
 * (TS 33.401 5.1.3.2, 5.1.4.2), and nothing optional. An LTE-only M2M
 * module: no UMTS octets.
 */
const uint8_t om_nas_ue_net_cap_default[2] = { 0xe0, 0xe0 };

#define PTI_FIRST 1    /* the device's first procedure transaction */
#define PDN_IPV4 1     /* 9.9.4.10 */
#define REQ_INITIAL 1  /* 9.9.4.14 */
#define EBI_DEFAULT 5  /* the first EPS bearer identity not reserved (9.3.2) */
#define QCI_DEFAULT 9  /* non-GBR, best effort: TS 23.203 table 6.1.7 */
#define T3412_54MIN 0x49 /* GPRS timer: unit 010 (decihours), value 9 (9.9.3.16) */
#define TAC_DEFAULT 1

int om_nas_attach_request_init(struct om_nas_msg *m, const char *imsi, const char *apn)
{
	if (!m || !imsi)
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	struct om_nas_attach_request *a = &m->u.attach_request;
	m->kind = OM_NAS_ATTACH_REQUEST;
	a->attach_type = 1; /* EPS attach */
	a->ksi = OM_NAS_KSI_NONE;
	a->id.type = OM_NAS_ID_IMSI;
	if (strnlen(imsi, OM_NAS_IMSI_MAX + 1) > OM_NAS_IMSI_MAX)
		return OM_ENAS_IDENTITY;
	strcpy(a->id.imsi, imsi);
	int ret = nas_eps_id_check(&a->id);
	if (ret)
		return ret;
	memcpy(a->ue_net_cap, om_nas_ue_net_cap_default, sizeof(om_nas_ue_net_cap_default));
	a->ue_net_cap_len = sizeof(om_nas_ue_net_cap_default);
	a->pdn.pti = PTI_FIRST;
	a->pdn.pdn_type = PDN_IPV4;
	a->pdn.request_type = REQ_INITIAL;
	if (apn && *apn) {
		if ((ret = nas_apn_check(apn)) < 0)
			return ret;
		strcpy(a->pdn.apn, apn);
	}
	return 0;
}

int om_nas_attach_accept_init(struct om_nas_msg *m, const struct om_nas_plmn *plmn, uint8_t pti,
			      const char *apn, const uint8_t ipv4[static 4])
{
	if (!m || !plmn || !apn)
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	struct om_nas_attach_accept *a = &m->u.attach_accept;
	m->kind = OM_NAS_ATTACH_ACCEPT;
	a->attach_result = 1; /* EPS only */
	a->t3412 = T3412_54MIN;
	if (!nas_plmn_valid(plmn))
		return OM_ENAS_VALUE;
	a->tai.plmn = *plmn;
	a->tai.tac = TAC_DEFAULT;
	struct om_nas_default_bearer_request *b = &a->bearer;
	b->ebi = EBI_DEFAULT;
	b->pti = pti;
	b->qci = QCI_DEFAULT;
	int ret = nas_apn_check(apn);
	if (ret < 0)
		return ret;
	strcpy(b->apn, apn);
	b->pdn_type = PDN_IPV4;
	memcpy(b->ipv4, ipv4, 4);
	return 0;
}
