/* SPDX-License-Identifier: Apache-2.0 */
/* Names of NAS message kinds and EMM causes, for logs and the CLI. */
#include <stddef.h>

#include <openmcim/nas.h>

const char *om_nas_kind_name(int kind)
{
	static const char *const names[] = {
		[OM_NAS_ATTACH_REQUEST] = "Attach request",
		[OM_NAS_ATTACH_ACCEPT] = "Attach accept",
		[OM_NAS_ATTACH_COMPLETE] = "Attach complete",
		[OM_NAS_ATTACH_REJECT] = "Attach reject",
		[OM_NAS_AUTH_REQUEST] = "Authentication request",
		[OM_NAS_AUTH_RESPONSE] = "Authentication response",
		[OM_NAS_AUTH_FAILURE] = "Authentication failure",
		[OM_NAS_AUTH_REJECT] = "Authentication reject",
		[OM_NAS_DETACH_REQUEST_UE] = "Detach request (UE originating)",
		[OM_NAS_DETACH_REQUEST_NET] = "Detach request (UE terminated)",
		[OM_NAS_DETACH_ACCEPT] = "Detach accept",
		[OM_NAS_SEC_MODE_COMMAND] = "Security mode command",
		[OM_NAS_SEC_MODE_COMPLETE] = "Security mode complete",
		[OM_NAS_SEC_MODE_REJECT] = "Security mode reject",
	};
	if (kind < 0 || (size_t)kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
		return "unknown";
	return names[kind];
}

/* TS 24.301 9.9.3.9, table 9.9.3.9.1. */
static const struct {
	int cause;
	const char *name;
} causes[] = {
	{ OM_NAS_CAUSE_IMSI_UNKNOWN_IN_HSS, "IMSI unknown in HSS" },
	{ OM_NAS_CAUSE_ILLEGAL_UE, "Illegal UE" },
	{ OM_NAS_CAUSE_IMEI_NOT_ACCEPTED, "IMEI not accepted" },
	{ OM_NAS_CAUSE_ILLEGAL_ME, "Illegal ME" },
	{ OM_NAS_CAUSE_EPS_NOT_ALLOWED, "EPS services not allowed" },
	{ OM_NAS_CAUSE_EPS_AND_NON_EPS_NOT_ALLOWED, "EPS services and non-EPS services not allowed" },
	{ OM_NAS_CAUSE_UE_ID_NOT_DERIVED, "UE identity cannot be derived by the network" },
	{ OM_NAS_CAUSE_IMPLICITLY_DETACHED, "Implicitly detached" },
	{ OM_NAS_CAUSE_PLMN_NOT_ALLOWED, "PLMN not allowed" },
	{ OM_NAS_CAUSE_TA_NOT_ALLOWED, "Tracking area not allowed" },
	{ OM_NAS_CAUSE_ROAMING_NOT_ALLOWED_IN_TA, "Roaming not allowed in this tracking area" },
	{ OM_NAS_CAUSE_EPS_NOT_ALLOWED_IN_PLMN, "EPS services not allowed in this PLMN" },
	{ OM_NAS_CAUSE_NO_SUITABLE_CELLS_IN_TA, "No suitable cells in tracking area" },
	{ OM_NAS_CAUSE_NETWORK_FAILURE, "Network failure" },
	{ OM_NAS_CAUSE_ESM_FAILURE, "ESM failure" },
	{ OM_NAS_CAUSE_MAC_FAILURE, "MAC failure" },
	{ OM_NAS_CAUSE_SYNCH_FAILURE, "Synch failure" },
	{ OM_NAS_CAUSE_CONGESTION, "Congestion" },
	{ OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH, "UE security capabilities mismatch" },
	{ OM_NAS_CAUSE_SECURITY_MODE_REJECTED, "Security mode rejected, unspecified" },
	{ OM_NAS_CAUSE_NON_EPS_AUTH_UNACCEPTABLE, "Non-EPS authentication unacceptable" },
	{ OM_NAS_CAUSE_SEMANTICALLY_INCORRECT, "Semantically incorrect message" },
	{ OM_NAS_CAUSE_INVALID_MANDATORY_INFO, "Invalid mandatory information" },
	{ OM_NAS_CAUSE_MSG_TYPE_NON_EXISTENT, "Message type non-existent or not implemented" },
	{ OM_NAS_CAUSE_MSG_TYPE_NOT_COMPATIBLE, "Message type not compatible with the protocol state" },
	{ OM_NAS_CAUSE_IE_NON_EXISTENT, "Information element non-existent or not implemented" },
	{ OM_NAS_CAUSE_CONDITIONAL_IE_ERROR, "Conditional IE error" },
	{ OM_NAS_CAUSE_MSG_NOT_COMPATIBLE, "Message not compatible with the protocol state" },
	{ OM_NAS_CAUSE_PROTOCOL_ERROR, "Protocol error, unspecified" },
};

const char *om_nas_emm_cause_name(int cause)
{
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (causes[i].cause == cause)
			return causes[i].name;
	return "unknown";
}
