/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CAs a lab needs before a production run: the PVA's root (Cert_PVA,
 * B.2.2.1) and the RO's root with the RO's SHO_SIGNING certificate, the
 * Cert_SHO[0] every TRE pins. A real PVA and RO bring their own.
 */
#include <stdio.h>
#include <string.h>

#include "factory_impl.h"

static int save_pair(const char *dir, const char *base, EVP_PKEY *key, X509 *cert)
{
	char name[64], path[4096];
	int rc;
	snprintf(name, sizeof(name), "%s.key", base);
	if ((rc = factory_path(path, sizeof(path), dir, name)) < 0 || (rc = om_key_save(path, key)) < 0)
		return rc;
	snprintf(name, sizeof(name), "%s.pem", base);
	if ((rc = factory_path(path, sizeof(path), dir, name)) < 0)
		return rc;
	return om_cert_save(path, cert);
}

/* The RO's SHO_SIGNING certificate under its root, CN = ro_id. */
static int issue_sho(const struct om_ca *root, EVP_PKEY *key, const char *ro_id, X509 **out)
{
	X509_REQ *csr = NULL;
	struct om_issue want = { .profile = OM_CERT_SHO_SIGNING, .cn = ro_id };
	int rc = om_csr_create(&csr, key, ro_id, NULL);
	if (rc == 0)
		rc = om_ca_issue(root, csr, &want, out);
	X509_REQ_free(csr);
	return rc;
}

int om_factory_init_cas(const char *out_dir, const char *pva_name, const char *ro_id)
{
	EVP_PKEY *pva_key = NULL, *root_key = NULL, *sho_key = NULL;
	struct om_ca *pva = NULL, *root = NULL;
	X509 *sho = NULL;
	char tmp[4096] = "", root_cn[OM_NAME_MAX_LEN + 1];
	int rc;

	if (!out_dir || !pva_name || !ro_id)
		return OM_EINVAL;
	if ((rc = factory_check_name(pva_name, OM_NAME_MAX_LEN, 1)) < 0 ||
	    (rc = factory_check_name(ro_id, OM_NAME_MAX_LEN - 5, 1)) < 0)
		return rc;
	snprintf(root_cn, sizeof(root_cn), "%s root", ro_id);
	if ((rc = factory_outdir_begin(out_dir, tmp, sizeof(tmp))) < 0) {
		tmp[0] = 0;
		goto out;
	}
	if ((rc = om_key_generate(&pva_key, OM_KEY_EC_P256)) < 0 ||
	    (rc = om_ca_create(&pva, pva_key, pva_name, 0, 0)) < 0 ||
	    (rc = om_key_generate(&root_key, OM_KEY_EC_P256)) < 0 ||
	    (rc = om_ca_create(&root, root_key, root_cn, 0, 0)) < 0 ||
	    (rc = om_key_generate(&sho_key, OM_KEY_EC_P256)) < 0 ||
	    (rc = issue_sho(root, sho_key, ro_id, &sho)) < 0)
		goto out;
	if ((rc = save_pair(tmp, "pva-ca", pva_key, om_ca_cert(pva))) < 0 ||
	    (rc = save_pair(tmp, "ro-root", root_key, om_ca_cert(root))) < 0 ||
	    (rc = save_pair(tmp, "ro-signing", sho_key, sho)) < 0 ||
	    (rc = factory_outdir_commit(tmp, out_dir)) < 0)
		goto out;
	tmp[0] = 0;
out:
	if (tmp[0])
		factory_outdir_abort(tmp);
	X509_free(sho);
	om_ca_free(pva);
	om_ca_free(root);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(sho_key);
	return rc;
}
