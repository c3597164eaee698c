/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a certificate, a CSR or a public key, in DER and
 * in PEM: what the PVA, the SHO and the DPF take from outside. The first
 * byte picks the decoder so one target covers all of them. A certificate
 * also has its owner claim extension read, as the SHO does at registration,
 * and its key taken alone (om_cert_pubkey_decode), which must be the same.
 */
#include <stdlib.h>

#include <openmcim/claim.h>
#include <openmcim/pki.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum om_encoding enc = (data[0] & 1) ? OM_ENC_PEM : OM_ENC_DER;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch ((data[0] >> 1) % 3) {
	case 0: {
		X509 *cert = NULL;
		EVP_PKEY *key = NULL;
		/* the key alone (om_cert_pubkey_decode): where both take the bytes, the same key (d2i_X509 also
		 * takes BER and keys it cannot decode, the walker neither) */
		int kr = enc == OM_ENC_DER ? om_cert_pubkey_decode(&key, in, len) : -1;
		if (kr == 0 && !key)
			abort();
		if (om_cert_decode(&cert, enc, in, len) == 0) {
			if (!cert)
				abort();
			if (kr == 0 && X509_get0_pubkey(cert) && EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1)
				abort();
			(void)om_cert_check_profile(cert, OM_CERT_TRE_SIGNING);
			uint8_t v[OM_CLAIM_LEN];
			unsigned g = 0;
			if (om_claim_from_cert(cert, v, &g) == 0 && (g == 0 || g > 255 || (v[0] & 0xe0)))
				abort();
			X509_free(cert);
		}
		EVP_PKEY_free(key);
		break;
	}
	case 1: {
		X509_REQ *csr = NULL;
		if (om_csr_decode(&csr, enc, in, len) == 0) {
			if (!csr)
				abort();
			X509_REQ_free(csr);
		}
		break;
	}
	default: {
		EVP_PKEY *key = NULL;
		if (om_key_decode_public(&key, enc, in, len) == 0) {
			if (!key)
				abort();
			EVP_PKEY_free(key);
		}
		break;
	}
	}
	return 0;
}
