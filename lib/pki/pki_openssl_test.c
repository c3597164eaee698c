/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cross-checks with the independent `openssl` command: it accepts our
 * chains, CSRs, keys and signatures and shows the extensions we meant; we
 * accept its keys and signatures, and refuse its PKCS#1 v1.5 signatures
 * where PSS is required. Each check has a negative control, so a broken
 * `openssl` invocation cannot pass silently.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pki_testkit.h"

static char dir[256];

static const char *at(const char *name)
{
	static char paths[8][320];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* Run a shell command in dir; its stdout and stderr go to dir/out. Returns the exit status. */
__attribute__((format(printf, 1, 2))) static int run(const char *fmt, ...)
{
	char cmd[2048];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(cmd);
	snprintf(cmd + len, sizeof(cmd) - len, " >out 2>&1");
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *output(void)
{
	char *s = (char *)check_slurp(at("out"), NULL);
	CHECK(s != NULL);
	return s ? s : calloc(1, 1);
}

static int output_has(const char *needle)
{
	char *s = output();
	int yes = strstr(s, needle) != NULL;
	if (!yes)
		fprintf(stderr, "openssl output lacks \"%s\":\n%s\n", needle, s);
	free(s);
	return yes;
}

static void write_bytes(const char *name, const uint8_t *b, size_t len)
{
	FILE *f = fopen(at(name), "wb");
	CHECK(f && fwrite(b, 1, len, f) == len);
	if (f)
		fclose(f);
}

static void write_public(const char *name, EVP_PKEY *k)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	CHECK_INT(om_key_encode_public(k, OM_ENC_PEM, &pem, &len), 0);
	write_bytes(name, pem, len);
	om_pki_free(pem, len);
}

static void write_csr(const char *name, X509_REQ *csr)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	CHECK_INT(om_csr_encode(csr, OM_ENC_PEM, &pem, &len), 0);
	write_bytes(name, pem, len);
	om_pki_free(pem, len);
}

static void openssl_accepts_our_chains_and_shows_our_profiles(void)
{
	EVP_PKEY *pk = pt_key(OM_KEY_EC_P256), *sk = pt_key(OM_KEY_RSA_2048);
	EVP_PKEY *ts = pt_key(OM_KEY_EC_P256), *te = pt_key(OM_KEY_X25519), *ok = pt_key(OM_KEY_EC_P256);
	struct om_ca *pva = NULL, *sho = NULL;
	X509_REQ *csr = NULL;
	X509 *sc = NULL, *ec = NULL;

	CHECK_INT(om_ca_create(&pva, pk, "PVA", 0, 0), 0);
	CHECK_INT(om_ca_create(&sho, sk, "SHO-1", 0, 0), 0);
	CHECK_INT(om_ca_set_ocsp_url(pva, "http://ocsp.pva.example/"), 0);
	CHECK_INT(om_csr_create(&csr, ts, "TRE-1", te), 0);
	write_csr("tre.csr", csr);
	CHECK_INT(pt_issue_tre(pva, csr, "TRE-1", 0, 0, &sc, &ec), 0);
	X509 *ss = pt_issue(sho, ok, OM_CERT_SHO_SIGNING, "SHO-1", 0, 0, NULL);
	X509 *tls = pt_issue(sho, ok, OM_CERT_OPERATOR_TLS, "SHO-1", 0, 0, "dpf.sho1.example");
	X509 *ocsp = pt_issue(pva, ok, OM_CERT_OCSP_RESPONDER, "PVA OCSP", 0, 0, NULL);
	CHECK_INT(om_cert_save(at("pva.pem"), om_ca_cert(pva)), 0);
	CHECK_INT(om_cert_save(at("sho.pem"), om_ca_cert(sho)), 0);
	CHECK_INT(om_cert_save(at("tre-sig.pem"), sc), 0);
	CHECK_INT(om_cert_save(at("tre-enc.pem"), ec), 0);
	CHECK_INT(om_cert_save(at("sho-sig.pem"), ss), 0);
	CHECK_INT(om_cert_save(at("tls.pem"), tls), 0);
	CHECK_INT(om_cert_save(at("ocsp.pem"), ocsp), 0);

	CHECK_INT(run("openssl req -verify -noout -in tre.csr"), 0);
	CHECK_INT(run("openssl verify -x509_strict -CAfile pva.pem tre-sig.pem tre-enc.pem ocsp.pem"),
		  0);
	CHECK_INT(run("openssl verify -x509_strict -CAfile sho.pem sho-sig.pem"), 0);
	CHECK_INT(run("openssl verify -x509_strict -purpose sslserver -CAfile sho.pem tls.pem"), 0);
	CHECK_INT(run("openssl verify -x509_strict -purpose sslclient -CAfile sho.pem tls.pem"), 0);
	CHECK_INT(run("openssl verify -x509_strict -purpose ocsphelper -CAfile pva.pem ocsp.pem"), 0);
	CHECK_INT(run("openssl verify -x509_strict -check_ss_sig -CAfile sho.pem sho.pem"), 0);
	/* negative controls: the wrong root, and a TRE certificate as a TLS server */
	CHECK(run("openssl verify -x509_strict -CAfile sho.pem tre-sig.pem") != 0);
	CHECK(run("openssl verify -x509_strict -purpose sslserver -CAfile pva.pem tre-sig.pem") != 0);

	const char *ext = "-ext basicConstraints,keyUsage,extendedKeyUsage";
	CHECK_INT(run("openssl x509 -noout %s -in pva.pem", ext), 0);
	CHECK(output_has("critical\n    CA:TRUE") && output_has("critical\n    Certificate Sign, CRL Sign"));
	CHECK_INT(run("openssl x509 -noout %s -in tre-sig.pem", ext), 0);
	CHECK(output_has("critical\n    CA:FALSE") && output_has("critical\n    Digital Signature\n"));
	CHECK(output_has(OM_OID_TRE_SIGNING "\n"));
	CHECK_INT(run("openssl x509 -noout %s -in tre-enc.pem", ext), 0);
	CHECK(output_has("critical\n    Key Agreement\n") && output_has(OM_OID_TRE_ENCRYPTION "\n"));
	CHECK_INT(run("openssl x509 -noout %s -in sho-sig.pem", ext), 0);
	CHECK(output_has("Digital Signature\n") && output_has(OM_OID_SHO_SIGNING "\n"));
	CHECK_INT(run("openssl x509 -noout %s,subjectAltName -in tls.pem", ext), 0);
	CHECK(output_has("TLS Web Server Authentication, TLS Web Client Authentication") &&
	      output_has("DNS:dpf.sho1.example"));
	CHECK_INT(run("openssl x509 -noout %s,noCheck -in ocsp.pem", ext), 0);
	CHECK(output_has("OCSP Signing") && output_has("OCSP No Check"));
	CHECK_INT(run("openssl x509 -noout -ext authorityInfoAccess -subject -in tre-sig.pem"), 0);
	CHECK(output_has("OCSP - URI:http://ocsp.pva.example/") && output_has("subject=CN = TRE-1"));
	CHECK_INT(run("openssl x509 -noout -text -in sho-sig.pem"), 0);
	CHECK(output_has("Signature Algorithm: rsassaPss") && output_has("Salt Length: 0x20") &&
	      output_has("Mask Algorithm: mgf1 with sha256"));
	CHECK_INT(run("openssl x509 -noout -text -in tre-sig.pem"), 0);
	CHECK(output_has("Signature Algorithm: ecdsa-with-SHA256") && output_has("NIST CURVE: P-256"));

	X509_free(sc);
	X509_free(ec);
	X509_free(ss);
	X509_free(tls);
	X509_free(ocsp);
	X509_REQ_free(csr);
	om_ca_free(pva);
	om_ca_free(sho);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ts);
	EVP_PKEY_free(te);
	EVP_PKEY_free(ok);
}

/* openssl x509 -req, configured with our TRE_SIGNING profile, as a second CA. */
static void we_accept_a_tre_certificate_issued_by_openssl(void)
{
	EVP_PKEY *pk = pt_key(OM_KEY_EC_P256), *ts = pt_key(OM_KEY_EC_P256);
	struct om_ca *pva = NULL;
	X509_REQ *csr = NULL;
	X509 *peer = NULL;
	X509_STORE *store = NULL;

	CHECK_INT(om_ca_create(&pva, pk, "PVA", 0, 0), 0);
	CHECK_INT(om_key_save(at("pva.key"), pk), 0);
	CHECK_INT(om_cert_save(at("pva.pem"), om_ca_cert(pva)), 0);
	CHECK_INT(om_csr_create(&csr, ts, "TRE-2", NULL), 0);
	write_csr("tre2.csr", csr);
	const char *cnf = "[tre]\nbasicConstraints=critical,CA:FALSE\n"
			  "keyUsage=critical,digitalSignature\n"
			  "extendedKeyUsage=" OM_OID_TRE_SIGNING "\n"
			  "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n";
	write_bytes("tre.cnf", (const uint8_t *)cnf, strlen(cnf));
	CHECK_INT(run("openssl x509 -req -in tre2.csr -CA pva.pem -CAkey pva.key -sha256 "
		      "-days 365 -set_serial 0x1234 -extfile tre.cnf -extensions tre -out peer.pem"),
		  0);
	CHECK_INT(om_cert_load(&peer, at("peer.pem")), 0);
	X509 *roots[1] = { om_ca_cert(pva) };
	CHECK_INT(om_trust_new(&store, roots, 1), 0);
	CHECK_INT(om_cert_verify(peer, store, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW), 0);
	CHECK_INT(om_cert_verify(peer, store, NULL, 0, OM_CERT_TRE_ENCRYPTION, OM_PKI_NOW),
		  OM_EPKI_PURPOSE);
	unlink(at("pva.key"));
	X509_STORE_free(store);
	X509_free(peer);
	X509_REQ_free(csr);
	om_ca_free(pva);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(ts);
}

static void openssl_verifies_our_signatures(void)
{
	const uint8_t msg[] = "{PuK_TRE(MCIM), nonceB}";
	const char *pss = "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
			  "-sigopt rsa_mgf1_md:sha256";
	write_bytes("msg", msg, sizeof(msg));
	write_bytes("other", msg, sizeof(msg) - 1);
	for (int rsa = 0; rsa < 2; rsa++) {
		EVP_PKEY *k = pt_key(rsa ? OM_KEY_RSA_2048 : OM_KEY_EC_P256);
		uint8_t sig[OM_SIG_MAX_LEN];
		int n = om_sign(k, msg, sizeof(msg), sig);
		CHECK(n > 0);
		write_bytes("sig", sig, n > 0 ? (size_t)n : 0);
		write_public("pub.pem", k);
		const char *opts = rsa ? pss : "";
		CHECK_INT(run("openssl dgst -sha256 %s -verify pub.pem -signature sig msg", opts), 0);
		CHECK(output_has("Verified OK"));
		CHECK_INT(run("openssl dgst -sha256 %s -verify pub.pem -signature sig other", opts), 1);
		EVP_PKEY_free(k);
	}
}

static void we_verify_openssl_signatures_and_refuse_its_pkcs1_v15(void)
{
	const uint8_t msg[] = "{TRE info, nonceA, nonceB}";
	write_bytes("msg", msg, sizeof(msg));
	struct {
		const char *genpkey, *sigopts;
		int want;
	} cases[] = {
		{ "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "", 0 },
		{ "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
		  "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256",
		  0 },
		{ "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "", OM_EPKI_SIGNATURE },
		{ "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
		  "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20", OM_EPKI_SIGNATURE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *k = NULL;
		CHECK_INT(run("openssl genpkey %s -out k.pem", cases[i].genpkey), 0);
		/* our decoder reads what openssl genpkey writes */
		CHECK_INT(om_key_load(&k, at("k.pem")), 0);
		CHECK_INT(run("openssl dgst -sha256 -sign k.pem %s -out sig msg", cases[i].sigopts), 0);
		size_t len = 0;
		uint8_t *sig = check_slurp(at("sig"), &len);
		CHECK(sig && k);
		if (sig && k)
			CHECK_MSG(om_verify(k, msg, sizeof(msg), sig, len) == cases[i].want, "case %zu",
				  i);
		free(sig);
		EVP_PKEY_free(k);
		unlink(at("k.pem"));
	}
	/* an X25519 key from openssl, and openssl reading ours */
	EVP_PKEY *x = NULL;
	CHECK_INT(run("openssl genpkey -algorithm X25519 -out x.pem"), 0);
	CHECK_INT(om_key_load(&x, at("x.pem")), 0);
	CHECK_INT(om_key_type_of(x), OM_KEY_X25519);
	CHECK_INT(om_key_save(at("ours.pem"), x), 0);
	CHECK_INT(run("openssl pkey -in ours.pem -noout -text"), 0);
	CHECK(output_has("X25519 Private-Key"));
	EVP_PKEY_free(x);
	unlink(at("x.pem"));
	unlink(at("ours.pem"));
}

static void remove_dir(void)
{
	const char *names[] = { "out",	   "tre.csr", "tre2.csr", "tre.cnf", "pva.pem",
				"sho.pem", "tre-sig.pem", "tre-enc.pem", "sho-sig.pem", "tls.pem",
				"ocsp.pem", "peer.pem", "msg",	 "other",   "sig",
				"pub.pem" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(at(names[i]));
	CHECK_MSG(rmdir(dir) == 0, "%s is not empty", dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/om-pki-openssl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (run("openssl version") != 0) {
		fprintf(stderr, "the openssl command is needed (Debian package openssl)\n");
		remove_dir();
		return 1;
	}
	openssl_accepts_our_chains_and_shows_our_profiles();
	we_accept_a_tre_certificate_issued_by_openssl();
	openssl_verifies_our_signatures();
	we_verify_openssl_signatures_and_refuse_its_pkcs1_v15();
	remove_dir();
	return check_done();
}
