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

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>
#include <openmcim/tre.h>
#include <openmcim/vector.h>

#include "check.h"

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
