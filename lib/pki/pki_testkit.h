/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the pki tests share: a fresh key, a certificate issued from a CSR,
 * and a TRE's two certificates as X509. Each step is CHECKed where it
 * happens. Test code only.
 */
#pragma once

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "check.h"

static inline EVP_PKEY *pt_key(enum om_key_type type)
{
	EVP_PKEY *k = NULL;
	CHECK_INT(om_key_generate(&k, type), 0);
	return k;
}

/* om_ca_issue_tre() with X509 results; checks a refusal touched no output. */
static inline int pt_issue_tre(struct om_ca *ca, X509_REQ *csr, const char *tre_id, time_t nb, time_t na,
			       X509 **sign_cert, X509 **enc_cert)
{
	uint8_t *sd = (uint8_t *)&sd, *ed = (uint8_t *)&ed;
	size_t sl = 7, el = 7;
	int r = om_ca_issue_tre(ca, csr, tre_id, nb, na, &sd, &sl, &ed, &el);
	if (r < 0) {
		CHECK_MSG(sd == (uint8_t *)&sd && ed == (uint8_t *)&ed && sl == 7 && el == 7,
			  "a refused issuance touched its outputs");
		return r;
	}
	CHECK_INT(om_cert_decode(sign_cert, OM_ENC_DER, sd, sl), 0);
	CHECK_INT(om_cert_decode(enc_cert, OM_ENC_DER, ed, el), 0);
	om_pki_free(sd, sl);
	om_pki_free(ed, el);
	return r;
}

/* A certificate of profile p for k (CN cn, valid nb..na, DNS SAN dns unless NULL) from a CSR k signs. */
static inline X509 *pt_issue(struct om_ca *ca, EVP_PKEY *k, enum om_cert_profile p, const char *cn, time_t nb,
			     time_t na, const char *dns)
{
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct om_issue req = { .profile = p, .cn = cn, .not_before = nb, .not_after = na, .dns_name = dns };
	CHECK_INT(om_csr_create(&csr, k, cn, NULL), 0);
	CHECK_INT(om_ca_issue(ca, csr, &req, &cert), 0);
	X509_REQ_free(csr);
	return cert;
}
