/* SPDX-License-Identifier: Apache-2.0 */
/* A device's CONNECT request, parsed (bearer_request.h). Pure: no I/O, no allocation, no log. */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>

#include "bearer_request.h"

/* The first "\r\n" in [p, end), or NULL. */
static const char *crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       c == '_';
}

/* The request line [p, end): "METHOD SP host:port SP HTTP/1.d". */
static enum bearer_req_verdict request_line(const char *p, const char *end, struct bearer_request *r)
{
	const char *sp1 = memchr(p, ' ', (size_t)(end - p));
	if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof(r->method))
		return BEARER_REQ_MALFORMED;
	const char *t = sp1 + 1;
	const char *sp2 = memchr(t, ' ', (size_t)(end - t));
	if (!sp2 || sp2 == t)
		return BEARER_REQ_MALFORMED;
	const char *v = sp2 + 1;
	if (end - v != 8 || memcmp(v, "HTTP/1.", 7) || v[7] < '0' || v[7] > '9')
		return BEARER_REQ_MALFORMED;
	for (const char *c = p; c < sp1; c++)
		if (*c <= ' ' || *c > '~')
			return BEARER_REQ_MALFORMED;
	memcpy(r->method, p, (size_t)(sp1 - p));
	r->method[sp1 - p] = '\0';
	if (strcmp(r->method, "CONNECT"))
		return BEARER_REQ_METHOD;
	/* host:port, the last colon the port's */
	const char *colon = NULL;
	for (const char *c = t; c < sp2; c++)
		if (*c == ':')
			colon = c;
	if (!colon || colon == t || (size_t)(colon - t) > BEARER_HOST_MAX)
		return BEARER_REQ_BAD_TARGET;
	for (const char *c = t; c < colon; c++)
		if (!host_char(*c))
			return BEARER_REQ_BAD_TARGET;
	size_t nd = (size_t)(sp2 - colon - 1);
	if (nd == 0 || nd > 5 || colon[1] == '0')
		return BEARER_REQ_BAD_TARGET;
	unsigned long port = 0;
	for (const char *c = colon + 1; c < sp2; c++) {
		if (*c < '0' || *c > '9')
			return BEARER_REQ_BAD_TARGET;
		port = port * 10 + (unsigned long)(*c - '0');
	}
	if (port > 65535)
		return BEARER_REQ_BAD_TARGET;
	memcpy(r->host, t, (size_t)(colon - t));
	r->host[colon - t] = '\0';
	memcpy(r->port, colon + 1, nd);
	r->port[nd] = '\0';
	r->port_num = (uint16_t)port;
	memcpy(r->target, t, (size_t)(sp2 - t));
	r->target[sp2 - t] = '\0';
	return BEARER_REQ_OK;
}

enum bearer_req_verdict bearer_request_parse(const char *buf, size_t len, struct bearer_request *r)
{
	static const char name[] = OM_RADIO_BEARER_AUTH;
	memset(r, 0, sizeof(*r));
	r->line = BEARER_REQ_MALFORMED;
	const char *end = buf + (len > BEARER_REQUEST_MAX ? BEARER_REQUEST_MAX : len);
	/* Line by line: lines[0] the request line, then the headers, until an empty one. */
	const char *p = buf, *line_end, *req_end = NULL;
	unsigned n = 0;
	for (; (line_end = crlf(p, end)); p = line_end + 2, n++) {
		if (memchr(p, '\0', (size_t)(line_end - p)) || memchr(p, '\r', (size_t)(line_end - p)))
			return BEARER_REQ_BAD_BYTES;
		if (n > 0 && line_end == p) {
			r->hdr_end = (size_t)(line_end + 2 - buf);
			break;
		}
		if (n > BEARER_HEADERS_MAX)
			return BEARER_REQ_TOO_LONG;
		if (n == 0)
			req_end = line_end;
	}
	if (!r->hdr_end) {
		/* Not whole: what is there so far must be clean, and there must be room for the rest. */
		if (memchr(p, '\0', (size_t)(end - p)))
			return BEARER_REQ_BAD_BYTES;
		return len >= BEARER_REQUEST_MAX ? BEARER_REQ_TOO_LONG : BEARER_REQ_MORE;
	}
	/* The key: exactly one header line of that name (two say nothing about which is the device's). */
	unsigned keys = 0;
	for (p = req_end + 2; p < buf + r->hdr_end - 2; p = line_end + 2) {
		line_end = crlf(p, end);
		if ((size_t)(line_end - p) < sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1))
			continue;
		const char *v = p + sizeof(name) - 1;
		char hex[2 * OM_RADIO_BEARER_KEY_LEN + 1];
		keys++;
		if ((size_t)(line_end - v) != sizeof(hex) - 1) {
			r->have_key = false;
			continue;
		}
		memcpy(hex, v, sizeof(hex) - 1);
		hex[sizeof(hex) - 1] = '\0';
		r->have_key = om_hex_decode(r->key, OM_RADIO_BEARER_KEY_LEN, hex) == 0;
		OPENSSL_cleanse(hex, sizeof(hex));
	}
	if (keys != 1) {
		r->have_key = false;
		OPENSSL_cleanse(r->key, sizeof(r->key));
	}
	r->line = request_line(buf, req_end, r);
	return BEARER_REQ_OK;
}

/*
 * bearer_request_parse's line rules, one octet at a time: a NUL anywhere
 * before the blank line is bad at once; a line with a CR that is not its
 * CRLF is bad when the line ends; the line after BEARER_HEADERS_MAX header
 * lines is too many; an empty line after the request line ends the request.
 */
enum bearer_req_verdict bearer_request_scan(struct bearer_scan *s, const char *buf, size_t len)
{
	size_t end = len > BEARER_REQUEST_MAX ? BEARER_REQUEST_MAX : len;
	for (size_t i = s->pos; i < end; i++) {
		char c = buf[i];
		if (c == '\0')
			return BEARER_REQ_BAD_BYTES;
		bool cr_before = i > s->line_start && buf[i - 1] == '\r';
		if (c == '\n' && cr_before) {
			bool empty = i - 1 == s->line_start;
			if (s->bad_cr)
				return BEARER_REQ_BAD_BYTES;
			if (s->lines > 0 && empty) {
				s->pos = i + 1;
				return BEARER_REQ_OK;
			}
			if (s->lines > BEARER_HEADERS_MAX)
				return BEARER_REQ_TOO_LONG;
			s->lines++;
			s->line_start = i + 1;
			s->bad_cr = false;
		} else if (cr_before) {
			s->bad_cr = true;
		}
	}
	s->pos = end;
	return len >= BEARER_REQUEST_MAX ? BEARER_REQ_TOO_LONG : BEARER_REQ_MORE;
}

const char *bearer_req_status(enum bearer_req_verdict v)
{
	switch (v) {
	case BEARER_REQ_OK:
		return "200 Connection Established";
	case BEARER_REQ_TOO_LONG:
		return "431 Request Header Fields Too Large";
	case BEARER_REQ_METHOD:
		return "405 Method Not Allowed";
	case BEARER_REQ_MORE:
	case BEARER_REQ_BAD_BYTES:
	case BEARER_REQ_MALFORMED:
	case BEARER_REQ_BAD_TARGET:
		break;
	}
	return "400 Bad Request";
}
