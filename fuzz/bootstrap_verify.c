/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a bootstrap (B.2.3.3) for om_bootstrap_verify(),
 * against a fixed test trust root (an EC P-256 self-signed "SHO-FUZZ";
 * its private key was thrown away after signing the seeds in
 * fuzz/corpus/bootstrap_verify/). The seeds verify, so mutations reach the
 * signature checks and, when only unsigned parts change, the parse.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

static const char root_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIBjjCCATOgAwIBAgIUagua8rLeGK1MVbYyABOgO/dfdUswCgYIKoZIzj0EAwIw\n"
			       "EzERMA8GA1UEAwwIU0hPLUZVWlowIBcNMjYxMTIyMjEwMTA2WhgPMjEyNjEwMjky\n"
			       "MTAxMDZaMBMxETAPBgNVBAMMCFNITy1GVVpaMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
			       "AQcDQgAEY9XAd+XeUlITJcGjH31jSaOc2hXMjXLEfjwNHngUki4YsRgw5oLcyKEW\n"
			       "2TmVtFq+3NcvHK31ZIeitUlvEJSqgqNjMGEwHQYDVR0OBBYEFOTyiRsKvjx1fTUo\n"
			       "en77r23cElXKMB8GA1UdIwQYMBaAFOTyiRsKvjx1fTUoen77r23cElXKMA8GA1Ud\n"
			       "EwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0kAMEYCIQC6\n"
			       "KPJXoYsglF2IUXuoXU79QK6Toz5hQGyL6FZhxQjK1AIhALyBIvNKc4NNu7R7ZWTm\n"
			       "ZzKtICiroQtpNrsmgufQ1t1u\n"
			       "-----END CERTIFICATE-----\n";

static X509 *root;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct om_bootstrap b;
	if (!root && om_cert_decode(&root, OM_ENC_PEM, (const uint8_t *)root_pem, sizeof(root_pem) - 1) != 0)
		abort();
	int r = om_bootstrap_verify(data, size, root, &b);
	if (r == 0) {
		/* what a verified bootstrap promises its reader */
		if (!b.sho_cert || !b.sho_cert_len || !b.creds || !b.creds_len || !memchr(b.provurl, 0, sizeof(b.provurl)))
			abort();
	} else if (b.sho_cert || b.creds || b.provurl[0] || b.sequence) {
		abort(); /* a refusal leaves the output empty */
	}
	om_bootstrap_free(&b);
	return 0;
}
