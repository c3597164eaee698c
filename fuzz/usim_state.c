/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a saved USIM SQN state (the TRE reads it from its
 * sealed files). An accepted state serialises back to the same bytes, and
 * the freshness check on it never crashes.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/usim.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct om_usim_sqn s;
	uint8_t again[OM_USIM_SQN_STATE_LEN];
	if (om_usim_sqn_parse(&s, data, size) != 0)
		return 0;
	if (om_usim_sqn_serialise(again, &s) != OM_USIM_SQN_STATE_LEN ||
	    size != OM_USIM_SQN_STATE_LEN || memcmp(again, data, size) != 0)
		abort();
	(void)om_usim_sqn_check(&s, om_usim_sqn_ms(&s) + 1);
	return 0;
}
