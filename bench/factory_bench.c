/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A production run of N devices (default 100,000) by the built `openmcim
 * factory` beside this program, on two file systems in turn: the disk
 * ($TMPDIR, default /tmp: on this machine the same ext4 disk as /work) and
 * /dev/shm (tmpfs), since a run writes a directory and three files per
 * device and is bound by file-system metadata on a disk: devices per second
 * and the total time, wall clock and CPU. `--disk` or `--tmpfs` runs only
 * one. The named peer, in the same run: the OpenSSL command line doing the
 * same certificate work for PEER_DEVICES devices, one process per step as a
 * shell-scripted factory would (per device: `openssl genpkey` for the EC
 * P-256 signing key and the X25519 encryption key, `openssl pkey -pubout`,
 * `openssl req`, and `openssl x509 -req` twice: the signing certificate,
 * and the encryption certificate with -force_pubkey), then the per-device
 * ratio. The peer writes no TRE state and no import files, so the ratio
 * flatters it. The factory's progress line shows only when stderr is a
 * terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/pki.h>

#define PEER_DEVICES 20

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of the children waited for so far. */
static double child_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static int sh(const char *cmd)
{
	fflush(stdout);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The `openmcim` program built beside this one. */
static int find_cli(char *out, size_t cap)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	int k = snprintf(out, cap, "%s/openmcim", self);
	return k > 0 && (size_t)k < cap && access(out, X_OK) == 0 ? 0 : -1;
}

static const char peer_script[] =
	"set -e; cd '%s'\n"
	"printf '[s]\\nbasicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
	"extendedKeyUsage=" OM_OID_TRE_SIGNING "\\nsubjectKeyIdentifier=hash\\n"
	"authorityKeyIdentifier=keyid:always\\n[e]\\nbasicConstraints=critical,CA:FALSE\\n"
	"keyUsage=critical,keyAgreement\\nextendedKeyUsage=" OM_OID_TRE_ENCRYPTION "\\n"
	"subjectKeyIdentifier=hash\\nauthorityKeyIdentifier=keyid:always\\n' > ext.cnf\n"
	"i=0; while [ $i -lt %d ]; do i=$((i+1)); id=$(printf 'TRE-%%08d' $i)\n"
	"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.key\n"
	"openssl genpkey -algorithm X25519 -out e.key\n"
	"openssl pkey -in e.key -pubout -out e.pub\n"
	"openssl req -new -key s.key -subj /CN=$id -sha256 -out r.csr\n"
	"openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -sha256 -days 7300 -set_serial 0x$(openssl rand -hex 19) "
	"-extfile ext.cnf -extensions s -outform DER -out s.der 2>/dev/null\n"
	"openssl x509 -req -in r.csr -force_pubkey e.pub -CA ca.pem -CAkey ca.key -sha256 -days 7300 "
	"-set_serial 0x$(openssl rand -hex 19) -extfile ext.cnf -extensions e -outform DER -out e.der 2>/dev/null\n"
	"done\n";

struct result {
	const char *where;
	double wall, cpu; /* seconds for the whole run */
};

/* One production run of n devices in a fresh directory under base. */
static int factory_run(const char *cli, const char *base, long n, int quiet, struct result *r)
{
	char dir[1024], cmd[16384];
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/om-factory-bench-XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("factory_bench: mkdtemp");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "'%s' factory init-cas --out '%s/cas' >/dev/null", cli, dir);
	if (sh(cmd) != 0)
		goto out;
	snprintf(cmd, sizeof(cmd),
		 "'%s' factory --devices %ld --out '%s/run' --pva-ca '%s/cas/pva-ca.pem' --pva-key "
		 "'%s/cas/pva-ca.key' --ro-cert '%s/cas/ro-signing.pem' --pcid-mcc 001 --pcid-mnc 01 "
		 "--pcid-first 0000000001%s >/dev/null",
		 cli, n, dir, dir, dir, dir, quiet ? " --quiet" : "");
	double c0 = child_cpu(), t0 = now();
	if (sh(cmd) != 0)
		goto out;
	r->wall = now() - t0;
	r->cpu = child_cpu() - c0;
	printf("  openmcim factory  %-9s %8.0f devices/s  total %6.1f s  (%.0f us/device wall, %.0f us CPU) in %s\n",
	       r->where, (double)n / r->wall, r->wall, 1e6 * r->wall / (double)n, 1e6 * r->cpu / (double)n, base);
	rc = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (sh(cmd) != 0)
		rc = -1;
	return rc;
}

/* The peer: the same profiles from a CA of its own, one process per step; seconds per device. */
static int peer_run(const char *cli, const char *base, double *wall, double *cpu)
{
	char dir[1024], cmd[16384], script[8192];
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/om-factory-peer-XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("factory_bench: mkdtemp");
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "'%s' factory init-cas --out '%s/cas' >/dev/null && cp '%s/cas/pva-ca.pem' '%s/ca.pem' && "
		 "cp '%s/cas/pva-ca.key' '%s/ca.key'",
		 cli, dir, dir, dir, dir, dir);
	if (sh(cmd) != 0)
		goto out;
	snprintf(script, sizeof(script), peer_script, dir, PEER_DEVICES);
	fflush(stdout);
	FILE *f = popen("sh", "w");
	double c0 = child_cpu(), t0 = now();
	if (!f || fputs(script, f) < 0 || pclose(f) != 0) {
		fprintf(stderr, "factory_bench: the openssl peer failed\n");
		goto out;
	}
	*wall = (now() - t0) / PEER_DEVICES;
	*cpu = (child_cpu() - c0) / PEER_DEVICES;
	rc = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (sh(cmd) != 0)
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	char cli[1024];
	const char *tmp = getenv("TMPDIR");
	const char *disk = tmp && *tmp ? tmp : "/tmp";
	struct result res[2] = { { "disk", 0, 0 }, { "tmpfs", 0, 0 } };
	const char *base[2] = { disk, "/dev/shm" };
	int want[2] = { 1, 1 };
	long n = 100000;
	double pwall = 0, pcpu = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--disk") || !strcmp(argv[i], "--tmpfs")) {
			want[0] = argv[i][2] == 'd';
			want[1] = !want[0];
		} else if ((n = atol(argv[i])) <= 0 || n > 99999999) {
			fprintf(stderr, "usage: factory_bench [--disk | --tmpfs] [DEVICES]  (1..99999999, default 100000)\n"
					"  --disk   only into $TMPDIR (default /tmp)\n  --tmpfs  only into /dev/shm\n");
			return 2;
		}
	}
	if (want[1] && access("/dev/shm", W_OK) != 0) {
		fprintf(stderr, "factory_bench: /dev/shm is not writable%s\n", want[0] ? ": disk only" : "");
		if (!want[0])
			return 1;
		want[1] = 0;
	}
	if (find_cli(cli, sizeof(cli)) < 0) {
		fprintf(stderr, "factory_bench: no openmcim program beside this one: build openmcim-cli\n");
		return 1;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int quiet = !isatty(STDERR_FILENO);
	printf("factory: production run of %ld devices (%ld CPUs, %ld workers)\n", n, cpus, cpus);
	for (int i = 0; i < 2; i++)
		if (want[i] && factory_run(cli, base[i], n, quiet, &res[i]) < 0)
			return 1;
	if (peer_run(cli, disk, &pwall, &pcpu) < 0)
		return 1;
	printf("  openssl CLI (peer)        %8.1f devices/s  per device %.1f ms wall, %.1f ms CPU (%d devices, 1 process chain)\n",
	       1.0 / pwall, 1e3 * pwall, 1e3 * pcpu, PEER_DEVICES);
	for (int i = 0; i < 2; i++)
		if (want[i])
			printf("  ratio per device (%s): %.0fx wall (openmcim with %ld workers), %.0fx CPU\n", res[i].where,
			       pwall / (res[i].wall / (double)n), cpus, pcpu / (res[i].cpu / (double)n));
	return 0;
}
