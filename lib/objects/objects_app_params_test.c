/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application parameters object (app_params.h, docs/formats.md
 * "Application parameters"): the bytes of docs/formats.md for a known
 * input, a round trip, and each malformed object refused with its own code
 * and nothing output; the encoder refuses what the parser would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/app_params.h>
#include <openmcim/pki.h>

#include "check.h"

static uint8_t ca_der[OM_APP_ANCHOR_MAX], leaf_der[OM_APP_ANCHOR_MAX];
static size_t ca_len, leaf_len;

/* A CA certificate and a leaf (OPERATOR_TLS, not a CA) under it, as DER. */
static void make_certs(void)
{
	EVP_PKEY *k = NULL, *lk = NULL;
	struct om_ca *ca = NULL;
	X509_REQ *csr = NULL;
	X509 *leaf = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	CHECK_INT(om_key_generate(&k, OM_KEY_EC_P256), 0);
	CHECK_INT(om_ca_create(&ca, k, "app root", 0, 0), 0);
	CHECK_INT(om_cert_encode(om_ca_cert(ca), OM_ENC_DER, &der, &len), 0);
	CHECK(len <= sizeof(ca_der));
	memcpy(ca_der, der, len);
	ca_len = len;
	om_pki_free(der, len);
	struct om_issue req = { .profile = OM_CERT_OPERATOR_TLS, .cn = "app.example", .dns_name = "app.example" };
	CHECK_INT(om_key_generate(&lk, OM_KEY_EC_P256), 0);
	CHECK_INT(om_csr_create(&csr, lk, "app.example", NULL), 0);
	CHECK_INT(om_ca_issue(ca, csr, &req, &leaf), 0);
	CHECK_INT(om_cert_encode(leaf, OM_ENC_DER, &der, &len), 0);
	memcpy(leaf_der, der, len);
	leaf_len = len;
	om_pki_free(der, len);
	X509_free(leaf);
	X509_REQ_free(csr);
	om_ca_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(lk);
}

static struct om_app_params good(void)
{
	struct om_app_params p = { .anchor_len = ca_len };
	snprintf(p.server, sizeof(p.server), "https://app.example:8443/m2m");
	memcpy(p.anchor, ca_der, ca_len);
	return p;
}

static void layout_and_round_trip(void)
{
	static uint8_t buf[OM_APP_PARAMS_MAX];
	struct om_app_params p = good(), q;
	int n = om_app_params_encode(&p, buf, sizeof(buf));
	size_t sl = strlen(p.server);
	CHECK_INT(n, (int)(9 + sl + ca_len));
	/* docs/formats.md: "OMAP", 0x01, server length BE, server, anchor length BE, anchor */
	CHECK(memcmp(buf, "OMAP\x01", 5) == 0);
	CHECK_INT(buf[5] << 8 | buf[6], (int)sl);
	CHECK(memcmp(buf + 7, p.server, sl) == 0);
	CHECK_INT(buf[7 + sl] << 8 | buf[8 + sl], (int)ca_len);
	CHECK(memcmp(buf + 9 + sl, ca_der, ca_len) == 0);
	CHECK_INT(om_app_params_parse(buf, (size_t)n, &q), 0);
	CHECK(strcmp(q.server, p.server) == 0 && q.anchor_len == ca_len && memcmp(q.anchor, ca_der, ca_len) == 0);
}

/* parse(bytes) gives code and leaves the output all zero. */
static void refused(const uint8_t *b, size_t n, int code, const char *what)
{
	struct om_app_params q;
	static const struct om_app_params zero;
	memset(&q, 0xa5, sizeof(q));
	int rc = om_app_params_parse(b, n, &q);
	CHECK_MSG(rc == code, "%s: %s, want %s", what, om_errname(rc), om_errname(code));
	CHECK_MSG(memcmp(&q, &zero, sizeof(q)) == 0, "%s: output not cleared", what);
}

static void malformed_objects_refused(void)
{
	static uint8_t buf[OM_APP_PARAMS_MAX + 8], bad[OM_APP_PARAMS_MAX + 8];
	struct om_app_params p = good();
	int n = om_app_params_encode(&p, buf, sizeof(buf));
	size_t sl = strlen(p.server);
	CHECK(n > 0);
	refused(buf, 3, OM_EOBJ_TRUNCATED, "3 bytes");
	memcpy(bad, buf, (size_t)n);
	bad[0] = 'X';
	refused(bad, (size_t)n, OM_EOBJ_MAGIC, "magic");
	memcpy(bad, buf, (size_t)n);
	bad[4] = 2;
	refused(bad, (size_t)n, OM_EOBJ_VERSION, "version 2");
	refused(buf, (size_t)n - 1, OM_EOBJ_TRUNCATED, "one byte short");
	refused(buf, 8, OM_EOBJ_TRUNCATED, "inside the server");
	memcpy(bad, buf, (size_t)n);
	bad[n] = 0;
	refused(bad, (size_t)n + 1, OM_EOBJ_TRAILING, "a byte after the anchor");
	memcpy(bad, buf, (size_t)n);
	bad[5] = 0x01; /* server length 256 + sl */
	refused(bad, (size_t)n, OM_EOBJ_TOO_LONG, "server length over 255");
	memcpy(bad, buf, (size_t)n);
	memcpy(bad + 7, "http:", 5); /* "http://" + ... : not https */
	refused(bad, (size_t)n, OM_EOBJ_FIELD, "http scheme");
	memcpy(bad, buf, (size_t)n);
	bad[7 + sl - 1] = ' ';
	refused(bad, (size_t)n, OM_EOBJ_FIELD, "a space in the server");
	memcpy(bad, buf, (size_t)n);
	bad[9 + sl + 10] ^= 0xff; /* inside the certificate's DER */
	refused(bad, (size_t)n, OM_EOBJ_VALUE, "anchor not DER");

	/* a leaf certificate is no trust anchor: refused on both sides */
	struct om_app_params leaf = good();
	memcpy(leaf.anchor, leaf_der, leaf_len);
	leaf.anchor_len = leaf_len;
	CHECK_INT(om_app_params_encode(&leaf, bad, sizeof(bad)), OM_EOBJ_VALUE);
	memcpy(bad, buf, 9 + sl - 2);
	bad[7 + sl] = (uint8_t)(leaf_len >> 8);
	bad[8 + sl] = (uint8_t)leaf_len;
	memcpy(bad + 9 + sl, leaf_der, leaf_len);
	refused(bad, 9 + sl + leaf_len, OM_EOBJ_VALUE, "a leaf as anchor");

	struct om_app_params plain = good();
	snprintf(plain.server, sizeof(plain.server), "http://app.example/");
	CHECK_INT(om_app_params_encode(&plain, bad, sizeof(bad)), OM_EOBJ_FIELD);
	struct om_app_params none = good();
	none.anchor_len = 0;
	CHECK_INT(om_app_params_encode(&none, bad, sizeof(bad)), OM_EOBJ_VALUE);
	CHECK_INT(om_app_params_encode(&p, bad, (size_t)n - 1), OM_EOBJ_TOO_LONG);
}

int main(void)
{
	make_certs();
	layout_and_round_trip();
	malformed_objects_refused();
	return check_done();
}
