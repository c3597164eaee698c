/* SPDX-License-Identifier: Apache-2.0 */
/* The radio link framing (radio.h): codec, stream reassembly, socket helpers. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	return check_done();
}
