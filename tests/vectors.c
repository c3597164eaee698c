/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/hex.h>

#include "check.h"
#include "vectors.h"

static cJSON *root;

static void die(const char *what, const char *name)
{
	fprintf(stderr, "vectors: %s: %s\n", what, name);
	exit(1);
}

const cJSON *vectors_root(void)
{
	if (root)
		return root;
	const char *path = getenv("OM_VECTORS");
	if (!path)
		die("OM_VECTORS is not set", "run the test through ctest");
	unsigned char *text = check_slurp(path, NULL);
	if (!text)
		die("cannot read", path);
	root = cJSON_Parse((const char *)text);
	free(text);
	if (!root)
		die("not valid JSON", path);
	return root;
}

static const cJSON *list_in(const cJSON *r, const char *section, const char *list)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, section);
	if (!s)
		die("no section", section);
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(s, list);
	if (!cJSON_IsArray(l) || cJSON_GetArraySize(l) == 0)
		die("no list", list);
	return l;
}

const cJSON *vectors_list(const char *section, const char *list)
{
	return list_in(vectors_root(), section, list);
}

const cJSON *vectors_file_list(const char *file, const char *section, const char *list)
{
	static cJSON *other[4];
	static char names[4][64];
	size_t i = 0;
	for (; i < 4 && other[i]; i++)
		if (strcmp(names[i], file) == 0)
			return list_in(other[i], section, list);
	const char *src = getenv("OM_SOURCE_DIR");
	char path[4096];
	if (i == 4 || strlen(file) >= sizeof(names[0]))
		die("too many vectors files", file);
	if (!src)
		die("OM_SOURCE_DIR is not set", "run the test through ctest");
	snprintf(path, sizeof(path), "%s/vectors/%s", src, file);
	unsigned char *text = check_slurp(path, NULL);
	if (!text)
		die("cannot read", path);
	other[i] = cJSON_Parse((const char *)text);
	free(text);
	if (!other[i])
		die("not valid JSON", path);
	strcpy(names[i], file);
	return list_in(other[i], section, list);
}

const char *vectors_str(const cJSON *obj, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsString(f))
		die("no string field", name);
	return f->valuestring;
}

void vectors_hex(const cJSON *obj, const char *name, uint8_t *out, size_t len)
{
	if (om_hex_decode(out, len, vectors_str(obj, name)) != 0)
		die("bad hex or length in field", name);
}

size_t vectors_hex_any(const cJSON *obj, const char *name, uint8_t *out, size_t cap)
{
	int n = om_hex_decode_any(out, cap, vectors_str(obj, name));
	if (n < 0)
		die("bad hex in field", name);
	return (size_t)n;
}
