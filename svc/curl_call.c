/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTP request on a prepared libcurl handle (curl_call.h). */
#include <string.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "curl_call.h"
#include "reason.h"

struct sink {
	CURL *h;
	struct om_curl_call *k;
	int first; /* no byte yet: the connection's TLS state is read once, while it is attached */
	int refused;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (!s) /* a kept handle used outside om_curl_call: nothing to collect into */
		return len;
	if (s->first) {
		const struct curl_tlssessioninfo *tls = NULL;
		s->first = 0;
		if (curl_easy_getinfo(s->h, CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK && tls &&
		    tls->backend == CURLSSLBACKEND_OPENSSL && tls->internals)
			s->k->tls_resumed = SSL_session_reused(tls->internals) == 1;
	}
	if (!s->k->answer)
		return len;
	om_buf_put(s->k->answer, p, len);
	if (s->k->answer->err) {
		s->refused = 1;
		return 0; /* refused, not truncated: libcurl fails the transfer */
	}
	return len;
}

int om_curl_call(void *curl, struct om_curl_call *k, char *why, size_t wl)
{
	CURL *h = curl;
	struct sink s = { .h = h, .k = k, .first = 1 };
	if (!h || !k || k->timeout_ms <= 0 || (k->len && !k->body))
		return om_reason(why, wl, OM_EINVAL, "curl call: no handle, deadline or body");
	k->status = 0;
	k->curl_code = CURLE_OK;
	k->tls_resumed = 0;
	int get = k->method && !strcmp(k->method, "GET");
	if (k->url)
		curl_easy_setopt(h, CURLOPT_URL, k->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)k->headers);
	if (get) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, k->body ? (const char *)k->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->len);
		if (k->method && strcmp(k->method, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, k->method);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, k->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, k->timeout_ms);
	CURLcode cc = curl_easy_perform(h);
	k->curl_code = (int)cc;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &k->status);
	/* nothing of this call stays in a kept handle: its headers, body and sink are the caller's memory */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	const char *url = NULL;
	if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || !url)
		url = k->url ? k->url : "?";
	if (cc == CURLE_OK)
		return 0;
	k->status = 0;
	if (s.refused)
		return om_reason(why, wl, OM_ENOSPC, "%s: answer longer than %zu bytes", url,
				 k->answer->max ? k->answer->max : k->answer->cap);
	return om_reason(why, wl, cc == CURLE_OPERATION_TIMEDOUT ? OM_ETIMEOUT : OM_EIO, "%s: %s", url,
			 curl_easy_strerror(cc));
}
