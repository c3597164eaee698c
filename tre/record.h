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

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/mcim.h>
#include <openmcim/mobj.h>
#include <openmcim/tre.h>
#include <openmcim/usim.h>

/*
 * State record versions: 1 kept the private keys as PKCS#8 DER; 2 keeps
 * them as a key blob (below); 3 adds the bootstrap's PROVURL and APN and a
 * flags octet to the session, so the DM session and the outcome report
 * survive a restart; 4 adds the state counter (docs/tre.md "State
 * counter") and, to the session, the nonceB and IMSI of the MCIM it
 * installed, which the outcome statement names. Versions 1 to 3 are still
 * read (keys taken as TRE_KEY_PKCS8 blobs; a session without PROVURL and
 * APN; counter 0, no nonceB), and the next write makes the record version 4.
 *
 * MID record versions: 2 adds the state counter (the AKA's SQN update is a
 * change of state too, written to the MID record alone); 1 is still read
 * with counter 0.
 */
#define TRE_STATE_VERSION 4
#define TRE_MID_VERSION 2
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

/* Session flags (state record version 3). */
#define TRE_SESSION_FELL_BACK 0x01u /* om_tre_tick fell back: the session is kept for the outcome report only */
/* The pending MID answered a network challenge whose AUTN verified (om_tre_aka):
 * the network knew its K, the evidence om_tre_confirm needs (docs/tre.md
 * "Privileged and gated calls"). */
#define TRE_SESSION_NEW_ANSWERED 0x02u
#define TRE_SESSION_FLAGS (TRE_SESSION_FELL_BACK | TRE_SESSION_NEW_ANSWERED)

/* The DM credentials and nonceA of an accepted bootstrap (B.2.3.3). Secret. */
struct tre_session {
	int present;
	uint8_t nonce_a[OM_NONCE_LEN];
	char username[OM_BOOTSTRAP_NAME_MAX + 1];
	char password[OM_BOOTSTRAP_NAME_MAX + 1];
	char server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	char provurl[OM_BOOTSTRAP_URL_MAX + 1]; /* "" in a session read from a version 1/2 record */
	char apn[OM_BOOTSTRAP_APN_MAX + 1];
	uint8_t flags;                          /* TRE_SESSION_* */
	/* version 4: set by om_tre_install_mcim, for the outcome statement; imsi "" before */
	uint8_t nonce_b[OM_NONCE_LEN];
	char imsi[OM_MCIM_IMSI_MAX + 1];
};

struct tre_state {
	char tre_id[OM_TRE_ID_MAX + 1];
	char tre_type[64];
	char firmware_version[32];
	char ro_id[OM_TRE_STAKEHOLDER_MAX + 1];
	size_t n_meas;
	struct om_measurement meas[OM_MEASUREMENTS_MAX];
	struct tre_blob sign_key;  /* key blob (below), secret */
	struct tre_blob enc_key;   /* key blob (below), secret */
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
	uint64_t counter;          /* the state counter when this record was written (version 4) */
};

struct tre_mid_record {
	uint8_t mid[OM_MCIM_MID_LEN];
	uint8_t is_pcid;
	char owner[OM_TRE_STAKEHOLDER_MAX + 1];
	struct om_mcim mcim;       /* secret */
	struct om_usim_sqn sqn;
	uint64_t counter;          /* the state counter when this record was written (version 2) */
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

/*
 * A private key as the state record keeps it (docs/tre.md "Key blobs"):
 * kind(1) | material. The raw forms cost a copy to write and one
 * EVP_PKEY_fromdata() to read, where PKCS#8 goes through OpenSSL 3's
 * encoder and decoder (about 0.6 M instructions a key, and a lock that
 * every factory worker takes).
 *   TRE_KEY_P256    d (32, big-endian) | Q (65, uncompressed point)
 *   TRE_KEY_X25519  the private key (32, RFC 7748)
 *   TRE_KEY_PKCS8   PKCS#8 DER (RSA-2048, and keys of version 1 records)
 *   TRE_KEY_TPM     a key made in the TPM: its "TSS2 PRIVATE KEY" DER (the
 *                   public area, the private area encrypted by the TPM);
 *                   loaded for each use by tre_tpm_key_load (key_tpm.c)
 *   TRE_KEY_P11     a key made in the PKCS#11 token: its CKA_ID (16) | Q (65,
 *                   uncompressed point); found for each use by tre_p11_key_load
 */
enum { TRE_KEY_P256 = 0x01, TRE_KEY_X25519 = 0x02, TRE_KEY_PKCS8 = 0x03, TRE_KEY_TPM = 0x04, TRE_KEY_P11 = 0x05 };
#define TRE_KEY_P256_LEN (1 + 32 + 65)
#define TRE_KEY_P11_LEN (1 + 16 + 65)
#define TRE_KEY_X25519_LEN (1 + 32)

/* Whether b has the shape of a key blob (kind, length, point prefix). */
int tre_key_blob_ok(const struct tre_blob *b);

/*
 * The key blob of a private key (P-256 and X25519 raw, anything else
 * PKCS#8) into out (replaced). 0, OM_EINVAL (not a private key),
 * OM_ENOMEM, OM_ECRYPTO.
 */
OM_NODISCARD int tre_key_encode(const EVP_PKEY *key, struct tre_blob *out);

/* The private key of a key blob (not TRE_KEY_TPM). 0, OM_ETRE_STATE (malformed), OM_ENOMEM. */
OM_NODISCARD int tre_key_decode(EVP_PKEY **out, const struct tre_blob *in);

/*
 * PrK_TRE in the TPM (key_tpm.c), on the TPM of TCTI tcti: generate (P-256
 * only: OM_EINVAL otherwise), load a TRE_KEY_TPM blob (OM_ETRE_SEAL when
 * this TPM cannot load it), encode a key generate or load gave as such a
 * blob. The key carries its own library context (om_key_bind_hw): free it
 * with EVP_PKEY_free, which hangs up on the TPM. OM_ETRE_HW: no TPM.
 */
OM_NODISCARD int tre_tpm_key_generate(const char *tcti, int type, EVP_PKEY **out);
OM_NODISCARD int tre_tpm_key_load(const char *tcti, const struct tre_blob *b, EVP_PKEY **out);
OM_NODISCARD int tre_tpm_key_encode(const EVP_PKEY *key, struct tre_blob *out);

/*
 * PrK_TRE in the PKCS#11 token of be (key_p11.c): generate (P-256 only:
 * OM_EINVAL otherwise), load a TRE_KEY_P11 blob (OM_ETRE_SEAL when this
 * token has no key under its CKA_ID, OM_ETRE_KEY_ATTRS when the key found
 * is not one generate makes, or not the blob's), encode a key generate or
 * load gave as such a blob. The key carries its library context and the
 * token's session (om_key_bind_hw): free it with om_key_free. OM_ETRE_HW:
 * no token, or the token refused.
 */
OM_NODISCARD int tre_p11_key_generate(const struct om_tre_backend *be, int type, EVP_PKEY **out);
OM_NODISCARD int tre_p11_key_load(const struct om_tre_backend *be, const struct tre_blob *b, EVP_PKEY **out);
OM_NODISCARD int tre_p11_key_encode(const EVP_PKEY *key, struct tre_blob *out);

/* The blob of a key held by hardware (om_key_hw): the TPM's or the token's encoder. */
OM_NODISCARD int tre_hw_key_encode(const EVP_PKEY *key, struct tre_blob *out);

/* The backend a hardware key blob needs: OM_TRE_BACKEND_TPM or _PKCS11; -1 for a software key's. */
int tre_key_blob_backend(const struct tre_blob *b);

/* Replace dst's bytes with a copy of (p, len), or len zero bytes when p is
 * NULL; len 0 empties it. 0 or OM_ENOMEM. */
OM_NODISCARD int tre_blob_set(struct tre_blob *dst, const uint8_t *p, size_t len);
void tre_blob_free(struct tre_blob *b);
