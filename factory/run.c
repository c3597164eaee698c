/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A production run: J worker threads each take a contiguous block of
 * device indices (every device costs the same, so static blocks balance),
 * write the RO's rows in place and their PVA and owner rows to a part file
 * per worker; the parts are joined in worker order, so the rows come out
 * in device order whatever J is. The main thread shows progress.
 *
 * Each worker runs in its own OpenSSL library context (the thread's
 * default, OSSL_LIB_CTX_set0_default): OpenSSL 3.0 serialises the method
 * construction and lookups of one context (encoders and decoders above
 * all) under its store locks, so two workers sharing the default context
 * ran no faster than one. The contexts outlive the CA: signing with the
 * CA's key from a worker caches an export of that key into the worker's
 * context, freed with the key.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/provider.h>

#include <openmcim/hex.h>

#include "factory_impl.h"

#define JOBS_MAX 256
#define PATH_CAP 4096

struct shared {
	const struct factory_run *run;
	int ro_fd;
	size_t ro_row_len;
	off_t ro_base;
	const char *labels_dir; /* synthetic mode: one label file per device */
	atomic_size_t done;
	atomic_int stop;
	atomic_uint finished;
};

struct worker {
	pthread_t th;
	struct shared *sh;
	OSSL_LIB_CTX *libctx;
	uint64_t begin, end;
	FILE *pva, *owner, *verifiers, *aks;
	int rc;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_ro(const struct shared *sh, uint64_t i, const struct factory_device *d)
{
	char row[FACTORY_RO_ROW_MAX + 1];
	factory_ro_row(d, row);
	off_t at = sh->ro_base + (off_t)(i * sh->ro_row_len);
	ssize_t n = pwrite(sh->ro_fd, row, sh->ro_row_len, at);
	OPENSSL_cleanse(row, sizeof(row));
	return n == (ssize_t)sh->ro_row_len ? 0 : OM_EIO;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct factory_device d;
	int rc = 0;
	OSSL_LIB_CTX *prev = OSSL_LIB_CTX_set0_default(w->libctx);

	for (uint64_t i = w->begin; i < w->end && !atomic_load(&sh->stop); i++) {
		if ((rc = factory_device_make(sh->run, i, &d)) < 0)
			break;
		if (sh->run->synthetic)
			rc = factory_label_write(sh->labels_dir, &d) == 0 ? factory_verifier_row(w->verifiers, &d) : OM_EIO;
		else
			rc = write_ro(sh, i, &d);
		if (rc == 0 && (rc = factory_pva_row(w->pva, sh->run, &d)) == 0)
			rc = factory_owner_row(w->owner, sh->run, &d);
		if (rc == 0 && w->aks)
			rc = factory_ak_row(w->aks, &d);
		factory_device_clear(&d);
		if (rc < 0)
			break;
		atomic_fetch_add(&sh->done, 1);
	}
	if (rc < 0) {
		w->rc = rc;
		atomic_store(&sh->stop, 1);
	}
	OSSL_LIB_CTX_set0_default(prev);
	atomic_fetch_add(&sh->finished, 1);
	return NULL;
}

static void progress(size_t done, size_t total, double t0, int final)
{
	double el = now_s() - t0, rate = el > 0 ? (double)done / el : 0;
	double eta = rate > 0 ? (double)(total - done) / rate : 0;
	fprintf(stderr, "\rfactory: %zu/%zu devices  %.0f/s  ETA %.0f s   %s", done, total, rate, eta,
		final ? "\n" : "");
}

/* Start the workers, show progress until they finish, join them. */
static int run_workers(struct shared *sh, struct worker *w, OSSL_LIB_CTX **libctx, unsigned jobs, size_t n,
		       int show)
{
	unsigned started = 0;
	int rc = 0;
	double t0 = now_s(), last = 0;

	for (; started < jobs; started++) {
		w[started].sh = sh;
		w[started].begin = (uint64_t)n * started / jobs;
		w[started].end = (uint64_t)n * (started + 1) / jobs;
		w[started].libctx = libctx[started];
		if (pthread_create(&w[started].th, NULL, work, &w[started]) != 0) {
			atomic_store(&sh->stop, 1);
			rc = OM_ENOMEM;
			break;
		}
	}
	while (atomic_load(&sh->finished) < started) {
		struct timespec nap = { 0, 50 * 1000 * 1000 };
		nanosleep(&nap, NULL);
		if (show && now_s() - last >= 0.25) {
			last = now_s();
			progress(atomic_load(&sh->done), n, t0, 0);
		}
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		if (rc == 0 && w[i].rc < 0)
			rc = w[i].rc;
	}
	if (show)
		progress(atomic_load(&sh->done), n, t0, 1);
	return rc;
}

/* Append a worker's part file to out. */
static int append(FILE *out, FILE *part)
{
	char buf[65536];
	size_t got;
	if (fflush(part) != 0 || fseek(part, 0, SEEK_SET) != 0)
		return OM_EIO;
	while ((got = fread(buf, 1, sizeof(buf), part)) > 0)
		if (fwrite(buf, 1, got, out) != got)
			return OM_EIO;
	return ferror(part) ? OM_EIO : 0;
}

static FILE *create(const char *dir, const char *name, mode_t mode)
{
	char path[PATH_CAP];
	if (factory_path(path, sizeof(path), dir, name) < 0)
		return NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

/*
 * A claim key drawn for this run: the manufacturer keeps it to issue a later
 * owner's claim at a resale (`openmcim factory claim`, docs/factory.md).
 */
static int write_claim_key(const char *tmp, const struct factory_run *run)
{
	char dir[PATH_CAP], hex[2 * OM_CLAIM_KEY_LEN + 2];
	FILE *f = NULL;
	int rc = OM_EIO;
	om_hex_encode(hex, run->claim_key, OM_CLAIM_KEY_LEN);
	strcat(hex, "\n");
	if (factory_mkdir(tmp, "manufacturer", 0700, dir, sizeof(dir)) == 0 && (f = create(dir, "claim.key", 0600)) &&
	    fputs(hex, f) >= 0)
		rc = 0;
	if (f && fclose(f) != 0)
		rc = OM_EIO;
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

/* Synthetic mode: the public range of f and the verifiers, for every operator (docs/factory.md). */
static int assemble_synthetic(const char *tmp, const struct factory_run *run, struct worker *w, unsigned jobs)
{
	char dir[PATH_CAP];
	FILE *range = NULL, *ver = NULL;
	int rc = OM_EIO;
	if (factory_mkdir(tmp, "synthetic", 0755, dir, sizeof(dir)) < 0 || !(range = create(dir, "range.txt", 0644)) ||
	    !(ver = create(dir, "verifiers.csv", 0644)) || fputs(FACTORY_VERIFIER_HEADER, ver) < 0 ||
	    (rc = factory_range_write(range, run)) < 0)
		goto out;
	for (unsigned i = 0; i < jobs; i++)
		if ((rc = append(ver, w[i].verifiers)) < 0)
			goto out;
out:
	if (range && fclose(range) != 0)
		rc = OM_EIO;
	if (ver && fclose(ver) != 0)
		rc = OM_EIO;
	return rc;
}

/* --tre tpm: each device's AK certificate for the PVA (docs/factory.md). */
static int assemble_aks(const char *tmp, struct worker *w, unsigned jobs)
{
	char dir[PATH_CAP];
	FILE *f = NULL;
	int rc = OM_EIO;
	if (factory_path(dir, sizeof(dir), tmp, "pva") < 0 || !(f = create(dir, "attestation-keys.csv", 0644)) ||
	    fputs(FACTORY_AK_HEADER, f) < 0)
		goto out;
	for (unsigned i = 0; i < jobs; i++)
		if ((rc = append(f, w[i].aks)) < 0)
			goto out;
	rc = 0;
out:
	if (f && fclose(f) != 0)
		rc = OM_EIO;
	return rc;
}

/* The PVA's and the owner's files from the parts, in device order. */
static int assemble(const char *tmp, const struct factory_run *run, struct worker *w, unsigned jobs)
{
	char dir[PATH_CAP];
	FILE *pva = NULL, *meas = NULL, *owner = NULL;
	int rc = OM_EIO;

	/* the note holds each device's owner claim secret: the buyer's alone */
	if (factory_mkdir(tmp, "pva", 0755, dir, sizeof(dir)) < 0 ||
	    !(pva = create(dir, "devices.csv", 0644)) || !(meas = create(dir, "reference-measurements.csv", 0644)) ||
	    factory_mkdir(tmp, "owner", 0700, dir, sizeof(dir)) < 0 ||
	    !(owner = create(dir, "delivery-note.csv", 0600)))
		goto out;
	if (fputs(FACTORY_PVA_HEADER, pva) < 0 || fputs(FACTORY_MEAS_HEADER, meas) < 0 ||
	    fputs(FACTORY_OWNER_HEADER, owner) < 0 || (rc = factory_measurement_rows(meas, run)) < 0)
		goto out;
	for (unsigned i = 0; i < jobs; i++)
		if ((rc = append(pva, w[i].pva)) < 0 || (rc = append(owner, w[i].owner)) < 0)
			goto out;
	if (run->synthetic && (rc = assemble_synthetic(tmp, run, w, jobs)) < 0)
		goto out;
	if (run->tre.kind == OM_TRE_BACKEND_TPM && (rc = assemble_aks(tmp, w, jobs)) < 0)
		goto out;
	rc = run->claim_key_fresh ? write_claim_key(tmp, run) : 0;
out:
	if (pva && fclose(pva) != 0)
		rc = OM_EIO;
	if (meas && fclose(meas) != 0)
		rc = OM_EIO;
	if (owner && fclose(owner) != 0)
		rc = OM_EIO;
	return rc;
}

static unsigned pick_jobs(unsigned jobs, size_t n)
{
	if (jobs == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (jobs > JOBS_MAX)
		jobs = JOBS_MAX;
	if ((size_t)jobs > n)
		jobs = (unsigned)n;
	return jobs;
}

/* The run inside tmp: devices, the RO's file, the workers, the other files. */
static int produce(const char *tmp, struct factory_run *run, OSSL_LIB_CTX **libctx, unsigned jobs, int show)
{
	char devices[PATH_CAP], ro_dir[PATH_CAP], ro_path[PATH_CAP], labels[PATH_CAP];
	struct worker *w = calloc(jobs, sizeof(*w));
	struct shared sh;
	size_t n_devices = run->n_devices;
	int rc = OM_ENOMEM;

	memset(&sh, 0, sizeof(sh));
	sh.ro_fd = -1;
	if (!w)
		goto out;
	rc = OM_EIO;
	if (factory_mkdir(tmp, "devices", 0755, devices, sizeof(devices)) < 0)
		goto out;
	run->devices_dir = devices;
	if (run->synthetic) { /* no RO, no PCID: the labels instead, each Ku the owner's alone */
		if (factory_mkdir(tmp, "labels", 0700, labels, sizeof(labels)) < 0)
			goto out;
		sh.labels_dir = labels;
	} else if (factory_mkdir(tmp, "ro", 0700, ro_dir, sizeof(ro_dir)) < 0 ||
		   factory_path(ro_path, sizeof(ro_path), ro_dir, "pcid-credentials.csv") < 0 ||
		   (sh.ro_fd = open(ro_path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
		   write(sh.ro_fd, FACTORY_RO_HEADER, strlen(FACTORY_RO_HEADER)) != (ssize_t)strlen(FACTORY_RO_HEADER))
		goto out;
	sh.run = run;
	sh.ro_base = (off_t)strlen(FACTORY_RO_HEADER);
	sh.ro_row_len = factory_ro_row_len(&run->pcid);
	for (unsigned i = 0; i < jobs; i++) {
		/* unlinked at once: parts never show in the tree, even after a crash */
		char part[PATH_CAP];
		int fd = -1;
		if (factory_path(part, sizeof(part), tmp, ".part-XXXXXX") < 0 || (fd = mkstemp(part)) < 0 || unlink(part) != 0 || !(w[i].pva = fdopen(fd, "w+")))
			goto out;
		if (factory_path(part, sizeof(part), tmp, ".part-XXXXXX") < 0 || (fd = mkstemp(part)) < 0 || unlink(part) != 0 || !(w[i].owner = fdopen(fd, "w+")))
			goto out;
		if (run->synthetic && (factory_path(part, sizeof(part), tmp, ".part-XXXXXX") < 0 || (fd = mkstemp(part)) < 0 ||
				       unlink(part) != 0 || !(w[i].verifiers = fdopen(fd, "w+"))))
			goto out;
		if (run->tre.kind == OM_TRE_BACKEND_TPM &&
		    (factory_path(part, sizeof(part), tmp, ".part-XXXXXX") < 0 || (fd = mkstemp(part)) < 0 ||
		     unlink(part) != 0 || !(w[i].aks = fdopen(fd, "w+"))))
			goto out;
	}
	if ((rc = run_workers(&sh, w, libctx, jobs, n_devices, show)) < 0)
		goto out;
	if (sh.ro_fd >= 0 && close(sh.ro_fd) != 0) {
		sh.ro_fd = -1;
		rc = OM_EIO;
		goto out;
	}
	sh.ro_fd = -1;
	rc = assemble(tmp, run, w, jobs);
out:
	if (sh.ro_fd >= 0)
		close(sh.ro_fd);
	for (unsigned i = 0; w && i < jobs; i++) {
		if (w[i].pva)
			fclose(w[i].pva);
		if (w[i].owner)
			fclose(w[i].owner);
		if (w[i].verifiers)
			fclose(w[i].verifiers);
		if (w[i].aks)
			fclose(w[i].aks);
	}
	free(w);
	run->devices_dir = NULL;
	return rc;
}

int om_factory_run(const char *out_dir, const struct om_factory_config *cfg, struct om_factory_summary *sum)
{
	struct factory_run run;
	struct factory_imsi_set imsis = { 0 };
	char tmp[PATH_CAP] = "";
	OSSL_LIB_CTX **libctx = NULL;
	int rc;
	double t0 = now_s();

	if (!out_dir || !cfg)
		return OM_EINVAL;
	if ((rc = factory_run_setup(&run, cfg)) < 0)
		return rc;
	/* One PKCS#11 token is one station: its module is driven by one thread
	 * (SoftHSM2 through several at once loses memory, and a token serialises
	 * its commands anyway). */
	unsigned jobs = pick_jobs(cfg->tre.kind == OM_TRE_BACKEND_PKCS11 ? 1 : cfg->jobs, cfg->n_devices);
	int show = (cfg->flags & OM_FACTORY_PROGRESS) && isatty(STDERR_FILENO);
	if ((rc = factory_outdir_begin(out_dir, tmp, sizeof(tmp))) < 0) {
		tmp[0] = 0;
		goto out;
	}
	if (run.synthetic && (rc = factory_imsi_set_init(&imsis, cfg->n_devices)) < 0)
		goto out;
	run.imsis = &imsis;
	rc = OM_ENOMEM;
	if (!(libctx = calloc(jobs, sizeof(*libctx))))
		goto out;
	for (unsigned i = 0; i < jobs; i++)
		if (!(libctx[i] = OSSL_LIB_CTX_new()))
			goto out;
	if ((rc = produce(tmp, &run, libctx, jobs, show)) < 0 || (rc = factory_outdir_commit(tmp, out_dir)) < 0)
		goto out;
	tmp[0] = 0;
	if (sum) {
		memset(sum, 0, sizeof(*sum));
		sum->devices = cfg->n_devices;
		sum->jobs = jobs;
		sum->seconds = now_s() - t0;
		factory_tre_id(&run, 0, sum->first_tre_id);
		factory_tre_id(&run, cfg->n_devices - 1, sum->last_tre_id);
		if (!run.synthetic) { /* synthetic IMSIs are drawn, not a block */
			factory_pcid_imsi(&run.pcid, 0, sum->first_imsi);
			factory_pcid_imsi(&run.pcid, cfg->n_devices - 1, sum->last_imsi);
		}
	}
out:
	if (tmp[0])
		factory_outdir_abort(tmp);
	factory_imsi_set_free(&imsis);
	factory_run_clear(&run); /* before the contexts: the CA key holds exports into them */
	for (unsigned i = 0; libctx && i < jobs; i++)
		OSSL_LIB_CTX_free(libctx[i]);
	free(libctx);
	return rc;
}
