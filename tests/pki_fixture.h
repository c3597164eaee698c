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
void pf_sho_free(struct pf_sho *s);

/* The first device's TRE_ENCRYPTION certificate from a factory run's PVA import file (devices.csv). */
X509 *pf_enc_cert_of_run(const char *devices_csv);
