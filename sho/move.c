/* SPDX-License-Identifier: Apache-2.0 */
/* Moving devices to this SHO, one or a selection (move.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void sho_move_item_set(struct sho_move_item *it, const char *tre_id, const char *code)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->tre_id, sizeof(it->tre_id), "%s", tre_id);
	it->has_proof = code && om_handover_code_proof(tre_id, code, it->proof) == 0;
}

void sho_move_one(struct sho *sho, const struct sho_peers *peers, const char *owner_id, const char *tre_id,
		  const char *code, struct om_http_req *r, struct sho_move_outcome *o)
{
	uint8_t proof[OM_HANDOVER_PROOF_LEN];
	int ok = code && om_handover_code_proof(tre_id, code, proof) == 0;
	sho_move_one_proof(sho, peers, owner_id, tre_id, ok ? proof : NULL, r, o);
	OPENSSL_cleanse(proof, sizeof(proof));
}

void sho_move_one_proof(struct sho *sho, const struct sho_peers *peers, const char *owner_id, const char *tre_id,
			const uint8_t *proof, struct om_http_req *r, struct sho_move_outcome *o)
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
	rc = sho_handover_request_proof(sho, owner_id, tre_id, proof, &req, &req_len);
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
	 * The sequence and the acceptance in one durable commit: a crash before it leaves the
	 * device handover_requested, and the owner's retry gets the same answer from the DRF again.
	 */
	if ((rc = ans.accepted ? sho_handover_accepted(sho, tre_id, st.request_id, ans.sequence)
			       : sho_handover_answer(sho, tre_id, st.request_id, 0, ans.reason)) < 0) {
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

void sho_move_free(struct sho_move *mv)
{
	if (!mv)
		return;
	if (mv->items)
		OPENSSL_cleanse(mv->items, mv->n * sizeof(*mv->items)); /* proofs not yet used */
	free(mv->items);
	free(mv);
}

static struct sho_move *find_move(struct sho_mover *m, const char *owner_id, const char *id)
{
	for (size_t i = 0; i < m->n_moves; i++)
		if (!strcmp(m->moves[i]->owner_id, owner_id) && !strcmp(m->moves[i]->id, id))
			return m->moves[i];
	return NULL;
}

/*
 * Under m->mu: claim mv's next unanswered item into *it (its proof copied
 * out; a move loaded after a restart has answered items among them); its
 * index, or -1 when none is left.
 */
static long claim(struct sho_move *mv, struct sho_move_item *it)
{
	if (!mv || mv->finished)
		return -1;
	while (mv->next < mv->n && mv->items[mv->next].out.result != SHO_MOVE_QUEUED)
		mv->next++;
	if (mv->next >= mv->n)
		return -1;
	size_t k = mv->next++;
	*it = mv->items[k];
	/* used once, by whoever claimed it; the database keeps it until the answer is recorded (a crash in
	 * between sends the same request again after the restart) */
	OPENSSL_cleanse(mv->items[k].proof, sizeof(mv->items[k].proof));
	return (long)k;
}

/* Under m->mu: item k of the move (owner_id, id), if still kept, answered with out, on sho's database. */
static void record(struct sho_mover *m, struct sho *sho, const char *owner_id, const char *id, size_t k,
		   const struct sho_move_outcome *out)
{
	struct sho_move *mv = find_move(m, owner_id, id);
	if (!mv || k >= mv->n || mv->items[k].out.result != SHO_MOVE_QUEUED)
		return;
	mv->items[k].out = *out;
	if (mv->items[k].out.result == SHO_MOVE_QUEUED) /* sho_move_one always sets one; never leave it unanswered */
		mv->items[k].out.result = SHO_MOVE_ERROR;
	if (++mv->done == mv->n) {
		mv->finished = sho_now();
		om_info("sho-move", "id=%s owner=%s devices=%zu finished=1", mv->id, mv->owner_id, mv->n);
	}
	int rc = sho_move_store_item(sho, mv, k);
	if (rc < 0) /* the device's own state is recorded: after a restart the item is sent again, same answer */
		om_error("sho-move", "id=%s item=%zu store=%s", mv->id, k, om_errname(rc));
}

/* Advance one claimed item; m->mu is not held. */
static void advance(struct sho_mover *m, struct sho *sho, struct om_http_req *r, const char *owner_id,
		    const char *id, long k, struct sho_move_item *it)
{
	struct sho_move_outcome out;
	sho_move_one_proof(sho, m->peers, owner_id, it->tre_id, it->has_proof ? it->proof : NULL, r, &out);
	OPENSSL_cleanse(it, sizeof(*it));
	pthread_mutex_lock(&m->mu);
	record(m, sho, owner_id, id, (size_t)k, &out);
	pthread_mutex_unlock(&m->mu);
}

int sho_mover_run(struct sho_mover *m, struct sho *sho, struct om_http_req *r, const char *owner_id, const char *id,
		  unsigned budget)
{
	for (unsigned b = 0; b < budget; b++) {
		struct sho_move_item it;
		pthread_mutex_lock(&m->mu);
		struct sho_move *mv = find_move(m, owner_id, id);
		long k = claim(mv, &it);
		pthread_mutex_unlock(&m->mu);
		if (!mv)
			return OM_ESHO_NOT_FOUND;
		if (k < 0)
			return 0;
		/* the handler lock is released around the DRF: another request or the worker advance this move
		 * meanwhile, each on the item it claimed */
		advance(m, sho, r, owner_id, id, k, &it);
	}
	return 0;
}

/*
 * The worker: one device of one unfinished move at a time, the moves in
 * turn and another owner's before the same owner's again, so a move of
 * 10,000 devices, or an owner whose current SHO's DRF does not answer (each
 * exchange bounded by the peers' timeout), holds up another owner's move by
 * at most one device per turn.
 */
static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Under m->mu (released meanwhile): the devices that left us, when it is time to ask our DRF again. */
static void departures(struct sho_mover *m)
{
	if (!m->cfg->drf_socket || now_ms() - m->departures_at < SHO_DEPARTURES_MS)
		return;
	pthread_mutex_unlock(&m->mu);
	int more = 1;
	for (int pages = 0; more && pages < 20; pages++)
		if (sho_departures_sync(m->sho, &more) < 0)
			break;
	(void)sho_idle(m->sho, "departures");
	pthread_mutex_lock(&m->mu);
	m->departures_at = now_ms();
}

static void *worker(void *arg)
{
	struct sho_mover *m = arg;
	pthread_mutex_lock(&m->mu);
	while (!m->stopping) {
		departures(m);
		struct sho_move_item it;
		struct sho_move *mv = NULL;
		long k = -1;
		/* the moves in turn, another owner's first: one owner's many moves take one turn in two */
		for (int other = 1; other >= 0 && k < 0; other--)
			for (size_t j = 0; j < m->n_moves && k < 0; j++) {
				mv = m->moves[(m->turn + j) % m->n_moves];
				if (other && !strcmp(mv->owner_id, m->last_owner))
					continue;
				if ((k = claim(mv, &it)) >= 0)
					m->turn = (m->turn + j + 1) % m->n_moves;
			}
		if (k < 0) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += SHO_MOVER_IDLE_MS / 1000;
			pthread_cond_timedwait(&m->wake, &m->mu, &until);
			continue;
		}
		char owner[SHO_OWNER_ID_MAX + 1], id[SHO_MOVE_ID_LEN + 1];
		memcpy(owner, mv->owner_id, sizeof(owner));
		memcpy(id, mv->id, sizeof(id));
		memcpy(m->last_owner, owner, sizeof(owner));
		pthread_mutex_unlock(&m->mu);
		advance(m, m->sho, NULL, owner, id, k, &it);
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int sho_mover_start(struct sho_mover *m, const struct sho_config *cfg, const struct sho_peers *peers)
{
	char why[256] = "";
	int rc;
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->peers = peers;
	if ((rc = sho_open(&m->sho, cfg, why, sizeof(why))) < 0) {
		om_error("sho-mover", "reason=\"%s\"", why);
		return rc;
	}
	if (pthread_mutex_init(&m->mu, NULL) || pthread_cond_init(&m->wake, NULL)) {
		sho_close(m->sho);
		return OM_EIO;
	}
	m->running = 1;
	/* the moves a restart interrupted go on, the finished ones are still reported */
	if ((rc = sho_move_store_load(m->sho, m->moves, &m->n_moves)) < 0) {
		om_error("sho-mover", "reason=\"cannot load the kept moves: %s\"", om_errname(rc));
		sho_mover_stop(m);
		return rc;
	}
	for (size_t i = 0; i < m->n_moves; i++)
		if (!m->moves[i]->finished)
			om_notice("sho-move", "id=%s owner=%s devices=%zu left=%zu resumed=1", m->moves[i]->id,
				  m->moves[i]->owner_id, m->moves[i]->n, m->moves[i]->n - m->moves[i]->done);
	if (pthread_create(&m->worker, NULL, worker, m)) {
		sho_mover_stop(m);
		return OM_EIO;
	}
	m->has_worker = 1;
	return 0;
}

void sho_mover_stop(struct sho_mover *m)
{
	if (!m || !m->running)
		return;
	pthread_mutex_lock(&m->mu);
	m->stopping = 1;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->mu);
	if (m->has_worker)
		pthread_join(m->worker, NULL);
	for (size_t i = 0; i < m->n_moves; i++)
		sho_move_free(m->moves[i]);
	m->n_moves = 0;
	m->running = 0;
	sho_close(m->sho);
	m->sho = NULL;
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->mu);
}

int sho_mover_add(struct sho_mover *m, struct sho *sho, const char *owner_id, const struct sho_move_item *items,
		  size_t n, char id[static SHO_MOVE_ID_LEN + 1])
{
	uint8_t raw[SHO_MOVE_ID_LEN / 2];
	if (!m || !m->running || !sho || !owner_id || !items || n == 0 || n > SHO_MOVE_MAX)
		return OM_EINVAL;
	struct sho_move *mv = calloc(1, sizeof(*mv));
	if (!mv || !(mv->items = calloc(n, sizeof(*mv->items)))) {
		free(mv);
		return OM_ENOMEM;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		sho_move_free(mv);
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
	size_t mine = 0;
	for (size_t k = 0; k < m->n_moves; k++)
		mine += !m->moves[k]->finished && !strcmp(m->moves[k]->owner_id, owner_id);
	if (mine >= SHO_MOVES_PER_OWNER) {
		rc = OM_ESHO_MOVE_LIMIT; /* one owner's unfinished moves never take every slot */
	} else if (m->n_moves == SHO_MOVES_KEPT) {
		/* the oldest finished move makes room; none finished: come back later */
		size_t k = 0;
		while (k < m->n_moves && !m->moves[k]->finished)
			k++;
		if (k == m->n_moves)
			rc = OM_ESHO_STATE;
		else if ((rc = sho_move_store_add(sho, mv, m->moves[k]->id)) == 0) {
			sho_move_free(m->moves[k]);
			memmove(&m->moves[k], &m->moves[k + 1], (m->n_moves - k - 1) * sizeof(m->moves[0]));
			m->n_moves--;
		}
	} else {
		rc = sho_move_store_add(sho, mv, NULL);
	}
	if (rc == 0) {
		m->moves[m->n_moves++] = mv;
		memcpy(id, mv->id, SHO_MOVE_ID_LEN + 1);
		om_info("sho-move", "id=%s owner=%s devices=%zu queued=1", mv->id, owner_id, n);
		pthread_cond_signal(&m->wake);
	} else {
		om_notice("sho-move-refused", "owner=%s devices=%zu reason=%s unfinished=%zu", owner_id, n, om_errname(rc),
			  mine);
	}
	pthread_mutex_unlock(&m->mu);
	if (rc < 0)
		sho_move_free(mv);
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
