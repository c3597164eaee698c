/* SPDX-License-Identifier: Apache-2.0 */
/* The device's OMA DM client transport: SyncML over HTTPS through the bearer's CONNECT proxy (dm_client.h). */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <openmcim/app_params.h>
#include <openmcim/hex.h>
#include <openmcim/pki.h>
#include <openmcim/radio.h>

#include "agent_err.h"
#include "curl_call.h"
#include "dm_client.h"
#include "reason.h"
#include "tls_policy.h"

/*
 * Trust for the DPF's TLS certificate from Cert_SHO[i+1] (B.2.3.3: the
 * certificate comes in the bootstrap so that the DM client authenticates
 * the DPF). A leaf (SHO_SIGNING, the lab's and the texts' case: the
 * operator's "trusted server certificate") is a key pin: the DPF's TLS key
 * is that key, whoever issued its certificate, so no CA and no host name
 * count. TLS 1.3 only, whose CertificateVerify signs a 64-space prefix and
 * a context string, so a handshake signature is never a bootstrap or an
 * M2MMCIMMobj signature by the same key (docs/decisions.md). A ROOT_CA is
 * the one anchor of the DPF's chain, host name checked.
 */
static int trust_anchor(struct agent_dm *dm, CURL *c, const uint8_t *der, size_t len)
{
	X509 *cert = NULL;
	uint8_t pin[OM_SPKI_PIN_LEN];
	char opt[8 + 64] = "sha256//";
	int rc = om_cert_decode(&cert, OM_ENC_DER, der, len);
	if (rc == 0 && om_cert_check_profile(cert, OM_CERT_ROOT_CA) == 0) {
		uint8_t *pem = NULL;
		size_t pem_len = 0;
		rc = om_cert_encode(cert, OM_ENC_PEM, &pem, &pem_len);
		struct curl_blob blob = { .data = pem, .len = pem_len, .flags = CURL_BLOB_COPY };
		if (rc == 0 && curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
			rc = OM_ENOMEM;
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		OPENSSL_free(pem);
	} else if (rc == 0 && (rc = om_cert_spki_pin(cert, pin)) == 0) {
		EVP_EncodeBlock((unsigned char *)opt + 8, pin, sizeof(pin));
		if (curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, opt) != CURLE_OK)
			rc = OM_ENOMEM;
		curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		dm->pinned = 1;
	}
	X509_free(cert);
	return rc;
}

/* The AAS's key against the factory's aas_pin, in constant time; the chain and the name count for nothing. */
static int verify_pin(X509_STORE_CTX *x, void *arg)
{
	const struct agent_dm *dm = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(x);
	uint8_t got[OM_SPKI_PIN_LEN];
	int ok = leaf && om_cert_spki_pin(leaf, got) == 0 && CRYPTO_memcmp(got, dm->spki_pin, sizeof(got)) == 0;
	if (!ok)
		X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
	return ok;
}

static CURLcode pin_ctx(CURL *c, void *ssl_ctx, void *arg)
{
	(void)c;
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_pin, arg);
	return CURLE_OK;
}

/*
 * Trust for the AAS (docs/aas.md "Whom the device talks to"): the SHA-256
 * of its SubjectPublicKeyInfo must be the factory's pin, compared in
 * constant time during the handshake; TLS 1.3 only, no CA, no host name.
 */
static int trust_pin(struct agent_dm *dm, CURL *c, const uint8_t pin[static OM_SPKI_PIN_LEN])
{
	memcpy(dm->spki_pin, pin, OM_SPKI_PIN_LEN);
	if (curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, pin_ctx) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, dm) != CURLE_OK)
		return OM_ENOMEM;
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	dm->pinned = 2;
	return 0;
}

/* ---- the bearer's tunnel ------------------------------------------------------------ */

/* Wait up to until_ms (CLOCK_MONOTONIC) for events on fd: 1 ready, 0 time out, -1 error. */
static int wait_fd(int fd, short events, long long until_ms)
{
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long left = until_ms - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n > 0;
	}
}

/*
 * The URL's host and port (libcurl's own parser: what it connects to) as
 * the CONNECT's target, and a CURLOPT_RESOLVE entry for them: the device
 * never looks the DPF's name up itself, the proxy does (as through
 * CURLOPT_PROXY); the address in the entry is never dialled (tunnel_open).
 * A host with a trailing dot is refused: libcurl may look it up without
 * the dot, miss the entry and ask the device's resolver.
 */
static int url_target(struct agent_dm *dm)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	int rc = OM_EINVAL;
	if (u && curl_url_set(u, CURLUPART_URL, dm->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    strcspn(host, " \r\n") == strlen(host) && host[0] && host[strlen(host) - 1] != '.' &&
	    (size_t)snprintf(dm->target, sizeof(dm->target), "%s:%s", host, port) < sizeof(dm->target)) {
		char entry[sizeof(dm->target) + 16];
		snprintf(entry, sizeof(entry), "%s:127.0.0.1", dm->target);
		/* an address literal is not looked up anyway */
		dm->resolve = host[0] == '[' ? NULL : curl_slist_append(NULL, entry);
		rc = host[0] == '[' || dm->resolve ? 0 : OM_ENOMEM;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/*
 * libcurl's socket for a connection to the DPF (CURLOPT_OPENSOCKETFUNCTION):
 * a TCP connection to the bearer's proxy, the CONNECT for the URL's
 * host:port with the bearer's key, and its answer read whole, a 2xx or
 * nothing. Libcurl then starts TLS on it as on a socket it connected
 * (tunnel_sockopt). The server speaks first only after our ClientHello, so
 * an answer with bytes after its headers is not a proxy's: refused. The
 * whole set-up is bounded by the session's timeout. CURL_SOCKET_BAD, and
 * why in dm->tunnel_why, when no tunnel opened.
 */
static curl_socket_t tunnel_open(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct agent_dm *dm = arg;
	struct timespec ts;
	char req[sizeof(dm->target) * 2 + sizeof(OM_RADIO_BEARER_AUTH) + 2 * OM_RADIO_BEARER_KEY_LEN + 64];
	char ans[1024];
	size_t got = 0;
	(void)addr;
	dm->tunnel_why[0] = 0;
	if (purpose != CURLSOCKTYPE_IPCXN) {
		snprintf(dm->tunnel_why, sizeof(dm->tunnel_why), "no socket but the tunnel");
		return CURL_SOCKET_BAD;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long until = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (dm->timeout_ms > 0 ? dm->timeout_ms : 10000);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(dm->tunnel_why, sizeof(dm->tunnel_why), "socket: %s", strerror(errno));
		return CURL_SOCKET_BAD;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(dm->proxy_port) };
	memcpy(&sa.sin_addr, dm->proxy_ipv4, sizeof(dm->proxy_ipv4));
	/*
	 * Non-blocking: a TCP connect() returns EINPROGRESS (the SYN-ACK waits
	 * for the socket's lock, even on loopback), never 0. libcurl 7.88 calls
	 * connect() again on the socket it is given despite
	 * CURL_SOCKOPT_ALREADY_CONNECTED; on a socket whose connect completed
	 * that way Linux answers 0 (done), where a socket connected by a
	 * blocking connect() would answer EISCONN and fail the transfer.
	 */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    (errno != EINPROGRESS || wait_fd(fd, POLLOUT, until) != 1)) {
		snprintf(dm->tunnel_why, sizeof(dm->tunnel_why), "the bearer's proxy: %s",
			 errno != EINPROGRESS ? strerror(errno) : "no connection");
		close(fd);
		return CURL_SOCKET_BAD;
	}
	int n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" OM_RADIO_BEARER_AUTH, dm->target,
			 dm->target);
	om_hex_encode(req + n, dm->bearer_key, OM_RADIO_BEARER_KEY_LEN);
	n += 2 * OM_RADIO_BEARER_KEY_LEN;
	memcpy(req + n, "\r\n\r\n", 4);
	n += 4;
	/* a failed connect shows here (ECONNREFUSED); a new socket's buffer takes a few hundred bytes at once */
	ssize_t w = send(fd, req, (size_t)n, MSG_NOSIGNAL);
	int err = errno;
	OPENSSL_cleanse(req, sizeof(req));
	if (w != n) {
		snprintf(dm->tunnel_why, sizeof(dm->tunnel_why), "the bearer's proxy: %s",
			 w < 0 ? strerror(err) : "CONNECT not sent whole");
		close(fd);
		return CURL_SOCKET_BAD;
	}
	const char *end = NULL;
	while (!end) {
		int ready = wait_fd(fd, POLLIN, until);
		ssize_t r = ready == 1 ? recv(fd, ans + got, sizeof(ans) - 1 - got, 0) : -1;
		if (ready == 1 && r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0 || got + (size_t)r >= sizeof(ans) - 1) {
			snprintf(dm->tunnel_why, sizeof(dm->tunnel_why), "the bearer's proxy: %s",
				 r == 0	     ? "closed before its answer"
				 : r > 0     ? "answer too long"
				 : ready == 0 ? "no answer in time"
					      : "no answer");
			close(fd);
			return CURL_SOCKET_BAD;
		}
		got += (size_t)r;
		ans[got] = 0;
		end = strstr(ans, "\r\n\r\n");
	}
	unsigned code = 0;
	int ok = (!strncmp(ans, "HTTP/1.1 ", 9) || !strncmp(ans, "HTTP/1.0 ", 9)) && sscanf(ans + 9, "%3u", &code) == 1 &&
		 code >= 200 && code < 300 && (size_t)(end + 4 - ans) == got;
	if (!ok) {
		snprintf(dm->tunnel_why, sizeof(dm->tunnel_why), "the bearer's proxy answered %.*s", (int)strcspn(ans, "\r\n"),
			 ans);
		/* the proxy's words go into an event's why="...": printable, and no quote or backslash */
		for (char *c = dm->tunnel_why; *c; c++)
			if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
				*c = '?';
		close(fd);
		return CURL_SOCKET_BAD;
	}
	return fd;
}

/* The socket tunnel_open gave is connected already: libcurl goes on to TLS. */
static int tunnel_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	(void)arg;
	(void)fd;
	(void)purpose;
	return CURL_SOCKOPT_ALREADY_CONNECTED;
}

static int dm_new(struct agent_dm **out, const char *url, const struct om_radio_bearer *bearer, const uint8_t *anchor,
		  size_t anchor_len, const char *ca_file, const uint8_t *pin, int timeout_ms, const char *dev_id,
		  const char *user)
{
	struct agent_dm *dm;
	CURL *c;

	*out = NULL;
	if (!url || strncmp(url, "https://", 8) != 0 || strlen(url) >= sizeof(dm->url) || !bearer ||
	    (!anchor && !ca_file && !pin) || !dev_id || !*dev_id || !user || strlen(user) >= sizeof(dm->user))
		return OM_EINVAL;
	if (!om_curl_ready())
		return OM_ENOMEM;
	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return OM_ENOMEM;
	snprintf(dm->url, sizeof(dm->url), "%s", url);
	/* DevId and Source/LocURI: the device identifier URN of the TRE (om_dm_dev_id), the same in both */
	if (om_dm_dev_id(dev_id, dm->dev_id) < 0) {
		free(dm);
		return OM_EINVAL;
	}
	snprintf(dm->user, sizeof(dm->user), "%s", user);
	memcpy(dm->proxy_ipv4, bearer->proxy_ipv4, sizeof(dm->proxy_ipv4));
	dm->proxy_port = bearer->proxy_port;
	/* The bearer is this device's: its CONNECT carries the key the VNO gave it
	 * over its own radio link (radio.h OM_RADIO_LAB_BEARER); without it the
	 * proxy answers 407. */
	memcpy(dm->bearer_key, bearer->key, sizeof(dm->bearer_key));
	c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " OM_DM_CONTENT_TYPE);
	struct curl_slist *h2 = h ? curl_slist_append(h, "Accept: " OM_DM_CONTENT_TYPE) : NULL;
	int rc = c && h2 ? url_target(dm) : OM_ENOMEM;
	if (rc) {
		curl_easy_cleanup(c);
		curl_slist_free_all(h2 ? h2 : h);
		OPENSSL_cleanse(dm->bearer_key, sizeof(dm->bearer_key));
		free(dm);
		return rc;
	}
	dm->curl = c;
	dm->headers = h2;
	/* The device's only route to the DPF is its bearer: the VNO's CONNECT
	 * proxy tunnels to the host:port the APN allows; TLS runs end to end.
	 * The tunnel is opened here (tunnel_open), libcurl speaks TLS and HTTP
	 * over it: libcurl 7.88 reads a proxy's answer one byte per recv(), 40
	 * system calls per connection (issue 14). No proxy of the environment. */
	curl_easy_setopt(c, CURLOPT_URL, dm->url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_RESOLVE, (struct curl_slist *)dm->resolve);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, tunnel_open);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, dm);
	curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, tunnel_sockopt);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	rc = om_tls_policy_curl(c);
	if (rc == 0 && pin) {
		rc = trust_pin(dm, c, pin);
	} else if (rc == 0 && anchor) {
		rc = trust_anchor(dm, c, anchor, anchor_len);
	} else if (rc == 0) {
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (rc) {
		agent_dm_free(dm);
		return rc;
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	dm->timeout_ms = timeout_ms;
	agent_dm_new_session(dm);
	*out = dm;
	return 0;
}

int agent_dm_new(struct agent_dm **out, const char *url, const struct om_radio_bearer *bearer, const uint8_t *anchor,
		 size_t anchor_len, const char *ca_file, int timeout_ms, const char *dev_id, const char *user)
{
	return dm_new(out, url, bearer, anchor, anchor_len, ca_file, NULL, timeout_ms, dev_id, user);
}

int agent_dm_new_pinned(struct agent_dm **out, const char *url, const struct om_radio_bearer *bearer,
			const uint8_t pin[static OM_SPKI_PIN_LEN], int timeout_ms, const char *dev_id, const char *user)
{
	return dm_new(out, url, bearer, NULL, 0, NULL, pin, timeout_ms, dev_id, user);
}

void agent_dm_free(struct agent_dm *dm)
{
	if (!dm)
		return;
	om_dm_msg_free(&dm->in);
	curl_easy_cleanup(dm->curl);
	curl_slist_free_all(dm->headers);
	curl_slist_free_all(dm->resolve);
	OPENSSL_cleanse(dm->bearer_key, sizeof(dm->bearer_key));
	/* The last package 1 on the wire holds a spent Cred: no need to leave it in freed memory. */
	OPENSSL_cleanse(dm->cred, sizeof(dm->cred));
	OPENSSL_cleanse(dm->wire, sizeof(dm->wire));
	free(dm);
}

void *agent_dm_sessions_new(void)
{
	CURLSH *sh = om_curl_ready() ? curl_share_init() : NULL;
	/* one device's run uses its clients one at a time, in one thread: no lock needed */
	if (sh && curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		curl_share_cleanup(sh);
		sh = NULL;
	}
	return sh;
}

void agent_dm_sessions_free(void *sessions)
{
	if (sessions)
		curl_share_cleanup(sessions);
}

void agent_dm_use_sessions(struct agent_dm *dm, void *sessions)
{
	if (dm && sessions)
		curl_easy_setopt(dm->curl, CURLOPT_SHARE, (CURLSH *)sessions);
}

void agent_dm_new_session(struct agent_dm *dm)
{
	uint8_t r[2];
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r)); /* a SessionID is not secret; a new one per session of this device is what counts */
	/* 16 bits as OMA DM 1.2 has it (the notification's sessionid), not a long token */
	om_dm_session_id((uint16_t)(r[0] << 8 | r[1]), dm->session_id);
	dm->next_msg_id = 1;
	dm->hmac_tre = NULL; /* a new session authenticates again */
	om_dm_msg_free(&dm->in);
	memset(&dm->in, 0, sizeof(dm->in));
}

void agent_dm_begin(struct agent_dm *dm)
{
	om_dm_msg_init(&dm->out, dm->session_id, dm->next_msg_id, dm->url, dm->dev_id);
	dm->out.hdr.source_name = dm->user;
	dm->out.hdr.max_msg_size = OM_DM_MSG_MAX;
}

int agent_dm_hmac(const struct om_tre *tre, const char *user, const uint8_t *nonce, size_t nonce_len,
		  const uint8_t *body, size_t len, char *out, size_t cap)
{
	uint8_t x[AGENT_DM_NONCE_MAX + 1 + OM_DM_B64_MD5_LEN];
	char mac[OM_TRE_DM_DIGEST_B64_LEN + 1];
	int n = om_dm_hmac_input(nonce, nonce_len, body, len, x, sizeof(x));
	if (n >= 0)
		n = om_tre_dm_digest(tre, x, (size_t)n, mac);
	if (n >= 0)
		n = om_dm_hmac_header(user, mac, out, cap);
	OPENSSL_cleanse(mac, sizeof(mac));
	return n;
}

int agent_dm_exchange(struct agent_dm *dm)
{
	struct curl_slist *h = NULL;
	int n = om_dm_encode(&dm->out, dm->wire, sizeof(dm->wire));
	if (n < 0)
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_DM, "encode: %s", om_errname(n));
	/* after the 212, the HMAC of these exact bytes over the DPF's last NextNonce (OMA DM Security 1.2) */
	if (dm->hmac_tre) {
		char line[sizeof(dm->hmac) + 16];
		int hl = agent_dm_hmac(dm->hmac_tre, dm->user, dm->nonce, dm->nonce_len, dm->wire, (size_t)n, dm->hmac,
				       sizeof(dm->hmac));
		if (hl < 0)
			return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_DM, "hmac: %s", om_errname(hl));
		snprintf(line, sizeof(line), "x-syncml-hmac: %s", dm->hmac);
		/* a copy of the session's headers with this message's HMAC, for this exchange only */
		for (struct curl_slist *p = dm->headers; p; p = p->next)
			if (!(h = curl_slist_append(h, p->data)))
				break;
		if (!h || !curl_slist_append(h, line)) {
			curl_slist_free_all(h);
			return om_reason(dm->why, sizeof(dm->why), OM_ENOMEM, "headers");
		}
	}
	om_dm_msg_free(&dm->in);
	memset(&dm->in, 0, sizeof(dm->in));
	dm->next_msg_id++;
	dm->messages++;
	dm->body_len = 0;
	dm->http_status = 0;
	dm->tunnel_why[0] = 0;
	/* a DM message is bounded (OM_DM_MSG_MAX): a longer answer is refused, not truncated */
	struct om_buf body;
	om_buf_fixed(&body, dm->body, sizeof(dm->body));
	struct om_curl_call k = { .headers = h ? h : dm->headers, .body = dm->wire, .len = (size_t)n,
				  .timeout_ms = dm->timeout_ms, .answer = &body };
	char why[sizeof(dm->why)];
	int rc = om_curl_call(dm->curl, &k, why, sizeof(why));
	dm->http_status = k.status;
	dm->body_len = body.len;
	long connects = 0;
	if (curl_easy_getinfo(dm->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0 && dm->body_len)
		*(k.tls_resumed ? &dm->tls_resumed : &dm->tls_full) += 1;
	curl_slist_free_all(h);
	if (rc == OM_ENOSPC)
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_DM, "answer over %d bytes", OM_DM_MSG_MAX);
	/* not the DPF the bootstrap named (or the bundle's, after a fallback): nothing was sent */
	if (rc < 0 && (k.curl_code == CURLE_SSL_PINNEDPUBKEYNOTMATCH || k.curl_code == CURLE_PEER_FAILED_VERIFICATION))
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_DPF_IDENTITY, "%s%s",
				 dm->pinned == 2 ? "the server's TLS key is not aas_pin's: "
				 : dm->pinned	 ? "the DPF's TLS key is not Cert_SHO[i+1]'s: "
						 : "",
				 curl_easy_strerror((CURLcode)k.curl_code));
	if (rc < 0 && dm->tunnel_why[0]) /* no tunnel through the bearer */
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_NETWORK, "%s", dm->tunnel_why);
	if (rc < 0)
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_NETWORK, "%s",
				 curl_easy_strerror((CURLcode)k.curl_code));
	/* 5xx: the DPF lost it or is busy (503: every session slot taken): a lost message. */
	if (dm->http_status >= 500)
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_NETWORK, "http %ld", dm->http_status);
	if (dm->http_status != 200)
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_DM, "http %ld", dm->http_status);
	rc = om_dm_parse(dm->body, dm->body_len, &dm->in);
	if (rc)
		return om_reason(dm->why, sizeof(dm->why), OM_EAGENT_DM, "answer: %s", om_errname(rc));
	for (size_t i = 0; i < dm->in.n_cmds; i++) {
		const struct om_dm_cmd *c = &dm->in.cmds[i];
		if (c->type == OM_DM_CMD_STATUS && c->next_nonce_len && c->next_nonce_len <= sizeof(dm->nonce)) {
			memcpy(dm->nonce, c->next_nonce, c->next_nonce_len);
			dm->nonce_len = c->next_nonce_len;
		}
	}
	return 0;
}

unsigned agent_dm_hdr_status(const struct agent_dm *dm)
{
	for (size_t i = 0; i < dm->in.n_cmds; i++) {
		const struct om_dm_cmd *c = &dm->in.cmds[i];
		if (c->type == OM_DM_CMD_STATUS && c->cmd_ref == 0 && c->ref_cmd && !strcmp(c->ref_cmd, "SyncHdr"))
			return c->code;
	}
	return 0;
}

const struct om_dm_cmd *agent_dm_find(const struct agent_dm *dm, enum om_dm_cmd_type t)
{
	for (size_t i = 0; i < dm->in.n_cmds; i++)
		if (dm->in.cmds[i].type == t)
			return &dm->in.cmds[i];
	return NULL;
}

const struct om_dm_cmd *agent_dm_status_for(const struct agent_dm *dm, uint32_t msg_id, uint32_t cmd_id)
{
	for (size_t i = 0; i < dm->in.n_cmds; i++) {
		const struct om_dm_cmd *c = &dm->in.cmds[i];
		if (c->type == OM_DM_CMD_STATUS && c->cmd_ref == cmd_id && (c->msg_ref == msg_id || c->msg_ref == 0))
			return c;
	}
	return NULL;
}

void agent_dm_package1(struct om_dm_msg *msg, const char *dev_id, const uint8_t *stmt, size_t stmt_len,
		       uint32_t *outcome_cmd)
{
	static const char *const keys[] = { "./DevInfo/DevId", "./DevInfo/Man", "./DevInfo/Mod", "./DevInfo/DmV",
					    "./DevInfo/Lang" };
	const char *vals[] = { dev_id, "openmcim", "openmcim-agent", "1.2", "en-US" };

	om_dm_add_cmd(msg, OM_DM_CMD_ALERT)->code = OM_DM_ALERT_CLIENT_INITIATED;
	struct om_dm_cmd *rep = om_dm_add_cmd(msg, OM_DM_CMD_REPLACE);
	for (size_t i = 0; i < 5; i++) {
		struct om_dm_item *it = om_dm_add_item(rep);
		it->source = keys[i];
		it->data = (const uint8_t *)vals[i];
		it->data_len = strlen(vals[i]);
	}
	if (stmt) {
		struct om_dm_cmd *a = om_dm_add_cmd(msg, OM_DM_CMD_ALERT);
		a->code = OM_DM_ALERT_GENERIC;
		struct om_dm_item *it = om_dm_add_item(a);
		it->source = OM_DM_URI_M2MMCIMMOBJ;
		it->type = OM_DM_TYPE_MCIM_OUTCOME;
		it->format = OM_DM_FMT_B64;
		it->data = stmt;
		it->data_len = stmt_len;
		if (outcome_cmd)
			*outcome_cmd = a->cmd_id;
	}
	msg->final = 1;
}

uint32_t agent_dm_package3(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t get_cmd, const uint8_t *obj, size_t len)
{
	om_dm_add_status(msg, srv_msg, 0, "SyncHdr", OM_DM_STATUS_OK);
	om_dm_add_status(msg, srv_msg, get_cmd, "Get", OM_DM_STATUS_OK);
	struct om_dm_cmd *r = om_dm_add_cmd(msg, OM_DM_CMD_RESULTS);
	r->msg_ref = srv_msg;
	r->cmd_ref = get_cmd;
	struct om_dm_item *it = om_dm_add_item(r);
	it->source = OM_DM_URI_M2MMOBJ;
	it->type = OM_DM_TYPE_M2MMOBJ;
	it->format = OM_DM_FMT_B64;
	it->data = obj;
	it->data_len = len;
	msg->final = 1;
	return r->cmd_id;
}

void agent_dm_install_status(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t rep_cmd, unsigned code)
{
	om_dm_add_status(msg, srv_msg, 0, "SyncHdr", OM_DM_STATUS_OK);
	agent_dm_replace_status(msg, srv_msg, rep_cmd, OM_DM_URI_M2MMCIMMOBJ, code);
	msg->final = 1;
}

void agent_dm_app_status(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t rep_cmd, unsigned code)
{
	om_dm_add_status(msg, srv_msg, 0, "SyncHdr", OM_DM_STATUS_OK);
	if (rep_cmd)
		agent_dm_replace_status(msg, srv_msg, rep_cmd, OM_DM_URI_APP_PARAMS, code);
	msg->final = 1;
}

void agent_dm_replace_status(struct om_dm_msg *msg, uint32_t srv_msg, uint32_t rep_cmd, const char *target,
			     unsigned code)
{
	struct om_dm_cmd *s = om_dm_add_status(msg, srv_msg, rep_cmd, "Replace", code);
	if (s)
		s->target_ref = target;
}

/* Package 1 of this session, with the Cred when a nonce is known. */
static int package1(struct agent_dm *dm, struct om_tre *tre, int outcome, uint32_t *outcome_cmd)
{
	int n = 0;
	agent_dm_begin(dm);
	/* the TRE says what it knows, and signs it (issue 12); the agent only carries it */
	if (outcome && (n = om_tre_outcome(tre, outcome, time(NULL), dm->statement, sizeof(dm->statement))) < 0)
		return n;
	if (dm->nonce_len) {
		int rc = om_tre_dm_digest(tre, dm->nonce, dm->nonce_len, dm->cred);
		if (rc)
			return rc;
		dm->out.hdr.cred = OM_DM_AUTH_MD5;
		dm->out.hdr.cred_data = dm->cred;
	}
	agent_dm_package1(&dm->out, dm->dev_id, outcome ? dm->statement : NULL, (size_t)n, outcome_cmd);
	return 0;
}

int agent_dm_authenticate(struct agent_dm *dm, struct om_tre *tre, int outcome, uint32_t *outcome_cmd)
{
	unsigned st = 0;
	for (unsigned i = 0; i < AGENT_DM_AUTH_TRIES; i++) {
		int rc = package1(dm, tre, outcome, outcome_cmd);
		if (!rc)
			rc = agent_dm_exchange(dm);
		OPENSSL_cleanse(dm->cred, sizeof(dm->cred));
		if (rc)
			return rc;
		st = agent_dm_hdr_status(dm);
		if (st == OM_DM_STATUS_AUTH_ACCEPTED || st == OM_DM_STATUS_OK) {
			dm->hmac_tre = tre; /* the rest of the session is signed message by message */
			return 0;
		}
		/* A challenge carries the nonce for the next try (kept by the exchange). */
		if (st != OM_DM_STATUS_MISSING_CRED && st != OM_DM_STATUS_UNAUTHORIZED)
			break;
	}
	return om_reason(dm->why, sizeof(dm->why), st == OM_DM_STATUS_UNAUTHORIZED ? OM_EAGENT_REFUSED : OM_EAGENT_DM,
			 "package 1 answered with status %u", st);
}
