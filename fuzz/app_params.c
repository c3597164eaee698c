/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as the application parameters object (app_params.h,
 * docs/formats.md "Application parameters"; what a device takes from a DPF
 * or the activation server, and what the AAS reads from its files). A
 * refusal leaves the struct all zero; an accepted input re-encodes to the
 * very same bytes (the format has one encoding).
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/app_params.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct om_app_params p, zero;
	static uint8_t enc[OM_APP_PARAMS_MAX];
	if (om_app_params_parse(data, size, &p) != 0) {
		if (memcmp(&p, &zero, sizeof(p)) != 0)
			abort();
		return 0;
	}
	int n = om_app_params_encode(&p, enc, sizeof(enc));
	if (n < 0 || (size_t)n != size || memcmp(enc, data, size) != 0)
		abort();
	return 0;
}
