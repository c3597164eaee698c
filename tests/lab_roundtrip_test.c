/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Round trips in the lab (issue 20, docs/lab.md "Scenario"): `openmcim lab
 * --share-roundtrip` moves devices from SHO-A to SHO-B and back to SHO-A
 * (A->B->A), `--share-roundtrip-c` from SHO-A to SHO-B, on to SHO-C and
 * back to SHO-A (A->B->C->A), every step the real daemons' and the real
 * agent's: for the onward move the owner registers the device at SHO-C
 * (current SHO SHO-B), a code from SHO-B's DRF, the handover at SHO-C; for
 * the return it registers them at SHO-A again with their current SHO
 * (SHO-A's registration service asks its DRF that they left), a code from
 * that SHO's DRF, the handover at SHO-A, that SHO's bootstrap, the DM
 * session with SHO-A's DPF, the attach with a new SHO-A IMSI, SHO-A's DRF
 * taking the device back as its second stay. With seed 7 and the shares
 * below the six devices are: one tampered, one revoked, one that stays,
 * one moved to SHO-B, one A->B->A and one A->B->C->A. The report must show
 * the phases with their counts, every old IMSI of each round trip removed
 * (SHO-A's first, SHO-B's, SHO-C's), each round trip installed twice at
 * SHO-A and once at each operator it passed, one ACTIVE MID at SHO-A, and
 * the register history kept at each DRF: SHO-A's two stays (the first
 * left to SHO-B), SHO-B's stay left to SHO-A (or to SHO-C), SHO-C's stay
 * left to SHO-A (the lab's verify phase reads each with `history`).
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon_util.h"
#include "lab_report_kit.h"

#define OUT_CAP (64 * 1024)

static char dir[] = "/tmp/om-lab-roundtrip-XXXXXX";
static char out[OUT_CAP], err[OUT_CAP];

int main(void)
{
	const char *cli = getenv("OM_CLI");
	char work[600], path[700];
	size_t n = 0;
	if (!cli) {
		fprintf(stderr, "lab_roundtrip_test: OM_CLI is not set (run through ctest)\n");
		return 1;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(work, sizeof(work), "%s/lab", dir);
	const char *argv[] = { cli,	     "lab",	"--devices", "6",	  "--seed",	 "7",
			       "--share-b",  "0.25",	"--share-fallback", "0", "--share-roundtrip", "0.25",
			       "--share-roundtrip-c", "0.25", "--jobs", "4", "--workdir", work, NULL };
	int st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_INT(st, 0);
	if (st != 0)
		fprintf(stderr, "--- stdout\n%s\n--- stderr\n%s\n", out, err);
	CHECK(strstr(out, "roundtrip 1") != NULL);
	CHECK(strstr(out, "roundtrip-c 1") != NULL);
	snprintf(path, sizeof(path), "%s/report.txt", work);
	unsigned char *rep = check_slurp(path, &n);
	CHECK(rep != NULL);
	if (rep) {
		const char *r = (const char *)rep;
		CHECK(report_line(r, "part=stay devices=1\n") != NULL);
		CHECK(report_line(r, "part=move devices=1\n") != NULL);
		CHECK(report_line(r, "part=roundtrip devices=1\n") != NULL);
		CHECK(report_line(r, "part=roundtrip-c devices=1\n") != NULL);
		CHECK(report_line(r, "part=revoked devices=1\n") != NULL);
		CHECK(report_line(r, "part=tampered devices=1\n") != NULL);
		check_phase(r, "provision", 6, 6);
		check_phase(r, "register-b", 3, 3);
		check_phase(r, "transfer", 3, 3);
		check_phase(r, "register-c", 1, 1);
		check_phase(r, "onward", 1, 1);
		check_phase(r, "register-back", 2, 2);
		check_phase(r, "return", 2, 2);
		check_phase(r, "release", 3, 3);
		check_phase(r, "verify", 6, 6);
		/* one install per provisioning: stay 1, move 1, each round trip twice at SHO-A; 3 at SHO-B; 1 at SHO-C */
		CHECK(report_line(r, "installed sho_a=6 sho_b=3 sho_c=1\n") != NULL);
		/* every attach of every leg (SHO-C's included) ran Security Mode Control before its bearer */
		const char *ns = report_line(r, "nas_security attaches=");
		unsigned att = 0, smc = 0;
		CHECK(ns && sscanf(ns, "nas_security attaches=%u after_smc=%u", &att, &smc) == 2);
		CHECK_MSG(att >= 14 && smc == att, "attaches %u, after SMC %u", att, smc);
		CHECK(report_line(r, "problems=0\n") != NULL);
		CHECK(report_line(r, "result=ok\n") != NULL);
		free(rep);
	}
	if (check_failures() == 0)
		du_rm_rf(dir);
	else
		fprintf(stderr, "lab_roundtrip_test: kept %s\n", dir);
	return check_done();
}
