/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PrK_TRE in a PKCS#11 token as an OpenSSL 3 provider of its own, in this
 * process only (p11_provider.c): Debian bookworm has no pkcs11-provider, and
 * OpenSSL 3.0 signs and agrees only through a provider that holds the key.
 * It offers EC P-256 key management (public half and the token object's
 * handle; the private half stays in the token), ECDSA with SHA-256 (the
 * digest here, C_Sign with CKM_ECDSA in the token) and ECDH (C_DeriveKey
 * with CKM_ECDH1_DERIVE in the token). A key bound to its library context
 * (om_key_bind_hw, propq TRE_P11_PROPQ) signs CSRs, M2MMobj and outcome
 * statements and opens the protected format through the same code as a
 * software or TPM key.
 */
#pragma once

#include <openssl/types.h>

#include "p11_token.h"

#define TRE_P11_PROPQ "?provider=ompkcs11"
#define TRE_P11_PROPQ_ONLY "provider=ompkcs11"
/* import: the private key object's handle (unsigned long) and its CKA_ID (16 bytes); get: the CKA_ID */
#define TRE_P11_PARAM_HANDLE "om-p11-handle"
#define TRE_P11_PARAM_ID "om-p11-id"
#define TRE_P11_ID_LEN 16

/*
 * A library context with the default provider and this one, which takes c
 * over (its session serves every key of that context; disconnected when the
 * context is freed, om_libctx_free). On failure c is disconnected. 0,
 * OM_ENOMEM, OM_ECRYPTO.
 */
OM_NODISCARD int tre_p11_libctx(struct tre_p11 *c, OSSL_LIB_CTX **out);

