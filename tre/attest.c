/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation on the TPM backend (issue 18; docs/tre.md "Attestation"):
 *   - at open, the TRE measures the program it runs in (its executable:
 *     the TRE and the agent are linked into it, so this is the code of
 *     both) into PCR 15, once per TPM reset (docs/decisions.md);
 *   - at personalisation, the attestation key (AK) the factory made in the
 *     TPM and had certified by the PVA's CA is sealed into attest.ak;
 *   - in every M2MMobj (B.2.3.4 II), the TPM quotes PCR 15 over
 *     nonceA | nonceB with that AK, and the TRE reports the measurement
 *     it made, not the ones written at personalisation: the PVA replays it
 *     against the quoted PCR and compares that with its reference value.
 *
 * attest.ak, sealed as every TRE file (the manifest's counter covers it):
 *   "OMAK" | 01 | L (2) | AK blob: TPM2B_PUBLIC | TPM2B_PRIVATE, marshalled
 *          | C (2) | the AK certificate, DER
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <openmcim/be.h>

#include "quote_tpm.h"
#include "tre_int.h"

#define AK_MAGIC "OMAK"
#define AK_VERSION 0x01
#define AK_BLOB_MAX (sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE))
#define MEASURE_NAME "executable"

static int ak_blob_split(const uint8_t *blob, size_t len, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	size_t off = 0;
	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, len, &off, pub) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, len, &off, priv) != TSS2_RC_SUCCESS || off != len)
		return OM_ETRE_STATE;
	return 0;
}

int om_tre_ak_create(const struct om_tre_backend *be, EVP_PKEY **ak_pub, uint8_t **blob, size_t *blob_len)
{
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	size_t off = 0;
	uint8_t *b = NULL;
	if (!ak_pub || !blob || !blob_len)
		return OM_EINVAL;
	*ak_pub = NULL;
	*blob = NULL;
	if (!be || be->kind != OM_TRE_BACKEND_TPM)
		return OM_ETRE_BACKEND;
	int rc = tre_tpm_ak_create(be->tpm_tcti, &pub, &priv);
	if (!rc && !(b = malloc(AK_BLOB_MAX)))
		rc = OM_ENOMEM;
	if (!rc && (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, b, AK_BLOB_MAX, &off) != TSS2_RC_SUCCESS ||
		    Tss2_MU_TPM2B_PRIVATE_Marshal(&priv, b, AK_BLOB_MAX, &off) != TSS2_RC_SUCCESS))
		rc = OM_ETRE_HW;
	if (!rc)
		rc = tre_tpm_ak_public(&pub, ak_pub);
	if (rc) {
		free(b);
		return rc;
	}
	*blob = b;
	*blob_len = off;
	return 0;
}

int tre_attest_personalise(struct om_tre *tre, const struct om_tre_personalisation *p)
{
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	X509 *cert = NULL;
	if (!p->ak_blob && !p->ak_cert)
		return 0;
	if (!p->backend || p->backend->kind != OM_TRE_BACKEND_TPM)
		return OM_ETRE_BACKEND;
	if (!p->ak_blob || !p->ak_cert || p->ak_blob_len > AK_BLOB_MAX || p->ak_cert_len > TRE_BLOB_MAX ||
	    ak_blob_split(p->ak_blob, p->ak_blob_len, &pub, &priv) != 0)
		return OM_EINVAL;
	/* the certificate must be this AK's and name this TRE, as check_tre_cert asks of Cert_TRE */
	EVP_PKEY *k = NULL;
	char cn[OM_NAME_MAX_LEN + 1];
	int rc = om_cert_decode(&cert, OM_ENC_DER, p->ak_cert, p->ak_cert_len);
	if (!rc)
		rc = om_cert_check_profile(cert, OM_CERT_TRE_ATTESTATION);
	if (!rc)
		rc = tre_tpm_ak_public(&pub, &k);
	if (!rc && (EVP_PKEY_eq(k, X509_get0_pubkey(cert)) != 1 || om_cert_subject_cn(cert, cn) < 0 ||
		    strcmp(cn, p->tre_id)))
		rc = OM_ETRE_IDENTITY;
	EVP_PKEY_free(k);
	X509_free(cert);
	if (rc)
		return rc;
	size_t len = 4 + 1 + 2 + p->ak_blob_len + 2 + p->ak_cert_len;
	uint8_t *buf = malloc(len), *o = buf;
	if (!buf)
		return OM_ENOMEM;
	memcpy(o, AK_MAGIC, 4);
	o[4] = AK_VERSION;
	om_be_put(o + 5, p->ak_blob_len, 2);
	memcpy(o + 7, p->ak_blob, p->ak_blob_len);
	o += 7 + p->ak_blob_len;
	om_be_put(o, p->ak_cert_len, 2);
	memcpy(o + 2, p->ak_cert, p->ak_cert_len);
	rc = tre_seal_put(tre->seal, TRE_ATTEST_FILE, buf, len, 1);
	free(buf);
	return rc;
}

/* SHA-256 of the executable this process runs, once per process (it does not change under us). */
static pthread_once_t exe_once = PTHREAD_ONCE_INIT;
static uint8_t exe_digest[32];
static int exe_rc = OM_EIO;

static void hash_exe(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	unsigned dl = 0;
	ssize_t n = 0;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int ok = fd >= 0 && md && EVP_DigestInit_ex2(md, EVP_sha256(), NULL) == 1;
	while (ok && (n = read(fd, buf, sizeof(buf))) > 0)
		ok = EVP_DigestUpdate(md, buf, (size_t)n) == 1;
	if (ok && n == 0 && EVP_DigestFinal_ex(md, exe_digest, &dl) == 1 && dl == 32)
		exe_rc = 0;
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
}

int om_tre_reference_pcr(uint8_t pcr[static 32])
{
	uint8_t chain[64] = { 0 };
	unsigned dl = 0;
	if (pthread_once(&exe_once, hash_exe) != 0 || exe_rc)
		return OM_EIO;
	memcpy(chain + 32, exe_digest, 32);
	return EVP_Digest(chain, sizeof(chain), pcr, &dl, EVP_sha256(), NULL) == 1 && dl == 32 ? 0 : OM_ECRYPTO;
}

int tre_attest_open(struct om_tre *tre)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *tcti = tre->tcti_default ? NULL : tre->tpm_tcti;
	if (pthread_once(&exe_once, hash_exe) != 0 || exe_rc)
		return OM_EIO;
	int rc = tre_tpm_measure_once(tcti, TRE_PCR_TRE, exe_digest);
	if (rc)
		return rc;
	memset(&tre->measure, 0, sizeof(tre->measure));
	memcpy(tre->measure.name, MEASURE_NAME, sizeof(MEASURE_NAME));
	memcpy(tre->measure.sha256, exe_digest, 32);
	tre->measured = 1;
	rc = tre_seal_get(tre->seal, TRE_ATTEST_FILE, &buf, &len);
	if (rc == OM_ETRE_NOT_FOUND)
		return 0; /* personalised without an AK: no quote, the PVA treats it as it has it imported */
	if (rc)
		return rc;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	size_t bl = len >= 7 ? (size_t)om_be_get(buf + 5, 2) : 0;
	if (len < 7 || memcmp(buf, AK_MAGIC, 4) || buf[4] != AK_VERSION || bl > len - 7 ||
	    ak_blob_split(buf + 7, bl, &pub, &priv) != 0) {
		free(buf);
		return OM_ETRE_STATE;
	}
	memmove(buf, buf + 7, bl);
	tre->ak_blob = buf;
	tre->ak_len = bl;
	return 0;
}

int tre_attest_quote(const struct om_tre *tre, const uint8_t nonce_a[static OM_NONCE_LEN],
		     const uint8_t nonce_b[static OM_NONCE_LEN], struct om_tre_info *info)
{
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	uint8_t qualifying[2 * OM_NONCE_LEN];
	if (!tre->ak_blob || !tre->measured)
		return 0;
	int rc = ak_blob_split(tre->ak_blob, tre->ak_len, &pub, &priv);
	if (rc)
		return rc;
	/* nonceA is the network's challenge, nonceB the TRE's: the quote is bound to both (docs/decisions.md) */
	memcpy(qualifying, nonce_a, OM_NONCE_LEN);
	memcpy(qualifying + OM_NONCE_LEN, nonce_b, OM_NONCE_LEN);
	rc = tre_tpm_quote(tre->tcti_default ? NULL : tre->tpm_tcti, &pub, &priv, qualifying, sizeof(qualifying),
			   1u << TRE_PCR_TRE, &info->quote);
	if (rc)
		return rc;
	info->n_measurements = 1;
	info->m[0] = tre->measure;
	return 0;
}

void tre_attest_close(struct om_tre *tre)
{
	free(tre->ak_blob);
	tre->ak_blob = NULL;
}
