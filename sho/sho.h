/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The new SHO's registration service (spec/002 B.2.3.2), without its HTTP
 * front end:
 *   1. fleet owners authenticate with an id and a secret;
 *   2. they register devices {TRE_id, Cert_TRE (signing), Cert_TRE
 *      (encryption), SHO_id}, one or a whole delivery note in one call: both
 *      certificates are checked against the PVA's CA and their status asked
 *      of the PVA by OCSP, an IMSI is allocated from the SHO's range, K and
 *      OPc are generated, the subscriber is created in the SHO's HSS, and
 *      the MCIM is sealed for the TRE in advance (Note Y);
 *   3. for each device, the handover request towards the current SHO
 *      (step 2) is produced once and kept, so a retry sends the same bytes,
 *      and the current SHO's answer is recorded.
 * K and OPc exist only in the HSS and inside the sealed MCIM: never in this
 * service's database, a log or a report. docs/sho.md has the schema, the
 * states and the figures.
 *
 * Threads: a struct sho is used by one thread at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/claim.h>
#include <openmcim/dm.h>
#include <openmcim/err.h>
#include <openmcim/handover.h>
#include <openmcim/mcim.h>

#include "svc_err.h"

#define SHO_OWNER_ID_MAX 63
#define SHO_SECRET_MIN 12
#define SHO_SECRET_MAX 128
#define SHO_REASON_MAX 127
#define SHO_STATE_MAX 23
#define SHO_MODEL_MAX 63 /* the factory's model name (factory.h OM_FACTORY_MODEL_MAX) */

struct sho;

/* Everything the service needs; pointers are borrowed for sho_open() only
 * (strings are copied, objects up-ref'd). */
struct sho_config {
	const char *db_path;     /* SQLite file of the registration service */
	const char *sho_id;      /* this SHO's id, SHO[i+1] */
	const char *mcc;         /* 3 digits */
	const char *mnc;         /* 2 or 3 digits */
	const char *msin_first;  /* first MSIN of the range; its length is the MSIN width */
	const char *msin_last;   /* last MSIN, same width */
	const uint8_t *op;       /* 16 bytes: the operator's OP; OPc = MILENAGE OPc(K, OP) */
	const char *apn;         /* the full-access APN written into the MCIM and the HSS */
	const char *roaming;     /* HSS roaming rule: "any" or PLMN[,PLMN] */
	uint8_t amf[2];          /* AMF of the subscriptions (E-UTRAN separation bit set) */
	unsigned ind_bits;       /* IND bits of the subscriptions (TS 33.102 C.3.2) */
	X509 *pva_ca;            /* the PVA's CA: issuer of every Cert_TRE */
	const char *ocsp_url;    /* the PVA's OCSP responder */
	const char *hss_socket;  /* the HSS's provisioning socket (docs/hss.md) */
	EVP_PKEY *sign_key;      /* SHO_SIGNING key: signs the handover requests */
	X509 *sign_cert;         /* Cert_SHO[i+1] (SHO_SIGNING), sent for the bootstrap */
	const char *provurl;     /* the DPF's address */
	const char *server_id;   /* the DPF's DM server id */
	const char *dpf_apn;     /* APN towards the DPF */
	const char *drf_socket;  /* our DRF's admin socket: whether a device registered again has left us
				  * (issue 20, docs/sho.md "A device comes back"), and told of resales
				  * (docs/decisions.md "Resale"); NULL: neither */
};

/*
 * Open the service (creating or migrating its database). Only db_path is
 * needed for owner management, status and list (the other fields may be
 * zero); sho_register*() and the handover calls check the rest and refuse
 * with OM_ESHO_CONFIG. Returns 0, OM_EINVAL, OM_ENOMEM, OM_ESHO_CONFIG or
 * a store code, with a one-line reason in why.
 */
OM_NODISCARD int sho_open(struct sho **out, const struct sho_config *cfg, char *why, size_t why_len);
void sho_close(struct sho *s);
/* End of a request on s: no statement may be left busy (svc/store.h om_store_idle); how many were. */
unsigned sho_idle(struct sho *s, const char *where);

/* ---- owners ----------------------------------------------------------------- */

/*
 * Create an owner with a secret of SHO_SECRET_MIN..SHO_SECRET_MAX bytes,
 * stored as scrypt (N=2^15, r=8, p=1, 16-byte salt, 32-byte hash).
 * Returns 0, OM_ESHO_NOTE (bad id or secret length), OM_ESHO_OWNER_EXISTS,
 * OM_ECRYPTO or a store code.
 */
OM_NODISCARD int sho_owner_add(struct sho *s, const char *owner_id, const char *secret);

/* 0 if the secret is the owner's (compared in constant time), else OM_ESHO_OWNER_AUTH. */
OM_NODISCARD int sho_owner_check(struct sho *s, const char *owner_id, const char *secret);

/*
 * sho_owner_check in three steps, so the costly one runs without any lock
 * (issue 14: scrypt off the path that serves others):
 *   sho_owner_recall   reads the owner's salt and hash (store, cache):
 *                      0 when the secret passed scrypt lately, 1 when it
 *                      must be checked, or OM_ESHO_OWNER_AUTH / OM_ESTORE;
 *   sho_owner_verify   scrypt and the constant-time compare, on the claim
 *                      alone (no shared state): 0 or OM_ESHO_OWNER_AUTH;
 *   sho_owner_remember remembers a verified secret.
 * The claim holds no secret; the caller cleanses it anyway.
 */
struct sho_owner_claim {
	char owner_id[SHO_OWNER_ID_MAX + 1];
	uint8_t salt[16], want[32];
	int found;
};
OM_NODISCARD int sho_owner_recall(struct sho *s, const char *owner_id, const char *secret, struct sho_owner_claim *c);
OM_NODISCARD int sho_owner_verify(const struct sho_owner_claim *c, const char *secret);
void sho_owner_remember(struct sho *s, const struct sho_owner_claim *c, const char *secret);

/* ---- the operator's commands (sho-admin, issue 15) ----------------------------- */

struct sho_owner_info {
	char owner_id[SHO_OWNER_ID_MAX + 1];
	int64_t created;
	unsigned devices; /* registered to it now */
};

/* Owners in id order after `after` ("" or NULL: from the start), at most limit. How many, or a store code. */
OM_NODISCARD int sho_owner_page(struct sho *s, const char *after, unsigned limit,
				void (*fn)(void *ctx, const struct sho_owner_info *o), void *ctx);

/*
 * A new secret for an owner (a fresh salt and scrypt hash): the old one
 * stops working at once, also where it was remembered (bound to the old
 * hash). Returns 0, OM_ESHO_NOTE (length), OM_ESHO_NOT_FOUND, OM_ECRYPTO or
 * a store code.
 */
OM_NODISCARD int sho_owner_secret(struct sho *s, const char *owner_id, const char *secret);

/*
 * Forget an owner with its finished bulk moves and its history of devices
 * it sold. Refused with OM_ESHO_STATE, nothing changed, while devices are
 * registered to it or a bulk move of its is unfinished; OM_ESHO_NOT_FOUND.
 */
OM_NODISCARD int sho_owner_delete(struct sho *s, const char *owner_id);

/*
 * The stamp of the owner's stored secret: SHA-256 of its KDF name, salt and
 * hash, so it changes with every sho_owner_secret (a fresh salt) and goes
 * with sho_owner_delete. A console session keeps the stamp it was signed in
 * under and ends when it differs (docs/owner.md "Sessions"). Returns 0,
 * OM_ESHO_NOT_FOUND (no such owner), OM_ECRYPTO or OM_ESTORE.
 */
#define SHO_OWNER_STAMP_LEN 32
OM_NODISCARD int sho_owner_stamp(struct sho *s, const char *owner_id, uint8_t stamp[static SHO_OWNER_STAMP_LEN]);

/*
 * Suspend (suspend 1) or resume (0) a registered device's subscription in
 * our HSS, with a `suspended` / `resumed` event for its owner, in one
 * transaction: the event is kept only when the HSS did it. Resuming one
 * whose subscription is on its way out (released, or fallen back) is
 * OM_ESHO_STATE. Returns 0, OM_ESHO_NOT_FOUND, OM_ESHO_STATE, OM_ESHO_CONFIG
 * (no HSS socket), OM_ESHO_HSS (reason in why) or a store code.
 */
OM_NODISCARD int sho_device_suspend(struct sho *s, const char *tre_id, int suspend, char *why, size_t why_len);

/*
 * Delete a device: its subscription from our HSS (one already gone counts
 * as deleted), its row, handover request and history, in one transaction
 * around the HSS's deletion. Refused with OM_ESHO_STATE, nothing changed,
 * in the middle of a handover (handover_requested, handover_accepted,
 * provisioned). Returns 0, OM_ESHO_NOT_FOUND, OM_ESHO_STATE,
 * OM_ESHO_CONFIG, OM_ESHO_HSS (nothing deleted) or a store code.
 */
OM_NODISCARD int sho_device_delete(struct sho *s, const char *tre_id, char *why, size_t why_len);

/*
 * What our HSS says of imsi's subscription (its `show`): "active",
 * "suspended" or "absent" into out. Returns 0, or OM_ESHO_CONFIG / OM_ESHO_HSS
 * (out "unknown") when there is no HSS to ask or it did not answer in
 * SHO_HSS_SHOW_MS.
 */
#define SHO_HSS_SHOW_MS 5000
OM_NODISCARD int sho_device_subscription(struct sho *s, const char *imsi, char out[static 16]);

/* ---- registration (B.2.3.2 step 1) -------------------------------------------- */

/* One device as the owner gives it: DER certificates and the owner claim secret. */
struct sho_device_in {
	char tre_id[OM_TRE_ID_MAX + 1];
	char current_sho[OM_HANDOVER_SHO_ID_MAX + 1];
	uint8_t *cert_sign; /* Cert_TRE (TRE_SIGNING), DER; owned */
	size_t cert_sign_len;
	uint8_t *cert_enc;  /* Cert_TRE (TRE_ENCRYPTION), DER; owned */
	size_t cert_enc_len;
	uint8_t claim[OM_CLAIM_LEN]; /* the owner claim secret (claim.h); cleansed by sho_devices_free() */
	int has_claim;
	char model[SHO_MODEL_MAX + 1]; /* the note's optional model column; "" when absent */
};

/* What happened to one row. */
struct sho_row_report {
	char tre_id[OM_TRE_ID_MAX + 1];
	int rc;          /* 0, or why this row was refused */
	int unchanged;   /* 1: already registered with this content (idempotent repeat) */
	int committed;   /* 1: this row is in the database after the call */
	int transferred; /* 1: taken from another owner's account with a claim of a later owner */
	char imsi[OM_MCIM_IMSI_MAX + 1];
	char reason[SHO_REASON_MAX + 1];
};

#define SHO_REG_PARTIAL 1u /* register the acceptable rows, report the others */
/* the caller verified owner_id's secret already (the owner API, before it released its lock for the HSS
 * probe): not checked again, so no scrypt runs under that lock (issue 14 finding 8a); an owner deleted
 * meanwhile (sho_owner_delete) fails the insert on sho_device's foreign key */
#define SHO_REG_OWNER_VERIFIED 2u

/*
 * Register devs[0..n) for owner in one call: every row is checked first
 * (format, duplicates, the owner claim secret against the verifier its
 * Cert_TRE carries, chain to the PVA's CA for both profiles, OCSP),
 * then, in one transaction of this service's database and one HSS import,
 * the new rows get IMSIs, subscribers and sealed MCIMs. Rows already
 * registered by this owner with the same certificates and SHO_id are
 * reported unchanged (same IMSI). A device registered by another owner
 * moves to this one (reported transferred, same IMSI and subscription) when
 * the claim is of a later owner than the one registered (a resale,
 * docs/decisions.md "Proof of ownership"). By default any refused row refuses the
 * whole call (OM_ESHO_REFUSED) and nothing changes, in this database or in
 * the HSS; with SHO_REG_PARTIAL the acceptable rows go in. report[i] is
 * filled for every row either way (report may be NULL).
 * A row is refused with OM_ESHO_CLAIM (no claim, or not this device's),
 * OM_ESHO_CLAIM_OLD (another owner's device, and the claim not of a later
 * owner), OM_ESHO_STATE (that device has a handover request pending),
 * OM_ESHO_DUPLICATE, OM_ESHO_NOTE or a certificate code.
 * Returns 0, OM_ESHO_OWNER_AUTH, OM_ESHO_REFUSED, OM_ESHO_IMSI_RANGE (the
 * whole call: not enough IMSIs left), OM_ESHO_CONFIG, OM_EOCSP_* (the PVA
 * could not be asked), OM_ESHO_HSS, or a store code.
 */
OM_NODISCARD int sho_register(struct sho *s, const char *owner_id, const char *secret,
			      const struct sho_device_in *devs, size_t n, unsigned flags,
			      struct sho_row_report *report);

/*
 * How a caller that serves others lets them run while one call waits on a
 * peer (issue 14): release() before the wait, reacquire() after; in between
 * the call touches no shared state.
 */
struct sho_wait {
	void (*release)(void *arg);
	void (*reacquire)(void *arg);
	void *arg;
};

/*
 * sho_register with the certificate checks (chain and the PVA's OCSP
 * answer) run between w->release and w->reacquire, so a slow or stopped
 * PVA holds up this call alone. The rows are classified again after the
 * wait: a row another call registered or moved meanwhile is refused
 * (OM_ESHO_STATE) unless it now stands as this call would leave it. With
 * secret NULL, flags must carry SHO_REG_OWNER_VERIFIED. w NULL: as
 * sho_register.
 */
OM_NODISCARD int sho_register_wait(struct sho *s, const char *owner_id, const char *secret,
				   const struct sho_device_in *devs, size_t n, unsigned flags,
				   struct sho_row_report *report, const struct sho_wait *w);

/*
 * Parse a delivery note (docs/factory.md: header
 * tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret, or the
 * same without claim_secret, whose rows sho_register() then refuses) into
 * *devs (free with sho_devices_free()). Returns the number of rows, or
 * OM_EIO, OM_ENOMEM, or OM_ESHO_NOTE with the line in why.
 * sho_note_parse() reads an open stream (name for messages).
 */
OM_NODISCARD int sho_note_read(const char *path, struct sho_device_in **devs, char *why, size_t why_len);
OM_NODISCARD int sho_note_parse(FILE *f, const char *name, struct sho_device_in **devs, char *why, size_t why_len);
void sho_devices_free(struct sho_device_in *devs, size_t n);

/* ---- state -------------------------------------------------------------------- */

/* registered -> handover_requested -> handover_accepted | refused -> provisioned -> active [-> released:
 * our DRF says the device moved on to another operator] */
struct sho_device_status {
	char tre_id[OM_TRE_ID_MAX + 1];
	char owner_id[SHO_OWNER_ID_MAX + 1];
	char current_sho[OM_HANDOVER_SHO_ID_MAX + 1];
	char imsi[OM_MCIM_IMSI_MAX + 1];
	char state[SHO_STATE_MAX + 1];
	char reason[SHO_REASON_MAX + 1];
	char request_id[OM_HANDOVER_ID_MAX + 1]; /* "" before the handover request */
	uint32_t sequence;                       /* the bootstrap's sequence, as the current SHO's DRF said; 0 unknown */
	int64_t created, updated;
	char model[SHO_MODEL_MAX + 1];           /* as the delivery note gave it; "" unknown */
};

/* Returns 0, OM_ESHO_NOT_FOUND or a store code. */
OM_NODISCARD int sho_status(struct sho *s, const char *tre_id, struct sho_device_status *out);

/*
 * Calls fn for each device (of owner_id, or all when NULL) in TRE_id order after `after` ("" or
 * NULL: from the start), at most limit of them. Returns how many, or a store code.
 */
OM_NODISCARD int sho_list(struct sho *s, const char *owner_id, const char *after, unsigned limit,
			  void (*fn)(void *ctx, const struct sho_device_status *d), void *ctx);

/*
 * The sealed MCIM prepared for tre_id (protect.h object, tag
 * OM_PROTECT_TAG_MCIM, for the TRE's encryption key), for the DPF. *out is
 * malloc'd. Returns 0, OM_ESHO_NOT_FOUND or a store code.
 */
OM_NODISCARD int sho_sealed_mcim(struct sho *s, const char *tre_id, uint8_t **out, size_t *out_len);

/*
 * The Cert_TRE (signing) the owner registered for tre_id, for the DPF to
 * verify M2MMobj with. *cert is the caller's to X509_free. Returns 0,
 * OM_ESHO_NOT_FOUND, a pki decode code or a store code.
 */
OM_NODISCARD int sho_tre_sign_cert(struct sho *s, const char *tre_id, X509 **cert);

/*
 * The same as its DER (*der malloc'd), as registered: what the internal socket hands the
 * DPF, which decodes it itself (decoding it here too cost about 8 % of the SHO's CPU, issue
 * 14). Returns 0, OM_EINVAL, OM_ESHO_NOT_FOUND, OM_ENOMEM or a store code.
 */
OM_NODISCARD int sho_tre_sign_cert_der(struct sho *s, const char *tre_id, uint8_t **der, size_t *der_len);

/*
 * The Cert_TRE (encryption) the owner registered for tre_id, DER (*der
 * malloc'd), for the DPF to enter the device in this operator's DRF
 * register once it is active. Returns 0, OM_EINVAL, OM_ESHO_NOT_FOUND,
 * OM_ENOMEM or a store code.
 */
OM_NODISCARD int sho_tre_enc_cert(struct sho *s, const char *tre_id, uint8_t **der, size_t *der_len);

/*
 * A device as the DPF needs it at package 3 and at the outcome (issue 14): its status
 * (sho_status), both Cert_TREs as registered, DER (*sign and *enc malloc'd), and the
 * nonceA of its handover request (has_nonce_a 0 without one), read in one statement:
 * what four calls on the internal socket gave (status, tre-sign-cert, tre-enc-cert and
 * dm-auth, whose DM digest package 3 never needed). Returns 0, OM_EINVAL,
 * OM_ESHO_NOT_FOUND, OM_ENOMEM or a store code; on failure *sign and *enc are NULL.
 */
struct sho_device_view {
	struct sho_device_status st;
	uint8_t *sign, *enc;
	size_t sign_len, enc_len;
	int has_nonce_a;
	uint8_t nonce_a[OM_NONCE_LEN];
};
OM_NODISCARD int sho_device_view(struct sho *s, const char *tre_id, struct sho_device_view *out);
/* Free the certificates of a view (and zero it); NULL is a no-op. */
void sho_device_view_free(struct sho_device_view *v);

/* ---- handover towards the current SHO (B.2.3.2 step 2) -------------------------- */

/*
 * The signed handover request for tre_id, with the owner's transfer code:
 * made once (fresh request id, DM credentials and nonceA sealed for the
 * TRE with OM_PROTECT_TAG_DM_CREDENTIALS), stored, and the same bytes
 * returned on every retry with the same code. A new request is made only
 * after a refusal. *out is malloc'd. Returns 0, OM_ESHO_OWNER_AUTH,
 * OM_ESHO_NOT_FOUND (or the device is another owner's), OM_ESHO_STATE
 * (past the handover, or a pending request with another transfer code),
 * OM_ESHO_CONFIG, or a crypto, codec or store code.
 */
OM_NODISCARD int sho_handover_request(struct sho *s, const char *owner_id, const char *secret,
				      const char *tre_id, const char *transfer_code, uint8_t **out,
				      size_t *out_len);

/*
 * Record the current SHO's answer to request_id: accepted, or refused with
 * a reason (printable ASCII, <= SHO_REASON_MAX). Repeating the same answer
 * is a no-op. Returns 0, OM_ESHO_NOT_FOUND, OM_ESHO_STATE (no such pending
 * request, or a different answer already recorded), OM_ESHO_NOTE (bad
 * reason) or a store code.
 */
OM_NODISCARD int sho_handover_answer(struct sho *s, const char *tre_id, const char *request_id, int accepted,
				     const char *reason);

/*
 * The current SHO accepted request_id and its DRF assigned the bootstrap
 * sequence (its answer's sequence=; 0: none given), so that once the device
 * is ours our DRF numbers its next bootstrap above it: the sequence and the
 * acceptance in one durable transaction, both or neither. Returns as
 * sho_handover_answer; once the acceptance is recorded a repeat is a no-op
 * (0, nothing written).
 */
OM_NODISCARD int sho_handover_accepted(struct sho *s, const char *tre_id, const char *request_id, uint32_t sequence);

/*
 * The later steps, driven by the DPF and the HSS: handover_accepted ->
 * provisioned (the MCIM was delivered) -> active (first attach with it).
 * Repeating a step is a no-op. Returns 0, OM_ESHO_NOT_FOUND, OM_ESHO_STATE
 * or a store code.
 */
OM_NODISCARD int sho_mark_provisioned(struct sho *s, const char *tre_id);
OM_NODISCARD int sho_mark_active(struct sho *s, const char *tre_id);

/*
 * The device fell back (Note Y) instead of attaching with our MCIM, as its
 * TRE signed and our DPF checked (issue 20): our subscription for it is
 * suspended in our HSS at once (when the HSS does not answer, the event's
 * detail says so and our DRF suspends it once the HSS answers, retried from
 * its queue: drf_fallback_removal), the device
 * is `refused` with the reason SHO_FELL_BACK_REASON and a `fell_back` event
 * (the owner sees it fell back here); its removal after the grace period is
 * our DRF's (the DPF queues it). From handover_accepted or provisioned;
 * again is a no-op. Returns 0, OM_ESHO_NOT_FOUND, OM_ESHO_STATE,
 * OM_ESHO_CONFIG (no HSS socket) or a store code.
 */
/*
 * Requirement A (spec/000 5.2.2.1; docs/decisions.md "Requirement A for
 * Alternative 1"): a registration's subscription is created suspended in our
 * HSS and goes live here, when our DPF releases its MCIM to the device (the
 * internal socket's sealed-mcim). Resumes tre_id's subscriber; one already
 * live stays so. Only while handover_accepted or provisioned (the states in
 * which the DPF releases). Returns 0, OM_ESHO_NOT_FOUND, OM_ESHO_STATE,
 * OM_ESHO_CONFIG (no HSS socket), OM_EUNAVAILABLE (the HSS did not answer:
 * nothing released, the device retries) or OM_ESHO_HSS (it answered no),
 * with the reason in why.
 */
OM_NODISCARD int sho_activate(struct sho *s, const char *tre_id, char *why, size_t why_len);

#define SHO_FELL_BACK_REASON "fell back: the device stayed with its previous operator; subscription suspended"
OM_NODISCARD int sho_mark_fell_back(struct sho *s, const char *tre_id);

/*
 * The PVA refused the device's platform (B.2.3.4 IV), as our DPF reports a
 * refusal the PVA signed for this device's M2MMobj: the device stays
 * handover_accepted with the reason "PVA: <pva_reason>" (a word: a-z, 0-9,
 * '-') and a `validation_refused` history entry; the same reason again is a
 * no-op. Returns 0, OM_ESHO_NOTE (bad word), OM_ESHO_NOT_FOUND,
 * OM_ESHO_STATE (not handover_accepted) or a store code.
 */
OM_NODISCARD int sho_mark_pva_refused(struct sho *s, const char *tre_id, const char *pva_reason);

/*
 * What the DPF's side of OMA DM authentication needs for the pending
 * handover, and its nonceA: the DM username and B64(MD5(username ":"
 * password)), the inner step of both auth-md5 and the HMAC
 * (om_dm_md5_digest). The password itself is never stored (issue 12;
 * docs/dm.md "What the SHO keeps"). The digest is a secret (it
 * authenticates as the device): clear it with sho_dm_auth_clear.
 */
struct sho_dm_auth {
	char username[OM_BOOTSTRAP_NAME_MAX + 1];
	char digest[OM_DM_B64_MD5_LEN + 1];
	uint8_t nonce_a[OM_NONCE_LEN];
};

/* Returns 0, OM_ESHO_NOT_FOUND or OM_ESHO_STATE (no handover made). */
OM_NODISCARD int sho_dm_auth(struct sho *s, const char *tre_id, struct sho_dm_auth *out);
void sho_dm_auth_clear(struct sho_dm_auth *a);

/* ---- the owner's view: the console and the JSON API (docs/owner.md) ------------ */

/*
 * The same as sho_handover_request for an owner the caller has already
 * authenticated (a console session made with sho_owner_check): no secret.
 */
OM_NODISCARD int sho_handover_request_as(struct sho *s, const char *owner_id, const char *tre_id,
					 const char *transfer_code, uint8_t **out, size_t *out_len);

/*
 * The same with the code's proof (handover.h om_handover_code_proof) in
 * place of the code: what a bulk move keeps while it waits (move.h), so no
 * code is kept. proof NULL: a malformed code (OM_ESHO_NOTE).
 */
OM_NODISCARD int sho_handover_request_proof(struct sho *s, const char *owner_id, const char *tre_id,
					    const uint8_t proof[OM_HANDOVER_PROOF_LEN], uint8_t **out, size_t *out_len);

/* sho_register for an owner the caller has already authenticated (a console session). */
OM_NODISCARD int sho_register_as(struct sho *s, const char *owner_id, const struct sho_device_in *devs, size_t n,
				 unsigned flags, struct sho_row_report *report);

/* The registration states in their order (sho_device.state). */
#define SHO_N_STATES 7
extern const char *const sho_states[SHO_N_STATES];
/* Index of state in sho_states, or -1. */
int sho_state_index(const char *state);

#define SHO_PAGE_MAX 1000

/* Which of an owner's devices; NULL / 0 fields select everything. */
struct sho_fleet_filter {
	const char *state;    /* one of sho_states */
	const char *operator_id; /* the current SHO (the device's SHO_id) */
	const char *prefix;   /* TRE_id prefix */
	const char *model;    /* the model the delivery note gave */
	int refused;          /* 1: only devices with a refusal reason */
	const char *after;    /* paging: TRE_ids after this one, in TRE_id order */
	unsigned limit;       /* 1..SHO_PAGE_MAX */
};

/*
 * owner_id's devices matching f, in TRE_id order, at most f->limit, each
 * through fn; *more is 1 when more follow the last one. Returns 0,
 * OM_EINVAL (bad filter) or a store code.
 */
OM_NODISCARD int sho_fleet_page(struct sho *s, const char *owner_id, const struct sho_fleet_filter *f,
				void (*fn)(void *ctx, const struct sho_device_status *d), void *ctx, int *more);

/* owner_id's devices matching f (state ignored), counted per state (sho_states order). */
OM_NODISCARD int sho_fleet_counts(struct sho *s, const char *owner_id, const struct sho_fleet_filter *f,
				  uint64_t counts[static SHO_N_STATES]);

/*
 * A device's history: registered, transferred (a resale to this owner),
 * handover_requested, handover_accepted (the current SHO's DRF accepted:
 * the bootstrap goes out), refused (with the reason), validation_refused
 * (the PVA's reason), provisioned, active, fell_back, released; detail is
 * the reason or the request id.
 */
#define SHO_EVENT_MAX 23
struct sho_event {
	int64_t at;
	char event[SHO_EVENT_MAX + 1];
	char detail[SHO_REASON_MAX + 1];
};

/* owner_id's events of tre_id in order. Returns 0, OM_ESHO_NOT_FOUND (none: unknown or another owner's) or a store code. */
OM_NODISCARD int sho_history(struct sho *s, const char *owner_id, const char *tre_id,
			     void (*fn)(void *ctx, const struct sho_event *e), void *ctx);

/*
 * Our DRF's departures after the kept cursor (its admin socket's
 * `departures`, sho/release.c): each device we served (provisioned or
 * active, with the IMSI of the stay that ended) that moved on becomes `released`, its
 * current SHO the one it moved to, with a `released` event; the cursor
 * moves in the same transaction. *more is 1 when a full page came (ask
 * again). Returns how many were released, 0 without [drf] admin_socket,
 * OM_ESHO_DRF / a DRF code, or a store code (nothing applied).
 */
OM_NODISCARD int sho_departures_sync(struct sho *s, int *more);

/*
 * One departure, inside the caller's open transaction (sho_departures_sync's
 * step): the move `release` of device_state.c from the device's state, only
 * while it still has imsi (the stay that ended), with its event. 0 released;
 * OM_ESHO_STATE when the table has no such move from its state (nothing
 * written), OM_ESHO_NOT_FOUND for an unknown device or another IMSI, a
 * store code.
 */
OM_NODISCARD int sho_release_one(struct sho *s, const char *tre_id, int64_t left, const char *imsi, const char *to,
				 const char *request);

/*
 * The states of owner_id's devices over time: n buckets of equal length
 * from `from` to `to` (seconds), counts[b][k] the devices in sho_states[k]
 * at the end of bucket b. Returns 0, OM_EINVAL or a store code.
 */
OM_NODISCARD int sho_timeline(struct sho *s, const char *owner_id, int64_t from, int64_t to, unsigned n,
			      uint64_t (*counts)[SHO_N_STATES]);
