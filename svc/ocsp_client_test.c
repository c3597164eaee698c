/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCSP client against the independent `openssl ocsp` responder: good,
 * revoked and unknown certificates in one request, a batch longer than one
 * request, a response signed by another CA, and an unreachable responder;
 * one client checked from several threads at once (its links are kept,
 * svc/https_client.h), and an answer over 256 KiB refused, not cut.
 */
#include <pthread.h>

#include "sho_testkit.h" /* sho/ is on every test's include path */
#include "http_server.h"
#include "ocsp_client.h"

static char dir[] = "/tmp/om-ocsp-test-XXXXXX";

static void test_statuses_from_openssl_responder(X509_STORE *trust, X509 *ca_cert, const char *url,
						 struct kit_tre *t)
{
	struct om_ocsp_client *c = NULL;
	X509 *certs[4] = { t[0].sign, t[0].enc, t[1].sign, t[2].sign };
	int st[4] = { -1, -1, -1, -1 };
	char why[256] = "";
	CHECK_INT(om_ocsp_client_new(&c, url, ca_cert, trust, NULL), 0);
	int rc = om_ocsp_check(c, certs, 4, st, why, sizeof(why));
	CHECK_MSG(rc == 0, "rc %d: %s", rc, why);
	CHECK_INT(st[0], OM_OCSP_GOOD);
	CHECK_INT(st[1], OM_OCSP_GOOD);
	CHECK_INT(st[2], OM_OCSP_REVOKED);
	CHECK_INT(st[3], OM_OCSP_UNKNOWN);
	om_ocsp_client_free(c);
}

static void test_batch_longer_than_one_request(X509_STORE *trust, X509 *ca_cert, const char *url, struct kit_tre *t)
{
	enum { N = OM_OCSP_BATCH + 5 };
	static X509 *certs[N];
	static int st[N];
	struct om_ocsp_client *c = NULL;
	char why[256] = "";
	for (size_t i = 0; i < N; i++) {
		certs[i] = i % 2 ? t[0].enc : t[1].sign;
		st[i] = -1;
	}
	CHECK_INT(om_ocsp_client_new(&c, url, ca_cert, trust, NULL), 0);
	CHECK_INT(om_ocsp_check(c, certs, N, st, why, sizeof(why)), 0);
	int ok = 1;
	for (size_t i = 0; i < N; i++)
		ok &= st[i] == (i % 2 ? OM_OCSP_GOOD : OM_OCSP_REVOKED);
	CHECK(ok);
	om_ocsp_client_free(c);
}

struct share {
	struct om_ocsp_client *c;
	X509 *certs[2];
	int ok;
};

static void *check_in_thread(void *arg)
{
	struct share *sh = arg;
	for (int i = 0; i < 3; i++) {
		int st[2] = { -1, -1 };
		char why[256] = "";
		if (om_ocsp_check(sh->c, sh->certs, 2, st, why, sizeof(why)) == 0 && st[0] == OM_OCSP_GOOD &&
		    st[1] == OM_OCSP_REVOKED)
			sh->ok++;
	}
	return NULL;
}

/* One client for a daemon's every registration (sho/certs.c): any thread may check on it at once. */
static void test_threads_share_one_client(X509_STORE *trust, X509 *ca_cert, const char *url, struct kit_tre *t)
{
	enum { THREADS = 4 };
	struct om_ocsp_client *c = NULL;
	struct share sh[THREADS];
	pthread_t th[THREADS];
	CHECK_INT(om_ocsp_client_new(&c, url, ca_cert, trust, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		sh[i] = (struct share){ c, { t[0].sign, t[1].sign }, 0 };
		CHECK_INT(pthread_create(&th[i], NULL, check_in_thread, &sh[i]), 0);
	}
	int ok = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += sh[i].ok;
	}
	CHECK_INT(ok, THREADS * 3);
	om_ocsp_client_free(c);
}

static void huge(struct om_http_req *r, void *arg)
{
	(void)arg;
	size_t n = 256 * 1024 + 1;
	char *b = calloc(1, n);
	om_http_reply(r, 200, "application/ocsp-response", b, b ? n : 0);
	free(b);
}

static void test_answer_over_the_cap_refused(X509_STORE *trust, X509 *ca_cert, struct kit_tre *t)
{
	struct om_http_opts o = { .max_body = 1 << 16 };
	struct om_http_server *s = NULL;
	struct om_ocsp_client *c = NULL;
	char err[256] = "", url[64], why[256] = "";
	int st[1];
	CHECK_MSG(om_http_server_new(&s, &o, err, sizeof(err)) == 0, "%s", err);
	if (!s)
		return;
	CHECK_INT(om_http_route(s, "POST", "/", huge, NULL), 0);
	CHECK_INT(om_http_server_start(s), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", om_http_server_port(s));
	CHECK_INT(om_ocsp_client_new(&c, url, ca_cert, trust, NULL), 0);
	CHECK_INT(om_ocsp_check(c, &t[0].sign, 1, st, why, sizeof(why)), OM_EOCSP_RESPONSE);
	CHECK_MSG(strstr(why, "longer than") != NULL, "%s", why);
	om_ocsp_client_free(c);
	om_http_server_free(s);
}

static void test_response_from_another_ca_refused(X509_STORE *trust, X509 *ca_cert, struct kit_tre *t)
{
	int port;
	pid_t pid = kit_ocsp_start(dir, "other.pem", "other.key", "other.pem", &port);
	char url[64], why[256] = "";
	struct om_ocsp_client *c = NULL;
	int st[1];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	CHECK_INT(om_ocsp_client_new(&c, url, ca_cert, trust, NULL), 0);
	CHECK_INT(om_ocsp_check(c, &t[0].sign, 1, st, why, sizeof(why)), OM_EOCSP_SIGNATURE);
	om_ocsp_client_free(c);
	kit_ocsp_stop(pid);
}

static void test_unreachable_responder_is_a_transport_error(X509_STORE *trust, X509 *ca_cert, struct kit_tre *t)
{
	char url[64], why[256] = "";
	struct om_ocsp_client *c = NULL;
	int st[1];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", kit_free_port());
	CHECK_INT(om_ocsp_client_new(&c, url, ca_cert, trust, NULL), 0);
	CHECK_INT(om_ocsp_check(c, &t[0].sign, 1, st, why, sizeof(why)), OM_EOCSP_TRANSPORT);
	CHECK(strstr(why, "127.0.0.1") != NULL);
	om_ocsp_client_free(c);
}

static void test_bad_arguments(X509_STORE *trust, X509 *ca_cert)
{
	struct om_ocsp_client *c = NULL;
	CHECK_INT(om_ocsp_client_new(&c, "ftp://127.0.0.1/", ca_cert, trust, NULL), OM_EINVAL);
	CHECK(c == NULL);
	CHECK_INT(om_ocsp_client_new(&c, "http://127.0.0.1/", NULL, trust, NULL), OM_EINVAL);
}

int main(void)
{
	EVP_PKEY *ca_key = NULL, *other_key = NULL;
	struct kit_tre t[3];
	X509_STORE *trust = NULL;
	if (!mkdtemp(dir))
		return 1;
	struct om_ca *ca = kit_ca("Test PVA", &ca_key), *other = kit_ca("Other CA", &other_key);
	X509 *ca_cert = om_ca_cert(ca);
	kit_save_ca(dir, ca, ca_key, "ca");
	kit_save_ca(dir, other, other_key, "other");
	kit_tre_issue(ca, "TRE-00000001", &t[0]);
	kit_tre_issue(ca, "TRE-00000002", &t[1]);
	kit_tre_issue(ca, "TRE-00000003", &t[2]);
	FILE *f = fopen("/dev/null", "r");
	char path[512];
	snprintf(path, sizeof(path), "%s/index.txt", dir);
	fclose(f);
	f = fopen(path, "w");
	kit_index_line(f, t[0].sign, 'V');
	kit_index_line(f, t[0].enc, 'V');
	kit_index_line(f, t[1].sign, 'R');
	fclose(f);
	kit_write(dir, "index.txt.attr", "unique_subject = no\n");
	CHECK_INT(om_trust_new(&trust, &ca_cert, 1), 0);

	int port;
	pid_t pid = kit_ocsp_start(dir, "ca.pem", "ca.key", "ca.pem", &port);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	test_statuses_from_openssl_responder(trust, ca_cert, url, t);
	test_batch_longer_than_one_request(trust, ca_cert, url, t);
	test_threads_share_one_client(trust, ca_cert, url, t);
	kit_ocsp_stop(pid);
	test_answer_over_the_cap_refused(trust, ca_cert, t);
	test_response_from_another_ca_refused(trust, ca_cert, t);
	test_unreachable_responder_is_a_transport_error(trust, ca_cert, t);
	test_bad_arguments(trust, ca_cert);

	for (int i = 0; i < 3; i++)
		kit_tre_free(&t[i]);
	X509_STORE_free(trust);
	om_ca_free(ca);
	om_ca_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	kit_rm_rf(dir);
	return check_done();
}
