/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attach storm (issue 14): N devices power up within S seconds through one
 * VNO. Real processes on loopback: openmcim-hss with N subscribers (imported
 * with `openmcim hss-admin import`, as an operator loads a factory file) and
 * openmcim-vno; the devices in this process. Each device powers up at its
 * own instant, evenly spread over S seconds, and runs the whole EPS attach of
 * TS 24.301 (Attach Request, AKA with MILENAGE on its own K, Security Mode
 * Control, Attach Accept/Complete, its bearer) over its own radio link, from
 * its own loopback address (127.x.y.z: one source per device, as radios are,
 * so the VNO's per-source bounds see a crowd, not one flooder). A device
 * whose attach fails retries after 1 s, as a device does, until it is
 * attached or the run's deadline passes; then it detaches.
 *
 *   attach_storm_bench [N [S [W [HOLD_MS]]]]
 *     N devices (default 10000), powered up within S seconds (default 10),
 *     at most W devices' procedures in flight on the device side (default
 *     1024), each staying attached HOLD_MS ms before its detach (default 0).
 *
 * The device side is W small threads, each running one device's procedure
 * at a time (the blocking om_radio_ue_attach on a 128 KiB stack), not a
 * thread per device: a device whose power-up instant has come waits for one
 * of them, and that wait counts in its attach time. Links are held only
 * while a procedure runs and for HOLD_MS after, so at most W at once: the
 * VNO runs its links on one loop (docs/vno.md), but each held link is a
 * descriptor at both ends and a device thread here, and RLIMIT_NOFILE
 * (printed at start) caps both processes.
 *
 * Prints: attached / lost / retries, attach time p50 / p99 / max from each
 * device's power-up instant to its Attach Complete, the VNO's and the HSS's
 * CPU per attach (utime + stime, /proc/PID/stat) and peak memory (VmHWM),
 * and the devices' own CPU per attach (this process).
 */
#define _DEFAULT_SOURCE /* realpath */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/radio.h>

#include "daemon_util.h"
#include "proc_cpu.h"
#include "proc_mem.h"
#include "vno_testutil.h"

#define T_OPC "cd63cb71954a9f4e48a5994e37a02baf"
#define IMSI_BASE UINT64_C(1010000000000) /* 001-01 + MSIN 0000000000.. (the RO's range) */
#define STEP_TIMEOUT_MS 30000              /* per message of the device's procedure */
#define RETRY_MS 1000

static char dir[64];
static uint16_t radio_port;
static unsigned n_dev, hold_ms;
static double spread_s, t_start;
static double *lat; /* per device: power-up instant -> attached, seconds; < 0 lost */
static atomic_uint next_dev, n_attached, n_lost, n_retries, n_detach_failed;
static double deadline_s;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void imsi_of(unsigned i, char out[16])
{
	snprintf(out, 16, "00%013llu", (unsigned long long)(IMSI_BASE + i + 1));
}

/* Device i's K: distinct per device, derived from i (a bench, not a factory). */
static void k_of(unsigned i, char hex[33])
{
	snprintf(hex, 33, "465b5ce8b199b49faa5f0a2e%08x", i);
}

/* A radio link from 127.x.y.z (device i's own address) to the VNO's radio port. */
static int link_connect(struct om_radio_link *l, unsigned i)
{
	uint32_t src = (UINT32_C(127) << 24) | ((i + 2) & 0xffffff);
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(src)};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(radio_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	om_radio_link_init(l, fd);
	return 0;
}

/* Device i from power-up to attached (retrying) and detached: 0 attached, -1 lost. */
static int device_run(unsigned i)
{
	char imsi[16], k[33];
	struct test_usim u;
	imsi_of(i, imsi);
	k_of(i, k);
	if (test_usim_init(&u, k, T_OPC) < 0)
		return -1;
	double power_up = t_start + spread_s * i / n_dev;
	for (double w; (w = power_up - now()) > 0;)
		du_nap_ms((long)(w * 1000) + 1);
	int rc = -1;
	while (now() < deadline_s) {
		struct om_radio_link l;
		struct om_radio_attach_result r;
		if (link_connect(&l, i) == 0) {
			rc = om_radio_ue_attach(&l, imsi, "provisioning", test_usim_aka, &u, STEP_TIMEOUT_MS, &r);
			if (rc == 0) {
				lat[i] = now() - power_up;
				if (hold_ms)
					du_nap_ms(hold_ms);
				if (om_radio_ue_detach(&l, imsi, STEP_TIMEOUT_MS) < 0)
					atomic_fetch_add(&n_detach_failed, 1);
			}
			om_radio_link_close(&l);
		}
		if (rc == 0)
			break;
		atomic_fetch_add(&n_retries, 1);
		du_nap_ms(RETRY_MS);
	}
	om_milenage_clear(&u.m);
	return rc == 0 ? 0 : -1;
}

static void *worker(void *arg)
{
	(void)arg;
	for (unsigned i; (i = atomic_fetch_add(&next_dev, 1)) < n_dev;) {
		lat[i] = -1;
		atomic_fetch_add(device_run(i) == 0 ? &n_attached : &n_lost, 1);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The subscribers' file for `hss-admin import`: imsi,k,opc,amf. */
static int write_subscribers(const char *path)
{
	/* K and OPc: the bench's alone, even in a work directory kept after a failure */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fputs("imsi,k,opc,amf\n", f);
	for (unsigned i = 0; i < n_dev; i++) {
		char imsi[16], k[33];
		imsi_of(i, imsi);
		k_of(i, k);
		fprintf(f, "%s,%s,%s,8000\n", imsi, k, T_OPC);
	}
	return fclose(f);
}

static int start(const char *bin, unsigned w, pid_t *hss, pid_t *vno)
{
	char conf[128], log[128], text[2048], sock[128], subs[128], exe[4200], cli[4200], out[512];
	uint16_t hss_port = (uint16_t)du_free_port(), vno_dia = (uint16_t)du_free_port();
	radio_port = (uint16_t)du_free_port();
	/* Links at once: the device side's W, and as many again closing (a margin, not a bound that bites). */
	unsigned max_devices = 2 * w + 64 > 65536 ? 65536 : 2 * w + 64;
	snprintf(sock, sizeof(sock), "%s/hss/prov.sock", dir);
	snprintf(conf, sizeof(conf), "%s/hss.conf", dir);
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s/hss.db\nprovision_socket = %s\nrun_dir = %s/hss\nlog_level = info\n"
		 "[diameter]\nidentity = hss.ro.lab\nrealm = epc.mnc001.mcc001.3gppnetwork.org\nlisten = 127.0.0.1\n"
		 "port = %u\npeers = mme.vno.lab\ntls = off\ndict_dir = %s\n",
		 dir, sock, dir, hss_port, du_fd_ext_dir());
	snprintf(log, sizeof(log), "%s/hss.log", dir);
	snprintf(exe, sizeof(exe), "%s/openmcim-hss", bin);
	if (du_write_file(conf, text) < 0 || (*hss = du_spawn_daemon(exe, conf, log, 0)) < 0 ||
	    !test_wait_path(sock, 100))
		return -1;
	snprintf(subs, sizeof(subs), "%s/subscribers.csv", dir);
	snprintf(cli, sizeof(cli), "%s/openmcim", bin);
	const char *imp[] = {cli, "hss-admin", "--socket", sock, "import", subs, "apn=provisioning", "roaming=any",
			     NULL};
	if (write_subscribers(subs) < 0 || du_run(imp, 1, out, sizeof(out)) != 0) {
		fprintf(stderr, "attach_storm_bench: import: %s\n", out);
		return -1;
	}
	snprintf(conf, sizeof(conf), "%s/vno.conf", dir);
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/16\nlog_level = info\n"
		 "run_dir = %s/vno\nmax_devices = %u\n"
		 "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:%u\ntls = off\n"
		 "[home.00101]\npeer = hss.ro.lab\naddress = 127.0.0.1:%u\n"
		 "[apn.provisioning]\nallow = 127.0.0.1:9\n",
		 radio_port, dir, max_devices, vno_dia, hss_port);
	snprintf(log, sizeof(log), "%s/vno.log", dir);
	snprintf(exe, sizeof(exe), "%s/openmcim-vno", bin);
	if (du_write_file(conf, text) < 0 || (*vno = du_spawn_daemon(exe, conf, log, 0)) < 0 ||
	    !du_wait_log(log, "ready", 30000))
		return -1;
	return 0;
}

/* The kernel's ceiling for RLIMIT_NOFILE (fs.nr_open), 0 when unknown. */
static rlim_t nr_open(void)
{
	unsigned long long v = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return (rlim_t)v;
}

int main(int argc, char **argv)
{
	n_dev = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10000;
	spread_s = argc > 2 ? strtod(argv[2], NULL) : 10;
	unsigned w = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1024;
	hold_ms = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0;
	char bin[4096];
	pid_t hss = -1, vno = -1;
	int rc = 1;
	if (n_dev < 1 || n_dev > 0xfffff0 || w < 1 || w > 30000 || spread_s < 0) {
		fprintf(stderr, "usage: attach_storm_bench [N [S [W [HOLD_MS]]]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Each device thread holds a link; each link is a descriptor here and one at the VNO: the soft
	 * limit goes to the hard one (the VNO does the same at its start and logs its figure). */
	struct rlimit nf;
	if (getrlimit(RLIMIT_NOFILE, &nf) == 0) {
		/* Privileged (CAP_SYS_RESOURCE), the hard limit itself may rise to fs.nr_open: 100,000
		 * devices held attached are 100,000 links at each end. The daemons inherit it. */
		rlim_t top = nr_open();
		struct rlimit big = {.rlim_cur = top, .rlim_max = top};
		if (big.rlim_max > nf.rlim_max && setrlimit(RLIMIT_NOFILE, &big) == 0)
			nf = big;
		if (nf.rlim_cur < nf.rlim_max) {
			nf.rlim_cur = nf.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &nf);
			(void)getrlimit(RLIMIT_NOFILE, &nf);
		}
		printf("open files: limit %llu (devices' side)\n", (unsigned long long)nf.rlim_cur);
		if (nf.rlim_cur < (rlim_t)w + 1024) /* a link per device thread */
			fprintf(stderr, "attach_storm_bench: RLIMIT_NOFILE %llu is below what %u device threads need\n",
				(unsigned long long)nf.rlim_cur, w);
	}
	snprintf(dir, sizeof(dir), "/tmp/om-storm-bench-XXXXXX");
	if (!realpath(argv[0], bin) || !mkdtemp(dir)) {
		perror("attach_storm_bench");
		return 1;
	}
	*strrchr(bin, '/') = '\0';
	lat = calloc(n_dev, sizeof(*lat));
	pthread_t *th = calloc(w, sizeof(*th));
	double t_setup = now();
	if (!lat || !th || start(bin, w, &hss, &vno) < 0) {
		fprintf(stderr, "attach_storm_bench: setup failed (see %s)\n", dir);
		goto out;
	}
	printf("setup: %u subscribers imported, HSS and VNO started in %.1f s\n", n_dev, now() - t_setup);
	double cpu0[3], cpu1[3];
	long rss, hwm_vno = 0, hwm_hss = 0, hwm_idle_vno = 0, hwm_idle_hss = 0;
	if (bench_proc_cpu_ms(vno, 0, &cpu0[0]) < 0 || bench_proc_cpu_ms(hss, 0, &cpu0[1]) < 0 ||
	    bench_proc_cpu_ms(getpid(), 0, &cpu0[2]) < 0 || bench_proc_mem_kb(vno, &rss, &hwm_idle_vno) < 0 ||
	    bench_proc_mem_kb(hss, &rss, &hwm_idle_hss) < 0)
		goto out;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	t_start = now() + 0.2;
	deadline_s = t_start + spread_s + 600;
	unsigned started = 0;
	for (; started < w; started++)
		if (pthread_create(&th[started], &attr, worker, NULL))
			break;
	pthread_attr_destroy(&attr);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	double dt = now() - t_start;
	if (bench_proc_cpu_ms(vno, 0, &cpu1[0]) < 0 || bench_proc_cpu_ms(hss, 0, &cpu1[1]) < 0 ||
	    bench_proc_cpu_ms(getpid(), 0, &cpu1[2]) < 0 || bench_proc_mem_kb(vno, &rss, &hwm_vno) < 0 ||
	    bench_proc_mem_kb(hss, &rss, &hwm_hss) < 0)
		goto out;
	unsigned ok = n_attached;
	double *sorted = malloc(n_dev * sizeof(*sorted));
	size_t k = 0;
	for (unsigned i = 0; i < n_dev && sorted; i++)
		if (lat[i] >= 0)
			sorted[k++] = lat[i];
	if (sorted && k)
		qsort(sorted, k, sizeof(*sorted), cmp_double);
	printf("attach storm: %u devices powered up within %.1f s through one VNO, %u device procedures at a "
	       "time, held %u ms\n", n_dev, spread_s, started, hold_ms);
	printf("  attached %u, lost %u, retries %u, detaches unanswered %u; all done %.1f s after the first "
	       "power-up\n", ok, (unsigned)n_lost, (unsigned)n_retries, (unsigned)n_detach_failed, dt);
	if (k)
		printf("  attach time (power-up -> Attach Complete): p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		       sorted[k / 2] * 1e3, sorted[(size_t)((k - 1) * 0.99)] * 1e3, sorted[k - 1] * 1e3);
	if (ok) {
		printf("  CPU per attach: vno %.3f ms, hss %.3f ms, devices (this process) %.3f ms\n",
		       (cpu1[0] - cpu0[0]) / ok, (cpu1[1] - cpu0[1]) / ok, (cpu1[2] - cpu0[2]) / ok);
		printf("  attaches per second of VNO+HSS CPU: %.0f\n", 1e3 * ok / (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]));
	}
	printf("  peak memory (VmHWM): vno %ld KiB (%ld before the storm), hss %ld KiB (%ld before)\n", hwm_vno,
	       hwm_idle_vno, hwm_hss, hwm_idle_hss);
	free(sorted);
	rc = ok == n_dev ? 0 : 1;
out:
	if (vno > 0 && du_term_wait(vno, 30000) != 0)
		fprintf(stderr, "attach_storm_bench: the VNO did not exit 0\n");
	if (hss > 0 && du_term_wait(hss, 30000) != 0)
		fprintf(stderr, "attach_storm_bench: the HSS did not exit 0\n");
	free(lat);
	free(th);
	if (rc == 0)
		du_rm_rf(dir);
	else
		fprintf(stderr, "attach_storm_bench: kept %s\n", dir);
	return rc;
}
