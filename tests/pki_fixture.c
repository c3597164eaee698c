/* SPDX-License-Identifier: Apache-2.0 */
/* Key, CA and certificate setup for the tests (pki_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "check.h"
#include "daemon_util.h"
#include "pki_fixture.h"

int pf_issue(struct om_ca *ca, enum om_cert_profile profile, const char *dir, const char *name, const char *cn,
	     const char *dns)
{
	EVP_PKEY *k = NULL;
	X509_REQ *csr = NULL;
	X509 *c = NULL;
	char p[600];
	struct om_issue req = { .profile = profile, .cn = cn, .dns_name = dns };
	int rc = om_key_generate(&k, OM_KEY_EC_P256);
	CHECK_INT(rc, 0);
	if (rc == 0)
		CHECK_INT(rc = om_csr_create(&csr, k, cn, NULL), 0);
	if (rc == 0)
		CHECK_INT(rc = om_ca_issue(ca, csr, &req, &c), 0);
	snprintf(p, sizeof(p), "%s/%s.pem", dir, name);
	if (rc == 0)
		CHECK_INT(rc = om_cert_save(p, c), 0);
	snprintf(p, sizeof(p), "%s/%s.key", dir, name);
	if (rc == 0)
		CHECK_INT(rc = om_key_save(p, k), 0);
	X509_free(c);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	return rc;
}

int pf_issue_tls(struct om_ca *ca, const char *dir, const char *name, const char *dns)
{
	return pf_issue(ca, OM_CERT_OPERATOR_TLS, dir, name, name, dns);
}

struct om_ca *pf_make_ca(const char *dir, const char *cn, const char *file)
{
	EVP_PKEY *k = NULL;
	struct om_ca *ca = NULL;
	char p[600];
	if (om_key_generate(&k, OM_KEY_EC_P256) == 0 && om_ca_create(&ca, k, cn, 0, 0) == 0) {
		snprintf(p, sizeof(p), "%s/%s", dir, file);
		if (om_cert_save(p, om_ca_cert(ca)) < 0) {
			om_ca_free(ca);
			ca = NULL;
		}
	}
	EVP_PKEY_free(k); /* the handle holds its own reference */
	return ca;
}

void pf_sho_make(struct pf_sho *s, const char *id)
{
	char cn[80];
	X509_REQ *csr = NULL;
	struct om_issue req = { .profile = OM_CERT_SHO_SIGNING, .cn = id };
	memset(s, 0, sizeof(*s));
	snprintf(cn, sizeof(cn), "%s root", id);
	CHECK_INT(om_key_generate(&s->root_key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_key_generate(&s->key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_ca_create(&s->root, s->root_key, cn, 0, 0), 0);
	CHECK_INT(om_csr_create(&csr, s->key, id, NULL), 0);
	CHECK_INT(om_ca_issue(s->root, csr, &req, &s->cert), 0);
	CHECK_INT(om_cert_encode(s->cert, OM_ENC_DER, &s->der, &s->der_len), 0);
	X509_REQ_free(csr);
}

void pf_sho_free(struct pf_sho *s)
{
	om_pki_free(s->der, s->der_len);
	X509_free(s->cert);
	om_ca_free(s->root);
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->root_key);
}

X509 *pf_enc_cert_of_run(const char *devices_csv)
{
	size_t len = 0;
	char *csv = (char *)check_slurp(devices_csv, &len);
	X509 *c = NULL;
	CHECK(csv != NULL);
	if (!csv)
		return NULL;
	char *row = strchr(csv, '\n') + 1, *b64 = strrchr(strtok(row, "\n"), ',') + 1;
	uint8_t *der = malloc(strlen(b64));
	int n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
	while (n > 0 && b64[strlen(b64) - 1] == '=' && (b64[strlen(b64) - 1] = 0, 1))
		n--; /* EVP_DecodeBlock counts the padding */
	CHECK_INT(om_cert_decode(&c, OM_ENC_DER, der, (size_t)n), 0);
	free(der);
	free(csv);
	return c;
}

uint8_t *pf_ocsp_response(const char *dir, const char *ca_pem, const char *cert_pem, const char *signer_pem,
			  const char *signer_key, int revoked, size_t *len)
{
	char idx[600], req[600], resp[600], out[4096];
	X509 *cert = NULL;
	uint8_t *der = NULL;
	snprintf(idx, sizeof(idx), "%s/index.txt", dir);
	snprintf(req, sizeof(req), "%s/req.der", dir);
	snprintf(resp, sizeof(resp), "%s/resp.der", dir);
	CHECK_INT(om_cert_load(&cert, cert_pem), 0);
	BIGNUM *bn = cert ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	FILE *f = fopen(idx, "w");
	CHECK(hex && f);
	if (hex && f)
		fprintf(f, "%s\t491231235959Z\t%s\t%s\tunknown\t/CN=x\n", revoked ? "R" : "V",
			revoked ? "261201000000Z" : "", hex);
	if (f)
		fclose(f);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(cert);
	const char *rq[] = { "openssl", "ocsp", "-issuer", ca_pem, "-cert", cert_pem, "-no_nonce", "-reqout", req, NULL };
	const char *rs[] = { "openssl", "ocsp", "-index", idx,	  "-CA",    ca_pem, "-rsigner", signer_pem, "-rkey",
			     signer_key, "-reqin", req,	"-respout", resp, "-ndays", "1",    NULL };
	CHECK_MSG(du_run(rq, 1, out, sizeof(out)) == 0, "openssl ocsp: %s", out);
	CHECK_MSG(du_run(rs, 1, out, sizeof(out)) == 0, "openssl ocsp: %s", out);
	der = check_slurp(resp, len);
	CHECK(der != NULL);
	unlink(idx);
	unlink(req);
	unlink(resp);
	return der;
}
