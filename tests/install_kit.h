/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The installed tree for the tests that run it (install_test,
 * one_operator_test): `cmake --install` of this build into a staging
 * directory (DESTDIR), where it put things, and configurations moved into
 * the stage by rewriting the root prefix of their paths.
 */
#pragma once

#include <stddef.h>

/* Where `cmake --install` put the files, without the stage (e.g. "/usr/local/bin"). */
struct ik_tree {
	char bin[1024], conf[1024], unit[1024], share[1024];
};

/*
 * Install the build whose programs are in build_dir into stage (DESTDIR) and
 * find the directories of the programs, configurations, units and data
 * (share/openmcim). The installer's listing into listing (cap bytes). Returns
 * 0, or -1 with what went wrong in listing.
 */
int ik_install(const char *build_dir, const char *stage, struct ik_tree *t, char *listing, size_t cap);

/*
 * The test's stage (mkdtemp of the template stage, e.g. "/tmp/om_x_XXXXXX")
 * and the build directory: the test program's own. 0 or -1.
 */
int ik_stage(char *stage, char *build_dir, size_t cap);

/* out = stage + dir + "/" + name. */
void ik_staged(char *out, size_t cap, const char *stage, const char *dir, const char *name);

/* Copy src to dst (mode 0600) with each of the n (from, to) pairs replaced everywhere. 0 or -1. */
int ik_relocate(const char *src, const char *dst, const char *const pairs[][2], size_t n);

/*
 * Move a deployment to free ports, so its test runs beside others: every
 * TCP port the n files name (a `port = N` line, or `:N` after a host, as in
 * `127.0.0.1:3868` and `https://localhost:8443`) gets one port free on
 * 127.0.0.1 now (du_free_port), the same in every file, so what one file
 * names another still names back. The files are rewritten in place; nothing
 * else in them changes. The (old, new) pairs go to map (cap entries), their
 * number to *n. 0 or -1.
 */
int ik_move_ports(const char *const *files, size_t n_files, unsigned (*map)[2], size_t cap, size_t *n);

/* The port that replaced old in map (ik_move_ports), or old when none did. */
unsigned ik_port(const unsigned (*map)[2], size_t n, unsigned old);

/*
 * The state directory the installed configuration conf names: its "db = "
 * line's path up to "/openmcim" (e.g. "/usr/local/var/lib/openmcim" of
 * "/usr/local/var/lib/openmcim/hss/hss.db"). 0 or -1.
 */
int ik_state_dir(const char *conf, char *out, size_t cap);
