/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's NAS capture: every NAS PDU on the radio link, both directions,
 * as an exported PDU naming the nas-eps dissector (link type 252,
 * include/openmcim/pcap.h): Wireshark and tshark decode it with no setting
 * (docs/nas.md "Reading our captures"). One capture per process; calls are
 * serialised here, so every connection thread may write.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Create path and write the header. 0, or -1 (logged). */
int vno_pcap_open(const char *path);

/* Append one NAS PDU; a no-op when no capture is open. */
void vno_pcap_nas(const uint8_t *pdu, size_t len);

void vno_pcap_close(void);
