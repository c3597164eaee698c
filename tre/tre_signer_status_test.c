/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The status of the bootstrap signer's certificate at the TRE (spec/000
 * 5.2.2.3.2 step 7; docs/threats.md B.4): the OCSP responses are made by
 * the independent responder, `openssl ocsp` over the operator CA's index,
 * and stapled into bootstraps signed with Cert_SHO[i]'s key. A revoked,
 * stale, foreign-signed, malformed or (when required) missing status is
 * refused with its own code and leaves the TRE's directory byte-identical;
 * a good one, by the CA or its delegated responder, is accepted; and
 * `openssl ocsp -respin` reads the status out of the bootstrap as we do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

#include "daemon_util.h"
#include "pki_fixture.h"
#include "tre_fixture.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro, sho1, other;
static char dir[] = "/tmp/om-status-XXXXXX";

static char *path(const char *name)
{
	static char p[16][256]; /* one argv uses up to 8 */
	static int i;
	i = (i + 1) % 16;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* openssl with its output in out (merged); the exit status. */
static int ossl(const char *const *argv, char *out, size_t cap)
{
	return du_run(argv, 1, out, cap);
}

/* openssl ocsp's response about ro's signing certificate, signed by signer. */
static uint8_t *respond(int revoked, const char *signer, const char *signer_key, size_t *len)
{
	char ca[300], cert[300], sp[300], sk[300];
	snprintf(ca, sizeof(ca), "%s", path("root.pem"));
	snprintf(cert, sizeof(cert), "%s", path("signing.pem"));
	snprintf(sp, sizeof(sp), "%s", path(signer));
	snprintf(sk, sizeof(sk), "%s", path(signer_key));
	return pf_ocsp_response(dir, ca, cert, sp, sk, revoked, len);
}

/* openssl ocsp reads the SIGNER-STATUS of a bootstrap and says want ("good", "revoked"). */
static void openssl_reads_the_staple(const uint8_t *xml, size_t len, const char *want)
{
	char out[4096], line[64];
	const char *tag = "name=\"SIGNER-STATUS\" value=\"";
	char *doc = strndup((const char *)xml, len), *v = strstr(doc, tag), *end = v ? strchr(v + strlen(tag), '"') : NULL;
	CHECK(end != NULL);
	if (end) {
		FILE *f = fopen(path("staple.b64"), "w");
		CHECK(f != NULL);
		if (f) {
			fwrite(v + strlen(tag), 1, (size_t)(end - v - strlen(tag)), f);
			fclose(f);
		}
		const char *dec[] = { "openssl", "base64", "-d", "-A", "-in", path("staple.b64"), "-out",
				      path("staple.der"), NULL };
		CHECK_INT(ossl(dec, out, sizeof(out)), 0);
		const char *chk[] = { "openssl", "ocsp", "-respin", path("staple.der"), "-issuer", path("root.pem"),
				      "-cert", path("signing.pem"), "-CAfile", path("root.pem"), NULL };
		CHECK_INT(ossl(chk, out, sizeof(out)), 0);
		snprintf(line, sizeof(line), "signing.pem: %s", want);
		CHECK_MSG(strstr(out, line) && strstr(out, "Response verify OK"), "openssl ocsp said: %s", out);
	}
	free(doc);
}

static struct om_tre *open_tre(struct fx_tre *t, const char *tre_id)
{
	struct om_tre *tre = NULL;
	fx_tre_init(t, pva, tre_id, &ro, OM_KEY_X25519);
	if (om_tre_personalise(t->dir, &t->p, 0) || om_tre_open(&tre, t->dir, 0))
		FX_DIE("setup");
	return tre;
}

/* A bootstrap from ro for sho1 with st stapled, to the TRE t; the expected code at now; bytes unchanged on refusal. */
static uint8_t *try_bootstrap(struct om_tre *tre, struct fx_tre *t, const struct fx_staple *st, uint32_t seq,
			      time_t now, int want, size_t *len, int line)
{
	uint8_t nonce_a[16], h0[32], h1[32];
	check_random(nonce_a, 16);
	uint8_t *xml = make_bootstrap_stapled(&ro, sho1.der, sho1.der_len, t->enc_cert, seq, nonce_a, st, len);
	fx_dir_hash(t->dir, h0);
	int rc = om_tre_bootstrap(tre, xml, *len, now);
	check_record(rc == want, __FILE__, line, "om_tre_bootstrap", "got %s, want %s", om_errname(rc), om_errname(want));
	fx_dir_hash(t->dir, h1);
	if (want < 0)
		check_record(memcmp(h0, h1, 32) == 0, __FILE__, line, "TRE files unchanged", NULL);
	return xml;
}
#define TRY(tre, t, st, seq, now, want, len) try_bootstrap((tre), (t), (st), (seq), (now), (want), (len), __LINE__)

static void status_is_checked_before_anything_changes(void)
{
	struct fx_tre t;
	struct om_tre *tre = open_tre(&t, "TRE-00000201");
	time_t now = time(NULL);
	size_t len = 0, good_len = 0, rev_len = 0, foreign_len = 0, deleg_len = 0;
	uint8_t *root_der = NULL, *other_der = NULL;
	size_t root_der_len = 0, other_der_len = 0;
	CHECK_INT(om_cert_encode(om_ca_cert(ro.ca), OM_ENC_DER, &root_der, &root_der_len), 0);
	CHECK_INT(om_cert_encode(om_ca_cert(other.ca), OM_ENC_DER, &other_der, &other_der_len), 0);

	uint8_t *good = respond(0, "root.pem", "root.key", &good_len);
	uint8_t *revoked = respond(1, "root.pem", "root.key", &rev_len);
	uint8_t *foreign = respond(0, "other.pem", "other.key", &foreign_len);
	uint8_t *deleg = respond(0, "responder.pem", "responder.key", &deleg_len);
	uint8_t junk[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
	struct fx_staple st_good = { good, root_der, good_len, root_der_len },
			 st_rev = { revoked, root_der, rev_len, root_der_len },
			 st_foreign = { foreign, root_der, foreign_len, root_der_len },
			 st_wrong_issuer = { good, other_der, good_len, other_der_len },
			 st_junk = { junk, root_der, sizeof(junk), root_der_len },
			 st_deleg = { deleg, root_der, deleg_len, root_der_len };

	/* not required: a bootstrap without a status is taken, a stapled revoked one is not */
	uint8_t *xml = TRY(tre, &t, &st_rev, 1, now, OM_EPKI_STATUS_REVOKED, &len);
	openssl_reads_the_staple(xml, len, "revoked");
	free(xml);
	/* the device's rule from now on: a status at most an hour old */
	CHECK_INT(om_tre_require_signer_status(tre, 3600), 0);
	free(TRY(tre, &t, NULL, 1, now, OM_EPKI_STATUS_MISSING, &len));
	free(TRY(tre, &t, &st_rev, 1, now, OM_EPKI_STATUS_REVOKED, &len));
	free(TRY(tre, &t, &st_good, 1, now + 7200, OM_EPKI_STATUS_STALE, &len));    /* replayed two hours later */
	free(TRY(tre, &t, &st_good, 1, now + 2 * 86400, OM_EPKI_STATUS_STALE, &len)); /* past nextUpdate too */
	free(TRY(tre, &t, &st_good, 1, now - 3600, OM_EPKI_STATUS_STALE, &len));    /* from the future */
	free(TRY(tre, &t, &st_foreign, 1, now, OM_EPKI_STATUS_SIGNER, &len));
	free(TRY(tre, &t, &st_wrong_issuer, 1, now, OM_EPKI_STATUS_SIGNER, &len));
	free(TRY(tre, &t, &st_junk, 1, now, OM_EPKI_STATUS_MALFORMED, &len));
	/* good, by the CA itself, then (next bootstrap) by its delegated responder */
	xml = TRY(tre, &t, &st_good, 1, now, 0, &len);
	openssl_reads_the_staple(xml, len, "good");
	free(xml);
	CHECK_INT(om_tre_abort_session(tre), 0); /* back to Cert_SHO[0]: the RO signs the next one */
	free(TRY(tre, &t, &st_deleg, 2, now, 0, &len));

	free(good);
	free(revoked);
	free(foreign);
	free(deleg);
	om_pki_free(root_der, root_der_len);
	om_pki_free(other_der, other_der_len);
	om_tre_close(tre);
	fx_tre_free(&t);
}

int main(void)
{
	if (om_key_generate(&pva_key, OM_KEY_EC_P256) || om_ca_create(&pva, pva_key, "PVA Root", 0, 0))
		FX_DIE("pva");
	fx_sho_init(&ro, "RO-Example");
	fx_sho_init(&sho1, "SHO-One");
	fx_sho_init(&other, "SHO-Other");
	if (!mkdtemp(dir))
		FX_DIE("mkdtemp");
	/* the operator CA's files for openssl ocsp, and a delegated responder it issued */
	EVP_PKEY *rkey = NULL;
	CHECK_INT(om_key_generate(&rkey, OM_KEY_EC_P256), 0);
	X509 *responder = fx_issue(ro.ca, rkey, "RO-Example OCSP", OM_CERT_OCSP_RESPONDER, 0, 0);
	CHECK_INT(om_cert_save(path("root.pem"), om_ca_cert(ro.ca)), 0);
	CHECK_INT(om_key_save(path("root.key"), ro.ca_key), 0);
	CHECK_INT(om_cert_save(path("signing.pem"), ro.cert), 0);
	CHECK_INT(om_cert_save(path("other.pem"), om_ca_cert(other.ca)), 0);
	CHECK_INT(om_key_save(path("other.key"), other.ca_key), 0);
	CHECK_INT(om_cert_save(path("responder.pem"), responder), 0);
	CHECK_INT(om_key_save(path("responder.key"), rkey), 0);

	status_is_checked_before_anything_changes();

	const char *files[] = { "root.pem",	 "root.key",	  "signing.pem", "other.pem", "other.key",
				"responder.pem", "responder.key", "staple.b64",	 "staple.der" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(path(files[i]));
	CHECK_MSG(rmdir(dir) == 0, "temp dir left non-empty");
	X509_free(responder);
	EVP_PKEY_free(rkey);
	fx_sho_free(&ro);
	fx_sho_free(&sho1);
	fx_sho_free(&other);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	return check_done();
}
