/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices provisioned per second end to end (issue 6): the whole lab of
 * lab/lab_topology.h as processes on loopback, every device driven by the
 * device agent (om_agent_run), J devices at a time. For each device: power
 * on and attach with the PCID (AKA at the RO's ICF), the owner's transfer
 * code and handover request to SHO-A, the RO's DRF pushes the bootstrap
 * through the VNO, the DM session with SHO-A's DPF (which asks the PVA),
 * install, attach with the new MCIM (AKA at SHO-A's HSS), the outcome report,
 * confirm. The clock runs from the first device's power-on to the last
 * device's confirm.
 *
 *   provision_bench [N [J]]      (default 100 devices, 16 at a time)
 *
 * Named peer, in the same run, on the same artifacts: the two public-key
 * checks of one provisioning done with Debian's reference tools, one device
 * after the other, as a shell-script provisioning server would: `xmlsec1
 * --verify` of a bootstrap signed for the device as the RO's DRF signs it,
 * with the RO's pinned certificate (what the TRE does) and `openssl ocsp` of its Cert_TRE against the lab's PVA (what
 * the SHO and the PVA do). The ratio is ours end to end over the peer's
 * checks alone: it says what the whole pipeline costs next to a small part of
 * it done the usual way, not that the tools are slow at cryptography.
 *
 * Where the CPU goes (issue 14): each daemon's and this process's (the lab
 * with the owner and every agent) utime + stime from /proc/PID/stat, sampled
 * when the first device starts and when the last one is confirmed, per device
 * provisioned; and the protocol floor of bench/kit/floor.h, timed with
 * OpenSSL in this run on the lab's own DPF key, with the ratio of the two;
 * and the lines each daemon logged per device, by level (one line per event).
 * OM_BENCH_KEEP=1 keeps the work directory (the daemons' logs) after a good run.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <openssl/rand.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

#include "agent.h"
#include "floor.h"
#include "proc_cpu.h"
#include "proc_mem.h"
#include "lab_proc.h"
#include "lab_topology.h"
#include "admin_call.h"
#include "sho_internal.h"

#define PEER_SAMPLE 20

static struct lab lab;
static atomic_uint next_dev, done_ok, done_bad, tls_full, tls_resumed;
/* Of lab+agents: the agents' threads' CPU and the owner's calls' (ns), from each thread's own clock. */
static atomic_ullong agents_cpu_ns, owner_cpu_ns;
static double *lat; /* per device: handover request -> confirmed, seconds */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- memory per daemon: halfway and at the end ----------------------------------- */

static long rss_half[LAB_N_DAEMONS], rss_end[LAB_N_DAEMONS], hwm_end[LAB_N_DAEMONS];
static atomic_int mem_half_taken;
static unsigned done_at_half;
static double cpu_half[LAB_N_DAEMONS + 1];
static int cpu_half_ok;
static int cpu_sample(double ms[LAB_N_DAEMONS + 1]);

static void mem_sample(long rss[LAB_N_DAEMONS], long *hwm)
{
	long h;
	for (int d = 0; d < LAB_N_DAEMONS; d++)
		if (!lab.pid[d] || bench_proc_mem_kb(lab.pid[d], &rss[d], hwm ? &hwm[d] : &h) < 0)
			rss[d] = -1;
}

/*
 * Each daemon's resident set halfway and at the end, and what the second half
 * added per device: a daemon whose memory is flat once a device's work is done
 * adds about nothing (allocator noise, caches filling up to their bound).
 */
static void mem_report(unsigned devices)
{
	unsigned second = devices - done_at_half;
	printf("memory per daemon (VmRSS from /proc/PID/status: halfway, at the end, added per device over the "
	       "second half; peak VmHWM):\n");
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		if (rss_half[d] < 0 || rss_end[d] < 0)
			continue;
		double per = second ? (double)(rss_end[d] - rss_half[d]) * 1024.0 / second : 0;
		printf("  %-12s %8ld KiB %8ld KiB %8.0f B/device  peak %8ld KiB\n",
		       lab_daemon_name((enum lab_daemon)d), rss_half[d], rss_end[d], per, hwm_end[d]);
	}
}

/* ---- one device: the agent in its own thread, the owner in this one -------------- */

struct dev_run {
	struct om_agent_config cfg;
	char buf[2048];
	struct om_agent_result res;
	int rc, attached;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void on_event(void *arg, const char *tre_id, const char *step, const char *detail)
{
	struct dev_run *r = arg;
	static double t0;
	if (getenv("OM_BENCH_TRACE")) {
		if (!t0)
			t0 = now();
		fprintf(stderr, "%8.3f %s %s %s\n", now() - t0, tre_id, step, detail);
	}
	if (strcmp(step, "attached"))
		return;
	pthread_mutex_lock(&r->mu);
	r->attached = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* This thread's CPU time so far, in ns. */
static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void *agent_main(void *arg)
{
	struct dev_run *r = arg;
	unsigned long long c0 = thread_cpu_ns();
	r->rc = om_agent_run(&r->cfg, &r->res);
	atomic_fetch_add(&agents_cpu_ns, thread_cpu_ns() - c0);
	return NULL;
}

static int provision_one(unsigned i)
{
	struct dev_run r;
	pthread_t th;
	char code[32], answer[512];
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	lab_agent_config(&lab, i, &r.cfg, r.buf, sizeof(r.buf));
	r.cfg.wait_push_ms = 120000;
	r.cfg.on_event = on_event;
	r.cfg.event_arg = &r;
	if (pthread_create(&th, NULL, agent_main, &r))
		return -1;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 120;
	pthread_mutex_lock(&r.mu);
	while (!r.attached && pthread_cond_timedwait(&r.cv, &r.mu, &until) == 0)
		;
	int attached = r.attached;
	pthread_mutex_unlock(&r.mu);
	double t0 = now();
	unsigned long long c0 = thread_cpu_ns();
	int tc = attached ? lab_transfer_code(&lab, LAB_RO, lab.tre_ids[i], code) : 0;
	int ho = attached && tc == 0 ? lab_handover(&lab, LAB_SHO_A, lab.tre_ids[i], code, answer, sizeof(answer)) : 0;
	atomic_fetch_add(&owner_cpu_ns, thread_cpu_ns() - c0);
	int ok = attached && tc == 0 && ho == 200;
	if (attached && !ok) /* the device waits for a push that will not come: say why */
		fprintf(stderr, "device %s: owner's call failed: transfer code %s, handover %d %s\n", lab.tre_ids[i],
			om_errname(tc), ho, ho == 200 || tc ? "" : ho < 0 ? om_errname(ho) : answer);
	pthread_join(th, NULL);
	ok = ok && r.rc == 0 && r.res.outcome == OM_AGENT_PROVISIONED;
	atomic_fetch_add(&tls_full, r.res.dm_tls_full);
	atomic_fetch_add(&tls_resumed, r.res.dm_tls_resumed);
	if (!ok)
		fprintf(stderr, "device %s: rc %s outcome %s %s\n", lab.tre_ids[i], om_errname(r.rc),
			om_agent_outcome_name(r.res.outcome), r.res.reason);
	lat[i] = now() - t0;
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return ok ? 0 : -1;
}

static void *worker(void *arg)
{
	unsigned n = *(unsigned *)arg;
	for (unsigned i; (i = atomic_fetch_add(&next_dev, 1)) < n;) {
		atomic_fetch_add(provision_one(i) == 0 ? &done_ok : &done_bad, 1);
		unsigned done = atomic_load(&done_ok) + atomic_load(&done_bad);
		if (n >= 2000 && done % (n / 20) == 0) /* a long run shows its progress: every 5 % */
			fprintf(stderr, "provision_bench: %u of %u devices done (%u failed)\n", done, n,
				(unsigned)atomic_load(&done_bad));
		if (done >= n / 2 && !atomic_exchange(&mem_half_taken, 1)) {
			done_at_half = done;
			cpu_half_ok = cpu_sample(cpu_half) == 0;
			mem_sample(rss_half, NULL);
		}
	}
	return NULL;
}

/* ---- log lines per device: one line per event (issue 14) ------------------------ */

static off_t log_off0[LAB_N_DAEMONS];

static const char *log_path(int d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.log", lab.dir, lab_daemon_name((enum lab_daemon)d));
	return buf;
}

/* Where each daemon's log ends now. */
static void log_mark(void)
{
	char p[LAB_PATH_MAX + 32];
	for (int d = 0; d < LAB_N_DAEMONS; d++)
		log_off0[d] = lab_file_size(log_path(d, p, sizeof(p)));
}

/* The lines each daemon logged since log_mark(), per device, and the busiest events' names. */
static void log_report(unsigned devices)
{
	char p[LAB_PATH_MAX + 32], line[1024];
	double total = 0;
	printf("log lines per device (each daemon's log from first power-on to last confirm):\n");
	for (int d = 0; d < LAB_N_DAEMONS; d++) {
		FILE *f = fopen(log_path(d, p, sizeof(p)), "r");
		unsigned long n = 0, by_level[4] = { 0 };
		static const char *const levels[] = { " debug ", " info ", " notice ", " error " };
		if (!f || log_off0[d] < 0 || fseeko(f, log_off0[d], SEEK_SET) < 0) {
			if (f)
				fclose(f);
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			if (!strchr(line, '\n'))
				continue; /* the rest of a long line: counted at its end */
			n++;
			for (int k = 0; k < 4; k++)
				if (strstr(line, levels[k])) {
					by_level[k]++;
					break;
				}
		}
		fclose(f);
		total += (double)n / devices;
		printf("  %-12s %6.1f  (debug %.1f, info %.1f, notice %.1f, error %.1f)\n",
		       lab_daemon_name((enum lab_daemon)d), (double)n / devices, (double)by_level[0] / devices,
		       (double)by_level[1] / devices, (double)by_level[2] / devices, (double)by_level[3] / devices);
	}
	printf("  %-12s %6.1f\n", "total", total);
}

/* ---- CPU per process ------------------------------------------------------------ */

#define N_PROCS (LAB_N_DAEMONS + 1) /* every daemon, then this process */

/* Each daemon's CPU so far and this process's (with reaped children) into ms[]; -1 if one is gone. */
static int cpu_sample(double ms[N_PROCS])
{
	for (int d = 0; d < LAB_N_DAEMONS; d++)
		if (!lab.pid[d] || bench_proc_cpu_ms(lab.pid[d], 0, &ms[d]) < 0)
			return -1;
	return bench_proc_cpu_ms(getpid(), 1, &ms[LAB_N_DAEMONS]);
}

/* CPU ms per device of each process and in total; returns the total. */
static double cpu_report(const double t0[N_PROCS], const double t1[N_PROCS], unsigned devices)
{
	double total = 0;
	printf("CPU per device (utime+stime from /proc/PID/stat, first power-on to last confirm):\n");
	for (int i = 0; i < N_PROCS; i++) {
		double per = (t1[i] - t0[i]) / devices;
		total += per;
		printf("  %-12s %7.2f ms\n", i < LAB_N_DAEMONS ? lab_daemon_name((enum lab_daemon)i) : "lab+agents",
		       per);
	}
	printf("  %-12s %7.2f ms\n", "total", total);
	/* what lab+agents holds: the devices' own work, the owner's, and the rest of this process */
	double lab_ms = (t1[LAB_N_DAEMONS] - t0[LAB_N_DAEMONS]) / devices, ag = (double)agents_cpu_ns / 1e6 / devices,
	       ow = (double)owner_cpu_ns / 1e6 / devices;
	printf("  lab+agents: the agents' threads %.2f ms, the owner's calls %.2f ms, the rest %.2f ms (threads' starts "
	       "and ends, the benchmark's own work)\n", ag, ow, lab_ms - ag - ow);
	if (cpu_half_ok && done_at_half && devices > done_at_half) {
		/* growth with the fleet shows as a second half dearer than the first */
		double a = 0, b = 0;
		for (int i = 0; i < N_PROCS; i++) {
			a += cpu_half[i] - t0[i];
			b += t1[i] - cpu_half[i];
		}
		printf("  first half %.2f ms per device, second half %.2f ms per device (%+.0f %%)\n",
		       a / done_at_half, b / (devices - done_at_half),
		       100.0 * (b / (devices - done_at_half) - a / done_at_half) / (a / done_at_half));
	}
	return total;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- the peer: xmlsec1 and openssl ocsp, one device after the other ------------------ */

static int run_quiet(char *const argv[])
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The port of "ocsp_url = http://127.0.0.1:P/" in SHO-A's configuration. */
static unsigned pva_port(void)
{
	char p[LAB_PATH_MAX + 32], line[512];
	unsigned port = 0;
	FILE *f = fopen(lab_path(&lab, "sho-a-sho.conf", p, sizeof(p)), "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "ocsp_url = http://127.0.0.1:", 28))
			port = (unsigned)strtoul(line + 28, NULL, 10);
	if (f)
		fclose(f);
	return port;
}

/*
 * One device's bootstrap as the RO's DRF builds it (drf/handover_accept.c):
 * the CP document for SHO-A signed with the RO's signing key, Cert_SHO[i+1]
 * in it and a sealed-credentials object of the real one's size. The
 * register keeps only a digest of a completed handover's document (docs/drf.md
 * "Schema"), so the peer's sample is signed here, the same way, instead.
 */
static int peer_bootstrap(unsigned i, EVP_PKEY *ro_key, X509 *ro_cert, const uint8_t *sho_der, size_t sho_len,
			  const char *path)
{
	struct om_bootstrap b;
	uint8_t creds[192], *xml = NULL;
	size_t len = 0;
	memset(&b, 0, sizeof(b));
	snprintf(b.provurl, sizeof(b.provurl), "https://127.0.0.1:%u/dm", lab_sho_port(&lab, LAB_SHO_A));
	snprintf(b.server_id, sizeof(b.server_id), "SHO-A");
	snprintf(b.apn, sizeof(b.apn), "provisioning.sho-a");
	b.sequence = i + 1;
	b.sho_cert = (uint8_t *)sho_der;
	b.sho_cert_len = sho_len;
	b.creds = creds;
	b.creds_len = sizeof(creds);
	if (RAND_bytes(creds, sizeof(creds)) != 1 || om_bootstrap_build_signed(&b, ro_key, ro_cert, &xml, &len) < 0)
		return -1;
	FILE *f = fopen(path, "w");
	int ok = f && fwrite(xml, 1, len, f) == len;
	if (f && fclose(f))
		ok = 0;
	free(xml);
	return ok ? 0 : -1;
}

/*
 * For up to PEER_SAMPLE devices: a bootstrap signed as the RO's DRF signs it
 * and the Cert_TRE (from SHO-A's registration) as files, then time the tools.
 * Returns devices per second, or -1.
 */
static double peer_rate(unsigned n)
{
	char dir[LAB_PATH_MAX + 32], ro[LAB_PATH_MAX + 32], ca[LAB_PATH_MAX + 32];
	char url[64], xml[LAB_PATH_MAX + 64], pem[LAB_PATH_MAX + 64], path[LAB_PATH_MAX + 32];
	unsigned k = n < PEER_SAMPLE ? n : PEER_SAMPLE, port = pva_port();
	EVP_PKEY *ro_key = NULL;
	X509 *ro_cert = NULL, *sho_cert = NULL;
	uint8_t *sho_der = NULL;
	int sho_len = -1;
	snprintf(dir, sizeof(dir), "%s/peer", lab.dir);
	mkdir(dir, 0700);
	if (!port || om_key_load(&ro_key, lab_path(&lab, "pki/cas/ro-signing.key", path, sizeof(path))) < 0 ||
	    om_cert_load(&ro_cert, lab_path(&lab, "pki/cas/ro-signing.pem", path, sizeof(path))) < 0 ||
	    om_cert_load(&sho_cert, lab_path(&lab, "pki/sho-a-signing.pem", path, sizeof(path))) < 0 ||
	    (sho_len = i2d_X509(sho_cert, &sho_der)) <= 0) {
		EVP_PKEY_free(ro_key);
		X509_free(ro_cert);
		X509_free(sho_cert);
		return -1;
	}
	/* Cert_TRE as the DPF gets it: from SHO-A's internal socket, not its store */
	char sock[LAB_PATH_MAX + 32];
	struct om_admin_peer sho = { .path = lab_path(&lab, "sho-a-sho/internal.sock", sock, sizeof(sock)),
				     .timeout_ms = 10000 };
	int ok = 1;
	for (unsigned i = 0; i < k && ok; i++) {
		X509 *cert = NULL;
		snprintf(xml, sizeof(xml), "%s/%u.xml", dir, i);
		ok = peer_bootstrap(i, ro_key, ro_cert, sho_der, (size_t)sho_len, xml) == 0;
		snprintf(pem, sizeof(pem), "%s/%u.pem", dir, i);
		ok = ok && sho_remote_tre_sign_cert(&sho, lab.tre_ids[i], &cert) == 0 && om_cert_save(pem, cert) == 0;
		X509_free(cert);
	}
	OPENSSL_free(sho_der);
	EVP_PKEY_free(ro_key);
	X509_free(ro_cert);
	X509_free(sho_cert);
	if (!ok)
		return -1;
	lab_path(&lab, "pki/cas/ro-signing.pem", ro, sizeof(ro));
	lab_path(&lab, "pki/cas/pva-ca.pem", ca, sizeof(ca));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	double t0 = now();
	for (unsigned i = 0; i < k && ok; i++) {
		snprintf(xml, sizeof(xml), "%s/%u.xml", dir, i);
		snprintf(pem, sizeof(pem), "%s/%u.pem", dir, i);
		char *verify[] = { "xmlsec1", "--verify", "--pubkey-cert-pem", ro, "--enabled-key-data", "rsa,ecdsa",
				   xml, NULL };
		char *ocsp[] = { "openssl", "ocsp", "-issuer", ca, "-cert", pem, "-url", url, "-CAfile", ca, NULL };
		ok = run_quiet(verify) == 0 && run_quiet(ocsp) == 0;
	}
	double dt = now() - t0;
	return ok ? k / dt : -1;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100;
	unsigned j = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 16;
	char why[512], bin[LAB_PATH_MAX], work[LAB_PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	if (n < 1 || j < 1) {
		fprintf(stderr, "usage: provision_bench [N [J]]   (the work directory under $TMPDIR, else /tmp)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* half of LAB_PATH_MAX at most: the lab's paths under it need the rest */
	if ((size_t)snprintf(work, sizeof(work), "%s/om-provision-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
		    sizeof(work) / 2 ||
	    !realpath(argv[0], bin) || !mkdtemp(work)) {
		perror("provision_bench");
		return 1;
	}
	*strrchr(bin, '/') = '\0';
	struct lab_options o = { .workdir = work, .bin_dir = bin, .n_devices = n, .seed = 1, .grace_s = 5,
				 .fallback_s = 30 };
	lat = calloc(n, sizeof(*lat));
	int rc = 1;
	if (!lat || lab_setup(&lab, &o, why, sizeof(why)) < 0 || lab_start(&lab, why, sizeof(why)) < 0) {
		fprintf(stderr, "provision_bench: %s\n", why);
		goto out;
	}
	if (lab_register(&lab, LAB_SHO_A, LAB_RO, NULL, 0, why, sizeof(why)) < 0) {
		fprintf(stderr, "provision_bench: register: %s\n", why);
		goto out;
	}
	pthread_t th[256];
	double cpu0[N_PROCS], cpu1[N_PROCS];
	j = j > 256 ? 256 : j;
	if (cpu_sample(cpu0) < 0) {
		fprintf(stderr, "provision_bench: a daemon's /proc/PID/stat is unreadable\n");
		goto out;
	}
	log_mark();
	double t0 = now();
	for (unsigned i = 0; i < j; i++)
		pthread_create(&th[i], NULL, worker, &n);
	for (unsigned i = 0; i < j; i++)
		pthread_join(th[i], NULL);
	double dt = now() - t0, ours = done_ok / dt;
	int cpu_ok = cpu_sample(cpu1) == 0;
	mem_sample(rss_end, hwm_end);
	if (done_ok)
		log_report(done_ok);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("openmcim end to end: %u devices provisioned (%u failed) in %.2f s, %u at a time: %.1f devices/s\n",
	       (unsigned)done_ok, (unsigned)done_bad, dt, j, ours);
	printf("  handover request -> confirmed: p50 %.0f ms, p99 %.0f ms\n", lat[n / 2] * 1e3,
	       lat[(size_t)((n - 1) * 0.99)] * 1e3);
	printf("  device <-> DPF TLS handshakes: %u full, %u resumed\n", (unsigned)tls_full, (unsigned)tls_resumed);
	/* every fsync of the TREs and the daemons' stores lands there: on tmpfs they cost nothing (docs/performance.md) */
	struct statfs fs;
	printf("  work directory %s on %s\n", work,
	       statfs(work, &fs) != 0		   ? "an unknown file system"
	       : fs.f_type == TMPFS_MAGIC	   ? "tmpfs (fsync costs nothing: storage left out of the CPU figures)"
	       : fs.f_type == EXT4_SUPER_MAGIC ? "ext2/3/4"
					   : "another file system");
	double peer = peer_rate(n);
	if (peer > 0)
		printf("peer (xmlsec1 --verify + openssl ocsp per device, one after the other): %.1f devices/s\n"
		       "ratio: %.1fx\n", peer, ours / peer);
	else
		printf("peer: could not run xmlsec1 / openssl ocsp on the lab's artifacts\n");
	double total = cpu_ok && done_ok ? cpu_report(cpu0, cpu1, done_ok) : 0;
	mem_report(n);
	char cert[LAB_PATH_MAX + 32], key[LAB_PATH_MAX + 32];
	struct bench_floor fl;
	int floor_ok = bench_floor_measure(lab_path(&lab, "pki/tls/dpf.sho-a.lab.pem", cert, sizeof(cert)),
					   lab_path(&lab, "pki/sho-a-signing.key", key, sizeof(key)), 200, &fl, why,
					   sizeof(why)) == 0;
	if (floor_ok) {
		bench_floor_print(stdout, &fl);
		printf("  at the floor, 2 cores would provision %.0f devices/s\n", 2e6 / fl.per_device_us);
	} else {
		fprintf(stderr, "provision_bench: %s\n", why);
	}
	if (floor_ok && total > 0)
		printf("CPU per device / floor: %.2f ms / %.2f ms = %.1fx (%.1fx over the public-key operations alone)\n",
		       total, fl.per_device_us / 1e3, total * 1e3 / fl.per_device_us, total * 1e3 / fl.pk_only_us);
	rc = done_bad || peer <= 0 || !cpu_ok || !floor_ok;
out:
	lab_stop(&lab);
	lab_free(&lab);
	free(lat);
	if (rc == 0 && !getenv("OM_BENCH_KEEP")) {
		char cmd[sizeof(work) + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
		if (system(cmd) != 0)
			fprintf(stderr, "provision_bench: could not remove %s\n", work);
	} else {
		fprintf(stderr, "provision_bench: kept %s\n", work); /* a failure, or OM_BENCH_KEEP set */
	}
	return rc;
}
