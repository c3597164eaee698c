/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key, CA and certificate setup the tests that speak TLS or sign as an
 * operator share: a CA written to a file, OPERATOR_TLS certificates under
 * it, a peer SHO's SHO_SIGNING identity, and a device's TRE_ENCRYPTION
 * certificate read back from a factory run. Each step is CHECKed where it
 * happens, so a caller need not check again.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/pki.h>

/*
 * A certificate of profile (CN cn, DNS SAN dns unless NULL) with a fresh P-256
 * key under ca, written as dir/<name>.pem and dir/<name>.key. Returns 0 or
 * the first failing step's negative om_err.
 */
int pf_issue(struct om_ca *ca, enum om_cert_profile profile, const char *dir, const char *name, const char *cn,
	     const char *dns);

/*
 * An OPERATOR_TLS certificate (CN name, DNS SAN dns unless NULL) with a
 * fresh P-256 key under ca, written as dir/<name>.pem and dir/<name>.key.
 * Returns 0 or the first failing step's negative om_err.
 */
int pf_issue_tls(struct om_ca *ca, const char *dir, const char *name, const char *dns);

/* A CA named cn on a fresh P-256 key, its certificate written to dir/file; NULL on failure. */
struct om_ca *pf_make_ca(const char *dir, const char *cn, const char *file);

/* A peer operator's SHO_SIGNING identity: a root "<id> root" and a certificate CN=id under it. */
struct pf_sho {
	EVP_PKEY *key, *root_key;
	struct om_ca *root;
	X509 *cert;
	uint8_t *der; /* cert, DER */
	size_t der_len;
};

void pf_sho_make(struct pf_sho *s, const char *id);

/*
 * A DER OCSP response about the certificate in cert_pem (issued by ca_pem),
 * made by the independent responder `openssl ocsp` from a CA index in dir
 * that says good, or revoked since 2026-12-01; signed by signer_pem and
 * signer_key (the CA or its delegated responder), nextUpdate a day on.
 * Scratch files in dir (index.txt, req.der, resp.der) are removed.
 * malloc'd, NULL (and a failed check) if openssl failed.
 */
uint8_t *pf_ocsp_response(const char *dir, const char *ca_pem, const char *cert_pem, const char *signer_pem,
			  const char *signer_key, int revoked, size_t *len);
void pf_sho_free(struct pf_sho *s);

/* The first device's TRE_ENCRYPTION certificate from a factory run's PVA import file (devices.csv). */
X509 *pf_enc_cert_of_run(const char *devices_csv);
