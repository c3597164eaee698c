/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF staples the status of its signing certificate to the bootstrap it
 * signs (spec/000 5.2.2.3.2 step 7; docs/drf.md "Certificate status"): the
 * status file is what the operator fetched from its CA's OCSP responder
 * (here `openssl ocsp` over the CA's index). A revoked or stale file
 * refuses the handover with its own code and consumes nothing (the same
 * request is accepted once the file is good again); the bootstrap with a
 * good status is accepted by the device's TRE that requires one. A
 * signer_issuer that did not issue the signing certificate does not open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/bootstrap.h>
#include <openmcim/tre.h>

#include "check.h"
#include "drf.h"
#include "drf_testkit.h"
#include "pki_fixture.h"

static char tmp[] = "/tmp/drf_staple_test.XXXXXX";

static const char *at(const char *rel)
{
	static char p[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, rel);
	return p[i];
}

/* The status file the operator's job writes: openssl ocsp's answer by the RO's root. */
static void write_status(int revoked)
{
	char ca[512], cert[512], key[512];
	size_t len = 0;
	snprintf(ca, sizeof(ca), "%s", at("cas/ro-root.pem"));
	snprintf(cert, sizeof(cert), "%s", at("cas/ro-signing.pem"));
	snprintf(key, sizeof(key), "%s", at("cas/ro-root.key"));
	uint8_t *der = pf_ocsp_response(tmp, ca, cert, ca, key, revoked, &len);
	FILE *f = fopen(at("signer-status.der"), "wb");
	CHECK(der && f && fwrite(der, 1, len, f) == len);
	if (f)
		fclose(f);
	free(der);
}

int main(void)
{
	struct drf_tk_device dv;
	struct pf_sho b;
	struct drf *d = NULL;
	struct om_tre *tre = NULL;
	X509 *ro_root = NULL;
	char err[256], code[DRF_CODE_TEXT_LEN + 1], db[512];
	uint8_t *bs = NULL, *enc_der = NULL;
	size_t bl = 0, enc_len = 0, len = 0;
	uint32_t seq = 0;

	CHECK(mkdtemp(tmp) != NULL);
	drf_tk_device_make(&dv, tmp, 1);
	pf_sho_make(&b, "SHO-B");
	CHECK_INT(om_cert_load(&ro_root, at("cas/ro-root.pem")), 0);
	int64_t now = (int64_t)time(NULL);
	snprintf(db, sizeof(db), "%s", at("drf.db"));

	/* the issuer named must be the one that signed our certificate */
	struct drf_config cfg = { .db_path = db, .sign_key = dv.ro_key, .sign_cert = dv.ro_cert,
				  .signer_status_file = at("signer-status.der"), .signer_issuer = dv.pva_cert,
				  .signer_status_max_age_s = 3600 };
	CHECK_INT(drf_open(&d, &cfg, err, sizeof(err)), OM_EDRF_CONFIG);
	cfg.signer_status_file = at("signer-status.der");
	cfg.signer_issuer = ro_root;
	CHECK_MSG(drf_open(&d, &cfg, err, sizeof(err)) == 0, "%s", err);
	if (!d || !dv.enc_cert)
		return check_done();
	CHECK_INT(om_cert_encode(dv.enc_cert, OM_ENC_DER, &enc_der, &enc_len), 0);
	CHECK_INT(drf_device_add(d, TRE_ID, OLD_IMSI, now - 100, enc_der, enc_len, NULL, 0, "owner-1", 0), 0);
	CHECK_INT(drf_operator_add(d, "SHO-B", b.der, b.der_len, now), 0);
	CHECK_INT(drf_transfer_code_issue(d, TRE_ID, now, 0, code), 0);
	uint8_t *req = drf_tk_request(dv.enc_cert, &b, "SHO-B", "r-1", code, now, b.key, &len);

	/* no file, a revoked status, a status gone stale: refused, the code still unused */
	CHECK_INT(drf_handover(d, req, len, now, &bs, &bl, &seq), OM_EIO);
	/* a FIFO (or a link) where the file should be: refused at once, no handover stalls on it */
	CHECK_INT(mkfifo(at("signer-status.der"), 0600), 0);
	CHECK_INT(drf_handover(d, req, len, now, &bs, &bl, &seq), OM_EIO);
	CHECK(unlink(at("signer-status.der")) == 0);
	CHECK_INT(symlink(at("drf.db"), at("signer-status.der")), 0);
	CHECK_INT(drf_handover(d, req, len, now, &bs, &bl, &seq), OM_EIO);
	CHECK(unlink(at("signer-status.der")) == 0 && bs == NULL && bl == 0 && seq == 0);
	write_status(1);
	CHECK_INT(drf_handover(d, req, len, now, &bs, &bl, &seq), OM_EPKI_STATUS_REVOKED);
	CHECK(bs == NULL && bl == 0 && seq == 0);
	write_status(0);
	size_t len2 = 0; /* a request made two hours on, when the status file is two hours old */
	uint8_t *late = drf_tk_request(dv.enc_cert, &b, "SHO-B", "r-2", code, now + 7190, b.key, &len2);
	CHECK_INT(drf_handover(d, late, len2, now + 7200, &bs, &bl, &seq), OM_EPKI_STATUS_STALE);
	CHECK(bs == NULL && bl == 0 && seq == 0);
	free(late);
	/* good: the same request is accepted, its bootstrap carries the status */
	CHECK_INT(drf_handover(d, req, len, now, &bs, &bl, &seq), 0);
	CHECK(bs && check_has_bytes(bs, bl, "name=\"SIGNER-STATUS\"", 20) && check_has_bytes(bs, bl, "name=\"SIGNER-ISSUER\"", 20));

	/* the device requires a fresh status of its trust root's certificate, and gets it */
	CHECK_INT(om_tre_open(&tre, at("run/devices/" TRE_ID), 0), 0);
	CHECK_INT(om_tre_require_signer_status(tre, 3600), 0);
	CHECK_INT(om_tre_bootstrap(tre, bs, bl, (time_t)now), 0);
	struct om_tre_status ts;
	CHECK_INT(om_tre_status(tre, &ts), 0);
	CHECK(!strcmp(ts.trust_root_cn, "SHO-B"));

	om_tre_close(tre);
	free(bs);
	free(req);
	om_pki_free(enc_der, enc_len);
	drf_close(d);
	X509_free(ro_root);
	pf_sho_free(&b);
	drf_tk_device_free(&dv);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK(system(cmd) == 0);
	return check_done();
}
