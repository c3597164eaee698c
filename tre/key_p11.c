/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PrK_TRE in the PKCS#11 token (docs/tre.md "Backends", issue 18): both
 * private keys of the TRE, for signing and for key agreement, are generated
 * in the token (C_GenerateKeyPair, CKM_EC_KEY_PAIR_GEN, P-256) as token
 * objects that are private, sensitive and never extractable (PKCS#11 v2.40
 * 4.9: neither their value nor a wrapping of them leaves the token, and
 * neither attribute can be turned back). The TRE keeps their CKA_ID and
 * public point only (key blob TRE_KEY_P11). Each use connects, finds the
 * key by CKA_ID, checks it is the kind this file makes and the one of the
 * blob's point, and binds it into a library context whose provider
 * (p11_provider.c) signs with C_Sign (CKM_ECDSA) and agrees with
 * C_DeriveKey (CKM_ECDH1_DERIVE).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <openmcim/pki.h>

#include "p11_provider.h"
#include "tre_int.h"

#define POINT_LEN 65
#define KEY_LABEL "openmcim-tre-prk"

/* prime256v1's OID (RFC 5480 2.1.1.1) as CKA_EC_PARAMS, the namedCurve choice */
static const uint8_t p256_params[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* The token's session moves into the key's library context; the key carries it (om_key_bind_hw). */
static int bind(struct tre_p11 *c, ck_object_handle_t h, const uint8_t id[static TRE_P11_ID_LEN],
		const uint8_t q[static POINT_LEN], EVP_PKEY **out)
{
	OSSL_LIB_CTX *lib = NULL;
	EVP_PKEY *key = NULL;
	unsigned long handle = h;
	int rc = tre_p11_libctx(c, &lib);
	if (rc)
		return rc;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)q, POINT_LEN),
		OSSL_PARAM_construct_ulong(TRE_P11_PARAM_HANDLE, &handle),
		OSSL_PARAM_construct_octet_string(TRE_P11_PARAM_ID, (void *)id, TRE_P11_ID_LEN),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(lib, "EC", TRE_P11_PROPQ_ONLY);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
		rc = OM_ECRYPTO;
	EVP_PKEY_CTX_free(ctx);
	if (!rc && (rc = om_key_bind_hw(key, lib, TRE_P11_PROPQ)) == 0) {
		*out = key;
		return 0;
	}
	ERR_clear_error();
	EVP_PKEY_free(key);
	om_libctx_free(lib);
	return rc;
}

/* CKA_EC_POINT: the DER OCTET STRING of the uncompressed point (v2.40 2.3.3), or the bare point. */
static int ec_point(const uint8_t *v, unsigned long n, uint8_t q[static POINT_LEN])
{
	if (n == 2 + POINT_LEN && v[0] == 0x04 && v[1] == POINT_LEN)
		v += 2, n -= 2;
	if (n != POINT_LEN || v[0] != 0x04)
		return OM_ETRE_HW;
	memcpy(q, v, POINT_LEN);
	return 0;
}

int tre_p11_key_generate(const struct om_tre_backend *be, int type, EVP_PKEY **out)
{
	struct tre_p11 c;
	uint8_t id[TRE_P11_ID_LEN], q[POINT_LEN], point[2 + POINT_LEN];
	ck_object_handle_t pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
	int rc;
	/* ECDSA and ECDH in the token: P-256 (the curve every token and our certificates share) */
	if (!be || !out || type != OM_KEY_EC_P256)
		return OM_EINVAL;
	if (RAND_bytes(id, sizeof(id)) != 1)
		return OM_ERANDOM;
	if ((rc = tre_p11_connect(&c, be->p11_module, be->p11_token, be->p11_pin)) != 0)
		goto out;
	unsigned char yes = 1, no = 0;
	struct ck_attribute pub_tpl[] = {
		{ CKA_EC_PARAMS, (void *)p256_params, sizeof(p256_params) },
		{ CKA_TOKEN, &no, sizeof(no) }, /* the TRE keeps the point; the object goes with the session */
		{ CKA_VERIFY, &yes, sizeof(yes) },
	};
	struct ck_attribute priv_tpl[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },	  { CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },	  { CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },	  { CKA_DERIVE, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },	  { CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_ID, id, sizeof(id) },		  { CKA_LABEL, (void *)KEY_LABEL, sizeof(KEY_LABEL) - 1 },
	};
	struct ck_mechanism gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	if (c.m->C_GenerateKeyPair(c.session, &gen, pub_tpl, sizeof(pub_tpl) / sizeof(pub_tpl[0]), priv_tpl,
				   sizeof(priv_tpl) / sizeof(priv_tpl[0]), &pub, &priv) != CKR_OK) {
		rc = OM_ETRE_HW;
		goto out;
	}
	struct ck_attribute get = { CKA_EC_POINT, point, sizeof(point) };
	rc = c.m->C_GetAttributeValue(c.session, pub, &get, 1) == CKR_OK ? ec_point(point, get.value_len, q) : OM_ETRE_HW;
	c.m->C_DestroyObject(c.session, pub);
	if (rc) {
		c.m->C_DestroyObject(c.session, priv);
		goto out;
	}
	return bind(&c, priv, id, q, out); /* the session goes with the key */
out:
	if (c.m)
		tre_p11_disconnect(&c);
	return rc;
}

/*
 * The key found under the blob's CKA_ID must be the kind tre_p11_key_generate
 * makes: an EC P-256 private key made in the token (CKA_LOCAL), kept there,
 * private, sensitive and never extractable since it was made (a key once
 * readable may have a copy outside), as the sealing key (seal_p11.c).
 * Else OM_ETRE_KEY_ATTRS, before anything is signed or opened with it.
 */
static int key_is_ours(struct tre_p11 *c, ck_object_handle_t key)
{
	ck_key_type_t type = (ck_key_type_t)-1;
	unsigned char token = 0, priv = 0, sens = 0, always = 0, ext = 1, never = 0, local = 0;
	uint8_t params[32];
	struct ck_attribute get[] = {
		{ CKA_KEY_TYPE, &type, sizeof(type) },	   { CKA_TOKEN, &token, sizeof(token) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },	   { CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_ALWAYS_SENSITIVE, &always, sizeof(always) }, { CKA_EXTRACTABLE, &ext, sizeof(ext) },
		{ CKA_NEVER_EXTRACTABLE, &never, sizeof(never) }, { CKA_LOCAL, &local, sizeof(local) },
		{ CKA_EC_PARAMS, params, sizeof(params) },
	};
	if (c->m->C_GetAttributeValue(c->session, key, get, sizeof(get) / sizeof(get[0])) != CKR_OK)
		return OM_ETRE_KEY_ATTRS;
	if (type != CKK_EC || !token || !priv || !sens || !always || ext || !never || !local ||
	    get[8].value_len != sizeof(p256_params) || memcmp(params, p256_params, sizeof(p256_params)) != 0)
		return OM_ETRE_KEY_ATTRS;
	return 0;
}

/*
 * The token's key is the blob's: an ephemeral key e, and the token's ECDH of
 * e's point must equal e's ECDH of the blob's point Q (SEC 1 3.3.1: both are
 * the x-coordinate of e·d·G). A key of the right kind planted under our
 * CKA_ID by someone holding the PIN fails here: OM_ETRE_KEY_ATTRS.
 */
static int key_is_the_blobs(EVP_PKEY *key, const uint8_t q[static POINT_LEN])
{
	EVP_PKEY *e = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *pub = NULL;
	EVP_PKEY_CTX *a = NULL, *b = NULL, *pc = NULL;
	OSSL_LIB_CTX *lib = NULL;
	const char *propq = NULL;
	uint8_t z1[32], z2[32];
	size_t n1 = sizeof(z1), n2 = sizeof(z2);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)q, POINT_LEN),
		OSSL_PARAM_construct_end(),
	};
	(void)om_key_hw(key, &lib, &propq);
	int ok = e && (pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) && EVP_PKEY_fromdata_init(pc) == 1 &&
		 EVP_PKEY_fromdata(pc, &pub, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
		 (a = EVP_PKEY_CTX_new_from_pkey(lib, key, propq)) && EVP_PKEY_derive_init(a) == 1 &&
		 EVP_PKEY_derive_set_peer(a, e) == 1 && EVP_PKEY_derive(a, z1, &n1) == 1 &&
		 (b = EVP_PKEY_CTX_new_from_pkey(NULL, e, NULL)) && EVP_PKEY_derive_init(b) == 1 &&
		 EVP_PKEY_derive_set_peer(b, pub) == 1 && EVP_PKEY_derive(b, z2, &n2) == 1 && n1 == 32 && n2 == 32;
	int rc = !ok ? OM_ETRE_HW : CRYPTO_memcmp(z1, z2, 32) == 0 ? 0 : OM_ETRE_KEY_ATTRS;
	OPENSSL_cleanse(z1, sizeof(z1));
	OPENSSL_cleanse(z2, sizeof(z2));
	EVP_PKEY_CTX_free(a);
	EVP_PKEY_CTX_free(b);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(e);
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return rc;
}

int tre_p11_key_load(const struct om_tre_backend *be, const struct tre_blob *b, EVP_PKEY **out)
{
	struct tre_p11 c;
	EVP_PKEY *key = NULL;
	ck_object_class_t cls = CKO_PRIVATE_KEY;
	ck_object_handle_t found[2];
	unsigned long n = 0;
	int rc;
	if (!out || !b || !b->p || b->len != TRE_KEY_P11_LEN || b->p[0] != TRE_KEY_P11)
		return OM_ETRE_STATE;
	if (!be)
		return OM_EINVAL;
	const uint8_t *id = b->p + 1, *q = b->p + 1 + TRE_P11_ID_LEN;
	if ((rc = tre_p11_connect(&c, be->p11_module, be->p11_token, be->p11_pin)) != 0)
		goto out;
	struct ck_attribute find[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, TRE_P11_ID_LEN },
	};
	if (c.m->C_FindObjectsInit(c.session, find, 2) != CKR_OK) {
		rc = OM_ETRE_HW;
		goto out;
	}
	ck_rv_t rv = c.m->C_FindObjects(c.session, found, 2, &n);
	c.m->C_FindObjectsFinal(c.session);
	if (rv != CKR_OK)
		rc = OM_ETRE_HW;
	else if (n == 0)
		rc = OM_ETRE_SEAL; /* not in this token: another device's directory */
	else if (n > 1)
		rc = OM_ETRE_KEY_ATTRS; /* a second key under our CKA_ID */
	else
		rc = key_is_ours(&c, found[0]);
	if (rc)
		goto out;
	if ((rc = bind(&c, found[0], id, q, &key)) != 0)
		return rc;
	if ((rc = key_is_the_blobs(key, q)) != 0) {
		om_key_free(key);
		return rc;
	}
	*out = key;
	return 0;
out:
	if (c.m)
		tre_p11_disconnect(&c);
	return rc;
}

int tre_p11_key_encode(const EVP_PKEY *key, struct tre_blob *out)
{
	uint8_t id[TRE_P11_ID_LEN], q[POINT_LEN];
	size_t n1 = 0, n2 = 0;
	int rc;
	/* the object's name and public half: not the key */
	if (EVP_PKEY_get_octet_string_param(key, TRE_P11_PARAM_ID, id, sizeof(id), &n1) != 1 || n1 != sizeof(id) ||
	    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, sizeof(q), &n2) != 1 ||
	    n2 != sizeof(q)) {
		ERR_clear_error();
		return OM_EINVAL;
	}
	if ((rc = tre_blob_set(out, NULL, TRE_KEY_P11_LEN)) != 0)
		return rc;
	out->p[0] = TRE_KEY_P11;
	memcpy(out->p + 1, id, sizeof(id));
	memcpy(out->p + 1 + sizeof(id), q, sizeof(q));
	return 0;
}
