/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS daemon on loopback, as an MME sees it. The database is filled
 * through the HSS core's provisioning commands, `openmcim-hss` (next to
 * this test program) runs as a real process, and this process is the MME:
 * freeDiameter through svc/s6a.h. Every vector must authenticate on a USIM
 * (lib/auth usim.h) with the same K/OPc; resync, refusals, ULR and PUR get
 * the codes of TS 29.272; a kill -9 in the middle of a run of AIRs never
 * makes an SQN come twice; and tshark decodes our capture without a
 * warning, and every record of that capture is written where freeDiameter
 * cannot cancel the writing thread (issue 11).
 */
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/kdf.h>
#include <openmcim/sqn.h>
#include <openmcim/usim.h>

#include "s6a.h"
#include "hss_test_util.h"
#include "s6a_testkit.h"

#define HSS_ID SK_HSS_ID
#define MME_ID SK_MME_ID
/* the test MME's address (it listens nowhere): what its CER must advertise as Host-IP-Address */
#define MME_ADDR "127.0.0.3"
#define REALM SK_REALM
#define IMSI SK_IMSI
#define IMSI_ROAM SK_IMSI_ROAM
#define K_HEX SK_K_HEX
#define OPC_HEX SK_OPC_HEX
#define TIMEOUT_MS 10000 /* generous: a loaded CI machine must not turn slowness into failure */

static char dir[] = "/tmp/om_s6a_server_test_XXXXXX";

/*
 * freeDiameter ends its peer threads with pthread_cancel. Each capture
 * record ends with an fflush (lib/core/pcap.c), a cancellation point, run
 * in freeDiameter's threads under the capture's lock (svc/s6a_pcap.c). This
 * fflush, which the capture's calls reach instead of libc's, counts those
 * that came while the thread could have been cancelled there.
 */
static pthread_t main_thread;
static atomic_int capture_flushes, cancellable_flushes;

int fflush(FILE *f)
{
	static int (*real)(FILE *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fflush");
	if (f && f != stdout && f != stderr && !pthread_equal(pthread_self(), main_thread)) {
		int state;
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
		pthread_setcancelstate(state, NULL);
		atomic_fetch_add(&capture_flushes, 1);
		if (state == PTHREAD_CANCEL_ENABLE)
			atomic_fetch_add(&cancellable_flushes, 1);
	}
	return real(f);
}
static char hss_bin[4096], hss_conf[512], hss_log[512], db[512], mme_pcap[512];
static pid_t hss_pid = -1;
static unsigned hss_port;
static const uint8_t plmn_home[3] = { 0x00, 0xf1, 0x10 }; /* 001/01 */
static struct om_milenage usim_m;
static struct om_usim_sqn usim;

/* The test MME's freeDiameter configuration, written by the daemons' own writer: TLS to the HSS. */
static int write_mme_conf(const char *path, const char *id, unsigned port)
{
	char cert[600], key[600], ca[600];
	snprintf(cert, sizeof(cert), "%s/%s.pem", dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", dir, id);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	const struct om_s6a_fdconf fc = { .identity = id, .realm = "test.lab", .listen = MME_ADDR,
					  .dict_dir = du_fd_ext_dir(), .port = 0, .tls_cert = cert,
					  .tls_key = key, .tls_ca = ca };
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = om_s6a_conf_write(f, &fc);
	om_s6a_conf_peer(f, HSS_ID, "127.0.0.1", port, 0);
	return fclose(f) || rc ? -1 : 0;
}

static pid_t start_hss(void)
{
	return du_spawn_daemon(hss_bin, hss_conf, hss_log, 1);
}

static int stop_hss(int sig)
{
	int status = du_stop_daemon(hss_pid, sig);
	hss_pid = -1;
	return status;
}

/* Run cmd; its stdout into out (NUL-terminated). Exit status, or -1. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	if (!p)
		return -1;
	char chunk[4096];
	/* read everything, keep what fits: a closed pipe would kill the child */
	while (fgets(chunk, sizeof(chunk), p)) {
		size_t l = strlen(chunk);
		if (n + l < cap) {
			memcpy(out + n, chunk, l);
			n += l;
		}
	}
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The USIM runs AKA on v: 0 when accepted (RES = XRES, KASME matches), else the om_err. */
static int usim_accepts(const struct om_eutran_vector *v, uint8_t auts_out[OM_AUTS_LEN])
{
	struct om_usim_out o;
	struct om_kdf kdf;
	uint8_t kasme[OM_KASME_LEN], sqn_ak[6];
	int rc = om_usim_authenticate(&usim_m, &usim, v->rand, v->autn, &o);
	if (rc == OM_EAUTH_SYNC && auts_out)
		memcpy(auts_out, o.auts, OM_AUTS_LEN);
	if (rc == 0) {
		CHECK_MEM(o.res, v->xres, OM_RES_LEN);
		memcpy(sqn_ak, v->autn, 6);
		if (om_kdf_init(&kdf) == 0) {
			CHECK(om_kdf_kasme(&kdf, kasme, o.ck, o.ik, plmn_home, sqn_ak) == 0 &&
			      memcmp(kasme, v->kasme, OM_KASME_LEN) == 0);
			om_kdf_clear(&kdf);
		}
	}
	om_usim_out_clear(&o);
	return rc;
}

/* SQN of a vector: AUTN[0..5] xor f5(RAND). */
static uint64_t sqn_of(const struct om_eutran_vector *v)
{
	struct om_milenage_out o;
	uint8_t any[6] = { 0 }, amf[2] = { 0x80, 0 }, sqn[6];
	if (om_milenage_f1_f5(&usim_m, v->rand, any, amf, &o))
		return UINT64_MAX;
	for (int i = 0; i < 6; i++)
		sqn[i] = v->autn[i] ^ o.ak[i];
	return om_sqn_from_bytes(sqn);
}

static void air_gives_vectors_the_usim_accepts(void)
{
	struct om_eutran_vector v[5];
	struct om_s6a_answer a;
	int n = om_s6a_air(REALM, IMSI, plmn_home, 3, NULL, TIMEOUT_MS, v, &a);
	CHECK_INT(n, 3);
	CHECK_INT(a.result_code, 2001);
	for (int i = 0; i < n; i++)
		CHECK_INT(usim_accepts(&v[i], NULL), 0);
	/* the batch shares one IND and runs SEQ up by one (TS 33.102 C.3.4) */
	if (n == 3)
		CHECK(sqn_of(&v[1]) > sqn_of(&v[0]) && sqn_of(&v[2]) > sqn_of(&v[1]));
}

static void refusals_have_the_ts_29_272_codes(void)
{
	struct om_eutran_vector v[1];
	struct om_s6a_answer a;
	CHECK_INT(om_s6a_air(REALM, "001019999999999", plmn_home, 1, NULL, TIMEOUT_MS, v, &a), 0);
	CHECK(a.result_code == 5001 && a.experimental == 1);
	CHECK_INT(om_s6a_air(REALM, IMSI_ROAM, plmn_home, 1, NULL, TIMEOUT_MS, v, &a), 0);
	CHECK(a.result_code == 5004 && a.experimental == 1);
	/* a User-Name that is no IMSI is bad input: base INVALID_AVP_VALUE, not an S6a code */
	CHECK_INT(om_s6a_air(REALM, "12ab", plmn_home, 1, NULL, TIMEOUT_MS, v, &a), 0);
	CHECK(a.result_code == 5004 && a.experimental == 0);
}

static void resync_with_valid_auts_gives_fresh_vectors(void)
{
	struct om_eutran_vector v[2];
	struct om_s6a_answer a;
	uint8_t resync[30], auts[OM_AUTS_LEN];

	/* The USIM has seen far more than the HSS (another HSS, a restored DB...). */
	for (unsigned i = 0; i < OM_USIM_SLOTS_MAX; i++)
		usim.seq_ms[i] += 5000;
	CHECK_INT(om_s6a_air(REALM, IMSI, plmn_home, 1, NULL, TIMEOUT_MS, v, &a), 1);
	CHECK_INT(usim_accepts(&v[0], auts), OM_EAUTH_SYNC);
	memcpy(resync, v[0].rand, 16);
	memcpy(resync + 16, auts, OM_AUTS_LEN);

	/* a forged AUTS (one MAC-S bit) is refused: 4181 */
	uint8_t forged[30];
	memcpy(forged, resync, 30);
	forged[29] ^= 1;
	CHECK_INT(om_s6a_air(REALM, IMSI, plmn_home, 1, forged, TIMEOUT_MS, v, &a), 0);
	CHECK(a.result_code == 4181 && a.experimental == 1);

	CHECK_INT(om_s6a_air(REALM, IMSI, plmn_home, 2, resync, TIMEOUT_MS, v, &a), 2);
	CHECK_INT(a.result_code, 2001);
	CHECK_INT(usim_accepts(&v[0], NULL), 0);
	CHECK_INT(usim_accepts(&v[1], NULL), 0);
}

static void ulr_gives_the_apns_and_pur_is_answered(void)
{
	struct om_s6a_subscription sub;
	struct om_s6a_answer a;
	CHECK_INT(om_s6a_ulr(REALM, IMSI, plmn_home, TIMEOUT_MS, &sub, &a), 0);
	CHECK_INT(a.result_code, 2001);
	CHECK_INT(sub.n_apns, 2);
	if (sub.n_apns == 2) {
		CHECK(!strcmp(sub.apns[0].name, "provisioning") && !strcmp(sub.apns[1].name, "internet"));
		CHECK_INT(sub.default_context_id, sub.apns[0].context_id);
	}
	CHECK_INT(om_s6a_ulr(REALM, "001019999999999", plmn_home, TIMEOUT_MS, &sub, &a), 0);
	CHECK(a.result_code == 5001 && a.experimental == 1);
	CHECK_INT(om_s6a_pur(REALM, IMSI, TIMEOUT_MS, &a), 0);
	CHECK(a.result_code == 2001 && a.experimental == 0);
}

/* ---- kill -9 in the middle of a run of AIRs ---------------------------- */

#define RUN_VECTORS 400

static struct {
	pthread_mutex_t lock;
	struct om_eutran_vector v[RUN_VECTORS];
	int n, failures;
} run_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *air_loop(void *arg)
{
	time_t end = time(NULL) + 30;
	(void)arg;
	while (time(NULL) < end) {
		struct om_eutran_vector v[2];
		struct om_s6a_answer a;
		int n = om_s6a_air(REALM, IMSI, plmn_home, 2, NULL, 1000, v, &a);
		pthread_mutex_lock(&run_state.lock);
		for (int i = 0; i < n && run_state.n < RUN_VECTORS; i++)
			run_state.v[run_state.n++] = v[i];
		if (n <= 0)
			run_state.failures++;
		int full = run_state.n >= RUN_VECTORS;
		pthread_mutex_unlock(&run_state.lock);
		if (full)
			break;
		if (n <= 0)
			nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	return NULL;
}

static int collected(void)
{
	pthread_mutex_lock(&run_state.lock);
	int n = run_state.n;
	pthread_mutex_unlock(&run_state.lock);
	return n;
}

static void no_sqn_twice_across_kill_9(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, air_loop, NULL)) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < 20000 && collected() < 40; i++)
		nanosleep(&(struct timespec){ 0, 200 * 1000 }, NULL);
	int before = collected();
	stop_hss(SIGKILL);
	hss_pid = start_hss();
	CHECK(hss_pid > 0);
	pthread_join(t, NULL);
	CHECK_MSG(before >= 40 && before < RUN_VECTORS, "killed after %d vectors", before);
	CHECK_MSG(run_state.n == RUN_VECTORS, "only %d vectors (%d failed AIRs)", run_state.n, run_state.failures);

	/* Every SQN once; the USIM takes each vector in the order it came. */
	static uint64_t sqns[RUN_VECTORS];
	int dup = 0, refused = 0;
	for (int i = 0; i < run_state.n; i++) {
		sqns[i] = sqn_of(&run_state.v[i]);
		for (int j = 0; j < i; j++)
			dup += sqns[i] == sqns[j];
		refused += usim_accepts(&run_state.v[i], NULL) != 0;
	}
	CHECK_INT(dup, 0);
	CHECK_INT(refused, 0);
	CHECK_MSG(run_state.failures >= 1, "the kill was not felt (%d failures)", run_state.failures);
}

/* ---- the capture, read by tshark --------------------------------------- */

static void tshark_decodes_our_capture_cleanly(void)
{
	char cmd[1024], out[65536];
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -Y 'diameter.applicationId == 16777251' -T fields -E separator=';' -E aggregator=+ "
		 "-e diameter.cmd.code -e diameter.flags.request -e diameter.User-Name -e diameter.Visited-PLMN-Id "
		 "-e diameter.Number-Of-Requested-Vectors -e diameter.RAND -e diameter.XRES -e diameter.AUTN "
		 "-e diameter.KASME -e diameter.Service-Selection -e diameter.Result-Code "
		 "-e diameter.Experimental-Result-Code 2>/dev/null",
		 mme_pcap);
	int rc = run(cmd, out, sizeof(out));
	CHECK_MSG(rc == 0, "tshark (needed by this test) failed: %d %.200s", rc, out);
	/* AIR with its AVPs, AIA with a complete vector, ULR, ULA with APNs, PUR/PUA, 5001 */
	CHECK_MSG(strstr(out, "318;1;" IMSI ";") != NULL, "no AIR: %.300s", out);
	int aia_ok = 0, ula_ok = 0;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char f[12][200];
		int k = 0;
		memset(f, 0, sizeof(f));
		for (char *p = l; k < 12; k++) {
			char *slash = strchr(p, ';');
			size_t n = slash ? (size_t)(slash - p) : strlen(p);
			snprintf(f[k], sizeof(f[k]), "%.*s", (int)(n < 199 ? n : 199), p);
			if (!slash)
				break;
			p = slash + 1;
		}
		if (!strcmp(f[0], "318") && !strcmp(f[1], "1"))
			CHECK(!strcmp(f[3], "00f110") && strlen(f[4]) > 0);
		if (!strcmp(f[0], "318") && !strcmp(f[1], "0") && strlen(f[5]) >= 32 && strlen(f[6]) >= 16 &&
		    strlen(f[7]) >= 32 && strlen(f[8]) >= 64)
			aia_ok++;
		if (!strcmp(f[0], "316") && !strcmp(f[1], "0") && strstr(f[9], "provisioning"))
			ula_ok++;
	}
	CHECK_MSG(aia_ok > 0, "no AIA with RAND/XRES/AUTN/KASME");
	CHECK_MSG(ula_ok > 0, "no ULA with Service-Selection");
	snprintf(cmd, sizeof(cmd), "tshark -n -r %s -Y 'diameter.cmd.code == 321' 2>/dev/null | wc -l", mme_pcap);
	CHECK(run(cmd, out, sizeof(out)) == 0 && atoi(out) >= 2);
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -Y '(_ws.malformed || _ws.expert.severity >= \"Warning\") && !(diameter.User-Name == \"12ab\")' "
		 "-T fields -e frame.number -e _ws.expert.message 2>/dev/null",
		 mme_pcap);
	rc = run(cmd, out, sizeof(out));
	CHECK_MSG(rc == 0 && out[0] == 0, "tshark warnings (rc %d): %.500s", rc, out);
}

/*
 * Issue 19: each side's CER/CEA advertises the address its configuration
 * names (RFC 6733 5.3.5 Host-IP-Address), not whatever the host has
 * (192.0.2.2 on the lab machine before om_s6a_conf_listen). The HSS's own
 * capture holds every CER it received and every CEA it sent, restarts
 * included.
 */
static void cer_and_cea_carry_the_configured_addresses(const char *hss_pcap)
{
	char cmd[4096], out[8192];
	int cer = 0, cea = 0, wrong = 0;
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -Y 'diameter.cmd.code == 257' -T fields -e diameter.flags.request "
		 "-e diameter.Host-IP-Address.IPv4 2>/dev/null",
		 hss_pcap);
	int rc = run(cmd, out, sizeof(out));
	CHECK_MSG(rc == 0, "tshark (needed by this test) failed: %d", rc);
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int req = l[0] == '1';
		const char *addr = strchr(l, '\t') ? strchr(l, '\t') + 1 : "";
		cer += req;
		cea += !req;
		if (strcmp(addr, req ? MME_ADDR : "127.0.0.1")) {
			wrong++;
			fprintf(stderr, "%s advertised Host-IP-Address %s\n", req ? "CER" : "CEA", addr);
		}
	}
	CHECK_MSG(cer >= 2 && cea >= 2, "%d CER and %d CEA in the HSS's capture (two connections at least)", cer, cea);
	CHECK_INT(wrong, 0);
}

static void daemon_command_line(void)
{
	char cmd[8192], out[1024], bad[600];
	snprintf(cmd, sizeof(cmd), "%s --help >/dev/null 2>&1", hss_bin);
	CHECK_INT(run(cmd, out, sizeof(out)), 0);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	du_write_file(bad, "[hss]\ndb = /nonexistent/x.db\n[diameter]\nidentity = h.lab\nrealmm = x\n");
	snprintf(cmd, sizeof(cmd), "%s -c %s 2>&1", hss_bin, bad);
	int rc = run(cmd, out, sizeof(out));
	CHECK_MSG(rc != 0 && strstr(out, ":5: unknown key 'realmm' in [diameter]"), "rc %d: %s", rc, out);
	du_write_file(bad, "[hss]\ndb = /nonexistent/x.db\nclone_policy = maybe\n[diameter]\nidentity = h.lab\n"
			   "realm = x\n");
	rc = run(cmd, out, sizeof(out));
	CHECK_MSG(rc != 0 && strstr(out, "clone_policy must be report or bar"), "rc %d: %s", rc, out);
	/* S6a over TLS unless the file says otherwise; peers are identities, not addresses to connect to */
	static const char *const cases[][2] = {
		{ "", "tls_cert, tls_key and tls_ca are required (or tls = off)" },
		{ "tls = maybe\n", "[diameter] tls must be on or off" },
		{ "tls = off\npeers = mme.lab@127.0.0.1:3869\n", "peers: 'mme.lab@127.0.0.1:3869' is not a Diameter identity" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[600];
		snprintf(text, sizeof(text),
			 "[hss]\ndb = %s/x.db\nrun_dir = %s/x\n[diameter]\nidentity = h.lab\nrealm = r.lab\n%s", dir, dir,
			 cases[i][0]);
		du_write_file(bad, text);
		rc = run(cmd, out, sizeof(out));
		CHECK_MSG(rc != 0 && strstr(out, cases[i][1]), "rc %d: want '%s' in %s", rc, cases[i][1], out);
	}
	unlink(bad);
}

/* tls = off starts, with a warning in the log: clear TCP is for a loopback lab only. */
static void tls_off_warns(void)
{
	char conf[600], log[600], text[1024];
	snprintf(conf, sizeof(conf), "%s/clear.conf", dir);
	snprintf(log, sizeof(log), "%s/clear.log", dir);
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s/clear.db\nrun_dir = %s/clear\n[diameter]\nidentity = h.lab\nrealm = r.lab\n"
		 "port = %u\ntls = off\n",
		 dir, dir, du_free_port());
	du_write_file(conf, text);
	pid_t pid = du_spawn_daemon(hss_bin, conf, log, 0);
	char *t = du_wait_log(log, " started ", 15000);
	CHECK_MSG(t && strstr(t, "notice s6a-insecure reason=\"[diameter] tls = off") && strstr(t, "tls=off"),
		  "no warning for tls = off: %s", t ? t : "(no log)");
	free(t);
	CHECK_INT(du_term_wait(pid, 10000), 0);
}

/* The daemon's log names events, never a secret: no KASME, K or OPc in it. */
static void log_has_events_and_no_secret(const struct om_eutran_vector *v)
{
	size_t len = 0;
	char hex[2 * OM_KASME_LEN + 1];
	unsigned char *log = check_slurp(hss_log, &len);
	CHECK(log != NULL);
	if (!log)
		return;
	CHECK(strstr((char *)log, "aia imsi=" IMSI " plmn=00101") != NULL);
	CHECK(strstr((char *)log, " stopped ") != NULL);
	om_hex_encode(hex, v->kasme, OM_KASME_LEN);
	CHECK(strstr((char *)log, hex) == NULL);
	CHECK(strstr((char *)log, K_HEX) == NULL && strstr((char *)log, OPC_HEX) == NULL);
	free(log);
}

int main(void)
{
	char err[256] = "", text[2048], mme_conf[512];
	hss_port = du_free_port();
	main_thread = pthread_self();
	uint8_t k[16], opc[16];
	struct om_eutran_vector last;

	CHECK(mkdtemp(dir) != NULL && hss_port);
	if (sk_files(dir, hss_bin, hss_conf, hss_log, db))
		return check_done();
	snprintf(mme_pcap, sizeof(mme_pcap), "%s/mme.pcap", dir);
	snprintf(mme_conf, sizeof(mme_conf), "%s/mme-fd.conf", dir);
	daemon_command_line();
	tls_off_warns();

	CHECK(om_hex_decode(k, sizeof(k), K_HEX) == 0 && om_hex_decode(opc, sizeof(opc), OPC_HEX) == 0);
	CHECK(om_milenage_init(&usim_m, k, opc) == 0 && om_usim_sqn_init(&usim, 5, OM_USIM_DELTA_DEFAULT, 0) == 0);
	if (sk_provision(db))
		goto out;

	if (sk_make_pki(dir))
		goto out;
	snprintf(text, sizeof(text), "pcap = %s/hss.pcap\n", dir);
	sk_hss_conf(dir, hss_conf, db, hss_port, text);
	hss_pid = start_hss();
	CHECK(hss_pid > 0);

	CHECK(write_mme_conf(mme_conf, MME_ID, hss_port) == 0);
	int started = om_s6a_start(mme_conf, err, sizeof(err));
	CHECK_MSG(started == 0, "%s", err);
	if (started)
		goto out;
	CHECK(om_s6a_pcap_open(mme_pcap) == 0);
	CHECK_MSG(om_s6a_wait_peer(HSS_ID, 15000) == 0, "the HSS never came up (see %s)", hss_log);

	air_gives_vectors_the_usim_accepts();
	refusals_have_the_ts_29_272_codes();
	resync_with_valid_auts_gives_fresh_vectors();
	ulr_gives_the_apns_and_pur_is_answered();
	no_sqn_twice_across_kill_9();
	last = run_state.v[RUN_VECTORS - 1];

	om_s6a_pcap_close();
	CHECK_MSG(atomic_load(&capture_flushes) > 0, "no capture record seen from a freeDiameter thread");
	CHECK_MSG(atomic_load(&cancellable_flushes) == 0, "%d of %d capture records written where a cancel could "
		  "leave the capture lock held", atomic_load(&cancellable_flushes), atomic_load(&capture_flushes));
	tshark_decodes_our_capture_cleanly();
	om_s6a_stop();
	int st = stop_hss(SIGTERM);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "openmcim-hss exit status %d", st);
	log_has_events_and_no_secret(&last);
	snprintf(text, sizeof(text), "%s/hss.pcap", dir);
	cer_and_cea_carry_the_configured_addresses(text);
out:
	if (hss_pid > 0)
		stop_hss(SIGKILL);
	om_milenage_clear(&usim_m);
	if (check_failures())
		t_tail_log(hss_log, 40); /* the daemon's side of the story, before the directory goes */
	if (getenv("OM_KEEP_TMP"))
		fprintf(stderr, "kept %s\n", dir);
	else
		du_rm_rf(dir);
	om_s6a_exit(check_done()); /* freeDiameter's teardown is not run: see om_s6a_stop() */
}
