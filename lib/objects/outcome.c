/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE's outcome statement (outcome.h, docs/formats.md "Outcome
 * statement"). Body, every field fixed in order so that a statement has one
 * encoding:
 *
 *   tre_id (text) | imsi (text, digits) | outcome (1) | nonceB (16) |
 *   sequence (4, BE) | counter (8, BE) | time (8, BE, >= 0) | blocked (1)
 *
 * blocked, the number of MIDs the TRE holds BLOCKED, since version 2; a
 * version 1 statement (without it) is still read, with 0.
 */
#include <string.h>

#include <openmcim/be.h>
#include <openmcim/outcome.h>

#include "mobj_int.h"

const char *om_outcome_name(int outcome)
{
	return outcome == OM_OUTCOME_ACTIVE ? "active" : outcome == OM_OUTCOME_FALLBACK ? "fallback" : "?";
}

static int imsi_ok(const char *s, size_t n)
{
	if (n < 6 || n > OM_MCIM_IMSI_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}


int om_outcome_build(const struct om_outcome *o, EVP_PKEY *key, uint8_t *out, size_t cap)
{
	struct omo_wr w = { out, cap, MOBJ_HDR };
	uint8_t kind, seq[4];
	int r = OM_EINVAL;
	if (!out)
		return OM_EINVAL;
	if (!o || !key || cap < MOBJ_HDR || !imsi_ok(o->imsi, strnlen(o->imsi, sizeof(o->imsi))) ||
	    (o->outcome != OM_OUTCOME_ACTIVE && o->outcome != OM_OUTCOME_FALLBACK) || o->time < 0 ||
	    o->n_blocked > OM_MOBJ_BLOCKED_MAX)
		goto out;
	kind = (uint8_t)o->outcome;
	om_be_put(seq, o->sequence, 4);
	if ((r = omo_put_text(&w, o->tre_id, sizeof(o->tre_id), OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_put_text(&w, o->imsi, sizeof(o->imsi), OM_MCIM_IMSI_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_put_raw(&w, &kind, 1)) < 0 || (r = omo_put_raw(&w, o->nonce_b, OM_NONCE_LEN)) < 0 ||
	    (r = omo_put_raw(&w, seq, sizeof(seq))) < 0 || (r = omo_put_i64(&w, (int64_t)o->counter)) < 0 ||
	    (r = omo_put_i64(&w, o->time)) < 0 || (r = omo_put_raw(&w, &o->n_blocked, 1)) < 0)
		goto out;
	r = omo_mobj_sign(MOBJ_TYPE_OUTCOME, key, out, cap, w.pos - MOBJ_HDR);
out:
	if (r == OM_EOBJ_TOO_LONG)
		r = OM_ENOSPC;
	if (r < 0)
		memset(out, 0, cap);
	return r;
}

int om_outcome_verify(const uint8_t *obj, size_t len, EVP_PKEY *tre_sign_pub, struct om_outcome *o)
{
	const uint8_t *body;
	size_t blen;
	uint8_t kind, tail[20];
	struct om_outcome t;
	if (!obj || !tre_sign_pub || !o)
		return OM_EINVAL;
	int r = omo_mobj_open(obj, len, MOBJ_TYPE_OUTCOME, tre_sign_pub, &body, &blen);
	if (r < 0)
		return r;
	memset(&t, 0, sizeof(t));
	struct omo_rd d = { body, blen, 0 };
	if ((r = omo_take_text(&d, t.tre_id, OM_TRE_ID_MAX, MOBJ_ID_LO)) < 0 ||
	    (r = omo_take_text(&d, t.imsi, OM_MCIM_IMSI_MAX, '0')) < 0 ||
	    (r = omo_take_raw(&d, &kind, 1)) < 0 || (r = omo_take_raw(&d, t.nonce_b, OM_NONCE_LEN)) < 0 ||
	    (r = omo_take_raw(&d, tail, sizeof(tail))) < 0 ||
	    (obj[4] >= MOBJ_VERSION_OUTCOME && (r = omo_take_raw(&d, &t.n_blocked, 1)) < 0))
		return r;
	/* inside a signed body a bad field or a leftover is a signer's bug, still refused */
	if (d.pos != d.len)
		return OM_EOBJ_TRAILING;
	if (!imsi_ok(t.imsi, strlen(t.imsi)) || (kind != OM_OUTCOME_ACTIVE && kind != OM_OUTCOME_FALLBACK) ||
	    (tail[12] & 0x80) || t.n_blocked > OM_MOBJ_BLOCKED_MAX)
		return OM_EOBJ_FIELD;
	t.outcome = kind;
	t.sequence = (uint32_t)om_be_get(tail, 4);
	t.counter = om_be_get(tail + 4, 8);
	t.time = (int64_t)om_be_get(tail + 12, 8);
	*o = t;
	return 0;
}
