/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 15 "Must show" (a test that installs into a staging directory, runs
 * one operator's daemons from the installed tree with the installed
 * configurations and provisions one device through them) and issue 13's
 * (conf/ is one deployment whose files fit together, and a test starts the
 * daemons from exactly those files and provisions one device through them).
 *
 * Every step is one docs/operate.md "One operator from scratch" tells an
 * operator, run with the installed programs:
 *  1. `cmake --install` into a stage (DESTDIR);
 *  2. the installed configurations (conf/<nf>.conf.example) moved into the
 *     stage by rewriting only the root prefix of their paths: the
 *     configuration, state and run directories get the stage in front
 *     (what `--root` means everywhere below); and every TCP port they name
 *     moved to one free now, the same in every file (tests/install_kit.c
 *     ik_move_ports), so the test runs beside others; nothing else in them
 *     changes: names, peers and keys are the files' own;
 *  3. the installed openmcim-operator-pki makes and puts every certificate
 *     and key the files name; `openmcim factory` makes one device with
 *     Cert_SHO[0] = the operator's SHO_SIGNING certificate;
 *  4. every daemon passes --check-config, then starts (PVA, HSS, VNO, DRF,
 *     SHO, DPF);
 *  5. the operator seeds them through their admin sockets: the PCID into
 *     the HSS (hss-admin import), the device into the PVA (pva-admin
 *     import), itself as an operator and the device into the DRF's register
 *     (drf-admin), the owner into the SHO (sho-admin owner add);
 *  6. the device's agent attaches with its PCID; the owner registers the
 *     delivery note and asks for the handover with the DRF's transfer code
 *     (curl, as docs/owner.md shows);
 *  7. the agent ends PROVISIONED on the new IMSI, the SHO shows the device
 *     active, the HSS holds the new subscription, the DRF queued the PCID's
 *     removal; the SHO's internal socket (open to the DPF's user by
 *     internal_socket_allow) refuses uid 65534, its admin socket is out of
 *     reach; every daemon stops cleanly on SIGTERM.
 * The test can fail at each step: a configuration that names a file the
 * PKI script does not make, a socket no daemon listens on, a port two
 * daemons share or a peer the other side does not know stops it there.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openmcim/base64.h>
#include <openmcim/pki.h>

#include "check.h"
#include "daemon_util.h"
#include "install_kit.h"

#define TRE_ID "TRE-00000001"
#define OWNER "fleet-1"
#define OWNER_SECRET "one-operator-test-secret-0123456789"

static char stage[] = "/tmp/om_oneop_XXXXXX";
static char build_dir[4096];
static struct ik_tree tree;
static char state_dir[1024]; /* the installed configurations' state directory, without the stage */
static char work[1200];      /* the operator's and the factory's working files (not installed) */
static char out[1 << 15];
static char pcid[32]; /* the device's provisional identity (the factory's first PCID) */
static unsigned ports[16][2]; /* each port the files name, and the free one that replaced it */
static size_t n_ports;

/* The network functions in start order; each one's log line when it is ready. */
static const struct {
	const char *nf, *ready;
} daemons[] = {
	{ "pva", " started " }, { "hss", " started " }, { "vno", " ready " },
	{ "drf", " started " }, { "sho", " started " }, { "dpf", " started " },
};
#define N_DAEMONS (sizeof(daemons) / sizeof(daemons[0]))
static pid_t pids[N_DAEMONS];

static void conf_path(char *p, size_t cap, const char *name)
{
	char file[64];
	snprintf(file, sizeof(file), "%s.conf", name);
	ik_staged(p, cap, stage, tree.conf, file);
}

static void program(char *p, size_t cap, const char *name)
{
	ik_staged(p, cap, stage, tree.bin, name);
}

static void run_dir(char *p, size_t cap, const char *nf, const char *sock)
{
	snprintf(p, cap, "%s/run/openmcim/%s/%s", stage, nf, sock);
}

/* Run argv; 1 when it exits 0 (its output in out), else a failure naming what. */
static int ran(const char *what, const char *const *argv)
{
	int st = du_run(argv, 1, out, sizeof(out));
	CHECK_MSG(st == 0, "%s: exit %d: %.3000s", what, st, out);
	return st == 0;
}

/* 2. Only the root prefix of the configurations' paths changes: <dir> becomes <stage><dir>. */
static int relocate_configurations(void)
{
	char conf[2200], stage_conf[2200], stage_state[2200], stage_run[1100];
	conf_path(conf, sizeof(conf), "hss");
	if (ik_state_dir(conf, state_dir, sizeof(state_dir)) < 0) {
		CHECK_MSG(0, "no state directory in %s", conf);
		return 0;
	}
	snprintf(stage_conf, sizeof(stage_conf), "%s%s", stage, tree.conf);
	snprintf(stage_state, sizeof(stage_state), "%s%s", stage, state_dir);
	snprintf(stage_run, sizeof(stage_run), "%s/run/openmcim", stage);
	const char *const pairs[][2] = { { tree.conf, stage_conf }, { state_dir, stage_state },
					 { "/run/openmcim", stage_run } };
	static const char *const names[] = { "hss", "pva", "sho", "drf", "dpf", "vno", "agent" };
	static char files[sizeof(names) / sizeof(names[0])][2200];
	const char *list[sizeof(names) / sizeof(names[0])];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		conf_path(files[i], sizeof(files[i]), names[i]);
		CHECK_MSG(ik_relocate(files[i], files[i], pairs, 3) == 0, "%s", files[i]);
		list[i] = files[i];
	}
	/* the files' fixed ports (3868, 8443, ...) to free ones, so another test may hold those meanwhile */
	CHECK_INT(ik_move_ports(list, sizeof(list) / sizeof(list[0]), ports, sizeof(ports) / sizeof(ports[0]), &n_ports), 0);
	CHECK_MSG(n_ports >= 8 && ik_port((const unsigned(*)[2])ports, n_ports, 8444) != 8444 &&
			  ik_port((const unsigned(*)[2])ports, n_ports, 3868) != 3868,
		  "the files' ports were not moved (%zu)", n_ports);
	/* what systemd's StateDirectory= and RuntimeDirectory= make (docs/operate.md): /var/lib/openmcim/<nf>
	 * 0700 for each daemon's own user, /run/openmcim as systemd leaves it (0755; each daemon makes its
	 * socket directory below it); the stage itself open for passing through, as / is */
	static char dirs[N_DAEMONS][2300];
	const char *mk[4 + N_DAEMONS + 1] = { "mkdir", "-p", "-m", "0700" };
	for (size_t i = 0; i < N_DAEMONS; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/%s", stage_state, daemons[i].nf);
		mk[4 + i] = dirs[i];
	}
	const char *mk_run[] = { "mkdir", "-p", "-m", "0755", stage_run, NULL };
	CHECK(chmod(stage, 0711) == 0);
	return ran("state directories", mk) && ran("run directory", mk_run);
}

/* 3. The operator's PKI (the installed script) and the manufacturer's one device. */
static int pki_and_factory(void)
{
	char script[2200], cli[2200], cas[1300], pva_ca[1400], pva_key[1400], ro_cert[1400], run[1300];
	ik_staged(script, sizeof(script), stage, tree.share, "openmcim-operator-pki");
	program(cli, sizeof(cli), "openmcim");
	setenv("OPENMCIM", cli, 1); /* the staged command, not the one the script was installed to call */
	const char *pki[] = { script, "--root", stage, work, NULL };
	int ok = ran("openmcim-operator-pki", pki);
	unsetenv("OPENMCIM");
	if (!ok)
		return 0;
	snprintf(cas, sizeof(cas), "%s/pki/cas", work);
	snprintf(pva_ca, sizeof(pva_ca), "%s/pva-ca.pem", cas);
	snprintf(pva_key, sizeof(pva_key), "%s/pva-ca.key", cas);
	snprintf(ro_cert, sizeof(ro_cert), "%s/ro-signing.pem", cas);
	snprintf(run, sizeof(run), "%s/factory", work);
	const char *factory[] = { cli,	       "factory",     "--devices",    "1",	    "--out",	    run,
				  "--pva-ca",  pva_ca,	      "--pva-key",    pva_key,	    "--ro-cert",    ro_cert,
				  "--pcid-mcc", "001",	      "--pcid-mnc",   "01",	    "--pcid-first", "0000000001",
				  "--pcid-apn", "prov.sho-a", "--quiet",      NULL };
	if (!ran("openmcim factory", factory))
		return 0;
	/* the device: its TRE where agent.conf's tre_dir says */
	char from[1400], to[2300], parent[2200];
	snprintf(from, sizeof(from), "%s/devices/" TRE_ID, run);
	snprintf(parent, sizeof(parent), "%s%s-agent", stage, state_dir);
	snprintf(to, sizeof(to), "%s/" TRE_ID, parent);
	CHECK_MSG(mkdir(parent, 0700) == 0 && rename(from, to) == 0, "%s -> %s: %s", from, to, strerror(errno));
	/* the files holding the operator's OP private to the daemon's user (docs/operate.md) */
	char p[2200];
	conf_path(p, sizeof(p), "sho");
	CHECK(chmod(p, 0600) == 0);
	conf_path(p, sizeof(p), "dpf");
	CHECK(chmod(p, 0600) == 0);
	return !check_failures();
}

/* 4. Each installed daemon checks and starts on its installed configuration. */
static int start_daemons(void)
{
	char exe[2200], conf[2200], log[1300], name[64];
	for (size_t i = 0; i < N_DAEMONS; i++) {
		snprintf(name, sizeof(name), "openmcim-%s", daemons[i].nf);
		program(exe, sizeof(exe), name);
		conf_path(conf, sizeof(conf), daemons[i].nf);
		const char *check[] = { exe, "--check-config", "-c", conf, NULL };
		if (!ran(name, check) || !strstr(out, ": ok"))
			return 0;
	}
	for (size_t i = 0; i < N_DAEMONS; i++) {
		snprintf(name, sizeof(name), "openmcim-%s", daemons[i].nf);
		program(exe, sizeof(exe), name);
		conf_path(conf, sizeof(conf), daemons[i].nf);
		snprintf(log, sizeof(log), "%s/%s.log", work, daemons[i].nf);
		char *l = NULL;
		/* a port free when the files were moved may be taken since by another program for a moment:
		 * a start that found its port taken is tried again, a few times */
		for (int try = 0; !l && try < 5; try++) {
			if (try) {
				du_term_wait(pids[i], 5000);
				du_nap_ms(2000);
			}
			pids[i] = du_spawn_daemon(exe, conf, log, 0);
			l = du_wait_log(log, daemons[i].ready, 30000);
			if (!l && !check_file_has(log, "Address already in use", 22))
				break;
		}
		CHECK_MSG(l != NULL, "%s did not start on the installed %s (see %s)", name, conf, log);
		free(l);
		if (!l)
			return 0;
	}
	return 1;
}

/* The delivery note's first device: its two certificates as PEM files, the claim kept. */
static int device_certs(char *sign_pem, char *enc_pem, size_t cap)
{
	char note[1300];
	snprintf(note, sizeof(note), "%s/factory/owner/delivery-note.csv", work);
	size_t len = 0;
	char *text = (char *)check_slurp(note, &len);
	char *row = text ? strchr(text, '\n') : NULL;
	int ok = 0;
	if (row) {
		row++;
		char *f[5] = { 0 };
		for (int i = 0; i < 5 && row; i++) {
			f[i] = row;
			row = strpbrk(row, ",\n");
			if (row)
				*row++ = '\0';
		}
		ok = f[2] && !strcmp(f[0], TRE_ID);
		for (int k = 0; ok && k < 2; k++) {
			/* the note's certificates are DER in base64 (docs/factory.md); drf-admin takes PEM */
			uint8_t *der = NULL;
			size_t m = 0;
			X509 *c = NULL;
			snprintf(k ? enc_pem : sign_pem, cap, "%s/%s-%s.pem", work, TRE_ID, k ? "enc" : "sign");
			ok = om_base64_decode(f[1 + k], strlen(f[1 + k]), 1 << 16, &der, &m) == 0 &&
			     om_cert_decode(&c, OM_ENC_DER, der, m) == 0 && om_cert_save(k ? enc_pem : sign_pem, c) == 0;
			X509_free(c);
			free(der);
		}
	}
	free(text);
	CHECK_MSG(ok, "no certificates for %s in %s", TRE_ID, note);
	return ok;
}

/* 5. The operator seeds its daemons, each through its own admin socket. */
static int seed(void)
{
	char cli[2200], sock[1200], file[1300], cert[2200], sign_pem[1300], enc_pem[1300];
	program(cli, sizeof(cli), "openmcim");
	run_dir(sock, sizeof(sock), "hss", "provision.sock");
	snprintf(file, sizeof(file), "%s/factory/ro/pcid-credentials.csv", work);
	const char *icf[] = { cli, "hss-admin", "--socket", sock, "import", file, "apn=prov.sho-a", "roaming=any", NULL };
	if (!ran("hss-admin import", icf))
		return 0;
	/* the device's PCID: the import file's first row */
	size_t len = 0;
	char *csv = (char *)check_slurp(file, &len), *row = csv ? strchr(csv, '\n') : NULL;
	if (row)
		snprintf(pcid, sizeof(pcid), "%.*s", (int)strcspn(row + 1, ","), row + 1);
	free(csv);
	CHECK_MSG(strlen(pcid) == 15, "PCID '%s'", pcid);

	run_dir(sock, sizeof(sock), "pva", "admin.sock");
	snprintf(file, sizeof(file), "%s/factory/pva", work);
	const char *pva[] = { cli, "pva-admin", "--socket", sock, "import", file, NULL };
	if (!ran("pva-admin import", pva))
		return 0;

	run_dir(sock, sizeof(sock), "drf", "admin.sock");
	ik_staged(cert, sizeof(cert), stage, tree.conf, "drf/sho-signing.pem");
	const char *op[] = { cli, "drf-admin", "--socket", sock, "operator", "add", "SHO-A", cert, NULL };
	if (!ran("drf-admin operator add", op) || !device_certs(sign_pem, enc_pem, sizeof(sign_pem)))
		return 0;
	const char *dev[] = { cli, "drf-admin", "--socket", sock, "device", "add", TRE_ID, pcid, enc_pem, OWNER, "0",
			      sign_pem, NULL };
	if (!ran("drf-admin device add", dev))
		return 0;

	run_dir(sock, sizeof(sock), "sho", "admin.sock");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | '%s' sho-admin --socket '%s' owner add %s", OWNER_SECRET,
		 cli, sock, OWNER);
	const char *owner[] = { "sh", "-c", cmd, NULL };
	return ran("sho-admin owner add", owner);
}

/* An owner's HTTPS call to the SHO (docs/owner.md), as curl makes it: the HTTP status, or -1. */
static int owner_call(const char *path, const char *type, const char *body_file)
{
	char url[128], ca[2200], data[1400], auth[128];
	snprintf(url, sizeof(url), "https://localhost:%u%s", ik_port((const unsigned(*)[2])ports, n_ports, 8444), path);
	ik_staged(ca, sizeof(ca), stage, tree.conf, "sho/tls-ca.pem");
	snprintf(data, sizeof(data), "@%s", body_file);
	snprintf(auth, sizeof(auth), "%s:%s", OWNER, OWNER_SECRET);
	const char *argv[] = { "curl", "-sS", "--max-time", "60", "--cacert", ca, "-u", auth, "-H", type,
			       "--data-binary", data, "-w", "\nHTTP %{http_code}\n", url, NULL };
	if (du_run(argv, 1, out, sizeof(out)) != 0)
		return -1;
	const char *s = strstr(out, "\nHTTP ");
	return s ? atoi(s + 6) : -1;
}

/* pid's exit status within timeout_ms, or -1 (then it is killed). */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int st = 0;
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		du_nap_ms(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* 6 and 7. The device attaches on its PCID, the owner moves it to SHO-A, the agent installs the MCIM. */
static void provision_one_device(void)
{
	char exe[2200], conf[2200], log[1300], note[1300], code_file[1300], sock[1200], cli[2200];
	program(exe, sizeof(exe), "openmcim-agent");
	program(cli, sizeof(cli), "openmcim");
	conf_path(conf, sizeof(conf), "agent");
	snprintf(log, sizeof(log), "%s/agent.log", work);
	pid_t agent = du_spawn_daemon(exe, conf, log, 0);
	char *l = du_wait_log(log, " attached ", 30000);
	CHECK_MSG(l != NULL, "the device did not attach with its PCID (see %s)", log);
	free(l);

	run_dir(sock, sizeof(sock), "drf", "admin.sock");
	const char *code[] = { cli, "drf-admin", "--socket", sock, "transfer-code", TRE_ID, NULL };
	int have_code = ran("drf-admin transfer-code", code);
	out[strcspn(out, "\n")] = '\0';
	snprintf(code_file, sizeof(code_file), "%s/transfer-code", work);
	CHECK(have_code && du_write_file(code_file, out) == 0);

	snprintf(note, sizeof(note), "%s/factory/owner/delivery-note.csv", work);
	int st = owner_call("/register", "Content-Type: text/csv", note);
	CHECK_MSG(st == 200 && strstr(out, TRE_ID ",registered,"), "register: %d %.2000s", st, out);
	st = owner_call("/handover/" TRE_ID, "Content-Type: application/octet-stream", code_file);
	CHECK_MSG(st == 200, "handover: %d %.2000s", st, out);

	st = wait_exit(agent, 120000);
	CHECK_MSG(st == 0 && check_file_has(log, "outcome=PROVISIONED", 19), "the agent ended %d (see %s)", st, log);

	/* what the operator sees: the SHO's device state, the HSS's new subscription */
	run_dir(sock, sizeof(sock), "sho", "admin.sock");
	const char *status[] = { cli, "sho-admin", "--socket", sock, "status", TRE_ID, NULL };
	CHECK_MSG(ran("sho-admin status", status) && strstr(out, "state=active"), "sho-admin status: %s", out);
	const char *imsi = strstr(out, "imsi=");
	char new_imsi[32] = "";
	if (imsi)
		snprintf(new_imsi, sizeof(new_imsi), "%.*s", (int)strcspn(imsi + 5, " \n"), imsi + 5);
	CHECK_MSG(!strncmp(new_imsi, "00101500", 8), "the new IMSI '%s' is not from sho.conf's [imsi] range", new_imsi);
	run_dir(sock, sizeof(sock), "hss", "provision.sock");
	const char *show[] = { cli, "hss-admin", "--socket", sock, "show", new_imsi, NULL };
	CHECK_MSG(ran("hss-admin show", show) && strstr(out, new_imsi), "hss-admin show %s: %s", new_imsi, out);

	/* our DRF: the completion (from the DPF's queue) ended the PCID's stay and queued its removal after
	 * the grace period; the device's second stay with us is on its new IMSI */
	run_dir(sock, sizeof(sock), "drf", "admin.sock");
	const char *removals[] = { cli, "drf-admin", "--socket", sock, "removals", NULL };
	int queued = 0;
	for (int waited = 0; !queued && waited < 20000; waited += 200) {
		queued = du_run(removals, 1, out, sizeof(out)) == 0 && strstr(out, "not_yet_due=1");
		if (!queued)
			du_nap_ms(200);
	}
	CHECK_MSG(queued, "no removal of the PCID queued at the DRF: %s", out);
	const char *history[] = { cli, "drf-admin", "--socket", sock, "history", TRE_ID, NULL };
	char stay1[64], stay2[64];
	snprintf(stay1, sizeof(stay1), "stay=1 imsi=%s ", pcid);
	snprintf(stay2, sizeof(stay2), "stay=2 imsi=%s ", new_imsi);
	CHECK_MSG(ran("drf-admin history", history) && strstr(out, stay1) && strstr(out, " to=SHO-A ") &&
			  strstr(out, stay2) && strstr(out, " current"),
		  "drf-admin history: %s", out);

	/* threats S.15: the sockets another service user needs (the SHO's internal one: sho.conf's
	 * internal_socket_allow = openmcim-dpf) are reachable, and refuse a uid the file does not list;
	 * the operator's own (the SHO's admin socket) stay in a 0700 directory */
	run_dir(sock, sizeof(sock), "sho", "internal.sock");
	CHECK_MSG(du_as_nobody(sock, "status " TRE_ID "\n") == 30, "%s: nobody was not refused with OM_EPERM", sock);
	run_dir(sock, sizeof(sock), "sho", "admin.sock");
	CHECK_MSG(du_as_nobody(sock, "status " TRE_ID "\n") == 20, "%s: the 0700 directory did not stop nobody", sock);
}

int main(void)
{
	CHECK(ik_stage(stage, build_dir, sizeof(build_dir)) == 0);
	if (!build_dir[0])
		return check_done();
	snprintf(work, sizeof(work), "%s/operator", stage);

	int st = ik_install(build_dir, stage, &tree, out, sizeof(out));
	CHECK_MSG(st == 0, "cmake --install: %.3000s", out);
	if (st == 0 && relocate_configurations() && pki_and_factory() && start_daemons() && seed())
		provision_one_device();
	for (size_t i = N_DAEMONS; i-- > 0;)
		if (pids[i] > 0)
			CHECK_MSG(du_term_wait(pids[i], 20000) == 0, "openmcim-%s did not stop cleanly (see %s/%s.log)",
				  daemons[i].nf, work, daemons[i].nf);
	if (!check_failures())
		du_rm_rf(stage);
	else
		fprintf(stderr, "kept %s\n", stage);
	return check_done();
}
