/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The activation request (tre.h om_tre_aas_request; spec/000 5.2.4.6.3
 * step 7): the TRE proves to the application activation server that it is
 * the TRE_id it names, over that server's nonce. It signs only this layout
 * (its own magic, docs/formats.md "Activation request"), never bytes the
 * agent chooses, so the request cannot stand in for an M2MMobj or an
 * outcome statement.
 */
#include <openmcim/aas_request.h>

#include "tre_int.h"

int om_tre_aas_request(const struct om_tre *tre, const uint8_t nonce[static OM_AAS_NONCE_LEN], uint8_t *out,
		       size_t cap)
{
	EVP_PKEY *key = NULL;
	if (!tre || !nonce || !out)
		return OM_EINVAL;
	int rc = tre_key_use(tre, 0, &key);
	if (rc == 0)
		rc = om_aas_request_build(tre->st.tre_id, nonce, tre->st.sign_cert.p, tre->st.sign_cert.len, key, out,
					  cap);
	om_key_free(key);
	return rc;
}
