/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What our public-key functions cost over the primitive they wrap (issue 14).
 * Each of om_sign, om_verify, the M2MMCIMMobj's signature and check, a
 * TRE_SIGNING certificate's chain check against its CA, a certificate's
 * decoding (new to the process, and its key alone), a key's decoding, and the
 * sealing and opening of an MCIM object to an X25519 key is timed next to the
 * raw OpenSSL operation under it, in the same run: ECDSA P-256 over a SHA-256
 * digest with an EVP_PKEY_CTX made once and reused, X25519 with a derive
 * context made once (the least OpenSSL 3.0 can do per operation). The ratio
 * is ours over raw; what is above 1 is the wrapper's and OpenSSL's per-call
 * overhead (fetches, contexts, decoders), not cryptography.
 *
 *   build/crypto_bench [min_ms]    each figure the best of 3 rounds of min_ms (default 200) of CPU
 *   OM_BENCH_ONLY=bootstrap build/crypto_bench    only the calls whose name has that substring
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <openmcim/bootstrap.h>
#include <openmcim/claim.h>
#include <openmcim/mobj.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>

#define N_CERTS 160 /* more than the certificate cache's 64 slots: each decoding is a miss */

static void die(const char *what, int r)
{
	fprintf(stderr, "crypto_bench: %s: %s\n", what, r < 0 ? om_strerror(r) : "failed");
	exit(1);
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct fx {
	EVP_PKEY *sign_key, *sign_pub, *x_key, *x_pub;
	EVP_PKEY_CTX *raw_sign, *raw_verify, *raw_derive;
	uint8_t msg[512], sig[OM_SIG_MAX_LEN], dgst[32];
	size_t sig_len;
	struct om_ca *ca;
	X509_STORE *trust;
	X509 *leaf;
	uint8_t *der[N_CERTS];
	size_t der_len[N_CERTS];
	unsigned next;
	uint8_t *pub_der, *priv_der;
	size_t pub_len, priv_len;
	uint8_t mcim[300], sealed[1024], mobj[2048], nonce[OM_NONCE_LEN], out[1024];
	int sealed_len, mobj_len;
	X509 *sho_cert; /* the signer's certificate, issued by the CA as SHO_SIGNING */
	struct om_bootstrap boot;
	uint8_t *boot_xml, *sho_der;
	size_t boot_len, sho_der_len;
	uint8_t claim_key[OM_CLAIM_KEY_LEN], claim[OM_CLAIM_LEN], verifier[OM_CLAIM_LEN];
};

typedef int (*op_fn)(struct fx *);

static int raw_sign(struct fx *x)
{
	size_t n = sizeof(x->sig);
	uint8_t s[OM_SIG_MAX_LEN];
	return SHA256(x->msg, sizeof(x->msg), x->dgst) && EVP_PKEY_sign(x->raw_sign, s, &n, x->dgst, 32) == 1 ? 0 : -1;
}

static int raw_verify(struct fx *x)
{
	return SHA256(x->msg, sizeof(x->msg), x->dgst) &&
			       EVP_PKEY_verify(x->raw_verify, x->sig, x->sig_len, x->dgst, 32) == 1
		       ? 0
		       : -1;
}

static int raw_x25519(struct fx *x)
{
	uint8_t z[32];
	size_t zl = sizeof(z);
	return EVP_PKEY_derive(x->raw_derive, z, &zl) == 1 ? 0 : -1;
}

static int our_sign(struct fx *x)
{
	uint8_t s[OM_SIG_MAX_LEN];
	return om_sign(x->sign_key, x->msg, sizeof(x->msg), s) > 0 ? 0 : -1;
}

static int our_verify(struct fx *x)
{
	return om_verify(x->sign_pub, x->msg, sizeof(x->msg), x->sig, x->sig_len);
}

static int mcimmobj_build(struct fx *x)
{
	uint8_t o[2048];
	return om_m2mmcimmobj_build(x->sealed, (size_t)x->sealed_len, x->nonce, x->sign_key, o, sizeof(o)) > 0 ? 0 : -1;
}

static int mcimmobj_verify(struct fx *x)
{
	const uint8_t *m;
	size_t ml;
	uint8_t nb[OM_NONCE_LEN];
	return om_m2mmcimmobj_verify(x->mobj, (size_t)x->mobj_len, x->sign_pub, &m, &ml, nb);
}

static int cert_verify(struct fx *x)
{
	return om_cert_verify(x->leaf, x->trust, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW);
}

static int cert_decode(struct fx *x)
{
	X509 *c = NULL;
	unsigned i = x->next++ % N_CERTS;
	int r = om_cert_decode(&c, OM_ENC_DER, x->der[i], x->der_len[i]);
	X509_free(c);
	return r;
}

static int cert_decode_verify(struct fx *x)
{
	X509 *c = NULL;
	unsigned i = x->next++ % N_CERTS;
	int r = om_cert_decode(&c, OM_ENC_DER, x->der[i], x->der_len[i]);
	if (r == 0)
		r = om_cert_verify(c, x->trust, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW);
	X509_free(c);
	return r;
}

static int cert_pubkey(struct fx *x)
{
	EVP_PKEY *k = NULL;
	unsigned i = x->next++ % N_CERTS;
	int r = om_cert_pubkey_decode(&k, x->der[i], x->der_len[i]);
	EVP_PKEY_free(k);
	return r;
}

/* as the DPF and the DRFs check a device's objects: the key taken from its certificate, then the signature */
static int fresh_key_verify(struct fx *x)
{
	EVP_PKEY *k = NULL;
	int r = om_cert_pubkey_decode(&k, x->sho_der, x->sho_der_len);
	if (r == 0)
		r = om_verify(k, x->msg, sizeof(x->msg), x->sig, x->sig_len);
	EVP_PKEY_free(k);
	return r;
}

static int key_type(struct fx *x)
{
	return om_key_type_of(x->sign_pub) == OM_KEY_EC_P256 ? 0 : -1;
}

static int cert_profile(struct fx *x)
{
	return om_cert_check_profile(x->leaf, OM_CERT_TRE_SIGNING);
}

static int key_public(struct fx *x)
{
	EVP_PKEY *k = NULL;
	int r = om_key_decode_public(&k, OM_ENC_DER, x->pub_der, x->pub_len);
	EVP_PKEY_free(k);
	return r;
}

static int key_private(struct fx *x)
{
	EVP_PKEY *k = NULL;
	int r = om_key_decode_private(&k, OM_ENC_DER, x->priv_der, x->priv_len);
	EVP_PKEY_free(k);
	return r;
}

static int seal(struct fx *x)
{
	uint8_t o[1024];
	return om_protect_seal(x->x_pub, OM_PROTECT_AES256CBC_HMACSHA256, 1, x->mcim, sizeof(x->mcim), o, sizeof(o)) > 0
		       ? 0
		       : -1;
}

static int open_(struct fx *x)
{
	return om_protect_open(x->x_key, 1, x->sealed, (size_t)x->sealed_len, x->out, sizeof(x->out)) ==
			       (int)sizeof(x->mcim)
		       ? 0
		       : -1;
}

static int boot_build(struct fx *x)
{
	uint8_t *xml = NULL;
	size_t n = 0;
	int r = om_bootstrap_build_signed(&x->boot, x->sign_key, x->sho_cert, &xml, &n);
	free(xml);
	return r;
}

static int boot_verify(struct fx *x)
{
	struct om_bootstrap b;
	int r = om_bootstrap_verify(x->boot_xml, x->boot_len, x->sho_cert, &b);
	om_bootstrap_free(&b);
	return r;
}

/* the last owner's claim against the certificate's verifier: the whole chain, 32 steps */
static int claim_check(struct fx *x)
{
	return om_claim_check("TRE-0000000000000000", x->claim, x->verifier, OM_CLAIM_GENERATIONS) ==
			       OM_CLAIM_GENERATIONS
		       ? 0
		       : -1;
}

/* CPU microseconds per call: the best of three rounds of at least min_ms each. */
static double time_op(struct fx *x, op_fn f, unsigned min_ms)
{
	double best = 0;
	for (int round = 0; round < 3; round++) {
		unsigned n = 0;
		double t0 = cpu_us(), t;
		do {
			if (f(x) < 0)
				return -1;
			n++;
		} while ((t = cpu_us() - t0) < min_ms * 1000.0);
		if (round == 0 || t / n < best)
			best = t / n;
	}
	return best;
}

static void setup(struct fx *x)
{
	EVP_PKEY *ca_key = NULL;
	int r;
	if (RAND_bytes(x->claim_key, sizeof(x->claim_key)) != 1 ||
	    om_claim_derive(x->claim_key, "TRE-0000000000000000", OM_CLAIM_GENERATIONS, x->claim) < 0 ||
	    om_claim_derive(x->claim_key, "TRE-0000000000000000", 0, x->verifier) < 0)
		die("claims", 0);
	if (RAND_bytes(x->msg, sizeof(x->msg)) != 1 || RAND_bytes(x->mcim, sizeof(x->mcim)) != 1 ||
	    RAND_bytes(x->nonce, sizeof(x->nonce)) != 1)
		die("random", 0);
	if ((r = om_key_generate(&x->sign_key, OM_KEY_EC_P256)) < 0 || (r = om_key_generate(&x->x_key, OM_KEY_X25519)) < 0 ||
	    (r = om_key_generate(&ca_key, OM_KEY_EC_P256)) < 0)
		die("keys", r);
	/* public halves as a verifier has them: decoded from their SubjectPublicKeyInfo */
	if ((r = om_key_encode_public(x->sign_key, OM_ENC_DER, &x->pub_der, &x->pub_len)) < 0 ||
	    (r = om_key_decode_public(&x->sign_pub, OM_ENC_DER, x->pub_der, x->pub_len)) < 0 ||
	    (r = om_key_encode_private(x->sign_key, OM_ENC_DER, &x->priv_der, &x->priv_len)) < 0)
		die("key encodings", r);
	uint8_t *xd = NULL;
	size_t xl = 0;
	if ((r = om_key_encode_public(x->x_key, OM_ENC_DER, &xd, &xl)) < 0 ||
	    (r = om_key_decode_public(&x->x_pub, OM_ENC_DER, xd, xl)) < 0)
		die("X25519 key", r);
	om_pki_free(xd, xl);
	x->sig_len = (size_t)om_sign(x->sign_key, x->msg, sizeof(x->msg), x->sig);
	if (x->sig_len > OM_SIG_MAX_LEN)
		die("sign", (int)x->sig_len);
	/* the raw contexts, made once */
	if (!(x->raw_sign = EVP_PKEY_CTX_new_from_pkey(NULL, x->sign_key, NULL)) ||
	    EVP_PKEY_sign_init(x->raw_sign) != 1 ||
	    !(x->raw_verify = EVP_PKEY_CTX_new_from_pkey(NULL, x->sign_pub, NULL)) ||
	    EVP_PKEY_verify_init(x->raw_verify) != 1 ||
	    !(x->raw_derive = EVP_PKEY_CTX_new_from_pkey(NULL, x->x_key, NULL)) ||
	    EVP_PKEY_derive_init(x->raw_derive) != 1 || EVP_PKEY_derive_set_peer(x->raw_derive, x->x_pub) != 1)
		die("raw contexts", 0);
	if (raw_verify(x) < 0)
		die("raw verify of om_sign's signature", 0);
	/* a CA and TRE certificates from it */
	if ((r = om_ca_create(&x->ca, ca_key, "crypto-bench CA", 0, 0)) < 0)
		die("CA", r);
	X509 *root = om_ca_cert(x->ca);
	if ((r = om_trust_new(&x->trust, &root, 1)) < 0)
		die("trust", r);
	for (int i = 0; i < N_CERTS; i++) {
		EVP_PKEY *s = NULL, *e = NULL;
		X509_REQ *req = NULL;
		uint8_t *ed = NULL;
		size_t el = 0;
		char id[32];
		snprintf(id, sizeof(id), "TRE-%016d", i);
		if ((r = om_key_generate(&s, OM_KEY_EC_P256)) < 0 || (r = om_key_generate(&e, OM_KEY_X25519)) < 0 ||
		    (r = om_csr_create(&req, s, id, e)) < 0 ||
		    (r = om_ca_issue_tre(x->ca, req, id, 0, 0, &x->der[i], &x->der_len[i], &ed, &el)) < 0)
			die("TRE certificates", r);
		om_pki_free(ed, el);
		X509_REQ_free(req);
		EVP_PKEY_free(s);
		EVP_PKEY_free(e);
	}
	if ((r = om_cert_decode(&x->leaf, OM_ENC_DER, x->der[0], x->der_len[0])) < 0)
		die("decoding a TRE certificate", r);
	if ((x->sealed_len = om_protect_seal(x->x_pub, OM_PROTECT_AES256CBC_HMACSHA256, 1, x->mcim, sizeof(x->mcim),
					     x->sealed, sizeof(x->sealed))) < 0)
		die("seal", x->sealed_len);
	if ((x->mobj_len = om_m2mmcimmobj_build(x->sealed, (size_t)x->sealed_len, x->nonce, x->sign_key, x->mobj,
						sizeof(x->mobj))) < 0)
		die("M2MMCIMMobj", x->mobj_len);
	struct om_issue want = { OM_CERT_SHO_SIGNING, "crypto-bench SHO", 0, 0, NULL, NULL };
	X509_REQ *sreq = NULL;
	if ((r = om_csr_create(&sreq, x->sign_key, "crypto-bench SHO", NULL)) < 0 ||
	    (r = om_ca_issue(x->ca, sreq, &want, &x->sho_cert)) < 0)
		die("SHO_SIGNING certificate", r);
	X509_REQ_free(sreq);
	if ((r = om_cert_encode(x->sho_cert, OM_ENC_DER, &x->sho_der, &x->sho_der_len)) < 0 || fresh_key_verify(x) < 0)
		die("SHO_SIGNING certificate's key", r);
	struct om_bootstrap *b = &x->boot;
	snprintf(b->provurl, sizeof(b->provurl), "https://dpf.sho-a.example:8443/dm");
	snprintf(b->server_id, sizeof(b->server_id), "SHO-A");
	snprintf(b->apn, sizeof(b->apn), "provisioning.sho-a");
	b->sequence = 1;
	b->sho_cert = x->der[1];
	b->sho_cert_len = x->der_len[1];
	b->creds = x->sealed;
	b->creds_len = (size_t)x->sealed_len;
	if ((r = om_bootstrap_build_signed(b, x->sign_key, x->sho_cert, &x->boot_xml, &x->boot_len)) < 0)
		die("bootstrap", r);
	if ((r = boot_verify(x)) < 0)
		die("bootstrap verify", r);
	EVP_PKEY_free(ca_key);
}

int main(int argc, char **argv)
{
	unsigned min_ms = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
	struct fx *x = calloc(1, sizeof(*x));
	if (!x || min_ms == 0)
		die("usage: crypto_bench [min_ms]", 0);
	setup(x);
	double rs = time_op(x, raw_sign, min_ms), rv = time_op(x, raw_verify, min_ms), rx = time_op(x, raw_x25519, min_ms);
	if (rs <= 0 || rv <= 0 || rx <= 0)
		die("a raw operation", 0);
	static const struct {
		const char *name;
		op_fn f;
		double raw_sign, raw_verify, raw_x25519; /* the primitives under it */
	} ops[] = {
		{ "om_sign (ECDSA P-256, 512 B)", our_sign, 1, 0, 0 },
		{ "om_verify", our_verify, 0, 1, 0 },
		{ "om_m2mmcimmobj_build (sign)", mcimmobj_build, 1, 0, 0 },
		{ "om_m2mmcimmobj_verify", mcimmobj_verify, 0, 1, 0 },
		{ "om_cert_verify (TRE_SIGNING vs CA)", cert_verify, 0, 1, 0 },
		{ "om_cert_decode (new to the cache)", cert_decode, 0, 0, 0 },
		{ "om_cert_decode + om_cert_verify", cert_decode_verify, 0, 1, 0 },
		{ "om_cert_pubkey_decode", cert_pubkey, 0, 0, 0 },
		{ "om_cert_pubkey_decode + om_verify", fresh_key_verify, 0, 1, 0 },
		{ "om_key_type_of (P-256)", key_type, 0, 0, 0 },
		{ "om_cert_check_profile (TRE_SIGNING)", cert_profile, 0, 0, 0 },
		{ "om_key_decode_public (P-256 DER)", key_public, 0, 0, 0 },
		{ "om_key_decode_private (P-256 DER)", key_private, 0, 0, 0 },
		{ "om_bootstrap_build_signed (XML-DSig)", boot_build, 1, 0, 0 },
		{ "om_bootstrap_verify (XML-DSig)", boot_verify, 0, 1, 0 },
		{ "om_protect_seal (X25519, 300 B)", seal, 0, 0, 2 },
		{ "om_protect_open", open_, 0, 0, 1 },
		{ "om_claim_check (32 generations)", claim_check, 0, 0, 0 },
	};
	printf("raw OpenSSL %s, contexts made once (CPU per operation):\n", OpenSSL_version(OPENSSL_VERSION_STRING));
	printf("  %-38s %8.1f us\n", "ECDSA P-256 sign (SHA-256 + sign)", rs);
	printf("  %-38s %8.1f us\n", "ECDSA P-256 verify (SHA-256 + verify)", rv);
	printf("  %-38s %8.1f us\n", "X25519 (one derive)", rx);
	printf("ours (CPU per call; raw = the primitives under it; ratio ours / raw):\n");
	const char *only = getenv("OM_BENCH_ONLY"); /* a substring of the names to time alone, for perf */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (only && !strstr(ops[i].name, only))
			continue;
		double t = time_op(x, ops[i].f, min_ms);
		if (t <= 0)
			die(ops[i].name, 0);
		double raw = ops[i].raw_sign * rs + ops[i].raw_verify * rv + ops[i].raw_x25519 * rx;
		if (raw > 0)
			printf("  %-38s %8.1f us  raw %6.1f us  %5.2fx  (+%.1f us)\n", ops[i].name, t, raw, t / raw, t - raw);
		else
			printf("  %-38s %8.1f us  (no public-key operation)\n", ops[i].name, t);
	}
	for (int i = 0; i < N_CERTS; i++)
		om_pki_free(x->der[i], x->der_len[i]);
	om_pki_free(x->pub_der, x->pub_len);
	om_pki_free(x->priv_der, x->priv_len);
	EVP_PKEY_CTX_free(x->raw_sign);
	EVP_PKEY_CTX_free(x->raw_verify);
	EVP_PKEY_CTX_free(x->raw_derive);
	EVP_PKEY_free(x->sign_key);
	EVP_PKEY_free(x->sign_pub);
	EVP_PKEY_free(x->x_key);
	EVP_PKEY_free(x->x_pub);
	X509_free(x->leaf);
	X509_free(x->sho_cert);
	free(x->boot_xml);
	om_pki_free(x->sho_der, x->sho_der_len);
	X509_STORE_free(x->trust);
	om_ca_free(x->ca);
	free(x);
	return 0;
}
