/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim drf-admin --db PATH <command> ...: the DRF's register, operated
 * directly on its SQLite file (WAL: safe beside a running DRF). docs/drf.md.
 * Exit 0 on success, 1 when the DRF refuses (reason on stderr), 2 on usage.
 * The transfer code is printed once, on stdout, and never stored or logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include <openmcim/pki.h>

#include "commands.h"
#include "drf.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim drf-admin --db PATH <command> ...\n"
		   "  device add TRE_ID IMSI ENC_CERT.pem OWNER [SEQUENCE [SIGN_CERT.pem]]\n"
		   "  lock TRE_ID UNTIL_EPOCH_SECONDS        (0 lifts the lock)\n"
		   "  transfer-code TRE_ID [VALID_SECONDS]   (prints the code once)\n"
		   "  operator add SHO_ID SHO_SIGNING_CERT.pem\n"
		   "  status TRE_ID\n"
		   "  pending\n");
}

static int num(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int der_of(const char *pem_path, uint8_t **der, size_t *len)
{
	X509 *c = NULL;
	int r = om_cert_load(&c, pem_path);
	if (r == 0)
		r = om_cert_encode(c, OM_ENC_DER, der, len);
	X509_free(c);
	return r;
}

static void print_pending(void *ctx, const struct drf_pending *p)
{
	(void)ctx;
	printf("%s %s %s sequence=%u accepted=%lld bytes=%zu\n", p->sender, p->request_id, p->tre_id, p->sequence,
	       (long long)p->accepted, p->bootstrap_len);
}

static int run(struct drf *d, int argc, char **argv)
{
	int64_t now = (int64_t)time(NULL), v = 0;
	uint8_t *der = NULL;
	size_t len = 0;
	int r = CLI_EUSAGE;
	if (argc >= 6 && argc <= 8 && !strcmp(argv[0], "device") && !strcmp(argv[1], "add")) {
		uint8_t *sign = NULL;
		size_t sign_len = 0;
		if (argc >= 7 && (num(argv[6], &v) < 0 || v > UINT32_MAX))
			goto out;
		/* the TRE_SIGNING certificate verifies the outcome statement of a later change (issue 12) */
		if ((r = der_of(argv[4], &der, &len)) == 0 && (argc < 8 || (r = der_of(argv[7], &sign, &sign_len)) == 0))
			r = drf_device_add(d, argv[2], argv[3], now, der, len, sign, sign_len, argv[5], (uint32_t)v);
		om_pki_free(sign, sign_len);
	} else if (argc == 3 && !strcmp(argv[0], "lock")) {
		if (num(argv[2], &v) < 0)
			goto out;
		r = drf_device_lock(d, argv[1], v);
	} else if ((argc == 2 || argc == 3) && !strcmp(argv[0], "transfer-code")) {
		char code[DRF_CODE_TEXT_LEN + 1];
		if (argc == 3 && num(argv[2], &v) < 0)
			goto out;
		if ((r = drf_transfer_code_issue(d, argv[1], now, v, code)) == 0)
			printf("%s\n", code);
		OPENSSL_cleanse(code, sizeof(code));
	} else if (argc == 4 && !strcmp(argv[0], "operator") && !strcmp(argv[1], "add")) {
		if ((r = der_of(argv[3], &der, &len)) == 0)
			r = drf_operator_add(d, argv[2], der, len, now);
	} else if (argc == 2 && !strcmp(argv[0], "status")) {
		struct drf_device_status s;
		if ((r = drf_device_status(d, argv[1], now, &s)) == 0)
			printf("tre_id=%s imsi=%s since=%lld owner=%s ours=%d lock_until=%lld sequence=%u "
			       "codes_unused=%u handovers=%u\n",
			       s.tre_id, s.imsi, (long long)s.since, s.owner, s.ours, (long long)s.lock_until, s.sequence,
			       s.codes_unused, s.handovers);
	} else if (argc == 1 && !strcmp(argv[0], "pending")) {
		r = drf_pending_list(d, print_pending, NULL);
		if (r > 0)
			r = 0;
	} else {
		goto out;
	}
	if (r < 0)
		fprintf(stderr, "openmcim drf-admin: %s (%s)\n", om_strerror(r), om_errname(r));
	r = r < 0 ? 1 : 0;
out:
	if (r == CLI_EUSAGE)
		usage(stderr);
	om_pki_free(der, len);
	return r;
}

int cmd_drf_admin(int argc, char **argv)
{
	struct drf_config cfg;
	struct drf *d = NULL;
	char err[256];
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 4 || strcmp(argv[1], "--db") != 0) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	om_log_init("drf-admin", OM_LOG_NOTICE);
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = argv[2];
	if (drf_open(&d, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "openmcim drf-admin: %s\n", err);
		return 1;
	}
	int r = run(d, argc - 3, argv + 3);
	drf_close(d);
	return r;
}
