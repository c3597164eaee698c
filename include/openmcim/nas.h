/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAS-EPS messages between the device and the VNO (3GPP TS 24.301).
 *
 * The simulated device and the VNO, which plays the MME, exchange the EPS
 * mobility management (EMM) messages of the attach, authentication, security
 * mode control and detach procedures. This codec reads and writes the plain
 * NAS message (security header type 0, TS 24.301 9.3.1) and refuses any
 * other header type: a security-protected message is opened first by
 * om_nas_unprotect() (nas_sec.h), which hands the plain message inside to
 * this codec. The Attach Request and Attach Accept carry their EPS session
 * management (ESM) message in the ESM message container, decoded here too.
 *
 * One codec for both sides: the device encodes what the VNO decodes with the
 * same functions and vice versa. om_nas_encode() never writes what
 * om_nas_decode() would refuse. Pure code: no I/O, no allocation; every
 * decoded field is copied into the caller's struct om_nas_msg, which holds no
 * pointer into the input.
 *
 * docs/nas.md lists the information elements, the values we fix and the
 * policy for unknown optional IEs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

/* Protocol discriminators, TS 24.007 11.2.3.1.1. */
#define OM_NAS_PD_ESM 0x2
#define OM_NAS_PD_EMM 0x7

/* Message types, TS 24.301 9.8 tables 9.8.1 (EMM) and 9.8.2 (ESM). */
enum om_nas_msg_type {
	OM_NAS_MT_ATTACH_REQUEST = 0x41,
	OM_NAS_MT_ATTACH_ACCEPT = 0x42,
	OM_NAS_MT_ATTACH_COMPLETE = 0x43,
	OM_NAS_MT_ATTACH_REJECT = 0x44,
	OM_NAS_MT_DETACH_REQUEST = 0x45,
	OM_NAS_MT_DETACH_ACCEPT = 0x46,
	OM_NAS_MT_AUTH_REQUEST = 0x52,
	OM_NAS_MT_AUTH_RESPONSE = 0x53,
	OM_NAS_MT_AUTH_REJECT = 0x54,
	OM_NAS_MT_AUTH_FAILURE = 0x5c,
	OM_NAS_MT_SEC_MODE_COMMAND = 0x5d,
	OM_NAS_MT_SEC_MODE_COMPLETE = 0x5e,
	OM_NAS_MT_SEC_MODE_REJECT = 0x5f,
	OM_NAS_MT_ACT_DEFAULT_BEARER_REQUEST = 0xc1,
	OM_NAS_MT_ACT_DEFAULT_BEARER_ACCEPT = 0xc2,
	OM_NAS_MT_PDN_CONNECTIVITY_REQUEST = 0xd0,
};

/*
 * Which message a struct om_nas_msg holds. The two Detach Requests share
 * message type 0x45 and differ by direction (TS 24.301 8.2.11.1, 8.2.11.2).
 */
enum om_nas_kind {
	OM_NAS_ATTACH_REQUEST = 1,  /* 8.2.4, UE to network */
	OM_NAS_ATTACH_ACCEPT,       /* 8.2.1, network to UE */
	OM_NAS_ATTACH_COMPLETE,     /* 8.2.2, UE to network */
	OM_NAS_ATTACH_REJECT,       /* 8.2.3, network to UE */
	OM_NAS_AUTH_REQUEST,        /* 8.2.7, network to UE */
	OM_NAS_AUTH_RESPONSE,       /* 8.2.8, UE to network */
	OM_NAS_AUTH_FAILURE,        /* 8.2.5, UE to network */
	OM_NAS_AUTH_REJECT,         /* 8.2.6, network to UE */
	OM_NAS_DETACH_REQUEST_UE,   /* 8.2.11.1 UE originating, UE to network */
	OM_NAS_DETACH_REQUEST_NET,  /* 8.2.11.2 UE terminated, network to UE */
	OM_NAS_DETACH_ACCEPT,       /* 8.2.10, either direction */
	OM_NAS_SEC_MODE_COMMAND,    /* 8.2.20, network to UE */
	OM_NAS_SEC_MODE_COMPLETE,   /* 8.2.21, UE to network */
	OM_NAS_SEC_MODE_REJECT,     /* 8.2.22, UE to network */
};

/* The direction a message travels: it decides which Detach Request 0x45 is. */
enum om_nas_dir {
	OM_NAS_UPLINK = 1,   /* UE to network: what the VNO decodes */
	OM_NAS_DOWNLINK = 2, /* network to UE: what the device decodes */
};

/* EMM cause values, TS 24.301 9.9.3.9 table 9.9.3.9.1 (those the lab uses). */
enum om_nas_emm_cause {
	OM_NAS_CAUSE_IMSI_UNKNOWN_IN_HSS = 2,
	OM_NAS_CAUSE_ILLEGAL_UE = 3,
	OM_NAS_CAUSE_IMEI_NOT_ACCEPTED = 5,
	OM_NAS_CAUSE_ILLEGAL_ME = 6,
	OM_NAS_CAUSE_EPS_NOT_ALLOWED = 7,
	OM_NAS_CAUSE_EPS_AND_NON_EPS_NOT_ALLOWED = 8,
	OM_NAS_CAUSE_UE_ID_NOT_DERIVED = 9,
	OM_NAS_CAUSE_IMPLICITLY_DETACHED = 10,
	OM_NAS_CAUSE_PLMN_NOT_ALLOWED = 11,
	OM_NAS_CAUSE_TA_NOT_ALLOWED = 12,
	OM_NAS_CAUSE_ROAMING_NOT_ALLOWED_IN_TA = 13,
	OM_NAS_CAUSE_EPS_NOT_ALLOWED_IN_PLMN = 14,
	OM_NAS_CAUSE_NO_SUITABLE_CELLS_IN_TA = 15,
	OM_NAS_CAUSE_NETWORK_FAILURE = 17,
	OM_NAS_CAUSE_ESM_FAILURE = 19,
	OM_NAS_CAUSE_MAC_FAILURE = 20,
	OM_NAS_CAUSE_SYNCH_FAILURE = 21,
	OM_NAS_CAUSE_CONGESTION = 22,
	OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH = 23,
	OM_NAS_CAUSE_SECURITY_MODE_REJECTED = 24,
	OM_NAS_CAUSE_NON_EPS_AUTH_UNACCEPTABLE = 26,
	OM_NAS_CAUSE_SEMANTICALLY_INCORRECT = 95,
	OM_NAS_CAUSE_INVALID_MANDATORY_INFO = 96,
	OM_NAS_CAUSE_MSG_TYPE_NON_EXISTENT = 97,
	OM_NAS_CAUSE_MSG_TYPE_NOT_COMPATIBLE = 98,
	OM_NAS_CAUSE_IE_NON_EXISTENT = 99,
	OM_NAS_CAUSE_CONDITIONAL_IE_ERROR = 100,
	OM_NAS_CAUSE_MSG_NOT_COMPATIBLE = 101,
	OM_NAS_CAUSE_PROTOCOL_ERROR = 111,
};

/* NAS key set identifier (9.9.3.21): bit 4 TSC, bits 3..1 the KSI value. */
#define OM_NAS_KSI_NONE 7 /* "no key is available" (UE) / "reserved" (network) */

#define OM_NAS_IMSI_MAX 15       /* digits, TS 23.003 2.2 */
#define OM_NAS_APN_MAX 100       /* encoded octets, TS 23.003 9.1; also the string's size */
#define OM_NAS_UE_NET_CAP_MAX 13 /* contents of 9.9.3.34 */
#define OM_NAS_UE_SEC_CAP_MIN 2  /* contents of 9.9.3.36: EEA and EIA octets */
#define OM_NAS_UE_SEC_CAP_MAX 5  /* ... then UEA, UIA, GEA */
#define OM_NAS_RES_MIN 4         /* 9.9.3.4 */
#define OM_NAS_RES_MAX 16
#define OM_NAS_RAND_LEN 16       /* 9.9.3.3 -> TS 24.008 10.5.3.1 */
#define OM_NAS_AUTN_LEN 16       /* 9.9.3.2 -> TS 24.008 10.5.3.1.1 */
#define OM_NAS_AUTS_LEN 14       /* 9.9.3.1 -> TS 24.008 10.5.3.2.2 */

/* The largest message om_nas_encode() writes; a buffer this size always fits. */
#define OM_NAS_MAX_LEN 320

/* A PLMN identity as decimal digit strings (TS 24.008 10.5.1.3). */
struct om_nas_plmn {
	char mcc[4]; /* 3 digits */
	char mnc[4]; /* 2 or 3 digits */
};

/* Globally unique temporary identity (TS 23.003 2.8; 9.9.3.12). */
struct om_nas_guti {
	struct om_nas_plmn plmn;
	uint16_t mme_group_id;
	uint8_t mme_code;
	uint32_t m_tmsi;
};

/* Type of identity in the EPS mobile identity, 9.9.3.12. */
enum om_nas_id_type {
	OM_NAS_ID_IMSI = 1,
	OM_NAS_ID_GUTI = 6,
};

/* EPS mobile identity (9.9.3.12): an IMSI or a GUTI. */
struct om_nas_eps_id {
	enum om_nas_id_type type;
	char imsi[OM_NAS_IMSI_MAX + 1]; /* 6..15 digits, when type is IMSI */
	struct om_nas_guti guti;        /* when type is GUTI */
};

/* Tracking area identity, 9.9.3.32. */
struct om_nas_tai {
	struct om_nas_plmn plmn;
	uint16_t tac;
};

/* PDN CONNECTIVITY REQUEST (8.3.20), in the Attach Request's ESM container. */
struct om_nas_pdn_connectivity_request {
	uint8_t pti;               /* procedure transaction identity 1..254 (9.4) */
	uint8_t pdn_type;          /* 9.9.4.10: 1 IPv4, 2 IPv6, 3 IPv4v6 */
	uint8_t request_type;      /* 9.9.4.14: 1 initial request */
	bool esm_info_transfer;    /* 9.9.4.5: the APN follows in ESM information */
	char apn[OM_NAS_APN_MAX];  /* "foo.bar", "" when absent (9.9.4.1) */
};

/* ACTIVATE DEFAULT EPS BEARER CONTEXT REQUEST (8.3.6), in the Attach Accept. */
struct om_nas_default_bearer_request {
	uint8_t ebi;              /* EPS bearer identity 5..15 (9.3.2) */
	uint8_t pti;              /* the PDN connectivity request's PTI */
	uint8_t qci;              /* EPS quality of service (9.9.4.3) */
	char apn[OM_NAS_APN_MAX]; /* access point name (9.9.4.1), not empty */
	uint8_t pdn_type;         /* PDN address (9.9.4.9): 1 IPv4, 2 IPv6, 3 IPv4v6 */
	uint8_t ipv4[4];          /* when pdn_type is 1 or 3 */
	uint8_t ipv6_iid[8];      /* interface identifier, when pdn_type is 2 or 3 */
};

struct om_nas_attach_request {
	uint8_t attach_type;   /* 9.9.3.11: 1 EPS attach, 2 combined, 6 emergency */
	uint8_t ksi;           /* 9.9.3.21, OM_NAS_KSI_NONE on first attach */
	struct om_nas_eps_id id;
	uint8_t ue_net_cap[OM_NAS_UE_NET_CAP_MAX]; /* 9.9.3.34 contents */
	uint8_t ue_net_cap_len;                    /* 2..13 */
	struct om_nas_pdn_connectivity_request pdn;
};

struct om_nas_attach_accept {
	uint8_t attach_result; /* 9.9.3.10: 1 EPS only, 2 combined */
	uint8_t t3412;         /* GPRS timer octet (9.9.3.16): unit bits 8..6, value 5..1 */
	struct om_nas_tai tai; /* the TAI list (9.9.3.33) holds this one TAI; decode: the first */
	bool has_guti;
	struct om_nas_guti guti; /* IEI 0x50 */
	struct om_nas_default_bearer_request bearer;
};

/* ESM container: ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT (8.3.4) for ebi. */
struct om_nas_attach_complete {
	uint8_t ebi;
};

struct om_nas_attach_reject {
	uint8_t cause; /* enum om_nas_emm_cause */
};

struct om_nas_auth_request {
	uint8_t ksi; /* KSI_ASME the keys will be stored under, 0..6 */
	uint8_t rand[OM_NAS_RAND_LEN];
	uint8_t autn[OM_NAS_AUTN_LEN];
};

struct om_nas_auth_response {
	uint8_t res[OM_NAS_RES_MAX];
	uint8_t res_len; /* 4..16 */
};

struct om_nas_auth_failure {
	uint8_t cause; /* #20 MAC failure, #21 synch failure, #26 non-EPS auth unacceptable */
	bool has_auts; /* present if and only if cause is #21 (8.2.5.2) */
	uint8_t auts[OM_NAS_AUTS_LEN];
};

struct om_nas_detach_request_ue {
	uint8_t detach_type; /* 9.9.3.7: 1 EPS detach, 2 IMSI detach, 3 combined */
	bool switch_off;
	uint8_t ksi;
	struct om_nas_eps_id id;
};

struct om_nas_detach_request_net {
	uint8_t detach_type; /* 9.9.3.7: 1 re-attach required, 2 not required, 3 IMSI detach */
	bool has_cause;
	uint8_t cause; /* IEI 0x53 */
};

/* SECURITY MODE COMMAND (8.2.20). */
struct om_nas_sec_mode_command {
	uint8_t eea; /* selected NAS security algorithms (9.9.3.23): ciphering, 0..7 */
	uint8_t eia; /* integrity, 0..7 */
	uint8_t ksi; /* NAS key set identifier (9.9.3.21) of the context, 0..15 */
	uint8_t ue_sec_cap[OM_NAS_UE_SEC_CAP_MAX]; /* replayed UE security capabilities (9.9.3.36) */
	uint8_t ue_sec_cap_len;                     /* 2..5 */
};

struct om_nas_sec_mode_reject {
	uint8_t cause; /* #23 UE security capabilities mismatch, #24 security mode rejected */
};

/* One decoded or to-be-encoded message: kind says which member is valid. */
struct om_nas_msg {
	enum om_nas_kind kind;
	union {
		struct om_nas_attach_request attach_request;
		struct om_nas_attach_accept attach_accept;
		struct om_nas_attach_complete attach_complete;
		struct om_nas_attach_reject attach_reject;
		struct om_nas_auth_request auth_request;
		struct om_nas_auth_response auth_response;
		struct om_nas_auth_failure auth_failure;
		struct om_nas_detach_request_ue detach_request_ue;
		struct om_nas_detach_request_net detach_request_net;
		struct om_nas_sec_mode_command sec_mode_command;
		struct om_nas_sec_mode_reject sec_mode_reject;
	} u; /* Authentication Reject, Detach Accept and Security Mode Complete: no IE kept */
};

/*
 * Decode one plain NAS EMM message that travelled in direction dir.
 * On success returns 0 and fills *m; the whole input is consumed (unknown
 * optional IEs are skipped, see docs/nas.md). On failure *m is zeroed and the
 * return is one of:
 *   OM_ENAS_TRUNCATED      the input ends inside the header or an IE
 *   OM_ENAS_PD             not EPS mobility management (or not ESM inside the
 *                          ESM message container)
 *   OM_ENAS_SECURITY       security header type is not 0 (plain NAS: a
 *                          protected one goes through om_nas_unprotect())
 *   OM_ENAS_MSG_TYPE       message type not implemented here
 *   OM_ENAS_DIRECTION      message not defined in direction dir
 *   OM_ENAS_IE_LENGTH      an IE's length is outside its clause's range
 *   OM_ENAS_IDENTITY       EPS mobile identity not a valid IMSI or GUTI
 *   OM_ENAS_MISSING_IE     a mandatory (or the #21 AUTS conditional) IE is absent
 *   OM_ENAS_COMPREHENSION  an unknown IE is encoded as comprehension required
 *   OM_ENAS_TRAILING       the octets after the mandatory part are not whole IEs
 *   OM_ENAS_APN            an access point name is malformed
 *   OM_ENAS_ESM            the ESM container holds another ESM message, or a
 *                          bad EPS bearer identity or PTI
 *   OM_ENAS_VALUE          a field holds a reserved value
 *   OM_ENAS_CONDITIONAL    AUTS present with a cause other than #21
 *   OM_EINVAL              m or in is NULL, or dir is not a direction
 */
OM_NODISCARD int om_nas_decode(struct om_nas_msg *m, enum om_nas_dir dir, const uint8_t *in, size_t len);

/*
 * Encode m as a plain NAS message into out (cap octets; OM_NAS_MAX_LEN is
 * always enough). Returns the length written, OM_ENOSPC, OM_EINVAL (unknown
 * kind, a field too wide for its bits), or the OM_ENAS_* code the decoder
 * would give for the same content (OM_ENAS_IDENTITY for a bad IMSI,
 * OM_ENAS_APN, OM_ENAS_IE_LENGTH for a RES or UE network capability length,
 * OM_ENAS_MISSING_IE / OM_ENAS_CONDITIONAL for AUTS against the cause,
 * OM_ENAS_VALUE for a reserved value).
 */
OM_NODISCARD int om_nas_encode(uint8_t *out, size_t cap, const struct om_nas_msg *m);

/*
 * Fill m with the Attach Request our device sends (values in docs/nas.md):
 * EPS attach, no key (KSI 7), the IMSI, the fixed UE network capability and a
 * PDN connectivity request (PTI 1, IPv4, initial request) for apn, or for no
 * APN when apn is NULL or "". Returns 0, OM_ENAS_IDENTITY (imsi is not 6..15
 * decimal digits) or OM_ENAS_APN.
 */
OM_NODISCARD int om_nas_attach_request_init(struct om_nas_msg *m, const char *imsi, const char *apn);

/*
 * Fill m with the Attach Accept our VNO sends: EPS only, T3412 54 minutes,
 * a one-TAI list (plmn, TAC 1), default bearer EBI 5 with QCI 9 for apn and
 * the IPv4 address, answering the PDN connectivity request's pti. Returns 0,
 * OM_ENAS_VALUE (plmn not 3 + 2..3 digits) or OM_ENAS_APN (empty or malformed).
 */
OM_NODISCARD int om_nas_attach_accept_init(struct om_nas_msg *m, const struct om_nas_plmn *plmn, uint8_t pti,
					   const char *apn, const uint8_t ipv4[static 4]);

/* The UE network capability our device advertises (9.9.3.34); len 2. */
extern const uint8_t om_nas_ue_net_cap_default[2];

/* "Attach request", ...; "unknown" for a value outside enum om_nas_kind. */
const char *om_nas_kind_name(int kind);

/* The 9.9.3.9 name of an EMM cause, "PLMN not allowed"; "unknown" otherwise. */
const char *om_nas_emm_cause_name(int cause);
