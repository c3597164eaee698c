/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE's two sealed records, after unsealing (docs/tre.md "Files"):
 *
 *   state record  "OMTR" | version | TLV*   identity, keys, trust roots,
 *                 replay cache, MID registry (state, owner), activation,
 *                 bootstrap session
 *   MID record    "OMTM" | version | TLV*   one credential: MID, owner, the
 *                 MCIM TLV (mcim.h), the USIM SQN state (usim.h)
 *
 * TLV = tag(1) | length(2, BE) | value. Every tag is known (an unknown one is
 * refused: these bytes come only from our own sealing, so anything else is
 * corruption), single-valued tags appear once, and the mandatory ones must
 * be there. The parsers are pure (no I/O) and fuzzed (fuzz/tre_record.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openmcim/bootstrap.h>
#include <openmcim/mcim.h>
#include <openmcim/mobj.h>
#include <openmcim/tre.h>
#include <openmcim/usim.h>

#define TRE_RECORD_VERSION 1
#define TRE_REPLAY_MAX 32   /* nonceA values remembered (a ring: oldest dropped) */
#define TRE_BLOB_MAX 8192   /* largest key or certificate kept */

struct tre_blob {
	uint8_t *p; /* malloc'd */
	size_t len;
};

struct tre_mid_entry {
	uint8_t mid[OM_MCIM_MID_LEN];
	uint8_t state;  /* enum om_tre_mid_state */
	uint8_t is_pcid;
	char owner[OM_TRE_STAKEHOLDER_MAX + 1];
};

/* The DM credentials and nonceA of an accepted bootstrap (B.2.3.3). Secret. */
struct tre_session {
	int present;
	uint8_t nonce_a[OM_NONCE_LEN];
	char username[OM_BOOTSTRAP_NAME_MAX + 1];
	char password[OM_BOOTSTRAP_NAME_MAX + 1];
	char server_id[OM_BOOTSTRAP_NAME_MAX + 1];
};

struct tre_state {
	char tre_id[OM_TRE_ID_MAX + 1];
	char tre_type[64];
	char firmware_version[32];
	char ro_id[OM_TRE_STAKEHOLDER_MAX + 1];
	size_t n_meas;
	struct om_measurement meas[OM_MEASUREMENTS_MAX];
	struct tre_blob sign_key;  /* PKCS#8 DER, secret */
	struct tre_blob enc_key;   /* PKCS#8 DER, secret */
	struct tre_blob sign_cert; /* DER */
	struct tre_blob enc_cert;  /* DER */
	struct tre_blob root;      /* Cert_SHO[i], DER */
	struct tre_blob root_prev; /* Cert_SHO[i-1] while a change is not final; len 0 if none */
	uint32_t sequence;         /* last accepted bootstrap sequence */
	size_t n_seen;
	uint8_t seen[TRE_REPLAY_MAX][OM_NONCE_LEN]; /* oldest first */
	size_t n_mids;
	struct tre_mid_entry mids[OM_TRE_MIDS_MAX];
	int has_active;
	uint8_t active[OM_MCIM_MID_LEN];
	int pending;               /* an activation awaits confirmation */
	uint8_t pend_prev[OM_MCIM_MID_LEN];
	int64_t deadline;
	struct tre_session session;
};

struct tre_mid_record {
	uint8_t mid[OM_MCIM_MID_LEN];
	uint8_t is_pcid;
	char owner[OM_TRE_STAKEHOLDER_MAX + 1];
	struct om_mcim mcim;       /* secret */
	struct om_usim_sqn sqn;
};

/*
 * Encode into a malloc'd buffer (*out, *len; the caller cleanses and frees).
 * 0, OM_EINVAL (a field out of range), OM_ENOMEM.
 */
OM_NODISCARD int tre_state_encode(const struct tre_state *s, uint8_t **out, size_t *len);

/*
 * Parse a state record. 0, OM_ETRE_STATE, OM_ETRE_STATE_VERSION, OM_ENOMEM.
 * On error *s is cleared (tre_state_clear()).
 */
OM_NODISCARD int tre_state_parse(struct tre_state *s, const uint8_t *in, size_t len);

/* Cleanse secrets and free the blobs; *s is then all zero. */
void tre_state_clear(struct tre_state *s);

/* Encode a MID record. Same codes as tre_state_encode(). */
OM_NODISCARD int tre_mid_encode(const struct tre_mid_record *m, uint8_t **out, size_t *len);

/* Parse a MID record: 0, OM_ETRE_STATE, OM_ETRE_STATE_VERSION, or the
 * om_mcim_decode() / om_usim_sqn_parse() codes mapped to OM_ETRE_STATE. */
OM_NODISCARD int tre_mid_parse(struct tre_mid_record *m, const uint8_t *in, size_t len);

/* Cleanse a MID record. */
void tre_mid_clear(struct tre_mid_record *m);

/* Replace dst's bytes with a copy of (p, len); len 0 empties it. 0 or OM_ENOMEM. */
OM_NODISCARD int tre_blob_set(struct tre_blob *dst, const uint8_t *p, size_t len);
void tre_blob_free(struct tre_blob *b);
