/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Import of the factory's PVA files (docs/factory.md): devices.csv,
 * reference-measurements.csv and, from a TPM run, attestation-keys.csv,
 * all in one durable transaction, each certificate verified under the PVA
 * CA before it is accepted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/base64.h>
#include <openmcim/csv.h>
#include <openmcim/hex.h>

#include "log.h"
#include "pva.h"
#include "pva_store.h"

#define LINE_MAX_BYTES 8192

struct reader {
	FILE *f;
	const char *name; /* file name for messages */
	long line;
	char buf[LINE_MAX_BYTES + 2];
	char *why;
	size_t wl;
};

static int fail(struct reader *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct reader *r, int rc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->why, r->wl, "%s line %ld: %s", r->name, r->line, msg);
	return rc;
}

/* The next line without its end; 1, 0 at the end of the file, or a code. */
static int next_line(struct reader *r)
{
	if (!fgets(r->buf, sizeof(r->buf), r->f))
		return ferror(r->f) ? fail(r, OM_EIO, "read error") : 0;
	r->line++;
	size_t n = strlen(r->buf);
	if (n && r->buf[n - 1] == '\n')
		r->buf[--n] = '\0';
	else if (!feof(r->f))
		return fail(r, OM_EPVA_IMPORT, "longer than %d characters", LINE_MAX_BYTES);
	if (n && r->buf[n - 1] == '\r')
		r->buf[--n] = '\0';
	return 1;
}

/* Split r->buf at commas into exactly n fields. */
static int split(struct reader *r, char **f, size_t n)
{
	return om_csv_split(r->buf, f, n) == 0 ? 0 : fail(r, OM_EPVA_IMPORT, "expected %zu fields", n);
}

/* Decode, verify under the CA with profile, CN = tre_id; the serial out. */
static int check_cert(struct pva *p, struct reader *r, const char *b64, enum om_cert_profile prof,
		      const char *tre_id, uint8_t **der, size_t *len, char serial[static 64])
{
	X509 *x = NULL;
	char cn[OM_NAME_MAX_LEN + 1];
	int rc;
	if (om_base64_decode(b64, strlen(b64), PVA_B64_MAX, der, len) < 0)
		return fail(r, OM_EPVA_IMPORT, "%s certificate is not base64", om_cert_profile_name(prof));
	if (om_cert_decode(&x, OM_ENC_DER, *der, *len) < 0)
		rc = fail(r, OM_EPVA_CERT, "%s certificate is not one DER certificate", om_cert_profile_name(prof));
	else if ((rc = om_cert_verify(x, p->trust, NULL, 0, prof, OM_PKI_NOW)) < 0)
		rc = fail(r, OM_EPVA_CERT, "%s certificate refused: %s", om_cert_profile_name(prof), om_strerror(rc));
	else if (om_cert_subject_cn(x, cn) < 0 || strcmp(cn, tre_id))
		rc = fail(r, OM_EPVA_CERT, "%s certificate is not for %s", om_cert_profile_name(prof), tre_id);
	else if (pva_serial_hex(X509_get0_serialNumber(x), serial) < 0)
		rc = fail(r, OM_EPVA_CERT, "unreadable serial number");
	X509_free(x);
	if (rc < 0) {
		free(*der);
		*der = NULL;
	}
	return rc;
}

static int device_row(struct pva *p, struct reader *r)
{
	char *f[5], ss[64], es[64];
	uint8_t *sd = NULL, *ed = NULL;
	size_t sl = 0, el = 0;
	int rc = split(r, f, 5);
	if (rc < 0)
		return rc;
	if (!pva_name_ok(f[0], OM_TRE_ID_MAX))
		return fail(r, OM_EPVA_IMPORT, "malformed tre_id");
	if (!pva_name_ok(f[1], PVA_MODEL_MAX) || !pva_name_ok(f[2], PVA_FIRMWARE_MAX))
		return fail(r, OM_EPVA_IMPORT, "malformed model or firmware");
	if ((rc = check_cert(p, r, f[3], OM_CERT_TRE_SIGNING, f[0], &sd, &sl, ss)) == 0 &&
	    (rc = check_cert(p, r, f[4], OM_CERT_TRE_ENCRYPTION, f[0], &ed, &el, es)) == 0) {
		rc = pva_store_add_tre(p, f[0], f[1], f[2], sd, sl, ed, el, ss, es);
		if (rc == OM_EPVA_EXISTS)
			rc = fail(r, rc, "%s or one of its certificates is already imported", f[0]);
		else if (rc < 0)
			rc = fail(r, rc, "storage: %s", om_strerror(rc));
	}
	free(sd);
	free(ed);
	return rc;
}

static int reference_row(struct pva *p, struct reader *r)
{
	char *f[4];
	uint8_t sha[32];
	int rc = split(r, f, 4);
	if (rc < 0)
		return rc;
	if (!pva_name_ok(f[0], PVA_MODEL_MAX) || !pva_name_ok(f[1], PVA_FIRMWARE_MAX) ||
	    !pva_name_ok(f[2], PVA_COMPONENT_MAX))
		return fail(r, OM_EPVA_IMPORT, "malformed model, firmware or component");
	if (strlen(f[3]) != 64 || om_hex_decode(sha, sizeof(sha), f[3]) < 0)
		return fail(r, OM_EPVA_IMPORT, "sha256 is not 64 hex digits");
	rc = pva_store_add_reference(p, f[0], f[1], f[2], sha);
	if (rc == OM_EPVA_REFERENCE)
		return fail(r, rc, "%s %s %s already has another reference value", f[0], f[1], f[2]);
	if (rc < 0)
		return fail(r, rc, "storage: %s", om_strerror(rc));
	return 0;
}

/* A TPM device's AK certificate (TRE_ATTESTATION, CN = tre_id), for a TRE of this or an earlier import. */
static int ak_row(struct pva *p, struct reader *r)
{
	char *f[2], serial[64];
	uint8_t *der = NULL;
	size_t len = 0;
	int rc = split(r, f, 2);
	if (rc < 0)
		return rc;
	if (!pva_name_ok(f[0], OM_TRE_ID_MAX))
		return fail(r, OM_EPVA_IMPORT, "malformed tre_id");
	if ((rc = check_cert(p, r, f[1], OM_CERT_TRE_ATTESTATION, f[0], &der, &len, serial)) < 0)
		return rc;
	rc = pva_store_set_ak(p, f[0], der, len);
	free(der);
	if (rc == OM_EPVA_EXISTS)
		return fail(r, rc, "%s already has an attestation key", f[0]);
	if (rc == OM_EPVA_NOT_FOUND)
		return fail(r, rc, "no TRE %s", f[0]);
	return rc < 0 ? fail(r, rc, "storage: %s", om_strerror(rc)) : 0;
}

static int read_file(struct pva *p, struct reader *r, const char *header, int (*row)(struct pva *, struct reader *),
		     long *rows)
{
	int rc = next_line(r);
	if (rc <= 0)
		return rc < 0 ? rc : fail(r, OM_EPVA_IMPORT, "empty file");
	if (strcmp(r->buf, header))
		return fail(r, OM_EPVA_IMPORT, "header is not '%s'", header);
	while ((rc = next_line(r)) == 1) {
		if ((rc = row(p, r)) < 0)
			return rc;
		(*rows)++;
	}
	return rc;
}

int pva_import_dir(struct pva *p, const char *dir, long *devices, long *refs, char *why, size_t wl)
{
	/* the third only from a TPM run: optional */
	static const char *const names[3] = { "devices.csv", "reference-measurements.csv", "attestation-keys.csv" };
	static const char *const headers[3] = { "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64",
						"model,firmware,component,sha256", "tre_id,ak_cert_der_b64" };
	int (*const rows[3])(struct pva *, struct reader *) = { device_row, reference_row, ak_row };
	struct reader *r[3] = { NULL, NULL, NULL };
	long aks = 0, *counts[3] = { devices, refs, &aks };
	int rc = OM_ENOMEM, locked = 0;
	*devices = *refs = 0;
	for (int i = 0; i < 3; i++) {
		char path[4096];
		if (!(r[i] = calloc(1, sizeof(*r[i]))))
			goto out;
		r[i]->name = names[i];
		r[i]->why = why;
		r[i]->wl = wl;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!(r[i]->f = fopen(path, "r")) && i == 2 && errno == ENOENT)
			continue;
		if (!r[i]->f) {
			snprintf(why, wl, "%.300s: %s", path, strerror(errno));
			rc = OM_EIO;
			goto out;
		}
	}
	pthread_mutex_lock(&p->lock);
	locked = 1;
	if ((rc = om_store_begin(p->store, OM_STORE_DURABLE)) < 0) {
		snprintf(why, wl, "storage: %s", om_strerror(rc));
		goto out;
	}
	for (int i = 0; i < 3 && rc == 0; i++)
		if (r[i]->f)
			rc = read_file(p, r[i], headers[i], rows[i], counts[i]);
	if (rc == 0 && *devices == 0 && *refs == 0) {
		snprintf(why, wl, "no rows after the headers");
		rc = OM_EPVA_IMPORT;
	}
	if (rc == 0 && (rc = om_store_commit(p->store)) < 0)
		snprintf(why, wl, "storage: %s", om_strerror(rc));
out:
	if (locked) {
		om_store_rollback(p->store);
		pthread_mutex_unlock(&p->lock);
	}
	for (int i = 0; i < 3; i++) {
		if (r[i] && r[i]->f)
			fclose(r[i]->f);
		free(r[i]);
	}
	if (rc < 0)
		*devices = *refs = 0;
	return rc;
}
