/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a received NAS PDU on a side whose security
 * context is active (a fixed KASME, 128-EEA2 and 128-EIA2), uplink at the
 * MME and downlink at the device. A refusal leaves the receiver's COUNT
 * state as it was; what opens is the plain message inside, at most the
 * input less its 6-octet header, and goes through the codec. The fuzzer
 * cannot forge a MAC, so the seeds are messages om_nas_protect() made.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/nas.h>
#include <openmcim/nas_sec.h>

static void one_side(uint8_t tx_dir, const uint8_t *data, size_t size)
{
	static const uint8_t kasme[OM_KASME_LEN] = { 0x4f, 0x6d, 0x63, 0x69, 0x6d };
	static struct om_nas_ctx ctx[2];
	static int ready[2];
	uint8_t out[1024], sht;
	struct om_nas_msg m;
	if (!ready[tx_dir]) {
		if (om_nas_ctx_init(&ctx[tx_dir], kasme, OM_NAS_EEA2, OM_NAS_EIA2, 1, tx_dir) != 0)
			abort();
		ready[tx_dir] = 1;
	}
	struct om_nas_count_state before = ctx[tx_dir].rx;
	ctx[tx_dir].rx = (struct om_nas_count_state){ 0 }; /* each input against a fresh window */
	int n = om_nas_unprotect(&ctx[tx_dir], out, sizeof(out), &sht, data, size);
	if (n < 0) {
		if (ctx[tx_dir].rx.accepted_any)
			abort();
	} else {
		if ((size_t)n + OM_NAS_SEC_HDR_LEN != size || sht < 1 || sht > 4)
			abort();
		(void)om_nas_decode(&m, tx_dir == OM_NAS_SEC_DOWNLINK ? OM_NAS_UPLINK : OM_NAS_DOWNLINK, out, (size_t)n);
	}
	ctx[tx_dir].rx = before;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_side(OM_NAS_SEC_DOWNLINK, data, size); /* the MME receiving */
	one_side(OM_NAS_SEC_UPLINK, data, size);   /* the device receiving */
	return 0;
}
