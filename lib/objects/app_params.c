/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application parameters object (app_params.h; docs/formats.md
 * "Application parameters"):
 *
 *   "OMAP" | version 0x01 | server length (2, BE) | server | anchor length (2, BE) | anchor DER
 *
 * Nothing else: no trailing bytes, no optional fields. Both sides check the
 * same rules, so a DPF cannot send what a device would refuse.
 */
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <openmcim/app_params.h>
#include <openmcim/be.h>

#define MAGIC "OMAP"
#define VERSION 1

/* An https URL of printable ASCII without spaces (the terminal connects to nothing else). */
static int server_ok(const char *s, size_t n)
{
	if (n < 9 || n > OM_APP_SERVER_MAX || strncmp(s, "https://", 8))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* One DER certificate, the whole buffer, that may act as a CA (the anchor of the server's chain). */
static int anchor_ok(const uint8_t *der, size_t n)
{
	const unsigned char *p = der;
	if (n == 0 || n > OM_APP_ANCHOR_MAX)
		return 0;
	X509 *c = d2i_X509(NULL, &p, (long)n);
	int ok = c && p == der + n && X509_check_ca(c) > 0;
	X509_free(c);
	return ok;
}

int om_app_params_encode(const struct om_app_params *p, uint8_t *out, size_t cap)
{
	size_t sl = strnlen(p->server, sizeof(p->server));
	if (sl > OM_APP_SERVER_MAX || p->anchor_len > OM_APP_ANCHOR_MAX)
		return OM_EOBJ_TOO_LONG;
	if (!server_ok(p->server, sl))
		return OM_EOBJ_FIELD;
	if (!anchor_ok(p->anchor, p->anchor_len))
		return OM_EOBJ_VALUE;
	size_t n = 4 + 1 + 2 + sl + 2 + p->anchor_len;
	if (n > cap)
		return OM_EOBJ_TOO_LONG;
	memcpy(out, MAGIC, 4);
	out[4] = VERSION;
	om_be_put(out + 5, sl, 2);
	memcpy(out + 7, p->server, sl);
	om_be_put(out + 7 + sl, p->anchor_len, 2);
	memcpy(out + 9 + sl, p->anchor, p->anchor_len);
	return (int)n;
}

static int parse(const uint8_t *in, size_t len, struct om_app_params *p)
{
	if (len < 5 || memcmp(in, MAGIC, 4))
		return len < 4 ? OM_EOBJ_TRUNCATED : OM_EOBJ_MAGIC;
	if (in[4] != VERSION)
		return OM_EOBJ_VERSION;
	if (len < 7)
		return OM_EOBJ_TRUNCATED;
	size_t sl = (size_t)om_be_get(in + 5, 2);
	if (sl > OM_APP_SERVER_MAX)
		return OM_EOBJ_TOO_LONG;
	if (len < 7 + sl + 2)
		return OM_EOBJ_TRUNCATED;
	size_t al = (size_t)om_be_get(in + 7 + sl, 2);
	if (al > OM_APP_ANCHOR_MAX)
		return OM_EOBJ_TOO_LONG;
	if (len < 9 + sl + al)
		return OM_EOBJ_TRUNCATED;
	if (len > 9 + sl + al)
		return OM_EOBJ_TRAILING;
	if (!server_ok((const char *)in + 7, sl))
		return OM_EOBJ_FIELD;
	if (!anchor_ok(in + 9 + sl, al))
		return OM_EOBJ_VALUE;
	memcpy(p->server, in + 7, sl);
	p->server[sl] = '\0';
	memcpy(p->anchor, in + 9 + sl, al);
	p->anchor_len = al;
	return 0;
}

int om_app_params_parse(const uint8_t *in, size_t len, struct om_app_params *p)
{
	memset(p, 0, sizeof(*p));
	int rc = parse(in, len, p);
	if (rc < 0)
		memset(p, 0, sizeof(*p));
	return rc;
}
