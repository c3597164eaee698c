/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim lab: the whole system on loopback (docs/lab.md). Sets the
 * topology up and starts it (lab/lab_topology.h), runs the scenario
 * (lab/lab_scenario.h), prints the report on stdout and writes report.txt
 * in the work directory, then stops every daemon unless --keep. Progress
 * goes to stderr when it is a terminal; otherwise stdout gets the report
 * and nothing else. Exit status 0 only when everything expected happened.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "commands.h"
#include "lab_alt3.h"
#include "lab_distributed.h"
#include "lab_scenario.h"
#include "lab_topology.h"

#define LAB_DEFAULT_DEVICES 100
#define LAB_DEFAULT_JOBS 16
#define HELP_EXIT 100 /* parse(): --help was given */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: openmcim lab [options]\n"
		"  --scenario NAME     story (default: the story of docs/lab.md), alt3 (Alternative 3,\n"
		"                      synthetic credentials and two visited networks) or distributed-ro\n"
		"                      (three Registration Operators, spec/000 5.2.2.3.5; docs/lab.md)\n"
		"  --case2             with distributed-ro: a fourth RO whose common PCID space a second RO\n"
		"                      replicates on PostgreSQL and takes over when the first is killed (case 2)\n"
		"  --devices N         devices of the factory run (default %u)\n"
		"  --share-b F         share of the provisioned devices moved to SHO-B (default 0.2)\n"
		"  --share-fallback F  share moved while SHO-B's network is out of reach (default 0.1)\n"
		"  --share-roundtrip F share moved to SHO-B and back to SHO-A, A->B->A (default 0)\n"
		"  --share-roundtrip-c F  share moved to SHO-B, on to SHO-C and back to SHO-A,\n"
		"                      A->B->C->A (default 0)\n"
		"  --seed S            the random choices: factory keys, which device plays what (default 1)\n"
		"  --workdir DIR       where configurations, logs, databases and devices go\n"
		"                      (absent or empty; default a new /tmp/openmcim-lab-XXXXXX)\n"
		"  --keep              after the report, keep the daemons running for inspection\n"
		"                      until Ctrl-C or SIGTERM\n"
		"  --pcap              the VNO writes its NAS and S6a traffic as pcaps\n"
		"  --store sqlite|postgres  every daemon's database: a SQLite file each (default), or\n"
		"                      one PostgreSQL cluster started in DIR/pg with a database each\n"
		"  --tre KIND          the devices' TRE backend: soft (default: a key file, not protected)\n"
		"                      tpm (one swtpm per device under WORKDIR/tpm/) or pkcs11 (one\n"
		"                      SoftHSM2 token under WORKDIR/p11/; docs/lab.md)\n"
		"  --jobs J            device agents running at the same time (default %u)\n"
		"  --grace S           the DRFs' grace period before an old subscription is released (default 2)\n"
		"  --fallback S        the devices' Note Y deadline: a new MCIM that has not attached by then\n"
		"                      falls back (default 3; 20 with --crash, so a restart fits inside it)\n"
		"  --crash DAEMON      kill -9 that daemon in the middle of the phase that uses it,\n"
		"                      restart it, and check that no device is lost or provisioned twice\n"
		"                      (pva vno ro-hss ro-drf ro-dpf sho-a-hss sho-a-sho sho-a-drf sho-a-dpf\n"
		"                      sho-b-hss sho-b-sho sho-b-drf sho-b-dpf sho-c-hss sho-c-sho sho-c-drf\n"
		"                      sho-c-dpf)\n"
		"Exit status 0 when everything expected happened, 1 otherwise, 2 for bad arguments.\n",
		LAB_DEFAULT_DEVICES, LAB_DEFAULT_JOBS);
}

static int num(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || *out < lo || *out > hi) {
		fprintf(stderr, "openmcim lab: %s: '%s' is not a number from %g to %g\n", opt, v, lo, hi);
		return CLI_EUSAGE;
	}
	return 0;
}

/* The programs are installed side by side: the daemons are where this one is. */
static int bin_dir(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return snprintf(out, cap, "%s", exe) < (int)cap ? 0 : -1;
}

/* The daemons' pids for whoever stops a kept lab. */
static void write_pids(const struct lab *l)
{
	char path[LAB_PATH_MAX];
	FILE *f = fopen(lab_path(l, "lab.pids", path, sizeof(path)), "w");
	if (!f)
		return;
	for (int d = 0; d < LAB_N_DAEMONS; d++)
		if (l->pid[d] > 0)
			fprintf(f, "%s %ld\n", lab_daemon_name((enum lab_daemon)d), (long)l->pid[d]);
	fclose(f);
}

static int scenario_alt3; /* --scenario alt3 */
static int scenario_dro;  /* --scenario distributed-ro */
static int dro_case2;     /* --case2 */

static int parse(int argc, char **argv, struct lab_options *o, struct lab_scenario_options *so, int *keep)
{
	double v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return HELP_EXIT;
		if (!strcmp(a, "--keep")) {
			*keep = 1;
			continue;
		}
		if (!strcmp(a, "--pcap")) {
			o->pcaps = 1;
			continue;
		}
		if (!strcmp(a, "--case2")) {
			dro_case2 = 1;
			continue;
		}
		if (!val) {
			fprintf(stderr, "openmcim lab: unknown option or missing value: %s\n", a);
			return CLI_EUSAGE;
		}
		i++;
		if (!strcmp(a, "--scenario")) {
			scenario_alt3 = !strcmp(val, "alt3");
			scenario_dro = !strcmp(val, "distributed-ro");
			if (!scenario_alt3 && !scenario_dro && strcmp(val, "story")) {
				fprintf(stderr, "openmcim lab: --scenario: '%s' is not story, alt3 or distributed-ro\n", val);
				rc = CLI_EUSAGE;
			}
		} else if (!strcmp(a, "--devices")) {
			rc = num(a, val, 1, 1000000, &v);
			o->n_devices = (unsigned)v;
		} else if (!strcmp(a, "--share-b")) {
			rc = num(a, val, 0, 1, &so->share_b);
		} else if (!strcmp(a, "--share-fallback")) {
			rc = num(a, val, 0, 1, &so->share_fallback);
		} else if (!strcmp(a, "--share-roundtrip")) {
			rc = num(a, val, 0, 1, &so->share_roundtrip);
		} else if (!strcmp(a, "--share-roundtrip-c")) {
			rc = num(a, val, 0, 1, &so->share_roundtrip_c);
		} else if (!strcmp(a, "--seed")) {
			char *end;
			errno = 0;
			so->seed = strtoull(val, &end, 10);
			if (errno || end == val || *end) {
				fprintf(stderr, "openmcim lab: --seed: '%s' is not a number\n", val);
				rc = CLI_EUSAGE;
			}
		} else if (!strcmp(a, "--store")) {
			if (!strcmp(val, "postgres")) {
				o->store_pg = 1;
			} else if (!strcmp(val, "sqlite")) {
				o->store_pg = 0;
			} else {
				fprintf(stderr, "openmcim lab: --store: '%s' is neither sqlite nor postgres\n", val);
				rc = CLI_EUSAGE;
			}
		} else if (!strcmp(a, "--tre")) {
			if (om_tre_backend_parse(val, &o->tre_backend) < 0) {
				fprintf(stderr, "openmcim lab: --tre: '%s' is not soft, tpm or pkcs11\n", val);
				rc = CLI_EUSAGE;
			}
		} else if (!strcmp(a, "--workdir")) {
			o->workdir = val;
		} else if (!strcmp(a, "--jobs")) {
			rc = num(a, val, 1, 1024, &v);
			so->jobs = (unsigned)v;
		} else if (!strcmp(a, "--grace")) {
			rc = num(a, val, 1, 3600, &v);
			o->grace_s = (unsigned)v;
		} else if (!strcmp(a, "--fallback")) {
			rc = num(a, val, 1, 3600, &v);
			o->fallback_s = (unsigned)v;
		} else if (!strcmp(a, "--crash")) {
			so->crash = -1;
			for (int d = 0; d < LAB_N_DAEMONS; d++)
				if (!strcmp(val, lab_daemon_name((enum lab_daemon)d)))
					so->crash = d;
			if (so->crash < 0) {
				fprintf(stderr, "openmcim lab: --crash: no daemon named '%s'\n", val);
				rc = CLI_EUSAGE;
			}
		} else {
			fprintf(stderr, "openmcim lab: unknown option: %s\n", a);
			rc = CLI_EUSAGE;
		}
		if (rc)
			return rc;
	}
	if (so->share_b + so->share_fallback + so->share_roundtrip + so->share_roundtrip_c > 1) {
		fprintf(stderr, "openmcim lab: --share-b, --share-fallback, --share-roundtrip and --share-roundtrip-c add up"
				" to more than 1\n");
		return CLI_EUSAGE;
	}
	return 0;
}

/* A scenario's work directory: the one given, or a fresh one made from tmp. NULL when none could be made. */
static const char *scenario_dir(const char *workdir, char *tmp)
{
	if (workdir)
		return workdir;
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "openmcim lab: %s: %s\n", tmp, strerror(errno));
		return NULL;
	}
	return tmp;
}

/* A scenario's report on stdout and in <dir>/report.txt. */
static void scenario_report(const char *dir, void (*report)(FILE *f, const void *r), const void *r)
{
	char path[LAB_PATH_MAX + 16];
	report(stdout, r);
	snprintf(path, sizeof(path), "%s/report.txt", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		report(f, r);
		fclose(f);
	}
}

static void alt3_report(FILE *f, const void *r)
{
	lab_alt3_report(f, r);
}

static void dro_report(FILE *f, const void *r)
{
	lab_dro_report(f, r);
}

/* --scenario alt3 (lab/lab_alt3.h): its own topology, run and report; the exit status as the story's. */
static int run_alt3(const struct lab_options *o, const struct lab_scenario_options *so, char *tmp)
{
	struct lab_alt3_result r;
	struct lab_alt3_options ao = { .workdir = scenario_dir(o->workdir, tmp), .bin_dir = o->bin_dir,
				       .n_devices = o->n_devices + o->n_tampered, /* no tampered run here */
				       .seed = so->seed, .jobs = so->jobs };
	if (!ao.workdir)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	int problems = lab_alt3_run(&ao, &r);
	scenario_report(ao.workdir, alt3_report, &r);
	lab_alt3_free(&r);
	return problems ? 1 : 0;
}

/*
 * --scenario distributed-ro (lab/lab_distributed.h): the lab's topology with two more
 * Registration Operators; --devices is shared among the three ROs (at least one each), or with
 * --case2 among four (at least two each: one before the failover, one after).
 */
static int run_dro(const struct lab_options *o, const struct lab_scenario_options *so, char *tmp)
{
	struct lab_dro_result r;
	unsigned n = o->n_devices + o->n_tampered; /* no tampered run here */
	unsigned n_ros = dro_case2 ? LAB_DRO_N_ROS : LAB_DRO_N_ROS - 1, least = dro_case2 ? 2 : 1;
	struct lab_dro_options ro = { .workdir = scenario_dir(o->workdir, tmp), .bin_dir = o->bin_dir,
				      .n_per_ro = n / n_ros >= least ? n / n_ros : least, .seed = so->seed,
				      .jobs = so->jobs, .case2 = dro_case2 };
	if (!ro.workdir)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	int problems = lab_dro_run(&ro, &r);
	scenario_report(r.dir, dro_report, &r);
	lab_dro_free(&r);
	return problems ? 1 : 0;
}

int cmd_lab(int argc, char **argv)
{
	struct lab_options o = { .n_devices = LAB_DEFAULT_DEVICES, .seed = 1, .grace_s = 2, .fallback_s = 0 };
	struct lab_scenario_options so = {
		.share_b = 0.2, .share_fallback = 0.1, .seed = 1, .jobs = LAB_DEFAULT_JOBS, .crash = -1,
		.wait_push_ms = 30000,
	};
	struct lab l;
	struct lab_run r;
	char bins[LAB_PATH_MAX], tmp[] = "/tmp/openmcim-lab-XXXXXX", why[512] = "", path[LAB_PATH_MAX];
	int keep = 0, rc, status = 1, tty = isatty(2);
	double t0;
	FILE *f;

	rc = parse(argc, argv, &o, &so, &keep);
	int fallback_given = o.fallback_s != 0;
	if (!fallback_given)
		o.fallback_s = 3;
	if (rc == HELP_EXIT) {
		usage(stdout);
		return 0;
	}
	if (rc) {
		usage(stderr);
		return rc;
	}
	o.seed = so.seed;
	/*
	 * A daemon killed and restarted takes a few seconds to be reachable again (the VNO's Diameter
	 * peer reconnects to a restarted HSS): a device whose new MCIM meets that gap must not fall
	 * back for it, or the crash test would measure the lab's short Note Y deadline, not recovery.
	 */
	if (so.crash >= 0 && !fallback_given)
		o.fallback_s = 20;
	/* one of the N is the tampered device (the topology's second factory run) once there is room for the story */
	o.n_tampered = o.n_devices >= 4 ? 1 : 0;
	o.n_devices -= o.n_tampered;
	so.grace_s = o.grace_s;
	so.progress = tty;
	if (bin_dir(bins, sizeof(bins)) < 0) {
		fprintf(stderr, "openmcim lab: cannot tell where this program is (/proc/self/exe)\n");
		return 1;
	}
	o.bin_dir = bins;
	if (scenario_alt3)
		return run_alt3(&o, &so, tmp);
	if (scenario_dro)
		return run_dro(&o, &so, tmp);
	if (!o.workdir) {
		if (!mkdtemp(tmp)) {
			fprintf(stderr, "openmcim lab: %s: %s\n", tmp, strerror(errno));
			return 1;
		}
		o.workdir = tmp;
	}
	/* the daemons are our children: a lost pipe must not take this process down before it stops them */
	signal(SIGPIPE, SIG_IGN);
	if (lab_run_init(&r, &so, o.n_devices, o.n_tampered) < 0) {
		fprintf(stderr, "openmcim lab: out of memory\n");
		return 1;
	}
	memset(&l, 0, sizeof(l));
	if (tty)
		fprintf(stderr, "openmcim lab: %u devices in %s\n", o.n_devices + o.n_tampered, o.workdir);
	t0 = lab_run_now_ms(&r);
	if ((rc = lab_setup(&l, &o, why, sizeof(why))) < 0) {
		fprintf(stderr, "openmcim lab: setup: %s\n", why);
		lab_run_free(&r);
		return 1;
	}
	lab_run_phase_set(&r, LAB_PH_FACTORY, r.n, l.n_devices + l.n_tampered, t0, lab_run_now_ms(&r));
	if (tty)
		fprintf(stderr, "  %-10s %6u devices personalised, topology configured\n", "factory",
			l.n_devices + l.n_tampered);
	t0 = lab_run_now_ms(&r);
	if ((rc = lab_start(&l, why, sizeof(why))) < 0) {
		fprintf(stderr, "openmcim lab: start: %s (logs in %s)\n", why, o.workdir);
		(void)lab_stop(&l);
		lab_free(&l);
		lab_run_free(&r);
		return 1;
	}
	lab_run_phase_set(&r, LAB_PH_START, LAB_N_DAEMONS, LAB_N_DAEMONS, t0, lab_run_now_ms(&r));
	if (tty)
		fprintf(stderr, "  %-10s %6u daemons running\n", "start", (unsigned)LAB_N_DAEMONS);

	rc = lab_scenario_run(&l, &r);
	if (rc < 0)
		lab_run_problem(&r, "the scenario stopped: %s", om_strerror(rc));
	/* every daemon's Prometheus page as the scenario left it (docs/lab.md "Metrics") */
	if (lab_metrics_scrape(&l, why, sizeof(why)) < 0)
		lab_run_problem(&r, "metrics: %s", why);

	if (!keep) {
		int bad = lab_stop(&l);
		if (bad)
			lab_run_problem(&r, "%d daemon(s) did not exit cleanly on SIGTERM (see their logs)", bad);
	}
	lab_report_write(stdout, &l, &r, 0);
	f = fopen(lab_path(&l, "report.txt", path, sizeof(path)), "w");
	if (f) {
		lab_report_write(f, &l, &r, 1);
		fclose(f);
	} else {
		fprintf(stderr, "openmcim lab: %s: %s\n", path, strerror(errno));
	}
	status = r.n_problems ? 1 : 0;
	if (keep) {
		/*
		 * The daemons die with this process (the topology asks the kernel for that, so a lab
		 * never leaves orphans): keeping them means staying here until told to stop.
		 */
		sigset_t set;
		int sig;
		write_pids(&l);
		printf("\nthe daemons are still running (--keep): inspect %s (lab.pids lists them);\n"
		       "Ctrl-C or `kill %ld` stops them\n",
		       o.workdir, (long)getpid());
		/* the owners' consoles (docs/owner.md); the secret stays in its 0600 file, never on a terminal */
		for (int op = LAB_SHO_A; op < LAB_N_OPS; op++)
			printf("console %s: https://localhost:%u/\n", op == LAB_SHO_A ? "SHO-A" : op == LAB_SHO_B ? "SHO-B" : "SHO-C",
			       (unsigned)lab_sho_port(&l, (enum lab_op)op));
		printf("console sign-in: owner %s, secret in %s/owner.secret; the lab's TLS CA is %s\n", LAB_OWNER,
		       o.workdir, l.tls_ca);
		fflush(stdout);
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		(void)sigwait(&set, &sig);
		if (lab_stop(&l))
			fprintf(stderr, "openmcim lab: a daemon did not exit cleanly on SIGTERM (see its log)\n");
	}
	lab_free(&l);
	lab_run_free(&r);
	return status;
}
