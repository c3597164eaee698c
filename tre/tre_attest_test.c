/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation end to end (issue 18): TPM TREs personalised with an AK the
 * PVA's CA certified, each on its own swtpm started here, opened (the TRE
 * measures its program into PCR 15), bootstrapped, and their M2MMobj with
 * the TPM's quote over nonceA | nonceB validated by the PVA (pva_validate,
 * the code behind POST /validate) after a real import of devices.csv and
 * attestation-keys.csv and an add-pcr through the admin interface.
 *
 * The genuine M2MMobj is accepted with its quote checked. Each attack is
 * refused with its own code, and the PVA's database bytes and the TRE
 * directory are unchanged:
 *   - wrong nonce: a quote from an earlier M2MMobj put into a fresh one
 *     (OM_EPVA_QUOTE_NONCE);
 *   - wrong PCR value: something else was measured into PCR 15 before the
 *     TRE's program, the TPM quotes it truthfully (OM_EPVA_QUOTE_PCR);
 *   - a quote by another TPM: device B's quote over A's nonces in A's
 *     M2MMobj (OM_EPVA_QUOTE_SIGNATURE);
 *   - no quote: attest.ak removed from the directory, so the TRE signs
 *     an M2MMobj without one (OM_EPVA_QUOTE_MISSING), and the same object
 *     stripped of its quote;
 *   - measurements that do not replay to the quoted PCR (OM_EPVA_QUOTE_LOG).
 * Each forged M2MMobj is signed with the device's own PrK_TRE (software
 * keys in this test): the quote must stand even when PrK_TRE is stolen.
 * A software TRE (no AK imported) is validated as before, without a quote.
 */
#define _DEFAULT_SOURCE
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <openmcim/hex.h>

#include "hw_token.h"
#include "pva.h"
#include "pva_admin.h"
#include "pva_test_util.h"
#include "quote_tpm.h"
#include "tre_fixture.h"

#define MODEL "openmcim-swtre-1" /* the fixture's tre_type */
#define FW "1.0.0"

static struct t_swtpm tpm_a, tpm_b;
static char pdir[] = "/tmp/om-attest-XXXXXX";
static struct om_ca *ca;
static struct fx_sho ro, sho;
static struct pva *pva;

struct dev {
	struct fx_tre t;
	struct om_tre_backend be;
	uint8_t *ak_blob, *ak_der;
	size_t ak_blob_len, ak_len;
	struct om_tre *tre;
	int moved; /* bootstrapped once: its trust root is sho's */
};

static void b64(const uint8_t *der, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, der, (int)len);
}

/* A TRE on the TPM at tcti (NULL: a software TRE), with an AK certified by the PVA's CA. */
static void dev_make(struct dev *d, const char *tre_id, const char *tcti)
{
	EVP_PKEY *ak = NULL;
	memset(d, 0, sizeof(*d));
	fx_tre_init(&d->t, ca, tre_id, &ro, OM_KEY_X25519);
	if (tcti) {
		d->be = (struct om_tre_backend){ .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tcti };
		CHECK_INT(om_tre_ak_create(&d->be, &ak, &d->ak_blob, &d->ak_blob_len), 0);
		CHECK_INT(om_ca_issue_ak(ca, ak, tre_id, &d->ak_der, &d->ak_len), 0);
		EVP_PKEY_free(ak);
		d->t.p.backend = &d->be;
		d->t.p.ak_blob = d->ak_blob;
		d->t.p.ak_blob_len = d->ak_blob_len;
		d->t.p.ak_cert = d->ak_der;
		d->t.p.ak_cert_len = d->ak_len;
	}
	CHECK_INT(om_tre_personalise(d->t.dir, &d->t.p, 0), 0);
}

static void dev_open(struct dev *d)
{
	int rc = om_tre_open_backend(&d->tre, d->t.dir, d->t.p.backend, 0);
	CHECK_MSG(rc == 0, "open %s: %s", d->t.tre_id, om_errname(rc));
	if (rc)
		FX_DIE("open");
}

static void dev_free(struct dev *d)
{
	om_tre_close(d->tre);
	fx_rmdir(d->t.dir);
	fx_tre_free(&d->t);
	free(d->ak_blob);
	om_pki_free(d->ak_der, d->ak_len);
}

/* Bootstrapped by its trust root (the RO, then sho) towards sho, then the TRE's M2MMobj into obj; its length. */
static int m2mmobj(struct dev *d, uint8_t nonce_a[16], uint8_t *obj, size_t cap)
{
	static uint32_t seq = 1;
	size_t len = 0;
	check_random(nonce_a, 16);
	uint8_t *xml = make_bootstrap(d->moved ? &sho : &ro, sho.der, sho.der_len, d->t.enc_cert, seq++, nonce_a, &len);
	int rc = om_tre_bootstrap(d->tre, xml, len, time(NULL));
	free(xml);
	CHECK_MSG(rc == 0, "bootstrap: %s", om_errname(rc));
	d->moved = 1;
	int n = om_tre_m2mmobj(d->tre, obj, cap);
	CHECK_MSG(n > 0, "m2mmobj: %s", om_errname(n));
	return n;
}

/* The M2MMobj obj opened (as the PVA does), then changed by edit and signed again with the TRE's key. */
static int forge(struct dev *d, const uint8_t *obj, size_t len, void (*edit)(struct om_tre_info *, void *), void *arg,
		 uint8_t *out, size_t cap)
{
	struct om_tre_info info;
	uint8_t na[16], nb[16];
	X509 *sc = NULL;
	CHECK_INT(om_cert_decode(&sc, OM_ENC_DER, d->t.sign_der, d->t.sign_len), 0);
	CHECK_INT(om_m2mmobj_verify(obj, len, X509_get0_pubkey(sc), &info, na, nb), 0);
	X509_free(sc);
	edit(&info, arg);
	int n = om_m2mmobj_build(&info, na, nb, d->t.sign_key, out, cap);
	CHECK(n > 0);
	return n;
}

static void put_quote(struct om_tre_info *info, void *arg)
{
	const struct om_tre_info *from = arg;
	info->quote = from->quote;
}

static void no_quote(struct om_tre_info *info, void *arg)
{
	(void)arg;
	memset(&info->quote, 0, sizeof(info->quote));
}

static void other_log(struct om_tre_info *info, void *arg)
{
	(void)arg;
	info->m[0].sha256[0] ^= 1; /* claims another program than the one measured */
}

/* The PVA's state: its database's bytes (and any journal beside it). */
static void pva_hash(uint8_t out[32])
{
	fx_dir_hash(pdir, out);
}

static void refused(const uint8_t *obj, size_t len, int code, const char *reason, const char *what)
{
	struct pva_verdict v;
	uint8_t before[32], after[32];
	pva_hash(before);
	int rc = pva_validate(pva, obj, len, &v);
	pva_hash(after);
	CHECK_MSG(rc == code, "%s: %s (%s: %s), want %s", what, om_errname(rc), v.reason, v.detail, om_errname(code));
	CHECK_MSG(v.reason && strcmp(v.reason, reason) == 0, "%s: reason %s, want %s", what, v.reason ? v.reason : "-",
		  reason);
	CHECK_MSG(memcmp(before, after, 32) == 0, "%s: the PVA's files changed", what);
}

static void no_emit(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* The PVA with the factory's files for a and b (AKs) and s (none), and the reference PCR by add-pcr. */
static void pva_setup(struct dev *a, struct dev *b, struct dev *s)
{
	char path[512], why[256], line[300], hex[65];
	static char text[32768];
	struct dev *all[3] = { a, b, s };
	size_t o = (size_t)snprintf(text, sizeof(text), "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64\n");
	for (int i = 0; i < 3; i++) {
		char sb[4096], eb[4096];
		b64(all[i]->t.sign_der, all[i]->t.sign_len, sb);
		b64(all[i]->t.enc_der, all[i]->t.enc_len, eb);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s,%s,%s,%s,%s\n", all[i]->t.tre_id, MODEL, FW, sb, eb);
	}
	snprintf(path, sizeof(path), "%s/import/devices.csv", pdir);
	t_write(path, text);
	/* the software TRE's measurements, as it reports them (written at personalisation) */
	o = (size_t)snprintf(text, sizeof(text), "model,firmware,component,sha256\n");
	for (int i = 0; i < 2; i++) {
		om_hex_encode(hex, s->t.meas[i].sha256, 32);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s,%s,%s,%s\n", MODEL, FW, s->t.meas[i].name, hex);
	}
	snprintf(path, sizeof(path), "%s/import/reference-measurements.csv", pdir);
	t_write(path, text);
	o = (size_t)snprintf(text, sizeof(text), "tre_id,ak_cert_der_b64\n");
	for (int i = 0; i < 2; i++) {
		char ab[4096];
		b64(all[i]->ak_der, all[i]->ak_len, ab);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s,%s\n", all[i]->t.tre_id, ab);
	}
	/* first with A's signing certificate as its AK: refused (profile), and nothing of the three files stays */
	char bad[8192], sb[4096];
	b64(a->t.sign_der, a->t.sign_len, sb);
	snprintf(bad, sizeof(bad), "tre_id,ak_cert_der_b64\n%s,%s\n", a->t.tre_id, sb);
	snprintf(path, sizeof(path), "%s/import/attestation-keys.csv", pdir);
	t_write(path, bad);
	long nd = 0, nr = 0;
	snprintf(path, sizeof(path), "%s/import", pdir);
	CHECK_INT(pva_import_dir(pva, path, &nd, &nr, why, sizeof(why)), OM_EPVA_CERT);
	CHECK_MSG(strstr(why, "attestation-keys.csv line 2") != NULL, "%s", why);
	snprintf(path, sizeof(path), "%s/import/attestation-keys.csv", pdir);
	t_write(path, text);
	snprintf(path, sizeof(path), "%s/import", pdir);
	CHECK_MSG(pva_import_dir(pva, path, &nd, &nr, why, sizeof(why)) == 0, "import: %s", why);
	CHECK(nd == 3 && nr == 2);
	/* importing the AKs again is refused: a TRE's AK is the one its factory certified */
	CHECK_INT(pva_import_dir(pva, path, &nd, &nr, why, sizeof(why)), OM_EPVA_EXISTS);
	uint8_t pcr[32];
	CHECK_INT(om_tre_reference_pcr(pcr), 0);
	om_hex_encode(hex, pcr, 32);
	snprintf(line, sizeof(line), "add-pcr %s %s 15 %s", MODEL, FW, hex);
	CHECK_MSG(pva_admin_exec(pva, line, no_emit, NULL, why, sizeof(why)) == 0, "add-pcr: %s", why);
	/* another value for the same PCR is refused; a PCR beyond 23 too */
	hex[0] = hex[0] == '0' ? '1' : '0';
	snprintf(line, sizeof(line), "add-pcr %s %s 15 %s", MODEL, FW, hex);
	CHECK_INT(pva_admin_exec(pva, line, no_emit, NULL, why, sizeof(why)), OM_EPVA_REFERENCE);
	snprintf(line, sizeof(line), "add-pcr %s %s 24 %s", MODEL, FW, hex);
	CHECK_INT(pva_admin_exec(pva, line, no_emit, NULL, why, sizeof(why)), OM_EPVA_COMMAND);
}

/*
 * The fuzz corpus's M2MMobj version 4 (fuzz/mobj_verify.c): with OM_FUZZ_SEEDS=<dir>, the genuine
 * object's contents (this TPM's quote over its nonces, the measured program) signed again with a
 * fresh P-256 key, written as <dir>/m2mmobj_v4_quote behind the target's selector byte (0); the
 * key's public half is printed for the target and its private half thrown away.
 */
static void fuzz_seed(const struct om_tre_info *info, const uint8_t na[16], const uint8_t nb[16])
{
	const char *dir = getenv("OM_FUZZ_SEEDS");
	char path[600];
	static uint8_t seed[1 + OM_MOBJ_MAX];
	if (!dir)
		return;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	CHECK(k != NULL);
	int n = k ? om_m2mmobj_build(info, na, nb, k, seed + 1, OM_MOBJ_MAX) : -1;
	CHECK_MSG(n > 0, "seed: %s", om_errname(n));
	snprintf(path, sizeof(path), "%s/m2mmobj_v4_quote", dir);
	FILE *f = n > 0 ? fopen(path, "wb") : NULL;
	CHECK_MSG(f && fwrite(seed, 1, 1 + (size_t)n, f) == 1 + (size_t)n && fclose(f) == 0, "%s", path);
	printf("fuzz seed %s (%d bytes, version %u, quote %zu bytes); its key:\n", path, 1 + n, seed[5],
	       info->quote.attest_len);
	PEM_write_PUBKEY(stdout, k);
	EVP_PKEY_free(k);
}

static void test_attestation(void)
{
	struct dev a, b, s;
	uint8_t na[16], obj[OM_MOBJ_MAX], first[OM_MOBJ_MAX], other[OM_MOBJ_MAX], forged[OM_MOBJ_MAX];
	uint8_t m[32], dh[32], dh2[32];
	struct pva_verdict v;
	struct om_tre_info info;

	dev_make(&a, "TRE-A0000001", tpm_a.tcti);
	dev_make(&b, "TRE-B0000001", tpm_b.tcti);
	dev_make(&s, "TRE-S0000001", NULL);
	pva_setup(&a, &b, &s);

	/* B's TPM first measured something else: PCR 15 is then off its reference until a reset */
	SHA256((const unsigned char *)"a patched bootloader", 20, m);
	CHECK_INT(tre_tpm_measure(tpm_b.tcti, TRE_PCR_TRE, m), 0);
	dev_open(&a);
	dev_open(&b);
	dev_open(&s);

	/* the genuine device: accepted, its quote checked, its measurement the program it runs */
	int n1 = m2mmobj(&a, na, first, sizeof(first));
	int n = m2mmobj(&a, na, obj, sizeof(obj));
	CHECK_INT(pva_validate(pva, obj, (size_t)n, &v), 0);
	CHECK_MSG(v.quoted == 1 && strcmp(v.reason, "accepted") == 0, "genuine: %s %s", v.reason, v.detail);
	X509 *sc = NULL;
	uint8_t xa[16], xb[16];
	CHECK_INT(om_cert_decode(&sc, OM_ENC_DER, a.t.sign_der, a.t.sign_len), 0);
	CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, X509_get0_pubkey(sc), &info, xa, xb), 0);
	X509_free(sc);
	CHECK(info.quote.attest_len > 0 && info.quote.n_pcr == 1 && info.n_measurements == 1);
	CHECK(strcmp(info.m[0].name, "executable") == 0);
	fuzz_seed(&info, xa, xb);
	/* opened again (the agent's next run): measured once per TPM reset, the PCR is unchanged */
	om_tre_close(a.tre);
	a.tre = NULL;
	dev_open(&a);
	n = m2mmobj(&a, na, obj, sizeof(obj));
	CHECK_INT(pva_validate(pva, obj, (size_t)n, &v), 0);

	fx_dir_hash(a.t.dir, dh);
	/* wrong nonce: the earlier M2MMobj's quote in this one */
	struct om_tre_info old;
	CHECK_INT(om_cert_decode(&sc, OM_ENC_DER, a.t.sign_der, a.t.sign_len), 0);
	CHECK_INT(om_m2mmobj_verify(first, (size_t)n1, X509_get0_pubkey(sc), &old, xa, xb), 0);
	X509_free(sc);
	int f = forge(&a, obj, (size_t)n, put_quote, &old, forged, sizeof(forged));
	refused(forged, (size_t)f, OM_EPVA_QUOTE_NONCE, "quote-nonce", "an earlier quote");

	/* a quote by another TPM: B's, over A's nonces (B quotes what A's TRE was asked) */
	int nb_len = m2mmobj(&b, na, other, sizeof(other));
	CHECK_INT(om_cert_decode(&sc, OM_ENC_DER, b.t.sign_der, b.t.sign_len), 0);
	struct om_tre_info binfo;
	uint8_t ba[16], bb[16];
	CHECK_INT(om_m2mmobj_verify(other, (size_t)nb_len, X509_get0_pubkey(sc), &binfo, ba, bb), 0);
	X509_free(sc);
	uint8_t qual[32];
	CHECK_INT(om_cert_decode(&sc, OM_ENC_DER, a.t.sign_der, a.t.sign_len), 0);
	CHECK_INT(om_m2mmobj_verify(obj, (size_t)n, X509_get0_pubkey(sc), &info, xa, xb), 0);
	X509_free(sc);
	memcpy(qual, xa, 16);
	memcpy(qual + 16, xb, 16);
	TPM2B_PUBLIC bpub;
	TPM2B_PRIVATE bpriv;
	CHECK_INT(tre_tpm_ak_create(tpm_b.tcti, &bpub, &bpriv), 0);
	struct om_tre_info bq;
	memset(&bq, 0, sizeof(bq));
	CHECK_INT(tre_tpm_quote(tpm_b.tcti, &bpub, &bpriv, qual, sizeof(qual), 1u << TRE_PCR_TRE, &bq.quote), 0);
	f = forge(&a, obj, (size_t)n, put_quote, &bq, forged, sizeof(forged));
	refused(forged, (size_t)f, OM_EPVA_QUOTE_SIGNATURE, "quote-signature", "another TPM's quote");
	/* B's own quote (its certified AK) in A's M2MMobj: also not A's AK */
	f = forge(&a, obj, (size_t)n, put_quote, &binfo, forged, sizeof(forged));
	refused(forged, (size_t)f, OM_EPVA_QUOTE_SIGNATURE, "quote-signature", "device B's quote");

	/* wrong PCR value: B's TPM quotes truthfully what was loaded, not the reference */
	refused(other, (size_t)nb_len, OM_EPVA_QUOTE_PCR, "quote-pcr", "a wrong PCR value");

	/* measurements other than those quoted */
	f = forge(&a, obj, (size_t)n, other_log, NULL, forged, sizeof(forged));
	refused(forged, (size_t)f, OM_EPVA_QUOTE_LOG, "quote-log", "measurements not replaying to the PCR");

	/* no quote: stripped from the object, or the AK file removed from the device */
	f = forge(&a, obj, (size_t)n, no_quote, NULL, forged, sizeof(forged));
	refused(forged, (size_t)f, OM_EPVA_QUOTE_MISSING, "quote-missing", "a stripped quote");
	fx_dir_hash(a.t.dir, dh2);
	CHECK_MSG(memcmp(dh, dh2, 32) == 0, "building M2MMobjs changed the TRE directory");
	char path[256];
	snprintf(path, sizeof(path), "%s/attest.ak", a.t.dir);
	CHECK_INT(unlink(path), 0);
	om_tre_close(a.tre);
	a.tre = NULL;
	dev_open(&a);
	n = m2mmobj(&a, na, obj, sizeof(obj));
	refused(obj, (size_t)n, OM_EPVA_QUOTE_MISSING, "quote-missing", "the AK removed from the device");

	/* a software TRE: no AK imported, validated on its measurements as before */
	n = m2mmobj(&s, na, obj, sizeof(obj));
	CHECK_INT(pva_validate(pva, obj, (size_t)n, &v), 0);
	CHECK_INT(v.quoted, 0);
	/* the AK is not accepted for a software TRE's personalisation */
	struct fx_tre t2;
	fx_tre_init(&t2, ca, "TRE-S0000002", &ro, OM_KEY_X25519);
	t2.p.ak_blob = b.ak_blob;
	t2.p.ak_blob_len = b.ak_blob_len;
	t2.p.ak_cert = b.ak_der;
	t2.p.ak_cert_len = b.ak_len;
	CHECK_INT(om_tre_personalise(t2.dir, &t2.p, 0), OM_ETRE_BACKEND);
	/* nor another TRE's AK certificate on a TPM */
	struct om_tre_backend be = { .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tpm_a.tcti };
	t2.p.backend = &be;
	CHECK_INT(om_tre_personalise(t2.dir, &t2.p, 0), OM_ETRE_IDENTITY);
	fx_rmdir(t2.dir);
	fx_tre_free(&t2);

	dev_free(&a);
	dev_free(&b);
	dev_free(&s);
}

int main(void)
{
	char path[256], why[256];
	setenv("TSS2_LOG", "all+NONE", 1);
	if (t_swtpm_start(&tpm_a) || t_swtpm_start(&tpm_b)) {
		CHECK_MSG(0, "swtpm could not be started (scripts/deps.sh test installs it)");
		return check_done();
	}
	if (!mkdtemp(pdir))
		FX_DIE("mkdtemp");
	snprintf(path, sizeof(path), "%s/import", pdir);
	mkdir(path, 0700);
	ca = t_pva_ca(pdir);
	if (!ca)
		FX_DIE("pva ca");
	fx_sho_init(&ro, "RO");
	fx_sho_init(&sho, "SHO-B");
	char db[300], cap[300], rcp[300], rkp[300];
	snprintf(db, sizeof(db), "%s/pva.db", pdir);
	snprintf(cap, sizeof(cap), "%s/ca.pem", pdir);
	snprintf(rcp, sizeof(rcp), "%s/responder.pem", pdir);
	snprintf(rkp, sizeof(rkp), "%s/responder.key", pdir);
	struct pva_config pc = { .db_path = db, .ca_cert = cap, .responder_cert = rcp, .responder_key = rkp };
	pva = pva_open(&pc, why, sizeof(why));
	CHECK_MSG(pva != NULL, "pva_open: %s", why);
	if (pva)
		test_attestation();
	pva_close(pva);
	om_ca_free(ca);
	fx_sho_free(&ro);
	fx_sho_free(&sho);
	fx_rmdir(path);
	fx_rmdir(pdir);
	t_swtpm_stop(&tpm_a);
	t_swtpm_stop(&tpm_b);
	return check_done();
}
