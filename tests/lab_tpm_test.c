/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --tre tpm --devices 20` (issue 18): the whole system with
 * one swtpm per device, ending ok. Afterwards every device's TRE is a TPM
 * one (tpm.ctx, no key file), and with its TPM started again on the state
 * the lab left, device 1's TRE opens, while device 2's directory does not
 * open on device 1's TPM (another device's copy: OM_ETRE_SEAL); its PrK_TRE
 * are the TPM's (made there by the factory: every M2MMobj and outcome of
 * the run was signed, every bootstrap and MCIM opened, by the TPM). The TCTI is
 * the test's, as a device's configuration gives it, never the directory's.
 * Every platform validation the PVA accepted checked the device's TPM quote
 * (issue 18: PCR 15 over nonceA | nonceB with the AK the factory had
 * certified, against the reference the lab registered with add-pcr): at
 * least one for each of the 18 genuine devices the scenario does not
 * revoke, none accepted without one.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "check.h"
#include "daemon_util.h"
#include "lab_proc.h"
#include "lab_report_kit.h"

#define OUT_CAP (64 * 1024)

static char dir[] = "/tmp/om-labtpm-XXXXXX";
static char out[OUT_CAP], err[OUT_CAP];

int main(void)
{
	const char *cli = getenv("OM_CLI");
	char work[200], path[400], why[300];
	if (!cli || !mkdtemp(dir)) {
		fprintf(stderr, "OM_CLI unset (run through ctest) or no temp dir\n");
		return 1;
	}
	snprintf(work, sizeof(work), "%s/lab", dir);
	lab_run_tre(cli, "tpm", "20", "8", work, out, sizeof(out), err, sizeof(err));
	/* 19 genuine devices and the tampered one, each with its own TPM */
	CHECK_INT(lab_devices_with(work, 19, "tpm.ctx"), 20);
	CHECK_INT(lab_devices_with(work, 19, "seal.key"), 0);
	for (unsigned i = 1; i <= 20; i++) {
		snprintf(path, sizeof(path), "%s/tpm/%s-%08u/tpm2-00.permall", work, i <= 19 ? "TRE" : "TRX", i <= 19 ? i : 1);
		CHECK_MSG(access(path, F_OK) == 0, "no TPM state at %s", path);
	}

	/* the PVA's log: one validate line per M2MMobj; every acceptance with a checked quote */
	snprintf(path, sizeof(path), "%s/pva.log", work);
	FILE *log = fopen(path, "r");
	CHECK_MSG(log != NULL, "no %s", path);
	unsigned accepted = 0, quoted = 0, devices_quoted = 0;
	char line[1024], seen[20] = { 0 };
	while (log && fgets(line, sizeof(line), log)) {
		if (!strstr(line, " validate ") || !strstr(line, "result=accepted"))
			continue;
		accepted++;
		unsigned n = 0;
		if (strstr(line, "quote=checked")) {
			quoted++;
			if (sscanf(strstr(line, "tre_id=TRE-") ? strstr(line, "tre_id=TRE-") : "", "tre_id=TRE-%u", &n) == 1 &&
			    n >= 1 && n <= 19 && !seen[n]) {
				seen[n] = 1;
				devices_quoted++;
			}
		}
	}
	if (log)
		fclose(log);
	CHECK_MSG(accepted >= 18 && quoted == accepted, "accepted %u, with a quote %u", accepted, quoted);
	CHECK_INT(devices_quoted, 18); /* 19 genuine, one revoked by the scenario (refused before its quote) */

	/* device 1's TPM back on its state: its TRE opens; device 2's directory there does not */
	snprintf(path, sizeof(path), "%s/tpm/TRE-00000001", work);
	pid_t tpm = lab_swtpm_spawn(path, why, sizeof(why));
	CHECK_MSG(tpm > 0, "swtpm: %s", why);
	struct om_tre *tre = NULL;
	struct om_tre_status s;
	/* device 1's configuration names its TPM; its directory names none */
	char tcti[300];
	snprintf(tcti, sizeof(tcti), "swtpm:path=%s/tpm/TRE-00000001/sock", work);
	struct om_tre_backend be = { .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tcti };
	snprintf(path, sizeof(path), "%s/devices/TRE-00000001", work);
	int rc = om_tre_open_backend(&tre, path, &be, 0);
	CHECK_MSG(rc == 0, "device 1 on its TPM: %s", om_errname(rc));
	if (tre) {
		CHECK_INT(om_tre_status(tre, &s), 0);
		CHECK(s.counter > 1 && s.n_blocked == 0);
		/* PrK_TRE made in the device's TPM by the factory, used there through the whole run */
		CHECK(s.keys_in_tpm);
	}
	om_tre_close(tre);
	/* as a software TRE it is refused, not opened on a key file */
	tre = NULL;
	CHECK_INT(om_tre_open(&tre, path, 0), OM_ETRE_BACKEND);
	om_tre_close(tre);
	/* device 2's directory copied to device 1 */
	snprintf(path, sizeof(path), "%s/devices/TRE-00000002", work);
	tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, path, &be, 0), OM_ETRE_SEAL);
	om_tre_close(tre);
	if (tpm > 0)
		(void)lab_reap(tpm, SIGTERM, 2000);
	du_rm_rf(dir);
	return check_done();
}
