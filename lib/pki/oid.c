/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The openmcim OIDs (docs/pki.md, "OID arc"), made known to OpenSSL once per
 * process so that extensions and attributes can name them by NID.
 */
#include <pthread.h>

#include <openssl/objects.h>

#include "pki_impl.h"

static const struct {
	const char *oid, *sn, *ln;
} oids[PKI_OID_COUNT] = {
	[PKI_OID_TRE_SIGNING] = { OM_OID_TRE_SIGNING, "omTreSigning", "openmcim TRE signing" },
	[PKI_OID_TRE_ENCRYPTION] = { OM_OID_TRE_ENCRYPTION, "omTreEncryption",
				     "openmcim TRE encryption" },
	[PKI_OID_SHO_SIGNING] = { OM_OID_SHO_SIGNING, "omShoSigning", "openmcim SHO signing" },
	[PKI_OID_ENCRYPTION_KEY] = { OM_OID_ENCRYPTION_KEY, "omEncryptionKey",
				     "openmcim TRE encryption key" },
	[PKI_OID_OWNER_CLAIM] = { OM_OID_OWNER_CLAIM, "omOwnerClaim", "openmcim owner claim verifier" },
	[PKI_OID_TCG_AIK] = { OM_OID_TCG_AIK, "tcg-kp-AIKCertificate", "TCG AIK certificate" },
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int nids[PKI_OID_COUNT];
static int init_result;

static void register_oids(void)
{
	for (int i = 0; i < PKI_OID_COUNT; i++) {
		/* another component of the process may have registered it already */
		int nid = OBJ_txt2nid(oids[i].oid);
		if (nid == NID_undef)
			nid = OBJ_create(oids[i].oid, oids[i].sn, oids[i].ln);
		if (nid == NID_undef) {
			init_result = OM_ECRYPTO;
			return;
		}
		nids[i] = nid;
	}
}

int pki_init(void)
{
	if (pthread_once(&once, register_oids) != 0)
		return OM_ECRYPTO;
	return init_result;
}

int pki_nid(enum pki_oid oid)
{
	return nids[oid];
}
