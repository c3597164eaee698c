/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small writer of classic libpcap capture files (not pcapng), so that
 * tshark and Wireshark decode what the lab puts on its links.
 *
 * File format: a 24-octet global header (magic a1b2c3d4, version 2.4,
 * microsecond timestamps) then one 16-octet record header per frame,
 * all little-endian. Link types:
 *   OM_PCAP_LINKTYPE_UPPER_PDU (252)  Wireshark's exported PDU: each record
 *                                 names its dissector ("nas-eps") in a tag
 *                                 before the message, so Wireshark and
 *                                 tshark decode NAS with no setting (issue
 *                                 15); om_pcap_write_pdu() writes one.
 *   OM_PCAP_LINKTYPE_USER0 (147)  NAS-EPS messages as they are; tshark needs
 *                                 the user DLT table (docs/nas.md):
 *     tshark -o 'uat:user_dlts:"User 0 (DLT=147)","nas-eps","0","","0",""'
 *   OM_PCAP_LINKTYPE_IPV4 (228) or OM_PCAP_LINKTYPE_RAW (101)
 *                                 IPv4 packets; om_pcap_write_ipv4_tcp()
 *                                 wraps a payload (Diameter on 3868) in
 *                                 synthetic IPv4 + TCP headers.
 *
 * The writer owns nothing: the caller opens and closes the FILE or fd. One
 * struct om_pcap per file; calls on it are not synchronised, so threads that
 * share a capture serialise their calls.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openmcim/err.h>

#define OM_PCAP_LINKTYPE_RAW 101
#define OM_PCAP_LINKTYPE_USER0 147
#define OM_PCAP_LINKTYPE_IPV4 228
#define OM_PCAP_LINKTYPE_UPPER_PDU 252 /* LINKTYPE_WIRESHARK_UPPER_PDU */
#define OM_PCAP_SNAPLEN 65535 /* the largest frame a record may hold */

struct om_pcap {
	FILE *f; /* the stream written to, or NULL */
	int fd;  /* the descriptor written to when f is NULL */
	uint32_t linktype;
};

/*
 * Start a capture on a stdio stream: writes the global header and flushes.
 * Every record is flushed too, so a reader sees whole records while the lab
 * runs. Returns 0, OM_EINVAL (NULL) or OM_EIO.
 */
OM_NODISCARD int om_pcap_open_stream(struct om_pcap *p, FILE *f, uint32_t linktype);

/* The same on a file descriptor (write(2), retried on EINTR and short writes). */
OM_NODISCARD int om_pcap_open_fd(struct om_pcap *p, int fd, uint32_t linktype);

/*
 * Open the capture file at path for a daemon that may have run before: a
 * capture is never truncated by a restart. An empty or missing file gets
 * the global header; a file with our header and the same linktype is
 * continued after its last whole record (a record cut by a crash is
 * dropped); any other file is rotated to path.1 (replacing an older one)
 * and a new capture started. A capture holds RAND, XRES and keys: an
 * existing file must be ours alone (om_private_check, private_file.h) and a
 * new one is created 0600. *fp receives the stream (opened for appending),
 * to fclose when done. Returns 0, OM_EINVAL, OM_EIO, or OM_EFILE_MODE /
 * OM_EFILE_OWNER with why holding the message.
 */
OM_NODISCARD int om_pcap_open_path(struct om_pcap *p, FILE **fp, const char *path, uint32_t linktype, char *why,
				   size_t why_len);

/*
 * Append one frame captured at ts_usec (microseconds since the Unix epoch).
 * Returns 0, OM_ELENGTH (len > OM_PCAP_SNAPLEN: a frame is never cut),
 * OM_EINVAL or OM_EIO.
 */
OM_NODISCARD int om_pcap_write(struct om_pcap *p, uint64_t ts_usec, const uint8_t *frame, size_t len);

/*
 * Append pdu as an exported PDU for the dissector named (e.g. "nas-eps", at
 * most 32 characters): the EXP_PDU_TAG_DISSECTOR_NAME tag, the end tag,
 * then the bytes. The capture must be of OM_PCAP_LINKTYPE_UPPER_PDU.
 * Returns 0, OM_ELENGTH, OM_EINVAL or OM_EIO.
 */
OM_NODISCARD int om_pcap_write_pdu(struct om_pcap *p, uint64_t ts_usec, const char *dissector, const uint8_t *pdu,
				   size_t len);

/* The current time for om_pcap_write(): CLOCK_REALTIME in microseconds. */
uint64_t om_pcap_now_usec(void);

/* TCP flags (RFC 9293 3.1). */
#define OM_PCAP_TCP_FIN 0x01
#define OM_PCAP_TCP_SYN 0x02
#define OM_PCAP_TCP_RST 0x04
#define OM_PCAP_TCP_PSH 0x08
#define OM_PCAP_TCP_ACK 0x10

/* One TCP segment's addressing; the caller advances seq by each payload. */
struct om_pcap_tcp {
	uint8_t src[4], dst[4]; /* IPv4 addresses as on the wire */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;   /* OM_PCAP_TCP_*; ack is written only with ACK */
	uint16_t ip_id;  /* IPv4 identification */
};

#define OM_PCAP_IPV4_TCP_HDR 40 /* IPv4 (RFC 791, no options) + TCP (no options) */

/*
 * Build the IPv4 and TCP headers for a segment carrying payload: version 4,
 * IHL 5, DF, TTL 64, protocol 6, window 65535, both checksums computed
 * (RFC 1071; the TCP one over the pseudo-header and the payload).
 * Returns 0, or OM_ELENGTH when the packet would exceed 65535 octets.
 */
OM_NODISCARD int om_pcap_ipv4_tcp_header(uint8_t hdr[static OM_PCAP_IPV4_TCP_HDR], const struct om_pcap_tcp *t,
					 const uint8_t *payload, size_t len);

/*
 * Append payload as one IPv4 + TCP packet; the capture must be of link type
 * OM_PCAP_LINKTYPE_IPV4 or OM_PCAP_LINKTYPE_RAW (OM_EINVAL otherwise).
 * Returns 0, OM_ELENGTH, OM_EINVAL or OM_EIO.
 */
OM_NODISCARD int om_pcap_write_ipv4_tcp(struct om_pcap *p, uint64_t ts_usec, const struct om_pcap_tcp *t,
					const uint8_t *payload, size_t len);
