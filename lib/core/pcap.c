/* SPDX-License-Identifier: Apache-2.0 */
/* Classic libpcap file writer and synthetic IPv4 + TCP framing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/be.h>
#include <openmcim/pcap.h>
#include <openmcim/private_file.h>

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_GLOBAL_HDR 24
#define PCAP_RECORD_HDR 16

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static int put(struct om_pcap *p, const uint8_t *b, size_t n)
{
	if (p->f)
		return n == 0 || fwrite(b, 1, n, p->f) == n ? 0 : OM_EIO;
	while (n) {
		ssize_t w = write(p->fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OM_EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush(struct om_pcap *p)
{
	return p->f && fflush(p->f) != 0 ? OM_EIO : 0;
}

static int open_common(struct om_pcap *p, uint32_t linktype)
{
	uint8_t h[PCAP_GLOBAL_HDR];
	le32(h, PCAP_MAGIC_USEC);
	le16(h + 4, 2); /* version 2.4 */
	le16(h + 6, 4);
	le32(h + 8, 0);  /* thiszone: timestamps are UTC */
	le32(h + 12, 0); /* sigfigs */
	le32(h + 16, OM_PCAP_SNAPLEN);
	le32(h + 20, linktype);
	p->linktype = linktype;
	int ret = put(p, h, sizeof(h));
	return ret ? ret : flush(p);
}

int om_pcap_open_stream(struct om_pcap *p, FILE *f, uint32_t linktype)
{
	if (!p || !f)
		return OM_EINVAL;
	p->f = f;
	p->fd = -1;
	return open_common(p, linktype);
}

int om_pcap_open_fd(struct om_pcap *p, int fd, uint32_t linktype)
{
	if (!p || fd < 0)
		return OM_EINVAL;
	p->f = NULL;
	p->fd = fd;
	return open_common(p, linktype);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/*
 * The end of the last whole record of a capture of ours with this linktype,
 * or 0 when the file is not one (another magic, linktype or a header cut
 * short): such a file is rotated, never appended to.
 */
static off_t whole_records_end(FILE *f, uint32_t linktype)
{
	uint8_t h[PCAP_GLOBAL_HDR];
	rewind(f);
	if (fread(h, 1, sizeof(h), f) != sizeof(h) || rd32(h) != PCAP_MAGIC_USEC || rd32(h + 20) != linktype)
		return 0;
	off_t end = PCAP_GLOBAL_HDR;
	uint8_t r[PCAP_RECORD_HDR];
	while (fread(r, 1, sizeof(r), f) == sizeof(r)) {
		uint32_t incl = rd32(r + 8);
		if (incl > OM_PCAP_SNAPLEN || fseeko(f, (off_t)incl, SEEK_CUR) != 0)
			break;
		off_t next = end + PCAP_RECORD_HDR + (off_t)incl;
		struct stat st;
		if (fstat(fileno(f), &st) != 0 || next > st.st_size)
			break; /* cut by a crash in the middle of the record */
		end = next;
	}
	return end;
}

int om_pcap_open_path(struct om_pcap *p, FILE **fp, const char *path, uint32_t linktype, char *why,
		      size_t why_len)
{
	if (!p || !fp || !path || !why || !why_len)
		return OM_EINVAL;
	*fp = NULL;
	why[0] = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		/* continued only if nobody else could have read or swapped it */
		int rc = om_private_check(path, OM_PRIVATE_MAY_BE_ABSENT, why, why_len);
		if (rc)
			return rc;
		int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		FILE *f = fd >= 0 ? fdopen(fd, "a+b") : NULL;
		if (!f) {
			snprintf(why, why_len, "%s: cannot open for appending", path);
			if (fd >= 0)
				close(fd);
			return OM_EIO;
		}
		struct stat st;
		if (fstat(fd, &st) != 0) {
			fclose(f);
			return OM_EIO;
		}
		if (st.st_size == 0) {
			if ((rc = om_pcap_open_stream(p, f, linktype)) != 0) {
				fclose(f);
				return rc;
			}
			*fp = f;
			return 0;
		}
		off_t end = whole_records_end(f, linktype);
		if (end > 0) {
			if (end < st.st_size && ftruncate(fd, end) != 0) {
				fclose(f);
				return OM_EIO;
			}
			p->f = f;
			p->fd = -1;
			p->linktype = linktype;
			*fp = f;
			return 0;
		}
		/* not a capture we can continue: keep it beside as path.1 */
		fclose(f);
		char old[4096];
		if (snprintf(old, sizeof(old), "%s.1", path) >= (int)sizeof(old) || rename(path, old) != 0) {
			snprintf(why, why_len, "%s: not a capture of this kind, and it cannot be moved aside", path);
			return OM_EIO;
		}
	}
	return OM_EIO;
}

/* The record header, then each part of the frame in turn. */
static int write_parts(struct om_pcap *p, uint64_t ts_usec, const uint8_t *a, size_t alen, const uint8_t *b,
		       size_t blen)
{
	size_t len = alen + blen;
	if (len > OM_PCAP_SNAPLEN)
		return OM_ELENGTH;
	uint8_t h[PCAP_RECORD_HDR];
	le32(h, (uint32_t)(ts_usec / 1000000u));
	le32(h + 4, (uint32_t)(ts_usec % 1000000u));
	le32(h + 8, (uint32_t)len); /* captured length */
	le32(h + 12, (uint32_t)len); /* original length: never truncated */
	int ret;
	if ((ret = put(p, h, sizeof(h))) || (ret = put(p, a, alen)) || (ret = put(p, b, blen)))
		return ret;
	return flush(p);
}

int om_pcap_write(struct om_pcap *p, uint64_t ts_usec, const uint8_t *frame, size_t len)
{
	if (!p || (!frame && len))
		return OM_EINVAL;
	return write_parts(p, ts_usec, frame, len, NULL, 0);
}

uint64_t om_pcap_now_usec(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* RFC 1071 one's complement sum, carried on from sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *b, size_t n)
{
	for (; n >= 2; b += 2, n -= 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (n)
		sum += (uint32_t)b[0] << 8; /* an odd octet is padded with zero */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

#define IP_HDR 20
#define TCP_HDR 20
#define IP_PROTO_TCP 6

int om_pcap_ipv4_tcp_header(uint8_t hdr[static OM_PCAP_IPV4_TCP_HDR], const struct om_pcap_tcp *t,
			    const uint8_t *payload, size_t len)
{
	if (len > 0xffffu - OM_PCAP_IPV4_TCP_HDR)
		return OM_ELENGTH;
	uint16_t total = (uint16_t)(OM_PCAP_IPV4_TCP_HDR + len);
	uint8_t *ip = hdr, *tcp = hdr + IP_HDR;
	memset(hdr, 0, OM_PCAP_IPV4_TCP_HDR);

	ip[0] = 0x45; /* version 4, IHL 5 words */
	om_be_put(ip + 2, total, 2);
	om_be_put(ip + 4, t->ip_id, 2);
	om_be_put(ip + 6, 0x4000, 2); /* DF, fragment offset 0 */
	ip[8] = 64;           /* TTL */
	ip[9] = IP_PROTO_TCP;
	memcpy(ip + 12, t->src, 4);
	memcpy(ip + 16, t->dst, 4);
	om_be_put(ip + 10, (uint16_t)~sum16(0, ip, IP_HDR), 2);

	om_be_put(tcp, t->sport, 2);
	om_be_put(tcp + 2, t->dport, 2);
	om_be_put(tcp + 4, t->seq, 4);
	om_be_put(tcp + 8, t->flags & OM_PCAP_TCP_ACK ? t->ack : 0, 4);
	tcp[12] = (TCP_HDR / 4) << 4; /* data offset */
	tcp[13] = t->flags;
	om_be_put(tcp + 14, 0xffff, 2); /* window */

	/* Pseudo-header (RFC 9293 3.1): source, destination, zero, protocol,
	 * TCP length; then the TCP header and the payload. */
	uint8_t pseudo[12];
	memcpy(pseudo, t->src, 4);
	memcpy(pseudo + 4, t->dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IP_PROTO_TCP;
	om_be_put(pseudo + 10, (uint16_t)(TCP_HDR + len), 2);
	uint32_t s = sum16(0, pseudo, sizeof(pseudo));
	s = sum16(s, tcp, TCP_HDR);
	s = sum16(s, payload, len);
	om_be_put(tcp + 16, (uint16_t)~s, 2);
	return 0;
}

int om_pcap_write_ipv4_tcp(struct om_pcap *p, uint64_t ts_usec, const struct om_pcap_tcp *t,
			   const uint8_t *payload, size_t len)
{
	if (!p || !t || (!payload && len))
		return OM_EINVAL;
	if (p->linktype != OM_PCAP_LINKTYPE_IPV4 && p->linktype != OM_PCAP_LINKTYPE_RAW)
		return OM_EINVAL;
	uint8_t hdr[OM_PCAP_IPV4_TCP_HDR];
	int ret = om_pcap_ipv4_tcp_header(hdr, t, payload, len);
	if (ret)
		return ret;
	return write_parts(p, ts_usec, hdr, sizeof(hdr), payload, len);
}

/* Wireshark's exported PDU tags (epan/exported_pdu.h): a tag and a length, both big-endian. */
#define EXP_PDU_TAG_END_OF_OPT 0
#define EXP_PDU_TAG_DISSECTOR_NAME 12
#define EXP_PDU_NAME_MAX 32

int om_pcap_write_pdu(struct om_pcap *p, uint64_t ts_usec, const char *dissector, const uint8_t *pdu, size_t len)
{
	uint8_t tags[4 + EXP_PDU_NAME_MAX + 4] = { 0 };
	size_t n = dissector ? strlen(dissector) : 0;
	if (!p || !n || n > EXP_PDU_NAME_MAX || (!pdu && len))
		return OM_EINVAL;
	if (p->linktype != OM_PCAP_LINKTYPE_UPPER_PDU)
		return OM_EINVAL;
	/* the name without its NUL, zero-padded to four octets as Wireshark writes it */
	size_t padded = (n + 3) & ~(size_t)3;
	om_be_put(tags, EXP_PDU_TAG_DISSECTOR_NAME, 2);
	om_be_put(tags + 2, (uint16_t)padded, 2);
	memcpy(tags + 4, dissector, n);
	om_be_put(tags + 4 + padded, EXP_PDU_TAG_END_OF_OPT, 2);
	om_be_put(tags + 6 + padded, 0, 2);
	return write_parts(p, ts_usec, tags, 8 + padded, pdu, len);
}
