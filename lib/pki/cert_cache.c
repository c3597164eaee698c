/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoded certificates kept by the SHA-256 of their DER (issue 14). OpenSSL 3
 * builds a decoder context for the public key of every certificate it parses
 * (OSSL_DECODER_CTX_new_for_pkey, most of a d2i_X509), and one provisioning
 * decodes the same few certificates several times in each process: the DPF
 * asks its SHO for Cert_TRE at each DM message and again for the outcome,
 * the device decodes Cert_SHO[i+1] for each DM session. perf showed the
 * decoding at 11-12 % of the device side's and the DPF's CPU.
 *
 * A hit hands out the same X509 with one more reference: callers free it as
 * before. Nothing in the tree changes a decoded certificate (the issuing code
 * builds its own with X509_new), and OpenSSL guards the one cache an X509
 * fills itself (its extensions, under x->lock), so a shared one is safe to
 * use from several threads. Certificates are public: nothing secret is kept.
 * Bounded: a fixed table, the oldest entry replaced; a certificate that fails
 * to decode is never kept. Only threads on the process-wide library context
 * use it (cert.c on_global_ctx): a key decoded in a context of its own dies
 * with that context.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

#include "pki_impl.h"

#define CERT_CACHE_SLOTS 64

static struct {
	uint8_t id[SHA256_DIGEST_LENGTH];
	X509 *x;
} slots[CERT_CACHE_SLOTS];
static unsigned next_slot;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

X509 *pki_cert_cache_get(const uint8_t id[static SHA256_DIGEST_LENGTH])
{
	X509 *x = NULL;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < CERT_CACHE_SLOTS && !x; i++)
		if (slots[i].x && !memcmp(slots[i].id, id, SHA256_DIGEST_LENGTH) && X509_up_ref(slots[i].x) == 1)
			x = slots[i].x;
	pthread_mutex_unlock(&lock);
	return x;
}

void pki_cert_cache_put(const uint8_t id[static SHA256_DIGEST_LENGTH], X509 *x)
{
	if (X509_up_ref(x) != 1)
		return;
	pthread_mutex_lock(&lock);
	X509 *old = slots[next_slot].x;
	memcpy(slots[next_slot].id, id, SHA256_DIGEST_LENGTH);
	slots[next_slot].x = x;
	next_slot = (next_slot + 1) % CERT_CACHE_SLOTS;
	pthread_mutex_unlock(&lock);
	X509_free(old);
}
