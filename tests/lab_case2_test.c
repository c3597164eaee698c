/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario distributed-ro --case2` small (make test): spec/000
 * 5.2.2.3.5 case 2 at device level (lab/lab_case2.c), two devices per
 * Registration Operator. Exit 0 and the report's verdict, then the logs read
 * independently of the report: RO-C's ICF authenticated the PCID of the
 * device provisioned before the failover and RO-C2's ICF (front end 1, on
 * the promoted standby) the one after, and neither the other's; RO-C's DRF
 * pushed the first device's bootstrap and RO-C2's DRF the second's; RO-C2's
 * ICF started on a postgresql:// database, as front end 1. After the
 * failover RO-C's cluster, ICF and DRF came back and both daemons refused,
 * fenced by RO-C2's promoted copy (docs/decisions.md "Fencing the old
 * primary"); RO-C2's had started with its peer gone. Each case-2 daemon
 * connects as its own role (ro_c_icf, ro_c_drf: db and db_peer name it and
 * its password file), which on RO-C2's promoted cluster is no superuser and
 * is refused at the other daemon's database (the lab's roles_kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "lab_report_kit.h"

static char dir[] = "/tmp/om-lab-c2-XXXXXX";

static char *file(const char *rel)
{
	return lab_kit_file(dir, rel);
}

int main(void)
{
	char cmd[1200], *out = NULL;
	CHECK(mkdtemp(dir) != NULL);
	int st = lab_kit_run(dir, "--scenario distributed-ro --case2 --devices 8 --seed 5 --jobs 3", &out);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d:\n%s", st, out ? out : "");
	CHECK(out && strstr(out, "every device is where it should be"));
	CHECK(out && strstr(out, "2/2   provisioned through case 2: RO-C then RO-C2"));
	CHECK(out && strstr(out, "1/1     of which before the failover, through RO-C"));
	CHECK(out && strstr(out, "1/1     of which after it, through RO-C2"));
	CHECK(out && strstr(out, "2/2     PCIDs whose last SQN at RO-C2's ICF is in their ICF's IND slot"));
	CHECK(out && strstr(out, "2/2     gone to SHO-A in RO-C2's register"));
	CHECK(out && strstr(out, "2/2   provisioned through case 1: RO,"));
	/* RO-C2's ICF and DRF roles, tried on its promoted cluster: no superuser, refused at each other's database */
	CHECK(out && strstr(out, "2/2     case-2 daemons' roles (ro_c_icf, ro_c_drf) no superuser, refused at each"));
	/* each case-2 daemon's db and db_peer name its own role and a 0600 password file, never the starter */
	static const char *const confs[][2] = { { "ro-c-hss.conf", "ro_c_icf" }, { "ro-c2-hss.conf", "ro_c_icf" },
						{ "ro-c-drf.conf", "ro_c_drf" }, { "ro-c2-drf.conf", "ro_c_drf" } };
	for (size_t i = 0; i < 4; i++) {
		char *conf = file(confs[i][0]), want[64], *p = conf;
		int uris = 0;
		snprintf(want, sizeof(want), "&user=%s&passfile=", confs[i][1]);
		while (p && (p = strstr(p, "postgresql://"))) {
			size_t n = strcspn(p, "\n");
			char line[1200];
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			CHECK_MSG(strstr(line, want) && strstr(line, ".pgpass"), "%s: %s", confs[i][0], line);
			uris++;
			p += n;
		}
		CHECK_MSG(uris == 2, "%s: %d postgresql:// URIs (db and db_peer)", confs[i][0], uris);
		free(conf);
	}

	/* RO-C's devices are TRH-00000001 (before) and TRH-00000002 (after); their PCIDs 001-06 ...1 and ...2 */
	char *icf1 = file("ro-c-hss.log"), *icf2 = file("ro-c2-hss.log");
	char *drf1 = file("ro-c-drf.log"), *drf2 = file("ro-c2-drf.log");
	CHECK(icf1 && icf2 && drf1 && drf2);
	CHECK_MSG(check_lines_with(icf1, " aia ", "imsi=001060000000001 ") >= 1, "RO-C answered the first device");
	CHECK_INT(check_lines_with(icf1, " aia ", "imsi=001060000000002 "), 0);
	CHECK_MSG(check_lines_with(icf2, " aia ", "imsi=001060000000002 ") >= 1, "RO-C2 answered the second device");
	CHECK_INT(check_lines_with(icf2, " aia ", "imsi=001060000000001 "), 0);
	CHECK(check_lines_with(icf2, " started ", "db=postgresql://") == 1);
	CHECK_INT(check_lines_with(drf1, "imsi=001060000000001 ", "result=delivered"), 1);
	CHECK_INT(check_lines_with(drf2, "imsi=001060000000002 ", "result=delivered"), 1);
	CHECK_INT(check_lines_with(drf1, "imsi=001060000000002 ", "result=delivered"), 0);
	/* RO-C back after the failover: fenced, both; RO-C2 started alone */
	CHECK_INT(check_lines_with(icf1, " error fenced ", "timeline 2, db only on 1"), 1);
	CHECK_INT(check_lines_with(drf1, " error fenced ", "timeline 2, db only on 1"), 1);
	CHECK(check_lines_with(icf2, " db-peer-unreached ", "serving alone on timeline 2") >= 1);
	CHECK(check_lines_with(drf2, " db-peer-unreached ", "serving alone on timeline 2") >= 1);
	/* the second device's completion reached RO-C2, on RO-C's address */
	CHECK(check_lines_with(drf2, "drf-handover-completed sender=SHO-A", "tre_id=TRH-00000002") == 1);
	free(icf1);
	free(icf2);
	free(drf1);
	free(drf2);
	free(out);
	if (check_failures() == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}
