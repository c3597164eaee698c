/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wireshark's NAS-EPS dissector as an independent reader of our encoder:
 * every message kind is encoded, written to a pcap (exported PDUs naming nas-eps, as the VNO writes) and decoded
 * by tshark, which must name the right message type and show the right
 * IMSI, RAND, AUTN, RES, AUTS, cause, ESM message, APN and address, with no
 * expert information (malformed, extraneous data, missing element). Then
 * the protected messages of an attach as om_nas_protect() writes them: the
 * security header type, MAC and SQN of each, the Security Mode Command's
 * algorithms, and with EEA0 (vno nas_ciphering = eea0) the message inside.
 */
#include <stdlib.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/nas.h>
#include <openmcim/nas_sec.h>
#include <openmcim/pcap.h>

#include "check.h"

#define IMSI "001010123456789"
#define APN "prov.m2m"
#define RAND_HEX "23553cbe9637a89d218ae64dae47bf35"
#define AUTN_HEX "55f328b43577b9b94a9ffac354dfafb3"
#define RES_HEX "a54211d5e3ba50bf"
#define AUTS_HEX "ba853f3c123c01cfaf9ec4e871e9"

/* The tshark fields compared, in this order, for each frame. */
static const char *const fields[] = {
	"nas_eps.nas_msg_emm_type", "e212.imsi", "gsm_a.dtap.rand", "gsm_a.dtap.autn",
	"nas_eps.emm.res", "gsm_a.dtap.auts", "nas_eps.emm.cause", "nas_eps.nas_msg_esm_type",
	"gsm_a.gm.sm.apn", "nas_eps.esm.pdn_ipv4", "nas_eps.emm.m_tmsi", "_ws.expert",
	"_ws.malformed",
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* One message and what tshark must print for it; NULL means empty. */
struct want {
	struct om_nas_msg m;
	const char *f[N_FIELDS];
};

static void hex_into(uint8_t *out, size_t n, const char *hex)
{
	if (om_hex_decode(out, n, hex)) {
		fprintf(stderr, "bad hex in test\n");
		abort();
	}
}

static struct om_nas_msg msg(enum om_nas_kind k)
{
	struct om_nas_msg m = { .kind = k };
	return m;
}

static size_t build(struct want *w, size_t cap)
{
	size_t n = 0;
	struct om_nas_msg m;
	static const struct om_nas_plmn plmn = { "001", "01" };
	static const uint8_t ip[4] = { 10, 45, 0, 2 };

	if (cap >= 19 && om_nas_attach_request_init(&m, IMSI, APN) == 0)
		w[n++] = (struct want){ m, { "0x41", IMSI, [7] = "0xd0", [8] = APN } };

	m = msg(OM_NAS_AUTH_REQUEST);
	m.u.auth_request.ksi = 0;
	hex_into(m.u.auth_request.rand, 16, RAND_HEX);
	hex_into(m.u.auth_request.autn, 16, AUTN_HEX);
	w[n++] = (struct want){ m, { "0x52", NULL, RAND_HEX, AUTN_HEX } };

	m = msg(OM_NAS_AUTH_RESPONSE);
	m.u.auth_response.res_len = 8;
	hex_into(m.u.auth_response.res, 8, RES_HEX);
	w[n++] = (struct want){ m, { "0x53", [4] = RES_HEX } };

	m = msg(OM_NAS_AUTH_FAILURE);
	m.u.auth_failure.cause = OM_NAS_CAUSE_MAC_FAILURE;
	w[n++] = (struct want){ m, { "0x5c", [6] = "20" } };

	m.u.auth_failure.cause = OM_NAS_CAUSE_SYNCH_FAILURE;
	m.u.auth_failure.has_auts = true;
	hex_into(m.u.auth_failure.auts, 14, AUTS_HEX);
	w[n++] = (struct want){ m, { "0x5c", [5] = AUTS_HEX, [6] = "21" } };

	m = msg(OM_NAS_AUTH_FAILURE);
	m.u.auth_failure.cause = OM_NAS_CAUSE_NON_EPS_AUTH_UNACCEPTABLE;
	w[n++] = (struct want){ m, { "0x5c", [6] = "26" } };

	w[n++] = (struct want){ msg(OM_NAS_AUTH_REJECT), { "0x54" } };

	if (om_nas_attach_accept_init(&m, &plmn, 1, APN, ip) == 0) {
		m.u.attach_accept.has_guti = true;
		m.u.attach_accept.guti = (struct om_nas_guti){ plmn, 0x8001, 0x01, 0xc0ffee01 };
		w[n++] = (struct want){ m, { "0x42", [7] = "0xc1", [8] = APN, [9] = "10.45.0.2",
					      [10] = "3237998081" } };
	}

	m = msg(OM_NAS_ATTACH_COMPLETE);
	m.u.attach_complete.ebi = 5;
	w[n++] = (struct want){ m, { "0x43", [7] = "0xc2" } };

	static const struct {
		uint8_t cause;
		const char *text;
	} rejects[] = { { 3, "3" }, { 7, "7" }, { 8, "8" }, { 11, "11" }, { 15, "15" }, { 19, "19" } };
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		m = msg(OM_NAS_ATTACH_REJECT);
		m.u.attach_reject.cause = rejects[i].cause;
		w[n++] = (struct want){ m, { "0x44", [6] = rejects[i].text } };
	}

	m = msg(OM_NAS_DETACH_REQUEST_UE);
	m.u.detach_request_ue.detach_type = 1;
	m.u.detach_request_ue.switch_off = true;
	m.u.detach_request_ue.ksi = 0;
	m.u.detach_request_ue.id.type = OM_NAS_ID_IMSI;
	strcpy(m.u.detach_request_ue.id.imsi, IMSI);
	w[n++] = (struct want){ m, { "0x45", IMSI } };

	m.u.detach_request_ue.switch_off = false;
	m.u.detach_request_ue.id.type = OM_NAS_ID_GUTI;
	m.u.detach_request_ue.id.guti = (struct om_nas_guti){ plmn, 0x8001, 0x01, 0xc0ffee01 };
	w[n++] = (struct want){ m, { "0x45", [10] = "3237998081" } };

	m = msg(OM_NAS_DETACH_REQUEST_NET);
	m.u.detach_request_net.detach_type = 1;
	m.u.detach_request_net.has_cause = true;
	m.u.detach_request_net.cause = OM_NAS_CAUSE_IMPLICITLY_DETACHED;
	w[n++] = (struct want){ m, { "0x45", [6] = "10" } };

	w[n++] = (struct want){ msg(OM_NAS_DETACH_ACCEPT), { "0x46" } };

	m = msg(OM_NAS_SEC_MODE_COMMAND);
	m.u.sec_mode_command = (struct om_nas_sec_mode_command){ 2, 2, 1, { 0xe0, 0xe0 }, 2 };
	w[n++] = (struct want){ m, { "0x5d" } };
	w[n++] = (struct want){ msg(OM_NAS_SEC_MODE_COMPLETE), { "0x5e" } };
	m = msg(OM_NAS_SEC_MODE_REJECT);
	m.u.sec_mode_reject.cause = OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH;
	w[n++] = (struct want){ m, { "0x5f", [6] = "23" } };
	return n;
}

/* Split line at '|' into at most max fields; returns the count. */
static size_t split(char *line, char **out, size_t max)
{
	size_t n = 0;
	out[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == '|') {
			*p = 0;
			out[n++] = p + 1;
		}
	}
	line[strcspn(line, "\n")] = 0;
	if (n)
		out[n - 1][strcspn(out[n - 1], "\n")] = 0;
	return n;
}

/* A fresh capture file (linktype) under $TMPDIR named after prefix: its fd, or -1. */
static int capture_open_as(char *path, size_t cap, const char *prefix, struct om_pcap *pc, uint32_t linktype)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, cap, "%s/%s_XXXXXX", dir && *dir ? dir : "/tmp", prefix);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0)
		CHECK_INT(om_pcap_open_fd(pc, fd, linktype), 0);
	return fd;
}

/* As the VNO writes them: exported PDUs naming the nas-eps dissector (issue 15). */
static int capture_open(char *path, size_t cap, const char *prefix, struct om_pcap *pc)
{
	return capture_open_as(path, cap, prefix, pc, OM_PCAP_LINKTYPE_UPPER_PDU);
}

static int have_tshark(void)
{
	return system("tshark --version >/dev/null 2>&1") == 0;
}

static void tshark_decodes_every_message(void)
{
	static struct want w[32];
	size_t n = build(w, sizeof(w) / sizeof(w[0]));
	CHECK_INT(n, 22);

	char path[256];
	struct om_pcap pc;
	int fd = capture_open(path, sizeof(path), "om_nas_tshark", &pc);
	if (fd < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[OM_NAS_MAX_LEN];
		int len = om_nas_encode(b, sizeof(b), &w[i].m);
		CHECK_MSG(len > 0, "frame %zu (%s): encode %s", i + 1, om_nas_kind_name(w[i].m.kind),
			  om_errname(len));
		if (len > 0)
			CHECK_INT(om_pcap_write_pdu(&pc, 1700000000000000u + i * 1000u, "nas-eps", b, (size_t)len), 0);
	}
	close(fd);

	char cmd[2048];
	int off = snprintf(cmd, sizeof(cmd),
			   "tshark -r '%s' -T fields -E separator='|' -E occurrence=a -E aggregator=, -e frame.number",
			   path);
	for (size_t i = 0; i < N_FIELDS; i++)
		off += snprintf(cmd + off, sizeof(cmd) - (size_t)off, " -e %s", fields[i]);
	snprintf(cmd + off, sizeof(cmd) - (size_t)off, " 2>/dev/null"); /* the running-as-root warning */

	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	char line[4096];
	size_t frames = 0;
	while (fgets(line, sizeof(line), p)) {
		char *got[N_FIELDS + 1];
		size_t nf = split(line, got, N_FIELDS + 1);
		size_t i = (size_t)atoi(got[0]) - 1;
		CHECK_MSG(nf == N_FIELDS + 1 && i < n, "unexpected tshark line: %s", line);
		if (nf != N_FIELDS + 1 || i >= n)
			continue;
		frames++;
		for (size_t k = 0; k < N_FIELDS; k++) {
			const char *want = w[i].f[k] ? w[i].f[k] : "";
			CHECK_MSG(strcmp(got[k + 1], want) == 0, "frame %zu (%s): %s is \"%s\", want \"%s\"",
				  i + 1, om_nas_kind_name(w[i].m.kind), fields[k], got[k + 1], want);
		}
	}
	int st = pclose(p);
	CHECK_MSG(st == 0, "tshark exit status %d", st);
	CHECK_INT(frames, n);
	if (check_failures())
		fprintf(stderr, "capture kept at %s\n", path);
	else
		unlink(path);
}

/* Run cmd (tshark ... -T fields) and return its output in out; the exit status. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	return pclose(p);
}

/*
 * An attach after AKA as the two ends protect it, written to a capture:
 * Security Mode Command (type 3), Security Mode Complete (type 4), Attach
 * Accept and Complete and a Detach Request (type 2). With EEA0 tshark reads
 * each message inside; with 128-EEA2 it reads the header and shows the
 * rest as ciphered, without an expert warning either way.
 */
static void tshark_reads_protected_messages(uint8_t eea)
{
	static const struct om_nas_plmn plmn = { "001", "01" };
	static const uint8_t ip[4] = { 10, 45, 0, 2 };
	uint8_t kasme[OM_KASME_LEN];
	struct om_nas_ctx net, ue;
	memset(&net, 0, sizeof(net));
	memset(&ue, 0, sizeof(ue));
	check_random(kasme, sizeof(kasme));
	CHECK_INT(om_nas_ctx_init(&net, kasme, eea, OM_NAS_EIA2, 1, OM_NAS_SEC_DOWNLINK), 0);
	CHECK_INT(om_nas_ctx_init(&ue, kasme, eea, OM_NAS_EIA2, 1, OM_NAS_SEC_UPLINK), 0);
	struct pframe {
		struct om_nas_msg m;
		uint8_t sht;
		struct om_nas_ctx *by;
		const char *type; /* what tshark must read inside */
	} f[5] = {
		{ msg(OM_NAS_SEC_MODE_COMMAND), OM_NAS_SHT_INT_NEW, &net, "0x5d" },
		{ msg(OM_NAS_SEC_MODE_COMPLETE), OM_NAS_SHT_INT_ENC_NEW, &ue, "0x5e" },
		{ msg(OM_NAS_ATTACH_ACCEPT), OM_NAS_SHT_INT_ENC, &net, "0x42" },
		{ msg(OM_NAS_ATTACH_COMPLETE), OM_NAS_SHT_INT_ENC, &ue, "0x43" },
		{ msg(OM_NAS_DETACH_REQUEST_UE), OM_NAS_SHT_INT_ENC, &ue, "0x45" },
	};
	f[0].m.u.sec_mode_command = (struct om_nas_sec_mode_command){ eea, 2, 1, { 0xe0, 0xe0 }, 2 };
	CHECK_INT(om_nas_attach_accept_init(&f[2].m, &plmn, 1, APN, ip), 0);
	f[3].m.u.attach_complete.ebi = 5;
	f[4].m.u.detach_request_ue.detach_type = 1;
	f[4].m.u.detach_request_ue.ksi = 1;
	f[4].m.u.detach_request_ue.id.type = OM_NAS_ID_IMSI;
	strcpy(f[4].m.u.detach_request_ue.id.imsi, IMSI);

	char path[256], want[2048], got[4096], cmd[1024];
	struct om_pcap pc;
	int fd = capture_open(path, sizeof(path), "om_nas_sec_tshark", &pc);
	if (fd < 0)
		return;
	size_t off = 0;
	for (size_t i = 0; i < 5; i++) {
		uint8_t plain[OM_NAS_MAX_LEN], pdu[OM_NAS_MAX_LEN + OM_NAS_SEC_HDR_LEN];
		int n = om_nas_encode(plain, sizeof(plain), &f[i].m);
		CHECK_MSG(n > 0, "frame %zu: encode %d", i + 1, n);
		if (n <= 0)
			continue;
		int sn = om_nas_protect(f[i].by, pdu, sizeof(pdu), f[i].sht, plain, (size_t)n);
		CHECK(sn > 0);
		if (sn <= 0)
			continue;
		CHECK_INT(om_pcap_write_pdu(&pc, 1700000000000000u + i * 1000u, "nas-eps", pdu, (size_t)sn), 0);
		/* type 3 is never ciphered; the others are readable only with EEA0 */
		bool readable = eea == OM_NAS_EEA0 || f[i].sht == OM_NAS_SHT_INT_NEW;
		off += (size_t)snprintf(want + off, sizeof(want) - off, "%u|0x%02x%02x%02x%02x|%u|%s|%s|%s|\n",
					f[i].sht, pdu[1], pdu[2], pdu[3], pdu[4], pdu[5], readable ? f[i].type : "",
					i == 0 ? (eea ? "2" : "0") : "", i == 0 ? "2" : "");
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -o nas-eps.null_decipher:%s -T fields -E separator='|' -E occurrence=f "
		 "-e nas_eps.security_header_type -e nas_eps.msg_auth_code -e nas_eps.seq_no "
		 "-e nas_eps.nas_msg_emm_type -e nas_eps.emm.toc -e nas_eps.emm.toi -e _ws.expert 2>/dev/null",
		 path, eea == OM_NAS_EEA0 ? "TRUE" : "FALSE");
	CHECK_INT(run(cmd, got, sizeof(got)), 0);
	CHECK_MSG(!strcmp(got, want), "EEA%u capture:\n%s\nwant:\n%s", eea, got, want);
	om_nas_ctx_clear(&net);
	om_nas_ctx_clear(&ue);
	if (check_failures())
		fprintf(stderr, "capture kept at %s\n", path);
	else
		unlink(path);
}

/*
 * `tshark -r FILE -V` with no option decodes the capture as NAS EPS: the
 * record names its dissector. The same message in the old DLT_USER0 form
 * is not decoded without the user DLT table, which is why it changed.
 */
static void decoded_without_settings(void)
{
	static const uint32_t types[] = { OM_PCAP_LINKTYPE_UPPER_PDU, OM_PCAP_LINKTYPE_USER0 };
	struct om_nas_msg m = { .kind = OM_NAS_AUTH_REJECT };
	uint8_t b[OM_NAS_MAX_LEN];
	int len = om_nas_encode(b, sizeof(b), &m);
	CHECK(len > 0);
	for (size_t t = 0; t < 2 && len > 0; t++) {
		char path[256], cmd[512], got[16384];
		struct om_pcap pc;
		int fd = capture_open_as(path, sizeof(path), "om_nas_plain", &pc, types[t]);
		if (fd < 0)
			return;
		if (types[t] == OM_PCAP_LINKTYPE_UPPER_PDU)
			CHECK_INT(om_pcap_write_pdu(&pc, 1700000000000000u, "nas-eps", b, (size_t)len), 0);
		else
			CHECK_INT(om_pcap_write(&pc, 1700000000000000u, b, (size_t)len), 0);
		close(fd);
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -V 2>/dev/null", path);
		CHECK_INT(run(cmd, got, sizeof(got)), 0);
		int nas = strstr(got, "Non-Access-Stratum (NAS)PDU") && strstr(got, "Authentication reject");
		if (t == 0) {
			CHECK_MSG(nas, "exported PDU capture not decoded as NAS:\n%s", got);
			CHECK_MSG(strstr(got, "nas-eps") != NULL, "no dissector name shown:\n%s", got);
		} else {
			CHECK_MSG(!nas, "a DLT_USER0 capture decoded with no setting: the check above proves nothing");
		}
		unlink(path);
	}
}

int main(void)
{
	if (!have_tshark()) {
		CHECK_MSG(0, "tshark not found: install the Debian package tshark (scripts/deps.sh test)");
		return check_done();
	}
	decoded_without_settings();
	tshark_decodes_every_message();
	tshark_reads_protected_messages(OM_NAS_EEA0);
	tshark_reads_protected_messages(OM_NAS_EEA2);
	return check_done();
}
