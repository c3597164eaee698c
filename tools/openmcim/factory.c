/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim factory: a production run of the M2MES / TRE manufacturer
 * (spec/002 B.2.2.1), and `openmcim factory init-cas` for a lab's CAs.
 * The work is om_factory_run(); this file reads the options and the CA
 * files and turns codes into one-line messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <openssl/crypto.h>

#include <openmcim/claim.h>
#include <openmcim/hex.h>

#include "commands.h"
#include "factory.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: openmcim factory --devices N --out DIR --pva-ca CERT.pem --pva-key KEY.pem\n"
		"                        --ro-cert CERT.pem --pcid-mcc MCC --pcid-mnc MNC --pcid-first MSIN\n"
		"                        [options]\n"
		"       openmcim factory init-cas --out DIR [--pva-name NAME] [--ro-id ID]\n"
		"       openmcim factory claim --claim-key FILE --tre-id ID [--generation G]\n"
		"\n"
		"A production run (TR 33.812 B.2.2.1): per device a TRE_id, a signing key pair (EC P-256),\n"
		"an encryption key pair, one CSR, both certificates from the PVA's CA, a PCID with K and\n"
		"OPc from the RO's range, the trust root Cert_SHO[0] and the reference measurements,\n"
		"written into DIR/devices/<TRE_id>; the import files DIR/ro/pcid-credentials.csv (0600),\n"
		"DIR/pva/devices.csv, DIR/pva/reference-measurements.csv, DIR/owner/delivery-note.csv\n"
		"(0600: it holds each device's owner claim secret, whose verifier Cert_TRE carries).\n"
		"DIR must not exist or be empty; nothing is left behind on failure.\n"
		"\n"
		"  --devices N       number of TREs to personalise\n"
		"  --out DIR         output directory\n"
		"  --pva-ca FILE     the PVA's CA certificate (PEM); --pva-key FILE its key (PKCS#8 PEM)\n"
		"  --ro-cert FILE    Cert_SHO[0], the RO's SHO_SIGNING (or root) certificate (PEM)\n"
		"  --ro-id ID        the RO's id; must be the CN of --ro-cert (default: that CN)\n"
		"  --owner-sho ID    sho_id of the delivery note (default: the RO's id)\n"
		"  --pcid-mcc MCC    3 digits;  --pcid-mnc MNC  2 or 3 digits\n"
		"  --pcid-first MSIN first MSIN; its digit count is the MSIN width (IMSI <= 15 digits)\n"
		"  --pcid-apn APN    APN of the PCID credential (default " OM_FACTORY_DEFAULT_APN ")\n"
		"  --synthetic COUNT Alternative 3: each TRE gets f(Ku) drawn into the COUNT MSINs from\n"
		"                    --pcid-first instead of a PCID; Ku on DIR/labels/<TRE_id>.txt\n"
		"  --op HEX          the RO's OP (16 bytes): OPc derived per device (default: random OPc)\n"
		"  --model NAME      TRE type (default " OM_FACTORY_DEFAULT_MODEL ")\n"
		"  --firmware VER    firmware version (default " OM_FACTORY_DEFAULT_FIRMWARE ")\n"
		"  --tre-prefix P    TRE_id = P-<8 digits> (default " OM_FACTORY_DEFAULT_PREFIX ")\n"
		"  --first-serial S  first TRE serial (default 1)\n"
		"  --enc-key TYPE    encryption key: x25519 (default), p256 or rsa2048; with --tre tpm\n"
		"                    or pkcs11 p256 only (default), made in the TPM or the token\n"
		"  --jobs J          worker threads (default: one per CPU)\n"
		"  --fsync           fsync each TRE as it is written (default: one sync at the end)\n"
		"  --quiet           no progress line\n"
		"  --claim-key FILE  the manufacturer's owner claim key (64 hex digits; default: a fresh\n"
		"                    one, written to DIR/manufacturer/claim.key, 0600)\n"
		"  --tre KIND        the TRE's backend (docs/tre.md): soft (default; a key file, NOT\n"
		"                    protected: labs and development), tpm or pkcs11\n"
		"  --tpm-tcti T      tpm: the tpm2-tss TCTI of each device's TPM; {tre_id} is replaced by\n"
		"                    the device's TRE_id (default: the TSS's default TPM)\n"
		"  --p11-module F    pkcs11: the module (.so); --p11-token LABEL the token;\n"
		"  --p11-pin-file F  pkcs11: a file whose first line is the token's user PIN\n"
		"\n"
		"init-cas writes pva-ca.pem/.key, ro-root.pem/.key and ro-signing.pem/.key (the\n"
		"Cert_SHO[0] for --ro-cert) into DIR. Defaults: --pva-name \"openmcim PVA\", --ro-id RO-1.\n"
		"\n"
		"claim prints the owner claim secret of generation G (default 2: the first resale) for\n"
		"a device of a run made with that claim key: the manufacturer gives it to a buyer, whose\n"
		"registration then takes the device from the previous owner's account at any SHO.\n");
}

enum opt_id {
	O_DEVICES, O_OUT, O_PVA_CA, O_PVA_KEY, O_RO_CERT, O_RO_ID, O_OWNER, O_MCC, O_MNC, O_FIRST,
	O_APN, O_OP, O_MODEL, O_FIRMWARE, O_PREFIX, O_SERIAL, O_ENC, O_JOBS, O_PVA_NAME, O_CLAIM_KEY, O_TRE_ID,
	O_GENERATION, O_TRE, O_TCTI, O_P11_MODULE, O_P11_TOKEN, O_P11_PIN, O_SYNTH, O_N
};

static const char *const names[O_N] = {
	"--devices", "--out", "--pva-ca", "--pva-key", "--ro-cert", "--ro-id", "--owner-sho",
	"--pcid-mcc", "--pcid-mnc", "--pcid-first", "--pcid-apn", "--op", "--model", "--firmware",
	"--tre-prefix", "--first-serial", "--enc-key", "--jobs", "--pva-name", "--claim-key", "--tre-id",
	"--generation", "--tre", "--tpm-tcti", "--p11-module", "--p11-token", "--p11-pin-file", "--synthetic",
};

struct args {
	const char *v[O_N];
	int fsync, quiet, help;
};

static int bad(const char *cmd, const char *what, const char *why)
{
	fprintf(stderr, "openmcim %s: %s: %s\n", cmd, what, why);
	return CLI_EUSAGE;
}

/* Options `--name VALUE` or `--name=VALUE`, each at most once. */
static int parse(const char *cmd, int argc, char **argv, int first, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			a->help = 1;
			return 0;
		}
		if (!strcmp(arg, "--fsync") || !strcmp(arg, "--quiet")) {
			*(arg[2] == 'f' ? &a->fsync : &a->quiet) = 1;
			continue;
		}
		size_t nl = strcspn(arg, "=");
		int id = -1;
		for (int k = 0; k < O_N; k++)
			if (strlen(names[k]) == nl && !strncmp(arg, names[k], nl))
				id = k;
		if (id < 0)
			return bad(cmd, arg, "unknown option (see --help)");
		if (a->v[id])
			return bad(cmd, names[id], "given twice");
		if (arg[nl] == '=')
			a->v[id] = arg + nl + 1;
		else if (i + 1 < argc)
			a->v[id] = argv[++i];
		else
			return bad(cmd, names[id], "needs a value");
	}
	return 0;
}

/* The output's parent must exist: a run creates one directory, not a path. */
static int check_parent(const char *cmd, const char *out)
{
	char parent[4096];
	struct stat st;
	size_t len = strlen(out);
	if (len == 0 || len >= sizeof(parent))
		return bad(cmd, "--out", "empty or too long");
	memcpy(parent, out, len + 1);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = 0;
	char *slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	slash[slash == parent ? 1 : 0] = 0;
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		return bad(cmd, "--out", "its parent directory does not exist");
	return 0;
}

static int parse_count(const char *cmd, const char *name, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		return bad(cmd, name, "not a positive integer");
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return bad(cmd, name, "not a positive integer in range");
	*out = v;
	return 0;
}

static int load_ca(const char *cmd, const struct args *a, X509 **cert, EVP_PKEY **key, struct om_ca **ca)
{
	char why[160];
	int rc;
	if ((rc = om_cert_load(cert, a->v[O_PVA_CA])) < 0) {
		snprintf(why, sizeof(why), "cannot read a PEM certificate from %s (%s)", a->v[O_PVA_CA], om_strerror(rc));
		return bad(cmd, "--pva-ca", why);
	}
	if ((rc = om_key_load(key, a->v[O_PVA_KEY])) < 0) {
		snprintf(why, sizeof(why), "cannot read a PKCS#8 PEM key from %s (%s)", a->v[O_PVA_KEY], om_strerror(rc));
		return bad(cmd, "--pva-key", why);
	}
	if ((rc = om_ca_open(ca, *cert, *key)) < 0)
		return bad(cmd, "--pva-ca/--pva-key", om_strerror(rc));
	return 0;
}

static int parse_enc(const char *cmd, const char *s, enum om_key_type *out)
{
	if (!s)
		return 0; /* the run's default: x25519, p256 with --tre tpm */
	if (!strcmp(s, "x25519"))
		*out = OM_KEY_X25519;
	else if (!strcmp(s, "p256"))
		*out = OM_KEY_EC_P256;
	else if (!strcmp(s, "rsa2048"))
		*out = OM_KEY_RSA_2048;
	else
		return bad(cmd, "--enc-key", "must be x25519, p256 or rsa2048");
	return 0;
}

/* --tre and its options into cfg->tre; the PIN read into pin. */
static int parse_tre(const char *cmd, const struct args *a, struct om_tre_backend *be, char pin[static 256])
{
	int kind = OM_TRE_BACKEND_SOFT;
	if (a->v[O_TRE] && om_tre_backend_parse(a->v[O_TRE], &kind) < 0)
		return bad(cmd, "--tre", "must be soft, tpm or pkcs11");
	if (a->v[O_TCTI] && kind != OM_TRE_BACKEND_TPM)
		return bad(cmd, "--tpm-tcti", "only with --tre tpm");
	int p11 = a->v[O_P11_MODULE] || a->v[O_P11_TOKEN] || a->v[O_P11_PIN];
	if (p11 && kind != OM_TRE_BACKEND_PKCS11)
		return bad(cmd, "--p11-module/--p11-token/--p11-pin-file", "only with --tre pkcs11");
	be->kind = kind;
	be->tpm_tcti = a->v[O_TCTI];
	if (kind != OM_TRE_BACKEND_PKCS11)
		return 0;
	if (!a->v[O_P11_MODULE] || !a->v[O_P11_TOKEN] || !a->v[O_P11_PIN])
		return bad(cmd, "--p11-module/--p11-token/--p11-pin-file", "all three are needed with --tre pkcs11");
	/* the PIN from a file, never from argv (ps shows argv to everyone) */
	FILE *f = fopen(a->v[O_P11_PIN], "r");
	int ok = f && fgets(pin, 256, f);
	if (f)
		fclose(f);
	pin[ok ? strcspn(pin, "\r\n") : 0] = 0;
	if (!pin[0])
		return bad(cmd, "--p11-pin-file", "cannot read a PIN from that file");
	be->p11_module = a->v[O_P11_MODULE];
	be->p11_token = a->v[O_P11_TOKEN];
	be->p11_pin = pin;
	return 0;
}

/* Which option a refused configuration points at. */
static int run_error(const char *cmd, int rc, const struct args *a, size_t n)
{
	char why[200];
	switch (rc) {
	case OM_EFACTORY_PCID_RANGE:
		if (a->v[O_SYNTH])
			return bad(cmd, "--synthetic", "the range must fit the MSIN width and hold twice --devices");
		snprintf(why, sizeof(why), "%zu PCIDs from MSIN %s overflow the %zu-digit MSIN range", n,
			 a->v[O_FIRST], strlen(a->v[O_FIRST]));
		return bad(cmd, "--pcid-first", why);
	case OM_EFACTORY_PCID:
		return bad(cmd, "--pcid-mcc/--pcid-mnc/--pcid-first",
			   "MCC is 3 digits, MNC 2 or 3, MSIN digits, the IMSI 6 to 15 digits");
	case OM_EFACTORY_SERIAL_RANGE:
		return bad(cmd, "--first-serial", "the TRE serials overflow 8 digits");
	case OM_EFACTORY_NAME:
		return bad(cmd, "--model/--firmware/--tre-prefix/--pcid-apn/--owner-sho",
			   "a name is empty, too long or has characters outside [A-Za-z0-9._-]");
	case OM_EFACTORY_RO_CERT:
		return bad(cmd, "--ro-cert", "not an SHO_SIGNING or ROOT_CA certificate, or its CN is not --ro-id");
	case OM_EPKI_EXPIRED:
	case OM_EPKI_NOT_YET_VALID:
		return bad(cmd, "--ro-cert", om_strerror(rc));
	case OM_EFACTORY_OUT_NOT_EMPTY:
		snprintf(why, sizeof(why), "%s exists and is not an empty directory", a->v[O_OUT]);
		return bad(cmd, "--out", why);
	default:
		fprintf(stderr, "openmcim %s: production run failed: %s (%s); nothing written to %s\n", cmd,
			om_strerror(rc), om_errname(rc), a->v[O_OUT]);
		return 1;
	}
}

/* The claim key file: one line of 64 hex digits. */
static int read_claim_key(const char *cmd, const char *path, uint8_t key[static OM_CLAIM_KEY_LEN])
{
	char line[2 * OM_CLAIM_KEY_LEN + 8] = "";
	FILE *f = fopen(path, "r");
	int ok = f && fgets(line, sizeof(line), f);
	if (f)
		fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	ok = ok && om_hex_decode(key, OM_CLAIM_KEY_LEN, line) == 0;
	OPENSSL_cleanse(line, sizeof(line));
	return ok ? 0 : bad(cmd, "--claim-key", "cannot read 64 hex digits from that file");
}

/* A subcommand's options (from argv[2]), only those allowed: 0 to go on, -1 after --help, else the usage code. */
static int sub_args(const char *cmd, int argc, char **argv, const enum opt_id *allowed, size_t n_allowed,
		    struct args *a)
{
	int rc = parse(cmd, argc, argv, 2, a);
	if (rc)
		return rc;
	if (a->help) {
		usage(stdout);
		return -1;
	}
	for (int k = 0; k < O_N; k++) {
		int ok = 0;
		for (size_t i = 0; i < n_allowed; i++)
			ok |= (int)allowed[i] == k;
		if (a->v[k] && !ok)
			return bad(cmd, names[k], "not an option of this command");
	}
	return 0;
}

/* `factory claim`: a later owner's claim secret, for a resale through the manufacturer. */
static int claim(const char *cmd, int argc, char **argv)
{
	struct args a;
	uint8_t key[OM_CLAIM_KEY_LEN], c[OM_CLAIM_LEN];
	char text[OM_CLAIM_TEXT_LEN + 1];
	uint64_t g = 2;
	static const enum opt_id allowed[] = { O_CLAIM_KEY, O_TRE_ID, O_GENERATION };
	int rc = sub_args(cmd, argc, argv, allowed, 3, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!a.v[O_CLAIM_KEY] || !a.v[O_TRE_ID])
		return bad(cmd, a.v[O_CLAIM_KEY] ? "--tre-id" : "--claim-key", "missing");
	if (a.v[O_GENERATION] && (rc = parse_count(cmd, "--generation", a.v[O_GENERATION], OM_CLAIM_GENERATIONS, &g)))
		return rc;
	if ((rc = read_claim_key(cmd, a.v[O_CLAIM_KEY], key)) != 0)
		return rc;
	rc = om_claim_derive(key, a.v[O_TRE_ID], (unsigned)g, c);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0)
		return bad(cmd, "--tre-id/--generation", "not a TRE_id, or a generation outside 1..32");
	om_claim_text(c, text);
	printf("%s generation=%u claim=%s\n", a.v[O_TRE_ID], (unsigned)g, text);
	OPENSSL_cleanse(c, sizeof(c));
	OPENSSL_cleanse(text, sizeof(text));
	return 0;
}

static int init_cas(const char *cmd, int argc, char **argv)
{
	struct args a;
	static const enum opt_id allowed[] = { O_OUT, O_PVA_NAME, O_RO_ID };
	int rc = sub_args(cmd, argc, argv, allowed, 3, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!a.v[O_OUT])
		return bad(cmd, "--out", "missing");
	if ((rc = check_parent(cmd, a.v[O_OUT])) != 0)
		return rc;
	const char *ro = a.v[O_RO_ID] ? a.v[O_RO_ID] : "RO-1";
	rc = om_factory_init_cas(a.v[O_OUT], a.v[O_PVA_NAME] ? a.v[O_PVA_NAME] : "openmcim PVA", ro);
	if (rc == OM_EFACTORY_OUT_NOT_EMPTY)
		return bad(cmd, "--out", "exists and is not an empty directory");
	if (rc == OM_EFACTORY_NAME)
		return bad(cmd, "--pva-name/--ro-id", "empty, too long or characters outside [A-Za-z0-9._-: ]");
	if (rc < 0) {
		fprintf(stderr, "openmcim %s: %s (%s)\n", cmd, om_strerror(rc), om_errname(rc));
		return 1;
	}
	printf("init-cas: %s/pva-ca.pem, %s/ro-signing.pem (Cert_SHO[0], CN=%s), keys 0600\n", a.v[O_OUT],
	       a.v[O_OUT], ro);
	return 0;
}

int cmd_factory(int argc, char **argv)
{
	const char *cmd = "factory";
	struct args a;
	struct om_factory_config cfg;
	struct om_factory_summary sum;
	X509 *ca_cert = NULL, *ro_cert = NULL;
	EVP_PKEY *ca_key = NULL;
	struct om_ca *ca = NULL;
	uint8_t op[16], claim_key[OM_CLAIM_KEY_LEN];
	char pin[256] = "";
	uint64_t n = 0, serial = 1, jobs = 0;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "init-cas"))
		return init_cas("factory init-cas", argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "claim"))
		return claim("factory claim", argc, argv);
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = parse(cmd, argc, argv, 1, &a)) != 0)
		goto out;
	if (a.help) {
		usage(stdout);
		goto out;
	}
	static const enum opt_id required[] = { O_DEVICES, O_OUT, O_PVA_CA, O_PVA_KEY, O_RO_CERT,
						O_MCC, O_MNC, O_FIRST };
	for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (!a.v[required[k]]) {
			rc = bad(cmd, names[required[k]], "missing (see --help)");
			goto out;
		}
	if (a.v[O_PVA_NAME] || a.v[O_TRE_ID] || a.v[O_GENERATION]) {
		rc = bad(cmd, a.v[O_PVA_NAME] ? "--pva-name" : a.v[O_TRE_ID] ? "--tre-id" : "--generation",
			 "not an option of a production run");
		goto out;
	}
	if (a.v[O_CLAIM_KEY]) {
		if ((rc = read_claim_key(cmd, a.v[O_CLAIM_KEY], claim_key)) != 0)
			goto out;
		cfg.claim_key = claim_key;
	}
	if ((rc = check_parent(cmd, a.v[O_OUT])) != 0 ||
	    (rc = parse_count(cmd, "--devices", a.v[O_DEVICES], 99999999, &n)) != 0 ||
	    (a.v[O_SERIAL] && (rc = parse_count(cmd, "--first-serial", a.v[O_SERIAL], 99999999, &serial)) != 0) ||
	    (a.v[O_JOBS] && (rc = parse_count(cmd, "--jobs", a.v[O_JOBS], 256, &jobs)) != 0) ||
	    (a.v[O_SYNTH] && (rc = parse_count(cmd, "--synthetic", a.v[O_SYNTH], 999999999999ull, &cfg.synth_count)) != 0) ||
	    (rc = parse_enc(cmd, a.v[O_ENC], &cfg.enc_key)) != 0 || (rc = parse_tre(cmd, &a, &cfg.tre, pin)) != 0)
		goto out;
	/* PrK_TRE made in the TPM or the token: P-256 for ECDH (docs/tre.md "Backends") */
	if ((cfg.tre.kind == OM_TRE_BACKEND_TPM || cfg.tre.kind == OM_TRE_BACKEND_PKCS11) && cfg.enc_key &&
	    cfg.enc_key != OM_KEY_EC_P256) {
		rc = bad(cmd, "--enc-key", "must be p256 with --tre tpm or pkcs11 (the key is made in the hardware)");
		goto out;
	}
	if (a.v[O_OP]) {
		if (strlen(a.v[O_OP]) != 32 || om_hex_decode(op, sizeof(op), a.v[O_OP]) < 0) {
			rc = bad(cmd, "--op", "must be 32 hex digits (16 bytes)");
			goto out;
		}
		cfg.op = op;
	}
	if ((rc = load_ca(cmd, &a, &ca_cert, &ca_key, &ca)) != 0)
		goto out;
	if ((rc = om_cert_load(&ro_cert, a.v[O_RO_CERT])) < 0) {
		rc = bad(cmd, "--ro-cert", "cannot read a PEM certificate from that file");
		goto out;
	}
	cfg.pva_ca = ca;
	cfg.ro_cert = ro_cert;
	cfg.ro_id = a.v[O_RO_ID];
	cfg.owner_sho = a.v[O_OWNER];
	cfg.mcc = a.v[O_MCC];
	cfg.mnc = a.v[O_MNC];
	cfg.msin_first = a.v[O_FIRST];
	cfg.apn = a.v[O_APN];
	cfg.tre_prefix = a.v[O_PREFIX];
	cfg.first_serial = serial;
	cfg.model = a.v[O_MODEL];
	cfg.firmware = a.v[O_FIRMWARE];
	cfg.n_devices = (size_t)n;
	cfg.jobs = (unsigned)jobs;
	cfg.flags = (a.quiet ? 0 : OM_FACTORY_PROGRESS) | (a.fsync ? OM_FACTORY_FSYNC : 0);
	if ((rc = om_factory_run(a.v[O_OUT], &cfg, &sum)) < 0) {
		rc = run_error(cmd, rc, &a, (size_t)n);
		goto out;
	}
	if (cfg.synth_count)
		printf("factory: %zu devices %s..%s, synthetic credentials (labels in %s/labels), %u jobs, %.2f s -> %s\n",
		       sum.devices, sum.first_tre_id, sum.last_tre_id, a.v[O_OUT], sum.jobs, sum.seconds, a.v[O_OUT]);
	else
	printf("factory: %zu devices %s..%s, PCID %s..%s, %u jobs, %.2f s (%.0f devices/s) -> %s\n",
	       sum.devices, sum.first_tre_id, sum.last_tre_id, sum.first_imsi, sum.last_imsi, sum.jobs,
	       sum.seconds, sum.seconds > 0 ? (double)sum.devices / sum.seconds : 0.0, a.v[O_OUT]);
	rc = 0;
out:
	OPENSSL_cleanse(op, sizeof(op));
	OPENSSL_cleanse(claim_key, sizeof(claim_key));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (a.v[O_OP]) /* the OP is secret: no copy left in argv */
		OPENSSL_cleanse((char *)a.v[O_OP], strlen(a.v[O_OP]));
	om_ca_free(ca);
	X509_free(ca_cert);
	X509_free(ro_cert);
	EVP_PKEY_free(ca_key);
	return rc;
}
