/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as an MCIM TLV. A refusal leaves the struct all zero;
 * an accepted input re-encodes (canonically, no longer than the input) to
 * bytes that decode to the same MCIM.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/mcim.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct om_mcim zero;
	struct om_mcim m, again;
	uint8_t enc[OM_MCIM_ENCODED_MAX];
	if (om_mcim_decode(&m, data, size) != 0) {
		if (memcmp(&m, &zero, sizeof(m)) != 0)
			abort();
		return 0;
	}
	int n = om_mcim_encode(&m, enc, sizeof(enc));
	if (n <= 0 || (size_t)n > size)
		abort();
	if (om_mcim_decode(&again, enc, (size_t)n) != 0 || memcmp(&m, &again, sizeof(m)) != 0)
		abort();
	om_mcim_clear(&m);
	om_mcim_clear(&again);
	return 0;
}
