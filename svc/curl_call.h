/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One HTTP request on a libcurl handle the caller prepared: the one place
 * where a body is sent, an answer collected and libcurl's failure turned
 * into an om_err (issue 13: six callers each had their own). The handle's
 * set-up stays the caller's: TLS trust and policy (svc/tls_policy.h), a
 * TLS context callback or a prebuilt context, a share handle for sessions,
 * a proxy, a pin, the kept connection. Used by the daemons' client towards
 * a peer (svc/https_client.h), the OCSP client, the device's DM client and
 * the lab's owner.
 *
 * The answer goes into an om_buf whose max is the caller's cap: a longer
 * answer is refused (OM_ENOSPC), never truncated; the buffer wipes what it
 * leaves. The whole call is bounded by timeout_ms. The options set for the
 * call (headers, method, body, sink) are cleared after it, so the handle
 * can be kept for the next call with none of this one's pointers.
 */
#pragma once

#include <stddef.h>

#include <openmcim/buf.h>
#include <openmcim/err.h>

struct curl_slist;

struct om_curl_call {
	const char *url;                  /* NULL: the handle's own */
	const char *method;               /* NULL or "POST": POST; "GET": no body; another: sent as is */
	const struct curl_slist *headers; /* this call's request headers; NULL: none */
	const void *body;                 /* with POST or another method: len bytes (NULL: empty) */
	size_t len;
	long timeout_ms;                  /* the whole call, connection included (> 0) */
	struct om_buf *answer;            /* the answer's body, appended; NULL: discarded */
	long status;                      /* out: the HTTP status, 0 when none came */
	int curl_code;                    /* out: libcurl's CURLcode (CURLE_OK: 0) */
	int tls_resumed;                  /* out: 1 when the answer came over a TLS session resumed, else 0 */
};

/*
 * Perform k on curl (a CURL *). Returns 0 when the server answered (any
 * status: k->status), OM_ENOSPC (the answer over its buffer's cap, or the
 * buffer's own failure), OM_ETIMEOUT (no whole answer within timeout_ms),
 * OM_EIO (connection, TLS, the server's identity, or the link broke:
 * k->curl_code and why say which) or OM_EINVAL. why gets no secret: the
 * URL and libcurl's reason.
 */
OM_NODISCARD int om_curl_call(void *curl, struct om_curl_call *k, char *why, size_t why_len);
