/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim factory` as a process ($OM_CLI): init-cas, a small run with its
 * summary line, --help, and each kind of bad argument: exit 2, one line on
 * stderr naming the option, and no output directory left behind.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openmcim/claim.h>
#include <openmcim/hex.h>
#include <openmcim/tre.h>

#include "check.h"
#include "daemon_util.h"
#include "hw_token.h"

struct run {
	int status;
	char out[4096];
	char err[4096];
};

static char root[] = "/tmp/om-factory-cli-test-XXXXXX";

/* Run $OM_CLI factory args... (NULL-terminated). stderr is not a tty here. */
static void run_cli(struct run *r, const char *const *args)
{
	const char *cli = getenv("OM_CLI");
	const char *argv[48];
	int n = 0;
	if (!cli) {
		fprintf(stderr, "OM_CLI is not set: run the test through ctest\n");
		exit(1);
	}
	argv[n++] = cli;
	argv[n++] = "factory";
	for (size_t i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r->status = du_run_split(argv, r->out, sizeof(r->out), r->err, sizeof(r->err));
}

static int one_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return nl && nl[1] == 0;
}

static char cas[600], ca_pem[700], ca_key[700], ro_pem[700], out[600], junk[600];

/* A usage error: exit 2, one line mentioning what, root unchanged. */
static void check_usage(const char *what, const char *const *args)
{
	struct run r;
	size_t before = du_count_entries(root);
	run_cli(&r, args);
	CHECK_MSG(r.status == 2, "%s: exit %d, stderr %s", what, r.status, r.err);
	CHECK_MSG(one_line(r.err), "%s: stderr is not one line: %s", what, r.err);
	CHECK_MSG(strstr(r.err, what) != NULL, "stderr does not name %s: %s", what, r.err);
	CHECK_INT(du_count_entries(root), before);
}

#define RUN_ARGS(...)                                                                               \
	(const char *const[])                                                                      \
	{                                                                                          \
		"--out", out, "--pva-ca", ca_pem, "--pva-key", ca_key, "--ro-cert", ro_pem,        \
			"--pcid-mcc", "001", "--pcid-mnc", "01", __VA_ARGS__, NULL                 \
	}

/*
 * A run of 3 devices with --tre kind and extra options: it ends ok, each TRE
 * holds marker and opens on be (the device's configuration), and not as a
 * software TRE (OM_ETRE_BACKEND) unless it is one.
 */
static void run_backend(const char *kind, const char *marker, const char *const *extra,
			const struct om_tre_backend *be)
{
	struct run r;
	char outdir[700];
	const char *args[40];
	size_t n = 0;
	snprintf(outdir, sizeof(outdir), "%s/run-%s", root, kind);
	const char *base[] = { "--out", outdir, "--pva-ca", ca_pem, "--pva-key", ca_key, "--ro-cert", ro_pem,
			       "--pcid-mcc", "001", "--pcid-mnc", "01", "--pcid-first", "0000000001",
			       "--devices", "3", "--tre", kind, NULL };
	for (size_t i = 0; base[i]; i++)
		args[n++] = base[i];
	for (size_t i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	run_cli(&r, args);
	CHECK_MSG(r.status == 0, "factory --tre %s: exit %d: %s", kind, r.status, r.err);
	CHECK_MSG(strstr(r.out, "factory: 3 devices TRE-00000001..TRE-00000003") == r.out, "--tre %s: %s", kind, r.out);
	for (int i = 1; i <= 3; i++) {
		char dir[800], path[900];
		struct om_tre *tre = NULL;
		struct om_tre_status s;
		snprintf(dir, sizeof(dir), "%s/devices/TRE-%08d", outdir, i);
		snprintf(path, sizeof(path), "%s/%s", dir, marker);
		CHECK_MSG(access(path, F_OK) == 0, "--tre %s: no %s", kind, path);
		int rc = om_tre_open_backend(&tre, dir, be, 0);
		CHECK_MSG(rc == 0, "--tre %s: %s does not open: %s", kind, dir, om_errname(rc));
		if (be) {
			struct om_tre *soft = NULL;
			CHECK_INT(om_tre_open(&soft, dir, 0), OM_ETRE_BACKEND);
			om_tre_close(soft);
		}
		if (tre) {
			CHECK_INT(om_tre_status(tre, &s), 0);
			CHECK(s.n_mids == 1 && s.n_blocked == 0);
			/* with a TPM or a token, PrK_TRE was made in it (the CSR signed there) */
			CHECK_MSG(s.keys_in_tpm == (be && be->kind == OM_TRE_BACKEND_TPM), "--tre %s: keys_in_tpm %d", kind,
				  s.keys_in_tpm);
			CHECK_MSG(s.keys_in_token == (be && be->kind == OM_TRE_BACKEND_PKCS11), "--tre %s: keys_in_token %d",
				  kind, s.keys_in_token);
		}
		om_tre_close(tre);
	}
}

/*
 * `--tre soft|tpm|pkcs11` (issue 18) on the secure hardware the test starts
 * itself (tests/hw_token.h: a missing swtpm or softhsm2 fails the test),
 * and one backend's options with another refused.
 */
static void test_each_tre_backend(void)
{
	struct t_swtpm tpm;
	struct t_softhsm hsm;
	if (t_swtpm_start(&tpm) != 0 || t_softhsm_init(&hsm, "factory", NULL) != 0) {
		CHECK_MSG(0, "swtpm or SoftHSM2 missing (scripts/deps.sh test installs them)");
		return;
	}
	run_backend("soft", "seal.key", NULL, NULL);
	run_backend("tpm", "tpm.ctx", (const char *const[]){ "--tpm-tcti", tpm.tcti, NULL },
		    &(struct om_tre_backend){ .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tpm.tcti });
	char pin_file[700];
	snprintf(pin_file, sizeof(pin_file), "%s/pin", root);
	CHECK_INT(du_write_file(pin_file, hsm.pin), 0);
	run_backend("pkcs11", "p11.ctx",
		    (const char *const[]){ "--p11-module", hsm.module, "--p11-token", hsm.label, "--p11-pin-file",
					   pin_file, NULL },
		    &(struct om_tre_backend){ .kind = OM_TRE_BACKEND_PKCS11, .p11_module = hsm.module,
					      .p11_token = hsm.label, .p11_pin = hsm.pin });
	check_usage("--tpm-tcti", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--tpm-tcti", tpm.tcti));
	check_usage("--tre", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--tre", "tpm2"));
	check_usage("--p11-pin-file", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--tre", "pkcs11"));
	/* so does a PKCS#11 token (issue 18: PrK_TRE generated in it) */
	check_usage("--enc-key", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--tre", "pkcs11", "--p11-module",
					  hsm.module, "--p11-token", hsm.label, "--p11-pin-file", pin_file, "--enc-key",
					  "x25519"));
	t_swtpm_stop(&tpm);
	t_softhsm_free(&hsm);
}

int main(void)
{
	struct run r;
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cas, sizeof(cas), "%s/cas", root);
	snprintf(ca_pem, sizeof(ca_pem), "%s/pva-ca.pem", cas);
	snprintf(ca_key, sizeof(ca_key), "%s/pva-ca.key", cas);
	snprintf(ro_pem, sizeof(ro_pem), "%s/ro-signing.pem", cas);
	snprintf(out, sizeof(out), "%s/run", root);
	snprintf(junk, sizeof(junk), "%s/junk.key", root);

	run_cli(&r, (const char *const[]){ "--help", NULL });
	CHECK_INT(r.status, 0);
	CHECK(strstr(r.out, "--pcid-first") != NULL);
	run_cli(&r, (const char *const[]){ "init-cas", "--out", cas, "--ro-id", "RO-cli", NULL });
	CHECK_MSG(r.status == 0, "init-cas: %s", r.err);

	/* a small run */
	run_cli(&r, RUN_ARGS("--devices", "3", "--pcid-first", "0000000001", "--jobs", "2", "--ro-id", "RO-cli"));
	CHECK_MSG(r.status == 0, "run: exit %d: %s", r.status, r.err);
	CHECK(strstr(r.out, "factory: 3 devices TRE-00000001..TRE-00000003, PCID 001010000000001..001010000000003") ==
	      r.out);
	CHECK(r.err[0] == 0); /* no progress line when stderr is not a terminal */
	CHECK_INT(du_count_entries(out), 5);

	/*
	 * `factory claim` with the run's key: the second owner's secret, which
	 * the first owner's (in the delivery note) is one hash step beyond
	 */
	char key_path[700], note[700], arg_key[720];
	snprintf(key_path, sizeof(key_path), "%s/manufacturer/claim.key", out);
	snprintf(note, sizeof(note), "%s/owner/delivery-note.csv", out);
	snprintf(arg_key, sizeof(arg_key), "%s", key_path);
	run_cli(&r, (const char *const[]){ "claim", "--claim-key", arg_key, "--tre-id", "TRE-00000002", NULL });
	CHECK_MSG(r.status == 0, "claim: exit %d: %s", r.status, r.err);
	CHECK(strstr(r.out, "TRE-00000002 generation=2 claim=") == r.out && strlen(r.out) == 32 + OM_CLAIM_TEXT_LEN + 1);
	r.out[strcspn(r.out, "\n")] = 0;
	{
		uint8_t key[OM_CLAIM_KEY_LEN], c2[OM_CLAIM_LEN], c1[OM_CLAIM_LEN];
		char *kt = (char *)check_slurp(key_path, NULL), *nt = (char *)check_slurp(note, NULL);
		CHECK(kt && nt);
		if (kt && nt) {
			kt[strcspn(kt, "\n")] = 0;
			CHECK_INT(om_hex_decode(key, sizeof(key), kt), 0);
			char *row = strstr(nt, "\nTRE-00000002,");
			/* claim_secret is the fifth column, before model (docs/factory.md) */
			char *claim1 = row ? strtok(row + 1, "\n") : NULL;
			for (int k = 0; claim1 && k < 4; k++)
				claim1 = strchr(claim1 + 1, ',');
			if (claim1)
				claim1[strcspn(claim1 + 1, ",") + 1] = '\0';
			CHECK(claim1 != NULL);
			CHECK_INT(om_claim_parse(r.out + 32, c2), 0);
			CHECK_INT(claim1 ? om_claim_parse(claim1 + 1, c1) : -1, 0);
			uint8_t v[OM_CLAIM_LEN];
			CHECK_INT(om_claim_derive(key, "TRE-00000002", 0, v), 0);
			CHECK_INT(om_claim_check("TRE-00000002", c1, v, OM_CLAIM_GENERATIONS), 1);
			CHECK_INT(om_claim_check("TRE-00000002", c2, v, OM_CLAIM_GENERATIONS), 2);
		}
		free(kt);
		free(nt);
	}
	check_usage("--claim-key", (const char *const[]){ "claim", "--claim-key", ca_pem, "--tre-id", "T-1", NULL });
	check_usage("--generation",
		    (const char *const[]){ "claim", "--claim-key", arg_key, "--tre-id", "T-1", "--generation", "33", NULL });
	check_usage("--devices", (const char *const[]){ "claim", "--claim-key", arg_key, "--devices", "1", NULL });

	/* a non-empty output directory: the run above */
	check_usage("--out", RUN_ARGS("--devices", "3", "--pcid-first", "0000000001"));
	CHECK_INT(du_count_entries(out), 5);
	snprintf(out, sizeof(out), "%s/run2", root);

	check_usage("--devices", RUN_ARGS("--pcid-first", "0000000001"));
	check_usage("--devices", RUN_ARGS("--devices", "0", "--pcid-first", "0000000001"));
	check_usage("--devices", RUN_ARGS("--devices", "3x", "--pcid-first", "0000000001"));
	check_usage("--pcid-first", RUN_ARGS("--devices", "5", "--pcid-first", "9999999997"));
	check_usage("--pcid-first", RUN_ARGS("--devices", "1", "--pcid-first", "12a"));
	check_usage("--first-serial", RUN_ARGS("--devices", "2", "--pcid-first", "1", "--first-serial", "99999999"));
	check_usage("--enc-key", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--enc-key", "ed25519"));
	/* a TPM makes PrK_TRE on its own curve for ECDH: P-256, not X25519 */
	check_usage("--enc-key", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--tre", "tpm", "--enc-key", "x25519"));
	check_usage("--op", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--op", "00"));
	check_usage("--ro-cert", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--ro-id", "RO-other"));
	check_usage("--nope", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--nope", "1"));

	/* synthetic mode (Alternative 3, docs/factory.md): labels and the public files, no RO file */
	check_usage("--synthetic", RUN_ARGS("--devices", "3", "--pcid-first", "0000000000", "--synthetic", "5"));
	check_usage("--synthetic", RUN_ARGS("--devices", "3", "--pcid-first", "0000000000", "--synthetic", "0"));
	check_usage("--synthetic", RUN_ARGS("--devices", "3", "--pcid-first", "9999999990", "--synthetic", "20"));
	snprintf(out, sizeof(out), "%s/run-synthetic", root);
	run_cli(&r, RUN_ARGS("--devices", "2", "--pcid-first", "0000000000", "--synthetic", "1000", "--ro-id", "RO-cli"));
	CHECK_MSG(r.status == 0 && strstr(r.out, "synthetic credentials"), "synthetic run: exit %d: %s%s", r.status, r.out,
		  r.err);
	{
		char p[700];
		snprintf(p, sizeof(p), "%s/labels/TRE-00000002.txt", out);
		CHECK(access(p, F_OK) == 0);
		snprintf(p, sizeof(p), "%s/synthetic/verifiers.csv", out);
		CHECK(access(p, F_OK) == 0);
		snprintf(p, sizeof(p), "%s/ro", out);
		CHECK(access(p, F_OK) != 0);
	}
	snprintf(out, sizeof(out), "%s/run2", root);
	check_usage("--jobs", RUN_ARGS("--devices", "1", "--pcid-first", "1", "--jobs", "1", "--jobs", "2"));

	/* a missing CA file, an unreadable key */
	snprintf(ca_pem, sizeof(ca_pem), "%s/missing.pem", cas);
	check_usage("--pva-ca", RUN_ARGS("--devices", "1", "--pcid-first", "1"));
	snprintf(ca_pem, sizeof(ca_pem), "%s/pva-ca.pem", cas);
	FILE *f = fopen(junk, "w");
	CHECK(f && fputs("-----BEGIN PRIVATE KEY-----\nnot a key\n", f) >= 0 && fclose(f) == 0);
	snprintf(ca_key, sizeof(ca_key), "%s", junk);
	check_usage("--pva-key", RUN_ARGS("--devices", "1", "--pcid-first", "1"));
	snprintf(ca_key, sizeof(ca_key), "%s/ro-signing.key", cas); /* a key, not the CA's */
	check_usage("--pva-ca/--pva-key", RUN_ARGS("--devices", "1", "--pcid-first", "1"));
	unlink(junk);

	/* the output's parent must exist */
	snprintf(ca_key, sizeof(ca_key), "%s/pva-ca.key", cas);
	snprintf(out, sizeof(out), "%s/no/such", root);
	check_usage("--out", RUN_ARGS("--devices", "1", "--pcid-first", "1"));

	snprintf(out, sizeof(out), "%s/tre", root);
	test_each_tre_backend();

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_INT(system(cmd), 0);
	return check_done();
}
