/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PrK_TRE in the TPM (docs/tre.md "Backends", issue 18): both private keys
 * of the TRE, for signing and for decryption (key agreement), are made by
 * TPM2_Create under the storage root key and never leave it; the TRE keeps
 * only their public area and their private area as the TPM encrypted it
 * under its storage seed, in the "TSS2 PRIVATE KEY" form of the TPM 2.0
 * key file draft (draft-bottomley-tpm2-keys), which loads on this TPM and
 * no other.
 *
 * The keys are EVP_PKEYs of Debian's tpm2-openssl provider, loaded into a
 * library context of their own for each use (om_key_bind_hw: the context
 * goes with the key): the CSR, the M2MMobj and the outcome statement are
 * signed by TPM2_Sign, and the ECIES key agreement of the protected format
 * is TPM2_ECDH_ZGen, through the same code as software keys. The provider
 * holds its TPM connection as long as it is loaded, and a device's TPM
 * serves one client at a time (the sealing backend connects per operation
 * too), so nothing stays loaded between uses.
 *
 * The provider (1.1) takes its TCTI from the environment only
 * (TPM2OPENSSL_TCTI), read when it is loaded: the variable is set for that
 * moment under a lock, and put back.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "tre_int.h"

#define TPM_PROPQ "?provider=tpm2"

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;

/* A library context with the default provider and the tpm2 provider on tcti (NULL: the TSS's default). */
static int tpm_libctx(const char *tcti, OSSL_LIB_CTX **out)
{
	OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *tpm = NULL;
	char *old = NULL;
	if (!lib)
		return OM_ENOMEM;
	if (!OSSL_PROVIDER_load(lib, "default")) {
		om_libctx_free(lib);
		return OM_ECRYPTO;
	}
	pthread_mutex_lock(&env_lock);
	/* the TRE writes no log (tre.h); the TSS would write to stderr */
	setenv("TSS2_LOG", "all+NONE", 0);
	const char *was = getenv("TPM2OPENSSL_TCTI");
	if (was)
		old = strdup(was);
	if (tcti)
		setenv("TPM2OPENSSL_TCTI", tcti, 1);
	else
		unsetenv("TPM2OPENSSL_TCTI");
	/* the provider may leave its own context as this thread's default: put ours back */
	OSSL_LIB_CTX *thread_default = OSSL_LIB_CTX_set0_default(NULL);
	tpm = OSSL_PROVIDER_load(lib, "tpm2");
	OSSL_LIB_CTX_set0_default(thread_default);
	if (old)
		setenv("TPM2OPENSSL_TCTI", old, 1);
	else
		unsetenv("TPM2OPENSSL_TCTI");
	pthread_mutex_unlock(&env_lock);
	free(old);
	/* the provider loads even when its TPM does not answer, then offers nothing */
	if (!tpm || !OSSL_PROVIDER_available(lib, "tpm2")) {
		ERR_clear_error();
		om_libctx_free(lib);
		return OM_ETRE_HW;
	}
	*out = lib;
	return 0;
}

static int bind(EVP_PKEY *key, OSSL_LIB_CTX *lib, EVP_PKEY **out)
{
	int rc = om_key_bind_hw(key, lib, TPM_PROPQ);
	if (rc) {
		EVP_PKEY_free(key);
		om_libctx_free(lib);
		return rc;
	}
	*out = key;
	return 0;
}

int tre_tpm_key_generate(const char *tcti, int type, EVP_PKEY **out)
{
	OSSL_LIB_CTX *lib = NULL;
	EVP_PKEY *key = NULL;
	int rc;
	/* ECDSA and ECDH in the TPM: P-256 only (X25519 is no TPM curve; RSA-OAEP with a label is not offered yet) */
	if (!out || type != OM_KEY_EC_P256)
		return OM_EINVAL;
	if ((rc = tpm_libctx(tcti, &lib)) != 0)
		return rc;
	key = EVP_PKEY_Q_keygen(lib, "provider=tpm2", "EC", "P-256");
	if (!key) {
		ERR_clear_error();
		om_libctx_free(lib);
		return OM_ETRE_HW;
	}
	return bind(key, lib, out);
}

int tre_tpm_key_load(const char *tcti, const struct tre_blob *b, EVP_PKEY **out)
{
	OSSL_LIB_CTX *lib = NULL;
	EVP_PKEY *key = NULL;
	OSSL_DECODER_CTX *dec = NULL;
	int rc;
	if (!out || !b || !b->p || b->len < 2 || b->p[0] != TRE_KEY_TPM)
		return OM_ETRE_STATE;
	if ((rc = tpm_libctx(tcti, &lib)) != 0)
		return rc;
	const unsigned char *p = b->p + 1;
	size_t n = b->len - 1;
	dec = OSSL_DECODER_CTX_new_for_pkey(&key, "DER", NULL, "EC", 0, lib, "provider=tpm2");
	/* another TPM cannot load it: TPM2_Load fails under another storage seed */
	rc = dec && OSSL_DECODER_from_data(dec, &p, &n) == 1 && key && n == 0 ? 0 : OM_ETRE_SEAL;
	OSSL_DECODER_CTX_free(dec);
	ERR_clear_error();
	if (rc) {
		EVP_PKEY_free(key);
		om_libctx_free(lib);
		return rc;
	}
	return bind(key, lib, out);
}

int tre_tpm_key_encode(const EVP_PKEY *key, struct tre_blob *out)
{
	OSSL_LIB_CTX *lib = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	int rc = OM_EINVAL;
	if (!om_key_hw(key, &lib, NULL))
		return OM_EINVAL;
	/* the public area and the TPM-encrypted private area: not the key */
	OSSL_ENCODER_CTX *enc = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "DER", NULL, "provider=tpm2");
	if (enc && OSSL_ENCODER_to_data(enc, &der, &len) == 1 && len > 1 && len + 1 <= TRE_BLOB_MAX &&
	    der[0] == 0x30 && (rc = tre_blob_set(out, NULL, len + 1)) == 0) {
		out->p[0] = TRE_KEY_TPM;
		memcpy(out->p + 1, der, len);
	} else if (rc == OM_EINVAL) {
		rc = OM_ETRE_HW;
	}
	OSSL_ENCODER_CTX_free(enc);
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}
