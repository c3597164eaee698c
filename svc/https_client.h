/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemons' HTTP(S) client towards one peer (issue 14): built once per
 * process and peer, used for every call. The roots are read into one
 * X509_STORE and our client certificate, its chain and key are parsed once,
 * at creation (a configuration error then, never a per-call file read); each
 * libcurl connection's TLS context takes them from memory. Connections are
 * kept alive between calls (at most max_links at once, each call on a free
 * one), a new connection resumes the TLS session of an earlier one when the
 * server gave a ticket, and no certificate chain is built for our own
 * certificate (it is sent as the file gives it: leaf, then its chain).
 *
 * Every check stays per connection and per call: the server's certificate
 * verified against the roots and its name against the URL's host, TLS under
 * svc/tls_policy.h, and each call bounded by timeout_ms from its start,
 * waiting for a free link included; a peer that stopped fails the call
 * within its deadline, as a fresh connection would. A call that finds its
 * kept connection closed by the server is sent again on a new one before
 * any answer byte (libcurl's rule): the daemons' peer calls are idempotent.
 *
 * Threads: any number may call om_https_post on one client at once.
 *
 * Each call is one om_curl_call (svc/curl_call.h) on a kept link: the one
 * libcurl request helper, which callers with a handle of their own (the
 * OCSP client's links, the device's DM client, the lab's owner) use too.
 */
#pragma once

#include <stddef.h>

#include <openmcim/buf.h>
#include <openmcim/err.h>

struct om_https_client;

struct om_https_client_opts {
	const char *ca_file;   /* PEM roots for the server's certificate; NULL: plain http only */
	const char *cert_file; /* our client certificate (PEM, leaf first, then its chain), or NULL */
	const char *key_file;  /* its private key (PEM); with cert_file */
	long timeout_ms;       /* each call, from its start to the whole answer (> 0) */
	unsigned max_links;    /* calls at once, each on its own kept connection; 0: 4 */
};

/*
 * The client. Returns 0, OM_EINVAL (no timeout, a key without certificate),
 * OM_ECRYPTO (a file unreadable, not PEM, or key and certificate not a pair:
 * err names the file) or OM_ENOMEM.
 */
OM_NODISCARD int om_https_client_new(struct om_https_client **out, const struct om_https_client_opts *o, char *err,
				     size_t err_len);
void om_https_client_free(struct om_https_client *c);

/* One POST and its answer. */
struct om_https_call {
	const char *url;          /* https:// (http:// only for a client without roots) */
	const char *content_type; /* NULL: no Content-Type header */
	const void *body;
	size_t len;
	char *answer;      /* the answer's body, NUL-terminated; NULL: discarded (or into answer_buf) */
	size_t cap;        /* answer's size: at most cap - 1 bytes of body */
	struct om_buf *answer_buf; /* with answer NULL: the body appended here, at most its max (0: no cap) */
	size_t answer_len; /* out */
	long status;       /* out: the HTTP status, 0 when none came */
};

/*
 * POST call->body to call->url. Returns 0 when the server answered (any
 * status: call->status), OM_ENOSPC (the answer is longer than cap - 1 or
 * answer_buf's max),
 * OM_ETIMEOUT (no whole answer within timeout_ms), OM_EIO (connection, TLS,
 * the server's identity, or the link broke: why says which), OM_EINVAL or
 * OM_ENOMEM. why gets no secret: the URL and libcurl's reason.
 */
OM_NODISCARD int om_https_post(struct om_https_client *c, struct om_https_call *call, char *why, size_t why_len);

/* What the client's links did so far (tests, counters). */
struct om_https_client_stats {
	unsigned long calls;    /* om_https_post calls that reached a link */
	unsigned long connects; /* new connections made (a kept one reused is none) */
	unsigned long resumed;  /* of those over TLS, the ones that resumed an earlier session */
};
void om_https_client_stats(struct om_https_client *c, struct om_https_client_stats *out);
