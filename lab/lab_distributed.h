/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario distributed-ro` (docs/lab.md "Distributed
 * registration service"): spec/000 5.2.2.3.5 cases 1, 3 and 4 on loopback.
 * The lab's topology (lab_topology.h) plus two more Registration Operators,
 * each with its own PCID range, ICF (openmcim-hss), DRF and trust root (the
 * Cert_SHO[0] its devices were made with):
 *
 *   RO    case 1: the centralised RO of the lab, PCIDs 001-01 0xxxxxxxxx,
 *         routed by the VNO's [home.00101]
 *   RO-2  case 3: a disjoint sub-range of the same MCC/MNC, 001-01
 *         9xxxxxxxxx, on servers of its own, routed by the longer prefix
 *         [home.001019]
 *   RO-3  case 4: another operator's own PCID space, PLMN 001-05
 *   RO-C  case 2 (--case2): a common PCID space, PLMN 001-06, whose ICF and
 *         DRF databases RO-C2 replicates (PostgreSQL streaming replication,
 *         synchronous); the first devices are provisioned through RO-C, then
 *         RO-C is killed (its ICF, DRF and database server), the standby is
 *         promoted and RO-C2's ICF and DRF take over RO-C's addresses and
 *         identities; the other devices are provisioned through RO-C2 (its
 *         own IND slot, docs/sqn.md)
 *
 *   factory     one run per RO, each with its RO's certificate as the root
 *   start       the two extra ICFs, the lab's daemons, the two extra DRFs
 *   owner       the owner registers every device at SHO-A naming its RO as
 *               current operator, gets a transfer code from that RO's DRF
 *               and asks SHO-A for the handover; one device of RO is also
 *               registered at SHO-B naming RO-2, which does not serve it:
 *               refused (the Editor's note of 5.2.2.3.5)
 *   attach      each device attaches with its PCID (its RO's ICF answers),
 *               takes the bootstrap its RO's DRF signed and pushed,
 *               provisions at SHO-A's DPF and attaches with the MCIM
 *   verify      every device PROVISIONED with an IMSI SHO-A's HSS serves;
 *               its PCID authenticated by its own RO's ICF and by no other;
 *               the push from its own RO's DRF; the application parameters
 *               SHO-A's DPF set with the MCIM (./M2MAppParams) stored on it
 *
 * lab_dro_run returns the number of problems; the report ends the run.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include <openmcim/mcim.h>
#include <openmcim/tre.h>

#define LAB_DRO_N_ROS 4 /* RO, RO-2, RO-3 and RO-C (case 2, with --case2 only) */

struct lab_dro_options {
	const char *workdir; /* created; must be empty or absent */
	const char *bin_dir; /* the openmcim-* programs and `openmcim` */
	unsigned n_per_ro;   /* devices made for each RO (>= 1) */
	uint64_t seed;
	unsigned jobs;       /* agents at once */
	int case2;           /* add RO-C, case 2 (needs PostgreSQL) */
};

struct lab_dro_device {
	char tre_id[OM_TRE_ID_MAX + 1];
	char pcid[OM_MCIM_IMSI_MAX + 1];
	char imsi[OM_MCIM_IMSI_MAX + 1]; /* the MCIM it attached with at the end */
	unsigned ro;                      /* 0 RO, 1 RO-2, 2 RO-3, 3 RO-C */
	unsigned phase;                   /* RO-C's: 0 provisioned before the failover, 1 after (through RO-C2) */
	int ran;                          /* its agent ran */
	int sqn_slot;                     /* RO-C's: the IND slot of its PCID's last SQN at RO-C2's ICF (-1 unknown) */
	unsigned lab_index;               /* RO's devices: the index in the lab's tre_ids */
	int code, outcome;                /* om_agent_run's return and outcome */
	int handover_status;              /* the owner's POST /handover at SHO-A */
	char app_server[256];             /* the application server SHO-A's DPF set with the MCIM */
	int ok;
};

struct lab_dro_result {
	unsigned n;
	struct lab_dro_device *dev;
	unsigned n_ro[LAB_DRO_N_ROS], ok_ro[LAB_DRO_N_ROS];
	unsigned app_params_ok;          /* devices holding SHO-A's application parameters, as sent */
	int wrong_ro_refused;            /* the handover naming an RO that does not serve the device was refused */
	char wrong_ro_answer[200];
	double ms[5];                    /* setup, start, owner, attach, total */
	/* case 2 */
	unsigned n_phase[2], ok_phase[2]; /* RO-C's devices before and after the failover */
	unsigned sqn_ok;                  /* RO-C's PCIDs whose last SQN is in their ICF's IND slot */
	unsigned register_ok;             /* RO-C's devices RO-C2's DRF shows as gone to SHO-A */
	unsigned roles_ok;                /* RO-C2's ICF and DRF roles: no superuser, refused at the other's database */
	double failover_ms;               /* kill to RO-C2's ICF and DRF started */
	char problems[32][200];
	unsigned n_problems;
	char dir[512];
};

/* Run it all; 0 when every device is where it should be, else the number of problems (r says which). */
int lab_dro_run(const struct lab_dro_options *o, struct lab_dro_result *r);
void lab_dro_report(FILE *f, const struct lab_dro_result *r);
void lab_dro_free(struct lab_dro_result *r);
