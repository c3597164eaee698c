/* SPDX-License-Identifier: Apache-2.0 */
/* The openmcim subcommands: one file each, one row each in main.c. */
#pragma once

/*
 * Each subcommand gets argv with argv[0] = its own name. It returns the
 * process exit status: 0 on success, 1 when the operation itself fails (for
 * example MAC-S does not verify), 2 for missing or malformed arguments.
 */
int cmd_milenage(int argc, char **argv);
int cmd_auts(int argc, char **argv);
int cmd_factory(int argc, char **argv);
int cmd_hss_admin(int argc, char **argv);
int cmd_drf_admin(int argc, char **argv);
int cmd_pva_admin(int argc, char **argv);
int cmd_sho_admin(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_pki(int argc, char **argv);

/* Exit status for usage errors, shared by every subcommand. */
#define CLI_EUSAGE 2
