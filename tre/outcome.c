/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outcome statement (tre.h om_tre_outcome, issue 12): after B.2.3.5 the
 * truth of "this device now runs on the new MCIM" is known only here, so
 * the TRE signs it, bound to this change of operator, and signs nothing its
 * state does not show.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "tre_int.h"

/* Whether the active MID is the session's MCIM, still pending and before its deadline. */
static int runs_on_new(const struct om_tre *tre, time_t now)
{
	int i = tre->st.has_active ? tre_find(tre, tre->st.active) : -1;
	return i >= 0 && tre->rec[i] && tre->st.pending && (int64_t)now < tre->st.deadline &&
	       tre->st.mids[i].state == OM_TRE_MID_ACTIVE && !tre->st.mids[i].is_pcid &&
	       strcmp(tre->rec[i]->mcim.imsi, tre->st.session.imsi) == 0;
}

int om_tre_outcome(const struct om_tre *tre, int outcome, time_t now, uint8_t *out, size_t cap)
{
	struct om_outcome o;
	int rc;

	if (!tre || !out || (outcome != OM_OUTCOME_ACTIVE && outcome != OM_OUTCOME_FALLBACK) || now < 0)
		return OM_EINVAL;
	if (!tre->st.session.present || !tre->st.session.imsi[0])
		return OM_ETRE_NO_SESSION;
	int fell_back = (tre->st.session.flags & TRE_SESSION_FELL_BACK) != 0;
	if (outcome == OM_OUTCOME_ACTIVE ? fell_back || !runs_on_new(tre, now) : !fell_back)
		return OM_ETRE_OUTCOME;
	memset(&o, 0, sizeof(o));
	memcpy(o.tre_id, tre->st.tre_id, sizeof(o.tre_id));
	memcpy(o.imsi, tre->st.session.imsi, sizeof(o.imsi));
	o.outcome = outcome;
	memcpy(o.nonce_b, tre->st.session.nonce_b, OM_NONCE_LEN);
	o.sequence = tre->st.sequence;
	o.counter = tre->counter;
	o.time = (int64_t)now;
	/* a failed integrity check reported, not only detected (threats 1.10) */
	for (size_t i = 0; i < tre->st.n_mids; i++)
		o.n_blocked += tre->st.mids[i].state == OM_TRE_MID_BLOCKED;
	EVP_PKEY *key = NULL;
	if ((rc = tre_key_use(tre, 0, &key)) == 0)
		rc = om_outcome_build(&o, key, out, cap);
	om_key_free(key);
	OPENSSL_cleanse(&o, sizeof(o));
	return rc;
}
