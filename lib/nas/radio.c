/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The radio link framing (radio.h, docs/vno.md): length | type | payload.
 * Pure code shared by the device and the VNO: no I/O, no allocation.
 */
#include <string.h>

#include <openmcim/radio.h>

/* The payload size a type requires: 0 for "any 1..max". Negative: unknown type. */
static int fixed_len(uint8_t type)
{
	switch (type) {
	case OM_RADIO_NAS:
	case OM_RADIO_PUSH:
		return 0;
	case OM_RADIO_LAB_BEARER:
		return OM_RADIO_BEARER_LEN;
	case OM_RADIO_LAB_RELEASED:
		return 1;
	case OM_RADIO_LAB_CELL:
		return OM_SNID_LEN;
	default:
		return -1;
	}
}

/*
 * Checks shared by the encoder and the decoder, so they cannot disagree.
 * Only a PUSH frame may exceed OM_RADIO_PAYLOAD_MAX: a NAS message never
 * needs to, and the bound keeps what the MME parses small.
 */
static int check(uint8_t type, size_t len)
{
	if (len == 0)
		return OM_ERADIO_LENGTH;
	int want = fixed_len(type);
	if (want < 0)
		return OM_ERADIO_TYPE;
	if (len > (type == OM_RADIO_PUSH ? OM_RADIO_PUSH_MAX : OM_RADIO_PAYLOAD_MAX))
		return OM_ERADIO_LENGTH;
	if (want > 0 && len != (size_t)want)
		return OM_ERADIO_PAYLOAD;
	return 0;
}

int om_radio_decode(struct om_radio_frame *f, const uint8_t *in, size_t len)
{
	if (!f || (!in && len))
		return OM_EINVAL;
	if (len < OM_RADIO_HDR_LEN)
		return 0;
	size_t plen = (size_t)in[0] << 8 | in[1];
	uint8_t type = in[2];
	int rc = check(type, plen);
	if (rc < 0)
		return rc;
	if (len < OM_RADIO_HDR_LEN + plen)
		return 0;
	f->type = type;
	f->len = (uint16_t)plen;
	memcpy(f->payload, in + OM_RADIO_HDR_LEN, plen);
	return (int)(OM_RADIO_HDR_LEN + plen);
}

int om_radio_encode(uint8_t *out, size_t cap, uint8_t type, const uint8_t *payload, size_t len)
{
	if (!out || (!payload && len))
		return OM_EINVAL;
	int rc = check(type, len);
	if (rc < 0)
		return rc;
	if (cap < OM_RADIO_HDR_LEN + len)
		return OM_ENOSPC;
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	out[2] = type;
	memmove(out + OM_RADIO_HDR_LEN, payload, len); /* payload may already sit in out */
	return (int)(OM_RADIO_HDR_LEN + len);
}

void om_radio_bearer_encode(uint8_t out[static OM_RADIO_BEARER_LEN], const struct om_radio_bearer *b)
{
	out[0] = b->ebi;
	memcpy(out + 1, b->ue_ipv4, 4);
	memcpy(out + 5, b->proxy_ipv4, 4);
	out[9] = (uint8_t)(b->proxy_port >> 8);
	out[10] = (uint8_t)b->proxy_port;
	memcpy(out + 11, b->key, OM_RADIO_BEARER_KEY_LEN);
}

int om_radio_bearer_decode(struct om_radio_bearer *b, const uint8_t *in, size_t len)
{
	if (!b || !in)
		return OM_EINVAL;
	/* EBI 5..15 (TS 24.301 9.3.2) and a port a proxy can listen on. */
	if (len != OM_RADIO_BEARER_LEN || in[0] < 5 || in[0] > 15 || (in[9] == 0 && in[10] == 0))
		return OM_ERADIO_PAYLOAD;
	b->ebi = in[0];
	memcpy(b->ue_ipv4, in + 1, 4);
	memcpy(b->proxy_ipv4, in + 5, 4);
	b->proxy_port = (uint16_t)(in[9] << 8 | in[10]);
	memcpy(b->key, in + 11, OM_RADIO_BEARER_KEY_LEN);
	return 0;
}
