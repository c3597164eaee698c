/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Subscriber administration: the commands of the provisioning protocol
 * (docs/hss.md "Provisioning"), independent of the socket that carries them.
 */
#pragma once

#include <stddef.h>

#include "hss.h"

/* Receives each data line of an answer (show), without the newline. */
typedef void (*hss_admin_emit)(void *ctx, const char *line);

/*
 * Run one command line (modified in place while parsed). Returns 0, or a
 * negative om_err code with a one-line reason in why (which names the file
 * line for an import). Each change is logged with one line, no secrets;
 * every change runs in one durable transaction, so a refusal changes nothing.
 */
int hss_admin_exec(struct hss *h, char *line, hss_admin_emit emit, void *ctx, char *why, size_t why_len);
