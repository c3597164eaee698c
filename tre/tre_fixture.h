/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test fixture shared by the TRE's tests (header-only: each *_test.c is its
 * own program). Real keys and certificates from pki.h: a PVA CA that
 * certifies the TRE from its CSR, operator CAs whose SHO_SIGNING
 * certificates are the pinned trust roots, a PCID with random K/OPc, and a
 * temp directory hashed whole to prove refusals change nothing.
 */
#pragma once

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/bootstrap.h>
#include <openmcim/mobj.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>
#include <openmcim/tre.h>
#include <openmcim/vector.h>

#include "check.h"
#include "seal.h"

#define FX_DIE(what)                                                                 \
	do {                                                                         \
		fprintf(stderr, "%s:%d: fixture: %s\n", __FILE__, __LINE__, (what)); \
		exit(1);                                                             \
	} while (0)

/* An operator: its CA, and the SHO_SIGNING certificate pinned as trust root. */
struct fx_sho {
	char id[32];
	struct om_ca *ca;
	EVP_PKEY *ca_key;
	EVP_PKEY *key;    /* signs bootstraps and M2MMCIMMobj */
	X509 *cert;       /* Cert_SHO[i] */
	uint8_t *der;
	size_t der_len;
};

static inline X509 *fx_issue(struct om_ca *ca, EVP_PKEY *key, const char *cn, enum om_cert_profile profile,
			     time_t nb, time_t na)
{
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	struct om_issue req = { profile, cn, nb, na, NULL, NULL };
	int rc = om_csr_create(&csr, key, cn, NULL);
	if (!rc)
		rc = om_ca_issue(ca, csr, &req, &cert);
	if (rc)
		FX_DIE(om_errname(rc));
	X509_REQ_free(csr);
	return cert;
}

static inline void fx_sho_init(struct fx_sho *s, const char *id)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	char cacn[64];
	snprintf(cacn, sizeof(cacn), "%s Root", id);
	if (om_key_generate(&s->ca_key, OM_KEY_EC_P256) || om_ca_create(&s->ca, s->ca_key, cacn, time(NULL) - 30 * 86400, 0) ||
	    om_key_generate(&s->key, OM_KEY_EC_P256))
		FX_DIE("sho");
	s->cert = fx_issue(s->ca, s->key, id, OM_CERT_SHO_SIGNING, 0, 0);
	if (om_cert_encode(s->cert, OM_ENC_DER, &s->der, &s->der_len))
		FX_DIE("sho der");
}

static inline void fx_sho_free(struct fx_sho *s)
{
	om_ca_free(s->ca);
	EVP_PKEY_free(s->ca_key);
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	om_pki_free(s->der, s->der_len);
}

/* A manufactured TRE's inputs: keys, certificates, PCID, measurements. */
struct fx_tre {
	char dir[64];
	char tre_id[32];
	EVP_PKEY *sign_key, *enc_key;
	uint8_t *sign_der, *enc_der;
	size_t sign_len, enc_len;
	X509 *enc_cert;
	struct om_mcim pcid;
	struct om_measurement meas[2];
	struct om_tre_personalisation p;
};

static inline void fx_pcid(struct om_mcim *m, const char *imsi, const char *apn)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->imsi, sizeof(m->imsi), "%s", imsi);
	m->mnc_len = 2;
	m->algorithm = OM_MCIM_ALG_MILENAGE;
	check_random(m->k, sizeof(m->k));
	check_random(m->opc, sizeof(m->opc));
	snprintf(m->apn, sizeof(m->apn), "%s", apn);
}

/* Keys and certificates for TRE tre_id from pva, trust root ro. enc_type: OM_KEY_X25519 or other. */
static inline void fx_tre_init(struct fx_tre *t, struct om_ca *pva, const char *tre_id, const struct fx_sho *ro,
			       enum om_key_type enc_type)
{
	X509_REQ *csr = NULL;
	memset(t, 0, sizeof(*t));
	snprintf(t->tre_id, sizeof(t->tre_id), "%s", tre_id);
	snprintf(t->dir, sizeof(t->dir), "/tmp/om-tre-XXXXXX");
	if (!mkdtemp(t->dir))
		FX_DIE("mkdtemp");
	if (om_key_generate(&t->sign_key, OM_KEY_EC_P256) || om_key_generate(&t->enc_key, enc_type) ||
	    om_csr_create(&csr, t->sign_key, tre_id, t->enc_key) ||
	    om_ca_issue_tre(pva, csr, tre_id, 0, 0, &t->sign_der, &t->sign_len, &t->enc_der, &t->enc_len) ||
	    om_cert_decode(&t->enc_cert, OM_ENC_DER, t->enc_der, t->enc_len))
		FX_DIE("tre keys");
	X509_REQ_free(csr);
	fx_pcid(&t->pcid, "001010000000001", "pcid.ro.example");
	snprintf(t->meas[0].name, sizeof(t->meas[0].name), "bootloader");
	snprintf(t->meas[1].name, sizeof(t->meas[1].name), "firmware");
	check_random(t->meas[0].sha256, 32);
	check_random(t->meas[1].sha256, 32);
	t->p = (struct om_tre_personalisation){
		.tre_id = t->tre_id,
		.tre_type = "openmcim-swtre-1",
		.firmware_version = "1.0.0",
		.sign_key = t->sign_key,
		.enc_key = t->enc_key,
		.sign_cert = t->sign_der,
		.sign_cert_len = t->sign_len,
		.enc_cert = t->enc_der,
		.enc_cert_len = t->enc_len,
		.trust_root = ro->der,
		.trust_root_len = ro->der_len,
		.ro_id = ro->id,
		.pcid = &t->pcid,
		.measurements = t->meas,
		.n_measurements = 2,
	};
}

/* A TRE personalised on backend be (NULL: software) and opened. */
static inline struct om_tre *fx_tre_setup(struct fx_tre *t, struct om_ca *pva, const char *tre_id,
					  const struct fx_sho *ro, const struct om_tre_backend *be)
{
	struct om_tre *tre = NULL;
	fx_tre_init(t, pva, tre_id, ro, OM_KEY_X25519);
	t->p.backend = be;
	int rc = om_tre_personalise(t->dir, &t->p, 0);
	CHECK_MSG(rc == 0, "personalise: %s", om_errname(rc));
	if (rc || (rc = om_tre_open_backend(&tre, t->dir, be, 0)) != 0)
		FX_DIE(om_errname(rc));
	return tre;
}

/*
 * A TRE's inputs with both PrK_TRE made where backend be keeps keys
 * (om_tre_key_generate: the TPM or the token), certified by pva from a CSR
 * that hardware signed; personalised on be.
 */
static inline void fx_hw_keys_init(struct fx_tre *t, struct om_ca *pva, const char *tre_id, const struct fx_sho *ro,
				   const struct om_tre_backend *be)
{
	X509_REQ *csr = NULL;
	fx_tre_init(t, pva, tre_id, ro, OM_KEY_EC_P256);
	EVP_PKEY_free(t->sign_key);
	EVP_PKEY_free(t->enc_key);
	om_pki_free(t->sign_der, t->sign_len);
	om_pki_free(t->enc_der, t->enc_len);
	X509_free(t->enc_cert);
	t->sign_key = t->enc_key = NULL;
	t->enc_cert = NULL;
	int rc = om_tre_key_generate(be, OM_KEY_EC_P256, &t->sign_key);
	CHECK_MSG(rc == 0, "sign key in the hardware: %s", om_errname(rc));
	rc = rc ? rc : om_tre_key_generate(be, OM_KEY_EC_P256, &t->enc_key);
	CHECK_MSG(rc == 0, "enc key in the hardware: %s", om_errname(rc));
	rc = rc ? rc : om_csr_create(&csr, t->sign_key, tre_id, t->enc_key);
	CHECK_MSG(rc == 0, "CSR signed by the hardware: %s", om_errname(rc));
	/* the PVA's CA verifies the CSR's signature: the hardware made it */
	rc = rc ? rc : om_ca_issue_tre(pva, csr, tre_id, 0, 0, &t->sign_der, &t->sign_len, &t->enc_der, &t->enc_len);
	CHECK_MSG(rc == 0, "issue: %s", om_errname(rc));
	if (rc || om_cert_decode(&t->enc_cert, OM_ENC_DER, t->enc_der, t->enc_len))
		FX_DIE("hardware keys");
	X509_REQ_free(csr);
	t->p.sign_key = t->sign_key;
	t->p.enc_key = t->enc_key;
	t->p.sign_cert = t->sign_der;
	t->p.sign_cert_len = t->sign_len;
	t->p.enc_cert = t->enc_der;
	t->p.enc_cert_len = t->enc_len;
	t->p.backend = be;
}

/* The PVA's CA that certifies the TREs of a test (valid from 30 days ago). */
static inline void fx_pva_init(struct om_ca **pva, EVP_PKEY **pva_key)
{
	if (om_key_generate(pva_key, OM_KEY_EC_P256) ||
	    om_ca_create(pva, *pva_key, "PVA CA", time(NULL) - 30 * 86400, 0))
		FX_DIE("pva");
}

/* A sealer of backend be in a new directory (dir: a mkdtemp template), for tests below the TRE. */
static inline struct tre_sealer *fx_sealer(char *dir, const struct om_tre_backend *be)
{
	struct tre_sealer *s = NULL;
	if (!mkdtemp(dir))
		FX_DIE("mkdtemp");
	CHECK_INT(tre_seal_create(&s, dir, be, 0), 0);
	if (!s)
		FX_DIE("seal create");
	return s;
}

/* Remove the TRE directory (flat: the TRE writes no subdirectories). */
static inline void fx_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static inline void fx_tre_free(struct fx_tre *t)
{
	fx_rmdir(t->dir);
	EVP_PKEY_free(t->sign_key);
	EVP_PKEY_free(t->enc_key);
	om_pki_free(t->sign_der, t->sign_len);
	om_pki_free(t->enc_der, t->enc_len);
	X509_free(t->enc_cert);
	om_mcim_clear(&t->pcid);
}

static inline int fx_has_file(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Flip one bit of the byte at off in the (first) MID file of dir: a tampered credential. */
static inline void fx_flip_mid(const char *dir, long off)
{
	char path[600] = "";
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, "mid-", 4) && !path[0])
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
	FILE *f = fopen(path, "r+b");
	int c = f && fseek(f, off, SEEK_SET) == 0 ? fgetc(f) : EOF;
	if (c == EOF || fseek(f, off, SEEK_SET) != 0 || fputc(c ^ 1, f) == EOF || fclose(f) != 0)
		FX_DIE("flip");
}

static inline int fx_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 over every file of dir (sorted names, sizes, contents). */
static inline void fx_dir_hash(const char *dir, uint8_t out[32])
{
	char *names[64];
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!d || !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		FX_DIE("hash");
	while ((e = readdir(d)) != NULL && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), fx_name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[512];
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unsigned char *buf = check_slurp(path, &len);
		EVP_DigestUpdate(ctx, names[i], strlen(names[i]) + 1);
		EVP_DigestUpdate(ctx, &len, sizeof(len));
		if (buf)
			EVP_DigestUpdate(ctx, buf, len);
		free(buf);
		free(names[i]);
	}
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

/*
 * Nothing of key's private half comes out, the hardware keeps it: no
 * private scalar, no PKCS#8 from om_key_encode_private nor from OpenSSL's
 * own encoder.
 */
static inline void fx_no_private_half(EVP_PKEY *key)
{
	BIGNUM *d = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	CHECK(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 && !d);
	CHECK_INT(om_key_encode_private(key, OM_ENC_DER, &der, &len), OM_EINVAL);
	CHECK(!der);
	OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
	if (ec && OSSL_ENCODER_CTX_get_num_encoders(ec) > 0 && OSSL_ENCODER_to_data(ec, &der, &len) == 1) {
		const unsigned char *p = der;
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
		CHECK_MSG(!p8, "a PKCS#8 PrivateKeyInfo came out of the encoder");
		PKCS8_PRIV_KEY_INFO_free(p8);
	}
	OSSL_ENCODER_CTX_free(ec);
	OPENSSL_free(der);
	BN_free(d);
	ERR_clear_error();
}

/*
 * fx_hw_keys_init, then what every hardware-key test shows first: neither key's private half
 * comes out, and both are released as the TRE keeps them (the hardware's object, its public half).
 */
static inline void fx_hw_keys_released(struct fx_tre *t, struct om_ca *pva, const char *tre_id,
				       const struct fx_sho *ro, const struct om_tre_backend *be)
{
	fx_hw_keys_init(t, pva, tre_id, ro, be);
	fx_no_private_half(t->sign_key);
	fx_no_private_half(t->enc_key);
	CHECK_INT(om_tre_key_release(&t->sign_key), 0);
	CHECK_INT(om_tre_key_release(&t->enc_key), 0);
	t->p.sign_key = t->sign_key;
	t->p.enc_key = t->enc_key;
}

/* Opened as configured by be: refused with code, and not one byte of the directory changed. */
static inline void fx_open_refused(const char *dir, const struct om_tre_backend *be, int code)
{
	struct om_tre *tre = NULL;
	uint8_t before[32], after[32];
	fx_dir_hash(dir, before);
	int rc = om_tre_open_backend(&tre, dir, be, 0);
	CHECK_MSG(rc == code, "open: %s, want %s", om_errname(rc), om_errname(code));
	CHECK(tre == NULL);
	om_tre_close(tre);
	fx_dir_hash(dir, after);
	CHECK_MEM(before, after, 32);
}

/* A network-side E-UTRAN challenge for (K, OPc) of m at sqn. */
static inline void fx_challenge(const struct om_mcim *m, uint64_t sqn, int eutran, uint8_t rand[16],
				uint8_t autn[16], uint8_t xres[8])
{
	struct om_milenage mil;
	uint8_t amf[2] = { 0x80, 0x00 }, snid[3];
	check_random(rand, 16);
	if (om_milenage_init(&mil, m->k, m->opc))
		FX_DIE("milenage");
	if (eutran) {
		struct om_kdf kdf;
		struct om_eutran_vector v;
		if (om_kdf_init(&kdf) || om_plmn_encode(snid, "001", "01") ||
		    om_vector_eutran_with_rand(&kdf, &mil, rand, sqn, amf, snid, &v))
			FX_DIE("vector");
		memcpy(autn, v.autn, 16);
		memcpy(xres, v.xres, 8);
		om_kdf_clear(&kdf);
	} else {
		struct om_utran_vector v;
		amf[0] = 0;
		if (om_vector_utran_with_rand(&mil, rand, sqn, amf, &v))
			FX_DIE("vector");
		memcpy(autn, v.autn, 16);
		memcpy(xres, v.xres, 8);
	}
	om_milenage_clear(&mil);
}

/* ---- the provisioning path (B.2.3.3-4) with real codecs and keys ---------- */

/* A stapled status of the signer's certificate and its issuer (DER), for make_bootstrap_stapled. */
struct fx_staple {
	const uint8_t *status, *issuer;
	size_t status_len, issuer_len;
};

/*
 * A signed bootstrap from `from` carrying `to`'s certificate (to_der) for the
 * TRE whose encryption certificate is enc, with st (or no status) stapled.
 */
static inline uint8_t *make_bootstrap_stapled(const struct fx_sho *from, const uint8_t *to_der, size_t to_len, X509 *enc,
					      uint32_t seq, const uint8_t nonce_a[16], const struct fx_staple *st,
					      size_t *len)
{
	struct om_dm_creds c;
	struct om_bootstrap b;
	uint8_t plain[512], sealed[2048];
	uint8_t *xml = NULL;

	memset(&c, 0, sizeof(c));
	memset(&b, 0, sizeof(b));
	strcpy(c.username, "TRE-dm-user");
	strcpy(c.password, "s3cret-dm-password");
	memcpy(c.nonce_a, nonce_a, 16);
	int n = om_dm_creds_encode(&c, plain, sizeof(plain));
	if (n < 0)
		FX_DIE(om_errname(n));
	int s = om_protect_seal(X509_get0_pubkey(enc), OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_DM_CREDENTIALS,
				plain, (size_t)n, sealed, sizeof(sealed));
	if (s < 0)
		FX_DIE(om_errname(s));
	strcpy(b.provurl, "https://dpf.sho.example:8443/dm");
	strcpy(b.server_id, "dpf.sho.example");
	strcpy(b.apn, "m2m.sho.example");
	b.sequence = seq;
	b.sho_cert = (uint8_t *)to_der;
	b.sho_cert_len = to_len;
	b.creds = sealed;
	b.creds_len = (size_t)s;
	if (st) {
		b.signer_status = (uint8_t *)st->status;
		b.signer_status_len = st->status_len;
		b.signer_issuer = (uint8_t *)st->issuer;
		b.signer_issuer_len = st->issuer_len;
	}
	int rc = om_bootstrap_build_signed(&b, from->key, from->cert, &xml, len);
	if (rc)
		FX_DIE(om_errname(rc));
	return xml;
}

static inline uint8_t *make_bootstrap(const struct fx_sho *from, const uint8_t *to_der, size_t to_len, X509 *enc,
				      uint32_t seq, const uint8_t nonce_a[16], size_t *len)
{
	return make_bootstrap_stapled(from, to_der, to_len, enc, seq, nonce_a, NULL, len);
}

/* M2MMCIMMobj for the MCIM m, sealed to enc, answering nonce_b, signed by sho's key. */
static inline int make_mcimobj(EVP_PKEY *sho_key, X509 *enc, const struct om_mcim *m, const uint8_t nonce_b[16],
			int bad_version, uint8_t *out, size_t cap)
{
	uint8_t tlv[OM_MCIM_ENCODED_MAX], sealed[1024];
	int n = om_mcim_encode(m, tlv, sizeof(tlv));
	if (n < 0)
		FX_DIE(om_errname(n));
	int s = om_protect_seal(X509_get0_pubkey(enc), OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_MCIM, tlv,
				(size_t)n, sealed, sizeof(sealed));
	if (s < 0)
		FX_DIE(om_errname(s));
	if (bad_version)
		sealed[4] = 0x02; /* the OMPD format version (docs/formats.md) */
	int r = om_m2mmcimmobj_build(sealed, (size_t)s, nonce_b, sho_key, out, cap);
	if (r < 0)
		FX_DIE(om_errname(r));
	return r;
}

/* M2MMobj from the TRE, verified with Cert_TRE as the DPF would; gives nonceB. */
static inline void get_nonce_b(struct om_tre *tre, const struct fx_tre *t, const uint8_t nonce_a[16], uint8_t nonce_b[16])
{
	uint8_t obj[OM_MOBJ_MAX], na[16];
	struct om_tre_info info;
	X509 *sc = NULL;
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK_MSG(n > 0, "om_tre_m2mmobj: %s", om_errname(n));
	if (n <= 0 || om_cert_decode(&sc, OM_ENC_DER, t->sign_der, t->sign_len))
		FX_DIE("m2mmobj");
	CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, X509_get0_pubkey(sc), &info, na, nonce_b), 0);
	CHECK_MEM(na, nonce_a, 16);
	CHECK(strcmp(info.tre_id, t->tre_id) == 0 && info.n_measurements == 2);
	CHECK_MEM(info.m[0].sha256, t->meas[0].sha256, 32);
	X509_free(sc);
}

/* Bootstrap from `from` to `to`, M2MMobj, and install m: the whole B.2.3.3-4 path. */
static inline void provision(struct om_tre *tre, const struct fx_tre *t, const struct fx_sho *from, const struct fx_sho *to,
		      uint32_t seq, const struct om_mcim *m, uint8_t mid[16])
{
	uint8_t nonce_a[16], nonce_b[16], obj[OM_MOBJ_MAX];
	size_t len = 0;
	check_random(nonce_a, 16);
	uint8_t *xml = make_bootstrap(from, to->der, to->der_len, t->enc_cert, seq, nonce_a, &len);
	int rc = om_tre_bootstrap(tre, xml, len, time(NULL));
	CHECK_MSG(rc == 0, "bootstrap: %s", om_errname(rc));
	free(xml);
	get_nonce_b(tre, t, nonce_a, nonce_b);
	int n = make_mcimobj(to->key, t->enc_cert, m, nonce_b, 0, obj, sizeof(obj));
	rc = om_tre_install_mcim(tre, obj, (size_t)n, time(NULL), mid);
	CHECK_MSG(rc == 0, "install: %s", om_errname(rc));
}

static inline int aka_ok(struct om_tre *tre, const struct om_mcim *m, uint64_t sqn)
{
	uint8_t rand[16], autn[16], xres[8];
	struct om_usim_out out;
	fx_challenge(m, sqn, 1, rand, autn, xres);
	int rc = om_tre_aka(tre, rand, autn, &out);
	int ok = rc == 0 && memcmp(out.res, xres, 8) == 0;
	om_usim_out_clear(&out);
	return ok ? 0 : (rc ? rc : -1);
}
