/* SPDX-License-Identifier: Apache-2.0 */
/* The activation request (aas_request.h; docs/formats.md "Activation request"). */
#include <string.h>

#include <openmcim/aas_request.h>
#include <openmcim/be.h>

#define MAGIC "OMAQ"
#define VERSION 1

static int tre_id_ok(const char *s, size_t n)
{
	if (n == 0 || n > OM_TRE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

int om_aas_request_build(const char *tre_id, const uint8_t nonce[static OM_AAS_NONCE_LEN], const uint8_t *cert,
			 size_t cert_len, EVP_PKEY *key, uint8_t *out, size_t cap)
{
	uint8_t sig[OM_SIG_MAX_LEN];
	if (!tre_id || !cert || !key || !out)
		return OM_EINVAL;
	size_t tl = strnlen(tre_id, OM_TRE_ID_MAX + 1);
	if (!tre_id_ok(tre_id, tl))
		return OM_EOBJ_FIELD;
	if (cert_len == 0 || cert_len > OM_AAS_CERT_MAX)
		return OM_EOBJ_TOO_LONG;
	size_t n = 4 + 1 + 1 + tl + OM_AAS_NONCE_LEN + 2 + cert_len;
	if (n + 2 + OM_SIG_MAX_LEN > cap)
		return OM_EOBJ_TOO_LONG;
	memcpy(out, MAGIC, 4);
	out[4] = VERSION;
	out[5] = (uint8_t)tl;
	memcpy(out + 6, tre_id, tl);
	memcpy(out + 6 + tl, nonce, OM_AAS_NONCE_LEN);
	om_be_put(out + 6 + tl + OM_AAS_NONCE_LEN, cert_len, 2);
	memcpy(out + 8 + tl + OM_AAS_NONCE_LEN, cert, cert_len);
	int sl = om_sign(key, out, n, sig);
	if (sl < 0)
		return sl;
	om_be_put(out + n, (uint64_t)sl, 2);
	memcpy(out + n + 2, sig, (size_t)sl);
	return (int)(n + 2 + (size_t)sl);
}

int om_aas_request_verify(const uint8_t *in, size_t len, X509_STORE *trust, time_t at,
			  char tre_id[static OM_TRE_ID_MAX + 1], uint8_t nonce[static OM_AAS_NONCE_LEN], X509 **cert_out)
{
	char cn[OM_NAME_MAX_LEN + 1];
	X509 *cert = NULL;
	if (cert_out)
		*cert_out = NULL;
	memset(tre_id, 0, OM_TRE_ID_MAX + 1);
	memset(nonce, 0, OM_AAS_NONCE_LEN);
	if (!in || !trust)
		return OM_EINVAL;
	if (len < 6)
		return len >= 4 && memcmp(in, MAGIC, 4) ? OM_EOBJ_MAGIC : OM_EOBJ_TRUNCATED;
	if (memcmp(in, MAGIC, 4))
		return OM_EOBJ_MAGIC;
	if (in[4] != VERSION)
		return OM_EOBJ_VERSION;
	size_t tl = in[5];
	if (!tl || tl > OM_TRE_ID_MAX)
		return OM_EOBJ_FIELD;
	if (len < 6 + tl + OM_AAS_NONCE_LEN + 2)
		return OM_EOBJ_TRUNCATED;
	if (!tre_id_ok((const char *)in + 6, tl))
		return OM_EOBJ_FIELD;
	size_t cl = (size_t)om_be_get(in + 6 + tl + OM_AAS_NONCE_LEN, 2);
	if (cl == 0 || cl > OM_AAS_CERT_MAX)
		return OM_EOBJ_TOO_LONG;
	size_t n = 8 + tl + OM_AAS_NONCE_LEN + cl; /* the signed bytes */
	if (len < n + 2)
		return OM_EOBJ_TRUNCATED;
	size_t sl = (size_t)om_be_get(in + n, 2);
	if (sl == 0 || sl > OM_SIG_MAX_LEN)
		return OM_EOBJ_TOO_LONG;
	if (len < n + 2 + sl)
		return OM_EOBJ_TRUNCATED;
	if (len > n + 2 + sl)
		return OM_EOBJ_TRAILING;
	int rc = om_cert_decode(&cert, OM_ENC_DER, in + 8 + tl + OM_AAS_NONCE_LEN, cl);
	if (rc == 0)
		rc = om_cert_verify(cert, trust, NULL, 0, OM_CERT_TRE_SIGNING, at);
	if (rc == 0 && (om_cert_subject_cn(cert, cn) < 0 || strlen(cn) != tl || memcmp(cn, in + 6, tl)))
		rc = OM_EOBJ_VALUE;
	if (rc == 0 && om_verify(X509_get0_pubkey(cert), in, n, in + n + 2, sl) < 0)
		rc = OM_EOBJ_SIGNATURE;
	if (rc < 0) {
		X509_free(cert);
		return rc;
	}
	if (cert_out)
		*cert_out = cert;
	else
		X509_free(cert);
	memcpy(tre_id, in + 6, tl);
	memcpy(nonce, in + 6 + tl, OM_AAS_NONCE_LEN);
	return 0;
}
