/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The M2ME's trusted environment (TRE) of TR 33.812 (spec/004 5.1.1.1.3,
 * 5.1.1.1.4; spec/002 B.2.2.1, B.2.3.3, B.2.3.4), as an embeddable library
 * with a narrow API, like a smart card or a TEE.
 *
 * What goes in: nonces, signed objects, challenges. What comes out:
 * signatures, RES/CK/IK or AUTS, and status. No call returns K, OPc, a
 * private key, the sealing key, a session key or the DM password, and
 * nothing here writes to a log, stdout or stderr.
 *
 * The TRE lives in one directory of sealed files (docs/tre.md has every file,
 * what is sealed, the AAD and the write discipline). A struct om_tre is not
 * thread-safe: one thread (the device agent) drives it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include <openmcim/err.h>
#include <openmcim/mcim.h>
#include <openmcim/mobj.h>
#include <openmcim/outcome.h>
#include <openmcim/usim.h>

/* Factory batch mode: no fsync of files or directory (the factory syncs the
 * whole run once). Never for a TRE in the field. */
#define OM_TRE_NO_FSYNC 1u

#define OM_TRE_MIDS_MAX 8        /* MIDs in the registry, the PCID included */
#define OM_TRE_STAKEHOLDER_MAX 64 /* RO_id or SHO_id: a certificate CN */

/* ---- backends (docs/tre.md "Backends") ----------------------------------------- */

enum om_tre_backend_kind {
	OM_TRE_BACKEND_SOFT = 0,   /* sealing key in a file: labs and development, NOT protected */
	OM_TRE_BACKEND_TPM = 1,    /* TPM 2.0: sealed key object, NV anti-rollback counter */
	OM_TRE_BACKEND_PKCS11 = 2, /* PKCS#11 token: non-extractable sealing key */
};

/*
 * Where a TRE's secure hardware is: the device's configuration (the agent's
 * [agent] tre_backend and its options, the factory's --tre), given to both
 * om_tre_personalise and om_tre_open_backend. The TRE directory keeps only
 * the names of the objects in that hardware (docs/tre.md "Backends"): never
 * which backend, nor a TCTI, module path or PIN, since whoever can write
 * the directory could otherwise pick a weaker backend or a library to load.
 */
struct om_tre_backend {
	int kind;                /* enum om_tre_backend_kind */
	const char *tpm_tcti;    /* TPM: tpm2-tss TCTI ("device:/dev/tpmrm0", "swtpm:path=..."); NULL: default */
	const char *p11_module;  /* PKCS#11: the module's path */
	const char *p11_token;   /* PKCS#11: the token's label */
	const char *p11_pin;     /* PKCS#11: the user PIN */
	/* TPM, personalisation only: the value PCR TRE_PCR_TRE (15) holds on the genuine device once
	 * the TRE's program is measured (32 bytes, SHA-256 bank); the sealing key is then bound to it
	 * by TPM2_PolicyPCR (docs/tre.md "Backends", docs/decisions.md). NULL: no PCR policy. */
	const uint8_t *tpm_pcr_policy;
};

/* "soft", "tpm" or "pkcs11" into *kind (the CLI's --tre); 0 or OM_EINVAL. */
OM_NODISCARD int om_tre_backend_parse(const char *name, int *kind);

/* ---- personalisation (B.2.2.1: the M2MES writes the TRE) ------------------- */

/*
 * PrK_TRE made where the backend keeps keys (B.2.2.1: "a TRE is initialized
 * with an asymmetric key pair"), for the factory to make the CSR with and
 * to hand to om_tre_personalise. TPM: TPM2_Create of a P-256 key (signing
 * and ECDH) under the storage root key of that TPM, never exported; the
 * EVP_PKEY signs and agrees inside the TPM, and personalisation keeps only
 * the TPM's blob (docs/tre.md "Backends"). PKCS#11: C_GenerateKeyPair of a
 * P-256 key (C_Sign, ECDH1 derive) in the token, sensitive and never
 * extractable; personalisation keeps its CKA_ID and public point. Other
 * types with the TPM or a token: OM_EINVAL. Software: om_key_generate.
 * 0, OM_EINVAL, OM_ETRE_HW, OM_ECRYPTO.
 */
OM_NODISCARD int om_tre_key_generate(const struct om_tre_backend *be, int key_type, EVP_PKEY **out);

/*
 * Once the CSR is signed: replace a key om_tre_key_generate made in the TPM
 * or the token by its public half carrying the hardware's blob, which
 * om_tre_personalise takes as PrK_TRE. The TPM object is flushed (a TPM
 * holds three loaded objects, and personalisation needs two); the token's
 * session ends. A software key is left as it is. 0, OM_EINVAL, OM_ENOMEM, OM_ECRYPTO, OM_ETRE_HW.
 */
OM_NODISCARD int om_tre_key_release(EVP_PKEY **key);

/*
 * The TRE's attestation key (docs/tre.md "Attestation"), made on the TPM of
 * be at personalisation: a restricted ECDSA P-256 signing key under the
 * SRK (fixedTPM, fixedParent, sensitiveDataOrigin), which signs only what
 * the TPM generated, so it cannot sign a CSR: the factory's CA certifies
 * *ak_pub (its public half) from the factory's own line (docs/decisions.md).
 * *blob is the TPM's public and private areas (the private one encrypted
 * under the TPM's storage seed), what om_tre_personalisation.ak_blob
 * takes; free it with free(). Another backend: OM_ETRE_BACKEND.
 * 0, OM_EINVAL, OM_ETRE_HW, OM_ENOMEM, OM_ECRYPTO.
 */
OM_NODISCARD int om_tre_ak_create(const struct om_tre_backend *be, EVP_PKEY **ak_pub, uint8_t **blob,
				  size_t *blob_len);

/*
 * The value PCR 15 holds once a TRE of this program has opened on a TPM
 * just reset: SHA-256(32 zero bytes | SHA-256(the executable)), what a
 * manufacturer registers with pva-admin add-pcr for the model and firmware
 * this program is (docs/tre.md "Attestation"). 0 or OM_EIO.
 */
OM_NODISCARD int om_tre_reference_pcr(uint8_t pcr[static 32]);

struct om_tre_personalisation {
	const char *tre_id;            /* e.g. "TRE-00000001" */
	const char *tre_type;          /* e.g. "openmcim-swtre-1" */
	const char *firmware_version;  /* e.g. "1.0.0" */
	EVP_PKEY *sign_key;            /* PrK_TRE for signatures */
	EVP_PKEY *enc_key;             /* PrK_TRE for decryption */
	const uint8_t *sign_cert; size_t sign_cert_len;   /* DER */
	const uint8_t *enc_cert; size_t enc_cert_len;     /* DER */
	const uint8_t *trust_root; size_t trust_root_len; /* DER, Cert_SHO[0] (the RO) */
	const char *ro_id;                                /* the RO's stakeholder id */
	const struct om_mcim *pcid;    /* PCID credential (IMSI-format PCID, K, OPc, APN) */
	const struct om_measurement *measurements; size_t n_measurements;
	const struct om_tre_backend *backend; /* NULL: the software backend */
	/* TPM only, optional: the AK of om_tre_ak_create and its certificate
	 * (DER, TRE_ATTESTATION); kept sealed in attest.ak. With it the TRE
	 * quotes PCR 15 over nonceA | nonceB in every M2MMobj and reports what
	 * it measured there, not measurements above. */
	const uint8_t *ak_blob; size_t ak_blob_len;
	const uint8_t *ak_cert; size_t ak_cert_len;
};

/*
 * Write a new TRE into dir (created 0700 if missing; an existing one must
 * be ours and closed to others' writes, as om_tre_open() checks, and must
 * not already hold a TRE): a fresh device sealing key, the sealed identity record and
 * the PCID as the first MID, active and owned by ro_id. Cheap checks only,
 * nothing a factory has already proven is redone: the certificates must
 * parse, their CN must be tre_id, each key must be its certificate's; the
 * trust root must fit SHO_SIGNING (or ROOT_CA) and be valid now, with CN
 * ro_id; the PCID must encode. Three files; no fsync with OM_TRE_NO_FSYNC.
 * Returns 0, OM_EINVAL, OM_ETRE_EXISTS, OM_ETRE_DIR_OWNER, OM_ETRE_DIR_WRITABLE,
 * OM_ETRE_IDENTITY, OM_ETRE_TRUST_ROOT, OM_EPKI_MALFORMED, OM_EPKI_PURPOSE, OM_EPKI_EXPIRED, OM_EPKI_NOT_YET_VALID,
 * the om_mcim_encode() codes, OM_ERANDOM, OM_ECRYPTO or OM_EIO. On failure
 * the files it wrote are removed.
 */
OM_NODISCARD int om_tre_personalise(const char *dir, const struct om_tre_personalisation *p,
				    unsigned flags);

/* ---- open / close ------------------------------------------------------------ */

struct om_tre;

/*
 * Open the TRE in dir on the software backend (flags: OM_TRE_NO_FSYNC or
 * 0; a TPM or PKCS#11 TRE: om_tre_open_backend). Secure boot: dir
 * must be the device's alone to change (owned by the effective uid:
 * OM_ETRE_DIR_OWNER; not writable by group or others:
 * OM_ETRE_DIR_WRITABLE), every file in it owned by the effective uid
 * (OM_ETRE_FILE_OWNER), the sealing key file 0600 (or stricter), and the
 * identity record must unseal and parse, or the TRE does not open and
 * nothing is written; then every MID file is checked and a MID whose file
 * fails is put in OM_TRE_MID_BLOCKED (persisted) and counted in
 * om_tre_status().n_blocked, never used. If the active MID is blocked, the
 * next usable MID becomes active at once (persisted; status left_blocked):
 * with an activation pending the previous MID (as om_tre_tick at the
 * deadline), otherwise the newest inactive MCIM, the PCID last; with none
 * usable the status says active_blocked.
 * Returns 0, OM_EINVAL, OM_ETRE_NOT_FOUND, OM_ETRE_DIR_OWNER,
 * OM_ETRE_DIR_WRITABLE, OM_ETRE_FILE_OWNER, OM_ETRE_PERM, OM_ETRE_SEAL,
 * OM_ETRE_STATE, OM_ETRE_STATE_VERSION, OM_ENOMEM, OM_ECRYPTO or OM_EIO.
 */
OM_NODISCARD int om_tre_open(struct om_tre **out, const char *dir, unsigned flags);

/*
 * om_tre_open on the backend the device's configuration names (be; NULL:
 * software, as om_tre_open). The TCTI, module, token and PIN come from be
 * only. A directory personalised for another backend is OM_ETRE_BACKEND
 * (a TPM directory is never opened on the software backend, whichever
 * files are missing); a PKCS#11 directory of another token label too. With
 * the TPM: OM_ETRE_NV when the NV counter index is not the one personalised
 * (its attributes, or its name as the sealed manifest recorded it),
 * OM_ETRE_SEAL when the storage root key or the sealed key object is not
 * this TPM's, OM_ETRE_ROLLBACK for an older copy, OM_ETRE_HW when the TPM
 * does not answer. Other codes as om_tre_open.
 */
OM_NODISCARD int om_tre_open_backend(struct om_tre **out, const char *dir, const struct om_tre_backend *be,
				     unsigned flags);

/* Cleanse every secret held in memory and free the handle; NULL is allowed. */
void om_tre_close(struct om_tre *tre);

/* ---- status and discovery ------------------------------------------------------ */

enum om_tre_mid_state {
	OM_TRE_MID_INSTALLED = 1, /* stored, never active yet */
	OM_TRE_MID_ACTIVE = 2,    /* answers AKA */
	OM_TRE_MID_INACTIVE = 3,  /* kept (the PCID after the first MCIM, or a fallen-back MCIM) */
	OM_TRE_MID_BLOCKED = 4,   /* failed the integrity check: never used again */
	OM_TRE_MID_ERASED = 5,    /* securely erased: reported once, then gone from the registry */
};

/* "INSTALLED", "ACTIVE", ...; "?" for an unknown value. */
const char *om_tre_mid_state_name(int state);

/* What anyone may learn about one MID: no K, no OPc, no SQN. */
struct om_tre_mid_info {
	uint8_t mid[OM_MCIM_MID_LEN];
	char imsi[OM_MCIM_IMSI_MAX + 1];  /* the PCID for the factory MID */
	uint8_t mnc_len;
	char apn[OM_MCIM_APN_MAX + 1];
	char owner[OM_TRE_STAKEHOLDER_MAX + 1]; /* RO_id for the PCID, SHO_id for an MCIM */
	int state;                        /* enum om_tre_mid_state */
	int is_pcid;                      /* 1 for the factory PCID credential */
	int pending;                      /* 1 for an activated, not yet confirmed MCIM */
	time_t fallback_deadline;         /* when pending: the Note Y deadline */
};

struct om_tre_status {
	char tre_id[OM_TRE_ID_MAX + 1];
	char trust_root_cn[OM_TRE_STAKEHOLDER_MAX + 1]; /* current Cert_SHO[i] */
	uint32_t bootstrap_sequence;  /* last accepted, 0 = never bootstrapped */
	size_t n_mids;
	size_t n_blocked;             /* MIDs blocked by the integrity check */
	int active_blocked;           /* 1 if the active MID is blocked and no other MID is usable:
					 the device cannot attach */
	int left_blocked;             /* 1 if this om_tre_open found the active MID blocked and made
					 the next usable one active (om_tre_open) */
	uint8_t blocked_mid[OM_MCIM_MID_LEN]; /* that blocked MID, when left_blocked */
	int session;                  /* 1 while a bootstrap's DM credentials are held */
	int activation_pending;       /* 1 while a new MCIM awaits confirmation */
	time_t fallback_deadline;
	int session_fell_back;        /* 1 when the session is held after a fallback (om_tre_tick):
					 only for the outcome report, then om_tre_abort_session */
	uint64_t counter;             /* the state counter (docs/tre.md "State counter") */
	int keys_in_tpm;              /* 1 when both PrK_TRE are the TPM's (om_tre_key_generate) */
	int keys_in_token;            /* 1 when both PrK_TRE are the PKCS#11 token's (om_tre_key_generate) */
};

/* Fill *st. Returns 0 or OM_EINVAL. */
OM_NODISCARD int om_tre_status(const struct om_tre *tre, struct om_tre_status *st);

/* TRE_id, type, firmware version and measurements (what M2MMobj carries). */
OM_NODISCARD int om_tre_get_info(const struct om_tre *tre, struct om_tre_info *info);

/*
 * The ACL of discovery: the MIDs that stakeholder (an RO_id or SHO_id, the
 * CN of its certificate) owns, at most cap of them into out. Another
 * stakeholder's MIDs are not even counted. Returns the number of MIDs the
 * stakeholder owns (may exceed cap: only cap are written) or OM_EINVAL.
 */
OM_NODISCARD int om_tre_mid_list(const struct om_tre *tre, const char *stakeholder,
				 struct om_tre_mid_info *out, size_t cap);

/*
 * The identity the device agent attaches with: the active MID's IMSI (or
 * PCID) and APN. Returns 0, OM_ETRE_NO_ACTIVE or OM_ETRE_BLOCKED.
 */
OM_NODISCARD int om_tre_active(const struct om_tre *tre, struct om_tre_mid_info *out);

/* ---- AKA (TS 33.102 6.3.3, TS 33.401 6.1.1) -------------------------------- */

/*
 * Answer an E-UTRAN challenge with the active MID. First the ME's check of
 * TS 33.401 6.1.1: AMF separation bit must be 1, else OM_EAUTH_AMF (a MAC
 * failure class: state untouched). Then om_usim_authenticate(); on success
 * the new SQN state is written durably before RES, CK and IK are released.
 * Returns 0 (out holds RES, CK, IK), OM_EAUTH_MAC, OM_EAUTH_SYNC (out holds
 * only AUTS), OM_EAUTH_AMF, OM_ETRE_NO_ACTIVE, OM_ETRE_BLOCKED, OM_EIO,
 * OM_ECRYPTO. out is zeroed first. The first success of a MID whose
 * activation is pending is also written to the state record (the evidence
 * om_tre_confirm needs). The caller clears it with
 * om_usim_out_clear().
 */
OM_NODISCARD int om_tre_aka(struct om_tre *tre, const uint8_t rand[static OM_RAND_LEN],
			    const uint8_t autn[static OM_AUTN_LEN], struct om_usim_out *out);

/* ---- remote provisioning (B.2.3.3, B.2.3.4) -------------------------------- */

/*
 * Require from now on that every bootstrap carries the status of its
 * signer's certificate Cert_SHO[i] (spec/000 5.2.2.3.2 step 7): an OCSP
 * response by Cert_SHO[i]'s issuer or its delegated responder, good, and
 * at most max_age seconds old (om_cert_status_check). The device's own
 * configuration sets it (memory only, at each open), never a bootstrap, so
 * a holder of a stolen SHO key cannot drop the rule by leaving the status
 * out. A status that a bootstrap carries is checked even when not
 * required. Returns 0 or OM_EINVAL.
 */
OM_NODISCARD int om_tre_require_signer_status(struct om_tre *tre, long max_age);

/*
 * Accept a bootstrap from SHO[i] (B.2.3.3). In order: XML-DSig with the
 * current trust root's key (om_bootstrap_verify); the stapled status of
 * Cert_SHO[i] if present or required (om_tre_require_signer_status);
 * Cert_SHO[i+1] must fit
 * SHO_SIGNING (or ROOT_CA) and be valid at now; the credentials object must
 * open with PrK_TRE (tag DM_CREDENTIALS); nonceA never seen before; sequence
 * above the last accepted. Only when every check passes: Cert_SHO[i+1]
 * becomes the trust root (Cert_SHO[i] kept for fallback), sequence and
 * nonceA are recorded, and the DM credentials and nonceA are held for the
 * provisioning session. Any failure leaves the TRE's files byte-identical.
 * Returns 0, OM_EINVAL, the codes of om_bootstrap_verify(),
 * om_protect_open() and om_dm_creds_decode(), OM_EPKI_* (profile,
 * validity), OM_EPKI_STATUS_* (om_cert_status_check(), or MISSING when
 * required and absent), OM_ETRE_REPLAY, OM_ETRE_SEQUENCE, OM_ETRE_PENDING (an
 * activation awaits confirmation), OM_EIO.
 */
OM_NODISCARD int om_tre_bootstrap(struct om_tre *tre, const uint8_t *xml, size_t len, time_t now);

/*
 * The DM server id and username of the session, for the agent's SyncHdr
 * (not secret). Returns 0 or OM_ETRE_NO_SESSION.
 */
OM_NODISCARD int om_tre_dm_identity(const struct om_tre *tre,
				    char username[static OM_BOOTSTRAP_NAME_MAX + 1],
				    char server_id[static OM_BOOTSTRAP_NAME_MAX + 1]);

/*
 * Where the session's DM client connects: the bootstrap's PROVURL (the DPF,
 * APPLICATION/ADDR) and the APN it names (NAPDEF/NAP-ADDRESS), both kept in
 * the sealed state so the DM session and the outcome report survive a
 * restart (not secret). A session read from a state record of version 1 or
 * 2 has both empty. Returns 0 or OM_ETRE_NO_SESSION.
 */
OM_NODISCARD int om_tre_dm_endpoint(const struct om_tre *tre, char url[static OM_BOOTSTRAP_URL_MAX + 1],
				    char apn[static OM_BOOTSTRAP_APN_MAX + 1]);

/*
 * Whom the session's DM client may talk to (B.2.3.3: Cert_SHO[i+1] comes in
 * the bootstrap "for the OMA DM client to authenticate the DPF server"):
 * the DER of the trust root the bootstrap installed, into out (at most cap
 * bytes). Only while that root is in force: a session that fell back has
 * gone back to Cert_SHO[i] and gets OM_ETRE_NO_SESSION. Not secret.
 * Returns the length, OM_EINVAL, OM_ETRE_NO_SESSION or OM_ELENGTH.
 */
#define OM_TRE_ANCHOR_MAX 4096 /* a Cert_SHO[i+1] as the bootstrap carries it, at most */
OM_NODISCARD int om_tre_dm_server_anchor(const struct om_tre *tre, uint8_t *out, size_t cap);

/*
 * The DER of the trust root in force, Cert_SHO[i] (the factory's Cert_SHO[0]
 * until a bootstrap installs another), into out (at most cap bytes). Not
 * the activation server's trust: the agent pins the AAS by the factory's
 * aas_pin, never by this root (docs/agent.md "Application activation").
 * Not secret.
 * Returns the length, OM_EINVAL or OM_ELENGTH.
 */
OM_NODISCARD int om_tre_trust_root(const struct om_tre *tre, uint8_t *out, size_t cap);

/*
 * The activation request (aas_request.h, docs/formats.md "Activation
 * request"): TRE_id, the application activation server's nonce and Cert_TRE,
 * signed with PrK_TRE, into out (cap bytes; OM_AAS_REQUEST_MAX is enough).
 * Needs no session and writes no file. Returns the length, OM_EINVAL, or the
 * codes of om_aas_request_build() and of the key's backend.
 */
#define OM_TRE_AAS_NONCE_LEN 16 /* OM_AAS_NONCE_LEN */
OM_NODISCARD int om_tre_aas_request(const struct om_tre *tre, const uint8_t nonce[static OM_TRE_AAS_NONCE_LEN],
				    uint8_t *out, size_t cap);

/*
 * The OMA DM MD5 digest credential, computed inside the TRE so the password
 * never leaves it (OMA DM Security 1.2, research/oma-dm-cp-and-peers.md 1.4):
 *   B64(MD5(B64(MD5(username ":" password)) ":" nonce))
 * nonce is the raw (b64-decoded) NextNonce. out gets a NUL-terminated
 * base64 string (24 characters). Returns 0, OM_EINVAL, OM_ETRE_NO_SESSION.
 */
#define OM_TRE_DM_DIGEST_B64_LEN 24
OM_NODISCARD int om_tre_dm_digest(const struct om_tre *tre, const uint8_t *nonce, size_t nonce_len,
				  char out[static OM_TRE_DM_DIGEST_B64_LEN + 1]);

/*
 * Build M2MMobj (B.2.3.4 step 5): TRE info with type and measurements, the
 * session's nonceA, a fresh nonceB (remembered in memory as pending,
 * replacing any earlier one), signed with the TRE signing key.
 * Returns its length, OM_ETRE_NO_SESSION (also for a session kept after a
 * fallback), OM_ERANDOM or the codes of
 * om_m2mmobj_build(). Writes no file.
 */
OM_NODISCARD int om_tre_m2mmobj(struct om_tre *tre, uint8_t *out, size_t cap);

/*
 * Install an MCIM from M2MMCIMMobj (B.2.3.4 steps 7-V): signature with the
 * current trust root's key (SHO[i+1]), nonceB equal to the pending one (then
 * consumed, even if a later step fails), the object opens with PrK_TRE (tag
 * MCIM) and decodes; its MID (the MCIM's own, else a random one) is new.
 * Stored as a new MID, OM_TRE_MID_INSTALLED, owned by the trust root's CN.
 * Any failure leaves the TRE's files byte-identical. mid_out (may be NULL)
 * gets the MID. now is kept to check the MCIM's not_after.
 * Returns 0, OM_EINVAL, OM_ETRE_NO_SESSION, OM_ETRE_NONCE, OM_ETRE_FULL,
 * OM_ETRE_EXISTS, OM_ETRE_MID_STATE (MCIM already expired), and the codes of
 * om_m2mmcimmobj_verify(), om_protect_open(), om_mcim_decode(), OM_EIO.
 */
OM_NODISCARD int om_tre_install_mcim(struct om_tre *tre, const uint8_t *obj, size_t len, time_t now,
				     uint8_t mid_out[OM_MCIM_MID_LEN]);

/*
 * The outcome statement (outcome.h, docs/formats.md "Outcome statement"),
 * signed with PrK_TRE inside the TRE: the new SHO's DPF and the previous
 * SHO's DRF believe only this about whether the device moved. The TRE signs
 * only what its own state says:
 *   OM_OUTCOME_ACTIVE    the session's MCIM is the active MID, its
 *                        activation pending and the deadline not passed (the
 *                        agent reports before om_tre_confirm, B.2.3.5)
 *   OM_OUTCOME_FALLBACK  om_tre_tick fell back during this session
 * with the session's nonceB and IMSI (of om_tre_install_mcim), the
 * bootstrap sequence, the state counter and now. Writes no file. Returns
 * the length, OM_EINVAL, OM_ETRE_NO_SESSION (no session, or no MCIM
 * installed in it), OM_ETRE_OUTCOME (the state says otherwise), or the
 * codes of om_outcome_build().
 */
OM_NODISCARD int om_tre_outcome(const struct om_tre *tre, int outcome, time_t now, uint8_t *out, size_t cap);

/*
 * Make the MCIM this bootstrap session installed (om_tre_install_mcim, from
 * a verified M2MMCIMMobj for its nonceB) the active MID (B.2.3.4 step VIII),
 * keeping the previous one ready: unless om_tre_confirm() is called before
 * now + timeout seconds (the MCIM's REVERT_AFTER when timeout is 0), the
 * next om_tre_tick() at or after the deadline makes the previous MID active
 * again (Note Y). Gated (docs/tre.md "Privileged and gated calls"): no
 * session, none that installed an MCIM, one that fell back, or a MID that is
 * not its MCIM is OM_ETRE_NOT_INSTALLED, with nothing written. Returns 0,
 * OM_ETRE_NOT_INSTALLED, OM_ETRE_NOT_FOUND, OM_ETRE_BLOCKED,
 * OM_ETRE_MID_STATE (not INSTALLED), OM_ETRE_PENDING (another activation
 * pending), OM_EIO.
 */
#define OM_TRE_FALLBACK_DEFAULT 600 /* seconds when neither timeout nor REVERT_AFTER says */
OM_NODISCARD int om_tre_activate(struct om_tre *tre, const uint8_t mid[static OM_MCIM_MID_LEN],
				 time_t now, uint32_t timeout);

/*
 * The attach with the new MCIM succeeded before the deadline: the
 * activation is final. Gated: the pending MID must have answered a challenge
 * whose AUTN verified (om_tre_aka records it durably), else
 * OM_ETRE_NOT_AUTHENTICATED with nothing written. The superseded MID is securely erased (overwrite,
 * fsync, unlink), except the PCID, which stays inactive so the device can
 * always fall back to the RO. The previous trust root and the bootstrap
 * session are dropped. Returns 0, OM_ETRE_PENDING (nothing pending),
 * OM_ETRE_MID_STATE (deadline already passed: call om_tre_tick),
 * OM_ETRE_NOT_AUTHENTICATED, OM_EIO.
 */
OM_NODISCARD int om_tre_confirm(struct om_tre *tre, time_t now);

/*
 * Let time pass: if an activation is pending and now >= its deadline, fall
 * back (Note Y): the previous MID is active again, the new one inactive, the
 * previous trust root restored. The bootstrap session, if held, stays but is
 * marked (om_tre_status().session_fell_back): its DM credentials only serve
 * the agent's `fallback` outcome report to the new SHO's DPF, after which
 * the agent calls om_tre_abort_session(). Returns 1 if it fell back, 0 if
 * nothing was due, or OM_EIO.
 */
OM_NODISCARD int om_tre_tick(struct om_tre *tre, time_t now);

/*
 * Give up a provisioning session before any activation (DPF unreachable,
 * MCIM refused): drop the session and the pending nonceB and restore the
 * previous trust root, so SHO[i] can bootstrap again with a higher sequence.
 * Returns 0, OM_ETRE_NO_SESSION, OM_ETRE_PENDING (an activation is pending:
 * use the deadline), OM_EIO.
 */
OM_NODISCARD int om_tre_abort_session(struct om_tre *tre);
