/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a handover request (B.2.3.2 step 2): the
 * unverified sender peek, then the verifier with a fixed EC P-256 test key
 * whose private half was thrown away after signing the seeds in
 * fuzz/corpus/handover_verify/. Whatever verifies must hold NUL-terminated
 * fields and non-empty owned blobs.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/handover.h>
#include <openmcim/pki.h>

static const char pub_pem[] = "-----BEGIN PUBLIC KEY-----\n"
			      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqDwZjqdPpXFuylsDC+dT3prTgAwa\n"
			      "wOFCGNldt/g+PPyrUo4YwcwQlDFZakPcoZxLzhTqmmNIWQ4fY561wJKFHA==\n"
			      "-----END PUBLIC KEY-----\n";

static EVP_PKEY *pub;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct om_handover_req r;
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	if (!pub && om_key_decode_public(&pub, OM_ENC_PEM, (const uint8_t *)pub_pem, sizeof(pub_pem) - 1) != 0)
		abort();
	if (om_handover_peek_sender(data, size, sender) == 0 && !memchr(sender, 0, sizeof(sender)))
		abort();
	if (om_handover_verify(data, size, pub, &r) == 0) {
		if (!memchr(r.request_id, 0, sizeof(r.request_id)) || !memchr(r.tre_id, 0, sizeof(r.tre_id)) ||
		    !r.sho_cert || !r.sho_cert_len ||
		    !r.creds || !r.creds_len || strcmp(r.new_sho_id, sender) != 0)
			abort();
	}
	om_handover_free(&r);
	return 0;
}
