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
	/* pki: add new codes here */

	/* tre: -400 .. -499 (issue 3) */

	/* nas (NAS-EPS EMM/ESM codec, TS 24.301): -500 .. -599 */
	OM_ENAS_TRUNCATED = -500,     /* message ends inside its header or an information element */
	OM_ENAS_PD = -501,            /* protocol discriminator is not EMM (or not ESM in the container) */
	OM_ENAS_SECURITY = -502,      /* security-protected NAS message: not supported in this lab */
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
	/* nas: add new codes here */
};

/* A one-line English message for an om_err code; never NULL. */
const char *om_strerror(int err);

/* The code's symbolic name, e.g. "OM_EAUTH_MAC"; never NULL. */
const char *om_errname(int err);

#if defined(__GNUC__)
#define OM_NODISCARD __attribute__((warn_unused_result))
#else
#define OM_NODISCARD
#endif
