/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <openmcim/csv.h>

int om_csv_split(char *line, char **f, size_t n)
{
	char *p = line;
	for (size_t i = 0; i < n; i++) {
		f[i] = p;
		p = strchr(p, ',');
		if (!p)
			return i + 1 == n ? 0 : -1;
		*p++ = '\0';
	}
	return -1;
}
