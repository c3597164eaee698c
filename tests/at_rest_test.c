/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files and secrets at rest (issue 11), tried as another local user would.
 * The lab runs every daemon as a real process (the same programs, configs
 * and keys an operator has); this test runs with umask 022, so whatever is
 * private is so because the code made it so.
 *
 * 1. While the daemons run, every directory of the work tree is opened to
 *    traversal (0711: an operator's /var/lib may be) and uid 65534 tries
 *    each file: every database with its -wal and -shm, the captures (NAS,
 *    and S6a with RAND/XRES/KASME), keys, configurations, logs, admin
 *    sockets, the TREs, the factory's RO file: each attempt meets EACCES.
 *    The certificates and the factory's files for the PVA are the control: the
 *    same probe reads them, so the probe can fail.
 * 2. With the daemons stopped, each program is started on a database, key,
 *    capture, configuration or run directory that others may read (or
 *    write), or that another user owns: it exits 1 with
 *    "refusing to start: FILE: REASON; FIX (CODE)" and not one byte under
 *    the work directory changes; put right, the same daemon starts.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"
#include "lab_topology.h"
#include "refusal_kit.h"

#define MAX_ENTRIES 1024

static struct lab lab;
static char work[] = "/tmp/om-at-rest-XXXXXX";

static struct entry {
	char path[LAB_PATH_MAX + 64];
	mode_t mode;
} ent[MAX_ENTRIES];
static size_t n_ent;

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || n_ent == MAX_ENTRIES)
			continue;
		struct entry *x = &ent[n_ent];
		snprintf(x->path, sizeof(x->path), "%s/%s", dir, e->d_name);
		if (lstat(x->path, &st) != 0)
			continue;
		x->mode = st.st_mode;
		n_ent++;
		if (S_ISDIR(st.st_mode))
			walk(x->path);
	}
	if (d)
		closedir(d);
}

/* Meant for anyone: certificates, and the factory's files for the PVA (the owner's note holds claim secrets). */
static int is_public(const char *rel)
{
	size_t n = strlen(rel);
	return (n > 4 && !strcmp(rel + n - 4, ".pem")) || !strncmp(rel, "factory/pva/", 12);
}

static const char *rel_of(const char *path)
{
	return path + strlen(work) + 1;
}

static void another_user_reads_nothing_secret(void)
{
	/* what must be there, or the walk proves nothing */
	static const char *const expected[] = {
		"ro-hss.db", "ro-hss.db-wal", "ro-hss.db-shm", "sho-a-sho.db", "sho-a-drf.db-wal", "pva.db",
		"vno-nas.pcap", "vno-s6a.pcap", "ro-hss/prov.sock", "pva/admin.sock", "ro-hss/freeDiameter.conf",
		"pki/pva-responder.key", "pki/tls/ca.key", "sho-a-sho.conf", "owner.secret",
		"factory/ro/pcid-credentials.csv", "factory/owner/delivery-note.csv", "sho-a-hss.log",
	};
	size_t secret = 0, public = 0;
	n_ent = 0;
	walk(work);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		int seen = 0;
		for (size_t j = 0; j < n_ent && !seen; j++)
			seen = !strcmp(rel_of(ent[j].path), expected[i]);
		CHECK_MSG(seen, "%s is not in the work directory", expected[i]);
	}
	CHECK(chmod(work, 0711) == 0);
	for (size_t i = 0; i < n_ent; i++)
		if (S_ISDIR(ent[i].mode))
			CHECK(chmod(ent[i].path, 0711) == 0);
	for (size_t i = 0; i < n_ent; i++) {
		if (S_ISDIR(ent[i].mode))
			continue;
		const char *rel = rel_of(ent[i].path);
		int e = du_nobody_errno(ent[i].path);
		if (is_public(rel)) {
			CHECK_MSG(e == 0, "%s: uid 65534 cannot read a public file (errno %d): the probe is broken", rel, e);
			public++;
		} else {
			CHECK_MSG(e == EACCES, "%s (mode %04o): uid 65534 got errno %d, want EACCES", rel,
				  (unsigned)(ent[i].mode & 07777), e);
			secret++;
		}
	}
	printf("another user: %zu secret files and sockets refused, %zu public files read\n", secret, public);
	CHECK(secret > 60 && public > 10);
	for (size_t i = 0; i < n_ent; i++)
		if (S_ISDIR(ent[i].mode))
			CHECK(chmod(ent[i].path, ent[i].mode & 07777) == 0);
	CHECK(chmod(work, 0700) == 0);
}

/* The program and configuration of a lab daemon, run to its end (it must refuse at once). */
static int run_daemon(const char *prog, const char *conf_stem, char *err, size_t cap)
{
	char exe[LAB_PATH_MAX + 32], conf[LAB_PATH_MAX + 32], out[4096];
	snprintf(exe, sizeof(exe), "%s/openmcim-%s", lab.bin_dir, prog);
	lab_path(&lab, conf_stem, conf, sizeof(conf));
	strcat(conf, ".conf");
	/* a daemon that does not refuse would run for ever: timeout ends it (exit 124) */
	const char *argv[] = { "/usr/bin/timeout", "20", exe, "-c", conf, NULL };
	return du_run_split(argv, out, sizeof(out), err, cap);
}

enum how { MODE_0644, MODE_0640, MODE_0777_DIR, OWNER_65534 };

/*
 * Make file rel open to others (or another user's), start prog with the
 * configuration conf_stem: exit 1, the message, not a byte moved. Then put
 * it back.
 */
static void refuses(const char *prog, const char *conf_stem, const char *rel, enum how how)
{
	char path[LAB_PATH_MAX + 64], err[4096], want[1024];
	struct stat st;
	const char *const dirs[] = { work };
	lab_path(&lab, rel, path, sizeof(path));
	CHECK_MSG(stat(path, &st) == 0, "%s: missing", rel);
	mode_t old = st.st_mode & 07777;
	const char *code = "OM_EFILE_MODE";
	switch (how) {
	case MODE_0644:
		CHECK(chmod(path, 0644) == 0);
		snprintf(want, sizeof(want), "%s: readable by group/others (mode 0644); chmod 600", path);
		break;
	case MODE_0640:
		CHECK(chmod(path, 0640) == 0);
		snprintf(want, sizeof(want), "%s: readable by group/others (mode 0640); chmod 600", path);
		break;
	case MODE_0777_DIR:
		CHECK(chmod(path, 0777) == 0);
		snprintf(want, sizeof(want), "%s: writable by group/others (mode 0777); chmod go-w", path);
		break;
	case OWNER_65534:
		CHECK_MSG(chown(path, 65534, 65534) == 0, "chown needs root");
		snprintf(want, sizeof(want), "%s: owned by uid 65534, not by this user (uid %u); chown it or run as its owner",
			 path, (unsigned)geteuid());
		code = "OM_EFILE_OWNER";
		break;
	}
	char *before = rk_snapshot(NULL, 0, dirs, 1);
	int status = run_daemon(prog, conf_stem, err, sizeof(err));
	char *after = rk_snapshot(NULL, 0, dirs, 1);
	char line[1200];
	snprintf(line, sizeof(line), "openmcim-%s: refusing to start: %s (%s)\n", prog, want, code);
	CHECK_MSG(status == 1, "openmcim-%s on %s: exit %d, want 1; stderr: %.300s", prog, rel, status, err);
	CHECK_MSG(strstr(err, line) != NULL, "openmcim-%s on %s: stderr '%.400s', want '%s'", prog, rel, err, line);
	CHECK_MSG(rk_same(before, after, rel), "openmcim-%s on %s wrote", prog, rel);
	free(before);
	free(after);
	if (how == OWNER_65534)
		CHECK(chown(path, geteuid(), getegid()) == 0);
	CHECK(chmod(path, old) == 0);
}

static void restarts(enum lab_daemon d)
{
	char why[512] = "";
	int rc = lab_restart(&lab, d, why, sizeof(why));
	/*
	 * Its port may have gone to a test running beside this one while the lab was
	 * stopped (docs/lab.md): a daemon that got as far as listening passed its file checks.
	 */
	int port_taken = rc != 0 && strstr(why, "Address already in use") && !strstr(why, "refusing to start");
	CHECK_MSG(rc == 0 || port_taken, "%s does not start again once put right: %s", lab_daemon_name(d), why);
	if (port_taken)
		fprintf(stderr, "at_rest_test: %s passed its file checks but its port was taken\n", lab_daemon_name(d));
}

/* Each program, its configuration, the file made open to others (or another user's), how. */
static const struct {
	const char *prog, *conf_stem, *rel;
	enum how how;
} cases[] = {
	{ "hss", "ro-hss", "ro-hss.db", MODE_0644 },
	{ "hss", "ro-hss", "ro-hss.db", OWNER_65534 },
	{ "hss", "ro-hss", "ro-hss", MODE_0777_DIR },
	{ "pva", "pva", "pva.db", MODE_0644 },
	{ "pva", "pva", "pki/pva-responder.key", MODE_0640 },
	{ "vno", "vno", "vno-s6a.pcap", MODE_0644 },
	{ "vno", "vno", "vno-nas.pcap", OWNER_65534 },
	{ "vno", "vno", "pki/tls/push.vno.lab.key", MODE_0644 },
	{ "sho", "sho-a-sho", "sho-a-sho.conf", MODE_0644 }, /* it holds OP */
	{ "sho", "sho-a-sho", "sho-a-sho.db", MODE_0644 },
	{ "sho", "sho-a-sho", "pki/sho-a-signing.key", OWNER_65534 },
	{ "drf", "sho-a-drf", "sho-a-drf.db", MODE_0644 },
	{ "drf", "sho-a-drf", "pki/sho-a-signing.key", MODE_0644 },
	{ "drf", "sho-a-drf", "pki/tls/drf.sho-a.lab.key", MODE_0640 },
	{ "dpf", "sho-a-dpf", "sho-a-dpf.db", MODE_0644 },
	{ "dpf", "sho-a-dpf", "pki/sho-a-signing.key", MODE_0644 }, /* its sign_key; the SHO's files are not its own */
	{ "dpf", "sho-a-dpf", "pki/tls/dpf.sho-a.lab.key", OWNER_65534 },
};

static void each_daemon_refuses_files_open_to_others(void)
{
	char dev[LAB_PATH_MAX + 64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refuses(cases[i].prog, cases[i].conf_stem, cases[i].rel, cases[i].how);

	/* The device: its TRE refuses a directory others may write, with its own code (docs/tre.md). */
	char conf[LAB_PATH_MAX + 64], text[2048], err[4096], out[4096], exe[LAB_PATH_MAX + 32];
	const char *const dirs[] = { work };
	lab_device_dir(&lab, 0, dev, sizeof(dev));
	lab_path(&lab, "agent-0.conf", conf, sizeof(conf));
	snprintf(text, sizeof(text), "[agent]\ntre_dir = %s\nvno = 127.0.0.1:%u\ndm_ca = %s\nretries = 1\n", dev,
		 (unsigned)lab.radio_port, lab.tls_ca);
	CHECK_INT(du_write_file(conf, text), 0);
	CHECK(chmod(dev, 0777) == 0);
	snprintf(exe, sizeof(exe), "%s/openmcim-agent", lab.bin_dir);
	const char *argv[] = { "/usr/bin/timeout", "20", exe, "-c", conf, NULL };
	char *before = rk_snapshot(NULL, 0, dirs, 1);
	int status = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	char *after = rk_snapshot(NULL, 0, dirs, 1);
	CHECK_MSG(status == 1, "openmcim-agent: exit %d, want 1; stderr: %.300s", status, err);
	CHECK_MSG(strstr(err, "code=OM_ETRE_DIR_WRITABLE") != NULL, "openmcim-agent: stderr %.400s", err);
	CHECK(rk_same(before, after, "the TRE"));
	free(before);
	free(after);
	CHECK(chmod(dev, 0700) == 0);
	unlink(conf);

	/* put right, each starts: the refusals were the files' modes and owners, nothing else */
	static const enum lab_daemon again[] = { LAB_D_PVA, LAB_D_RO_HSS, LAB_D_A_HSS, LAB_D_VNO,
						 LAB_D_A_DRF, LAB_D_A_SHO, LAB_D_A_DPF };
	for (size_t i = 0; i < sizeof(again) / sizeof(again[0]); i++)
		restarts(again[i]);
}

int main(void)
{
	const char *cli = getenv("OM_CLI");
	char bin_dir[512], why[512];
	int set_up = 0;

	signal(SIGPIPE, SIG_IGN);
	umask(022); /* the usual default: the daemons must set their own */
	CHECK_MSG(cli != NULL, "OM_CLI not set (run through ctest)");
	CHECK(mkdtemp(work) != NULL);
	if (check_failures())
		return check_done();
	snprintf(bin_dir, sizeof(bin_dir), "%s", cli);
	*strrchr(bin_dir, '/') = '\0';
	struct lab_options opt = { .workdir = work, .bin_dir = bin_dir, .n_devices = 1, .seed = 3, .pcaps = 1,
				   .grace_s = 2, .fallback_s = 10 };
	int rc = lab_setup(&lab, &opt, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_setup: %s", why);
	set_up = rc == 0;
	if (!set_up)
		goto out;
	rc = lab_start(&lab, why, sizeof(why));
	CHECK_MSG(rc == 0, "lab_start: %s", why);
	if (rc < 0)
		goto out;
	another_user_reads_nothing_secret();
	/* a clean stop is lab_topology_test's to check; here the refusals need every daemon stopped */
	int unclean = lab_stop(&lab);
	if (unclean)
		fprintf(stderr, "at_rest_test: %d daemon(s) did not exit 0 on SIGTERM (their logs say why)\n", unclean);
	each_daemon_refuses_files_open_to_others();
out:
	if (set_up)
		lab_stop(&lab);
	lab_free(&lab);
	if (getenv("OM_KEEP_TMP"))
		fprintf(stderr, "kept %s\n", work);
	else
		du_rm_rf(work);
	return check_done();
}
