/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner's delivery note (docs/factory.md "DIR/owner/delivery-note.csv"):
 *   tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret
 * one device a line, certificates as base64 of their DER, the owner claim
 * secret as typed (claim.h), no quoting. A note without the claim column
 * (made before claims) still reads; its rows are refused at registration.
 * An optional last column, model, names each device's model (the owner's
 * filter, docs/owner.md); empty or absent: unknown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openmcim/base64.h>
#include <openmcim/csv.h>

#include "sho_int.h"

#define NOTE_HEADER_OLD "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id"
#define NOTE_HEADER NOTE_HEADER_OLD ",claim_secret"
#define NOTE_HEADER_MODEL NOTE_HEADER ",model"
#define CERT_DER_MAX 6144 /* 8192 base64 characters */

/* A certificate's DER from the note's strict base64 (lib/core, RFC 4648 3.5). */
static int cert_decode(const char *s, uint8_t **out, size_t *out_len)
{
	return om_base64_decode(s, strlen(s), CERT_DER_MAX, out, out_len);
}

void sho_devices_free(struct sho_device_in *devs, size_t n)
{
	for (size_t i = 0; devs && i < n; i++) {
		free(devs[i].cert_sign);
		free(devs[i].cert_enc);
		OPENSSL_cleanse(devs[i].claim, sizeof(devs[i].claim));
	}
	free(devs);
}

/* One data line of cols fields (modified in place, the claim cleansed) into d. */
static int parse_row(char *line, size_t cols, struct sho_device_in *d)
{
	char *f[6];
	if (om_csv_split(line, f, cols) < 0)
		return -1;
	if (cols == 6) {
		if (strlen(f[5]) > SHO_MODEL_MAX || (*f[5] && !sho_id_ok(f[5], SHO_MODEL_MAX)))
			return -5;
		memcpy(d->model, f[5], strlen(f[5]) + 1);
	}
	if (cols >= 5) {
		int bad = om_claim_parse(f[4], d->claim) < 0;
		OPENSSL_cleanse(f[4], strlen(f[4]));
		if (bad)
			return -4;
		d->has_claim = 1;
	}
	if (!sho_id_ok(f[0], OM_TRE_ID_MAX) || !sho_id_ok(f[3], OM_HANDOVER_SHO_ID_MAX))
		return -2;
	memcpy(d->tre_id, f[0], strlen(f[0]) + 1);
	memcpy(d->current_sho, f[3], strlen(f[3]) + 1);
	if (cert_decode(f[1], &d->cert_sign, &d->cert_sign_len) < 0 ||
	    cert_decode(f[2], &d->cert_enc, &d->cert_enc_len) < 0)
		return -3;
	return 0;
}

int sho_note_read(const char *path, struct sho_device_in **devs, char *why, size_t wl)
{
	if (!path || !devs)
		return OM_EINVAL;
	FILE *f = fopen(path, "r");
	if (!f)
		return om_reason(why, wl, OM_EIO, "%s: %s", path, strerror(errno));
	int rc = sho_note_parse(f, path, devs, why, wl);
	fclose(f);
	return rc;
}

int sho_note_parse(FILE *f, const char *path, struct sho_device_in **devs, char *why, size_t wl)
{
	static const char *const what[] = { "", "wrong number of fields", "bad tre_id or sho_id", "bad base64",
					    "bad claim_secret", "bad model" };
	struct sho_device_in *v = NULL;
	size_t n = 0, cap = 0, llen = 0, cols = 5;
	char *line = NULL;
	long lineno = 0;
	int rc = 0;
	ssize_t r;
	if (!f || !path || !devs)
		return OM_EINVAL;
	while ((r = getline(&line, &llen, f)) >= 0) {
		lineno++;
		while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r'))
			line[--r] = '\0';
		if (lineno == 1) {
			if (!strcmp(line, NOTE_HEADER_OLD)) {
				cols = 4;
			} else if (!strcmp(line, NOTE_HEADER_MODEL)) {
				cols = 6;
			} else if (strcmp(line, NOTE_HEADER)) {
				rc = om_reason(why, wl, OM_ESHO_NOTE, "%s: line 1: header is not '%s'", path, NOTE_HEADER);
				break;
			}
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 256;
			struct sho_device_in *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				rc = OM_ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[n], 0, sizeof(v[n]));
		int pr = parse_row(line, cols, &v[n]);
		n++;
		if (pr < 0) {
			rc = om_reason(why, wl, OM_ESHO_NOTE, "%s: line %ld: %s", path, lineno, what[-pr]);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = om_reason(why, wl, OM_EIO, "%s: read error", path);
	if (rc == 0 && n == 0)
		rc = om_reason(why, wl, OM_ESHO_NOTE, "%s: no rows after the header", path);
	if (line)
		OPENSSL_cleanse(line, llen); /* held a claim secret */
	free(line);
	if (rc < 0) {
		sho_devices_free(v, n);
		return rc;
	}
	*devs = v;
	return (int)n;
}
