/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File primitives for the TRE's directory: whole-file reads, atomic
 * replacement and secure erase. Paths are dir + "/" + name, name never
 * containing a slash.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define TRE_PATH_MAX 4096

/* dir/name into out. 0 or OM_EINVAL (too long, or name with '/'). */
OM_NODISCARD int tre_path(char out[static TRE_PATH_MAX], const char *dir, const char *name);

/*
 * The directory is the device's alone to change: a directory, owned by the
 * effective uid, not writable by group or others (issue 12: otherwise any
 * local user could swap or roll back the sealed files, as one who reads
 * the sealing key could open them). 0, OM_ETRE_NOT_FOUND,
 * OM_ETRE_DIR_OWNER, OM_ETRE_DIR_WRITABLE.
 */
OM_NODISCARD int tre_dir_check(const char *dir);

/*
 * How much of a write or erase reaches the medium before it returns:
 * TRE_SYNC the file and its directory entry; TRE_SYNC_NONE nothing (the
 * factory's batch mode, OM_TRE_NO_FSYNC); TRE_SYNC_DEFER_DIR the file's
 * bytes but not the directory, because the transaction's last write in the
 * same directory syncs it, and with it this entry (POSIX fsync of a
 * directory; docs/tre.md "Atomicity").
 */
enum { TRE_SYNC = 0, TRE_SYNC_NONE = 1, TRE_SYNC_DEFER_DIR = 2 };

/*
 * Replace dir/name with data, mode 0600. TRE_SYNC: write the name's spare
 * ".<name>.spare", fsync, exchange it with name (renameat2), fsync dir, then
 * empty the spare (the old bytes); otherwise a temp file in dir, write,
 * fsync (not with TRE_SYNC_NONE), rename over name (docs/tre.md
 * "Atomicity"). With excl the
 * file is created in place with O_EXCL instead (fresh files of a factory
 * run: nothing to replace, so no temp file). 0, OM_ETRE_EXISTS (excl), OM_EIO.
 */
OM_NODISCARD int tre_file_write(const char *dir, const char *name, const uint8_t *data, size_t len,
				int excl, int sync);

/*
 * As tre_file_write, the directory's sync (TRE_SYNC) done on dir_fd, a
 * descriptor of dir kept open by the caller (the TRE's sealer, seal.h),
 * instead of an open, fsync and close of dir per write (issue 14). -1: as
 * tre_file_write. Every file of the write is still named by dir/name.
 */
OM_NODISCARD int tre_file_write_at(int dir_fd, const char *dir, const char *name, const uint8_t *data, size_t len,
				   int excl, int sync);

/*
 * Read dir/name into a malloc'd buffer. 0, OM_ETRE_NOT_FOUND, OM_ENOMEM,
 * OM_EIO, OM_ETRE_FILE_OWNER (the file is another user's).
 */
OM_NODISCARD int tre_file_read(const char *dir, const char *name, uint8_t **out, size_t *len);

/*
 * Overwrite dir/name with zeros, fsync, unlink, fsync dir. On flash with
 * wear levelling or a copy-on-write file system the old blocks may survive:
 * they hold only ciphertext under the sealing key (docs/tre.md).
 * 0, OM_ETRE_NOT_FOUND, OM_EIO.
 */
OM_NODISCARD int tre_file_erase(const char *dir, const char *name, int sync);
/* As tre_file_erase, the directory synced on dir_fd when it is not -1 (tre_file_write_at). */
OM_NODISCARD int tre_file_erase_at(int dir_fd, const char *dir, const char *name, int sync);

/*
 * fsync dir (on dir_fd when it is not -1), then, when parent_too, the
 * directory that holds it: what makes files created O_EXCL in it, and a
 * directory just made, durable (personalisation). 0, OM_EIO.
 */
OM_NODISCARD int tre_dir_sync(int dir_fd, const char *dir, int parent_too);
