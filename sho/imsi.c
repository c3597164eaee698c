/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's IMSIs: MCC | MNC | MSIN (TS 23.003 2.2), MSINs taken in order
 * from the configured range. The next MSIN is kept per PLMN in the same
 * transaction as the devices that take them, so a refused call gives its
 * IMSIs back and none is ever handed out twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sho_int.h"

static uint64_t msin_value(const char *s)
{
	return strtoull(s, NULL, 10);
}

static int read_next(struct sho *s, const char *plmn, uint64_t *next)
{
	struct om_stmt *st = s->stmt[SHO_SQL_IMSI_NEXT_GET];
	int rc = om_stmt_query(st, OM_BIND(OM_TEXT(plmn)));
	if (rc == OM_STORE_ROW)
		*next = (uint64_t)om_stmt_col_int64(st, 0);
	else if (rc == OM_STORE_DONE)
		*next = msin_value(s->msin_first);
	om_stmt_reset(st);
	if (*next < msin_value(s->msin_first)) /* the range was moved up in the configuration */
		*next = msin_value(s->msin_first);
	return rc < 0 ? rc : 0;
}

static void plmn_of(const struct sho *s, char out[8])
{
	snprintf(out, 8, "%s%s", s->mcc, s->mnc);
}

int sho_imsi_left(struct sho *s, uint64_t *left)
{
	char plmn[8];
	uint64_t next = 0, last = msin_value(s->msin_last);
	plmn_of(s, plmn);
	int rc = read_next(s, plmn, &next);
	*left = rc == 0 && next <= last ? last - next + 1 : 0;
	return rc;
}

int sho_imsi_take(struct sho *s, char imsi[static OM_MCIM_IMSI_MAX + 1])
{
	char plmn[8];
	uint64_t next = 0;
	plmn_of(s, plmn);
	int rc = read_next(s, plmn, &next);
	if (rc < 0)
		return rc;
	if (next > msin_value(s->msin_last))
		return OM_ESHO_IMSI_RANGE;
	snprintf(imsi, OM_MCIM_IMSI_MAX + 1, "%s%0*" PRIu64, plmn, (int)strlen(s->msin_first), next);
	rc = om_stmt_exec(s->stmt[SHO_SQL_IMSI_NEXT_SET], OM_BIND(OM_TEXT(plmn), OM_INT(next + 1)));
	return rc < 0 ? rc : 0;
}
