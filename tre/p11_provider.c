/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-process OpenSSL provider of PrK_TRE in a PKCS#11 token
 * (p11_provider.h). Only what the TRE's paths ask for: key management of
 * named P-256 keys (public half exported for encoders and certificates,
 * never a private half), ECDSA-with-SHA256 through EVP_DigestSign (the
 * AlgorithmIdentifier asked by X509_REQ_sign_ctx, RFC 5758 3.2: no
 * parameters), and ECDH for the protected format's ECIES (spec/002
 * B.2.3.6). PKCS#11 v2.40 curr. mech. 2.3: CKM_ECDSA signs a hash and
 * returns r | s; CKM_ECDH1_DERIVE with CKD_NULL gives the x-coordinate of
 * the shared point, as OpenSSL's ECDH (SEC 1 3.3.1).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <openmcim/pki.h>

#include "p11_provider.h"

#define POINT_LEN 65 /* 04 | X | Y */
#define COORD_LEN 32
#define SIG_MAX 72

struct prov {
	struct tre_p11 c;
};

struct key {
	struct prov *prov;
	uint8_t pub[POINT_LEN];
	int has_pub;
	ck_object_handle_t priv;
	int has_priv;
	uint8_t id[TRE_P11_ID_LEN];
};

/* ---- key management ----------------------------------------------------------- */

static void *km_new(void *provctx)
{
	struct key *k = calloc(1, sizeof(*k));
	if (k)
		k->prov = provctx;
	return k;
}

static void km_free(void *kd)
{
	free(kd);
}

static int km_has(const void *kd, int sel)
{
	const struct key *k = kd;
	if (!k)
		return 0;
	if ((sel & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && !k->has_pub)
		return 0;
	if ((sel & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && !k->has_priv)
		return 0;
	return 1;
}

static int km_match(const void *a, const void *b, int sel)
{
	const struct key *x = a, *y = b;
	(void)sel;
	return x->has_pub && y->has_pub && memcmp(x->pub, y->pub, POINT_LEN) == 0;
}

static int is_p256(const char *name)
{
	return !strcmp(name, "prime256v1") || !strcmp(name, "P-256") || !strcmp(name, "secp256r1");
}

static int km_import(void *kd, int sel, const OSSL_PARAM params[])
{
	struct key *k = kd;
	const OSSL_PARAM *p;
	const char *group = NULL;
	const void *pub = NULL;
	size_t n = 0;
	if (!k || !(sel & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME)) &&
	    (!OSSL_PARAM_get_utf8_string_ptr(p, &group) || !is_p256(group)))
		return 0;
	if (!(p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY)) ||
	    !OSSL_PARAM_get_octet_string_ptr(p, &pub, &n) || n != POINT_LEN || ((const uint8_t *)pub)[0] != 0x04)
		return 0;
	memcpy(k->pub, pub, POINT_LEN);
	k->has_pub = 1;
	/* the private half is the token's object: only its handle and CKA_ID come in
	 * (a peer's public key comes from another provider with selection "all") */
	unsigned long h = 0;
	const void *id = NULL;
	if (!(sel & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) || !(p = OSSL_PARAM_locate_const(params, TRE_P11_PARAM_HANDLE)))
		return 1;
	if (!OSSL_PARAM_get_ulong(p, &h) || !(p = OSSL_PARAM_locate_const(params, TRE_P11_PARAM_ID)) ||
	    !OSSL_PARAM_get_octet_string_ptr(p, &id, &n) || n != TRE_P11_ID_LEN)
		return 0;
	k->priv = h;
	memcpy(k->id, id, TRE_P11_ID_LEN);
	k->has_priv = 1;
	return 1;
}

static const OSSL_PARAM import_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_ulong(TRE_P11_PARAM_HANDLE, NULL),
	OSSL_PARAM_octet_string(TRE_P11_PARAM_ID, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *km_import_types(int sel)
{
	(void)sel;
	return import_types;
}

/* Only the public half and the curve: a private half is not here to give. */
static int km_export(void *kd, int sel, OSSL_CALLBACK *cb, void *arg)
{
	struct key *k = kd;
	if (!k || !k->has_pub || !(sel & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS)))
		return 0;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, k->pub, POINT_LEN),
		OSSL_PARAM_construct_end(),
	};
	if (!(sel & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		p[1] = p[2];
	return cb(p, arg);
}

static const OSSL_PARAM export_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *km_export_types(int sel)
{
	(void)sel;
	return export_types;
}

static int km_get_params(void *kd, OSSL_PARAM params[])
{
	struct key *k = kd;
	OSSL_PARAM *p;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) && !OSSL_PARAM_set_int(p, 256))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) && !OSSL_PARAM_set_int(p, 128))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) && !OSSL_PARAM_set_int(p, SIG_MAX))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_GROUP_NAME)) && !OSSL_PARAM_set_utf8_string(p, "prime256v1"))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_EC_ENCODING)) &&
	    !OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_EC_ENCODING_GROUP))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT)) &&
	    !OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST)) && !OSSL_PARAM_set_utf8_string(p, "SHA256"))
		return 0;
	if (k->has_pub && (p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY)) &&
	    !OSSL_PARAM_set_octet_string(p, k->pub, POINT_LEN))
		return 0;
	if (k->has_pub && (p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY)) &&
	    !OSSL_PARAM_set_octet_string(p, k->pub, POINT_LEN))
		return 0;
	if (k->has_priv && (p = OSSL_PARAM_locate(params, TRE_P11_PARAM_ID)) &&
	    !OSSL_PARAM_set_octet_string(p, k->id, TRE_P11_ID_LEN))
		return 0;
	return 1;
}

static const OSSL_PARAM gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_octet_string(TRE_P11_PARAM_ID, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *km_gettable(void *provctx)
{
	(void)provctx;
	return gettable;
}

static const char *km_op_name(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : op == OSSL_OP_KEYEXCH ? "ECDH" : NULL;
}

static const OSSL_DISPATCH keymgmt[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new },
	{ OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free },
	{ OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has },
	{ OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match },
	{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import },
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))km_import_types },
	{ OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))km_export },
	{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))km_export_types },
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params },
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))km_gettable },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))km_op_name },
	{ 0, NULL },
};

/* ---- ECDSA ------------------------------------------------------------------------- */

struct sig {
	struct prov *prov;
	struct key *key;
	EVP_MD_CTX *md;
};

static void *sig_new(void *provctx, const char *propq)
{
	(void)propq;
	struct sig *s = calloc(1, sizeof(*s));
	if (s)
		s->prov = provctx;
	return s;
}

static void sig_free(void *ctx)
{
	struct sig *s = ctx;
	if (s) {
		EVP_MD_CTX_free(s->md);
		free(s);
	}
}

/* EVP_DigestSignFinal signs on a copy, so that the context may go on */
static void *sig_dup(void *ctx)
{
	const struct sig *s = ctx;
	struct sig *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	*d = *s;
	if (s->md && !(d->md = EVP_MD_CTX_new(), d->md && EVP_MD_CTX_copy_ex(d->md, s->md) == 1)) {
		EVP_MD_CTX_free(d->md);
		free(d);
		return NULL;
	}
	return d;
}

/* r | s from the token as the DER ECDSA-Sig-Value (RFC 5480 2.2 / X9.62). */
static int sig_der(const uint8_t rs[static 2 * COORD_LEN], unsigned char *out, size_t *out_len, size_t cap)
{
	ECDSA_SIG *e = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, COORD_LEN, NULL), *s = BN_bin2bn(rs + COORD_LEN, COORD_LEN, NULL);
	int ok = 0;
	if (e && r && s && ECDSA_SIG_set0(e, r, s) == 1) {
		r = s = NULL;
		int n = i2d_ECDSA_SIG(e, NULL);
		if (n > 0 && (size_t)n <= cap) {
			unsigned char *p = out;
			ok = i2d_ECDSA_SIG(e, &p) == n;
			*out_len = (size_t)n;
		}
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(e);
	return ok;
}

/* The token signs the SHA-256 hash tbs (CKM_ECDSA). */
static int token_sign(struct sig *s, const unsigned char *tbs, size_t tbs_len, unsigned char *sig, size_t *siglen,
		      size_t cap)
{
	struct tre_p11 *c = &s->prov->c;
	struct ck_mechanism mech = { CKM_ECDSA, NULL, 0 };
	uint8_t rs[2 * COORD_LEN];
	unsigned long n = sizeof(rs);
	if (!s->key || !s->key->has_priv || !c->have_session)
		return 0;
	if (!sig) {
		*siglen = SIG_MAX;
		return 1;
	}
	if (c->m->C_SignInit(c->session, &mech, s->key->priv) != CKR_OK ||
	    c->m->C_Sign(c->session, (unsigned char *)tbs, tbs_len, rs, &n) != CKR_OK || n != sizeof(rs))
		return 0;
	return sig_der(rs, sig, siglen, cap);
}

static int sig_init(void *ctx, void *kd, const OSSL_PARAM params[])
{
	(void)params;
	struct sig *s = ctx;
	s->key = kd;
	return s->key && s->key->has_priv;
}

static int sig_sign(void *ctx, unsigned char *sig, size_t *siglen, size_t cap, const unsigned char *tbs, size_t tbs_len)
{
	return tbs_len == 32 && token_sign(ctx, tbs, tbs_len, sig, siglen, cap);
}

static int sig_digest_init(void *ctx, const char *mdname, void *kd, const OSSL_PARAM params[])
{
	struct sig *s = ctx;
	EVP_MD *md = NULL;
	int ok = sig_init(ctx, kd, params);
	/* SHA-256 only: the key's scheme is ecdsa-with-SHA256 (docs/pki.md) */
	if (ok)
		ok = (md = EVP_MD_fetch(NULL, mdname ? mdname : "SHA256", NULL)) && EVP_MD_is_a(md, "SHA256") &&
		     (s->md || (s->md = EVP_MD_CTX_new())) && EVP_DigestInit_ex(s->md, md, NULL) == 1;
	EVP_MD_free(md);
	return ok;
}

static int sig_digest_update(void *ctx, const unsigned char *data, size_t len)
{
	struct sig *s = ctx;
	return s->md && EVP_DigestUpdate(s->md, data, len) == 1;
}

static int sig_digest_final(void *ctx, unsigned char *sig, size_t *siglen, size_t cap)
{
	struct sig *s = ctx;
	uint8_t h[32];
	unsigned int n = 0;
	if (!sig)
		return token_sign(s, NULL, 0, NULL, siglen, 0);
	return s->md && EVP_DigestFinal_ex(s->md, h, &n) == 1 && n == 32 && token_sign(s, h, n, sig, siglen, cap);
}

/* ecdsa-with-SHA256, parameters absent (RFC 5758 3.2) */
static const uint8_t ecdsa_sha256_aid[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };

static int sig_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
	(void)ctx;
	OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
	return !p || OSSL_PARAM_set_octet_string(p, ecdsa_sha256_aid, sizeof(ecdsa_sha256_aid));
}

static const OSSL_PARAM sig_gettable[] = {
	OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *sig_gettable_ctx_params(void *ctx, void *provctx)
{
	(void)ctx, (void)provctx;
	return sig_gettable;
}

static const OSSL_DISPATCH signature[] = {
	{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))sig_new },
	{ OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_free },
	{ OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dup },
	{ OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sig_init },
	{ OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))sig_digest_init },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*)(void))sig_digest_update },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*)(void))sig_digest_final },
	{ OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))sig_get_ctx_params },
	{ OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*)(void))sig_gettable_ctx_params },
	{ 0, NULL },
};

/* ---- ECDH ------------------------------------------------------------------------- */

struct kex {
	struct prov *prov;
	struct key *key, *peer;
};

static void *kex_new(void *provctx)
{
	struct kex *x = calloc(1, sizeof(*x));
	if (x)
		x->prov = provctx;
	return x;
}

static void kex_free(void *ctx)
{
	free(ctx);
}

static int kex_init(void *ctx, void *kd, const OSSL_PARAM params[])
{
	(void)params;
	struct kex *x = ctx;
	x->key = kd;
	return x->key && x->key->has_priv;
}

static int kex_set_peer(void *ctx, void *kd)
{
	struct kex *x = ctx;
	x->peer = kd;
	return x->peer && x->peer->has_pub;
}

/* Z, the shared point's x-coordinate, from the token into secret (CKD_NULL: no KDF in the token). */
static int kex_derive(void *ctx, unsigned char *secret, size_t *len, size_t cap)
{
	struct kex *x = ctx;
	struct tre_p11 *c = &x->prov->c;
	if (!x->key || !x->peer || !c->have_session)
		return 0;
	if (!secret) {
		*len = COORD_LEN;
		return 1;
	}
	if (cap < COORD_LEN)
		return 0;
	/* the peer's point as a DER OCTET STRING (PKCS#11 v2.40 2.3.15 allows it raw too; SoftHSM2 reads this form surely) */
	uint8_t pub[2 + POINT_LEN] = { 0x04, POINT_LEN };
	memcpy(pub + 2, x->peer->pub, POINT_LEN);
	struct ck_ecdh1_derive_params prm = { .kdf = CKD_NULL, .public_data = pub, .public_data_len = sizeof(pub) };
	struct ck_mechanism mech = { CKM_ECDH1_DERIVE, &prm, sizeof(prm) };
	ck_object_class_t cls = CKO_SECRET_KEY;
	ck_key_type_t type = CKK_GENERIC_SECRET;
	unsigned long zlen = COORD_LEN;
	unsigned char yes = 1, no = 0;
	/* a session object, readable: Z is what the TRE derives its KEK from (B.2.3.6), in this process like the TPM's ZGen */
	struct ck_attribute tpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },	     { CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE_LEN, &zlen, sizeof(zlen) },	     { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },	     { CKA_EXTRACTABLE, &yes, sizeof(yes) },
	};
	ck_object_handle_t z = CK_INVALID_HANDLE;
	if (c->m->C_DeriveKey(c->session, &mech, x->key->priv, tpl, sizeof(tpl) / sizeof(tpl[0]), &z) != CKR_OK)
		return 0;
	struct ck_attribute get = { CKA_VALUE, secret, COORD_LEN };
	int ok = c->m->C_GetAttributeValue(c->session, z, &get, 1) == CKR_OK && get.value_len == COORD_LEN;
	c->m->C_DestroyObject(c->session, z);
	if (!ok)
		OPENSSL_cleanse(secret, COORD_LEN);
	*len = COORD_LEN;
	return ok;
}

static const OSSL_DISPATCH keyexch[] = {
	{ OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))kex_new },
	{ OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))kex_free },
	{ OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))kex_init },
	{ OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))kex_set_peer },
	{ OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))kex_derive },
	{ 0, NULL },
};

/* ---- the provider ---------------------------------------------------------------- */

static const OSSL_ALGORITHM keymgmt_algs[] = {
	{ "EC:id-ecPublicKey", TRE_P11_PROPQ_ONLY, keymgmt, "PrK_TRE in a PKCS#11 token" },
	{ NULL, NULL, NULL, NULL },
};
static const OSSL_ALGORITHM signature_algs[] = {
	{ "ECDSA", TRE_P11_PROPQ_ONLY, signature, "C_Sign, CKM_ECDSA" },
	{ NULL, NULL, NULL, NULL },
};
static const OSSL_ALGORITHM keyexch_algs[] = {
	{ "ECDH", TRE_P11_PROPQ_ONLY, keyexch, "C_DeriveKey, CKM_ECDH1_DERIVE" },
	{ NULL, NULL, NULL, NULL },
};

static const OSSL_ALGORITHM *query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return op == OSSL_OP_KEYMGMT ? keymgmt_algs : op == OSSL_OP_SIGNATURE ? signature_algs
			: op == OSSL_OP_KEYEXCH	    ? keyexch_algs
						    : NULL;
}

static void teardown(void *provctx)
{
	struct prov *p = provctx;
	if (p) {
		if (p->c.m)
			tre_p11_disconnect(&p->c);
		free(p);
	}
}

static const OSSL_DISPATCH provider[] = {
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))teardown },
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query },
	{ 0, NULL },
};

static int init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle, (void)in;
	struct prov *p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	*out = provider;
	*provctx = p;
	return 1;
}

#define PROVIDER_NAME "ompkcs11"

int tre_p11_libctx(struct tre_p11 *c, OSSL_LIB_CTX **out)
{
	OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *prov = NULL;
	if (!lib) {
		tre_p11_disconnect(c);
		return OM_ENOMEM;
	}
	if (!OSSL_PROVIDER_load(lib, "default") || !OSSL_PROVIDER_add_builtin(lib, PROVIDER_NAME, init) ||
	    !(prov = OSSL_PROVIDER_load(lib, PROVIDER_NAME))) {
		tre_p11_disconnect(c);
		om_libctx_free(lib);
		return OM_ECRYPTO;
	}
	struct prov *p = OSSL_PROVIDER_get0_provider_ctx(prov);
	p->c = *c; /* the context's provider owns the session now */
	memset(c, 0, sizeof(*c));
	*out = lib;
	return 0;
}
