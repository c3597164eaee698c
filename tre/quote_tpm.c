/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measurements and quotes on the TRE's TPM (issue 18, docs/tre.md
 * "Attestation"): what the TRE and the agent load at start is extended
 * into a PCR, and the TPM quotes the PCRs over a verifier's nonce with an
 * attestation key (AK) that it made and that can sign only what it
 * generated itself (a restricted signing key: TPM 2.0 Part 1, 25.2.3; a
 * quote is a TPMS_ATTEST with magic TPM_GENERATED_VALUE, Part 2, 10.12.8).
 * The PVA checks the quote as Keylime does (pva/quote.c).
 *
 * The AK is an ECC P-256 key with the ECDSA-SHA256 scheme under the SRK of
 * seal_tpm.c: fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign.
 * Its public and private areas are returned to the caller to keep (the
 * private area encrypted by the TPM under its storage seed, as tpm.ctx
 * keeps the sealed key) and loaded for each quote.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "quote_tpm.h"
#include "seal.h"

/* A connection and the SRK, for one operation. */
struct session {
	TSS2_TCTI_CONTEXT *tc;
	ESYS_CONTEXT *es;
	ESYS_TR srk;
};

static int open_session(struct session *s, const char *tcti)
{
	TPM2B_NAME name;
	s->srk = ESYS_TR_NONE;
	int rc = tre_tpm_connect(tcti, &s->tc, &s->es);
	return rc ? rc : tre_tpm_srk(s->es, &s->srk, &name);
}

static void close_session(struct session *s)
{
	if (s->es) {
		if (s->srk != ESYS_TR_NONE)
			Esys_FlushContext(s->es, s->srk);
		Esys_Finalize(&s->es);
	}
	if (s->tc)
		Tss2_TctiLdr_Finalize(&s->tc);
}

/* The AK's public key (an EC P-256 point in the TPM's public area). */
int tre_tpm_ak_public(const TPM2B_PUBLIC *pub, EVP_PKEY **out)
{
	const TPMS_ECC_POINT *q = &pub->publicArea.unique.ecc;
	uint8_t point[65] = { 0x04 };
	EVP_PKEY *k = NULL;
	if (pub->publicArea.type != TPM2_ALG_ECC || q->x.size != 32 || q->y.size != 32)
		return OM_ETRE_HW;
	memcpy(point + 1, q->x.buffer, 32);
	memcpy(point + 33, q->y.buffer, 32);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	int rc = c && EVP_PKEY_fromdata_init(c) == 1 && EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) == 1
			 ? 0
			 : OM_ECRYPTO;
	EVP_PKEY_CTX_free(c);
	*out = rc ? NULL : k;
	return rc;
}

int tre_tpm_ak_create(const char *tcti, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	struct session s = { 0 };
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			/* restricted: it signs only what the TPM generated (a quote), never outside data */
			.objectAttributes = TRE_TPM_OWN_KEY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_NULL },
				.scheme = { .scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
				.curveID = TPM2_ECC_NIST_P256,
				.kdf = { .scheme = TPM2_ALG_NULL },
			},
		},
	};
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	TPM2B_PUBLIC *out_pub = NULL;
	TPM2B_PRIVATE *out_priv = NULL;
	int rc = open_session(&s, tcti);
	if (!rc && Esys_Create(s.es, s.srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tpl, &outside, &none,
			       &out_priv, &out_pub, NULL, NULL, NULL) != TSS2_RC_SUCCESS)
		rc = OM_ETRE_HW;
	if (!rc) {
		*pub = *out_pub;
		*priv = *out_priv;
	}
	Esys_Free(out_pub);
	Esys_Free(out_priv);
	close_session(&s);
	return rc;
}

int tre_tpm_measure(const char *tcti, unsigned pcr, const uint8_t digest[static 32])
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *es = NULL;
	TPML_DIGEST_VALUES v = { .count = 1, .digests[0].hashAlg = TPM2_ALG_SHA256 };
	if (pcr > 23)
		return OM_EINVAL;
	memcpy(v.digests[0].digest.sha256, digest, 32);
	int rc = tre_tpm_connect(tcti, &tc, &es);
	if (!rc && Esys_PCR_Extend(es, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v) !=
			   TSS2_RC_SUCCESS)
		rc = OM_ETRE_HW;
	if (es)
		Esys_Finalize(&es);
	if (tc)
		Tss2_TctiLdr_Finalize(&tc);
	return rc;
}

/* The SHA-256 bank's PCRs of mask, in index order (TPM2_PCR_Read answers at most 8 a call). */
static int read_pcrs(ESYS_CONTEXT *es, uint32_t mask, uint8_t (*pcr)[32], size_t cap, size_t *n)
{
	*n = 0;
	for (unsigned i = 0; i < 24; i++) {
		if (!(mask & (1u << i)))
			continue;
		TPML_PCR_SELECTION sel = { .count = 1, .pcrSelections[0] = { .hash = TPM2_ALG_SHA256, .sizeofSelect = 3 } };
		sel.pcrSelections[0].pcrSelect[i / 8] = (uint8_t)(1u << (i % 8));
		TPML_DIGEST *values = NULL;
		UINT32 counter;
		int ok = *n < cap &&
			 Esys_PCR_Read(es, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter, NULL, &values) ==
				 TSS2_RC_SUCCESS &&
			 values->count == 1 && values->digests[0].size == 32;
		if (ok)
			memcpy(pcr[(*n)++], values->digests[0].buffer, 32);
		Esys_Free(values);
		if (!ok)
			return OM_ETRE_HW;
	}
	return 0;
}

int tre_tpm_measure_once(const char *tcti, unsigned pcr, const uint8_t digest[static 32])
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *es = NULL;
	uint8_t now[1][32], chain[64] = { 0 }, want[32];
	size_t n = 0;
	unsigned dl = 0;
	if (pcr > 23)
		return OM_EINVAL;
	/* PCR := SHA-256(PCR | m) (TPM 2.0 Part 1, 17.2), from zeros at reset */
	memcpy(chain + 32, digest, 32);
	if (EVP_Digest(chain, sizeof(chain), want, &dl, EVP_sha256(), NULL) != 1)
		return OM_ECRYPTO;
	int rc = tre_tpm_connect(tcti, &tc, &es);
	if (!rc)
		rc = read_pcrs(es, 1u << pcr, now, 1, &n);
	if (es)
		Esys_Finalize(&es);
	if (tc)
		Tss2_TctiLdr_Finalize(&tc);
	if (rc || memcmp(now[0], want, 32) == 0)
		return rc;
	return tre_tpm_measure(tcti, pcr, digest);
}

int tre_tpm_quote(const char *tcti, const TPM2B_PUBLIC *ak_pub, const TPM2B_PRIVATE *ak_priv, const uint8_t *nonce,
		  size_t nonce_len, uint32_t mask, struct om_quote *q)
{
	struct session s = { 0 };
	ESYS_TR ak = ESYS_TR_NONE;
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_DATA qualifying = { .size = (UINT16)nonce_len };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL }; /* the AK's own: ECDSA-SHA256 */
	TPML_PCR_SELECTION sel = { .count = 1, .pcrSelections[0] = { .hash = TPM2_ALG_SHA256, .sizeofSelect = 3 } };
	size_t off = 0;
	if (!ak_pub || !ak_priv || !nonce || !nonce_len || nonce_len > sizeof(qualifying.buffer) || !mask ||
	    (mask >> 24) || !q)
		return OM_EINVAL;
	memcpy(qualifying.buffer, nonce, nonce_len);
	for (unsigned i = 0; i < 3; i++)
		sel.pcrSelections[0].pcrSelect[i] = (uint8_t)(mask >> (8 * i));
	memset(q, 0, sizeof(*q));
	int rc = open_session(&s, tcti);
	if (!rc && Esys_Load(s.es, s.srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, ak_priv, ak_pub, &ak) !=
			   TSS2_RC_SUCCESS) {
		ak = ESYS_TR_NONE;
		rc = OM_ETRE_SEAL; /* not this TPM's AK */
	}
	if (!rc && Esys_Quote(s.es, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme, &sel,
			      &attest, &sig) != TSS2_RC_SUCCESS)
		rc = OM_ETRE_HW;
	/* the PCR values the quote's digest covers, read after it: a verifier recomputes the digest */
	if (!rc)
		rc = read_pcrs(s.es, mask, q->pcr, TRE_QUOTE_PCRS_MAX, &q->n_pcr);
	if (!rc && (attest->size > sizeof(q->attest) ||
		    Tss2_MU_TPMT_SIGNATURE_Marshal(sig, q->sig, sizeof(q->sig), &off) != TSS2_RC_SUCCESS))
		rc = OM_ETRE_HW;
	if (!rc) {
		memcpy(q->attest, attest->attestationData, attest->size);
		q->attest_len = attest->size;
		q->sig_len = off;
	}
	Esys_Free(attest);
	Esys_Free(sig);
	if (ak != ESYS_TR_NONE)
		Esys_FlushContext(s.es, ak);
	close_session(&s);
	return rc;
}
