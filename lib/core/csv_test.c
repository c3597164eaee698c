/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <openmcim/csv.h>

#include "check.h"

int main(void)
{
	char *f[3];
	char ok[] = "a,,c", few[] = "a,b", many[] = "a,b,c,d", empty[] = "";
	CHECK_INT(om_csv_split(ok, f, 3), 0);
	CHECK(!strcmp(f[0], "a") && !strcmp(f[1], "") && !strcmp(f[2], "c"));
	CHECK_INT(om_csv_split(few, f, 3), -1);
	CHECK_INT(om_csv_split(many, f, 3), -1);
	CHECK_INT(om_csv_split(empty, f, 1), 0);
	CHECK(!strcmp(f[0], ""));
	return check_done();
}
