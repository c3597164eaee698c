/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's own S6a dictionary (s6a_dict_own.c, issue 14). In a core with
 * the extensions: each AVP of the table is dict_dcca_3gpp 1.2.1's (or
 * dict_mip6i's) (code, name, flags sent, base type), so the octets on the
 * wire do not change; and the AVPs an HSS may send are listed: every 3GPP
 * AVP of TS 29.272's range, the other specs' AVPs that 29.272 names, closed
 * over the extensions' rules of grouped AVPs. In a core without extensions:
 * each listed AVP is defined (else an HSS's answer carrying it with the M
 * bit is refused), every S6a object is there, the 3GPP list is short, a ULR
 * passes the rules and a ULA with a full Subscription-Data parses.
 * One freeDiameter core per process: each runs in a child.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "s6a_avp.h"

#define VM (AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY)

static char dir[] = "/tmp/om_s6a_dict_own_test_XXXXXX";

static int start_core(const char *name, int extensions)
{
	char path[256], err[256] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "Identity = \"mme.test.lab\";\nRealm = \"test.lab\";\nSecPort = 0;\nNo_SCTP;\n");
	if (extensions)
		fprintf(f, "LoadExtension = \"/usr/lib/freeDiameter/dict_nasreq.fdx\";\n"
			   "LoadExtension = \"/usr/lib/freeDiameter/dict_dcca.fdx\";\n"
			   "LoadExtension = \"/usr/lib/freeDiameter/dict_dcca_3gpp.fdx\";\n"
			   "LoadExtension = \"/usr/lib/freeDiameter/dict_rfc5777.fdx\";\n"
			   "LoadExtension = \"/usr/lib/freeDiameter/dict_mip6i.fdx\";\n");
	fclose(f);
	int rc = om_s6a_core_init(path, err, sizeof(err));
	CHECK_MSG(rc == 0, "%s", err);
	unlink(path);
	return rc;
}

static unsigned vendor_avps(vendor_id_t vendor)
{
	unsigned n = 0;
	for (uint32_t c = 0; c < 5000; c++) {
		struct dict_avp_request q = { .avp_vendor = vendor, .avp_code = c };
		struct dict_object *o = NULL;
		n += !fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &q, &o, ENOENT) && o;
	}
	return n;
}

/* In a core without extensions: everything S6a uses is there, the 3GPP list is short, a ULR passes. */
static void own_dictionary_serves_s6a(void)
{
	struct dict_object **h = (struct dict_object **)&om_s6a_d;
	size_t n = sizeof(om_s6a_d) / sizeof(*h), table;
	for (size_t i = 0; i < n; i++)
		CHECK_MSG(h[i] != NULL, "om_s6a_d handle %zu", i);
	om_s6a_dict_own_table(&table);
	CHECK_INT(table, 178);
	CHECK_INT(vendor_avps(OM_S6A_VENDOR_3GPP), 174 + 1); /* 4 are of vendor 0; and AIR-Flags, which 1.2.1 lacks */

	/* A ULR with its grouped AVPs, bufferized, parsed back and checked against the rules. */
	struct msg *m = NULL, *back = NULL;
	uint8_t plmn[3] = { 0x00, 0xf1, 0x10 }, *buf = NULL;
	size_t len = 0;
	struct fd_pei pei;
	CHECK_INT(om_s6a_new_request(om_s6a_d.ulr, "x.lab", "001010000000001", &m), 0);
	CHECK_INT(om_avp_add_i32(m, om_s6a_d.rat_type, OM_S6A_RAT_EUTRAN), 0);
	CHECK_INT(om_avp_add_u32(m, om_s6a_d.ulr_flags, OM_S6A_ULR_S6A_INDICATOR), 0);
	CHECK_INT(om_avp_add_os(m, om_s6a_d.visited_plmn, plmn, 3), 0);
	CHECK_INT(fd_msg_bufferize(m, &buf, &len), 0);
	CHECK_INT(fd_msg_parse_buffer(&buf, len, &back), 0);
	CHECK_INT(fd_msg_parse_rules(back, fd_g_config->cnf_dict, &pei), 0);
	fd_msg_free(m);
	/* an AIA's vector, nested three deep */
	struct avp *info = NULL, *vec = NULL;
	uint8_t x[16] = { 1 };
	CHECK_INT(om_s6a_new_request(om_s6a_d.air, "x.lab", "001010000000001", &m), 0);
	CHECK_INT(om_avp_add_group(m, om_s6a_d.auth_info, &info), 0);
	CHECK_INT(om_avp_add_group(info, om_s6a_d.eutran_vector, &vec), 0);
	CHECK_INT(om_avp_add_os(vec, om_s6a_d.rand, x, 16), 0);
	CHECK_INT(om_avp_add_os(vec, om_s6a_d.kasme, x, 16), 0);
	fd_msg_free(back);
	back = NULL;
	buf = NULL;
	CHECK_INT(fd_msg_bufferize(m, &buf, &len), 0);
	CHECK_INT(fd_msg_parse_buffer(&buf, len, &back), 0);
	CHECK_INT(fd_msg_parse_dict(back, fd_g_config->cnf_dict, &pei), 0);
	struct avp *a = NULL;
	struct avp_hdr *ah = NULL;
	CHECK_INT(fd_msg_search_avp(back, om_s6a_d.auth_info, &a), 0);
	CHECK(a && !fd_msg_avp_hdr(a, &ah) && ah->avp_code == 1413 && ah->avp_vendor == OM_S6A_VENDOR_3GPP &&
	      ah->avp_flags == (AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY));
	fd_msg_free(back);
	fd_msg_free(m);
}

/* In a core with dict_dcca_3gpp: each entry of our table is that extension's. */
static void table_is_dict_dcca_3gpp(void)
{
	size_t n;
	const struct om_s6a_own_avp *t = om_s6a_dict_own_table(&n);
	for (size_t i = 0; i < n; i++) {
		vendor_id_t v = (t[i].flags & AVP_FLAG_VENDOR) ? OM_S6A_VENDOR_3GPP : 0;
		struct dict_avp_request q = { .avp_vendor = v, .avp_code = t[i].code };
		struct dict_object *o = NULL;
		struct dict_avp_data d;
		if (i > 0)
			CHECK_MSG(t[i - 1].code < t[i].code, "%s: not sorted by code", t[i].name);
		int found = !fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &q, &o, ENOENT) && o &&
			    !fd_dict_getval(o, &d);
		CHECK_MSG(found, "%s (%u, vendor %u) not in the extensions", t[i].name, (unsigned)t[i].code, (unsigned)v);
		if (!found)
			continue;
		CHECK_MSG(!strcmp(d.avp_name, t[i].name), "%u: %s, ours %s", (unsigned)t[i].code, d.avp_name, t[i].name);
		CHECK_MSG((d.avp_flag_val & (AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY)) == t[i].flags, "%s: flags 0x%02x, ours 0x%02x",
			  t[i].name, d.avp_flag_val, t[i].flags);
		/* the one entry where the extension is wrong: SS-Status is one octet (TS 29.272, 29.002) */
		enum dict_avp_basetype want = t[i].code == 1477 && d.avp_basetype == AVP_TYPE_GROUPED ? AVP_TYPE_OCTETSTRING
												: d.avp_basetype;
		CHECK_MSG(want == t[i].type, "%s: type %d, ours %d", t[i].name, want, t[i].type);
	}
	CHECK(vendor_avps(OM_S6A_VENDOR_3GPP) > 700); /* what the own dictionary spares the lookups */
}

/*
 * The AVPs of other specs that TS 29.272's messages and grouped AVPs name
 * (7.2, 7.3), which the extensions define. 29.272's own are its range.
 */
static const struct {
	vendor_id_t vendor;
	uint32_t code;
} other_specs[] = {
	{ OM_S6A_VENDOR_3GPP, 13 },   /* 3GPP-Charging-Characteristics (29.061): Subscription-Data, APN-Configuration, PDP-Context */
	{ OM_S6A_VENDOR_3GPP, 515 },  /* Max-Requested-Bandwidth-DL (29.214): AMBR */
	{ OM_S6A_VENDOR_3GPP, 516 },  /* Max-Requested-Bandwidth-UL */
	{ OM_S6A_VENDOR_3GPP, 600 },  /* Visited-Network-Identifier (29.229): APN-Configuration, Specific-APN-Info */
	{ OM_S6A_VENDOR_3GPP, 625 },  /* Confidentiality-Key (29.229): UTRAN-Vector */
	{ OM_S6A_VENDOR_3GPP, 626 },  /* Integrity-Key */
	{ OM_S6A_VENDOR_3GPP, 628 },  /* Supported-Features (29.229): every S6a command */
	{ OM_S6A_VENDOR_3GPP, 629 },  /* Feature-List-ID */
	{ OM_S6A_VENDOR_3GPP, 630 },  /* Feature-List */
	{ OM_S6A_VENDOR_3GPP, 701 },  /* MSISDN (29.329): Subscription-Data */
	{ OM_S6A_VENDOR_3GPP, 848 },  /* Served-Party-IP-Address (32.299): APN-Configuration */
	{ OM_S6A_VENDOR_3GPP, 1028 }, /* QoS-Class-Identifier (29.212): EPS-Subscribed-QoS-Profile */
	{ OM_S6A_VENDOR_3GPP, 1032 }, /* RAT-Type (29.212): ULR, IDA */
	{ OM_S6A_VENDOR_3GPP, 1034 }, /* Allocation-Retention-Priority (29.212) */
	{ OM_S6A_VENDOR_3GPP, 1227 }, /* PDP-Address (32.299): PDP-Context */
	{ OM_S6A_VENDOR_3GPP, 2317 }, /* CSG-Access-Mode (32.299): User-CSG-Information */
	{ OM_S6A_VENDOR_3GPP, 2318 }, /* CSG-Membership-Indication */
	{ OM_S6A_VENDOR_3GPP, 2319 }, /* User-CSG-Information (32.299): MME-Location-Information */
	{ 0, 125 },                   /* MIP6-Home-Link-Prefix (RFC 5447): MIP6-Agent-Info */
	{ 0, 334 },                   /* MIP-Home-Agent-Address (RFC 4004) */
	{ 0, 348 },                   /* MIP-Home-Agent-Host (RFC 4004) */
	{ 0, 486 },                   /* MIP6-Agent-Info (RFC 5447): APN-Configuration, Specific-APN-Info */
	{ 0, 493 },                   /* Service-Selection (RFC 5778): APN-Configuration (s6a_dict.c adds it) */
};

#define REQ_MAX 1024
static struct dict_object *req[REQ_MAX];
static size_t nreq;

static void require(struct dict_object *o)
{
	for (size_t i = 0; i < nreq; i++)
		if (req[i] == o)
			return;
	CHECK(nreq < REQ_MAX);
	if (nreq < REQ_MAX)
		req[nreq++] = o;
}

static struct dict_object *avp_of(vendor_id_t vendor, uint32_t code)
{
	struct dict_avp_request q = { .avp_vendor = vendor, .avp_code = code };
	struct dict_object *o = NULL;
	if (fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &q, &o, ENOENT))
		return NULL;
	return o;
}

/*
 * In a core with the extensions: what an HSS may send, written to path as
 * "vendor code name" lines: every 3GPP AVP of 29.272's range (1400-1799),
 * other_specs, the table, and every AVP that a rule of one of those
 * grouped AVPs names, recursively.
 */
static void write_required(const char *path)
{
	struct dict_object *vendor = NULL;
	vendor_id_t vid = OM_S6A_VENDOR_3GPP;
	struct fd_list *sentinel = NULL;
	CHECK_INT(fd_dict_search(fd_g_config->cnf_dict, DICT_VENDOR, VENDOR_BY_ID, &vid, &vendor, ENOENT), 0);
	CHECK_INT(fd_dict_getlistof(AVP_BY_CODE, vendor, &sentinel), 0);
	size_t range = 0;
	for (struct fd_list *li = sentinel ? sentinel->next : NULL; li && li != sentinel; li = li->next) {
		struct dict_avp_data d;
		if (li->o != om_s6a_d.air_flags && /* s6a_dict.c's, which 1.2.1 lacks */
		    !fd_dict_getval(li->o, &d) && d.avp_code >= 1400 && d.avp_code < 1800) {
			require(li->o);
			range++;
		}
	}
	CHECK_INT(range, 153); /* dict_dcca_3gpp 1.2.1: 1400-1662 */
	for (size_t i = 0; i < sizeof(other_specs) / sizeof(other_specs[0]); i++) {
		struct dict_object *o = avp_of(other_specs[i].vendor, other_specs[i].code);
		CHECK_MSG(o != NULL, "%u (vendor %u) not in the extensions", (unsigned)other_specs[i].code,
			  (unsigned)other_specs[i].vendor);
		if (o)
			require(o);
	}
	size_t n;
	const struct om_s6a_own_avp *t = om_s6a_dict_own_table(&n);
	for (size_t i = 0; i < n; i++) {
		struct dict_object *o = avp_of((t[i].flags & AVP_FLAG_VENDOR) ? OM_S6A_VENDOR_3GPP : 0, t[i].code);
		if (o)
			require(o);
	}
	size_t rules = 0;
	for (size_t i = 0; i < nreq; i++) { /* nreq grows: the closure */
		struct dict_avp_data d;
		if (fd_dict_getval(req[i], &d) || d.avp_basetype != AVP_TYPE_GROUPED)
			continue;
		CHECK_INT(fd_dict_getlistof(RULE_BY_AVP_AND_PARENT, req[i], &sentinel), 0);
		for (struct fd_list *li = sentinel->next; li != sentinel; li = li->next) {
			struct dict_rule_data r;
			if (!fd_dict_getval(li->o, &r)) {
				require(r.rule_avp);
				rules++;
			}
		}
	}
	CHECK(rules >= 3 + 3 + 2); /* Allocation-Retention-Priority, MIP6-Agent-Info, MIP-Home-Agent-Host */
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	for (size_t i = 0; f && i < nreq; i++) {
		struct dict_avp_data d;
		if (!fd_dict_getval(req[i], &d))
			fprintf(f, "%u %u %s\n", (unsigned)d.avp_vendor, (unsigned)d.avp_code, d.avp_name);
	}
	if (f)
		CHECK_INT(fclose(f), 0);
}

/* In a core without extensions: each AVP that write_required listed is defined, the 3GPP ones by our table. */
static void own_core_has_required(const char *path)
{
	size_t n, lines = 0;
	const struct om_s6a_own_avp *t = om_s6a_dict_own_table(&n);
	unsigned vendor, code;
	char name[128];
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fscanf(f, "%u %u %127s", &vendor, &code, name) == 3) {
		lines++;
		struct dict_object *o = avp_of(vendor, code);
		CHECK_MSG(o != NULL, "%s (%u, vendor %u) undefined without the extensions", name, code, vendor);
		if (vendor != OM_S6A_VENDOR_3GPP)
			continue;
		size_t i = 0;
		while (i < n && !(t[i].code == code && (t[i].flags & AVP_FLAG_VENDOR)))
			i++;
		CHECK_MSG(i < n, "%s (%u) missing from s6a_dict_own.c", name, code);
	}
	if (f)
		fclose(f);
	CHECK(lines >= 153);
}

/* A raw AVP at b + *off; a grouped one gets its length from group_end. Returns the header's offset. */
static size_t put_avp(uint8_t *b, size_t *off, uint32_t code, uint8_t flags, const void *data, size_t len)
{
	size_t at = *off, hdr = (flags & AVP_FLAG_VENDOR) ? 12 : 8, total = hdr + len;
	b[at] = code >> 24, b[at + 1] = code >> 16, b[at + 2] = code >> 8, b[at + 3] = code;
	b[at + 4] = flags;
	b[at + 5] = total >> 16, b[at + 6] = total >> 8, b[at + 7] = total;
	if (flags & AVP_FLAG_VENDOR) {
		uint32_t v = OM_S6A_VENDOR_3GPP;
		b[at + 8] = v >> 24, b[at + 9] = v >> 16, b[at + 10] = v >> 8, b[at + 11] = v;
	}
	if (len)
		memcpy(b + at + hdr, data, len);
	*off = at + ((total + 3) & ~(size_t)3);
	return at;
}

static void group_end(uint8_t *b, size_t at, size_t off)
{
	size_t total = off - at;
	b[at + 5] = total >> 16, b[at + 6] = total >> 8, b[at + 7] = total;
}

static void put_u32(uint8_t *b, size_t *off, uint32_t code, uint8_t flags, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };
	put_avp(b, off, code, flags, x, 4);
}

/*
 * In a core without extensions: a ULA as an HSS such as Open5GS's sends it,
 * with a Subscription-Data that carries MSISDN, Access-Restriction-Data,
 * Subscribed-Periodic-RAU-TAU-Timer, 3GPP-Charging-Characteristics, a
 * Call-Barring-Info with its one-octet SS-Status (TS 29.272), and an
 * APN-Configuration with Served-Party-IP-Address, PDN-GW-Allocation-Type,
 * VPLMN-Dynamic-Address-Allowed and MIP6-Agent-Info, parses and passes the
 * rules (on the 42-AVP table: DIAMETER_AVP_UNSUPPORTED at MSISDN).
 */
static void full_ula_parses(void)
{
	static uint8_t b[1024];
	size_t off = 20;
	const uint8_t msisdn[] = { 0x21, 0x43, 0x65, 0x87 }, ip[] = { 0, 1, 10, 45, 0, 2 }, ha[] = { 0, 1, 10, 45, 0, 1 };
	const char *sid = "hss.test.lab;1;2", *apn = "internet", *cc = "0800";
	memset(b, 0, sizeof(b));
	put_avp(b, &off, 263, AVP_FLAG_MANDATORY, sid, strlen(sid));
	put_u32(b, &off, 277, AVP_FLAG_MANDATORY, 1);
	put_avp(b, &off, 264, AVP_FLAG_MANDATORY, "hss.test.lab", 12);
	put_avp(b, &off, 296, AVP_FLAG_MANDATORY, "test.lab", 8);
	put_u32(b, &off, 268, AVP_FLAG_MANDATORY, 2001);
	put_u32(b, &off, 1406, VM, 1); /* ULA-Flags */
	size_t sub = put_avp(b, &off, 1400, VM, NULL, 0);
	put_avp(b, &off, 701, VM, msisdn, sizeof(msisdn));
	put_u32(b, &off, 1424, VM, 0);                                    /* Subscriber-Status */
	put_u32(b, &off, 1426, VM, 0x20);                                 /* Access-Restriction-Data */
	put_avp(b, &off, 13, VM, cc, strlen(cc));                         /* 3GPP-Charging-Characteristics */
	put_u32(b, &off, 1619, AVP_FLAG_VENDOR, 540);                     /* Subscribed-Periodic-RAU-TAU-Timer */
	size_t cbi = put_avp(b, &off, 1488, VM, NULL, 0);                 /* Call-Barring-Info */
	put_avp(b, &off, 1476, VM, "\x92", 1);                           /* SS-Code: BAOC */
	put_avp(b, &off, 1477, VM, "\x05", 1);                           /* SS-Status: one octet */
	group_end(b, cbi, off);
	size_t ambr = put_avp(b, &off, 1435, VM, NULL, 0);
	put_u32(b, &off, 516, VM, 1000000);
	put_u32(b, &off, 515, VM, 2000000);
	group_end(b, ambr, off);
	size_t prof = put_avp(b, &off, 1429, VM, NULL, 0);
	put_u32(b, &off, 1423, VM, 1);
	put_u32(b, &off, 1428, VM, 0);
	size_t conf = put_avp(b, &off, 1430, VM, NULL, 0);
	put_u32(b, &off, 1423, VM, 1);
	put_avp(b, &off, 848, VM, ip, sizeof(ip));                        /* Served-Party-IP-Address */
	put_u32(b, &off, 1456, VM, 0);                                    /* PDN-Type */
	put_avp(b, &off, 493, AVP_FLAG_MANDATORY, apn, strlen(apn));      /* Service-Selection */
	put_u32(b, &off, 1438, VM, 0);                                    /* PDN-GW-Allocation-Type */
	put_u32(b, &off, 1432, VM, 0);                                    /* VPLMN-Dynamic-Address-Allowed */
	size_t mip = put_avp(b, &off, 486, AVP_FLAG_MANDATORY, NULL, 0); /* MIP6-Agent-Info */
	put_avp(b, &off, 334, AVP_FLAG_MANDATORY, ha, sizeof(ha));
	group_end(b, mip, off);
	size_t qos = put_avp(b, &off, 1431, VM, NULL, 0);
	put_u32(b, &off, 1028, VM, 9);
	size_t arp = put_avp(b, &off, 1034, AVP_FLAG_VENDOR, NULL, 0);
	put_u32(b, &off, 1046, AVP_FLAG_VENDOR, 8);
	group_end(b, arp, off);
	group_end(b, qos, off);
	group_end(b, conf, off);
	group_end(b, prof, off);
	group_end(b, sub, off);
	uint32_t app = OM_S6A_APP_ID;
	b[0] = 1, b[1] = off >> 16, b[2] = off >> 8, b[3] = off;
	b[4] = CMD_FLAG_PROXIABLE, b[5] = 0, b[6] = 316 >> 8, b[7] = 316 & 0xff;
	b[8] = app >> 24, b[9] = app >> 16, b[10] = app >> 8, b[11] = app;
	b[15] = 7, b[19] = 9;

	uint8_t *buf = malloc(off); /* fd_msg_parse_buffer keeps it */
	CHECK(buf != NULL);
	if (!buf)
		return;
	memcpy(buf, b, off);
	struct msg *m = NULL;
	struct fd_pei pei;
	memset(&pei, 0, sizeof(pei));
	CHECK_INT(fd_msg_parse_buffer(&buf, off, &m), 0);
	if (!m)
		return;
	int rc = fd_msg_parse_dict(m, fd_g_config->cnf_dict, &pei);
	CHECK_MSG(rc == 0, "parse_dict %d: %s", rc, pei.pei_errcode ? pei.pei_errcode : "");
	memset(&pei, 0, sizeof(pei));
	rc = fd_msg_parse_rules(m, fd_g_config->cnf_dict, &pei);
	CHECK_MSG(rc == 0, "parse_rules %d: %s", rc, pei.pei_errcode ? pei.pei_errcode : "");
	struct avp *a = NULL;
	CHECK_INT(fd_msg_search_avp(m, om_s6a_d.sub_data, &a), 0);
	fd_msg_free(m);
}

int main(void)
{
	char required[sizeof(dir) + 16];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(required, sizeof(required), "%s/required", dir);
	int st = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (start_core("full.conf", 1) == 0) {
			table_is_dict_dcca_3gpp();
			write_required(required);
		}
		_exit(check_done() ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (start_core("own.conf", 0) == 0) {
			own_dictionary_serves_s6a();
			own_core_has_required(required);
			full_ula_parses();
		}
		_exit(check_done() ? 1 : 0);
	}
	st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(required);
	rmdir(dir);
	return check_done();
}
