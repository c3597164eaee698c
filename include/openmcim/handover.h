/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handover request of spec/002 B.2.3.2 step 2: the new SHO, SHO[i+1],
 * tells the current SHO, SHO[i], that it now has a subscription with the
 * device, and gives it what goes into the bootstrap:
 *   {TRE_id, PROVURL, Cert_SHO[i+1], PuK_TRE(DM credentials, nonceA)}
 * plus the owner's transfer authorisation (a code the current SHO issued to
 * the owner, carried as a proof of it: om_handover_code_proof(), so that the
 * request the new SHO keeps for its retries holds no code) and a request id
 * that makes retries idempotent. The request is
 * signed by the new SHO (pki.h scheme by key type); it travels over HTTPS
 * with mutual TLS between operators.
 *
 * One codec for both ends: the new SHO builds (sho/), the current SHO's DRF
 * verifies (drf/). Binary, in the family of mobj.h (docs/formats.md).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/bootstrap.h>
#include <openmcim/err.h>
#include <openmcim/mobj.h>

#define OM_HANDOVER_ID_MAX 36      /* a UUID in text form */
#define OM_HANDOVER_SHO_ID_MAX 63
#define OM_HANDOVER_CODE_MAX 32    /* a transfer code as typed, dashes included */
#define OM_HANDOVER_CODE_CHARS 16  /* a transfer code: 80 bits in Crockford base32 (base32.h) */
#define OM_HANDOVER_PROOF_LEN 32

struct om_handover_req {
	char request_id[OM_HANDOVER_ID_MAX + 1];   /* chosen by the new SHO; a retry reuses it */
	char tre_id[OM_TRE_ID_MAX + 1];
	char new_sho_id[OM_HANDOVER_SHO_ID_MAX + 1];
	char provurl[OM_BOOTSTRAP_URL_MAX + 1];    /* the new SHO's DPF */
	char server_id[OM_BOOTSTRAP_NAME_MAX + 1]; /* its DM server id */
	char apn[OM_BOOTSTRAP_APN_MAX + 1];        /* APN towards the DPF */
	uint8_t code_proof[OM_HANDOVER_PROOF_LEN]; /* the owner's consent: om_handover_code_proof() */
	int64_t created;                           /* seconds since the epoch, for freshness */
	uint8_t *sho_cert;                         /* Cert_SHO[i+1], DER; owned */
	size_t sho_cert_len;
	uint8_t *creds;                            /* PuK_TRE(DM credentials, nonceA), protect.h tag 0x04; owned */
	size_t creds_len;
};

/* Build and sign with the new SHO's key. *out is malloc'd; the caller frees it. */
OM_NODISCARD int om_handover_build_signed(const struct om_handover_req *r, EVP_PKEY *new_sho_key, uint8_t **out,
					  size_t *out_len);

/* The sender's SHO id, unverified, so the receiver can pick the key to verify with. */
OM_NODISCARD int om_handover_peek_sender(const uint8_t *in, size_t len,
					 char new_sho_id[static OM_HANDOVER_SHO_ID_MAX + 1]);

/* Verify with the new SHO's public key, then parse. On failure out stays empty. */
OM_NODISCARD int om_handover_verify(const uint8_t *in, size_t len, EVP_PKEY *new_sho_pub,
				    struct om_handover_req *out);

/* Free the owned buffers and cleanse the code proof. */
void om_handover_free(struct om_handover_req *r);

/*
 * The proof of a transfer code for tre_id that the request carries:
 *   SHA-256("openmcim transfer code proof" 0 | TRE_id 0 | canonical code)
 * with the code as typed folded (case, '-', O->0, I/L->1) to its
 * OM_HANDOVER_CODE_CHARS characters. The code's 80 bits make it
 * unguessable from the proof; the current SHO's DRF keeps only a salted
 * hash of the proof and checks the request against it, and the code is
 * single use, so a proof kept after its use opens nothing.
 * Returns 0, OM_EINVAL (not a code) or OM_ECRYPTO.
 */
OM_NODISCARD int om_handover_code_proof(const char *tre_id, const char *typed_code,
					uint8_t out[static OM_HANDOVER_PROOF_LEN]);
