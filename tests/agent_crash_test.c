/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 6 "Must show" 3: kill the device agent or the DPF at each step and
 * restart it; the run still ends with exactly one ACTIVE MCIM on the device
 * and the subscription `active` at the right operator (docs/crash.md).
 *
 * The lab (lab/lab_topology.h) runs every daemon on loopback; each case
 * takes a fresh factory device from the RO to SHO-A. The agent is the
 * openmcim-agent program:
 *   - agent points: started with OM_FAILPOINT=<point>, it dies by SIGKILL
 *     there (exit by signal checked), and is started again without it;
 *   - DPF points: SHO-A's DPF is restarted with OM_FAILPOINT=<point>
 *     (lab_restart_env); when it has died there the test restarts it plain
 *     while the agent keeps retrying with backoff.
 * The second run of the agent ends PROVISIONED, or IDLE when the kill came
 * after the confirmation (nothing left to do). Run time: about 3-5 s a case.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "agent.h"
#include "check.h"
#include "daemon_util.h"
#include "lab_topology.h"
#include "tre_at_rest.h"

struct point {
	const char *name;
	int dpf;       /* 1: a point of SHO-A's DPF */
	int then_idle; /* the second run finds nothing to do */
};

static const struct point points[] = {
	{ "agent.attached", 0, 0 },	    { "agent.bootstrap", 0, 0 },   { "agent.dm-authenticated", 0, 0 },
	{ "agent.m2mmobj-sent", 0, 0 },	    { "agent.installed", 0, 0 },   { "agent.install-reported", 0, 0 },
	{ "agent.activated", 0, 0 },	    { "agent.attached-new", 0, 0 }, { "agent.reported", 0, 0 },
	{ "agent.confirmed", 0, 1 },	    { "dpf.released", 1, 0 },	   { "dpf.installed", 1, 0 },
	{ "dpf.outcome", 1, 0 },
};
#define N_POINTS (sizeof(points) / sizeof(points[0]))
#define CASE_TIMEOUT_S 90

static struct lab lab;
static char agent_exe[LAB_PATH_MAX + 32];

static unsigned fallback_override; /* seconds, 0: the lab's */

/* agent.conf for device dev, from the lab's agent configuration. */
static void write_conf(unsigned dev, const char *path, int wait_push_ms)
{
	struct om_agent_config c;
	char buf[LAB_PATH_MAX], text[4096];
	lab_agent_config(&lab, dev, &c, buf, sizeof(buf));
	snprintf(text, sizeof(text),
		 "[agent]\ntre_dir = %s\nvno = %s:%u\ndm_ca = %s\nwait_push = %d\nfallback = %u\n"
		 "net_timeout = %d\nretries = 12\nretry_min = 100\nretry_max = 1500\nlog_level = info\n",
		 c.tre_dir, c.vno_host, (unsigned)c.vno_port, c.dm_ca_file, wait_push_ms,
		 fallback_override ? fallback_override : (unsigned)c.fallback_s,
		 c.net_timeout_ms > 0 ? c.net_timeout_ms : 10000);
	CHECK_INT(du_write_file(path, text), 0);
}

static pid_t agent_start(unsigned dev, const char *failpoint, const char *log, int wait_push_ms)
{
	char conf[LAB_PATH_MAX + 64];
	snprintf(conf, sizeof(conf), "%s/agent-%u.conf", lab.dir, dev);
	write_conf(dev, conf, wait_push_ms);
	if (failpoint)
		setenv("OM_FAILPOINT", failpoint, 1);
	pid_t pid = du_spawn_daemon(agent_exe, conf, log, 1);
	unsetenv("OM_FAILPOINT");
	CHECK(pid > 0);
	return pid;
}

/*
 * Wait for the agent to exit, restarting SHO-A's DPF once if it died at its
 * failpoint meanwhile. Returns the wait status, or -1 on timeout (killed).
 */
static int agent_wait(pid_t pid, int watch_dpf, int *dpf_died)
{
	char why[256];
	for (int i = 0; i < CASE_TIMEOUT_S * 20; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		if (watch_dpf && !*dpf_died && lab_daemon_pid(&lab, LAB_D_A_DPF) == 0) {
			*dpf_died = 1;
			int rc = lab_restart(&lab, LAB_D_A_DPF, why, sizeof(why));
			CHECK_MSG(rc == 0, "restart SHO-A's DPF: %s", why);
		}
		du_nap_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Exactly one ACTIVE MID, an MCIM of SHO-A; no session, nothing pending. Its IMSI into imsi. */
static void check_device(unsigned dev, char imsi[OM_MCIM_IMSI_MAX + 1])
{
	struct om_tre_mid_info a;
	imsi[0] = 0;
	struct om_tre *tre = tre_at_rest(&lab, dev, &a);
	if (!tre)
		return;
	CHECK_MSG(!a.is_pcid && !strcmp(a.owner, "SHO-A"), "%s: active %s owned by %s", lab.tre_ids[dev], a.imsi,
		  a.owner);
	snprintf(imsi, OM_MCIM_IMSI_MAX + 1, "%s", a.imsi);
	om_tre_close(tre);
}

static void crash_case(unsigned dev, const struct point *p)
{
	char log[LAB_PATH_MAX + 64], why[256], code[32], answer[512], state[64] = "", imsi[OM_MCIM_IMSI_MAX + 1];
	char env[96];
	const char *ids[] = { lab.tre_ids[dev] };
	int dpf_died = 0;
	time_t t0 = time(NULL);

	fprintf(stderr, "---- %s (%s)\n", p->name, ids[0]);
	snprintf(log, sizeof(log), "%s/agent-%u.log", lab.dir, dev);
	int n = lab_register(&lab, LAB_SHO_A, LAB_RO, ids, 1, why, sizeof(why));
	CHECK_MSG(n == 1, "%s: register: %s", p->name, why);
	if (p->dpf) {
		lab_kill(&lab, LAB_D_A_DPF, SIGTERM);
		snprintf(env, sizeof(env), "OM_FAILPOINT=%s", p->name);
		int rc = lab_restart_env(&lab, LAB_D_A_DPF, env, why, sizeof(why));
		CHECK_MSG(rc == 0, "%s: restart the DPF: %s", p->name, why);
	}
	pid_t pid = agent_start(dev, p->dpf ? NULL : p->name, log, 30000);
	char *seen = du_wait_log(log, " attached ", 30000);
	CHECK_MSG(seen != NULL, "%s: the agent never attached", p->name);
	free(seen);
	CHECK_INT(lab_transfer_code(&lab, LAB_RO, ids[0], code), 0);
	int hs = lab_handover(&lab, LAB_SHO_A, ids[0], code, answer, sizeof(answer));
	CHECK_MSG(hs == 200, "%s: handover %d %s", p->name, hs, answer);

	int st = agent_wait(pid, p->dpf, &dpf_died);
	if (!p->dpf) {
		/* The first run died at the point, by SIGKILL; the second resumes from the TRE alone. */
		CHECK_MSG(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: first run wait status %d",
			  p->name, st);
		du_write_file(log, ""); /* the second run's lines only */
		/* Provisioned before it died: the second run attaches and rests at once (no push to wait for). */
		pid = agent_start(dev, NULL, log, p->then_idle ? 0 : 30000);
		st = agent_wait(pid, 0, &dpf_died);
	} else {
		CHECK_MSG(dpf_died, "%s: the DPF never reached its failpoint", p->name);
		if (lab_daemon_pid(&lab, LAB_D_A_DPF) == 0)
			CHECK_INT(lab_restart(&lab, LAB_D_A_DPF, why, sizeof(why)), 0);
	}
	size_t len = 0;
	char *text = (char *)check_slurp(log, &len);
	const char *want = p->then_idle ? "outcome=IDLE" : "outcome=PROVISIONED";
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && text && strstr(text, want),
		  "%s: wait status %d, want %s; log:\n%s", p->name, st, want, text ? text : "(none)");
	free(text);
	check_device(dev, imsi);
	CHECK_INT(lab_status(&lab, LAB_SHO_A, ids[0], state, sizeof(state)), 0);
	CHECK_MSG(!strcmp(state, "active"), "%s: SHO-A says %s", p->name, state);
	CHECK_MSG(lab_hss_has(&lab, LAB_SHO_A, imsi) == 1, "%s: SHO-A's HSS lacks %s", p->name, imsi);
	fprintf(stderr, "     %s: %lds\n", p->name, (long)(time(NULL) - t0));
}

/*
 * agent.fell-back: SHO-A restricts the new subscription to its own PLMN after
 * the registration, so the new MCIM never attaches at the lab's VNO (SHO-A's
 * HSS stays up: under requirement A its DPF releases an MCIM only once that
 * HSS made the subscription live, docs/sho.md); the agent dies right after the fallback (Note Y) and the
 * second run must still attach with the PCID, report `fallback` and drop
 * the session: the PCID is the one ACTIVE MID, SHO-A's MCIM inactive.
 */
static void crash_fallback(unsigned dev)
{
	char log[LAB_PATH_MAX + 64], why[256], code[32], answer[512], state[64] = "", imsi[16] = "";
	const char *ids[] = { lab.tre_ids[dev] };
	int dpf_died = 0;
	time_t t0 = time(NULL);

	fprintf(stderr, "---- agent.fell-back (%s)\n", ids[0]);
	snprintf(log, sizeof(log), "%s/agent-%u.log", lab.dir, dev);
	CHECK_INT(lab_register(&lab, LAB_SHO_A, LAB_RO, ids, 1, why, sizeof(why)), 1);
	CHECK_INT(lab_status_field(&lab, LAB_SHO_A, ids[0], "imsi", imsi, sizeof(imsi)), 0);
	CHECK_INT(lab_hss_change(&lab, LAB_SHO_A, imsi, "roaming=00102"), 0);
	fallback_override = 4;
	pid_t pid = agent_start(dev, "agent.fell-back", log, 30000);
	free(du_wait_log(log, " attached ", 30000));
	CHECK_INT(lab_transfer_code(&lab, LAB_RO, ids[0], code), 0);
	CHECK_INT(lab_handover(&lab, LAB_SHO_A, ids[0], code, answer, sizeof(answer)), 200);
	int st = agent_wait(pid, 0, &dpf_died);
	CHECK_MSG(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "agent.fell-back: first run wait status %d", st);
	du_write_file(log, "");
	pid = agent_start(dev, NULL, log, 30000);
	st = agent_wait(pid, 0, &dpf_died);
	fallback_override = 0;
	size_t len = 0;
	char *text = (char *)check_slurp(log, &len);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && text && strstr(text, "outcome=FELL_BACK") &&
			  strstr(text, "outcome=fallback"),
		  "agent.fell-back: wait status %d; log:\n%s", st, text ? text : "(none)");
	free(text);
	struct om_tre_mid_info a, mi[OM_TRE_MIDS_MAX];
	struct om_tre *tre = tre_at_rest(&lab, dev, &a);
	if (tre) {
		CHECK_MSG(a.is_pcid, "active %s owned by %s", a.imsi, a.owner);
		CHECK(om_tre_mid_list(tre, "SHO-A", mi, OM_TRE_MIDS_MAX) == 1 && mi[0].state == OM_TRE_MID_INACTIVE);
		om_tre_close(tre);
	}
	CHECK_INT(lab_status(&lab, LAB_SHO_A, ids[0], state, sizeof(state)), 0);
	CHECK_MSG(strcmp(state, "active") != 0, "SHO-A says active after a fallback");
	fprintf(stderr, "     agent.fell-back: %lds (SHO-A: %s)\n", (long)(time(NULL) - t0), state);
}

int main(void)
{
	char work[] = "/tmp/om-agent-crash-XXXXXX", why[512], bin[LAB_PATH_MAX];
	const char *cli = getenv("OM_CLI");
	if (!cli || !mkdtemp(work)) {
		fprintf(stderr, "OM_CLI unset or no temp dir\n");
		return 1;
	}
	snprintf(bin, sizeof(bin), "%s", cli);
	snprintf(agent_exe, sizeof(agent_exe), "%s/openmcim-agent", dirname(bin));
	snprintf(bin, sizeof(bin), "%s", cli);
	struct lab_options opt = { .workdir = work, .bin_dir = dirname(bin), .n_devices = N_POINTS + 1, .seed = 7,
				   .grace_s = 60, .fallback_s = 60 };
	int rc = lab_setup(&lab, &opt, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_setup: %s", why);
	if (rc == 0) {
		rc = lab_start(&lab, why, sizeof(why));
		CHECK_MSG(rc == 0, "lab_start: %s", why);
		for (unsigned i = 0; rc == 0 && i < N_POINTS; i++)
			crash_case(i, &points[i]);
		if (rc == 0)
			crash_fallback(N_POINTS);
		CHECK_INT(lab_stop(&lab), 0);
		lab_free(&lab);
	}
	if (!check_failures())
		du_rm_rf(work);
	else
		fprintf(stderr, "lab kept in %s\n", work);
	return check_done();
}
