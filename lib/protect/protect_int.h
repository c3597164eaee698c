/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the protect module: the suite table, the algorithms fetched once,
 * the key wrap, and the test hooks that build deliberately wrong data blocks
 * (correctly MACed) or fix the random parts so a worked example is
 * reproducible. Not a public API.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/protect.h>

#define OMP_MAGIC "OMPD"
#define OMP_FORMAT_VERSION 0x01
#define OMP_BLOCK 16
#define OMP_KEK_LEN 32
/* RSA moduli we wrap to: 2048 to 8192 bits */
#define OMP_RSA_MIN_BYTES 256
#define OMP_RSA_MAX_BYTES 1024
/* The longest C: data for the longest payload, padded to whole blocks. */
#define OMP_CT_MAX ((1 + 2 + OM_PROTECT_PAYLOAD_MAX + 1) / OMP_BLOCK * OMP_BLOCK + OMP_BLOCK)

struct omp_suite {
	uint8_t id;
	size_t pck_len, pik_len, mac_len;
	const EVP_CIPHER *cbc;
	const char *digest; /* HMAC digest name */
};

/* Algorithms fetched once per process (OpenSSL 3 fetch is costly). */
struct omp_algs {
	EVP_CIPHER *aes128_cbc, *aes256_cbc, *aes256_kwp;
	EVP_MAC *hmac;
	EVP_KDF *hkdf;
};

/* NULL when the provider lacks an algorithm. */
const struct omp_algs *omp_algs(void);

/* The suite for an id, or NULL (unknown id, or algorithms unavailable). */
const struct omp_suite *omp_suite(int id);

/* Big-endian field helpers. */
void omp_put16(uint8_t *p, size_t v);
void omp_put32(uint8_t *p, size_t v);
size_t omp_get16(const uint8_t *p);
size_t omp_get32(const uint8_t *p);

/*
 * Protected_data = IV | C | MAC over data that is already formatted in
 * out[OM_PROTECT_IV_LEN .. + data_len) (data_len a multiple of 16); the
 * encryption runs in place. iv NULL means a fresh random IV.
 * Returns the Protected_data length or a negative code (out not cleared).
 */
OM_NODISCARD int omp_data_seal_in_place(const struct omp_suite *s, const struct om_protect_keys *keys,
					const uint8_t *iv, uint8_t *out, size_t data_len);

/*
 * Write data = tag | payload_length | payload | version | padding_data into
 * out (cap bytes). Returns its length, OM_ELENGTH or OM_ENOSPC.
 */
OM_NODISCARD int omp_data_format(uint8_t tag, uint8_t version, const uint8_t *payload,
				 size_t payload_len, uint8_t *out, size_t cap);

/* Bytes of data for a payload: whole blocks with 1..16 bytes of padding_data. */
size_t omp_data_len(size_t payload_len);

/* The wrap that fits a key, or 0; for RSA also the modulus bytes. */
int omp_wrap_for_key(EVP_PKEY *pkey, size_t *rsa_bytes);

/* Bytes of PuK_TRE(PIK|PCK) for a wrap, suite and (RSA) modulus size. */
size_t omp_wrapped_len(int wrap, const struct omp_suite *s, size_t rsa_bytes);

/*
 * PuK_TRE(PIK|PCK) into out[0..wrapped_len), bound to the header hdr.
 * eph is the ephemeral key for ECIES (NULL: a fresh one; test hook only).
 * Returns 0 or OM_ECRYPTO / OM_ERANDOM / OM_ENOMEM.
 */
OM_NODISCARD int omp_wrap(EVP_PKEY *puk, int wrap, const struct omp_suite *s,
			  const struct om_protect_keys *keys, const uint8_t hdr[static OM_PROTECT_HEADER_LEN],
			  EVP_PKEY *eph, uint8_t *out, size_t wrapped_len);

/*
 * Recover PIK|PCK from in[0..wrapped_len) with prk, bound to hdr.
 * Returns 0, OM_EPROTECT_UNWRAP, OM_ENOMEM or OM_ECRYPTO; keys zeroed on error.
 */
OM_NODISCARD int omp_unwrap(EVP_PKEY *prk, int wrap, const struct omp_suite *s,
			    const uint8_t hdr[static OM_PROTECT_HEADER_LEN], const uint8_t *in,
			    size_t wrapped_len, struct om_protect_keys *keys);

/* Test hooks for om_protect_seal_with_keys(): any field may be NULL. */
struct omp_seal_hooks {
	EVP_PKEY *eph;          /* fixed ECIES ephemeral key */
	const uint8_t *iv;      /* fixed IV, OM_PROTECT_IV_LEN bytes */
	const uint8_t *data;    /* data used verbatim instead of formatting one */
	size_t data_len;        /* a non-zero multiple of 16 */
};

OM_NODISCARD int omp_seal(EVP_PKEY *puk, const struct om_protect_keys *keys, uint8_t tag,
			  const uint8_t *payload, size_t payload_len, const struct omp_seal_hooks *hooks,
			  uint8_t *out, size_t cap);
