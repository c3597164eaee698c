/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as what a device sends the VNO's bearer CONNECT
 * proxy before its tunnel opens (vno/bearer_request.h). The parser never
 * reads past the bytes it was given; a whole request ends in the blank line
 * within BEARER_REQUEST_MAX and parses the same without what follows it,
 * and never whole one octet earlier; bearer_request_scan, fed the same
 * octets in pieces, gives the same verdict at every piece; a target it accepts is a host of
 * letters, digits, '.', '-', '_' and a port 1-65535, and the request
 * written again from what was parsed parses to the same host, port and key.
 *
 * Fuzz targets link only libopenmcim, so the parser is compiled in here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vno/bearer_request.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size octets: ASan sees any read past them */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct bearer_request r, again;
	enum bearer_req_verdict v = bearer_request_parse(buf, size, &r);
	/* The incremental scan agrees with the parse at every read, in reads of the first octet's size. */
	struct bearer_scan sc = {0};
	size_t step = size ? (size_t)(unsigned char)data[0] % 64 + 1 : 1;
	for (size_t got = 0;;) {
		got = got + step < size ? got + step : size;
		enum bearer_req_verdict sv = bearer_request_scan(&sc, buf, got), pv = bearer_request_parse(buf, got, &again);
		if (sv != pv)
			abort();
		if (sv != BEARER_REQ_MORE || got == size)
			break;
	}
	if (v != BEARER_REQ_OK) {
		if (v == BEARER_REQ_MORE && size >= BEARER_REQUEST_MAX)
			abort();
		free(buf);
		return 0;
	}
	if (r.hdr_end < 4 || r.hdr_end > size || r.hdr_end > BEARER_REQUEST_MAX ||
	    memcmp(buf + r.hdr_end - 4, "\r\n\r\n", 4))
		abort();
	if (bearer_request_parse(buf, r.hdr_end, &again) != BEARER_REQ_OK || again.hdr_end != r.hdr_end ||
	    again.line != r.line || again.have_key != r.have_key || memcmp(again.key, r.key, sizeof(r.key)))
		abort();
	if (bearer_request_parse(buf, r.hdr_end - 1, &again) == BEARER_REQ_OK)
		abort();
	if (r.line == BEARER_REQ_OK) {
		char target[sizeof(r.target)], req[sizeof(r.target) + 128];
		size_t hl = strlen(r.host);
		if (hl == 0 || hl > BEARER_HOST_MAX || r.port_num == 0 || strcmp(r.method, "CONNECT"))
			abort();
		for (size_t i = 0; i < hl; i++)
			if (!host_char(r.host[i]))
				abort();
		snprintf(target, sizeof(target), "%s:%u", r.host, (unsigned)r.port_num);
		if (strcmp(target, r.target) || (unsigned)atoi(r.port) != r.port_num)
			abort();
		char hex[2 * OM_RADIO_BEARER_KEY_LEN + 1] = "";
		if (r.have_key)
			om_hex_encode(hex, r.key, OM_RADIO_BEARER_KEY_LEN);
		int n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\n%s%s%s\r\n", r.target,
				 r.have_key ? OM_RADIO_BEARER_AUTH : "", hex, r.have_key ? "\r\n" : "");
		if (n < 0 || (size_t)n >= sizeof(req) || bearer_request_parse(req, (size_t)n, &again) != BEARER_REQ_OK ||
		    again.line != BEARER_REQ_OK || strcmp(again.host, r.host) || again.port_num != r.port_num ||
		    again.have_key != r.have_key || memcmp(again.key, r.key, sizeof(r.key)))
			abort();
	}
	free(buf);
	return 0;
}
