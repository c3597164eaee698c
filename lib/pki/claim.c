/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Owner claims (include/openmcim/claim.h): the manufacturer's hash chain per
 * device, its check, its typed form, and the omOwnerClaim extension of
 * Cert_TRE (TRE_SIGNING) that commits to it:
 *   extnValue = DER OCTET STRING of 1 + OM_CLAIM_LEN bytes:
 *               generations (1 byte) | verifier x_N
 * Not critical: a party that does not register devices (a DPF, the TRE,
 * OpenSSL's own checks) ignores it.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509v3.h>

#include <openmcim/base32.h>
#include <openmcim/claim.h>
#include <openmcim/mobj.h>

#include "pki_impl.h"

#define CLAIM_BITS_SKIP 3 /* 128 - 125: the top bits of a chain value are zero */

static int tre_id_ok(const char *tre_id)
{
	size_t n = tre_id ? strlen(tre_id) : 0;
	return n > 0 && n <= OM_TRE_ID_MAX;
}

static int seed(const uint8_t key[static OM_CLAIM_KEY_LEN], const char *tre_id, uint8_t out[static OM_CLAIM_LEN])
{
	static const char label[] = "openmcim owner claim seed"; /* with its NUL as separator */
	uint8_t msg[sizeof(label) + OM_TRE_ID_MAX], mac[32];
	size_t n = strlen(tre_id);
	unsigned len = 0;
	memcpy(msg, label, sizeof(label));
	memcpy(msg + sizeof(label), tre_id, n);
	int ok = HMAC(EVP_sha256(), key, OM_CLAIM_KEY_LEN, msg, sizeof(label) + n, mac, &len) && len == 32;
	if (ok) {
		memcpy(out, mac, OM_CLAIM_LEN);
		out[0] &= 0x1f;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok ? 0 : OM_ECRYPTO;
}

/*
 * One step forward along the chain: x_{i+1} from x_i, in c (one context for a
 * whole walk, SHA-256 fetched once: a check walks up to 32 steps, issue 14).
 */
static int link_next(EVP_MD_CTX *c, const char *tre_id, const uint8_t in[static OM_CLAIM_LEN],
		     uint8_t out[static OM_CLAIM_LEN])
{
	static const char label[] = "openmcim owner claim";
	uint8_t h[32];
	unsigned len = 0;
	const EVP_MD *sha256 = pki_sha256();
	int ok = c && sha256 && EVP_DigestInit_ex(c, sha256, NULL) && EVP_DigestUpdate(c, label, sizeof(label)) &&
		 EVP_DigestUpdate(c, tre_id, strlen(tre_id) + 1) && EVP_DigestUpdate(c, in, OM_CLAIM_LEN) &&
		 EVP_DigestFinal_ex(c, h, &len) && len == 32;
	if (ok) {
		memcpy(out, h, OM_CLAIM_LEN);
		out[0] &= 0x1f;
	}
	OPENSSL_cleanse(h, sizeof(h));
	return ok ? 0 : OM_ECRYPTO;
}

int om_claim_derive(const uint8_t key[static OM_CLAIM_KEY_LEN], const char *tre_id, unsigned g,
		    uint8_t out[static OM_CLAIM_LEN])
{
	uint8_t x[OM_CLAIM_LEN];
	int r;
	if (!key || !out || !tre_id_ok(tre_id) || g > OM_CLAIM_GENERATIONS)
		return OM_EINVAL;
	if ((r = seed(key, tre_id, x)) < 0)
		return r;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	for (unsigned i = 0; r == 0 && i < OM_CLAIM_GENERATIONS - g; i++)
		r = link_next(c, tre_id, x, x);
	EVP_MD_CTX_free(c);
	if (r == 0)
		memcpy(out, x, OM_CLAIM_LEN);
	OPENSSL_cleanse(x, sizeof(x));
	return r;
}

int om_claim_check(const char *tre_id, const uint8_t claim[static OM_CLAIM_LEN],
		   const uint8_t verifier[static OM_CLAIM_LEN], unsigned generations)
{
	uint8_t y[OM_CLAIM_LEN];
	int r = OM_EPKI_CLAIM;
	if (!claim || !verifier || !tre_id_ok(tre_id) || generations == 0 || generations > 255)
		return OM_EINVAL;
	memcpy(y, claim, OM_CLAIM_LEN);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	for (unsigned k = 1; k <= generations; k++) {
		if (link_next(c, tre_id, y, y) < 0) {
			r = OM_ECRYPTO;
			break;
		}
		if (CRYPTO_memcmp(y, verifier, OM_CLAIM_LEN) == 0) {
			r = (int)k;
			break;
		}
	}
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(y, sizeof(y));
	return r;
}

void om_claim_text(const uint8_t claim[static OM_CLAIM_LEN], char out[static OM_CLAIM_TEXT_LEN + 1])
{
	om_base32_encode(claim, CLAIM_BITS_SKIP, OM_CLAIM_CHARS, 5, out);
}

int om_claim_parse(const char *typed, uint8_t out[static OM_CLAIM_LEN])
{
	char canon[OM_CLAIM_CHARS + 1];
	int r = om_base32_normalise(typed, canon, OM_CLAIM_CHARS);
	if (r == 0)
		r = om_base32_decode(canon, OM_CLAIM_CHARS, CLAIM_BITS_SKIP, out, OM_CLAIM_LEN);
	OPENSSL_cleanse(canon, sizeof(canon));
	if (r < 0)
		OPENSSL_cleanse(out, OM_CLAIM_LEN);
	return r < 0 ? OM_EINVAL : 0;
}

int pki_add_claim(X509 *cert, const uint8_t *verifier)
{
	uint8_t v[1 + OM_CLAIM_LEN];
	unsigned char *der = NULL;
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new(), *outer = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int r = OM_ECRYPTO, n;
	v[0] = OM_CLAIM_GENERATIONS;
	memcpy(v + 1, verifier, OM_CLAIM_LEN);
	if (!inner || !outer || !ASN1_OCTET_STRING_set(inner, v, sizeof(v)) ||
	    (n = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 || !ASN1_OCTET_STRING_set(outer, der, n) ||
	    !(ext = X509_EXTENSION_create_by_NID(NULL, pki_nid(PKI_OID_OWNER_CLAIM), 0, outer)) ||
	    !X509_add_ext(cert, ext, -1))
		goto out;
	r = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OCTET_STRING_free(outer);
	OPENSSL_free(der);
	return r;
}

int om_claim_from_cert(X509 *cert, uint8_t verifier[static OM_CLAIM_LEN], unsigned *generations)
{
	if (!cert || !verifier || !generations)
		return OM_EINVAL;
	int r = pki_init();
	if (r < 0)
		return r;
	int nid = pki_nid(PKI_OID_OWNER_CLAIM), at = X509_get_ext_by_NID(cert, nid, -1);
	if (at < 0 || X509_get_ext_by_NID(cert, nid, at) >= 0)
		return OM_EPKI_NO_CLAIM; /* none, or more than one */
	const ASN1_OCTET_STRING *outer = X509_EXTENSION_get_data(X509_get_ext(cert, at));
	const unsigned char *p = ASN1_STRING_get0_data(outer);
	long len = ASN1_STRING_length(outer);
	ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &p, len);
	r = OM_EPKI_NO_CLAIM;
	if (inner && p == ASN1_STRING_get0_data(outer) + len && ASN1_STRING_length(inner) == 1 + OM_CLAIM_LEN) {
		const unsigned char *v = ASN1_STRING_get0_data(inner);
		if (v[0] > 0 && (v[1] & 0xe0) == 0) {
			*generations = v[0];
			memcpy(verifier, v + 1, OM_CLAIM_LEN);
			r = 0;
		}
	}
	ASN1_OCTET_STRING_free(inner);
	return r;
}
