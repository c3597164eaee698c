/* SPDX-License-Identifier: Apache-2.0 */
/* Hex decoding: accepted forms, and each kind of malformed input refused. */
#include <openmcim/hex.h>

#include "check.h"

static void decodes_both_cases(void)
{
	uint8_t b[4];
	CHECK_INT(om_hex_decode(b, 4, "00fFa9Be"), 0);
	CHECK(b[0] == 0x00 && b[1] == 0xff && b[2] == 0xa9 && b[3] == 0xbe);
}

static void every_byte_round_trips(void)
{
	uint8_t in[256], out[256];
	char hex[513];
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	om_hex_encode(hex, in, sizeof(in));
	CHECK(hex[0] == '0' && hex[1] == '0' && hex[510] == 'f' && hex[511] == 'f' && hex[512] == 0);
	CHECK_INT(om_hex_decode(out, sizeof(out), hex), 0);
	CHECK_MEM(in, out, sizeof(in));
}

static void refuses_non_hex(void)
{
	/* every character outside 0-9a-fA-F, at each position of a byte */
	int refused = 0, total = 0;
	for (int c = 1; c < 256; c++) {
		int hexdigit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		if (hexdigit)
			continue;
		char s1[3] = { (char)c, '0', 0 }, s2[3] = { '0', (char)c, 0 };
		uint8_t b = 0x55;
		total += 2;
		refused += om_hex_decode(&b, 1, s1) == OM_EHEX && b == 0;
		refused += om_hex_decode(&b, 1, s2) == OM_EHEX;
	}
	CHECK_INT(refused, total);
}

static void refuses_wrong_length(void)
{
	uint8_t b[2];
	CHECK_INT(om_hex_decode(b, 2, "abc"), OM_ELENGTH);
	CHECK_INT(om_hex_decode(b, 2, "abcdef"), OM_ELENGTH);
	CHECK_INT(om_hex_decode(b, 2, ""), OM_ELENGTH);
	CHECK_INT(om_hex_decode_any(b, 2, "abc"), OM_ELENGTH);
	CHECK_INT(om_hex_decode_any(b, 2, "abcdef"), OM_ENOSPC);
	CHECK_INT(om_hex_decode_any(b, 2, "abcd"), 2);
}

static void every_error_has_a_message(void)
{
	CHECK(strcmp(om_strerror(OM_EHEX), "unknown error") != 0);
	CHECK(strcmp(om_errname(OM_EHEX), "OM_EHEX") == 0);
	CHECK(strcmp(om_strerror(-12345), "unknown error") == 0);
}

int main(void)
{
	decodes_both_cases();
	every_byte_round_trips();
	refuses_non_hex();
	refuses_wrong_length();
	every_error_has_a_message();
	return check_done();
}
