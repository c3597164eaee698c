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
	/* auth: add new codes here */

	/* protect (B.2.3.6 protected data, MCIM TLV): -200 .. -299 */
	/* protect: add new codes here */

	/* pki (CA, certificates, signatures): -300 .. -399 */
	/* pki: add new codes here */

	/* tre: -400 .. -499 (issue 3) */
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
