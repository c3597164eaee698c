/* SPDX-License-Identifier: Apache-2.0 */
/* The protection suites of docs/formats.md and the algorithms they use. */
#include <pthread.h>

#include <openssl/kdf.h>

#include "protect_int.h"

static struct omp_algs algs;
static int algs_ok;
static struct omp_suite suites[2];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/*
 * Fetched once and kept for the life of the process: an implicit fetch per
 * EVP_CipherInit costs more than the AES of a whole MCIM object.
 */
static void fetch(void)
{
	algs.aes128_cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	algs.aes256_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	algs.aes256_kwp = EVP_CIPHER_fetch(NULL, "AES-256-WRAP-PAD", NULL);
	algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	algs.hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	algs_ok = algs.aes128_cbc && algs.aes256_cbc && algs.aes256_kwp && algs.hmac && algs.hkdf;

	/* B.2.3.6 names AES-CBC and HMAC-SHA1; PIK is as long as SHA-1's output (RFC 2104 sec. 3). */
	suites[0] = (struct omp_suite){ OM_PROTECT_AES128CBC_HMACSHA1, 16, 20, 20, algs.aes128_cbc, "SHA1" };
	suites[1] = (struct omp_suite){ OM_PROTECT_AES256CBC_HMACSHA256, 32, 32, 32, algs.aes256_cbc,
					"SHA256" };
}

const struct omp_algs *omp_algs(void)
{
	if (pthread_once(&once, fetch) != 0)
		return NULL;
	return algs_ok ? &algs : NULL;
}

const struct omp_suite *omp_suite(int id)
{
	if (!omp_algs())
		return NULL;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

size_t om_protect_pik_len(int suite)
{
	const struct omp_suite *s = omp_suite(suite);
	return s ? s->pik_len : 0;
}

size_t om_protect_pck_len(int suite)
{
	const struct omp_suite *s = omp_suite(suite);
	return s ? s->pck_len : 0;
}

size_t om_protect_mac_len(int suite)
{
	const struct omp_suite *s = omp_suite(suite);
	return s ? s->mac_len : 0;
}

void omp_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void omp_put32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t omp_get16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

size_t omp_get32(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}
