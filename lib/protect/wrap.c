/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PuK_TRE(PIK|PCK) of B.2.3.6. The text leaves the public-key scheme open;
 * ours (docs/formats.md "Wrapped key"):
 *  - RSA: RSAES-OAEP (RFC 8017 7.1), SHA-256 and MGF1-SHA-256, label = header.
 *  - EC (P-256, X25519): ECIES as in SEC 1 5.1 with an ephemeral key:
 *      Z   = ECDH(eph, PuK_TRE)                 (x-coordinate for P-256)
 *      KEK = HKDF-SHA-256(salt = none, IKM = Z, info = header | epk | pkR, 32)
 *      W   = epk | AES-256-KWP_KEK(PIK|PCK)     (RFC 5869, RFC 5649)
 *    epk and pkR (the TRE's own public key) are in the info so that neither
 *    can be swapped, nor an X25519 point re-encoded (RFC 7748 5 ignores the
 *    top bit), without changing the KEK.
 * Binding the header here is what makes a changed suite or length refuse to
 * open, since the text's MAC covers only ENC_PCK(data).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "protect_int.h"

#define P256_POINT_LEN 65 /* 0x04 | X | Y (SEC 1 2.3.3, uncompressed) */
#define X25519_LEN 32
#define Z_LEN 32
#define KEYS_MAX (2 * OM_PROTECT_KEY_MAX)
#define INFO_MAX (OM_PROTECT_HEADER_LEN + 2 * P256_POINT_LEN)

int omp_wrap_for_key(EVP_PKEY *pkey, size_t *rsa_bytes)
{
	if (!pkey)
		return 0;
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		int n = EVP_PKEY_get_size(pkey);
		if (n < OMP_RSA_MIN_BYTES || n > OMP_RSA_MAX_BYTES)
			return 0;
		if (rsa_bytes)
			*rsa_bytes = (size_t)n;
		return OM_PROTECT_WRAP_RSA_OAEP;
	}
	if (EVP_PKEY_is_a(pkey, "X25519"))
		return OM_PROTECT_WRAP_ECIES_X25519;
	if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[32];
		size_t glen = 0;
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) &&
		    strcmp(group, "prime256v1") == 0)
			return OM_PROTECT_WRAP_ECIES_P256;
	}
	return 0;
}

static size_t epk_len(int wrap)
{
	return wrap == OM_PROTECT_WRAP_ECIES_P256 ? P256_POINT_LEN : X25519_LEN;
}

/* RFC 5649: the key data padded to 8 bytes plus the 8-byte integrity block. */
static size_t kwp_len(size_t n)
{
	return (n + 7) / 8 * 8 + 8;
}

size_t omp_wrapped_len(int wrap, const struct omp_suite *s, size_t rsa_bytes)
{
	switch (wrap) {
	case OM_PROTECT_WRAP_RSA_OAEP:
		return rsa_bytes;
	case OM_PROTECT_WRAP_ECIES_P256:
	case OM_PROTECT_WRAP_ECIES_X25519:
		return epk_len(wrap) + kwp_len(s->pik_len + s->pck_len);
	default:
		return 0;
	}
}

/* PIK | PCK, in the order of the text's PuK_TRE(PIK|PCK). */
static size_t key_block(const struct omp_suite *s, const struct om_protect_keys *keys,
			uint8_t kb[static KEYS_MAX])
{
	memcpy(kb, keys->pik, s->pik_len);
	memcpy(kb + s->pik_len, keys->pck, s->pck_len);
	return s->pik_len + s->pck_len;
}

static int rsa_oaep(EVP_PKEY *key, int enc, const uint8_t hdr[static OM_PROTECT_HEADER_LEN],
		    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, OSSL_PKEY_RSA_PAD_MODE_OAEP, 0),
		OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, (void *)hdr,
						  OM_PROTECT_HEADER_LEN),
		OSSL_PARAM_construct_end(),
	};
	OSSL_LIB_CTX *lib = NULL;
	const char *propq = NULL;
	(void)om_key_hw(key, &lib, &propq); /* a TPM key decrypts in the TPM */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(lib, key, propq);
	int ok = 0;
	if (ctx && enc)
		ok = EVP_PKEY_encrypt_init_ex(ctx, params) > 0 &&
		     EVP_PKEY_encrypt(ctx, out, out_len, in, in_len) > 0;
	else if (ctx)
		ok = EVP_PKEY_decrypt_init_ex(ctx, params) > 0 &&
		     EVP_PKEY_decrypt(ctx, out, out_len, in, in_len) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static EVP_PKEY *peer_from_bytes(int wrap, const uint8_t *epk)
{
	if (wrap == OM_PROTECT_WRAP_ECIES_X25519)
		return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, epk, X25519_LEN);
	/* only the uncompressed form: one encoding per point, nothing to re-encode */
	if (epk[0] != 0x04)
		return NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)epk, P256_POINT_LEN),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* ECDH; the peer is validated (on the curve, not the identity) by OpenSSL's derive. */
static int ecdh(EVP_PKEY *own, EVP_PKEY *peer, uint8_t z[static Z_LEN])
{
	OSSL_LIB_CTX *lib = NULL;
	const char *propq = NULL;
	(void)om_key_hw(own, &lib, &propq); /* a TPM key agrees in the TPM (TPM2_ECDH_ZGen) */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(lib, own, propq);
	size_t zl = Z_LEN;
	int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
		 EVP_PKEY_derive(ctx, z, &zl) > 0 && zl == Z_LEN;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int public_bytes(EVP_PKEY *pkey, uint8_t *out, size_t len)
{
	size_t got = 0;
	if (om_key_hw(pkey, NULL, NULL)) {
		/* the TPM provider gives no encoded point: take it from a public copy */
		unsigned char *der = NULL;
		int n = i2d_PUBKEY(pkey, &der);
		const unsigned char *p = der;
		EVP_PKEY *pub = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
		int ok = pub && public_bytes(pub, out, len);
		EVP_PKEY_free(pub);
		OPENSSL_free(der);
		return ok;
	}
	return EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, len, &got) &&
	       got == len;
}

/* KEK = HKDF-SHA-256(IKM = Z, info = header | epk | pkR), RFC 5869 with no salt. */
static int kek_derive(const uint8_t z[static Z_LEN], const uint8_t hdr[static OM_PROTECT_HEADER_LEN],
		      const uint8_t *epk, const uint8_t *pkr, size_t pk_len, uint8_t kek[static OMP_KEK_LEN])
{
	uint8_t info[INFO_MAX];
	size_t n = 0;
	memcpy(info, hdr, OM_PROTECT_HEADER_LEN);
	n += OM_PROTECT_HEADER_LEN;
	memcpy(info + n, epk, pk_len);
	n += pk_len;
	memcpy(info + n, pkr, pk_len);
	n += pk_len;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, Z_LEN),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
		OSSL_PARAM_construct_end(),
	};
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(omp_algs()->hkdf);
	int ok = ctx && EVP_KDF_derive(ctx, kek, OMP_KEK_LEN, params) > 0;
	EVP_KDF_CTX_free(ctx);
	return ok;
}

/* AES-256 key wrap with padding (RFC 5649), default alternative IV. */
static int kwp(int enc, const uint8_t kek[static OMP_KEK_LEN], const uint8_t *in, size_t in_len,
	       uint8_t *out, size_t *out_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	int ok = ctx && EVP_CipherInit_ex2(ctx, omp_algs()->aes256_kwp, kek, NULL, enc, NULL) &&
		 EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) && EVP_CipherFinal_ex(ctx, out + n, &fin);
	*out_len = ok ? (size_t)n + (size_t)fin : 0;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

static int ecies_wrap(EVP_PKEY *puk, int wrap, const uint8_t *kb, size_t kb_len,
		      const uint8_t hdr[static OM_PROTECT_HEADER_LEN], EVP_PKEY *eph_fixed, uint8_t *out,
		      size_t wrapped_len)
{
	size_t pl = epk_len(wrap), got = 0;
	uint8_t z[Z_LEN], kek[OMP_KEK_LEN], pkr[P256_POINT_LEN];
	EVP_PKEY *eph = eph_fixed;
	int r = OM_ECRYPTO;
	if (!eph)
		eph = wrap == OM_PROTECT_WRAP_ECIES_P256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
							 : EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (!eph || omp_wrap_for_key(eph, NULL) != wrap)
		goto out;
	if (!public_bytes(eph, out, pl) || !public_bytes(puk, pkr, pl) || !ecdh(eph, puk, z) ||
	    !kek_derive(z, hdr, out, pkr, pl, kek) || !kwp(1, kek, kb, kb_len, out + pl, &got) ||
	    pl + got != wrapped_len)
		goto out;
	r = 0;
out:
	if (eph != eph_fixed)
		EVP_PKEY_free(eph);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kek, sizeof(kek));
	return r;
}

int omp_wrap(EVP_PKEY *puk, int wrap, const struct omp_suite *s, const struct om_protect_keys *keys,
	     const uint8_t hdr[static OM_PROTECT_HEADER_LEN], EVP_PKEY *eph, uint8_t *out,
	     size_t wrapped_len)
{
	uint8_t kb[KEYS_MAX];
	size_t kb_len = key_block(s, keys, kb), got = wrapped_len;
	int r;
	if (wrap == OM_PROTECT_WRAP_RSA_OAEP)
		r = rsa_oaep(puk, 1, hdr, kb, kb_len, out, &got) && got == wrapped_len ? 0 : OM_ECRYPTO;
	else
		r = ecies_wrap(puk, wrap, kb, kb_len, hdr, eph, out, wrapped_len);
	OPENSSL_cleanse(kb, sizeof(kb));
	return r;
}

static int ecies_unwrap(EVP_PKEY *prk, int wrap, const uint8_t hdr[static OM_PROTECT_HEADER_LEN],
			const uint8_t *in, size_t wrapped_len, uint8_t *kb, size_t *kb_len)
{
	size_t pl = epk_len(wrap);
	uint8_t z[Z_LEN], kek[OMP_KEK_LEN], pkr[P256_POINT_LEN];
	EVP_PKEY *peer = peer_from_bytes(wrap, in);
	int ok = peer && public_bytes(prk, pkr, pl) && ecdh(prk, peer, z) &&
		 kek_derive(z, hdr, in, pkr, pl, kek) && kwp(0, kek, in + pl, wrapped_len - pl, kb, kb_len);
	EVP_PKEY_free(peer);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kek, sizeof(kek));
	return ok;
}

int omp_unwrap(EVP_PKEY *prk, int wrap, const struct omp_suite *s,
	       const uint8_t hdr[static OM_PROTECT_HEADER_LEN], const uint8_t *in, size_t wrapped_len,
	       struct om_protect_keys *keys)
{
	/*
	 * OpenSSL wants room for a whole RSA block when it decrypts, and for the
	 * whole input when it unwraps (RFC 5649), though PIK|PCK is shorter.
	 */
	uint8_t kb[OMP_RSA_MAX_BYTES];
	size_t kb_len = sizeof(kb);
	int ok;
	memset(keys, 0, sizeof(*keys));
	if (wrap == OM_PROTECT_WRAP_RSA_OAEP)
		ok = rsa_oaep(prk, 0, hdr, in, wrapped_len, kb, &kb_len);
	else
		ok = ecies_unwrap(prk, wrap, hdr, in, wrapped_len, kb, &kb_len);
	ok = ok && kb_len == s->pik_len + s->pck_len;
	if (ok) {
		keys->suite = s->id;
		memcpy(keys->pik, kb, s->pik_len);
		memcpy(keys->pck, kb + s->pik_len, s->pck_len);
	} else {
		/* a refusal is an expected outcome here, not a library fault to report later */
		ERR_clear_error();
	}
	OPENSSL_cleanse(kb, sizeof(kb));
	return ok ? 0 : OM_EPROTECT_UNWRAP;
}
