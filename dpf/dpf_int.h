/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the DPF core: the handle and the record's shared readers (dpf.c, outcome.c). */
#pragma once

#include <stdint.h>

#include <openmcim/mobj.h>

#include "dpf.h"
#include "drf.h"
#include "store.h"

struct dpf {
	struct om_store *store;
	struct sho *sho;
	EVP_PKEY *sign_key;
	dpf_pva_fn pva;
	void *pva_ctx;
	struct drf *drf;
};

/* One row of dpf_release. */
struct dpf_release {
	uint8_t nonce_b[OM_NONCE_LEN];
	char state[16];   /* released, installed, failed, superseded */
	char outcome[16]; /* "", active, fallback */
	int64_t created;
};

/* The highest state counter tre_id has signed for us (0: none yet) into *out. 0 or a store code. */
int dpf_counter_seen(struct dpf *d, const char *tre_id, uint64_t *out);

/* 0 when counter is usable (1..INT64_MAX) and not below the highest seen; else OM_EDPF_COUNTER (or a store code) with why. */
int dpf_counter_check(struct dpf *d, const char *tre_id, uint64_t counter, char *why, size_t wl);

/* Raise tre_id's highest seen counter to counter (never lowers it), inside the caller's transaction. */
int dpf_counter_record(struct dpf *d, const char *tre_id, uint64_t counter, time_t now);

/* The latest release of tre_id. 0, OM_EDPF_NOT_RELEASED or a store code. */
int dpf_last_release(struct dpf *d, const char *tre_id, struct dpf_release *r);
