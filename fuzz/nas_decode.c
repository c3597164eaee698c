/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a NAS-EPS message, read as uplink (what the VNO
 * decodes) and as downlink (what the device decodes). A refusal leaves the
 * struct all zero; an accepted message encodes again (the encoder takes
 * whatever the decoder accepts) to bytes that decode to the same struct.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/nas.h>

static void one_direction(enum om_nas_dir dir, const uint8_t *data, size_t size)
{
	static const struct om_nas_msg zero;
	struct om_nas_msg m, again;
	uint8_t enc[OM_NAS_MAX_LEN];
	if (om_nas_decode(&m, dir, data, size) != 0) {
		if (memcmp(&m, &zero, sizeof(m)) != 0)
			abort();
		return;
	}
	int n = om_nas_encode(enc, sizeof(enc), &m);
	if (n < 2)
		abort();
	if (om_nas_decode(&again, dir, enc, (size_t)n) != 0 || memcmp(&m, &again, sizeof(m)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_direction(OM_NAS_UPLINK, data, size);
	one_direction(OM_NAS_DOWNLINK, data, size);
	return 0;
}
