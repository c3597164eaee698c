/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's scenario and its report (issue 7, docs/lab.md "Scenario",
 * "Report", "Crash test"): on a topology that lab_setup() and lab_start()
 * made, the users' story from the factory to the release of old
 * subscriptions, every device run by the real device agent in worker
 * threads, each phase timed from the agent's events.
 *
 *   register     the owner registers the whole factory run at SHO-A (one call)
 *   power-up     each device attaches with its PCID and waits for its push
 *   provision    the owner's transfer code from the RO and handover to SHO-A;
 *                the agent provisions and attaches with the MCIM
 *   register-b   the owner registers the movers at SHO-B (current SHO-A)
 *   transfer     code from SHO-A, handover to SHO-B: PROVISIONED at SHO-B
 *   fallback     the same with SHO-B's HSS killed: FELL_BACK, still at SHO-A
 *   register-back the owner registers the round-trip devices at SHO-A again
 *   register-c   the owner registers the A->B->C->A devices at SHO-C
 *                (current SHO-B)
 *   onward       code from SHO-B, handover to SHO-C: PROVISIONED at SHO-C
 *   return       code from the current SHO's DRF (SHO-B's, or SHO-C's for
 *                A->B->C->A), handover at SHO-A: PROVISIONED at SHO-A again
 *                (A->B->A and A->B->C->A, issue 20)
 *   release      Note Z: after the grace period SHO-A's HSS no longer has the
 *                movers' old IMSIs and still has the fallback devices'
 *   verify       every TRE has exactly one ACTIVE MID, at the expected
 *                operator; the SHOs' states; one `installed` release per
 *                provisioning in the DPFs' records
 *
 * One revoked device (revoked at the PVA before its handover) and one
 * tampered device (measurements the PVA does not accept) are refused in the
 * provision phase with the DPF's reason. Which devices play which part is
 * drawn from the seed, so a run can be repeated.
 *
 * Threads: lab_scenario_run() from the thread that owns the lab (it kills
 * and restarts daemons); it runs the agents in its own worker threads.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lab_topology.h"

/* What a device is for in the story. */
enum lab_part {
	LAB_PART_STAY = 0,  /* provisioned at SHO-A, stays there */
	LAB_PART_MOVE,      /* moved to SHO-B */
	LAB_PART_FALLBACK,  /* moved while SHO-B's network is out of reach: falls back to SHO-A */
	LAB_PART_REVOKED,   /* Cert_TRE revoked at the PVA: refused */
	LAB_PART_TAMPERED,  /* measurements do not match the references: refused */
	LAB_PART_ROUNDTRIP, /* moved to SHO-B, then back to SHO-A (issue 20: A->B->A) */
	LAB_PART_ROUNDTRIP_C, /* moved to SHO-B, on to SHO-C, then back to SHO-A (issue 20: A->B->C->A) */
	LAB_N_PARTS,
};

enum lab_phase {
	LAB_PH_FACTORY = 0,
	LAB_PH_START,
	LAB_PH_REGISTER,
	LAB_PH_POWER_UP,
	LAB_PH_PROVISION,
	LAB_PH_REGISTER_B,
	LAB_PH_TRANSFER,
	LAB_PH_FALLBACK,
	LAB_PH_REGISTER_C,
	LAB_PH_ONWARD,
	LAB_PH_REGISTER_BACK,
	LAB_PH_RETURN,
	LAB_PH_RELEASE,
	LAB_PH_VERIFY,
	LAB_N_PHASES,
};

struct lab_scenario_options {
	double share_b;         /* of the provisioned devices, the part moved to SHO-B */
	double share_fallback;  /* the part moved while SHO-B is out of reach */
	double share_roundtrip; /* the part moved to SHO-B and back to SHO-A */
	double share_roundtrip_c; /* the part moved to SHO-B, on to SHO-C and back to SHO-A */
	uint64_t seed;
	unsigned jobs;          /* agents run at the same time (>= 1) */
	int crash;              /* enum lab_daemon killed with SIGKILL mid-phase, or -1 */
	int progress;           /* 1: a progress line per phase on stderr (a terminal) */
	int wait_push_ms;       /* how long an attached device waits for its bootstrap */
	unsigned grace_s;       /* the topology's Note Z grace period, to wait for the release */
};

struct lab_phase_stats {
	unsigned total, done, failed;
	double t0_ms, t1_ms;     /* since the run's start; t1 < t0: not run */
	double *lat_ms;          /* one per done device (malloc'd) */
	unsigned n_lat;
	const char *lat_what;    /* what the latency measures, for the report */
};

#define LAB_PROBLEMS_MAX 64
#define LAB_REFUSALS_MAX 16

struct lab_refusal {
	char tre_id[OM_TRE_ID_MAX + 1];
	enum lab_part part;
	char reason[160];      /* what the device learnt: the DM status of the refusal */
	char dpf_reason[200];  /* the DPF's code and reason, from its log's refusal line for the TRE */
	int expected;          /* 1 when the DPF's reason is the expected one */
};

struct lab_device;

struct lab_run {
	struct lab_scenario_options opt;
	unsigned n;
	struct lab_device *dev;
	unsigned n_part[LAB_N_PARTS];
	struct lab_phase_stats ph[LAB_N_PHASES];
	/* issue 6's benchmark: power-on to PROVISIONED at SHO-A, every device of the phase */
	double e2e_rate, e2e_p50_ms, e2e_p99_ms;
	struct lab_refusal refusals[LAB_REFUSALS_MAX];
	unsigned n_refusals;
	char problems[LAB_PROBLEMS_MAX][200]; /* everything unexpected, one line each */
	unsigned n_problems;                  /* may exceed LAB_PROBLEMS_MAX: the rest are counted */
	/* the crash test */
	char crash_line[200];                 /* what was killed when, and the restart */
	unsigned agent_reruns;                /* agents run again after an error (they resume from the TRE) */
	int rerun_code[8];                    /* ... after which error (0: a push that never came) */
	unsigned rerun_count[8];
	unsigned owner_retries;               /* owner calls repeated after no answer / 5xx */
	double code_ms, handover_ms;          /* time in the owner's calls, summed over... */
	unsigned n_code, n_handover;          /* ... this many calls */
	/* verify */
	unsigned installed_a, installed_b, installed_c; /* `installed` rows in SHO-A's, SHO-B's and SHO-C's DPF */
	char states[LAB_N_OPS][160];          /* the SHOs' device states, "state=count ..." */
	char ids[LAB_N_OPS][OM_TRE_STAKEHOLDER_MAX + 1]; /* RO_id, SHO-A's, SHO-B's and SHO-C's SHO_id */
	double start_ms_epoch;                /* wall clock of the run's start */
	/* NAS security: attaches the agents reported, and those after Security Mode Control (smc=N >= 1) */
	unsigned attaches, attaches_smc;
	void *priv;
};

/* "factory", "start", "register", ... */
const char *lab_phase_name(enum lab_phase p);
/* "stay", "move", "fallback", "revoked", "tampered", "roundtrip", "roundtrip-c" */
const char *lab_part_name(enum lab_part p);

/*
 * Set r up for the lab's n_genuine devices followed by its n_tampered ones
 * (struct lab's order) and draw each genuine device's part from opt->seed:
 * one revoked device when there are 3 or more, then share_b,
 * share_fallback, share_roundtrip and share_roundtrip_c of the rest (at least one each when the
 * share is not 0 and a device is left). 0, OM_EINVAL or OM_ENOMEM.
 */
OM_NODISCARD int lab_run_init(struct lab_run *r, const struct lab_scenario_options *opt, unsigned n_genuine,
			      unsigned n_tampered);
void lab_run_free(struct lab_run *r);

/* Milliseconds since lab_run_init (monotonic clock). */
double lab_run_now_ms(const struct lab_run *r);

/* Record a phase the caller ran itself (factory, start): total, done, and its span. */
void lab_run_phase_set(struct lab_run *r, enum lab_phase p, unsigned total, unsigned done, double t0_ms,
		       double t1_ms);

/* Record something unexpected (one line, no secret). */
void lab_run_problem(struct lab_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Run every phase after start on the lab l (set up and started, with
 * r->n == l->n_devices + l->n_tampered). Returns 0 when everything expected happened, 1
 * when something unexpected did (r->problems says what), or a negative
 * code when the run could not go on (the lab's or the owner's error).
 */
int lab_scenario_run(struct lab *l, struct lab_run *r);

/* The q quantile (0..1, nearest rank) of v[0..n-1]; 0 when n is 0. v is left as it was. */
double lab_percentile(const double *v, unsigned n, double q);

/*
 * The report: for each phase done, failed, throughput and latency p50/p99;
 * the end-to-end provisioning rate; the refusals with their reasons;
 * problems; where the logs, databases and pcaps are. machine = 1 writes
 * key=value lines (report.txt), 0 the text for people.
 */
void lab_report_write(FILE *f, const struct lab *l, const struct lab_run *r, int machine);
