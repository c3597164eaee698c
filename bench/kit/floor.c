/* SPDX-License-Identifier: Apache-2.0 */
/* The protocol floor of one provisioning (floor.h): the count from the flow, the time from OpenSSL. */
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <openmcim/pki.h>

#include "floor.h"
#include "tls_policy.h"

enum prim { P_SIGN, P_VERIFY, P_X25519 };

/*
 * Each public-key operation of one provisioning outside the device's two
 * handshakes (TR 33.812 B.2.3, as docs/agent.md, docs/drf.md and docs/dpf.md
 * describe the flow), and who does it. The MCIM itself is sealed at
 * registration, before the device's run, and the operators' links carry
 * no handshake per call.
 */
static const struct {
	enum prim p;
	const char *who;
} flow[] = {
	{ P_SIGN, "SHO-A signs the handover request (B.2.3.2)" },
	{ P_X25519, "SHO-A seals the DM credentials to PuK_TRE: ephemeral key" },
	{ P_X25519, "SHO-A seals the DM credentials to PuK_TRE: shared secret" },
	{ P_VERIFY, "RO DRF verifies the handover request" },
	{ P_SIGN, "RO DRF signs the bootstrap (XML-DSig, B.2.3.3)" },
	{ P_VERIFY, "TRE verifies the bootstrap against Cert_SHO[i]" },
	{ P_X25519, "TRE opens the DM credentials" },
	{ P_SIGN, "TRE signs the M2MMobj (B.2.3.4)" },
	{ P_VERIFY, "SHO-A DPF verifies the M2MMobj with Cert_TRE" },
	{ P_VERIFY, "PVA verifies Cert_TRE against the TRE CA" },
	{ P_VERIFY, "PVA verifies the M2MMobj" },
	{ P_SIGN, "PVA signs its verdict" },
	{ P_VERIFY, "SHO-A DPF verifies the PVA's verdict" },
	{ P_SIGN, "SHO-A DPF signs the M2MMCIMMobj" },
	{ P_VERIFY, "TRE verifies the M2MMCIMMobj" },
	{ P_X25519, "TRE opens the MCIM (B.2.3.6)" },
	{ P_SIGN, "TRE signs the outcome statement" },
	{ P_VERIFY, "SHO-A DPF verifies the outcome statement" },
	{ P_VERIFY, "RO DRF verifies the outcome statement (completion, Note Z)" },
};
#define N_FLOW (sizeof(flow) / sizeof(flow[0]))

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* ---- one TLS 1.3 handshake in memory, both ends in this thread ----------------- */

static int pump(SSL *c, SSL *s)
{
	for (int i = 0; i < 64; i++) {
		int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
		if (rc == 1 && rs == 1)
			return 0;
		if ((rc != 1 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) ||
		    (rs != 1 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ))
			return -1;
	}
	return -1;
}

/*
 * A handshake of a fresh client with the server; resumed from *sess when
 * it is set, else a full one whose ticket goes into *sess. One byte is sent
 * so that the client takes the server's ticket, as a DM session would.
 */
static int handshake(SSL_CTX *sc, SSL_CTX *cc, SSL_SESSION **sess)
{
	SSL *s = SSL_new(sc), *c = SSL_new(cc);
	BIO *bs = NULL, *bc = NULL;
	char byte = 0;
	int ok = s && c && BIO_new_bio_pair(&bs, 0, &bc, 0) == 1;
	if (ok) {
		SSL_set_bio(s, bs, bs);
		SSL_set_bio(c, bc, bc);
		SSL_set_accept_state(s);
		SSL_set_connect_state(c);
		ok = !*sess || SSL_set_session(c, *sess) == 1;
	}
	ok = ok && pump(c, s) == 0 && SSL_write(s, "x", 1) == 1 && SSL_read(c, &byte, 1) == 1;
	if (ok && *sess)
		ok = SSL_session_reused(c) == 1;
	else if (ok)
		ok = (*sess = SSL_get1_session(c)) != NULL;
	/* close_notify both ways, as a DM session ends: a session freed without it is not resumable */
	if (ok) {
		SSL_shutdown(c);
		SSL_shutdown(s);
	}
	SSL_free(s);
	SSL_free(c);
	return ok ? 0 : -1;
}

static int tls_ctxs(const char *cert_file, const char *key_file, SSL_CTX **sc, SSL_CTX **cc)
{
	*sc = SSL_CTX_new(TLS_server_method());
	*cc = SSL_CTX_new(TLS_client_method());
	if (!*sc || !*cc || om_tls_policy_ctx(*sc) < 0 || om_tls_policy_ctx(*cc) < 0 ||
	    SSL_CTX_use_certificate_chain_file(*sc, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(*sc, key_file, SSL_FILETYPE_PEM) != 1)
		return -1;
	SSL_CTX_set_num_tickets(*sc, 1);
	/* the device pins the DPF's key over TLS 1.3 (agent/dm_client.c): the handshake's
	 * CertificateVerify is checked, no chain is built */
	SSL_CTX_set_min_proto_version(*cc, TLS1_3_VERSION);
	SSL_CTX_set_verify(*cc, SSL_VERIFY_NONE, NULL);
	return 0;
}

/* ---- the timing loop ----------------------------------------------------------- */

struct ctx {
	EVP_PKEY *key, *peer;
	uint8_t msg[512], sig[OM_SIG_MAX_LEN], scratch[OM_SIG_MAX_LEN];
	size_t sig_len;
	SSL_CTX *sc, *cc;
	SSL_SESSION *sess;
};

enum op { OP_SIGN, OP_VERIFY, OP_X25519, OP_TLS_FULL, OP_TLS_RESUMED };

static int run(struct ctx *x, enum op op)
{
	switch (op) {
	case OP_SIGN:
		return om_sign(x->key, x->msg, sizeof(x->msg), x->scratch) > 0 ? 0 : -1;
	case OP_VERIFY:
		return om_verify(x->key, x->msg, sizeof(x->msg), x->sig, x->sig_len);
	case OP_X25519: {
		/* a key generation and a shared secret: two X25519 operations */
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		EVP_PKEY_CTX *d = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
		uint8_t z[32];
		size_t zl = sizeof(z);
		int ok = d && EVP_PKEY_derive_init(d) == 1 && EVP_PKEY_derive_set_peer(d, x->peer) == 1 &&
			 EVP_PKEY_derive(d, z, &zl) == 1;
		EVP_PKEY_CTX_free(d);
		EVP_PKEY_free(k);
		return ok ? 0 : -1;
	}
	case OP_TLS_FULL: {
		SSL_SESSION *none = NULL;
		int rc = handshake(x->sc, x->cc, &none);
		SSL_SESSION_free(none);
		return rc;
	}
	case OP_TLS_RESUMED:
		return handshake(x->sc, x->cc, &x->sess);
	}
	return -1;
}

/* CPU microseconds per run of op: the best of three rounds of at least min_ms each. */
static double time_op(struct ctx *x, enum op op, unsigned min_ms)
{
	double best = 0;
	for (int round = 0; round < 3; round++) {
		unsigned n = 0;
		double t0 = cpu_now(), t;
		do {
			if (run(x, op) < 0)
				return -1;
			n++;
		} while ((t = cpu_now() - t0) < min_ms * 1000.0);
		if (round == 0 || t / n < best)
			best = t / n;
	}
	return best;
}

int bench_floor_measure(const char *cert_file, const char *key_file, unsigned min_ms, struct bench_floor *f,
			char *why, size_t why_len)
{
	struct ctx x = { 0 };
	int rc = -1;
	memset(f, 0, sizeof(*f));
	if (om_key_load(&x.key, key_file) < 0 || RAND_bytes(x.msg, sizeof(x.msg)) != 1 ||
	    (x.sig_len = (size_t)om_sign(x.key, x.msg, sizeof(x.msg), x.sig)) > OM_SIG_MAX_LEN ||
	    !(x.peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"))) {
		snprintf(why, why_len, "floor: key %s unusable", key_file);
		goto out;
	}
	if (tls_ctxs(cert_file, key_file, &x.sc, &x.cc) < 0 || run(&x, OP_TLS_FULL) < 0 ||
	    handshake(x.sc, x.cc, &x.sess) < 0) {
		snprintf(why, why_len, "floor: TLS handshake in memory failed with %s", cert_file);
		goto out;
	}
	f->sign_us = time_op(&x, OP_SIGN, min_ms);
	f->verify_us = time_op(&x, OP_VERIFY, min_ms);
	f->x25519_us = time_op(&x, OP_X25519, min_ms) / 2;
	f->tls_full_us = time_op(&x, OP_TLS_FULL, min_ms);
	f->tls_resumed_us = time_op(&x, OP_TLS_RESUMED, min_ms);
	if (f->sign_us <= 0 || f->verify_us <= 0 || f->x25519_us <= 0 || f->tls_full_us <= 0 || f->tls_resumed_us <= 0) {
		snprintf(why, why_len, "floor: an operation failed while timed");
		goto out;
	}
	for (size_t i = 0; i < N_FLOW; i++)
		*(flow[i].p == P_SIGN ? &f->n_sign : flow[i].p == P_VERIFY ? &f->n_verify : &f->n_x25519) += 1;
	f->per_device_us = f->n_sign * f->sign_us + f->n_verify * f->verify_us + f->n_x25519 * f->x25519_us +
			   f->tls_full_us + f->tls_resumed_us;
	f->pk_only_us = (f->n_sign + 1) * f->sign_us + (f->n_verify + 1) * f->verify_us + (f->n_x25519 + 8) * f->x25519_us;
	rc = 0;
out:
	ERR_clear_error();
	SSL_SESSION_free(x.sess);
	SSL_CTX_free(x.sc);
	SSL_CTX_free(x.cc);
	EVP_PKEY_free(x.key);
	EVP_PKEY_free(x.peer);
	return rc;
}

void bench_floor_print(FILE *out, const struct bench_floor *f)
{
	static const char *const name[] = { "ECDSA P-256 sign", "ECDSA P-256 verify", "X25519" };
	const double us[] = { f->sign_us, f->verify_us, f->x25519_us };
	fprintf(out, "protocol floor (OpenSSL %s on this machine, CPU per operation):\n",
		OpenSSL_version(OPENSSL_VERSION_STRING));
	for (size_t i = 0; i < N_FLOW; i++)
		fprintf(out, "  %-18s %6.1f us  %s\n", name[flow[i].p], us[flow[i].p], flow[i].who);
	fprintf(out, "  %-18s %6.1f us  device <-> SHO-A DPF, DM session 1 (both ends: a signature, a verification, 4 X25519)\n",
		"TLS 1.3 full", f->tls_full_us);
	fprintf(out, "  %-18s %6.1f us  device <-> SHO-A DPF, DM session 2 (both ends: psk_dhe_ke, 4 X25519)\n",
		"TLS 1.3 resumed", f->tls_resumed_us);
	fprintf(out, "  floor: %u signatures, %u verifications, %u X25519, 1 full + 1 resumed handshake = %.2f ms per device\n",
		f->n_sign, f->n_verify, f->n_x25519, f->per_device_us / 1e3);
	fprintf(out, "  (public-key operations alone, handshakes' included: %.2f ms per device)\n", f->pk_only_us / 1e3);
}
