/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PrK_TRE where the backend keeps keys (tre.h om_tre_key_generate,
 * om_tre_key_release): the TPM's (key_tpm.c), the PKCS#11 token's
 * (key_p11.c), or made by the factory in software.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "p11_provider.h"
#include "tre_int.h"

static int in_token(const EVP_PKEY *key)
{
	const char *propq = NULL;
	return om_key_hw(key, NULL, &propq) && strcmp(propq, TRE_P11_PROPQ) == 0;
}

int tre_hw_key_encode(const EVP_PKEY *key, struct tre_blob *out)
{
	return in_token(key) ? tre_p11_key_encode(key, out) : tre_tpm_key_encode(key, out);
}

int tre_key_blob_backend(const struct tre_blob *b)
{
	if (!b->p || b->len < 2)
		return -1;
	return b->p[0] == TRE_KEY_TPM ? OM_TRE_BACKEND_TPM : b->p[0] == TRE_KEY_P11 ? OM_TRE_BACKEND_PKCS11 : -1;
}

/*
 * A released key: a public key of the default provider carrying the
 * hardware's blob (om_key_bind_hw_blob). The TPM holds three loaded objects
 * at most (libtpms), and the provider keeps a key loaded as long as it
 * lives; a token key holds a session: the factory releases PrK_TRE once the
 * CSR is signed, so that personalisation (the SRK, the sealed object, the
 * token's sealing key) finds room, and the TRE loads the blob for each use.
 */
int om_tre_key_release(EVP_PKEY **key)
{
	struct tre_blob b = { 0 };
	unsigned char *der = NULL;
	EVP_PKEY *pub = NULL;
	int n, rc;
	if (!key || !*key)
		return OM_EINVAL;
	if (!om_key_hw(*key, NULL, NULL))
		return 0; /* a software key: nothing to release */
	if ((rc = tre_hw_key_encode(*key, &b)) != 0)
		goto out;
	rc = OM_ECRYPTO;
	if ((n = i2d_PUBKEY(*key, &der)) <= 0)
		goto out;
	const unsigned char *p = der;
	if (!(pub = d2i_PUBKEY(NULL, &p, n)) || (rc = om_key_bind_hw_blob(pub, b.p, b.len)) != 0)
		goto out;
	om_key_free(*key); /* flushes the TPM object (or ends the token's session) and hangs up */
	*key = pub;
	pub = NULL;
	rc = 0;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	tre_blob_free(&b);
	ERR_clear_error();
	return rc;
}

int om_tre_key_generate(const struct om_tre_backend *be, int key_type, EVP_PKEY **out)
{
	if (be && be->kind == OM_TRE_BACKEND_TPM)
		return tre_tpm_key_generate(be->tpm_tcti, key_type, out);
	if (be && be->kind == OM_TRE_BACKEND_PKCS11)
		return tre_p11_key_generate(be, key_type, out);
	return om_key_generate(out, (enum om_key_type)key_type);
}
