/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab as a user runs it (docs/lab.md): `openmcim lab --devices 8` with
 * every daemon a real process on loopback, and its report checked phase by
 * phase. With seed 7 and shares 0.25/0.25 the eight devices are: one
 * tampered, one revoked (both refused at provisioning with the PVA's
 * reason), two moved to SHO-B, two that fall back to SHO-A while SHO-B's
 * HSS is down, two that stay. Then the arguments the command must refuse,
 * and a work directory that is not empty. With OM_TEST_STORE=pg (lab_test_pg)
 * the same lab runs with --store postgres: one PostgreSQL cluster for every
 * daemon, and no SQLite file anywhere.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "daemon_util.h"
#include "lab_report_kit.h"
#include "pg_cluster.h" /* t_store_is_pg */

#define OUT_CAP (64 * 1024)

static char dir[] = "/tmp/om-lab-test-XXXXXX";
static char out[OUT_CAP], err[OUT_CAP];

static void small_lab(const char *cli)
{
	char work[600], path[700];
	unsigned char *rep;
	size_t n = 0;
	int st;
	snprintf(work, sizeof(work), "%s/lab", dir);
	const int pg = t_store_is_pg();
	const char *argv[] = { cli,	"lab",	 "--devices", "8",  "--seed", "7", "--share-b", "0.25", "--share-fallback",
			       "0.25",	"--jobs", "4",	       "--workdir", work, pg ? "--store" : NULL, "postgres", NULL };
	st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_INT(st, 0);
	if (st != 0)
		fprintf(stderr, "--- stdout\n%s\n--- stderr\n%s\n", out, err);
	/* not a terminal: stdout is the report and stderr says nothing */
	CHECK(strstr(out, "result: ok") != NULL);
	CHECK(strstr(out, "provisioning end to end") != NULL);
	CHECK_MSG(err[0] == '\0', "stderr: %.200s", err);

	snprintf(path, sizeof(path), "%s/report.txt", work);
	rep = check_slurp(path, &n);
	CHECK(rep != NULL);
	if (!rep)
		return;
	const char *r = (const char *)rep;
	CHECK(report_line(r, "devices=8 seed=7 jobs=4 ") != NULL);
	CHECK(report_line(r, "part=stay devices=2\n") != NULL);
	CHECK(report_line(r, "part=move devices=2\n") != NULL);
	CHECK(report_line(r, "part=fallback devices=2\n") != NULL);
	CHECK(report_line(r, "part=revoked devices=1\n") != NULL);
	CHECK(report_line(r, "part=tampered devices=1\n") != NULL);
	check_phase(r, "factory", 8, 8);
	check_phase(r, "register", 8, 8);
	check_phase(r, "power-up", 8, 8);
	check_phase(r, "provision", 8, 8);
	check_phase(r, "register-b", 4, 4);
	check_phase(r, "transfer", 2, 2);
	check_phase(r, "fallback", 2, 2);
	check_phase(r, "release", 4, 4);
	check_phase(r, "verify", 8, 8);
	/* both refusals, each with the reason the DPF got from the PVA */
	const char *rv = report_line(r, "refusal ");
	CHECK(rv != NULL);
	CHECK(strstr(r, "part=revoked expected=1") != NULL);
	CHECK(strstr(r, "part=tampered expected=1") != NULL);
	CHECK(strstr(r, "expected=0") == NULL);
	/* one MCIM released and installed per provisioning, never two */
	CHECK(report_line(r, "installed sho_a=6 sho_b=") != NULL);
	CHECK(report_line(r, "e2e_provision rate=") != NULL);
	/* every attach of the run (PCID, MCIM, fallback) ran Security Mode Control before its bearer */
	const char *ns = report_line(r, "nas_security attaches=");
	unsigned att = 0, smc = 0;
	CHECK(ns && sscanf(ns, "nas_security attaches=%u after_smc=%u", &att, &smc) == 2);
	CHECK_MSG(att >= 8 && smc == att, "attaches %u, after SMC %u", att, smc);
	CHECK(report_line(r, "problems=0\n") != NULL);
	CHECK(report_line(r, "result=ok\n") != NULL);
	CHECK(report_line(r, pg ? "store=postgresql\n" : "store=sqlite\n") != NULL);
	/* every daemon's log and database where the report says */
	snprintf(path, sizeof(path), "%s/sho-a-dpf.log", work);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && sb.st_size > 0);
	snprintf(path, sizeof(path), "%s/sho-a-dpf.db", work);
	CHECK_MSG((stat(path, &sb) == 0) == !pg, "%s %s", path, pg ? "exists on PostgreSQL" : "missing");
	if (pg) {
		/* each daemon said where its database is: a database of the lab's cluster */
		static const char *const daemons[] = { "pva", "ro-hss", "ro-drf", "ro-dpf", "sho-a-hss", "sho-a-sho",
						       "sho-a-drf", "sho-a-dpf", "sho-b-hss", "sho-b-sho", "sho-b-drf",
						       "sho-b-dpf" };
		for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
			char want[64];
			snprintf(path, sizeof(path), "%s/%s.log", work, daemons[i]);
			unsigned char *log = check_slurp(path, &n);
			snprintf(want, sizeof(want), " db=postgresql:///");
			CHECK_MSG(log && strstr((char *)log, want), "%s: not on PostgreSQL", daemons[i]);
			free(log);
		}
	}
	free(rep);
}

static void refuses(const char *cli, const char *const *args, int want, const char *what)
{
	const char *argv[16] = { cli, "lab" };
	int k = 2;
	for (; args[k - 2] && k < 15; k++)
		argv[k] = args[k - 2];
	argv[k] = NULL;
	int st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == want, "%s: exit %d, want %d", what, st, want);
	CHECK_MSG(err[0] != '\0', "%s: no message", what);
}

int main(void)
{
	const char *cli = getenv("OM_CLI");
	char work[600];
	if (!cli) {
		fprintf(stderr, "lab_test: OM_CLI is not set (run through ctest)\n");
		return 1;
	}
	CHECK(mkdtemp(dir) != NULL);
	small_lab(cli);

	refuses(cli, (const char *[]){ "--devices", "0", NULL }, 2, "no devices");
	refuses(cli, (const char *[]){ "--share-b", "0.7", "--share-fallback", "0.5", NULL }, 2, "shares over 1");
	refuses(cli, (const char *[]){ "--crash", "hss", NULL }, 2, "unknown daemon");
	refuses(cli, (const char *[]){ "--jobs", NULL }, 2, "missing value");
	/* the work directory of the run above is not empty: nothing is overwritten */
	snprintf(work, sizeof(work), "%s/lab", dir);
	refuses(cli, (const char *[]){ "--devices", "2", "--workdir", work, NULL }, 1, "work dir in use");

	if (check_failures() == 0)
		du_rm_rf(dir);
	else
		fprintf(stderr, "lab_test: kept %s\n", dir);
	return check_done();
}
