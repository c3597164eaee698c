/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A production run of a few devices, read back the way its consumers read
 * it: every file with its header and one row per device, in device order;
 * TRE_ids and PCIDs unique and sequential; both certificates of each device
 * verify under the PVA's CA (om_cert_verify and `openssl verify`); and each
 * device's TRE, opened with the TRE's own API, answers AKA for a vector
 * made from the K and OPc of the RO's file: the factory gave both sides the
 * same credential. Then refused runs: nothing left behind.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <openmcim/claim.h>
#include <openmcim/hex.h>
#include <openmcim/kdf.h>
#include <openmcim/milenage.h>
#include <openmcim/synth.h>
#include <openmcim/tre.h>
#include <openmcim/vector.h>

#include "check.h"
#include "daemon_util.h"
#include "factory.h"
#include "factory_impl.h"

#define N_DEV 7
#define MAX_ROWS 16
#define MAX_COLS 6

static char root[] = "/tmp/om-factory-test-XXXXXX";

/* dst = a "/" b; a test path that does not fit is a failed check. */
static void join(char *dst, size_t cap, const char *a, const char *b)
{
	int n = snprintf(dst, cap, "%s/%s", a, b);
	CHECK(n > 0 && (size_t)n < cap);
}

struct csv {
	unsigned char *text;
	char header[128];
	size_t n;                        /* data rows */
	char *f[MAX_ROWS][MAX_COLS];     /* fields, pointing into text */
};

/* Read a CSV file of simple fields (no quoting: docs/factory.md). */
static int read_csv(struct csv *c, const char *dir, const char *name, size_t cols)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(c, 0, sizeof(*c));
	if (!(c->text = check_slurp(path, NULL)))
		return -1;
	char *save = NULL, *line = strtok_r((char *)c->text, "\n", &save);
	if (!line)
		return -1;
	snprintf(c->header, sizeof(c->header), "%s", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (c->n == MAX_ROWS)
			return -1;
		char *s2 = NULL, *fld = strtok_r(line, ",", &s2);
		for (size_t k = 0; k < cols; k++, fld = strtok_r(NULL, ",", &s2))
			if (!(c->f[c->n][k] = fld))
				return -1;
		if (fld)
			return -1; /* more fields than the header */
		c->n++;
	}
	return 0;
}

static X509 *cert_from_b64(const char *b64)
{
	size_t len = strlen(b64);
	unsigned char *der = malloc(len);
	X509 *x = NULL;
	int n = der ? EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len) : -1;
	if (n > 0) {
		while (len > 0 && b64[len - 1] == '=') /* EVP_DecodeBlock counts the padding */
			len--, n--;
		if (om_cert_decode(&x, OM_ENC_DER, der, (size_t)n) < 0)
			x = NULL;
	}
	free(der);
	return x;
}

static int openssl_verify(const char *ca_pem, X509 *leaf)
{
	char path[512], cmd[1200];
	join(path, sizeof(path), root, "leaf.pem");
	if (om_cert_save(path, leaf) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "openssl verify -CAfile '%s' '%s' >/dev/null 2>&1", ca_pem, path);
	int st = system(cmd);
	unlink(path);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static mode_t mode_of(const char *dir, const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (st.st_mode & 07777) : (mode_t)-1;
}

/* The TRE of a device answers a vector made from the RO's K and OPc. */
static void check_aka(const char *devdir, const char *imsi, const char *k_hex, const char *opc_hex)
{
	uint8_t k[16], opc[16], rnd[16], snid[OM_SNID_LEN], amf[2] = { 0x80, 0x00 };
	struct om_milenage m;
	struct om_kdf kdf;
	struct om_eutran_vector v;
	struct om_usim_out out;
	struct om_tre *tre = NULL;
	struct om_tre_mid_info active;

	CHECK_INT(om_hex_decode(k, 16, k_hex), 0);
	CHECK_INT(om_hex_decode(opc, 16, opc_hex), 0);
	CHECK_INT(om_plmn_encode(snid, "001", "01"), 0);
	CHECK_INT(om_kdf_init(&kdf), 0);
	CHECK_INT(om_tre_open(&tre, devdir, OM_TRE_NO_FSYNC), 0);
	if (!tre)
		return;
	CHECK_INT(om_tre_active(tre, &active), 0);
	CHECK(strcmp(active.imsi, imsi) == 0);
	CHECK(active.is_pcid);

	/* the right credential: RES = XRES */
	check_random(rnd, sizeof(rnd));
	CHECK_INT(om_milenage_init(&m, k, opc), 0);
	CHECK_INT(om_vector_eutran_with_rand(&kdf, &m, rnd, 32, amf, snid, &v), 0);
	CHECK_INT(om_tre_aka(tre, v.rand, v.autn, &out), 0);
	CHECK_MEM(out.res, v.xres, OM_RES_LEN);
	om_usim_out_clear(&out);
	om_milenage_clear(&m);

	/* one bit off in K: the TRE refuses (the check above can fail) */
	k[0] ^= 1;
	CHECK_INT(om_milenage_init(&m, k, opc), 0);
	CHECK_INT(om_vector_eutran_with_rand(&kdf, &m, rnd, 64, amf, snid, &v), 0);
	CHECK_INT(om_tre_aka(tre, v.rand, v.autn, &out), OM_EAUTH_MAC);
	om_usim_out_clear(&out);
	om_milenage_clear(&m);
	om_kdf_clear(&kdf);
	om_tre_close(tre);
}

static void check_run(const char *out, X509_STORE *pva, const char *pva_pem, const char *ro_id)
{
	char dir[512], want[64];
	struct csv ro, dev, meas, owner;
	struct om_measurement ref[OM_FACTORY_N_COMPONENTS];

	join(dir, sizeof(dir), out, "ro");
	CHECK_INT(read_csv(&ro, dir, "pcid-credentials.csv", 4), 0);
	CHECK_INT(mode_of(dir, "pcid-credentials.csv"), 0600);
	CHECK(strcmp(ro.header, "imsi,k,opc,amf") == 0);
	join(dir, sizeof(dir), out, "pva");
	CHECK_INT(read_csv(&dev, dir, "devices.csv", 5), 0);
	CHECK_INT(read_csv(&meas, dir, "reference-measurements.csv", 4), 0);
	CHECK(strcmp(dev.header, "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64") == 0);
	CHECK(strcmp(meas.header, "model,firmware,component,sha256") == 0);
	join(dir, sizeof(dir), out, "owner");
	CHECK_INT(read_csv(&owner, dir, "delivery-note.csv", 6), 0);
	CHECK(strcmp(owner.header, "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret,model") == 0);
	/* issue 16: each row's model, the PVA file's (the owner's filter at the SHO, docs/owner.md "Model") */
	for (size_t i = 0; i < owner.n && i < dev.n; i++)
		CHECK_MSG(!strcmp(owner.f[i][5], dev.f[i][1]) && !strcmp(owner.f[i][0], dev.f[i][0]),
			  "row %zu: model %s, the PVA's %s", i, owner.f[i][5], dev.f[i][1]);
	CHECK_INT(mode_of(dir, "delivery-note.csv"), 0600); /* the claim secrets are the buyer's alone */
	CHECK_INT(mode_of(out, "owner"), 0700);
	/* the claim key drawn for the run, the manufacturer's alone */
	uint8_t claim_key[OM_CLAIM_KEY_LEN];
	join(dir, sizeof(dir), out, "manufacturer");
	CHECK_INT(mode_of(dir, "claim.key"), 0600);
	CHECK_INT(mode_of(out, "manufacturer"), 0700);
	{
		char kp[600];
		snprintf(kp, sizeof(kp), "%s/claim.key", dir);
		char *kt = (char *)check_slurp(kp, NULL);
		CHECK(kt && strlen(kt) == 65 && kt[64] == '\n');
		if (kt)
			kt[64] = 0;
		CHECK_INT(kt ? om_hex_decode(claim_key, sizeof(claim_key), kt) : -1, 0);
		free(kt);
	}
	CHECK_INT(ro.n, N_DEV);
	CHECK_INT(dev.n, N_DEV);
	CHECK_INT(owner.n, N_DEV);
	CHECK_INT(meas.n, OM_FACTORY_N_COMPONENTS);
	join(dir, sizeof(dir), out, "devices");
	CHECK_INT(du_count_entries(dir), N_DEV);
	CHECK_INT(du_count_entries(out), 5); /* devices ro pva owner manufacturer: no leftover parts */

	CHECK_INT(om_factory_measurements("M2ME-T", "2.1.0", ref), OM_FACTORY_N_COMPONENTS);
	for (size_t i = 0; i < meas.n && i < OM_FACTORY_N_COMPONENTS; i++) {
		CHECK(!strcmp(meas.f[i][0], "M2ME-T") && !strcmp(meas.f[i][1], "2.1.0"));
		CHECK(!strcmp(meas.f[i][2], ref[i].name));
		CHECK_HEX(ref[i].sha256, 32, meas.f[i][3]);
	}

	for (size_t i = 0; i < N_DEV && i < ro.n && i < dev.n && i < owner.n; i++) {
		/* sequential from serial 42 and MSIN 0000000100, in device order */
		snprintf(want, sizeof(want), "TRE-%08zu", 42 + i);
		CHECK_MSG(!strcmp(dev.f[i][0], want), "row %zu: %s, want %s", i, dev.f[i][0], want);
		CHECK(!strcmp(owner.f[i][0], want));
		snprintf(want, sizeof(want), "00101%010zu", 100 + i);
		CHECK_MSG(!strcmp(ro.f[i][0], want), "row %zu: %s, want %s", i, ro.f[i][0], want);
		CHECK(strlen(ro.f[i][1]) == 32 && strlen(ro.f[i][2]) == 32);
		CHECK(!strcmp(ro.f[i][3], "8000"));
		CHECK(!strcmp(dev.f[i][1], "M2ME-T") && !strcmp(dev.f[i][2], "2.1.0"));
		CHECK(!strcmp(owner.f[i][1], dev.f[i][3])); /* Cert_TRE = the signing certificate */
		CHECK(!strcmp(owner.f[i][2], dev.f[i][4])); /* Cert_TRE for PuK_TRE, for the new SHO */
		CHECK(!strcmp(owner.f[i][3], ro_id));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(ro.f[i][1], ro.f[j][1]) != 0); /* fresh K per device */

		X509 *s = cert_from_b64(dev.f[i][3]), *e = cert_from_b64(dev.f[i][4]);
		char cn[OM_NAME_MAX_LEN + 1];
		CHECK(s && e);
		if (s && e) {
			CHECK_INT(om_cert_verify(s, pva, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW), 0);
			CHECK_INT(om_cert_verify(e, pva, NULL, 0, OM_CERT_TRE_ENCRYPTION, OM_PKI_NOW), 0);
			CHECK_INT(om_cert_verify(s, pva, NULL, 0, OM_CERT_TRE_ENCRYPTION, OM_PKI_NOW), OM_EPKI_PURPOSE);
			CHECK(om_cert_subject_cn(s, cn) > 0 && !strcmp(cn, dev.f[i][0]));
			CHECK(om_cert_subject_cn(e, cn) > 0 && !strcmp(cn, dev.f[i][0]));
			if (i == 0) {
				CHECK_INT(openssl_verify(pva_pem, s), 0);
				CHECK_INT(openssl_verify(pva_pem, e), 0);
			}
		}
		/* the note's claim secret is the first owner's of the chain the signing certificate commits to */
		uint8_t claim[OM_CLAIM_LEN], want_claim[OM_CLAIM_LEN], verifier[OM_CLAIM_LEN];
		unsigned gens = 0;
		CHECK_INT(om_claim_parse(owner.f[i][4], claim), 0);
		CHECK_INT(om_claim_derive(claim_key, owner.f[i][0], 1, want_claim), 0);
		CHECK_MEM(claim, want_claim, OM_CLAIM_LEN);
		CHECK_INT(s ? om_claim_from_cert(s, verifier, &gens) : -1, 0);
		CHECK_INT(om_claim_check(owner.f[i][0], claim, verifier, gens), 1);
		CHECK_INT(e ? om_claim_from_cert(e, verifier, &gens) : -1, OM_EPKI_NO_CLAIM);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(owner.f[i][4], owner.f[j][4]) != 0);
		X509_free(s);
		X509_free(e);

		char devdir[600];
		snprintf(devdir, sizeof(devdir), "%s/devices/%s", out, dev.f[i][0]);
		check_aka(devdir, ro.f[i][0], ro.f[i][1], ro.f[i][2]);
	}
	free(ro.text);
	free(dev.text);
	free(meas.text);
	free(owner.text);
}

static void base_config(struct om_factory_config *c, const struct om_ca *ca, X509 *ro)
{
	memset(c, 0, sizeof(*c));
	c->pva_ca = ca;
	c->ro_cert = ro;
	c->mcc = "001";
	c->mnc = "01";
	c->msin_first = "0000000100";
	c->first_serial = 42;
	c->model = "M2ME-T";
	c->firmware = "2.1.0";
	c->n_devices = N_DEV;
	c->jobs = 3; /* blocks of 2, 2 and 3: order must not depend on it */
}

/* A refused run returns want and leaves root exactly as it was. */
static void check_refused(const struct om_factory_config *c, const char *out, int want)
{
	size_t before = du_count_entries(root);
	CHECK_INT(om_factory_run(out, c, NULL), want);
	CHECK_INT(du_count_entries(root), before);
}

static void check_refusals(const struct om_ca *ca, X509 *ro, X509 *tre_cert)
{
	struct om_factory_config c;
	struct factory_pcid_range r;
	char out[512], keep[600];

	join(out, sizeof(out), root, "refused");
	base_config(&c, ca, ro);
	c.msin_first = "9999999996"; /* 4 MSINs left, 7 asked */
	check_refused(&c, out, OM_EFACTORY_PCID_RANGE);
	CHECK_INT(factory_pcid_range(&r, "001", "01", "9999999996", 4), 0);
	CHECK_INT(factory_pcid_range(&r, "001", "01", "9999999996", 5), OM_EFACTORY_PCID_RANGE);
	CHECK_INT(factory_pcid_range(&r, "001", "001", "9999999996", 1), OM_EFACTORY_PCID); /* 16 digits */
	CHECK_INT(factory_pcid_range(&r, "01", "01", "1", 1), OM_EFACTORY_PCID);
	base_config(&c, ca, ro);
	c.first_serial = 99999999;
	check_refused(&c, out, OM_EFACTORY_SERIAL_RANGE);
	base_config(&c, ca, ro);
	c.model = "M2ME,T";
	check_refused(&c, out, OM_EFACTORY_NAME);
	base_config(&c, ca, ro);
	c.ro_id = "RO-other";
	check_refused(&c, out, OM_EFACTORY_RO_CERT);
	base_config(&c, ca, tre_cert);
	check_refused(&c, out, OM_EFACTORY_RO_CERT);

	/* a non-empty output directory is refused and left as it was */
	base_config(&c, ca, ro);
	CHECK_INT(mkdir(out, 0755), 0);
	join(keep, sizeof(keep), out, "keep");
	FILE *f = fopen(keep, "w");
	CHECK(f && fclose(f) == 0);
	check_refused(&c, out, OM_EFACTORY_OUT_NOT_EMPTY);
	CHECK_INT(du_count_entries(out), 1);
	unlink(keep);
	rmdir(out);
}

/* An existing empty directory is filled; OPc from the operator's OP; P-256 encryption keys. */
static void check_op_run(const struct om_ca *ca, X509 *ro, X509_STORE *pva)
{
	static const uint8_t op[16] = { 0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
					0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18 };
	struct om_factory_config c;
	struct om_factory_summary sum;
	struct csv ro_csv, dev;
	char out[512], dir[600];

	join(out, sizeof(out), root, "op-run");
	CHECK_INT(mkdir(out, 0755), 0);
	base_config(&c, ca, ro);
	c.n_devices = 2;
	c.op = op;
	c.enc_key = OM_KEY_EC_P256;
	c.owner_sho = "SHO-7";
	static const uint8_t claim_key[OM_CLAIM_KEY_LEN] = { 0xc1, 0xa1, 0x3 };
	c.claim_key = claim_key; /* the manufacturer's own key: no key file in the run */
	CHECK_INT(om_factory_run(out, &c, &sum), 0);
	CHECK_INT(du_count_entries(out), 4);
	{
		struct csv note;
		uint8_t got[OM_CLAIM_LEN], want[OM_CLAIM_LEN];
		join(dir, sizeof(dir), out, "owner");
		CHECK_INT(read_csv(&note, dir, "delivery-note.csv", 6), 0);
		CHECK_INT(note.n, 2);
		for (size_t i = 0; i < note.n; i++) {
			CHECK_INT(om_claim_parse(note.f[i][4], got), 0);
			CHECK_INT(om_claim_derive(claim_key, note.f[i][0], 1, want), 0);
			CHECK_MEM(got, want, OM_CLAIM_LEN);
		}
		free(note.text);
	}
	CHECK_INT(sum.devices, 2);
	CHECK(!strcmp(sum.first_tre_id, "TRE-00000042") && !strcmp(sum.last_imsi, "001010000000101"));
	join(dir, sizeof(dir), out, "ro");
	CHECK_INT(read_csv(&ro_csv, dir, "pcid-credentials.csv", 4), 0);
	join(dir, sizeof(dir), out, "pva");
	CHECK_INT(read_csv(&dev, dir, "devices.csv", 5), 0);
	for (size_t i = 0; i < ro_csv.n; i++) {
		uint8_t k[16], opc[16];
		CHECK_INT(om_hex_decode(k, 16, ro_csv.f[i][1]), 0);
		CHECK_INT(om_milenage_opc(opc, k, op), 0);
		CHECK_HEX(opc, 16, ro_csv.f[i][2]);
	}
	for (size_t i = 0; i < dev.n; i++) {
		X509 *e = cert_from_b64(dev.f[i][4]);
		CHECK(e && om_key_type_of(X509_get0_pubkey(e)) == OM_KEY_EC_P256);
		if (e)
			CHECK_INT(om_cert_verify(e, pva, NULL, 0, OM_CERT_TRE_ENCRYPTION, OM_PKI_NOW), 0);
		X509_free(e);
	}
	free(ro_csv.text);
	free(dev.text);
}

/*
 * Synthetic mode (Alternative 3): no RO file; each label's Ku, put through
 * f with the public range.txt, gives the credential the TRE answers AKA
 * with; the verifiers list commits to each Ku; Ku reaches no other file.
 */
static void check_synthetic_run(const struct om_ca *ca, X509 *ro)
{
	struct om_factory_config c;
	struct om_factory_summary sum;
	struct om_synth_range r;
	struct csv ver;
	char out[256], dir[300], path[400];

	join(out, sizeof(out), root, "synthetic");
	base_config(&c, ca, ro);
	c.n_devices = 3;
	c.msin_first = "0000000000";
	c.synth_count = 10000000000ull;
	CHECK_INT(om_factory_run(out, &c, &sum), 0);
	join(dir, sizeof(dir), out, "ro");
	CHECK_MSG(access(dir, F_OK) != 0, "a synthetic run writes no RO file");
	CHECK_INT(mode_of(out, "labels"), 0700);
	join(dir, sizeof(dir), out, "synthetic");
	unsigned char *range = check_slurp((snprintf(path, sizeof(path), "%s/range.txt", dir), path), NULL);
	CHECK(range && !strcmp((char *)range, "mcc=001 mnc=01 msin_first=0000000000 count=10000000000 apn=ro.m2m\n"));
	free(range);
	CHECK_INT(om_synth_range_set(&r, "001", "01", "0000000000", 10000000000ull), 0);
	CHECK_INT(read_csv(&ver, dir, "verifiers.csv", 2), 0);
	CHECK(!strcmp(ver.header, "tre_id,verifier"));
	CHECK_INT(ver.n, 3);
	for (size_t i = 0; i < ver.n; i++) {
		char label[400], text[200], ku_text[64], k_hex[33], opc_hex[33], devdir[300];
		uint8_t ku[16], verifier[16];
		struct om_mcim m;
		snprintf(label, sizeof(label), "%s/labels/%s.txt", out, ver.f[i][0]);
		snprintf(text, sizeof(text), "%s.txt", ver.f[i][0]);
		join(devdir, sizeof(devdir), out, "labels");
		CHECK_INT(mode_of(devdir, text), 0600);
		unsigned char *l = check_slurp(label, NULL);
		CHECK(l && sscanf((char *)l, "TRE_id: %*s Ku: %63s", ku_text) == 1);
		free(l);
		CHECK_INT(om_synth_ku_parse(ku_text, ku), 0);
		CHECK_INT(om_synth_derive(ku, &r, &m, verifier), 0);
		CHECK_HEX(verifier, 16, ver.f[i][1]);
		om_hex_encode(k_hex, m.k, 16);
		om_hex_encode(opc_hex, m.opc, 16);
		snprintf(devdir, sizeof(devdir), "%s/devices/%s", out, ver.f[i][0]);
		check_aka(devdir, m.imsi, k_hex, opc_hex);
		/* Ku is on the label only: not in the public files, not in the TRE's */
		snprintf(path, sizeof(path), "%s/verifiers.csv", dir);
		CHECK(!check_file_has(path, ku, 16) && !check_file_has(path, ku_text, strlen(ku_text)));
		snprintf(path, sizeof(path), "%s/pva/devices.csv", out);
		CHECK(!check_file_has(path, ku_text, strlen(ku_text)));
		om_mcim_clear(&m);
	}
	free(ver.text);

	/* a range that is not at least twice the run is refused, nothing written */
	base_config(&c, ca, ro);
	c.synth_count = 2 * N_DEV - 1;
	join(out, sizeof(out), root, "synthetic-refused");
	check_refused(&c, out, OM_EFACTORY_PCID_RANGE);
	c.synth_count = 2 * N_DEV;
	c.msin_first = "9999999990"; /* 10 MSINs left in the width */
	check_refused(&c, out, OM_EFACTORY_PCID_RANGE);
}

int main(void)
{
	char cas[512], path[512], out[512];
	X509 *pva_cert = NULL, *ro = NULL, *tre_cert = NULL;
	EVP_PKEY *pva_key = NULL;
	struct om_ca *ca = NULL;
	X509_STORE *store = NULL;
	struct om_factory_config c;
	struct om_factory_summary sum;

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	join(cas, sizeof(cas), root, "cas");
	CHECK_INT(om_factory_init_cas(cas, "Test PVA", "RO-test"), 0);
	CHECK_INT(om_factory_init_cas(cas, "Test PVA", "RO-test"), OM_EFACTORY_OUT_NOT_EMPTY);
	CHECK_INT(mode_of(cas, "pva-ca.key"), 0600);
	join(path, sizeof(path), cas, "pva-ca.pem");
	CHECK_INT(om_cert_load(&pva_cert, path), 0);
	char pva_pem[512];
	snprintf(pva_pem, sizeof(pva_pem), "%s", path);
	join(path, sizeof(path), cas, "pva-ca.key");
	CHECK_INT(om_key_load(&pva_key, path), 0);
	join(path, sizeof(path), cas, "ro-signing.pem");
	CHECK_INT(om_cert_load(&ro, path), 0);
	CHECK_INT(om_ca_open(&ca, pva_cert, pva_key), 0);
	CHECK_INT(om_trust_new(&store, &pva_cert, 1), 0);
	if (!ca || !ro || !store)
		goto out;
	CHECK_INT(om_cert_check_profile(ro, OM_CERT_SHO_SIGNING), 0);

	join(out, sizeof(out), root, "run");
	base_config(&c, ca, ro);
	CHECK_INT(om_factory_run(out, &c, &sum), 0);
	CHECK_INT(sum.devices, N_DEV);
	CHECK(!strcmp(sum.first_tre_id, "TRE-00000042") && !strcmp(sum.last_tre_id, "TRE-00000048"));
	check_run(out, store, pva_pem, "RO-test");

	/* a TRE certificate from this run is no RO certificate */
	{
		struct csv dev;
		join(path, sizeof(path), out, "pva");
		if (read_csv(&dev, path, "devices.csv", 5) == 0 && dev.n > 0)
			tre_cert = cert_from_b64(dev.f[0][3]);
		free(dev.text);
		CHECK(tre_cert != NULL);
	}
	if (tre_cert)
		check_refusals(ca, ro, tre_cert);
	check_op_run(ca, ro, store);
	check_synthetic_run(ca, ro);
out:
	X509_STORE_free(store);
	om_ca_free(ca);
	X509_free(pva_cert);
	X509_free(ro);
	X509_free(tre_cert);
	EVP_PKEY_free(pva_key);
	factory_outdir_abort(root);
	return check_done();
}
