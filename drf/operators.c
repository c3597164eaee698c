/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The register's peer operators after they are added (issue 15, drf.h):
 * listed, their SHO_SIGNING certificate changed when they rotate its key,
 * and forgotten when no handover of theirs is kept.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <openmcim/hex.h>

#include "drf_int.h"
#include "log.h"

int drf_operator_page(struct drf *d, const char *after, unsigned max, drf_operator_fn fn, void *ctx)
{
	int r, n = 0;
	if (!d || !after || !fn)
		return OM_EINVAL;
	struct om_stmt *st = d->stmt[DRF_SQL_OP_PAGE];
	for (r = om_stmt_query(st, OM_BIND(OM_TEXT(after), OM_INT(max))); r == OM_STORE_ROW; r = om_stmt_step(st)) {
		struct drf_operator o;
		uint8_t md[32];
		size_t len = 0;
		const uint8_t *der = om_stmt_col_blob(st, 2, &len);
		memset(&o, 0, sizeof(o));
		snprintf(o.sho_id, sizeof(o.sho_id), "%s", om_stmt_col_text(st, 0));
		o.added = om_stmt_col_int64(st, 1);
		o.sent = om_stmt_col_int64(st, 3) != 0;
		if (EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL) == 1)
			om_hex_encode(o.cert_sha256, md, sizeof(md));
		fn(ctx, &o);
		n++;
	}
	om_stmt_reset(st);
	return r < 0 ? r : n;
}

/* In the caller's transaction: is sho_id known, and how many handovers of it are kept. */
static int sent(struct drf *d, const char *sho_id, int64_t *known, int64_t *handovers)
{
	struct om_stmt *st = d->stmt[DRF_SQL_OP_SENT];
	int r = om_stmt_query(st, OM_BIND(OM_TEXT(sho_id)));
	if (r == OM_STORE_ROW) {
		*known = om_stmt_col_int64(st, 0);
		*handovers = om_stmt_col_int64(st, 1);
		r = 0;
	} else if (r >= 0) {
		r = OM_ESTORE;
	}
	om_stmt_reset(st);
	return r;
}

int drf_operator_change(struct drf *d, const char *sho_id, const uint8_t *cert_der, size_t cert_len, int64_t now)
{
	int64_t known = 0, handovers = 0;
	int r;
	if (!d)
		return OM_EINVAL;
	if (!drf_text_ok(sho_id, OM_HANDOVER_SHO_ID_MAX, '!'))
		return OM_EDRF_VALUE;
	/* the profiles drf_operator_add takes: the operator's SHO_SIGNING certificate or its own root */
	if (drf_cert_for(cert_der, cert_len, OM_CERT_SHO_SIGNING, sho_id) < 0 &&
	    drf_cert_for(cert_der, cert_len, OM_CERT_ROOT_CA, sho_id) < 0)
		return OM_EDRF_CERT;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = sent(d, sho_id, &known, &handovers)) == 0 && !known)
		r = OM_EDRF_OPERATOR;
	if (r == 0)
		r = om_stmt_exec(d->stmt[DRF_SQL_OP_CHANGE], OM_BIND(OM_TEXT(sho_id), OM_BLOB(cert_der, cert_len), OM_INT(now)));
	if (r == 0 && (r = om_store_commit(d->db)) == 0) {
		om_info("drf-operator-change", "sho_id=%s", sho_id);
		return 0;
	}
	om_store_rollback(d->db);
	om_notice("drf-operator-refused", "sho_id=%.63s command=change code=%s", sho_id, om_errname(r));
	return r;
}

int drf_operator_delete(struct drf *d, const char *sho_id)
{
	int64_t known = 0, handovers = 0;
	int r;
	if (!d || !sho_id)
		return OM_EINVAL;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = sent(d, sho_id, &known, &handovers)) == 0)
		r = !known ? OM_EDRF_OPERATOR : handovers ? OM_EDRF_STATE : 0;
	if (r == 0)
		r = om_stmt_exec(d->stmt[DRF_SQL_OP_DELETE], OM_BIND(OM_TEXT(sho_id)));
	if (r == 0 && (r = om_store_commit(d->db)) == 0) {
		om_info("drf-operator-delete", "sho_id=%s", sho_id);
		return 0;
	}
	om_store_rollback(d->db);
	om_notice("drf-operator-refused", "sho_id=%.63s command=delete code=%s", sho_id, om_errname(r));
	return r;
}
