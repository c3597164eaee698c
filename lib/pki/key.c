/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key pairs: generation, the closed set of key types we accept, and the
 * standard encodings (PKCS#8 for private keys, SubjectPublicKeyInfo for
 * public keys; RFC 5958 and RFC 5280 4.1.2.7).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "pki_impl.h"

int om_key_generate(EVP_PKEY **out, enum om_key_type type)
{
	EVP_PKEY *key = NULL;

	if (!out)
		return OM_EINVAL;
	switch (type) {
	case OM_KEY_EC_P256:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case OM_KEY_RSA_2048:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case OM_KEY_X25519:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		break;
	default:
		return OM_EINVAL;
	}
	if (!key) {
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	*out = key;
	return 0;
}

/*
 * A hardware key's library context, in the key's ex_data. EVP_PKEY_free
 * frees the provider's key data before the ex_data, so the context (and
 * with it the provider and its connection to the TPM) goes last.
 */
struct hw_ctx {
	int refs;          /* holders of the key (om_key_up_ref), under hw_lock */
	OSSL_LIB_CTX *lib; /* NULL: a public key standing for one the hardware keeps (blob) */
	char propq[64];
	uint8_t *blob; /* the hardware's opaque handle of the key, not secret */
	size_t blob_len;
};

static int hw_index = -1;
static pthread_once_t hw_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t hw_lock = PTHREAD_MUTEX_INITIALIZER;

static int collect(OSSL_PROVIDER *p, void *arg)
{
	OSSL_PROVIDER **all = arg;
	for (int i = 0; i < 8; i++) {
		if (!all[i]) {
			all[i] = p;
			return 1;
		}
	}
	return 0;
}

void om_libctx_free(OSSL_LIB_CTX *lib)
{
	OSSL_PROVIDER *all[8] = { 0 };
	if (!lib)
		return;
	/* OpenSSL 3.0 frees a library context without tearing down the providers
	 * loaded into it (the tpm2 provider's TPM connection would stay) */
	OSSL_PROVIDER_do_all(lib, collect, all);
	for (int i = 0; i < 8 && all[i]; i++)
		OSSL_PROVIDER_unload(all[i]);
	OSSL_LIB_CTX_free(lib);
}

static void hw_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	struct hw_ctx *h = ptr;
	if (h) {
		om_libctx_free(h->lib);
		free(h->blob);
		free(h);
	}
}

static void hw_init(void)
{
	hw_index = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, hw_free);
}

int om_key_bind_hw(EVP_PKEY *key, OSSL_LIB_CTX *lib, const char *propq)
{
	struct hw_ctx *h;
	if (!key || !lib || !propq || strlen(propq) >= sizeof(h->propq))
		return OM_EINVAL;
	if (pthread_once(&hw_once, hw_init) != 0 || hw_index < 0 || EVP_PKEY_get_ex_data(key, hw_index))
		return OM_EINVAL;
	if (!(h = calloc(1, sizeof(*h))))
		return OM_ENOMEM;
	h->refs = 1;
	h->lib = lib;
	memcpy(h->propq, propq, strlen(propq) + 1);
	if (EVP_PKEY_set_ex_data(key, hw_index, h) != 1) {
		free(h);
		return OM_ENOMEM;
	}
	return 0;
}

int om_key_bind_hw_blob(EVP_PKEY *pub, const uint8_t *blob, size_t len)
{
	struct hw_ctx *h;
	if (!pub || !blob || !len)
		return OM_EINVAL;
	if (pthread_once(&hw_once, hw_init) != 0 || hw_index < 0 || EVP_PKEY_get_ex_data(pub, hw_index))
		return OM_EINVAL;
	if (!(h = calloc(1, sizeof(*h))) || !(h->blob = malloc(len))) {
		free(h);
		return OM_ENOMEM;
	}
	h->refs = 1;
	memcpy(h->blob, blob, len);
	h->blob_len = len;
	if (EVP_PKEY_set_ex_data(pub, hw_index, h) != 1) {
		free(h->blob);
		free(h);
		return OM_ENOMEM;
	}
	return 0;
}

int om_key_up_ref(EVP_PKEY *key)
{
	struct hw_ctx *h = NULL;
	if (!key || pthread_once(&hw_once, hw_init) != 0 || hw_index < 0)
		return OM_EINVAL;
	pthread_mutex_lock(&hw_lock);
	int ok = EVP_PKEY_up_ref(key) == 1;
	if (ok && (h = EVP_PKEY_get_ex_data(key, hw_index)))
		h->refs++;
	pthread_mutex_unlock(&hw_lock);
	return ok ? 0 : OM_ENOMEM;
}

void om_key_free(EVP_PKEY *key)
{
	struct hw_ctx *h = NULL;
	if (!key)
		return;
	if (pthread_once(&hw_once, hw_init) == 0 && hw_index >= 0) {
		pthread_mutex_lock(&hw_lock);
		/* the last holder takes the hardware's context off the key; the others only drop theirs */
		if ((h = EVP_PKEY_get_ex_data(key, hw_index)) && --h->refs == 0)
			(void)EVP_PKEY_set_ex_data(key, hw_index, NULL);
		else
			h = NULL;
		pthread_mutex_unlock(&hw_lock);
	}
	EVP_PKEY_free(key); /* the provider's key data first, then its library context */
	hw_free(NULL, h, NULL, 0, 0, NULL);
}

int om_key_hw_blob(const EVP_PKEY *key, const uint8_t **blob, size_t *len)
{
	struct hw_ctx *h;
	if (!key || pthread_once(&hw_once, hw_init) != 0 || hw_index < 0 ||
	    !(h = EVP_PKEY_get_ex_data(key, hw_index)) || !h->blob)
		return 0;
	*blob = h->blob;
	*len = h->blob_len;
	return 1;
}

int om_key_hw(const EVP_PKEY *key, OSSL_LIB_CTX **lib, const char **propq)
{
	struct hw_ctx *h;
	if (!key || pthread_once(&hw_once, hw_init) != 0 || hw_index < 0 ||
	    !(h = EVP_PKEY_get_ex_data(key, hw_index)) || !h->lib)
		return 0;
	if (lib)
		*lib = h->lib;
	if (propq)
		*propq = h->propq;
	return 1;
}

/*
 * Only named P-256 is EC P-256: explicit curve parameters, even when they
 * describe P-256, are refused (RFC 5480 2.1.1: specifiedCurve MUST NOT be
 * used), as OpenSSL's strict chain check refuses them in certificates.
 */
static int is_named_p256(const EVP_PKEY *key)
{
	char group[32], encoding[32];
	size_t n;

	if (!EVP_PKEY_get_group_name(key, group, sizeof(group), &n) ||
	    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0))
		return 0;
	/* a TPM key's curve is a TPM_ECC_CURVE id: always named (TPM 2.0 Part 2, 11.2.5.5) */
	if (om_key_hw(key, NULL, NULL))
		return 1;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
					    sizeof(encoding), &n))
		return 0;
	return strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) == 0;
}

int om_key_type_of(const EVP_PKEY *key)
{
	int r = OM_EPKI_KEY_TYPE;

	if (!key)
		return OM_EINVAL;
	if (EVP_PKEY_is_a(key, "EC")) {
		if (is_named_p256(key))
			r = OM_KEY_EC_P256;
	} else if (EVP_PKEY_is_a(key, "RSA")) {
		/* "RSA" excludes id-RSASSA-PSS keys, whose parameters restrict them */
		if (EVP_PKEY_get_bits(key) == 2048)
			r = OM_KEY_RSA_2048;
	} else if (EVP_PKEY_is_a(key, "X25519")) {
		r = OM_KEY_X25519;
	}
	ERR_clear_error();
	return r;
}

/*
 * SubjectPublicKeyInfo (RFC 5280 4.1.2.7) up to the public key's bits: for
 * named P-256 (RFC 5480 2.1.1, 2.2: id-ecPublicKey, prime256v1, then the
 * uncompressed point) and X25519 (RFC 8410 4: id-X25519, no parameters,
 * then the 32-byte key). The rest of the DER is the raw public key.
 */
static const uint8_t p256_spki_prefix[26] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
					      0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
					      0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
					      0x01, 0x07, 0x03, 0x42, 0x00 };
const uint8_t pki_x25519_spki_prefix[PKI_X25519_SPKI_LEN - 32] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00
};

int pki_key_spki(const EVP_PKEY *key, uint8_t der[static PKI_SPKI_MAX], size_t *len)
{
	size_t n = 0;
	int type = om_key_type_of(key);

	if (type == OM_KEY_X25519) {
		memcpy(der, pki_x25519_spki_prefix, sizeof(pki_x25519_spki_prefix));
		n = 32;
		if (EVP_PKEY_get_raw_public_key(key, der + sizeof(pki_x25519_spki_prefix), &n) != 1 ||
		    n != 32)
			goto slow;
		*len = PKI_X25519_SPKI_LEN;
		return 0;
	}
	if (type == OM_KEY_EC_P256) {
		uint8_t *point = der + sizeof(p256_spki_prefix);
		char form[32];
		memcpy(der, p256_spki_prefix, sizeof(p256_spki_prefix));
		/* the encoder writes the key's point format, the parameter always
		 * the uncompressed point: any other format takes the encoder */
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						   form, sizeof(form), &n) != 1 ||
		    strcmp(form, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 0 ||
		    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
						    PKI_P256_SPKI_LEN - sizeof(p256_spki_prefix),
						    &n) != 1 ||
		    n != PKI_P256_SPKI_LEN - sizeof(p256_spki_prefix) || point[0] != 0x04)
			goto slow;
		*len = PKI_P256_SPKI_LEN;
		return 0;
	}
slow:
	ERR_clear_error();
	return OM_EPKI_KEY_TYPE;
}

int pki_key_is_private(const EVP_PKEY *key)
{
	BIGNUM *bn = NULL;
	size_t n = 0;
	int yes;

	/* the hardware has the private half, and says nothing of it */
	if (om_key_hw(key, NULL, NULL))
		return 1;
	if (EVP_PKEY_is_a(key, "X25519"))
		yes = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0, &n) == 1;
	else if (EVP_PKEY_is_a(key, "RSA"))
		yes = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &bn) == 1;
	else
		yes = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
	BN_clear_free(bn);
	ERR_clear_error();
	return yes;
}

int om_key_encode_private(const EVP_PKEY *key, enum om_encoding enc, uint8_t **out,
			  size_t *out_len)
{
	int r = OM_ECRYPTO;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	int n = 0;

	if (!key || !out || !out_len || (enc != OM_ENC_DER && enc != OM_ENC_PEM))
		return OM_EINVAL;
	/* a TPM's key has its private half in the TPM, not here */
	if (!pki_key_is_private(key) || om_key_hw(key, NULL, NULL))
		return OM_EINVAL;
	p8 = EVP_PKEY2PKCS8(key);
	if (!p8 || (n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0)
		goto out;
	r = pki_output(enc, "PRIVATE KEY", der, (size_t)n, out, out_len);
	der = NULL;
out:
	if (r < 0)
		ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8); /* cleanses the key octets */
	return r;
}

int om_key_encode_public(const EVP_PKEY *key, enum om_encoding enc, uint8_t **out,
			 size_t *out_len)
{
	unsigned char *der = NULL;

	if (!key || !out || !out_len || (enc != OM_ENC_DER && enc != OM_ENC_PEM))
		return OM_EINVAL;
	int n = i2d_PUBKEY(key, &der);
	if (n <= 0) {
		ERR_clear_error();
		return OM_ECRYPTO;
	}
	return pki_output(enc, "PUBLIC KEY", der, (size_t)n, out, out_len);
}

/* One whole DER key: a PKCS#8 PrivateKeyInfo or a SubjectPublicKeyInfo; NULL if it is not exactly that. */
static EVP_PKEY *key_from_der(const uint8_t *der, size_t der_len, int private)
{
	const unsigned char *p = der;
	EVP_PKEY *key = NULL;

	if (der_len > LONG_MAX)
		return NULL;
	if (private) {
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)der_len);
		if (p8 && p == der + der_len)
			key = EVP_PKCS82PKEY(p8);
		PKCS8_PRIV_KEY_INFO_free(p8);
		return key;
	}
	key = d2i_PUBKEY(NULL, &p, (long)der_len);
	if (key && p != der + der_len) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

static int key_decode(EVP_PKEY **out, enum om_encoding enc, const uint8_t *in, size_t len, int private)
{
	EVP_PKEY *key = NULL;
	const uint8_t *der = NULL;
	uint8_t *owned = NULL;
	size_t der_len = 0;

	if (!out || !in)
		return OM_EINVAL;
	int r = pki_input(enc, private ? "PRIVATE KEY" : "PUBLIC KEY", in, len, &der, &der_len, &owned);
	if (r < 0)
		goto out;
	r = OM_EPKI_MALFORMED;
	if (!(key = key_from_der(der, der_len, private)))
		goto out;
	r = om_key_type_of(key);
	if (r < 0)
		goto out;
	*out = key;
	key = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	om_pki_free(owned, der_len);
	return r;
}

int om_key_decode_private(EVP_PKEY **out, enum om_encoding enc, const uint8_t *in, size_t len)
{
	return key_decode(out, enc, in, len, 1);
}

int om_key_decode_public(EVP_PKEY **out, enum om_encoding enc, const uint8_t *in, size_t len)
{
	return key_decode(out, enc, in, len, 0);
}
