/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Personalisation by the M2MES (spec/002 B.2.2.1): the TRE receives TRE_id,
 * its key pairs and certificates, the trust root Cert_SHO[0] and the PCID.
 * The factory runs this 100,000 times, so it does only what a wrong input
 * would otherwise turn into a device that cannot be provisioned: match the
 * certificates' subject and key bytes against TRE_id and the keys, check
 * the trust root once per run, no fsync in batch mode, three files.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>
#include <openmcim/sqn.h>

#include "tre_int.h"

static int str_ok(const char *s, size_t min, size_t max)
{
	return s && strlen(s) >= min && strlen(s) <= max;
}

/* One certificate, plain d2i (for the trust root only: see check_root()). */
static int decode_der(X509 **out, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	if (len == 0 || len > TRE_BLOB_MAX)
		return OM_EPKI_MALFORMED;
	X509 *c = d2i_X509(NULL, &p, (long)len);
	if (!c || p != der + len) {
		X509_free(c);
		return OM_EPKI_MALFORMED;
	}
	*out = c;
	return 0;
}

/* The next DER element in [*p, end): its whole TLV, then *p past it. */
static int der_next(const uint8_t **p, const uint8_t *end, int want_tag, int want_class,
		    const uint8_t **tlv, size_t *tlv_len, const uint8_t **content, long *content_len)
{
	const unsigned char *q = *p;
	long n = 0;
	int tag = 0, cls = 0;
	if (*p >= end || (ASN1_get_object(&q, &n, &tag, &cls, end - *p) & 0x80) || tag != want_tag ||
	    cls != want_class || n > end - q)
		return OM_EPKI_MALFORMED;
	if (tlv) {
		*tlv = *p;
		*tlv_len = (size_t)(q + n - *p);
	}
	if (content) {
		*content = q;
		*content_len = n;
	}
	*p = q + n;
	return 0;
}

/*
 * Where the subject and the SubjectPublicKeyInfo of a certificate are
 * (RFC 5280 4.1). A full d2i_X509 would also decode the public key, which
 * OpenSSL 3.0 does through its generic decoder: 1.4 M instructions a
 * certificate, and a lock every factory worker takes. The factory's CA
 * issued these bytes a moment ago (om_ca_issue_tre), so personalisation
 * only checks that they name this TRE and certify these keys; the PVA and
 * every peer parse them fully.
 */
static int cert_locate(const uint8_t *der, size_t len, const uint8_t **subject, size_t *subject_len,
		       const uint8_t **spki, size_t *spki_len)
{
	const uint8_t *p = der, *end = der + len, *cert, *tbs;
	long n;
	int rc;

	if (len == 0 || len > TRE_BLOB_MAX)
		return OM_EPKI_MALFORMED;
	if ((rc = der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL, &cert, &n)) != 0)
		return rc;
	if (p != end) /* exactly one certificate */
		return OM_EPKI_MALFORMED;
	p = cert;
	end = cert + n;
	if ((rc = der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL, &tbs, &n)) != 0)
		return rc;
	end = tbs + n;
	p = tbs;
	/* version [0] EXPLICIT, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo */
	if ((rc = der_next(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, NULL, NULL, NULL, NULL)) != 0 ||
	    (rc = der_next(&p, end, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, NULL, NULL, NULL, NULL)) != 0 ||
	    (rc = der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL, NULL, NULL)) != 0 ||
	    (rc = der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL, NULL, NULL)) != 0 ||
	    (rc = der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, NULL, NULL, NULL, NULL)) != 0 ||
	    (rc = der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, subject, subject_len, NULL, NULL)) != 0)
		return rc;
	return der_next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, spki, spki_len, NULL, NULL);
}

/* The subject is exactly CN=tre_id. */
static int subject_is(const uint8_t *der, size_t len, const char *tre_id)
{
	const unsigned char *p = der;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)len);
	int ok = 0;
	if (name && p == der + len && X509_NAME_entry_count(name) == 1) {
		const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 0));
		ok = OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name, 0))) == NID_commonName &&
		     (size_t)ASN1_STRING_length(cn) == strlen(tre_id) &&
		     memcmp(ASN1_STRING_get0_data(cn), tre_id, strlen(tre_id)) == 0;
	}
	X509_NAME_free(name);
	return ok;
}

/*
 * Whether spki is the SubjectPublicKeyInfo of the key in blob. P-256 and
 * X25519 have one DER form each (RFC 5480 2, RFC 8410 4), a fixed prefix
 * and the public key; anything else (RSA) is compared with i2d_PUBKEY().
 */
static int spki_matches(const uint8_t *spki, size_t len, EVP_PKEY *key, const struct tre_blob *blob)
{
	static const uint8_t p256[26] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };
	static const uint8_t x25519[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					    0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00 };
	uint8_t pub[32];
	size_t n = sizeof(pub);
	unsigned char *der = NULL;
	int ok, k;

	switch (blob->p[0]) {
	case TRE_KEY_P256:
		return len == sizeof(p256) + 65 && memcmp(spki, p256, sizeof(p256)) == 0 &&
		       memcmp(spki + sizeof(p256), blob->p + 1 + 32, 65) == 0;
	case TRE_KEY_X25519:
		return len == sizeof(x25519) + 32 && memcmp(spki, x25519, sizeof(x25519)) == 0 &&
		       EVP_PKEY_get_raw_public_key(key, pub, &n) == 1 && n == 32 &&
		       memcmp(spki + sizeof(x25519), pub, 32) == 0;
	default:
		k = i2d_PUBKEY(key, &der);
		ok = k > 0 && (size_t)k == len && memcmp(der, spki, len) == 0;
		OPENSSL_free(der);
		ERR_clear_error();
		return ok;
	}
}

/* A TRE certificate: CN must be TRE_id and key (kept as blob) must be its private half. */
static int check_tre_cert(const uint8_t *der, size_t len, const char *tre_id, EVP_PKEY *key,
			  const struct tre_blob *blob)
{
	const uint8_t *subject, *spki;
	size_t subject_len, spki_len;
	int rc = cert_locate(der, len, &subject, &subject_len, &spki, &spki_len);
	if (rc)
		return rc;
	if (!subject_is(subject, subject_len, tre_id) || !spki_matches(spki, spki_len, key, blob))
		rc = OM_ETRE_IDENTITY;
	ERR_clear_error();
	return rc;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int time_of(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

/*
 * The last trust root that passed tre_check_root(): a production run gives
 * every TRE the same Cert_SHO[0], so it is parsed and checked once (the
 * profile and CN are properties of the bytes; only the validity depends on
 * the time and is checked every call). Shared by the factory's workers.
 */
static struct {
	pthread_mutex_t lock;
	size_t len;
	uint8_t der[TRE_BLOB_MAX];
	int64_t not_before, not_after;
	char cn[OM_NAME_MAX_LEN + 1];
} root_memo = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int check_root(const uint8_t *der, size_t len, time_t now, char cn[static OM_NAME_MAX_LEN + 1])
{
	int64_t nb = 0, na = 0;
	int hit, rc;

	pthread_mutex_lock(&root_memo.lock);
	hit = root_memo.len == len && memcmp(root_memo.der, der, len) == 0;
	if (hit) {
		nb = root_memo.not_before;
		na = root_memo.not_after;
		memcpy(cn, root_memo.cn, OM_NAME_MAX_LEN + 1);
	}
	pthread_mutex_unlock(&root_memo.lock);
	/* as tre_check_root() with X509_cmp_time(): valid from notBefore, expired at notAfter */
	if (hit)
		return (int64_t)now < nb ? OM_EPKI_NOT_YET_VALID : (int64_t)now >= na ? OM_EPKI_EXPIRED : 0;

	X509 *root = NULL;
	if ((rc = decode_der(&root, der, len)) != 0)
		return rc;
	rc = tre_check_root(root, now, cn);
	if (!rc && time_of(X509_get0_notBefore(root), &nb) == 0 && time_of(X509_get0_notAfter(root), &na) == 0) {
		pthread_mutex_lock(&root_memo.lock);
		memcpy(root_memo.der, der, len);
		root_memo.len = len;
		root_memo.not_before = nb;
		root_memo.not_after = na;
		memcpy(root_memo.cn, cn, OM_NAME_MAX_LEN + 1);
		pthread_mutex_unlock(&root_memo.lock);
	}
	X509_free(root);
	ERR_clear_error();
	return rc;
}

/* Check p and put both keys into s as key blobs (record.h). */
static int check_input(const struct om_tre_personalisation *p, struct tre_state *s)
{
	char cn[OM_NAME_MAX_LEN + 1];
	int rc;

	if (!str_ok(p->tre_id, 1, OM_TRE_ID_MAX) || !str_ok(p->tre_type, 0, 63) ||
	    !str_ok(p->firmware_version, 0, 31) || !str_ok(p->ro_id, 1, OM_TRE_STAKEHOLDER_MAX) ||
	    !p->sign_key || !p->enc_key || !p->sign_cert || !p->enc_cert || !p->trust_root || !p->pcid ||
	    p->n_measurements > OM_MEASUREMENTS_MAX || (p->n_measurements && !p->measurements) ||
	    p->sign_cert_len > TRE_BLOB_MAX || p->enc_cert_len > TRE_BLOB_MAX ||
	    p->trust_root_len > TRE_BLOB_MAX)
		return OM_EINVAL;
	if ((rc = tre_key_encode(p->sign_key, &s->sign_key)) != 0 ||
	    (rc = tre_key_encode(p->enc_key, &s->enc_key)) != 0)
		return rc;
	/* a key in a TPM or a token works only where the TRE opens on that hardware */
	for (int i = 0; i < 2; i++) {
		int need = tre_key_blob_backend(i ? &s->enc_key : &s->sign_key);
		if (need >= 0 && (!p->backend || p->backend->kind != need))
			return OM_ETRE_BACKEND;
	}
	rc = check_tre_cert(p->sign_cert, p->sign_cert_len, p->tre_id, p->sign_key, &s->sign_key);
	if (!rc)
		rc = check_tre_cert(p->enc_cert, p->enc_cert_len, p->tre_id, p->enc_key, &s->enc_key);
	if (!rc)
		rc = check_root(p->trust_root, p->trust_root_len, time(NULL), cn);
	if (!rc && strcmp(cn, p->ro_id) != 0)
		rc = OM_ETRE_TRUST_ROOT;
	return rc;
}

static int fill_state(struct tre_state *s, const struct om_tre_personalisation *p,
		      const uint8_t mid[static OM_MCIM_MID_LEN])
{
	int rc;

	strcpy(s->tre_id, p->tre_id);
	strcpy(s->tre_type, p->tre_type);
	strcpy(s->firmware_version, p->firmware_version);
	strcpy(s->ro_id, p->ro_id);
	s->n_meas = p->n_measurements;
	for (size_t i = 0; i < p->n_measurements; i++) {
		memcpy(s->meas[i].sha256, p->measurements[i].sha256, 32);
		memcpy(s->meas[i].name, p->measurements[i].name, sizeof(s->meas[i].name));
		s->meas[i].name[sizeof(s->meas[i].name) - 1] = 0;
	}
	/* the key blobs are there already (check_input) */
	rc = tre_blob_set(&s->sign_cert, p->sign_cert, p->sign_cert_len);
	if (!rc)
		rc = tre_blob_set(&s->enc_cert, p->enc_cert, p->enc_cert_len);
	if (!rc)
		rc = tre_blob_set(&s->root, p->trust_root, p->trust_root_len);
	if (rc)
		return rc;
	s->n_mids = 1;
	memcpy(s->mids[0].mid, mid, OM_MCIM_MID_LEN);
	s->mids[0].state = OM_TRE_MID_ACTIVE;
	s->mids[0].is_pcid = 1;
	strcpy(s->mids[0].owner, p->ro_id);
	s->has_active = 1;
	memcpy(s->active, mid, OM_MCIM_MID_LEN);
	return 0;
}

int om_tre_personalise(const char *dir, const struct om_tre_personalisation *p, unsigned flags)
{
	struct om_tre tre; /* only for the save helpers: dir and sealer */
	struct tre_state *st = NULL;
	struct tre_mid_record *rec = NULL;
	char mid_name[TRE_MID_FILE_LEN];
	int rc, made_mid = 0, made_ak = 0, made_dir = 0;

	if (!dir || !p || (flags & ~OM_TRE_NO_FSYNC) || strlen(dir) >= TRE_PATH_MAX)
		return OM_EINVAL;
	memset(&tre, 0, sizeof(tre));
	st = calloc(1, sizeof(*st));
	rec = calloc(1, sizeof(*rec));
	if (!st || !rec) {
		rc = OM_ENOMEM;
		goto out;
	}
	if ((rc = check_input(p, st)) != 0)
		goto out;
	/* The PCID's MID: its own if the RO gave one, else random (B.2.2.1 says nothing). */
	rec->mcim = *p->pcid;
	if (p->pcid->present & OM_MCIM_HAS_MID)
		memcpy(rec->mid, p->pcid->mid, OM_MCIM_MID_LEN);
	else if (RAND_bytes(rec->mid, OM_MCIM_MID_LEN) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	rec->is_pcid = 1;
	strcpy(rec->owner, p->ro_id);
	rc = om_usim_sqn_init(&rec->sqn,
			      (p->pcid->present & OM_MCIM_HAS_IND_BITS) ? p->pcid->ind_bits : OM_IND_BITS_DEFAULT,
			      OM_USIM_DELTA_DEFAULT, 0);
	if (rc)
		goto out;
	rc = fill_state(st, p, rec->mid);
	if (rc)
		goto out;
	made_dir = mkdir(dir, 0700) == 0;
	if (!made_dir && errno != EEXIST) {
		rc = OM_EIO;
		goto out;
	}
	if ((rc = tre_dir_check(dir)) != 0)
		goto out;
	memcpy(tre.dir, dir, strlen(dir) + 1);
	/* The backend's first file is created O_EXCL: a second personalisation of the same dir stops here. */
	rc = tre_seal_create(&tre.seal, dir, p->backend, flags);
	if (rc)
		goto out;
	/* with a hardware counter, the records count from its value (docs/tre.md "State counter") */
	tre.counter = tre.seal->has_counter ? tre.seal->counter : 0;
	/* the attestation key, with the TPM (attest.c) */
	if ((rc = tre_attest_personalise(&tre, p)) != 0)
		goto out;
	made_ak = p->ak_blob != NULL;
	rc = tre_save_mid(&tre, rec, 1);
	if (rc)
		goto out;
	made_mid = 1;
	/* Fresh files in a fresh directory: create in place, no temp file to rename. */
	uint8_t *buf = NULL;
	size_t len = 0;
	rc = tre_state_encode(st, &buf, &len);
	if (!rc) {
		rc = tre_seal_put(tre.seal, TRE_STATE_FILE, buf, len, 1);
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	/* Files created O_EXCL are new entries, durable once their directory is synced, and a
	 * directory made here once its parent is (docs/tre.md "Atomicity"); not in batch mode. */
	if (!rc && !(flags & OM_TRE_NO_FSYNC))
		rc = tre_dir_sync(tre.seal->dir_fd, dir, made_dir);
out:
	if (rc && made_mid) {
		tre_mid_file(mid_name, rec->mid);
		char path[TRE_PATH_MAX];
		if (tre_path(path, dir, mid_name) == 0)
			unlink(path);
	}
	if (rc && made_ak) {
		char path[TRE_PATH_MAX];
		if (tre_path(path, dir, TRE_ATTEST_FILE) == 0)
			unlink(path);
	}
	if (rc)
		tre_seal_discard(tre.seal);
	else
		tre_seal_close(tre.seal);
	if (st) {
		tre_state_clear(st);
		free(st);
	}
	if (rec) {
		tre_mid_clear(rec);
		free(rec);
	}
	return rc;
}
