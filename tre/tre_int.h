/* SPDX-License-Identifier: Apache-2.0 */
/* What the TRE's files share inside tre/: the handle and its helpers. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>
#include <openmcim/tre.h>

#include "fileio.h"
#include "record.h"
#include "seal.h"

#define TRE_STATE_FILE "tre.state"
#define TRE_MID_FILE_LEN (4 + 2 * OM_MCIM_MID_LEN + 4 + 1) /* "mid-" hex ".mid" NUL */

struct om_tre {
	char dir[TRE_PATH_MAX];
	unsigned flags;
	struct tre_sealer *seal;
	struct tre_state st;
	/* The loaded credential of st.mids[i]; NULL when blocked. Secret. */
	struct tre_mid_record *rec[OM_TRE_MIDS_MAX];
	/* PrK_TRE, or NULL when it is in the TPM or the token (TRE_KEY_TPM,
	 * TRE_KEY_P11: tre_key_use loads it for each use) */
	EVP_PKEY *sign_key;
	EVP_PKEY *enc_key;
	char tpm_tcti[256];     /* the configuration's TCTI, for keys in the TPM */
	int tcti_default;       /* ... none given: the TSS's default */
	/* the configuration's PKCS#11 module, token and PIN, for keys in the token (the PIN is cleansed at close) */
	char p11_module[256], p11_token[33], p11_pin[256];
	X509 *root;             /* Cert_SHO[i], decoded from st.root */
	long status_max_age;    /* > 0: a bootstrap must carry a fresh status of Cert_SHO[i] (om_tre_require_signer_status) */
	/* The state counter (docs/tre.md "State counter"): the highest written
	 * to the state record or any MID record; every durable write takes the
	 * next value. */
	uint64_t counter;
	int have_nonce_b;       /* M2MMobj sent, M2MMCIMMobj awaited (memory only) */
	int left_blocked;       /* this open made another MID active in place of a blocked one */
	uint8_t blocked_mid[OM_MCIM_MID_LEN]; /* ... that one */
	uint8_t nonce_b[OM_NONCE_LEN];
	/* Attestation (attest.c): the AK's TPM blob from attest.ak (NULL: none,
	 * no quote), and what this open measured into PCR 15 (TPM backend). */
	uint8_t *ak_blob;
	size_t ak_len;
	int measured;
	struct om_measurement measure;
};

#define TRE_ATTEST_FILE "attest.ak"

/* Personalisation: seal p's AK blob and certificate as attest.ak (none given: nothing). */
OM_NODISCARD int tre_attest_personalise(struct om_tre *tre, const struct om_tre_personalisation *p);

/* At open on a TPM: measure this program into PCR 15 once, and load attest.ak if there. */
OM_NODISCARD int tre_attest_open(struct om_tre *tre);

/*
 * With an AK: info's measurements become what this open measured (PCR 15's
 * log) and info->quote the TPM's quote of PCR 15 over nonce_a | nonce_b.
 * Without: info unchanged. 0, OM_ETRE_HW, OM_ETRE_SEAL.
 */
OM_NODISCARD int tre_attest_quote(const struct om_tre *tre, const uint8_t nonce_a[static OM_NONCE_LEN],
				  const uint8_t nonce_b[static OM_NONCE_LEN], struct om_tre_info *info);

/* Free what tre_attest_open loaded. */
void tre_attest_close(struct om_tre *tre);

/*
 * PrK_TRE for signing (enc 0) or decryption (enc 1) into *key, which the
 * caller frees with om_key_free (a TPM key's context goes with it): the software key (a reference), or the
 * TPM's key loaded for this use. 0, OM_ETRE_HW, OM_ETRE_SEAL, OM_ENOMEM.
 */
OM_NODISCARD int tre_key_use(const struct om_tre *tre, int enc, EVP_PKEY **key);

/* "mid-<32 hex>.mid" */
void tre_mid_file(char out[static TRE_MID_FILE_LEN], const uint8_t mid[static OM_MCIM_MID_LEN]);

/* The active MID is blocked: make the next usable one active (lifecycle.c). 1, 0 or a write error. */
OM_NODISCARD int tre_leave_blocked(struct om_tre *tre);

/* Index of mid in the registry, or -1. */
int tre_find(const struct om_tre *tre, const uint8_t mid[static OM_MCIM_MID_LEN]);

/*
 * Encode s with the next state counter and seal it as the state record
 * (atomic); tre->counter moves on only when it is written. 0, OM_EIO,
 * OM_ENOMEM, OM_ECRYPTO.
 */
OM_NODISCARD int tre_save_state(struct om_tre *tre, struct tre_state *s);

/* Encode rec with the next state counter and seal it as its MID file (excl: must not exist yet). */
OM_NODISCARD int tre_save_mid(struct om_tre *tre, struct tre_mid_record *rec, int excl);

/*
 * Commit a shallow copy of the state: seal it, then make it the TRE's state.
 * Blobs of the old state that next no longer shares are freed; on failure
 * nothing changes and the caller frees the blobs it put into next.
 */
OM_NODISCARD int tre_commit(struct om_tre *tre, struct tre_state *next);

/* Decode the trust root blob into an X509. 0 or OM_EPKI_MALFORMED. */
OM_NODISCARD int tre_decode_root(X509 **out, const struct tre_blob *root);

/*
 * tre_commit(next), with the trust root back to the previous one when there
 * is one (SHO[i]'s, so that SHO[i] can bootstrap again), then forget nonce B.
 * On failure nothing changes.
 */
OM_NODISCARD int tre_commit_root_back(struct om_tre *tre, struct tre_state *next);

/*
 * Accept cert as a trust root Cert_SHO[i]: SHO_SIGNING profile (the pinned
 * key that signs bootstraps and M2MMCIMMobj), or ROOT_CA when an operator
 * signs with its root key directly; valid at now; a printable CN into cn.
 * 0, OM_EPKI_PURPOSE, OM_EPKI_MALFORMED, OM_EPKI_EXPIRED,
 * OM_EPKI_NOT_YET_VALID, OM_ETRE_TRUST_ROOT.
 */
OM_NODISCARD int tre_check_root(X509 *cert, time_t now, char cn[static OM_NAME_MAX_LEN + 1]);

