/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's radio link: a TCP connection on loopback that stands in for the
 * radio and S1 between a device and the VNO (which plays the MME).
 *
 * Framing (docs/vno.md), every integer big-endian:
 *
 *   length (2 octets) | type (1 octet) | payload (length octets)
 *
 * length counts the payload only: 1..OM_RADIO_PAYLOAD_MAX, except a PUSH
 * frame: 1..OM_RADIO_PUSH_MAX. Types:
 *   OM_RADIO_NAS            one NAS-EPS message (nas.h), as on the air: plain
 *                           until Security Mode Control, protected after
 *                           (nas_sec.h)
 *   OM_RADIO_LAB_CELL       network -> device, the first frame on a link:
 *                           the serving network's PLMN identity (3 octets,
 *                           TS 24.008 10.5.1.13), what a cell broadcasts in
 *                           its system information; the device needs it for
 *                           KASME (TS 33.401 A.2)
 *   OM_RADIO_LAB_BEARER     network -> device: "your bearer is up"; 27
 *                           octets: EBI, the device's IPv4 address, the
 *                           IPv4 address and TCP port of the bearer's HTTP
 *                           CONNECT proxy (what a real network would route),
 *                           then the bearer key (16 octets, fresh per
 *                           attach): the proxy opens a tunnel only for a
 *                           CONNECT that carries it, so the user plane is
 *                           the device's link's, not whoever reaches the port
 *   OM_RADIO_LAB_RELEASED   network -> device: the bearer with this EBI is
 *                           gone (1 octet)
 *   OM_RADIO_PUSH           network -> device: one pushed document (the
 *                           bootstrap of TR 33.812 B.2.3.3), standing in
 *                           for WAP push over SMS; the octets as the
 *                           sender posted them to the VNO (docs/vno.md "Push")
 *
 * One codec for both ends (pure, lib/nas/radio.c); the socket helpers and the
 * device's attach procedure (lib/nas/radio_ue.c) are used by the device
 * agent, the tests and, for the framing on the socket, the VNO.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/milenage.h>
#include <openmcim/nas.h>
#include <openmcim/nas_sec.h>

#define OM_RADIO_HDR_LEN 3
#define OM_RADIO_PAYLOAD_MAX 1024 /* NAS and LAB frames */
/* A PUSH frame: a signed bootstrap is 3-4 KiB; the 2-octet length allows more. */
#define OM_RADIO_PUSH_MAX 16384
#define OM_RADIO_FRAME_MAX (OM_RADIO_HDR_LEN + OM_RADIO_PUSH_MAX)

enum om_radio_type {
	OM_RADIO_NAS = 0x01,
	OM_RADIO_LAB_BEARER = 0x80,
	OM_RADIO_LAB_RELEASED = 0x81,
	OM_RADIO_PUSH = 0x82,
	OM_RADIO_LAB_CELL = 0x83,
};

#define OM_RADIO_BEARER_KEY_LEN 16
#define OM_RADIO_BEARER_LEN (11 + OM_RADIO_BEARER_KEY_LEN)
/* How a CONNECT through the bearer carries its key: this header, then the
 * key as OM_RADIO_BEARER_KEY_LEN * 2 lowercase hex digits. */
#define OM_RADIO_BEARER_AUTH "Proxy-Authorization: Bearer "

/* One frame; the payload is copied, the struct holds no pointer into input. */
struct om_radio_frame {
	uint8_t type;
	uint16_t len;
	uint8_t payload[OM_RADIO_PUSH_MAX];
};

/* What OM_RADIO_LAB_BEARER tells the device. */
struct om_radio_bearer {
	uint8_t ebi;
	uint8_t ue_ipv4[4];
	uint8_t proxy_ipv4[4];
	uint16_t proxy_port;
	uint8_t key[OM_RADIO_BEARER_KEY_LEN]; /* secret: only the device's link carries it */
};

/*
 * Decode the first frame of in (len octets, a stream that may hold part of a
 * frame or several frames). Returns the octets the frame took (> 0) with *f
 * filled; 0 when in holds only part of a frame so far (read more); or
 * OM_ERADIO_LENGTH (length 0, or above OM_RADIO_PAYLOAD_MAX, or above
 * OM_RADIO_PUSH_MAX for a PUSH frame), OM_ERADIO_TYPE
 * (unknown type), OM_ERADIO_PAYLOAD (a LAB frame of the wrong size), or
 * OM_EINVAL (NULL). A negative return means the stream cannot be resynchronised:
 * the receiver closes the link.
 */
OM_NODISCARD int om_radio_decode(struct om_radio_frame *f, const uint8_t *in, size_t len);

/*
 * Encode a frame of type with payload (len octets) into out (cap octets).
 * Returns the octets written, OM_ENOSPC, OM_ERADIO_LENGTH, OM_ERADIO_TYPE,
 * OM_ERADIO_PAYLOAD or OM_EINVAL: never a frame om_radio_decode() refuses.
 */
OM_NODISCARD int om_radio_encode(uint8_t *out, size_t cap, uint8_t type, const uint8_t *payload, size_t len);

/* The 27-octet payload of OM_RADIO_LAB_BEARER, and back (0 or OM_ERADIO_PAYLOAD). */
void om_radio_bearer_encode(uint8_t out[static OM_RADIO_BEARER_LEN], const struct om_radio_bearer *b);
OM_NODISCARD int om_radio_bearer_decode(struct om_radio_bearer *b, const uint8_t *in, size_t len);

/* ---- the socket side (lib/nas/radio_ue.c) ---------------------------------- */

/*
 * The device's handler for a PUSH frame: doc (len octets, 1..OM_RADIO_PUSH_MAX)
 * is valid during the call only. The device agent hands it to its TRE
 * (om_tre_bootstrap, TR 33.812 B.2.3.3). Returns 0 or a negative code of its
 * own, which om_radio_ue_wait_push() passes on.
 */
typedef int (*om_radio_push_fn)(void *arg, const uint8_t *doc, size_t len);

/*
 * One end of a radio link: the socket, a bounded receive buffer, the
 * device's push handler, and on the device the serving cell's PLMN and the
 * NAS security context of the attach (secret; cleared by om_radio_link_close()).
 */
struct om_radio_link {
	int fd;
	size_t have;
	om_radio_push_fn push;
	void *push_arg;
	bool has_cell;
	uint8_t snid[OM_SNID_LEN]; /* from OM_RADIO_LAB_CELL */
	struct om_nas_ctx nas;     /* device: set by Security Mode Control */
	uint8_t buf[OM_RADIO_FRAME_MAX];
};

/* Take over a connected socket (buffer emptied, no push handler, no cell, no NAS context). */
void om_radio_link_init(struct om_radio_link *l, int fd);

/*
 * Connect to host:port over TCP (IPv4 dotted quad, e.g. "127.0.0.1").
 * Returns 0 with l ready, OM_EINVAL (bad address) or OM_EIO.
 */
OM_NODISCARD int om_radio_link_connect(struct om_radio_link *l, const char *host, uint16_t port);

/* Close the socket (fd becomes -1) and clear the NAS context; harmless on a closed link. */
void om_radio_link_close(struct om_radio_link *l);

/* Send one frame, the whole of it. Returns 0, OM_EIO or what om_radio_encode() returns. */
OM_NODISCARD int om_radio_send(struct om_radio_link *l, uint8_t type, const uint8_t *payload, size_t len);

/* om_radio_send() on a bare socket (the VNO keeps its links' buffers itself). */
OM_NODISCARD int om_radio_send_fd(int fd, uint8_t type, const uint8_t *payload, size_t len);

/*
 * Encode m (nas.h) and send it as an OM_RADIO_NAS frame: plain, or, once
 * the link's NAS context is active, integrity protected and ciphered
 * (security header type 2).
 */
OM_NODISCARD int om_radio_send_nas(struct om_radio_link *l, const struct om_nas_msg *m);

/*
 * Whether a whole frame already waits in the buffer (no read needed), and
 * take it: 1 with *f filled, 0 if none, or a decode error.
 */
OM_NODISCARD int om_radio_take(struct om_radio_link *l, struct om_radio_frame *f);

/* om_radio_take() from a caller's buffer: buf holds *have octets, the frame taken is removed. */
OM_NODISCARD int om_radio_take_buf(uint8_t *buf, size_t *have, struct om_radio_frame *f);

/*
 * Read once from the socket into the buffer (call when poll says readable).
 * Returns 0, OM_ERADIO_CLOSED (peer closed) or OM_EIO.
 */
OM_NODISCARD int om_radio_fill(struct om_radio_link *l);

/*
 * Receive one frame, waiting up to timeout_ms (< 0: forever). Returns 0 with
 * *f filled, OM_ERADIO_TIMEOUT, OM_ERADIO_CLOSED, OM_EIO or a decode error.
 */
OM_NODISCARD int om_radio_recv(struct om_radio_link *l, struct om_radio_frame *f, int timeout_ms);

/* ---- the device's procedures (lib/nas/radio_ue.c) --------------------------- */

/*
 * Install the device's push handler on l (fn NULL: pushes are dropped).
 * From then on a PUSH frame that arrives while om_radio_ue_attach(),
 * om_radio_ue_detach() or om_radio_ue_wait_push() reads the link goes to fn;
 * the procedures go on whatever fn returns (fn keeps its own outcome).
 */
void om_radio_ue_on_push(struct om_radio_link *l, om_radio_push_fn fn, void *arg);

/*
 * While attached: wait up to timeout_ms (< 0: forever) for one PUSH frame
 * and hand it to the handler. Returns what the handler returned (0 or its
 * own negative code); OM_EINVAL without a handler; OM_ERADIO_PROTOCOL for
 * any other frame (the network released the bearer or sent NAS the device
 * does not expect while idle); OM_ERADIO_TIMEOUT, OM_ERADIO_CLOSED, OM_EIO or
 * a decode error.
 */
OM_NODISCARD int om_radio_ue_wait_push(struct om_radio_link *l, int timeout_ms);

/*
 * The device's AKA, plugged in by the caller (the TRE in the device agent,
 * usim.h in tests). Given RAND and AUTN of an Authentication Request and the
 * serving network's identity snid, return:
 *   0              RES written to res (*res_len octets, 4..16) and KASME
 *                  (TS 33.401 A.2, om_nas_ue_kasme() from CK and IK) to kasme
 *   OM_EAUTH_MAC   AUTN's MAC does not verify: the device answers #20
 *   OM_EAUTH_SYNC  SQN refused: auts holds AUTS, the device answers #21
 *   anything else  the procedure stops with OM_ERADIO_AKA
 */
typedef int (*om_radio_aka_fn)(void *arg, const uint8_t rand[static OM_RAND_LEN],
			       const uint8_t autn[static OM_AUTN_LEN], const uint8_t snid[static OM_SNID_LEN],
			       uint8_t res[static OM_NAS_RES_MAX], size_t *res_len, uint8_t auts[static OM_AUTS_LEN],
			       uint8_t kasme[static OM_KASME_LEN]);

/* What an attach came to. */
struct om_radio_attach_result {
	uint8_t emm_cause;       /* Attach Reject's cause, when OM_ERADIO_ATTACH_REJECT */
	unsigned auth_rounds;    /* Authentication Requests answered */
	bool sent_mac_failure;   /* the device answered #20 at least once */
	bool sent_sync_failure;  /* the device answered #21 at least once */
	unsigned smc_rounds;     /* Security Mode Commands accepted */
	uint8_t eea, eia;        /* the NAS algorithms in force at the end */
	unsigned nas_dropped;    /* downlink NAS messages dropped (unprotected, MAC, replay) */
	char apn[OM_NAS_APN_MAX];        /* the APN granted */
	struct om_radio_bearer bearer;   /* where the bearer's proxy listens */
};

/*
 * Attach over l as imsi, asking for apn (NULL or "" for the subscription's
 * default): Attach Request; answer each Authentication Request through aka,
 * once the cell's PLMN (OM_RADIO_LAB_CELL) has come (a challenge before it is
 * OM_ERADIO_PROTOCOL) (RES, or
 * Authentication Failure #20 / #21 with AUTS); answer the Security Mode
 * Command (TS 24.301 5.4.3: EIA2 required, the replayed capabilities and
 * KSI checked, its MAC checked with the new keys) with Security Mode
 * Complete; then, protected, Attach Accept and Attach Complete, and wait
 * for the LAB bearer frame. Once the context is active a downlink message
 * that is plain or fails its MAC or COUNT is dropped (TS 24.301 4.4.4.2);
 * an Attach Accept before Security Mode Control is refused. Each wait is
 * bounded by timeout_ms. Returns 0 with out filled, OM_ERADIO_ATTACH_REJECT
 * (cause in out->emm_cause), OM_ERADIO_AUTH_REJECT, OM_ERADIO_AKA,
 * OM_ENAS_SMC or OM_ENAS_MAC (the device sent Security Mode Reject),
 * OM_ERADIO_PROTOCOL (an unexpected message, or 8 dropped), OM_ERADIO_TIMEOUT,
 * OM_ERADIO_CLOSED, OM_EIO, or an OM_ENAS_* code for a message the device
 * could not decode.
 */
OM_NODISCARD int om_radio_ue_attach(struct om_radio_link *l, const char *imsi, const char *apn,
				    om_radio_aka_fn aka, void *aka_arg, int timeout_ms,
				    struct om_radio_attach_result *out);

/*
 * UE-originating detach (EPS detach, not switch-off) and wait for Detach
 * Accept, both protected when the link's NAS context is active (a plain
 * Detach Accept is then dropped). Returns 0, OM_ERADIO_PROTOCOL, OM_ERADIO_TIMEOUT, OM_ERADIO_CLOSED
 * or OM_EIO. A LAB "released" frame before the accept is consumed.
 */
OM_NODISCARD int om_radio_ue_detach(struct om_radio_link *l, const char *imsi, int timeout_ms);
