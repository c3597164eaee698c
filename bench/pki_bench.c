/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How many TRE certificates one core issues from an EC P-256 CA, as the
 * factory does at manufacture (B.2.2.1): a TRE's CSR arrives as DER, is
 * checked, and its TRE_SIGNING and TRE_ENCRYPTION certificates leave as
 * DER. The named peer is `openssl x509 -req` with the same profile, one
 * process per certificate, which is how a shell-scripted factory would
 * issue. OM_BENCH_SECONDS (default 2) sets how long each loop runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#define N_CSR 64
#define PEER_CERTS 40

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int r)
{
	fprintf(stderr, "pki_bench: %s: %s\n", what, r < 0 ? om_strerror(r) : "failed");
	exit(1);
}

struct csr_der {
	uint8_t *der;
	size_t len;
	char tre_id[32];
};

static void make_csrs(struct csr_der *c)
{
	for (int i = 0; i < N_CSR; i++) {
		EVP_PKEY *s = NULL, *e = NULL;
		X509_REQ *req = NULL;
		int r;
		snprintf(c[i].tre_id, sizeof(c[i].tre_id), "TRE-%016d", i);
		if ((r = om_key_generate(&s, OM_KEY_EC_P256)) < 0 ||
		    (r = om_key_generate(&e, OM_KEY_X25519)) < 0 ||
		    (r = om_csr_create(&req, s, c[i].tre_id, e)) < 0 ||
		    (r = om_csr_encode(req, OM_ENC_DER, &c[i].der, &c[i].len)) < 0)
			die("making TRE CSRs", r);
		X509_REQ_free(req);
		EVP_PKEY_free(s);
		EVP_PKEY_free(e);
	}
}

/* One factory step: CSR bytes in, both certificates' bytes out. */
static void issue_pair(const struct om_ca *ca, const struct csr_der *c, size_t *bytes)
{
	X509_REQ *req = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int r;
	if ((r = om_csr_decode(&req, OM_ENC_DER, c->der, c->len)) < 0 ||
	    (r = om_ca_issue_tre(ca, req, c->tre_id, 0, 0, &a, &alen, &b, &blen)) < 0)
		die("issuing", r);
	*bytes += alen + blen;
	om_pki_free(a, alen);
	om_pki_free(b, blen);
	X509_REQ_free(req);
}

static void issue_one(const struct om_ca *ca, const struct csr_der *c, size_t *bytes)
{
	X509_REQ *req = NULL;
	X509 *s = NULL;
	uint8_t *a = NULL;
	size_t alen = 0;
	struct om_issue want = { OM_CERT_TRE_SIGNING, c->tre_id, 0, 0, NULL, NULL };
	int r;
	if ((r = om_csr_decode(&req, OM_ENC_DER, c->der, c->len)) < 0 ||
	    (r = om_ca_issue(ca, req, &want, &s)) < 0 ||
	    (r = om_cert_encode(s, OM_ENC_DER, &a, &alen)) < 0)
		die("issuing", r);
	*bytes += alen;
	om_pki_free(a, alen);
	X509_free(s);
	X509_REQ_free(req);
}

/* The floor under issuance: one ECDSA signature and one verification. */
static void ecdsa_floor(double secs)
{
	EVP_PKEY *k = NULL;
	uint8_t sig[OM_SIG_MAX_LEN], msg[300] = { 0 };
	int n = 0, r;
	long count = 0;
	if ((r = om_key_generate(&k, OM_KEY_EC_P256)) < 0)
		die("key", r);
	double t0 = now(), t;
	do {
		for (int i = 0; i < 100; i++)
			if ((n = om_sign(k, msg, sizeof(msg), sig)) < 0)
				die("sign", n);
		count += 100;
	} while ((t = now() - t0) < secs / 2);
	printf("  floor: om_sign ECDSA P-256      %8.0f /s  (%6.1f us)\n", count / t, 1e6 * t / count);
	count = 0;
	t0 = now();
	do {
		for (int i = 0; i < 100; i++)
			if ((r = om_verify(k, msg, sizeof(msg), sig, (size_t)n)) < 0)
				die("verify", r);
		count += 100;
	} while ((t = now() - t0) < secs / 2);
	printf("  floor: om_verify ECDSA P-256    %8.0f /s  (%6.1f us)\n", count / t, 1e6 * t / count);
	EVP_PKEY_free(k);
}

static int sh(const char *dir, const char *cmd)
{
	char full[1024];
	snprintf(full, sizeof(full), "cd '%s' && %s >/dev/null 2>&1", dir, cmd);
	int st = system(full);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* openssl x509 -req per certificate, TRE_SIGNING profile as in docs/pki.md. */
static double peer_seconds_per_cert(EVP_PKEY *ca_key, const struct om_ca *ca,
				    const struct csr_der *c)
{
	char dir[] = "/tmp/om-pki-bench-XXXXXX", path[128], cmd[512];
	double per = -1;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	int r = om_key_save(path, ca_key);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	if (r == 0)
		r = om_cert_save(path, om_ca_cert(ca));
	snprintf(path, sizeof(path), "%s/tre.csr", dir);
	FILE *f = fopen(path, "wb");
	if (r < 0 || !f || fwrite(c->der, 1, c->len, f) != c->len || fclose(f) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/tre.cnf", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "[tre]\nbasicConstraints=critical,CA:FALSE\n"
			     "keyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n"
			     "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
			  OM_OID_TRE_SIGNING) < 0 || fclose(f) != 0)
		goto out;
	double t0 = now();
	for (int i = 0; i < PEER_CERTS; i++) {
		snprintf(cmd, sizeof(cmd),
			 "openssl x509 -req -inform DER -in tre.csr -CA ca.pem -CAkey ca.key -sha256 "
			 "-days 7300 -set_serial 0x%x%08x -extfile tre.cnf -extensions tre -outform DER "
			 "-out tre.der", i + 1, (unsigned)rand());
		if (sh(dir, cmd) != 0)
			goto out;
	}
	per = (now() - t0) / PEER_CERTS;
out:
	sh(dir, "rm -f ca.key ca.pem tre.csr tre.cnf tre.der");
	rmdir(dir);
	return per;
}

int main(void)
{
	const char *env = getenv("OM_BENCH_SECONDS");
	double secs = env ? atof(env) : 2.0;
	struct csr_der csrs[N_CSR];
	struct om_ca *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	size_t bytes = 0;
	long pairs = 0, singles = 0;
	int r;

	if (secs <= 0)
		secs = 2.0;
	if ((r = om_key_generate(&ca_key, OM_KEY_EC_P256)) < 0 ||
	    (r = om_ca_create(&ca, ca_key, "PVA bench", 0, 0)) < 0 ||
	    (r = om_ca_set_ocsp_url(ca, "http://ocsp.pva.example/")) < 0)
		die("CA", r);
	make_csrs(csrs);
	printf("pki: TRE certificate issuance on one core, EC P-256 CA (%s)\n",
	       OpenSSL_version(OPENSSL_VERSION));

	for (int i = 0; i < N_CSR; i++) /* warm up provider caches */
		issue_pair(ca, &csrs[i], &bytes);
	double t0 = now(), t;
	do {
		for (int i = 0; i < N_CSR; i++)
			issue_pair(ca, &csrs[i], &bytes);
		pairs += N_CSR;
	} while ((t = now() - t0) < secs);
	double pair_rate = pairs / t;
	printf("  openmcim om_ca_issue_tre: CSR DER in, signing + encryption cert DER out\n");
	printf("           %8.0f TRE/s = %8.0f certs/s  (%6.1f us per TRE)\n", pair_rate,
	       2 * pair_rate, 1e6 / pair_rate);

	t0 = now();
	do {
		for (int i = 0; i < N_CSR; i++)
			issue_one(ca, &csrs[i], &bytes);
		singles += N_CSR;
	} while ((t = now() - t0) < secs);
	printf("  openmcim om_ca_issue TRE_SIGNING only\n");
	printf("           %8.0f certs/s  (%6.1f us per cert)\n", singles / t, 1e6 * t / singles);
	ecdsa_floor(secs);

	double per = peer_seconds_per_cert(ca_key, ca, &csrs[0]);
	if (per > 0) {
		printf("  peer: openssl x509 -req, one process per cert (%d certs)\n", PEER_CERTS);
		printf("           %8.0f certs/s  (%6.1f ms per cert)\n", 1 / per, 1e3 * per);
	} else {
		printf("  peer: openssl x509 -req unavailable\n");
	}
	printf("  100,000 TREs (200,000 certs): openmcim %.1f s", 100000 / pair_rate);
	if (per > 0)
		printf(", openssl x509 -req %.0f s", 200000 * per);
	printf("\n");

	for (int i = 0; i < N_CSR; i++)
		om_pki_free(csrs[i].der, csrs[i].len);
	om_ca_free(ca);
	EVP_PKEY_free(ca_key);
	return bytes ? 0 : 1;
}
