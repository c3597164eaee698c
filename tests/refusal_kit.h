/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Nothing changes" for refusal tests (tests/refusal_kit.c, in libomtest).
 * A snapshot is text: every row of every table of the databases named,
 * SQLite files or postgresql:// URIs (whatever their schema, so a column
 * added later is compared too, blobs in hex), then for each directory named
 * the SHA-256 of every file under it (relative name, size, bytes). Two
 * snapshots are equal exactly when no row and no byte moved.
 */
#pragma once

#include <stddef.h>

#include "transition.h"

/* The snapshot of the databases dbs[0..n_dbs) and the trees dirs[0..n_dirs); the caller frees it. */
char *rk_snapshot(const char *const *dbs, size_t n_dbs, const char *const *dirs, size_t n_dirs);

/* Are a and b the same? Says where they part when not. Frees neither. */
int rk_same(const char *a, const char *b, const char *what);

/* The check that an attack changed nothing: before and now (both freed) are the same snapshot. */
void rk_check_unchanged(char *before, char *now, const char *attack);

/* The to of (from, ev) in a diagram written out as moves, or NULL when it has none. */
const char *rk_legal_to(const struct om_move *m, size_t n, const char *from, int ev);

/*
 * A transition table (svc/transition.h) is its diagram: next gives exactly the moves of legal
 * (n_legal of them) over every state and event of t, and refused for every other, for an
 * unknown state and for none.
 */
void rk_table_is_the_diagram(const struct om_moves *t, const struct om_move *legal, size_t n_legal,
			     int (*next)(const char *from, int ev, const char **to), int refused);
