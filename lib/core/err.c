/* SPDX-License-Identifier: Apache-2.0 */
/* Names and messages for the om_err codes. */
#include <stddef.h>
#include <string.h>

#include <openmcim/err.h>

struct err_row {
	int code;
	const char *name;
	const char *msg;
};

#define ROW(c, m) { c, #c, m }

static const struct err_row rows[] = {
	ROW(OM_OK, "success"),
	/* core */
	ROW(OM_EINVAL, "invalid argument"),
	ROW(OM_ENOMEM, "out of memory"),
	ROW(OM_ECRYPTO, "crypto library failure"),
	ROW(OM_ERANDOM, "random number generator failure"),
	ROW(OM_EHEX, "malformed hexadecimal"),
	ROW(OM_ELENGTH, "wrong length"),
	ROW(OM_ENOSPC, "output buffer too small"),
	ROW(OM_EIO, "I/O error"),
	ROW(OM_EUNSUPPORTED, "algorithm or suite not supported"),
	ROW(OM_ETIMEOUT, "no answer within the deadline"),
	ROW(OM_EPERM, "permission denied"),
	ROW(OM_EPROTO, "answer does not follow the protocol"),
	ROW(OM_EFILE_MODE, "file holding a secret is open to group or others"),
	ROW(OM_EFILE_OWNER, "file holding a secret is owned by another user"),
	ROW(OM_EUNAVAILABLE, "another function of the operator did not answer in time"),
	ROW(OM_EBASE64, "not canonical base64"),
	/* core: add new rows here */
	/* auth */
	ROW(OM_EAUTH_MAC, "MAC-A in AUTN does not verify (MAC failure)"),
	ROW(OM_EAUTH_SYNC, "SQN not acceptable (synchronisation failure)"),
	ROW(OM_EAUTH_MACS, "MAC-S in AUTS does not verify"),
	ROW(OM_EAUTH_AMF, "AMF separation bit not set for E-UTRAN"),
	ROW(OM_EAUTH_INDBITS, "IND bit length out of range"),
	ROW(OM_EAUTH_SQN_RANGE, "SQN out of range"),
	ROW(OM_EAUTH_STATE, "USIM SQN state is malformed"),
	ROW(OM_EAUTH_STATE_VERSION, "USIM SQN state has an unknown version"),
	ROW(OM_EAUTH_PLMN, "MCC or MNC malformed"),
	ROW(OM_EAUTH_AMF_UTRAN, "AMF separation bit set on a UTRAN vector"),
	ROW(OM_EAUTH_RESYNC_BEHIND, "SQN_MS is more than delta behind the HE: no unissued SQN would be accepted"),
	ROW(OM_EAUTH_SYNTH_RANGE, "synthetic credential range malformed"),
	ROW(OM_EAUTH_SYNTH_KU, "Ku malformed: 26 base32 characters as on the label"),
	/* auth: add new rows here */
	ROW(OM_EPROTECT_HEADER, "protected object: bad magic, format version or header field"),
	ROW(OM_EPROTECT_SUITE, "protected object: unknown key-wrap or protection suite"),
	ROW(OM_EPROTECT_KEYTYPE, "protected object: key wrap does not fit the private key"),
	ROW(OM_EPROTECT_TRUNCATED, "protected object truncated"),
	ROW(OM_EPROTECT_TRAILING, "protected object has trailing bytes"),
	ROW(OM_EPROTECT_UNWRAP, "PIK|PCK do not unwrap (wrong private key or altered wrapped key)"),
	ROW(OM_EPROTECT_MAC, "MAC over the encrypted data does not verify"),
	ROW(OM_EPROTECT_VERSION, "protected data has an unknown version"),
	ROW(OM_EPROTECT_TAG, "protected data has an unexpected tag"),
	ROW(OM_EPROTECT_PADDING, "protected data has bad padding"),
	ROW(OM_EPROTECT_PAYLOAD_LEN, "protected data payload_length is inconsistent"),
	ROW(OM_EMCIM_MISSING, "MCIM: mandatory field missing"),
	ROW(OM_EMCIM_DUPLICATE, "MCIM: duplicate field"),
	ROW(OM_EMCIM_FIELD_LEN, "MCIM: field has the wrong length"),
	ROW(OM_EMCIM_IMSI, "MCIM: malformed IMSI"),
	ROW(OM_EMCIM_ALGORITHM, "MCIM: unknown or unsupported algorithm"),
	ROW(OM_EMCIM_TRUNCATED, "MCIM: TLV truncated inside a field"),
	ROW(OM_EMCIM_UNKNOWN_TAG, "MCIM: unknown must-understand tag"),
	ROW(OM_EMCIM_VALUE, "MCIM: field value out of range"),
	/* protect: add new rows here */
	ROW(OM_EPKI_KEY_TYPE, "key type or size not allowed for this use"),
	ROW(OM_EPKI_MALFORMED, "malformed certificate, CSR, key or PEM"),
	ROW(OM_EPKI_CSR_SIGNATURE, "CSR signature does not verify"),
	ROW(OM_EPKI_CSR_SUBJECT, "CSR subject is not the expected identity"),
	ROW(OM_EPKI_CSR_ENC_KEY, "CSR does not carry the TRE encryption key"),
	ROW(OM_EPKI_KEY_REUSE, "encryption key is the signing key"),
	ROW(OM_EPKI_NAME, "name not acceptable"),
	ROW(OM_EPKI_VALIDITY, "validity period empty or outside the issuer's"),
	ROW(OM_EPKI_UNTRUSTED, "certificate issuer not trusted"),
	ROW(OM_EPKI_BAD_SIGNATURE, "certificate signature does not verify"),
	ROW(OM_EPKI_EXPIRED, "certificate expired"),
	ROW(OM_EPKI_NOT_YET_VALID, "certificate not yet valid"),
	ROW(OM_EPKI_PURPOSE, "certificate not issued for this purpose"),
	ROW(OM_EPKI_CA_MISUSE, "non-CA certificate used as an issuer"),
	ROW(OM_EPKI_CHAIN, "certificate chain does not verify"),
	ROW(OM_EPKI_SIGNATURE, "signature does not verify"),
	ROW(OM_EPKI_KEY_MISMATCH, "private key does not match the certificate"),
	ROW(OM_EPKI_NOT_CA, "not a CA certificate"),
	ROW(OM_EPKI_NO_CLAIM, "certificate carries no owner claim verifier"),
	ROW(OM_EPKI_CLAIM, "owner claim secret does not match the certificate"),
	ROW(OM_EPKI_STATUS_MISSING, "no certificate status (OCSP response) where one is required"),
	ROW(OM_EPKI_STATUS_MALFORMED, "certificate status is not a successful basic OCSP response"),
	ROW(OM_EPKI_STATUS_SIGNER, "certificate status not signed by the issuer or its delegated responder"),
	ROW(OM_EPKI_STATUS_UNKNOWN, "certificate status names another certificate, or says unknown"),
	ROW(OM_EPKI_STATUS_REVOKED, "certificate revoked"),
	ROW(OM_EPKI_STATUS_STALE, "certificate status too old, past its nextUpdate, or from the future"),
	/* pki: add new rows here */
	/* nas */
	ROW(OM_ENAS_TRUNCATED, "NAS message truncated"),
	ROW(OM_ENAS_PD, "NAS protocol discriminator not EPS mobility/session management"),
	ROW(OM_ENAS_SECURITY, "NAS security header type not expected here"),
	ROW(OM_ENAS_MSG_TYPE, "NAS message type unknown or not implemented"),
	ROW(OM_ENAS_DIRECTION, "NAS message not valid in this direction"),
	ROW(OM_ENAS_IE_LENGTH, "NAS information element has a bad length"),
	ROW(OM_ENAS_IDENTITY, "bad EPS mobile identity"),
	ROW(OM_ENAS_MISSING_IE, "mandatory or conditional NAS information element missing"),
	ROW(OM_ENAS_COMPREHENSION, "unknown comprehension-required NAS information element"),
	ROW(OM_ENAS_TRAILING, "trailing octets are not whole NAS information elements"),
	ROW(OM_ENAS_APN, "malformed access point name"),
	ROW(OM_ENAS_ESM, "unexpected ESM message in the ESM container"),
	ROW(OM_ENAS_VALUE, "reserved or unsupported value in a NAS field"),
	ROW(OM_ENAS_CONDITIONAL, "NAS conditional information element not allowed here"),
	ROW(OM_ENAS_MAC, "NAS message authentication code does not verify"),
	ROW(OM_ENAS_REPLAY, "NAS COUNT not above the last accepted: replayed message"),
	ROW(OM_ENAS_SMC, "Security Mode Command refused: integrity EIA0, replayed capabilities or KSI"),
	ROW(OM_ENAS_UNPROTECTED, "plain NAS message after NAS security was activated"),
	/* nas: add new rows here */
	ROW(OM_EFACTORY_PCID_RANGE, "PCID range overflows the MSIN digits"),
	ROW(OM_EFACTORY_SERIAL_RANGE, "TRE serial range overflows its digits"),
	ROW(OM_EFACTORY_OUT_NOT_EMPTY, "output directory exists and is not empty"),
	ROW(OM_EFACTORY_NAME, "model, firmware, prefix, APN or operator id not acceptable"),
	ROW(OM_EFACTORY_PCID, "malformed MCC, MNC or first MSIN"),
	ROW(OM_EFACTORY_RO_CERT, "RO certificate is not SHO_SIGNING or ROOT_CA, or its CN is not the RO id"),
	/* factory: add new rows here */
	/* objects */
	ROW(OM_EOBJ_XML, "bootstrap is not well-formed UTF-8 XML"),
	ROW(OM_EOBJ_DTD, "bootstrap carries a DOCTYPE, entity, comment or CDATA"),
	ROW(OM_EOBJ_TOO_LONG, "document, value or field too long"),
	ROW(OM_EOBJ_STRUCTURE, "unexpected element, attribute, text or order in the object"),
	ROW(OM_EOBJ_MISSING, "required characteristic or parm missing"),
	ROW(OM_EOBJ_DUPLICATE, "characteristic or parm present twice"),
	ROW(OM_EOBJ_VALUE, "parm value malformed or inconsistent"),
	ROW(OM_EOBJ_BASE64, "malformed base64"),
	ROW(OM_EOBJ_SIG_PLACEMENT, "not one enveloping Signature as the root, with one Object as its last child and the only Id"),
	ROW(OM_EOBJ_SIG_REFERENCE, "not exactly one signature Reference, with URI=\"#cp\" naming the Object"),
	ROW(OM_EOBJ_SIG_TRANSFORM, "signature transforms other than exc-c14n alone"),
	ROW(OM_EOBJ_SIG_ALGORITHM, "signature algorithm not allowed or not the trust root's key type"),
	ROW(OM_EOBJ_SIGNATURE, "signature does not verify with the trusted key"),
	ROW(OM_EOBJ_DIGEST, "signed content altered after signing"),
	ROW(OM_EOBJ_MAGIC, "object does not start with the openmcim magic"),
	ROW(OM_EOBJ_VERSION, "object format version unknown"),
	ROW(OM_EOBJ_TYPE, "object type is not the one expected"),
	ROW(OM_EOBJ_TRUNCATED, "object truncated"),
	ROW(OM_EOBJ_TRAILING, "bytes after the object's signature"),
	ROW(OM_EOBJ_FIELD, "object field has a bad length or characters"),
	ROW(OM_EOBJ_COUNT, "too many measurements"),
	ROW(OM_EOBJ_CREDS, "DM credentials payload malformed"),
	/* objects: add new rows here */
	/* tre */
	ROW(OM_ETRE_STATE, "sealed TRE record malformed"),
	ROW(OM_ETRE_STATE_VERSION, "sealed TRE record has an unknown version"),
	ROW(OM_ETRE_SEAL, "sealed file does not open (altered, swapped or another device's)"),
	ROW(OM_ETRE_NOT_FOUND, "no such TRE, file or MID"),
	ROW(OM_ETRE_EXISTS, "TRE already personalised, or MID already installed"),
	ROW(OM_ETRE_BLOCKED, "MID blocked after a failed integrity check"),
	ROW(OM_ETRE_NO_ACTIVE, "no active MID"),
	ROW(OM_ETRE_MID_STATE, "not allowed in the MID's lifecycle state"),
	ROW(OM_ETRE_ACL, "stakeholder does not own this MID"),
	ROW(OM_ETRE_REPLAY, "nonceA already seen (replayed bootstrap)"),
	ROW(OM_ETRE_SEQUENCE, "bootstrap sequence number not above the last accepted"),
	ROW(OM_ETRE_NONCE, "nonceB is not the pending one"),
	ROW(OM_ETRE_NO_SESSION, "no bootstrap accepted yet (no DM credentials or nonceA)"),
	ROW(OM_ETRE_FULL, "MID registry full"),
	ROW(OM_ETRE_PENDING, "activation pending, or none pending"),
	ROW(OM_ETRE_IDENTITY, "personalisation inconsistent (key/certificate mismatch, CN not TRE_id)"),
	ROW(OM_ETRE_PERM, "sealing key file accessible to others"),
	ROW(OM_ETRE_TRUST_ROOT, "trust root certificate of the wrong profile or CN"),
	ROW(OM_ETRE_OUTCOME, "outcome statement does not match the TRE's state"),
	ROW(OM_ETRE_DIR_WRITABLE, "TRE directory writable by group or others"),
	ROW(OM_ETRE_DIR_OWNER, "TRE directory owned by another user"),
	ROW(OM_ETRE_FILE_OWNER, "file in the TRE directory owned by another user"),
	ROW(OM_ETRE_NOT_INSTALLED, "MID is not the MCIM this provisioning session installed"),
	ROW(OM_ETRE_NOT_AUTHENTICATED, "new MID has not yet answered a network challenge"),
	ROW(OM_ETRE_ROLLBACK, "TRE state older than the hardware anti-rollback counter (rolled back)"),
	ROW(OM_ETRE_HW, "TRE secure hardware (TPM, PKCS#11 token) unreachable or refused"),
	ROW(OM_ETRE_BACKEND, "TRE directory personalised for another backend or token than the configured one"),
	ROW(OM_ETRE_NV, "TPM NV counter index not the one personalised (attributes or name)"),
	ROW(OM_ETRE_KEY_ATTRS, "PKCS#11 sealing key not a single sensitive, never-extractable AES key in the token"),
	/* tre: add new rows here */
	/* vno */
	ROW(OM_ERADIO_LENGTH, "radio frame length is zero or too large"),
	ROW(OM_ERADIO_TYPE, "unknown radio frame type"),
	ROW(OM_ERADIO_PAYLOAD, "malformed LAB frame payload"),
	ROW(OM_ERADIO_CLOSED, "radio link closed by the peer"),
	ROW(OM_ERADIO_TIMEOUT, "no answer on the radio link in time"),
	ROW(OM_ERADIO_PROTOCOL, "unexpected message in this procedure state"),
	ROW(OM_ERADIO_ATTACH_REJECT, "attach rejected by the network"),
	ROW(OM_ERADIO_AUTH_REJECT, "authentication rejected by the network"),
	ROW(OM_ERADIO_AKA, "the device's AKA function failed"),
	ROW(OM_ERADIO_NOT_ATTACHED, "no device attached with that IMSI"),
	ROW(OM_ERADIO_BUSY, "radio link refused: max_devices connections already"),
	ROW(OM_ERADIO_SOURCE_LIMIT, "radio link refused: too many unauthenticated links from this address"),
	ROW(OM_ERADIO_FIRST_MESSAGE, "radio link closed: no message within the first-message deadline"),
	ROW(OM_ERADIO_IDLE, "radio link closed: idle"),
	ROW(OM_ERADIO_EVICTED, "unauthenticated radio link closed to admit a newer one"),
	/* vno: add new rows here */
	ROW(OM_ESTORE, "storage backend failed"),
	ROW(OM_ESTORE_BUSY, "database locked past the busy timeout"),
	ROW(OM_ESTORE_SCHEMA, "database schema newer than this program, or migration failed"),
	ROW(OM_ESTORE_CONSTRAINT, "write refused by a database constraint"),
	ROW(OM_ESTORE_PRAGMA, "storage setting did not take effect"),
	ROW(OM_ESTORE_CONN, "database server unreachable or connection lost"),
	ROW(OM_EHSS_IMSI, "malformed IMSI"),
	ROW(OM_EHSS_EXISTS, "subscriber already exists"),
	ROW(OM_EHSS_NOT_FOUND, "no such subscriber"),
	ROW(OM_EHSS_PROFILE, "malformed APN, AMBR, roaming list, status or ind_bits"),
	ROW(OM_EHSS_IMPORT, "PCID import file malformed"),
	ROW(OM_EHSS_KEY, "malformed K, OP, OPc or AMF"),
	ROW(OM_EHSS_COMMAND, "provisioning command unknown or malformed"),
	/* store/hss: add new rows here */
	/* pva */
	ROW(OM_EPVA_IMPORT, "PVA import file malformed"),
	ROW(OM_EPVA_CERT, "TRE certificate not issued by the PVA CA, or wrong profile or CN"),
	ROW(OM_EPVA_EXISTS, "TRE or certificate already imported"),
	ROW(OM_EPVA_NOT_FOUND, "no such TRE"),
	ROW(OM_EPVA_REVOKED, "TRE certificate revoked"),
	ROW(OM_EPVA_FIRMWARE, "no reference values for this model and firmware"),
	ROW(OM_EPVA_MEASUREMENT, "measurement missing or different from the reference"),
	ROW(OM_EPVA_COMMAND, "PVA admin command unknown or malformed"),
	ROW(OM_EPVA_REFERENCE, "reference value conflicts with the stored one"),
	ROW(OM_EPVA_QUOTE, "TPM quote malformed or of another scheme or bank"),
	ROW(OM_EPVA_QUOTE_SIGNATURE, "TPM quote not signed by the device's attestation key"),
	ROW(OM_EPVA_QUOTE_NONCE, "TPM quote over another nonce"),
	ROW(OM_EPVA_QUOTE_DIGEST, "PCR values differ from those the TPM quoted"),
	ROW(OM_EPVA_QUOTE_PCR, "quoted PCR differs from the reference value"),
	/* pva: add new rows here */
	/* sho */
	ROW(OM_ESHO_OWNER_AUTH, "owner unknown or wrong secret"),
	ROW(OM_ESHO_OWNER_EXISTS, "owner already exists"),
	ROW(OM_ESHO_NOTE, "delivery note or device row malformed"),
	ROW(OM_ESHO_DUPLICATE, "TRE_id already registered with other content, or given twice"),
	ROW(OM_ESHO_IMSI_RANGE, "IMSI range exhausted"),
	ROW(OM_ESHO_CERT, "Cert_TRE pair inconsistent"),
	ROW(OM_ESHO_REVOKED, "certificate revoked"),
	ROW(OM_ESHO_CERT_UNKNOWN, "certificate unknown to the PVA"),
	ROW(OM_ESHO_NOT_FOUND, "no such device"),
	ROW(OM_ESHO_STATE, "not allowed in the device's registration state"),
	ROW(OM_ESHO_HSS, "HSS provisioning refused or unreachable"),
	ROW(OM_ESHO_CONFIG, "SHO configuration missing or invalid"),
	ROW(OM_ESHO_REFUSED, "refused as a whole: a row was refused"),
	ROW(OM_EOCSP_TRANSPORT, "OCSP responder unreachable or HTTP error"),
	ROW(OM_EOCSP_RESPONSE, "OCSP response malformed or not successful"),
	ROW(OM_EOCSP_SIGNATURE, "OCSP response signature not trusted"),
	ROW(OM_EOCSP_NONCE, "OCSP response nonce missing or wrong"),
	ROW(OM_EOCSP_TIME, "OCSP response stale or from the future"),
	ROW(OM_EOCSP_MISSING, "OCSP response lacks a certificate's status"),
	ROW(OM_ESHO_PEER, "no peer configured for the current SHO"),
	ROW(OM_ESHO_PEER_TRANSPORT, "current SHO's DRF unreachable or silent"),
	ROW(OM_ESHO_PEER_ANSWER, "current SHO's DRF answer unreadable"),
	ROW(OM_ESHO_CLAIM, "no owner claim secret, or not the device's"),
	ROW(OM_ESHO_CLAIM_OLD, "owner claim not of a later owner than the registered one"),
	ROW(OM_ESHO_AUTH_LIMIT, "too many failed owner authentications: wait and retry"),
	ROW(OM_ESHO_BUSY, "owner secret checks busy: retry shortly"),
	ROW(OM_ESHO_COMMAND, "SHO internal command unknown or malformed"),
	ROW(OM_ESHO_SESSION, "no console session, or it expired"),
	ROW(OM_ESHO_CSRF, "change without the session's CSRF token"),
	ROW(OM_ESHO_REQUEST, "API request malformed"),
	ROW(OM_ESHO_DRF, "this operator's DRF could not issue a transfer code"),
	ROW(OM_ESHO_SYNTH_UNKNOWN, "no device has this TRE_id and Ku: check the label"),
	ROW(OM_ESHO_MOVE_LIMIT, "too many unfinished bulk moves for this owner"),
	/* sho: add new rows here */
	/* drf */
	ROW(OM_EDRF_OPERATOR, "sender is not a known operator"),
	ROW(OM_EDRF_DEVICE, "no such device"),
	ROW(OM_EDRF_NOT_OURS, "device no longer ours"),
	ROW(OM_EDRF_LOCKED, "device under contract lock"),
	ROW(OM_EDRF_CODE, "transfer code wrong"),
	ROW(OM_EDRF_CODE_USED, "transfer code already used"),
	ROW(OM_EDRF_CODE_EXPIRED, "transfer code expired"),
	ROW(OM_EDRF_STALE, "handover request stale or from the future"),
	ROW(OM_EDRF_REQUEST_ID, "request id reused for another device"),
	ROW(OM_EDRF_CERT, "certificate refused"),
	ROW(OM_EDRF_EXISTS, "device or operator already registered"),
	ROW(OM_EDRF_VALUE, "malformed DRF argument"),
	ROW(OM_EDRF_SEQUENCE, "bootstrap sequence exhausted"),
	ROW(OM_EDRF_STATE, "handover unknown or not in a state for this"),
	ROW(OM_EDRF_HSS, "HSS refused or unreachable"),
	ROW(OM_EDRF_CONFIG, "DRF configuration missing or invalid"),
	ROW(OM_EDRF_PEER, "TLS client certificate not the sender's"),
	ROW(OM_EDRF_OUTCOME, "completion without a valid TRE outcome statement"),
	ROW(OM_EDRF_OUTCOME_BINDING, "outcome statement of another TRE or handover"),
	ROW(OM_EDRF_OUTCOME_FALLBACK, "outcome statement says fallback"),
	ROW(OM_EDRF_COUNTER, "TRE state counter lower than already seen"),
	ROW(OM_EDRF_PEER_KEY, "TLS client certificate not on the key pinned for its operator"),
	ROW(OM_EDRF_COMMAND, "DRF admin command unknown or malformed"),
	ROW(OM_EDRF_OWNER, "the register names another owner for the device"),
	/* drf: add new rows here */
	ROW(OM_EDPF_MALFORMED, "not an M2MMobj"),
	ROW(OM_EDPF_UNKNOWN_TRE, "TRE not registered at this SHO"),
	ROW(OM_EDPF_STATE, "no accepted handover awaiting provisioning"),
	ROW(OM_EDPF_SIGNATURE, "M2MMobj not signed by the registered TRE"),
	ROW(OM_EDPF_NONCE_A, "nonceA is not the pending handover's"),
	ROW(OM_EDPF_REPLAY_NONCE_B, "nonceB already used (replayed M2MMobj)"),
	ROW(OM_EDPF_REPLAY_NONCE_A, "MCIM already released for this nonceA"),
	ROW(OM_EDPF_PVA_REFUSED, "platform validation refused by the PVA"),
	ROW(OM_EDPF_PVA, "PVA unreachable or its answer unusable"),
	ROW(OM_EDPF_NOT_RELEASED, "no MCIM released for this TRE"),
	ROW(OM_EDPF_CONFIG, "DPF configuration missing or invalid"),
	ROW(OM_EDPF_DM_FULL, "too many DM sessions open"),
	ROW(OM_EDPF_DM_IDENTITY, "DM message without a usable session or device name"),
	ROW(OM_EDPF_OUTCOME, "outcome alert unreadable or contradicting the recorded outcome"),
	ROW(OM_EDPF_PEER, "completion report: no peer configured, or refused by the previous SHO"),
	ROW(OM_EDPF_OUTCOME_SIGNATURE, "outcome statement missing or not signed by the TRE"),
	ROW(OM_EDPF_OUTCOME_TRE, "outcome statement of another TRE"),
	ROW(OM_EDPF_OUTCOME_NONCE_B, "outcome statement not bound to this release's nonceB"),
	ROW(OM_EDPF_OUTCOME_IMSI, "outcome statement names another IMSI"),
	ROW(OM_EDPF_COUNTER, "TRE state counter missing or lower than already seen"),
	ROW(OM_EDPF_DM_HMAC, "DM message after the 212 without a right x-syncml-hmac"),
	ROW(OM_EDPF_PVA_SIGNATURE, "PVA answer without a verdict signed by the configured PVA"),
	ROW(OM_EDPF_PVA_BINDING, "PVA verdict for another TRE_id or nonceB"),
	ROW(OM_EDPF_PVA_STALE, "PVA verdict too old or from the future"),
	ROW(OM_EDPF_ACCEPT_PENDING, "handover acceptance not recorded yet"),
	ROW(OM_EDPF_UNAVAILABLE, "the operator's SHO or DRF did not answer in time"),
	ROW(OM_EDPF_TRE_BLOCKED, "TRE reports MIDs blocked by its integrity check (tampered device)"),
	ROW(OM_EDPF_COMMAND, "DPF admin command unknown or malformed"),
	/* dpf: add new rows here */
	/* dm */
	ROW(OM_EDM_XML, "DM message is not well-formed UTF-8 XML"),
	ROW(OM_EDM_DTD, "DM message has an entity declaration, an internal subset or a DOCTYPE not SyncML's"),
	ROW(OM_EDM_TOO_LONG, "DM message, value or data too long"),
	ROW(OM_EDM_STRUCTURE, "DM message has an unexpected element, attribute or text"),
	ROW(OM_EDM_MISSING, "DM message lacks a required element"),
	ROW(OM_EDM_DUPLICATE, "DM element present twice"),
	ROW(OM_EDM_VERDTD, "DM VerDTD is not 1.2"),
	ROW(OM_EDM_VERPROTO, "DM VerProto is not DM/1.2"),
	ROW(OM_EDM_TOO_MANY, "too many DM commands or items"),
	ROW(OM_EDM_BASE64, "DM value is not canonical base64"),
	ROW(OM_EDM_VALUE, "DM number, code, Format or Cmd malformed"),
	ROW(OM_EDM_COMMAND, "DM command not supported"),
	ROW(OM_EDM_AUTH_TYPE, "DM auth type not supported"),
	ROW(OM_EDM_CRED, "DM credential does not verify"),
	ROW(OM_EDM_HMAC_HEADER, "x-syncml-hmac header malformed"),
	/* dm: add new rows here */
	/* agent */
	ROW(OM_EAGENT_CONFIG, "agent configuration missing or invalid"),
	ROW(OM_EAGENT_NETWORK, "network unreachable after every retry"),
	ROW(OM_EAGENT_DM, "DM session failed"),
	ROW(OM_EAGENT_REFUSED, "the DPF refused the device"),
	ROW(OM_EAGENT_DPF_IDENTITY, "the DPF's TLS certificate is not the one the bootstrap named"),
	/* agent: add new rows here */
	/* lab */
	ROW(OM_ELAB_SETUP, "lab setup failed"),
	ROW(OM_ELAB_DAEMON, "a lab daemon did not start or died"),
	ROW(OM_ELAB_OWNER, "an owner call failed"),
	/* lab: add new rows here */
};

static const struct err_row *find(int err)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].code == err)
			return &rows[i];
	return NULL;
}

const char *om_strerror(int err)
{
	const struct err_row *r = find(err);
	return r ? r->msg : "unknown error";
}

const char *om_errname(int err)
{
	const struct err_row *r = find(err);
	return r ? r->name : "OM_E?";
}

int om_errcode(const char *name)
{
	for (size_t i = 0; name && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].name, name))
			return rows[i].code;
	return 0;
}
