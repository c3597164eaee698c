/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim factory --tre soft|tpm|pkcs11` as a process ($OM_CLI), on the
 * secure hardware the test starts itself (tests/hw_token.h): each run ends
 * ok, every device's TRE is of that backend and opens, and the options of
 * one backend are refused with another.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "check.h"
#include "daemon_util.h"
#include "hw_token.h"

static char root[] = "/tmp/om-factory-tre-test-XXXXXX";
static char cas[600], ca_pem[700], ca_key[700], ro_pem[700];

/* $OM_CLI factory args...; exit status, stdout and stderr. */
static int run_cli(const char *const *args, char *out, size_t out_cap, char *err, size_t err_cap)
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
	return du_run_split(argv, out, out_cap, err, err_cap);
}

/* A run of 3 devices with backend kind and its extra options; each TRE holds marker and opens. */
static void run_backend(const char *kind, const char *marker, const char *const *extra)
{
	char outdir[700], out[4096], err[4096];
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
	int st = run_cli(args, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 0, "factory --tre %s: exit %d: %s", kind, st, err);
	CHECK_MSG(strstr(out, "factory: 3 devices TRE-00000001..TRE-00000003") == out, "--tre %s: %s", kind, out);
	for (int i = 1; i <= 3; i++) {
		char dir[800], path[900];
		struct om_tre *tre = NULL;
		struct om_tre_status s;
		snprintf(dir, sizeof(dir), "%s/devices/TRE-%08d", outdir, i);
		snprintf(path, sizeof(path), "%s/%s", dir, marker);
		CHECK_MSG(access(path, F_OK) == 0, "--tre %s: no %s", kind, path);
		int rc = om_tre_open(&tre, dir, 0);
		CHECK_MSG(rc == 0, "--tre %s: %s does not open: %s", kind, dir, om_errname(rc));
		if (tre) {
			CHECK_INT(om_tre_status(tre, &s), 0);
			CHECK_INT(s.n_mids, 1);
			CHECK_INT(s.n_blocked, 0);
		}
		om_tre_close(tre);
	}
}

int main(void)
{
	struct t_swtpm tpm;
	struct t_softhsm hsm;
	char out[4096], err[4096];
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	if (t_swtpm_start(&tpm) != 0 || t_softhsm_init(&hsm, "factory", NULL) != 0) {
		CHECK_MSG(0, "swtpm or SoftHSM2 missing (scripts/deps.sh test installs them)");
		du_rm_rf(root);
		return check_done();
	}
	snprintf(cas, sizeof(cas), "%s/cas", root);
	snprintf(ca_pem, sizeof(ca_pem), "%s/pva-ca.pem", cas);
	snprintf(ca_key, sizeof(ca_key), "%s/pva-ca.key", cas);
	snprintf(ro_pem, sizeof(ro_pem), "%s/ro-signing.pem", cas);
	CHECK_INT(run_cli((const char *const[]){ "init-cas", "--out", cas, NULL }, out, sizeof(out), err, sizeof(err)),
		  0);

	run_backend("soft", "seal.key", NULL);
	run_backend("tpm", "tpm.ctx", (const char *const[]){ "--tpm-tcti", tpm.tcti, NULL });
	char pin_file[700];
	snprintf(pin_file, sizeof(pin_file), "%s/pin", root);
	CHECK_INT(du_write_file(pin_file, hsm.pin), 0);
	chmod(pin_file, 0600);
	run_backend("pkcs11", "p11.ctx",
		    (const char *const[]){ "--p11-module", hsm.module, "--p11-token", hsm.label, "--p11-pin-file",
					   pin_file, NULL });

	/* one backend's options with another: a usage error naming the option */
	char dir[700];
	snprintf(dir, sizeof(dir), "%s/run-bad", root);
	const char *bad1[] = { "--out", dir, "--pva-ca", ca_pem, "--pva-key", ca_key, "--ro-cert", ro_pem,
			       "--pcid-mcc", "001", "--pcid-mnc", "01", "--pcid-first", "0000000001", "--devices", "1",
			       "--tre", "soft", "--tpm-tcti", tpm.tcti, NULL };
	CHECK_INT(run_cli(bad1, out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "--tpm-tcti") != NULL);
	bad1[17] = "tpm2";
	CHECK_INT(run_cli(bad1, out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "--tre") != NULL);
	const char *bad2[] = { "--out", dir, "--pva-ca", ca_pem, "--pva-key", ca_key, "--ro-cert", ro_pem,
			       "--pcid-mcc", "001", "--pcid-mnc", "01", "--pcid-first", "0000000001", "--devices", "1",
			       "--tre", "pkcs11", "--p11-module", hsm.module, NULL };
	CHECK_INT(run_cli(bad2, out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "--p11-pin-file") != NULL);
	CHECK(access(dir, F_OK) != 0);

	t_swtpm_stop(&tpm);
	t_softhsm_free(&hsm);
	du_rm_rf(root);
	return check_done();
}
