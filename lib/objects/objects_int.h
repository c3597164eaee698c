/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the objects module: the VENDORCONFIG values' decoding, the names
 * of the CP document (docs/formats.md, "Bootstrap document (B.2.3.3)"),
 * and the one-time xmlsec set-up. Not a public API.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

/* The largest bootstrap we read: a certificate, a credentials object and names. */
#define OMO_DOC_MAX 32768
/* Upper bounds on the decoded VENDORCONFIG blobs. */
#define OMO_CERT_MAX 4096
#define OMO_CREDS_MAX 4096
#define OMO_STATUS_MAX 4096

#define OMO_DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define OMO_ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define OMO_ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define OMO_ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define OMO_ALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

/* The VENDORCONFIG NAME that marks the openmcim characteristic (NOTE 2 of B.2.3.3). */
#define OMO_VENDOR_NAME "openmcim-tr33812"
/* NAPDEF/NAPID and APPLICATION/TO-NAPID: the one network access point. */
#define OMO_NAPID "openmcim-dpf"
/*
 * The Id of the one ds:Object that carries the wap-provisioningdoc inside
 * the enveloping signature, and the Reference URI that names it.
 */
#define OMO_OBJECT_ID "cp"
/* NAPDEF/BEARER: OMA CP's value for a 3GPP packet bearer (an APN) */
#define OMO_BEARER "GSM-GPRS"
/* APPAUTH/AAUTHTYPE: the DM session's client scheme, syncml:auth-md5 (docs/dm.md) */
#define OMO_AAUTHTYPE "DIGEST"
#define OMO_OBJECT_URI "#" OMO_OBJECT_ID

/*
 * Decode a VENDORCONFIG value (strict base64, include/openmcim/base64.h) of
 * at most max bytes. *out is malloc'd. Returns 0, OM_EOBJ_BASE64,
 * OM_EOBJ_TOO_LONG or OM_ENOMEM.
 */
OM_NODISCARD int omo_b64_decode(const char *in, size_t max, uint8_t **out, size_t *out_len);

/* Initialise libxml2 and xmlsec once per process. Returns 0 or OM_ECRYPTO. */
OM_NODISCARD int omo_xmlsec_init(void);
