/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a stream on the lab's radio link, read frame by
 * frame as the VNO and the device do. Each accepted frame encodes back to
 * the same octets; a NAS frame's payload goes through the NAS decoder in
 * both directions and a LAB bearer frame through its payload decoder. The
 * decoder never takes more than it was given, and never less than a header;
 * only a PUSH frame is longer than OM_RADIO_PAYLOAD_MAX, and none is longer
 * than OM_RADIO_PUSH_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/nas.h>
#include <openmcim/radio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct om_radio_frame f;
	uint8_t enc[OM_RADIO_FRAME_MAX];
	size_t off = 0;
	while (off < size) {
		int n = om_radio_decode(&f, data + off, size - off);
		if (n <= 0)
			break; /* needs more (0) or refused (< 0): the link would wait or close */
		if ((size_t)n > size - off || n < OM_RADIO_HDR_LEN + 1 || f.len > OM_RADIO_PUSH_MAX ||
		    (f.type != OM_RADIO_PUSH && f.len > OM_RADIO_PAYLOAD_MAX))
			abort();
		int e = om_radio_encode(enc, sizeof(enc), f.type, f.payload, f.len);
		if (e != n || memcmp(enc, data + off, (size_t)n) != 0)
			abort();
		if (f.type == OM_RADIO_NAS) {
			struct om_nas_msg m;
			(void)!om_nas_decode(&m, OM_NAS_UPLINK, f.payload, f.len);
			(void)!om_nas_decode(&m, OM_NAS_DOWNLINK, f.payload, f.len);
		} else if (f.type == OM_RADIO_LAB_BEARER) {
			struct om_radio_bearer b;
			uint8_t p[OM_RADIO_BEARER_LEN];
			if (om_radio_bearer_decode(&b, f.payload, f.len) == 0) {
				om_radio_bearer_encode(p, &b);
				if (memcmp(p, f.payload, sizeof(p)) != 0)
					abort();
			}
		}
		off += (size_t)n;
	}
	return 0;
}
