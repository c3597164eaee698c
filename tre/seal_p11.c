/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 sealing backend (docs/tre.md "Backends"), the module loaded
 * through p11-kit, tested against SoftHSM2.
 *
 * The device sealing key is an AES-256 secret key generated in the token
 * (C_GenerateKey, CKM_AES_KEY_GEN) with CKA_SENSITIVE and not
 * CKA_EXTRACTABLE (PKCS#11 v2.40 4.10: neither its value nor a wrapping of
 * it ever leaves the token, and neither attribute can be changed back), and
 * CKA_TOKEN, CKA_PRIVATE (only after C_Login). Sealing runs inside the
 * token: C_Encrypt / C_Decrypt with CKM_AES_GCM (v2.40 curr. mech. 2.11),
 * a random 96-bit IV and AAD = header | file name, in the envelope of
 * seal_aead.h with the header "OMSL" | version 3. A copied directory does
 * not open without this token. PKCS#11 has no monotonic counter: an older
 * copy of the directory opens (docs/tre.md, threats 1.3).
 *
 * The module, the token's label and the user PIN come from the device's
 * configuration (om_tre_backend), never from the directory: a module path
 * read from a file that whoever writes the directory can edit would load
 * that person's library into the TRE. p11.ctx keeps the names only, the
 * token's label (checked against the configured one) and the key's CKA_ID.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "p11_token.h"
#include "seal.h"
#include "seal_aead.h"

#define HDR_LEN 5
#define SEAL_VERSION 3
#define CTX_VERSION 2 /* 1 kept the module path and the PIN */
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_ID_LEN 16
#define KEY_LABEL "openmcim-tre-seal"

struct p11 {
	struct tre_sealer base; /* first: the ops get a struct tre_sealer * */
	char dir[TRE_PATH_MAX];
	char module_path[TRE_P11_FIELD_MAX + 1];
	char token[33];
	char pin[TRE_P11_FIELD_MAX + 1];
	uint8_t key_id[KEY_ID_LEN];
	struct tre_p11 c; /* the session; c.m the module */
	ck_object_handle_t key;
};

static const uint8_t header[HDR_LEN] = { 'O', 'M', 'S', 'L', SEAL_VERSION };
static const uint8_t ctx_magic[4] = { 'O', 'M', 'P', 'K' };

static int p11_connect(struct p11 *p)
{
	return tre_p11_connect(&p->c, p->module_path, p->token, p->pin);
}

/* p11.ctx: magic | version | len | token label | CKA_ID(16) */
static int ctx_write(struct p11 *p)
{
	uint8_t buf[5 + 1 + 32 + KEY_ID_LEN];
	size_t k = strlen(p->token);
	memcpy(buf, ctx_magic, 4);
	buf[4] = CTX_VERSION;
	buf[5] = (uint8_t)k;
	memcpy(buf + 6, p->token, k);
	memcpy(buf + 6 + k, p->key_id, KEY_ID_LEN);
	return tre_file_write_at(p->base.dir_fd, p->dir, TRE_SEAL_P11_FILE, buf, 6 + k + KEY_ID_LEN, 1,
				 tre_seal_sync(&p->base));
}

/* Read p11.ctx; its token label must be the configured one (p->token). */
static int ctx_read(struct p11 *p)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = tre_file_read(p->dir, TRE_SEAL_P11_FILE, &buf, &len);
	if (rc)
		return rc;
	rc = OM_ETRE_SEAL;
	if (len < 6 || memcmp(buf, ctx_magic, 4) != 0)
		goto out;
	if (buf[4] != CTX_VERSION) {
		rc = OM_ETRE_STATE_VERSION;
		goto out;
	}
	if (buf[5] > 32 || len != 6u + buf[5] + KEY_ID_LEN)
		goto out;
	/* personalised in another token than the configuration names */
	if (strlen(p->token) != buf[5] || memcmp(buf + 6, p->token, buf[5]) != 0) {
		rc = OM_ETRE_BACKEND;
		goto out;
	}
	memcpy(p->key_id, buf + 6 + buf[5], KEY_ID_LEN);
	rc = 0;
out:
	free(buf);
	return rc;
}

static int make_aad(uint8_t aad[static HDR_LEN + TRE_AEAD_NAME_MAX], const char *name, size_t *aad_len)
{
	size_t n = strlen(name);
	if (n == 0 || n > TRE_AEAD_NAME_MAX)
		return OM_EINVAL;
	memcpy(aad, header, HDR_LEN);
	memcpy(aad + HDR_LEN, name, n);
	*aad_len = HDR_LEN + n;
	return 0;
}

static int p11_put(struct tre_sealer *base, const char *name, const uint8_t *pt, size_t len, int excl)
{
	struct p11 *p = (struct p11 *)base;
	uint8_t aad[HDR_LEN + TRE_AEAD_NAME_MAX], *buf = NULL;
	size_t aad_len = 0;
	int rc = make_aad(aad, name, &aad_len);
	if (rc)
		return rc;
	if (len > (1u << 20))
		return OM_EINVAL;
	size_t total = HDR_LEN + NONCE_LEN + len + TAG_LEN;
	buf = malloc(total);
	if (!buf)
		return OM_ENOMEM;
	memcpy(buf, header, HDR_LEN);
	uint8_t *nonce = buf + HDR_LEN;
	if (RAND_bytes(nonce, NONCE_LEN) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	struct ck_gcm_params gcm = { .iv_ptr = nonce, .iv_len = NONCE_LEN, .iv_bits = NONCE_LEN * 8,
				     .aad_ptr = aad, .aad_len = aad_len, .tag_bits = TAG_LEN * 8 };
	struct ck_mechanism mech = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	unsigned long out_len = len + TAG_LEN;
	if (p->c.m->C_EncryptInit(p->c.session, &mech, p->key) != CKR_OK ||
	    p->c.m->C_Encrypt(p->c.session, (unsigned char *)pt, len, nonce + NONCE_LEN, &out_len) != CKR_OK ||
	    out_len != len + TAG_LEN) {
		rc = OM_ETRE_HW;
		goto out;
	}
	rc = tre_file_write_at(p->base.dir_fd, p->dir, name, buf, total, excl, tre_seal_sync(&p->base));
out:
	free(buf); /* ciphertext only */
	return rc;
}

static int p11_get(struct tre_sealer *base, const char *name, uint8_t **pt_out, size_t *len_out)
{
	struct p11 *p = (struct p11 *)base;
	uint8_t aad[HDR_LEN + TRE_AEAD_NAME_MAX], *buf = NULL, *pt = NULL;
	size_t aad_len = 0, len = 0, pt_len = 0;
	int rc = make_aad(aad, name, &aad_len);
	if (rc)
		return rc;
	if ((rc = tre_file_read(p->dir, name, &buf, &len)) != 0)
		return rc;
	if (len < HDR_LEN + NONCE_LEN + TAG_LEN || memcmp(buf, header, HDR_LEN) != 0) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	pt_len = len - HDR_LEN - NONCE_LEN - TAG_LEN;
	pt = malloc(pt_len + TAG_LEN + 1); /* some modules want room for the tag too */
	if (!pt) {
		rc = OM_ENOMEM;
		goto out;
	}
	struct ck_gcm_params gcm = { .iv_ptr = buf + HDR_LEN, .iv_len = NONCE_LEN, .iv_bits = NONCE_LEN * 8,
				     .aad_ptr = aad, .aad_len = aad_len, .tag_bits = TAG_LEN * 8 };
	struct ck_mechanism mech = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	unsigned long out_len = pt_len + TAG_LEN;
	if (p->c.m->C_DecryptInit(p->c.session, &mech, p->key) != CKR_OK) {
		rc = OM_ETRE_HW;
		goto out;
	}
	/* the token checks the tag: a failure is an altered, swapped or foreign file */
	ck_rv_t rv = p->c.m->C_Decrypt(p->c.session, buf + HDR_LEN + NONCE_LEN, pt_len + TAG_LEN, pt, &out_len);
	if (rv != CKR_OK || out_len != pt_len) {
		rc = rv == CKR_OK || rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
				     rv == CKR_GENERAL_ERROR
			     ? OM_ETRE_SEAL
			     : OM_ETRE_HW;
		goto out;
	}
	*pt_out = pt;
	*len_out = pt_len;
	pt = NULL;
out:
	if (pt) {
		OPENSSL_cleanse(pt, pt_len + TAG_LEN);
		free(pt);
	}
	free(buf);
	return rc;
}

static int p11_erase(struct tre_sealer *base, const char *name)
{
	struct p11 *p = (struct p11 *)base;
	return tre_file_erase_at(p->base.dir_fd, p->dir, name, tre_seal_sync(&p->base));
}

static void p11_close(struct tre_sealer *base)
{
	struct p11 *p = (struct p11 *)base;
	tre_p11_disconnect(&p->c);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

static void p11_discard(struct tre_sealer *base)
{
	struct p11 *p = (struct p11 *)base;
	char path[TRE_PATH_MAX];
	if (p->c.have_session && p->key != CK_INVALID_HANDLE)
		p->c.m->C_DestroyObject(p->c.session, p->key);
	if (tre_path(path, p->dir, TRE_SEAL_P11_FILE) == 0)
		unlink(path);
	p11_close(base);
}

static const struct tre_seal_ops p11_ops = {
	.name = "pkcs11",
	.put = p11_put,
	.get = p11_get,
	.erase = p11_erase,
	.close = p11_close,
	.discard = p11_discard,
};

static int args_ok(const char *dir, const char *module, const char *token, const char *pin)
{
	return strlen(dir) < TRE_PATH_MAX && tre_p11_args_ok(module, token, pin);
}

/* NULL for bad arguments (args_ok) or no memory. */
static struct p11 *p11_new(const char *dir, const char *module, const char *token, const char *pin, unsigned flags)
{
	if (!args_ok(dir, module, token, pin))
		return NULL;
	struct p11 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->dir, dir, strlen(dir) + 1);
	memcpy(p->module_path, module, strlen(module) + 1);
	memcpy(p->token, token, strlen(token) + 1);
	memcpy(p->pin, pin, strlen(pin) + 1);
	p->base.ops = &p11_ops;
	p->base.flags = flags;
	p->base.dir_fd = -1;
	p->key = CK_INVALID_HANDLE;
	return p;
}

int tre_seal_p11_create(struct tre_sealer **out, const char *dir, const char *module, const char *token,
			const char *pin, unsigned flags)
{
	struct p11 *p;
	int rc;

	if (!(p = p11_new(dir, module, token, pin, flags)))
		return args_ok(dir, module, token, pin) ? OM_ENOMEM : OM_EINVAL;
	if (RAND_bytes(p->key_id, KEY_ID_LEN) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	if ((rc = p11_connect(p)) != 0)
		goto out;
	/* Claim the directory before the token holds anything of it. */
	if ((rc = ctx_write(p)) != 0) {
		if (rc == OM_ETRE_EXISTS) /* another TRE's p11.ctx: not ours to remove */
			goto out;
		goto out_discard;
	}
	unsigned char yes = 1, no = 0;
	ck_object_class_t cls = CKO_SECRET_KEY;
	ck_key_type_t type = CKK_AES;
	unsigned long key_len = 32;
	struct ck_attribute tpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE_LEN, &key_len, sizeof(key_len) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_ID, p->key_id, KEY_ID_LEN },
		{ CKA_LABEL, (void *)KEY_LABEL, sizeof(KEY_LABEL) - 1 },
	};
	struct ck_mechanism gen = { CKM_AES_KEY_GEN, NULL, 0 };
	if (p->c.m->C_GenerateKey(p->c.session, &gen, tpl, sizeof(tpl) / sizeof(tpl[0]), &p->key) != CKR_OK) {
		p->key = CK_INVALID_HANDLE;
		rc = OM_ETRE_HW;
		goto out_discard;
	}
	*out = &p->base;
	return 0;
out_discard:
	p11_discard(&p->base);
	return rc;
out:
	p11_close(&p->base);
	return rc;
}

/*
 * The key found by CKA_ID must be the kind p11_create generates: an AES key
 * kept in the token, sensitive and never extractable since it was made
 * (CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE: a key once readable and
 * later locked may have a copy outside). A key planted under our CKA_ID by
 * someone holding the PIN is refused before anything is unsealed with it or
 * sealed under it (PKCS#11 v2.40 4.9 and 4.10; the TPM's counterpart is the
 * NV index check, OM_ETRE_NV).
 */
static int key_is_ours(struct p11 *p, ck_object_handle_t key)
{
	ck_key_type_t type = (ck_key_type_t)-1;
	unsigned char token = 0, sens = 0, always = 0, ext = 1, never = 0;
	struct ck_attribute get[] = {
		{ CKA_KEY_TYPE, &type, sizeof(type) },	     { CKA_TOKEN, &token, sizeof(token) },
		{ CKA_SENSITIVE, &sens, sizeof(sens) },	     { CKA_ALWAYS_SENSITIVE, &always, sizeof(always) },
		{ CKA_EXTRACTABLE, &ext, sizeof(ext) },	     { CKA_NEVER_EXTRACTABLE, &never, sizeof(never) },
	};
	if (p->c.m->C_GetAttributeValue(p->c.session, key, get, sizeof(get) / sizeof(get[0])) != CKR_OK)
		return OM_ETRE_KEY_ATTRS;
	if (type != CKK_AES || !token || !sens || !always || ext || !never)
		return OM_ETRE_KEY_ATTRS;
	return 0;
}

int tre_seal_p11_open(struct tre_sealer **out, const char *dir, const char *module, const char *token,
		      const char *pin, unsigned flags)
{
	struct p11 *p = p11_new(dir, module, token, pin, flags);
	ck_object_class_t cls = CKO_SECRET_KEY;
	unsigned long n = 0;
	int rc;

	if (!p)
		return args_ok(dir, module, token, pin) ? OM_ENOMEM : OM_EINVAL;
	if ((rc = ctx_read(p)) != 0 || (rc = p11_connect(p)) != 0)
		goto out;
	struct ck_attribute find[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, p->key_id, KEY_ID_LEN },
	};
	if (p->c.m->C_FindObjectsInit(p->c.session, find, 2) != CKR_OK) {
		rc = OM_ETRE_HW;
		goto out;
	}
	ck_object_handle_t found[2];
	ck_rv_t rv = p->c.m->C_FindObjects(p->c.session, found, 2, &n);
	p->c.m->C_FindObjectsFinal(p->c.session);
	if (rv != CKR_OK)
		rc = OM_ETRE_HW;
	else if (n == 0)
		rc = OM_ETRE_SEAL; /* the key is not in this token: not this device's */
	else if (n > 1)
		rc = OM_ETRE_KEY_ATTRS; /* a second key under our CKA_ID: which one seals is not ours to guess */
	else
		rc = key_is_ours(p, p->key = found[0]);
out:
	if (rc) {
		p11_close(&p->base);
		return rc;
	}
	*out = &p->base;
	return 0;
}
