/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes shared by every openmcim module. */
#pragma once

/*
 * Every fallible openmcim call returns 0 (or a non-negative count) on success
 * and one of these negative codes on failure. Programmer errors (NULL where
 * the contract forbids it, impossible sizes) are OM_EINVAL; bad input from
 * outside always gets its own specific code, so that a caller, a log line and
 * a test can tell a flipped MAC bit from a truncated object.
 *
 * Each module owns a range. Add new codes at the end of the module's range,
 * never renumber (the numbers reach logs and the CLI's messages), and add the
 * matching row to the table in lib/core/err.c.
 */
enum om_err {
	OM_OK = 0,

	/* core: -1 .. -99 */
	OM_EINVAL = -1,       /* invalid argument (programmer error) */
	OM_ENOMEM = -2,       /* out of memory */
	OM_ECRYPTO = -3,      /* the crypto library failed unexpectedly */
	OM_ERANDOM = -4,      /* the CSPRNG failed */
	OM_EHEX = -5,         /* malformed hexadecimal input */
	OM_ELENGTH = -6,      /* input has the wrong length */
	OM_ENOSPC = -7,       /* output buffer too small */
	OM_EIO = -8,          /* I/O error */
	OM_EUNSUPPORTED = -9, /* algorithm or suite not supported */
	OM_ETIMEOUT = -10,    /* the peer did not answer within the deadline */
	OM_EPERM = -11,       /* the caller is not allowed (e.g. an admin socket peer's uid) */
	OM_EPROTO = -12,      /* the peer's answer does not follow the protocol */
	OM_EFILE_MODE = -13,  /* a secret's file or directory is open to group or others, or not a plain file */
	OM_EFILE_OWNER = -14, /* a secret's file or directory is owned by another user */
	OM_EUNAVAILABLE = -15, /* another function of the operator (SHO, DRF) did not answer in time: retry later */
	OM_EBASE64 = -16,     /* not canonical base64 (RFC 4648 3.5: alphabet, padding, unused bits) */
	/* core: add new codes here */

	/* auth (MILENAGE, AKA, SQN, KDF): -100 .. -199 */
	OM_EAUTH_MAC = -100,      /* MAC-A in AUTN does not verify */
	OM_EAUTH_SYNC = -101,     /* SQN not acceptable: synchronisation failure */
	OM_EAUTH_MACS = -102,     /* MAC-S in AUTS does not verify */
	OM_EAUTH_AMF = -103,      /* AMF separation bit not set for E-UTRAN */
	OM_EAUTH_INDBITS = -104,  /* IND bit length out of range */
	OM_EAUTH_SQN_RANGE = -105,/* SQN beyond 48 bits / SEQ space exhausted */
	OM_EAUTH_STATE = -106,    /* USIM SQN state is malformed */
	OM_EAUTH_STATE_VERSION = -107, /* USIM SQN state has an unknown version */
	OM_EAUTH_PLMN = -108,     /* MCC or MNC malformed (digits, length) */
	OM_EAUTH_AMF_UTRAN = -109, /* AMF separation bit set on a UTRAN vector */
	OM_EAUTH_RESYNC_BEHIND = -110, /* SQN_MS more than delta behind the HE's SEQ: every SQN the USIM accepts was issued */
	OM_EAUTH_SYNTH_RANGE = -111, /* synthetic credential range malformed (MCC, MNC, MSIN width, count) */
	OM_EAUTH_SYNTH_KU = -112, /* Ku as typed is not a Ku (length, alphabet, padding bits) */
	/* auth: add new codes here */

	/* protect (B.2.3.6 protected data, MCIM TLV): -200 .. -299 */
	OM_EPROTECT_HEADER = -200,    /* bad magic, format version or header field */
	OM_EPROTECT_SUITE = -201,     /* unknown key-wrap or protection suite id */
	OM_EPROTECT_KEYTYPE = -202,   /* object's key wrap does not fit the private key */
	OM_EPROTECT_TRUNCATED = -203, /* protected object shorter than its header says */
	OM_EPROTECT_TRAILING = -204,  /* bytes after the end of the protected object */
	OM_EPROTECT_UNWRAP = -205,    /* PuK_TRE(PIK|PCK) does not open: wrong key or altered */
	OM_EPROTECT_MAC = -206,       /* MAC_PIK(ENC_PCK(data)) does not verify */
	OM_EPROTECT_VERSION = -207,   /* data version is not the one we speak */
	OM_EPROTECT_TAG = -208,       /* data tag is not the one expected */
	OM_EPROTECT_PADDING = -209,   /* padding_data malformed */
	OM_EPROTECT_PAYLOAD_LEN = -210, /* payload_length inconsistent with the data */
	OM_EMCIM_MISSING = -211,      /* mandatory MCIM field missing */
	OM_EMCIM_DUPLICATE = -212,    /* MCIM field present twice */
	OM_EMCIM_FIELD_LEN = -213,    /* MCIM field has the wrong length */
	OM_EMCIM_IMSI = -214,         /* malformed IMSI (digits, length, MNC length) */
	OM_EMCIM_ALGORITHM = -215,    /* unknown or unsupported algorithm id */
	OM_EMCIM_TRUNCATED = -216,    /* MCIM TLV ends inside a field */
	OM_EMCIM_UNKNOWN_TAG = -217,  /* unknown MCIM tag in the must-understand range */
	OM_EMCIM_VALUE = -218,        /* MCIM field value out of range (APN, MNC length, IND) */
	/* protect: add new codes here */

	/* pki (CA, certificates, signatures): -300 .. -399 */
	OM_EPKI_KEY_TYPE = -300,      /* key type or size not allowed for this use */
	OM_EPKI_MALFORMED = -301,     /* malformed certificate, CSR, key or PEM */
	OM_EPKI_CSR_SIGNATURE = -302, /* CSR signature does not verify (or another scheme) */
	OM_EPKI_CSR_SUBJECT = -303,   /* CSR subject is not CN=<the expected identity> */
	OM_EPKI_CSR_ENC_KEY = -304,   /* CSR does not carry the TRE encryption key */
	OM_EPKI_KEY_REUSE = -305,     /* encryption key is the signing key */
	OM_EPKI_NAME = -306,          /* CN, DNS name or URL not acceptable */
	OM_EPKI_VALIDITY = -307,      /* validity empty or outside the issuer's */
	OM_EPKI_UNTRUSTED = -308,     /* no trusted issuer (unknown CA) */
	OM_EPKI_BAD_SIGNATURE = -309, /* a certificate's signature does not verify */
	OM_EPKI_EXPIRED = -310,       /* a certificate in the chain has expired */
	OM_EPKI_NOT_YET_VALID = -311, /* a certificate in the chain is not yet valid */
	OM_EPKI_PURPOSE = -312,       /* certificate not issued for this profile */
	OM_EPKI_CA_MISUSE = -313,     /* a non-CA certificate used as an issuer */
	OM_EPKI_CHAIN = -314,         /* chain invalid for another reason */
	OM_EPKI_SIGNATURE = -315,     /* signature over the data does not verify */
	OM_EPKI_KEY_MISMATCH = -316,  /* private key does not match the certificate */
	OM_EPKI_NOT_CA = -317,        /* certificate is not a CA certificate */
	OM_EPKI_NO_CLAIM = -318,      /* certificate carries no owner claim verifier, or a malformed one */
	OM_EPKI_CLAIM = -319,         /* owner claim secret does not match the certificate's verifier */
	OM_EPKI_STATUS_MISSING = -320,   /* no certificate status (OCSP response) where one is required */
	OM_EPKI_STATUS_MALFORMED = -321, /* status is not a successful basic OCSP response */
	OM_EPKI_STATUS_SIGNER = -322,    /* status not signed by the certificate's issuer or its delegated responder */
	OM_EPKI_STATUS_UNKNOWN = -323,   /* status names another certificate, or says unknown */
	OM_EPKI_STATUS_REVOKED = -324,   /* the certificate is revoked */
	OM_EPKI_STATUS_STALE = -325,     /* status older than the freshness window, past nextUpdate, or from the future */
	/* pki: add new codes here */

	/* tre: -400 .. -499 (issue 3) */
	OM_ETRE_STATE = -400,         /* sealed TRE record malformed (after unsealing) */
	OM_ETRE_STATE_VERSION = -401, /* sealed TRE record has an unknown version */
	OM_ETRE_SEAL = -402,          /* sealed file does not open: altered, swapped or other device's */
	OM_ETRE_NOT_FOUND = -403,     /* no such TRE directory, file or MID */
	OM_ETRE_EXISTS = -404,        /* TRE already personalised there, or MID already installed */
	OM_ETRE_BLOCKED = -405,       /* MID blocked: its sealed file failed the integrity check */
	OM_ETRE_NO_ACTIVE = -406,     /* no active MID */
	OM_ETRE_MID_STATE = -407,     /* not allowed in the MID's lifecycle state */
	OM_ETRE_ACL = -408,           /* the stakeholder does not own this MID */
	OM_ETRE_REPLAY = -409,        /* nonceA already seen (replayed bootstrap) */
	OM_ETRE_SEQUENCE = -410,      /* bootstrap sequence number not above the last accepted */
	OM_ETRE_NONCE = -411,         /* nonceB is not the pending one, or none is pending */
	OM_ETRE_NO_SESSION = -412,    /* no bootstrap accepted: no DM credentials or nonceA */
	OM_ETRE_FULL = -413,          /* MID registry full */
	OM_ETRE_PENDING = -414,       /* an activation is pending (or none is, for confirm) */
	OM_ETRE_IDENTITY = -415,      /* personalisation inconsistent: key/cert mismatch, CN not TRE_id */
	OM_ETRE_PERM = -416,          /* sealing key file accessible to others than the device */
	OM_ETRE_TRUST_ROOT = -417,    /* trust root certificate of the wrong profile or CN */
	OM_ETRE_OUTCOME = -418,       /* outcome statement asked for a state the TRE is not in */
	OM_ETRE_DIR_WRITABLE = -419,  /* TRE directory writable by group or others */
	OM_ETRE_DIR_OWNER = -420,     /* TRE directory owned by another user than the device's */
	OM_ETRE_FILE_OWNER = -421,    /* a file in the TRE directory owned by another user than the device's */
	OM_ETRE_NOT_INSTALLED = -422, /* activate: the MID is not the MCIM this session installed */
	OM_ETRE_NOT_AUTHENTICATED = -423, /* confirm: the new MID has not answered a network challenge */
	OM_ETRE_ROLLBACK = -424,      /* an older copy of the TRE's sealed files: behind the hardware counter */
	OM_ETRE_HW = -425,            /* the TRE's secure hardware (TPM, PKCS#11 token) unreachable or refused */
	OM_ETRE_BACKEND = -426,       /* TRE directory personalised for another backend or token than the configured one */
	OM_ETRE_NV = -427,            /* the TPM's NV counter index is not the one personalised (attributes or name) */
	OM_ETRE_KEY_ATTRS = -428,     /* a PKCS#11 key (sealing key, PrK_TRE) is not the one, of the kind, personalisation made */
	OM_ETRE_PCR = -429,           /* the TPM refused to unseal: the TRE's PCR holds another value than the sealing policy's */
	/* tre: add new codes here */

	/* nas (NAS-EPS EMM/ESM codec, TS 24.301): -500 .. -599 */
	OM_ENAS_TRUNCATED = -500,     /* message ends inside its header or an information element */
	OM_ENAS_PD = -501,            /* protocol discriminator is not EMM (or not ESM in the container) */
	OM_ENAS_SECURITY = -502,      /* security header type not expected here (plain codec: any but 0) */
	OM_ENAS_MSG_TYPE = -503,      /* message type unknown or not implemented */
	OM_ENAS_DIRECTION = -504,     /* message not defined in the direction it travelled */
	OM_ENAS_IE_LENGTH = -505,     /* IE length outside the range its clause allows */
	OM_ENAS_IDENTITY = -506,      /* bad mobile identity: non-BCD digit, filler, type */
	OM_ENAS_MISSING_IE = -507,    /* mandatory or conditional IE missing */
	OM_ENAS_COMPREHENSION = -508, /* unknown IE encoded as comprehension required */
	OM_ENAS_TRAILING = -509,      /* octets after the mandatory part are not whole IEs */
	OM_ENAS_APN = -510,           /* malformed access point name (TS 23.003 9.1) */
	OM_ENAS_ESM = -511,           /* ESM container holds an unexpected ESM message */
	OM_ENAS_VALUE = -512,         /* reserved or unsupported value in a field */
	OM_ENAS_CONDITIONAL = -513,   /* conditional IE present where its clause forbids it */
	OM_ENAS_MAC = -514,           /* NAS-MAC of a protected message does not verify (TS 24.301 4.4.4) */
	OM_ENAS_REPLAY = -515,        /* NAS COUNT not above the last accepted one (replay) */
	OM_ENAS_SMC = -516,           /* Security Mode Command refused: EIA0, capabilities or KSI (TS 24.301 5.4.3.5) */
	OM_ENAS_UNPROTECTED = -517,   /* plain NAS message after security was activated (TS 24.301 4.4.4) */
	/* nas: add new codes here */

	/* factory (M2MES / TRE manufacturer personalisation, B.2.2.1): -700 .. -749 */
	OM_EFACTORY_PCID_RANGE = -700,   /* PCID range overflows the MSIN digits */
	OM_EFACTORY_SERIAL_RANGE = -701, /* TRE serial range overflows its digits */
	OM_EFACTORY_OUT_NOT_EMPTY = -702, /* output directory exists and is not empty */
	OM_EFACTORY_NAME = -703,         /* model, firmware, prefix, APN or operator id not acceptable */
	OM_EFACTORY_PCID = -704,         /* malformed MCC, MNC or first MSIN */
	OM_EFACTORY_RO_CERT = -705,      /* RO certificate not a trust root profile, or CN is not the RO id */
	/* factory: add new codes here */

	/* vno (radio link framing, device attach helper, MME): -850 .. -899 */
	OM_ERADIO_LENGTH = -850,      /* radio frame length is zero or above OM_RADIO_PAYLOAD_MAX */
	OM_ERADIO_TYPE = -851,        /* radio frame type unknown */
	OM_ERADIO_PAYLOAD = -852,     /* LAB frame payload malformed */
	OM_ERADIO_CLOSED = -853,      /* the radio link was closed by the peer */
	OM_ERADIO_TIMEOUT = -854,     /* no answer on the radio link in time */
	OM_ERADIO_PROTOCOL = -855,    /* a message the procedure did not expect at this point */
	OM_ERADIO_ATTACH_REJECT = -856, /* the network rejected the attach (EMM cause kept) */
	OM_ERADIO_AUTH_REJECT = -857, /* the network sent Authentication Reject */
	OM_ERADIO_AKA = -858,         /* the device's AKA callback failed */
	OM_ERADIO_NOT_ATTACHED = -859, /* push: no device attached with that IMSI */
	OM_ERADIO_BUSY = -860,        /* radio: max_devices connections already */
	OM_ERADIO_SOURCE_LIMIT = -861, /* radio: this source address holds max_unauth_per_source unauthenticated links */
	OM_ERADIO_FIRST_MESSAGE = -862, /* radio: no whole frame within first_message_ms of connecting */
	OM_ERADIO_IDLE = -863,        /* radio: a link without an attached device silent for idle_timeout_s */
	OM_ERADIO_EVICTED = -864,     /* radio: unauthenticated link closed to admit a newer one (max_unauth) */
	/* vno: add new codes here */

	/* objects (B.2.3.3 bootstrap XML-DSig, B.2.3.4 M2MMobj/M2MMCIMMobj): -600 .. -699 */
	OM_EOBJ_XML = -600,           /* not well-formed XML, or not UTF-8 */
	OM_EOBJ_DTD = -601,           /* DOCTYPE, entity declaration, comment or CDATA */
	OM_EOBJ_TOO_LONG = -602,      /* document, value or field longer than its limit */
	OM_EOBJ_STRUCTURE = -603,     /* unexpected element, attribute, text or order */
	OM_EOBJ_MISSING = -604,       /* required characteristic or parm missing */
	OM_EOBJ_DUPLICATE = -605,     /* characteristic or parm present twice */
	OM_EOBJ_VALUE = -606,         /* parm value malformed or inconsistent */
	OM_EOBJ_BASE64 = -607,        /* malformed base64 */
	OM_EOBJ_SIG_PLACEMENT = -608, /* not one enveloping Signature as root, its one Object last, the one Id */
	OM_EOBJ_SIG_REFERENCE = -609, /* not exactly one Reference, with URI="#cp" naming the Object */
	OM_EOBJ_SIG_TRANSFORM = -610, /* transforms other than exc-c14n alone */
	OM_EOBJ_SIG_ALGORITHM = -611, /* algorithm not allowed, or not the trust root's key type */
	OM_EOBJ_SIGNATURE = -612,     /* signature does not verify with the trust root's key */
	OM_EOBJ_DIGEST = -613,        /* signed content altered: reference digest mismatch */
	OM_EOBJ_MAGIC = -614,         /* object does not start with the openmcim magic */
	OM_EOBJ_VERSION = -615,       /* object format version unknown */
	OM_EOBJ_TYPE = -616,          /* object type is not the one expected */
	OM_EOBJ_TRUNCATED = -617,     /* object ends inside a field or its signature */
	OM_EOBJ_TRAILING = -618,      /* bytes after the signature */
	OM_EOBJ_FIELD = -619,         /* object field has a bad length or characters */
	OM_EOBJ_COUNT = -620,         /* more measurements than OM_MEASUREMENTS_MAX */
	OM_EOBJ_CREDS = -621,         /* DM credentials payload malformed */
	/* objects: add new codes here */

	/* store/hss (storage interface, HSS core, provisioning): -800 .. -849 */
	OM_ESTORE = -800,             /* the storage backend failed (I/O, corruption, SQL) */
	OM_ESTORE_BUSY = -801,        /* the database stayed locked past the busy timeout */
	OM_ESTORE_SCHEMA = -802,      /* database schema newer than this program, or a migration failed */
	OM_ESTORE_CONSTRAINT = -803,  /* a write broke a uniqueness or check constraint */
	OM_ESTORE_PRAGMA = -804,      /* a storage setting did not take effect when read back */
	OM_ESTORE_CONN = -805,        /* the database server refused the connection or it was lost */
	OM_EHSS_IMSI = -810,          /* malformed IMSI (6..15 decimal digits) */
	OM_EHSS_EXISTS = -811,        /* subscriber already exists */
	OM_EHSS_NOT_FOUND = -812,     /* no such subscriber */
	OM_EHSS_PROFILE = -813,       /* malformed APN, AMBR, roaming list, status or ind_bits */
	OM_EHSS_IMPORT = -814,        /* PCID import file malformed */
	OM_EHSS_KEY = -815,           /* malformed K, OP, OPc or AMF */
	OM_EHSS_COMMAND = -816,       /* provisioning command unknown or malformed */
	/* store/hss: add new codes here */

	/* pva (OCSP responder, imports, platform validation): -900 .. -949 */
	OM_EPVA_IMPORT = -900,        /* PVA import file malformed (header, fields, base64, hex) */
	OM_EPVA_CERT = -901,          /* TRE certificate not issued by the PVA's CA, wrong profile or CN */
	OM_EPVA_EXISTS = -902,        /* TRE or certificate already imported */
	OM_EPVA_NOT_FOUND = -903,     /* no such TRE */
	OM_EPVA_REVOKED = -904,       /* the TRE's certificate is revoked */
	OM_EPVA_FIRMWARE = -905,      /* no reference values for this model and firmware */
	OM_EPVA_MEASUREMENT = -906,   /* a measurement is missing or differs from the reference */
	OM_EPVA_COMMAND = -907,       /* PVA admin command unknown or malformed */
	OM_EPVA_REFERENCE = -908,     /* reference value conflicts with the one already stored */
	OM_EPVA_QUOTE = -909,         /* TPM quote malformed, or not a SHA-256 ECDSA quote of the SHA-256 bank */
	OM_EPVA_QUOTE_SIGNATURE = -910, /* TPM quote not signed by the device's attestation key */
	OM_EPVA_QUOTE_NONCE = -911,   /* TPM quote over another nonce */
	OM_EPVA_QUOTE_DIGEST = -912,  /* the PCR values sent are not the ones the TPM quoted */
	OM_EPVA_QUOTE_PCR = -913,     /* a quoted PCR differs from the reference value */
	/* pva: add new codes here */
	/* sho (registration service, OCSP client): -950 .. -999 */
	OM_ESHO_OWNER_AUTH = -950,    /* owner unknown or wrong secret */
	OM_ESHO_OWNER_EXISTS = -951,  /* owner id already exists */
	OM_ESHO_NOTE = -952,          /* delivery note or device row malformed */
	OM_ESHO_DUPLICATE = -953,     /* TRE_id registered with other content, or twice in one call */
	OM_ESHO_IMSI_RANGE = -954,    /* the SHO's IMSI range is exhausted */
	OM_ESHO_CERT = -955,          /* Cert_TRE pair inconsistent (CN is not TRE_id, same key) */
	OM_ESHO_REVOKED = -956,       /* the PVA says a Cert_TRE is revoked */
	OM_ESHO_CERT_UNKNOWN = -957,  /* the PVA does not know a Cert_TRE */
	OM_ESHO_NOT_FOUND = -958,     /* no such device */
	OM_ESHO_STATE = -959,         /* not allowed in the device's registration state */
	OM_ESHO_HSS = -960,           /* the HSS refused or could not be reached */
	OM_ESHO_CONFIG = -961,        /* SHO configuration missing or invalid */
	OM_ESHO_REFUSED = -962,       /* call refused as a whole: a row was refused (all-or-nothing) */
	OM_EOCSP_TRANSPORT = -970,    /* OCSP responder unreachable or HTTP error */
	OM_EOCSP_RESPONSE = -971,     /* OCSP response malformed or not successful */
	OM_EOCSP_SIGNATURE = -972,    /* OCSP response not signed by the CA or its delegated responder */
	OM_EOCSP_NONCE = -973,        /* OCSP response nonce missing or not ours */
	OM_EOCSP_TIME = -974,         /* OCSP response stale or from the future */
	OM_EOCSP_MISSING = -975,      /* OCSP response has no status for a certificate asked about */
	OM_ESHO_PEER = -976,          /* no peer (DRF address and CA) configured for the device's current SHO */
	OM_ESHO_PEER_TRANSPORT = -977, /* the current SHO's DRF unreachable, TLS failed or no answer in time */
	OM_ESHO_PEER_ANSWER = -978,   /* the current SHO's DRF answered something we cannot read */
	OM_ESHO_CLAIM = -979,         /* no owner claim secret, or not the one the device's Cert_TRE commits to */
	OM_ESHO_CLAIM_OLD = -980,     /* a genuine claim, but not of a later owner than the one registered */
	OM_ESHO_AUTH_LIMIT = -981,    /* too many failed owner authentications from this source or for this owner */
	OM_ESHO_BUSY = -982,          /* every owner-secret check is busy: try again shortly */
	OM_ESHO_COMMAND = -983,       /* SHO internal command unknown or malformed */
	OM_ESHO_SESSION = -984,       /* no console session, or it expired or was signed out */
	OM_ESHO_CSRF = -985,          /* a change without the session's CSRF token */
	OM_ESHO_REQUEST = -986,       /* API request malformed (JSON body, parameter, content type) */
	OM_ESHO_DRF = -987,           /* this operator's DRF could not issue a transfer code (not configured or not answering) */
	OM_ESHO_SYNTH_UNKNOWN = -988, /* no device of the imported verifier lists has this TRE_id and Ku (spec/000 5.2.4.3.1) */
	OM_ESHO_MOVE_LIMIT = -989,    /* the owner already has as many unfinished bulk moves as one owner may */
	/* sho: add new codes here */

	/* drf (discovery and registration function, handovers): -1000 .. -1049 */
	OM_EDRF_OPERATOR = -1000,     /* handover from an operator we do not know */
	OM_EDRF_DEVICE = -1001,       /* TRE_id not in the DRF's register */
	OM_EDRF_NOT_OURS = -1002,     /* the device's subscription has moved to another SHO */
	OM_EDRF_LOCKED = -1003,       /* the device is under a contract lock until a later date */
	OM_EDRF_CODE = -1004,         /* transfer code does not match any issued for the device */
	OM_EDRF_CODE_USED = -1005,    /* transfer code already used by another request */
	OM_EDRF_CODE_EXPIRED = -1006, /* transfer code past its expiry */
	OM_EDRF_STALE = -1007,        /* request created outside the freshness window */
	OM_EDRF_REQUEST_ID = -1008,   /* request id already used by this sender for another TRE */
	OM_EDRF_CERT = -1009,         /* Cert_SHO[i+1] not the operator's, or a certificate of the wrong profile or CN */
	OM_EDRF_EXISTS = -1010,       /* device or operator already in the register with other content */
	OM_EDRF_VALUE = -1011,        /* malformed TRE_id, IMSI, owner, SHO id, date or duration */
	OM_EDRF_SEQUENCE = -1012,     /* the device's bootstrap sequence number space is exhausted */
	OM_EDRF_STATE = -1013,        /* no such handover, or not in the state this needs */
	OM_EDRF_HSS = -1014,          /* the HSS refused the removal or could not be reached */
	OM_EDRF_CONFIG = -1015,       /* DRF configuration (signing key, certificate, id) missing or invalid */
	OM_EDRF_PEER = -1016,         /* TLS client certificate not the sender's (one operator in another's name) */
	OM_EDRF_OUTCOME = -1017,      /* completion without a TRE outcome statement that verifies with the device's Cert_TRE */
	OM_EDRF_OUTCOME_BINDING = -1018, /* outcome statement of another TRE or another handover (bootstrap sequence, time) */
	OM_EDRF_OUTCOME_FALLBACK = -1019, /* outcome statement says fallback: nothing is released */
	OM_EDRF_COUNTER = -1020,      /* TRE state counter lower than one already seen: an older copy of the TRE */
	OM_EDRF_PEER_KEY = -1021,     /* TLS client certificate names a known operator but is not on its pinned key */
	OM_EDRF_COMMAND = -1022,      /* DRF admin command unknown or malformed */
	OM_EDRF_OWNER = -1023,        /* the register names another owner for the device (a resale) */
	/* drf: add new codes here */

	/* dpf (-1100..-1149): the DPF's provisioning decisions, dpf/dpf.h */
	OM_EDPF_MALFORMED = -1100,    /* not an M2MMobj (TRE_id unreadable) */
	OM_EDPF_UNKNOWN_TRE = -1101,  /* TRE not registered at this SHO */
	OM_EDPF_STATE = -1102,        /* no accepted handover awaiting provisioning for this TRE */
	OM_EDPF_SIGNATURE = -1103,    /* M2MMobj not signed with the TRE's registered Cert_TRE key */
	OM_EDPF_NONCE_A = -1104,      /* nonceA is not the pending handover's (B.2.3.4 III) */
	OM_EDPF_REPLAY_NONCE_B = -1105, /* nonceB already used: a replayed M2MMobj */
	OM_EDPF_REPLAY_NONCE_A = -1106, /* an MCIM was already released for this nonceA */
	OM_EDPF_PVA_REFUSED = -1107,  /* the PVA refused the platform validation */
	OM_EDPF_PVA = -1108,          /* the PVA unreachable, or its answer unreadable or not for this M2MMobj */
	OM_EDPF_NOT_RELEASED = -1109, /* install status for a TRE with no MCIM released */
	OM_EDPF_CONFIG = -1110,       /* DPF configuration missing or invalid */
	OM_EDPF_DM_FULL = -1111,      /* every DM session slot is in use */
	OM_EDPF_DM_IDENTITY = -1112,  /* DM message without a usable SessionID or device name */
	OM_EDPF_OUTCOME = -1113,      /* outcome alert unreadable, or contradicting the outcome already recorded */
	OM_EDPF_PEER = -1114,         /* completion report: no [peer.<SHO_ID>], or the previous SHO's DRF refused it */
	OM_EDPF_OUTCOME_SIGNATURE = -1115, /* outcome report without a statement that verifies with the registered Cert_TRE */
	OM_EDPF_OUTCOME_TRE = -1116,  /* outcome statement of another TRE than the authenticated device */
	OM_EDPF_OUTCOME_NONCE_B = -1117, /* outcome statement not bound to the nonceB of the device's last release */
	OM_EDPF_OUTCOME_IMSI = -1118, /* outcome statement names another IMSI than the one the SHO allocated */
	OM_EDPF_COUNTER = -1119,      /* TRE state counter missing or lower than one already seen: an older copy */
	OM_EDPF_DM_HMAC = -1120,      /* DM message after the 212 without its x-syncml-hmac, or with a wrong one */
	OM_EDPF_PVA_SIGNATURE = -1121, /* the PVA's answer carries no verdict signed by the configured PVA certificate */
	OM_EDPF_PVA_BINDING = -1122,  /* the PVA's signed verdict is for another TRE_id or nonceB (replayed or relayed) */
	OM_EDPF_PVA_STALE = -1123,    /* the PVA's signed verdict is dated too far from now */
	OM_EDPF_ACCEPT_PENDING = -1124, /* handover requested, its acceptance not recorded yet: the device retries */
	OM_EDPF_UNAVAILABLE = -1125, /* the operator's SHO or DRF did not answer in time: nothing changed, the device retries */
	OM_EDPF_TRE_BLOCKED = -1126, /* the TRE's M2MMobj reports MIDs blocked by its integrity check: a tampered device */
	OM_EDPF_COMMAND = -1127,      /* DPF admin command unknown or malformed */
	/* dpf: add new codes here */

	/* agent (-1200..-1249): the device agent, agent/agent.h */
	OM_EAGENT_CONFIG = -1200,     /* agent configuration missing or invalid */
	OM_EAGENT_NETWORK = -1201,    /* the network could not be reached after every retry */
	OM_EAGENT_DM = -1202,         /* the DM session failed: no usable answer from the DPF */
	OM_EAGENT_REFUSED = -1203,    /* the DPF refused the device (its DM status and reason reported) */
	OM_EAGENT_DPF_IDENTITY = -1204, /* the DPF's TLS certificate is not the one the bootstrap named (Cert_SHO[i+1]) */
	/* agent: add new codes here */

	/* lab (-1250..-1299): the lab topology and scenario, lab/ */
	OM_ELAB_SETUP = -1250,        /* the lab could not be set up (PKI, factory, configuration) */
	OM_ELAB_DAEMON = -1251,       /* a daemon did not start or died */
	OM_ELAB_OWNER = -1252,        /* an owner call (register, transfer code, handover) failed */
	/* lab: add new codes here */

	/* dm (SyncML DM 1.2 codec and authentication, lib/dm): -1050 .. -1099 */
	OM_EDM_XML = -1050,           /* not well-formed XML, not UTF-8, or a NUL byte */
	OM_EDM_DTD = -1051,           /* entity declaration, internal subset, DOCTYPE not SyncML's */
	OM_EDM_TOO_LONG = -1052,      /* message, value or item data longer than its limit */
	OM_EDM_STRUCTURE = -1053,     /* wrong root or namespace, unexpected element, attribute or text */
	OM_EDM_MISSING = -1054,       /* required element missing (SyncHdr field, CmdID, Data...) */
	OM_EDM_DUPLICATE = -1055,     /* element present twice where it may appear once */
	OM_EDM_VERDTD = -1056,        /* VerDTD is not 1.2 */
	OM_EDM_VERPROTO = -1057,      /* VerProto is not DM/1.2 */
	OM_EDM_TOO_MANY = -1058,      /* more commands or items than OM_DM_CMDS_MAX / OM_DM_ITEMS_MAX */
	OM_EDM_BASE64 = -1059,        /* Data, Cred or NextNonce is not canonical base64 */
	OM_EDM_VALUE = -1060,         /* malformed number, code, Format or Cmd name */
	OM_EDM_COMMAND = -1061,       /* a SyncBody command this codec does not speak */
	OM_EDM_AUTH_TYPE = -1062,     /* Cred or Chal with an auth type other than basic or md5 */
	OM_EDM_CRED = -1063,          /* credential or HMAC does not verify */
	OM_EDM_HMAC_HEADER = -1064,   /* x-syncml-hmac header malformed or not algorithm=MD5 */
	/* dm: add new codes here */
};

/* A one-line English message for an om_err code; never NULL. */
const char *om_strerror(int err);

/* The code's symbolic name, e.g. "OM_EAUTH_MAC"; never NULL. */
const char *om_errname(int err);

/* The code whose symbolic name is name (om_errname's inverse), or 0 when no code has that name. */
int om_errcode(const char *name);

#if defined(__GNUC__)
#define OM_NODISCARD __attribute__((warn_unused_result))
#else
#define OM_NODISCARD
#endif
