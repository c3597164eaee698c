/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of pva_test_util.h (a test kit compiled once, in libomtest). */
#include "pva_test_util.h"

void t_reference(const char *model, const char *fw, const char *comp, uint8_t out[32])
{
	char s[256];
	snprintf(s, sizeof(s), "%s/%s/%s", model, fw, comp);
	SHA256((const unsigned char *)s, strlen(s), out);
}

void t_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int t_make_tre(const struct om_ca *ca, const char *tre_id, const char *model, const char *fw,
			     struct t_tre *t)
{
	EVP_PKEY *enc = NULL;
	X509_REQ *csr = NULL;
	uint8_t *sd = NULL, *ed = NULL;
	size_t sl = 0, el = 0;
	char *sb = NULL, *eb = NULL;
	memset(t, 0, sizeof(*t));
	int rc = om_key_generate(&t->sign, OM_KEY_EC_P256);
	if (rc == 0)
		rc = om_key_generate(&enc, OM_KEY_X25519);
	if (rc == 0)
		rc = om_csr_create(&csr, t->sign, tre_id, enc);
	if (rc == 0)
		rc = om_ca_issue_tre(ca, csr, tre_id, 0, 0, &sd, &sl, &ed, &el);
	if (rc == 0)
		rc = om_cert_decode(&t->sign_cert, OM_ENC_DER, sd, sl);
	if (rc == 0 && (!(sb = malloc(sl * 2 + 8)) || !(eb = malloc(el * 2 + 8))))
		rc = OM_ENOMEM;
	if (rc == 0) {
		EVP_EncodeBlock((unsigned char *)sb, sd, (int)sl);
		EVP_EncodeBlock((unsigned char *)eb, ed, (int)el);
		snprintf(t->row, sizeof(t->row), "%s,%s,%s,%s,%s\n", tre_id, model, fw, sb, eb);
	}
	free(sb);
	free(eb);
	om_pki_free(sd, sl);
	om_pki_free(ed, el);
	X509_REQ_free(csr);
	EVP_PKEY_free(enc);
	return rc;
}

void t_tre_free(struct t_tre *t)
{
	EVP_PKEY_free(t->sign);
	X509_free(t->sign_cert);
	memset(t, 0, sizeof(*t));
}

void t_refs_csv(const char *fw, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "model,firmware,component,sha256\n");
	for (int i = 0; i < T_N_COMP && o < cap; i++) {
		uint8_t h[32];
		char hex[65];
		t_reference(T_MODEL, fw, t_components[i], h);
		for (int j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", h[j]);
		o += (size_t)snprintf(out + o, cap - o, "%s,%s,%s,%s\n", T_MODEL, fw, t_components[i], hex);
	}
}

int t_m2mmobj(const struct t_tre *t, const char *tre_id, const char *fw, const char *meas_fw,
			    uint8_t *out, size_t cap)
{
	struct om_tre_info info;
	uint8_t na[OM_NONCE_LEN], nb[OM_NONCE_LEN];
	memset(&info, 0, sizeof(info));
	memset(na, 0xa5, sizeof(na));
	memset(nb, 0x5b, sizeof(nb));
	snprintf(info.tre_id, sizeof(info.tre_id), "%s", tre_id);
	snprintf(info.tre_type, sizeof(info.tre_type), "%s", T_MODEL);
	snprintf(info.firmware_version, sizeof(info.firmware_version), "%s", fw);
	info.n_measurements = T_N_COMP;
	for (int i = 0; i < T_N_COMP; i++) {
		snprintf(info.m[i].name, sizeof(info.m[i].name), "%s", t_components[i]);
		t_reference(T_MODEL, meas_fw, t_components[i], info.m[i].sha256);
	}
	return om_m2mmobj_build(&info, na, nb, t->sign, out, cap);
}

struct om_ca *t_pva_ca(const char *dir)
{
	EVP_PKEY *k = NULL, *rk = NULL;
	X509_REQ *csr = NULL;
	X509 *rc_cert = NULL;
	struct om_ca *ca = NULL;
	char path[512];
	struct om_issue req = { .profile = OM_CERT_OCSP_RESPONDER, .cn = "PVA OCSP" };
	int ok = om_key_generate(&k, OM_KEY_EC_P256) == 0 && om_ca_create(&ca, k, "Lab PVA", 0, 0) == 0 &&
		 om_key_generate(&rk, OM_KEY_EC_P256) == 0 && om_csr_create(&csr, rk, "PVA OCSP", NULL) == 0 &&
		 om_ca_issue(ca, csr, &req, &rc_cert) == 0;
	if (ok) {
		snprintf(path, sizeof(path), "%s/ca.pem", dir);
		ok = om_cert_save(path, om_ca_cert(ca)) == 0;
		snprintf(path, sizeof(path), "%s/responder.pem", dir);
		ok = ok && om_cert_save(path, rc_cert) == 0;
		snprintf(path, sizeof(path), "%s/responder.key", dir);
		ok = ok && om_key_save(path, rk) == 0;
		snprintf(path, sizeof(path), "%s/ca.key", dir);
		ok = ok && om_key_save(path, k) == 0;
	}
	if (!ok) {
		om_ca_free(ca);
		ca = NULL;
	}
	X509_free(rc_cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(k);
	return ca;
}
