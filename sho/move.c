/* SPDX-License-Identifier: Apache-2.0 */
/* Moving devices to this SHO, one or a selection (move.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/hex.h>

#include "log.h"
#include "metrics.h"
#include "move.h"
#include "sho_int.h"

const char *sho_move_result_name(enum sho_move_result r)
{
	static const char *const names[] = { "queued", "accepted", "refused", "pending", "error" };
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "error";
}

static int past_handover(const char *state)
{
	return !strcmp(state, "handover_accepted") || !strcmp(state, "provisioned") || !strcmp(state, "active");
}

static void ours(struct sho_move_outcome *o, enum sho_move_result r, int rc, const char *why)
{
	o->result = r;
	o->rc = rc;
	snprintf(o->reason, sizeof(o->reason), "%s", why && *why ? why : rc < 0 ? om_strerror(rc) : "");
}

static struct om_metric m_moves = OM_COUNTER("openmcim_sho_handovers_total",
	"Handover requests sent to the current SHO's DRF for owners, by result", "result");

void sho_move_one(struct sho *sho, const struct sho_peers *peers, const char *owner_id, const char *tre_id,
		  const char *code, struct om_http_req *r, struct sho_move_outcome *o)
{
	const char *peer_addr = r ? om_http_req_peer(r) : "mover";
	struct sho_device_status st;
	struct sho_peer_answer ans = { 0 };
	const struct sho_peer *peer = NULL;
	char why[256] = "";
	uint8_t *req = NULL;
	size_t req_len = 0;
	memset(o, 0, sizeof(*o));
	memset(&st, 0, sizeof(st));
	int rc = sho_status(sho, tre_id, &st);
	if (rc == 0 && strcmp(st.owner_id, owner_id))
		rc = OM_ESHO_NOT_FOUND; /* another owner's device is no business of this one */
	if (rc < 0) {
		ours(o, SHO_MOVE_REFUSED, rc, NULL);
		goto out;
	}
	if (past_handover(st.state)) {
		/* the answer is recorded: a retry after it gets the same answer, nothing is resent */
		o->result = SHO_MOVE_ACCEPTED;
		snprintf(o->request_id, sizeof(o->request_id), "%s", st.request_id);
		goto out;
	}
	if (!(peer = sho_peer_find(peers, st.current_sho))) {
		snprintf(why, sizeof(why), "no [peer.%s] in the configuration", st.current_sho);
		ours(o, SHO_MOVE_ERROR, OM_ESHO_PEER, why);
		goto out;
	}
	/* made once, the same bytes on every retry while no answer is recorded */
	rc = sho_handover_request_as(sho, owner_id, tre_id, code, &req, &req_len);
	if (rc < 0 || (rc = sho_status(sho, tre_id, &st)) < 0) {
		ours(o, rc == OM_ESHO_NOTE || rc == OM_ESHO_STATE || rc == OM_ESHO_OWNER_AUTH ? SHO_MOVE_REFUSED
											     : SHO_MOVE_ERROR,
		     rc, NULL);
		goto out;
	}
	snprintf(o->request_id, sizeof(o->request_id), "%s", st.request_id);
	/* the DRF across the network: other owners are served while this one waits (issue 14) */
	if (r)
		om_http_release(r);
	rc = sho_peer_send(peers, peer, req, req_len, &ans, why, sizeof(why));
	if (r)
		om_http_reacquire(r);
	if (rc < 0) {
		/* still handover_requested: the owner's retry resends the same request */
		ours(o, SHO_MOVE_PENDING, rc, why);
		goto out;
	}
	if (ans.accepted && strcmp(ans.request_id, st.request_id)) {
		snprintf(why, sizeof(why), "the DRF accepted request %s, not ours", ans.request_id);
		ours(o, SHO_MOVE_PENDING, OM_ESHO_PEER_ANSWER, why);
		goto out;
	}
	/*
	 * The sequence first, then the acceptance: a crash between the two leaves the device
	 * handover_requested, and the owner's retry gets the same answer from the DRF again.
	 */
	if ((ans.accepted && ans.sequence && (rc = sho_handover_sequence(sho, tre_id, st.request_id, ans.sequence)) < 0) ||
	    (rc = sho_handover_answer(sho, tre_id, st.request_id, ans.accepted, ans.accepted ? NULL : ans.reason)) < 0) {
		ours(o, SHO_MOVE_ERROR, rc, NULL);
		goto out;
	}
	o->result = ans.accepted ? SHO_MOVE_ACCEPTED : SHO_MOVE_REFUSED;
	if (!ans.accepted)
		snprintf(o->reason, sizeof(o->reason), "%s", ans.reason);
out:
	free(req);
	om_metric_inc(&m_moves, o->result == SHO_MOVE_ACCEPTED || (o->result == SHO_MOVE_REFUSED && o->rc == 0)
					? sho_move_result_name(o->result)
				: o->result == SHO_MOVE_PENDING ? "pending"
								: "error");
	if (o->result == SHO_MOVE_ACCEPTED || (o->result == SHO_MOVE_REFUSED && o->rc == 0))
		om_log(o->result == SHO_MOVE_REFUSED ? OM_LOG_NOTICE : OM_LOG_INFO, "sho-handover",
		       "peer=%s tre_id=%s current_sho=%s request=%s result=%s%s%s", peer_addr, tre_id, st.current_sho,
		       o->request_id[0] ? o->request_id : "-", sho_move_result_name(o->result),
		       o->reason[0] ? " reason=" : "", o->reason);
	else
		om_notice("sho-handover", "peer=%s tre_id=%s current_sho=%s request=%s result=%s reason=%s%s%s",
			  peer_addr, sho_id_ok(tre_id, OM_TRE_ID_MAX) ? tre_id : "-", peer ? peer->sho_id : "-",
			  o->request_id[0] ? o->request_id : "-",
			  o->result == SHO_MOVE_PENDING ? "pending" : "error", om_errname(o->rc), *why ? " detail=" : "",
			  why);
}

/* ---- the mover ------------------------------------------------------------------ */

static void move_free(struct sho_move *mv)
{
	if (!mv)
		return;
	if (mv->items)
		OPENSSL_cleanse(mv->items, mv->n * sizeof(*mv->items)); /* codes not yet used */
	free(mv->items);
	free(mv);
}

int sho_mover_start(struct sho_mover *m, const struct sho_config *cfg, const struct sho_peers *peers)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->peers = peers;
	if (pthread_mutex_init(&m->mu, NULL))
		return OM_EIO;
	m->running = 1;
	return 0;
}

void sho_mover_stop(struct sho_mover *m)
{
	if (!m || !m->running)
		return;
	for (size_t i = 0; i < m->n_moves; i++)
		move_free(m->moves[i]);
	m->n_moves = 0;
	m->running = 0;
	pthread_mutex_destroy(&m->mu);
}

static struct sho_move *find_move(struct sho_mover *m, const char *owner_id, const char *id)
{
	for (size_t i = 0; i < m->n_moves; i++)
		if (!strcmp(m->moves[i]->owner_id, owner_id) && !strcmp(m->moves[i]->id, id))
			return m->moves[i];
	return NULL;
}

int sho_mover_run(struct sho_mover *m, struct sho *sho, struct om_http_req *r, const char *owner_id, const char *id,
		  unsigned budget)
{
	for (unsigned k = 0; k < budget; k++) {
		struct sho_move_item it;
		struct sho_move_outcome out;
		pthread_mutex_lock(&m->mu);
		struct sho_move *mv = find_move(m, owner_id, id);
		int go = mv && !mv->finished;
		if (go)
			it = mv->items[mv->done];
		pthread_mutex_unlock(&m->mu);
		if (!mv)
			return OM_ESHO_NOT_FOUND;
		if (!go)
			return 0;
		/* the handler lock is released around the DRF: another request may advance this move meanwhile */
		sho_move_one(sho, m->peers, owner_id, it.tre_id, it.code, r, &out);
		OPENSSL_cleanse(&it, sizeof(it));
		pthread_mutex_lock(&m->mu);
		if ((mv = find_move(m, owner_id, id)) && !mv->finished) {
			struct sho_move_item *x = &mv->items[mv->done];
			OPENSSL_cleanse(x->code, sizeof(x->code));
			x->out = out;
			if (++mv->done == mv->n) {
				mv->finished = sho_now();
				om_info("sho-move", "id=%s owner=%s devices=%zu finished=1", mv->id, mv->owner_id, mv->n);
			}
		}
		pthread_mutex_unlock(&m->mu);
	}
	return 0;
}

int sho_mover_add(struct sho_mover *m, const char *owner_id, const struct sho_move_item *items, size_t n,
		  char id[static SHO_MOVE_ID_LEN + 1])
{
	uint8_t raw[SHO_MOVE_ID_LEN / 2];
	if (!m || !m->running || !owner_id || !items || n == 0 || n > SHO_MOVE_MAX)
		return OM_EINVAL;
	struct sho_move *mv = calloc(1, sizeof(*mv));
	if (!mv || !(mv->items = calloc(n, sizeof(*mv->items)))) {
		free(mv);
		return OM_ENOMEM;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		move_free(mv);
		return OM_ERANDOM;
	}
	om_hex_encode(mv->id, raw, sizeof(raw));
	memcpy(mv->items, items, n * sizeof(*items));
	for (size_t i = 0; i < n; i++)
		memset(&mv->items[i].out, 0, sizeof(mv->items[i].out));
	mv->n = n;
	mv->created = sho_now();
	snprintf(mv->owner_id, sizeof(mv->owner_id), "%s", owner_id);
	pthread_mutex_lock(&m->mu);
	int rc = 0;
	if (m->n_moves == SHO_MOVES_KEPT) {
		/* the oldest finished move makes room; none finished: come back later */
		size_t k = 0;
		while (k < m->n_moves && !m->moves[k]->finished)
			k++;
		if (k == m->n_moves) {
			rc = OM_ESHO_STATE;
		} else {
			move_free(m->moves[k]);
			memmove(&m->moves[k], &m->moves[k + 1], (m->n_moves - k - 1) * sizeof(m->moves[0]));
			m->n_moves--;
		}
	}
	if (rc == 0) {
		m->moves[m->n_moves++] = mv;
		memcpy(id, mv->id, SHO_MOVE_ID_LEN + 1);
		om_info("sho-move", "id=%s owner=%s devices=%zu queued=1", mv->id, owner_id, n);
	}
	pthread_mutex_unlock(&m->mu);
	if (rc < 0)
		move_free(mv);
	return rc;
}

int sho_mover_view(struct sho_mover *m, const char *owner_id, const char *id,
		   void (*fn)(void *ctx, const struct sho_move *mv), void *ctx)
{
	int rc = id ? OM_ESHO_NOT_FOUND : 0;
	pthread_mutex_lock(&m->mu);
	for (size_t i = m->n_moves; i-- > 0;) {
		const struct sho_move *mv = m->moves[i];
		if (strcmp(mv->owner_id, owner_id) || (id && strcmp(mv->id, id)))
			continue;
		fn(ctx, mv);
		rc = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}
