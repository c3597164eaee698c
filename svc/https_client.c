/* SPDX-License-Identifier: Apache-2.0 */
/* The daemons' HTTP(S) client towards one peer, built once (https_client.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <openmcim/pki.h>

#include "curl_call.h"
#include "https_client.h"
#include "reason.h"
#include "tls_policy.h"

#define LINKS_DEFAULT 4u
#define LINKS_MAX 32u /* below a server's connections per source (svc/http_server.h) */
/* a kept connection is dropped before the servers' idle deadline (30 s by default) closes it */
#define KEEP_S 20L

struct om_https_client {
	long timeout_ms;
	int tls_own;                 /* roots or a client identity of ours: the TLS context callback */
	X509_STORE *roots;           /* NULL: libcurl's default roots */
	X509 *cert;                  /* our client certificate, or NULL */
	STACK_OF(X509) *chain;       /* the certificates after it in its file */
	EVP_PKEY *key;
	CURLSH *share;               /* TLS sessions and host names across this client's links */
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock;        /* the links below */
	pthread_cond_t freed;
	CURL *idle[LINKS_MAX];
	unsigned n_idle, n_made, max_links;
	struct om_https_client_stats stats;
};

/* ---- what every connection's TLS context gets from memory ----------------------- */

static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_client = -1; /* the client, in each connection's SSL_CTX */

static void ex_init(void)
{
	ex_client = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* A handshake done: count it when it resumed a session (om_https_client_stats). */
static void on_info(const SSL *ssl, int where, int ret)
{
	(void)ret;
	struct om_https_client *c;
	if (!(where & SSL_CB_HANDSHAKE_DONE) || !SSL_session_reused((SSL *)ssl) ||
	    !(c = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_client)))
		return;
	pthread_mutex_lock(&c->lock);
	c->stats.resumed++;
	pthread_mutex_unlock(&c->lock);
}

static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *arg)
{
	(void)curl;
	SSL_CTX *ctx = ssl_ctx;
	struct om_https_client *c = arg;
	pthread_once(&ex_once, ex_init);
	if (ex_client < 0 || SSL_CTX_set_ex_data(ctx, ex_client, c) != 1)
		return CURLE_OUT_OF_MEMORY;
	SSL_CTX_set_info_callback(ctx, on_info);
	if (c->roots)
		SSL_CTX_set1_cert_store(ctx, c->roots); /* a reference: the store is built once */
	if (c->cert && (SSL_CTX_use_certificate(ctx, c->cert) != 1 || SSL_CTX_use_PrivateKey(ctx, c->key) != 1 ||
			SSL_CTX_set1_chain(ctx, c->chain) != 1))
		return CURLE_SSL_CERTPROBLEM;
	/* our chain is what the file gives: OpenSSL would otherwise build it again at every handshake */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	return CURLE_OK;
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *arg)
{
	(void)h;
	(void)a;
	pthread_mutex_lock(&((struct om_https_client *)arg)->share_lock[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *arg)
{
	(void)h;
	pthread_mutex_unlock(&((struct om_https_client *)arg)->share_lock[d]);
}

/* ---- reading the files once ------------------------------------------------------ */

/* The certificate of path and the ones after it; 0 or OM_ECRYPTO. */
static int read_chain(struct om_https_client *c, const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	if (!b || !(c->cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) || !(c->chain = sk_X509_new_null())) {
		BIO_free(b);
		return OM_ECRYPTO;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(c->chain, x)) {
			X509_free(x);
			BIO_free(b);
			return OM_ENOMEM;
		}
	BIO_free(b);
	ERR_clear_error(); /* the end of the file */
	return 0;
}

static int read_files(struct om_https_client *c, const struct om_https_client_opts *o, char *err, size_t el)
{
	if (o->ca_file && (!(c->roots = X509_STORE_new()) || X509_STORE_load_file(c->roots, o->ca_file) != 1))
		return om_reason(err, el, OM_ECRYPTO, "%s: no PEM roots", o->ca_file);
	if (!o->cert_file)
		return 0;
	if (read_chain(c, o->cert_file) < 0)
		return om_reason(err, el, OM_ECRYPTO, "%s: no PEM certificate", o->cert_file);
	if (om_key_load(&c->key, o->key_file) < 0 || X509_check_private_key(c->cert, c->key) != 1)
		return om_reason(err, el, OM_ECRYPTO, "%s: not the key of %s", o->key_file, o->cert_file);
	return 0;
}

int om_https_client_new(struct om_https_client **out, const struct om_https_client_opts *o, char *err, size_t el)
{
	struct om_https_client *c;
	*out = NULL;
	if (!o || o->timeout_ms <= 0 || (o->key_file && !o->cert_file) || (o->cert_file && !o->key_file))
		return om_reason(err, el, OM_EINVAL, "client: a timeout, and a key with its certificate");
	if (!om_curl_ready() || !(c = calloc(1, sizeof(*c))))
		return om_reason(err, el, OM_ENOMEM, "client: out of memory");
	c->timeout_ms = o->timeout_ms;
	c->max_links = o->max_links ? (o->max_links < LINKS_MAX ? o->max_links : LINKS_MAX) : LINKS_DEFAULT;
	c->tls_own = o->ca_file || o->cert_file;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->freed, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_lock[i], NULL);
	int rc = read_files(c, o, err, el);
	if (rc == 0 && (!(c->share = curl_share_init()) ||
			curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
			curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
			curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
			curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
			curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK))
		rc = om_reason(err, el, OM_ENOMEM, "client: curl share");
	if (rc < 0) {
		om_https_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void om_https_client_free(struct om_https_client *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n_idle; i++)
		curl_easy_cleanup(c->idle[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	X509_STORE_free(c->roots);
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_lock[i]);
	pthread_cond_destroy(&c->freed);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---- links ------------------------------------------------------------------------ */

static CURL *link_new(struct om_https_client *c)
{
	CURL *h = curl_easy_init();
	if (!h || om_tls_policy_curl(h) < 0) {
		curl_easy_cleanup(h);
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->roots ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, KEEP_S);
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);
	if (c->roots) {
		/* the roots come from c->roots in on_ssl_ctx, not from a file per connection */
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	if (c->tls_own) {
		curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, c);
	}
	return h;
}

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A free link before deadline (monotonic ms): 0, OM_ETIMEOUT or OM_ENOMEM. */
static int link_take(struct om_https_client *c, double deadline, CURL **out)
{
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	while (!c->n_idle && c->n_made >= c->max_links && rc == 0) {
		double left = deadline - mono_ms();
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long long ns = (long long)ts.tv_nsec + (long long)(left > 0 ? left * 1e6 : 0);
		ts.tv_sec += (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		if (left <= 0 || pthread_cond_timedwait(&c->freed, &c->lock, &ts) == ETIMEDOUT)
			rc = c->n_idle || c->n_made < c->max_links ? 0 : OM_ETIMEOUT;
	}
	if (rc == 0 && c->n_idle) {
		*out = c->idle[--c->n_idle];
	} else if (rc == 0) {
		c->n_made++;
		pthread_mutex_unlock(&c->lock);
		if ((*out = link_new(c)))
			return 0;
		pthread_mutex_lock(&c->lock);
		c->n_made--;
		pthread_cond_signal(&c->freed);
		rc = OM_ENOMEM;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Back to the free links, with what its last call did counted. */
static void link_give(struct om_https_client *c, CURL *h)
{
	long connects = 0;
	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK || connects < 0)
		connects = 0;
	pthread_mutex_lock(&c->lock);
	c->stats.calls++;
	c->stats.connects += (unsigned long)connects;
	c->idle[c->n_idle++] = h;
	pthread_cond_signal(&c->freed);
	pthread_mutex_unlock(&c->lock);
}

/* ---- one call ------------------------------------------------------------------------ */

int om_https_post(struct om_https_client *c, struct om_https_call *k, char *why, size_t wl)
{
	char ct[128];
	struct curl_slist *hdr = NULL;
	struct om_buf answer;
	CURL *h = NULL;
	double deadline = mono_ms() + (double)(c ? c->timeout_ms : 0);
	if (!c || !k || !k->url || (k->answer && !k->cap) || (k->len && !k->body))
		return om_reason(why, wl, OM_EINVAL, "client: no client, URL or answer buffer");
	k->status = 0;
	k->answer_len = 0;
	if (k->answer) {
		om_buf_fixed(&answer, k->answer, k->cap);
		answer.max = k->cap - 1; /* and its NUL */
	}
	/* an empty Expect: no 100-continue round trip before a larger body */
	hdr = curl_slist_append(NULL, "Expect:");
	if (hdr && k->content_type && snprintf(ct, sizeof(ct), "Content-Type: %s", k->content_type) < (int)sizeof(ct))
		hdr = curl_slist_append(hdr, ct) ? hdr : NULL;
	if (!hdr)
		return om_reason(why, wl, OM_ENOMEM, "client: out of memory");
	int rc = link_take(c, deadline, &h);
	if (rc < 0) {
		curl_slist_free_all(hdr);
		return om_reason(why, wl, rc, "%s: %s", k->url,
				 rc == OM_ETIMEOUT ? "every link busy until the deadline" : "out of memory");
	}
	long left = (long)(deadline - mono_ms());
	struct om_curl_call call = { .url = k->url, .headers = hdr, .body = k->body, .len = k->len,
				     .timeout_ms = left > 0 ? left : 1, .answer = k->answer ? &answer : k->answer_buf };
	rc = om_curl_call(h, &call, why, wl);
	if (rc == 0)
		k->status = call.status;
	if (k->answer) {
		k->answer_len = rc == 0 ? answer.len : 0;
		if (rc < 0)
			k->answer[0] = '\0';
	}
	curl_slist_free_all(hdr);
	link_give(c, h);
	return rc;
}

void om_https_client_stats(struct om_https_client *c, struct om_https_client_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
