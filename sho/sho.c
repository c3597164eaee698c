/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the registration service: configuration, database and schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/dm.h>
#include <openmcim/pki.h>

#include "admin_call.h"
#include "log.h"
#include "ocsp_client.h"
#include "sho_int.h"

/* Version 2 rows still hold a password: keep its digest, blank the password, in one transaction. */
static int forget_passwords(struct sho *s)
{
	struct om_stmt *sel = s->stmt[SHO_SQL_HO_OLD_PASSWORDS], *upd = s->stmt[SHO_SQL_HO_FORGET_PASSWORD];
	int sqlite = om_store_backend_of(s->store) == OM_STORE_SQLITE, rc = 0, n = 0;
	/*
	 * SQLite: the old cells are zeroed when freed, and the log truncated below: the password leaves the files
	 * too. A PostgreSQL database starts at the current schema, so it never held one.
	 */
	if (sqlite)
		rc = om_store_exec(s->store, "PRAGMA secure_delete = ON");
	if (rc == 0)
		rc = om_store_begin(s->store, OM_STORE_DURABLE);
	if (rc < 0)
		return rc;
	for (rc = om_stmt_query(sel, OM_NOBIND); rc == OM_STORE_ROW; rc = om_stmt_step(sel)) {
		char digest[OM_DM_B64_MD5_LEN + 1];
		rc = om_dm_md5_inner(om_stmt_col_text(sel, 1), om_stmt_col_text(sel, 2), digest);
		if (rc == 0)
			rc = om_stmt_exec(upd, OM_BIND(OM_TEXT(om_stmt_col_text(sel, 0)), OM_TEXT(digest)));
		OPENSSL_cleanse(digest, sizeof(digest));
		if (rc < 0)
			break;
		n++;
	}
	om_stmt_reset(sel);
	if (rc < 0) {
		om_store_rollback(s->store);
		return rc;
	}
	rc = om_store_commit(s->store);
	if (rc == 0 && n && sqlite && (rc = om_store_exec(s->store, "PRAGMA wal_checkpoint(TRUNCATE)")) == 0)
		om_notice("sho-open", "dm_passwords_forgotten=%d", n);
	return rc;
}

int sho_id_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ',' || s[i] == '"' || s[i] == '\'' || s[i] == '\\')
			return 0;
	return 1;
}

int64_t sho_now(void)
{
	return (int64_t)time(NULL);
}

void sho_content_hash(const struct sho_device_in *d, uint8_t out[static 32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t len[8];
	unsigned int olen = 32;
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, d->current_sho, strlen(d->current_sho) + 1);
	for (int i = 0; ok && i < 2; i++) {
		size_t l = i ? d->cert_enc_len : d->cert_sign_len;
		for (int b = 0; b < 8; b++)
			len[b] = (uint8_t)((uint64_t)l >> (56 - 8 * b));
		ok = EVP_DigestUpdate(c, len, sizeof(len)) && EVP_DigestUpdate(c, i ? d->cert_enc : d->cert_sign, l);
	}
	if (!ok || !EVP_DigestFinal_ex(c, out, &olen))
		memset(out, 0, 32); /* never equal to a real hash: a repeat then looks new and is refused as a duplicate */
	EVP_MD_CTX_free(c);
}

static int digits(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int copy(char *dst, size_t cap, const char *src)
{
	if (!src) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(src) >= cap)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

int sho_need_register_config(const struct sho *s, char *why, size_t wl)
{
	size_t imsi_len = strlen(s->mcc) + strlen(s->mnc) + strlen(s->msin_first);
	if (!s->sho_id[0] || !digits(s->mcc, 3, 3) || !digits(s->mnc, 2, 3))
		return om_reason(why, wl, OM_ESHO_CONFIG, "registration needs sho_id, mcc (3 digits) and mnc (2-3)");
	if (!digits(s->msin_first, 1, 10) || strlen(s->msin_last) != strlen(s->msin_first) ||
	    !digits(s->msin_last, 1, 10) || strcmp(s->msin_first, s->msin_last) > 0 || imsi_len < 6 ||
	    imsi_len > 15)
		return om_reason(why, wl, OM_ESHO_CONFIG,
			       "msin_first..msin_last must be digits of one width, first <= last, IMSI 6-15 digits");
	if (!s->has_op || !s->apn[0] || !s->roaming[0] || !s->pva_ca || !s->ocsp_url[0] || !s->hss_socket[0])
		return om_reason(why, wl, OM_ESHO_CONFIG, "registration needs op, apn, roaming, pva_ca, ocsp_url, hss_socket");
	return 0;
}

int sho_need_handover_config(const struct sho *s, char *why, size_t wl)
{
	if (!s->sho_id[0] || !s->sign_key || !s->sign_cert || !s->provurl[0] || !s->server_id[0] || !s->dpf_apn[0])
		return om_reason(why, wl, OM_ESHO_CONFIG,
			       "handover needs sho_id, sign_key, sign_cert, provurl, server_id, dpf_apn");
	return 0;
}

static int set_config(struct sho *s, const struct sho_config *cfg, char *why, size_t wl)
{
	char amf_hex[5];
	if (copy(s->sho_id, sizeof(s->sho_id), cfg->sho_id) || copy(s->mcc, sizeof(s->mcc), cfg->mcc) ||
	    copy(s->mnc, sizeof(s->mnc), cfg->mnc) || copy(s->msin_first, sizeof(s->msin_first), cfg->msin_first) ||
	    copy(s->msin_last, sizeof(s->msin_last), cfg->msin_last) || copy(s->apn, sizeof(s->apn), cfg->apn) ||
	    copy(s->roaming, sizeof(s->roaming), cfg->roaming) ||
	    copy(s->ocsp_url, sizeof(s->ocsp_url), cfg->ocsp_url) ||
	    copy(s->hss_socket, sizeof(s->hss_socket), cfg->hss_socket) ||
	    copy(s->drf_socket, sizeof(s->drf_socket), cfg->drf_socket) ||
	    copy(s->provurl, sizeof(s->provurl), cfg->provurl) ||
	    copy(s->server_id, sizeof(s->server_id), cfg->server_id) ||
	    copy(s->dpf_apn, sizeof(s->dpf_apn), cfg->dpf_apn))
		return om_reason(why, wl, OM_ESHO_CONFIG, "a configuration value is too long");
	if (s->sho_id[0] && !sho_id_ok(s->sho_id, OM_HANDOVER_SHO_ID_MAX))
		return om_reason(why, wl, OM_ESHO_CONFIG, "sho_id must be printable ASCII without spaces or commas");
	if ((s->apn[0] && !sho_id_ok(s->apn, OM_MCIM_APN_MAX)) || (s->roaming[0] && !sho_id_ok(s->roaming, 255)))
		return om_reason(why, wl, OM_ESHO_CONFIG, "apn and roaming may not hold spaces");
	if (cfg->ind_bits > 28)
		return om_reason(why, wl, OM_ESHO_CONFIG, "ind_bits must be 0..28");
	if (cfg->op) {
		memcpy(s->op, cfg->op, sizeof(s->op));
		s->has_op = 1;
	}
	memcpy(s->amf, cfg->amf, 2);
	s->ind_bits = cfg->ind_bits;
	snprintf(amf_hex, sizeof(amf_hex), "%02x%02x", s->amf[0], s->amf[1]);
	if (cfg->pva_ca) {
		X509 *roots[1] = { cfg->pva_ca };
		if (!X509_up_ref(cfg->pva_ca))
			return OM_ENOMEM;
		s->pva_ca = cfg->pva_ca;
		int rc = om_trust_new(&s->pva_trust, roots, 1);
		if (rc < 0)
			return om_reason(why, wl, OM_ESHO_CONFIG, "pva_ca is not a CA certificate: %s", om_strerror(rc));
	}
	if (cfg->sign_key) {
		if (!EVP_PKEY_up_ref(cfg->sign_key))
			return OM_ENOMEM;
		s->sign_key = cfg->sign_key;
	}
	if (cfg->sign_cert) {
		if (!X509_up_ref(cfg->sign_cert))
			return OM_ENOMEM;
		s->sign_cert = cfg->sign_cert;
		if (om_cert_check_profile(s->sign_cert, OM_CERT_SHO_SIGNING) < 0 ||
		    (s->sign_key && X509_check_private_key(s->sign_cert, s->sign_key) != 1))
			return om_reason(why, wl, OM_ESHO_CONFIG,
				       "sign_cert is not an SHO_SIGNING certificate for sign_key");
	}
	return 0;
}

int sho_open(struct sho **out, const struct sho_config *cfg, char *why, size_t wl)
{
	char err[256] = "";
	struct sho *s;
	int rc;
	if (!out || !cfg || !cfg->db_path)
		return OM_EINVAL;
	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return OM_ENOMEM;
	if ((rc = set_config(s, cfg, why, wl)) < 0)
		goto fail;
	char where[256];
	om_store_conf_redact(cfg->db_path, where, sizeof(where));
	if ((rc = sho_store_open(s, cfg->db_path, err, sizeof(err))) < 0) {
		om_reason(why, wl, rc, "%s: %s", where, err);
		goto fail;
	}
	if ((rc = forget_passwords(s)) < 0) {
		om_reason(why, wl, rc, "%s: DM passwords: %s", where, om_store_errmsg(s->store));
		goto fail;
	}
	s->hss_link = s->hss_socket[0] ? om_admin_link_new() : NULL; /* out of memory: a connection per call */
	*out = s;
	return 0;
fail:
	sho_close(s);
	return rc;
}

unsigned sho_idle(struct sho *s, const char *where)
{
	return s ? om_store_idle(s->store, where) : 0;
}

void sho_close(struct sho *s)
{
	if (!s)
		return;
	sho_store_close(s);
	om_admin_link_free(s->hss_link);
	om_ocsp_client_free(s->ocsp);
	X509_free(s->pva_ca);
	X509_STORE_free(s->pva_trust);
	EVP_PKEY_free(s->sign_key);
	X509_free(s->sign_cert);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
