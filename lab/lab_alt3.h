/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario alt3` (docs/lab.md "Alternative 3"): spec/000
 * 5.2.4.6.3 end to end on loopback, with synthetic credentials.
 *
 *   factory     a synthetic run (factory --synthetic): f(Ku) in each TRE,
 *               Ku on its label, the public range and verifiers
 *   start       two operators, OP-1 and OP-2, each with its HSS and its
 *               visited network (VNO-1, VNO-2); each VNO serves the
 *               synthetic range (PLMN 001-09) from its own operator's HSS,
 *               so a device is accepted only where its owner has a contract
 *   owner       for each device the owner gives Ku to the operator it chose
 *               (step 2), which creates the subscription suspended (step
 *               3-4), and activates it (5.2.4.3.4); one mistyped Ku is
 *               refused; a few devices are left not activated yet
 *   attach      each device's agent tries VNO-1 then VNO-2 (step 6) and
 *               rests attached where it was accepted; the not-activated
 *               ones are refused by both
 *               and each attached device runs the DM session with the
 *               application activation server its factory configured
 *               (MFR-1's openmcim-aas, steps 7-8): ./M2MAppParams, the
 *               application server its owner chose and that server's anchor
 *   activate    the owner activates those; their agents attach at VNO-2
 *               and get their parameters too
 *   attacks     before the attach phase: an activation server the device's
 *               trust root does not name, and the real one with a tampered
 *               and an oversized parameters file; each refused, nothing kept
 *   verify      every device attached at its operator's network, with the
 *               IMSI f(Ku) of its label, holding its own parameters
 *
 * The report ends the run; lab_alt3_run returns the number of problems.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include <openmcim/mcim.h>
#include <openmcim/mobj.h>

struct lab_alt3_options {
	const char *workdir; /* created; must be empty or absent */
	const char *bin_dir; /* the openmcim-* programs and `openmcim` */
	unsigned n_devices;  /* >= 3: one of each part */
	uint64_t seed;       /* which device plays which part */
	unsigned jobs;       /* agents at once */
};

enum lab_alt3_part {
	ALT3_OP1 = 0,     /* contract with OP-1: accepted at VNO-1 */
	ALT3_OP2,         /* contract with OP-2: refused at VNO-1, accepted at VNO-2 */
	ALT3_OP2_LATE,    /* OP-2, activated only after a first refused power-up */
	ALT3_N_PARTS,
};

struct lab_alt3_device {
	char tre_id[OM_TRE_ID_MAX + 1];
	char imsi[OM_MCIM_IMSI_MAX + 1]; /* f(Ku) of the label */
	enum lab_alt3_part part;
	char network[32];                /* where the last run attached ("" if nowhere) */
	unsigned refused_vno1, refused_vno2; /* attach-failed events at each network */
	int early_code;                  /* ALT3_OP2_LATE: the code of the run before activation */
	unsigned app;                    /* the application provider its owner chose: 0 or 1 */
	int app_ok;                      /* holds exactly the parameters given for it, from the AAS */
	int ok;
};

struct lab_alt3_result {
	unsigned n;
	struct lab_alt3_device *dev;
	unsigned n_part[ALT3_N_PARTS], ok_part[ALT3_N_PARTS];
	int wrong_ku_refused;            /* the mistyped Ku got OM_ESHO_SYNTH_UNKNOWN and nothing */
	unsigned app_ok;                 /* devices holding their own application parameters */
	int rogue_refused;               /* an AAS not proving the trust root's key: OM_EAGENT_AAS_IDENTITY, nothing kept */
	int tampered_refused;            /* a tampered parameters file: never sent, nothing kept */
	int oversized_refused;           /* an oversized parameters file: the same */
	double ms[7];                    /* factory, start, owner, attacks, attach, activate, total */
	char problems[32][200];
	unsigned n_problems;
	char dir[512];
};

/* Run it all; 0 when every device is where it should be, else the number of problems (r says which). */
int lab_alt3_run(const struct lab_alt3_options *o, struct lab_alt3_result *r);
void lab_alt3_report(FILE *f, const struct lab_alt3_result *r);
void lab_alt3_free(struct lab_alt3_result *r);
