/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measurements in a PCR and a TPM quote over the verifier's nonce, checked
 * by the PVA as Keylime checks one (tre/quote_tpm.c, pva/quote.c; issue 18).
 * Two swtpms: the device's and another device's. A quote over the wrong
 * nonce, a wrong PCR value, PCR values other than those quoted, a quote by
 * the other TPM and an altered quote are each refused with their own code;
 * the genuine quote passes. The check is a pure function: it keeps no state.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "hw_token.h"
#include "quote.h"
#include "quote_tpm.h"
#include "svc_err.h"

static struct t_swtpm tpm, other;

/* PCR := SHA-256(PCR | m) (TPM 2.0 Part 1, 17.2). */
static void extend(uint8_t pcr[32], const uint8_t m[32])
{
	uint8_t buf[64];
	unsigned n = 0;
	memcpy(buf, pcr, 32);
	memcpy(buf + 32, m, 32);
	EVP_Digest(buf, 64, pcr, &n, EVP_sha256(), NULL);
}

static void digest_of(const char *s, uint8_t out[32])
{
	unsigned n = 0;
	EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

static struct pva_quote view(const struct om_quote *q)
{
	return (struct pva_quote){ .attest = q->attest, .attest_len = q->attest_len, .sig = q->sig,
				   .sig_len = q->sig_len, .pcr = q->pcr, .n_pcr = q->n_pcr };
}

static void test_quotes(void)
{
	TPM2B_PUBLIC ak_pub, other_pub;
	TPM2B_PRIVATE ak_priv, other_priv;
	const uint32_t mask = 1u << TRE_PCR_TRE;
	uint8_t ref[1][32] = { { 0 } }, m[32], nonce[16], wrong[16];
	struct om_quote q, oq;
	struct pva_quote v;

	CHECK_INT(tre_tpm_ak_create(tpm.tcti, &ak_pub, &ak_priv), 0);
	CHECK_INT(tre_tpm_ak_create(other.tcti, &other_pub, &other_priv), 0);
	TPMA_OBJECT a = ak_pub.publicArea.objectAttributes;
	CHECK((a & TPMA_OBJECT_FIXEDTPM) && (a & TPMA_OBJECT_FIXEDPARENT) && (a & TPMA_OBJECT_SENSITIVEDATAORIGIN) &&
	      (a & TPMA_OBJECT_RESTRICTED) && (a & TPMA_OBJECT_SIGN_ENCRYPT) && !(a & TPMA_OBJECT_DECRYPT));
	EVP_PKEY *ak = NULL;
	CHECK_INT(tre_tpm_ak_public(&ak_pub, &ak), 0); /* the key the PVA takes from its certificate */

	/* the TRE and the agent measure what they load; the PVA's reference is the same chain */
	const char *loaded[] = { "libom_tre 1.0.0", "openmcim-agent 1.0.0" };
	for (size_t i = 0; i < 2; i++) {
		digest_of(loaded[i], m);
		CHECK_INT(tre_tpm_measure(tpm.tcti, TRE_PCR_TRE, m), 0);
		CHECK_INT(tre_tpm_measure(other.tcti, TRE_PCR_TRE, m), 0);
		extend(ref[0], m);
	}
	check_random(nonce, sizeof(nonce));
	memcpy(wrong, nonce, sizeof(wrong));
	wrong[0] ^= 1;

	/* the genuine quote */
	CHECK_INT(tre_tpm_quote(tpm.tcti, &ak_pub, &ak_priv, nonce, sizeof(nonce), mask, &q), 0);
	CHECK_INT((int)q.n_pcr, 1);
	CHECK_MEM(q.pcr[0], ref[0], 32);
	v = view(&q);
	CHECK_INT(pva_quote_check(ak, nonce, sizeof(nonce), mask, ref, &v), 0);

	/* over another nonce (a replayed quote) */
	CHECK_INT(pva_quote_check(ak, wrong, sizeof(wrong), mask, ref, &v), OM_EPVA_QUOTE_NONCE);
	/* of other PCRs than asked */
	CHECK_INT(pva_quote_check(ak, nonce, sizeof(nonce), mask | 1u, ref, &v), OM_EPVA_QUOTE);

	/* by another TPM (its AK), checked with this device's AK */
	CHECK_INT(tre_tpm_quote(other.tcti, &other_pub, &other_priv, nonce, sizeof(nonce), mask, &oq), 0);
	struct pva_quote ov = view(&oq);
	CHECK_INT(pva_quote_check(ak, nonce, sizeof(nonce), mask, ref, &ov), OM_EPVA_QUOTE_SIGNATURE);
	/* this device's AK does not even load on the other TPM */
	CHECK_INT(tre_tpm_quote(other.tcti, &ak_pub, &ak_priv, nonce, sizeof(nonce), mask, &oq), OM_ETRE_SEAL);

	/* an altered quote: one byte of the TPMS_ATTEST */
	struct om_quote bad = q;
	bad.attest[bad.attest_len - 1] ^= 1;
	struct pva_quote bv = view(&bad);
	CHECK_INT(pva_quote_check(ak, nonce, sizeof(nonce), mask, ref, &bv), OM_EPVA_QUOTE_SIGNATURE);

	/* something else loaded: a wrong PCR value, quoted truthfully */
	digest_of("patched openmcim-agent", m);
	CHECK_INT(tre_tpm_measure(tpm.tcti, TRE_PCR_TRE, m), 0);
	CHECK_INT(tre_tpm_quote(tpm.tcti, &ak_pub, &ak_priv, nonce, sizeof(nonce), mask, &q), 0);
	v = view(&q);
	CHECK_INT(pva_quote_check(ak, nonce, sizeof(nonce), mask, ref, &v), OM_EPVA_QUOTE_PCR);
	/* ... and with the reference values sent in place of the quoted ones */
	memcpy(q.pcr[0], ref[0], 32);
	CHECK_INT(pva_quote_check(ak, nonce, sizeof(nonce), mask, ref, &v), OM_EPVA_QUOTE_DIGEST);
	EVP_PKEY_free(ak);
}

int main(void)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	if (t_swtpm_start(&tpm) || t_swtpm_start(&other)) {
		CHECK_MSG(0, "swtpm could not be started (scripts/deps.sh test installs it)");
		return check_done();
	}
	test_quotes();
	t_swtpm_stop(&tpm);
	t_swtpm_stop(&other);
	return check_done();
}
