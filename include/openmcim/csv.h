/* SPDX-License-Identifier: Apache-2.0 */
/* The plain CSV our files use (no quoting: no field holds a comma): factory output, imports, notes. */
#pragma once

#include <stddef.h>

/*
 * Split line in place at its commas into exactly n fields (f[0..n) point
 * into line). Returns 0, or -1 when the line has another number of fields.
 */
int om_csv_split(char *line, char **f, size_t n);
