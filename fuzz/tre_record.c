/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the TRE's sealed-record parsers (tre/record.c), the
 * bytes that come out of unsealing: a state record or a MID record. The
 * first input byte picks the parser. Whatever parses must encode back to a
 * record that parses to the same encoding (the codec is canonical).
 *
 * Fuzz targets link only libopenmcim, so the parser is compiled in here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tre/record.c"

/*
 * tre/key_hw.c needs tpm2-tss, p11-kit and their OpenSSL providers, which fuzz
 * targets do not link. No key this target decodes is one hardware made (om_key_hw
 * is false for each), so record.c never reaches their encoders: reaching it is a bug
 * the fuzzer reports.
 */
int tre_hw_key_encode(const EVP_PKEY *key, struct tre_blob *out)
{
	(void)key;
	(void)out;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip_state(const uint8_t *in, size_t len)
{
	struct tre_state s, t;
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	if (tre_state_parse(&s, in, len) != 0)
		return;
	if (tre_state_encode(&s, &a, &al) != 0)
		abort();
	if (tre_state_parse(&t, a, al) != 0 || tre_state_encode(&t, &b, &bl) != 0 || al != bl || memcmp(a, b, al))
		abort();
	tre_state_clear(&s);
	tre_state_clear(&t);
	free(a);
	free(b);
}

static void roundtrip_mid(const uint8_t *in, size_t len)
{
	struct tre_mid_record m, n;
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	if (tre_mid_parse(&m, in, len) != 0)
		return;
	if (tre_mid_encode(&m, &a, &al) != 0)
		abort();
	if (tre_mid_parse(&n, a, al) != 0 || tre_mid_encode(&n, &b, &bl) != 0 || al != bl || memcmp(a, b, al))
		abort();
	tre_mid_clear(&m);
	tre_mid_clear(&n);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		roundtrip_mid(data + 1, size - 1);
	else
		roundtrip_state(data + 1, size - 1);
	return 0;
}
