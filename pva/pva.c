/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the PVA: database, CA, OCSP responder pair; small shared helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "log.h"
#include "pva.h"
#include "pva_store.h"

static int load_pair(struct pva *p, const struct pva_config *c, char *err, size_t len)
{
	int rc;
	if ((rc = om_cert_load(&p->ca, c->ca_cert)) < 0)
		return snprintf(err, len, "ca_cert %.200s: %s", c->ca_cert, om_strerror(rc)), -1;
	if ((rc = om_trust_new(&p->trust, &p->ca, 1)) < 0)
		return snprintf(err, len, "ca_cert %.200s: %s", c->ca_cert, om_strerror(rc)), -1;
	if ((rc = om_cert_load(&p->rcert, c->responder_cert)) < 0)
		return snprintf(err, len, "responder_cert %.200s: %s", c->responder_cert, om_strerror(rc)), -1;
	if ((rc = om_cert_verify(p->rcert, p->trust, NULL, 0, OM_CERT_OCSP_RESPONDER, OM_PKI_NOW)) < 0)
		return snprintf(err, len, "responder_cert %.200s is not an OCSP_RESPONDER of ca_cert: %s",
				c->responder_cert, om_strerror(rc)),
		       -1;
	if ((rc = om_key_load(&p->rkey, c->responder_key)) < 0)
		return snprintf(err, len, "responder_key %.200s: %s", c->responder_key, om_strerror(rc)), -1;
	if (X509_check_private_key(p->rcert, p->rkey) != 1)
		return snprintf(err, len, "responder_key %.200s does not match responder_cert", c->responder_key), -1;
	return 0;
}

struct pva *pva_open(const struct pva_config *c, char *err, size_t len)
{
	struct pva *p = calloc(1, sizeof(*p));
	int rc;
	if (!p) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->next_update_s = c->next_update_s ? c->next_update_s : PVA_NEXT_UPDATE_DEFAULT;
	if (!c->db_path || !c->ca_cert || !c->responder_cert || !c->responder_key) {
		snprintf(err, len, "db, ca_cert, responder_cert and responder_key are required");
		goto fail;
	}
	if (load_pair(p, c, err, len) < 0)
		goto fail;
	char where[256];
	om_store_conf_redact(c->db_path, where, sizeof(where));
	if (om_store_open(c->db_path, &p->store, err, len) < 0)
		goto fail;
	if ((rc = pva_store_migrate(p->store)) < 0) {
		snprintf(err, len, "%.200s: schema: %s (%s)", where, om_strerror(rc), om_store_errmsg(p->store));
		goto fail;
	}
	if (pva_store_prepare(p, err, len) < 0)
		goto fail;
	return p;
fail:
	pva_close(p);
	return NULL;
}

unsigned pva_idle(struct pva *p, const char *where)
{
	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	unsigned n = om_store_idle(p->store, where);
	pthread_mutex_unlock(&p->lock);
	return n;
}

void pva_close(struct pva *p)
{
	if (!p)
		return;
	pva_store_finalize(p);
	om_store_close(p->store);
	X509_STORE_free(p->trust);
	X509_free(p->ca);
	X509_free(p->rcert);
	EVP_PKEY_free(p->rkey);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int pva_serial_hex(const ASN1_INTEGER *serial, char out[static 64])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	int rc = OM_ECRYPTO;
	if (h && strlen(h) < 64 && h[0] != '-') {
		snprintf(out, 64, "%s", h);
		rc = 0;
	}
	OPENSSL_free(h);
	BN_free(bn);
	return rc;
}

int pva_name_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= max &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* RFC 5280 5.3.1 CRLReason; 7 is unused and removeFromCRL (8) has no place in OCSP. */
static const char *const reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "certificateHold", NULL, NULL, "privilegeWithdrawn", "aACompromise",
};

int pva_reason_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(reasons) / sizeof(reasons[0])); i++)
		if (reasons[i] && !strcmp(reasons[i], name))
			return i;
	return -1;
}

const char *pva_reason_name(int code)
{
	if (code < 0 || code >= (int)(sizeof(reasons) / sizeof(reasons[0])) || !reasons[code])
		return "?";
	return reasons[code];
}
