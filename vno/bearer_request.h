/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's request to the bearer's CONNECT proxy (bearer.h), read from
 * outside bytes: the request line and headers up to the blank line, in the
 * caller's buffer, no I/O. fuzz/bearer_request.c runs it on any bytes;
 * vno/bearer_request_test.c shows its refusals.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openmcim/radio.h>

#define BEARER_REQUEST_MAX 4096   /* request line and headers, blank line included */
#define BEARER_HEADERS_MAX 32     /* header lines (curl sends four) */
#define BEARER_HOST_MAX 253       /* a DNS name's longest text */

enum bearer_req_verdict {
	BEARER_REQ_OK = 0,        /* whole; the key and the request line's verdict in the result */
	BEARER_REQ_MORE,          /* no blank line yet, nothing wrong so far: read on */
	BEARER_REQ_TOO_LONG,      /* 431: no blank line in BEARER_REQUEST_MAX, or more than BEARER_HEADERS_MAX lines */
	BEARER_REQ_BAD_BYTES,     /* 400: a NUL, or a CR not before LF, in the request line or headers */
	BEARER_REQ_MALFORMED,     /* 400: not "METHOD SP target SP HTTP/1.d" */
	BEARER_REQ_METHOD,        /* 405: a method other than CONNECT */
	BEARER_REQ_BAD_TARGET,    /* 400: not host:port (host letters, digits, '.', '-', '_'; port 1-65535) */
};

struct bearer_request {
	size_t hdr_end;           /* octets up to and with the blank line: what follows goes upstream */
	bool have_key;            /* exactly one OM_RADIO_BEARER_AUTH header, 32 hex digits */
	uint8_t key[OM_RADIO_BEARER_KEY_LEN]; /* secret: the caller cleanses it */
	/* The request line's verdict (OK, MALFORMED, METHOD or BAD_TARGET): answered only once
	 * the key has named a bearer, so that nothing else is said to who knows none. */
	enum bearer_req_verdict line;
	char method[16];          /* when line is OK or METHOD */
	char target[BEARER_HOST_MAX + 7]; /* "host:port" as sent, when line is OK */
	char host[BEARER_HOST_MAX + 1];
	char port[6];             /* digits, no leading zero */
	uint16_t port_num;
};

/*
 * Read the len octets at buf (which need not end in NUL) as a request.
 * Returns BEARER_REQ_MORE (r untouched but cleared), BEARER_REQ_TOO_LONG or
 * BEARER_REQ_BAD_BYTES (refused before any key is looked at), or
 * BEARER_REQ_OK with r filled. Never reads past buf + len.
 */
enum bearer_req_verdict bearer_request_parse(const char *buf, size_t len, struct bearer_request *r);

/*
 * Where an incremental look at a request that is still coming has got to
 * (bearer_request_scan). Zeroed for a new request.
 */
struct bearer_scan {
	size_t pos;               /* octets looked at */
	size_t line_start;        /* where the line being read begins */
	unsigned lines;           /* lines ended so far */
	bool bad_cr;              /* a CR not followed by LF in that line */
};

/*
 * Look at the octets of buf that came since the last call (buf holds all
 * len so far, the same first octets as before): each octet once, however
 * the request is cut into reads. Returns what bearer_request_parse(buf, len)
 * would, but for BEARER_REQ_OK: the blank line is in, parse once now.
 * BEARER_REQ_MORE, BEARER_REQ_TOO_LONG and BEARER_REQ_BAD_BYTES are its
 * verdicts for the same octets (fuzz/bearer_request.c checks it).
 */
enum bearer_req_verdict bearer_request_scan(struct bearer_scan *s, const char *buf, size_t len);

/* The status line's code and text for a refusal verdict, as the proxy answers it. */
const char *bearer_req_status(enum bearer_req_verdict v);
