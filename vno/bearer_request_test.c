/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bearer proxy's request parser (bearer_request.h) on what curl sends
 * through it (fuzz/corpus/bearer_request/curl_connect, captured from curl
 * 7.88.1 with the agent's proxy header) and on that request spoiled: too
 * long, no key or a spoiled one, a bad host:port, a flood of headers, bytes
 * a header may not hold. A refusal names no key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/hex.h>

#include "bearer_request.h"
#include "check.h"

static char genuine[1024];
static size_t genuine_len;
static const uint8_t zero_key[OM_RADIO_BEARER_KEY_LEN];

static void load_genuine(void)
{
	const char *src = getenv("OM_SOURCE_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/fuzz/corpus/bearer_request/curl_connect", src ? src : ".");
	size_t len = 0;
	unsigned char *b = check_slurp(path, &len);
	CHECK_MSG(b && len > 0 && len < sizeof(genuine), "%s", path);
	if (b && len < sizeof(genuine)) {
		memcpy(genuine, b, len);
		genuine_len = len;
	}
	free(b);
}

/* The genuine request with its request line's target replaced. */
static enum bearer_req_verdict with_target(const char *target, struct bearer_request *r)
{
	char req[1024];
	const char *rest = strstr(genuine, "\r\n");
	int n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1%s", target, rest ? rest : "");
	return bearer_request_parse(req, (size_t)n, r);
}

/* The genuine request with extra header lines before the blank line. */
static enum bearer_req_verdict with_headers(const char *extra, struct bearer_request *r)
{
	static char req[8192];
	size_t head = genuine_len - 2;
	memcpy(req, genuine, head);
	int n = snprintf(req + head, sizeof(req) - head, "%s\r\n\r\n", extra);
	return bearer_request_parse(req, head + (size_t)n, r);
}

static void genuine_request(void)
{
	struct bearer_request r;
	CHECK_INT(bearer_request_parse(genuine, genuine_len, &r), BEARER_REQ_OK);
	CHECK_INT(r.line, BEARER_REQ_OK);
	CHECK(r.have_key);
	CHECK(strcmp(r.host, "localhost") == 0 && strcmp(r.port, "8445") == 0 && r.port_num == 8445);
	CHECK(strcmp(r.target, "localhost:8445") == 0);
	CHECK_INT(r.hdr_end, genuine_len);
	/* The key is the header's. */
	char hex[2 * OM_RADIO_BEARER_KEY_LEN + 1];
	om_hex_encode(hex, r.key, sizeof(r.key));
	CHECK(strstr(genuine, hex) != NULL);
	/* Bytes after the blank line (a TLS ClientHello sent early, NULs and all) are upstream's. */
	char more[1200];
	memcpy(more, genuine, genuine_len);
	memset(more + genuine_len, 0, 100);
	CHECK_INT(bearer_request_parse(more, genuine_len + 100, &r), BEARER_REQ_OK);
	CHECK_INT(r.hdr_end, genuine_len);
	/* Every prefix: read on, neither whole nor refused. */
	size_t not_more = 0;
	for (size_t i = 0; i < genuine_len; i++)
		not_more += bearer_request_parse(genuine, i, &r) != BEARER_REQ_MORE;
	CHECK_INT(not_more, 0);
}

static void oversized(void)
{
	static char big[BEARER_REQUEST_MAX + 64];
	struct bearer_request r;
	/* A request line that never ends: refused at BEARER_REQUEST_MAX, read on just before. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "CONNECT ", 8);
	CHECK_INT(bearer_request_parse(big, BEARER_REQUEST_MAX - 1, &r), BEARER_REQ_MORE);
	CHECK_INT(bearer_request_parse(big, BEARER_REQUEST_MAX, &r), BEARER_REQ_TOO_LONG);
	CHECK_INT(bearer_request_parse(big, sizeof(big), &r), BEARER_REQ_TOO_LONG);
	/* A blank line past BEARER_REQUEST_MAX does not make it whole. */
	memcpy(big + sizeof(big) - 4, "\r\n\r\n", 4);
	CHECK_INT(bearer_request_parse(big, sizeof(big), &r), BEARER_REQ_TOO_LONG);
	/* A host longer than a DNS name. */
	char host[BEARER_HOST_MAX + 8];
	memset(host, 'h', BEARER_HOST_MAX);
	strcpy(host + BEARER_HOST_MAX, ":443");
	CHECK_INT(with_target(host, &r), BEARER_REQ_OK);
	CHECK_INT(r.line, BEARER_REQ_OK);
	memset(host, 'h', BEARER_HOST_MAX + 1);
	strcpy(host + BEARER_HOST_MAX + 1, ":443");
	CHECK_INT(with_target(host, &r), BEARER_REQ_OK);
	CHECK_INT(r.line, BEARER_REQ_BAD_TARGET);
	CHECK(r.host[0] == '\0');
}

static void missing_or_spoiled_key(void)
{
	struct bearer_request r;
	char req[1024];
	/* curl without the agent's proxy header: whole, no key (the proxy answers 407). */
	const char *at = strstr(genuine, OM_RADIO_BEARER_AUTH);
	CHECK(at != NULL);
	if (!at)
		return;
	size_t pre = (size_t)(at - genuine);
	const char *eol = strstr(at, "\r\n");
	const char *key = at + strlen(OM_RADIO_BEARER_AUTH);
	memcpy(req, genuine, pre);
	strcpy(req + pre, eol + 2);
	CHECK_INT(bearer_request_parse(req, strlen(req), &r), BEARER_REQ_OK);
	CHECK(!r.have_key && memcmp(r.key, zero_key, sizeof(zero_key)) == 0);
	CHECK_INT(r.line, BEARER_REQ_OK);
	/* Cut short, one digit more, not hex, padded in front. */
	for (size_t i = 0; i < 4; i++) {
		char v[80];
		if (i == 0)
			snprintf(v, sizeof(v), "%.31s", key);
		else if (i == 1)
			snprintf(v, sizeof(v), "%.32s0", key);
		else if (i == 2)
			snprintf(v, sizeof(v), "%.31sg", key);
		else
			snprintf(v, sizeof(v), " %.32s", key);
		memcpy(req, genuine, pre);
		snprintf(req + pre, sizeof(req) - pre, OM_RADIO_BEARER_AUTH "%s\r\n%s", v, eol + 2);
		CHECK_INT(bearer_request_parse(req, strlen(req), &r), BEARER_REQ_OK);
		CHECK_MSG(!r.have_key && memcmp(r.key, zero_key, sizeof(zero_key)) == 0, "spoiled %zu", i);
	}
	/* Another header's name; the key twice (which is the device's?); the key after the blank line. */
	char line[160];
	snprintf(line, sizeof(line), "X-Bearer: %.32s", key);
	memcpy(req, genuine, pre);
	snprintf(req + pre, sizeof(req) - pre, "%s\r\n%s", line, eol + 2);
	CHECK_INT(bearer_request_parse(req, strlen(req), &r), BEARER_REQ_OK);
	CHECK(!r.have_key);
	snprintf(line, sizeof(line), OM_RADIO_BEARER_AUTH "%.32s", key);
	CHECK_INT(with_headers(line, &r), BEARER_REQ_OK);
	CHECK(!r.have_key && memcmp(r.key, zero_key, sizeof(zero_key)) == 0);
	memcpy(req, genuine, pre);
	snprintf(req + pre, sizeof(req) - pre, "%s%s\r\n", eol + 2, line);
	CHECK_INT(bearer_request_parse(req, strlen(req), &r), BEARER_REQ_OK);
	CHECK(!r.have_key);
}

static void bad_targets(void)
{
	struct bearer_request r;
	const char *bad[] = { "localhost",       ":8445",           "localhost:",       "localhost:0",
			      "localhost:65536", "localhost:+80",   "localhost:-1",     "localhost:080",
			      "localhost:80x",   "local/host:80",   "[::1]:443",        "host%0a:80",
			      "localhost:123456", "loc\"alhost:80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(with_target(bad[i], &r), BEARER_REQ_OK);
		CHECK_MSG(r.line == BEARER_REQ_BAD_TARGET && r.host[0] == '\0' && r.port_num == 0, "%s", bad[i]);
	}
	const char *good[] = { "127.0.0.1:1", "dpf.lab-a.example:65535", "a_b:443" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_INT(with_target(good[i], &r), BEARER_REQ_OK);
		CHECK_MSG(r.line == BEARER_REQ_OK && strcmp(r.target, good[i]) == 0, "%s", good[i]);
	}
	/* Not a CONNECT, not HTTP/1, not three parts. */
	char req[1024];
	const char *rest = strstr(genuine, "\r\n");
	snprintf(req, sizeof(req), "GET http://localhost:8445/ HTTP/1.1%s", rest);
	CHECK_INT(bearer_request_parse(req, strlen(req), &r), BEARER_REQ_OK);
	CHECK(r.line == BEARER_REQ_METHOD && strcmp(r.method, "GET") == 0);
	CHECK(strcmp(bearer_req_status(r.line), "405 Method Not Allowed") == 0);
	const char *lines[] = { "CONNECT localhost:8445 HTTP/2.0", "CONNECT localhost:8445", "CONNECT  localhost:8445 HTTP/1.1",
				"CONNECT localhost:8445 HTTP/1.1 x", "hello", "", "CONNECT\tlocalhost:8445 HTTP/1.1",
				"CONNECTCONNECTCONNECT localhost:8445 HTTP/1.1" };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(req, sizeof(req), "%s%s", lines[i], rest);
		CHECK_INT(bearer_request_parse(req, strlen(req), &r), BEARER_REQ_OK);
		CHECK_MSG(r.line == BEARER_REQ_MALFORMED, "%s", lines[i]);
		CHECK(strcmp(bearer_req_status(r.line), "400 Bad Request") == 0);
	}
}

static void header_flood(void)
{
	struct bearer_request r;
	static char extra[8192];
	size_t n = 0;
	/* curl's four lines and 28 more: BEARER_HEADERS_MAX, still a request, the key still found. */
	for (int i = 0; i < BEARER_HEADERS_MAX - 4; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, "%sX-%d: y", i ? "\r\n" : "", i);
	CHECK_INT(with_headers(extra, &r), BEARER_REQ_OK);
	CHECK(r.have_key && r.line == BEARER_REQ_OK);
	/* One more: refused before the key is looked at. */
	snprintf(extra + n, sizeof(extra) - n, "\r\nX-last: y");
	CHECK_INT(with_headers(extra, &r), BEARER_REQ_TOO_LONG);
	CHECK(!r.have_key && memcmp(r.key, zero_key, sizeof(zero_key)) == 0);
	CHECK(strcmp(bearer_req_status(BEARER_REQ_TOO_LONG), "431 Request Header Fields Too Large") == 0);
	/* Many empty-valued lines refused as soon as they are read, not when the blank line comes. */
	char req[1024];
	n = (size_t)snprintf(req, sizeof(req), "CONNECT localhost:8445 HTTP/1.1");
	for (int i = 0; i <= BEARER_HEADERS_MAX; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\nX:");
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	CHECK_INT(bearer_request_parse(req, n, &r), BEARER_REQ_TOO_LONG);
}

static void bad_bytes(void)
{
	struct bearer_request r;
	char req[1024];
	memcpy(req, genuine, genuine_len);
	req[20] = '\0'; /* in the request line */
	CHECK_INT(bearer_request_parse(req, genuine_len, &r), BEARER_REQ_BAD_BYTES);
	CHECK_INT(bearer_request_parse(req, 25, &r), BEARER_REQ_BAD_BYTES); /* before the request is whole */
	memcpy(req, genuine, genuine_len);
	req[genuine_len - 6] = '\0'; /* in the key's header */
	CHECK_INT(bearer_request_parse(req, genuine_len, &r), BEARER_REQ_BAD_BYTES);
	CHECK(!r.have_key && memcmp(r.key, zero_key, sizeof(zero_key)) == 0);
	CHECK_INT(with_headers("X-a: b\rc", &r), BEARER_REQ_BAD_BYTES);
}

/*
 * Review (session 6): the proxy parsed the whole request anew on every
 * read. bearer_request_scan looks at each new octet once: fed one octet at
 * a time, and in pieces of every size, it gives bearer_request_parse's
 * verdict for the octets so far at every piece, for the genuine request and
 * each refusal above, and has looked at each octet once (pos).
 */
static void scan_agrees_with_parse_piece_by_piece(void)
{
	static char reqs[6][BEARER_REQUEST_MAX + 64];
	size_t lens[6];
	memcpy(reqs[0], genuine, genuine_len); /* whole */
	lens[0] = genuine_len;
	memcpy(reqs[1], genuine, genuine_len); /* a NUL in the key's header */
	reqs[1][genuine_len - 6] = '\0';
	lens[1] = genuine_len;
	lens[2] = (size_t)snprintf(reqs[2], sizeof(reqs[2]), "CONNECT a:1 HTTP/1.1\r\nX-a: b\rc\r\n\r\n"); /* bare CR */
	size_t n = (size_t)snprintf(reqs[3], sizeof(reqs[3]), "CONNECT a:1 HTTP/1.1"); /* too many lines */
	for (int i = 0; i <= BEARER_HEADERS_MAX; i++)
		n += (size_t)snprintf(reqs[3] + n, sizeof(reqs[3]) - n, "\r\nX:");
	n += (size_t)snprintf(reqs[3] + n, sizeof(reqs[3]) - n, "\r\n\r\n");
	lens[3] = n;
	memset(reqs[4], 'a', BEARER_REQUEST_MAX + 10); /* no blank line in BEARER_REQUEST_MAX */
	lens[4] = BEARER_REQUEST_MAX + 10;
	lens[5] = (size_t)snprintf(reqs[5], sizeof(reqs[5]), "\r\n\r\r\n\n\r\nX\r\n\r\n"); /* odd line ends */
	for (int k = 0; k < 6; k++)
		for (size_t step = 1; step <= 64; step++) {
			struct bearer_scan sc = {0};
			struct bearer_request r;
			for (size_t got = 0; got < lens[k];) {
				got = got + step < lens[k] ? got + step : lens[k];
				enum bearer_req_verdict sv = bearer_request_scan(&sc, reqs[k], got);
				enum bearer_req_verdict pv = bearer_request_parse(reqs[k], got, &r);
				CHECK_MSG(sv == pv, "request %d, pieces of %zu, at %zu: scan %d, parse %d", k, step, got, sv, pv);
				if (sv != BEARER_REQ_MORE)
					break;
				CHECK_INT(sc.pos, got); /* every octet so far looked at, none twice */
			}
		}
}

int main(void)
{
	load_genuine();
	if (!genuine_len)
		return check_done();
	genuine_request();
	oversized();
	missing_or_spoiled_key();
	bad_targets();
	header_flood();
	bad_bytes();
	scan_agrees_with_parse_piece_by_piece();
	return check_done();
}
