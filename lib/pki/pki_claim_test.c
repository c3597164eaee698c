/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Owner claims (claim.h): every generation of the chain checks against the
 * certificate's verifier and reports its place, a claim of another device
 * or a changed bit does not, the typed form round-trips with the
 * look-alikes folded, and the omOwnerClaim extension is what
 * om_ca_issue_tre_claimed() wrote, in the signing certificate only.
 */
#include <string.h>

#include <openmcim/base32.h>
#include <openmcim/claim.h>

#include "pki_testkit.h"

static const uint8_t key[OM_CLAIM_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static void every_generation_checks(void)
{
	uint8_t v[OM_CLAIM_LEN], c[OM_CLAIM_LEN];
	CHECK_INT(om_claim_derive(key, "TRE-1", 0, v), 0);
	for (unsigned g = 1; g <= OM_CLAIM_GENERATIONS; g++) {
		CHECK_INT(om_claim_derive(key, "TRE-1", g, c), 0);
		CHECK((c[0] & 0xe0) == 0);
		CHECK_INT(om_claim_check("TRE-1", c, v, OM_CLAIM_GENERATIONS), (int)g);
		/* the same secret for another device, or one bit changed, proves nothing */
		CHECK_INT(om_claim_check("TRE-2", c, v, OM_CLAIM_GENERATIONS), OM_EPKI_CLAIM);
		c[OM_CLAIM_LEN - 1] ^= 1;
		CHECK_INT(om_claim_check("TRE-1", c, v, OM_CLAIM_GENERATIONS), OM_EPKI_CLAIM);
	}
	/* the verifier itself is generation 0: never a claim */
	CHECK_INT(om_claim_check("TRE-1", v, v, OM_CLAIM_GENERATIONS), OM_EPKI_CLAIM);
	/* another manufacturer key: another chain */
	uint8_t other[OM_CLAIM_KEY_LEN] = { 9 };
	CHECK_INT(om_claim_derive(other, "TRE-1", 1, c), 0);
	CHECK_INT(om_claim_check("TRE-1", c, v, OM_CLAIM_GENERATIONS), OM_EPKI_CLAIM);
	CHECK_INT(om_claim_derive(key, "TRE-1", OM_CLAIM_GENERATIONS + 1, c), OM_EINVAL);
}

static void typed_form_round_trips(void)
{
	uint8_t c[OM_CLAIM_LEN], back[OM_CLAIM_LEN];
	char text[OM_CLAIM_TEXT_LEN + 1], typed[64];
	CHECK_INT(om_claim_derive(key, "TRE-1", 1, c), 0);
	om_claim_text(c, text);
	CHECK_INT((int)strlen(text), OM_CLAIM_TEXT_LEN);
	CHECK(text[5] == '-' && text[11] == '-' && text[23] == '-');
	CHECK_INT(om_claim_parse(text, back), 0);
	CHECK_MEM(c, back, OM_CLAIM_LEN);
	/* lower case, no dashes, O for 0 and l for 1 */
	size_t n = 0;
	for (const char *p = text; *p; p++) {
		char ch = *p;
		if (ch == '-')
			continue;
		typed[n++] = ch == '0' ? 'O' : ch == '1' ? 'l' : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	typed[n] = 0;
	CHECK_INT(om_claim_parse(typed, back), 0);
	CHECK_MEM(c, back, OM_CLAIM_LEN);
	memset(back, 0x55, sizeof(back));
	CHECK_INT(om_claim_parse("ABCDE-ABCDE-ABCDE-ABCDE-ABCD", back), OM_EINVAL); /* short */
	CHECK(back[0] == 0 && back[OM_CLAIM_LEN - 1] == 0);
	CHECK_INT(om_claim_parse("ABCDE-ABCDE-ABCDE-ABCDE-ABCDEF", back), OM_EINVAL); /* long */
	CHECK_INT(om_claim_parse("ABCDE-ABCDE-ABCDE-ABCDE-ABCDU", back), OM_EINVAL);  /* U */
	CHECK_INT(om_claim_parse("ABCDE ABCDE-ABCDE-ABCDE-ABCDE", back), OM_EINVAL);  /* space */
}

static void certificate_carries_the_verifier(void)
{
	EVP_PKEY *ca_key = pt_key(OM_KEY_EC_P256), *sign = pt_key(OM_KEY_EC_P256), *enc = pt_key(OM_KEY_X25519);
	struct om_ca *ca = NULL;
	X509_REQ *csr = NULL;
	X509 *s = NULL, *e = NULL, *plain = NULL, *plain_enc = NULL;
	uint8_t *sd = NULL, *ed = NULL, v[OM_CLAIM_LEN], got[OM_CLAIM_LEN], c[OM_CLAIM_LEN];
	size_t sl = 0, el = 0;
	unsigned gens = 0;
	CHECK_INT(om_ca_create(&ca, ca_key, "PVA", 0, 0), 0);
	CHECK_INT(om_csr_create(&csr, sign, "TRE-7", enc), 0);
	CHECK_INT(om_claim_derive(key, "TRE-7", 0, v), 0);
	CHECK_INT(om_ca_issue_tre_claimed(ca, csr, "TRE-7", 0, 0, v, &sd, &sl, &ed, &el), 0);
	CHECK_INT(om_cert_decode(&s, OM_ENC_DER, sd, sl), 0);
	CHECK_INT(om_cert_decode(&e, OM_ENC_DER, ed, el), 0);
	CHECK_INT(om_claim_from_cert(s, got, &gens), 0);
	CHECK_MEM(v, got, OM_CLAIM_LEN);
	CHECK_INT((int)gens, OM_CLAIM_GENERATIONS);
	CHECK_INT(om_claim_derive(key, "TRE-7", 1, c), 0);
	CHECK_INT(om_claim_check("TRE-7", c, got, gens), 1);
	/* the certificate still fits its profile and chain; the encryption one has no claim */
	CHECK_INT(om_cert_check_profile(s, OM_CERT_TRE_SIGNING), 0);
	CHECK_INT(om_claim_from_cert(e, got, &gens), OM_EPKI_NO_CLAIM);
	/* nor has a certificate issued without one */
	CHECK(pt_issue_tre(ca, csr, "TRE-7", 0, 0, &plain, &plain_enc) == 0);
	CHECK_INT(om_claim_from_cert(plain, got, &gens), OM_EPKI_NO_CLAIM);
	/* only TRE_SIGNING takes a claim */
	struct om_issue bad = { .profile = OM_CERT_SHO_SIGNING, .cn = "TRE-7", .claim_verifier = v };
	X509 *x = NULL;
	CHECK_INT(om_ca_issue(ca, csr, &bad, &x), OM_EINVAL);
	CHECK(x == NULL);
	X509_free(s);
	X509_free(e);
	X509_free(plain);
	X509_free(plain_enc);
	om_pki_free(sd, sl);
	om_pki_free(ed, el);
	X509_REQ_free(csr);
	om_ca_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(sign);
	EVP_PKEY_free(enc);
}

int main(void)
{
	every_generation_checks();
	typed_form_round_trips();
	certificate_carries_the_verifier();
	return check_done();
}
