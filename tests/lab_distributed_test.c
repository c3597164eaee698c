/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario distributed-ro` small (make test): spec/000
 * 5.2.2.3.5 cases 1, 3 and 4 (lab/lab_distributed.h), two devices per
 * Registration Operator. Exit 0 and the report's verdict, then the daemons'
 * logs read independently of the report: each RO's ICF authenticated its
 * own PCIDs and no other's (RO-2's sub-range of 001-01 reached RO-2's ICF by
 * the VNO's longer prefix, never the lab RO's), each RO's DRF accepted the
 * handover of its own devices only, and RO-2 refused SHO-B's request for a
 * device it does not serve (OM_EDRF_DEVICE); SHO-A's DPF set the
 * application parameters (./M2MAppParams) in every session and each device
 * answered 200.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "lab_report_kit.h"

static char dir[] = "/tmp/om-lab-dro-XXXXXX";

static char *file(const char *rel)
{
	return lab_kit_file(dir, rel);
}

int main(void)
{
	char cmd[1200], *out = NULL;
	CHECK(mkdtemp(dir) != NULL);
	int st = lab_kit_run(dir, "--scenario distributed-ro --devices 6 --seed 3 --jobs 3", &out);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d:\n%s", st, out ? out : "");
	CHECK(out && strstr(out, "every device is where it should be"));
	CHECK(out && strstr(out, "2/2   provisioned through case 1: RO,"));
	CHECK(out && strstr(out, "2/2   provisioned through case 3: RO-2,"));
	CHECK(out && strstr(out, "2/2   provisioned through case 4: RO-3,"));
	CHECK(out && strstr(out, "refused (HTTP 409"));
	CHECK(out && strstr(out, "6/6   hold SHO-A's application parameters"));

	char *icf[3] = { file("ro-hss.log"), file("ro-2-hss.log"), file("ro-3-hss.log") };
	char *drf[3] = { file("ro-drf.log"), file("ro-2-drf.log"), file("ro-3-drf.log") };
	static const char *const pcid_prefix[3] = { "imsi=0010100", "imsi=0010190", "imsi=0010500" };
	static const char *const tre_prefix[3] = { "tre_id=TRE-", "tre_id=TRF-", "tre_id=TRG-" };
	for (int k = 0; k < 3; k++) {
		CHECK(icf[k] && drf[k]);
		for (int j = 0; j < 3; j++) {
			/* ICF k authenticated the PCIDs of range k, and none of another range */
			unsigned aia = check_lines_with(icf[k], " aia ", pcid_prefix[j]);
			CHECK_MSG(j == k ? aia >= 2 : aia == 0, "ICF %d: %u AIA lines for %s", k, aia, pcid_prefix[j]);
			/* DRF k accepted and completed the handovers of its own devices only */
			unsigned acc = check_lines_with(drf[k], "drf-handover-accept sender=SHO-A", tre_prefix[j]);
			unsigned done = check_lines_with(drf[k], "drf-handover-completed sender=SHO-A", tre_prefix[j]);
			CHECK_MSG(j == k ? acc == 2 && done == 2 : acc == 0 && done == 0, "DRF %d: %u accepted, %u completed of %s",
				  k, acc, done, tre_prefix[j]);
		}
	}
	/* SHO-A's DPF set the application parameters in each of the six DM sessions, and each device took them */
	char *dpf = file("sho-a-dpf.log");
	CHECK_INT(check_lines_with(dpf, " app-params ", "dm=200 result=set"), 6);
	free(dpf);
	/* the RO that does not serve the device refused it (5.2.2.3.5 Editor's note) */
	CHECK(check_lines_with(drf[1], "drf-handover-refused sender=SHO-B", "code=OM_EDRF_DEVICE") == 1);
	for (int k = 0; k < 3; k++) {
		free(icf[k]);
		free(drf[k]);
	}
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
