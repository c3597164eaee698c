/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA refused the device's platform (spec/002 B.2.3.4 IV: revoked
 * Cert_TRE, measurements not the manufacturer's references), as the owner
 * sees it (issue 16: "refused with reason"). Our DPF reports only a refusal
 * the PVA signed for this device's M2MMobj, fresh (dpf/dpf.c: check), over
 * the internal socket; the device stays handover_accepted (the TRE may try
 * again once repaired) with the PVA's reason, and a `validation_refused`
 * history entry. The same reason again writes nothing, so a device that
 * keeps failing adds one entry, not one per attempt.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sho_int.h"

#define WORD_MAX 31

static int word_ok(const char *w)
{
	size_t n = w ? strlen(w) : 0;
	if (n == 0 || n > WORD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '-'))
			return 0;
	return 1;
}

int sho_mark_pva_refused(struct sho *s, const char *tre_id, const char *pva_reason)
{
	struct sho_device_status st;
	char reason[SHO_REASON_MAX + 1];
	int rc;
	if (!s || !tre_id)
		return OM_EINVAL;
	if (!word_ok(pva_reason))
		return OM_ESHO_NOTE;
	if ((rc = sho_status(s, tre_id, &st)) < 0)
		return rc;
	snprintf(reason, sizeof(reason), "PVA: %s", pva_reason);
	if (strcmp(st.state, "handover_accepted"))
		return OM_ESHO_STATE;
	if (!strcmp(st.reason, reason))
		return 0; /* reported before: one entry however often the device tries */
	if ((rc = om_store_begin(s->store, OM_STORE_DURABLE)) < 0)
		return rc;
	rc = om_stmt_exec(s->stmt[SHO_SQL_DEV_TRANSITION], OM_BIND(OM_TEXT(tre_id), OM_TEXT(st.state), OM_TEXT(reason),
								 OM_INT(sho_now()), OM_TEXT(st.state)));
	if (rc == 0 && om_store_changes(s->store) != 1)
		rc = OM_ESHO_STATE;
	if (rc == 0)
		rc = sho_event_add(s, tre_id, st.owner_id, sho_now(), "validation_refused", reason);
	if (rc == 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	if (rc == 0)
		om_info("device-pva-refused", "tre_id=%s reason=%s", tre_id, pva_reason);
	return rc < 0 ? rc : 0;
}
