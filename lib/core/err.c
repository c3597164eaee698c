/* SPDX-License-Identifier: Apache-2.0 */
/* Names and messages for the om_err codes. */
#include <stddef.h>

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
	/* auth */
	ROW(OM_EAUTH_MAC, "MAC-A in AUTN does not verify (MAC failure)"),
	ROW(OM_EAUTH_SYNC, "SQN not acceptable (synchronisation failure)"),
	ROW(OM_EAUTH_MACS, "MAC-S in AUTS does not verify"),
	ROW(OM_EAUTH_AMF, "AMF separation bit not set for E-UTRAN"),
	ROW(OM_EAUTH_INDBITS, "IND bit length out of range"),
	ROW(OM_EAUTH_SQN_RANGE, "SQN out of range"),
	/* auth: add new rows here */
	/* protect: add new rows here */
	/* pki: add new rows here */
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
