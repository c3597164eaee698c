/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64: the canonical spelling decodes, every other one is refused (RFC 4648 3.5). */
#include <stdlib.h>
#include <string.h>

#include <openmcim/base64.h>

#include "check.h"

static void decodes_only_canonical_text(void)
{
	static const struct {
		const char *text;
		const char *hex; /* NULL: refused */
	} v[] = {
		{ "Zg==", "66" },        { "Zm8=", "666f" },      { "Zm9v", "666f6f" },   { "+/+/", "fbffbf" },
		{ "Zh==", NULL },        { "Zm9=", NULL },        { "Zg=", NULL },        { "Zg", NULL },
		{ "Z===", NULL },        { "Zg==Zg==", NULL },    { "Zm 9", NULL },       { "Zm9v\n", NULL },
		{ "Zm-v", NULL },        { "=Zm9", NULL },        { "Z=g=", NULL },       { "", NULL },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t *out = NULL;
		size_t len = 0;
		int r = om_base64_decode(v[i].text, strlen(v[i].text), 100, &out, &len);
		if (v[i].hex) {
			CHECK_MSG(r == 0, "'%s'", v[i].text);
			if (r == 0)
				CHECK_HEX(out, len, v[i].hex);
		} else {
			CHECK_MSG(r == OM_EBASE64 && out == NULL, "'%s' gave %d", v[i].text, r);
		}
		free(out);
	}
	uint8_t *out = NULL;
	size_t len = 0;
	CHECK_INT(om_base64_decode("Zm9vYmFy", 8, 5, &out, &len), OM_ELENGTH);
	CHECK(out == NULL);
	/* encode then decode every length up to 70 */
	uint8_t in[70];
	char text[100];
	for (size_t n = 1; n < sizeof(in); n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(i * 37 + n);
		om_base64_encode(in, n, text);
		CHECK_INT(strlen(text), om_base64_len(n));
		CHECK_INT(om_base64_decode(text, strlen(text), 100, &out, &len), 0);
		CHECK(len == n && out && memcmp(out, in, n) == 0);
		free(out);
		out = NULL;
	}
}

/* A NUL byte inside the counted text is refused, not taken as its end. */
static void refuses_a_nul_inside(void)
{
	uint8_t *out = NULL;
	size_t len = 0;
	CHECK_INT(om_base64_decode("Zm9v\0Zm9", 8, 100, &out, &len), OM_EBASE64);
	CHECK(out == NULL && len == 0);
}

int main(void)
{
	decodes_only_canonical_text();
	refuses_a_nul_inside();
	return check_done();
}
