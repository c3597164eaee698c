/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S6a AVPs of vendor 3GPP, defined by us (issue 14), for a freeDiameter
 * that loads no dictionary extension: the VNO's (om_s6a_fdconf.dicts_own).
 *
 * freeDiameter looks every AVP of a received message up by code in one
 * list per vendor, walked in code order. With dict_dcca_3gpp loaded the
 * 3GPP list holds 732 AVPs, and the S6a codes (1400-1700) sit past most of
 * them: the walks were 8.8 % of the VNO's CPU in provision_bench (perf,
 * DWARF), its largest user-space item. Without the
 * extensions the list holds the 42 below and the base protocol's 49.
 *
 * Each entry is dict_dcca_3gpp 1.2.1's own (code, flags, base type),
 * so what we send is the same octets either way; s6a_dict_own_test holds
 * the table against that extension. Enumerated AVPs are their base type
 * (Integer32): their names of values only served freeDiameter's dumps.
 * What the table lacks is unknown to a VNO that uses it: an answer with
 * an unknown AVP whose M bit is set is refused by freeDiameter's parser
 * (RFC 6733 DIAMETER_AVP_UNSUPPORTED) and the call ends as no answer (#17).
 */
#include <errno.h>
#include <string.h>

#include "s6a_avp.h"

#define VM (AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY)
#define V AVP_FLAG_VENDOR
#define G AVP_TYPE_GROUPED
#define OS AVP_TYPE_OCTETSTRING
#define I32 AVP_TYPE_INTEGER32
#define U32 AVP_TYPE_UNSIGNED32

/* TS 29.272 7.3 (and TS 29.212, 29.214 for the QoS ones), as dict_dcca_3gpp 1.2.1 has them. */
static const struct om_s6a_own_avp own[] = {
	{ "Subscription-Data", 1400, VM, G },
	{ "ULR-Flags", 1405, VM, U32 },
	{ "ULA-Flags", 1406, VM, U32 },
	{ "Visited-PLMN-Id", 1407, VM, OS },
	{ "Requested-EUTRAN-Authentication-Info", 1408, VM, G },
	{ "Requested-UTRAN-GERAN-Authentication-Info", 1409, VM, G },
	{ "Number-Of-Requested-Vectors", 1410, VM, U32 },
	{ "Re-Synchronization-Info", 1411, VM, OS },
	{ "Immediate-Response-Preferred", 1412, VM, U32 },
	{ "Authentication-Info", 1413, VM, G },
	{ "E-UTRAN-Vector", 1414, VM, G },
	{ "UTRAN-Vector", 1415, VM, G },
	{ "Network-Access-Mode", 1417, VM, I32 },
	{ "Item-Number", 1419, VM, U32 },
	{ "Cancellation-Type", 1420, VM, I32 },
	{ "Context-Identifier", 1423, VM, U32 },
	{ "Subscriber-Status", 1424, VM, I32 },
	{ "All-APN-Configurations-Included-Indicator", 1428, VM, I32 },
	{ "APN-Configuration-Profile", 1429, VM, G },
	{ "APN-Configuration", 1430, VM, G },
	{ "EPS-Subscribed-QoS-Profile", 1431, VM, G },
	{ "AMBR", 1435, VM, G },
	{ "IDA-Flags", 1441, VM, U32 },
	{ "PUA-Flags", 1442, VM, U32 },
	{ "RAND", 1447, VM, OS },
	{ "XRES", 1448, VM, OS },
	{ "AUTN", 1449, VM, OS },
	{ "KASME", 1450, VM, OS },
	{ "PDN-Type", 1456, VM, I32 },
	{ "IDR-Flags", 1490, VM, U32 },
	{ "PUR-Flags", 1635, V, U32 },
	{ "CLR-Flags", 1638, V, U32 },
	{ "Confidentiality-Key", 625, VM, OS },
	{ "Integrity-Key", 626, VM, OS },
	{ "Max-Requested-Bandwidth-DL", 515, VM, U32 },
	{ "Max-Requested-Bandwidth-UL", 516, VM, U32 },
	{ "QoS-Class-Identifier", 1028, VM, I32 },
	{ "RAT-Type", 1032, V, I32 },
	{ "Allocation-Retention-Priority", 1034, V, G },
	{ "Priority-Level", 1046, V, U32 },
	{ "Pre-emption-Capability", 1047, V, I32 },
	{ "Pre-emption-Vulnerability", 1048, V, I32 },
};

const struct om_s6a_own_avp *om_s6a_dict_own_table(size_t *n)
{
	*n = sizeof(own) / sizeof(own[0]);
	return own;
}

int om_s6a_dict_own(struct dictionary *dict)
{
	struct dict_object *vendor = NULL;
	vendor_id_t vid = OM_S6A_VENDOR_3GPP;
	if (fd_dict_search(dict, DICT_VENDOR, VENDOR_BY_ID, &vid, &vendor, ENOENT) || !vendor) {
		struct dict_vendor_data v = { OM_S6A_VENDOR_3GPP, "3GPP" };
		if (fd_dict_new(dict, DICT_VENDOR, &v, NULL, &vendor))
			return -1;
	}
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		struct dict_object *o = NULL;
		struct dict_avp_request q = { .avp_vendor = OM_S6A_VENDOR_3GPP, .avp_code = own[i].code };
		if (!fd_dict_search(dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &q, &o, ENOENT) && o)
			continue; /* a freeDiameter that has it keeps its own */
		struct dict_avp_data d = { own[i].code, OM_S6A_VENDOR_3GPP, (char *)own[i].name,
					   AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY, own[i].flags, own[i].type };
		if (fd_dict_new(dict, DICT_AVP, &d, NULL, NULL))
			return -1;
	}
	return 0;
}
