/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootstrap of spec/002 B.2.3.3: an OMA Client Provisioning document
 * (wap-provisioningdoc with BOOTSTRAP, NAPDEF, and an APPLICATION w7 for the
 * DM server) carrying {PROVURL, Cert_SHO[i+1], PuK_TRE(DM credentials,
 * nonceA)}, signed with XML-DSig by SHO[i] (the DRF's operator).
 *
 * One codec for both ends: the DRF builds and signs with
 * om_bootstrap_build_signed(); the TRE verifies with om_bootstrap_verify()
 * against its current trust root Cert_SHO[i] before it trusts a byte.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/err.h>

#define OM_NONCE_LEN 16
/*
 * The media type of the bootstrap on the push path (DRF -> VNO -> device),
 * the one docs/formats.md names: the pushed bytes are the enveloping
 * XML-DSig, not a bare CP document, so not OMA CP's
 * text/vnd.wap.connectivity-xml (that is the type of the signed payload
 * once the TRE has verified and unwrapped it; docs/decisions.md).
 */
#define OM_BOOTSTRAP_CONTENT_TYPE "application/vnd.openmcim.signed-cp+xml"
#define OM_BOOTSTRAP_URL_MAX 255
#define OM_BOOTSTRAP_NAME_MAX 63
#define OM_BOOTSTRAP_APN_MAX 100

/* What the DRF sends (B.2.3.3). Buffers are owned by the struct. */
struct om_bootstrap {
	char provurl[OM_BOOTSTRAP_URL_MAX + 1];      /* the DPF's address (APPLICATION/ADDR) */
	char server_id[OM_BOOTSTRAP_NAME_MAX + 1];   /* DM server id (APPLICATION/PROVIDER-ID) */
	char apn[OM_BOOTSTRAP_APN_MAX + 1];          /* NAPDEF/NAP-ADDRESS: the APN towards the DPF */
	uint32_t sequence;                           /* bootstrap counter of this TRE, see docs */
	uint8_t *sho_cert;                           /* Cert_SHO[i+1], DER */
	size_t sho_cert_len;
	uint8_t *creds;                              /* PuK_TRE(DM credentials, nonceA): protect.h object, tag 0x04 */
	size_t creds_len;
	/*
	 * Optional, both or neither: the status of the signer's certificate
	 * Cert_SHO[i] (spec/000 5.2.2.3.2 step 7), a DER OCSPResponse the DRF
	 * staples, and the DER certificate of the CA that issued Cert_SHO[i]
	 * (om_cert_status_check()). The codec only carries them.
	 */
	uint8_t *signer_status;
	size_t signer_status_len;
	uint8_t *signer_issuer;
	size_t signer_issuer_len;
};

/*
 * Build the CP document for b and sign it (enveloping XML-DSig, exclusive
 * C14N, SHA-256; ECDSA-SHA256 or RSA-SHA256 by the key's type) with SHO[i]'s
 * key, putting sho_cert in KeyInfo. *out is malloc'd XML; the caller frees it.
 */
OM_NODISCARD int om_bootstrap_build_signed(const struct om_bootstrap *b, EVP_PKEY *sho_key, X509 *sho_cert,
					   uint8_t **out, size_t *out_len);

/*
 * Verify xml's signature with trust_root's public key (never with a key
 * found in the document), then parse it into out. On any failure out is
 * left empty (om_bootstrap_free() is still safe) and a specific code is
 * returned: signature, structure, missing field, too long, and so on.
 */
OM_NODISCARD int om_bootstrap_verify(const uint8_t *xml, size_t len, X509 *trust_root, struct om_bootstrap *out);

void om_bootstrap_free(struct om_bootstrap *b);

/*
 * The DM credentials and nonceA that travel encrypted for the TRE inside the
 * bootstrap (protect.h object with tag OM_PROTECT_TAG_DM_CREDENTIALS).
 */
struct om_dm_creds {
	char username[OM_BOOTSTRAP_NAME_MAX + 1];
	char password[OM_BOOTSTRAP_NAME_MAX + 1];  /* secret */
	uint8_t nonce_a[OM_NONCE_LEN];
};

/* Encode/decode the plaintext payload of the credentials object. */
OM_NODISCARD int om_dm_creds_encode(const struct om_dm_creds *c, uint8_t *out, size_t cap);
OM_NODISCARD int om_dm_creds_decode(struct om_dm_creds *c, const uint8_t *in, size_t len);
void om_dm_creds_clear(struct om_dm_creds *c);
