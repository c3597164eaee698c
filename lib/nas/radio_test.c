/* SPDX-License-Identifier: Apache-2.0 */
/* The radio link framing (radio.h): codec, stream reassembly, socket helpers. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openmcim/nas_sec.h>
#include <openmcim/radio.h>

#include "check.h"

static void nas_frame_round_trip(void)
{
	uint8_t out[OM_RADIO_FRAME_MAX];
	struct om_radio_frame f;
	static const uint8_t pdu[] = {0x07, 0x54}; /* Authentication Reject */
	int n = om_radio_encode(out, sizeof(out), OM_RADIO_NAS, pdu, sizeof(pdu));
	CHECK_INT(n, 5);
	CHECK_HEX(out, 5, "0002010754");
	CHECK_INT(om_radio_decode(&f, out, (size_t)n), 5);
	CHECK_INT(f.type, OM_RADIO_NAS);
	CHECK_INT(f.len, 2);
	CHECK_MEM(f.payload, pdu, 2);
}

static void partial_input_asks_for_more(void)
{
	uint8_t out[16];
	struct om_radio_frame f;
	static const uint8_t pdu[] = {0x07, 0x46};
	int n = om_radio_encode(out, sizeof(out), OM_RADIO_NAS, pdu, sizeof(pdu));
	for (int i = 0; i < n; i++)
		CHECK_INT(om_radio_decode(&f, out, (size_t)i), 0);
	/* Two frames back to back: the first is taken alone. */
	memcpy(out + n, out, (size_t)n);
	CHECK_INT(om_radio_decode(&f, out, 2 * (size_t)n), n);
}

static void bad_frames_are_refused(void)
{
	struct om_radio_frame f;
	uint8_t big[OM_RADIO_FRAME_MAX + 8] = {0};
	static const uint8_t zero_len[] = {0x00, 0x00, 0x01};
	static const uint8_t too_long[] = {0x04, 0x01, 0x01};
	static const uint8_t bad_type[] = {0x00, 0x01, 0x02, 0x00};
	static const uint8_t short_bearer[] = {0x00, 0x02, 0x80, 0x05, 0x00};
	static const uint8_t long_released[] = {0x00, 0x02, 0x81, 0x05, 0x00};
	CHECK_INT(om_radio_decode(&f, zero_len, sizeof(zero_len)), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_decode(&f, too_long, sizeof(too_long)), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_decode(&f, bad_type, sizeof(bad_type)), OM_ERADIO_TYPE);
	/* Refused as soon as the header is known, before the payload arrives. */
	CHECK_INT(om_radio_decode(&f, bad_type, 3), OM_ERADIO_TYPE);
	CHECK_INT(om_radio_decode(&f, short_bearer, sizeof(short_bearer)), OM_ERADIO_PAYLOAD);
	CHECK_INT(om_radio_decode(&f, long_released, sizeof(long_released)), OM_ERADIO_PAYLOAD);
	/* The cell's PLMN: exactly 3 octets. */
	static const uint8_t cell[] = {0x00, 0x03, 0x83, 0x00, 0xf1, 0x10};
	static const uint8_t short_cell[] = {0x00, 0x02, 0x83, 0x00, 0xf1};
	CHECK_INT(om_radio_decode(&f, cell, sizeof(cell)), (int)sizeof(cell));
	CHECK_INT(f.type, OM_RADIO_LAB_CELL);
	CHECK_INT(om_radio_decode(&f, short_cell, sizeof(short_cell)), OM_ERADIO_PAYLOAD);
	/* The encoder never writes what the decoder refuses. */
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_NAS, big, 0), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_NAS, big, OM_RADIO_PAYLOAD_MAX + 1), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_encode(big, sizeof(big), 0x02, big, 1), OM_ERADIO_TYPE);
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_LAB_BEARER, big, 10), OM_ERADIO_PAYLOAD);
	CHECK_INT(om_radio_encode(big, 4, OM_RADIO_NAS, big, 2), OM_ENOSPC);
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_NAS, big, OM_RADIO_PAYLOAD_MAX),
		  OM_RADIO_HDR_LEN + OM_RADIO_PAYLOAD_MAX);
	/* Only a PUSH frame may be longer than a NAS frame, and only up to its own bound. */
	static const uint8_t long_nas[] = {0x04, 0x01, 0x01};
	static const uint8_t long_bearer[] = {0x04, 0x01, 0x80};
	static const uint8_t zero_push[] = {0x00, 0x00, 0x82};
	static const uint8_t huge_push[] = {0x40, 0x01, 0x82};
	static const uint8_t max_push[] = {0x40, 0x00, 0x82};
	CHECK_INT(om_radio_decode(&f, long_nas, sizeof(long_nas)), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_decode(&f, long_bearer, sizeof(long_bearer)), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_decode(&f, zero_push, sizeof(zero_push)), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_decode(&f, huge_push, sizeof(huge_push)), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_decode(&f, max_push, sizeof(max_push)), 0); /* accepted header: waits for the rest */
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_PUSH, big, 0), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_NAS, big, OM_RADIO_PAYLOAD_MAX + 1), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_PUSH, big, OM_RADIO_PUSH_MAX + 1), OM_ERADIO_LENGTH);
	CHECK_INT(om_radio_encode(big, sizeof(big), OM_RADIO_PUSH, big, OM_RADIO_PUSH_MAX), OM_RADIO_FRAME_MAX);
	CHECK_INT(om_radio_encode(big, OM_RADIO_FRAME_MAX - 1, OM_RADIO_PUSH, big, OM_RADIO_PUSH_MAX), OM_ENOSPC);
}

static void push_frame_round_trip(void)
{
	static uint8_t doc[OM_RADIO_PUSH_MAX], out[OM_RADIO_FRAME_MAX];
	static struct om_radio_frame f;
	for (size_t i = 0; i < sizeof(doc); i++)
		doc[i] = (uint8_t)(i * 7 + 3);
	int n = om_radio_encode(out, sizeof(out), OM_RADIO_PUSH, doc, 3800);
	CHECK_INT(n, 3803);
	CHECK_HEX(out, 3, "0ed882");
	CHECK_INT(om_radio_decode(&f, out, (size_t)n - 1), 0);
	CHECK_INT(om_radio_decode(&f, out, (size_t)n), n);
	CHECK_INT(f.type, OM_RADIO_PUSH);
	CHECK_INT(f.len, 3800);
	CHECK_MEM(f.payload, doc, 3800);
	n = om_radio_encode(out, sizeof(out), OM_RADIO_PUSH, doc, sizeof(doc));
	CHECK_INT(n, OM_RADIO_FRAME_MAX);
	CHECK_HEX(out, 3, "400082");
	CHECK_INT(om_radio_decode(&f, out, (size_t)n), n);
	CHECK_MEM(f.payload, doc, sizeof(doc));
}

static void bearer_payload(void)
{
	struct om_radio_bearer b = {.ebi = 5, .ue_ipv4 = {10, 45, 0, 2}, .proxy_ipv4 = {127, 0, 0, 1},
				    .proxy_port = 0x9c41,
				    .key = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff}};
	struct om_radio_bearer d;
	uint8_t p[OM_RADIO_BEARER_LEN];
	om_radio_bearer_encode(p, &b);
	CHECK_HEX(p, sizeof(p), "050a2d00027f0000019c41" "000102030405060708090a0b0c0d0eff");
	CHECK_INT(om_radio_bearer_decode(&d, p, sizeof(p)), 0);
	CHECK(d.ebi == 5 && d.proxy_port == 0x9c41 && !memcmp(d.ue_ipv4, b.ue_ipv4, 4));
	CHECK_MEM(d.key, b.key, OM_RADIO_BEARER_KEY_LEN);
	p[0] = 4; /* EBI 0..4 are reserved (TS 24.301 9.3.2) */
	CHECK_INT(om_radio_bearer_decode(&d, p, sizeof(p)), OM_ERADIO_PAYLOAD);
	p[0] = 5;
	p[9] = p[10] = 0;
	CHECK_INT(om_radio_bearer_decode(&d, p, sizeof(p)), OM_ERADIO_PAYLOAD);
	CHECK_INT(om_radio_bearer_decode(&d, p, sizeof(p) - 1), OM_ERADIO_PAYLOAD);
}

static void link_over_a_socket_pair(void)
{
	int sv[2];
	struct om_radio_link a, b;
	struct om_radio_frame f;
	struct om_nas_msg m;
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	om_radio_link_init(&a, sv[0]);
	om_radio_link_init(&b, sv[1]);
	CHECK_INT(om_nas_attach_request_init(&m, "001010123456789", "prov.m2m"), 0);
	CHECK_INT(om_radio_send_nas(&a, &m), 0);
	uint8_t rel = 5;
	CHECK_INT(om_radio_send(&a, OM_RADIO_LAB_RELEASED, &rel, 1), 0);
	CHECK_INT(om_radio_recv(&b, &f, 1000), 0);
	CHECK_INT(f.type, OM_RADIO_NAS);
	CHECK_INT(om_nas_decode(&m, OM_NAS_UPLINK, f.payload, f.len), 0);
	CHECK(!strcmp(m.u.attach_request.id.imsi, "001010123456789"));
	CHECK_INT(om_radio_recv(&b, &f, 1000), 0);
	CHECK_INT(f.type, OM_RADIO_LAB_RELEASED);
	CHECK_INT(om_radio_recv(&b, &f, 50), OM_ERADIO_TIMEOUT);
	/* One byte at a time still makes one frame. */
	uint8_t raw[8];
	int n = om_radio_encode(raw, sizeof(raw), OM_RADIO_LAB_RELEASED, &rel, 1);
	for (int i = 0; i < n; i++)
		CHECK(write(sv[0], raw + i, 1) == 1);
	CHECK_INT(om_radio_recv(&b, &f, 1000), 0);
	CHECK_INT(f.type, OM_RADIO_LAB_RELEASED);
	om_radio_link_close(&a);
	CHECK_INT(om_radio_recv(&b, &f, 1000), OM_ERADIO_CLOSED);
	om_radio_link_close(&b);
	CHECK_INT(b.fd, -1);
}

static int no_aka(void *arg, const uint8_t rand[static OM_RAND_LEN], const uint8_t autn[static OM_AUTN_LEN],
		  const uint8_t snid[static OM_SNID_LEN], uint8_t res[static OM_NAS_RES_MAX], size_t *res_len,
		  uint8_t auts[static OM_AUTS_LEN], uint8_t kasme[static OM_KASME_LEN])
{
	(void)arg, (void)rand, (void)autn, (void)snid, (void)res, (void)res_len, (void)auts, (void)kasme;
	return OM_EIO;
}

/* What a test device's push handler saw. */
struct pushes {
	unsigned n;
	size_t len;
	uint8_t last[OM_RADIO_PUSH_MAX];
	int answer; /* what the handler returns */
};

static int on_push(void *arg, const uint8_t *doc, size_t len)
{
	struct pushes *p = arg;
	p->n++;
	p->len = len;
	memcpy(p->last, doc, len);
	return p->answer;
}

static void device_hands_pushes_to_its_handler(void)
{
	int sv[2];
	struct om_radio_link ue, net;
	static struct pushes got;
	static uint8_t doc[OM_RADIO_PUSH_MAX];
	for (size_t i = 0; i < sizeof(doc); i++)
		doc[i] = (uint8_t)(i ^ 0x5a);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	om_radio_link_init(&ue, sv[0]);
	om_radio_link_init(&net, sv[1]);
	/* No handler: nothing to hand a push to. */
	CHECK_INT(om_radio_ue_wait_push(&ue, 10), OM_EINVAL);
	om_radio_ue_on_push(&ue, on_push, &got);
	CHECK_INT(om_radio_ue_wait_push(&ue, 50), OM_ERADIO_TIMEOUT);
	/* The largest push, then a small one: each arrives whole, exactly the bytes sent. */
	CHECK_INT(om_radio_send(&net, OM_RADIO_PUSH, doc, sizeof(doc)), 0);
	CHECK_INT(om_radio_ue_wait_push(&ue, 1000), 0);
	CHECK_INT(got.n, 1);
	CHECK_INT(got.len, sizeof(doc));
	CHECK_MEM(got.last, doc, sizeof(doc));
	got.answer = OM_EINVAL - 1000; /* the handler's own code comes back unchanged */
	CHECK_INT(om_radio_send(&net, OM_RADIO_PUSH, doc + 1, 3), 0);
	CHECK_INT(om_radio_ue_wait_push(&ue, 1000), OM_EINVAL - 1000);
	CHECK_INT(got.n, 2);
	CHECK_INT(got.len, 3);
	CHECK_MEM(got.last, doc + 1, 3);
	got.answer = 0;
	/* While idle, a frame that is not a push is the network doing something else. */
	uint8_t rel = 5;
	CHECK_INT(om_radio_send(&net, OM_RADIO_LAB_RELEASED, &rel, 1), 0);
	CHECK_INT(om_radio_ue_wait_push(&ue, 1000), OM_ERADIO_PROTOCOL);
	/* A push during a detach goes to the handler; the detach goes on to its accept. */
	struct om_nas_msg m = {.kind = OM_NAS_DETACH_ACCEPT};
	CHECK_INT(om_radio_send(&net, OM_RADIO_PUSH, doc, 100), 0);
	CHECK_INT(om_radio_send(&net, OM_RADIO_LAB_RELEASED, &rel, 1), 0);
	CHECK_INT(om_radio_send_nas(&net, &m), 0);
	CHECK_INT(om_radio_ue_detach(&ue, "001010123456789", 1000), 0);
	CHECK_INT(got.n, 3);
	CHECK_INT(got.len, 100);
	/* Without a handler, a push during a procedure is dropped, not an error. */
	om_radio_ue_on_push(&ue, NULL, NULL);
	CHECK_INT(om_radio_send(&net, OM_RADIO_PUSH, doc, 100), 0);
	CHECK_INT(om_radio_send_nas(&net, &m), 0);
	CHECK_INT(om_radio_ue_detach(&ue, "001010123456789", 1000), 0);
	CHECK_INT(got.n, 3);
	om_radio_link_close(&ue);
	om_radio_link_close(&net);
}

static void device_refuses_unexpected_messages(void)
{
	int sv[2];
	struct om_radio_link ue, net;
	struct om_radio_frame f;
	struct om_radio_attach_result r;
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	om_radio_link_init(&ue, sv[0]);
	om_radio_link_init(&net, sv[1]);
	/* A challenge before the cell's PLMN: no KASME can be made, a protocol error, no answer. */
	static const uint8_t plmn[OM_SNID_LEN] = {0x00, 0xf1, 0x10};
	struct om_nas_msg m = {.kind = OM_NAS_AUTH_REQUEST};
	CHECK_INT(om_radio_send_nas(&net, &m), 0);
	CHECK_INT(om_radio_ue_attach(&ue, "001010123456789", NULL, no_aka, NULL, 1000, &r), OM_ERADIO_PROTOCOL);
	CHECK_INT(r.auth_rounds, 0);
	CHECK_INT(om_radio_recv(&net, &f, 1000), 0); /* the Attach Request, sent at once */
	CHECK_INT(om_radio_recv(&net, &f, 50), OM_ERADIO_TIMEOUT);
	CHECK(!ue.has_cell);
	/* The network answers the Attach Request with a Detach Accept: a protocol error. */
	m.kind = OM_NAS_DETACH_ACCEPT;
	CHECK_INT(om_radio_send(&net, OM_RADIO_LAB_CELL, plmn, sizeof(plmn)), 0);
	CHECK_INT(om_radio_send_nas(&net, &m), 0);
	CHECK_INT(om_radio_ue_attach(&ue, "001010123456789", NULL, no_aka, NULL, 1000, &r), OM_ERADIO_PROTOCOL);
	CHECK_INT(om_radio_recv(&net, &f, 1000), 0); /* the Attach Request */
	CHECK_INT(om_nas_decode(&m, OM_NAS_UPLINK, f.payload, f.len), 0);
	CHECK_INT(m.kind, OM_NAS_ATTACH_REQUEST);
	CHECK(ue.has_cell);
	CHECK_MEM(ue.snid, plmn, sizeof(plmn));
	/* An Attach Accept before Security Mode Control: refused, no bearer without NAS security. */
	struct om_nas_msg acc;
	static const uint8_t ip[4] = {10, 0, 0, 2};
	static const struct om_nas_plmn np = {"001", "01"};
	CHECK_INT(om_nas_attach_accept_init(&acc, &np, 1, "prov", ip), 0);
	CHECK_INT(om_radio_send_nas(&net, &acc), 0);
	CHECK_INT(om_radio_ue_attach(&ue, "001010123456789", NULL, no_aka, NULL, 1000, &r), OM_ERADIO_PROTOCOL);
	CHECK_INT(om_radio_recv(&net, &f, 1000), 0); /* its Attach Request; no Attach Complete follows */
	CHECK_INT(om_radio_recv(&net, &f, 100), OM_ERADIO_TIMEOUT);
	/* A LAB frame where a NAS message is due is refused too. */
	uint8_t rel = 5;
	CHECK_INT(om_radio_send(&net, OM_RADIO_LAB_RELEASED, &rel, 1), 0);
	CHECK_INT(om_radio_ue_attach(&ue, "001010123456789", NULL, no_aka, NULL, 1000, &r), OM_ERADIO_PROTOCOL);
	/* Silence: a timeout, not a hang. */
	CHECK_INT(om_radio_ue_attach(&ue, "001010123456789", NULL, no_aka, NULL, 50, &r), OM_ERADIO_TIMEOUT);
	om_radio_link_close(&ue);
	om_radio_link_close(&net);
}

/* The device's AKA for the SMC test: any challenge, a fixed RES and KASME the test's network shares. */
static const uint8_t test_kasme[OM_KASME_LEN] = { 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
						  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
						  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

static int fixed_aka(void *arg, const uint8_t rand[static OM_RAND_LEN], const uint8_t autn[static OM_AUTN_LEN],
		     const uint8_t snid[static OM_SNID_LEN], uint8_t res[static OM_NAS_RES_MAX], size_t *res_len,
		     uint8_t auts[static OM_AUTS_LEN], uint8_t kasme[static OM_KASME_LEN])
{
	(void)arg, (void)rand, (void)autn, (void)snid, (void)auts;
	memset(res, 0x11, 8);
	*res_len = 8;
	memcpy(kasme, test_kasme, OM_KASME_LEN);
	return 0;
}

/* m protected with the network's context c as sht into pdu (cap octets): its length, or a negative code. */
static int protect_msg(struct om_nas_ctx *c, const struct om_nas_msg *m, uint8_t sht, uint8_t *pdu, size_t cap)
{
	uint8_t plain[OM_NAS_MAX_LEN];
	int n = om_nas_encode(plain, sizeof(plain), m);
	return n < 0 ? n : om_nas_protect(c, pdu, cap, sht, plain, (size_t)n);
}

/*
 * The device's side of TS 24.301 4.4.4.2 (issue 20): once Security Mode
 * Control has run, a plain, an altered or a replayed downlink message is
 * dropped, not acted on. The network here is the test on the other end of
 * a socket pair, with the KASME the device's AKA returns: cell, challenge,
 * Security Mode Command (128-EEA2, 128-EIA2), then a plain Attach Accept,
 * an altered one and the genuine one: the device attaches on the genuine
 * one with two dropped. Its detach then gets the Attach Accept's octets
 * again (a replay), a plain Detach Accept and the genuine one: it ends on
 * the genuine one, with nothing left unread.
 */
static void device_drops_plain_altered_and_replayed_after_smc(void)
{
	int sv[2];
	struct om_radio_link ue, net;
	struct om_radio_frame f;
	struct om_radio_attach_result r;
	struct om_nas_ctx c;
	struct om_nas_msg m;
	uint8_t pdu[OM_NAS_MAX_LEN + OM_NAS_SEC_HDR_LEN], accept[sizeof(pdu)], plain[OM_NAS_MAX_LEN];
	static const uint8_t plmn[OM_SNID_LEN] = {0x00, 0xf1, 0x10};
	static const struct om_nas_plmn np = {"001", "01"};
	static const uint8_t ip[4] = {10, 0, 0, 2};
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	om_radio_link_init(&ue, sv[0]);
	om_radio_link_init(&net, sv[1]);
	memset(&c, 0, sizeof(c));
	CHECK_INT(om_nas_ctx_init(&c, test_kasme, OM_NAS_EEA2, OM_NAS_EIA2, 1, OM_NAS_SEC_DOWNLINK), 0);
	CHECK_INT(om_radio_send(&net, OM_RADIO_LAB_CELL, plmn, sizeof(plmn)), 0);
	memset(&m, 0, sizeof(m));
	m.kind = OM_NAS_AUTH_REQUEST;
	m.u.auth_request.ksi = 1;
	CHECK_INT(om_radio_send_nas(&net, &m), 0);
	memset(&m, 0, sizeof(m));
	m.kind = OM_NAS_SEC_MODE_COMMAND;
	m.u.sec_mode_command.eea = OM_NAS_EEA2;
	m.u.sec_mode_command.eia = OM_NAS_EIA2;
	m.u.sec_mode_command.ksi = 1;
	memcpy(m.u.sec_mode_command.ue_sec_cap, om_nas_ue_net_cap_default, sizeof(om_nas_ue_net_cap_default));
	m.u.sec_mode_command.ue_sec_cap_len = sizeof(om_nas_ue_net_cap_default);
	int n = protect_msg(&c, &m, OM_NAS_SHT_INT_NEW, pdu, sizeof(pdu));
	CHECK(n > 0 && om_radio_send(&net, OM_RADIO_NAS, pdu, (size_t)n) == 0);
	/* plain */
	CHECK_INT(om_nas_attach_accept_init(&m, &np, 1, "prov", ip), 0);
	int pn = om_nas_encode(plain, sizeof(plain), &m);
	CHECK(pn > 0 && om_radio_send(&net, OM_RADIO_NAS, plain, (size_t)pn) == 0);
	/* altered: one octet of the ciphertext */
	n = protect_msg(&c, &m, OM_NAS_SHT_INT_ENC, pdu, sizeof(pdu));
	CHECK(n > OM_NAS_SEC_HDR_LEN + 2);
	pdu[OM_NAS_SEC_HDR_LEN + 2] ^= 0x04;
	CHECK(n > 0 && om_radio_send(&net, OM_RADIO_NAS, pdu, (size_t)n) == 0);
	/* genuine, kept for the replay */
	int an = protect_msg(&c, &m, OM_NAS_SHT_INT_ENC, accept, sizeof(accept));
	CHECK(an > 0 && om_radio_send(&net, OM_RADIO_NAS, accept, (size_t)an) == 0);
	struct om_radio_bearer b = {.ebi = m.u.attach_accept.bearer.ebi, .proxy_port = 8080};
	uint8_t bearer[OM_RADIO_BEARER_LEN];
	om_radio_bearer_encode(bearer, &b);
	CHECK_INT(om_radio_send(&net, OM_RADIO_LAB_BEARER, bearer, sizeof(bearer)), 0);

	CHECK_INT(om_radio_ue_attach(&ue, "001010123456789", NULL, fixed_aka, NULL, 1000, &r), 0);
	CHECK_INT(r.smc_rounds, 1);
	CHECK_INT(r.eea, OM_NAS_EEA2);
	CHECK_INT(r.eia, OM_NAS_EIA2);
	CHECK_INT(r.nas_dropped, 2);
	CHECK(ue.nas.active);

	/* the detach: a replayed Attach Accept, a plain Detach Accept, the genuine one */
	CHECK_INT(om_radio_send(&net, OM_RADIO_NAS, accept, (size_t)an), 0);
	memset(&m, 0, sizeof(m));
	m.kind = OM_NAS_DETACH_ACCEPT;
	pn = om_nas_encode(plain, sizeof(plain), &m);
	CHECK(pn > 0 && om_radio_send(&net, OM_RADIO_NAS, plain, (size_t)pn) == 0);
	n = protect_msg(&c, &m, OM_NAS_SHT_INT_ENC, pdu, sizeof(pdu));
	CHECK(n > 0 && om_radio_send(&net, OM_RADIO_NAS, pdu, (size_t)n) == 0);
	CHECK_INT(om_radio_ue_detach(&ue, "001010123456789", 1000), 0);
	CHECK_INT(om_radio_recv(&ue, &f, 50), OM_ERADIO_TIMEOUT); /* it ended on the last: nothing left */
	om_nas_ctx_clear(&c);
	om_radio_link_close(&ue);
	om_radio_link_close(&net);
}

int main(void)
{
	nas_frame_round_trip();
	partial_input_asks_for_more();
	bad_frames_are_refused();
	bearer_payload();
	push_frame_round_trip();
	device_hands_pushes_to_its_handler();
	link_over_a_socket_pair();
	device_refuses_unexpected_messages();
	device_drops_plain_altered_and_replayed_after_smc();
	return check_done();
}
