/* SPDX-License-Identifier: Apache-2.0 */
/* ISO 8601 times in UTC (include/openmcim/isotime.h), by the civil-calendar arithmetic of days_from_civil. */
#include <stdio.h>
#include <string.h>

#include <openmcim/isotime.h>

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s into *v; 0 or -1. */
static int digits(const char *s, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int om_isotime_parse(const char *s, int64_t *out)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0;
	int sign = 0;
	if (!s || !out)
		return OM_EINVAL;
	size_t n = strlen(s);
	/* seconds since the epoch, as before */
	if (n >= 1 && n <= 12 && strspn(s, "0123456789") == n) {
		int64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (s[i] - '0');
		*out = v;
		return 0;
	}
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return OM_EINVAL;
	if (n > 10) {
		const char *t = s + 10;
		if ((*t != 'T' && *t != 't' && *t != ' ') || n < 20 || digits(t + 1, 2, &h) || t[3] != ':' ||
		    digits(t + 4, 2, &mi) || t[6] != ':' || digits(t + 7, 2, &se))
			return OM_EINVAL;
		const char *z = t + 9;
		if ((*z == 'Z' || *z == 'z') && !z[1]) {
			sign = 0;
		} else if ((*z == '+' || *z == '-') && strlen(z) == 6 && !digits(z + 1, 2, &oh) && z[3] == ':' &&
			   !digits(z + 4, 2, &om)) {
			sign = *z == '+' ? 1 : -1;
		} else {
			return OM_EINVAL;
		}
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    se > 59 || oh > 23 || om > 59)
		return OM_EINVAL;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (int64_t)(oh * 3600 + om * 60);
	if (t < 0)
		return OM_EINVAL;
	*out = t;
	return 0;
}

void om_isotime_format(int64_t t, char out[static OM_ISOTIME_LEN + 1])
{
	char buf[64];
	if (t < 0)
		t = 0;
	if (t > 253402300799) /* 9999-12-31T23:59:59Z: four digits of year */
		t = 253402300799;
	int64_t days = t / 86400, rem = t % 86400;
	/* civil_from_days (H. Hinnant) */
	days += 719468;
	const int64_t era = days / 146097;
	const unsigned doe = (unsigned)(days - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	const int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
	snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, (unsigned)(rem / 3600),
		 (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
	memcpy(out, buf, OM_ISOTIME_LEN);
	out[OM_ISOTIME_LEN] = '\0';
}
