/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an owner-secret check may cost the SHO (issue 14, docs/sho.md
 * "Bounds"): scrypt takes 0.1 s and 32 MiB, and wrong secrets need no
 * account. So failures are counted per source address and per owner id in
 * a window: past fail_max, that source or that owner id gets
 * OM_ESHO_AUTH_LIMIT (HTTP 429) without any scrypt until the window ends;
 * and at most scrypt_max checks run at once, the next gets OM_ESHO_BUSY
 * (HTTP 503). A secret that passed scrypt lately is recognised without
 * scrypt (sho_owner_recall) and never limited, so an owner at work is not
 * locked out by someone guessing at its id.
 *
 * Called under the owner API's handler lock (http_server.h), from one
 * thread at a time.
 */
#pragma once

#include <stdint.h>

#include <openmcim/err.h>

#define SHO_GUARD_ENTRIES 512
#define SHO_GUARD_FAIL_MAX_DEFAULT 10
#define SHO_GUARD_WINDOW_DEFAULT 60 /* seconds */
#define SHO_GUARD_SCRYPT_DEFAULT 2

struct sho_guard {
	unsigned fail_max, window_s, scrypt_max;
	unsigned checking; /* scrypt checks running now */
	struct sho_guard_entry {
		char key[80]; /* "s:" address or "a:" owner id */
		int64_t since;
		unsigned fails;
	} e[SHO_GUARD_ENTRIES];
};

/* Zeros in the arguments take the defaults. */
void sho_guard_init(struct sho_guard *g, unsigned fail_max, unsigned window_s, unsigned scrypt_max);

/*
 * May a check for owner_id from source run scrypt now? 0 (a slot taken:
 * sho_guard_end after), OM_ESHO_AUTH_LIMIT or OM_ESHO_BUSY.
 */
OM_NODISCARD int sho_guard_begin(struct sho_guard *g, const char *source, const char *owner_id, int64_t now);
/* The check that sho_guard_begin allowed has ended; failed: count it for its source and owner id. */
void sho_guard_end(struct sho_guard *g, const char *source, const char *owner_id, int failed, int64_t now);
