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

/* The latest release of tre_id. 0, OM_EDPF_NOT_RELEASED or a store code. */
int dpf_last_release(struct dpf *d, const char *tre_id, struct dpf_release *r);
