/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access to the public conformance vectors (vectors/3gpp-auth.json, or the
 * path in $OM_VECTORS that the build sets to ../shared/vectors when present).
 * Tests read expected values from this data, never from our own output.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Parse the vectors file once; aborts the test with a message if missing. */
const cJSON *vectors_root(void);

/* The array at root[section][list], e.g. ("milenage_TS35207", "test_sets"). */
const cJSON *vectors_list(const char *section, const char *list);

/*
 * The array root[section][list] of another vectors file, $OM_SOURCE_DIR/vectors/<file>
 * (e.g. "3gpp-nas-sec.json"), parsed once; aborts if missing.
 */
const cJSON *vectors_file_list(const char *file, const char *section, const char *list);

/* The string field name of obj; aborts if absent. */
const char *vectors_str(const cJSON *obj, const char *name);

/*
 * Decode the hex field name of obj into out (exactly len bytes); aborts if
 * absent or malformed, since a broken vectors file must fail loudly.
 */
void vectors_hex(const cJSON *obj, const char *name, uint8_t *out, size_t len);

/* Like vectors_hex for a field of any length; returns its length. */
size_t vectors_hex_any(const cJSON *obj, const char *name, uint8_t *out, size_t cap);
