/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bulk moves in the SHO's database (move.h, docs/owner.md "Bulk moves"): a
 * move and its items are written before the move is queued, each item's
 * answer as it is recorded, so a restart (or kill -9) resumes the unfinished
 * moves and still reports the finished ones kept. An item keeps the proof of
 * its transfer code (handover.h), never the code, until its answer is
 * recorded; the handover request kept for retries carries the same proof.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "move.h"
#include "sho_int.h"

static enum sho_move_result result_of(const char *name)
{
	for (int r = SHO_MOVE_QUEUED; r <= SHO_MOVE_ERROR; r++)
		if (!strcmp(name, sho_move_result_name((enum sho_move_result)r)))
			return (enum sho_move_result)r;
	return SHO_MOVE_ERROR;
}

int sho_move_store_add(struct sho *s, const struct sho_move *mv, const char *evict_id)
{
	int rc = om_store_begin(s->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	if (evict_id)
		rc = om_stmt_exec(s->stmt[SHO_SQL_MOVE_DELETE], OM_BIND(OM_TEXT(evict_id)));
	if (rc == 0)
		rc = om_stmt_exec(s->stmt[SHO_SQL_MOVE_ADD], OM_BIND(OM_TEXT(mv->id), OM_TEXT(mv->owner_id),
								     OM_INT(mv->created), OM_INT((int64_t)mv->n)));
	for (size_t k = 0; rc == 0 && k < mv->n; k++) {
		const struct sho_move_item *it = &mv->items[k];
		rc = om_stmt_exec(s->stmt[SHO_SQL_MOVE_ITEM_ADD],
				  OM_BIND(OM_TEXT(mv->id), OM_INT((int64_t)k), OM_TEXT(it->tre_id),
					  it->has_proof ? OM_BLOB(it->proof, sizeof(it->proof)) : OM_NULL));
	}
	if (rc == 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	return rc;
}

int sho_move_store_item(struct sho *s, const struct sho_move *mv, size_t k)
{
	const struct sho_move_outcome *o = &mv->items[k].out;
	int rc = om_store_begin(s->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	rc = om_stmt_exec(s->stmt[SHO_SQL_MOVE_ITEM_SET],
			  OM_BIND(OM_TEXT(mv->id), OM_INT((int64_t)k), OM_TEXT(sho_move_result_name(o->result)),
				  OM_INT(o->rc), OM_TEXT(o->request_id), OM_TEXT(o->reason)));
	if (rc == 0 && mv->finished)
		rc = om_stmt_exec(s->stmt[SHO_SQL_MOVE_FINISH], OM_BIND(OM_TEXT(mv->id), OM_INT(mv->finished)));
	if (rc == 0)
		rc = om_store_commit(s->store);
	om_store_rollback(s->store);
	return rc;
}

/* The items of mv (mv->n of them) from the database. */
static int load_items(struct sho *s, struct sho_move *mv)
{
	struct om_stmt *st = s->stmt[SHO_SQL_MOVE_ITEMS];
	int rc;
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(mv->id))); rc == OM_STORE_ROW; rc = om_stmt_step(st)) {
		int64_t k = om_stmt_col_int64(st, 0);
		if (k < 0 || (size_t)k >= mv->n) {
			rc = OM_ESTORE_SCHEMA;
			break;
		}
		struct sho_move_item *it = &mv->items[k];
		size_t plen = 0;
		const uint8_t *p = om_stmt_col_blob(st, 2, &plen);
		snprintf(it->tre_id, sizeof(it->tre_id), "%s", om_stmt_col_text(st, 1));
		if ((it->has_proof = p && plen == sizeof(it->proof)))
			memcpy(it->proof, p, plen);
		it->out.result = result_of(om_stmt_col_text(st, 3));
		it->out.rc = (int)om_stmt_col_int64(st, 4);
		snprintf(it->out.request_id, sizeof(it->out.request_id), "%s", om_stmt_col_text(st, 5));
		snprintf(it->out.reason, sizeof(it->out.reason), "%s", om_stmt_col_text(st, 6));
		mv->done += it->out.result != SHO_MOVE_QUEUED;
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : 0;
}

int sho_move_store_load(struct sho *s, struct sho_move **moves, size_t *n)
{
	struct om_stmt *st = s->stmt[SHO_SQL_MOVE_LIST];
	size_t got = 0;
	int rc;
	*n = 0;
	/* finished moves beyond the kept ones are gone (a crash between a move's end and the next add) */
	if ((rc = om_stmt_exec(s->stmt[SHO_SQL_MOVE_OLD], OM_BIND(OM_INT(SHO_MOVES_KEPT)))) < 0)
		return rc;
	for (rc = om_stmt_query(st, OM_BIND(OM_INT(SHO_MOVES_KEPT))); rc == OM_STORE_ROW && got < SHO_MOVES_KEPT;
	     rc = om_stmt_step(st)) {
		int64_t items = om_stmt_col_int64(st, 4);
		struct sho_move *mv = calloc(1, sizeof(*mv));
		if (!mv || items < 1 || items > SHO_MOVE_MAX || !(mv->items = calloc((size_t)items, sizeof(*mv->items)))) {
			free(mv);
			rc = mv ? OM_ESTORE_SCHEMA : OM_ENOMEM;
			break;
		}
		snprintf(mv->id, sizeof(mv->id), "%s", om_stmt_col_text(st, 0));
		snprintf(mv->owner_id, sizeof(mv->owner_id), "%s", om_stmt_col_text(st, 1));
		mv->created = om_stmt_col_int64(st, 2);
		mv->finished = om_stmt_col_int64(st, 3);
		mv->n = (size_t)items;
		moves[got++] = mv; /* newest first here; turned below */
	}
	om_stmt_reset(st);
	for (size_t i = 0; rc >= 0 && i < got; i++)
		rc = load_items(s, moves[i]);
	if (rc < 0) {
		for (size_t i = 0; i < got; i++)
			sho_move_free(moves[i]);
		return rc;
	}
	for (size_t i = 0; i < got / 2; i++) { /* the mover keeps them oldest first */
		struct sho_move *t = moves[i];
		moves[i] = moves[got - 1 - i];
		moves[got - 1 - i] = t;
	}
	*n = got;
	return 0;
}
