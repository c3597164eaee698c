/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AKA with the active MID: the USIM function of the TRE (TS 33.102 6.3.3,
 * spec/004 5.1.1.1.3 "the TRE runs the AKA with the MCIM").
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/vector.h>

#include "tre_int.h"

/*
 * The first challenge the pending MID answers (its AUTN verified: the network
 * knows K, so this is the new SHO's network, TS 33.102 6.3.3) is the evidence
 * om_tre_confirm needs: recorded durably before RES leaves, so a restart
 * between the attach and the confirmation keeps it.
 */
static bool new_unanswered(const struct om_tre *tre)
{
	return tre->st.pending && tre->st.session.present && !(tre->st.session.flags & TRE_SESSION_NEW_ANSWERED);
}

static int note_new_answered(struct om_tre *tre)
{
	struct tre_state next;
	if (!new_unanswered(tre))
		return 0;
	next = tre->st;
	next.session.flags |= TRE_SESSION_NEW_ANSWERED;
	int rc = tre_commit(tre, &next);
	OPENSSL_cleanse(&next, sizeof(next));
	return rc;
}

int om_tre_aka(struct om_tre *tre, const uint8_t rand[static OM_RAND_LEN],
	       const uint8_t autn[static OM_AUTN_LEN], struct om_usim_out *out)
{
	struct om_milenage m;
	struct om_usim_sqn next;
	struct tre_mid_record *rec;
	int i, rc;

	if (!tre || !out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	i = tre->st.has_active ? tre_find(tre, tre->st.active) : -1;
	if (i < 0)
		return OM_ETRE_NO_ACTIVE;
	rec = tre->rec[i];
	if (!rec || tre->st.mids[i].state == OM_TRE_MID_BLOCKED)
		return OM_ETRE_BLOCKED;
	/* TS 33.401 6.1.1: the ME accepts an E-UTRAN challenge only with the AMF
	 * separation bit set; a UMTS vector must never yield an EPS context. AUTN
	 * = SQN^AK(6) | AMF(2) | MAC-A(8), so AMF's first byte is autn[6]. Checked
	 * before the USIM runs, so a refused challenge leaves SQN state untouched. */
	if (!(autn[OM_SQN_LEN] & OM_AMF_SEPARATION))
		return OM_EAUTH_AMF;
	rc = om_milenage_init(&m, rec->mcim.k, rec->mcim.opc);
	if (rc)
		goto out;
	next = rec->sqn;
	rc = om_usim_authenticate(&m, &next, rand, autn, out);
	if (rc)
		goto out;
	/* Durable before RES leaves: a power cut must not make this AUTN acceptable again. */
	struct om_usim_sqn old = rec->sqn;
	rec->sqn = next;
	/* One transaction when the state record follows (issue 14): the MID file's
	 * bytes are synced, its rename is made durable by the state record's
	 * directory sync, and RES leaves after both. A power cut before that
	 * released nothing, whichever of the two renames it kept. Not with a
	 * hardware counter: each put there advances the NV counter, which must
	 * never get ahead of a file the disk may lose. */
	tre->seal->defer_dir = new_unanswered(tre) && !tre->seal->has_counter;
	rc = tre_save_mid(tre, rec, 0);
	tre->seal->defer_dir = 0;
	if (rc) {
		rec->sqn = old;
		om_usim_out_clear(out);
		goto out;
	}
	rc = note_new_answered(tre);
	if (rc)
		om_usim_out_clear(out);
out:
	om_milenage_clear(&m);
	return rc;
}
