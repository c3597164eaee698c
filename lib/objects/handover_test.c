/* SPDX-License-Identifier: Apache-2.0 */
/* The handover request codec (B.2.3.2 step 2): om_handover_*. */
#include <stdlib.h>
#include <string.h>

#include <openmcim/handover.h>

#include "check.h"
#include "mobj_int.h"
#include "objects_int.h"
#include "objects_testkit.h"

static uint8_t cert_der[700], creds_obj[180];

static void fill(struct om_handover_req *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->request_id, "6f1c1a52-2b7e-4c59-9d0f-3c0f1d2e4a10");
	strcpy(r->tre_id, "TRE-00000001");
	strcpy(r->new_sho_id, "SHO-B");
	strcpy(r->provurl, "https://dpf.sho-b.lab/dm");
	strcpy(r->server_id, "SHO-B DPF");
	strcpy(r->apn, "prov.sho-b");
	CHECK_INT(om_handover_code_proof(r->tre_id, "ABCD-EFGH-JKMN-PQRS", r->code_proof), 0);
	r->created = 1700000000;
	for (size_t i = 0; i < sizeof(cert_der); i++)
		cert_der[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(creds_obj); i++)
		creds_obj[i] = (uint8_t)(i * 13 + 1);
	r->sho_cert = cert_der;
	r->sho_cert_len = sizeof(cert_der);
	r->creds = creds_obj;
	r->creds_len = sizeof(creds_obj);
}

static void same(const struct om_handover_req *a, const struct om_handover_req *b)
{
	CHECK(!strcmp(a->request_id, b->request_id));
	CHECK(!strcmp(a->tre_id, b->tre_id));
	CHECK(!strcmp(a->new_sho_id, b->new_sho_id));
	CHECK(!strcmp(a->provurl, b->provurl));
	CHECK(!strcmp(a->server_id, b->server_id));
	CHECK(!strcmp(a->apn, b->apn));
	CHECK_MEM(a->code_proof, b->code_proof, sizeof(a->code_proof));
	CHECK_INT(a->created, b->created);
	CHECK_INT(a->sho_cert_len, b->sho_cert_len);
	CHECK_INT(a->creds_len, b->creds_len);
	if (a->sho_cert_len == b->sho_cert_len)
		CHECK_MEM(a->sho_cert, b->sho_cert, a->sho_cert_len);
	if (a->creds_len == b->creds_len)
		CHECK_MEM(a->creds, b->creds, a->creds_len);
}

/* An empty output after a refusal: every byte zero. */
static int is_empty(const struct om_handover_req *r)
{
	static const struct om_handover_req zero;
	return memcmp(r, &zero, sizeof(zero)) == 0;
}

static void test_round_trip_and_peek(enum om_key_type type)
{
	struct om_handover_req r, got;
	EVP_PKEY *key = tk_key(type), *pub = tk_public(key);
	uint8_t *obj = NULL;
	size_t len = 0;
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	fill(&r);
	r.created = -5; /* negative times survive the encoding */
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), 0);
	CHECK(len > MOBJ_HDR);
	CHECK_INT(obj[5], 0x03);
	CHECK_INT(om_handover_peek_sender(obj, len, sender), 0);
	CHECK(!strcmp(sender, "SHO-B"));
	CHECK_INT(om_handover_verify(obj, len, pub, &got), 0);
	same(&r, &got);
	om_handover_free(&got);
	CHECK(is_empty(&got));
	free(obj);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void test_every_flipped_bit_is_refused(void)
{
	struct om_handover_req r, got;
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	uint8_t *obj = NULL;
	size_t len = 0;
	int accepted = 0;
	fill(&r);
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), 0);
	for (size_t i = 0; obj && i < len * 8; i++) {
		obj[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (om_handover_verify(obj, len, pub, &got) == 0)
			accepted++;
		else if (!is_empty(&got))
			accepted++;
		om_handover_free(&got);
		obj[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK_INT(accepted, 0);
	free(obj);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void test_truncation_and_extension_are_refused(void)
{
	struct om_handover_req r, got;
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	uint8_t *obj = NULL, *longer;
	size_t len = 0;
	int accepted = 0;
	fill(&r);
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), 0);
	for (size_t n = 0; obj && n < len; n++)
		if (om_handover_verify(obj, n, pub, &got) == 0)
			accepted++;
	CHECK_INT(accepted, 0);
	CHECK_INT(om_handover_verify(obj, MOBJ_HDR + 3, pub, &got), OM_EOBJ_TRUNCATED);
	longer = malloc(len + 1);
	memcpy(longer, obj, len);
	longer[len] = 0;
	CHECK_INT(om_handover_verify(longer, len + 1, pub, &got), OM_EOBJ_TRAILING);
	CHECK(is_empty(&got));
	free(longer);
	free(obj);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void test_wrong_key_type_and_scheme_are_refused(void)
{
	struct om_handover_req r, got;
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *other = tk_key(OM_KEY_EC_P256), *rsa = tk_key(OM_KEY_RSA_2048);
	EVP_PKEY *pub_other = tk_public(other), *pub_rsa = tk_public(rsa), *pub = tk_public(key);
	struct om_tre_info info;
	uint8_t nonce[OM_NONCE_LEN] = { 0 }, mobj[OM_MOBJ_MAX];
	uint8_t *obj = NULL;
	size_t len = 0;
	fill(&r);
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), 0);
	CHECK_INT(om_handover_verify(obj, len, pub_other, &got), OM_EOBJ_SIGNATURE);
	CHECK(is_empty(&got));
	CHECK_INT(om_handover_verify(obj, len, pub_rsa, &got), OM_EOBJ_SIG_ALGORITHM);
	/* an M2MMobj, validly signed by the same key, is not a handover */
	memset(&info, 0, sizeof(info));
	strcpy(info.tre_id, "TRE-1");
	strcpy(info.tre_type, "M2ME-1");
	strcpy(info.firmware_version, "1.0");
	int n = om_m2mmobj_build(&info, nonce, nonce, key, mobj, sizeof(mobj));
	CHECK(n > 0);
	CHECK_INT(om_handover_verify(mobj, (size_t)n, pub, &got), OM_EOBJ_TYPE);
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	CHECK_INT(om_handover_peek_sender(mobj, (size_t)n, sender), OM_EOBJ_TYPE);
	free(obj);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(pub_other);
	EVP_PKEY_free(pub_rsa);
	EVP_PKEY_free(pub);
}

static void test_builder_refuses_what_the_verifier_refuses(void)
{
	struct om_handover_req r;
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256);
	uint8_t *obj = (uint8_t *)"x";
	size_t len = 1;
	static uint8_t big[OMO_CERT_MAX + 1];

	fill(&r);
	strcpy(r.provurl, "ftp://dpf.sho-b.lab");
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EINVAL);
	CHECK(obj == NULL && len == 0);
	fill(&r);
	strcpy(r.apn, "bad..apn");
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EINVAL);
	fill(&r);
	r.request_id[0] = '\0';
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EINVAL);
	fill(&r);
	memset(r.tre_id, 'A', sizeof(r.tre_id)); /* no NUL */
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EINVAL);
	fill(&r);
	r.sho_cert = big;
	r.sho_cert_len = sizeof(big);
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EINVAL);
	fill(&r);
	r.sho_cert = big;
	r.sho_cert_len = 3900; /* every field fits, the whole object does not */
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EOBJ_TOO_LONG);
	fill(&r);
	r.creds_len = 0;
	CHECK_INT(om_handover_build_signed(&r, key, &obj, &len), OM_EINVAL);
	EVP_PKEY_free(key);
}

/* Sign a hand-made body, as a peer with a faulty builder would. */
static size_t sign_body(EVP_PKEY *key, const uint8_t *body, size_t blen, uint8_t *out)
{
	memcpy(out + MOBJ_HDR, body, blen);
	int n = omo_mobj_sign(0x03, key, out, OM_MOBJ_MAX, blen);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static size_t text(uint8_t *p, const char *s)
{
	p[0] = (uint8_t)strlen(s);
	memcpy(p + 1, s, p[0]);
	return 1 + p[0];
}

#define PROOF_AT 48 /* the texts of body_with() before the code proof */

/* A body with one field replaced by raw bytes (index 0..5 of the texts, 6 the code proof). */
static size_t body_with(uint8_t *b, int which, const uint8_t *raw, size_t raw_len)
{
	const char *t[6] = { "SHO-B", "req-1", "TRE-1", "https://dpf.b/dm", "DPF B", "prov.b" };
	size_t o = 0;
	for (int i = 0; i < 7; i++) {
		if (i == which) {
			memcpy(b + o, raw, raw_len);
			o += raw_len;
		} else if (i < 6) {
			o += text(b + o, t[i]);
		} else {
			memset(b + o, 0xc0, OM_HANDOVER_PROOF_LEN);
			o += OM_HANDOVER_PROOF_LEN;
		}
	}
	CHECK(which >= 0 || o == PROOF_AT + OM_HANDOVER_PROOF_LEN);
	memset(b + o, 0, 8);
	o += 8;
	b[o++] = 0;
	b[o++] = 3;
	memcpy(b + o, "abc", 3);
	o += 3;
	b[o++] = 0;
	b[o++] = 2;
	memcpy(b + o, "xy", 2);
	return o + 2;
}

static void test_signed_but_malformed_bodies_are_refused(void)
{
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256), *pub = tk_public(key);
	struct om_handover_req got;
	uint8_t body[1024], obj[OM_MOBJ_MAX], raw[300];
	size_t blen, n;

	/* a well-formed body passes, so the cases below fail for their own reason */
	blen = body_with(body, -1, NULL, 0);
	n = sign_body(key, body, blen, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), 0);
	om_handover_free(&got);

	raw[0] = 37; /* request id over 36 */
	memset(raw + 1, 'a', 37);
	blen = body_with(body, 1, raw, 38);
	n = sign_body(key, body, blen, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), OM_EOBJ_FIELD);
	CHECK(is_empty(&got));

	raw[0] = 0; /* empty tre id */
	blen = body_with(body, 2, raw, 1);
	n = sign_body(key, body, blen, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), OM_EOBJ_FIELD);

	blen = body_with(body, -1, NULL, 0); /* the body ends inside the code proof */
	n = sign_body(key, body, PROOF_AT + 20, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), OM_EOBJ_TRUNCATED);
	CHECK(is_empty(&got));

	blen = body_with(body, 3, raw, text(raw, "gopher://dpf.b")); /* URL scheme */
	n = sign_body(key, body, blen, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), OM_EOBJ_FIELD);

	blen = body_with(body, -1, NULL, 0); /* a blob length past the body */
	body[blen - 3] = 9;
	n = sign_body(key, body, blen, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), OM_EOBJ_TRUNCATED);

	blen = body_with(body, -1, NULL, 0); /* a byte after the last field, inside the signed body */
	body[blen++] = 0;
	n = sign_body(key, body, blen, obj);
	CHECK_INT(om_handover_verify(obj, n, pub, &got), OM_EOBJ_TRAILING);
	CHECK(is_empty(&got));

	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void test_null_arguments(void)
{
	struct om_handover_req r, got;
	uint8_t *obj;
	size_t len;
	char sender[OM_HANDOVER_SHO_ID_MAX + 1];
	fill(&r);
	CHECK_INT(om_handover_build_signed(&r, NULL, &obj, &len), OM_EINVAL);
	CHECK_INT(om_handover_verify(NULL, 0, NULL, &got), OM_EINVAL);
	CHECK_INT(om_handover_peek_sender(NULL, 0, sender), OM_EINVAL);
	om_handover_free(NULL);
}

int main(void)
{
	test_round_trip_and_peek(OM_KEY_EC_P256);
	test_round_trip_and_peek(OM_KEY_RSA_2048);
	test_every_flipped_bit_is_refused();
	test_truncation_and_extension_are_refused();
	test_wrong_key_type_and_scheme_are_refused();
	test_builder_refuses_what_the_verifier_refuses();
	test_signed_but_malformed_bodies_are_refused();
	test_null_arguments();
	return check_done();
}
