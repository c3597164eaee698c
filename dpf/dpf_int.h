/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the DPF core: the handle and the record's shared readers (dpf.c, outcome.c). */
#pragma once

#include <stdint.h>

#include <openmcim/mobj.h>

#include "dpf.h"
#include "admin_call.h"
#include "store.h"

/* The DPF's statements, prepared once at open (dpf_store.c). */
enum dpf_sql {
	DPF_SQL_COUNTER_GET,
	DPF_SQL_COUNTER_RAISE,
	DPF_SQL_NONCE_B_COUNT,
	DPF_SQL_RELEASE_COUNT,
	DPF_SQL_RELEASE_SUPERSEDE,
	DPF_SQL_RELEASE_ADD,
	DPF_SQL_RELEASE_LAST,
	DPF_SQL_RELEASE_STATE,
	DPF_SQL_RELEASE_OUTCOME,
	DPF_SQL_COMPLETION_ADD,
	DPF_SQL_COMPLETION_NEXT,
	DPF_SQL_COMPLETION_ANSWERED,
	DPF_SQL_COMPLETION_ATTEMPTS,
	DPF_SQL_COMPLETION_STATE,
	DPF_SQL_COMPLETION_RETRY,
	DPF_SQL_COMPLETION_RESUME,
	DPF_SQL_COMPLETION_COUNT,
	DPF_SQL_RELEASES_IN,
	DPF_SQL_INSTALLED_PAGE,
	DPF_SQL_N
};

/*
 * Keys of Cert_TREs taken lately (dpf_tre_key): a device's package 3 and its
 * outcome report verify with the key of the same certificate, which the SHO
 * hands over each time. Looked up by the whole DER, so only the very same
 * certificate finds a key; the least recently used slot is reused.
 */
#define DPF_TRE_KEYS 256

struct dpf_tre_key {
	uint8_t *der;
	size_t len;
	EVP_PKEY *key;
	uint64_t used;
};

struct dpf {
	struct om_store *store;
	struct om_stmt *stmt[DPF_SQL_N];
	const struct om_admin_peer *sho;
	EVP_PKEY *sign_key;
	dpf_pva_fn pva;
	void *pva_ctx;
	const struct om_admin_peer *drf;
	struct dpf_tre_key keys[DPF_TRE_KEYS];
	uint64_t key_clock;
};

/*
 * The public key of the Cert_TRE whose DER the SHO gave (its certificate was
 * checked on its way into the SHO's record), into *key, a reference of the
 * caller's: from the last DPF_TRE_KEYS certificates when the same DER was
 * seen, else decoded (om_cert_pubkey_decode) and kept. 0 or a pki code.
 */
OM_NODISCARD int dpf_tre_key(struct dpf *d, const uint8_t *der, size_t len, EVP_PKEY **key);

/*
 * Open the record conf names (a SQLite path or a postgresql:// URI), bring
 * its schema up to date and prepare d->stmt[]. 0 or a code with err.
 */
/* The schema steps and the statement table (tests/query_plan_test.c reads each statement's plan). */
const struct om_store_schema *dpf_store_schema(void);

OM_NODISCARD int dpf_store_open(struct dpf *d, const char *conf, char *err, size_t err_len);
/* Finalize d->stmt[] and close the store. */
void dpf_store_close(struct dpf *d);

/* A call to the SHO or the DRF that had no answer in time is the device's retry, not a refusal. */
static inline int dpf_unavailable(int rc)
{
	return rc == OM_EUNAVAILABLE ? OM_EDPF_UNAVAILABLE : rc;
}

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

/*
 * A new release nonce_b of tre_id's handover nonce_a, and every release of
 * that handover still `released` superseded (dpf_state.h), with the TRE's
 * counter, in one durable transaction; *superseded says how many.
 */
OM_NODISCARD int dpf_release_record(struct dpf *d, const char *tre_id, const uint8_t nonce_a[static OM_NONCE_LEN],
				    const uint8_t nonce_b[static OM_NONCE_LEN], uint64_t counter, time_t now,
				    int64_t *superseded);
