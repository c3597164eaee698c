/* SPDX-License-Identifier: Apache-2.0 */
/* ISO 8601 times: the forms operators type, and what is refused (vectors from `date -u -d ... +%s`). */
#include <string.h>

#include <openmcim/isotime.h>

#include "check.h"

static const struct {
	const char *in;
	int64_t want;
} good[] = {
	{ "2027-01-01", 1798761600 },
	{ "2027-01-01T00:00:00Z", 1798761600 },
	{ "2027-01-01t00:00:00z", 1798761600 },
	{ "2027-01-01 00:00:00Z", 1798761600 },
	{ "2027-01-01T02:00:00+02:00", 1798761600 },
	{ "2026-12-31T19:30:00-04:30", 1798761600 },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2024-02-29", 1709164800 },
	{ "2000-02-29T23:59:59Z", 951868799 },
	{ "2038-01-19T03:14:08Z", 2147483648 },
	{ "9999-12-31T23:59:59Z", 253402300799 },
	{ "1798761600", 1798761600 },
	{ "0", 0 },
};

static const char *const bad[] = {
	"",	    "2027-1-1",	     "2027-01-01T",	     "2027-01-01T00:00Z",
	"2027-13-01", "2027-00-10", "2027-04-31",	     "2027-02-29",	     "1900-02-29",
	"2027-01-01T24:00:00Z",	   "2027-01-01T00:60:00Z", "2027-01-01T00:00:60Z", "2027-01-01T00:00:00",
	"2027-01-01T00:00:00+0200", "2027-01-01T00:00:00+24:00", "1969-12-31", "1970-01-01T00:00:00+00:01",
	"2027-01-01Z", "-1",	     "12x",		     "2027-01-01T00:00:00Z ", " 2027-01-01",
};

int main(void)
{
	char out[OM_ISOTIME_LEN + 1];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t t = -1;
		CHECK_MSG(om_isotime_parse(good[i].in, &t) == 0 && t == good[i].want, "%s: %lld", good[i].in,
			  (long long)t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 12345;
		CHECK_MSG(om_isotime_parse(bad[i], &t) == OM_EINVAL && t == 12345, "'%s' accepted", bad[i]);
	}
	om_isotime_format(1798761600, out);
	CHECK(!strcmp(out, "2027-01-01T00:00:00Z"));
	om_isotime_format(951868799, out);
	CHECK(!strcmp(out, "2000-02-29T23:59:59Z"));
	om_isotime_format(0, out);
	CHECK(!strcmp(out, "1970-01-01T00:00:00Z"));
	/* every day from 1970 to 2100 round-trips */
	for (int64_t t = 0; t < 4102444800; t += 86400 + 3661) {
		int64_t back = -1;
		om_isotime_format(t, out);
		CHECK_MSG(om_isotime_parse(out, &back) == 0 && back == t, "%lld -> %s -> %lld", (long long)t, out,
			  (long long)back);
		if (back != t)
			break;
	}
	return check_done();
}
