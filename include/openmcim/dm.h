/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SyncML DM 1.2 in its XML form (application/vnd.syncml.dm+xml): the one
 * codec the DPF (DM server) and the device agent (DM client) both use for
 * B.2.3.4, and the OMA DM Security 1.2 credentials (syncml:auth-basic,
 * syncml:auth-md5, the x-syncml-hmac header). See docs/dm.md.
 *
 * The message model is a caller-owned struct with fixed bounds. Strings and
 * data are pointers: when the caller builds a message they point at the
 * caller's memory; om_dm_parse() points them into one arena it allocates,
 * released by om_dm_msg_free(). Item data is always the value itself: for
 * Format b64 the raw bytes (the codec does the base64), for chr/int the text.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define OM_DM_CONTENT_TYPE "application/vnd.syncml.dm+xml"
#define OM_DM_NS "SYNCML:SYNCML1.2"
#define OM_DM_METINF_NS "syncml:metinf"

#define OM_DM_MSG_MAX 65536  /* largest message we parse (bytes of XML) */
#define OM_DM_CMDS_MAX 32    /* commands in one SyncBody */
#define OM_DM_ITEMS_MAX 16   /* Items in one command */
#define OM_DM_DATA_MAX 16384 /* one Item's Data, after base64 decoding */
#define OM_DM_STR_MAX 1024   /* any other text value (LocURI, SessionID, Type) */

/* The management objects of B.2.3.4 (docs/dm.md, "Management objects"). */
#define OM_DM_URI_M2MMOBJ "./M2MMobj"
#define OM_DM_URI_M2MMCIMMOBJ "./M2MMCIMMobj"
#define OM_DM_TYPE_M2MMOBJ "org.3gpp.tr33812.M2MMobj"
#define OM_DM_TYPE_M2MMCIMMOBJ "org.3gpp.tr33812.M2MMCIMMobj"
/* Generic Alert (1226) item with the device's outcome after the MCIM install: "active" or "fallback" (docs/dm.md) */
#define OM_DM_TYPE_MCIM_OUTCOME "org.openmcim.mcim-outcome"

/* Alert codes (OMA DM Protocol 1.2, research 1.1). */
enum {
	OM_DM_ALERT_SERVER_INITIATED = 1200,
	OM_DM_ALERT_CLIENT_INITIATED = 1201,
	OM_DM_ALERT_NEXT_MESSAGE = 1222,
	OM_DM_ALERT_SESSION_ABORT = 1223,
	OM_DM_ALERT_GENERIC = 1226,
};

/* Status codes we use (OMA-TS-SyncML-RepPro 1.2.2 section 10). */
enum {
	OM_DM_STATUS_OK = 200,
	OM_DM_STATUS_AUTH_ACCEPTED = 212,
	OM_DM_STATUS_UNAUTHORIZED = 401,
	OM_DM_STATUS_NOT_FOUND = 404,
	OM_DM_STATUS_MISSING_CRED = 407,
	OM_DM_STATUS_NOT_SUPPORTED = 406,
	OM_DM_STATUS_FORBIDDEN = 403,
	OM_DM_STATUS_FAILED = 500,
	OM_DM_STATUS_UNAVAILABLE = 503,
};

enum om_dm_cmd_type {
	OM_DM_CMD_ALERT = 1,
	OM_DM_CMD_ADD,
	OM_DM_CMD_REPLACE,
	OM_DM_CMD_DELETE,
	OM_DM_CMD_GET,
	OM_DM_CMD_EXEC,
	OM_DM_CMD_RESULTS,
	OM_DM_CMD_STATUS,
};

/* Meta/Format of an Item. NONE: no Format element (the default, chr). */
enum om_dm_format {
	OM_DM_FMT_NONE = 0,
	OM_DM_FMT_CHR,
	OM_DM_FMT_B64,
	OM_DM_FMT_INT,
	OM_DM_FMT_NODE,
};

/* Meta/Type of a Cred or a Chal. */
enum om_dm_auth {
	OM_DM_AUTH_NONE = 0,
	OM_DM_AUTH_BASIC, /* syncml:auth-basic */
	OM_DM_AUTH_MD5,   /* syncml:auth-md5 */
};

struct om_dm_item {
	const char *target;   /* Target/LocURI, or NULL */
	const char *source;   /* Source/LocURI, or NULL */
	const char *type;     /* Meta/Type (a MIME type or alert type), or NULL */
	enum om_dm_format format;
	const uint8_t *data;  /* NULL: no Data element */
	size_t data_len;
};

struct om_dm_cmd {
	enum om_dm_cmd_type type;
	uint32_t cmd_id;      /* 1.. within the message */
	/* Alert: the alert code; Status: the status code (both in <Data>) */
	unsigned code;
	/* Status and Results: what they answer */
	uint32_t msg_ref;     /* the peer's MsgID (Results: 0 when absent) */
	uint32_t cmd_ref;     /* the peer's CmdID, 0 for its SyncHdr */
	const char *ref_cmd;  /* Status/Cmd: "SyncHdr", "Alert", "Get", ... */
	const char *target_ref, *source_ref; /* Status: optional */
	/* Status/Chal: a challenge for the next message */
	enum om_dm_auth chal;
	const uint8_t *next_nonce; /* raw bytes (b64 on the wire) */
	size_t next_nonce_len;
	size_t n_items;
	struct om_dm_item items[OM_DM_ITEMS_MAX];
};

struct om_dm_hdr {
	const char *session_id;
	uint32_t msg_id;
	const char *target;     /* Target/LocURI: server URL or device id */
	const char *source;     /* Source/LocURI */
	const char *source_name;/* Source/LocName (the auth user name), or NULL */
	const char *resp_uri;   /* RespURI (server to client), or NULL */
	enum om_dm_auth cred;   /* NONE: no Cred element */
	const char *cred_data;  /* Cred/Data as sent: base64 text */
	uint32_t max_msg_size;  /* Meta/MaxMsgSize, 0 when absent */
	uint32_t max_obj_size;  /* Meta/MaxObjSize, 0 when absent */
};

struct om_dm_msg {
	struct om_dm_hdr hdr;
	size_t n_cmds;
	struct om_dm_cmd cmds[OM_DM_CMDS_MAX];
	int final;              /* <Final/> ends the package */
	void *arena;            /* om_dm_parse()'s copy of every value */
};

/*
 * Start a message: zeroes m (about 40 KiB: keep it off small stacks) and sets
 * the SyncHdr fields every message has. The strings must outlive m.
 */
void om_dm_msg_init(struct om_dm_msg *m, const char *session_id, uint32_t msg_id, const char *target,
		    const char *source);

/* Append a command with the next CmdID; NULL when OM_DM_CMDS_MAX are there. */
struct om_dm_cmd *om_dm_add_cmd(struct om_dm_msg *m, enum om_dm_cmd_type type);

/*
 * Append a Status for the peer's command ref_cmd (cmd_ref 0 and "SyncHdr":
 * its header) of its message msg_ref; NULL when OM_DM_CMDS_MAX are there.
 */
struct om_dm_cmd *om_dm_add_status(struct om_dm_msg *m, uint32_t msg_ref, uint32_t cmd_ref, const char *ref_cmd,
				   unsigned code);

/* Append an Item to c; NULL when OM_DM_ITEMS_MAX are there. */
struct om_dm_item *om_dm_add_item(struct om_dm_cmd *c);

/* Release what om_dm_parse() allocated; m may then be reused. */
void om_dm_msg_free(struct om_dm_msg *m);

/*
 * Write m as one XML document into out. Elements follow the SyncML 1.2 DTD
 * order, MetInf elements carry xmlns="syncml:metinf", no whitespace between
 * elements. Returns the length written, OM_ENOSPC, OM_EINVAL (a required
 * field missing, a count or data length beyond its bound), or OM_EDM_VALUE
 * (a text that XML cannot carry: control characters, invalid UTF-8; send such
 * bytes with Format b64).
 */
OM_NODISCARD int om_dm_encode(const struct om_dm_msg *m, uint8_t *out, size_t cap);

/*
 * Parse one SyncML DM 1.2 message (bytes from the network). Strict: no
 * entities, no internal subset, nothing fetched (XML_PARSE_NONET); the one
 * DOCTYPE accepted is SyncML's public identifier (1.2 or 1.1) without an
 * internal subset, never resolved. Bounded sizes and counts,
 * the DTD's element order, every required element present. On success m
 * holds the message and an arena: call om_dm_msg_free(). On failure m is
 * left empty (nothing to free).
 * Returns 0, OM_EINVAL, OM_ENOMEM, OM_EDM_XML, OM_EDM_DTD, OM_EDM_TOO_LONG,
 * OM_EDM_STRUCTURE, OM_EDM_MISSING, OM_EDM_DUPLICATE, OM_EDM_VERDTD,
 * OM_EDM_VERPROTO, OM_EDM_TOO_MANY, OM_EDM_BASE64, OM_EDM_VALUE,
 * OM_EDM_COMMAND, OM_EDM_AUTH_TYPE.
 */
OM_NODISCARD int om_dm_parse(const uint8_t *xml, size_t len, struct om_dm_msg *m);

/*
 * The SyncHdr alone of a SyncML 1.2 or 1.1 message whose VerDTD or
 * VerProto om_dm_parse() refused, with the same safety rules, so that a
 * server can answer with a SyncHdr Status (505, SyncML RepPro 1.2 10.3)
 * instead of dropping it. The body is not read. Same returns and contract
 * as om_dm_parse(), without OM_EDM_VERDTD / OM_EDM_VERPROTO.
 */
OM_NODISCARD int om_dm_parse_hdr(const uint8_t *xml, size_t len, struct om_dm_msg *m);

/*
 * The device's identifier, its DevInfo/DevId and SyncHdr Source/LocURI:
 * a TRE has no IMEI, so it is the RFC 4122 (4.3) name-based URN
 * "urn:uuid:<UUID v5>" of the TRE_id in the namespace OM_DM_DEV_ID_NS (the
 * project's UUID, docs/pki.md "OID arc"): one identifier, stable for the
 * device, in the URN form DM servers take as a device id. Returns 0,
 * OM_EINVAL (tre_id NULL or empty) or OM_ECRYPTO.
 */
#define OM_DM_DEV_ID_NS "c3e5fe26-8063-4544-a838-0f29b2d374a8"
#define OM_DM_DEV_ID_LEN 45 /* "urn:uuid:" and 36 characters */
OM_NODISCARD int om_dm_dev_id(const char *tre_id, char out[static OM_DM_DEV_ID_LEN + 1]);

/*
 * A SessionID as OMA DM 1.2 has it: the 16-bit session id of the
 * notification (OMA DM Notification 1.2, the sessionid field), written in
 * upper-case hexadecimal without leading zeros, 1 to 4 characters (what
 * deployed clients and MS-MDM's at most 4 bytes expect). 0 is written as 1.
 */
#define OM_DM_SESSION_ID_LEN 4
void om_dm_session_id(uint16_t v, char out[static OM_DM_SESSION_ID_LEN + 1]);

/* The element name of a command ("Alert", "Replace"...), as Status/Cmd names it. */
const char *om_dm_cmd_name(enum om_dm_cmd_type type);

/* ---- authentication (OMA DM Security 1.2; research 1.4) ------------------ */

/* The base64 of an MD5 digest: 24 characters. */
#define OM_DM_B64_MD5_LEN 24

/*
 * syncml:auth-basic: B64(user ":" pass) into out (NUL-terminated).
 * Returns the length, OM_EINVAL or OM_ENOSPC.
 */
OM_NODISCARD int om_dm_auth_basic(const char *user, const char *pass, char *out, size_t cap);

/* The inner digest B64(MD5(user ":" pass)). Returns 0, OM_EINVAL or OM_ECRYPTO. */
OM_NODISCARD int om_dm_md5_inner(const char *user, const char *pass,
				 char out[static OM_DM_B64_MD5_LEN + 1]);

/*
 * The outer step with the inner digest supplied by the caller:
 * B64(MD5(inner ":" nonce)). This is what om_tre_dm_digest() computes inside
 * the TRE, so a server holding only the inner digest and a device whose TRE
 * holds the password get the same value. nonce is raw bytes (the decoded
 * NextNonce). Returns 0, OM_EINVAL or OM_ECRYPTO.
 */
OM_NODISCARD int om_dm_md5_digest(const char inner[static OM_DM_B64_MD5_LEN + 1], const uint8_t *nonce,
				  size_t nonce_len, char out[static OM_DM_B64_MD5_LEN + 1]);

/* syncml:auth-md5 Cred/Data from the password: B64(MD5(B64(MD5(user ":" pass)) ":" nonce)). */
OM_NODISCARD int om_dm_md5_cred(const char *user, const char *pass, const uint8_t *nonce, size_t nonce_len,
				char out[static OM_DM_B64_MD5_LEN + 1]);

/*
 * The HMAC's split form. mac = B64(MD5(inner ":" nonce ":" B64(MD5(body)))),
 * which is the outer step applied to the "nonce" nonce ":" B64(MD5(body)).
 * This writes that string into out, to be given as the nonce to
 * om_tre_dm_digest() (device) or om_dm_md5_digest() (server). body is the
 * exact bytes on the wire. Returns its length (nonce_len + 25), OM_EINVAL,
 * OM_ENOSPC or OM_ECRYPTO.
 */
OM_NODISCARD int om_dm_hmac_input(const uint8_t *nonce, size_t nonce_len, const uint8_t *body, size_t body_len,
				  uint8_t *out, size_t cap);

/* The whole mac from the password (both steps here). */
OM_NODISCARD int om_dm_hmac_mac(const char *user, const char *pass, const uint8_t *nonce, size_t nonce_len,
				const uint8_t *body, size_t body_len, char out[static OM_DM_B64_MD5_LEN + 1]);

/*
 * The x-syncml-hmac header value: algorithm=MD5, username="user", mac=mac.
 * user must not hold '"', '\\' or control characters. Returns the length,
 * OM_EINVAL or OM_ENOSPC.
 */
OM_NODISCARD int om_dm_hmac_header(const char *user, const char mac[static OM_DM_B64_MD5_LEN + 1], char *out,
				   size_t cap);

/*
 * Read an x-syncml-hmac header value (fields in any order, separated by ','
 * and optional spaces; algorithm, when present, must be MD5). user gets at
 * most user_cap - 1 characters. Returns 0, OM_EINVAL or OM_EDM_HMAC_HEADER.
 */
OM_NODISCARD int om_dm_hmac_header_parse(const char *value, char *user, size_t user_cap,
					 char mac[static OM_DM_B64_MD5_LEN + 1]);

/*
 * Compare a received credential (Cred/Data or mac) with the expected one in
 * constant time for equal lengths. Returns 0 or OM_EDM_CRED.
 */
OM_NODISCARD int om_dm_cred_check(const char *expected, const char *received);
