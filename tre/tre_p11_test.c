/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE on a PKCS#11 token (tre/seal_p11.c) against SoftHSM2, a private
 * token directory the test makes itself (tests/hw_token.h): the sealing key
 * is generated in the token, sensitive and non-extractable (its value, and
 * a wrapping of it, are refused by the token), sealing runs inside the
 * token, a copied directory does not open with another device's token, and
 * a key planted under the sealing key's CKA_ID is refused. PrK_TRE is
 * generated in the token too, never leaves it, signs and agrees there, and
 * a key planted in its place is refused at open.
 */
#define CRYPTOKI_GNU 1
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>

#include <openmcim/outcome.h>

#include "hw_token.h"
#include "tre_fixture.h"
#include "tre_int.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro, sho1;
static struct t_softhsm hsm, other;
static char hsm_conf[200], other_conf[200];
static struct om_tre_backend be;

static void test_personalised_tre_seals_in_the_token(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000801", &ro, &be);
	CHECK(fx_has_file(t.dir, "p11.ctx") && !fx_has_file(t.dir, "seal.key") && !fx_has_file(t.dir, "tpm.ctx"));
	CHECK_INT(aka_ok(tre, &t.pcid, 32), 0);
	om_tre_close(tre);
	/* reopened: the token opens what it sealed, and the SQN state moved */
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(aka_ok(tre, &t.pcid, 32), OM_EAUTH_SYNC);
	CHECK_INT(aka_ok(tre, &t.pcid, 64), 0);
	om_tre_close(tre);
	/* K is not in any file in clear */
	char path[600];
	snprintf(path, sizeof(path), "%s/tre.state", t.dir);
	CHECK(!check_file_has(path, t.pcid.k, 16));
	fx_tre_free(&t);
}

static void test_tampered_mid_file_is_blocked(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000802", &ro, &be);
	struct om_tre_status st;
	om_tre_close(tre);
	fx_flip_mid(t.dir, 30);
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.n_blocked, 1);
	CHECK_INT(st.active_blocked, 1);
	om_tre_close(tre);
	fx_tre_free(&t);
}

static void test_directory_copied_to_another_token_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000803", &ro, &be);
	uint8_t before[32], after[32];
	om_tre_close(tre);
	/* another device: a token of the same label in another token store */
	setenv("SOFTHSM2_CONF", other_conf, 1);
	fx_dir_hash(t.dir, before);
	tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), OM_ETRE_SEAL);
	CHECK(tre == NULL);
	fx_dir_hash(t.dir, after);
	CHECK_MEM(before, after, 32);
	setenv("SOFTHSM2_CONF", hsm_conf, 1);
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	om_tre_close(tre);
	fx_tre_free(&t);
}

/* A session on the test's token, logged in as the user (the thief knows the PIN). */
static struct ck_function_list *user_session(ck_session_handle_t *s)
{
	struct ck_function_list *m = p11_kit_module_load(hsm.module, 0);
	if (!m || p11_kit_module_initialize(m) != CKR_OK)
		FX_DIE("p11-kit");
	ck_slot_id_t slots[8];
	unsigned long ns = 8;
	CHECK(m->C_GetSlotList(1, slots, &ns) == CKR_OK && ns >= 1);
	CHECK(m->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s) == CKR_OK);
	CHECK(m->C_Login(*s, CKU_USER, (unsigned char *)hsm.pin, strlen(hsm.pin)) == CKR_OK);
	return m;
}

static void end_session(struct ck_function_list *m, ck_session_handle_t s)
{
	m->C_CloseSession(s);
	p11_kit_module_finalize(m);
	p11_kit_module_release(m);
}

/*
 * What a thief with the device and its PIN can ask the token for about key:
 * its value (CKA_VALUE), making it extractable, or a wrapping of it (with
 * mechanism wrap) under a key of his own. The token refuses all three
 * (PKCS#11 v2.40 4.10), and the key says it was always sensitive and never
 * extractable.
 */
static void key_stays(struct ck_function_list *m, ck_session_handle_t s, ck_object_handle_t key, unsigned long wrap_mech)
{
	uint8_t val[64];
	struct ck_attribute get = { CKA_VALUE, val, sizeof(val) };
	ck_rv_t rv = m->C_GetAttributeValue(s, key, &get, 1);
	CHECK_MSG(rv == CKR_ATTRIBUTE_SENSITIVE, "C_GetAttributeValue(CKA_VALUE): 0x%lx", rv);
	unsigned char yes = 1, ext = 1, sens = 0, never = 0;
	struct ck_attribute flags[] = { { CKA_EXTRACTABLE, &ext, sizeof(ext) },
					{ CKA_SENSITIVE, &sens, sizeof(sens) },
					{ CKA_NEVER_EXTRACTABLE, &never, sizeof(never) } };
	CHECK(m->C_GetAttributeValue(s, key, flags, 3) == CKR_OK && ext == 0 && sens == 1 && never == 1);
	struct ck_attribute make_ext = { CKA_EXTRACTABLE, &yes, sizeof(yes) };
	rv = m->C_SetAttributeValue(s, key, &make_ext, 1);
	CHECK_MSG(rv != CKR_OK, "C_SetAttributeValue(CKA_EXTRACTABLE, true) succeeded");
	ck_object_class_t cls = CKO_SECRET_KEY;
	ck_key_type_t type = CKK_AES;
	unsigned long len = 32;
	struct ck_attribute wtpl[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &type, sizeof(type) },
				       { CKA_VALUE_LEN, &len, sizeof(len) }, { CKA_WRAP, &yes, sizeof(yes) } };
	struct ck_mechanism gen = { CKM_AES_KEY_GEN, NULL, 0 }, wrap = { wrap_mech, NULL, 0 };
	ck_object_handle_t wk = 0;
	CHECK(m->C_GenerateKey(s, &gen, wtpl, 4, &wk) == CKR_OK);
	uint8_t wrapped[512];
	unsigned long wl = sizeof(wrapped);
	rv = m->C_WrapKey(s, &wrap, wk, key, wrapped, &wl);
	CHECK_MSG(rv == CKR_KEY_UNEXTRACTABLE, "C_WrapKey: 0x%lx", rv);
}

/*
 * What a thief with the device and its PIN can ask the token for: the
 * key's value (CKA_VALUE), making it extractable, or a wrapping of it under
 * a key of his own. The token refuses all three (PKCS#11 v2.40 4.10).
 */
static void test_sealing_key_cannot_leave_the_token(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000804", &ro, &be);
	om_tre_close(tre);
	ck_session_handle_t s = 0;
	struct ck_function_list *m = user_session(&s);
	ck_object_class_t cls = CKO_SECRET_KEY;
	struct ck_attribute find[] = { { CKA_CLASS, &cls, sizeof(cls) },
				       { CKA_LABEL, (void *)"openmcim-tre-seal", 17 } };
	ck_object_handle_t keys[16];
	unsigned long n = 0;
	CHECK(m->C_FindObjectsInit(s, find, 2) == CKR_OK);
	CHECK(m->C_FindObjects(s, keys, 16, &n) == CKR_OK && n >= 1);
	m->C_FindObjectsFinal(s);
	key_stays(m, s, keys[0], CKM_AES_KEY_WRAP);
	end_session(m, s);
	fx_tre_free(&t);
}

/*
 * Security review: open found the sealing key by class and CKA_ID only. A
 * thief with the PIN plants an AES key of his own value under the TRE's
 * CKA_ID (p11.ctx's last 16 bytes), once beside the real key and once in its
 * place, once imported and once generated extractable and then locked: each
 * is refused with OM_ETRE_KEY_ATTRS, nothing unsealed, no file changed.
 */
static void test_planted_key_under_the_id_is_refused(void)
{
	for (int round = 0; round < 3; round++) {
		struct fx_tre t;
		char name[32];
		snprintf(name, sizeof(name), "TRE-0000081%d", round);
		struct om_tre *tre = fx_tre_setup(&t, pva, name, &ro, &be);
		om_tre_close(tre);
		char ctx[600];
		snprintf(ctx, sizeof(ctx), "%s/p11.ctx", t.dir);
		size_t len = 0;
		uint8_t *c = check_slurp(ctx, &len), id[16];
		CHECK(c != NULL && len > 16);
		if (!c || len <= 16)
			FX_DIE("p11.ctx");
		memcpy(id, c + len - 16, 16);
		free(c);
		ck_session_handle_t s = 0;
		struct ck_function_list *m = user_session(&s);
		ck_object_class_t cls = CKO_SECRET_KEY;
		ck_key_type_t type = CKK_AES;
		unsigned char yes = 1, no = 0, value[32] = { 0x42 };
		unsigned long vlen = 32;
		if (round >= 1) { /* in the real key's place */
			struct ck_attribute find[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, id, 16 } };
			ck_object_handle_t real = 0;
			unsigned long n = 0;
			CHECK(m->C_FindObjectsInit(s, find, 2) == CKR_OK);
			CHECK(m->C_FindObjects(s, &real, 1, &n) == CKR_OK && n == 1);
			m->C_FindObjectsFinal(s);
			CHECK(m->C_DestroyObject(s, real) == CKR_OK);
		}
		ck_object_handle_t planted = 0;
		if (round < 2) { /* imported: a value the thief knows, extractable */
			struct ck_attribute tpl[] = {
				{ CKA_CLASS, &cls, sizeof(cls) },	  { CKA_KEY_TYPE, &type, sizeof(type) },
				{ CKA_TOKEN, &yes, sizeof(yes) },	  { CKA_PRIVATE, &yes, sizeof(yes) },
				{ CKA_EXTRACTABLE, &yes, sizeof(yes) }, { CKA_SENSITIVE, &no, sizeof(no) },
				{ CKA_ENCRYPT, &yes, sizeof(yes) },	  { CKA_DECRYPT, &yes, sizeof(yes) },
				{ CKA_ID, id, 16 },			  { CKA_VALUE, value, sizeof(value) },
			};
			CHECK(m->C_CreateObject(s, tpl, sizeof(tpl) / sizeof(tpl[0]), &planted) == CKR_OK);
		} else { /* generated readable, read, then locked: sensitive and unextractable now, not always */
			struct ck_attribute tpl[] = {
				{ CKA_CLASS, &cls, sizeof(cls) },	  { CKA_KEY_TYPE, &type, sizeof(type) },
				{ CKA_VALUE_LEN, &vlen, sizeof(vlen) }, { CKA_TOKEN, &yes, sizeof(yes) },
				{ CKA_PRIVATE, &yes, sizeof(yes) },	  { CKA_EXTRACTABLE, &yes, sizeof(yes) },
				{ CKA_SENSITIVE, &no, sizeof(no) },	  { CKA_ENCRYPT, &yes, sizeof(yes) },
				{ CKA_DECRYPT, &yes, sizeof(yes) },	  { CKA_ID, id, 16 },
			};
			struct ck_mechanism gen = { CKM_AES_KEY_GEN, NULL, 0 };
			CHECK(m->C_GenerateKey(s, &gen, tpl, sizeof(tpl) / sizeof(tpl[0]), &planted) == CKR_OK);
			struct ck_attribute get = { CKA_VALUE, value, sizeof(value) };
			CHECK(m->C_GetAttributeValue(s, planted, &get, 1) == CKR_OK);
			struct ck_attribute lock[] = { { CKA_SENSITIVE, &yes, sizeof(yes) },
						       { CKA_EXTRACTABLE, &no, sizeof(no) } };
			CHECK(m->C_SetAttributeValue(s, planted, lock, 2) == CKR_OK);
		}
		end_session(m, s);
		fx_open_refused(t.dir, &be, OM_ETRE_KEY_ATTRS);
		if (round == 0) { /* the planted one removed: the real key opens the TRE again */
			m = user_session(&s); /* handles are the session's: found again, by the flag only it has */
			struct ck_attribute find[] = { { CKA_ID, id, 16 }, { CKA_SENSITIVE, &no, sizeof(no) } };
			unsigned long n = 0;
			CHECK(m->C_FindObjectsInit(s, find, 2) == CKR_OK);
			CHECK(m->C_FindObjects(s, &planted, 1, &n) == CKR_OK && n == 1);
			m->C_FindObjectsFinal(s);
			CHECK(n == 1 && m->C_DestroyObject(s, planted) == CKR_OK);
			end_session(m, s);
			tre = NULL;
			CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
			om_tre_close(tre);
		}
		fx_tre_free(&t);
	}
}

/*
 * Review finding 1: the module p11-kit loads, the token and the PIN are the
 * configuration's. p11.ctx holds neither the module path nor the PIN; a
 * p11.ctx of the version that named a module (here a library that does not
 * exist, which a load would report as OM_ETRE_HW) is refused without
 * loading anything; the directory opened as another backend, or for another
 * token label, is refused.
 */
static void test_module_and_pin_come_from_the_configuration(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000805", &ro, &be);
	char path[600];
	size_t len = 0;
	om_tre_close(tre);
	snprintf(path, sizeof(path), "%s/p11.ctx", t.dir);
	CHECK(!check_file_has(path, (const uint8_t *)hsm.module, strlen(hsm.module)));
	CHECK(!check_file_has(path, (const uint8_t *)hsm.pin, strlen(hsm.pin)));
	fx_open_refused(t.dir, NULL, OM_ETRE_BACKEND);
	fx_open_refused(t.dir, &(struct om_tre_backend){ .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = "swtpm:path=/nonexistent" },
		     OM_ETRE_BACKEND);
	struct om_tre_backend other_token = be;
	other_token.p11_token = "another";
	fx_open_refused(t.dir, &other_token, OM_ETRE_BACKEND);
	/* version 1: magic, version, len|module, len|token, len|PIN, CKA_ID */
	uint8_t *ctx = check_slurp(path, &len);
	CHECK(ctx && len == 6 + strlen(hsm.label) + 16);
	if (ctx && len == 6 + strlen(hsm.label) + 16) {
		const char *evil = "/nonexistent/evil-pkcs11.so";
		uint8_t v1[400];
		size_t off = 5;
		memcpy(v1, ctx, 4);
		v1[4] = 1;
		const char *f[3] = { evil, hsm.label, hsm.pin };
		for (int i = 0; i < 3; i++) {
			v1[off] = (uint8_t)strlen(f[i]);
			memcpy(v1 + off + 1, f[i], strlen(f[i]));
			off += 1 + strlen(f[i]);
		}
		memcpy(v1 + off, ctx + len - 16, 16);
		off += 16;
		FILE *fp = fopen(path, "wb");
		CHECK(fp && fwrite(v1, 1, off, fp) == off);
		if (fp)
			fclose(fp);
		fx_open_refused(t.dir, &be, OM_ETRE_STATE_VERSION);
		/* the current file back: it opens with the configured module */
		fp = fopen(path, "wb");
		CHECK(fp && fwrite(ctx, 1, len, fp) == len);
		if (fp)
			fclose(fp);
		CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
		om_tre_close(tre);
	}
	free(ctx);
	fx_tre_free(&t);
}


/* The token's private key object under CKA_ID id (exactly one), in session s. */
static ck_object_handle_t find_private(struct ck_function_list *m, ck_session_handle_t s, const uint8_t id[16])
{
	ck_object_class_t cls = CKO_PRIVATE_KEY;
	struct ck_attribute find[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, 16 } };
	ck_object_handle_t h[2] = { 0 };
	unsigned long n = 0;
	CHECK(m->C_FindObjectsInit(s, find, 2) == CKR_OK);
	CHECK(m->C_FindObjects(s, h, 2, &n) == CKR_OK);
	m->C_FindObjectsFinal(s);
	CHECK_INT((int)n, 1);
	return h[0];
}

/* The value, a wrapping, and extractability of the private key under id: each refused by the token. */
static void private_key_stays(const uint8_t id[16])
{
	ck_session_handle_t s = 0;
	struct ck_function_list *m = user_session(&s);
	ck_object_handle_t key = find_private(m, s, id);
	unsigned char local = 0;
	struct ck_attribute made_here = { CKA_LOCAL, &local, sizeof(local) };
	CHECK(m->C_GetAttributeValue(s, key, &made_here, 1) == CKR_OK && local == 1);
	key_stays(m, s, key, CKM_AES_KEY_WRAP_PAD);
	end_session(m, s);
}

/*
 * PrK_TRE (signing and key agreement) generated in the token (issue 18):
 * the CSR is signed by C_Sign (the PVA's CA verifies it), the keys are
 * sensitive, never extractable and made in the token (CKA_LOCAL), their
 * value, a wrapping of them and making them extractable are refused by the
 * token, no private half comes out through OpenSSL, another token has no
 * such key, and the TRE keeps only the CKA_ID and the point. The whole
 * B.2.3.3-4 path then runs with them: the bootstrap's credentials and the
 * MCIM are opened by CKM_ECDH1_DERIVE, the M2MMobj and the outcome are
 * signed by the token and verify with Cert_TRE, AKA runs on the new MCIM.
 */
static void test_prk_tre_is_made_in_the_token_and_cannot_leave(void)
{
	struct fx_tre t;
	struct tre_blob blob = { 0 };
	uint8_t mid[16], ids[2][16];
	EVP_PKEY *k = NULL;
	fx_hw_keys_released(&t, pva, "TRE-00000820", &ro, &be);
	for (int i = 0; i < 2; i++) {
		/* what the TRE keeps: the object's CKA_ID and the public point */
		CHECK_INT(tre_key_encode(i ? t.enc_key : t.sign_key, &blob), 0);
		CHECK(blob.len == TRE_KEY_P11_LEN && blob.p[0] == TRE_KEY_P11 && blob.p[17] == 0x04);
		memcpy(ids[i], blob.p + 1, 16);
		private_key_stays(ids[i]);
		/* another device's token has no such key */
		setenv("SOFTHSM2_CONF", other_conf, 1);
		CHECK_INT(tre_p11_key_load(&be, &blob, &k), OM_ETRE_SEAL);
		CHECK(!k);
		setenv("SOFTHSM2_CONF", hsm_conf, 1);
		CHECK_INT(tre_p11_key_load(&be, &blob, &k), 0);
		om_key_free(k);
		k = NULL;
		tre_blob_free(&blob);
	}
	int rc = om_tre_personalise(t.dir, &t.p, 0);
	CHECK_MSG(rc == 0, "personalise with token keys: %s", om_errname(rc));
	char path[600];
	snprintf(path, sizeof(path), "%s/p11.ctx", t.dir);
	struct om_tre *tre = NULL;
	rc = om_tre_open_backend(&tre, t.dir, &be, 0);
	CHECK_MSG(rc == 0, "open: %s", om_errname(rc));
	if (tre) {
		CHECK(!tre->sign_key && !tre->enc_key && tre->st.sign_key.p[0] == TRE_KEY_P11 &&
		      tre->st.enc_key.p[0] == TRE_KEY_P11);
		struct om_tre_status st;
		CHECK(om_tre_status(tre, &st) == 0 && st.keys_in_token == 1 && st.keys_in_tpm == 0);
		struct om_mcim m;
		fx_pcid(&m, "001010000008201", "m2m.sho1.example");
		provision(tre, &t, &ro, &sho1, 1, &m, mid);
		CHECK_INT(om_tre_activate(tre, mid, time(NULL), 0), 0);
		CHECK_INT(aka_ok(tre, &m, 32), 0);
		/* the outcome statement, signed in the token, verifies with Cert_TRE */
		uint8_t out[OM_OUTCOME_MAX];
		struct om_outcome o;
		X509 *sc = NULL;
		int n = om_tre_outcome(tre, OM_OUTCOME_ACTIVE, time(NULL), out, sizeof(out));
		CHECK_MSG(n > 0, "outcome: %s", om_errname(n));
		CHECK_INT(om_cert_decode(&sc, OM_ENC_DER, t.sign_der, t.sign_len), 0);
		CHECK(n > 0 && sc && om_outcome_verify(out, (size_t)n, X509_get0_pubkey(sc), &o) == 0 &&
		      strcmp(o.imsi, m.imsi) == 0);
		X509_free(sc);
		om_mcim_clear(&m);
	}
	om_tre_close(tre);
	/* the directory on another token: nothing opens, nothing is signed */
	setenv("SOFTHSM2_CONF", other_conf, 1);
	fx_open_refused(t.dir, &be, OM_ETRE_SEAL);
	setenv("SOFTHSM2_CONF", hsm_conf, 1);
	/* the same keys refused for a software TRE */
	struct fx_tre s2;
	fx_tre_init(&s2, pva, "TRE-00000820", &ro, OM_KEY_EC_P256);
	t.p.backend = NULL;
	CHECK_INT(om_tre_personalise(s2.dir, &t.p, 0), OM_ETRE_BACKEND);
	CHECK(!fx_has_file(s2.dir, "tre.state"));
	fx_tre_free(&s2);
	fx_tre_free(&t);
}

/*
 * A thief with the PIN replaces PrK_TRE under its CKA_ID: with a key of his
 * own value (imported: not CKA_LOCAL, and it was readable), with a key he
 * generated in the token with every attribute ours has (not the one
 * Cert_TRE certifies: the TRE's ECDH proof fails), or beside the real one.
 * Each open is refused with OM_ETRE_KEY_ATTRS before anything is signed or
 * unsealed, and not one byte of the directory changes.
 */
static void test_planted_prk_tre_is_refused(void)
{
	for (int round = 0; round < 3; round++) {
		struct fx_tre t;
		struct tre_blob blob = { 0 };
		char name[32];
		snprintf(name, sizeof(name), "TRE-0000083%d", round);
		fx_hw_keys_init(&t, pva, name, &ro, &be);
		CHECK_INT(om_tre_key_release(&t.sign_key), 0);
		CHECK_INT(om_tre_key_release(&t.enc_key), 0);
		t.p.sign_key = t.sign_key;
		t.p.enc_key = t.enc_key;
		CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
		CHECK_INT(tre_key_encode(t.sign_key, &blob), 0);
		uint8_t id[16];
		memcpy(id, blob.p + 1, 16);
		tre_blob_free(&blob);
		ck_session_handle_t s = 0;
		struct ck_function_list *m = user_session(&s);
		ck_object_handle_t real = find_private(m, s, id);
		if (round < 2)
			CHECK(m->C_DestroyObject(s, real) == CKR_OK);
		static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
		ck_object_class_t cls = CKO_PRIVATE_KEY;
		ck_key_type_t type = CKK_EC;
		unsigned char yes = 1, no = 0, value[32] = { 0 };
		value[31] = 7; /* d = 7: a value the thief knows */
		ck_object_handle_t planted = 0, pub = 0;
		if (round == 0) {
			struct ck_attribute tpl[] = {
				{ CKA_CLASS, &cls, sizeof(cls) },	  { CKA_KEY_TYPE, &type, sizeof(type) },
				{ CKA_TOKEN, &yes, sizeof(yes) },	  { CKA_PRIVATE, &yes, sizeof(yes) },
				{ CKA_SENSITIVE, &yes, sizeof(yes) },	  { CKA_EXTRACTABLE, &no, sizeof(no) },
				{ CKA_SIGN, &yes, sizeof(yes) },	  { CKA_DERIVE, &yes, sizeof(yes) },
				{ CKA_ID, id, 16 },			  { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
				{ CKA_VALUE, value, sizeof(value) },
			};
			CHECK(m->C_CreateObject(s, tpl, sizeof(tpl) / sizeof(tpl[0]), &planted) == CKR_OK);
		} else {
			struct ck_attribute pub_tpl[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
							  { CKA_TOKEN, &no, sizeof(no) } };
			struct ck_attribute priv_tpl[] = {
				{ CKA_TOKEN, &yes, sizeof(yes) },	{ CKA_PRIVATE, &yes, sizeof(yes) },
				{ CKA_SENSITIVE, &yes, sizeof(yes) },	{ CKA_EXTRACTABLE, &no, sizeof(no) },
				{ CKA_SIGN, &yes, sizeof(yes) },	{ CKA_DERIVE, &yes, sizeof(yes) },
				{ CKA_ID, id, 16 },
			};
			struct ck_mechanism gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
			CHECK(m->C_GenerateKeyPair(s, &gen, pub_tpl, 2, priv_tpl, 7, &pub, &planted) == CKR_OK);
		}
		end_session(m, s);
		fx_open_refused(t.dir, &be, OM_ETRE_KEY_ATTRS);
		fx_tre_free(&t);
	}
}

int main(void)
{
	/* no PIN of these tokens on any command line while they are made and used (hw_token.h) */
	CHECK_INT(t_cmdlines_watch(), 0);
	if (t_softhsm_init(&hsm, "openmcim", NULL) != 0) {
		CHECK_MSG(0, "SoftHSM2 token could not be made (scripts/deps.sh test installs softhsm2)");
		return check_done();
	}
	snprintf(hsm_conf, sizeof(hsm_conf), "%s", getenv("SOFTHSM2_CONF"));
	/* another device's token: same label, even the same PIN (a factory default) */
	if (t_softhsm_init(&other, "openmcim", hsm.pin) != 0) {
		CHECK_MSG(0, "SoftHSM2 token could not be made");
		return check_done();
	}
	snprintf(other_conf, sizeof(other_conf), "%s", getenv("SOFTHSM2_CONF"));
	setenv("SOFTHSM2_CONF", hsm_conf, 1);
	be = (struct om_tre_backend){ .kind = OM_TRE_BACKEND_PKCS11, .p11_module = hsm.module,
				      .p11_token = hsm.label, .p11_pin = hsm.pin };
	fx_pva_init(&pva, &pva_key);
	fx_sho_init(&ro, "RO-1");
	fx_sho_init(&sho1, "SHO-1");
	test_personalised_tre_seals_in_the_token();
	test_tampered_mid_file_is_blocked();
	test_directory_copied_to_another_token_is_refused();
	test_sealing_key_cannot_leave_the_token();
	test_module_and_pin_come_from_the_configuration();
	test_planted_key_under_the_id_is_refused();
	test_prk_tre_is_made_in_the_token_and_cannot_leave();
	test_planted_prk_tre_is_refused();
	fx_sho_free(&ro);
	fx_sho_free(&sho1);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	unsigned long scans = t_cmdlines_stop();
	size_t with_pin = t_cmdlines_with(hsm.pin), with_flag = t_cmdlines_with("--pin") + t_cmdlines_with("--so-pin");
	printf("command lines seen while the tokens were made and used: %zu distinct in %lu scans of /proc\n",
	       t_cmdlines_seen(), scans);
	CHECK_MSG(scans > 10, "/proc read only %lu times", scans);
	CHECK_MSG(with_pin == 0 && with_flag == 0, "%zu command lines held the tokens' PIN, %zu a PIN argument", with_pin,
		  with_flag);
	t_cmdlines_free();
	t_softhsm_free(&hsm);
	t_softhsm_free(&other);
	return check_done();
}
