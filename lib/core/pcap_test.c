/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcap writer: the file and record headers byte by byte as the libpcap file
 * format defines them, IPv4 + TCP headers whose checksums verify (RFC 1071),
 * and tshark reading both a NAS capture and an IPv4/TCP capture carrying
 * Diameter on port 3868 with its checksum checks switched on.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/pcap.h>

#include "check.h"

/* A fresh temporary file; path receives its name. */
static FILE *temp_file(char *path, size_t cap)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, cap, "%s/om_pcap_test_XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w+b");
	if (!f)
		close(fd);
	return f;
}

static size_t file_bytes(FILE *f, uint8_t *out, size_t cap)
{
	rewind(f);
	return fread(out, 1, cap, f);
}

static void writes_the_libpcap_headers(void)
{
	char path[256];
	FILE *f = temp_file(path, sizeof(path));
	CHECK(f != NULL);
	if (!f)
		return;
	struct om_pcap p;
	CHECK_INT(om_pcap_open_stream(&p, f, OM_PCAP_LINKTYPE_USER0), 0);
	static const uint8_t frame[3] = { 0x07, 0x44, 0x0b };
	CHECK_INT(om_pcap_write(&p, 1700000000123456u, frame, sizeof(frame)), 0);
	uint8_t b[128];
	size_t n = file_bytes(f, b, sizeof(b));
	CHECK_INT(n, 24 + 16 + 3);
	CHECK_HEX(b, n,
		  "d4c3b2a1"  /* magic a1b2c3d4, little-endian: microsecond timestamps */
		  "0200" "0400" /* version 2.4 */
		  "00000000"  /* thiszone */
		  "00000000"  /* sigfigs */
		  "ffff0000"  /* snaplen 65535 */
		  "93000000"  /* network: LINKTYPE_USER0 = 147 */
		  "00f15365"  /* ts_sec 1700000000 = 0x6553f100 */
		  "40e20100"  /* ts_usec 123456 = 0x0001e240 */
		  "03000000"  /* incl_len 3 */
		  "03000000"  /* orig_len 3 */
		  "07440b");
	fclose(f);
	unlink(path);
}

/* An exported PDU record: the dissector-name tag (12, "nas-eps" padded to 8), the end tag, the message. */
static void writes_an_exported_pdu(void)
{
	char path[256];
	FILE *f = temp_file(path, sizeof(path));
	CHECK(f != NULL);
	if (!f)
		return;
	struct om_pcap p;
	CHECK_INT(om_pcap_open_stream(&p, f, OM_PCAP_LINKTYPE_UPPER_PDU), 0);
	static const uint8_t frame[3] = { 0x07, 0x44, 0x0b };
	CHECK_INT(om_pcap_write_pdu(&p, 1700000000123456u, "nas-eps", frame, sizeof(frame)), 0);
	/* the name is checked, and only an exported-PDU capture takes one */
	CHECK_INT(om_pcap_write_pdu(&p, 0, "", frame, sizeof(frame)), OM_EINVAL);
	CHECK_INT(om_pcap_write_pdu(&p, 0, "a-dissector-name-longer-than-32-chars", frame, 3), OM_EINVAL);
	uint8_t b[128];
	size_t n = file_bytes(f, b, sizeof(b));
	CHECK_INT(n, 24 + 16 + 16 + 3);
	CHECK_HEX(b + 20, 4, "fc000000"); /* network: LINKTYPE_WIRESHARK_UPPER_PDU = 252 */
	CHECK_HEX(b + 32, 8, "1300000013000000"); /* incl_len, orig_len 19 */
	CHECK_HEX(b + 40, 19,
		  "000c" "0008" "6e61732d65707300" /* EXP_PDU_TAG_DISSECTOR_NAME, 8, "nas-eps" + pad */
		  "0000" "0000"                    /* EXP_PDU_TAG_END_OF_OPT */
		  "07440b");
	fclose(f);
	struct om_pcap user = { .f = stdout, .fd = -1, .linktype = OM_PCAP_LINKTYPE_USER0 };
	CHECK_INT(om_pcap_write_pdu(&user, 0, "nas-eps", frame, sizeof(frame)), OM_EINVAL);
	unlink(path);
}

static void writes_to_a_descriptor(void)
{
	char path[256];
	FILE *f = temp_file(path, sizeof(path));
	CHECK(f != NULL);
	if (!f)
		return;
	struct om_pcap p;
	CHECK_INT(om_pcap_open_fd(&p, fileno(f), OM_PCAP_LINKTYPE_IPV4), 0);
	CHECK_INT(om_pcap_write(&p, 0, NULL, 0), 0);
	uint8_t b[64];
	size_t n = file_bytes(f, b, sizeof(b));
	CHECK_INT(n, 24 + 16);
	CHECK_HEX(b + 20, 4, "e4000000"); /* LINKTYPE_IPV4 = 228 */
	fclose(f);
	unlink(path);
}

static void refuses_what_it_cannot_write(void)
{
	struct om_pcap p;
	CHECK_INT(om_pcap_open_stream(&p, NULL, OM_PCAP_LINKTYPE_USER0), OM_EINVAL);
	CHECK_INT(om_pcap_open_fd(&p, -1, OM_PCAP_LINKTYPE_USER0), OM_EINVAL);

	char path[256];
	FILE *f = temp_file(path, sizeof(path));
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(om_pcap_open_stream(&p, f, OM_PCAP_LINKTYPE_USER0), 0);
	static uint8_t big[OM_PCAP_SNAPLEN + 1];
	CHECK_INT(om_pcap_write(&p, 0, big, sizeof(big)), OM_ELENGTH); /* never cut */
	CHECK_INT(om_pcap_write(&p, 0, big, OM_PCAP_SNAPLEN), 0);
	struct om_pcap_tcp t = { .sport = 1, .dport = 2 };
	CHECK_INT(om_pcap_write_ipv4_tcp(&p, 0, &t, big, 4), OM_EINVAL); /* not an IPv4 capture */
	fclose(f);
	unlink(path);

	struct om_pcap bad = { .f = NULL, .fd = 1 << 20, .linktype = OM_PCAP_LINKTYPE_USER0 };
	CHECK_INT(om_pcap_write(&bad, 0, big, 4), OM_EIO); /* a closed descriptor */
	uint8_t hdr[OM_PCAP_IPV4_TCP_HDR];
	CHECK_INT(om_pcap_ipv4_tcp_header(hdr, &t, big, 65536 - 40), OM_ELENGTH);
}

/* The RFC 1071 sum of a checksummed region, computed here independently:
 * 0xffff when its checksum is right. */
static unsigned ones_sum(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	unsigned long s = 0;
	for (size_t i = 0; i < an + bn; i += 2) {
		unsigned hi = i < an ? a[i] : b[i - an];
		unsigned lo = i + 1 < an ? a[i + 1] : i + 1 - an < bn ? b[i + 1 - an] : 0;
		s += hi << 8 | lo;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned)s;
}

/* A Diameter Device-Watchdog-Request (RFC 6733 3, 4.1, 5.5.1): tshark
 * wants the AVPs every message carries before it calls it Diameter. */
static const uint8_t diameter_dwr[48] = {
	0x01, 0x00, 0x00, 0x30,                         /* version 1, length 48 */
	0x80, 0x00, 0x01, 0x18,                         /* flags R, command 280 (DWR) */
	0x00, 0x00, 0x00, 0x00,                         /* application 0 */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* hop-by-hop 1, end-to-end 1 */
	0x00, 0x00, 0x01, 0x08, 0x40, 0x00, 0x00, 0x0f, /* Origin-Host (264), M, length 15 */
	'v', 'n', 'o', '.', 'l', 'a', 'b', 0x00,       /* "vno.lab" + 1 octet padding */
	0x00, 0x00, 0x01, 0x28, 0x40, 0x00, 0x00, 0x0b, /* Origin-Realm (296), M, length 11 */
	'l', 'a', 'b', 0x00,                            /* "lab" + 1 octet padding */
};

static void builds_ipv4_tcp_with_valid_checksums(void)
{
	struct om_pcap_tcp t = {
		.src = { 127, 0, 0, 1 }, .dst = { 127, 0, 0, 2 }, .sport = 40000, .dport = 3868,
		.seq = 1000, .ack = 2000, .flags = OM_PCAP_TCP_PSH | OM_PCAP_TCP_ACK, .ip_id = 7,
	};
	uint8_t h[OM_PCAP_IPV4_TCP_HDR];
	CHECK_INT(om_pcap_ipv4_tcp_header(h, &t, diameter_dwr, sizeof(diameter_dwr)), 0);
	CHECK_HEX(h, 10, "4500" "0058" "0007" "4000" "4006"); /* RFC 791: v4 IHL 5, length 88, DF, TTL 64, TCP */
	CHECK_HEX(h + 12, 8, "7f000001" "7f000002");
	CHECK_HEX(h + 20, 16, "9c40" "0f1c" "000003e8" "000007d0" "5018" "ffff"); /* RFC 9293 3.1 */
	CHECK_INT(ones_sum(h, 20, NULL, 0), 0xffff);

	uint8_t pseudo[12] = { 127, 0, 0, 1, 127, 0, 0, 2, 0, 6, 0, 20 + sizeof(diameter_dwr) };
	uint8_t seg[32];
	memcpy(seg, pseudo, 12);
	memcpy(seg + 12, h + 20, 20);
	CHECK_INT(ones_sum(seg, 32, diameter_dwr, sizeof(diameter_dwr)), 0xffff);

	/* An odd payload length pads the sum with a zero octet. */
	CHECK_INT(om_pcap_ipv4_tcp_header(h, &t, diameter_dwr, 3), 0);
	pseudo[11] = 23;
	memcpy(seg, pseudo, 12);
	memcpy(seg + 12, h + 20, 20);
	CHECK_INT(ones_sum(seg, 32, diameter_dwr, 3), 0xffff);
}

static int have_tshark(void)
{
	return system("tshark --version >/dev/null 2>&1") == 0;
}

/* Run cmd and keep its first output line in out. */
static int first_line(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = 0;
	if (!fgets(out, (int)cap, p))
		out[0] = 0;
	char sink[256];
	while (fgets(sink, sizeof(sink), p))
		;
	int st = pclose(p);
	out[strcspn(out, "\n")] = 0;
	return st;
}

static void tshark_decodes_diameter_over_tcp(uint32_t linktype)
{
	char path[256], cmd[1024], line[1024];
	FILE *f = temp_file(path, sizeof(path));
	CHECK(f != NULL);
	if (!f)
		return;
	struct om_pcap p;
	struct om_pcap_tcp t = {
		.src = { 127, 0, 0, 1 }, .dst = { 127, 0, 0, 2 }, .sport = 40000, .dport = 3868,
		.seq = 1, .ack = 1, .flags = OM_PCAP_TCP_PSH | OM_PCAP_TCP_ACK, .ip_id = 1,
	};
	CHECK_INT(om_pcap_open_stream(&p, f, linktype), 0);
	CHECK_INT(om_pcap_write_ipv4_tcp(&p, 1700000000000000u, &t, diameter_dwr, sizeof(diameter_dwr)), 0);
	fclose(f);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields "
		 "-E separator='|' -e ip.checksum.status -e tcp.checksum.status -e tcp.dstport "
		 "-e diameter.cmd.code -e diameter.flags.request -e diameter.Origin-Host "
		 "-e _ws.malformed -e _ws.expert 2>/dev/null",
		 path);
	int st = first_line(cmd, line, sizeof(line));
	CHECK_MSG(st == 0, "tshark exit status %d", st);
	/* status 1 is "Good" (epan/proto.h PROTO_CHECKSUM_E_GOOD) */
	CHECK_MSG(strcmp(line, "1|1|3868|280|1|vno.lab||") == 0, "linktype %u: tshark says \"%s\"", linktype, line);
	unlink(path);
}

static void tshark_reads_a_nas_capture(void)
{
	char path[256], cmd[1024], line[1024];
	FILE *f = temp_file(path, sizeof(path));
	CHECK(f != NULL);
	if (!f)
		return;
	struct om_pcap p;
	static const uint8_t reject[3] = { 0x07, 0x44, 0x0b }; /* Attach reject #11 */
	CHECK_INT(om_pcap_open_stream(&p, f, OM_PCAP_LINKTYPE_USER0), 0);
	CHECK_INT(om_pcap_write(&p, 1700000000000001u, reject, sizeof(reject)), 0);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -o 'uat:user_dlts:\"User 0 (DLT=147)\",\"nas-eps\",\"0\",\"\",\"0\",\"\"' "
		 "-T fields -E separator='|' -e frame.time_epoch -e nas_eps.nas_msg_emm_type "
		 "-e nas_eps.emm.cause 2>/dev/null",
		 path);
	int st = first_line(cmd, line, sizeof(line));
	CHECK_MSG(st == 0, "tshark exit status %d", st);
	CHECK_MSG(strcmp(line, "1700000000.000001000|0x44|11") == 0, "tshark says \"%s\"", line);
	unlink(path);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A restarted daemon continues its capture: nothing of the first run is lost. */
static void a_restart_appends_to_the_capture(void)
{
	char path[256], old[300], cmd[1024], line[256], why[512];
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/om_pcap_append_XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	unlink(path); /* a missing file is started */
	static const uint8_t reject[3] = { 0x07, 0x44, 0x0b };
	struct om_pcap p;
	FILE *f = NULL;
	CHECK_INT(om_pcap_open_path(&p, &f, path, OM_PCAP_LINKTYPE_USER0, why, sizeof(why)), 0);
	CHECK_INT(om_pcap_write(&p, 1700000000000001u, reject, sizeof(reject)), 0);
	fclose(f);
	CHECK_INT(file_size(path), 24 + 16 + 3);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* second run: appended after the first record, no second global header */
	CHECK_INT(om_pcap_open_path(&p, &f, path, OM_PCAP_LINKTYPE_USER0, why, sizeof(why)), 0);
	CHECK_INT(om_pcap_write(&p, 1700000000000002u, reject, sizeof(reject)), 0);
	fclose(f);
	CHECK_INT(file_size(path), 24 + 2 * (16 + 3));
	/* a crash in the middle of a record: the cut record is dropped, the rest kept */
	f = fopen(path, "ab");
	CHECK(f && fwrite("\x01\x02\x03\x04\x05", 1, 5, f) == 5);
	if (f)
		fclose(f);
	CHECK_INT(om_pcap_open_path(&p, &f, path, OM_PCAP_LINKTYPE_USER0, why, sizeof(why)), 0);
	CHECK_INT(om_pcap_write(&p, 1700000000000003u, reject, sizeof(reject)), 0);
	fclose(f);
	CHECK_INT(file_size(path), 24 + 3 * (16 + 3));
	if (have_tshark()) {
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -T fields -e frame.number 2>/dev/null | tail -1", path);
		CHECK_INT(first_line(cmd, line, sizeof(line)), 0);
		CHECK_MSG(!strcmp(line, "3"), "tshark reads %s frames", line);
	}
	/* a capture others may read is not continued: refused, not a byte changed */
	CHECK(chmod(path, 0644) == 0);
	CHECK_INT(om_pcap_open_path(&p, &f, path, OM_PCAP_LINKTYPE_USER0, why, sizeof(why)), OM_EFILE_MODE);
	CHECK(f == NULL);
	CHECK_INT(file_size(path), 24 + 3 * (16 + 3));
	CHECK(chmod(path, 0600) == 0);
	/* another linktype: the old file is kept as path.1, a new capture begins */
	CHECK_INT(om_pcap_open_path(&p, &f, path, OM_PCAP_LINKTYPE_IPV4, why, sizeof(why)), 0);
	fclose(f);
	snprintf(old, sizeof(old), "%s.1", path);
	CHECK_INT(file_size(old), 24 + 3 * (16 + 3));
	CHECK_INT(file_size(path), 24);
	unlink(path);
	unlink(old);
}

int main(void)
{
	writes_the_libpcap_headers();
	writes_an_exported_pdu();
	writes_to_a_descriptor();
	refuses_what_it_cannot_write();
	builds_ipv4_tcp_with_valid_checksums();
	if (!have_tshark()) {
		CHECK_MSG(0, "tshark not found: install the Debian package tshark (scripts/deps.sh test)");
		return check_done();
	}
	tshark_decodes_diameter_over_tcp(OM_PCAP_LINKTYPE_IPV4);
	tshark_decodes_diameter_over_tcp(OM_PCAP_LINKTYPE_RAW);
	tshark_reads_a_nas_capture();
	a_restart_appends_to_the_capture();
	return check_done();
}
