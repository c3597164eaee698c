/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 4 end to end, real processes on loopback: openmcim-hss (the RO's
 * ICF, subscribers added with `openmcim hss-admin`), openmcim-vno, and a
 * device in this process (radio_ue helper + usim.h). Then the captures the
 * VNO wrote are read with tshark: NAS (docs/nas.md option) and Diameter,
 * with no malformed packet and no expert warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/sqn.h>
#include <openmcim/radio.h>

#include "check.h"
#include "daemon_util.h"
#include "vno_testutil.h"

#define T_K "465b5ce8b199b49faa5f0a2ee238a6bc"
#define T_OPC "cd63cb71954a9f4e48a5994e37a02baf"
#define PCID "001010000000001"   /* a factory PCID in the RO's range */
#define PCID2 "001010000000002"
#define UNKNOWN "001010000000099"
#define TIMEOUT 8000

static char dir[64], bin_dir[512], cli[600];
static uint16_t radio_port;

/* Start argv with stderr into log; returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int run(char *const argv[])
{
	pid_t pid = spawn(argv, "/dev/null");
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void dump(const char *path)
{
	size_t len;
	unsigned char *s = check_slurp(path, &len);
	if (s)
		fprintf(stderr, "---- %s ----\n%s\n", path, s);
	free(s);
}

static int admin(const char *imsi, const char *k)
{
	char sock[128], kw[64], opcw[64];
	snprintf(sock, sizeof(sock), "%s/prov/hss.sock", dir);
	snprintf(kw, sizeof(kw), "k=%s", k);
	snprintf(opcw, sizeof(opcw), "opc=%s", T_OPC);
	char *argv[] = {cli, "hss-admin", "--socket", sock, "add", (char *)imsi, kw, opcw, "amf=8000",
			"apn=provisioning", "roaming=any", NULL};
	return run(argv);
}

static void device_init(struct test_usim *u)
{
	uint8_t k[16], o[16];
	memset(u, 0, sizeof(*u));
	CHECK_INT(om_hex_decode(k, 16, T_K), 0);
	CHECK_INT(om_hex_decode(o, 16, T_OPC), 0);
	CHECK_INT(om_milenage_init(&u->m, k, o), 0);
	/* The HSS gives each serving network its own IND (TS 33.102 C.3.4): ind_bits as provisioned. */
	CHECK_INT(om_usim_sqn_init(&u->sqn, OM_IND_BITS_DEFAULT, OM_USIM_DELTA_DEFAULT, 0), 0);
}

static int attach(struct om_radio_link *l, const char *imsi, struct test_usim *u, struct om_radio_attach_result *r)
{
	int rc = om_radio_link_connect(l, "127.0.0.1", radio_port);
	CHECK_INT(rc, 0);
	return rc ? rc : om_radio_ue_attach(l, imsi, "provisioning", test_usim_aka, u, TIMEOUT, r);
}

static void pcid_attach_and_bearer(uint16_t echo_port)
{
	struct om_radio_link l, l2;
	struct test_usim u, u2;
	struct om_radio_attach_result r, r2;
	device_init(&u);
	device_init(&u2);
	CHECK_INT(attach(&l, PCID, &u, &r), 0);
	CHECK(!strcmp(r.apn, "provisioning"));
	char target[32];
	int status = 0;
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo_port);
	int fd = test_http_connect(r.bearer.proxy_port, target, &status);
	CHECK_INT(status, 200);
	CHECK(fd >= 0 && test_echo_through(fd, "GET /provisioning over the PCID bearer"));
	if (fd >= 0)
		close(fd);
	/* A host outside the provisioning APN: refused. */
	snprintf(target, sizeof(target), "127.0.0.1:%u", test_free_port());
	fd = test_http_connect(r.bearer.proxy_port, target, &status);
	CHECK_INT(status, 403);
	if (fd >= 0)
		close(fd);
	/* The same PCID from a second device while the first holds its bearer. */
	CHECK_INT(attach(&l2, PCID, &u2, &r2), OM_ERADIO_ATTACH_REJECT);
	CHECK_INT(r2.emm_cause, OM_NAS_CAUSE_CONGESTION);
	om_radio_link_close(&l2);
	CHECK_INT(om_radio_ue_detach(&l, PCID, TIMEOUT), 0);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
	om_milenage_clear(&u2.m);
}

static void wrong_k_refused(void)
{
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	uint8_t k[16], o[16];
	/* The device holds another K: AUTN does not verify, it answers #20, the VNO rejects. */
	memset(&u, 0, sizeof(u));
	CHECK_INT(om_hex_decode(k, 16, T_K), 0);
	CHECK_INT(om_hex_decode(o, 16, T_OPC), 0);
	k[0] ^= 0x80;
	CHECK_INT(om_milenage_init(&u.m, k, o), 0);
	CHECK_INT(om_usim_sqn_init(&u.sqn, OM_IND_BITS_DEFAULT, OM_USIM_DELTA_DEFAULT, 0), 0);
	CHECK_INT(attach(&l, PCID2, &u, &r), OM_ERADIO_AUTH_REJECT);
	CHECK(r.sent_mac_failure);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
	/* A device whose RES is wrong (AUTN fine): the VNO's RES check refuses it. */
	device_init(&u);
	u.bad_res = 1;
	CHECK_INT(attach(&l, PCID2, &u, &r), OM_ERADIO_AUTH_REJECT);
	CHECK(!r.sent_mac_failure && !r.sent_sync_failure);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
}

static void sqn_resync_then_attach(void)
{
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	device_init(&u);
	for (unsigned i = 0; i < (1u << OM_IND_BITS_DEFAULT); i++)
		u.sqn.seq_ms[i] = 5000; /* the USIM has seen SQNs the HSS has not given out */
	CHECK_INT(attach(&l, PCID2, &u, &r), 0);
	CHECK(r.sent_sync_failure);
	CHECK_INT(r.auth_rounds, 2);
	CHECK_INT(om_radio_ue_detach(&l, PCID2, TIMEOUT), 0);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
}

static void unknown_imsi_rejected(void)
{
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	device_init(&u);
	CHECK_INT(attach(&l, UNKNOWN, &u, &r), OM_ERADIO_ATTACH_REJECT);
	CHECK_INT(r.emm_cause, OM_NAS_CAUSE_EPS_AND_NON_EPS_NOT_ALLOWED); /* TS 29.272 A.1: 5001 -> #8 */
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
}

/* Run tshark on path with extra options; its stdout+stderr in out. Exit status or -1. */
static int tshark(const char *path, const char *opts, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' %s 2>&1", path, opts);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void captures_decode_in_tshark(void)
{
	static char out[1 << 18];
	char nas[128], s6a[128];
	snprintf(nas, sizeof(nas), "%s/nas.pcap", dir);
	snprintf(s6a, sizeof(s6a), "%s/s6a.pcap", dir);
	int rc = system("tshark -v >/dev/null 2>&1");
	CHECK_MSG(rc == 0, "tshark is missing: apt-get install -y tshark");
	if (rc)
		return;
	static const char nas_opt[] = "-o 'uat:user_dlts:\"User 0 (DLT=147)\",\"nas-eps\",\"0\",\"\",\"0\",\"\"'";
	char opts[512];
	snprintf(opts, sizeof(opts), "%s -z expert,warn", nas_opt);
	CHECK_INT(tshark(nas, opts, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "Attach request") != NULL, "%s", out);
	CHECK(strstr(out, "Authentication request") != NULL);
	CHECK(strstr(out, "Authentication failure") != NULL);
	CHECK(strstr(out, "Authentication reject") != NULL);
	CHECK(strstr(out, "Attach accept") != NULL);
	CHECK(strstr(out, "Attach reject") != NULL);
	CHECK(strstr(out, "Detach accept") != NULL);
	CHECK_MSG(!strstr(out, "Malformed") && !strstr(out, "Warns"), "%s", out);
	snprintf(opts, sizeof(opts), "%s -Y 'nas_eps.emm.cause == 8' -T fields -e e212.imsi", nas_opt);
	CHECK_INT(tshark(nas, opts, out, sizeof(out)), 0);
	/* The reject itself carries no IMSI; its presence is what counts. */
	CHECK_MSG(strchr(out, '\n') != NULL, "no Attach reject #8 in the capture: %s", out);

	CHECK_INT(tshark(s6a, "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -z expert,warn", out,
			 sizeof(out)), 0);
	CHECK_MSG(strstr(out, "DIAMETER") != NULL || strstr(out, "Diameter") != NULL, "%s", out);
	CHECK_MSG(!strstr(out, "Malformed") && !strstr(out, "Warns"), "%s", out);
	CHECK_INT(tshark(s6a, "-Y 'diameter.cmd.code == 318 && diameter.flags.request == 0' -T fields -e "
			      "diameter.Result-Code -e diameter.Experimental-Result-Code",
			 out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "2001") != NULL && strstr(out, "5001") != NULL, "AIA results: %s", out);
	CHECK_INT(tshark(s6a, "-Y 'diameter.cmd.code == 316' -T fields -e diameter.cmd.code", out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "316") != NULL, "no ULR/ULA: %s", out);
	CHECK_INT(tshark(s6a, "-Y 'diameter.cmd.code == 321' -T fields -e diameter.cmd.code", out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "321") != NULL, "no PUR/PUA: %s", out);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	struct test_echo echo;
	char path[256], text[2048], hss_log[128], vno_log[128], hss_bin[600], vno_bin[600], hss_conf[128],
		vno_conf[128];
	pid_t hss = -1, vno = -1;
	const char *env = getenv("OM_CLI");
	CHECK_MSG(env != NULL, "OM_CLI not set (run through ctest)");
	if (!env)
		return check_done();
	snprintf(cli, sizeof(cli), "%s", env);
	snprintf(bin_dir, sizeof(bin_dir), "%s", env);
	*strrchr(bin_dir, '/') = '\0';
	snprintf(hss_bin, sizeof(hss_bin), "%s/openmcim-hss", bin_dir);
	snprintf(vno_bin, sizeof(vno_bin), "%s/openmcim-vno", bin_dir);
	snprintf(dir, sizeof(dir), "/tmp/om-vno-e2e-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(test_echo_start(&echo), 0);
	uint16_t hss_port = test_free_port(), vno_dia = test_free_port();
	radio_port = test_free_port();
	CHECK(hss_port && vno_dia && radio_port && hss_port != vno_dia && vno_dia != radio_port);

	snprintf(hss_conf, sizeof(hss_conf), "%s/hss.conf", dir);
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s/hss.db\nprovision_socket = %s/prov/hss.sock\nrun_dir = %s/hss\nlog_level = info\n"
		 "[diameter]\nidentity = hss.ro.lab\nrealm = epc.mnc001.mcc001.3gppnetwork.org\nlisten = 127.0.0.1\n"
		 "port = %u\npeers = mme.vno.lab@127.0.0.1:%u\ndict_dir = %s\n",
		 dir, dir, dir, hss_port, vno_dia, du_fd_ext_dir());
	CHECK_INT(write_file(hss_conf, text), 0);
	snprintf(vno_conf, sizeof(vno_conf), "%s/vno.conf", dir);
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/24\nlog_level = info\n"
		 "pcap = %s/nas.pcap\ns6a_pcap = %s/s6a.pcap\nrun_dir = %s/vno\n"
		 "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:%u\n"
		 "[home.00101]\npeer = hss.ro.lab\naddress = 127.0.0.1:%u\n"
		 "[apn.provisioning]\nallow = 127.0.0.1:%u\n",
		 radio_port, dir, dir, dir, vno_dia, hss_port, echo.port);
	CHECK_INT(write_file(vno_conf, text), 0);

	snprintf(hss_log, sizeof(hss_log), "%s/hss.log", dir);
	snprintf(vno_log, sizeof(vno_log), "%s/vno.log", dir);
	char *hss_argv[] = {hss_bin, "-c", hss_conf, NULL};
	hss = spawn(hss_argv, hss_log);
	snprintf(path, sizeof(path), "%s/prov/hss.sock", dir);
	int ok = test_wait_path(path, 100);
	CHECK_MSG(ok, "openmcim-hss did not open its provisioning socket");
	CHECK_INT(admin(PCID, T_K), 0);
	CHECK_INT(admin(PCID2, T_K), 0);

	char *vno_argv[] = {vno_bin, "-c", vno_conf, NULL};
	vno = spawn(vno_argv, vno_log);
	ok = test_wait_radio(radio_port, 150);
	CHECK_MSG(ok, "openmcim-vno did not open its radio port");
	if (ok && !check_failures()) {
		pcid_attach_and_bearer(echo.port);
		wrong_k_refused();
		sqn_resync_then_attach();
		unknown_imsi_rejected();
	}
	CHECK_INT(du_term_wait(vno, 10000), 0);
	CHECK_INT(du_term_wait(hss, 10000), 0);
	if (ok)
		captures_decode_in_tshark();
	test_echo_stop(&echo);
	if (check_failures()) {
		dump(hss_log);
		dump(vno_log);
		fprintf(stderr, "(kept %s)\n", dir);
	} else {
		snprintf(text, sizeof(text), "rm -rf '%s'", dir);
		CHECK_INT(system(text), 0);
	}
	return check_done();
}
