/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the tests that run a daemon or another program as a real
 * process: run a command and read its output, spawn a daemon with its log
 * in a file, wait for a log line, free loopback ports, the peer-uid probe
 * of an admin socket, temporary directories.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Run argv (argv[0] looked up in PATH unless it holds a '/'); its stdout,
 * and stderr too when merge, into out (NUL-terminated, at most cap-1
 * bytes). Returns the exit status, or -1.
 */
int du_run(const char *const *argv, int merge, char *out, size_t cap);

/* As du_run, but stderr goes to /dev/null unless merge. */
int du_run_quiet(const char *const *argv, int merge, char *out, size_t cap);
/*
 * curl's output with -w "\n%{http_code}": the body (up to cap - 1 bytes) into
 * out, the status returned; -1 when raw has no status line.
 */
int du_curl_split(char *raw, char *out, size_t cap);

/*
 * Run argv (argv[0] a path) to its end: its stdout into out, its stderr
 * into err (each NUL-terminated, at most cap-1 bytes kept, the rest read
 * and dropped). Returns the exit status, or -1.
 */
int du_run_split(const char *const *argv, char *out, size_t out_cap, char *err, size_t err_cap);

/*
 * Parse json (an admin tool's --json output) with jq, independent of the
 * code under test, and evaluate the jq filter expr on it (`jq -e`: true when
 * its last output is neither false nor null). The text goes through
 * dir/json-check.json. Returns 0 when it parses and expr holds, else
 * non-zero after printing jq's verdict on stderr.
 */
int du_json_check(const char *dir, const char *json, const char *expr);

/* Sleep for ms milliseconds. */
void du_nap_ms(long ms);

/* Where freeDiameter's dictionary extensions (dict_nasreq.fdx, ...) are on this machine. */
const char *du_fd_ext_dir(void);

/* A TCP port free on every address just now (a dual-stack [::] probe), or 0. */
unsigned du_free_port(void);

/*
 * Start `exe -c conf` with its stderr into log (truncated first unless
 * append). Returns its pid, or -1.
 */
pid_t du_spawn_daemon(const char *exe, const char *conf, const char *log, int append);

/*
 * Wait up to timeout_ms for needle to appear in the file log. Returns the
 * whole file (malloc'd, NUL-terminated) once it does, or NULL.
 */
char *du_wait_log(const char *log, const char *needle, int timeout_ms);

/*
 * Wait up to timeout_ms for needle in the file log, then read the number
 * after " port=" that follows it. Returns that port, or 0.
 */
unsigned du_log_port(const char *log, const char *needle, int timeout_ms);

/*
 * SIGTERM to pid, then wait up to timeout_ms for it to exit. Returns its
 * exit status, or -1 when it was killed by a signal, had to be killed with
 * SIGKILL after timeout_ms, or pid <= 0.
 */
int du_term_wait(pid_t pid, int timeout_ms);

/* Send sig to pid and reap it. Returns its wait status, or -1 for pid <= 0. */
int du_stop_daemon(pid_t pid, int sig);

/*
 * As uid/gid 65534, in a child: connect to the Unix socket sock and send
 * cmd (a line ending in '\n'). The child's exit code tells what it saw:
 * 10 setuid failed, 20 connect refused with EACCES, 21 connect failed
 * otherwise, 30 answered "error OM_EPERM ...", 31 anything else.
 */
int du_as_nobody(const char *sock, const char *cmd);

/*
 * As a local user who is not the owner (uid/gid 65534, no supplementary
 * groups), in a child: open path for reading, or connect to it when it is
 * a Unix socket. Returns the errno that attempt met (EACCES for a private
 * file), 0 when it succeeded, or -1 when the child could not become 65534.
 */
int du_nobody_errno(const char *path);

/* Write text to path, mode 0600. Returns 0 or -1. */
int du_write_file(const char *path, const char *text);

/* rm -rf dir (a message on stderr when that fails). */
void du_rm_rf(const char *dir);

/* How many entries dir holds, "." and ".." aside; (size_t)-1 when it cannot be opened. */
size_t du_count_entries(const char *dir);

/* pid's parent (/proc/pid/stat), or -1 when it is gone or unreadable. */
pid_t du_parent(pid_t pid);

/* The value of the sample line "name value" (name with its labels) in a metrics page, or -1 when absent. */
long long du_metric_sample(const char *page, const char *name);
