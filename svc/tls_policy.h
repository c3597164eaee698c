/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one TLS policy of every server and client the daemons run (issue 14):
 * TLS 1.3, or TLS 1.2 with ECDHE and an AEAD cipher (AES-GCM or
 * ChaCha20-Poly1305). No CBC, no SHA-1 MACs, no static RSA key exchange, no
 * renegotiation. The S6a link keeps freeDiameter's GnuTLS priority string
 * (docs/s6a.md).
 */
#pragma once

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <openmcim/err.h>

/* TLS 1.2 suites: forward secrecy and AEAD only (RFC 7525 3.2). */
#define OM_TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
/* TLS 1.3 suites (all AEAD; listed so the set is ours, not the library's default). */
#define OM_TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

/* Apply the policy to a server or client context. 0, or OM_ECRYPTO when OpenSSL refuses the lists. */
OM_NODISCARD int om_tls_policy_ctx(SSL_CTX *ctx);

/* Apply the policy to a libcurl handle that speaks HTTPS. 0, or OM_ECRYPTO. */
OM_NODISCARD int om_tls_policy_curl(CURL *c);
