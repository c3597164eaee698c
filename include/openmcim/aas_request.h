/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The activation request (docs/formats.md "Activation request"; docs/aas.md):
 * the device proves to the application activation server (spec/000
 * 5.2.4.6.3 step 7) that it is the TRE it names, over the server's fresh
 * nonce, with PrK_TRE, and carries its Cert_TRE (TRE_SIGNING) so the server
 * needs no list of certificates, only the CA that issued them (the PVA's).
 *
 *   "OMAQ" | version 0x01 | TRE_id length (1) | TRE_id | nonce (16)
 *     | Cert_TRE length (2, BE) | Cert_TRE DER | signature length (2, BE) | signature
 *
 * The signature (om_sign: ECDSA P-256 with SHA-256, or RSASSA-PSS) covers
 * every byte before its length. One codec: the TRE builds it
 * (om_tre_aas_request), the AAS verifies it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/err.h>
#include <openmcim/mobj.h>
#include <openmcim/pki.h>

#define OM_DM_URI_AAS_REQUEST "./M2MActivation"
#define OM_DM_TYPE_AAS_REQUEST "org.openmcim.aas-request"
#define OM_AAS_NONCE_LEN 16
#define OM_AAS_CERT_MAX 4096
#define OM_AAS_REQUEST_MAX (4 + 1 + 1 + OM_TRE_ID_MAX + OM_AAS_NONCE_LEN + 2 + OM_AAS_CERT_MAX + 2 + OM_SIG_MAX_LEN)

/*
 * Build and sign the request into out (cap bytes). tre_id: 1..63 printable
 * ASCII; cert: the DER of Cert_TRE (signing), key its private key. Returns
 * the length, OM_EINVAL, OM_EOBJ_FIELD, OM_EOBJ_TOO_LONG, or om_sign's codes.
 */
OM_NODISCARD int om_aas_request_build(const char *tre_id, const uint8_t nonce[static OM_AAS_NONCE_LEN],
				      const uint8_t *cert, size_t cert_len, EVP_PKEY *key, uint8_t *out, size_t cap);

/*
 * Check a request: its layout, Cert_TRE a TRE_SIGNING certificate that
 * chains to trust at time at (om_cert_verify) and whose CN is the TRE_id
 * it names, and the signature with that certificate's key. On 0 tre_id and
 * nonce hold what it names (the caller compares them with the device's
 * LocName and the nonce it gave), and, when cert is not NULL, *cert the
 * decoded Cert_TRE (the caller frees it; NULL on a refusal), for its
 * revocation check. Returns 0, OM_EOBJ_TRUNCATED,
 * OM_EOBJ_MAGIC, OM_EOBJ_VERSION, OM_EOBJ_FIELD, OM_EOBJ_TOO_LONG,
 * OM_EOBJ_TRAILING, OM_EOBJ_VALUE (the CN is not the TRE_id), om_cert_decode's
 * and om_cert_verify's OM_EPKI_* codes, OM_EOBJ_SIGNATURE.
 */
OM_NODISCARD int om_aas_request_verify(const uint8_t *in, size_t len, X509_STORE *trust, time_t at,
				       char tre_id[static OM_TRE_ID_MAX + 1], uint8_t nonce[static OM_AAS_NONCE_LEN],
				       X509 **cert);
