/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files that hold secrets (K and OPc in an HSS database, private keys,
 * captures with RAND/XRES/KASME) are their owner's alone: no group or
 * other permission bit, and owned by the user that uses them. A file that
 * another local user can read has leaked already; one that another user
 * owns (or can write) can be swapped under us. So a daemon checks each such
 * file before it starts (svc/daemon.h om_daemon_private()) and creates new
 * ones 0600 whatever its umask.
 *
 * Messages name the file, the reason and the fix, for an operator's
 * terminal:
 *   /var/lib/openmcim/hss.db: readable by group/others (mode 0644); chmod 600
 *   /var/lib/openmcim/hss.db: owned by uid 65534, not by this user (uid 0); chown it or run as its owner
 */
#pragma once

#include <stddef.h>

#include <openmcim/err.h>

#define OM_PRIVATE_MAY_BE_ABSENT 1u /* a file not there yet passes (it will be created private) */
#define OM_PRIVATE_DIR 2u           /* path is a directory: others may enter it, never write it */

/*
 * Is path ours alone? A file: a regular file owned by the effective uid
 * with no group or other bit (mode 0600 or 0400). With OM_PRIVATE_DIR: a
 * directory owned by the effective uid that neither group nor others may
 * write. Symbolic links are followed: the target is what is read.
 * Returns 0; OM_EFILE_MODE (a group/other bit, or the wrong file type),
 * OM_EFILE_OWNER (another uid), OM_EIO (absent without
 * OM_PRIVATE_MAY_BE_ABSENT, or stat failed); why holds the message above.
 */
OM_NODISCARD int om_private_check(const char *path, unsigned flags, char *why, size_t why_len);

/*
 * Open path for writing from its start, mode 0600 whatever the umask: a
 * new file is created so; an existing one must pass om_private_check()
 * first and is then truncated (a reader who opened it while it was open to
 * others would keep reading what we write, so it is refused, not chmod'ed).
 * Returns the descriptor (O_CLOEXEC), or a negative code with why.
 */
OM_NODISCARD int om_private_create(const char *path, char *why, size_t why_len);
