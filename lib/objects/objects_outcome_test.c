/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE's outcome statement (outcome.h): our encoder gives, byte for
 * byte, the to-be-signed bytes that vectors/outcome/gen.sh wrote by hand
 * from docs/formats.md; our verifier accepts the statement openssl signed
 * there and reads back every input; every flipped bit, another key, the
 * other object types, a relabelled outcome and bad fields are refused, each
 * with its code, with nothing output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/hex.h>
#include <openmcim/outcome.h>

#include "objects_testkit.h"

static char dir[1024];

static uint8_t *hex_file(const char *name, size_t *len)
{
	char path[1200];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = (char *)check_slurp(path, &n);
	CHECK_MSG(text != NULL, "%s", path);
	if (!text)
		return NULL;
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	text[n] = '\0';
	uint8_t *out = malloc(n / 2 + 1);
	CHECK_INT(om_hex_decode(out, n / 2, text), 0);
	*len = n / 2;
	free(text);
	return out;
}

static EVP_PKEY *pem_key(const char *name, int private)
{
	char path[1200];
	size_t n = 0;
	EVP_PKEY *k = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	uint8_t *pem = check_slurp(path, &n);
	CHECK_MSG(pem != NULL, "%s", path);
	if (private)
		CHECK_INT(om_key_decode_private(&k, OM_ENC_PEM, pem, n), 0);
	else
		CHECK_INT(om_key_decode_public(&k, OM_ENC_PEM, pem, n), 0);
	free(pem);
	return k;
}

/* vectors/outcome/inputs.txt */
static void inputs(struct om_outcome *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->tre_id, "TRE-00000001");
	strcpy(o->imsi, "001020000000001");
	o->outcome = OM_OUTCOME_ACTIVE;
	for (int i = 0; i < OM_NONCE_LEN; i++)
		o->nonce_b[i] = (uint8_t)(0x11 * i);
	o->sequence = 2;
	o->counter = 7;
	o->time = 1796000000;
	o->n_blocked = 1;
}

static void refused(const uint8_t *obj, size_t len, EVP_PKEY *pub, int want)
{
	struct om_outcome o, o0;
	memset(&o, 0x5a, sizeof(o));
	memset(&o0, 0x5a, sizeof(o0));
	int r = om_outcome_verify(obj, len, pub, &o);
	if (want)
		CHECK_INT(r, want);
	else
		CHECK(r < 0);
	CHECK(memcmp(&o, &o0, sizeof(o)) == 0);
}

static void encoder_matches_the_hand_made_bytes(void)
{
	struct om_outcome in;
	uint8_t out[OM_OUTCOME_MAX];
	size_t tbs_len = 0;
	uint8_t *tbs = hex_file("tbs.hex", &tbs_len);
	EVP_PKEY *key = pem_key("tre-sign.pem", 1);
	inputs(&in);
	int n = om_outcome_build(&in, key, out, sizeof(out));
	CHECK_INT(n, (int)tbs_len + 64);
	CHECK_INT((int)tbs_len, 76);
	if (tbs && n == (int)tbs_len + 64)
		CHECK_MEM(out, tbs, tbs_len);
	free(tbs);
	EVP_PKEY_free(key);
}

static void verifier_reads_the_openssl_statement(void)
{
	struct om_outcome in, o;
	size_t len = 0;
	uint8_t *st = hex_file("statement.hex", &len);
	EVP_PKEY *pub = pem_key("tre-sign.pub.pem", 0);
	inputs(&in);
	CHECK_INT(om_outcome_verify(st, len, pub, &o), 0);
	CHECK(!strcmp(o.tre_id, in.tre_id) && !strcmp(o.imsi, in.imsi) && o.outcome == in.outcome);
	CHECK_MEM(o.nonce_b, in.nonce_b, OM_NONCE_LEN);
	CHECK(o.sequence == 2 && o.counter == 7 && o.time == 1796000000 && o.n_blocked == 1);
	/* every flipped bit is refused: the signature covers every byte, and the framing is read first */
	size_t accepted = 0;
	for (size_t bit = 0; bit < 8 * len; bit++) {
		st[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		accepted += om_outcome_verify(st, len, pub, &o) == 0;
		st[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_INT((int)accepted, 0);
	/* fallback relabelled active: byte 9 + 13 + 16 is the outcome */
	CHECK_INT(st[9 + 13 + 16], OM_OUTCOME_ACTIVE);
	st[9 + 13 + 16] = OM_OUTCOME_FALLBACK;
	refused(st, len, pub, OM_EOBJ_SIGNATURE);
	st[9 + 13 + 16] = OM_OUTCOME_ACTIVE;
	refused(st, len - 1, pub, OM_EOBJ_TRUNCATED);
	refused(st, 9, pub, OM_EOBJ_TRUNCATED);
	/* another TRE's key */
	EVP_PKEY *other = tk_key(OM_KEY_EC_P256), *other_pub = tk_public(other);
	refused(st, len, other_pub, OM_EOBJ_SIGNATURE);
	/* an M2MMobj is not an outcome statement, even signed by the same key */
	st[5] = 0x01;
	refused(st, len, pub, OM_EOBJ_TYPE);
	st[5] = 0x04;
	st[4] = 0x03;
	refused(st, len, pub, OM_EOBJ_VERSION);
	st[4] = 0x02;
	EVP_PKEY_free(other);
	EVP_PKEY_free(other_pub);
	EVP_PKEY_free(pub);
	free(st);
}

/*
 * A version 1 statement, as TREs signed it before the blocked MIDs (issue
 * 18, threats 1.10), is still read: every field, and no MID blocked, which
 * it did not say. Its bytes relabelled version 2 are refused (the signature
 * covers the version).
 */
static void version_1_statement_is_still_read(void)
{
	struct om_outcome in, o;
	size_t len = 0;
	uint8_t *st = hex_file("statement-v1.hex", &len);
	EVP_PKEY *pub = pem_key("tre-sign.pub.pem", 0);
	inputs(&in);
	CHECK_INT(st ? st[4] : 0, 0x01);
	CHECK_INT(om_outcome_verify(st, len, pub, &o), 0);
	CHECK(!strcmp(o.tre_id, in.tre_id) && !strcmp(o.imsi, in.imsi) && o.outcome == in.outcome);
	CHECK(o.sequence == 2 && o.counter == 7 && o.time == 1796000000 && o.n_blocked == 0);
	if (st) {
		st[4] = 0x02;
		refused(st, len, pub, OM_EOBJ_SIGNATURE);
	}
	EVP_PKEY_free(pub);
	free(st);
}

static void round_trips_and_refuses_bad_fields(void)
{
	static const enum om_key_type types[] = { OM_KEY_EC_P256, OM_KEY_RSA_2048 };
	for (size_t k = 0; k < 2; k++) {
		EVP_PKEY *key = tk_key(types[k]), *pub = tk_public(key);
		struct om_outcome in, o;
		uint8_t out[OM_OUTCOME_MAX];
		inputs(&in);
		in.outcome = OM_OUTCOME_FALLBACK;
		in.counter = UINT64_MAX;
		int n = om_outcome_build(&in, key, out, sizeof(out));
		CHECK(n > 0);
		CHECK_INT(om_outcome_verify(out, (size_t)n, pub, &o), 0);
		CHECK(o.outcome == OM_OUTCOME_FALLBACK && o.counter == UINT64_MAX);
		EVP_PKEY_free(key);
		EVP_PKEY_free(pub);
	}
	EVP_PKEY *key = tk_key(OM_KEY_EC_P256);
	struct om_outcome in;
	uint8_t out[OM_OUTCOME_MAX], zero[OM_OUTCOME_MAX] = { 0 };
	inputs(&in);
	strcpy(in.imsi, "00102x");
	CHECK_INT(om_outcome_build(&in, key, out, sizeof(out)), OM_EINVAL);
	CHECK(memcmp(out, zero, sizeof(out)) == 0);
	inputs(&in);
	strcpy(in.imsi, "12345");
	CHECK_INT(om_outcome_build(&in, key, out, sizeof(out)), OM_EINVAL);
	inputs(&in);
	in.outcome = 3;
	CHECK_INT(om_outcome_build(&in, key, out, sizeof(out)), OM_EINVAL);
	inputs(&in);
	in.time = -1;
	CHECK_INT(om_outcome_build(&in, key, out, sizeof(out)), OM_EINVAL);
	inputs(&in);
	strcpy(in.tre_id, "TRE 1");
	CHECK_INT(om_outcome_build(&in, key, out, sizeof(out)), OM_EINVAL);
	inputs(&in);
	in.n_blocked = OM_MOBJ_BLOCKED_MAX + 1;
	CHECK_INT(om_outcome_build(&in, key, out, sizeof(out)), OM_EINVAL);
	inputs(&in);
	CHECK_INT(om_outcome_build(&in, key, out, 40), OM_ENOSPC);
	EVP_PKEY_free(key);
}

int main(void)
{
	const char *src = getenv("OM_SOURCE_DIR");
	snprintf(dir, sizeof(dir), "%s/vectors/outcome", src ? src : ".");
	encoder_matches_the_hand_made_bytes();
	verifier_reads_the_openssl_statement();
	version_1_statement_is_still_read();
	round_trips_and_refuses_bad_fields();
	return check_done();
}
