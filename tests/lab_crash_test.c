/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 7's crash test (docs/lab.md "Crash test"): small labs in which one
 * daemon is killed with SIGKILL in the middle of the phase that uses it
 * (after half its devices) and restarted on its same files. Each run must
 * still end with every device where it should be: exactly one ACTIVE MCIM
 * per device at the expected operator, the SHOs' states, and one
 * `installed` release per provisioning in the DPFs' records (the lab's own
 * verify phase checks all three and exits non-zero otherwise). Here: that
 * exit status, that the kill really happened mid-phase, and the counts.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon_util.h"

#define OUT_CAP (64 * 1024)

static char dir[] = "/tmp/om-lab-crash-XXXXXX";
static char out[OUT_CAP], err[OUT_CAP];

static void crash_lab(const char *cli, const char *daemon)
{
	char work[600], path[700], want[128];
	unsigned char *rep;
	size_t n = 0;
	int st;
	snprintf(work, sizeof(work), "%s/%s", dir, daemon);
	/* 8 devices: 2 refused, 3 moved to SHO-B (so a SHO-B phase has a middle), 3 stay; no fallback phase */
	const char *argv[] = { cli, "lab", "--devices", "8", "--seed", "3", "--share-b", "0.5", "--share-fallback", "0",
			       "--jobs", "2", "--crash", daemon, "--workdir", work, NULL };
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 0, "--crash %s: exit %d", daemon, st);
	if (st != 0)
		fprintf(stderr, "--- %s stdout\n%s\n--- stderr\n%s\n", daemon, out, err);
	snprintf(path, sizeof(path), "%s/report.txt", work);
	rep = check_slurp(path, &n);
	CHECK_MSG(rep != NULL, "--crash %s: no report", daemon);
	if (!rep)
		return;
	snprintf(want, sizeof(want), "what=\"%s killed (SIGKILL) in ", daemon);
	CHECK_MSG(strstr((char *)rep, want) != NULL, "--crash %s: the kill is not in the report", daemon);
	CHECK_MSG(strstr((char *)rep, "restarted in") != NULL, "--crash %s: no restart", daemon);
	CHECK_MSG(strstr((char *)rep, "phase=provision done=8 failed=0 total=8 ") != NULL, "--crash %s: provision",
		  daemon);
	CHECK_MSG(strstr((char *)rep, "phase=transfer done=3 failed=0 total=3 ") != NULL, "--crash %s: transfer",
		  daemon);
	CHECK_MSG(strstr((char *)rep, "phase=verify done=8 failed=0 total=8 ") != NULL, "--crash %s: verify", daemon);
	CHECK_MSG(strstr((char *)rep, "installed sho_a=6 sho_b=3 sho_c=0\n") != NULL, "--crash %s: installs", daemon);
	CHECK_MSG(strstr((char *)rep, "result=ok\n") != NULL, "--crash %s: result", daemon);
	free(rep);
	if (st == 0)
		du_rm_rf(work);
}

int main(void)
{
	/*
	 * Every daemon of the topology, each killed in the phase that uses it (docs/lab.md "Crash
	 * test"): in provision SHO-A's DPF, HSS and registration service, the VNO, the PVA, the RO's
	 * DRF, ICF and DPF; in transfer SHO-A's DRF (the current SHO's) and SHO-B's DPF, HSS,
	 * registration service and DRF. About 10 s each.
	 */
	static const char *const daemons[] = { "sho-a-dpf", "sho-a-drf", "sho-a-hss", "vno",       "ro-drf",
					       "ro-hss",    "ro-dpf",    "pva",       "sho-a-sho", "sho-b-dpf",
					       "sho-b-hss", "sho-b-sho", "sho-b-drf" };
	const char *cli = getenv("OM_CLI");
	if (!cli) {
		fprintf(stderr, "lab_crash_test: OM_CLI is not set (run through ctest)\n");
		return 1;
	}
	CHECK(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
		crash_lab(cli, daemons[i]);
	if (check_failures() == 0)
		du_rm_rf(dir);
	else
		fprintf(stderr, "lab_crash_test: kept %s\n", dir);
	return check_done();
}
