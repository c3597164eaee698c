/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PVA in process: the all-or-nothing import with the first bad line,
 * OCSP statuses (good, revoked with reason, unknown, malformedRequest, the
 * nonce echoed), and platform validation (genuine, mismatch, revoked,
 * unknown firmware, forged signature, unknown TRE).
 */
#include <sys/stat.h>

#include <openssl/ocsp.h>

#include "ocsp_client.h"
#include "pg_cluster.h"
#include "pva_admin.h"
#include "pva_store.h"
#include "pva_test_util.h"

static char dir[] = "/tmp/om_pva_test_XXXXXX";
static char imp[400];

static void ignore(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static int admin(struct pva *p, const char *cmd)
{
	char line[600], why[512] = "";
	snprintf(line, sizeof(line), "%s", cmd);
	int rc = pva_admin_exec(p, line, ignore, NULL, why, sizeof(why));
	if (rc < 0)
		printf("  (admin '%.40s': %s)\n", cmd, why);
	return rc;
}

static int import(struct pva *p, const char *devices, const char *refs, char *why, size_t wl)
{
	char path[500];
	long d, r;
	snprintf(path, sizeof(path), "%s/devices.csv", imp);
	t_write(path, devices);
	snprintf(path, sizeof(path), "%s/reference-measurements.csv", imp);
	t_write(path, refs);
	why[0] = '\0';
	return pva_import_dir(p, imp, &d, &r, why, wl);
}

static int tre_exists(struct pva *p, const char *id)
{
	struct pva_tre t;
	int rc = pva_store_get_tre(p, id, &t);
	pva_tre_clear(&t);
	return rc == 0;
}

#define HDR "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64\n"

static void import_is_all_or_nothing(struct pva *p, struct t_tre *a, struct t_tre *b, struct t_tre *rogue)
{
	char why[512], refs[2048], dev[16384];
	t_refs_csv(T_FW, refs, sizeof(refs));
	/* a certificate from another CA on line 3 */
	snprintf(dev, sizeof(dev), HDR "%s%s", a->row, rogue->row);
	CHECK_INT(import(p, dev, refs, why, sizeof(why)), OM_EPVA_CERT);
	CHECK_MSG(strstr(why, "devices.csv line 3"), "why: %s", why);
	CHECK(!tre_exists(p, "TRE-A"));
	/* a bad reference row refuses the devices too */
	snprintf(dev, sizeof(dev), HDR "%s", a->row);
	CHECK_INT(import(p, dev, "model,firmware,component,sha256\nLAB-1,2.0.0,bootloader,zz\n", why, sizeof(why)),
		  OM_EPVA_IMPORT);
	CHECK_MSG(strstr(why, "reference-measurements.csv line 2"), "why: %s", why);
	CHECK(!tre_exists(p, "TRE-A"));
	/* the same TRE twice */
	snprintf(dev, sizeof(dev), HDR "%s%s", a->row, a->row);
	CHECK_INT(import(p, dev, refs, why, sizeof(why)), OM_EPVA_EXISTS);
	CHECK_MSG(strstr(why, "line 3"), "why: %s", why);
	/* a row claiming another TRE's certificates */
	char forged[4096];
	snprintf(forged, sizeof(forged), "TRE-X%s", strchr(a->row, ','));
	snprintf(dev, sizeof(dev), HDR "%s", forged);
	CHECK_INT(import(p, dev, refs, why, sizeof(why)), OM_EPVA_CERT);
	CHECK_INT(import(p, "tre_id,model\n", refs, why, sizeof(why)), OM_EPVA_IMPORT);
	CHECK_MSG(strstr(why, "line 1"), "why: %s", why);
	CHECK_INT(import(p, HDR "TRE-Y,LAB-1,2.0.0,@@@@,AAAA\n", refs, why, sizeof(why)), OM_EPVA_IMPORT);
	CHECK(!tre_exists(p, "TRE-A") && !tre_exists(p, "TRE-Y"));
	/* then the good files, CRLF accepted */
	snprintf(dev, sizeof(dev), "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64\r\n%s%s", a->row, b->row);
	CHECK_MSG(import(p, dev, refs, why, sizeof(why)) == 0, "why: %s", why);
	CHECK(tre_exists(p, "TRE-A") && tre_exists(p, "TRE-B"));
}

/* An OCSP request for cert (issuer ca) with a nonce, through pva_ocsp_answer; the single status. */
static int ocsp_status(struct pva *p, X509 *cert, X509 *issuer, int *reason)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
	unsigned char *der = NULL;
	uint8_t *resp_der = NULL;
	size_t resp_len = 0;
	int status = -1, len;
	struct pva_ocsp_counts c;
	if (!req || !id || !OCSP_request_add0_id(req, id) || !OCSP_request_add1_nonce(req, NULL, 16))
		goto out;
	id = NULL;
	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0 || pva_ocsp_answer(p, der, (size_t)len, &resp_der, &resp_len, &c))
		goto out;
	const unsigned char *q = resp_der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &q, (long)resp_len);
	OCSP_BASICRESP *bs = resp ? OCSP_response_get1_basic(resp) : NULL;
	X509_STORE *st = NULL;
	X509 *ca = issuer;
	if (bs && OCSP_check_nonce(req, bs) == 1 && om_trust_new(&st, &ca, 1) == 0 &&
	    OCSP_basic_verify(bs, NULL, st, 0) == 1) {
		OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, 0);
		status = OCSP_single_get0_status(sr, reason, NULL, NULL, NULL);
	}
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
out:
	OCSP_CERTID_free(id);
	OPENSSL_free(der);
	OPENSSL_free(resp_der);
	OCSP_REQUEST_free(req);
	return status;
}

static void ocsp_answers(struct pva *p, struct t_tre *a, struct t_tre *never, X509 *ca)
{
	int reason = -1;
	CHECK_INT(ocsp_status(p, a->sign_cert, ca, &reason), V_OCSP_CERTSTATUS_GOOD);
	CHECK_INT(ocsp_status(p, never->sign_cert, ca, &reason), V_OCSP_CERTSTATUS_UNKNOWN);
	uint8_t *out = NULL;
	size_t n = 0;
	struct pva_ocsp_counts c;
	/* as many CertIDs as our own client puts in one request (svc/ocsp_client.h), and one more */
	for (int extra = 0; extra <= 1; extra++) {
		OCSP_REQUEST *req = OCSP_REQUEST_new();
		unsigned char *der = NULL;
		for (int i = 0; req && i < OM_OCSP_BATCH + extra; i++) {
			OCSP_CERTID *id = OCSP_cert_to_id(NULL, a->sign_cert, ca);
			CHECK(id && OCSP_request_add0_id(req, id));
		}
		int len = req ? i2d_OCSP_REQUEST(req, &der) : -1;
		CHECK(len > 0);
		memset(&c, 0, sizeof(c));
		CHECK_INT(pva_ocsp_answer(p, der, (size_t)len, &out, &n, &c), 0);
		if (!extra)
			CHECK_MSG(!c.malformed && c.good == OM_OCSP_BATCH, "malformed %d good %u", c.malformed, c.good);
		else
			CHECK(c.malformed);
		OPENSSL_free(out);
		OPENSSL_free(der);
		OCSP_REQUEST_free(req);
	}
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	CHECK_INT(pva_ocsp_answer(p, junk, sizeof(junk), &out, &n, &c), 0);
	CHECK(c.malformed);
	CHECK_HEX(out, n, "30030a0101"); /* OCSPResponse { malformedRequest } */
	OPENSSL_free(out);
}

static void validation(struct pva *p, struct t_tre *a, struct t_tre *b)
{
	uint8_t obj[OM_MOBJ_MAX];
	struct pva_verdict v;
	int n = t_m2mmobj(a, "TRE-A", T_FW, T_FW, obj, sizeof(obj));
	CHECK(n > 0);
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), 0);
	CHECK(!strcmp(v.reason, "accepted") && v.nonce_b[0] == 0x5b);
	/* a measurement of another firmware */
	n = t_m2mmobj(a, "TRE-A", T_FW, "6.6.6", obj, sizeof(obj));
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), OM_EPVA_MEASUREMENT);
	/* a firmware the PVA has no reference for, then its references added */
	n = t_m2mmobj(a, "TRE-A", "3.0.0", "3.0.0", obj, sizeof(obj));
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), OM_EPVA_FIRMWARE);
	for (int i = 0; i < T_N_COMP; i++) {
		uint8_t h[32];
		char cmd[300], hex[65];
		t_reference(T_MODEL, "3.0.0", t_components[i], h);
		for (int j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", h[j]);
		snprintf(cmd, sizeof(cmd), "add-reference " T_MODEL " 3.0.0 %s %s", t_components[i], hex);
		CHECK_INT(admin(p, cmd), 0);
	}
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), 0);
	/* signed by another TRE's key */
	n = t_m2mmobj(b, "TRE-A", T_FW, T_FW, obj, sizeof(obj));
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), OM_EOBJ_SIGNATURE);
	CHECK(!strcmp(v.reason, "signature"));
	/* unknown TRE, garbage */
	n = t_m2mmobj(a, "TRE-Z", T_FW, T_FW, obj, sizeof(obj));
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), OM_EPVA_NOT_FOUND);
	CHECK(pva_validate(p, (const uint8_t *)"nonsense", 8, &v) < 0 && !strcmp(v.reason, "malformed"));
	/* revoked */
	CHECK_INT(admin(p, "revoke TRE-A keyCompromise"), 0);
	CHECK_INT(admin(p, "revoke TRE-A"), OM_EPVA_REVOKED);
	CHECK_INT(admin(p, "revoke TRE-Q"), OM_EPVA_NOT_FOUND);
	CHECK_INT(admin(p, "revoke TRE-B noSuchReason"), OM_EPVA_COMMAND);
	CHECK_INT(admin(p, "add-reference " T_MODEL " 3.0.0 bootloader 00"), OM_EPVA_COMMAND);
	n = t_m2mmobj(a, "TRE-A", T_FW, T_FW, obj, sizeof(obj));
	CHECK_INT(pva_validate(p, obj, (size_t)n, &v), OM_EPVA_REVOKED);
}

int main(void)
{
	char err[512] = "", path[3][400], db[400];
	struct t_tre a, b, rogue, never;
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(imp, sizeof(imp), "%s/import", dir);
	CHECK_INT(mkdir(imp, 0700), 0);
	struct om_ca *ca = t_pva_ca(dir);
	char rdir[420];
	snprintf(rdir, sizeof(rdir), "%s/rogue", dir);
	CHECK_INT(mkdir(rdir, 0700), 0);
	struct om_ca *rca = t_pva_ca(rdir);
	CHECK(ca && rca);
	if (!ca || !rca)
		return check_done();
	CHECK_INT(t_make_tre(ca, "TRE-A", T_MODEL, T_FW, &a), 0);
	CHECK_INT(t_make_tre(ca, "TRE-B", T_MODEL, T_FW, &b), 0);
	CHECK_INT(t_make_tre(rca, "TRE-R", T_MODEL, T_FW, &rogue), 0);
	CHECK_INT(t_make_tre(ca, "TRE-N", T_MODEL, T_FW, &never), 0);
	/* SQLite, or a fresh PostgreSQL database with OM_TEST_STORE=pg (pva_test_pg) */
	CHECK_INT(t_store_conf(dir, "pva.db", db, sizeof(db)), 0);
	snprintf(path[0], sizeof(path[0]), "%s/ca.pem", dir);
	snprintf(path[1], sizeof(path[1]), "%s/responder.pem", dir);
	snprintf(path[2], sizeof(path[2]), "%s/responder.key", dir);
	struct pva_config cfg = { .db_path = db, .ca_cert = path[0], .responder_cert = path[1], .responder_key = path[2] };
	struct pva *p = pva_open(&cfg, err, sizeof(err));
	CHECK_MSG(p != NULL, "%s", err);
	/* a responder certificate from another CA is refused at start */
	char bad[420];
	snprintf(bad, sizeof(bad), "%s/rogue/responder.pem", dir);
	cfg.responder_cert = bad;
	CHECK(pva_open(&cfg, err, sizeof(err)) == NULL && strstr(err, "OCSP_RESPONDER"));
	if (p) {
		import_is_all_or_nothing(p, &a, &b, &rogue);
		ocsp_answers(p, &a, &never, om_ca_cert(ca));
		validation(p, &a, &b);
		int reason = -1;
		CHECK_INT(ocsp_status(p, a.sign_cert, om_ca_cert(ca), &reason), V_OCSP_CERTSTATUS_REVOKED);
		CHECK_INT(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
		CHECK_INT(ocsp_status(p, b.sign_cert, om_ca_cert(ca), &reason), V_OCSP_CERTSTATUS_GOOD);
	}
	pva_close(p);
	t_tre_free(&a);
	t_tre_free(&b);
	t_tre_free(&rogue);
	t_tre_free(&never);
	om_ca_free(ca);
	om_ca_free(rca);
	char cmd[500];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
