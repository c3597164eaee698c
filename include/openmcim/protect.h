/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protected format of TR 33.812 B.2.3.6 (spec/002):
 *
 *   data           = tag | payload_length | payload | version | padding_data
 *   Protected_data = ENC_PCK(data) | MAC_PIK(ENC_PCK(data))
 *   object         = PuK_TRE(PIK|PCK) | Protected_data
 *
 * with an outer header in front that names the key wrap and the protection
 * suite. Every byte is fixed in docs/formats.md; in short:
 *
 *   header(13) | wrapped PIK|PCK | IV(16) | C | MAC
 *
 * ENC is AES-CBC (IV random, padding_data PKCS#7-style, OpenSSL padding off),
 * MAC is HMAC over IV|C (encrypt-then-MAC), checked in constant time before
 * anything is decrypted. PIK|PCK travel under PuK_TRE: RSA-OAEP (SHA-256,
 * MGF1-SHA-256) for RSA keys, ECIES (ephemeral ECDH on P-256 or X25519,
 * HKDF-SHA-256, AES-256 key wrap with padding, RFC 5649) for EC keys. The
 * header is the OAEP label and part of the HKDF info, so an object whose
 * header was changed does not unwrap: the text's MAC covers only ENC_PCK(data).
 *
 * One codec for both sides: the SHO seals, the TRE opens, nobody else parses
 * these bytes. On any error every output buffer is zeroed; secrets (PIK, PCK,
 * plaintext) are cleansed before return.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/err.h>

/* The protection suite: ENC and MAC of B.2.3.6 and the PIK/PCK sizes. */
enum om_protect_suite {
	/* AES-128-CBC + HMAC-SHA1: the algorithms B.2.3.6 names. PCK 16, PIK 20, MAC 20. */
	OM_PROTECT_AES128CBC_HMACSHA1 = 0x01,
	/* AES-256-CBC + HMAC-SHA-256: the default. PCK 32, PIK 32, MAC 32. */
	OM_PROTECT_AES256CBC_HMACSHA256 = 0x02,
};

/* How PuK_TRE(PIK|PCK) is formed; chosen by the type of PuK_TRE. */
enum om_protect_wrap {
	OM_PROTECT_WRAP_RSA_OAEP = 0x01,     /* RSA >= 2048 bits, OAEP SHA-256 */
	OM_PROTECT_WRAP_ECIES_P256 = 0x02,   /* EC key on P-256 */
	OM_PROTECT_WRAP_ECIES_X25519 = 0x03, /* X25519 key */
};

/* The tag of B.2.3.6: "what kind of information is contained in the payload". */
enum om_protect_tag {
	OM_PROTECT_TAG_MCIM = 0x01,           /* an MCIM TLV (mcim.h), B.2.3.4 step V */
	OM_PROTECT_TAG_ALGORITHM = 0x02,      /* algorithm code or constants (reserved) */
	OM_PROTECT_TAG_UPDATE = 0x03,         /* an update of an installed MCIM (reserved) */
	OM_PROTECT_TAG_DM_CREDENTIALS = 0x04, /* DPF username/password and nonceA, B.2.3.2 */
};

#define OM_PROTECT_HEADER_LEN 13
#define OM_PROTECT_IV_LEN 16
#define OM_PROTECT_KEY_MAX 32      /* largest PIK or PCK */
#define OM_PROTECT_MAC_MAX 32      /* largest MAC */
#define OM_PROTECT_PAYLOAD_MAX 65535 /* payload_length is 16 bits */
#define OM_PROTECT_DATA_VERSION 0x01

/* PIK and PCK for one object. Secret: clear with om_protect_keys_clear(). */
struct om_protect_keys {
	uint8_t suite; /* enum om_protect_suite */
	uint8_t pik[OM_PROTECT_KEY_MAX];
	uint8_t pck[OM_PROTECT_KEY_MAX];
};

/* What the outer header of an object says. */
struct om_protect_header {
	uint8_t wrap;        /* enum om_protect_wrap */
	uint8_t suite;       /* enum om_protect_suite */
	size_t wrapped_len;  /* bytes of PuK_TRE(PIK|PCK) */
	size_t ct_len;       /* bytes of C, a non-zero multiple of 16 */
	size_t total_len;    /* bytes of the whole object */
};

/* Lengths of PIK, PCK and MAC for a suite; 0 for an unknown suite. */
size_t om_protect_pik_len(int suite);
size_t om_protect_pck_len(int suite);
size_t om_protect_mac_len(int suite);

/*
 * Fresh random PIK and PCK for suite (bytes beyond the suite's lengths are
 * zero). Returns 0, OM_EPROTECT_SUITE or OM_ERANDOM (keys zeroed).
 */
OM_NODISCARD int om_protect_keys_generate(struct om_protect_keys *keys, int suite);

/*
 * Set PIK and PCK from bytes, e.g. keys an SHO prepared in advance (Note Y of
 * B.2.3.2) or fixed test keys. pik_len and pck_len must be the suite's.
 * Returns 0, OM_EPROTECT_SUITE or OM_ELENGTH (keys zeroed).
 */
OM_NODISCARD int om_protect_keys_set(struct om_protect_keys *keys, int suite, const uint8_t *pik,
				     size_t pik_len, const uint8_t *pck, size_t pck_len);

/* Cleanse PIK and PCK. */
void om_protect_keys_clear(struct om_protect_keys *keys);

/*
 * Bytes of Protected_data = IV | C | MAC for a payload of payload_len bytes
 * under suite; 0 for an unknown suite or a payload over OM_PROTECT_PAYLOAD_MAX.
 */
size_t om_protect_data_len(int suite, size_t payload_len);

/*
 * Protected_data under given PIK/PCK: data = tag | payload_length | payload |
 * version | padding_data, encrypted with PCK under a fresh random IV, then
 * MACed with PIK. tag must not be 0.
 * Returns the bytes written to out, or OM_EPROTECT_SUITE, OM_EINVAL (tag 0),
 * OM_ELENGTH (payload too long), OM_ENOSPC, OM_ERANDOM, OM_ECRYPTO; on error
 * out[0..cap) is zeroed.
 */
OM_NODISCARD int om_protect_data_seal(const struct om_protect_keys *keys, uint8_t tag,
				      const uint8_t *payload, size_t payload_len, uint8_t *out,
				      size_t cap);

/*
 * Open Protected_data under given PIK/PCK: MAC checked first in constant
 * time, then decryption, then padding_data, tag, payload_length and version.
 * Returns the payload length written to out, or OM_EPROTECT_TRUNCATED (too
 * short or not whole blocks), OM_EPROTECT_MAC, OM_EPROTECT_PADDING,
 * OM_EPROTECT_TAG, OM_EPROTECT_PAYLOAD_LEN, OM_EPROTECT_VERSION, OM_ENOSPC,
 * OM_EPROTECT_SUITE, OM_ENOMEM, OM_ECRYPTO; on error out[0..cap) is zeroed.
 */
OM_NODISCARD int om_protect_data_open(const struct om_protect_keys *keys, uint8_t tag,
				      const uint8_t *pd, size_t pd_len, uint8_t *out, size_t cap);

/*
 * Bytes of a whole object sealed to puk_tre under suite for a payload of
 * payload_len bytes. Returns the length, or OM_EPROTECT_SUITE, OM_ELENGTH,
 * OM_EUNSUPPORTED (key type or size not usable).
 */
OM_NODISCARD int om_protect_sealed_len(EVP_PKEY *puk_tre, int suite, size_t payload_len);

/*
 * Build the M2MMCIM object PuK_TRE(PIK|PCK) | Protected_data with fresh PIK
 * and PCK (cleansed before return). The wrap follows the key type: RSA
 * (>= 2048 bits), EC P-256, or X25519.
 * Returns the bytes written, or OM_EPROTECT_SUITE, OM_EUNSUPPORTED (key),
 * OM_EINVAL (tag 0), OM_ELENGTH, OM_ENOSPC, OM_ERANDOM, OM_ECRYPTO; on error
 * out[0..cap) is zeroed.
 */
OM_NODISCARD int om_protect_seal(EVP_PKEY *puk_tre, int suite, uint8_t tag, const uint8_t *payload,
				 size_t payload_len, uint8_t *out, size_t cap);

/* The same under given PIK/PCK (keys->suite is the suite). */
OM_NODISCARD int om_protect_seal_with_keys(EVP_PKEY *puk_tre, const struct om_protect_keys *keys,
					   uint8_t tag, const uint8_t *payload, size_t payload_len,
					   uint8_t *out, size_t cap);

/*
 * Read the outer header of an object without any key: magic, format
 * version, suite ids, field sizes that the suite fixes, and the total length.
 * Returns 0, OM_EPROTECT_TRUNCATED, OM_EPROTECT_HEADER, OM_EPROTECT_SUITE or
 * OM_EPROTECT_TRAILING; on error *hdr is zeroed.
 */
OM_NODISCARD int om_protect_inspect(const uint8_t *obj, size_t len, struct om_protect_header *hdr);

/*
 * Open an object with PrK_TRE and return the payload of a data block whose
 * tag is `tag`: header, key fit, lengths, unwrap, MAC (constant time), then
 * decryption and the checks of om_protect_data_open().
 * Returns the payload length, or one of the codes of om_protect_inspect(),
 * OM_EPROTECT_KEYTYPE (the object is wrapped for another kind of key),
 * OM_EPROTECT_UNWRAP (wrong key or altered wrapped key), OM_EUNSUPPORTED,
 * and the codes of om_protect_data_open(); on error out[0..cap) is zeroed.
 */
OM_NODISCARD int om_protect_open(EVP_PKEY *prk_tre, uint8_t tag, const uint8_t *obj, size_t len,
				 uint8_t *out, size_t cap);
