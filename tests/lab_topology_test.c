/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's topology with every daemon a real process on loopback
 * (lab_topology.h): setup with 3 devices and 1 tampered one, start, each of
 * the 13 daemons ready; the owner registers every device at SHO-A with the
 * RO as current SHO, gets a transfer code from the RO's DRF and asks SHO-A
 * to take device 1 over: accepted (200), the owner's view says
 * handover_accepted, SHO-A's HSS holds its new subscription and the ICF
 * still its PCID. A wrong code is refused by the RO (409). The RO's DRF is
 * killed with SIGKILL and restarted on its same port and database: the next
 * handover (device 2) goes through it. Then every daemon stops and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"
#include "lab_topology.h"

static void dump_logs(const struct lab *l)
{
	char p[LAB_PATH_MAX + 40];
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		snprintf(p, sizeof(p), "%s.log", lab_daemon_name((enum lab_daemon)d));
		size_t n = 0;
		char *s = (char *)check_slurp(lab_path(l, p, p, sizeof(p)), &n);
		fprintf(stderr, "---- %s.log ----\n%s\n", lab_daemon_name((enum lab_daemon)d), s ? s : "(none)");
		free(s);
	}
}

/* Device i moves from the RO to SHO-A with a fresh transfer code: the HTTP status. */
static int handover(struct lab *l, unsigned i, char *answer, size_t cap)
{
	char code[32] = "";
	CHECK_INT(lab_transfer_code(l, LAB_RO, l->tre_ids[i], code), 0);
	CHECK_INT(strlen(code), 19);
	return lab_handover(l, LAB_SHO_A, l->tre_ids[i], code, answer, cap);
}

int main(void)
{
	struct lab l;
	char dir[] = "/tmp/om-lab-topology-XXXXXX", bin_dir[512], why[512], answer[1024], state[64], want[128];
	time_t t0 = time(NULL);
	const char *cli = getenv("OM_CLI");
	int set_up = 0;

	signal(SIGPIPE, SIG_IGN);
	CHECK_MSG(cli != NULL, "OM_CLI not set (run through ctest)");
	CHECK(mkdtemp(dir) != NULL);
	if (check_failures())
		return check_done();
	snprintf(bin_dir, sizeof(bin_dir), "%s", cli);
	*strrchr(bin_dir, '/') = '\0';

	struct lab_options opt = { .workdir = dir, .bin_dir = bin_dir, .n_devices = 3, .n_tampered = 1, .seed = 7,
				   .grace_s = 2, .fallback_s = 10 };
	/* a work directory that is not empty is refused before anything is written */
	CHECK_INT(du_write_file("/tmp/om-lab-topology-stray", "x"), 0);
	struct lab_options bad = opt;
	bad.workdir = "/tmp";
	CHECK_INT(lab_setup(&l, &bad, why, sizeof(why)), OM_ELAB_SETUP);
	CHECK_MSG(strstr(why, "not empty") != NULL, "%s", why);
	lab_free(&l);
	unlink("/tmp/om-lab-topology-stray");

	int rc = lab_setup(&l, &opt, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_setup: %s", why);
	set_up = rc == 0;
	if (!set_up)
		goto out;
	CHECK_INT(l.n_devices, 3);
	CHECK_INT(l.n_tampered, 1);
	CHECK_MSG(!strncmp(l.tre_ids[0], "TRE-", 4) && !strncmp(l.tre_ids[3], "TRX-", 4), "%s %s", l.tre_ids[0],
		  l.tre_ids[3]);
	char p[LAB_PATH_MAX + 64];
	CHECK_MSG(access(lab_device_dir(&l, 3, p, sizeof(p)), F_OK) == 0, "%s", p);
	printf("setup: %lld s\n", (long long)(time(NULL) - t0));

	rc = lab_start(&l, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_start: %s", why);
	if (rc < 0)
		goto out;
	for (int d = 0; d < LAB_N_DAEMONS; d++)
		CHECK_MSG(lab_daemon_pid(&l, (enum lab_daemon)d) > 0, "%s is not running", lab_daemon_name((enum lab_daemon)d));
	printf("started: %lld s\n", (long long)(time(NULL) - t0));
	/* the ICF has every PCID (asked on the RO's HSS's provisioning socket, not its database) */
	CHECK_INT(lab_hss_has(&l, LAB_RO, "001010000000001"), 1);
	CHECK_INT(lab_hss_has(&l, LAB_RO, "001010000000004"), 1);
	CHECK_INT(lab_hss_has(&l, LAB_RO, "001010000000005"), 0);

	/* B.2.3.1: every device registered at SHO-A, the RO as their current SHO */
	rc = lab_register(&l, LAB_SHO_A, LAB_RO, NULL, 0, why, sizeof(why));
	CHECK_MSG(rc == 4, "lab_register: %d %s", rc, why);
	CHECK_INT(lab_status(&l, LAB_SHO_A, l.tre_ids[0], state, sizeof(state)), 0);
	CHECK_MSG(!strcmp(state, "registered"), "state %s", state);
	/* the owner is not known at SHO-B for that device */
	CHECK_INT(lab_status(&l, LAB_SHO_B, l.tre_ids[0], state, sizeof(state)), OM_ELAB_OWNER);

	/* B.2.3.2: the RO accepts SHO-A's request for device 1 */
	CHECK_INT(handover(&l, 0, answer, sizeof(answer)), 200);
	snprintf(want, sizeof(want), "result=accepted tre_id=%s", l.tre_ids[0]);
	CHECK_MSG(strstr(answer, want) != NULL, "handover: %s", answer);
	CHECK_INT(lab_status(&l, LAB_SHO_A, l.tre_ids[0], state, sizeof(state)), 0);
	CHECK_MSG(!strcmp(state, "handover_accepted"), "state %s", state);
	CHECK_INT(lab_hss_has(&l, LAB_SHO_A, "001020000000001"), 1);
	CHECK_INT(lab_hss_has(&l, LAB_RO, "001010000000001"), 1);
	/* a wrong code: the RO's DRF refuses */
	CHECK_INT(lab_handover(&l, LAB_SHO_A, l.tre_ids[1], "0000-0000-0000-0000", answer, sizeof(answer)), 409);
	CHECK_MSG(strstr(answer, "reason=OM_EDRF_CODE") != NULL, "wrong code: %s", answer);

	/* the RO's DRF dies and comes back on the same port and database */
	pid_t old = l.pid[LAB_D_RO_DRF];
	lab_kill(&l, LAB_D_RO_DRF, SIGKILL);
	CHECK_INT(lab_daemon_pid(&l, LAB_D_RO_DRF), 0);
	rc = lab_restart(&l, LAB_D_RO_DRF, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_restart: %s", why);
	CHECK(lab_daemon_pid(&l, LAB_D_RO_DRF) > 0 && lab_daemon_pid(&l, LAB_D_RO_DRF) != old);
	/* a daemon already running is not started twice */
	CHECK_INT(lab_restart(&l, LAB_D_RO_DRF, why, sizeof(why)), OM_ELAB_DAEMON);
	CHECK_INT(handover(&l, 2, answer, sizeof(answer)), 200);
	snprintf(want, sizeof(want), "result=accepted tre_id=%s", l.tre_ids[2]);
	CHECK_MSG(strstr(answer, want) != NULL, "handover after restart: %s", answer);

	/* the agent's configuration points at the lab */
	struct om_agent_config ac;
	char buf[LAB_PATH_MAX + 64];
	lab_agent_config(&l, 1, &ac, buf, sizeof(buf));
	CHECK(ac.vno_port == l.radio_port && !strcmp(ac.dm_ca_file, l.tls_ca) && ac.fallback_s == 10);
	CHECK(strstr(ac.tre_dir, l.tre_ids[1]) != NULL);

out:
	if (set_up) {
		int bad_exits = lab_stop(&l);
		CHECK_MSG(bad_exits == 0, "%d daemons did not exit 0", bad_exits);
		for (int d = 0; d < LAB_N_DAEMONS; d++)
			CHECK_INT(l.pid[d], 0);
		if (check_failures())
			dump_logs(&l);
	}
	lab_free(&l);
	printf("lab topology: %lld s\n", (long long)(time(NULL) - t0));
	CHECK_MSG(time(NULL) - t0 < 60, "took %lld s", (long long)(time(NULL) - t0));
	if (check_failures())
		fprintf(stderr, "(kept %s)\n", dir);
	else
		du_rm_rf(dir);
	return check_done();
}
