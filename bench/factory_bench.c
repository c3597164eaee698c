/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A production run of N devices (default 100,000; first argument) by the
 * built `openmcim factory` beside this program, into a temporary directory
 * under $TMPDIR (default /tmp): devices per second and the total time, wall
 * clock and CPU. The named peer, in the same run: the OpenSSL command line
 * doing the same certificate work for PEER_DEVICES devices, one process per
 * step as a shell-scripted factory would (per device: `openssl genpkey` for
 * the EC P-256 signing key and the X25519 encryption key, `openssl pkey
 * -pubout`, `openssl req`, and `openssl x509 -req` twice: the signing
 * certificate, and the encryption certificate with -force_pubkey), then the
 * per-device ratio. The peer writes no TRE state and no import files, so
 * the ratio flatters it.
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

int main(int argc, char **argv)
{
	char cli[1024], dir[1024], cmd[16384];
	const char *tmp = getenv("TMPDIR");
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int rc = 1;

	if (n <= 0 || n > 99999999) {
		fprintf(stderr, "usage: factory_bench [DEVICES]  (1..99999999, default 100000)\n");
		return 2;
	}
	if (find_cli(cli, sizeof(cli)) < 0) {
		fprintf(stderr, "factory_bench: no openmcim program beside this one: build openmcim-cli\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/om-factory-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("factory_bench: mkdtemp");
		return 1;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("factory: production run of %ld devices into %s (%ld CPUs)\n", n, dir, cpus);
	snprintf(cmd, sizeof(cmd), "'%s' factory init-cas --out '%s/cas' >/dev/null", cli, dir);
	if (sh(cmd) != 0)
		goto out;

	snprintf(cmd, sizeof(cmd),
		 "'%s' factory --devices %ld --out '%s/run' --pva-ca '%s/cas/pva-ca.pem' --pva-key "
		 "'%s/cas/pva-ca.key' --ro-cert '%s/cas/ro-signing.pem' --pcid-mcc 001 --pcid-mnc 01 "
		 "--pcid-first 0000000001",
		 cli, n, dir, dir, dir, dir);
	double c0 = child_cpu(), t0 = now();
	if (sh(cmd) != 0)
		goto out;
	double wall = now() - t0, cpu = child_cpu() - c0;
	printf("  openmcim factory     %8.0f devices/s  total %.1f s  (%.0f us/device wall, %.0f us CPU)\n",
	       (double)n / wall, wall, 1e6 * wall / (double)n, 1e6 * cpu / (double)n);

	/* the peer: the same CA, the same profiles, one process per step */
	snprintf(cmd, sizeof(cmd), "mkdir '%s/peer' && cp '%s/cas/pva-ca.pem' '%s/peer/ca.pem' && "
				   "cp '%s/cas/pva-ca.key' '%s/peer/ca.key'",
		 dir, dir, dir, dir, dir);
	if (sh(cmd) != 0)
		goto out;
	char script[8192], peer_dir[1100];
	snprintf(peer_dir, sizeof(peer_dir), "%s/peer", dir);
	snprintf(script, sizeof(script), peer_script, peer_dir, PEER_DEVICES);
	fflush(stdout);
	FILE *f = popen("sh", "w");
	c0 = child_cpu();
	t0 = now();
	if (!f || fputs(script, f) < 0 || pclose(f) != 0) {
		fprintf(stderr, "factory_bench: the openssl peer failed\n");
		goto out;
	}
	double pwall = (now() - t0) / PEER_DEVICES, pcpu = (child_cpu() - c0) / PEER_DEVICES;
	printf("  openssl CLI (peer)   %8.1f devices/s  per device %.1f ms wall, %.1f ms CPU (%d devices, 1 process chain)\n",
	       1.0 / pwall, 1e3 * pwall, 1e3 * pcpu, PEER_DEVICES);
	printf("  ratio per device: %.0fx wall (openmcim with %ld workers), %.0fx CPU\n", pwall / (wall / (double)n),
	       cpus, pcpu / (cpu / (double)n));
	rc = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (sh(cmd) != 0)
		rc = 1;
	return rc;
}
