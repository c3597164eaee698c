/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Personalisation by the M2MES (spec/002 B.2.2.1): the TRE receives TRE_id,
 * its key pairs and certificates, the trust root Cert_SHO[0] and the PCID.
 * The factory runs this 100,000 times, so it does only what a wrong input
 * would otherwise turn into a device that cannot be provisioned: parse and
 * match, no chain building, no fsync in batch mode, three files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>
#include <openmcim/sqn.h>

#include "tre_int.h"

static int str_ok(const char *s, size_t min, size_t max)
{
	return s && strlen(s) >= min && strlen(s) <= max;
}

/*
 * Plain DER parse, exactly one certificate. om_cert_decode() goes through
 * OpenSSL's generic decoder, which cost 70% of a personalisation; the
 * factory issued these bytes a moment ago, so a plain d2i is enough here.
 */
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

/* A TRE certificate: CN must be TRE_id and key must be its private half. */
static int check_tre_cert(const uint8_t *der, size_t len, const char *tre_id, EVP_PKEY *key)
{
	char cn[OM_NAME_MAX_LEN + 1];
	X509 *c = NULL;
	int rc = decode_der(&c, der, len);
	if (rc)
		return rc;
	if (om_cert_subject_cn(c, cn) < 0 || strcmp(cn, tre_id) != 0 ||
	    EVP_PKEY_eq(X509_get0_pubkey(c), key) != 1)
		rc = OM_ETRE_IDENTITY;
	X509_free(c);
	return rc;
}

static int check_input(const struct om_tre_personalisation *p)
{
	char cn[OM_NAME_MAX_LEN + 1];
	X509 *root = NULL;
	int rc;

	if (!str_ok(p->tre_id, 1, OM_TRE_ID_MAX) || !str_ok(p->tre_type, 0, 63) ||
	    !str_ok(p->firmware_version, 0, 31) || !str_ok(p->ro_id, 1, OM_TRE_STAKEHOLDER_MAX) ||
	    !p->sign_key || !p->enc_key || !p->sign_cert || !p->enc_cert || !p->trust_root || !p->pcid ||
	    p->n_measurements > OM_MEASUREMENTS_MAX || (p->n_measurements && !p->measurements) ||
	    p->sign_cert_len > TRE_BLOB_MAX || p->enc_cert_len > TRE_BLOB_MAX ||
	    p->trust_root_len > TRE_BLOB_MAX)
		return OM_EINVAL;
	rc = check_tre_cert(p->sign_cert, p->sign_cert_len, p->tre_id, p->sign_key);
	if (!rc)
		rc = check_tre_cert(p->enc_cert, p->enc_cert_len, p->tre_id, p->enc_key);
	if (!rc)
		rc = decode_der(&root, p->trust_root, p->trust_root_len);
	if (!rc)
		rc = tre_check_root(root, time(NULL), cn);
	if (!rc && strcmp(cn, p->ro_id) != 0)
		rc = OM_ETRE_TRUST_ROOT;
	X509_free(root);
	return rc;
}

static int fill_state(struct tre_state *s, const struct om_tre_personalisation *p,
		      const uint8_t mid[static OM_MCIM_MID_LEN])
{
	uint8_t *der = NULL;
	size_t len = 0;
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
	rc = om_key_encode_private(p->sign_key, OM_ENC_DER, &der, &len);
	if (rc)
		return rc;
	rc = tre_blob_set(&s->sign_key, der, len);
	om_pki_free(der, len);
	if (rc)
		return rc;
	rc = om_key_encode_private(p->enc_key, OM_ENC_DER, &der, &len);
	if (rc)
		return rc;
	rc = tre_blob_set(&s->enc_key, der, len);
	om_pki_free(der, len);
	if (rc)
		return rc;
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
	int rc, made_key = 0, made_mid = 0;

	if (!dir || !p || (flags & ~OM_TRE_NO_FSYNC) || strlen(dir) >= TRE_PATH_MAX)
		return OM_EINVAL;
	memset(&tre, 0, sizeof(tre));
	rc = check_input(p);
	if (rc)
		return rc;
	st = calloc(1, sizeof(*st));
	rec = calloc(1, sizeof(*rec));
	if (!st || !rec) {
		rc = OM_ENOMEM;
		goto out;
	}
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
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = OM_EIO;
		goto out;
	}
	memcpy(tre.dir, dir, strlen(dir) + 1);
	/* The key file is created O_EXCL: a second personalisation of the same dir stops here. */
	rc = tre_seal_soft_create(&tre.seal, dir, flags);
	if (rc)
		goto out;
	made_key = 1;
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
out:
	if (rc && made_mid) {
		tre_mid_file(mid_name, rec->mid);
		char path[TRE_PATH_MAX];
		if (tre_path(path, dir, mid_name) == 0)
			unlink(path);
	}
	if (rc && made_key)
		tre_seal_soft_discard(dir);
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
