/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MID lifecycle (docs/tre.md has the diagram): activation of a new MCIM with
 * a fallback deadline (spec/002 B.2.3.4 Note Y: if the M2ME cannot reach the
 * new SHO it falls back to the previous MCIM), confirmation after the first
 * successful attach, and secure erase of the superseded MCIM.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "tre_int.h"

static uint32_t fallback_timeout(const struct om_tre *tre, size_t idx, uint32_t timeout)
{
	const struct tre_mid_record *r = tre->rec[idx];
	if (timeout)
		return timeout;
	if (r && (r->mcim.present & OM_MCIM_HAS_REVERT_AFTER) && r->mcim.revert_after)
		return r->mcim.revert_after;
	return OM_TRE_FALLBACK_DEFAULT;
}

/*
 * Whether the bootstrap session has installed its MCIM and has not fallen
 * back: the only state in which om_tre_activate may move a MID (docs/tre.md
 * "Privileged and gated calls").
 */
static int session_installed(const struct om_tre *tre)
{
	const struct tre_session *se = &tre->st.session;
	return se->present && se->imsi[0] && !(se->flags & TRE_SESSION_FELL_BACK);
}

int om_tre_activate(struct om_tre *tre, const uint8_t mid[static OM_MCIM_MID_LEN], time_t now, uint32_t timeout)
{
	struct tre_state next;
	int i, prev;

	if (!tre)
		return OM_EINVAL;
	if (tre->st.pending)
		return OM_ETRE_PENDING;
	if (!session_installed(tre))
		return OM_ETRE_NOT_INSTALLED;
	i = tre_find(tre, mid);
	if (i < 0)
		return OM_ETRE_NOT_FOUND;
	if (tre->st.mids[i].state == OM_TRE_MID_BLOCKED || !tre->rec[i])
		return OM_ETRE_BLOCKED;
	if (tre->st.mids[i].state != OM_TRE_MID_INSTALLED)
		return OM_ETRE_MID_STATE;
	/* Only the MCIM this session's verified M2MMCIMMobj installed (B.2.3.4
	 * step VII): SHO[i+1]'s, answering this session's nonceB. */
	char cn[OM_NAME_MAX_LEN + 1];
	if (tre->st.mids[i].is_pcid || strcmp(tre->rec[i]->mcim.imsi, tre->st.session.imsi) ||
	    om_cert_subject_cn(tre->root, cn) < 0 || strcmp(tre->st.mids[i].owner, cn))
		return OM_ETRE_NOT_INSTALLED;
	prev = tre->st.has_active ? tre_find(tre, tre->st.active) : -1;
	next = tre->st;
	next.mids[i].state = OM_TRE_MID_ACTIVE;
	memcpy(next.active, mid, OM_MCIM_MID_LEN);
	next.has_active = 1;
	if (prev >= 0) {
		next.mids[prev].state = next.mids[prev].state == OM_TRE_MID_BLOCKED ? OM_TRE_MID_BLOCKED
										     : OM_TRE_MID_INACTIVE;
		next.pending = 1;
		memcpy(next.pend_prev, tre->st.mids[prev].mid, OM_MCIM_MID_LEN);
		next.deadline = (int64_t)now + fallback_timeout(tre, (size_t)i, timeout);
	}
	int rc = tre_commit(tre, &next);
	OPENSSL_cleanse(&next, sizeof(next));
	return rc;
}

/* Drop registry entry idx from s (order kept). */
static void registry_remove(struct tre_state *s, size_t idx)
{
	memmove(&s->mids[idx], &s->mids[idx + 1], (s->n_mids - idx - 1) * sizeof(s->mids[0]));
	s->n_mids--;
	memset(&s->mids[s->n_mids], 0, sizeof(s->mids[0]));
}

int om_tre_confirm(struct om_tre *tre, time_t now)
{
	struct tre_state next;
	char name[TRE_MID_FILE_LEN];
	struct tre_mid_record *gone = NULL;
	int rc, prev, erase = 0;

	if (!tre)
		return OM_EINVAL;
	if (!tre->st.pending)
		return OM_ETRE_PENDING;
	if ((int64_t)now >= tre->st.deadline)
		return OM_ETRE_MID_STATE;
	/* B.2.3.5: final only once the new MID has attached, i.e. answered a
	 * challenge whose AUTN verified (om_tre_aka recorded it). */
	if (!tre->st.session.present || !(tre->st.session.flags & TRE_SESSION_NEW_ANSWERED))
		return OM_ETRE_NOT_AUTHENTICATED;
	prev = tre_find(tre, tre->st.pend_prev);
	next = tre->st;
	next.pending = 0;
	memset(next.pend_prev, 0, sizeof(next.pend_prev));
	next.deadline = 0;
	/* The change of operator is final: SHO[i] no longer has a word here. */
	next.root_prev.p = NULL;
	next.root_prev.len = 0;
	OPENSSL_cleanse(&next.session, sizeof(next.session));
	if (prev >= 0 && !tre->st.mids[prev].is_pcid) {
		/* The registry forgets the MID first: a power cut before the erase
		 * leaves an orphan file that nothing refers to, never a MID whose
		 * file is gone. */
		registry_remove(&next, (size_t)prev);
		tre_mid_file(name, tre->st.pend_prev);
		erase = 1;
	}
	rc = tre_commit(tre, &next);
	OPENSSL_cleanse(&next, sizeof(next));
	if (rc || !erase)
		return rc;
	gone = tre->rec[prev];
	memmove(&tre->rec[prev], &tre->rec[prev + 1], (OM_TRE_MIDS_MAX - (size_t)prev - 1) * sizeof(tre->rec[0]));
	tre->rec[OM_TRE_MIDS_MAX - 1] = NULL;
	if (gone) {
		tre_mid_clear(gone);
		free(gone);
	}
	/* Migration erases the source: overwrite, fsync, unlink (fileio.c). */
	rc = tre_seal_erase(tre->seal, name);
	return rc == OM_ETRE_NOT_FOUND ? 0 : rc;
}

/*
 * Make prev active again in place of the pending MID cur (Note Y): its
 * previous trust root back, the session kept but marked for the `fallback`
 * report. Shared by om_tre_tick (deadline) and tre_leave_blocked (the
 * pending MID failed its integrity check). 1, or a write error.
 */
static int fall_back_pending(struct om_tre *tre, int cur, int prev)
{
	struct tre_state next = tre->st;
	if (cur >= 0 && next.mids[cur].state != OM_TRE_MID_BLOCKED)
		next.mids[cur].state = OM_TRE_MID_INACTIVE;
	next.mids[prev].state = OM_TRE_MID_ACTIVE;
	memcpy(next.active, tre->st.pend_prev, OM_MCIM_MID_LEN);
	next.pending = 0;
	memset(next.pend_prev, 0, sizeof(next.pend_prev));
	next.deadline = 0;
	/* The session stays, marked: its DM credentials still authenticate the
	 * agent's `fallback` outcome report to SHO[i+1]'s DPF; the agent then
	 * drops it with om_tre_abort_session (or a new bootstrap replaces it). */
	if (next.session.present)
		next.session.flags |= TRE_SESSION_FELL_BACK;
	int rc = tre_commit_root_back(tre, &next);
	OPENSSL_cleanse(&next, sizeof(next));
	return rc ? rc : 1;
}

int om_tre_tick(struct om_tre *tre, time_t now)
{
	int cur, prev;

	if (!tre)
		return OM_EINVAL;
	if (!tre->st.pending || (int64_t)now < tre->st.deadline)
		return 0;
	cur = tre_find(tre, tre->st.active);
	prev = tre_find(tre, tre->st.pend_prev);
	/* Falling back onto a blocked MID would leave the device with nothing. */
	if (prev < 0 || !tre->rec[prev])
		return 0;
	return fall_back_pending(tre, cur, prev);
}

/*
 * The active MID failed its integrity check (om_tre_open blocked it): a
 * device left on it could never attach again. The next usable MID becomes
 * active instead: with an activation pending, the previous MID (as at the
 * deadline, Note Y); otherwise the newest inactive MCIM the registry holds,
 * and the PCID as the last resort (B.2.2.2: it lets the device reach the
 * RO again). A MID is usable when its record loaded. The trust root stays
 * (the subscription's owner may provision the device again). 1 when a MID
 * was made active, 0 when there was nothing to do or nothing usable (the
 * status then says active_blocked), or a write error.
 */
int tre_leave_blocked(struct om_tre *tre)
{
	int cur = tre->st.has_active ? tre_find(tre, tre->st.active) : -1, pick = -1;
	if (cur < 0 || tre->st.mids[cur].state != OM_TRE_MID_BLOCKED)
		return 0;
	if (tre->st.pending) {
		int prev = tre_find(tre, tre->st.pend_prev);
		if (prev >= 0 && tre->rec[prev] && tre->st.mids[prev].state != OM_TRE_MID_BLOCKED)
			return fall_back_pending(tre, cur, prev);
	}
	for (int pcid = 0; pcid <= 1 && pick < 0; pcid++)
		for (int i = (int)tre->st.n_mids - 1; i >= 0 && pick < 0; i--)
			if (tre->st.mids[i].state == OM_TRE_MID_INACTIVE && tre->rec[i] &&
			    tre->st.mids[i].is_pcid == pcid)
				pick = i;
	if (pick < 0)
		return 0;
	struct tre_state next = tre->st;
	next.mids[pick].state = OM_TRE_MID_ACTIVE;
	memcpy(next.active, tre->st.mids[pick].mid, OM_MCIM_MID_LEN);
	next.pending = 0;
	memset(next.pend_prev, 0, sizeof(next.pend_prev));
	next.deadline = 0;
	if (next.session.present && tre->st.pending)
		next.session.flags |= TRE_SESSION_FELL_BACK; /* its MCIM is the blocked one */
	int rc = tre_commit(tre, &next);
	OPENSSL_cleanse(&next, sizeof(next));
	return rc ? rc : 1;
}
