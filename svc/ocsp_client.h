/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OCSP client (RFC 6960) for the status of TRE certificates at the PVA:
 * the SHO asks before it registers a device (spec/002 B.2.3.2), the DPF
 * before it provisions one. Requests are built with OpenSSL's OCSP API
 * (one CertID per certificate, SHA-1 as RFC 6960 4.1.1 and every responder
 * expect, a fresh 16-byte nonce), POSTed with libcurl (RFC 6960 A.1), and
 * the answer is trusted only when:
 *   - responseStatus is successful and it is a BasicOCSPResponse;
 *   - it is signed by the issuing CA itself, or by a delegated responder
 *     the CA certified with id-kp-OCSPSigning (RFC 6960 4.2.2.2), the
 *     chain checked against the trust store given here (never against
 *     certificates found only in the response);
 *   - it echoes our nonce (RFC 8954);
 *   - thisUpdate is not in the future and nextUpdate, when present, not
 *     in the past (5 minutes of leeway), and thisUpdate is at most
 *     max_age seconds old;
 *   - it holds a status for every certificate asked about.
 *
 * Thread safety: any number of threads may check on one client at once;
 * its connections to the responder are kept (svc/https_client.h), so a
 * daemon makes one client per responder, not one per check.
 */
#pragma once

#include <stddef.h>

#include <openssl/x509.h>

#include <openmcim/err.h>

#include "svc_err.h"

enum om_ocsp_status {
	OM_OCSP_GOOD = 0,
	OM_OCSP_REVOKED = 1,
	OM_OCSP_UNKNOWN = 2,
};

/* Certificates per request; om_ocsp_check() splits longer lists. */
#define OM_OCSP_BATCH 128

struct om_ocsp_client;

struct om_ocsp_options {
	long timeout_ms; /* whole exchange per request, waiting for a free link included; 0: 10000 */
	long max_age_s;  /* oldest thisUpdate accepted; 0: 86400 */
};

/*
 * A client for the responder at url ("http://" or "https://") answering
 * for certificates issued by issuer; trust holds the roots the responder's
 * signature must chain to (the PVA's CA). Both are referenced (up-ref'd),
 * not copied. opts may be NULL. Returns 0, OM_EINVAL or OM_ENOMEM.
 */
OM_NODISCARD int om_ocsp_client_new(struct om_ocsp_client **out, const char *url, X509 *issuer,
				    X509_STORE *trust, const struct om_ocsp_options *opts);

void om_ocsp_client_free(struct om_ocsp_client *c);

/*
 * The status of each of certs[0..n) (all issued by the client's issuer):
 * status[i] gets an enum om_ocsp_status. One request per OM_OCSP_BATCH
 * certificates. Returns 0 when every answer was trusted (whatever the
 * statuses), or OM_EINVAL, OM_ENOMEM, OM_ERANDOM, OM_ECRYPTO,
 * OM_EOCSP_TRANSPORT, OM_EOCSP_RESPONSE, OM_EOCSP_SIGNATURE,
 * OM_EOCSP_NONCE, OM_EOCSP_TIME or OM_EOCSP_MISSING, with a one-line
 * reason in why (may be NULL); status[] is then undefined.
 */
OM_NODISCARD int om_ocsp_check(struct om_ocsp_client *c, X509 *const *certs, size_t n, int *status,
			       char *why, size_t why_len);
