/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as an M2MMobj, an M2MMCIMMobj (B.2.3.4), a DM
 * credentials payload (B.2.3.2), the TRE's outcome statement (outcome.h) or
 * the PVA's verdict (verdict.h). The first byte picks the parser; the rest
 * is the input. The objects are verified with a fixed EC P-256 test key
 * whose private half was thrown away after signing the seeds in
 * fuzz/corpus/mobj_verify/. An M2MMobj is also tried with a second such
 * key, v4_pem: the one of m2mmobj_v4_quote, a version 4 object with a
 * swtpm's quote that tre/tre_attest_test.c writes from a genuine TPM TRE's
 * M2MMobj (OM_FUZZ_SEEDS=fuzz/corpus/mobj_verify ./tre_attest_test prints
 * the key to put here).
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/mobj.h>
#include <openmcim/outcome.h>
#include <openmcim/pki.h>
#include <openmcim/verdict.h>

static const char pub_pem[] = "-----BEGIN PUBLIC KEY-----\n"
			      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY9XAd+XeUlITJcGjH31jSaOc2hXM\n"
			      "jXLEfjwNHngUki4YsRgw5oLcyKEW2TmVtFq+3NcvHK31ZIeitUlvEJSqgg==\n"
			      "-----END PUBLIC KEY-----\n";

static const char v4_pem[] = "-----BEGIN PUBLIC KEY-----\n"
			     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnwZsriNBGe1dQpjGU60bAr5agbug\n"
			     "sYjYRrbyoIEtJc1Og+4aXKDdDGnB3QNWD2dV3wPXg8BzqY0XFrYFRRXHqw==\n"
			     "-----END PUBLIC KEY-----\n";

static EVP_PKEY *pub, *pub_v4;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!pub && om_key_decode_public(&pub, OM_ENC_PEM, (const uint8_t *)pub_pem, sizeof(pub_pem) - 1) != 0)
		abort();
	if (!pub_v4 && om_key_decode_public(&pub_v4, OM_ENC_PEM, (const uint8_t *)v4_pem, sizeof(v4_pem) - 1) != 0)
		abort();
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % 5) {
	case 0: {
		struct om_tre_info t;
		uint8_t a[OM_NONCE_LEN], b[OM_NONCE_LEN];
		char id[OM_TRE_ID_MAX + 1];
		for (int k = 0; k < 2; k++)
			if (om_m2mmobj_verify(in, len, k ? pub_v4 : pub, &t, a, b) == 0 &&
			    (t.n_measurements > OM_MEASUREMENTS_MAX || !memchr(t.tre_id, 0, sizeof(t.tre_id)) ||
			     t.quote.attest_len > OM_QUOTE_ATTEST_MAX || t.quote.sig_len > OM_QUOTE_SIG_MAX ||
			     t.quote.n_pcr > OM_QUOTE_PCRS_MAX))
				abort();
		int n = om_m2mmobj_peek_tre_id(in, len, id);
		if (n >= 0 && (size_t)n != strlen(id))
			abort();
		break;
	}
	case 1: {
		const uint8_t *m = NULL;
		size_t ml = 0;
		uint8_t b[OM_NONCE_LEN];
		if (om_m2mmcimmobj_verify(in, len, pub, &m, &ml, b) == 0 && (m < in || m + ml > in + len || ml == 0))
			abort();
		break;
	}
	case 3: {
		struct om_outcome o;
		if (om_outcome_verify(in, len, pub, &o) == 0 &&
		    (!memchr(o.tre_id, 0, sizeof(o.tre_id)) || strlen(o.imsi) < 6 || o.time < 0 ||
		     (o.outcome != OM_OUTCOME_ACTIVE && o.outcome != OM_OUTCOME_FALLBACK)))
			abort();
		break;
	}
	case 4: {
		struct om_pva_verdict v;
		if (om_pva_verdict_verify(in, len, pub, &v) == 0 &&
		    (v.accepted > 1 || !memchr(v.tre_id, 0, sizeof(v.tre_id)) || !memchr(v.reason, 0, sizeof(v.reason)) ||
		     !memchr(v.detail, 0, sizeof(v.detail)) || !v.reason[0]))
			abort();
		break;
	}
	default: {
		struct om_dm_creds c;
		if (om_dm_creds_decode(&c, in, len) == 0 && (!c.username[0] || !c.password[0]))
			abort();
		om_dm_creds_clear(&c);
		break;
	}
	}
	return 0;
}
