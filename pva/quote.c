/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA's check of a TPM 2.0 quote (issue 18, docs/pva.md "TPM quotes"),
 * in the order Keylime checks one (keylime/keylime, keylime/tpm/tpm_util.py
 * checkquote; the PCR values against the policy afterwards):
 *   1. the signature's scheme fits the attestation key: ECDSA for an EC
 *      AK, with the hash expected (SHA-256);
 *   2. the signature verifies with the AK over the quote's TPMS_ATTEST;
 *   3. the quote's extraData is the verifier's nonce;
 *   4. the pcrDigest is the hash of the PCR values the device sent, so the
 *      values are the ones the TPM quoted;
 *   5. those values are the reference values for the device's model and
 *      firmware.
 * Beyond Keylime's list, the TPMS_ATTEST must be one the TPM generated
 * (magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE: TPM 2.0 Part 2,
 * 10.12.8; a restricted AK signs no outside data that starts so) and quote
 * exactly the SHA-256 bank's PCRs the PVA asked for, and nothing may
 * follow the structures. Pure: no I/O, no state; each refusal its own code.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <tss2/tss2_mu.h>

#include "quote.h"
#include "svc_err.h"

/* The TPMT_SIGNATURE's r and s as a DER ECDSA-Sig-Value; its length or OM_EPVA_QUOTE. */
static int sig_der(const TPMS_SIGNATURE_ECC *e, uint8_t der[static OM_SIG_MAX_LEN])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	BIGNUM *v = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	unsigned char *p = der;
	int n = OM_EPVA_QUOTE;
	if (s && r && v && ECDSA_SIG_set0(s, r, v) == 1) {
		r = v = NULL;
		if (i2d_ECDSA_SIG(s, NULL) <= OM_SIG_MAX_LEN)
			n = i2d_ECDSA_SIG(s, &p);
	}
	BN_free(r);
	BN_free(v);
	ECDSA_SIG_free(s);
	return n > 0 ? n : OM_EPVA_QUOTE;
}

int pva_quote_check(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len, uint32_t mask,
		    const uint8_t (*reference)[32], const struct pva_quote *q)
{
	TPMT_SIGNATURE sig;
	TPMS_ATTEST at;
	uint8_t der[OM_SIG_MAX_LEN], digest[32];
	size_t off = 0, n_sel = 0;
	int n;

	if (!ak || !nonce || !nonce_len || !mask || (mask >> 24) || !reference || !q || !q->attest || !q->sig ||
	    (q->n_pcr && !q->pcr))
		return OM_EINVAL;
	memset(&sig, 0, sizeof(sig));
	memset(&at, 0, sizeof(at));
	/* 1: the scheme (Keylime: ECDSA for EC keys, the expected hash) */
	if (om_key_type_of(ak) != OM_KEY_EC_P256 ||
	    Tss2_MU_TPMT_SIGNATURE_Unmarshal(q->sig, q->sig_len, &off, &sig) != TSS2_RC_SUCCESS || off != q->sig_len ||
	    sig.sigAlg != TPM2_ALG_ECDSA || sig.signature.ecdsa.hash != TPM2_ALG_SHA256 ||
	    sig.signature.ecdsa.signatureR.size > 32 || sig.signature.ecdsa.signatureS.size > 32)
		return OM_EPVA_QUOTE;
	/* 2: signed by the AK (om_verify hashes the TPMS_ATTEST with SHA-256, as the TPM did) */
	if ((n = sig_der(&sig.signature.ecdsa, der)) < 0)
		return n;
	if (om_verify(ak, q->attest, q->attest_len, der, (size_t)n) != 0)
		return OM_EPVA_QUOTE_SIGNATURE;
	off = 0;
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(q->attest, q->attest_len, &off, &at) != TSS2_RC_SUCCESS ||
	    off != q->attest_len || at.magic != TPM2_GENERATED_VALUE || at.type != TPM2_ST_ATTEST_QUOTE)
		return OM_EPVA_QUOTE;
	/* 3: over our nonce */
	if (at.extraData.size != nonce_len || CRYPTO_memcmp(at.extraData.buffer, nonce, nonce_len) != 0)
		return OM_EPVA_QUOTE_NONCE;
	/* the SHA-256 bank, exactly the PCRs asked for */
	const TPML_PCR_SELECTION *sel = &at.attested.quote.pcrSelect;
	if (sel->count != 1 || sel->pcrSelections[0].hash != TPM2_ALG_SHA256 || sel->pcrSelections[0].sizeofSelect < 3)
		return OM_EPVA_QUOTE;
	uint32_t got = 0;
	for (unsigned i = 0; i < sel->pcrSelections[0].sizeofSelect; i++)
		got |= (uint32_t)sel->pcrSelections[0].pcrSelect[i] << (8 * i);
	if (got != mask)
		return OM_EPVA_QUOTE;
	for (unsigned i = 0; i < 24; i++)
		n_sel += (mask >> i) & 1;
	/* 4: the values sent are the ones quoted: pcrDigest = SHA-256 of them in index order */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned dl = 0;
	int ok = md && q->n_pcr == n_sel && EVP_DigestInit_ex2(md, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < q->n_pcr; i++)
		ok = EVP_DigestUpdate(md, q->pcr[i], 32) == 1;
	ok = ok && EVP_DigestFinal_ex(md, digest, &dl) == 1 && dl == 32;
	EVP_MD_CTX_free(md);
	if (!ok || at.attested.quote.pcrDigest.size != 32 ||
	    CRYPTO_memcmp(at.attested.quote.pcrDigest.buffer, digest, 32) != 0)
		return OM_EPVA_QUOTE_DIGEST;
	/* 5: the reference values */
	for (size_t i = 0; i < q->n_pcr; i++)
		if (CRYPTO_memcmp(q->pcr[i], reference[i], 32) != 0)
			return OM_EPVA_QUOTE_PCR;
	return 0;
}

int pva_log_replay(const uint8_t (*m)[32], size_t n, const uint8_t pcr[static 32])
{
	uint8_t chain[64] = { 0 };
	unsigned dl = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(chain + 32, m[i], 32);
		if (EVP_Digest(chain, sizeof(chain), chain, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
			return OM_EPVA_QUOTE_LOG;
	}
	return n && CRYPTO_memcmp(chain, pcr, 32) == 0 ? 0 : OM_EPVA_QUOTE_LOG;
}
