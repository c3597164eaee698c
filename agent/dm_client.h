/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device's OMA DM 1.2 client transport (docs/agent.md "DM session"):
 * SyncML DM messages (lib/dm, the codec the DPF uses) POSTed over HTTPS to
 * the bootstrap's PROVURL, through the bearer's HTTP CONNECT proxy, with
 * libcurl. The TRE computes every credential (om_tre_dm_digest): the DM
 * password never reaches this file.
 *
 * One struct agent_dm per DM session phase of one device; not shared
 * between threads. About 150 KiB: allocate it (agent_dm_new).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/dm.h>
#include <openmcim/err.h>
#include <openmcim/radio.h>
#include <openmcim/tre.h>

#define AGENT_DM_NONCE_MAX 64
#define AGENT_DM_AUTH_TRIES 3 /* package 1 sent at most this often in one session (the DPF's limit too) */

#define AGENT_DM_HMAC_MAX (64 + OM_BOOTSTRAP_NAME_MAX + OM_DM_B64_MD5_LEN)

struct agent_dm {
	void *curl; /* CURL * */
	void *headers;
	void *resolve;  /* the URL's host:port, never looked up on the device (CURLOPT_RESOLVE) */
	char url[OM_BOOTSTRAP_URL_MAX + 1];
	uint8_t proxy_ipv4[4]; /* the bearer's CONNECT proxy */
	uint16_t proxy_port;
	uint8_t bearer_key[OM_RADIO_BEARER_KEY_LEN]; /* secret: what the CONNECT carries (cleansed on free) */
	char target[OM_BOOTSTRAP_URL_MAX + 1];       /* the URL's host:port, the CONNECT's target */
	char tunnel_why[96];   /* why the last tunnel was not opened, "" when it was */
	char dev_id[OM_DM_DEV_ID_LEN + 1]; /* om_dm_dev_id of the TRE_id */
	char user[OM_BOOTSTRAP_NAME_MAX + 1];
	char session_id[OM_DM_SESSION_ID_LEN + 1];
	uint32_t next_msg_id;
	uint8_t nonce[AGENT_DM_NONCE_MAX]; /* the last NextNonce (raw) */
	size_t nonce_len;
	unsigned messages;      /* SyncML messages POSTed, this struct's life */
	unsigned tls_full, tls_resumed; /* connections that answered, this struct's life: full and resumed handshakes */
	long http_status;       /* of the last exchange, 0 when none came */
	char why[128];          /* the last exchange's failure, no secret */
	int pinned;             /* the DPF must prove Cert_SHO[i+1]'s key, or the AAS its pin (else a CA chain) */
	uint8_t spki_pin[32];   /* agent_dm_new_pinned: the SHA-256 of the server's SubjectPublicKeyInfo */
	char cred[OM_DM_B64_MD5_LEN + 1];
	uint8_t statement[OM_OUTCOME_MAX]; /* the TRE's outcome statement of the last package 1 */
	struct om_tre *hmac_tre; /* set once the DPF answered 212: every later message carries its HMAC */
	char hmac[AGENT_DM_HMAC_MAX]; /* the x-syncml-hmac header of the last message */
	struct om_dm_msg out;   /* the message being built */
	struct om_dm_msg in;    /* the last answer, parsed */
	uint8_t wire[OM_DM_MSG_MAX];
	uint8_t body[OM_DM_MSG_MAX];
	size_t body_len;
	long timeout_ms;        /* each exchange, from its start to the whole answer */
};

/*
 * A client for the DPF at url (https only), through the bearer's proxy;
 * each exchange bounded by timeout_ms. dev_id is our TRE_id: the SyncHdr
 * Source/LocURI and DevInfo/DevId carry its device identifier URN
 * (om_dm_dev_id); user is the session's DM user name (Source/LocName).
 *
 * Whom it trusts (docs/agent.md "Whom the device talks DM to"): with
 * anchor (the DER of Cert_SHO[i+1] from om_tre_dm_server_anchor), only
 * the DPF that proves that key: an SHO_SIGNING certificate is pinned (the
 * server's key must be its key, RFC 7469 pin-sha256, TLS 1.3 only), a
 * ROOT_CA is the one trust anchor of the server's chain and name. Without
 * one (anchor NULL: a session that fell back), the CAs of ca_file.
 * Returns 0, OM_EINVAL (not an https URL, a field too long, no trust),
 * OM_EPKI_MALFORMED (anchor), OM_ENOMEM.
 */
OM_NODISCARD int agent_dm_new(struct agent_dm **out, const char *url, const struct om_radio_bearer *bearer,
			      const uint8_t *anchor, size_t anchor_len, const char *ca_file, int timeout_ms,
			      const char *dev_id, const char *user);
/*
 * A client for the AAS (docs/aas.md "Whom the device talks to"): as
 * agent_dm_new, trusting only the server whose SubjectPublicKeyInfo hashes
 * (SHA-256) to pin, the factory's [agent] aas_pin, compared in constant
 * time; TLS 1.3, no CA, no host name.
 */
OM_NODISCARD int agent_dm_new_pinned(struct agent_dm **out, const char *url, const struct om_radio_bearer *bearer,
				     const uint8_t pin[static 32], int timeout_ms, const char *dev_id,
				     const char *user);
void agent_dm_free(struct agent_dm *dm);

/*
 * TLS sessions kept across one device run's DM clients (issue 14): the
 * outcome report's session resumes the provisioning session's TLS session
 * (one full handshake per provisioning, not two). libcurl resumes only for
 * the same host, port and trust (the same pin, or the same CA file), and a
 * pinned key is checked on the resumed session too (the session keeps the
 * certificate it was made with). NULL when out of memory: then no
 * resumption, nothing else changes.
 */
void *agent_dm_sessions_new(void);
void agent_dm_sessions_free(void *sessions);
/* dm's next connections keep their TLS sessions in, and resume from, sessions (may be NULL). */
void agent_dm_use_sessions(struct agent_dm *dm, void *sessions);

/*
 * The device's messages (docs/dm.md "Session"), added to a message begun
 * with om_dm_msg_init() (agent_dm_begin() in a session; the DPF's tests
 * build theirs with the same functions). Each marks the message Final.
 */

/*
 * Package 1: Alert 1201, DevInfo (DevId dev_id), and, when stmt is not NULL,
 * the outcome alert carrying the TRE's signed outcome statement (its CmdID
 * in *outcome_cmd).
 */
void agent_dm_package1(struct om_dm_msg *msg, const char *dev_id, const uint8_t *stmt, size_t stmt_len,
		       uint32_t *outcome_cmd);

/* Package 3: Statuses for the server's SyncHdr and Get, and the Results carrying the M2MMobj. The Results' CmdID. */
uint32_t agent_dm_package3(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t get_cmd, const uint8_t *obj, size_t len);

/* Package 3': Status 200 for the server's SyncHdr and code for its Replace of ./M2MMCIMMobj. */
void agent_dm_install_status(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t rep_cmd, unsigned code);

/* One more Status in package 3': code for the server's Replace rep_cmd of target (./M2MAppParams). */
void agent_dm_replace_status(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t rep_cmd, const char *target,
			     unsigned code);

/* The activation session's closing message: Status 200 for the server's SyncHdr and, when rep_cmd is not 0,
 * code for its Replace of ./M2MAppParams (docs/aas.md). */
void agent_dm_app_status(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t rep_cmd, unsigned code);

/*
 * The x-syncml-hmac header value for body (OMA DM Security 1.2, after the
 * 212): algorithm=MD5, username="user", mac=B64(MD5(inner ":" nonce ":"
 * B64(MD5(body)))), the mac computed inside the TRE (om_tre_dm_digest), so
 * the password never leaves it; nonce is the server's last NextNonce.
 * Returns the header's length, or the codes of om_dm_hmac_input,
 * om_tre_dm_digest and om_dm_hmac_header.
 */
OM_NODISCARD int agent_dm_hmac(const struct om_tre *tre, const char *user, const uint8_t *nonce, size_t nonce_len,
			       const uint8_t *body, size_t len, char *out, size_t cap);

/* Start a new DM session: a fresh random SessionID, MsgID 1, no answer held. */
void agent_dm_new_session(struct agent_dm *dm);

/* om_dm_msg_init for the next message of the session (SyncHdr Target, Source, LocName). */
void agent_dm_begin(struct agent_dm *dm);

/*
 * Encode dm->out, POST it, parse the answer into dm->in (the previous
 * answer freed first). Keeps the NextNonce of a Chal. Returns 0;
 * OM_EAGENT_NETWORK (no answer: connection, proxy, TLS, timeout, or an
 * HTTP 5xx: a lost message); OM_EAGENT_DM (an HTTP status other than 200
 * and 5xx, or an answer the codec refuses). dm->why says which.
 */
OM_NODISCARD int agent_dm_exchange(struct agent_dm *dm);

/* The code of the answer's Status for its SyncHdr, 0 when there is none. */
unsigned agent_dm_hdr_status(const struct agent_dm *dm);

/* The answer's first command of type t, or NULL. */
const struct om_dm_cmd *agent_dm_find(const struct agent_dm *dm, enum om_dm_cmd_type t);

/* The answer's Status for our command cmd_id of the message msg_id, or NULL. */
const struct om_dm_cmd *agent_dm_status_for(const struct agent_dm *dm, uint32_t msg_id, uint32_t cmd_id);

/*
 * Package 1 until the DPF accepts the credentials (OMA DM Security 1.2):
 * Alert 1201, DevInfo, Cred syncml:auth-md5 computed by the TRE over the
 * last NextNonce (none on the first try), plus, when outcome is an
 * om_outcome_kind (0: none), the outcome Alert 1226 with the statement the
 * TRE signs for it (om_tre_outcome; its CmdID into *outcome_cmd). A 401/407 with a
 * Chal is answered with a new package 1 over the new nonce, at most
 * AGENT_DM_AUTH_TRIES in all. Returns 0 (dm->in holds the answer to the
 * authenticated package 1), OM_EAGENT_REFUSED (the DPF refused every
 * credential: dm->why), the codes of agent_dm_exchange(), or the TRE's.
 */
OM_NODISCARD int agent_dm_authenticate(struct agent_dm *dm, struct om_tre *tre, int outcome, uint32_t *outcome_cmd);
