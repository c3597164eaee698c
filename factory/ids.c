/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identities a production run hands out: TRE_ids from a serial range
 * and PCIDs from the Registration Operator's IMSI range. A PCID has the
 * IMSI format (B.2.2.2: MCC | MNC | MSIN, TS 23.003 2.2) so that the MCC
 * and MNC route the visited network to the RO; the RO gives the factory a
 * block of MSINs and the run refuses to step outside it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factory_impl.h"

static int all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int factory_check_name(const char *s, size_t max, int spaces)
{
	size_t n;
	if (!s || (n = strlen(s)) == 0 || n > max)
		return OM_EFACTORY_NAME;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '_' || c == '-' || (spaces && (c == ' ' || c == ':'));
		if (!ok)
			return OM_EFACTORY_NAME;
	}
	/* names become file names: no ".", "..", nor a leading dot or dash */
	if (s[0] == '.' || s[0] == '-' || s[0] == ' ' || s[n - 1] == ' ')
		return OM_EFACTORY_NAME;
	return 0;
}

int factory_pcid_range(struct factory_pcid_range *r, const char *mcc, const char *mnc,
		       const char *msin_first, size_t n)
{
	if (!r || !mcc || !mnc || !msin_first || n == 0)
		return OM_EINVAL;
	if (!all_digits(mcc, 3, 3) || !all_digits(mnc, 2, 3))
		return OM_EFACTORY_PCID;
	size_t plmn = 3 + strlen(mnc);
	if (!all_digits(msin_first, 1, OM_MCIM_IMSI_MAX - plmn) ||
	    plmn + strlen(msin_first) < OM_MCIM_IMSI_MIN)
		return OM_EFACTORY_PCID;
	unsigned width = (unsigned)strlen(msin_first);
	uint64_t first = 0, limit = 1;
	for (unsigned i = 0; i < width; i++) {
		first = first * 10 + (uint64_t)(msin_first[i] - '0');
		limit *= 10;
	}
	/* the last MSIN, first + n - 1, must still have width digits */
	if ((uint64_t)n > limit - first)
		return OM_EFACTORY_PCID_RANGE;
	memset(r, 0, sizeof(*r));
	memcpy(r->plmn, mcc, 3);
	memcpy(r->plmn + 3, mnc, strlen(mnc));
	r->mnc_len = (uint8_t)strlen(mnc);
	r->width = width;
	r->first = first;
	return 0;
}

void factory_pcid_imsi(const struct factory_pcid_range *r, uint64_t i, char out[static OM_MCIM_IMSI_MAX + 1])
{
	snprintf(out, OM_MCIM_IMSI_MAX + 1, "%s%0*" PRIu64, r->plmn, (int)r->width, r->first + i);
}

int factory_serial_range(uint64_t first, size_t n)
{
	const uint64_t limit = 100000000u; /* 10^OM_FACTORY_SERIAL_DIGITS */
	if (n == 0 || first == 0 || first >= limit || (uint64_t)n > limit - first)
		return OM_EFACTORY_SERIAL_RANGE;
	return 0;
}

void factory_tre_id(const struct factory_run *run, uint64_t i, char out[static OM_TRE_ID_MAX + 1])
{
	snprintf(out, OM_TRE_ID_MAX + 1, "%s-%0*" PRIu64, run->prefix, OM_FACTORY_SERIAL_DIGITS,
		 run->first_serial + i);
}

/* ---- the synthetic IMSIs of a run (device.c's redraw on a collision) ---- */

int factory_imsi_set_init(struct factory_imsi_set *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->cap = 2 * n + 1;
	if (!(s->slot = calloc(s->cap, sizeof(*s->slot))))
		return OM_ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	return 0;
}

void factory_imsi_set_free(struct factory_imsi_set *s)
{
	if (!s || !s->slot)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

int factory_imsi_take(struct factory_imsi_set *s, const char *imsi)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a: IMSIs are uniform already, any spread will do */
	for (const char *p = imsi; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	int fresh = 0;
	pthread_mutex_lock(&s->lock);
	if (s->used + 1 < s->cap) {
		for (size_t i = h % s->cap;; i = (i + 1) % s->cap) {
			if (!s->slot[i][0]) {
				memcpy(s->slot[i], imsi, strlen(imsi) + 1);
				s->used++;
				fresh = 1;
				break;
			}
			if (!strcmp(s->slot[i], imsi))
				break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return fresh;
}
