/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 4 end to end, real processes on loopback: openmcim-hss (the RO's
 * ICF, subscribers added with `openmcim hss-admin`), openmcim-vno, and a
 * device in this process (radio_ue helper + usim.h). Then the captures the
 * VNO wrote are read with tshark: NAS (docs/nas.md option) and Diameter,
 * with no malformed packet and no expert warning.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
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
#define PCID3 "001010000000003" /* traffic while the VNO is stopped */
#define PCID4 "001010000000004"
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

/* The HSS gives each serving network its own IND (TS 33.102 C.3.4): ind_bits as provisioned. */
static void device_init(struct test_usim *u)
{
	(void)test_usim_init(u, T_K, T_OPC);
}

static int attach(struct om_radio_link *l, const char *imsi, struct test_usim *u, struct om_radio_attach_result *r)
{
	return test_attach(l, radio_port, imsi, u, TIMEOUT, r);
}

/* How many lines of the VNO's log hold needle, once at least `least` do (or 3 s passed). */
static int log_count(const char *vno_log, const char *needle, int least)
{
	return test_log_count(vno_log, needle, least, 3000);
}

static void pcid_attach_and_bearer(uint16_t echo_port, const char *vno_log)
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
	int fd = test_http_connect(r.bearer.proxy_port, r.bearer.key, target, &status);
	CHECK_INT(status, 200);
	CHECK(fd >= 0 && test_echo_through(fd, "GET /provisioning over the PCID bearer"));
	if (fd >= 0)
		close(fd);
	/* A host outside the provisioning APN: refused. */
	snprintf(target, sizeof(target), "127.0.0.1:%u", test_free_port());
	fd = test_http_connect(r.bearer.proxy_port, r.bearer.key, target, &status);
	CHECK_INT(status, 403);
	if (fd >= 0)
		close(fd);
	/*
	 * Issue 12: another local client reaches the device's bearer port, not
	 * through the device's link: without the key the LAB frame gave the
	 * device, or with a guessed one, 407, and no tunnel is logged as the
	 * device's. The device's own traffic still flows.
	 */
	char tunnel[64];
	uint8_t guess[OM_RADIO_BEARER_KEY_LEN];
	snprintf(tunnel, sizeof(tunnel), "bearer-tunnel imsi=%s ", PCID);
	int tunnels = log_count(vno_log, tunnel, 1);
	CHECK_INT(tunnels, 1);
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo_port);
	close(test_http_connect(r.bearer.proxy_port, NULL, target, &status));
	CHECK_INT(status, 407);
	check_random(guess, sizeof(guess));
	close(test_http_connect(r.bearer.proxy_port, guess, target, &status));
	CHECK_INT(status, 407);
	char refused[64];
	snprintf(refused, sizeof(refused), "reason=not-the-device");
	CHECK_INT(log_count(vno_log, refused, 2), 2);
	CHECK_INT(log_count(vno_log, tunnel, tunnels), tunnels);
	fd = test_http_connect(r.bearer.proxy_port, r.bearer.key, target, &status);
	CHECK_INT(status, 200);
	CHECK(fd >= 0 && test_echo_through(fd, "still the device's own traffic"));
	if (fd >= 0)
		close(fd);
	CHECK_INT(log_count(vno_log, tunnel, tunnels + 1), tunnels + 1);
	/*
	 * The same PCID proves itself on a second link while the first holds its
	 * bearer: the newer context replaces the older (TS 24.301 5.5.1.2.7 f),
	 * whose link the VNO releases.
	 */
	CHECK_INT(attach(&l2, PCID, &u2, &r2), 0);
	struct om_radio_frame f;
	int rc;
	while ((rc = om_radio_recv(&l, &f, TIMEOUT)) == 0)
		;
	CHECK_INT(rc, OM_ERADIO_CLOSED);
	om_radio_link_close(&l);
	CHECK_INT(om_radio_ue_detach(&l2, PCID, TIMEOUT), 0);
	om_radio_link_close(&l2);
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

/* ---- bounds (issue 11) ------------------------------------------------------ */

#define FIRST_MESSAGE_MS 3000 /* the VNO's first_message_ms below */
#define MAX_UNAUTH 64
#define MAX_PER_SOURCE 8

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP connection to the radio port from src (an address in 127.0.0.0/8), or -1. */
static int connect_from(const char *src)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons(radio_port)};
	struct timeval tv = {.tv_sec = 2};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &me.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)); /* bounds connect() */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the VNO has closed or reset fd within wait_ms (nothing is ever sent on it). */
/* Whether the VNO closed fd within wait_ms; what it sent first (the cell's PLMN frame) is read past. */
static int gone(int fd, int wait_ms)
{
	long long until = now_ms() + wait_ms;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = until - now_ms();
		if (fd < 0 || poll(&p, 1, left < 0 ? 0 : (int)left) <= 0)
			return 0;
		char b[64];
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
	}
}

/* Silent links from 200 addresses, each new one replacing this side's oldest, until told or bounded. */
struct flooder {
	pthread_t thread;
	atomic_int stop;
	unsigned connects;
};

static void *flood_main(void *arg)
{
	struct flooder *fl = arg;
	int held[512];
	size_t next = 0;
	long long end = now_ms() + 10000;
	for (size_t i = 0; i < 512; i++)
		held[i] = -1;
	while (!atomic_load(&fl->stop) && fl->connects < 10000 && now_ms() < end) {
		char src[16];
		snprintf(src, sizeof(src), "127.0.0.%u", 10 + fl->connects % 200);
		int fd = connect_from(src);
		fl->connects += fd >= 0;
		if (held[next] >= 0)
			close(held[next]);
		held[next] = fd;
		next = (next + 1) % 512;
	}
	for (size_t i = 0; i < 512; i++)
		if (held[i] >= 0)
			close(held[i]);
	return NULL;
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * 2400 silent links from eight addresses: each address keeps at most
 * max_unauth_per_source, the rest are reset at once. Then, while a silent
 * flood from 200 more addresses churns through the max_unauth places, a
 * genuine device attaches in its normal time. Links that stay silent are
 * closed at first_message_ms. The log names the refusals without a line
 * for each.
 */
static void silent_flood_does_not_stop_the_device(const char *vno_log)
{
	enum { SOURCES = 8, PER_SOURCE = 300 };
	static int fds[SOURCES * PER_SOURCE];
	struct rlimit rl;
	CHECK_INT(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		CHECK_INT(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	long long t0 = now_ms();
	int opened = 0;
	for (int i = 0; i < PER_SOURCE; i++) {
		for (int s = 0; s < SOURCES; s++) {
			char src[16];
			snprintf(src, sizeof(src), "127.0.0.%d", 2 + s);
			fds[i * SOURCES + s] = connect_from(src);
			opened += fds[i * SOURCES + s] >= 0;
		}
	}
	CHECK_MSG(opened >= SOURCES * PER_SOURCE * 9 / 10, "only %d of %d connects", opened, SOURCES * PER_SOURCE);
	du_nap_ms(300);
	int kept_total = 0;
	for (int s = 0; s < SOURCES; s++) {
		int kept = 0;
		for (int i = 0; i < PER_SOURCE; i++)
			kept += fds[i * SOURCES + s] >= 0 && !gone(fds[i * SOURCES + s], 0);
		CHECK_MSG(kept >= 1 && kept <= MAX_PER_SOURCE, "127.0.0.%d keeps %d links", 2 + s, kept);
		kept_total += kept;
	}
	CHECK_MSG(kept_total <= MAX_UNAUTH, "%d unauthenticated links kept", kept_total);

	struct flooder fl = {0};
	atomic_init(&fl.stop, 0);
	CHECK_INT(pthread_create(&fl.thread, NULL, flood_main, &fl), 0);
	du_nap_ms(200);
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	device_init(&u);
	long long a0 = now_ms();
	CHECK_INT(attach(&l, PCID, &u, &r), 0);
	long long took = now_ms() - a0;
	CHECK_MSG(took < 3000, "the attach took %lld ms under the flood", took);
	atomic_store(&fl.stop, 1);
	pthread_join(fl.thread, NULL);
	CHECK_MSG(fl.connects >= 200, "the flood made only %u links", fl.connects);
	fprintf(stderr, "flood: %d links from 8 addresses, then %u from 200 during an attach of %lld ms\n", opened,
		fl.connects, took);
	CHECK_INT(om_radio_ue_detach(&l, PCID, TIMEOUT), 0);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
	for (int i = 0; i < SOURCES * PER_SOURCE; i++)
		if (fds[i] >= 0)
			close(fds[i]);

	/* A silent link is kept until first_message_ms, and closed then. */
	int quiet[4];
	for (int k = 0; k < 4; k++) {
		quiet[k] = connect_from("127.0.0.250");
		CHECK(quiet[k] >= 0);
	}
	du_nap_ms(FIRST_MESSAGE_MS / 2);
	for (int k = 0; k < 4; k++)
		CHECK_MSG(!gone(quiet[k], 0), "silent link %d closed before its deadline", k);
	for (int k = 0; k < 4; k++) {
		CHECK_MSG(gone(quiet[k], FIRST_MESSAGE_MS + 2000), "silent link %d still open", k);
		if (quiet[k] >= 0)
			close(quiet[k]);
	}

	/* Thousands refused, a few lines a second in the log. */
	du_nap_ms(300);
	size_t len;
	char *log = (char *)check_slurp(vno_log, &len);
	CHECK(log != NULL);
	if (log) {
		long long secs = (now_ms() - t0) / 1000 + 2;
		int refused = count_lines(log, "radio-refused ");
		CHECK_MSG(refused >= 1 && refused <= 10 * secs, "%d radio-refused lines in %lld s", refused, secs);
		CHECK(strstr(log, "reason=OM_ERADIO_SOURCE_LIMIT") != NULL);
		CHECK(strstr(log, "reason=OM_ERADIO_EVICTED") != NULL);
		CHECK(strstr(log, "reason=OM_ERADIO_FIRST_MESSAGE") != NULL);
		CHECK_MSG(count_lines(log, "radio-disconnect ") <= 30 * secs, "%d disconnect lines",
			  count_lines(log, "radio-disconnect "));
		CHECK(strstr(log, "suppressed=0") != NULL);
		const char *sup = strstr(log, "suppressed=");
		int some = 0;
		for (; sup; sup = strstr(sup + 1, "suppressed="))
			some |= sup[11] >= '1' && sup[11] <= '9';
		CHECK_MSG(some, "no line says how many were suppressed");
	}
	free(log);
}

/*
 * An attacker who knows only the PCID: an Attach Request, then silence. The
 * device attaches all the same, before and after; the attacker's attempt
 * never holds the context (TS 24.301 5.5.1.2.7 f: only an attach that has
 * authenticated replaces one).
 */
static void keyless_attach_does_not_stop_the_device(uint16_t echo_port)
{
	struct om_radio_link c, c2, l;
	struct test_usim u;
	struct om_radio_attach_result r;
	CHECK_INT(test_keyless_attach(&c, radio_port, PCID2), 0);
	device_init(&u);
	CHECK_INT(attach(&l, PCID2, &u, &r), 0);
	/* The reverse order: the device attached, the keyless attach comes now: challenged, not #22. */
	CHECK_INT(test_keyless_attach(&c2, radio_port, PCID2), 0);
	int status = 0;
	char target[32];
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo_port);
	int fd = test_http_connect(r.bearer.proxy_port, r.bearer.key, target, &status);
	CHECK_INT(status, 200); /* the device keeps its bearer */
	CHECK(fd >= 0 && test_echo_through(fd, "still the device's bearer"));
	if (fd >= 0)
		close(fd);
	CHECK_INT(om_radio_ue_detach(&l, PCID2, TIMEOUT), 0);
	om_radio_link_close(&l);
	om_radio_link_close(&c);
	om_radio_link_close(&c2);
	om_milenage_clear(&u.m);
}

/* Devices attaching and detaching in a loop until told to stop (bounded). */
struct traffic {
	pthread_t thread;
	const char *imsi;
	atomic_int stop;
	unsigned attaches;
};

static void *traffic_main(void *arg)
{
	struct traffic *t = arg;
	struct test_usim u;
	device_init(&u);
	for (int i = 0; i < 2000 && !atomic_load(&t->stop); i++) {
		struct om_radio_link l;
		struct om_radio_attach_result r;
		if (om_radio_link_connect(&l, "127.0.0.1", radio_port))
			break;
		if (om_radio_ue_attach(&l, t->imsi, "provisioning", test_usim_aka, &u, 2000, &r) == 0) {
			t->attaches++;
			if (om_radio_ue_detach(&l, t->imsi, 2000) != 0)
				break; /* the VNO is going */
		}
		om_radio_link_close(&l);
	}
	om_milenage_clear(&u.m);
	return NULL;
}

/*
 * SIGTERM with both captures on and traffic running (attaches, detaches:
 * AIR, ULR, PUR on S6a), after the HSS has gone in the middle of it (its
 * connection drops: freeDiameter cancels its peer threads while messages
 * pass through the capture hook). The VNO exits 0 within a few seconds;
 * tshark then reads both captures whole (captures_decode_in_tshark).
 */
static void sigterm_under_traffic(pid_t vno, pid_t hss)
{
	struct traffic t[2] = {{.imsi = PCID3}, {.imsi = PCID4}};
	for (int i = 0; i < 2; i++) {
		atomic_init(&t[i].stop, 0);
		CHECK_INT(pthread_create(&t[i].thread, NULL, traffic_main, &t[i]), 0);
	}
	du_nap_ms(1500);
	CHECK_INT(du_term_wait(hss, 10000), 0);
	du_nap_ms(700);
	long long t0 = now_ms();
	int st = du_term_wait(vno, 15000);
	long long took = now_ms() - t0;
	CHECK_INT(st, 0);
	CHECK_MSG(took < 6000, "the VNO took %lld ms to stop", took);
	for (int i = 0; i < 2; i++) {
		atomic_store(&t[i].stop, 1);
		pthread_join(t[i].thread, NULL);
	}
	CHECK_MSG(t[0].attaches + t[1].attaches >= 4, "only %u attaches before the stop",
		  t[0].attaches + t[1].attaches);
	fprintf(stderr, "stop: %u attaches in traffic, SIGTERM to exit %lld ms\n", t[0].attaches + t[1].attaches,
		took);
}

/* Run tshark on path with extra options; the start of its stdout+stderr in out (the rest read and dropped). Exit status or -1. */
static int tshark(const char *path, const char *opts, char *out, size_t cap)
{
	char cmd[1024], sink[4096];
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' %s 2>&1", path, opts);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	while (fread(sink, 1, sizeof(sink), p) > 0)
		; /* a capture of the whole run lists more than out holds: tshark must not die of SIGPIPE */
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
	/* The VNO runs with nas_ciphering = eea0 here: tshark reads the protected messages too. */
	/* No link-type setting: each record names the nas-eps dissector (exported PDU, issue 15). */
	static const char nas_opt[] = "-o nas-eps.null_decipher:TRUE";
	char opts[512];
	/* Every record whole and decoded: no malformed packet, no expert warning, in the whole file. */
	snprintf(opts, sizeof(opts), "%s -q -z expert,warn", nas_opt);
	CHECK_INT(tshark(nas, opts, out, sizeof(out)), 0);
	CHECK_MSG(!strstr(out, "Malformed") && !strstr(out, "Warns") && !strstr(out, "Errors") && !strstr(out, "cut short"),
		  "%s", out);
	CHECK_INT(tshark(nas, nas_opt, out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "Attach request") != NULL, "%s", out);
	CHECK(strstr(out, "Authentication request") != NULL);
	CHECK(strstr(out, "Authentication failure") != NULL);
	CHECK(strstr(out, "Authentication reject") != NULL);
	CHECK(strstr(out, "Security mode command") != NULL);
	CHECK(strstr(out, "Security mode complete") != NULL);
	CHECK(strstr(out, "Attach accept") != NULL);
	CHECK(strstr(out, "Attach reject") != NULL);
	CHECK(strstr(out, "Detach accept") != NULL);
	snprintf(opts, sizeof(opts), "%s -Y 'nas_eps.emm.cause == 8' -T fields -e e212.imsi", nas_opt);
	CHECK_INT(tshark(nas, opts, out, sizeof(out)), 0);
	/* The reject itself carries no IMSI; its presence is what counts. */
	CHECK_MSG(strchr(out, '\n') != NULL, "no Attach reject #8 in the capture: %s", out);

	CHECK_INT(tshark(s6a, "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -q -z expert,warn", out,
			 sizeof(out)), 0);
	CHECK_MSG(!strstr(out, "Malformed") && !strstr(out, "Warns") && !strstr(out, "Errors") && !strstr(out, "cut short"),
		  "%s", out);
	CHECK_INT(tshark(s6a, "", out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "DIAMETER") != NULL || strstr(out, "Diameter") != NULL, "%s", out);
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
		 "port = %u\npeers = mme.vno.lab\ntls = off\ndict_dir = %s\n",
		 dir, dir, dir, hss_port, du_fd_ext_dir());
	CHECK_INT(write_file(hss_conf, text), 0);
	snprintf(vno_conf, sizeof(vno_conf), "%s/vno.conf", dir);
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/24\nlog_level = info\n"
		 "pcap = %s/nas.pcap\ns6a_pcap = %s/s6a.pcap\nrun_dir = %s/vno\nnas_ciphering = eea0\n"
		 "max_devices = 256\nmax_unauth = %d\nmax_unauth_per_source = %d\nfirst_message_ms = %d\n"
		 "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:%u\ntimeout_ms = 2000\ntls = off\n"
		 "[home.00101]\npeer = hss.ro.lab\naddress = 127.0.0.1:%u\n"
		 "[apn.provisioning]\nallow = 127.0.0.1:%u\n",
		 radio_port, dir, dir, dir, MAX_UNAUTH, MAX_PER_SOURCE, FIRST_MESSAGE_MS, vno_dia, hss_port, echo.port);
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
	CHECK_INT(admin(PCID3, T_K), 0);
	CHECK_INT(admin(PCID4, T_K), 0);

	char *vno_argv[] = {vno_bin, "-c", vno_conf, NULL};
	vno = spawn(vno_argv, vno_log);
	ok = test_wait_radio(radio_port, 150);
	CHECK_MSG(ok, "openmcim-vno did not open its radio port");
	if (ok && !check_failures()) {
		pcid_attach_and_bearer(echo.port, vno_log);
		wrong_k_refused();
		sqn_resync_then_attach();
		unknown_imsi_rejected();
		keyless_attach_does_not_stop_the_device(echo.port);
		silent_flood_does_not_stop_the_device(vno_log);
		sigterm_under_traffic(vno, hss);
	} else {
		CHECK_INT(du_term_wait(vno, 10000), 0);
		CHECK_INT(du_term_wait(hss, 10000), 0);
	}
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
