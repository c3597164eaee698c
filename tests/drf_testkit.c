/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of drf_testkit.h (a test kit compiled once, in libomtest). */
#include "drf_testkit.h"

void drf_tk_device_make(struct drf_tk_device *dv, const char *dir, int with_ro_key)
{
	struct om_factory_config fc;
	char p[600];
	memset(dv, 0, sizeof(*dv));
	snprintf(p, sizeof(p), "%s/cas", dir);
	CHECK_INT(om_factory_init_cas(p, "PVA-1", "SHO-A"), 0);
	snprintf(p, sizeof(p), "%s/cas/pva-ca.pem", dir);
	CHECK_INT(om_cert_load(&dv->pva_cert, p), 0);
	snprintf(p, sizeof(p), "%s/cas/pva-ca.key", dir);
	CHECK_INT(om_key_load(&dv->pva_key, p), 0);
	snprintf(p, sizeof(p), "%s/cas/ro-signing.pem", dir);
	CHECK_INT(om_cert_load(&dv->ro_cert, p), 0);
	if (with_ro_key) {
		snprintf(p, sizeof(p), "%s/cas/ro-signing.key", dir);
		CHECK_INT(om_key_load(&dv->ro_key, p), 0);
	}
	CHECK_INT(om_ca_open(&dv->pva, dv->pva_cert, dv->pva_key), 0);
	memset(&fc, 0, sizeof(fc));
	fc.pva_ca = dv->pva;
	fc.ro_cert = dv->ro_cert;
	fc.mcc = "001";
	fc.mnc = "01";
	fc.msin_first = "0000000001";
	fc.n_devices = 1;
	fc.jobs = 1;
	snprintf(p, sizeof(p), "%s/run", dir);
	CHECK_INT(om_factory_run(p, &fc, NULL), 0);
	snprintf(p, sizeof(p), "%s/run/pva/devices.csv", dir);
	dv->enc_cert = pf_enc_cert_of_run(p);
}

void drf_tk_device_free(struct drf_tk_device *dv)
{
	X509_free(dv->enc_cert);
	om_ca_free(dv->pva);
	X509_free(dv->pva_cert);
	X509_free(dv->ro_cert);
	EVP_PKEY_free(dv->pva_key);
	EVP_PKEY_free(dv->ro_key);
}

uint8_t *drf_tk_request(X509 *enc_cert, const struct pf_sho *s, const char *id, const char *rid,
				      const char *code, int64_t created, EVP_PKEY *key, size_t *len)
{
	struct om_handover_req r;
	struct om_dm_creds c;
	uint8_t plain[256], sealed[1024], *out = NULL;
	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	strcpy(c.username, TRE_ID);
	strcpy(c.password, "dm-secret");
	check_random(c.nonce_a, sizeof(c.nonce_a));
	int n = om_dm_creds_encode(&c, plain, sizeof(plain));
	CHECK(n > 0);
	int sl = om_protect_seal(X509_get0_pubkey(enc_cert), OM_PROTECT_AES256CBC_HMACSHA256,
				 OM_PROTECT_TAG_DM_CREDENTIALS, plain, (size_t)n, sealed, sizeof(sealed));
	CHECK(sl > 0);
	snprintf(r.request_id, sizeof(r.request_id), "%s", rid);
	snprintf(r.tre_id, sizeof(r.tre_id), "%s", TRE_ID);
	snprintf(r.new_sho_id, sizeof(r.new_sho_id), "%s", id);
	strcpy(r.provurl, "https://dpf.sho-b.lab/dm");
	strcpy(r.server_id, "SHO-B-DPF");
	strcpy(r.apn, "prov.sho-b");
	if (om_handover_code_proof(TRE_ID, code, r.code_proof) < 0) /* a malformed code: a proof matching none */
		memset(r.code_proof, 0x5a, sizeof(r.code_proof));
	r.created = created;
	r.sho_cert = s->der;
	r.sho_cert_len = s->der_len;
	r.creds = sealed;
	r.creds_len = (size_t)sl;
	CHECK_INT(om_handover_build_signed(&r, key, &out, len), 0);
	return out;
}
