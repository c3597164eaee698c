/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS policy (tls_policy.h) for OpenSSL contexts and libcurl handles. */
#include <openmcim/err.h>

#include "tls_policy.h"

int om_tls_policy_ctx(SSL_CTX *ctx)
{
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, OM_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, OM_TLS13_SUITES) != 1)
		return OM_ECRYPTO;
	/* a client may not ask for a new handshake: each costs the server a private-key operation */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	return 0;
}

int om_tls_policy_curl(CURL *c)
{
	if (!c || curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, OM_TLS12_CIPHERS) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TLS13_CIPHERS, OM_TLS13_SUITES) != CURLE_OK)
		return OM_ECRYPTO;
	return 0;
}
