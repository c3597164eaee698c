/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's seeding (docs/lab.md "Seeding", issue 13): the ICF's PCIDs, the
 * PVA's Cert_TREs and references and the DRFs' registers are entered once
 * their daemons run on empty stores, through the daemons' own admin
 * interfaces, as an operator does (`hss-admin import`, `pva-admin import`,
 * `drf-admin operator add` and `device add`): the lab process opens no
 * store (tests/boundary_test.c). The files imported are the factory's, read
 * by the daemon that imports them.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/pki.h>

#include "admin_call.h"
#include "factory.h"
#include "lab_proc.h"
#include "reason.h"

/* One command and its verdict: 0, or OM_ELAB_SETUP with the daemon's reason (or the transport's) in why. */
static int verdict(const char *sock, int rc, const struct om_admin_result *res, const char *what, char *why,
		   size_t why_len)
{
	if (rc < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s: %s", sock, what, om_strerror(rc));
	if (res->code < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s: %s %s", sock, what, res->name, res->reason);
	return 0;
}

int lab_seed_call(const char *sock, const char *line, int timeout_ms, char *why, size_t why_len)
{
	struct om_admin_result res;
	int rc = om_admin_call(sock, line, timeout_ms, NULL, NULL, &res);
	return verdict(sock, rc, &res, line, why, why_len);
}

int lab_seed_icf(const char *sock, const char *pcid_file, char *why, size_t why_len)
{
	char line[OM_ADMIN_LINE_MAX + 1];
	if ((size_t)snprintf(line, sizeof(line), "import %s apn=" OM_FACTORY_DEFAULT_APN " roaming=any\n", pcid_file) >=
	    sizeof(line))
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: import %s: line too long", sock, pcid_file);
	return lab_seed_call(sock, line, LAB_SEED_IMPORT_MS, why, why_len);
}

int lab_seed_pva(const char *sock, const char *run_dir, char *why, size_t why_len)
{
	char line[OM_ADMIN_LINE_MAX + 1];
	if ((size_t)snprintf(line, sizeof(line), "import %s\n", run_dir) >= sizeof(line))
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: import %s: line too long", sock, run_dir);
	return lab_seed_call(sock, line, LAB_SEED_IMPORT_MS, why, why_len);
}

int lab_seed_cert_der(const char *pem, uint8_t **der, size_t *len)
{
	X509 *c = NULL;
	int rc = om_cert_load(&c, pem);
	if (rc == 0)
		rc = om_cert_encode(c, OM_ENC_DER, der, len);
	X509_free(c);
	return rc;
}

/* One line on the kept connection c, answered within LAB_SEED_LINE_MS. */
#define LAB_SEED_LINE_MS 30000
static int seed_line(struct om_admin_conn *c, const char *sock, const char *line, const char *what, char *why,
		     size_t why_len)
{
	struct om_admin_result res;
	int rc = om_admin_send(c, line, LAB_SEED_LINE_MS);
	if (rc == 0)
		rc = om_admin_answer(c, LAB_SEED_LINE_MS, NULL, NULL, &res);
	return verdict(sock, rc, &res, what, why, why_len);
}

int lab_seed_drf(const char *sock, const struct lab_seed_operator *op, size_t n_op, const struct lab_seed_device *dev,
		 size_t n_dev, const char *owner, int64_t since, const char *progress, char *why, size_t why_len)
{
	char line[OM_ADMIN_LINE_MAX + 1];
	char enc[OM_ADMIN_LINE_MAX], sign[OM_ADMIN_LINE_MAX], what[128];
	struct om_admin_conn c;
	int rc = om_admin_connect(&c, sock, LAB_SEED_LINE_MS);
	if (rc < 0)
		return om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s", sock, om_strerror(rc));
	for (size_t i = 0; rc == 0 && i < n_op; i++) {
		snprintf(what, sizeof(what), "operator %s", op[i].id);
		if (om_admin_b64_put(enc, sizeof(enc), op[i].cert, op[i].cert_len) < 0 ||
		    (size_t)snprintf(line, sizeof(line), "operator-add %s %s\n", op[i].id, enc) >= sizeof(line))
			rc = om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s: line too long", sock, what);
		else
			rc = seed_line(&c, sock, line, what, why, why_len);
	}
	/* one device a line on the one connection; each is the DRF's own durable drf_device_arrive */
	for (size_t i = 0; rc == 0 && i < n_dev; i++) {
		snprintf(what, sizeof(what), "device %s", dev[i].tre_id);
		if (om_admin_b64_put(enc, sizeof(enc), dev[i].enc, dev[i].enc_len) < 0 ||
		    om_admin_b64_put(sign, sizeof(sign), dev[i].sign, dev[i].sign_len) < 0 ||
		    (size_t)snprintf(line, sizeof(line), "device-add %s %s %lld %s 0 %s %s\n", dev[i].tre_id, dev[i].imsi,
				     (long long)since, owner, enc, sign) >= sizeof(line))
			rc = om_reason(why, why_len, OM_ELAB_SETUP, "%s: %s: line too long", sock, what);
		else
			rc = seed_line(&c, sock, line, what, why, why_len);
		if (progress)
			lab_progress(progress, i + 1, n_dev);
	}
	om_admin_close(&c);
	return rc;
}
