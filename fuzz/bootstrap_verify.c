/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a bootstrap (B.2.3.3) for om_bootstrap_verify(),
 * against a fixed test trust root (an EC P-256 self-signed "SHO-FUZZ";
 * its private key was thrown away after `xmlsec1 --sign` made the seeds in
 * fuzz/corpus/bootstrap_verify/ from the template of
 * lib/objects/objects_xmlsec_cli_test.c, compact and pretty-printed). The seeds verify, so mutations reach the
 * signature checks and, when only unsigned parts change, the parse.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

static const char root_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIBjTCCATOgAwIBAgIUGl0XQJCTYdfrD2DB6jlPsqdEnn4wCgYIKoZIzj0EAwIw\n"
			       "EzERMA8GA1UEAwwIU0hPLUZVWlowIBcNMjYxMjA3MTIzMTEzWhgPMjEyNjExMTMx\n"
			       "MjMxMTNaMBMxETAPBgNVBAMMCFNITy1GVVpaMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
			       "AQcDQgAESE5u3EVwlgH9edUoOetQKTcl7vdd0URWgtAQ4Bu65MrwceMKsj62eXF3\n"
			       "r1zYJLENfsXokKv9MbuJBdWpjfNZm6NjMGEwHQYDVR0OBBYEFD16GdaI9+Em7Bvf\n"
			       "ptZbbpUz8izGMB8GA1UdIwQYMBaAFD16GdaI9+Em7BvfptZbbpUz8izGMA8GA1Ud\n"
			       "EwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0gAMEUCIQDC\n"
			       "PXzpBg3VXL+pAeMevgZlzKqBElV0h+fmyy0IQZxOLwIgMVSpqJ/aPJS8ZHPg6la4\n"
			       "q+b1X2E/oHkcHeZzcV/7TwI=\n"
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
