/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Daemon configuration files: INI-style, as operators expect.
 *
 *   # comment
 *   [diameter]
 *   identity = hss.sho-a.lab
 *   realm    = epc.mnc001.mcc001.3gppnetwork.org
 *
 * Every daemon lists the keys it knows; an unknown section or key, a
 * duplicate, or a value out of range is an error naming the file and line,
 * so a typo never silently falls back to a default.
 *
 * A key named "ca" or ending in "_cert", "_key", "_ca" or "_crl" names a file the
 * daemon reads at start (a certificate, a key, a CA bundle): in a daemon
 * (om_conf_check_files_at_load, set by om_daemon_args) loading checks that
 * it can be opened, and an error names the line, the file and the system's
 * reason ("dpf.conf:23: [dpf] tls_cert: /etc/x.pem: No such file or
 * directory"), not a later "I/O error" (issue 15). Tools and tests that
 * only parse a file (the examples in conf/ among them) leave it off.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct om_conf;

/* One key a daemon accepts; section "" is the top of the file. */
struct om_conf_key {
	const char *section;
	const char *key;
	int required;
};

/* Whether om_conf_load() checks the files a configuration names (above); off by default. */
void om_conf_check_files_at_load(int on);

/*
 * Read path and check it against known[] (n entries). On error returns NULL
 * and writes a one-line message ("hss.conf:12: unknown key 'realmm' in
 * [diameter]") into err.
 */
struct om_conf *om_conf_load(const char *path, const struct om_conf_key *known, size_t n, char *err,
			     size_t err_len);
/*
 * As om_conf_load, with every section and key accepted: for reading a file
 * that has been checked already (svc/daemon.c, on SIGHUP).
 */
struct om_conf *om_conf_load_any(const char *path, char *err, size_t err_len);
void om_conf_free(struct om_conf *c);

/* The value of section/key, or NULL when the file does not set it. */
const char *om_conf_get(const struct om_conf *c, const char *section, const char *key);

/* The value or def when unset. */
const char *om_conf_str(const struct om_conf *c, const char *section, const char *key, const char *def);

/*
 * An unsigned integer in [min, max], or def when unset. Returns 0, or -1
 * with a message naming the file and line in err.
 */
int om_conf_uint(const struct om_conf *c, const char *section, const char *key, uint64_t def,
		 uint64_t min, uint64_t max, uint64_t *out, char *err, size_t err_len);

/*
 * The keys whose values differ between a and b, or that only one sets,
 * skip_section/skip_key aside: their count, and "section.key,..." in out
 * (cut at len).
 */
int om_conf_diff(const struct om_conf *a, const struct om_conf *b, const char *skip_section, const char *skip_key,
		 char *out, size_t len);

/* The line that sets section/key, for `file:line: reason` messages; 0 when unset. */
int om_conf_line(const struct om_conf *c, const char *section, const char *key);

/* The file name, for messages. */
const char *om_conf_path(const struct om_conf *c);
