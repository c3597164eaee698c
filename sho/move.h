/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Moving devices to this SHO (spec/002 B.2.3.2 step 2), one or a selection:
 * for each device, the signed handover request (made once, the same bytes
 * on a retry) sent to the current SHO's DRF over mutual TLS (sho_peer.h)
 * and its answer recorded. sho_move_one is what POST /handover/<id> and the
 * JSON API's moves run; a bulk move runs on the mover's own thread with its
 * own database handle (and in the requests of an owner who follows it), and
 * the owner follows its progress (docs/owner.md). Bulk moves are kept in the
 * SHO's database (move_store.c): a restart resumes the unfinished ones and
 * still reports the finished ones it keeps.
 */
#pragma once

#include <pthread.h>

#include "http_server.h"
#include "sho.h"
#include "sho_peer.h"

#define SHO_MOVE_MAX 10000  /* devices in one bulk move */
#define SHO_MOVES_KEPT 32   /* moves remembered for their owners to follow */
#define SHO_MOVES_PER_OWNER 4 /* unfinished moves one owner may have: no owner holds every slot */
#define SHO_MOVER_IDLE_MS 1000 /* the worker looks for work at least this often */
#define SHO_DEPARTURES_MS 2000 /* and asks our DRF for departures (sho_departures_sync) this often */
#define SHO_MOVE_ID_LEN 32  /* hex of 16 random bytes */

enum sho_move_result { SHO_MOVE_QUEUED = 0, SHO_MOVE_ACCEPTED, SHO_MOVE_REFUSED, SHO_MOVE_PENDING, SHO_MOVE_ERROR };
const char *sho_move_result_name(enum sho_move_result r);

struct sho_move_outcome {
	enum sho_move_result result;
	int rc;                                   /* 0, or our code (refused by us, pending, error) */
	char request_id[OM_HANDOVER_ID_MAX + 1];  /* "" when no request was made */
	char reason[SHO_REASON_MAX + 1];          /* the DRF's reason (refused), or ours */
};

/*
 * Move tre_id of owner_id, whom the caller authenticated, with the transfer
 * code the current SHO issued. From a handler, r: the server's handler lock
 * is released while the DRF is asked (issue 14); from the mover, NULL.
 * Fills *o and logs one line.
 */
void sho_move_one(struct sho *sho, const struct sho_peers *peers, const char *owner_id, const char *tre_id,
		  const char *code, struct om_http_req *r, struct sho_move_outcome *o);
/* The same with the code's proof (sho_handover_request_proof); proof NULL: the code was malformed. */
void sho_move_one_proof(struct sho *sho, const struct sho_peers *peers, const char *owner_id, const char *tre_id,
			const uint8_t *proof, struct om_http_req *r, struct sho_move_outcome *o);

/* ---- bulk moves -------------------------------------------------------------- */

struct sho_move_item {
	char tre_id[OM_TRE_ID_MAX + 1];
	/* the code's proof (om_handover_code_proof), kept until the device's answer is recorded (then
	 * cleansed, and NULL in the database): the code itself is never kept. has_proof 0: the code was
	 * malformed, the item is refused (OM_ESHO_NOTE) when its turn comes */
	uint8_t proof[OM_HANDOVER_PROOF_LEN];
	int has_proof;
	struct sho_move_outcome out;
};
/* Into it: tre_id and the proof of code (has_proof 0 when code is malformed). */
void sho_move_item_set(struct sho_move_item *it, const char *tre_id, const char *code);

/*
 * Items are claimed in order (next, under the mover's lock) by whoever
 * advances the move: the worker or an owner's request. Each writes its
 * result into the item it claimed, so two at once never record one
 * device's answer against another (an item shows its result once its
 * out.result is no longer SHO_MOVE_QUEUED).
 */
struct sho_move {
	char id[SHO_MOVE_ID_LEN + 1];
	char owner_id[SHO_OWNER_ID_MAX + 1];
	int64_t created, finished; /* finished 0 while running */
	size_t n, next, done;      /* items claimed, items answered */
	struct sho_move_item *items;
};

struct sho_mover {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t worker;
	int running, stopping, has_worker;
	const struct sho_config *cfg;
	const struct sho_peers *peers;
	struct sho *sho;                        /* the worker's own handle */
	struct sho_move *moves[SHO_MOVES_KEPT]; /* newest last */
	size_t n_moves, turn;                   /* turn: where the worker looks first (round robin) */
	char last_owner[SHO_OWNER_ID_MAX + 1];  /* whose device the worker moved last */
	int64_t departures_at;                  /* when the worker last asked our DRF for departures (ms) */
};

/*
 * Ready the mover and start its worker, which advances every unfinished
 * move a device at a time, move after move (round robin), on a database
 * handle of its own: a move finishes whether or not its owner follows it.
 * Between devices it also shows the owners which devices left us
 * (sho_departures_sync, every SHO_DEPARTURES_MS).
 * 0, OM_EIO or the handle's open error.
 */
OM_NODISCARD int sho_mover_start(struct sho_mover *m, const struct sho_config *cfg, const struct sho_peers *peers);
/* Stop the worker (after its current device) and free every move. */
void sho_mover_stop(struct sho_mover *m);

/*
 * Queue a move of items[0..n) for owner_id (items are copied, the caller's
 * proofs may be cleansed after), written to the database on sho (the
 * handler's handle) before it is queued. Returns 0 with the id, OM_EINVAL,
 * OM_ENOMEM, OM_ESHO_MOVE_LIMIT when owner_id has SHO_MOVES_PER_OWNER
 * unfinished moves, OM_ESHO_STATE when every kept move is still running,
 * or a store code (nothing queued).
 */
OM_NODISCARD int sho_mover_add(struct sho_mover *m, struct sho *sho, const char *owner_id,
			       const struct sho_move_item *items, size_t n, char id[static SHO_MOVE_ID_LEN + 1]);

/* ---- the moves in the database (move_store.c) ---- */
/* Write mv (every item queued) and drop the kept move evict_id (NULL: none), in one transaction. */
OM_NODISCARD int sho_move_store_add(struct sho *s, const struct sho_move *mv, const char *evict_id);
/* Item k's answer, and the move's end when it has finished. */
OM_NODISCARD int sho_move_store_item(struct sho *s, const struct sho_move *mv, size_t k);
/* The kept moves, oldest first, into moves[0..*n) (at most SHO_MOVES_KEPT; free each with sho_move_free). */
OM_NODISCARD int sho_move_store_load(struct sho *s, struct sho_move **moves, size_t *n);
void sho_move_free(struct sho_move *mv);

/*
 * Advance owner_id's move id by up to budget devices on the handler's own
 * handle (under the server's handler lock; released around each DRF call),
 * beside the worker: an owner following a move (GET /api/v1/moves/{id})
 * speeds it up. 0 or OM_ESHO_NOT_FOUND.
 */
OM_NODISCARD int sho_mover_run(struct sho_mover *m, struct sho *sho, struct om_http_req *r, const char *owner_id,
			       const char *id, unsigned budget);

/*
 * Under the mover's lock: fn sees owner_id's move id (or, with id NULL,
 * each of owner_id's moves, newest first). Returns 0 or OM_ESHO_NOT_FOUND
 * (unknown, or another owner's).
 */
OM_NODISCARD int sho_mover_view(struct sho_mover *m, const char *owner_id, const char *id,
				void (*fn)(void *ctx, const struct sho_move *mv), void *ctx);
