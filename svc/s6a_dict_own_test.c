/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's own S6a dictionary (s6a_dict_own.c, issue 14): a core that
 * loads no extension gets every S6a object from om_s6a_dict_init, a 3GPP
 * list of 42 AVPs instead of dict_dcca_3gpp's 732, and requests that pass
 * the rules; and each AVP of the table is dict_dcca_3gpp 1.2.1's (code,
 * name, flags sent, base type), so the octets on the wire do not change.
 * One freeDiameter core per process: the first check runs in a child.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "s6a_avp.h"

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
			   "LoadExtension = \"/usr/lib/freeDiameter/dict_dcca_3gpp.fdx\";\n");
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
	CHECK_INT(table, 42);
	CHECK_INT(vendor_avps(OM_S6A_VENDOR_3GPP), 42 + 1); /* and AIR-Flags, which 1.2.1 lacks */

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
		struct dict_avp_request q = { .avp_vendor = OM_S6A_VENDOR_3GPP, .avp_code = t[i].code };
		struct dict_object *o = NULL;
		struct dict_avp_data d;
		int found = !fd_dict_search(fd_g_config->cnf_dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &q, &o, ENOENT) && o &&
			    !fd_dict_getval(o, &d);
		CHECK_MSG(found, "%s (%u) not in dict_dcca_3gpp", t[i].name, (unsigned)t[i].code);
		if (!found)
			continue;
		CHECK_MSG(!strcmp(d.avp_name, t[i].name), "%u: %s, ours %s", (unsigned)t[i].code, d.avp_name, t[i].name);
		CHECK_MSG((d.avp_flag_val & (AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY)) == t[i].flags, "%s: flags 0x%02x, ours 0x%02x",
			  t[i].name, d.avp_flag_val, t[i].flags);
		CHECK_MSG(d.avp_basetype == t[i].type, "%s: type %d, ours %d", t[i].name, d.avp_basetype, t[i].type);
	}
	CHECK(vendor_avps(OM_S6A_VENDOR_3GPP) > 700); /* what the own dictionary spares the lookups */
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (start_core("own.conf", 0) == 0)
			own_dictionary_serves_s6a();
		_exit(check_done() ? 1 : 0);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (start_core("full.conf", 1) == 0)
		table_is_dict_dcca_3gpp();
	rmdir(dir);
	return check_done();
}
