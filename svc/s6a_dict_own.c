/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S6a AVPs of vendor 3GPP, defined by us (issue 14), for a freeDiameter
 * that loads no dictionary extension: the VNO's (om_s6a_fdconf.dicts_own).
 *
 * freeDiameter looks every AVP of a received message up by code in one
 * list per vendor, walked in code order. With dict_dcca_3gpp loaded the
 * 3GPP list holds 732 AVPs, and the S6a codes (1400-1700) sit past most of
 * them: the walks were 8.8 % of the VNO's CPU in provision_bench (perf,
 * DWARF), its largest user-space item. Without the extensions the 3GPP list
 * holds the 174 below (and AIR-Flags) and the base protocol's 49.
 *
 * Each entry is the extension's own (code, flags, base type), so what we
 * send is the same octets either way; s6a_dict_own_test holds the table
 * against the extensions and fails if it lacks an AVP of 29.272's range or
 * of the closure below. Enumerated AVPs are their base type (Integer32):
 * their names of values only served freeDiameter's dumps. An AVP that an
 * HSS sends and the table lacks is refused by freeDiameter's parser if its
 * M bit is set (RFC 6733 DIAMETER_AVP_UNSUPPORTED, the call ends as no
 * answer, #17), as it is by a core with the extensions: both lack the
 * AVPs that 1.2.1 does not define (29.272's from 1663 on, 29.336's).
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
#define M AVP_FLAG_MANDATORY

/*
 * Generated once (issue 14) from the installed dict_dcca_3gpp 1.2.1 (with
 * dict_rfc5777 and dict_mip6i for the last four of vendor 0), sorted by code:
 * - every 3GPP AVP it defines in TS 29.272's range, 1400-1662 (Rel-11; the
 *   later ones, 1663 on, are not in 1.2.1);
 * - the AVPs of other specs that 29.272's messages and grouped AVPs name:
 *   3GPP-Charging-Characteristics, Visited-Network-Identifier,
 *   Supported-Features and its two, MSISDN, Served-Party-IP-Address,
 *   PDP-Address, User-CSG-Information and its two, the QoS and AKA ones;
 *   of vendor 0 MIP6-Agent-Info and its three (RFC 5447, RFC 4004);
 *   Service-Selection is s6a_dict.c's;
 * - closed over the rules that those extensions give grouped AVPs.
 * An entry without the V flag is of vendor 0. s6a_dict_own_test fails if
 * one of these is missing or differs from the extensions, but for one entry
 * where 1.2.1 is wrong: SS-Status (1477) is an OctetString of one octet in
 * TS 29.272 (29.002's ss-Status), Grouped in 1.2.1, which refused any
 * Call-Barring-Info or LCS-Info that carried it.
 */
static const struct om_s6a_own_avp own[] = {
	{ "3GPP-Charging-Characteristics", 13, VM, OS },
	{ "MIP6-Home-Link-Prefix", 125, M, OS },
	{ "MIP-Home-Agent-Address", 334, M, OS },
	{ "MIP-Home-Agent-Host", 348, M, G },
	{ "MIP6-Agent-Info", 486, M, G },
	{ "Max-Requested-Bandwidth-DL", 515, VM, U32 },
	{ "Max-Requested-Bandwidth-UL", 516, VM, U32 },
	{ "Visited-Network-Identifier", 600, VM, OS },
	{ "Confidentiality-Key", 625, VM, OS },
	{ "Integrity-Key", 626, VM, OS },
	{ "Supported-Features", 628, V, G },
	{ "Feature-List-ID", 629, V, U32 },
	{ "Feature-List", 630, V, U32 },
	{ "MSISDN", 701, VM, OS },
	{ "Served-Party-IP-Address", 848, VM, OS },
	{ "QoS-Class-Identifier", 1028, VM, I32 },
	{ "RAT-Type", 1032, V, I32 },
	{ "Allocation-Retention-Priority", 1034, V, G },
	{ "Priority-Level", 1046, V, U32 },
	{ "Pre-emption-Capability", 1047, V, I32 },
	{ "Pre-emption-Vulnerability", 1048, V, I32 },
	{ "PDP-Address", 1227, VM, OS },
	{ "Subscription-Data", 1400, VM, G },
	{ "Terminal-Information", 1401, VM, G },
	{ "IMEI", 1402, VM, OS },
	{ "Software-Version", 1403, VM, OS },
	{ "QoS-Subscribed", 1404, VM, OS },
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
	{ "GERAN-Vector", 1416, VM, G },
	{ "Network-Access-Mode", 1417, VM, I32 },
	{ "HPLMN-ODB", 1418, VM, U32 },
	{ "Item-Number", 1419, VM, U32 },
	{ "Cancellation-Type", 1420, VM, I32 },
	{ "DSR-Flags", 1421, VM, U32 },
	{ "DSA-Flags", 1422, VM, U32 },
	{ "Context-Identifier", 1423, VM, U32 },
	{ "Subscriber-Status", 1424, VM, I32 },
	{ "Operator-Determined-Barring", 1425, VM, U32 },
	{ "Access-Restriction-Data", 1426, VM, U32 },
	{ "APN-OI-Replacement", 1427, VM, OS },
	{ "All-APN-Configurations-Included-Indicator", 1428, VM, I32 },
	{ "APN-Configuration-Profile", 1429, VM, G },
	{ "APN-Configuration", 1430, VM, G },
	{ "EPS-Subscribed-QoS-Profile", 1431, VM, G },
	{ "VPLMN-Dynamic-Address-Allowed", 1432, VM, I32 },
	{ "STN-SR", 1433, VM, OS },
	{ "Alert-Reason", 1434, VM, I32 },
	{ "AMBR", 1435, VM, G },
	{ "CSG-Subscription-Data", 1436, VM, G },
	{ "CSG-Id", 1437, VM, U32 },
	{ "PDN-GW-Allocation-Type", 1438, VM, I32 },
	{ "Expiration-Date", 1439, VM, OS },
	{ "RAT-Frequency-Selection-Priority-ID", 1440, VM, U32 },
	{ "IDA-Flags", 1441, VM, U32 },
	{ "PUA-Flags", 1442, VM, U32 },
	{ "NOR-Flags", 1443, VM, U32 },
	{ "User-Id", 1444, V, OS },
	{ "Equipment-Status", 1445, VM, I32 },
	{ "Regional-Subscription-Zone-Code", 1446, VM, OS },
	{ "RAND", 1447, VM, OS },
	{ "XRES", 1448, VM, OS },
	{ "AUTN", 1449, VM, OS },
	{ "KASME", 1450, VM, OS },
	{ "Trace-Collection-Entity", 1452, VM, OS },
	{ "Kc", 1453, VM, OS },
	{ "SRES", 1454, VM, OS },
	{ "PDN-Type", 1456, VM, I32 },
	{ "Roaming-Restricted-Due-To-Unsupported-Feature", 1457, VM, I32 },
	{ "Trace-Data", 1458, VM, G },
	{ "Trace-Reference", 1459, VM, OS },
	{ "Trace-Depth", 1462, VM, I32 },
	{ "Trace-NE-Type-List", 1463, VM, OS },
	{ "Trace-Interface-List", 1464, VM, OS },
	{ "Trace-Event-List", 1465, VM, OS },
	{ "OMC-Id", 1466, VM, OS },
	{ "GPRS-Subscription-Data", 1467, VM, G },
	{ "Complete-Data-List-Included-Indicator", 1468, VM, I32 },
	{ "PDP-Context", 1469, VM, G },
	{ "PDP-Type", 1470, VM, OS },
	{ "3GPP2-MEID", 1471, VM, OS },
	{ "Specific-APN-Info", 1472, VM, G },
	{ "LCS-Info", 1473, VM, G },
	{ "GMLC-Number", 1474, VM, OS },
	{ "LCS-PrivacyException", 1475, VM, G },
	{ "SS-Code", 1476, VM, OS },
	{ "SS-Status", 1477, VM, OS }, /* TS 29.272: OctetString (29.002 ss-Status); 1.2.1 has Grouped */
	{ "Notification-To-UE-User", 1478, VM, I32 },
	{ "External-Client", 1479, VM, G },
	{ "Client-Identity", 1480, VM, OS },
	{ "GMLC-Restriction", 1481, VM, I32 },
	{ "PLMN-Client", 1482, VM, I32 },
	{ "Service-Type", 1483, VM, G },
	{ "ServiceTypeIdentity", 1484, VM, U32 },
	{ "MO-LR", 1485, VM, G },
	{ "Teleservice-List", 1486, VM, G },
	{ "TS-Code", 1487, VM, OS },
	{ "Call-Barring-Infor-List", 1488, VM, G },
	{ "SGSN-Number", 1489, VM, OS },
	{ "IDR-Flags", 1490, VM, U32 },
	{ "ICS-Indicator", 1491, V, I32 },
	{ "IMS-Voice-Over-PS-Sessions-Supported", 1492, V, I32 },
	{ "Homogeneous-Support-of-IMS-Voice-Over-PS-Sessions", 1493, V, I32 },
	{ "Last-UE-Activity-Time", 1494, V, OS },
	{ "EPS-User-State", 1495, V, G },
	{ "EPS-Location-Information", 1496, V, G },
	{ "MME-User-State", 1497, V, G },
	{ "SGSN-User-State", 1498, V, G },
	{ "User-State", 1499, V, I32 },
	{ "MME-LocationInformation", 1600, V, G },
	{ "SGSN-Location-Information", 1601, V, G },
	{ "E-UTRAN-Cell-Global-Identity", 1602, V, OS },
	{ "Tracking-Area-Identity", 1603, V, OS },
	{ "Cell-Global-Identity", 1604, V, OS },
	{ "Routing-Area-Identity", 1605, V, OS },
	{ "Location-Area-Identity", 1606, V, OS },
	{ "Service-Area-Identity", 1607, V, OS },
	{ "Geographical-Information", 1608, V, OS },
	{ "Geodetic-Information", 1609, V, OS },
	{ "Current-Location-Retrieved", 1610, V, I32 },
	{ "Age-Of-Location-Information", 1611, V, U32 },
	{ "Active-APN", 1612, V, G },
	{ "SIPTO-Permission", 1613, V, I32 },
	{ "Error-Diagnostic", 1614, V, I32 },
	{ "UE-SRVCC-Capability", 1615, V, I32 },
	{ "MPS-Priority", 1616, V, U32 },
	{ "VPLMN-LIPA-Allowed", 1617, V, I32 },
	{ "LIPA-Permission", 1618, V, I32 },
	{ "Subscribed-Periodic-RAU-TAU-Timer", 1619, V, U32 },
	{ "Ext-PDP-Type", 1620, V, OS },
	{ "Ext-PDP-Address", 1621, V, OS },
	{ "MDT-Configuration", 1622, V, G },
	{ "Job-Type", 1623, V, I32 },
	{ "Area-Scope", 1624, V, G },
	{ "List-Of-Measurements", 1625, V, U32 },
	{ "Reporting-Trigger", 1626, V, U32 },
	{ "Report-Interval", 1627, V, I32 },
	{ "Report-Amount", 1628, V, I32 },
	{ "Event-Threshold-RSRP", 1629, V, U32 },
	{ "Event-Threshold-RSRQ", 1630, V, U32 },
	{ "Logging-Interval", 1631, V, I32 },
	{ "Logging-Duration", 1632, V, I32 },
	{ "Relay-Node-Indicator", 1633, V, I32 },
	{ "MDT-User-Consent", 1634, V, I32 },
	{ "PUR-Flags", 1635, V, U32 },
	{ "Subscribed-VSRVCC", 1636, V, I32 },
	{ "Equivalent-PLMN-List", 1637, V, G },
	{ "CLR-Flags", 1638, V, U32 },
	{ "UVR-Flags", 1639, VM, U32 },
	{ "UVA-Flags", 1640, VM, U32 },
	{ "VPLMN-CSG-Subscription-Data", 1641, VM, G },
	{ "Time-Zone", 1642, V, OS },
	{ "A-MSISDN", 1643, V, OS },
	{ "MME-Number-for-MT-SMS", 1645, V, OS },
	{ "SMS-Register-Request", 1648, V, I32 },
	{ "Local-Time-Zone", 1649, V, G },
	{ "Daylight-Saving-Time", 1650, V, I32 },
	{ "Subscription-Data-Flags", 1654, V, U32 },
	{ "Measurement-Period-UMTS", 1655, V, I32 },
	{ "Measurement-Period-LTE", 1656, V, I32 },
	{ "Collection-Period-RRM-LTE", 1657, V, I32 },
	{ "Collection-Period-RRM-UMTS", 1658, V, I32 },
	{ "Positioning-Method", 1659, V, OS },
	{ "Measurement-Quantity", 1660, V, OS },
	{ "Event-Threshold-Event-1F", 1661, V, I32 },
	{ "Event-Threshold-Event-1I", 1662, V, I32 },
	{ "CSG-Access-Mode", 2317, VM, I32 },
	{ "CSG-Membership-Indication", 2318, VM, I32 },
	{ "User-CSG-Information", 2319, VM, G },
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
		vendor_id_t v = (own[i].flags & AVP_FLAG_VENDOR) ? OM_S6A_VENDOR_3GPP : 0;
		struct dict_avp_request q = { .avp_vendor = v, .avp_code = own[i].code };
		if (!fd_dict_search(dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &q, &o, ENOENT) && o)
			continue; /* a freeDiameter that has it keeps its own */
		struct dict_avp_data d = { own[i].code, v, (char *)own[i].name,
					   AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY, own[i].flags, own[i].type };
		if (fd_dict_new(dict, DICT_AVP, &d, NULL, NULL))
			return -1;
	}
	return 0;
}
