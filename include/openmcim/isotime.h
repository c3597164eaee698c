/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times as operators type and read them (issue 15): ISO 8601 / RFC 3339 in
 * UTC. Pure functions, no time zone database, no locale.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define OM_ISOTIME_LEN 20 /* "2027-01-01T00:00:00Z" */

/*
 * Seconds since the Unix epoch from one of:
 *   2027-01-01                    midnight UTC
 *   2027-01-01T12:30:00Z          (also with a lowercase t or z, or a space for T)
 *   2027-01-01T12:30:00+02:00     an offset from UTC
 *   1798761600                    seconds since the epoch (what the tools took before)
 * Years 1970..9999; fields in range (no 31 April, 29 February only in leap
 * years, no leap second 60). Returns 0 with *out set, or OM_EINVAL.
 */
OM_NODISCARD int om_isotime_parse(const char *s, int64_t *out);

/* t as "2027-01-01T00:00:00Z" into out, t clamped to 1970..9999. */
void om_isotime_format(int64_t t, char out[static OM_ISOTIME_LEN + 1]);
