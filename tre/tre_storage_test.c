/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state record's key blobs (record.h, docs/tre.md "Key blobs") and the
 * cheap identity checks of personalisation: each key type survives
 * personalise and open, a version 1 record (PKCS#8 keys) still opens, and
 * certificates that do not name this TRE or certify its keys are refused
 * without a full X509 parse; a version 2 session (no PROVURL, APN or flags)
 * still parses and is rewritten as version 3, whose session fields are
 * strict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <openmcim/err.h>

#include "tre_fixture.h"
#include "tre_int.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro;

/* The decoded blob is the same key pair as key: same public key, same private bytes again. */
static void check_key_roundtrip(enum om_key_type type, uint8_t want_kind, size_t want_len)
{
	EVP_PKEY *key = NULL, *back = NULL;
	struct tre_blob b = { 0 }, again = { 0 };
	CHECK_INT(om_key_generate(&key, type), 0);
	CHECK_INT(tre_key_encode(key, &b), 0);
	CHECK_INT(b.p ? b.p[0] : 0, want_kind);
	if (want_len)
		CHECK_INT((int)b.len, (int)want_len);
	CHECK(tre_key_blob_ok(&b));
	CHECK_INT(tre_key_decode(&back, &b), 0);
	CHECK_INT(back ? EVP_PKEY_eq(key, back) : 0, 1);
	CHECK_INT(back ? om_key_type_of(back) : -1, (int)type);
	CHECK_INT(back ? tre_key_encode(back, &again) : -1, 0);
	CHECK(again.len == b.len && memcmp(again.p, b.p, b.len) == 0);
	tre_blob_free(&b);
	tre_blob_free(&again);
	EVP_PKEY_free(key);
	EVP_PKEY_free(back);
}

static void test_key_blobs_roundtrip_for_each_key_type(void)
{
	check_key_roundtrip(OM_KEY_EC_P256, TRE_KEY_P256, TRE_KEY_P256_LEN);
	check_key_roundtrip(OM_KEY_X25519, TRE_KEY_X25519, TRE_KEY_X25519_LEN);
	check_key_roundtrip(OM_KEY_RSA_2048, TRE_KEY_PKCS8, 0);
}

static void test_malformed_key_blobs_are_refused(void)
{
	EVP_PKEY *key = NULL, *back = NULL;
	struct tre_blob b = { 0 };
	CHECK_INT(om_key_generate(&key, OM_KEY_EC_P256), 0);
	CHECK_INT(tre_key_encode(key, &b), 0);
	b.p[1 + 32] = 0x02; /* a compressed point is not our form */
	CHECK(!tre_key_blob_ok(&b));
	CHECK_INT(tre_key_decode(&back, &b), OM_ETRE_STATE);
	b.p[1 + 32] = 0x04;
	b.p[0] = 0x7f; /* unknown kind */
	CHECK_INT(tre_key_decode(&back, &b), OM_ETRE_STATE);
	b.p[0] = TRE_KEY_X25519; /* kind and length disagree */
	CHECK_INT(tre_key_decode(&back, &b), OM_ETRE_STATE);
	b.p[0] = TRE_KEY_P256;
	b.p[1 + 32 + 10] ^= 1; /* a point off the curve */
	CHECK_INT(tre_key_decode(&back, &b), OM_ETRE_STATE);
	CHECK(back == NULL);
	tre_blob_free(&b);
	EVP_PKEY_free(key);
}

/* Personalise with enc_type, open, and check the TRE signs (M2MMobj needs the signing key). */
static void check_personalise_open(enum om_key_type enc_type, uint8_t want_enc_kind)
{
	struct fx_tre t;
	struct om_tre *tre = NULL;
	fx_tre_init(&t, pva, "TRE-00000101", &ro, enc_type);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, OM_TRE_NO_FSYNC), 0);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), 0);
	if (tre) {
		CHECK_INT(tre->st.sign_key.p[0], TRE_KEY_P256);
		CHECK_INT(tre->st.enc_key.p[0], want_enc_kind);
		CHECK_INT(EVP_PKEY_eq(tre->sign_key, t.sign_key), 1);
		CHECK_INT(EVP_PKEY_eq(tre->enc_key, t.enc_key), 1);
	}
	om_tre_close(tre);
	fx_tre_free(&t);
}

static void test_each_encryption_key_type_personalises_and_opens(void)
{
	check_personalise_open(OM_KEY_X25519, TRE_KEY_X25519);
	check_personalise_open(OM_KEY_EC_P256, TRE_KEY_P256);
	check_personalise_open(OM_KEY_RSA_2048, TRE_KEY_PKCS8);
}

/* Rewrite the TRE's state record as version 1 would have: PKCS#8 keys. */
static void write_v1_state(struct om_tre *tre, EVP_PKEY *sign, EVP_PKEY *enc)
{
	uint8_t *buf = NULL, *der = NULL;
	size_t len = 0, der_len = 0;
	struct tre_blob s = { 0 }, e = { 0 };
	if (om_key_encode_private(sign, OM_ENC_DER, &der, &der_len) || tre_blob_set(&s, der, der_len))
		FX_DIE("v1 sign key");
	om_pki_free(der, der_len);
	if (om_key_encode_private(enc, OM_ENC_DER, &der, &der_len) || tre_blob_set(&e, der, der_len))
		FX_DIE("v1 enc key");
	om_pki_free(der, der_len);
	struct tre_state st = tre->st; /* shallow: only the key blobs are swapped */
	st.sign_key = s;
	st.enc_key = e;
	if (tre_state_encode(&st, &buf, &len))
		FX_DIE("encode");
	buf[4] = 1; /* version 1: the key TLVs hold PKCS#8 DER */
	if (tre_seal_put(tre->seal, TRE_STATE_FILE, buf, len, 0))
		FX_DIE("seal");
	OPENSSL_cleanse(buf, len);
	free(buf);
	tre_blob_free(&s);
	tre_blob_free(&e);
}

static void test_version_1_state_still_opens(void)
{
	struct fx_tre t;
	struct om_tre *tre = NULL;
	fx_tre_init(&t, pva, "TRE-00000102", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), 0);
	if (!tre)
		FX_DIE("open");
	write_v1_state(tre, t.sign_key, t.enc_key);
	om_tre_close(tre);
	tre = NULL;
	CHECK_INT(om_tre_open(&tre, t.dir, 0), 0);
	if (tre) {
		CHECK_INT(tre->st.sign_key.p[0], TRE_KEY_PKCS8);
		CHECK_INT(EVP_PKEY_eq(tre->sign_key, t.sign_key), 1);
		CHECK_INT(EVP_PKEY_eq(tre->enc_key, t.enc_key), 1);
		/* the next write is version 2, keys as they were read */
		CHECK_INT(tre_save_state(tre, &tre->st), 0);
	}
	om_tre_close(tre);
	tre = NULL;
	CHECK_INT(om_tre_open(&tre, t.dir, 0), 0);
	om_tre_close(tre);
	fx_tre_free(&t);
}

/* The fuzz corpus's version 2 record with a session (first byte: the fuzzer's parser selector). */
static void test_version_2_session_parses_and_becomes_version_4(void)
{
	char path[1024];
	const char *src = getenv("OM_SOURCE_DIR");
	size_t len = 0;
	struct tre_state s, t;
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/tre_record/state-session", src ? src : ".");
	uint8_t *in = check_slurp(path, &len);
	CHECK_MSG(in && len > 6 && in[5] == 2, "%s: not a version 2 state record", path);
	if (!in || len <= 6)
		return;
	CHECK_INT(tre_state_parse(&s, in + 1, len - 1), 0);
	CHECK(s.session.present && s.session.provurl[0] == 0 && s.session.apn[0] == 0 && s.session.flags == 0);
	CHECK_INT(tre_state_encode(&s, &a, &al), 0);
	CHECK(a && al > 5 && a[4] == 4);
	CHECK_INT(tre_state_parse(&t, a, al), 0);
	CHECK(t.session.present && !strcmp(t.session.username, s.session.username));
	CHECK_INT(tre_state_encode(&t, &b, &bl), 0);
	CHECK(al == bl && a && b && memcmp(a, b, al) == 0);
	tre_state_clear(&t);

	/* Version 3: the endpoint and the flags round-trip; an unknown flag bit is refused. */
	snprintf(s.session.provurl, sizeof(s.session.provurl), "https://dpf.sho-b.lab:8443/dm");
	snprintf(s.session.apn, sizeof(s.session.apn), "prov.sho-b");
	s.session.flags = TRE_SESSION_FELL_BACK;
	free(a);
	free(b);
	a = b = NULL;
	CHECK_INT(tre_state_encode(&s, &a, &al), 0);
	CHECK_INT(tre_state_parse(&t, a, al), 0);
	CHECK(!strcmp(t.session.provurl, "https://dpf.sho-b.lab:8443/dm") && !strcmp(t.session.apn, "prov.sho-b") &&
	      t.session.flags == TRE_SESSION_FELL_BACK);
	tre_state_clear(&t);
	s.session.flags = TRE_SESSION_FELL_BACK | TRE_SESSION_NEW_ANSWERED;
	CHECK_INT(tre_state_encode(&s, &b, &bl), 0);
	CHECK_INT(tre_state_parse(&t, b, bl), 0);
	CHECK_INT(t.session.flags, TRE_SESSION_FELL_BACK | TRE_SESSION_NEW_ANSWERED);
	tre_state_clear(&t);
	free(b);
	b = NULL;
	s.session.flags = 0x04;
	CHECK_INT(tre_state_encode(&s, &b, &bl), 0);
	CHECK_INT(tre_state_parse(&t, b, bl), OM_ETRE_STATE);
	/* A version 2 reader's view of a version 3 session: the extra bytes do not parse. */
	b[4] = 2;
	CHECK_INT(tre_state_parse(&t, b, bl), OM_ETRE_STATE);
	tre_state_clear(&s);
	free(a);
	free(b);
	free(in);

	/* The corpus's version 3 seed: a session kept after a fallback, with its endpoint. */
	snprintf(path, sizeof(path), "%s/fuzz/corpus/tre_record/state-session-v3", src ? src : ".");
	in = check_slurp(path, &len);
	CHECK_MSG(in && len > 6 && in[5] == 3, "%s: not a version 3 state record", path);
	if (!in || len <= 6)
		return;
	CHECK_INT(tre_state_parse(&s, in + 1, len - 1), 0);
	CHECK(s.session.present && !strcmp(s.session.provurl, "https://localhost:8443/dm") &&
	      !strcmp(s.session.apn, "prov.sho-b") && s.session.flags == TRE_SESSION_FELL_BACK);
	tre_state_clear(&s);
	free(in);
}

static void test_certificates_must_name_this_tre_and_certify_its_keys(void)
{
	struct fx_tre t;
	fx_tre_init(&t, pva, "TRE-00000103", &ro, OM_KEY_X25519);
	struct om_tre_personalisation p = t.p;
	/* the two certificates swapped: each certifies the other key */
	p.sign_cert = t.enc_der;
	p.sign_cert_len = t.enc_len;
	p.enc_cert = t.sign_der;
	p.enc_cert_len = t.sign_len;
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_ETRE_IDENTITY);
	p = t.p;
	p.enc_key = t.sign_key; /* the signing key for the encryption certificate */
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_ETRE_IDENTITY);
	/* truncated, or followed by anything: not one certificate */
	p = t.p;
	p.sign_cert_len = t.sign_len - 1;
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_EPKI_MALFORMED);
	uint8_t *longer = malloc(t.sign_len + 1);
	if (!longer)
		FX_DIE("malloc");
	memcpy(longer, t.sign_der, t.sign_len);
	longer[t.sign_len] = 0;
	p = t.p;
	p.sign_cert = longer;
	p.sign_cert_len = t.sign_len + 1;
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_EPKI_MALFORMED);
	free(longer);
	/* a trust root that passed once is still checked for its CN and validity each time */
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	fx_tre_free(&t);
	fx_tre_init(&t, pva, "TRE-00000104", &ro, OM_KEY_X25519);
	p = t.p;
	p.ro_id = "RO-Other";
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_ETRE_TRUST_ROOT);
	fx_tre_free(&t);
}

int main(void)
{
	if (om_key_generate(&pva_key, OM_KEY_EC_P256) || om_ca_create(&pva, pva_key, "PVA Root", 0, 0))
		FX_DIE("pva");
	fx_sho_init(&ro, "RO-Example");
	test_key_blobs_roundtrip_for_each_key_type();
	test_malformed_key_blobs_are_refused();
	test_each_encryption_key_type_personalises_and_opens();
	test_version_1_state_still_opens();
	test_version_2_session_parses_and_becomes_version_4();
	test_certificates_must_name_this_tre_and_certify_its_keys();
	fx_sho_free(&ro);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	return check_done();
}
