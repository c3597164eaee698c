/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside `openmcim lab --scenario distributed-ro` (lab_distributed.h): the
 * run's state, shared by lab_distributed.c (cases 1, 3 and 4, the owner, the
 * devices, the report) and lab_case2.c (case 2: the common PCID space on
 * PostgreSQL streaming replication and its failover).
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lab_distributed.h"
#include "lab_proc.h"
#include "pg_local_cluster.h"

#define DRO_N_EXTRA (LAB_DRO_N_ROS - 1) /* RO-2, RO-3 and, with --case2, RO-C */
#define DRO_PATH_CAP (LAB_PATH_MAX + 320)
#define DRO_RO_C 3                      /* RO-C's index among the ROs (lab_dro_device.ro) */

/* A Registration Operator beside the lab's RO. */
struct dro_extra_ro {
	const char *id, *stem, *mnc, *msin_first, *prefix, *realm, *tre_prefix;
};
extern const struct dro_extra_ro dro_extra[DRO_N_EXTRA];

struct dro {
	const struct lab_dro_options *o;
	struct lab_dro_result *r;
	struct lab l;
	int lab_set_up;
	unsigned n_extra;                       /* 2, or 3 with case 2 */
	uint16_t hss_dia[DRO_N_EXTRA], drf_port[DRO_N_EXTRA];
	int port_lock[2 * DRO_N_EXTRA];
	int locks_held;
	pid_t hss[DRO_N_EXTRA], drf[DRO_N_EXTRA];
	char icf_db[DRO_N_EXTRA][DRO_PATH_CAP]; /* each extra ICF's and DRF's db: a file, or RO-C's primary */
	char drf_db[DRO_N_EXTRA][DRO_PATH_CAP];
	/* case 2: RO-C's cluster and the standby RO-C2 keeps of it, RO-C2's ICF and DRF once promoted */
	struct om_pg_cluster primary, standby;
	int primary_up, standby_up;
	char icf_db2[DRO_PATH_CAP], drf_db2[DRO_PATH_CAP];
	pid_t hss2, drf2;
};

/* one line of the run's problems (lab_proc.h) */
#define dro_problem(r, ...)                                                                             \
	lab_problem_add((r)->problems, sizeof((r)->problems) / sizeof((r)->problems[0]), &(r)->n_problems, \
			__VA_ARGS__)

/* <workdir>/<fmt...> into buf (DRO_PATH_CAP). */
const char *dro_at(const struct dro *a, char *buf, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Start openmcim-<what> with <stem>-<what>.conf, waited for by its `started` line. 0 or OM_ELAB_DAEMON. */
int dro_spawn(struct dro *a, const char *stem, const char *what, pid_t *pid);

/* ---- lab_case2.c ------------------------------------------------------------------ */

/* RO-C's PostgreSQL cluster and its ICF's and DRF's databases (a->icf_db[2], drf_db[2]), before the seeding. */
int dro_case2_primary(struct dro *a);
/* Before the start: RO-C2's synchronous hot standby (the seeding replicates to it), and RO-C2's configurations on it. */
int dro_case2_standby(struct dro *a);
/*
 * The failover: once RO-C's DRF heard every completion of the devices it
 * served, RO-C's ICF and DRF killed (SIGKILL) and its cluster crashed; the
 * standby promoted; RO-C2's ICF and DRF started on it, on RO-C's addresses.
 */
int dro_case2_failover(struct dro *a);
/* After the devices: the SQN slot of each of RO-C's PCIDs and the register, as RO-C2 serves them. */
void dro_case2_verify(struct dro *a);
/* RO-C2's daemons and both clusters. */
void dro_case2_stop(struct dro *a);
