/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic credentials at the connectivity provider (synthetic.h; spec/000 5.2.4.6.3 steps 2-4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/csv.h>
#include <openmcim/hex.h>

#include "hss_link.h"
#include "sho_int.h"
#include "synthetic.h"

#define LINE_MAX_ 256

struct synth_dev {
	char tre_id[OM_TRE_ID_MAX + 1];
	uint8_t verifier[OM_SYNTH_VERIFIER_LEN];
};

struct sho_synth {
	struct om_synth_range range;
	char apn[OM_MCIM_APN_MAX + 1]; /* the initial connectivity APN the TRE's credential carries */
	size_t n, cap;
	struct synth_dev *dev; /* sorted by tre_id */
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct synth_dev *)a)->tre_id, ((const struct synth_dev *)b)->tre_id);
}

/* range.txt: "mcc= mnc= msin_first= count= apn=" (factory/csv.c factory_range_write). */
static int load_range(struct sho_synth *s, const char *path, char *why, size_t wl)
{
	char line[LINE_MAX_], mcc[4], mnc[4], first[16];
	unsigned long long count;
	FILE *f = fopen(path, "r");
	int ok = f && fgets(line, sizeof(line), f) &&
		 sscanf(line, "mcc=%3[0-9] mnc=%3[0-9] msin_first=%15[0-9] count=%llu apn=%100s", mcc, mnc, first,
			&count, s->apn) == 5;
	if (f)
		fclose(f);
	if (!ok || om_synth_range_set(&s->range, mcc, mnc, first, count) < 0)
		return om_reason(why, wl, OM_ESHO_CONFIG, "%s:1: expected 'mcc= mnc= msin_first= count= apn=' of a valid range",
			       path);
	return 0;
}

static int load_verifiers(struct sho_synth *s, const char *path, char *why, size_t wl)
{
	char line[LINE_MAX_];
	long lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return om_reason(why, wl, OM_ESHO_CONFIG, "%s: cannot open", path);
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *fld[2];
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (lineno == 1) {
			if (strcmp(line, "tre_id,verifier"))
				rc = om_reason(why, wl, OM_ESHO_CONFIG, "%s:1: header is not 'tre_id,verifier'", path);
			continue;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 64;
			struct synth_dev *d = realloc(s->dev, cap * sizeof(*d));
			if (!d) {
				rc = OM_ENOMEM;
				break;
			}
			s->dev = d;
			s->cap = cap;
		}
		struct synth_dev *d = &s->dev[s->n];
		if (om_csv_split(line, fld, 2) < 0 || !*fld[0] || strlen(fld[0]) > OM_TRE_ID_MAX ||
		    om_hex_decode(d->verifier, sizeof(d->verifier), fld[1]) < 0)
			rc = om_reason(why, wl, OM_ESHO_CONFIG, "%s:%ld: expected tre_id,verifier (32 hex digits)", path,
				     lineno);
		else {
			memcpy(d->tre_id, fld[0], strlen(fld[0]) + 1);
			s->n++;
		}
	}
	fclose(f);
	if (rc == 0 && s->n == 0)
		rc = om_reason(why, wl, OM_ESHO_CONFIG, "%s: no devices", path);
	if (rc == 0) {
		qsort(s->dev, s->n, sizeof(*s->dev), by_id);
		for (size_t i = 1; i < s->n; i++)
			if (!strcmp(s->dev[i - 1].tre_id, s->dev[i].tre_id))
				return om_reason(why, wl, OM_ESHO_CONFIG, "%s: TRE_id %s twice", path, s->dev[i].tre_id);
	}
	return rc;
}

int sho_synth_load(struct sho_synth **out, const char *dir, char *why, size_t wl)
{
	char path[4096];
	struct sho_synth *s = calloc(1, sizeof(*s));
	int rc = s ? 0 : OM_ENOMEM;
	*out = NULL;
	if (rc == 0 && (size_t)snprintf(path, sizeof(path), "%s/range.txt", dir) >= sizeof(path))
		rc = om_reason(why, wl, OM_ESHO_CONFIG, "[synthetic] dir too long");
	if (rc == 0)
		rc = load_range(s, path, why, wl);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/verifiers.csv", dir);
		rc = load_verifiers(s, path, why, wl);
	}
	if (rc < 0) {
		sho_synth_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void sho_synth_free(struct sho_synth *s)
{
	if (!s)
		return;
	free(s->dev);
	free(s);
}

size_t sho_synth_devices(const struct sho_synth *s)
{
	return s ? s->n : 0;
}

/*
 * Ku as typed, checked against tre_id's verifier, through f. The same
 * refusal for an unknown TRE_id and a wrong Ku: both are "not this device".
 */
static int derive(const struct sho_synth *s, const char *tre_id, const char *ku_text, struct om_mcim *m, char *why,
		  size_t wl)
{
	uint8_t ku[OM_SYNTH_KU_LEN], ver[OM_SYNTH_VERIFIER_LEN];
	struct synth_dev key;
	int rc;
	if (!tre_id || strlen(tre_id) > OM_TRE_ID_MAX || !ku_text)
		return om_reason(why, wl, OM_ESHO_REQUEST, "tre_id and ku are needed");
	if ((rc = om_synth_ku_parse(ku_text, ku)) < 0)
		return om_reason(why, wl, rc, "Ku is 26 characters of the label's alphabet");
	if (!s) {
		OPENSSL_cleanse(ku, sizeof(ku));
		return om_reason(why, wl, OM_ESHO_SYNTH_UNKNOWN, "this operator accepts no synthetic credentials");
	}
	snprintf(key.tre_id, sizeof(key.tre_id), "%s", tre_id);
	const struct synth_dev *d = bsearch(&key, s->dev, s->n, sizeof(*s->dev), by_id);
	rc = om_synth_derive(ku, &s->range, m, ver);
	if (rc == 0 && (!d || CRYPTO_memcmp(ver, d->verifier, sizeof(ver)) != 0))
		rc = om_reason(why, wl, OM_ESHO_SYNTH_UNKNOWN, "no device %.64s with this Ku in the manufacturer's list",
			     tre_id);
	else if (rc < 0)
		om_reason(why, wl, rc, "f(Ku): %s", om_strerror(rc));
	if (rc < 0)
		om_mcim_clear(m);
	OPENSSL_cleanse(ku, sizeof(ku));
	return rc;
}

int sho_synth_accept(const struct sho_synth *s, const struct sho_synth_target *t, const char *tre_id,
		     const char *ku_text, char imsi[static OM_MCIM_IMSI_MAX + 1], char *why, size_t wl)
{
	struct om_mcim m;
	char line[LINE_MAX_], k[33], opc[33];
	int code = 0, rc = derive(s, tre_id, ku_text, &m, why, wl);
	if (rc < 0)
		return rc;
	om_hex_encode(k, m.k, 16);
	om_hex_encode(opc, m.opc, 16);
	snprintf(line, sizeof(line), "add %s k=%s opc=%s amf=8000 apn=%s roaming=%s ind_bits=%u status=suspended\n",
		 m.imsi, k, opc, s->apn, t->roaming, t->ind_bits);
	rc = sho_hss_command(t->hss_socket, line, &code, why, wl);
	if (rc < 0 && code == OM_EHSS_EXISTS)
		rc = om_reason(why, wl, OM_ESHO_DUPLICATE, "this operator's HSS has IMSI %s already", m.imsi);
	if (rc == 0)
		memcpy(imsi, m.imsi, sizeof(m.imsi));
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(opc, sizeof(opc));
	om_mcim_clear(&m);
	return rc;
}

int sho_synth_activate(const struct sho_synth *s, const struct sho_synth_target *t, const char *tre_id,
		       const char *ku_text, char imsi[static OM_MCIM_IMSI_MAX + 1], char *why, size_t wl)
{
	struct om_mcim m;
	char line[64];
	int code = 0, rc = derive(s, tre_id, ku_text, &m, why, wl);
	if (rc < 0)
		return rc;
	snprintf(line, sizeof(line), "resume %s\n", m.imsi);
	rc = sho_hss_command(t->hss_socket, line, &code, why, wl);
	if (rc < 0 && code == OM_EHSS_NOT_FOUND)
		rc = om_reason(why, wl, OM_ESHO_NOT_FOUND, "no subscription for %.64s here: give its Ku first", tre_id);
	if (rc == 0)
		memcpy(imsi, m.imsi, sizeof(m.imsi));
	om_mcim_clear(&m);
	return rc;
}
