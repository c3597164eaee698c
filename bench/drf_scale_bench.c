/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 14, "cost grows with the fleet": the RO's DRF alone, driven over its
 * interfaces (drf.h, push.h) as the daemon drives it, for N devices one
 * after the other: the handover request accepted, its bootstrap queued and
 * pushed by the delivery thread to a stand-in VNO that answers 202 over
 * HTTP, the completion with the TRE's signed outcome statement. It prints
 * the process's CPU per device for the first W devices and the last W, and
 * what the finished work leaves behind: bootstrap bytes in the register,
 * entries in the delivery queue, the resident set.
 *
 *   drf_scale_bench [N [W]]      (default 3000 devices, windows of 500)
 *
 * The new SHO's work (signing each request, the TRE's statement) is done
 * outside the measured CPU: requests are built before the run, and each
 * statement's signing is timed on its own thread clock and taken off.
 * Logging is at notice, as a production DRF runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <openmcim/handover.h>
#include <openmcim/outcome.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>

#include "drf.h"
#include "drf_int.h"
#include "http_server.h"
#include "log.h"
#include "pki_fixture.h"
#include "push.h"

#define DIE(...)                                                                                         \
	do {                                                                                             \
		fprintf(stderr, __VA_ARGS__);                                                            \
		fputc('\n', stderr);                                                                     \
		exit(1);                                                                                 \
	} while (0)

struct dev {
	char tre_id[32], imsi[16], code[DRF_CODE_TEXT_LEN + 1];
	uint8_t *sign_der, *enc_der, *req;
	size_t sign_len, enc_len, req_len;
};

static double cpu_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

static void vno_push(struct om_http_req *r, void *arg)
{
	(void)arg;
	om_http_reply(r, 202, "text/plain", "", 0);
}

/* Bootstrap bytes and rows the register holds for handovers. */
static void register_bytes(struct drf *d, long long *bytes, long long *rows)
{
	struct om_stmt *st = NULL;
	if (om_stmt_prepare(d->db, "SELECT coalesce(sum(length(bootstrap)), 0), count(*) FROM handover", &st) < 0 ||
	    om_stmt_query(st, OM_NOBIND) != OM_STORE_ROW)
		DIE("register read: %s", om_store_errmsg(d->db));
	*bytes = om_stmt_col_int64(st, 0);
	*rows = om_stmt_col_int64(st, 1);
	om_stmt_reset(st);
	om_stmt_finalize(st);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3000, w = argc > 2 ? atoi(argv[2]) : 500;
	if (n < 2 || w < 1 || 2 * w > n)
		DIE("usage: drf_scale_bench [N [W]] with 2W <= N");
	char dir[] = "/tmp/drf_scale_bench.XXXXXX", db[600], err[256], url[64];
	if (!mkdtemp(dir))
		DIE("mkdtemp");
	snprintf(db, sizeof(db), "%s/drf.db", dir);
	om_log_init("drf-bench", OM_LOG_NOTICE);
	om_log_set_level(OM_LOG_NOTICE);
	int64_t now = (int64_t)time(NULL);

	/* the identities: ours (SHO-A, the devices' trust root), the new SHO's, the devices' CA and keys */
	struct pf_sho a, b;
	pf_sho_make(&a, "SHO-A");
	pf_sho_make(&b, "SHO-B");
	EVP_PKEY *ca_key = NULL, *tre_sign = NULL, *tre_enc = NULL;
	struct om_ca *ca = NULL;
	if (om_key_generate(&ca_key, OM_KEY_EC_P256) < 0 || om_key_generate(&tre_sign, OM_KEY_EC_P256) < 0 ||
	    om_key_generate(&tre_enc, OM_KEY_X25519) < 0 || om_ca_create(&ca, ca_key, "PVA-1", 0, 0) < 0)
		DIE("keys");

	struct drf *d = NULL;
	struct drf_config cfg = { .db_path = db, .sign_key = a.key, .sign_cert = a.cert };
	if (drf_open(&d, &cfg, err, sizeof(err)) < 0)
		DIE("drf_open: %s", err);
	if (drf_operator_add(d, "SHO-B", b.der, b.der_len, now) < 0)
		DIE("operator add");

	/* the stand-in VNO and the delivery thread */
	struct om_http_server *vno = NULL;
	struct om_http_opts ho = { 0 };
	if (om_http_server_new(&vno, &ho, err, sizeof(err)) < 0 || om_http_route(vno, "POST", "/push/*", vno_push, NULL) < 0 ||
	    om_http_server_start(vno) < 0)
		DIE("vno: %s", err);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", om_http_server_port(vno));
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct drf_push *push = NULL;
	struct drf_push_config pc = { .url = url, .retry_min_s = 1, .retry_max_s = 60 };
	if (drf_push_start(&push, &pc, d, &lock, err, sizeof(err)) < 0)
		DIE("push: %s", err);

	/* the fleet: registered, each with its owner's code and the new SHO's signed request */
	struct dev *dv = calloc((size_t)n, sizeof(*dv));
	uint8_t plain[64] = "dm credentials", sealed[1024];
	double t0 = cpu_s(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++) {
		struct dev *v = &dv[i];
		X509_REQ *csr = NULL;
		snprintf(v->tre_id, sizeof(v->tre_id), "TRE-%08d", i + 1);
		snprintf(v->imsi, sizeof(v->imsi), "00101%010d", i + 1);
		if (om_csr_create(&csr, tre_sign, v->tre_id, tre_enc) < 0 ||
		    om_ca_issue_tre(ca, csr, v->tre_id, 0, 0, &v->sign_der, &v->sign_len, &v->enc_der, &v->enc_len) < 0)
			DIE("device %d certificates", i);
		X509_REQ_free(csr);
		if (drf_device_add(d, v->tre_id, v->imsi, now - 100, v->enc_der, v->enc_len, v->sign_der, v->sign_len,
				   "owner-1", 0) < 0 ||
		    drf_transfer_code_issue(d, v->tre_id, now, 0, v->code) < 0)
			DIE("device %d register", i);
		int sl = om_protect_seal(tre_enc, OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_TAG_DM_CREDENTIALS, plain,
					 sizeof(plain), sealed, sizeof(sealed));
		struct om_handover_req r;
		memset(&r, 0, sizeof(r));
		snprintf(r.request_id, sizeof(r.request_id), "r-%d", i + 1);
		snprintf(r.tre_id, sizeof(r.tre_id), "%s", v->tre_id);
		snprintf(r.new_sho_id, sizeof(r.new_sho_id), "SHO-B");
		strcpy(r.provurl, "https://dpf.sho-b.lab/dm");
		strcpy(r.server_id, "SHO-B-DPF");
		strcpy(r.apn, "prov.sho-b");
		if (sl < 0 || om_handover_code_proof(v->tre_id, v->code, r.code_proof) < 0)
			DIE("device %d request", i);
		r.created = now;
		r.sho_cert = b.der;
		r.sho_cert_len = b.der_len;
		r.creds = sealed;
		r.creds_len = (size_t)sl;
		if (om_handover_build_signed(&r, b.key, &v->req, &v->req_len) < 0)
			DIE("device %d request signing", i);
	}
	printf("drf_scale_bench: %d devices registered with codes and requests in %.1f s\n", n,
	       cpu_s(CLOCK_MONOTONIC) - t0);

	/* the run: handover, delivery, completion, device after device */
	double win_cpu[2] = { 0, 0 }, win_start = 0, side = 0, wall0 = cpu_s(CLOCK_MONOTONIC);
	long rss_first = 0;
	long long bytes_first = 0, rows_first = 0;
	for (int i = 0; i < n; i++) {
		struct dev *v = &dv[i];
		uint8_t *bs = NULL, stmt[OM_OUTCOME_MAX];
		size_t bl = 0;
		uint32_t seq = 0;
		char rid[OM_HANDOVER_ID_MAX + 1];
		int64_t t = (int64_t)time(NULL);
		if (i == 0 || i == n - w) {
			win_start = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
			side = 0;
		}
		pthread_mutex_lock(&lock);
		int rc = drf_handover_id(d, v->req, v->req_len, t, &bs, &bl, &seq, rid);
		if (rc == 0)
			rc = drf_push_accepted(push, "SHO-B", rid);
		pthread_mutex_unlock(&lock);
		if (rc < 0)
			DIE("device %d handover: %s", i, om_errname(rc));
		free(bs);
		/* the TRE's statement: the device's work, not the DRF's */
		double s0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		struct om_outcome o;
		memset(&o, 0, sizeof(o));
		snprintf(o.tre_id, sizeof(o.tre_id), "%s", v->tre_id);
		snprintf(o.imsi, sizeof(o.imsi), "00102%010d", i + 1);
		o.outcome = OM_OUTCOME_ACTIVE;
		o.sequence = seq;
		o.counter = 1;
		o.time = t;
		int sl = om_outcome_build(&o, tre_sign, stmt, sizeof(stmt));
		side += cpu_s(CLOCK_THREAD_CPUTIME_ID) - s0;
		if (sl < 0)
			DIE("device %d statement", i);
		pthread_mutex_lock(&lock);
		rc = drf_handover_completed(d, "SHO-B", rid, stmt, (size_t)sl, t);
		pthread_mutex_unlock(&lock);
		if (rc < 0)
			DIE("device %d completion: %s", i, om_errname(rc));
		if (i == w - 1 || i == n - 1) {
			while (drf_push_queued(push) > 0) /* the window's deliveries belong to its CPU */
				nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
			win_cpu[i == n - 1] = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - win_start - side;
		}
		if (i == w - 1) {
			rss_first = rss_kib();
			register_bytes(d, &bytes_first, &rows_first);
		}
	}
	double wall = cpu_s(CLOCK_MONOTONIC) - wall0;
	long long bytes_last = 0, rows_last = 0;
	register_bytes(d, &bytes_last, &rows_last);
	long rss_last = rss_kib();
	printf("drf_scale_bench: %d devices in %.1f s (%.0f devices/s)\n", n, wall, n / wall);
	printf("  CPU per device, devices 1-%d:     %.2f ms\n", w, 1e3 * win_cpu[0] / w);
	printf("  CPU per device, devices %d-%d: %.2f ms  (ratio last/first %.2f)\n", n - w + 1, n,
	       1e3 * win_cpu[1] / w, win_cpu[1] / win_cpu[0]);
	printf("  after %5d: RSS %ld KiB, register %lld handover rows, %lld bootstrap bytes, queue %zu\n", w, rss_first,
	       rows_first, bytes_first, drf_push_queued(push));
	printf("  after %5d: RSS %ld KiB, register %lld handover rows, %lld bootstrap bytes, queue %zu\n", n, rss_last,
	       rows_last, bytes_last, drf_push_queued(push));
	printf("  RSS growth per device after the first %d: %.2f KiB\n", w, (double)(rss_last - rss_first) / (n - w));

	drf_push_stop(push);
	om_http_server_stop(vno);
	om_http_server_free(vno);
	drf_close(d);
	for (int i = 0; i < n; i++) {
		om_pki_free(dv[i].sign_der, dv[i].sign_len);
		om_pki_free(dv[i].enc_der, dv[i].enc_len);
		free(dv[i].req);
	}
	free(dv);
	om_ca_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(tre_sign);
	EVP_PKEY_free(tre_enc);
	pf_sho_free(&a);
	pf_sho_free(&b);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
