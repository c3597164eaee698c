/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the registration state: one device, a list, the sealed MCIM, the DM credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

#include "sho_int.h"

void sho_read_status(struct om_stmt *st, struct sho_device_status *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->tre_id, sizeof(o->tre_id), "%s", om_stmt_col_text(st, 0));
	snprintf(o->owner_id, sizeof(o->owner_id), "%s", om_stmt_col_text(st, 1));
	snprintf(o->current_sho, sizeof(o->current_sho), "%s", om_stmt_col_text(st, 2));
	snprintf(o->imsi, sizeof(o->imsi), "%s", om_stmt_col_text(st, 3));
	snprintf(o->state, sizeof(o->state), "%s", om_stmt_col_text(st, 4));
	snprintf(o->reason, sizeof(o->reason), "%s", om_stmt_col_text(st, 5));
	snprintf(o->request_id, sizeof(o->request_id), "%s", om_stmt_col_text(st, 6));
	o->created = om_stmt_col_int64(st, 7);
	o->updated = om_stmt_col_int64(st, 8);
	o->sequence = (uint32_t)om_stmt_col_int64(st, 9);
	snprintf(o->model, sizeof(o->model), "%s", om_stmt_col_text(st, 10));
}

int sho_status(struct sho *s, const char *tre_id, struct sho_device_status *out)
{
	if (!s || !tre_id || !out)
		return OM_EINVAL;
	struct om_stmt *st = s->stmt[SHO_SQL_STATUS];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW)
		sho_read_status(st, out);
	om_stmt_reset(st);
	return rc == OM_STORE_ROW ? 0 : rc == OM_STORE_DONE ? OM_ESHO_NOT_FOUND : rc;
}

int sho_list(struct sho *s, const char *owner_id, const char *after, unsigned limit,
	     void (*fn)(void *ctx, const struct sho_device_status *d), void *ctx)
{
	struct sho_device_status d;
	int n = 0;
	if (!s || !fn)
		return OM_EINVAL;
	struct om_stmt *st = s->stmt[SHO_SQL_LIST];
	int rc;
	for (rc = om_stmt_query(st, OM_BIND(OM_TEXT(owner_id), OM_TEXT(after ? after : ""), OM_INT(limit)));
	     rc == OM_STORE_ROW; rc = om_stmt_step(st), n++) {
		sho_read_status(st, &d);
		fn(ctx, &d);
	}
	om_stmt_reset(st);
	return rc < 0 ? rc : n;
}

/* One blob column of tre_id's device row (statement q), copied into a malloc'd buffer. */
static int device_blob(struct sho *s, enum sho_sql q, const char *tre_id, uint8_t **out, size_t *out_len)
{
	struct om_stmt *st = s->stmt[q];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW) {
		size_t n = 0;
		const void *p = om_stmt_col_blob(st, 0, &n);
		*out = malloc(n ? n : 1);
		if (*out) {
			memcpy(*out, p, n);
			*out_len = n;
			rc = 0;
		} else {
			rc = OM_ENOMEM;
		}
	} else if (rc == OM_STORE_DONE) {
		rc = OM_ESHO_NOT_FOUND;
	}
	om_stmt_reset(st);
	return rc;
}

int sho_sealed_mcim(struct sho *s, const char *tre_id, uint8_t **out, size_t *out_len)
{
	if (!s || !tre_id || !out || !out_len)
		return OM_EINVAL;
	return device_blob(s, SHO_SQL_SEALED_MCIM, tre_id, out, out_len);
}

int sho_tre_sign_cert(struct sho *s, const char *tre_id, X509 **cert)
{
	uint8_t *der = NULL;
	size_t len = 0;
	if (!s || !tre_id || !cert)
		return OM_EINVAL;
	*cert = NULL;
	int rc = device_blob(s, SHO_SQL_CERT_SIGN, tre_id, &der, &len);
	if (rc == 0)
		rc = om_cert_decode(cert, OM_ENC_DER, der, len);
	free(der);
	return rc;
}

int sho_tre_sign_cert_der(struct sho *s, const char *tre_id, uint8_t **der, size_t *der_len)
{
	if (!s || !tre_id || !der || !der_len)
		return OM_EINVAL;
	*der = NULL;
	*der_len = 0;
	return device_blob(s, SHO_SQL_CERT_SIGN, tre_id, der, der_len);
}

int sho_tre_enc_cert(struct sho *s, const char *tre_id, uint8_t **der, size_t *der_len)
{
	if (!s || !tre_id || !der || !der_len)
		return OM_EINVAL;
	*der = NULL;
	*der_len = 0;
	return device_blob(s, SHO_SQL_CERT_ENC, tre_id, der, der_len);
}

static uint8_t *blob_copy(struct om_stmt *st, int col, size_t *len)
{
	const void *p = om_stmt_col_blob(st, col, len);
	uint8_t *b = malloc(*len ? *len : 1);
	if (b && *len)
		memcpy(b, p, *len);
	return b;
}

int sho_device_view(struct sho *s, const char *tre_id, struct sho_device_view *out)
{
	if (!s || !tre_id || !out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	struct om_stmt *st = s->stmt[SHO_SQL_DEVICE];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW) {
		sho_read_status(st, &out->st);
		out->sign = blob_copy(st, 11, &out->sign_len);
		out->enc = blob_copy(st, 12, &out->enc_len);
		rc = out->sign && out->enc ? 0 : OM_ENOMEM;
		size_t n = 0;
		const void *p = om_stmt_col_is_null(st, 13) ? NULL : om_stmt_col_blob(st, 13, &n);
		if (p && n == sizeof(out->nonce_a)) {
			memcpy(out->nonce_a, p, n);
			out->has_nonce_a = 1;
		}
	} else if (rc == OM_STORE_DONE) {
		rc = OM_ESHO_NOT_FOUND;
	}
	om_stmt_reset(st);
	if (rc < 0) {
		free(out->sign);
		free(out->enc);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

int sho_dm_auth(struct sho *s, const char *tre_id, struct sho_dm_auth *out)
{
	if (!s || !tre_id || !out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	struct om_stmt *st = s->stmt[SHO_SQL_DM_AUTH];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(tre_id)));
	if (rc == OM_STORE_ROW) {
		size_t n = 0;
		const void *p = om_stmt_col_blob(st, 2, &n);
		if (om_stmt_col_is_null(st, 0) || om_stmt_col_is_null(st, 1) || n != sizeof(out->nonce_a) ||
		    strlen(om_stmt_col_text(st, 1)) != OM_DM_B64_MD5_LEN) {
			rc = OM_ESHO_STATE;
		} else {
			snprintf(out->username, sizeof(out->username), "%s", om_stmt_col_text(st, 0));
			snprintf(out->digest, sizeof(out->digest), "%s", om_stmt_col_text(st, 1));
			memcpy(out->nonce_a, p, n);
			rc = 0;
		}
	} else if (rc == OM_STORE_DONE) {
		rc = OM_ESHO_NOT_FOUND;
	}
	om_stmt_reset(st);
	return rc;
}
