/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as an activation request (aas_request.h, docs/formats.md
 * "Activation request"), what the application activation server reads from
 * any device. Checked against a CA made once: a refusal leaves the TRE_id
 * and nonce all zero; nothing from the fuzzer can pass (it holds no key the
 * CA certified).
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/aas_request.h>

static X509_STORE *trust;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char zero_id[OM_TRE_ID_MAX + 1];
	static const uint8_t zero_nonce[OM_AAS_NONCE_LEN];
	char tre_id[OM_TRE_ID_MAX + 1];
	uint8_t nonce[OM_AAS_NONCE_LEN];
	if (!trust) {
		EVP_PKEY *k = NULL;
		struct om_ca *ca = NULL;
		X509 *root = NULL;
		if (om_key_generate(&k, OM_KEY_EC_P256) || om_ca_create(&ca, k, "fuzz PVA CA", 0, 0))
			abort();
		root = om_ca_cert(ca);
		if (om_trust_new(&trust, &root, 1))
			abort();
		om_ca_free(ca);
		EVP_PKEY_free(k);
	}
	if (om_aas_request_verify(data, size, trust, OM_PKI_NOW, tre_id, nonce, NULL) == 0)
		abort();
	if (memcmp(tre_id, zero_id, sizeof(tre_id)) || memcmp(nonce, zero_nonce, sizeof(nonce)))
		abort();
	return 0;
}
