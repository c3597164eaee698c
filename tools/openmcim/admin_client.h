/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of a daemon's admin socket (svc/admin_socket.h), shared
 * by `openmcim hss-admin`, `drf-admin`, `pva-admin` and `sho-admin`: one command line out,
 * the "data" lines printed, the final "ok" or "error <code>" mapped to the exit
 * status. prog names the subcommand in messages ("hss-admin"), peer the
 * daemon ("HSS").
 */
#pragma once

#include <stddef.h>

#define ADMIN_LINE_CAP 4096
#define ADMIN_CALL_TIMEOUT_MS 300000 /* the whole exchange: an import of 100,000 rows takes seconds */

/*
 * The options that lead argv (argv[0] is the subcommand): --socket PATH or
 * --socket=PATH, and --json (admin_client_talk then prints the answer as
 * one JSON object: {"ok":true,"items":[{key: value, ...} per data line]} or
 * {"ok":false,"error":"OM_E...","reason":"..."}). Returns the index of the
 * first word after them with *sock set, or 0 when no socket is given.
 */
int admin_client_socket_arg(int argc, char **argv, const char **sock);

/*
 * Append word w to the command line of *len bytes in line (ADMIN_LINE_CAP),
 * space-separated. Returns 0, or CLI_EUSAGE after a message when w is empty,
 * holds white space or does not fit.
 */
int admin_client_append(const char *prog, char *line, size_t *len, const char *w);

/*
 * Send line (len bytes, ending in a newline, then a NUL) to the socket at sock, print
 * the answer's data lines on stdout, the server's reason and code name on
 * stderr ("reason (OM_E...)"). Returns 0 on "ok", 1 on "error" or when the
 * socket cannot be reached or does not answer within ADMIN_CALL_TIMEOUT_MS,
 * CLI_EUSAGE for a socket path too long.
 */
int admin_client_talk(const char *prog, const char *peer, const char *sock, const char *line, size_t len);

/*
 * With --json, a paged listing gathers its data lines here (admin_client_collect on
 * the array admin_client_items() made) and prints them once at the end with
 * admin_client_items_print; without it admin_client_items() is NULL and the lines
 * are printed as they come. Times in a data line (since=, accepted=, ... epoch
 * seconds) are ISO 8601 in UTC in the JSON (0: null), as the tools take them.
 */
void *admin_client_items(void);
void admin_client_collect(void *items, const char *text);
/* Print {"ok":true,"items":[...]} or the error object; frees items. 0 when ok, else 1. */
int admin_client_items_print(void *items, int ok, const char *error, const char *reason);

/*
 * Every page of a paged listing: "head AFTER\n" with AFTER "-" first, then the
 * key of the last line of the page before (its first word, after any "key="),
 * until a page comes back with fewer than page lines. Prints the lines (with
 * --json one object for all of them). 0, 1 on an error or CLI_EUSAGE.
 */
int admin_client_list(const char *prog, const char *sock, const char *head, unsigned page);
